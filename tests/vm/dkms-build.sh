#!/usr/bin/env bash
# dkms-build.sh KERNEL BUILD VERSION: build ovnet.ko VERSION (CTest passes
# the project() version of CMakeLists.txt) through DKMS for one test kernel
# (a name, release or root as tests/vm/kernels.sh resolves it) against that
# kernel's headers tree, as `dkms build -k KVER` does on a user's host, and
# leave the result as BUILD/dkms/KVER/ovnet.ko for that kernel's VM run
# (CTest: dkms-NAME sets up what vm-NAME boots).
#
# Nothing reaches the host's DKMS: the source tree (the module staged by
# kernel-module/stage-source.sh as ovnet-VERSION, the layout of
# /usr/src/ovnet-VERSION), the dkms tree and the signing key all live under
# BUILD/dkms/KVER (--sourcetree, --dkmstree; sign_file, mok_signing_key and
# mok_certificate in the environment, which dkms uses when
# /etc/dkms/framework.conf does not set them, as Debian's does not; the
# build log must name our key, so no key is made in /var/lib/dkms). The
# module is signed with that throwaway key, as DKMS signs with its MOK key.
#
# Passes when dkms add and build succeed, the make log has no warning, the
# module's vermagic names KVER, it carries the module's aliases, and it is
# signed. Exit 0 pass, 1 fail, 2 could not run.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src=$(cd "$here/../.." && pwd)
die() { echo "dkms-build.sh: $*" >&2; exit "${2:-1}"; }

usage="usage: dkms-build.sh KERNEL BUILD VERSION"
kernel=${1:?$usage}
build=$(cd "${2:?$usage}" && pwd)
version=${3:?$usage}
command -v dkms >/dev/null || die "dkms is not installed (make deps)" 2
line=$("$here/kernels.sh" resolve "$kernel") || exit 2
read -r name kver root <<<"$line"
kdir=${root%/}/lib/modules/$kver/build

d=$build/dkms/$kver
rm -rf "$d"
mkdir -p "$d/tree" "$d/source" "$d/keys"
"$src/kernel-module/stage-source.sh" "$d/source/ovnet-$version" "$version"
export sign_file=$kdir/scripts/sign-file
export mok_signing_key=$d/keys/mok.key mok_certificate=$d/keys/mok.pub
trees=(--dkmstree "$d/tree" --sourcetree "$d/source")

t0=$(date +%s)
dkms add -m ovnet -v "$version" "${trees[@]}" >"$d/add.log" 2>&1 ||
	{ cat "$d/add.log"; die "dkms add failed"; }
dkms build -m ovnet -v "$version" -k "$kver" --kernelsourcedir "$kdir" \
	"${trees[@]}" >"$d/build.log" 2>&1 ||
	{ cat "$d/build.log"; cat "$d"/tree/ovnet/"$version"/build/make.log 2>/dev/null; die "dkms build failed"; }
echo "dkms-build.sh: dkms build -k $kver ($name) took $(($(date +%s) - t0))s"

make_log=$(ls "$d"/tree/ovnet/"$version"/"$kver"/*/log/make.log 2>/dev/null | head -n 1)
[ -n "$make_log" ] || die "no make.log in the dkms tree"
if grep -i warning "$make_log"; then
	die "the DKMS build of ovnet.ko for $kver printed warnings"
fi
ko=$(ls "$d"/tree/ovnet/"$version"/"$kver"/*/module/ovnet.ko* 2>/dev/null | head -n 1)
[ -n "$ko" ] || { cat "$d/build.log"; die "dkms built no ovnet.ko for $kver"; }
case "$ko" in
*.ko) cp "$ko" "$d/ovnet.ko" ;;
*.ko.xz) xz -dc "$ko" >"$d/ovnet.ko" ;;
*.ko.gz) gzip -dc "$ko" >"$d/ovnet.ko" ;;
*.ko.zst) zstd -qdc "$ko" >"$d/ovnet.ko" ;;
*) die "unknown module file $ko" ;;
esac
vermagic=$(modinfo -F vermagic "$d/ovnet.ko")
[ "${vermagic%% *}" = "$kver" ] || die "vermagic '$vermagic' is not for $kver"
for a in rtnl-link-overlay devname:overlay char-major-10-248; do
	modinfo -F alias "$d/ovnet.ko" | grep -qx "$a" || die "the DKMS-built module lacks alias $a"
done
grep -qF "Signing key: $mok_signing_key" "$d/build.log" ||
	die "dkms did not take the private signing key (does /etc/dkms/framework.conf set mok_signing_key?)"
grep -q "Signing module" "$d/build.log" && [ -n "$(modinfo -F signer "$d/ovnet.ko")" ] ||
	{ cat "$d/build.log"; die "dkms did not sign the module with the private key"; }
echo "dkms-build.sh: $d/ovnet.ko: vermagic $vermagic, signer $(modinfo -F signer "$d/ovnet.ko")"
echo "dkms-build.sh: PASS ($name, $kver)"
