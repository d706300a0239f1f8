#!/bin/sh
# stage-source.sh DEST VERSION: the module's source as a tree of its own in
# DEST, the layout DKMS builds from (/usr/src/ovnet-VERSION) and the one
# `make module` and `make kmods` build each kernel's module in: Kbuild, the
# C files and headers, core/, include/uapi/overlay.h beside them (Kbuild
# prefers it to ../include) and dkms.conf with VERSION in place of
# #MODULE_VERSION#.
# Files keep their times (cp -p), so kbuild rebuilds only what changed.
set -eu
dest=${1:?usage: stage-source.sh DEST VERSION}
version=${2:?usage: stage-source.sh DEST VERSION}
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$dest/core" "$dest/include/uapi"
cp -p "$here/Kbuild" "$here"/*.h "$dest/"
for f in "$here"/*.c; do
	# Not the ovnet.mod.c an in-tree build may have left.
	case "$f" in *.mod.c) continue ;; esac
	cp -p "$f" "$dest/"
done
cp -p "$here"/core/*.c "$here"/core/*.h "$dest/core/"
cp -p "$here/../include/uapi/overlay.h" "$dest/include/uapi/"
sed "s/#MODULE_VERSION#/$version/" "$here/dkms.conf" >"$dest/dkms.conf.new"
if cmp -s "$dest/dkms.conf.new" "$dest/dkms.conf" 2>/dev/null; then
	rm "$dest/dkms.conf.new"
else
	mv "$dest/dkms.conf.new" "$dest/dkms.conf"
fi
