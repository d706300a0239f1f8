// Property validation in kernel-module/core (ov_prop.c): sizes per type,
// ranges, possible strings, defaults, and the address predicates.
#include <gtest/gtest.h>

#include <arpa/inet.h>

#include <array>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string>

#include "ov_core.h"

namespace {

using Ip = std::array<uint8_t, 16>;

Ip ip(const char* s) {
    Ip a{};
    in_addr v4{};
    if (inet_pton(AF_INET, s, &v4) == 1) {
        a[10] = a[11] = 0xff;
        std::memcpy(&a[12], &v4, 4);
    } else {
        EXPECT_EQ(inet_pton(AF_INET6, s, a.data()), 1) << s;
    }
    return a;
}

constexpr ov_prop_desc kMtu{.name = "mtu",
                            .type = OVERLAY_PROP_T_UINT,
                            .perm = OVERLAY_PROP_PERM_READ | OVERLAY_PROP_PERM_WRITE,
                            .min = 576,
                            .max = 9000,
                            .possible = nullptr,
                            .has_default = true,
                            .def_uint = 1400,
                            .def_str = nullptr};
constexpr ov_prop_desc kEncap{.name = "encap",
                              .type = OVERLAY_PROP_T_STRING,
                              .perm = OVERLAY_PROP_PERM_READ,
                              .min = 0,
                              .max = 0,
                              .possible = "vxlan,nvgre",
                              .has_default = false,
                              .def_uint = 0,
                              .def_str = nullptr};
constexpr ov_prop_desc kIp{.name = "vxlan/listen_ip",
                           .type = OVERLAY_PROP_T_IP,
                           .perm = OVERLAY_PROP_PERM_READ,
                           .min = 0,
                           .max = 0,
                           .possible = nullptr,
                           .has_default = false,
                           .def_uint = 0,
                           .def_str = nullptr};

int check_uint(uint64_t v, uint32_t size = 8) {
    uint8_t buf[16]{};
    std::memcpy(buf, &v, sizeof(v));
    return ov_prop_check(&kMtu, buf, size);
}

int check_str(const std::string& s) {
    return ov_prop_check(&kEncap, s.c_str(), uint32_t(s.size() + 1));
}

TEST(PropUint, RangeIsInclusive) {
    EXPECT_EQ(check_uint(576), 0);
    EXPECT_EQ(check_uint(9000), 0);
    EXPECT_EQ(check_uint(575), -ERANGE);
    EXPECT_EQ(check_uint(9001), -ERANGE);
    EXPECT_EQ(check_uint(UINT64_MAX), -ERANGE);
}

TEST(PropUint, OnlyEightBytes) {
    EXPECT_EQ(check_uint(1400, 4), -EINVAL);
    EXPECT_EQ(check_uint(1400, 0), -EINVAL);
    EXPECT_EQ(check_uint(1400, 16), -EINVAL);
}

TEST(PropString, PossibleValuesAreWholeWords) {
    EXPECT_EQ(check_str("vxlan"), 0);
    EXPECT_EQ(check_str("nvgre"), 0);
    EXPECT_EQ(check_str("vxla"), -ERANGE);
    EXPECT_EQ(check_str("vxlan,nvgre"), -ERANGE);
    EXPECT_EQ(check_str("geneve"), -ERANGE);
    EXPECT_EQ(check_str(""), -EINVAL);
}

TEST(PropString, MustBeTerminatedWithoutInnerNul) {
    const char raw[] = {'v', 'x', 'l', 'a', 'n'};
    EXPECT_EQ(ov_prop_check(&kEncap, raw, sizeof(raw)), -EINVAL);
    const char inner[] = {'v', 'x', 0, 'a', 0};
    EXPECT_EQ(ov_prop_check(&kEncap, inner, sizeof(inner)), -EINVAL);
    EXPECT_EQ(ov_prop_check(&kEncap, "vxlan", OVERLAY_PROP_SIZEMAX + 1), -EINVAL);
}

TEST(PropIp, ListenableAddresses) {
    for (const char* ok : {"10.0.0.1", "0.0.0.0", "127.0.0.1", "::", "fd00::1", "::1"})
        EXPECT_EQ(ov_prop_check(&kIp, ip(ok).data(), 16), 0) << ok;
    for (const char* bad : {"224.0.0.1", "239.1.1.1", "255.255.255.255", "ff02::1"})
        EXPECT_EQ(ov_prop_check(&kIp, ip(bad).data(), 16), -EINVAL) << bad;
    EXPECT_EQ(ov_prop_check(&kIp, ip("10.0.0.1").data(), 4), -EINVAL);
}

TEST(PropIp, Predicates) {
    EXPECT_TRUE(ov_ip_is_v4(ip("192.0.2.1").data()));
    EXPECT_FALSE(ov_ip_is_v4(ip("2001:db8::1").data()));
    EXPECT_TRUE(ov_ip_is_unspec(ip("0.0.0.0").data()));
    EXPECT_TRUE(ov_ip_is_unspec(ip("::").data()));
    EXPECT_FALSE(ov_ip_is_unspec(ip("::1").data()));
    EXPECT_TRUE(ov_ip_is_unicast(ip("fd00::2").data()));
    EXPECT_FALSE(ov_ip_is_unicast(ip("0.0.0.0").data()));
    EXPECT_FALSE(ov_ip_is_unicast(ip("ff05::2").data()));
}

TEST(PropDefault, UintAndStringAndNone) {
    uint8_t buf[OVERLAY_PROP_SIZEMAX];
    ASSERT_EQ(ov_prop_default(&kMtu, buf), 8u);
    uint64_t v;
    std::memcpy(&v, buf, 8);
    EXPECT_EQ(v, 1400u);
    EXPECT_EQ(ov_prop_default(&kEncap, buf), 0u);
    EXPECT_EQ(ov_prop_default(&kIp, buf), 0u);

    ov_prop_desc s = kEncap;
    s.has_default = true;
    s.def_str = "vxlan";
    ASSERT_EQ(ov_prop_default(&s, buf), 6u);
    EXPECT_STREQ(reinterpret_cast<char*>(buf), "vxlan");
}

TEST(PropGet, SetValueWinsOverDefault) {
    ov_prop_val v{};
    EXPECT_EQ(ov_prop_uint(&kMtu, &v), 1400u);
    uint64_t mtu = 9000;
    v.set = true;
    v.size = 8;
    std::memcpy(v.data, &mtu, 8);
    EXPECT_EQ(ov_prop_uint(&kMtu, &v), 9000u);
}

TEST(PropList, Words) {
    EXPECT_TRUE(ov_prop_list_has("a,bb,ccc", "a"));
    EXPECT_TRUE(ov_prop_list_has("a,bb,ccc", "ccc"));
    EXPECT_FALSE(ov_prop_list_has("a,bb,ccc", "b"));
    EXPECT_FALSE(ov_prop_list_has("a,bb,ccc", ""));
    EXPECT_TRUE(ov_prop_list_has("", ""));
}

}  // namespace
