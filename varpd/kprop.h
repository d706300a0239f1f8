/*
 * One ovnet.ko device property by name (OVERLAY_IOC_GETPROP), shared by
 * varpd's DevOverlayChannel (the "vnetid" a writable backend keys its
 * mappings with) and overlayadm's Kernel (every property it shows).
 * Header-only: it needs nothing but <uapi/overlay.h> and an open
 * /dev/overlay descriptor. Returns 0, or the errno of the ioctl (ENOENT: no
 * such device or property; ENAMETOOLONG: a name the ABI cannot carry).
 */
#ifndef VARPD_KPROP_H
#define VARPD_KPROP_H

#include <uapi/overlay.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string>
#include <sys/ioctl.h>

namespace varpd {

inline int kernel_getprop(int fd, uint32_t linkid, const std::string& name, overlay_ioc_prop& p) {
    std::memset(&p, 0, sizeof(p));
    if (name.size() >= sizeof(p.oip_name))
        return ENAMETOOLONG;
    p.oip_linkid = linkid;
    std::memcpy(p.oip_name, name.c_str(), name.size() + 1);
    int rc;
    do
        rc = ioctl(fd, OVERLAY_IOC_GETPROP, &p);
    while (rc != 0 && errno == EINTR);
    return rc == 0 ? 0 : errno;
}

/* A uint property's value (8 bytes, host order); ENODATA unset, EPROTO another size. */
inline int kernel_getprop_uint(int fd, uint32_t linkid, const std::string& name, uint64_t& out) {
    overlay_ioc_prop p;
    int e = kernel_getprop(fd, linkid, name, p);
    if (e != 0)
        return e;
    if (p.oip_size == 0)
        return ENODATA;
    if (p.oip_size != sizeof(out))
        return EPROTO;
    std::memcpy(&out, p.oip_value, sizeof(out));
    return 0;
}

} // namespace varpd

#endif
