// Fuzz the etcd backend's watch-message handling (Etcd::on_watch_msg and
// apply_events), as the watch thread drives it: the input is the stream's
// messages, one JSON object a line, after a first byte of flags (is the
// member trusted with progress notifications, is the stream created yet,
// is a resync due). The instance has no network: its provider records the
// shootdowns, and its caches hold MACs in every state, so events take the
// inject, invalidate, loading and address paths. Any bytes must be handled
// without a crash or an exception (one would stop the watch), and:
//   - the revision varpd shows is the one the watch applied;
//   - a message without events moves it only when it is a creation, or a
//     progress notification from a trusted member;
//   - events never move it back.
#include "etcd_instance.h"

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string_view>

namespace {

using etcd_plugin::json;

struct Stub {
    varpd_provider_t prov;
    size_t injects = 0, invalidates = 0, flushes = 0;
};
Stub* of(varpd_provider_t* p) {
    return reinterpret_cast<Stub*>(p);
}

const varpd_provider_ops_t stub_ops = {
    .vpv_version = VARPD_PLUGIN_ABI_VERSION,
    .vpv_pad = 0,
    .vpv_cache_inject =
        [](varpd_provider_t* p, const uint8_t*, const varpd_dest_t*) {
            of(p)->injects++;
            return 0;
        },
    .vpv_cache_invalidate =
        [](varpd_provider_t* p, const uint8_t*) {
            of(p)->invalidates++;
            return 0;
        },
    .vpv_degrade = [](varpd_provider_t*, const char*) { return 0; },
    .vpv_restore = [](varpd_provider_t*) { return 0; },
    .vpv_log = [](varpd_provider_t*, int, const char*) {},
    .vpv_linkid = [](varpd_provider_t*) -> uint32_t { return 1; },
    .vpv_vnetid = [](varpd_provider_t*) -> uint32_t { return 7; },
    .vpv_cache_flush =
        [](varpd_provider_t* p) {
            of(p)->flushes++;
            return 0;
        },
};

files::Mac mac(uint8_t last) {
    return {0x02, 0, 0, 0, 0, last};
}

/* MACs 02:00:00:00:00:01..05 present, absent, bad, loading, present (at
   a later revision); address 10.0.0.1 -> :01 and fd00::1 absent. */
void seed(etcd_plugin::Etcd& e) {
    using etcd_plugin::St;
    const St states[] = {St::present, St::absent, St::bad, St::loading, St::present};
    for (uint8_t i = 0; i < 5; i++) {
        etcd_plugin::MacEnt ent;
        ent.st = states[i];
        ent.rev = i == 4 ? 150 : 90;
        ent.v.mac = mac(uint8_t(i + 1));
        ent.v.ip = etcd_layout::mapped4(std::array<uint8_t, 4>{192, 0, 2, uint8_t(i + 1)}.data());
        ent.v.port = 4789;
        e.macs.emplace(files::mac_key(ent.v.mac.data()), ent);
    }
    etcd_plugin::AddrEnt a;
    a.st = St::present;
    a.v = mac(1);
    a.rev = 90;
    e.addrs.emplace(etcd_layout::mapped4(std::array<uint8_t, 4>{10, 0, 0, 1}.data()), a);
    files::Ip6 v6{};
    v6[0] = 0xfd;
    v6[15] = 1;
    a.st = St::absent;
    e.addrs.emplace(v6, a);
    e.applied = 100;
    e.revision = 100;
    e.floor = 50;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 1)
        return 0;
    Stub stub{{&stub_ops}};
    etcd_plugin::Etcd e;
    e.prov = &stub.prov;
    e.progress_trusted = data[0] & 1;
    bool created = data[0] & 2, resync = data[0] & 4;
    etcd_plugin::Conn cn;
    cn.lay.prefix = "/overlay";
    cn.lay.vnet = 7;
    seed(e);
    std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
    while (!rest.empty()) {
        size_t nl = rest.find('\n');
        std::string_view line = rest.substr(0, nl);
        rest.remove_prefix(nl == std::string_view::npos ? rest.size() : nl + 1);
        json m = json::parse(line.begin(), line.end(), nullptr, false);
        if (m.is_discarded())
            continue;
        const json& r = etcd::member(m, "result");
        bool events = !etcd::array(r, "events").empty();
        bool creation = etcd::flag(r, "created");
        int64_t before;
        {
            std::lock_guard g(e.mu);
            before = e.applied;
        }
        int64_t compacted = 0;
        std::string why;
        bool go = e.on_watch_msg(cn, m, resync, created, compacted, why);
        {
            std::lock_guard g(e.mu);
            if (e.revision.load() != e.applied)
                std::abort(); /* varpd would show another revision than the resume point */
            if (!creation && !events && !e.progress_trusted && e.applied != before)
                std::abort(); /* an untrusted progress notification moved the resume point */
            if (events && e.applied < before)
                std::abort();
        }
        if (!go) { /* the stream ends; the loop opens the next one */
            created = false;
            resync = resync || compacted > 0;
        }
    }
    return 0;
}
