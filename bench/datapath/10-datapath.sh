#!/bin/sh
# The datapath benchmark, run inside the test VM by bench/datapath/run.sh
# (through tests/vm/run-vm.sh --tests-dir bench/datapath).
#
# Theory: for each datapath -- plain veth, Linux vxlan, Linux gretap with a
# key (NVGRE framing), and our overlay device with vxlan and with nvgre -- two
# fresh network-namespace hosts joined by a veth underlay (IPv4) carry one
# iperf3 TCP run and one iperf3 UDP run of 64-byte datagrams at unlimited
# rate, each BENCH_SECONDS long. The iperf3 JSON of each run leaves the VM as
# a result file (<config>-tcp.json, <config>-udp.json); the host computes the
# figures and ratios. A datapath that cannot be set up leaves
# <config>.reason instead, with one line saying why, and the host reports
# null for it. Every tunnel's inner MTU is 1400 so the tunnels compare like
# with like; plain veth keeps 1500. Under TCG only ratios mean anything.
# vm-timeout: 900
. "$OVERLAY_TESTS/lib.sh"

BENCH_SECONDS=5
PORT=5201

ov_modprobe vxlan ip_gre

reason() { # reason CONFIG TEXT...
	cfg=$1
	shift
	echo "$*" >"$OVERLAY_RESULTS/$cfg.reason"
	echo "bench: $cfg not measured: $*"
}

# measure CONFIG SERVER-HOST CLIENT-HOST SERVER-ADDR
measure() {
	cfg=$1 srv=$2 cli=$3 addr=$4
	if ! ov_in "$cli" ping -q -c 3 -i 0.2 -w 10 "$addr" >/dev/null; then
		reason "$cfg" "no ping reply from $addr through the $cfg datapath"
		return 1
	fi
	ov_bg "$srv" iperf3 -s -p $PORT
	ov_wait "$srv" 10 sh -c "ss -ltn | grep -q ':$PORT '"
	for kind in tcp udp; do
		case $kind in
		tcp) args="" ;;
		udp) args="-u -l 64 -b 0" ;;
		esac
		if ! ov_in "$cli" iperf3 -c "$addr" -p $PORT -t $BENCH_SECONDS -J \
			$args >"$cfg-$kind.json" 2>"$cfg-$kind.err"; then
			cat "$cfg-$kind.err" "$cfg-$kind.json" >&2
			reason "$cfg" "iperf3 $kind run failed: $(head -c 200 "$cfg-$kind.err")"
			return 1
		fi
		ov_result_file "$cfg-$kind.json" "$cfg-$kind.json"
		echo "bench: $cfg $kind done"
	done
	return 0
}

# hosts N: fresh hosts aN and bN joined by an IPv4 underlay.
hosts() {
	ov_host "a$1" "b$1"
	ov_link "a$1" "b$1" 192.0.2.1/24 192.0.2.2/24
}

# tunnel HOST DEV INNER-ADDR IP-LINK-ARGS...: create, set MTU, address, up.
tunnel() {
	h=$1 dev=$2 inner=$3
	shift 3
	ov_in "$h" ip link add "$dev" "$@" || return 1
	ov_in "$h" ip link set "$dev" mtu 1400 &&
		ov_in "$h" ip addr add "$inner" dev "$dev" &&
		ov_in "$h" ip link set "$dev" up
}

# Baseline: plain veth.
hosts 1
measure veth b1 a1 192.0.2.2 || ov_fail "the veth baseline must measure"

# Linux vxlan, the peer our vxlan is judged against.
hosts 2
tunnel a2 vx 10.9.0.1/24 type vxlan id 42 local 192.0.2.1 remote 192.0.2.2 dstport 4789 &&
	tunnel b2 vx 10.9.0.2/24 type vxlan id 42 local 192.0.2.2 remote 192.0.2.1 dstport 4789 ||
	ov_fail "cannot create Linux vxlan"
measure linux_vxlan b2 a2 10.9.0.2 || ov_fail "Linux vxlan must measure"

# Linux gretap with a key, the peer our nvgre is judged against.
hosts 3
tunnel a3 gt 10.9.0.1/24 type gretap key 42 local 192.0.2.1 remote 192.0.2.2 &&
	tunnel b3 gt 10.9.0.2/24 type gretap key 42 local 192.0.2.2 remote 192.0.2.1 ||
	ov_fail "cannot create Linux gretap"
measure linux_gretap b3 a3 10.9.0.2 || ov_fail "Linux gretap must measure"

# ----------------------------------------------------------------------
# SLOT: our overlay device (overlay.ko), vxlan and nvgre, point mode.
# overlay_point HOST DEV ENCAP VNETID LOCAL REMOTE INNER-ADDR creates a
# point-mode overlay device in HOST whose one destination is REMOTE and
# brings it up with INNER-ADDR; it returns non-zero with the reason on
# stdout when it cannot. Fill it in with the documented way to create a
# point-mode device (see man/man7/overlay.7, include/uapi/overlay.h).
overlay_point() {
	echo "no documented way to create a point-mode overlay device yet"
	return 1
}
# ----------------------------------------------------------------------

n=4
for encap in vxlan nvgre; do
	cfg=overlay_$encap
	if ! ov_have_overlay; then
		reason "$cfg" "overlay.ko is not built (make module)"
		continue
	fi
	modprobe overlay || { reason "$cfg" "modprobe overlay failed"; continue; }
	hosts $n
	if ! why=$(overlay_point "a$n" ov0 "$encap" 42 192.0.2.1 192.0.2.2 10.9.0.1/24) ||
		! why=$(overlay_point "b$n" ov0 "$encap" 42 192.0.2.2 192.0.2.1 10.9.0.2/24); then
		reason "$cfg" "$why"
	else
		measure "$cfg" "b$n" "a$n" 10.9.0.2
	fi
	n=$((n + 1))
done
echo "bench: datapath runs done"
