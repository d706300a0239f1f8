/*
 * A backend that degrades its overlay on request: setting the property
 * degrader/message to a text calls varpd_degrade() with it, setting it to
 * "" calls varpd_restore(). Tests the degrade path of the plugin ABI.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <varpd/plugin.h>

#include "stub_ops.h"

static int dg_create(varpd_provider_t *p, varpd_mode_t m, void **argp) {
    (void)m;
    *argp = p; /* the provider handle is all this backend keeps */
    return 0;
}

static int dg_nprops(void *a, uint32_t *n) { (void)a; *n = 1; return 0; }

static int dg_propinfo(void *a, uint32_t id, varpd_prop_info_t *pi) {
    (void)a;
    if (id != 0)
        return -ENOENT;
    memset(pi, 0, sizeof(*pi));
    strcpy(pi->vpi_name, "degrader/message");
    pi->vpi_type = VARPD_PROP_T_STRING;
    pi->vpi_perm = VARPD_PROP_PERM_WRITE;
    return 0;
}

static int dg_setprop(void *a, const char *n, const void *b, uint32_t s) {
    const char *msg = b;
    if (strcmp(n, "degrader/message") != 0)
        return -ENOENT;
    if (s == 0 || msg[s - 1] != '\0')
        return -EINVAL;
    return msg[0] ? varpd_degrade(a, msg) : varpd_restore(a);
}

static const varpd_plugin_ops_t degrader_ops = {
    STUB_OPS_FIELDS,
    .vpo_version = VARPD_PLUGIN_ABI_VERSION,
    .vpo_flags = 0,
    .vpo_reserved = 0,
    .vpo_create = dg_create,
    .vpo_nprops = dg_nprops,
    .vpo_propinfo = dg_propinfo,
    .vpo_setprop = dg_setprop,
};

int varpd_plugin_register(varpd_register_t *reg) {
    return varpd_register_plugin(reg, "degrader", VARPD_MODE_DYNAMIC, &degrader_ops);
}
