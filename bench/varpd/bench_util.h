/*
 * What the varpd benchmarks share (bench/varpd, bench/sqlite): the MACs of
 * a synthetic table, percentiles, one round of lookups through a Daemon's
 * in-memory kernel channel (FakeChannel) timed from submit to RESPOND, a
 * query handle and a provider for calling a backend directly, and the
 * process's resident memory. Header-only; nothing here is shipped.
 */
#ifndef OVERLAY_BENCH_VARPD_UTIL_H
#define OVERLAY_BENCH_VARPD_UTIL_H

#include "channel_fake.h"
#include "daemon.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <future>
#include <semaphore>
#include <string>
#include <thread>
#include <varpd/plugin.h>
#include <vector>

namespace bench {

using clk = std::chrono::steady_clock;

inline size_t env_size(const char* name, size_t def) {
    const char* v = std::getenv(name);
    return v && *v ? std::strtoull(v, nullptr, 10) : def;
}

/* The i-th MAC of a synthetic table: increasing with i, in text order too. */
inline std::array<uint8_t, 6> mac_of(size_t i) {
    return {0x02,
            0x00,
            static_cast<uint8_t>(i >> 24),
            static_cast<uint8_t>(i >> 16),
            static_cast<uint8_t>(i >> 8),
            static_cast<uint8_t>(i)};
}

/* An overlay_files(5) table of n entries: mac_of(i) -> 10.x.y.z:4789. */
inline std::string files_table(size_t n) {
    std::string s = "{\n";
    char buf[160];
    for (size_t i = 0; i < n; i++) {
        auto m = mac_of(i);
        std::snprintf(buf, sizeof(buf),
                      "%s\"%02x:%02x:%02x:%02x:%02x:%02x\": {\"ip\": \"10.%zu.%zu.%zu\", "
                      "\"port\": 4789}",
                      i ? ",\n" : "", m[0], m[1], m[2], m[3], m[4], m[5], (i >> 16) & 0xff,
                      (i >> 8) & 0xff, i & 0xff);
        s += buf;
    }
    return s + "\n}\n";
}

/* A Daemon running its loop on a thread of its own, stopped at scope end. */
struct Running {
    varpd::Daemon d;
    std::promise<void> ready; /* lives as long as the loop may touch it */
    std::thread loop;
    Running(const varpd::Config& cfg, const varpd::Log& log, const varpd::PluginSet& plugins,
            varpd::FakeChannel& chan)
        : d(cfg, log, plugins, chan) {
        loop = std::thread([this] { d.run([this] { ready.set_value(); }); });
        ready.get_future().wait();
    }
    ~Running() {
        d.stop();
        loop.join();
    }
    Running(const Running&) = delete;
    Running& operator=(const Running&) = delete;
};

/* A Daemon on a FakeChannel holding link 1 (vnet id `vnet`), state in dir. */
struct FakeHost {
    varpd::FakeChannel chan;
    Running run;
    FakeHost(const std::string& dir, const varpd::Log& log, const varpd::PluginSet& plugins,
             uint32_t vnet = 1)
        : run(config(dir), log, plugins, linked(chan, vnet)) {}
    std::string socket() const { return run.d.config().state_dir + "/varpd.sock"; }

private:
    static varpd::Config config(const std::string& dir) {
        varpd::Config c;
        c.state_dir = dir;
        return c;
    }
    static varpd::FakeChannel& linked(varpd::FakeChannel& c, uint32_t vnet) {
        c.add_link(1, vnet);
        return c;
    }
};

/* The p-th percentile (0-100) of v; reorders v. */
inline double pct(std::vector<double>& v, double p) {
    if (v.empty())
        return 0;
    size_t k = static_cast<size_t>(p / 100.0 * static_cast<double>(v.size() - 1));
    std::nth_element(v.begin(), v.begin() + static_cast<long>(k), v.end());
    return v[k];
}

/* VmRSS of this process in MiB (0 when /proc says nothing). */
inline double rss_mib() {
    std::FILE* f = std::fopen("/proc/self/status", "r");
    if (!f)
        return 0;
    char line[256];
    double kib = 0;
    while (std::fgets(line, sizeof(line), f))
        if (std::strncmp(line, "VmRSS:", 6) == 0)
            kib = std::strtod(line + 6, nullptr);
    std::fclose(f);
    return kib / 1024.0;
}

struct Round {
    double per_s;
    std::vector<double> lat_us;
};

constexpr ptrdiff_t window = 256; /* the kernel's request queue, at most */

/*
 * One round through varpd: a unicast miss for each MAC of order[] (by
 * index, mac_of) submitted on link, at most depth outstanding; each timed
 * from submit to its RESPOND.
 */
inline Round through_varpd(varpd::FakeChannel& chan, const std::vector<size_t>& order,
                           uint32_t link, ptrdiff_t depth) {
    size_t n = order.size();
    std::vector<clk::time_point> sent(n), done(n);
    std::counting_semaphore<window> slots(depth);
    std::atomic<size_t> answered{0};
    /* The first id is known once submit returns, maybe after its answer. */
    std::atomic<bool> based{false};
    uint64_t base = 0;
    std::promise<void> all;
    chan.on_outcome = [&](uint64_t reqid) {
        while (!based.load(std::memory_order_acquire))
            std::this_thread::yield();
        size_t i = reqid - base;
        done[i] = clk::now();
        slots.release();
        if (++answered == n)
            all.set_value();
    };
    std::vector<uint8_t> frame(60, 0);
    frame[12] = 0x08;
    auto t0 = clk::now();
    for (size_t i = 0; i < n; i++) {
        auto m = mac_of(order[i]);
        std::memcpy(frame.data(), m.data(), 6);
        frame[11] = 0x77;
        slots.acquire();
        sent[i] = clk::now();
        uint64_t id = chan.submit(link, frame);
        if (i == 0) {
            base = id;
            based.store(true, std::memory_order_release);
        }
    }
    all.get_future().wait();
    double secs = std::chrono::duration<double>(clk::now() - t0).count();
    chan.on_outcome = nullptr;
    Round r{static_cast<double>(n) / secs, {}};
    r.lat_us.reserve(n);
    for (size_t i = 0; i < n; i++)
        r.lat_us.push_back(std::chrono::duration<double, std::micro>(done[i] - sent[i]).count());
    return r;
}

/* A query handle for calling a backend directly: counts what it answered. */
struct DirectAnswer {
    varpd_query_t q{&ops};
    uint64_t got = 0;   /* sum of the last address bytes: keeps the work observable */
    uint64_t dests = 0; /* destinations answered */
    static const varpd_query_ops_t ops;
};
inline const varpd_query_ops_t DirectAnswer::ops = {
    .vqv_dest =
        [](varpd_query_t* q, const varpd_dest_t* d) {
            auto* a = reinterpret_cast<DirectAnswer*>(q);
            a->got += d->vd_ip[15];
            a->dests++;
        },
    .vqv_drop = [](varpd_query_t*) {},
    .vqv_arp = [](varpd_query_t*, const uint8_t*) {},
    .vqv_ndp = [](varpd_query_t*, const uint8_t*) {},
    .vqv_dhcp = [](varpd_query_t*, const uint8_t*) {},
};

/* A provider that ignores what the backend asks; vnet id 1, link 1. */
inline const varpd_provider_ops_t null_provider_ops = {
    .vpv_version = VARPD_PLUGIN_ABI_VERSION,
    .vpv_pad = 0,
    .vpv_cache_inject = [](varpd_provider_t*, const uint8_t*, const varpd_dest_t*) { return 0; },
    .vpv_cache_invalidate = [](varpd_provider_t*, const uint8_t*) { return 0; },
    .vpv_degrade =
        [](varpd_provider_t*, const char* m) {
            std::fprintf(stderr, "bench: backend degraded: %s\n", m);
            return 0;
        },
    .vpv_restore = [](varpd_provider_t*) { return 0; },
    .vpv_log = [](varpd_provider_t*, int, const char*) {},
    .vpv_linkid = [](varpd_provider_t*) -> uint32_t { return 1; },
    .vpv_vnetid = [](varpd_provider_t*) -> uint32_t { return 1; },
    .vpv_cache_flush = [](varpd_provider_t*) { return 0; },
};

} // namespace bench

#endif
