// Daemon: the event loop, instances, lookups. Theory statement: main.cpp.
#include "daemon.h"

#include "control_server.h"
#include "text.h"

#include <algorithm>
#include <capnp/rpc-twoparty.h>
#include <cerrno>
#include <cinttypes>
#include <cmath>
#include <condition_variable>
#include <cstring>
#include <kj/async-io.h>
#include <kj/async-unix.h>
#include <libtools/packet.h>
#include <stdexcept>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

namespace varpd {

/* ---------------------------------------------------------------- counters */

void Counters::latency(std::chrono::nanoseconds d) {
    uint64_t ns = static_cast<uint64_t>(std::max<int64_t>(d.count(), 1));
    lat_count_.fetch_add(1, std::memory_order_relaxed);
    lat_sum_ns_.fetch_add(ns, std::memory_order_relaxed);
    uint64_t m = lat_max_ns_.load(std::memory_order_relaxed);
    while (ns > m && !lat_max_ns_.compare_exchange_weak(m, ns, std::memory_order_relaxed)) {
    }
    size_t b = static_cast<size_t>(std::log(static_cast<double>(ns)) / std::log(1.1));
    hist_[std::min(b, nbuckets - 1)].fetch_add(1, std::memory_order_relaxed);
}

StatsSnapshot Counters::snapshot() const {
    StatsSnapshot s;
    auto ld = [](const std::atomic<uint64_t>& a) { return a.load(std::memory_order_relaxed); };
    s.lookups = ld(lookups);
    s.hits = ld(hits);
    s.misses = ld(misses);
    s.drops = ld(drops);
    s.proxy_arp = ld(proxy_arp);
    s.proxy_ndp = ld(proxy_ndp);
    s.proxy_dhcp = ld(proxy_dhcp);
    s.errors = ld(errors);
    s.outstanding = ld(outstanding);
    uint64_t n = ld(lat_count_);
    if (n == 0)
        return s;
    s.lat_avg_us = static_cast<double>(ld(lat_sum_ns_)) / static_cast<double>(n) / 1000.0;
    s.lat_max_us = static_cast<double>(ld(lat_max_ns_)) / 1000.0;
    uint64_t want = (n * 99 + 99) / 100, seen = 0;
    for (size_t b = 0; b < nbuckets; b++) {
        seen += ld(hist_[b]);
        if (seen >= want) {
            s.lat_p99_us =
                std::min(std::pow(1.1, static_cast<double>(b + 1)) / 1000.0, s.lat_max_us);
            break;
        }
    }
    return s;
}

/* -------------------------------------------------- instances and queries */

struct ProvHandle {
    varpd_provider_t prov; /* first: what the plugin holds */
    Instance* inst;
};

struct Instance {
    ProvHandle ph;
    Daemon* d;
    uint64_t id;
    uint32_t linkid;
    uint32_t vnetid = 0; /* the device's, read before vpo_create/vpo_restore */
    const Backend* be;
    Mode mode;
    void* arg = nullptr;
    bool started = false;
    /* The backend said it is degraded (vpv_degrade) and has not restored since. */
    std::atomic<bool> backend_degraded{false};
    Counters stats;
    std::string label() const { return "instance " + std::to_string(id) + " (" + be->name + ")"; }

    /*
     * Map operations (ABI 2). strand_mu guards the queue and the two flags;
     * the transaction fields are touched only by the one map job running
     * (the strand: a blocking backend's jobs run on the pool one at a time,
     * a non-blocking one's on the loop).
     */
    struct MapTask {
        std::function<Status()> job;
        Daemon::MapDone done;
        bool always = false; /* runs after map_close too (aborts) */
    };
    std::mutex strand_mu;
    std::condition_variable strand_cv;
    std::deque<MapTask> strand;
    bool strand_running = false, map_closed = false;
    void* txn = nullptr; /* the open bulk transaction, if txn_open */
    bool txn_open = false;
    uint64_t txn_gen = 0, txn_count = 0;
    uint64_t txn_next = 0; /* loop thread: generation of the next map_begin */
};

enum QueryKind { K_LOOKUP, K_ARP, K_NDP, K_DHCP, K_DHCP_RESOLVE };

struct QHandle {
    varpd_query_t q; /* first: what the plugin holds */
    Query* self;
};

struct Query {
    QHandle qh;
    Daemon* d;
    std::shared_ptr<Instance> inst;
    LookupRequest req;
    QueryKind kind;
    std::vector<uint8_t> frame; /* proxies: the request frame (resolve: the redirected one) */
    std::chrono::steady_clock::time_point t0;
};

namespace {

Instance* inst_of(varpd_provider_t* p) {
    return reinterpret_cast<ProvHandle*>(p)->inst;
}
Query* query_of(varpd_query_t* q) {
    return reinterpret_cast<QHandle*>(q)->self;
}

Dest dest_of(const varpd_dest_t* d) {
    Dest r;
    std::memcpy(r.ip.data(), d->vd_ip, 16);
    r.port = d->vd_port;
    return r;
}

/* The services an instance's backend may call, from any thread. */
const varpd_provider_ops_t provider_ops = {
    .vpv_version = VARPD_PLUGIN_ABI_VERSION,
    .vpv_pad = 0,
    .vpv_cache_inject = [](varpd_provider_t* p, const uint8_t mac[6],
                           const varpd_dest_t* dest) -> int {
        try {
            Instance* in = inst_of(p);
            CacheEntry e;
            std::memcpy(e.mac.data(), mac, 6);
            e.dest = dest_of(dest);
            Status s = in->d->channel().cache_set(in->linkid, e);
            return s.ok() ? 0 : -s.err;
        } catch (...) {
            return -ENOMEM;
        }
    },
    .vpv_cache_invalidate = [](varpd_provider_t* p, const uint8_t mac[6]) -> int {
        try {
            Instance* in = inst_of(p);
            Mac m;
            std::memcpy(m.data(), mac, 6);
            Status s = in->d->channel().cache_remove(in->linkid, m);
            return s.ok() || s.err == ENOENT ? 0 : -s.err; /* nothing cached: done */
        } catch (...) {
            return -ENOMEM;
        }
    },
    .vpv_degrade = [](varpd_provider_t* p, const char* msg) -> int {
        try {
            Instance* in = inst_of(p);
            const char* m = msg ? msg : "";
            in->backend_degraded = true;
            /* The device's message names the backend once: "etcd: ...", not
               "etcd: etcd: ..." when the backend said so itself. */
            std::string text(m, strnlen(m, VARPD_MSGLEN)), name = in->be->name + ": ";
            in->d->degrade(in->linkid, text.rfind(name, 0) == 0 ? text : name + text);
            return 0;
        } catch (...) {
            return -ENOMEM;
        }
    },
    .vpv_restore = [](varpd_provider_t* p) -> int {
        try {
            Instance* in = inst_of(p);
            in->backend_degraded = false;
            in->d->undegrade(in->linkid);
            return 0;
        } catch (...) {
            return -ENOMEM;
        }
    },
    .vpv_log =
        [](varpd_provider_t* p, int level, const char* msg) {
            try {
                Instance* in = inst_of(p);
                in->d->log()(level, in->label() + ": " + (msg ? msg : ""));
            } catch (...) {
            }
        },
    .vpv_linkid = [](varpd_provider_t* p) -> uint32_t { return inst_of(p)->linkid; },
    .vpv_vnetid = [](varpd_provider_t* p) -> uint32_t { return inst_of(p)->vnetid; },
    .vpv_cache_flush = [](varpd_provider_t* p) -> int {
        try {
            Instance* in = inst_of(p);
            Status s = in->d->channel().cache_flush(in->linkid);
            return s.ok() ? 0 : -s.err;
        } catch (...) {
            return -ENOMEM;
        }
    },
};

/* The answers a backend gives, from any thread; nothing unwinds into it. */
template <int Kind>
void proxy_reply(varpd_query_t* q, const uint8_t mac[6]) {
    try {
        Query* qq = query_of(q);
        qq->d->reply_proxy(qq, Kind, mac);
    } catch (...) {
    }
}

const varpd_query_ops_t query_ops = {
    .vqv_dest =
        [](varpd_query_t* q, const varpd_dest_t* d) {
            try {
                Query* qq = query_of(q);
                qq->d->reply_dest(qq, d);
            } catch (...) {
            }
        },
    .vqv_drop =
        [](varpd_query_t* q) {
            try {
                Query* qq = query_of(q);
                qq->d->reply_drop(qq);
            } catch (...) {
            }
        },
    .vqv_arp = proxy_reply<K_ARP>,
    .vqv_ndp = proxy_reply<K_NDP>,
    .vqv_dhcp = proxy_reply<K_DHCP>,
};

std::string errtext(int rc) {
    return std::strerror(rc < 0 ? -rc : rc);
}

} // namespace

/* ------------------------------------------------------------- the loop */

struct Daemon::Loop : kj::TaskSet::ErrorHandler {
    explicit Loop(Daemon& d) : d(d), io(kj::setupAsyncIo()) {}
    void taskFailed(kj::Exception&& e) override {
        d.log_.err(std::string("event loop task failed: ") + e.getDescription().cStr());
    }
    Daemon& d;
    kj::AsyncIoContext io;
    kj::TaskSet* tasks = nullptr; /* run()'s, declared after what its tasks use */
    kj::Own<kj::PromiseFulfiller<void>> stop;
};

Daemon::Daemon(Config cfg, const Log& log, const PluginSet& plugins, KernelChannel& chan)
    : cfg_(std::move(cfg)), log_(log), plugins_(plugins), chan_(chan), store_(cfg_.state_dir) {
    if (cfg_.socket_path.empty())
        cfg_.socket_path = cfg_.state_dir + "/varpd.sock";
    ov_idspace_t* s = nullptr;
    ov_error_t err;
    if (ov_idspace_create(&s, &err) != 0 || ov_idspace_add_range(s, 1, UINT32_MAX, &err) != 0) {
        ov_idspace_destroy(s);
        throw std::runtime_error(std::string("instance ids: ") + err.reason);
    }
    ids_.reset(s);
    post_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (post_fd_ < 0)
        throw std::runtime_error(std::string("eventfd: ") + std::strerror(errno));
    started_at_ = std::chrono::steady_clock::now();
}

Daemon::~Daemon() {
    if (pool_)
        pool_->shutdown();
    drain_posts();
    close(post_fd_);
}

void Daemon::post(std::function<void()> fn) {
    {
        std::lock_guard g(post_mu_);
        posts_.push_back(std::move(fn));
    }
    uint64_t one = 1;
    ssize_t n = write(post_fd_, &one, sizeof(one));
    (void)n; /* EAGAIN only at counter overflow: the fd is readable anyway */
}

void Daemon::drain_posts() {
    uint64_t v;
    ssize_t n = read(post_fd_, &v, sizeof(v));
    (void)n;
    for (;;) {
        std::deque<std::function<void()>> batch;
        {
            std::lock_guard g(post_mu_);
            batch.swap(posts_);
        }
        if (batch.empty())
            return;
        for (auto& fn : batch) {
            try {
                fn();
            } catch (const std::exception& e) {
                log_.err(std::string("posted job failed: ") + e.what());
            }
        }
    }
}

void Daemon::stop() {
    stopping_ = true;
    post([this] {
        if (loop_ && loop_->stop && loop_->stop->isWaiting())
            loop_->stop->fulfill();
    });
}

namespace {

kj::Promise<void> watch(kj::UnixEventPort::FdObserver& obs, std::function<void()> fn) {
    return obs.whenBecomesReadable().then([&obs, fn]() {
        fn();
        return watch(obs, fn);
    });
}

int listen_unix(const std::string& path, const Log& log) {
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    if (path.size() >= sizeof(sa.sun_path))
        throw std::runtime_error("control socket path too long: " + path);
    std::memcpy(sa.sun_path, path.c_str(), path.size() + 1);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
    unlink(path.c_str()); /* a stale socket of a dead varpd: we hold the state lock */
    mode_t old = umask(077);
    int rc = bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa));
    int e = errno;
    umask(old);
    if (rc != 0 || chmod(path.c_str(), 0600) != 0 || listen(fd, 64) != 0) {
        e = rc != 0 ? e : errno;
        close(fd);
        throw std::runtime_error("control socket " + path + ": " + std::strerror(e));
    }
    log.info("control socket " + path + " (mode 0600)");
    return fd;
}

} // namespace

void Daemon::run(std::function<void()> ready) {
    Loop loop(*this);
    loop_ = &loop;
    struct Unset {
        Daemon* d;
        ~Unset() { d->loop_ = nullptr; }
    } unset{this};
    pool_ = std::make_unique<WorkerPool>(cfg_.workers);

    restore_all();

    /*
     * Everything a task refers to is declared before the TaskSet, so the
     * tasks are destroyed first when run() returns.
     */
    int lfd = listen_unix(cfg_.socket_path, log_);
    auto listener = loop.io.lowLevelProvider->wrapListenSocketFd(
        lfd, kj::LowLevelAsyncIoProvider::TAKE_OWNERSHIP);
    capnp::TwoPartyServer server(make_control(*this));
    uid_t me = geteuid();
    std::function<kj::Promise<void>()> accept_loop = [&]() -> kj::Promise<void> {
        return listener->accept().then([&](kj::Own<kj::AsyncIoStream>&& conn) {
            struct ucred cred {};
            uint len = sizeof(cred);
            bool ok = false;
            try {
                conn->getsockopt(SOL_SOCKET, SO_PEERCRED, &cred, &len);
                ok = cred.uid == 0 || cred.uid == me;
            } catch (const kj::Exception&) {
            }
            if (ok)
                server.accept(kj::mv(conn));
            else
                log_.warn("control connection refused: peer uid " + std::to_string(cred.uid) +
                          " pid " + std::to_string(cred.pid) + " is neither root nor uid " +
                          std::to_string(me));
            return accept_loop();
        });
    };
    using Observer = kj::UnixEventPort::FdObserver;
    Observer post_obs(loop.io.unixEventPort, post_fd_, Observer::OBSERVE_READ);
    kj::Maybe<kj::Own<Observer>> chan_obs, stop_obs;
    if (chan_.fd() >= 0)
        chan_obs = kj::heap<Observer>(loop.io.unixEventPort, chan_.fd(), Observer::OBSERVE_READ);
    else
        log_.info("kernel channel " + chan_.name() +
                  " has no lookup queue to poll (point mode only)");
    if (cfg_.stop_fd >= 0)
        stop_obs = kj::heap<Observer>(loop.io.unixEventPort, cfg_.stop_fd, Observer::OBSERVE_READ);
    auto paf = kj::newPromiseAndFulfiller<void>();
    loop.stop = kj::mv(paf.fulfiller);

    kj::TaskSet tasks(loop);
    loop.tasks = &tasks;
    tasks.add(accept_loop());
    tasks.add(watch(post_obs, [this] { drain_posts(); }));
    KJ_IF_MAYBE (obs, chan_obs)
        tasks.add(watch(**obs, [this] { serve_lookups(); }));
    KJ_IF_MAYBE (obs, stop_obs)
        tasks.add((*obs)->whenBecomesReadable().then([this] {
            log_.info("signal received, stopping");
            if (loop_->stop->isWaiting())
                loop_->stop->fulfill();
        }));
    if (stopping_)
        loop.stop->fulfill();
    if (ready)
        ready();
    log_.info("ready: " + std::to_string(instances_.size()) + " instance(s), " +
              std::to_string(plugins_.backends().size()) + " backend(s), kernel channel " +
              chan_.name());
    paf.promise.wait(loop.io.waitScope);

    /* Shut down: stop every instance, let the workers finish, destroy. */
    for (auto& [id, in] : instances_) {
        map_close(in);
        if (in->started)
            in->be->ops->vpo_stop(in->arg);
        in->started = false;
    }
    instances_.clear();
    by_link_.clear();
    pool_->shutdown(); /* pool_ stays: a late job may still post to it */
    drain_posts();
    unlink(cfg_.socket_path.c_str());
    uint64_t left = global_.outstanding.load();
    if (left != 0)
        log_.warn(std::to_string(left) + " lookup(s) still unanswered at exit");
    log_.info("stopped");
}

/* ------------------------------------------------------------ instances */

std::shared_ptr<Instance> Daemon::by_id(uint64_t id) const {
    auto it = instances_.find(id);
    return it == instances_.end() ? nullptr : it->second;
}

namespace {
/* An instance is destroyed on the loop once the last query holding it is gone. */
std::shared_ptr<Instance> make_instance(Daemon* d) {
    return std::shared_ptr<Instance>(new Instance, [d](Instance* in) {
        d->post([in] {
            if (in->arg)
                in->be->ops->vpo_destroy(in->arg);
            delete in;
        });
    });
}
} // namespace

void Daemon::degrade(uint32_t linkid, const std::string& why) {
    {
        std::lock_guard g(degraded_mu_);
        degraded_[linkid] = why;
    }
    log_.warn("link " + std::to_string(linkid) + " degraded: " + why);
    Status s = chan_.degrade(linkid, why);
    if (!s.ok() && s.err != ENOTSUP)
        log_.err("cannot mark link " + std::to_string(linkid) + " degraded: " + s.why);
}

void Daemon::undegrade(uint32_t linkid) {
    bool was;
    {
        std::lock_guard g(degraded_mu_);
        was = degraded_.erase(linkid) != 0;
    }
    Status r = chan_.restore(linkid);
    if (was && !r.ok() && r.err != ENOTSUP)
        log_.warn("link " + std::to_string(linkid) + ": cannot clear degraded: " + r.why);
    if (was)
        log_.info("link " + std::to_string(linkid) + " no longer degraded");
}

std::map<uint32_t, std::string> Daemon::degraded() const {
    std::lock_guard g(degraded_mu_);
    return degraded_;
}

Status Daemon::associate(Instance& in) {
    Dest dest;
    if (in.mode == Mode::point) {
        varpd_dest_t d{};
        int rc = in.be->ops->vpo_default(in.arg, &d);
        if (rc != 0)
            return Status::fail(-rc, in.label() + ": no destination: " + errtext(rc));
        dest = dest_of(&d);
    }
    Status s = chan_.associate(in.linkid, in.mode, dest);
    if (!s.ok())
        return Status::fail(s.err, in.label() + ": " + s.why);
    return {};
}

Status Daemon::read_vnetid(Instance& in) {
    uint32_t v = 0;
    Status s = chan_.link_vnetid(in.linkid, v);
    if (s.ok()) {
        in.vnetid = v;
        return {};
    }
    /*
     * A writable dynamic backend keys its mappings by it: never guess. A
     * device whose vnetid is not set yet (it cannot be activated so) reads
     * as 0, for every backend: set it before creating the instance.
     */
    if (in.be->writable() && in.mode == Mode::dynamic && s.err != ENODATA)
        return Status::fail(s.err, in.label() + ": cannot read the vnet id of link " +
                                       std::to_string(in.linkid) +
                                       " (its mappings are keyed by it): " + s.why);
    log_.warn(in.label() + ": " + s.why + "; its vnet id reads as 0");
    return {};
}

Status Daemon::start_instance(Instance& in) {
    int rc = in.be->ops->vpo_start(in.arg);
    if (rc != 0)
        return Status::fail(-rc, in.label() + ": start failed: " + errtext(rc) +
                                     " (is a required property unset?)");
    in.started = true;
    Status s = associate(in);
    if (!s.ok()) {
        in.be->ops->vpo_stop(in.arg);
        in.started = false;
        return s;
    }
    /* Started: clear what varpd said (no instance, restore failed), not what the backend says now.
     */
    if (!in.backend_degraded)
        undegrade(in.linkid);
    return {};
}

Status Daemon::persist(Instance& in) {
    std::vector<uint8_t> buf(4096);
    size_t len = buf.size();
    int rc = in.be->ops->vpo_save(in.arg, buf.data(), &len);
    if (rc == -ENOSPC && len > buf.size() && len <= (1u << 20)) {
        buf.resize(len);
        rc = in.be->ops->vpo_save(in.arg, buf.data(), &len);
    }
    if (rc != 0)
        return Status::fail(-rc, in.label() + ": save failed: " + errtext(rc));
    buf.resize(std::min(len, buf.size()));
    InstanceRecord r{in.id, in.linkid, in.be->name, static_cast<uint32_t>(in.mode), buf};
    std::string e = store_.save(r);
    if (!e.empty())
        return Status::fail(EIO, in.label() + ": cannot persist: " + e);
    return {};
}

void Daemon::restore_all() {
    std::vector<InstanceRecord> recs;
    store_.load_all(recs, set_aside_);
    for (auto& b : set_aside_)
        log_.err("instance file " + b.path + " set aside" +
                 (b.moved_to.empty() ? " (rename failed)" : " as " + b.moved_to) + ": " + b.reason);
    for (auto& r : recs) {
        const Backend* be = plugins_.find(r.plugin);
        std::string where =
            "instance " + std::to_string(r.id) + " of link " + std::to_string(r.linkid);
        if (!be) {
            degrade(r.linkid,
                    "varpd: " + where + " needs backend \"" + r.plugin + "\", which is not loaded");
            continue;
        }
        if (static_cast<uint32_t>(be->mode) != r.mode || by_link_.count(r.linkid)) {
            degrade(r.linkid, "varpd: " + where + " does not fit backend \"" + r.plugin +
                                  "\" or its link has another instance");
            continue;
        }
        if (ov_idspace_reserve(ids_.get(), r.id, nullptr) != 0) {
            log_.err(where + ": id already in use, skipped");
            continue;
        }
        auto in = make_instance(this);
        in->ph = ProvHandle{{&provider_ops}, in.get()};
        in->d = this;
        in->id = r.id;
        in->linkid = r.linkid;
        in->be = be;
        in->mode = static_cast<Mode>(r.mode);
        Status s = read_vnetid(*in);
        int rc = s.ok() ? be->ops->vpo_restore(&in->ph.prov, be->mode, r.state.data(),
                                               r.state.size(), &in->arg)
                        : 0;
        if (s.ok())
            s = rc == 0 ? start_instance(*in)
                        : Status::fail(-rc, in->label() + ": restore failed: " + errtext(rc));
        if (!s.ok()) {
            degrade(r.linkid, "varpd: " + s.why);
            ov_idspace_free(ids_.get(), r.id, nullptr);
            continue;
        }
        by_link_[in->linkid] = in->id;
        instances_[in->id] = in;
        log_.info("restored " + in->label() + " on link " + std::to_string(in->linkid));
    }
    /* Every overlay the kernel has must have an instance, or say why not. */
    std::vector<KernelChannel::Link> links;
    Status s = chan_.list_links(links);
    if (!s.ok()) {
        log_.debug("cannot list kernel links: " + s.why);
        return;
    }
    for (auto& l : links) {
        if (by_link_.count(l.linkid))
            continue;
        {
            std::lock_guard g(degraded_mu_);
            if (degraded_.count(l.linkid))
                continue; /* already says why */
        }
        std::string why = "varpd: no instance for this overlay";
        if (!set_aside_.empty()) {
            why += "; set aside at start:";
            for (auto& b : set_aside_)
                why += " " + b.path.substr(b.path.rfind('/') + 1) + " (" + b.reason + ")";
        } else {
            why += " (none was created, or its file is missing)";
        }
        degrade(l.linkid, why.substr(0, VARPD_MSGLEN * 4));
    }
}

Status Daemon::find_prop(Instance& in, const std::string& name, varpd_prop_info_t& info) {
    uint32_t n = 0;
    int rc = in.be->ops->vpo_nprops(in.arg, &n);
    if (rc != 0)
        return Status::fail(-rc, in.label() + ": nprops failed: " + errtext(rc));
    for (uint32_t i = 0; i < n; i++) {
        std::memset(&info, 0, sizeof(info));
        if (in.be->ops->vpo_propinfo(in.arg, i, &info) != 0)
            continue;
        info.vpi_name[VARPD_PROP_NAMELEN - 1] = '\0';
        if (name == info.vpi_name)
            return {};
    }
    return Status::fail(ENOENT, in.label() + " has no property \"" + name + "\"");
}

namespace {

std::string format_value(uint32_t type, const uint8_t* v, uint32_t size) {
    if (size == 0)
        return "";
    switch (type) {
    case VARPD_PROP_T_UINT: {
        uint64_t x = 0;
        std::memcpy(&x, v, std::min<uint32_t>(size, 8));
        return std::to_string(x);
    }
    case VARPD_PROP_T_IP: {
        std::array<uint8_t, 16> ip{};
        std::memcpy(ip.data(), v, std::min<uint32_t>(size, 16));
        return ip_to_text(ip);
    }
    default:
        return std::string(reinterpret_cast<const char*>(v),
                           strnlen(reinterpret_cast<const char*>(v), size));
    }
}

const char* type_name(uint32_t t) {
    return t == VARPD_PROP_T_UINT ? "uint" : t == VARPD_PROP_T_IP ? "ip" : "string";
}

} // namespace

Status Daemon::set_prop(uint64_t id, const std::string& name, const std::string& value) {
    auto in = by_id(id);
    if (!in)
        return Status::fail(ENOENT, "no instance " + std::to_string(id));
    varpd_prop_info_t info;
    Status s = find_prop(*in, name, info);
    if (!s.ok())
        return s;
    if (!(info.vpi_perm & VARPD_PROP_PERM_WRITE))
        return Status::fail(EPERM, "property " + name + " is read-only");
    std::vector<uint8_t> buf;
    switch (info.vpi_type) {
    case VARPD_PROP_T_UINT: {
        char* end = nullptr;
        errno = 0;
        unsigned long long x = std::strtoull(value.c_str(), &end, 10);
        if (value.empty() || *end != '\0' || errno != 0 || value[0] == '-')
            return Status::fail(EINVAL, "property " + name + ": \"" + value +
                                            "\" is not an unsigned decimal number");
        if (x < info.vpi_min || x > info.vpi_max)
            return Status::fail(ERANGE, "property " + name + ": " + value + " is outside " +
                                            std::to_string(info.vpi_min) + "-" +
                                            std::to_string(info.vpi_max));
        uint64_t v = x;
        buf.resize(8);
        std::memcpy(buf.data(), &v, 8);
        break;
    }
    case VARPD_PROP_T_IP: {
        std::array<uint8_t, 16> ip{};
        if (!ip_from_text(value, ip))
            return Status::fail(EINVAL,
                                "property " + name + ": \"" + value + "\" is not an IP address");
        buf.assign(ip.begin(), ip.end());
        break;
    }
    default:
        if (value.size() + 1 > VARPD_PROP_SIZEMAX)
            return Status::fail(EINVAL, "property " + name + ": value longer than " +
                                            std::to_string(VARPD_PROP_SIZEMAX - 1) + " bytes");
        buf.assign(value.begin(), value.end());
        buf.push_back(0);
    }
    int rc = in->be->ops->vpo_setprop(in->arg, name.c_str(), buf.data(),
                                      static_cast<uint32_t>(buf.size()));
    if (rc != 0)
        return Status::fail(-rc,
                            in->label() + ": " + name + "=" + value + " refused: " + errtext(rc));
    if (in->started && in->mode == Mode::point) {
        s = associate(*in);
        if (!s.ok())
            return s;
    }
    if (in->started)
        return persist(*in);
    return {};
}

Status Daemon::get_prop(uint64_t id, const std::string& name, std::string& value) {
    auto in = by_id(id);
    if (!in)
        return Status::fail(ENOENT, "no instance " + std::to_string(id));
    varpd_prop_info_t info;
    Status s = find_prop(*in, name, info);
    if (!s.ok())
        return s;
    std::vector<uint8_t> buf(VARPD_PROP_SIZEMAX);
    uint32_t size = VARPD_PROP_SIZEMAX;
    int rc = in->be->ops->vpo_getprop(in->arg, name.c_str(), buf.data(), &size);
    if (rc != 0)
        return Status::fail(-rc, in->label() + ": get " + name + ": " + errtext(rc));
    value = format_value(info.vpi_type, buf.data(), std::min<uint32_t>(size, VARPD_PROP_SIZEMAX));
    return {};
}

Status Daemon::prop_info(uint64_t id, std::vector<PropDesc>& out) {
    auto in = by_id(id);
    if (!in)
        return Status::fail(ENOENT, "no instance " + std::to_string(id));
    return describe_props(*in, true, out);
}

Status Daemon::plugin_prop_info(const std::string& plugin, std::vector<PropDesc>& out) {
    const Backend* be = plugins_.find(plugin);
    if (!be)
        return Status::fail(ENOENT, "no backend \"" + plugin + "\"");
    /* Never started nor mapped; vpo_destroy runs on the loop when it goes. */
    auto in = make_instance(this);
    in->ph = ProvHandle{{&provider_ops}, in.get()};
    in->d = this;
    in->id = 0;
    in->linkid = 0;
    in->be = be;
    in->mode = static_cast<Mode>(be->mode);
    int rc = be->ops->vpo_create(&in->ph.prov, be->mode, &in->arg);
    if (rc != 0) {
        in->arg = nullptr;
        return Status::fail(-rc, "backend " + plugin + ": create failed: " + errtext(rc));
    }
    return describe_props(*in, false, out);
}

Status Daemon::describe_props(Instance& inst, bool values, std::vector<PropDesc>& out) {
    Instance* in = &inst;
    uint64_t id = in->id;
    uint32_t n = 0;
    int rc = in->be->ops->vpo_nprops(in->arg, &n);
    if (rc != 0)
        return Status::fail(-rc, in->label() + ": nprops: " + errtext(rc));
    for (uint32_t i = 0; i < n; i++) {
        varpd_prop_info_t info;
        std::memset(&info, 0, sizeof(info));
        rc = in->be->ops->vpo_propinfo(in->arg, i, &info);
        if (rc != 0)
            return Status::fail(-rc, in->label() + ": propinfo " + std::to_string(i) + ": " +
                                         errtext(rc));
        info.vpi_name[VARPD_PROP_NAMELEN - 1] = '\0';
        info.vpi_possible[sizeof(info.vpi_possible) - 1] = '\0';
        PropDesc p;
        p.name = info.vpi_name;
        p.type = type_name(info.vpi_type);
        p.readable = info.vpi_perm & VARPD_PROP_PERM_READ;
        p.writable = info.vpi_perm & VARPD_PROP_PERM_WRITE;
        p.required = info.vpi_perm & VARPD_PROP_PERM_REQUIRED;
        p.def = format_value(info.vpi_type, info.vpi_default,
                             std::min<uint32_t>(info.vpi_defsize, VARPD_PROP_SIZEMAX));
        p.min = info.vpi_min;
        p.max = info.vpi_max;
        p.possible = info.vpi_possible;
        if (values && p.readable)
            get_prop(id, p.name, p.value);
        out.push_back(std::move(p));
    }
    return {};
}

Status Daemon::create_instance(uint32_t linkid, const std::string& plugin,
                               const std::vector<std::pair<std::string, std::string>>& props,
                               uint64_t& id) {
    const Backend* be = plugins_.find(plugin);
    if (!be) {
        std::string names;
        for (auto& b : plugins_.backends())
            names += (names.empty() ? "" : ", ") + b.name;
        return Status::fail(ENOENT, "no backend \"" + plugin +
                                        "\" (loaded: " + (names.empty() ? "none" : names) + ")");
    }
    if (by_link_.count(linkid))
        return Status::fail(EEXIST, "link " + std::to_string(linkid) + " already has instance " +
                                        std::to_string(by_link_[linkid]));
    ov_error_t err;
    uint64_t newid;
    if (ov_idspace_alloc(ids_.get(), &newid, &err) != 0)
        return Status::fail(err.code, std::string("instance id: ") + err.reason);
    auto in = make_instance(this);
    in->ph = ProvHandle{{&provider_ops}, in.get()};
    in->d = this;
    in->id = newid;
    in->linkid = linkid;
    in->be = be;
    in->mode = static_cast<Mode>(be->mode);
    auto fail = [&](Status s) {
        if (in->started)
            be->ops->vpo_stop(in->arg);
        in->started = false;
        ov_idspace_free(ids_.get(), newid, nullptr);
        return s;
    };
    Status vs = read_vnetid(*in);
    if (!vs.ok())
        return fail(vs);
    int rc = be->ops->vpo_create(&in->ph.prov, be->mode, &in->arg);
    if (rc != 0) {
        in->arg = nullptr;
        return fail(Status::fail(-rc, "backend " + plugin + ": create failed: " + errtext(rc)));
    }
    instances_[newid] = in; /* set_prop finds it by id */
    for (auto& [k, v] : props) {
        Status s = set_prop(newid, k, v);
        if (!s.ok()) {
            instances_.erase(newid);
            return fail(s);
        }
    }
    Status s = start_instance(*in);
    if (s.ok())
        s = persist(*in);
    if (!s.ok()) {
        instances_.erase(newid);
        if (in->started)
            chan_.disassociate(linkid);
        return fail(s);
    }
    by_link_[linkid] = newid;
    id = newid;
    log_.info("created " + in->label() + " on link " + std::to_string(linkid));
    return {};
}

Status Daemon::destroy_instance(uint64_t id) {
    auto in = by_id(id);
    if (!in)
        return Status::fail(ENOENT, "no instance " + std::to_string(id));
    map_close(in);
    if (in->started)
        in->be->ops->vpo_stop(in->arg);
    in->started = false;
    Status s = chan_.disassociate(in->linkid);
    if (!s.ok() && s.err != ENOENT)
        log_.warn(in->label() + ": disassociate: " + s.why);
    std::string e = store_.remove(id);
    if (!e.empty())
        log_.err(in->label() + ": " + e);
    by_link_.erase(in->linkid);
    instances_.erase(id);
    ov_idspace_free(ids_.get(), id, nullptr);
    log_.info("destroyed " + in->label());
    return {};
}

std::vector<InstanceView> Daemon::instances() const {
    std::vector<InstanceView> v;
    for (auto& [id, in] : instances_)
        v.push_back(InstanceView{id, in->linkid, in->be->name, in->mode, in->stats.snapshot()});
    return v;
}

Status Daemon::stats(uint64_t id, StatsSnapshot& out) const {
    if (id == 0) {
        out = global_.snapshot();
        return {};
    }
    auto in = by_id(id);
    if (!in)
        return Status::fail(ENOENT, "no instance " + std::to_string(id));
    out = in->stats.snapshot();
    return {};
}

/* -------------------------------------------------------------- mappings */

namespace {

constexpr size_t map_list_max = 100000; /* mappings per listMappings answer */

/* A backend's failure: its own sentence, else the operation and errno. */
Status backend_fail(const Instance& in, const char* op, int rc, const varpd_err_t& e) {
    std::string msg(e.ve_msg, strnlen(e.ve_msg, VARPD_ERRLEN));
    if (msg.empty())
        msg = in.label() + ": " + op + " failed: " + errtext(rc);
    return Status::fail(rc < 0 ? -rc : EIO, msg);
}

Status cancelled(const Instance& in) {
    return Status::fail(ECANCELED, in.label() + " is being destroyed; the mapping change was "
                                                "not made");
}

std::string link_text(uint32_t linkid) {
    return "link " + std::to_string(linkid);
}

} // namespace

MapTxn::~MapTxn() {
    if (!ended_)
        d_.txn_abort(*this);
}

Status Daemon::map_instance(uint32_t linkid, std::shared_ptr<Instance>& out) const {
    auto it = by_link_.find(linkid);
    if (it == by_link_.end())
        return Status::fail(ENOENT, link_text(linkid) + " has no varpd instance");
    out = instances_.at(it->second);
    if (!out->be->writable())
        return Status::fail(ENOTSUP, "backend " + out->be->name + " (plugin ABI " +
                                         std::to_string(out->be->abi) +
                                         ") takes no mapping changes");
    return {};
}

void Daemon::map_run(const std::shared_ptr<Instance>& in, std::function<Status()> job, MapDone done,
                     bool always) {
    auto guarded = [](const std::function<Status()>& j) {
        try {
            return j();
        } catch (const std::exception& e) {
            return Status::fail(ENOMEM, e.what());
        }
    };
    bool closed;
    {
        std::lock_guard g(in->strand_mu);
        closed = in->map_closed;
    }
    if (closed) {
        /*
         * map_close aborted what was open; nothing more reaches the backend
         * (at shutdown the pool is gone: a job queued now would never run and
         * would keep the instance alive past the daemon).
         */
        done(always ? Status{} : cancelled(*in));
        return;
    }
    if (!in->be->blocking()) {
        done(guarded(job));
        return;
    }
    bool start = false;
    {
        std::lock_guard g(in->strand_mu);
        in->strand.push_back(Instance::MapTask{std::move(job), std::move(done), always});
        if (!in->strand_running)
            in->strand_running = start = true;
    }
    if (start)
        pool_->post([this, in] { strand_run(in); });
}

/* One job of the strand per pool job, so lookups queued meanwhile go first. */
void Daemon::strand_run(std::shared_ptr<Instance> in) {
    Instance::MapTask t;
    bool closed;
    {
        std::lock_guard g(in->strand_mu);
        if (in->strand.empty()) {
            in->strand_running = false;
            in->strand_cv.notify_all();
            return;
        }
        t = std::move(in->strand.front());
        in->strand.pop_front();
        closed = in->map_closed;
    }
    Status s;
    if (closed && !t.always) {
        s = cancelled(*in);
    } else {
        try {
            s = t.job();
        } catch (const std::exception& e) {
            s = Status::fail(ENOMEM, e.what());
        }
    }
    t.job = nullptr;
    post([done = std::move(t.done), s] { done(s); });
    bool more;
    {
        std::lock_guard g(in->strand_mu);
        more = !in->strand.empty();
        if (!more) {
            in->strand_running = false;
            in->strand_cv.notify_all();
        }
    }
    if (more)
        pool_->post([this, in] { strand_run(in); });
}

void Daemon::map_close(const std::shared_ptr<Instance>& in) {
    if (!in->be->writable())
        return;
    Instance* p = in.get();
    map_run(
        in,
        [p]() -> Status {
            if (p->txn_open)
                p->be->ops->vpo_map_abort(p->arg, p->txn);
            p->txn_open = false;
            p->txn = nullptr;
            return {};
        },
        [](Status) {}, true);
    std::unique_lock l(in->strand_mu);
    in->map_closed = true;
    /*
     * Blocks the loop until the strand drains: the call in progress, then
     * the queued jobs (cancelled at once, but the abort) once the pool
     * reaches them.
     */
    in->strand_cv.wait(l, [&] { return !in->strand_running; });
}

namespace {

/* One change in a transaction of its own: begin, stage, commit. */
Status single_change(Instance& in, const std::function<int(void* txn, varpd_err_t*)>& stage,
                     const char* op) {
    const varpd_plugin_ops_t* o = in.be->ops;
    varpd_err_t e{};
    void* txn = nullptr;
    int rc = o->vpo_map_begin(in.arg, &txn, &e);
    if (rc != 0)
        return backend_fail(in, "begin", rc, e);
    e = varpd_err_t{};
    rc = stage(txn, &e);
    if (rc != 0) {
        o->vpo_map_abort(in.arg, txn);
        return backend_fail(in, op, rc, e);
    }
    e = varpd_err_t{};
    rc = o->vpo_map_commit(in.arg, txn, &e);
    return rc == 0 ? Status{} : backend_fail(in, "commit", rc, e);
}

} // namespace

void Daemon::map_job(uint32_t linkid, std::function<Status(Instance&)> job, MapDone done) {
    std::shared_ptr<Instance> in;
    Status s = map_instance(linkid, in);
    if (!s.ok())
        return done(s);
    Instance* p = in.get();
    map_run(
        in, [p, job = std::move(job)] { return job(*p); }, std::move(done));
}

void Daemon::map_add(uint32_t linkid, const varpd_mapping_t& m, MapDone done) {
    auto job = [m](Instance& in) {
        auto put = [&](void* txn, varpd_err_t* e) {
            return in.be->ops->vpo_map_put(in.arg, txn, &m, 1, e);
        };
        return single_change(in, put, "put");
    };
    map_job(linkid, job, std::move(done));
}

void Daemon::map_remove(uint32_t linkid, const Mac& mac, MapDone done) {
    auto job = [mac](Instance& in) {
        auto remove = [&](void* txn, varpd_err_t* e) {
            return in.be->ops->vpo_map_remove(in.arg, txn, mac.data(), e);
        };
        return single_change(in, remove, "remove");
    };
    map_job(linkid, job, std::move(done));
}

void Daemon::map_get(uint32_t linkid, const Mac& mac, std::shared_ptr<varpd_mapping_t> out,
                     MapDone done) {
    auto job = [mac, out, linkid](Instance& in) -> Status {
        varpd_err_t e{};
        std::memset(out.get(), 0, sizeof(*out));
        int rc = in.be->ops->vpo_map_get(in.arg, mac.data(), out.get(), &e);
        if (rc == -ENOENT && e.ve_msg[0] == '\0')
            return Status::fail(ENOENT,
                                "no mapping of " + mac_to_text(mac) + " on " + link_text(linkid));
        return rc == 0 ? Status{} : backend_fail(in, "get", rc, e);
    };
    map_job(linkid, job, std::move(done));
}

void Daemon::map_list(uint32_t linkid, std::optional<Mac> after, size_t limit,
                      std::shared_ptr<std::vector<varpd_mapping_t>> out, MapDone done) {
    limit = std::min(limit, map_list_max);
    auto job = [after, limit, out](Instance& in) -> Status {
        struct Walk {
            std::vector<varpd_mapping_t>* v;
            size_t limit;
            bool nomem;
        } w{out.get(), limit, false};
        out->clear();
        varpd_err_t e{};
        int rc = in.be->ops->vpo_map_walk(
            in.arg, after ? after->data() : nullptr, limit,
            [](void* c, const varpd_mapping_t* m) -> int {
                auto* w = static_cast<Walk*>(c);
                try { /* nothing unwinds into the backend */
                    w->v->push_back(*m);
                } catch (...) {
                    w->nomem = true;
                    return 1;
                }
                return w->v->size() >= w->limit ? 1 : 0;
            },
            &w, &e);
        if (w.nomem)
            return Status::fail(ENOMEM, in.label() + ": out of memory listing mappings");
        if (rc != 0)
            return backend_fail(in, "walk", rc, e);
        if (out->size() > limit)
            out->resize(limit);
        return {};
    };
    map_job(linkid, job, std::move(done));
}

void Daemon::map_begin(uint32_t linkid, std::shared_ptr<std::shared_ptr<MapTxn>> out,
                       MapDone done) {
    std::shared_ptr<Instance> in;
    Status s = map_instance(linkid, in);
    if (!s.ok())
        return done(s);
    Instance* p = in.get();
    uint64_t gen = ++in->txn_next;
    map_run(
        in,
        [p, gen, linkid]() -> Status {
            if (p->txn_open)
                return Status::fail(EBUSY, "an import into " + link_text(linkid) +
                                               " is already in progress");
            varpd_err_t e{};
            void* txn = nullptr;
            int rc = p->be->ops->vpo_map_begin(p->arg, &txn, &e);
            if (rc != 0)
                return backend_fail(*p, "begin", rc, e);
            p->txn = txn;
            p->txn_open = true;
            p->txn_gen = gen;
            p->txn_count = 0;
            return {};
        },
        [this, in, gen, out, done = std::move(done)](Status s) {
            if (s.ok()) /* from here on, dropping it aborts the transaction */
                *out = std::shared_ptr<MapTxn>(new MapTxn(*this, in, gen));
            done(s);
        });
}

namespace {

Status txn_gone(const Instance& in) {
    return Status::fail(ECANCELED, in.label() + ": the import is no longer open (aborted)");
}

/*
 * A put or remove of an open import failed: abort the backend's transaction
 * now, so a commit sent after the failure (a client that does not wait, or
 * one that catches the error) finds it gone instead of committing what was
 * staged before the bad change.
 */
Status fail_stage(Instance& in, Status s) {
    in.be->ops->vpo_map_abort(in.arg, in.txn);
    in.txn_open = false;
    in.txn = nullptr;
    s.why += "; the import was aborted, nothing of it is committed";
    return s;
}

} // namespace

void Daemon::txn_job(MapTxn& t, bool end, std::function<Status(Instance&)> stage, MapDone done) {
    if (t.ended_)
        return done(Status::fail(EINVAL, "the import is already committed or aborted"));
    if (end)
        t.ended_ = true; /* a failed commit ends the transaction too (plugin.h) */
    Instance* p = t.in_.get();
    uint64_t gen = t.gen_;
    map_run(
        t.in_,
        [p, gen, stage = std::move(stage)]() -> Status {
            if (!p->txn_open || p->txn_gen != gen)
                return txn_gone(*p);
            return stage(*p);
        },
        std::move(done));
}

void Daemon::txn_put(MapTxn& t, std::vector<varpd_mapping_t> batch, MapDone done) {
    auto stage = [batch = std::move(batch)](Instance& in) -> Status {
        if (batch.empty())
            return {};
        varpd_err_t e{};
        int rc = in.be->ops->vpo_map_put(in.arg, in.txn, batch.data(), batch.size(), &e);
        if (rc != 0)
            return fail_stage(in, backend_fail(in, "put", rc, e));
        in.txn_count += batch.size();
        return {};
    };
    txn_job(t, false, std::move(stage), std::move(done));
}

void Daemon::txn_remove(MapTxn& t, std::vector<Mac> macs, MapDone done) {
    auto stage = [macs = std::move(macs)](Instance& in) -> Status {
        for (auto& m : macs) {
            varpd_err_t e{};
            int rc = in.be->ops->vpo_map_remove(in.arg, in.txn, m.data(), &e);
            if (rc != 0)
                return fail_stage(in, backend_fail(in, "remove", rc, e));
            in.txn_count++;
        }
        return {};
    };
    txn_job(t, false, std::move(stage), std::move(done));
}

void Daemon::txn_commit(MapTxn& t, std::shared_ptr<uint64_t> count, MapDone done) {
    auto stage = [count](Instance& in) -> Status {
        varpd_err_t e{};
        int rc = in.be->ops->vpo_map_commit(in.arg, in.txn, &e);
        in.txn_open = false;
        in.txn = nullptr;
        if (rc != 0)
            return backend_fail(in, "commit", rc, e);
        *count = in.txn_count;
        return {};
    };
    txn_job(t, true, std::move(stage), std::move(done));
}

void Daemon::txn_abort(MapTxn& t) {
    if (t.ended_)
        return;
    t.ended_ = true;
    Instance* p = t.in_.get();
    uint64_t gen = t.gen_;
    map_run(
        t.in_,
        [p, gen]() -> Status {
            if (p->txn_open && p->txn_gen == gen) {
                p->be->ops->vpo_map_abort(p->arg, p->txn);
                p->txn_open = false;
                p->txn = nullptr;
            }
            return {};
        },
        [](Status) {}, true);
}

/* --------------------------------------------------------------- lookups */

namespace {

constexpr uint16_t ETH_ARP = 0x0806, ETH_IP = 0x0800, ETH_IPV6 = 0x86dd;

/* What a broadcast/multicast frame asks; K_LOOKUP means "nothing we answer". */
QueryKind classify(const std::vector<uint8_t>& f, uint8_t ip[16]) {
    if (f.size() < 14)
        return K_LOOKUP;
    uint16_t et = static_cast<uint16_t>(f[12] << 8 | f[13]);
    if (et == ETH_ARP && f.size() >= 42 && f[14] == 0 && f[15] == 1 && f[16] == 0x08 &&
        f[17] == 0 && f[18] == 6 && f[19] == 4 && f[20] == 0 && f[21] == 1) {
        std::memcpy(ip, &f[38], 4);
        return K_ARP;
    }
    if (et == ETH_IPV6 && f.size() >= 78 && (f[14] >> 4) == 6 && f[20] == 58 && f[54] == 135) {
        std::memcpy(ip, &f[62], 16);
        return K_NDP;
    }
    if (et == ETH_IP && f.size() >= 34 && (f[14] >> 4) == 4 && f[23] == 17) {
        size_t ihl = (f[14] & 0xf) * 4u;
        if (ihl >= 20 && f.size() >= 14 + ihl + 8) {
            const uint8_t* u = &f[14 + ihl];
            if ((u[0] << 8 | u[1]) == 68 && (u[2] << 8 | u[3]) == 67)
                return K_DHCP;
        }
    }
    return K_LOOKUP;
}

} // namespace

void Daemon::serve_lookups() {
    std::vector<LookupRequest> batch;
    batch.reserve(cfg_.batch);
    Status s = chan_.lookup_batch(batch, cfg_.batch);
    if (!s.ok()) {
        log_.err("LOOKUP: " + s.why);
        return;
    }
    for (auto& r : batch)
        dispatch(r);
    if (batch.size() == cfg_.batch && loop_ && loop_->tasks) /* more may wait: yield to RPC */
        loop_->tasks->add(kj::evalLater([this] { serve_lookups(); }));
}

void Daemon::call_plugin(std::shared_ptr<Instance> inst, std::function<void()> fn) {
    if (inst->be->blocking())
        pool_->post(std::move(fn));
    else
        fn();
}

void Daemon::dispatch(const LookupRequest& req) {
    global_.lookups++;
    auto it = by_link_.find(req.linkid);
    std::shared_ptr<Instance> in = it == by_link_.end() ? nullptr : instances_[it->second];
    if (!in || in->mode != Mode::dynamic || !in->started) {
        global_.drops++;
        chan_.drop(req.reqid);
        return;
    }
    in->stats.lookups++;
    auto q = std::make_unique<Query>();
    q->qh = QHandle{{&query_ops}, q.get()};
    q->d = this;
    q->inst = in;
    q->req = req;
    q->kind = K_LOOKUP;
    q->t0 = std::chrono::steady_clock::now();
    uint8_t ip[16] = {};
    if (req.dst[0] & 1) { /* broadcast or multicast: only what we proxy */
        Status s = chan_.pkt(req.reqid, q->frame);
        q->kind = s.ok() ? classify(q->frame, ip) : K_LOOKUP;
        bool bcast = req.dst == Mac{0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
        if (q->kind == K_LOOKUP || (q->kind == K_DHCP && !bcast) || (q->kind == K_ARP && !bcast)) {
            global_.drops++;
            in->stats.drops++;
            chan_.drop(req.reqid);
            return;
        }
    }
    global_.outstanding++;
    in->stats.outstanding++;
    Query* raw = q.release(); /* owned by the protocol now: freed by its one answer */
    varpd_lookup_t what{};
    what.vl_linkid = req.linkid;
    what.vl_ethertype = req.ethertype;
    what.vl_vlan = req.vlan;
    std::memcpy(what.vl_dstmac, req.dst.data(), 6);
    std::memcpy(what.vl_srcmac, req.src.data(), 6);
    std::array<uint8_t, 16> addr;
    std::memcpy(addr.data(), ip, 16);
    call_plugin(in, [raw, what, addr, in] {
        const varpd_plugin_ops_t* ops = in->be->ops;
        switch (raw->kind) {
        case K_ARP:
            ops->vpo_arp(in->arg, &raw->qh.q, addr.data());
            break;
        case K_NDP:
            ops->vpo_ndp(in->arg, &raw->qh.q, addr.data());
            break;
        case K_DHCP:
            ops->vpo_dhcp(in->arg, &raw->qh.q, &what);
            break;
        default:
            ops->vpo_lookup(in->arg, &raw->qh.q, &what);
        }
    });
}

void Daemon::finish(Query* q) {
    q->inst->stats.latency(std::chrono::steady_clock::now() - q->t0);
    global_.latency(std::chrono::steady_clock::now() - q->t0);
    q->inst->stats.outstanding--;
    global_.outstanding--;
    delete q;
}

void Daemon::reply_dest(Query* q, const varpd_dest_t* d) {
    Instance& in = *q->inst;
    Dest dest = dest_of(d);
    Status s;
    if (q->kind == K_LOOKUP) {
        s = chan_.respond(q->req.reqid, dest);
        if (s.ok()) {
            global_.hits++;
            in.stats.hits++;
        }
    } else if (q->kind == K_DHCP_RESOLVE) {
        s = chan_.resend(in.linkid, q->frame, dest);
        chan_.drop(q->req.reqid);
        if (s.ok()) {
            global_.proxy_dhcp++;
            in.stats.proxy_dhcp++;
        }
    } else {
        s = Status::fail(EPROTO, in.label() + " answered an ARP/NDP/DHCP query with a destination");
        chan_.drop(q->req.reqid);
    }
    if (!s.ok()) {
        global_.errors++;
        in.stats.errors++;
        log_.warn(in.label() + ": " + s.why);
    }
    finish(q);
}

void Daemon::reply_drop(Query* q) {
    chan_.drop(q->req.reqid);
    global_.misses++;
    q->inst->stats.misses++;
    finish(q);
}

void Daemon::reply_proxy(Query* q, int kind, const uint8_t mac[6]) {
    Instance& in = *q->inst;
    if (kind != q->kind) {
        log_.warn(in.label() + ": answered a query with the wrong kind of reply; dropped");
        chan_.drop(q->req.reqid);
        global_.errors++;
        in.stats.errors++;
        finish(q);
        return;
    }
    ov_ether_addr_t answer;
    std::memcpy(answer.octet, mac, 6);
    std::vector<uint8_t> out(std::max<size_t>(q->frame.size(), OV_PACKET_NA_LEN) + 64);
    ov_error_t err;
    ov::PacketResult r{};
    if (kind == K_ARP)
        r = ov::packet_arp_reply(q->frame, answer, out, &err);
    else if (kind == K_NDP)
        r = ov::packet_na_reply(q->frame, answer, OV_PACKET_NA_OVERRIDE, out, &err);
    else
        r = ov::packet_dhcp_redirect(q->frame, answer, out, &err);
    if (r.rc != 0) { /* a malformed request: counted and dropped */
        log_.debug(in.label() + ": proxy request refused: " + err.reason);
        chan_.drop(q->req.reqid);
        global_.drops++;
        in.stats.drops++;
        finish(q);
        return;
    }
    out.resize(r.len);
    if (kind == K_DHCP) {
        /* Now find where the proxy lives: a lookup of its MAC, then RESEND. */
        auto rq = std::make_unique<Query>();
        rq->qh = QHandle{{&query_ops}, rq.get()};
        rq->d = this;
        rq->inst = q->inst;
        rq->req = q->req;
        std::memcpy(rq->req.dst.data(), mac, 6);
        rq->kind = K_DHCP_RESOLVE;
        rq->frame = std::move(out);
        rq->t0 = q->t0;
        global_.outstanding++;
        in.stats.outstanding++;
        finish(q);
        Query* raw = rq.release();
        varpd_lookup_t what{};
        what.vl_linkid = raw->req.linkid;
        what.vl_ethertype = raw->req.ethertype;
        std::memcpy(what.vl_dstmac, mac, 6);
        std::memcpy(what.vl_srcmac, raw->req.src.data(), 6);
        auto inst = raw->inst;
        auto job = [raw, what, inst] { inst->be->ops->vpo_lookup(inst->arg, &raw->qh.q, &what); };
        if (inst->be->blocking())
            pool_->post(job);
        else
            post(job); /* we may be on the plugin's own thread: back to the loop */
        return;
    }
    Status s = chan_.inject(in.linkid, out);
    chan_.drop(q->req.reqid);
    if (s.ok()) {
        (kind == K_ARP ? global_.proxy_arp : global_.proxy_ndp)++;
        (kind == K_ARP ? in.stats.proxy_arp : in.stats.proxy_ndp)++;
    } else {
        global_.errors++;
        in.stats.errors++;
        log_.warn(in.label() + ": INJECT: " + s.why);
    }
    finish(q);
}

} // namespace varpd
