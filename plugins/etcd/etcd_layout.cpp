// The etcd backend's key layout and values: see etcd_layout.h.
#include "etcd_layout.h"

#include "plugin_util.h"

#include <cstring>
#include <libtools/addr.h>
#include <libtools/ethers.h>
#include <nlohmann/json.hpp>

namespace etcd_layout {

using json = nlohmann::json;

std::string mac_text(const uint8_t* mac) {
    ov_ether_addr_t a;
    std::memcpy(a.octet, mac, 6);
    return ov::ethers_format(a);
}

Ip6 mapped4(const uint8_t ip4[4]) {
    return ov::addr_from_v4(ip4);
}

std::string addr_text(const Ip6& a) {
    return ov::addr_format(a);
}

std::string Layout::mac_key(const uint8_t* mac) const {
    return mac_dir() + mac_text(mac);
}

std::string Layout::ip_key(const Ip6& addr) const {
    return vnet_dir() + "ip/" + addr_text(addr);
}

std::string normalise_prefix(const std::string& in, std::string& out) {
    std::string p = in;
    while (p.size() > 1 && p.back() == '/')
        p.pop_back();
    if (p.empty() || p[0] != '/')
        return "etcd/prefix \"" + in + "\" must start with '/' (e.g. /overlay)";
    if (p == "/")
        p.clear(); /* keys then start "/vnet/" */
    for (char c : p)
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
            return "etcd/prefix \"" + in + "\" has a control character";
    /* UTF-8, as the JSON the keys travel in (a staged change) must be */
    for (size_t i = 0; i < p.size();) {
        unsigned char c = static_cast<unsigned char>(p[i]);
        size_t n = c < 0x80 ? 0 : (c >> 5) == 6 ? 1 : (c >> 4) == 14 ? 2 : (c >> 3) == 30 ? 3 : 4;
        if (n == 4 || i + n >= p.size() + (n ? 0 : 1))
            return "etcd/prefix is not UTF-8 (byte " + std::to_string(i) + ")";
        unsigned char d = n ? static_cast<unsigned char>(p[i + 1]) : 0;
        bool bad = c == 0xc0 || c == 0xc1 || c > 0xf4 || (c == 0xe0 && d < 0xa0) ||
                   (c == 0xed && d >= 0xa0) || (c == 0xf0 && d < 0x90) || (c == 0xf4 && d > 0x8f);
        for (size_t k = 1; k <= n; k++)
            bad = bad || (static_cast<unsigned char>(p[i + k]) >> 6) != 2;
        if (bad) /* overlong, a surrogate, past U+10FFFF, or a broken sequence */
            return "etcd/prefix is not UTF-8 (byte " + std::to_string(i) + ")";
        i += n + 1;
    }
    out = p;
    return "";
}

Kind classify(const Layout& l, std::string_view key, Mac& mac, Ip6& addr) {
    std::string dir = l.vnet_dir();
    if (key.substr(0, dir.size()) != dir)
        return Kind::other;
    key.remove_prefix(dir.size());
    if (key.substr(0, 4) == "mac/") {
        std::string_view t = key.substr(4);
        ov_ether_addr_t a;
        ov_error_t err;
        if (ov_ethers_parse_n(t.data(), t.size(), &a, &err) != 0)
            return Kind::other;
        std::memcpy(mac.data(), a.octet, 6);
        /* Only the canonical spelling is the MAC's key: a lookup reads that one. */
        return mac_text(mac.data()) == t ? Kind::mac : Kind::other;
    }
    if (key.substr(0, 3) == "ip/") {
        std::string_view t = key.substr(3);
        if (!ov::addr_parse(t, addr))
            return Kind::other;
        /* Only the canonical spelling is the address's key, as for MACs. */
        return addr_text(addr) == t ? Kind::ip : Kind::other;
    }
    return Kind::other;
}

std::string decode_mac_value(const Mac& mac, std::string_view value, files::Entry& e) {
    if (value.find_first_not_of(" \t\r\n") == std::string_view::npos)
        return "the value is empty";
    /* One overlay_files(5) entry, checked by the files backend's parser. */
    std::string doc = "{\"" + mac_text(mac.data()) + "\":";
    doc.append(value);
    doc += "\n}";
    files::Table t;
    std::string why = files::parse(doc, t);
    if (!why.empty()) {
        /* The parser names "line 1: "<mac>": "; the key is known here. */
        std::string cut = "\"" + mac_text(mac.data()) + "\": ";
        size_t p = why.find(cut);
        return p == std::string::npos ? why : why.substr(p + cut.size());
    }
    const files::Entry* got = t.find(mac.data());
    if (t.by_mac.size() != 1 || !got)
        return "the value is not one JSON object";
    e = *got;
    return "";
}

std::string decode_ip_value(std::string_view value, Mac& mac) {
    json j = json::parse(value, nullptr, false);
    if (j.is_discarded() || !j.is_object())
        return "the value is not a JSON object";
    if (j.size() != 1 || !j.contains("mac") || !j["mac"].is_string())
        return "the value must be {\"mac\": \"<mac>\"} and nothing else";
    const std::string& s = j["mac"].get_ref<const std::string&>();
    ov_ether_addr_t a;
    ov_error_t err;
    if (ov_ethers_parse(s.c_str(), &a, &err) != 0)
        return "\"mac\": \"" + s + "\" is not a MAC: " + err.reason;
    std::memcpy(mac.data(), a.octet, 6);
    return "";
}

std::string encode_mac_value(const varpd_mapping_t& m) {
    Ip6 ip;
    std::memcpy(ip.data(), m.vm_dest.vd_ip, 16);
    json j = json::object();
    j["ip"] = addr_text(ip);
    if (m.vm_dest.vd_port)
        j["port"] = m.vm_dest.vd_port;
    if (m.vm_flags & VARPD_MAP_F_ARP)
        j["arp"] = addr_text(mapped4(m.vm_arp));
    if (m.vm_flags & VARPD_MAP_F_NDP) {
        Ip6 a;
        std::memcpy(a.data(), m.vm_ndp, 16);
        j["ndp"] = addr_text(a);
    }
    if (m.vm_flags & VARPD_MAP_F_DHCP)
        j["dhcp-proxy"] = mac_text(m.vm_dhcp);
    return j.dump();
}

std::string encode_ip_value(const uint8_t* mac) {
    return json{{"mac", mac_text(mac)}}.dump();
}

files::Entry entry_of(const varpd_mapping_t& m) {
    files::Entry e;
    std::memcpy(e.mac.data(), m.vm_mac, 6);
    std::memcpy(e.ip.data(), m.vm_dest.vd_ip, 16);
    e.port = m.vm_dest.vd_port;
    e.has_arp = m.vm_flags & VARPD_MAP_F_ARP;
    if (e.has_arp)
        std::memcpy(e.arp.data(), m.vm_arp, 4);
    e.has_ndp = m.vm_flags & VARPD_MAP_F_NDP;
    if (e.has_ndp)
        std::memcpy(e.ndp.data(), m.vm_ndp, 16);
    e.has_dhcp = m.vm_flags & VARPD_MAP_F_DHCP;
    if (e.has_dhcp)
        std::memcpy(e.dhcp_proxy.data(), m.vm_dhcp, 6);
    return e;
}

void mapping_of(const files::Entry& e, varpd_mapping_t& m) {
    std::memset(&m, 0, sizeof(m));
    std::memcpy(m.vm_mac, e.mac.data(), 6);
    std::memcpy(m.vm_dest.vd_ip, e.ip.data(), 16);
    m.vm_dest.vd_port = e.port;
    if (e.has_arp) {
        m.vm_flags |= VARPD_MAP_F_ARP;
        std::memcpy(m.vm_arp, e.arp.data(), 4);
    }
    if (e.has_ndp) {
        m.vm_flags |= VARPD_MAP_F_NDP;
        std::memcpy(m.vm_ndp, e.ndp.data(), 16);
    }
    if (e.has_dhcp) {
        m.vm_flags |= VARPD_MAP_F_DHCP;
        std::memcpy(m.vm_dhcp, e.dhcp_proxy.data(), 6);
    }
}

std::string check_mapping(const varpd_mapping_t& m) {
    const char* why = varpd_plugin::mapping_problem(m);
    return why ? "mapping of " + mac_text(m.vm_mac) + ": " + why : "";
}

} // namespace etcd_layout
