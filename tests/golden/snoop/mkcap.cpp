// snoop-mkcap: crafts the captures overlay-snoop is tested and measured on.
//
//   snoop-mkcap golden FILE        the golden capture (tests/golden/snoop/
//                                  golden.pcap is this program's output)
//   snoop-mkcap corpus DIR         the fuzz seed corpus: each golden packet
//                                  as a file, behind a selector byte that
//                                  cycles link type Ethernet, rendering and
//                                  the short-capture flag
//   snoop-mkcap mix N FILE [SEED]  N VXLAN/NVGRE packets with inner TCP, UDP
//                                  and ICMP, addresses and ids varied by a
//                                  fixed pseudo-random sequence (benchmark
//                                  and tshark cross-check input)
//
// Everything is built byte by byte (craft.cpp; no libpcap, no libtools)
// with a fixed clock, so the output is byte-identical run after run: the
// golden test checks the committed capture against a fresh one.
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "craft.h"

namespace {

using namespace ov::snoop::craft;

class PcapWriter {
public:
    explicit PcapWriter(const char* path) : f_(std::fopen(path, "wb")) {
        if (!f_)
            return;
        static std::vector<char> buf(1 << 20);
        std::setvbuf(f_, buf.data(), _IOFBF, buf.size());
        Buf h;
        // Magic 0xa1b2c3d4 written little-endian, version 2.4, snaplen, EN10MB.
        le32(h, 0xa1b2c3d4);
        h.u8(2).u8(0).u8(4).u8(0);
        le32(h, 0);
        le32(h, 0);
        le32(h, 65535);
        le32(h, 1);
        std::fwrite(h.b.data(), 1, h.b.size(), f_);
    }
    ~PcapWriter() {
        if (f_)
            std::fclose(f_);
    }
    bool ok() const { return f_ != nullptr; }
    // Records carry the original length: a "cut" packet is a short capture.
    void add(const Bytes& p, uint64_t n, uint32_t orig_len) {
        Buf h;
        uint64_t us = n * 1000; // one packet per millisecond from a fixed start
        le32(h, uint32_t(1700000000 + us / 1000000));
        le32(h, uint32_t(us % 1000000));
        le32(h, uint32_t(p.size()));
        le32(h, orig_len);
        std::fwrite(h.b.data(), 1, h.b.size(), f_);
        std::fwrite(p.data(), 1, p.size(), f_);
    }
    bool close() {
        bool ok = f_ && std::fclose(f_) == 0;
        f_ = nullptr;
        return ok;
    }

private:
    static void le32(Buf& b, uint32_t v) { b.u8(v).u8(v >> 8).u8(v >> 16).u8(v >> 24); }
    FILE* f_;
};

int usage() {
    std::fprintf(stderr, "usage: snoop-mkcap golden FILE | snoop-mkcap corpus DIR |"
                         " snoop-mkcap mix N FILE [SEED]\n");
    return 2;
}

// One seed per golden packet; the selector byte is documented in
// tests/fuzz/snoop/snoop_fuzz.cpp (link type stays Ethernet: bits 0-1 0).
bool write_seed(const std::string& path, uint8_t sel, const Bytes& b) {
    FILE* f = std::fopen(path.c_str(), "wb");
    if (!f) {
        std::fprintf(stderr, "snoop-mkcap: cannot write %s: %s\n", path.c_str(),
                     std::strerror(errno));
        return false;
    }
    bool ok = std::fwrite(&sel, 1, 1, f) == 1 && std::fwrite(b.data(), 1, b.size(), f) == b.size();
    if (std::fclose(f) != 0 || !ok) {
        std::fprintf(stderr, "snoop-mkcap: cannot write %s\n", path.c_str());
        return false;
    }
    return true;
}

int write_corpus(const std::string& dir) {
    std::vector<Rec> pkts = golden();
    for (size_t i = 0; i < pkts.size(); i++) {
        char name[32];
        std::snprintf(name, sizeof name, "/golden-%02zu", i + 1);
        uint8_t sel = uint8_t((i % 4) << 2 | (pkts[i].orig > pkts[i].b.size() ? 0x10 : 0));
        if (!write_seed(dir + name, sel, pkts[i].b))
            return 1;
    }
    // The other link types: raw IP (selector 1) and Linux cooked (2), each
    // carrying VXLAN so the seeds reach the inner frame.
    Bytes frame = over_vxlan(42, eth(mac(2), mac(1), 0x0800,
                                     ipv4({t4(1), t4(2), 1}, icmp_echo(8, 1, 1))));
    Bytes ip(frame.begin() + 14, frame.end());
    Buf sll;
    sll.u16(0).u16(1).u16(6).put(Bytes(frame.begin() + 6, frame.begin() + 12)).u16(0).u16(0x0800);
    sll.put(ip);
    if (!write_seed(dir + "/raw-ipv4-vxlan", 0x09, ip) ||
        !write_seed(dir + "/sll-ipv4-vxlan", 0x0a, sll.b))
        return 1;
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    if (argc < 3)
        return usage();
    std::string mode = argv[1];
    if (mode == "corpus" && argc == 3)
        return write_corpus(argv[2]);
    const char* path = nullptr;
    if (mode == "golden" && argc == 3) {
        path = argv[2];
    } else if (mode == "mix" && (argc == 4 || argc == 5)) {
        path = argv[3];
    } else {
        return usage();
    }
    PcapWriter w(path);
    if (!w.ok()) {
        std::fprintf(stderr, "snoop-mkcap: cannot write %s: %s\n", path, std::strerror(errno));
        return 1;
    }
    if (mode == "golden") {
        std::vector<Rec> pkts = golden();
        for (size_t i = 0; i < pkts.size(); i++)
            w.add(pkts[i].b, i, pkts[i].orig);
    } else {
        char* end;
        unsigned long long n = std::strtoull(argv[2], &end, 10);
        if (*end || n == 0)
            return usage();
        Rng r{argc == 5 ? std::strtoull(argv[4], nullptr, 10) | 1 : 0x9e3779b97f4a7c15ull};
        for (unsigned long long i = 0; i < n; i++) {
            Bytes p = mixed(r);
            w.add(p, i, uint32_t(p.size()));
        }
    }
    if (!w.close()) {
        std::fprintf(stderr, "snoop-mkcap: cannot write %s\n", path);
        return 1;
    }
    return 0;
}
