/*
 * sqlite-bench: the sqlite backend at 10 million mappings (issue 7 item 6).
 *
 * For each table size (100 000 rows, 1M when SQLITE_BENCH_ROWS is larger,
 * then SQLITE_BENCH_ROWS, default 10M):
 *   import   a forked child runs a Daemon with one sqlite instance and
 *            writes every row through varpd's Import capability (the client
 *            library's begin_import, batches of 8192, one commit), the path
 *            overlayadm import-mappings takes.
 *            A child (forked while this process has no thread running), so
 *            that what the import allocated never counts in the resident
 *            memory measured below. import_s, file_mib.
 *   varpd    in a child process, a Daemon with the in-memory kernel channel
 *            (FakeChannel) on a thread, one sqlite instance made over the
 *            real control socket, SQLITE_BENCH_LOOKUPS misses (default 1M)
 *            for random existing MACs, at most 256 outstanding, timed
 *            submit -> RESPOND, in rounds of 100 000, each on a fresh
 *            FakeChannel and Daemon that restores the instance from its
 *            state directory (the double remembers every request, memory
 *            the real kernel would hold, not varpd); then the child's VmRSS
 *            with the Daemon and instance still running (varpd_rss_mib):
 *            it must not grow with the row count.
 *   direct   the same lookups on ONE thread calling vpo_lookup directly,
 *            each timed, best of three passes: lookups_per_s, p50_us,
 *            p99_us (the plugin's own cost, what the worker pool
 *            multiplies).
 * Peer, in the same run: the files backend (the whole table in memory) at
 * SQLITE_BENCH_FILES_ROWS (default 1M, what it comfortably holds) through
 * the same Daemon path; the ratio says what keeping the table on disk costs.
 * Writes OUT_JSON.
 */
#include "bench_util.h"
#include "client.h"
#include "daemon.h"
#include "plugins.h"

#include <cerrno>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <libtools/rename.h>
#include <random>
#include <string>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace {

using namespace bench;

struct Sized {
    size_t rows = 0;
    double import_s = 0, file_mib = 0;
    double direct_per_s = 0, direct_p50 = 0, direct_p99 = 0;
    double varpd_per_s = 0, varpd_p50 = 0, varpd_p99 = 0, rss_mib = 0;
    double rss_before_mib = 0; /* the bench alone, before the Daemon starts */
};

[[noreturn]] void die(const std::string& why) {
    std::fprintf(stderr, "sqlite-bench: %s\n", why.c_str());
    std::exit(1);
}

/* An instance of a backend with a provider that ignores everything. */
struct Direct {
    const varpd_plugin_ops_t* o;
    varpd_provider_t prov{&null_provider_ops};
    void* arg = nullptr;
    Direct(const varpd::Backend& be, const char* prop, const std::string& value) : o(be.ops) {
        if (o->vpo_create(&prov, VARPD_MODE_DYNAMIC, &arg) != 0 ||
            o->vpo_setprop(arg, prop, value.c_str(), static_cast<uint32_t>(value.size() + 1)) !=
                0 ||
            o->vpo_start(arg) != 0)
            die(be.name + " did not start on " + value);
    }
    ~Direct() {
        o->vpo_stop(arg);
        o->vpo_destroy(arg);
    }
    Direct(const Direct&) = delete;
    Direct& operator=(const Direct&) = delete;
};

/*
 * The import, in this (child) process, through varpd's Import capability:
 * a Daemon on the FakeChannel with one sqlite instance, the client
 * library's begin_import(), batches of 8192 text mappings (as overlayadm
 * import-mappings sends them), one commit. Seconds, or exits non-zero.
 */
double import_rows(const varpd::PluginSet& plugins, const varpd::Log& log, const std::string& dir,
                   const std::string& db, size_t rows) {
    FakeHost host(dir, log, plugins);
    varpd::Client c(host.socket());
    c.create_instance(1, "sqlite", {{"sqlite/path", db}});
    constexpr size_t batch = 8192;
    std::vector<varpd::client::Mapping> ms(batch);
    size_t step = std::max<size_t>(rows / 10, 1), next = step;
    auto t0 = clk::now();
    try {
        auto imp = c.begin_import(1);
        for (size_t i = 0; i < rows;) {
            size_t n = std::min(batch, rows - i);
            ms.resize(n);
            for (size_t k = 0; k < n; k++, i++) {
                auto m = mac_of(i);
                char mac[18], ip[16];
                std::snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2],
                              m[3], m[4], m[5]);
                std::snprintf(ip, sizeof(ip), "10.%zu.%zu.%zu", (i >> 16) & 0xff, (i >> 8) & 0xff,
                              i & 0xff);
                ms[k] = {mac, ip, 4789, "", "", "", 0};
            }
            imp->put(ms);
            if (i >= next) {
                std::fprintf(stderr, "  import: %zu of %zu rows\n", i, rows);
                next += step;
            }
        }
        if (imp->commit() != rows)
            die("the import committed a different count");
    } catch (const varpd::ClientError& e) {
        die(std::string("import: ") + e.what());
    }
    return std::chrono::duration<double>(clk::now() - t0).count();
}

/*
 * Run fn in a forked child (this process must have no thread running) and
 * return the N figures it returns; a child that fails ends the bench.
 */
template <size_t N, class Fn>
std::array<double, N> in_child(const char* what, Fn fn) {
    int p[2];
    if (pipe(p) != 0)
        die("pipe");
    pid_t pid = fork();
    if (pid < 0)
        die("fork");
    if (pid == 0) {
        close(p[0]);
        std::array<double, N> r = fn();
        if (write(p[1], r.data(), sizeof(r)) != static_cast<ssize_t>(sizeof(r)))
            _exit(1);
        _exit(0);
    }
    close(p[1]);
    std::array<double, N> r{};
    ssize_t n = read(p[0], r.data(), sizeof(r));
    close(p[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    if (n != static_cast<ssize_t>(sizeof(r)) || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
        die(std::string(what) + " failed");
    return r;
}

double file_mib(const std::string& db) {
    double bytes = 0;
    for (const char* suffix : {"", "-wal"}) {
        struct stat st;
        if (stat((db + suffix).c_str(), &st) == 0)
            bytes += static_cast<double>(st.st_size);
    }
    return bytes / (1024.0 * 1024.0);
}

std::vector<size_t> random_order(size_t n, size_t rows, uint64_t seed) {
    std::vector<size_t> order(n);
    std::mt19937_64 rng(seed);
    for (auto& x : order)
        x = rng() % rows;
    return order;
}

/* Latency histogram: 0.1 us to ~100 ms, 2% wide bins; percentiles from it. */
struct Hist {
    static constexpr double lo = 0.1, grow = 1.02;
    std::vector<uint64_t> bins = std::vector<uint64_t>(720, 0);
    uint64_t n = 0;
    void add(double us) {
        size_t b = us <= lo ? 0 : static_cast<size_t>(std::log(us / lo) / std::log(grow));
        bins[std::min(b, bins.size() - 1)]++;
        n++;
    }
    double pct(double p) const {
        uint64_t want = static_cast<uint64_t>(p / 100.0 * static_cast<double>(n)), seen = 0;
        for (size_t b = 0; b < bins.size(); b++)
            if ((seen += bins[b]) > want)
                return lo * std::pow(grow, static_cast<double>(b) + 0.5);
        return lo * std::pow(grow, static_cast<double>(bins.size()));
    }
};

/*
 * Through a Daemon, in a child process: `lookups` misses for random MACs
 * of the first `rows`, in rounds of `round_size`. Each round runs a fresh
 * FakeChannel and Daemon (restoring the instance from the state directory,
 * as a restarted varpd does): the double keeps a record of every request
 * it has seen, kernel-side memory that must not be counted as varpd's.
 * Returns {lookups/s, p50 us, p99 us, VmRSS MiB at the end (the Daemon and
 * its instance still running), VmRSS MiB before the first Daemon}.
 */
std::array<double, 5> via_daemon(const varpd::PluginSet& plugins, const varpd::Log& log,
                                 const std::string& dir, const std::string& plugin,
                                 const std::string& prop, const std::string& value, size_t rows,
                                 size_t lookups, uint64_t seed) {
    return in_child<5>("the lookups through varpd", [&]() -> std::array<double, 5> {
        double before = rss_mib(), rss = 0, secs = 0;
        constexpr size_t round_size = 100000;
        Hist h;
        for (size_t done = 0, round = 0; done < lookups; round++) {
            FakeHost host(dir, log, plugins);
            varpd::Client c(host.socket());
            if (round == 0)
                c.create_instance(1, plugin, {{prop, value}});
            size_t n = std::min(round_size, lookups - done);
            Round r = through_varpd(host.chan, random_order(n, rows, seed + round), 1, window);
            secs += static_cast<double>(n) / r.per_s;
            for (double us : r.lat_us)
                h.add(us);
            auto st = c.stats();
            if (st.hits + st.misses == 0 || st.drops != 0)
                die(plugin + ": " + std::to_string(st.drops) + " lookups answered drop in round " +
                    std::to_string(round) + " (is the instance restored?)");
            done += n;
            if (done == lookups)
                rss = rss_mib();
        }
        return {static_cast<double>(lookups) / secs, h.pct(50), h.pct(99), rss, before};
    });
}

Sized measure(const varpd::PluginSet& plugins, const varpd::Log& log, const std::string& dir,
              size_t rows, size_t lookups) {
    Sized s;
    s.rows = rows;
    std::string db = dir + "/map-" + std::to_string(rows) + ".db";
    std::fprintf(stderr, "sqlite-bench: %zu rows\n", rows);
    const varpd::Backend* be = plugins.find("sqlite");
    s.import_s = in_child<1>("the import", [&]() -> std::array<double, 1> {
        std::string state = dir + "/import-" + std::to_string(rows);
        std::filesystem::create_directories(state);
        return {import_rows(plugins, log, state, db, rows)};
    })[0];
    s.file_mib = file_mib(db);
    std::vector<size_t> order = random_order(lookups, rows, 20261122 + rows);

    std::string state = dir + "/state-" + std::to_string(rows);
    std::filesystem::create_directories(state);
    auto v = via_daemon(plugins, log, state, "sqlite", "sqlite/path", db, rows, lookups, rows);
    s.varpd_per_s = v[0];
    s.varpd_p50 = v[1];
    s.varpd_p99 = v[2];
    s.rss_mib = v[3];
    s.rss_before_mib = v[4];

    Direct in(*be, "sqlite/path", db);
    /* Best of three passes (the machine is shared), percentiles of that pass. */
    for (int pass = 0; pass < 3; pass++) {
        DirectAnswer a;
        varpd_lookup_t w{};
        std::vector<double> lat;
        lat.reserve(order.size());
        auto t0 = clk::now();
        for (size_t i : order) {
            auto m = mac_of(i);
            std::memcpy(w.vl_dstmac, m.data(), 6);
            auto t = clk::now();
            in.o->vpo_lookup(in.arg, &a.q, &w);
            lat.push_back(std::chrono::duration<double, std::micro>(clk::now() - t).count());
        }
        double secs = std::chrono::duration<double>(clk::now() - t0).count();
        if (a.dests != order.size())
            die("the direct lookups did not all find their row (" + std::to_string(a.dests) +
                " of " + std::to_string(order.size()) + ")");
        double per_s = static_cast<double>(order.size()) / secs;
        if (per_s > s.direct_per_s) {
            s.direct_per_s = per_s;
            s.direct_p50 = pct(lat, 50);
            s.direct_p99 = pct(lat, 99);
        }
    }
    std::fprintf(
        stderr,
        "  %zu rows: import %.1f s (%.0f rows/s), file %.1f MiB; one thread %.0f lookups/s "
        "p50 %.2f us p99 %.2f us; through varpd %.0f lookups/s p99 %.1f us; rss %.1f MiB\n",
        rows, s.import_s, static_cast<double>(rows) / s.import_s, s.file_mib, s.direct_per_s,
        s.direct_p50, s.direct_p99, s.varpd_per_s, s.varpd_p99, s.rss_mib);
    return s;
}

} // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: sqlite-bench OUT_JSON\n");
        return 2;
    }
    size_t rows = env_size("SQLITE_BENCH_ROWS", 10000000);
    size_t small = std::min<size_t>(100000, rows);
    size_t lookups = env_size("SQLITE_BENCH_LOOKUPS", 1000000);
    size_t files_rows = env_size("SQLITE_BENCH_FILES_ROWS", 1000000);
    if (rows == 0 || lookups == 0 || files_rows == 0)
        die("SQLITE_BENCH_ROWS, SQLITE_BENCH_LOOKUPS and SQLITE_BENCH_FILES_ROWS must be > 0");
    const char* tmp = std::getenv("TMPDIR");
    std::string tmpl = std::string(tmp && *tmp ? tmp : "/tmp") + "/sqlite-bench.XXXXXX";
    if (!mkdtemp(tmpl.data()))
        die("mkdtemp: " + std::string(std::strerror(errno)));
    std::string dir = tmpl;

    /* Forks come first, while this process has no threads. */
    varpd::Log log = varpd::Log::to_stderr(LOG_WARNING);
    varpd::PluginSet plugins(log);
    plugins.load_dir(OVERLAY_PLUGIN_DIR);
    if (!plugins.find("sqlite") || !plugins.find("files"))
        die(std::string("the sqlite and files backends are needed in ") + OVERLAY_PLUGIN_DIR);
    Sized lo = measure(plugins, log, dir, small, lookups);
    /* A middle size too, to show where the memory stops growing. */
    size_t middle = 1000000;
    Sized mid = rows > middle && small < middle ? measure(plugins, log, dir, middle, lookups) : lo;
    Sized hi = rows == small ? lo : measure(plugins, log, dir, rows, lookups);

    /* The peer: files at a size it holds, through the same path. */
    std::fprintf(stderr, "sqlite-bench: files peer, %zu entries\n", files_rows);
    std::string table = dir + "/table.json";
    if (ov::rename_write(table, files_table(files_rows), 0644, nullptr) != 0)
        die("cannot write " + table);
    std::string state = dir + "/state-files";
    std::filesystem::create_directories(state);
    auto f =
        via_daemon(plugins, log, state, "files", "files/config", table, files_rows, lookups, 7);
    double files_per_s = f[0], files_p99 = f[2];
    std::filesystem::remove_all(dir);

    double ratio = hi.varpd_per_s / files_per_s;
    std::printf("sqlite backend, %zu rows (imported through varpd's Import capability)\n", hi.rows);
    std::printf("  import:            %10.1f s  (%.0f rows/s), file %.1f MiB\n", hi.import_s,
                static_cast<double>(hi.rows) / hi.import_s, hi.file_mib);
    std::printf("  one thread:        %10.0f lookups/s  p50 %.2f us  p99 %.2f us  (goal 200000)\n",
                hi.direct_per_s, hi.direct_p50, hi.direct_p99);
    std::printf("  through varpd:     %10.0f lookups/s  p50 %.1f us  p99 %.1f us\n", hi.varpd_per_s,
                hi.varpd_p50, hi.varpd_p99);
    std::printf(
        "  varpd rss:         %10.1f MiB at %zu rows, %.1f MiB at %zu, %.1f MiB at %zu (limit "
        "100; %.1f MiB before the Daemon started; read connections' page caches fill up "
        "to 4 MiB each, then it stays)\n",
        hi.rss_mib, hi.rows, mid.rss_mib, mid.rows, lo.rss_mib, lo.rows, hi.rss_before_mib);
    std::printf("  peer files (%zu entries) through varpd: %.0f lookups/s p99 %.1f us\n",
                files_rows, files_per_s, files_p99);
    std::printf("  ratio sqlite(%zu) / files(%zu) through varpd: %.3f\n", hi.rows, files_rows,
                ratio);
    std::string by_rows;
    size_t last = 0;
    for (const Sized* z : {&lo, &mid, &hi}) {
        if (z->rows == last)
            continue;
        char one[64];
        std::snprintf(one, sizeof(one), "%s\"%zu\": %.1f", last ? ", " : "", z->rows, z->rss_mib);
        by_rows += one;
        last = z->rows;
    }
    std::FILE* out = std::fopen(argv[1], "w");
    if (!out)
        die(std::string("cannot write ") + argv[1]);
    std::fprintf(out,
                 "{\n"
                 "  \"rows\": %zu,\n"
                 "  \"import_s\": %.2f,\n"
                 "  \"import_rows_per_s\": %.0f,\n"
                 "  \"import_path\": \"varpd Import capability (varpd::Client::begin_import over "
                 "the control "
                 "socket, batches of 8192, one commit) in a child process\",\n"
                 "  \"file_mib\": %.1f,\n"
                 "  \"lookups\": %zu,\n"
                 "  \"lookups_per_s\": %.0f,\n"
                 "  \"p50_us\": %.2f,\n"
                 "  \"p99_us\": %.2f,\n"
                 "  \"lookups_goal_per_s\": 200000,\n"
                 "  \"varpd_lookups_per_s\": %.0f,\n"
                 "  \"varpd_p50_us\": %.2f,\n"
                 "  \"varpd_p99_us\": %.2f,\n"
                 "  \"varpd_rss_mib\": %.1f,\n"
                 "  \"small_rows\": %zu,\n"
                 "  \"small_import_s\": %.2f,\n"
                 "  \"small_lookups_per_s\": %.0f,\n"
                 "  \"small_p99_us\": %.2f,\n"
                 "  \"small_varpd_rss_mib\": %.1f,\n"
                 "  \"rss_growth_mib\": %.1f,\n"
                 "  \"varpd_rss_mib_by_rows\": {%s},\n"
                 "  \"rss_before_varpd_mib\": %.1f,\n"
                 "  \"files_peer_rows\": %zu,\n"
                 "  \"files_varpd_lookups_per_s\": %.0f,\n"
                 "  \"files_varpd_p99_us\": %.2f,\n"
                 "  \"ratio_sqlite_vs_files_through_varpd\": %.4f,\n"
                 "  \"channel\": \"in-process double (FakeChannel), window %td, %u workers\"\n"
                 "}\n",
                 hi.rows, hi.import_s, static_cast<double>(hi.rows) / hi.import_s, hi.file_mib,
                 lookups, hi.direct_per_s, hi.direct_p50, hi.direct_p99, hi.varpd_per_s,
                 hi.varpd_p50, hi.varpd_p99, hi.rss_mib, lo.rows, lo.import_s, lo.direct_per_s,
                 lo.direct_p99, lo.rss_mib, hi.rss_mib - lo.rss_mib, by_rows.c_str(),
                 hi.rss_before_mib, files_rows, files_per_s, files_p99, ratio, window,
                 varpd::Config{}.workers);
    std::fclose(out);
    return 0;
}
