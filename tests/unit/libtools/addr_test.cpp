// Tests for ov_addr: the accepted IPv4 and IPv6 forms and the 16 bytes they
// give, every refusal and its reason (output untouched), the edges of the
// ::ffff:0:0/96 prefix, formatting (and its buffer check), round trips
// through text, and the C++ helpers that the call sites use.
#include <array>
#include <cerrno>
#include <cstring>
#include <gtest/gtest.h>
#include <libtools/addr.h>
#include <string>
#include <thread>
#include <vector>

namespace {

using ov::Addr;

Addr v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
    return Addr{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, a, b, c, d};
}

Addr parse_ok(const char* s) {
    Addr a{};
    ov_error_t err{};
    EXPECT_EQ(ov_addr_parse(s, a.data(), &err), 0) << s << ": " << err.reason;
    return a;
}

TEST(AddrParse, Ipv4IsHeldMapped) {
    EXPECT_EQ(parse_ok("192.0.2.1"), v4(192, 0, 2, 1));
    EXPECT_EQ(parse_ok("0.0.0.0"), v4(0, 0, 0, 0));
    EXPECT_EQ(parse_ok("255.255.255.255"), v4(255, 255, 255, 255));
}

TEST(AddrParse, Ipv6AsInetPtonReadsIt) {
    Addr want{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    EXPECT_EQ(parse_ok("2001:db8::1"), want);
    EXPECT_EQ(parse_ok("2001:DB8:0:0:0:0:0:1"), want);
    EXPECT_EQ(parse_ok("2001:0db8:0000:0000:0000:0000:0000:0001"), want);
    EXPECT_EQ(parse_ok("::"), Addr{});
    Addr one{};
    one[15] = 1;
    EXPECT_EQ(parse_ok("::1"), one);
}

TEST(AddrParse, MappedSpellingsAreTheIpv4Address) {
    const Addr want = v4(192, 0, 2, 1);
    EXPECT_EQ(parse_ok("::ffff:192.0.2.1"), want);
    EXPECT_EQ(parse_ok("::FFFF:c000:201"), want);
    EXPECT_EQ(parse_ok("0:0:0:0:0:ffff:c000:0201"), want);
    EXPECT_EQ(parse_ok("::ffff:0:0"), v4(0, 0, 0, 0));
}

// Each refusal: -EINVAL, the code and a reason naming the text, and the
// output left as it was.
TEST(AddrParse, RefusesWhatNeitherFamilyAccepts) {
    const char* bad[] = {
        "10.1",              // shortened IPv4
        "10.0.0.1.",         // trailing dot
        "1.2.3.4.5",         // five parts
        "256.0.0.1",         // part out of range
        "010.0.0.1",         // leading zero (octal in inet_aton)
        "0x7f.0.0.1",        // hex part
        " 10.0.0.1",         // white space
        "10.0.0.1 ",         //
        "10.0.0.0/8",        // a prefix
        "fe80::1%eth0",      // a zone id
        "[::1]",             // brackets
        "[::1]:4789",        // with a port
        "10.0.0.1:4789",     //
        "1:2:3:4:5:6:7:8:9", // nine groups
        "1::2::3",           // two "::"
        "12345::",           // a group of five digits
        "::ffff:1.2.3",      // short embedded IPv4
        "::ffff:1.2.3.4.5",
        "g::1",
        "localhost",
        ":",
        ":::",
    };
    for (const char* s : bad) {
        Addr a;
        a.fill(0xa5);
        ov_error_t err{};
        EXPECT_EQ(ov_addr_parse(s, a.data(), &err), -EINVAL) << s;
        EXPECT_EQ(err.code, EINVAL) << s;
        EXPECT_EQ(std::string(err.reason),
                  std::string("addr: \"") + s + "\" is not an IPv4 or IPv6 address")
            << s;
        for (uint8_t b : a)
            ASSERT_EQ(b, 0xa5) << s << ": the output was written";
    }
}

TEST(AddrParse, RefusesEmptyAndNull) {
    Addr a{};
    ov_error_t err{};
    EXPECT_EQ(ov_addr_parse("", a.data(), &err), -EINVAL);
    EXPECT_STREQ(err.reason, "addr: the empty string is not an IPv4 or IPv6 address");
    err = {};
    EXPECT_EQ(ov_addr_parse(nullptr, a.data(), &err), -EINVAL);
    EXPECT_EQ(err.code, EINVAL);
    EXPECT_EQ(ov_addr_parse_n(nullptr, 5, a.data(), nullptr), -EINVAL); /* no err: no crash */
}

TEST(AddrParse, WithALengthNeedsNoNulAndRefusesOne) {
    Addr a{};
    ov_error_t err{};
    const char text[] = "10.0.0.1XYZ";
    ASSERT_EQ(ov_addr_parse_n(text, 8, a.data(), &err), 0) << err.reason;
    EXPECT_EQ(a, v4(10, 0, 0, 1));
    EXPECT_EQ(ov_addr_parse_n(text, 9, a.data(), &err), -EINVAL);

    // A NUL byte is refused, never read as the end of the text.
    const char with_nul[] = "10.0.0.1\0garbage";
    a.fill(0);
    EXPECT_EQ(ov_addr_parse_n(with_nul, sizeof(with_nul) - 1, a.data(), &err), -EINVAL);
    EXPECT_EQ(err.code, EINVAL);
    EXPECT_NE(std::strstr(err.reason, "a NUL byte at position 9"), nullptr) << err.reason;
    EXPECT_NE(std::strstr(err.reason, "10.0.0.1\\x00garbage"), nullptr) << err.reason;
    EXPECT_EQ(a, Addr{});
}

TEST(AddrParse, RefusesTextLongerThanAnyAddress) {
    // The longest text inet_pton takes: 45 bytes.
    const std::string longest = "0000:0000:0000:0000:0000:ffff:255.255.255.255";
    ASSERT_EQ(longest.size(), 45u);
    EXPECT_EQ(parse_ok(longest.c_str()), v4(255, 255, 255, 255));
    std::string s(OV_ADDR_TEXT_MAX + 1, '0');
    Addr a{};
    ov_error_t err{};
    EXPECT_EQ(ov_addr_parse(s.c_str(), a.data(), &err), -EINVAL);
    EXPECT_NE(std::strstr(err.reason, "(64 bytes, longer than any)"), nullptr) << err.reason;
    // Reasons quote at most 40 bytes of the text.
    EXPECT_NE(std::strstr(err.reason, "...\""), nullptr) << err.reason;
    // Non-printable bytes are escaped in the reason.
    EXPECT_EQ(ov_addr_parse("1.2.3.\x01", a.data(), &err), -EINVAL);
    EXPECT_NE(std::strstr(err.reason, "1.2.3.\\x01"), nullptr) << err.reason;
}

TEST(AddrIsV4, ExactlyTheMappedPrefix) {
    EXPECT_TRUE(ov_addr_is_v4(v4(1, 2, 3, 4).data()));
    EXPECT_TRUE(ov_addr_is_v4(v4(0, 0, 0, 0).data()));
    // One bit off anywhere in the 12-byte prefix is IPv6.
    for (size_t byte = 0; byte < 12; byte++)
        for (int bit = 0; bit < 8; bit++) {
            Addr a = v4(1, 2, 3, 4);
            a[byte] ^= static_cast<uint8_t>(1u << bit);
            EXPECT_FALSE(ov_addr_is_v4(a.data())) << "byte " << byte << " bit " << bit;
        }
    // Neighbours of ::ffff:0:0/96 that are not it.
    for (const char* s : {"::1.2.3.4", "::fffe:102:304", "::ffff:0:102:304", "64:ff9b::102:304",
                          "ffff::102:304", "::"})
        EXPECT_FALSE(ov_addr_is_v4(parse_ok(s).data())) << s;
}

TEST(AddrFromV4, IsTheMappedForm) {
    const uint8_t b[4] = {198, 51, 100, 7};
    Addr a;
    a.fill(0xa5);
    ov_addr_from_v4(b, a.data());
    EXPECT_EQ(a, v4(198, 51, 100, 7));
    EXPECT_EQ(ov::addr_from_v4(b), a);
}

std::string format(const Addr& a) {
    char buf[OV_ADDRSTRLEN];
    ov_error_t err{};
    EXPECT_EQ(ov_addr_format(a.data(), buf, sizeof(buf), &err), 0) << err.reason;
    return buf;
}

TEST(AddrFormat, MappedAsDottedOthersAsRfc5952) {
    EXPECT_EQ(format(v4(192, 0, 2, 1)), "192.0.2.1");
    EXPECT_EQ(format(v4(0, 0, 0, 0)), "0.0.0.0");
    EXPECT_EQ(format(parse_ok("2001:DB8:0:0:1:0:0:1")), "2001:db8::1:0:0:1");
    EXPECT_EQ(format(Addr{}), "::");
    // The prefix's neighbours keep their IPv6 text.
    EXPECT_EQ(format(parse_ok("::1.2.3.4")), "::1.2.3.4");
    EXPECT_EQ(format(parse_ok("::fffe:102:304")), "::fffe:102:304");
    EXPECT_EQ(format(parse_ok("::ffff:0:102:304")), "::ffff:0:102:304");
    EXPECT_EQ(format(parse_ok("64:ff9b::102:304")), "64:ff9b::102:304");
    // The longest text fits OV_ADDRSTRLEN with its NUL.
    const std::string all = format(parse_ok("1111:2222:3333:4444:5555:6666:7777:8888"));
    EXPECT_EQ(all, "1111:2222:3333:4444:5555:6666:7777:8888");
    const std::string ff = format(parse_ok("ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255"));
    EXPECT_EQ(ff, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
}

TEST(AddrFormat, RefusesASmallBuffer) {
    char buf[OV_ADDRSTRLEN];
    std::memset(buf, 'x', sizeof(buf));
    ov_error_t err{};
    const Addr a = v4(1, 2, 3, 4); /* its text would fit, the check is on the size */
    EXPECT_EQ(ov_addr_format(a.data(), buf, OV_ADDRSTRLEN - 1, &err), -ENOSPC);
    EXPECT_EQ(err.code, ENOSPC);
    EXPECT_STREQ(err.reason, "addr: a buffer of 45 bytes cannot hold an address (46)");
    EXPECT_EQ(buf[0], 'x');
    EXPECT_EQ(ov_addr_format(a.data(), buf, 0, nullptr), -ENOSPC);
    EXPECT_EQ(ov_addr_format(a.data(), buf, OV_ADDRSTRLEN, nullptr), 0);
    EXPECT_STREQ(buf, "1.2.3.4");
}

// Text -> bytes -> text gives the canonical spelling, which parses back to
// the same bytes; canonical text is a fixed point.
TEST(AddrRoundTrip, TextBytesText) {
    struct Case {
        const char* in;
        const char* canonical;
    } cases[] = {
        {"10.0.0.1", "10.0.0.1"},
        {"::ffff:10.0.0.1", "10.0.0.1"},
        {"::ffff:a00:1", "10.0.0.1"},
        {"2001:0DB8::0001", "2001:db8::1"},
        {"fe80:0:0:0:0:0:0:1", "fe80::1"},
        {"1:0:0:2:0:0:0:3", "1:0:0:2::3"},
        {"::", "::"},
        {"::1", "::1"},
    };
    for (const auto& c : cases) {
        const Addr a = parse_ok(c.in);
        EXPECT_EQ(format(a), c.canonical) << c.in;
        EXPECT_EQ(parse_ok(c.canonical), a) << c.in;
        EXPECT_EQ(format(parse_ok(c.canonical)), c.canonical) << c.in;
    }
}

TEST(AddrRoundTrip, BytesTextBytesForManyAddresses) {
    // Every address with the bytes below in a few places, mapped or not.
    const uint8_t vals[] = {0, 1, 0x7f, 0x80, 0xfe, 0xff};
    int n = 0;
    for (uint8_t x : vals)
        for (uint8_t y : vals)
            for (size_t at : {0u, 5u, 10u, 11u, 12u, 15u}) {
                Addr a{};
                a[at] = x;
                a[(at + 7) % 16] = y;
                for (bool mapped : {false, true}) {
                    if (mapped) {
                        a[10] = a[11] = 0xff;
                        std::fill(a.begin(), a.begin() + 10, 0);
                    }
                    Addr back{};
                    const std::string t = format(a);
                    ASSERT_EQ(ov_addr_parse(t.c_str(), back.data(), nullptr), 0) << t;
                    ASSERT_EQ(back, a) << t;
                    EXPECT_EQ(t.find(':') == std::string::npos, ov_addr_is_v4(a.data()) == 1) << t;
                    n++;
                }
            }
    EXPECT_EQ(n, 6 * 6 * 6 * 2);
}

TEST(AddrCpp, HelpersMatchTheCAbi) {
    Addr a{};
    std::string why;
    ASSERT_TRUE(ov::addr_parse(std::string_view("192.0.2.9 trailing").substr(0, 9), a, &why))
        << why;
    EXPECT_EQ(a, v4(192, 0, 2, 9));
    EXPECT_TRUE(ov::addr_is_v4(a));
    EXPECT_EQ(ov::addr_format(a), "192.0.2.9");
    EXPECT_EQ(ov::addr_format(a.data()), "192.0.2.9");
    EXPECT_FALSE(ov::addr_parse("nope", a, &why));
    EXPECT_EQ(why, "addr: \"nope\" is not an IPv4 or IPv6 address");
    EXPECT_FALSE(ov::addr_parse("", a)); /* why may be omitted */
    EXPECT_EQ(a, v4(192, 0, 2, 9));      /* untouched by the refusals */
}

// Nothing static: threads parse and format different addresses at once.
TEST(AddrThreads, NoSharedState) {
    std::vector<std::thread> ts;
    std::vector<int> bad(4, 0);
    for (int t = 0; t < 4; t++)
        ts.emplace_back([t, &bad] {
            for (int i = 0; i < 20000; i++) {
                Addr a = t % 2 ? v4(10, static_cast<uint8_t>(t), static_cast<uint8_t>(i >> 8),
                                    static_cast<uint8_t>(i))
                               : Addr{0x20,
                                      0x01,
                                      0x0d,
                                      0xb8,
                                      static_cast<uint8_t>(t),
                                      0,
                                      0,
                                      0,
                                      0,
                                      0,
                                      0,
                                      0,
                                      0,
                                      0,
                                      static_cast<uint8_t>(i >> 8),
                                      static_cast<uint8_t>(i)};
                Addr back{};
                if (!ov::addr_parse(ov::addr_format(a), back) || back != a)
                    bad[t]++;
            }
        });
    for (auto& th : ts)
        th.join();
    EXPECT_EQ(bad, std::vector<int>(4, 0));
}

} // namespace
