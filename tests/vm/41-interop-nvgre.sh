#!/bin/sh
# Interop of our nvgre device with Linux gretap and ip6gretap (key VSID<<8):
# 40-interop.sh with the NVGRE peers, as a VM test of its own.
# vm-timeout: 300
exec sh "$OVERLAY_TESTS/40-interop.sh" nvgre
