/*
 * varpd-ctl - a minimal command line over varpd's control API, for the VM
 * tests and for poking at a running varpd by hand. The operator's tool is
 * overlayadm (a later issue), built on the same client library; this one
 * prints what the API returns, one line per item, and is not installed.
 *
 *   varpd-ctl [-s SOCKET] status | plugins | list | props ID | stats [ID]
 *   varpd-ctl [-s SOCKET] create LINK BACKEND [PROP=VALUE...]   prints the id
 *   varpd-ctl [-s SOCKET] destroy ID | get ID PROP | set ID PROP VALUE
 *   varpd-ctl [-s SOCKET] cache LINK
 *   varpd-ctl [-s SOCKET] map LINK [MAC] | map-add LINK MAC IP [PORT] | map-rm LINK MAC
 *
 * Exit status: 0 success, 1 varpd refused (its reason on stderr), 2 usage.
 */
#include "client.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <unistd.h>

namespace {

[[noreturn]] void usage() {
    std::fputs("usage: varpd-ctl [-s SOCKET] status | plugins | list | props ID | stats [ID]\n"
               "       varpd-ctl [-s SOCKET] create LINK BACKEND [PROP=VALUE...]\n"
               "       varpd-ctl [-s SOCKET] destroy ID | get ID PROP | set ID PROP VALUE\n"
               "       varpd-ctl [-s SOCKET] cache LINK\n"
               "       varpd-ctl [-s SOCKET] map LINK [MAC] | map-add LINK MAC IP [PORT] |"
               " map-rm LINK MAC\n",
               stderr);
    std::exit(2);
}

uint64_t number(const char* s) {
    char* end;
    unsigned long long v = std::strtoull(s, &end, 10);
    if (*s == '\0' || *end != '\0') {
        std::fprintf(stderr, "varpd-ctl: \"%s\" is not a number\n", s);
        std::exit(2);
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
    int c;
    while ((c = getopt(argc, argv, "s:")) != -1) {
        if (c == 's')
            sock = optarg;
        else
            usage();
    }
    argc -= optind;
    argv += optind;
    if (argc < 1)
        usage();
    std::string cmd = argv[0];
    auto need = [&](int n) {
        if (argc < n + 1)
            usage();
    };
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
                    usage();
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
        } else {
            usage();
        }
    } catch (const varpd::ClientError& e) {
        std::fprintf(stderr, "varpd-ctl: %s\n", e.what());
        return 1;
    }
    return 0;
}
