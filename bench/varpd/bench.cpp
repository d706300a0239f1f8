/*
 * varpd-bench: lookups per second and latency percentiles through varpd
 * with the files backend, and the same backend called directly.
 *
 * Setup: a files table of VARPD_BENCH_ENTRIES MACs; a Daemon on its own
 * thread with the in-memory kernel channel (FakeChannel), one files
 * instance created over the real control socket. The "kernel" (this
 * thread) submits VARPD_BENCH_LOOKUPS unicast misses for MACs of the table
 * in a pseudo-random order, keeping at most WINDOW outstanding (the
 * kernel's request queue), and timestamps each request at submit and at
 * RESPOND. Latency = RESPOND - submit, so it includes the eventfd wake-up
 * and the batched LOOKUP, as the kernel would see it.
 *
 * Peer: the same files.so, dlopened, vpo_lookup called in a loop on the
 * same MACs with a query handle that records the answer: the backend's own
 * cost. The ratio says what varpd adds. Both in one run, best of three
 * rounds for the rates (the machine is shared).
 *
 * Against the real overlay.ko: vm/ (10-varpd-vm.sh in the VM, run.sh adds
 * files_vm_* to the same JSON; the bench-varpd target runs both).
 */
#include "channel_fake.h"
#include "client.h"
#include "daemon.h"
#include "plugins.h"

#include <libtools/rename.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dlfcn.h>
#include <filesystem>
#include <fstream>
#include <future>
#include <random>
#include <semaphore>
#include <thread>
#include <vector>

using clk = std::chrono::steady_clock;

namespace {

size_t env_size(const char* name, size_t def) {
    const char* v = std::getenv(name);
    return v && *v ? std::strtoull(v, nullptr, 10) : def;
}

std::array<uint8_t, 6> mac_of(size_t i) {
    return {0x02, 0x00, static_cast<uint8_t>(i >> 24), static_cast<uint8_t>(i >> 16),
            static_cast<uint8_t>(i >> 8), static_cast<uint8_t>(i)};
}

std::string table(size_t n) {
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

double pct(std::vector<double>& v, double p) {
    size_t k = static_cast<size_t>(p / 100.0 * static_cast<double>(v.size() - 1));
    std::nth_element(v.begin(), v.begin() + static_cast<long>(k), v.end());
    return v[k];
}

struct Round {
    double per_s;
    std::vector<double> lat_us;
};

constexpr ptrdiff_t window = 256;

/* One round through varpd: every lookup submitted and answered. */
Round through_varpd(varpd::FakeChannel& chan, const std::vector<size_t>& order, uint32_t link,
                    ptrdiff_t depth) {
    size_t n = order.size();
    std::vector<clk::time_point> sent(n), done(n);
    std::counting_semaphore<window> slots(depth);
    std::atomic<size_t> answered{0};
    uint64_t base = 0;
    std::promise<void> all;
    chan.on_outcome = [&](uint64_t reqid) {
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
        if (i == 0)
            base = id;
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

/* The peer: files.so's vpo_lookup called directly. */
struct DirectAnswer {
    varpd_query_t q{&ops};
    uint64_t got = 0;
    static const varpd_query_ops_t ops;
};
const varpd_query_ops_t DirectAnswer::ops = {
    .vqv_dest = [](varpd_query_t* q, const varpd_dest_t* d) {
        reinterpret_cast<DirectAnswer*>(q)->got += d->vd_ip[15];
    },
    .vqv_drop = [](varpd_query_t*) {},
    .vqv_arp = [](varpd_query_t*, const uint8_t*) {},
    .vqv_ndp = [](varpd_query_t*, const uint8_t*) {},
    .vqv_dhcp = [](varpd_query_t*, const uint8_t*) {},
};

double backend_alone(const varpd::Backend& be, const std::string& config,
                     const std::vector<size_t>& order) {
    static const varpd_provider_ops_t pops = {
        .vpv_version = VARPD_PLUGIN_ABI_VERSION,
        .vpv_pad = 0,
        .vpv_cache_inject = [](varpd_provider_t*, const uint8_t*, const varpd_dest_t*) { return 0; },
        .vpv_cache_invalidate = [](varpd_provider_t*, const uint8_t*) { return 0; },
        .vpv_degrade = [](varpd_provider_t*, const char*) { return 0; },
        .vpv_restore = [](varpd_provider_t*) { return 0; },
        .vpv_log = [](varpd_provider_t*, int, const char*) {},
        .vpv_linkid = [](varpd_provider_t*) -> uint32_t { return 1; },
        .vpv_vnetid = [](varpd_provider_t*) -> uint32_t { return 1; },
        .vpv_cache_flush = [](varpd_provider_t*) { return 0; },
    };
    varpd_provider_t prov{&pops};
    void* arg = nullptr;
    const varpd_plugin_ops_t* o = be.ops;
    if (o->vpo_create(&prov, VARPD_MODE_DYNAMIC, &arg) != 0 ||
        o->vpo_setprop(arg, "files/config", config.c_str(),
                       static_cast<uint32_t>(config.size() + 1)) != 0 ||
        o->vpo_start(arg) != 0) {
        std::fprintf(stderr, "varpd-bench: the files backend did not start\n");
        std::exit(1);
    }
    DirectAnswer a;
    varpd_lookup_t w{};
    auto t0 = clk::now();
    for (size_t i : order) {
        auto m = mac_of(i);
        std::memcpy(w.vl_dstmac, m.data(), 6);
        o->vpo_lookup(arg, &a.q, &w);
    }
    double secs = std::chrono::duration<double>(clk::now() - t0).count();
    o->vpo_stop(arg);
    o->vpo_destroy(arg);
    if (a.got == 0)
        std::exit(1); /* keeps the loop from being optimised away, and checks it answered */
    return static_cast<double>(order.size()) / secs;
}

} // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: varpd-bench OUT_JSON\n");
        return 2;
    }
    size_t entries = env_size("VARPD_BENCH_ENTRIES", 100000);
    size_t lookups = env_size("VARPD_BENCH_LOOKUPS", 300000);
    char tmpl[] = "/tmp/varpd-bench.XXXXXX";
    if (!mkdtemp(tmpl))
        return 1;
    std::string dir = tmpl, config = dir + "/table.json";
    if (ov::rename_write(config, table(entries), 0644, nullptr) != 0)
        return 1;
    std::vector<size_t> order(lookups);
    std::mt19937_64 rng(20261122);
    for (auto& x : order)
        x = rng() % entries;

    varpd::Log log = varpd::Log::to_stderr(LOG_WARNING);
    varpd::PluginSet plugins(log);
    plugins.load_dir(OVERLAY_PLUGIN_DIR);
    const varpd::Backend* files = plugins.find("files");
    if (!files) {
        std::fprintf(stderr, "varpd-bench: no files backend in %s\n", OVERLAY_PLUGIN_DIR);
        return 1;
    }
    varpd::FakeChannel chan;
    chan.add_link(1);
    varpd::Config cfg;
    cfg.state_dir = dir;
    Round best{0, {}};
    double peer = 0;
    Round lone{0, {}};
    {
        varpd::Daemon d(cfg, log, plugins, chan);
        std::promise<void> ready;
        std::thread loop([&] { d.run([&] { ready.set_value(); }); });
        ready.get_future().wait();
        {
            varpd::Client c(dir + "/varpd.sock");
            c.create_instance(1, "files", {{"files/config", config}});
        }
        for (int round = 0; round < 3; round++) {
            Round r = through_varpd(chan, order, 1, window);
            chan.cache_flush(1);
            if (r.per_s > best.per_s)
                best = std::move(r);
            peer = std::max(peer, backend_alone(*files, config, order));
        }
        /* Unloaded: one request at a time, the latency of a lone miss. */
        std::vector<size_t> few(order.begin(), order.begin() + static_cast<long>(std::min<size_t>(order.size(), 20000)));
        chan.cache_flush(1);
        lone = through_varpd(chan, few, 1, 1);
        d.stop();
        loop.join();
    }
    std::filesystem::remove_all(dir);

    double p50 = pct(best.lat_us, 50), p99 = pct(best.lat_us, 99), p999 = pct(best.lat_us, 99.9);
    double lone50 = pct(lone.lat_us, 50), lone99 = pct(lone.lat_us, 99);
    std::printf("varpd files backend, %zu entries, %zu lookups, window %td (best of 3)\n", entries,
                lookups, window);
    std::printf("  through varpd:  %12.0f lookups/s  p50 %.1f us  p99 %.1f us  p99.9 %.1f us\n",
                best.per_s, p50, p99, p999);
    std::printf("  one at a time:  %12.0f lookups/s  p50 %.1f us  p99 %.1f us\n", lone.per_s, lone50,
                lone99);
    std::printf("  backend alone:  %12.0f lookups/s\n", peer);
    std::printf("  ratio varpd / backend alone: %.3f\n", best.per_s / peer);
    std::FILE* f = std::fopen(argv[1], "w");
    if (!f)
        return 1;
    std::fprintf(f,
                 "{\n  \"files_lookups_per_s\": %.0f,\n  \"files_p50_us\": %.2f,\n"
                 "  \"files_p99_us\": %.2f,\n  \"files_p999_us\": %.2f,\n"
                 "  \"files_unloaded_p50_us\": %.2f,\n  \"files_unloaded_p99_us\": %.2f,\n"
                 "  \"backend_alone_lookups_per_s\": %.0f,\n"
                 "  \"ratio_vs_backend_alone\": %.4f,\n  \"entries\": %zu,\n"
                 "  \"lookups\": %zu,\n  \"window\": %td,\n"
                 "  \"channel\": \"in-process double (FakeChannel)\"\n}\n",
                 best.per_s, p50, p99, p999, lone50, lone99, peer, best.per_s / peer, entries, lookups, window);
    std::fclose(f);
    return 0;
}
