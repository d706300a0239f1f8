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
# received; the median of the interleaved rounds) and ratios, prints them
# and writes OUT_JSON with at least tcp_ratio_vs_linux_vxlan and
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

if ! "$src/tests/vm/run-vm.sh" --build "$build" --work "$work" \
	--tests-dir "$here" --timeout 1500 \
	--env "BENCH_SECONDS=$secs" --env "BENCH_ROUNDS=$rounds" >"$work.log" 2>&1; then
	cat "$work.log"
	echo "bench-datapath: the VM run failed (log above, console $work/console.log)" >&2
	exit 1
fi
res=$work/results
configs=(veth linux_vxlan linux_gretap overlay_vxlan overlay_nvgre)

# figure CONFIG KIND: the median over the rounds of the received rate in
# iperf3's JSON, or null when the datapath was not measured (or broke in a
# later round: then it has a reason file and no figure at all).
figure() {
	local files=("$res/$1-$2"-*.json)
	if [ -f "$res/$1.reason" ] || [ ! -s "${files[0]}" ]; then
		echo null
		return
	fi
	local expr
	case $2 in
	tcp) expr='.end.sum_received.bits_per_second' ;;
	udp) expr='.end.sum_received | (.packets - .lost_packets) / .seconds' ;;
	esac
	jq -s "map($expr) | sort | if length % 2 == 1 then .[length / 2 | floor]
		else (.[length / 2 - 1] + .[length / 2]) / 2 end" "${files[@]}"
}
rounds() { local f=("$res/veth-tcp"-*.json); echo ${#f[@]}; }

args=()
for c in "${configs[@]}"; do
	args+=(--argjson "tcp_$c" "$(figure "$c" tcp)" --argjson "pps_$c" "$(figure "$c" udp)")
	why=""
	[ -f "$res/$c.reason" ] && why=$(head -n 1 "$res/$c.reason")
	args+=(--arg "why_$c" "$why")
done
kver=$(sed -n 's/^VMBOOT [0-9.]*s //p' "$work/console.log" | head -n 1)

mkdir -p "$(dirname "$out")"
jq -n "${args[@]}" --arg kernel "$kver" --argjson rounds "$(rounds)" --argjson secs "$secs" '
	def ratio(a; b): if a == null or b == null or b == 0 then null
		else (a / b * 1000 | round) / 1000 end;
	{
	  benchmark: "datapath",
	  environment: "qemu-system-x86_64 -accel tcg, 2 vCPU, 1 GiB; kernel \($kernel)",
	  note: "TCG emulation: absolute figures are not meaningful, ratios within this run are",
	  seconds_per_run: $secs,
	  rounds: $rounds,
	  figures_are: "median over the rounds of the rate the receiver saw",
	  inner_mtu: {tunnels: 1400, veth: 1500},
	  tcp_bits_per_second: {veth: $tcp_veth, linux_vxlan: $tcp_linux_vxlan,
	    linux_gretap: $tcp_linux_gretap, overlay_vxlan: $tcp_overlay_vxlan,
	    overlay_nvgre: $tcp_overlay_nvgre},
	  udp64_packets_per_second: {veth: $pps_veth, linux_vxlan: $pps_linux_vxlan,
	    linux_gretap: $pps_linux_gretap, overlay_vxlan: $pps_overlay_vxlan,
	    overlay_nvgre: $pps_overlay_nvgre},
	  tcp_ratio_vs_linux_vxlan: ratio($tcp_overlay_vxlan; $tcp_linux_vxlan),
	  pps_ratio_vs_linux_vxlan: ratio($pps_overlay_vxlan; $pps_linux_vxlan),
	  tcp_ratio_nvgre_vs_linux_gretap: ratio($tcp_overlay_nvgre; $tcp_linux_gretap),
	  pps_ratio_nvgre_vs_linux_gretap: ratio($pps_overlay_nvgre; $pps_linux_gretap),
	  tcp_ratio_vs_veth: {linux_vxlan: ratio($tcp_linux_vxlan; $tcp_veth),
	    linux_gretap: ratio($tcp_linux_gretap; $tcp_veth),
	    overlay_vxlan: ratio($tcp_overlay_vxlan; $tcp_veth),
	    overlay_nvgre: ratio($tcp_overlay_nvgre; $tcp_veth)},
	  pps_ratio_vs_veth: {linux_vxlan: ratio($pps_linux_vxlan; $pps_veth),
	    linux_gretap: ratio($pps_linux_gretap; $pps_veth),
	    overlay_vxlan: ratio($pps_overlay_vxlan; $pps_veth),
	    overlay_nvgre: ratio($pps_overlay_nvgre; $pps_veth)},
	  not_measured: ({veth: $why_veth, linux_vxlan: $why_linux_vxlan,
	    linux_gretap: $why_linux_gretap, overlay_vxlan: $why_overlay_vxlan,
	    overlay_nvgre: $why_overlay_nvgre} | with_entries(select(.value != "")))
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
	"datapath (\(.environment); median of \(.rounds) rounds of \(.seconds_per_run) s; relative figures only)",
	"  config          TCP Mbit/s  UDP-64 kpps  TCP/veth  pps/veth",
	( ["veth", "linux_vxlan", "linux_gretap", "overlay_vxlan", "overlay_nvgre"][] as $c
	  | (if $c == "veth" then 1 else null end) as $one
	  | "  \($c | pad(14))  \(n(.tcp_bits_per_second[$c]; 1e6) | pad(10))  \(n(.udp64_packets_per_second[$c]; 1e3) | pad(11))  \(r(.tcp_ratio_vs_veth[$c] // $one) | pad(8))  \(r(.pps_ratio_vs_veth[$c] // $one))" ),
	"  overlay vxlan vs Linux vxlan:   TCP \(r(.tcp_ratio_vs_linux_vxlan)), pps \(r(.pps_ratio_vs_linux_vxlan))  (goal >= 1.0x)",
	"  overlay nvgre vs Linux gretap:  TCP \(r(.tcp_ratio_nvgre_vs_linux_gretap)), pps \(r(.pps_ratio_nvgre_vs_linux_gretap))",
	( .not_measured | to_entries[] | "  not measured: \(.key): \(.value)" )
' "$out"
echo "bench-datapath: wrote $out"
