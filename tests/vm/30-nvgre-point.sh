#!/bin/sh
# NVGRE point mode: two namespace hosts carry IPv4 and IPv6 tenant traffic
# both ways through our nvgre devices over an IPv4 and an IPv6 underlay --
# with ip_gre and ip6_gre loaded, which hold GRE version 0 in gre_demux --
# while a plain Linux GRE tunnel (IPv4 in GRE, no key) between the same
# underlay addresses keeps working: the module takes only NVGRE-shaped GRE.
. "$OVERLAY_TESTS/lib.sh"
ov_need_overlay
ov_modprobe ip_gre ip6_gre overlay

ov_host a b
ov_link a b 192.0.2.1/24 192.0.2.2/24 2001:db8::1/64 2001:db8::2/64
ov_wait_addr a 2001:db8::1
ov_wait_addr b 2001:db8::2

pair() {
	name=$1 vsid=$2 la=$3 lb=$4 net=$5
	ida=$(ov_in a ovctl up "$name" nvgre "$vsid" "$la" "$lb") ||
		ov_fail "ovctl up $name in a"
	idb=$(ov_in b ovctl up "$name" nvgre "$vsid" "$lb" "$la") ||
		ov_fail "ovctl up $name in b"
	for h in a b; do
		ov_in "$h" ip link set "$name" up
	done
	ov_in a ip addr add "10.$net.0.1/24" dev "$name"
	ov_in b ip addr add "10.$net.0.2/24" dev "$name"
	ov_in a ip addr add "fd00:$net::1/64" dev "$name" nodad
	ov_in b ip addr add "fd00:$net::2/64" dev "$name" nodad
	ov_ping a "10.$net.0.2"
	ov_ping b "10.$net.0.1"
	ov_ping a "fd00:$net::2"
	ov_ping b "fd00:$net::1"
	rx=$(ov_in b ovctl status "$idb" dev.rx_packets)
	[ "$rx" -ge 6 ] || ov_fail "$name in b counted only $rx received packets"
	echo "nvgre: $name (VSID $vsid, underlay $la) carries IPv4 and IPv6 both ways"
}

pair nv4 5000 192.0.2.1 192.0.2.2 1
pair nv6 5001 2001:db8::1 2001:db8::2 2

# Plain GRE between the same addresses still reaches ip_gre.
ov_in a ip link add gre1 type gre local 192.0.2.1 remote 192.0.2.2 || ov_fail "gre1 in a"
ov_in b ip link add gre1 type gre local 192.0.2.2 remote 192.0.2.1 || ov_fail "gre1 in b"
ov_in a ip link set gre1 up
ov_in b ip link set gre1 up
ov_in a ip addr add 10.9.0.1/24 dev gre1
ov_in b ip addr add 10.9.0.2/24 dev gre1
ov_ping a 10.9.0.2
ov_ping a 10.1.0.2
echo "nvgre: plain GRE (ip_gre) and NVGRE (overlay) share the underlay address"

# Unloading ip_gre under us changes nothing.
ov_in a ip link del gre1
ov_in b ip link del gre1
rmmod ip_gre 2>/dev/null && ov_log "ip_gre unloaded"
ov_ping a 10.1.0.2
echo "nvgre: point mode over IPv4 and IPv6 underlays, with and without ip_gre"
