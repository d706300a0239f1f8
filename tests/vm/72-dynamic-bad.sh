#!/bin/sh
# Bad input to the dynamic mode's ioctls: each gets its precise errno, and
# nothing is lost (a LOOKUP into an unwritable array leaves the request
# queued). The malformed-argument cases are ovctl's badtarg kinds.
. "$OVERLAY_TESTS/lib.sh"
ov_need_ovnet
ov_modprobe ovnet

ov_host a
ov_in a ip addr add 192.0.2.1/24 dev lo
dyn=$(ov_in a ovctl updyn ov72 vxlan 72 192.0.2.1) || ov_fail "dynamic device"
ov_in a sh -c 'echo 1 >/proc/sys/net/ipv6/conf/ov72/disable_ipv6'
pt=$(ov_in a ovctl up pt72 vxlan 73 192.0.2.1 192.0.2.9) || ov_fail "point device"
ina=$(ov_in a ovctl create ina72 | cut -d' ' -f1) || ov_fail "inactive device"
ov_in a ovctl dynamic "$ina"

e() { ov_assert "ovctl -e $*" ov_in a ovctl -e "$@"; }
e EINVAL badtarg lookup0
e EINVAL badtarg lookupbig
e EINVAL badtarg lookupflags
e EINVAL badtarg lookupsize
e EINVAL badtarg respond0
e ENOENT badtarg pktbad
e ENOENT badtarg dropbad
e EINVAL badtarg iterbad "$dyn"
e ESTALE badtarg iterstale "$dyn"
e EINVAL badtarg iterflags "$dyn"
e EINVAL badtarg cacheflags "$dyn"
e EINVAL badtarg setbcastip "$dyn"
e EINVAL badtarg point "$pt"
e EINVAL cache-flush "$pt"
e EINVAL badtarg injectsmall "$dyn"
e ENETDOWN badtarg resendinactive "$dyn"
e ENOTCONN badtarg resendinactive "$ina"
e EINVAL badtarg degradeempty "$dyn"
e EINVAL badtarg listbig
e ENOENT info 999999
e ENOENT cache-get 999999 02:00:00:00:00:01
e ENOENT cache-list 999999
e ENOENT degrade 999999 x
ov_assert "EPERM: LOOKUP without CAP_NET_ADMIN" ov_in a ovctl -U -e EPERM lookup 1
ov_assert "EPERM: CACHE_SET without CAP_NET_ADMIN" ov_in a ovctl -U -e EPERM cache-set "$dyn" 02:00:00:00:00:01 192.0.2.2
ov_in a ovctl badtarg respondflags | grep -q "^record error EINVAL failed 1$" ||
	ov_fail "RESPOND record with unknown flags: not EINVAL"
ov_in a ovctl badtarg respondbad | grep -q "^record error ENOENT failed 1$" ||
	ov_fail "RESPOND record for no request: not ENOENT"

# A queued request survives a LOOKUP that cannot write it out.
ov_in a ip link set ov72 up
ov_in a ovctl blast ov72 1 7 >/dev/null
e EFAULT badtarg lookupfault
ov_in a ovctl lookup 4 | grep -q " 02:aa:00:00:00:07 " ||
	ov_fail "the request was lost by the faulting LOOKUP"
echo "dynamic bad input: every malformed ioctl refused with its errno, nothing lost"
