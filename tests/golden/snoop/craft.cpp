// Packet builders, the golden packet list and the benchmark mix (see craft.h).
// Checksums are real (IPv4 header, ICMP, and TCP/UDP/ICMPv6 over the
// pseudo-header) except where a case is about breaking something.
#include "craft.h"

#include <libtools/packet.h>

#include <algorithm>

namespace ov::snoop::craft {

Bytes of(const Mac& m) { return Bytes(m.begin(), m.end()); }
Bytes of(const Ip4& a) { return Bytes(a.begin(), a.end()); }
Bytes of(const Ip6& a) { return Bytes(a.begin(), a.end()); }

Mac mac(uint8_t last, uint8_t host) { return {0x02, 0x00, 0x5e, 0x10, host, last}; }
Ip6 ip6(uint16_t a, uint16_t z) {
    Ip6 r{};
    r[0] = uint8_t(a >> 8);
    r[1] = uint8_t(a);
    r[14] = uint8_t(z >> 8);
    r[15] = uint8_t(z);
    return r;
}
Ip6 ll6(uint8_t z) { return ip6(0xfe80, z); }

// The Internet checksum (RFC 1071) is libtools' ov_packet_cksum_fold: a
// partial sum carries into the next piece through its initial value, and
// fold() complements the total.
uint32_t sum16(const uint8_t* p, size_t n, uint32_t s = 0) {
    return ov_packet_cksum_fold(p, n, s);
}
uint16_t fold(uint32_t s) {
    return uint16_t(~ov_packet_cksum_fold(nullptr, 0, s));
}
void set16(Bytes& b, size_t off, uint16_t v) {
    b[off] = uint8_t(v >> 8);
    b[off + 1] = uint8_t(v);
}

// Offset of the checksum inside an upper-layer header, or 0 for none.
size_t l4_sum_offset(uint8_t proto) {
    return proto == 6 ? 16 : proto == 17 ? 6 : proto == 58 ? 2 : 0;
}
void l4_checksum(Bytes& seg, uint8_t proto, const uint8_t* src, const uint8_t* dst,
                 size_t alen) {
    size_t off = l4_sum_offset(proto);
    if (!off || seg.size() < off + 2)
        return;
    set16(seg, off, 0);
    uint32_t s = sum16(src, alen);
    s = sum16(dst, alen, s);
    s += proto;
    s += uint32_t(seg.size());
    uint16_t c = fold(sum16(seg.data(), seg.size(), s));
    set16(seg, off, proto == 17 && c == 0 ? 0xffff : c);
}

Bytes eth(const Mac& dst, const Mac& src, uint16_t type, const Bytes& payload) {
    Buf b;
    b.put(of(dst)).put(of(src)).u16(type).put(payload);
    return b.b;
}
Bytes vlan(uint16_t tci, uint16_t type, const Bytes& payload) {
    Buf b;
    b.u16(tci).u16(type).put(payload);
    return b.b;
}

Bytes ipv4(const V4& h, Bytes payload) {
    if (h.l4sum && !(h.frag & 0x3fff))
        l4_checksum(payload, h.proto, h.src.data(), h.dst.data(), 4);
    size_t hl = 20 + h.opts.size();
    Buf b;
    unsigned ihl = h.ihl_override >= 0 ? unsigned(h.ihl_override) : unsigned(hl / 4);
    b.u8(0x40 | ihl).u8(0).u16(unsigned(hl + payload.size())).u16(h.id).u16(h.frag);
    b.u8(h.ttl).u8(h.proto).u16(0).put(of(h.src)).put(of(h.dst)).put(h.opts);
    set16(b.b, 10, fold(sum16(b.b.data(), hl)));
    b.put(payload);
    return b.b;
}
// payload begins with `ext` extension headers; the checksum covers `proto`.
Bytes ipv6(const Ip6& src, const Ip6& dst, uint8_t nh, Bytes payload, uint8_t hlim,
           uint8_t upper, size_t ext) {
    if (!ext)
        l4_checksum(payload, nh, src.data(), dst.data(), 16);
    else if (upper) {
        Bytes seg(payload.begin() + long(ext), payload.end());
        l4_checksum(seg, upper, src.data(), dst.data(), 16);
        std::copy(seg.begin(), seg.end(), payload.begin() + long(ext));
    }
    Buf b;
    b.u32(0x60000000).u16(unsigned(payload.size())).u8(nh).u8(hlim);
    b.put(of(src)).put(of(dst)).put(payload);
    return b.b;
}
Bytes udp(uint16_t sport, uint16_t dport, const Bytes& payload, int len_override) {
    Buf b;
    b.u16(sport).u16(dport);
    b.u16(len_override >= 0 ? unsigned(len_override) : unsigned(8 + payload.size())).u16(0);
    b.put(payload);
    return b.b;
}
Bytes tcp(uint16_t sport, uint16_t dport, uint32_t seq, uint32_t ack, uint8_t flags,
          const Bytes& opts, const Bytes& payload, int doff_override) {
    Buf b;
    unsigned doff = doff_override >= 0 ? unsigned(doff_override) : unsigned((20 + opts.size()) / 4);
    b.u16(sport).u16(dport).u32(seq).u32(ack).u8(doff << 4).u8(flags).u16(64240);
    b.u16(0).u16(0).put(opts).put(payload);
    return b.b;
}
Bytes syn_opts() {
    // mss 1460, sackOK, ts, nop, wscale 7
    return {2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0x12, 0x34, 0, 0, 0, 0, 1, 3, 3, 7};
}
Bytes icmp_echo(uint8_t type, uint16_t id, uint16_t seq, size_t datalen) {
    Buf b;
    b.u8(type).u8(0).u16(0).u16(id).u16(seq);
    for (size_t i = 0; i < datalen; i++)
        b.u8(unsigned(0x20 + i));
    set16(b.b, 2, fold(sum16(b.b.data(), b.b.size())));
    return b.b;
}
Bytes arp(uint16_t op, const Mac& sha, const Ip4& spa, const Mac& tha, const Ip4& tpa) {
    Buf b;
    b.u16(1).u16(0x0800).u8(6).u8(4).u16(op).put(of(sha)).put(of(spa)).put(of(tha)).put(of(tpa));
    return b.b;
}
Bytes vxlan(uint32_t vni, const Bytes& inner, uint8_t flags) {
    Buf b;
    b.u8(flags).zeros(3).u32(vni << 8).put(inner);
    return b.b;
}
Bytes nvgre(uint32_t vsid, uint8_t flowid, const Bytes& inner) {
    Buf b;
    b.u16(0x2000).u16(0x6558).u32(vsid << 8 | flowid).put(inner);
    return b.b;
}

// The underlay: two hosts on 192.0.2.0/24 (and 2001:db8::/32).
const Mac kHostA = {0x52, 0x54, 0x00, 0xaa, 0x00, 0x01};
const Mac kHostB = {0x52, 0x54, 0x00, 0xbb, 0x00, 0x02};
const Ip4 kUnderA = {192, 0, 2, 1};
const Ip4 kUnderB = {192, 0, 2, 2};

Bytes over_vxlan(uint32_t vni, const Bytes& inner, uint16_t port, uint16_t sport,
                 uint8_t flags) {
    Bytes u = udp(sport, port, vxlan(vni, inner, flags));
    return eth(kHostB, kHostA, 0x0800, ipv4({kUnderA, kUnderB, 17, 0x1000, 0x4000, 64, {}, -1, false}, u));
}
Bytes over_nvgre(uint32_t vsid, uint8_t flow, const Bytes& inner) {
    return eth(kHostB, kHostA, 0x0800, ipv4({kUnderA, kUnderB, 47, 0x2000}, nvgre(vsid, flow, inner)));
}

// Tenant addresses.
Ip4 t4(uint8_t h) { return {10, 1, 0, h}; }

Bytes dhcp(uint8_t op, uint8_t type, const Mac& ch, const Ip4& yi, bool bad_magic = false) {
    Buf b;
    b.u8(op).u8(1).u8(6).u8(0).u32(0x3903f326).u16(0).u16(0x8000);
    b.zeros(4).put(of(yi)).zeros(8).put(of(ch)).zeros(10).zeros(64 + 128);
    b.u32(bad_magic ? 0x63825364 : 0x63825363);
    b.put({53, 1, type});
    if (op == 1) {
        b.put({61, 7, 1}).put(of(ch));
        b.put({50, 4, 10, 1, 0, 23});
        b.put({12, 6, 't', 'e', 'n', 'a', 'n', 't'});
        b.put({55, 4, 1, 3, 6, 15});
    } else {
        b.put({54, 4, 10, 1, 0, 1});
        b.put({51, 4, 0, 0, 0x0e, 0x10});
        b.put({1, 4, 255, 255, 255, 0});
        b.put({3, 4, 10, 1, 0, 1});
        b.put({6, 4, 10, 1, 0, 1});
    }
    b.u8(255);
    return b.b;
}

Bytes ns6(const Ip6& target, const Mac& slla) {
    Buf b;
    b.u8(135).u8(0).u16(0).u32(0).put(of(target)).u8(1).u8(1).put(of(slla));
    return b.b;
}
Bytes na6(const Ip6& target, const Mac& tlla, uint32_t flags) {
    Buf b;
    b.u8(136).u8(0).u16(0).u32(flags).put(of(target)).u8(2).u8(1).put(of(tlla));
    return b.b;
}
Bytes ra6(const Mac& slla) {
    Buf b;
    b.u8(134).u8(0).u16(0).u8(64).u8(0x40).u16(1800).u32(0).u32(0);
    b.u8(1).u8(1).put(of(slla));
    b.u8(5).u8(1).u16(0).u32(1450);
    b.u8(3).u8(4).u8(64).u8(0xc0).u32(2592000).u32(604800).u32(0).put(of(ip6(0x2001, 0)));
    return b.b;
}
Bytes cut(Bytes b, size_t n) {
    b.resize(n);
    return b;
}

const Ip6 kSolicited = {0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff, 0, 0, 0x02};
const Mac kSolicitedMac = {0x33, 0x33, 0xff, 0, 0, 0x02};
const Mac kBcast = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

struct Recs {
    std::vector<Rec> r;
    void push_back(Bytes b) {
        uint32_t n = uint32_t(b.size());
        r.push_back({std::move(b), n});
    }
    // A capture cut after n bytes (a short snaplen).
    void trunc(Bytes b, size_t n) {
        uint32_t orig = uint32_t(b.size());
        b.resize(n);
        r.push_back({std::move(b), orig});
    }
};

std::vector<Rec> golden() {
    Recs v;
    const Mac a = mac(1), b = mac(2);
    const Mac zero{};
    // ARP who-has and is-at across VNI 100.
    v.push_back(over_vxlan(100, eth(kBcast, a, 0x0806, arp(1, a, t4(1), zero, t4(2)))));
    v.push_back(over_vxlan(100, eth(a, b, 0x0806, arp(2, b, t4(2), a, t4(1)))));
    // ICMP echo.
    v.push_back(over_vxlan(100, eth(b, a, 0x0800, ipv4({t4(1), t4(2), 1, 7}, icmp_echo(8, 0x77, 1)))));
    v.push_back(over_vxlan(100, eth(a, b, 0x0800, ipv4({t4(2), t4(1), 1, 9}, icmp_echo(0, 0x77, 1)))));
    // TCP handshake with options, on the Linux port 8472.
    v.push_back(over_vxlan(100, eth(b, a, 0x0800, ipv4({t4(1), t4(2), 6}, tcp(40000, 80, 1000, 0, 0x02, syn_opts()))), 8472));
    v.push_back(over_vxlan(100, eth(a, b, 0x0800, ipv4({t4(2), t4(1), 6}, tcp(80, 40000, 5000, 1001, 0x12, syn_opts()))), 8472));
    v.push_back(over_vxlan(100, eth(b, a, 0x0800, ipv4({t4(1), t4(2), 6}, tcp(40000, 80, 1001, 5001, 0x18, {1, 1, 8, 10, 0, 0, 0x12, 0x35, 0, 0, 0x56, 0x78}, Bytes(12, 'x')))), 8472));
    // DHCP discover and offer.
    v.push_back(over_vxlan(200, eth(kBcast, a, 0x0800, ipv4({{0, 0, 0, 0}, {255, 255, 255, 255}, 17, 0, 0}, udp(68, 67, dhcp(1, 1, a, {0, 0, 0, 0}))))));
    v.push_back(over_vxlan(200, eth(a, b, 0x0800, ipv4({t4(1), t4(23), 17, 0, 0}, udp(67, 68, dhcp(2, 2, a, t4(23)))))));
    // Inner 802.1Q tag around IPv4/UDP.
    v.push_back(over_vxlan(100, eth(b, a, 0x8100, vlan(0x602a, 0x0800, ipv4({t4(1), t4(2), 17}, udp(5000, 5001, Bytes(8, 'u')))))));
    // IPv4 options: NOP, record route (one slot), router alert, EOL.
    v.push_back(over_vxlan(100, eth(b, a, 0x0800, ipv4({t4(1), t4(2), 1, 11, 0, 1, {1, 7, 7, 4, 0, 0, 0, 0, 148, 4, 0, 0}}, icmp_echo(8, 0x78, 2)))));
    // IPv4 fragments: first (MF) with the UDP header, then the rest.
    v.push_back(over_vxlan(100, eth(b, a, 0x0800, ipv4({t4(1), t4(2), 17, 0x4242, 0x2000}, udp(6000, 6001, Bytes(32, 'f'), 8 + 48)))));
    v.push_back(over_vxlan(100, eth(b, a, 0x0800, ipv4({t4(1), t4(2), 17, 0x4242, 5}, Bytes(16, 'g')))));
    // IPv6: NS / NA with link-layer options, RA with prefix and MTU, echo.
    v.push_back(over_vxlan(300, eth(kSolicitedMac, a, 0x86dd, ipv6(ll6(1), kSolicited, 58, ns6(ll6(2), a), 255))));
    v.push_back(over_vxlan(300, eth(a, b, 0x86dd, ipv6(ll6(2), ll6(1), 58, na6(ll6(2), b, 0x60000000), 255))));
    v.push_back(over_vxlan(300, eth({0x33, 0x33, 0, 0, 0, 1}, b, 0x86dd, ipv6(ll6(2), ip6(0xff02, 1), 58, ra6(b), 255))));
    {
        Buf e;
        e.u8(128).u8(0).u16(0).u16(0x99).u16(3).put(Bytes(8, 'p'));
        v.push_back(over_vxlan(300, eth(b, a, 0x86dd, ipv6(ip6(0x2001, 1), ip6(0x2001, 2), 58, e.b))));
    }
    {
        // Hop-by-hop (router alert, PadN), destination options (Pad1 x6),
        // fragment header (first fragment), then UDP.
        Buf x;
        x.put({60, 0, 5, 2, 0, 0, 1, 0});
        x.put({44, 0, 0, 0, 0, 0, 0, 0});
        x.put({17, 0, 0, 1, 0xde, 0xad, 0xbe, 0xef});
        Bytes u = udp(7000, 7001, Bytes(4, 'z'));
        size_t ext = x.b.size();
        x.put(u);
        v.push_back(over_vxlan(300, eth(b, a, 0x86dd, ipv6(ip6(0x2001, 1), ip6(0x2001, 2), 0, x.b, 64, 17, ext))));
    }
    {
        // Routing header type 4 (segment routing) with one segment, then TCP.
        Buf x;
        x.put({6, 2, 4, 0, 0, 0, 0, 0}).put(of(ip6(0x2001, 9)));
        size_t ext = x.b.size();
        x.put(tcp(41000, 443, 1, 0, 0x02, syn_opts()));
        v.push_back(over_vxlan(300, eth(b, a, 0x86dd, ipv6(ip6(0x2001, 1), ip6(0x2001, 2), 43, x.b, 64, 6, ext))));
    }
    // NVGRE: VSID 0x123456, FlowID 7 and 9.
    v.push_back(over_nvgre(0x123456, 7, eth(kBcast, a, 0x0806, arp(1, a, t4(1), zero, t4(3)))));
    v.push_back(over_nvgre(0x123456, 7, eth(b, a, 0x0800, ipv4({t4(1), t4(3), 1}, icmp_echo(8, 5, 1)))));
    v.push_back(over_nvgre(0x123456, 9, eth(b, a, 0x0800, ipv4({t4(1), t4(3), 6}, tcp(33000, 22, 77, 0, 0x02, syn_opts())))));
    v.push_back(over_nvgre(4096, 0, eth(b, a, 0x86dd, ipv6(ip6(0x2001, 1), ip6(0x2001, 2), 17, udp(5353, 5353, Bytes(10, 'm'))))));
    // IPv6 underlays for both encapsulations.
    v.push_back(eth(kHostB, kHostA, 0x86dd, ipv6(ip6(0x2001, 0xa), ip6(0x2001, 0xb), 17, udp(50000, 4789, vxlan(400, eth(b, a, 0x0800, ipv4({t4(1), t4(2), 17}, udp(1234, 5678, Bytes(6, 'q')))))))));
    v.push_back(eth(kHostB, kHostA, 0x86dd, ipv6(ip6(0x2001, 0xa), ip6(0x2001, 0xb), 47, nvgre(500, 1, eth(b, a, 0x0800, ipv4({t4(1), t4(2), 1}, icmp_echo(0, 6, 6)))))));
    // Outer 802.1Q tag on the underlay.
    v.push_back(eth(kHostB, kHostA, 0x8100, vlan(10, 0x0800, ipv4({kUnderA, kUnderB, 17}, udp(49153, 4789, vxlan(100, eth(b, a, 0x0800, ipv4({t4(1), t4(2), 1}, icmp_echo(8, 1, 9)))))))));
    // Plain GRE with key and sequence carrying IPv4 (not NVGRE).
    {
        Buf g;
        g.u16(0x3000).u16(0x0800).u32(0xabcdef01).u32(42);
        g.put(ipv4({t4(5), t4(6), 1}, icmp_echo(8, 2, 2)));
        v.push_back(eth(kHostB, kHostA, 0x0800, ipv4({kUnderA, kUnderB, 47}, g.b)));
    }
    // Unencapsulated traffic: UDP to a port we do not decode; ICMP
    // unreachable need-frag; a padded ARP; an 802.3/LLC frame.
    v.push_back(eth(kHostB, kHostA, 0x0800, ipv4({kUnderA, kUnderB, 17}, udp(53000, 53, Bytes(12, 'd')))));
    {
        Buf u;
        u.u8(3).u8(4).u16(0).u16(0).u16(1400).put(cut(ipv4({kUnderA, kUnderB, 17}, udp(1, 2, {})), 28));
        set16(u.b, 2, fold(sum16(u.b.data(), u.b.size())));
        v.push_back(eth(kHostA, kHostB, 0x0800, ipv4({kUnderB, kUnderA, 1}, u.b)));
    }
    {
        Bytes p = arp(1, kHostA, kUnderA, zero, kUnderB);
        p.resize(46, 0);
        v.push_back(eth(kBcast, kHostA, 0x0806, p));
    }
    v.push_back(eth(kBcast, kHostA, 38, Bytes{0x42, 0x42, 0x03, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}));
    // VXLAN in VXLAN (nested tenant network).
    v.push_back(over_vxlan(100, eth(b, a, 0x0800, ipv4({t4(1), t4(2), 17, 3, 0x4000, 64, {}, -1, false}, udp(49999, 4789, vxlan(7, eth(mac(9), mac(8), 0x0800, ipv4({t4(8), t4(9), 1}, icmp_echo(8, 3, 3)))))))));
    // Truncated: inside inner TCP, inside VXLAN, inside outer IPv4, inside ARP.
    v.trunc(over_vxlan(100, eth(b, a, 0x0800, ipv4({t4(1), t4(2), 6}, tcp(40001, 80, 9, 0, 0x02, syn_opts())))), 50 + 34 + 10);
    v.trunc(over_vxlan(100, eth(b, a, 0x0800, ipv4({t4(1), t4(2), 1}, icmp_echo(8, 1, 1)))), 14 + 20 + 8 + 5);
    v.trunc(over_vxlan(100, eth(b, a, 0x0800, ipv4({t4(1), t4(2), 1}, icmp_echo(8, 1, 1)))), 14 + 13);
    v.trunc(over_vxlan(100, eth(kBcast, a, 0x0806, arp(1, a, t4(1), zero, t4(2)))), 50 + 14 + 8 + 3);
    // TCP options cut by the capture (header claims 40 bytes).
    v.trunc(over_vxlan(100, eth(b, a, 0x0800, ipv4({t4(1), t4(2), 6}, tcp(40002, 80, 9, 0, 0x02, syn_opts())))), 50 + 34 + 20 + 6);
    // Malformed: IHL 3; VXLAN I flag clear; UDP length 4; TCP offset 2;
    // IPv4 option length 1; ND option length 0; DHCP magic wrong.
    v.push_back(over_vxlan(100, eth(b, a, 0x0800, ipv4({t4(1), t4(2), 1, 1, 0, 64, {}, 3}, icmp_echo(8, 1, 1)))));
    v.push_back(over_vxlan(100, eth(b, a, 0x0800, ipv4({t4(1), t4(2), 1}, icmp_echo(8, 1, 1))), 4789, 49152, 0x00));
    v.push_back(over_vxlan(100, eth(b, a, 0x0800, ipv4({t4(1), t4(2), 17, 1, 0x4000, 64, {}, -1, false}, udp(1, 2, Bytes(8, 'w'), 4)))));
    v.push_back(over_vxlan(100, eth(b, a, 0x0800, ipv4({t4(1), t4(2), 6}, tcp(1, 2, 3, 0, 0x02, {}, {}, 2)))));
    v.push_back(over_vxlan(100, eth(b, a, 0x0800, ipv4({t4(1), t4(2), 1, 1, 0, 64, {7, 1, 0, 0}}, icmp_echo(8, 1, 1)))));
    {
        Buf n;
        n.u8(135).u8(0).u16(0).u32(0).put(of(ll6(2))).u8(1).u8(0).zeros(6);
        v.push_back(over_vxlan(300, eth(kSolicitedMac, a, 0x86dd, ipv6(ll6(1), kSolicited, 58, n.b, 255))));
    }
    v.push_back(over_vxlan(200, eth(kBcast, a, 0x0800, ipv4({{0, 0, 0, 0}, {255, 255, 255, 255}, 17, 0, 0}, udp(68, 67, dhcp(1, 3, a, {0, 0, 0, 0}, true))))));
    return v.r;
}


Bytes mixed(Rng& r) {
    uint32_t x = r.next();
    uint32_t vnet = 1 + r.next() % 16000000;
    uint8_t ha = uint8_t(1 + x % 250), hb = uint8_t(1 + (x >> 8) % 250);
    Mac a = mac(ha, 1), b = mac(hb, 2);
    Ip4 sa = {10, uint8_t(x >> 16), 1, ha}, da = {10, uint8_t(x >> 16), 2, hb};
    uint16_t sp = uint16_t(1024 + r.next() % 60000), dp = uint16_t(1 + r.next() % 1023);
    Bytes l4;
    uint8_t proto;
    switch (x % 3) {
    case 0:
        proto = 6;
        l4 = tcp(sp, dp, r.next(), r.next(), 0x18, {1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2},
                 Bytes(x % 64, 'a'));
        break;
    case 1:
        proto = 17;
        l4 = udp(sp, dp, Bytes(x % 48, 'b'));
        break;
    default:
        proto = 1;
        l4 = icmp_echo((x >> 4) & 1 ? 8 : 0, uint16_t(sp), uint16_t(dp), 24);
        break;
    }
    Bytes inner = eth(b, a, 0x0800, ipv4({sa, da, proto, uint16_t(x)}, l4));
    if ((x >> 24) & 1)
        return over_nvgre(vnet, uint8_t(x >> 12), inner);
    return over_vxlan(vnet, inner, (x >> 25) & 1 ? 8472 : 4789, uint16_t(32768 + sp % 16384));
}

} // namespace ov::snoop::craft
