/*
 * The files backend's table: the illumos overlay_files(5) JSON format,
 * parsed and checked into hashed maps.
 *
 *	{
 *	  "de:ad:be:ef:00:01": {
 *	    "ip": "192.0.2.10",          underlay address (required)
 *	    "port": 4789,                underlay port (0-65535; default 0)
 *	    "arp": "10.0.0.1",           the IPv4 address this MAC answers ARP for
 *	    "ndp": "fd00::1",            the IPv6 address it answers NDP for
 *	    "dhcp-proxy": "de:ad:be:ef:00:99"   where its DHCP requests go
 *	  }, ...
 *	}
 *
 * Theory: the file is written by a person or a script and read by a daemon
 * that must never act on half of it, so files_parse() checks all of it
 * before the caller swaps tables: JSON syntax (the reason carries nlohmann's
 * line and column), the shape (an object of objects), every key a MAC
 * (libtools' parser, which names the bad character), known members only
 * (a typo is an error, not a silently ignored field), their types and
 * ranges, and uniqueness (a MAC written twice, even in another case, and
 * an "arp" or "ndp" address claimed by two MACs). Errors in a value name
 * the line where its MAC's key is written. Lookups by MAC, by ARP address
 * and by NDP address are hash lookups (unordered_map), never scans.
 *
 * No state, no locking: this file is also the fuzz target's subject, and
 * builds with clang 14 (no <ranges>).
 */
#ifndef VARPD_FILES_TABLE_H
#define VARPD_FILES_TABLE_H

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>

namespace files {

using Mac = std::array<uint8_t, 6>;
using Ip6 = std::array<uint8_t, 16>;

struct Entry {
    Mac mac{};
    Ip6 ip{}; /* IPv4-mapped for IPv4 */
    uint16_t port = 0;
    bool has_arp = false;
    std::array<uint8_t, 4> arp{};
    bool has_ndp = false;
    Ip6 ndp{};
    bool has_dhcp = false;
    Mac dhcp_proxy{};
    /* What the kernel caches: a change here needs a shootdown. */
    bool same_destination(const Entry& o) const { return ip == o.ip && port == o.port; }
};

struct KeyHash {
    size_t operator()(uint64_t k) const { return std::hash<uint64_t>()(k * 0x9e3779b97f4a7c15ull); }
};

inline uint64_t mac_key(const uint8_t* m) {
    uint64_t k = 0;
    for (int i = 0; i < 6; i++)
        k = k << 8 | m[i];
    return k;
}

struct Ip6Hash {
    size_t operator()(const Ip6& a) const {
        uint64_t h = 0xcbf29ce484222325ull;
        for (uint8_t b : a)
            h = (h ^ b) * 0x100000001b3ull;
        return h;
    }
};

struct Table {
    std::unordered_map<uint64_t, Entry, KeyHash> by_mac;
    std::unordered_map<uint32_t, Mac> by_arp; /* IPv4 in network order as a number */
    std::unordered_map<Ip6, Mac, Ip6Hash> by_ndp;

    const Entry* find(const uint8_t* mac) const {
        auto it = by_mac.find(mac_key(mac));
        return it == by_mac.end() ? nullptr : &it->second;
    }
    const Mac* find_arp(const uint8_t* ip4) const;
    const Mac* find_ndp(const uint8_t* ip6) const;
};

/* "" and *out filled, or why the text is refused (out is then unspecified). */
std::string parse(std::string_view text, Table& out);

} // namespace files

#endif
