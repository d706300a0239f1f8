/* A plugin whose ops vector lacks vpo_ndp: varpd must refuse it by name. */
#include <errno.h>
#include <varpd/plugin.h>

#include "stub_ops.h"

static const varpd_plugin_ops_t missing_ops = {
    STUB_OPS_FIELDS,
    .vpo_version = VARPD_PLUGIN_ABI_VERSION,
    .vpo_flags = 0,
    .vpo_reserved = 0,
    .vpo_ndp = NULL,
};

int varpd_plugin_register(varpd_register_t *reg) {
    return varpd_register_plugin(reg, "missing", VARPD_MODE_DYNAMIC, &missing_ops);
}
