// libFuzzer target for ov_addr's parser and formatter.
//
// The whole input is one address text (ov_addr_parse_n, so NUL bytes and
// any length reach it). Beyond "no crash, no sanitizer report", it checks
// the contract: a refusal is -EINVAL with a reason and leaves the output
// as it was; an accepted address formats into OV_ADDRSTRLEN, its text has
// no ':' exactly when it is IPv4-mapped, and that text parses back to the
// same 16 bytes and formats to itself (the canonical spelling is a fixed
// point). The first 16 bytes are also formatted as an address as they are.
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <libtools/addr.h>

namespace {

void require(bool ok) {
    if (!ok)
        std::abort();
}

void check_format(const uint8_t a[OV_ADDR_LEN]) {
    char buf[OV_ADDRSTRLEN];
    require(ov_addr_format(a, buf, sizeof(buf), nullptr) == 0);
    size_t n = std::strlen(buf);
    require(n >= 2 && n < OV_ADDRSTRLEN);
    require((std::strchr(buf, ':') == nullptr) == (ov_addr_is_v4(a) == 1));
    uint8_t back[OV_ADDR_LEN];
    require(ov_addr_parse(buf, back, nullptr) == 0);
    require(std::memcmp(back, a, OV_ADDR_LEN) == 0);
    char again[OV_ADDRSTRLEN];
    require(ov_addr_format(back, again, sizeof(again), nullptr) == 0);
    require(std::strcmp(buf, again) == 0);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    uint8_t out[OV_ADDR_LEN];
    std::memset(out, 0xa5, sizeof(out));
    ov_error_t err;
    int r = ov_addr_parse_n(reinterpret_cast<const char*>(data), size, out, &err);
    if (r == 0) {
        require(size > 0 && size <= OV_ADDR_TEXT_MAX);
        check_format(out);
    } else {
        require(r == -EINVAL && err.code == EINVAL && err.reason[0] != '\0');
        for (uint8_t b : out)
            require(b == 0xa5);
    }
    if (size >= OV_ADDR_LEN)
        check_format(data);
    return 0;
}
