/*
 * Text forms shared by the daemon, the control client, overlayadm and the
 * tests: MACs (through libtools' ov_ethers), underlay addresses (through
 * ov_addr: IPv4 as a.b.c.d, held IPv4-mapped in 16 bytes; IPv6 as inet_ntop
 * writes it), and whole mappings (MappingText <-> the plugin ABI's
 * varpd_mapping_t), with a reason naming the field and the value when one
 * is wrong.
 */
#ifndef VARPD_TEXT_H
#define VARPD_TEXT_H

#include "channel.h"
#include "mapping.h"

#include <varpd/plugin.h>

#include <libtools/addr.h>
#include <libtools/ethers.h>

#include <arpa/inet.h>
#include <cstring>
#include <string>

namespace varpd {

/* libtools' reason without its "ethers: bad address 'TOKEN': " lead, for a
   message that names the token itself (once). */
inline std::string ethers_reason(const std::string& reason) {
    const std::string lead = "ethers: bad address '";
    size_t end = reason.rfind("': ");
    if (reason.compare(0, lead.size(), lead) == 0 && end != std::string::npos && end >= lead.size())
        return reason.substr(end + 3);
    return reason;
}

inline bool mac_from_text(const std::string& s, Mac& out, std::string* why = nullptr) {
    ov_ether_addr_t a;
    ov_error_t err;
    if (ov::ethers_parse(s, &a, &err) != 0) { /* the whole string: a NUL inside is refused */
        if (why)
            *why = "bad MAC \"" + s + "\": " + ethers_reason(err.reason);
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
    return ov::addr_parse(s, out);
}

inline std::string ip_to_text(const std::array<uint8_t, 16>& ip) {
    return ov::addr_format(ip);
}

/*
 * A mapping from its text form. false with *why naming the field and the
 * value ("arp \"1.2.3\" is not an IPv4 address") when one is wrong.
 */
inline bool mapping_from_text(const MappingText& t, varpd_mapping_t& m, std::string* why) {
    auto bad = [&](const std::string& w) {
        if (why)
            *why = w;
        return false;
    };
    std::memset(&m, 0, sizeof(m));
    Mac mac;
    if (!mac_from_text(t.mac, mac, why))
        return false;
    if (mac[0] & 1)
        return bad("MAC \"" + t.mac + "\" is a multicast or broadcast address");
    std::memcpy(m.vm_mac, mac.data(), 6);
    std::array<uint8_t, 16> ip{};
    if (t.ip.empty())
        return bad("mapping of " + t.mac + " has no underlay IP address");
    if (!ip_from_text(t.ip, ip))
        return bad("ip \"" + t.ip + "\" is not an IP address");
    std::memcpy(m.vm_dest.vd_ip, ip.data(), 16);
    if (t.port > 65535)
        return bad("port " + std::to_string(t.port) + " is outside 0-65535");
    m.vm_dest.vd_port = static_cast<uint16_t>(t.port);
    if (!t.arp.empty()) {
        if (t.arp.find('\0') != std::string::npos ||
            inet_pton(AF_INET, t.arp.c_str(), m.vm_arp) != 1)
            return bad("arp \"" + t.arp + "\" is not an IPv4 address");
        m.vm_flags |= VARPD_MAP_F_ARP;
    }
    if (!t.ndp.empty()) {
        if (t.ndp.find('\0') != std::string::npos ||
            inet_pton(AF_INET6, t.ndp.c_str(), m.vm_ndp) != 1)
            return bad("ndp \"" + t.ndp + "\" is not an IPv6 address");
        m.vm_flags |= VARPD_MAP_F_NDP;
    }
    if (!t.dhcp_proxy.empty()) {
        Mac d;
        std::string w;
        if (!mac_from_text(t.dhcp_proxy, d, &w))
            return bad("dhcp-proxy: " + w);
        std::memcpy(m.vm_dhcp, d.data(), 6);
        m.vm_flags |= VARPD_MAP_F_DHCP;
    }
    if (t.ttl > UINT32_MAX)
        return bad("ttl " + std::to_string(t.ttl) + " is more than " +
                   std::to_string(UINT32_MAX) + " seconds");
    m.vm_ttl = static_cast<uint32_t>(t.ttl);
    return true;
}

inline MappingText mapping_to_text(const varpd_mapping_t& m) {
    MappingText t;
    Mac mac;
    std::memcpy(mac.data(), m.vm_mac, 6);
    t.mac = mac_to_text(mac);
    std::array<uint8_t, 16> ip;
    std::memcpy(ip.data(), m.vm_dest.vd_ip, 16);
    t.ip = ip_to_text(ip);
    t.port = m.vm_dest.vd_port;
    char buf[INET6_ADDRSTRLEN];
    if ((m.vm_flags & VARPD_MAP_F_ARP) && inet_ntop(AF_INET, m.vm_arp, buf, sizeof(buf)))
        t.arp = buf;
    if ((m.vm_flags & VARPD_MAP_F_NDP) && inet_ntop(AF_INET6, m.vm_ndp, buf, sizeof(buf)))
        t.ndp = buf;
    if (m.vm_flags & VARPD_MAP_F_DHCP) {
        std::memcpy(mac.data(), m.vm_dhcp, 6);
        t.dhcp_proxy = mac_to_text(mac);
    }
    t.ttl = m.vm_ttl;
    return t;
}

} // namespace varpd

#endif
