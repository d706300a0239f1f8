// DevOverlayChannel: see channel_dev.h.
#include "channel_dev.h"

#include <uapi/overlay.h>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <system_error>
#include <unistd.h>

namespace varpd {

namespace {

Status missing(const char* what) {
    return Status::fail(ENOTSUP, std::string(what) +
                                     ": overlay.ko has no dynamic-mode lookup channel yet "
                                     "(LOOKUP/RESPOND/DROP/PKT/INJECT/RESEND/DEGRADE/RESTORE/LIST "
                                     "and the target cache ioctls are reserved, not implemented)");
}

Status from_errno(const char* what, uint32_t linkid) {
    int e = errno;
    return Status::fail(e, std::string(what) + " on link " + std::to_string(linkid) + ": " +
                               std::strerror(e));
}

} // namespace

DevOverlayChannel::DevOverlayChannel(const std::string& path) : path_(path) {
    fd_ = open(path.c_str(), O_RDWR | O_CLOEXEC);
    if (fd_ < 0)
        throw std::system_error(errno, std::generic_category(), "open " + path);
}

DevOverlayChannel::~DevOverlayChannel() { close(fd_); }

Status DevOverlayChannel::lookup_batch(std::vector<LookupRequest>&, size_t) {
    return missing("LOOKUP");
}
Status DevOverlayChannel::respond(uint64_t, const Dest&) { return missing("RESPOND"); }
Status DevOverlayChannel::drop(uint64_t) { return missing("DROP"); }
Status DevOverlayChannel::pkt(uint64_t, std::vector<uint8_t>&) { return missing("PKT"); }
Status DevOverlayChannel::inject(uint32_t, std::span<const uint8_t>) { return missing("INJECT"); }
Status DevOverlayChannel::resend(uint32_t, std::span<const uint8_t>, const Dest&) {
    return missing("RESEND");
}
Status DevOverlayChannel::cache_get(uint32_t, const Mac&, CacheEntry&) {
    return missing("CACHE_GET");
}
Status DevOverlayChannel::cache_set(uint32_t, const CacheEntry&) { return missing("CACHE_SET"); }
Status DevOverlayChannel::cache_remove(uint32_t, const Mac&) { return missing("CACHE_REMOVE"); }
Status DevOverlayChannel::cache_flush(uint32_t) { return missing("CACHE_FLUSH"); }
Status DevOverlayChannel::cache_iter(uint32_t, std::vector<CacheEntry>&) {
    return missing("CACHE_ITER");
}
Status DevOverlayChannel::degrade(uint32_t, const std::string&) { return missing("DEGRADE"); }
Status DevOverlayChannel::restore(uint32_t) { return missing("RESTORE"); }
Status DevOverlayChannel::list_links(std::vector<Link>&) { return missing("LIST"); }

Status DevOverlayChannel::associate(uint32_t linkid, Mode mode, const Dest& dest) {
    if (mode != Mode::point)
        return missing("ASSOCIATE dynamic");
    struct overlay_ioc_associate a;
    std::memset(&a, 0, sizeof(a));
    a.oia_linkid = linkid;
    a.oia_mode = OVERLAY_DEST_POINT;
    a.oia_port = dest.port;
    std::memcpy(a.oia_ip, dest.ip.data(), sizeof(a.oia_ip));
    if (ioctl(fd_, OVERLAY_IOC_ASSOCIATE, &a) != 0)
        return from_errno("ASSOCIATE", linkid);
    return {};
}

Status DevOverlayChannel::disassociate(uint32_t linkid) {
    struct overlay_ioc_link l;
    std::memset(&l, 0, sizeof(l));
    l.oil_linkid = linkid;
    if (ioctl(fd_, OVERLAY_IOC_DISASSOCIATE, &l) != 0)
        return from_errno("DISASSOCIATE", linkid);
    return {};
}

} // namespace varpd
