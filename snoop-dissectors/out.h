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
#include <string>
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
    const char* key;   // JSON key, and summary key
    const char* label; // verbose label
    uint8_t flags = 0;
};

struct Layer {
    const char* key;   // JSON "layer"
    const char* tag;   // summary and verbose tag, e.g. "IPv4"
    const char* title; // verbose header, e.g. "IPv4 Header"
};

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
    explicit Out(Mode m) : mode_(m) { buf_.reserve(1 << 17); }

    Mode mode() const { return mode_; }
    void begin_packet(const PacketInfo& p);
    void layer(const Layer& l, int depth);
    void end_packet(const PacketStatus& s);

    void u(const Field& f, uint64_t v);
    void hex(const Field& f, uint64_t v, int digits);
    // A number with a symbolic name (may be null); hex when digits > 0.
    void en(const Field& f, uint64_t v, const char* name, int digits = 0);
    void mac(const Field& f, const uint8_t* p);
    void ip4(const Field& f, const uint8_t* p);
    void ip6(const Field& f, const uint8_t* p);
    void str(const Field& f, std::string_view s);
    void boolean(const Field& f, bool v);
    // Raw bytes shown as hex (verbose and JSON only).
    void bytes(const Field& f, const uint8_t* p, size_t n);

    // Is this field rendered at all in the current mode? Lets a dissector
    // skip composing a string nobody will see.
    bool wants(const Field& f) const {
        return mode_ == Mode::Verbose || mode_ == Mode::Json ||
               (mode_ == Mode::Summary && (f.flags & (kSum | kBare | kTo)));
    }

    size_t mark() const { return buf_.size(); }
    void rollback(size_t m) { buf_.resize(m); }
    const std::string& text() const { return buf_; }
    void clear() { buf_.clear(); }
    // Write the buffer to f when it holds at least `threshold` bytes.
    bool flush(FILE* f, size_t threshold = 0);

private:
    void key(const Field& f);       // JSON ,"key": / verbose label / summary key=
    bool start(const Field& f);     // false when the field is not rendered
    void put(std::string_view s) { buf_.append(s); }
    void putc(char c) { buf_.push_back(c); }
    void put_u(uint64_t v);
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
        if (!start(f))
            return;
        bool json = mode_ == Mode::Json;
        if (json)
            putc('"');
        put_value();
        if (json)
            putc('"');
        end_field();
    }

    Mode mode_;
    std::string buf_;
    const Layer* layer_ = nullptr;
    int depth_ = 0;
    int last_depth_ = 0;
    bool first_layer_ = true;
    int64_t first_sec_ = -1;
    uint32_t first_usec_ = 0;
};

} // namespace ov::snoop
