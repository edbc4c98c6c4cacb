# vsign: keys, signing and verifying of process images (tools/vsign/README.md)
VSIGN_SRCS := tools/vsign/main.c lib/vsig/vsig.c lib/fdio/fdio.c
$(eval $(call host_prog,$(B)/vsign,$(VSIGN_SRCS),-lcrypto))
INSTALL_BIN += $(B)/vsign
