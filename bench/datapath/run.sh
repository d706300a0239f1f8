#!/usr/bin/env bash
# bench-datapath: datapath throughput of our overlay device against Linux's
# vxlan and gretap and plain veth, all in one VM boot.
#
# Usage: bench/datapath/run.sh BUILD_DIR OUT_JSON
#   OVERLAY_BENCH_SECONDS  seconds per iperf3 run (default 5)
#   OVERLAY_BENCH_ROUNDS   interleaved rounds, the median is reported
#                          (default 3; more rounds, steadier ratios)
#
# Theory: tests/vm/run-vm.sh boots the test VM with bench/datapath's
# 10-datapath.sh instead of the test list; that script leaves iperf3's JSON
# for each datapath (TCP, and UDP with 64-byte datagrams) as result files,
# which come out over the VM's second serial port into WORK/results/. This
# script turns them into figures (TCP bits/s received, UDP datagrams/s
# received; the median of the interleaved rounds) and ratios (the median of
# the per-round ratios, so a change in host load between rounds cancels
# out), prints them and writes OUT_JSON with at least tcp_ratio_vs_linux_vxlan and
# pps_ratio_vs_linux_vxlan (our vxlan over Linux vxlan). A datapath that could not be measured is null, with the reason in
# "not_measured". The VM runs under TCG, so absolute figures are meaningless;
# ratios within one run are what to read. Exit non-zero when the VM run or a
# Linux peer fails; our device missing is reported, not an error.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src=$(cd "$here/../.." && pwd)
build=${1:?usage: run.sh BUILD_DIR OUT_JSON}
out=${2:?usage: run.sh BUILD_DIR OUT_JSON}
command -v jq >/dev/null || { echo "bench-datapath: jq not found (make deps)" >&2; exit 2; }
work=$build/vm-bench-datapath
secs=${OVERLAY_BENCH_SECONDS:-5}
rounds=${OVERLAY_BENCH_ROUNDS:-3}
[[ "$secs" =~ ^[1-9][0-9]*$ && "$rounds" =~ ^[1-9][0-9]*$ ]] ||
	{ echo "bench-datapath: OVERLAY_BENCH_SECONDS and OVERLAY_BENCH_ROUNDS must be positive integers" >&2; exit 2; }
# 10-datapath.sh runs under a 900 s limit inside the VM: 5 datapaths, 2 runs
# each per round, plus setup.
(( secs * rounds * 10 <= 750 )) ||
	{ echo "bench-datapath: $rounds rounds of $secs s do not fit the VM script's 900 s limit" >&2; exit 2; }

load_before=$(cut -d' ' -f1 /proc/loadavg)
if ! "$src/tests/vm/run-vm.sh" --build "$build" --work "$work" \
	--tests-dir "$here" --timeout 1500 \
	--env "BENCH_SECONDS=$secs" --env "BENCH_ROUNDS=$rounds" >"$work.log" 2>&1; then
	cat "$work.log"
	echo "bench-datapath: the VM run failed (log above, console $work/console.log)" >&2
	exit 1
fi
load_after=$(cut -d' ' -f1 /proc/loadavg)
res=$work/results

# One sample per iperf3 run: {cfg, kind, round, rate}, rate being what the
# receiver saw (TCP bits/s; UDP datagrams/s). A datapath with a reason file
# (not set up, or broke in some round) contributes no samples at all.
samples=$work/samples.json
: >"$samples"
for f in "$res"/*-tcp-*.json "$res"/*-udp-*.json; do
	[ -s "$f" ] || continue
	b=$(basename "$f" .json)
	round=${b##*-} rest=${b%-*}
	kind=${rest##*-} cfg=${rest%-*}
	[ -f "$res/$cfg.reason" ] && continue
	case $kind in
	tcp) expr='.end.sum_received.bits_per_second' ;;
	udp) expr='.end.sum_received | (.packets - .lost_packets) / .seconds' ;;
	esac
	jq -c --arg cfg "$cfg" --arg kind "$kind" --argjson round "$round" \
		"{cfg: \$cfg, kind: \$kind, round: \$round, rate: ($expr)}" "$f" >>"$samples"
done
reasons=$(for r in "$res"/*.reason; do
	[ -f "$r" ] || continue
	jq -Rn --arg cfg "$(basename "$r" .reason)" '{($cfg): input}' <"$r"
done | jq -s 'add // {}')
kver=$(sed -n 's/^VMBOOT [0-9.]*s //p' "$work/console.log" | head -n 1)

mkdir -p "$(dirname "$out")"
jq -n --slurpfile s "$samples" --argjson reasons "$reasons" --arg kernel "$kver" \
	--argjson secs "$secs" --argjson rounds "$rounds" \
	--argjson load_before "$load_before" --argjson load_after "$load_after" '
	def median: sort | if length == 0 then null
		elif length % 2 == 1 then .[length / 2 | floor]
		else (.[length / 2 - 1] + .[length / 2]) / 2 end;
	def r3: if . == null then null else (. * 1000 | round) / 1000 end;
	def fig($c; $k): [$s[] | select(.cfg == $c and .kind == $k) | .rate] | median;
	# The median over the rounds of a/b measured in the same round.
	def ratio($a; $b; $k): [$s[] | select(.cfg == $a and .kind == $k) as $x
		| $s[] | select(.cfg == $b and .kind == $k and .round == $x.round and .rate > 0)
		| $x.rate / .rate] | median | r3;
	["veth", "linux_vxlan", "linux_gretap", "overlay_vxlan", "overlay_nvgre"] as $all
	| ["linux_vxlan", "linux_gretap", "overlay_vxlan", "overlay_nvgre"] as $tun
	| {
	  benchmark: "datapath",
	  environment: "qemu-system-x86_64 -accel tcg, 2 vCPU, 1 GiB; kernel \($kernel)",
	  note: "TCG emulation on a shared host: absolute figures are not meaningful, ratios within this run are, and even they move with the host load",
	  host_loadavg_1min: {before: $load_before, after: $load_after},
	  seconds_per_run: $secs,
	  rounds: $rounds,
	  figures_are: "median over the rounds of the rate the receiver saw",
	  ratios_are: "median over the rounds of the ratio of two datapaths measured in the same round",
	  inner_mtu: {tunnels: 1400, veth: 1500},
	  tcp_bits_per_second: ([$all[] | {(.): fig(.; "tcp")}] | add),
	  udp64_packets_per_second: ([$all[] | {(.): fig(.; "udp")}] | add),
	  tcp_ratio_vs_linux_vxlan: ratio("overlay_vxlan"; "linux_vxlan"; "tcp"),
	  pps_ratio_vs_linux_vxlan: ratio("overlay_vxlan"; "linux_vxlan"; "udp"),
	  tcp_ratio_nvgre_vs_linux_gretap: ratio("overlay_nvgre"; "linux_gretap"; "tcp"),
	  pps_ratio_nvgre_vs_linux_gretap: ratio("overlay_nvgre"; "linux_gretap"; "udp"),
	  tcp_ratio_vs_veth: ([$tun[] | {(.): ratio(.; "veth"; "tcp")}] | add),
	  pps_ratio_vs_veth: ([$tun[] | {(.): ratio(.; "veth"; "udp")}] | add),
	  not_measured: $reasons
	}' >"$out"

# The Linux peers and the baseline must have measured.
for c in veth linux_vxlan linux_gretap; do
	[ "$(jq ".tcp_bits_per_second.$c != null and .udp64_packets_per_second.$c != null" "$out")" = true ] ||
		{ echo "bench-datapath: $c was not measured" >&2; exit 1; }
done

jq -r '
	def n(x; d): if x == null then "-" else (x / d * 10 | round / 10 | tostring) end;
	def r(x): if x == null then "-" else (x | tostring) + "x" end;
	def pad(w): (. + "                ")[0:w];
	"datapath (\(.environment); median of \(.rounds) rounds of \(.seconds_per_run) s; relative figures only; host load \(.host_loadavg_1min.before)-\(.host_loadavg_1min.after))",
	"  config          TCP Mbit/s  UDP-64 kpps  TCP/veth  pps/veth",
	( ["veth", "linux_vxlan", "linux_gretap", "overlay_vxlan", "overlay_nvgre"][] as $c
	  | (if $c == "veth" then 1 else null end) as $one
	  | "  \($c | pad(14))  \(n(.tcp_bits_per_second[$c]; 1e6) | pad(10))  \(n(.udp64_packets_per_second[$c]; 1e3) | pad(11))  \(r(.tcp_ratio_vs_veth[$c] // $one) | pad(8))  \(r(.pps_ratio_vs_veth[$c] // $one))" ),
	"  overlay vxlan vs Linux vxlan:   TCP \(r(.tcp_ratio_vs_linux_vxlan)), pps \(r(.pps_ratio_vs_linux_vxlan))  (goal >= 1.0x)",
	"  overlay nvgre vs Linux gretap:  TCP \(r(.tcp_ratio_nvgre_vs_linux_gretap)), pps \(r(.pps_ratio_nvgre_vs_linux_gretap))",
	( .not_measured | to_entries[] | "  not measured: \(.key): \(.value)" )
' "$out"
echo "bench-datapath: wrote $out"
