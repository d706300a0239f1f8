/*
 * mapstore - a writable in-memory backend for varpd's mapping tests: the
 * map operations of ABI 2 over a std::map under a mutex, with real
 * transactions (staged changes are invisible until commit, abort forgets
 * them), and lookups/ARP/NDP/DHCP answered from the committed table.
 *
 * Two backends: "mapstore" declares VARPD_PLUGIN_F_BLOCKING, so varpd runs
 * its lookups and map operations on the worker pool; "mapstore_nb", the
 * same operations without the flag, has them run on the event loop.
 * Properties (all but put_delay_ms read-only):
 *   mapstore/put_delay_ms  every vpo_map_put sleeps this long first (a slow
 *                          backend: the loop must stay responsive meanwhile)
 *   mapstore/vnetid        what varpd_vnetid() said at create/restore
 *   mapstore/entries, mapstore/commits, mapstore/aborts, mapstore/open
 *                          counters the tests read (open: a transaction is)
 * Errors: a second transaction -EBUSY; an "arp" or "ndp" address another
 * MAC answers for -EEXIST; an unknown vm_flags bit or nonzero padding
 * -EINVAL; each with one sentence in the varpd_err_t. Not persisted: a
 * restored instance starts empty.
 *
 * Locking: mu guards the table, the open transaction and the counters;
 * the put delay sleeps outside it.
 */
#include <varpd/plugin.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <map>
#include <mutex>
#include <new>
#include <optional>
#include <thread>
#include <vector>

#define EXPORT extern "C" __attribute__((visibility("default")))

namespace {

using Mac = std::array<uint8_t, 6>;

struct Txn {
    std::vector<std::pair<Mac, std::optional<varpd_mapping_t>>> staged; /* nullopt: remove */
};

struct Store {
    varpd_provider_t* prov;
    uint32_t vnetid;
    std::atomic<uint64_t> put_delay_ms{0};
    std::mutex mu;
    std::map<Mac, varpd_mapping_t> table;
    Txn* open = nullptr;
    uint64_t commits = 0, aborts = 0;
};

Store* self(void* a) { return static_cast<Store*>(a); }
Mac mac_of(const uint8_t* m) {
    Mac r;
    std::memcpy(r.data(), m, 6);
    return r;
}

int fail(varpd_err_t* e, int rc, const char* fmt, const char* arg = "") {
    std::snprintf(e->ve_msg, sizeof(e->ve_msg), fmt, arg);
    return rc;
}

int ms_create(varpd_provider_t* p, varpd_mode_t mode, void** argp) {
    if (mode != VARPD_MODE_DYNAMIC)
        return -ENOTSUP;
    Store* s = new (std::nothrow) Store;
    if (!s)
        return -ENOMEM;
    s->prov = p;
    s->vnetid = varpd_vnetid(p);
    *argp = s;
    return 0;
}
int ms_start(void*) { return 0; }
void ms_stop(void*) {}
void ms_destroy(void* a) {
    Store* s = self(a);
    delete s->open;
    delete s;
}
int ms_default(void*, varpd_dest_t*) { return -ENOTSUP; }

void ms_lookup(void* a, varpd_query_t* q, const varpd_lookup_t* w) {
    Store* s = self(a);
    std::optional<varpd_dest_t> d;
    {
        std::lock_guard g(s->mu);
        auto it = s->table.find(mac_of(w->vl_dstmac));
        if (it != s->table.end())
            d = it->second.vm_dest;
    }
    if (d)
        varpd_reply_dest(q, &*d);
    else
        varpd_reply_drop(q);
}

void ms_arp(void* a, varpd_query_t* q, const uint8_t ip[4]) {
    Store* s = self(a);
    std::optional<Mac> owner;
    {
        std::lock_guard g(s->mu);
        for (auto& [mac, m] : s->table)
            if ((m.vm_flags & VARPD_MAP_F_ARP) && std::memcmp(m.vm_arp, ip, 4) == 0)
                owner = mac;
    }
    if (owner)
        varpd_reply_arp(q, owner->data());
    else
        varpd_reply_drop(q);
}
void ms_ndp(void*, varpd_query_t* q, const uint8_t*) { varpd_reply_drop(q); }
void ms_dhcp(void*, varpd_query_t* q, const varpd_lookup_t*) { varpd_reply_drop(q); }

const char* const props[] = {"mapstore/put_delay_ms", "mapstore/vnetid", "mapstore/entries",
                             "mapstore/commits", "mapstore/aborts", "mapstore/open"};
constexpr uint32_t nprops = sizeof(props) / sizeof(props[0]);

int ms_nprops(void*, uint32_t* n) {
    *n = nprops;
    return 0;
}
int ms_propinfo(void*, uint32_t id, varpd_prop_info_t* pi) {
    if (id >= nprops)
        return -ENOENT;
    std::memset(pi, 0, sizeof(*pi));
    std::snprintf(pi->vpi_name, sizeof(pi->vpi_name), "%s", props[id]);
    pi->vpi_type = VARPD_PROP_T_UINT;
    pi->vpi_perm = VARPD_PROP_PERM_READ | (id == 0 ? VARPD_PROP_PERM_WRITE : 0);
    pi->vpi_max = UINT64_MAX;
    return 0;
}
int ms_getprop(void* a, const char* name, void* buf, uint32_t* sizep) {
    Store* s = self(a);
    uint64_t v;
    {
        std::lock_guard g(s->mu);
        if (!std::strcmp(name, props[0]))
            v = s->put_delay_ms;
        else if (!std::strcmp(name, props[1]))
            v = s->vnetid;
        else if (!std::strcmp(name, props[2]))
            v = s->table.size();
        else if (!std::strcmp(name, props[3]))
            v = s->commits;
        else if (!std::strcmp(name, props[4]))
            v = s->aborts;
        else if (!std::strcmp(name, props[5]))
            v = s->open != nullptr;
        else
            return -ENOENT;
    }
    if (*sizep < 8)
        return -EOVERFLOW;
    std::memcpy(buf, &v, 8);
    *sizep = 8;
    return 0;
}
int ms_setprop(void* a, const char* name, const void* buf, uint32_t size) {
    if (std::strcmp(name, props[0]) != 0)
        return -EPERM;
    if (size != 8)
        return -EINVAL;
    uint64_t v;
    std::memcpy(&v, buf, 8);
    self(a)->put_delay_ms = v;
    return 0;
}
int ms_save(void*, void*, size_t* lenp) {
    *lenp = 0;
    return 0;
}
int ms_restore(varpd_provider_t* p, varpd_mode_t m, const void*, size_t, void** argp) {
    return ms_create(p, m, argp);
}

int ms_begin(void* a, void** txnp, varpd_err_t* e) {
    Store* s = self(a);
    std::lock_guard g(s->mu);
    if (s->open)
        return fail(e, -EBUSY, "mapstore: a transaction is already open");
    s->open = new (std::nothrow) Txn;
    if (!s->open)
        return fail(e, -ENOMEM, "mapstore: out of memory");
    *txnp = s->open;
    return 0;
}

/* The table as the transaction would leave it, for one MAC (under mu). */
const varpd_mapping_t* visible(Store* s, Txn* t, const Mac& mac) {
    for (auto it = t->staged.rbegin(); it != t->staged.rend(); ++it)
        if (it->first == mac)
            return it->second ? &*it->second : nullptr;
    auto it = s->table.find(mac);
    return it == s->table.end() ? nullptr : &it->second;
}

int ms_put(void* a, void* txn, const varpd_mapping_t* m, size_t n, varpd_err_t* e) {
    Store* s = self(a);
    uint64_t delay = s->put_delay_ms;
    if (delay)
        std::this_thread::sleep_for(std::chrono::milliseconds(delay));
    std::lock_guard g(s->mu);
    Txn* t = static_cast<Txn*>(txn);
    if (t != s->open)
        return fail(e, -EINVAL, "mapstore: not the open transaction");
    for (size_t i = 0; i < n; i++) {
        if (m[i].vm_flags & ~VARPD_MAP_F_ALL)
            return fail(e, -EINVAL, "mapstore: unknown mapping flags");
        if (m[i].vm_pad || m[i].vm_pad2 || m[i].vm_dest.vd_pad)
            return fail(e, -EINVAL, "mapstore: padding is not zero");
        Mac mac = mac_of(m[i].vm_mac);
        if (m[i].vm_flags & VARPD_MAP_F_ARP) {
            std::vector<Mac> owners;
            for (auto& [k, v] : s->table)
                owners.push_back(k);
            for (auto& st : t->staged)
                owners.push_back(st.first);
            for (auto& o : owners) {
                const varpd_mapping_t* v = visible(s, t, o);
                if (o != mac && v && (v->vm_flags & VARPD_MAP_F_ARP) &&
                    std::memcmp(v->vm_arp, m[i].vm_arp, 4) == 0)
                    return fail(e, -EEXIST, "mapstore: another MAC answers ARP for that address");
            }
        }
        try {
            t->staged.emplace_back(mac, m[i]);
        } catch (...) {
            return fail(e, -ENOMEM, "mapstore: out of memory");
        }
    }
    return 0;
}

int ms_remove(void* a, void* txn, const uint8_t mac[6], varpd_err_t* e) {
    Store* s = self(a);
    std::lock_guard g(s->mu);
    Txn* t = static_cast<Txn*>(txn);
    if (t != s->open)
        return fail(e, -EINVAL, "mapstore: not the open transaction");
    if (!visible(s, t, mac_of(mac)))
        return fail(e, -ENOENT, "mapstore: no mapping of that MAC");
    try {
        t->staged.emplace_back(mac_of(mac), std::nullopt);
    } catch (...) {
        return fail(e, -ENOMEM, "mapstore: out of memory");
    }
    return 0;
}

int ms_commit(void* a, void* txn, varpd_err_t* e) {
    Store* s = self(a);
    std::lock_guard g(s->mu);
    Txn* t = static_cast<Txn*>(txn);
    if (t != s->open)
        return fail(e, -EINVAL, "mapstore: not the open transaction");
    for (auto& [mac, m] : t->staged) {
        if (m)
            s->table[mac] = *m;
        else
            s->table.erase(mac);
        varpd_cache_invalidate(s->prov, mac.data()); /* the kernel asks again */
    }
    delete t;
    s->open = nullptr;
    s->commits++;
    return 0;
}

void ms_abort(void* a, void* txn) {
    Store* s = self(a);
    std::lock_guard g(s->mu);
    if (txn != s->open)
        return;
    delete s->open;
    s->open = nullptr;
    s->aborts++;
}

int ms_get(void* a, const uint8_t mac[6], varpd_mapping_t* out, varpd_err_t*) {
    Store* s = self(a);
    std::lock_guard g(s->mu);
    auto it = s->table.find(mac_of(mac));
    if (it == s->table.end())
        return -ENOENT; /* varpd words it */
    *out = it->second;
    return 0;
}

int ms_walk(void* a, const uint8_t* after, size_t max, varpd_map_walk_fn* fn, void* cookie,
            varpd_err_t*) {
    Store* s = self(a);
    std::lock_guard g(s->mu);
    auto it = after ? s->table.upper_bound(mac_of(after)) : s->table.begin();
    for (size_t n = 0; it != s->table.end() && n < max; ++it, ++n)
        if (fn(cookie, &it->second) != 0)
            break;
    return 0;
}

const varpd_plugin_ops_t mapstore_ops = {
    .vpo_version = VARPD_PLUGIN_ABI_VERSION,
    .vpo_flags = VARPD_PLUGIN_F_BLOCKING,
    .vpo_reserved = 0,
    .vpo_create = ms_create,
    .vpo_start = ms_start,
    .vpo_stop = ms_stop,
    .vpo_destroy = ms_destroy,
    .vpo_default = ms_default,
    .vpo_lookup = ms_lookup,
    .vpo_nprops = ms_nprops,
    .vpo_propinfo = ms_propinfo,
    .vpo_getprop = ms_getprop,
    .vpo_setprop = ms_setprop,
    .vpo_save = ms_save,
    .vpo_restore = ms_restore,
    .vpo_arp = ms_arp,
    .vpo_ndp = ms_ndp,
    .vpo_dhcp = ms_dhcp,
    .vpo_map_begin = ms_begin,
    .vpo_map_put = ms_put,
    .vpo_map_remove = ms_remove,
    .vpo_map_commit = ms_commit,
    .vpo_map_abort = ms_abort,
    .vpo_map_get = ms_get,
    .vpo_map_walk = ms_walk,
};

varpd_plugin_ops_t nonblocking() {
    varpd_plugin_ops_t o = mapstore_ops;
    o.vpo_flags = 0;
    return o;
}
const varpd_plugin_ops_t mapstore_nb_ops = nonblocking();

} // namespace

EXPORT int varpd_plugin_register(varpd_register_t* reg) {
    int rc = varpd_register_plugin(reg, "mapstore", VARPD_MODE_DYNAMIC, &mapstore_ops);
    return rc ? rc : varpd_register_plugin(reg, "mapstore_nb", VARPD_MODE_DYNAMIC, &mapstore_nb_ops);
}
