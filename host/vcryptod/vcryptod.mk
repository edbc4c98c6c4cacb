# host/vcryptod/vcryptod.mk: the vhost-user virtio-crypto backend and its tests
VCD_CORE := host/vcryptod/guest_mem.c host/vcryptod/virtq.c \
	host/vcryptod/session.c host/vcryptod/crypto_req.c \
	host/vcryptod/engine.c host/vcryptod/engine_openssl.c \
	host/vcryptod/engine_afalg.c host/vcryptod/engine_cryptodev.c
VCD_SRCS := $(VCD_CORE) host/vcryptod/queue.c host/vcryptod/vhost_user.c \
	host/vcryptod/sandbox.c host/vcryptod/main.c

$(eval $(call host_prog,$(B)/vcryptod,$(VCD_SRCS),-lcrypto -lseccomp))
HOST_PROGS   += $(B)/vcryptod
INSTALL_SBIN += $(B)/vcryptod

VM_TESTS     += tests/vm/vcryptod_stock.t tests/vm/vcryptod_engines.t

# unit tests (cmocka, TAP)
VCD_UNIT := mem virtq session req
$(foreach t,$(VCD_UNIT),$(eval $(call host_prog,$(B)/tests/unit/test_vcd_$(t),tests/unit/test_vcd_$(t).c $(VCD_CORE),-lcmocka -lcrypto)))
UNIT_TESTS   += $(foreach t,$(VCD_UNIT),$(B)/tests/unit/test_vcd_$(t))

# Engine check: on the host (openssl) and statically in guests (afalg, cryptodev).
VCD_ENGINES := host/vcryptod/engine.c host/vcryptod/engine_openssl.c \
	host/vcryptod/engine_afalg.c host/vcryptod/engine_cryptodev.c
$(eval $(call host_prog,$(B)/vcd-engine-check,host/vcryptod/engine_check.c host/vcryptod/sandbox.c $(VCD_ENGINES),-lcrypto -lseccomp))
$(eval $(call guest_prog,$(B)/guest-bin/vcd_guest_engines,host/vcryptod/engine_check.c host/vcryptod/sandbox.c $(VCD_ENGINES),-lcrypto -lseccomp))
ALL_TARGETS  += $(B)/vcd-engine-check

# libFuzzer targets (clang), built with ASan+UBSan whatever SANITIZE says.
VCD_FUZZ_CC := clang
VCD_FUZZ_CFLAGS := $(filter-out -D_FORTIFY_SOURCE=2,$(BASE_CFLAGS)) -Wno-unused-command-line-argument \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
VCD_FUZZ_LIB := $(VCD_CORE) host/vcryptod/queue.c host/vcryptod/vhost_user.c
$(B)/vcd-fuzz/%.o: %.c
	$(call quiet,CC,$< [fuzz])
	$(Q)mkdir -p $(@D) && $(VCD_FUZZ_CC) $(VCD_FUZZ_CFLAGS) -c -o $@ $<
define vcd_fuzz
$(B)/fuzz/$(1): $(patsubst %.c,$(B)/vcd-fuzz/%.o,tests/fuzz/$(1).c $(VCD_FUZZ_LIB))
	$$(call quiet,LD,$$@)
	$(Q)mkdir -p $$(@D) && $(VCD_FUZZ_CC) -fsanitize=fuzzer,address,undefined -pthread -o $$@ $$^ -lcrypto
ALL_OBJS += $(patsubst %.c,$(B)/vcd-fuzz/%.o,tests/fuzz/$(1).c $(VCD_FUZZ_LIB))
endef
$(foreach t,fuzz_vcd_msg fuzz_vcd_req,$(eval $(call vcd_fuzz,$(t))))
FUZZ_TARGETS += $(B)/fuzz/fuzz_vcd_msg $(B)/fuzz/fuzz_vcd_req
FUZZ_SMOKE   += tests/fuzz/vcryptod_smoke.t
ALL_TARGETS  += $(B)/fuzz/fuzz_vcd_msg $(B)/fuzz/fuzz_vcd_req
$(eval $(call host_prog,$(B)/tests/unit/test_vcd_sandbox,tests/unit/test_vcd_sandbox.c host/vcryptod/sandbox.c,-lcmocka -lseccomp))
UNIT_TESTS   += $(B)/tests/unit/test_vcd_sandbox
$(eval $(call host_prog,$(B)/tests/unit/test_vcd_queue,tests/unit/test_vcd_queue.c $(VCD_CORE) host/vcryptod/queue.c host/vcryptod/vhost_user.c,-lcmocka -lcrypto))
UNIT_TESTS   += $(B)/tests/unit/test_vcd_queue
# Requests against a racing guest: virtq.c's chain accessors replaced by a stub.
$(eval $(call host_prog,$(B)/tests/unit/test_vcd_race,tests/unit/test_vcd_race.c $(filter-out host/vcryptod/virtq.c,$(VCD_CORE)),-lcmocka -lcrypto))
UNIT_TESTS   += $(B)/tests/unit/test_vcd_race
# Secrets wiped: free()/realloc() interposed, dead stack scanned (bound at
# start: the lazy-binding trampoline saves vector registers on the stack).
VCD_COMMA := ,
$(eval $(call host_prog,$(B)/tests/unit/test_vcd_wipe,tests/unit/test_vcd_wipe.c $(VCD_CORE) host/vcryptod/queue.c host/vcryptod/vhost_user.c,-lcmocka -lcrypto -ldl -Wl$(VCD_COMMA)-z$(VCD_COMMA)now))
UNIT_TESTS   += $(B)/tests/unit/test_vcd_wipe
