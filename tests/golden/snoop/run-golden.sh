#!/bin/sh
# Golden test: decode golden.pcap in every output mode and diff against the
# committed expectations. UPDATE=1 rewrites the expectations instead.
#   run-golden.sh OVERLAY_SNOOP SRCDIR WORKDIR
set -eu
snoop=$1 src=$2 work=$3
mkdir -p "$work"
fail=0
check() { # name, then overlay-snoop arguments
	name=$1
	shift
	if ! "$snoop" "$@" >"$work/$name" 2>"$work/$name.err"; then
		echo "golden: overlay-snoop $* failed:" >&2
		cat "$work/$name.err" >&2
		fail=1
		return
	fi
	if [ "${UPDATE:-0}" = 1 ]; then
		cp "$work/$name" "$src/$name"
	elif ! diff -u "$src/$name" "$work/$name"; then
		echo "golden: $name differs from the committed expectation" >&2
		fail=1
	else
		echo "golden: $name matches ($(wc -l <"$work/$name") lines)"
	fi
}
check golden.txt -i "$src/golden.pcap"
check golden-v.txt -v -i "$src/golden.pcap"
check golden.json -j -i "$src/golden.pcap"
exit $fail
