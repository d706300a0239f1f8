// Out: the renderer behind every dissector (see out.h for the theory).
#include "out.h"

#include <arpa/inet.h>

#include <algorithm>

namespace ov::snoop {

namespace {
constexpr char kHexDigits[] = "0123456789abcdef";
constexpr uint32_t kPow10[] = {1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000,
                               1000000000};
constexpr size_t kTagWidth = 8;    // "IPv4:   "
constexpr size_t kLabelWidth = 24; // verbose label column
} // namespace

void Out::grow(size_t need) {
    size_t cap = cap_ ? cap_ : 4096;
    while (cap - len_ < need)
        cap *= 2;
    std::unique_ptr<char[]> b(new char[cap]);
    if (len_)
        std::memcpy(b.get(), buf_.get(), len_);
    buf_ = std::move(b);
    cap_ = cap;
}

// Decimal digits of v, right-aligned in at least `width` columns, written
// straight into the buffer; 32-bit values (the usual case) take cheaper
// arithmetic.
template <class T> void Out::put_digits(T v, int digits, int width) {
    size_t n = size_t(std::max(digits, width));
    if (cap_ - len_ < n)
        grow(n);
    char* d = buf_.get() + len_ + n;
    for (int i = 0; i < digits; i++) {
        *--d = char('0' + v % 10);
        v /= 10;
    }
    for (size_t i = size_t(digits); i < n; i++)
        *--d = ' ';
    len_ += n;
}

void Out::put_u(uint64_t v, int width) {
    if (v <= UINT32_MAX) {
        uint32_t w = uint32_t(v);
        int digits = 1;
        while (digits < 10 && w >= kPow10[digits])
            digits++;
        put_digits(w, digits, width);
        return;
    }
    int digits = 1;
    for (uint64_t t = v; t >= 10; t /= 10)
        digits++;
    put_digits(v, digits, width);
}

void Out::put_hex(uint64_t v, int digits) {
    char tmp[20];
    int n = 0;
    do {
        tmp[n++] = kHexDigits[v & 15];
        v >>= 4;
    } while (v || n < digits);
    put("0x");
    while (n)
        putc(tmp[--n]);
}

void Out::put_mac(const uint8_t* p) {
    if (cap_ - len_ < 17)
        grow(17);
    char* t = buf_.get() + len_;
    for (int i = 0; i < 6; i++) {
        t[i * 3] = kHexDigits[p[i] >> 4];
        t[i * 3 + 1] = kHexDigits[p[i] & 15];
        if (i < 5)
            t[i * 3 + 2] = ':';
    }
    len_ += 17;
}

void Out::put_ip4(const uint8_t* p) {
    if (cap_ - len_ < 15)
        grow(15);
    char* t = buf_.get() + len_;
    for (int i = 0; i < 4; i++) {
        if (i)
            *t++ = '.';
        unsigned b = p[i];
        if (b >= 100)
            *t++ = char('0' + b / 100);
        if (b >= 10)
            *t++ = char('0' + b / 10 % 10);
        *t++ = char('0' + b % 10);
    }
    len_ = size_t(t - buf_.get());
}

void Out::put_ip6(const uint8_t* p) {
    char t[INET6_ADDRSTRLEN];
    if (inet_ntop(AF_INET6, p, t, sizeof t))
        put(t);
    else
        put("?");
}

void Out::put_json_str(std::string_view s) {
    putc('"');
    for (unsigned char c : s) {
        if (c == '"' || c == '\\') {
            putc('\\');
            putc(char(c));
        } else if (c < 0x20 || c >= 0x7f) {
            // Bytes from the wire are not trusted to be UTF-8.
            put("\\u00");
            putc(kHexDigits[c >> 4]);
            putc(kHexDigits[c & 15]);
        } else {
            putc(char(c));
        }
    }
    putc('"');
}

void Out::begin_packet(const PacketInfo& p) {
    first_layer_ = true;
    last_depth_ = 0;
    layer_ = nullptr;
    time_base(p.sec, p.usec);
    switch (mode_) {
    case Mode::Null:
        return;
    case Mode::Summary: {
        // Time relative to the first packet, as snoop shows it:
        // "%6llu %11.6f" without printf's floating point.
        int64_t us = (p.sec - first_sec_) * 1000000 + (int64_t(p.usec) - first_usec_);
        bool neg = us < 0;
        uint64_t mag = uint64_t(neg ? -us : us);
        put_u(p.number, 6);
        char frac[8] = {'.', 0, 0, 0, 0, 0, 0, 0};
        uint64_t f = mag % 1000000;
        for (int i = 6; i >= 1; i--, f /= 10)
            frac[i] = char('0' + f % 10);
        uint64_t whole = mag / 1000000;
        int digits = 1;
        for (uint64_t w = whole; w >= 10; w /= 10)
            digits++;
        pad(size_t(std::max(0, 11 - 7 - digits - int(neg))) + 1, ' ');
        if (neg)
            putc('-');
        put_u(whole);
        put(std::string_view(frac, 7));
        return;
    }
    case Mode::Verbose: {
        char t[160];
        int n = std::snprintf(t, sizeof t,
                              "FRAME:  ----- Frame %llu -----\n"
                              "FRAME:  %-*s = %lld.%06u\n"
                              "FRAME:  %-*s = %u of %u bytes\n",
                              (unsigned long long)p.number, int(kLabelWidth), "Arrival time",
                              (long long)p.sec, p.usec, int(kLabelWidth), "Captured", p.caplen,
                              p.len);
        put(std::string_view(t, size_t(n)));
        return;
    }
    case Mode::Json: {
        put("{\"frame\":");
        put_u(p.number);
        put(",\"time\":");
        char t[48];
        int n = std::snprintf(t, sizeof t, "%lld.%06u", (long long)p.sec, p.usec);
        put(std::string_view(t, size_t(n)));
        put(",\"caplen\":");
        put_u(p.caplen);
        put(",\"len\":");
        put_u(p.len);
        put(",\"layers\":[");
        return;
    }
    }
}

void Out::layer(const Layer& l, int depth) {
    layer_ = &l;
    depth_ = depth;
    switch (mode_) {
    case Mode::Null:
        break;
    case Mode::Summary:
        if (depth > last_depth_)
            put(" |");
        putc(' ');
        put(l.tag);
        break;
    case Mode::Verbose: {
        pad(size_t(depth) * 2, ' ');
        size_t at = len_;
        put(l.tag);
        putc(':');
        if (len_ - at < kTagWidth)
            pad(kTagWidth - (len_ - at), ' ');
        put("----- ");
        put(l.title);
        put(" -----\n");
        break;
    }
    case Mode::Json:
        if (!first_layer_)
            put("},");
        put("{\"layer\":\"");
        put(l.key);
        put("\",\"depth\":");
        put_u(uint64_t(depth));
        break;
    }
    first_layer_ = false;
    last_depth_ = depth;
}

void Out::end_packet(const PacketStatus& s) {
    switch (mode_) {
    case Mode::Null:
        return;
    case Mode::Summary:
        if (s.malformed) {
            put(" [malformed ");
            put(s.malformed_in ? s.malformed_in : "frame");
            put(": ");
            put(s.malformed);
            putc(']');
        }
        if (s.truncated_in) {
            put(" [truncated in ");
            put(s.truncated_in);
            putc(']');
        }
        putc('\n');
        return;
    case Mode::Verbose:
        if (s.malformed) {
            put("MALFORMED: ");
            put(s.malformed_in ? s.malformed_in : "frame");
            put(": ");
            put(s.malformed);
            putc('\n');
        }
        if (s.truncated_in) {
            put("TRUNCATED: capture ends inside ");
            put(s.truncated_in);
            putc('\n');
        }
        putc('\n');
        return;
    case Mode::Json:
        if (!first_layer_)
            putc('}');
        put("],\"truncated\":");
        put(s.truncated_in ? "true" : "false");
        if (s.truncated_in) {
            put(",\"truncated_in\":");
            put_json_str(s.truncated_in);
        }
        if (s.malformed) {
            put(",\"malformed\":");
            put_json_str(s.malformed);
            put(",\"malformed_in\":");
            put_json_str(s.malformed_in ? s.malformed_in : "frame");
        }
        put("}\n");
        return;
    }
}

void Out::start_summary(const Field& f) {
    if (f.flags & kBare) {
        putc(' ');
    } else if (f.flags & kTo) {
        put(" > ");
    } else {
        putc(' ');
        put(f.key);
        putc('=');
    }
}

void Out::start_full(const Field& f) {
    if (mode_ == Mode::Json) {
        put(",\"");
        put(f.key);
        put("\":");
        return;
    }
    pad(size_t(depth_) * 2, ' ');
    size_t at = len_;
    put(layer_ ? layer_->tag : "FRAME");
    putc(':');
    if (len_ - at < kTagWidth)
        pad(kTagWidth - (len_ - at), ' ');
    at = len_;
    put(f.label);
    if (len_ - at < kLabelWidth)
        pad(kLabelWidth - (len_ - at), ' ');
    put(" = ");
}

void Out::show_u(const Field& f, uint64_t v) {
    start(f);
    put_u(v);
    end_field();
}

void Out::show_hex(const Field& f, uint64_t v, int digits) {
    quoted(f, [&] { put_hex(v, digits); });
}

void Out::show_en(const Field& f, uint64_t v, const char* name, int digits) {
    start(f);
    switch (mode_) {
    case Mode::Summary:
        if (name)
            put(name);
        else if (digits)
            put_hex(v, digits);
        else
            put_u(v);
        break;
    case Mode::Verbose:
        if (digits)
            put_hex(v, digits);
        else
            put_u(v);
        if (name) {
            put(" (");
            put(name);
            putc(')');
        }
        end_field();
        break;
    case Mode::Json:
        if (digits) {
            putc('"');
            put_hex(v, digits);
            putc('"');
        } else {
            put_u(v);
        }
        if (name) {
            put(",\"");
            put(f.key);
            put("_name\":");
            put_json_str(name);
        }
        break;
    case Mode::Null:
        break;
    }
}

void Out::show_mac(const Field& f, const uint8_t* p) {
    quoted(f, [&] { put_mac(p); });
}

void Out::show_ip4(const Field& f, const uint8_t* p) {
    quoted(f, [&] { put_ip4(p); });
}

void Out::show_ip6(const Field& f, const uint8_t* p) {
    quoted(f, [&] { put_ip6(p); });
}

void Out::show_str(const Field& f, std::string_view s) {
    start(f);
    if (mode_ == Mode::Json) {
        put_json_str(s);
    } else {
        for (unsigned char c : s)
            putc(c >= 0x20 && c < 0x7f ? char(c) : '.');
    }
    end_field();
}

void Out::show_bool(const Field& f, bool v) {
    start(f);
    put(v ? "true" : "false");
    end_field();
}

void Out::show_bytes(const Field& f, const uint8_t* p, size_t n) {
    quoted(f, [&] {
        for (size_t i = 0; i < n; i++) {
            putc(kHexDigits[p[i] >> 4]);
            putc(kHexDigits[p[i] & 15]);
        }
    });
}

bool Out::flush(FILE* f, size_t threshold) {
    if (len_ < threshold || len_ == 0)
        return true;
    bool ok = std::fwrite(buf_.get(), 1, len_, f) == len_;
    len_ = 0;
    return ok;
}

} // namespace ov::snoop
