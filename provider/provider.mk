# provider/provider.mk: vcrypto.so, an OpenSSL 3 provider that does AES,
# SHA and HMAC through /dev/crypto (virtio_cryptodev.ko), and its guest test
# program (dynamic: it runs on the guest's copy of Debian's libcrypto).
VCP_SO   := $(B)/provider/vcrypto.so
VCP_SRCS := provider/vcp_prov.c provider/vcp_cipher.c provider/vcp_digest.c provider/vcp_gcm.c \
	provider/vcp_tls.c
VCP_OBJS := $(patsubst %.c,$(B)/obj-pic/%.o,$(VCP_SRCS))
# bytes below which one-shot work goes to the default provider (README: how it was chosen)
VCP_MIN_OFFLOAD ?= 65536
VCP_CFLAGS = $(BASE_CFLAGS) -fPIC -fvisibility=hidden -DVCP_VERSION='"$(VERSION)"' \
	-DVCP_DEFAULT_MIN_OFFLOAD=$(VCP_MIN_OFFLOAD)
OSSL_MODULESDIR = $(shell openssl version -m 2>/dev/null | sed -n 's/^MODULESDIR: "\(.*\)"/\1/p')

$(B)/obj-pic/%.o: %.c provider/provider.mk
	$(call quiet,CC,$< [provider])
	$(Q)mkdir -p $(@D) && $(CC) $(VCP_CFLAGS) -c -o $@ $<

$(VCP_SO): $(VCP_OBJS)
	$(call quiet,LD,$@)
	$(Q)mkdir -p $(@D) && $(CC) -shared -o $@ $^ -Wl,-z,defs -Wl,-z,now -lcrypto -pthread

$(B)/obj-pic/tests/%.o: VCP_CFLAGS += -Itests/lib
$(B)/provider/vcp_test: $(B)/obj-pic/tests/vm/vcp_test.o $(B)/obj-pic/tests/lib/tap.o
	$(call quiet,LD,$@)
	$(Q)mkdir -p $(@D) && $(CC) -o $@ $^ -lcrypto -pthread

ALL_OBJS    += $(VCP_OBJS) $(B)/obj-pic/tests/vm/vcp_test.o $(B)/obj-pic/tests/lib/tap.o
ALL_TARGETS += $(VCP_SO) $(B)/provider/vcp_test
VM_TESTS    += tests/vm/provider.t
HOST_TESTS  += tests/host/provider_conf.t

# make install: the module into OpenSSL's modules directory, a config snippet
install: install-provider
install-provider: $(VCP_SO)
	install -d $(DESTDIR)$(OSSL_MODULESDIR) $(DESTDIR)$(PREFIX)/share/vcrypto
	install -m 0644 $(VCP_SO) $(DESTDIR)$(OSSL_MODULESDIR)/vcrypto.so
	install -m 0644 provider/vcrypto-openssl.cnf $(DESTDIR)$(PREFIX)/share/vcrypto/vcrypto-openssl.cnf

.PHONY: install-provider
