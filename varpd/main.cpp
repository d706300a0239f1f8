/*
 * varpd - the overlay virtual ARP daemon: answers ovnet.ko's "where does
 * this MAC live?" through backend plugins.
 *
 * THEORY STATEMENT
 *
 * What. Every overlay device needs destinations: a point-mode device has
 * one, a dynamic-mode device asks per destination MAC when its target cache
 * misses. varpd is the one process per host that answers, through backends
 * (plugins/: direct, files, sqlite, etcd) loaded as shared objects behind
 * the versioned C ABI of include/varpd/plugin.h. It also answers ARP, NDP
 * and DHCP on the tenant's behalf (proxy), and is driven by the operator's
 * CLI through a Cap'n Proto RPC control socket.
 *
 * Why this shape. Backends are slow or fast (a hash table vs. an etcd
 * round trip), so lookups are asynchronous: a backend gets a query handle
 * and answers later from any thread, and a backend that blocks declares it
 * and runs on a worker pool. The event loop never waits on a backend, so
 * one slow etcd never stalls the control socket or another overlay. The
 * kernel keeps its cache and pending requests across a varpd restart, so
 * varpd persists its instances and restores them at start.
 *
 * Parts (one file each): plugins.cpp loads and checks backends; daemon.cpp
 * holds instances, the loop and the lookup path; persist.cpp the instance
 * files; control_server.cpp the RPC server; client.cpp the RPC client
 * library (ctl.cpp, varpd-ctl, is a minimal command line over it for the
 * VM tests; overlayadm is the operator's); channel.h the kernel as an
 * interface, with channel_dev.cpp the real /dev/overlay and channel_fake.cpp
 * an in-memory double; lock.cpp the
 * one-per-host lock; workers.cpp the pool; this file wires them (no global
 * registries: main owns the log, plugin set, channel and daemon, in that
 * order of construction). A plugin directory that is missing, unreadable or
 * yields no backend stops varpd at start, the message naming it, unless -P
 * (--allow-no-plugins): such a varpd could create nothing, and the likely
 * cause is a wrong -p.
 *
 * An instance binds (id, link, backend, properties):
 *
 *	 create_instance              start + associate ok + persisted
 *	 ---------------> CREATED ------------------------------------> STARTED
 *	 (vpo_create,     (setprop)          |  failure: vpo_stop, id freed,   |
 *	  or vpo_restore                     |  nothing persisted              |
 *	  from its file)                     v                                 |
 *	                                 (error to the caller; at restore,     |
 *	                                  the link is DEGRADED with why)       |
 *	 destroy_instance / shutdown: vpo_stop, disassociate, file removed <---+
 *	   -> STOPPED: off every map; vpo_destroy runs on the loop once the
 *	      last outstanding query of the instance is answered -> DESTROYED.
 *
 * The vnet id. Before vpo_create (or vpo_restore) varpd reads the device's
 * "vnetid" property (KernelChannel::link_vnetid, GETPROP) and the backend
 * reads it with varpd_vnetid(): a writable backend keys its mappings by it.
 * When it cannot be read, a dynamic-mode backend of ABI 2 is refused (create
 * fails, a restore degrades the link, with the reason): keying writes by a
 * guessed vnet would put them in another tenant's table. Point-mode and ABI 1
 * backends never key anything by it: the failure is logged and they see 0.
 * A device whose vnetid is unset (it cannot be activated so) reads as 0 for
 * every backend, logged; it is read once, so set it before the instance is
 * created (overlayadm does; the kernel refuses to change it while active).
 *
 * Point mode: after start and after every setprop varpd asks vpo_default
 * and ASSOCIATEs the device with that one destination.
 *
 * A lookup (dynamic mode): the kernel queues a request and /dev/overlay
 * polls readable; the loop takes batches (LOOKUP) of up to 64, then yields
 * to the RPC server before the next batch.
 *
 *	NEW --(no instance for the link / point mode)--> DROP (counted)
 *	NEW --(broadcast/multicast: PKT copies the frame)--> classify:
 *	      ARP request (broadcast)   -> vpo_arp  -> ARP reply INJECTed
 *	      IPv6 Neighbour Solicit.   -> vpo_ndp  -> NA INJECTed
 *	      DHCPv4 68->67 (broadcast) -> vpo_dhcp -> the frame's destination
 *	            MAC rewritten to the proxy's, a second lookup of that MAC,
 *	            RESEND to its destination
 *	      anything else             -> DROP (counted as a varpd drop)
 *	NEW --(unicast)--> vpo_lookup
 *	PENDING (query handed to the backend, on the loop or a worker)
 *	   --varpd_reply_dest--> RESPOND (hit) | --varpd_reply_drop--> DROP (miss)
 *	   --varpd_reply_arp/ndp/dhcp--> as above (a malformed request, refused
 *	     by libtools' builders, is counted as a drop)
 * The answer frees the query; the latency NEW->answer goes to a histogram.
 *
 * Mappings (plugin ABI 2). addMapping/removeMapping/getMapping/
 * listMappings/begin on the control socket reach the instance of a link
 * (none: ENOENT; an ABI 1 backend: ENOTSUP "takes no mapping changes"; a
 * backend that refuses, direct and files: its own -ENOTSUP sentence). Text
 * is checked on the loop (text.h: "arp \"1.2.3\" is not an IPv4 address")
 * before the backend sees anything. A single change is one transaction of
 * its own (begin, put/remove, commit; abort if the stage fails). An Import
 * (begin) holds one open transaction per instance (a second: EBUSY) until
 * commit; dropping the capability, or the client's connection closing,
 * aborts it, and so does destroying the instance. Threads: a BLOCKING
 * backend's map operations run on the worker pool, one at a time per
 * instance (a strand: a queue under the instance's strand_mu, one pool job
 * per operation so lookups queued meanwhile interleave), and the RPC is
 * answered on the loop (Daemon::post fulfils its promise); a non-blocking
 * backend's run on the loop and must be quick. The loop never waits on a
 * backend, except in destroy_instance and at shutdown: they close the
 * instance to map operations (what is still queued is cancelled without
 * reaching the backend, the open transaction is aborted) and wait for the
 * strand to drain, i.e. for the operation in progress and for the pool
 * jobs queued ahead of the abort, before vpo_stop. A put or remove that
 * fails aborts its transaction (a later commit is refused: nothing of a
 * failed import is ever committed); a commit that fails ends it too (the
 * backend has rolled back). Not supported: several imports into one
 * overlay at once; resuming an import after a disconnect.
 *
 * Locking. The loop thread owns the instance maps and calls every backend
 * operation except the lookups of a blocking backend (worker pool). Reply
 * functions run on any thread: they touch only the query (theirs alone),
 * the instance's atomic counters and the kernel channel (thread-safe by
 * contract). Work that must happen on the loop is posted to it through an
 * eventfd-signalled queue (Daemon::post), e.g. an instance's final
 * vpo_destroy. An instance is a shared_ptr held by the maps and by each of
 * its outstanding queries.
 *
 * Persistence: one file per instance (persist.h: magic, version, length,
 * checksum, Cap'n Proto message), written by libtools' atomic rename. A bad
 * file is set aside as *.bad with the reason logged; an overlay the kernel
 * lists without an instance is DEGRADED with a message naming the files set
 * aside, never silently left without answers.
 *
 * Not supported, and why:
 *   - More than one responder per network namespace: ovnet.ko gives
 *     the lookup channel (LOOKUP/RESPOND/DROP/PKT/...) to one open file per
 *     namespace, so varpd claims it at start (channel_dev.cpp) and a second
 *     varpd in the same namespace, or one started while another responder
 *     (ov-responder) holds it, exits saying so. Run one varpd per
 *     namespace. `-K none` runs the lookup path against the in-memory
 *     channel (the tests, the benchmark).
 *   - Unloading or reloading a plugin while varpd runs (restart varpd).
 *   - 802.1Q-tagged proxy requests, DHCPv6, IPv6 extension headers before
 *     ICMPv6 (libtools' builders refuse them; counted as drops).
 *   - A query a backend never answers stays outstanding (counted, reported
 *     at exit); there is no timeout yet: the kernel's request timeout is to
 *     be the authority once it exists.
 */
#include "channel_dev.h"
#include "channel_fake.h"
#include "daemon.h"
#include "lock.h"
#include "plugins.h"

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <getopt.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef VARPD_DEFAULT_PLUGIN_DIR
#define VARPD_DEFAULT_PLUGIN_DIR "/usr/local/lib/varpd"
#endif

namespace {

const char usage[] = "usage: varpd [-f] [-l stderr|syslog] [-v] [-d STATEDIR] [-p PLUGINDIR] [-P]\n"
                     "             [-s SOCKET] [-K DEVICE|none] [-w WORKERS]\n"
                     "       varpd -h | --help\n";

const option long_opts[] = {{"help", no_argument, nullptr, 'h'},
                            {"allow-no-plugins", no_argument, nullptr, 'P'},
                            {nullptr, 0, nullptr, 0}};

/* The build tree's plugins when this binary is the build tree's, else the installed ones. */
std::string default_plugin_dir() {
#ifdef VARPD_BUILD_BIN_DIR
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (n > 0) {
        std::string p(exe, static_cast<size_t>(n));
        if (p.substr(0, p.rfind('/')) == VARPD_BUILD_BIN_DIR)
            return VARPD_BUILD_PLUGIN_DIR;
    }
#endif
    return VARPD_DEFAULT_PLUGIN_DIR;
}

int fail(const char* fmt, const std::string& s) {
    std::fprintf(stderr, fmt, s.c_str());
    return 1;
}

} // namespace

int main(int argc, char** argv) {
    varpd::Config cfg;
    cfg.state_dir = "/var/lib/varpd";
    cfg.plugin_dir = default_plugin_dir();
    std::string kernel = "/dev/overlay", logto = "stderr";
    bool foreground = false, verbose = false, allow_no_plugins = false;
    int c;
    opterr = 0; /* our own one-line messages, naming the token */
    while ((c = getopt_long(argc, argv, ":fl:vd:p:Ps:K:w:h", long_opts, nullptr)) != -1) {
        switch (c) {
        case 'f':
            foreground = true;
            break;
        case 'l':
            logto = optarg;
            if (logto != "stderr" && logto != "syslog")
                return fail("varpd: -l: \"%s\" is neither stderr nor syslog\n", logto);
            break;
        case 'v':
            verbose = true;
            break;
        case 'd':
            cfg.state_dir = optarg;
            break;
        case 'p':
            cfg.plugin_dir = optarg;
            break;
        case 'P':
            allow_no_plugins = true;
            break;
        case 's':
            cfg.socket_path = optarg;
            break;
        case 'K':
            kernel = optarg;
            break;
        case 'w': {
            char* end;
            long n = std::strtol(optarg, &end, 10);
            if (*end != '\0' || n < 1 || n > 256)
                return fail("varpd: -w: \"%s\" is not a number of workers from 1 to 256\n",
                            optarg);
            cfg.workers = static_cast<unsigned>(n);
            break;
        }
        case 'h':
            /* The defaults, so an installed varpd shows where it looks. */
            std::printf("%s  -d default: %s\n  -p default: %s\n", usage, cfg.state_dir.c_str(),
                        cfg.plugin_dir.c_str());
            return 0;
        case ':':
            std::fprintf(stderr, "varpd: option -%c needs an argument\n%s", optopt, usage);
            return 2;
        default:
            if (optopt)
                std::fprintf(stderr, "varpd: unknown option -%c\n%s", optopt, usage);
            else
                std::fprintf(stderr, "varpd: unknown option %s\n%s", argv[optind - 1], usage);
            return 2;
        }
    }
    if (optind != argc) {
        std::fprintf(stderr, "varpd: unexpected argument \"%s\"\n%s", argv[optind], usage);
        return 2;
    }
    if (mkdir(cfg.state_dir.c_str(), 0700) != 0 && errno != EEXIST)
        return fail("varpd: cannot create state directory %s\n",
                    cfg.state_dir + ": " + std::strerror(errno));

    /* Not a foreground run: fork, and let the parent report start-up errors. */
    int ready_pipe[2] = {-1, -1};
    if (!foreground) {
        if (pipe(ready_pipe) != 0)
            return fail("varpd: pipe: %s\n", std::strerror(errno));
        pid_t pid = fork();
        if (pid < 0)
            return fail("varpd: fork: %s\n", std::strerror(errno));
        if (pid > 0) {
            close(ready_pipe[1]);
            char b;
            return read(ready_pipe[0], &b, 1) == 1 ? 0 : 1; /* the child logged why */
        }
        close(ready_pipe[0]);
        setsid();
    }

    std::string why;
    auto lock = varpd::StateLock::acquire(cfg.state_dir, &why);
    if (!lock)
        return fail("varpd: %s\n", why);

    int level = verbose ? LOG_DEBUG : LOG_INFO;
    varpd::Log log = logto == "syslog" ? varpd::Log::to_syslog(level)
                                       : varpd::Log::to_stderr(level);

    /* Signals arrive on a descriptor the loop polls; block them first. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigprocmask(SIG_BLOCK, &set, nullptr);
    signal(SIGPIPE, SIG_IGN);
    int sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
    if (sfd < 0)
        return fail("varpd: signalfd: %s\n", std::strerror(errno));
    cfg.stop_fd = sfd;

    std::unique_ptr<varpd::KernelChannel> chan;
    try {
        if (kernel == "none") {
            auto fake = std::make_unique<varpd::FakeChannel>();
            fake->auto_links = true;
            chan = std::move(fake);
        }
        else
            chan = std::make_unique<varpd::DevOverlayChannel>(kernel);
    } catch (const std::exception& e) {
        log.err(std::string("kernel channel: ") + e.what() +
                " (is ovnet.ko loaded? modprobe ovnet; -K none runs without the kernel)");
        return 1;
    }

    varpd::PluginSet plugins(log);
    /* A varpd without backends can create nothing: most likely a wrong -p. */
    if (!allow_no_plugins) {
        std::error_code ec;
        std::filesystem::directory_iterator probe(cfg.plugin_dir, ec);
        if (ec) {
            log.err("plugin directory " + cfg.plugin_dir + ": " + ec.message() +
                    " (-P runs without backends)");
            return 1;
        }
    }
    if (plugins.load_dir(cfg.plugin_dir) == 0 && !allow_no_plugins) {
        log.err("no backend loaded from plugin directory " + cfg.plugin_dir +
                " (-P runs without backends)");
        return 1;
    }
    try {
        varpd::Daemon d(cfg, log, plugins, *chan);
        d.run([&] {
            if (!foreground) {
                int fd = open("/dev/null", O_RDWR);
                if (fd >= 0) {
                    dup2(fd, 0);
                    dup2(fd, 1);
                    if (logto == "syslog")
                        dup2(fd, 2);
                    close(fd);
                }
                if (write(ready_pipe[1], "r", 1) != 1) {
                }
                close(ready_pipe[1]);
            }
        });
    } catch (const std::exception& e) {
        log.err(e.what());
        return 1;
    }
    return 0;
}
