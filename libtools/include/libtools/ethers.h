/*
 * ov_ethers: re-entrant Ethernet (MAC) address parse and format, and a
 * reader for /etc/ethers-style files.
 *
 * Theory: glibc's ether_aton/ether_ntoa use static buffers and say nothing
 * about why an address was refused. Plugins parse MACs from their own
 * configuration (files, SQLite rows, etcd keys) on worker threads, so these
 * functions keep no state, write only to the caller's storage, and name the
 * problem when they refuse input.
 *
 * Accepted text: exactly six octets of one or two hexadecimal digits (either
 * case) separated by ':', e.g. "de:ad:be:ef:0:1" and "DE:AD:BE:EF:00:01".
 * Refused, with the reason: the empty string, a bad character (its position,
 * 1-based, is named), an octet with more than two digits, an empty octet,
 * fewer or more than six octets. '-' separators and dotted Cisco forms are
 * not accepted. Formatting always gives lowercase, zero-padded
 * "de:ad:be:ef:00:01" (OV_ETHER_ADDRSTRLEN bytes with the NUL).
 *
 * The file format is that of ethers(5): one "address host" pair per line,
 * separated by spaces or tabs; '#' starts a comment that runs to the end of
 * the line; blank lines are ignored; a trailing '\r' is ignored. A host is
 * 1 to OV_ETHERS_HOST_MAX printable ASCII characters. A line with anything
 * else is a bad line, reported with its 1-based number and a reason.
 *
 * Locking: none needed; nothing is shared. Files larger than
 * OV_ETHERS_FILE_MAX bytes are refused (EFBIG).
 */
#ifndef LIBTOOLS_ETHERS_H
#define LIBTOOLS_ETHERS_H

#include <libtools/error.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define OV_ETHER_ADDR_LEN 6
#define OV_ETHER_ADDRSTRLEN 18 /* "xx:xx:xx:xx:xx:xx" and the NUL */
#define OV_ETHERS_HOST_MAX 255
#define OV_ETHERS_FILE_MAX (64u << 20)

typedef struct ov_ether_addr {
    uint8_t octet[OV_ETHER_ADDR_LEN];
} ov_ether_addr_t;

/* Parse a NUL-terminated string / len bytes (no NUL needed). 0 or -EINVAL. */
int ov_ethers_parse(const char* str, ov_ether_addr_t* addr, ov_error_t* err);
int ov_ethers_parse_n(const char* str, size_t len, ov_ether_addr_t* addr, ov_error_t* err);

/* Format into buf (buflen >= OV_ETHER_ADDRSTRLEN). 0 or -ENOSPC. */
int ov_ethers_format(const ov_ether_addr_t* addr, char* buf, size_t buflen, ov_error_t* err);

typedef struct ov_ethers_entry {
    ov_ether_addr_t addr;
    const char* host; /* NUL-terminated; valid only during the callback */
    unsigned line;    /* 1-based line number */
} ov_ethers_entry_t;

/*
 * Callbacks return 0 to go on, or a negative errno to stop the read, which
 * then returns that value (a positive value stops it with -ECANCELED). on_bad may be NULL: the
 * first bad line then stops the read with -EINVAL and "line N: <reason>" in *err.
 */
typedef int (*ov_ethers_entry_fn)(void* arg, const ov_ethers_entry_t* entry);
typedef int (*ov_ethers_bad_fn)(void* arg, unsigned line, const char* reason);

/* Both return the number of good entries passed to on_entry, or -errno. */
int ov_ethers_read_file(const char* path, ov_ethers_entry_fn on_entry, ov_ethers_bad_fn on_bad,
                        void* arg, ov_error_t* err);
int ov_ethers_read_buffer(const char* data, size_t len, ov_ethers_entry_fn on_entry,
                          ov_ethers_bad_fn on_bad, void* arg, ov_error_t* err);

#ifdef __cplusplus
}

#include <cerrno>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace ov {

inline int ethers_parse(std::string_view s, ov_ether_addr_t* addr, ov_error_t* err) {
    return ov_ethers_parse_n(s.data(), s.size(), addr, err);
}

inline std::string ethers_format(const ov_ether_addr_t& addr) {
    char buf[OV_ETHER_ADDRSTRLEN];
    ov_ethers_format(&addr, buf, sizeof(buf), nullptr); /* cannot fail: buffer fits */
    return buf;
}

/* The whole of an ethers file as vectors (the "vector result" form). */
struct EthersEntry {
    ov_ether_addr_t addr;
    std::string host;
    unsigned line;
};
struct EthersBadLine {
    unsigned line;
    std::string reason;
};
struct EthersFile {
    int rc; /* what ov_ethers_read_file returned: the count, or -errno */
    std::vector<EthersEntry> entries;
    std::vector<EthersBadLine> bad;
};

inline EthersFile ethers_read_file(const char* path, ov_error_t* err) {
    EthersFile f{0, {}, {}};
    auto entry = [](void* arg, const ov_ethers_entry_t* e) -> int {
        try {
            static_cast<EthersFile*>(arg)->entries.push_back({e->addr, e->host, e->line});
            return 0;
        } catch (...) { /* nothing may unwind through the C callback */
            return -ENOMEM;
        }
    };
    auto bad = [](void* arg, unsigned line, const char* reason) -> int {
        try {
            static_cast<EthersFile*>(arg)->bad.push_back({line, reason});
            return 0;
        } catch (...) {
            return -ENOMEM;
        }
    };
    f.rc = ov_ethers_read_file(path, entry, bad, &f, err);
    return f;
}

} /* namespace ov */

inline bool operator==(const ov_ether_addr_t& a, const ov_ether_addr_t& b) {
    return std::memcmp(a.octet, b.octet, OV_ETHER_ADDR_LEN) == 0;
}
#endif

#endif /* LIBTOOLS_ETHERS_H */
