// ov_ethers: MAC address parse/format and the ethers(5) file reader.
//
// Theory (the contract is in <libtools/ethers.h>): parsing is one pass over
// the bytes with a tiny state (octets done, digits in the current octet,
// value so far); the first problem found becomes the reason, which names the
// 1-based position of the offending byte. The file reader loads the file
// into memory (bounded by OV_ETHERS_FILE_MAX) and hands it to the buffer
// reader, so the fuzz target exercises exactly the code that reads files.
// Lines are split on '\n' only; every byte of a line is checked, so NUL
// bytes and non-ASCII bytes are bad lines, never undefined behaviour.
// Nothing is static; every function is re-entrant.
#include "error_impl.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <libtools/ethers.h>
#include <string>
#include <string_view>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

namespace {

int hexval(unsigned char c) {
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

// Parse s; on failure return false with the reason (no prefix) in *why.
bool parse_mac(std::string_view s, ov_ether_addr_t* out, std::string* why) {
    if (s.empty()) {
        *why = "empty address";
        return false;
    }
    ov_ether_addr_t a{};
    unsigned octets = 0, digits = 0, val = 0;
    for (size_t i = 0; i < s.size(); i++) {
        auto c = static_cast<unsigned char>(s[i]);
        auto pos = [i] { return std::to_string(i + 1); }; // only built for a reason
        if (int h = hexval(c); h >= 0) {
            if (digits == 2) {
                *why = "octet " + std::to_string(octets + 1) +
                       " is too long (more than 2 hex digits) at position " + pos();
                return false;
            }
            val = val * 16 + static_cast<unsigned>(h);
            digits++;
        } else if (c == ':') {
            if (digits == 0) {
                *why = "octet " + std::to_string(octets + 1) + " is empty at position " + pos();
                return false;
            }
            if (octets == OV_ETHER_ADDR_LEN - 1) {
                *why =
                    "too many octets (a seventh starts at position " + std::to_string(i + 2) + ")";
                return false;
            }
            a.octet[octets++] = static_cast<uint8_t>(val);
            digits = val = 0;
        } else {
            *why = "bad character " + ov::quote_char(c) + " at position " + pos();
            return false;
        }
    }
    if (digits == 0) {
        *why = "octet " + std::to_string(octets + 1) + " is empty at the end";
        return false;
    }
    a.octet[octets++] = static_cast<uint8_t>(val);
    if (octets < OV_ETHER_ADDR_LEN) {
        *why = "too few octets (" + std::to_string(octets) + " of 6)";
        return false;
    }
    *out = a;
    return true;
}

bool is_blank(char c) {
    return c == ' ' || c == '\t';
}

// Check one line; on success fill mac and host. Columns in reasons are 1-based.
bool parse_line(std::string_view line, ov_ether_addr_t* mac, std::string* host, std::string* why) {
    if (!line.empty() && line.back() == '\r')
        line.remove_suffix(1);
    if (auto hash = line.find('#'); hash != std::string_view::npos)
        line = line.substr(0, hash);
    std::vector<std::pair<size_t, std::string_view>> tokens; // (column, text)
    size_t i = 0;
    while (i < line.size()) {
        if (is_blank(line[i])) {
            i++;
            continue;
        }
        size_t start = i;
        while (i < line.size() && !is_blank(line[i]))
            i++;
        tokens.emplace_back(start + 1, line.substr(start, i - start));
    }
    if (tokens.empty()) {
        host->clear();
        return true; // blank or comment-only
    }
    std::string mac_why;
    if (!parse_mac(tokens[0].second, mac, &mac_why)) {
        *why = "bad address '" + ov::excerpt(tokens[0].second) + "': " + mac_why;
        return false;
    }
    if (tokens.size() < 2) {
        *why = "no host name after the address";
        return false;
    }
    if (tokens.size() > 2) {
        *why = "unexpected text '" + ov::excerpt(tokens[2].second) + "' at column " +
               std::to_string(tokens[2].first) + " after the host name";
        return false;
    }
    auto [col, h] = tokens[1];
    if (h.size() > OV_ETHERS_HOST_MAX) {
        *why = "host name at column " + std::to_string(col) + " is longer than " +
               std::to_string(OV_ETHERS_HOST_MAX) + " characters";
        return false;
    }
    for (size_t k = 0; k < h.size(); k++) {
        auto c = static_cast<unsigned char>(h[k]);
        if (c < 0x21 || c > 0x7e) {
            *why = "bad character " + ov::quote_char(c) + " in host name at column " +
                   std::to_string(col + k);
            return false;
        }
    }
    *host = std::string(h);
    return true;
}

int read_buffer(std::string_view data, ov_ethers_entry_fn on_entry, ov_ethers_bad_fn on_bad,
                void* arg, const char* origin, ov_error_t* err) {
    int good = 0;
    unsigned lineno = 0;
    size_t pos = 0;
    while (pos < data.size()) {
        size_t nl = data.find('\n', pos);
        size_t end = nl == std::string_view::npos ? data.size() : nl;
        std::string_view line = data.substr(pos, end - pos);
        pos = end + 1;
        lineno++;
        ov_ethers_entry_t e{};
        std::string host, why;
        if (!parse_line(line, &e.addr, &host, &why)) {
            if (on_bad == nullptr)
                return ov::fail(err, EINVAL, "%s%sline %u: %s", origin, *origin ? ":" : "", lineno,
                                why.c_str());
            if (int r = on_bad(arg, lineno, why.c_str()); r != 0)
                return ov::fail(err, r < 0 ? -r : ECANCELED,
                                "%s%sline %u: stopped by the bad-line callback", origin,
                                *origin ? ":" : "", lineno);
            continue;
        }
        if (host.empty())
            continue;
        e.host = host.c_str();
        e.line = lineno;
        if (on_entry != nullptr) {
            if (int r = on_entry(arg, &e); r != 0)
                return ov::fail(err, r < 0 ? -r : ECANCELED,
                                "%s%sline %u: stopped by the entry callback", origin,
                                *origin ? ":" : "", lineno);
        }
        good++;
    }
    return good;
}

int read_file(const char* path, std::string* out, ov_error_t* err) {
    int fd = ::open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return ov::fail(err, errno, "ethers: cannot open '%s': %s", path, std::strerror(errno));
    struct stat st;
    if (::fstat(fd, &st) != 0) {
        int e = errno;
        ::close(fd);
        return ov::fail(err, e, "ethers: cannot stat '%s': %s", path, std::strerror(e));
    }
    if (!S_ISREG(st.st_mode)) {
        ::close(fd);
        return ov::fail(err, EINVAL, "ethers: '%s' is not a regular file", path);
    }
    char buf[65536];
    for (;;) {
        ssize_t n = ::read(fd, buf, sizeof(buf));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int e = errno;
            ::close(fd);
            return ov::fail(err, e, "ethers: read of '%s' failed: %s", path, std::strerror(e));
        }
        if (n == 0)
            break;
        if (out->size() + static_cast<size_t>(n) > OV_ETHERS_FILE_MAX) {
            ::close(fd);
            return ov::fail(err, EFBIG, "ethers: '%s' is larger than %u bytes", path,
                            OV_ETHERS_FILE_MAX);
        }
        out->append(buf, static_cast<size_t>(n));
    }
    ::close(fd);
    return 0;
}

} // namespace

extern "C" {

int ov_ethers_parse_n(const char* str, size_t len, ov_ether_addr_t* addr, ov_error_t* err) {
    try {
        std::string why;
        std::string_view s(str == nullptr ? "" : str, str == nullptr ? 0 : len);
        if (!parse_mac(s, addr, &why))
            return ov::fail(err, EINVAL, "ethers: bad address '%s': %s", ov::excerpt(s).c_str(),
                            why.c_str());
        return 0;
    } catch (...) {
        return ov::fail(err, ENOMEM, "ethers: out of memory");
    }
}

int ov_ethers_parse(const char* str, ov_ether_addr_t* addr, ov_error_t* err) {
    return ov_ethers_parse_n(str, str == nullptr ? 0 : std::strlen(str), addr, err);
}

int ov_ethers_format(const ov_ether_addr_t* addr, char* buf, size_t buflen, ov_error_t* err) {
    if (buflen < OV_ETHER_ADDRSTRLEN)
        return ov::fail(err, ENOSPC, "ethers: a buffer of %zu bytes cannot hold an address (%d)",
                        buflen, OV_ETHER_ADDRSTRLEN);
    static constexpr char digits[] = "0123456789abcdef";
    char* p = buf;
    for (size_t i = 0; i < OV_ETHER_ADDR_LEN; i++) {
        if (i > 0)
            *p++ = ':';
        *p++ = digits[addr->octet[i] >> 4];
        *p++ = digits[addr->octet[i] & 0xf];
    }
    *p = '\0';
    return 0;
}

int ov_ethers_read_buffer(const char* data, size_t len, ov_ethers_entry_fn on_entry,
                          ov_ethers_bad_fn on_bad, void* arg, ov_error_t* err) {
    try {
        return read_buffer(std::string_view(data == nullptr ? "" : data, data ? len : 0), on_entry,
                           on_bad, arg, "", err);
    } catch (...) {
        return ov::fail(err, ENOMEM, "ethers: out of memory");
    }
}

int ov_ethers_read_file(const char* path, ov_ethers_entry_fn on_entry, ov_ethers_bad_fn on_bad,
                        void* arg, ov_error_t* err) {
    try {
        std::string content;
        if (int r = read_file(path, &content, err); r != 0)
            return r;
        return read_buffer(content, on_entry, on_bad, arg, path, err);
    } catch (...) {
        return ov::fail(err, ENOMEM, "ethers: out of memory");
    }
}

} // extern "C"
