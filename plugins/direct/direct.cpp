/*
 * direct - varpd's point-mode backend: every frame of the overlay goes to
 * one underlay destination, direct/dest_ip and direct/dest_port
 * (varpd-direct(7)).
 *
 * Theory: the simplest backend, and the model for a point-mode one. It
 * keeps two properties and answers vpo_default; varpd ASSOCIATEs the
 * kernel device with that destination after start and after each change.
 * A point-mode device never asks per-MAC questions, so the lookup, ARP,
 * NDP and DHCP operations answer "drop" (varpd does not call them).
 *
 * Properties: direct/dest_ip (ip, required), direct/dest_port (uint,
 * 0-65535, default 0 = the encapsulation's own port, e.g. 4789 for VXLAN).
 * Saved state: 16 bytes of address, 2 bytes of port (little endian), 1 byte
 * of flags (bit 0: the address is set).
 *
 * Locking: every operation but the (unused) lookups runs on varpd's loop,
 * one at a time, so the instance needs none.
 */
#include "plugin_util.h"

#include <cerrno>
#include <cstring>
#include <new>

namespace {

constexpr const char* prop_ip = "direct/dest_ip";
constexpr const char* prop_port = "direct/dest_port";

struct Direct {
    varpd_provider_t* prov;
    bool have_ip = false;
    uint8_t ip[16] = {};
    uint16_t port = 0;
};

Direct* self(void* arg) { return static_cast<Direct*>(arg); }

int d_create(varpd_provider_t* prov, varpd_mode_t mode, void** argp) {
    if (mode != VARPD_MODE_POINT)
        return -ENOTSUP;
    Direct* d = new (std::nothrow) Direct;
    if (!d)
        return -ENOMEM;
    d->prov = prov;
    *argp = d;
    return 0;
}

int d_start(void* arg) {
    if (!self(arg)->have_ip) {
        varpd_log(self(arg)->prov, VARPD_LOG_ERR, "direct/dest_ip is required and unset");
        return -EINVAL;
    }
    return 0;
}

void d_stop(void*) {}

void d_destroy(void* arg) { delete self(arg); }

int d_default(void* arg, varpd_dest_t* dest) {
    Direct* d = self(arg);
    if (!d->have_ip)
        return -EINVAL;
    std::memset(dest, 0, sizeof(*dest));
    std::memcpy(dest->vd_ip, d->ip, 16);
    dest->vd_port = d->port;
    return 0;
}

void d_lookup(void*, varpd_query_t* q, const varpd_lookup_t*) { varpd_reply_drop(q); }

int d_nprops(void*, uint32_t* n) {
    *n = 2;
    return 0;
}

int d_propinfo(void*, uint32_t id, varpd_prop_info_t* info) {
    static const uint64_t zero = 0;
    switch (id) {
    case 0:
        varpd_plugin::describe(info, prop_ip, VARPD_PROP_T_IP,
                               VARPD_PROP_PERM_READ | VARPD_PROP_PERM_WRITE |
                                   VARPD_PROP_PERM_REQUIRED);
        return 0;
    case 1:
        varpd_plugin::describe_uint(info, prop_port, VARPD_PROP_PERM_READ | VARPD_PROP_PERM_WRITE,
                                    0, 65535, &zero);
        return 0;
    default:
        return -ENOENT;
    }
}

int d_getprop(void* arg, const char* name, void* buf, uint32_t* sizep) {
    Direct* d = self(arg);
    if (std::strcmp(name, prop_ip) == 0)
        return varpd_plugin::give(d->ip, d->have_ip ? 16 : 0, buf, sizep);
    if (std::strcmp(name, prop_port) == 0) {
        uint64_t p = d->port;
        return varpd_plugin::give(&p, 8, buf, sizep);
    }
    return -ENOENT;
}

int d_setprop(void* arg, const char* name, const void* buf, uint32_t size) {
    Direct* d = self(arg);
    if (std::strcmp(name, prop_ip) == 0) {
        if (size != 16)
            return -EINVAL;
        const uint8_t* ip = static_cast<const uint8_t*>(buf);
        static const uint8_t any[16] = {};
        static const uint8_t mapped_any[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 0, 0};
        if (std::memcmp(ip, any, 16) == 0 || std::memcmp(ip, mapped_any, 16) == 0 || ip[0] == 0xff ||
            (ip[10] == 0xff && ip[11] == 0xff && ip[12] >= 224))
            return -EINVAL; /* unspecified or multicast: not a destination */
        std::memcpy(d->ip, ip, 16);
        d->have_ip = true;
        return 0;
    }
    if (std::strcmp(name, prop_port) == 0) {
        uint64_t p;
        if (size != 8)
            return -EINVAL;
        std::memcpy(&p, buf, 8);
        if (p > 65535)
            return -ERANGE;
        d->port = static_cast<uint16_t>(p);
        return 0;
    }
    return -ENOENT;
}

constexpr size_t saved_len = 19;

int d_save(void* arg, void* buf, size_t* lenp) {
    Direct* d = self(arg);
    if (*lenp < saved_len) {
        *lenp = saved_len;
        return -ENOSPC;
    }
    uint8_t* p = static_cast<uint8_t*>(buf);
    std::memcpy(p, d->ip, 16);
    p[16] = static_cast<uint8_t>(d->port);
    p[17] = static_cast<uint8_t>(d->port >> 8);
    p[18] = d->have_ip ? 1 : 0;
    *lenp = saved_len;
    return 0;
}

int d_restore(varpd_provider_t* prov, varpd_mode_t mode, const void* buf, size_t len,
              void** argp) {
    if (len != saved_len)
        return -EINVAL;
    const uint8_t* p = static_cast<const uint8_t*>(buf);
    if (p[18] & ~1u)
        return -EINVAL;
    int rc = d_create(prov, mode, argp);
    if (rc != 0)
        return rc;
    Direct* d = self(*argp);
    std::memcpy(d->ip, p, 16);
    d->port = static_cast<uint16_t>(p[16] | p[17] << 8);
    d->have_ip = p[18] & 1;
    return 0;
}

void d_arp(void*, varpd_query_t* q, const uint8_t*) { varpd_reply_drop(q); }
void d_ndp(void*, varpd_query_t* q, const uint8_t*) { varpd_reply_drop(q); }
void d_dhcp(void*, varpd_query_t* q, const varpd_lookup_t*) { varpd_reply_drop(q); }

constexpr const char* no_mappings = "direct: a point-mode backend has one destination (property direct/dest_ip), no mappings";
using NoMaps = varpd_plugin::NoMappings<no_mappings>;

const varpd_plugin_ops_t direct_ops = {
    .vpo_version = VARPD_PLUGIN_ABI_VERSION,
    .vpo_flags = 0,
    .vpo_reserved = 0,
    .vpo_create = d_create,
    .vpo_start = d_start,
    .vpo_stop = d_stop,
    .vpo_destroy = d_destroy,
    .vpo_default = d_default,
    .vpo_lookup = d_lookup,
    .vpo_nprops = d_nprops,
    .vpo_propinfo = d_propinfo,
    .vpo_getprop = d_getprop,
    .vpo_setprop = d_setprop,
    .vpo_save = d_save,
    .vpo_restore = d_restore,
    .vpo_arp = d_arp,
    .vpo_ndp = d_ndp,
    .vpo_dhcp = d_dhcp,
    VARPD_PLUGIN_NO_MAPPINGS(NoMaps),
};

} // namespace

VARPD_PLUGIN_EXPORT int varpd_plugin_register(varpd_register_t* reg) {
    return varpd_register_plugin(reg, "direct", VARPD_MODE_POINT, &direct_ops);
}
