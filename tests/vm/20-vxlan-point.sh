#!/bin/sh
# VXLAN point mode: two namespace hosts, each with one overlay device whose
# single destination is the other host, carry IPv4 and IPv6 tenant traffic
# both ways, over an IPv4 and then an IPv6 underlay. The underlay really
# carries UDP/4789 with the right VNI (checked with the devices' counters
# and the underlay veth's), and a device with another VNI on the same
# endpoint receives nothing.
#
# How to bring up a point-mode device (also in overlay(7)):
#   ovctl up ov0 vxlan 42 192.0.2.1 192.0.2.2    # NAME ENCAP VNETID LISTEN DEST
#   ip link set ov0 up; ip addr add 10.1.0.1/24 dev ov0
. "$OVERLAY_TESTS/lib.sh"
ov_need_overlay
ov_modprobe overlay

ov_host a b
ov_link a b 192.0.2.1/24 192.0.2.2/24 2001:db8::1/64 2001:db8::2/64
ov_wait_addr a 2001:db8::1
ov_wait_addr b 2001:db8::2

# pair NAME VNI LISTEN_A LISTEN_B NET: an overlay device in a and in b
pair() {
	name=$1 vni=$2 la=$3 lb=$4 net=$5
	ida=$(ov_in a ovctl up "$name" vxlan "$vni" "$la" "$lb") ||
		ov_fail "ovctl up $name in a"
	idb=$(ov_in b ovctl up "$name" vxlan "$vni" "$lb" "$la") ||
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
	ov_in a ovctl status "$ida" | sed "s/^/# a $name: /" | grep -v ' 0$'
	echo "vxlan: $name (VNI $vni, underlay $la) carries IPv4 and IPv6 both ways"
}

pair ov4 42 192.0.2.1 192.0.2.2 1
pair ov6 43 2001:db8::1 2001:db8::2 2

# A third device in b, VNI 44 on the same IPv4 endpoint, shares the socket
# and sees none of VNI 42's traffic.
id44=$(ov_in b ovctl up ov44 vxlan 44 192.0.2.2 192.0.2.1) || ov_fail "ov44"
ov_in b ip link set ov44 up
ov_ping a 10.1.0.2
[ "$(ov_in b ovctl status "$id44" dev.rx_packets)" = 0 ] ||
	ov_fail "VNI 44 device received VNI 42 frames"

# ov4 and ov44 share one IPv4 socket on port 4789 (and ov6 has the IPv6 one).
n=$(ov_in b cat /proc/net/udp | grep -c ':12B5 ')
[ "$n" = 1 ] || ov_fail "$n IPv4 UDP sockets on port 4789 in b, want 1 shared"

# The outer packets are UDP to port 4789 on the underlay.
ov_in b cat /proc/net/udp | grep -q ':12B5 ' || ov_fail "no UDP socket on port 4789 in b"
ov_in b cat /proc/net/udp6 | grep -q ':12B5 ' || ov_fail "no UDP6 socket on port 4789 in b"

# Deleting devices closes the shared socket with the last one.
ov_in b ip link del ov4
ov_in b cat /proc/net/udp | grep -q ':12B5 ' || ov_fail "socket closed while ov44 still uses it"
ov_in b ip link del ov44
ov_in b cat /proc/net/udp | grep -q ':12B5 ' && ov_fail "socket left open after the last device went"
echo "vxlan: point mode over IPv4 and IPv6 underlays"
