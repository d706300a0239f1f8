// ICMP for IPv4 and ICMPv6 with Neighbor Discovery.
#include "proto.h"

namespace ov::snoop {

namespace {

/*
 * ICMP (RFC 792)
 *
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |     Type      |     Code      |          Checksum             |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |   Identifier (echo)           |   Sequence number (echo)      |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * Other types carry type-specific data here (unused, gateway, MTU) and
 * usually the quoted IP header of the offending datagram (not decoded).
 */
const Name kIcmpTypes[] = {
    {0, "echo-reply"},  {3, "unreachable"}, {4, "source-quench"}, {5, "redirect"},
    {8, "echo-request"}, {9, "router-advertisement"}, {10, "router-solicitation"},
    {11, "time-exceeded"}, {12, "parameter-problem"}, {13, "timestamp"},
    {14, "timestamp-reply"},
};
const Name kUnreachCodes[] = {
    {0, "net"}, {1, "host"}, {2, "protocol"}, {3, "port"}, {4, "need-frag"},
    {5, "source-route-failed"}, {9, "net-prohibited"}, {10, "host-prohibited"},
    {13, "admin-prohibited"},
};
const Layer kIcmpLayer{"icmp", "ICMP", "ICMP Header"};
const Field kIcmpType{"type", "Type", kBare};
const Field kIcmpCode{"code", "Code", 0};
const Field kIcmpCodeSum{"code", "Code", kSum};
const Field kIcmpSum{"checksum", "Checksum", 0};
const Field kIcmpId{"id", "Identifier", kSum};
const Field kIcmpSeq{"seq", "Sequence number", kSum};
const Field kIcmpMtu{"mtu", "Next-hop MTU", kSum};
const Field kIcmpGw{"gateway", "Gateway", kSum};

// Type, code and checksum, common to ICMP and ICMPv6; false when short.
bool icmp_common(Ctx& c, const Layer& l, Names type_names, uint8_t& type,
                 uint8_t& code) {
    c.layer(l);
    type = c.r.u8();
    code = c.r.u8();
    uint16_t sum = c.r.u16();
    if (!c.r.ok())
        return false;
    c.out.en(kIcmpType, type, type_names);
    // Error codes matter at a glance for ICMP unreachable / time exceeded.
    bool v4err = &l == &kIcmpLayer && (type == 3 || type == 11);
    const char* cname = v4err && type == 3 ? name_of(kUnreachCodes, code) : nullptr;
    c.out.en(v4err ? kIcmpCodeSum : kIcmpCode, code, cname);
    c.out.hex(kIcmpSum, sum, 4);
    return true;
}

// Echo request / reply body: identifier and sequence number.
Next echo(Ctx& c) {
    uint16_t id = c.r.u16();
    uint16_t seq = c.r.u16();
    if (!c.r.ok())
        return c.truncated();
    c.out.u(kIcmpId, id);
    c.out.u(kIcmpSeq, seq);
    return {};
}

Next icmp(Ctx& c) {
    Reader& r = c.r;
    uint8_t type, code;
    if (!icmp_common(c, kIcmpLayer, kIcmpTypes, type, code))
        return c.truncated();
    if (type == 0 || type == 8 || type == 13 || type == 14) {
        return echo(c);
    } else if (type == 3 && code == 4) {
        r.u16();
        uint16_t mtu = r.u16();
        if (!r.ok())
            return c.truncated();
        c.out.u(kIcmpMtu, mtu);
    } else if (type == 5) {
        const uint8_t* gw = r.bytes(4);
        if (!gw)
            return c.truncated();
        c.out.ip4(kIcmpGw, gw);
    }
    return {};
}

/*
 * ICMPv6 (RFC 4443) and Neighbor Discovery (RFC 4861)
 *
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |     Type      |     Code      |          Checksum             |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * Echo (128/129):        Identifier(16) Sequence(16)
 * Router Solicit (133):  Reserved(32) Options
 * Router Advert (134):   Hop limit(8) M|O|rsvd(8) Lifetime(16)
 *                        Reachable time(32) Retrans timer(32) Options
 * Neighbor Solicit (135): Reserved(32) Target(128) Options
 * Neighbor Advert (136): R|S|O|rsvd(32) Target(128) Options
 * Redirect (137):        Reserved(32) Target(128) Destination(128) Options
 *
 * ND option: Type(8) Length(8, in 8-octet units, never 0) data:
 *   1 source / 2 target link-layer address, 3 prefix information
 *   (prefix length, L|A flags, valid and preferred lifetimes, prefix),
 *   5 MTU (reserved(16) MTU(32)).
 */
const Name kIcmp6Types[] = {
    {1, "unreachable"}, {2, "packet-too-big"}, {3, "time-exceeded"},
    {4, "parameter-problem"}, {128, "echo-request"}, {129, "echo-reply"},
    {130, "mld-query"}, {131, "mld-report"}, {132, "mld-done"},
    {133, "router-solicitation"}, {134, "router-advertisement"},
    {135, "neighbor-solicitation"}, {136, "neighbor-advertisement"}, {137, "redirect"},
    {143, "mld2-report"},
};
const Layer kIcmp6Layer{"icmpv6", "ICMPv6", "ICMPv6 Header"};
const Field kI6Hlim{"cur_hop_limit", "Current hop limit", 0};
const Field kI6RaFlags{"flags", "Flags", 0};
const Field kI6Life{"router_lifetime", "Router lifetime (s)", 0};
const Field kI6Reach{"reachable_time", "Reachable time (ms)", 0};
const Field kI6Retrans{"retrans_timer", "Retrans timer (ms)", 0};
const Field kI6NaFlags{"flags", "Flags", kSum};
const Field kI6Target{"target", "Target address", kSum};
const Field kI6Dest{"destination", "Destination address", kSum};
const Field kI6Mtu{"mtu", "MTU", kSum};
const Field kOptSlla{"slla", "Source link-layer addr", kSum};
const Field kOptTlla{"tlla", "Target link-layer addr", kSum};
const Field kOptPrefix{"prefix", "Prefix", kSum};
const Field kOptPrefixLen{"prefix_len", "Prefix length", 0};
const Field kOptPrefixFlags{"prefix_flags", "Prefix flags (L,A)", 0};
const Field kOptValid{"valid_lifetime", "Valid lifetime (s)", 0};
const Field kOptPreferred{"preferred_lifetime", "Preferred lifetime (s)", 0};
const Field kOptMtu{"opt_mtu", "MTU option", 0};
const Field kOptOther{"other_options", "Other options", 0};

// ND options: each kind is shown once (a second of the same kind is
// counted under other_options), so JSON keys stay unique.
Next nd_options(Ctx& c) {
    Reader& r = c.r;
    unsigned seen = 0;
    unsigned other = 0;
    while (r.left()) {
        uint8_t type = r.u8();
        uint8_t len8 = r.u8();
        if (!r.ok())
            break;
        if (len8 == 0)
            return c.malformed("ND option of length 0");
        Reader o = r.sub(size_t(len8) * 8 - 2);
        bool first = type < 32 && !(seen & (1u << type));
        if (type < 32)
            seen |= 1u << type;
        if (first && (type == 1 || type == 2) && o.left() >= 6) {
            c.out.mac(type == 1 ? kOptSlla : kOptTlla, o.bytes(6));
        } else if (first && type == 3) {
            uint8_t plen = o.u8();
            uint8_t flags = o.u8();
            uint32_t valid = o.u32();
            uint32_t pref = o.u32();
            o.u32();
            const uint8_t* prefix = o.bytes(16);
            if (prefix) {
                c.out.ip6(kOptPrefix, prefix);
                c.out.u(kOptPrefixLen, plen);
                c.out.hex(kOptPrefixFlags, flags, 2);
                c.out.u(kOptValid, valid);
                c.out.u(kOptPreferred, pref);
            }
        } else if (first && type == 5) {
            o.u16();
            uint32_t mtu = o.u32();
            if (o.ok())
                c.out.u(kOptMtu, mtu);
        } else {
            other++;
        }
        if (o.cut())
            return c.truncated();
        if (!o.ok())
            return c.malformed("ND option shorter than its type needs");
    }
    if (other)
        c.out.u(kOptOther, other);
    if (!r.ok())
        return c.truncated();
    return {};
}

// ICMPv6 message bodies, one function per message type (bound below).
Next i6_echo(Ctx& c, uint8_t) { return echo(c); }

Next i6_too_big(Ctx& c, uint8_t) {
    uint32_t mtu = c.r.u32();
    if (!c.r.ok())
        return c.truncated();
    c.out.u(kI6Mtu, mtu);
    return {};
}

Next i6_router_solicit(Ctx& c, uint8_t) {
    if (!c.r.skip(4))
        return c.truncated();
    return nd_options(c);
}

Next i6_router_advert(Ctx& c, uint8_t) {
    Reader& r = c.r;
    uint8_t hlim = r.u8();
    uint8_t flags = r.u8();
    uint16_t life = r.u16();
    uint32_t reach = r.u32();
    uint32_t retrans = r.u32();
    if (!r.ok())
        return c.truncated();
    c.out.u(kI6Hlim, hlim);
    c.out.str(kI6RaFlags, (flags & 0x80) ? ((flags & 0x40) ? "M,O" : "M")
                                         : ((flags & 0x40) ? "O" : "none"));
    c.out.u(kI6Life, life);
    c.out.u(kI6Reach, reach);
    c.out.u(kI6Retrans, retrans);
    return nd_options(c);
}

// Neighbor Solicitation, Neighbor Advertisement and Redirect share a
// reserved-or-flags word and a target address.
Next i6_neighbor(Ctx& c, uint8_t type) {
    Reader& r = c.r;
    uint32_t flags = r.u32();
    const uint8_t* target = r.bytes(16);
    if (!r.ok())
        return c.truncated();
    if (type == 136) {
        Scratch s;
        const char* names[] = {"R", "S", "O"};
        for (int i = 0; i < 3; i++) {
            if (flags & (0x80000000u >> i)) {
                s.sep();
                s.add(names[i]);
            }
        }
        c.out.str(kI6NaFlags, s.empty() ? "none" : s.view());
    }
    c.out.ip6(kI6Target, target);
    if (type == 137) {
        const uint8_t* dest = r.bytes(16);
        if (!dest)
            return c.truncated();
        c.out.ip6(kI6Dest, dest);
    }
    return nd_options(c);
}

struct Icmp6Body {
    uint8_t type;
    Next (*fn)(Ctx&, uint8_t type);
};
const Icmp6Body kIcmp6Bodies[] = {
    {2, i6_too_big},          {128, i6_echo},     {129, i6_echo},
    {133, i6_router_solicit}, {134, i6_router_advert}, {135, i6_neighbor},
    {136, i6_neighbor},       {137, i6_neighbor},
};

Next icmp6(Ctx& c) {
    uint8_t type, code;
    if (!icmp_common(c, kIcmp6Layer, kIcmp6Types, type, code))
        return c.truncated();
    for (const Icmp6Body& b : kIcmp6Bodies)
        if (b.type == type)
            return b.fn(c, type);
    return {}; // other messages: the common header is all that is shown
}

} // namespace

const Dissector kIcmp{"icmp", icmp};
const Dissector kIcmp6{"icmpv6", icmp6};

} // namespace ov::snoop
