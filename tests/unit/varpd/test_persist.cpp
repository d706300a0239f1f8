// Persistence: the record format round-trips; every kind of damage is
// refused with its reason; the store sets bad files aside as *.bad.
#include "harness.h"
#include "persist.h"

#include <gtest/gtest.h>

#include <filesystem>

using namespace varpd;

namespace {
InstanceRecord sample(uint64_t id = 7) {
    return InstanceRecord{id, 42, "files", 2, {'/', 'e', 't', 'c', '/', 'x'}};
}
} // namespace

TEST(Persist, RoundTrip) {
    auto bytes = encode_record(sample());
    InstanceRecord r;
    ASSERT_EQ(decode_record(bytes.data(), bytes.size(), &r), "");
    EXPECT_EQ(r.id, 7u);
    EXPECT_EQ(r.linkid, 42u);
    EXPECT_EQ(r.plugin, "files");
    EXPECT_EQ(r.mode, 2u);
    EXPECT_EQ(std::string(r.state.begin(), r.state.end()), "/etc/x");
    EXPECT_EQ(std::string(bytes.begin(), bytes.begin() + 8), "VARPDINS");
}

TEST(Persist, EveryDamageIsNamed) {
    auto good = encode_record(sample());
    InstanceRecord r;
    EXPECT_NE(decode_record(good.data(), 10, &r).find("truncated: 10 bytes"), std::string::npos);
    EXPECT_NE(decode_record(good.data(), good.size() - 8, &r).find("truncated or padded"),
              std::string::npos);
    auto bad = good;
    bad[0] = 'X';
    EXPECT_NE(decode_record(bad.data(), bad.size(), &r).find("bad magic"), std::string::npos);
    bad = good;
    bad[8] = 9;
    EXPECT_NE(decode_record(bad.data(), bad.size(), &r).find("version 9"), std::string::npos);
    /* Flip every byte of the message in turn: the checksum catches each. */
    for (size_t i = 24; i < good.size(); i++) {
        bad = good;
        bad[i] ^= 0x40;
        EXPECT_NE(decode_record(bad.data(), bad.size(), &r).find("checksum mismatch"),
                  std::string::npos)
            << "byte " << i;
    }
}

TEST(Persist, StoreSetsBadFilesAsideAndKeepsGoodOnes) {
    vt::TempDir d;
    PersistStore st(d.path);
    ASSERT_EQ(st.save(sample(1)), "");
    ASSERT_EQ(st.save(sample(2)), "");
    auto bytes = encode_record(sample(3));
    vt::write_file(st.path_of(3), std::string(bytes.begin(), bytes.begin() + 30)); /* truncated */
    vt::write_file(st.path_of(4), "garbage that is long enough to have a header.....");
    auto five = encode_record(sample(6)); /* a record under another id's name */
    vt::write_file(st.path_of(5), std::string(five.begin(), five.end()));
    std::vector<InstanceRecord> good;
    std::vector<BadFile> bad;
    st.load_all(good, bad);
    ASSERT_EQ(good.size(), 2u);
    EXPECT_EQ(good[0].id, 1u);
    EXPECT_EQ(good[1].id, 2u);
    ASSERT_EQ(bad.size(), 3u);
    EXPECT_NE(bad[0].reason.find("truncated"), std::string::npos) << bad[0].reason;
    EXPECT_NE(bad[1].reason.find("bad magic"), std::string::npos) << bad[1].reason;
    EXPECT_NE(bad[2].reason.find("not the one its name says"), std::string::npos) << bad[2].reason;
    for (auto& b : bad) {
        EXPECT_FALSE(std::filesystem::exists(b.path));
        EXPECT_TRUE(std::filesystem::exists(b.path + ".bad"));
    }
    /* Set aside means not read again. */
    good.clear();
    bad.clear();
    st.load_all(good, bad);
    EXPECT_EQ(good.size(), 2u);
    EXPECT_TRUE(bad.empty());
    EXPECT_EQ(st.remove(1), "");
    EXPECT_FALSE(std::filesystem::exists(st.path_of(1)));
    auto mode = std::filesystem::status(st.path_of(2)).permissions();
    EXPECT_EQ(mode, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
}
