// The overlay_files(5) parser: what it accepts, and that every refusal names
// the problem (and the line).
#include "files_table.h"

#include <gtest/gtest.h>

namespace {

std::string refuse(const std::string& text) {
    files::Table t;
    return files::parse(text, t);
}

} // namespace

TEST(FilesTable, AcceptsTheIllumosFormat) {
    files::Table t;
    ASSERT_EQ(files::parse(R"({
        "de:ad:be:ef:00:00": { "arp": "10.55.55.2", "ip": "10.88.88.69", "ndp": "fe80::3",
                               "port": 8080 },
        "DE:AD:BE:EF:00:01": { "arp": "10.55.55.3", "dhcp-proxy": "de:ad:be:ef:00:00",
                               "ip": "2001:db8::70", "port": 8080, "ndp": "fe80::4" },
        "de:ad:be:ef:0:2": { "ip": "10.88.88.71" }
    })", t),
              "");
    ASSERT_EQ(t.by_mac.size(), 3u);
    uint8_t m1[6] = {0xde, 0xad, 0xbe, 0xef, 0, 1};
    const files::Entry* e = t.find(m1);
    ASSERT_NE(e, nullptr);
    EXPECT_EQ(e->port, 8080);
    EXPECT_EQ(e->ip[0], 0x20);
    EXPECT_TRUE(e->has_dhcp);
    EXPECT_EQ(e->dhcp_proxy[5], 0);
    uint8_t m2[6] = {0xde, 0xad, 0xbe, 0xef, 0, 2};
    ASSERT_NE(t.find(m2), nullptr);
    EXPECT_EQ(t.find(m2)->port, 0);
    EXPECT_EQ(t.find(m2)->ip[10], 0xff); /* IPv4-mapped */
    EXPECT_EQ(t.find(m2)->ip[15], 71);
    uint8_t arp[4] = {10, 55, 55, 3};
    ASSERT_NE(t.find_arp(arp), nullptr);
    EXPECT_EQ((*t.find_arp(arp))[5], 1);
    uint8_t ndp[16] = {0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3};
    ASSERT_NE(t.find_ndp(ndp), nullptr);
    EXPECT_EQ((*t.find_ndp(ndp))[5], 0);
    uint8_t none[4] = {10, 55, 55, 9};
    EXPECT_EQ(t.find_arp(none), nullptr);
    EXPECT_EQ(files::parse("{}", t), "");
    EXPECT_TRUE(t.by_mac.empty());
}

TEST(FilesTable, RefusalsNameTheProblemAndTheLine) {
    EXPECT_EQ(refuse("{\n  \"de:ad:be:ef:00:00\": {\"ip\": \"10.0.0.1\"},\n  ]\n}"),
              "parse error at line 3, column 3: syntax error while parsing object key - "
              "unexpected ']'; expected string literal");
    EXPECT_EQ(refuse("[]"), "the file must hold one JSON object keyed by MAC, not array");
    EXPECT_EQ(refuse("{\n\"zz:ad:be:ef:00:00\": {\"ip\": \"10.0.0.1\"}}").substr(0, 31),
              "line 2: \"zz:ad:be:ef:00:00\" is ");
    EXPECT_NE(refuse("{\"zz:ad:be:ef:00:00\": {\"ip\": \"10.0.0.1\"}}").find("not a MAC"),
              std::string::npos);
    EXPECT_EQ(refuse("{\"01:00:5e:00:00:01\": {\"ip\": \"10.0.0.1\"}}"),
              "line 1: \"01:00:5e:00:00:01\" is a multicast MAC, which no host owns");
    EXPECT_EQ(refuse("{\"02:00:00:00:00:01\": 5}"),
              "line 1: \"02:00:00:00:00:01\": the value must be an object, not number");
    EXPECT_EQ(refuse("{\"02:00:00:00:00:01\": {}}"), "line 1: \"02:00:00:00:00:01\": \"ip\" is missing");
    EXPECT_EQ(refuse("{\"02:00:00:00:00:01\": {\"ip\": \"10.0.0.256\"}}"),
              "line 1: \"02:00:00:00:00:01\": \"ip\": \"10.0.0.256\" is not an IPv4 or IPv6 address");
    EXPECT_EQ(refuse("{\"02:00:00:00:00:01\": {\"ip\": 7}}"),
              "line 1: \"02:00:00:00:00:01\": \"ip\" must be a string, not number");
    EXPECT_EQ(refuse("{\"02:00:00:00:00:01\": {\"ip\": \"10.0.0.1\", \"port\": 65536}}"),
              "line 1: \"02:00:00:00:00:01\": \"port\": 65536 is outside 0-65535");
    EXPECT_EQ(refuse("{\"02:00:00:00:00:01\": {\"ip\": \"10.0.0.1\", \"port\": -1}}"),
              "line 1: \"02:00:00:00:00:01\": \"port\": -1 is outside 0-65535");
    EXPECT_EQ(refuse("{\"02:00:00:00:00:01\": {\"ip\": \"10.0.0.1\", \"port\": \"80\"}}"),
              "line 1: \"02:00:00:00:00:01\": \"port\" must be an integer, not string");
    EXPECT_EQ(refuse("{\"02:00:00:00:00:01\": {\"ip\": \"10.0.0.1\", \"arp\": \"fe80::1\"}}"),
              "line 1: \"02:00:00:00:00:01\": \"arp\": \"fe80::1\" is not an IPv4 address");
    EXPECT_EQ(refuse("{\"02:00:00:00:00:01\": {\"ip\": \"10.0.0.1\", \"ndp\": \"10.0.0.1\"}}"),
              "line 1: \"02:00:00:00:00:01\": \"ndp\": \"10.0.0.1\" is not an IPv6 address");
    EXPECT_NE(refuse("{\"02:00:00:00:00:01\": {\"ip\": \"10.0.0.1\", \"dhcp-proxy\": \"x\"}}")
                  .find("\"dhcp-proxy\": \"x\" is not a MAC"),
              std::string::npos);
    EXPECT_EQ(refuse("{\"02:00:00:00:00:01\": {\"ip\": \"10.0.0.1\", \"ipp\": 1}}"),
              "line 1: \"02:00:00:00:00:01\": unknown member \"ipp\" (known: ip, port, arp, ndp, "
              "dhcp-proxy)");
}

TEST(FilesTable, DuplicatesAreRefused) {
    EXPECT_EQ(refuse("{\n\"02:00:00:00:00:01\": {\"ip\": \"10.0.0.1\"},\n"
                     "\"02:00:00:00:00:01\": {\"ip\": \"10.0.0.2\"}}"),
              "line 2: MAC \"02:00:00:00:00:01\" is written twice");
    EXPECT_NE(refuse("{\"02:00:00:00:00:0a\": {\"ip\": \"10.0.0.1\"},\n"
                     "\"02:00:00:00:00:0A\": {\"ip\": \"10.0.0.2\"}}")
                  .find("the same MAC as another key"),
              std::string::npos);
    EXPECT_NE(refuse("{\"02:00:00:00:00:01\": {\"ip\": \"10.0.0.1\", \"arp\": \"10.1.1.1\"},\n"
                     "\"02:00:00:00:00:02\": {\"ip\": \"10.0.0.2\", \"arp\": \"10.1.1.1\"}}")
                  .find("its \"arp\" address is claimed by another MAC too"),
              std::string::npos);
    EXPECT_NE(refuse("{\"02:00:00:00:00:01\": {\"ip\": \"10.0.0.1\", \"ndp\": \"fd00::1\"},\n"
                     "\"02:00:00:00:00:02\": {\"ip\": \"10.0.0.2\", \"ndp\": \"fd00::1\"}}")
                  .find("its \"ndp\" address is claimed by another MAC too"),
              std::string::npos);
}

TEST(FilesTable, LargeTablesAreHashed) {
    std::string text = "{";
    for (int i = 0; i < 20000; i++) {
        char buf[128];
        std::snprintf(buf, sizeof(buf), "%s\"02:00:00:%02x:%02x:%02x\": {\"ip\": \"10.%d.%d.%d\", \"arp\": \"172.16.%d.%d\"}",
                      i ? "," : "", (i >> 16) & 0xff, (i >> 8) & 0xff, i & 0xff, (i >> 16) & 0xff,
                      (i >> 8) & 0xff, i & 0xff, (i >> 8) & 0xff, i & 0xff);
        text += buf;
    }
    text += "}";
    files::Table t;
    ASSERT_EQ(files::parse(text, t), "");
    EXPECT_EQ(t.by_mac.size(), 20000u);
    EXPECT_EQ(t.by_arp.size(), 20000u);
    EXPECT_GT(t.by_mac.bucket_count(), 10000u); /* a hash table, not a list */
    uint8_t ip[4] = {172, 16, 0x4e, 0x1f};     /* entry 19999 */
    ASSERT_NE(t.find_arp(ip), nullptr);
    EXPECT_EQ((*t.find_arp(ip))[5], 0x1f);
}
