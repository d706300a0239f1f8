#!/bin/sh
# A short libFuzzer run, as make check does it:
#   run-fuzz.sh BINARY SEED_CORPUS WORKDIR SECONDS [RUNS]
# The seed corpus is copied into WORKDIR (the source tree is never written),
# the target runs for SECONDS (or RUNS executions when given, e.g. 10000000
# for the long run on demand), and any crash, leak or timeout fails the test.
set -eu
bin=$1 seeds=$2 work=$3 secs=$4 runs=${5:-}
if [ ! -x "$bin" ]; then
	echo "run-fuzz: $bin is not built (make fuzz)" >&2
	exit 1
fi
mkdir -p "$work/corpus" "$work/artifacts"
cp -n "$seeds"/* "$work/corpus/" 2>/dev/null || true
if [ -n "$runs" ]; then
	limit="-runs=$runs"
else
	limit="-max_total_time=$secs"
fi
exec "$bin" "$limit" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
	-artifact_prefix="$work/artifacts/" "$work/corpus"
