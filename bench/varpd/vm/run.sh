#!/usr/bin/env bash
# bench-varpd, VM part: boots the test VM with bench/varpd/vm/10-varpd-vm.sh
# (tests/vm/run-vm.sh --tests-dir) and adds to OUT_JSON (the in-process
# benchmark's varpd.json, written first by varpd-bench) the figures
# against the real ovnet.ko:
#   files_vm_lookups_per_s  median over the rounds of lookups / seconds
#                           (a round: a blast of distinct misses until the
#                           kernel counts every answer)
#   files_vm_p99_us         p99 of varpd's own NEW -> answer latency (its
#                           histogram; kernel queueing not included)
# Usage: bench/varpd/vm/run.sh BUILD_DIR OUT_JSON
#   VARPD_VM_LOOKUPS (default 8000), VARPD_VM_ENTRIES (default 10000),
#   VARPD_VM_ROUNDS (default 5).
# The VM runs under TCG: absolute figures are not a machine's, compare
# runs of the same host only. Exit non-zero when the VM run fails.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src=$(cd "$here/../../.." && pwd)
build=${1:?usage: run.sh BUILD_DIR OUT_JSON}
out=${2:?usage: run.sh BUILD_DIR OUT_JSON}
command -v jq >/dev/null || { echo "bench-varpd-vm: jq not found (make deps)" >&2; exit 2; }
work=$build/vm-bench-varpd
n=${VARPD_VM_LOOKUPS:-8000} e=${VARPD_VM_ENTRIES:-10000} r=${VARPD_VM_ROUNDS:-5}
for v in "$n" "$e" "$r"; do
	[[ "$v" =~ ^[1-9][0-9]*$ ]] ||
		{ echo "bench-varpd-vm: VARPD_VM_* must be positive integers" >&2; exit 2; }
done

mkdir -p "$work"
if ! "$src/tests/vm/run-vm.sh" --build "$build" --work "$work" --tests-dir "$here" \
	--env "BENCH_LOOKUPS=$n" --env "BENCH_ENTRIES=$e" --env "BENCH_ROUNDS=$r" \
	>"$work.log" 2>&1; then
	cat "$work.log"
	echo "bench-varpd-vm: the VM run failed (log above, console $work/console.log)" >&2
	exit 1
fi
res=$work/results
[ -s "$out" ] || echo '{}' >"$out"
if ! ls "$res"/round-*.txt >/dev/null 2>&1; then
	# The script skipped (no ovnet.ko packed: make kmods): say so.
	why=$(grep -m1 '^SKIP' "$work/console.log" || echo "no rounds reported")
	tmp=$(mktemp)
	jq --arg why "$why" '. + {files_vm_lookups_per_s: null, files_vm_p99_us: null,
		files_vm: {not_measured: $why}}' "$out" >"$tmp"
	mv "$tmp" "$out"
	echo "bench-varpd-vm: not measured: $why" >&2
	exit 0
fi
rates=$(for f in "$res"/round-*.txt; do
	read -r _ l _ c <"$f"
	[ "$c" -gt 0 ] || c=1 # under one 10 ms step: count it as one
	echo "$l $c" | awk '{ printf "%.1f\n", $1 * 100 / $2 }'
done | jq -s .)
p99=$(sed -n 's/.* latency_p99_us \([0-9.]*\) .*/\1/p' "$res/stats.txt")
[ -n "$p99" ] || { echo "bench-varpd-vm: no p99 in $res/stats.txt" >&2; exit 1; }
kver=$(sed -n 's/^VMBOOT [0-9.]*s //p' "$work/console.log" | head -n 1)

tmp=$(mktemp)
jq --argjson rates "$rates" --argjson p99 "$p99" --arg kernel "$kver" \
	--argjson n "$n" --argjson e "$e" '
	def median: sort | if length == 0 then null
		elif length % 2 == 1 then .[length / 2 | floor]
		else (.[length / 2 - 1] + .[length / 2]) / 2 end;
	. + {
	  files_vm_lookups_per_s: ($rates | median),
	  files_vm_p99_us: $p99,
	  files_vm: {
	    environment: "qemu-system-x86_64 -accel tcg, 2 vCPU, 1 GiB; kernel \($kernel); ovnet.ko",
	    lookups_per_round: $n, table_entries: $e, rounds_lookups_per_s: $rates,
	    lookups_per_s_is: "median over rounds: distinct misses blasted out of a dynamic device until TARG_INFO counts every answer (varpd LOOKUP batches + RESPOND), /proc/uptime 10 ms steps",
	    p99_us_is: "varpd stats latency_p99_us: its own NEW -> answer time over all rounds (the kernel queue wait not included)",
	    note: "TCG emulation on a shared host: compare runs on the same host only"
	  }
	}' "$out" >"$tmp"
mv "$tmp" "$out"
jq -r '"varpd in the VM (files, \(.files_vm.table_entries) entries): \(.files_vm_lookups_per_s) lookups/s (median of \(.files_vm.rounds_lookups_per_s)), varpd p99 \(.files_vm_p99_us) us"' "$out"
echo "bench-varpd-vm: updated $out"
