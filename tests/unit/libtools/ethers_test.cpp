// Tests for ov_ethers: the accepted MAC forms, every refusal and its
// reason, formatting (and that it keeps no static storage: two threads
// format at once), and the ethers(5) reader on real temporary files.
#include "tempdir.h"

#include <cerrno>
#include <cstring>
#include <gtest/gtest.h>
#include <libtools/ethers.h>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace {

ov_ether_addr_t mac(uint8_t a, uint8_t b, uint8_t c, uint8_t d, uint8_t e, uint8_t f) {
    return ov_ether_addr_t{{a, b, c, d, e, f}};
}

TEST(EthersParse, AcceptsOneOrTwoDigitsInEitherCase) {
    const ov_ether_addr_t want = mac(0xde, 0xad, 0xbe, 0xef, 0x00, 0x01);
    for (const char* s : {"de:ad:be:ef:0:1", "DE:AD:BE:EF:00:01", "De:aD:bE:Ef:00:1"}) {
        ov_ether_addr_t got{};
        ov_error_t err{};
        ASSERT_EQ(ov_ethers_parse(s, &got, &err), 0) << s << ": " << err.reason;
        EXPECT_EQ(got, want) << s;
    }
    ov_ether_addr_t got{};
    ASSERT_EQ(ov_ethers_parse("0:0:0:0:0:0", &got, nullptr), 0);
    EXPECT_EQ(got, mac(0, 0, 0, 0, 0, 0));
    ASSERT_EQ(ov_ethers_parse("ff:FF:f:F:a0:9", &got, nullptr), 0);
    EXPECT_EQ(got, mac(0xff, 0xff, 0x0f, 0x0f, 0xa0, 0x09));
    // The length-given form does not read past len.
    ASSERT_EQ(ov_ethers_parse_n("1:2:3:4:5:6:7", 11, &got, nullptr), 0);
    EXPECT_EQ(got, mac(1, 2, 3, 4, 5, 6));
}

TEST(EthersParse, RefusesBadInputNamingTheProblem) {
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"", "empty address"},
        {"de:ad:be:ef:0:1g", "bad character 'g' at position 16"},
        {"de:ad:be:ef:0:1:2", "too many octets"},
        {"dea:ad:be:ef:0:1", "octet 1 is too long (more than 2 hex digits) at position 3"},
        {"de:ad:be:ef:0", "too few octets (5 of 6)"},
        {"de::be:ef:0:1", "octet 2 is empty at position 4"},
        {":ad:be:ef:0:1", "octet 1 is empty at position 1"},
        {"de:ad:be:ef:0:", "octet 6 is empty at the end"},
        {"de-ad-be-ef-00-01", "bad character '-' at position 3"},
        {" de:ad:be:ef:0:1", "bad character ' ' at position 1"},
        {std::string("de:ad\0:be", 9), "bad character \\x00 at position 6"},
        {"de:ad:be:ef:0:\xff", "bad character \\xff at position 15"},
    };
    for (const auto& [in, why] : cases) {
        ov_ether_addr_t got = mac(9, 9, 9, 9, 9, 9);
        ov_error_t err{};
        EXPECT_EQ(ov::ethers_parse(in, &got, &err), -EINVAL) << in;
        EXPECT_EQ(err.code, EINVAL);
        EXPECT_NE(std::strstr(err.reason, why.c_str()), nullptr)
            << "input '" << in << "': reason '" << err.reason << "' lacks '" << why << "'";
        EXPECT_EQ(got, mac(9, 9, 9, 9, 9, 9)) << "output written on failure: " << in;
    }
}

TEST(EthersFormat, LowercaseZeroPaddedAndRoundTrips) {
    char buf[OV_ETHER_ADDRSTRLEN];
    ov_ether_addr_t a = mac(0xde, 0xad, 0xbe, 0xef, 0x00, 0x01);
    ASSERT_EQ(ov_ethers_format(&a, buf, sizeof(buf), nullptr), 0);
    EXPECT_STREQ(buf, "de:ad:be:ef:00:01");
    ov_error_t err{};
    EXPECT_EQ(ov_ethers_format(&a, buf, OV_ETHER_ADDRSTRLEN - 1, &err), -ENOSPC);
    EXPECT_NE(std::strstr(err.reason, "17 bytes"), nullptr) << err.reason;
    for (unsigned v = 0; v < 256; v++) {
        ov_ether_addr_t in = mac(static_cast<uint8_t>(v), static_cast<uint8_t>(255 - v), 0x0a, 0xa0,
                                 static_cast<uint8_t>(v * 7), 1);
        std::string s = ov::ethers_format(in);
        ASSERT_EQ(s.size(), 17u);
        ov_ether_addr_t back{};
        ASSERT_EQ(ov::ethers_parse(s, &back, nullptr), 0) << s;
        EXPECT_EQ(back, in) << s;
    }
}

TEST(EthersFormat, IsReentrantAcrossThreads) {
    // ether_ntoa would share one static buffer; ours must not.
    auto worker = [](uint8_t seed, bool* ok) {
        for (int i = 0; i < 20000; i++) {
            ov_ether_addr_t a =
                mac(seed, seed, seed, seed, static_cast<uint8_t>(i), static_cast<uint8_t>(i >> 8));
            std::string s = ov::ethers_format(a);
            ov_ether_addr_t back{};
            if (ov::ethers_parse(s, &back, nullptr) != 0 || !(back == a))
                *ok = false;
        }
    };
    bool ok1 = true, ok2 = true;
    std::thread t1(worker, 0x11, &ok1), t2(worker, 0xee, &ok2);
    t1.join();
    t2.join();
    EXPECT_TRUE(ok1);
    EXPECT_TRUE(ok2);
}

struct Collected {
    std::vector<std::tuple<unsigned, std::string, std::string>> good; // line, mac, host
    std::vector<std::pair<unsigned, std::string>> bad;
};

int on_entry(void* arg, const ov_ethers_entry_t* e) {
    static_cast<Collected*>(arg)->good.emplace_back(e->line, ov::ethers_format(e->addr), e->host);
    return 0;
}
int on_bad(void* arg, unsigned line, const char* reason) {
    static_cast<Collected*>(arg)->bad.emplace_back(line, reason);
    return 0;
}

TEST(EthersFile, ReadsEntriesSkipsCommentsAndReportsBadLines) {
    TempDir d;
    std::string f = d.file("ethers");
    spit(f, "# tenant hosts\n"
            "\n"
            "de:ad:be:ef:0:1\tweb1\n"
            "   DE:AD:BE:EF:00:02   db.example.com   # trailing comment\r\n"
            "de:ad:be:ef:0:zz web2\n"
            "de:ad:be:ef:0:3\n"
            "de:ad:be:ef:0:4 web4 extra\n"
            "\t  \n"
            "2:0:0:0:0:1 10.0.0.1\n"
            "de:ad:be:ef:0:5 h\xc3\xa9llo\n"
            "#last line without newline: 1:2:3:4:5:6 nope");
    Collected c;
    ov_error_t err{};
    int n = ov_ethers_read_file(f.c_str(), on_entry, on_bad, &c, &err);
    ASSERT_EQ(n, 3) << err.reason;
    using G = std::tuple<unsigned, std::string, std::string>;
    EXPECT_EQ(c.good, (std::vector<G>{G{3, "de:ad:be:ef:00:01", "web1"},
                                      G{4, "de:ad:be:ef:00:02", "db.example.com"},
                                      G{9, "02:00:00:00:00:01", "10.0.0.1"}}));
    ASSERT_EQ(c.bad.size(), 4u);
    EXPECT_EQ(c.bad[0].first, 5u);
    EXPECT_NE(c.bad[0].second.find("bad address 'de:ad:be:ef:0:zz': bad character 'z'"),
              std::string::npos)
        << c.bad[0].second;
    EXPECT_EQ(c.bad[1], (std::pair<unsigned, std::string>{6, "no host name after the address"}));
    EXPECT_EQ(c.bad[2].first, 7u);
    EXPECT_NE(c.bad[2].second.find("unexpected text 'extra' at column 22"), std::string::npos)
        << c.bad[2].second;
    EXPECT_EQ(c.bad[3].first, 10u);
    EXPECT_NE(c.bad[3].second.find("bad character \\xc3 in host name at column 18"),
              std::string::npos)
        << c.bad[3].second;
}

TEST(EthersFile, CxxVectorForm) {
    TempDir d;
    std::string f = d.file("ethers");
    spit(f, "1:2:3:4:5:6 a\nnot-a-mac b\n\n0:0:0:0:0:ff c # x\n");
    ov_error_t err{};
    ov::EthersFile got = ov::ethers_read_file(f.c_str(), &err);
    ASSERT_EQ(got.rc, 2) << err.reason;
    ASSERT_EQ(got.entries.size(), 2u);
    EXPECT_EQ(got.entries[0].addr, mac(1, 2, 3, 4, 5, 6));
    EXPECT_EQ(got.entries[0].host, "a");
    EXPECT_EQ(got.entries[1].line, 4u);
    EXPECT_EQ(got.entries[1].host, "c");
    ASSERT_EQ(got.bad.size(), 1u);
    EXPECT_EQ(got.bad[0].line, 2u);
    EXPECT_NE(got.bad[0].reason.find("bad character 'n' at position 1"), std::string::npos)
        << got.bad[0].reason;
    EXPECT_EQ(ov::ethers_read_file(d.file("none").c_str(), &err).rc, -ENOENT);
}

TEST(EthersFile, WithoutBadLineCallbackTheFirstBadLineStopsTheRead) {
    TempDir d;
    std::string f = d.file("ethers");
    spit(f, "1:2:3:4:5:6 a\n1:2:3:4:5 b\n1:2:3:4:5:7 c\n");
    Collected c;
    ov_error_t err{};
    EXPECT_EQ(ov_ethers_read_file(f.c_str(), on_entry, nullptr, &c, &err), -EINVAL);
    EXPECT_EQ(c.good.size(), 1u);
    std::string want = f + ":line 2: bad address '1:2:3:4:5': too few octets (5 of 6)";
    EXPECT_STREQ(err.reason, want.c_str());
}

TEST(EthersFile, CallbackCanStopTheRead) {
    std::string data = "1:2:3:4:5:6 a\n1:2:3:4:5:7 b\n";
    int calls = 0;
    auto stop = [](void* arg, const ov_ethers_entry_t*) {
        ++*static_cast<int*>(arg);
        return -ECANCELED;
    };
    ov_error_t err{};
    EXPECT_EQ(ov_ethers_read_buffer(data.data(), data.size(), stop, nullptr, &calls, &err),
              -ECANCELED);
    EXPECT_EQ(calls, 1);
    EXPECT_NE(std::strstr(err.reason, "line 1: stopped by the entry callback"), nullptr)
        << err.reason;
}

TEST(EthersFile, HostNameLengthAndNulBytes) {
    std::string ok_host(OV_ETHERS_HOST_MAX, 'h');
    std::string data = "1:2:3:4:5:6 " + ok_host + "\n1:2:3:4:5:7 " + ok_host + "h\n" +
                       std::string("1:2:3:4:5:8 a\0b\n", 16);
    Collected c;
    ASSERT_EQ(ov_ethers_read_buffer(data.data(), data.size(), on_entry, on_bad, &c, nullptr), 1);
    EXPECT_EQ(std::get<2>(c.good.at(0)), ok_host);
    ASSERT_EQ(c.bad.size(), 2u);
    EXPECT_NE(c.bad[0].second.find("longer than 255"), std::string::npos) << c.bad[0].second;
    EXPECT_NE(c.bad[1].second.find("bad character \\x00 in host name at column 14"),
              std::string::npos)
        << c.bad[1].second;
}

TEST(EthersFile, FileErrorsNameThePath) {
    TempDir d;
    ov_error_t err{};
    std::string missing = d.file("missing");
    EXPECT_EQ(ov_ethers_read_file(missing.c_str(), on_entry, on_bad, nullptr, &err), -ENOENT);
    EXPECT_NE(std::strstr(err.reason, missing.c_str()), nullptr) << err.reason;
    EXPECT_EQ(ov_ethers_read_file(d.path().c_str(), on_entry, on_bad, nullptr, &err), -EINVAL);
    EXPECT_NE(std::strstr(err.reason, "not a regular file"), nullptr) << err.reason;
    std::string empty = d.file("empty");
    spit(empty, "");
    EXPECT_EQ(ov_ethers_read_file(empty.c_str(), on_entry, on_bad, nullptr, &err), 0);
}

} // namespace
