#!/bin/sh
# Interop: our nvgre device in host a, Linux's gretap / ip6gretap with
# "key VSID<<8" (NVGRE framing, FlowID 0) in host b. Ping and a TCP transfer
# (iperf3, 4 MB each way) over an IPv4 and an IPv6 underlay. Our side sends
# FlowID 0 (nvgre/flowid=0), since gretap matches the whole 32-bit key.
# vm-timeout: 300
. "$OVERLAY_TESTS/lib.sh"
ov_need_overlay
ov_modprobe ip_gre ip6_gre overlay

ov_host a b
ov_link a b 192.0.2.1/24 192.0.2.2/24 2001:db8::1/64 2001:db8::2/64
ov_wait_addr a 2001:db8::1
ov_wait_addr b 2001:db8::2

tcp_both_ways() {
	ov_bg b iperf3 -s -1 -B "$2" >/dev/null 2>&1
	ov_wait a 5 sh -c "iperf3 -c $2 -n 4M >/tmp/iperf.$$ 2>&1"
	grep -q receiver /tmp/iperf.$$ || { cat /tmp/iperf.$$; ov_fail "TCP a->b"; }
	grep receiver /tmp/iperf.$$ | sed 's/^/# a->b /'
	ov_bg a iperf3 -s -1 -B "$1" >/dev/null 2>&1
	ov_wait b 5 sh -c "iperf3 -c $1 -n 4M >/tmp/iperf.$$ 2>&1"
	grep -q receiver /tmp/iperf.$$ || { cat /tmp/iperf.$$; ov_fail "TCP b->a"; }
	grep receiver /tmp/iperf.$$ | sed 's/^/# b->a /'
	rm -f /tmp/iperf.$$
}

# interop NAME VSID LOCAL_A LOCAL_B NET LINUX_TYPE
interop() {
	name=$1 vsid=$2 la=$3 lb=$4 net=$5 type=$6
	ida=$(ov_in a ovctl up "$name" nvgre "$vsid" "$la" "$lb" nvgre/flowid=0) ||
		ov_fail "ovctl up $name"
	ov_in b ip link add "$name" type "$type" key $((vsid << 8)) local "$lb" remote "$la" ||
		ov_fail "linux $type $name in b"
	ov_in a ip link set "$name" mtu 1400 up
	ov_in b ip link set "$name" mtu 1400 up
	ov_in a ip addr add "10.$net.0.1/24" dev "$name"
	ov_in b ip addr add "10.$net.0.2/24" dev "$name"
	ov_in a ip addr add "fd00:$net::1/64" dev "$name" nodad
	ov_in b ip addr add "fd00:$net::2/64" dev "$name" nodad
	ov_ping a "10.$net.0.2"
	ov_ping b "10.$net.0.1"
	ov_ping a "fd00:$net::2"
	ov_ping b "fd00:$net::1"
	tcp_both_ways "10.$net.0.1" "10.$net.0.2"
	echo "interop: overlay nvgre <-> linux $type key $((vsid << 8)), underlay $la: ping and TCP both ways"
}

interop nv4 4096 192.0.2.1 192.0.2.2 1 gretap
interop nv6 4097 2001:db8::1 2001:db8::2 2 ip6gretap
