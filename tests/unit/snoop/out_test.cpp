// Out: one set of field calls, three renderings.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "out.h"

using namespace ov::snoop;

namespace {

const Layer kL{"test", "TEST", "Test Header"};
const Field kA{"a", "Field A", kBare};
const Field kB{"b", "Field B", kTo};
const Field kC{"c", "Field C", kSum};
const Field kD{"d", "Field D", 0};
const PacketInfo kInfo{7, 1700000000, 250000, 60, 64};

// Render one packet with a fixed set of fields in mode m.
std::string render(Mode m, const PacketStatus& st = {}) {
    Out o(m);
    o.begin_packet(kInfo);
    o.layer(kL, 0);
    const uint8_t mac[6] = {0x02, 0, 0, 0, 0, 0x0a};
    const uint8_t ip[4] = {10, 0, 0, 1};
    o.mac(kA, mac);
    o.ip4(kB, ip);
    o.en(kC, 8, "echo");
    o.hex(kD, 0x6558, 4);
    o.end_packet(st);
    return std::string(o.text());
}

} // namespace

TEST(SnoopOut, SummaryShowsOnlyFlaggedFields) {
    EXPECT_EQ(render(Mode::Summary),
              "     7    0.000000 TEST 02:00:00:00:00:0a > 10.0.0.1 c=echo\n");
}

TEST(SnoopOut, VerboseShowsEveryFieldWithItsLabel) {
    std::string v = render(Mode::Verbose);
    EXPECT_NE(v.find("FRAME:  Captured                 = 60 of 64 bytes\n"), std::string::npos);
    EXPECT_NE(v.find("TEST:   ----- Test Header -----\n"), std::string::npos);
    EXPECT_NE(v.find("TEST:   Field A                  = 02:00:00:00:00:0a\n"), std::string::npos);
    EXPECT_NE(v.find("TEST:   Field C                  = 8 (echo)\n"), std::string::npos);
    EXPECT_NE(v.find("TEST:   Field D                  = 0x6558\n"), std::string::npos);
}

TEST(SnoopOut, JsonCarriesEveryFieldAndTheStatus) {
    PacketStatus st;
    st.truncated_in = "test";
    auto j = nlohmann::json::parse(render(Mode::Json, st));
    EXPECT_EQ(j["frame"], 7);
    EXPECT_EQ(j["caplen"], 60);
    EXPECT_EQ(j["len"], 64);
    EXPECT_DOUBLE_EQ(j["time"].get<double>(), 1700000000.25);
    ASSERT_EQ(j["layers"].size(), 1u);
    const auto& l = j["layers"][0];
    EXPECT_EQ(l["layer"], "test");
    EXPECT_EQ(l["a"], "02:00:00:00:00:0a");
    EXPECT_EQ(l["b"], "10.0.0.1");
    EXPECT_EQ(l["c"], 8);
    EXPECT_EQ(l["c_name"], "echo");
    EXPECT_EQ(l["d"], "0x6558");
    EXPECT_EQ(j["truncated"], true);
    EXPECT_EQ(j["truncated_in"], "test");
}

TEST(SnoopOut, StatusIsSpelledOutInText) {
    PacketStatus st;
    st.malformed = "length below 8";
    st.malformed_in = "udp";
    EXPECT_NE(render(Mode::Summary, st).find("[malformed udp: length below 8]"), std::string::npos);
    EXPECT_NE(render(Mode::Verbose, st).find("MALFORMED: udp: length below 8"), std::string::npos);
    st = {};
    st.truncated_in = "tcp";
    EXPECT_NE(render(Mode::Summary, st).find("[truncated in tcp]"), std::string::npos);
    EXPECT_NE(render(Mode::Verbose, st).find("TRUNCATED: capture ends inside tcp"),
              std::string::npos);
}

TEST(SnoopOut, JsonStringsFromTheWireAreEscaped) {
    Out o(Mode::Json);
    o.begin_packet(kInfo);
    o.layer(kL, 1);
    const char raw[] = {'a', '"', '\\', '\n', char(0x01), char(0xff), 'z'};
    o.str(kC, std::string_view(raw, sizeof raw));
    o.end_packet({});
    auto j = nlohmann::json::parse(o.text());
    EXPECT_EQ(j["layers"][0]["c"], std::string("a\"\\\n\x01\xc3\xbf" "z"));
    EXPECT_EQ(j["layers"][0]["depth"], 1);
}

TEST(SnoopOut, TextReplacesUnprintableBytes) {
    Out o(Mode::Summary);
    o.begin_packet(kInfo);
    o.layer(kL, 0);
    o.str(kC, std::string_view("a\nb\x7f", 4));
    o.end_packet({});
    EXPECT_NE(o.text().find("c=a.b.\n"), std::string::npos);
}

TEST(SnoopOut, RollbackDropsAPacketAndNullWritesNothing) {
    Out o(Mode::Summary);
    o.begin_packet(kInfo);
    o.end_packet({});
    size_t mark = o.mark();
    std::string first(o.text());
    o.begin_packet(kInfo);
    o.layer(kL, 0);
    o.u(kC, 5);
    o.end_packet({});
    EXPECT_GT(o.text().size(), first.size());
    o.rollback(mark);
    EXPECT_EQ(o.text(), first);
    EXPECT_EQ(render(Mode::Null), "");
}

TEST(SnoopOut, SummaryMarksTheStepIntoAnInnerFrame) {
    Out o(Mode::Summary);
    o.begin_packet(kInfo);
    o.layer(kL, 0);
    o.layer(kL, 1);
    o.end_packet({});
    EXPECT_NE(o.text().find("TEST | TEST"), std::string::npos);
}
