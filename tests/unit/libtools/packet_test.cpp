// Tests for ov_packet. The frames we build are checked by tshark, an
// independent decoder: requests and answers are written to a pcap file with
// libpcap, tshark prints the fields we care about, and each is compared with
// what was asked for (including tshark's own verdict on the ICMPv6, IPv4 and
// UDP checksums). The test inputs go through tshark too, so a wrong test
// frame cannot make a wrong builder pass. Refusals are checked field by
// field with their reasons, and every truncation and many corruptions of
// valid requests must be refused or answered, never crash.
#include "tempdir.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <functional>
#include <gtest/gtest.h>
#include <libtools/packet.h>
#include <pcap/pcap.h>
#include <random>
#include <sstream>
#include <string>
#include <vector>

namespace {

using Frame = std::vector<uint8_t>;

const ov_ether_addr_t kClient{{0x02, 0, 0, 0, 0, 0x0a}};
const ov_ether_addr_t kAnswer{{0x02, 0, 0, 0, 0, 0x14}};
const ov_ether_addr_t kProxy{{0x02, 0, 0, 0, 0, 0x99}};
const ov_ether_addr_t kBcast{{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};
const uint8_t kFd00a[16] = {0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x0a};
const uint8_t kFd0014[16] = {0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x14};
const uint8_t kSolicited14[16] = {0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff, 0, 0, 0x14};
const uint8_t kUnspec[16] = {};

void put16(Frame& f, size_t off, uint16_t v) {
    f[off] = static_cast<uint8_t>(v >> 8);
    f[off + 1] = static_cast<uint8_t>(v);
}
void put_mac(Frame& f, size_t off, const ov_ether_addr_t& m) {
    std::memcpy(&f[off], m.octet, 6);
}
void eth(Frame& f, const ov_ether_addr_t& dst, const ov_ether_addr_t& src, uint16_t type) {
    put_mac(f, 0, dst);
    put_mac(f, 6, src);
    put16(f, 12, type);
}

// ARP request "who has 10.0.0.20? tell 10.0.0.10", padded to 60 bytes.
Frame arp_request() {
    Frame f(60, 0);
    eth(f, kBcast, kClient, 0x0806);
    put16(f, 14, 1);
    put16(f, 16, 0x0800);
    f[18] = 6;
    f[19] = 4;
    put16(f, 20, 1);
    put_mac(f, 22, kClient);
    const uint8_t spa[4] = {10, 0, 0, 10}, tpa[4] = {10, 0, 0, 20};
    std::memcpy(&f[28], spa, 4);
    std::memcpy(&f[38], tpa, 4);
    return f;
}

void fix_icmp6_sum(Frame& f) {
    size_t plen = static_cast<size_t>(f[18] << 8 | f[19]);
    f[56] = f[57] = 0;
    uint8_t pseudo[40] = {};
    std::memcpy(pseudo, &f[22], 32);
    pseudo[34] = static_cast<uint8_t>(plen >> 8);
    pseudo[35] = static_cast<uint8_t>(plen);
    pseudo[39] = 58;
    uint32_t s = ov_packet_cksum_fold(pseudo, sizeof(pseudo), 0);
    put16(f, 56, static_cast<uint16_t>(~ov_packet_cksum_fold(&f[54], plen, s)));
}

// Neighbour Solicitation for fd00::14 from src (with a source link-layer
// option unless src is "::").
Frame ns_request(const uint8_t* src, const ov_ether_addr_t& eth_src, bool with_sll = true) {
    bool dad = std::memcmp(src, kUnspec, 16) == 0;
    size_t plen = 24 + (with_sll && !dad ? 8 : 0);
    Frame f(14 + 40 + plen, 0);
    eth(f, ov_ether_addr_t{{0x33, 0x33, 0xff, 0, 0, 0x14}}, eth_src, 0x86dd);
    f[14] = 0x60;
    put16(f, 18, static_cast<uint16_t>(plen));
    f[20] = 58;
    f[21] = 255;
    std::memcpy(&f[22], src, 16);
    std::memcpy(&f[38], kSolicited14, 16);
    f[54] = 135;
    std::memcpy(&f[62], kFd0014, 16);
    if (plen > 24) {
        f[78] = 1;
        f[79] = 1;
        put_mac(f, 80, eth_src);
    }
    fix_icmp6_sum(f);
    return f;
}

void fix_ip_sum(Frame& f) {
    f[24] = f[25] = 0;
    size_t ihl = static_cast<size_t>(f[14] & 0xf) * 4;
    put16(f, 24, static_cast<uint16_t>(~ov_packet_cksum_fold(&f[14], ihl, 0)));
}

void fix_udp_sum(Frame& f) {
    size_t udp = 14 + 20;
    size_t ulen = static_cast<size_t>(f[udp + 4] << 8 | f[udp + 5]);
    f[udp + 6] = f[udp + 7] = 0;
    uint8_t pseudo[12] = {};
    std::memcpy(pseudo, &f[26], 8); // source and destination addresses
    pseudo[9] = 17;
    pseudo[10] = static_cast<uint8_t>(ulen >> 8);
    pseudo[11] = static_cast<uint8_t>(ulen);
    uint32_t s = ov_packet_cksum_fold(pseudo, sizeof(pseudo), 0);
    uint16_t c = static_cast<uint16_t>(~ov_packet_cksum_fold(&f[udp], ulen, s));
    put16(f, udp + 6, c == 0 ? 0xffff : c);
}

// DHCPDISCOVER from kClient: 0.0.0.0:68 -> 255.255.255.255:67.
Frame dhcp_discover() {
    const size_t bootp_len = 300, ulen = 8 + bootp_len, total = 20 + ulen;
    Frame f(14 + total, 0);
    eth(f, kBcast, kClient, 0x0800);
    f[14] = 0x45;
    put16(f, 16, static_cast<uint16_t>(total));
    put16(f, 18, 0x1234);
    f[22] = 64;
    f[23] = 17;
    std::memset(&f[30], 0xff, 4);
    size_t udp = 34;
    put16(f, udp, 68);
    put16(f, udp + 2, 67);
    put16(f, udp + 4, static_cast<uint16_t>(ulen));
    size_t b = udp + 8;
    f[b] = 1;     // BOOTREQUEST
    f[b + 1] = 1; // Ethernet
    f[b + 2] = 6;
    f[b + 4] = 0xca;
    f[b + 5] = 0xfe;
    f[b + 6] = 0xf0;
    f[b + 7] = 0x0d;
    put16(f, b + 10, 0x8000); // broadcast flag
    put_mac(f, b + 28, kClient);
    const uint8_t tail[] = {99, 130, 83, 99, 53, 1, 1, 255};
    std::memcpy(&f[b + 236], tail, sizeof(tail));
    fix_ip_sum(f);
    fix_udp_sum(f);
    return f;
}

std::string tshark_path() {
    for (const char* p : {"/usr/bin/tshark", "/usr/local/bin/tshark"})
        if (::access(p, X_OK) == 0)
            return p;
    return "";
}

// Write frames to a pcap and return tshark's rows, one vector of fields per frame.
std::vector<std::vector<std::string>> tshark_fields(const std::vector<Frame>& frames,
                                                    const std::vector<std::string>& fields) {
    TempDir d;
    std::string file = d.file("frames.pcap");
    pcap_t* dead = pcap_open_dead(DLT_EN10MB, 65535);
    EXPECT_NE(dead, nullptr);
    pcap_dumper_t* dump = pcap_dump_open(dead, file.c_str());
    EXPECT_NE(dump, nullptr) << pcap_geterr(dead);
    for (size_t i = 0; i < frames.size(); i++) {
        struct pcap_pkthdr h {};
        h.ts.tv_sec = static_cast<time_t>(1700000000 + i);
        h.caplen = h.len = static_cast<bpf_u_int32>(frames[i].size());
        pcap_dump(reinterpret_cast<u_char*>(dump), &h, frames[i].data());
    }
    pcap_dump_close(dump);
    pcap_close(dead);

    std::string cmd = tshark_path() + " -n -r " + file +
                      " -o ip.check_checksum:TRUE -o udp.check_checksum:TRUE"
                      " -T fields -E separator=, -E occurrence=a -E aggregator=/";
    for (const auto& f : fields)
        cmd += " -e " + f;
    cmd += " 2>/dev/null"; // tshark warns when run as root
    std::vector<std::vector<std::string>> rows;
    FILE* p = ::popen(cmd.c_str(), "r");
    EXPECT_NE(p, nullptr);
    if (p == nullptr)
        return rows;
    char line[4096];
    while (std::fgets(line, sizeof(line), p) != nullptr) {
        std::string s(line);
        if (!s.empty() && s.back() == '\n')
            s.pop_back();
        std::vector<std::string> row;
        std::stringstream ss(s);
        std::string field;
        while (std::getline(ss, field, ','))
            row.push_back(field);
        while (row.size() < fields.size())
            row.emplace_back(); // trailing empty fields
        rows.push_back(row);
    }
    EXPECT_EQ(::pclose(p), 0) << cmd;
    EXPECT_EQ(rows.size(), frames.size()) << cmd;
    return rows;
}

#define REQUIRE_TSHARK()                                                                           \
    do {                                                                                           \
        if (tshark_path().empty())                                                                 \
            GTEST_SKIP() << "tshark is not installed";                                             \
    } while (0)

// Compare one tshark row with the expected field values, naming mismatches.
void expect_row(const std::vector<std::string>& row, const std::vector<std::string>& names,
                const std::vector<std::string>& want, const char* what) {
    ASSERT_EQ(row.size(), names.size());
    for (size_t i = 0; i < names.size(); i++)
        EXPECT_EQ(row[i], want[i]) << what << ": tshark field " << names[i];
}

TEST(PacketTshark, ArpReplyDecodesAsAskedFor) {
    REQUIRE_TSHARK();
    Frame req = arp_request();
    Frame out(128);
    ov_error_t err{};
    auto r = ov::packet_arp_reply(req, kAnswer, out, &err);
    ASSERT_EQ(r.rc, 0) << err.reason;
    ASSERT_EQ(r.len, size_t{OV_PACKET_ARP_REPLY_LEN});
    out.resize(r.len);

    const std::vector<std::string> f = {"frame.len",      "eth.dst",
                                        "eth.src",        "arp.opcode",
                                        "arp.src.hw_mac", "arp.src.proto_ipv4",
                                        "arp.dst.hw_mac", "arp.dst.proto_ipv4",
                                        "_ws.expert"};
    auto rows = tshark_fields({req, out}, f);
    ASSERT_EQ(rows.size(), 2u);
    expect_row(rows[0], f,
               {"60", "ff:ff:ff:ff:ff:ff", "02:00:00:00:00:0a", "1", "02:00:00:00:00:0a",
                "10.0.0.10", "00:00:00:00:00:00", "10.0.0.20", ""},
               "request (test input)");
    expect_row(rows[1], f,
               {"60", "02:00:00:00:00:0a", "02:00:00:00:00:14", "2", "02:00:00:00:00:14",
                "10.0.0.20", "02:00:00:00:00:0a", "10.0.0.10", ""},
               "reply");
}

TEST(PacketTshark, ArpReplyFromFields) {
    REQUIRE_TSHARK();
    ov_packet_arp_fields_t fl{};
    fl.sender_mac = kProxy;
    const uint8_t sip[4] = {192, 168, 7, 1}, tip[4] = {192, 168, 7, 200};
    std::memcpy(fl.sender_ip, sip, 4);
    fl.target_mac = kClient;
    std::memcpy(fl.target_ip, tip, 4);
    Frame out(OV_PACKET_ARP_REPLY_LEN);
    size_t len = 0;
    ov_error_t err{};
    ASSERT_EQ(ov_packet_arp_reply_build(&fl, out.data(), out.size(), &len, &err), 0) << err.reason;
    const std::vector<std::string> f = {"eth.dst", "arp.opcode", "arp.src.hw_mac",
                                        "arp.src.proto_ipv4", "arp.dst.proto_ipv4"};
    auto rows = tshark_fields({out}, f);
    ASSERT_EQ(rows.size(), 1u);
    expect_row(rows[0], f,
               {"02:00:00:00:00:0a", "2", "02:00:00:00:00:99", "192.168.7.1", "192.168.7.200"},
               "reply from fields");
}

const std::vector<std::string> kNaFields = {"eth.dst",
                                            "eth.src",
                                            "ipv6.plen",
                                            "ipv6.nxt",
                                            "ipv6.hlim",
                                            "ipv6.src",
                                            "ipv6.dst",
                                            "icmpv6.type",
                                            "icmpv6.code",
                                            "icmpv6.checksum.status",
                                            "icmpv6.nd.na.flag.r",
                                            "icmpv6.nd.na.flag.s",
                                            "icmpv6.nd.na.flag.o",
                                            "icmpv6.nd.na.target_address",
                                            "icmpv6.opt.type",
                                            "icmpv6.opt.linkaddr",
                                            "_ws.expert"};

TEST(PacketTshark, NeighbourAdvertisementAnswersASolicitation) {
    REQUIRE_TSHARK();
    Frame ns = ns_request(kFd00a, kClient);
    Frame ns_nosll = ns_request(kFd00a, ov_ether_addr_t{{0x02, 0, 0, 0, 0, 0x0b}}, false);
    Frame dad = ns_request(kUnspec, kClient);
    ov_error_t err{};
    Frame na(128), na_nosll(128), na_dad(128);
    auto r1 = ov::packet_na_reply(ns, kAnswer, OV_PACKET_NA_OVERRIDE, na, &err);
    ASSERT_EQ(r1.rc, 0) << err.reason;
    auto r2 = ov::packet_na_reply(ns_nosll, kAnswer, OV_PACKET_NA_ROUTER, na_nosll, &err);
    ASSERT_EQ(r2.rc, 0) << err.reason;
    auto r3 = ov::packet_na_reply(dad, kAnswer, OV_PACKET_NA_OVERRIDE, na_dad, &err);
    ASSERT_EQ(r3.rc, 0) << err.reason;
    na.resize(r1.len);
    na_nosll.resize(r2.len);
    na_dad.resize(r3.len);
    EXPECT_EQ(na.size(), size_t{OV_PACKET_NA_LEN});

    auto rows = tshark_fields({ns, na, na_nosll, na_dad}, kNaFields);
    ASSERT_EQ(rows.size(), 4u);
    // The test's own NS, decoded by tshark: type 135 with a good checksum.
    EXPECT_EQ(rows[0][7], "135");
    EXPECT_EQ(rows[0][9], "1") << "test NS checksum";
    // tshark prints checksum status 1 for "Good" and flags as 1/0.
    expect_row(rows[1], kNaFields,
               {"02:00:00:00:00:0a", "02:00:00:00:00:14", "32", "58", "255", "fd00::14", "fd00::a",
                "136", "0", "1", "0", "1", "1", "fd00::14", "2", "02:00:00:00:00:14", ""},
               "NA to a unicast NS with source link-layer option");
    expect_row(rows[2], kNaFields,
               {"02:00:00:00:00:0b", "02:00:00:00:00:14", "32", "58", "255", "fd00::14", "fd00::a",
                "136", "0", "1", "1", "1", "0", "fd00::14", "2", "02:00:00:00:00:14", ""},
               "NA to an NS without option: Ethernet source, R set, O clear");
    expect_row(rows[3], kNaFields,
               {"33:33:00:00:00:01", "02:00:00:00:00:14", "32", "58", "255", "fd00::14", "ff02::1",
                "136", "0", "1", "0", "0", "1", "fd00::14", "2", "02:00:00:00:00:14", ""},
               "NA to a DAD probe: all-nodes, S clear");
}

TEST(PacketTshark, CorruptedNaChecksumIsSeenAsBad) {
    // The checksum check above can fail: flip one byte of a built NA and
    // tshark must call the checksum bad.
    REQUIRE_TSHARK();
    ov_packet_na_fields_t fl{};
    fl.src_mac = kAnswer;
    fl.dst_mac = kClient;
    std::memcpy(fl.src_ip, kFd0014, 16);
    std::memcpy(fl.dst_ip, kFd00a, 16);
    std::memcpy(fl.target, kFd0014, 16);
    fl.flags = OV_PACKET_NA_SOLICITED;
    Frame na(OV_PACKET_NA_LEN);
    size_t len = 0;
    ov_error_t err{};
    ASSERT_EQ(ov_packet_na_build(&fl, na.data(), na.size(), &len, &err), 0) << err.reason;
    Frame bad = na;
    bad[70] ^= 0x01; // inside the target address
    auto rows = tshark_fields({na, bad}, {"icmpv6.checksum.status"});
    ASSERT_EQ(rows.size(), 2u);
    EXPECT_EQ(rows[0][0], "1");
    EXPECT_EQ(rows[1][0], "0");
}

TEST(PacketTshark, DhcpRedirectChangesOnlyTheEthernetDestination) {
    REQUIRE_TSHARK();
    Frame in = dhcp_discover();
    Frame out(in.size() + 10);
    ov_error_t err{};
    auto r = ov::packet_dhcp_redirect(in, kProxy, out, &err);
    ASSERT_EQ(r.rc, 0) << err.reason;
    ASSERT_EQ(r.len, in.size());
    out.resize(r.len);
    EXPECT_EQ(std::memcmp(out.data() + 6, in.data() + 6, in.size() - 6), 0);

    const std::vector<std::string> f = {"eth.dst",
                                        "eth.src",
                                        "ip.src",
                                        "ip.dst",
                                        "ip.checksum.status",
                                        "udp.srcport",
                                        "udp.dstport",
                                        "udp.checksum.status",
                                        "dhcp.type",
                                        "dhcp.hw.mac_addr",
                                        "dhcp.option.dhcp",
                                        "_ws.expert"};
    auto rows = tshark_fields({in, out}, f);
    ASSERT_EQ(rows.size(), 2u);
    expect_row(rows[0], f,
               {"ff:ff:ff:ff:ff:ff", "02:00:00:00:00:0a", "0.0.0.0", "255.255.255.255", "1", "68",
                "67", "1", "1", "02:00:00:00:00:0a", "1", ""},
               "DHCPDISCOVER (test input)");
    expect_row(rows[1], f,
               {"02:00:00:00:00:99", "02:00:00:00:00:0a", "0.0.0.0", "255.255.255.255", "1", "68",
                "67", "1", "1", "02:00:00:00:00:0a", "1", ""},
               "redirected DHCPDISCOVER");
}

// --- Refusals: each names the problem -------------------------------------

struct Bad {
    const char* what;
    std::function<void(Frame&)> mutate;
    const char* reason;
};

// A mutation followed by a checksum fix, so the check after it is reached.
std::function<void(Frame&)> then(std::function<void(Frame&)> m, void (*fix)(Frame&)) {
    return [m, fix](Frame& f) {
        m(f);
        fix(f);
    };
}

using Builder = std::function<int(const Frame&, Frame&, ov_error_t*)>;

void expect_refusals(const Frame& good, const Builder& build, const std::vector<Bad>& cases) {
    Frame out(512);
    ov_error_t err{};
    ASSERT_EQ(build(good, out, &err), 0) << "the unmutated request must work: " << err.reason;
    for (const auto& c : cases) {
        Frame f = good;
        c.mutate(f);
        ov_error_t e{};
        EXPECT_EQ(build(f, out, &e), -EINVAL) << c.what;
        EXPECT_EQ(e.code, EINVAL) << c.what;
        EXPECT_NE(std::strstr(e.reason, c.reason), nullptr)
            << c.what << ": reason '" << e.reason << "' lacks '" << c.reason << "'";
    }
}

const Builder kArp = [](const Frame& in, Frame& out, ov_error_t* err) {
    return ov::packet_arp_reply(in, kAnswer, out, err).rc;
};
const Builder kNa = [](const Frame& in, Frame& out, ov_error_t* err) {
    return ov::packet_na_reply(in, kAnswer, OV_PACKET_NA_OVERRIDE, out, err).rc;
};
const Builder kDhcp = [](const Frame& in, Frame& out, ov_error_t* err) {
    return ov::packet_dhcp_redirect(in, kProxy, out, err).rc;
};

TEST(PacketRefuse, ArpRequests) {
    expect_refusals(
        arp_request(), kArp,
        {
            {"short", [](Frame& f) { f.resize(30); },
             "truncated ARP header (needs 42 bytes, frame has 30)"},
            {"no Ethernet", [](Frame& f) { f.resize(10); }, "truncated Ethernet header"},
            {"IPv4", [](Frame& f) { put16(f, 12, 0x0800); }, "EtherType is 0x0800, not ARP"},
            {"VLAN", [](Frame& f) { put16(f, 12, 0x8100); },
             "802.1Q-tagged frames are not supported"},
            {"htype", [](Frame& f) { put16(f, 14, 6); }, "hardware type 6 is not Ethernet"},
            {"ptype", [](Frame& f) { put16(f, 16, 0x86dd); }, "protocol type 0x86dd is not IPv4"},
            {"hlen", [](Frame& f) { f[18] = 8; }, "address lengths 8/4"},
            {"reply", [](Frame& f) { put16(f, 20, 2); }, "opcode 2 is not a request"},
            {"gratuitous", [](Frame& f) { f[41] = 10; }, "gratuitous (sender and target address"},
        });
    Frame req = arp_request(), small(59);
    ov_error_t err{};
    EXPECT_EQ(ov::packet_arp_reply(req, kAnswer, small, &err).rc, -ENOSPC);
    EXPECT_NE(std::strstr(err.reason, "too small (need 60)"), nullptr) << err.reason;
}

TEST(PacketRefuse, NeighbourSolicitations) {
    auto resum = [](std::function<void(Frame&)> m) { return then(m, fix_icmp6_sum); };
    expect_refusals(
        ns_request(kFd00a, kClient), kNa,
        {
            {"IPv4", [](Frame& f) { put16(f, 12, 0x0800); }, "EtherType is 0x0800, not IPv6"},
            {"short", [](Frame& f) { f.resize(50); }, "truncated IPv6 header"},
            {"payload past end", [](Frame& f) { f.resize(80); }, "truncated IPv6 payload"},
            {"version", [](Frame& f) { f[14] = 0x40; }, "IP version 4 is not 6"},
            {"ext header", [](Frame& f) { f[20] = 0; }, "next header 0 is not ICMPv6"},
            {"hop limit", [](Frame& f) { f[21] = 64; }, "hop limit 64 is not 255"},
            {"checksum", [](Frame& f) { f[70] ^= 1; }, "bad ICMPv6 checksum"},
            {"echo", resum([](Frame& f) { f[54] = 128; }), "type 128 code 0 is not a solicitation"},
            {"code", resum([](Frame& f) { f[55] = 1; }), "type 135 code 1"},
            {"multicast target", resum([](Frame& f) { f[62] = 0xff; }),
             "target is a multicast address"},
            {"option len 0", resum([](Frame& f) { f[79] = 0; }), "option with length 0"},
            {"option too long", resum([](Frame& f) { f[79] = 2; }), "option runs past the end"},
            {"short ICMPv6", resum([](Frame& f) { put16(f, 18, 16); }),
             "ICMPv6 length 16 is shorter than 24"},
            {"DAD with option", resum([](Frame& f) { std::memset(&f[22], 0, 16); }),
             "source link-layer option with unspecified source"},
        });
    Frame ns = ns_request(kFd00a, kClient), out(128);
    ov_error_t err{};
    EXPECT_EQ(ov::packet_na_reply(ns, kAnswer, OV_PACKET_NA_SOLICITED, out, &err).rc, -EINVAL);
    EXPECT_NE(std::strstr(err.reason, "only ROUTER and OVERRIDE"), nullptr) << err.reason;
    Frame small(OV_PACKET_NA_LEN - 1);
    EXPECT_EQ(ov::packet_na_reply(ns, kAnswer, 0, small, &err).rc, -ENOSPC);
    ov_packet_na_fields_t fl{};
    fl.flags = 0x10;
    size_t len;
    EXPECT_EQ(ov_packet_na_build(&fl, out.data(), out.size(), &len, &err), -EINVAL);
    EXPECT_NE(std::strstr(err.reason, "unknown flag bits 0x10"), nullptr) << err.reason;
}

TEST(PacketRefuse, DhcpFrames) {
    auto resum = [](std::function<void(Frame&)> m) { return then(m, fix_ip_sum); };
    expect_refusals(
        dhcp_discover(), kDhcp,
        {
            {"ARP", [](Frame& f) { put16(f, 12, 0x0806); }, "EtherType is 0x0806, not IPv4"},
            {"short", [](Frame& f) { f.resize(20); }, "truncated IPv4 header"},
            {"truncated packet", [](Frame& f) { f.resize(200); }, "truncated IPv4 packet"},
            {"version", resum([](Frame& f) { f[14] = 0x65; }), "IP version 6 is not 4"},
            {"ihl", resum([](Frame& f) { f[14] = 0x44; }), "IPv4 header length 16 is below 20"},
            {"ip checksum", [](Frame& f) { f[22] = 1; }, "bad IPv4 header checksum"},
            {"fragment", resum([](Frame& f) { f[20] = 0x20; }), "IPv4 fragments are not supported"},
            {"tcp", resum([](Frame& f) { f[23] = 6; }), "IP protocol 6 is not UDP"},
            {"server reply",
             [](Frame& f) {
                 put16(f, 34, 67);
                 put16(f, 36, 68);
             },
             "UDP ports 67 -> 68 are not a client's"},
            {"udp length", [](Frame& f) { put16(f, 38, 400); }, "UDP length 400 does not fit"},
            {"short bootp", [](Frame& f) { put16(f, 38, 100); }, "too short for BOOTP"},
            {"bootreply", [](Frame& f) { f[42] = 2; }, "BOOTP op 2 is not BOOTREQUEST"},
            {"no cookie", [](Frame& f) { f[42 + 236] = 0; }, "no DHCP magic cookie"},
            {"total too small", resum([](Frame& f) { put16(f, 16, 24); }), "leaves no UDP header"},
        });
    Frame in = dhcp_discover(), small(in.size() - 1);
    ov_error_t err{};
    EXPECT_EQ(ov::packet_dhcp_redirect(in, kProxy, small, &err).rc, -ENOSPC);
}

TEST(PacketRefuse, DhcpRedirectInPlace) {
    Frame f = dhcp_discover();
    Frame orig = f;
    size_t len = 0;
    ASSERT_EQ(
        ov_packet_dhcp_redirect(f.data(), f.size(), &kProxy, f.data(), f.size(), &len, nullptr), 0);
    EXPECT_EQ(std::memcmp(f.data(), kProxy.octet, 6), 0);
    EXPECT_EQ(std::memcmp(f.data() + 6, orig.data() + 6, f.size() - 6), 0);
}

TEST(PacketRefuse, TruncationsAndCorruptionsNeverCrash) {
    // Every prefix of each valid request, and 20000 random corruptions of
    // each: the answer is 0 or -EINVAL with a reason, and never a write past
    // what it reported (the tail of the output buffer keeps its canary).
    std::mt19937 rng(7);
    int answered = 0, refused = 0;
    for (auto [req, build] :
         {std::pair{arp_request(), kArp}, std::pair{ns_request(kFd00a, kClient), kNa},
          std::pair{ns_request(kUnspec, kClient), kNa}, std::pair{dhcp_discover(), kDhcp}}) {
        auto run = [&, b = build](const Frame& f) {
            Frame out(f.size() + 200, 0xa5);
            ov_error_t err{};
            int r = b(f, out, &err);
            ASSERT_TRUE(r == 0 || r == -EINVAL) << r;
            if (r == 0) {
                answered++;
            } else {
                refused++;
                ASSERT_NE(err.reason[0], '\0');
            }
            size_t used = r == 0 ? std::max<size_t>(OV_PACKET_NA_LEN, f.size()) : 0;
            for (size_t i = used; i < out.size(); i++)
                ASSERT_EQ(out[i], 0xa5) << "write past the frame at " << i;
        };
        for (size_t n = 0; n < req.size(); n++)
            run(Frame(req.begin(), req.begin() + static_cast<long>(n)));
        for (int i = 0; i < 20000; i++) {
            Frame f = req;
            int flips = 1 + static_cast<int>(rng() % 4);
            for (int k = 0; k < flips; k++)
                f[rng() % f.size()] ^= static_cast<uint8_t>(1 + rng() % 255);
            run(f);
        }
    }
    EXPECT_GT(answered, 0);
    EXPECT_GT(refused, 0);
}

} // namespace
