/*
 * Operations for the test plugins that exist only to be refused or to
 * sleep: every one does nothing useful. STUB_OPS_FIELDS fills every
 * function pointer of a varpd_plugin_ops_t (later designated initialisers
 * in the same braces override one).
 */
#ifndef STUB_OPS_H
#define STUB_OPS_H

#include <errno.h>
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

#define STUB_OPS_FIELDS                                                                     \
    .vpo_create = stub_create, .vpo_start = stub_start, .vpo_stop = stub_stop,              \
    .vpo_destroy = stub_destroy, .vpo_default = stub_default, .vpo_lookup = stub_lookup,    \
    .vpo_nprops = stub_nprops, .vpo_propinfo = stub_propinfo, .vpo_getprop = stub_getprop,  \
    .vpo_setprop = stub_setprop, .vpo_save = stub_save, .vpo_restore = stub_restore,        \
    .vpo_arp = stub_arp, .vpo_ndp = stub_ndp, .vpo_dhcp = stub_dhcp

#endif
