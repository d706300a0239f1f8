/*
 * Log: where varpd's messages go (stderr, syslog, or a test's capture).
 * Thread-safe: plugins log from their own threads.
 */
#ifndef VARPD_LOG_H
#define VARPD_LOG_H

#include <functional>
#include <mutex>
#include <string>
#include <syslog.h>

namespace varpd {

class Log {
  public:
    using Sink = std::function<void(int level, const std::string& msg)>;
    static Log to_stderr(int max_level = LOG_INFO);
    static Log to_syslog(int max_level = LOG_INFO);
    explicit Log(Sink sink, int max_level = LOG_DEBUG) : sink_(std::move(sink)), max_(max_level) {}

    void operator()(int level, const std::string& msg) const {
        if (level > max_)
            return;
        std::lock_guard g(mu_);
        sink_(level, msg);
    }
    void err(const std::string& m) const { (*this)(LOG_ERR, m); }
    void warn(const std::string& m) const { (*this)(LOG_WARNING, m); }
    void info(const std::string& m) const { (*this)(LOG_INFO, m); }
    void debug(const std::string& m) const { (*this)(LOG_DEBUG, m); }

  private:
    Sink sink_;
    int max_;
    mutable std::mutex mu_;
};

} // namespace varpd

#endif
