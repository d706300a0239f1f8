// libFuzzer target for the ethers(5) reader and the MAC parser.
//
// The whole input is read as an ethers file (through the same buffer reader
// that ov_ethers_read_file uses) and as one address. Beyond "no crash, no
// sanitizer report", it checks the contract: every good entry has a host of
// 1..OV_ETHERS_HOST_MAX printable characters and an address that formats and
// parses back to itself; every bad line has a reason and a line number in
// range; the count returned equals the entries seen.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <libtools/ethers.h>

namespace {

struct Seen {
    int entries = 0;
    unsigned last_line = 0;
    unsigned max_line = 0;
};

void require(bool ok) {
    if (!ok)
        std::abort();
}

int on_entry(void* arg, const ov_ethers_entry_t* e) {
    auto* s = static_cast<Seen*>(arg);
    size_t n = std::strlen(e->host);
    require(n >= 1 && n <= OV_ETHERS_HOST_MAX);
    for (size_t i = 0; i < n; i++)
        require(e->host[i] > 0x20 && e->host[i] < 0x7f && e->host[i] != '#');
    require(e->line > s->last_line && e->line <= s->max_line);
    s->last_line = e->line;
    char buf[OV_ETHER_ADDRSTRLEN];
    require(ov_ethers_format(&e->addr, buf, sizeof(buf), nullptr) == 0);
    ov_ether_addr_t back;
    require(ov_ethers_parse(buf, &back, nullptr) == 0);
    require(std::memcmp(&back, &e->addr, sizeof(back)) == 0);
    s->entries++;
    return 0;
}

int on_bad(void* arg, unsigned line, const char* reason) {
    auto* s = static_cast<Seen*>(arg);
    require(line >= 1 && line <= s->max_line);
    require(reason != nullptr && reason[0] != '\0');
    return 0;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const char* text = reinterpret_cast<const char*>(data);
    Seen s;
    s.max_line = 1;
    for (size_t i = 0; i < size; i++)
        s.max_line += data[i] == '\n';
    ov_error_t err;
    int n = ov_ethers_read_buffer(text, size, on_entry, on_bad, &s, &err);
    require(n == s.entries);

    // Without a bad-line callback the read stops at the first bad line.
    Seen strict;
    strict.max_line = s.max_line;
    n = ov_ethers_read_buffer(text, size, on_entry, nullptr, &strict, &err);
    require(n >= 0 ? n == s.entries : (n == -EINVAL && err.reason[0] != '\0'));

    ov_ether_addr_t a;
    int r = ov_ethers_parse_n(text, size, &a, &err);
    if (r == 0) {
        char buf[OV_ETHER_ADDRSTRLEN];
        require(ov_ethers_format(&a, buf, sizeof(buf), nullptr) == 0);
        require(std::strlen(buf) == 17);
    } else {
        require(r == -EINVAL && err.code == EINVAL && err.reason[0] != '\0');
    }
    return 0;
}
