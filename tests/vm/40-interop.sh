#!/bin/sh
# Interop with Linux's own tunnels: our overlay device in host a, Linux's in
# host b, over an IPv4 and an IPv6 underlay: ping both ways and a TCP
# transfer (iperf3, 4 MB) each way.
#   40-interop.sh [vxlan]   Linux vxlan, same VNI, port 4789
#   40-interop.sh nvgre     Linux gretap / ip6gretap with key VSID<<8 (NVGRE
#                           framing); our side sends FlowID 0
#                           (nvgre/flowid=0) as gretap matches the whole key
# 41-interop-nvgre.sh runs the second, so each is its own VM test.
# vm-timeout: 300
. "$OVERLAY_TESTS/lib.sh"
ov_need_ovnet
encap=${1:-vxlan}
case "$encap" in
vxlan) ov_modprobe vxlan ovnet ;;
nvgre) ov_modprobe ip_gre ip6_gre ovnet ;;
*) ov_fail "unknown encapsulation $encap" ;;
esac

ov_host a b
ov_link a b 192.0.2.1/24 192.0.2.2/24 2001:db8::1/64 2001:db8::2/64
ov_wait_addr a 2001:db8::1
ov_wait_addr b 2001:db8::2

# tcp HOST_FROM HOST_TO ADDR_TO: 4 MB over TCP
tcp() {
	ov_bg "$2" iperf3 -s -1 -B "$3" >/dev/null 2>&1
	ov_wait "$1" 5 sh -c "iperf3 -c $3 -n 4M >/tmp/iperf.$$ 2>&1"
	grep -q receiver /tmp/iperf.$$ || { cat /tmp/iperf.$$; ov_fail "TCP $1 -> $2"; }
	grep receiver /tmp/iperf.$$ | sed "s/^/# $1->$2 /"
	rm -f /tmp/iperf.$$
}

# interop NAME VNETID LOCAL_A LOCAL_B NET
interop() {
	name=$1 vni=$2 la=$3 lb=$4 net=$5
	if [ "$encap" = vxlan ]; then
		ov_in a ovctl up "$name" vxlan "$vni" "$la" "$lb" >/dev/null ||
			ov_fail "ovctl up $name"
		peer="vxlan id $vni dstport 4789"
	else
		ov_in a ovctl up "$name" nvgre "$vni" "$la" "$lb" nvgre/flowid=0 >/dev/null ||
			ov_fail "ovctl up $name"
		case "$la" in
		*:*) peer="ip6gretap key $((vni << 8))" ;;
		*) peer="gretap key $((vni << 8))" ;;
		esac
	fi
	ov_in b ip link add "$name" type $peer local "$lb" remote "$la" ||
		ov_fail "linux $peer in b"
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
	tcp a b "10.$net.0.2"
	tcp b a "10.$net.0.1"
	echo "interop: overlay $encap <-> linux $peer, underlay $la: ping and TCP both ways"
}

interop ov4 4096 192.0.2.1 192.0.2.2 1
interop ov6 4097 2001:db8::1 2001:db8::2 2
