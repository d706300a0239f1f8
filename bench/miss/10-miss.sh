#!/bin/sh
# The miss benchmark, run inside the test VM by bench/miss/run.sh (through
# tests/vm/run-vm.sh --tests-dir bench/miss).
#
# Theory: host a sends, host b receives, over a veth underlay. On a: our
# dynamic device ovd (VXLAN VNI 80, port 4789) answered by ov-responder
# ("default 192.0.2.2"), and Linux vxlan lvx (VNI 81, port 4790, nolearning
# l2miss, no fdb entries) answered by fdb-agent, which installs an fdb
# entry for every miss. On b: a point-mode overlay device (VNI 80) and a
# Linux vxlan (VNI 81) whose rx_packets count what arrived.
#  (a) first packet: one 60-byte frame to each of BENCH_N fresh MACs out of
#      each sender; delivered = b's rx_packets growth / BENCH_N. Linux's is
#      then sent again to the same MACs (second packet), to show its agent
#      did install the entries.
#  (b) round trip: misslat, BENCH_K fresh MACs one at a time, for each.
#  (c) lookups/s: BENCH_M requests queued with no responder (one frame to
#      each of BENCH_M fresh MACs), then ov-responder -c BENCH_M -t answers
#      them, with -b 1024 and with -b 1.
# Each figure is left as a result file (key value lines) for run.sh.
# vm-timeout: 600
. "$OVERLAY_TESTS/lib.sh"
BENCH_N=${BENCH_N:-1000}
BENCH_K=${BENCH_K:-200}
BENCH_M=${BENCH_M:-4000}
ov_modprobe vxlan ovnet

ov_host a b
ov_link a b 192.0.2.1/24 192.0.2.2/24
R=$OVERLAY_RESULTS/miss.txt
: >"$R"
fig() { echo "$1 $2" >>"$R"; echo "bench: $1 $2"; }
rx() { ov_in b cat "/sys/class/net/$1/statistics/rx_packets"; }

ida=$(ov_in a ovctl updyn ovd vxlan 80 192.0.2.1 cache_size=100000) || ov_fail "ovd"
ov_in b ovctl up ovd vxlan 80 192.0.2.2 192.0.2.1 >/dev/null || ov_fail "b ovd"
ov_in a ip link add lvx type vxlan id 81 local 192.0.2.1 dstport 4790 nolearning l2miss ||
	ov_fail "Linux vxlan in a"
ov_in b ip link add lvx type vxlan id 81 local 192.0.2.2 remote 192.0.2.1 dstport 4790 ||
	ov_fail "Linux vxlan in b"
for h in a b; do
	for d in ovd lvx; do
		ov_in $h sh -c "echo 1 >/proc/sys/net/ipv6/conf/$d/disable_ipv6"
		ov_in $h ip link set $d up
	done
done
echo "default 192.0.2.2" >/tmp/miss.table
ov_bg a ov-responder -q -b 1024 /tmp/miss.table >/tmp/resp.out 2>&1
resp=$!
ov_wait a 5 grep -q ready /tmp/resp.out
ov_bg a fdb-agent lvx 192.0.2.2 >/tmp/agent.out 2>&1
ov_wait a 5 grep -q ready /tmp/agent.out

# (a) first packet
fig n $BENCH_N
r0=$(rx ovd)
ov_in a ovctl blast ovd $BENCH_N 0 >/dev/null
ov_wait a 30 sh -c "[ \$(ovctl info $ida pending) = 0 ]"
sleep 1
fig ours_first_delivered $(($(rx ovd) - r0))
r0=$(rx lvx)
ov_in a ovctl blast lvx $BENCH_N 0 >/dev/null
sleep 2
fig linux_first_delivered $(($(rx lvx) - r0))
ov_log "fdb entries on lvx: $(ov_in a bridge fdb show dev lvx | grep -c 'dst 192.0.2.2')"
sed 's/^/# fdb-agent: /' /tmp/agent.out | head -5
r0=$(rx lvx)
ov_in a ovctl blast lvx $BENCH_N 0 >/dev/null
sleep 2
fig linux_second_delivered $(($(rx lvx) - r0))
fig ours_drops $(($(ov_in a ovctl info "$ida" tx_frames) - $(ov_in a ovctl info "$ida" sent)))

# (b) round trip
pairs() { awk -v p="$1" '{ for (i = 1; i < NF; i += 2) print p $i, $(i + 1) }'; }
ov_in a misslat ours ovd "$ida" $BENCH_K 100000 | pairs ours_ | tee -a "$R"
ov_in a misslat linux lvx $BENCH_K 100000 | pairs linux_ | tee -a "$R"

# (c) lookups per second
for b in 1024 1; do
	kill "$resp" 2>/dev/null
	sleep 0.5
	ov_in a ovctl cache-flush "$ida"
	ov_in a ovctl blast ovd $BENCH_M $((0x200000 + b * 0x10000)) >/dev/null
	q=$(ov_in a ovctl info "$ida" pending)
	[ "$q" -gt 0 ] || ov_fail "no requests queued for the lookup rate"
	out=$(ov_in a ov-responder -q -b $b -c "$q" -t /tmp/miss.table) || ov_fail "responder -b $b"
	us=$(echo "$out" | sed -n 's/^elapsed_us \([0-9]*\) .*/\1/p')
	fig batch${b}_requests "$q"
	fig batch${b}_elapsed_us "$us"
done
cat "$R" | sed 's/^/# /'
