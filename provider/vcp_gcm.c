/*
 * AES-GCM with streaming EVP semantics.  EVP's GCM gives the data back at
 * every update and nothing at final, which cryptodev's one-shot
 * CIOCAUTHCRYPT cannot do; so, as the module does for its own GCM, the
 * counter mode runs on the device (an AES-CTR session: H = E_K(0),
 * E_K(J0) and the keystream) and GHASH runs here.  The TLS 1.2 record
 * forms (tlsaad/tlsivfixed) are handed to the default provider.
 *
 * min_offload: the choice is made once per message (init), on its first
 * data update (or at final when there is none): data shorter than
 * min_offload sends the whole message to the default provider; so does a
 * final with no data.  AAD before that choice is held here (it needs no
 * device: only H and E_K(J0) do); AAD reaching min_offload chooses the
 * device.  No device session is opened until a message chooses the device.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "crypto/cryptodev.h"
#include "vcp.h"

#define VCP_GCHUNK (256U << 10)
#define VCP_GIV_MAX 128

int vcp_gcm_ok[3];
static const size_t vcp_gcm_keylen[3] = {16, 24, 32};
static const char *const vcp_gcm_names[3] = {
	"AES-128-GCM:id-aes128-GCM", "AES-192-GCM:id-aes192-GCM", "AES-256-GCM:id-aes256-GCM"};
static const char *const vcp_gcm_sw[3] = {"AES-128-GCM", "AES-192-GCM", "AES-256-GCM"};
static const char *const vcp_gcm_ecb[3] = {"AES-128-ECB", "AES-192-ECB", "AES-256-ECB"};

struct vcp_gctx {
	int k; /* 0..2 */
	int enc, key_set, iv_set, ready, data_started, tag_set, done;
	uint8_t key[32];
	uint8_t iv[VCP_GIV_MAX];
	size_t ivlen;
	uint64_t hh, hl; /* H */
	uint8_t h[16]; /* H as bytes (the carry-less multiply's operand) */
	int h_ok; /* H is E_K(0) of the current key (kept across messages) */
	uint8_t ekj0[16], ctr[16];
	int ekj0_ok; /* E_K(J0) known; else ctr is J0 and no data went yet */
	uint8_t *scr; /* zero block || first data: E_K(J0) and the data in one request */
	size_t scrcap;
	/*
	 * H = E_K(0) and E_K(J0), one block each, from the default provider's
	 * AES (constant time: AES-NI or vpaes), keyed once per key: the device
	 * then does only the data's counter mode, straight from the caller's
	 * buffers (issue #12).  NULL (no default provider): the device does
	 * them too (H once per key, E_K(J0) in the first data request).
	 */
	EVP_CIPHER_CTX *ecb;
	int ecb_keyed;
	uint8_t x[16]; /* GHASH accumulator */
	uint8_t gbuf[16];
	size_t gbuflen;
	uint64_t alen, clen;
	uint8_t ks[16];
	unsigned int num;
	uint8_t tag[16];
	size_t taglen;
	int fd, have_ses;
	uint32_t ses;
	pid_t pid;
	/*
	 * TLS 1.2 record forms, or a short message: the default provider's
	 * AES-GCM context, its functions called directly (swf; no EVP
	 * context of our own between the caller's EVP call and the default's
	 * code: issue #12).
	 */
	const struct vcp_gswf *swf;
	void *sw;
	int sw_tls; /* sw is a TLS record form's (never reused for a plain message) */
	int choice; /* this message: 0 not chosen yet, 1 device, 2 default provider */
	uint8_t *aad; /* AAD held until the choice */
	size_t aadlen, aadcap;
	void *spare; /* the last short message's context (the default's), kept for the next */
	int spare_keyed; /* spare holds the current key */
};

/* The default provider's AES-GCM functions (vcp_sw_impl), per key size. */
struct vcp_gswf {
	int ok; /* 1 resolved, -1 not there */
	void *provctx;
	OSSL_FUNC_cipher_newctx_fn *newctx;
	OSSL_FUNC_cipher_freectx_fn *freectx;
	OSSL_FUNC_cipher_dupctx_fn *dupctx;
	OSSL_FUNC_cipher_encrypt_init_fn *einit;
	OSSL_FUNC_cipher_decrypt_init_fn *dinit;
	OSSL_FUNC_cipher_update_fn *update;
	OSSL_FUNC_cipher_final_fn *final;
	OSSL_FUNC_cipher_cipher_fn *cipher;
	OSSL_FUNC_cipher_get_ctx_params_fn *get;
	OSSL_FUNC_cipher_set_ctx_params_fn *set;
};
static struct vcp_gswf vcp_gswf[3];

VCP_PUBLISH(struct vcp_gswf, vcp_gswf_publish)

/* Resolve again on next use; the function pointers stay (see vcp_digest_sw_reset). */
void vcp_gcm_sw_reset(void)
{
	for (size_t i = 0; i < sizeof(vcp_gswf) / sizeof(vcp_gswf[0]); i++)
		__atomic_store_n(&vcp_gswf[i].ok, 0, __ATOMIC_RELEASE);
}

static const struct vcp_gswf *vcp_gswf_get(struct vcp_gctx *g)
{
	struct vcp_gswf *f = &vcp_gswf[g->k], t;
	struct vcp_swimpl im;

	if (g->swf)
		return g->swf;
	if (__atomic_load_n(&f->ok, __ATOMIC_ACQUIRE) == 0) {
		memset(&t, 0, sizeof(t));
		t.ok = -1;
		if (vcp_libctx() && vcp_sw_impl(1, vcp_gcm_sw[g->k], &im)) {
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
			VCP_FN(cipher, OSSL_FUNC_cipher_cipher_fn, OSSL_FUNC_CIPHER_CIPHER);
			VCP_FN(get, OSSL_FUNC_cipher_get_ctx_params_fn,
			       OSSL_FUNC_CIPHER_GET_CTX_PARAMS);
			VCP_FN(set, OSSL_FUNC_cipher_set_ctx_params_fn,
			       OSSL_FUNC_CIPHER_SET_CTX_PARAMS);
#undef VCP_FN
			if (t.newctx && t.freectx && t.dupctx && t.einit && t.dinit && t.update &&
			    t.final && t.cipher && t.get && t.set)
				t.ok = 1;
		}
		vcp_gswf_publish(f, &t);
	}
	if (f->ok > 0)
		g->swf = f;
	return g->swf;
}

/*
 * Key (or NULL: the one it holds) and IV into the default's context x:
 * its init takes the IV length from ivlen (as EVP passes it), then params.
 */
static int vcp_gsw_init(struct vcp_gctx *g, void *x, int with_key, const OSSL_PARAM params[])
{
	const uint8_t *key = with_key && g->key_set ? g->key : NULL;
	const uint8_t *iv = g->iv_set ? g->iv : NULL;
	size_t kl = key ? vcp_gcm_keylen[g->k] : 0, il = iv ? g->ivlen : 0;

	return g->enc ? g->swf->einit(x, key, kl, iv, il, params)
		      : g->swf->dinit(x, key, kl, iv, il, params);
}

static void vcp_gsw_free(struct vcp_gctx *g, void **x)
{
	if (*x)
		g->swf->freectx(*x);
	*x = NULL;
}

static uint64_t vcp_be64(const uint8_t *p)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

static void vcp_put_be64(uint8_t *p, uint64_t v)
{
	int i;

	for (i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

#if defined(__x86_64__)
/*
 * X = (X ^ block) * H with the carry-less multiply (PCLMULQDQ: constant
 * time, and a helper call under TCG): the 256-bit product of the
 * byte-reversed operands, shifted left by one for GCM's reflected bit order,
 * then reduced modulo x^128 + x^7 + x^2 + x + 1 (Intel's GCM white paper,
 * algorithm 5).  The bitwise loop below spent most of a 16 KiB message's
 * time in a TCG guest (issue #12).
 */
__attribute__((target("pclmul,sse4.1"))) static void vcp_ghash_clmul(struct vcp_gctx *g,
								     const uint8_t *blk)
{
	const __m128i rev = _mm_set_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
	__m128i a, b, lo, mid, hi, t, u, v;

	a = _mm_xor_si128(_mm_loadu_si128((const __m128i *)g->x),
			  _mm_loadu_si128((const __m128i *)blk));
	a = _mm_shuffle_epi8(a, rev);
	b = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)g->h), rev);
	lo = _mm_clmulepi64_si128(a, b, 0x00);
	hi = _mm_clmulepi64_si128(a, b, 0x11);
	mid = _mm_xor_si128(_mm_clmulepi64_si128(a, b, 0x10), _mm_clmulepi64_si128(a, b, 0x01));
	lo = _mm_xor_si128(lo, _mm_slli_si128(mid, 8));
	hi = _mm_xor_si128(hi, _mm_srli_si128(mid, 8));
	/* [hi:lo] <<= 1 */
	t = _mm_srli_epi32(lo, 31);
	u = _mm_srli_epi32(hi, 31);
	lo = _mm_slli_epi32(lo, 1);
	hi = _mm_slli_epi32(hi, 1);
	v = _mm_srli_si128(t, 12);
	u = _mm_slli_si128(u, 4);
	t = _mm_slli_si128(t, 4);
	lo = _mm_or_si128(lo, t);
	hi = _mm_or_si128(_mm_or_si128(hi, u), v);
	/* reduction, first phase */
	t = _mm_xor_si128(_mm_xor_si128(_mm_slli_epi32(lo, 31), _mm_slli_epi32(lo, 30)),
			  _mm_slli_epi32(lo, 25));
	u = _mm_srli_si128(t, 4);
	t = _mm_slli_si128(t, 12);
	lo = _mm_xor_si128(lo, t);
	/* second phase */
	v = _mm_xor_si128(_mm_xor_si128(_mm_srli_epi32(lo, 1), _mm_srli_epi32(lo, 2)),
			  _mm_srli_epi32(lo, 7));
	v = _mm_xor_si128(v, u);
	lo = _mm_xor_si128(lo, v);
	hi = _mm_xor_si128(hi, lo);
	_mm_storeu_si128((__m128i *)g->x, _mm_shuffle_epi8(hi, rev));
}

static int vcp_have_clmul(void)
{
	static int have = -1;

	if (have < 0)
		have = __builtin_cpu_supports("pclmul") && __builtin_cpu_supports("sse4.1") &&
		       !getenv("VCRYPTO_GHASH_BITWISE");
	return have;
}
#endif

/* X = (X ^ block) * H in GF(2^128), GCM's bit order (bitwise, constant time) */
static void vcp_ghash_block(struct vcp_gctx *g, const uint8_t *blk)
{
	uint64_t xh = vcp_be64(g->x) ^ vcp_be64(blk), xl = vcp_be64(g->x + 8) ^ vcp_be64(blk + 8);
	uint64_t zh = 0, zl = 0, vh = g->hh, vl = g->hl, m, bit;
	int i;

#if defined(__x86_64__)
	if (vcp_have_clmul()) {
		vcp_ghash_clmul(g, blk);
		return;
	}
#endif
	for (i = 0; i < 128; i++) {
		bit = i < 64 ? (xh >> (63 - i)) & 1 : (xl >> (127 - i)) & 1;
		m = 0 - bit;
		zh ^= vh & m;
		zl ^= vl & m;
		m = 0 - (vl & 1);
		vl = (vl >> 1) | (vh << 63);
		vh = (vh >> 1) ^ (0xe100000000000000ULL & m);
	}
	vcp_put_be64(g->x, zh);
	vcp_put_be64(g->x + 8, zl);
}

static void vcp_ghash(struct vcp_gctx *g, const uint8_t *p, size_t n)
{
	size_t t;

	if (g->gbuflen) {
		t = 16 - g->gbuflen < n ? 16 - g->gbuflen : n;
		memcpy(g->gbuf + g->gbuflen, p, t);
		g->gbuflen += t;
		p += t;
		n -= t;
		if (g->gbuflen < 16)
			return;
		vcp_ghash_block(g, g->gbuf);
		g->gbuflen = 0;
	}
	for (; n >= 16; n -= 16, p += 16)
		vcp_ghash_block(g, p);
	memcpy(g->gbuf, p, n);
	g->gbuflen = n;
}

static void vcp_ghash_pad(struct vcp_gctx *g)
{
	if (g->gbuflen) {
		memset(g->gbuf + g->gbuflen, 0, 16 - g->gbuflen);
		vcp_ghash_block(g, g->gbuf);
		g->gbuflen = 0;
	}
}

static int vcp_gses(struct vcp_gctx *g)
{
	int r;

	if (g->have_ses && g->pid == vcp_getpid())
		return 1;
	g->have_ses = 0;
	g->fd = vcp_fd();
	g->pid = vcp_getpid();
	r = vcp_sess_new(g->fd, CRYPTO_AES_CTR, g->key, vcp_gcm_keylen[g->k], 0, NULL, 0, &g->ses);
	if (r) {
		vcp_err(VCP_R_DEVICE, "CIOCGSESSION AES-CTR for GCM: %s", strerror(-r));
		return 0;
	}
	g->have_ses = 1;
	return 1;
}

static void vcp_inc32(uint8_t *c, uint32_t n)
{
	uint32_t v = (uint32_t)c[12] << 24 | (uint32_t)c[13] << 16 | (uint32_t)c[14] << 8 | c[15];

	v += n;
	c[12] = v >> 24;
	c[13] = v >> 16;
	c[14] = v >> 8;
	c[15] = v;
}

/* n bytes (whole blocks) of counter mode from g->ctr on the device; ctr advances (inc32) */
static int vcp_gctr(struct vcp_gctx *g, const uint8_t *in, uint8_t *out, size_t n)
{
	uint8_t iv[16];
	uint64_t room;
	size_t t;
	int r;

	if (!vcp_gses(g))
		return 0;
	while (n) {
		/* GCM's counter wraps in its low 32 bits; the device's carries: stop there */
		room = (0x100000000ULL - ((uint32_t)g->ctr[12] << 24 | (uint32_t)g->ctr[13] << 16 |
					  (uint32_t)g->ctr[14] << 8 | g->ctr[15])) *
		       16;
		t = n < VCP_GCHUNK ? n : VCP_GCHUNK;
		if (t > room)
			t = room;
		memcpy(iv, g->ctr, 16);
		r = vcp_crypt(g->fd, g->ses, COP_ENCRYPT, in, out, t, iv, 0, NULL);
		if (r) {
			vcp_err(VCP_R_DEVICE, "CIOCCRYPT AES-CTR for GCM (%zu bytes): %s", t,
				strerror(-r));
			return 0;
		}
		vcp_inc32(g->ctr, (uint32_t)(t / 16));
		in += t;
		out += t;
		n -= t;
	}
	return 1;
}

static int vcp_gblock(struct vcp_gctx *g, const uint8_t *in, uint8_t *out);

/* H, J0, E_K(J0) once key and IV are known */
static int vcp_gsetup(struct vcp_gctx *g)
{
	static const uint8_t zero[16];
	uint8_t h[16], j0[16], lenblk[16];

	if (!g->key_set || !g->iv_set) {
		vcp_err(VCP_R_BAD_INPUT, "GCM: %s not set", g->key_set ? "IV" : "key");
		return 0;
	}
	if (!g->h_ok) { /* once per key: re-inits with a new IV keep it */
		memset(g->ctr, 0, 16); /* counter block 0: E_K(0) = H */
		if (!vcp_gblock(g, zero, h) && !vcp_gctr(g, zero, h, 16))
			return 0;
		g->hh = vcp_be64(h);
		g->hl = vcp_be64(h + 8);
		memcpy(g->h, h, 16);
		g->h_ok = 1;
	}
	memset(g->x, 0, 16);
	g->gbuflen = 0;
	if (g->ivlen == 12) {
		memcpy(j0, g->iv, 12);
		j0[12] = j0[13] = j0[14] = 0;
		j0[15] = 1;
	} else {
		vcp_ghash(g, g->iv, g->ivlen);
		vcp_ghash_pad(g);
		memset(lenblk, 0, 8);
		vcp_put_be64(lenblk + 8, (uint64_t)g->ivlen * 8);
		vcp_ghash_block(g, lenblk);
		memcpy(j0, g->x, 16);
		memset(g->x, 0, 16);
	}
	/*
	 * E_K(J0) comes with the first data (one request: vcp_gdata) or at
	 * final; until then ctr stays J0.
	 */
	memcpy(g->ctr, j0, 16);
	g->ekj0_ok = 0;
	g->alen = g->clen = 0;
	g->num = 0;
	g->data_started = 0;
	g->done = 0;
	g->ready = 1;
	OPENSSL_cleanse(h, sizeof(h));
	OPENSSL_cleanse(j0, sizeof(j0));
	return 1;
}

/* E_K(in) for one block with the default provider's AES; 0: not available. */
static int vcp_gblock(struct vcp_gctx *g, const uint8_t *in, uint8_t *out)
{
	EVP_CIPHER *ci;
	int n = 0;

	if (!g->ecb_keyed) {
		if (!g->ecb) {
			if (!vcp_libctx() || !(ci = vcp_sw_cipher(vcp_gcm_ecb[g->k])))
				return 0;
			g->ecb = EVP_CIPHER_CTX_new();
			if (g->ecb && !EVP_EncryptInit_ex2(g->ecb, ci, NULL, NULL, NULL)) {
				EVP_CIPHER_CTX_free(g->ecb);
				g->ecb = NULL;
			}
			EVP_CIPHER_free(ci);
			if (!g->ecb)
				return 0;
		}
		if (!EVP_EncryptInit_ex2(g->ecb, NULL, g->key, NULL, NULL) ||
		    !EVP_CIPHER_CTX_set_padding(g->ecb, 0))
			return 0;
		g->ecb_keyed = 1;
	}
	return EVP_EncryptUpdate(g->ecb, out, &n, in, 16) && n == 16;
}

/* E_K(J0) on its own (no data in this message, or the first data does not fit). */
static int vcp_gekj0(struct vcp_gctx *g)
{
	static const uint8_t zero[16];

	if (g->ekj0_ok)
		return 1;
	if (vcp_gblock(g, g->ctr, g->ekj0)) { /* ctr is J0 */
		vcp_inc32(g->ctr, 1);
	} else if (!vcp_gctr(g, zero, g->ekj0, 16)) { /* leaves ctr = inc32(J0) */
		return 0;
	}
	g->ekj0_ok = 1;
	return 1;
}

/*
 * n bytes (whole blocks) of the message's counter mode.  The first data of
 * a message takes E_K(J0) with it: zero block || data in one request from
 * J0, as the module does for CIOCAUTHCRYPT (one device round trip per
 * message instead of two).
 */
static int vcp_gdata(struct vcp_gctx *g, const uint8_t *in, uint8_t *out, size_t n)
{
	uint8_t *p;

	if (g->ekj0_ok || g->ecb || n > VCP_GCHUNK - 16)
		return vcp_gekj0(g) && vcp_gctr(g, in, out, n);
	if (g->scrcap < n + 16) {
		if (!(p = malloc(n + 16)))
			return vcp_gekj0(g) && vcp_gctr(g, in, out, n);
		if (g->scr)
			OPENSSL_clear_free(g->scr, g->scrcap);
		g->scr = p;
		g->scrcap = n + 16;
	}
	memset(g->scr, 0, 16);
	memcpy(g->scr + 16, in, n);
	if (!vcp_gctr(g, g->scr, g->scr, n + 16)) {
		OPENSSL_cleanse(g->scr, n + 16);
		return 0;
	}
	memcpy(g->ekj0, g->scr, 16);
	memcpy(out, g->scr + 16, n);
	OPENSSL_cleanse(g->scr, n + 16);
	g->ekj0_ok = 1;
	return 1;
}

static void *vcp_gnew(void *provctx, int k)
{
	struct vcp_gctx *g = calloc(1, sizeof(*g));

	if (!g)
		return NULL;
	g->k = k;
	g->ivlen = 12;
	g->taglen = 16;
	g->fd = -1;
	return g;
}

static void vcp_gfree(void *vctx)
{
	struct vcp_gctx *g = vctx;

	if (!g)
		return;
	if (g->have_ses && g->pid == vcp_getpid())
		vcp_sess_free(g->fd, g->ses);
	vcp_gsw_free(g, &g->sw);
	vcp_gsw_free(g, &g->spare);
	if (g->aad)
		OPENSSL_clear_free(g->aad, g->aadcap);
	if (g->scr)
		OPENSSL_clear_free(g->scr, g->scrcap);
	EVP_CIPHER_CTX_free(g->ecb);
	OPENSSL_cleanse(g, sizeof(*g));
	free(g);
}

static void *vcp_gdup(void *vctx)
{
	struct vcp_gctx *s = vctx, *g = malloc(sizeof(*g));

	if (!g)
		return NULL;
	*g = *s;
	g->have_ses = 0;
	g->sw = NULL;
	g->spare = NULL;
	g->spare_keyed = 0;
	g->aad = NULL;
	g->aadcap = 0;
	g->scr = NULL;
	g->scrcap = 0;
	g->ecb = NULL; /* made and keyed again on first use */
	g->ecb_keyed = 0;
	if (s->aad) {
		if (!(g->aad = malloc(s->aadcap))) {
			free(g);
			return NULL;
		}
		memcpy(g->aad, s->aad, s->aadlen);
		g->aadcap = s->aadcap;
	}
	if (s->sw && !(g->sw = s->swf->dupctx(s->sw))) {
		if (g->aad)
			OPENSSL_clear_free(g->aad, g->aadcap);
		free(g);
		return NULL;
	}
	return g;
}

static int vcp_gset_ctx_params(void *vctx, const OSSL_PARAM params[]);

static int vcp_ginit(void *vctx, const unsigned char *key, size_t keylen, const unsigned char *iv,
		     size_t ivlen, const OSSL_PARAM params[], int enc)
{
	struct vcp_gctx *g = vctx;

	g->enc = enc;
	g->ready = 0;
	g->tag_set = 0;
	g->choice = 0;
	g->aadlen = 0;
	if (g->sw && !g->sw_tls && !g->spare) {
		g->spare = g->sw; /* keyed: the next short message re-inits it */
		g->sw = NULL;
	} else {
		vcp_gsw_free(g, &g->sw);
		if (g->sw_tls)
			vcp_gsw_free(g, &g->spare);
	}
	g->sw_tls = 0;
	if (!vcp_gset_ctx_params(g, params))
		return 0;
	if (key) {
		if (keylen != vcp_gcm_keylen[g->k]) {
			vcp_err(VCP_R_KEYLEN, "%s takes a %zu-byte key, not %zu", vcp_gcm_sw[g->k],
				vcp_gcm_keylen[g->k], keylen);
			return 0;
		}
		/*
		 * The same key again (speed, and callers that pass the key with
		 * every IV): its session, H and keyed software context stay.
		 */
		if (!g->key_set || CRYPTO_memcmp(g->key, key, keylen)) {
			if (g->have_ses && g->pid == vcp_getpid())
				vcp_sess_free(g->fd, g->ses);
			g->have_ses = 0;
			g->h_ok = 0;
			g->ecb_keyed = 0;
			memcpy(g->key, key, keylen);
			g->key_set = 1;
			g->spare_keyed = 0;
		}
	}
	if (iv) {
		if (ivlen == 0 || ivlen > VCP_GIV_MAX) {
			vcp_err(VCP_R_IVLEN, "GCM IV of %zu bytes", ivlen);
			return 0;
		}
		g->ivlen = ivlen;
		memcpy(g->iv, iv, ivlen);
		g->iv_set = 1;
	}
	return 1;
}

static int vcp_geinit(void *vctx, const unsigned char *key, size_t keylen, const unsigned char *iv,
		      size_t ivlen, const OSSL_PARAM params[])
{
	return vcp_ginit(vctx, key, keylen, iv, ivlen, params, 1);
}

static int vcp_gdinit(void *vctx, const unsigned char *key, size_t keylen, const unsigned char *iv,
		      size_t ivlen, const OSSL_PARAM params[])
{
	return vcp_ginit(vctx, key, keylen, iv, ivlen, params, 0);
}

/* A short message: the default provider's GCM from here to its final. */
static int vcp_gshort(struct vcp_gctx *g)
{
	OSSL_PARAM ps[2];
	void *x = g->spare;
	size_t o;
	int ok;

	if (!vcp_gswf_get(g))
		return 0; /* no default provider: the device does it */
	g->spare = NULL;
	if (!x) {
		g->spare_keyed = 0;
		if (!(x = g->swf->newctx(g->swf->provctx)))
			return 0;
	}
	/* one init per message; the key schedule only when the key changed */
	ok = vcp_gsw_init(g, x, !g->spare_keyed, NULL);
	g->spare_keyed = ok;
	if (ok && !g->enc && g->tag_set) {
		ps[0] = OSSL_PARAM_construct_octet_string(OSSL_CIPHER_PARAM_AEAD_TAG, g->tag,
							  g->taglen);
		ps[1] = OSSL_PARAM_construct_end();
		ok = g->swf->set(x, ps);
	}
	if (ok && g->aadlen)
		ok = g->swf->update(x, NULL, &o, g->aadlen, g->aad, g->aadlen);
	if (!ok) {
		vcp_gsw_free(g, &x);
		g->spare_keyed = 0;
		vcp_err(VCP_R_SOFTWARE, "%s in the default provider", vcp_gcm_sw[g->k]);
		return -1;
	}
	g->sw = x;
	g->sw_tls = 0;
	g->choice = 2;
	return 1;
}

/* The device for this message: H, J0, then the AAD held so far. */
static int vcp_gdevice(struct vcp_gctx *g)
{
	g->choice = 1;
	if (!g->ready && !vcp_gsetup(g))
		return 0;
	if (g->aadlen) {
		vcp_ghash(g, g->aad, g->aadlen);
		g->alen += g->aadlen;
		g->aadlen = 0;
	}
	return 1;
}

/* The first data of a message (len bytes; at final: 0) chooses where it runs. */
static int vcp_gchoose(struct vcp_gctx *g, size_t len, int final)
{
	int r;

	if (g->choice)
		return 1;
	if (g->key_set && g->iv_set && g->aadlen <= INT_MAX && vcp_libctx() && vcp_min_offload() &&
	    (final || len < vcp_min_offload())) {
		r = vcp_gshort(g);
		if (r)
			return r > 0;
	}
	return vcp_gdevice(g);
}

/* AAD before the choice: held, unless it reaches min_offload (then: the device). */
static int vcp_ghold_aad(struct vcp_gctx *g, const uint8_t *in, size_t inl)
{
	size_t cap;
	uint8_t *n;

	if (g->aadlen + inl >= vcp_min_offload())
		return vcp_gdevice(g);
	if (g->aadlen + inl > g->aadcap) {
		cap = g->aadcap ? g->aadcap : 64;
		while (cap < g->aadlen + inl)
			cap *= 2;
		if (!(n = malloc(cap)))
			return 0;
		if (g->aad) {
			memcpy(n, g->aad, g->aadlen);
			OPENSSL_clear_free(g->aad, g->aadcap);
		}
		g->aad = n;
		g->aadcap = cap;
	}
	memcpy(g->aad + g->aadlen, in, inl);
	g->aadlen += inl;
	return 1;
}

static int vcp_gupdate(void *vctx, unsigned char *out, size_t *outl, size_t outsize,
		       const unsigned char *in, size_t inl)
{
	struct vcp_gctx *g = vctx;
	size_t done = 0, n, i;
	uint8_t *copy = NULL;
	int ok = 0;

	/* in software (a short message, a TLS record form): straight to the default's */
	if (g->sw)
		return g->swf->update(g->sw, out, outl, outsize, in, inl);
	if (!g->choice) {
		if (!out) { /* AAD: held until the data (or final) chooses */
			if (!vcp_ghold_aad(g, in, inl))
				return 0;
			if (!g->choice) {
				*outl = inl;
				return 1;
			}
			/* the device chosen (held AAD hashed): this part below, as AAD */
		} else if (!vcp_gchoose(g, inl, 0)) {
			return 0;
		}
	}
	if (g->sw)
		return g->swf->update(g->sw, out, outl, outsize, in, inl);
	if (!g->ready && !vcp_gsetup(g))
		return 0;
	if (g->done) {
		vcp_err(VCP_R_BAD_INPUT, "GCM: update after final");
		return 0;
	}
	if (!out) { /* AAD */
		if (g->data_started) {
			vcp_err(VCP_R_BAD_INPUT, "GCM: AAD after data");
			return 0;
		}
		vcp_ghash(g, in, inl);
		g->alen += inl;
		*outl = inl;
		return 1;
	}
	if (outsize < inl) {
		vcp_err(VCP_R_BAD_INPUT, "output buffer too small");
		return 0;
	}
	if (!g->data_started) {
		vcp_ghash_pad(g);
		g->data_started = 1;
	}
	if (in != out && out < in + inl && in < out + inl) {
		if (!(copy = malloc(inl)))
			return 0;
		memcpy(copy, in, inl);
		in = copy;
	}
	if (!g->enc)
		vcp_ghash(g, in, inl); /* the ciphertext, before an in-place write */
	for (; done < inl && g->num; done++) {
		out[done] = in[done] ^ g->ks[g->num];
		g->num = (g->num + 1) & 15;
	}
	n = (inl - done) & ~(size_t)15;
	if (n && !vcp_gdata(g, in + done, out + done, n))
		goto out;
	done += n;
	if (done < inl) {
		static const uint8_t zero[16];

		if (!vcp_gekj0(g) || !vcp_gctr(g, zero, g->ks, 16))
			goto out;
		for (i = 0; done < inl; i++, done++)
			out[done] = in[done] ^ g->ks[i];
		g->num = i;
	}
	if (g->enc)
		vcp_ghash(g, out, inl);
	g->clen += inl;
	*outl = inl;
	ok = 1;
out:
	free(copy);
	return ok;
}

static int vcp_gfinal(void *vctx, unsigned char *out, size_t *outl, size_t outsize)
{
	struct vcp_gctx *g = vctx;
	uint8_t lenblk[16], t[16];
	unsigned int d = 0;
	size_t i;

	if (!g->sw && !g->choice && !vcp_gchoose(g, 0, 1))
		return 0;
	if (g->sw) {
		if (!g->swf->final(g->sw, out, outl, outsize)) {
			/* the default provider queues no error for a wrong tag: say why */
			if (g->choice == 2 && !g->enc)
				vcp_err(VCP_R_BAD_DECRYPT, "GCM tag mismatch");
			return 0;
		}
		return 1;
	}
	if (!g->ready && !vcp_gsetup(g))
		return 0;
	if (g->done) {
		vcp_err(VCP_R_BAD_INPUT, "GCM: final twice");
		return 0;
	}
	if (!vcp_gekj0(g))
		return 0;
	vcp_ghash_pad(g);
	vcp_put_be64(lenblk, g->alen * 8);
	vcp_put_be64(lenblk + 8, g->clen * 8);
	vcp_ghash_block(g, lenblk);
	for (i = 0; i < 16; i++)
		t[i] = g->x[i] ^ g->ekj0[i];
	g->done = 1;
	g->ready = 0; /* a new message needs a new init (IV) */
	*outl = 0;
	if (g->enc) {
		memcpy(g->tag, t, 16);
		return 1;
	}
	if (!g->tag_set) {
		vcp_err(VCP_R_BAD_INPUT, "GCM decrypt: no tag set");
		return 0;
	}
	for (i = 0; i < g->taglen; i++)
		d |= t[i] ^ g->tag[i];
	OPENSSL_cleanse(t, sizeof(t));
	if (d) {
		vcp_err(VCP_R_BAD_DECRYPT, "GCM tag mismatch");
		return 0;
	}
	return 1;
}

static int vcp_gcipher(void *vctx, unsigned char *out, size_t *outl, size_t outsize,
		       const unsigned char *in, size_t inl)
{
	struct vcp_gctx *g = vctx;

	if (g->sw)
		return g->swf->cipher(g->sw, out, outl, outsize, in, inl);
	if (in)
		return vcp_gupdate(vctx, out, outl, outsize, in, inl);
	return vcp_gfinal(vctx, out, outl, outsize);
}

/* The TLS 1.2 record forms: from here on the default provider does the work. */
static int vcp_gto_software(struct vcp_gctx *g)
{
	int ok;

	if (g->sw) {
		g->sw_tls = 1;
		return 1;
	}
	if (!vcp_gswf_get(g) || !(g->sw = g->swf->newctx(g->swf->provctx))) {
		vcp_err(VCP_R_SOFTWARE, "%s TLS record form: no default provider",
			vcp_gcm_sw[g->k]);
		return 0;
	}
	ok = vcp_gsw_init(g, g->sw, 1, NULL);
	g->sw_tls = 1;
	if (!ok) {
		vcp_gsw_free(g, &g->sw);
		vcp_err(VCP_R_SOFTWARE, "%s TLS record form in the default provider",
			vcp_gcm_sw[g->k]);
	}
	return ok;
}

static int vcp_gset_ctx_params(void *vctx, const OSSL_PARAM params[])
{
	struct vcp_gctx *g = vctx;
	const OSSL_PARAM *p;
	size_t sz;

	if (!params)
		return 1;
	if (OSSL_PARAM_locate_const(params, OSSL_CIPHER_PARAM_AEAD_TLS1_AAD) ||
	    OSSL_PARAM_locate_const(params, OSSL_CIPHER_PARAM_AEAD_TLS1_IV_FIXED) ||
	    OSSL_PARAM_locate_const(params, OSSL_CIPHER_PARAM_AEAD_TLS1_SET_IV_INV)) {
		if (!vcp_gto_software(g))
			return 0;
	}
	if (g->sw)
		return g->swf->set(g->sw, params);
	if ((p = OSSL_PARAM_locate_const(params, OSSL_CIPHER_PARAM_AEAD_IVLEN))) {
		if (!OSSL_PARAM_get_size_t(p, &sz) || sz == 0 || sz > VCP_GIV_MAX) {
			vcp_err(VCP_R_IVLEN, "GCM IV length");
			return 0;
		}
		g->ivlen = sz;
		g->iv_set = 0;
		g->ready = 0;
	}
	if ((p = OSSL_PARAM_locate_const(params, OSSL_CIPHER_PARAM_AEAD_TAG))) {
		if (p->data_type != OSSL_PARAM_OCTET_STRING || p->data_size == 0 ||
		    p->data_size > 16) {
			vcp_err(VCP_R_BAD_INPUT, "GCM tag of %zu bytes", p->data_size);
			return 0;
		}
		if (p->data) {
			if (g->enc) {
				vcp_err(VCP_R_BAD_INPUT, "GCM: tag set when encrypting");
				return 0;
			}
			memcpy(g->tag, p->data, p->data_size);
			g->tag_set = 1;
		}
		g->taglen = p->data_size;
	}
	if ((p = OSSL_PARAM_locate_const(params, OSSL_CIPHER_PARAM_KEYLEN))) {
		if (!OSSL_PARAM_get_size_t(p, &sz) || sz != vcp_gcm_keylen[g->k]) {
			vcp_err(VCP_R_KEYLEN, "%s key length is fixed", vcp_gcm_sw[g->k]);
			return 0;
		}
	}
	return 1;
}

static int vcp_gget_ctx_params(void *vctx, OSSL_PARAM params[])
{
	struct vcp_gctx *g = vctx;
	OSSL_PARAM *p;

	if (g->sw)
		return g->swf->get(g->sw, params);
	if ((p = OSSL_PARAM_locate(params, OSSL_CIPHER_PARAM_KEYLEN)) &&
	    !OSSL_PARAM_set_size_t(p, vcp_gcm_keylen[g->k]))
		return 0;
	if ((p = OSSL_PARAM_locate(params, OSSL_CIPHER_PARAM_IVLEN)) &&
	    !OSSL_PARAM_set_size_t(p, g->ivlen))
		return 0;
	if ((p = OSSL_PARAM_locate(params, OSSL_CIPHER_PARAM_AEAD_TAGLEN)) &&
	    !OSSL_PARAM_set_size_t(p, g->taglen))
		return 0;
	if ((p = OSSL_PARAM_locate(params, OSSL_CIPHER_PARAM_AEAD_TAG))) {
		if (!g->enc || !g->done || p->data_size == 0 || p->data_size > 16) {
			vcp_err(VCP_R_BAD_INPUT,
				"GCM tag: only after an encryption's final, 1..16 bytes");
			return 0;
		}
		if (!OSSL_PARAM_set_octet_string(p, g->tag, p->data_size))
			return 0;
	}
	if ((p = OSSL_PARAM_locate(params, OSSL_CIPHER_PARAM_IV)) && g->ivlen <= p->data_size &&
	    !OSSL_PARAM_set_octet_string(p, g->iv, g->ivlen))
		return 0;
	if ((p = OSSL_PARAM_locate(params, OSSL_CIPHER_PARAM_UPDATED_IV)) &&
	    g->ivlen <= p->data_size && !OSSL_PARAM_set_octet_string(p, g->iv, g->ivlen))
		return 0;
	return 1;
}

static const OSSL_PARAM vcp_gctx_gettable_list[] = {
	OSSL_PARAM_size_t(OSSL_CIPHER_PARAM_KEYLEN, NULL),
	OSSL_PARAM_size_t(OSSL_CIPHER_PARAM_IVLEN, NULL),
	OSSL_PARAM_size_t(OSSL_CIPHER_PARAM_AEAD_TAGLEN, NULL),
	OSSL_PARAM_octet_string(OSSL_CIPHER_PARAM_IV, NULL, 0),
	OSSL_PARAM_octet_string(OSSL_CIPHER_PARAM_UPDATED_IV, NULL, 0),
	OSSL_PARAM_octet_string(OSSL_CIPHER_PARAM_AEAD_TAG, NULL, 0),
	OSSL_PARAM_size_t(OSSL_CIPHER_PARAM_AEAD_TLS1_AAD_PAD, NULL),
	OSSL_PARAM_END,
};

static const OSSL_PARAM *vcp_gctx_gettable(void *cctx, void *provctx)
{
	return vcp_gctx_gettable_list;
}

static const OSSL_PARAM vcp_gctx_settable_list[] = {
	OSSL_PARAM_size_t(OSSL_CIPHER_PARAM_KEYLEN, NULL),
	OSSL_PARAM_size_t(OSSL_CIPHER_PARAM_AEAD_IVLEN, NULL),
	OSSL_PARAM_octet_string(OSSL_CIPHER_PARAM_AEAD_TAG, NULL, 0),
	OSSL_PARAM_octet_string(OSSL_CIPHER_PARAM_AEAD_TLS1_AAD, NULL, 0),
	OSSL_PARAM_octet_string(OSSL_CIPHER_PARAM_AEAD_TLS1_IV_FIXED, NULL, 0),
	OSSL_PARAM_octet_string(OSSL_CIPHER_PARAM_AEAD_TLS1_SET_IV_INV, NULL, 0),
	OSSL_PARAM_END,
};

static const OSSL_PARAM *vcp_gctx_settable(void *cctx, void *provctx)
{
	return vcp_gctx_settable_list;
}

static int vcp_gget_params_idx(OSSL_PARAM params[], int k)
{
	const struct vcp_cipher_info ci = {.mode = EVP_CIPH_GCM_MODE,
					   .keylen = vcp_gcm_keylen[k],
					   .ivlen = 12,
					   .blocksize = 1,
					   .aead = 1,
					   .custom_iv = 1};

	return vcp_cipher_get_params(params, &ci);
}

VCP_CIPHER_FNS(g, 0)
VCP_CIPHER_FNS(g, 1)
VCP_CIPHER_FNS(g, 2)

static const OSSL_DISPATCH *const vcp_gfns[3] = {vcp_gfns_0, vcp_gfns_1, vcp_gfns_2};

/* Appends the GCM entries the probe allowed (the AES-CTR session opened). */
int vcp_gcm_algs(OSSL_ALGORITHM *algs, int n)
{
	int k;

	for (k = 0; k < 3; k++) {
		if (!vcp_gcm_ok[k])
			continue;
		algs[n].algorithm_names = vcp_gcm_names[k];
		algs[n].property_definition = "provider=vcrypto";
		algs[n].implementation = vcp_gfns[k];
		algs[n].algorithm_description = "AES-GCM: counter mode on /dev/crypto, GHASH here";
		n++;
	}
	return n;
}
