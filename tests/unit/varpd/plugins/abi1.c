/*
 * A plugin built for ABI version 1: its ops vector ends after vpo_dhcp
 * (VARPD_PLUGIN_OPS_V1_SIZE bytes), as a plugin compiled against the old
 * header has. varpd must load it, run its lookups (every MAC lives at
 * 192.0.2.200:4789) and never read past the vector's end: the vector is
 * placed at the very end of a page whose next page is PROT_NONE, so a read
 * of any version 2 field faults.
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <varpd/plugin.h>

#include "stub_ops.h"

static void abi1_lookup(void *a, varpd_query_t *q, const varpd_lookup_t *w) {
    varpd_dest_t d = {.vd_port = 4789};
    (void)a; (void)w;
    d.vd_ip[10] = d.vd_ip[11] = 0xff;
    d.vd_ip[12] = 192;
    d.vd_ip[14] = 2;
    d.vd_ip[15] = 200;
    varpd_reply_dest(q, &d);
}

static const varpd_plugin_ops_t abi1_template = {
    STUB_OPS_FIELDS_V1,
    .vpo_version = 1,
    .vpo_flags = 0,
    .vpo_reserved = 0,
    .vpo_lookup = abi1_lookup,
};

int varpd_plugin_register(varpd_register_t *reg) {
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    uint8_t *p = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    uint8_t *v1;
    if (p == MAP_FAILED)
        return -ENOMEM;
    v1 = p + page - VARPD_PLUGIN_OPS_V1_SIZE;
    memcpy(v1, &abi1_template, VARPD_PLUGIN_OPS_V1_SIZE);
    /* The guard page, and the vector read-only as a static one would be. */
    if (mprotect(p + page, page, PROT_NONE) != 0 || mprotect(p, page, PROT_READ) != 0)
        return -errno;
    /* The mapping stays while the plugin is loaded (it is never unmapped). */
    return varpd_register_plugin(reg, "abi1", VARPD_MODE_DYNAMIC, (const varpd_plugin_ops_t *)v1);
}
