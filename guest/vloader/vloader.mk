# libvmmcall + vloader: the guest side of the vmmcall channel. Built static
# for the guest, and for the host too (the host tests and the benchmark use
# it against vprocd's socket directly).
VLOADER_SRCS := guest/vloader/vloader.c guest/vloader/libvmmcall.c lib/fdio/fdio.c
$(eval $(call guest_prog,$(B)/guest-bin/vloader,$(VLOADER_SRCS),))
$(eval $(call host_prog,$(B)/vloader,$(VLOADER_SRCS),))
$(B)/lib/libvmmcall.a: $(B)/obj-static/guest/vloader/libvmmcall.o $(B)/obj-static/lib/fdio/fdio.o
	$(call quiet,AR,$@)
	$(Q)mkdir -p $(@D) && rm -f $@ && ar rcs $@ $^
ALL_TARGETS += $(B)/lib/libvmmcall.a
INSTALL_BIN += $(B)/vloader
INSTALL_GUEST += $(B)/guest-bin/vloader
