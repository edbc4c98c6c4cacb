# vprocd: the vmmcall channel server (host/vprocd/README.md)
VPD_CORE := host/vprocd/log.c host/vprocd/conn.c host/vprocd/proc.c \
	host/vprocd/loader.c host/vprocd/elf_check.c host/vprocd/sandbox.c \
	tools/vsign/vsig.c
VPD_SRCS := host/vprocd/main.c $(VPD_CORE)
$(eval $(call host_prog,$(B)/vprocd,$(VPD_SRCS),-lcrypto -lseccomp))
HOST_PROGS   += $(B)/vprocd
INSTALL_SBIN += $(B)/vprocd

# make VPROCD_PUBKEY=pub.pem builds that key in (as the original design
# embeds its key). The generated header changes only when the key does.
VPD_KEY_H := $(B)/gen/vprocd_builtin_key.h
ifneq ($(VPROCD_PUBKEY),)
$(B)/host/host/vprocd/main.o: HOST_CFLAGS += -DVPD_BUILTIN_KEY='"$(abspath $(VPD_KEY_H))"'
$(B)/host/host/vprocd/main.o: $(VPD_KEY_H)
endif
$(VPD_KEY_H): FORCE_VPD_KEY
	$(Q)mkdir -p $(@D); tmp=$@.tmp; \
	if [ -n "$(VPROCD_PUBKEY)" ]; then \
		grep -q 'BEGIN PUBLIC KEY' "$(VPROCD_PUBKEY)" || { echo "VPROCD_PUBKEY: $(VPROCD_PUBKEY) is not a PEM public key" >&2; exit 1; }; \
		{ echo 'static const char vpd_builtin_key[] ='; sed 's/.*/"&\\n"/' "$(VPROCD_PUBKEY)"; echo ';'; } >$$tmp; \
	else echo '/* no built-in key */' >$$tmp; fi; \
	cmp -s $$tmp $@ && rm -f $$tmp || mv $$tmp $@
.PHONY: FORCE_VPD_KEY

# tests (tests/host/vproc_lib.sh is shared by them)
HOST_TESTS += tests/host/vproc_basic.t tests/host/vproc_sandbox.t tests/host/vproc_vsign.t
VM_TESTS   += tests/vm/vproc_guest.t

# unit tests (cmocka, TAP)
VPD_UNIT := frame sig elf
$(foreach t,$(VPD_UNIT),$(eval $(call host_prog,$(B)/tests/unit/test_vproc_$(t),tests/unit/test_vproc_$(t).c $(VPD_CORE),-lcmocka -lcrypto -lseccomp)))
UNIT_TESTS += $(foreach t,$(VPD_UNIT),$(B)/tests/unit/test_vproc_$(t))
