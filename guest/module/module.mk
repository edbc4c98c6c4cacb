# guest/module/module.mk: builds virtio_cryptodev.ko through Kbuild against
# the installed Debian guest kernel headers (scripts/kver.sh --headers).
# The sources are copied to $(B)/kmod so the tree stays clean.
VCDEV_KO := $(B)/kmod/virtio_cryptodev.ko
VCDEV_FILES := $(wildcard guest/module/*.c guest/module/*.h) guest/module/Kbuild
# No BTF for our module: it needs pahole (dwarves) and the kernel's vmlinux
# (6.1's headers have none: "Skipping BTF generation"), and only BPF tools use it.
VCDEV_NO_BTF := CONFIG_DEBUG_INFO_BTF_MODULES=

$(VCDEV_KO): $(VCDEV_FILES) include/crypto/cryptodev.h
	$(call quiet,KBUILD,$@)
	$(Q)kdir=$$(scripts/kver.sh --headers) || exit 1; \
	mkdir -p $(B)/kmod && cp -p $(VCDEV_FILES) $(B)/kmod/ && \
	$(MAKE) --no-print-directory -s -C "$$kdir" M=$(abspath $(B)/kmod) \
		VCDEV_INCLUDE=$(abspath include) $(if $(CI),VCDEV_WERROR=1) $(VCDEV_NO_BTF) modules

ALL_TARGETS += $(VCDEV_KO)


# The same module for the second peer stack's guest kernel (6.12, fetched by
# scripts/peers.sh into its cache), into $(B)/kmod-6.12. Built when that stack
# is there; `make all` never fetches it (make check runs deps.sh first).
VCDEV_PEERS_ENV := $(shell scripts/peers.sh --offline --env 2>/dev/null)
ifneq ($(VCDEV_PEERS_ENV),)
include $(VCDEV_PEERS_ENV)
VCDEV_PEER_KO := $(B)/kmod-$(VCRYPTO_PEER_KSERIES)/virtio_cryptodev.ko
$(VCDEV_PEER_KO): $(VCDEV_FILES) include/crypto/cryptodev.h $(VCDEV_PEERS_ENV)
	$(call quiet,KBUILD,$@ [$(VCRYPTO_PEER_KVER)])
	$(Q)mkdir -p $(@D) && cp -p $(VCDEV_FILES) $(@D)/ && \
	$(MAKE) --no-print-directory -s -C "$(VCRYPTO_PEER_HEADERS)" M=$(abspath $(@D)) \
		VCDEV_INCLUDE=$(abspath include) $(if $(CI),VCDEV_WERROR=1) $(VCDEV_NO_BTF) modules
ALL_TARGETS += $(VCDEV_PEER_KO)
endif
