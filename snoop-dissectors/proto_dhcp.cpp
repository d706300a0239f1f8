// DHCPv4 (on UDP ports 67 and 68).
#include <iterator>

#include "proto.h"

namespace ov::snoop {

namespace {

/*
 * DHCP (RFC 2131; options RFC 2132)
 *
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |     op (1)    |   htype (1)   |   hlen (1)    |   hops (1)    |
 * +---------------+---------------+---------------+---------------+
 * |                            xid (4)                            |
 * +-------------------------------+-------------------------------+
 * |           secs (2)            |           flags (2)           |
 * +-------------------------------+-------------------------------+
 * |                ciaddr, yiaddr, siaddr, giaddr (4 each)        |
 * +---------------------------------------------------------------+
 * |                chaddr (16), sname (64), file (128)            |
 * +---------------------------------------------------------------+
 * |      magic cookie 99.130.83.99, then options (variable)       |
 * +---------------------------------------------------------------+
 * Options: code(1) len(1) data; Pad (0) and End (255) have no length.
 */
const Name kDhcpTypes[] = {
    {1, "DISCOVER"}, {2, "OFFER"}, {3, "REQUEST"}, {4, "DECLINE"},
    {5, "ACK"},      {6, "NAK"},   {7, "RELEASE"}, {8, "INFORM"},
};
const Name kDhcpOps[] = {{1, "request"}, {2, "reply"}};
const Layer kDhcpLayer{"dhcp", "DHCP", "DHCP Header"};
const Field kOp{"op", "Operation", 0};
const Field kHtype{"htype", "Hardware type", 0};
const Field kHlen{"hlen", "Hardware addr length", 0};
const Field kHops{"hops", "Hops", 0};
const Field kXid{"xid", "Transaction id", kSum};
const Field kSecs{"secs", "Seconds", 0};
const Field kFlags{"flags", "Flags", 0};
const Field kCiaddr{"ciaddr", "Client address", 0};
const Field kYiaddr{"yiaddr", "Your address", 0};
const Field kYiaddrSum{"yiaddr", "Your address", kSum};
const Field kSiaddr{"siaddr", "Server address", 0};
const Field kGiaddr{"giaddr", "Relay agent address", 0};
const Field kChaddr{"chaddr", "Client HW address", kSum};
const Field kMsgType{"msg_type", "Message type", kBare};
const Field kReqIp{"requested_ip", "Requested address", kSum};
const Field kServerId{"server_id", "Server identifier", 0};
const Field kLease{"lease_time", "Lease time (s)", 0};
const Field kMask{"subnet_mask", "Subnet mask", 0};
const Field kRouter{"router", "Router", 0};
const Field kDns{"dns", "DNS server", 0};
const Field kHostname{"hostname", "Host name", kSum};
const Field kParams{"params", "Parameter request list", 0};
const Field kOtherOpts{"other_options", "Other options", 0};

// The option codes shown as one IPv4 address (the first when several).
struct AddrOpt {
    uint8_t code;
    const Field* f;
};
const AddrOpt kAddrOpts[] = {
    {1, &kMask}, {3, &kRouter}, {6, &kDns}, {50, &kReqIp}, {54, &kServerId},
};

Next dhcp(Ctx& c) {
    c.layer(kDhcpLayer);
    Reader& r = c.r;
    uint8_t op = r.u8();
    uint8_t htype = r.u8();
    uint8_t hlen = r.u8();
    uint8_t hops = r.u8();
    uint32_t xid = r.u32();
    uint16_t secs = r.u16();
    uint16_t flags = r.u16();
    if (!r.ok())
        return c.truncated();
    c.out.en(kOp, op, kDhcpOps);
    c.out.u(kHtype, htype);
    c.out.u(kHlen, hlen);
    c.out.u(kHops, hops);
    c.out.hex(kXid, xid, 8);
    c.out.u(kSecs, secs);
    c.out.hex(kFlags, flags, 4);
    const uint8_t* ci = r.bytes(4);
    const uint8_t* yi = r.bytes(4);
    const uint8_t* si = r.bytes(4);
    const uint8_t* gi = r.bytes(4);
    const uint8_t* ch = r.bytes(16);
    if (!r.ok())
        return c.truncated();
    c.out.ip4(kCiaddr, ci);
    c.out.ip4(yi[0] | yi[1] | yi[2] | yi[3] ? kYiaddrSum : kYiaddr, yi);
    c.out.ip4(kSiaddr, si);
    c.out.ip4(kGiaddr, gi);
    if (htype == 1 && hlen == 6)
        c.out.mac(kChaddr, ch);
    else
        c.out.bytes(kChaddr, ch, hlen < 16 ? hlen : 16);
    if (!r.skip(64 + 128))
        return c.truncated();
    uint32_t magic = r.u32();
    if (!r.ok())
        return c.truncated();
    if (magic != 0x63825363)
        return c.malformed("bad magic cookie");
    unsigned seen = 0; // address options already shown (bit per kAddrOpts)
    unsigned other = 0;
    bool have_type = false, have_lease = false, have_name = false, have_params = false;
    while (r.left()) {
        uint8_t code = r.u8();
        if (code == 0)
            continue;
        if (code == 255)
            break;
        uint8_t len = r.u8();
        Reader v = r.sub(len);
        if (!r.ok() || v.cut())
            return c.truncated();
        bool shown = false;
        for (unsigned i = 0; i < std::size(kAddrOpts); i++) {
            if (kAddrOpts[i].code == code && len >= 4 && !(seen & (1u << i))) {
                seen |= 1u << i;
                c.out.ip4(*kAddrOpts[i].f, v.bytes(4));
                shown = true;
            }
        }
        if (shown)
            continue;
        if (code == 53 && len == 1 && !have_type) {
            uint8_t t = v.u8();
            c.out.en(kMsgType, t, kDhcpTypes);
            have_type = true;
        } else if (code == 51 && len == 4 && !have_lease) {
            c.out.u(kLease, v.u32());
            have_lease = true;
        } else if (code == 12 && !have_name) {
            c.out.str(kHostname, std::string_view(reinterpret_cast<const char*>(v.here()), len));
            have_name = true;
        } else if (code == 55 && !have_params) {
            Scratch s;
            while (v.left()) {
                s.sep();
                s.num(v.u8());
            }
            c.out.str(kParams, s.view());
            have_params = true;
        } else {
            other++;
        }
    }
    if (other)
        c.out.u(kOtherOpts, other);
    return {};
}

} // namespace

const Dissector kDhcp{"dhcp", dhcp};

} // namespace ov::snoop
