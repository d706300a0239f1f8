# overlay: top-level build.
#
#   make            userland (CMake -> build/) and, once it exists, overlay.ko
#   make check      every test suite (CTest: unit, expect, fuzz, man lint, VM)
#   make demo       build and run the main demonstration
#   make bench      every benchmark in bench/ (figures in build/bench/*.json)
#   make install    PREFIX=/usr/local DESTDIR= honoured (see PREFIX below)
#   make deps       install every build and test dependency with apt-get
#
# `check`, `demo` and `bench` call `deps` first; it only runs apt-get when a
# package is missing, so a fresh Debian 12 machine needs nothing else.

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

# Debian's cloud kernel is what the VM boots; the module builds against its
# headers. The newest installed one is used, never a hard-coded version.
KVER ?= $(shell ls -d /usr/src/linux-headers-*-cloud-amd64 2>/dev/null | \
	sed 's,.*/linux-headers-,,' | sort -V | tail -n 1)
KDIR ?= /lib/modules/$(KVER)/build

DEPS := build-essential cmake pkg-config git clang libclang-rt-14-dev libcurl4-openssl-dev \
	clang-format libboost-dev libsqlite3-dev sqlite3 capnproto \
	libcapnp-dev libpcap-dev expect tcl libgtest-dev libgmock-dev \
	googletest libbenchmark-dev nlohmann-json3-dev mandoc tshark \
	qemu-system-x86 linux-image-cloud-amd64 linux-headers-cloud-amd64 \
	busybox-static iproute2 iperf3 cpio kmod etcd-server etcd-client jq

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: all userland fuzz module check demo bench install install-userland \
	deps clean vm-check

all: userland module

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

# The module is built once kernel-module/Kbuild exists.
module:
	@if [ -f kernel-module/Kbuild ]; then \
		if [ -z "$(KVER)" ]; then \
			echo "make: no linux-headers-*-cloud-amd64 installed; run 'make deps'" >&2; \
			exit 1; \
		fi; \
		$(MAKE) -C $(KDIR) M=$(CURDIR)/kernel-module modules; \
	fi

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

install: install-userland
	@if [ -f kernel-module/Kbuild ]; then \
		$(MAKE) -C $(KDIR) M=$(CURDIR)/kernel-module \
			INSTALL_MOD_PATH=$(DESTDIR) modules_install; \
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

clean:
	rm -rf $(BUILD)
	@if [ -f kernel-module/Kbuild ] && [ -n "$(KVER)" ]; then \
		$(MAKE) -C $(KDIR) M=$(CURDIR)/kernel-module clean; \
	fi
