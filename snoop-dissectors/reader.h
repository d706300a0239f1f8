// Bounds-checked reader over one captured frame.
//
// Every field a dissector reads goes through a Reader. A read past the end
// never touches memory outside the frame: it returns 0, leaves the position
// where it was and makes the reader "short" for good (sticky), so a dissector
// can read a header field by field, print what it got and then ask ok() once.
// limit() narrows the readable end (to an IP total length or a UDP length) so
// trailing Ethernet padding is not taken for payload. Network byte order.
#pragma once

#include <cstddef>
#include <cstdint>

namespace ov::snoop {

class Reader {
public:
    Reader() = default;
    Reader(const uint8_t* data, size_t len) : p_(data), end_(len) {}

    bool ok() const { return ok_; }
    size_t pos() const { return pos_; }
    size_t left() const { return end_ - pos_; }
    const uint8_t* here() const { return p_ + pos_; }
    const uint8_t* end_ptr() const { return p_ + end_; }

    // Is n more bytes readable? If not the reader goes short.
    bool need(size_t n) {
        if (!ok_ || n > left()) {
            ok_ = false;
            return false;
        }
        return true;
    }
    uint8_t u8() { return need(1) ? p_[pos_++] : 0; }
    uint16_t u16() {
        if (!need(2))
            return 0;
        uint16_t v = uint16_t(p_[pos_] << 8 | p_[pos_ + 1]);
        pos_ += 2;
        return v;
    }
    uint32_t u24() {
        if (!need(3))
            return 0;
        uint32_t v = uint32_t(p_[pos_]) << 16 | uint32_t(p_[pos_ + 1]) << 8 | p_[pos_ + 2];
        pos_ += 3;
        return v;
    }
    uint32_t u32() {
        if (!need(4))
            return 0;
        uint32_t v = uint32_t(p_[pos_]) << 24 | uint32_t(p_[pos_ + 1]) << 16 |
                     uint32_t(p_[pos_ + 2]) << 8 | p_[pos_ + 3];
        pos_ += 4;
        return v;
    }
    // n bytes in place, or nullptr (and short) when fewer remain.
    const uint8_t* bytes(size_t n) {
        if (!need(n))
            return nullptr;
        const uint8_t* q = p_ + pos_;
        pos_ += n;
        return q;
    }
    bool skip(size_t n) { return bytes(n) != nullptr || n == 0; }

    // Bytes at offset `off` from the current position, without consuming.
    // Returns 0 when out of range (no stickiness: a peek is a question).
    uint8_t peek8(size_t off = 0) const { return off < left() ? p_[pos_ + off] : 0; }

    // Narrow the end to n bytes from here (never widens). True when all n
    // bytes are captured; false means the layer's own length claims more
    // than was captured (the caller decides whether that is truncation).
    bool limit(size_t n) {
        if (n <= left()) {
            end_ = pos_ + n;
            return true;
        }
        return false;
    }
    // A reader over the next n bytes (or fewer if the capture ends first);
    // this reader skips past them.
    Reader sub(size_t n) {
        size_t m = n < left() ? n : left();
        Reader r(p_ + pos_, m);
        pos_ += m;
        if (m < n)
            r.short_ = true;
        return r;
    }
    // True for a sub-reader whose span was cut short by the capture end.
    bool cut() const { return short_; }

private:
    const uint8_t* p_ = nullptr;
    size_t pos_ = 0;
    size_t end_ = 0;
    bool ok_ = true;
    bool short_ = false;
};

} // namespace ov::snoop
