# The guest VM harness and the foundation's guest tests (stock driver, QEMU builtin backend).
$(eval $(call guest_prog,$(B)/guest-bin/afalg_test,tests/vm/afalg_test.c tests/lib/tap.c,))
VM_TESTS   += tests/vm/accel.t tests/vm/harness_selftest.t
VM_TESTS   += tests/vm/stock_builtin.t tests/vm/launcher.t tests/vm/demo.t tests/vm/libvirt.t
# The second peer stack (scripts/peers.sh: QEMU 10.0, guest 6.12); SKIPs when not fetched.
VM_TESTS   += tests/vm/stack2_vcryptod.t
# Run once, not per stack (Makefile: VM_TIER): they test the host's tooling,
# which uses the system's QEMU (accel.t fakes its own), not a guest stack.
VM_DEFAULT_ONLY += tests/vm/accel.t tests/vm/harness_selftest.t tests/vm/launcher.t tests/vm/demo.t tests/vm/libvirt.t
# Only on Debian 13's stack: it tests what differs there.
VM_DEB13_ONLY   += tests/vm/stack2_vcryptod.t
