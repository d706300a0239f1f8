// The etcd v3 JSON-gateway client: see etcd_client.h.
#include "etcd_client.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <curl/curl.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace etcd {

namespace {

constexpr char b64chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int b64val(char c) {
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
}

size_t sink_string(char* p, size_t sz, size_t n, void* arg) {
    static_cast<std::string*>(arg)->append(p, sz * n);
    return sz * n;
}

/* The stream's state: bytes not yet a whole line, and the callback. */
struct StreamSink {
    std::string pending;
    const std::function<bool(const json&)>* on_msg;
    bool ended = false; /* on_msg said stop */
    std::string bad;    /* a message that is not JSON */
};

size_t sink_stream(char* p, size_t sz, size_t n, void* arg) {
    auto* s = static_cast<StreamSink*>(arg);
    s->pending.append(p, sz * n);
    size_t nl;
    while (!s->ended && (nl = s->pending.find('\n')) != std::string::npos) {
        std::string line = s->pending.substr(0, nl);
        s->pending.erase(0, nl + 1);
        if (line.find_first_not_of(" \r\t") == std::string::npos)
            continue;
        json m = json::parse(line, nullptr, false);
        if (m.is_discarded()) {
            s->bad = "the watch stream sent something that is not JSON";
            s->ended = true;
            break;
        }
        try { /* nothing may unwind through libcurl */
            if (!(*s->on_msg)(m))
                s->ended = true;
        } catch (const std::exception& e) {
            s->bad = std::string("a watch message that does not fit etcd's API: ") + e.what();
            s->ended = true;
        }
    }
    return s->ended ? 0 : sz * n; /* 0 makes libcurl end the transfer */
}

bool connection_error(CURLcode c) {
    switch (c) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_PARTIAL_FILE:
    case CURLE_HTTP2:
    case CURLE_WEIRD_SERVER_REPLY:
        return true;
    default:
        return false;
    }
}

/* Failed before any of the request was sent: safe to send to another member. */
bool before_sending(CURLcode c) {
    switch (c) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CACERT_BADFILE:
        return true;
    default:
        return false;
    }
}

} // namespace

bool error_of(const json& body, std::string& why, int& code) {
    const json& e = member(body, "error");
    if (e.is_null())
        return false;
    code = int(num(body, "code"));
    auto text = [](const json& j) {
        return j.dump(-1, ' ', false, json::error_handler_t::replace);
    };
    if (e.is_string())
        why = e.get<std::string>();
    else if (e.is_object())
        why = str(e, "message").empty() ? text(e) : str(e, "message");
    else
        why = text(body);
    return true;
}

bool Client::auth_error(const std::string& why) {
    return why.find("invalid auth token") != std::string::npos ||
           why.find("user name is empty") != std::string::npos;
}

void Client::forget_token() {
    std::lock_guard g(mu_);
    token_.clear();
}

std::string b64_encode(std::string_view in) {
    std::string out;
    out.reserve((in.size() + 2) / 3 * 4);
    size_t i = 0;
    for (; i + 2 < in.size(); i += 3) {
        uint32_t v = uint8_t(in[i]) << 16 | uint8_t(in[i + 1]) << 8 | uint8_t(in[i + 2]);
        out += b64chars[v >> 18];
        out += b64chars[v >> 12 & 63];
        out += b64chars[v >> 6 & 63];
        out += b64chars[v & 63];
    }
    if (i + 1 == in.size()) {
        uint32_t v = uint8_t(in[i]) << 16;
        out += b64chars[v >> 18];
        out += b64chars[v >> 12 & 63];
        out += "==";
    } else if (i + 2 == in.size()) {
        uint32_t v = uint8_t(in[i]) << 16 | uint8_t(in[i + 1]) << 8;
        out += b64chars[v >> 18];
        out += b64chars[v >> 12 & 63];
        out += b64chars[v >> 6 & 63];
        out += '=';
    }
    return out;
}

bool b64_decode(std::string_view in, std::string& out) {
    out.clear();
    uint32_t acc = 0;
    int bits = 0;
    size_t pad = 0;
    for (char c : in) {
        if (c == '=') {
            pad++;
            continue;
        }
        int v = b64val(c);
        if (v < 0 || pad)
            return false;
        acc = acc << 6 | uint32_t(v);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out += char(acc >> bits & 0xff);
        }
    }
    return pad <= 2;
}

std::string prefix_end(std::string p) {
    while (!p.empty()) {
        if (uint8_t(p.back()) < 0xff) {
            p.back() = char(uint8_t(p.back()) + 1);
            return p;
        }
        p.pop_back();
    }
    return std::string(1, '\0'); /* every key */
}

int64_t num(const json& j, const char* member) {
    if (!j.is_object())
        return 0;
    auto it = j.find(member);
    if (it == j.end())
        return 0;
    if (it->is_number_integer())
        return it->get<int64_t>();
    if (it->is_string()) {
        const std::string& s = it->get_ref<const std::string&>();
        char* end = nullptr;
        long long v = std::strtoll(s.c_str(), &end, 10);
        return end && *end == '\0' ? v : 0;
    }
    return 0;
}

const json& member(const json& j, const char* name) {
    static const json none;
    if (!j.is_object())
        return none;
    auto it = j.find(name);
    return it == j.end() ? none : *it;
}

std::string str(const json& j, const char* name) {
    const json& m = member(j, name);
    return m.is_string() ? m.get<std::string>() : std::string();
}

const json& array(const json& j, const char* name) {
    static const json empty = json::array();
    const json& m = member(j, name);
    return m.is_array() ? m : empty;
}

bool flag(const json& j, const char* name) {
    const json& m = member(j, name);
    return m.is_boolean() && m.get<bool>();
}

namespace {

/* The decimal number at the front of s (advanced past it); false if none. */
bool leading_number(std::string_view& s, unsigned& v) {
    size_t i = 0;
    v = 0;
    while (i < s.size() && i < 6 && s[i] >= '0' && s[i] <= '9')
        v = v * 10 + unsigned(s[i++] - '0');
    if (i == 0 || (i < s.size() && s[i] >= '0' && s[i] <= '9'))
        return false;
    s.remove_prefix(i);
    return true;
}

} // namespace

bool progress_notify_trusted(std::string_view version) {
    unsigned major, minor, patch;
    std::string_view s = version;
    if (!leading_number(s, major) || s.empty() || s[0] != '.')
        return false;
    s.remove_prefix(1);
    if (!leading_number(s, minor) || s.empty() || s[0] != '.')
        return false;
    s.remove_prefix(1);
    /* a pre-release (3.5.8-rc.0) is not the release: counted as old */
    if (!leading_number(s, patch) || (!s.empty() && s[0] != '+'))
        return false;
    if (major != 3)
        return major > 3;
    if (minor == 4)
        return patch >= 25;
    if (minor == 5)
        return patch >= 8;
    return minor > 5;
}

std::string read_password_file(const std::string& path, std::string& out, int& err) {
    const std::string name = "etcd/password_file " + path + ": ";
    err = -EINVAL;
    if (path.empty() || path[0] != '/')
        return name + "not an absolute path";
    /* O_NONBLOCK: a FIFO must not hang the start; fstat then refuses it. */
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (fd < 0) {
        int e = errno;
        err = e == ENOENT ? -ENOENT : e == EACCES ? -EACCES : -EINVAL;
        return name + (e == ENOENT ? "no such file" : std::strerror(e));
    }
    struct Closer {
        int fd;
        ~Closer() { ::close(fd); }
    } closer{fd};
    struct stat st;
    if (::fstat(fd, &st) != 0)
        return name + std::strerror(errno);
    if (!S_ISREG(st.st_mode))
        return name + (S_ISDIR(st.st_mode) ? "a directory" : "not a regular file") +
               ", not a file holding the password";
    if (st.st_mode & 077) {
        char mode[8];
        std::snprintf(mode, sizeof mode, "%04o", unsigned(st.st_mode & 07777));
        err = -EACCES;
        return name + "mode " + mode +
               " lets group or others read or write the password; chmod 600 " + path;
    }
    constexpr size_t cap = 4096;
    std::string text;
    char buf[512];
    for (;;) {
        ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return name + std::strerror(errno);
        if (n == 0)
            break;
        text.append(buf, size_t(n));
        if (text.size() > cap)
            return name + "longer than " + std::to_string(cap) + " bytes: not a password";
    }
    if (!text.empty() && text.back() == '\n')
        text.pop_back();
    if (!text.empty() && text.back() == '\r')
        text.pop_back();
    if (text.empty())
        return name + "empty";
    if (text.find('\n') != std::string::npos)
        return name + "more than one line (the password is its only line)";
    out = std::move(text);
    err = 0;
    return "";
}

std::string parse_endpoints(const std::string& list, std::vector<std::string>& out) {
    out.clear();
    /* Separated by commas, semicolons or blanks (overlayadm's -p splits at commas). */
    const char* seps = ",; \t";
    size_t start = list.find_first_not_of(seps);
    while (start != std::string::npos) {
        size_t stop = list.find_first_of(seps, start);
        std::string ep =
            list.substr(start, stop == std::string::npos ? std::string::npos : stop - start);
        start = stop == std::string::npos ? stop : list.find_first_not_of(seps, stop);
        while (!ep.empty() && ep.back() == '/')
            ep.pop_back();
        /* Checked first: the other messages quote the endpoint, and a
           password must not reach the log, the degrade message or getprop. */
        if (ep.find('@') != std::string::npos)
            return "etcd/endpoints: credentials do not belong in a URL; use etcd/user and "
                   "etcd/password_file";
        size_t scheme = ep.find("://");
        if (scheme == std::string::npos ||
            (ep.compare(0, scheme, "http") != 0 && ep.compare(0, scheme, "https") != 0))
            return "endpoint \"" + ep + "\" must start with http:// or https://";
        std::string rest = ep.substr(scheme + 3);
        if (rest.empty() || rest.find('/') != std::string::npos)
            return "endpoint \"" + ep + "\" must be scheme://host:port, without a path";
        size_t colon = rest.rfind(':');
        if (colon == std::string::npos || colon + 1 == rest.size() ||
            rest.find_first_not_of("0123456789", colon + 1) != std::string::npos ||
            (rest.find(']') != std::string::npos && rest.find(']') > colon))
            return "endpoint \"" + ep + "\" has no port (e.g. http://127.0.0.1:2379)";
        out.push_back(ep);
    }
    if (out.empty())
        return "no endpoint given";
    return "";
}

Client::Client(Config c) : cfg_(std::move(c)), errors_(cfg_.endpoints.size()) {
    multi_ = curl_multi_init();
}

Client::~Client() {
    for (void* h : pool_)
        curl_easy_cleanup(static_cast<CURL*>(h));
    if (multi_)
        curl_multi_cleanup(static_cast<CURLM*>(multi_));
}

void* Client::take() {
    {
        std::lock_guard g(mu_);
        if (!pool_.empty()) {
            void* h = pool_.back();
            pool_.pop_back();
            return h;
        }
    }
    return curl_easy_init();
}

void Client::give(void* h) {
    std::lock_guard g(mu_);
    if (pool_.size() < 16)
        pool_.push_back(h);
    else
        curl_easy_cleanup(static_cast<CURL*>(h));
}

void Client::setup(void* hv, const std::string& url, const std::string& body, void* sink,
                   curl_slist** hdrs, bool stream) {
    CURL* h = static_cast<CURL*>(hv);
    curl_easy_reset(h);
    curl_easy_setopt(h, CURLOPT_URL, url.c_str());
    curl_easy_setopt(h, CURLOPT_POST, 1L);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body.c_str());
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, long(body.size()));
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_PROXY, "");
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, cfg_.connect_ms);
    if (!stream)
        curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, cfg_.request_ms);
    curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(h, CURLOPT_TCP_KEEPIDLE, 5L);
    curl_easy_setopt(h, CURLOPT_TCP_KEEPINTVL, 2L);
    if (!cfg_.ca.empty())
        curl_easy_setopt(h, CURLOPT_CAINFO, cfg_.ca.c_str());
    if (!cfg_.cert.empty())
        curl_easy_setopt(h, CURLOPT_SSLCERT, cfg_.cert.c_str());
    if (!cfg_.key.empty())
        curl_easy_setopt(h, CURLOPT_SSLKEY, cfg_.key.c_str());
    *hdrs = curl_slist_append(*hdrs, "Content-Type: application/json");
    std::string tok = token();
    if (!tok.empty())
        *hdrs = curl_slist_append(*hdrs, ("Authorization: " + tok).c_str());
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, *hdrs);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, stream ? sink_stream : sink_string);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, sink);
}

std::string Client::token() {
    std::lock_guard g(mu_);
    return token_;
}

std::string Client::errors() {
    std::lock_guard g(mu_);
    std::string s;
    for (size_t i = 0; i < errors_.size(); i++) {
        if (errors_[i].empty())
            continue;
        if (!s.empty())
            s += "; ";
        s += cfg_.endpoints[i] + ": " + errors_[i];
    }
    return s;
}

void Client::note_error(size_t ep, const std::string& why) {
    std::lock_guard g(mu_);
    if (ep < errors_.size())
        errors_[ep] = why;
}

int Client::post(size_t ep, const std::string& path, const std::string& body, json& out,
                 std::string& why) {
    void* h = take();
    if (!h) {
        why = "cannot make a libcurl handle";
        return 1;
    }
    std::string got;
    curl_slist* hdrs = nullptr;
    setup(h, cfg_.endpoints[ep] + path, body, &got, &hdrs, false);
    CURLcode rc = curl_easy_perform(static_cast<CURL*>(h));
    long status = 0;
    curl_easy_getinfo(static_cast<CURL*>(h), CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(hdrs);
    give(h);
    if (rc != CURLE_OK) {
        why = curl_easy_strerror(rc);
        note_error(ep, why);
        if (!connection_error(rc))
            return 2;
        return before_sending(rc) ? 1 : 3;
    }
    out = json::parse(got, nullptr, false);
    if (out.is_discarded()) {
        why = "HTTP " + std::to_string(status) + " with a body that is not JSON";
        note_error(ep, why);
        return 3;
    }
    int code = 0;
    if (error_of(out, why, code)) {
        /* 14: unavailable (no leader, no quorum, stopping), or a member's
           gateway left without its server: another member may
           answer. Only "no leader" says the request was never proposed; a
           timed-out or interrupted proposal may still be applied. */
        if (why.find("no leader") != std::string::npos) {
            note_error(ep, why);
            return 1;
        }
        /* A member shutting down: its gateway answers for it meanwhile. */
        if (code == 14 || why.find("client connection is closing") != std::string::npos) {
            note_error(ep, why);
            return 3;
        }
        return 2;
    }
    note_error(ep, "");
    return 0;
}

bool Client::authenticate(std::string& why) {
    json body = {{"name", cfg_.user}, {"password", cfg_.password}};
    std::string text = body.dump();
    size_t n = cfg_.endpoints.size();
    size_t start = cur_.load();
    {
        std::lock_guard g(mu_);
        token_.clear();
    }
    for (size_t k = 0; k < n; k++) {
        size_t ep = (start + k) % n;
        json out;
        int r = post(ep, "/v3/auth/authenticate", text, out, why);
        if (r == 1 || r == 3)
            continue;
        if (r == 2) {
            why = "authentication as \"" + cfg_.user + "\" refused: " + why;
            return false;
        }
        if (!out.contains("token") || !out["token"].is_string()) {
            why = "authentication answered without a token";
            return false;
        }
        std::lock_guard g(mu_);
        token_ = out["token"].get<std::string>();
        return true;
    }
    why = "no endpoint answers (" + errors() + ")";
    return false;
}

Reply Client::call(const std::string& path, const json& body, bool idempotent) {
    Reply r;
    size_t n = cfg_.endpoints.size();
    if (n == 0) {
        r.error = "no endpoint configured";
        r.unreachable = true;
        return r;
    }
    if (!cfg_.user.empty() && token().empty() && !authenticate(r.error)) {
        r.unreachable = r.error.rfind("no endpoint", 0) == 0;
        return r;
    }
    std::string text = body.dump();
    bool reauthed = false;
    size_t start = cur_.load();
    for (size_t k = 0; k < n; k++) {
        size_t ep = (start + k) % n;
        std::string why;
        int rc = post(ep, path, text, r.body, why);
        if (rc == 0) {
            cur_ = ep;
            r.ok = true;
            return r;
        }
        if (rc == 2) {
            if (!cfg_.user.empty() && !reauthed && auth_error(why)) {
                reauthed = true;
                if (!authenticate(r.error))
                    return r;
                k--; /* the same endpoint again, with the new token */
                continue;
            }
            r.error = why;
            return r;
        }
        if (rc == 3)
            r.resent = true;
        if (rc == 3 && !idempotent) {
            r.unknown = true;
            r.error = cfg_.endpoints[ep] + " did not answer after the request was sent (" + why +
                      "); it may have been applied";
            return r;
        }
    }
    r.unreachable = true;
    r.error = "no endpoint answers (" + errors() + ")";
    return r;
}

std::string Client::stream(size_t ep, const std::string& path, const json& body,
                           const std::function<bool(const json&)>& on_msg) {
    if (!multi_)
        return "cannot make a libcurl multi handle";
    if (!cfg_.user.empty() && token().empty()) {
        std::string why;
        if (!authenticate(why))
            return why;
    }
    CURL* h = curl_easy_init();
    if (!h)
        return "cannot make a libcurl handle";
    kicked_ = false;
    StreamSink sink;
    sink.on_msg = &on_msg;
    std::string text = body.dump();
    curl_slist* hdrs = nullptr;
    setup(h, cfg_.endpoints[ep] + path, text, &sink, &hdrs, true);
    CURLM* m = static_cast<CURLM*>(multi_);
    curl_multi_add_handle(m, h);
    std::string why;
    for (;;) {
        int running = 0;
        CURLMcode mc = curl_multi_perform(m, &running);
        if (mc != CURLM_OK) {
            why = curl_multi_strerror(mc);
            break;
        }
        if (sink.ended) {
            why = sink.bad;
            break;
        }
        if (!running) {
            int left = 0;
            CURLMsg* msg = curl_multi_info_read(m, &left);
            CURLcode rc = msg && msg->msg == CURLMSG_DONE ? msg->data.result : CURLE_OK;
            why = rc == CURLE_OK ? "the member closed the watch stream" : curl_easy_strerror(rc);
            break;
        }
        if (woken_.load()) /* checked after perform: a wake is never lost */
            break;
        if (kicked_.exchange(false)) {
            why = "its member did not answer a probe";
            break;
        }
        curl_multi_poll(m, nullptr, 0, 1000, nullptr);
        if (woken_.load())
            break;
    }
    curl_multi_remove_handle(m, h);
    curl_easy_cleanup(h);
    curl_slist_free_all(hdrs);
    if (!why.empty() && !woken_.load())
        note_error(ep, why);
    if (woken_.load())
        return "";
    if (why.empty() && !sink.ended)
        why = "the watch stream ended";
    return why;
}

void Client::kick() {
    kicked_ = true;
    if (multi_)
        curl_multi_wakeup(static_cast<CURLM*>(multi_));
}

Reply Client::call_at(size_t ep, const std::string& path, const json& body) {
    Reply r;
    if (ep >= cfg_.endpoints.size()) {
        r.error = "no such endpoint";
        return r;
    }
    if (!cfg_.user.empty() && token().empty() && !authenticate(r.error))
        return r;
    int rc = post(ep, path, body.dump(), r.body, r.error);
    r.ok = rc == 0;
    r.unreachable = rc == 1 || rc == 3;
    return r;
}

void Client::wake() {
    woken_ = true;
    if (multi_)
        curl_multi_wakeup(static_cast<CURLM*>(multi_));
}

} // namespace etcd
