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
 * Against the real ovnet.ko: vm/ (10-varpd-vm.sh in the VM, run.sh adds
 * files_vm_* to the same JSON; the bench-varpd target runs both).
 */
#include "bench_util.h"
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

namespace {

using namespace bench;

double backend_alone(const varpd::Backend& be, const std::string& config,
                     const std::vector<size_t>& order) {
    varpd_provider_t prov{&bench::null_provider_ops};
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
    if (ov::rename_write(config, files_table(entries), 0644, nullptr) != 0)
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
    Round best{0, {}};
    double peer = 0;
    Round lone{0, {}};
    {
        FakeHost host(dir, log, plugins);
        varpd::FakeChannel& chan = host.chan;
        {
            varpd::Client c(host.socket());
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
