// Test harness: temp dirs, a captured log, and a Daemon running on its own
// thread against a FakeChannel, reached over its real control socket.
#ifndef VARPD_TEST_HARNESS_H
#define VARPD_TEST_HARNESS_H

#include "channel_fake.h"
#include "client.h"
#include "daemon.h"
#include "plugins.h"

#include <chrono>
#include <gtest/gtest.h>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace vt {

struct TempDir {
    std::string path;
    TempDir() {
        char tmpl[] = "/tmp/varpd-test.XXXXXX";
        const char* p = mkdtemp(tmpl);
        if (!p)
            throw std::runtime_error("mkdtemp failed");
        path = p;
    }
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(path, ec);
    }
    std::string operator/(const std::string& name) const { return path + "/" + name; }
};

struct LogCapture {
    std::mutex mu;
    std::vector<std::string> lines;
    varpd::Log log{[this](int, const std::string& m) {
        std::lock_guard g(mu);
        lines.push_back(m);
    }};
    bool contains(const std::string& needle) {
        std::lock_guard g(mu);
        for (auto& l : lines)
            if (l.find(needle) != std::string::npos)
                return true;
        return false;
    }
    std::string all() {
        std::lock_guard g(mu);
        std::string s;
        for (auto& l : lines)
            s += l + "\n";
        return s;
    }
};

inline void write_file(const std::string& path, const std::string& text) {
    std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
}

/* Poll cond every 10 ms for up to timeout. */
template <typename F> bool eventually(F cond, std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    auto end = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < end) {
        if (cond())
            return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return cond();
}

/* A Daemon on its own thread; the destructor stops and joins it. */
class Running {
  public:
    Running(const std::string& state_dir, const varpd::PluginSet& plugins, varpd::KernelChannel& chan,
            const varpd::Log& log, unsigned workers = 4)
        : daemon_(make_cfg(state_dir, workers), log, plugins, chan) {
        auto f = ready_.get_future();
        thread_ = std::thread([this] {
            bool said = false;
            try {
                daemon_.run([&] {
                    said = true;
                    ready_.set_value();
                });
            } catch (...) {
                if (!said)
                    ready_.set_exception(std::current_exception());
            }
        });
        f.get();
        socket = state_dir + "/varpd.sock";
    }
    ~Running() {
        daemon_.stop();
        thread_.join();
    }
    varpd::Daemon& daemon() { return daemon_; }
    std::string socket;

  private:
    static varpd::Config make_cfg(const std::string& dir, unsigned workers) {
        varpd::Config c;
        c.state_dir = dir;
        c.plugin_dir = "(test)";
        c.workers = workers;
        return c;
    }
    varpd::Daemon daemon_;
    /*
     * A member, not a local of the constructor: f.get() may return while
     * set_value() is still inside the promise, which must outlive that.
     */
    std::promise<void> ready_;
    std::thread thread_;
};

/* The reason f fails with (a ClientError); "" and a test failure if it does not. */
template <typename F> std::string error_of(F f) {
    try {
        f();
    } catch (const varpd::ClientError& e) {
        return e.what();
    }
    ADD_FAILURE() << "no error";
    return "";
}

/* Every plugin: the shipped ones (direct, files) and the test ones. */
inline void load_all_plugins(varpd::PluginSet& ps) {
    ps.load_dir(OVERLAY_PLUGIN_DIR);
    ps.load_dir(TEST_PLUGIN_DIR);
}

} // namespace vt

#endif
