/* SPDX-License-Identifier: MIT */
/*
 * Crypto engines behind one small interface. Objects made by an engine are
 * used by one thread at a time (the session lock serialises them) and freed
 * by the matching *_free, which wipes key material and accepts NULL.
 * Errors: -ENOTSUP (algorithm or mode not offered), -EINVAL (bad key or
 * length), -EKEYREJECTED (signature does not verify), -EIO (engine failure).
 */
#ifndef VCD_ENGINE_H
#define VCD_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vcd_engine;

struct vcd_engine_ops {
	const char *name;
	int (*open)(struct vcd_engine **out);
	void (*close)(struct vcd_engine *e);

	/* alg: VIRTIO_CRYPTO_CIPHER_*; key of keylen bytes. */
	int (*cipher_new)(struct vcd_engine *e, uint32_t alg, const uint8_t *key, uint32_t keylen,
			  bool encrypt, void **out);
	/* One whole operation with this iv; in and out may alias. */
	int (*cipher_run)(void *c, const uint8_t *iv, uint32_t ivlen, const uint8_t *in,
			  uint8_t *out, size_t len);
	void (*cipher_free)(void *c);

	/*
	 * alg: VIRTIO_CRYPTO_MAC_HMAC_* with key, or VIRTIO_CRYPTO_HASH_* with
	 * key NULL for a plain digest. *dlen gets the digest size.
	 */
	int (*mac_new)(struct vcd_engine *e, uint32_t alg, const uint8_t *key, uint32_t keylen,
		       void **out, unsigned int *dlen);
	/* Digest of a || b into digest (dlen bytes). */
	int (*mac_run)(void *mac, const uint8_t *a, size_t alen, const uint8_t *b, size_t blen,
		       uint8_t *digest);
	void (*mac_free)(void *mac);

	/* RSA key as PKCS#1 DER (keytype VIRTIO_CRYPTO_AKCIPHER_KEY_TYPE_*). */
	int (*rsa_new)(struct vcd_engine *e, uint32_t keytype, const uint8_t *der, uint32_t derlen,
		       uint32_t padding, uint32_t hash, void **out);
	/*
	 * opcode VIRTIO_CRYPTO_AKCIPHER_*; for VERIFY, in2 is the digest and
	 * nothing is output. *outlen gets the result length (<= outcap).
	 */
	int (*rsa_run)(void *rsa, uint32_t opcode, const uint8_t *in, size_t inlen,
		       const uint8_t *in2, size_t in2len, uint8_t *out, size_t outcap,
		       size_t *outlen);
	void (*rsa_free)(void *rsa);
};

extern const struct vcd_engine_ops vcd_engine_openssl;
extern const struct vcd_engine_ops vcd_engine_afalg;
extern const struct vcd_engine_ops vcd_engine_cryptodev;

/* NULL if no engine has this name. */
const struct vcd_engine_ops *vcd_engine_find(const char *name);

/* Block size and iv length an AES mode needs (shared by every engine). */
int vcd_cipher_check(uint32_t alg, uint32_t keylen);
uint32_t vcd_cipher_iv_len(uint32_t alg);
uint32_t vcd_cipher_block(uint32_t alg);
/*
 * Digest size of a VIRTIO_CRYPTO_HASH_* / MAC_HMAC_* algorithm we serve (MD5,
 * SHA-1, SHA-2), 0 if none.
 */
unsigned int vcd_hash_len(uint32_t alg);

#endif
