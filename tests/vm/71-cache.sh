#!/bin/sh
# vm-timeout: 600
# The target cache of a dynamic device (host a, VNI 71; host b has a
# point-mode device on VNI 71 that counts what arrives):
#  - CACHE_SET / GET / REMOVE of VALID (with and without a port) and DROP
#    entries, and their errors (ENOENT, EAFNOSUPPORT)
#  - a PENDING entry holds frames up to pending_bytes (the rest dropped and
#    counted); CACHE_SET sends every held frame; FLUSH drops PENDING
#    entries' frames and ends their requests
#  - CACHE_ITER pages through every entry exactly once whatever the page
#  - cache_size bounds the cache: the coldest VALID/DROP entries are
#    evicted, and lowering the property trims at once
#  - 100 000 distinct destination MACs with a responder answering: the
#    bound holds, memory stays bounded, the counters add up
. "$OVERLAY_TESTS/lib.sh"
ov_need_ovnet
ov_modprobe ovnet

ov_host a b
ov_link a b 192.0.2.1/24 192.0.2.2/24
T=/tmp/71.$$
mkdir -p "$T"
ov_on_exit rm -rf "$T"

id=$(ov_in a ovctl updyn ov71 vxlan 71 192.0.2.1 cache_size=200 pending_bytes=3000) ||
	ov_fail "updyn"
ov_in a sh -c 'echo 1 >/proc/sys/net/ipv6/conf/ov71/disable_ipv6'
ov_in a ip link set ov71 up
idb=$(ov_in b ovctl up ov71 vxlan 71 192.0.2.2 192.0.2.1) || ov_fail "b's device"
ov_in b ip link set ov71 up
info() { ov_in a ovctl info "$id" "$1"; }
eq() { [ "$1" = "$2" ] || ov_fail "$3: got '$1', want '$2'"; }
c() { ov_in a ovctl "$@"; }

M=02:aa:00:00:00:01
c cache-set "$id" $M 192.0.2.2
eq "$(c cache-get "$id" $M)" "$M 192.0.2.2 0" "VALID entry"
c cache-set "$id" $M 192.0.2.2 4790
eq "$(c cache-get "$id" $M)" "$M 192.0.2.2 4790" "VALID entry with a port"
c cache-set "$id" $M drop
eq "$(c cache-get "$id" $M)" "$M drop" "DROP entry"
c cache-remove "$id" $M
ov_assert "GET after REMOVE: ENOENT" c -e ENOENT cache-get "$id" $M
ov_assert "REMOVE twice: ENOENT" c -e ENOENT cache-remove "$id" $M
ov_assert "IPv6 destination on an IPv4 underlay" c -e EAFNOSUPPORT cache-set "$id" $M 2001:db8::2
eq "$(info entries)" 0 "entries after REMOVE"
echo "cache: SET/GET/REMOVE of VALID and DROP entries"

# PENDING: no responder; 100 frames of 60 bytes to one MAC, 3000 bytes held.
P=02:aa:00:00:10:00
c blast ov71 1 $((0x1000)) 100 >/dev/null
eq "$(c cache-get "$id" $P)" "$P pending" "an unanswered MAC"
eq "$(info pending_frames)" 50 "frames held within pending_bytes"
eq "$(info drop_pending)" 50 "frames beyond pending_bytes dropped"
c cache-set "$id" $P 192.0.2.2
eq "$(info pending_frames)" 0 "held frames after CACHE_SET"
eq "$(info sent)" 50 "held frames sent by CACHE_SET"
ov_wait b 5 sh -c "[ \$(ovctl status $idb dev.rx_packets) -ge 50 ]"
eq "$(ov_in b ovctl status "$idb" dev.rx_packets)" 50 "frames that reached b"
echo "cache: a PENDING entry holds pending_bytes; CACHE_SET sends every held frame"

c blast ov71 3 $((0x2000)) >/dev/null
eq "$(info pending)" 3 "three PENDING entries"
c cache-flush "$id"
eq "$(info entries)" 0 "entries after FLUSH"
eq "$(info drop_flushed)" 3 "PENDING frames dropped by FLUSH"
eq "$(c lookup 16)" "" "requests left after FLUSH"
echo "cache: FLUSH drops PENDING entries' frames and ends their requests"

# Held frames do not count against the sender's socket: 3000 unanswered
# destinations (far beyond one socket's send buffer) do not block it.
c set "$id" cache_size 4000
c blast ov71 3000 $((0x5000)) >/dev/null || ov_fail "blast to unanswered MACs"
eq "$(info pending_frames)" 3000 "frames held for 3000 unanswered MACs"
c cache-flush "$id"
c set "$id" cache_size 200
echo "cache: a sender to many unanswered destinations is not blocked"

# A responder that drops everything: 150 DROP entries, then iterate.
echo "default drop" >"$T/table"
ov_bg a ov-responder -q -b 1024 "$T/table" >"$T/resp.out" 2>&1
ov_wait a 5 grep -q ready "$T/resp.out"
c blast ov71 150 $((0x3000)) >/dev/null
ov_wait a 10 sh -c "[ \$(ovctl info $id pending) = 0 ]"
eq "$(info entries)" 150 "entries after 150 MACs"
for page in 1 7 150 1000; do
	c cache-list "$id" $page >"$T/list"
	tail -1 "$T/list" | grep -q "^entries 150 " || ov_fail "ITER page $page: $(tail -1 "$T/list")"
	n=$(grep -c '^02:aa:00:00:3' "$T/list")
	u=$(grep '^02:aa:00:00:3' "$T/list" | sort -u | wc -l)
	eq "$n/$u" "150/150" "ITER page $page: entries/distinct"
	grep -q "^02:aa:00:00:30:95 drop$" "$T/list" || ov_fail "ITER page $page misses the last MAC"
done
echo "cache: ITER returns every entry exactly once, pages of 1, 7, 150 and 1000"

# The bound: 300 more MACs through a cache of 200, in three rounds of 100
# answered before the next: a frame that finds every entry PENDING is
# dropped (nothing can be evicted), so one blast of 300 would measure how
# fast the responder keeps up under TCG, not the bound.
for r in 0 1 2; do
	c blast ov71 100 $((0x4000 + r * 100)) >/dev/null
	ov_wait a 10 sh -c "[ \$(ovctl info $id pending) = 0 ]"
done
eq "$(info entries)" 200 "entries at the bound"
[ "$(info evictions)" -ge 250 ] || ov_fail "evictions $(info evictions), want >= 250"
c cache-get "$id" 02:aa:00:00:41:2b >/dev/null || ov_fail "the newest entry was evicted"
ov_assert "the coldest entry was not evicted" c -e ENOENT cache-get "$id" 02:aa:00:00:30:00
c set "$id" cache_size 50
eq "$(info entries)" 50 "entries after lowering cache_size"
echo "cache: cache_size bounds it, the coldest entries go first, lowering it trims"

# Scale: 100 000 destinations through a cache of 1000.
c set "$id" cache_size 1000
c cache-flush "$id"
tx0=$(info tx_frames)
mem0=$(sed -n 's/^MemAvailable: *\([0-9]*\).*/\1/p' /proc/meminfo)
c blast ov71 100000 1000000 >/dev/null || ov_fail "blast"
ov_wait a 60 sh -c "[ \$(ovctl info $id pending) = 0 ]"
mem1=$(sed -n 's/^MemAvailable: *\([0-9]*\).*/\1/p' /proc/meminfo)
c info "$id" >"$T/info"
get() { sed -n "s/^$1 //p" "$T/info"; }
grep -v ' 0$' "$T/info" | tr '\n' ' ' | sed 's/^/# after 100000 MACs: /'
echo
[ "$(get entries)" -le 1000 ] || ov_fail "entries $(get entries) above cache_size 1000"
[ $(($(get tx_frames) - tx0)) -ge 100000 ] || ov_fail "tx_frames grew by only $(($(get tx_frames) - tx0))"
sum=0
for k in sent drop_entry drop_pending drop_cache_full drop_queue_full drop_flushed drop_error pending_frames; do
	sum=$((sum + $(get $k)))
done
eq "$sum" "$(get tx_frames)" "sent + drops + pending vs tx_frames"
[ "$(get misses)" = "$(get requests)" ] || ov_fail "misses != requests"
[ $((mem0 - mem1)) -lt 65536 ] || ov_fail "MemAvailable fell by $((mem0 - mem1)) kB"
ov_log "MemAvailable ${mem0} -> ${mem1} kB"
c cache-list "$id" 1000 | tail -1 | grep -q "^entries $(get entries) " || ov_fail "ITER disagrees with entries"
echo "cache: 100000 destination MACs, the bound holds, memory bounded, the counters add up"
