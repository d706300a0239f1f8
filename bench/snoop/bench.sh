#!/bin/sh
# overlay-snoop decode rate against tshark, in one run, on one capture.
#   bench.sh OVERLAY_SNOOP SNOOP_MKCAP SNOOP_BENCHRUN WORKDIR OUT_JSON
#
# The capture is snoop-mkcap's VXLAN/NVGRE mix (inner TCP, UDP, ICMP;
# VXLAN on 4789 and 8472). overlay-snoop decodes all of it to text
# (best of three runs); tshark decodes the first SNOOP_BENCH_TSHARK_PACKETS
# of the same sequence to text with -n -d udp.port==8472,vxlan (at ~32k pps
# a million packets would take it half a minute on a shared machine). Each
# run is measured by snoop-benchrun (wait4: microsecond CPU times, peak RSS).
# Rates are computed from CPU time (user+sys of the child: the machine is
# shared, and wall time measures the neighbours) and from wall time; both
# are reported, the CPU-time ones as pps / tshark_pps / ratio_vs_tshark.
# tshark's start-up (measured on a one-packet capture) is subtracted from
# its time, so the rate compared is its decoding rate, not its launch cost.
# Memory: overlay-snoop's peak RSS on a tenth of the capture and on all of
# it must stay within 10% + 1 MiB, else the benchmark fails.
set -eu
snoop=$1 mkcap=$2 benchrun=$3 work=$4 out=$5
n=${SNOOP_BENCH_PACKETS:-1000000}
tn=${SNOOP_BENCH_TSHARK_PACKETS:-200000}
[ "$tn" -gt "$n" ] && tn=$n
small=$((n / 10))
seed=20261122
mkdir -p "$work" "$(dirname "$out")"
cap=$work/mix-$n.pcap
[ -f "$cap" ] || "$mkcap" mix "$n" "$cap" $seed
[ -f "$work/mix-$small.pcap" ] || "$mkcap" mix "$small" "$work/mix-$small.pcap" $seed
[ -f "$work/mix-$tn.pcap" ] || "$mkcap" mix "$tn" "$work/mix-$tn.pcap" $seed
[ -f "$work/mix-1.pcap" ] || "$mkcap" mix 1 "$work/mix-1.pcap" $seed

# measure OUT_FILE CMD...: "wall user sys maxrss_kb" of one run, stdout dropped.
measure() {
	o=$1
	shift
	"$benchrun" "$o" "$@" || {
		echo "bench-snoop: $* failed:" >&2
		cat "$o.err" >&2
		exit 1
	}
}
# Three runs of overlay-snoop; keep the one with the least CPU time.
best=""
for i in 1 2 3; do
	measure "$work/snoop.$i" "$snoop" -i "$cap"
	cpu=$(awk '{ printf "%.4f", $2 + $3 }' "$work/snoop.$i")
	if [ -z "$best" ] || awk -v a="$cpu" -v b="$bestcpu" 'BEGIN { exit !(a < b) }'; then
		best=$i bestcpu=$cpu
	fi
done
set -- $(cat "$work/snoop.$best")
s_wall=$1 s_cpu=$bestcpu rss_big=$4
measure "$work/snoop.small" "$snoop" -i "$work/mix-$small.pcap"
rss_small=$(awk '{ print $4 }' "$work/snoop.small")

measure "$work/tshark.start" tshark -n -r "$work/mix-1.pcap" -d udp.port==8472,vxlan
measure "$work/tshark" tshark -n -r "$work/mix-$tn.pcap" -d udp.port==8472,vxlan
set -- $(cat "$work/tshark.start")
t0_wall=$1 t0_cpu=$(awk '{ printf "%.4f", $2 + $3 }' "$work/tshark.start")
set -- $(cat "$work/tshark")
t_wall=$(awk -v a="$1" -v b="$t0_wall" 'BEGIN { printf "%.4f", a - b }')
t_cpu=$(awk -v b="$t0_cpu" '{ printf "%.4f", $2 + $3 - b }' "$work/tshark")

awk -v n="$n" -v tn="$tn" -v sw="$s_wall" -v sc="$s_cpu" -v tw="$t_wall" -v tc="$t_cpu" -v t0="$t0_cpu" \
    -v small="$small" -v rs="$rss_small" -v rb="$rss_big" -v out="$out" 'BEGIN {
	if (sc < 0.001) sc = 0.001; if (sw < 0.01) sw = 0.01
	if (tc < 0.001) tc = 0.001; if (tw < 0.01) tw = 0.01
	pps = n / sc; tpps = tn / tc; ratio = pps / tpps
	wpps = n / sw; wtpps = tn / tw; wratio = wpps / wtpps
	flat = (rb <= rs * 1.1 + 1024) ? "true" : "false"
	printf "{\"packets\":%d,\"pps\":%.0f,\"tshark_pps\":%.0f,\"ratio_vs_tshark\":%.2f,", n, pps, tpps, ratio > out
	printf "\"basis\":\"cpu time (user+sys)\",\"seconds_cpu\":%.3f,\"tshark_packets\":%d,", sc, tn > out
	printf "\"tshark_startup_seconds_cpu\":%.3f,\"tshark_seconds_cpu\":%.3f,", t0, tc > out
	printf "\"pps_wall\":%.0f,\"tshark_pps_wall\":%.0f,", wpps, wtpps > out
	printf "\"ratio_vs_tshark_wall\":%.2f,\"max_rss_kb_%d\":%d,\"max_rss_kb_%d\":%d,", wratio, small, rs, n, rb > out
	printf "\"memory_flat\":%s}\n", flat > out
	printf "overlay-snoop: %d packets in %.3f s CPU (%.3f s wall): %.0f pps (%.0f wall)\n", n, sc, sw, pps, wpps
	printf "tshark:        %d packets (a prefix of the same capture) in %.3f s CPU (%.3f s wall) after %.3f s CPU start-up: %.0f pps (%.0f wall)\n", tn, tc, tw, t0, tpps, wtpps
	printf "ratio vs tshark: %.1fx on CPU time, %.1fx on wall time\n", ratio, wratio
	printf "peak RSS: %d KB for %d packets, %d KB for %d packets: %s\n", rs, small, rb, n, flat == "true" ? "flat" : "GROWS"
	exit flat == "true" ? 0 : 1
}'
echo "bench-snoop: wrote $out"
