// SPDX-License-Identifier: MIT
/* Signed header and .sig container: encoding, parsing, signing, verifying. */
#include <errno.h>
#include <string.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/crypto.h>

#include <vcrypto/vmmcall.h>
#include "vsig.h"

static void put_be64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

static uint64_t get_be64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

static size_t sig_len_for(int alg)
{
	switch (alg) {
	case VSIG_ALG_ED25519:
		return 64;
	case VSIG_ALG_RSA3072:
		return 384;
	}
	return 0;
}

size_t vsig_file_size(int alg)
{
	size_t n = sig_len_for(alg);

	return n ? VSIG_FIXED_SIZE + n : 0;
}

int vsig_name_valid(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > VSIG_NAME_MAX)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return 0;
	}
	return 1;
}

int vsig_header_encode(const struct vsig_header *h, uint8_t out[VSIG_HDR_SIZE])
{
	if (!vsig_name_valid(h->name))
		return -EINVAL;
	memset(out, 0, VSIG_HDR_SIZE);
	memcpy(out, VSIG_HDR_MAGIC, 4);
	out[5] = VSIG_FORMAT_VERSION;
	memcpy(out + 8, VSIG_CONTEXT, strlen(VSIG_CONTEXT));
	memcpy(out + 40, h->name, strlen(h->name));
	put_be64(out + 72, h->version);
	put_be64(out + 80, h->image_len);
	memcpy(out + 88, h->sha256, 32);
	return 0;
}

int vsig_header_decode(const uint8_t in[VSIG_HDR_SIZE], struct vsig_header *h)
{
	uint8_t ctx[32] = {0};
	size_t n;

	memset(h, 0, sizeof(*h));
	memcpy(ctx, VSIG_CONTEXT, strlen(VSIG_CONTEXT));
	if (memcmp(in, VSIG_HDR_MAGIC, 4) || in[4] != 0 || in[5] != VSIG_FORMAT_VERSION || in[6] ||
	    in[7])
		return -VMM_E_HDR_BAD;
	if (memcmp(in + 8, ctx, 32))
		return -VMM_E_HDR_BAD;
	n = strnlen((const char *)in + 40, 32);
	if (n == 0 || n > VSIG_NAME_MAX)
		return -VMM_E_HDR_BAD;
	for (size_t i = n; i < 32; i++)
		if (in[40 + i])
			return -VMM_E_HDR_BAD;
	memcpy(h->name, in + 40, n);
	h->name[n] = 0;
	if (!vsig_name_valid(h->name))
		return -VMM_E_HDR_BAD;
	h->version = get_be64(in + 72);
	h->image_len = get_be64(in + 80);
	memcpy(h->sha256, in + 88, 32);
	return 0;
}

int vsig_parse(const uint8_t *buf, size_t len, struct vsig *s)
{
	size_t want;
	int ret;

	memset(s, 0, sizeof(*s));
	if (len == 0)
		return -VMM_E_SIG_EMPTY;
	if (len > VMM_MAX_SIG)
		return -VMM_E_SIG_TOOBIG;
	if (len < 8)
		return -VMM_E_SIG_TRUNC;
	if (memcmp(buf, VSIG_FILE_MAGIC, 4) || buf[4] != VSIG_FORMAT_VERSION || buf[6] || buf[7])
		return -VMM_E_SIG_FORMAT;
	want = vsig_file_size(buf[5]);
	if (!want)
		return -VMM_E_SIG_FORMAT;
	if (len < VSIG_FIXED_SIZE)
		return -VMM_E_SIG_TRUNC;
	s->alg = buf[5];
	s->sig_len = (uint16_t)(buf[160] << 8 | buf[161]);
	if (s->sig_len != sig_len_for(s->alg))
		return -VMM_E_SIG_FORMAT;
	if (len < want)
		return -VMM_E_SIG_TRUNC;
	if (len > want)
		return -VMM_E_SIG_FORMAT;
	memcpy(s->hdr_raw, buf + 8, VSIG_HDR_SIZE);
	ret = vsig_header_decode(s->hdr_raw, &s->hdr);
	if (ret)
		return ret;
	memcpy(s->keyid, buf + 128, VSIG_KEYID_SIZE);
	memcpy(s->sig, buf + VSIG_FIXED_SIZE, s->sig_len);
	return 0;
}

long vsig_encode(const struct vsig *s, uint8_t *out, size_t cap)
{
	size_t want = vsig_file_size(s->alg);

	if (!want || s->sig_len != sig_len_for(s->alg))
		return -EINVAL;
	if (cap < want)
		return -ENOSPC;
	memcpy(out, VSIG_FILE_MAGIC, 4);
	out[4] = VSIG_FORMAT_VERSION;
	out[5] = s->alg;
	out[6] = out[7] = 0;
	memcpy(out + 8, s->hdr_raw, VSIG_HDR_SIZE);
	memcpy(out + 128, s->keyid, VSIG_KEYID_SIZE);
	out[160] = s->sig_len >> 8;
	out[161] = s->sig_len & 0xff;
	memcpy(out + VSIG_FIXED_SIZE, s->sig, s->sig_len);
	return (long)want;
}

int vsig_key_alg(EVP_PKEY *key)
{
	switch (EVP_PKEY_get_base_id(key)) {
	case EVP_PKEY_ED25519:
		return VSIG_ALG_ED25519;
	case EVP_PKEY_RSA:
		return EVP_PKEY_get_bits(key) == 3072 ? VSIG_ALG_RSA3072 : -EOPNOTSUPP;
	}
	return -EOPNOTSUPP;
}

int vsig_sha256(const uint8_t *data, size_t len, uint8_t out[32])
{
	unsigned int n = 32;

	return EVP_Digest(data, len, out, &n, EVP_sha256(), NULL) == 1 ? 0 : -EIO;
}

int vsig_keyid(EVP_PKEY *key, uint8_t out[VSIG_KEYID_SIZE])
{
	unsigned char *der = NULL;
	int n = i2d_PUBKEY(key, &der);
	int ret;

	if (n <= 0)
		return -EINVAL;
	ret = vsig_sha256(der, (size_t)n, out);
	OPENSSL_free(der);
	return ret;
}

/* Digest context for this key's scheme: Ed25519 pure, or RSA-PSS/SHA-256. */
static EVP_MD_CTX *md_ctx_for(EVP_PKEY *key, int alg, int sign)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;
	const EVP_MD *dg = alg == VSIG_ALG_RSA3072 ? EVP_sha256() : NULL;
	int ok;

	if (!md)
		return NULL;
	if (sign)
		ok = EVP_DigestSignInit(md, &pctx, dg, NULL, key) == 1;
	else
		ok = EVP_DigestVerifyInit(md, &pctx, dg, NULL, key) == 1;
	if (ok && alg == VSIG_ALG_RSA3072)
		ok = EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
		     EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, 32) == 1 &&
		     EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha256()) == 1;
	if (!ok) {
		EVP_MD_CTX_free(md);
		return NULL;
	}
	return md;
}

int vsig_sign(EVP_PKEY *key, struct vsig *s)
{
	int alg = vsig_key_alg(key);
	EVP_MD_CTX *md;
	size_t n = sizeof(s->sig);
	int ret = 0;

	if (alg < 0)
		return alg;
	ret = vsig_keyid(key, s->keyid);
	if (ret)
		return ret;
	md = md_ctx_for(key, alg, 1);
	if (!md)
		return -EIO;
	if (EVP_DigestSign(md, s->sig, &n, s->hdr_raw, VSIG_HDR_SIZE) != 1 || n != sig_len_for(alg))
		ret = -EIO;
	EVP_MD_CTX_free(md);
	s->alg = (uint8_t)alg;
	s->sig_len = (uint16_t)n;
	return ret;
}

int vsig_verify(EVP_PKEY *pub, const struct vsig *s)
{
	EVP_MD_CTX *md;
	int ret;

	if (vsig_key_alg(pub) != s->alg)
		return -VMM_E_SIG_KEY;
	md = md_ctx_for(pub, s->alg, 0);
	if (!md)
		return -VMM_E_INTERNAL;
	ret = EVP_DigestVerify(md, s->sig, s->sig_len, s->hdr_raw, VSIG_HDR_SIZE) == 1
		      ? 0
		      : -VMM_E_SIG_BAD;
	EVP_MD_CTX_free(md);
	return ret;
}

int vsig_check_digest(const struct vsig *s, size_t len, const uint8_t sha256[32])
{
	if (s->hdr.image_len != len)
		return -VMM_E_IMG_LEN;
	if (CRYPTO_memcmp(sha256, s->hdr.sha256, 32))
		return -VMM_E_IMG_HASH;
	return 0;
}

int vsig_check_image(const struct vsig *s, const uint8_t *img, size_t len)
{
	uint8_t h[32];

	if (s->hdr.image_len != len)
		return -VMM_E_IMG_LEN;
	if (vsig_sha256(img, len, h))
		return -VMM_E_INTERNAL;
	return vsig_check_digest(s, len, h);
}
