// include/uapi/overlay.h is the contract: its structures must have no hidden
// padding (every hole is a named field) and the same layout on every 64-bit
// ABI, and every ioctl number must encode its structure's size.
#include <gtest/gtest.h>

#include <cstddef>
#include <set>

#include "uapi/overlay.h"

namespace {

static_assert(sizeof(overlay_ioc_create) == 32);
static_assert(sizeof(overlay_ioc_link) == 8);
static_assert(sizeof(overlay_ioc_nprops) == 8);
static_assert(offsetof(overlay_ioc_propinfo, oipi_default) == 88);
static_assert(offsetof(overlay_ioc_propinfo, oipi_min) == 216);
static_assert(sizeof(overlay_ioc_propinfo) == 360);
static_assert(sizeof(overlay_ioc_prop) == 208);
static_assert(sizeof(overlay_counters) == 16 * 8);
static_assert(offsetof(overlay_ioc_status, oisc_dev) == 152);
static_assert(sizeof(overlay_ioc_status) == 152 + 2 * 128);
static_assert(sizeof(overlay_ioc_associate) == 32);
static_assert(offsetof(overlay_ioc_associate, oia_ip) == 16);
// Dynamic mode: records are batched in arrays, so their sizes are ABI too.
static_assert(sizeof(overlay_targ_info) == 32 + 14 * 8 + 4 * 8);
static_assert(offsetof(overlay_targ_info, ot_pending_frames) == 32);
static_assert(sizeof(overlay_ioc_degrade) == 8 + OVERLAY_MSGLEN);
static_assert(sizeof(overlay_targ_req) == 40);
static_assert(offsetof(overlay_targ_req, otr_dst) == 16);
static_assert(offsetof(overlay_targ_req, otr_pktsize) == 32);
static_assert(sizeof(overlay_ioc_lookup) == 16);
static_assert(sizeof(overlay_targ_resp) == 40);
static_assert(offsetof(overlay_targ_resp, ors_ip) == 16);
static_assert(offsetof(overlay_targ_resp, ors_error) == 32);
static_assert(sizeof(overlay_ioc_respond) == 24);
static_assert(sizeof(overlay_ioc_targ_pkt) == 24);
static_assert(sizeof(overlay_ioc_frame) == 40);
static_assert(offsetof(overlay_ioc_frame, oif_buf) == 32);
static_assert(sizeof(overlay_targ_link) == 16);
static_assert(sizeof(overlay_ioc_list) == 16);
static_assert(sizeof(overlay_targ_cache_entry) == 32);
static_assert(offsetof(overlay_targ_cache_entry, otc_ip) == 16);
static_assert(sizeof(overlay_ioc_cache) == 40);
static_assert(sizeof(overlay_ioc_cache_iter) == 40);
static_assert(offsetof(overlay_ioc_cache_iter, oci_cursor) == 16);

TEST(Uapi, IoctlNumbersEncodeTheirSizesAndAreDistinct) {
    EXPECT_EQ(_IOC_SIZE(OVERLAY_IOC_CREATE), sizeof(overlay_ioc_create));
    EXPECT_EQ(_IOC_SIZE(OVERLAY_IOC_STATUS), sizeof(overlay_ioc_status));
    EXPECT_EQ(_IOC_SIZE(OVERLAY_IOC_PROPINFO), sizeof(overlay_ioc_propinfo));
    EXPECT_EQ(_IOC_SIZE(OVERLAY_IOC_ASSOCIATE), sizeof(overlay_ioc_associate));
    std::set<unsigned> nrs;
    for (unsigned long c :
         {OVERLAY_IOC_CREATE, OVERLAY_IOC_DELETE, OVERLAY_IOC_ACTIVATE, OVERLAY_IOC_NPROPS,
          OVERLAY_IOC_PROPINFO, OVERLAY_IOC_GETPROP, OVERLAY_IOC_SETPROP, OVERLAY_IOC_STATUS,
          OVERLAY_IOC_ASSOCIATE, OVERLAY_IOC_DISASSOCIATE, OVERLAY_IOC_TARG_INFO,
          OVERLAY_IOC_DEGRADE, OVERLAY_IOC_RESTORE, OVERLAY_IOC_LOOKUP, OVERLAY_IOC_RESPOND,
          OVERLAY_IOC_DROP, OVERLAY_IOC_PKT, OVERLAY_IOC_INJECT, OVERLAY_IOC_RESEND,
          OVERLAY_IOC_LIST, OVERLAY_IOC_CACHE_GET, OVERLAY_IOC_CACHE_SET,
          OVERLAY_IOC_CACHE_REMOVE, OVERLAY_IOC_CACHE_FLUSH, OVERLAY_IOC_CACHE_ITER}) {
        EXPECT_EQ(_IOC_TYPE(c), unsigned(OVERLAY_IOC_TYPE));
        EXPECT_TRUE(nrs.insert(_IOC_NR(c)).second);
    }
}

// The number ranges the header reserves: destinations 0x20-0x3f, the
// target cache 0x40-0x5f; and the sizes of the dynamic mode's ioctls.
TEST(Uapi, DynamicModeIoctlsLiveInTheirRanges) {
    for (unsigned long c :
         {OVERLAY_IOC_TARG_INFO, OVERLAY_IOC_DEGRADE, OVERLAY_IOC_RESTORE, OVERLAY_IOC_LOOKUP,
          OVERLAY_IOC_RESPOND, OVERLAY_IOC_DROP, OVERLAY_IOC_PKT, OVERLAY_IOC_INJECT,
          OVERLAY_IOC_RESEND, OVERLAY_IOC_LIST}) {
        EXPECT_GE(_IOC_NR(c), 0x20u);
        EXPECT_LE(_IOC_NR(c), 0x3fu);
    }
    for (unsigned long c : {OVERLAY_IOC_CACHE_GET, OVERLAY_IOC_CACHE_SET, OVERLAY_IOC_CACHE_REMOVE,
                            OVERLAY_IOC_CACHE_FLUSH, OVERLAY_IOC_CACHE_ITER}) {
        EXPECT_GE(_IOC_NR(c), 0x40u);
        EXPECT_LE(_IOC_NR(c), 0x5fu);
    }
    EXPECT_EQ(_IOC_SIZE(OVERLAY_IOC_LOOKUP), sizeof(overlay_ioc_lookup));
    EXPECT_EQ(_IOC_SIZE(OVERLAY_IOC_RESPOND), sizeof(overlay_ioc_respond));
    EXPECT_EQ(_IOC_SIZE(OVERLAY_IOC_CACHE_ITER), sizeof(overlay_ioc_cache_iter));
    EXPECT_EQ(_IOC_SIZE(OVERLAY_IOC_TARG_INFO), sizeof(overlay_targ_info));
    // LOOKUP and PKT write back; the others are in-only.
    EXPECT_EQ(_IOC_DIR(OVERLAY_IOC_LOOKUP), unsigned(_IOC_READ | _IOC_WRITE));
    EXPECT_EQ(_IOC_DIR(OVERLAY_IOC_PKT), unsigned(_IOC_READ | _IOC_WRITE));
    EXPECT_EQ(_IOC_DIR(OVERLAY_IOC_INJECT), unsigned(_IOC_WRITE));
}

}  // namespace
