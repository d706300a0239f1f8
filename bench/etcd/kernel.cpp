/*
 * etcd-bench-kernel - time from an etcd write's acknowledgement to the
 * change of the kernel's target-cache entry on every host (issue 14 item
 * 3), run inside the VM by tests/vm/55-varpd-etcd.sh and bench-etcd's VM
 * part.
 *
 *   etcd-bench-kernel ENDPOINTS PREFIX VNET MAC CHANGES IP NETNS:IFNAME...
 *
 * Theory: each host's varpd runs the etcd backend, and each host's ovnet
 * device (IFNAME in network namespace NETNS, /run/netns/NETNS) already
 * holds a VALID
 * entry for MAC (its varpd looked it up once, so the backend caches it and
 * its watch injects every change). For change i the tool puts MAC's key
 * with {"ip": IP, "port": 20000 + i} through etcd's v3 gateway (libcurl,
 * tests/unit/etcd-cluster/etcd_cluster.h's client, as an operator's tool
 * would), takes CLOCK_MONOTONIC when the answer is back (the ack), then
 * reads every device's entry with OVERLAY_IOC_CACHE_GET until each carries
 * port 20000 + i, noting when; a device not there in 5 s counts the
 * change as lost on it. The ioctls name a device by link id within the
 * caller's namespace, so one thread visits each (setns, a few
 * microseconds) in turn and goes home to write: one thread, so the poll
 * takes one core at most from the varpds and etcd it measures, and rests
 * 20 us a round. The clock is one for all the VM's namespaces. Output: one JSON object on stdout
 * (from_ack summary of the slowest device per change, per_link summaries, lost), and a line per 100
 * changes on stderr.
 *
 * The peer, in the same run: etcd alone. A plain watcher (a streaming POST
 * /v3/watch on the key through the gateway, libcurl, in this process's
 * home namespace) notes when each change's event reaches it; its delay
 * from the same ack is what any etcd client gets, and kernel / watch is
 * what varpd, the backend and ovnet add on top (ratio_p50, ratio_p99).
 */
#include "etcd_cluster.h"
#include "stats.h"

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <curl/curl.h>
#include <fcntl.h>
#include <map>
#include <mutex>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <thread>
#include <time.h>
#include <uapi/overlay.h>
#include <unistd.h>

namespace {

double now_ms();

/* The peer: a watch stream on one key; when each port's event arrived. */
class Watcher {
public:
    Watcher(const std::string& ep, const std::string& key) {
        curl_ = curl_easy_init();
        body_ = nlohmann::json{{"create_request", {{"key", etcd_test::b64enc(key)}}}}.dump();
        url_ = ep + "/v3/watch";
        thread_ = std::thread([this] { run(); });
    }
    ~Watcher() {
        stop_ = true;
        thread_.join();
        curl_easy_cleanup(curl_);
    }
    bool created() const { return created_; }
    /* The time port's event came, or -1. */
    double seen(uint16_t port) {
        std::lock_guard g(mu_);
        auto it = at_.find(port);
        return it == at_.end() ? -1 : it->second;
    }

private:
    static size_t sink(char* p, size_t sz, size_t n, void* u) {
        auto* w = static_cast<Watcher*>(u);
        w->buf_.append(p, sz * n);
        for (size_t nl; (nl = w->buf_.find('\n')) != std::string::npos;) {
            w->message(nlohmann::json::parse(w->buf_.substr(0, nl), nullptr, false));
            w->buf_.erase(0, nl + 1);
        }
        return w->stop_ ? 0 : sz * n; /* 0 ends the transfer */
    }
    static int progress(void* u, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
        return static_cast<Watcher*>(u)->stop_ ? 1 : 0;
    }
    void message(const nlohmann::json& m) {
        double t = now_ms();
        if (!m.is_object() || !m.contains("result"))
            return;
        const auto& r = m["result"];
        if (r.value("created", false))
            created_ = true;
        if (!r.contains("events"))
            return;
        for (const auto& ev : r["events"]) {
            std::string v = etcd_test::b64dec(ev["kv"].value("value", ""));
            auto j = nlohmann::json::parse(v, nullptr, false);
            if (j.is_object() && j.contains("port") && j["port"].is_number_unsigned()) {
                std::lock_guard g(mu_);
                at_.emplace(j["port"].get<uint16_t>(), t);
            }
        }
    }
    void run() {
        curl_easy_setopt(curl_, CURLOPT_URL, url_.c_str());
        curl_easy_setopt(curl_, CURLOPT_POSTFIELDS, body_.c_str());
        curl_easy_setopt(curl_, CURLOPT_WRITEFUNCTION, sink);
        curl_easy_setopt(curl_, CURLOPT_WRITEDATA, this);
        curl_easy_setopt(curl_, CURLOPT_NOPROGRESS, 0L);
        curl_easy_setopt(curl_, CURLOPT_XFERINFOFUNCTION, progress);
        curl_easy_setopt(curl_, CURLOPT_XFERINFODATA, this);
        curl_easy_setopt(curl_, CURLOPT_NOPROXY, "*");
        curl_easy_setopt(curl_, CURLOPT_TCP_NODELAY, 1L);
        curl_easy_perform(curl_);
    }

    CURL* curl_;
    std::string url_, body_, buf_;
    std::thread thread_;
    std::atomic<bool> stop_{false}, created_{false};
    std::mutex mu_;
    std::map<uint16_t, double> at_;
};

double now_ms() {
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return double(ts.tv_sec) * 1e3 + double(ts.tv_nsec) / 1e6;
}

bool parse_mac(const char* s, uint8_t m[6]) {
    unsigned v[6];
    char tail;
    if (std::sscanf(s, "%x:%x:%x:%x:%x:%x%c", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &tail) != 6)
        return false;
    for (int i = 0; i < 6; i++) {
        if (v[i] > 0xff)
            return false;
        m[i] = uint8_t(v[i]);
    }
    return true;
}

} // namespace

int main(int argc, char** argv) {
    if (argc < 8) {
        std::fprintf(stderr, "usage: etcd-bench-kernel ENDPOINTS PREFIX VNET MAC CHANGES IP "
                             "NETNS:IFNAME...\n");
        return 2;
    }
    std::vector<std::string> eps;
    for (std::string e = argv[1]; !e.empty();) {
        size_t c = e.find(',');
        eps.push_back(e.substr(0, c));
        e = c == std::string::npos ? "" : e.substr(c + 1);
    }
    std::string prefix = argv[2], vnet = argv[3], mac = argv[4], ip = argv[6];
    long changes = std::strtol(argv[5], nullptr, 10);
    uint8_t m[6];
    if (!parse_mac(argv[4], m) || changes < 1 || changes > 100000) {
        std::fprintf(stderr, "etcd-bench-kernel: bad MAC %s or CHANGES %s\n", argv[4], argv[5]);
        return 2;
    }
    int home = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
    int fd = open("/dev/overlay", O_RDWR | O_CLOEXEC);
    if (home < 0 || fd < 0) {
        std::fprintf(stderr, "etcd-bench-kernel: %s: %s\n", home < 0 ? "our netns" : "/dev/overlay",
                     std::strerror(errno));
        return 1;
    }
    struct Dev {
        std::string name;
        int ns;
        uint32_t link;
    };
    std::vector<Dev> devs;
    for (int i = 7; i < argc; i++) {
        std::string a = argv[i];
        size_t c = a.find(':');
        if (c == std::string::npos) {
            std::fprintf(stderr, "etcd-bench-kernel: %s is not NETNS:IFNAME\n", argv[i]);
            return 2;
        }
        Dev d{a, open(("/run/netns/" + a.substr(0, c)).c_str(), O_RDONLY | O_CLOEXEC), 0};
        if (d.ns < 0 || setns(d.ns, CLONE_NEWNET) != 0) {
            std::fprintf(stderr, "etcd-bench-kernel: netns %s: %s\n", a.substr(0, c).c_str(),
                         std::strerror(errno));
            return 1;
        }
        unsigned ifindex = if_nametoindex(a.substr(c + 1).c_str());
        for (uint32_t id = 1; ifindex && id < 65536 && !d.link; id++) {
            overlay_ioc_status st{};
            st.oisc_linkid = id;
            if (ioctl(fd, OVERLAY_IOC_STATUS, &st) == 0 && st.oisc_ifindex == ifindex)
                d.link = id;
        }
        if (!d.link) {
            std::fprintf(stderr, "etcd-bench-kernel: %s is not an overlay device\n", argv[i]);
            return 1;
        }
        devs.push_back(d);
    }
    auto port_of = [&](const Dev& d, uint16_t& port) {
        overlay_ioc_cache c{};
        c.oc_linkid = d.link;
        std::memcpy(c.oc_entry.otc_mac, m, 6);
        if (setns(d.ns, CLONE_NEWNET) != 0 || ioctl(fd, OVERLAY_IOC_CACHE_GET, &c) != 0)
            return false;
        port = c.oc_entry.otc_port;
        return !(c.oc_entry.otc_flags & (OVERLAY_TARG_CACHE_DROP | OVERLAY_TARG_CACHE_PENDING));
    };
    for (auto& d : devs) {
        uint16_t p;
        if (!port_of(d, p)) {
            std::fprintf(stderr, "etcd-bench-kernel: %s holds no VALID entry for %s\n",
                         d.name.c_str(), mac.c_str());
            return 1;
        }
    }
    if (setns(home, CLONE_NEWNET) != 0) {
        std::fprintf(stderr, "etcd-bench-kernel: back home: %s\n", std::strerror(errno));
        return 1;
    }
    etcd_test::EtcdClient cl(eps, {}, std::chrono::milliseconds(5000));
    Watcher peer(eps.front(), prefix + "/vnet/" + vnet + "/mac/" + mac);
    for (double t0 = now_ms(); !peer.created(); usleep(1000))
        if (now_ms() - t0 > 10000) {
            std::fprintf(stderr, "etcd-bench-kernel: the peer's watch was not created in 10 s\n");
            return 1;
        }
    const std::string key = prefix + "/vnet/" + vnet + "/mac/" + mac;
    std::vector<double> slowest, alone;
    std::vector<std::vector<double>> per(devs.size());
    long lost = 0;
    for (long i = 0; i < changes; i++) {
        uint16_t want = uint16_t(20000 + i % 40000);
        std::string err;
        setns(home, CLONE_NEWNET); /* the client's connection may need making again */
        std::string value = "{\"ip\":\"" + ip + "\",\"port\":" + std::to_string(want) + "}";
        if (cl.put(key, value, &err) < 0) {
            std::fprintf(stderr, "etcd-bench-kernel: put %ld: %s\n", i, err.c_str());
            return 1;
        }
        double ack = now_ms(), worst = 0;
        std::vector<bool> seen(devs.size(), false);
        size_t left = devs.size();
        while (left && now_ms() - ack < 5000) {
            for (size_t k = 0; k < devs.size(); k++) {
                uint16_t p;
                if (seen[k] || !port_of(devs[k], p) || p != want)
                    continue;
                double d = now_ms() - ack;
                seen[k] = true;
                left--;
                per[k].push_back(d);
                worst = std::max(worst, d);
            }
            usleep(20);
        }
        if (left) {
            lost++;
            continue;
        }
        slowest.push_back(worst);
        for (double t0 = now_ms(); peer.seen(want) < 0 && now_ms() - t0 < 5000;)
            usleep(100);
        if (peer.seen(want) >= 0)
            alone.push_back(peer.seen(want) - ack);
        if ((i + 1) % 100 == 0)
            std::fprintf(stderr, "etcd-bench-kernel: %ld/%ld changes, p99 so far %.2f ms\n", i + 1,
                         changes, etcd_bench::pct(slowest, 99));
    }
    nlohmann::json j;
    j["changes"] = changes;
    j["lost"] = lost;
    j["hosts"] = devs.size();
    j["from_ack"] = etcd_bench::summary(slowest);
    for (auto& v : per)
        j["per_link"].push_back(etcd_bench::summary(v));
    j["watch_alone"] = etcd_bench::summary(alone);
    j["watch_alone_seen"] = alone.size();
    double a50 = etcd_bench::pct(alone, 50), a99 = etcd_bench::pct(alone, 99);
    j["ratio_p50"] = a50 > 0 ? etcd_bench::pct(slowest, 50) / a50 : NAN;
    j["ratio_p99"] = a99 > 0 ? etcd_bench::pct(slowest, 99) / a99 : NAN;
    j["measures"] = "etcd write acknowledged -> ovnet's target-cache entry changed, on every "
                    "host (the slowest per change); CACHE_GET polled";
    std::printf("%s\n", j.dump().c_str());
    return lost ? 1 : 0;
}
