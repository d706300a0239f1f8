# overlay: top-level build.
#
#   make            userland (CMake -> build/), ovnet.ko for the running
#                   kernel when its headers are installed, and ovnet.ko for
#                   each kernel the VM suite boots (make kmods)
#   make check      every test suite (CTest: unit, expect, fuzz, man lint,
#                   DKMS builds and the VM suite on each test kernel)
#   make demo       build and run the main demonstration
#   make bench      every benchmark in bench/ (figures in build/bench/*.json)
#   make install    PREFIX=/usr/local DESTDIR= honoured (see PREFIX below)
#   make deb        Debian packages in build/deb (debhelper), lintian-clean
#   make deps       install every build and test dependency with apt-get, and
#                   fetch the VM suite's second kernel into a cache
#
# `check`, `demo` and `bench` call `deps` first; it only runs apt-get when a
# package is missing, so a fresh Debian 12 machine needs nothing else.
#
# The kernel module (ovnet.ko; build notes in README.md):
#   make module     for KVER (default: the running kernel, uname -r), with
#                   the headers in KDIR (default /lib/modules/KVER/build),
#                   into build/kmod/KVER/ovnet.ko. Without those headers it
#                   stops with one message naming linux-headers-KVER; plain
#                   `make` then only says it skipped the module.
#   make kmods      for every kernel tests/vm/kernels.sh lists (Debian 12's
#                   cloud kernel installed on this host, bookworm-backports'
#                   in KERNEL_CACHE), into build/kmod/KVER/ovnet.ko
#   make dkms-source  the module's DKMS source tree (dkms.conf included)
#                   into DESTDIR/usr/src/ovnet-VERSION, as ovnet-dkms ships it
# VERSION is CMakeLists.txt's project() version, the one place it is kept.
# KERNEL_CACHE (default /var/cache/overlay-kernels as root, else
# ~/.cache/overlay-kernels) holds kernels fetched without installing them.

# PREFIX given on the command line or in the environment is honoured by
# `make install` even when the build tree was configured with another one:
# the tree is reconfigured first, so every path compiled or written into an
# installed file (varpd's plugin directory, the units, varpd-plugin.pc)
# follows it. Not given, `make install` keeps the configured prefix.
INSTALL_PREFIX := $(if $(filter undefined file,$(origin PREFIX)),,$(PREFIX))
PREFIX ?= /usr/local
DESTDIR ?=
BUILD ?= build
BUILD_TYPE ?= RelWithDebInfo
JOBS ?= $(shell nproc)
CTEST_ARGS ?=

# The fuzz targets need clang's libFuzzer; they build in a tree of their own
# so the main tree keeps GCC (whose libstdc++ ranges clang 14 cannot parse).
FUZZ_BUILD := $(BUILD)/fuzz

# The module is built for the running kernel unless KVER= or KDIR= says
# otherwise; the VM suite names its kernels itself (make kmods).
KVER ?= $(shell uname -r)
KDIR ?= /lib/modules/$(KVER)/build
KMOD_BUILD = $(BUILD)/kmod
KERNELS := tests/vm/kernels.sh
ifeq ($(shell id -u),0)
KERNEL_CACHE ?= /var/cache/overlay-kernels
else
KERNEL_CACHE ?= $(HOME)/.cache/overlay-kernels
endif
export OVERLAY_KERNEL_CACHE := $(KERNEL_CACHE)
VERSION := $(shell sed -n 's/^project.overlay VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt)

DEPS := build-essential cmake pkg-config git clang libclang-rt-14-dev libcurl4-openssl-dev \
	clang-format libboost-dev libsqlite3-dev sqlite3 capnproto \
	libcapnp-dev libpcap-dev expect tcl libgtest-dev libgmock-dev \
	googletest libbenchmark-dev nlohmann-json3-dev mandoc tshark \
	qemu-system-x86 linux-image-cloud-amd64 linux-headers-cloud-amd64 \
	pahole dkms busybox-static iproute2 iperf3 cpio kmod etcd-server etcd-client jq \
	debhelper dh-dkms lintian
# make deb builds in a copy of the tree there (see deb: below).
DEB_DIR := $(BUILD)/deb

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: all userland fuzz module module-if-headers kmods dkms-source check \
	demo bench install install-userland deb deps clean vm-check

all: userland module-if-headers kmods

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) \
		-DCMAKE_INSTALL_PREFIX=$(PREFIX) \
		-DCMAKE_EXPORT_COMPILE_COMMANDS=ON \
		-DOVERLAY_FUZZ_DIR=$(abspath $(FUZZ_BUILD))

userland: $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

$(FUZZ_BUILD)/CMakeCache.txt:
	CC=clang CXX=clang++ cmake -S . -B $(FUZZ_BUILD) \
		-DCMAKE_BUILD_TYPE=RelWithDebInfo -DOVERLAY_FUZZ=ON

fuzz: $(FUZZ_BUILD)/CMakeCache.txt
	cmake --build $(FUZZ_BUILD) -j $(JOBS)

# build_kmod KVER KDIR: ovnet.ko for one kernel, from a staged copy of the
# source in build/kmod/KVER/src (so kernels never share objects), into
# build/kmod/KVER/ovnet.ko. Kbuild's -Werror fails on a compiler warning;
# modpost's warnings fail the build here.
define build_kmod
	@kernel-module/stage-source.sh $(KMOD_BUILD)/$(1)/src $(VERSION)
	@echo "make: ovnet.ko for $(1) ($(2))"
	@$(MAKE) -C $(2) M=$(abspath $(KMOD_BUILD)/$(1)/src) modules \
		>$(KMOD_BUILD)/$(1)/build.log 2>&1 || \
		{ cat $(KMOD_BUILD)/$(1)/build.log >&2; exit 1; }
	@if grep -i 'warning' $(KMOD_BUILD)/$(1)/build.log >&2; then \
		echo "make: ovnet.ko for $(1) built with warnings" >&2; exit 1; fi
	@cp $(KMOD_BUILD)/$(1)/src/ovnet.ko $(KMOD_BUILD)/$(1)/ovnet.ko
endef

no_headers = no headers for kernel $(KVER) in $(KDIR): install \
	linux-headers-$(KVER) (apt-get install linux-headers-$(KVER)), or name \
	another kernel with KVER= or KDIR=

module:
	@[ -f $(KDIR)/Makefile ] || { echo "make module: $(no_headers)" >&2; exit 1; }
	$(call build_kmod,$(KVER),$(KDIR))

# What `make` does: the running kernel's module when it can be built.
module-if-headers:
	@if [ -f $(KDIR)/Makefile ]; then $(MAKE) --no-print-directory module; \
	else echo "make: skipping ovnet.ko for the running kernel: $(no_headers)"; fi

kmods:
	@$(KERNELS) list | while read -r name kver root; do \
		$(MAKE) --no-print-directory module KVER=$$kver \
			KDIR=$${root%/}/lib/modules/$$kver/build || exit 1; \
	done

check: deps all fuzz
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) $(CTEST_ARGS)

vm-check: deps all
	cd $(BUILD) && ctest --output-on-failure -L vm $(CTEST_ARGS)

demo: deps all
	./tests/demo/demo.sh $(BUILD)

bench: deps all
	cmake --build $(BUILD) --target bench

# make bench-snoop, bench-sqlite, ...: one benchmark (a CMake target each).
bench-%: deps all
	cmake --build $(BUILD) --target bench-$*

dkms-source:
	kernel-module/stage-source.sh $(DESTDIR)/usr/src/ovnet-$(VERSION) $(VERSION)

install: install-userland
	@if [ -f $(KMOD_BUILD)/$(KVER)/ovnet.ko ]; then \
		$(MAKE) -C $(KDIR) M=$(abspath $(KMOD_BUILD)/$(KVER)/src) \
			INSTALL_MOD_PATH=$(DESTDIR) modules_install; \
	else \
		echo "make install: no ovnet.ko built for $(KVER) (make module), not installed"; \
	fi

# The userland alone (make install without the module; the prefix test).
install-userland: $(BUILD)/CMakeCache.txt
	@configured=$$(sed -n 's/^CMAKE_INSTALL_PREFIX:PATH=//p' $(BUILD)/CMakeCache.txt); \
	if [ -n "$(INSTALL_PREFIX)" ] && [ "$$configured" != "$(INSTALL_PREFIX)" ]; then \
		echo "make install: reconfiguring $(BUILD) from $$configured to PREFIX=$(INSTALL_PREFIX)"; \
		cmake -DCMAKE_INSTALL_PREFIX=$(INSTALL_PREFIX) $(BUILD) >/dev/null || exit 1; \
	fi
	cmake --build $(BUILD) -j $(JOBS)
	DESTDIR=$(DESTDIR) cmake --install $(BUILD)

# Debian packages (debian/): ovnet-dkms, overlay, libvarpd-plugin-dev, built
# with dpkg-buildpackage in a copy of the tree under $(DEB_DIR)/src, so the
# .debs, .changes and .buildinfo land in $(DEB_DIR) rather than beside the
# source tree; then lintian, which must print no error and no warning.
deb:
	rm -rf $(DEB_DIR)
	mkdir -p $(DEB_DIR)/src
	git ls-files -z --cached --others --exclude-standard | \
		tar --null -T - -cf - | tar -C $(DEB_DIR)/src -xf -
	{ echo "overlay ($(VERSION)) unstable; urgency=medium"; echo; \
	  echo "  * Built from $$(git describe --always --dirty 2>/dev/null || echo 'a source tree')."; \
	  echo; \
	  echo " -- $$(sed -n 's/^Maintainer: //p' debian/control)  $$(date -R -u -d @$$(git log -1 --format=%ct 2>/dev/null || date +%s))"; \
	} > $(DEB_DIR)/src/debian/changelog
	cd $(DEB_DIR)/src && dpkg-buildpackage -us -uc -j$(JOBS)
	lintian --fail-on error,warning $(DEB_DIR)/overlay_$(VERSION)_*.changes
	@echo "make deb: $$(cd $(DEB_DIR) && ls *.deb | tr '\n' ' ')in $(DEB_DIR)"

deps:
	@missing=""; \
	for p in $(DEPS); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | \
			grep -q '^install ok installed$$' || missing="$$missing $$p"; \
	done; \
	if [ -z "$$missing" ]; then \
		echo "make deps: every build and test dependency is installed"; \
	else \
		echo "make deps: installing$$missing"; \
		$(SUDO) apt-get update -q && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q \
			--no-install-recommends $$missing; \
	fi
	@# The VM suite's other kernels, unpacked into KERNEL_CACHE (never
	@# installed on this host); downloaded only when not there yet.
	$(KERNELS) fetch

clean:
	rm -rf $(BUILD)
	@# Objects of an in-tree build made before build/kmod existed.
	rm -f kernel-module/*.o kernel-module/core/*.o kernel-module/*.ko \
		kernel-module/*.mod kernel-module/*.mod.c kernel-module/.*.cmd \
		kernel-module/core/.*.cmd kernel-module/modules.order \
		kernel-module/Module.symvers
