#!/usr/bin/env bash
# soak.sh N [BUILD] - run the whole etcd label (ctest -L etcd: the cluster
# fixture, the backend's unit, fault and crash tests) N times in a row from
# build tree BUILD (default: build), and say how each run went. A test that
# fails one run in N shows here before it rejects a CI run.
# Exit 0 only if every run passed; each failing run's log is kept.
set -uo pipefail
n=${1:?usage: soak.sh N [BUILD]}
build=${2:-build}
case $n in '' | *[!0-9]*) echo "soak.sh: N must be a whole number, not '$n'" >&2; exit 2 ;; esac
[ -f "$build/CTestTestfile.cmake" ] || { echo "soak.sh: $build is not a configured build tree (run make)" >&2; exit 2; }
logs=$(mktemp -d "${TMPDIR:-/tmp}/etcd-soak.XXXXXX")
pass=0 fail=0
start=$(date +%s)
for i in $(seq 1 "$n"); do
    t0=$(date +%s)
    if (cd "$build" && ctest -L etcd --output-on-failure) >"$logs/run-$i.log" 2>&1; then
        pass=$((pass + 1)); verdict=passed
        rm -f "$logs/run-$i.log"
    else
        fail=$((fail + 1)); verdict="FAILED ($logs/run-$i.log)"
        grep -E '^\s+[0-9]+ - ' "$logs/run-$i.log" | sed 's/^/    /'
    fi
    total=$(grep -hoE '[0-9]+ tests failed out of [0-9]+' "$logs/run-$i.log" 2>/dev/null || true)
    echo "run $i/$n: $verdict in $(( $(date +%s) - t0 )) s ${total:+($total)}"
done
echo "etcd soak: $n runs in $(( $(date +%s) - start )) s"
echo "$pass passed, $fail failed"
[ "$fail" = 0 ] && rmdir "$logs" 2>/dev/null
[ "$fail" = 0 ]
