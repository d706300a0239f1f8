/*
 * Daemon: varpd's event loop, instances, lookups, persistence and control
 * server. The theory statement is at the top of main.cpp.
 */
#ifndef VARPD_DAEMON_H
#define VARPD_DAEMON_H

#include "channel.h"
#include "log.h"
#include "persist.h"
#include "plugins.h"
#include "workers.h"

#include <libtools/idspace.h>

#include <array>
#include <atomic>
#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace varpd {

struct Config {
    std::string state_dir;
    std::string plugin_dir; /* informational: main loads the plugins */
    std::string socket_path; /* "" = <state_dir>/varpd.sock */
    unsigned workers = 4;
    size_t batch = 64; /* lookups taken per LOOKUP round */
    int stop_fd = -1;  /* readable = stop (main's signalfd) */
};

struct StatsSnapshot {
    uint64_t lookups = 0, hits = 0, misses = 0, drops = 0, proxy_arp = 0, proxy_ndp = 0,
             proxy_dhcp = 0, errors = 0, outstanding = 0;
    double lat_avg_us = 0, lat_p99_us = 0, lat_max_us = 0;
};

/* Counters updated from any thread (relaxed atomics). */
class Counters {
  public:
    static constexpr size_t nbuckets = 256; /* 1.1^k ns, k < 256: up to ~36 s */
    std::atomic<uint64_t> lookups{0}, hits{0}, misses{0}, drops{0}, proxy_arp{0}, proxy_ndp{0},
        proxy_dhcp{0}, errors{0}, outstanding{0};
    void latency(std::chrono::nanoseconds ns);
    StatsSnapshot snapshot() const;

  private:
    std::atomic<uint64_t> lat_count_{0}, lat_sum_ns_{0}, lat_max_ns_{0};
    std::array<std::atomic<uint64_t>, nbuckets> hist_{};
};

struct PropDesc {
    std::string name, type;
    bool readable, writable, required;
    std::string value, def;
    uint64_t min, max;
    std::string possible;
};

struct InstanceView {
    uint64_t id;
    uint32_t linkid;
    std::string plugin;
    Mode mode;
    StatsSnapshot stats;
};

struct Instance;
struct Query;
class Daemon;

/*
 * A bulk mapping change (the control API's Import): one backend
 * transaction of one instance, opened by Daemon::map_begin. Held by the
 * control server; destroying it before commit (the client dropped the
 * capability or went away) aborts the transaction. Loop thread only.
 */
class MapTxn {
  public:
    ~MapTxn();
    MapTxn(const MapTxn&) = delete;
    MapTxn& operator=(const MapTxn&) = delete;
    bool ended() const { return ended_; }

  private:
    friend class Daemon;
    MapTxn(Daemon& d, std::shared_ptr<Instance> in, uint64_t gen)
        : d_(d), in_(std::move(in)), gen_(gen) {}
    Daemon& d_;
    std::shared_ptr<Instance> in_;
    uint64_t gen_;      /* which transaction of the instance this is */
    bool ended_ = false; /* committed, aborted, or failed to commit */
};

class Daemon {
  public:
    Daemon(Config cfg, const Log& log, const PluginSet& plugins, KernelChannel& chan);
    ~Daemon();
    Daemon(const Daemon&) = delete;
    Daemon& operator=(const Daemon&) = delete;

    /*
     * Restore instances, listen on the control socket, serve until stop().
     * ready (optional) runs on the loop once the socket listens. Throws
     * std::runtime_error when the socket cannot be set up.
     */
    void run(std::function<void()> ready = {});
    void stop();                         /* any thread */
    void post(std::function<void()> fn); /* run fn on the loop; any thread */

    /* Loop thread only (the control server and run() call these). */
    Status create_instance(uint32_t linkid, const std::string& plugin,
                           const std::vector<std::pair<std::string, std::string>>& props,
                           uint64_t& id);
    Status destroy_instance(uint64_t id);
    Status get_prop(uint64_t id, const std::string& name, std::string& value);
    Status set_prop(uint64_t id, const std::string& name, const std::string& value);
    Status prop_info(uint64_t id, std::vector<PropDesc>& out);
    /* A backend's properties, from a transient backend instance (never started). */
    Status plugin_prop_info(const std::string& plugin, std::vector<PropDesc>& out);
    std::vector<InstanceView> instances() const;
    Status stats(uint64_t id, StatsSnapshot& out) const;
    const PluginSet& plugins() const { return plugins_; }
    KernelChannel& channel() { return chan_; }
    const Config& config() const { return cfg_; }
    const std::vector<BadFile>& set_aside() const { return set_aside_; }
    std::map<uint32_t, std::string> degraded() const;
    std::chrono::steady_clock::time_point started_at() const { return started_at_; }

    /*
     * Mappings of a writable backend, by link (loop thread). Each reports
     * through done, on the loop: at once for a non-blocking backend, later
     * for a blocking one, whose map operations run on the worker pool one
     * at a time per instance (a strand), never on the loop. Errors: ENOENT
     * no instance on the link (or no such mapping), ENOTSUP a backend that
     * takes no changes, else the backend's errno; the reason is the
     * backend's own sentence where it wrote one.
     */
    using MapDone = std::function<void(Status)>;
    void map_add(uint32_t linkid, const varpd_mapping_t& m, MapDone done);
    void map_remove(uint32_t linkid, const Mac& mac, MapDone done);
    void map_get(uint32_t linkid, const Mac& mac, std::shared_ptr<varpd_mapping_t> out,
                 MapDone done);
    /* In MAC order, strictly after *after (none: from the first), at most limit. */
    void map_list(uint32_t linkid, std::optional<Mac> after, size_t limit,
                  std::shared_ptr<std::vector<varpd_mapping_t>> out, MapDone done);
    /* A bulk transaction; *out is set when done reports success. */
    void map_begin(uint32_t linkid, std::shared_ptr<std::shared_ptr<MapTxn>> out, MapDone done);
    void txn_put(MapTxn& t, std::vector<varpd_mapping_t> batch, MapDone done);
    void txn_remove(MapTxn& t, std::vector<Mac> macs, MapDone done);
    /* *count: the mappings put or removed in the transaction. */
    void txn_commit(MapTxn& t, std::shared_ptr<uint64_t> count, MapDone done);
    void txn_abort(MapTxn& t);

    /* Reply paths, any thread (the plugin ABI's query and provider ops). */
    void reply_dest(Query* q, const varpd_dest_t* d);
    void reply_drop(Query* q);
    void reply_proxy(Query* q, int kind, const uint8_t mac[6]);
    const Log& log() const { return log_; }
    /* Mark a link degraded with why / clear it (any thread; also shown by status). */
    void degrade(uint32_t linkid, const std::string& why);
    void undegrade(uint32_t linkid);

  private:
    friend struct Instance;
    void restore_all();
    Status read_vnetid(Instance& in);
    Status start_instance(Instance& in);
    Status associate(Instance& in);
    Status persist(Instance& in);
    Status find_prop(Instance& in, const std::string& name, varpd_prop_info_t& info);
    Status describe_props(Instance& in, bool values, std::vector<PropDesc>& out);
    void serve_lookups();
    void dispatch(const LookupRequest& req);
    void call_plugin(std::shared_ptr<Instance> inst, std::function<void()> fn);
    void finish(Query* q);
    void drain_posts();
    std::shared_ptr<Instance> by_id(uint64_t id) const;
    /* Map operations: run job on the instance's strand; done on the loop. */
    Status map_instance(uint32_t linkid, std::shared_ptr<Instance>& out) const;
    void map_run(const std::shared_ptr<Instance>& in, std::function<Status()> job, MapDone done,
                 bool always = false);
    void strand_run(std::shared_ptr<Instance> in);
    /* job on the instance of linkid (none, or one taking no mappings: done says why). */
    void map_job(uint32_t linkid, std::function<Status(Instance&)> job, MapDone done);
    /* A step of t's transaction (end: commit, after which t is spent). */
    void txn_job(MapTxn& t, bool end, std::function<Status(Instance&)> stage, MapDone done);
    /* No map operation runs on in after this returns (an open transaction aborted). */
    void map_close(const std::shared_ptr<Instance>& in);

    Config cfg_;
    const Log& log_;
    const PluginSet& plugins_;
    KernelChannel& chan_;
    PersistStore store_;
    ov::IdSpacePtr ids_;
    Counters global_;
    std::map<uint64_t, std::shared_ptr<Instance>> instances_; /* loop thread */
    std::map<uint32_t, uint64_t> by_link_;                   /* linkid -> id */
    mutable std::mutex degraded_mu_;
    std::map<uint32_t, std::string> degraded_;
    std::vector<BadFile> set_aside_;
    std::chrono::steady_clock::time_point started_at_;

    int post_fd_ = -1;
    std::mutex post_mu_;
    std::deque<std::function<void()>> posts_;
    std::atomic<bool> stopping_{false};
    std::unique_ptr<WorkerPool> pool_;

    struct Loop;
    Loop* loop_ = nullptr; /* valid while run() runs */
};

} // namespace varpd

#endif
