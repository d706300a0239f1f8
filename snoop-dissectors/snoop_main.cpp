// overlay-snoop: read or capture packets and print them through the
// dissector table, one summary line each, a detailed view (-v) or JSON
// lines (-j); or write the (filtered) packets to a capture file (-o).
//
// Theory. main() parses options, opens one pcap handle (a file with -i, pcap
// or pcapng; a live device with -d), compiles the filter expression (into
// the kernel when live; on a file it is run per packet so frame numbers stay
// the file's), builds the dissector Table (VXLAN ports 4789, 8472 and any
// -P), and runs one loop: pcap_next_ex -> filter -> dissect_frame into the
// Out buffer -> keep or roll back (-V) -> count -> write the buffer with
// fwrite once it is large (after every packet when live, so a person sees
// packets as they come).
// Nothing is allocated per packet. SIGINT/SIGTERM stop a live capture
// through pcap_breakloop (the only global: the handle the signal handler
// must reach). States: parsing -> opened -> looping -> done; every failure
// before the loop is one line on stderr naming the problem and exit 2 (usage)
// or 1 (file, device, filter); a read error inside the loop exits 1 after
// flushing what was decoded. Malformed and truncated packets are printed as
// far as they go, counted, and never stop the loop.
//
// Not supported: writing pcapng (-o writes classic pcap), reassembly, name
// resolution (addresses are shown as numbers), more than one device.
#include "dissect.h"

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <getopt.h>
#include <pcap/pcap.h>
#include <string>
#include <unistd.h>
#include <vector>

namespace {

using namespace ov::snoop;

constexpr const char* kProg = "overlay-snoop";
constexpr unsigned long kMaxVnetid = 16777215;

const char kUsage[] = "usage: overlay-snoop (-i file | -d device) [-o file] [-v | -j] [-c count]\n"
                      "                     [-V vnetid] [-P port]... [filter expression]\n"
                      "       overlay-snoop -h | --help\n";

const option kLongOpts[] = {{"help", no_argument, nullptr, 'h'}, {nullptr, 0, nullptr, 0}};

struct Options {
    const char* input = nullptr;
    const char* device = nullptr;
    const char* output = nullptr;
    bool verbose = false;
    bool json = false;
    unsigned long long count = 0; // 0: no limit
    bool has_vnetid = false;
    uint32_t vnetid = 0;
    std::vector<uint16_t> ports{std::begin(kDefaultVxlanPorts), std::end(kDefaultVxlanPorts)};
    std::string filter;
};

// Parse a decimal number in [lo, hi]; false when it is not one.
bool parse_num(const char* s, unsigned long long lo, unsigned long long hi,
               unsigned long long& v) {
    if (!*s)
        return false;
    for (const char* p = s; *p; p++)
        if (*p < '0' || *p > '9')
            return false;
    errno = 0;
    char* end = nullptr;
    v = std::strtoull(s, &end, 10);
    return errno == 0 && *end == 0 && v >= lo && v <= hi;
}

int usage_error(const char* fmt, const char* arg) {
    std::fprintf(stderr, "%s: ", kProg);
    std::fprintf(stderr, fmt, arg);
    std::fputc('\n', stderr);
    std::fputs(kUsage, stderr);
    return 2;
}

// Returns -1 on success, else the exit status.
int parse(int argc, char** argv, Options& o) {
    opterr = 0;
    int ch;
    unsigned long long v;
    while ((ch = getopt_long(argc, argv, ":i:d:o:vjc:V:P:h", kLongOpts, nullptr)) != -1) {
        switch (ch) {
        case 'i':
            o.input = optarg;
            break;
        case 'd':
            o.device = optarg;
            break;
        case 'o':
            o.output = optarg;
            break;
        case 'v':
            o.verbose = true;
            break;
        case 'j':
            o.json = true;
            break;
        case 'c':
            if (!parse_num(optarg, 1, UINT64_MAX, v))
                return usage_error("-c: count '%s' is not a positive number", optarg);
            o.count = v;
            break;
        case 'V':
            if (!parse_num(optarg, 0, kMaxVnetid, v))
                return usage_error("-V: vnetid '%s' is not a number in 0..16777215", optarg);
            o.has_vnetid = true;
            o.vnetid = uint32_t(v);
            break;
        case 'P':
            if (!parse_num(optarg, 1, 65535, v))
                return usage_error("-P: port '%s' is not a number in 1..65535", optarg);
            o.ports.push_back(uint16_t(v));
            break;
        case 'h':
            std::fputs(kUsage, stdout);
            return 0;
        case ':': {
            char opt[3] = {'-', char(optopt), 0};
            return usage_error("option %s needs an argument", opt);
        }
        default: {
            char opt[3] = {'-', char(optopt), 0};
            /* optopt is 0 for an unknown long option: name the word itself */
            return usage_error("unknown option %s", optopt ? opt : argv[optind - 1]);
        }
        }
    }
    for (int i = optind; i < argc; i++) {
        if (!o.filter.empty())
            o.filter += ' ';
        o.filter += argv[i];
    }
    if (o.input && o.device)
        return usage_error("%s", "-i and -d cannot be used together");
    if (!o.input && !o.device)
        return usage_error("%s", "need -i file or -d device");
    if (o.verbose && o.json)
        return usage_error("%s", "-v and -j cannot be used together");
    if (o.output && (o.verbose || o.json))
        return usage_error("%s", "-o writes a capture and prints nothing; drop -v/-j");
    return -1;
}

pcap_t* g_live = nullptr; // for the signal handler only

extern "C" void on_signal(int) {
    if (g_live)
        pcap_breakloop(g_live);
}

pcap_t* open_input(const Options& o) {
    char err[PCAP_ERRBUF_SIZE] = "";
    if (o.input) {
        pcap_t* h = pcap_open_offline(o.input, err);
        if (!h) /* libpcap's message already names the file ("F: No such file ...") */
            std::fprintf(stderr, "%s: cannot read %s\n", kProg,
                         std::strstr(err, o.input) ? err
                                                   : (std::string(o.input) + ": " + err).c_str());
        return h;
    }
    pcap_t* h = pcap_create(o.device, err);
    if (!h) {
        std::fprintf(stderr, "%s: cannot open device %s: %s\n", kProg, o.device, err);
        return nullptr;
    }
    pcap_set_snaplen(h, 262144);
    pcap_set_promisc(h, 1);
    pcap_set_timeout(h, 200);
    pcap_set_immediate_mode(h, 1);
    int rc = pcap_activate(h);
    if (rc < 0) {
        std::fprintf(stderr, "%s: cannot capture on %s: %s\n", kProg, o.device,
                     rc == PCAP_ERROR ? pcap_geterr(h) : pcap_statustostr(rc));
        pcap_close(h);
        return nullptr;
    }
    return h;
}

struct Counts {
    unsigned long long read = 0, shown = 0, truncated = 0, malformed = 0;
};

int run(const Options& o, pcap_t* h, Counts& n) {
    int dlt = pcap_datalink(h);
    Table table(o.ports);
    if (!table.find(Ns::Link, uint32_t(dlt))) {
        const char* name = pcap_datalink_val_to_name(dlt);
        std::fprintf(stderr, "%s: link type %s (%d) is not supported\n", kProg,
                     name ? name : "unknown", dlt);
        return 1;
    }
    // The filter runs in the kernel when live; on a file it is applied here
    // packet by packet, so frame numbers stay those of the file (as with -V).
    const bool live = o.device != nullptr;
    bpf_program prog{};
    bool filtering = !o.filter.empty();
    if (filtering) {
        if (pcap_compile(h, &prog, o.filter.c_str(), 1, PCAP_NETMASK_UNKNOWN) < 0) {
            std::fprintf(stderr, "%s: bad filter expression '%s': %s\n", kProg,
                         o.filter.c_str(), pcap_geterr(h));
            return 1;
        }
        if (live) {
            int rc = pcap_setfilter(h, &prog);
            pcap_freecode(&prog);
            filtering = false;
            if (rc < 0) {
                std::fprintf(stderr, "%s: cannot apply filter: %s\n", kProg, pcap_geterr(h));
                return 1;
            }
        }
    }
    struct FreeCode {
        bpf_program* p;
        ~FreeCode() { pcap_freecode(p); }
    } free_code{&prog};
    pcap_dumper_t* dump = nullptr;
    if (o.output) {
        FILE* f = std::fopen(o.output, "wb");
        dump = f ? pcap_dump_fopen(h, f) : nullptr;
        if (!dump) {
            std::fprintf(stderr, "%s: cannot write %s: %s\n", kProg, o.output,
                         f ? pcap_geterr(h) : std::strerror(errno));
            if (f)
                std::fclose(f);
            return 1;
        }
    }
    Mode mode = o.output ? Mode::Null : o.json ? Mode::Json : o.verbose ? Mode::Verbose
                                                                       : Mode::Summary;
    Out out(mode);
    int status = 0;
    for (;;) {
        pcap_pkthdr* hdr;
        const u_char* data;
        int rc = pcap_next_ex(h, &hdr, &data);
        if (rc == 0)
            continue; // live timeout
        if (rc == PCAP_ERROR_BREAK)
            break;
        if (rc < 0) {
            std::fprintf(stderr, "%s: read error: %s\n", kProg, pcap_geterr(h));
            status = 1;
            break;
        }
        n.read++;
        out.time_base(hdr->ts.tv_sec, uint32_t(hdr->ts.tv_usec));
        if (filtering && !pcap_offline_filter(&prog, hdr, data))
            continue;
        PacketInfo info{n.read, hdr->ts.tv_sec, uint32_t(hdr->ts.tv_usec), hdr->caplen, hdr->len};
        size_t mark = out.mark();
        FrameResult res = dissect_frame(table, out, dlt, info, data, hdr->caplen);
        if (o.has_vnetid && !(res.has_vnetid && res.vnetid == o.vnetid)) {
            out.rollback(mark);
            continue;
        }
        n.shown++;
        n.truncated += res.status.truncated_in != nullptr;
        n.malformed += res.status.malformed != nullptr;
        if (dump)
            pcap_dump(reinterpret_cast<u_char*>(dump), hdr, data);
        if (!out.flush(stdout, live ? 0 : 1 << 16)) {
            std::fprintf(stderr, "%s: cannot write output: %s\n", kProg, std::strerror(errno));
            status = 1;
            break;
        }
        if (live)
            std::fflush(stdout);
        if (o.count && n.shown >= o.count)
            break;
    }
    if (!out.flush(stdout) || std::fflush(stdout) != 0) {
        std::fprintf(stderr, "%s: cannot write output: %s\n", kProg, std::strerror(errno));
        status = 1;
    }
    if (dump) {
        if (pcap_dump_flush(dump) != 0) {
            std::fprintf(stderr, "%s: cannot write %s\n", kProg, o.output);
            status = 1;
        }
        pcap_dump_close(dump);
    }
    std::fprintf(stderr, "%s: %llu packets read, %llu %s, %llu truncated, %llu malformed\n",
                 kProg, n.read, n.shown, o.output ? "written" : "shown", n.truncated,
                 n.malformed);
    return status;
}

} // namespace

int main(int argc, char** argv) {
    Options o;
    int rc = parse(argc, argv, o);
    if (rc >= 0)
        return rc;
    pcap_t* h = open_input(o);
    if (!h)
        return 1;
    if (o.device) {
        g_live = h;
        std::signal(SIGINT, on_signal);
        std::signal(SIGTERM, on_signal);
    }
    Counts n;
    rc = run(o, h, n);
    g_live = nullptr;
    pcap_close(h);
    return rc;
}
