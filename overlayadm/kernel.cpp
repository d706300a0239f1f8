// overlayadm's kernel interface: see kernel.h.
#include "kernel.h"

#include "kprop.h" /* varpd's GETPROP helper, shared with DevOverlayChannel */

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <libtools/addr.h>
#include <libtools/ethers.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <map>
#include <net/if.h>
#include <net/if_arp.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <uapi/overlay.h>
#include <unistd.h>

namespace overlayadm {

namespace {

const char* type_name(uint32_t t) {
    switch (t) {
    case OVERLAY_PROP_T_UINT:
        return "uint";
    case OVERLAY_PROP_T_IP:
        return "ip";
    case OVERLAY_PROP_T_STRING:
        return "string";
    }
    return "unknown";
}

std::string format_value(uint32_t type, const uint8_t* buf, uint32_t size) {
    if (size == 0)
        return "";
    switch (type) {
    case OVERLAY_PROP_T_UINT: {
        uint64_t v = 0;
        std::memcpy(&v, buf, std::min<size_t>(size, sizeof(v)));
        return std::to_string(v);
    }
    case OVERLAY_PROP_T_IP:
        return size == 16 ? ip_text(buf) : "";
    case OVERLAY_PROP_T_STRING:
        return std::string(reinterpret_cast<const char*>(buf),
                           strnlen(reinterpret_cast<const char*>(buf), size));
    }
    return "";
}

template <size_t N>
void copy_name(char (&dst)[N], const std::string& s) {
    std::snprintf(dst, N, "%s", s.c_str());
}

} // namespace

std::string ip_text(const uint8_t ip[16]) {
    return ov::addr_format(ip);
}

bool ip_parse(const std::string& s, uint8_t ip[16]) {
    return ov_addr_parse_n(s.data(), s.size(), ip, nullptr) == 0;
}

Kernel::Kernel(const std::string& dev) {
    fd_ = open(dev.c_str(), O_RDWR | O_CLOEXEC);
    if (fd_ < 0 && errno == ENOENT && dev == "/dev/overlay") {
        /* No devtmpfs node (a bare initramfs): make it from sysfs. */
        if (FILE* f = std::fopen("/sys/class/misc/overlay/dev", "r")) {
            unsigned maj, min;
            if (std::fscanf(f, "%u:%u", &maj, &min) == 2)
                mknod(dev.c_str(), S_IFCHR | 0600, makedev(maj, min));
            std::fclose(f);
            fd_ = open(dev.c_str(), O_RDWR | O_CLOEXEC);
        }
    }
    if (fd_ < 0) {
        int e = errno;
        throw KernelError(e, "cannot open " + dev + ": " + std::strerror(e) +
                                 (e == ENOENT ? " (is ovnet.ko loaded? modprobe ovnet)" : ""));
    }
}

Kernel::~Kernel() {
    if (fd_ >= 0)
        close(fd_);
}

void Kernel::ioc(unsigned long cmd, void* arg, const std::string& what) {
    if (ioctl(fd_, cmd, arg) == 0)
        return;
    int e = errno;
    throw KernelError(e, what + ": " + std::strerror(e));
}

KLink Kernel::create(const std::string& name) {
    overlay_ioc_create c{};
    copy_name(c.oic_name, name);
    if (ioctl(fd_, OVERLAY_IOC_CREATE, &c) != 0) {
        int e = errno;
        if (e == EEXIST)
            throw KernelError(e, "name \"" + name + "\" is taken (a link of that name exists)");
        if (e == EINVAL)
            throw KernelError(e, "\"" + name + "\" is not a valid link name");
        throw KernelError(e, "cannot create " + name + ": " + std::strerror(e));
    }
    return KLink{c.oic_linkid, c.oic_ifindex, c.oic_name};
}

void Kernel::destroy(uint32_t linkid) {
    overlay_ioc_link l{};
    l.oil_linkid = linkid;
    ioc(OVERLAY_IOC_DELETE, &l, "delete link " + std::to_string(linkid));
}

void Kernel::activate(uint32_t linkid) {
    overlay_ioc_link l{};
    l.oil_linkid = linkid;
    if (ioctl(fd_, OVERLAY_IOC_ACTIVATE, &l) == 0)
        return;
    int e = errno;
    /* The kernel's STATUS message names the problem (a missing property...). */
    std::string msg;
    try {
        msg = status(linkid).message;
    } catch (const KernelError&) {
    }
    throw KernelError(e, "cannot activate: " + (msg.empty() ? std::string(std::strerror(e)) : msg));
}

KStatus Kernel::status(uint32_t linkid) {
    overlay_ioc_status s{};
    s.oisc_linkid = linkid;
    ioc(OVERLAY_IOC_STATUS, &s, "status of link " + std::to_string(linkid));
    s.oisc_message[OVERLAY_MSGLEN - 1] = '\0';
    return KStatus{s.oisc_state, s.oisc_ifindex, s.oisc_dest_mode, s.oisc_message};
}

static KProp prop_of(const overlay_ioc_propinfo& pi) {
    KProp p;
    p.name = std::string(pi.oipi_name, strnlen(pi.oipi_name, sizeof(pi.oipi_name)));
    p.type = type_name(pi.oipi_type);
    p.perm = pi.oipi_perm;
    p.def = format_value(pi.oipi_type, pi.oipi_default,
                         std::min<uint32_t>(pi.oipi_defsize, OVERLAY_PROP_SIZEMAX));
    p.min = pi.oipi_min;
    p.max = pi.oipi_max;
    p.possible = std::string(pi.oipi_possible, strnlen(pi.oipi_possible, sizeof(pi.oipi_possible)));
    return p;
}

KProp Kernel::propinfo(uint32_t linkid, const std::string& name) {
    overlay_ioc_propinfo pi{};
    pi.oipi_linkid = linkid;
    pi.oipi_id = OVERLAY_PROP_BYNAME;
    if (name.size() >= sizeof(pi.oipi_name))
        throw KernelError(ENOENT, "unknown property \"" + name + "\"");
    copy_name(pi.oipi_name, name);
    if (ioctl(fd_, OVERLAY_IOC_PROPINFO, &pi) != 0) {
        int e = errno;
        if (e == ENOENT)
            throw KernelError(e, "unknown property \"" + name + "\"");
        throw KernelError(e, "property " + name + ": " + std::strerror(e));
    }
    KProp p = prop_of(pi);
    if (p.perm & OVERLAY_PROP_PERM_READ)
        p.value = getprop(linkid, name);
    return p;
}

std::vector<KProp> Kernel::props(uint32_t linkid) {
    overlay_ioc_nprops n{};
    n.oin_linkid = linkid;
    ioc(OVERLAY_IOC_NPROPS, &n, "properties of link " + std::to_string(linkid));
    std::vector<KProp> v;
    for (uint32_t i = 0; i < n.oin_nprops; i++) {
        overlay_ioc_propinfo pi{};
        pi.oipi_linkid = linkid;
        pi.oipi_id = i;
        ioc(OVERLAY_IOC_PROPINFO, &pi, "property " + std::to_string(i));
        KProp p = prop_of(pi);
        if (p.perm & OVERLAY_PROP_PERM_READ)
            p.value = getprop(linkid, p.name);
        v.push_back(std::move(p));
    }
    return v;
}

std::string Kernel::getprop(uint32_t linkid, const std::string& name) {
    overlay_ioc_propinfo pi{};
    pi.oipi_linkid = linkid;
    pi.oipi_id = OVERLAY_PROP_BYNAME;
    copy_name(pi.oipi_name, name);
    ioc(OVERLAY_IOC_PROPINFO, &pi, "property " + name);
    overlay_ioc_prop p;
    if (int e = varpd::kernel_getprop(fd_, linkid, name, p); e != 0)
        throw KernelError(e, "get " + name + ": " + std::strerror(e));
    return format_value(pi.oipi_type, p.oip_value,
                        std::min<uint32_t>(p.oip_size, OVERLAY_PROP_SIZEMAX));
}

void Kernel::setprop(uint32_t linkid, const std::string& name, const std::string& value) {
    KProp info = propinfo(linkid, name);
    overlay_ioc_prop p{};
    p.oip_linkid = linkid;
    copy_name(p.oip_name, name);
    const std::string bad = name + ": \"" + value + "\" is not ";
    if (info.type == "uint") {
        char* end = nullptr;
        errno = 0;
        unsigned long long v = std::strtoull(value.c_str(), &end, 10);
        if (value.empty() || value[0] == '-' || *end != '\0' || errno == ERANGE || v < info.min ||
            v > info.max)
            throw KernelError(ERANGE, bad + "a number in " + std::to_string(info.min) + ".." +
                                          std::to_string(info.max));
        uint64_t u = v;
        std::memcpy(p.oip_value, &u, sizeof(u));
        p.oip_size = sizeof(u);
    } else if (info.type == "ip") {
        if (!ip_parse(value, p.oip_value))
            throw KernelError(EINVAL, bad + "an IP address");
        p.oip_size = 16;
    } else {
        if (value.empty() || value.size() >= OVERLAY_PROP_SIZEMAX)
            throw KernelError(EINVAL, bad + "a string of 1.." +
                                          std::to_string(OVERLAY_PROP_SIZEMAX - 1) + " bytes");
        std::memcpy(p.oip_value, value.data(), value.size());
        p.oip_size = static_cast<uint32_t>(value.size() + 1);
    }
    if (ioctl(fd_, OVERLAY_IOC_SETPROP, &p) == 0)
        return;
    int e = errno;
    switch (e) {
    case ERANGE:
        if (!info.possible.empty())
            throw KernelError(e, bad + "one of " + info.possible);
        throw KernelError(e, bad + "in range");
    case EINVAL:
        throw KernelError(e, bad + "a usable " + info.type + " value");
    case EBUSY:
        throw KernelError(e, name + " cannot change while the overlay is active");
    }
    throw KernelError(e, "set " + name + ": " + std::strerror(e));
}

namespace {

/* Names and ifindexes of this namespace's links of kind "overlay". */
std::map<uint32_t, std::string> overlay_ifaces() {
    int s = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    if (s < 0)
        throw KernelError(errno, std::string("netlink socket: ") + std::strerror(errno));
    struct {
        nlmsghdr nh;
        ifinfomsg ifi;
    } req{};
    req.nh.nlmsg_len = sizeof(req);
    req.nh.nlmsg_type = RTM_GETLINK;
    req.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
    req.nh.nlmsg_seq = 1;
    req.ifi.ifi_family = AF_UNSPEC;
    std::map<uint32_t, std::string> out;
    if (send(s, &req, sizeof(req), 0) < 0) {
        int e = errno;
        close(s);
        throw KernelError(e, std::string("netlink: ") + std::strerror(e));
    }
    std::vector<char> buf(64 * 1024);
    bool done = false;
    while (!done) {
        ssize_t n = recv(s, buf.data(), buf.size(), 0);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            int e = errno;
            close(s);
            throw KernelError(e, std::string("netlink: ") + std::strerror(e));
        }
        int len = static_cast<int>(n);
        for (auto* nh = reinterpret_cast<nlmsghdr*>(buf.data()); NLMSG_OK(nh, len);
             nh = NLMSG_NEXT(nh, len)) {
            if (nh->nlmsg_type == NLMSG_DONE || nh->nlmsg_type == NLMSG_ERROR) {
                done = true;
                break;
            }
            if (nh->nlmsg_type != RTM_NEWLINK)
                continue;
            auto* ifi = static_cast<ifinfomsg*>(NLMSG_DATA(nh));
            int alen = static_cast<int>(IFLA_PAYLOAD(nh));
            std::string name, kind;
            for (auto* a = IFLA_RTA(ifi); RTA_OK(a, alen); a = RTA_NEXT(a, alen)) {
                if (a->rta_type == IFLA_IFNAME)
                    name.assign(static_cast<const char*>(RTA_DATA(a)),
                                strnlen(static_cast<const char*>(RTA_DATA(a)), RTA_PAYLOAD(a)));
                if (a->rta_type == IFLA_LINKINFO) {
                    int ilen = static_cast<int>(RTA_PAYLOAD(a));
                    for (auto* b = static_cast<rtattr*>(RTA_DATA(a)); RTA_OK(b, ilen);
                         b = RTA_NEXT(b, ilen))
                        if (b->rta_type == IFLA_INFO_KIND)
                            kind.assign(
                                static_cast<const char*>(RTA_DATA(b)),
                                strnlen(static_cast<const char*>(RTA_DATA(b)), RTA_PAYLOAD(b)));
                }
            }
            if (kind == OVERLAY_LINK_KIND)
                out[static_cast<uint32_t>(ifi->ifi_index)] = name;
        }
    }
    close(s);
    return out;
}

} // namespace

std::vector<KLink> Kernel::links() {
    auto ifaces = overlay_ifaces();
    std::vector<KLink> v;
    /*
     * Link ids are allocated lowest first and are global; STATUS answers
     * only for this namespace's devices. Scan until each interface is found.
     */
    constexpr uint32_t scan_max = 1u << 16;
    for (uint32_t id = 1; id < scan_max && v.size() < ifaces.size(); id++) {
        overlay_ioc_status st{};
        st.oisc_linkid = id;
        if (ioctl(fd_, OVERLAY_IOC_STATUS, &st) != 0)
            continue;
        auto it = ifaces.find(st.oisc_ifindex);
        if (it != ifaces.end())
            v.push_back(KLink{id, st.oisc_ifindex, it->second});
    }
    std::sort(v.begin(), v.end(), [](const KLink& a, const KLink& b) { return a.name < b.name; });
    return v;
}

namespace {

struct IfSock {
    int fd;
    IfSock() : fd(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) {
        if (fd < 0)
            throw KernelError(errno, std::string("socket: ") + std::strerror(errno));
    }
    ~IfSock() { close(fd); }
    IfSock(const IfSock&) = delete;
    IfSock& operator=(const IfSock&) = delete;
};

} // namespace

void Kernel::set_mac(const std::string& ifname, const std::string& mac) {
    ov_ether_addr_t a;
    ov_error_t err;
    if (ov::ethers_parse(mac, &a, &err) != 0)
        throw KernelError(EINVAL, "mac: malformed MAC \"" + mac + "\": " + err.reason);
    ifreq ifr{};
    std::snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname.c_str());
    ifr.ifr_hwaddr.sa_family = ARPHRD_ETHER;
    std::memcpy(ifr.ifr_hwaddr.sa_data, a.octet, OV_ETHER_ADDR_LEN);
    IfSock s;
    if (ioctl(s.fd, SIOCSIFHWADDR, &ifr) == 0)
        return;
    int e = errno;
    if (e == EBUSY)
        throw KernelError(e, "mac cannot change while " + ifname + " is up (ip link set " + ifname +
                                 " down first)");
    if (e == EADDRNOTAVAIL || e == EINVAL)
        throw KernelError(e, "mac: \"" + mac + "\" is not a unicast Ethernet address");
    throw KernelError(e, "mac: " + std::string(std::strerror(e)));
}

std::string Kernel::get_mac(const std::string& ifname) {
    ifreq ifr{};
    std::snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname.c_str());
    IfSock s;
    if (ioctl(s.fd, SIOCGIFHWADDR, &ifr) != 0)
        throw KernelError(errno, ifname + ": mac: " + std::strerror(errno));
    ov_ether_addr_t a;
    std::memcpy(a.octet, ifr.ifr_hwaddr.sa_data, OV_ETHER_ADDR_LEN);
    return ov::ethers_format(a);
}

std::optional<KLink> Kernel::find(const std::string& name) {
    for (auto& l : links())
        if (l.name == name)
            return l;
    return std::nullopt;
}

} // namespace overlayadm
