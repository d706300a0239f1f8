/*
 * etcd_cluster.h - a real etcd cluster on loopback for tests and benchmarks.
 *
 * Theory: the etcd backend is tested against Debian's etcd-server itself,
 * never a mock (DESIGN.md, "Testing"). EtcdCluster starts N members as
 * child processes of the test, on 127.0.0.1 with free client and peer
 * ports, bootstrapped statically (--initial-cluster) with fast elections
 * (heartbeat 50 ms, election timeout 500 ms), each with its own data
 * directory under the directory the test gives, and waits until every
 * member reports healthy. A member can then be killed (SIGKILL), stopped
 * (SIGTERM, waited for) and started again on the same data directory and
 * ports, so it rejoins. Variants: TLS (a CA, a server and a client
 * certificate made with openssl in the directory; https client URLs;
 * --client-cert-auth) and auth (a root user with a password, auth enabled).
 * A second, unrelated CA is made too, for "wrong CA" tests.
 *
 * EtcdClient speaks etcd's v3 JSON gateway (/v3/kv/put, range,
 * deleterange, compaction, txn, maintenance/status) over libcurl, with the
 * variant's credentials, trying the endpoints in order. It is what the
 * fixture's put/get/del/compact helpers use, and what a test's writer
 * thread or a benchmark driver uses directly (one client per thread).
 *
 * No stray etcd, ever: every member runs in its own process group and has
 * PR_SET_PDEATHSIG(SIGKILL) set, so it dies with the test process even
 * when the test aborts or is killed; the destructor SIGKILLs and reaps the
 * rest. PDEATHSIG fires when the *thread* that forked exits, so members
 * are forked by one spawner thread owned by the cluster (start() may be
 * called from any thread, the member outlives it).
 *
 * Locking: the member table is guarded by one mutex; kill/stop/start/leader
 * may be called from any thread. The helpers share one client under a
 * mutex; heavy writers make their own EtcdClient.
 *
 * Not supported: peer TLS (peers speak http on loopback), membership
 * changes (add/remove member), IPv6 loopback. Errors are thrown as
 * std::runtime_error with the member's log file named, for test code.
 *
 * Link: target etcd_cluster (CMake INTERFACE library: libcurl, nlohmann
 * json, pthreads).
 */
#ifndef OVERLAY_TEST_ETCD_CLUSTER_H
#define OVERLAY_TEST_ETCD_CLUSTER_H

#include <arpa/inet.h>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <curl/curl.h>
#include <deque>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <map>
#include <mutex>
#include <netinet/in.h>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <signal.h>
#include <sstream>
#include <stdexcept>
#include <string>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <utility>
#include <vector>

namespace etcd_test {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

/* ---- base64 (the JSON gateway carries keys and values in it) ---- */

inline std::string b64enc(const std::string& in) {
    static const char* t = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    out.reserve((in.size() + 2) / 3 * 4);
    size_t i = 0;
    for (; i + 2 < in.size(); i += 3) {
        uint32_t v = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8) | uint8_t(in[i + 2]);
        out += t[v >> 18];
        out += t[(v >> 12) & 63];
        out += t[(v >> 6) & 63];
        out += t[v & 63];
    }
    if (i + 1 == in.size()) {
        uint32_t v = uint8_t(in[i]) << 16;
        out += t[v >> 18];
        out += t[(v >> 12) & 63];
        out += "==";
    } else if (i + 2 == in.size()) {
        uint32_t v = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8);
        out += t[v >> 18];
        out += t[(v >> 12) & 63];
        out += t[(v >> 6) & 63];
        out += '=';
    }
    return out;
}

inline std::string b64dec(const std::string& in) {
    auto val = [](char c) -> int {
        if (c >= 'A' && c <= 'Z')
            return c - 'A';
        if (c >= 'a' && c <= 'z')
            return c - 'a' + 26;
        if (c >= '0' && c <= '9')
            return c - '0' + 52;
        if (c == '+' || c == '-')
            return 62;
        if (c == '/' || c == '_')
            return 63;
        return -1;
    };
    std::string out;
    uint32_t acc = 0;
    int bits = 0;
    for (char c : in) {
        int v = val(c);
        if (v < 0)
            continue; /* '=' padding, whitespace */
        acc = (acc << 6) | uint32_t(v);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out += char((acc >> bits) & 0xff);
        }
    }
    return out;
}

/* The smallest key greater than every key starting with prefix. */
inline std::string prefix_end(std::string p) {
    while (!p.empty()) {
        if (uint8_t(p.back()) < 0xff) {
            p.back() = char(uint8_t(p.back()) + 1);
            return p;
        }
        p.pop_back();
    }
    return std::string(1, '\0'); /* whole keyspace */
}

/* ---- credentials of a cluster variant ---- */

struct Credentials {
    std::string ca, cert, key;  /* TLS: PEM file paths ("" = plain http) */
    std::string user, password; /* auth ("" = none) */
};

/* One key as read back. */
struct KeyValue {
    std::string key, value;
    int64_t mod_revision = 0, create_revision = 0, version = 0;
};

/* A number member of a gateway answer: 64-bit ones come as strings, and
   zero values are left out. */
template <class T = int64_t>
T json_num(const nlohmann::json& j, const char* name) {
    if (!j.contains(name))
        return 0;
    const auto& v = j[name];
    if (v.is_string())
        return T(std::stoull(v.get<std::string>()));
    return v.get<T>();
}
inline int64_t json_int(const nlohmann::json& j, const char* name) {
    return json_num(j, name);
}
inline uint64_t json_uint(const nlohmann::json& j, const char* name) {
    return json_num<uint64_t>(j, name);
}

/*
 * A client of the v3 JSON gateway. Not thread-safe: one per thread. Tries
 * the endpoints in order starting with the last that answered; a transport
 * failure or a 5xx answer (no leader, a timeout during an election) moves
 * on to the next member, any other answer (even an error) ends the call.
 */
class EtcdClient {
public:
    EtcdClient(std::vector<std::string> endpoints, Credentials cr,
               std::chrono::milliseconds timeout = 2000ms)
        : eps_(std::move(endpoints)), cr_(std::move(cr)), timeout_(timeout) {
        static std::once_flag once;
        std::call_once(once, [] { curl_global_init(CURL_GLOBAL_ALL); });
        h_ = curl_easy_init();
        if (!h_)
            throw std::runtime_error("curl_easy_init failed");
    }
    ~EtcdClient() {
        if (h_)
            curl_easy_cleanup(h_);
    }
    EtcdClient(const EtcdClient&) = delete;
    EtcdClient& operator=(const EtcdClient&) = delete;

    /* POST body to path; the parsed answer, or nullopt with why in *err. */
    std::optional<nlohmann::json> call(const std::string& path, const nlohmann::json& body,
                                       std::string* err = nullptr, bool need_auth = true) {
        std::string why;
        for (size_t n = 0; n < eps_.size(); n++) {
            size_t i = (cur_ + n) % eps_.size();
            long code = 0;
            std::string out;
            if (!post(eps_[i] + path, body.dump(), need_auth, &code, &out, &why))
                continue; /* transport: try the next member */
            cur_ = i;
            if (code == 401 && need_auth && !cr_.user.empty() && !token_.empty()) {
                token_.clear(); /* expired simple token: once more */
                if (!post(eps_[i] + path, body.dump(), need_auth, &code, &out, &why))
                    continue;
            }
            nlohmann::json j = nlohmann::json::parse(out, nullptr, false);
            if (code != 200 || j.is_discarded() || j.contains("error")) {
                why = eps_[i] + path + ": HTTP " + std::to_string(code) + ": " + out;
                /* "no leader" / "timed out" during an election: next member */
                if (code >= 500 || code == 0)
                    continue;
                break;
            }
            return j;
        }
        if (err)
            *err = why;
        return std::nullopt;
    }

    /* The same, throwing with the reason. */
    nlohmann::json must(const std::string& path, const nlohmann::json& body) {
        std::string err;
        auto j = call(path, body, &err);
        if (!j)
            throw std::runtime_error("etcd " + path + ": " + err);
        return *j;
    }

    /* Put one key; the revision it got, or -1 (err says why). */
    int64_t put(const std::string& k, const std::string& v, std::string* err = nullptr) {
        auto j = call("/v3/kv/put", {{"key", b64enc(k)}, {"value", b64enc(v)}}, err);
        return j ? json_int((*j)["header"], "revision") : -1;
    }

    /* Delete a key (or every key under it with prefix); how many, or -1. */
    int64_t del(const std::string& k, bool prefix = false, std::string* err = nullptr) {
        nlohmann::json b = {{"key", b64enc(k)}};
        if (prefix)
            b["range_end"] = b64enc(prefix_end(k));
        auto j = call("/v3/kv/deleterange", b, err);
        return j ? json_int(*j, "deleted") : -1;
    }

    /* Read one key (or every key under a prefix), linearizable. */
    std::vector<KeyValue> range(const std::string& k, bool prefix = false, int64_t limit = 0,
                                std::string* err = nullptr, int64_t* revision = nullptr) {
        nlohmann::json b = {{"key", b64enc(k)}};
        if (prefix)
            b["range_end"] = b64enc(prefix_end(k));
        if (limit)
            b["limit"] = limit;
        std::vector<KeyValue> out;
        auto j = call("/v3/kv/range", b, err);
        if (!j) {
            if (revision)
                *revision = -1;
            return out;
        }
        if (revision)
            *revision = json_int((*j)["header"], "revision");
        if (j->contains("kvs"))
            for (auto& kv : (*j)["kvs"])
                out.push_back({b64dec(kv.value("key", "")), b64dec(kv.value("value", "")),
                               json_int(kv, "mod_revision"), json_int(kv, "create_revision"),
                               json_int(kv, "version")});
        return out;
    }

    std::optional<std::string> get(const std::string& k, std::string* err = nullptr) {
        auto v = range(k, false, 0, err);
        if (v.empty())
            return std::nullopt;
        return v[0].value;
    }

    /* Put many keys in one txn (etcd's default --max-txn-ops is 128). */
    int64_t put_many(const std::vector<std::pair<std::string, std::string>>& kvs,
                     std::string* err = nullptr) {
        nlohmann::json ops = nlohmann::json::array();
        for (auto& [k, v] : kvs)
            ops.push_back({{"request_put", {{"key", b64enc(k)}, {"value", b64enc(v)}}}});
        auto j = call("/v3/kv/txn", {{"success", ops}}, err);
        return j ? json_int((*j)["header"], "revision") : -1;
    }

    /* How many keys start with prefix (-1: no answer). */
    int64_t count(const std::string& prefix, std::string* err = nullptr) {
        auto j = call("/v3/kv/range",
                      {{"key", b64enc(prefix)},
                       {"range_end", b64enc(prefix_end(prefix))},
                       {"count_only", true}},
                      err);
        return j ? json_int(*j, "count") : -1;
    }

    /* Compact the history up to rev (physical: waits until done). */
    bool compact(int64_t rev, std::string* err = nullptr) {
        return call("/v3/kv/compaction", {{"revision", rev}, {"physical", true}}, err).has_value();
    }

    /* POST to one given endpoint only (status of that member). */
    std::optional<nlohmann::json> call_one(const std::string& ep, const std::string& path,
                                           const nlohmann::json& body, std::string* err = nullptr) {
        long code = 0;
        std::string out, why;
        if (!post(ep + path, body.dump(), true, &code, &out, &why)) {
            if (err)
                *err = why;
            return std::nullopt;
        }
        if (code == 401 && !cr_.user.empty()) {
            token_.clear();
            if (!post(ep + path, body.dump(), true, &code, &out, &why)) {
                if (err)
                    *err = why;
                return std::nullopt;
            }
        }
        auto j = nlohmann::json::parse(out, nullptr, false);
        if (code != 200 || j.is_discarded()) {
            if (err)
                *err = ep + path + ": HTTP " + std::to_string(code) + ": " + out;
            return std::nullopt;
        }
        return j;
    }

    /* GET ep/health: true when that member says it is healthy. */
    bool healthy(const std::string& ep) {
        long code = 0;
        std::string out, why;
        if (!request(ep + "/health", nullptr, false, &code, &out, &why) || code != 200)
            return false;
        auto j = nlohmann::json::parse(out, nullptr, false);
        return !j.is_discarded() && j.value("health", "") == "true";
    }

    const std::vector<std::string>& endpoints() const { return eps_; }

private:
    static size_t sink(char* p, size_t sz, size_t n, void* u) {
        static_cast<std::string*>(u)->append(p, sz * n);
        return sz * n;
    }

    bool authenticate(const std::string& base, std::string* why, bool* refused) {
        long code = 0;
        std::string out;
        nlohmann::json b = {{"name", cr_.user}, {"password", cr_.password}};
        std::string body = b.dump();
        if (!request(base + "/v3/auth/authenticate", &body, false, &code, &out, why))
            return false;
        auto j = nlohmann::json::parse(out, nullptr, false);
        if (code != 200 || j.is_discarded() || !j.contains("token")) {
            *refused = true;
            *why = base + ": authenticate: HTTP " + std::to_string(code) + ": " + out;
            return false;
        }
        token_ = j["token"].get<std::string>();
        return true;
    }

    bool post(const std::string& url, const std::string& body, bool need_auth, long* code,
              std::string* out, std::string* why) {
        if (need_auth && !cr_.user.empty() && token_.empty()) {
            std::string base = url.substr(0, url.find('/', url.find("//") + 2));
            bool refused = false;
            if (!authenticate(base, why, &refused)) {
                if (!refused)
                    return false; /* transport: the caller tries the next member */
                /* a refused password is an answer, as etcd gave it */
                *code = 401;
                *out = *why;
                return true;
            }
        }
        return request(url, &body, need_auth, code, out, why);
    }

    bool request(const std::string& url, const std::string* body, bool auth, long* code,
                 std::string* out, std::string* why) {
        curl_easy_reset(h_);
        out->clear();
        curl_easy_setopt(h_, CURLOPT_URL, url.c_str());
        curl_easy_setopt(h_, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(h_, CURLOPT_TIMEOUT_MS, long(timeout_.count()));
        curl_easy_setopt(h_, CURLOPT_CONNECTTIMEOUT_MS, long(timeout_.count()));
        curl_easy_setopt(h_, CURLOPT_WRITEFUNCTION, &EtcdClient::sink);
        curl_easy_setopt(h_, CURLOPT_WRITEDATA, out);
        struct curl_slist* hdr = nullptr;
        hdr = curl_slist_append(hdr, "Content-Type: application/json");
        std::string ah;
        if (auth && !token_.empty()) {
            ah = "Authorization: " + token_;
            hdr = curl_slist_append(hdr, ah.c_str());
        }
        curl_easy_setopt(h_, CURLOPT_HTTPHEADER, hdr);
        if (body) {
            curl_easy_setopt(h_, CURLOPT_POSTFIELDS, body->c_str());
            curl_easy_setopt(h_, CURLOPT_POSTFIELDSIZE, long(body->size()));
        }
        if (!cr_.ca.empty())
            curl_easy_setopt(h_, CURLOPT_CAINFO, cr_.ca.c_str());
        if (!cr_.cert.empty())
            curl_easy_setopt(h_, CURLOPT_SSLCERT, cr_.cert.c_str());
        if (!cr_.key.empty())
            curl_easy_setopt(h_, CURLOPT_SSLKEY, cr_.key.c_str());
        CURLcode rc = curl_easy_perform(h_);
        curl_slist_free_all(hdr);
        if (rc != CURLE_OK) {
            *why = url + ": " + curl_easy_strerror(rc);
            return false;
        }
        curl_easy_getinfo(h_, CURLINFO_RESPONSE_CODE, code);
        return true;
    }

    std::vector<std::string> eps_;
    Credentials cr_;
    std::chrono::milliseconds timeout_;
    CURL* h_ = nullptr;
    size_t cur_ = 0;
    std::string token_;
};

/* ---- the cluster ---- */

struct ClusterOptions {
    bool tls = false;  /* https client URLs, --client-cert-auth */
    bool auth = false; /* root user with password, auth enabled */
    std::string password = "overlay-test-pw";
    int heartbeat_ms = 50;
    int election_ms = 500;
    std::chrono::milliseconds ready_timeout = 30s;
    std::vector<std::string> extra_args; /* given to every member */
    std::string etcd = "etcd";           /* the program (PATH lookup) */
};

/* Poll pred until it holds or the limit passes (for state that announces
   no change, such as a property or a key in etcd); false on the deadline. */
template <class Pred>
bool eventually(Pred pred, std::chrono::milliseconds limit) {
    auto until = std::chrono::steady_clock::now() + limit;
    while (!pred()) {
        if (std::chrono::steady_clock::now() >= until)
            return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return true;
}

/*
 * A free TCP port on 127.0.0.1, below the kernel's ephemeral range (so no
 * outgoing connection can take it while a member is down and wants it
 * back), chosen at random and checked by binding it.
 */
inline int free_port() {
    static thread_local std::mt19937 rng{std::random_device{}()};
    int low = 32768;
    {
        std::ifstream f("/proc/sys/net/ipv4/ip_local_port_range");
        int lo = 0;
        if (f >> lo && lo > 12000)
            low = lo;
    }
    std::uniform_int_distribution<int> pick(10000, low - 1);
    for (int attempt = 0; attempt < 1000; attempt++) {
        int p = pick(rng);
        int s = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (s < 0)
            throw std::runtime_error("socket failed");
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(uint16_t(p));
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        bool ok = ::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
        ::close(s);
        if (ok)
            return p;
    }
    throw std::runtime_error("no free port on 127.0.0.1 below " + std::to_string(low));
}

/*
 * fork+exec args[0] (PATH searched) in its own process group, with
 * PR_SET_PDEATHSIG(SIGKILL) so it dies with the calling thread. stdin from
 * in_fd (-1: /dev/null); stdout to out_fd, else to log (appended), else
 * inherited; stderr to log when given, else inherited. Every other
 * descriptor is closed. The pid, or -1.
 */
inline pid_t spawn_child(const std::vector<std::string>& args, int in_fd = -1, int out_fd = -1,
                         const std::string& log = "") {
    std::vector<char*> argv;
    for (auto& a : args)
        argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    pid_t parent = ::getpid();
    pid_t p = ::fork();
    if (p != 0)
        return p;
    /* only async-signal-safe calls until exec */
    ::setpgid(0, 0);
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent)
        ::_exit(127);
    int lfd = log.empty() ? -1 : ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    int ifd = in_fd >= 0 ? in_fd : ::open("/dev/null", O_RDONLY);
    if (ifd >= 0)
        ::dup2(ifd, 0);
    if (out_fd >= 0 || lfd >= 0)
        ::dup2(out_fd >= 0 ? out_fd : lfd, 1);
    if (lfd >= 0)
        ::dup2(lfd, 2);
    ::close_range(3, ~0U, 0);
    ::execvp(argv[0], argv.data());
    ::_exit(127);
}

/* Run a command line through sh, output to log; its exit status. */
inline int run_sh(const std::string& cmd) {
    int rc = std::system(cmd.c_str());
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

class EtcdCluster {
public:
    EtcdCluster(size_t members, std::string dir, ClusterOptions opt = {})
        : dir_(std::move(dir)), opt_(std::move(opt)), spawner_([this] { spawn_loop(); }) {
        try {
            std::filesystem::create_directories(dir_);
            if (opt_.tls)
                make_certs();
            std::vector<int> taken;
            for (size_t i = 0; i < members; i++) {
                Member m;
                m.name = "m" + std::to_string(i);
                m.client_port = unique_port(taken);
                m.peer_port = unique_port(taken);
                m.data = dir_ + "/" + m.name + ".etcd";
                m.log = dir_ + "/" + m.name + ".log";
                m_.push_back(m);
            }
            for (size_t i = 0; i < members; i++)
                launch(i, true);
            wait_healthy(opt_.ready_timeout);
            if (opt_.auth)
                enable_auth();
        } catch (...) {
            shutdown();
            throw;
        }
    }
    ~EtcdCluster() { shutdown(); }
    EtcdCluster(const EtcdCluster&) = delete;
    EtcdCluster& operator=(const EtcdCluster&) = delete;

    size_t size() const { return m_.size(); }
    const std::string& dir() const { return dir_; }
    std::string url(size_t i) const {
        return std::string(opt_.tls ? "https" : "http") +
               "://127.0.0.1:" + std::to_string(m_.at(i).client_port);
    }
    std::vector<std::string> urls() const {
        std::vector<std::string> v;
        for (size_t i = 0; i < m_.size(); i++)
            v.push_back(url(i));
        return v;
    }
    /* "http://127.0.0.1:p1,http://127.0.0.1:p2,..." */
    std::string endpoints() const {
        std::string s;
        for (size_t i = 0; i < m_.size(); i++)
            s += (i ? "," : "") + url(i);
        return s;
    }
    std::string log_file(size_t i) const { return m_.at(i).log; }
    bool running(size_t i) {
        std::lock_guard g(mu_);
        return m_.at(i).pid > 0;
    }
    pid_t pid(size_t i) {
        std::lock_guard g(mu_);
        return m_.at(i).pid;
    }

    /* TLS variant: PEM paths (empty otherwise). wrong_ca: an unrelated CA. */
    std::string ca_file() const { return opt_.tls ? dir_ + "/pki/ca.pem" : ""; }
    std::string cert_file() const { return opt_.tls ? dir_ + "/pki/client.pem" : ""; }
    std::string key_file() const { return opt_.tls ? dir_ + "/pki/client-key.pem" : ""; }
    std::string wrong_ca_file() const { return opt_.tls ? dir_ + "/pki/other-ca.pem" : ""; }
    /* auth variant: "root" and the password (empty otherwise). */
    std::string user() const { return opt_.auth ? "root" : ""; }
    std::string password() const { return opt_.auth ? opt_.password : ""; }
    Credentials credentials() const {
        return {ca_file(), cert_file(), key_file(), user(), password()};
    }
    /* A new client of this cluster (for a thread of its own). */
    std::unique_ptr<EtcdClient> client(std::chrono::milliseconds timeout = 2000ms) const {
        return std::make_unique<EtcdClient>(urls(), credentials(), timeout);
    }

    /* The index of the leader as the running members see it, or -1. */
    int leader() {
        EtcdClient c(urls(), credentials(), 1000ms);
        std::map<uint64_t, size_t> ids;
        uint64_t lead = 0;
        for (size_t i = 0; i < m_.size(); i++) {
            if (!running(i))
                continue;
            auto j = c.call_one(url(i), "/v3/maintenance/status", nlohmann::json::object());
            if (!j)
                continue;
            ids[json_uint((*j)["header"], "member_id")] = i;
            if (uint64_t l = json_uint(*j, "leader"))
                lead = l;
        }
        auto it = ids.find(lead);
        return lead && it != ids.end() ? int(it->second) : -1;
    }
    /* Wait until a running member is leader; its index, or -1. */
    int wait_leader(std::chrono::milliseconds limit = 10s) {
        auto end = Clock::now() + limit;
        do {
            int l = leader();
            if (l >= 0)
                return l;
            std::this_thread::sleep_for(50ms);
        } while (Clock::now() < end);
        return -1;
    }

    /* Move leadership to member i (etcd's move-leader); true once it leads. */
    bool make_leader(size_t i, std::chrono::milliseconds limit = 10s) {
        auto end = Clock::now() + limit;
        EtcdClient c(urls(), credentials(), 2000ms);
        while (Clock::now() < end) {
            int l = wait_leader(limit);
            if (l == int(i))
                return true;
            if (l < 0)
                return false;
            auto st = c.call_one(url(i), "/v3/maintenance/status", nlohmann::json::object());
            if (!st)
                return false;
            uint64_t id = json_uint((*st)["header"], "member_id");
            c.call_one(url(size_t(l)), "/v3/maintenance/transfer-leadership",
                       {{"targetID", std::to_string(id)}});
            for (int k = 0; k < 40 && leader() != int(i); k++)
                std::this_thread::sleep_for(50ms);
        }
        return leader() == int(i);
    }

    /* SIGKILL member i (and its process group), reaped. */
    void kill(size_t i) { end(i, SIGKILL, 0ms); }
    /* SIGTERM, wait up to 10 s (then SIGKILL). */
    void stop(size_t i) { end(i, SIGTERM, 10s); }
    /* Start member i again on its data dir and ports; it rejoins. */
    void start(size_t i) { launch(i, false); }
    void stop_all() {
        for (size_t i = 0; i < m_.size(); i++)
            stop(i);
    }
    void kill_all() {
        for (size_t i = 0; i < m_.size(); i++)
            kill(i);
    }
    /* Start every stopped member and wait until all are healthy. */
    void start_all(std::chrono::milliseconds limit = 30s) {
        for (size_t i = 0; i < m_.size(); i++)
            if (!running(i))
                launch(i, false);
        wait_healthy(limit);
    }

    /* Every running member healthy (and a leader) within limit, or throw. */
    void wait_healthy(std::chrono::milliseconds limit = 30s) {
        auto end = Clock::now() + limit;
        EtcdClient c(urls(), credentials(), 1000ms);
        for (;;) {
            size_t ok = 0, up = 0;
            for (size_t i = 0; i < m_.size(); i++) {
                if (!running(i))
                    continue;
                up++;
                ok += c.healthy(url(i));
            }
            reap_dead();
            if (up && ok == up)
                return;
            if (Clock::now() >= end) {
                std::string logs;
                for (auto& m : m_)
                    logs += " " + m.log;
                throw std::runtime_error(
                    "etcd cluster not healthy after " + std::to_string(limit.count()) + " ms (" +
                    std::to_string(ok) + "/" + std::to_string(up) + " members); logs:" + logs);
            }
            std::this_thread::sleep_for(50ms);
        }
    }
    /* How many running members answer /health true now. */
    size_t healthy_count() {
        EtcdClient c(urls(), credentials(), 1000ms);
        size_t ok = 0;
        for (size_t i = 0; i < m_.size(); i++)
            if (running(i))
                ok += c.healthy(url(i));
        return ok;
    }

    /* Helpers through the shared client; throw on failure. */
    int64_t put(const std::string& k, const std::string& v) {
        return via_helper("put " + k,
                          [&](EtcdClient& c, std::string* e) { return c.put(k, v, e); });
    }
    int64_t del(const std::string& k, bool prefix = false) {
        return via_helper("del " + k,
                          [&](EtcdClient& c, std::string* e) { return c.del(k, prefix, e); });
    }
    std::optional<std::string> get(const std::string& k) {
        return via_helper("get " + k, [&](EtcdClient& c, std::string* e) { return c.get(k, e); });
    }
    std::vector<KeyValue> get_prefix(const std::string& p) {
        return via_helper("get prefix " + p,
                          [&](EtcdClient& c, std::string* e) { return c.range(p, true, 0, e); });
    }
    /* The cluster's current revision. */
    int64_t revision() {
        return via_helper("revision", [&](EtcdClient& c, std::string* e) {
            int64_t rev = 0;
            c.range("\x01", false, 1, e, &rev);
            return rev;
        });
    }
    /* Compact history up to rev (0: the current revision). */
    void compact(int64_t rev = 0) {
        if (rev == 0)
            rev = revision();
        via_helper("compact " + std::to_string(rev),
                   [&](EtcdClient& c, std::string* e) { return c.compact(rev, e); });
    }

    /* etcdctl with this cluster's endpoints and credentials, e.g. "get k". */
    std::string etcdctl_prefix() const {
        std::string s = "ETCDCTL_API=3 etcdctl --endpoints=" + endpoints();
        if (opt_.tls)
            s += " --cacert=" + ca_file() + " --cert=" + cert_file() + " --key=" + key_file();
        if (opt_.auth)
            s += " --user=root:" + opt_.password;
        return s;
    }

private:
    struct Member {
        std::string name, data, log;
        int client_port = 0, peer_port = 0;
        pid_t pid = -1;
    };

    static int unique_port(std::vector<int>& taken) {
        for (;;) {
            int p = free_port();
            bool dup = false;
            for (int t : taken)
                dup |= t == p;
            if (!dup) {
                taken.push_back(p);
                return p;
            }
        }
    }

    /* f(client, &err) on the shared client; a failure (err set) throws. */
    template <class F>
    auto via_helper(const std::string& what, F f)
        -> decltype(f(std::declval<EtcdClient&>(), nullptr)) {
        std::lock_guard g(cmu_);
        if (!helper_)
            helper_ = client();
        std::string err;
        auto r = f(*helper_, &err);
        if (!err.empty())
            throw std::runtime_error("etcd " + what + ": " + err);
        return r;
    }

    std::vector<std::string> args(size_t i, bool first) const {
        const Member& m = m_[i];
        std::string cl = url(i);
        std::string peer = "http://127.0.0.1:" + std::to_string(m.peer_port);
        std::string initial;
        for (size_t k = 0; k < m_.size(); k++)
            initial += (k ? "," : "") + m_[k].name +
                       "=http://127.0.0.1:" + std::to_string(m_[k].peer_port);
        std::vector<std::string> a = {opt_.etcd,
                                      "--name=" + m.name,
                                      "--data-dir=" + m.data,
                                      "--listen-client-urls=" + cl,
                                      "--advertise-client-urls=" + cl,
                                      "--listen-peer-urls=" + peer,
                                      "--initial-advertise-peer-urls=" + peer,
                                      "--initial-cluster=" + initial,
                                      "--initial-cluster-token=overlay-test",
                                      std::string("--initial-cluster-state=") +
                                          (first ? "new" : "existing"),
                                      "--heartbeat-interval=" + std::to_string(opt_.heartbeat_ms),
                                      "--election-timeout=" + std::to_string(opt_.election_ms),
                                      "--logger=zap",
                                      "--log-level=warn"};
        if (opt_.tls) {
            a.push_back("--cert-file=" + dir_ + "/pki/server.pem");
            a.push_back("--key-file=" + dir_ + "/pki/server-key.pem");
            a.push_back("--trusted-ca-file=" + ca_file());
            a.push_back("--client-cert-auth");
        }
        for (auto& x : opt_.extra_args)
            a.push_back(x);
        return a;
    }

    /* fork+exec member i on the spawner thread (see the theory). */
    void launch(size_t i, bool first) {
        {
            std::lock_guard g(mu_);
            if (m_.at(i).pid > 0)
                return;
        }
        std::vector<std::string> a = args(i, first);
        std::string log = m_[i].log;
        pid_t pid = run_on_spawner([a, log]() -> pid_t { return spawn_child(a, -1, -1, log); });
        if (pid < 0)
            throw std::runtime_error("fork for etcd failed");
        std::lock_guard g(mu_);
        m_[i].pid = pid;
    }

    void end(size_t i, int sig, std::chrono::milliseconds grace) {
        pid_t p;
        {
            std::lock_guard g(mu_);
            p = m_.at(i).pid;
            m_[i].pid = -1;
        }
        if (p <= 0)
            return;
        ::kill(-p, sig);
        ::kill(p, sig);
        auto end = Clock::now() + grace;
        for (;;) {
            int st;
            pid_t r = ::waitpid(p, &st, WNOHANG);
            if (r == p || (r < 0 && errno == ECHILD))
                return;
            if (Clock::now() >= end) {
                ::kill(-p, SIGKILL);
                ::kill(p, SIGKILL);
                ::waitpid(p, &st, 0);
                return;
            }
            std::this_thread::sleep_for(10ms);
        }
    }

    /* A member that exited on its own (bad flags, port taken) is noted. */
    void reap_dead() {
        std::lock_guard g(mu_);
        for (auto& m : m_) {
            if (m.pid <= 0)
                continue;
            int st;
            if (::waitpid(m.pid, &st, WNOHANG) == m.pid) {
                m.pid = -1;
                throw std::runtime_error("etcd member " + m.name + " exited (status " +
                                         std::to_string(st) + "); see " + m.log);
            }
        }
    }

    void enable_auth() {
        EtcdClient c(urls(), {ca_file(), cert_file(), key_file(), "", ""});
        c.must("/v3/auth/role/add", {{"name", "root"}});
        c.must("/v3/auth/user/add", {{"name", "root"}, {"password", opt_.password}});
        c.must("/v3/auth/user/grant", {{"user", "root"}, {"role", "root"}});
        c.must("/v3/auth/enable", nlohmann::json::object());
    }

    void make_certs() {
        std::string p = dir_ + "/pki";
        std::filesystem::create_directories(p);
        std::string q = "cd '" + p + "' && ";
        std::string sil = " >>openssl.log 2>&1";
        auto ca = [&](const std::string& n, const std::string& cn) {
            return q + "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj '/CN=" + cn +
                   "' -keyout " + n + "-key.pem -out " + n + ".pem" + sil;
        };
        auto leaf = [&](const std::string& n, const std::string& cn, const std::string& ext) {
            std::ofstream(p + "/" + n + ".ext") << ext;
            return q + "openssl req -newkey rsa:2048 -nodes -subj '/CN=" + cn + "' -keyout " + n +
                   "-key.pem -out " + n + ".csr" + sil + " && openssl x509 -req -in " + n +
                   ".csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -days 2 -extfile " + n +
                   ".ext -out " + n + ".pem" + sil;
        };
        std::vector<std::string> cmds = {
            ca("ca", "overlay-test-ca"),
            ca("other-ca", "overlay-test-other-ca"),
            leaf("server", "127.0.0.1",
                 "subjectAltName=IP:127.0.0.1,DNS:localhost\n"
                 "extendedKeyUsage=serverAuth,clientAuth\n"),
            leaf("client", "root", "extendedKeyUsage=clientAuth\n"),
        };
        for (auto& c : cmds)
            if (run_sh(c) != 0)
                throw std::runtime_error("openssl failed (" + c + "); see " + p + "/openssl.log");
    }

    /* The spawner thread: runs fork jobs so members outlive callers. */
    pid_t run_on_spawner(std::function<pid_t()> f) {
        std::packaged_task<pid_t()> t(std::move(f));
        auto fut = t.get_future();
        {
            std::lock_guard g(smu_);
            jobs_.push_back(std::move(t));
        }
        scv_.notify_all();
        return fut.get();
    }
    void spawn_loop() {
        std::unique_lock l(smu_);
        for (;;) {
            scv_.wait(l, [&] { return quit_ || !jobs_.empty(); });
            if (jobs_.empty() && quit_)
                return;
            auto t = std::move(jobs_.front());
            jobs_.pop_front();
            l.unlock();
            t();
            l.lock();
        }
    }

    void shutdown() {
        for (size_t i = 0; i < m_.size(); i++)
            end(i, SIGKILL, 0ms);
        {
            std::lock_guard g(smu_);
            quit_ = true;
        }
        scv_.notify_all();
        if (spawner_.joinable())
            spawner_.join();
        helper_.reset();
    }

    std::string dir_;
    ClusterOptions opt_;
    std::vector<Member> m_;
    std::mutex mu_;  /* m_[*].pid */
    std::mutex cmu_; /* helper_ */
    std::unique_ptr<EtcdClient> helper_;
    std::mutex smu_;
    std::condition_variable scv_;
    std::deque<std::packaged_task<pid_t()>> jobs_;
    bool quit_ = false;
    std::thread spawner_; /* last: started after everything it uses */
};

/* A temporary directory removed with its contents (keep: leave it). */
class TempDir {
public:
    explicit TempDir(const std::string& tag = "etcd-test") {
        const char* base = std::getenv("TMPDIR");
        std::string t = std::string(base && *base ? base : "/tmp") + "/" + tag + ".XXXXXX";
        if (!::mkdtemp(t.data()))
            throw std::runtime_error("mkdtemp failed");
        path_ = t;
    }
    ~TempDir() {
        if (std::getenv("ETCD_TEST_KEEP"))
            return;
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::string& path() const { return path_; }
    /* Write name (in the directory) holding text, with mode; its path. */
    std::string write_file(const std::string& name, const std::string& text,
                           mode_t mode = 0600) const {
        std::string f = path_ + "/" + name;
        std::ofstream(f, std::ios::binary | std::ios::trunc) << text;
        if (::chmod(f.c_str(), mode) != 0)
            throw std::runtime_error("chmod " + f + " failed");
        return f;
    }

private:
    std::string path_;
};

} // namespace etcd_test

#endif
