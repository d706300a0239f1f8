/*
 * varpd/plugin.h - the C ABI between varpd and its backend plugins.
 *
 * Theory: varpd answers the kernel's question "where does this MAC live?"
 * for every overlay device in dynamic mode, and gives point-mode devices
 * their one destination. The answers come from backends (a JSON file, a
 * SQLite database, etcd, yours), each a shared object that varpd dlopen()s
 * from its plugin directory. This header is the whole contract; a plugin
 * needs nothing else from varpd (no symbols are resolved against the daemon:
 * every service varpd offers is a function pointer reached through a handle,
 * and the inline helpers below hide that). pkg-config --cflags varpd-plugin
 * gives the include path.
 *
 * Registration. A plugin defines one symbol, declared below with C linkage
 * and default visibility,
 *
 *	int varpd_plugin_register(varpd_register_t *reg);
 *
 * which calls varpd_register_plugin() once per backend it provides, with a
 * name, a destination mode and a pointer to a static ops vector. varpd then
 * checks, and refuses the backend with a log line naming the problem when:
 * the ops vector's vpo_version is not one varpd speaks (1 or 2); vpo_reserved
 * is not zero; vpo_flags has an unknown bit; any function pointer is NULL
 * (every operation is mandatory: an operation a backend does not support is
 * a function that says so, e.g. replies "drop" or returns -ENOTSUP); the name
 * is empty, too long, or already taken. A refused plugin never stops the
 * others from loading. Use designated initialisers for the ops vector.
 *
 * Instances. varpd creates one instance per overlay device that uses the
 * backend: vpo_create(provider, &arg), then vpo_setprop() for each property
 * given, then vpo_start(). vpo_stop() and vpo_destroy() end it; varpd calls
 * vpo_destroy() only once no lookup of the instance is outstanding (every
 * query handed out has been answered). vpo_save() serialises an instance's
 * configuration into bytes that varpd persists; at the next start varpd
 * calls vpo_restore() with those bytes instead of vpo_create() + setprop.
 *
 * Lookups (dynamic mode) are asynchronous. varpd calls vpo_lookup() with a
 * query handle and the frame's addresses; the plugin answers exactly once,
 * now or later and from any thread, with varpd_reply_dest() or
 * varpd_reply_drop(). Frames that ask about an address rather than a MAC are
 * routed by varpd itself: an ARP request goes to vpo_arp() (answer with
 * varpd_reply_arp(), the MAC that owns the IPv4 address), an IPv6 Neighbour
 * Solicitation to vpo_ndp() (varpd_reply_ndp()), a DHCPv4 broadcast to
 * vpo_dhcp() (varpd_reply_dhcp(), the MAC of the DHCP proxy); varpd builds
 * and injects the ARP reply / Neighbour Advertisement, or redirects the
 * DHCP frame. Any of them may answer varpd_reply_drop(). A query handle is
 * invalid once answered. Point mode: varpd calls vpo_default() after start
 * and after every vpo_setprop(), and never calls vpo_lookup().
 *
 * Threads. A backend that declares VARPD_PLUGIN_F_BLOCKING has vpo_lookup,
 * vpo_arp, vpo_ndp and vpo_dhcp called on varpd's worker pool (several at
 * once, for different queries of one instance); the others have them called
 * on the event loop and must not block. Every other operation is called on
 * the event loop, one at a time per instance. Reply, cache and degrade
 * functions may be called from any thread. Nothing in this ABI may unwind:
 * a C++ plugin catches its exceptions.
 *
 * Properties are named "<plugin>/<name>" and typed as the kernel's are:
 * VARPD_PROP_T_UINT is a uint64_t in host order (size 8), VARPD_PROP_T_IP 16
 * bytes in network order (IPv4 written IPv4-mapped, ::ffff:a.b.c.d),
 * VARPD_PROP_T_STRING a NUL-terminated string whose size counts the NUL.
 *
 * Mappings (ABI version 2). A writable backend (sqlite, etcd) also takes
 * mapping changes through varpd, so `overlayadm add-mapping` works the same
 * on each. A change is made inside a transaction: vpo_map_begin() opens
 * one, vpo_map_put() / vpo_map_remove() stage changes in it (put replaces
 * any mapping of that MAC), vpo_map_commit() makes them visible together
 * and vpo_map_abort() forgets them; commit and abort both end the
 * transaction (a commit that fails too: the backend undoes what it staged,
 * and varpd never calls abort after a commit). A backend that cannot hold a transaction open (etcd) may
 * apply changes as they are staged, but abort must then undo them. An
 * instance has at most one transaction open at a time: a second
 * vpo_map_begin() may fail with -EBUSY. vpo_map_get() reads one mapping
 * (-ENOENT: none), vpo_map_walk() reads them in MAC order after a MAC (or
 * from the first) until the callback returns nonzero or max were given.
 * Mappings are per overlay: the vnet is the device's, varpd_vnetid().
 * A backend that takes no mapping changes answers -ENOTSUP from each (and
 * says where its mappings come from in the error text). The map operations
 * of a VARPD_PLUGIN_F_BLOCKING backend run on the worker pool, one at a
 * time per instance; those of the others on the event loop. Every map
 * operation but abort takes a varpd_err_t: on failure the backend writes
 * one sentence naming the problem there (varpd shows it to the operator).
 * A key already mapped elsewhere (an "arp" or "ndp" address another MAC
 * answers for) is -EEXIST; a TTL a backend cannot honour, -ENOTSUP.
 *
 * Compatibility: varpd speaks versions 1 and 2. A version 1 ops vector ends
 * after vpo_dhcp and its backend takes no mapping changes; a version 1
 * plugin must not call the provider operations added in version 2
 * (vpv_version tells a plugin which ones exist).
 *
 * Return values: 0 or a negative errno. Not supported: unloading a plugin
 * while varpd runs; two ABI versions in one plugin object.
 */
#ifndef VARPD_PLUGIN_H
#define VARPD_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define VARPD_PLUGIN_ABI_VERSION 2 /* varpd also loads version 1 */
#define VARPD_PLUGIN_ABI_VERSION_MIN 1
#define VARPD_PLUGIN_REGISTER_SYMBOL "varpd_plugin_register"

#define VARPD_NAMELEN 32         /* plugin name, NUL included */
#define VARPD_PROP_NAMELEN 64    /* property name, NUL included */
#define VARPD_PROP_SIZEMAX 1024  /* largest property value, bytes */
#define VARPD_MSGLEN 128         /* degrade message, NUL included */
#define VARPD_ERRLEN 256         /* varpd_err_t message, NUL included */

/* Destination modes (vpo_create's mode, as the kernel's OVERLAY_DEST_*). */
typedef enum varpd_mode {
    VARPD_MODE_POINT = 1,   /* one destination: vpo_default */
    VARPD_MODE_DYNAMIC = 2, /* per-MAC lookups: vpo_lookup */
} varpd_mode_t;

/* vpo_flags */
#define VARPD_PLUGIN_F_BLOCKING 0x1u /* lookups run on the worker pool */
#define VARPD_PLUGIN_F_ALL VARPD_PLUGIN_F_BLOCKING

#define VARPD_PROP_T_UINT 1
#define VARPD_PROP_T_IP 2
#define VARPD_PROP_T_STRING 3

#define VARPD_PROP_PERM_READ 0x1
#define VARPD_PROP_PERM_WRITE 0x2
#define VARPD_PROP_PERM_REQUIRED 0x4 /* vpo_start fails without it */

/* An underlay destination: address (IPv4-mapped for IPv4) and UDP port. */
typedef struct varpd_dest {
    uint8_t vd_ip[16];
    uint16_t vd_port; /* host order; 0 = the encapsulation's default */
    uint16_t vd_pad;  /* zero */
} varpd_dest_t;

/* What missed: the frame's addresses (vpo_lookup, vpo_dhcp). */
typedef struct varpd_lookup {
    uint32_t vl_linkid;
    uint16_t vl_ethertype;
    uint16_t vl_vlan; /* 0: untagged */
    uint8_t vl_dstmac[6];
    uint8_t vl_srcmac[6];
} varpd_lookup_t;

/* One mapping (ABI 2): where a MAC of this overlay lives, and what it answers. */
#define VARPD_MAP_F_ARP 0x1  /* vm_arp is set: answer ARP for it with vm_mac */
#define VARPD_MAP_F_NDP 0x2  /* vm_ndp is set: answer NDP for it with vm_mac */
#define VARPD_MAP_F_DHCP 0x4 /* vm_dhcp is set: this MAC's DHCP goes there */
#define VARPD_MAP_F_ALL (VARPD_MAP_F_ARP | VARPD_MAP_F_NDP | VARPD_MAP_F_DHCP)

typedef struct varpd_mapping {
    uint8_t vm_mac[6];
    uint16_t vm_flags;    /* VARPD_MAP_F_* */
    varpd_dest_t vm_dest; /* the underlay address and port */
    uint8_t vm_arp[4];    /* IPv4, network order */
    uint8_t vm_ndp[16];   /* IPv6 */
    uint8_t vm_dhcp[6];   /* the DHCP proxy's MAC */
    uint16_t vm_pad;      /* zero */
    uint32_t vm_ttl;      /* seconds until it expires (a lease); 0: never */
    uint32_t vm_pad2;     /* zero */
} varpd_mapping_t;

/* Why a map operation failed: one sentence, NUL-terminated. */
typedef struct varpd_err {
    char ve_msg[VARPD_ERRLEN];
} varpd_err_t;

/* vpo_map_walk's callback: nonzero stops the walk. */
typedef int varpd_map_walk_fn(void* cookie, const varpd_mapping_t* m);

typedef struct varpd_prop_info {
    char vpi_name[VARPD_PROP_NAMELEN];
    uint32_t vpi_type; /* VARPD_PROP_T_* */
    uint32_t vpi_perm; /* VARPD_PROP_PERM_* */
    uint32_t vpi_defsize; /* 0: no default */
    uint32_t vpi_pad;
    uint8_t vpi_default[VARPD_PROP_SIZEMAX];
    uint64_t vpi_min; /* UINT only, inclusive */
    uint64_t vpi_max;
    char vpi_possible[256]; /* STRING only, comma-separated; "" any */
} varpd_prop_info_t;

typedef struct varpd_provider varpd_provider_t; /* one instance, varpd's side */
typedef struct varpd_query varpd_query_t;       /* one outstanding lookup */
typedef struct varpd_register varpd_register_t; /* one registration call */

/* The services varpd offers an instance; reached through the helpers below. */
typedef struct varpd_provider_ops {
    uint32_t vpv_version; /* VARPD_PLUGIN_ABI_VERSION */
    uint32_t vpv_pad;
    int (*vpv_cache_inject)(varpd_provider_t*, const uint8_t mac[6], const varpd_dest_t*);
    int (*vpv_cache_invalidate)(varpd_provider_t*, const uint8_t mac[6]);
    int (*vpv_degrade)(varpd_provider_t*, const char* msg);
    int (*vpv_restore)(varpd_provider_t*);
    void (*vpv_log)(varpd_provider_t*, int level, const char* msg);
    uint32_t (*vpv_linkid)(varpd_provider_t*);
    /* Version 2. */
    uint32_t (*vpv_vnetid)(varpd_provider_t*); /* the device's vnet id */
    int (*vpv_cache_flush)(varpd_provider_t*); /* remove every cache entry */
} varpd_provider_ops_t;

struct varpd_provider {
    const varpd_provider_ops_t* vp_ops;
};

/* The answers to one query; reached through the helpers below. */
typedef struct varpd_query_ops {
    void (*vqv_dest)(varpd_query_t*, const varpd_dest_t*);
    void (*vqv_drop)(varpd_query_t*);
    void (*vqv_arp)(varpd_query_t*, const uint8_t mac[6]);
    void (*vqv_ndp)(varpd_query_t*, const uint8_t mac[6]);
    void (*vqv_dhcp)(varpd_query_t*, const uint8_t mac[6]);
} varpd_query_ops_t;

struct varpd_query {
    const varpd_query_ops_t* vq_ops;
};

typedef struct varpd_plugin_ops {
    uint32_t vpo_version;  /* VARPD_PLUGIN_ABI_VERSION */
    uint32_t vpo_flags;    /* VARPD_PLUGIN_F_* */
    uint64_t vpo_reserved; /* must be zero */
    int (*vpo_create)(varpd_provider_t* prov, varpd_mode_t mode, void** argp);
    int (*vpo_start)(void* arg);
    void (*vpo_stop)(void* arg);
    void (*vpo_destroy)(void* arg);
    int (*vpo_default)(void* arg, varpd_dest_t* dest);
    void (*vpo_lookup)(void* arg, varpd_query_t* q, const varpd_lookup_t* what);
    int (*vpo_nprops)(void* arg, uint32_t* nprops);
    int (*vpo_propinfo)(void* arg, uint32_t id, varpd_prop_info_t* info);
    /* *sizep in: buffer size; out: bytes of the value (0: unset, no default) */
    int (*vpo_getprop)(void* arg, const char* name, void* buf, uint32_t* sizep);
    int (*vpo_setprop)(void* arg, const char* name, const void* buf, uint32_t size);
    /* *lenp in: buffer size; out: bytes written, or needed with -ENOSPC */
    int (*vpo_save)(void* arg, void* buf, size_t* lenp);
    int (*vpo_restore)(varpd_provider_t* prov, varpd_mode_t mode, const void* buf, size_t len,
                       void** argp);
    void (*vpo_arp)(void* arg, varpd_query_t* q, const uint8_t ip[4]);
    void (*vpo_ndp)(void* arg, varpd_query_t* q, const uint8_t ip6[16]);
    void (*vpo_dhcp)(void* arg, varpd_query_t* q, const varpd_lookup_t* what);
    /* Version 2: mappings (see "Mappings" above). */
    int (*vpo_map_begin)(void* arg, void** txnp, varpd_err_t* err);
    int (*vpo_map_put)(void* arg, void* txn, const varpd_mapping_t* m, size_t n, varpd_err_t* err);
    int (*vpo_map_remove)(void* arg, void* txn, const uint8_t mac[6], varpd_err_t* err);
    int (*vpo_map_commit)(void* arg, void* txn, varpd_err_t* err);
    void (*vpo_map_abort)(void* arg, void* txn);
    int (*vpo_map_get)(void* arg, const uint8_t mac[6], varpd_mapping_t* out, varpd_err_t* err);
    /* after: NULL from the first MAC, else strictly after it; at most max */
    int (*vpo_map_walk)(void* arg, const uint8_t* after, size_t max, varpd_map_walk_fn* fn,
                        void* cookie, varpd_err_t* err);
} varpd_plugin_ops_t;

/* The size of a version 1 ops vector: it ends after vpo_dhcp. */
#define VARPD_PLUGIN_OPS_V1_SIZE (offsetof(varpd_plugin_ops_t, vpo_map_begin))

/* What varpd passes to varpd_plugin_register(). */
typedef struct varpd_register_ops {
    int (*vrv_register)(varpd_register_t*, const char* name, varpd_mode_t mode,
                        const varpd_plugin_ops_t* ops);
} varpd_register_ops_t;

struct varpd_register {
    uint32_t vr_version; /* the ABI version varpd speaks */
    uint32_t vr_pad;
    const varpd_register_ops_t* vr_ops;
};

typedef int varpd_plugin_register_fn(varpd_register_t* reg);

/*
 * The one symbol a plugin defines and exports; varpd dlsym()s it by
 * VARPD_PLUGIN_REGISTER_SYMBOL. Declared here with C linkage (a C++
 * plugin's definition is then not mangled) and default visibility (a
 * plugin built with -fvisibility=hidden still exports it).
 */
#if defined(__GNUC__)
__attribute__((visibility("default")))
#endif
int varpd_plugin_register(varpd_register_t* reg);

/* Log levels for varpd_log (syslog's). */
#define VARPD_LOG_ERR 3
#define VARPD_LOG_WARNING 4
#define VARPD_LOG_INFO 6
#define VARPD_LOG_DEBUG 7

/*
 * Register one backend. 0, or -EINVAL (bad ops vector, the log says why) or
 * -EEXIST (name taken). ops must stay valid while the plugin is loaded.
 */
static inline int varpd_register_plugin(varpd_register_t* reg, const char* name,
                                        varpd_mode_t mode, const varpd_plugin_ops_t* ops) {
    return reg->vr_ops->vrv_register(reg, name, mode, ops);
}

/* Answers; exactly one per query. */
static inline void varpd_reply_dest(varpd_query_t* q, const varpd_dest_t* d) {
    q->vq_ops->vqv_dest(q, d);
}
static inline void varpd_reply_drop(varpd_query_t* q) { q->vq_ops->vqv_drop(q); }
static inline void varpd_reply_arp(varpd_query_t* q, const uint8_t mac[6]) {
    q->vq_ops->vqv_arp(q, mac);
}
static inline void varpd_reply_ndp(varpd_query_t* q, const uint8_t mac[6]) {
    q->vq_ops->vqv_ndp(q, mac);
}
static inline void varpd_reply_dhcp(varpd_query_t* q, const uint8_t mac[6]) {
    q->vq_ops->vqv_dhcp(q, mac);
}

/* Set or remove one entry of the kernel's target cache (a shootdown). */
static inline int varpd_cache_inject(varpd_provider_t* p, const uint8_t mac[6],
                                     const varpd_dest_t* d) {
    return p->vp_ops->vpv_cache_inject(p, mac, d);
}
static inline int varpd_cache_invalidate(varpd_provider_t* p, const uint8_t mac[6]) {
    return p->vp_ops->vpv_cache_invalidate(p, mac);
}
/* Mark the device degraded with a reason (shown by the CLI), or clear it. */
static inline int varpd_degrade(varpd_provider_t* p, const char* msg) {
    return p->vp_ops->vpv_degrade(p, msg);
}
static inline int varpd_restore(varpd_provider_t* p) { return p->vp_ops->vpv_restore(p); }
static inline void varpd_log(varpd_provider_t* p, int level, const char* msg) {
    p->vp_ops->vpv_log(p, level, msg);
}
static inline uint32_t varpd_linkid(varpd_provider_t* p) { return p->vp_ops->vpv_linkid(p); }
/* Version 2: the device's vnet id; flush its whole target cache. */
static inline uint32_t varpd_vnetid(varpd_provider_t* p) { return p->vp_ops->vpv_vnetid(p); }
static inline int varpd_cache_flush(varpd_provider_t* p) { return p->vp_ops->vpv_cache_flush(p); }

#ifdef __cplusplus
}
#endif

#endif /* VARPD_PLUGIN_H */
