# devcrypto: AES-CBC files through /dev/crypto (openssl enc compatible), info, speed.
$(eval $(call host_prog,$(B)/devcrypto,tools/devcrypto/devcrypto.c,-lcrypto))
$(eval $(call guest_prog,$(B)/guest-bin/devcrypto,tools/devcrypto/devcrypto.c,-lcrypto))
INSTALL_BIN += $(B)/devcrypto
INSTALL_GUEST += $(B)/guest-bin/devcrypto
HOST_TESTS  += tests/host/devcrypto_cli.t
