/*
 * Text forms shared by the daemon, the control client and the tests: MACs
 * (through libtools' ov_ethers) and underlay addresses (IPv4 as a.b.c.d,
 * held IPv4-mapped in 16 bytes; IPv6 as inet_ntop writes it).
 */
#ifndef VARPD_TEXT_H
#define VARPD_TEXT_H

#include "channel.h"

#include <libtools/ethers.h>

#include <arpa/inet.h>
#include <cstring>
#include <string>

namespace varpd {

inline bool mac_from_text(const std::string& s, Mac& out, std::string* why = nullptr) {
    ov_ether_addr_t a;
    ov_error_t err;
    if (ov_ethers_parse(s.c_str(), &a, &err) != 0) {
        if (why)
            *why = "bad MAC \"" + s + "\": " + err.reason;
        return false;
    }
    std::memcpy(out.data(), a.octet, 6);
    return true;
}

inline std::string mac_to_text(const Mac& m) {
    ov_ether_addr_t a;
    std::memcpy(a.octet, m.data(), 6);
    return ov::ethers_format(a);
}

inline bool ip_from_text(const std::string& s, std::array<uint8_t, 16>& out) {
    in_addr v4;
    if (inet_pton(AF_INET, s.c_str(), &v4) == 1) {
        out.fill(0);
        out[10] = out[11] = 0xff;
        std::memcpy(&out[12], &v4, 4);
        return true;
    }
    return inet_pton(AF_INET6, s.c_str(), out.data()) == 1;
}

inline std::string ip_to_text(const std::array<uint8_t, 16>& ip) {
    char buf[INET6_ADDRSTRLEN];
    static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (std::memcmp(ip.data(), mapped, 12) == 0)
        inet_ntop(AF_INET, &ip[12], buf, sizeof(buf));
    else
        inet_ntop(AF_INET6, ip.data(), buf, sizeof(buf));
    return buf;
}

} // namespace varpd

#endif
