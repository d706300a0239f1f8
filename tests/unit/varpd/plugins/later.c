/*
 * A non-blocking backend that answers later, from a thread of its own:
 * vpo_lookup returns at once and a new thread replies 100 ms later with
 * 203.0.113.<last octet of the MAC>. Tests the asynchronous contract of
 * vpo_lookup (any thread, any time, exactly once).
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>
#include <varpd/plugin.h>

#include "stub_ops.h"

struct pending {
    varpd_query_t *q;
    uint8_t last;
};

static void *answer(void *p) {
    struct pending *pd = p;
    struct timespec ts = {0, 100 * 1000 * 1000};
    varpd_dest_t d = {.vd_port = 4789};
    nanosleep(&ts, NULL);
    d.vd_ip[10] = d.vd_ip[11] = 0xff;
    d.vd_ip[12] = 203;
    d.vd_ip[14] = 113;
    d.vd_ip[15] = pd->last;
    varpd_reply_dest(pd->q, &d);
    free(pd);
    return NULL;
}

static void later_lookup(void *a, varpd_query_t *q, const varpd_lookup_t *w) {
    struct pending *pd = malloc(sizeof(*pd));
    pthread_t t;
    (void)a;
    if (pd == NULL) {
        varpd_reply_drop(q);
        return;
    }
    pd->q = q;
    pd->last = w->vl_dstmac[5];
    if (pthread_create(&t, NULL, answer, pd) != 0) {
        free(pd);
        varpd_reply_drop(q);
        return;
    }
    pthread_detach(t);
}

static const varpd_plugin_ops_t later_ops = {
    STUB_OPS_FIELDS,
    .vpo_version = VARPD_PLUGIN_ABI_VERSION,
    .vpo_flags = 0,
    .vpo_reserved = 0,
    .vpo_lookup = later_lookup,
};

int varpd_plugin_register(varpd_register_t *reg) {
    return varpd_register_plugin(reg, "later", VARPD_MODE_DYNAMIC, &later_ops);
}
