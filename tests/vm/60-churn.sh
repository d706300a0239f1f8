#!/bin/sh
# Creating, activating and deleting 1000 devices (VXLAN and NVGRE in turn,
# over IPv4, and 200 more over IPv6) leaks nothing: the module's use count is
# back to 0, unreclaimable slab grows by less than 1 MB (one leaked device
# is several KB, a thousand several MB), no overlay link or endpoint socket
# is left, and the module unloads. Also 100 devices removed by deleting
# their namespace.
# vm-timeout: 300
. "$OVERLAY_TESTS/lib.sh"
ov_need_ovnet
ov_modprobe ovnet

ov_host a z
ov_link a z 192.0.2.1/24 192.0.2.2/24 2001:db8::1/64 2001:db8::2/64

slab() { sed -n 's/^SUnreclaim: *\([0-9]*\) kB/\1/p' /proc/meminfo; }
settle() { sleep 2; echo 3 >/proc/sys/vm/drop_caches 2>/dev/null; }

# Warm up caches first so their growth is not mistaken for a leak.
ov_in a ovctl churn 100 192.0.2.1 || ov_fail "warm-up churn"
settle
before=$(slab)
ov_in a ovctl churn 1000 192.0.2.1 || ov_fail "churn 1000 over IPv4"
ov_in a ovctl churn 200 2001:db8::1 || ov_fail "churn 200 over IPv6"
settle
after=$(slab)
ov_log "SUnreclaim before ${before} kB, after ${after} kB"
[ $((after - before)) -lt 1024 ] ||
	ov_fail "unreclaimable slab grew by $((after - before)) kB over 1200 devices"
refs=$(cat /sys/module/ovnet/refcnt)
[ "$refs" = 0 ] || ov_fail "module use count $refs after churn"
ov_in a ip -d link show | grep -q ' overlay ' && ov_fail "an overlay link is left"
ov_in a cat /proc/net/udp | grep -q ':12B5 ' && ov_fail "a VXLAN socket is left"

# Devices that go with their namespace.
ov_host b
i=0
while [ $i -lt 100 ]; do
	ov_in b ovctl up "" vxlan $i 127.0.0.1 127.0.0.2 >/dev/null || ov_fail "device $i in b"
	i=$((i + 1))
done
n=$(ov_in b ip -d link show | grep -c ' overlay ')
[ "$n" = 100 ] || ov_fail "$n overlay devices in b, want 100"
ip netns del b
ip netns del a
ip netns del z
OV_HOSTS=""
sleep 2
ov_assert "rmmod ovnet after churn" rmmod ovnet
echo "churn: 1300 devices created and deleted, nothing leaked"
