#!/usr/bin/env bash
# make demo: the project's main job, shown end to end with what exists.
# It grows with the project: the VM scenario (three hosts, overlays on the
# SQLite backend, pings, show-overlay, an overlay-snoop decode) replaces the
# steps below as those parts land.
set -euo pipefail
build=${1:-build}
echo "== overlay demo =="
echo "built programs in $build/bin:"
ls -1 "$build/bin" 2>/dev/null | sed 's/^/  /' || echo "  (none yet)"
