// One output abstraction for three renderings (the iproute2 rule: each field
// is printed once, for text and JSON alike).
//
// Dissectors call layer() and then one call per field; Out renders:
//   Summary  one snoop-like line per packet, fields flagged kSum only;
//   Verbose  a block per layer, every field as "TAG:  Label = value";
//   Json     one JSON object per line, every field under its key;
//   Null     nothing (fuzzing, and -o with a -V filter).
// Text accumulates in one buffer that the caller flushes with fwrite; no
// per-field allocation, no iostreams. mark()/rollback() let the caller drop a
// packet it rendered but then filtered out (-V).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <span>
#include <string_view>

namespace ov::snoop {

enum class Mode : uint8_t { Summary, Verbose, Json, Null };

// Field flags: which fields reach the summary line and how.
enum : uint8_t {
    kSum = 1,  // shown in the summary line as key=value
    kBare = 2, // ... as the bare value
    kTo = 4,   // ... as "> value" (the second of a source/destination pair)
};

struct Field {
    std::string_view key;   // JSON key, and summary key
    std::string_view label; // verbose label
    uint8_t flags = 0;
};

struct Layer {
    const char* key;        // JSON "layer"
    std::string_view tag;   // summary and verbose tag, e.g. "IPv4"
    std::string_view title; // verbose header, e.g. "IPv4 Header"
};

// A value and its symbolic name; dissectors keep small tables of them.
struct Name {
    uint32_t v;
    const char* name;
};
using Names = std::span<const Name>;
inline const char* name_of(Names t, uint32_t v) {
    for (const Name& n : t)
        if (n.v == v)
            return n.name;
    return nullptr;
}

struct PacketInfo {
    uint64_t number;
    int64_t sec;
    uint32_t usec;
    uint32_t caplen;
    uint32_t len;
};

struct PacketStatus {
    const char* truncated_in = nullptr; // layer key where the capture ran out
    const char* malformed = nullptr;    // static text naming the problem
    const char* malformed_in = nullptr;
};

class Out {
public:
    explicit Out(Mode m) : mode_(m) { grow(1 << 17); }

    Mode mode() const { return mode_; }
    // Summary times are relative to the first packet given here (or, if
    // none was, to the first packet rendered).
    void time_base(int64_t sec, uint32_t usec) {
        if (first_sec_ < 0) {
            first_sec_ = sec;
            first_usec_ = usec;
        }
    }
    void begin_packet(const PacketInfo& p);
    void layer(const Layer& l, int depth);
    void end_packet(const PacketStatus& s);

    // One call per field. The check whether the field is shown at all is
    // inline (most fields are not, in a summary); the rendering is not.
    void u(const Field& f, uint64_t v) {
        if (wants(f))
            show_u(f, v);
    }
    void hex(const Field& f, uint64_t v, int digits) {
        if (wants(f))
            show_hex(f, v, digits);
    }
    // A number with a symbolic name (may be null); hex when digits > 0.
    void en(const Field& f, uint64_t v, const char* name, int digits = 0) {
        if (wants(f))
            show_en(f, v, name, digits);
    }
    // The same, the name looked up in `names` only when the field is shown.
    void en(const Field& f, uint64_t v, Names names, int digits = 0) {
        if (wants(f))
            show_en(f, v, name_of(names, uint32_t(v)), digits);
    }
    void mac(const Field& f, const uint8_t* p) {
        if (wants(f))
            show_mac(f, p);
    }
    void ip4(const Field& f, const uint8_t* p) {
        if (wants(f))
            show_ip4(f, p);
    }
    void ip6(const Field& f, const uint8_t* p) {
        if (wants(f))
            show_ip6(f, p);
    }
    void str(const Field& f, std::string_view s) {
        if (wants(f))
            show_str(f, s);
    }
    void boolean(const Field& f, bool v) {
        if (wants(f))
            show_bool(f, v);
    }
    // Raw bytes shown as hex (verbose and JSON only).
    void bytes(const Field& f, const uint8_t* p, size_t n) {
        if (mode_ != Mode::Summary && wants(f))
            show_bytes(f, p, n);
    }

    // Is this field rendered at all in the current mode? Lets a dissector
    // skip composing a string nobody will see.
    bool wants(const Field& f) const {
        return mode_ == Mode::Verbose || mode_ == Mode::Json ||
               (mode_ == Mode::Summary && (f.flags & (kSum | kBare | kTo)));
    }

    size_t mark() const { return len_; }
    void rollback(size_t m) {
        if (m < len_)
            len_ = m;
    }
    std::string_view text() const { return {buf_.get(), len_}; }
    void clear() { len_ = 0; }
    // Write the buffer to f when it holds at least `threshold` bytes.
    bool flush(FILE* f, size_t threshold = 0);

private:
    void show_u(const Field& f, uint64_t v);
    void show_hex(const Field& f, uint64_t v, int digits);
    void show_en(const Field& f, uint64_t v, const char* name, int digits);
    void show_mac(const Field& f, const uint8_t* p);
    void show_ip4(const Field& f, const uint8_t* p);
    void show_ip6(const Field& f, const uint8_t* p);
    void show_str(const Field& f, std::string_view s);
    void show_bool(const Field& f, bool v);
    void show_bytes(const Field& f, const uint8_t* p, size_t n);
    // Write what precedes a shown field's value.
    void start(const Field& f) {
        if (mode_ == Mode::Summary)
            start_summary(f);
        else
            start_full(f);
    }
    void start_summary(const Field& f);
    void start_full(const Field& f);
    // The buffer: appends are inline and checked; grow() doubles.
    void put(std::string_view s) {
        if (cap_ - len_ < s.size())
            grow(s.size());
        char* d = buf_.get() + len_;
        if (s.size() <= 16) {
            // Most pieces are a few bytes: a call to memcpy costs more.
            for (size_t i = 0; i < s.size(); i++)
                d[i] = s[i];
        } else {
            std::memcpy(d, s.data(), s.size());
        }
        len_ += s.size();
    }
    void putc(char c) {
        if (cap_ == len_)
            grow(1);
        buf_[len_++] = c;
    }
    void pad(size_t n, char c) {
        if (cap_ - len_ < n)
            grow(n);
        std::memset(buf_.get() + len_, c, n);
        len_ += n;
    }
    void grow(size_t need);
    void put_u(uint64_t v, int width = 0);
    template <class T> void put_digits(T v, int digits, int width);
    void put_hex(uint64_t v, int digits);
    void put_json_str(std::string_view s);
    void put_mac(const uint8_t* p);
    void put_ip4(const uint8_t* p);
    void put_ip6(const uint8_t* p);
    void end_field() {
        if (mode_ == Mode::Verbose)
            putc('\n');
    }
    // A value that JSON shows as a string: put_value() writes its text.
    template <class F> void quoted(const Field& f, F&& put_value) {
        start(f);
        bool json = mode_ == Mode::Json;
        if (json)
            putc('"');
        put_value();
        if (json)
            putc('"');
        end_field();
    }

    Mode mode_;
    std::unique_ptr<char[]> buf_;
    size_t len_ = 0;
    size_t cap_ = 0;
    const Layer* layer_ = nullptr;
    int depth_ = 0;
    int last_depth_ = 0;
    bool first_layer_ = true;
    int64_t first_sec_ = -1;
    uint32_t first_usec_ = 0;
};

} // namespace ov::snoop
