// ov_rename: atomic, durable whole-file replacement (temp + fsync + rename +
// fsync of the directory).
//
// Theory (the contract is in <libtools/rename.h>): the only moment the target
// changes is rename(2) of a fully written, fsynced temporary in the same
// directory, which POSIX makes atomic for readers. The temporary is owned by
// a small RAII guard that unlinks it unless the rename succeeded, so every
// early return removes it; file descriptors are closed by another guard.
// The directory fsync comes last and makes the new directory entry durable.
// Nothing here is static; the functions are re-entrant.
#include "error_impl.h"

#include <cerrno>
#include <climits>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <libtools/rename.h>
#include <string>
#include <string_view>
#include <sys/stat.h>
#include <unistd.h>

namespace {

struct Fd {
    int fd = -1;
    explicit Fd(int f) : fd(f) {}
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    ~Fd() {
        if (fd >= 0)
            ::close(fd);
    }
    // Close now and report the error (close can report a deferred write error).
    int close_checked() {
        int r = ::close(fd);
        fd = -1;
        return r;
    }
};

// Unlinks the temporary unless disarmed (after a successful rename).
struct TempFile {
    std::string path;
    bool armed = true;
    ~TempFile() {
        if (armed && !path.empty())
            ::unlink(path.c_str());
    }
};

struct Split {
    std::string dir;  // "." when the path has no '/'
    std::string name; // last component
};

int split_path(const char* path, Split* out, ov_error_t* err) {
    if (path == nullptr || *path == '\0')
        return ov::fail(err, EINVAL, "rename: empty path");
    std::string_view p(path);
    if (p.back() == '/')
        return ov::fail(err, EINVAL, "rename: path '%s' names a directory", path);
    auto slash = p.rfind('/');
    if (slash == std::string_view::npos) {
        out->dir = std::string(1, '.'); // not = ".": GCC 12 -Wrestrict false positive
        out->name = std::string(p);
    } else {
        out->dir = std::string(slash == 0 ? std::string_view("/") : p.substr(0, slash));
        out->name = std::string(p.substr(slash + 1));
    }
    if (out->name == "." || out->name == "..")
        return ov::fail(err, EINVAL, "rename: path '%s' names a directory", path);
    // ".<name>.XXXXXX" must fit in NAME_MAX.
    if (out->name.size() + 8 > NAME_MAX)
        return ov::fail(err, ENAMETOOLONG, "rename: name '%s' is too long for a temporary",
                        out->name.c_str());
    return 0;
}

std::string temp_prefix(const Split& s) {
    return (s.dir == "/" ? std::string("/") : s.dir + "/") + "." + s.name + ".";
}

int write_all(int fd, const unsigned char* p, size_t len) {
    while (len > 0) {
        ssize_t n = ::write(fd, p, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return errno;
        }
        p += n;
        len -= static_cast<size_t>(n);
    }
    return 0;
}

int sync_dir(const std::string& dir, ov_error_t* err) {
    Fd d(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (d.fd < 0)
        return ov::fail(err, errno, "rename: cannot open directory '%s' to sync it: %s",
                        dir.c_str(), std::strerror(errno));
    if (::fsync(d.fd) != 0)
        return ov::fail(err, errno, "rename: fsync of directory '%s' failed: %s", dir.c_str(),
                        std::strerror(errno));
    return 0;
}

int write_impl(const char* path, const void* data, size_t len, mode_t mode, ov_error_t* err) {
    Split s;
    if (int r = split_path(path, &s, err); r != 0)
        return r;
    TempFile tmp;
    tmp.path = temp_prefix(s) + "XXXXXX";
    Fd f(::mkostemp(tmp.path.data(), O_CLOEXEC));
    if (f.fd < 0) {
        int e = errno;
        tmp.path.clear(); // nothing was created
        return ov::fail(err, e, "rename: cannot create a temporary in '%s': %s", s.dir.c_str(),
                        std::strerror(e));
    }
    if (int e = write_all(f.fd, static_cast<const unsigned char*>(data), len); e != 0)
        return ov::fail(err, e, "rename: write to '%s' failed: %s", tmp.path.c_str(),
                        std::strerror(e));
    if (::fchmod(f.fd, mode & 07777) != 0)
        return ov::fail(err, errno, "rename: fchmod of '%s' failed: %s", tmp.path.c_str(),
                        std::strerror(errno));
    if (::fsync(f.fd) != 0)
        return ov::fail(err, errno, "rename: fsync of '%s' failed: %s", tmp.path.c_str(),
                        std::strerror(errno));
    if (f.close_checked() != 0)
        return ov::fail(err, errno, "rename: close of '%s' failed: %s", tmp.path.c_str(),
                        std::strerror(errno));
    if (::rename(tmp.path.c_str(), path) != 0)
        return ov::fail(err, errno, "rename: rename of '%s' to '%s' failed: %s", tmp.path.c_str(),
                        path, std::strerror(errno));
    tmp.armed = false;
    return sync_dir(s.dir, err);
}

bool is_temp_of(const char* entry, const std::string& name) {
    // ".<name>." followed by exactly six characters, as mkstemp makes them.
    size_t n = std::strlen(entry);
    if (n != name.size() + 2 + 6 || entry[0] != '.')
        return false;
    return std::memcmp(entry + 1, name.data(), name.size()) == 0 && entry[1 + name.size()] == '.';
}

int cleanup_impl(const char* path, ov_error_t* err) {
    Split s;
    if (int r = split_path(path, &s, err); r != 0)
        return r;
    DIR* d = ::opendir(s.dir.c_str());
    if (d == nullptr)
        return ov::fail(err, errno, "rename: cannot open directory '%s': %s", s.dir.c_str(),
                        std::strerror(errno));
    int removed = 0;
    int failed = 0;
    std::string failed_name;
    std::string base = s.dir == "/" ? std::string("/") : s.dir + "/";
    errno = 0;
    while (struct dirent* e = ::readdir(d)) {
        if (!is_temp_of(e->d_name, s.name))
            continue;
        std::string victim = base + e->d_name;
        if (::unlink(victim.c_str()) == 0) {
            removed++;
        } else if (errno != ENOENT && failed == 0) {
            failed = errno;
            failed_name = victim;
        }
        errno = 0;
    }
    int rd = errno;
    ::closedir(d);
    if (rd != 0)
        return ov::fail(err, rd, "rename: reading directory '%s' failed: %s", s.dir.c_str(),
                        std::strerror(rd));
    if (failed != 0)
        return ov::fail(err, failed, "rename: cannot remove stale temporary '%s': %s",
                        failed_name.c_str(), std::strerror(failed));
    if (removed > 0) {
        if (int r = sync_dir(s.dir, err); r != 0)
            return r;
    }
    return removed;
}

} // namespace

extern "C" {

int ov_rename_write(const char* path, const void* data, size_t len, mode_t mode, ov_error_t* err) {
    try {
        return write_impl(path, data, len, mode, err);
    } catch (...) { // std::string allocation; nothing else throws
        return ov::fail(err, ENOMEM, "rename: out of memory");
    }
}

int ov_rename_cleanup(const char* path, ov_error_t* err) {
    try {
        return cleanup_impl(path, err);
    } catch (...) {
        return ov::fail(err, ENOMEM, "rename: out of memory");
    }
}

} // extern "C"
