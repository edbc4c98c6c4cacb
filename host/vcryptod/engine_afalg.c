// SPDX-License-Identifier: MIT
/*
 * AF_ALG engine: the host kernel's crypto API (software or a hardware
 * accelerator's driver). One transform socket and one operation socket per
 * session object; an operation is sendmsg (op, iv, data) then read. Larger
 * buffers go in chunks with MSG_MORE, which the kernel chains (CBC/CTR keep
 * their state in the socket's iv); XTS does not chain, so it goes in one piece.
 * The kernel has no RSA for AF_ALG: rsa_new says -ENOTSUP.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/if_alg.h>
#include <linux/virtio_crypto.h>

#include <fdio/fdio.h>

#include "engine.h"

#ifndef SOL_ALG
#define SOL_ALG 279
#endif

#define AFALG_CHUNK 65536

struct vcd_engine {
	int unused;
};

struct afalg_obj {
	int tfm, op;
	uint32_t alg;
	bool encrypt;
	unsigned int dlen;
};

static int afalg_open(struct vcd_engine **out)
{
	int fd = socket(AF_ALG, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno; /* kernel without AF_ALG */
	close(fd);
	*out = calloc(1, sizeof(**out));
	return *out ? 0 : -ENOMEM;
}

static void afalg_close(struct vcd_engine *e)
{
	free(e);
}

static void obj_free(void *p)
{
	struct afalg_obj *o = p;

	if (!o)
		return;
	/* The key lives in the kernel's tfm; closing frees it (kfree_sensitive). */
	if (o->op >= 0)
		close(o->op);
	if (o->tfm >= 0)
		close(o->tfm);
	free(o);
}

static int obj_new(const char *type, const char *name, const uint8_t *key, uint32_t keylen,
		   struct afalg_obj **out)
{
	struct sockaddr_alg sa = {.salg_family = AF_ALG};
	struct afalg_obj *o = calloc(1, sizeof(*o));
	int ret;

	if (!o)
		return -ENOMEM;
	o->op = -1;
	snprintf((char *)sa.salg_type, sizeof(sa.salg_type), "%s", type);
	snprintf((char *)sa.salg_name, sizeof(sa.salg_name), "%s", name);
	o->tfm = socket(AF_ALG, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (o->tfm < 0) {
		ret = -errno;
		goto err_free;
	}
	if (bind(o->tfm, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		ret = errno == ENOENT ? -ENOTSUP : -errno;
		goto err_free;
	}
	if (key && setsockopt(o->tfm, SOL_ALG, ALG_SET_KEY, keylen ? key : (const uint8_t *)"",
			      keylen) < 0) {
		ret = -EINVAL;
		goto err_free;
	}
	o->op = accept4(o->tfm, NULL, NULL, SOCK_CLOEXEC);
	if (o->op < 0) {
		ret = -errno;
		goto err_free;
	}
	*out = o;
	return 0;

err_free:
	obj_free(o);
	return ret;
}

static int afalg_cipher_new(struct vcd_engine *e, uint32_t alg, const uint8_t *key, uint32_t keylen,
			    bool encrypt, void **out)
{
	static const char *const names[] = {
		[VIRTIO_CRYPTO_CIPHER_AES_ECB] = "ecb(aes)",
		[VIRTIO_CRYPTO_CIPHER_AES_CBC] = "cbc(aes)",
		[VIRTIO_CRYPTO_CIPHER_AES_CTR] = "ctr(aes)",
		[VIRTIO_CRYPTO_CIPHER_AES_XTS] = "xts(aes)",
	};
	struct afalg_obj *o;
	int ret = vcd_cipher_check(alg, keylen);

	if (ret)
		return ret;
	ret = obj_new("skcipher", names[alg], key, keylen, &o);
	if (ret)
		return ret;
	o->alg = alg;
	o->encrypt = encrypt;
	*out = o;
	return 0;
}

static int afalg_cipher_run(void *p, const uint8_t *iv, uint32_t ivlen, const uint8_t *in,
			    uint8_t *out, size_t len)
{
	struct afalg_obj *o = p;
	union {
		char buf[CMSG_SPACE(sizeof(uint32_t)) + CMSG_SPACE(sizeof(struct af_alg_iv) + 16)];
		struct cmsghdr align;
	} cb;
	size_t done = 0;
	int err = 0;

	if (ivlen != vcd_cipher_iv_len(o->alg) || ivlen > 16)
		return -EINVAL;
	if (o->alg == VIRTIO_CRYPTO_CIPHER_AES_XTS && len > AFALG_CHUNK)
		return -E2BIG;
	do {
		size_t n = len - done < AFALG_CHUNK ? len - done : AFALG_CHUNK;
		struct iovec iov = {.iov_base = (void *)(in + done), .iov_len = n};
		struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};

		if (done == 0) {
			struct cmsghdr *c;
			struct af_alg_iv *aiv;
			uint32_t op = o->encrypt ? ALG_OP_ENCRYPT : ALG_OP_DECRYPT;

			memset(&cb, 0, sizeof(cb));
			mh.msg_control = cb.buf;
			mh.msg_controllen = CMSG_SPACE(sizeof(op)) +
					    (ivlen ? CMSG_SPACE(sizeof(*aiv) + ivlen) : 0);
			c = CMSG_FIRSTHDR(&mh);
			c->cmsg_level = SOL_ALG;
			c->cmsg_type = ALG_SET_OP;
			c->cmsg_len = CMSG_LEN(sizeof(op));
			memcpy(CMSG_DATA(c), &op, sizeof(op));
			if (ivlen) {
				c = CMSG_NXTHDR(&mh, c);
				c->cmsg_level = SOL_ALG;
				c->cmsg_type = ALG_SET_IV;
				c->cmsg_len = CMSG_LEN(sizeof(*aiv) + ivlen);
				aiv = (struct af_alg_iv *)CMSG_DATA(c);
				aiv->ivlen = ivlen;
				memcpy(aiv->iv, iv, ivlen);
			}
		}
		if (sendmsg(o->op, &mh, done + n < len ? MSG_MORE : 0) != (ssize_t)n ||
		    fdio_read_full(o->op, out + done, n)) {
			err = -EIO;
			break;
		}
		done += n;
	} while (done < len);
	/* no copy of the IV stays on the stack, as crypto_req.c does for its own */
	explicit_bzero(&cb, sizeof(cb));
	return err;
}

static int afalg_mac_new(struct vcd_engine *e, uint32_t alg, const uint8_t *key, uint32_t keylen,
			 void **out, unsigned int *dlen)
{
	/* VIRTIO_CRYPTO_HASH_* and MAC_HMAC_* share their numbers. */
	static const char *const names[] = {
		[VIRTIO_CRYPTO_HASH_MD5] = "md5",	 [VIRTIO_CRYPTO_HASH_SHA1] = "sha1",
		[VIRTIO_CRYPTO_HASH_SHA_224] = "sha224", [VIRTIO_CRYPTO_HASH_SHA_256] = "sha256",
		[VIRTIO_CRYPTO_HASH_SHA_384] = "sha384", [VIRTIO_CRYPTO_HASH_SHA_512] = "sha512"};
	char name[32];
	struct afalg_obj *o;
	int ret;

	if (!vcd_hash_len(alg))
		return -ENOTSUP;
	snprintf(name, sizeof(name), key ? "hmac(%s)" : "%s", names[alg]);
	ret = obj_new("hash", name, key, keylen, &o);
	if (ret)
		return ret;
	o->dlen = vcd_hash_len(alg);
	*dlen = o->dlen;
	*out = o;
	return 0;
}

static int send_more(int fd, const uint8_t *p, size_t len, bool more)
{
	do {
		size_t n = len < AFALG_CHUNK ? len : AFALG_CHUNK;
		ssize_t r = send(fd, p, n, more || n < len ? MSG_MORE : 0);

		if (r < 0 && errno == EINTR)
			continue;
		if (r != (ssize_t)n)
			return -EIO;
		p += n;
		len -= n;
	} while (len);
	return 0;
}

static int afalg_mac_run(void *p, const uint8_t *a, size_t alen, const uint8_t *b, size_t blen,
			 uint8_t *digest)
{
	struct afalg_obj *o = p;

	if ((alen && send_more(o->op, a, alen, true)) || send_more(o->op, b, blen, false))
		return -EIO;
	return fdio_read_full(o->op, digest, o->dlen) ? -EIO : 0;
}

static int afalg_rsa_new(struct vcd_engine *e, uint32_t keytype, const uint8_t *der,
			 uint32_t derlen, uint32_t padding, uint32_t hash, void **out)
{
	return -ENOTSUP;
}

static int afalg_rsa_run(void *rsa, uint32_t opcode, const uint8_t *in, size_t inlen,
			 const uint8_t *in2, size_t in2len, uint8_t *out, size_t outcap,
			 size_t *outlen)
{
	return -ENOTSUP;
}

static void afalg_rsa_free(void *rsa)
{
}

const struct vcd_engine_ops vcd_engine_afalg = {
	.name = "afalg",
	.open = afalg_open,
	.close = afalg_close,
	.cipher_new = afalg_cipher_new,
	.cipher_run = afalg_cipher_run,
	.cipher_free = obj_free,
	.mac_new = afalg_mac_new,
	.mac_run = afalg_mac_run,
	.mac_free = obj_free,
	.rsa_new = afalg_rsa_new,
	.rsa_run = afalg_rsa_run,
	.rsa_free = afalg_rsa_free,
};
