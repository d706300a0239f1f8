// Out: the renderer behind every dissector (see out.h for the theory).
#include "out.h"

#include <arpa/inet.h>

namespace ov::snoop {

namespace {
constexpr char kHexDigits[] = "0123456789abcdef";
constexpr size_t kTagWidth = 8;    // "IPv4:   "
constexpr size_t kLabelWidth = 24; // verbose label column
} // namespace

void Out::put_u(uint64_t v) {
    char tmp[24];
    char* e = tmp + sizeof tmp;
    char* p = e;
    do {
        *--p = char('0' + v % 10);
        v /= 10;
    } while (v);
    buf_.append(p, size_t(e - p));
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
    char t[17];
    for (int i = 0; i < 6; i++) {
        t[i * 3] = kHexDigits[p[i] >> 4];
        t[i * 3 + 1] = kHexDigits[p[i] & 15];
        if (i < 5)
            t[i * 3 + 2] = ':';
    }
    buf_.append(t, 17);
}

void Out::put_ip4(const uint8_t* p) {
    for (int i = 0; i < 4; i++) {
        if (i)
            putc('.');
        put_u(p[i]);
    }
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
    if (first_sec_ < 0) {
        first_sec_ = p.sec;
        first_usec_ = p.usec;
    }
    switch (mode_) {
    case Mode::Null:
        return;
    case Mode::Summary: {
        // Time relative to the first packet, as snoop shows it.
        int64_t us = (p.sec - first_sec_) * 1000000 + (int64_t(p.usec) - first_usec_);
        char t[64];
        int n = std::snprintf(t, sizeof t, "%6llu %11.6f", (unsigned long long)p.number,
                              double(us) / 1e6);
        buf_.append(t, size_t(n));
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
        buf_.append(t, size_t(n));
        return;
    }
    case Mode::Json: {
        put("{\"frame\":");
        put_u(p.number);
        put(",\"time\":");
        char t[48];
        int n = std::snprintf(t, sizeof t, "%lld.%06u", (long long)p.sec, p.usec);
        buf_.append(t, size_t(n));
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
        buf_.append(size_t(depth) * 2, ' ');
        size_t at = buf_.size();
        put(l.tag);
        putc(':');
        while (buf_.size() - at < kTagWidth)
            putc(' ');
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

bool Out::start(const Field& f) {
    switch (mode_) {
    case Mode::Null:
        return false;
    case Mode::Summary:
        if (!(f.flags & (kSum | kBare | kTo)))
            return false;
        if (f.flags & kBare) {
            putc(' ');
        } else if (f.flags & kTo) {
            put(" > ");
        } else {
            putc(' ');
            put(f.key);
            putc('=');
        }
        return true;
    case Mode::Verbose: {
        buf_.append(size_t(depth_) * 2, ' ');
        size_t at = buf_.size();
        put(layer_ ? layer_->tag : "FRAME");
        putc(':');
        while (buf_.size() - at < kTagWidth)
            putc(' ');
        at = buf_.size();
        put(f.label);
        while (buf_.size() - at < kLabelWidth)
            putc(' ');
        put(" = ");
        return true;
    }
    case Mode::Json:
        put(",\"");
        put(f.key);
        put("\":");
        return true;
    }
    return false;
}

void Out::u(const Field& f, uint64_t v) {
    if (!start(f))
        return;
    put_u(v);
    end_field();
}

void Out::hex(const Field& f, uint64_t v, int digits) {
    quoted(f, [&] { put_hex(v, digits); });
}

void Out::en(const Field& f, uint64_t v, const char* name, int digits) {
    if (!start(f))
        return;
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

void Out::mac(const Field& f, const uint8_t* p) {
    quoted(f, [&] { put_mac(p); });
}

void Out::ip4(const Field& f, const uint8_t* p) {
    quoted(f, [&] { put_ip4(p); });
}

void Out::ip6(const Field& f, const uint8_t* p) {
    quoted(f, [&] { put_ip6(p); });
}

void Out::str(const Field& f, std::string_view s) {
    if (!start(f))
        return;
    if (mode_ == Mode::Json) {
        put_json_str(s);
    } else {
        for (unsigned char c : s)
            putc(c >= 0x20 && c < 0x7f ? char(c) : '.');
    }
    end_field();
}

void Out::boolean(const Field& f, bool v) {
    if (!start(f))
        return;
    put(v ? "true" : "false");
    end_field();
}

void Out::bytes(const Field& f, const uint8_t* p, size_t n) {
    if (mode_ == Mode::Summary)
        return;
    quoted(f, [&] {
        for (size_t i = 0; i < n; i++) {
            putc(kHexDigits[p[i] >> 4]);
            putc(kHexDigits[p[i] & 15]);
        }
    });
}

bool Out::flush(FILE* f, size_t threshold) {
    if (buf_.size() < threshold || buf_.empty())
        return true;
    bool ok = std::fwrite(buf_.data(), 1, buf_.size(), f) == buf_.size();
    buf_.clear();
    return ok;
}

} // namespace ov::snoop
