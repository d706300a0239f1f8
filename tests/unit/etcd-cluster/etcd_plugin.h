/*
 * etcd_plugin.h - one etcd backend instance driven as varpd drives it, for
 * the fault tests (test_faults.cpp) and the benchmark's host processes
 * (bench/etcd/host.cpp).
 *
 * Theory: the plugin object is dlopen()ed through the plugin harness
 * (tests/unit/plugins/harness.h: Loaded, Answer); the provider here is a
 * TimedProvider, which records every shootdown (cache_inject, invalidate,
 * flush) with its CLOCK_MONOTONIC time -- one clock for every process on
 * the machine, so a benchmark driver can compare a host's event with its
 * own write -- plus degrade/restore and log lines, and can hand each event
 * to a callback as it happens (the benchmark host prints it). EtcdInstance
 * creates one dynamic-mode instance with the given properties, starts it,
 * answers lookup(mac) synchronously (vpo_lookup on the caller's thread, as
 * varpd's worker pool would, then waits for the answer), and stops and
 * destroys it when it goes.
 *
 * The key layout written by tests is the backend's (varpd-etcd(7)):
 * <prefix>/vnet/<vnetid>/mac/<mac> -> {"ip":"a.b.c.d","port":N}.
 *
 * Locking: TimedProvider's record is guarded by its mutex; the callback
 * runs under no lock, on whichever thread the plugin called from.
 */
#ifndef OVERLAY_TEST_ETCD_PLUGIN_H
#define OVERLAY_TEST_ETCD_PLUGIN_H

#include "harness.h" /* tests/unit/plugins */

#include <arpa/inet.h>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <time.h>
#include <utility>
#include <vector>

namespace etcd_test {

using plugin_harness::Answer;
using plugin_harness::Loaded;
using plugin_harness::Mac6;

inline int64_t mono_ns() {
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return int64_t(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

/* Test MACs: 02:00 (locally administered) then i, big-endian. */
inline Mac6 test_mac(uint32_t i) {
    return {0x02, 0x00, uint8_t(i >> 24), uint8_t(i >> 16), uint8_t(i >> 8), uint8_t(i)};
}
inline std::string mac_str(const Mac6& m) {
    char b[18];
    std::snprintf(b, sizeof b, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
    return b;
}
/* An IPv4 underlay address carrying a number (a sequence number). */
inline std::string seq_ip(uint32_t seq) {
    return "10." + std::to_string((seq >> 16) & 0xff) + "." + std::to_string((seq >> 8) & 0xff) +
           "." + std::to_string(seq & 0xff);
}
/* The number back from a destination written by seq_ip (IPv4-mapped). */
inline uint32_t dest_seq(const varpd_dest_t& d) {
    return (uint32_t(d.vd_ip[13]) << 16) | (uint32_t(d.vd_ip[14]) << 8) | d.vd_ip[15];
}
inline std::string mac_key(const std::string& prefix, uint32_t vnet, const Mac6& m) {
    return prefix + "/vnet/" + std::to_string(vnet) + "/mac/" + mac_str(m);
}
inline std::string mac_value(uint32_t seq, uint16_t port = 4789) {
    return "{\"ip\":\"" + seq_ip(seq) + "\",\"port\":" + std::to_string(port) + "}";
}

/* The mapping of test_mac(i) to seq_ip(seq), port 4789 (for vpo_map_put). */
inline varpd_mapping_t test_mapping(uint32_t i, uint32_t seq) {
    varpd_mapping_t m{};
    Mac6 mac = test_mac(i);
    std::memcpy(m.vm_mac, mac.data(), 6);
    auto ip = plugin_harness::v4(10, uint8_t(seq >> 16), uint8_t(seq >> 8), uint8_t(seq));
    std::memcpy(m.vm_dest.vd_ip, ip.data(), 16);
    m.vm_dest.vd_port = 4789;
    return m;
}

/* A provider that timestamps what the backend asks of varpd. */
struct TimedProvider {
    enum Kind { inject, invalidate, flush };
    struct Event {
        Kind kind;
        Mac6 mac{};
        varpd_dest_t dest{};
        int64_t t_ns = 0;
    };

    varpd_provider_t prov{&ops};
    uint32_t vnetid = 1;
    uint32_t linkid = 1;
    /* Called with each event as it happens (under cb_mu, no other lock). */
    void set_on_event(std::function<void(const Event&)> f) {
        std::lock_guard g(cb_mu);
        on_event = std::move(f);
    }
    std::mutex cb_mu;
    std::function<void(const Event&)> on_event;

    std::mutex mu;
    std::condition_variable cv;
    std::vector<Event> events;
    std::vector<std::pair<int64_t, std::string>> logs;
    std::string degraded; /* "" when not degraded */
    std::string last_degrade;
    size_t degrades = 0, restores = 0;

    static const varpd_provider_ops_t ops;
    static TimedProvider* of(varpd_provider_t* p) { return reinterpret_cast<TimedProvider*>(p); }

    void add(Event e) {
        e.t_ns = mono_ns();
        {
            std::lock_guard g(mu);
            events.push_back(e);
        }
        cv.notify_all();
        std::lock_guard g(cb_mu);
        if (on_event)
            on_event(e);
    }
    std::string degraded_msg() {
        std::lock_guard g(mu);
        return degraded;
    }
    std::string all_logs() {
        std::lock_guard g(mu);
        std::string s;
        for (auto& l : logs)
            s += l.second + "\n";
        return s;
    }
    template <class Pred>
    bool wait_for(Pred pred, std::chrono::milliseconds limit) {
        std::unique_lock l(mu);
        return cv.wait_for(l, limit, [&] { return pred(); });
    }
};

inline const varpd_provider_ops_t TimedProvider::ops = {
    .vpv_version = VARPD_PLUGIN_ABI_VERSION,
    .vpv_pad = 0,
    .vpv_cache_inject =
        [](varpd_provider_t* p, const uint8_t* mac, const varpd_dest_t* d) {
            Event e{inject};
            std::memcpy(e.mac.data(), mac, 6);
            e.dest = *d;
            of(p)->add(e);
            return 0;
        },
    .vpv_cache_invalidate =
        [](varpd_provider_t* p, const uint8_t* mac) {
            Event e{invalidate};
            std::memcpy(e.mac.data(), mac, 6);
            of(p)->add(e);
            return 0;
        },
    .vpv_degrade =
        [](varpd_provider_t* p, const char* msg) {
            {
                std::lock_guard g(of(p)->mu);
                of(p)->degraded = msg && *msg ? msg : "(empty message)";
                of(p)->last_degrade = of(p)->degraded;
                of(p)->degrades++;
            }
            of(p)->cv.notify_all();
            return 0;
        },
    .vpv_restore =
        [](varpd_provider_t* p) {
            {
                std::lock_guard g(of(p)->mu);
                of(p)->degraded.clear();
                of(p)->restores++;
            }
            of(p)->cv.notify_all();
            return 0;
        },
    .vpv_log =
        [](varpd_provider_t* p, int, const char* m) {
            {
                std::lock_guard g(of(p)->mu);
                of(p)->logs.emplace_back(mono_ns(), m ? m : "");
            }
            of(p)->cv.notify_all();
        },
    .vpv_linkid = [](varpd_provider_t* p) -> uint32_t { return of(p)->linkid; },
    .vpv_vnetid = [](varpd_provider_t* p) -> uint32_t { return of(p)->vnetid; },
    .vpv_cache_flush =
        [](varpd_provider_t* p) {
            of(p)->add(Event{flush});
            return 0;
        },
};

/* One dynamic-mode instance of the etcd backend. */
class EtcdInstance {
public:
    /* props: "etcd/endpoints" etc. with string values; uprops: UINT ones. */
    EtcdInstance(const Loaded& lib, TimedProvider& prov,
                 const std::map<std::string, std::string>& props,
                 const std::map<std::string, uint64_t>& uprops = {})
        : o_(lib.ops) {
        if (!o_)
            throw std::runtime_error("plugin not loaded: " + lib.error);
        int rc = o_->vpo_create(&prov.prov, VARPD_MODE_DYNAMIC, &a_);
        if (rc != 0)
            throw std::runtime_error("vpo_create: " + std::to_string(rc));
        for (auto& [k, v] : props)
            if ((rc = plugin_harness::set_str(o_, a_, k.c_str(), v)) != 0)
                setprop_errors_ += k + "=" + v + ": " + std::to_string(rc) + "; ";
        for (auto& [k, v] : uprops)
            if ((rc = plugin_harness::set_uint(o_, a_, k.c_str(), v)) != 0)
                setprop_errors_ += k + ": " + std::to_string(rc) + "; ";
    }
    ~EtcdInstance() {
        if (started_)
            o_->vpo_stop(a_);
        o_->vpo_destroy(a_);
    }
    EtcdInstance(const EtcdInstance&) = delete;
    EtcdInstance& operator=(const EtcdInstance&) = delete;

    const std::string& setprop_errors() const { return setprop_errors_; }
    int start() {
        int rc = o_->vpo_start(a_);
        started_ = rc == 0;
        return rc;
    }
    /* A miss for mac, answered (or Answer::none after limit). */
    Answer lookup(const Mac6& mac, std::chrono::milliseconds limit = std::chrono::seconds(10)) {
        auto qp = std::make_unique<Answer>();
        Answer& q = *qp;
        varpd_lookup_t w{};
        w.vl_linkid = 1;
        w.vl_ethertype = 0x0800;
        std::memcpy(w.vl_dstmac, mac.data(), 6);
        w.vl_srcmac[0] = 0x02;
        w.vl_srcmac[5] = 0xfe;
        o_->vpo_lookup(a_, &q.q, &w);
        bool answered = q.wait(limit);
        std::unique_lock l(q.mu);
        Answer copy(q);
        l.unlock();
        if (!answered) { /* it may still answer: keep the handle valid */
            std::lock_guard g(late_mu_);
            late_.push_back(std::move(qp));
        }
        return copy;
    }
    /* A UINT property (e.g. "etcd/watch_restarts"), or -1 when unreadable. */
    int64_t get_uint(const char* name) const {
        uint64_t v = 0;
        uint32_t size = sizeof v;
        if (o_->vpo_getprop(a_, name, &v, &size) != 0 || size != sizeof v)
            return -1;
        return int64_t(v);
    }
    const varpd_plugin_ops_t* ops() const { return o_; }
    void* arg() const { return a_; }

private:
    const varpd_plugin_ops_t* o_;
    void* a_ = nullptr;
    bool started_ = false;
    std::string setprop_errors_;
    std::mutex late_mu_;
    std::vector<std::unique_ptr<Answer>> late_; /* unanswered in time */
};

} // namespace etcd_test

#endif
