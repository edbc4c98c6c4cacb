// SPDX-License-Identifier: GPL-2.0
/*
 * The devcrypto provider: AES-256-CBC and HMAC-SHA256 through the
 * cryptodev-linux ABI on /dev/crypto (our guest module virtio_cryptodev.ko,
 * or cryptodev-linux on a host). A device that refuses an HMAC-SHA256
 * session (QEMU's builtin backend offers ciphers only) gets its MAC done by
 * OpenSSL instead, and the provider description says so.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "vchat_crypto.h"

#if __has_include(<crypto/cryptodev.h>)
#include <crypto/cryptodev.h>

#define VCHAT_DEVCRYPTO_PATH "/dev/crypto"

struct vchat_dev {
	int fd;
	uint32_t cipher_ses;
	uint32_t mac_ses;
	int have_cipher_ses;
	int have_mac_ses;
	struct vchat_hmac sw_mac; /* software HMAC when the device has none */
};

int vchat_devcrypto_init(struct vchat_crypto *c)
{
	struct vchat_dev *d = calloc(1, sizeof(*d));

	if (!d)
		return -ENOMEM;
	d->fd = open(VCHAT_DEVCRYPTO_PATH, O_RDWR | O_CLOEXEC);
	if (d->fd < 0) {
		int e = -errno;

		free(d);
		return e;
	}
	c->priv = d;
	return 0;
}

static void dev_driver_name(struct vchat_dev *d, uint32_t ses, int hash, char *out, size_t outlen)
{
	snprintf(out, outlen, "?");
#ifdef CIOCGSESSINFO
	struct session_info_op si;

	memset(&si, 0, sizeof(si));
	si.ses = ses;
	if (ioctl(d->fd, CIOCGSESSINFO, &si) == 0)
		snprintf(out, outlen, "%.60s",
			 hash ? si.hash_info.cra_driver_name : si.cipher_info.cra_driver_name);
#endif
}

/*
 * A session for the cipher or the MAC alg with key[VCHAT_KEY_LEN]. The
 * ioctl takes a non-const pointer: it gets a copy, wiped after. 0 or -errno.
 */
static int dev_session(struct vchat_dev *d, uint32_t cipher, uint32_t mac, const uint8_t *key,
		       uint32_t *ses)
{
	uint8_t k[VCHAT_KEY_LEN];
	struct session_op s;
	int ret;

	memcpy(k, key, sizeof(k));
	memset(&s, 0, sizeof(s));
	s.cipher = cipher;
	s.mac = mac;
	if (cipher) {
		s.keylen = VCHAT_KEY_LEN;
		s.key = k;
	} else {
		s.mackeylen = VCHAT_KEY_LEN;
		s.mackey = k;
	}
	ret = ioctl(d->fd, CIOCGSESSION, &s) < 0 ? -errno : 0;
	vchat_wipe(k, sizeof(k));
	if (!ret)
		*ses = s.ses;
	return ret;
}

static int dev_open(struct vchat_crypto *c, const uint8_t *enc_key, const uint8_t *mac_key)
{
	struct vchat_dev *d = c->priv;
	char cdrv[64], mdrv[64];
	int ret;

	ret = dev_session(d, CRYPTO_AES_CBC, 0, enc_key, &d->cipher_ses);
	if (ret)
		return ret;
	d->have_cipher_ses = 1;
	dev_driver_name(d, d->cipher_ses, 0, cdrv, sizeof(cdrv));

	ret = dev_session(d, 0, CRYPTO_SHA2_256_HMAC, mac_key, &d->mac_ses);
	if (ret == 0) {
		d->have_mac_ses = 1;
		dev_driver_name(d, d->mac_ses, 1, mdrv, sizeof(mdrv));
		snprintf(c->desc, sizeof(c->desc),
			 "AES-256-CBC via /dev/crypto (%s), HMAC-SHA256 via /dev/crypto (%s)", cdrv,
			 mdrv);
		return 0;
	}
	snprintf(c->desc, sizeof(c->desc),
		 "AES-256-CBC via /dev/crypto (%s), HMAC-SHA256 via OpenSSL (device refused an "
		 "HMAC-SHA256 session: %s)",
		 cdrv, strerror(-ret));
	return vchat_hmac_open(&d->sw_mac, mac_key);
}

/* One CIOCCRYPT of len bytes at src on session ses: into dst, or mac. 0 or -errno. */
static int dev_crypt(struct vchat_dev *d, uint32_t ses, uint16_t op, const uint8_t *src, size_t len,
		     uint8_t *dst, uint8_t *mac, uint8_t *iv)
{
	struct crypt_op cop;

	memset(&cop, 0, sizeof(cop));
	cop.ses = ses;
	cop.op = op;
	cop.len = (uint32_t)len;
	cop.src = (uint8_t *)src;
	cop.dst = dst;
	cop.mac = mac;
	cop.iv = iv;
	return ioctl(d->fd, CIOCCRYPT, &cop) < 0 ? -errno : 0;
}

static int dev_cipher(struct vchat_crypto *c, uint16_t op, const uint8_t *iv, const uint8_t *in,
		      uint8_t *out, size_t len)
{
	struct vchat_dev *d = c->priv;
	uint8_t ivc[VCHAT_IV_LEN];

	if (!vchat_cipher_len_ok(len))
		return -EINVAL;
	/* The driver may update the IV buffer in place: give it a copy. */
	memcpy(ivc, iv, sizeof(ivc));
	return dev_crypt(d, d->cipher_ses, op, in, len, out, NULL, ivc);
}

static int dev_encrypt(struct vchat_crypto *c, const uint8_t *iv, const uint8_t *in, uint8_t *out,
		       size_t len)
{
	return dev_cipher(c, COP_ENCRYPT, iv, in, out, len);
}

static int dev_decrypt(struct vchat_crypto *c, const uint8_t *iv, const uint8_t *in, uint8_t *out,
		       size_t len)
{
	return dev_cipher(c, COP_DECRYPT, iv, in, out, len);
}

static int dev_mac(struct vchat_crypto *c, const uint8_t *data, size_t len, uint8_t *mac)
{
	struct vchat_dev *d = c->priv;

	if (!d->have_mac_ses)
		return vchat_hmac(&d->sw_mac, data, len, mac);
	return dev_crypt(d, d->mac_ses, COP_ENCRYPT, data, len, NULL, mac, NULL);
}

static void dev_close(struct vchat_crypto *c)
{
	struct vchat_dev *d = c->priv;

	if (!d)
		return;
	if (d->have_cipher_ses)
		ioctl(d->fd, CIOCFSESSION, &d->cipher_ses);
	if (d->have_mac_ses)
		ioctl(d->fd, CIOCFSESSION, &d->mac_ses);
	vchat_hmac_close(&d->sw_mac);
	if (d->fd >= 0)
		close(d->fd);
	free(d);
	c->priv = NULL;
}

const struct vchat_crypto_ops vchat_devcrypto_ops = {
	.name = "devcrypto",
	.open = dev_open,
	.encrypt = dev_encrypt,
	.decrypt = dev_decrypt,
	.mac = dev_mac,
	.close = dev_close,
};

#else /* no <crypto/cryptodev.h>: the provider is never constructed */

int vchat_devcrypto_init(struct vchat_crypto *c)
{
	snprintf(c->desc, sizeof(c->desc), "devcrypto not built (no <crypto/cryptodev.h>)");
	return -ENOSYS;
}

const struct vchat_crypto_ops vchat_devcrypto_ops = {.name = "devcrypto"};

#endif
