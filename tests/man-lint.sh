#!/bin/sh
# Every man page must be clean under `mandoc -Tlint` (warnings included).
# Exit 1 with mandoc's messages when one is not; 1 too when there is no page.
dir=${1:?usage: man-lint.sh MANDIR}
pages=$(find "$dir" -name '*.[1-9]' | sort)
if [ -z "$pages" ]; then
	echo "man-lint: no pages under $dir" >&2
	exit 1
fi
out=$(mandoc -Tlint -W warning $pages 2>&1)
status=$?
if [ -n "$out" ] || [ $status -ne 0 ]; then
	echo "$out"
	exit 1
fi
echo "man-lint: $(echo "$pages" | wc -l) pages clean"
