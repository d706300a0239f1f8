#!/usr/bin/env bash
# bench-miss: what a destination miss costs, our dynamic device and its
# lookup channel against Linux vxlan with l2miss and a netlink fdb agent,
# in one VM boot.
#
# Usage: bench/miss/run.sh BUILD_DIR OUT_JSON
#   OVERLAY_BENCH_N  fresh destinations for first-packet delivery (1000)
#   OVERLAY_BENCH_K  fresh destinations timed one by one (200)
#   OVERLAY_BENCH_M  requests answered for the lookup rate (4000)
#
# Theory: tests/vm/run-vm.sh boots the test VM with bench/miss/10-miss.sh
# (its header says what is measured and how); that script leaves
# "key value" lines in the result file miss.txt, which this script turns
# into OUT_JSON: first_packet_delivered_ratio and
# linux_first_packet_delivered_ratio (frames that reached the receiver /
# fresh destinations, one frame each), linux_second_packet_delivered_ratio
# (the same MACs again: the agent's entries work), the miss-to-answer
# round trip p50/p99 in microseconds for both and rtt_p99_ratio_vs_linux
# (ours / Linux: below 1 is faster), and batched_lookups_per_s against
# single_lookups_per_s (LOOKUP/RESPOND of 1024 against 1 per call). The VM
# runs under TCG: absolute times are inflated; compare within one run.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src=$(cd "$here/../.." && pwd)
build=${1:?usage: run.sh BUILD_DIR OUT_JSON}
out=${2:?usage: run.sh BUILD_DIR OUT_JSON}
command -v jq >/dev/null || { echo "bench-miss: jq not found (make deps)" >&2; exit 2; }
work=$build/vm-bench-miss
n=${OVERLAY_BENCH_N:-1000} k=${OVERLAY_BENCH_K:-200} m=${OVERLAY_BENCH_M:-4000}
for v in "$n" "$k" "$m"; do
	[[ "$v" =~ ^[1-9][0-9]*$ ]] || { echo "bench-miss: OVERLAY_BENCH_N/K/M must be positive integers" >&2; exit 2; }
done
(( m <= 8000 )) || { echo "bench-miss: OVERLAY_BENCH_M above the request queue's 8192" >&2; exit 2; }

if ! "$src/tests/vm/run-vm.sh" --build "$build" --work "$work" \
	--tests-dir "$here" --timeout 900 \
	--env "BENCH_N=$n" --env "BENCH_K=$k" --env "BENCH_M=$m" >"$work.log" 2>&1; then
	cat "$work.log"
	echo "bench-miss: the VM run failed (log above, console $work/console.log)" >&2
	exit 1
fi
res=$work/results/miss.txt
[ -s "$res" ] || { echo "bench-miss: no results from the VM ($res)" >&2; exit 1; }
kver=$(sed -n 's/^VMBOOT [0-9.]*s //p' "$work/console.log" | head -n 1)

mkdir -p "$(dirname "$out")"
jq -Rn --arg kernel "$kver" '
	[inputs | select(length > 0) | split(" ") | {(.[0]): (.[1] | tonumber)}] | add as $f
	| def r3: if . == null then null else (. * 1000 | round) / 1000 end;
	  def div($a; $b): if $a == null or $b == null or $b == 0 then null else $a / $b end;
	{
	  benchmark: "miss",
	  environment: "qemu-system-x86_64 -accel tcg, 2 vCPU, 1 GiB; kernel \($kernel)",
	  note: "TCG emulation on a shared host: absolute times are inflated; compare ours and Linux within this run",
	  fresh_destinations: $f.n,
	  first_packet_delivered_ratio: div($f.ours_first_delivered; $f.n) | r3,
	  linux_first_packet_delivered_ratio: div($f.linux_first_delivered; $f.n) | r3,
	  linux_second_packet_delivered_ratio: div($f.linux_second_delivered; $f.n) | r3,
	  rtt_us: {
	    ours: {n: $f.ours_n, answered: $f.ours_answered, p50: $f.ours_p50_us, p99: $f.ours_p99_us},
	    linux: {n: $f.linux_n, answered: $f.linux_answered, p50: $f.linux_p50_us, p99: $f.linux_p99_us}
	  },
	  rtt_p50_ratio_vs_linux: div($f.ours_p50_us; $f.linux_p50_us) | r3,
	  rtt_p99_ratio_vs_linux: div($f.ours_p99_us; $f.linux_p99_us) | r3,
	  batched_lookups_per_s: div($f.batch1024_requests; $f.batch1024_elapsed_us / 1e6) | round,
	  single_lookups_per_s: div($f.batch1_requests; $f.batch1_elapsed_us / 1e6) | round,
	  batched_speedup: div($f.batch1_elapsed_us / $f.batch1_requests; $f.batch1024_elapsed_us / $f.batch1024_requests) | r3,
	  raw: $f
	}' <"$res" >"$out"

jq -r '
	"miss (\(.environment); \(.fresh_destinations) fresh destinations)",
	"  first packet delivered:  ours \(.first_packet_delivered_ratio)  Linux vxlan+l2miss \(.linux_first_packet_delivered_ratio) (second packet \(.linux_second_packet_delivered_ratio))",
	"  miss-to-answer us:       ours p50 \(.rtt_us.ours.p50) p99 \(.rtt_us.ours.p99)  Linux p50 \(.rtt_us.linux.p50) p99 \(.rtt_us.linux.p99)  (p99 ratio \(.rtt_p99_ratio_vs_linux), below 1 is faster)",
	"  lookups/s:               batched \(.batched_lookups_per_s)  one at a time \(.single_lookups_per_s)  (x\(.batched_speedup))"
' "$out"
echo "bench-miss: wrote $out"
