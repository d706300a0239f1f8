#!/bin/sh
# vm-timeout: 420
# The distributed backend end to end (issue 14 item 3): a three-member etcd
# cluster inside the VM (members e1 e2 e3, each its own netns host, on a
# control network 203.0.113.0/24 with the hosts), and three hosts a, b, c
# (ov_mesh3: underlay 198.51.100.1-3) each with ovnet and a varpd on the
# etcd backend: a dynamic VXLAN overlay ov55 (VNI 55, create-overlay -s
# etcd) with tenant address 10.55.0.N and MAC MN; the mappings go into
# etcd through a's varpd (add-mapping, proxy ARP from the ip/ index).
#  1. ping between all pairs
#  2. a mapping changed on one host moves another host's traffic: c's
#     add-mapping points MC at b's underlay; a's running ping to 10.55.0.3
#     then reaches b (its ov55 counts the frames), c gets nothing more;
#     moved back, the replies resume
#  3. write -> kernel: etcd-bench-kernel puts a MAC every kernel holds
#     (each host missed on it once) 200 times and times each change from
#     the write's ack to the entry changing in all three kernels; none may
#     be lost (the figures go to results/etcd-kernel.json; bench-etcd
#     reports them as kernel_propagation_p99_ms)
#  4. the leader is killed while a pings b and b's varpd commits 20
#     mappings: the ping goes on, every commit succeeds and etcd holds all
#     20; the member comes back
#  5. every member stopped: cached destinations keep working (a still
#     pings b and c), each overlay is degraded with a message naming etcd;
#     the members started again, each recovers by itself, and a mapping
#     added then takes effect
. "$OVERLAY_TESTS/lib.sh"
ov_need_etcd

ov_tmp 55
MA=02:00:00:00:55:0a MB=02:00:00:00:55:0b MC=02:00:00:00:55:0c
out=$OVERLAY_RESULTS/etcd-vm.txt
: >"$out"
say() { echo "$*" | tee -a "$out"; }

ov_host a b c
ov_mesh3 a b c
t0=$(ov_now)
ov_etcd3 "$T/etcd" a b c
say "etcd-vm: three members up with a leader (e$(ov_etcd_leader)) in $(awk -v a="$t0" -v b="$(ov_now)" 'BEGIN { printf "%.1f", b - a }') s"

# mk HOST N MAC: varpd and the overlay; IPv4 only (no IPv6 chatter counted)
mk() {
	ov_in "$1" sh -c "echo 1 >/proc/sys/net/ipv6/conf/default/disable_ipv6"
	ov_overlay "$1" "$T/$1" ov55 55 "198.51.100.$2" etcd \
		"etcd/endpoints=$OV_ETCD,mac=$3"
	ov_in "$1" ip addr add "10.55.0.$2/24" dev ov55
}
mk a 1 $MA
mk b 2 $MB
mk c 3 $MC
adm() { h=$1; shift; ov_adm "$h" "$T/$h" "$@"; }
for n in 1 2 3; do
	eval m=\$M$(echo "A B C" | cut -d' ' -f$n)
	adm a add-mapping -a 10.55.0.$n ov55 $m 198.51.100.$n || ov_fail "add-mapping of $m"
done
ov_etcdctl get --prefix /overlay/vnet/55/ --keys-only | grep -c . |
	{ read -r k; [ "$k" -ge 6 ] || ov_fail "etcd holds $k keys of vnet 55, not 6"; }

# 1. every pair
for pair in "a 2" "a 3" "b 1" "b 3" "c 1" "c 2"; do
	set -- $pair
	ov_ping "$1" 10.55.0.$2
done
say "etcd-vm: ping between all pairs over etcd's mappings"

# 2. a change written on c moves a's traffic
at_least() { [ "$(ov_rx "$1" ov55)" -ge "$2" ]; }
# replies: frames a's ov55 has received (the ping's replies; busybox ping
# buffers its output to a file, so its lines are no clock)
replies() { ov_rx a ov55; }
ms() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%d", (b - a) * 1000 }'; }
PING=$T/ping
ov_bg a ping -i 0.05 10.55.0.3 >"$PING" 2>&1
pinger=$!
ov_until 10 at_least c 10
base=$(ov_rx b ov55)
t0=$(ov_now)
adm c add-mapping -a 10.55.0.3 ov55 $MC 198.51.100.2 || ov_fail "add-mapping on c moving MC"
tc=$(ov_now)
ov_until 5 at_least b $((base + 5))
t1=$(ov_now)
c0=$(ov_rx c ov55)
sleep 1
c1=$(ov_rx c ov55)
[ $((c1 - c0)) -le 1 ] || ov_fail "c still received $((c1 - c0)) frames after the move"
say "etcd-vm: a change written on c moved a's traffic to b: $(ms "$tc" "$t1") ms after the command returned ($(ms "$t0" "$t1") ms after it began)"
adm c add-mapping -a 10.55.0.3 ov55 $MC 198.51.100.3 || ov_fail "add-mapping moving MC back"
r0=$(replies)
resumed() { [ "$(replies)" -gt $((r0 + 5)) ]; }
i=0
until resumed; do
	i=$((i + 1))
	[ $i -lt 100 ] || ov_fail "no ping replies after MC moved back: a's entry: $(ov_in a ovctl cache-get ov55 $MC 2>&1); etcd: $(ov_etcdctl get /overlay/vnet/55/mac/$MC); a's varpd: $(tail -n 5 "$T/a.log"); c's: $(tail -n 5 "$T/c.log")"
	sleep 0.1
done

# 3. write -> every kernel's entry
MP=02:aa:00:00:00:55
adm a add-mapping ov55 $MP 198.51.100.2 || ov_fail "add-mapping of the probe MAC"
links=""
for h in a b c; do
	ov_in $h ovctl blast ov55 1 85 >/dev/null || ov_fail "blast in $h"
	ov_wait $h 10 sh -c "ovctl cache-get ov55 $MP | grep -q 198.51.100.2"
	links="$links $h:ov55"
done
ov_in a etcd-bench-kernel "$OV_ETCD" /overlay 55 $MP "${ETCD_KERNEL_CHANGES:-200}" 198.51.100.2 $links \
	>"$T/kernel.json" 2>"$T/kernel.err" ||
	ov_fail "write -> kernel: $(cat "$T/kernel.err" "$T/kernel.json")"
ov_result_file etcd-kernel.json "$T/kernel.json"
say "etcd-vm: write ack -> entry changed in all three kernels: $(cat "$T/kernel.json")"

# 4. the leader killed while traffic flows and b's varpd writes
kill "$pinger"
PING=$T/ping2
ov_bg a ping -i 0.05 10.55.0.2 >"$PING" 2>&1
ov_until 10 test "$(replies)" -gt 5
l=$(ov_etcd_leader) || ov_fail "no leader"
r0=$(replies)
ov_etcd_kill "$l"
k0=$(ov_now)
i=0
while [ $i -lt 20 ]; do
	adm b add-mapping ov55 02:00:00:00:56:$(printf %02x $i) 198.51.100.$((i % 3 + 1)) ||
		ov_fail "add-mapping $i after the leader (e$l) was killed: $(tail -n 3 "$T/b.log")"
	i=$((i + 1))
done
say "etcd-vm: 20 commits through b in $(ms "$k0" "$(ov_now)") ms after the leader e$l was killed"
ov_until 10 test "$(replies)" -gt $((r0 + 20))
n=$(ov_etcdctl get --prefix /overlay/vnet/55/mac/02:00:00:00:56: --keys-only | grep -c .)
[ "$n" = 20 ] || ov_fail "etcd holds $n of the 20 mappings written across the leader kill"
ov_etcd_start "$l"
ov_until 60 _ov_etcd_led
say "etcd-vm: leader e$l killed: the ping went on ($(($(replies) - r0)) replies since), all 20 changes are in etcd"

# 5. every member stopped, then started
r0=$(replies)
for k in 1 2 3; do ov_etcd_stop $k; done
degraded() { ov_in "$1" ovctl status ov55 degraded | grep -q '^degraded'; }
for h in a b c; do
	ov_until 30 degraded $h
	msg=$(ov_in $h ovctl status ov55 message)
	case $msg in *etcd*) ;; *) ov_fail "$h degraded without naming etcd: $msg" ;; esac
done
ov_until 10 test "$(replies)" -gt $((r0 + 20))
ov_ping a 10.55.0.3
say "etcd-vm: all members stopped: a still reaches b and c from its cache; degraded: $msg"
for k in 1 2 3; do ov_etcd_start $k; done
ov_until 90 _ov_etcd_led
t0=$(ov_now)
online() { ! degraded "$1"; }
for h in a b c; do
	ov_until 60 online $h
done
say "etcd-vm: members back: every overlay restored by itself within $(ms "$t0" "$(ov_now)") ms"
adm c add-mapping -a 10.55.0.3 ov55 $MC 198.51.100.2 || ov_fail "add-mapping after the recovery"
base=$(ov_rx b ov55)
ov_until 10 at_least b $((base + 5))
say "etcd-vm: a change after the recovery moves the traffic again"
