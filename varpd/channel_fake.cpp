// FakeChannel: see channel_fake.h.
#include "channel_fake.h"

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <sys/eventfd.h>
#include <unistd.h>

namespace varpd {

FakeChannel::FakeChannel() {
    efd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (efd_ < 0)
        throw std::runtime_error(std::string("eventfd: ") + std::strerror(errno));
}

FakeChannel::~FakeChannel() { close(efd_); }

FakeChannel::LinkState* FakeChannel::find(uint32_t linkid) {
    auto it = links_.find(linkid);
    if (it == links_.end() && auto_links) {
        LinkState& l = links_[linkid];
        l.vnetid = linkid;
        return &l;
    }
    return it == links_.end() ? nullptr : &it->second;
}

void FakeChannel::add_link(uint32_t linkid) { add_link(linkid, linkid); }

void FakeChannel::add_link(uint32_t linkid, std::optional<uint32_t> vnetid) {
    std::lock_guard g(mu_);
    links_.try_emplace(linkid).first->second.vnetid = vnetid;
}

uint64_t FakeChannel::submit(uint32_t linkid, std::span<const uint8_t> frame) {
    Pending p;
    p.req.linkid = linkid;
    p.req.pktsize = static_cast<uint32_t>(frame.size());
    if (frame.size() >= 14) {
        std::memcpy(p.req.dst.data(), frame.data(), 6);
        std::memcpy(p.req.src.data(), frame.data() + 6, 6);
        p.req.ethertype = static_cast<uint16_t>(frame[12] << 8 | frame[13]);
    }
    p.frame.assign(frame.begin(), frame.end());
    uint64_t id;
    {
        std::lock_guard g(mu_);
        id = next_reqid_++;
        p.req.reqid = id;
        pending_.emplace(id, std::move(p));
        queue_.push_back(id);
    }
    uint64_t one = 1;
    ssize_t n = write(efd_, &one, sizeof(one));
    (void)n; /* only fails when the counter would overflow: still readable */
    return id;
}

Status FakeChannel::lookup_batch(std::vector<LookupRequest>& out, size_t max) {
    std::lock_guard g(mu_);
    while (!queue_.empty() && out.size() < max) {
        auto it = pending_.find(queue_.front());
        queue_.pop_front();
        if (it == pending_.end())
            continue;
        it->second.handed_out = true;
        out.push_back(it->second.req);
    }
    if (queue_.empty()) {
        uint64_t v;
        ssize_t n = read(efd_, &v, sizeof(v)); /* drain: poll no longer readable */
        (void)n;
    }
    return {};
}

Status FakeChannel::finish(uint64_t reqid, Outcome o) {
    {
        std::lock_guard g(mu_);
        auto it = pending_.find(reqid);
        if (it == pending_.end())
            return Status::fail(ENOENT, "no pending request " + std::to_string(reqid));
        if (o.kind == Outcome::responded) {
            if (LinkState* l = find(it->second.req.linkid)) {
                CacheEntry e;
                e.mac = it->second.req.dst;
                e.dest = o.dest;
                l->cache[e.mac] = e;
            }
        }
        pending_.erase(it);
        outcomes_[reqid] = o;
    }
    cv_.notify_all();
    if (on_outcome)
        on_outcome(reqid);
    return {};
}

Status FakeChannel::respond(uint64_t reqid, const Dest& dest) {
    return finish(reqid, Outcome{Outcome::responded, dest});
}

Status FakeChannel::drop(uint64_t reqid) { return finish(reqid, Outcome{Outcome::dropped, {}}); }

Status FakeChannel::pkt(uint64_t reqid, std::vector<uint8_t>& frame) {
    std::lock_guard g(mu_);
    auto it = pending_.find(reqid);
    if (it == pending_.end())
        return Status::fail(ENOENT, "no pending request " + std::to_string(reqid));
    frame = it->second.frame;
    return {};
}

Status FakeChannel::inject(uint32_t linkid, std::span<const uint8_t> frame) {
    std::lock_guard g(mu_);
    if (!find(linkid))
        return Status::fail(ENOENT, "no link " + std::to_string(linkid));
    injected_.emplace_back(frame.begin(), frame.end());
    return {};
}

Status FakeChannel::resend(uint32_t linkid, std::span<const uint8_t> frame, const Dest& dest) {
    std::lock_guard g(mu_);
    if (!find(linkid))
        return Status::fail(ENOENT, "no link " + std::to_string(linkid));
    resent_.push_back(Resent{linkid, {frame.begin(), frame.end()}, dest});
    return {};
}

Status FakeChannel::cache_get(uint32_t linkid, const Mac& mac, CacheEntry& out) {
    std::lock_guard g(mu_);
    LinkState* l = find(linkid);
    if (!l)
        return Status::fail(ENOENT, "no link " + std::to_string(linkid));
    auto it = l->cache.find(mac);
    if (it == l->cache.end())
        return Status::fail(ENOENT, "no cache entry for that MAC");
    out = it->second;
    return {};
}

Status FakeChannel::cache_set(uint32_t linkid, const CacheEntry& e) {
    std::lock_guard g(mu_);
    LinkState* l = find(linkid);
    if (!l)
        return Status::fail(ENOENT, "no link " + std::to_string(linkid));
    l->cache[e.mac] = e;
    return {};
}

Status FakeChannel::cache_remove(uint32_t linkid, const Mac& mac) {
    std::lock_guard g(mu_);
    LinkState* l = find(linkid);
    if (!l)
        return Status::fail(ENOENT, "no link " + std::to_string(linkid));
    cache_removals_++;
    if (l->cache.erase(mac) == 0)
        return Status::fail(ENOENT, "no cache entry for that MAC");
    return {};
}

Status FakeChannel::cache_flush(uint32_t linkid) {
    std::lock_guard g(mu_);
    LinkState* l = find(linkid);
    if (!l)
        return Status::fail(ENOENT, "no link " + std::to_string(linkid));
    l->cache.clear();
    return {};
}

Status FakeChannel::cache_iter(uint32_t linkid, std::vector<CacheEntry>& out) {
    std::lock_guard g(mu_);
    LinkState* l = find(linkid);
    if (!l)
        return Status::fail(ENOENT, "no link " + std::to_string(linkid));
    for (auto& [mac, e] : l->cache)
        out.push_back(e);
    return {};
}

Status FakeChannel::associate(uint32_t linkid, Mode mode, const Dest& dest) {
    std::lock_guard g(mu_);
    LinkState* l = find(linkid);
    if (!l)
        return Status::fail(ENOENT, "no link " + std::to_string(linkid));
    l->associated = true;
    l->mode = mode;
    l->dest = dest;
    return {};
}

Status FakeChannel::disassociate(uint32_t linkid) {
    std::lock_guard g(mu_);
    LinkState* l = find(linkid);
    if (!l)
        return Status::fail(ENOENT, "no link " + std::to_string(linkid));
    l->associated = false;
    l->cache.clear();
    return {};
}

Status FakeChannel::degrade(uint32_t linkid, const std::string& msg) {
    std::lock_guard g(mu_);
    LinkState* l = find(linkid);
    if (!l)
        return Status::fail(ENOENT, "no link " + std::to_string(linkid));
    l->degraded = true;
    l->message = msg;
    return {};
}

Status FakeChannel::restore(uint32_t linkid) {
    std::lock_guard g(mu_);
    LinkState* l = find(linkid);
    if (!l)
        return Status::fail(ENOENT, "no link " + std::to_string(linkid));
    l->degraded = false;
    l->message.clear();
    return {};
}

Status FakeChannel::list_links(std::vector<Link>& out) {
    std::lock_guard g(mu_);
    for (auto& [id, l] : links_)
        out.push_back(Link{id, l.associated});
    return {};
}

Status FakeChannel::link_vnetid(uint32_t linkid, uint32_t& vnetid) {
    std::lock_guard g(mu_);
    LinkState* l = find(linkid);
    if (!l)
        return Status::fail(ENOENT, "GETPROP vnetid on link " + std::to_string(linkid) +
                                        ": no overlay device with this link id");
    if (!l->vnetid)
        return Status::fail(ENODATA, "GETPROP vnetid on link " + std::to_string(linkid) +
                                         ": the device's vnetid is unset");
    vnetid = *l->vnetid;
    return {};
}

std::optional<FakeChannel::Outcome> FakeChannel::outcome(uint64_t reqid) {
    std::lock_guard g(mu_);
    auto it = outcomes_.find(reqid);
    if (it == outcomes_.end())
        return std::nullopt;
    return it->second;
}

std::optional<FakeChannel::Outcome> FakeChannel::wait_outcome(uint64_t reqid,
                                                              std::chrono::milliseconds timeout) {
    std::unique_lock g(mu_);
    cv_.wait_for(g, timeout, [&] { return outcomes_.count(reqid) != 0; });
    auto it = outcomes_.find(reqid);
    if (it == outcomes_.end())
        return std::nullopt;
    return it->second;
}

std::optional<FakeChannel::LinkState> FakeChannel::link(uint32_t linkid) {
    std::lock_guard g(mu_);
    LinkState* l = find(linkid);
    if (!l)
        return std::nullopt;
    return *l;
}

std::vector<std::vector<uint8_t>> FakeChannel::injected() {
    std::lock_guard g(mu_);
    return injected_;
}

std::vector<FakeChannel::Resent> FakeChannel::resent() {
    std::lock_guard g(mu_);
    return resent_;
}

size_t FakeChannel::pending() {
    std::lock_guard g(mu_);
    return pending_.size();
}

size_t FakeChannel::cache_removals() {
    std::lock_guard g(mu_);
    return cache_removals_;
}

} // namespace varpd
