/*
 * KernelChannel: everything varpd asks of ovnet.ko, as an interface.
 *
 * Theory: varpd talks to the kernel through /dev/overlay: point mode's
 * ASSOCIATE and the dynamic mode's lookup channel (LOOKUP, RESPOND, DROP,
 * PKT, INJECT, RESEND, DEGRADE, RESTORE, LIST and the target cache ioctls).
 * The daemon is written against this interface so that its lookup path can
 * be tested without the kernel; two implementations exist:
 *   - DevOverlayChannel (channel_dev.cpp): the real /dev/overlay, every
 *     method one ioctl (RESPOND group-committed across threads).
 *   - FakeChannel (channel_fake.h): an in-memory double with the semantics
 *     the design gives the kernel (a request queue with a pollable fd, a
 *     target cache per link, degraded state), used by the unit tests and the
 *     benchmark, and by `varpd -K none`.
 *
 * Locking: every method may be called from any thread at any time (plugins
 * reply from their own threads); implementations serialise internally.
 * Methods return a Status: errno 0 or a positive errno and a reason.
 */
#ifndef VARPD_CHANNEL_H
#define VARPD_CHANNEL_H

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace varpd {

struct Status {
    int err = 0; /* positive errno, 0 = success */
    std::string why;
    bool ok() const { return err == 0; }
    static Status fail(int e, std::string w) { return Status{e, std::move(w)}; }
};

using Mac = std::array<uint8_t, 6>;

struct Dest {
    std::array<uint8_t, 16> ip{}; /* IPv4-mapped for IPv4 */
    uint16_t port = 0;
    bool operator==(const Dest&) const = default;
};

enum class Mode : uint32_t { point = 1, dynamic = 2 };

/* One queued miss, as LOOKUP would return it. */
struct LookupRequest {
    uint64_t reqid = 0;
    uint32_t linkid = 0;
    Mac dst{};
    Mac src{};
    uint16_t ethertype = 0;
    uint16_t vlan = 0;
    uint32_t pktsize = 0; /* bytes of the pending frame (PKT copies it) */
};

struct CacheEntry {
    Mac mac{};
    bool drop = false; /* a negative entry: frames to this MAC are dropped */
    Dest dest;
};

class KernelChannel {
  public:
    virtual ~KernelChannel() = default;
    virtual std::string name() const = 0;

    /* A descriptor that polls readable while lookups are queued; -1: none. */
    virtual int fd() const = 0;
    /* Dequeue up to max requests (none queued: ok, empty). */
    virtual Status lookup_batch(std::vector<LookupRequest>& out, size_t max) = 0;
    virtual Status respond(uint64_t reqid, const Dest& dest) = 0;
    virtual Status drop(uint64_t reqid) = 0;
    virtual Status pkt(uint64_t reqid, std::vector<uint8_t>& frame) = 0;
    virtual Status inject(uint32_t linkid, std::span<const uint8_t> frame) = 0;
    virtual Status resend(uint32_t linkid, std::span<const uint8_t> frame, const Dest& dest) = 0;

    virtual Status cache_get(uint32_t linkid, const Mac& mac, CacheEntry& out) = 0;
    virtual Status cache_set(uint32_t linkid, const CacheEntry& e) = 0;
    virtual Status cache_remove(uint32_t linkid, const Mac& mac) = 0;
    virtual Status cache_flush(uint32_t linkid) = 0;
    virtual Status cache_iter(uint32_t linkid, std::vector<CacheEntry>& out) = 0;

    /* point: dest is the one destination; dynamic: dest is ignored. */
    virtual Status associate(uint32_t linkid, Mode mode, const Dest& dest) = 0;
    virtual Status disassociate(uint32_t linkid) = 0;
    virtual Status degrade(uint32_t linkid, const std::string& msg) = 0;
    virtual Status restore(uint32_t linkid) = 0;
    /* The links that exist, and whether each is associated. */
    struct Link {
        uint32_t linkid;
        bool associated;
    };
    virtual Status list_links(std::vector<Link>& out) = 0;
    /* The device's vnet id (its "vnetid" property): what mappings are keyed by. */
    virtual Status link_vnetid(uint32_t linkid, uint32_t& vnetid) = 0;
};

} // namespace varpd

#endif
