#!/bin/sh
# ovnet.ko loads with modprobe (its dependencies resolved by depmod), makes
# the character device /dev/overlay, and unloads cleanly -- twice, so a leak
# on unload (a device, a socket, a proc entry left behind) shows up as a
# failed second load or as a kernel WARNING the harness judges. SKIPs when
# `make kmods` has not built build/kmod/KVER/ovnet.ko.
. "$OVERLAY_TESTS/lib.sh"

ov_need_ovnet

# Linux's overlayfs module is called "overlay" and the harness packs it: our
# module has a name of its own, and each name resolves to its own file.
file=$(modinfo -F filename ovnet) || ov_fail "modinfo ovnet"
case "$file" in
*/extra/ovnet.ko) ;;
*) ov_fail "modprobe ovnet would load $file, not our extra/ovnet.ko" ;;
esac
fsfile=$(modinfo -F filename overlay) || ov_fail "modinfo overlay (overlayfs is not packed)"
case "$fsfile" in
*/fs/overlayfs/overlay.ko*) ;;
*) ov_fail "modprobe overlay would load $fsfile, not overlayfs" ;;
esac

for round in 1 2; do
	ov_assert "modprobe ovnet (round $round)" modprobe ovnet
	ov_assert "module ovnet listed after load" grep -q '^ovnet ' /proc/modules
	ov_wait_dev=0
	while [ ! -c /dev/overlay ] && [ $ov_wait_dev -lt 25 ]; do
		sleep 0.2
		ov_wait_dev=$((ov_wait_dev + 1))
	done
	[ -c /dev/overlay ] || ov_fail "/dev/overlay is not a character device after modprobe"
	ls -l /dev/overlay | sed 's/^/# /'
	# Opening the device must work for root (the single-writer rule allows one).
	ov_assert "open /dev/overlay read-write" sh -c 'exec 3<>/dev/overlay'
	ov_assert "rmmod ovnet (round $round)" rmmod ovnet
	ov_assert_fails "module ovnet still listed after rmmod" \
		grep -q '^ovnet ' /proc/modules
	[ ! -e /dev/overlay ] || ov_fail "/dev/overlay still exists after rmmod"
done
echo "module: ovnet.ko loads, makes /dev/overlay, unloads, twice"
