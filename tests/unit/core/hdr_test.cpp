// Header building and parsing in kernel-module/core (ov_hdr.c): the bytes on
// the wire against RFC 7348 and RFC 7637, every truncation length, and each
// malformed shape the module must drop and count.
#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <vector>

#include "ov_core.h"

namespace {

ov_decap_result vxlan(const std::vector<uint8_t>& b) {
    ov_decap_result r{};
    ov_vxlan_parse(b.data(), b.size(), &r);
    return r;
}

ov_decap_result nvgre(const std::vector<uint8_t>& b) {
    ov_decap_result r{};
    ov_nvgre_parse(b.data(), b.size(), &r);
    return r;
}

TEST(Vxlan, BuildMatchesRfc7348Layout) {
    std::array<uint8_t, OV_VXLAN_HLEN> h{};
    h.fill(0xaa);
    ov_vxlan_build(h.data(), 0x123456);
    EXPECT_EQ(h, (std::array<uint8_t, 8>{0x08, 0, 0, 0, 0x12, 0x34, 0x56, 0}));
}

TEST(Vxlan, RoundTripsEveryVniWidth) {
    for (uint32_t vni : {0u, 1u, 0xffu, 0x100u, 0xabcdefu, OV_VNETID_MAX}) {
        std::vector<uint8_t> h(OV_VXLAN_HLEN);
        ov_vxlan_build(h.data(), vni);
        auto r = vxlan(h);
        EXPECT_EQ(r.verdict, OV_DECAP_OK) << vni;
        EXPECT_TRUE(r.has_vnetid);
        EXPECT_EQ(r.vnetid, vni);
        EXPECT_EQ(r.hdrlen, 8u);
    }
}

TEST(Vxlan, EveryShortLengthIsTruncatedWithoutVni) {
    std::vector<uint8_t> h(OV_VXLAN_HLEN);
    ov_vxlan_build(h.data(), 7);
    for (size_t len = 0; len < OV_VXLAN_HLEN; len++) {
        ov_decap_result r{};
        ov_vxlan_parse(h.data(), len, &r);
        EXPECT_EQ(r.verdict, OV_DECAP_TRUNCATED) << len;
        EXPECT_FALSE(r.has_vnetid) << len;
    }
}

TEST(Vxlan, ExtraFlagBitsAreBadButNameTheVni) {
    for (uint8_t extra : {0x01, 0x02, 0x04, 0x10, 0x20, 0x40, 0x80}) {
        std::vector<uint8_t> h{uint8_t(0x08 | extra), 0, 0, 0, 0, 0, 42, 0};
        auto r = vxlan(h);
        EXPECT_EQ(r.verdict, OV_DECAP_BAD_FLAGS) << int(extra);
        EXPECT_TRUE(r.has_vnetid);
        EXPECT_EQ(r.vnetid, 42u);
    }
}

TEST(Vxlan, MissingIFlagMeansNoValidVni) {
    auto r = vxlan({0x00, 0, 0, 0, 0, 0, 42, 0});
    EXPECT_EQ(r.verdict, OV_DECAP_BAD_FLAGS);
    EXPECT_FALSE(r.has_vnetid);
}

TEST(Vxlan, ReservedFieldsAreIgnoredOnReceipt) {
    auto r = vxlan({0x08, 0xff, 0xff, 0xff, 0, 0, 9, 0xff});
    EXPECT_EQ(r.verdict, OV_DECAP_OK);
    EXPECT_EQ(r.vnetid, 9u);
}

TEST(Nvgre, BuildMatchesRfc7637Layout) {
    std::array<uint8_t, OV_NVGRE_HLEN> h{};
    ov_nvgre_build(h.data(), 0xabcdef, 0x5a);
    EXPECT_EQ(h, (std::array<uint8_t, 8>{0x20, 0x00, 0x65, 0x58, 0xab, 0xcd, 0xef,
                                         0x5a}));
}

TEST(Nvgre, RoundTripIgnoresFlowId) {
    for (uint8_t flow : {0, 1, 0x80, 0xff}) {
        std::vector<uint8_t> h(OV_NVGRE_HLEN);
        ov_nvgre_build(h.data(), 0x010203, flow);
        auto r = nvgre(h);
        EXPECT_EQ(r.verdict, OV_DECAP_OK);
        EXPECT_EQ(r.vnetid, 0x010203u);
        EXPECT_EQ(r.hdrlen, 8u);
    }
}

TEST(Nvgre, LinuxGretapKeyIsVsidShiftedByEight) {
    // gretap "key 0x00000100" carries VSID 1, FlowID 0 on the wire.
    auto r = nvgre({0x20, 0x00, 0x65, 0x58, 0x00, 0x00, 0x01, 0x00});
    EXPECT_EQ(r.verdict, OV_DECAP_OK);
    EXPECT_EQ(r.vnetid, 1u);
}

TEST(Nvgre, EveryShortLengthIsTruncated) {
    std::vector<uint8_t> h(OV_NVGRE_HLEN);
    ov_nvgre_build(h.data(), 5, 0);
    for (size_t len = 0; len < OV_NVGRE_HLEN; len++) {
        ov_decap_result r{};
        ov_nvgre_parse(h.data(), len, &r);
        EXPECT_EQ(r.verdict, OV_DECAP_TRUNCATED) << len;
        EXPECT_FALSE(r.has_vnetid);
    }
}

TEST(Nvgre, ChecksumBitIsBadAndKeyIsFoundAfterTheChecksum) {
    auto r = nvgre({0xa0, 0x00, 0x65, 0x58, 0xde, 0xad, 0, 0, 0, 0, 0x07, 0});
    EXPECT_EQ(r.verdict, OV_DECAP_BAD_GRE);
    EXPECT_TRUE(r.has_vnetid);
    EXPECT_EQ(r.vnetid, 7u);
}

TEST(Nvgre, SequenceRoutingAndReservedBitsAreBad) {
    for (auto b0b1 : std::vector<std::pair<uint8_t, uint8_t>>{
             {0x30, 0}, {0x60, 0}, {0x28, 0}, {0x21, 0}, {0x20, 0x08}, {0x20, 0x80}}) {
        auto r = nvgre({b0b1.first, b0b1.second, 0x65, 0x58, 0, 0, 3, 0, 0, 0, 3, 0});
        EXPECT_EQ(r.verdict, OV_DECAP_BAD_GRE) << int(b0b1.first) << "/" << int(b0b1.second);
        EXPECT_TRUE(r.has_vnetid);
    }
}

TEST(Nvgre, ChecksumBitWithKeyCutOffIsBadWithoutVsid) {
    auto r = nvgre({0xa0, 0x00, 0x65, 0x58, 0, 0, 0, 0});
    EXPECT_EQ(r.verdict, OV_DECAP_BAD_GRE);
    EXPECT_FALSE(r.has_vnetid);
}

TEST(Nvgre, OtherGreIsNotOurs) {
    EXPECT_EQ(nvgre({0x20, 0x00, 0x08, 0x00, 0, 0, 1, 0}).verdict, OV_DECAP_NOT_OURS);  // IPv4
    EXPECT_EQ(nvgre({0x00, 0x00, 0x65, 0x58, 0, 0, 1, 0}).verdict, OV_DECAP_NOT_OURS);  // no key
    EXPECT_EQ(nvgre({0x20, 0x01, 0x65, 0x58, 0, 0, 1, 0}).verdict, OV_DECAP_NOT_OURS);  // v1
}

TEST(Inner, RuntAndOversize) {
    EXPECT_EQ(ov_decap_inner_check(0, 1500), OV_DECAP_RUNT);
    EXPECT_EQ(ov_decap_inner_check(13, 1500), OV_DECAP_RUNT);
    EXPECT_EQ(ov_decap_inner_check(14, 1500), OV_DECAP_OK);
    EXPECT_EQ(ov_decap_inner_check(1518, 1500), OV_DECAP_OK);
    EXPECT_EQ(ov_decap_inner_check(1519, 1500), OV_DECAP_OVERSIZE);
}

TEST(Flow, SourcePortStaysInRangeAndSpreads) {
    std::vector<int> seen(65536);
    for (uint32_t h = 0; h < 100000; h++) {
        uint32_t hash = h * 2654435761u;
        uint16_t p = ov_flow_src_port(hash, 32768, 60999);
        ASSERT_GE(p, 32768);
        ASSERT_LE(p, 60999);
        seen[p]++;
    }
    EXPECT_EQ(ov_flow_src_port(0, 32768, 60999), 32768);
    EXPECT_EQ(ov_flow_src_port(0xffffffffu, 32768, 60999), 60999);
    EXPECT_EQ(ov_flow_src_port(1234, 5, 5), 5);
    EXPECT_EQ(ov_flow_src_port(1234, 9, 5), 9);  // inverted range: lo
    int used = 0;
    for (int c : seen) used += c > 0;
    EXPECT_GT(used, 25000);
}

TEST(Flow, NvgreFlowIdFoldsEveryByte) {
    EXPECT_EQ(ov_flow_nvgre_id(0), 0);
    EXPECT_EQ(ov_flow_nvgre_id(0x01000000), 1);
    EXPECT_EQ(ov_flow_nvgre_id(0x00010000), 1);
    EXPECT_EQ(ov_flow_nvgre_id(0x01010000), 0);
    EXPECT_EQ(ov_flow_nvgre_id(0x000000ab), 0xab);
}

TEST(Verdict, EveryVerdictHasAName) {
    for (uint32_t v = OV_DECAP_OK; v <= OV_DECAP_OVERSIZE; v++)
        EXPECT_STRNE(ov_decap_verdict_name(v), "unknown");
    EXPECT_STREQ(ov_decap_verdict_name(99), "unknown");
}

}  // namespace
