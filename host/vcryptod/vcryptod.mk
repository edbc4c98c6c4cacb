# host/vcryptod/vcryptod.mk: the vhost-user virtio-crypto backend and its tests
VCD_CORE := host/vcryptod/guest_mem.c host/vcryptod/virtq.c \
	host/vcryptod/session.c host/vcryptod/crypto_req.c \
	host/vcryptod/engine.c host/vcryptod/engine_openssl.c \
	host/vcryptod/engine_afalg.c host/vcryptod/engine_cryptodev.c lib/fdio/fdio.c
VCD_SRCS := $(VCD_CORE) host/vcryptod/worker.c host/vcryptod/vhost_user.c \
	host/vcryptod/sandbox.c host/vcryptod/front.c host/vcryptod/front_record.c \
	host/vcryptod/spawner.c host/vcryptod/main.c

$(eval $(call host_prog,$(B)/vcryptod,$(VCD_SRCS),-lcrypto -lseccomp))
INSTALL_SBIN += $(B)/vcryptod

VM_TESTS     += tests/vm/vcryptod_stock.t tests/vm/vcryptod_engines.t tests/vm/vcryptod_restart.t

# unit tests (cmocka, TAP)
VCD_UNIT := mem virtq session req
$(foreach t,$(VCD_UNIT),$(eval $(call host_prog,$(B)/tests/unit/test_vcd_$(t),tests/unit/test_vcd_$(t).c $(VCD_CORE),-lcmocka -lcrypto)))
UNIT_TESTS   += $(foreach t,$(VCD_UNIT),$(B)/tests/unit/test_vcd_$(t))

# Engine check: on the host (openssl) and statically in guests (afalg, cryptodev).
VCD_ENGINES := host/vcryptod/engine.c host/vcryptod/engine_openssl.c \
	host/vcryptod/engine_afalg.c host/vcryptod/engine_cryptodev.c lib/fdio/fdio.c
$(eval $(call host_prog,$(B)/vcd-engine-check,tests/host/vcd_engine_check.c tests/lib/tap.c host/vcryptod/sandbox.c $(VCD_ENGINES),-lcrypto -lseccomp))
$(eval $(call guest_prog,$(B)/guest-bin/vcd_guest_engines,tests/host/vcd_engine_check.c tests/lib/tap.c host/vcryptod/sandbox.c $(VCD_ENGINES),-lcrypto -lseccomp))
ALL_TARGETS  += $(B)/vcd-engine-check

# libFuzzer targets (clang, ASan + UBSan whatever SANITIZE says)
VCD_FUZZ_LIB := $(VCD_CORE) host/vcryptod/worker.c host/vcryptod/vhost_user.c
$(foreach t,fuzz_vcd_msg fuzz_vcd_req,$(eval $(call fuzz_prog,$(t),tests/fuzz/$(t).c $(VCD_FUZZ_LIB),-lcrypto)))
FUZZ_SMOKE   += tests/fuzz/vcryptod_smoke.t
$(eval $(call host_prog,$(B)/tests/unit/test_vcd_sandbox,tests/unit/test_vcd_sandbox.c host/vcryptod/sandbox.c,-lcmocka -lseccomp))
UNIT_TESTS   += $(B)/tests/unit/test_vcd_sandbox
$(eval $(call host_prog,$(B)/tests/unit/test_vcd_queue,tests/unit/test_vcd_queue.c $(VCD_CORE) host/vcryptod/worker.c host/vcryptod/vhost_user.c,-lcmocka -lcrypto))
UNIT_TESTS   += $(B)/tests/unit/test_vcd_queue
# Requests against a racing guest: virtq.c's chain accessors replaced by a stub.
$(eval $(call host_prog,$(B)/tests/unit/test_vcd_race,tests/unit/test_vcd_race.c $(filter-out host/vcryptod/virtq.c,$(VCD_CORE)),-lcmocka -lcrypto))
UNIT_TESTS   += $(B)/tests/unit/test_vcd_race
# Secrets wiped: free()/realloc() interposed, dead stack scanned (bound at
# start: the lazy-binding trampoline saves vector registers on the stack).
VCD_COMMA := ,
$(eval $(call host_prog,$(B)/tests/unit/test_vcd_wipe,tests/unit/test_vcd_wipe.c $(VCD_CORE) host/vcryptod/worker.c host/vcryptod/vhost_user.c,-lcmocka -lcrypto -ldl -Wl$(VCD_COMMA)-z$(VCD_COMMA)now))
UNIT_TESTS   += $(B)/tests/unit/test_vcd_wipe

# vcryptod's tests, fuzzers and test programs include its private headers by name
$(B)/obj/tests/unit/test_vcd_%.o $(B)/obj/tests/host/vcd_%.o: HOST_CFLAGS += -Ihost/vcryptod
$(B)/obj-static/tests/host/vcd_%.o: GUEST_CFLAGS += -Ihost/vcryptod
$(B)/obj-fuzz/tests/fuzz/fuzz_vcd_%.o: FUZZ_CFLAGS += -Ihost/vcryptod
