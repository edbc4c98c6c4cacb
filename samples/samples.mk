# Sample processes (static, built against the SDK); probe is the sandbox
# test process used by the vproc tests. They run on the host, in vprocd's
# sandbox, so they are not guest programs to install.
VPROC_SAMPLES := hello upper probe rawprobe
$(foreach s,$(VPROC_SAMPLES),$(eval $(call guest_prog,$(B)/samples/$(s),samples/$(s)/$(s).c,$(B)/sdk/libvproc.a)))
$(foreach s,$(VPROC_SAMPLES),$(eval $(B)/samples/$(s): $(B)/sdk/libvproc.a))
$(foreach s,$(VPROC_SAMPLES),$(eval $(B)/obj-static/samples/$(s)/$(s).o: GUEST_CFLAGS += -Isdk))
GUEST_PROGS := $(filter-out $(B)/samples/%,$(GUEST_PROGS))
ALL_TARGETS += $(foreach s,$(VPROC_SAMPLES),$(B)/samples/$(s))
# vprocd refuses an image without a non-executable PT_GNU_STACK: say so explicitly
$(foreach s,$(VPROC_SAMPLES),$(eval $(B)/samples/$(s): GUEST_LDFLAGS += -Wl,-z,noexecstack))
