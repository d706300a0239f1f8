// The real /dev/overlay channel, where it can be tested without the module
// (the VM tests 50-varpd-direct and 51-varpd-files drive it against
// ovnet.ko): it refuses a missing device; claiming the responder role on
// something that is not /dev/overlay fails naming the problem; every method
// issues its ioctl and reports the errno with the ioctl, the link or the
// request and what the errno means; frames of a size the kernel would
// refuse are refused before the ioctl; concurrent RESPONDs are
// group-committed and every caller gets its own record's result.
#include "channel_dev.h"

#include <gtest/gtest.h>

#include <system_error>
#include <thread>

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

TEST(DevChannel, ClaimingTheResponderRoleOnANonOverlayDeviceFails) {
    try {
        DevOverlayChannel c("/dev/null");
        FAIL() << "claimed the responder role on /dev/null";
    } catch (const std::system_error& e) {
        EXPECT_EQ(e.code().value(), ENOTTY);
        std::string w = e.what();
        EXPECT_NE(w.find("claiming the lookup responder role on /dev/null"), std::string::npos)
            << w;
        EXPECT_NE(w.find("not an ovnet.ko device"), std::string::npos) << w;
    }
}

TEST(DevChannel, EveryMethodIssuesItsIoctlAndNamesTheFailure) {
    DevOverlayChannel c("/dev/null", false); /* a device that knows none of our ioctls */
    EXPECT_GE(c.fd(), 0); /* the descriptor the loop polls */
    std::vector<LookupRequest> reqs;
    std::vector<CacheEntry> entries;
    std::vector<uint8_t> frame(60, 0xab), got(5, 1);
    std::vector<KernelChannel::Link> links;
    CacheEntry e;
    uint32_t vnetid = 42;
    struct Case {
        Status s;
        const char* names;
    };
    const Case all[] = {
        {c.associate(7, Mode::point, Dest{}), "ASSOCIATE point on link 7"},
        {c.associate(7, Mode::dynamic, Dest{}), "ASSOCIATE dynamic on link 7"},
        {c.disassociate(7), "DISASSOCIATE on link 7"},
        {c.lookup_batch(reqs, 8), "LOOKUP on /dev/null"},
        {c.respond(11, Dest{}), "RESPOND of request 11"},
        {c.drop(12), "DROP of request 12"},
        {c.pkt(13, got), "PKT of request 13"},
        {c.inject(7, frame), "INJECT on link 7"},
        {c.resend(7, frame, Dest{}), "RESEND on link 7"},
        {c.cache_get(7, Mac{}, e), "CACHE_GET on link 7"},
        {c.cache_set(7, e), "CACHE_SET on link 7"},
        {c.cache_remove(7, Mac{}), "CACHE_REMOVE on link 7"},
        {c.cache_flush(7), "CACHE_FLUSH on link 7"},
        {c.cache_iter(7, entries), "CACHE_ITER on link 7"},
        {c.degrade(7, "x"), "DEGRADE on link 7"},
        {c.restore(7), "RESTORE on link 7"},
        {c.list_links(links), "LIST on /dev/null"},
        {c.link_vnetid(7, vnetid), "GETPROP vnetid on link 7"},
    };
    for (const Case& k : all) {
        EXPECT_EQ(k.s.err, ENOTTY) << k.names << ": " << k.s.why;
        EXPECT_NE(k.s.why.find(k.names), std::string::npos) << k.s.why;
        EXPECT_NE(k.s.why.find("not an ovnet.ko device"), std::string::npos) << k.s.why;
    }
    EXPECT_TRUE(reqs.empty());
    EXPECT_TRUE(entries.empty());
    EXPECT_TRUE(links.empty());
    EXPECT_TRUE(got.empty()) << "a failed PKT left a frame behind";
    EXPECT_EQ(vnetid, 42u) << "a failed GETPROP wrote a vnet id";
    EXPECT_EQ(c.respond_calls(), 1u);
    EXPECT_EQ(c.respond_records(), 1u);
}

TEST(DevChannel, FramesTheKernelWouldRefuseAreRefusedFirst) {
    DevOverlayChannel c("/dev/null", false);
    std::vector<uint8_t> runt(13), giant(65536);
    for (const Status& s : {c.inject(3, runt), c.resend(3, giant, Dest{})}) {
        EXPECT_EQ(s.err, EINVAL);
        EXPECT_NE(s.why.find("bytes (14 to 65535 allowed)"), std::string::npos) << s.why;
    }
    Status s = c.inject(3, runt);
    EXPECT_NE(s.why.find("INJECT on link 3: a frame of 13 bytes"), std::string::npos) << s.why;
}

TEST(DevChannel, ConcurrentRespondsShareIoctlsAndEachGetsItsResult) {
    DevOverlayChannel c("/dev/null", false);
    constexpr int threads = 8, each = 2000;
    std::vector<int> wrong(threads, 0);
    std::vector<std::thread> ts;
    for (int t = 0; t < threads; t++)
        ts.emplace_back([&, t] {
            for (int i = 0; i < each; i++) {
                uint64_t id = static_cast<uint64_t>(t) * each + i + 1;
                Status s = c.respond(id, Dest{});
                /* Each caller's status names its own request. */
                if (s.err != ENOTTY ||
                    s.why.find("request " + std::to_string(id) + ":") == std::string::npos)
                    wrong[t]++;
            }
        });
    for (auto& t : ts)
        t.join();
    for (int t = 0; t < threads; t++)
        EXPECT_EQ(wrong[t], 0) << "thread " << t;
    EXPECT_EQ(c.respond_records(), uint64_t{threads} * each);
    EXPECT_LE(c.respond_calls(), c.respond_records());
    EXPECT_GE(c.respond_calls(), 1u);
    std::printf("# %llu records in %llu RESPOND calls\n",
                (unsigned long long)c.respond_records(), (unsigned long long)c.respond_calls());
}
