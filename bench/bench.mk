# bench/bench.mk: benchmarks that live only in bench/ (make bench; not part of make check)
BENCHES += bench/provider_bench.sh

# provider_ab: vcrypto against the default provider and raw /dev/crypto in
# one guest process (bench/provider_bench.sh's second table). Dynamic, like
# vcp_test: it loads vcrypto.so, which runs on the guest's copy of Debian's
# libcrypto (vmrun.sh -x brings the libraries along); no sanitizers.
$(B)/bench/provider_ab: $(B)/obj-pic/bench/provider_ab.o
	$(call quiet,LD,$@)
	$(Q)mkdir -p $(@D) && $(CC) -o $@ $^ -lcrypto

ALL_OBJS    += $(B)/obj-pic/bench/provider_ab.o
ALL_TARGETS += $(B)/bench/provider_ab
