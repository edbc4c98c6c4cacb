/*
 * AES ECB/CBC/CTR/XTS through /dev/crypto with OpenSSL's EVP semantics:
 * partial-block buffering, PKCS#7 padding on/off, CBC/CTR IV chaining
 * (COP_FLAG_WRITE_IV hands back the next IV), CTR tails from a keystream
 * block, XTS one request per update.  Short one-shot work (min_offload)
 * runs in the default provider.
 *
 * libssl's TLS record mode for ECB/CBC (tls-version, tls-mac-size: what
 * it sets on plain AES-CBC when encrypt-then-MAC is negotiated): one
 * update is one record, in place; encrypting, the cipher adds the TLS
 * padding; decrypting, it removes padding (constant time), the explicit
 * IV of TLS 1.1+ and the MAC, which it hands back as tls-mac.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/prov_ssl.h>
#include <openssl/rand.h>

#include "crypto/cryptodev.h"
#include "vcp.h"

#define VCP_CHUNK (256U << 10) /* bytes per device request (ECB/CBC/CTR) */
#define VCP_XTS_MAX (16U << 20) /* OpenSSL's limit too: 2^20 blocks */

int vcp_cipher_ok[VCP_NCIPHERS];

struct vcp_calg {
	const char *names;
	uint32_t cdev;
	size_t keylen, ivlen, blocksize;
	unsigned int mode; /* EVP_CIPH_*_MODE */
	const char *swname;
};

static const struct vcp_calg vcp_calgs[VCP_NCIPHERS] = {
	{"AES-128-ECB", CRYPTO_AES_ECB, 16, 0, 16, EVP_CIPH_ECB_MODE, "AES-128-ECB"},
	{"AES-192-ECB", CRYPTO_AES_ECB, 24, 0, 16, EVP_CIPH_ECB_MODE, "AES-192-ECB"},
	{"AES-256-ECB", CRYPTO_AES_ECB, 32, 0, 16, EVP_CIPH_ECB_MODE, "AES-256-ECB"},
	{"AES-128-CBC:AES128", CRYPTO_AES_CBC, 16, 16, 16, EVP_CIPH_CBC_MODE, "AES-128-CBC"},
	{"AES-192-CBC:AES192", CRYPTO_AES_CBC, 24, 16, 16, EVP_CIPH_CBC_MODE, "AES-192-CBC"},
	{"AES-256-CBC:AES256", CRYPTO_AES_CBC, 32, 16, 16, EVP_CIPH_CBC_MODE, "AES-256-CBC"},
	{"AES-128-CTR", CRYPTO_AES_CTR, 16, 16, 1, EVP_CIPH_CTR_MODE, "AES-128-CTR"},
	{"AES-192-CTR", CRYPTO_AES_CTR, 24, 16, 1, EVP_CIPH_CTR_MODE, "AES-192-CTR"},
	{"AES-256-CTR", CRYPTO_AES_CTR, 32, 16, 1, EVP_CIPH_CTR_MODE, "AES-256-CTR"},
	{"AES-128-XTS", CRYPTO_AES_XTS, 32, 16, 1, EVP_CIPH_XTS_MODE, "AES-128-XTS"},
	{"AES-256-XTS", CRYPTO_AES_XTS, 64, 16, 1, EVP_CIPH_XTS_MODE, "AES-256-XTS"},
	{NULL, 0, 0, 0, 0, 0, NULL},
};

struct vcp_cctx {
	const struct vcp_calg *a;
	int enc, pad, key_set, iv_set;
	uint8_t key[64];
	uint8_t oiv[16], iv[16];
	uint8_t buf[16];
	size_t buflen;
	uint8_t ks[16]; /* CTR: keystream of the current partial block */
	unsigned int num;
	int fd, have_ses;
	uint32_t ses;
	pid_t pid;
	int fresh; /* no data since init: the offload choice is open */
	/*
	 * Software runs call the default provider's cipher directly (swf: its
	 * functions, resolved on first use): one EVP dispatch per update, the
	 * application's into vcrypto, not a second one (issue #12).
	 */
	const struct vcp_swcf *swf;
	void *sw; /* the default's context; non-NULL: this run is in software */
	/*
	 * The last software run's context, kept for the next short run (no new
	 * context per init); spare_key: it holds the current key for direction
	 * spare_enc (AES decrypts with its own key schedule).
	 */
	void *spare;
	int spare_key, spare_enc;
	int spare_pad; /* padding set in spare, plus one (0: unknown) */
	int tls; /* CTR/XTS given libssl's TLS parameters: software for good */
	/*
	 * A device request failed mid-stream: part of an update may have been
	 * done and the chaining state is unknown, so every later update or
	 * final fails too (never output from a wrong IV) until the next init.
	 */
	int broken;
	/* ECB/CBC TLS record mode */
	unsigned int tlsver; /* tls-version; 0: off */
	size_t tlsmacsize; /* tls-mac-size: the MAC stripped on decrypt */
	uint8_t tlsmac[64]; /* the last record's MAC (random if its padding was bad) */
	int tlsmac_set;
	EVP_CIPHER_CTX *tsw; /* records below min_offload: ECB/CBC in the default provider */
};

struct vcp_swcf {
	int ok; /* 1 resolved, -1 not there */
	void *provctx;
	OSSL_FUNC_cipher_newctx_fn *newctx;
	OSSL_FUNC_cipher_freectx_fn *freectx;
	OSSL_FUNC_cipher_dupctx_fn *dupctx;
	OSSL_FUNC_cipher_encrypt_init_fn *einit;
	OSSL_FUNC_cipher_decrypt_init_fn *dinit;
	OSSL_FUNC_cipher_update_fn *update;
	OSSL_FUNC_cipher_final_fn *final;
	OSSL_FUNC_cipher_get_ctx_params_fn *get;
	OSSL_FUNC_cipher_set_ctx_params_fn *set;
};
static struct vcp_swcf vcp_swcf[VCP_NCIPHERS];

/* Resolve again on next use; the function pointers stay (see vcp_digest_sw_reset). */
void vcp_cipher_sw_reset(void)
{
	for (size_t i = 0; i < sizeof(vcp_swcf) / sizeof(vcp_swcf[0]); i++)
		__atomic_store_n(&vcp_swcf[i].ok, 0, __ATOMIC_RELEASE);
}

VCP_PUBLISH(struct vcp_swcf, vcp_swcf_publish)

static const struct vcp_swcf *vcp_swcf_get(struct vcp_cctx *c)
{
	struct vcp_swcf *f = &vcp_swcf[c->a - vcp_calgs], t;
	struct vcp_swimpl im;

	if (c->swf)
		return c->swf;
	if (__atomic_load_n(&f->ok, __ATOMIC_ACQUIRE) == 0) {
		memset(&t, 0, sizeof(t));
		t.ok = -1;
		if (vcp_libctx() && vcp_sw_impl(1, c->a->swname, &im)) {
			t.provctx = im.provctx;
#define VCP_FN(field, type, id) t.field = (type *)vcp_sw_fn(&im, id)
			VCP_FN(newctx, OSSL_FUNC_cipher_newctx_fn, OSSL_FUNC_CIPHER_NEWCTX);
			VCP_FN(freectx, OSSL_FUNC_cipher_freectx_fn, OSSL_FUNC_CIPHER_FREECTX);
			VCP_FN(dupctx, OSSL_FUNC_cipher_dupctx_fn, OSSL_FUNC_CIPHER_DUPCTX);
			VCP_FN(einit, OSSL_FUNC_cipher_encrypt_init_fn,
			       OSSL_FUNC_CIPHER_ENCRYPT_INIT);
			VCP_FN(dinit, OSSL_FUNC_cipher_decrypt_init_fn,
			       OSSL_FUNC_CIPHER_DECRYPT_INIT);
			VCP_FN(update, OSSL_FUNC_cipher_update_fn, OSSL_FUNC_CIPHER_UPDATE);
			VCP_FN(final, OSSL_FUNC_cipher_final_fn, OSSL_FUNC_CIPHER_FINAL);
			VCP_FN(get, OSSL_FUNC_cipher_get_ctx_params_fn,
			       OSSL_FUNC_CIPHER_GET_CTX_PARAMS);
			VCP_FN(set, OSSL_FUNC_cipher_set_ctx_params_fn,
			       OSSL_FUNC_CIPHER_SET_CTX_PARAMS);
#undef VCP_FN
			if (t.newctx && t.freectx && t.dupctx && t.einit && t.dinit && t.update &&
			    t.final && t.get && t.set)
				t.ok = 1;
		}
		vcp_swcf_publish(f, &t);
	}
	if (f->ok > 0)
		c->swf = f;
	return c->swf;
}

/* A new software context (NULL: no default provider here). */
static void *vcp_swc_new(struct vcp_cctx *c)
{
	const struct vcp_swcf *f = vcp_swcf_get(c);

	return f ? f->newctx(f->provctx) : NULL;
}

static void vcp_swc_free(struct vcp_cctx *c, void *x)
{
	if (x)
		c->swf->freectx(x);
}

static int vcp_swc_init(struct vcp_cctx *c, void *x, const uint8_t *key, const uint8_t *iv, int enc,
			const OSSL_PARAM params[])
{
	size_t kl = key ? c->a->keylen : 0, il = iv ? c->a->ivlen : 0;

	return enc ? c->swf->einit(x, key, kl, iv, il, params)
		   : c->swf->dinit(x, key, kl, iv, il, params);
}

static int vcp_swc_pad(struct vcp_cctx *c, void *x, int pad)
{
	unsigned int v = pad;
	OSSL_PARAM ps[2] = {OSSL_PARAM_construct_uint(OSSL_CIPHER_PARAM_PADDING, &v),
			    OSSL_PARAM_END};

	return c->swf->set(x, ps);
}

/* The software run's chaining IV and CTR position. */
static int vcp_swc_state(struct vcp_cctx *c, void *x, uint8_t *iv, unsigned int *num)
{
	OSSL_PARAM ps[3] = {
		OSSL_PARAM_construct_octet_string(OSSL_CIPHER_PARAM_UPDATED_IV, iv, c->a->ivlen),
		OSSL_PARAM_construct_uint(OSSL_CIPHER_PARAM_NUM, num), OSSL_PARAM_END};

	if (!c->a->ivlen)
		return 1;
	if (!num)
		ps[1] = ps[2];
	return c->swf->get(x, ps);
}

static void vcp_cctx_drop_ses(struct vcp_cctx *c)
{
	/* a session made before fork() belongs to the parent: leave it */
	if (c->have_ses && c->pid == vcp_getpid())
		vcp_sess_free(c->fd, c->ses);
	c->have_ses = 0;
}

static int vcp_cctx_ses(struct vcp_cctx *c)
{
	int r;

	if (c->have_ses && c->pid == vcp_getpid())
		return 1;
	c->have_ses = 0;
	c->fd = vcp_fd();
	c->pid = vcp_getpid();
	r = vcp_sess_new(c->fd, c->a->cdev, c->key, c->a->keylen, 0, NULL, 0, &c->ses);
	if (r) {
		vcp_err(VCP_R_DEVICE, "CIOCGSESSION %s: %s", c->a->swname, strerror(-r));
		return 0;
	}
	c->have_ses = 1;
	return 1;
}

/* len bytes (whole blocks for ECB/CBC) through the device; the IV chains. */
static int vcp_cdev(struct vcp_cctx *c, const uint8_t *in, uint8_t *out, size_t len)
{
	uint8_t tweak[16];
	size_t n;
	int r;

	if (!vcp_cctx_ses(c))
		return 0;
	if (c->a->mode == EVP_CIPH_XTS_MODE) {
		memcpy(tweak, c->iv, 16); /* every update uses the same tweak */
		r = vcp_crypt(c->fd, c->ses, c->enc ? COP_ENCRYPT : COP_DECRYPT, in, out, len,
			      tweak, 0, NULL);
		if (r) {
			c->broken = 1;
			vcp_err(VCP_R_DEVICE, "CIOCCRYPT %s (%zu bytes): %s", c->a->swname, len,
				strerror(-r));
			return 0;
		}
		return 1;
	}
	while (len) {
		n = len < VCP_CHUNK ? len : VCP_CHUNK;
		r = vcp_crypt(c->fd, c->ses, c->enc ? COP_ENCRYPT : COP_DECRYPT, in, out, n,
			      c->a->ivlen ? c->iv : NULL, c->a->ivlen ? COP_FLAG_WRITE_IV : 0,
			      NULL);
		if (r) {
			c->broken = 1;
			vcp_err(VCP_R_DEVICE, "CIOCCRYPT %s (%zu bytes): %s", c->a->swname, n,
				strerror(-r));
			return 0;
		}
		in += n;
		out += n;
		len -= n;
	}
	return 1;
}

static void *vcp_cnew(void *provctx, int idx)
{
	struct vcp_cctx *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->a = &vcp_calgs[idx];
	c->pad = 1;
	c->fd = -1;
	return c;
}

static void vcp_cfree(void *vctx)
{
	struct vcp_cctx *c = vctx;

	if (!c)
		return;
	vcp_cctx_drop_ses(c);
	vcp_swc_free(c, c->sw);
	vcp_swc_free(c, c->spare);
	EVP_CIPHER_CTX_free(c->tsw);
	OPENSSL_cleanse(c, sizeof(*c));
	free(c);
}

static void *vcp_cdup(void *vctx)
{
	struct vcp_cctx *src = vctx, *c = malloc(sizeof(*c));

	if (!c)
		return NULL;
	*c = *src;
	c->have_ses = 0; /* its own session, made on first use */
	c->sw = NULL;
	c->spare = NULL;
	c->spare_key = 0;
	c->tsw = NULL; /* made again when a short record needs it */
	if (src->sw && !(c->sw = c->swf->dupctx(src->sw))) {
		OPENSSL_clear_free(c, sizeof(*c)); /* it holds a copy of the key */
		return NULL;
	}
	return c;
}

static int vcp_cset_ctx_params(void *vctx, const OSSL_PARAM params[]);

static int vcp_cinit(void *vctx, const unsigned char *key, size_t keylen, const unsigned char *iv,
		     size_t ivlen, const OSSL_PARAM params[], int enc)
{
	struct vcp_cctx *c = vctx;

	c->enc = enc;
	c->buflen = 0;
	c->num = 0;
	c->broken = 0;
	/* key or direction may change: the software record context is made anew */
	EVP_CIPHER_CTX_free(c->tsw);
	c->tsw = NULL;
	if (c->tls) { /* libssl re-keys a TLS record context: the default provider's */
		if (key && keylen != c->a->keylen) {
			vcp_err(VCP_R_KEYLEN, "%s takes a %zu-byte key, not %zu", c->a->swname,
				c->a->keylen, keylen);
			return 0;
		}
		return vcp_swc_init(c, c->sw, key, c->a->ivlen ? iv : NULL, enc, params);
	}
	c->fresh = 1;
	if (c->sw) {
		/* the software run's chaining state is the context's from here on */
		vcp_swc_state(c, c->sw, c->iv, NULL);
		if (!c->spare) {
			c->spare = c->sw;
		} else {
			vcp_swc_free(c, c->sw);
			c->spare_pad = 0;
		}
		c->sw = NULL;
	}
	if (key) {
		if (keylen != c->a->keylen) {
			vcp_err(VCP_R_KEYLEN, "%s takes a %zu-byte key, not %zu", c->a->swname,
				c->a->keylen, keylen);
			return 0;
		}
		vcp_cctx_drop_ses(c);
		memcpy(c->key, key, keylen);
		c->key_set = 1;
		c->spare_key = 0;
	}
	if (iv && c->a->ivlen) {
		if (ivlen != c->a->ivlen) {
			vcp_err(VCP_R_IVLEN, "%s takes a %zu-byte IV, not %zu", c->a->swname,
				c->a->ivlen, ivlen);
			return 0;
		}
		memcpy(c->oiv, iv, ivlen);
		memcpy(c->iv, iv, ivlen);
		c->iv_set = 1;
	} else if (c->a->mode == EVP_CIPH_CBC_MODE) {
		/* as OpenSSL: CBC goes back to the last IV given, CTR counts on */
		memcpy(c->iv, c->oiv, c->a->ivlen);
	}
	return vcp_cset_ctx_params(c, params);
}

static int vcp_ceinit(void *vctx, const unsigned char *key, size_t keylen, const unsigned char *iv,
		      size_t ivlen, const OSSL_PARAM params[])
{
	return vcp_cinit(vctx, key, keylen, iv, ivlen, params, 1);
}

static int vcp_cdinit(void *vctx, const unsigned char *key, size_t keylen, const unsigned char *iv,
		      size_t ivlen, const OSSL_PARAM params[])
{
	return vcp_cinit(vctx, key, keylen, iv, ivlen, params, 0);
}

/* 0 (with the reason) if an earlier device request of this run failed. */
static int vcp_cbroken(struct vcp_cctx *c)
{
	if (!c->broken)
		return 1;
	vcp_err(VCP_R_DEVICE, "%s: a device request failed earlier in this stream (init again)",
		c->a->swname);
	return 0;
}

/* The first update after init chooses: short one-shot work in software. */
static int vcp_cchoose(struct vcp_cctx *c, size_t inl)
{
	int ok;

	if (!c->fresh)
		return 1;
	c->fresh = 0;
	if (inl >= vcp_min_offload() || !vcp_libctx())
		return 1;
	if (c->spare) { /* the last run's context: keyed already if the key and direction hold */
		c->sw = c->spare;
		c->spare = NULL;
		ok = vcp_swc_init(c, c->sw, c->spare_key && c->spare_enc == c->enc ? NULL : c->key,
				  c->a->ivlen ? c->iv : NULL, c->enc, NULL);
	} else {
		c->spare_pad = 0; /* a new context: padding on */
		c->sw = vcp_swc_new(c);
		if (!c->sw)
			return 1; /* no default provider here: stay on the device */
		ok = vcp_swc_init(c, c->sw, c->key, c->a->ivlen ? c->iv : NULL, c->enc, NULL);
	}
	/* the default's context keeps padding across inits: set only when it changes */
	ok = ok && (c->spare_pad == c->pad + 1 || vcp_swc_pad(c, c->sw, c->pad));
	c->spare_pad = ok ? c->pad + 1 : 0;
	c->spare_key = ok;
	c->spare_enc = c->enc;
	if (!ok) {
		vcp_swc_free(c, c->sw);
		c->sw = NULL;
		vcp_err(VCP_R_SOFTWARE, "%s in the default provider", c->a->swname);
		return 0;
	}
	return 1;
}

/*
 * XTS with ciphertext stealing (a length not a multiple of 16): the device
 * takes whole blocks only, so this update runs in the default provider.
 */
static int vcp_xts_steal(struct vcp_cctx *c, uint8_t *out, size_t *outl, const uint8_t *in,
			 size_t inl)
{
	EVP_CIPHER_CTX *x = NULL;
	EVP_CIPHER *ci = NULL;
	int n = 0, ok;

	if (vcp_libctx())
		ci = vcp_sw_cipher(c->a->swname);
	ok = ci && (x = EVP_CIPHER_CTX_new()) &&
	     EVP_CipherInit_ex2(x, ci, c->key, c->iv, c->enc, NULL) &&
	     EVP_CipherUpdate(x, out, &n, in, (int)inl);
	EVP_CIPHER_CTX_free(x);
	EVP_CIPHER_free(ci);
	if (!ok) {
		vcp_err(VCP_R_SOFTWARE, "%s with ciphertext stealing (%zu bytes)", c->a->swname,
			inl);
		return 0;
	}
	*outl = n;
	return 1;
}

static int vcp_cupdate_dev(struct vcp_cctx *c, uint8_t *out, size_t *outl, size_t outsize,
			   const uint8_t *in, size_t inl)
{
	size_t done = 0, n, fill;
	int hold;

	if (c->a->mode == EVP_CIPH_XTS_MODE) {
		if (inl < 16 || inl > VCP_XTS_MAX) {
			vcp_err(VCP_R_BAD_INPUT, "XTS takes 16 bytes to 16 MiB per update, not %zu",
				inl);
			return 0;
		}
		if (outsize < inl)
			goto small;
		if (inl % 16)
			return vcp_xts_steal(c, out, outl, in, inl);
		if (!vcp_cdev(c, in, out, inl))
			return 0;
		*outl = inl;
		return 1;
	}
	if (c->a->mode == EVP_CIPH_CTR_MODE) {
		if (outsize < inl)
			goto small;
		while (inl && c->num) {
			*out++ = *in++ ^ c->ks[c->num];
			c->num = (c->num + 1) & 15;
			inl--;
			done++;
		}
		n = inl & ~(size_t)15;
		if (n && !vcp_cdev(c, in, out, n))
			return 0;
		in += n;
		out += n;
		inl -= n;
		done += n;
		if (inl) {
			static const uint8_t zero[16];

			if (!vcp_cdev(c, zero, c->ks, 16))
				return 0;
			for (n = 0; n < inl; n++)
				out[n] = in[n] ^ c->ks[n];
			c->num = inl;
			done += inl;
		}
		*outl = done;
		return 1;
	}
	/* ECB/CBC: decrypt with padding holds the last whole block back */
	hold = !c->enc && c->pad;
	n = c->buflen + inl;
	n = n - n % 16;
	if (hold && n && n == c->buflen + inl)
		n -= 16;
	if (outsize < n)
		goto small;
	if (c->buflen && n) {
		fill = 16 - c->buflen;
		memcpy(c->buf + c->buflen, in, fill);
		if (!vcp_cdev(c, c->buf, out, 16))
			return 0;
		in += fill;
		inl -= fill;
		out += 16;
		done += 16;
		c->buflen = 0;
	}
	if (n > done) {
		if (!vcp_cdev(c, in, out, n - done))
			return 0;
		in += n - done;
		inl -= n - done;
	}
	memcpy(c->buf + c->buflen, in, inl);
	c->buflen += inl;
	*outl = n;
	return 1;
small:
	vcp_err(VCP_R_BAD_INPUT, "output buffer too small");
	return 0;
}

/* ---- libssl's TLS record mode (ECB/CBC with tls-version set) ---- */

/* A record shorter than min_offload: ECB/CBC over it in the default provider. */
static int vcp_tls_sw(struct vcp_cctx *c, uint8_t *buf, size_t len)
{
	EVP_CIPHER *ci = NULL;
	int n = 0, ok;

	if (!c->tsw) {
		if (vcp_libctx())
			ci = vcp_sw_cipher(c->a->swname);
		if (!ci)
			return vcp_cdev(c, buf, buf, len); /* no default provider: the device */
		c->tsw = EVP_CIPHER_CTX_new();
		ok = c->tsw && EVP_CipherInit_ex2(c->tsw, ci, c->key, NULL, c->enc, NULL) &&
		     EVP_CIPHER_CTX_set_padding(c->tsw, 0);
		EVP_CIPHER_free(ci);
		if (!ok) {
			EVP_CIPHER_CTX_free(c->tsw);
			c->tsw = NULL;
			vcp_err(VCP_R_SOFTWARE, "%s TLS record in the default provider",
				c->a->swname);
			return 0;
		}
	}
	/* the chaining IV is the context's: handed in and taken back per record */
	ok = len <= INT_MAX &&
	     EVP_CipherInit_ex2(c->tsw, NULL, NULL, c->a->ivlen ? c->iv : NULL, c->enc, NULL) &&
	     EVP_CipherUpdate(c->tsw, buf, &n, buf, (int)len) && (size_t)n == len &&
	     (!c->a->ivlen || EVP_CIPHER_CTX_get_updated_iv(c->tsw, c->iv, c->a->ivlen));
	if (!ok)
		vcp_err(VCP_R_SOFTWARE, "%s TLS record (%zu bytes) in the default provider",
			c->a->swname, len);
	return ok;
}

/*
 * buf holds a decrypted record of *len bytes (whole blocks).  As OpenSSL's
 * default provider: TLS 1.1+ drops the explicit IV block; the padding is
 * checked without branches on its bytes (the last 256 bytes are always
 * read), and the MAC is gathered from a fixed window with masks.  A bad
 * padding is not an error when there is a MAC: the MAC handed back is then
 * random, so libssl's MAC check fails as for a bad MAC (one error for
 * both).  Without a MAC (encrypt-then-MAC: libssl checked it already) a
 * bad padding fails here.  0: a record that is publicly too short, or bad
 * padding without a MAC.
 */
static int vcp_tls_unpad(struct vcp_cctx *c, uint8_t *buf, size_t *len)
{
	size_t n = *len, ms = c->tlsmacsize, bs = c->a->blocksize, pl, good, diff = 0, w0, i, j;
	uint8_t rmac[sizeof(c->tlsmac)], rnd[sizeof(c->tlsmac)];
	int ssl3 = 0;

	switch (c->tlsver) {
	case SSL3_VERSION:
		ssl3 = 1;
		break;
	case TLS1_VERSION:
		break;
	case TLS1_1_VERSION:
	case TLS1_2_VERSION:
	case DTLS1_VERSION:
	case DTLS1_2_VERSION:
	case DTLS1_BAD_VER:
		if (n < bs)
			return 0;
		buf += bs; /* the explicit IV */
		n -= bs;
		break;
	default:
		return 0;
	}
	if (ms > sizeof(c->tlsmac) || n < ms + 1)
		return 0;
	pl = buf[n - 1];
	good = vcp_ct_ge(n, ms + 1 + pl);
	if (ssl3) {
		good &= vcp_ct_ge(bs, pl + 1); /* SSL 3.0: minimal padding, any bytes */
	} else {
		for (i = 0; i < n && i < 256; i++)
			diff |= vcp_ct_ge(pl, i) & (pl ^ buf[n - 1 - i]);
		good &= vcp_ct_eq(diff, 0);
	}
	*len = n - (good & (pl + 1));
	if (!ms)
		return (int)(good & 1); /* nothing secret follows from a refused record */
	if (RAND_bytes_ex(vcp_libctx(), rnd, ms, 0) <= 0)
		return 0;
	*len -= ms;
	/* the MAC starts at *len: somewhere in the last ms + 256 bytes */
	memset(rmac, 0, sizeof(rmac));
	w0 = n > ms + 256 ? n - (ms + 256) : 0;
	for (i = w0; i < n; i++)
		for (j = 0; j < ms; j++)
			rmac[j] |= (uint8_t)(buf[i] & vcp_ct_eq(i, *len + j));
	for (j = 0; j < ms; j++)
		c->tlsmac[j] = (uint8_t)vcp_ct_sel(good, rmac[j], rnd[j]);
	c->tlsmac_set = 1;
	OPENSSL_cleanse(rmac, sizeof(rmac));
	return 1;
}

/* One TLS record, in place: padded and encrypted, or decrypted and stripped. */
static int vcp_tls_record(struct vcp_cctx *c, uint8_t *out, size_t *outl, size_t outsize,
			  const uint8_t *in, size_t inl)
{
	size_t padnum, len = inl;
	int ok;

	if (c->sw) { /* a software run begun before the TLS parameters: the IV chains on */
		vcp_swc_state(c, c->sw, c->iv, NULL);
		vcp_swc_free(c, c->sw);
		c->sw = NULL;
		c->spare_pad = 0;
	}
	c->fresh = 0;
	c->tlsmac_set = 0;
	if (!in || in != out || outsize < inl || !c->pad) {
		vcp_err(VCP_R_BAD_INPUT, "%s TLS record: %s", c->a->swname,
			!c->pad		   ? "padding is off"
			: !in || in != out ? "not in place"
					   : "output buffer too small");
		return 0;
	}
	if (c->enc) {
		padnum = 16 - inl % 16; /* 1..16 bytes of value padnum - 1 */
		if (outsize < inl + padnum) {
			vcp_err(VCP_R_BAD_INPUT, "%s TLS record: output buffer too small",
				c->a->swname);
			return 0;
		}
		memset(out + inl, c->tlsver == SSL3_VERSION ? 0 : (int)(padnum - 1), padnum);
		out[inl + padnum - 1] = (uint8_t)(padnum - 1);
		len += padnum;
	}
	if (len % 16) {
		vcp_err(VCP_R_FINAL_BLOCK, "%s TLS record of %zu bytes: not whole blocks",
			c->a->swname, len);
		return 0;
	}
	ok = len >= vcp_min_offload() ? vcp_cdev(c, out, out, len) : vcp_tls_sw(c, out, len);
	if (!ok)
		return 0;
	*outl = len;
	if (!c->enc && !vcp_tls_unpad(c, out, outl)) {
		OPENSSL_cleanse(out, len);
		vcp_err(VCP_R_BAD_DECRYPT, "%s TLS record of %zu bytes: bad padding or too short",
			c->a->swname, len);
		return 0;
	}
	return 1;
}

static __attribute__((noinline)) int vcp_cupdate_slow(struct vcp_cctx *c, unsigned char *out,
						      size_t *outl, size_t outsize,
						      const unsigned char *in, size_t inl)
{
	uint8_t *copy = NULL;
	int ok;

	*outl = 0; /* nothing claimed on failure */
	if (!c->key_set) {
		vcp_err(VCP_R_NO_KEY, "%s: no key", c->a->swname);
		return 0;
	}
	if (!vcp_cbroken(c))
		return 0;
	if (c->tlsver && c->a->blocksize == 16)
		return vcp_tls_record(c, out, outl, outsize, in, inl);
	if (!vcp_cchoose(c, inl))
		return 0;
	if (c->sw)
		return c->swf->update(c->sw, out, outl, outsize, in, inl);
	if (!inl) {
		*outl = 0;
		return 1;
	}
	/* overlapping but not the same buffer: read the input from a copy */
	if (in != out && out < in + inl && in < out + inl + 16) {
		copy = malloc(inl);
		if (!copy)
			return 0;
		memcpy(copy, in, inl);
		in = copy;
	}
	ok = vcp_cupdate_dev(c, out, outl, outsize, in, inl);
	free(copy);
	return ok;
}

static int vcp_cupdate(void *vctx, unsigned char *out, size_t *outl, size_t outsize,
		       const unsigned char *in, size_t inl)
{
	struct vcp_cctx *c = vctx;

	/*
	 * A software run: straight on to the default provider's update, as a
	 * tail call from a function with no frame of its own (one jump more
	 * than the default alone; issue #12).  The conditions are those under
	 * which vcp_cupdate_slow's checks end there too.
	 */
	if (c->sw && c->key_set && !c->broken && !(c->tlsver && c->a->blocksize == 16))
		return c->swf->update(c->sw, out, outl, outsize, in, inl);
	return vcp_cupdate_slow(c, out, outl, outsize, in, inl);
}

static int vcp_cfinal(void *vctx, unsigned char *out, size_t *outl, size_t outsize)
{
	struct vcp_cctx *c = vctx;
	uint8_t blk[16];
	unsigned int p, i, bad;

	if (c->tlsver && c->a->blocksize == 16) { /* as the default: records are never finished */
		vcp_err(VCP_R_BAD_INPUT, "%s: no final in TLS record mode", c->a->swname);
		return 0;
	}
	if (c->sw)
		return c->swf->final(c->sw, out, outl, outsize);
	*outl = 0;
	if (!vcp_cbroken(c))
		return 0;
	if (c->a->blocksize == 1)
		return 1;
	if (!c->pad) {
		if (c->buflen) {
			vcp_err(VCP_R_FINAL_BLOCK, "%zu bytes left over without padding",
				c->buflen);
			return 0;
		}
		return 1;
	}
	if (!c->key_set) {
		vcp_err(VCP_R_NO_KEY, "%s: no key", c->a->swname);
		return 0;
	}
	if (outsize < 16 && c->enc) {
		vcp_err(VCP_R_BAD_INPUT, "output buffer too small");
		return 0;
	}
	if (c->enc) {
		p = 16 - c->buflen;
		memset(c->buf + c->buflen, p, p);
		if (!vcp_cdev(c, c->buf, out, 16))
			return 0;
		c->buflen = 0;
		*outl = 16;
		return 1;
	}
	if (c->buflen != 16) {
		vcp_err(VCP_R_FINAL_BLOCK, "decrypt: %zu bytes in the last block", c->buflen);
		return 0;
	}
	if (!vcp_cdev(c, c->buf, blk, 16))
		return 0;
	c->buflen = 0;
	p = blk[15];
	bad = p == 0 || p > 16;
	for (i = 0; !bad && i < p; i++)
		bad |= blk[15 - i] != p;
	if (bad) {
		OPENSSL_cleanse(blk, sizeof(blk));
		vcp_err(VCP_R_BAD_DECRYPT, "bad padding");
		return 0;
	}
	if (outsize < 16 - p) {
		vcp_err(VCP_R_BAD_INPUT, "output buffer too small");
		return 0;
	}
	memcpy(out, blk, 16 - p);
	*outl = 16 - p;
	OPENSSL_cleanse(blk, sizeof(blk));
	return 1;
}

static int vcp_ccipher(void *vctx, unsigned char *out, size_t *outl, size_t outsize,
		       const unsigned char *in, size_t inl)
{
	return vcp_cupdate(vctx, out, outl, outsize, in, inl);
}

/* ---- parameters ---- */

static int vcp_cget_params_idx(OSSL_PARAM params[], int idx)
{
	const struct vcp_calg *a = &vcp_calgs[idx];
	const struct vcp_cipher_info ci = {.mode = a->mode,
					   .keylen = a->keylen,
					   .ivlen = a->ivlen,
					   .blocksize = a->blocksize,
					   .custom_iv = a->mode == EVP_CIPH_XTS_MODE};

	return vcp_cipher_get_params(params, &ci);
}

static const OSSL_PARAM vcp_cctx_gettable_list[] = {
	OSSL_PARAM_size_t(OSSL_CIPHER_PARAM_KEYLEN, NULL),
	OSSL_PARAM_size_t(OSSL_CIPHER_PARAM_IVLEN, NULL),
	OSSL_PARAM_uint(OSSL_CIPHER_PARAM_PADDING, NULL),
	OSSL_PARAM_uint(OSSL_CIPHER_PARAM_NUM, NULL),
	OSSL_PARAM_octet_string(OSSL_CIPHER_PARAM_IV, NULL, 0),
	OSSL_PARAM_octet_string(OSSL_CIPHER_PARAM_UPDATED_IV, NULL, 0),
	OSSL_PARAM_octet_ptr(OSSL_CIPHER_PARAM_TLS_MAC, NULL, 0),
	OSSL_PARAM_END,
};

static const OSSL_PARAM *vcp_cctx_gettable(void *cctx, void *provctx)
{
	return vcp_cctx_gettable_list;
}

static const OSSL_PARAM vcp_cctx_settable_list[] = {
	OSSL_PARAM_size_t(OSSL_CIPHER_PARAM_KEYLEN, NULL),
	OSSL_PARAM_uint(OSSL_CIPHER_PARAM_PADDING, NULL),
	OSSL_PARAM_uint(OSSL_CIPHER_PARAM_TLS_VERSION, NULL),
	OSSL_PARAM_size_t(OSSL_CIPHER_PARAM_TLS_MAC_SIZE, NULL),
	OSSL_PARAM_END,
};

static const OSSL_PARAM *vcp_cctx_settable(void *cctx, void *provctx)
{
	return vcp_cctx_settable_list;
}

static int vcp_set_octets(OSSL_PARAM *p, const void *v, size_t n)
{
	if (p->data_type == OSSL_PARAM_OCTET_PTR)
		return OSSL_PARAM_set_octet_ptr(p, v, n);
	return OSSL_PARAM_set_octet_string(p, v, n);
}

static int vcp_cget_ctx_params(void *vctx, OSSL_PARAM params[])
{
	struct vcp_cctx *c = vctx;
	uint8_t iv[16];
	OSSL_PARAM *p;
	unsigned int num = c->num;

	if (c->tls)
		return c->swf->get(c->sw, params);
	memcpy(iv, c->iv, sizeof(iv));
	if (c->sw) /* the software run holds the chaining state */
		vcp_swc_state(c, c->sw, iv, &num);
	if ((p = OSSL_PARAM_locate(params, OSSL_CIPHER_PARAM_KEYLEN)) &&
	    !OSSL_PARAM_set_size_t(p, c->a->keylen))
		return 0;
	if ((p = OSSL_PARAM_locate(params, OSSL_CIPHER_PARAM_IVLEN)) &&
	    !OSSL_PARAM_set_size_t(p, c->a->ivlen))
		return 0;
	if ((p = OSSL_PARAM_locate(params, OSSL_CIPHER_PARAM_PADDING)) &&
	    !OSSL_PARAM_set_uint(p, c->pad))
		return 0;
	if ((p = OSSL_PARAM_locate(params, OSSL_CIPHER_PARAM_NUM)) && !OSSL_PARAM_set_uint(p, num))
		return 0;
	if ((p = OSSL_PARAM_locate(params, OSSL_CIPHER_PARAM_IV)) &&
	    !vcp_set_octets(p, c->oiv, c->a->ivlen))
		return 0;
	if ((p = OSSL_PARAM_locate(params, OSSL_CIPHER_PARAM_UPDATED_IV)) &&
	    !vcp_set_octets(p, iv, c->a->ivlen))
		return 0;
	/* a pointer into the context, good until the next update (as the default's) */
	if ((p = OSSL_PARAM_locate(params, OSSL_CIPHER_PARAM_TLS_MAC)) &&
	    !OSSL_PARAM_set_octet_ptr(p, c->tlsmac_set ? c->tlsmac : NULL, c->tlsmacsize))
		return 0;
	return 1;
}

static int vcp_cto_software(struct vcp_cctx *c)
{
	int ok;

	if (c->sw)
		vcp_swc_free(c, c->sw);
	c->sw = vcp_swc_new(c);
	ok = c->sw &&
	     vcp_swc_init(c, c->sw, c->key_set ? c->key : NULL, c->a->ivlen ? c->iv : NULL, c->enc,
			  NULL) &&
	     vcp_swc_pad(c, c->sw, c->pad);
	if (!ok) {
		if (c->sw)
			vcp_swc_free(c, c->sw);
		c->sw = NULL;
		vcp_err(VCP_R_SOFTWARE, "%s TLS record mode in the default provider", c->a->swname);
		return 0;
	}
	c->tls = 1;
	c->fresh = 0;
	return 1;
}

static int vcp_cset_ctx_params(void *vctx, const OSSL_PARAM params[])
{
	struct vcp_cctx *c = vctx;
	const OSSL_PARAM *p;
	unsigned int pad;
	size_t kl;

	if (!params)
		return 1;
	/*
	 * TLS parameters on CTR/XTS (libssl never sets them there): the
	 * default provider's stream semantics, so the context goes there for
	 * good.  ECB/CBC do TLS records themselves (vcp_tls_record).
	 */
	if (!c->tls && c->a->blocksize == 1 &&
	    (OSSL_PARAM_locate_const(params, OSSL_CIPHER_PARAM_TLS_VERSION) ||
	     OSSL_PARAM_locate_const(params, OSSL_CIPHER_PARAM_TLS_MAC_SIZE))) {
		if (!vcp_cto_software(c))
			return 0;
	}
	if (c->tls)
		return c->swf->set(c->sw, params);
	if ((p = OSSL_PARAM_locate_const(params, OSSL_CIPHER_PARAM_PADDING))) {
		if (!OSSL_PARAM_get_uint(p, &pad))
			return 0;
		c->pad = pad != 0;
		if (c->sw && !vcp_swc_pad(c, c->sw, c->pad))
			return 0;
		if (c->sw)
			c->spare_pad = c->pad + 1;
	}
	if ((p = OSSL_PARAM_locate_const(params, OSSL_CIPHER_PARAM_TLS_VERSION)) &&
	    !OSSL_PARAM_get_uint(p, &c->tlsver))
		return 0;
	if ((p = OSSL_PARAM_locate_const(params, OSSL_CIPHER_PARAM_TLS_MAC_SIZE)) &&
	    !OSSL_PARAM_get_size_t(p, &c->tlsmacsize))
		return 0;
	if ((p = OSSL_PARAM_locate_const(params, OSSL_CIPHER_PARAM_KEYLEN))) {
		if (!OSSL_PARAM_get_size_t(p, &kl))
			return 0;
		if (kl != c->a->keylen) {
			vcp_err(VCP_R_KEYLEN, "%s key length is fixed at %zu", c->a->swname,
				c->a->keylen);
			return 0;
		}
	}
	return 1;
}

/* ---- dispatch tables, one per algorithm ---- */

VCP_CIPHER_FNS(c, 0)
VCP_CIPHER_FNS(c, 1)
VCP_CIPHER_FNS(c, 2)
VCP_CIPHER_FNS(c, 3)
VCP_CIPHER_FNS(c, 4)
VCP_CIPHER_FNS(c, 5)
VCP_CIPHER_FNS(c, 6)
VCP_CIPHER_FNS(c, 7)
VCP_CIPHER_FNS(c, 8)
VCP_CIPHER_FNS(c, 9)
VCP_CIPHER_FNS(c, 10)

static const OSSL_DISPATCH *const vcp_cfns[VCP_NCIPHERS] = {
	vcp_cfns_0, vcp_cfns_1, vcp_cfns_2, vcp_cfns_3, vcp_cfns_4,  vcp_cfns_5,
	vcp_cfns_6, vcp_cfns_7, vcp_cfns_8, vcp_cfns_9, vcp_cfns_10, NULL,
};

const OSSL_ALGORITHM *vcp_ciphers(void)
{
	static OSSL_ALGORITHM algs[VCP_NCIPHERS + 3 + 4 + 1]; /* + GCM, TLS */
	static int built;
	int i, n = 0;

	if (!built) { /* the probe ran in provider init, before any query */
		for (i = 0; i < VCP_NCIPHERS; i++) {
			if (!vcp_cipher_ok[i] || !vcp_cfns[i])
				continue;
			algs[n].algorithm_names = vcp_calgs[i].names;
			algs[n].property_definition = "provider=vcrypto";
			algs[n].implementation = vcp_cfns[i];
			algs[n].algorithm_description = "AES through /dev/crypto";
			n++;
		}
		n = vcp_gcm_algs(algs, n);
		n = vcp_tls_algs(algs, n);
		built = 1;
	}
	return algs;
}
