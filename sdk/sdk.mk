# The process SDK (sdk/vproc.h) and the samples built with it. Processes are
# static x86-64 executables that vprocd runs on the host in its sandbox.
VPROC_SDK_LIB := $(B)/sdk/libvproc.a
$(VPROC_SDK_LIB): $(B)/obj-static/sdk/vproc_rt.o
	$(call quiet,AR,$@)
	$(Q)mkdir -p $(@D) && rm -f $@ && ar rcs $@ $^
ALL_OBJS    += $(B)/obj-static/sdk/vproc_rt.o
ALL_TARGETS += $(VPROC_SDK_LIB)
