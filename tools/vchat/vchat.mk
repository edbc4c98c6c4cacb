# tools/vchat/vchat.mk: encrypted multi-client chat (server, client) and its tests.
VCHAT_CORE := tools/vchat/crypto.c tools/vchat/crypto_openssl.c \
	tools/vchat/crypto_devcrypto.c tools/vchat/proto.c tools/vchat/replay.c \
	tools/vchat/net.c
VCHAT_SRCS := tools/vchat/main.c tools/vchat/server.c tools/vchat/client.c \
	tools/vchat/passphrase.c $(VCHAT_CORE)

$(eval $(call host_prog,$(B)/vchat,$(VCHAT_SRCS),-lcrypto))
HOST_PROGS  += $(B)/vchat
INSTALL_BIN += $(B)/vchat
