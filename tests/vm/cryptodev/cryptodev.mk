# tests/vm/cryptodev/cryptodev.mk: guest programs that exercise /dev/crypto
# (virtio_cryptodev.ko), the VM tests and the benchmark.
CDEV_UTIL := tests/vm/cryptodev/cdev_util.c
$(eval $(call guest_prog,$(B)/guest-bin/cdev_test,tests/vm/cryptodev/cdev_test.c $(CDEV_UTIL),))

VM_TESTS += tests/vm/cryptodev_builtin.t tests/vm/cryptodev_vcryptod.t
