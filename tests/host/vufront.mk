# tests/host/vufront.mk: the host integration and hostile-guest tests of
# vcryptod, and vcryptod's benchmarks, on the synthetic vhost-user frontend
# library tests/vufront/ (a QEMU of our own: messages, rings, requests).
VUF_CORE := tests/vufront/vufront.c tests/vufront/vufront_req.c
$(B)/obj/tests/host/vufront_%.o $(B)/obj/tests/host/vcd_restart.o $(B)/obj/bench/vcd_bench.o: \
	HOST_CFLAGS += -Itests/vufront
VUF_TEST := tests/lib/tap.c tests/host/vufront_main.c tests/host/vufront_test.c tests/host/vufront_hostile.c \
	    tests/host/vufront_poll.c

$(eval $(call host_prog,$(B)/tests/host/vufront,$(VUF_TEST) $(VUF_CORE),-lcrypto))

ALL_TARGETS += $(B)/tests/host/vufront

HOST_TESTS += tests/host/vcryptod_services.t tests/host/vcryptod_hostile.t \
	      tests/host/vcryptod_poll.t
BENCHES    += bench/vcryptod_bench.sh

$(eval $(call host_prog,$(B)/bench/vcd_bench,bench/vcd_bench.c $(VUF_CORE),-lcrypto))
ALL_TARGETS += $(B)/bench/vcd_bench

$(eval $(call host_prog,$(B)/bench/vcd_floor,bench/vcd_floor.c,-lpthread))
ALL_TARGETS += $(B)/bench/vcd_floor

# The worker killed and re-executed under load (host/vcryptod/front.c).
$(eval $(call host_prog,$(B)/tests/host/vcd_restart,tests/host/vcd_restart.c $(VUF_CORE),-lcrypto -lpthread))
ALL_TARGETS += $(B)/tests/host/vcd_restart
HOST_TESTS  += tests/host/vcryptod_restart.t
