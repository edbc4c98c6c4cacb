// SPDX-License-Identifier: GPL-2.0
/* The openssl provider: AES-256-CBC and HMAC-SHA256 through libcrypto EVP. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/opensslv.h>

#include "vchat_crypto.h"

struct vchat_ossl {
	EVP_CIPHER_CTX *enc;
	EVP_CIPHER_CTX *dec;
	struct vchat_hmac mac;
};

int vchat_openssl_init(struct vchat_crypto *c)
{
	c->priv = calloc(1, sizeof(struct vchat_ossl));
	if (!c->priv)
		return -ENOMEM;
	snprintf(c->desc, sizeof(c->desc), "AES-256-CBC and HMAC-SHA256 via OpenSSL (%s)",
		 OPENSSL_VERSION_TEXT);
	return 0;
}

static int ossl_open(struct vchat_crypto *c, const uint8_t *enc_key, const uint8_t *mac_key)
{
	struct vchat_ossl *o = c->priv;

	o->enc = EVP_CIPHER_CTX_new();
	o->dec = EVP_CIPHER_CTX_new();
	if (!o->enc || !o->dec)
		return -ENOMEM;
	if (!EVP_EncryptInit_ex(o->enc, EVP_aes_256_cbc(), NULL, enc_key, NULL) ||
	    !EVP_DecryptInit_ex(o->dec, EVP_aes_256_cbc(), NULL, enc_key, NULL))
		return -EIO;
	EVP_CIPHER_CTX_set_padding(o->enc, 0);
	EVP_CIPHER_CTX_set_padding(o->dec, 0);
	return vchat_hmac_open(&o->mac, mac_key);
}

static int ossl_cipher(EVP_CIPHER_CTX *ctx, const uint8_t *iv, const uint8_t *in, uint8_t *out,
		       size_t len)
{
	int n = 0, m = 0;

	if (!vchat_cipher_len_ok(len))
		return -EINVAL;
	if (!EVP_CipherInit_ex(ctx, NULL, NULL, NULL, iv, -1) ||
	    !EVP_CipherUpdate(ctx, out, &n, in, (int)len) ||
	    !EVP_CipherFinal_ex(ctx, out + n, &m) || (size_t)(n + m) != len)
		return -EIO;
	return 0;
}

static int ossl_encrypt(struct vchat_crypto *c, const uint8_t *iv, const uint8_t *in, uint8_t *out,
			size_t len)
{
	return ossl_cipher(((struct vchat_ossl *)c->priv)->enc, iv, in, out, len);
}

static int ossl_decrypt(struct vchat_crypto *c, const uint8_t *iv, const uint8_t *in, uint8_t *out,
			size_t len)
{
	return ossl_cipher(((struct vchat_ossl *)c->priv)->dec, iv, in, out, len);
}

static int ossl_mac(struct vchat_crypto *c, const uint8_t *data, size_t len, uint8_t *mac)
{
	return vchat_hmac(&((struct vchat_ossl *)c->priv)->mac, data, len, mac);
}

static void ossl_close(struct vchat_crypto *c)
{
	struct vchat_ossl *o = c->priv;

	if (!o)
		return;
	/* EVP_*_free clean the key schedules they hold. */
	EVP_CIPHER_CTX_free(o->enc);
	EVP_CIPHER_CTX_free(o->dec);
	vchat_hmac_close(&o->mac);
	free(o);
	c->priv = NULL;
}

const struct vchat_crypto_ops vchat_openssl_ops = {
	.name = "openssl",
	.open = ossl_open,
	.encrypt = ossl_encrypt,
	.decrypt = ossl_decrypt,
	.mac = ossl_mac,
	.close = ossl_close,
};
