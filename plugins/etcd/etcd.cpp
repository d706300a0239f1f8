/*
 * etcd - varpd's dynamic-mode backend over an etcd cluster (v3 API, through
 * its JSON gateway), with proxy ARP/NDP/DHCP, watch-driven invalidation and
 * writes through varpd's map operations. The user contract is varpd-etcd(7);
 * the key layout is etcd_layout.h.
 *
 * Theory: etcd is the fleet's source of truth; every host's varpd asks it
 * only about the destinations its own kernel misses, caches the answers,
 * and keeps them true by watching the vnet's key prefix.
 *
 * Lookups (VARPD_PLUGIN_F_BLOCKING: on varpd's worker pool, never on its
 * event loop) are answered from a local cache filled on demand: MAC ->
 * entry, and address -> MAC for ARP/NDP. The cache keeps NEGATIVE entries
 * too (MACs etcd does not have), because the kernel caches the DROP answer
 * and the watch must know to shoot it down when the MAC appears. A value
 * that does not parse is logged once and answered as drop.
 *
 * Revisions. Every cache entry carries the etcd revision its state is
 * known at: a range's header revision, or a watch event's mod_revision.
 * The watch applies an event only to an entry older than it, and a lookup
 * whose range is older than what the watch has already written into its
 * entry answers from the entry instead. An entry is "loading" while ranges
 * for it are in flight, so an event that arrives meanwhile is kept (not
 * lost because the MAC was not cached yet). After the caches are cleared
 * (resync, or the size cap), `floor` holds the revision they were cleared
 * at; a range older than it is redone rather than cached.
 *
 * The watch: one thread per started instance holds a streaming POST
 * /v3/watch on <prefix>/vnet/<vnetid>/. Its first stream after start is
 * created at the current revision C: the local cache is cleared, floor = C,
 * and the kernel's target cache is flushed (varpd_cache_flush: it may hold
 * answers of a previous varpd that no watch kept true). The flush waits for
 * that first stream, so when etcd is down at start the kernel keeps its
 * entries and traffic to known destinations goes on. Events: a put of a
 * MAC cached with a destination injects the new destination into the
 * kernel (traffic moves without a miss); a put of a MAC cached as absent
 * or bad, or a delete of a cached MAC, invalidates the kernel entry;
 * ip/ keys update the address cache (the kernel does not cache ARP). A
 * broken stream (member killed, connection reset) is resumed on the next
 * endpoint from the last applied revision + 1, so no change is missed.
 * Progress notifications (no events, a header revision) advance that
 * revision only on a member of etcd 3.4.25+ or 3.5.8+, asked before each
 * stream (maintenance/status): earlier ones can send one to a watcher
 * still catching up (etcd issue 15220), and resuming past it would skip
 * events; elsewhere they are ignored and the revision is the last event's
 * (a quiet vnet whose last change was compacted away then resyncs after a
 * break). If the resume revision was compacted, etcd cancels the watch with
 * compact_revision: the backend logs it, clears its cache, flushes the
 * kernel's and watches from the current revision (a resync, as at start).
 *
 * Failure: every request fails over across the endpoints (etcd_client.h).
 * When no endpoint answers, cached answers go on working; the first miss
 * to find no member answering retries for 1.5 s (an election is waited
 * out), then misses answer drop (for a second after a failed request
 * without asking again, so the worker pool is not tied up by timeouts)
 * and the device is degraded ("etcd: no endpoint answers
 * (...); new destinations cannot be looked up"). It is restored by the first thing that reaches
 * etcd again: a watch stream created (the reconnect loop), a lookup's read, or the keeper thread's
 * probe (a read every second while degraded: a member that lost quorum keeps its watch stream open
 * but fails reads, and nothing else would notice it come back). The MACs answered drop meanwhile
 * are then invalidated in the kernel (or the whole cache flushed, past 1024 of them).
 *
 * Writes (vpo_map_*, on the worker pool one at a time; the commit is in
 * etcd_write.cpp, the instance's fields in etcd_instance.h): begin opens a
 * staging list, put/remove stage, commit reads the current mac/ and ip/
 * keys (a txn of ranges per 100 keys, or one paged range over an
 * import's interval) and plans the puts and deletes (the ip/ index follows
 * the mac/ values; an address another MAC answers for is -EEXIST). A plan
 * of up to 120 keys is one txn guarded by each key's mod_revision and the
 * absence of the vnet's intent record (a concurrent writer makes the
 * commit start over, at most three times; a larger change under way is
 * waited for, 10 s). A larger plan goes through the intent, because etcd
 * caps a txn at 128 operations and a request at 1.5 MiB:
 *
 *   STAGED     <vnet>/intent put where none is, with a 10 s lease the
 *              writer keeps alive (one larger change per vnet at a time;
 *              one-txn commits wait for it); then the keys are read and
 *              planned, and the writes put in chunks of 512 KiB under
 *              <prefix>/staging/<vnet>/<id>/ (outside what the watch
 *              carries), each while the intent is still the staged one.
 *              Nothing lookups read has changed.
 *   COMMITTED  one txn: the intent still version 1 -> state committed, no
 *              lease. The commit point.
 *   APPLIED    per txn 127 writes and the intent's "applied" count,
 *              guarded by the intent's mod revision (so two finishers
 *              never apply one write twice and a crash resumes where the
 *              last txn ended); then the intent and its chunks go.
 *
 * recover() (the keeper thread: at start, when the watch sees a committed
 * intent not deleted within 3 s or a staged one vanish; and a commit that
 * finds a committed intent in its way) finishes a committed intent and
 * deletes chunks no intent owns; a staged intent's writer is alive. So a
 * commit is all or nothing whatever dies, varpd included. Every request
 * of a commit is sent again while no member answers (8 s), and a guarded
 * try that was applied unanswered fails its own retry's compares: the
 * writer reads back (a one-txn commit compares the absence of a fence,
 * <prefix>/fence/<vnet>/<id>, and puts it after an unanswered try, so that
 * a try still in flight fails before the read tells what landed).
 * VARPD_ETCD_FAILPOINT (before-mark, after-mark, mid-apply) kills the
 * process there, for the crash tests. A mapping with a TTL is
 * crash tests. A mapping with a TTL is
 * written with a lease, one per distinct TTL per instance, reused, kept alive by the keeper thread
 * every TTL/3 while the instance runs; leases are not revoked at stop, so the mappings of a host
 * whose varpd dies, or stops, expire TTL seconds later.
 *
 * Locking: mu guards the caches, floor, applied, the degraded state and
 * the intents the watch saw (when recover() is due); no
 * lock is held across a request. lmu guards the leases; the transaction
 * needs none (varpd runs map operations one at a time per instance).
 * States: CREATED -> start (client built, vnet read, watch thread) ->
 * STARTED (watch and keeper threads) -> stop (watch woken and joined,
 * keeper stopped) -> STOPPED.
 *
 * The keeper thread also probes the watch's member every 2 s with a
 * linearizable read: a member that is stopped, or cut off from its quorum,
 * keeps the stream open and silent, and only a failed read shows it; the
 * stream is then ended (kicked) and resumed on the next endpoint.
 *
 * Not supported: etcd's v2 API; the gRPC transport (the JSON gateway
 * carries everything); holding off writers that ignore the intent (an
 * etcdctl put between a larger commit's read and apply is overwritten).
 */
#include "etcd_instance.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <curl/curl.h>

namespace etcd_plugin {

/* ---- lookups ---- */

bool Etcd::range_one(Conn& cn, const std::string& key, bool& exists, std::string& value,
                     int64_t& rev, std::string& why) {
    /* An election (a leader killed) leaves no member answering for about
       a second: a miss waits it out (election_patience) rather than answer
       drop, unless the device is degraded already (then it fails fast). */
    auto until = std::chrono::steady_clock::now() + election_patience;
    auto pause = std::chrono::milliseconds(50);
    etcd::Reply r;
    for (;;) {
        r = cn.client->call("/v3/kv/range", {{"key", etcd::b64_encode(key)}});
        if (r.ok || !r.unreachable || stopping || std::chrono::steady_clock::now() >= until)
            break;
        {
            std::lock_guard g(mu);
            if (degraded)
                break;
        }
        std::this_thread::sleep_for(pause);
        pause = std::min(pause * 2, std::chrono::milliseconds(400));
    }
    if (!r.ok) {
        why = r.error;
        return false;
    }
    restore_if_degraded(false);
    rev = etcd::num(etcd::member(r.body, "header"), "revision");
    exists = false;
    const json& kvs = etcd::array(r.body, "kvs");
    if (!kvs.empty()) {
        exists = true;
        if (!etcd::b64_decode(etcd::str(kvs[0], "value"), value)) {
            why = "the gateway sent a value that is not base64";
            return false;
        }
    }
    return true;
}

void Etcd::clear_caches_locked(int64_t at) {
    macs.clear();
    addrs.clear();
    floor = at;
}

/* Past the cap the caches start over: cleared here, flushed in the kernel. */
void Etcd::cap_caches() {
    {
        std::lock_guard g(mu);
        if (macs.size() + addrs.size() <= cache_cap)
            return;
        clear_caches_locked(applied);
    }
    log(VARPD_LOG_WARNING, "the local cache passed " + std::to_string(cache_cap) +
                               " entries; cleared, and the kernel's flushed");
    varpd_cache_flush(prov);
}

/* Remember a MAC answered drop while etcd is down, once: a burst for the
   same MAC must not fill the cap and force a flush of the whole cache. */
void Etcd::note_dropped_locked(const Mac& m) {
    if (dropped_overflow)
        return;
    if (std::find(dropped_down.begin(), dropped_down.end(), m) != dropped_down.end())
        return;
    if (dropped_down.size() < dropped_cap)
        dropped_down.push_back(m);
    else
        dropped_overflow = true;
}

void Etcd::note_unreachable(const std::string& why, const Mac* dropped) {
    bool first;
    {
        std::lock_guard g(mu);
        first = !degraded;
        degraded = true;
        failed_at = std::chrono::steady_clock::now();
        if (dropped)
            note_dropped_locked(*dropped);
    }
    if (!first)
        return;
    const std::string tail = "; new destinations cannot be looked up";
    log(VARPD_LOG_ERR, why + tail);
    /* The device's message is short (VARPD_MSGLEN): the log has it all. */
    std::string msg = "etcd: " + why + tail;
    if (msg.size() >= VARPD_MSGLEN) {
        size_t room = VARPD_MSGLEN - 1 - tail.size() - 4; /* "...)" */
        msg = "etcd: " + why;
        msg.resize(std::min(msg.size(), room));
        bool open =
            std::count(msg.begin(), msg.end(), '(') > std::count(msg.begin(), msg.end(), ')');
        msg += (open ? "...)" : "...") + tail;
    }
    varpd_degrade(prov, msg.c_str());
}

/*
 * Answer from the cache, or range the key (the entry "loading" meanwhile)
 * and cache what etcd says at that revision, unless the watch has written
 * a newer state into the entry meanwhile, or the caches were cleared after
 * the range was read (then read again).
 */
template <class Map, class V, class Decode>
Etcd::Got Etcd::resolve(const ConnP& cn, Map& map, const typename Map::key_type& k,
                        const std::string& key, Decode decode, St& st, V& v, const Mac* dropped) {
    using Ent = typename Map::mapped_type;
    for (int attempt = 0; attempt < 4; attempt++) {
        {
            std::lock_guard g(mu);
            auto it = map.find(k);
            if (it != map.end() && it->second.st != St::loading) {
                st = it->second.st;
                v = it->second.v;
                return Got::ok;
            }
            /* Just found unreachable: answer at once rather than tie up a
               worker for the timeouts again; the keeper probes meanwhile. */
            if (degraded && std::chrono::steady_clock::now() - failed_at < fail_fast) {
                if (dropped)
                    note_dropped_locked(*dropped);
                return Got::unreachable;
            }
            if (it == map.end())
                it = map.emplace(k, Ent{}).first;
            it->second.loaders++;
        }
        bool exists = false;
        std::string value, why, bad;
        int64_t rev = 0;
        bool ok = range_one(*cn, key, exists, value, rev, why);
        St got = St::absent;
        V gv{};
        if (ok && exists) {
            bad = decode(value, gv);
            got = bad.empty() ? St::present : St::bad;
        }
        bool retry = false;
        {
            std::lock_guard g(mu);
            auto it = map.find(k);
            if (it != map.end())
                it->second.loaders--;
            if (conn != cn) { /* restarted meanwhile: its caches are new */
                if (it != map.end() && it->second.st == St::loading && it->second.loaders == 0)
                    map.erase(it);
                /* The new instance's watch may have flushed the kernel's
                   cache already: nothing would clear this drop. */
                return Got::unsure;
            }
            if (ok && it != map.end() && it->second.rev > rev) {
                st = it->second.st; /* the watch wrote a newer state meanwhile */
                v = it->second.v;
                return Got::ok;
            }
            if (ok && rev >= floor) {
                if (it == map.end())
                    it = map.emplace(k, Ent{}).first;
                it->second.st = got;
                it->second.v = gv;
                it->second.rev = rev;
            } else {
                retry = ok; /* read before the caches were cleared */
                if (it != map.end() && it->second.st == St::loading && it->second.loaders == 0)
                    map.erase(it);
            }
        }
        if (!ok) {
            note_unreachable(why, dropped);
            return Got::unreachable;
        }
        if (retry)
            continue;
        if (got == St::bad)
            log(VARPD_LOG_WARNING, key + ": " + bad + "; answered drop");
        cap_caches();
        st = got;
        v = gv;
        return Got::ok;
    }
    st = St::absent; /* the caches keep being cleared under us: answer drop */
    return Got::unsure;
}

Etcd::Got Etcd::resolve_mac(const ConnP& cn, const Mac& mac, St& st, files::Entry& e) {
    return resolve(
        cn, macs, files::mac_key(mac.data()), cn->lay.mac_key(mac.data()),
        [&](const std::string& value, files::Entry& out) {
            return etcd_layout::decode_mac_value(mac, value, out);
        },
        st, e, &mac);
}

Etcd::Got Etcd::resolve_addr(const ConnP& cn, const Ip6& a, St& st, Mac& mac) {
    return resolve(cn, addrs, a, cn->lay.ip_key(a), etcd_layout::decode_ip_value, st, mac, nullptr);
}

/* ---- the watch ---- */

void Etcd::nap(std::chrono::milliseconds d) {
    std::unique_lock l(wmu);
    wcv.wait_for(l, d, [&] { return stopping.load(); });
}

/*
 * etcd answers again (a watch stream opened, or a range came back): clear
 * the degraded state and shoot down the drops answered meanwhile, unless
 * the kernel's cache was just flushed anyway.
 */
void Etcd::restore_if_degraded(bool flushed) {
    std::vector<Mac> dropped;
    bool overflow;
    {
        std::lock_guard g(mu);
        if (!degraded)
            return;
        degraded = false;
        dropped.swap(dropped_down);
        overflow = dropped_overflow;
        dropped_overflow = false;
    }
    varpd_restore(prov);
    log(VARPD_LOG_INFO, "etcd answers again; restored");
    if (flushed)
        return;
    if (overflow)
        varpd_cache_flush(prov);
    else
        for (auto& m : dropped)
            varpd_cache_invalidate(prov, m.data());
}

void Etcd::on_created(Conn& cn, bool resync, int64_t rev) {
    if (resync) {
        {
            std::lock_guard g(mu);
            clear_caches_locked(rev);
            applied = rev;
            intent_seen = IntentSeen::none; /* what was missed meanwhile: look at all */
            recover_pending = recover_all = true;
            recover_at = std::chrono::steady_clock::now();
        }
        revision = rev;
        varpd_cache_flush(prov);
        log(VARPD_LOG_INFO, "watching " + cn.lay.vnet_dir() + " from revision " +
                                std::to_string(rev) + "; the kernel's cache was flushed");
    }
    restore_if_degraded(resync);
}

void Etcd::apply_events(Conn& cn, const json& events) {
    struct Action {
        Mac mac;
        bool inject;
        varpd_dest_t d;
    };
    std::vector<Action> act;
    std::vector<std::string> bad;
    {
        std::lock_guard g(mu);
        for (const json& ev : events) {
            const json& kv = etcd::member(ev, "kv");
            std::string key, value;
            if (!etcd::b64_decode(etcd::str(kv, "key"), key) ||
                !etcd::b64_decode(etcd::str(kv, "value"), value))
                continue;
            int64_t m = etcd::num(kv, "mod_revision");
            bool del = etcd::str(ev, "type") == "DELETE";
            applied = std::max(applied, m);
            Mac mac;
            Ip6 a;
            Kind kind = etcd_layout::classify(cn.lay, key, mac, a);
            if (kind == Kind::mac) {
                auto it = macs.find(files::mac_key(mac.data()));
                if (it == macs.end() || it->second.rev >= m)
                    continue;
                MacEnt& ent = it->second;
                St old = ent.st;
                files::Entry olde = ent.v;
                ent.rev = m;
                if (del) {
                    ent.st = St::absent;
                } else {
                    std::string why = etcd_layout::decode_mac_value(mac, value, ent.v);
                    ent.st = why.empty() ? St::present : St::bad;
                    if (!why.empty())
                        bad.push_back(key + ": " + why + "; answered drop");
                }
                if (old == St::loading)
                    continue; /* the lookup in flight answers from this entry */
                if (old == St::present && ent.st == St::present) {
                    if (olde.same_destination(ent.v))
                        continue;
                    varpd_dest_t d{};
                    std::memcpy(d.vd_ip, ent.v.ip.data(), 16);
                    d.vd_port = ent.v.port;
                    act.push_back({mac, true, d});
                } else if (old != St::absent || ent.st != St::absent) {
                    act.push_back({mac, false, {}});
                }
            } else if (kind == Kind::other && key == cn.lay.intent_key()) {
                note_intent_locked(del, value);
            } else if (kind == Kind::ip) {
                auto it = addrs.find(a);
                if (it == addrs.end() || it->second.rev >= m)
                    continue;
                it->second.rev = m;
                if (del) {
                    it->second.st = St::absent;
                } else {
                    std::string why = etcd_layout::decode_ip_value(value, it->second.v);
                    it->second.st = why.empty() ? St::present : St::bad;
                    if (!why.empty())
                        bad.push_back(key + ": " + why + "; answered drop");
                }
            }
        }
        revision = applied;
    }
    for (auto& a : act) {
        if (a.inject)
            varpd_cache_inject(prov, a.mac.data(), &a.d);
        else
            varpd_cache_invalidate(prov, a.mac.data());
    }
    for (auto& b : bad)
        log(VARPD_LOG_WARNING, b);
}

bool Etcd::on_watch_msg(Conn& cn, const json& m, bool& resync, bool& created, int64_t& compacted,
                        std::string& why) {
    const json& err = etcd::member(m, "error");
    if (!err.is_null()) {
        std::string msg = etcd::str(err, "message");
        why = msg.empty() ? err.dump(-1, ' ', true, json::error_handler_t::replace) : msg;
        return false;
    }
    const json& r = etcd::member(m, "result");
    if (!r.is_object())
        return true;
    int64_t hdr = etcd::num(etcd::member(r, "header"), "revision");
    if (etcd::num(r, "compact_revision") > 0) {
        compacted = etcd::num(r, "compact_revision");
        return false;
    }
    if (etcd::flag(r, "canceled")) {
        std::string reason = etcd::str(r, "cancel_reason");
        why = "etcd canceled the watch: " + (reason.empty() ? "no reason given" : reason);
        return false;
    }
    if (etcd::flag(r, "created")) {
        created = true;
        watch_up = true;
        on_created(cn, resync, hdr);
        resync = false;
        return true;
    }
    const json& events = etcd::array(r, "events");
    if (!events.empty()) {
        apply_events(cn, events);
    } else if (created && hdr > 0 && progress_trusted) {
        std::lock_guard g(mu); /* a progress notification: nothing older is pending */
        applied = std::max(applied, hdr);
        revision = applied;
    }
    return true;
}

/*
 * Before a stream on endpoint ep: does its member send progress
 * notifications only to synced watchers? (etcd issue 15220, fixed in
 * 3.4.25 and 3.5.8.) A member that does not say counts as old: ignoring
 * a notification costs a resume that replays a little more.
 */
void Etcd::learn_version(Conn& cn, size_t ep) {
    etcd::Reply r = cn.client->call_at(ep, "/v3/maintenance/status", json::object());
    std::string version = r.ok ? etcd::str(r.body, "version") : "";
    progress_trusted = etcd::progress_notify_trusted(version);
    /* unanswered: untrusted, and said once a member answers */
    if (progress_trusted || progress_logged || !r.ok)
        return;
    progress_logged = true;
    log(VARPD_LOG_INFO,
        cn.client->endpoint(ep) + " is etcd " +
            (version.empty() ? std::string("of no version it says") : version) +
            ": its progress notifications are not trusted to advance the watch's revision "
            "(before 3.4.25 and 3.5.8 they can run ahead of a watcher that is catching up)");
}

void Etcd::watch_loop(ConnP cp) {
    Conn& cn = *cp;
    size_t n = cn.client->endpoints();
    size_t ep = cn.client->preferred();
    bool resync = true;
    size_t failed_round = 0;
    auto backoff = std::chrono::milliseconds(100);
    std::string dir = cn.lay.vnet_dir();
    while (!stopping) {
        json create = {{"key", etcd::b64_encode(dir)},
                       {"range_end", etcd::b64_encode(etcd::prefix_end(dir))},
                       {"progress_notify", true}};
        int64_t from = 0;
        if (!resync) {
            std::lock_guard g(mu);
            from = applied + 1;
            create["start_revision"] = std::to_string(from);
        }
        bool created = false;
        int64_t compacted = 0;
        std::string why;
        watch_ep = ep;
        learn_version(cn, ep);
        std::string broke =
            cn.client->stream(ep, "/v3/watch", {{"create_request", create}}, [&](const json& m) {
                return on_watch_msg(cn, m, resync, created, compacted, why);
            });
        watch_up = false;
        if (stopping)
            break;
        restarts++;
        if (compacted) {
            log(VARPD_LOG_WARNING, "revision " + std::to_string(from) +
                                       " was compacted (etcd keeps from " +
                                       std::to_string(compacted) +
                                       "); clearing the cache, flushing the kernel's, and "
                                       "watching from the current revision");
            resync = true;
            continue;
        }
        if (why.empty())
            why = broke;
        if (etcd::Client::auth_error(why))
            cn.client->forget_token();
        if (created) {
            failed_round = 0;
            backoff = std::chrono::milliseconds(100);
            log(VARPD_LOG_WARNING, "the watch on " + cn.client->endpoint(ep) + " broke (" + why +
                                       "); resuming on the next endpoint");
            nap(std::chrono::milliseconds(50)); /* a member that keeps hanging up is no spin */
        } else {
            cn.client->note_error(ep, why);
            if (++failed_round >= n) {
                failed_round = 0;
                /* a refused password is etcd answering: say that, not "no endpoint" */
                note_unreachable(why.rfind("authentication as", 0) == 0
                                     ? why
                                     : "no endpoint answers (" + cn.client->errors() + ")",
                                 nullptr);
                nap(backoff);
                backoff = std::min(backoff * 2, std::chrono::milliseconds(2000));
            }
        }
        ep = (ep + 1) % n;
    }
}

/* ---- leases ---- */

bool Etcd::lease_for(const ConnP& cn, uint32_t ttl, int64_t& id, std::string& why) {
    {
        std::lock_guard g(lmu);
        auto it = leases.find(ttl);
        if (it != leases.end()) {
            id = it->second;
            return true;
        }
    }
    etcd::Reply r = cn->client->call("/v3/lease/grant", {{"TTL", ttl}});
    id = r.ok ? etcd::num(r.body, "ID") : 0;
    if (!r.ok || id == 0) {
        why = "cannot grant a lease of " + std::to_string(ttl) +
              " s: " + (r.ok ? "no lease ID in the answer" : r.error);
        return false;
    }
    std::lock_guard g(lmu);
    leases[ttl] = id;
    lcv.notify_all();
    return true;
}

/* Forget the leases among ids that etcd no longer has (TTL <= 0), so the
   next mapping of that TTL gets a new one; live ones stay renewed. */
void Etcd::forget_dead_leases(Conn& cn, const std::set<int64_t>& ids) {
    for (int64_t id : ids) {
        etcd::Reply r = cn.client->call("/v3/lease/timetolive", {{"ID", std::to_string(id)}});
        if (!r.ok || etcd::num(r.body, "TTL") > 0)
            continue; /* alive, or not known: kept */
        std::lock_guard g(lmu);
        for (auto it = leases.begin(); it != leases.end();)
            it = it->second == id ? leases.erase(it) : std::next(it);
    }
}

void Etcd::keep_leases(ConnP cp) {
    try {
        keep_leases_loop(cp);
    } catch (const std::exception& x) { /* never take varpd down */
        log(VARPD_LOG_ERR,
            std::string("the lease keeper stopped: ") + x.what() + "; leased mappings expire");
    }
}

/*
 * The keeper: renews the leases every TTL/3, and while the device is
 * degraded probes etcd every second with a cheap read (a member can lose
 * quorum under an open watch stream, which then never breaks to tell).
 */
void Etcd::keep_leases_loop(const ConnP& cp) {
    Conn& cn = *cp;
    using namespace std::chrono;
    auto next_renew = steady_clock::now();
    auto next_probe = steady_clock::now() + milliseconds(2000);
    std::unique_lock l(lmu);
    while (!keeper_stop) {
        uint32_t shortest = UINT32_MAX;
        for (auto& [ttl, id] : leases)
            shortest = std::min(shortest, ttl);
        auto every = shortest == UINT32_MAX
                         ? milliseconds(1000)
                         : std::max(milliseconds(shortest * 1000 / 3), milliseconds(300));
        auto wake = std::min(next_renew + every, steady_clock::now() + milliseconds(1000));
        lcv.wait_until(l, wake, [&] { return keeper_stop; });
        if (keeper_stop)
            break;
        std::map<uint32_t, int64_t> now = leases;
        bool renew = steady_clock::now() >= next_renew + every;
        l.unlock();
        bool down;
        {
            std::lock_guard g(mu);
            down = degraded;
        }
        std::string dir = cn.lay.vnet_dir();
        json probe = {{"key", etcd::b64_encode(dir)},
                      {"range_end", etcd::b64_encode(etcd::prefix_end(dir))},
                      {"count_only", true}};
        if (down) {
            if (cn.client->call("/v3/kv/range", probe).ok)
                restore_if_degraded(false);
        } else if (watch_up && steady_clock::now() >= next_probe) {
            /* A member that is stopped, or cut off from its quorum, keeps
               the watch's TCP stream open and sends nothing: a linearizable
               read on it tells. */
            next_probe = steady_clock::now() + milliseconds(2000);
            size_t ep = watch_ep.load();
            etcd::Reply r = cn.client->call_at(ep, "/v3/kv/range", probe);
            if (!r.ok && watch_up && watch_ep.load() == ep) {
                log(VARPD_LOG_WARNING, "the watch's member " + cn.client->endpoint(ep) +
                                           " does not answer a read (" + r.error +
                                           "); moving the watch");
                cn.client->kick();
            }
        }
        recover_if_due(cp);
        if (renew) {
            next_renew = steady_clock::now();
            for (auto& [ttl, id] : now) {
                etcd::Reply r =
                    cn.client->call("/v3/lease/keepalive", {{"ID", std::to_string(id)}});
                if (!r.ok)
                    continue; /* unreachable: try again next round */
                const json& res = r.body.contains("result") ? r.body["result"] : r.body;
                if (etcd::num(res, "TTL") <= 0) {
                    log(VARPD_LOG_WARNING,
                        "lease " + std::to_string(id) + " (TTL " + std::to_string(ttl) +
                            " s) expired; the mappings written with it are gone");
                    std::lock_guard g(lmu);
                    auto it = leases.find(ttl);
                    if (it != leases.end() && it->second == id)
                        leases.erase(it);
                }
            }
        }
        l.lock();
    }
}

void Etcd::stop_keeper() {
    {
        std::lock_guard g(lmu);
        keeper_stop = true;
    }
    lcv.notify_all();
    if (keeper.joinable())
        keeper.join();
}

} // namespace etcd_plugin

namespace {

using namespace etcd_plugin;

/* ---- the ops vector ---- */

int e_create(varpd_provider_t* prov, varpd_mode_t mode, void** argp) {
    if (mode != VARPD_MODE_DYNAMIC)
        return -ENOTSUP;
    try {
        auto e = std::make_unique<Etcd>();
        e->prov = prov;
        if (const char* f = std::getenv("VARPD_ETCD_FAILPOINT"))
            e->failpoint = f;
        *argp = e.release();
        return 0;
    } catch (...) {
        return -ENOMEM;
    }
}

int e_start(void* arg) {
    Etcd* e = self(arg);
    try {
        if (e->prov->vp_ops->vpv_version < 2) {
            e->log(VARPD_LOG_ERR, "needs varpd's plugin ABI 2 (the device's vnet id)");
            return -ENOTSUP;
        }
        etcd::Config c;
        std::string why = etcd::parse_endpoints(e->p.endpoints, c.endpoints);
        if (e->p.endpoints.empty())
            why = "etcd/endpoints is required and unset";
        if (!why.empty()) {
            e->log(VARPD_LOG_ERR, why);
            return -EINVAL;
        }
        if (!e->p.user.empty() && e->p.password_file.empty()) {
            e->log(VARPD_LOG_ERR, "etcd/user is set but etcd/password_file is not");
            return -EINVAL;
        }
        if (!e->p.password_file.empty()) {
            /* Read at each start, never saved: the state file holds its path. */
            int err = 0;
            why = etcd::read_password_file(e->p.password_file, c.password, err);
            if (!why.empty()) {
                e->log(VARPD_LOG_ERR, why);
                return err;
            }
        }
        c.ca = e->p.ca;
        c.cert = e->p.cert;
        c.key = e->p.key;
        c.user = e->p.user;
        auto cn = std::make_shared<Conn>();
        cn->client = std::make_unique<etcd::Client>(std::move(c));
        cn->lay.prefix = e->p.prefix;
        cn->lay.vnet = varpd_vnetid(e->prov);
        {
            std::lock_guard g(e->mu);
            e->conn = cn;
            e->clear_caches_locked(0);
            e->applied = 0;
            e->degraded = false;
            e->dropped_down.clear();
            e->dropped_overflow = false;
        }
        e->stopping = false;
        e->watcher = std::thread([e, cn] {
            try {
                e->watch_loop(cn);
            } catch (const std::exception& x) { /* never take varpd down */
                e->log(VARPD_LOG_ERR, std::string("the watch stopped: ") + x.what() +
                                          "; changes are no longer seen until a restart");
            }
        });
        {
            std::lock_guard g(e->lmu);
            if (!e->keeper.joinable()) {
                e->keeper_stop = false;
                e->keeper = std::thread([e, cn] { e->keep_leases(cn); });
            }
        }
        return 0;
    } catch (...) {
        return -ENOMEM;
    }
}

void e_stop(void* arg) {
    Etcd* e = self(arg);
    if (e->watcher.joinable()) {
        e->stopping = true;
        e->now()->client->wake();
        { std::lock_guard g(e->wmu); }
        e->wcv.notify_all();
        e->watcher.join();
    }
    e->stop_keeper();
    std::lock_guard g(e->mu);
    e->conn.reset(); /* lookups still in flight keep theirs */
}

void e_destroy(void* arg) {
    e_stop(arg);
    delete self(arg);
}

int e_default(void*, varpd_dest_t*) {
    return -ENOTSUP;
}

void e_lookup(void* arg, varpd_query_t* q, const varpd_lookup_t* what) {
    Etcd* e = self(arg);
    try {
        Mac mac;
        std::memcpy(mac.data(), what->vl_dstmac, 6);
        St st;
        files::Entry ent;
        ConnP cn = e->now();
        Etcd::Got got = cn ? e->resolve_mac(cn, mac, st, ent) : Etcd::Got::unreachable;
        if (got != Etcd::Got::ok || st != St::present) {
            varpd_reply_drop(q);
            /* Not a drop we are sure of, and no flush or restore is due
               that would clear it: take it out of the kernel again, so
               the next packet asks anew. */
            if (got == Etcd::Got::unsure)
                varpd_cache_invalidate(e->prov, mac.data());
            return;
        }
        varpd_dest_t d{};
        std::memcpy(d.vd_ip, ent.ip.data(), 16);
        d.vd_port = ent.port;
        varpd_reply_dest(q, &d);
    } catch (...) {
        varpd_reply_drop(q);
    }
}

template <class Reply>
void answer_addr(Etcd* e, varpd_query_t* q, const Ip6& a, Reply reply) {
    try {
        St st;
        Mac mac;
        ConnP cn = e->now();
        if (cn && e->resolve_addr(cn, a, st, mac) == Etcd::Got::ok && st == St::present)
            reply(q, mac.data());
        else
            varpd_reply_drop(q);
    } catch (...) {
        varpd_reply_drop(q);
    }
}

void e_arp(void* arg, varpd_query_t* q, const uint8_t ip[4]) {
    answer_addr(self(arg), q, etcd_layout::mapped4(ip), varpd_reply_arp);
}

void e_ndp(void* arg, varpd_query_t* q, const uint8_t ip6[16]) {
    Ip6 a;
    std::memcpy(a.data(), ip6, 16);
    answer_addr(self(arg), q, a, varpd_reply_ndp);
}

void e_dhcp(void* arg, varpd_query_t* q, const varpd_lookup_t* what) {
    Etcd* e = self(arg);
    try {
        Mac mac;
        std::memcpy(mac.data(), what->vl_srcmac, 6);
        St st;
        files::Entry ent;
        ConnP cn = e->now();
        if (cn && e->resolve_mac(cn, mac, st, ent) == Etcd::Got::ok && st == St::present &&
            ent.has_dhcp)
            varpd_reply_dhcp(q, ent.dhcp_proxy.data());
        else
            varpd_reply_drop(q);
    } catch (...) {
        varpd_reply_drop(q);
    }
}

struct PropDesc {
    const char* name;
    uint32_t type;
    uint32_t perm;
};
constexpr uint32_t rw = VARPD_PROP_PERM_READ | VARPD_PROP_PERM_WRITE;
const PropDesc props[] = {
    {prop_endpoints, VARPD_PROP_T_STRING, rw | VARPD_PROP_PERM_REQUIRED},
    {prop_prefix, VARPD_PROP_T_STRING, rw},
    {prop_ca, VARPD_PROP_T_STRING, rw},
    {prop_cert, VARPD_PROP_T_STRING, rw},
    {prop_key, VARPD_PROP_T_STRING, rw},
    {prop_user, VARPD_PROP_T_STRING, rw},
    {prop_password_file, VARPD_PROP_T_STRING, rw},
    /* write-only and always refused, so that setting it says what to use */
    {prop_password, VARPD_PROP_T_STRING, VARPD_PROP_PERM_WRITE},
    {prop_revision, VARPD_PROP_T_UINT, VARPD_PROP_PERM_READ},
    {prop_restarts, VARPD_PROP_T_UINT, VARPD_PROP_PERM_READ},
    {prop_cached, VARPD_PROP_T_UINT, VARPD_PROP_PERM_READ},
};
constexpr uint32_t nprops = sizeof(props) / sizeof(props[0]);

std::string* string_prop(Props& p, const char* name) {
    if (!std::strcmp(name, prop_endpoints))
        return &p.endpoints;
    if (!std::strcmp(name, prop_prefix))
        return &p.prefix;
    if (!std::strcmp(name, prop_ca))
        return &p.ca;
    if (!std::strcmp(name, prop_cert))
        return &p.cert;
    if (!std::strcmp(name, prop_key))
        return &p.key;
    if (!std::strcmp(name, prop_user))
        return &p.user;
    if (!std::strcmp(name, prop_password_file))
        return &p.password_file;
    return nullptr;
}

int e_nprops(void*, uint32_t* n) {
    *n = nprops;
    return 0;
}

int e_propinfo(void*, uint32_t id, varpd_prop_info_t* info) {
    if (id >= nprops)
        return -ENOENT;
    const PropDesc& d = props[id];
    if (d.type == VARPD_PROP_T_UINT) {
        varpd_plugin::describe_uint(info, d.name, d.perm, 0, UINT64_MAX, nullptr);
        return 0;
    }
    varpd_plugin::describe(info, d.name, d.type, d.perm);
    if (d.name == prop_prefix) {
        std::strcpy(reinterpret_cast<char*>(info->vpi_default), default_prefix);
        info->vpi_defsize = static_cast<uint32_t>(std::strlen(default_prefix) + 1);
    }
    return 0;
}

int e_getprop(void* arg, const char* name, void* buf, uint32_t* sizep) {
    Etcd* e = self(arg);
    if (!std::strcmp(name, prop_password))
        return -EPERM; /* write-only */
    if (std::string* s = string_prop(e->p, name))
        return varpd_plugin::give(s->c_str(), s->empty() ? 0 : static_cast<uint32_t>(s->size() + 1),
                                  buf, sizep);
    uint64_t v;
    if (!std::strcmp(name, prop_revision)) {
        v = static_cast<uint64_t>(e->revision.load());
    } else if (!std::strcmp(name, prop_restarts)) {
        v = e->restarts.load();
    } else if (!std::strcmp(name, prop_cached)) {
        std::lock_guard g(e->mu);
        v = e->macs.size() + e->addrs.size();
    } else {
        return -ENOENT;
    }
    return varpd_plugin::give(&v, 8, buf, sizep);
}

/* "" or why value is refused for name (value already normalised into out). */
std::string check_prop(const char* name, const std::string& value, std::string& out) {
    out = value;
    if (!std::strcmp(name, prop_endpoints)) {
        std::vector<std::string> eps;
        return etcd::parse_endpoints(value, eps);
    }
    if (!std::strcmp(name, prop_prefix))
        return etcd_layout::normalise_prefix(value, out);
    if ((!std::strcmp(name, prop_ca) || !std::strcmp(name, prop_cert) ||
         !std::strcmp(name, prop_key) || !std::strcmp(name, prop_password_file)) &&
        !value.empty() && value[0] != '/')
        return std::string(name) + " must be an absolute path (varpd's directory is not yours)";
    return "";
}

int e_setprop(void* arg, const char* name, const void* buf, uint32_t size) {
    Etcd* e = self(arg);
    if (!std::strcmp(name, prop_password)) {
        e->log(VARPD_LOG_ERR, "etcd/password is no longer supported (varpd would save it in its "
                              "state file): write the password to a file of mode 0600 and use "
                              "etcd/password_file");
        return -ENOTSUP;
    }
    std::string* slot = string_prop(e->p, name);
    if (!slot)
        return !std::strcmp(name, prop_revision) || !std::strcmp(name, prop_restarts) ||
                       !std::strcmp(name, prop_cached)
                   ? -EPERM
                   : -ENOENT;
    const char* s = static_cast<const char*>(buf);
    if (size < 1 || s[size - 1] != '\0' || std::strlen(s) != size - 1)
        return -EINVAL;
    try {
        std::string v;
        std::string why = check_prop(name, s, v);
        if (!why.empty()) {
            e->log(VARPD_LOG_ERR, why);
            return -EINVAL;
        }
        bool running = e->started();
        if (running)
            e_stop(e);
        std::string old = *slot;
        *slot = v;
        if (running) {
            int rc = e_start(e);
            if (rc != 0) {
                *slot = old;
                e_start(e);
                return rc;
            }
        }
        return 0;
    } catch (...) {
        return -ENOMEM;
    }
}

/* Saved as a JSON object of the string properties: the password file's
   path, never the password (read from the file at each start). */
int e_save(void* arg, void* buf, size_t* lenp) {
    Etcd* e = self(arg);
    try {
        json j = {{"endpoints", e->p.endpoints},
                  {"prefix", e->p.prefix},
                  {"ca", e->p.ca},
                  {"cert", e->p.cert},
                  {"key", e->p.key},
                  {"user", e->p.user},
                  {"password_file", e->p.password_file}};
        std::string s = j.dump();
        if (*lenp < s.size()) {
            *lenp = s.size();
            return -ENOSPC;
        }
        std::memcpy(buf, s.data(), s.size());
        *lenp = s.size();
        return 0;
    } catch (...) {
        return -ENOMEM;
    }
}

int e_restore(varpd_provider_t* prov, varpd_mode_t mode, const void* buf, size_t len, void** argp) {
    json j = json::parse(static_cast<const char*>(buf), static_cast<const char*>(buf) + len,
                         nullptr, false);
    if (j.is_discarded() || !j.is_object())
        return -EINVAL;
    int rc = e_create(prov, mode, argp);
    if (rc != 0)
        return rc;
    Etcd* e = self(*argp);
    if (j.contains("password"))
        e->log(VARPD_LOG_WARNING,
               "the saved state holds a password (from an older varpd): ignored, and not saved "
               "again; set etcd/password_file to a file of mode 0600 holding it");
    const char* names[] = {prop_endpoints, prop_prefix, prop_ca,           prop_cert,
                           prop_key,       prop_user,   prop_password_file};
    for (const char* n : names) {
        const char* member = std::strchr(n, '/') + 1;
        if (!j.contains(member))
            continue;
        std::string v, norm;
        if (!j[member].is_string() ||
            !check_prop(n, v = j[member].get<std::string>(), norm).empty()) {
            e_destroy(*argp);
            return -EINVAL;
        }
        *string_prop(e->p, n) = norm;
    }
    return 0;
}

/* ---- map operations ---- */

int e_map_begin(void* arg, void** txnp, varpd_err_t* err) {
    Etcd* e = self(arg);
    /* A worker: the event loop may be starting or stopping the watcher
       thread meanwhile, so ask under mu, as the other map operations do. */
    if (!e->now())
        return varpd_plugin::fail(err, -EAGAIN, "etcd: the instance is not started");
    if (e->open)
        return varpd_plugin::fail(err, -EBUSY,
                                  "etcd: another mapping change is open on this overlay");
    try {
        e->open = std::make_unique<Txn>();
        *txnp = e->open.get();
        return 0;
    } catch (...) {
        return varpd_plugin::fail(err, -ENOMEM, "etcd: out of memory");
    }
}

bool ours(Etcd* e, void* txn) {
    return txn && e->open && e->open.get() == txn;
}

int e_map_put(void* arg, void* txn, const varpd_mapping_t* m, size_t n, varpd_err_t* err) {
    Etcd* e = self(arg);
    if (!ours(e, txn))
        return varpd_plugin::fail(err, -EINVAL, "etcd: not the open transaction");
    try {
        for (size_t i = 0; i < n; i++) {
            std::string why = etcd_layout::check_mapping(m[i]);
            if (!why.empty())
                return varpd_plugin::fail(err, -EINVAL, ("etcd: " + why).c_str());
            if (m[i].vm_ttl == 1)
                return varpd_plugin::fail(
                    err, -ENOTSUP,
                    ("etcd: mapping of " + mac_text(m[i].vm_mac) +
                     ": a TTL of 1 s is below the shortest lease etcd grants (2 s)")
                        .c_str());
        }
        for (size_t i = 0; i < n; i++)
            e->open->ops.push_back({true, m[i]});
        return 0;
    } catch (...) {
        return varpd_plugin::fail(err, -ENOMEM, "etcd: out of memory");
    }
}

int e_map_remove(void* arg, void* txn, const uint8_t mac[6], varpd_err_t* err) {
    Etcd* e = self(arg);
    if (!ours(e, txn))
        return varpd_plugin::fail(err, -EINVAL, "etcd: not the open transaction");
    try {
        Staged s{false, {}};
        std::memcpy(s.m.vm_mac, mac, 6);
        e->open->ops.push_back(s);
        return 0;
    } catch (...) {
        return varpd_plugin::fail(err, -ENOMEM, "etcd: out of memory");
    }
}

int e_map_commit(void* arg, void* txn, varpd_err_t* err) {
    Etcd* e = self(arg);
    if (!ours(e, txn))
        return varpd_plugin::fail(err, -EINVAL, "etcd: not the open transaction");
    std::unique_ptr<Txn> t = std::move(e->open);
    try {
        std::string why;
        ConnP cn = e->now();
        int rc = cn ? e->commit(cn, *t, why) : -EAGAIN;
        if (!cn)
            why = "the instance is not started";
        if (rc != 0)
            return varpd_plugin::fail(err, rc, ("etcd: " + why).c_str());
        return 0;
    } catch (...) {
        return varpd_plugin::fail(err, -ENOMEM, "etcd: out of memory");
    }
}

void e_map_abort(void* arg, void* txn) {
    Etcd* e = self(arg);
    if (ours(e, txn))
        e->open.reset(); /* nothing was written: changes are staged until commit */
}

/* The remaining TTL of a lease (0: none or gone). */
uint32_t ttl_left(Conn& cn, int64_t lease, std::map<int64_t, uint32_t>& memo) {
    if (!lease)
        return 0;
    auto it = memo.find(lease);
    if (it != memo.end())
        return it->second;
    etcd::Reply r = cn.client->call("/v3/lease/timetolive", {{"ID", std::to_string(lease)}});
    int64_t t = r.ok ? etcd::num(r.body, "TTL") : 0;
    uint32_t v = t > 0 ? static_cast<uint32_t>(t) : 0;
    memo[lease] = v;
    return v;
}

int e_map_get(void* arg, const uint8_t mac[6], varpd_mapping_t* out, varpd_err_t* err) {
    Etcd* e = self(arg);
    ConnP cn = e->now();
    if (!cn)
        return varpd_plugin::fail(err, -EAGAIN, "etcd: the instance is not started");
    try {
        std::string key = cn->lay.mac_key(mac);
        etcd::Reply r = cn->client->call("/v3/kv/range", {{"key", etcd::b64_encode(key)}});
        if (!r.ok)
            return varpd_plugin::fail(err, r.unreachable ? -EHOSTUNREACH : -EIO,
                                      ("etcd: " + r.error).c_str());
        const json& kvs = etcd::array(r.body, "kvs");
        if (kvs.empty())
            return varpd_plugin::fail(
                err, -ENOENT, ("etcd: no mapping of " + mac_text(mac) + " (" + key + ")").c_str());
        const json& kv = kvs[0];
        std::string value;
        Mac m;
        std::memcpy(m.data(), mac, 6);
        files::Entry ent;
        std::string why = etcd::b64_decode(etcd::str(kv, "value"), value)
                              ? etcd_layout::decode_mac_value(m, value, ent)
                              : "not base64";
        if (!why.empty())
            return varpd_plugin::fail(err, -EINVAL, ("etcd: " + key + ": " + why).c_str());
        etcd_layout::mapping_of(ent, *out);
        std::map<int64_t, uint32_t> memo;
        out->vm_ttl = ttl_left(*cn, etcd::num(kv, "lease"), memo);
        return 0;
    } catch (...) {
        return varpd_plugin::fail(err, -ENOMEM, "etcd: out of memory");
    }
}

int e_map_walk(void* arg, const uint8_t* after, size_t max, varpd_map_walk_fn* fn, void* cookie,
               varpd_err_t* err) {
    Etcd* e = self(arg);
    ConnP cn = e->now();
    if (!cn)
        return varpd_plugin::fail(err, -EAGAIN, "etcd: the instance is not started");
    try {
        std::string dir = cn->lay.mac_dir();
        std::string from = after ? cn->lay.mac_key(after) + std::string(1, '\0') : dir;
        std::string end = etcd::prefix_end(dir);
        std::map<int64_t, uint32_t> memo;
        size_t given = 0;
        while (given < max) {
            int64_t page = static_cast<int64_t>(std::min<size_t>(max - given, 500));
            etcd::Reply r = cn->client->call("/v3/kv/range", {{"key", etcd::b64_encode(from)},
                                                              {"range_end", etcd::b64_encode(end)},
                                                              {"limit", page},
                                                              {"sort_order", "ASCEND"},
                                                              {"sort_target", "KEY"}});
            if (!r.ok)
                return varpd_plugin::fail(err, r.unreachable ? -EHOSTUNREACH : -EIO,
                                          ("etcd: " + r.error).c_str());
            const json& kvs = etcd::array(r.body, "kvs");
            if (kvs.empty())
                break;
            for (const json& kv : kvs) {
                std::string key, value;
                etcd::b64_decode(etcd::str(kv, "key"), key);
                if (key + std::string(1, '\0') <= from)
                    return 0; /* no progress: the gateway repeats itself */
                from = key + std::string(1, '\0');
                Mac m;
                Ip6 a;
                files::Entry ent;
                std::string why;
                if (etcd_layout::classify(cn->lay, key, m, a) != Kind::mac)
                    why = "not a MAC key as this backend writes them (lower case, two digits per "
                          "octet)";
                else if (!etcd::b64_decode(etcd::str(kv, "value"), value))
                    why = "not base64";
                else
                    why = etcd_layout::decode_mac_value(m, value, ent);
                if (!why.empty()) {
                    e->log(VARPD_LOG_WARNING, key + ": " + why + "; skipped");
                    continue;
                }
                varpd_mapping_t out;
                etcd_layout::mapping_of(ent, out);
                out.vm_ttl = ttl_left(*cn, etcd::num(kv, "lease"), memo);
                given++;
                if (fn(cookie, &out) != 0 || given >= max)
                    return 0;
            }
            if (!etcd::flag(r.body, "more"))
                break;
        }
        return 0;
    } catch (...) {
        return varpd_plugin::fail(err, -ENOMEM, "etcd: out of memory");
    }
}

const varpd_plugin_ops_t etcd_ops = {
    .vpo_version = VARPD_PLUGIN_ABI_VERSION,
    .vpo_flags = VARPD_PLUGIN_F_BLOCKING,
    .vpo_reserved = 0,
    .vpo_create = e_create,
    .vpo_start = e_start,
    .vpo_stop = e_stop,
    .vpo_destroy = e_destroy,
    .vpo_default = e_default,
    .vpo_lookup = e_lookup,
    .vpo_nprops = e_nprops,
    .vpo_propinfo = e_propinfo,
    .vpo_getprop = e_getprop,
    .vpo_setprop = e_setprop,
    .vpo_save = e_save,
    .vpo_restore = e_restore,
    .vpo_arp = e_arp,
    .vpo_ndp = e_ndp,
    .vpo_dhcp = e_dhcp,
    .vpo_map_begin = e_map_begin,
    .vpo_map_put = e_map_put,
    .vpo_map_remove = e_map_remove,
    .vpo_map_commit = e_map_commit,
    .vpo_map_abort = e_map_abort,
    .vpo_map_get = e_map_get,
    .vpo_map_walk = e_map_walk,
};

} // namespace

VARPD_PLUGIN_EXPORT int varpd_plugin_register(varpd_register_t* reg) {
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return -EIO;
    return varpd_register_plugin(reg, "etcd", VARPD_MODE_DYNAMIC, &etcd_ops);
}
