#!/bin/sh
# Bad input. Host b sends hand-made underlay packets to host a's overlay
# endpoints (VXLAN on UDP 4789, NVGRE on IP protocol 47, with ip_gre loaded):
# truncated headers, wrong VXLAN flags, GRE with checksum or sequence bits,
# unknown vnetids, runt and oversize inner frames. Each must be dropped and
# counted exactly once -- against the device it names, or the endpoint when
# it names none -- and the devices keep working. Then admin ioctls with a
# wrong size, an unknown number, unknown flags, non-zero padding, a bad
# pointer, a bad link id and no privilege each fail with their errno.
# (The harness fails the run on any oops or WARNING in the kernel log.)
. "$OVERLAY_TESTS/lib.sh"
ov_need_ovnet
ov_modprobe ip_gre ip6_gre ovnet

ov_host a b
ov_link a b 192.0.2.1/24 192.0.2.2/24 2001:db8::1/64 2001:db8::2/64
ov_wait_addr a 2001:db8::1
ov_wait_addr b 2001:db8::2

vx=$(ov_in a ovctl up vx0 vxlan 42 192.0.2.1 192.0.2.2) || ov_fail "vx0 in a"
nv=$(ov_in a ovctl up nv0 nvgre 7 192.0.2.1 192.0.2.2) || ov_fail "nv0 in a"
nv6=$(ov_in a ovctl up nv6 nvgre 8 2001:db8::1 2001:db8::2) || ov_fail "nv6 in a"
ov_in b ovctl up vx0 vxlan 42 192.0.2.2 192.0.2.1 >/dev/null || ov_fail "vx0 in b"
for h in a b; do ov_in "$h" ip link set vx0 up; done
ov_in a ip link set nv0 up
ov_in a ip link set nv6 up
ov_in a ip addr add 10.1.0.1/24 dev vx0
ov_in b ip addr add 10.1.0.2/24 dev vx0
ov_ping b 10.1.0.1

# bad LINK FIELD DESC ovctl-send-args...: the send bumps a's FIELD by one.
bad() {
	link=$1 field=$2 desc=$3
	shift 3
	before=$(ov_in a ovctl status "$link" "$field") || ov_fail "status $field"
	ov_in b ovctl "$@" || ov_fail "send for: $desc"
	want=$((before + 1))
	tries=25
	while [ "$(ov_in a ovctl status "$link" "$field")" -lt "$want" ] && [ $tries -gt 0 ]; do
		sleep 0.2
		tries=$((tries - 1))
	done
	got=$(ov_in a ovctl status "$link" "$field")
	[ "$got" -eq "$want" ] || ov_fail "$desc: $field went $before -> $got, want $want"
	echo "bad input: $desc -> $field +1"
}

A=192.0.2.1
bad "$vx" underlay.rx_truncated "VXLAN header cut at 5 bytes" send-vxlan $A 4789 0x08 42 64 5
bad "$vx" dev.rx_truncated "VXLAN with a 10-byte inner frame" send-vxlan $A 4789 0x08 42 10
bad "$vx" dev.rx_bad_flags "VXLAN flags 0x0c" send-vxlan $A 4789 0x0c 42 64
bad "$vx" dev.rx_bad_flags "VXLAN flags 0x88" send-vxlan $A 4789 0x88 42 64
bad "$vx" underlay.rx_bad_flags "VXLAN without the I flag" send-vxlan $A 4789 0x00 42 64
bad "$vx" underlay.rx_unknown_vnetid "VXLAN VNI 99 (no such device)" send-vxlan $A 4789 0x08 99 64
bad "$vx" dev.rx_oversize "VXLAN inner frame of 3000 bytes (MTU 1400)" send-vxlan $A 4789 0x08 42 3000
bad "$nv" dev.rx_bad_gre "GRE with the checksum bit" send-gre $A 0xa0 7 64
bad "$nv" dev.rx_bad_gre "GRE with the sequence bit" send-gre $A 0x30 7 64
bad "$nv" dev.rx_bad_gre "GRE with the routing bit" send-gre $A 0x60 7 64
bad "$nv" underlay.rx_truncated "NVGRE header cut at 6 bytes" send-gre $A 0x20 7 64 6
bad "$nv" underlay.rx_unknown_vnetid "NVGRE VSID 99 (no such device)" send-gre $A 0x20 99 64
bad "$nv" dev.rx_truncated "NVGRE with a 4-byte inner frame" send-gre $A 0x20 7 4
bad "$nv" dev.rx_oversize "NVGRE inner frame of 3000 bytes (MTU 1400)" send-gre $A 0x20 7 3000
bad "$nv6" dev.rx_bad_gre "GRE over IPv6 with the checksum bit" send-gre 2001:db8::1 0xa0 8 64
bad "$nv6" underlay.rx_unknown_vnetid "NVGRE over IPv6, VSID 99" send-gre 2001:db8::1 0x20 99 64
ov_in a ip link set nv0 down
bad "$nv" dev.rx_inactive "NVGRE to a device that is down" send-gre $A 0x20 7 64

# Nothing was delivered to the devices, and the good path still works.
[ "$(ov_in a ovctl status "$nv" dev.rx_packets)" = 0 ] || ov_fail "nv0 delivered a bad frame"
ov_ping b 10.1.0.1
ov_in a ovctl status "$vx" | grep -v ' 0$' | sed 's/^/# vx0 /'

# Admin ioctls.
e() { ov_assert "ovctl -e $*" ov_in a ovctl -e "$@"; }
e EINVAL badioctl size
e ENOTTY badioctl unknown
e EINVAL badioctl flags
e EINVAL badioctl pad
e EFAULT badioctl fault
e ENOENT status 999999
e ENOENT activate 0
ov_assert "EPERM without CAP_NET_ADMIN" ov_in a ovctl -U -e EPERM status "$vx"
ov_assert "EPERM create without CAP_NET_ADMIN" ov_in a ovctl -U -e EPERM create ovx
e EINVAL associate "$vx" 0.0.0.0
e EINVAL associate "$nv" 192.0.2.2 4789
e EINVAL create 'bad/name'
# Dynamic mode takes no address (this one carries ::1); 72-dynamic-bad.sh
# has the rest of the dynamic mode's bad input.
e EINVAL badioctl dynamic "$vx"
e EINVAL badioctl mode0 "$vx"
echo "bad input: every malformed packet dropped and counted, every bad ioctl refused"
