#!/bin/sh
# The sqlite backend across crashes and restarts: what the database holds
# is never half an import, and what varpd and overlayadm saved brings the
# overlays back. Two hosts a and b (one veth link, underlay 192.0.2.1-2),
# a varpd each, a dynamic VXLAN overlay ov54 (VNI 54) made by overlayadm
# -s sqlite on one shared database, the two hosts' mappings added with
# add-mapping.
#  - kill -9 of a's varpd with a ping running and a's cache flushed: no
#    replies; the restarted varpd (same state directory) restores the
#    sqlite instance, re-opens the database and the ping resumes
#  - an import of 40000 lines killed half-way, twice: once overlayadm
#    (varpd sees the client go and aborts the transaction), once a's varpd
#    itself (SQLite rolls the dead writer's transaction back): the database
#    holds exactly the rows it held before, its write lock is free again
#    (add-mapping works at once), and a complete import afterwards lands
#  - a fresh machine (varpds stopped, state directories removed, ovnet.ko
#    reloaded): overlayadm up re-creates ov54 on the saved sqlite/path and
#    the ping works with the mappings the database kept
# vm-timeout: 180
. "$OVERLAY_TESTS/lib.sh"
ov_need_sqlite
ov_tmp 54
DB=$T/mappings.db
MA=02:00:00:00:54:0a MB=02:00:00:00:54:0b

ov_host a b
ov_link a b 192.0.2.1/24 192.0.2.2/24
mk() { # HOST N MAC
	ov_overlay "$1" "$T/$1" ov54 54 "192.0.2.$2" sqlite "sqlite/path=$DB,mac=$3"
	ov_in "$1" ip addr add "10.54.0.$2/24" dev ov54
}
mk a 1 $MA
mk b 2 $MB
adm() {
	adm_h=$1
	shift
	ov_adm "$adm_h" "$T/$adm_h" "$@"
}
sql() { sqlite3 -cmd ".timeout 5000" "$DB" "$@"; }
rows() { sql "SELECT count(*) FROM mappings"; }
adm a add-mapping -a 10.54.0.1 ov54 $MA 192.0.2.1 || ov_fail "add-mapping a"
adm a add-mapping -a 10.54.0.2 ov54 $MB 192.0.2.2 || ov_fail "add-mapping b"
ov_ping a 10.54.0.2 2
varpd_pid() { cat "$T/$1/varpd.lock"; }
gone() { ! kill -0 "$1" 2>/dev/null; }

# kill -9 mid-ping; the restart restores the instance from its state file.
# (ip netns exec execs the command: $! is ping's own pid)
ip netns exec a ping -i 0.1 10.54.0.2 >"$T/ping" 2>&1 &
pingpid=$!
ov_on_exit "kill $pingpid 2>/dev/null"
replies() { grep -c 'bytes from' "$T/ping"; }
has_replies() { [ "$(replies)" -ge "$1" ]; }
ov_until 10 has_replies 5
pid=$(varpd_pid a)
kill -9 "$pid"
ov_until 5 gone "$pid"
ov_in a ovctl cache-flush ov54 || ov_fail "cache-flush"
before=$(replies)
sleep 1.5
[ $(($(replies) - before)) -le 1 ] || ov_fail "replies came with a's varpd dead and its cache empty"
ov_varpd a "$T/a"
varpd-ctl -s "$T/a/varpd.sock" list | grep -q " sqlite dynamic" ||
	ov_fail "a's sqlite instance did not come back: $(varpd-ctl -s "$T/a/varpd.sock" list)"
ov_until 10 has_replies $((before + 5))
kill $pingpid
echo "sqlite-restart: a kill -9'd varpd restarts from its state directory, re-opens the database, traffic resumes"

# Imports killed half-way.
awk 'BEGIN { print "mac,ip"; for (i = 0; i < 40000; i++)
	printf "02:54:01:00:%02x:%02x,198.18.%d.%d\n", int(i / 256), i % 256, int(i / 250), i % 250 + 1 }' \
	>"$T/big.csv"
n0=$(rows)
# half_import VICTIM: start the import in a, kill VICTIM (overlayadm or
# varpd) -9 at its first progress line, check nothing landed
half_import() {
	ip netns exec a overlayadm -S "$T/a/varpd.sock" -D "$T/a/state" import-mappings ov54 \
		"$T/big.csv" >"$T/import.out" 2>"$T/import.err" &
	imp=$!
	started() { grep -q '^imported [0-9]* of' "$T/import.err"; }
	ov_until 30 started
	case $1 in
	overlayadm) kill -9 $imp ;;
	varpd) kill -9 "$(varpd_pid a)" ;;
	esac
	wait $imp
	rc=$?
	echo "# killed $1 mid-import: overlayadm exit $rc, $(tail -n 1 "$T/import.err")"
	[ $rc -ne 0 ] || ov_fail "the import killed through $1 reported success"
	[ "$(rows)" = "$n0" ] || ov_fail "killing $1 mid-import left $(rows) rows, not $n0"
}
# writable WHAT: add-mapping works again within 5 s (varpd aborts the dead
# client's transaction once the put it was running returns); says how long
writable() {
	w0=$(ov_now)
	i=0
	until adm a add-mapping ov54 02:00:00:00:54:0c 192.0.2.3 2>"$T/add.err"; do
		i=$((i + 1))
		[ $i -lt 25 ] || ov_fail "add-mapping still refused 5 s after $1 died: $(cat "$T/add.err")"
		sleep 0.2
	done
	if [ $i -eq 0 ]; then
		echo "# add-mapping works at once after $1 died"
	else
		echo "# add-mapping works again after $i refusal(s) ($(cat "$T/add.err")), $(awk -v a="$w0" -v b="$(ov_now)" 'BEGIN { printf "%d", (b - a) * 1000 }') ms after $1 died"
	fi
	adm a remove-mapping ov54 02:00:00:00:54:0c || ov_fail "remove-mapping"
}
half_import overlayadm
writable overlayadm
half_import varpd
ov_varpd a "$T/a"
writable varpd
adm a import-mappings -q ov54 "$T/big.csv" || ov_fail "the complete import"
[ "$(rows)" = $((n0 + 40000)) ] || ov_fail "after the complete import: $(rows) rows, not $((n0 + 40000))"
ov_ping a 10.54.0.2 2
echo "sqlite-restart: an import killed half-way (client or varpd) leaves no row behind and no lock held"

# A fresh machine: only overlays.json and the database are kept.
for h in a b; do
	pid=$(varpd_pid $h)
	kill "$pid"
	ov_until 5 gone "$pid"
	mv "$T/$h/state" "$T/$h.state"
	rm -rf "${T:?}/$h"
	mkdir -p "$T/$h"
	mv "$T/$h.state" "$T/$h/state"
done
rmmod ovnet || ov_fail "ovnet.ko still in use"
ov_modprobe ovnet
for h in a b; do
	ov_varpd $h "$T/$h"
	out=$(adm $h up) || ov_fail "up in $h: $out"
	echo "$out" | grep -q '^ov54: up$' || ov_fail "up in $h said: $out"
done
for p in a:1 b:2; do
	ov_in ${p%:*} ip link set ov54 up
	ov_in ${p%:*} ip addr add "10.54.0.${p#*:}/24" dev ov54
done
ov_ping a 10.54.0.2 2
adm a show-overlay -p -o property,value ov54 | grep -qx "sqlite/path:$DB" ||
	ov_fail "ov54's sqlite/path after up: $(adm a show-overlay -p -o property,value ov54)"
echo "sqlite-restart: overlayadm up on a fresh machine brings the sqlite overlay back on its database"
