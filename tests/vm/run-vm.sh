#!/usr/bin/env bash
# Boot a Debian cloud kernel under qemu (TCG) with an initramfs holding the
# kernel module, our programs and the VM test scripts; judge the run from
# outside.
#
# Usage: tests/vm/run-vm.sh [--kernel K] [--build DIR] [--work DIR]
#                           [--tests-dir DIR] [--timeout SECS] [--keep]
#                           [--verbose] [GLOB...]
#        tests/vm/run-vm.sh --judge-self-test [--build DIR]
#
#   --kernel K       the kernel to boot: a name (6.1, 6.12), a release
#                    (uname -r) or a root directory, as tests/vm/kernels.sh
#                    resolves it (default: OVERLAY_VM_KERNEL, else the
#                    newest cloud kernel installed on this host); its
#                    modules come from that kernel's lib/modules tree
#   --build DIR      the CMake build tree (default: build); its bin/ and
#                    lib/varpd/ are packed, and BUILD/kmod/KVER/ovnet.ko
#   --work DIR       where the initramfs, console.log and results go
#                    (default: DIR/vm)
#   --tests-dir DIR  take the [0-9][0-9]-*.sh scripts from DIR instead of
#                    tests/vm (repeatable; lib.sh always comes from tests/vm).
#                    OVERLAY_VM_EXTRA_TESTS (colon-separated dirs) adds more.
#   --timeout SECS   wall-clock limit for qemu (default 1500, or
#                    OVERLAY_VM_TIMEOUT); ovtesttimeout per script is 300
#   --keep           keep the initramfs staging tree (WORK/root)
#   --verbose        copy the console to stdout while the VM runs
#   --env NAME=VALUE set NAME in the scripts' environment (kernel command
#                    line; no spaces or dots in NAME, no spaces in VALUE)
#   GLOB             only scripts whose name matches (e.g. '0*' '01-*')
#   OVERLAY_VM_MODULE  the ovnet.ko to pack (default BUILD/kmod/KVER/ovnet.ko,
#                    which `make kmods` builds; e.g. a DKMS-built one)
#   OVERLAY_VM_MODULES more kernel modules (by name) to pack, with their deps
#   OVERLAY_VM_KERNEL  the default of --kernel
#   OVERLAY_VM_CPU     qemu's -cpu (default max,cx16=off)
#
# Theory: one run = stage a root tree, cpio it, boot once, read two serial
# ports. The first (console.log) carries the kernel log and test output; the
# second (results.log) carries init's VMTEST lines, files tests left in
# $OVERLAY_RESULTS, the full dmesg and, only if no test failed, the token this
# script generated for this run. The run passes only when the token came back,
# every packed script reported, none failed, and neither the console nor the
# dmesg holds a kernel WARNING/BUG/Oops/GPF/Call Trace/KASAN/kmemleak line.
# On failure the console (and the dmesg) is printed. Exit: 0 pass, 1 the run
# failed the judgement, 2 the harness could not run (no kernel, no qemu, bad
# arguments).
#
# --judge-self-test proves the judgement: it boots five times, with scripts
# that pass and skip (judged a pass), that fail, that make the kernel log a
# WARNING but exit 0, that hang past their own timeout, and that power the VM
# off before the token is written; it passes only if each of the last four
# runs is judged a failure for that reason.
#
# Not supported: KVM (it hangs on this machine), a persistent disk, network
# access from the guest.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src=$(cd "$here/../.." && pwd)
build=build
work=""
keep=0
verbose=0
judge=0
timeout_s=${OVERLAY_VM_TIMEOUT:-1500}
kernel_want=${OVERLAY_VM_KERNEL:-}
# No CMPXCHG16B: qemu 7.2's TCG corrupts EFLAGS (sets TF) on the
# %gs-relative cmpxchg16b that 6.12's SLUB fast path uses, and 6.12 then
# dies in a debug trap or a double fault during boot. Kernels fall back to
# a lock without it. OVERLAY_VM_CPU overrides the model.
qemu_cpu=${OVERLAY_VM_CPU:-max,cx16=off}
test_timeout=300
tests_dirs=()
globs=()
envs=()

die() {
	echo "run-vm.sh: $*" >&2
	exit 2
}

while [ $# -gt 0 ]; do
	case "$1" in
	--kernel) kernel_want=${2:?--kernel needs a kernel}; shift 2 ;;
	--build) build=${2:?--build needs a directory}; shift 2 ;;
	--work) work=${2:?--work needs a directory}; shift 2 ;;
	--tests-dir) tests_dirs+=("${2:?--tests-dir needs a directory}"); shift 2 ;;
	--timeout) timeout_s=${2:?--timeout needs seconds}; shift 2 ;;
	--keep) keep=1; shift ;;
	--verbose) verbose=1; shift ;;
	--env)
		[[ "${2:-}" =~ ^[A-Za-z_][A-Za-z0-9_]*=[^[:space:]]*$ ]] ||
			die "--env takes NAME=VALUE without spaces, not '${2:-}'"
		envs+=("$2"); shift 2 ;;
	--judge-self-test) judge=1; shift ;;
	-h | --help) sed -n '2,/^set -uo/p' "$0" | sed 's/^# \{0,1\}//;$d'; exit 0 ;;
	-*) die "unknown option '$1' (see --help)" ;;
	*) globs+=("$1"); shift ;;
	esac
done
[[ "$timeout_s" =~ ^[0-9]+$ ]] || die "--timeout '$timeout_s' is not a number of seconds"
build=$(mkdir -p "$build" && cd "$build" && pwd) || die "cannot use build dir '$build'"
[ -n "$work" ] || work=$build/vm
# The staging below runs in other directories: a relative --work must not
# follow it there (make demo passes build/vm-demo).
work=$(mkdir -p "$work" && cd "$work" && pwd) || die "cannot use work dir '$work'"

# ---------------------------------------------------------------- self-test
if [ $judge -eq 1 ]; then
	jt=$build/vm-judge
	rm -rf "$jt"
	mkdir -p "$jt/pass" "$jt/fail" "$jt/warn" "$jt/notoken" "$jt/hang"
	cat >"$jt/pass/00-pass.sh" <<'EOF'
echo "<6>an ordinary kernel message" >/dev/kmsg
exit 0
EOF
	cat >"$jt/pass/01-skip.sh" <<'EOF'
exit 77
EOF
	cat >"$jt/fail/00-pass.sh" <<'EOF'
echo "a passing script next to the failing one"
exit 0
EOF
	cat >"$jt/fail/01-fails.sh" <<'EOF'
echo "this script fails on purpose"
exit 3
EOF
	cat >"$jt/warn/00-warns.sh" <<'EOF'
echo "<4>WARNING: CPU: 0 PID: 1 at judge-self-test (deliberate)" >/dev/kmsg
exit 0
EOF
	cat >"$jt/hang/00-hangs.sh" <<'EOF'
# vm-timeout: 3
echo "hanging until init's per-test timeout kills this script"
sleep 600
EOF
	cat >"$jt/notoken/00-poweroff.sh" <<'EOF'
echo "powering off before init can report"
poweroff -f
sleep 30
EOF
	status=0
	check() { # name, expected exit, expected line (extended regex)
		local name=$1 want_rc=$2 want=$3 out rc
		out=$("$0" ${kernel_want:+--kernel "$kernel_want"} --build "$build" --work "$jt/$name/run" --tests-dir "$jt/$name" \
			--timeout 300 2>&1)
		rc=$?
		if [ $rc -eq "$want_rc" ] && grep -Eq "$want" <<<"$out"; then
			echo "vm-judge: '$name' run judged as it must be ($(grep -Eo "$want" <<<"$out" | head -n 1))"
		else
			echo "vm-judge: '$name' run: exit $rc, expected $want_rc with /$want/; its output:"
			sed 's/^/    /' <<<"$out"
			status=1
		fi
	}
	check pass 0 'VERDICT: PASS \(2 scripts'
	check fail 1 'VERDICT: FAIL .*test 01-fails failed'
	check warn 1 'VERDICT: FAIL .*kernel log \(during 00-warns\): .*WARNING: CPU: 0 PID: 1 at judge-self-test'
	check hang 1 'VERDICT: FAIL .*test 00-hangs failed'
	check notoken 1 'VERDICT: FAIL .*no success token'
	[ $status -eq 0 ] && echo "vm-judge: PASS" || echo "vm-judge: FAIL"
	exit $status
fi

# ---------------------------------------------------------------- kernel
if [ -n "$kernel_want" ]; then
	kline=$("$here/kernels.sh" resolve "$kernel_want") || exit 2
else
	kline=$("$here/kernels.sh" list | awk '$3 == "/"' | tail -n 1)
	[ -n "$kline" ] || die "no cloud kernel with headers installed (make deps installs linux-image-cloud-amd64 and linux-headers-cloud-amd64)"
fi
read -r kname kver kroot <<<"$kline"
kroot=${kroot%/}
kernel=$kroot/boot/vmlinuz-$kver
[ -r "$kernel" ] || die "$kernel is not readable by this user: run as root, or make it readable"
kmods=$kroot/lib/modules/$kver
[ -f "$kmods/modules.dep" ] || die "no $kmods/modules.dep for kernel $kver"
qemu=$(command -v qemu-system-x86_64) || die "qemu-system-x86_64 not found (make deps)"
for tool in busybox cpio depmod ip iperf3 kmod ldd; do
	command -v "$tool" >/dev/null || die "'$tool' not found (make deps)"
done

# ---------------------------------------------------------------- staging
root=$work/root
rm -rf "$root"
mkdir -p "$work" "$root"/{bin,dev,etc,proc,sys,run,tmp,root,lib64} \
	"$root"/usr/{bin,sbin} "$root"/overlay/{bin,lib/varpd,tests,src} ||
	die "cannot create $root"

# The tree is merged-/usr like Debian's, so ldd's paths work unchanged.
ln -s bin "$root/sbin"
mkdir -p "$root/usr/lib"
ln -s usr/lib "$root/lib"

elfs=()
copy_bin() { # copy_bin SRC DEST_DIR [NAME]
	local dest=$2/${3:-$(basename "$1")}
	cp -L "$1" "$dest" || die "cannot copy $1"
	chmod +x "$dest"
	elfs+=("$1")
}

# busybox first; the real tools below replace its applets of the same name.
copy_bin "$(command -v busybox)" "$root/bin"
for applet in $(busybox --list); do
	[ -e "$root/bin/$applet" ] || ln -s busybox "$root/bin/$applet"
done
for tool in ip bridge tc ss; do
	p=$(command -v "$tool") && { rm -f "$root/bin/$tool"; copy_bin "$p" "$root/bin"; }
done
copy_bin "$(command -v iperf3)" "$root/bin"
# sqlite3: the outside writer of the sqlite backend's database (52-, 53-);
# optional, those scripts skip without it.
p=$(command -v sqlite3) && copy_bin "$p" "$root/bin"
# /bin/sh is dash, as on Debian: Debian's static busybox ash runs its own
# applets before anything on PATH, which would shadow iproute2's ip.
dash=$(command -v dash) || die "dash not found"
copy_bin "$dash" "$root/bin"
ln -sf dash "$root/bin/sh"
copy_bin "$(command -v kmod)" "$root/bin"
for k in modprobe insmod rmmod lsmod depmod modinfo; do
	ln -sf kmod "$root/bin/$k"
done

# expect and Tcl's library, for tests/expect/*.vm.exp (run by 03-expect.sh).
if exp=$(command -v expect); then
	copy_bin "$exp" "$root/bin"
	tcllib=$(echo 'puts [info library]' | tclsh 2>/dev/null) || tcllib=""
	if [ -n "$tcllib" ] && [ -d "$tcllib" ]; then
		mkdir -p "$root$tcllib" && cp -r "$tcllib/." "$root$tcllib/"
	fi
fi

# Our programs and plugins.
if [ -d "$build/bin" ]; then
	for f in "$build"/bin/*; do
		[ -f "$f" ] && [ -x "$f" ] && copy_bin "$f" "$root/overlay/bin"
	done
fi
for f in "$build"/lib/varpd/*.so; do
	[ -f "$f" ] || continue
	cp -L "$f" "$root/overlay/lib/varpd/" && elfs+=("$f")
done
# Sources tests may read (expect scripts and their library, man pages).
for d in tests/expect man; do
	[ -d "$src/$d" ] && mkdir -p "$root/overlay/src/$d" &&
		cp -r "$src/$d/." "$root/overlay/src/$d/"
done

# Shared libraries of everything packed, at the paths ldd resolved them to.
for e in "${elfs[@]}"; do
	ldd "$e" 2>/dev/null | awk '/=>/ { print $3 } /^[ \t]*\// { print $1 }' |
		while read -r lib; do
			[ -f "$lib" ] || continue
			case "$lib" in
			/lib/* | /lib64/*) dest=$root/usr$lib ;;
			/usr/*) dest=$root$lib ;;
			# Our own libraries (build tree, found through RUNPATH) go to
			# /overlay/lib, which init puts on LD_LIBRARY_PATH.
			*) dest=$root/overlay/lib/$(basename "$lib") ;;
			esac
			[ -e "$dest" ] && continue
			mkdir -p "$(dirname "$dest")" && cp -L "$lib" "$dest"
		done
done
# glibc dlopens libgcc_s for pthread_cancel/exit (Tcl's notifier thread needs
# it at exit); ldd does not list it.
gcc_s=/lib/x86_64-linux-gnu/libgcc_s.so.1
[ -f "$gcc_s" ] && cp -L "$gcc_s" "$root/usr$gcc_s"
# Debug info is of no use in the VM and triples the initramfs (and its
# unpacking time); symbols stay for backtraces.
find "$root/overlay" -type f \( -perm -u+x -o -name '*.so*' \) \
	-exec strip --strip-debug {} + 2>/dev/null
# ld.so is looked up as /lib64/ld-linux-x86-64.so.2.
[ -e "$root/usr/lib64/ld-linux-x86-64.so.2" ] &&
	ln -sf ../usr/lib64/ld-linux-x86-64.so.2 "$root/lib64/ld-linux-x86-64.so.2"

# Kernel modules: the ones the tests need, plus what they (and ovnet.ko)
# depend on, from modules.dep.
# overlay is overlayfs: ovnet.ko must load and work beside it (15-overlayfs).
want_mods="veth vxlan ip_gre ip6_gre gre udp_tunnel ip6_udp_tunnel ip6_tunnel
	tunnel6 ip_tunnel dummy overlay ${OVERLAY_VM_MODULES:-}"
overlay_ko=${OVERLAY_VM_MODULE:-$build/kmod/$kver/ovnet.ko}
if [ -f "$overlay_ko" ]; then
	deps=$(modinfo -F depends "$overlay_ko" 2>/dev/null | tr ',' ' ')
	want_mods="$want_mods $deps"
fi
declare -A seen=()
add_mod() { # add_mod NAME: the module file and its modules.dep closure
	local name=${1//-/_} line path d
	[ -n "${seen[$name]:-}" ] && return
	seen[$name]=1
	line=$(grep -E "/${name}\.ko(\.[a-z]+)?:" "$kmods/modules.dep" | head -n 1)
	if [ -z "$line" ]; then
		grep -Eq "/${name}\.ko" "$kmods/modules.builtin" ||
			die "kernel module '$name' is neither in $kmods/modules.dep nor built in"
		return
	fi
	path=${line%%:*}
	mkdir -p "$root/usr/lib/modules/$kver/$(dirname "$path")"
	cp "$kmods/$path" "$root/usr/lib/modules/$kver/$path"
	for d in ${line#*:}; do
		d=$(basename "$d")
		add_mod "${d%%.ko*}"
	done
}
for m in $want_mods; do add_mod "$m"; done
for f in modules.builtin modules.builtin.modinfo modules.order; do
	[ -f "$kmods/$f" ] && cp "$kmods/$f" "$root/usr/lib/modules/$kver/"
done
if [ -f "$overlay_ko" ]; then
	mkdir -p "$root/usr/lib/modules/$kver/extra"
	cp "$overlay_ko" "$root/usr/lib/modules/$kver/extra/ovnet.ko"
	strip --strip-debug "$root/usr/lib/modules/$kver/extra/ovnet.ko"
	echo "run-vm.sh: packing $overlay_ko"
	if [ -z "${OVERLAY_VM_MODULE:-}" ]; then
		newer=$(find "$src/kernel-module" -maxdepth 2 \( -name '*.[ch]' -o -name Kbuild \) \
			-newer "$overlay_ko" -print -quit)
		[ -z "$newer" ] || echo "run-vm.sh: warning: $newer is newer than $overlay_ko; 'make kmods' rebuilds it"
	fi
else
	echo "run-vm.sh: $overlay_ko not built (make kmods); module tests will SKIP"
fi
depmod -b "$root/usr" "$kver" 2>&1 | grep -v 'modules.builtin.bin' >&2
[ -f "$root/usr/lib/modules/$kver/modules.dep.bin" ] || die "depmod failed on the staged modules"

# Test scripts.
[ ${#tests_dirs[@]} -gt 0 ] || tests_dirs=("$here")
if [ -n "${OVERLAY_VM_EXTRA_TESTS:-}" ]; then
	IFS=: read -r -a extra <<<"$OVERLAY_VM_EXTRA_TESTS"
	tests_dirs+=("${extra[@]}")
fi
cp "$here/lib.sh" "$root/overlay/tests/lib.sh"
packed=()
for d in "${tests_dirs[@]}"; do
	[ -d "$d" ] || die "tests dir '$d' does not exist"
	for t in "$d"/[0-9][0-9]-*.sh; do
		[ -f "$t" ] || continue
		name=$(basename "$t")
		if [ ${#globs[@]} -gt 0 ]; then
			match=0
			for g in "${globs[@]}"; do
				# shellcheck disable=SC2053
				[[ $name == $g || ${name%.sh} == $g ]] && match=1
			done
			[ $match -eq 1 ] || continue
		fi
		[ -e "$root/overlay/tests/$name" ] && die "two test scripts named $name"
		cp "$t" "$root/overlay/tests/$name"
		packed+=("${name%.sh}")
	done
done
[ ${#packed[@]} -gt 0 ] || die "no test script matched (dirs: ${tests_dirs[*]}; globs: ${globs[*]:-all})"

cp "$here/init" "$root/init" && chmod +x "$root/init"
# The kernel opens /dev/console for init before devtmpfs is mounted; without
# root the node cannot be made and init reopens it itself.
mknod -m 600 "$root/dev/console" c 5 1 2>/dev/null
cat >"$root/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
EOF
printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
printf '127.0.0.1 localhost\n::1 localhost\n' >"$root/etc/hosts"

initrd=$work/initramfs.cpio
(cd "$root" && find . -print0 | LC_ALL=C sort -z |
	cpio --null -o -H newc --quiet >"$initrd") || die "cpio failed"
[ $keep -eq 1 ] || rm -rf "$root"
echo "run-vm.sh: kernel $kver ($kname, ${kroot:-/}), initramfs $(du -h "$initrd" | cut -f1), tests: ${packed[*]}"

# ---------------------------------------------------------------- boot
token=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
console=$work/console.log
results=$work/results.log
rm -f "$console" "$results"
rm -rf "$work/results"
: >"$console"
: >"$results"

tail_pid=""
if [ $verbose -eq 1 ]; then
	tail -n +1 -f "$console" &
	tail_pid=$!
fi
t0=$(date +%s.%N)
timeout -k 10 "$timeout_s" "$qemu" \
	-accel tcg -cpu "$qemu_cpu" -smp 2 -m 1G \
	-nodefaults -display none -no-reboot -monitor none \
	-kernel "$kernel" -initrd "$initrd" \
	-append "console=ttyS0 loglevel=5 panic=-1 irqaffinity=0 ovtoken=$token ovtesttimeout=$test_timeout ${envs[*]}" \
	-serial "file:$console" -serial "file:$results" \
	</dev/null >"$work/qemu.log" 2>&1
qrc=$?
t1=$(date +%s.%N)
[ -n "$tail_pid" ] && kill "$tail_pid" 2>/dev/null
wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')

# ---------------------------------------------------------------- judgement
tr -d '\r' <"$results" >"$results.tmp" && mv "$results.tmp" "$results"
tr -d '\r' <"$console" >"$console.tmp" && mv "$console.tmp" "$console"
# Split the files init sent (VMFILE name ... VMFILEEND) into work/results/.
mkdir -p "$work/results"
awk -v dir="$work/results" '
	/^VMFILE / { name = $2; out = dir "/" name; printf "" > out; next }
	/^VMFILEEND$/ { if (out != "") close(out); out = ""; next }
	out != "" { print >> out }
' "$results"

reasons=()
if [ $qrc -eq 124 ] || [ $qrc -eq 137 ]; then
	reasons+=("qemu did not finish within ${timeout_s}s (wall-clock timeout)")
elif [ $qrc -ne 0 ]; then
	reasons+=("qemu exited with status $qrc: $(head -c 500 "$work/qemu.log")")
fi
grep -q "^VMTOKEN $token\$" "$results" || reasons+=("no success token on the second serial port")
grep -q '^VMDONE$' "$results" || reasons+=("init did not finish its report")
for name in "${packed[@]}"; do
	line=$(grep -E "^VMTEST $name (PASS|FAIL|SKIP) " "$results" | head -n 1)
	[ -n "$line" ] || line=$(grep -E "^VMTEST $name (PASS|FAIL|SKIP) " "$console" | head -n 1)
	case "$line" in
	"VMTEST $name FAIL"*) reasons+=("test $name failed") ;;
	"") reasons+=("test $name did not report") ;;
	esac
done
kernel_bad='WARNING:|BUG:|kernel BUG at|Oops|general protection|Call Trace|KASAN|UBSAN|kmemleak|Kernel panic'
bad=$( { cat "$console"; [ -f "$work/results/dmesg" ] && cat "$work/results/dmesg"; } |
	grep -E "$kernel_bad" | grep -v '^VMTEST ' | head -n 5)
if [ -n "$bad" ]; then
	# init marks each test's start in the kernel log ("vmtest: start NAME").
	during=""
	if [ -f "$work/results/dmesg" ]; then
		during=$(awk -v re="$kernel_bad" '
			/vmtest: start / { t = $NF }
			$0 ~ re { print (t == "" ? "boot" : t); exit }' "$work/results/dmesg")
	fi
	reasons+=("kernel log${during:+ (during $during)}: $(head -n 1 <<<"$bad")")
fi

boot=$(sed -n 's/^VMBOOT \([0-9.]*s\).*/\1/p' "$console" | head -n 1)
echo "run-vm.sh: kernel $kname: VM wall-clock ${wall}s, guest reached init after ${boot:-?}"
grep -E '^VMTEST ' "$console" | sed 's/^/  /'

if [ ${#reasons[@]} -eq 0 ]; then
	echo "VERDICT: PASS (${#packed[@]} scripts; console $console)"
	exit 0
fi

echo "===== console ($console) ====="
cat "$console"
if [ -s "$work/results/dmesg" ]; then
	echo "===== kernel log (dmesg from the VM) ====="
	cat "$work/results/dmesg"
fi
[ -n "$bad" ] && { echo "===== offending kernel lines ====="; echo "$bad"; }
for r in "${reasons[@]}"; do
	echo "VERDICT: FAIL -- $r"
done
exit 1
