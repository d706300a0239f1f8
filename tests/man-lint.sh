#!/bin/sh
# man-lint.sh MANDIR [EXTERNAL]: every man page must be clean under
# `mandoc -Tlint` at its default level, style messages included (-W style is
# that default, spelled out because only with it does mandoc look up each Xr
# along the -M path). The path is a temporary tree indexed by makewhatis(8)
# holding our pages and a stub of each page listed in EXTERNAL (default
# tests/man/external beside this script): our cross references are found
# whether or not they are installed, the other packages' pages are found
# whether or not this host has them, and a reference to anything else fails.
# Exit 1 with mandoc's messages when a page is not clean; 1 too when there
# is no page.
dir=${1:?usage: man-lint.sh MANDIR [EXTERNAL]}
external=${2:-$(dirname "$0")/man/external}
pages=$(find "$dir" -name '*.[1-9]' | sort)
if [ -z "$pages" ]; then
	echo "man-lint: no pages under $dir" >&2
	exit 1
fi
[ -r "$external" ] || { echo "man-lint: cannot read $external" >&2; exit 1; }
tree=$(mktemp -d) || exit 1
trap 'rm -rf "$tree"' EXIT
for p in $pages; do
	s=${p##*.}
	mkdir -p "$tree/man$s" && cp "$p" "$tree/man$s/" || exit 1
done
grep -v '^#' "$external" | sed -n 's/^\([^(]*\)(\([0-9]\))$/\1 \2/p' |
while read -r name sec; do
	mkdir -p "$tree/man$sec"
	upper=$(echo "$name" | tr '[:lower:]' '[:upper:]')
	printf '.Dd January 1, 2026\n.Dt %s %s\n.Os\n.Sh NAME\n.Nm %s\n.Nd external\n' \
		"$upper" "$sec" "$name" >"$tree/man$sec/$name.$sec"
done
makewhatis "$tree" || { echo "man-lint: makewhatis $tree failed" >&2; exit 1; }
out=$(mandoc -Tlint -W style -M "$tree" $pages 2>&1)
status=$?
if [ -n "$out" ] || [ $status -ne 0 ]; then
	echo "$out"
	exit 1
fi
# SEE ALSO both ways: a page of ours that names another of ours there is
# named back by it.
for p in $pages; do
	me=$(basename "$p" | sed 's/\.\([0-9]\)$/ \1/')
	sed -n '/^\.Sh SEE ALSO/,/^\.Sh /s/^\.Xr \([^ ]*\) \([0-9]\).*/\1 \2/p' "$p" |
	while read -r name sec; do
		other="$dir/man$sec/$name.$sec"
		[ -e "$other" ] || continue # another package's page
		sed -n '/^\.Sh SEE ALSO/,/^\.Sh /p' "$other" | grep -qx "\.Xr ${me%% *} ${me##* }.*" ||
			echo "man-lint: $name($sec) does not name ${me%% *}(${me##* }) in SEE ALSO, which names it"
	done
done >"$tree/seealso"
if [ -s "$tree/seealso" ]; then
	cat "$tree/seealso"
	exit 1
fi
echo "man-lint: $(echo "$pages" | wc -l) pages clean, SEE ALSO complete both ways"
