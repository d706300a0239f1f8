// The real /dev/overlay channel, where it can be tested without the module:
// it refuses a missing device, reports ioctl errors with the link and the
// errno, and every dynamic-mode method says the kernel lacks it.
#include "channel_dev.h"

#include <gtest/gtest.h>

#include <system_error>

using namespace varpd;

TEST(DevChannel, MissingDeviceThrowsNamingIt) {
    try {
        DevOverlayChannel c("/nonexistent/overlay");
        FAIL() << "opened a missing device";
    } catch (const std::system_error& e) {
        EXPECT_NE(std::string(e.what()).find("open /nonexistent/overlay"), std::string::npos);
        EXPECT_EQ(e.code().value(), ENOENT);
    }
}

TEST(DevChannel, IoctlErrorsNameTheLinkAndDynamicModeIsNotSupported) {
    DevOverlayChannel c("/dev/null"); /* a device that knows none of our ioctls */
    Status s = c.associate(7, Mode::point, Dest{});
    EXPECT_EQ(s.err, ENOTTY);
    EXPECT_NE(s.why.find("ASSOCIATE on link 7"), std::string::npos) << s.why;
    s = c.disassociate(7);
    EXPECT_EQ(s.err, ENOTTY);
    EXPECT_EQ(c.fd(), -1);
    std::vector<LookupRequest> reqs;
    std::vector<CacheEntry> entries;
    std::vector<uint8_t> frame;
    std::vector<KernelChannel::Link> links;
    CacheEntry e;
    const Status all[] = {
        c.associate(7, Mode::dynamic, Dest{}), c.lookup_batch(reqs, 8), c.respond(1, Dest{}),
        c.drop(1), c.pkt(1, frame), c.inject(7, frame), c.resend(7, frame, Dest{}),
        c.cache_get(7, Mac{}, e), c.cache_set(7, e), c.cache_remove(7, Mac{}), c.cache_flush(7),
        c.cache_iter(7, entries), c.degrade(7, "x"), c.restore(7), c.list_links(links)};
    for (const Status& st : all) {
        EXPECT_EQ(st.err, ENOTSUP);
        EXPECT_NE(st.why.find("overlay.ko has no dynamic-mode lookup channel yet"),
                  std::string::npos)
            << st.why;
    }
}
