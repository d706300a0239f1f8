// Packet crafting for overlay-snoop's tests and benchmark: byte-exact
// builders for the headers overlay-snoop decodes, the golden packet list and
// a reproducible VXLAN/NVGRE mix. Used by snoop-mkcap (which writes them to
// pcap files) and by the unit tests (which feed them to the dissectors
// in-process). Deliberately independent of libtools and of the dissectors.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <vector>

namespace ov::snoop::craft {

using Bytes = std::vector<uint8_t>;
using Mac = std::array<uint8_t, 6>;
using Ip4 = std::array<uint8_t, 4>;
using Ip6 = std::array<uint8_t, 16>;

struct Buf {
    Bytes b;
    Buf& u8(unsigned v) {
        b.push_back(uint8_t(v));
        return *this;
    }
    Buf& u16(unsigned v) { return u8(v >> 8).u8(v); }
    Buf& u32(uint32_t v) { return u16(v >> 16).u16(v & 0xffff); }
    Buf& put(const Bytes& x) {
        b.insert(b.end(), x.begin(), x.end());
        return *this;
    }
    Buf& put(std::initializer_list<uint8_t> x) {
        b.insert(b.end(), x.begin(), x.end());
        return *this;
    }
    Buf& zeros(size_t n) {
        b.insert(b.end(), n, 0);
        return *this;
    }
};

// Tenant MAC 02:00:5e:10:<host>:<last>, IPv6 <a>::<z>, IPv4 10.1.0.<h>.
Mac mac(uint8_t last, uint8_t host = 0);
Ip6 ip6(uint16_t a, uint16_t z);
Ip4 t4(uint8_t h);

struct V4 {
    Ip4 src, dst;
    uint8_t proto;
    uint16_t id = 1;
    uint16_t frag = 0x4000; // DF
    uint8_t ttl = 64;
    Bytes opts{};
    int ihl_override = -1;
    bool l4sum = true; // fill in the TCP/UDP/ICMPv6 checksum
};

Bytes eth(const Mac& dst, const Mac& src, uint16_t type, const Bytes& payload);
Bytes vlan(uint16_t tci, uint16_t type, const Bytes& payload);
Bytes ipv4(const V4& h, Bytes payload);
// payload begins with `ext` bytes of extension headers; `upper` names the
// protocol after them for the checksum.
Bytes ipv6(const Ip6& src, const Ip6& dst, uint8_t nh, Bytes payload, uint8_t hlim = 64,
           uint8_t upper = 0, size_t ext = 0);
Bytes udp(uint16_t sport, uint16_t dport, const Bytes& payload, int len_override = -1);
Bytes tcp(uint16_t sport, uint16_t dport, uint32_t seq, uint32_t ack, uint8_t flags,
          const Bytes& opts, const Bytes& payload = {}, int doff_override = -1);
Bytes syn_opts(); // mss 1460, sackOK, ts 4660 0, nop, wscale 7
Bytes icmp_echo(uint8_t type, uint16_t id, uint16_t seq, size_t datalen = 16);
Bytes arp(uint16_t op, const Mac& sha, const Ip4& spa, const Mac& tha, const Ip4& tpa);
Bytes vxlan(uint32_t vni, const Bytes& inner, uint8_t flags = 0x08);
Bytes nvgre(uint32_t vsid, uint8_t flowid, const Bytes& inner);
// A whole underlay frame (192.0.2.1 -> 192.0.2.2) around an inner frame.
Bytes over_vxlan(uint32_t vni, const Bytes& inner, uint16_t port = 4789, uint16_t sport = 49152,
                 uint8_t flags = 0x08);
Bytes over_nvgre(uint32_t vsid, uint8_t flow, const Bytes& inner);

// A packet and the length it had on the wire (more than captured when cut).
struct Rec {
    Bytes b;
    uint32_t orig;
};
// The golden capture's packets, in order.
std::vector<Rec> golden();

// A small deterministic generator (xorshift), so a mix is reproducible.
struct Rng {
    uint64_t s;
    uint32_t next() {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        return uint32_t(s >> 11);
    }
};
// One packet of the VXLAN/NVGRE mix: inner TCP, UDP or ICMP, varied ids.
Bytes mixed(Rng& r);

} // namespace ov::snoop::craft
