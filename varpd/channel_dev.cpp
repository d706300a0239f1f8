// DevOverlayChannel: see channel_dev.h.
#include "channel_dev.h"

#include "kprop.h"

#include <uapi/overlay.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <system_error>
#include <unistd.h>

namespace varpd {

namespace {

/* What an errno means from /dev/overlay, beyond strerror. */
std::string meaning(int e, bool request) {
    switch (e) {
    case EBUSY:
        return "another process is the lookup responder of /dev/overlay in this network "
               "namespace (only one may be)";
    case ENOENT:
        return request ? "no such pending request (already answered, or its device is gone)"
                       : "no overlay device with this link id in this network namespace";
    case EPERM:
        return "needs CAP_NET_ADMIN";
    case ENOTTY:
        return "not an ovnet.ko device, or an ovnet.ko without this ioctl";
    case ENETDOWN:
        return "the device is not up";
    case ENOTCONN:
        return "the device is not active";
    case EAFNOSUPPORT:
        return "the address's family is not the device's underlay's";
    case ENOSPC:
        return "the target cache is full and every entry is pending";
    case ESTALE:
        return "the device's cache was replaced during the walk";
    default:
        return {};
    }
}

Status fail(int e, const std::string& what, bool request = false) {
    std::string m = meaning(e, request);
    return Status::fail(e, what + ": " + std::strerror(e) + (m.empty() ? "" : " (" + m + ")"));
}

std::string on_link(const char* op, uint32_t linkid) {
    return std::string(op) + " on link " + std::to_string(linkid);
}

std::string on_req(const char* op, uint64_t reqid) {
    return std::string(op) + " of request " + std::to_string(reqid);
}

/* ioctl, retried on EINTR; errno is kept for the caller. */
template <class T> int xioctl(int fd, unsigned long req, T* arg) {
    int rc;
    do
        rc = ioctl(fd, req, arg);
    while (rc != 0 && errno == EINTR);
    return rc;
}

CacheEntry entry_of(const overlay_targ_cache_entry& c) {
    CacheEntry e;
    std::memcpy(e.mac.data(), c.otc_mac, 6);
    e.drop = (c.otc_flags & OVERLAY_TARG_CACHE_DROP) != 0;
    std::memcpy(e.dest.ip.data(), c.otc_ip, 16);
    e.dest.port = c.otc_port;
    return e;
}

} // namespace

struct DevOverlayChannel::Slot {
    overlay_targ_resp rec{};
    bool done = false;
    int err = 0; /* positive errno of the record, or of the whole ioctl */
};

DevOverlayChannel::DevOverlayChannel(const std::string& path, bool claim) : path_(path) {
    fd_ = open(path.c_str(), O_RDWR | O_CLOEXEC);
    if (fd_ < 0)
        throw std::system_error(errno, std::generic_category(), "open " + path);
    if (!claim)
        return;
    /* DROP claims the role, then finds no request 0 (ids are never 0). */
    overlay_ioc_targ_pkt p{};
    if (xioctl(fd_, OVERLAY_IOC_DROP, &p) == 0 || errno == ENOENT)
        return;
    int e = errno;
    close(fd_);
    std::string m = meaning(e, false);
    throw std::system_error(e, std::generic_category(),
                            "claiming the lookup responder role on " + path +
                                (m.empty() ? "" : ": " + m));
}

DevOverlayChannel::~DevOverlayChannel() { close(fd_); }

Status DevOverlayChannel::lookup_batch(std::vector<LookupRequest>& out, size_t max) {
    size_t n = std::min<size_t>(max, OVERLAY_TARG_BATCH_MAX);
    if (n == 0)
        return {};
    std::vector<overlay_targ_req> buf(n);
    overlay_ioc_lookup lk{};
    lk.olk_count = static_cast<uint32_t>(n);
    lk.olk_reqs = reinterpret_cast<uintptr_t>(buf.data());
    if (xioctl(fd_, OVERLAY_IOC_LOOKUP, &lk) != 0)
        return errno == EAGAIN ? Status{} : fail(errno, "LOOKUP on " + path_);
    for (uint32_t i = 0; i < lk.olk_count && i < n; i++) {
        const overlay_targ_req& k = buf[i];
        LookupRequest r;
        r.reqid = k.otr_reqid;
        r.linkid = k.otr_linkid;
        std::memcpy(r.dst.data(), k.otr_dst, 6);
        std::memcpy(r.src.data(), k.otr_src, 6);
        r.ethertype = k.otr_ethertype;
        r.vlan = k.otr_vlan;
        r.pktsize = k.otr_pktsize;
        out.push_back(r);
    }
    return {};
}

/* Send every queued record, in batches; mu_ held on entry and exit. */
void DevOverlayChannel::flush_locked(std::unique_lock<std::mutex>& lk) {
    std::vector<overlay_targ_resp> recs;
    while (!queued_.empty()) {
        size_t n = std::min<size_t>(queued_.size(), OVERLAY_TARG_BATCH_MAX);
        std::vector<Slot*> mine(queued_.begin(), queued_.begin() + static_cast<long>(n));
        queued_.erase(queued_.begin(), queued_.begin() + static_cast<long>(n));
        lk.unlock();
        recs.clear();
        for (Slot* s : mine)
            recs.push_back(s->rec);
        overlay_ioc_respond rp{};
        rp.orp_count = static_cast<uint32_t>(n);
        rp.orp_resps = reinterpret_cast<uintptr_t>(recs.data());
        int all = xioctl(fd_, OVERLAY_IOC_RESPOND, &rp) == 0 ? 0 : errno;
        respond_calls_++;
        respond_records_ += n;
        lk.lock();
        for (size_t i = 0; i < n; i++) {
            mine[i]->err = all ? all : -recs[i].ors_error;
            mine[i]->done = true;
        }
        cv_.notify_all();
    }
}

Status DevOverlayChannel::respond(uint64_t reqid, const Dest& dest) {
    Slot slot;
    slot.rec.ors_reqid = reqid;
    slot.rec.ors_port = dest.port;
    std::memcpy(slot.rec.ors_ip, dest.ip.data(), 16);
    std::unique_lock lk(mu_);
    queued_.push_back(&slot);
    while (!slot.done) {
        if (!flushing_) {
            flushing_ = true;
            flush_locked(lk);
            flushing_ = false;
            cv_.notify_all();
        } else {
            cv_.wait(lk, [&] { return slot.done || !flushing_; });
        }
    }
    lk.unlock();
    return slot.err ? fail(slot.err, on_req("RESPOND", reqid), true) : Status{};
}

Status DevOverlayChannel::drop(uint64_t reqid) {
    overlay_ioc_targ_pkt p{};
    p.opk_reqid = reqid;
    if (xioctl(fd_, OVERLAY_IOC_DROP, &p) != 0)
        return fail(errno, on_req("DROP", reqid), true);
    return {};
}

Status DevOverlayChannel::pkt(uint64_t reqid, std::vector<uint8_t>& frame) {
    /* Most proxied frames are small: try 2 KiB, then the frame's own size. */
    frame.resize(2048);
    for (int attempt = 0; attempt < 2; attempt++) {
        overlay_ioc_targ_pkt p{};
        p.opk_reqid = reqid;
        p.opk_size = static_cast<uint32_t>(frame.size());
        p.opk_buf = reinterpret_cast<uintptr_t>(frame.data());
        if (xioctl(fd_, OVERLAY_IOC_PKT, &p) != 0) {
            frame.clear();
            return fail(errno, on_req("PKT", reqid), true);
        }
        if (!(p.opk_flags & OVERLAY_TARG_PKT_TRUNC)) {
            frame.resize(p.opk_size);
            return {};
        }
        frame.resize(std::min<size_t>(p.opk_size, OVERLAY_TARG_FRAME_MAX));
    }
    return Status::fail(EMSGSIZE, on_req("PKT", reqid) + ": the frame is larger than " +
                                      std::to_string(OVERLAY_TARG_FRAME_MAX) + " bytes");
}

namespace {
Status frame_ioctl(int fd, unsigned long req, const char* op, uint32_t linkid,
                   std::span<const uint8_t> frame, const Dest* dest) {
    if (frame.size() < 14 || frame.size() > OVERLAY_TARG_FRAME_MAX)
        return Status::fail(EINVAL, on_link(op, linkid) + ": a frame of " +
                                        std::to_string(frame.size()) +
                                        " bytes (14 to 65535 allowed)");
    overlay_ioc_frame f{};
    f.oif_linkid = linkid;
    f.oif_size = static_cast<uint32_t>(frame.size());
    f.oif_buf = reinterpret_cast<uintptr_t>(frame.data());
    if (dest) {
        f.oif_port = dest->port;
        std::memcpy(f.oif_ip, dest->ip.data(), 16);
    }
    if (xioctl(fd, req, &f) != 0)
        return fail(errno, on_link(op, linkid));
    return {};
}
} // namespace

Status DevOverlayChannel::inject(uint32_t linkid, std::span<const uint8_t> frame) {
    return frame_ioctl(fd_, OVERLAY_IOC_INJECT, "INJECT", linkid, frame, nullptr);
}

Status DevOverlayChannel::resend(uint32_t linkid, std::span<const uint8_t> frame,
                                 const Dest& dest) {
    return frame_ioctl(fd_, OVERLAY_IOC_RESEND, "RESEND", linkid, frame, &dest);
}

namespace {
/* EINVAL from a cache ioctl most often means the device is not dynamic. */
Status cache_fail(int e, const char* op, uint32_t linkid) {
    Status s = fail(e, on_link(op, linkid));
    if (e == EINVAL)
        s.why += " (the device is not in dynamic mode, or the entry is malformed)";
    return s;
}
} // namespace

Status DevOverlayChannel::cache_get(uint32_t linkid, const Mac& mac, CacheEntry& out) {
    overlay_ioc_cache c{};
    c.oc_linkid = linkid;
    std::memcpy(c.oc_entry.otc_mac, mac.data(), 6);
    if (xioctl(fd_, OVERLAY_IOC_CACHE_GET, &c) != 0)
        return cache_fail(errno, "CACHE_GET", linkid);
    out = entry_of(c.oc_entry);
    return {};
}

Status DevOverlayChannel::cache_set(uint32_t linkid, const CacheEntry& e) {
    overlay_ioc_cache c{};
    c.oc_linkid = linkid;
    std::memcpy(c.oc_entry.otc_mac, e.mac.data(), 6);
    if (e.drop) {
        c.oc_entry.otc_flags = OVERLAY_TARG_CACHE_DROP;
    } else {
        c.oc_entry.otc_port = e.dest.port;
        std::memcpy(c.oc_entry.otc_ip, e.dest.ip.data(), 16);
    }
    if (xioctl(fd_, OVERLAY_IOC_CACHE_SET, &c) != 0)
        return cache_fail(errno, "CACHE_SET", linkid);
    return {};
}

Status DevOverlayChannel::cache_remove(uint32_t linkid, const Mac& mac) {
    overlay_ioc_cache c{};
    c.oc_linkid = linkid;
    std::memcpy(c.oc_entry.otc_mac, mac.data(), 6);
    if (xioctl(fd_, OVERLAY_IOC_CACHE_REMOVE, &c) != 0)
        return cache_fail(errno, "CACHE_REMOVE", linkid);
    return {};
}

Status DevOverlayChannel::cache_flush(uint32_t linkid) {
    overlay_ioc_link l{};
    l.oil_linkid = linkid;
    if (xioctl(fd_, OVERLAY_IOC_CACHE_FLUSH, &l) != 0)
        return cache_fail(errno, "CACHE_FLUSH", linkid);
    return {};
}

Status DevOverlayChannel::cache_iter(uint32_t linkid, std::vector<CacheEntry>& out) {
    std::vector<overlay_targ_cache_entry> buf(256);
    /* A cache replaced mid-walk (ESTALE) is walked again from the start. */
    for (int walk = 0; walk < 3; walk++) {
        std::vector<CacheEntry> got;
        overlay_ioc_cache_iter it{};
        it.oci_linkid = linkid;
        int err = 0;
        do {
            it.oci_count = static_cast<uint32_t>(buf.size());
            it.oci_ents = reinterpret_cast<uintptr_t>(buf.data());
            if (xioctl(fd_, OVERLAY_IOC_CACHE_ITER, &it) != 0) {
                err = errno;
                break;
            }
            for (uint32_t i = 0; i < it.oci_count && i < buf.size(); i++)
                got.push_back(entry_of(buf[i]));
        } while (!it.oci_done);
        if (err == ESTALE)
            continue;
        if (err)
            return cache_fail(err, "CACHE_ITER", linkid);
        out.insert(out.end(), got.begin(), got.end());
        return {};
    }
    return fail(ESTALE, on_link("CACHE_ITER", linkid) + " (three walks in a row)");
}

Status DevOverlayChannel::associate(uint32_t linkid, Mode mode, const Dest& dest) {
    overlay_ioc_associate a{};
    a.oia_linkid = linkid;
    if (mode == Mode::point) {
        a.oia_mode = OVERLAY_DEST_POINT;
        a.oia_port = dest.port;
        std::memcpy(a.oia_ip, dest.ip.data(), sizeof(a.oia_ip));
    } else {
        a.oia_mode = OVERLAY_DEST_DYNAMIC; /* address and port stay zero */
    }
    if (xioctl(fd_, OVERLAY_IOC_ASSOCIATE, &a) != 0)
        return fail(errno, on_link(mode == Mode::point ? "ASSOCIATE point" : "ASSOCIATE dynamic",
                                   linkid));
    return {};
}

Status DevOverlayChannel::disassociate(uint32_t linkid) {
    overlay_ioc_link l{};
    l.oil_linkid = linkid;
    if (xioctl(fd_, OVERLAY_IOC_DISASSOCIATE, &l) != 0)
        return fail(errno, on_link("DISASSOCIATE", linkid));
    return {};
}

Status DevOverlayChannel::degrade(uint32_t linkid, const std::string& msg) {
    overlay_ioc_degrade d{};
    d.odg_linkid = linkid;
    std::string m = msg.empty() ? std::string("degraded") : msg; /* the kernel wants text */
    std::memcpy(d.odg_message, m.data(), std::min(m.size(), sizeof(d.odg_message) - 1));
    if (xioctl(fd_, OVERLAY_IOC_DEGRADE, &d) != 0)
        return fail(errno, on_link("DEGRADE", linkid));
    return {};
}

Status DevOverlayChannel::restore(uint32_t linkid) {
    overlay_ioc_link l{};
    l.oil_linkid = linkid;
    if (xioctl(fd_, OVERLAY_IOC_RESTORE, &l) != 0)
        return fail(errno, on_link("RESTORE", linkid));
    return {};
}

Status DevOverlayChannel::list_links(std::vector<Link>& out) {
    std::vector<overlay_targ_link> buf(OVERLAY_TARG_BATCH_MAX);
    overlay_ioc_list ls{};
    ls.ols_count = static_cast<uint32_t>(buf.size());
    ls.ols_links = reinterpret_cast<uintptr_t>(buf.data());
    if (xioctl(fd_, OVERLAY_IOC_LIST, &ls) != 0)
        return fail(errno, "LIST on " + path_);
    for (uint32_t i = 0; i < ls.ols_count && i < buf.size(); i++)
        out.push_back(Link{buf[i].otl_linkid, buf[i].otl_dest_mode != 0});
    return {};
}

Status DevOverlayChannel::link_vnetid(uint32_t linkid, uint32_t& vnetid) {
    uint64_t v = 0;
    int e = kernel_getprop_uint(fd_, linkid, "vnetid", v);
    if (e == EPROTO)
        return Status::fail(e, on_link("GETPROP vnetid", linkid) + ": not an 8-byte number");
    if (e == ENODATA)
        return Status::fail(e, on_link("GETPROP vnetid", linkid) + ": the device's vnetid is unset");
    if (e != 0)
        return fail(e, on_link("GETPROP vnetid", linkid));
    if (v > UINT32_MAX)
        return Status::fail(ERANGE, on_link("GETPROP vnetid", linkid) + ": " +
                                        std::to_string(v) + " does not fit 32 bits");
    vnetid = static_cast<uint32_t>(v);
    return {};
}

} // namespace varpd
