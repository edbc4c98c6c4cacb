/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vchat's cryptography provider interface.
 *
 * Every cipher and MAC operation of vchat goes through one provider:
 * "devcrypto" (the cryptodev-linux ABI on /dev/crypto: our guest module, or
 * cryptodev-linux on a host) or "openssl" (libcrypto EVP). Key derivation
 * (PBKDF2, once per session) and random numbers (getrandom) do not go
 * through the provider; the startup line says so.
 */
#ifndef VCHAT_CRYPTO_H
#define VCHAT_CRYPTO_H

#include <stddef.h>
#include <stdint.h>
#include <openssl/types.h>

#define VCHAT_KEY_LEN 32 /* AES-256 key, and HMAC-SHA256 key */
#define VCHAT_IV_LEN 16
#define VCHAT_BLOCK 16
#define VCHAT_MAC_LEN 32
#define VCHAT_SALT_LEN 32 /* SHA-256 of VCHAT_SALT_LABEL, a 0 byte, the room name */
#define VCHAT_SALT_LABEL "vchat/2 room salt"
#define VCHAT_ROOM_MAX 64
#define VCHAT_KDF_ITER 100000

enum vchat_crypto_kind {
	VCHAT_CRYPTO_AUTO,
	VCHAT_CRYPTO_DEVCRYPTO,
	VCHAT_CRYPTO_OPENSSL,
};

struct vchat_crypto;

struct vchat_crypto_ops {
	const char *name;
	/* Sets up sessions for both keys; the provider keeps its own copies. */
	int (*open)(struct vchat_crypto *c, const uint8_t *enc_key, const uint8_t *mac_key);
	/* AES-256-CBC without padding; len is a multiple of 16; in may == out. */
	int (*encrypt)(struct vchat_crypto *c, const uint8_t *iv, const uint8_t *in, uint8_t *out,
		       size_t len);
	int (*decrypt)(struct vchat_crypto *c, const uint8_t *iv, const uint8_t *in, uint8_t *out,
		       size_t len);
	/* HMAC-SHA256 over data into mac[VCHAT_MAC_LEN]. */
	int (*mac)(struct vchat_crypto *c, const uint8_t *data, size_t len, uint8_t *mac);
	/* Frees sessions and wipes keys; safe to call twice. */
	void (*close)(struct vchat_crypto *c);
};

/* One provider instance. Owned by whoever called vchat_crypto_new(). */
struct vchat_crypto {
	const struct vchat_crypto_ops *ops;
	enum vchat_crypto_kind kind;
	char desc[320]; /* what runs where, for the startup line */
	void *priv; /* provider state (freed by ops->close) */
};

/*
 * Creates a provider of the requested kind and keys it. AUTO tries devcrypto
 * when /dev/crypto answers, else openssl; *why is set to a short reason when
 * AUTO fell back. Returns NULL and sets errno-style *err on failure.
 * Free with vchat_crypto_free().
 */
struct vchat_crypto *vchat_crypto_new(enum vchat_crypto_kind kind, const uint8_t *enc_key,
				      const uint8_t *mac_key, int *err, char *why, size_t whylen);
void vchat_crypto_free(struct vchat_crypto *c);
int vchat_crypto_parse_kind(const char *s, enum vchat_crypto_kind *kind);

/*
 * The room key: PBKDF2-HMAC-SHA256 (OpenSSL) of the passphrase with the salt
 * SHA-256(VCHAT_SALT_LABEL || 0 || room), into enc_key || mac_key. Only the
 * members choose its inputs; the server has none.
 */
int vchat_kdf(const char *pass, size_t passlen, const char *room, uint8_t *enc_key,
	      uint8_t *mac_key);

/* Constant-time compare and secret wiping. */
int vchat_ct_equal(const uint8_t *a, const uint8_t *b, size_t n);
void vchat_wipe(void *p, size_t n);

/*
 * HMAC-SHA256 in OpenSSL, for both providers (devcrypto's when the device
 * has none): a template keyed once, duplicated per message.
 */
struct vchat_hmac {
	EVP_MAC *alg;
	EVP_MAC_CTX *ctx;
};

/* Keys h with key[VCHAT_KEY_LEN]; on failure vchat_hmac_close() cleans up. */
int vchat_hmac_open(struct vchat_hmac *h, const uint8_t *key);
/* The MAC of data into mac[VCHAT_MAC_LEN]. */
int vchat_hmac(const struct vchat_hmac *h, const uint8_t *data, size_t len, uint8_t *mac);
/* Frees (and so wipes) the keyed template; safe on a zeroed or closed h. */
void vchat_hmac_close(struct vchat_hmac *h);

/* AES-256-CBC input both providers accept: whole blocks, at most 1 MiB. */
int vchat_cipher_len_ok(size_t len);

extern const struct vchat_crypto_ops vchat_openssl_ops;
extern const struct vchat_crypto_ops vchat_devcrypto_ops;

/* Provider constructors: allocate priv and fill desc; keys come via ops->open. */
int vchat_openssl_init(struct vchat_crypto *c);
int vchat_devcrypto_init(struct vchat_crypto *c);

#endif
