#!/bin/sh
# ovnet.ko on a container host: overlayfs, whose module is called "overlay"
# in every distribution kernel, is loaded with a mount active (lower, upper
# and work directories on a tmpfs); ovnet loads beside it (a module named
# overlay could not: "File exists"), both are listed, a VXLAN device in
# point mode carries a ping each way between two namespace hosts while the
# mount keeps working, then the mount goes and both modules unload.
# Then loading on demand, with ovnet unloaded each time: `ip link add ...
# type overlay` loads it through its rtnl-link alias (the request itself is
# refused), and opening /dev/overlay loads it through its devname and
# char-major aliases: the node is made from what `kmod static-nodes` reads
# in modules.devname (depmod wrote it from ovnet.ko's aliases), as
# systemd-tmpfiles does at boot.
. "$OVERLAY_TESTS/lib.sh"
ov_need_ovnet

loaded() { [ -d "/sys/module/$1" ] && grep -q "^$1 " /proc/modules; }
unload() { # MODULE: rmmod it, once namespaces (torn down in a workqueue) let go
	ov_until 10 rmmod "$1"
	loaded "$1" && ov_fail "$1 still loaded after rmmod"
	return 0
}

# Start with ovnet out, so what loads it below is what the test says.
loaded ovnet && unload ovnet

# --- overlayfs first, mounted, as on a Docker or podman host.
ov_assert "modprobe overlay (overlayfs)" modprobe overlay
loaded overlay || ov_fail "overlayfs (module overlay) is not loaded"
ov_tmp fs
mount -t tmpfs tmpfs "$T" || ov_fail "tmpfs on $T"
ov_on_exit "umount $T/merged 2>/dev/null; umount $T 2>/dev/null"
mkdir "$T/lower" "$T/upper" "$T/work" "$T/merged"
echo "from lower" >"$T/lower/file"
mount -t overlay overlay \
	-o "lowerdir=$T/lower,upperdir=$T/upper,workdir=$T/work" "$T/merged" ||
	ov_fail "mount overlayfs"
[ "$(cat "$T/merged/file")" = "from lower" ] || ov_fail "overlayfs does not show the lower file"
echo "written through the mount" >"$T/merged/new"
[ -f "$T/upper/new" ] || ov_fail "a file written through overlayfs is not in upper"
[ "$(cat /sys/module/overlay/refcnt)" -gt 0 ] || ov_fail "the mount holds no reference on overlayfs"

ov_assert "modprobe ovnet beside a mounted overlayfs" modprobe ovnet
loaded ovnet || ov_fail "ovnet is not loaded"
lsmod | grep -E '^(overlay|ovnet) ' | sed 's/^/# lsmod: /'
[ "$(lsmod | grep -cE '^(overlay|ovnet) ')" = 2 ] || ov_fail "lsmod does not list both overlay and ovnet"
ov_until 5 test -c /dev/overlay

ov_host a b
ov_link a b 192.0.2.1/24 192.0.2.2/24
ov_in a ovctl up ov0 vxlan 42 192.0.2.1 192.0.2.2 >/dev/null || ov_fail "ovctl up ov0 in a"
ov_in b ovctl up ov0 vxlan 42 192.0.2.2 192.0.2.1 >/dev/null || ov_fail "ovctl up ov0 in b"
for h in a b; do ov_in "$h" ip link set ov0 up; done
ov_in a ip addr add 10.15.0.1/24 dev ov0
ov_in b ip addr add 10.15.0.2/24 dev ov0
ov_ping a 10.15.0.2
ov_ping b 10.15.0.1
rx=$(ov_rx b ov0)
[ "$rx" -ge 3 ] || ov_fail "ov0 in b received $rx packets, want at least the 3 pings"
echo "written after the traffic" >"$T/merged/after"
[ -f "$T/upper/after" ] || ov_fail "overlayfs stopped working beside ovnet"

# --- Both go: the devices with their namespaces, then the mount.
ip netns del a && ip netns del b
OV_HOSTS=""
umount "$T/merged" || ov_fail "umount overlayfs"
umount "$T" || ov_fail "umount the tmpfs"
unload overlay
unload ovnet
echo "overlayfs: mounted overlayfs and ovnet loaded side by side, traffic passed, both unloaded"

# --- On demand through the rtnl link kind.
ip link add ovauto type overlay 2>/dev/null &&
	ov_fail "ip link add type overlay succeeded (the module refuses it)"
loaded ovnet || ov_fail "ip link add ... type overlay did not load ovnet (alias rtnl-link-overlay)"
ip link show ovauto >/dev/null 2>&1 && ov_fail "a link ovauto exists after a refused add"
unload ovnet
echo "overlayfs: ip link add ... type overlay loaded ovnet"

# --- On demand by opening /dev/overlay.
# kmod writes to a file: the VM's devtmpfs has no /dev/stdout.
ov_tmp nodes
kmod static-nodes --format=tmpfiles -o "$T/nodes" || ov_fail "kmod static-nodes"
sed 's/^/# static node: /' "$T/nodes"
# A tmpfiles line: c! /dev/overlay MODE - - - MAJOR:MINOR
node=$(awk '$2 == "/dev/overlay" && $1 ~ /^c/ { print $7 }' "$T/nodes")
case "$node" in
*:*) ;;
*) ov_fail "modules.devname gives no char node for /dev/overlay: $(cat "$T/nodes")" ;;
esac
major=${node%:*}
minor=${node#*:}
[ ! -e /dev/overlay ] || rm -f /dev/overlay
mknod -m 0666 /dev/overlay c "$major" "$minor" || ov_fail "mknod /dev/overlay c $major $minor"
ov_assert "open /dev/overlay with ovnet unloaded" sh -c 'exec 3<>/dev/overlay'
loaded ovnet || ov_fail "opening /dev/overlay did not load ovnet (alias char-major-$major-$minor)"
ov_assert "the ioctls answer on the node made from modules.devname" ovctl list
unload ovnet
rm -f /dev/overlay
echo "overlayfs: opening /dev/overlay ($major:$minor from modules.devname) loaded ovnet"
