#!/bin/sh
# The interop peers the kernel-module tests talk to: Linux's own vxlan and
# gretap-with-key (NVGRE framing) between two network-namespace hosts, over
# an IPv4 and an IPv6 underlay, ping both ways through each tunnel.
# vm-timeout: 240
. "$OVERLAY_TESTS/lib.sh"

ov_modprobe vxlan ip_gre ip6_gre

ov_host a b
ov_link a b 192.0.2.1/24 192.0.2.2/24 2001:db8::1/64 2001:db8::2/64
ov_wait_addr a 2001:db8::1
ov_wait_addr b 2001:db8::2

# tunnel NAME-SUFFIX "ip link type args for a" "... for b" inner-subnet-id
tunnel() {
	tn=$1 args_a=$2 args_b=$3 net=$4
	ov_in a ip link add "$tn" $args_a || ov_fail "create $tn in a: $args_a"
	ov_in b ip link add "$tn" $args_b || ov_fail "create $tn in b: $args_b"
	ov_in a ip link set "$tn" up
	ov_in b ip link set "$tn" up
	ov_in a ip addr add "10.$net.0.1/24" dev "$tn"
	ov_in b ip addr add "10.$net.0.2/24" dev "$tn"
	ov_in a ip addr add "fd00:$net::1/64" dev "$tn" nodad
	ov_in b ip addr add "fd00:$net::2/64" dev "$tn" nodad
	ov_ping a "10.$net.0.2"
	ov_ping b "10.$net.0.1"
	ov_ping a "fd00:$net::2"
	ov_ping b "fd00:$net::1"
	echo "peers: $tn carries IPv4 and IPv6 both ways"
}

# Linux vxlan, VNI 42, IANA port, IPv4 then IPv6 underlay.
tunnel vx4 "type vxlan id 42 local 192.0.2.1 remote 192.0.2.2 dstport 4789" \
	"type vxlan id 42 local 192.0.2.2 remote 192.0.2.1 dstport 4789" 1
tunnel vx6 "type vxlan id 43 local 2001:db8::1 remote 2001:db8::2 dstport 4789" \
	"type vxlan id 43 local 2001:db8::2 remote 2001:db8::1 dstport 4789" 2

# gretap with a key is NVGRE's framing (K bit, 0x6558, 32-bit key).
tunnel gt4 "type gretap key 4096 local 192.0.2.1 remote 192.0.2.2" \
	"type gretap key 4096 local 192.0.2.2 remote 192.0.2.1" 3
tunnel gt6 "type ip6gretap key 8192 local 2001:db8::1 remote 2001:db8::2" \
	"type ip6gretap key 8192 local 2001:db8::2 remote 2001:db8::1" 4

# The tunnels really encapsulate: a's underlay counted the frames it sent.
tx=$(ov_in a cat /sys/class/net/vb/statistics/tx_packets)
[ "$tx" -ge 32 ] || ov_fail "underlay vb sent only $tx packets for 16 tunnelled pings"

# A key mismatch must not pass: gretap key 4097 on b only sees nothing.
ov_in b ip link set gt4 down
ov_in b ip link del gt4
ov_in b ip link add gt4 type gretap key 4097 local 192.0.2.2 remote 192.0.2.1
ov_in b ip link set gt4 up
ov_in b ip addr add 10.3.0.2/24 dev gt4
ov_assert_fails "ping through gretap with mismatched keys must fail" \
	ov_in a ping -q -c 3 -i 0.2 -w 3 10.3.0.2
echo "peers: mismatched gretap key drops the traffic"
