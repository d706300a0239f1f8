#!/bin/sh
# varpd with the direct backend against the real ovnet.ko: point mode.
# Two namespace hosts each run their own varpd (one per host: its own state
# directory, inside the host's netns, where /dev/overlay's ioctls act). The
# devices are created and configured with ovctl but NOT associated; varpd's
# direct instance gives each its destination (ASSOCIATE), then tenant
# traffic flows both ways. Then: moving direct/dest_ip re-associates the
# device at once (traffic to a dead address stops, and comes back); a
# restarted varpd restores the instance from its file and re-associates; a
# second varpd on the same state directory is refused naming the first; a
# dynamic-mode (files) instance associates its device in dynamic mode;
# destroying the instance disassociates.
# vm-timeout: 240
. "$OVERLAY_TESTS/lib.sh"
ov_need_ovnet
ov_modprobe ovnet

ov_host a b
ov_link a b 192.0.2.1/24 192.0.2.2/24

# setup HOST LISTEN: an unassociated VXLAN device ov0 in HOST; prints its link id
setup() {
	id=$(ov_in "$1" ovctl create ov0 | cut -d' ' -f1) || ov_fail "ovctl create in $1"
	ov_in "$1" ovctl set "$id" encap vxlan || ov_fail "encap in $1"
	ov_in "$1" ovctl set "$id" vnetid 42 || ov_fail "vnetid in $1"
	ov_in "$1" ovctl set "$id" vxlan/listen_ip "$2" || ov_fail "listen_ip in $1"
	echo "$id"
}
ida=$(setup a 192.0.2.1)
idb=$(setup b 192.0.2.2)

sa=$(mktemp -d) sb=$(mktemp -d)
ov_bg a varpd -f -d "$sa" -p "$OVERLAY_PLUGIN_DIR"
ov_bg b varpd -f -d "$sb" -p "$OVERLAY_PLUGIN_DIR"
ov_wait a 10 test -S "$sa/varpd.sock"
ov_wait b 10 test -S "$sb/varpd.sock"
ca="varpd-ctl -s $sa/varpd.sock"
cb="varpd-ctl -s $sb/varpd.sock"
$ca plugins | sed 's/^/# a plugins: /'

inst_a=$($ca create "$ida" direct direct/dest_ip=192.0.2.2 direct/dest_port=4789) ||
	ov_fail "varpd in a refused the direct instance"
inst_b=$($cb create "$idb" direct direct/dest_ip=192.0.2.1) ||
	ov_fail "varpd in b refused the direct instance"
ov_in a ovctl status "$ida" | grep -q 'associated' ||
	ov_fail "varpd did not associate link $ida in a: $(ov_in a ovctl status "$ida" | head -3)"
for h in a b; do
	id=$ida
	[ $h = b ] && id=$idb
	ov_in $h ovctl activate "$id" || ov_fail "activate in $h"
	ov_in $h ip link set ov0 up
done
ov_in a ip addr add 10.1.0.1/24 dev ov0
ov_in b ip addr add 10.1.0.2/24 dev ov0
ov_ping a 10.1.0.2
ov_ping b 10.1.0.1
echo "varpd-direct: varpd's direct instances give both devices their destination"

# Move a's destination to an address nobody listens on: the traffic stops.
$ca set "$inst_a" direct/dest_ip 192.0.2.99 || ov_fail "set dest_ip"
[ "$($ca get "$inst_a" direct/dest_ip)" = 192.0.2.99 ] || ov_fail "dest_ip not changed"
rx0=$(ov_in b ovctl status "$idb" dev.rx_packets)
ov_in a ping -c 3 -i 0.2 -w 2 10.1.0.2 >/dev/null 2>&1 &&
	ov_fail "ping still answered with the destination moved away"
rx1=$(ov_in b ovctl status "$idb" dev.rx_packets)
[ "$rx1" = "$rx0" ] || ov_fail "b received $((rx1 - rx0)) packets sent to 192.0.2.99"
$ca set "$inst_a" direct/dest_ip 192.0.2.2 || ov_fail "set dest_ip back"
ov_ping a 10.1.0.2
echo "varpd-direct: a property change re-associates the device at once"

# One varpd per host: a second one on a's state directory is refused.
pid_a=$($ca status | sed -n 's/^pid \([0-9]*\) .*/\1/p')
msg=$(ov_in a varpd -f -d "$sa" -p "$OVERLAY_PLUGIN_DIR" 2>&1) &&
	ov_fail "a second varpd started"
echo "$msg" | grep -q "another varpd (pid $pid_a) already runs" ||
	ov_fail "second varpd said: $msg"
echo "varpd-direct: a second varpd is refused naming pid $pid_a"

# Restart a's varpd: the instance comes back from its file, re-associated.
kill "$pid_a"
ov_wait a 10 sh -c "! kill -0 $pid_a"
ov_in a ovctl disassociate "$ida" || ov_fail "disassociate by hand"
ov_bg a varpd -f -d "$sa" -p "$OVERLAY_PLUGIN_DIR"
ov_wait a 10 $ca status
[ "$($ca list)" = "$inst_a link $ida direct point" ] || ov_fail "restored: $($ca list)"
ov_in a ovctl status "$ida" | grep -q 'associated' || ov_fail "not re-associated after restart"
ov_ping a 10.1.0.2
echo "varpd-direct: a restarted varpd restores the instance and re-associates"

# A dynamic-mode (files) instance beside it: varpd ASSOCIATEs the device
# in dynamic mode through the lookup channel (51-varpd-files drives one).
echo '{}' >"$sa/table.json"
id2=$(ov_in a ovctl create ov1 | cut -d' ' -f1)
inst2=$($ca create "$id2" files "files/config=$sa/table.json") ||
	ov_fail "varpd in a refused a files instance"
[ "$(ov_in a ovctl info "$id2" mode)" = 2 ] || ov_fail "files instance: link $id2 not dynamic"
$ca destroy "$inst2" || ov_fail "destroy the files instance"

# Destroying the instance disassociates the device.
$ca destroy "$inst_a" || ov_fail "destroy"
ov_in a ovctl status "$ida" | grep -q 'associated' && ov_fail "still associated after destroy"
[ -z "$($ca list)" ] || ov_fail "instances left: $($ca list)"
echo "varpd-direct: destroy disassociates"
