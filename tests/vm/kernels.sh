#!/usr/bin/env bash
# The kernels the VM suite boots, and where their files are.
#
# Usage: tests/vm/kernels.sh fetch          fetch bookworm-backports' cloud
#                                           kernel into the cache (once)
#        tests/vm/kernels.sh list           one line per kernel: NAME KVER ROOT
#        tests/vm/kernels.sh resolve WHAT   the line of one kernel, WHAT being
#                                           its NAME (6.1, 6.12), its KVER or
#                                           a ROOT directory
#
# Theory: a kernel is a root tree ROOT holding boot/vmlinuz-KVER and
# lib/modules/KVER/ (modules.dep, the modules, and build -> its headers).
# Debian 12's own cloud kernel is installed on the host by `make deps`
# (linux-image-cloud-amd64, linux-headers-cloud-amd64): its ROOT is /. Any
# other kernel is never installed: `fetch` runs apt-get with a private
# configuration (its own sources.list naming only bookworm-backports, its
# own lists, package cache and an empty dpkg status, all under the cache),
# downloads the image, its headers, the common headers and the linux-kbuild
# package that carries the host-compiled scripts, and unpacks them with
# dpkg-deb -x into CACHE/KVER/. The absolute paths Debian's packages carry
# (lib/modules/KVER/build -> /usr/src/..., the headers Makefile including
# /usr/src/linux-headers-*-common/Makefile) are then pointed inside the
# cache, so `make -C ROOT/lib/modules/KVER/build M=...` works. The newest
# ABI available is resolved each time (the metapackage's dependency), never
# a version written here; a kernel already in the cache is not downloaded
# again, and a cache without a network still lists what it holds.
#
# NAME is the kernel's series (6.1, 6.12): the CTest names vm-NAME come from
# it. When several builds of one series are present the newest KVER wins.
#
# CACHE is $OVERLAY_KERNEL_CACHE, default /var/cache/overlay-kernels for
# root and ${XDG_CACHE_HOME:-~/.cache}/overlay-kernels otherwise.
set -euo pipefail

if [ -n "${OVERLAY_KERNEL_CACHE:-}" ]; then
	cache=$OVERLAY_KERNEL_CACHE
elif [ "$(id -u)" = 0 ]; then
	cache=/var/cache/overlay-kernels
else
	cache=${XDG_CACHE_HOME:-$HOME/.cache}/overlay-kernels
fi
# The suites fetched besides the host's own kernel.
suites=${OVERLAY_KERNEL_SUITES:-bookworm-backports}
flavour=cloud-amd64

die() {
	echo "kernels.sh: $*" >&2
	exit 2
}

series_of() { # KVER -> 6.12
	sed -E 's/^([0-9]+\.[0-9]+).*/\1/' <<<"$1"
}

# A root is usable when it has the kernel image, modules.dep and headers.
usable() { # ROOT KVER
	[ -f "$1/boot/vmlinuz-$2" ] && [ -f "$1/lib/modules/$2/modules.dep" ] &&
		[ -f "$1/lib/modules/$2/build/Makefile" ]
}

apt_private() { # SUITE -> sets apt_opts for a private apt in CACHE/apt/SUITE
	local dir=$cache/apt/$1
	mkdir -p "$dir"/etc/{apt.conf.d,preferences.d,sources.list.d,trusted.gpg.d} \
		"$dir"/state/lists/partial "$dir"/cache/archives/partial
	echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian $1 main" \
		>"$dir/etc/sources.list"
	: >"$dir/status"
	apt_opts=(-o "Dir::Etc=$dir/etc" -o "Dir::State=$dir/state"
		-o "Dir::Cache=$dir/cache" -o "Dir::State::status=$dir/status"
		-o Debug::NoLocking=1 -o APT::Sandbox::User=root -q)
}

# The first dependency of PKG named like PATTERN, in the private apt.
dep_of() { # PKG PATTERN
	apt-cache "${apt_opts[@]}" depends "$1" 2>/dev/null |
		sed -n 's/^ *|\{0,1\}Depends: //p' | grep -E "^$2\$" | head -n 1
}

fetch_suite() { # SUITE
	local suite=$1 image kver headers common kbuild root tmp deb
	apt_private "$suite"
	if ! apt-get "${apt_opts[@]}" update >"$cache/apt/$suite.update.log" 2>&1; then
		echo "kernels.sh: apt-get update for $suite failed (see $cache/apt/$suite.update.log); using what the cache holds" >&2
		return 0
	fi
	image=$(dep_of "linux-image-$flavour" "linux-image-[0-9].*-$flavour") ||
		true
	[ -n "$image" ] || die "$suite has no linux-image-$flavour dependency"
	kver=${image#linux-image-}
	root=$cache/$kver
	if usable "$root" "$kver"; then
		echo "kernels.sh: $kver ($suite) is in $root already"
		return 0
	fi
	headers=linux-headers-$kver
	common=$(dep_of "$headers" "linux-headers-.*-common") || true
	kbuild=$(dep_of "$headers" "linux-kbuild-.*") || true
	if [ -z "$common" ] || [ -z "$kbuild" ]; then
		die "cannot resolve $headers's common headers and kbuild in $suite"
	fi
	tmp=$cache/download.$$
	rm -rf "$tmp" "$root.new"
	mkdir -p "$tmp" "$root.new"
	echo "kernels.sh: downloading $image $headers $common $kbuild ($suite)"
	(cd "$tmp" && apt-get "${apt_opts[@]}" download "$image" "$headers" "$common" "$kbuild") ||
		die "apt-get download failed"
	for deb in "$tmp"/*.deb; do
		dpkg-deb -x "$deb" "$root.new" || die "dpkg-deb -x $deb failed"
	done
	rm -rf "$tmp"
	relocate "$root.new" "$kver" "$root"
	rm -rf "$root"
	mv "$root.new" "$root"
	usable "$root" "$kver" || die "$root lacks the image, modules.dep or headers after unpacking"
	echo "kernels.sh: $kver unpacked into $root"
}

# Point the packages' absolute paths at FINAL (where NEW will be renamed).
relocate() { # NEW KVER FINAL
	local new=$1 kver=$2 final=$3 mk
	ln -sfn "$final/usr/src/linux-headers-$kver" "$new/lib/modules/$kver/build"
	if [ -L "$new/lib/modules/$kver/source" ]; then
		ln -sfn "$final/usr/src/linux-headers-$kver" "$new/lib/modules/$kver/source"
	fi
	mk=$new/usr/src/linux-headers-$kver/Makefile
	[ -f "$mk" ] || die "no $mk"
	sed -i "s,^include /usr/src/,include $final/usr/src/," "$mk"
	# The image ships no modules.dep (its postinst runs depmod).
	depmod -b "$new" "$kver" || die "depmod -b $new $kver failed"
}

list() {
	local k kver root
	{
		for k in /boot/vmlinuz-*-"$flavour"; do
			[ -e "$k" ] || continue
			kver=${k#/boot/vmlinuz-}
			usable / "$kver" && echo "$(series_of "$kver") $kver /"
		done
		for root in "$cache"/*/; do
			root=${root%/}
			kver=$(basename "$root")
			[ -f "$root/boot/vmlinuz-$kver" ] || continue
			usable "$root" "$kver" && echo "$(series_of "$kver") $kver $root"
		done
	} | sort -V -k2 | awk '{ newest[$1] = $0 } END { for (s in newest) print newest[s] }' |
		sort -V
}

case "${1:-}" in
fetch)
	mkdir -p "$cache"
	for s in $suites; do fetch_suite "$s"; done
	;;
list) list ;;
resolve)
	what=${2:?resolve needs a kernel name, version or root}
	if [ -d "$what" ]; then
		kver=$(basename "$(ls -d "$what"/boot/vmlinuz-* 2>/dev/null | sort -V | tail -n 1)")
		kver=${kver#vmlinuz-}
		usable "$what" "$kver" || die "$what holds no usable kernel"
		echo "$(series_of "$kver") $kver $(cd "$what" && pwd)"
		exit 0
	fi
	line=$(list | awk -v w="$what" '$1 == w || $2 == w' | tail -n 1)
	[ -n "$line" ] || die "no kernel '$what' (known: $(list | awk '{ print $1 }' | tr '\n' ' ')); run 'make deps'"
	echo "$line"
	;;
*) sed -n '2,/^set -eu/p' "$0" | sed 's/^# \{0,1\}//;$d'; [ "${1:-}" = -h ] || exit 2 ;;
esac
