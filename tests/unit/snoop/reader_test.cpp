// Reader: every read is bounds-checked, a short read is sticky and returns 0.
#include <gtest/gtest.h>

#include "reader.h"

using ov::snoop::Reader;

TEST(SnoopReader, ReadsNetworkByteOrder) {
    const uint8_t b[] = {0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0, 0x11, 0x22};
    Reader r(b, sizeof b);
    EXPECT_EQ(r.u8(), 0x12);
    EXPECT_EQ(r.u16(), 0x3456);
    EXPECT_EQ(r.u24(), 0x789abcu);
    EXPECT_EQ(r.u32(), 0xdef01122u);
    EXPECT_TRUE(r.ok());
    EXPECT_EQ(r.left(), 0u);
}

TEST(SnoopReader, ShortReadIsStickyAndReturnsZero) {
    const uint8_t b[] = {1, 2, 3};
    Reader r(b, sizeof b);
    EXPECT_EQ(r.u32(), 0u);
    EXPECT_FALSE(r.ok());
    EXPECT_EQ(r.pos(), 0u); // nothing consumed
    EXPECT_EQ(r.u8(), 0);   // even a read that would fit fails now
    EXPECT_FALSE(r.ok());
}

TEST(SnoopReader, BytesNullWhenShort) {
    const uint8_t b[] = {1, 2, 3, 4};
    Reader r(b, sizeof b);
    EXPECT_EQ(r.bytes(4), b);
    Reader s(b, sizeof b);
    EXPECT_EQ(s.bytes(5), nullptr);
    EXPECT_FALSE(s.ok());
    Reader e(nullptr, 0);
    EXPECT_EQ(e.u8(), 0);
    EXPECT_FALSE(e.ok());
}

TEST(SnoopReader, LimitNarrowsNeverWidens) {
    const uint8_t b[] = {1, 2, 3, 4, 5, 6};
    Reader r(b, sizeof b);
    r.u8();
    EXPECT_TRUE(r.limit(2));
    EXPECT_EQ(r.left(), 2u);
    EXPECT_FALSE(r.limit(10)); // claims more than captured: left alone
    EXPECT_EQ(r.left(), 2u);
    EXPECT_EQ(r.u16(), 0x0203);
    EXPECT_EQ(r.u8(), 0);
    EXPECT_FALSE(r.ok());
    EXPECT_EQ(r.end_ptr(), b + 3);
}

TEST(SnoopReader, SubReaderIsCutWhenTheSpanRunsPastTheEnd) {
    const uint8_t b[] = {1, 2, 3, 4, 5};
    Reader r(b, sizeof b);
    Reader whole = r.sub(2);
    EXPECT_FALSE(whole.cut());
    EXPECT_EQ(whole.left(), 2u);
    EXPECT_EQ(r.left(), 3u);
    Reader part = r.sub(8);
    EXPECT_TRUE(part.cut());
    EXPECT_EQ(part.left(), 3u);
    EXPECT_EQ(r.left(), 0u);
    EXPECT_EQ(part.peek8(0), 3);
    EXPECT_EQ(part.peek8(3), 0); // peeking past the end is answered with 0
    EXPECT_TRUE(part.ok());
}
