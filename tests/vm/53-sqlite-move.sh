#!/bin/sh
# A mapping changed while traffic flows moves that traffic (issue 7 item 7):
# a tenant's workload "migrates" between hosts and only its row in the
# sqlite backend's database changes.
# Three hosts a, b, c (ov_mesh3: underlay 198.51.100.1-3), a varpd each,
# a dynamic VXLAN overlay ov53 (VNI 53, overlayadm create-overlay -s sqlite)
# on one shared database. b's and c's devices both carry the workload's MAC
# MS and address 10.53.0.9 (the same workload, before and after its move);
# a pings 10.53.0.9 every 50 ms throughout. Frames reaching a host are
# counted at its ov53 device (RX packets): only the host the mapping names
# receives them.
#  1. MS -> b: b receives, c receives nothing
#  2. overlayadm add-mapping on a replaces MS's row with c's address: c
#     receives within 1.5 s of the command's return (a's varpd shoots its
#     kernel's entry down in the same step), b stops receiving, the ping
#     goes on
#  3. an outside writer (sqlite3 UPDATE) moves MS back to b: b receives
#     within 2 s of sqlite3's return (varpd polls the database's change log
#     every 100 ms and shoots the entry down), c stops
#  4. overlayadm remove-mapping: the traffic stops reaching both and a's
#     kernel holds a DROP entry for MS
#  5. an outside INSERT of MS at c: the DROP entry is shot down as well (an
#     insert is a change) and c receives within 2 s of sqlite3's return
# The switch-over times (change -> first frame at the new host) are printed
# and left in results/sqlite-move.txt.
# vm-timeout: 120
. "$OVERLAY_TESTS/lib.sh"
ov_need_sqlite

ov_tmp 53
DB=$T/mappings.db
MA=02:00:00:00:53:0a MS=02:00:00:00:53:99
out=$OVERLAY_RESULTS/sqlite-move.txt
: >"$out"
say() { echo "$*" | tee -a "$out"; }

ov_host a b c
ov_mesh3 a b c
# mk HOST N MAC ADDR: varpd and the overlay; IPv4 only (no IPv6 chatter
# counted as received frames)
mk() {
	ov_in "$1" sh -c "echo 1 >/proc/sys/net/ipv6/conf/default/disable_ipv6"
	ov_overlay "$1" "$T/$1" ov53 53 "198.51.100.$2" sqlite "sqlite/path=$DB,mac=$3"
	ov_in "$1" ip addr add "$4/24" dev ov53
}
mk a 1 $MA 10.53.0.1
mk b 2 $MS 10.53.0.9
mk c 3 $MS 10.53.0.9
adm() { ov_adm a "$T/a" "$@"; }
sql() { sqlite3 -cmd ".timeout 5000" "$DB" "$@"; }
adm add-mapping -a 10.53.0.1 ov53 $MA 198.51.100.1 || ov_fail "add-mapping of a"
adm add-mapping -a 10.53.0.9 ov53 $MS 198.51.100.2 || ov_fail "add-mapping of the workload"

# at_least HOST N: HOST's ov53 has received N frames or more
at_least() { [ "$(ov_rx "$1" ov53)" -ge "$2" ]; }
# quiet HOST: HOST receives nothing more for 1.5 s
quiet() {
	q0=$(ov_rx "$1" ov53)
	sleep 1.5
	q1=$(ov_rx "$1" ov53)
	[ "$q1" = "$q0" ] || ov_fail "$1 still received $((q1 - q0)) frames in 1.5 s ($2)"
}
# switch HOST WHAT LIMIT: after a change begun at $t0 by a command that
# returned at $tc, wait for HOST's first frame; prints and records both
# delays, and fails if the frame came more than LIMIT ms after the command
# returned (under TCG, starting overlayadm or sqlite3 alone takes ~0.3 s)
ms() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%d", (b - a) * 1000 }'; }
switch() {
	ov_until 5 at_least "$1" $((base + 1))
	t1=$(ov_now)
	ms=$(ms "$tc" "$t1")
	say "sqlite-move: $2: first frame at $1 $(ms "$t0" "$t1") ms after the change began, $ms ms after the command returned"
	[ "$ms" -le "$3" ] || ov_fail "$2: the traffic took $ms ms to reach $1 (limit $3 ms)"
}
replies() { grep -c 'bytes from' "$T/ping"; }

ov_bg a ping -i 0.05 10.53.0.9 >"$T/ping" 2>&1
ov_until 10 at_least b 10
quiet c "before any change"
say "sqlite-move: MS -> b: b receives, c receives nothing"

# 2. through varpd: add-mapping replaces the row
base=$(ov_rx c ov53)
r0=$(replies)
t0=$(ov_now)
adm add-mapping -a 10.53.0.9 ov53 $MS 198.51.100.3 || ov_fail "add-mapping moving MS to c"
tc=$(ov_now)
switch c "add-mapping through varpd" 1500
sleep 0.3
quiet b "after the move to c"
ov_in a ovctl cache-get ov53 $MS | grep -q "^$MS 198.51.100.3 0$" ||
	ov_fail "a's cache: $(ov_in a ovctl cache-get ov53 $MS 2>&1)"
[ "$(replies)" -gt $((r0 + 10)) ] || ov_fail "the ping stopped after the move to c"

# 3. an outside writer
base=$(ov_rx b ov53)
t0=$(ov_now)
sql "UPDATE mappings SET ip = '198.51.100.2' WHERE vnetid = 53 AND mac = '$MS'" ||
	ov_fail "sqlite3 UPDATE moving MS to b"
tc=$(ov_now)
switch b "sqlite3 UPDATE by another process" 2000
sleep 0.3
quiet c "after the move back to b"

# 4. removal
adm remove-mapping ov53 $MS || ov_fail "remove-mapping"
sleep 0.5
quiet b "after remove-mapping"
quiet c "after remove-mapping"
ov_in a ovctl cache-get ov53 $MS | grep -q "drop$" ||
	ov_fail "a's cache after removal: $(ov_in a ovctl cache-get ov53 $MS 2>&1)"
r1=$(replies)
sleep 1
[ "$(replies)" = "$r1" ] || ov_fail "replies still come after remove-mapping"
say "sqlite-move: remove-mapping stops the traffic (a's kernel drops frames to MS)"

# 5. an outside INSERT brings it back, at c: the DROP entry is shot down too
base=$(ov_rx c ov53)
t0=$(ov_now)
sql "INSERT INTO mappings (vnetid, mac, ip, arp) VALUES (53, '$MS', '198.51.100.3', '10.53.0.9')" ||
	ov_fail "sqlite3 INSERT of MS at c"
tc=$(ov_now)
switch c "sqlite3 INSERT after the removal" 2000
ov_in a ovctl cache-get ov53 $MS | grep -q "^$MS 198.51.100.3 0$" ||
	ov_fail "a's cache after the INSERT: $(ov_in a ovctl cache-get ov53 $MS 2>&1)"
say "sqlite-move: $(replies) ping replies in all; a's varpd: $(varpd-ctl -s "$T/a/varpd.sock" stats)"
