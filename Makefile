# vcrypto top-level Makefile (non-recursive; each part adds a *.mk fragment).
#
#   make            build everything (host programs, guest programs, guest module)
#   make check      install deps, build, run every test tier; last line "N passed, N failed"
#   make demo       boot a guest and show it encrypting through virtio-crypto
#   make bench      run the benchmarks, write bench/results/*.md
#   make fuzz       run the libFuzzer targets and the guest ioctl fuzzer (FUZZ_SECONDS each)
#   make install    PREFIX=/usr/local DESTDIR=
#   make clean
#
# Options: V=1 (show commands), CI=1 (warnings are errors), SANITIZE=1 (ASan+UBSan
# for host code and host tests), TIERS="unit host vm fuzz" (which tiers make check runs).

.DEFAULT_GOAL := all
SHELL := /bin/bash

# SANITIZE=1 builds into its own directory, so plain and sanitized objects never mix.
ifdef SANITIZE
B        ?= build-sanitize
else
B        ?= build
endif
PREFIX   ?= /usr/local
DESTDIR  ?=
TIERS    ?= unit host fuzz vm
FUZZ_SECONDS ?= 60

CC       ?= gcc
CFLAGS   ?= -O2 -g
WARN     := -Wall -Wextra -Wno-unused-parameter -Wshadow -Wformat=2 -Wvla
ifdef CI
WARN     += -Werror
endif
BASE_CFLAGS := $(CFLAGS) $(WARN) -std=gnu11 -D_GNU_SOURCE -Iinclude -Ilib -MMD -MP \
	-fstack-protector-strong -D_FORTIFY_SOURCE=2 -fno-strict-aliasing -pthread

# Host code (daemons, tools, host tests) may be built with sanitizers.
HOST_CFLAGS := $(BASE_CFLAGS)
HOST_LDFLAGS := -pthread
ifdef SANITIZE
HOST_CFLAGS  += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined -U_FORTIFY_SOURCE
HOST_LDFLAGS += -fsanitize=address,undefined
endif
# Guest user programs are static so the initramfs needs no libc.
GUEST_CFLAGS := $(BASE_CFLAGS)
GUEST_LDFLAGS := -static -pthread
# glibc's notes that static libcrypto references dlopen/getaddrinfo: harmless
# here (guest programs use neither), so they are kept out of the build output.
STATIC_LD_NOISE := in statically linked applications requires at runtime|in function .(dlfcn_globallookup|BIO_lookup_ex|BIO_gethostbyname).

ifeq ($(V),1)
Q :=
else
Q := @
endif
quiet = $(if $(Q),@printf '  %-7s %s\n' '$(1)' '$(2)';)

# Parts append to these.
HOST_PROGS   :=
GUEST_PROGS  :=
UNIT_TESTS   :=
HOST_TESTS   :=
VM_TESTS     :=
VM_DEFAULT_ONLY :=
VM_DEB13_ONLY :=
FUZZ_TARGETS :=
FUZZ_SMOKE   :=
BENCHES      :=
INSTALL_BIN  :=
INSTALL_SBIN :=
INSTALL_GUEST :=
ALL_TARGETS  :=

# Objects go to one tree per flavour, named after how they are built:
# $(B)/obj (host), $(B)/obj-static (guest, static), $(B)/obj-fuzz (clang
# libFuzzer + ASan + UBSan), $(B)/obj-asan (ASan + UBSan whatever SANITIZE says).

# $(call host_prog,OUT,SRCS,LIBS)   a host program built from SRCS
define host_prog
$(1): $(patsubst %.c,$(B)/obj/%.o,$(2))
	$$(call quiet,LD,$$@)
	$(Q)mkdir -p $$(@D) && $$(CC) -o $$@ $$^ $$(HOST_LDFLAGS) $(3)
ALL_OBJS += $(patsubst %.c,$(B)/obj/%.o,$(2))
HOST_PROGS += $(1)
endef

# $(call guest_prog,OUT,SRCS,LIBS)  a static guest program built from SRCS
define guest_prog
$(1): $(patsubst %.c,$(B)/obj-static/%.o,$(2))
	$$(call quiet,LD,$$@)
	$(Q)set -o pipefail; mkdir -p $$(@D) && $$(CC) -o $$@ $$^ $$(GUEST_LDFLAGS) $(3) 2>&1 | \
		{ grep -vE "$$(STATIC_LD_NOISE)" >&2 || true; }
ALL_OBJS += $(patsubst %.c,$(B)/obj-static/%.o,$(2))
GUEST_PROGS += $(1)
endef

# $(call fuzz_prog,NAME,SRCS,LIBS)  a libFuzzer target $(B)/fuzz/NAME (make fuzz; built by make all)
# (-Wno-missing-field-initializers: clang on libseccomp's SCMP_A0() initializers)
FUZZ_CC := clang
FUZZ_CFLAGS = $(filter-out -D_FORTIFY_SOURCE=2,$(BASE_CFLAGS)) -Wno-unused-command-line-argument \
	-Wno-missing-field-initializers \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
define fuzz_prog
$(B)/fuzz/$(1): $(patsubst %.c,$(B)/obj-fuzz/%.o,$(2))
	$$(call quiet,LD,$$@)
	$(Q)mkdir -p $$(@D) && $$(FUZZ_CC) -fsanitize=fuzzer,address,undefined -pthread -o $$@ $$^ $(3)
ALL_OBJS += $(patsubst %.c,$(B)/obj-fuzz/%.o,$(2))
FUZZ_TARGETS += $(B)/fuzz/$(1)
ALL_TARGETS += $(B)/fuzz/$(1)
endef

# $(call asan_prog,OUT,SRCS,LIBS)   a host program with ASan + UBSan in every build,
# for host tests that prove a program clean under hostile input in every make check
ASAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=undefined -U_FORTIFY_SOURCE
define asan_prog
$(1): $(patsubst %.c,$(B)/obj-asan/%.o,$(2))
	$$(call quiet,LD,$$@)
	$(Q)mkdir -p $$(@D) && $$(CC) -o $$@ $$^ $$(HOST_LDFLAGS) $$(ASAN_FLAGS) $(3)
ALL_OBJS += $(patsubst %.c,$(B)/obj-asan/%.o,$(2))
ALL_TARGETS += $(1)
endef

# Everything under tests/ may include the test library (tests/lib: tap.h).
$(B)/obj/tests/%.o: HOST_CFLAGS += -Itests/lib
$(B)/obj-static/tests/%.o: GUEST_CFLAGS += -Itests/lib

$(B)/obj/%.o: %.c
	$(call quiet,CC,$<)
	$(Q)mkdir -p $(@D) && $(CC) $(HOST_CFLAGS) -c -o $@ $<

$(B)/obj-static/%.o: %.c
	$(call quiet,CC,$< [guest])
	$(Q)mkdir -p $(@D) && $(CC) $(GUEST_CFLAGS) -c -o $@ $<

$(B)/obj-fuzz/%.o: %.c
	$(call quiet,CC,$< [fuzz])
	$(Q)mkdir -p $(@D) && $(FUZZ_CC) $(FUZZ_CFLAGS) -c -o $@ $<

$(B)/obj-asan/%.o: %.c
	$(call quiet,CC,$< [asan])
	$(Q)mkdir -p $(@D) && $(CC) $(HOST_CFLAGS) $(ASAN_FLAGS) -c -o $@ $<

include $(sort $(wildcard */*.mk */*/*.mk */*/*/*.mk))

all: $(ALL_TARGETS) $(HOST_PROGS) $(GUEST_PROGS)

deps:
	$(Q)scripts/deps.sh

# make check: deps first (a fresh machine has nothing), then build, then run.
check: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)$(MAKE) --no-print-directory run-tests

# The guest tier runs on two stacks (tests/vm/stack.sh, tests/run.sh's
# TEST@STACK): Debian 12's (QEMU 7.2, guest 6.1) and Debian 13's (QEMU 10.0,
# guest 6.12, fetched by scripts/peers.sh; SKIPped when it is not there).
# VM_DEFAULT_ONLY: tests of the host tooling (accelerator probe, harness,
# launcher, demo, libvirt) that run once; VM_DEB13_ONLY: tests of what only
# the second stack has. VM_STACKS=deb12 runs one stack.
VM_STACKS ?= deb12 deb13
VM_TIER = $(filter $(VM_DEFAULT_ONLY),$(VM_TESTS)) \
	$(foreach s,$(VM_STACKS),$(addsuffix @$(s),$(filter-out $(VM_DEFAULT_ONLY) \
		$(if $(filter deb13,$(s)),,$(VM_DEB13_ONLY)),$(VM_TESTS))))

run-tests: $(UNIT_TESTS) $(HOST_TESTS) $(FUZZ_SMOKE)
	$(Q)VCRYPTO_BUILD=$(abspath $(B)) SANITIZE=$(SANITIZE) tests/run.sh \
		$(if $(filter unit,$(TIERS)),$(UNIT_TESTS)) \
		$(if $(filter host,$(TIERS)),$(HOST_TESTS)) \
		$(if $(filter fuzz,$(TIERS)),$(FUZZ_SMOKE)) \
		$(if $(filter vm,$(TIERS)),$(VM_TIER))

# check-unit builds only the unit tests: no packages installed, no module built.
check-unit:  ; $(Q)$(MAKE) --no-print-directory run-tests TIERS=unit
check-host:  ; $(Q)$(MAKE) --no-print-directory check TIERS=host
check-vm:    ; $(Q)$(MAKE) --no-print-directory check TIERS=vm
check-fuzz:  ; $(Q)$(MAKE) --no-print-directory check TIERS=fuzz

demo: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)scripts/demo.sh

bench: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)scripts/bench.sh $(BENCHES)

fuzz: deps
	$(Q)$(MAKE) --no-print-directory $(FUZZ_TARGETS)
	$(Q)for t in $(FUZZ_TARGETS); do \
		echo "fuzz: $$t for $(FUZZ_SECONDS)s"; \
		mkdir -p $(B)/fuzz/corpus/$$(basename $$t); \
		$$t -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 $(B)/fuzz/corpus/$$(basename $$t) || exit 1; \
	done
	$(Q)$(MAKE) --no-print-directory all
	$(Q)echo "fuzz: tests/vm/cryptodev_fuzz.t (guest ioctl fuzzer) for $(FUZZ_SECONDS)s"; \
		VCRYPTO_BUILD=$(abspath $(B)) VCRYPTO_FUZZ_SECONDS=$(FUZZ_SECONDS) tests/run.sh tests/vm/cryptodev_fuzz.t

VERSION := 0.1.0
BINDIR   = $(PREFIX)/bin
SBINDIR  = $(PREFIX)/sbin
DATADIR  = $(PREFIX)/share/vcrypto
MANDIR   = $(PREFIX)/share/man
UNITDIR ?= $(PREFIX)/lib/systemd/system
# the group QEMU runs as, given the vcryptod@ sockets (libvirt's, where it exists)
QEMU_GROUP ?= $(shell getent group libvirt-qemu >/dev/null 2>&1 && echo libvirt-qemu)
INSTALL_BIN += scripts/vcrypto-vm

# Man pages are made from each program's --help, so they cannot drift from it.
define install_man
	n=$$(basename $(1)); d=$$(awk -F'\t' -v n=$$n '$$1==n {print $$2}' packaging/man-names.txt); \
	help2man -N --no-discard-stderr --version-string=$(VERSION) -s $(2) \
		-n "$${d:-part of vcrypto}" $(1) >$(DESTDIR)$(MANDIR)/man$(2)/$$n.$(2);
endef

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(SBINDIR) $(DESTDIR)$(PREFIX)/include/vcrypto \
		$(DESTDIR)$(PREFIX)/include/crypto $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man8 \
		$(DESTDIR)$(DATADIR)/image $(DESTDIR)$(DATADIR)/guest-bin $(DESTDIR)$(UNITDIR) \
		$(DESTDIR)$(PREFIX)/share/qemu/vhost-user
	install -m 0755 $(INSTALL_BIN) $(DESTDIR)$(BINDIR)/
	$(if $(INSTALL_SBIN),install -m 0755 $(INSTALL_SBIN) $(DESTDIR)$(SBINDIR)/)
	install -m 0644 include/vcrypto/*.h $(DESTDIR)$(PREFIX)/include/vcrypto/
	install -m 0644 include/crypto/cryptodev.h $(DESTDIR)$(PREFIX)/include/crypto/
	$(foreach p,$(INSTALL_BIN),$(call install_man,$(p),1))
	$(foreach p,$(INSTALL_SBIN),$(call install_man,$(p),8))
	install -m 0755 guest/image/mkinitramfs.sh guest/image/scanlog.sh $(DESTDIR)$(DATADIR)/image/
	install -m 0755 scripts/kver.sh scripts/accel.sh $(DESTDIR)$(DATADIR)/
	install -m 0644 guest/image/init $(DESTDIR)$(DATADIR)/image/
	$(if $(INSTALL_GUEST),install -m 0755 $(INSTALL_GUEST) $(DESTDIR)$(DATADIR)/guest-bin/)
	$(if $(wildcard $(B)/kmod/virtio_cryptodev.ko),install -m 0644 $(B)/kmod/virtio_cryptodev.ko $(DESTDIR)$(DATADIR)/)
	install -d $(DESTDIR)$(PREFIX)/src/virtio_cryptodev-$(VERSION)/include/crypto
	install -m 0644 include/crypto/cryptodev.h $(DESTDIR)$(PREFIX)/src/virtio_cryptodev-$(VERSION)/include/crypto/
	install -m 0644 $(wildcard guest/module/Kbuild guest/module/*.c guest/module/*.h) \
		$(DESTDIR)$(PREFIX)/src/virtio_cryptodev-$(VERSION)/
	sed 's/@VERSION@/$(VERSION)/' packaging/dkms.conf >$(DESTDIR)$(PREFIX)/src/virtio_cryptodev-$(VERSION)/dkms.conf
	sed 's|@SBINDIR@|$(SBINDIR)|' packaging/vcryptod@.service >$(DESTDIR)$(UNITDIR)/vcryptod@.service
	$(if $(QEMU_GROUP),install -d $(DESTDIR)$(UNITDIR)/vcryptod@.service.d && \
		printf '[Service]\nGroup=%s\n' '$(QEMU_GROUP)' >$(DESTDIR)$(UNITDIR)/vcryptod@.service.d/qemu-group.conf)
	sed 's|@SBINDIR@|$(SBINDIR)|' packaging/50-vcryptod.json >$(DESTDIR)$(PREFIX)/share/qemu/vhost-user/50-vcryptod.json

clean:
	rm -rf $(B) build build-sanitize
	$(if $(CLEAN_EXTRA),$(CLEAN_EXTRA))

.PHONY: all deps check run-tests check-unit check-host check-vm check-fuzz demo bench fuzz install clean

-include $(ALL_OBJS:.o=.d)
