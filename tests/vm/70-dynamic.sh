#!/bin/sh
# vm-timeout: 400
# Dynamic mode with the test responder (ov-responder, tests/responder/):
# three hosts a, b, c, each with a dynamic VXLAN device (VNI 70) and its own
# responder in its own namespace answering from a static table. a reaches b
# over 192.0.2.0/24 and c over 198.51.100.0/24 (a listens on 0.0.0.0).
#  - the first packet to a new destination is delivered: one ping, one
#    echo request, with static neighbours so it is the first frame to that
#    MAC, gets its reply; the cache then holds VALID entries
#  - ARP through the channel: a's responder answers c's address by proxy
#    (PKT + INJECT); c's responder floods broadcasts with RESEND; b's
#    answers broadcasts with a destination (not cached)
#  - TCP (iperf3) works both ways
#  - a second responder in a namespace is refused (EBUSY); with none the
#    device is DEGRADED ("no responder"), ONLINE again with one
#  - SIGKILL the responder while it holds requests: a new responder gets
#    them again and the waiting first packet is delivered; nothing is
#    re-created
#  - DEGRADE/RESTORE, LIST, TARG_INFO's counters add up
. "$OVERLAY_TESTS/lib.sh"
ov_need_ovnet
ov_modprobe ovnet

ov_host a b c
ov_link a b 192.0.2.1/24 192.0.2.2/24
ov_link a c 198.51.100.1/24 198.51.100.3/24
T=/tmp/70.$$
mkdir -p "$T"
ov_on_exit rm -rf "$T"

MA=02:00:00:00:70:0a MB=02:00:00:00:70:0b MC=02:00:00:00:70:0c
mk() { # HOST LISTEN MAC ADDR
	id=$(ov_in "$1" ovctl updyn ov70 vxlan 70 "$2") || ov_fail "updyn in $1"
	ov_in "$1" ip link set ov70 address "$3" || ov_fail "mac in $1"
	# No IPv6 autoconfiguration chatter: count only the test's frames.
	ov_in "$1" sh -c 'echo 1 >/proc/sys/net/ipv6/conf/ov70/disable_ipv6'
	ov_in "$1" ip link set ov70 up
	ov_in "$1" ip addr add "$4/24" dev ov70
	echo "$id"
}
ida=$(mk a 0.0.0.0 $MA 10.7.0.1)
idb=$(mk b 192.0.2.2 $MB 10.7.0.2)
idc=$(mk c 198.51.100.3 $MC 10.7.0.3)
[ "$(ov_in a ovctl status "$ida" degraded)" = degraded ] ||
	ov_fail "a dynamic device with no responder is not DEGRADED"
ov_in a ovctl status "$ida" message | grep -q "no responder" ||
	ov_fail "DEGRADED without the 'no responder' message"
ov_in a ovctl status "$ida" | sed 's/^/# a before any responder: /' | head -5

cat >"$T/a" <<EOT
$MB 192.0.2.2
$MC 198.51.100.3
arp 10.7.0.3 $MC
bcast resend 192.0.2.2 198.51.100.3
EOT
cat >"$T/b" <<EOT
$MA 192.0.2.1
bcast 192.0.2.1
EOT
cat >"$T/c" <<EOT
$MA 198.51.100.1
bcast resend 198.51.100.1
EOT
start() { # HOST [OPTIONS...] -- output in $T/HOST.out
	h=$1
	shift
	ov_bg "$h" ov-responder "$@" "$T/$h" >"$T/$h.out" 2>&1
	echo $! >"$T/$h.pid"
	ov_wait "$h" 5 grep -q ready "$T/$h.out"
}
start a
start b
start c
for h in a b c; do
	eval id=\$id$h
	[ "$(ov_in $h ovctl status "$id" degraded)" = online ] ||
		ov_fail "$h: still DEGRADED with a responder"
done
ov_assert "second responder refused" sh -c \
	"ip netns exec a ov-responder $T/a >$T/a2.out 2>&1; [ \$? = 3 ]"
ov_assert "LOOKUP from another file: EBUSY" ov_in a ovctl -e EBUSY lookup 1
echo "dynamic: DEGRADED without a responder, ONLINE with one, a second one refused"

# First packet: static neighbours, so the echo request is the first frame.
ov_in a ip neigh add 10.7.0.2 lladdr $MB dev ov70
ov_in b ip neigh add 10.7.0.1 lladdr $MA dev ov70
ov_in a ping -c 1 -W 10 10.7.0.2 >"$T/ping1" 2>&1 || {
	cat "$T/ping1" "$T/a.out" "$T/b.out" >&2
	ov_fail "the first packet to a new destination was not delivered"
}
[ "$(ov_in a ovctl info "$ida" misses)" = 1 ] || ov_fail "a: misses != 1"
[ "$(ov_in a ovctl info "$ida" sent)" = 1 ] || ov_fail "a: the first frame was not sent"
[ "$(ov_in b ovctl info "$idb" sent)" = 1 ] || ov_fail "b: the reply was not sent"
ov_in a ovctl cache-get "$ida" $MB | grep -q "^$MB 192.0.2.2 0$" ||
	ov_fail "a's cache has no VALID entry for b"
grep -q "answer .* $MB -> 192.0.2.2" "$T/a.out" || ov_fail "a's responder did not log the answer"
echo "dynamic: the first packet to a new destination is delivered (one ping, one reply)"

# ARP by proxy (a: PKT + INJECT), by flood (c: RESEND), by destination (b).
ov_ping a 10.7.0.3
grep -q " arp$" "$T/a.out" || ov_fail "a's ARP for c was not answered by proxy"
grep -q " resend$" "$T/c.out" || ov_fail "c's ARP for a was not flooded with RESEND"
ov_in b ip neigh del 10.7.0.1 dev ov70
ov_in a ip neigh del 10.7.0.2 dev ov70
ov_ping a 10.7.0.2
ov_ping b 10.7.0.1
# b ARPs for an address nobody has: its responder sends the broadcast to a.
ov_in b ping -c 1 -W 1 10.7.0.99 >/dev/null 2>&1
grep -q "answer .* ff:ff:ff:ff:ff:ff -> 192.0.2.1" "$T/b.out" ||
	ov_fail "b's broadcast was not answered with a destination"
ov_in b ovctl cache-get "$idb" ff:ff:ff:ff:ff:ff >/dev/null 2>&1 &&
	ov_fail "an answered broadcast request was cached"
echo "dynamic: ARP through the channel: proxy (PKT+INJECT), flood (RESEND), broadcast destination"

# TCP both ways.
ov_bg b iperf3 -s -1 -B 10.7.0.2 >/dev/null 2>&1
ov_wait a 5 sh -c "iperf3 -c 10.7.0.2 -n 2M >$T/iperf 2>&1"
ov_bg a iperf3 -s -1 -B 10.7.0.1 >/dev/null 2>&1
ov_wait c 5 sh -c "iperf3 -c 10.7.0.1 -n 2M -R >$T/iperf 2>&1"
echo "dynamic: TCP a->b and a->c (reverse) over dynamic devices"

# SIGKILL the responder with requests in flight; the next one answers them.
kill -9 "$(cat "$T/a.pid")"
sleep 0.5
[ "$(ov_in a ovctl status "$ida" degraded)" = degraded ] ||
	ov_fail "a is not DEGRADED after its responder was killed"
ov_in a ovctl cache-flush "$ida"
ov_in a ip neigh replace 10.7.0.2 lladdr $MB dev ov70
start a -d 5000
ov_in a ping -c 1 -W 20 10.7.0.2 >"$T/ping2" 2>&1 &
pingpid=$!
ov_wait a 10 grep -q "^took" "$T/a.out"
kill -9 "$(cat "$T/a.pid")"
sleep 0.5
[ "$(ov_in a ovctl info "$ida" pending)" = 1 ] || ov_fail "the pending entry did not survive its responder"
start a
wait $pingpid || {
	cat "$T/ping2" "$T/a.out" >&2
	ov_fail "the packet waiting on a killed responder's request was not delivered"
}
grep -q "answer .* $MB -> 192.0.2.2" "$T/a.out" || ov_fail "the new responder did not answer the re-queued request"
[ "$(ov_in a ovctl status "$ida" degraded)" = online ] || ov_fail "a not ONLINE with the new responder"
ov_ping a 10.7.0.3
echo "dynamic: requests survive SIGKILL of the responder; traffic resumes, nothing re-created"

# DEGRADE / RESTORE and LIST.
ov_in a ovctl degrade "$ida" "backend unreachable"
[ "$(ov_in a ovctl status "$ida" message)" = "backend unreachable" ] || ov_fail "DEGRADE message"
ov_in a ovctl restore "$ida"
[ "$(ov_in a ovctl status "$ida" degraded)" = online ] || ov_fail "RESTORE"
ov_in a ovctl list | grep -q "^$ida active,associated,up dynamic$" || {
	ov_in a ovctl list >&2
	ov_fail "LIST does not show the dynamic device"
}

# The counters add up on every host.
for h in a b c; do
	eval id=\$id$h
	ov_in $h ovctl info "$id" >"$T/info"
	get() { sed -n "s/^$1 //p" "$T/info"; }
	sum=0
	for k in sent drop_entry drop_pending drop_cache_full drop_queue_full drop_flushed drop_error pending_frames; do
		sum=$((sum + $(get $k)))
	done
	[ "$sum" = "$(get tx_frames)" ] || {
		cat "$T/info" >&2
		ov_fail "$h: tx_frames $(get tx_frames) != sent + drops + pending ($sum)"
	}
	grep -v ' 0$' "$T/info" | tr '\n' ' ' | sed "s/^/# $h: /"
	echo
done
echo "dynamic: DEGRADE/RESTORE, LIST, and the counters add up"
