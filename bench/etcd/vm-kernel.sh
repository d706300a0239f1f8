#!/usr/bin/env bash
# bench-etcd's VM part: the time from an etcd write's acknowledgement to the
# kernel's target-cache entry changing on every host, with the real module.
#
# Usage: bench/etcd/vm-kernel.sh BUILD_DIR OUT_JSON
#   ETCD_KERNEL_CHANGES   changes to time (default 1000)
#
# Theory: tests/vm/run-vm.sh boots the VM with tests/vm/55-varpd-etcd.sh
# alone (a three-member etcd cluster and three hosts with ovnet and varpd
# on the etcd backend, each its own netns); its step 3 runs
# etcd-bench-kernel (bench/etcd/kernel.cpp) for ETCD_KERNEL_CHANGES changes
# and leaves its JSON as results/etcd-kernel.json. This script merges the
# figures into OUT_JSON (bench-etcd's etcd.json, made by etcd-bench on the
# host just before): kernel_propagation_p50_ms / _p99_ms (the slowest
# host per change), the same for a plain etcd watcher in the same run
# (watch_alone_p99_ms, the peer) and their ratio. The VM runs under TCG:
# absolute figures are the emulator's, the ratio is what to read.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src=$(cd "$here/../.." && pwd)
build=${1:?usage: vm-kernel.sh BUILD_DIR OUT_JSON}
out=${2:?usage: vm-kernel.sh BUILD_DIR OUT_JSON}
changes=${ETCD_KERNEL_CHANGES:-1000}
[[ "$changes" =~ ^[1-9][0-9]*$ ]] || { echo "vm-kernel.sh: ETCD_KERNEL_CHANGES must be a positive integer" >&2; exit 2; }
command -v jq >/dev/null || { echo "vm-kernel.sh: jq not found (make deps)" >&2; exit 2; }
work=$build/vm-bench-etcd
"$src/tests/vm/run-vm.sh" --build "$build" --work "$work" \
	--env "ETCD_KERNEL_CHANGES=$changes" '55-varpd-etcd*' ||
	{ echo "vm-kernel.sh: the VM run failed (console: $work/console.log)" >&2; exit 1; }
k=$work/results/etcd-kernel.json
[ -s "$k" ] || { echo "vm-kernel.sh: no $k" >&2; exit 1; }
[ -s "$out" ] || echo '{}' >"$out"
jq --slurpfile k "$k" '. + {
	kernel_propagation_p50_ms: $k[0].from_ack.p50_ms,
	kernel_propagation_p99_ms: $k[0].from_ack.p99_ms,
	kernel_propagation_max_ms: $k[0].from_ack.max_ms,
	kernel_propagation_lost: $k[0].lost,
	kernel_watch_alone_p99_ms: $k[0].watch_alone.p99_ms,
	kernel_ratio_p99_vs_watch_alone: $k[0].ratio_p99,
	kernel_propagation: $k[0]}' "$out" >"$out.tmp" && mv "$out.tmp" "$out"
jq -r '"bench-etcd (VM, \(.kernel_propagation.changes) changes, 3 hosts with ovnet): write ack -> kernel entry p50 \(.kernel_propagation_p50_ms|.*100|round/100) ms, p99 \(.kernel_propagation_p99_ms|.*100|round/100) ms; a plain etcd watcher p99 \(.kernel_watch_alone_p99_ms|.*100|round/100) ms; ratio \(.kernel_ratio_p99_vs_watch_alone|.*100|round/100); lost \(.kernel_propagation_lost)"' "$out"
