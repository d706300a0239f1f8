#!/bin/sh
# The files scenario (51-varpd-files) on the sqlite backend, end to end
# through overlayadm (issue 7 item 7). Three hosts a, b, c (network
# namespaces, ov_mesh3: underlay 198.51.100.1-3), each with its own varpd
# and a dynamic VXLAN overlay ov52 (VNI 52) made by overlayadm
# create-overlay -s sqlite; the three varpds share ONE SQLite database, as
# hosts sharing a replicated file would. Its mappings come from three
# writers:
#   a's  overlayadm add-mapping (through a's varpd, one transaction)
#   b's  overlayadm import-mappings of a CSV file (header, comment, blank
#        line, empty fields)
#   c's  the sqlite3 CLI, an outside writer varpd knows nothing about
# and every varpd sees every one of them.
#  - IPv4 and IPv6 ping between every pair; ARP and NDP answered by varpd
#    from the mappings' arp/ndp columns (its proxy counters move, the
#    neighbour entries carry the mappings' MACs); the underlay capture on a
#    holds unicast VXLAN only, never a broadcast/multicast inner frame
#  - show-mapping lists the three, whoever wrote them
#  - DHCP: a's mapping names c's MAC as its dhcp-proxy; a DHCPDISCOVER
#    broadcast from a (busybox udhcpc) reaches c's underlay re-addressed to
#    c's MAC, and a's varpd counts a proxied DHCP
#  - misses: frames to MACs no row maps are dropped (varpd counts misses,
#    a's kernel cache holds DROP entries), nothing is encapsulated for them
#  - an outside UPDATE (c's port) is seen: a's cache entry for c is shot
#    down and the next frame gets the new destination
#  - bad input, each refused with a message naming it and nothing changed:
#    a malformed MAC to add-mapping, an arp address another MAC answers for,
#    an import file with a bad third line (none of its lines land), an
#    outside row with a malformed MAC (the schema's CHECK); an outside row
#    with a malformed ip is dropped at lookup and varpd carries on answering
#  - a sqlite/path that is no database, or in a missing directory: the
#    overlay is DEGRADED naming the problem (show-overlay -f) and comes
#    ONLINE once the file is replaced by a good one / the directory appears
# vm-timeout: 180
. "$OVERLAY_TESTS/lib.sh"
ov_need_sqlite

ov_tmp 52
DB=$T/mappings.db
MA=02:00:00:00:52:0a MB=02:00:00:00:52:0b MC=02:00:00:00:52:0c
sql() { sqlite3 -cmd ".timeout 5000" "$DB" "$@"; }

ov_host a b c
ov_mesh3 a b c
ov_bg a overlay-snoop -d vb -j udp port 4789 >"$T/cap.ab" 2>"$T/cap.ab.err"
ov_bg c overlay-snoop -d va udp port 4789 >"$T/cap.ca" 2>"$T/cap.ca.err"

# mk HOST N MAC: varpd, the sqlite overlay with the host's MAC, addresses.
mk() {
	ov_overlay "$1" "$T/$1" ov52 52 "198.51.100.$2" sqlite "sqlite/path=$DB,mac=$3"
	ov_in "$1" ip addr add "10.52.0.$2/24" dev ov52
	ov_in "$1" ip addr add "fd52::$2/64" dev ov52 nodad
}
mk a 1 $MA
mk b 2 $MB
mk c 3 $MC
adm() {
	adm_h=$1
	shift
	ov_adm "$adm_h" "$T/$adm_h" "$@"
}
stat() { varpd-ctl -s "$T/$1/varpd.sock" stats; }
# counter HOST NAME: one of varpd's global counters
counter() { stat "$1" | awk -v k="$2" '{ for (i = 1; i < NF; i++) if ($i == k) print $(i + 1) }'; }

# The three writers.
adm a add-mapping -a 10.52.0.1 -n fd52::1 -d $MC ov52 $MA 198.51.100.1 ||
	ov_fail "add-mapping of a's MAC"
cat >"$T/b.csv" <<EOT
# b's entry, as an inventory system would export it
mac,ip,port,arp,ndp,dhcp-proxy,ttl

$MB,198.51.100.2,,10.52.0.2,fd52::2,,
EOT
adm b import-mappings ov52 "$T/b.csv" || ov_fail "import-mappings of b's CSV"
sql "INSERT INTO mappings (vnetid, mac, ip, arp, ndp)
	VALUES (52, '$MC', '198.51.100.3', '10.52.0.3', 'fd52::3')" ||
	ov_fail "sqlite3 could not insert c's row"
adm c show-mapping ov52 | sed 's/^/# c show-mapping: /'
for m in $MA $MB $MC; do
	adm c show-mapping ov52 | grep -qi "$m" || ov_fail "show-mapping in c lacks $m"
done
adm a show-mapping -p -o mac,ip ov52 $MB | grep -qi '198\.51\.100\.2' ||
	ov_fail "show-mapping -p of b's MAC: $(adm a show-mapping -p -o mac,ip ov52 $MB 2>&1)"
echo "varpd-sqlite: add-mapping, import-mappings and an outside sqlite3 INSERT all land in one database"

# Every pair, both families; neighbours resolved by varpd from the rows.
for p in a:b:2 a:c:3 b:a:1 b:c:3 c:a:1 c:b:2; do
	from=${p%%:*} n=${p##*:}
	ov_ping "$from" "10.52.0.$n" 2
	ov_ping "$from" "fd52::$n" 2
done
ov_in a ip neigh show dev ov52 | grep -q "10.52.0.2 lladdr $MB" ||
	ov_fail "a's ARP entry for b is not the mapping's MAC: $(ov_in a ip neigh show dev ov52)"
ov_in b ip -6 neigh show dev ov52 | grep -q "fd52::3 lladdr $MC" ||
	ov_fail "b's NDP entry for c is not the mapping's MAC: $(ov_in b ip -6 neigh show dev ov52)"
for h in a b c; do
	echo "# $h stats: $(stat $h)"
	[ "$(counter $h proxy_arp)" -ge 2 ] || ov_fail "$h: varpd answered < 2 ARP requests"
	[ "$(counter $h proxy_ndp)" -ge 2 ] || ov_fail "$h: varpd answered < 2 NDP solicitations"
	[ "$(counter $h hits)" -ge 2 ] || ov_fail "$h: varpd answered < 2 unicast lookups"
done
echo "varpd-sqlite: IPv4 and IPv6 between three hosts, ARP and NDP answered from the database"

# DHCP: a's DISCOVER goes to its dhcp-proxy (c's MAC), at c's address.
ov_in a udhcpc -i ov52 -n -q -t 2 -T 1 -s /bin/true >"$T/udhcpc" 2>&1
ov_wait a 10 sh -c "grep -q 'DISCOVER' $T/cap.ca"
grep 'DHCP' "$T/cap.ca" | head -n 2 | sed 's/^ */# c underlay: /'
grep "ETH $MA > $MC .*UDP 68 > 67 DHCP .*DISCOVER" "$T/cap.ca" >/dev/null ||
	ov_fail "no DISCOVER from a re-addressed to c's MAC on c's underlay: $(grep DHCP "$T/cap.ca")"
[ "$(counter a proxy_dhcp)" -ge 1 ] || ov_fail "a's varpd counted no proxied DHCP: $(stat a)"
echo "varpd-sqlite: a DHCP broadcast is redirected to the mapping's dhcp-proxy"

# Misses: four MACs no row maps (02:aa:00:00:52:00-03, ovctl blast).
misses=$(counter a misses)
ov_in a ovctl blast ov52 4 $((0x5200)) >/dev/null || ov_fail "blast"
missed() { [ "$(counter a misses)" -ge $((misses + 4)) ]; }
ov_until 10 missed
for i in 0 1 2 3; do
	ov_in a ovctl cache-get ov52 02:aa:00:00:52:0$i | grep -q "drop$" ||
		ov_fail "no DROP entry for unmapped 02:aa:00:00:52:0$i: $(ov_in a ovctl cache-get ov52 02:aa:00:00:52:0$i 2>&1)"
done
sleep 0.5
grep -q '"dst":"02:aa:' "$T/cap.ab" && ov_fail "a frame to an unmapped MAC was encapsulated"
echo "varpd-sqlite: frames to unmapped MACs are dropped and counted"

# The underlay: unicast VXLAN only.
inner=$(grep -o '"layer":"eth","depth":1,"src":"[^"]*","dst":"[^"]*"' "$T/cap.ab" |
	sed 's/.*"dst":"//; s/"$//')
n=$(echo "$inner" | grep -c .)
[ "$n" -ge 4 ] || ov_fail "capture at a saw $n VXLAN frames: $(cat "$T/cap.ab.err")"
bad=$(echo "$inner" | grep -v '^.[02468ace]:' | sort | uniq -c)
[ -z "$bad" ] || ov_fail "broadcast/multicast encapsulated on the underlay: $bad"
echo "# capture a-b: $n VXLAN frames, all unicast inside"

# An outside UPDATE: c gains an explicit port; a's cached entry for c goes.
ov_in a ovctl cache-get ov52 $MC | grep -q "^$MC 198.51.100.3 0$" ||
	ov_fail "a's cache lacks c: $(ov_in a ovctl cache-get ov52 $MC 2>&1)"
sql "UPDATE mappings SET port = 4789 WHERE vnetid = 52 AND mac = '$MC'" || ov_fail "UPDATE"
ov_wait a 5 sh -c "! ovctl cache-get ov52 $MC | grep -q ' 0\$'"
ov_ping a 10.52.0.3 2
ov_in a ovctl cache-get ov52 $MC | grep -q "^$MC 198.51.100.3 4789$" ||
	ov_fail "the outside UPDATE did not reach a's cache: $(ov_in a ovctl cache-get ov52 $MC 2>&1)"
echo "varpd-sqlite: an outside UPDATE shoots down the cached entry; the next frame gets the new row"

# Bad input.
expect_refusal() { # DESC PATTERN CMD...: CMD fails, its message matches PATTERN
	d=$1 pat=$2
	shift 2
	msg=$("$@" 2>&1) && ov_fail "$d: accepted ($msg)"
	echo "$msg" | grep -q -- "$pat" || ov_fail "$d: said '$msg', not /$pat/"
	echo "# $d: $msg"
}
expect_refusal "malformed MAC" "02:00:00:00:52:zz" \
	adm a add-mapping ov52 02:00:00:00:52:zz 198.51.100.2
expect_refusal "arp address of another MAC" "10.52.0.2" \
	adm a add-mapping -a 10.52.0.2 ov52 02:00:00:00:52:0d 198.51.100.2
printf '%s\n' "02:00:00:00:52:0e,198.51.100.2" "02:00:00:00:52:0f,198.51.100.2" \
	"02:00:00:00:52:10,not-an-address" >"$T/bad.csv"
expect_refusal "import with a bad third line" "bad.csv:3" \
	adm a import-mappings ov52 "$T/bad.csv"
for m in 02:00:00:00:52:0d 02:00:00:00:52:0e 02:00:00:00:52:0f; do
	[ "$(sql "SELECT count(*) FROM mappings WHERE mac = '$m'")" = 0 ] ||
		ov_fail "a refused change left $m in the database"
done
expect_refusal "an outside row with a malformed MAC" "CHECK constraint" \
	sql "INSERT INTO mappings (vnetid, mac, ip) VALUES (52, '02:00:00:00:52:ZZ', '198.51.100.2')"
# A database that is not one, and one in a missing directory: the overlay is
# made but DEGRADED naming the problem (the backend waits for the file to be
# fixed, dropping lookups meanwhile), and ONLINE once it is fixed.
head -c 4096 /dev/urandom >"$T/garbage.db"
adm a create-overlay -t -e vxlan -s sqlite -v 152 \
	-p "vxlan/listen_ip=198.51.100.1,sqlite/path=$T/garbage.db" ov152 || ov_fail "create ov152"
adm a create-overlay -t -e vxlan -s sqlite -v 153 \
	-p "vxlan/listen_ip=198.51.100.1,sqlite/path=$T/nowhere/m.db" ov153 || ov_fail "create ov153"
status_is() { # LINK STATUS [DETAILS]: show-overlay -f says so
	adm a show-overlay -f "$1" | grep -q "^$1 *$2 .*${3:-}"
}
ov_until 5 status_is ov152 DEGRADED "garbage.db: file is not a database"
ov_until 5 status_is ov153 DEGRADED "no directory $T/nowhere"
adm a show-overlay -f | sed 's/^/# a show-overlay -f: /'
sql "VACUUM INTO '$T/fixed.db'" && mv "$T/fixed.db" "$T/garbage.db" || ov_fail "VACUUM INTO"
mkdir "$T/nowhere"
ov_until 5 status_is ov152 ONLINE
ov_until 5 status_is ov153 ONLINE
sleep 1.2
status_is ov152 ONLINE && status_is ov153 ONLINE ||
	ov_fail "fixed databases did not stay ONLINE: $(adm a show-overlay -f)"
[ -f "$T/nowhere/m.db" ] || ov_fail "the backend did not create m.db once its directory appeared"
adm a delete-overlay ov152 && adm a delete-overlay ov153 || ov_fail "delete ov152/ov153"
# A row the schema allows but whose ip is no address: dropped at lookup.
sql "INSERT INTO mappings (vnetid, mac, ip) VALUES (52, '02:00:00:00:52:11', 'not-an-ip')" ||
	ov_fail "insert of the malformed-ip row"
ov_in a ip neigh replace 10.52.0.17 lladdr 02:00:00:00:52:11 dev ov52
ov_in a ping -c 1 -W 2 10.52.0.17 >/dev/null 2>&1 && ov_fail "a row with ip 'not-an-ip' answered a ping"
ov_wait a 5 sh -c "ovctl cache-get ov52 02:00:00:00:52:11 | grep -q 'drop\$'"
ov_ping a 10.52.0.2 2
tail -n 3 "$T/a.log" | sed 's/^/# a varpd log: /'
echo "varpd-sqlite: malformed input is refused or dropped with its reason, nothing half-done"

for h in a b c; do
	s=$(stat $h)
	case "$s" in
	*" outstanding 0 "*) ;;
	*) ov_fail "$h: varpd has unanswered queries: $s" ;;
	esac
done
