// WorkerPool: see workers.h.
#include "workers.h"

namespace varpd {

WorkerPool::WorkerPool(unsigned nthreads) {
    for (unsigned i = 0; i < nthreads; i++)
        threads_.emplace_back([this] { run(); });
}

WorkerPool::~WorkerPool() { shutdown(); }

void WorkerPool::shutdown() {
    {
        std::lock_guard g(mu_);
        stopping_ = true;
    }
    cv_.notify_all();
    for (auto& t : threads_)
        if (t.joinable())
            t.join();
}

void WorkerPool::post(std::function<void()> job) {
    {
        std::lock_guard g(mu_);
        jobs_.push_back(std::move(job));
    }
    cv_.notify_one();
}

void WorkerPool::run() {
    for (;;) {
        std::function<void()> job;
        {
            std::unique_lock g(mu_);
            cv_.wait(g, [&] { return stopping_ || !jobs_.empty(); });
            if (jobs_.empty())
                return;
            job = std::move(jobs_.front());
            jobs_.pop_front();
        }
        try {
            job();
        } catch (...) {
            escaped_++;
        }
    }
}

} // namespace varpd
