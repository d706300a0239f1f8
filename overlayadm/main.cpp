/*
 * overlayadm - administer overlay devices: dladm's grammar, Linux's habits.
 *
 * THEORY STATEMENT
 *
 * What. An overlay is two halves that must agree: a kernel device
 * (ovnet.ko, made and configured through the admin ioctls on
 * /dev/overlay: kernel.cpp) and a varpd instance that gives it its
 * destinations (the plugin named by -s, sqlite when -s is not given,
 * through varpd's control API and its client library). overlayadm makes,
 * shows, changes and removes both halves together, and keeps the
 * non-temporary overlays in a file (config.cpp) that `overlayadm up`
 * re-creates after a reboot.
 *
 * Properties. A property named "<plugin>/..." where <plugin> is a backend
 * varpd has loaded belongs to the varpd instance; every other property
 * (mtu, vnetid, encap, vxlan/listen_ip, ...) belongs to the kernel device.
 * Neither list is compiled in: the kernel's PROPINFO and varpd's propInfo
 * describe them, so new properties show up without changing overlayadm.
 *
 * Create, the only multi-step change, in order:
 *	CREATE device -> SETPROP encap, vnetid, kernel -p props
 *	-> varpd createInstance(link, plugin, plugin props) (point mode: varpd
 *	   ASSOCIATEs the device) -> ACTIVATE -> save (unless -t)
 * A failure at any step undoes the earlier ones (destroyInstance, DELETE),
 * so a create that fails leaves neither a device nor an instance behind.
 * delete-overlay undoes it in reverse: destroyInstance, DELETE, forget.
 *
 * Mappings. add-mapping, remove-mapping, show-mapping and import-mappings
 * change and read the mappings of a writable backend (sqlite, etcd) through
 * varpd (the control API's addMapping ... begin), by the overlay's link id:
 * the device's, or "link:N" given directly (a device name cannot hold ':';
 * for a varpd without the kernel). Values are checked here with varpd's own
 * text.h before anything is sent. show-mapping pages through listMappings
 * 10000 at a time and prints each page as it comes; import-mappings reads
 * its file a line at a time (import.cpp) and sends batches of 5000 into one
 * Import transaction: memory holds a line and a batch, whatever the file's
 * size. A bad line or a refusal drops the Import, which varpd aborts:
 * "nothing was imported".
 *
 * Grammar. The subcommands are one table (commands[] below) of name,
 * options (letter, argument, exclusive group, required), operand and
 * handler; the parser reads that table and the usage text is printed from
 * it, so they cannot drift. Keywords are matched exactly (no prefixes).
 * Output goes through output.cpp's Table: each field declared once, printed
 * as text, parsable (-p -o) or JSON (-j).
 *
 * Errors: one line "overlayadm: <what>" naming the bad token; exit 2 for a
 * usage error (the subcommand's usage follows), 1 for a refused operation
 * (and for an import file with a bad line: "FILE:LINE: reason").
 *
 * Locking: the saved-overlays file is held under an flock from load to
 * save (config.h). The kernel and varpd serialize their own state.
 *
 * Not supported: changing encap or vnetid of an active overlay (the kernel
 * refuses; delete and create again), a target cache on point-mode devices
 * (show-overlay -t shows the one destination instead; modify-overlay gets
 * the kernel's refusal), setting the device's MAC address (ip link does).
 */
#include "client.h"
#include "config.h"
#include "import.h"
#include "kernel.h"
#include "output.h"
#include "text.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <libtools/ethers.h>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <uapi/overlay.h>
#include <unistd.h>
#include <vector>

namespace {

using overlayadm::Format;
using overlayadm::Kernel;
using overlayadm::KernelError;
using overlayadm::Table;
using Props = std::vector<std::pair<std::string, std::string>>;

/* An operation refused (exit 1), or a usage error (exit 2). */
struct Failure : std::runtime_error {
    using std::runtime_error::runtime_error;
};
struct UsageError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

struct Opt {
    char letter;
    const char* arg; /* nullptr: a flag */
    int group;       /* options sharing a non-zero group exclude each other */
    bool required;   /* for a group: one of the group is required */
    bool repeat;     /* may be given more than once (values collected) */
    char needs = 0;  /* only valid with this other option: "[[-p] -o field]" */
};

struct Args {
    std::map<char, std::vector<std::string>> opts;
    std::vector<std::string> operands;
    bool has(char c) const { return opts.count(c) != 0; }
    const std::string& get(char c) const { return opts.at(c).front(); }
};

struct Globals {
    std::string socket = "/var/lib/varpd/varpd.sock";
    std::string state_dir = "/var/lib/overlay";
    std::string device = "/dev/overlay";
};

struct Command {
    const char* name;
    std::vector<Opt> opts;
    const char* operand; /* "name", "[name]", "[plugin]" or "" */
    int (*run)(const Globals&, const Args&);
};

extern const std::vector<Command> commands;

/* The synopsis of one subcommand, built from its table entry. */
std::string synopsis(const Command& c) {
    std::string s = c.name;
    std::vector<bool> done(c.opts.size());
    for (size_t i = 0; i < c.opts.size(); i++)
        done[i] = c.opts[i].needs != 0; /* printed beside the option it needs */
    for (size_t i = 0; i < c.opts.size(); i++) {
        if (done[i])
            continue;
        const Opt& o = c.opts[i];
        auto one = [](const Opt& x) {
            std::string t = std::string("-") + x.letter;
            if (x.arg)
                t += std::string(" ") + x.arg;
            return t;
        };
        std::string t = one(o);
        for (auto& x : c.opts)
            if (x.needs == o.letter)
                t = "[" + one(x) + "] " + t;
        if (o.group) {
            for (size_t j = i + 1; j < c.opts.size(); j++)
                if (c.opts[j].group == o.group) {
                    t += " | " + one(c.opts[j]);
                    done[j] = true;
                }
        }
        s += " " + (o.required ? t : "[" + t + "]");
    }
    if (*c.operand)
        s += std::string(" ") + c.operand;
    return s;
}

std::string usage_all() {
    std::string u = "usage: overlayadm [-S socket] [-D statedir] subcommand [options]\n";
    for (auto& c : commands)
        u += "       overlayadm " + synopsis(c) + "\n";
    return u + "       overlayadm -h | --help\n";
}

Args parse(const Command& c, int argc, char** argv) {
    Args a;
    auto find = [&](char l) -> const Opt* {
        for (auto& o : c.opts)
            if (o.letter == l)
                return &o;
        return nullptr;
    };
    int i = 0;
    for (; i < argc; i++) {
        std::string w = argv[i];
        if (w == "--") {
            i++;
            break;
        }
        if (w.size() < 2 || w[0] != '-')
            break;
        for (size_t k = 1; k < w.size(); k++) {
            const Opt* o = find(w[k]);
            if (!o)
                throw UsageError(std::string("unknown option -") + w[k] + " for " + c.name);
            std::string val;
            if (o->arg) {
                if (k + 1 < w.size())
                    val = w.substr(k + 1);
                else if (i + 1 < argc)
                    val = argv[++i];
                else
                    throw UsageError(std::string("option -") + o->letter + " needs " + o->arg);
                k = w.size();
            }
            if (a.has(o->letter) && !o->repeat)
                throw UsageError(std::string("option -") + o->letter + " given twice");
            a.opts[o->letter].push_back(val);
        }
    }
    for (; i < argc; i++)
        a.operands.push_back(argv[i]);
    /* Groups: at most one each; required options and groups present. */
    std::map<int, char> seen;
    for (auto& o : c.opts) {
        if (o.group && a.has(o.letter)) {
            if (seen.count(o.group))
                throw UsageError(std::string("-") + seen[o.group] + " and -" + o.letter +
                                 " cannot be used together");
            seen[o.group] = o.letter;
        }
    }
    for (auto& o : c.opts)
        if (o.needs && a.has(o.letter) && !a.has(o.needs))
            for (auto& x : c.opts)
                if (x.letter == o.needs)
                    throw UsageError(std::string("-") + o.letter + " needs -" + x.letter +
                                     (x.arg ? std::string(" ") + x.arg : ""));
    for (auto& o : c.opts) {
        if (!o.required)
            continue;
        if (o.group ? !seen.count(o.group) : !a.has(o.letter)) {
            std::string which = std::string("-") + o.letter;
            if (o.group)
                for (auto& x : c.opts)
                    if (x.group == o.group && x.letter != o.letter)
                        which += std::string(" or -") + x.letter;
            throw UsageError(c.name + std::string(" needs ") + which);
        }
    }
    /* Operands: words of c.operand, a [bracketed] one optional. */
    std::vector<std::string> words;
    for (size_t p = 0, q; p < std::strlen(c.operand); p = q + 1) {
        q = std::string(c.operand).find(' ', p);
        if (q == std::string::npos)
            q = std::strlen(c.operand);
        words.push_back(std::string(c.operand).substr(p, q - p));
    }
    size_t max = words.size(), min = 0;
    for (auto& w : words)
        min += w[0] != '[';
    if (a.operands.size() > max)
        throw UsageError("unexpected argument \"" + a.operands[max] + "\"");
    if (a.operands.size() < min)
        throw UsageError(c.name + std::string(" needs ") +
                         (a.operands.empty() ? "the overlay's " + words[0]
                                             : "its " + words[a.operands.size()]));
    return a;
}

/* ---- varpd ---- */

/* Connect to varpd, saying how to start it when it is not there. */
std::unique_ptr<varpd::Client> varpd_connect(const Globals& g) {
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    if (g.socket.size() >= sizeof(sa.sun_path))
        throw Failure("varpd socket path \"" + g.socket + "\" is too long");
    std::memcpy(sa.sun_path, g.socket.c_str(), g.socket.size());
    int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int rc = s < 0 ? -1 : connect(s, reinterpret_cast<sockaddr*>(&sa), sizeof(sa));
    int e = errno;
    if (s >= 0)
        close(s);
    if (rc != 0 && (e == EACCES || e == EPERM))
        throw Failure("cannot reach varpd at " + g.socket + ": " + std::strerror(e) +
                      " (its control socket is for root)");
    if (rc != 0)
        throw Failure("varpd is not running (cannot connect to " + g.socket + ": " +
                      std::strerror(e) +
                      "); start it with 'systemctl start varpd' or 'varpd -d /var/lib/varpd'");
    return std::make_unique<varpd::Client>(g.socket);
}

std::vector<std::string> plugin_names(varpd::Client& v) {
    std::vector<std::string> n;
    for (auto& p : v.list_plugins())
        n.push_back(p.name);
    return n;
}

std::string join(const std::vector<std::string>& v, const char* sep = ", ") {
    std::string s;
    for (auto& x : v)
        s += (s.empty() ? "" : sep) + x;
    return s;
}

/* The plugin a property belongs to, or "" for a kernel property. */
std::string owner(const std::string& prop, const std::vector<std::string>& plugins) {
    size_t slash = prop.find('/');
    if (slash == std::string::npos)
        return "";
    std::string pre = prop.substr(0, slash);
    return std::find(plugins.begin(), plugins.end(), pre) != plugins.end() ? pre : "";
}

std::optional<varpd::client::Instance> instance_of(varpd::Client& v, uint32_t linkid) {
    for (auto& i : v.list_instances())
        if (i.linkid == linkid)
            return i;
    return std::nullopt;
}

/*
 * "prop=value[,...]" from every -p given. A piece without '=' continues the
 * value before it, comma and all, so a list value needs no quoting:
 * -p etcd/endpoints=http://a:2379,http://b:2379,etcd/prefix=/o.
 */
Props parse_props(const std::vector<std::string>& lists) {
    Props out;
    for (auto& l : lists) {
        size_t start = 0;
        bool first = true;
        while (true) {
            size_t comma = l.find(',', start);
            std::string kv =
                l.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
            size_t eq = kv.find('=');
            if (eq == 0 || (eq == std::string::npos && first))
                throw UsageError("\"" + kv + "\" is not prop=value");
            first = false;
            if (eq == std::string::npos)
                out.back().second += "," + kv;
            else
                out.emplace_back(kv.substr(0, eq), kv.substr(eq + 1));
            if (comma == std::string::npos)
                break;
            start = comma + 1;
        }
    }
    return out;
}

/* A number option or field in 0..max, named in the error. */
uint64_t parse_number(const char* what, const std::string& s, uint64_t max) {
    char* end = nullptr;
    errno = 0;
    unsigned long long v = std::strtoull(s.c_str(), &end, 10);
    if (s.empty() || s[0] == '-' || *end != '\0' || errno == ERANGE || v > max)
        throw UsageError(std::string(what) + " \"" + s + "\" is not a number in 0.." +
                         std::to_string(max));
    return v;
}

uint32_t parse_vnetid(const std::string& s) {
    return static_cast<uint32_t>(parse_number("vnetid", s, 16777215));
}

overlayadm::KLink need_link(Kernel& k, const std::string& name) {
    auto l = k.find(name);
    if (!l)
        throw Failure("no overlay \"" + name + "\"");
    return *l;
}

/* ---- create / delete / up ---- */

std::string parse_mac(const std::string& s);

/* overlayadm's own link property: the device's Ethernet address. */
constexpr const char* mac_prop = "mac";

/* Make both halves of an overlay; undo both on any failure. */
void create_overlay(const Globals& g, const overlayadm::SavedOverlay& o) {
    if (o.name.empty() || o.name.size() >= OVERLAY_NAMELEN)
        throw UsageError("name \"" + o.name + "\" is not 1.." +
                         std::to_string(OVERLAY_NAMELEN - 1) + " characters");
    auto v = varpd_connect(g);
    auto plugins = plugin_names(*v);
    if (std::find(plugins.begin(), plugins.end(), o.search) == plugins.end())
        throw Failure("unknown plugin \"" + o.search + "\" (varpd has: " + join(plugins) + ")");
    Props kprops, vprops;
    std::optional<std::string> mac;
    for (auto& [k, val] : o.props) {
        if (k == mac_prop) {
            mac = parse_mac(val);
            continue;
        }
        if (k == "encap" || k == "vnetid")
            throw UsageError("property " + k + " is set with -" + (k == "encap" ? "e" : "v"));
        std::string own = owner(k, plugins);
        if (!own.empty() && own != o.search)
            throw Failure("property \"" + k + "\" belongs to plugin " + own + ", not " + o.search);
        (own.empty() ? kprops : vprops).emplace_back(k, val);
    }
    /* The plugin's half is checked before anything is made. */
    auto pprops = v->plugin_prop_info(o.search);
    for (auto& [n, val] : vprops) {
        auto it = std::find_if(pprops.begin(), pprops.end(), [&](auto& p) { return p.name == n; });
        if (it == pprops.end()) {
            std::vector<std::string> names;
            for (auto& p : pprops)
                names.push_back(p.name);
            throw Failure("unknown property \"" + n + "\" (plugin " + o.search +
                          " has: " + join(names) + ")");
        }
    }
    for (auto& p : pprops)
        if (p.required && std::none_of(vprops.begin(), vprops.end(),
                                       [&](auto& kv) { return kv.first == p.name; }))
            throw Failure("missing required property \"" + p.name + "\" (plugin " + o.search + ")");
    Kernel k(g.device);
    auto link = k.create(o.name);
    uint64_t id = 0;
    try {
        try {
            k.setprop(link.linkid, "encap", o.encap);
        } catch (const KernelError& e) {
            if (e.err() != ERANGE && e.err() != EINVAL)
                throw;
            auto pi = k.propinfo(link.linkid, "encap");
            throw Failure("unknown encapsulation \"" + o.encap + "\" (possible: " + pi.possible +
                          ")");
        }
        k.setprop(link.linkid, "vnetid", std::to_string(o.vnetid));
        for (auto& [n, val] : kprops)
            k.setprop(link.linkid, n, val);
        if (mac)
            k.set_mac(link.name, *mac);
        /* The device is new: an instance varpd still has on its link id is stale. */
        if (auto stale = instance_of(*v, link.linkid))
            v->destroy_instance(stale->id);
        id = v->create_instance(link.linkid, o.search, vprops);
        k.activate(link.linkid);
    } catch (...) {
        if (id)
            try {
                v->destroy_instance(id);
            } catch (const std::exception&) {
            }
        try {
            k.destroy(link.linkid);
        } catch (const std::exception&) {
        }
        throw;
    }
}

/*
 * Without -s an overlay uses the embedded default backend, sqlite; its
 * database, unless sqlite/path is given, is mappings.db in varpd's state
 * directory, the directory of varpd's control socket (-S), so
 * /var/lib/varpd/mappings.db by default. The path is saved with the overlay.
 */
constexpr const char* default_search = "sqlite";
constexpr const char* sqlite_path_prop = "sqlite/path";

std::string default_database(const Globals& g) {
    return (std::filesystem::absolute(g.socket).parent_path() / "mappings.db").string();
}

int cmd_create(const Globals& g, const Args& a) {
    overlayadm::SavedOverlay o;
    o.name = a.operands[0];
    o.encap = a.get('e');
    o.search = a.has('s') ? a.get('s') : default_search;
    o.vnetid = parse_vnetid(a.get('v'));
    if (a.has('p'))
        o.props = parse_props(a.opts.at('p'));
    auto names_path = [](auto& kv) { return kv.first == sqlite_path_prop; };
    if (o.search == default_search && std::none_of(o.props.begin(), o.props.end(), names_path))
        o.props.emplace_back(sqlite_path_prop, default_database(g));
    for (auto& [k, val] : o.props)
        if (k == mac_prop)
            parse_mac(val); /* a usage error before anything is looked at */
    if (a.has('t')) {
        create_overlay(g, o);
        return 0;
    }
    overlayadm::Config cfg(g.state_dir);
    if (cfg.find(o.name))
        throw Failure("name \"" + o.name +
                      "\" is taken (a saved overlay; 'overlayadm up' brings it back)");
    create_overlay(g, o);
    cfg.overlays().push_back(o);
    try {
        cfg.save();
    } catch (const std::exception& e) {
        /* Not saved: do not leave an overlay that would vanish at reboot unannounced. */
        throw Failure(std::string(e.what()) + " (" + o.name + " is up but will not come back)");
    }
    return 0;
}

int cmd_delete(const Globals& g, const Args& a) {
    const std::string& name = a.operands[0];
    overlayadm::Config cfg(g.state_dir);
    Kernel k(g.device);
    auto link = k.find(name);
    if (!link && !cfg.find(name))
        throw Failure("no overlay \"" + name + "\"");
    if (link) {
        auto v = varpd_connect(g);
        if (auto in = instance_of(*v, link->linkid))
            v->destroy_instance(in->id);
        k.destroy(link->linkid);
    }
    if (cfg.find(name)) {
        cfg.remove(name);
        cfg.save();
    }
    return 0;
}

int cmd_up(const Globals& g, const Args&) {
    overlayadm::Config cfg(g.state_dir);
    Kernel k(g.device);
    int rc = 0;
    for (auto& o : cfg.overlays()) {
        if (k.find(o.name)) {
            std::printf("%s: already up\n", o.name.c_str());
            continue;
        }
        try {
            create_overlay(g, o);
            std::printf("%s: up\n", o.name.c_str());
        } catch (const std::exception& e) {
            std::fprintf(stderr, "overlayadm: %s: %s\n", o.name.c_str(), e.what());
            rc = 1;
        }
    }
    return rc;
}

/* ---- set-overlayprop ---- */

int cmd_setprop(const Globals& g, const Args& a) {
    const std::string& name = a.operands[0];
    Props props = parse_props(a.opts.at('p'));
    Kernel k(g.device);
    auto link = need_link(k, name);
    auto v = varpd_connect(g);
    auto plugins = plugin_names(*v);
    auto in = instance_of(*v, link.linkid);
    for (auto& [p, val] : props) {
        std::string own = owner(p, plugins);
        if (p == mac_prop) {
            k.set_mac(link.name, val);
            continue;
        }
        if (own.empty()) {
            k.setprop(link.linkid, p, val);
            continue;
        }
        if (!in || in->plugin != own)
            throw Failure("property \"" + p + "\" belongs to plugin " + own + ", and " + name +
                          (in ? " uses " + in->plugin : std::string(" has no varpd instance")));
        v->set_prop(in->id, p, val);
    }
    overlayadm::Config cfg(g.state_dir);
    if (auto* o = cfg.find(name)) {
        for (auto& [p, val] : props) {
            if (p == "encap")
                o->encap = val;
            else if (p == "vnetid")
                o->vnetid = parse_vnetid(val);
            else {
                auto it = std::find_if(o->props.begin(), o->props.end(),
                                       [&](auto& kv) { return kv.first == p; });
                if (it != o->props.end())
                    it->second = val;
                else
                    o->props.emplace_back(p, val);
            }
        }
        cfg.save();
    }
    return 0;
}

/* ---- show-overlay ---- */

Format format_of(const Args& a) { /* -p without -o: refused by parse() (Opt::needs) */
    if (a.has('p') && a.has('j'))
        throw UsageError("-p and -j cannot be used together");
    return a.has('j') ? Format::json : a.has('p') ? Format::parsable : Format::text;
}

/* The POSSIBLE column: what may be written (nothing for a read-only property). */
std::string range(bool writable, const std::string& type, uint64_t min, uint64_t max,
                  const std::string& possible) {
    if (!writable)
        return "";
    if (type == "uint")
        return std::to_string(min) + "-" + std::to_string(max);
    return possible;
}

/* ip:port, [ipv6]:port, or the address alone for port 0 (the encapsulation's default). */
std::string dest_text(std::string ip, const std::string& port) {
    if (ip.find(':') != std::string::npos)
        ip = "[" + ip + "]";
    return port.empty() || port == "0" ? ip : ip + ":" + port;
}

/* The destination of a point-mode overlay, from its plugin's dest_ip/dest_port. */
std::string point_dest(const std::vector<varpd::client::PropInfo>& props) {
    std::string ip, port;
    for (auto& p : props) {
        auto tail = p.name.substr(p.name.find('/') + 1);
        if (tail == "dest_ip")
            ip = p.value;
        if (tail == "dest_port")
            port = p.value;
    }
    return ip.empty() ? "" : dest_text(ip, port);
}

int cmd_show(const Globals& g, const Args& a) {
    Format fmt = format_of(a);
    Kernel k(g.device);
    std::vector<overlayadm::KLink> links;
    if (a.operands.empty())
        links = k.links();
    else
        links.push_back(need_link(k, a.operands[0]));
    std::unique_ptr<varpd::Client> v;
    std::string no_varpd;
    try {
        v = varpd_connect(g);
    } catch (const Failure& e) {
        if (a.has('t'))
            throw;
        no_varpd = e.what();
    }
    int rc = 0;
    Table t(a.has('f')   ? std::vector<std::string>{"link", "status", "details"}
            : a.has('t') ? std::vector<std::string>{"link", "target", "destination"}
                         : std::vector<std::string>{"link", "property", "perm", "req", "value",
                                                    "default", "possible"});
    if (a.has('o'))
        t.select(a.get('o'));
    std::map<uint32_t, std::string> degraded;
    if (v && a.has('f'))
        for (auto& [l, m] : v->status().degraded)
            degraded[l] = m;
    for (auto& l : links) {
        std::optional<varpd::client::Instance> in;
        if (v)
            in = instance_of(*v, l.linkid);
        if (a.has('f')) {
            auto st = k.status(l.linkid);
            std::string status = "ONLINE", details = st.message;
            if (!(st.state & OVERLAY_STATE_ACTIVE))
                status = "INACTIVE";
            else if (st.state & OVERLAY_STATE_DEGRADED)
                status = "DEGRADED";
            if (degraded.count(l.linkid)) {
                status = "DEGRADED";
                details = degraded[l.linkid];
            } else if (v && !in) {
                status = "DEGRADED";
                details = "no varpd instance (delete-overlay and create it again)";
            } else if (!v) {
                details = "varpd is not running";
            }
            t.add({l.name, status, details});
        } else if (a.has('t')) {
            auto st = k.status(l.linkid);
            if (st.dest_mode == OVERLAY_DEST_POINT) {
                /* No cache: every target goes to the one destination. */
                std::string dest = in ? point_dest(v->prop_info(in->id)) : "";
                t.add({l.name, "*", dest});
                continue;
            }
            try {
                for (auto& e : v->cache_iter(l.linkid))
                    t.add(
                        {l.name, e.mac, e.drop ? "drop" : dest_text(e.ip, std::to_string(e.port))});
            } catch (const varpd::ClientError& e) {
                std::fprintf(stderr, "overlayadm: %s: cannot read the target cache: %s\n",
                             l.name.c_str(), e.what());
                rc = 1;
            }
        } else {
            std::string encap = k.getprop(l.linkid, "encap");
            for (auto& p : k.props(l.linkid)) {
                size_t slash = p.name.find('/');
                if (slash != std::string::npos && p.name.substr(0, slash) != encap)
                    continue; /* another encapsulation's property */
                std::string perm = std::string(p.perm & OVERLAY_PROP_PERM_READ ? "r" : "-") +
                                   (p.perm & OVERLAY_PROP_PERM_WRITE ? "w" : "-");
                t.add({l.name, p.name, perm, p.perm & OVERLAY_PROP_PERM_REQUIRED ? "y" : "-",
                       p.value, p.def,
                       range(p.perm & OVERLAY_PROP_PERM_WRITE, p.type, p.min, p.max, p.possible)});
            }
            t.add({l.name, mac_prop, "rw", "-", k.get_mac(l.name), "", ""});
            if (in)
                for (auto& p : v->prop_info(in->id))
                    t.add({l.name, p.name,
                           std::string(p.readable ? "r" : "-") + (p.writable ? "w" : "-"),
                           p.required ? "y" : "-", p.value, p.def,
                           range(p.writable, p.type, p.min, p.max, p.possible)});
        }
    }
    std::fputs(t.render(fmt).c_str(), stdout);
    if (!no_varpd.empty() && !a.has('f') && fmt != Format::parsable)
        std::fprintf(stderr, "overlayadm: plugin properties not shown: %s\n", no_varpd.c_str());
    return rc;
}

/* ---- modify-overlay ---- */

std::string parse_mac(const std::string& s) {
    ov_ether_addr_t m;
    ov_error_t err;
    if (ov::ethers_parse(s, &m, &err) != 0)
        throw UsageError("malformed MAC \"" + s + "\": " + varpd::ethers_reason(err.reason));
    return ov::ethers_format(m);
}

/* mac=drop | mac=ip[:port] | mac=[ipv6]:port */
varpd::client::CacheEntry parse_target(const std::string& s) {
    size_t eq = s.find('=');
    if (eq == std::string::npos)
        throw UsageError("\"" + s + "\" is not mac=[ip][:port] or mac=drop");
    varpd::client::CacheEntry e;
    e.mac = parse_mac(s.substr(0, eq));
    std::string d = s.substr(eq + 1);
    if (d == "drop") {
        e.drop = true;
        return e;
    }
    std::string ip = d, port;
    if (!d.empty() && d[0] == '[') {
        size_t close = d.find(']');
        if (close == std::string::npos)
            throw UsageError("malformed address \"" + d + "\": no closing ]");
        ip = d.substr(1, close - 1);
        if (close + 1 < d.size()) {
            if (d[close + 1] != ':')
                throw UsageError("malformed address \"" + d + "\"");
            port = d.substr(close + 2);
        }
    } else if (std::count(d.begin(), d.end(), ':') == 1) {
        ip = d.substr(0, d.find(':'));
        port = d.substr(d.find(':') + 1);
    }
    uint8_t buf[16];
    if (!overlayadm::ip_parse(ip, buf))
        throw UsageError("malformed address \"" + ip + "\"");
    e.ip = ip;
    if (!port.empty()) {
        char* end = nullptr;
        unsigned long p = std::strtoul(port.c_str(), &end, 10);
        if (*end != '\0' || port[0] == '-' || p < 1 || p > 65535)
            throw UsageError("port \"" + port + "\" is not a number in 1..65535");
        e.port = static_cast<uint16_t>(p);
    }
    return e;
}

int cmd_modify(const Globals& g, const Args& a) {
    /* Check the arguments before touching anything. */
    std::string mac;
    varpd::client::CacheEntry target;
    if (a.has('d'))
        mac = parse_mac(a.get('d'));
    if (a.has('s'))
        target = parse_target(a.get('s'));
    Kernel k(g.device);
    auto link = need_link(k, a.operands[0]);
    auto v = varpd_connect(g);
    try {
        if (a.has('d'))
            v->cache_remove(link.linkid, mac);
        else if (a.has('f'))
            v->cache_flush(link.linkid);
        else
            v->cache_set(link.linkid, target);
    } catch (const varpd::ClientError& e) {
        throw Failure(a.operands[0] + ": target cache: " + e.what());
    }
    return 0;
}

/* ---- show-plugin ---- */

int cmd_show_plugin(const Globals& g, const Args& a) {
    Format fmt = format_of(a);
    auto v = varpd_connect(g);
    Table t({"plugin", "mode", "blocking", "file", "property", "type", "perm", "req", "default",
             "possible", "abi", "writable"});
    t.select(a.has('o') ? a.get('o') : "plugin,mode,property,perm,req,default,possible");
    bool found = false;
    for (auto& p : v->list_plugins()) {
        if (!a.operands.empty() && p.name != a.operands[0])
            continue;
        found = true;
        auto props = v->plugin_prop_info(p.name);
        std::string abi = std::to_string(p.abi), writable = p.writable ? "yes" : "no";
        if (props.empty())
            t.add({p.name, p.mode, p.blocking ? "yes" : "no", p.file, "", "", "", "", "", "", abi,
                   writable});
        for (auto& pr : props)
            t.add({p.name, p.mode, p.blocking ? "yes" : "no", p.file, pr.name, pr.type,
                   std::string(pr.readable ? "r" : "-") + (pr.writable ? "w" : "-"),
                   pr.required ? "y" : "-", pr.def,
                   range(pr.writable, pr.type, pr.min, pr.max, pr.possible), abi, writable});
    }
    if (!a.operands.empty() && !found)
        throw Failure("unknown plugin \"" + a.operands[0] +
                      "\" (varpd has: " + join(plugin_names(*v)) + ")");
    std::fputs(t.render(fmt).c_str(), stdout);
    return 0;
}

/* ---- mappings ---- */

/*
 * The link id of an overlay operand: a device's name (the kernel's STATUS),
 * or "link:N", the link id as varpd knows it (a device name cannot hold a
 * ':'), for scripts and for a varpd running without the kernel (-K none).
 */
uint32_t overlay_link(const Globals& g, const std::string& name) {
    if (name.rfind("link:", 0) == 0) {
        try {
            return static_cast<uint32_t>(parse_number("link", name.substr(5), UINT32_MAX));
        } catch (const UsageError&) {
            throw UsageError("\"" + name + "\" is not link:N with N a link id");
        }
    }
    Kernel k(g.device);
    return need_link(k, name).linkid;
}

/* varpd's refusal of a mapping operation, naming the overlay. */
template <typename F> auto on_overlay(const std::string& name, F f) -> decltype(f()) {
    try {
        return f();
    } catch (const varpd::ClientError& e) {
        throw Failure(name + ": " + e.what());
    }
}

int cmd_add_mapping(const Globals& g, const Args& a) {
    varpd::MappingText m;
    m.mac = a.operands[1];
    m.ip = a.operands[2];
    if (a.has('p'))
        m.port = static_cast<uint32_t>(parse_number("port", a.get('p'), 65535));
    if (a.has('a'))
        m.arp = a.get('a');
    if (a.has('n'))
        m.ndp = a.get('n');
    if (a.has('d'))
        m.dhcp_proxy = a.get('d');
    if (a.has('t'))
        m.ttl = parse_number("ttl", a.get('t'), UINT32_MAX);
    varpd_mapping_t check;
    std::string why;
    if (!varpd::mapping_from_text(m, check, &why)) /* before anything is touched */
        throw UsageError(why);
    uint32_t link = overlay_link(g, a.operands[0]);
    auto v = varpd_connect(g);
    on_overlay(a.operands[0], [&] { v->add_mapping(link, m); });
    return 0;
}

int cmd_remove_mapping(const Globals& g, const Args& a) {
    std::string mac = parse_mac(a.operands[1]);
    uint32_t link = overlay_link(g, a.operands[0]);
    auto v = varpd_connect(g);
    on_overlay(a.operands[0], [&] { v->remove_mapping(link, mac); });
    return 0;
}

void add_row(Table& t, const varpd::MappingText& m) {
    t.add({m.mac, m.ip, std::to_string(m.port), m.arp, m.ndp, m.dhcp_proxy,
           std::to_string(m.ttl)});
}

int cmd_show_mapping(const Globals& g, const Args& a) {
    Format fmt = format_of(a);
    std::string mac;
    if (a.operands.size() > 1)
        mac = parse_mac(a.operands[1]);
    Table t({"mac", "ip", "port", "arp", "ndp", "dhcp-proxy", "ttl"});
    if (a.has('o'))
        t.select(a.get('o'));
    uint32_t link = overlay_link(g, a.operands[0]);
    auto v = varpd_connect(g);
    if (!mac.empty()) {
        add_row(t, on_overlay(a.operands[0], [&] { return v->get_mapping(link, mac); }));
        std::fputs(t.render(fmt).c_str(), stdout);
        return 0;
    }
    /* Page through, printing as we go: memory holds one page. */
    constexpr uint32_t page = 10000;
    std::string after;
    bool first = true;
    for (;;) {
        auto ms = on_overlay(a.operands[0], [&] { return v->list_mappings(link, after, page); });
        for (auto& m : ms)
            add_row(t, m);
        bool last = ms.size() < page;
        std::fputs(t.render_page(fmt, first, last).c_str(), stdout);
        first = false;
        if (last)
            return 0;
        after = ms.back().mac;
    }
}

int cmd_import(const Globals& g, const Args& a) {
    const std::string& file = a.operands[1];
    std::ifstream f;
    std::istream* in = &std::cin;
    uint64_t size = 0;
    if (file != "-") {
        struct stat st;
        if (stat(file.c_str(), &st) == 0 && S_ISDIR(st.st_mode))
            throw Failure("cannot read " + file + ": " + std::strerror(EISDIR));
        f.open(file);
        if (!f)
            throw Failure("cannot open " + file + ": " + std::strerror(errno));
        if (stat(file.c_str(), &st) == 0 && S_ISREG(st.st_mode))
            size = static_cast<uint64_t>(st.st_size);
        in = &f;
    }
    const std::string& name = a.operands[0];
    uint32_t link = overlay_link(g, name);
    auto v = varpd_connect(g);
    overlayadm::ImportReader r(*in, file == "-" ? "stdin" : file);
    overlayadm::Progress progress(size, a.has('q'));
    constexpr size_t batch_max = 5000;
    std::vector<varpd::MappingText> batch;
    batch.reserve(batch_max);
    uint64_t n = 0, count = 0;
    try {
        auto imp = on_overlay(name, [&] { return v->begin_import(link); });
        varpd::MappingText m;
        /* A bad line or a refusal leaves here: imp's destructor aborts. */
        while (r.next(m)) {
            batch.push_back(std::move(m));
            if (batch.size() == batch_max) {
                on_overlay(name, [&] { imp->put(batch); });
                batch.clear();
            }
            progress.update(++n, r.bytes());
        }
        if (!batch.empty())
            on_overlay(name, [&] { imp->put(batch); });
        count = on_overlay(name, [&] { return imp->commit(); });
    } catch (const std::exception& e) {
        std::fprintf(stderr, "overlayadm: %s\n", e.what());
        throw Failure("nothing was imported");
    }
    progress.done(n, r.bytes());
    std::printf("imported %llu mappings into %s\n", static_cast<unsigned long long>(count),
                name.c_str());
    return 0;
}

int cmd_help(const Globals&, const Args&) {
    std::fputs(usage_all().c_str(), stdout);
    return 0;
}

const std::vector<Command> commands = {
    {"create-overlay",
     {{'t', nullptr, 0, false, false},
      {'e', "encap", 0, true, false},
      {'s', "search", 0, false, false},
      {'v', "vnetid", 0, true, false},
      {'p', "prop=value[,...]", 0, false, true}},
     "name",
     cmd_create},
    {"delete-overlay", {}, "name", cmd_delete},
    {"modify-overlay",
     {{'d', "mac", 1, true, false},
      {'f', nullptr, 1, true, false},
      {'s', "mac=[ip][:port]|drop", 1, true, false}},
     "name",
     cmd_modify},
    {"show-overlay",
     {{'f', nullptr, 1, false, false},
      {'t', nullptr, 1, false, false},
      {'j', nullptr, 0, false, false},
      {'p', nullptr, 0, false, false, 'o'},
      {'o', "field[,...]", 0, false, false}},
     "[name]",
     cmd_show},
    {"set-overlayprop", {{'p', "prop=value[,...]", 0, true, true}}, "name", cmd_setprop},
    {"show-plugin",
     {{'j', nullptr, 0, false, false},
      {'p', nullptr, 0, false, false, 'o'},
      {'o', "field[,...]", 0, false, false}},
     "[plugin]",
     cmd_show_plugin},
    {"add-mapping",
     {{'p', "port", 0, false, false},
      {'a', "arp-ipv4", 0, false, false},
      {'n', "ndp-ipv6", 0, false, false},
      {'d', "dhcp-proxy-mac", 0, false, false},
      {'t', "ttl-seconds", 0, false, false}},
     "name mac underlay-ip",
     cmd_add_mapping},
    {"remove-mapping", {}, "name mac", cmd_remove_mapping},
    {"show-mapping",
     {{'j', nullptr, 0, false, false},
      {'p', nullptr, 0, false, false, 'o'},
      {'o', "field[,...]", 0, false, false}},
     "name [mac]",
     cmd_show_mapping},
    {"import-mappings", {{'q', nullptr, 0, false, false}}, "name file|-", cmd_import},
    {"up", {}, "", cmd_up},
    {"help", {}, "", cmd_help},
};

} // namespace

int main(int argc, char** argv) {
    Globals g;
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        std::string o = argv[i];
        if (o == "-S" || o == "-D") {
            if (i + 1 == argc) {
                std::fprintf(stderr, "overlayadm: option %s needs %s\n%s", o.c_str(),
                             o == "-S" ? "socket" : "statedir", usage_all().c_str());
                return 2;
            }
            (o == "-S" ? g.socket : g.state_dir) = argv[++i];
        } else if (o == "-h" || o == "--help") {
            std::fputs(usage_all().c_str(), stdout);
            return 0;
        } else {
            std::fprintf(stderr, "overlayadm: unknown option %s\n%s", o.c_str(),
                         usage_all().c_str());
            return 2;
        }
    }
    if (i == argc) {
        std::fprintf(stderr, "overlayadm: no subcommand\n%s", usage_all().c_str());
        return 2;
    }
    const Command* cmd = nullptr;
    for (auto& c : commands)
        if (argv[i] == std::string(c.name))
            cmd = &c;
    if (!cmd) {
        std::fprintf(stderr, "overlayadm: unknown subcommand \"%s\"\n%s", argv[i],
                     usage_all().c_str());
        return 2;
    }
    try {
        Args a = parse(*cmd, argc - i - 1, argv + i + 1);
        return cmd->run(g, a);
    } catch (const UsageError& e) {
        std::fprintf(stderr, "overlayadm: %s\nusage: overlayadm %s\n", e.what(),
                     synopsis(*cmd).c_str());
        return 2;
    } catch (const std::invalid_argument& e) { /* a bad -o field */
        std::fprintf(stderr, "overlayadm: %s\n", e.what());
        return 2;
    } catch (const std::exception& e) { /* Failure, KernelError, varpd::ClientError, ... */
        std::fprintf(stderr, "overlayadm: %s\n", e.what());
        return 1;
    }
}
