#!/bin/sh
# The datapath benchmark, run inside the test VM by bench/datapath/run.sh
# (through tests/vm/run-vm.sh --tests-dir bench/datapath).
#
# Theory: each datapath -- plain veth, Linux vxlan, Linux gretap with a key
# (NVGRE framing), and our overlay device with vxlan and with nvgre -- gets
# its own two network-namespace hosts joined by a veth underlay (IPv4) and an
# iperf3 server. Then BENCH_ROUNDS rounds each run, for every datapath in
# turn (forward, then backward in the next round), one iperf3 TCP run and
# one UDP run of 64-byte datagrams at unlimited rate, BENCH_SECONDS each;
# each compared pair (our vxlan and Linux vxlan, our nvgre and gretap) runs
# back to back, so the noise of a shared, emulated CPU weighs on both alike. The iperf3 JSON of each run leaves the VM as a result file
# (<config>-<tcp|udp>-<round>.json); the host takes the median per datapath
# and computes the ratios. A datapath that cannot be set up leaves
# <config>.reason instead, with one line saying why, and the host reports
# null for it. Every tunnel's inner MTU is 1400 so the tunnels compare like
# with like; plain veth keeps 1500. Under TCG only ratios mean anything.
# vm-timeout: 900
. "$OVERLAY_TESTS/lib.sh"

# Set by run.sh through run-vm.sh --env (kernel command line).
BENCH_SECONDS=${BENCH_SECONDS:-5}
BENCH_ROUNDS=${BENCH_ROUNDS:-3}
PORT=5201

ov_modprobe vxlan ip_gre

reason() { # reason CONFIG TEXT...
	cfg=$1
	shift
	echo "$*" >"$OVERLAY_RESULTS/$cfg.reason"
	echo "bench: $cfg not measured: $*"
}

# prepare CONFIG SERVER-HOST CLIENT-HOST SERVER-ADDR: check the path, start
# the iperf3 server, and add CONFIG to the list measured each round.
CONFIGS=""
prepare() {
	cfg=$1 srv=$2 cli=$3 addr=$4
	if ! ov_in "$cli" ping -q -c 3 -i 0.2 -w 10 "$addr" >/dev/null; then
		reason "$cfg" "no ping reply from $addr through the $cfg datapath"
		return 1
	fi
	ov_bg "$srv" iperf3 -s -p $PORT
	ov_wait "$srv" 10 sh -c "ss -ltn | grep -q ':$PORT '"
	CONFIGS="$CONFIGS $cfg:$cli:$addr"
	return 0
}

# run CONFIG CLIENT-HOST SERVER-ADDR ROUND: one TCP and one UDP-64 run.
run() {
	cfg=$1 cli=$2 addr=$3 round=$4
	for kind in tcp udp; do
		case $kind in
		tcp) args="" ;;
		udp) args="-u -l 64 -b 0" ;;
		esac
		f=$cfg-$kind-$round.json
		if ! ov_in "$cli" iperf3 -c "$addr" -p $PORT -t $BENCH_SECONDS -J \
			$args >"$f" 2>"$f.err"; then
			cat "$f.err" "$f" >&2
			reason "$cfg" "iperf3 $kind run failed: $(head -c 200 "$f.err")"
			return 1
		fi
		ov_result_file "$f" "$f"
	done
	echo "bench: round $round: $cfg done"
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
prepare veth b1 a1 192.0.2.2 || ov_fail "the veth baseline must measure"

# Linux vxlan, the peer our vxlan is judged against.
hosts 2
tunnel a2 vx 10.9.0.1/24 type vxlan id 42 local 192.0.2.1 remote 192.0.2.2 dstport 4789 &&
	tunnel b2 vx 10.9.0.2/24 type vxlan id 42 local 192.0.2.2 remote 192.0.2.1 dstport 4789 ||
	ov_fail "cannot create Linux vxlan"
prepare linux_vxlan b2 a2 10.9.0.2 || ov_fail "Linux vxlan must measure"

# Linux gretap with a key, the peer our nvgre is judged against.
hosts 3
tunnel a3 gt 10.9.0.1/24 type gretap key 42 local 192.0.2.1 remote 192.0.2.2 &&
	tunnel b3 gt 10.9.0.2/24 type gretap key 42 local 192.0.2.2 remote 192.0.2.1 ||
	ov_fail "cannot create Linux gretap"
prepare linux_gretap b3 a3 10.9.0.2 || ov_fail "Linux gretap must measure"

# ----------------------------------------------------------------------
# Our overlay device (ovnet.ko), vxlan and nvgre, point mode.
# overlay_point HOST DEV ENCAP VNETID LOCAL REMOTE INNER-ADDR creates a
# point-mode overlay device in HOST whose one destination is REMOTE and
# brings it up with INNER-ADDR; it prints the reason and returns non-zero
# when it cannot. The way to create one is overlay(7)'s and the VM tests':
# `ovctl up NAME ENCAP VNETID LISTEN_IP DEST_IP` (kernel-module/tools).
overlay_point() {
	h=$1 dev=$2
	command -v ovctl >/dev/null ||
		{ echo "ovctl is not built (kernel-module/tools, build/bin/ovctl)"; return 1; }
	if ! ov_in "$h" ovctl up "$dev" "$3" "$4" "$5" "$6" >/tmp/ovctl.out 2>&1; then
		echo "ovctl up $dev $3 $4 $5 $6 in $h failed: $(head -c 200 /tmp/ovctl.out)"
		return 1
	fi
	ov_in "$h" ip link set "$dev" mtu 1400 ||
		ov_in "$h" ovctl set "$dev" mtu 1400 ||
		{ echo "cannot set the MTU of $dev to 1400"; return 1; }
	ov_in "$h" ip addr add "$7" dev "$dev" && ov_in "$h" ip link set "$dev" up ||
		{ echo "cannot bring $dev up with $7"; return 1; }
}
# ----------------------------------------------------------------------

n=4
for encap in vxlan nvgre; do
	cfg=overlay_$encap
	if ! ov_have_ovnet; then
		reason "$cfg" "ovnet.ko is not built (make kmods)"
		continue
	fi
	modprobe ovnet || { reason "$cfg" "modprobe ovnet failed"; continue; }
	hosts $n
	if ! why=$(overlay_point "a$n" ov0 "$encap" 42 192.0.2.1 192.0.2.2 10.9.0.1/24) ||
		! why=$(overlay_point "b$n" ov0 "$encap" 42 192.0.2.2 192.0.2.1 10.9.0.2/24); then
		reason "$cfg" "$why"
	else
		prepare "$cfg" "b$n" "a$n" 10.9.0.2
	fi
	n=$((n + 1))
done
# The rounds. A Linux peer or the baseline failing fails the run; our device
# failing is recorded (its reason file) and it leaves the later rounds.
round=1
while [ $round -le $BENCH_ROUNDS ]; do
	# Forward on odd rounds, backward on even ones (A B C, C B A, ...): each
	# datapath and the peer it is compared with run next to each other, and
	# a drift in host load within a pair of rounds weighs on both alike.
	# shellcheck disable=SC2046 # entries are NAME:HOST:ADDR, no spaces
	set -- $(for o in veth linux_vxlan overlay_vxlan linux_gretap overlay_nvgre; do
		for c in $CONFIGS; do
			[ "${c%%:*}" = "$o" ] && echo "$c"
		done
	done)
	if [ $((round % 2)) -eq 0 ]; then
		rev=""
		for c in "$@"; do rev="$c $rev"; done
		set -- $rev
	fi
	for c in "$@"; do
		cfg=${c%%:*} rest=${c#*:}
		[ -f "$OVERLAY_RESULTS/$cfg.reason" ] && continue
		if ! run "$cfg" "${rest%%:*}" "${rest#*:}" $round; then
			case $cfg in
			overlay_*) ;;
			*) ov_fail "$cfg must measure" ;;
			esac
		fi
	done
	round=$((round + 1))
done
echo "bench: datapath runs done"
