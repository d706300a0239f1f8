/*
 * WorkerPool: threads that run the calls of blocking plugins, so the event
 * loop never waits on a backend (sqlite on a cold page, etcd on a miss).
 *
 * A FIFO of jobs under one mutex; N threads take jobs in order. The
 * destructor finishes the jobs already queued, then joins. Jobs must not
 * throw (the pool catches and counts what escapes anyway).
 */
#ifndef VARPD_WORKERS_H
#define VARPD_WORKERS_H

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace varpd {

class WorkerPool {
  public:
    explicit WorkerPool(unsigned nthreads);
    ~WorkerPool();
    WorkerPool(const WorkerPool&) = delete;
    WorkerPool& operator=(const WorkerPool&) = delete;

    void post(std::function<void()> job);
    /* Finish the queued jobs and join; later posts are dropped. Idempotent. */
    void shutdown();
    unsigned size() const { return static_cast<unsigned>(threads_.size()); }
    uint64_t escaped() const { return escaped_; }

  private:
    void run();
    std::mutex mu_;
    std::condition_variable cv_;
    std::deque<std::function<void()>> jobs_;
    bool stopping_ = false;
    std::atomic<uint64_t> escaped_{0};
    std::vector<std::thread> threads_;
};

} // namespace varpd

#endif
