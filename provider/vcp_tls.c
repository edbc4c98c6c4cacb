/*
 * AES-128/256-CBC-HMAC-SHA1/SHA256: the composite ciphers libssl (OpenSSL
 * 3.0) fetches first for TLS 1.0-1.2 MAC-then-encrypt suites when
 * encrypt-then-MAC is not negotiated.  The context takes the MAC key
 * (AEAD_MAC_KEY) and, per record, the 13-byte TLS header (AEAD_TLS1_AAD,
 * answering with the bytes the record grows by); one update then MACs,
 * pads and encrypts a record, or decrypts it and checks padding and MAC.
 * Without a header an update is plain CBC on whole blocks.
 *
 * cryptodev's CIOCAUTHCRYPT TLS mode cannot serve libssl's records: it
 * MACs a header the caller gives before decrypting (libssl's header
 * carries the ciphertext length, the MAC covers the plaintext length),
 * and TLS 1.1+'s explicit IV block is encrypted but not MACed.  So a
 * record is two device requests on two sessions: HMAC of header ||
 * payload, and AES-CBC over the record.  Decrypting, the padding and the
 * MAC are checked here without branches on the record's bytes, and a
 * second (discarded) HMAC request over the padding's length keeps the
 * device's work independent of the padding.  Records shorter than
 * min_offload run in the default provider's implementation.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/prov_ssl.h>

#include "crypto/cryptodev.h"
#include "vcp.h"

#define VCP_TLS_CHUNK (256U << 10) /* bytes per CBC request */
#define VCP_TLS_AAD 13 /* seq(8) type(1) version(2) length(2) */

struct vcp_talg {
	const char *names;
	size_t keylen;
	int cbc; /* index into vcp_cipher_ok (vcp_cipher.c's table) */
	int dig; /* index into vcp_digests */
};

static const struct vcp_talg vcp_talgs[] = {
	{"AES-128-CBC-HMAC-SHA1", 16, 3, 0},
	{"AES-256-CBC-HMAC-SHA1", 32, 5, 0},
	{"AES-128-CBC-HMAC-SHA256", 16, 3, 2},
	{"AES-256-CBC-HMAC-SHA256", 32, 5, 2},
};
#define VCP_NTALGS (sizeof(vcp_talgs) / sizeof(vcp_talgs[0]))

struct vcp_tctx {
	const struct vcp_talg *a;
	size_t md; /* MAC (digest) size */
	int enc, key_set, iv_set, mackey_set;
	uint8_t key[32];
	uint8_t mackey[CRYPTO_HMAC_MAX_KEY_LEN];
	size_t mackeylen;
	uint8_t oiv[16], iv[16];
	unsigned int tlsver; /* OSSL_CIPHER_PARAM_TLS_VERSION; 0: not set */
	int aad_set; /* a header is waiting for its record */
	uint8_t aad[VCP_TLS_AAD];
	size_t plen; /* encrypting: payload length (with explicit IV) */
	size_t aad_pad;
	int fd, have_cbc, have_mac;
	uint32_t cbc_ses, mac_ses;
	pid_t pid;
	EVP_CIPHER_CTX *sw; /* the default provider's, kept in step; may be NULL */
	int sw_rec; /* the next record / update goes to sw */
};

/* ---- sessions: a CBC one (key) and an HMAC one (MAC key) ---- */

static void vcp_tctx_drop(struct vcp_tctx *c, int cbc, int mac)
{
	int mine = c->pid == vcp_getpid(); /* a pre-fork session is the parent's */

	if (cbc && c->have_cbc) {
		if (mine)
			vcp_sess_free(c->fd, c->cbc_ses);
		c->have_cbc = 0;
	}
	if (mac && c->have_mac) {
		if (mine)
			vcp_sess_free(c->fd, c->mac_ses);
		c->have_mac = 0;
	}
}

static int vcp_tctx_ses(struct vcp_tctx *c, int mac)
{
	const struct vcp_digest_alg *d = &vcp_digests[c->a->dig];
	int r;

	if (c->pid != vcp_getpid()) {
		c->have_cbc = c->have_mac = 0;
		c->fd = vcp_fd();
		c->pid = vcp_getpid();
	}
	if (!c->have_cbc) {
		r = vcp_sess_new(c->fd, CRYPTO_AES_CBC, c->key, c->a->keylen, 0, NULL, 0,
				 &c->cbc_ses);
		if (r) {
			vcp_err(VCP_R_DEVICE, "CIOCGSESSION AES-CBC for %s: %s", c->a->names,
				strerror(-r));
			return 0;
		}
		c->have_cbc = 1;
	}
	if (mac && !c->have_mac) {
		/* an empty HMAC key equals one zero byte; the device wants one */
		static const uint8_t zero;

		r = vcp_sess_new(c->fd, 0, NULL, 0, d->cdev_hmac, c->mackeylen ? c->mackey : &zero,
				 c->mackeylen ? c->mackeylen : 1, &c->mac_ses);
		if (r) {
			vcp_err(VCP_R_DEVICE, "CIOCGSESSION HMAC-%s for %s: %s", d->swname,
				c->a->names, strerror(-r));
			return 0;
		}
		c->have_mac = 1;
	}
	return 1;
}

/* CBC over len bytes (whole blocks) on the device; c->iv chains. */
static int vcp_tcbc(struct vcp_tctx *c, const uint8_t *in, uint8_t *out, size_t len)
{
	size_t n;
	int r;

	while (len) {
		n = len < VCP_TLS_CHUNK ? len : VCP_TLS_CHUNK;
		r = vcp_crypt(c->fd, c->cbc_ses, c->enc ? COP_ENCRYPT : COP_DECRYPT, in, out, n,
			      c->iv, COP_FLAG_WRITE_IV, NULL);
		if (r) {
			vcp_err(VCP_R_DEVICE, "CIOCCRYPT AES-CBC for %s (%zu bytes): %s",
				c->a->names, n, strerror(-r));
			return 0;
		}
		in += n;
		out += n;
		len -= n;
	}
	return 1;
}

/* One-shot HMAC of len bytes on the device (flags 0: reset and final). */
static int vcp_thmac(struct vcp_tctx *c, const uint8_t *in, size_t len, uint8_t *mac)
{
	int r = vcp_crypt(c->fd, c->mac_ses, COP_ENCRYPT, in, NULL, len, NULL, 0, mac);

	if (r)
		vcp_err(VCP_R_DEVICE, "CIOCCRYPT HMAC for %s (%zu bytes): %s", c->a->names, len,
			strerror(-r));
	return !r;
}

/* ---- one record (or plain CBC) on the device ---- */

static int vcp_tls_seal(struct vcp_tctx *c, uint8_t *out, const uint8_t *in, size_t len)
{
	size_t plen = c->plen, ivl = 0, i;
	uint8_t mac[HASH_MAX_LEN], *m;
	int ok;

	if (len != ((plen + c->md + 16) & ~(size_t)15)) {
		vcp_err(VCP_R_BAD_INPUT, "%s: a %zu-byte record does not fit a %zu-byte payload",
			c->a->names, len, plen);
		return 0;
	}
	if ((c->aad[9] << 8 | c->aad[10]) >= TLS1_1_VERSION)
		ivl = 16; /* explicit IV: encrypted, not MACed */
	m = malloc(VCP_TLS_AAD + plen - ivl);
	if (!m)
		return 0;
	memcpy(m, c->aad, VCP_TLS_AAD);
	memcpy(m + VCP_TLS_AAD, in + ivl, plen - ivl);
	ok = vcp_thmac(c, m, VCP_TLS_AAD + plen - ivl, mac);
	OPENSSL_clear_free(m, VCP_TLS_AAD + plen - ivl);
	if (!ok)
		return 0;
	memmove(out, in, plen);
	memcpy(out + plen, mac, c->md);
	for (i = plen + c->md; i < len; i++) /* pad bytes and length: len - plen - md - 1 */
		out[i] = (uint8_t)(len - plen - c->md - 1);
	OPENSSL_cleanse(mac, sizeof(mac));
	return vcp_tcbc(c, out, out, len);
}

/*
 * out holds a decrypted record of len bytes.  Padding and MAC are checked
 * without branches on its bytes; a bad padding is treated as the longest
 * one possible, so the MAC work is done (and fails) all the same.
 */
static int vcp_tls_check(struct vcp_tctx *c, uint8_t *out, size_t len)
{
	size_t md = c->md, ivl = 0, n, pad, maxpad, good, inp_len, w0, j, i, diff = 0;
	uint8_t mac[HASH_MAX_LEN], rmac[HASH_MAX_LEN], dummy[HASH_MAX_LEN], *p, *m;
	int ok;

	if ((c->aad[9] << 8 | c->aad[10]) >= TLS1_1_VERSION)
		ivl = 16;
	p = out + ivl;
	n = len - ivl; /* >= md + 1: checked before decrypting */
	pad = p[n - 1];
	maxpad = n - (md + 1);
	maxpad = vcp_ct_sel(vcp_ct_lt(maxpad, 256), maxpad, 255);
	good = vcp_ct_ge(maxpad, pad);
	pad = vcp_ct_sel(good, pad, maxpad);
	inp_len = n - (md + pad + 1);

	/* header || payload; the copy is as long whatever the padding */
	m = malloc(VCP_TLS_AAD + n);
	if (!m)
		return 0;
	memcpy(m, c->aad, VCP_TLS_AAD - 2);
	m[11] = (uint8_t)(inp_len >> 8);
	m[12] = (uint8_t)inp_len;
	memcpy(m + VCP_TLS_AAD, p, n - md - 1);
	/* the MAC, then pad bytes more: the device hashes n - md - 1 bytes in all */
	ok = vcp_thmac(c, m, VCP_TLS_AAD + inp_len, mac) && vcp_thmac(c, m, pad, dummy);
	OPENSSL_clear_free(m, VCP_TLS_AAD + n);
	if (!ok)
		return 0;

	/*
	 * The window that can hold MAC and padding: the last maxpad + md bytes
	 * before the padding-length byte.  The received MAC is gathered from it
	 * and the padding bytes compared, touching every byte of it.
	 */
	memset(rmac, 0, sizeof(rmac));
	w0 = n - 1 - maxpad - md;
	for (j = w0; j < n - 1; j++) {
		size_t in_mac = vcp_ct_ge(j, inp_len) & vcp_ct_lt(j, inp_len + md);
		size_t in_pad = vcp_ct_ge(j, inp_len + md);

		diff |= in_pad & (size_t)(p[j] ^ (uint8_t)pad);
		for (i = 0; i < md; i++)
			rmac[i] |= (uint8_t)(p[j] & in_mac & vcp_ct_eq(j, inp_len + i));
	}
	good &= vcp_ct_eq(diff, 0);
	good &= vcp_ct_eq((size_t)CRYPTO_memcmp(rmac, mac, md), 0);
	OPENSSL_cleanse(mac, sizeof(mac));
	OPENSSL_cleanse(rmac, sizeof(rmac));
	OPENSSL_cleanse(dummy, sizeof(dummy));
	return (int)(good & 1);
}

static int vcp_tdev(struct vcp_tctx *c, uint8_t *out, const uint8_t *in, size_t len)
{
	int tls = c->aad_set, ok;
	uint8_t *copy = NULL;

	c->aad_set = 0; /* a header serves one record */
	if (len % 16) {
		vcp_err(VCP_R_FINAL_BLOCK, "%s: %zu bytes is not whole blocks", c->a->names, len);
		return 0;
	}
	if (tls && !c->enc) {
		size_t ivl = (c->aad[9] << 8 | c->aad[10]) >= TLS1_1_VERSION ? 16 : 0;

		if (len < ivl + c->md + 1) {
			vcp_err(VCP_R_BAD_DECRYPT, "%s: a %zu-byte record is too short",
				c->a->names, len);
			return 0;
		}
	}
	if (!vcp_tctx_ses(c, tls))
		return 0;
	/* overlapping but not the same buffer: read the input from a copy */
	if (in != out && out < in + len && in < out + len) {
		copy = malloc(len);
		if (!copy)
			return 0;
		memcpy(copy, in, len);
		in = copy;
	}
	if (tls && c->enc) {
		ok = vcp_tls_seal(c, out, in, len);
	} else {
		ok = vcp_tcbc(c, in, out, len);
		if (ok && tls && !vcp_tls_check(c, out, len)) {
			OPENSSL_cleanse(out, len); /* nothing unverified is released */
			vcp_err(VCP_R_BAD_DECRYPT, "%s: bad record MAC or padding", c->a->names);
			ok = 0;
		}
	}
	free(copy);
	return ok;
}

/* ---- the default provider's implementation, kept in step ---- */

static int vcp_tsw_iv(struct vcp_tctx *c)
{
	return EVP_CipherInit_ex2(c->sw, NULL, NULL, c->iv, -1, NULL);
}

static int vcp_tsw_update(struct vcp_tctx *c, uint8_t *out, size_t *outl, const uint8_t *in,
			  size_t inl, int strip)
{
	int n = 0, ok;

	c->sw_rec = 0;
	c->aad_set = 0;
	if (inl > INT_MAX)
		return 0;
	if (strip) {
		ok = EVP_CipherUpdate(c->sw, out, &n, in, (int)inl);
	} else {
		n = EVP_Cipher(c->sw, out, in, (unsigned int)inl);
		ok = n >= 0;
	}
	/* the chaining IV is the context's again */
	EVP_CIPHER_CTX_get_updated_iv(c->sw, c->iv, sizeof(c->iv));
	if (!ok)
		return 0;
	*outl = (size_t)n;
	return 1;
}

/* ---- provider functions ---- */

static void *vcp_tnew(void *provctx, int idx)
{
	struct vcp_tctx *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->a = &vcp_talgs[idx];
	c->md = vcp_digests[c->a->dig].size;
	c->fd = -1; /* pid 0: the descriptor is looked up at first use */
	return c;
}

static void vcp_tfree(void *vctx)
{
	struct vcp_tctx *c = vctx;

	if (!c)
		return;
	vcp_tctx_drop(c, 1, 1);
	EVP_CIPHER_CTX_free(c->sw);
	OPENSSL_cleanse(c, sizeof(*c));
	free(c);
}

static void *vcp_tdup(void *vctx)
{
	struct vcp_tctx *src = vctx, *c = malloc(sizeof(*c));

	if (!c)
		return NULL;
	*c = *src;
	c->have_cbc = c->have_mac = 0; /* its own sessions, made on first use */
	c->sw = NULL;
	if (src->sw) {
		c->sw = EVP_CIPHER_CTX_new();
		if (!c->sw || !EVP_CIPHER_CTX_copy(c->sw, src->sw)) {
			EVP_CIPHER_CTX_free(c->sw);
			OPENSSL_cleanse(c, sizeof(*c));
			free(c);
			return NULL;
		}
	}
	return c;
}

static int vcp_tset_ctx_params(void *vctx, const OSSL_PARAM params[]);

static int vcp_tinit(void *vctx, const unsigned char *key, size_t keylen, const unsigned char *iv,
		     size_t ivlen, const OSSL_PARAM params[], int enc)
{
	struct vcp_tctx *c = vctx;
	EVP_CIPHER *ci = NULL;

	c->enc = enc;
	c->aad_set = 0;
	c->sw_rec = 0;
	if (key) {
		if (keylen != c->a->keylen) {
			vcp_err(VCP_R_KEYLEN, "%s takes a %zu-byte key, not %zu", c->a->names,
				c->a->keylen, keylen);
			return 0;
		}
		memcpy(c->key, key, keylen);
		c->key_set = 1;
		/* as the default provider: a new key clears the MAC key */
		OPENSSL_cleanse(c->mackey, sizeof(c->mackey));
		c->mackeylen = 0;
		c->mackey_set = 0;
		vcp_tctx_drop(c, 1, 1);
	}
	if (iv) {
		if (ivlen != 16) {
			vcp_err(VCP_R_IVLEN, "%s takes a 16-byte IV, not %zu", c->a->names, ivlen);
			return 0;
		}
		memcpy(c->oiv, iv, 16);
		memcpy(c->iv, iv, 16);
		c->iv_set = 1;
	} else if (c->iv_set) {
		memcpy(c->iv, c->oiv, 16); /* CBC: back to the last IV given */
	}
	if (!c->sw && vcp_libctx()) {
		/* absent where the CPU lacks what the default's needs (AES-NI) */
		ERR_set_mark();
		ci = vcp_sw_cipher(c->a->names);
		ERR_pop_to_mark();
		if (ci && !(c->sw = EVP_CIPHER_CTX_new()))
			goto err;
	}
	if (c->sw && !EVP_CipherInit_ex2(c->sw, ci, key, c->iv_set ? c->iv : NULL, enc, NULL))
		goto err;
	EVP_CIPHER_free(ci);
	return vcp_tset_ctx_params(c, params);
err:
	EVP_CIPHER_free(ci);
	EVP_CIPHER_CTX_free(c->sw);
	c->sw = NULL;
	vcp_err(VCP_R_SOFTWARE, "%s in the default provider", c->a->names);
	return 0;
}

static int vcp_teinit(void *vctx, const unsigned char *key, size_t keylen, const unsigned char *iv,
		      size_t ivlen, const OSSL_PARAM params[])
{
	return vcp_tinit(vctx, key, keylen, iv, ivlen, params, 1);
}

static int vcp_tdinit(void *vctx, const unsigned char *key, size_t keylen, const unsigned char *iv,
		      size_t ivlen, const OSSL_PARAM params[])
{
	return vcp_tinit(vctx, key, keylen, iv, ivlen, params, 0);
}

/* Removes padding, MAC and explicit IV from a record decrypted in TLS mode. */
static int vcp_tstrip(struct vcp_tctx *c, const uint8_t *out, size_t inl, size_t *outl)
{
	size_t n = inl, fixed = c->md;

	if (c->tlsver != SSL3_VERSION && c->tlsver != TLS1_VERSION)
		fixed += 16;
	if (n < (size_t)out[inl - 1] + 1)
		return 0;
	n -= out[inl - 1] + 1;
	if (n < fixed)
		return 0;
	*outl = n - fixed;
	return 1;
}

static int vcp_tupdate_common(struct vcp_tctx *c, uint8_t *out, size_t *outl, size_t outsize,
			      const uint8_t *in, size_t inl, int strip)
{
	if (!c->key_set) {
		vcp_err(VCP_R_NO_KEY, "%s: no key", c->a->names);
		return 0;
	}
	if (!inl) {
		*outl = 0;
		return 1;
	}
	if (outsize < inl) {
		vcp_err(VCP_R_BAD_INPUT, "output buffer too small");
		return 0;
	}
	/* plain CBC (no header): the same min_offload choice, per update */
	if (!c->sw_rec && !c->aad_set && c->sw && inl < vcp_min_offload()) {
		if (!vcp_tsw_iv(c))
			return 0;
		c->sw_rec = 1;
	}
	if (c->sw_rec)
		return vcp_tsw_update(c, out, outl, in, inl, strip);
	if (!vcp_tdev(c, out, in, inl))
		return 0;
	*outl = inl;
	if (strip && !c->enc && c->tlsver > 0 && !vcp_tstrip(c, out, inl, outl)) {
		vcp_err(VCP_R_BAD_DECRYPT, "%s: record shorter than its padding and MAC",
			c->a->names);
		return 0;
	}
	return 1;
}

static int vcp_tupdate(void *vctx, unsigned char *out, size_t *outl, size_t outsize,
		       const unsigned char *in, size_t inl)
{
	return vcp_tupdate_common(vctx, out, outl, outsize, in, inl, 1);
}

static int vcp_tcipher(void *vctx, unsigned char *out, size_t *outl, size_t outsize,
		       const unsigned char *in, size_t inl)
{
	return vcp_tupdate_common(vctx, out, outl, outsize, in, inl, 0);
}

static int vcp_tfinal(void *vctx, unsigned char *out, size_t *outl, size_t outsize)
{
	struct vcp_tctx *c = vctx;

	if (!c->key_set) {
		vcp_err(VCP_R_NO_KEY, "%s: no key", c->a->names);
		return 0;
	}
	*outl = 0;
	return 1;
}

/* ---- parameters ---- */

/* AEAD_TLS1_AAD: the header of the next record; answers with its growth. */
static int vcp_tset_aad(struct vcp_tctx *c, const OSSL_PARAM *p)
{
	uint8_t aad[VCP_TLS_AAD];
	size_t len;
	OSSL_PARAM sp[2];

	if (p->data_type != OSSL_PARAM_OCTET_STRING || p->data_size != VCP_TLS_AAD) {
		vcp_err(VCP_R_BAD_INPUT, "%s: the TLS header is %d bytes", c->a->names,
			VCP_TLS_AAD);
		return 0;
	}
	memcpy(aad, p->data, VCP_TLS_AAD);
	len = (size_t)aad[11] << 8 | aad[12];
	c->aad_set = 0;
	/*
	 * Short records (and any without a MAC key) go to the default
	 * provider, with the chaining IV; the record length is in the header.
	 */
	c->sw_rec = c->sw && (len < vcp_min_offload() || !c->mackey_set);
	if (c->sw_rec) {
		sp[0] = OSSL_PARAM_construct_octet_string(OSSL_CIPHER_PARAM_AEAD_TLS1_AAD, aad,
							  VCP_TLS_AAD);
		sp[1] = OSSL_PARAM_construct_end();
		if (!vcp_tsw_iv(c) || !EVP_CIPHER_CTX_set_params(c->sw, sp))
			return 0;
		sp[0] = OSSL_PARAM_construct_size_t(OSSL_CIPHER_PARAM_AEAD_TLS1_AAD_PAD,
						    &c->aad_pad);
		return EVP_CIPHER_CTX_get_params(c->sw, sp);
	}
	if (!c->mackey_set) {
		vcp_err(VCP_R_NO_KEY, "%s: no MAC key", c->a->names);
		return 0;
	}
	if (c->enc) {
		c->plen = len;
		if ((aad[9] << 8 | aad[10]) >= TLS1_1_VERSION) {
			/* the explicit IV is in the payload, not in the MACed length */
			if (len < 16) {
				vcp_err(VCP_R_BAD_INPUT, "%s: payload shorter than its IV",
					c->a->names);
				return 0;
			}
			len -= 16;
			aad[11] = (uint8_t)(len >> 8);
			aad[12] = (uint8_t)len;
		}
		c->aad_pad = ((len + c->md + 16) & ~(size_t)15) - len;
	} else {
		c->aad_pad = c->md;
	}
	memcpy(c->aad, aad, VCP_TLS_AAD);
	c->aad_set = 1;
	return 1;
}

static int vcp_tsw_set1(struct vcp_tctx *c, const OSSL_PARAM *p)
{
	OSSL_PARAM sp[2] = {*p, OSSL_PARAM_END};

	return !c->sw || EVP_CIPHER_CTX_set_params(c->sw, sp);
}

static int vcp_tset_ctx_params(void *vctx, const OSSL_PARAM params[])
{
	struct vcp_tctx *c = vctx;
	const OSSL_PARAM *p;
	size_t kl;

	if (!params)
		return 1;
	if ((p = OSSL_PARAM_locate_const(params, OSSL_CIPHER_PARAM_AEAD_MAC_KEY))) {
		if (p->data_type != OSSL_PARAM_OCTET_STRING) {
			vcp_err(VCP_R_BAD_INPUT, "%s: the MAC key is an octet string", c->a->names);
			return 0;
		}
		if (p->data_size > sizeof(c->mackey)) {
			/* HMAC replaces a key longer than its block by its digest */
			if (!EVP_Q_digest(vcp_libctx(), vcp_digests[c->a->dig].swname,
					  "provider=default", p->data, p->data_size, c->mackey,
					  &kl)) {
				vcp_err(VCP_R_SOFTWARE, "hashing a long MAC key");
				return 0;
			}
			c->mackeylen = kl;
		} else {
			memcpy(c->mackey, p->data, p->data_size);
			c->mackeylen = p->data_size;
		}
		c->mackey_set = 1;
		vcp_tctx_drop(c, 0, 1);
		if (!vcp_tsw_set1(c, p))
			return 0;
	}
	if ((p = OSSL_PARAM_locate_const(params, OSSL_CIPHER_PARAM_TLS_VERSION))) {
		if (!OSSL_PARAM_get_uint(p, &c->tlsver)) {
			vcp_err(VCP_R_BAD_INPUT, "%s: bad TLS version", c->a->names);
			return 0;
		}
		if (!vcp_tsw_set1(c, p))
			return 0;
	}
	if ((p = OSSL_PARAM_locate_const(params, OSSL_CIPHER_PARAM_AEAD_TLS1_AAD)) &&
	    !vcp_tset_aad(c, p))
		return 0;
	if ((p = OSSL_PARAM_locate_const(params, OSSL_CIPHER_PARAM_KEYLEN))) {
		if (!OSSL_PARAM_get_size_t(p, &kl))
			return 0;
		if (kl != c->a->keylen) {
			vcp_err(VCP_R_KEYLEN, "%s key length is fixed at %zu", c->a->names,
				c->a->keylen);
			return 0;
		}
	}
	return 1;
}

static int vcp_tset_octets(OSSL_PARAM *p, const void *v, size_t n)
{
	if (p->data_type == OSSL_PARAM_OCTET_PTR)
		return OSSL_PARAM_set_octet_ptr(p, v, n);
	return OSSL_PARAM_set_octet_string(p, v, n);
}

static int vcp_tget_ctx_params(void *vctx, OSSL_PARAM params[])
{
	struct vcp_tctx *c = vctx;
	OSSL_PARAM *p;

	if ((p = OSSL_PARAM_locate(params, OSSL_CIPHER_PARAM_AEAD_TLS1_AAD_PAD)) &&
	    !OSSL_PARAM_set_size_t(p, c->aad_pad))
		return 0;
	if ((p = OSSL_PARAM_locate(params, OSSL_CIPHER_PARAM_KEYLEN)) &&
	    !OSSL_PARAM_set_size_t(p, c->a->keylen))
		return 0;
	if ((p = OSSL_PARAM_locate(params, OSSL_CIPHER_PARAM_IVLEN)) &&
	    !OSSL_PARAM_set_size_t(p, 16))
		return 0;
	if ((p = OSSL_PARAM_locate(params, OSSL_CIPHER_PARAM_IV)) &&
	    !vcp_tset_octets(p, c->oiv, 16))
		return 0;
	if ((p = OSSL_PARAM_locate(params, OSSL_CIPHER_PARAM_UPDATED_IV)) &&
	    !vcp_tset_octets(p, c->iv, 16))
		return 0;
	return 1;
}

static const OSSL_PARAM vcp_tctx_gettable_list[] = {
	OSSL_PARAM_size_t(OSSL_CIPHER_PARAM_AEAD_TLS1_AAD_PAD, NULL),
	OSSL_PARAM_size_t(OSSL_CIPHER_PARAM_KEYLEN, NULL),
	OSSL_PARAM_size_t(OSSL_CIPHER_PARAM_IVLEN, NULL),
	OSSL_PARAM_octet_string(OSSL_CIPHER_PARAM_IV, NULL, 0),
	OSSL_PARAM_octet_string(OSSL_CIPHER_PARAM_UPDATED_IV, NULL, 0),
	OSSL_PARAM_END,
};

static const OSSL_PARAM *vcp_tctx_gettable(void *cctx, void *provctx)
{
	return vcp_tctx_gettable_list;
}

static const OSSL_PARAM vcp_tctx_settable_list[] = {
	OSSL_PARAM_octet_string(OSSL_CIPHER_PARAM_AEAD_MAC_KEY, NULL, 0),
	OSSL_PARAM_octet_string(OSSL_CIPHER_PARAM_AEAD_TLS1_AAD, NULL, 0),
	OSSL_PARAM_size_t(OSSL_CIPHER_PARAM_KEYLEN, NULL),
	OSSL_PARAM_uint(OSSL_CIPHER_PARAM_TLS_VERSION, NULL),
	OSSL_PARAM_END,
};

static const OSSL_PARAM *vcp_tctx_settable(void *cctx, void *provctx)
{
	return vcp_tctx_settable_list;
}

static int vcp_tget_params_idx(OSSL_PARAM params[], int idx)
{
	/*
	 * AEAD: libssl picks these for MAC-then-encrypt records by this flag;
	 * no multi-block: libssl then writes one record per update.
	 */
	const struct vcp_cipher_info ci = {.mode = EVP_CIPH_CBC_MODE,
					   .keylen = vcp_talgs[idx].keylen,
					   .ivlen = 16,
					   .blocksize = 16,
					   .aead = 1};

	return vcp_cipher_get_params(params, &ci);
}

VCP_CIPHER_FNS(t, 0)
VCP_CIPHER_FNS(t, 1)
VCP_CIPHER_FNS(t, 2)
VCP_CIPHER_FNS(t, 3)

static const OSSL_DISPATCH *const vcp_tfns[VCP_NTALGS] = {vcp_tfns_0, vcp_tfns_1, vcp_tfns_2,
							  vcp_tfns_3};

/*
 * Offered where the probe found both sessions a record needs: AES-CBC at
 * the key size and HMAC over the digest.
 */
int vcp_tls_algs(OSSL_ALGORITHM *algs, int n)
{
	size_t i;

	for (i = 0; i < VCP_NTALGS; i++) {
		if (!vcp_cipher_ok[vcp_talgs[i].cbc] || !vcp_hmac_ok[vcp_talgs[i].dig])
			continue;
		algs[n].algorithm_names = vcp_talgs[i].names;
		algs[n].property_definition = "provider=vcrypto";
		algs[n].implementation = vcp_tfns[i];
		algs[n].algorithm_description =
			"AES-CBC + HMAC TLS records (MAC-then-encrypt) through /dev/crypto";
		n++;
	}
	return n;
}
