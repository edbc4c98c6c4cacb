// SPDX-License-Identifier: MIT
/* Engine registry and the algorithm facts every engine shares. */
#include <errno.h>
#include <string.h>
#include <linux/virtio_crypto.h>

#include "engine.h"

const struct vcd_engine_ops *vcd_engine_find(const char *name)
{
	static const struct vcd_engine_ops *const all[] = {
		&vcd_engine_openssl,
		&vcd_engine_afalg,
		&vcd_engine_cryptodev,
	};

	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		if (!strcmp(all[i]->name, name))
			return all[i];
	return NULL;
}

int vcd_cipher_check(uint32_t alg, uint32_t keylen)
{
	switch (alg) {
	case VIRTIO_CRYPTO_CIPHER_AES_ECB:
	case VIRTIO_CRYPTO_CIPHER_AES_CBC:
	case VIRTIO_CRYPTO_CIPHER_AES_CTR:
		return keylen == 16 || keylen == 24 || keylen == 32 ? 0 : -EINVAL;
	case VIRTIO_CRYPTO_CIPHER_AES_XTS:
		return keylen == 32 || keylen == 64 ? 0 : -EINVAL;
	default:
		return -ENOTSUP;
	}
}

uint32_t vcd_cipher_iv_len(uint32_t alg)
{
	return alg == VIRTIO_CRYPTO_CIPHER_AES_ECB ? 0 : 16;
}

/* Data length must be a multiple of this (1: any length). */
uint32_t vcd_cipher_block(uint32_t alg)
{
	return alg == VIRTIO_CRYPTO_CIPHER_AES_ECB || alg == VIRTIO_CRYPTO_CIPHER_AES_CBC ? 16 : 1;
}

unsigned int vcd_hash_len(uint32_t alg)
{
	/* HASH_* and MAC_HMAC_* share the numbers 1 (MD5) .. 6 (SHA-512). */
	switch (alg) {
	case VIRTIO_CRYPTO_HASH_MD5:
		return 16;
	case VIRTIO_CRYPTO_HASH_SHA1:
		return 20;
	case VIRTIO_CRYPTO_HASH_SHA_224:
		return 28;
	case VIRTIO_CRYPTO_HASH_SHA_256:
		return 32;
	case VIRTIO_CRYPTO_HASH_SHA_384:
		return 48;
	case VIRTIO_CRYPTO_HASH_SHA_512:
		return 64;
	default:
		return 0;
	}
}
