/*
 * DevOverlayChannel: the KernelChannel over the real /dev/overlay.
 *
 * Theory: every method is one of ovnet.ko's ioctls (include/uapi/
 * overlay.h): point mode's ASSOCIATE/DISASSOCIATE, and dynamic mode's
 * lookup channel (LOOKUP, RESPOND, DROP, PKT, INJECT, RESEND, DEGRADE,
 * RESTORE, LIST) and target cache (CACHE_GET/SET/REMOVE/FLUSH/ITER), and
 * GETPROP for a device's vnet id (kprop.h, shared with overlayadm).
 *
 * The responder. /dev/overlay has one responder per network namespace: the
 * file that first issues LOOKUP/RESPOND/DROP/PKT; the same ioctls on any
 * other file fail with EBUSY until it closes, and the kernel re-queues the
 * requests it had in flight. The constructor claims the role at once (a
 * DROP of request 0, which claims and then finds no such request), so a
 * second responder in the namespace fails at start with a clear reason
 * instead of logging EBUSY on every poll wake-up, and the namespace's
 * dynamic devices stop reporting "no responder" as soon as varpd is up.
 *
 * Batching. fd() is the /dev/overlay descriptor: it polls readable while
 * requests are queued, and lookup_batch() takes up to `max` of them in one
 * LOOKUP (non-blocking; none queued is an empty batch). respond() is
 * per-request in the interface but group-committed here: a caller queues
 * its record; if no RESPOND is in progress it issues one carrying every
 * record queued so far (up to OVERLAY_TARG_BATCH_MAX), else it waits for
 * the one in progress to carry it. Concurrent answers (plugin threads, the
 * worker pool) therefore share ioctls; each caller still gets its own
 * record's result (ors_error).
 *
 * Errors: a positive errno and a reason naming the ioctl, the link or
 * request, and what the errno means for that ioctl (EBUSY: another
 * responder; ENOENT: no such device / request; EINVAL on a cache ioctl:
 * the device is not dynamic; ...).
 *
 * Locking: ioctls on one descriptor need none of ours, except the RESPOND
 * queue (one mutex and a condition variable).
 *
 * Not supported: LIST beyond OVERLAY_TARG_BATCH_MAX devices (the first
 * 1024 are reported).
 */
#ifndef VARPD_CHANNEL_DEV_H
#define VARPD_CHANNEL_DEV_H

#include "channel.h"

#include <atomic>
#include <condition_variable>
#include <mutex>

namespace varpd {

class DevOverlayChannel final : public KernelChannel {
  public:
    /*
     * Opens path (normally /dev/overlay) and, when claim is set, claims the
     * responder role of the caller's network namespace. Throws
     * std::system_error naming the problem (open failed; EBUSY: another
     * process is the responder; ENOTTY: not an overlay device).
     */
    explicit DevOverlayChannel(const std::string& path, bool claim = true);
    ~DevOverlayChannel() override;
    DevOverlayChannel(const DevOverlayChannel&) = delete;
    DevOverlayChannel& operator=(const DevOverlayChannel&) = delete;

    std::string name() const override { return path_; }
    int fd() const override { return fd_; }
    Status lookup_batch(std::vector<LookupRequest>& out, size_t max) override;
    Status respond(uint64_t reqid, const Dest& dest) override;
    Status drop(uint64_t reqid) override;
    Status pkt(uint64_t reqid, std::vector<uint8_t>& frame) override;
    Status inject(uint32_t linkid, std::span<const uint8_t> frame) override;
    Status resend(uint32_t linkid, std::span<const uint8_t> frame, const Dest& dest) override;
    Status cache_get(uint32_t linkid, const Mac& mac, CacheEntry& out) override;
    Status cache_set(uint32_t linkid, const CacheEntry& e) override;
    Status cache_remove(uint32_t linkid, const Mac& mac) override;
    Status cache_flush(uint32_t linkid) override;
    Status cache_iter(uint32_t linkid, std::vector<CacheEntry>& out) override;
    Status associate(uint32_t linkid, Mode mode, const Dest& dest) override;
    Status disassociate(uint32_t linkid) override;
    Status degrade(uint32_t linkid, const std::string& msg) override;
    Status restore(uint32_t linkid) override;
    Status list_links(std::vector<Link>& out) override;
    Status link_vnetid(uint32_t linkid, uint32_t& vnetid) override;

    /* RESPOND ioctls issued and records they carried (batching evidence). */
    uint64_t respond_calls() const { return respond_calls_.load(); }
    uint64_t respond_records() const { return respond_records_.load(); }

  private:
    struct Slot; /* one queued answer and its result */
    void flush_locked(std::unique_lock<std::mutex>& lk);

    std::string path_;
    int fd_ = -1;
    std::mutex mu_;
    std::condition_variable cv_;
    std::vector<Slot*> queued_;
    bool flushing_ = false;
    std::atomic<uint64_t> respond_calls_{0}, respond_records_{0};
};

} // namespace varpd

#endif
