// Network-layer dissectors: IPv4 (with options and fragments), IPv6 and its
// extension headers (hop-by-hop, destination options, routing, fragment).
#include "proto.h"

namespace ov::snoop {

namespace {

const Name kIpProtos[] = {
    {0, "HOPOPT"}, {1, "ICMP"},  {2, "IGMP"},    {4, "IPIP"},     {6, "TCP"},
    {17, "UDP"},   {41, "IPv6"}, {43, "IPv6-Route"}, {44, "IPv6-Frag"}, {47, "GRE"},
    {50, "ESP"},   {51, "AH"},   {58, "ICMPv6"}, {59, "IPv6-NoNxt"}, {60, "IPv6-Opts"},
    {89, "OSPF"},  {112, "VRRP"}, {132, "SCTP"},
};

/*
 * IPv4 (RFC 791)
 *
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |Version|  IHL  |    DSCP   |ECN|          Total Length         |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |         Identification        |Flags|     Fragment Offset     |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |  Time to Live |    Protocol   |         Header Checksum       |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                       Source Address                          |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                    Destination Address                        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                    Options (IHL > 5)          |    Padding    |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * Flags: bit 0 reserved, DF, MF. Offset in 8-octet units. Options are
 * type(1) [length(1) data(length-2)], except EOL (0) and NOP (1).
 */
const Layer kIpv4Layer{"ipv4", "IPv4", "IPv4 Header"};
const Field kIpVer{"version", "Version", 0};
const Field kIpIhl{"ihl", "Header length (bytes)", 0};
const Field kIpDscp{"dscp", "DSCP", 0};
const Field kIpEcn{"ecn", "ECN", 0};
const Field kIpLen{"total_length", "Total length", 0};
const Field kIpId{"id", "Identification", 0};
const Field kIpIdSum{"id", "Identification", kSum};
const Field kIpFlags{"flags", "Flags", 0};
const Field kIpFlagsSum{"flags", "Flags", kSum};
const Field kIpFrag{"frag_offset", "Fragment offset (bytes)", 0};
const Field kIpFragSum{"frag_offset", "Fragment offset (bytes)", kSum};
const Field kIpTtl{"ttl", "Time to live", 0};
const Field kIpProto{"proto", "Protocol", 0};
const Field kIpSum{"checksum", "Header checksum", 0};
const Field kIpSrc{"src", "Source address", kBare};
const Field kIpDst{"dst", "Destination address", kTo};
const Field kIpOpts{"options", "Options", kSum};
const Field kIpNote{"note", "Note", kBare};

const Name kIpOptNames[] = {
    {0, "eol"},   {1, "nop"},  {7, "rr"},    {68, "ts"},  {82, "traceroute"},
    {130, "sec"}, {131, "lsrr"}, {136, "sid"}, {137, "ssrr"}, {148, "ra"},
};

// Source and destination addresses of n bytes each, shown as far as they
// were captured; false when either is missing.
bool addresses(Ctx& c, size_t n) {
    const uint8_t* src = c.r.bytes(n);
    const uint8_t* dst = c.r.bytes(n);
    void (Out::*show)(const Field&, const uint8_t*) = n == 4 ? &Out::ip4 : &Out::ip6;
    if (src)
        (c.out.*show)(kIpSrc, src);
    if (dst)
        (c.out.*show)(kIpDst, dst);
    return c.r.ok();
}

// Walk IPv4 options; false when an option's length is impossible.
bool ipv4_options(Ctx& c, Reader opts) {
    Scratch s;
    while (opts.left()) {
        uint8_t type = opts.u8();
        s.name_or(name_of(kIpOptNames, type), "opt", type);
        if (type == 0)
            break;
        if (type == 1)
            continue;
        uint8_t len = opts.u8();
        if (!opts.ok() || len < 2 || !opts.skip(len - 2u)) {
            c.out.str(kIpOpts, s.view());
            return false;
        }
    }
    c.out.str(kIpOpts, s.view());
    return true;
}

Next ipv4(Ctx& c) {
    c.layer(kIpv4Layer);
    Reader& r = c.r;
    uint8_t vihl = r.u8();
    uint8_t tos = r.u8();
    uint16_t total = r.u16();
    uint16_t id = r.u16();
    uint16_t frag = r.u16();
    uint8_t ttl = r.u8();
    uint8_t proto = r.u8();
    uint16_t sum = r.u16();
    // Show what was captured: the fixed fields even when the addresses
    // were cut off.
    bool fixed = r.ok();
    bool addrs = addresses(c, 4);
    if (!fixed)
        return c.truncated();
    unsigned ihl = (vihl & 15u) * 4;
    uint16_t offset = uint16_t((frag & 0x1fff) * 8);
    bool fragment = (frag & 0x2000) || offset;
    c.out.u(kIpVer, vihl >> 4);
    c.out.u(kIpIhl, ihl);
    c.out.u(kIpDscp, tos >> 2);
    c.out.u(kIpEcn, tos & 3);
    c.out.u(kIpLen, total);
    c.out.u(fragment ? kIpIdSum : kIpId, id);
    const char* flags = (frag & 0x4000) ? ((frag & 0x2000) ? "DF,MF" : "DF")
                                        : ((frag & 0x2000) ? "MF" : "none");
    c.out.str(fragment ? kIpFlagsSum : kIpFlags, flags);
    c.out.u(fragment ? kIpFragSum : kIpFrag, offset);
    c.out.u(kIpTtl, ttl);
    c.out.en(kIpProto, proto, kIpProtos);
    c.out.hex(kIpSum, sum, 4);
    if (!addrs)
        return c.truncated();
    if ((vihl >> 4) != 4)
        return c.malformed("IP version is not 4");
    if (ihl < 20)
        return c.malformed("header length below 20");
    if (total < ihl)
        return c.malformed("total length below header length");
    if (ihl > 20) {
        Reader opts = r.sub(ihl - 20);
        bool good = ipv4_options(c, opts);
        if (opts.cut()) // the capture ends inside the options
            return c.truncated();
        if (!good)
            return c.malformed("bad option length");
    }
    r.limit(total - ihl); // drop link padding; a shorter capture shows later
    if (offset) {
        c.out.str(kIpNote, "fragment payload not decoded");
        return {};
    }
    return {Ns::IpProto, proto};
}

/*
 * IPv6 (RFC 8200)
 *
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |Version| Traffic Class |           Flow Label                  |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |         Payload Length        |  Next Header  |   Hop Limit   |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                 Source Address (128 bits)                     |
 * |                 Destination Address (128 bits)                |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
const Layer kIpv6Layer{"ipv6", "IPv6", "IPv6 Header"};
const Field kIp6Ver{"version", "Version", 0};
const Field kIp6Tc{"traffic_class", "Traffic class", 0};
const Field kIp6Flow{"flow_label", "Flow label", 0};
const Field kIp6Plen{"payload_length", "Payload length", 0};
const Field kIp6Next{"next_header", "Next header", 0};
const Field kIp6Hlim{"hop_limit", "Hop limit", 0};

Next ipv6(Ctx& c) {
    c.layer(kIpv6Layer);
    Reader& r = c.r;
    uint32_t vtf = r.u32();
    uint16_t plen = r.u16();
    uint8_t nh = r.u8();
    uint8_t hlim = r.u8();
    bool fixed = r.ok();
    bool addrs = addresses(c, 16);
    if (!fixed)
        return c.truncated();
    c.out.u(kIp6Ver, vtf >> 28);
    c.out.u(kIp6Tc, (vtf >> 20) & 0xff);
    c.out.hex(kIp6Flow, vtf & 0xfffff, 5);
    c.out.u(kIp6Plen, plen);
    c.out.en(kIp6Next, nh, kIpProtos);
    c.out.u(kIp6Hlim, hlim);
    if (!addrs)
        return c.truncated();
    if ((vtf >> 28) != 6)
        return c.malformed("IP version is not 6");
    r.limit(plen);
    return {Ns::Ip6Ext, nh};
}

/*
 * IPv6 Hop-by-Hop and Destination Options (RFC 8200 4.3, 4.6)
 *
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |  Next Header  |  Hdr Ext Len  |                               |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+                               +
 * |       Options: type(1) len(1) data, Pad1 = a single 0         |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * Length in 8-octet units, not counting the first 8 octets.
 */
const Layer kHbhLayer{"ipv6_hbh", "HBH", "IPv6 Hop-by-Hop Options"};
const Layer kDstLayer{"ipv6_dstopts", "DSTOPT", "IPv6 Destination Options"};
const Field kExtNext{"next_header", "Next header", 0};
const Field kExtLen{"length", "Header length (bytes)", 0};
const Field kExtOpts{"options", "Options", kSum};
const Name kIp6OptNames[] = {{0, "pad1"}, {1, "padn"}, {5, "ra"}, {0xc2, "jumbo"},
                             {4, "tunnel-limit"}, {0xc9, "home-address"}};

// Common start of every extension header: next header and total length.
bool ext_start(Ctx& c, uint8_t& nh, size_t& len) {
    nh = c.r.u8();
    uint8_t l = c.r.u8();
    if (!c.r.ok())
        return false;
    len = (size_t(l) + 1) * 8;
    c.out.en(kExtNext, nh, kIpProtos);
    c.out.u(kExtLen, len);
    return true;
}

// Hop-by-Hop and Destination Options share one format; only the layer differs.
Next ip6_options(Ctx& c, const Layer& l) {
    c.layer(l);
    uint8_t nh;
    size_t len;
    if (!ext_start(c, nh, len))
        return c.truncated();
    Reader opts = c.r.sub(len - 2);
    Scratch s;
    while (opts.left()) {
        uint8_t type = opts.u8();
        s.name_or(name_of(kIp6OptNames, type), "opt", type);
        if (type == 0)
            continue;
        uint8_t olen = opts.u8();
        if (!opts.skip(olen)) {
            c.out.str(kExtOpts, s.view());
            return opts.cut() ? c.truncated() : c.malformed("option runs past its header");
        }
    }
    c.out.str(kExtOpts, s.view());
    if (opts.cut())
        return c.truncated();
    return {Ns::Ip6Ext, nh};
}

Next ip6_hbh(Ctx& c) { return ip6_options(c, kHbhLayer); }
Next ip6_dstopts(Ctx& c) { return ip6_options(c, kDstLayer); }

/*
 * IPv6 Routing header (RFC 8200 4.4)
 *
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |  Next Header  |  Hdr Ext Len  |  Routing Type | Segments Left |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                       type-specific data                      |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
const Layer kRtLayer{"ipv6_route", "RTHDR", "IPv6 Routing Header"};
const Field kRtType{"type", "Routing type", kSum};
const Field kRtLeft{"segments_left", "Segments left", kSum};

Next ip6_routing(Ctx& c) {
    c.layer(kRtLayer);
    uint8_t nh;
    size_t len;
    if (!ext_start(c, nh, len))
        return c.truncated();
    uint8_t type = c.r.u8();
    uint8_t left = c.r.u8();
    if (!c.r.ok())
        return c.truncated();
    c.out.u(kRtType, type);
    c.out.u(kRtLeft, left);
    if (!c.r.skip(len - 4))
        return c.truncated();
    return {Ns::Ip6Ext, nh};
}

/*
 * IPv6 Fragment header (RFC 8200 4.5)
 *
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |  Next Header  |   Reserved    |      Fragment Offset    |Res|M|
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                         Identification                        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
const Layer kFragLayer{"ipv6_frag", "FRAG", "IPv6 Fragment Header"};
const Field kFragNext{"next_header", "Next header", 0};
const Field kFragOff{"offset", "Fragment offset (bytes)", kSum};
const Field kFragMore{"more", "More fragments", kSum};
const Field kFragId{"id", "Identification", kSum};

Next ip6_fragment(Ctx& c) {
    c.layer(kFragLayer);
    Reader& r = c.r;
    uint8_t nh = r.u8();
    r.u8();
    uint16_t off = r.u16();
    uint32_t id = r.u32();
    if (!r.ok())
        return c.truncated();
    c.out.en(kFragNext, nh, kIpProtos);
    c.out.u(kFragOff, (off >> 3) * 8u);
    c.out.u(kFragMore, off & 1);
    c.out.u(kFragId, id);
    if (off >> 3) {
        c.out.str(kIpNote, "fragment payload not decoded");
        return {};
    }
    return {Ns::Ip6Ext, nh};
}

} // namespace

const Names kIpProtoNames{kIpProtos};

const Dissector kIpv4{"ipv4", ipv4};
const Dissector kIpv6{"ipv6", ipv6};
const Dissector kIp6Hbh{"ipv6_hbh", ip6_hbh};
const Dissector kIp6DstOpts{"ipv6_dstopts", ip6_dstopts};
const Dissector kIp6Routing{"ipv6_route", ip6_routing};
const Dissector kIp6Fragment{"ipv6_frag", ip6_fragment};

} // namespace ov::snoop
