// The dissector table and the driver that walks a frame through it.
//
// Theory. A frame is decoded by a chain of dissectors. Each dissector owns
// one header: it reads it through the bounds-checked Reader in its Ctx,
// emits every field once into Out, and returns a Next naming the key space
// and key of what follows (an ethertype, an IP protocol, a UDP port pair, a
// link type). The driver looks that key up in the Table and calls the next
// dissector; there is no switch over protocols anywhere. Encapsulations
// (VXLAN, NVGRE) hand back to the Ethernet dissector one level deeper, so the
// inner frame is decoded by the same code as the outer one.
//
// States of a packet: decoding -> done | truncated (the capture was cut
// short and ended inside a header: everything read so far is printed, then
// "truncated") | malformed (a header contradicts itself, e.g. an IPv4 IHL
// below 5, or the packet is shorter than a header it carries: printed up to
// there, counted, decoding stops). Nesting is bounded (kMaxDepth
// encapsulation levels, kMaxLayers layers) so no input can loop.
//
// The Table is built by its owner (overlay-snoop's main, a test, the fuzz
// target); nothing registers itself globally. Not thread-safe per Ctx/Out;
// a Table is immutable after construction and may be shared.
//
// Not supported: IP reassembly (non-first fragments are shown, not decoded),
// TCP stream reassembly, checksum verification, IPsec payloads.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "out.h"
#include "reader.h"

namespace ov::snoop {

// Key spaces of the table.
enum class Ns : uint8_t {
    Stop = 0,  // nothing follows (or nothing we decode)
    Link,      // pcap link type (DLT_*)
    Ethertype, // Ethernet type / GRE protocol type
    IpProto,   // IPv4 protocol / IPv6 upper-layer next header
    Ip6Ext,    // IPv6 next header: extension headers first, then IpProto
    UdpPort,   // destination port, then source port
};

struct Next {
    Ns ns = Ns::Stop;
    uint32_t key = 0;
    uint32_t alt = UINT32_MAX; // second key to try (UDP source port)
};

constexpr int kMaxDepth = 8;   // encapsulation levels
constexpr int kMaxLayers = 48; // headers per frame

struct Ctx;
using DissectFn = Next (*)(Ctx&);

struct Dissector {
    const char* name;
    DissectFn fn;
};

struct Ctx {
    Reader r;
    Out& out;
    int depth = 0;
    PacketStatus status{};
    const char* cur = "frame"; // key of the layer being decoded
    bool has_vnetid = false;   // the outermost VXLAN VNI / NVGRE VSID
    uint32_t vnetid = 0;

    const uint8_t* cap_end;    // end of the captured bytes
    bool cap_short;            // fewer bytes captured than were on the wire

    Ctx(Reader rd, Out& o, bool short_capture)
        : r(rd), out(o), cap_end(rd.end_ptr()), cap_short(short_capture) {}

    // Start a layer: renders its header and remembers it for the status.
    void layer(const Layer& l) {
        cur = l.key;
        out.layer(l, depth);
    }
    // The current header needs more bytes than there are. That is
    // truncation when the capture was cut short (snaplen) and the reader
    // reaches the capture's end; otherwise the packet itself is too short
    // for what it claims (its own or an enclosing length): malformed.
    Next truncated() {
        if (cap_short && r.end_ptr() == cap_end) {
            if (!status.truncated_in)
                status.truncated_in = cur;
            return {};
        }
        return malformed("header runs past the end of the packet");
    }
    // The header contradicts itself; `why` must be a string literal.
    Next malformed(const char* why) {
        if (!status.malformed) {
            status.malformed = why;
            status.malformed_in = cur;
        }
        return {};
    }
    // An encapsulation found its tenant id (first one wins).
    void vnet(uint32_t id) {
        if (!has_vnetid) {
            has_vnetid = true;
            vnetid = id;
        }
    }
};

class Table {
public:
    // The standard bindings plus VXLAN on every port in vxlan_ports (the
    // caller passes 4789 and 8472 for the defaults; see overlay-snoop -P).
    explicit Table(std::span<const uint16_t> vxlan_ports);
    // Bind (or rebind) a key; false when the key is outside its key space.
    bool bind(Ns ns, uint32_t key, const Dissector& d);
    const Dissector* find(Ns ns, uint32_t key) const;
    // Resolve a Next: key, then alt; Ip6Ext falls back to IpProto.
    const Dissector* resolve(const Next& n) const;

private:
    // One directly indexed array per key space (every key space is at most
    // 16 bits wide), and a bitmap of the bound keys in front of it: most
    // lookups of random ports miss, and the 8 KiB bitmap stays in cache
    // where the 512 KiB array would not.
    std::vector<const Dissector*> by_ns_[6];
    std::vector<uint64_t> bound_[6];
};

// The VXLAN ports used when -P adds none.
inline constexpr uint16_t kDefaultVxlanPorts[] = {4789, 8472};

// Decode one frame of link type `dlt` into out (begin/end_packet included).
// Returns the Ctx's final status and tenant id through `result`.
struct FrameResult {
    PacketStatus status;
    bool has_vnetid = false;
    uint32_t vnetid = 0;
};
FrameResult dissect_frame(const Table& t, Out& out, int dlt, const PacketInfo& info,
                          const uint8_t* data, size_t caplen);

} // namespace ov::snoop
