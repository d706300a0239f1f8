#!/bin/sh
# Smoke test of the VM itself: two network-namespace hosts joined by a veth
# pair reach each other over IPv4 and IPv6. If this fails, nothing else in
# the VM can be trusted.
. "$OVERLAY_TESTS/lib.sh"

ov_host a b
ov_link a b 192.0.2.1/24 192.0.2.2/24 2001:db8::1/64 2001:db8::2/64
ov_wait_addr a 2001:db8::1
ov_wait_addr b 2001:db8::2

ov_ping a 192.0.2.2
ov_ping b 192.0.2.1
ov_ping a 2001:db8::2
ov_ping b 2001:db8::1

# The hosts really are separate: b's address is not local to a.
ov_assert_fails "192.0.2.2 must not be an address of host a" \
	sh -c "ip -n a -4 addr show | grep -q '192.0.2.2/'"
echo "smoke: veth between two netns hosts carries IPv4 and IPv6"

# Every program and plugin we packed finds all its shared libraries here.
for f in "$OVERLAY_BIN"/* "$OVERLAY_PLUGIN_DIR"/*.so; do
	[ -f "$f" ] || continue
	out=$(/lib64/ld-linux-x86-64.so.2 --list "$f" 2>&1) ||
		ov_fail "the dynamic loader cannot load $f: $out"
	case "$out" in
	*"not found"*) ov_fail "$f misses shared libraries: $(echo "$out" | grep 'not found')" ;;
	esac
	echo "smoke: $(basename "$f") loads with all its libraries"
done
