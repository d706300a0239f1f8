// ov_packet: ARP reply, IPv6 Neighbour Advertisement and DHCPv4 redirect
// frames for varpd's proxy answers.
//
// Theory (the contract is in <libtools/packet.h>): each "reply" function
// first validates the request through a bounds-checked reader (every read
// names the field, so a short frame is refused as "truncated <field>"), then
// calls the matching "build" function, which writes the answer from plain
// fields. Keeping the builders separate lets varpd answer from fields it
// already holds and lets tests compare a built frame with what was asked.
//
// Frames handled (offsets from the start of the Ethernet header):
//
//   Ethernet  0 dst(6)  6 src(6)  12 type(2)            14 payload
//
//   ARP (RFC 826), at 14:
//    0      2      4    5    6      8         14     18        24     28
//   +------+------+----+----+------+---------+------+---------+------+
//   |htype |ptype |hlen|plen|  op  |   sha   | spa  |   tha   | tpa  |
//   +------+------+----+----+------+---------+------+---------+------+
//
//   IPv6 (RFC 8200), at 14: 0 version/class/flow(4) 4 payload length(2)
//     6 next header 7 hop limit 8 source(16) 24 destination(16)  40 ...
//   NS/NA (RFC 4861), at 54: 0 type 1 code 2 checksum(2)
//     4 flags R|S|O + reserved(4) 8 target(16) 24 options (type, length in
//     8-byte units, data)
//
//   IPv4 (RFC 791) at 14: 0 version/IHL 2 total length 6 flags/fragment
//     offset 9 protocol 10 checksum; UDP at 14+IHL*4: 0 sport 2 dport
//     4 length; BOOTP (RFC 2131) after UDP: 0 op ... 236 magic cookie.
#include "error_impl.h"

#include <cerrno>
#include <cstring>
#include <libtools/packet.h>
#include <string>

namespace {

constexpr size_t kEthLen = 14;
constexpr uint16_t kTypeIPv4 = 0x0800;
constexpr uint16_t kTypeARP = 0x0806;
constexpr uint16_t kTypeVLAN = 0x8100;
constexpr uint16_t kTypeIPv6 = 0x86dd;
constexpr size_t kArpLen = 28;
constexpr size_t kIp6Len = 40;
constexpr size_t kNdLen = 24; // NS/NA fixed part
constexpr uint8_t kIcmp6 = 58;
constexpr uint8_t kNS = 135, kNA = 136;
constexpr uint8_t kOptSrcLL = 1, kOptTgtLL = 2;

uint16_t get16(const uint8_t* p) {
    return static_cast<uint16_t>(p[0] << 8 | p[1]);
}
void put16(uint8_t* p, uint16_t v) {
    p[0] = static_cast<uint8_t>(v >> 8);
    p[1] = static_cast<uint8_t>(v);
}

// A bounds-checked view of the request frame.
struct Reader {
    const uint8_t* p;
    size_t len;
    ov_error_t* err;
    const char* what; // "ARP request", "neighbour solicitation", "DHCPv4 frame"

    // Returns a pointer to n bytes at off, or null with the reason set.
    const uint8_t* at(size_t off, size_t n, const char* field) const {
        if (off > len || n > len - off) {
            ov::fail(err, EINVAL, "%s: truncated %s (needs %zu bytes, frame has %zu)", what, field,
                     off + n, len);
            return nullptr;
        }
        return p + off;
    }
    int bad(const char* fmt_reason) const {
        return ov::fail(err, EINVAL, "%s: %s", what, fmt_reason);
    }
};

int check_ethertype(const Reader& r, uint16_t want, const char* want_name) {
    const uint8_t* eth = r.at(0, kEthLen, "Ethernet header");
    if (eth == nullptr)
        return -EINVAL;
    uint16_t type = get16(eth + 12);
    if (type == kTypeVLAN)
        return r.bad("802.1Q-tagged frames are not supported");
    if (type != want)
        return ov::fail(r.err, EINVAL, "%s: EtherType is 0x%04x, not %s (0x%04x)", r.what, type,
                        want_name, want);
    return 0;
}

int check_room(size_t need, size_t outcap, ov_error_t* err, const char* what) {
    if (outcap < need)
        return ov::fail(err, ENOSPC, "%s: output buffer of %zu bytes is too small (need %zu)", what,
                        outcap, need);
    return 0;
}

void put_eth(uint8_t* out, const ov_ether_addr_t& dst, const ov_ether_addr_t& src, uint16_t type) {
    std::memcpy(out, dst.octet, 6);
    std::memcpy(out + 6, src.octet, 6);
    put16(out + 12, type);
}

uint32_t sum_bytes(const uint8_t* data, size_t len, uint32_t acc) {
    // 32-bit accumulator of 16-bit big-endian words; callers fold it.
    uint64_t s = acc;
    for (size_t i = 0; i + 1 < len; i += 2)
        s += get16(data + i);
    if (len & 1)
        s += static_cast<uint32_t>(data[len - 1]) << 8;
    while (s >> 32)
        s = (s & 0xffffffff) + (s >> 32);
    return static_cast<uint32_t>(s);
}

uint16_t fold(uint32_t s) {
    while (s >> 16)
        s = (s & 0xffff) + (s >> 16);
    return static_cast<uint16_t>(s);
}

// ICMPv6 checksum (RFC 8200 8.1): pseudo-header of source, destination,
// upper-layer length and next header, then the message with its checksum
// field counted as whatever it holds (zero when computing).
uint16_t icmp6_sum(const uint8_t* src, const uint8_t* dst, const uint8_t* msg, size_t len) {
    uint8_t tail[8] = {static_cast<uint8_t>(len >> 24),
                       static_cast<uint8_t>(len >> 16),
                       static_cast<uint8_t>(len >> 8),
                       static_cast<uint8_t>(len),
                       0,
                       0,
                       0,
                       kIcmp6};
    uint32_t s = sum_bytes(src, 16, 0);
    s = sum_bytes(dst, 16, s);
    s = sum_bytes(tail, sizeof(tail), s);
    s = sum_bytes(msg, len, s);
    return fold(s);
}

bool is_unspecified(const uint8_t* a) {
    static constexpr uint8_t zero[16] = {};
    return std::memcmp(a, zero, 16) == 0;
}

} // namespace

extern "C" {

uint16_t ov_packet_cksum_fold(const uint8_t* data, size_t len, uint32_t initial) {
    return fold(sum_bytes(data, len, initial));
}

int ov_packet_arp_reply_build(const ov_packet_arp_fields_t* f, uint8_t* out, size_t outcap,
                              size_t* outlen, ov_error_t* err) {
    if (int r = check_room(OV_PACKET_ARP_REPLY_LEN, outcap, err, "ARP reply"); r != 0)
        return r;
    std::memset(out, 0, OV_PACKET_ARP_REPLY_LEN);
    put_eth(out, f->target_mac, f->sender_mac, kTypeARP);
    uint8_t* a = out + kEthLen;
    put16(a, 1); // hardware: Ethernet
    put16(a + 2, kTypeIPv4);
    a[4] = 6;
    a[5] = 4;
    put16(a + 6, 2); // reply
    std::memcpy(a + 8, f->sender_mac.octet, 6);
    std::memcpy(a + 14, f->sender_ip, 4);
    std::memcpy(a + 18, f->target_mac.octet, 6);
    std::memcpy(a + 24, f->target_ip, 4);
    *outlen = OV_PACKET_ARP_REPLY_LEN;
    return 0;
}

int ov_packet_arp_reply(const uint8_t* req, size_t reqlen, const ov_ether_addr_t* answer,
                        uint8_t* out, size_t outcap, size_t* outlen, ov_error_t* err) {
    Reader r{req, reqlen, err, "ARP request"};
    if (int rc = check_ethertype(r, kTypeARP, "ARP"); rc != 0)
        return rc;
    const uint8_t* a = r.at(kEthLen, kArpLen, "ARP header");
    if (a == nullptr)
        return -EINVAL;
    if (get16(a) != 1)
        return ov::fail(err, EINVAL, "ARP request: hardware type %u is not Ethernet (1)", get16(a));
    if (get16(a + 2) != kTypeIPv4)
        return ov::fail(err, EINVAL, "ARP request: protocol type 0x%04x is not IPv4", get16(a + 2));
    if (a[4] != 6 || a[5] != 4)
        return ov::fail(err, EINVAL,
                        "ARP request: address lengths %u/%u are not 6/4 (Ethernet/IPv4)", a[4],
                        a[5]);
    if (get16(a + 6) != 1)
        return ov::fail(err, EINVAL, "ARP request: opcode %u is not a request (1)", get16(a + 6));
    if (std::memcmp(a + 14, a + 24, 4) == 0)
        return ov::fail(err, EINVAL,
                        "ARP request: gratuitous (sender and target address are the same), "
                        "an announcement is not answered");
    ov_packet_arp_fields_t f{};
    f.sender_mac = *answer;
    std::memcpy(f.sender_ip, a + 24, 4);       // the address asked about
    std::memcpy(f.target_mac.octet, a + 8, 6); // the requester
    std::memcpy(f.target_ip, a + 14, 4);
    return ov_packet_arp_reply_build(&f, out, outcap, outlen, err);
}

int ov_packet_na_build(const ov_packet_na_fields_t* f, uint8_t* out, size_t outcap, size_t* outlen,
                       ov_error_t* err) {
    constexpr uint32_t known = OV_PACKET_NA_ROUTER | OV_PACKET_NA_SOLICITED | OV_PACKET_NA_OVERRIDE;
    if (f->flags & ~known)
        return ov::fail(err, EINVAL, "neighbour advertisement: unknown flag bits 0x%x",
                        f->flags & ~known);
    if (f->target[0] == 0xff)
        return ov::fail(err, EINVAL, "neighbour advertisement: target is a multicast address");
    if (int r = check_room(OV_PACKET_NA_LEN, outcap, err, "neighbour advertisement"); r != 0)
        return r;
    constexpr size_t icmp_len = kNdLen + 8;
    std::memset(out, 0, OV_PACKET_NA_LEN);
    put_eth(out, f->dst_mac, f->src_mac, kTypeIPv6);
    uint8_t* ip = out + kEthLen;
    ip[0] = 0x60; // version 6, class 0, flow 0
    put16(ip + 4, icmp_len);
    ip[6] = kIcmp6;
    ip[7] = 255; // RFC 4861 7.1.2: receivers drop NDP with any other hop limit
    std::memcpy(ip + 8, f->src_ip, 16);
    std::memcpy(ip + 24, f->dst_ip, 16);
    uint8_t* m = ip + kIp6Len;
    m[0] = kNA;
    m[1] = 0;
    m[4] = static_cast<uint8_t>(((f->flags & OV_PACKET_NA_ROUTER) ? 0x80 : 0) |
                                ((f->flags & OV_PACKET_NA_SOLICITED) ? 0x40 : 0) |
                                ((f->flags & OV_PACKET_NA_OVERRIDE) ? 0x20 : 0));
    std::memcpy(m + 8, f->target, 16);
    m[24] = kOptTgtLL;
    m[25] = 1; // one 8-byte unit
    std::memcpy(m + 26, f->src_mac.octet, 6);
    put16(m + 2, static_cast<uint16_t>(~icmp6_sum(f->src_ip, f->dst_ip, m, icmp_len)));
    *outlen = OV_PACKET_NA_LEN;
    return 0;
}

int ov_packet_na_reply(const uint8_t* ns, size_t nslen, const ov_ether_addr_t* answer,
                       uint32_t flags, uint8_t* out, size_t outcap, size_t* outlen,
                       ov_error_t* err) {
    if (flags & ~(OV_PACKET_NA_ROUTER | OV_PACKET_NA_OVERRIDE))
        return ov::fail(err, EINVAL,
                        "neighbour advertisement: flags 0x%x: only ROUTER and OVERRIDE may be "
                        "given (SOLICITED follows from the solicitation)",
                        flags);
    Reader r{ns, nslen, err, "neighbour solicitation"};
    if (int rc = check_ethertype(r, kTypeIPv6, "IPv6"); rc != 0)
        return rc;
    const uint8_t* ip = r.at(kEthLen, kIp6Len, "IPv6 header");
    if (ip == nullptr)
        return -EINVAL;
    if ((ip[0] >> 4) != 6)
        return ov::fail(err, EINVAL, "neighbour solicitation: IP version %u is not 6", ip[0] >> 4);
    if (ip[6] != kIcmp6)
        return ov::fail(err, EINVAL,
                        "neighbour solicitation: next header %u is not ICMPv6 (58); extension "
                        "headers are not supported",
                        ip[6]);
    if (ip[7] != 255)
        return ov::fail(err, EINVAL, "neighbour solicitation: hop limit %u is not 255", ip[7]);
    size_t plen = get16(ip + 4);
    const uint8_t* m = r.at(kEthLen + kIp6Len, plen, "IPv6 payload");
    if (m == nullptr)
        return -EINVAL;
    if (plen < kNdLen)
        return ov::fail(err, EINVAL,
                        "neighbour solicitation: ICMPv6 length %zu is shorter than %zu", plen,
                        kNdLen);
    if (m[0] != kNS || m[1] != 0)
        return ov::fail(err, EINVAL,
                        "neighbour solicitation: ICMPv6 type %u code %u is not a solicitation "
                        "(135, 0)",
                        m[0], m[1]);
    if (icmp6_sum(ip + 8, ip + 24, m, plen) != 0xffff)
        return r.bad("bad ICMPv6 checksum");
    const uint8_t* target = m + 8;
    if (target[0] == 0xff)
        return r.bad("target is a multicast address");
    bool dad = is_unspecified(ip + 8);
    const uint8_t* src_ll = nullptr;
    for (size_t off = kNdLen; off < plen;) {
        if (plen - off < 2)
            return r.bad("truncated option header");
        size_t olen = static_cast<size_t>(m[off + 1]) * 8;
        if (olen == 0)
            return r.bad("option with length 0");
        if (olen > plen - off)
            return r.bad("option runs past the end of the message");
        if (m[off] == kOptSrcLL && olen >= 8)
            src_ll = m + off + 2;
        off += olen;
    }
    if (dad && src_ll != nullptr)
        return r.bad("source link-layer option with unspecified source (RFC 4861 7.1.1)");

    ov_packet_na_fields_t f{};
    f.src_mac = *answer;
    std::memcpy(f.src_ip, target, 16);
    std::memcpy(f.target, target, 16);
    f.flags = flags;
    if (dad) {
        // RFC 4861 7.2.4: answer a DAD probe to all-nodes, S clear.
        static constexpr uint8_t all_nodes[16] = {0xff, 0x02, 0, 0, 0, 0, 0, 0,
                                                  0,    0,    0, 0, 0, 0, 0, 1};
        std::memcpy(f.dst_ip, all_nodes, 16);
        f.dst_mac = ov_ether_addr_t{{0x33, 0x33, 0, 0, 0, 1}};
    } else {
        std::memcpy(f.dst_ip, ip + 8, 16);
        std::memcpy(f.dst_mac.octet, src_ll != nullptr ? src_ll : ns + 6, 6);
        f.flags |= OV_PACKET_NA_SOLICITED;
    }
    return ov_packet_na_build(&f, out, outcap, outlen, err);
}

int ov_packet_dhcp_redirect(const uint8_t* frame, size_t len, const ov_ether_addr_t* proxy,
                            uint8_t* out, size_t outcap, size_t* outlen, ov_error_t* err) {
    Reader r{frame, len, err, "DHCPv4 frame"};
    if (int rc = check_ethertype(r, kTypeIPv4, "IPv4"); rc != 0)
        return rc;
    const uint8_t* ip = r.at(kEthLen, 20, "IPv4 header");
    if (ip == nullptr)
        return -EINVAL;
    if ((ip[0] >> 4) != 4)
        return ov::fail(err, EINVAL, "DHCPv4 frame: IP version %u is not 4", ip[0] >> 4);
    size_t ihl = static_cast<size_t>(ip[0] & 0xf) * 4;
    if (ihl < 20)
        return ov::fail(err, EINVAL, "DHCPv4 frame: IPv4 header length %zu is below 20", ihl);
    if (r.at(kEthLen, ihl, "IPv4 options") == nullptr)
        return -EINVAL;
    size_t total = get16(ip + 2);
    if (total < ihl + 8)
        return ov::fail(err, EINVAL, "DHCPv4 frame: IPv4 total length %zu leaves no UDP header",
                        total);
    if (r.at(kEthLen, total, "IPv4 packet") == nullptr)
        return -EINVAL;
    if (ov_packet_cksum_fold(ip, ihl, 0) != 0xffff)
        return r.bad("bad IPv4 header checksum");
    if (get16(ip + 6) & 0x3fff)
        return r.bad("IPv4 fragments are not supported");
    if (ip[9] != 17)
        return ov::fail(err, EINVAL, "DHCPv4 frame: IP protocol %u is not UDP (17)", ip[9]);
    const uint8_t* udp = ip + ihl;
    uint16_t sport = get16(udp), dport = get16(udp + 2);
    if (sport != 68 || dport != 67)
        return ov::fail(err, EINVAL,
                        "DHCPv4 frame: UDP ports %u -> %u are not a client's (68 -> 67)", sport,
                        dport);
    size_t ulen = get16(udp + 4);
    if (ulen < 8 || ulen > total - ihl)
        return ov::fail(err, EINVAL,
                        "DHCPv4 frame: UDP length %zu does not fit the IPv4 payload (%zu)", ulen,
                        total - ihl);
    if (ulen < 8 + 240)
        return ov::fail(err, EINVAL,
                        "DHCPv4 frame: UDP payload of %zu bytes is too short for BOOTP and the "
                        "magic cookie (240)",
                        ulen - 8);
    const uint8_t* bootp = udp + 8;
    if (bootp[0] != 1)
        return ov::fail(err, EINVAL, "DHCPv4 frame: BOOTP op %u is not BOOTREQUEST (1)", bootp[0]);
    static constexpr uint8_t cookie[4] = {99, 130, 83, 99};
    if (std::memcmp(bootp + 236, cookie, 4) != 0)
        return r.bad("no DHCP magic cookie (BOOTP without DHCP)");
    if (int rc = check_room(len, outcap, err, "DHCPv4 redirect"); rc != 0)
        return rc;
    std::memmove(out, frame, len); // out may be the frame itself
    std::memcpy(out, proxy->octet, 6);
    *outlen = len;
    return 0;
}

} // extern "C"
