/*
 * DevOverlayChannel: the KernelChannel over the real /dev/overlay.
 *
 * What overlay.ko offers today is point mode: ASSOCIATE with OVERLAY_DEST_
 * POINT (and DISASSOCIATE) work for real. The dynamic mode's lookup channel
 * and target cache ioctls are reserved in include/uapi/overlay.h but not yet
 * numbered, so every such method returns ENOTSUP with a reason that says so;
 * nothing here is written against an invented ioctl number. fd() is -1
 * until the kernel has requests to poll for.
 *
 * Locking: ioctls on one descriptor need none of ours.
 */
#ifndef VARPD_CHANNEL_DEV_H
#define VARPD_CHANNEL_DEV_H

#include "channel.h"

namespace varpd {

class DevOverlayChannel final : public KernelChannel {
  public:
    /* Opens path (normally /dev/overlay); throws std::system_error. */
    explicit DevOverlayChannel(const std::string& path);
    ~DevOverlayChannel() override;
    DevOverlayChannel(const DevOverlayChannel&) = delete;
    DevOverlayChannel& operator=(const DevOverlayChannel&) = delete;

    std::string name() const override { return path_; }
    int fd() const override { return -1; }
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

  private:
    std::string path_;
    int fd_ = -1;
};

} // namespace varpd

#endif
