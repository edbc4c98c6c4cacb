# devcrypto: AES-CBC files through /dev/crypto (openssl enc compatible), info, speed.
DEVCRYPTO_SRCS := tools/devcrypto/devcrypto.c lib/fdio/fdio.c
$(eval $(call host_prog,$(B)/devcrypto,$(DEVCRYPTO_SRCS),-lcrypto))
$(eval $(call guest_prog,$(B)/guest-bin/devcrypto,$(DEVCRYPTO_SRCS),-lcrypto))
INSTALL_BIN += $(B)/devcrypto
INSTALL_GUEST += $(B)/guest-bin/devcrypto
HOST_TESTS  += tests/host/devcrypto_cli.t
