#!/bin/sh
# tshark cross-check on the golden capture and on a generated mix of 3000
# VXLAN/NVGRE packets.
#   run-crosscheck.sh SNOOP_CROSSCHECK OVERLAY_SNOOP SNOOP_MKCAP GOLDEN_PCAP WORKDIR
set -eu
cross=$1 snoop=$2 mkcap=$3 golden=$4 work=$5
mkdir -p "$work"
"$mkcap" mix 3000 "$work/crosscheck-mix.pcap" 7
exec "$cross" "$snoop" "$golden" "$work/crosscheck-mix.pcap"
