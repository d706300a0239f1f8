/*
 * varpd-ctl - a minimal command line over varpd's control API, for the VM
 * tests and for poking at a running varpd by hand. The operator's tool is
 * overlayadm (a later issue), built on the same client library; this one
 * prints what the API returns, one line per item (varpd-ctl(8)).
 *
 *   varpd-ctl [-s SOCKET] status | plugins | list | props ID | stats [ID]
 *   varpd-ctl [-s SOCKET] create LINK BACKEND [PROP=VALUE...]   prints the id
 *   varpd-ctl [-s SOCKET] destroy ID | get ID PROP | set ID PROP VALUE
 *   varpd-ctl [-s SOCKET] cache LINK
 *   varpd-ctl [-s SOCKET] map LINK [MAC] | map-add LINK MAC IP [PORT] | map-rm LINK MAC
 *
 * Exit status: 0 success, 1 varpd refused or unreachable (one line naming the
 * reason or the socket), 2 usage (one line naming the bad token, then usage).
 */
#include "client.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <getopt.h>
#include <string>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

namespace {

const char kUsage[] =
    "usage: varpd-ctl [-s SOCKET] status | plugins | list | props ID | stats [ID]\n"
    "       varpd-ctl [-s SOCKET] create LINK BACKEND [PROP=VALUE...]\n"
    "       varpd-ctl [-s SOCKET] destroy ID | get ID PROP | set ID PROP VALUE\n"
    "       varpd-ctl [-s SOCKET] cache LINK\n"
    "       varpd-ctl [-s SOCKET] map LINK [MAC] | map-add LINK MAC IP [PORT] |"
    " map-rm LINK MAC\n"
    "       varpd-ctl -h | --help\n";

/* A usage error: one line naming the problem, then the usage, exit 2. */
[[noreturn]] void usage(const std::string& why) {
    std::fprintf(stderr, "varpd-ctl: %s\n%s", why.c_str(), kUsage);
    std::exit(2);
}

/* EzRpcClient connects lazily, so try the socket first: its error names it. */
bool reachable(const std::string& path) {
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    if (path.size() >= sizeof(sa.sun_path)) {
        std::fprintf(stderr, "varpd-ctl: socket path %s is too long\n", path.c_str());
        return false;
    }
    std::memcpy(sa.sun_path, path.c_str(), path.size());
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int rc = fd < 0 ? -1 : connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa));
    int e = errno;
    if (fd >= 0)
        close(fd);
    if (rc != 0)
        std::fprintf(stderr, "varpd-ctl: cannot connect to %s: %s\n", path.c_str(),
                     std::strerror(e));
    return rc == 0;
}

uint64_t number(const char* s) {
    char* end;
    unsigned long long v = std::strtoull(s, &end, 10);
    if (*s == '\0' || *end != '\0') {
        usage(std::string("\"") + s + "\" is not a number");
    }
    return v;
}

void print_stats(const varpd::client::Stats& s) {
    std::printf("lookups %llu hits %llu misses %llu drops %llu proxy_arp %llu proxy_ndp %llu "
                "proxy_dhcp %llu errors %llu outstanding %llu latency_avg_us %.1f "
                "latency_p99_us %.1f latency_max_us %.1f\n",
                (unsigned long long)s.lookups, (unsigned long long)s.hits,
                (unsigned long long)s.misses, (unsigned long long)s.drops,
                (unsigned long long)s.proxy_arp, (unsigned long long)s.proxy_ndp,
                (unsigned long long)s.proxy_dhcp, (unsigned long long)s.errors,
                (unsigned long long)s.outstanding, s.latency_avg_us, s.latency_p99_us,
                s.latency_max_us);
}

} // namespace

int main(int argc, char** argv) {
    std::string sock = "/var/lib/varpd/varpd.sock";
    const option long_opts[] = {{"help", no_argument, nullptr, 'h'}, {nullptr, 0, nullptr, 0}};
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "+:s:h", long_opts, nullptr)) != -1) {
        if (c == 's') {
            sock = optarg;
        } else if (c == 'h') {
            std::fputs(kUsage, stdout);
            return 0;
        } else if (c == ':') {
            usage(std::string("option -") + char(optopt) + " needs SOCKET");
        } else {
            usage("unknown option " +
                  (optopt ? std::string("-") + char(optopt) : std::string(argv[optind - 1])));
        }
    }
    argc -= optind;
    argv += optind;
    if (argc < 1)
        usage("no command");
    std::string cmd = argv[0];
    const char* const commands[] = {"status", "plugins", "list",  "props", "stats",
                                    "create", "destroy", "get",   "set",   "cache",
                                    "map",    "map-add", "map-rm"};
    if (std::find(std::begin(commands), std::end(commands), cmd) == std::end(commands))
        usage("unknown command \"" + cmd + "\"");
    auto need = [&](int n) {
        if (argc < n + 1)
            usage(cmd + " needs " + std::to_string(n) + " operand" + (n > 1 ? "s" : ""));
    };
    if (!reachable(sock))
        return 1;
    try {
        varpd::Client cl(sock);
        if (cmd == "status") {
            auto s = cl.status();
            std::printf("pid %u uptime %llus channel %s instances %u plugins %u\n", s.pid,
                        (unsigned long long)s.uptime_sec, s.channel.c_str(), s.instances,
                        s.plugins);
            for (auto& [link, msg] : s.degraded)
                std::printf("degraded link %u: %s\n", link, msg.c_str());
            for (auto& b : s.set_aside)
                std::printf("set aside %s: %s\n", b.file.c_str(), b.reason.c_str());
        } else if (cmd == "plugins") {
            std::vector<varpd::client::Refused> refused;
            for (auto& p : cl.list_plugins(&refused))
                std::printf("%s %s%s %s abi %u%s\n", p.name.c_str(), p.mode.c_str(),
                            p.blocking ? " blocking" : "", p.file.c_str(), p.abi,
                            p.writable ? " writable" : "");
            for (auto& r : refused)
                std::printf("refused %s: %s\n", r.file.c_str(), r.reason.c_str());
        } else if (cmd == "list") {
            for (auto& i : cl.list_instances())
                std::printf("%llu link %u %s %s\n", (unsigned long long)i.id, i.linkid,
                            i.plugin.c_str(), i.mode.c_str());
        } else if (cmd == "create") {
            need(2);
            std::vector<std::pair<std::string, std::string>> props;
            for (int i = 3; i < argc; i++) {
                const char* eq = std::strchr(argv[i], '=');
                if (!eq)
                    usage(std::string("\"") + argv[i] + "\" is not PROP=VALUE");
                props.emplace_back(std::string(argv[i], static_cast<size_t>(eq - argv[i])), eq + 1);
            }
            std::printf("%llu\n", (unsigned long long)cl.create_instance(
                                      static_cast<uint32_t>(number(argv[1])), argv[2], props));
        } else if (cmd == "destroy") {
            need(1);
            cl.destroy_instance(number(argv[1]));
        } else if (cmd == "get") {
            need(2);
            std::printf("%s\n", cl.get_prop(number(argv[1]), argv[2]).c_str());
        } else if (cmd == "set") {
            need(3);
            cl.set_prop(number(argv[1]), argv[2], argv[3]);
        } else if (cmd == "props") {
            need(1);
            for (auto& p : cl.prop_info(number(argv[1])))
                std::printf("%s %s %s%s%s value=%s default=%s\n", p.name.c_str(), p.type.c_str(),
                            p.readable ? "r" : "-", p.writable ? "w" : "-",
                            p.required ? " required" : "", p.value.c_str(), p.def.c_str());
        } else if (cmd == "stats") {
            print_stats(cl.stats(argc > 1 ? number(argv[1]) : 0));
        } else if (cmd == "cache") {
            need(1);
            for (auto& e : cl.cache_iter(static_cast<uint32_t>(number(argv[1]))))
                std::printf("%s %s\n", e.mac.c_str(),
                            e.drop ? "drop" : (e.ip + " " + std::to_string(e.port)).c_str());
        } else if (cmd == "map") { /* one line per mapping: mac ip port arp ndp dhcp ttl */
            need(1);
            uint32_t link = static_cast<uint32_t>(number(argv[1]));
            auto print = [](const varpd::client::Mapping& m) {
                auto dash = [](const std::string& s) { return s.empty() ? "-" : s.c_str(); };
                std::printf("%s %s %u %s %s %s %llu\n", m.mac.c_str(), m.ip.c_str(), m.port,
                            dash(m.arp), dash(m.ndp), dash(m.dhcp_proxy),
                            (unsigned long long)m.ttl);
            };
            if (argc > 2) {
                print(cl.get_mapping(link, argv[2]));
            } else {
                for (std::string after;;) {
                    auto page = cl.list_mappings(link, after, 10000);
                    for (auto& m : page)
                        print(m);
                    if (page.size() < 10000)
                        break;
                    after = page.back().mac;
                }
            }
        } else if (cmd == "map-add") {
            need(3);
            varpd::client::Mapping m;
            m.mac = argv[2];
            m.ip = argv[3];
            m.port = argc > 4 ? static_cast<uint32_t>(number(argv[4])) : 0;
            cl.add_mapping(static_cast<uint32_t>(number(argv[1])), m);
        } else if (cmd == "map-rm") {
            need(2);
            cl.remove_mapping(static_cast<uint32_t>(number(argv[1])), argv[2]);
        }
    } catch (const varpd::ClientError& e) {
        std::fprintf(stderr, "varpd-ctl: %s\n", e.what());
        return 1;
    }
    return 0;
}
