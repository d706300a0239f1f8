// The dissector table and the dissectors, on packets built by snoop_craft.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <pcap/dlt.h>
#include <algorithm>
#include <random>
#include <string>

#include "craft.h"
#include "dissect.h"

using namespace ov::snoop;
namespace cr = ov::snoop::craft;
using nlohmann::json;

namespace {

const Table& table() {
    static const Table t(kDefaultVxlanPorts);
    return t;
}

// Decode one frame; orig is the on-the-wire length (> size: a short capture).
std::string decode(const cr::Bytes& b, Mode m, size_t orig = 0, const Table& t = table(),
                   FrameResult* res = nullptr, int dlt = DLT_EN10MB) {
    Out o(m);
    PacketInfo info{1, 1700000000, 0, uint32_t(b.size()), uint32_t(orig ? orig : b.size())};
    FrameResult r = dissect_frame(t, o, dlt, info, b.data(), b.size());
    if (res)
        *res = r;
    return std::string(o.text());
}

json decode_json(const cr::Bytes& b, size_t orig = 0) {
    return json::parse(decode(b, Mode::Json, orig));
}

// The layer names of a decoded packet, e.g. "eth/ipv4/udp/vxlan/eth/arp".
// With `generic`, NVGRE counts as GRE: a capture that ends inside the first
// four GRE bytes cannot tell them apart.
std::string layers(const json& j, bool generic = false) {
    std::string s;
    for (const auto& l : j["layers"]) {
        std::string name = l["layer"];
        s += (s.empty() ? "" : "/") + (generic && name == "nvgre" ? "gre" : name);
    }
    return s;
}

const json* find_layer(const json& j, const std::string& name, int depth) {
    for (const auto& l : j["layers"])
        if (l["layer"] == name && l["depth"] == depth)
            return &l;
    return nullptr;
}

cr::Bytes vxlan_tcp() {
    return cr::over_vxlan(
        100, cr::eth(cr::mac(2), cr::mac(1), 0x0800,
                     cr::ipv4({cr::t4(1), cr::t4(2), 6}, cr::tcp(40000, 80, 1000, 0, 0x02, cr::syn_opts()))),
        8472);
}

} // namespace

TEST(SnoopTable, BindsTheDefaultsAndExtraVxlanPorts) {
    const Table& t = table();
    ASSERT_NE(t.find(Ns::UdpPort, 4789), nullptr);
    EXPECT_STREQ(t.find(Ns::UdpPort, 4789)->name, "vxlan");
    EXPECT_STREQ(t.find(Ns::UdpPort, 8472)->name, "vxlan");
    EXPECT_EQ(t.find(Ns::UdpPort, 4790), nullptr);
    EXPECT_STREQ(t.find(Ns::Ethertype, 0x6558)->name, "teb");
    EXPECT_STREQ(t.find(Ns::IpProto, 47)->name, "gre");
    const uint16_t ports[] = {4790};
    Table more(ports);
    EXPECT_STREQ(more.find(Ns::UdpPort, 4790)->name, "vxlan");
    EXPECT_EQ(more.find(Ns::UdpPort, 4789), nullptr); // only what the owner asked for
}

TEST(SnoopTable, ResolveTriesTheAlternateKeyAndIpv6Fallback) {
    const Table& t = table();
    EXPECT_STREQ(t.resolve({Ns::UdpPort, 50000, 67})->name, "dhcp");
    EXPECT_EQ(t.resolve({Ns::UdpPort, 50000, 50001}), nullptr);
    EXPECT_STREQ(t.resolve({Ns::Ip6Ext, 44})->name, "ipv6_frag");
    EXPECT_STREQ(t.resolve({Ns::Ip6Ext, 6})->name, "tcp"); // upper layer via IpProto
    EXPECT_EQ(t.resolve({Ns::Stop, 0}), nullptr);
}

TEST(SnoopDissect, VxlanTcpDecodesOuterAndInner) {
    FrameResult res;
    json j = json::parse(decode(vxlan_tcp(), Mode::Json, 0, table(), &res));
    EXPECT_EQ(layers(j), "eth/ipv4/udp/vxlan/eth/ipv4/tcp");
    EXPECT_TRUE(res.has_vnetid);
    EXPECT_EQ(res.vnetid, 100u);
    EXPECT_EQ((*find_layer(j, "vxlan", 0))["vni"], 100);
    EXPECT_EQ((*find_layer(j, "udp", 0))["dport"], 8472);
    const json& e = *find_layer(j, "eth", 1);
    EXPECT_EQ(e["src"], "02:00:5e:10:00:01");
    EXPECT_EQ(e["dst"], "02:00:5e:10:00:02");
    const json& ip = *find_layer(j, "ipv4", 1);
    EXPECT_EQ(ip["src"], "10.1.0.1");
    EXPECT_EQ(ip["dst"], "10.1.0.2");
    EXPECT_EQ(ip["proto"], 6);
    const json& t = *find_layer(j, "tcp", 1);
    EXPECT_EQ(t["sport"], 40000);
    EXPECT_EQ(t["dport"], 80);
    EXPECT_EQ(t["flags"], "SYN");
    EXPECT_EQ(t["options"], "mss 1460,sackOK,ts 4660 0,nop,wscale 7");
    EXPECT_EQ(j["truncated"], false);
    EXPECT_FALSE(j.contains("malformed"));
}

TEST(SnoopDissect, NvgreSplitsVsidAndFlowId) {
    FrameResult res;
    cr::Bytes p = cr::over_nvgre(0x123456, 7, cr::eth(cr::mac(2), cr::mac(1), 0x0800,
                                                      cr::ipv4({cr::t4(1), cr::t4(2), 1}, cr::icmp_echo(8, 1, 2))));
    json j = json::parse(decode(p, Mode::Json, 0, table(), &res));
    EXPECT_EQ(layers(j), "eth/ipv4/nvgre/eth/ipv4/icmp");
    const json& n = *find_layer(j, "nvgre", 0);
    EXPECT_EQ(n["vsid"], 0x123456);
    EXPECT_EQ(n["flowid"], 7);
    EXPECT_EQ(n["key"], "0x12345607");
    EXPECT_EQ(res.vnetid, 0x123456u);
    std::string s = decode(p, Mode::Summary);
    EXPECT_NE(s.find("NVGRE vsid=1193046 flowid=7 | ETH"), std::string::npos) << s;
    EXPECT_NE(s.find("ICMP echo-request id=1 seq=2"), std::string::npos) << s;
}

TEST(SnoopDissect, PlainGreKeyIsNotTakenForNvgre) {
    cr::Buf g;
    g.u16(0x2000).u16(0x0800).u32(0xabcdef01);
    g.put(cr::ipv4({cr::t4(5), cr::t4(6), 1}, cr::icmp_echo(8, 2, 2)));
    cr::Bytes p = cr::eth(cr::mac(2), cr::mac(1), 0x0800, cr::ipv4({cr::t4(1), cr::t4(2), 47}, g.b));
    FrameResult res;
    json j = json::parse(decode(p, Mode::Json, 0, table(), &res));
    EXPECT_EQ(layers(j), "eth/ipv4/gre/ipv4/icmp");
    EXPECT_EQ((*find_layer(j, "gre", 0))["key"], "0xabcdef01");
    EXPECT_FALSE(res.has_vnetid);
}

TEST(SnoopDissect, OutermostVnetidWinsWhenNested) {
    cr::Bytes inner = cr::over_vxlan(7, cr::eth(cr::mac(2), cr::mac(1), 0x0806,
                                                cr::arp(1, cr::mac(1), cr::t4(1), {}, cr::t4(2))));
    FrameResult res;
    json j = json::parse(decode(cr::over_vxlan(100, inner), Mode::Json, 0, table(), &res));
    EXPECT_EQ(layers(j), "eth/ipv4/udp/vxlan/eth/ipv4/udp/vxlan/eth/arp");
    EXPECT_EQ(res.vnetid, 100u);
    EXPECT_EQ((*find_layer(j, "arp", 2))["tpa"], "10.1.0.2");
}

TEST(SnoopDissect, EncapsulationDepthIsBounded) {
    cr::Bytes p = cr::eth(cr::mac(2), cr::mac(1), 0x0806, cr::arp(1, cr::mac(1), cr::t4(1), {}, cr::t4(2)));
    for (int i = 0; i < kMaxDepth + 2; i++)
        p = cr::over_vxlan(uint32_t(i), p);
    json j = decode_json(p);
    EXPECT_EQ(j["malformed"], "encapsulation nested too deep");
    EXPECT_EQ(j["malformed_in"], "vxlan");
}

TEST(SnoopDissect, RawIpAndLinuxCookedLinkTypes) {
    cr::Bytes frame = vxlan_tcp();
    cr::Bytes ip(frame.begin() + 14, frame.end());
    json raw = json::parse(decode(ip, Mode::Json, 0, table(), nullptr, DLT_RAW));
    EXPECT_EQ(layers(raw), "ipv4/udp/vxlan/eth/ipv4/tcp");
    cr::Buf sll;
    sll.u16(4).u16(1).u16(6).put(cr::Bytes(frame.begin() + 6, frame.begin() + 12)).u16(0);
    sll.u16(0x0800).put(ip);
    json j = json::parse(decode(sll.b, Mode::Json, 0, table(), nullptr, DLT_LINUX_SLL));
    EXPECT_EQ(layers(j), "sll/ipv4/udp/vxlan/eth/ipv4/tcp");
    EXPECT_EQ(j["layers"][0]["pkttype_name"], "outgoing");
    EXPECT_EQ(j["layers"][0]["addr"], "52:54:00:aa:00:01");
    ip[0] = 0x55;
    json bad = json::parse(decode(ip, Mode::Json, 0, table(), nullptr, DLT_RAW));
    EXPECT_EQ(bad["malformed"], "raw IP packet of unknown version");
    json none = json::parse(decode(ip, Mode::Json, 0, table(), nullptr, DLT_IEEE802_11));
    EXPECT_EQ(none["malformed"], "unsupported link type");
}

TEST(SnoopDissect, ShortCaptureIsTruncatedShortPacketIsMalformed) {
    cr::Bytes p = vxlan_tcp();
    cr::Bytes cut(p.begin(), p.begin() + 90);
    json t = decode_json(cut, p.size());
    EXPECT_EQ(t["truncated"], true);
    EXPECT_EQ(t["truncated_in"], "tcp");
    EXPECT_FALSE(t.contains("malformed"));
    // The same bytes as a complete packet: the packet is too short.
    json m = decode_json(cut);
    EXPECT_EQ(m["truncated"], false);
    EXPECT_EQ(m["malformed_in"], "tcp");
    // What could be read is still there.
    EXPECT_EQ((*find_layer(t, "tcp", 1))["sport"], 40000);
    EXPECT_NE(decode(cut, Mode::Summary, p.size()).find("[truncated in tcp]"), std::string::npos);
}

TEST(SnoopDissect, EthernetPaddingIsNotPayload) {
    // A 60-byte frame whose IPv4 datagram is 28 bytes: the rest is padding.
    cr::Bytes ip = cr::ipv4({cr::t4(1), cr::t4(2), 17}, cr::udp(1, 2, {}));
    ip.resize(46, 0);
    json j = decode_json(cr::eth(cr::mac(2), cr::mac(1), 0x0800, ip));
    EXPECT_EQ(layers(j), "eth/ipv4/udp");
    EXPECT_EQ((*find_layer(j, "udp", 0))["length"], 8);
    EXPECT_FALSE(j.contains("malformed"));
}

// Every prefix of every golden packet, as a short capture: decoding never
// fails, the JSON is valid, the layers are a prefix of the full decode's,
// and whenever fewer were decoded the packet says truncated.
TEST(SnoopDissect, EveryPrefixOfEveryGoldenPacketSaysWhatItCould) {
    size_t checked = 0;
    for (const cr::Rec& rec : cr::golden()) {
        json full = decode_json(rec.b, rec.orig);
        if (full.contains("malformed") || full["truncated"] == true)
            continue;
        std::string all = layers(full, true);
        for (size_t n = 0; n < rec.b.size(); n++) {
            cr::Bytes cut(rec.b.begin(), rec.b.begin() + long(n));
            json j = decode_json(cut, rec.b.size());
            std::string got = layers(j, true);
            ASSERT_EQ(all.compare(0, got.size(), got), 0) << all << " vs " << got;
            if (got != all) {
                EXPECT_EQ(j["truncated"], true) << all << " cut at " << n;
            }
            EXPECT_FALSE(j.contains("malformed")) << all << " cut at " << n;
            std::string text = decode(cut, Mode::Summary, rec.b.size());
            EXPECT_EQ(j["truncated"] == true, text.find("[truncated in ") != std::string::npos);
            decode(cut, Mode::Verbose, rec.b.size());
            checked++;
        }
    }
    EXPECT_GT(checked, 3000u);
}

// iproute2's rule: one emission feeds every rendering, so the verbose view
// has exactly one line per JSON field.
TEST(SnoopDissect, VerboseAndJsonShowTheSameFields) {
    for (const cr::Rec& rec : cr::golden()) {
        json j = decode_json(rec.b, rec.orig);
        size_t keys = 0;
        for (const auto& l : j["layers"])
            for (const auto& [k, v] : l.items())
                if (k != "layer" && k != "depth" &&
                    !(k.size() > 5 && k.compare(k.size() - 5, 5, "_name") == 0))
                    keys++;
        std::string v = decode(rec.b, Mode::Verbose, rec.orig);
        size_t lines = 0;
        for (size_t at = v.find(" = "); at != std::string::npos; at = v.find(" = ", at + 1))
            lines++;
        EXPECT_EQ(lines - 2, keys) << layers(j); // less the two FRAME lines
    }
}

// Golden packets with random bytes changed: never a crash (ASan in the fuzz
// tree finds what this misses), always valid JSON and one summary line.
TEST(SnoopDissect, MutatedPacketsKeepOutputWellFormed) {
    std::mt19937 rng(12345);
    std::vector<cr::Rec> g = cr::golden();
    for (int i = 0; i < 20000; i++) {
        cr::Bytes p = g[rng() % g.size()].b;
        int flips = 1 + int(rng() % 4);
        for (int f = 0; f < flips && !p.empty(); f++)
            p[rng() % p.size()] = uint8_t(rng());
        if (rng() % 4 == 0)
            p.resize(rng() % (p.size() + 1));
        ASSERT_NO_THROW(json::parse(decode(p, Mode::Json)));
        std::string s = decode(p, Mode::Summary);
        ASSERT_EQ(std::count(s.begin(), s.end(), '\n'), 1);
    }
}
