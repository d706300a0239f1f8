/*
 * etcd_layout - where the etcd backend keeps a vnet's mappings in etcd's
 * key space, and what the values hold (documented in varpd-etcd(7)):
 *
 *	<prefix>/vnet/<vnetid>/mac/<mac>  {"ip":"192.0.2.10","port":4789,
 *	                                   "arp":"10.0.0.1","ndp":"fd00::1",
 *	                                   "dhcp-proxy":"de:ad:be:ef:00:99"}
 *	<prefix>/vnet/<vnetid>/ip/<addr>  {"mac":"de:ad:be:ef:00:01"}
 *	<prefix>/vnet/<vnetid>/intent     {"id":"...","state":"staged"|"committed",...}
 *	<prefix>/staging/<vnetid>/<id>/<n> [{"k":"<key>","v":"<value>"},...]
 *	<prefix>/fence/<vnetid>/<id>       {}
 *
 * vnetid in decimal, the MAC canonical (lower case, two digits per octet,
 * so key order is MAC order), addr as inet_ntop writes it (IPv4 dotted,
 * IPv6 compressed). A mac/ value has the members of overlay_files(5) and
 * is checked by the files backend's own parser (files_table.h), so the two
 * backends accept exactly the same entries. The ip/ keys index the "arp"
 * and "ndp" members for proxy ARP/NDP; the plugin writes them in the same
 * transaction as the mac/ key.
 *
 * Pure functions, no state, no locking; every refusal says why.
 */
#ifndef VARPD_ETCD_LAYOUT_H
#define VARPD_ETCD_LAYOUT_H

#include "files_table.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <varpd/plugin.h>

namespace etcd_layout {

using files::Ip6;
using files::Mac;

struct Layout {
    std::string prefix; /* normalised: no trailing '/' */
    uint32_t vnet = 0;

    std::string vnet_dir() const { return prefix + "/vnet/" + std::to_string(vnet) + "/"; }
    std::string mac_dir() const { return vnet_dir() + "mac/"; }
    /* A change of more keys than one txn holds (etcd_write.cpp): the
       vnet's one intent record, its staged chunks (outside the vnet's
       directory, so the watch does not carry them), and the fences of
       one-txn commits. */
    std::string intent_key() const { return vnet_dir() + "intent"; }
    std::string staging_root() const { return prefix + "/staging/" + std::to_string(vnet) + "/"; }
    std::string staging_dir(const std::string& id) const { return staging_root() + id + "/"; }
    std::string fence_key(const std::string& id) const {
        return prefix + "/fence/" + std::to_string(vnet) + "/" + id;
    }
    std::string mac_key(const uint8_t* mac) const;
    std::string ip_key(const Ip6& addr) const;
};

/* "" and out normalised, or why the prefix is refused. */
std::string normalise_prefix(const std::string& in, std::string& out);

enum class Kind { other, mac, ip };
/*
 * What a key under the vnet names: a MAC, an address, or neither. Only the
 * canonical spelling counts (the one mac_key/ip_key write, which lookups
 * read): "DE:AD:..." or "fd00:0::1" name nothing.
 */
Kind classify(const Layout& l, std::string_view key, Mac& mac, Ip6& addr);

std::string mac_text(const uint8_t* mac);
/* IPv4-mapped addresses as dotted IPv4, others as IPv6. */
std::string addr_text(const Ip6& a);
Ip6 mapped4(const uint8_t ip4[4]);

/* "" and e filled, or why the value of mac's key is refused. */
std::string decode_mac_value(const Mac& mac, std::string_view value, files::Entry& e);
/* "" and mac filled, or why the value of an ip/ key is refused. */
std::string decode_ip_value(std::string_view value, Mac& mac);

std::string encode_mac_value(const varpd_mapping_t& m);
std::string encode_ip_value(const uint8_t* mac);

/* A mapping as the files entry it would read back as (and the reverse). */
files::Entry entry_of(const varpd_mapping_t& m);
void mapping_of(const files::Entry& e, varpd_mapping_t& m);

/* "" or why a mapping handed to vpo_map_put is refused. */
std::string check_mapping(const varpd_mapping_t& m);

} // namespace etcd_layout

#endif
