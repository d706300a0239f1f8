// Frames a tenant sends, built by hand for the tests (ARP request, IPv6
// Neighbour Solicitation with a valid checksum, DHCPDISCOVER, plain unicast).
#ifndef VARPD_TEST_FRAMES_H
#define VARPD_TEST_FRAMES_H

#include <libtools/packet.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <vector>

namespace vt {

using Bytes = std::vector<uint8_t>;
using Mac6 = std::array<uint8_t, 6>;

inline void put16(Bytes& b, uint16_t v) {
    b.push_back(static_cast<uint8_t>(v >> 8));
    b.push_back(static_cast<uint8_t>(v));
}
inline void put(Bytes& b, const uint8_t* p, size_t n) { b.insert(b.end(), p, p + n); }

inline Bytes ether(const Mac6& dst, const Mac6& src, uint16_t type) {
    Bytes b;
    put(b, dst.data(), 6);
    put(b, src.data(), 6);
    put16(b, type);
    return b;
}

inline Bytes unicast(const Mac6& dst, const Mac6& src) {
    Bytes b = ether(dst, src, 0x0800);
    b.resize(60, 0);
    return b;
}

inline Bytes arp_request(const Mac6& src, const std::array<uint8_t, 4>& sip,
                         const std::array<uint8_t, 4>& tip) {
    Bytes b = ether({0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, src, 0x0806);
    put16(b, 1);      /* Ethernet */
    put16(b, 0x0800); /* IPv4 */
    b.push_back(6);
    b.push_back(4);
    put16(b, 1); /* request */
    put(b, src.data(), 6);
    put(b, sip.data(), 4);
    b.insert(b.end(), 6, 0);
    put(b, tip.data(), 4);
    b.resize(60, 0);
    return b;
}

/* ICMPv6 checksum over the pseudo-header; returns the folded sum (0xffff = valid). */
inline uint16_t icmp6_sum(const uint8_t* src, const uint8_t* dst, const uint8_t* icmp, size_t len) {
    Bytes p;
    put(p, src, 16);
    put(p, dst, 16);
    put16(p, 0);
    put16(p, static_cast<uint16_t>(len));
    p.insert(p.end(), {0, 0, 0, 58});
    put(p, icmp, len);
    return ov_packet_cksum_fold(p.data(), p.size(), 0);
}

inline Bytes neighbour_solicit(const Mac6& src, const std::array<uint8_t, 16>& sip,
                               const std::array<uint8_t, 16>& target) {
    std::array<uint8_t, 16> dip = {0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff,
                                   target[13], target[14], target[15]};
    Bytes b = ether({0x33, 0x33, 0xff, target[13], target[14], target[15]}, src, 0x86dd);
    b.insert(b.end(), {0x60, 0, 0, 0});
    put16(b, 32);
    b.push_back(58);
    b.push_back(255);
    put(b, sip.data(), 16);
    put(b, dip.data(), 16);
    size_t icmp = b.size();
    b.insert(b.end(), {135, 0, 0, 0, 0, 0, 0, 0});
    put(b, target.data(), 16);
    b.insert(b.end(), {1, 1});
    put(b, src.data(), 6);
    uint16_t sum = static_cast<uint16_t>(~icmp6_sum(sip.data(), dip.data(), &b[icmp], 32));
    b[icmp + 2] = static_cast<uint8_t>(sum >> 8);
    b[icmp + 3] = static_cast<uint8_t>(sum);
    return b;
}

inline Bytes dhcp_discover(const Mac6& src) {
    Bytes bootp(240, 0);
    bootp[0] = 1; /* BOOTREQUEST */
    bootp[1] = 1;
    bootp[2] = 6;
    bootp[4] = 0x12; /* xid */
    std::memcpy(&bootp[28], src.data(), 6);
    bootp[236] = 99;
    bootp[237] = 130;
    bootp[238] = 83;
    bootp[239] = 99;
    bootp.insert(bootp.end(), {53, 1, 1, 255});
    Bytes b = ether({0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, src, 0x0800);
    size_t ip = b.size();
    uint16_t udplen = static_cast<uint16_t>(8 + bootp.size());
    b.insert(b.end(), {0x45, 0});
    put16(b, static_cast<uint16_t>(20 + udplen));
    b.insert(b.end(), {0, 0, 0, 0, 64, 17, 0, 0, 0, 0, 0, 0, 255, 255, 255, 255});
    uint16_t c = static_cast<uint16_t>(~ov_packet_cksum_fold(&b[ip], 20, 0));
    b[ip + 10] = static_cast<uint8_t>(c >> 8);
    b[ip + 11] = static_cast<uint8_t>(c);
    put16(b, 68);
    put16(b, 67);
    put16(b, udplen);
    put16(b, 0); /* no UDP checksum (allowed over IPv4) */
    put(b, bootp.data(), bootp.size());
    return b;
}

} // namespace vt

#endif
