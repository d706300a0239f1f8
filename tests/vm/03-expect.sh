#!/bin/sh
# Runs the CLI scenarios that need the kernel module inside the VM:
# tests/expect/*.vm.exp (the host's CTest skips them), each with expect, with
# OVERLAY_BIN, OVERLAY_SRC and OVERLAY_BUILD set as on the host. Prints one
# "expect <name> PASS|FAIL" line per script and fails if any failed. SKIPs
# when there is no such script.
# vm-timeout: 900
. "$OVERLAY_TESTS/lib.sh"

dir=$OVERLAY_SRC/tests/expect
set -- "$dir"/*.vm.exp
[ -e "$1" ] || ov_skip "no tests/expect/*.vm.exp scripts"
command -v expect >/dev/null || ov_fail "expect is not in the VM"

failed=""
for s in "$@"; do
	name=$(basename "$s" .vm.exp)
	if expect -f "$s"; then
		echo "expect $name PASS"
	else
		echo "expect $name FAIL"
		failed="$failed $name"
	fi
	# Each script starts from a clean kernel state.
	ip -all netns delete 2>/dev/null
	rmmod ovnet 2>/dev/null
done
[ -z "$failed" ] || ov_fail "expect scripts failed:$failed"
