# tests/vm/cryptodev/cryptodev.mk: guest programs that exercise /dev/crypto
# (virtio_cryptodev.ko), the VM tests and the benchmark.
CDEV_UTIL := tests/vm/cryptodev/cdev_util.c tests/lib/tap.c
$(eval $(call guest_prog,$(B)/guest-bin/cdev_test,tests/vm/cryptodev/cdev_test.c $(CDEV_UTIL),))
# CIOCAUTHCRYPT (TLS, SRTP, GCM); expected outputs from OpenSSL (static libcrypto)
$(eval $(call guest_prog,$(B)/guest-bin/cdev_aead,tests/vm/cryptodev/cdev_aead.c $(CDEV_UTIL),-lcrypto))

VM_TESTS += tests/vm/cryptodev_builtin.t tests/vm/cryptodev_vcryptod.t tests/vm/cryptodev_fuzz.t
# cryptodev-linux's own test programs against its own header (SKIP without its source)
VM_TESTS += tests/vm/cryptodev_upstream.t
# cryptodev-linux semantics, expected results from OpenSSL in the program
$(eval $(call guest_prog,$(B)/guest-bin/cdev_compat,tests/vm/cryptodev/cdev_compat.c $(CDEV_UTIL),-lcrypto))
$(eval $(call guest_prog,$(B)/guest-bin/cdev_bench,tests/vm/cryptodev/cdev_bench.c $(CDEV_UTIL),))
BENCHES += bench/cryptodev_bench.sh

# The same test as a 32-bit program, for compat_ioctl (needs gcc-multilib;
# without it the VM test reports a SKIP).
ifneq ($(wildcard /usr/lib32/libc.a),)
CDEV_TEST32 := $(B)/guest-bin/cdev_test32
$(CDEV_TEST32): tests/vm/cryptodev/cdev_test.c $(CDEV_UTIL) tests/vm/cryptodev/cdev_util.h include/crypto/cryptodev.h
	$(call quiet,CC32,$@)
	$(Q)mkdir -p $(@D) && $(CC) -m32 $(filter-out -MMD -MP,$(GUEST_CFLAGS)) -Itests/lib -o $@ \
		tests/vm/cryptodev/cdev_test.c $(CDEV_UTIL) $(GUEST_LDFLAGS)
ALL_TARGETS += $(CDEV_TEST32)
# cdev_aead without OpenSSL (no 32-bit libcrypto): "errors" and "emit"; the
# 64-bit cdev_aead verifies what emit printed against OpenSSL.
CDEV_AEAD32 := $(B)/guest-bin/cdev_aead32
$(CDEV_AEAD32): tests/vm/cryptodev/cdev_aead.c $(CDEV_UTIL) tests/vm/cryptodev/cdev_util.h include/crypto/cryptodev.h
	$(call quiet,CC32,$@)
	$(Q)mkdir -p $(@D) && $(CC) -m32 -DCDEV_AEAD_NO_OPENSSL $(filter-out -MMD -MP,$(GUEST_CFLAGS)) -Itests/lib \
		-o $@ tests/vm/cryptodev/cdev_aead.c $(CDEV_UTIL) $(GUEST_LDFLAGS)
ALL_TARGETS += $(CDEV_AEAD32)
# cdev_compat for compat_ioctl; no 32-bit libcrypto: AF_ALG references
CDEV_COMPAT32 := $(B)/guest-bin/cdev_compat32
$(CDEV_COMPAT32): tests/vm/cryptodev/cdev_compat.c $(CDEV_UTIL) tests/vm/cryptodev/cdev_util.h include/crypto/cryptodev.h
	$(call quiet,CC32,$@)
	$(Q)mkdir -p $(@D) && $(CC) -m32 -DCDEV_NO_OPENSSL $(filter-out -MMD -MP,$(GUEST_CFLAGS)) -Itests/lib \
		-o $@ tests/vm/cryptodev/cdev_compat.c $(CDEV_UTIL) $(GUEST_LDFLAGS)
ALL_TARGETS += $(CDEV_COMPAT32)
endif

# The cryptodev-linux ABI as literal facts, checked against our header on
# x86-64 (with the compat structs) and, with gcc-multilib, as i386.
$(B)/tests/unit/test_cdev_abi: tests/unit/test_cdev_abi.c include/crypto/cryptodev.h
	$(call quiet,CC,$@)
	$(Q)mkdir -p $(@D) && $(CC) $(filter-out -MMD -MP,$(BASE_CFLAGS)) -Itests/lib -o $@ $<
UNIT_TESTS += $(B)/tests/unit/test_cdev_abi
ifneq ($(wildcard /usr/lib32/libc.a),)
$(B)/tests/unit/test_cdev_abi32: tests/unit/test_cdev_abi.c include/crypto/cryptodev.h
	$(call quiet,CC32,$@)
	$(Q)mkdir -p $(@D) && $(CC) -m32 $(filter-out -MMD -MP,$(BASE_CFLAGS)) -Itests/lib -o $@ $<
UNIT_TESTS += $(B)/tests/unit/test_cdev_abi32
endif

# Async interface (CIOCASYNCCRYPT/FETCH, poll); expected results by OpenSSL.
$(eval $(call guest_prog,$(B)/guest-bin/cdev_async,tests/vm/cryptodev/cdev_async.c $(CDEV_UTIL),-lcrypto))
# Its 32-bit build (compat_ioctl): no 32-bit libcrypto here, so the
# reference is the guest kernel's software through AF_ALG.
ifneq ($(wildcard /usr/lib32/libc.a),)
CDEV_ASYNC32 := $(B)/guest-bin/cdev_async32
$(CDEV_ASYNC32): tests/vm/cryptodev/cdev_async.c $(CDEV_UTIL) tests/vm/cryptodev/cdev_util.h include/crypto/cryptodev.h
	$(call quiet,CC32,$@)
	$(Q)mkdir -p $(@D) && $(CC) -m32 -DCDEV_REF_AFALG $(filter-out -MMD -MP,$(GUEST_CFLAGS)) -Itests/lib -o $@ \
		tests/vm/cryptodev/cdev_async.c $(CDEV_UTIL) $(GUEST_LDFLAGS)
ALL_TARGETS += $(CDEV_ASYNC32)
endif
# Seeded random-ioctl fuzzer (guest side); a fixed-count run in
# cryptodev_vcryptod.t, minutes of it in tests/vm/cryptodev_fuzz.t (make fuzz).
$(eval $(call guest_prog,$(B)/guest-bin/cdev_fuzz,tests/vm/cryptodev/cdev_fuzz.c,))
ifneq ($(wildcard /usr/lib32/libc.a),)
# the fuzzer as a 32-bit program: compat_ioctl
CDEV_FUZZ32 := $(B)/guest-bin/cdev_fuzz32
$(CDEV_FUZZ32): tests/vm/cryptodev/cdev_fuzz.c include/crypto/cryptodev.h
	$(call quiet,CC32,$@)
	$(Q)mkdir -p $(@D) && $(CC) -m32 $(filter-out -MMD -MP,$(GUEST_CFLAGS)) -Itests/lib -o $@ $< $(GUEST_LDFLAGS)
ALL_TARGETS += $(CDEV_FUZZ32)
endif
