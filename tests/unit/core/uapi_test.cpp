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

TEST(Uapi, IoctlNumbersEncodeTheirSizesAndAreDistinct) {
    EXPECT_EQ(_IOC_SIZE(OVERLAY_IOC_CREATE), sizeof(overlay_ioc_create));
    EXPECT_EQ(_IOC_SIZE(OVERLAY_IOC_STATUS), sizeof(overlay_ioc_status));
    EXPECT_EQ(_IOC_SIZE(OVERLAY_IOC_PROPINFO), sizeof(overlay_ioc_propinfo));
    EXPECT_EQ(_IOC_SIZE(OVERLAY_IOC_ASSOCIATE), sizeof(overlay_ioc_associate));
    std::set<unsigned> nrs;
    for (unsigned long c :
         {OVERLAY_IOC_CREATE, OVERLAY_IOC_DELETE, OVERLAY_IOC_ACTIVATE, OVERLAY_IOC_NPROPS,
          OVERLAY_IOC_PROPINFO, OVERLAY_IOC_GETPROP, OVERLAY_IOC_SETPROP, OVERLAY_IOC_STATUS,
          OVERLAY_IOC_ASSOCIATE, OVERLAY_IOC_DISASSOCIATE}) {
        EXPECT_EQ(_IOC_TYPE(c), unsigned(OVERLAY_IOC_TYPE));
        EXPECT_TRUE(nrs.insert(_IOC_NR(c)).second);
    }
}

}  // namespace
