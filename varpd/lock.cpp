// StateLock: see lock.h.
#include "lock.h"

#include <boost/interprocess/exceptions.hpp>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

namespace varpd {

std::unique_ptr<StateLock> StateLock::acquire(const std::string& dir, std::string* why) {
    std::unique_ptr<StateLock> l(new StateLock);
    l->path_ = dir + "/varpd.lock";
    l->fd_ = open(l->path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (l->fd_ < 0) {
        *why = "cannot open " + l->path_ + ": " + std::strerror(errno);
        return nullptr;
    }
    try {
        boost::interprocess::file_lock fl(l->path_.c_str());
        if (!fl.try_lock()) {
            char buf[32] = {};
            ssize_t n = pread(l->fd_, buf, sizeof(buf) - 1, 0);
            long pid = n > 0 ? std::strtol(buf, nullptr, 10) : 0;
            *why = "another varpd" + (pid > 0 ? " (pid " + std::to_string(pid) + ")" : "") +
                   " already runs with state directory " + dir;
            return nullptr;
        }
        l->lock_.swap(fl);
        l->held_ = true;
    } catch (const boost::interprocess::interprocess_exception& e) {
        *why = "cannot lock " + l->path_ + ": " + e.what();
        return nullptr;
    }
    std::string pid = std::to_string(getpid()) + "\n";
    if (ftruncate(l->fd_, 0) != 0 || pwrite(l->fd_, pid.data(), pid.size(), 0) < 0) {
        *why = "cannot write the pid into " + l->path_ + ": " + std::strerror(errno);
        return nullptr;
    }
    return l;
}

StateLock::~StateLock() {
    if (fd_ >= 0) {
        if (held_ && ftruncate(fd_, 0) != 0) { /* a stale pid would only mislead */
        }
        close(fd_); /* note: closing any fd of the file drops the fcntl lock */
    }
}

} // namespace varpd
