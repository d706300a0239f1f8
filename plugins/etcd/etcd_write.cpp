/*
 * etcd_write.cpp - the etcd backend's commit of a mapping change: read the
 * keys it touches, plan the mac/ and ip/ writes, then write them in one
 * guarded txn when they fit, or else through an intent: stage a lock per
 * key, mark the intent committed in one txn (the commit point), apply.
 * Any instance finishes a committed intent and discards an uncommitted
 * one (recover()). The theory statement is etcd.cpp's ("Writes").
 */
#include "etcd_instance.h"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <random>
#include <set>
#include <unistd.h>

namespace etcd_plugin {

/* ---- writes ---- */

json put_op(const std::string& key, const std::string& value, int64_t lease) {
    json p = {{"key", etcd::b64_encode(key)}, {"value", etcd::b64_encode(value)}};
    if (lease)
        p["lease"] = std::to_string(lease);
    return {{"request_put", p}};
}

json del_op(const std::string& key) {
    return {{"request_delete_range", {{"key", etcd::b64_encode(key)}}}};
}

void take_kv(const json& kv, Cur& c) {
    c.exists = etcd::b64_decode(etcd::str(kv, "value"), c.value);
    c.mod = etcd::num(kv, "mod_revision");
    c.lease = etcd::num(kv, "lease");
}

bool take_range_page(const json& body, const std::set<std::string>& wanted,
                     std::map<std::string, Cur>& out, std::string& from) {
    const json& kvs = etcd::array(body, "kvs");
    for (const json& kv : kvs) {
        std::string key;
        etcd::b64_decode(etcd::str(kv, "key"), key);
        if (key + std::string(1, '\0') <= from)
            return false; /* not past the page before: no progress, stop */
        from = key + std::string(1, '\0');
        if (wanted.count(key))
            take_kv(kv, out[key]);
    }
    return !kvs.empty() && etcd::flag(body, "more");
}

void take_txn_ranges(const json& body, const std::vector<std::string>& keys, size_t at, size_t end,
                     std::map<std::string, Cur>& out) {
    const json& res = etcd::array(body, "responses");
    for (size_t i = at; i < end && i < keys.size(); i++) {
        Cur& c = out[keys[i]];
        size_t j = i - at;
        if (j >= res.size())
            continue;
        const json& kvs = etcd::array(etcd::member(res[j], "response_range"), "kvs");
        if (!kvs.empty())
            take_kv(kvs[0], c);
    }
}

/*
 * The current value of each key: a txn of ranges per 100 keys, or, for
 * many keys (an import), one paged range over [first, last] when that
 * interval holds not many more keys than are wanted (an import into an
 * empty vnet then costs one request).
 */
bool Etcd::read_keys(Conn& cn, const std::vector<std::string>& keys,
                     std::map<std::string, Cur>& out, std::string& why) {
    if (keys.size() > 200) {
        std::set<std::string> wanted(keys.begin(), keys.end());
        std::string lo = *wanted.begin(), hi = *wanted.rbegin() + std::string(1, '\0');
        etcd::Reply c = cn.client->call("/v3/kv/range", {{"key", etcd::b64_encode(lo)},
                                                         {"range_end", etcd::b64_encode(hi)},
                                                         {"count_only", true}});
        if (c.ok && etcd::num(c.body, "count") <= int64_t(2 * wanted.size())) {
            for (auto& k : wanted)
                out[k];
            std::string from = lo;
            for (bool more = true; more;) {
                etcd::Reply r =
                    cn.client->call("/v3/kv/range", {{"key", etcd::b64_encode(from)},
                                                     {"range_end", etcd::b64_encode(hi)},
                                                     {"limit", 1000}});
                if (!r.ok) {
                    why = "cannot read the current mappings: " + r.error;
                    return false;
                }
                more = take_range_page(r.body, wanted, out, from);
            }
            return true;
        }
    }
    for (size_t at = 0; at < keys.size(); at += txn_ops) {
        json ops = json::array();
        size_t end = std::min(keys.size(), at + txn_ops);
        for (size_t i = at; i < end; i++)
            ops.push_back({{"request_range", {{"key", etcd::b64_encode(keys[i])}}}});
        etcd::Reply r = cn.client->call("/v3/kv/txn", {{"success", ops}});
        if (!r.ok) {
            why = "cannot read the current mappings: " + r.error;
            return false;
        }
        take_txn_ranges(r.body, keys, at, end, out);
    }
    return true;
}

namespace {

json cmp_mod(const std::string& key, int64_t mod) {
    return {{"key", etcd::b64_encode(key)},
            {"target", "MOD"},
            {"result", "EQUAL"},
            {"mod_revision", std::to_string(mod)}};
}

json cmp_version(const std::string& key, int64_t version) {
    return {{"key", etcd::b64_encode(key)},
            {"target", "VERSION"},
            {"result", "EQUAL"},
            {"version", std::to_string(version)}};
}

json range_op(const std::string& key) {
    return {{"request_range", {{"key", etcd::b64_encode(key)}}}};
}

bool succeeded(const etcd::Reply& r) {
    return r.ok && etcd::flag(r.body, "succeeded");
}

/* The first kv of the i-th response of a txn (a range), or null. */
const json* txn_kv(const etcd::Reply& r, size_t i) {
    const json& res = etcd::array(r.body, "responses");
    if (!r.ok || res.size() <= i)
        return nullptr;
    const json& kvs = etcd::array(etcd::member(res[i], "response_range"), "kvs");
    return kvs.empty() ? nullptr : &kvs[0];
}

std::string kv_value(const json& kv) {
    std::string v;
    etcd::b64_decode(etcd::str(kv, "value"), v);
    return v;
}

} // namespace

std::string state_of(const std::string& intent_value) {
    return etcd::str(json::parse(intent_value, nullptr, false), "state");
}

namespace {

std::string new_intent_id() {
    std::random_device rd;
    uint64_t v = (uint64_t(rd()) << 32) ^ rd();
    char b[17];
    std::snprintf(b, sizeof b, "%016llx", static_cast<unsigned long long>(v));
    return b;
}

std::string intent_value(const char* state, size_t keys) {
    char host[256] = "";
    gethostname(host, sizeof host - 1);
    return json{{"state", state},
                {"keys", keys},
                {"by", std::string(host) + " pid " + std::to_string(getpid())}}
        .dump();
}

std::string lock_value(const std::string& id, const PlanOp& op, int64_t lease) {
    json j = {{"intent", id}, {"op", op.put ? "put" : "delete"}};
    if (op.put) {
        j["value"] = op.value;
        if (op.ttl) {
            j["ttl"] = op.ttl;
            j["lease"] = std::to_string(lease);
        }
    }
    return j.dump();
}

} // namespace

std::string parse_lock(const std::string& text, Lock& l) {
    json j = json::parse(text, nullptr, false);
    if (!j.is_object() || !j.contains("intent") || !j["intent"].is_string() || !j.contains("op") ||
        !j["op"].is_string())
        return "not a lock this backend writes";
    l.intent = j["intent"].get<std::string>();
    std::string op = j["op"].get<std::string>();
    if (op != "put" && op != "delete")
        return "op \"" + op + "\" is neither put nor delete";
    l.put = op == "put";
    if (l.put) {
        if (!j.contains("value") || !j["value"].is_string())
            return "a put without a value";
        l.value = j["value"].get<std::string>();
        const json& ttl = etcd::member(j, "ttl");
        l.ttl =
            ttl.is_number_unsigned() && ttl.get<uint64_t>() <= UINT32_MAX ? ttl.get<uint32_t>() : 0;
        l.lease = etcd::num(j, "lease");
    }
    return "";
}

namespace {

/*
 * send(at, end) for [0, n) in chunks of `per`: 1 done, 0 its compares
 * failed (then each of the chunk alone: some were done by another), -1 an
 * error (false). after() runs once the first chunk is through.
 */
template <class Send, class After>
bool by_chunks(size_t n, size_t per, Send send, After after) {
    for (size_t at = 0; at < n; at += per) {
        size_t end = std::min(n, at + per);
        int rc = send(at, end);
        if (rc < 0)
            return false;
        if (rc == 0)
            for (size_t i = at; i < end; i++)
                if (send(i, i + 1) < 0)
                    return false;
        if (at == 0)
            after();
    }
    return true;
}

} // namespace

void Etcd::fail_at(const char* where) {
    if (failpoint != where)
        return;
    log(VARPD_LOG_ERR, std::string("failpoint ") + where + ": killing the process");
    raise(SIGKILL);
}

/*
 * A txn, sent again while no member answers (an election, a member killed)
 * for up to write_patience; every txn of the commit is guarded, so a try
 * applied without an answer makes the next one fail its compares, and
 * r.resent tells the caller to look before concluding.
 */
etcd::Reply Etcd::txn(Conn& cn, const json& body) {
    using namespace std::chrono;
    auto until = steady_clock::now() + write_patience;
    auto pause = milliseconds(50);
    bool resent = false;
    for (;;) {
        etcd::Reply r = cn.client->call("/v3/kv/txn", body);
        resent = resent || r.resent;
        if (r.ok || !r.unreachable || steady_clock::now() >= until) {
            r.resent = resent;
            return r;
        }
        std::this_thread::sleep_for(pause);
        pause = std::min(pause * 2, milliseconds(500));
    }
}

/*
 * Apply locks of a committed intent: per txn, each key's write and the
 * lock's delete, guarded by the lock's mod revision (another finisher may
 * have applied some: then they are done one by one, skipping those gone).
 */
bool Etcd::apply_locks(const ConnP& cn, std::vector<Lock>& locks, std::string& why) {
    auto write_of = [](const Lock& l) {
        return l.put ? put_op(l.key, l.value, l.ttl ? l.lease : 0) : del_op(l.key);
    };
    auto send = [&](size_t at, size_t end)
        -> int { /* 1 applied, 0 compares failed, -1 error */
                 for (int tries = 0; tries < 2; tries++) {
                     json cmp = json::array(), ops = json::array();
                     for (size_t i = at; i < end; i++) {
                         cmp.push_back(cmp_mod(locks[i].lock, locks[i].mod));
                         ops.push_back(write_of(locks[i]));
                         ops.push_back(del_op(locks[i].lock));
                     }
                     etcd::Reply r = txn(*cn, {{"compare", cmp}, {"success", ops}});
                     if (r.ok)
                         return succeeded(r) ? 1 : 0;
                     if (r.error.find("lease not found") == std::string::npos || tries) {
                         why = r.error;
                         return -1;
                     }
                     /* The writer's lease for a TTL is gone: one of ours, same TTL. */
                     forget_leases();
                     for (size_t i = at; i < end; i++)
                         if (locks[i].put && locks[i].ttl &&
                             !lease_for(cn, locks[i].ttl, locks[i].lease, why))
                             return -1;
                 }
                 return -1;
    };
    return by_chunks(locks.size(), chunk_keys, send, [&] { fail_at("mid-apply"); });
}

/* Delete locks of an intent that will never commit, each if still the one read. */
bool Etcd::discard_locks(Conn& cn, const std::vector<Lock>& locks, std::string& why) {
    auto send = [&](size_t at, size_t end) -> int {
        json cmp = json::array(), ops = json::array();
        for (size_t i = at; i < end; i++) {
            cmp.push_back(cmp_mod(locks[i].lock, locks[i].mod));
            ops.push_back(del_op(locks[i].lock));
        }
        etcd::Reply r = txn(cn, {{"compare", cmp}, {"success", ops}});
        if (!r.ok)
            why = r.error;
        return r.ok ? succeeded(r) : -1;
    };
    return by_chunks(locks.size(), txn_ops, send, [] {});
}

/* Every key under dir, paged; false (why set) when etcd does not answer. */
static bool range_all(Conn& cn, const std::string& dir, std::vector<json>& out, std::string& why) {
    std::string from = dir, end = etcd::prefix_end(dir);
    for (;;) {
        etcd::Reply r = cn.client->call("/v3/kv/range", {{"key", etcd::b64_encode(from)},
                                                         {"range_end", etcd::b64_encode(end)},
                                                         {"limit", 500}});
        if (!r.ok) {
            why = r.error;
            return false;
        }
        const json& kvs = etcd::array(r.body, "kvs");
        for (const json& kv : kvs) {
            std::string key;
            etcd::b64_decode(etcd::str(kv, "key"), key);
            if (key.compare(0, dir.size(), dir) != 0 || key + std::string(1, '\0') <= from)
                continue; /* not under dir, or no progress: not what was asked */
            from = key + std::string(1, '\0');
            out.push_back(kv);
        }
        if (kvs.empty() || !etcd::flag(r.body, "more"))
            return true;
    }
}

/*
 * Finish what writers left under this vnet: a committed intent's locks
 * are applied and the intent deleted; locks of an intent that is gone (its
 * writer's lease ran out, or it withdrew) or never was are deleted; a
 * staged intent's writer is alive (its lease holds the intent) and is left
 * alone. Returns false when something is left to look at again later.
 */
bool Etcd::recover(const ConnP& cn) {
    std::string why;
    std::vector<json> lock_kvs, intent_kvs;
    if (!range_all(*cn, cn->lay.lock_dir(), lock_kvs, why) ||
        !range_all(*cn, cn->lay.intent_dir(), intent_kvs, why)) {
        log(VARPD_LOG_WARNING, "cannot look for unfinished changes: " + why);
        return false;
    }
    std::map<std::string, std::string> state; /* intent id -> state */
    for (const json& kv : intent_kvs) {
        std::string key;
        etcd::b64_decode(etcd::str(kv, "key"), key); /* under intent_dir: range_all */
        state[key.substr(cn->lay.intent_dir().size())] = state_of(kv_value(kv));
    }
    std::map<std::string, std::vector<Lock>> by_intent;
    const std::string vdir = cn->lay.vnet_dir(), ldir = cn->lay.lock_dir();
    for (const json& kv : lock_kvs) {
        Lock l;
        etcd::b64_decode(etcd::str(kv, "key"), l.lock); /* under lock_dir: range_all */
        l.key = vdir + l.lock.substr(ldir.size());
        l.mod = etcd::num(kv, "mod_revision");
        std::string bad = parse_lock(kv_value(kv), l);
        if (!bad.empty()) {
            log(VARPD_LOG_WARNING, l.lock + ": " + bad + "; deleted, so it holds no key");
            l.intent.clear();
        }
        by_intent[l.intent].push_back(std::move(l));
    }
    if (by_intent.empty())
        log(VARPD_LOG_DEBUG, "no unfinished change under " + cn->lay.vnet_dir());
    bool settled = true;
    for (auto& [id, locks] : by_intent) {
        auto st = id.empty() ? state.end() : state.find(id);
        std::string s = st == state.end() ? "" : st->second;
        if (s == "staged") {
            settled = false; /* its writer is at work */
        } else if (s == "committed") {
            if (!apply_locks(cn, locks, why) ||
                !txn(*cn, {{"success", {del_op(cn->lay.intent_key(id))}}}).ok) {
                log(VARPD_LOG_WARNING, "cannot finish the committed change " + id + " yet: " + why);
                settled = false;
                continue;
            }
            state.erase(id);
            log(VARPD_LOG_INFO, "finished the committed change " + id + " that its writer left (" +
                                    std::to_string(locks.size()) + " keys)");
        } else if (!discard_locks(*cn, locks, why)) {
            log(VARPD_LOG_WARNING, "cannot discard the uncommitted change " + id + " yet: " + why);
            settled = false;
        } else if (!id.empty()) {
            log(VARPD_LOG_INFO, "discarded the uncommitted change " + id + " (" +
                                    std::to_string(locks.size()) + " keys locked, none written)");
        }
    }
    for (auto& [id, s] : state) /* committed and applied, but not deleted */
        if (s == "committed" && !by_intent.count(id))
            txn(*cn, {{"success", {del_op(cn->lay.intent_key(id))}}});
    return settled;
}

void Etcd::recover_soon(std::chrono::milliseconds after, bool all) {
    std::lock_guard g(mu);
    auto at = std::chrono::steady_clock::now() + after;
    if (!recover_pending || at < recover_at)
        recover_at = at;
    recover_pending = true;
    recover_all = recover_all || all;
}

/* The watch saw an intent record change (etcd.cpp's apply_events, under mu). */
void Etcd::note_intent_locked(const std::string& id, bool del, const std::string& value) {
    auto at = std::chrono::steady_clock::now();
    auto it = intents_seen.find(id);
    if (del) {
        /* a staged intent gone without its commit: withdrawn or expired */
        bool orphan = it != intents_seen.end() && !it->second;
        if (it != intents_seen.end())
            intents_seen.erase(it);
        if (!orphan)
            return;
        recover_all = true;
        at += std::chrono::milliseconds(1000);
    } else {
        bool committed = state_of(value) == "committed";
        intents_seen[id] = committed;
        if (!committed)
            return;
        at += recover_grace; /* its writer applies it meanwhile */
    }
    if (!recover_pending || at < recover_at)
        recover_at = at;
    recover_pending = true;
}

/* The keeper's turn (no lock held): recover when due and still needed. */
void Etcd::recover_if_due(const ConnP& cn) {
    {
        std::lock_guard g(mu);
        if (!recover_pending || std::chrono::steady_clock::now() < recover_at)
            return;
        bool open_commit = false;
        for (auto& [id, committed] : intents_seen)
            open_commit = open_commit || committed;
        recover_pending = false;
        if (!recover_all && !open_commit)
            return; /* every committed intent seen was finished by its writer */
        recover_all = false;
    }
    if (!recover(cn))
        recover_soon(std::chrono::milliseconds(2000), true);
}

/*
 * Up to chunk_keys planned writes in one txn, guarded by each key's mod
 * revision, the absence of its lock, and the absence of the fence (the
 * intent key of this id). Without a clear answer the fence is put: a try
 * still in flight then fails, and a read tells whether one was applied.
 */
int Etcd::commit_single(const ConnP& cn, const Plan& list, const std::map<uint32_t, int64_t>& lease,
                        std::string& why, bool& conflict) {
    std::string fence = cn->lay.intent_key(new_intent_id());
    json cmp = json::array(), ops = json::array();
    cmp.push_back(cmp_mod(fence, 0));
    for (auto& [key, op] : list) {
        cmp.push_back(cmp_mod(key, op.expect_mod));
        cmp.push_back(cmp_mod(cn->lay.lock_key(key), 0));
        ops.push_back(op.put ? put_op(key, op.value, op.ttl ? lease.at(op.ttl) : 0) : del_op(key));
    }
    etcd::Reply r = txn(*cn, {{"compare", cmp}, {"success", ops}});
    if (succeeded(r))
        return 0;
    if (r.ok && !r.resent) {
        conflict = true;
        why = "another writer changed these keys meanwhile";
        return -EAGAIN;
    }
    if (!r.ok && !r.resent) {
        why = r.error;
        if (why.find("lease not found") != std::string::npos) {
            forget_leases();
            why += " (a lease expired or was revoked; run it again for a new one)";
        }
        why += "; nothing was changed";
        return r.unreachable ? -EHOSTUNREACH : -EIO;
    }
    /* A try went unanswered: fence it off, then look. */
    etcd::Reply lr = cn->client->call("/v3/lease/grant", {{"TTL", fence_ttl}});
    int64_t fl = lr.ok ? etcd::num(lr.body, "ID") : 0; /* it expires once no try can be in flight */
    etcd::Reply f = txn(*cn, {{"success", {put_op(fence, intent_value("fence", 0), fl)}}});
    std::map<std::string, Cur> now;
    std::vector<std::string> keys;
    for (auto& [key, op] : list)
        keys.push_back(key);
    if (!f.ok || !read_keys(*cn, keys, now, why)) {
        why = "etcd stopped answering after the change was sent (" + (f.ok ? why : f.error) +
              "): it is one txn, so either all of it or none is applied; show-mapping tells which";
        return -EIO;
    }
    bool applied = true;
    for (auto& [key, op] : list) {
        const Cur& c = now[key];
        applied = applied && (op.put ? c.exists && c.value == op.value : !c.exists);
    }
    if (applied)
        return 0;
    conflict = true;
    why = "another writer changed these keys meanwhile";
    return -EAGAIN;
}

/*
 * More writes than a txn holds: the intent protocol (etcd.cpp, "Writes").
 */
int Etcd::commit_intent(const ConnP& cn, const Plan& list, const std::map<uint32_t, int64_t>& lease,
                        std::string& why, bool& conflict) {
    using namespace std::chrono;
    const std::string id = new_intent_id(), ikey = cn->lay.intent_key(id);
    etcd::Reply lr = cn->client->call("/v3/lease/grant", {{"TTL", intent_ttl}});
    int64_t il = lr.ok ? etcd::num(lr.body, "ID") : 0;
    if (!lr.ok || !il) {
        why = "cannot grant the change's lease: " + (lr.ok ? "no lease ID" : lr.error) +
              "; nothing was changed";
        return lr.unreachable ? -EHOSTUNREACH : -EIO;
    }
    etcd::Reply r =
        txn(*cn, {{"success", {put_op(ikey, intent_value("staged", list.size()), il)}}});
    if (!r.ok) {
        why = "cannot stage the change: " + r.error + "; nothing was changed";
        return r.unreachable ? -EHOSTUNREACH : -EIO;
    }
    std::vector<Lock> locks;
    locks.reserve(list.size());
    for (auto& [key, op] : list) {
        Lock l;
        l.key = key;
        l.lock = cn->lay.lock_key(key);
        l.intent = id;
        l.put = op.put;
        l.value = op.value;
        l.ttl = op.ttl;
        l.lease = op.ttl ? lease.at(op.ttl) : 0;
        locks.push_back(std::move(l));
    }
    /* Withdraw: the intent first (a stage still in flight then fails its
       compare), then the locks staged; what is left is discarded later. */
    auto withdraw = [&](size_t staged) {
        txn(*cn, {{"success", {del_op(ikey)}}});
        std::vector<Lock> mine(locks.begin(), locks.begin() + staged);
        std::string w;
        if (!discard_locks(*cn, mine, w))
            recover_soon(milliseconds(1000), true);
    };
    auto renewed = steady_clock::now();
    for (size_t at = 0; at < locks.size(); at += chunk_keys) {
        size_t end = std::min(locks.size(), at + chunk_keys);
        json cmp = json::array(), ops = json::array();
        cmp.push_back(cmp_version(ikey, 1));
        std::vector<std::string> texts;
        for (size_t i = at; i < end; i++) {
            const PlanOp& op = list[i].second;
            texts.push_back(lock_value(id, op, locks[i].lease));
            cmp.push_back(cmp_mod(locks[i].key, op.expect_mod));
            cmp.push_back(cmp_mod(locks[i].lock, 0));
            ops.push_back(put_op(locks[i].lock, texts.back(), 0));
        }
        r = txn(*cn, {{"compare", cmp}, {"success", ops}, {"failure", {range_op(locks[at].lock)}}});
        int64_t mod = succeeded(r) ? etcd::num(etcd::member(r.body, "header"), "revision") : 0;
        if (r.ok && !mod) {
            /* Failed compares: our own unanswered try, or a conflict. */
            const json* kv = txn_kv(r, 0);
            if (kv && kv_value(*kv) == texts.front())
                mod = etcd::num(*kv, "mod_revision");
        }
        if (!mod) {
            withdraw(at);
            if (!r.ok) {
                why = "staging the change failed (" + r.error + "); nothing was changed";
                return r.unreachable ? -EHOSTUNREACH : -EIO;
            }
            conflict = true;
            const json* kv = txn_kv(r, 0);
            why =
                kv ? "another writer's change of these keys is in progress (" + locks[at].lock + ")"
                   : "another writer changed these keys meanwhile";
            if (kv)
                recover(cn); /* a writer that died leaves it: finish or discard it first */
            return -EAGAIN;
        }
        for (size_t i = at; i < end; i++)
            locks[i].mod = mod;
        if (steady_clock::now() - renewed > seconds(intent_ttl / 3)) {
            cn->client->call("/v3/lease/keepalive", {{"ID", std::to_string(il)}});
            renewed = steady_clock::now();
        }
    }
    fail_at("before-mark");

    /* The commit point. */
    json mark = {{"compare", {cmp_version(ikey, 1)}},
                 {"success", {put_op(ikey, intent_value("committed", list.size()), 0)}},
                 {"failure", {range_op(ikey)}}};
    r = txn(*cn, mark);
    bool committed = succeeded(r);
    if (r.ok && !committed) {
        const json* kv = txn_kv(r, 0);
        committed = kv && state_of(kv_value(*kv)) == "committed"; /* our unanswered try */
        if (!committed) {
            withdraw(locks.size());
            why = "staging took longer than the change's lease (" + std::to_string(intent_ttl) +
                  " s); nothing was changed";
            return -EIO;
        }
    } else if (!r.ok) {
        /* Settle it: withdraw unless the mark is there already. */
        json settle = {{"compare", {cmp_version(ikey, 1)}},
                       {"success", {del_op(ikey)}},
                       {"failure", {range_op(ikey)}}};
        etcd::Reply s = txn(*cn, settle);
        if (!s.ok) {
            recover_soon(milliseconds(1000), true);
            why = "etcd stopped answering as the change was marked committed (" + r.error +
                  "): it is applied whole or not at all, by the first instance of this vnet that "
                  "reaches etcd; show-mapping tells which";
            return -EIO;
        }
        const json* kv = txn_kv(s, 0);
        committed = !succeeded(s) && kv && state_of(kv_value(*kv)) == "committed";
        if (!committed) {
            withdraw(locks.size());
            why = "marking the change committed failed (" + r.error + "); nothing was changed";
            return r.unreachable ? -EHOSTUNREACH : -EIO;
        }
    }
    fail_at("after-mark");

    if (!apply_locks(cn, locks, why) || !txn(*cn, {{"success", {del_op(ikey)}}}).ok) {
        recover_soon(milliseconds(1000), true);
        log(VARPD_LOG_WARNING, "change " + id + " is committed; applying it stopped (" + why +
                                   ") and is finished when etcd answers");
    }
    return 0;
}

int Etcd::commit_once(const ConnP& cn, Txn& t, std::string& why, bool& conflict) {
    conflict = false;
    /* The last change of each MAC wins, in MAC order. */
    std::map<uint64_t, Staged> fin;
    for (auto& s : t.ops)
        fin[files::mac_key(s.m.vm_mac)] = s;
    std::vector<std::string> keys;
    for (auto& [k, s] : fin)
        keys.push_back(cn->lay.mac_key(s.m.vm_mac));
    std::map<std::string, Cur> cur;
    if (!read_keys(*cn, keys, cur, why))
        return -EIO;

    /* Addresses: who claims which, who lets go of which. */
    std::map<Ip6, uint64_t> claims;   /* addr -> MAC key claiming it */
    std::map<Ip6, uint64_t> releases; /* addr -> MAC key that held it */
    std::map<uint64_t, uint32_t> ttl_of;
    for (auto& [k, s] : fin) {
        const Cur& c = cur[cn->lay.mac_key(s.m.vm_mac)];
        Mac mac;
        std::memcpy(mac.data(), s.m.vm_mac, 6);
        if (!s.put && !c.exists) {
            why = "no mapping of " + mac_text(s.m.vm_mac) + " in vnet " +
                  std::to_string(cn->lay.vnet) + " (" + cn->lay.mac_key(s.m.vm_mac) + ")";
            return -ENOENT;
        }
        files::Entry olde;
        if (c.exists && etcd_layout::decode_mac_value(mac, c.value, olde).empty()) {
            if (olde.has_arp)
                releases[etcd_layout::mapped4(olde.arp.data())] = k;
            if (olde.has_ndp)
                releases[olde.ndp] = k;
        }
        if (s.put) {
            ttl_of[k] = s.m.vm_ttl;
            std::vector<Ip6> mine;
            if (s.m.vm_flags & VARPD_MAP_F_ARP)
                mine.push_back(etcd_layout::mapped4(s.m.vm_arp));
            if (s.m.vm_flags & VARPD_MAP_F_NDP) {
                Ip6 a;
                std::memcpy(a.data(), s.m.vm_ndp, 16);
                mine.push_back(a);
            }
            for (auto& a : mine) {
                auto [it, fresh] = claims.emplace(a, k);
                if (!fresh && it->second != k) {
                    why = etcd_layout::addr_text(a) + " is claimed by both " +
                          mac_text(s.m.vm_mac) + " and " + mac_text(fin[it->second].m.vm_mac) +
                          " in this change";
                    return -EEXIST;
                }
            }
        }
    }
    std::vector<std::string> ipkeys;
    std::set<Ip6> addrs_touched;
    for (auto& [a, k] : claims)
        addrs_touched.insert(a);
    for (auto& [a, k] : releases)
        addrs_touched.insert(a);
    for (auto& a : addrs_touched)
        ipkeys.push_back(cn->lay.ip_key(a));
    if (!read_keys(*cn, ipkeys, cur, why))
        return -EIO;

    std::map<std::string, PlanOp> plan;
    for (auto& [k, s] : fin) {
        std::string key = cn->lay.mac_key(s.m.vm_mac);
        const Cur& c = cur[key];
        plan[key] = s.put ? PlanOp{true, etcd_layout::encode_mac_value(s.m), s.m.vm_ttl, c.mod}
                          : PlanOp{false, "", 0, c.mod};
    }
    for (auto& [a, k] : claims) {
        std::string key = cn->lay.ip_key(a);
        const Cur& c = cur[key];
        Mac owner;
        if (c.exists && etcd_layout::decode_ip_value(c.value, owner).empty()) {
            uint64_t ok = files::mac_key(owner.data());
            bool moving = fin.count(ok) && claims[a] != ok; /* its owner lets go in this change */
            if (ok != k && !moving) {
                why = etcd_layout::addr_text(a) + " is answered for by " + mac_text(owner.data()) +
                      " already (" + key + ")";
                return -EEXIST;
            }
        }
        const Staged& s = fin[k];
        plan[key] = PlanOp{true, etcd_layout::encode_ip_value(s.m.vm_mac), s.m.vm_ttl, c.mod};
    }
    for (auto& [a, k] : releases) {
        if (claims.count(a))
            continue;
        std::string key = cn->lay.ip_key(a);
        const Cur& c = cur[key];
        Mac owner;
        if (c.exists && etcd_layout::decode_ip_value(c.value, owner).empty() &&
            files::mac_key(owner.data()) == k)
            plan[key] = PlanOp{false, "", 0, c.mod};
    }

    /* Leases first: a grant that fails changes nothing. */
    std::map<uint32_t, int64_t> lease;
    for (auto& [key, op] : plan)
        if (op.put && op.ttl && !lease.count(op.ttl)) {
            int64_t id;
            if (!lease_for(cn, op.ttl, id, why))
                return -EIO;
            lease[op.ttl] = id;
        }
    Plan list(plan.begin(), plan.end());
    if (list.size() <= chunk_keys)
        return commit_single(cn, list, lease, why, conflict);
    return commit_intent(cn, list, lease, why, conflict);
}

int Etcd::commit(const ConnP& cn, Txn& t, std::string& why) {
    for (int attempt = 0;; attempt++) {
        bool conflict = false;
        int rc = commit_once(cn, t, why, conflict);
        if (rc == 0 || !conflict || attempt == 2)
            return rc;
    }
}

} // namespace etcd_plugin
