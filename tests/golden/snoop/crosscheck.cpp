// snoop-crosscheck: overlay-snoop -j against tshark, packet by packet.
//
//   snoop-crosscheck OVERLAY_SNOOP CAPTURE...
//
// For every packet of each capture, the lists of values overlay-snoop
// reports across all layers (outer and inner) are compared with the lists
// tshark -T fields prints for the same fields: VXLAN VNI, NVGRE VSID/FlowID
// (tshark shows the raw GRE key, so VSID<<8|FlowID is compared with it),
// Ethernet source/destination, IPv4 and IPv6 source/destination, IPv4
// protocol and IPv6 next header, TCP and UDP ports. Truncated packets are
// compared too (both must show the same fields from what was captured).
// Packets overlay-snoop marks malformed (where it stops and tshark may go
// on, or the reverse), and ICMP errors (tshark decodes the quoted datagram,
// which overlay-snoop does not), are counted as skipped. Exit 1 on
// any mismatch, or when fewer than half the packets could be compared.
#include <cstdio>
#include <cstdlib>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace {

using Values = std::vector<std::string>;
using Row = std::map<std::string, Values>;

// The compared fields: tshark field name, and where overlay-snoop keeps it.
struct Mapping {
    const char* tshark;
    const char* proto; // overlay-snoop "layer"
    const char* key;   // key inside that layer
    const char* proto2 = nullptr; // a second layer holding the same key
};
const Mapping kFields[] = {
    {"vxlan.vni", "vxlan", "vni"},     {"gre.key", "nvgre", "key", "gre"},
    {"eth.src", "eth", "src"},         {"eth.dst", "eth", "dst"},
    {"ip.src", "ipv4", "src"},         {"ip.dst", "ipv4", "dst"},
    {"ipv6.src", "ipv6", "src"},       {"ipv6.dst", "ipv6", "dst"},
    {"ip.proto", "ipv4", "proto"},     {"ipv6.nxt", "ipv6", "next_header"},
    {"tcp.srcport", "tcp", "sport"},   {"tcp.dstport", "tcp", "dport"},
    {"udp.srcport", "udp", "sport"},   {"udp.dstport", "udp", "dport"},
};

std::string run(const std::string& cmd) {
    std::string out;
    FILE* p = popen(cmd.c_str(), "r");
    if (!p) {
        std::fprintf(stderr, "crosscheck: cannot run %s\n", cmd.c_str());
        std::exit(1);
    }
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0)
        out.append(buf, n);
    if (pclose(p) != 0) {
        std::fprintf(stderr, "crosscheck: %s failed\n", cmd.c_str());
        std::exit(1);
    }
    return out;
}

std::vector<std::string> split(const std::string& s, char sep) {
    std::vector<std::string> r;
    size_t at = 0;
    for (;;) {
        size_t e = s.find(sep, at);
        r.push_back(s.substr(at, e == std::string::npos ? e : e - at));
        if (e == std::string::npos)
            return r;
        at = e + 1;
    }
}

// tshark prints hex fields as 0x...; compare numbers as numbers.
std::string norm(const std::string& v) {
    if (v.size() > 2 && v[0] == '0' && v[1] == 'x')
        return std::to_string(std::strtoull(v.c_str(), nullptr, 16));
    return v;
}

std::string join(const Values& v) {
    std::string s;
    for (const std::string& x : v)
        s += (s.empty() ? "" : ",") + x;
    return "[" + s + "]";
}

std::string shell_quote(const std::string& s) {
    std::string r = "'";
    for (char c : s)
        r += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return r + "'";
}

int check(const std::string& snoop, const std::string& cap) {
    std::string cmd = "tshark -n -r " + shell_quote(cap) +
                      " -d udp.port==8472,vxlan -o ip.defragment:FALSE"
                      " -o ipv6.defragment:FALSE -T fields -E separator=/t"
                      " -E occurrence=a -E aggregator=, -e frame.number";
    for (const Mapping& m : kFields)
        cmd += std::string(" -e ") + m.tshark;
    cmd += " 2>/dev/null"; // tshark warns about running as root
    std::vector<Row> theirs;
    for (const std::string& line : split(run(cmd), '\n')) {
        if (line.empty())
            continue;
        std::vector<std::string> cols = split(line, '\t');
        Row r;
        for (size_t i = 0; i < std::size(kFields); i++) {
            Values v;
            if (i + 1 < cols.size() && !cols[i + 1].empty())
                for (const std::string& x : split(cols[i + 1], ','))
                    v.push_back(norm(x));
            r[kFields[i].tshark] = v;
        }
        theirs.push_back(r);
    }
    std::vector<std::string> ours =
        split(run(shell_quote(snoop) + " -j -i " + shell_quote(cap) + " 2>/dev/null"), '\n');
    if (!ours.empty() && ours.back().empty())
        ours.pop_back();
    if (ours.size() != theirs.size()) {
        std::fprintf(stderr, "crosscheck: %s: overlay-snoop shows %zu packets, tshark %zu\n",
                     cap.c_str(), ours.size(), theirs.size());
        return 1;
    }
    size_t compared = 0, skipped = 0, bad = 0;
    for (size_t i = 0; i < ours.size(); i++) {
        nlohmann::json j = nlohmann::json::parse(ours[i]);
        bool skip = j.contains("malformed");
        Row mine;
        for (const Mapping& m : kFields)
            mine[m.tshark];
        for (const auto& l : j["layers"]) {
            std::string proto = l["layer"];
            if ((proto == "icmp" && l["type"] != 0 && l["type"] != 8) ||
                (proto == "icmpv6" && l["type"].get<int>() < 128))
                skip = true; // an error message quoting a datagram
            for (const Mapping& m : kFields) {
                if ((proto != m.proto && !(m.proto2 && proto == m.proto2)) || !l.contains(m.key))
                    continue;
                const auto& v = l[m.key];
                mine[m.tshark].push_back(v.is_string() ? norm(v.get<std::string>())
                                                       : std::to_string(v.get<uint64_t>()));
            }
        }
        if (skip) {
            skipped++;
            continue;
        }
        compared++;
        for (const Mapping& m : kFields) {
            const Values& a = mine[m.tshark];
            const Values& b = theirs[i][m.tshark];
            if (a != b) {
                bad++;
                std::fprintf(stderr, "crosscheck: %s frame %zu: %s overlay-snoop %s tshark %s\n",
                             cap.c_str(), i + 1, m.tshark, join(a).c_str(), join(b).c_str());
            }
        }
    }
    std::printf("crosscheck: %s: %zu packets compared field by field, %zu skipped "
                "(malformed or ICMP error), %zu mismatches\n",
                cap.c_str(), compared, skipped, bad);
    if (compared * 2 < ours.size()) {
        std::fprintf(stderr, "crosscheck: too few packets compared\n");
        return 1;
    }
    return bad ? 1 : 0;
}

} // namespace

int main(int argc, char** argv) {
    if (argc < 3) {
        std::fprintf(stderr, "usage: snoop-crosscheck OVERLAY_SNOOP CAPTURE...\n");
        return 2;
    }
    int rc = 0;
    for (int i = 2; i < argc; i++)
        rc |= check(argv[1], argv[i]);
    return rc;
}
