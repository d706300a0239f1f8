#!/bin/sh
# make install honours PREFIX whenever it is given, and a plugin author can
# build against what it installs.
#
#   prefix-test.sh SRC BUILD EXAMPLES
#
# Twice, with PREFIX=/usr and PREFIX=/opt/ovtest, each into a DESTDIR of its
# own: `make install-userland` (the userland half of `make install`) on the
# build tree BUILD, whatever prefix it was configured with. Then, in each
# tree, the paths written into the installed files must name that prefix:
# the plugin directory compiled into varpd (varpd -h prints it) is where the
# plugins were installed, the units' ExecStart run the installed programs,
# varpd-plugin.pc's prefix and plugindir are these. Last, in the /usr tree:
# the C and C++ examples of varpd_plugin(3) (EXAMPLES, extracted from the
# page) build with nothing but `pkg-config --cflags --libs varpd-plugin`
# pointed into the DESTDIR, and the installed varpd (-K none) loads both:
# the installed overlayadm lists them; a plugin using ov_ethers links the
# installed libtools archives with the page's link line. BUILD's configured prefix is put back
# on exit, failure included.
set -eu
name=prefix-test
. "$(dirname "$0")/lib.sh"
src=$1 build=$2 examples=$3
tmp=$(mktemp -d)
orig=$(sed -n 's/^CMAKE_INSTALL_PREFIX:PATH=//p' "$build/CMakeCache.txt")
varpd_pid=
cleanup() {
	[ -n "$varpd_pid" ] && kill "$varpd_pid" 2>/dev/null
	cmake -DCMAKE_INSTALL_PREFIX="$orig" "$build" >/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

for prefix in /usr /opt/ovtest; do
	dest=$tmp/dest$(echo "$prefix" | tr / _)
	make -s -C "$src" BUILD="$build" install-userland PREFIX="$prefix" DESTDIR="$dest" \
		>"$tmp/make.log" 2>&1 || fail "make install-userland PREFIX=$prefix: $(tail -5 "$tmp/make.log")"
	varpd=$dest$prefix/sbin/varpd
	[ -x "$varpd" ] || fail "PREFIX=$prefix: no $prefix/sbin/varpd"
	plugindir=$("$varpd" -h | sed -n 's/^  -p default: //p')
	case $plugindir in
	"$prefix"/*) ;;
	*) fail "PREFIX=$prefix: varpd's compiled plugin directory is \"$plugindir\"" ;;
	esac
	[ -f "$dest$plugindir/direct.so" ] && [ -f "$dest$plugindir/sqlite.so" ] ||
		fail "PREFIX=$prefix: varpd looks in $plugindir, where nothing was installed"
	for unit in varpd.service:varpd overlay-up.service:overlayadm; do
		f=$(find "$dest" -name "${unit%%:*}")
		[ -n "$f" ] || fail "PREFIX=$prefix: no ${unit%%:*}"
		grep -q "^ExecStart=$prefix/sbin/${unit#*:} " "$f" ||
			fail "PREFIX=$prefix: ${unit%%:*} runs $(grep '^ExecStart=' "$f")"
		grep -q "/usr/local" "$f" && [ "$prefix" != /usr/local ] &&
			fail "PREFIX=$prefix: ${unit%%:*} still names /usr/local: $(grep /usr/local "$f")"
	done
	pc=$(find "$dest" -name varpd-plugin.pc)
	[ -n "$pc" ] || fail "PREFIX=$prefix: no varpd-plugin.pc"
	grep -qx "prefix=$prefix" "$pc" || fail "PREFIX=$prefix: varpd-plugin.pc has $(grep '^prefix=' "$pc")"
	grep -qx "plugindir=$plugindir" "$pc" ||
		fail "PREFIX=$prefix: varpd-plugin.pc has $(grep '^plugindir=' "$pc"), varpd $plugindir"
	echo "prefix-test: PREFIX=$prefix: varpd loads $plugindir; units run $prefix/sbin; .pc prefix=$prefix"
done

# The examples, built by a plugin author from the /usr tree's files alone.
dest=$tmp/dest_usr
pc=$(find "$dest" -name varpd-plugin.pc)
export PKG_CONFIG_PATH="$(dirname "$pc")" PKG_CONFIG_SYSROOT_DIR="$dest" PKG_CONFIG_LIBDIR=/nonexistent
flags=$(pkg-config --cflags --libs varpd-plugin) || fail "pkg-config --cflags --libs varpd-plugin failed"
case $flags in
*"-I$dest/usr/include"*) ;;
*) fail "pkg-config gives \"$flags\", not the installed include directory" ;;
esac
mkdir "$tmp/plugins"
# shellcheck disable=SC2086
cc -shared -fPIC -Wall -Wextra -Werror -fvisibility=hidden $flags \
	-o "$tmp/plugins/example.so" "$examples/example.c" ||
	fail "the C example of varpd_plugin(3) does not build with pkg-config's flags"
# shellcheck disable=SC2086
c++ -std=c++20 -shared -fPIC -Wall -Wextra -Werror -fvisibility=hidden $flags \
	-o "$tmp/plugins/point-cxx.so" "$examples/point-cxx.cpp" ||
	fail "the C++ example of varpd_plugin(3) does not build with pkg-config's flags"
# The libtools archives, linked as varpd_plugin(3) says: nothing unresolved.
cat >"$tmp/libtools.c" <<'C'
#include <libtools/ethers.h>
#include <varpd/plugin.h>
int probe(const char *s) { ov_ether_addr_t a; ov_error_t e; return ov_ethers_parse(s, &a, &e); }
C
# shellcheck disable=SC2086
cc -shared -fPIC -Wall -Wextra -Werror $flags -Wl,--no-undefined -o "$tmp/libtools.so" \
	"$tmp/libtools.c" -L"$(dirname "$(dirname "$pc")")" -lov_ethers -lov_addr -lov_error -lstdc++ ||
	fail "a plugin does not link the installed libtools archives as varpd_plugin(3) says"
for so in example point-cxx; do
	nm -D --defined-only "$tmp/plugins/$so.so" | grep -q ' T varpd_plugin_register$' ||
		fail "$so.so does not export an unmangled varpd_plugin_register"
done

"$dest/usr/sbin/varpd" -f -K none -d "$tmp/varpd" -p "$tmp/plugins" 2>"$tmp/varpd.log" &
varpd_pid=$!
adm="$dest/usr/sbin/overlayadm -S $tmp/varpd/varpd.sock -D $tmp/overlay"
until_ok 10 $adm show-plugin || fail "the installed varpd did not serve within 10 s: $(cat "$tmp/varpd.log")"
got=$($adm show-plugin -p -o plugin,mode | sort -u | tr '\n' ' ')
[ "$got" = "example:dynamic point-cxx:point " ] ||
	fail "the installed varpd lists \"$got\", not the two examples (log: $(cat "$tmp/varpd.log"))"
kill "$varpd_pid"
wait "$varpd_pid" || fail "varpd did not stop cleanly: $(cat "$tmp/varpd.log")"
varpd_pid=
echo "prefix-test: the C and C++ examples of varpd_plugin(3) built from the installed files; the installed varpd lists them"
