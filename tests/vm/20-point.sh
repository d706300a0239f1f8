#!/bin/sh
# Point mode, VXLAN and NVGRE: two namespace hosts, each with one overlay
# device whose single destination is the other host, carry IPv4 and IPv6
# tenant traffic both ways, over an IPv4 and an IPv6 underlay, with ip_gre
# and ip6_gre loaded (they hold GRE version 0 in gre_demux). Then: devices
# with another vnetid on the same endpoint share its one socket and see none
# of the traffic; a plain Linux GRE tunnel between the same addresses still
# works, as does a gretap with a key none of our devices has (the module
# takes only NVGRE-shaped GRE with its own VSIDs); NVGRE survives ip_gre's
# unloading; the shared socket closes with its last device; a device moved
# to another namespace keeps its underlay where it was created, and goes
# away with that namespace.
#
# How to bring up a point-mode device (also in overlay(7)):
#   ovctl up ov0 vxlan 42 192.0.2.1 192.0.2.2    # NAME ENCAP VNETID LISTEN DEST
#   ip link set ov0 up; ip addr add 10.1.0.1/24 dev ov0
. "$OVERLAY_TESTS/lib.sh"
ov_need_ovnet
ov_modprobe ip_gre ip6_gre ovnet

ov_host a b
ov_link a b 192.0.2.1/24 192.0.2.2/24 2001:db8::1/64 2001:db8::2/64
ov_wait_addr a 2001:db8::1
ov_wait_addr b 2001:db8::2

# pair NAME ENCAP VNETID LISTEN_A LISTEN_B NET: a device in a and one in b
pair() {
	name=$1 encap=$2 vni=$3 la=$4 lb=$5 net=$6
	ida=$(ov_in a ovctl up "$name" "$encap" "$vni" "$la" "$lb") ||
		ov_fail "ovctl up $name in a"
	idb=$(ov_in b ovctl up "$name" "$encap" "$vni" "$lb" "$la") ||
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
	tx=$(ov_in a ovctl status "$ida" dev.tx_packets)
	[ "$rx" -ge 6 ] || ov_fail "$name in b counted only $rx received packets"
	[ "$tx" -ge 6 ] || ov_fail "$name in a counted only $tx sent packets"
	ov_in a ovctl status "$ida" | grep -v ' 0$' | sed "s/^/# a $name: /"
	echo "point: $name ($encap $vni, underlay $la) carries IPv4 and IPv6 both ways"
}

pair vx4 vxlan 42 192.0.2.1 192.0.2.2 1
pair vx6 vxlan 43 2001:db8::1 2001:db8::2 2
pair nv4 nvgre 5000 192.0.2.1 192.0.2.2 3
pair nv6 nvgre 5001 2001:db8::1 2001:db8::2 4

# Another vnetid on each endpoint in b: shares the endpoint, sees nothing.
id44=$(ov_in b ovctl up vx44 vxlan 44 192.0.2.2 192.0.2.1) || ov_fail "vx44"
id5002=$(ov_in b ovctl up nv5002 nvgre 5002 192.0.2.2 192.0.2.1) || ov_fail "nv5002"
ov_in b ip link set vx44 up
ov_in b ip link set nv5002 up
ov_ping a 10.1.0.2
ov_ping a 10.3.0.2
[ "$(ov_in b ovctl status "$id44" dev.rx_packets)" = 0 ] ||
	ov_fail "VNI 44 device received VNI 42 frames"
[ "$(ov_in b ovctl status "$id5002" dev.rx_packets)" = 0 ] ||
	ov_fail "VSID 5002 device received VSID 5000 frames"
n=$(ov_in b cat /proc/net/udp | grep -c ':12B5 ')
[ "$n" = 1 ] || ov_fail "$n IPv4 UDP sockets on port 4789 in b, want 1 shared"
ov_in b cat /proc/net/udp6 | grep -q ':12B5 ' || ov_fail "no UDP6 socket on port 4789 in b"
echo "point: devices share an endpoint and see only their own vnetid"

# Plain GRE between the same addresses still reaches ip_gre.
ov_in a ip link add gre1 type gre local 192.0.2.1 remote 192.0.2.2 || ov_fail "gre1 in a"
ov_in b ip link add gre1 type gre local 192.0.2.2 remote 192.0.2.1 || ov_fail "gre1 in b"
ov_in a ip link set gre1 up
ov_in b ip link set gre1 up
ov_in a ip addr add 10.9.0.1/24 dev gre1
ov_in b ip addr add 10.9.0.2/24 dev gre1
ov_ping a 10.9.0.2
ov_ping a 10.3.0.2
echo "point: plain GRE (ip_gre) and NVGRE (overlay) share the underlay address"
# So does a gretap whose key is a VSID none of our devices has.
ov_in a ip link add gt1 type gretap key 1024 local 192.0.2.1 remote 192.0.2.2 || ov_fail "gt1 in a"
ov_in b ip link add gt1 type gretap key 1024 local 192.0.2.2 remote 192.0.2.1 || ov_fail "gt1 in b"
ov_in a ip link set gt1 up
ov_in b ip link set gt1 up
ov_in a ip addr add 10.8.0.1/24 dev gt1
ov_in b ip addr add 10.8.0.2/24 dev gt1
ov_ping a 10.8.0.2
ov_ping a 10.3.0.2
echo "point: gretap key 1024 (VSID 4) and our NVGRE VSID 5000 share the underlay address"
ov_in a ip link del gt1
ov_in b ip link del gt1
ov_in a ip link del gre1
ov_in b ip link del gre1
rmmod ip_gre 2>/dev/null && ov_log "ip_gre unloaded"
ov_ping a 10.3.0.2
echo "point: NVGRE works with and without ip_gre"

# The shared socket closes with the last device on it.
ov_in b ip link del vx4
ov_in b cat /proc/net/udp | grep -q ':12B5 ' || ov_fail "socket closed while vx44 still uses it"
ov_in b ip link del vx44
ov_in b cat /proc/net/udp | grep -q ':12B5 ' && ov_fail "socket left open after the last device went"
echo "point: VXLAN and NVGRE over IPv4 and IPv6 underlays"

# Moved: created in b (its underlay stays in b), then moved to c.
ov_host c
for enc in vxlan:42:1 nvgre:5001:4; do
	e=${enc%%:*} rest=${enc#*:}
	vni=${rest%%:*} net=${rest#*:}
	case $e in
	vxlan) la=192.0.2.1 lb=192.0.2.2 old=vx4 ;;
	nvgre) la=2001:db8::1 lb=2001:db8::2 old=nv6 ;;
	esac
	ov_in b ip link del "$old" 2>/dev/null
	ov_in b ovctl up mv$e "$e" "$vni" "$lb" "$la" >/dev/null || ov_fail "mv$e in b"
	ov_in b ip link set mv$e netns c || ov_fail "move mv$e to c"
	ov_in c ip link set mv$e up
	ov_in c ip addr add "10.$net.0.2/24" dev mv$e
	ov_in c ip addr add "fd00:$net::2/64" dev mv$e nodad
	# a still has the MAC of the device this one replaces in its caches.
	ov_in a ip neigh flush all
	ov_ping a "10.$net.0.2"
	ov_ping a "fd00:$net::2"
	ov_in c ovctl status mv$e >/dev/null || ov_fail "c cannot see mv$e by its ioctls"
	echo "point: $e device moved to another namespace carries traffic, underlay unchanged"
done
ip netns del b
sleep 1
ov_in c ip link show mvvxlan >/dev/null 2>&1 && ov_fail "mvvxlan outlived its underlay namespace"
ov_in c ip link show mvnvgre >/dev/null 2>&1 && ov_fail "mvnvgre outlived its underlay namespace"
echo "point: moved devices go with their underlay namespace"
