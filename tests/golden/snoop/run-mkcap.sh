#!/bin/sh
# The committed golden.pcap must be exactly what snoop-mkcap writes today,
# so the generator and the capture cannot drift apart.
#   run-mkcap.sh SNOOP_MKCAP COMMITTED_PCAP FRESH_PCAP
set -eu
"$1" golden "$3"
if cmp "$2" "$3"; then
	echo "mkcap: $2 is byte-identical to a fresh snoop-mkcap run"
else
	echo "mkcap: $2 differs from snoop-mkcap's output; regenerate and commit it" >&2
	exit 1
fi
