#!/bin/sh
# The overlay device and its admin ioctls: CREATE makes an rtnl link of kind
# overlay that `ip -d link` shows; every property is listed by PROPINFO with
# its type, permission, default and range; SETPROP validates (ERANGE, EINVAL,
# ENOENT) and is refused on an active device except for mtu (EBUSY);
# ACTIVATE names the missing required property; `ip link add type overlay`
# is refused; `ip link del` and DELETE remove devices; the module unloads.
# (Bringing up a point-mode device for traffic: see 20-point.sh or overlay(7).)
. "$OVERLAY_TESTS/lib.sh"
ov_need_ovnet
ov_modprobe ovnet
ov_host h

c() { ov_in h ovctl "$@"; }
# expect ERRNO CMD...: the ioctl fails with exactly ERRNO
expect() {
	e=$1
	shift
	ov_in h ovctl -e "$e" "$@" || ov_fail "ovctl $* did not fail with $e"
}
eq() { [ "$1" = "$2" ] || ov_fail "$3: got '$1', want '$2'"; }

out=$(c create ov0) || ov_fail "create ov0"
set -- $out
id=$1
eq "$3" ov0 "CREATE reports the name"
ov_in h ip -d link show ov0 | grep -q 'overlay' || ov_fail "ip -d link does not show kind overlay"
ov_in h ip -d link show ov0 | sed 's/^/# /'

# Defaults and the property table.
c props "$id" | sed 's/^/# /'
n=$(c props "$id" | tail -n +2 | wc -l)
eq "$n" 9 "number of properties"
for p in mtu vnetid encap cache_size pending_bytes vxlan/listen_ip vxlan/listen_port nvgre/listen_ip nvgre/flowid; do
	c props "$id" | grep -q "^$p " || ov_fail "property $p not listed"
done
eq "$(c get "$id" mtu)" 1400 "default mtu"
eq "$(c get "$id" vxlan/listen_port)" 4789 "default vxlan/listen_port"
eq "$(c get "$id" vnetid)" - "unset vnetid"
c props "$id" | grep -q '^encap .* vxlan,nvgre$' || ov_fail "encap does not list vxlan,nvgre"
c props "$id" | grep -q '^vnetid .*rwR- .* 0-16777215$' || ov_fail "vnetid perm/range"

# Validation.
expect ERANGE set "$id" vnetid 16777216
expect ERANGE set "$id" mtu 100
expect ERANGE set "$id" encap geneve
expect EINVAL set "$id" vxlan/listen_ip 224.0.0.1
expect ENOENT set "$id" nosuch 1
expect ENOENT get "$id" nosuch
expect ENOENT status 4242
expect ENOENT delete 4242

# ACTIVATE names what is missing, in order.
expect EINVAL activate "$id"
c status "$id" message | grep -q 'vnetid' || ov_fail "message does not name vnetid: $(c status "$id" message)"
c set "$id" vnetid 100 || ov_fail "set vnetid"
c set "$id" encap vxlan || ov_fail "set encap"
expect EINVAL activate "$id"
c status "$id" message | grep -q 'vxlan/listen_ip' || ov_fail "message does not name vxlan/listen_ip"
c set "$id" vxlan/listen_ip ::1 || ov_fail "set listen_ip ::1"
eq "$(c get "$id" vxlan/listen_ip)" ::1 "IPv6 listen_ip round trip"
c set "$id" vxlan/listen_ip 127.0.0.1 || ov_fail "set listen_ip"
eq "$(c get "$id" vxlan/listen_ip)" 127.0.0.1 "IPv4 listen_ip round trip (IPv4-mapped)"
eq "$(c get "$id" encap)" vxlan "encap round trip"
c set "$id" mtu 1300 || ov_fail "set mtu"
eq "$(ov_in h cat /sys/class/net/ov0/mtu)" 1300 "mtu property reaches the device"
# Families are checked when both are known: here at ACTIVATE.
c associate "$id" ::1 || ov_fail "associate ::1 while inactive"
expect EAFNOSUPPORT activate "$id"
c status "$id" message | grep -q 'address family' || ov_fail "message does not explain the family mismatch"
c associate "$id" 127.0.0.2 || ov_fail "associate"
c activate "$id" || ov_fail "activate"
eq "$(c status "$id" state)" active "state after ACTIVATE"
expect EALREADY activate "$id"
expect EBUSY set "$id" vnetid 5
expect EAFNOSUPPORT associate "$id" ::2
c set "$id" mtu 1450 || ov_fail "mtu is settable while active"
ov_in h ip link set ov0 mtu 1280 || ov_fail "ip link set mtu"
eq "$(c get "$id" mtu)" 1280 "GETPROP mtu follows ip link set mtu"

# A second device with the same vnetid on the same endpoint is refused.
set -- $(c create ov1)
id1=$1
c set "$id1" vnetid 100 && c set "$id1" encap vxlan &&
	c set "$id1" vxlan/listen_ip 127.0.0.1 || ov_fail "configure ov1"
expect EEXIST activate "$id1"
c set "$id1" vnetid 101 || ov_fail "set vnetid 101"
c activate "$id1" || ov_fail "ov1 with another vnetid shares the endpoint"
expect EEXIST create ov1

# The underlay must be usable: an address h does not have, a port taken.
set -- $(c create ov2)
id2=$1
c set "$id2" vnetid 7 && c set "$id2" encap vxlan &&
	c set "$id2" vxlan/listen_ip 192.0.2.77 || ov_fail "configure ov2"
expect EADDRNOTAVAIL activate "$id2"
c status "$id2" message | grep -q 'not available' || ov_fail "message for EADDRNOTAVAIL"
ov_modprobe vxlan
ov_in h ip link add lvx type vxlan id 9 dstport 4790 local 127.0.0.1 || ov_fail "linux vxlan on 4790"
ov_in h ip link set lvx up
c set "$id2" vxlan/listen_ip 0.0.0.0 && c set "$id2" vxlan/listen_port 4790 || ov_fail "reconfigure ov2"
expect EADDRINUSE activate "$id2"
c status "$id2" message | grep -q 'in use' || ov_fail "message for EADDRINUSE"
ov_in h ip link del lvx
c activate "$id2" || ov_fail "ov2 activates once the port is free"
c delete "$id2"

# Name resolution: LINK may be an interface name.
eq "$(c status ov1 | sed -n 's/^linkid //p')" "$id1" "link by name"

# rtnl: creation through ip is refused; deletion works both ways.
ov_assert_fails "ip link add type overlay must be refused" \
	ov_in h ip link add ov9 type overlay
ov_in h ip link del ov0 || ov_fail "ip link del ov0"
expect ENOENT status "$id"
c delete "$id1" || ov_fail "DELETE ov1"
ov_assert_fails "ov1 gone after DELETE" ov_in h ip link show ov1

# Devices in another namespace are invisible.
set -- $(c create ovx)
idx=$1
ov_assert "ovctl in the root namespace cannot see h's device" \
	ovctl -e ENOENT status "$idx"
c delete "$idx"
c create ov2 >/dev/null
ov_in h ip link show ov2 >/dev/null || ov_fail "ov2"
ip netns del h
OV_HOSTS=""
sleep 1
ov_assert "rmmod ovnet after a namespace with a device went away" rmmod ovnet
echo "device: properties, activation, ip link integration, deletion"
