#!/bin/sh
# What `make install` gives a plugin author and an operator: plugin.h, the
# varpd-plugin pkg-config file (whose --cflags build the varpd_plugin(3)
# example, exporting its one symbol, and whose plugindir holds the shipped
# backends), varpd itself and its systemd unit.
#   install-test.sh BUILD_DIR EXAMPLE_C
set -eu
build=$1 example=$2
dest=$(mktemp -d)
trap 'rm -rf "$dest"' EXIT
DESTDIR=$dest cmake --install "$build" --prefix /usr/local >/dev/null
fail() {
	echo "install-test: $*" >&2
	exit 1
}
[ -x "$dest/usr/local/sbin/varpd" ] || fail "no sbin/varpd"
[ -f "$dest/usr/local/include/varpd/plugin.h" ] || fail "no include/varpd/plugin.h"
unit=$dest/usr/local/lib/systemd/system/varpd.service
[ -f "$unit" ] || fail "no varpd.service"
grep -q '^ExecStart=/usr/local/sbin/varpd -f ' "$unit" || fail "unit runs: $(grep ExecStart "$unit")"
pc=$(find "$dest" -name varpd-plugin.pc)
[ -n "$pc" ] || fail "no varpd-plugin.pc"
export PKG_CONFIG_PATH="$(dirname "$pc")" PKG_CONFIG_SYSROOT_DIR="$dest"
cflags=$(pkg-config --cflags varpd-plugin)
plugindir=$(pkg-config --variable=plugindir varpd-plugin)
plugindir=${plugindir#"$dest"} # newer pkg-config prefixes variables with the sysroot too
[ "$plugindir" = /usr/local/lib/varpd ] || [ "$plugindir" = /usr/local/lib/x86_64-linux-gnu/varpd ] ||
	fail "plugindir is $plugindir"
[ -f "$dest$plugindir/direct.so" ] || fail "plugindir $plugindir has no direct.so"
[ -f "$dest$plugindir/files.so" ] || fail "plugindir $plugindir has no files.so"
# shellcheck disable=SC2086
cc -shared -fPIC -Wall -Wextra -Werror $cflags -o "$dest/example.so" "$example" ||
	fail "the varpd_plugin(3) example does not build with pkg-config --cflags"
nm -D --defined-only "$dest/example.so" | grep -q ' T varpd_plugin_register$' ||
	fail "example.so does not export varpd_plugin_register"
echo "install-test: plugin.h, varpd-plugin.pc ($plugindir), varpd, varpd.service installed; the example builds"
