#!/bin/sh
# stage-source.sh DEST VERSION: the module's source as a tree of its own in
# DEST, the one `make module` and `make kmods` build each kernel's module
# in: Kbuild, the C files and headers, core/, and include/uapi/overlay.h
# beside them (Kbuild prefers it to ../include).
# Files keep their times (cp -p), so kbuild rebuilds only what changed.
set -eu
dest=${1:?usage: stage-source.sh DEST VERSION}
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
