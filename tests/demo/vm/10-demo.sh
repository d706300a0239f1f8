#!/bin/sh
# The demo, inside the VM: three hosts (network namespaces h1 h2 h3 on one
# underlay bridge, 192.0.2.0/24), a varpd in each (its own state directory),
# overlays made with overlayadm, pings across them, what overlayadm shows,
# an overlay-snoop decode of the underlay traffic captured on h1, and a
# move: h3's tenant started again on a fourth host h4, one add-mapping and
# h1's running ping follows it.
#
# The backend is sqlite, the embedded default (varpd-sqlite(7)): one
# dynamic-mode overlay per host (VNI 100) and one SQLite database shared by
# the three varpds, as hosts sharing a replicated file would. Its mappings
# (each tenant MAC -> its host's underlay address and IPv4 address, plus a
# simulated fleet of 15000 more tenants so the import is a real one) are
# loaded in one transaction by overlayadm import-mappings from a JSON-lines
# file, and shown with show-mapping.
#
# Everything the demo shows is written to $OVERLAY_RESULTS/demo.txt (the
# console carries the kernel's log too); tests/demo/demo.sh prints it.
# vm-timeout: 150
. "$OVERLAY_TESTS/lib.sh"
ov_need_ovnet
ov_modprobe ovnet bridge
ov_need_plugin sqlite
ov_need_cmd sqlite3
FLEET=15000

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

# h4 stands by for the move at the end.
ov_host h1 h2 h3 h4 sw
ov_in sw ip link add br0 type bridge
ov_in sw ip link set br0 up
n=1
for h in h1 h2 h3 h4; do
	ov_link -i under "p$h" "$h" sw
	ov_in "$h" ip addr add "192.0.2.$n/24" dev under
	ov_in sw ip link set "p$h" master br0
	n=$((n + 1))
done
# the bridge may not forward at once; wait until h1 reaches the others
ov_wait h1 10 ping -c 1 -W 1 192.0.2.2
ov_wait h1 10 ping -c 1 -W 1 192.0.2.3
ov_wait h1 10 ping -c 1 -W 1 192.0.2.4

# The tenant side speaks IPv4 only, so the capture shows pings, not IPv6 chatter.
for h in h1 h2 h3 h4; do
	ov_in "$h" sh -c "echo 1 >/proc/sys/net/ipv6/conf/default/disable_ipv6"
done
for h in h1 h2 h3 h4; do
	ov_varpd "$h" "/tmp/demo/$h" -l stderr
done
ov_on_exit 'for h in h1 h2 h3 h4; do kill $(cat /tmp/demo/$h/varpd.lock) 2>/dev/null; done'

say "== overlay demo: three hosts (netns h1 h2 h3, underlay 192.0.2.1-3 on one bridge) =="
say "each host runs its own varpd; overlays are made with overlayadm"

say "backend: sqlite (varpd-sqlite(7)), the embedded default, dynamic mode. One"
say "database, shared by the three hosts' varpds, maps each tenant MAC to its host's"
say "underlay address and its IPv4 address (arp); overlayadm imports the mappings."

# sqlite N: overlay ov0 in host N, VNI 100, tenant MAC 02:08:20:00:01:0N, 10.100.0.N/24
sqlite() {
	n=$1
	ov_overlay "h$n" "/tmp/demo/h$n" ov0 100 "192.0.2.$n" sqlite \
		"sqlite/path=/tmp/demo/mappings.db,mac=02:08:20:00:01:0$n"
	ov_in "h$n" ip addr add "10.100.0.$n/24" dev ov0
	say "[h$n]\$ overlayadm create-overlay -e vxlan -s sqlite -v 100 \\"
	say "        -p vxlan/listen_ip=192.0.2.$n,sqlite/path=/tmp/demo/mappings.db,mac=02:08:20:00:01:0$n ov0"
	say "[h$n]\$ ip link set ov0 up; ip addr add 10.100.0.$n/24 dev ov0"
}
say ""
sqlite 1
sqlite 2
sqlite 3

# The mappings: the three hosts' tenants, and the rest of a simulated fleet
# (MACs 02:08:21:xx:xx:xx on made-up underlay addresses 198.18.x.y, no ARP).
cat >/tmp/demo/mappings.jsonl <<EOT
{"mac":"02:08:20:00:01:01","ip":"192.0.2.1","arp":"10.100.0.1"}
{"mac":"02:08:20:00:01:02","ip":"192.0.2.2","arp":"10.100.0.2"}
{"mac":"02:08:20:00:01:03","ip":"192.0.2.3","arp":"10.100.0.3"}
EOT
awk -v n="$FLEET" 'BEGIN { for (i = 0; i < n; i++)
	printf "{\"mac\":\"02:08:21:00:%02x:%02x\",\"ip\":\"198.18.%d.%d\"}\n",
		int(i / 256), i % 256, int(i / 250), i % 250 + 1 }' >>/tmp/demo/mappings.jsonl
say ""
say "\$ head -n 4 /tmp/demo/mappings.jsonl; wc -l /tmp/demo/mappings.jsonl"
head -n 4 /tmp/demo/mappings.jsonl >>"$out"
say "$(wc -l </tmp/demo/mappings.jsonl) /tmp/demo/mappings.jsonl"
say "[h1]\$ overlayadm import-mappings ov0 /tmp/demo/mappings.jsonl"
t0=$(ov_now)
ov_adm h1 /tmp/demo/h1 import-mappings ov0 /tmp/demo/mappings.jsonl >/tmp/demo/import.txt 2>&1 ||
	ov_fail "import-mappings: $(cat /tmp/demo/import.txt)"
t1=$(ov_now)
tr '\r' '\n' </tmp/demo/import.txt | grep . >>"$out"
say "(imported $((FLEET + 3)) mappings in one transaction in $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s)"
show "overlayadm show-mapping ov0 02:08:20:00:01:02" h1 overlayadm -S /tmp/demo/h1/varpd.sock -D /tmp/demo/h1/state show-mapping ov0 02:08:20:00:01:02
last=$((FLEET - 1))
last=02:08:21:00:$(printf '%02x:%02x' $((last / 256)) $((last % 256)))
show "overlayadm show-mapping ov0 $last" h3 overlayadm -S /tmp/demo/h3/varpd.sock -D /tmp/demo/h3/state show-mapping ov0 $last
say "(h3's varpd reads the same database; so can any other program:)"
rows=$(sqlite3 /tmp/demo/mappings.db "SELECT count(*) FROM mappings WHERE vnetid = 100")
say "\$ sqlite3 /tmp/demo/mappings.db 'SELECT count(*) FROM mappings WHERE vnetid = 100'"
say "$rows"
[ "$rows" = $((FLEET + 3)) ] || ov_fail "the database holds $rows mappings, not $((FLEET + 3))"
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
say "(the targets h1's kernel learned by asking its varpd, which read them from the database)"
show "overlayadm show-overlay -t -j" h2 overlayadm -S /tmp/demo/h2/varpd.sock -D /tmp/demo/h2/state show-overlay -t -j
ov_in h1 overlayadm -S /tmp/demo/h1/varpd.sock -D /tmp/demo/h1/state show-overlay -t -p -o target,destination |
	grep -qxF '02\:08\:20\:00\:01\:02:192.0.2.2' || ov_fail "h1 did not learn h2's MAC through varpd"
show "overlayadm show-overlay -p -o link,property,value ov0 (some)" h1 sh -c \
	"overlayadm -S /tmp/demo/h1/varpd.sock -D /tmp/demo/h1/state show-overlay -p -o link,property,value ov0 | grep -e vnetid -e sqlite/"

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

# A workload moves while traffic flows: h3's tenant (its MAC and address)
# comes up on h4, and one add-mapping sends h1's ping there.
say ""
say "== a move: h3's tenant (02:08:20:00:01:03, 10.100.0.3) is started again on h4 =="
ov_overlay h4 /tmp/demo/h4 ov0 100 192.0.2.4 sqlite \
	"sqlite/path=/tmp/demo/mappings.db,mac=02:08:20:00:01:03"
ov_in h4 ip addr add 10.100.0.3/24 dev ov0
say "[h4]\$ overlayadm create-overlay -e vxlan -s sqlite -v 100 \\"
say "        -p vxlan/listen_ip=192.0.2.4,sqlite/path=/tmp/demo/mappings.db,mac=02:08:20:00:01:03 ov0"
say "[h4]\$ ip link set ov0 up; ip addr add 10.100.0.3/24 dev ov0"
ip netns exec h1 ping -i 0.1 10.100.0.3 >/tmp/demo/move.ping 2>&1 &
mping=$!
ov_on_exit "kill $mping 2>/dev/null"
rx_at_least() { [ "$(ov_rx "$1" ov0)" -ge "$2" ]; }
ov_until 10 rx_at_least h3 $(($(ov_rx h3 ov0) + 5))
say "[h1]\$ ping -i 0.1 10.100.0.3 &      (answered by h3)"
h4rx=$(ov_rx h4 ov0)
t0=$(ov_now)
ov_adm h1 /tmp/demo/h1 add-mapping -a 10.100.0.3 ov0 02:08:20:00:01:03 192.0.2.4 ||
	ov_fail "add-mapping moving 02:08:20:00:01:03 to h4"
tc=$(ov_now)
say "[h1]\$ overlayadm add-mapping -a 10.100.0.3 ov0 02:08:20:00:01:03 192.0.2.4"
ov_until 5 rx_at_least h4 $((h4rx + 1))
t1=$(ov_now)
sleep 0.3
h3rx=$(ov_rx h3 ov0)
r0=$(grep -c 'bytes from' /tmp/demo/move.ping)
sleep 1
[ "$(ov_rx h3 ov0)" = "$h3rx" ] || ov_fail "h3 still receives after the move"
r1=$(grep -c 'bytes from' /tmp/demo/move.ping)
[ "$r1" -gt "$r0" ] || ov_fail "h1's ping got no replies from h4 after the move"
kill $mping
say "the ping went on: its frames reached h4 $(awk -v a="$tc" -v b="$t1" 'BEGIN { printf "%d", (b - a) * 1000 }') ms after add-mapping returned, and h3"
say "received none of them after; $r1 replies in all"
show "overlayadm show-overlay -t" h1 overlayadm -S /tmp/demo/h1/varpd.sock -D /tmp/demo/h1/state show-overlay -t

say ""
say "== summary =="
arps=$(grep -c ' ARP ' /tmp/demo/snoop.txt)
say "3 hosts, one dynamic VXLAN overlay each (VNI 100), made by overlayadm with the sqlite"
say "backend through each host's varpd; $((FLEET + 3)) mappings imported in one transaction;"
say "$pings of 6 pings answered between every pair."
say "Each kernel asked its varpd where a MAC lives on first use and cached the answer"
say "(show-overlay -t); varpd also answered ARP itself, so the first 6 underlay frames"
say "captured on h1 hold $arps ARP frames, only the tenant's ICMP echo inside VXLAN, as overlay-snoop"
say "decoded. show-overlay listed the kernel's and the plugin's properties and status."
say "Moving h3's tenant to h4 took one add-mapping: h1's varpd wrote the row and shot"
say "down h1's cached destination, so the next frame asked again and went to h4."
