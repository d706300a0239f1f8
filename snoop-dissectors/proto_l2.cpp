// Link-layer dissectors: Ethernet II, 802.1Q/802.1ad tags, ARP, Linux
// cooked capture (SLL), raw IP, and transparent Ethernet bridging (the
// step into an encapsulated frame).
#include <pcap/dlt.h>

#include "proto.h"

namespace ov::snoop {

namespace {

const Name kEthertypes[] = {
    {0x0800, "IPv4"},  {0x0806, "ARP"},      {0x86dd, "IPv6"},   {0x8100, "802.1Q"},
    {0x88a8, "802.1ad"}, {0x6558, "TEB"},    {0x8035, "RARP"},   {0x88cc, "LLDP"},
    {0x8847, "MPLS"},  {0x88e5, "MACsec"},   {0x8863, "PPPoE-D"}, {0x8864, "PPPoE-S"},
};

/*
 * Ethernet II (IEEE 802.3 clause 3; RFC 894 for IP)
 *
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                Destination address (6 octets)                 |
 * +                               +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                               |                               |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+                               +
 * |                   Source address (6 octets)                   |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |      EtherType / Length       |  payload ...
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * A value below 0x0600 is an 802.3 length (LLC follows; not decoded).
 */
const Layer kEthLayer{"eth", "ETH", "Ethernet Header"};
const Field kEthSrc{"src", "Source", kBare};
const Field kEthDst{"dst", "Destination", kTo};
const Field kEthType{"type", "EtherType", 0};
const Field kEthLen{"length", "802.3 length", kSum};

// The EtherType/length word that ends an Ethernet header or a VLAN tag.
Next ethertype_next(Ctx& c, const Field& f) {
    uint16_t type = c.r.u16();
    if (!c.r.ok())
        return c.truncated();
    if (type < 0x0600) {
        c.out.u(kEthLen, type);
        return {};
    }
    c.out.en(f, type, kEthertypes, 4);
    return {Ns::Ethertype, type};
}

Next ethernet(Ctx& c) {
    c.layer(kEthLayer);
    Reader& r = c.r;
    const uint8_t* dst = r.bytes(6);
    const uint8_t* src = r.bytes(6);
    // Source first in the summary so it reads "src > dst"; both are checked.
    if (src)
        c.out.mac(kEthSrc, src);
    if (dst)
        c.out.mac(kEthDst, dst);
    return ethertype_next(c, kEthType);
}

/*
 * IEEE 802.1Q / 802.1ad tag (after the outer EtherType 0x8100 / 0x88a8)
 *
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | PCP |D|         VLAN ID       |       EtherType / Length      |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
const Layer kVlanLayer{"vlan", "VLAN", "802.1Q Tag"};
const Field kVlanPcp{"pcp", "Priority (PCP)", 0};
const Field kVlanDei{"dei", "Drop eligible (DEI)", 0};
const Field kVlanVid{"vid", "VLAN ID", kSum};
const Field kVlanType{"type", "EtherType", 0};

Next vlan(Ctx& c) {
    c.layer(kVlanLayer);
    Reader& r = c.r;
    uint16_t tci = r.u16();
    if (!r.ok())
        return c.truncated();
    c.out.u(kVlanPcp, tci >> 13);
    c.out.u(kVlanDei, (tci >> 12) & 1);
    c.out.u(kVlanVid, tci & 0x0fff);
    return ethertype_next(c, kVlanType);
}

/*
 * ARP (RFC 826)
 *
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |        Hardware type          |         Protocol type         |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |  HW addr len  | Proto addr len|           Operation           |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | Sender HW address (hlen) | Sender protocol address (plen)     |
 * | Target HW address (hlen) | Target protocol address (plen)     |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
const Name kArpOps[] = {{1, "request"}, {2, "reply"}, {3, "rarp-request"}, {4, "rarp-reply"}};
const Layer kArpLayer{"arp", "ARP", "ARP Header"};
const Field kArpHtype{"htype", "Hardware type", 0};
const Field kArpPtype{"ptype", "Protocol type", 0};
const Field kArpHlen{"hlen", "Hardware addr length", 0};
const Field kArpPlen{"plen", "Protocol addr length", 0};
const Field kArpOp{"op", "Operation", kBare};
const Field kArpSha{"sha", "Sender HW address", 0};
const Field kArpShaSum{"sha", "Sender HW address", kSum};
const Field kArpSpa{"spa", "Sender address", kBare};
const Field kArpTha{"tha", "Target HW address", 0};
const Field kArpTpa{"tpa", "Target address", kTo};

// One address: as a MAC or IPv4 address when the length says so, else hex.
void arp_addr(Ctx& c, const Field& f, const uint8_t* p, size_t n, bool hw) {
    if (hw && n == 6)
        c.out.mac(f, p);
    else if (!hw && n == 4)
        c.out.ip4(f, p);
    else
        c.out.bytes(f, p, n);
}

Next arp(Ctx& c) {
    c.layer(kArpLayer);
    Reader& r = c.r;
    uint16_t htype = r.u16();
    uint16_t ptype = r.u16();
    uint8_t hlen = r.u8();
    uint8_t plen = r.u8();
    uint16_t op = r.u16();
    if (!r.ok())
        return c.truncated();
    c.out.u(kArpHtype, htype);
    c.out.en(kArpPtype, ptype, kEthertypes, 4);
    c.out.u(kArpHlen, hlen);
    c.out.u(kArpPlen, plen);
    c.out.en(kArpOp, op, kArpOps);
    const uint8_t* sha = r.bytes(hlen);
    const uint8_t* spa = r.bytes(plen);
    const uint8_t* tha = r.bytes(hlen);
    const uint8_t* tpa = r.bytes(plen);
    if (sha)
        arp_addr(c, op == 2 ? kArpShaSum : kArpSha, sha, hlen, true);
    if (spa)
        arp_addr(c, kArpSpa, spa, plen, false);
    if (tha)
        arp_addr(c, kArpTha, tha, hlen, true);
    if (tpa)
        arp_addr(c, kArpTpa, tpa, plen, false);
    if (!r.ok())
        return c.truncated();
    return {};
}

/*
 * Linux cooked capture v1 (DLT_LINUX_SLL, "-d any")
 *
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |          Packet type          |         ARPHRD type           |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |     Link-layer addr length    |  Link-layer address (8 octets)|
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+                               +
 * |                                                               |
 * +                               +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                               |          Protocol type        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
const Name kSllTypes[] = {{0, "to-us"}, {1, "broadcast"}, {2, "multicast"},
                          {3, "other-host"}, {4, "outgoing"}};
const Layer kSllLayer{"sll", "SLL", "Linux Cooked Capture"};
const Field kSllPkttype{"pkttype", "Packet type", kBare};
const Field kSllHatype{"hatype", "ARPHRD type", 0};
const Field kSllAddr{"addr", "Link-layer address", 0};
const Field kSllProto{"proto", "Protocol", 0};

Next linux_sll(Ctx& c) {
    c.layer(kSllLayer);
    Reader& r = c.r;
    uint16_t pkttype = r.u16();
    uint16_t hatype = r.u16();
    uint16_t alen = r.u16();
    const uint8_t* addr = r.bytes(8);
    uint16_t proto = r.u16();
    if (!r.ok())
        return c.truncated();
    c.out.en(kSllPkttype, pkttype, kSllTypes);
    c.out.u(kSllHatype, hatype);
    if (alen == 6)
        c.out.mac(kSllAddr, addr);
    else
        c.out.bytes(kSllAddr, addr, alen < 8 ? alen : 8);
    c.out.en(kSllProto, proto, kEthertypes, 4);
    return {Ns::Ethertype, proto};
}

// Raw IP (DLT_RAW): no header of its own; the version nibble says which.
struct RawVersion {
    unsigned version;
    uint16_t ethertype;
};
const RawVersion kRawVersions[] = {{4, 0x0800}, {6, 0x86dd}};

Next raw_ip(Ctx& c) {
    if (c.r.left() == 0)
        return c.truncated();
    unsigned version = c.r.peek8() >> 4;
    for (const RawVersion& v : kRawVersions)
        if (v.version == version)
            return {Ns::Ethertype, v.ethertype};
    return c.malformed("raw IP packet of unknown version");
}

// EtherType 0x6558 (GRE transparent Ethernet bridging): a whole inner frame.
Next teb(Ctx& c) { return enter_inner_ethernet(c); }

} // namespace

const Names kEthertypeNames{kEthertypes};

const Dissector kEthernet{"eth", ethernet};
const Dissector kVlan{"vlan", vlan};
const Dissector kArp{"arp", arp};
const Dissector kLinuxSll{"sll", linux_sll};
const Dissector kRawIp{"raw", raw_ip};
const Dissector kTeb{"teb", teb};

} // namespace ov::snoop
