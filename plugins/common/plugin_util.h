/*
 * Helpers shared by the C++ plugins in plugins/: describing a property for
 * vpo_propinfo, and the one export macro. Header-only; nothing here is part
 * of the ABI (plugins built elsewhere need only <varpd/plugin.h>).
 */
#ifndef VARPD_PLUGIN_UTIL_H
#define VARPD_PLUGIN_UTIL_H

#include <varpd/plugin.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>

/* The one symbol a plugin exports (visibility is hidden by default). */
#define VARPD_PLUGIN_EXPORT extern "C" __attribute__((visibility("default")))

namespace varpd_plugin {

inline void describe(varpd_prop_info_t* info, const char* name, uint32_t type, uint32_t perm) {
    std::memset(info, 0, sizeof(*info));
    std::strncpy(info->vpi_name, name, VARPD_PROP_NAMELEN - 1);
    info->vpi_type = type;
    info->vpi_perm = perm;
}

inline void describe_uint(varpd_prop_info_t* info, const char* name, uint32_t perm, uint64_t min,
                          uint64_t max, const uint64_t* def) {
    describe(info, name, VARPD_PROP_T_UINT, perm);
    info->vpi_min = min;
    info->vpi_max = max;
    if (def) {
        std::memcpy(info->vpi_default, def, 8);
        info->vpi_defsize = 8;
    }
}

/* Copy a value out for vpo_getprop: -EOVERFLOW when the buffer is short. */
inline int give(const void* v, uint32_t len, void* buf, uint32_t* sizep) {
    if (*sizep < len) {
        *sizep = len;
        return -EOVERFLOW;
    }
    if (len)
        std::memcpy(buf, v, len);
    *sizep = len;
    return 0;
}

/* Write one sentence into a map operation's varpd_err_t; returns rc. */
inline int fail(varpd_err_t* err, int rc, const char* why) {
    if (err)
        std::snprintf(err->ve_msg, sizeof(err->ve_msg), "%s", why);
    return rc;
}

/*
 * What is wrong with a mapping a writable backend was handed, whatever the
 * backend (nullptr: nothing): unknown flag bits, nonzero padding, a
 * multicast MAC, an unspecified underlay address (:: or 0.0.0.0), an
 * IPv4-mapped "ndp" address. Each backend says whose mapping it is.
 */
inline const char* mapping_problem(const varpd_mapping_t& m) {
    static const uint8_t zero[16] = {};
    static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    const uint8_t* ip = m.vm_dest.vd_ip;
    if (m.vm_flags & ~VARPD_MAP_F_ALL)
        return "unknown flag bits";
    if (m.vm_pad || m.vm_pad2 || m.vm_dest.vd_pad)
        return "padding fields must be zero";
    if (m.vm_mac[0] & 1)
        return "a multicast MAC, which no host owns";
    if (std::memcmp(ip, zero, 16) == 0 ||
        (std::memcmp(ip, mapped, 12) == 0 && std::memcmp(ip + 12, zero, 4) == 0))
        return "the unspecified address is not an underlay destination";
    if ((m.vm_flags & VARPD_MAP_F_NDP) && std::memcmp(m.vm_ndp, mapped, 12) == 0)
        return "an IPv4-mapped \"ndp\" address (NDP is IPv6; ARP takes IPv4)";
    return nullptr;
}

/*
 * The map operations of a backend that takes no mapping changes: each
 * fails with -ENOTSUP and Why (where its mappings come from instead).
 * Use VARPD_PLUGIN_NO_MAPPINGS(NoMappings<why>) in the ops vector.
 */
template <const char* const& Why> struct NoMappings {
    static int begin(void*, void**, varpd_err_t* e) { return fail(e, -ENOTSUP, Why); }
    static int put(void*, void*, const varpd_mapping_t*, size_t, varpd_err_t* e) {
        return fail(e, -ENOTSUP, Why);
    }
    static int remove(void*, void*, const uint8_t*, varpd_err_t* e) {
        return fail(e, -ENOTSUP, Why);
    }
    static int commit(void*, void*, varpd_err_t* e) { return fail(e, -ENOTSUP, Why); }
    static void abort(void*, void*) {}
    static int get(void*, const uint8_t*, varpd_mapping_t*, varpd_err_t* e) {
        return fail(e, -ENOTSUP, Why);
    }
    static int walk(void*, const uint8_t*, size_t, varpd_map_walk_fn*, void*, varpd_err_t* e) {
        return fail(e, -ENOTSUP, Why);
    }
};

} // namespace varpd_plugin

#define VARPD_PLUGIN_NO_MAPPINGS(T)                                                             \
    .vpo_map_begin = T::begin, .vpo_map_put = T::put, .vpo_map_remove = T::remove,               \
    .vpo_map_commit = T::commit, .vpo_map_abort = T::abort, .vpo_map_get = T::get,               \
    .vpo_map_walk = T::walk

#endif
