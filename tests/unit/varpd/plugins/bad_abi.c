/* A plugin built for another ABI version: varpd must refuse it by name. */
#include <errno.h>
#include <varpd/plugin.h>

#include "stub_ops.h"

static const varpd_plugin_ops_t bad_ops = {
    STUB_OPS_FIELDS,
    .vpo_version = 99,
    .vpo_flags = 0,
    .vpo_reserved = 0,
};

int varpd_plugin_register(varpd_register_t *reg) {
    return varpd_register_plugin(reg, "badabi", VARPD_MODE_DYNAMIC, &bad_ops);
}
