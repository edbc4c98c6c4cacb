// SPDX-License-Identifier: MIT
/* OpenSSL 3 EVP engine: AES modes, MD5/SHA digests and HMAC, RSA. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <linux/virtio_crypto.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "engine.h"

struct vcd_engine {
	int unused;
};

struct ossl_cipher {
	EVP_CIPHER_CTX *ctx;
	uint32_t alg;
};

struct ossl_mac {
	EVP_MAC_CTX *mac; /* HMAC */
	EVP_MD_CTX *md; /* plain digest */
	const EVP_MD *type;
	unsigned int dlen;
};

struct ossl_rsa {
	EVP_PKEY *pkey;
	EVP_PKEY_CTX *ctx;
	uint32_t keytype, padding;
	const EVP_MD *md;
};

static int ossl_open(struct vcd_engine **out)
{
	*out = calloc(1, sizeof(**out));
	return *out ? 0 : -ENOMEM;
}

static void ossl_close(struct vcd_engine *e)
{
	free(e);
}

static const EVP_CIPHER *cipher_type(uint32_t alg, uint32_t keylen)
{
	switch (alg) {
	case VIRTIO_CRYPTO_CIPHER_AES_ECB:
		return keylen == 16   ? EVP_aes_128_ecb()
		       : keylen == 24 ? EVP_aes_192_ecb()
				      : EVP_aes_256_ecb();
	case VIRTIO_CRYPTO_CIPHER_AES_CBC:
		return keylen == 16   ? EVP_aes_128_cbc()
		       : keylen == 24 ? EVP_aes_192_cbc()
				      : EVP_aes_256_cbc();
	case VIRTIO_CRYPTO_CIPHER_AES_CTR:
		return keylen == 16   ? EVP_aes_128_ctr()
		       : keylen == 24 ? EVP_aes_192_ctr()
				      : EVP_aes_256_ctr();
	case VIRTIO_CRYPTO_CIPHER_AES_XTS:
		return keylen == 32 ? EVP_aes_128_xts() : EVP_aes_256_xts();
	}
	return NULL;
}

static void ossl_cipher_free(void *p)
{
	struct ossl_cipher *c = p;

	if (!c)
		return;
	EVP_CIPHER_CTX_free(c->ctx); /* cleanses the key schedule */
	free(c);
}

static int ossl_cipher_new(struct vcd_engine *e, uint32_t alg, const uint8_t *key, uint32_t keylen,
			   bool encrypt, void **out)
{
	struct ossl_cipher *c;
	unsigned int no_pad = 0;
	OSSL_PARAM params[2];
	int ret = vcd_cipher_check(alg, keylen);

	if (ret)
		return ret;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->alg = alg;
	c->ctx = EVP_CIPHER_CTX_new();
	/*
	 * No padding, given to the provider with the key rather than through
	 * EVP_CIPHER_CTX_set_padding(): OpenSSL 3.0 sends a flag set that way
	 * to the provider again on every re-init (a parameter lookup by name),
	 * which at 64 B cost as much as the AES itself.
	 */
	params[0] = OSSL_PARAM_construct_uint(OSSL_CIPHER_PARAM_PADDING, &no_pad);
	params[1] = OSSL_PARAM_construct_end();
	if (!c->ctx ||
	    !EVP_CipherInit_ex2(c->ctx, cipher_type(alg, keylen), key, NULL, encrypt, params)) {
		ossl_cipher_free(c);
		return -EINVAL; /* e.g. XTS with equal key halves */
	}
	*out = c;
	return 0;
}

static int ossl_cipher_run(void *p, const uint8_t *iv, uint32_t ivlen, const uint8_t *in,
			   uint8_t *out, size_t len)
{
	struct ossl_cipher *c = p;
	int n = 0;

	if (len > INT32_MAX || ivlen != vcd_cipher_iv_len(c->alg))
		return -EINVAL;
	/*
	 * Without padding, a whole-block input (or any for CTR, one XTS unit)
	 * comes out of the one update; a final call would add nothing, so none
	 * is made: all that is checked is that every byte came out.
	 */
	if (!EVP_CipherInit_ex(c->ctx, NULL, NULL, NULL, ivlen ? iv : NULL, -1) ||
	    !EVP_CipherUpdate(c->ctx, out, &n, in, (int)len) || (size_t)n != len)
		return -EINVAL;
	return 0;
}

/* VIRTIO_CRYPTO_HASH_* and MAC_HMAC_* share their numbers. */
static const EVP_MD *md_type(uint32_t alg)
{
	switch (alg) {
	case VIRTIO_CRYPTO_HASH_MD5:
		return EVP_md5(); /* in OpenSSL 3's default provider */
	case VIRTIO_CRYPTO_HASH_SHA1:
		return EVP_sha1();
	case VIRTIO_CRYPTO_HASH_SHA_224:
		return EVP_sha224();
	case VIRTIO_CRYPTO_HASH_SHA_256:
		return EVP_sha256();
	case VIRTIO_CRYPTO_HASH_SHA_384:
		return EVP_sha384();
	case VIRTIO_CRYPTO_HASH_SHA_512:
		return EVP_sha512();
	}
	return NULL;
}

static void ossl_mac_free(void *p)
{
	struct ossl_mac *m = p;

	if (!m)
		return;
	EVP_MAC_CTX_free(m->mac);
	EVP_MD_CTX_free(m->md);
	free(m);
}

static int ossl_mac_new(struct vcd_engine *e, uint32_t alg, const uint8_t *key, uint32_t keylen,
			void **out, unsigned int *dlen)
{
	const EVP_MD *md = md_type(alg);
	struct ossl_mac *m;

	if (!md)
		return -ENOTSUP;
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->type = md;
	m->dlen = (unsigned int)EVP_MD_get_size(md);
	if (key) {
		EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
		OSSL_PARAM params[2];
		int ok;

		params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
							     (char *)EVP_MD_get0_name(md), 0);
		params[1] = OSSL_PARAM_construct_end();
		m->mac = mac ? EVP_MAC_CTX_new(mac) : NULL;
		EVP_MAC_free(mac);
		/* HMAC with an empty key is valid; OpenSSL wants a non-NULL one. */
		ok = m->mac &&
		     EVP_MAC_init(m->mac, keylen ? key : (const uint8_t *)"", keylen, params);
		if (!ok) {
			ossl_mac_free(m);
			return -EIO;
		}
	} else {
		m->md = EVP_MD_CTX_new();
		if (!m->md) {
			ossl_mac_free(m);
			return -ENOMEM;
		}
	}
	*dlen = m->dlen;
	*out = m;
	return 0;
}

static int ossl_mac_run(void *p, const uint8_t *a, size_t alen, const uint8_t *b, size_t blen,
			uint8_t *digest)
{
	struct ossl_mac *m = p;
	size_t n = 0;
	unsigned int un = 0;

	if (m->mac) {
		/* NULL key: restart with the key given at creation. */
		if (!EVP_MAC_init(m->mac, NULL, 0, NULL) || !EVP_MAC_update(m->mac, a, alen) ||
		    !EVP_MAC_update(m->mac, b, blen) ||
		    !EVP_MAC_final(m->mac, digest, &n, m->dlen) || n != m->dlen)
			return -EIO;
		return 0;
	}
	if (!EVP_DigestInit_ex(m->md, m->type, NULL) || !EVP_DigestUpdate(m->md, a, alen) ||
	    !EVP_DigestUpdate(m->md, b, blen) || !EVP_DigestFinal_ex(m->md, digest, &un) ||
	    un != m->dlen)
		return -EIO;
	return 0;
}

static const EVP_MD *rsa_md(uint32_t hash, int *ok)
{
	*ok = 1;
	switch (hash) {
	case VIRTIO_CRYPTO_RSA_NO_HASH:
		return NULL;
	case VIRTIO_CRYPTO_RSA_MD5:
		return EVP_md5();
	case VIRTIO_CRYPTO_RSA_SHA1:
		return EVP_sha1();
	case VIRTIO_CRYPTO_RSA_SHA224:
		return EVP_sha224();
	case VIRTIO_CRYPTO_RSA_SHA256:
		return EVP_sha256();
	case VIRTIO_CRYPTO_RSA_SHA384:
		return EVP_sha384();
	case VIRTIO_CRYPTO_RSA_SHA512:
		return EVP_sha512();
	}
	*ok = 0;
	return NULL;
}

static void ossl_rsa_free(void *p)
{
	struct ossl_rsa *r = p;

	if (!r)
		return;
	EVP_PKEY_CTX_free(r->ctx);
	EVP_PKEY_free(r->pkey); /* OpenSSL clears private key bignums */
	free(r);
}

static int ossl_rsa_new(struct vcd_engine *e, uint32_t keytype, const uint8_t *der, uint32_t derlen,
			uint32_t padding, uint32_t hash, void **out)
{
	const unsigned char *pp = der;
	struct ossl_rsa *r;
	int ok;

	if (padding != VIRTIO_CRYPTO_RSA_RAW_PADDING && padding != VIRTIO_CRYPTO_RSA_PKCS1_PADDING)
		return -ENOTSUP;
	if (keytype != VIRTIO_CRYPTO_AKCIPHER_KEY_TYPE_PUBLIC &&
	    keytype != VIRTIO_CRYPTO_AKCIPHER_KEY_TYPE_PRIVATE)
		return -EINVAL;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->md = rsa_md(hash, &ok);
	if (!ok) {
		free(r);
		return -ENOTSUP;
	}
	r->keytype = keytype;
	r->padding = padding;
	if (keytype == VIRTIO_CRYPTO_AKCIPHER_KEY_TYPE_PRIVATE)
		r->pkey = d2i_PrivateKey(EVP_PKEY_RSA, NULL, &pp, derlen);
	else
		r->pkey = d2i_PublicKey(EVP_PKEY_RSA, NULL, &pp, derlen);
	if (!r->pkey || pp != der + derlen) {
		ossl_rsa_free(r);
		return -EINVAL;
	}
	r->ctx = EVP_PKEY_CTX_new(r->pkey, NULL);
	if (!r->ctx) {
		ossl_rsa_free(r);
		return -ENOMEM;
	}
	*out = r;
	return 0;
}

static int ossl_rsa_run(void *p, uint32_t opcode, const uint8_t *in, size_t inlen,
			const uint8_t *in2, size_t in2len, uint8_t *out, size_t outcap,
			size_t *outlen)
{
	struct ossl_rsa *r = p;
	int pad =
		r->padding == VIRTIO_CRYPTO_RSA_PKCS1_PADDING ? RSA_PKCS1_PADDING : RSA_NO_PADDING;
	bool priv = r->keytype == VIRTIO_CRYPTO_AKCIPHER_KEY_TYPE_PRIVATE;
	size_t n = outcap;
	int ok;

	switch (opcode) {
	case VIRTIO_CRYPTO_AKCIPHER_ENCRYPT:
		ok = EVP_PKEY_encrypt_init(r->ctx) > 0 &&
		     EVP_PKEY_CTX_set_rsa_padding(r->ctx, pad) > 0 &&
		     EVP_PKEY_encrypt(r->ctx, out, &n, in, inlen) > 0;
		break;
	case VIRTIO_CRYPTO_AKCIPHER_DECRYPT: {
		/* OpenSSL wants room for a modulus; the plaintext may be shorter. */
		size_t msize = (size_t)EVP_PKEY_get_size(r->pkey);
		uint8_t *tmp;

		if (!priv)
			return -EINVAL;
		tmp = malloc(msize);
		if (!tmp)
			return -ENOMEM;
		n = msize;
		ok = EVP_PKEY_decrypt_init(r->ctx) > 0 &&
		     EVP_PKEY_CTX_set_rsa_padding(r->ctx, pad) > 0 &&
		     EVP_PKEY_decrypt(r->ctx, tmp, &n, in, inlen) > 0 && n <= outcap;
		if (ok)
			memcpy(out, tmp, n);
		OPENSSL_cleanse(tmp, msize);
		free(tmp);
		break;
	}
	case VIRTIO_CRYPTO_AKCIPHER_SIGN:
		if (!priv)
			return -EINVAL;
		ok = EVP_PKEY_sign_init(r->ctx) > 0 &&
		     EVP_PKEY_CTX_set_rsa_padding(r->ctx, pad) > 0 &&
		     (!r->md || pad == RSA_NO_PADDING ||
		      EVP_PKEY_CTX_set_signature_md(r->ctx, r->md) > 0) &&
		     EVP_PKEY_sign(r->ctx, out, &n, in, inlen) > 0;
		break;
	case VIRTIO_CRYPTO_AKCIPHER_VERIFY:
		if (EVP_PKEY_verify_init(r->ctx) <= 0 ||
		    EVP_PKEY_CTX_set_rsa_padding(r->ctx, pad) <= 0 ||
		    (r->md && pad != RSA_NO_PADDING &&
		     EVP_PKEY_CTX_set_signature_md(r->ctx, r->md) <= 0))
			return -EIO;
		if (EVP_PKEY_verify(r->ctx, in, inlen, in2, in2len) != 1)
			return -EKEYREJECTED;
		*outlen = 0;
		return 0;
	default:
		return -ENOTSUP;
	}
	if (!ok)
		return -EINVAL;
	*outlen = n;
	return 0;
}

const struct vcd_engine_ops vcd_engine_openssl = {
	.name = "openssl",
	.open = ossl_open,
	.close = ossl_close,
	.cipher_new = ossl_cipher_new,
	.cipher_run = ossl_cipher_run,
	.cipher_free = ossl_cipher_free,
	.mac_new = ossl_mac_new,
	.mac_run = ossl_mac_run,
	.mac_free = ossl_mac_free,
	.rsa_new = ossl_rsa_new,
	.rsa_run = ossl_rsa_run,
	.rsa_free = ossl_rsa_free,
};
