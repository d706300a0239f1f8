#!/bin/sh
# Runs after every other script: the kernel must come out of the whole run
# clean. Its taint flags may only say "out-of-tree" (O) and "unsigned" (E),
# which loading ovnet.ko sets; anything else (W: a warning was printed, D:
# an oops, ...) fails, independently of how the console was parsed. And if
# ovnet.ko is loaded, every reference to it must be gone once the tests'
# namespaces are torn down, so that rmmod succeeds: a device, socket or
# namespace hook leaked by any earlier test keeps it pinned.
. "$OVERLAY_TESTS/lib.sh"

# Bits of /proc/sys/kernel/tainted, in the kernel's order (P F S R M B U D A
# W C I O E L K X T).
flags="P F S R M B U D A W C I O E L K X T"
allowed=$((4096 | 8192)) # O (out-of-tree module), E (unsigned module)
tainted=$(cat /proc/sys/kernel/tainted)
bad=$((tainted & ~allowed))
if [ $bad -ne 0 ]; then
	names="" bit=1
	for f in $flags; do
		[ $((bad & bit)) -ne 0 ] && names="$names $f"
		bit=$((bit * 2))
	done
	ov_fail "kernel tainted $tainted, flags beyond O/E:$names"
fi
echo "final: kernel taint $tainted (only O/E allowed)"

if grep -q '^ovnet ' /proc/modules; then
	# Namespaces die asynchronously (cleanup_net runs in a workqueue).
	tries=50
	while [ "$(cat /sys/module/ovnet/refcnt)" != 0 ] && [ $tries -gt 0 ]; do
		sleep 0.2
		tries=$((tries - 1))
	done
	refs=$(cat /sys/module/ovnet/refcnt)
	[ "$refs" = 0 ] ||
		ov_fail "ovnet.ko still has $refs references after every test ended"
	ov_assert "rmmod ovnet after the whole run" rmmod ovnet
	echo "final: ovnet.ko unloaded after the run"
fi
