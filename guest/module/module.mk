# guest/module/module.mk: builds virtio_cryptodev.ko through Kbuild against
# the installed Debian guest kernel headers (scripts/kver.sh --headers).
# The sources are copied to $(B)/kmod so the tree stays clean.
VCDEV_KO := $(B)/kmod/virtio_cryptodev.ko
VCDEV_FILES := $(wildcard guest/module/*.c guest/module/*.h) guest/module/Kbuild

$(VCDEV_KO): $(VCDEV_FILES) include/crypto/cryptodev.h
	$(call quiet,KBUILD,$@)
	$(Q)kdir=$$(scripts/kver.sh --headers) || exit 1; \
	mkdir -p $(B)/kmod && cp -p $(VCDEV_FILES) $(B)/kmod/ && \
	$(MAKE) --no-print-directory -s -C "$$kdir" M=$(abspath $(B)/kmod) \
		VCDEV_INCLUDE=$(abspath include) $(if $(CI),VCDEV_WERROR=1) modules

ALL_TARGETS += $(VCDEV_KO)

