#!/bin/sh
# The demo, inside the VM: three hosts (network namespaces h1 h2 h3 on one
# underlay bridge, 192.0.2.0/24), a varpd in each (its own state directory),
# overlays made with overlayadm, pings across them, what overlayadm shows,
# and an overlay-snoop decode of the underlay traffic captured on h1.
#
# The backend: the issue asks for SQLite, and files until SQLite exists.
# SQLite does not exist yet, so files: one dynamic-mode overlay per host
# (VNI 100) and one overlay_files(5) table shared by the three, mapping each
# tenant MAC to its host's underlay address and IPv4 address.
#
# Everything the demo shows is written to $OVERLAY_RESULTS/demo.txt (the
# console carries the kernel's log too); tests/demo/demo.sh prints it.
# vm-timeout: 150
. "$OVERLAY_TESTS/lib.sh"
ov_need_overlay
ov_modprobe overlay bridge

out=$OVERLAY_RESULTS/demo.txt
: >"$out"
say() { echo "$*" >>"$out"; echo "$*"; }
# show TITLE HOST CMD...: run CMD in HOST, its output under "$ TITLE"
show() {
	t=$1 h=$2
	shift 2
	say ""
	say "[$h]\$ $t"
	ov_in "$h" "$@" >>"$out" 2>&1 || ov_fail "$t in $h"
}

ov_host h1 h2 h3 sw
ov_in sw ip link add br0 type bridge
ov_in sw ip link set br0 up
n=1
for h in h1 h2 h3; do
	ov_link -i under "p$h" "$h" sw
	ov_in "$h" ip addr add "192.0.2.$n/24" dev under
	ov_in sw ip link set "p$h" master br0
	n=$((n + 1))
done
# the bridge may not forward at once; wait until h1 reaches the others
ov_wait h1 10 ping -c 1 -W 1 192.0.2.2
ov_wait h1 10 ping -c 1 -W 1 192.0.2.3

# The tenant side speaks IPv4 only, so the capture shows pings, not IPv6 chatter.
for h in h1 h2 h3; do
	ov_in "$h" sh -c "echo 1 >/proc/sys/net/ipv6/conf/default/disable_ipv6"
done
for h in h1 h2 h3; do
	mkdir -p "/tmp/demo/$h"
	ov_in "$h" varpd -d "/tmp/demo/$h" -p "$OVERLAY_PLUGIN_DIR" -l stderr \
		2>>"/tmp/demo/$h.log" || ov_fail "varpd in $h did not start: $(cat /tmp/demo/$h.log)"
done
ov_on_exit 'for h in h1 h2 h3; do kill $(cat /tmp/demo/$h/varpd.lock) 2>/dev/null; done'
adm() { h=$1; shift; ov_in "$h" overlayadm -S "/tmp/demo/$h/varpd.sock" -D "/tmp/demo/$h/state" "$@"; }

say "== overlay demo: three hosts (netns h1 h2 h3, underlay 192.0.2.1-3 on one bridge) =="
say "each host runs its own varpd; overlays are made with overlayadm"

say "backend: files (overlay_files(5)), dynamic mode. The issue asks for SQLite, which"
say "does not exist yet, and files until then. One table, shared by the three hosts,"
say "maps each tenant MAC to its host's underlay address and its IPv4 address (arp)."

# files N: overlay ov0 in host N, VNI 100, tenant MAC 02:08:20:00:01:0N, 10.100.0.N/24
files() {
	n=$1
	adm "h$n" create-overlay -e vxlan -s files -v 100 \
		-p "vxlan/listen_ip=192.0.2.$n,files/config=/tmp/demo/table.json,mac=02:08:20:00:01:0$n" ov0 ||
		ov_fail "create-overlay ov0 in h$n"
	ov_in "h$n" ip link set ov0 up
	ov_in "h$n" ip addr add "10.100.0.$n/24" dev ov0
	say "[h$n]\$ overlayadm create-overlay -e vxlan -s files -v 100 \\"
	say "        -p vxlan/listen_ip=192.0.2.$n,files/config=/tmp/demo/table.json,mac=02:08:20:00:01:0$n ov0"
	say "[h$n]\$ ip link set ov0 up; ip addr add 10.100.0.$n/24 dev ov0"
}
say ""
cat >/tmp/demo/table.json <<EOT
{
  "02:08:20:00:01:01": { "ip": "192.0.2.1", "arp": "10.100.0.1" },
  "02:08:20:00:01:02": { "ip": "192.0.2.2", "arp": "10.100.0.2" },
  "02:08:20:00:01:03": { "ip": "192.0.2.3", "arp": "10.100.0.3" }
}
EOT
say "\$ cat /tmp/demo/table.json"
cat /tmp/demo/table.json >>"$out"
files 1
files 2
files 3
pings_to="h1 10.100.0.2|h1 10.100.0.3|h2 10.100.0.3|h3 10.100.0.1|h2 10.100.0.1|h3 10.100.0.2"

# Capture the underlay on h1 while pinging across the overlays.
ov_in h1 overlay-snoop -d under -c 6 udp port 4789 >/tmp/demo/snoop.txt 2>&1 &
snoop=$!
sleep 1
say ""
pings=0
IFS='|'
for p in $pings_to; do
	IFS=' '
	set -- $p
	if ov_in "$1" ping -c 2 -i 0.2 -W 2 "$2" >/dev/null 2>&1; then
		say "$1: ping $2 ok"
		pings=$((pings + 1))
	else
		say "$1: ping $2 FAILED"
	fi
	IFS='|'
done
IFS=' '
[ $pings = 6 ] || ov_fail "only $pings of 6 pings across the overlays were answered"

show "overlayadm show-plugin" h1 overlayadm -S /tmp/demo/h1/varpd.sock -D /tmp/demo/h1/state show-plugin
show "overlayadm show-overlay ov0" h1 overlayadm -S /tmp/demo/h1/varpd.sock -D /tmp/demo/h1/state show-overlay ov0
show "overlayadm show-overlay -f" h1 overlayadm -S /tmp/demo/h1/varpd.sock -D /tmp/demo/h1/state show-overlay -f
show "overlayadm show-overlay -t" h1 overlayadm -S /tmp/demo/h1/varpd.sock -D /tmp/demo/h1/state show-overlay -t
say "(the targets h1's kernel learned by asking its varpd, which read them from the table)"
show "overlayadm show-overlay -t -j" h2 overlayadm -S /tmp/demo/h2/varpd.sock -D /tmp/demo/h2/state show-overlay -t -j
ov_in h1 overlayadm -S /tmp/demo/h1/varpd.sock -D /tmp/demo/h1/state show-overlay -t -p -o target,destination |
	grep -qxF '02\:08\:20\:00\:01\:02:192.0.2.2' || ov_fail "h1 did not learn h2's MAC through varpd"
show "overlayadm show-overlay -p -o link,property,value ov0 (some)" h1 sh -c \
	"overlayadm -S /tmp/demo/h1/varpd.sock -D /tmp/demo/h1/state show-overlay -p -o link,property,value ov0 | grep -e vnetid -e files/"

for i in $(seq 50); do
	kill -0 $snoop 2>/dev/null || break
	sleep 0.1
done
kill $snoop 2>/dev/null
say ""
say "[h1]\$ overlay-snoop -d under -c 6 udp port 4789"
cat /tmp/demo/snoop.txt >>"$out"
grep -q 'VXLAN vni=100 .*ICMP echo' /tmp/demo/snoop.txt ||
	ov_fail "overlay-snoop decoded no ping inside VXLAN: $(cat /tmp/demo/snoop.txt)"

say ""
say "== summary =="
arps=$(grep -c ' ARP ' /tmp/demo/snoop.txt)
say "3 hosts, one dynamic VXLAN overlay each (VNI 100), made by overlayadm with the files"
say "backend through each host's varpd; $pings of 6 pings answered between every pair."
say "Each kernel asked its varpd where a MAC lives on first use and cached the answer"
say "(show-overlay -t); varpd also answered ARP itself, so the first 6 underlay frames"
say "captured on h1 hold $arps ARP frames, only the tenant's ICMP echo inside VXLAN, as overlay-snoop"
say "decoded. show-overlay listed the kernel's and the plugin's properties and status."
