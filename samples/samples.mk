# Sample processes (static, built against the SDK); probe is the sandbox
# test process used by the vproc tests.
VPROC_SAMPLES := hello upper probe
$(foreach s,$(VPROC_SAMPLES),$(eval $(call guest_prog,$(B)/samples/$(s),samples/$(s)/$(s).c,$(B)/sdk/libvproc.a)))
$(foreach s,$(VPROC_SAMPLES),$(eval $(B)/samples/$(s): $(B)/sdk/libvproc.a))
$(foreach s,$(VPROC_SAMPLES),$(eval $(B)/guest/samples/$(s)/$(s).o: GUEST_CFLAGS += -Isdk))
