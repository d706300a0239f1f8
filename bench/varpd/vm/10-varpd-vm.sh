#!/bin/sh
# bench-varpd, VM part (issue 5 item 8): lookups per second through varpd
# with the files backend against the real ovnet.ko, booted by
# bench/varpd/vm/run.sh (tests/vm/run-vm.sh --tests-dir bench/varpd/vm).
# Host a has a dynamic VXLAN device (ovctl updyn) whose varpd serves a
# files table of BENCH_ENTRIES MACs 02:aa:00:00:xx:xx (all at b's underlay
# address). Each round flushes the target cache, then `ovctl blast` sends
# one frame to each of BENCH_LOOKUPS distinct MACs of the table out of the
# device: every frame misses, the kernel queues a request, varpd takes them
# in batches (LOOKUP after poll) and answers (RESPOND). The round's time is
# from the blast's start until TARG_INFO counts every answer (/proc/uptime,
# 10 ms steps: rounds are sized to last seconds). Written as result files:
#   round-N.txt   "lookups L centiseconds C" for round N
#   stats.txt     varpd-ctl stats after the rounds (latency histogram of
#                 varpd's own NEW -> answer time, p99 included)
#   info.txt      ovctl info: the kernel's counters (drops must be 0)
# vm-timeout: 600
. "$OVERLAY_TESTS/lib.sh"
ov_need_ovnet
ov_modprobe ovnet

N=${BENCH_LOOKUPS:-4000}
E=${BENCH_ENTRIES:-10000}
R=${BENCH_ROUNDS:-3}
[ "$N" -le "$E" ] && [ "$N" -le 8000 ] || ov_fail "BENCH_LOOKUPS $N: at most BENCH_ENTRIES ($E) and 8000 (the kernel's request queue)"
T=/tmp/vb.$$
mkdir -p "$T/state"
ov_on_exit rm -rf "$T"

ov_host a b
ov_link a b 192.0.2.1/24 192.0.2.2/24
# The table: E MACs 02:aa:00:00:hh:ll -> b (awk: the shell is too slow).
awk -v n="$E" 'BEGIN {
	printf "{\n"
	for (i = 0; i < n; i++)
		printf "%s\"02:aa:00:00:%02x:%02x\": {\"ip\": \"192.0.2.2\"}\n",
			(i ? "," : ""), int(i / 256), i % 256
	printf "}\n"
}' >"$T/table.json"
id=$(ov_in a ovctl updyn ov0 vxlan 80 192.0.2.1 cache_size=$((N * 2))) || ov_fail "updyn"
ov_in a ip link set ov0 up
ov_bg a varpd -f -d "$T/state" -p "$OVERLAY_PLUGIN_DIR" >"$T/varpd.log" 2>&1
ov_wait a 10 test -S "$T/state/varpd.sock"
ctl() { varpd-ctl -s "$T/state/varpd.sock" "$@"; }
inst=$(ctl create "$id" files "files/config=$T/table.json") || ov_fail "files instance"
[ "$(ctl get "$inst" files/entries)" = "$E" ] ||
	ov_fail "files/entries is $(ctl get "$inst" files/entries), not $E"

cs() { cut -d' ' -f1 /proc/uptime | tr -d .; }
r=1
while [ "$r" -le "$R" ]; do
	ov_in a ovctl cache-flush "$id" || ov_fail "cache-flush"
	want=$(($(ov_in a ovctl info "$id" answers) + N))
	t0=$(cs)
	ov_in a ovctl blast ov0 "$N" >/dev/null || ov_fail "blast"
	tries=6000
	while [ "$(ov_in a ovctl info "$id" answers)" -lt "$want" ]; do
		tries=$((tries - 1))
		[ "$tries" -gt 0 ] || ov_fail "round $r: answers stuck at $(ov_in a ovctl info "$id" answers) of $want"
		sleep 0.01
	done
	t1=$(cs)
	echo "lookups $N centiseconds $((t1 - t0))" >"$T/round-$r.txt"
	ov_result_file "round-$r.txt" "$T/round-$r.txt"
	echo "# round $r: $N lookups in $((t1 - t0)) cs"
	r=$((r + 1))
done
ctl stats >"$T/stats.txt"
ov_in a ovctl info "$id" >"$T/info.txt"
ov_result_file stats.txt "$T/stats.txt"
ov_result_file info.txt "$T/info.txt"
sed 's/^/# /' "$T/stats.txt"
for k in drop_pending drop_cache_full drop_queue_full drop_error; do
	[ "$(ov_in a ovctl info "$id" $k)" = 0 ] || ov_fail "kernel dropped frames: $k"
done
echo "varpd-vm: $R rounds of $N lookups through varpd (files, $E entries)"
