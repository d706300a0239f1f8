// Encapsulation dissectors: VXLAN, GRE and NVGRE. Each records the tenant
// id (VNI / VSID) for -V and hands the inner frame back to the Ethernet
// dissector one level deeper.
#include "proto.h"

namespace ov::snoop {

namespace {

/*
 * VXLAN (RFC 7348), on the UDP ports bound in the table
 *
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |R|R|R|R|I|R|R|R|            Reserved                           |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                VXLAN Network Identifier (VNI) |   Reserved    |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * The I flag must be set for the VNI to be valid (RFC 7348 5).
 */
const Layer kVxlanLayer{"vxlan", "VXLAN", "VXLAN Header"};
const Field kVxFlags{"flags", "Flags", 0};
const Field kVni{"vni", "VNI", kSum};

Next vxlan(Ctx& c) {
    c.layer(kVxlanLayer);
    Reader& r = c.r;
    uint8_t flags = r.u8();
    r.skip(3);
    uint32_t vni = r.u24();
    r.u8();
    if (!r.ok())
        return c.truncated();
    c.out.hex(kVxFlags, flags, 2);
    c.out.u(kVni, vni);
    if (!(flags & 0x08))
        return c.malformed("I flag clear");
    c.vnet(vni);
    return enter_inner_ethernet(c);
}

/*
 * GRE (RFC 2784, key and sequence RFC 2890) and NVGRE (RFC 7637)
 *
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |C| |K|S| Reserved0       | Ver |         Protocol Type         |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |      Checksum (optional)      |       Reserved1 (Optional)    |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                         Key (optional)                        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                 Sequence Number (Optional)                    |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * NVGRE is GRE with C=0, K=1, protocol 0x6558 (transparent Ethernet
 * bridging) and the key split as Virtual Subnet ID (24) | FlowID (8).
 */
const Layer kGreLayer{"gre", "GRE", "GRE Header"};
const Layer kNvgreLayer{"nvgre", "NVGRE", "NVGRE Header"};
const Field kGreFlags{"flags", "Flags", 0};
const Field kGreVer{"version", "Version", 0};
const Field kGreProto{"proto", "Protocol type", 0};
const Field kGreSum{"checksum", "Checksum", 0};
const Field kGreKey{"key", "Key", kSum};
const Field kGreKeyRaw{"key", "Key", 0};
const Field kGreSeq{"seq", "Sequence number", kSum};
const Field kVsid{"vsid", "Virtual Subnet ID", kSum};
const Field kFlowId{"flowid", "FlowID", kSum};

Next gre(Ctx& c) {
    Reader& r = c.r;
    uint16_t fv = r.u16();
    uint16_t proto = r.u16();
    bool nvgre = r.ok() && (fv & 0xb000) == 0x2000 && proto == 0x6558;
    c.layer(nvgre ? kNvgreLayer : kGreLayer);
    if (!r.ok())
        return c.truncated();
    Scratch s;
    if (fv & 0x8000)
        s.add("C");
    if (fv & 0x2000) {
        s.sep();
        s.add("K");
    }
    if (fv & 0x1000) {
        s.sep();
        s.add("S");
    }
    c.out.str(kGreFlags, s.empty() ? "none" : s.view());
    c.out.u(kGreVer, fv & 7);
    c.out.en(kGreProto, proto, kEthertypeNames, 4);
    if (fv & 0x8000) {
        uint16_t sum = r.u16();
        r.u16();
        if (!r.ok())
            return c.truncated();
        c.out.hex(kGreSum, sum, 4);
    }
    if (fv & 0x2000) {
        uint32_t key = r.u32();
        if (!r.ok())
            return c.truncated();
        if (nvgre) {
            c.out.u(kVsid, key >> 8);
            c.out.u(kFlowId, key & 0xff);
            c.out.hex(kGreKeyRaw, key, 8);
            c.vnet(key >> 8);
        } else {
            c.out.hex(kGreKey, key, 8);
        }
    }
    if (fv & 0x1000) {
        uint32_t seq = r.u32();
        if (!r.ok())
            return c.truncated();
        c.out.u(kGreSeq, seq);
    }
    if ((fv & 7) != 0)
        return c.malformed("GRE version is not 0");
    return {Ns::Ethertype, proto};
}

} // namespace

const Dissector kVxlan{"vxlan", vxlan};
const Dissector kGre{"gre", gre};

} // namespace ov::snoop
