#!/bin/sh
# varpd's files backend driving three dynamic overlay devices through the
# real lookup channel of ovnet.ko (issue 5 item 7).
# Three hosts a, b, c in network namespaces, joined pairwise by veth links
# (192.0.2.0/30 subnets) and each reachable at one underlay address on its
# loopback (198.51.100.1-3, routed over the links). Each host has a dynamic
# VXLAN device ov51 (ovctl updyn, VNI 51) and its own varpd (own state
# directory and control socket, run inside the host's netns: /dev/overlay's
# request queue and its one responder are per network namespace). One
# overlay_files(5) table, shared by the three, lists every host's MAC,
# underlay address, IPv4 (arp) and IPv6 (ndp) address.
#  - IPv4 and IPv6 ping between every pair of hosts; ARP and NDP are
#    answered by varpd (its proxy_arp/proxy_ndp counters move, the devices'
#    neighbour entries carry the table's MACs), and no frame with a
#    broadcast or multicast inner destination is ever encapsulated on the
#    underlay (overlay-snoop -j on all three links; unicast VXLAN is seen)
#  - varpd lists a's cache (CACHE_ITER); changing c's entry in the table
#    removes c's MAC from the caches (CACHE_REMOVE) and the next frame
#    gets the new destination; no varpd reports an error
#  - kill -9 of a's varpd with a ping running: the device is DEGRADED ("no
#    responder"), its cache is flushed so a's frames wait on requests; the
#    restarted varpd (same state directory) restores the instance from disk,
#    claims the responder role, answers the queued requests and the ping
#    resumes; nothing is created again by hand
#  - a second varpd in a namespace that already has one (another state
#    directory) is refused: the responder role is taken
# vm-timeout: 300
. "$OVERLAY_TESTS/lib.sh"
ov_need_ovnet
ov_modprobe ovnet

T=/tmp/51.$$
mkdir -p "$T"
ov_on_exit rm -rf "$T"

ov_host a b c
ov_mesh3 a b c
ov_ping a 198.51.100.2 1
ov_ping a 198.51.100.3 1
ov_ping b 198.51.100.3 1

# Underlay captures, one at one end of each link: every VXLAN frame.
for cap in a:vb b:va c:va; do
	ov_bg "${cap%%:*}" overlay-snoop -d "${cap#*:}" -j udp port 4789 \
		>"$T/cap.${cap%%:*}" 2>"$T/cap.${cap%%:*}.err"
done

MA=02:00:00:00:51:0a MB=02:00:00:00:51:0b MC=02:00:00:00:51:0c
cat >"$T/table.json" <<EOT
{
  "$MA": { "ip": "198.51.100.1", "arp": "10.51.0.1", "ndp": "fd51::1" },
  "$MB": { "ip": "198.51.100.2", "arp": "10.51.0.2", "ndp": "fd51::2" },
  "$MC": { "ip": "198.51.100.3", "arp": "10.51.0.3", "ndp": "fd51::3" }
}
EOT

# mk HOST N MAC: the dynamic device (its link id in $T/HOST.id), a varpd
# serving it with a files instance.
mk() {
	h=$1
	id=$(ov_in "$h" ovctl updyn ov51 vxlan 51 "198.51.100.$2") || ov_fail "updyn in $h"
	echo "$id" >"$T/$h.id"
	ov_in "$h" ip link set ov51 address "$3" || ov_fail "mac in $h"
	ov_in "$h" ip link set ov51 up
	ov_in "$h" ip addr add "10.51.0.$2/24" dev ov51
	ov_in "$h" ip addr add "fd51::$2/64" dev ov51 nodad
	mkdir -p "$T/state.$h"
	ov_bg "$h" varpd -f -d "$T/state.$h" -p "$OVERLAY_PLUGIN_DIR" >"$T/varpd.$h" 2>&1
	ov_wait "$h" 10 test -S "$T/state.$h/varpd.sock"
	inst=$(varpd-ctl -s "$T/state.$h/varpd.sock" create "$id" files \
		"files/config=$T/table.json") || ov_fail "varpd in $h refused the files instance"
	echo "$inst" >"$T/$h.inst"
	[ "$(ov_in "$h" ovctl status "$id" degraded)" = online ] ||
		ov_fail "$h: DEGRADED with varpd running: $(ov_in "$h" ovctl status "$id" message)"
}
mk a 1 $MA
mk b 2 $MB
mk c 3 $MC
ctl() {
	ctl_h=$1
	shift
	varpd-ctl -s "$T/state.$ctl_h/varpd.sock" "$@"
}
ida=$(cat "$T/a.id")
ctl a status | sed 's/^/# a: /'
ctl a list | sed 's/^/# a instance: /'

# Every pair, both families; neighbours are resolved through varpd.
for p in a:b:2 a:c:3 b:a:1 b:c:3 c:a:1 c:b:2; do
	from=${p%%:*} n=${p##*:}
	ov_ping "$from" "10.51.0.$n" 2
	ov_ping "$from" "fd51::$n" 2
done
ov_in a ip neigh show dev ov51 | sed 's/^/# a neighbour: /'
ov_in a ip neigh show dev ov51 | grep -q "10.51.0.2 lladdr $MB" ||
	ov_fail "a's ARP entry for b is not the table's MAC"
ov_in a ip -6 neigh show dev ov51 | grep -q "fd51::3 lladdr $MC" ||
	ov_fail "a's NDP entry for c is not the table's MAC"
for h in a b c; do
	s=$(ctl $h stats)
	echo "# $h stats: $s"
	arp=$(echo "$s" | sed -n 's/.* proxy_arp \([0-9]*\) .*/\1/p')
	ndp=$(echo "$s" | sed -n 's/.* proxy_ndp \([0-9]*\) .*/\1/p')
	hits=$(echo "$s" | sed -n 's/.* hits \([0-9]*\) .*/\1/p')
	[ "${arp:-0}" -ge 2 ] || ov_fail "$h: varpd answered $arp ARP request(s), expected >= 2"
	[ "${ndp:-0}" -ge 2 ] || ov_fail "$h: varpd answered $ndp NDP solicitation(s), expected >= 2"
	[ "${hits:-0}" -ge 2 ] || ov_fail "$h: varpd answered $hits unicast lookup(s), expected >= 2"
done
ov_in a ovctl info "$ida" | sed 's/^/# a info: /'
echo "varpd-files: IPv4 and IPv6 between three hosts, ARP and NDP answered by varpd"

# The underlay: unicast VXLAN only, never a broadcast/multicast inner frame.
sleep 1
for h in a b c; do
	inner=$(grep -o '"layer":"eth","depth":1,"src":"[^"]*","dst":"[^"]*"' "$T/cap.$h" |
		sed 's/.*"dst":"//; s/"$//')
	n=$(echo "$inner" | grep -c .)
	[ "$n" -ge 8 ] || ov_fail "capture at $h saw $n VXLAN frames: $(cat "$T/cap.$h.err")"
	bad=$(echo "$inner" | grep -v '^.[02468ace]:' | sort | uniq -c)
	[ -z "$bad" ] || ov_fail "broadcast/multicast encapsulated on the underlay at $h: $bad"
	echo "# capture at $h: $n VXLAN frames, all unicast inside"
done
echo "varpd-files: no broadcast or multicast reached the underlay"

# varpd's view of a's cache (CACHE_ITER through its control API); then a
# shootdown: c's entry gains an explicit port (4789, VXLAN's default), every
# varpd reloads the shared table and removes c's MAC from its kernel cache
# (CACHE_REMOVE) while b's stays; the next frame asks again and gets the
# new destination.
ctl a cache "$ida" | sed 's/^/# a cache via varpd: /'
for m in "$MB 198.51.100.2" "$MC 198.51.100.3"; do
	ctl a cache "$ida" | grep -qi "^$m " || ov_fail "varpd's CACHE_ITER of a lacks $m"
done
inst_a=$(cat "$T/a.inst")
reloads=$(ctl a get "$inst_a" files/reloads)
sed 's/"ip": "198.51.100.3"/"ip": "198.51.100.3", "port": 4789/' "$T/table.json" >"$T/table.new"
mv "$T/table.new" "$T/table.json"
ov_wait a 10 sh -c "[ \$(varpd-ctl -s $T/state.a/varpd.sock get $inst_a files/reloads) -gt $reloads ]"
ov_wait a 5 sh -c "! ovctl cache-get $ida $MC"
ov_wait b 5 sh -c "! ovctl cache-get $(cat "$T/b.id") $MC"
ov_in a ovctl cache-get "$ida" $MB | grep -q "^$MB 198.51.100.2 0$" ||
	ov_fail "b's unchanged entry was shot down: $(ov_in a ovctl cache-get "$ida" $MB 2>&1)"
ov_ping a 10.51.0.3 2
ov_in a ovctl cache-get "$ida" $MC | grep -q "^$MC 198.51.100.3 4789$" ||
	ov_fail "c's new destination is not in a's cache: $(ov_in a ovctl cache-get "$ida" $MC 2>&1)"
for h in a b c; do
	s=$(ctl $h stats)
	case "$s" in
	*" errors 0 outstanding 0 "*) ;;
	*) ov_fail "$h: varpd reports errors or unanswered queries: $s" ;;
	esac
done
echo "varpd-files: CACHE_ITER through varpd; a table change shoots down only the changed MAC"

# kill -9 a's varpd mid-traffic; restart it on the same state directory.
# Not through ov_in: a backgrounded function is a subshell, and $! would be
# its pid, not ping's.
ip netns exec a ping -i 0.2 -w 40 10.51.0.2 >"$T/ping" 2>&1 &
pingpid=$!
replies() { grep -c 'bytes from' "$T/ping"; }
ov_wait a 10 sh -c "[ \$(grep -c 'bytes from' $T/ping) -ge 5 ]"
pid=$(ctl a status | sed -n 's/^pid \([0-9]*\) .*/\1/p')
[ -n "$pid" ] || ov_fail "no pid from a's varpd"
kill -9 "$pid"
ov_wait a 5 sh -c "! kill -0 $pid"
# The kernel keeps the cache across the restart; flush it so a's frames
# must wait on requests that only a new responder can answer.
ov_in a ovctl cache-flush "$ida" || ov_fail "cache-flush"
[ "$(ov_in a ovctl status "$ida" degraded)" = degraded ] ||
	ov_fail "a is not DEGRADED with its varpd killed"
ov_in a ovctl status "$ida" message | grep -q "no responder" ||
	ov_fail "DEGRADED without 'no responder': $(ov_in a ovctl status "$ida" message)"
before=$(replies)
sleep 2
gap=$(($(replies) - before))
pending=$(ov_in a ovctl info "$ida" pending)
echo "# killed varpd (pid $pid) after $before replies; $gap replies in 2 s without it; $pending pending"
[ "$gap" -le 1 ] || ov_fail "$gap replies came with no responder and an empty cache"
[ "$pending" -ge 1 ] || ov_fail "no request waits for a responder"
ov_bg a varpd -f -d "$T/state.a" -p "$OVERLAY_PLUGIN_DIR" >"$T/varpd.a2" 2>&1
ov_wait a 10 varpd-ctl -s "$T/state.a/varpd.sock" status
[ "$(ctl a list)" = "$(cat "$T/a.inst") link $ida files dynamic" ] ||
	ov_fail "a's instance did not come back from disk: $(ctl a list)"
resumed=$(replies)
ov_wait a 10 sh -c "[ \$(grep -c 'bytes from' $T/ping) -ge $((resumed + 5)) ]"
after=$(replies)
echo "# restarted varpd: $(ctl a status | head -1); replies $before before, $after now"
[ "$(ov_in a ovctl status "$ida" degraded)" = online ] ||
	ov_fail "a still DEGRADED after the restart"
ov_in a ovctl cache-get "$ida" $MB | grep -q "^$MB 198.51.100.2" ||
	ov_fail "the restarted varpd did not fill a's cache"
s=$(ctl a stats)
echo "# a stats after restart: $s"
kill "$pingpid" 2>/dev/null
echo "varpd-files: a kill -9'd varpd restarts from its state directory and traffic resumes"

# One responder per namespace: another varpd (other state dir) is refused.
mkdir -p "$T/state.x"
msg=$(ov_in a varpd -f -d "$T/state.x" -p "$OVERLAY_PLUGIN_DIR" -s "$T/x.sock" 2>&1) &&
	ov_fail "a second responder started in a"
echo "$msg" | grep -q "another process is the lookup responder" ||
	ov_fail "second varpd said: $msg"
ov_log "$msg"
echo "varpd-files: a second varpd in the namespace is refused (responder taken)"
