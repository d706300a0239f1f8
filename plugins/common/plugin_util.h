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

} // namespace varpd_plugin

#endif
