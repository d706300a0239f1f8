/*
 * etcd_client - a small client for etcd's v3 API through its JSON gateway
 * (POST /v3/kv/range, /v3/kv/txn, /v3/watch, /v3/lease/..., keys and
 * values base64 in JSON, 64-bit numbers as strings), over libcurl.
 *
 * Theory: the etcd backend needs unary calls from several threads at once
 * (lookups on varpd's worker pool, map operations, the lease keeper) and one
 * long streaming call (the watch). call() takes an easy handle from a small
 * pool (so TCP/TLS connections are reused), POSTs to the endpoint that last
 * answered, and on a connection-level failure (refused, timed out, reset,
 * TLS handshake) or an "unavailable" answer from a member without quorum
 * tries the next endpoint, each once, before giving up. Every endpoint's
 * last failure is kept so a caller can say why none answered. Timeouts are
 * short (connect 500 ms, request 2 s) so a dead member stalls a lookup for
 * at most that long.
 *
 * Auth: with a user set, the first call (and any call answered "invalid
 * auth token", e.g. after a member restart) authenticates through
 * /v3/auth/authenticate and sends the token in the Authorization header.
 * TLS: ca / cert / key are libcurl's CAINFO / SSLCERT / SSLKEY.
 *
 * stream() runs one streaming POST on a given endpoint through a private
 * multi handle and hands each newline-terminated JSON message to a
 * callback; wake() (any thread) interrupts it at once.
 *
 * Locking: mu_ guards the handle pool, the token and the per-endpoint
 * errors; no lock is held across a transfer. Not supported: HTTP proxies
 * (disabled: the gateway is reached directly), endpoints with a path.
 */
#ifndef VARPD_ETCD_CLIENT_H
#define VARPD_ETCD_CLIENT_H

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

struct curl_slist;

namespace etcd {

using json = nlohmann::json;

std::string b64_encode(std::string_view in);
/* false when in is not base64. */
bool b64_decode(std::string_view in, std::string& out);
/* The range_end that selects every key starting with prefix. */
std::string prefix_end(std::string prefix);
/* A gateway int64 (a string, or a number): 0 when absent or malformed. */
int64_t num(const json& j, const char* member);
/* j's member, or null when j is no object or has no such member: the
   gateway's bytes come from the network, so no decoder assumes a shape. */
const json& member(const json& j, const char* name);
/* j's member as a string: "" when absent or not a string. */
std::string str(const json& j, const char* name);
/* j's member when it is an array, else an empty array. */
const json& array(const json& j, const char* name);
/* The gateway's error answer ({"error": "...", "code": N, "message": "..."}):
   false when body is none, else why and code filled. */
bool error_of(const json& body, std::string& why, int& code);
/* j's member is the boolean true. */
bool flag(const json& j, const char* name);

/*
 * Does a member at this version (maintenance/status's "version") send
 * progress notifications only for watchers that are synced? etcd before
 * 3.4.25 (3.4.x) and 3.5.8 (3.5.x) could send one for a watcher still
 * catching up (etcd issue 15220), so its revision is no resume point.
 * Anything that does not parse as major.minor.patch counts as old.
 */
bool progress_notify_trusted(std::string_view version);

/*
 * Read a password from the file at path: one line, its trailing newline
 * stripped. "" and out filled, or why it is refused and err: -ENOENT
 * (missing), -EACCES (group or others may read or write it, or it cannot
 * be opened), -EINVAL (not a regular file, empty, more than one line).
 */
std::string read_password_file(const std::string& path, std::string& out, int& err);

/* "" or why the endpoint list (separated by , ; or blanks) is refused. */
std::string parse_endpoints(const std::string& list, std::vector<std::string>& out);

struct Config {
    std::vector<std::string> endpoints;
    std::string ca, cert, key;
    std::string user, password;
    long connect_ms = 500;
    long request_ms = 2000;
};

struct Reply {
    bool ok = false;          /* the body is an answer, not an error */
    bool unreachable = false; /* no endpoint answered at all */
    bool unknown = false;     /* not idempotent and sent, then no answer: may have been applied */
    bool resent = false;      /* idempotent, and an earlier try was sent but not answered: it
                                 may have been applied before this answer (a guarded txn
                                 then fails its compares on its own first try) */
    json body;                /* the answer */
    std::string error;        /* why not ok */
};

class Client {
public:
    explicit Client(Config c);
    ~Client();
    Client(const Client&) = delete;
    Client& operator=(const Client&) = delete;

    /*
     * One unary call, with endpoint failover and re-authentication. A
     * request that is not idempotent (a txn that writes) goes to the next
     * endpoint only when the first was never reached (resolve, connect or
     * TLS handshake failed): once sent, a lost answer may hide that it was
     * applied, and the Reply says unknown rather than send it again.
     */
    Reply call(const std::string& path, const json& body, bool idempotent = true);

    /*
     * A streaming POST to endpoint `ep` (an index). on_msg gets each
     * message; returning false ends the stream. Returns "" when ended by
     * on_msg or wake(), else why the stream broke.
     */
    std::string stream(size_t ep, const std::string& path, const json& body,
                       const std::function<bool(const json&)>& on_msg);
    void wake();
    /* End the running stream as broken (its member failed a probe); not sticky. */
    void kick();
    /* One unary call to endpoint `ep` only (a probe of that member). */
    Reply call_at(size_t ep, const std::string& path, const json& body);
    /* Undo wake() (before the next stream, once the waker is done). */
    void rearm() { woken_ = false; }

    size_t endpoints() const { return cfg_.endpoints.size(); }
    const std::string& endpoint(size_t i) const { return cfg_.endpoints[i]; }
    size_t preferred() const { return cur_.load(); }
    /* "ep: error; ep: error" for every endpoint that failed last time. */
    std::string errors();
    void note_error(size_t ep, const std::string& why);
    /* Authenticate again before the next request (a stream refused the token). */
    void forget_token();
    /* Does this error text say the token is no good (expired, member restarted)? */
    static bool auth_error(const std::string& why);

private:
    void* take();       /* a CURL* from the pool, or a new one */
    void give(void* h); /* back to the pool */
    void setup(void* h, const std::string& url, const std::string& body, void* sink,
               curl_slist** hdrs, bool stream);
    std::string token();
    bool authenticate(std::string& why);
    /* One POST to one endpoint; 0 ok, 1 unreachable (never sent), 2 answered
       with an error, 3 unreachable after the request may have been sent. */
    int post(size_t ep, const std::string& path, const std::string& body, json& out,
             std::string& why);

    Config cfg_;
    std::atomic<size_t> cur_{0};
    std::mutex mu_;
    std::vector<void*> pool_;
    std::string token_;
    std::vector<std::string> errors_;
    void* multi_ = nullptr; /* the stream's CURLM, for wake() */
    std::atomic<bool> woken_{false};
    std::atomic<bool> kicked_{false};
};

} // namespace etcd

#endif
