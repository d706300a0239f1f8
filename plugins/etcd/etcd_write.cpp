/*
 * etcd_write.cpp - the etcd backend's commit of a mapping change: read the
 * keys it touches, plan the mac/ and ip/ writes, apply them in guarded
 * txns of at most 100 operations, undo the applied ones when a later one
 * fails. The theory statement is etcd.cpp's ("Writes").
 */
#include "etcd_instance.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <set>

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
            for (;;) {
                etcd::Reply r =
                    cn.client->call("/v3/kv/range", {{"key", etcd::b64_encode(from)},
                                                     {"range_end", etcd::b64_encode(hi)},
                                                     {"limit", 1000}});
                if (!r.ok) {
                    why = "cannot read the current mappings: " + r.error;
                    return false;
                }
                if (!r.body.contains("kvs") || r.body["kvs"].empty())
                    break;
                for (const json& kv : r.body["kvs"]) {
                    std::string key;
                    etcd::b64_decode(kv.value("key", ""), key);
                    from = key + std::string(1, '\0');
                    if (!wanted.count(key))
                        continue;
                    Cur& cur = out[key];
                    cur.exists = etcd::b64_decode(kv.value("value", ""), cur.value);
                    cur.mod = etcd::num(kv, "mod_revision");
                    cur.lease = etcd::num(kv, "lease");
                }
                if (!r.body.value("more", false))
                    break;
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
        const json& res = r.body.contains("responses") ? r.body["responses"] : json::array();
        for (size_t i = at; i < end; i++) {
            Cur& c = out[keys[i]];
            size_t j = i - at;
            if (j >= res.size())
                continue;
            const json& rr =
                res[j].contains("response_range") ? res[j]["response_range"] : json::object();
            if (!rr.contains("kvs") || rr["kvs"].empty())
                continue;
            const json& kv = rr["kvs"][0];
            c.exists = etcd::b64_decode(kv.value("value", ""), c.value);
            c.mod = etcd::num(kv, "mod_revision");
            c.lease = etcd::num(kv, "lease");
        }
    }
    return true;
}

bool Etcd::undo(Conn& cn, const std::vector<Undo>& u, std::string& why) {
    for (size_t at = 0; at < u.size(); at += txn_ops) {
        json ops = json::array();
        size_t end = std::min(u.size(), at + txn_ops);
        for (size_t i = at; i < end; i++)
            ops.push_back(u[i].existed ? put_op(u[i].key, u[i].value, u[i].lease)
                                       : del_op(u[i].key));
        etcd::Reply r = cn.client->call("/v3/kv/txn", {{"success", ops}});
        if (!r.ok && r.error.find("lease not found") != std::string::npos) {
            ops = json::array(); /* a previous value's lease is gone: restore it without */
            for (size_t i = at; i < end; i++)
                ops.push_back(u[i].existed ? put_op(u[i].key, u[i].value, 0) : del_op(u[i].key));
            r = cn.client->call("/v3/kv/txn", {{"success", ops}});
        }
        if (!r.ok) {
            why = r.error;
            return false;
        }
    }
    return true;
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

    std::vector<std::pair<std::string, PlanOp>> list(plan.begin(), plan.end());
    std::vector<Undo> done;
    for (size_t at = 0; at < list.size(); at += txn_ops) {
        size_t end = std::min(list.size(), at + txn_ops);
        json cmp = json::array(), ops = json::array();
        for (size_t i = at; i < end; i++) {
            auto& [key, op] = list[i];
            cmp.push_back({{"key", etcd::b64_encode(key)},
                           {"target", "MOD"},
                           {"result", "EQUAL"},
                           {"mod_revision", std::to_string(op.expect_mod)}});
            ops.push_back(op.put ? put_op(key, op.value, op.ttl ? lease[op.ttl] : 0) : del_op(key));
        }
        /* Not idempotent: sent to one member and unanswered, it may have
           been applied there; sending it to another would misreport. */
        etcd::Reply r =
            cn->client->call("/v3/kv/txn", {{"compare", cmp}, {"success", ops}}, false);
        bool ok = r.ok && r.body.value("succeeded", false);
        if (!ok) {
            std::string reason;
            if (!r.ok) {
                reason = r.error;
                if (reason.find("lease not found") != std::string::npos) {
                    forget_leases();
                    reason += " (a lease expired or was revoked; run it again for a new one)";
                }
            } else {
                conflict = true;
                reason = "another writer changed these keys meanwhile";
            }
            std::string uwhy;
            bool undone = undo(*cn, std::vector<Undo>(done.rbegin(), done.rend()), uwhy);
            size_t batch = at / txn_ops + 1, batches = (list.size() + txn_ops - 1) / txn_ops;
            if (r.unknown) {
                conflict = false;
                why = "etcd txn " + std::to_string(batch) + " of " + std::to_string(batches) +
                      " has an unknown outcome (" + reason + "); ";
                if (batch > 1)
                    why += undone ? "the " + std::to_string(batch - 1) + " before it were undone; "
                                  : "undoing the " + std::to_string(batch - 1) +
                                        " before it failed too (" + uwhy + "); ";
                why += "the change may be partly applied: check the mappings";
                return -EIO;
            }
            if (!undone) {
                why = "etcd txn " + std::to_string(batch) + " of " + std::to_string(batches) +
                      " failed (" + reason + ") and undoing the " + std::to_string(batch - 1) +
                      " applied failed too (" + uwhy + "): the vnet may hold part of the change";
                conflict = false;
                return -EIO;
            }
            why = "etcd txn " + std::to_string(batch) + " of " + std::to_string(batches) +
                  " failed (" + reason + "); nothing was changed";
            return r.ok ? -EAGAIN : (r.unreachable ? -EHOSTUNREACH : -EIO);
        }
        /* The compares held: the keys were what the read found, so that is
           what an undo puts back. */
        for (size_t i = at; i < end; i++) {
            const Cur& c = cur[list[i].first];
            done.push_back(Undo{list[i].first, c.exists, c.value, c.lease});
        }
    }
    return 0;
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
