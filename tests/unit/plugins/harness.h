/*
 * What a backend plugin sees of varpd, for tests that drive a plugin
 * through its ops vector as varpd would: Loaded (dlopen + register),
 * Recorder (a provider that records shootdowns, injections, flushes,
 * degrade/restore and log lines, and says which vnet the device has) and
 * Answer (a query handle that records its one answer, and can be waited
 * for when the backend answers from another thread).
 *
 * Header-only so each plugin's test binary (tests/unit/<plugin>/) can use
 * it. Every recorder method may be called from any thread.
 */
#ifndef OVERLAY_TEST_PLUGIN_HARNESS_H
#define OVERLAY_TEST_PLUGIN_HARNESS_H

#include <varpd/plugin.h>

#include <array>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <dlfcn.h>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace plugin_harness {

using Mac6 = std::array<uint8_t, 6>;

/* Loads one plugin object and keeps its single backend's ops. */
struct Loaded {
    void* h = nullptr;
    const varpd_plugin_ops_t* ops = nullptr;
    std::string name;
    varpd_mode_t mode{};
    std::string error;
    explicit Loaded(const std::string& path) {
        h = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
        if (!h) {
            error = dlerror();
            return;
        }
        auto fn = reinterpret_cast<varpd_plugin_register_fn*>(dlsym(h, VARPD_PLUGIN_REGISTER_SYMBOL));
        static const varpd_register_ops_t rops = {
            .vrv_register = [](varpd_register_t* r, const char* n, varpd_mode_t m,
                               const varpd_plugin_ops_t* o) -> int {
                Loaded* self = *reinterpret_cast<Loaded**>(r + 1);
                self->name = n;
                self->mode = m;
                self->ops = o;
                return 0;
            }};
        struct {
            varpd_register_t reg;
            Loaded* self;
        } ctx{{VARPD_PLUGIN_ABI_VERSION, 0, &rops}, this};
        static_assert(sizeof(varpd_register_t) % alignof(Loaded*) == 0);
        if (fn)
            fn(&ctx.reg);
        else
            error = "no register symbol";
    }
    ~Loaded() {
        if (h)
            dlclose(h);
    }
    Loaded(const Loaded&) = delete;
    Loaded& operator=(const Loaded&) = delete;
};

/* A provider that records what the backend asks of varpd. */
struct Recorder {
    varpd_provider_t prov{&ops};
    uint32_t vnetid = 1;
    uint32_t linkid = 1;
    std::mutex mu;
    std::condition_variable cv;
    std::vector<Mac6> invalidated;
    std::vector<std::pair<Mac6, varpd_dest_t>> injected;
    size_t flushes = 0;
    std::vector<std::string> logs;
    std::string degraded; /* "" when not degraded */
    size_t degrades = 0, restores = 0;
    static const varpd_provider_ops_t ops;
    static Recorder* of(varpd_provider_t* p) { return reinterpret_cast<Recorder*>(p); }

    bool logged(const std::string& s) {
        std::lock_guard g(mu);
        for (auto& l : logs)
            if (l.find(s) != std::string::npos)
                return true;
        return false;
    }
    size_t invalidations() {
        std::lock_guard g(mu);
        return invalidated.size();
    }
    bool was_invalidated(const Mac6& m) {
        std::lock_guard g(mu);
        for (auto& x : invalidated)
            if (x == m)
                return true;
        return false;
    }
    std::string degraded_msg() {
        std::lock_guard g(mu);
        return degraded;
    }
    /* Wait up to `limit` for pred() (called under mu) to hold. */
    template <class Pred> bool wait_for(Pred pred, std::chrono::milliseconds limit) {
        std::unique_lock l(mu);
        return cv.wait_for(l, limit, [&] { return pred(); });
    }
    void note() { cv.notify_all(); }
};

inline const varpd_provider_ops_t Recorder::ops = {
    .vpv_version = VARPD_PLUGIN_ABI_VERSION,
    .vpv_pad = 0,
    .vpv_cache_inject = [](varpd_provider_t* p, const uint8_t* mac, const varpd_dest_t* d) {
        {
            std::lock_guard g(of(p)->mu);
            Mac6 m;
            std::memcpy(m.data(), mac, 6);
            of(p)->injected.emplace_back(m, *d);
        }
        of(p)->note();
        return 0;
    },
    .vpv_cache_invalidate = [](varpd_provider_t* p, const uint8_t* mac) {
        {
            std::lock_guard g(of(p)->mu);
            Mac6 m;
            std::memcpy(m.data(), mac, 6);
            of(p)->invalidated.push_back(m);
        }
        of(p)->note();
        return 0;
    },
    .vpv_degrade = [](varpd_provider_t* p, const char* msg) {
        {
            std::lock_guard g(of(p)->mu);
            of(p)->degraded = msg && *msg ? msg : "(empty message)";
            of(p)->degrades++;
        }
        of(p)->note();
        return 0;
    },
    .vpv_restore = [](varpd_provider_t* p) {
        {
            std::lock_guard g(of(p)->mu);
            of(p)->degraded.clear();
            of(p)->restores++;
        }
        of(p)->note();
        return 0;
    },
    .vpv_log = [](varpd_provider_t* p, int, const char* m) {
        {
            std::lock_guard g(of(p)->mu);
            of(p)->logs.push_back(m ? m : "");
        }
        of(p)->note();
    },
    .vpv_linkid = [](varpd_provider_t* p) -> uint32_t { return of(p)->linkid; },
    .vpv_vnetid = [](varpd_provider_t* p) -> uint32_t { return of(p)->vnetid; },
    .vpv_cache_flush = [](varpd_provider_t* p) {
        {
            std::lock_guard g(of(p)->mu);
            of(p)->flushes++;
        }
        of(p)->note();
        return 0;
    },
};

/* One query; records its one answer (count says how many came). */
struct Answer {
    varpd_query_t q{&ops};
    enum Kind { none, dest, drop, arp, ndp, dhcp };
    std::mutex mu;
    std::condition_variable cv;
    Kind kind = none;
    int count = 0;
    varpd_dest_t d{};
    uint8_t mac[6] = {};
    static const varpd_query_ops_t ops;
    static Answer* of(varpd_query_t* q) { return reinterpret_cast<Answer*>(q); }
    Answer() = default;
    /* A copy of the answer (for a backend that has already answered). */
    Answer(const Answer& o) : kind(o.kind), count(o.count), d(o.d) {
        std::memcpy(mac, o.mac, 6);
    }
    Answer& operator=(const Answer&) = delete;
    void set(Kind k, const varpd_dest_t* dd, const uint8_t* m) {
        {
            std::lock_guard g(mu);
            kind = k;
            count++;
            if (dd)
                d = *dd;
            if (m)
                std::memcpy(mac, m, 6);
        }
        cv.notify_all();
    }
    /* Wait for the answer (backends that answer from a thread). */
    bool wait(std::chrono::milliseconds limit = std::chrono::milliseconds(5000)) {
        std::unique_lock l(mu);
        return cv.wait_for(l, limit, [&] { return count > 0; });
    }
};

inline const varpd_query_ops_t Answer::ops = {
    .vqv_dest = [](varpd_query_t* q, const varpd_dest_t* d) { of(q)->set(dest, d, nullptr); },
    .vqv_drop = [](varpd_query_t* q) { of(q)->set(drop, nullptr, nullptr); },
    .vqv_arp = [](varpd_query_t* q, const uint8_t* m) { of(q)->set(arp, nullptr, m); },
    .vqv_ndp = [](varpd_query_t* q, const uint8_t* m) { of(q)->set(ndp, nullptr, m); },
    .vqv_dhcp = [](varpd_query_t* q, const uint8_t* m) { of(q)->set(dhcp, nullptr, m); },
};

inline int set_str(const varpd_plugin_ops_t* o, void* a, const char* name, const std::string& s) {
    return o->vpo_setprop(a, name, s.c_str(), static_cast<uint32_t>(s.size() + 1));
}
inline int set_uint(const varpd_plugin_ops_t* o, void* a, const char* name, uint64_t v) {
    return o->vpo_setprop(a, name, &v, 8);
}

constexpr std::array<uint8_t, 16> v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
    return {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, a, b, c, d};
}

} // namespace plugin_harness

#endif
