# Shell library for the VM test scripts (POSIX sh: dash in the VM; sourced).
#
#   . "$OVERLAY_TESTS/lib.sh"
#
# Theory: every test builds its own "hosts" as network namespaces joined by
# veth pairs, runs commands inside them, and removes them again on exit. The
# functions below are the vocabulary for that; each stops the script with a
# message naming what went wrong, so a FAIL on the console says why.
# Sourcing sets `set -u` and an EXIT trap (ov_cleanup). Not supported: bash
# features (arrays, [[ ]]); the VM runs scripts with dash.
#
# Environment, set by tests/vm/init:
#   OVERLAY_BIN         our programs (build/bin), also first on PATH
#   OVERLAY_PLUGIN_DIR  varpd plugins (build/lib/varpd/*.so)
#   OVERLAY_TESTS       the test scripts and this file
#   OVERLAY_SRC         /overlay/src: tests/expect and man/ of the source tree
#   OVERLAY_BUILD       /overlay, laid out as a build tree (bin/, lib/varpd/)
#   OVERLAY_RESULTS     files left here are copied out of the VM after the run
#                       (run-vm.sh puts them in BUILD/vm/results/)
#   OVERLAY_KVER        uname -r of the VM kernel
#
# Functions:
#   ov_host NAME...                 create netns host(s) NAME with lo up
#   ov_link [-i IF_A IF_B] A B [ADDR_A ADDR_B]...
#                                   veth pair between hosts A and B, named
#                                   v<B> in A and v<A> in B (or IF_A/IF_B),
#                                   up, with each address pair (CIDR; IPv6
#                                   added nodad) assigned A first
#   ov_in HOST CMD...               run CMD inside HOST
#   ov_bg HOST CMD...               run CMD inside HOST in the background;
#                                   killed by ov_cleanup
#   ov_ping HOST ADDR [COUNT]       ping (v4 or v6 by address) from HOST;
#                                   fails the test when no reply comes back
#   ov_wait_addr HOST ADDR [SECS]   wait until ADDR on HOST is usable (IPv6:
#                                   DAD finished, not tentative/dadfailed)
#   ov_wait HOST SECS CMD...        retry CMD in HOST each 0.2 s until it
#                                   succeeds or SECS pass (then fail)
#   ov_assert DESC CMD...           run CMD; fail with DESC if it fails
#   ov_assert_fails DESC CMD...     run CMD; fail with DESC if it succeeds
#   ov_fail MSG                     print "FAIL: MSG", exit 1
#   ov_skip MSG                     print "SKIP: MSG", exit 77
#   ov_log MSG                      print "# MSG"
#   ov_modprobe MOD...              modprobe kernel modules (fail if absent)
#   ov_have_ovnet                   true if ovnet.ko is in the VM
#   ov_need_ovnet                   skip (77) unless ovnet.ko is in the VM
#   ov_result_file NAME FILE        copy FILE out of the VM as NAME
#   ov_cleanup                      the EXIT trap: kill ov_bg jobs, delete
#                                   the hosts ov_host made, then any extra
#                                   command registered with ov_on_exit CMD
#
# Hosts with varpd (the varpd/overlayadm scripts and the demo):
#   ov_mesh3 A B C                  three hosts joined pairwise by veth links
#                                   (192.0.2.0/30, .4/30, .8/30), each with an
#                                   underlay address 198.51.100.1-3 (A, B, C)
#                                   on its loopback, routed over the links
#   ov_varpd HOST DIR [ARGS...]     start a varpd in HOST (state directory
#                                   DIR, socket DIR/varpd.sock, log DIR.log)
#                                   and wait until it serves
#   ov_adm HOST DIR ARGS...         overlayadm in HOST against that varpd,
#                                   its saved overlays in DIR/state
#   ov_overlay HOST DIR NAME VNI LISTEN_IP BACKEND PROPS
#                                   a varpd in HOST (ov_varpd HOST DIR) if
#                                   none serves DIR yet, and a VXLAN overlay
#                                   NAME made by overlayadm create-overlay
#                                   -s BACKEND -v VNI -p vxlan/listen_ip=
#                                   LISTEN_IP,PROPS; its link set up
#   ov_need_plugin NAME             skip unless varpd's plugin NAME is built
#   ov_need_sqlite                  skip unless ovnet.ko, the sqlite plugin,
#                                   overlayadm's mapping commands and sqlite3
#                                   are all in the VM; load ovnet.ko
#   ov_need_cmd CMD [SUBCOMMAND]    skip unless CMD (with SUBCOMMAND in its
#                                   usage text) is in the VM
#   ov_until SECS CMD...            retry CMD (a shell function too) in
#                                   this shell each 0.1 s until it succeeds
#                                   or SECS pass (then fail)
#   ov_now                          seconds since boot, to 10 ms
#   ov_tmp NAME                     T=/tmp/NAME.PID, made now, removed at exit
#   ov_rx HOST IF                   packets IF in HOST has received

set -u

OV_HOSTS=""
OV_BG_PIDS=""
OV_ON_EXIT=""

ov_log() { echo "# $*"; }

ov_fail() {
	echo "FAIL: $*" >&2
	exit 1
}

ov_skip() {
	echo "SKIP: $*"
	exit 77
}

ov_host() {
	for h in "$@"; do
		ip netns add "$h" || ov_fail "ip netns add $h"
		OV_HOSTS="$OV_HOSTS $h"
		ip -n "$h" link set lo up || ov_fail "lo up in $h"
	done
}

ov_in() {
	ov_h=$1
	shift
	ip netns exec "$ov_h" "$@"
}

ov_bg() {
	ov_h=$1
	shift
	ip netns exec "$ov_h" "$@" &
	OV_BG_PIDS="$OV_BG_PIDS $!"
}

ov_link() {
	ov_ifa="" ov_ifb=""
	if [ "$1" = "-i" ]; then
		ov_ifa=$2 ov_ifb=$3
		shift 3
	fi
	ov_a=$1 ov_b=$2
	shift 2
	[ -n "$ov_ifa" ] || ov_ifa=$(echo "v$ov_b" | cut -c1-15)
	[ -n "$ov_ifb" ] || ov_ifb=$(echo "v$ov_a" | cut -c1-15)
	ip link add "ovtmp$$a" type veth peer name "ovtmp$$b" ||
		ov_fail "veth pair for $ov_a-$ov_b"
	ip link set "ovtmp$$a" netns "$ov_a" name "$ov_ifa" ||
		ov_fail "move veth into $ov_a as $ov_ifa"
	ip link set "ovtmp$$b" netns "$ov_b" name "$ov_ifb" ||
		ov_fail "move veth into $ov_b as $ov_ifb"
	ip -n "$ov_a" link set "$ov_ifa" up || ov_fail "$ov_ifa up in $ov_a"
	ip -n "$ov_b" link set "$ov_ifb" up || ov_fail "$ov_ifb up in $ov_b"
	while [ $# -ge 2 ]; do
		_ov_addr "$ov_a" "$ov_ifa" "$1"
		_ov_addr "$ov_b" "$ov_ifb" "$2"
		shift 2
	done
	[ $# -eq 0 ] || ov_fail "ov_link: addresses must come in pairs (left: $*)"
}

_ov_addr() {
	case "$3" in
	*:*) ip -n "$1" addr add "$3" dev "$2" nodad ||
		ov_fail "add $3 to $2 in $1" ;;
	*) ip -n "$1" addr add "$3" dev "$2" || ov_fail "add $3 to $2 in $1" ;;
	esac
}

ov_ping() {
	ov_count=${3:-3}
	case "$2" in
	*:*) ov_cmd=ping6 ;;
	*) ov_cmd=ping ;;
	esac
	ip netns exec "$1" "$ov_cmd" -c "$ov_count" -i 0.2 -w 10 "$2" >/tmp/ov_ping.$$ 2>&1
	ov_rc=$?
	if [ $ov_rc -ne 0 ]; then
		cat /tmp/ov_ping.$$ >&2
		ov_fail "no ping reply from $2 in $1"
	fi
	grep -E 'packets transmitted' /tmp/ov_ping.$$ | sed "s/^/# $1 -> $2: /"
	rm -f /tmp/ov_ping.$$
}

ov_wait() {
	ov_h=$1 ov_secs=$2
	shift 2
	ov_tries=$((ov_secs * 5))
	while [ $ov_tries -gt 0 ]; do
		ip netns exec "$ov_h" "$@" >/dev/null 2>&1 && return 0
		sleep 0.2
		ov_tries=$((ov_tries - 1))
	done
	ov_fail "timed out after ${ov_secs}s in $ov_h waiting for: $*"
}

_ov_addr_ready() {
	# The address is present and not tentative (DAD pending) nor failed.
	ov_line=$(ip -n "$1" addr show | grep -F " ${2%/*}/")
	[ -n "$ov_line" ] || return 1
	case "$ov_line" in
	*tentative* | *dadfailed*) return 1 ;;
	esac
	return 0
}

ov_wait_addr() {
	ov_tries=$((${3:-10} * 5))
	while [ $ov_tries -gt 0 ]; do
		_ov_addr_ready "$1" "$2" && return 0
		sleep 0.2
		ov_tries=$((ov_tries - 1))
	done
	ip -n "$1" addr show >&2
	ov_fail "address $2 in $1 not usable after ${3:-10}s"
}

ov_assert() {
	ov_desc=$1
	shift
	"$@" || ov_fail "$ov_desc (command: $*)"
}

ov_assert_fails() {
	ov_desc=$1
	shift
	if "$@"; then
		ov_fail "$ov_desc (command succeeded but should not: $*)"
	fi
	return 0
}

ov_modprobe() {
	for m in "$@"; do
		modprobe "$m" || ov_fail "modprobe $m"
	done
}

ov_have_ovnet() {
	modinfo ovnet >/dev/null 2>&1 ||
		[ -f "/lib/modules/$OVERLAY_KVER/extra/ovnet.ko" ]
}

ov_need_ovnet() {
	ov_have_ovnet || ov_skip "ovnet.ko is not built (make kmods)"
}

ov_result_file() {
	cp "$2" "$OVERLAY_RESULTS/$1" || ov_fail "copy $2 to results as $1"
}

ov_on_exit() {
	OV_ON_EXIT="$OV_ON_EXIT
$*"
}

ov_cleanup() {
	ov_status=$?
	trap - EXIT
	for p in $OV_BG_PIDS; do
		kill "$p" 2>/dev/null
	done
	for h in $OV_HOSTS; do
		ip netns pids "$h" 2>/dev/null | xargs -r kill -9 2>/dev/null
		ip netns del "$h" 2>/dev/null
	done
	if [ -n "$OV_ON_EXIT" ]; then
		eval "$OV_ON_EXIT"
	fi
	exit $ov_status
}

ov_mesh3() {
	ov_link "$1" "$2" 192.0.2.1/30 192.0.2.2/30
	ov_link "$1" "$3" 192.0.2.5/30 192.0.2.6/30
	ov_link "$2" "$3" 192.0.2.9/30 192.0.2.10/30
	_ov_underlay "$1" 1 2 192.0.2.2 3 192.0.2.6
	_ov_underlay "$2" 2 1 192.0.2.1 3 192.0.2.10
	_ov_underlay "$3" 3 1 192.0.2.5 2 192.0.2.9
}

# _ov_underlay HOST N PEER1 VIA1 PEER2 VIA2: 198.51.100.N on lo, routes to the peers
_ov_underlay() {
	ov_in "$1" ip addr add "198.51.100.$2/32" dev lo || ov_fail "underlay address in $1"
	ov_in "$1" ip route add "198.51.100.$3/32" via "$4" || ov_fail "route to .$3 in $1"
	ov_in "$1" ip route add "198.51.100.$5/32" via "$6" || ov_fail "route to .$5 in $1"
}

ov_varpd() {
	ov_h=$1 ov_d=$2
	shift 2
	mkdir -p "$ov_d"
	# Not -f: varpd forks and its parent exits once the socket serves.
	ov_in "$ov_h" varpd -d "$ov_d" -p "$OVERLAY_PLUGIN_DIR" "$@" 2>>"$ov_d.log" ||
		ov_fail "varpd in $ov_h did not start: $(cat "$ov_d.log")"
}

ov_adm() {
	ov_h=$1 ov_d=$2
	shift 2
	ip netns exec "$ov_h" overlayadm -S "$ov_d/varpd.sock" -D "$ov_d/state" "$@"
}

ov_overlay() {
	[ -S "$2/varpd.sock" ] || ov_varpd "$1" "$2"
	ov_adm "$1" "$2" create-overlay -e vxlan -s "$6" -v "$4" \
		-p "vxlan/listen_ip=$5,$7" "$3" ||
		ov_fail "create-overlay $3 (-s $6) in $1: $(tail -n 3 "$2.log")"
	ip -n "$1" link set "$3" up || ov_fail "$3 up in $1"
}

ov_need_sqlite() {
	ov_need_ovnet
	ov_need_plugin sqlite
	ov_need_cmd overlayadm add-mapping
	ov_need_cmd overlayadm import-mappings
	ov_need_cmd sqlite3
	ov_modprobe ovnet
}

ov_need_plugin() {
	[ -f "$OVERLAY_PLUGIN_DIR/$1.so" ] || ov_skip "varpd's $1 plugin is not built"
}

ov_need_cmd() {
	command -v "$1" >/dev/null 2>&1 || ov_skip "$1 is not in the VM"
	[ $# -lt 2 ] || "$1" --help 2>&1 | grep -qw -- "$2" ||
		ov_skip "$1 has no $2 yet"
}

ov_until() {
	ov_tries=$(($1 * 10))
	shift
	until "$@"; do
		ov_tries=$((ov_tries - 1))
		[ $ov_tries -gt 0 ] || ov_fail "timed out waiting for: $*"
		sleep 0.1
	done
}

ov_tmp() {
	T=/tmp/$1.$$
	mkdir -p "$T" || ov_fail "mkdir $T"
	ov_on_exit rm -rf "$T"
}

ov_now() {
	read -r ov_up ov_rest </proc/uptime
	echo "$ov_up"
}

ov_rx() {
	ip -n "$1" -s link show "$2" | awk 'f { print $2; exit } /RX:/ { f = 1 }'
}

trap ov_cleanup EXIT
