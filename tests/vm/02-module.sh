#!/bin/sh
# overlay.ko loads with modprobe (its dependencies resolved by depmod), makes
# the character device /dev/overlay, and unloads cleanly -- twice, so a leak
# on unload (a device, a socket, a proc entry left behind) shows up as a
# failed second load or as a kernel WARNING the harness judges. SKIPs when
# `make module` has not built kernel-module/overlay.ko.
. "$OVERLAY_TESTS/lib.sh"

ov_need_overlay

# Linux's overlayfs module is also called "overlay"; the harness does not pack
# it, so modprobe must resolve to ours in extra/.
file=$(modinfo -F filename overlay) || ov_fail "modinfo overlay"
case "$file" in
*/extra/overlay.ko) ;;
*) ov_fail "modprobe overlay would load $file, not our extra/overlay.ko" ;;
esac

for round in 1 2; do
	ov_assert "modprobe overlay (round $round)" modprobe overlay
	ov_assert "module overlay listed after load" grep -q '^overlay ' /proc/modules
	ov_wait_dev=0
	while [ ! -c /dev/overlay ] && [ $ov_wait_dev -lt 25 ]; do
		sleep 0.2
		ov_wait_dev=$((ov_wait_dev + 1))
	done
	[ -c /dev/overlay ] || ov_fail "/dev/overlay is not a character device after modprobe"
	ls -l /dev/overlay | sed 's/^/# /'
	# Opening the device must work for root (the single-writer rule allows one).
	ov_assert "open /dev/overlay read-write" sh -c 'exec 3<>/dev/overlay'
	ov_assert "rmmod overlay (round $round)" rmmod overlay
	ov_assert_fails "module overlay still listed after rmmod" \
		grep -q '^overlay ' /proc/modules
	[ ! -e /dev/overlay ] || ov_fail "/dev/overlay still exists after rmmod"
done
echo "module: overlay.ko loads, makes /dev/overlay, unloads, twice"
