/* SPDX-License-Identifier: MIT */
/*
 * The one table of AES cases the vcryptod tests run: every virtio-crypto AES
 * mode vcryptod serves, at every key size (XTS keys are two AES keys).
 */
#ifndef VCRYPTO_TEST_AES_CASES_H
#define VCRYPTO_TEST_AES_CASES_H

#include <stdint.h>
#include <linux/virtio_crypto.h>

struct aes_case {
	uint32_t alg; /* VIRTIO_CRYPTO_CIPHER_AES_* */
	uint32_t keylen;
};

static const struct aes_case aes_cases[] = {
	{VIRTIO_CRYPTO_CIPHER_AES_ECB, 16}, {VIRTIO_CRYPTO_CIPHER_AES_ECB, 24},
	{VIRTIO_CRYPTO_CIPHER_AES_ECB, 32}, {VIRTIO_CRYPTO_CIPHER_AES_CBC, 16},
	{VIRTIO_CRYPTO_CIPHER_AES_CBC, 24}, {VIRTIO_CRYPTO_CIPHER_AES_CBC, 32},
	{VIRTIO_CRYPTO_CIPHER_AES_CTR, 16}, {VIRTIO_CRYPTO_CIPHER_AES_CTR, 24},
	{VIRTIO_CRYPTO_CIPHER_AES_CTR, 32}, {VIRTIO_CRYPTO_CIPHER_AES_XTS, 32},
	{VIRTIO_CRYPTO_CIPHER_AES_XTS, 64},
};
#define AES_NCASES (sizeof(aes_cases) / sizeof(aes_cases[0]))

#endif
