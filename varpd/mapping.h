/*
 * MappingText: one mapping of a writable backend in the control API's text
 * form (control.capnp's Mapping), shared by the daemon, the client library
 * (client::Mapping) and overlayadm. Plain strings and numbers only: the
 * conversion to the plugin ABI's varpd_mapping_t, with its checks, is
 * mapping_from_text()/mapping_to_text() in text.h.
 */
#ifndef VARPD_MAPPING_H
#define VARPD_MAPPING_H

#include <cstdint>
#include <string>

namespace varpd {

struct MappingText {
    std::string mac;        /* xx:xx:xx:xx:xx:xx */
    std::string ip;         /* the underlay address, IPv4 or IPv6 */
    uint32_t port = 0;      /* 0: the encapsulation's default; at most 65535 */
    std::string arp;        /* "" none: the IPv4 address this MAC answers ARP for */
    std::string ndp;        /* "" none: the IPv6 address it answers NDP for */
    std::string dhcp_proxy; /* "" none: the MAC its DHCP requests go to */
    uint64_t ttl = 0;       /* seconds until it expires; 0 never; at most 2^32-1 */
    bool operator==(const MappingText&) const = default;
};

} // namespace varpd

#endif
