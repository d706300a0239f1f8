// The table of bindings and the frame driver (theory in dissect.h).
#include "dissect.h"

#include <pcap/dlt.h>

#include <iterator>

#include "proto.h"

namespace ov::snoop {

namespace {

struct Binding {
    Ns ns;
    uint32_t key;
    const Dissector* d;
};

// What decodes what. VXLAN ports are added from the constructor argument.
const Binding kBindings[] = {
    {Ns::Link, DLT_EN10MB, &kEthernet},
    {Ns::Link, DLT_RAW, &kRawIp},
    {Ns::Link, DLT_LINUX_SLL, &kLinuxSll},
    {Ns::Ethertype, 0x0800, &kIpv4},
    {Ns::Ethertype, 0x86dd, &kIpv6},
    {Ns::Ethertype, 0x0806, &kArp},
    {Ns::Ethertype, 0x8100, &kVlan},
    {Ns::Ethertype, 0x88a8, &kVlan},
    {Ns::Ethertype, 0x6558, &kTeb},
    {Ns::IpProto, 1, &kIcmp},
    {Ns::IpProto, 4, &kIpv4},
    {Ns::IpProto, 6, &kTcp},
    {Ns::IpProto, 17, &kUdp},
    {Ns::IpProto, 41, &kIpv6},
    {Ns::IpProto, 47, &kGre},
    {Ns::IpProto, 58, &kIcmp6},
    {Ns::Ip6Ext, 0, &kIp6Hbh},
    {Ns::Ip6Ext, 43, &kIp6Routing},
    {Ns::Ip6Ext, 44, &kIp6Fragment},
    {Ns::Ip6Ext, 60, &kIp6DstOpts},
    {Ns::UdpPort, 67, &kDhcp},
    {Ns::UdpPort, 68, &kDhcp},
};

} // namespace

Table::Table(std::span<const uint16_t> vxlan_ports) {
    by_ns_[size_t(Ns::Link)].resize(1024);
    by_ns_[size_t(Ns::Ethertype)].resize(65536);
    by_ns_[size_t(Ns::IpProto)].resize(256);
    by_ns_[size_t(Ns::Ip6Ext)].resize(256);
    by_ns_[size_t(Ns::UdpPort)].resize(65536);
    for (size_t i = 0; i < std::size(by_ns_); i++)
        bound_[i].resize((by_ns_[i].size() + 63) / 64);
    for (const Binding& b : kBindings)
        bind(b.ns, b.key, *b.d);
    for (uint16_t p : vxlan_ports)
        bind(Ns::UdpPort, p, kVxlan);
}

bool Table::bind(Ns ns, uint32_t key, const Dissector& d) {
    std::vector<const Dissector*>& v = by_ns_[size_t(ns)];
    if (key >= v.size())
        return false;
    v[key] = &d;
    bound_[size_t(ns)][key / 64] |= uint64_t(1) << (key % 64);
    return true;
}

const Dissector* Table::find(Ns ns, uint32_t key) const {
    const std::vector<uint64_t>& bits = bound_[size_t(ns)];
    if (key / 64 >= bits.size() || !(bits[key / 64] & (uint64_t(1) << (key % 64))))
        return nullptr;
    return by_ns_[size_t(ns)][key];
}

const Dissector* Table::resolve(const Next& n) const {
    if (n.ns == Ns::Stop)
        return nullptr;
    const Dissector* d = find(n.ns, n.key);
    if (!d && n.alt != UINT32_MAX)
        d = find(n.ns, n.alt);
    if (!d && n.ns == Ns::Ip6Ext)
        d = find(Ns::IpProto, n.key);
    return d;
}

Next enter_inner_ethernet(Ctx& c) {
    if (c.depth + 1 >= kMaxDepth)
        return c.malformed("encapsulation nested too deep");
    c.depth++;
    return {Ns::Link, DLT_EN10MB};
}

FrameResult dissect_frame(const Table& t, Out& out, int dlt, const PacketInfo& info,
                          const uint8_t* data, size_t caplen) {
    out.begin_packet(info);
    Ctx c(Reader(data, caplen), out, info.len > caplen);
    Next n{Ns::Link, uint32_t(dlt)};
    int layers = 0;
    for (const Dissector* d = t.resolve(n); d; d = t.resolve(n)) {
        if (++layers > kMaxLayers) {
            c.malformed("too many headers");
            break;
        }
        n = d->fn(c);
    }
    if (layers == 0)
        c.malformed("unsupported link type");
    out.end_packet(c.status);
    return {c.status, c.has_vnetid, c.vnetid};
}

} // namespace ov::snoop
