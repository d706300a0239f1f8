/*
 * StateLock: one varpd per state directory (hence per host), held with a
 * Boost.Interprocess file_lock on "<state_dir>/varpd.lock". The holder
 * writes its pid into the file so a second varpd can say which one runs.
 * The lock is an fcntl record lock: it belongs to the process, vanishes
 * when the process dies (no stale lock after a crash), and is not shared
 * across fork.
 */
#ifndef VARPD_LOCK_H
#define VARPD_LOCK_H

#include <boost/interprocess/sync/file_lock.hpp>
#include <memory>
#include <string>

namespace varpd {

class StateLock {
  public:
    /* The lock, or nullptr with *why naming the problem (and the holder's pid). */
    static std::unique_ptr<StateLock> acquire(const std::string& state_dir, std::string* why);
    ~StateLock();

  private:
    StateLock() = default;
    std::string path_;
    int fd_ = -1;
    bool held_ = false;
    boost::interprocess::file_lock lock_;
};

} // namespace varpd

#endif
