# vcd_akprobe.ko: a test-only virtio-crypto driver that sends one RSA
# session request and one RSA encryption (tests/vm/stack2_vcryptod.t), built
# for the second peer stack's guest kernel (6.12) when scripts/peers.sh has
# fetched it.
AKPROBE_PEERS_ENV := $(shell scripts/peers.sh --offline --env 2>/dev/null)
ifneq ($(AKPROBE_PEERS_ENV),)
include $(AKPROBE_PEERS_ENV)
AKPROBE_KO := $(B)/akprobe-$(VCRYPTO_PEER_KSERIES)/vcd_akprobe.ko
AKPROBE_FILES := tests/vm/akprobe/vcd_akprobe.c tests/vm/akprobe/Kbuild
$(AKPROBE_KO): $(AKPROBE_FILES) $(AKPROBE_PEERS_ENV)
	$(call quiet,KBUILD,$@ [$(VCRYPTO_PEER_KVER)])
	$(Q)mkdir -p $(@D) && cp -p $(AKPROBE_FILES) $(@D)/ && \
	$(MAKE) --no-print-directory -s -C "$(VCRYPTO_PEER_HEADERS)" M=$(abspath $(@D)) \
		$(if $(CI),VCDEV_WERROR=1) CONFIG_DEBUG_INFO_BTF_MODULES= modules
ALL_TARGETS += $(AKPROBE_KO)
endif
