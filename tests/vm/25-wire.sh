#!/bin/sh
# The bytes on the wire. Host b runs plain receivers (a UDP socket on 4789,
# a raw GRE socket) instead of tunnel devices, and host a's overlay devices
# send eight inner flows (pings to eight neighbours with static MACs):
#  - VXLAN: flags exactly I (0x08), the VNI, UDP source ports inside the
#    namespace's local port range and spread by the inner flow (more than
#    one port over the eight flows);
#  - NVGRE: GRE flags exactly K (0x2000), protocol 0x6558, the VSID, the
#    FlowID spread by the inner flow; with nvgre/flowid=0 the FlowID is 0
#    (here over an IPv6 underlay).
. "$OVERLAY_TESTS/lib.sh"
ov_need_ovnet
ov_modprobe ovnet

ov_host a b
ov_link a b 192.0.2.1/24 192.0.2.2/24 2001:db8::1/64 2001:db8::2/64
ov_wait_addr a 2001:db8::1
ov_wait_addr b 2001:db8::2

# dev NAME NET: bring NAME up in a with 10.NET.0.1, no IPv6 chatter, and
# static neighbours 10.NET.0.2-9
dev() {
	ov_in a sh -c "echo 1 >/proc/sys/net/ipv6/conf/$1/disable_ipv6" ||
		ov_fail "disable IPv6 on $1"
	ov_in a ip link set "$1" up
	ov_in a ip addr add "10.$2.0.1/24" dev "$1"
	for x in 2 3 4 5 6 7 8 9; do
		ov_in a ip neigh add "10.$2.0.$x" lladdr "02:00:00:00:0$2:0$x" \
			dev "$1" nud permanent || ov_fail "neighbour 10.$2.0.$x"
	done
}

# capture FILE N RECV-ARGS... ; then send 8 flows to 10.NET.0.2-9
capture() {
	file=$1 n=$2 net=$3
	shift 3
	ov_bg b sh -c "ovctl $* >$file 2>&1"
	ov_wait a 5 grep -q ready "$file"
	for x in 2 3 4 5 6 7 8 9; do
		ov_in a ping -c 1 -W 1 "10.$net.0.$x" >/dev/null 2>&1
	done
	tries=50
	while [ "$(grep -vc ready "$file")" -lt "$n" ] && [ $tries -gt 0 ]; do
		sleep 0.2
		tries=$((tries - 1))
	done
	sed 's/^/# /' "$file"
	[ "$(grep -vc ready "$file")" -ge "$n" ] || ov_fail "captured fewer than $n packets"
}

distinct() { grep -v ready "$1" | awk -v f="$2" '{ for (i = 1; i < NF; i++) if ($i == f) print $(i + 1) }' | sort -u | wc -l; }

# VXLAN over IPv4.
ov_in a ovctl up vx0 vxlan 42 192.0.2.1 192.0.2.2 >/dev/null || ov_fail "vx0"
dev vx0 1
capture /tmp/wire.vx 8 1 recv-udp 192.0.2.2 4789 8
grep -v ready /tmp/wire.vx | grep -vq '^sport [0-9]* flags 0x08 vni 42 ' &&
	ov_fail "a VXLAN packet without flags 0x08 and VNI 42"
set -- $(ov_in a cat /proc/sys/net/ipv4/ip_local_port_range)
lo=$1 hi=$2
for p in $(grep -v ready /tmp/wire.vx | awk '{ print $2 }'); do
	[ "$p" -ge "$lo" ] && [ "$p" -le "$hi" ] || ov_fail "source port $p outside $lo-$hi"
done
n=$(distinct /tmp/wire.vx sport)
[ "$n" -ge 2 ] || ov_fail "8 inner flows used only $n UDP source port(s)"
echo "wire: VXLAN flags I, VNI 42, $n source ports in $lo-$hi for 8 flows"

# NVGRE over IPv4, FlowID from the flow hash.
ov_in a ovctl up nv0 nvgre 7 192.0.2.1 192.0.2.2 >/dev/null || ov_fail "nv0"
dev nv0 2
capture /tmp/wire.nv 8 2 recv-gre 192.0.2.2 8
grep -v ready /tmp/wire.nv | grep -vq '^flags 0x2000 proto 0x6558 vsid 7 ' &&
	ov_fail "a GRE packet that is not K-only, 0x6558, VSID 7"
n=$(distinct /tmp/wire.nv flowid)
[ "$n" -ge 2 ] || ov_fail "8 inner flows used only $n FlowID(s)"
echo "wire: NVGRE flags K, protocol 0x6558, VSID 7, $n FlowIDs for 8 flows"

# NVGRE over IPv6 with nvgre/flowid=0.
ov_in a ovctl up nv1 nvgre 8 2001:db8::1 2001:db8::2 nvgre/flowid=0 >/dev/null || ov_fail "nv1"
dev nv1 3
capture /tmp/wire.nv6 8 3 recv-gre 2001:db8::2 8
grep -v ready /tmp/wire.nv6 | grep -vq '^flags 0x2000 proto 0x6558 vsid 8 flowid 0 ' &&
	ov_fail "an NVGRE packet with a FlowID although nvgre/flowid=0"
echo "wire: NVGRE over IPv6 with nvgre/flowid=0 sends FlowID 0"
