/*
 * FakeChannel: an in-memory KernelChannel with the semantics the design
 * gives ovnet.ko's dynamic mode, for the unit tests, the benchmark and
 * `varpd -K none`.
 *
 * Theory: a test plays the kernel. add_link() creates a device; submit()
 * is a frame missing the target cache: it becomes a request (the frame kept
 * for PKT) and the eventfd turns readable, as /dev/overlay would poll. The
 * daemon's answers are recorded per request (responded with a destination,
 * or dropped) and a RESPOND also fills the link's target cache, as the
 * kernel will. INJECTed and RESENT frames are kept for inspection.
 * wait_outcome() lets a test block until a request is answered.
 *
 * Locking: one mutex over everything; a condition variable for waiters. The
 * on_outcome hook (benchmark latency) runs after the mutex is released.
 */
#ifndef VARPD_CHANNEL_FAKE_H
#define VARPD_CHANNEL_FAKE_H

#include "channel.h"

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>

namespace varpd {

class FakeChannel final : public KernelChannel {
  public:
    struct Outcome {
        enum Kind { responded, dropped } kind;
        Dest dest;
    };
    struct Resent {
        uint32_t linkid;
        std::vector<uint8_t> frame;
        Dest dest;
    };
    struct LinkState {
        bool associated = false;
        Mode mode = Mode::point;
        Dest dest;
        bool degraded = false;
        std::string message;
        std::map<Mac, CacheEntry> cache;
        std::optional<uint32_t> vnetid;
    };

    FakeChannel();
    ~FakeChannel() override;
    FakeChannel(const FakeChannel&) = delete;
    FakeChannel& operator=(const FakeChannel&) = delete;

    /* The test's side: play the kernel. A link's vnet id is its link id unless
       given; nullopt: unset (GETPROP reads nothing, ENODATA). */
    void add_link(uint32_t linkid);
    void add_link(uint32_t linkid, std::optional<uint32_t> vnetid);
    uint64_t submit(uint32_t linkid, std::span<const uint8_t> frame);
    std::optional<Outcome> outcome(uint64_t reqid);
    std::optional<Outcome> wait_outcome(uint64_t reqid, std::chrono::milliseconds timeout);
    std::optional<LinkState> link(uint32_t linkid);
    std::vector<std::vector<uint8_t>> injected();
    std::vector<Resent> resent();
    size_t pending();
    size_t cache_removals();
    std::function<void(uint64_t)> on_outcome; /* set before use; any thread */
    /* `varpd -K none`: any link id exists once named (set before use). */
    bool auto_links = false;

    /* KernelChannel */
    std::string name() const override { return "fake"; }
    int fd() const override { return efd_; }
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

  private:
    struct Pending {
        LookupRequest req;
        std::vector<uint8_t> frame;
        bool handed_out = false;
    };
    Status finish(uint64_t reqid, Outcome o);
    LinkState* find(uint32_t linkid);

    int efd_ = -1;
    std::mutex mu_;
    std::condition_variable cv_;
    uint64_t next_reqid_ = 1;
    std::map<uint32_t, LinkState> links_;
    std::map<uint64_t, Pending> pending_;
    std::deque<uint64_t> queue_;
    std::map<uint64_t, Outcome> outcomes_;
    std::vector<std::vector<uint8_t>> injected_;
    std::vector<Resent> resent_;
    size_t cache_removals_ = 0;
};

} // namespace varpd

#endif
