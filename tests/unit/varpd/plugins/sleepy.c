/*
 * A blocking backend that sleeps 500 ms in every lookup, then answers
 * 198.51.100.1: varpd must run it on the worker pool, never on the loop.
 */
#include <errno.h>
#include <time.h>
#include <varpd/plugin.h>

#include "stub_ops.h"

static void sleepy_lookup(void *a, varpd_query_t *q, const varpd_lookup_t *w) {
    struct timespec ts = {0, 500 * 1000 * 1000};
    varpd_dest_t d = {.vd_port = 4789};
    (void)a; (void)w;
    nanosleep(&ts, NULL);
    d.vd_ip[10] = d.vd_ip[11] = 0xff;
    d.vd_ip[12] = 198;
    d.vd_ip[13] = 51;
    d.vd_ip[14] = 100;
    d.vd_ip[15] = 1;
    varpd_reply_dest(q, &d);
}

static const varpd_plugin_ops_t sleepy_ops = {
    STUB_OPS_FIELDS,
    .vpo_version = VARPD_PLUGIN_ABI_VERSION,
    .vpo_flags = VARPD_PLUGIN_F_BLOCKING,
    .vpo_reserved = 0,
    .vpo_lookup = sleepy_lookup,
};

int varpd_plugin_register(varpd_register_t *reg) {
    return varpd_register_plugin(reg, "sleepy", VARPD_MODE_DYNAMIC, &sleepy_ops);
}
