/*
 * overlayadm's view of ovnet.ko: the admin ioctls of include/uapi/overlay.h
 * on /dev/overlay (CREATE, DELETE, ACTIVATE, NPROPS, PROPINFO, GETPROP,
 * SETPROP, STATUS) and the list of overlay devices in this network namespace
 * (rtnetlink: links of kind "overlay"; their link ids found through STATUS).
 *
 * Admin ioctls work from any opener of /dev/overlay, so overlayadm may run
 * while varpd holds the device as the dynamic mode's responder. Every
 * failure is a KernelError carrying the errno and one sentence naming what
 * was refused. Property values cross as text, parsed and formatted by the
 * property's type (uint in decimal, ip as an address, string as is).
 */
#ifndef OVERLAYADM_KERNEL_H
#define OVERLAYADM_KERNEL_H

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace overlayadm {

class KernelError : public std::runtime_error {
public:
    KernelError(int err, const std::string& what) : std::runtime_error(what), err_(err) {}
    int err() const { return err_; }

private:
    int err_;
};

struct KProp {
    std::string name, type; /* type: "uint", "ip", "string" */
    uint32_t perm = 0;      /* OVERLAY_PROP_PERM_* */
    std::string value, def;
    uint64_t min = 0, max = 0;
    std::string possible;
};

struct KStatus {
    uint32_t state = 0, ifindex = 0, dest_mode = 0;
    std::string message;
};

struct KLink {
    uint32_t linkid = 0, ifindex = 0;
    std::string name;
};

class Kernel {
public:
    /* Opens the device; throws KernelError (saying whether ovnet.ko is loaded). */
    explicit Kernel(const std::string& dev = "/dev/overlay");
    ~Kernel();
    Kernel(const Kernel&) = delete;
    Kernel& operator=(const Kernel&) = delete;

    KLink create(const std::string& name);
    void destroy(uint32_t linkid);
    void activate(uint32_t linkid);
    KStatus status(uint32_t linkid);
    std::vector<KProp> props(uint32_t linkid);
    KProp propinfo(uint32_t linkid, const std::string& name);
    void setprop(uint32_t linkid, const std::string& name, const std::string& value);
    std::string getprop(uint32_t linkid, const std::string& name);

    /* Every overlay device of this namespace, by name. */
    std::vector<KLink> links();
    std::optional<KLink> find(const std::string& name);

    /*
     * The link's Ethernet address (overlayadm's own property "mac", set
     * through SIOCSIFHWADDR as ip link does): a backend keyed by MAC needs
     * the address its table lists, and `up` must give it back.
     */
    void set_mac(const std::string& ifname, const std::string& mac);
    std::string get_mac(const std::string& ifname);

private:
    void ioc(unsigned long cmd, void* arg, const std::string& what);
    int fd_ = -1;
};

/* Text of an IP address in the uapi's 16-byte form (IPv4-mapped shown as IPv4). */
std::string ip_text(const uint8_t ip[16]);
/* Parse an IPv4 or IPv6 address into the 16-byte form; false if malformed. */
bool ip_parse(const std::string& s, uint8_t ip[16]);

} // namespace overlayadm

#endif
