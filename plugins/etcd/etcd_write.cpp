/*
 * etcd_write.cpp - the etcd backend's commit of a mapping change: read the
 * keys it touches, plan the mac/ and ip/ writes, then write them in one
 * guarded txn when they fit, or else through the vnet's intent: take it,
 * plan, stage the writes in chunks, mark it committed in one txn (the
 * commit point), apply. Any instance finishes a committed intent and
 * discards chunks no intent owns (recover()). The theory statement is etcd.cpp's ("Writes").
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
        etcd::Reply c = patient(cn, "/v3/kv/range",
                                {{"key", etcd::b64_encode(lo)},
                                 {"range_end", etcd::b64_encode(hi)},
                                 {"count_only", true}});
        if (c.ok && etcd::num(c.body, "count") <= int64_t(2 * wanted.size())) {
            for (auto& k : wanted)
                out[k];
            std::string from = lo;
            for (bool more = true; more;) {
                etcd::Reply r = patient(cn, "/v3/kv/range",
                                        {{"key", etcd::b64_encode(from)},
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
        etcd::Reply r = txn(cn, {{"success", ops}});
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

json cmp_value(const std::string& key, const std::string& value) {
    return {{"key", etcd::b64_encode(key)},
            {"target", "VALUE"},
            {"result", "EQUAL"},
            {"value", etcd::b64_encode(value)}};
}

json range_op(const std::string& key) {
    return {{"request_range", {{"key", etcd::b64_encode(key)}}}};
}

json del_prefix_op(const std::string& dir) {
    return {
        {"request_delete_range",
         {{"key", etcd::b64_encode(dir)}, {"range_end", etcd::b64_encode(etcd::prefix_end(dir))}}}};
}

bool succeeded(const etcd::Reply& r) {
    return r.ok && etcd::flag(r.body, "succeeded");
}

int64_t revision_of(const etcd::Reply& r) {
    return etcd::num(etcd::member(r.body, "header"), "revision");
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

std::string new_intent_id() {
    std::random_device rd;
    uint64_t v = (uint64_t(rd()) << 32) ^ rd();
    char b[17];
    std::snprintf(b, sizeof b, "%016llx", static_cast<unsigned long long>(v));
    return b;
}

std::string who() {
    char host[256] = "";
    gethostname(host, sizeof host - 1);
    return std::string(host) + " pid " + std::to_string(getpid());
}

/* A planned write as a staged chunk holds it. */
json op_json(const std::string& key, const PlanOp& op, int64_t lease) {
    json j = {{"k", key}};
    if (op.put) {
        j["v"] = op.value;
        if (op.ttl) {
            j["t"] = op.ttl;
            j["l"] = std::to_string(lease);
        }
    }
    return j;
}

/* The intent record: {"id","state","chunks","ops","applied","by"}. */
struct Intent {
    bool exists = false;
    std::string id, state, by;
    size_t chunks = 0, ops = 0, applied = 0;
    int64_t mod = 0, version = 0;
};

Intent intent_of(const json* kv) {
    Intent i;
    if (!kv)
        return i;
    i.exists = true;
    i.mod = etcd::num(*kv, "mod_revision");
    i.version = etcd::num(*kv, "version");
    json j = json::parse(kv_value(*kv), nullptr, false);
    if (!j.is_object())
        return i;
    auto count = [&](const char* n) -> size_t {
        const json& m = etcd::member(j, n);
        return m.is_number_unsigned() ? size_t(m.get<uint64_t>()) : 0;
    };
    i.id = etcd::str(j, "id");
    i.state = etcd::str(j, "state");
    i.by = etcd::str(j, "by");
    i.chunks = count("chunks");
    i.ops = count("ops");
    i.applied = count("applied");
    return i;
}

std::string intent_text(const Intent& i) {
    return json{{"id", i.id},   {"state", i.state},     {"chunks", i.chunks},
                {"ops", i.ops}, {"applied", i.applied}, {"by", i.by}}
        .dump();
}

} // namespace

std::string parse_chunk(const std::string& text, std::vector<StagedOp>& out) {
    json j = json::parse(text, nullptr, false);
    if (!j.is_array())
        return "a staged chunk that is not a JSON array";
    for (const json& o : j) {
        if (!o.is_object() || !o.contains("k") || !o["k"].is_string())
            return "a staged write without a key";
        StagedOp s;
        s.key = o["k"].get<std::string>();
        s.put = o.contains("v");
        if (s.put) {
            if (!o["v"].is_string())
                return "a staged put of " + s.key + " whose value is not a string";
            s.value = o["v"].get<std::string>();
            const json& t = etcd::member(o, "t");
            s.ttl =
                t.is_number_unsigned() && t.get<uint64_t>() <= UINT32_MAX ? t.get<uint32_t>() : 0;
            s.lease = etcd::num(o, "l");
        }
        out.push_back(std::move(s));
    }
    return "";
}

std::string state_of(const std::string& intent_value) {
    return etcd::str(json::parse(intent_value, nullptr, false), "state");
}

void Etcd::fail_at(const char* where) {
    if (failpoint != where)
        return;
    log(VARPD_LOG_ERR, std::string("failpoint ") + where + ": killing the process");
    raise(SIGKILL);
}

/*
 * A request of a commit (its reads, txns and grants), sent again while no
 * member answers (an election, a member killed) for up to write_patience.
 * Every txn of the commit is guarded or idempotent, so a try applied
 * without an answer makes the next one fail its compares or do nothing
 * new, and r.resent tells the caller to look before concluding.
 */
etcd::Reply Etcd::patient(Conn& cn, const std::string& path, const json& body) {
    using namespace std::chrono;
    auto until = steady_clock::now() + write_patience;
    auto pause = milliseconds(50);
    bool resent = false;
    for (;;) {
        etcd::Reply r = cn.client->call(path, body);
        resent = resent || r.resent;
        if (r.ok || !r.unreachable || steady_clock::now() >= until) {
            r.resent = resent;
            return r;
        }
        std::this_thread::sleep_for(pause);
        pause = std::min(pause * 2, milliseconds(500));
    }
}

etcd::Reply Etcd::txn(Conn& cn, const json& body) {
    return patient(cn, "/v3/kv/txn", body);
}

/*
 * Apply a committed intent from where it stands (its "applied" count): per
 * txn up to apply_ops writes and the intent's new count, guarded by the
 * intent's mod revision, so two finishers never apply one write twice and
 * a crash resumes where the last txn ended; then the intent and its staged
 * chunks go in one txn. False (why set) when etcd stops answering.
 */
bool Etcd::finish_intent(const ConnP& cn, const std::string& id, std::string& why) {
    const std::string ikey = cn->lay.intent_key(), sdir = cn->lay.staging_dir(id);
    etcd::Reply r = patient(*cn, "/v3/kv/range", {{"key", etcd::b64_encode(ikey)}});
    if (!r.ok) {
        why = r.error;
        return false;
    }
    const json& ikvs = etcd::array(r.body, "kvs");
    const json* ikv = ikvs.empty() ? nullptr : &ikvs[0];
    Intent in = intent_of(ikv);
    if (!in.exists || in.id != id || in.state != "committed")
        return true; /* finished by another */
    std::vector<StagedOp> ops;
    for (size_t c = 0; c < in.chunks; c++) {
        std::string ck = sdir + std::to_string(c);
        etcd::Reply g = patient(*cn, "/v3/kv/range", {{"key", etcd::b64_encode(ck)}});
        const json& gkvs = etcd::array(g.body, "kvs");
        if (!g.ok || gkvs.empty()) {
            why = g.ok ? "staged chunk " + ck + " is missing" : g.error;
            if (g.ok)
                log(VARPD_LOG_ERR, "change " + id + ": " + why + "; it cannot be finished");
            return false;
        }
        std::string bad = parse_chunk(kv_value(gkvs[0]), ops);
        if (!bad.empty()) {
            why = ck + ": " + bad;
            log(VARPD_LOG_ERR, "change " + id + ": " + why + "; it cannot be finished");
            return false;
        }
    }
    bool first = true;
    while (in.applied < ops.size()) {
        size_t end = std::min(ops.size(), in.applied + apply_ops);
        Intent next = in;
        next.applied = end;
        json w = json::array();
        for (size_t i = in.applied; i < end; i++)
            w.push_back(ops[i].put ? put_op(ops[i].key, ops[i].value, ops[i].ttl ? ops[i].lease : 0)
                                   : del_op(ops[i].key));
        w.push_back(put_op(ikey, intent_text(next), 0));
        r = txn(
            *cn,
            {{"compare", {cmp_mod(ikey, in.mod)}}, {"success", w}, {"failure", {range_op(ikey)}}});
        if (!r.ok && r.error.find("lease not found") != std::string::npos) {
            /* the writer's lease for a TTL is gone: one of ours, same TTL
               (only leases etcd no longer has are forgotten) */
            std::set<int64_t> used;
            for (size_t i = in.applied; i < end; i++)
                if (ops[i].put && ops[i].ttl)
                    used.insert(ops[i].lease);
            forget_dead_leases(*cn, used);
            for (size_t i = in.applied; i < end; i++)
                if (ops[i].put && ops[i].ttl && !lease_for(cn, ops[i].ttl, ops[i].lease, why))
                    return false;
            continue;
        }
        if (!r.ok) {
            why = r.error;
            return false;
        }
        if (succeeded(r)) {
            next.mod = revision_of(r);
            in = next;
        } else {
            in = intent_of(txn_kv(r, 0)); /* another finisher moved it, or our try landed */
            if (!in.exists || in.id != id || in.state != "committed")
                return true;
        }
        if (first)
            fail_at("mid-apply");
        first = false;
    }
    r = txn(*cn, {{"compare", {cmp_mod(ikey, in.mod)}},
                  {"success", {del_op(ikey), del_prefix_op(sdir)}}});
    if (!r.ok) {
        why = r.error;
        return false;
    }
    return true;
}

/*
 * Finish what writers left under this vnet: a committed intent is applied;
 * staged chunks that belong to no intent (a writer died before its commit
 * point and its lease ended, or it withdrew) are deleted, guarded by the
 * intent key being as read, so a writer starting meanwhile keeps its own;
 * a staged intent's writer is alive (its lease holds the intent) and is
 * left alone. Returns false when something is left to look at later.
 */
bool Etcd::recover(const ConnP& cn) {
    std::string why;
    const std::string ikey = cn->lay.intent_key(), sroot = cn->lay.staging_root();
    etcd::Reply r = txn(*cn, {{"success",
                               {range_op(ikey),
                                {{"request_range",
                                  {{"key", etcd::b64_encode(sroot)},
                                   {"range_end", etcd::b64_encode(etcd::prefix_end(sroot))},
                                   {"keys_only", true}}}}}}});
    if (!r.ok) {
        log(VARPD_LOG_WARNING, "cannot look for unfinished changes: " + r.error);
        return false;
    }
    Intent in = intent_of(txn_kv(r, 0));
    std::set<std::string> staged; /* ids with chunks */
    const json& res = etcd::array(r.body, "responses");
    if (res.size() > 1)
        for (const json& kv : etcd::array(etcd::member(res[1], "response_range"), "kvs")) {
            std::string key;
            etcd::b64_decode(etcd::str(kv, "key"), key);
            if (key.compare(0, sroot.size(), sroot) != 0 || key.size() == sroot.size())
                continue; /* not what was asked */
            std::string rest = key.substr(sroot.size());
            staged.insert(rest.substr(0, rest.find('/')));
        }
    if (!in.exists && staged.empty()) {
        log(VARPD_LOG_DEBUG, "no unfinished change under " + cn->lay.vnet_dir());
        return true;
    }
    bool settled = true;
    if (in.exists && in.state == "committed") {
        if (finish_intent(cn, in.id, why)) {
            log(VARPD_LOG_INFO, "finished the committed change " + in.id + " of " + in.by + " (" +
                                    std::to_string(in.ops) + " writes)");
            staged.erase(in.id);
        } else {
            log(VARPD_LOG_WARNING, "cannot finish the committed change " + in.id + " yet: " + why);
            settled = false;
        }
    } else if (in.exists) {
        settled = false; /* staged: its writer is at work */
    }
    for (const std::string& id : staged) {
        if (in.exists && id == in.id)
            continue;
        r = txn(*cn, {{"compare", {cmp_mod(ikey, in.exists ? in.mod : 0)}},
                      {"success", {del_prefix_op(cn->lay.staging_dir(id))}}});
        if (succeeded(r))
            log(VARPD_LOG_INFO,
                "discarded the uncommitted change " + id + " (staged, never applied)");
        else
            settled = false;
    }
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

/* The watch saw the intent record change (etcd.cpp's apply_events, under mu). */
void Etcd::note_intent_locked(bool del, const std::string& value) {
    auto at = std::chrono::steady_clock::now();
    if (del) {
        /* a staged intent gone without its commit: withdrawn or expired */
        bool orphan = intent_seen == IntentSeen::staged;
        intent_seen = IntentSeen::none;
        if (!orphan)
            return;
        recover_all = true;
        at += std::chrono::milliseconds(1000);
    } else {
        json j = json::parse(value, nullptr, false);
        bool committed = etcd::str(j, "state") == "committed";
        intent_seen = committed ? IntentSeen::committed : IntentSeen::staged;
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
        recover_pending = false;
        if (!recover_all && intent_seen != IntentSeen::committed)
            return; /* the committed intent seen was finished by its writer */
        recover_all = false;
    }
    if (!recover(cn))
        recover_soon(std::chrono::milliseconds(2000), true);
}

/*
 * Up to single_keys planned writes in one txn, guarded by each key's mod
 * revision, the absence of an intent (no larger change is under way) and
 * of the fence. Without a clear answer the fence is put: a try still in
 * flight then fails, and a read tells whether one was applied.
 */
int Etcd::commit_single(const ConnP& cn, const Plan& list, const std::map<uint32_t, int64_t>& lease,
                        std::string& why, bool& conflict, bool& busy) {
    std::string fence = cn->lay.fence_key(new_intent_id());
    json cmp = json::array(), ops = json::array();
    cmp.push_back(cmp_mod(fence, 0));
    cmp.push_back(cmp_mod(cn->lay.intent_key(), 0));
    for (auto& [key, op] : list) {
        cmp.push_back(cmp_mod(key, op.expect_mod));
        ops.push_back(op.put ? put_op(key, op.value, op.ttl ? lease.at(op.ttl) : 0) : del_op(key));
    }
    etcd::Reply r = txn(
        *cn, {{"compare", cmp}, {"success", ops}, {"failure", {range_op(cn->lay.intent_key())}}});
    if (succeeded(r))
        return 0;
    if (r.ok && !r.resent) {
        conflict = true;
        Intent in = intent_of(txn_kv(r, 0));
        busy = in.exists;
        why = in.exists ? "a change of more than " + std::to_string(single_keys) + " keys by " +
                              in.by + " is in progress on this vnet"
                        : "another writer changed these keys meanwhile";
        return -EAGAIN;
    }
    if (!r.ok && !r.resent) {
        why = r.error;
        if (why.find("lease not found") != std::string::npos) {
            std::set<int64_t> used;
            for (auto& [ttl, l] : lease)
                used.insert(l);
            forget_dead_leases(*cn, used);
            why += " (a lease expired or was revoked; run it again for a new one)";
        }
        why += "; nothing was changed";
        return r.unreachable ? -EHOSTUNREACH : -EIO;
    }
    /* A try went unanswered: fence it off, then look. */
    etcd::Reply lr = patient(*cn, "/v3/lease/grant", {{"TTL", fence_ttl}});
    int64_t fl = lr.ok ? etcd::num(lr.body, "ID") : 0; /* it expires once no try can be in flight */
    etcd::Reply f = txn(*cn, {{"success", {put_op(fence, "{}", fl)}}});
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
 * Take the vnet's intent for a larger change: an intent record put where
 * none is, under a lease of intent_ttl seconds. 0, -EAGAIN with busy set
 * (another writer's change is under way; a committed one left by a dead
 * writer is finished first), or an error.
 */
int Etcd::take_intent(const ConnP& cn, const std::string& id, int64_t& lease, std::string& text,
                      std::string& why, bool& busy) {
    const std::string ikey = cn->lay.intent_key();
    Intent mine;
    mine.id = id;
    mine.state = "staged";
    mine.by = who();
    text = intent_text(mine);
    for (int tries = 0; tries < 4; tries++) {
        if (!lease) {
            etcd::Reply lr = patient(*cn, "/v3/lease/grant", {{"TTL", intent_ttl}});
            lease = lr.ok ? etcd::num(lr.body, "ID") : 0;
            if (!lease) {
                why = "cannot grant the change's lease: " + (lr.ok ? "no lease ID" : lr.error) +
                      "; nothing was changed";
                return lr.unreachable ? -EHOSTUNREACH : -EIO;
            }
        }
        etcd::Reply r = txn(*cn, {{"compare", {cmp_mod(ikey, 0)}},
                                  {"success", {put_op(ikey, text, lease)}},
                                  {"failure", {range_op(ikey)}}});
        if (succeeded(r))
            return 0;
        if (!r.ok && r.error.find("lease not found") != std::string::npos) {
            lease = 0; /* it ran out while a dead writer's change was finished: a new one */
            continue;
        }
        if (!r.ok) {
            why = "cannot stage the change: " + r.error + "; nothing was changed";
            return r.unreachable ? -EHOSTUNREACH : -EIO;
        }
        Intent in = intent_of(txn_kv(r, 0));
        if (in.id == id)
            return 0; /* our own unanswered try */
        if (in.state != "committed") {
            busy = true;
            why = "a change of more than " + std::to_string(single_keys) + " keys by " + in.by +
                  " is in progress on this vnet";
            return -EAGAIN;
        }
        recover(cn); /* a dead writer's committed change: finish it first */
    }
    busy = true;
    why = "another writer's committed change on this vnet could not be finished";
    return -EAGAIN;
}

/*
 * More writes than a txn holds: the intent protocol (etcd.cpp, "Writes").
 * The intent is taken before the keys are read, so the plan holds while it
 * is written.
 */
int Etcd::commit_intent(const ConnP& cn, Txn& t, std::string& why, bool& conflict, bool& busy) {
    using namespace std::chrono;
    const std::string id = new_intent_id(), ikey = cn->lay.intent_key(),
                      sdir = cn->lay.staging_dir(id);
    int64_t il = 0;
    std::string staged; /* our intent's value: its id tells it from any later one */
    int rc = take_intent(cn, id, il, staged, why, busy);
    if (rc != 0) {
        conflict = busy;
        return rc;
    }
    /* Withdraw: the intent first (a stage still in flight then fails its
       compare), then the chunks; what is left is discarded later. */
    auto withdraw = [&] {
        etcd::Reply w = txn(*cn, {{"compare", {cmp_value(ikey, staged)}},
                                  {"success", {del_op(ikey), del_prefix_op(sdir)}}});
        if (!succeeded(w))
            recover_soon(milliseconds(1000), true);
    };
    /* The lease holds the intent: renewed as the change goes on; an answer
       that it ran out ends the change (another writer may hold the vnet). */
    auto renewed = steady_clock::now();
    auto alive = [&](bool now) {
        if (!now && steady_clock::now() - renewed < seconds(intent_ttl / 3))
            return true;
        etcd::Reply k = cn->client->call("/v3/lease/keepalive", {{"ID", std::to_string(il)}});
        renewed = steady_clock::now();
        const json& res = k.ok && k.body.contains("result") ? k.body["result"] : k.body;
        return !k.ok || etcd::num(res, "TTL") > 0;
    };
    auto lapsed = [&] {
        withdraw();
        why = "the change's lease (" + std::to_string(intent_ttl) +
              " s) ran out before it was committed; nothing was changed";
        return -EIO;
    };
    std::map<std::string, PlanOp> plan;
    std::map<uint32_t, int64_t> lease;
    rc = plan_change(cn, t, plan, lease, why);
    if (rc != 0) {
        withdraw();
        return rc;
    }
    if (!alive(true))
        return lapsed();
    /* Stage: chunks of at most chunk_bytes, one put per txn, each while the
       intent is still the staged one. */
    size_t chunks = 0;
    json chunk = json::array();
    size_t bytes = 0, n = 0;
    auto flush = [&]() -> int {
        etcd::Reply r =
            txn(*cn, {{"compare", {cmp_value(ikey, staged)}},
                      {"success", {put_op(sdir + std::to_string(chunks), chunk.dump(), 0)}}});
        if (!succeeded(r)) {
            withdraw();
            why = r.ok ? "staging took longer than the change's lease (" +
                             std::to_string(intent_ttl) + " s); nothing was changed"
                       : "staging the change failed (" + r.error + "); nothing was changed";
            return r.ok || !r.unreachable ? -EIO : -EHOSTUNREACH;
        }
        chunks++;
        chunk = json::array();
        bytes = 0;
        return alive(false) ? 0 : lapsed();
    };
    for (auto& [key, op] : plan) {
        json o = op_json(key, op, op.ttl ? lease.at(op.ttl) : 0);
        bytes += o.dump().size() + 1;
        chunk.push_back(std::move(o));
        n++;
        if (bytes >= chunk_bytes && (rc = flush()) != 0)
            return rc;
    }
    if (!chunk.empty() && (rc = flush()) != 0)
        return rc;
    fail_at("before-mark");

    /* The commit point. */
    Intent done;
    done.id = id;
    done.state = "committed";
    done.chunks = chunks;
    done.ops = n;
    done.by = who();
    json mark = {{"compare", {cmp_value(ikey, staged)}},
                 {"success", {put_op(ikey, intent_text(done), 0)}},
                 {"failure", {range_op(ikey)}}};
    etcd::Reply r = txn(*cn, mark);
    bool committed = succeeded(r);
    if (r.ok && !committed) {
        Intent in = intent_of(txn_kv(r, 0));
        committed = in.id == id && in.state == "committed"; /* our unanswered try */
        if (!committed) {
            withdraw();
            why = "staging took longer than the change's lease (" + std::to_string(intent_ttl) +
                  " s); nothing was changed";
            return -EIO;
        }
    } else if (!r.ok) {
        /* Settle it: withdraw unless the mark is there already. */
        json settle = {{"compare", {cmp_value(ikey, staged)}},
                       {"success", {del_op(ikey), del_prefix_op(sdir)}},
                       {"failure", {range_op(ikey)}}};
        etcd::Reply s = txn(*cn, settle);
        if (!s.ok) {
            recover_soon(milliseconds(1000), true);
            why = "etcd stopped answering as the change was marked committed (" + r.error +
                  "): it is applied whole or not at all, by the first instance of this vnet that "
                  "reaches etcd; show-mapping tells which";
            return -EIO;
        }
        Intent in = intent_of(txn_kv(s, 0));
        committed = !succeeded(s) && in.id == id && in.state == "committed";
        if (!committed) {
            why = "marking the change committed failed (" + r.error + "); nothing was changed";
            return r.unreachable ? -EHOSTUNREACH : -EIO;
        }
    }
    fail_at("after-mark");

    if (!finish_intent(cn, id, why)) {
        recover_soon(milliseconds(1000), true);
        log(VARPD_LOG_WARNING, "change " + id + " is committed; applying it stopped (" + why +
                                   ") and is finished when etcd answers");
    }
    return 0;
}

/* Read the keys a change touches and plan its writes, leases granted. */
int Etcd::plan_change(const ConnP& cn, Txn& t, std::map<std::string, PlanOp>& plan,
                      std::map<uint32_t, int64_t>& lease, std::string& why) {
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

    plan.clear();
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
    lease.clear();
    for (auto& [key, op] : plan)
        if (op.put && op.ttl && !lease.count(op.ttl)) {
            int64_t id;
            if (!lease_for(cn, op.ttl, id, why))
                return -EIO;
            lease[op.ttl] = id;
        }
    return 0;
}

int Etcd::commit_once(const ConnP& cn, Txn& t, std::string& why, bool& conflict, bool& busy) {
    conflict = busy = false;
    std::map<std::string, PlanOp> plan;
    std::map<uint32_t, int64_t> lease;
    int rc = plan_change(cn, t, plan, lease, why);
    if (rc != 0)
        return rc;
    if (plan.size() <= single_keys)
        return commit_single(cn, Plan(plan.begin(), plan.end()), lease, why, conflict, busy);
    return commit_intent(cn, t, why, conflict, busy);
}

/* A conflict starts over (three times); a larger change under way is
   waited for, up to busy_wait. */
int Etcd::commit(const ConnP& cn, Txn& t, std::string& why) {
    using namespace std::chrono;
    auto until = steady_clock::now() + busy_wait;
    auto pause = milliseconds(50);
    for (int attempt = 0;;) {
        bool conflict = false, busy = false;
        int rc = commit_once(cn, t, why, conflict, busy);
        if (rc == 0 || !conflict)
            return rc;
        if (busy && steady_clock::now() < until) {
            std::this_thread::sleep_for(pause);
            pause = std::min(pause * 2, milliseconds(500));
            continue;
        }
        if (busy || ++attempt == 3)
            return rc;
    }
}

} // namespace etcd_plugin
