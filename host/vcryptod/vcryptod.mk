# host/vcryptod/vcryptod.mk: the vhost-user virtio-crypto backend and its tests
VCD_CORE := host/vcryptod/guest_mem.c host/vcryptod/virtq.c \
	host/vcryptod/session.c host/vcryptod/crypto_req.c \
	host/vcryptod/engine.c host/vcryptod/engine_openssl.c \
	host/vcryptod/engine_afalg.c host/vcryptod/engine_cryptodev.c
VCD_SRCS := $(VCD_CORE) host/vcryptod/queue.c host/vcryptod/vhost_user.c \
	host/vcryptod/main.c

$(eval $(call host_prog,$(B)/vcryptod,$(VCD_SRCS),-lcrypto))
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
$(eval $(call host_prog,$(B)/vcd-engine-check,host/vcryptod/engine_check.c $(VCD_ENGINES),-lcrypto))
$(eval $(call guest_prog,$(B)/guest-bin/vcd_guest_engines,host/vcryptod/engine_check.c $(VCD_ENGINES),-lcrypto))
ALL_TARGETS  += $(B)/vcd-engine-check
