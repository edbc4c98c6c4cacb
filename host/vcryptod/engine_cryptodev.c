// SPDX-License-Identifier: MIT
/*
 * /dev/crypto engine (cryptodev-linux ABI, include/crypto/cryptodev.h): one
 * cryptodev session per session object, one CIOCCRYPT per operation. A MAC
 * over two pieces is sent as one buffer. No RSA: cryptodev-linux's
 * CIOCKEY is not offered by the drivers we target, so rsa_new says -ENOTSUP.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <crypto/cryptodev.h>
#include <linux/virtio_crypto.h>

#include "engine.h"

#define CDEV_PATH "/dev/crypto"

struct vcd_engine {
	int fd;
};

struct cdev_obj {
	struct vcd_engine *e;
	uint32_t ses;
	uint32_t alg;
	bool encrypt;
	unsigned int dlen;
};

static int cdev_open(struct vcd_engine **out)
{
	struct vcd_engine *e = calloc(1, sizeof(*e));

	if (!e)
		return -ENOMEM;
	e->fd = open(CDEV_PATH, O_RDWR | O_CLOEXEC);
	if (e->fd < 0) {
		int ret = -errno;

		free(e);
		return ret;
	}
	*out = e;
	return 0;
}

static void cdev_close(struct vcd_engine *e)
{
	if (!e)
		return;
	close(e->fd);
	free(e);
}

static void obj_free(void *p)
{
	struct cdev_obj *o = p;

	if (!o)
		return;
	ioctl(o->e->fd, CIOCFSESSION, &o->ses);
	free(o);
}

static int obj_new(struct vcd_engine *e, uint32_t cipher, uint32_t mac, const uint8_t *key,
		   uint32_t keylen, struct cdev_obj **out)
{
	struct session_op s = {.cipher = cipher, .mac = mac};
	struct cdev_obj *o = calloc(1, sizeof(*o));

	if (!o)
		return -ENOMEM;
	if (cipher) {
		s.key = (uint8_t *)key;
		s.keylen = keylen;
	} else if (key) {
		s.mackey = (uint8_t *)key;
		s.mackeylen = keylen;
	}
	if (ioctl(e->fd, CIOCGSESSION, &s) < 0) {
		int ret = errno == EINVAL || errno == ENOTSUP ? -ENOTSUP : -errno;

		free(o);
		return ret;
	}
	o->e = e;
	o->ses = s.ses;
	*out = o;
	return 0;
}

static int cdev_cipher_new(struct vcd_engine *e, uint32_t alg, const uint8_t *key, uint32_t keylen,
			   bool encrypt, void **out)
{
	static const uint32_t map[] = {
		[VIRTIO_CRYPTO_CIPHER_AES_ECB] = CRYPTO_AES_ECB,
		[VIRTIO_CRYPTO_CIPHER_AES_CBC] = CRYPTO_AES_CBC,
		[VIRTIO_CRYPTO_CIPHER_AES_CTR] = CRYPTO_AES_CTR,
		[VIRTIO_CRYPTO_CIPHER_AES_XTS] = CRYPTO_AES_XTS,
	};
	struct cdev_obj *o;
	int ret = vcd_cipher_check(alg, keylen);

	if (ret)
		return ret;
	ret = obj_new(e, map[alg], 0, key, keylen, &o);
	if (ret)
		return ret;
	o->alg = alg;
	o->encrypt = encrypt;
	*out = o;
	return 0;
}

static int cdev_cipher_run(void *p, const uint8_t *iv, uint32_t ivlen, const uint8_t *in,
			   uint8_t *out, size_t len)
{
	struct cdev_obj *o = p;
	uint8_t ivbuf[16];
	int ret;
	struct crypt_op op = {
		.ses = o->ses,
		.op = o->encrypt ? COP_ENCRYPT : COP_DECRYPT,
		.len = (uint32_t)len,
		.src = (uint8_t *)in,
		.dst = out,
	};

	if (ivlen != vcd_cipher_iv_len(o->alg) || len > UINT32_MAX)
		return -EINVAL;
	if (ivlen) {
		/* the driver may write the next iv back: keep the caller's intact */
		memcpy(ivbuf, iv, ivlen);
		op.iv = ivbuf;
	}
	ret = ioctl(o->e->fd, CIOCCRYPT, &op) < 0 ? -EIO : 0;
	explicit_bzero(ivbuf, sizeof(ivbuf));
	return ret;
}

static int cdev_mac_new(struct vcd_engine *e, uint32_t alg, const uint8_t *key, uint32_t keylen,
			void **out, unsigned int *dlen)
{
	/* VIRTIO_CRYPTO_HASH_* and MAC_HMAC_* share their numbers. */
	static const uint32_t hmac[] = {[VIRTIO_CRYPTO_MAC_HMAC_MD5] = CRYPTO_MD5_HMAC,
					[VIRTIO_CRYPTO_MAC_HMAC_SHA1] = CRYPTO_SHA1_HMAC,
					[VIRTIO_CRYPTO_MAC_HMAC_SHA_224] = CRYPTO_SHA2_224_HMAC,
					[VIRTIO_CRYPTO_MAC_HMAC_SHA_256] = CRYPTO_SHA2_256_HMAC,
					[VIRTIO_CRYPTO_MAC_HMAC_SHA_384] = CRYPTO_SHA2_384_HMAC,
					[VIRTIO_CRYPTO_MAC_HMAC_SHA_512] = CRYPTO_SHA2_512_HMAC};
	static const uint32_t plain[] = {[VIRTIO_CRYPTO_HASH_MD5] = CRYPTO_MD5,
					 [VIRTIO_CRYPTO_HASH_SHA1] = CRYPTO_SHA1,
					 [VIRTIO_CRYPTO_HASH_SHA_224] = CRYPTO_SHA2_224,
					 [VIRTIO_CRYPTO_HASH_SHA_256] = CRYPTO_SHA2_256,
					 [VIRTIO_CRYPTO_HASH_SHA_384] = CRYPTO_SHA2_384,
					 [VIRTIO_CRYPTO_HASH_SHA_512] = CRYPTO_SHA2_512};
	struct cdev_obj *o;
	int ret;

	if (!vcd_hash_len(alg))
		return -ENOTSUP;
	ret = obj_new(e, 0, key ? hmac[alg] : plain[alg], key, keylen, &o);
	if (ret)
		return ret;
	o->dlen = vcd_hash_len(alg);
	*dlen = o->dlen;
	*out = o;
	return 0;
}

static int cdev_mac_run(void *p, const uint8_t *a, size_t alen, const uint8_t *b, size_t blen,
			uint8_t *digest)
{
	struct cdev_obj *o = p;
	struct crypt_op op = {.ses = o->ses, .mac = digest};
	uint8_t *cat = NULL;
	int ret;

	if (alen > UINT32_MAX || blen > UINT32_MAX - alen)
		return -EINVAL;
	/* Multi-part hashing (COP_FLAG_UPDATE) is optional in drivers: one piece. */
	if (alen) {
		cat = malloc(alen + blen);
		if (!cat)
			return -ENOMEM;
		memcpy(cat, a, alen);
		memcpy(cat + alen, b, blen);
	}
	op.len = (uint32_t)(alen + blen);
	op.src = cat ? cat : (uint8_t *)b;
	ret = ioctl(o->e->fd, CIOCCRYPT, &op) < 0 ? -EIO : 0;
	if (cat) /* the MAC's input: plaintext */
		explicit_bzero(cat, alen + blen);
	free(cat);
	return ret;
}

static int cdev_rsa_new(struct vcd_engine *e, uint32_t keytype, const uint8_t *der, uint32_t derlen,
			uint32_t padding, uint32_t hash, void **out)
{
	return -ENOTSUP;
}

static int cdev_rsa_run(void *rsa, uint32_t opcode, const uint8_t *in, size_t inlen,
			const uint8_t *in2, size_t in2len, uint8_t *out, size_t outcap,
			size_t *outlen)
{
	return -ENOTSUP;
}

static void cdev_rsa_free(void *rsa)
{
}

const struct vcd_engine_ops vcd_engine_cryptodev = {
	.name = "cryptodev",
	.open = cdev_open,
	.close = cdev_close,
	.cipher_new = cdev_cipher_new,
	.cipher_run = cdev_cipher_run,
	.cipher_free = obj_free,
	.mac_new = cdev_mac_new,
	.mac_run = cdev_mac_run,
	.mac_free = obj_free,
	.rsa_new = cdev_rsa_new,
	.rsa_run = cdev_rsa_run,
	.rsa_free = cdev_rsa_free,
};
