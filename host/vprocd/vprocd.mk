# vprocd: the vmmcall channel server (host/vprocd/README.md)
VPD_CORE := host/vprocd/log.c host/vprocd/conn.c host/vprocd/proc.c \
	host/vprocd/policy.c host/vprocd/elf_check.c host/vprocd/sandbox.c \
	lib/vsig/vsig.c lib/ratelimit/ratelimit.c lib/fdio/fdio.c
VPD_SRCS := host/vprocd/main.c $(VPD_CORE)
$(eval $(call host_prog,$(B)/vprocd,$(VPD_SRCS),-lcrypto -lseccomp))
INSTALL_SBIN += $(B)/vprocd

# make VPROCD_PUBKEY=pub.pem builds that key in (as the original design
# embeds its key). The generated header changes only when the key does.
VPD_KEY_H := $(B)/gen/vprocd_builtin_key.h
ifneq ($(VPROCD_PUBKEY),)
$(B)/obj/host/vprocd/main.o: HOST_CFLAGS += -DVPD_BUILTIN_KEY='"$(abspath $(VPD_KEY_H))"'
$(B)/obj/host/vprocd/main.o: $(VPD_KEY_H)
endif
$(VPD_KEY_H): FORCE_VPD_KEY
	$(Q)mkdir -p $(@D); tmp=$@.tmp; \
	if [ -n "$(VPROCD_PUBKEY)" ]; then \
		grep -q 'BEGIN PUBLIC KEY' "$(VPROCD_PUBKEY)" || { echo "VPROCD_PUBKEY: $(VPROCD_PUBKEY) is not a PEM public key" >&2; exit 1; }; \
		{ echo 'static const char vpd_builtin_key[] ='; sed 's/.*/"&\\n"/' "$(VPROCD_PUBKEY)"; echo ';'; } >$$tmp; \
	else echo '/* no built-in key */' >$$tmp; fi; \
	cmp -s $$tmp $@ && rm -f $$tmp || mv $$tmp $@
.PHONY: FORCE_VPD_KEY

# tests (tests/host/vproc_lib.sh is shared by them)
HOST_TESTS += tests/host/vproc_basic.t tests/host/vproc_sandbox.t tests/host/vproc_vsign.t \
	tests/host/vproc_harden.t
# a launcher that makes unshare() fail (vproc_harden.t: weak isolation)
$(eval $(call host_prog,$(B)/tests/host/vproc_nons,tests/host/vproc_nons.c,-lseccomp))
ALL_TARGETS += $(B)/tests/host/vproc_nons
VM_TESTS   += tests/vm/vproc_guest.t

# unit tests (cmocka, TAP)
VPD_UNIT := frame sig elf
$(foreach t,$(VPD_UNIT),$(eval $(call host_prog,$(B)/tests/unit/test_vproc_$(t),tests/unit/test_vproc_$(t).c $(VPD_CORE),-lcmocka -lcrypto -lseccomp)))
UNIT_TESTS += $(foreach t,$(VPD_UNIT),$(B)/tests/unit/test_vproc_$(t))
# loading spawns a sandboxed process: a host test (cmocka, TAP)
$(eval $(call host_prog,$(B)/tests/host/vproc_load,tests/host/vproc_load.c $(VPD_CORE),-lcmocka -lcrypto -lseccomp))
HOST_TESTS += $(B)/tests/host/vproc_load

# fuzz targets (libFuzzer) and their smoke run in make check
VPD_FUZZ := frame sig elf
$(foreach t,$(VPD_FUZZ),$(eval $(call fuzz_prog,fuzz_vproc_$(t),tests/fuzz/fuzz_vproc_$(t).c $(VPD_CORE),-lcrypto -lseccomp)))
FUZZ_SMOKE   += tests/fuzz/vproc_smoke.t

# benchmark (make bench): bench/vproc_bench.sh with its reference program
$(eval $(call host_prog,$(B)/bench/vproc_ref,bench/vproc_ref.c,))
BENCHES    += bench/vproc_bench.sh

# vprocd's tests and fuzzers include its private header by name
$(B)/obj/tests/unit/test_vproc_%.o $(B)/obj/tests/host/vproc_%.o: HOST_CFLAGS += -Ihost/vprocd
$(B)/obj-fuzz/tests/fuzz/fuzz_vproc_%.o: FUZZ_CFLAGS += -Ihost/vprocd
