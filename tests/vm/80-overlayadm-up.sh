#!/bin/sh
# overlayadm persistence with real traffic: two hosts make saved overlays
# (VXLAN over IPv4 and NVGRE over IPv6 with the direct backend, and a
# dynamic VXLAN one with the files backend and its MAC address given as
# overlayadm's mac property) and a temporary one, and ping across them. Then each host becomes a fresh machine that has only its
# saved overlays.json: varpd is stopped and its state directory removed,
# ovnet.ko is unloaded and loaded again, a new varpd starts on an empty
# state directory, and `overlayadm up` re-creates the saved overlays (not
# the temporary one) with the properties they were last given; the pings
# work again. `up` with a plugin varpd does not have reports it, exits 1
# and leaves no device behind, and a damaged overlays.json is refused,
# naming the file, without being rewritten.
# vm-timeout: 180
. "$OVERLAY_TESTS/lib.sh"
ov_need_ovnet
ov_modprobe ovnet

ov_host a b
ov_link a b 192.0.2.1/24 192.0.2.2/24 2001:db8::1/64 2001:db8::2/64
ov_wait_addr a 2001:db8::1
ov_wait_addr b 2001:db8::2

top=$(mktemp -d)
varpd_start() { # HOST [PLUGINDIR [VARPD-OPTION...]]
	vs_h=$1 vs_p=${2:-$OVERLAY_PLUGIN_DIR}
	shift
	[ $# -gt 0 ] && shift
	mkdir -p "$top/$vs_h"
	ov_in "$vs_h" varpd -d "$top/$vs_h/varpd" -p "$vs_p" "$@" 2>>"$top/$vs_h.log" ||
		ov_fail "varpd in $vs_h did not start: $(cat "$top/$vs_h.log")"
}
varpd_stop() { # HOST
	pid=$(cat "$top/$1/varpd/varpd.lock")
	kill "$pid"
	i=0
	while kill -0 "$pid" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
}
ov_on_exit 'for h in a b; do kill $(cat '"$top"'/$h/varpd/varpd.lock) 2>/dev/null; done'
adm() { h=$1; shift; ov_in "$h" overlayadm -S "$top/$h/varpd/varpd.sock" -D "$top/$h/state" "$@"; }

MA=02:00:00:00:80:0a MB=02:00:00:00:80:0b
cat >"$top/table.json" <<EOT
{ "$MA": { "ip": "192.0.2.1", "arp": "10.8.0.1" },
  "$MB": { "ip": "192.0.2.2", "arp": "10.8.0.2" } }
EOT

# make HOST ME PEER ME6 PEER6 MAC
make_overlays() {
	adm "$1" create-overlay -e vxlan -s direct -v 100 \
		-p "vxlan/listen_ip=$2,direct/dest_ip=$3" ov4 || ov_fail "create ov4 in $1"
	adm "$1" create-overlay -e nvgre -s direct -v 200 \
		-p "nvgre/listen_ip=$4,direct/dest_ip=$5" ov6 || ov_fail "create ov6 in $1"
	adm "$1" create-overlay -e vxlan -s files -v 80 \
		-p "vxlan/listen_ip=$2,files/config=$top/table.json,mac=$6" ov8 || ov_fail "create ov8 in $1"
	adm "$1" create-overlay -t -e vxlan -s direct -v 300 \
		-p "vxlan/listen_ip=$2,direct/dest_ip=$3" ovt || ov_fail "create ovt in $1"
}
# address HOST N: tenant addresses 10.D.0.N on ovD (D = 4, 6, 8), up
address() {
	for d in ov4 ov6 ov8; do
		ov_in "$1" ip link set "$d" up
		ov_in "$1" ip addr add "10.${d#ov}.0.$2/24" dev "$d"
	done
}

varpd_start a
varpd_start b
make_overlays a 192.0.2.1 192.0.2.2 2001:db8::1 2001:db8::2 $MA
make_overlays b 192.0.2.2 192.0.2.1 2001:db8::2 2001:db8::1 $MB
adm a set-overlayprop -p mtu=1300 ov4 || ov_fail "set mtu"
adm b set-overlayprop -p mtu=1300 ov4 || ov_fail "set mtu"
address a 1
address b 2
ov_ping a 10.4.0.2
ov_ping a 10.6.0.2
ov_ping a 10.8.0.2
echo "overlayadm-up: saved VXLAN/IPv4, NVGRE/IPv6 and dynamic (files) overlays carry traffic"

# A fresh machine: no varpd state, ovnet.ko reloaded, only overlays.json kept.
for h in a b; do
	varpd_stop $h
	rm -rf "$top/$h/varpd"
done
rmmod ovnet || ov_fail "ovnet.ko still in use after deleting nothing"
ov_modprobe ovnet
ov_in a ip link show ov4 >/dev/null 2>&1 && ov_fail "ov4 survived the unload"

# up without the plugin: reported, exit 1, nothing made. A varpd with no
# backend at all is refused unless -P says so.
mkdir -p "$top/noplugins"
msg=$(ov_in a varpd -f -d "$top/a/varpd" -p "$top/noplugins" 2>&1) &&
	ov_fail "varpd started with no backend: $msg"
echo "$msg" | grep -q "no backend loaded from plugin directory $top/noplugins" ||
	ov_fail "varpd without backends said: $msg"
varpd_start a "$top/noplugins" -P
msg=$(adm a up 2>&1) && ov_fail "up succeeded without the direct plugin: $msg"
echo "$msg" | grep -q 'ov4: unknown plugin "direct"' || ov_fail "up said: $msg"
ov_in a ip link show ov4 >/dev/null 2>&1 && ov_fail "a failed up left ov4"
varpd_stop a
rm -rf "$top/a/varpd"

for h in a b; do
	varpd_start $h
	out=$(adm $h up) || ov_fail "up in $h: $out"
	echo "$out" | grep -q '^ov4: up$' || ov_fail "up in $h said: $out"
	echo "$out" | grep -q '^ov6: up$' || ov_fail "up in $h said: $out"
	echo "$out" | grep -q '^ov8: up$' || ov_fail "up in $h said: $out"
	ov_in $h ip link show ovt >/dev/null 2>&1 && ov_fail "up re-created the temporary ovt in $h"
	mtu=$(adm $h show-overlay -p -o property,value ov4 | sed -n 's/^mtu://p')
	[ "$mtu" = 1300 ] || ov_fail "ov4's mtu after up is '$mtu', not 1300"
done
ov_in a ip link show ov8 | grep -q "link/ether $MA " || ov_fail "ov8's MAC did not come back in a"
address a 1
address b 2
ov_ping a 10.4.0.2
ov_ping b 10.6.0.1
ov_ping b 10.8.0.1
adm a show-overlay -t ov8 | grep -q "^ov8 *$MB *192.0.2.2" ||
	ov_fail "a's ov8 did not learn b's MAC: $(adm a show-overlay -t ov8)"
adm a up | grep -q '^ov4: already up$' || ov_fail "a second up did not say already up"
echo "overlayadm-up: a fresh varpd and ovnet.ko, and up brings the three saved overlays back"

# A damaged overlays.json is refused, named, and left as it was.
echo '{"version": 1, "overlays": [' >"$top/a/state/overlays.json"
msg=$(adm a delete-overlay ov4 2>&1) && ov_fail "delete with a damaged overlays.json succeeded"
echo "$msg" | grep -q "overlays.json is damaged" || ov_fail "damaged file: $msg"
[ "$(cat "$top/a/state/overlays.json")" = '{"version": 1, "overlays": [' ] ||
	ov_fail "the damaged file was rewritten"
ov_in a ip link show ov4 >/dev/null 2>&1 || ov_fail "a refused delete removed ov4"
echo "overlayadm-up: a damaged overlays.json is refused and kept"
