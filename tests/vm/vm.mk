# The guest VM harness and the foundation's guest tests (stock driver, QEMU builtin backend).
$(eval $(call guest_prog,$(B)/guest-bin/afalg_test,tests/vm/afalg_test.c,))
VM_TESTS   += tests/vm/accel.t tests/vm/harness_selftest.t
VM_TESTS   += tests/vm/stock_builtin.t tests/vm/launcher.t tests/vm/demo.t
