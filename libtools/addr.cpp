// ov_addr: IP address text <-> the 16-byte IPv4-mapped form.
//
// Theory (the contract is in <libtools/addr.h>): the families' grammars are
// inet_pton(3)'s, which is re-entrant and strict (no shortened or octal
// IPv4, no zone ids), so this file adds only what it lacks: a bound on the
// length, a NUL-terminated copy for text given with a length (a NUL byte
// inside is refused, never silently cut), the mapped prefix, and a reason
// naming the text. Formatting is inet_ntop(3) of the last four bytes for a
// mapped address, of all sixteen otherwise. Nothing is static but the
// constant prefix; every function is re-entrant.
#include "error_impl.h"

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <libtools/addr.h>
#include <string_view>

namespace {

constexpr uint8_t mapped_prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

} // namespace

extern "C" {

int ov_addr_parse_n(const char* str, size_t len, uint8_t out[OV_ADDR_LEN], ov_error_t* err) {
    try {
        std::string_view s(str == nullptr ? "" : str, str == nullptr ? 0 : len);
        if (s.empty())
            return ov::fail(err, EINVAL, "addr: the empty string is not an IPv4 or IPv6 address");
        if (s.size() > OV_ADDR_TEXT_MAX)
            return ov::fail(err, EINVAL,
                            "addr: \"%s\" is not an IPv4 or IPv6 address (%zu bytes, longer "
                            "than any)",
                            ov::excerpt(s).c_str(), s.size());
        if (size_t nul = s.find('\0'); nul != std::string_view::npos)
            return ov::fail(err, EINVAL,
                            "addr: \"%s\" is not an IPv4 or IPv6 address (a NUL byte at "
                            "position %zu)",
                            ov::excerpt(s).c_str(), nul + 1);
        char text[OV_ADDR_TEXT_MAX + 1];
        std::memcpy(text, s.data(), s.size());
        text[s.size()] = '\0';
        uint8_t v4[4];
        uint8_t v6[OV_ADDR_LEN];
        if (inet_pton(AF_INET, text, v4) == 1) {
            ov_addr_from_v4(v4, out);
            return 0;
        }
        if (inet_pton(AF_INET6, text, v6) == 1) {
            std::memcpy(out, v6, OV_ADDR_LEN);
            return 0;
        }
        return ov::fail(err, EINVAL, "addr: \"%s\" is not an IPv4 or IPv6 address",
                        ov::excerpt(s).c_str());
    } catch (...) {
        return ov::fail(err, ENOMEM, "addr: out of memory");
    }
}

int ov_addr_parse(const char* str, uint8_t out[OV_ADDR_LEN], ov_error_t* err) {
    return ov_addr_parse_n(str, str == nullptr ? 0 : std::strlen(str), out, err);
}

int ov_addr_format(const uint8_t addr[OV_ADDR_LEN], char* buf, size_t buflen, ov_error_t* err) {
    if (buflen < OV_ADDRSTRLEN)
        return ov::fail(err, ENOSPC, "addr: a buffer of %zu bytes cannot hold an address (%d)",
                        buflen, OV_ADDRSTRLEN);
    /* inet_ntop cannot fail here: the family is known and the buffer fits. */
    if (ov_addr_is_v4(addr))
        inet_ntop(AF_INET, addr + 12, buf, static_cast<socklen_t>(buflen));
    else
        inet_ntop(AF_INET6, addr, buf, static_cast<socklen_t>(buflen));
    return 0;
}

int ov_addr_is_v4(const uint8_t addr[OV_ADDR_LEN]) {
    return std::memcmp(addr, mapped_prefix, sizeof(mapped_prefix)) == 0;
}

void ov_addr_from_v4(const uint8_t v4[4], uint8_t out[OV_ADDR_LEN]) {
    std::memcpy(out, mapped_prefix, sizeof(mapped_prefix));
    std::memcpy(out + 12, v4, 4);
}

} // extern "C"
