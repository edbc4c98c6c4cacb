# tools/vchat/vchat.mk: encrypted multi-client chat (server, client) and its tests.
VCHAT_CORE := tools/vchat/crypto.c tools/vchat/crypto_openssl.c \
	tools/vchat/crypto_devcrypto.c tools/vchat/proto.c tools/vchat/replay.c \
	tools/vchat/net.c
VCHAT_SRCS := tools/vchat/main.c tools/vchat/server.c tools/vchat/client.c \
	tools/vchat/passphrase.c lib/ratelimit/ratelimit.c $(VCHAT_CORE)

$(eval $(call host_prog,$(B)/vchat,$(VCHAT_SRCS),-lcrypto))
INSTALL_BIN += $(B)/vchat
INSTALL_GUEST += $(B)/guest-bin/vchat

# Test helper: a hostile peer speaking the frame format without the key.
$(eval $(call host_prog,$(B)/tests/host/vchat_raw,tests/host/vchat_raw.c,))

# An ASan+UBSan build of vchat, so the host tests prove the server clean under
# hostile input in every `make check`, not only with SANITIZE=1.
$(eval $(call asan_prog,$(B)/asan/vchat,$(VCHAT_SRCS),-lcrypto))

HOST_TESTS += tests/host/vchat_chat.t
HOST_TESTS += tests/host/vchat_hostile.t
HOST_TESTS += tests/host/vchat_replay.t
HOST_TESTS += tests/host/vchat_tty.t

# The same program, static, for the guest initramfs (libcrypto.a linked in).
$(eval $(call guest_prog,$(B)/guest-bin/vchat,$(VCHAT_SRCS),-lcrypto))
# No NSS in the initramfs: the guest build takes numeric addresses only.
$(B)/obj-static/tools/vchat/net.o: GUEST_CFLAGS += -DVCHAT_NO_RESOLVER
VM_TESTS += tests/vm/vchat_guest.t

# Benchmark programs (make bench): load generator, per-message crypto cost.
$(eval $(call host_prog,$(B)/bench/vchat_load,bench/vchat_load.c $(VCHAT_CORE),-lcrypto))
$(eval $(call host_prog,$(B)/bench/vchat_cost,bench/vchat_cost.c $(VCHAT_CORE),-lcrypto))
$(eval $(call guest_prog,$(B)/guest-bin/vchat_cost,bench/vchat_cost.c $(VCHAT_CORE),-lcrypto))
BENCHES += bench/vchat_bench.sh

# Protocol-level TAP test (frames, seal/open, bit flips, padding, replay table).
$(eval $(call host_prog,$(B)/tests/host/vchat_proto,tests/host/vchat_proto.c tests/lib/tap.c $(VCHAT_CORE),-lcrypto))
HOST_TESTS += $(B)/tests/host/vchat_proto

# The prompt reader alone, for tests/host/vchat_tty.t (what it leaves in memory).
$(eval $(call host_prog,$(B)/tests/host/vchat_pass,tests/host/vchat_pass.c tools/vchat/passphrase.c $(VCHAT_CORE),-lcrypto))

# tests and benchmarks include vchat's headers by name
$(B)/obj/tests/host/vchat_%.o $(B)/obj/bench/vchat_%.o: HOST_CFLAGS += -Itools/vchat
$(B)/obj-static/bench/vchat_%.o: GUEST_CFLAGS += -Itools/vchat
