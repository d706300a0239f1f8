/*
 * etcd-bench-host: one "host" of bench-etcd -- a process holding one etcd
 * backend instance, as one varpd on one machine would, reporting every
 * shootdown the backend makes with its CLOCK_MONOTONIC time.
 *
 *   etcd-bench-host PLUGIN.so VNET COUNT prop=value...
 *
 * Theory: the backend is dlopen()ed and driven through its ops vector with
 * a TimedProvider (tests/unit/etcd-cluster/etcd_plugin.h). After start,
 * once the backend's watch is up (it flushes the kernel's cache then), the
 * host looks up MACs test_mac(0..COUNT-1) once each (again if a flush came
 * meanwhile), so the backend knows them as a varpd whose kernel cached them
 * would, and prints
 *
 *   ready <answered-with-dest> <answered-otherwise> <seconds>
 *
 * then one line per event, written and flushed by the thread the backend
 * called from:
 *
 *   E <mac> <I|V|F> <t_ns> <dest-ip-or->
 *
 * (I inject, V invalidate, F flush). It runs until its stdin reaches EOF
 * (the driver closes it), then stops the instance and exits 0. It dies
 * with the driver (PR_SET_PDEATHSIG). A start that fails prints
 * "error <why>" and exits 1. Not a kernel: no frames are sent; the kernel
 * entry "changing" is the backend's inject/invalidate call.
 */
#include "etcd_plugin.h"

#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

using namespace etcd_test;

int main(int argc, char** argv) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (argc < 4) {
        std::fprintf(stderr, "usage: etcd-bench-host PLUGIN.so VNET COUNT prop=value...\n");
        return 2;
    }
    std::map<std::string, std::string> props;
    for (int i = 4; i < argc; i++) {
        std::string a = argv[i];
        auto eq = a.find('=');
        if (eq == std::string::npos) {
            std::fprintf(stderr, "etcd-bench-host: %s: not prop=value\n", argv[i]);
            return 2;
        }
        props[a.substr(0, eq)] = a.substr(eq + 1);
    }
    uint32_t vnet = uint32_t(std::strtoul(argv[2], nullptr, 10));
    uint32_t count = uint32_t(std::strtoul(argv[3], nullptr, 10));

    std::mutex out_mu;
    auto say = [&](const std::string& line) {
        std::lock_guard g(out_mu);
        std::fputs(line.c_str(), stdout);
        std::fputc('\n', stdout);
        std::fflush(stdout);
    };

    Loaded lib(argv[1]);
    if (!lib.ops) {
        say("error dlopen " + std::string(argv[1]) + ": " + lib.error);
        return 1;
    }
    TimedProvider prov;
    prov.vnetid = vnet;
    prov.set_on_event([&](const TimedProvider::Event& e) {
        const char* k = e.kind == TimedProvider::inject       ? "I"
                        : e.kind == TimedProvider::invalidate ? "V"
                                                              : "F";
        std::string ip = "-";
        if (e.kind == TimedProvider::inject) {
            char b[INET6_ADDRSTRLEN];
            inet_ntop(AF_INET6, e.dest.vd_ip, b, sizeof b);
            ip = b;
        }
        say("E " + mac_str(e.mac) + " " + k + " " + std::to_string(e.t_ns) + " " + ip);
    });
    try {
        EtcdInstance inst(lib, prov, props);
        if (!inst.setprop_errors().empty()) {
            say("error setprop: " + inst.setprop_errors());
            return 1;
        }
        if (int rc = inst.start(); rc != 0) {
            say("error vpo_start " + std::to_string(rc) + ": " + prov.all_logs());
            return 1;
        }
        /* the backend flushes the kernel's cache once its watch is up (what
           a previous varpd left there is unwatched): look up after that, and
           again if a flush came meanwhile, as the kernel would miss again */
        auto flushes = [&] {
            std::lock_guard g(prov.mu);
            size_t n = 0;
            for (auto& e : prov.events)
                n += e.kind == TimedProvider::flush;
            return n;
        };
        prov.wait_for(
            [&] {
                for (auto& e : prov.events)
                    if (e.kind == TimedProvider::flush)
                        return true;
                return false;
            },
            std::chrono::milliseconds(10000));
        int64_t t0 = mono_ns();
        uint32_t dest = 0, other = 0;
        for (int round = 0; round < 5; round++) {
            size_t f0 = flushes();
            dest = other = 0;
            for (uint32_t i = 0; i < count; i++)
                (inst.lookup(test_mac(i)).kind == Answer::dest ? dest : other)++;
            if (flushes() == f0)
                break;
        }
        say("ready " + std::to_string(dest) + " " + std::to_string(other) + " " +
            std::to_string(double(mono_ns() - t0) / 1e9));
        char buf[256];
        while (::read(0, buf, sizeof buf) > 0) {
        }
    } catch (const std::exception& e) {
        say(std::string("error ") + e.what());
        return 1;
    }
    return 0;
}
