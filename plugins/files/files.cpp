/*
 * files - varpd's dynamic-mode backend over an overlay_files(5) JSON file
 * (property files/config), with proxy ARP, NDP and DHCP.
 *
 * Theory: the file is the source of truth and may be edited while varpd
 * runs. Each instance holds an immutable Table (files_table.h: hashed by
 * MAC, by ARP address and by NDP address) behind a shared_ptr; a lookup
 * takes the current table under a short mutex and answers from it, so a
 * reload never waits for lookups and lookups never see half a table.
 *
 * Reload: a thread per started instance watches the file's DIRECTORY with
 * inotify (a watch on the file itself would follow the old inode and miss
 * the atomic rename that editors and scripts use) for writes closed,
 * renames in, creations and deletions of that name. On a change it parses
 * the whole file. If the parse fails the reason (with line and column) is
 * logged and the previous table stays in force. If it succeeds, the new
 * table is swapped in and every MAC whose destination changed or which
 * disappeared is shot down in the kernel's target cache
 * (varpd_cache_invalidate), so the next frame to it asks again. New MACs
 * are shot down too: a frame to one before it was in the file was answered
 * "drop", and the kernel keeps that as a DROP entry.
 *
 * States of an instance: CREATED (config unset or set) -> start: the file
 * must parse (else start fails with the reason logged) -> STARTED (watch
 * thread running) -> stop: the thread is woken through an eventfd and
 * joined -> STOPPED -> destroy.
 *
 * Locking: mu guards the table pointer (swap and copy only); the watch
 * thread is the only writer. Lookups run on varpd's loop (the backend does
 * not block: every answer is a hash lookup). Properties: files/config
 * (string, required), files/entries (uint, read-only: MACs in force),
 * files/reloads (uint, read-only: successful loads).
 *
 * Not supported: several files per instance; "port" per address family.
 */
#include "files_table.h"
#include "plugin_util.h"

#include <atomic>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <memory>
#include <mutex>
#include <new>
#include <poll.h>
#include <sstream>
#include <string>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <thread>
#include <unistd.h>

namespace {

constexpr const char* prop_config = "files/config";
constexpr const char* prop_entries = "files/entries";
constexpr const char* prop_reloads = "files/reloads";

struct Files {
    varpd_provider_t* prov = nullptr;
    std::string config;
    std::mutex mu;
    std::shared_ptr<const files::Table> table;
    std::atomic<uint64_t> reloads{0};
    std::thread watcher;
    int stop_fd = -1;
    int ifd = -1;     /* inotify on the file's directory, while started */
    std::string base; /* the file's name in that directory */

    std::shared_ptr<const files::Table> current() {
        std::lock_guard g(mu);
        return table;
    }
    void log(int level, const std::string& m) { varpd_log(prov, level, m.c_str()); }
    bool load(bool initial);
    void arm();
    void watch();
    void stop_watch();
};

Files* self(void* arg) { return static_cast<Files*>(arg); }

bool Files::load(bool initial) {
    std::ifstream in(config, std::ios::binary);
    if (!in) {
        log(VARPD_LOG_ERR, config + ": cannot open: " + std::strerror(errno) +
                               (initial ? "" : "; the previous table stays in force"));
        return false;
    }
    std::stringstream ss;
    ss << in.rdbuf();
    auto next = std::make_shared<files::Table>();
    std::string why = files::parse(ss.str(), *next);
    if (!why.empty()) {
        log(VARPD_LOG_ERR, config + ": " + why +
                               (initial ? "" : "; the previous table stays in force"));
        return false;
    }
    std::shared_ptr<const files::Table> old;
    {
        std::lock_guard g(mu);
        old = table;
        table = next;
    }
    reloads++;
    size_t shot = 0;
    if (old) {
        for (auto& [key, e] : old->by_mac) {
            const files::Entry* n = next->find(e.mac.data());
            if (n && n->same_destination(e))
                continue;
            varpd_cache_invalidate(prov, e.mac.data());
            shot++;
        }
        for (auto& [key, e] : next->by_mac) {
            if (old->find(e.mac.data()))
                continue;
            varpd_cache_invalidate(prov, e.mac.data()); /* a DROP entry, if it missed */
            shot++;
        }
    }
    log(VARPD_LOG_INFO, config + ": " + std::to_string(next->by_mac.size()) + " entries loaded" +
                            (old ? ", " + std::to_string(shot) + " shot down" : ""));
    return true;
}

/*
 * Watch the file's directory. Called before the first load, so a change
 * made between the load and the watcher thread's start is not missed.
 */
void Files::arm() {
    ifd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
    std::string dir = ".";
    base = config;
    size_t slash = config.rfind('/');
    if (slash != std::string::npos) {
        dir = slash == 0 ? "/" : config.substr(0, slash);
        base = config.substr(slash + 1);
    }
    if (ifd < 0 || inotify_add_watch(ifd, dir.c_str(),
                                     IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE | IN_DELETE |
                                         IN_MOVED_FROM) < 0) {
        log(VARPD_LOG_ERR, "cannot watch " + dir + ": " + std::strerror(errno) +
                               "; changes to " + config + " need a restart");
        if (ifd >= 0)
            close(ifd);
        ifd = -1;
    }
}

void Files::watch() {
    alignas(inotify_event) char buf[8192];
    for (;;) {
        pollfd p[2] = {{stop_fd, POLLIN, 0}, {ifd, POLLIN, 0}};
        if (poll(p, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (p[0].revents)
            break;
        bool changed = false;
        bool gone = false;
        ssize_t n;
        while ((n = read(ifd, buf, sizeof(buf))) > 0) {
            for (char* c = buf; c < buf + n;) {
                auto* ev = reinterpret_cast<inotify_event*>(c);
                if (ev->len && base == ev->name) {
                    if (ev->mask & (IN_DELETE | IN_MOVED_FROM))
                        gone = true;
                    else
                        changed = true;
                }
                c += sizeof(inotify_event) + ev->len;
            }
        }
        if (changed)
            load(false);
        else if (gone)
            log(VARPD_LOG_WARNING,
                config + " was removed; the previous table stays in force until it is back");
    }
}

void Files::stop_watch() {
    if (watcher.joinable()) {
        uint64_t one = 1;
        if (write(stop_fd, &one, sizeof(one)) != sizeof(one)) {
        }
        watcher.join();
    }
    if (ifd >= 0)
        close(ifd);
    ifd = -1;
}

int f_create(varpd_provider_t* prov, varpd_mode_t mode, void** argp) {
    if (mode != VARPD_MODE_DYNAMIC)
        return -ENOTSUP;
    try {
        auto f = std::make_unique<Files>();
        f->prov = prov;
        f->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (f->stop_fd < 0)
            return -errno;
        *argp = f.release();
        return 0;
    } catch (...) {
        return -ENOMEM;
    }
}

int f_start(void* arg) {
    Files* f = self(arg);
    try {
        if (f->config.empty()) {
            f->log(VARPD_LOG_ERR, "files/config is required and unset");
            return -EINVAL;
        }
        f->arm();
        if (!f->load(true)) {
            f->stop_watch();
            return -EINVAL;
        }
        uint64_t v;
        if (read(f->stop_fd, &v, sizeof(v)) < 0) { /* clear an earlier stop */
        }
        if (f->ifd >= 0)
            f->watcher = std::thread([f] { f->watch(); });
        return 0;
    } catch (...) {
        return -ENOMEM;
    }
}

void f_stop(void* arg) { self(arg)->stop_watch(); }

void f_destroy(void* arg) {
    Files* f = self(arg);
    f->stop_watch();
    close(f->stop_fd);
    delete f;
}

int f_default(void*, varpd_dest_t*) { return -ENOTSUP; }

void f_lookup(void* arg, varpd_query_t* q, const varpd_lookup_t* what) {
    auto t = self(arg)->current();
    const files::Entry* e = t ? t->find(what->vl_dstmac) : nullptr;
    if (!e) {
        varpd_reply_drop(q);
        return;
    }
    varpd_dest_t d{};
    std::memcpy(d.vd_ip, e->ip.data(), 16);
    d.vd_port = e->port;
    varpd_reply_dest(q, &d);
}

void f_arp(void* arg, varpd_query_t* q, const uint8_t ip[4]) {
    auto t = self(arg)->current();
    const files::Mac* m = t ? t->find_arp(ip) : nullptr;
    if (m)
        varpd_reply_arp(q, m->data());
    else
        varpd_reply_drop(q);
}

void f_ndp(void* arg, varpd_query_t* q, const uint8_t ip6[16]) {
    auto t = self(arg)->current();
    const files::Mac* m = t ? t->find_ndp(ip6) : nullptr;
    if (m)
        varpd_reply_ndp(q, m->data());
    else
        varpd_reply_drop(q);
}

void f_dhcp(void* arg, varpd_query_t* q, const varpd_lookup_t* what) {
    auto t = self(arg)->current();
    const files::Entry* e = t ? t->find(what->vl_srcmac) : nullptr;
    if (e && e->has_dhcp)
        varpd_reply_dhcp(q, e->dhcp_proxy.data());
    else
        varpd_reply_drop(q);
}

int f_nprops(void*, uint32_t* n) {
    *n = 3;
    return 0;
}

int f_propinfo(void*, uint32_t id, varpd_prop_info_t* info) {
    switch (id) {
    case 0:
        varpd_plugin::describe(info, prop_config, VARPD_PROP_T_STRING,
                               VARPD_PROP_PERM_READ | VARPD_PROP_PERM_WRITE |
                                   VARPD_PROP_PERM_REQUIRED);
        return 0;
    case 1:
        varpd_plugin::describe_uint(info, prop_entries, VARPD_PROP_PERM_READ, 0, UINT64_MAX,
                                    nullptr);
        return 0;
    case 2:
        varpd_plugin::describe_uint(info, prop_reloads, VARPD_PROP_PERM_READ, 0, UINT64_MAX,
                                    nullptr);
        return 0;
    default:
        return -ENOENT;
    }
}

int f_getprop(void* arg, const char* name, void* buf, uint32_t* sizep) {
    Files* f = self(arg);
    if (std::strcmp(name, prop_config) == 0)
        return varpd_plugin::give(f->config.c_str(),
                                  f->config.empty() ? 0 : static_cast<uint32_t>(f->config.size() + 1),
                                  buf, sizep);
    if (std::strcmp(name, prop_entries) == 0) {
        auto t = f->current();
        uint64_t n = t ? t->by_mac.size() : 0;
        return varpd_plugin::give(&n, 8, buf, sizep);
    }
    if (std::strcmp(name, prop_reloads) == 0) {
        uint64_t n = f->reloads;
        return varpd_plugin::give(&n, 8, buf, sizep);
    }
    return -ENOENT;
}

int f_setprop(void* arg, const char* name, const void* buf, uint32_t size) {
    Files* f = self(arg);
    if (std::strcmp(name, prop_config) != 0)
        return std::strcmp(name, prop_entries) == 0 || std::strcmp(name, prop_reloads) == 0
                   ? -EPERM
                   : -ENOENT;
    const char* s = static_cast<const char*>(buf);
    if (size < 2 || s[size - 1] != '\0' || std::strlen(s) != size - 1 || s[0] != '/')
        return -EINVAL; /* an absolute path: varpd's cwd is not the operator's */
    try {
        bool running = f->watcher.joinable();
        if (running)
            f->stop_watch();
        std::string old = f->config;
        f->config = s;
        if (running && f_start(f) != 0) { /* the new file is bad: keep the old one */
            f->config = old;
            f_start(f);
            return -EINVAL;
        }
        return 0;
    } catch (...) {
        return -ENOMEM;
    }
}

int f_save(void* arg, void* buf, size_t* lenp) {
    Files* f = self(arg);
    size_t need = f->config.size();
    if (*lenp < need) {
        *lenp = need;
        return -ENOSPC;
    }
    std::memcpy(buf, f->config.data(), need);
    *lenp = need;
    return 0;
}

int f_restore(varpd_provider_t* prov, varpd_mode_t mode, const void* buf, size_t len,
              void** argp) {
    if (len == 0 || len >= 4096 || std::memchr(buf, 0, len) != nullptr ||
        static_cast<const char*>(buf)[0] != '/')
        return -EINVAL;
    int rc = f_create(prov, mode, argp);
    if (rc != 0)
        return rc;
    try {
        self(*argp)->config.assign(static_cast<const char*>(buf), len);
    } catch (...) {
        f_destroy(*argp);
        return -ENOMEM;
    }
    return 0;
}

constexpr const char* no_mappings = "files: mappings come from the file named by files/config; edit that file";
using NoMaps = varpd_plugin::NoMappings<no_mappings>;

const varpd_plugin_ops_t files_ops = {
    .vpo_version = VARPD_PLUGIN_ABI_VERSION,
    .vpo_flags = 0,
    .vpo_reserved = 0,
    .vpo_create = f_create,
    .vpo_start = f_start,
    .vpo_stop = f_stop,
    .vpo_destroy = f_destroy,
    .vpo_default = f_default,
    .vpo_lookup = f_lookup,
    .vpo_nprops = f_nprops,
    .vpo_propinfo = f_propinfo,
    .vpo_getprop = f_getprop,
    .vpo_setprop = f_setprop,
    .vpo_save = f_save,
    .vpo_restore = f_restore,
    .vpo_arp = f_arp,
    .vpo_ndp = f_ndp,
    .vpo_dhcp = f_dhcp,
    VARPD_PLUGIN_NO_MAPPINGS(NoMaps),
};

} // namespace

VARPD_PLUGIN_EXPORT int varpd_plugin_register(varpd_register_t* reg) {
    return varpd_register_plugin(reg, "files", VARPD_MODE_DYNAMIC, &files_ops);
}
