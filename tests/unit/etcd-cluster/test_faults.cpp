/*
 * Faults with real etcd (issue #8 item 5): the etcd backend, driven
 * through its ops vector as varpd drives it, against a three-member
 * etcd-server cluster on loopback (etcd_cluster.h).
 *
 * - The leader is killed while lookups and changes flow (the leader is
 *   first moved to the member the backend talks to first, so the kill also
 *   breaks its watch stream, which must restart): a lookup thread
 *   issues misses for MACs never asked before (so each reaches etcd), a
 *   writer changes mappings (the new underlay address carries a sequence
 *   number); every lookup must be answered with the destination, the
 *   longest gap between answers is printed and bounded, and no change is
 *   lost: a model of the kernel's target cache, fed by the backend's
 *   shootdowns exactly as varpd feeds ovnet.ko (inject sets the entry,
 *   invalidate removes it and the next frame misses again), ends holding
 *   the last value written to every key, and so do fresh lookups.
 * - The whole cluster stops: the entries the kernel holds are not shot
 *   down (they keep working), a new miss is answered "drop" promptly, the
 *   device is degraded with a message naming etcd; the cluster starts
 *   again: the backend restores the device by itself, shoots down the
 *   "drop" it gave meanwhile, new misses are answered, and a change made
 *   after the restart reaches the cache. Misses for MACs the backend
 *   answered before the stop are answered from its own cache.
 * - Commits of 250 mappings (more than one txn holds: the intent protocol of
 *   etcd_write.cpp) flow while the leader is killed, or the member asked
 *   first is stopped: once nothing is left unfinished, every commit's
 *   keys are all in etcd or none, whatever the commit returned.
 * - varpd SIGKILLed inside a commit (a child process, etcd-commit-child,
 *   killed at the backend's failpoint): before the commit point all 250
 *   keys stay old and the dead writer's staged chunks are discarded; after it, or
 *   midway through applying, another host's watch or the next instance to
 *   start finishes it and all 250 are new; the kernel-cache model of a
 *   host follows, checked against etcd directly.
 * - TLS (etcd/ca, cert, key against --client-cert-auth) and auth
 *   (etcd/user, password_file) work, lookups and watch alike; a wrong CA or a
 *   wrong password is a clear error (start refused or degraded, the text
 *   saying what is wrong), never a crash or a hung lookup.
 */
#include "etcd_cluster.h"
#include "etcd_plugin.h"

#include <atomic>
#include <cctype>
#include <deque>
#include <fstream>
#include <functional>
#include <gtest/gtest.h>
#include <set>
#include <sys/wait.h>

using namespace etcd_test;

namespace {

const char* const kPrefix = "/overlay-test";
const std::string kPlugin = std::string(OVERLAY_PLUGIN_DIR) + "/etcd.so";

std::string lower(std::string s) {
    for (auto& c : s)
        c = char(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

/* Put mappings test_mac(first..first+n-1) -> seq_ip(i) in txns of 128. */
void seed(EtcdCluster& c, uint32_t vnet, uint32_t first, uint32_t n) {
    auto cl = c.client(10000ms);
    std::vector<std::pair<std::string, std::string>> batch;
    for (uint32_t i = first; i < first + n; i++) {
        batch.emplace_back(mac_key(kPrefix, vnet, test_mac(i)), mac_value(i));
        if (batch.size() == 128 || i + 1 == first + n) {
            std::string err;
            ASSERT_GE(cl->put_many(batch, &err), 0) << err;
            batch.clear();
        }
    }
}

/*
 * The kernel's target cache as varpd keeps it from a backend's
 * shootdowns: inject sets an entry, invalidate removes it, flush removes
 * all; a removed entry the "traffic" still needs misses again (a refill
 * thread looks it up). A generation per MAC discards a refill answer that
 * an event overtook, as a kernel entry updated meanwhile would.
 */
class KernelModel {
public:
    explicit KernelModel(TimedProvider& p) : p_(p) {
        p.set_on_event([this](const TimedProvider::Event& e) { on_event(e); });
    }
    ~KernelModel() {
        p_.set_on_event(nullptr);
        stop();
    }

    /* Start refilling through inst; wanted: the MACs traffic goes to. */
    void run(EtcdInstance& inst, const std::vector<Mac6>& wanted) {
        {
            std::lock_guard g(mu_);
            for (auto& m : wanted) {
                want_.insert(m);
                queue_.push_back(m);
            }
        }
        worker_ = std::thread([this, &inst] { refill(inst); });
        cv_.notify_all();
    }
    void stop() {
        {
            std::lock_guard g(mu_);
            quit_ = true;
        }
        cv_.notify_all();
        if (worker_.joinable())
            worker_.join();
    }
    /* The sequence number the entry for m carries, or -1 (no entry). */
    int64_t entry(const Mac6& m) {
        std::lock_guard g(mu_);
        auto it = cache_.find(m);
        return it == cache_.end() ? -1 : int64_t(dest_seq(it->second));
    }
    size_t entries() {
        std::lock_guard g(mu_);
        return cache_.size();
    }
    size_t shootdowns() {
        std::lock_guard g(mu_);
        return shootdowns_;
    }
    /* Wait until pred(entry of each wanted MAC) holds for all, or limit. */
    template <class F>
    bool wait_all(F pred, std::chrono::milliseconds limit) {
        std::unique_lock l(mu_);
        return cv_.wait_for(l, limit, [&] {
            if (!queue_.empty() || busy_)
                return false;
            for (auto& m : want_) {
                auto it = cache_.find(m);
                if (!pred(m, it == cache_.end() ? -1 : int64_t(dest_seq(it->second))))
                    return false;
            }
            return true;
        });
    }

private:
    void on_event(const TimedProvider::Event& e) {
        {
            std::lock_guard g(mu_);
            shootdowns_++;
            if (e.kind == TimedProvider::flush) {
                cache_.clear();
                for (auto& m : want_) {
                    gen_[m]++;
                    queue_.push_back(m);
                }
            } else {
                gen_[e.mac]++;
                if (e.kind == TimedProvider::inject) {
                    cache_[e.mac] = e.dest;
                } else {
                    cache_.erase(e.mac);
                    if (want_.count(e.mac))
                        queue_.push_back(e.mac);
                }
            }
        }
        cv_.notify_all();
    }
    void refill(EtcdInstance& inst) {
        std::unique_lock l(mu_);
        for (;;) {
            cv_.wait(l, [&] { return quit_ || !queue_.empty(); });
            if (quit_)
                return;
            Mac6 m = queue_.front();
            queue_.pop_front();
            if (cache_.count(m))
                continue; /* an inject refilled it */
            uint64_t g0 = gen_[m];
            busy_ = true;
            l.unlock();
            Answer a = inst.lookup(m, 15s);
            l.lock();
            busy_ = false;
            if (gen_[m] != g0) {
                queue_.push_back(m); /* overtaken: ask again */
            } else if (a.kind == Answer::dest) {
                cache_[m] = a.d;
            } else if (!quit_) {
                failed_refills_++;
                queue_.push_back(m); /* as the next frame would */
                l.unlock();
                std::this_thread::sleep_for(50ms);
                l.lock();
            }
            cv_.notify_all();
        }
    }

    TimedProvider& p_;
    std::mutex mu_;
    std::condition_variable cv_;
    std::map<Mac6, varpd_dest_t> cache_;
    std::map<Mac6, uint64_t> gen_;
    std::set<Mac6> want_;
    std::deque<Mac6> queue_;
    bool busy_ = false, quit_ = false;
    size_t shootdowns_ = 0, failed_refills_ = 0;
    std::thread worker_;
};

struct Faults : ::testing::Test {
    TempDir dir;
    std::unique_ptr<EtcdCluster> c;
    Loaded lib{kPlugin};
    TimedProvider prov;

    std::map<std::string, std::string> props(const std::map<std::string, std::string>& extra = {}) {
        std::map<std::string, std::string> p = {{"etcd/endpoints", c->endpoints()},
                                                {"etcd/prefix", kPrefix}};
        for (auto& [k, v] : extra)
            p[k] = v;
        return p;
    }
    void SetUp() override { ASSERT_TRUE(lib.ops) << kPlugin << ": " << lib.error; }
    void commits_across(const char* what, const std::function<void()>& fault);
    bool crash_at(const std::string& failpoint, std::string& log);
    void seed_old();
    std::vector<Mac6> seeded_macs();
};

double ms_between(int64_t a, int64_t b) {
    return double(b - a) / 1e6;
}

} // namespace

TEST_F(Faults, LeaderKilledWhileLookupsAndChangesFlow) {
    c = std::make_unique<EtcdCluster>(3, dir.path());
    const uint32_t kLookups = 20000, kWriterBase = 1000000, kWritten = 50;
    seed(*c, 1, 0, kLookups);
    seed(*c, 1, kWriterBase, kWritten);
    EtcdInstance inst(lib, prov, props());
    ASSERT_EQ(inst.setprop_errors(), "");
    ASSERT_EQ(inst.start(), 0) << prov.all_logs();

    std::vector<Mac6> wmacs;
    for (uint32_t i = 0; i < kWritten; i++)
        wmacs.push_back(test_mac(kWriterBase + i));
    KernelModel kernel(prov);
    kernel.run(inst, wmacs);
    ASSERT_TRUE(kernel.wait_all([](const Mac6&, int64_t s) { return s >= 0; }, 20s))
        << "the written MACs were never all cached";

    /* the leader is the member the backend talks to first (endpoint 0,
       where its watch stream runs), so killing it breaks the stream too */
    ASSERT_TRUE(c->make_leader(0));
    int64_t restarts0 = inst.get_uint("etcd/watch_restarts");
    std::atomic<bool> quit{false};
    /* lookups: fresh MACs, one after another */
    struct Result {
        size_t dest = 0, drop = 0, none = 0, wrong = 0;
        std::vector<int64_t> at; /* answer times */
    } look;
    std::atomic<size_t> answered{0}, written{0}; /* read by the main thread */
    int64_t t_begin = mono_ns();
    std::thread looker([&] {
        for (uint32_t i = 0; !quit && i < kLookups; i++) {
            Answer a = inst.lookup(test_mac(i), 15s);
            int64_t t = mono_ns();
            if (a.kind == Answer::dest) {
                look.dest++;
                look.wrong += dest_seq(a.d) != i;
            } else if (a.kind == Answer::none) {
                look.none++;
            } else {
                look.drop++;
            }
            if (a.kind != Answer::none)
                look.at.push_back(t);
            answered++;
        }
    });
    /* changes: sequence numbers in the address, every write retried until acked */
    std::map<Mac6, uint32_t> last;
    size_t writes = 0, retries = 0, gave_up = 0;
    std::thread writer([&] {
        auto cl = c->client(1000ms);
        for (uint32_t seq = kWriterBase + kWritten; !quit; seq++) {
            Mac6 m = wmacs[seq % kWritten];
            auto until = Clock::now() + 15s;
            std::string err;
            while (cl->put(mac_key(kPrefix, 1, m), mac_value(seq), &err) < 0) {
                retries++;
                if (Clock::now() > until) {
                    gave_up++;
                    break;
                }
                std::this_thread::sleep_for(20ms);
            }
            last[m] = seq;
            writes++;
            written++;
            std::this_thread::sleep_for(5ms);
        }
    });
    /* load first: some answers and some writes (not a fixed time) */
    bool loaded = eventually([&] { return answered >= 200 && written >= 50; }, 60s);
    /* no ASSERT while the threads run: kill whoever leads now */
    int l = c->wait_leader();
    if (l < 0)
        l = 0;
    int64_t t_kill = mono_ns();
    c->kill(size_t(l));
    int nl = c->wait_leader(10s);
    int64_t t_new = mono_ns();
    /* then as much again after the election */
    size_t a_at = answered, w_at = written;
    bool after = eventually([&] { return answered >= a_at + 200 && written >= w_at + 50; }, 60s);
    quit = true;
    looker.join();
    writer.join();
    ASSERT_TRUE(loaded) << "no load before the kill: " << answered << " answers, " << written
                        << " writes";
    ASSERT_TRUE(after) << "the load stalled after the kill: " << answered - a_at << " answers, "
                       << written - w_at << " writes";

    /* every lookup answered, with its MAC's own destination */
    EXPECT_EQ(look.none, 0u) << "lookups never answered";
    EXPECT_EQ(look.drop, 0u) << "lookups of existing MACs answered drop";
    EXPECT_EQ(look.wrong, 0u);
    EXPECT_GT(look.dest, 100u) << "too few lookups to mean anything";
    double gap = 0;
    int64_t prev = t_begin;
    for (int64_t t : look.at) {
        gap = std::max(gap, ms_between(prev, t));
        prev = t;
    }
    std::printf("leader m%d killed; new leader m%d after %.0f ms; %zu lookups answered "
                "(%zu dest, %zu drop), longest gap between answers %.1f ms; %zu writes "
                "(%zu retried, %zu given up); watch restarts %lld -> %lld\n",
                l, nl, ms_between(t_kill, t_new), look.dest + look.drop, look.dest, look.drop, gap,
                writes, retries, gave_up, (long long)restarts0,
                (long long)inst.get_uint("etcd/watch_restarts"));
    RecordProperty("longest_gap_ms", int(gap));
    RecordProperty("election_ms", int(ms_between(t_kill, t_new)));
    EXPECT_GE(nl, 0);
    int64_t restarts = inst.get_uint("etcd/watch_restarts");
    if (l == 0) { /* the member the stream was on */
        EXPECT_GT(restarts, restarts0) << "the watch stream was not broken by the kill";
    }
    EXPECT_LT(gap, 5000.0) << "lookups stalled";
    EXPECT_EQ(gave_up, 0u);

    /* no change lost: the kernel's entries and fresh lookups hold the last value */
    bool converged = kernel.wait_all(
        [&](const Mac6& m, int64_t s) { return s == int64_t(last[m] & 0xffffff); }, 10s);
    size_t stale = 0;
    for (auto& m : wmacs)
        if (kernel.entry(m) != int64_t(last[m] & 0xffffff)) {
            stale++;
            ADD_FAILURE() << mac_str(m) << ": kernel entry " << kernel.entry(m) << ", last write "
                          << (last[m] & 0xffffff);
        }
    EXPECT_TRUE(converged);
    EXPECT_EQ(stale, 0u);
    EXPECT_GT(kernel.shootdowns(), 0u);
    kernel.stop();
    for (auto& m : wmacs) {
        Answer a = inst.lookup(m);
        ASSERT_EQ(a.kind, Answer::dest) << mac_str(m);
        EXPECT_EQ(dest_seq(a.d), last[m] & 0xffffff) << mac_str(m);
    }
    /* the ground truth agrees with what the writer believes it wrote */
    for (auto& m : wmacs)
        EXPECT_EQ(c->get(mac_key(kPrefix, 1, m)), mac_value(last[m]));
}

TEST_F(Faults, WholeClusterStoppedThenStartedAgain) {
    c = std::make_unique<EtcdCluster>(3, dir.path());
    const uint32_t kCached = 100;
    seed(*c, 1, 0, kCached + 100);
    EtcdInstance inst(lib, prov, props());
    ASSERT_EQ(inst.start(), 0) << prov.all_logs();
    std::vector<Mac6> cached;
    for (uint32_t i = 0; i < kCached; i++)
        cached.push_back(test_mac(i));
    KernelModel kernel(prov);
    kernel.run(inst, cached);
    ASSERT_TRUE(kernel.wait_all([](const Mac6&, int64_t s) { return s >= 0; }, 20s));
    size_t before = kernel.shootdowns();

    c->stop_all();
    int64_t t_stop = mono_ns();
    /* a new miss: answered drop, promptly */
    Answer a = inst.lookup(test_mac(kCached), 10s);
    double miss_ms = ms_between(t_stop, mono_ns());
    EXPECT_EQ(a.kind, Answer::drop) << "a miss with etcd down was not answered drop";
    EXPECT_LT(miss_ms, 8000.0);
    /* degraded with a message naming etcd */
    bool degraded =
        prov.wait_for([&] { return !prov.degraded.empty(); }, std::chrono::milliseconds(15000));
    double deg_ms = ms_between(t_stop, mono_ns());
    std::string msg = prov.degraded_msg();
    EXPECT_TRUE(degraded) << "never degraded; logs:\n" << prov.all_logs();
    EXPECT_NE(lower(msg).find("etcd"), std::string::npos) << msg;
    std::printf("cluster stopped: miss answered %s after %.0f ms, degraded after %.0f ms: "
                "\"%s\"\n",
                a.kind == Answer::drop ? "drop" : "not drop", miss_ms, deg_ms, msg.c_str());
    /* the cached entries keep working: nothing shot down while etcd is away */
    std::this_thread::sleep_for(2s);
    EXPECT_EQ(kernel.shootdowns(), before) << "entries shot down while etcd was down";
    EXPECT_EQ(kernel.entries(), size_t(kCached));
    for (uint32_t i = 0; i < kCached; i++)
        EXPECT_EQ(kernel.entry(test_mac(i)), int64_t(i));
    /* and a miss for a MAC the backend has answered before (a kernel entry
       evicted meanwhile) is answered from the backend's cache */
    for (uint32_t i = 0; i < kCached; i += 9) {
        Answer c0 = inst.lookup(test_mac(i), 10s);
        EXPECT_EQ(c0.kind, Answer::dest) << "cached MAC " << i << " with etcd down";
        EXPECT_EQ(dest_seq(c0.d), i);
    }

    /* start again: restored by itself, misses answered again */
    int64_t t_start = mono_ns();
    c->start_all();
    bool restored = prov.wait_for([&] { return prov.degraded.empty() && prov.restores > 0; },
                                  std::chrono::milliseconds(20000));
    double res_ms = ms_between(t_start, mono_ns());
    EXPECT_TRUE(restored) << "still degraded: " << prov.degraded_msg();
    std::printf("cluster started: restored %.0f ms after the start\n", res_ms);
    RecordProperty("restore_ms", int(res_ms));
    /* the kernel cached the "drop" given while etcd was away: shot down now */
    Mac6 dropped = test_mac(kCached);
    EXPECT_TRUE(prov.wait_for(
        [&] {
            for (auto& e : prov.events)
                if (e.t_ns > t_start &&
                    ((e.kind == TimedProvider::invalidate && e.mac == dropped) ||
                     e.kind == TimedProvider::flush))
                    return true;
            return false;
        },
        std::chrono::milliseconds(10000)))
        << "the drop answered while etcd was down was never shot down";
    Answer b = inst.lookup(test_mac(kCached + 1));
    EXPECT_EQ(b.kind, Answer::dest);
    EXPECT_EQ(dest_seq(b.d), kCached + 1);
    /* the watch is back: a change made now reaches the cache */
    c->put(mac_key(kPrefix, 1, test_mac(7)), mac_value(777777));
    EXPECT_TRUE(kernel.wait_all(
        [](const Mac6& m, int64_t s) { return m == test_mac(7) ? s == 777777 : s >= 0; }, 10s))
        << "entry 7: " << kernel.entry(test_mac(7));
}

/*
 * Writes through varpd's path while the leader dies: transactions of 250
 * mappings (three etcd txns each), each on MACs of its own, committed one
 * after another through the backend's map operations. A commit that says
 * it succeeded must have all its keys in etcd; one that failed, none of
 * them -- unless its error says the undo failed too (the backend's stated
 * limit), which is counted and printed.
 */
namespace {

const uint32_t kPer = 250; /* mappings per commit: applied in two txns after its mark */

/* The intent record and staged chunks left for vnet 1. */
size_t unfinished(EtcdCluster& c) {
    return c.get_prefix(std::string(kPrefix) + "/vnet/1/intent").size() +
           c.get_prefix(std::string(kPrefix) + "/staging/1/").size();
}

/* How many of test_mac(first..first+n-1) hold seq_ip(seq+i) in etcd. */
size_t holding(EtcdCluster& c, uint32_t first, uint32_t n, uint32_t seq) {
    std::map<std::string, std::string> kv;
    for (auto& e : c.get_prefix(std::string(kPrefix) + "/vnet/1/mac/"))
        kv[e.key] = e.value;
    size_t have = 0;
    for (uint32_t i = 0; i < n; i++) {
        auto it = kv.find(mac_key(kPrefix, 1, test_mac(first + i)));
        have +=
            it != kv.end() && it->second.find("\"" + seq_ip(seq + i) + "\"") != std::string::npos;
    }
    return have;
}

} // namespace

/*
 * Commits of kPer mappings (commit k: test_mac(k*kPer+i) -> seq k) flow
 * while fault() strikes after the third; once nothing is left unfinished,
 * each commit's keys are all in etcd or none, whatever it returned.
 */
void Faults::commits_across(const char* what, const std::function<void()>& fault) {
    EtcdInstance inst(lib, prov, props());
    ASSERT_EQ(inst.start(), 0) << prov.all_logs();
    struct Result {
        int rc;
        std::string err;
    };
    std::mutex mu;
    std::vector<Result> res;
    std::atomic<size_t> done{0};
    std::atomic<bool> quit{false};
    auto o = inst.ops();
    void* a = inst.arg();
    std::thread w([&] {
        for (uint32_t k = 0; !quit && k < 400; k++) {
            varpd_err_t err{};
            void* txn = nullptr;
            int rc = o->vpo_map_begin(a, &txn, &err);
            if (rc == 0) {
                std::vector<varpd_mapping_t> v;
                for (uint32_t i = 0; i < kPer; i++)
                    v.push_back(test_mapping(k * kPer + i, k));
                rc = o->vpo_map_put(a, txn, v.data(), v.size(), &err);
                if (rc == 0)
                    rc = o->vpo_map_commit(a, txn, &err);
                else
                    o->vpo_map_abort(a, txn);
            }
            std::lock_guard g(mu);
            res.push_back({rc, err.ve_msg});
            done++;
        }
    });
    bool started = eventually([&] { return done >= 3; }, 60s);
    size_t at_fault = done;
    if (started) {
        fault();
        c->wait_leader(); /* then five more: some ran through the election */
    }
    bool after = started && eventually([&] { return done >= at_fault + 5; }, 90s);
    quit = true;
    w.join();
    ASSERT_TRUE(started) << "no three commits before the fault: " << prov.all_logs();
    ASSERT_TRUE(after) << "fewer than five commits in 90 s after the fault";
    ASSERT_TRUE(eventually([&] { return unfinished(*c) == 0; }, 40s))
        << unfinished(*c) << " intent and staged chunks left unfinished\n"
        << prov.all_logs();

    std::set<std::string> present;
    for (auto& kv : c->get_prefix(std::string(kPrefix) + "/vnet/1/mac/"))
        present.insert(kv.key);
    size_t ok = 0, failed = 0;
    for (uint32_t k = 0; k < res.size(); k++) {
        size_t have = 0; /* commit k's keys are its own: present means written */
        for (uint32_t i = 0; i < kPer; i++)
            have += present.count(mac_key(kPrefix, 1, test_mac(k * kPer + i)));
        if (res[k].rc == 0) {
            ok++;
            EXPECT_EQ(have, kPer) << "commit " << k << " succeeded but etcd holds " << have;
            continue;
        }
        failed++;
        EXPECT_TRUE(have == 0 || have == kPer)
            << "commit " << k << " failed (" << res[k].rc << ": " << res[k].err
            << ") and etcd holds " << have << " of its " << kPer << " keys";
        if (res[k].err.find("nothing was changed") != std::string::npos) {
            EXPECT_EQ(have, 0u) << "commit " << k << ": " << res[k].err;
        }
        std::printf("commit %u failed (%d): %s; etcd holds %zu of its %u keys\n", k, res[k].rc,
                    res[k].err.c_str(), have, kPer);
    }
    std::printf("%s under commits of %u mappings: %zu committed, %zu failed, 0 partly applied\n",
                what, kPer, ok, failed);
    EXPECT_GT(ok, 5u);
}

TEST_F(Faults, MapCommitsAcrossALeaderKillAreAllOrNothing) {
    c = std::make_unique<EtcdCluster>(3, dir.path());
    ASSERT_TRUE(c->make_leader(0));
    commits_across("leader killed", [&] {
        int l = c->wait_leader();
        c->kill(size_t(l < 0 ? 0 : l));
    });
}

TEST_F(Faults, MapCommitsAcrossAMemberStopAreAllOrNothing) {
    c = std::make_unique<EtcdCluster>(3, dir.path());
    /* the member the backend asks first is a follower, and is stopped */
    ASSERT_TRUE(c->make_leader(1));
    commits_across("member m0 stopped", [&] { c->stop(0); });
}

/*
 * varpd SIGKILLed inside a commit: a child process commits kPer new
 * mappings (seq 5000+i) over kPer seeded ones (seq i) and is killed at a
 * failpoint. Returns true when it died of SIGKILL there.
 */
bool Faults::crash_at(const std::string& failpoint, std::string& log) {
    std::string logf = dir.path() + "/child-" + failpoint + ".log";
    pid_t p = spawn_child({ETCD_COMMIT_CHILD, kPlugin, c->endpoints(), kPrefix, "1", "0",
                           std::to_string(kPer), "5000", failpoint},
                          -1, -1, logf);
    int st = 0;
    bool ended = eventually([&] { return ::waitpid(p, &st, WNOHANG) == p; }, 60s);
    if (!ended) {
        ::kill(p, SIGKILL);
        ::waitpid(p, &st, 0);
    }
    std::ifstream in(logf);
    log.assign(std::istreambuf_iterator<char>(in), {});
    return ended && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL;
}

void Faults::seed_old() {
    c = std::make_unique<EtcdCluster>(3, dir.path());
    seed(*c, 1, 0, kPer);
}

std::vector<Mac6> Faults::seeded_macs() {
    std::vector<Mac6> v;
    for (uint32_t i = 0; i < kPer; i++)
        v.push_back(test_mac(i));
    return v;
}

/* Killed before the commit point: nothing was written, the locks are
   discarded once the writer's lease ends, and the caches keep the old. */
TEST_F(Faults, VarpdKilledBeforeTheMarkLeavesAllOld) {
    seed_old();
    EtcdInstance obs(lib, prov, props());
    ASSERT_EQ(obs.start(), 0) << prov.all_logs();
    KernelModel kernel(prov);
    kernel.run(obs, seeded_macs());
    auto old = [](const Mac6& m, int64_t s) { return s == int64_t(m[5] | (m[4] << 8)); };
    ASSERT_TRUE(kernel.wait_all(old, 20s));
    std::string log;
    ASSERT_TRUE(crash_at("before-mark", log)) << log;
    EXPECT_EQ(holding(*c, 0, kPer, 0), kPer) << "the old mappings changed before the commit point";
    EXPECT_GT(unfinished(*c), 0u) << "no staged change left to discard";
    ASSERT_TRUE(eventually([&] { return unfinished(*c) == 0; }, 30s))
        << "the dead writer's staged change was not discarded\n"
        << prov.all_logs();
    EXPECT_EQ(holding(*c, 0, kPer, 0), kPer);
    EXPECT_TRUE(kernel.wait_all(old, 5s));
    /* the keys are free again: a new commit of them lands whole */
    varpd_err_t err{};
    void* txn = nullptr;
    ASSERT_EQ(obs.ops()->vpo_map_begin(obs.arg(), &txn, &err), 0) << err.ve_msg;
    std::vector<varpd_mapping_t> v;
    for (uint32_t i = 0; i < kPer; i++)
        v.push_back(test_mapping(i, 7000 + i));
    ASSERT_EQ(obs.ops()->vpo_map_put(obs.arg(), txn, v.data(), v.size(), &err), 0);
    ASSERT_EQ(obs.ops()->vpo_map_commit(obs.arg(), txn, &err), 0) << err.ve_msg;
    EXPECT_EQ(holding(*c, 0, kPer, 7000), kPer);
}

/* Killed right after the commit point: another running instance sees the
   committed intent through its watch and finishes it; its kernel follows. */
TEST_F(Faults, VarpdKilledAfterTheMarkIsFinishedByAnotherHost) {
    seed_old();
    EtcdInstance obs(lib, prov, props());
    ASSERT_EQ(obs.start(), 0) << prov.all_logs();
    KernelModel kernel(prov);
    kernel.run(obs, seeded_macs());
    ASSERT_TRUE(kernel.wait_all(
        [](const Mac6& m, int64_t s) { return s == int64_t(m[5] | (m[4] << 8)); }, 20s));
    /* its look at start is done: what finishes the change is the watch */
    ASSERT_TRUE(prov.wait_for(
        [&] {
            for (auto& l : prov.logs)
                if (l.second.find("no unfinished change") != std::string::npos)
                    return true;
            return false;
        },
        10000ms));
    std::string log;
    ASSERT_TRUE(crash_at("after-mark", log)) << log;
    EXPECT_EQ(holding(*c, 0, kPer, 0), kPer) << "applied before the failpoint";
    ASSERT_TRUE(eventually([&] { return unfinished(*c) == 0; }, 30s))
        << "the committed change was not finished\n"
        << prov.all_logs();
    EXPECT_EQ(holding(*c, 0, kPer, 5000), kPer);
    EXPECT_TRUE(kernel.wait_all(
        [](const Mac6& m, int64_t s) { return s == 5000 + int64_t(m[5] | (m[4] << 8)); }, 10s))
        << "the kernel's cache did not follow";
}

/* Killed midway through applying: part is new, part old, until the next
   instance to start finishes it (at its start, no watch event needed). */
TEST_F(Faults, VarpdKilledMidApplyIsFinishedAtTheNextStart) {
    seed_old();
    std::string log;
    ASSERT_TRUE(crash_at("mid-apply", log)) << log;
    size_t fresh = holding(*c, 0, kPer, 5000);
    EXPECT_GT(fresh, 0u);
    EXPECT_LT(fresh, kPer) << "not killed midway";
    EtcdInstance next(lib, prov, props());
    ASSERT_EQ(next.start(), 0) << prov.all_logs();
    ASSERT_TRUE(eventually([&] { return unfinished(*c) == 0; }, 30s))
        << "the committed change was not finished at start\n"
        << prov.all_logs();
    EXPECT_EQ(holding(*c, 0, kPer, 5000), kPer);
    KernelModel kernel(prov);
    kernel.run(next, seeded_macs());
    EXPECT_TRUE(kernel.wait_all(
        [](const Mac6& m, int64_t s) { return s == 5000 + int64_t(m[5] | (m[4] << 8)); }, 20s));
}

TEST_F(Faults, TlsClientCertificates) {
    ClusterOptions o;
    o.tls = true;
    c = std::make_unique<EtcdCluster>(1, dir.path(), o);
    seed(*c, 1, 0, 10);
    {
        EtcdInstance inst(lib, prov,
                          props({{"etcd/ca", c->ca_file()},
                                 {"etcd/cert", c->cert_file()},
                                 {"etcd/key", c->key_file()}}));
        ASSERT_EQ(inst.setprop_errors(), "");
        ASSERT_EQ(inst.start(), 0) << prov.all_logs();
        Answer a = inst.lookup(test_mac(3));
        EXPECT_EQ(a.kind, Answer::dest);
        EXPECT_EQ(dest_seq(a.d), 3u);
        KernelModel kernel(prov);
        kernel.run(inst, {test_mac(4)});
        ASSERT_TRUE(kernel.wait_all([](const Mac6&, int64_t s) { return s == 4; }, 10s));
        c->put(mac_key(kPrefix, 1, test_mac(4)), mac_value(4444));
        EXPECT_TRUE(kernel.wait_all([](const Mac6&, int64_t s) { return s == 4444; }, 10s))
            << "no watch over TLS";
    }
    /* the wrong CA: a clear error, not a crash, and no hung lookup */
    TimedProvider p2;
    EtcdInstance bad(lib, p2,
                     props({{"etcd/ca", c->wrong_ca_file()},
                            {"etcd/cert", c->cert_file()},
                            {"etcd/key", c->key_file()}}));
    int rc = bad.start();
    std::string why;
    if (rc == 0) {
        EXPECT_TRUE(p2.wait_for([&] { return !p2.degraded.empty(); }, 10000ms));
        Answer a = bad.lookup(test_mac(3), 10s);
        EXPECT_EQ(a.kind, Answer::drop);
        why = p2.degraded_msg() + "\n" + p2.all_logs();
    } else {
        why = p2.all_logs() + p2.degraded_msg();
    }
    std::printf("wrong CA: start %d: %s\n", rc, why.c_str());
    std::string lw = lower(why);
    EXPECT_TRUE(lw.find("certificate") != std::string::npos ||
                lw.find("ssl") != std::string::npos || lw.find("tls") != std::string::npos)
        << why;
}

TEST_F(Faults, AuthUserPassword) {
    ClusterOptions o;
    o.auth = true;
    c = std::make_unique<EtcdCluster>(1, dir.path(), o);
    seed(*c, 1, 0, 10);
    {
        EtcdInstance inst(lib, prov,
                          props({{"etcd/user", c->user()},
                                 {"etcd/password_file", dir.write_file("pw", c->password())}}));
        ASSERT_EQ(inst.setprop_errors(), "");
        ASSERT_EQ(inst.start(), 0) << prov.all_logs();
        Answer a = inst.lookup(test_mac(5));
        EXPECT_EQ(a.kind, Answer::dest);
        KernelModel kernel(prov);
        kernel.run(inst, {test_mac(6)});
        ASSERT_TRUE(kernel.wait_all([](const Mac6&, int64_t s) { return s == 6; }, 10s));
        c->put(mac_key(kPrefix, 1, test_mac(6)), mac_value(6666));
        EXPECT_TRUE(kernel.wait_all([](const Mac6&, int64_t s) { return s == 6666; }, 10s))
            << "no watch with auth";
    }
    TimedProvider p2;
    EtcdInstance bad(lib, p2,
                     props({{"etcd/user", "root"},
                            {"etcd/password_file", dir.write_file("pw-wrong", "wrong\n")}}));
    int rc = bad.start();
    std::string why;
    if (rc == 0) {
        EXPECT_TRUE(p2.wait_for([&] { return !p2.degraded.empty(); }, 10000ms));
        Answer a = bad.lookup(test_mac(5), 10s);
        EXPECT_EQ(a.kind, Answer::drop);
        why = p2.degraded_msg() + "\n" + p2.all_logs();
    } else {
        why = p2.all_logs() + p2.degraded_msg();
    }
    std::printf("wrong password: start %d: %s\n", rc, why.c_str());
    std::string lw = lower(why);
    EXPECT_TRUE(lw.find("auth") != std::string::npos || lw.find("password") != std::string::npos)
        << why;
}
