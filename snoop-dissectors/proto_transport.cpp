// Transport dissectors: UDP and TCP (flags and an options summary).
#include "proto.h"

namespace ov::snoop {

namespace {

/*
 * UDP (RFC 768)
 *
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |          Source Port          |       Destination Port        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |            Length             |           Checksum            |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * The payload goes to the dissector bound to the destination port, else
 * to the one bound to the source port (so DHCP replies decode too).
 */
const Layer kUdpLayer{"udp", "UDP", "UDP Header"};
const Field kSport{"sport", "Source port", kBare};
const Field kDport{"dport", "Destination port", kTo};
const Field kUdpLen{"length", "Length", 0};
const Field kUdpSum{"checksum", "Checksum", 0};

// Source and destination port, common to UDP and TCP; false when short.
bool ports(Ctx& c, uint16_t& sport, uint16_t& dport) {
    sport = c.r.u16();
    dport = c.r.u16();
    if (!c.r.ok())
        return false;
    c.out.u(kSport, sport);
    c.out.u(kDport, dport);
    return true;
}

Next udp(Ctx& c) {
    c.layer(kUdpLayer);
    Reader& r = c.r;
    uint16_t sport, dport;
    if (!ports(c, sport, dport))
        return c.truncated();
    uint16_t len = r.u16();
    uint16_t sum = r.u16();
    if (!r.ok())
        return c.truncated();
    c.out.u(kUdpLen, len);
    c.out.hex(kUdpSum, sum, 4);
    if (len < 8)
        return c.malformed("length below 8");
    r.limit(len - 8u);
    return {Ns::UdpPort, dport, sport};
}

/*
 * TCP (RFC 9293)
 *
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |          Source Port          |       Destination Port        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                        Sequence Number                        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                    Acknowledgment Number                      |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |  Data |       |C|E|U|A|P|R|S|F|                               |
 * | Offset| Rsrvd |W|C|R|C|S|S|Y|I|            Window             |
 * |       |       |R|E|G|K|H|T|N|N|                               |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |           Checksum            |         Urgent Pointer        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                    Options                    |    Padding    |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * Options: EOL(0), NOP(1), MSS(2,4), window scale(3,3), SACK permitted
 * (4,2), SACK(5,n), timestamps(8,10); others shown by number.
 */
const Layer kTcpLayer{"tcp", "TCP", "TCP Header"};
const Field kSeq{"seq", "Sequence number", kSum};
const Field kAck{"ack", "Acknowledgement number", kSum};
const Field kDoff{"header_length", "Header length (bytes)", 0};
const Field kTcpFlags{"flags", "Flags", kSum};
const Field kWin{"win", "Window", kSum};
const Field kTcpSum{"checksum", "Checksum", 0};
const Field kUrg{"urgent", "Urgent pointer", 0};
const Field kTcpOpts{"options", "Options", kSum};

const char* const kTcpFlagNames[] = {"FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR"};

// Summarise options into s; false when an option length is impossible.
bool tcp_options(Reader o, Scratch& s) {
    while (o.left()) {
        uint8_t kind = o.u8();
        s.sep();
        if (kind == 0) {
            s.add("eol");
            break;
        }
        if (kind == 1) {
            s.add("nop");
            continue;
        }
        uint8_t len = o.u8();
        if (!o.ok() || len < 2)
            return false;
        Reader v = o.sub(len - 2u);
        if (v.cut())
            return false;
        if (kind == 2 && len == 4) {
            s.add("mss ");
            s.num(v.u16());
        } else if (kind == 3 && len == 3) {
            s.add("wscale ");
            s.num(v.u8());
        } else if (kind == 4 && len == 2) {
            s.add("sackOK");
        } else if (kind == 5) {
            s.add("sack ");
            s.num((len - 2u) / 8);
        } else if (kind == 8 && len == 10) {
            s.add("ts ");
            s.num(v.u32());
            s.add(" ");
            s.num(v.u32());
        } else {
            s.add("opt");
            s.num(kind);
        }
    }
    return true;
}

Next tcp(Ctx& c) {
    c.layer(kTcpLayer);
    Reader& r = c.r;
    uint16_t sport, dport;
    if (!ports(c, sport, dport))
        return c.truncated();
    uint32_t seq = r.u32();
    uint32_t ack = r.u32();
    uint8_t doff = r.u8();
    uint8_t flags = r.u8();
    uint16_t win = r.u16();
    uint16_t sum = r.u16();
    uint16_t urg = r.u16();
    if (!r.ok())
        return c.truncated();
    if (c.out.wants(kTcpFlags)) {
        Scratch s;
        for (int i = 0; i < 8; i++) {
            if (flags & (1u << i)) {
                s.sep();
                s.add(kTcpFlagNames[i]);
            }
        }
        c.out.str(kTcpFlags, s.empty() ? "none" : s.view());
    }
    c.out.u(kSeq, seq);
    if (flags & 0x10)
        c.out.u(kAck, ack);
    c.out.u(kWin, win);
    unsigned hlen = (doff >> 4) * 4u;
    c.out.u(kDoff, hlen);
    c.out.hex(kTcpSum, sum, 4);
    c.out.u(kUrg, urg);
    if (hlen < 20)
        return c.malformed("data offset below 5");
    if (hlen > 20) {
        Reader o = r.sub(hlen - 20);
        Scratch s;
        bool good = tcp_options(o, s);
        c.out.str(kTcpOpts, s.view());
        if (o.cut())
            return c.truncated();
        if (!good)
            return c.malformed("bad option length");
    }
    return {};
}

} // namespace

const Dissector kUdp{"udp", udp};
const Dissector kTcp{"tcp", tcp};

} // namespace ov::snoop
