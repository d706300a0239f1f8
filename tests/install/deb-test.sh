#!/bin/sh
# The Debian packages on a real host, installed and purged.
#
#   deb-test.sh SRC BUILD EXAMPLES
#
# `make deb` (which fails on any lintian error or warning), then, as root on
# this machine: `apt-get install ./*.deb` of ovnet-dkms, overlay and
# libvarpd-plugin-dev. DKMS builds the module for every installed kernel
# whose headers are installed and says it skipped the others (this
# machine's running kernel has none): the install must succeed either way.
# Checked once installed: `systemd-analyze verify` of the units, and
# varpd.service's check of /dev/overlay failing with the reason; the
# modules-load.d file names ovnet; the module's source and dkms.conf are in
# /usr/src/ovnet-VERSION and DKMS knows it; the installed varpd (-K none)
# loads the installed plugins from its compiled-in directory and the
# installed overlayadm lists them; the C example of varpd_plugin(3), built
# and installed as the page says with the installed pkg-config file, is
# loaded too; create-overlay without -s picks sqlite. Then `apt-get purge`
# of the three, and nothing may be left: no path any of them listed
# (dpkg -L) unless it was there before or another package owns it, nothing
# new and unowned in /etc or /var/lib/systemd, no /var/lib/dkms/ovnet, /usr/src/ovnet-*, ovnet.ko or state
# directory. A trap purges and removes what the test added on any exit.
set -eu
name=deb-test
. "$(dirname "$0")/lib.sh"
src=$1 build=$2 examples=$3
pkgs="ovnet-dkms overlay libvarpd-plugin-dev"
[ "$(id -u)" = 0 ] || { echo "deb-test: SKIP: installing packages needs root"; exit 77; }
for p in $pkgs; do
	if dpkg-query -W -f='${db:Status-Status}\n' "$p" 2>/dev/null | grep -qv '^not-installed$'; then
		echo "deb-test: SKIP: $p is already on this host; not touching it"
		exit 77
	fi
done
for d in /var/lib/varpd /var/lib/overlay /var/lib/dkms/ovnet; do
	[ -e "$d" ] && { echo "deb-test: SKIP: $d exists already; not touching it"; exit 77; }
done
# DKMS makes its signing key at its first build; one the test made goes too.
mok_made=
for f in /var/lib/dkms/mok.key /var/lib/dkms/mok.pub; do
	[ -e "$f" ] || mok_made="$mok_made $f"
done
apt="apt-get -o DPkg::Lock::Timeout=900 -y -q"
tmp=$(mktemp -d)
varpd_pid=
example_so=
installed=
cleanup() {
	[ -n "$varpd_pid" ] && kill "$varpd_pid" 2>/dev/null && wait "$varpd_pid" 2>/dev/null
	[ -n "$example_so" ] && rm -f "$example_so"
	if [ -n "$installed" ]; then
		# shellcheck disable=SC2086
		DEBIAN_FRONTEND=noninteractive $apt purge $pkgs >/dev/null 2>&1 || true
	fi
	# shellcheck disable=SC2086
	[ -z "$mok_made" ] || rm -f $mok_made
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
# unowned PATH: true when PATH exists and no installed package lists it.
unowned() {
	[ -e "$1" ] || [ -L "$1" ] || return 1
	! dpkg-query -S "$1" >/dev/null 2>&1
}

start=$(date +%s)
make -s -C "$src" BUILD="$build" deb >"$tmp/deb.log" 2>&1 ||
	fail "make deb: $(tail -20 "$tmp/deb.log")"
echo "deb-test: make deb in $(($(date +%s) - start)) s; lintian: $(grep -c '^[EW]: ' "$tmp/deb.log" || true) errors and warnings"
debs=
for p in $pkgs; do
	d=$(ls "$build"/deb/"$p"_*.deb) || fail "make deb made no $p: $(ls "$build"/deb)"
	debs="$debs $d"
done
version=$(dpkg-deb -f "$build"/deb/overlay_*.deb Version)

# What exists before: only what the packages add may be missing afterwards.
find /etc /var/lib/systemd | sort >"$tmp/etc.before"
for d in $debs; do
	dpkg-deb --fsys-tarfile "$d" | tar -t | sed 's,^\.,,;s,/$,,'
done | sort -u | while read -r f; do
	[ -n "$f" ] && [ -e "$f" ] && echo "$f"
done >"$tmp/existed" || true
installed=1
# shellcheck disable=SC2086
DEBIAN_FRONTEND=noninteractive $apt install $debs \
	>"$tmp/install.log" 2>&1 || fail "apt-get install: $(tail -30 "$tmp/install.log")"
for p in $pkgs; do
	dpkg-query -W -f='${db:Status-Status}\n' "$p" | grep -qx installed || fail "$p is not installed"
	dpkg -L "$p" >"$tmp/$p.list"
done
echo "deb-test: installed; DKMS said: $(grep -E 'Building for|skipped|Done\.|likely' "$tmp/install.log" | tr '\n' ' ')"

# The module's source, for DKMS; at boot, modules-load.d.
[ -f "/usr/src/ovnet-$version/dkms.conf" ] || fail "no /usr/src/ovnet-$version/dkms.conf"
dkms status -m ovnet | grep -q "^ovnet/$version" || fail "DKMS does not know ovnet/$version: $(dkms status)"
for k in $(ls /lib/modules); do
	if [ -d "/lib/modules/$k/build" ]; then
		dkms status -m ovnet -k "$k" | grep -q ': installed' ||
			fail "headers for $k are installed but DKMS did not install ovnet for it: $(dkms status -m ovnet)"
	fi
done
grep -qx ovnet /usr/lib/modules-load.d/ovnet.conf || fail "modules-load.d does not load ovnet"

# The units, as systemd reads them.
systemd-analyze verify /lib/systemd/system/varpd.service /lib/systemd/system/overlay-up.service \
	>"$tmp/verify.log" 2>&1 || fail "systemd-analyze verify: $(cat "$tmp/verify.log")"
# Without /dev/overlay (this host cannot load modules) the unit's check
# must fail and say why, as systemd would run it.
if [ ! -e /dev/overlay ]; then
	pre=$(sed -n "s/^ExecStartPre=\/bin\/sh -c '\(.*\)'$/\1/p" /lib/systemd/system/varpd.service)
	[ -n "$pre" ] || fail "varpd.service has no ExecStartPre checking /dev/overlay"
	if out=$(/bin/sh -c "$pre" 2>&1); then
		fail "varpd.service's ExecStartPre succeeds without /dev/overlay"
	fi
	case $out in
	"varpd: /dev/overlay is absent: the ovnet module is not loaded (modprobe ovnet"*) ;;
	*) fail "varpd.service's ExecStartPre says \"$out\"" ;;
	esac
fi
grep -q '^Requires=varpd.service' /lib/systemd/system/overlay-up.service || fail "overlay-up.service does not require varpd"

# A plugin author's example, built and installed as varpd_plugin(3) says.
flags=$(pkg-config --cflags varpd-plugin)
plugindir=$(pkg-config --variable=plugindir varpd-plugin)
# shellcheck disable=SC2086
cc -shared -fPIC $flags -o "$tmp/example.so" "$examples/example.c" || fail "the example does not build"
example_so=$plugindir/example.so
install -m 644 "$tmp/example.so" "$example_so"

# The installed varpd, from its compiled-in plugin directory.
[ "$(/usr/sbin/varpd -h | sed -n 's/^  -p default: //p')" = "$plugindir" ] ||
	fail "varpd's plugin directory is not $plugindir: $(/usr/sbin/varpd -h)"
/usr/sbin/varpd -f -K none -d "$tmp/varpd" 2>"$tmp/varpd.log" &
varpd_pid=$!
adm="/usr/sbin/overlayadm -S $tmp/varpd/varpd.sock -D $tmp/overlay"
until_ok 10 $adm show-plugin || fail "the installed varpd did not serve within 10 s: $(cat "$tmp/varpd.log")"
got=$($adm show-plugin -p -o plugin | sort -u | tr '\n' ' ')
[ "$got" = "direct etcd example files sqlite " ] || fail "the installed varpd lists: $got"
out=$($adm create-overlay -e vxlan -v 1 -p sqlite/nosuch=1 ov0 2>&1) && fail "create-overlay took sqlite/nosuch"
case $out in
*'unknown property "sqlite/nosuch" (plugin sqlite has:'*) ;;
*) fail "create-overlay without -s: $out" ;;
esac
kill "$varpd_pid"
wait "$varpd_pid" || fail "varpd did not stop cleanly: $(cat "$tmp/varpd.log")"
varpd_pid=
rm -f "$example_so"
example_so=
echo "deb-test: units verified; the installed varpd loads direct, etcd, files, sqlite and the example"

# Purge, and look for anything left behind.
# shellcheck disable=SC2086
DEBIAN_FRONTEND=noninteractive $apt purge $pkgs >"$tmp/purge.log" 2>&1 ||
	fail "apt-get purge: $(tail -20 "$tmp/purge.log")"
installed=
left=
for p in $pkgs; do
	dpkg-query -W -f='${db:Status-Status}\n' "$p" 2>/dev/null | grep -qvx not-installed &&
		left="$left (package $p)"
	while read -r f; do
		[ "$f" = /. ] || grep -qxF "$f" "$tmp/existed" || ! unowned "$f" || left="$left $f"
	done <"$tmp/$p.list"
done
find /etc /var/lib/systemd | sort >"$tmp/etc.after"
for f in $(comm -13 "$tmp/etc.before" "$tmp/etc.after"); do
	unowned "$f" && left="$left $f"
done
for f in /var/lib/dkms/ovnet /usr/src/ovnet-* /lib/modules/*/updates/dkms/ovnet.ko \
	/var/lib/varpd /var/lib/overlay; do
	{ [ -e "$f" ] || [ -L "$f" ]; } && left="$left $f"
done
[ -z "$left" ] || fail "left behind after purge:$left"
echo "deb-test: purged; nothing of the three packages is left"
