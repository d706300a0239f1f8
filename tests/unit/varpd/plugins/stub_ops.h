/*
 * Operations for the test plugins that exist only to be refused or to
 * sleep: every one does nothing useful. STUB_OPS_FIELDS fills every
 * function pointer of a varpd_plugin_ops_t (later designated initialisers
 * in the same braces override one); STUB_OPS_FIELDS_V1 only those of a
 * version 1 vector (up to vpo_dhcp). The map stubs take no changes.
 */
#ifndef STUB_OPS_H
#define STUB_OPS_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <varpd/plugin.h>

static int stub_create(varpd_provider_t *p, varpd_mode_t m, void **argp) {
    (void)p; (void)m;
    *argp = NULL;
    return 0;
}
static int stub_start(void *a) { (void)a; return 0; }
static void stub_stop(void *a) { (void)a; }
static void stub_destroy(void *a) { (void)a; }
static int stub_default(void *a, varpd_dest_t *d) { (void)a; (void)d; return -ENOTSUP; }
static void stub_lookup(void *a, varpd_query_t *q, const varpd_lookup_t *w) {
    (void)a; (void)w;
    varpd_reply_drop(q);
}
static int stub_nprops(void *a, uint32_t *n) { (void)a; *n = 0; return 0; }
static int stub_propinfo(void *a, uint32_t id, varpd_prop_info_t *i) {
    (void)a; (void)id; (void)i;
    return -ENOENT;
}
static int stub_getprop(void *a, const char *n, void *b, uint32_t *s) {
    (void)a; (void)n; (void)b; (void)s;
    return -ENOENT;
}
static int stub_setprop(void *a, const char *n, const void *b, uint32_t s) {
    (void)a; (void)n; (void)b; (void)s;
    return -ENOENT;
}
static int stub_save(void *a, void *b, size_t *l) { (void)a; (void)b; *l = 0; return 0; }
static int stub_restore(varpd_provider_t *p, varpd_mode_t m, const void *b, size_t l, void **argp) {
    (void)b; (void)l;
    return stub_create(p, m, argp);
}
static void stub_arp(void *a, varpd_query_t *q, const uint8_t *ip) { (void)a; (void)ip; varpd_reply_drop(q); }
static void stub_ndp(void *a, varpd_query_t *q, const uint8_t *ip) { (void)a; (void)ip; varpd_reply_drop(q); }
static void stub_dhcp(void *a, varpd_query_t *q, const varpd_lookup_t *w) { (void)a; (void)w; varpd_reply_drop(q); }

static inline int stub_nomap(varpd_err_t *e) {
    snprintf(e->ve_msg, sizeof(e->ve_msg), "this test backend takes no mapping changes");
    return -ENOTSUP;
}
static inline int stub_map_begin(void *a, void **t, varpd_err_t *e) { (void)a; (void)t; return stub_nomap(e); }
static inline int stub_map_put(void *a, void *t, const varpd_mapping_t *m, size_t n, varpd_err_t *e) {
    (void)a; (void)t; (void)m; (void)n;
    return stub_nomap(e);
}
static inline int stub_map_remove(void *a, void *t, const uint8_t *m, varpd_err_t *e) {
    (void)a; (void)t; (void)m;
    return stub_nomap(e);
}
static inline int stub_map_commit(void *a, void *t, varpd_err_t *e) { (void)a; (void)t; return stub_nomap(e); }
static inline void stub_map_abort(void *a, void *t) { (void)a; (void)t; }
static inline int stub_map_get(void *a, const uint8_t *m, varpd_mapping_t *o, varpd_err_t *e) {
    (void)a; (void)m; (void)o;
    return stub_nomap(e);
}
static inline int stub_map_walk(void *a, const uint8_t *after, size_t max, varpd_map_walk_fn *fn,
                         void *c, varpd_err_t *e) {
    (void)a; (void)after; (void)max; (void)fn; (void)c;
    return stub_nomap(e);
}

#define STUB_OPS_FIELDS_V1                                                                     \
    .vpo_create = stub_create, .vpo_start = stub_start, .vpo_stop = stub_stop,              \
    .vpo_destroy = stub_destroy, .vpo_default = stub_default, .vpo_lookup = stub_lookup,    \
    .vpo_nprops = stub_nprops, .vpo_propinfo = stub_propinfo, .vpo_getprop = stub_getprop,  \
    .vpo_setprop = stub_setprop, .vpo_save = stub_save, .vpo_restore = stub_restore,        \
    .vpo_arp = stub_arp, .vpo_ndp = stub_ndp, .vpo_dhcp = stub_dhcp

#define STUB_OPS_FIELDS                                                                     \
    STUB_OPS_FIELDS_V1, .vpo_map_begin = stub_map_begin, .vpo_map_put = stub_map_put,       \
    .vpo_map_remove = stub_map_remove, .vpo_map_commit = stub_map_commit,                   \
    .vpo_map_abort = stub_map_abort, .vpo_map_get = stub_map_get, .vpo_map_walk = stub_map_walk

#endif
