#!/usr/bin/env bash
# make demo: the project's main job, end to end, in the VM.
#
# Usage: tests/demo/demo.sh [BUILD_DIR]   (make demo builds first)
#
# Boots the test VM (tests/vm/run-vm.sh) with tests/demo/vm/ as its only
# scripts: 10-demo.sh brings up three hosts with a varpd each, creates the
# overlays with overlayadm on the sqlite backend, imports their mappings
# (import-mappings, 15003 of them, progress shown), pings across them, and
# records what overlayadm show-mapping and show-overlay (-f, -t) and
# overlay-snoop show, then moves one tenant to a fourth host with
# add-mapping under a running ping, all into a results file, which
# comes out of the VM over its second serial port. This script prints that
# file, so only the demo's lines are shown, not the kernel's log (kept in
# BUILD/vm-demo/console.log). Exit 0 when the demo ran and judged itself a
# success, 1 otherwise (the console is printed then).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src=$(cd "$here/../.." && pwd)
build=${1:-build}
work=$build/vm-demo
start=$(date +%s)

echo "== overlay demo: booting the VM (qemu, TCG) with three netns hosts =="
rc=0
# The underlay is a bridge: pack its module too.
OVERLAY_VM_MODULES="${OVERLAY_VM_MODULES:+$OVERLAY_VM_MODULES }bridge" \
"$src/tests/vm/run-vm.sh" --build "$build" --work "$work" --tests-dir "$here/vm" \
	--timeout 170 >"$work.log" 2>&1 || rc=$?
if [ -s "$work/results/demo.txt" ]; then
	cat "$work/results/demo.txt"
else
	echo "(the demo wrote no output: is build/kmod/KVER/ovnet.ko built? make kmods)"
	[ $rc -ne 0 ] || rc=1
fi
if [ $rc -ne 0 ]; then
	cat "$work.log"
	echo "demo: the VM run failed (log above; console in $work/console.log)" >&2
	exit 1
fi
echo ""
echo "demo: finished in $(($(date +%s) - start)) s (console: $work/console.log)"
