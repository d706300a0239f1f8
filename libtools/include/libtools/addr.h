/*
 * ov_addr: re-entrant text <-> binary conversion of an IP address held in
 * 16 bytes, IPv4 as the IPv4-mapped IPv6 address ::ffff:a.b.c.d.
 *
 * Theory: overlay keeps every underlay and proxy address in one 16-byte
 * form (the kernel's property values, the plugin ABI's varpd_dest_t, the
 * backends' keys), so one address compares with one memcmp whatever its
 * family. Its text is the usual one: an IPv4-mapped address is written as
 * dotted IPv4 ("192.0.2.1"), any other as inet_ntop(3) writes IPv6 (RFC
 * 5952: lowercase, the longest run of zero groups as "::"). Parsing tries
 * inet_pton(3) for IPv4 (exactly four decimal parts), then for IPv6, so
 * "192.0.2.1", "::ffff:192.0.2.1" and "::ffff:c000:201" are the same
 * address, and formatting gives the first; callers that need a canonical
 * spelling (keys, rows) compare the text with what formatting gives back.
 *
 * The mapped prefix is exactly ::ffff:0:0/96 (ten zero bytes, two 0xff).
 * IPv4-compatible (::a.b.c.d), NAT64 (64:ff9b::/96) and ::ffff:0:0:0/96
 * (SIIT) addresses are IPv6 here, formatted as inet_ntop writes them.
 *
 * Refused, with the reason: NULL, the empty string, text with a NUL byte
 * or longer than any address (OV_ADDR_TEXT_MAX), and anything that neither
 * family accepts: zone ids ("fe80::1%eth0"), prefixes ("10.0.0.0/8"),
 * brackets, ports, white space, shortened IPv4 ("10.1"), octal or hex IPv4.
 * On failure the output is left untouched.
 *
 * Locking: none needed; nothing is shared and nothing is static.
 */
#ifndef LIBTOOLS_ADDR_H
#define LIBTOOLS_ADDR_H

#include <libtools/error.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define OV_ADDR_LEN 16
#define OV_ADDRSTRLEN 46    /* INET6_ADDRSTRLEN: the longest text and the NUL */
#define OV_ADDR_TEXT_MAX 63 /* longer text is refused without parsing */

/* Parse a NUL-terminated string / len bytes (no NUL needed). 0 or -EINVAL. */
int ov_addr_parse(const char* str, uint8_t out[OV_ADDR_LEN], ov_error_t* err);
int ov_addr_parse_n(const char* str, size_t len, uint8_t out[OV_ADDR_LEN], ov_error_t* err);

/* Format into buf (buflen >= OV_ADDRSTRLEN). 0 or -ENOSPC. */
int ov_addr_format(const uint8_t addr[OV_ADDR_LEN], char* buf, size_t buflen, ov_error_t* err);

/* 1 when addr is in ::ffff:0:0/96 (an IPv4 address), else 0. */
int ov_addr_is_v4(const uint8_t addr[OV_ADDR_LEN]);

/* The IPv4-mapped form of the 4 bytes at v4 (network order). */
void ov_addr_from_v4(const uint8_t v4[4], uint8_t out[OV_ADDR_LEN]);

#ifdef __cplusplus
}

#include <array>
#include <string>
#include <string_view>

namespace ov {

using Addr = std::array<uint8_t, OV_ADDR_LEN>;

/* false, with the reason in *why when why is not null, if s is no address. */
inline bool addr_parse(std::string_view s, Addr& out, std::string* why = nullptr) {
    ov_error_t err;
    if (ov_addr_parse_n(s.data(), s.size(), out.data(), &err) == 0)
        return true;
    if (why != nullptr)
        *why = err.reason;
    return false;
}

inline std::string addr_format(const uint8_t* addr) {
    char buf[OV_ADDRSTRLEN];
    ov_addr_format(addr, buf, sizeof(buf), nullptr); /* cannot fail: buffer fits */
    return buf;
}

inline std::string addr_format(const Addr& addr) {
    return addr_format(addr.data());
}

inline bool addr_is_v4(const Addr& addr) {
    return ov_addr_is_v4(addr.data()) != 0;
}

inline Addr addr_from_v4(const uint8_t v4[4]) {
    Addr a;
    ov_addr_from_v4(v4, a.data());
    return a;
}

} /* namespace ov */
#endif

#endif /* LIBTOOLS_ADDR_H */
