// SPDX-License-Identifier: GPL-2.0
/* Provider selection, key derivation and helpers shared by the providers. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>

#include "vchat_crypto.h"

void vchat_wipe(void *p, size_t n)
{
	if (p)
		explicit_bzero(p, n);
}

int vchat_ct_equal(const uint8_t *a, const uint8_t *b, size_t n)
{
	uint8_t d = 0;
	size_t i;

	for (i = 0; i < n; i++)
		d |= a[i] ^ b[i];
	return d == 0;
}

int vchat_hmac_open(struct vchat_hmac *h, const uint8_t *key)
{
	OSSL_PARAM params[2];

	h->alg = EVP_MAC_fetch(NULL, "HMAC", NULL);
	if (!h->alg)
		return -ENOSYS;
	h->ctx = EVP_MAC_CTX_new(h->alg);
	if (!h->ctx)
		return -ENOMEM;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0);
	params[1] = OSSL_PARAM_construct_end();
	if (!EVP_MAC_init(h->ctx, key, VCHAT_KEY_LEN, params))
		return -EIO;
	return 0;
}

int vchat_hmac(const struct vchat_hmac *h, const uint8_t *data, size_t len, uint8_t *mac)
{
	EVP_MAC_CTX *m;
	size_t outl = 0;
	int ret = -EIO;

	m = EVP_MAC_CTX_dup(h->ctx);
	if (!m)
		return -ENOMEM;
	if (EVP_MAC_update(m, data, len) && EVP_MAC_final(m, mac, &outl, VCHAT_MAC_LEN) &&
	    outl == VCHAT_MAC_LEN)
		ret = 0;
	EVP_MAC_CTX_free(m);
	return ret;
}

void vchat_hmac_close(struct vchat_hmac *h)
{
	EVP_MAC_CTX_free(h->ctx);
	EVP_MAC_free(h->alg);
	h->ctx = NULL;
	h->alg = NULL;
}

int vchat_cipher_len_ok(size_t len)
{
	return len % VCHAT_BLOCK == 0 && len <= 1 << 20;
}

int vchat_crypto_parse_kind(const char *s, enum vchat_crypto_kind *kind)
{
	if (!strcmp(s, "auto"))
		*kind = VCHAT_CRYPTO_AUTO;
	else if (!strcmp(s, "devcrypto"))
		*kind = VCHAT_CRYPTO_DEVCRYPTO;
	else if (!strcmp(s, "openssl"))
		*kind = VCHAT_CRYPTO_OPENSSL;
	else
		return -EINVAL;
	return 0;
}

int vchat_kdf(const char *pass, size_t passlen, const char *room, uint8_t *enc_key,
	      uint8_t *mac_key)
{
	uint8_t in[sizeof(VCHAT_SALT_LABEL) + VCHAT_ROOM_MAX], salt[VCHAT_SALT_LEN];
	uint8_t out[2 * VCHAT_KEY_LEN];
	size_t rl = strlen(room);

	if (rl > VCHAT_ROOM_MAX)
		return -EINVAL;
	/* sizeof includes the label's terminating 0: the separator. */
	memcpy(in, VCHAT_SALT_LABEL, sizeof(VCHAT_SALT_LABEL));
	memcpy(in + sizeof(VCHAT_SALT_LABEL), room, rl);
	if (!EVP_Digest(in, sizeof(VCHAT_SALT_LABEL) + rl, salt, NULL, EVP_sha256(), NULL))
		return -EIO;
	if (!PKCS5_PBKDF2_HMAC(pass, (int)passlen, salt, sizeof(salt), VCHAT_KDF_ITER, EVP_sha256(),
			       sizeof(out), out))
		return -EIO;
	memcpy(enc_key, out, VCHAT_KEY_LEN);
	memcpy(mac_key, out + VCHAT_KEY_LEN, VCHAT_KEY_LEN);
	vchat_wipe(out, sizeof(out));
	return 0;
}

static struct vchat_crypto *crypto_try(const struct vchat_crypto_ops *ops,
				       enum vchat_crypto_kind kind, const uint8_t *enc_key,
				       const uint8_t *mac_key, int *err)
{
	struct vchat_crypto *c;
	int ret;

	c = calloc(1, sizeof(*c));
	if (!c) {
		*err = -ENOMEM;
		return NULL;
	}
	c->ops = ops;
	c->kind = kind;
	ret = kind == VCHAT_CRYPTO_DEVCRYPTO ? vchat_devcrypto_init(c) : vchat_openssl_init(c);
	if (ret)
		goto err_free;
	ret = ops->open(c, enc_key, mac_key);
	if (ret)
		goto err_close;
	return c;

err_close:
	ops->close(c);
err_free:
	free(c);
	*err = ret;
	return NULL;
}

struct vchat_crypto *vchat_crypto_new(enum vchat_crypto_kind kind, const uint8_t *enc_key,
				      const uint8_t *mac_key, int *err, char *why, size_t whylen)
{
	struct vchat_crypto *c;

	if (why && whylen)
		why[0] = 0;
	switch (kind) {
	case VCHAT_CRYPTO_DEVCRYPTO:
		return crypto_try(&vchat_devcrypto_ops, kind, enc_key, mac_key, err);
	case VCHAT_CRYPTO_OPENSSL:
		return crypto_try(&vchat_openssl_ops, kind, enc_key, mac_key, err);
	case VCHAT_CRYPTO_AUTO:
		c = crypto_try(&vchat_devcrypto_ops, VCHAT_CRYPTO_DEVCRYPTO, enc_key, mac_key, err);
		if (c)
			return c;
		if (why && whylen)
			snprintf(why, whylen, "devcrypto unavailable: %s", strerror(-*err));
		return crypto_try(&vchat_openssl_ops, VCHAT_CRYPTO_OPENSSL, enc_key, mac_key, err);
	}
	*err = -EINVAL;
	return NULL;
}

void vchat_crypto_free(struct vchat_crypto *c)
{
	if (!c)
		return;
	c->ops->close(c);
	free(c);
}
