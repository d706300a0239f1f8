/*
 * etcd_instance.h - the etcd backend's instance (struct Etcd) and the types
 * its two halves share: etcd.cpp (lookups, the watch, leases, the ops
 * vector; its theory statement covers both) and etcd_write.cpp (the map
 * operations' commit). Private to plugins/etcd.
 */
#ifndef VARPD_ETCD_INSTANCE_H
#define VARPD_ETCD_INSTANCE_H

#include "etcd_client.h"
#include "etcd_layout.h"
#include "plugin_util.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

namespace etcd_plugin {

using etcd::json;
using etcd_layout::Ip6;
using etcd_layout::Kind;
using etcd_layout::Mac;
using etcd_layout::mac_text;

constexpr const char* prop_endpoints = "etcd/endpoints";
constexpr const char* prop_prefix = "etcd/prefix";
constexpr const char* prop_ca = "etcd/ca";
constexpr const char* prop_cert = "etcd/cert";
constexpr const char* prop_key = "etcd/key";
constexpr const char* prop_user = "etcd/user";
constexpr const char* prop_password_file = "etcd/password_file";
/* Refused: a password set as a property would be saved in varpd's state. */
constexpr const char* prop_password = "etcd/password";
constexpr const char* prop_revision = "etcd/revision";
constexpr const char* prop_restarts = "etcd/watch_restarts";
constexpr const char* prop_cached = "etcd/cached";
constexpr const char* default_prefix = "/overlay";

constexpr size_t cache_cap = 1 << 18; /* entries; past it the caches are cleared */
constexpr size_t dropped_cap = 1024;  /* MACs answered drop while down, then a flush */
constexpr size_t txn_ops = 100;       /* below etcd's default --max-txn-ops (128) */
/* Keys a one-txn commit writes: a compare each, and two more (no intent,
   no fence), within etcd's default --max-txn-ops of 128. */
constexpr size_t single_keys = 120;
constexpr size_t apply_ops = 127;          /* writes per txn applying an intent (+ its count) */
constexpr size_t chunk_bytes = 512 * 1024; /* a staged chunk; etcd takes 1.5 MiB a request */
constexpr int intent_ttl = 10;             /* s: a staged intent outlives its writer by this much */
constexpr int fence_ttl = 60;              /* s: longer than any server keeps a request */
constexpr auto write_patience = std::chrono::milliseconds(8000); /* per txn, while none answers */
constexpr auto recover_grace = std::chrono::milliseconds(3000);  /* a writer applies its own */
constexpr auto busy_wait = std::chrono::milliseconds(10000);     /* for another's larger change */
constexpr auto fail_fast = std::chrono::milliseconds(1000);      /* misses answered drop unasked */
constexpr auto election_patience = std::chrono::milliseconds(1500); /* a miss waits for a leader */

enum class St { loading, present, absent, bad };

/* A cached answer: a MAC's entry, or the MAC an address belongs to. */
template <class V>
struct Cached {
    St st = St::loading;
    V v{};
    int64_t rev = 0; /* the revision st is known at */
    int loaders = 0; /* ranges in flight for it */
};
using MacEnt = Cached<files::Entry>;
using AddrEnt = Cached<Mac>;

struct Props {
    std::string endpoints, prefix = default_prefix, ca, cert, key, user, password_file;
};

/* One staged change of a transaction. */
struct Staged {
    bool put;
    varpd_mapping_t m;
};
struct Txn {
    std::vector<Staged> ops;
};

/* A key as read before a commit. */
struct Cur {
    bool exists = false;
    std::string value;
    int64_t mod = 0;
    int64_t lease = 0;
};

/* One planned write of a commit. */
struct PlanOp {
    bool put;
    std::string value;
    uint32_t ttl = 0;
    int64_t expect_mod = 0; /* 0: the key must not exist */
};

using Plan = std::vector<std::pair<std::string, PlanOp>>; /* in key order */

/* One write of a staged chunk. */
struct StagedOp {
    std::string key;
    bool put = false;
    std::string value;
    uint32_t ttl = 0;
    int64_t lease = 0;
};

/*
 * Decoders of the gateway's answers (etcd_write.cpp): pure, no request, no
 * shape assumed of bytes from the network (fuzzed in tests/fuzz/etcd).
 */
void take_kv(const json& kv, Cur& c);
/* One page of a range into out (only the wanted keys); from moves past its
   last key. Whether to read on: "more", and the page made progress. */
bool take_range_page(const json& body, const std::set<std::string>& wanted,
                     std::map<std::string, Cur>& out, std::string& from);
/* A txn of ranges for keys[at, end): each key's first kv into out. */
void take_txn_ranges(const json& body, const std::vector<std::string>& keys, size_t at, size_t end,
                     std::map<std::string, Cur>& out);
/* "" and the writes of a staged chunk appended to out, or why it is not one. */
std::string parse_chunk(const std::string& text, std::vector<StagedOp>& out);
/* An intent record's state ("staged", "committed"), "" if none. */
std::string state_of(const std::string& intent_value);

/* What one start of an instance talks to; replaced, never changed, by a restart. */
struct Conn {
    std::unique_ptr<etcd::Client> client;
    etcd_layout::Layout lay;
};
using ConnP = std::shared_ptr<Conn>;

struct Etcd {
    varpd_provider_t* prov = nullptr;
    Props p;
    ConnP conn; /* null while stopped; read under mu by lookups and map operations */

    std::mutex mu;
    std::unordered_map<uint64_t, MacEnt, files::KeyHash> macs;
    std::unordered_map<Ip6, AddrEnt, files::Ip6Hash> addrs;
    int64_t floor = 0;
    int64_t applied = 0;
    bool degraded = false;
    std::chrono::steady_clock::time_point failed_at; /* the last request no endpoint answered */
    std::vector<Mac> dropped_down;
    bool dropped_overflow = false;

    std::atomic<uint64_t> restarts{0};
    std::atomic<bool> watch_up{false}; /* a stream is created and running */
    std::atomic<size_t> watch_ep{0};   /* on this endpoint */
    std::atomic<int64_t> revision{0};
    /* The watch's member sends progress notifications only for synced
       watchers (etcd 3.4.25+, 3.5.8+): their revision may advance applied.
       The watch thread sets it before each stream; it alone reads it. */
    bool progress_trusted = false;
    bool progress_logged = false; /* said once per instance which version was seen */
    std::thread watcher;
    std::atomic<bool> stopping{false};
    std::mutex wmu;
    std::condition_variable wcv;

    std::mutex lmu;
    std::map<uint32_t, int64_t> leases; /* TTL -> lease ID */
    std::thread keeper;
    bool keeper_stop = false;
    std::condition_variable lcv;

    std::unique_ptr<Txn> open;
    std::string failpoint; /* VARPD_ETCD_FAILPOINT, for the crash tests */

    /* Unfinished intents (under mu): the watch notes them, the keeper recovers. */
    enum class IntentSeen { none, staged, committed };
    IntentSeen intent_seen = IntentSeen::none;
    bool recover_pending = false, recover_all = false;
    std::chrono::steady_clock::time_point recover_at;

    void log(int level, const std::string& m) { varpd_log(prov, level, ("etcd: " + m).c_str()); }
    bool started() const { return watcher.joinable(); }
    ConnP now() {
        std::lock_guard g(mu);
        return conn;
    }

    /* lookups */
    bool range_one(Conn& cn, const std::string& key, bool& exists, std::string& value, int64_t& rev,
                   std::string& why);
    /* unsure: answered drop for a reason no later event will clear (the
       instance restarted meanwhile, or the caches kept being cleared); the
       caller drops the kernel's entry again right after the answer. */
    enum class Got { ok, unreachable, unsure };
    void note_dropped_locked(const Mac& m);
    template <class Map, class V, class Decode>
    Got resolve(const ConnP& cn, Map& map, const typename Map::key_type& k, const std::string& key,
                Decode decode, St& st, V& v, const Mac* dropped);
    Got resolve_mac(const ConnP& cn, const Mac& mac, St& st, files::Entry& e);
    Got resolve_addr(const ConnP& cn, const Ip6& a, St& st, Mac& mac);
    void note_unreachable(const std::string& why, const Mac* dropped);
    void clear_caches_locked(int64_t at);
    void cap_caches();

    /* watch */
    void watch_loop(ConnP cp);
    bool on_watch_msg(Conn& cn, const json& m, bool& resync, bool& created, int64_t& compacted,
                      std::string& why);
    void on_created(Conn& cn, bool resync, int64_t rev);
    void restore_if_degraded(bool flushed);
    void apply_events(Conn& cn, const json& events);
    void learn_version(Conn& cn, size_t ep);
    void nap(std::chrono::milliseconds d);

    /* leases */
    bool lease_for(const ConnP& cn, uint32_t ttl, int64_t& id, std::string& why);
    void forget_dead_leases(Conn& cn, const std::set<int64_t>& ids);
    void keep_leases(ConnP cp);
    void keep_leases_loop(const ConnP& cp);
    void stop_keeper();

    /* writes */
    bool read_keys(Conn& cn, const std::vector<std::string>& keys, std::map<std::string, Cur>& out,
                   std::string& why);
    int commit(const ConnP& cn, Txn& t, std::string& why);
    int plan_change(const ConnP& cn, Txn& t, std::map<std::string, PlanOp>& plan,
                    std::map<uint32_t, int64_t>& lease, std::string& why);
    int commit_once(const ConnP& cn, Txn& t, std::string& why, bool& conflict, bool& busy);
    int commit_single(const ConnP& cn, const Plan& list, const std::map<uint32_t, int64_t>& lease,
                      std::string& why, bool& conflict, bool& busy);
    int take_intent(const ConnP& cn, const std::string& id, int64_t& lease, std::string& text,
                    std::string& why, bool& busy);
    int commit_intent(const ConnP& cn, Txn& t, std::string& why, bool& conflict, bool& busy);
    /* A request sent again while no member answers, for write_patience. */
    etcd::Reply patient(Conn& cn, const std::string& path, const json& body);
    etcd::Reply txn(Conn& cn, const json& body);
    bool finish_intent(const ConnP& cn, const std::string& id, std::string& why);
    bool recover(const ConnP& cn);
    void recover_soon(std::chrono::milliseconds after, bool all);
    void note_intent_locked(bool del, const std::string& value);
    void recover_if_due(const ConnP& cn);
    void fail_at(const char* where);
};

inline Etcd* self(void* arg) {
    return static_cast<Etcd*>(arg);
}

} // namespace etcd_plugin

#endif
