// SPDX-License-Identifier: MIT
/*
 * cdev_aead: CIOCAUTHCRYPT of /dev/crypto in its three forms (TLS, SRTP,
 * AES-GCM), every expected output computed by OpenSSL in this program:
 * TLS records by HMAC + manual padding + AES-CBC, SRTP by AES-CTR + HMAC,
 * GCM by EVP_aes_*_gcm.  Tampered records must give EBADMSG and leave
 * dst as it was; bad arguments must give cryptodev-linux's errno.
 *
 *   cdev_aead [--expect-mac] gcm|tls|srtp|errors|emit|verify FILE
 *
 * Without --expect-mac a backend that refuses cipher+HMAC sessions (QEMU's
 * builtin one) makes the TLS/SRTP cases SKIP; with it, that is a failure.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <sys/ioctl.h>
#include <unistd.h>

#ifndef CDEV_AEAD_NO_OPENSSL
#include <openssl/evp.h>
#include <openssl/hmac.h>
#endif

#include "cdev_util.h"

#define BAD_PTR ((void *)16)
#define FILLER 0xa5

static int expect_mac;

/* Prints the usage to f; returns the exit status given. */
static int usage(FILE *f, int status)
{
	fprintf(f, "usage: cdev_aead [--expect-mac] gcm|tls|srtp|errors|emit|verify FILE\n"
		   "Output is TAP (emit: result lines for verify, which checks them with\n"
		   "OpenSSL; the 32-bit build has errors and emit only); exit status 1 if\n"
		   "a check failed.\n");
	return status;
}

#define EXPECT(expr, err, what)                                                             \
	do {                                                                                \
		int r_ = (expr);                                                            \
		cdev_ok(r_ == -(err), "%s: %s (got %s)", what, (err) ? strerror(err) : "0", \
			r_ ? strerror(-r_) : "0");                                          \
	} while (0)

struct aead_args {
	uint32_t ses;
	uint16_t op, flags;
	const void *auth;
	uint32_t auth_len;
	const void *src;
	void *dst;
	uint32_t len;
	void *tag;
	uint32_t tag_len;
	void *iv;
	/* out */
	uint32_t out_len, out_tag_len;
	void *out_tag;
};

/* A request with flags and tag_len 0 (the caller sets them when it wants more). */
static struct aead_args aead_req(uint32_t ses, uint16_t op, const void *auth, uint32_t auth_len,
				 const void *src, void *dst, uint32_t len, void *iv)
{
	struct aead_args a = {.ses = ses,
			      .op = op,
			      .auth = auth,
			      .auth_len = auth_len,
			      .src = src,
			      .dst = dst,
			      .len = len,
			      .iv = iv};

	return a;
}

static int aead(int fd, struct aead_args *a)
{
	struct crypt_auth_op caop;

	memset(&caop, 0, sizeof(caop));
	caop.ses = a->ses;
	caop.op = a->op;
	caop.flags = a->flags;
	caop.auth_src = (void *)a->auth;
	caop.auth_len = a->auth_len;
	caop.src = (void *)a->src;
	caop.dst = a->dst;
	caop.len = a->len;
	caop.tag = a->tag;
	caop.tag_len = a->tag_len;
	caop.iv = a->iv;
	caop.iv_len = a->iv ? 12 : 0;
	if (ioctl(fd, CIOCAUTHCRYPT, &caop))
		return -errno;
	a->out_len = caop.len;
	a->out_tag_len = caop.tag_len;
	a->out_tag = caop.tag;
	return 0;
}

static int all_bytes(const uint8_t *p, size_t n, uint8_t v)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != v)
			return 0;
	return 1;
}

#ifndef CDEV_AEAD_NO_OPENSSL
/* ---- OpenSSL references ---- */

static const EVP_CIPHER *aes(const char *mode, unsigned int keylen)
{
	char name[32];

	snprintf(name, sizeof(name), "aes-%u-%s", keylen * 8, mode);
	return EVP_get_cipherbyname(name);
}

/* Raw cipher, no padding; 0 or -1. */
static int ossl_cipher(const EVP_CIPHER *c, const uint8_t *key, const uint8_t *iv, int enc,
		       const uint8_t *in, uint8_t *out, size_t len)
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int n1 = 0, n2 = 0, ok;

	ok = ctx && EVP_CipherInit_ex(ctx, c, NULL, key, iv, enc) &&
	     EVP_CIPHER_CTX_set_padding(ctx, 0) &&
	     (len == 0 || EVP_CipherUpdate(ctx, out, &n1, in, (int)len)) &&
	     EVP_CipherFinal_ex(ctx, out + n1, &n2) && (size_t)(n1 + n2) == len;
	EVP_CIPHER_CTX_free(ctx);
	return ok ? 0 : -1;
}

static void ossl_hmac2(const EVP_MD *md, const uint8_t *key, size_t klen, const uint8_t *a,
		       size_t alen, const uint8_t *b, size_t blen, uint8_t *out)
{
	uint8_t *m = malloc(alen + blen + 1);
	unsigned int n = 0;

	memcpy(m, a, alen);
	memcpy(m + alen, b, blen);
	HMAC(md, key, (int)klen, m, alen + blen, out, &n);
	free(m);
}

/*
 * A TLS record: E_CBC(pt || HMAC(auth || pt)[:tag_len] || padding), padding
 * of p bytes of value p - 1 (@bad_pad: a wrong byte in it).  Returns its length.
 */
static size_t ref_tls(const EVP_MD *md, const uint8_t *mkey, size_t mklen, const uint8_t *key,
		      unsigned int klen, const uint8_t *iv, const uint8_t *auth, size_t alen,
		      const uint8_t *pt, size_t len, size_t tag_len, int bad_pad, uint8_t *out)
{
	uint8_t mac[64], *rec;
	size_t n = len + tag_len, p = 16 - n % 16;

	ossl_hmac2(md, mkey, mklen, auth, alen, pt, len, mac);
	rec = malloc(n + p);
	memcpy(rec, pt, len);
	memcpy(rec + len, mac, tag_len);
	memset(rec + n, (int)(p - 1), p);
	if (bad_pad && p > 1)
		rec[n] ^= 0x40;
	if (ossl_cipher(aes("cbc", klen), key, iv, 1, rec, out, n + p))
		n = p = 0;
	free(rec);
	return n + p;
}

/* AES-GCM with a 12-byte IV: out = C || T[:tag_len]; 0 or -1. */
static int ref_gcm(const uint8_t *key, unsigned int klen, const uint8_t *iv, const uint8_t *aad,
		   size_t alen, const uint8_t *pt, size_t len, size_t tag_len, uint8_t *out)
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int n = 0, ok;

	ok = ctx && EVP_EncryptInit_ex(ctx, aes("gcm", klen), NULL, NULL, NULL) &&
	     EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, 12, NULL) &&
	     EVP_EncryptInit_ex(ctx, NULL, NULL, key, iv) &&
	     (alen == 0 || EVP_EncryptUpdate(ctx, NULL, &n, aad, (int)alen)) &&
	     (len == 0 || EVP_EncryptUpdate(ctx, out, &n, pt, (int)len)) &&
	     EVP_EncryptFinal_ex(ctx, out + len, &n) &&
	     EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, (int)tag_len, out + len);
	EVP_CIPHER_CTX_free(ctx);
	return ok ? 0 : -1;
}

/* 1 if a cipher+HMAC session can be had; 0 after a SKIP (or failure). */
static int mac_session(int fd, uint32_t cipher, const uint8_t *key, unsigned int klen, uint32_t mac,
		       const uint8_t *mkey, unsigned int mklen, uint32_t *ses, const char *what)
{
	int r = cdev_session(fd, cipher, key, klen, mac, mkey, mklen, ses);

	if (!r)
		return 1;
	if (r == -EINVAL && !expect_mac)
		cdev_skip("%s: the backend has no HMAC (cipher+HMAC session: EINVAL; QEMU's "
			  "builtin backend serves ciphers only)",
			  what);
	else
		cdev_ok(0, "%s: CIOCGSESSION cipher+HMAC: %s", what, strerror(-r));
	return 0;
}

/* ---- GCM ---- */

/* Threads sharing one GCM session (its GHASH key, its IV), each checked. */
struct gcm_thread {
	int fd;
	uint32_t ses;
	const uint8_t *key;
	unsigned int id, bad;
};

static void *gcm_thread_run(void *arg)
{
	struct gcm_thread *t = arg;
	uint8_t iv[12], aad[40], pt[600], out[616], ref[616];

	for (unsigned int n = 0; n < 40; n++) {
		uint32_t len = (t->id * 131 + n * 37) % 600;
		struct aead_args a;

		cdev_fill(iv, 12, 7000 + t->id * 100 + n);
		cdev_fill(aad, 40, 8000 + n);
		cdev_fill(pt, len, 9000 + t->id * 100 + n);
		ref_gcm(t->key, 16, iv, aad, 40, pt, len, 16, ref);
		a = aead_req(t->ses, COP_ENCRYPT, aad, 40, pt, out, len, iv);
		if (aead(t->fd, &a) || memcmp(out, ref, len + 16))
			t->bad++;
	}
	return NULL;
}

static void gcm_threads(int fd)
{
	struct gcm_thread t[4];
	pthread_t th[4];
	uint8_t key[16];
	unsigned int bad = 0;
	uint32_t ses;

	cdev_fill(key, 16, 6000);
	if (cdev_session(fd, CRYPTO_AES_GCM, key, 16, 0, NULL, 0, &ses)) {
		cdev_ok(0, "CIOCGSESSION AES-GCM-128 (threads)");
		return;
	}
	for (int i = 0; i < 4; i++) {
		t[i] = (struct gcm_thread){fd, ses, key, (unsigned int)i, 0};
		pthread_create(&th[i], NULL, gcm_thread_run, &t[i]);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		bad += t[i].bad;
	}
	cdev_ok(!bad,
		"AES-GCM: 4 threads x 40 requests on one session, each equal to OpenSSL (%u bad)",
		bad);
	cdev_free(fd, ses);
}

static void cmd_gcm(int fd)
{
	static const uint32_t lens[] = {0, 1, 15, 16, 17, 64, 4096 + 3, 65536 + 5};
	static const uint32_t alens[] = {0, 13, 1, 16, 31, 0, 4096, 20};
	static const unsigned int klens[] = {16, 24, 32};
	uint8_t key[32], iv[12], aad[4096], *pt, *ref, *out, *dec;
	size_t max = 65536 + 5 + 16;
	struct aead_args a;
	uint32_t ses;
	int r;

	pt = malloc(max);
	ref = malloc(max);
	out = malloc(max);
	dec = malloc(max);
	for (unsigned int k = 0; k < 3; k++) {
		unsigned int kl = klens[k];
		int enc_ok = 1, dec_ok = 1, len_ok = 1;

		cdev_fill(key, kl, 100 + k);
		r = cdev_session(fd, CRYPTO_AES_GCM, key, kl, 0, NULL, 0, &ses);
		cdev_ok(!r, "CIOCGSESSION AES-GCM-%u (%s)", kl * 8, r ? strerror(-r) : "ok");
		if (r)
			continue;
		for (unsigned int i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
			uint32_t len = lens[i], alen = alens[i];
			int inplace = i & 1;

			cdev_fill(iv, 12, 200 + i + 10 * k);
			cdev_fill(aad, alen, 300 + i);
			cdev_fill(pt, len, 400 + i);
			if (ref_gcm(key, kl, iv, aad, alen, pt, len, 16, ref)) {
				cdev_ok(0, "OpenSSL AES-GCM reference");
				continue;
			}
			memcpy(out, pt, len);
			memset(out + len, FILLER, 16);
			a = aead_req(ses, COP_ENCRYPT, alen ? aad : NULL, alen, inplace ? out : pt,
				     out, len, iv);
			r = aead(fd, &a);
			if (r || memcmp(out, ref, len + 16) || a.out_len != len + 16 ||
			    a.out_tag_len != 16 || a.out_tag != out + len) {
				enc_ok = 0;
				cdev_note("GCM-%u len %u aad %u: encrypt %s, len %u tag_len %u",
					  kl * 8, len, alen, r ? strerror(-r) : "ok", a.out_len,
					  a.out_tag_len);
			}
			/* decrypt OpenSSL's C || T: len includes the tag */
			memcpy(dec, ref, len + 16);
			if (!inplace)
				memset(dec, FILLER, len + 16);
			a = aead_req(ses, COP_DECRYPT, alen ? aad : NULL, alen, inplace ? dec : ref,
				     dec, len + 16, iv);
			r = aead(fd, &a);
			if (r || memcmp(dec, pt, len) || a.out_len != len) {
				dec_ok = 0;
				cdev_note("GCM-%u len %u aad %u: decrypt %s, len %u", kl * 8, len,
					  alen, r ? strerror(-r) : "ok", a.out_len);
			}
			if (a.out_len != len)
				len_ok = 0;
		}
		cdev_ok(enc_ok,
			"AES-GCM-%u encrypt, 8 lengths 0..64 KiB, AAD 0..4096, in and out "
			"of place: C || T equal to OpenSSL, len = len + 16, tag points into dst",
			kl * 8);
		cdev_ok(dec_ok && len_ok,
			"AES-GCM-%u decrypt of OpenSSL's C || T: plaintext back, len = len - 16",
			kl * 8);
		cdev_free(fd, ses);
	}

	/* truncated tags, tampering, carried IV */
	cdev_fill(key, 16, 7);
	r = cdev_session(fd, CRYPTO_AES_GCM, key, 16, 0, NULL, 0, &ses);
	if (r) {
		cdev_ok(0, "CIOCGSESSION AES-GCM-128");
		goto out;
	}
	{
		static const uint32_t tls[] = {4, 8, 12, 13, 14, 15};
		uint32_t len = 100, alen = 20;
		int ok = 1;

		cdev_fill(iv, 12, 8);
		cdev_fill(aad, alen, 9);
		cdev_fill(pt, len, 10);
		for (unsigned int t = 0; t < sizeof(tls) / sizeof(tls[0]); t++) {
			ref_gcm(key, 16, iv, aad, alen, pt, len, tls[t], ref);
			memset(out, FILLER, len + 16);
			a = aead_req(ses, COP_ENCRYPT, aad, alen, pt, out, len, iv);
			a.tag_len = tls[t];
			r = aead(fd, &a);
			ok &= !r && !memcmp(out, ref, len + tls[t]) && a.out_len == len + tls[t] &&
			      out[len + tls[t]] == FILLER;
			a = aead_req(ses, COP_DECRYPT, aad, alen, ref, dec, len + tls[t], iv);
			a.tag_len = tls[t];
			r = aead(fd, &a);
			ok &= !r && !memcmp(dec, pt, len) && a.out_len == len;
		}
		cdev_ok(ok, "AES-GCM tag_len 4, 8, 12..15: truncated tags equal to OpenSSL's, "
			    "decrypt verifies them");

		/* tampering: C, T, AAD, IV; dst must stay as it was */
		ref_gcm(key, 16, iv, aad, alen, pt, len, 16, ref);
		for (int what = 0; what < 4; what++) {
			static const char *names[] = {"ciphertext", "tag", "AAD", "IV"};
			uint8_t c[256], aad2[32], iv2[12];

			memcpy(c, ref, len + 16);
			memcpy(aad2, aad, alen);
			memcpy(iv2, iv, 12);
			if (what == 0)
				c[5] ^= 1;
			else if (what == 1)
				c[len + 15] ^= 0x80;
			else if (what == 2)
				aad2[0] ^= 2;
			else
				iv2[11] ^= 1;
			memset(dec, FILLER, len + 16);
			a = aead_req(ses, COP_DECRYPT, aad2, alen, c, dec, len + 16, iv2);
			r = aead(fd, &a);
			cdev_ok(r == -EBADMSG && all_bytes(dec, len + 16, FILLER),
				"AES-GCM decrypt with a wrong %s: EBADMSG (%s), dst untouched",
				names[what], r ? strerror(-r) : "0");
			/* in place: the ciphertext stays */
			a.src = c;
			a.dst = c;
			memcpy(dec, c, len + 16);
			r = aead(fd, &a);
			cdev_ok(r == -EBADMSG && !memcmp(c, dec, len + 16),
				"AES-GCM in-place decrypt with a wrong %s: EBADMSG, buffer "
				"unchanged",
				names[what]);
		}

		/* iv NULL: the session's IV (gcm leaves it as it was) */
		a = aead_req(ses, COP_ENCRYPT, NULL, 0, pt, out, len, NULL);
		r = aead(fd, &a);
		ref_gcm(key, 16, iv, NULL, 0, pt, len, 16, ref);
		cdev_ok(!r && !memcmp(out, ref, len + 16),
			"AES-GCM with no iv uses the IV the session's last request set");
		{
			uint8_t iv3[16];

			memset(iv3, 0, sizeof(iv3));
			memcpy(iv3, iv, 12);
			a = aead_req(ses, COP_ENCRYPT, NULL, 0, pt, out, 16, iv3);
			a.flags = COP_FLAG_WRITE_IV;
			r = aead(fd, &a);
			cdev_ok(!r && !memcmp(iv3, iv, 12),
				"AES-GCM COP_FLAG_WRITE_IV writes back the IV unchanged");
		}
	}
	cdev_free(fd, ses);

	/* cryptodev-linux's own vector (test case 4 of the GCM spec) as a known answer */
	{
		uint8_t k[16], v[12], p[60], ad[20], exp[76];

		cdev_unhex("feffe9928665731c6d6a8f9467308308", k, sizeof(k));
		cdev_unhex("cafebabefacedbaddecaf888", v, sizeof(v));
		cdev_unhex("d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
			   "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39",
			   p, sizeof(p));
		cdev_unhex("feedfacedeadbeeffeedfacedeadbeefabaddad2", ad, sizeof(ad));
		cdev_unhex("42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e"
			   "21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091"
			   "5bc94fbc3221a5db94fae95ae7121a47",
			   exp, sizeof(exp));
		r = cdev_session(fd, CRYPTO_AES_GCM, k, 16, 0, NULL, 0, &ses);
		a = aead_req(ses, COP_ENCRYPT, ad, 20, p, out, 60, v);
		if (!r)
			r = aead(fd, &a);
		cdev_ok(!r && !memcmp(out, exp, 76), "AES-GCM known answer (GCM spec test case 4, "
						     "also in cryptodev-linux's tests)");
		cdev_free(fd, ses);
	}
	gcm_threads(fd);
out:
	free(pt);
	free(ref);
	free(out);
	free(dec);
}

/* ---- TLS ---- */

static void cmd_tls(int fd)
{
	static const struct {
		uint32_t mac;
		const char *name;
		unsigned int dlen;
	} macs[] = {{CRYPTO_SHA1_HMAC, "sha1", 20}, {CRYPTO_SHA2_256_HMAC, "sha256", 32}};
	static const uint32_t lens[] = {0, 1, 15, 16, 17, 4096 + 3};
	static const uint32_t alens[] = {13, 0, 13, 31, 13, 13};
	uint8_t key[32], mkey[40], iv[16], aad[64], *pt, *buf, *ref;
	size_t max = 4096 + 3 + 64 + 16;
	struct aead_args a;
	uint32_t ses;
	int r;

	pt = malloc(max);
	buf = malloc(max);
	ref = malloc(max);

	/* a cipher-only session (any backend): TLS padding and CBC, no MAC */
	cdev_fill(key, 16, 450);
	cdev_fill(iv, 16, 451);
	cdev_fill(pt, 33, 452);
	r = cdev_session(fd, CRYPTO_AES_CBC, key, 16, 0, NULL, 0, &ses);
	if (!r) {
		size_t rl = ref_tls(EVP_sha256(), key, 16, key, 16, iv, NULL, 0, pt, 33, 0, 0, ref);

		memcpy(buf, pt, 33);
		a = aead_req(ses, COP_ENCRYPT, NULL, 0, buf, buf, 33, iv);
		a.flags = COP_FLAG_AEAD_TLS_TYPE;
		r = aead(fd, &a);
		cdev_ok(!r && a.out_len == rl && !memcmp(buf, ref, rl),
			"TLS on an AES-CBC session without MAC: CBC(pt || padding) as OpenSSL, len "
			"%u",
			a.out_len);
		a.op = COP_DECRYPT;
		a.len = a.out_len;
		r = r ? r : aead(fd, &a);
		cdev_ok(!r && a.out_len == 33 && !memcmp(buf, pt, 33),
			"TLS decrypt without MAC: padding removed, len %u", a.out_len);
		cdev_free(fd, ses);
	} else {
		cdev_ok(0, "CIOCGSESSION AES-CBC: %s", strerror(-r));
	}

	for (unsigned int m = 0; m < 2; m++) {
		const EVP_MD *md = EVP_get_digestbyname(macs[m].name);

		for (unsigned int kl = 16; kl <= 32; kl += 16) {
			int enc_ok = 1, dec_ok = 1;
			char what[64];

			snprintf(what, sizeof(what), "TLS AES-%u-CBC + HMAC-%s", kl * 8,
				 macs[m].name);
			cdev_fill(key, kl, 500 + kl);
			cdev_fill(mkey, sizeof(mkey), 600 + m);
			if (!mac_session(fd, CRYPTO_AES_CBC, key, kl, macs[m].mac, mkey,
					 macs[m].dlen, &ses, what))
				goto out;
			for (unsigned int i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
				uint32_t len = lens[i], alen = alens[i];
				uint32_t tag_len = (i == 3) ? 10 : 0; /* one truncated MAC */
				size_t rl;

				cdev_fill(iv, 16, 700 + i);
				cdev_fill(aad, alen, 800 + i);
				cdev_fill(pt, len, 900 + i);
				rl = ref_tls(md, mkey, macs[m].dlen, key, kl, iv, aad, alen, pt,
					     len, tag_len ? tag_len : macs[m].dlen, 0, ref);
				memset(buf, FILLER, max);
				memcpy(buf, pt, len);
				a = aead_req(ses, COP_ENCRYPT, alen ? aad : NULL, alen, buf, buf,
					     len, iv);
				a.flags = COP_FLAG_AEAD_TLS_TYPE;
				a.tag_len = tag_len;
				r = aead(fd, &a);
				if (r || !rl || a.out_len != rl || memcmp(buf, ref, rl) ||
				    buf[rl] != FILLER) {
					enc_ok = 0;
					cdev_note("%s len %u: encrypt %s, len %u (want %zu)", what,
						  len, r ? strerror(-r) : "ok", a.out_len, rl);
				}
				/* decrypt OpenSSL's record */
				memcpy(buf, ref, rl);
				a = aead_req(ses, COP_DECRYPT, alen ? aad : NULL, alen, buf, buf,
					     (uint32_t)rl, iv);
				a.flags = COP_FLAG_AEAD_TLS_TYPE;
				a.tag_len = tag_len;
				r = aead(fd, &a);
				if (r || a.out_len != len || memcmp(buf, pt, len)) {
					dec_ok = 0;
					cdev_note("%s len %u: decrypt %s, len %u", what, len,
						  r ? strerror(-r) : "ok", a.out_len);
				}
			}
			cdev_ok(enc_ok,
				"%s encrypt, 6 lengths 0..4099, AAD 0..31, full and 10-byte "
				"MAC: record equal to OpenSSL's, len = record length",
				what);
			cdev_ok(dec_ok,
				"%s decrypt of OpenSSL's records: plaintext, len = plaintext "
				"length",
				what);
			cdev_free(fd, ses);
		}
	}

	/* tampering (SHA-256, AES-128): ciphertext, MAC, AAD, padding, pad length */
	{
		const EVP_MD *md = EVP_sha256();
		uint32_t len = 100, alen = 13;
		size_t rl;

		cdev_fill(key, 16, 11);
		cdev_fill(mkey, 32, 12);
		cdev_fill(iv, 16, 13);
		cdev_fill(aad, alen, 14);
		cdev_fill(pt, len, 15);
		if (!mac_session(fd, CRYPTO_AES_CBC, key, 16, CRYPTO_SHA2_256_HMAC, mkey, 32, &ses,
				 "TLS tampering"))
			goto out;
		for (int what = 0; what < 5; what++) {
			static const char *names[] = {"ciphertext byte", "AAD byte", "padding byte",
						      "MAC byte", "pad length beyond the record"};
			uint8_t aad2[64], saved[256];

			memcpy(aad2, aad, alen);
			rl = ref_tls(md, mkey, 32, key, 16, iv, aad, alen, pt, len, 32, what == 2,
				     ref);
			memcpy(buf, ref, rl);
			if (what == 0)
				buf[20] ^= 1;
			else if (what == 1)
				aad2[3] ^= 1;
			else if (what == 3) {
				/* a record whose MAC is wrong but padding is right */
				uint8_t rec[256];

				ossl_cipher(aes("cbc", 16), key, iv, 0, ref, rec, rl);
				rec[len + 2] ^= 1;
				ossl_cipher(aes("cbc", 16), key, iv, 1, rec, buf, rl);
			} else if (what == 4) {
				uint8_t rec[256];

				ossl_cipher(aes("cbc", 16), key, iv, 0, ref, rec, rl);
				memset(rec + rl - 16, 0xfe, 16);
				ossl_cipher(aes("cbc", 16), key, iv, 1, rec, buf, rl);
			}
			memcpy(saved, buf, rl);
			a = aead_req(ses, COP_DECRYPT, aad2, alen, buf, buf, (uint32_t)rl, iv);
			a.flags = COP_FLAG_AEAD_TLS_TYPE;
			r = aead(fd, &a);
			cdev_ok(r == -EBADMSG && !memcmp(buf, saved, rl),
				"TLS decrypt, wrong %s: EBADMSG (%s), no plaintext in dst",
				names[what], r ? strerror(-r) : "0");
		}

		/* iv NULL carries CBC's IV: the last ciphertext block of the previous record */
		{
			uint8_t buf2[256], ref2[256];
			size_t rl2;

			rl = ref_tls(md, mkey, 32, key, 16, iv, aad, alen, pt, len, 32, 0, ref);
			rl2 = ref_tls(md, mkey, 32, key, 16, ref + rl - 16, aad, alen, pt, 40, 32,
				      0, ref2);
			memcpy(buf, pt, len);
			a = aead_req(ses, COP_ENCRYPT, aad, alen, buf, buf, len, iv);
			a.flags = COP_FLAG_AEAD_TLS_TYPE;
			r = aead(fd, &a);
			memcpy(buf2, pt, 40);
			a.src = buf2;
			a.dst = buf2;
			a.len = 40;
			a.iv = NULL;
			r = r ? r : aead(fd, &a);
			cdev_ok(!r && !memcmp(buf, ref, rl) && !memcmp(buf2, ref2, rl2),
				"TLS records chained with no iv: CBC carries the last ciphertext "
				"block");
			{
				uint8_t iv4[16];

				memcpy(iv4, iv, 16);
				memcpy(buf, pt, len);
				a.src = buf;
				a.dst = buf;
				a.len = len;
				a.iv = iv4;
				a.flags = COP_FLAG_AEAD_TLS_TYPE | COP_FLAG_WRITE_IV;
				r = aead(fd, &a);
				cdev_ok(!r && !memcmp(iv4, ref + rl - 16, 16),
					"TLS COP_FLAG_WRITE_IV: the next IV is the last ciphertext "
					"block");
			}
		}
		cdev_free(fd, ses);
	}
out:
	free(pt);
	free(buf);
	free(ref);
}

/* ---- SRTP ---- */

static void cmd_srtp(int fd)
{
	static const uint32_t lens[] = {1, 15, 16, 17, 1021, 4096 + 3};
	static const uint32_t hlens[] = {12, 12, 193, 12, 193, 12};
	static const uint32_t flens[] = {0, 4, 15, 0, 4, 10};
	uint8_t key[16], mkey[20], iv[16], *pkt, *ref, mac[64], tag[20];
	size_t max = 193 + 4096 + 3 + 16;
	struct aead_args a;
	uint32_t ses;
	int r, enc_ok = 1, dec_ok = 1;

	cdev_fill(key, 16, 1000);
	cdev_fill(mkey, 20, 1001);
	pkt = malloc(max);
	ref = malloc(max);

	/* a CTR session without MAC (any backend): the payload is encrypted, no tag */
	r = cdev_session(fd, CRYPTO_AES_CTR, key, 16, 0, NULL, 0, &ses);
	if (!r) {
		cdev_fill(iv, 16, 1050);
		cdev_fill(pkt, 12 + 50, 1051);
		memcpy(ref, pkt, 62);
		ossl_cipher(EVP_aes_128_ctr(), key, iv, 1, pkt + 12, ref + 12, 50);
		memset(tag, FILLER, sizeof(tag));
		a = aead_req(ses, COP_ENCRYPT, pkt, 62, pkt + 12, pkt + 12, 50, iv);
		a.flags = COP_FLAG_AEAD_SRTP_TYPE;
		a.tag = tag;
		r = aead(fd, &a);
		cdev_ok(!r && !memcmp(pkt, ref, 62) && all_bytes(tag, sizeof(tag), FILLER),
			"SRTP on an AES-CTR session without MAC: payload AES-CTR as OpenSSL, no "
			"tag");
		a.op = COP_DECRYPT;
		r = r ? r : aead(fd, &a);
		ossl_cipher(EVP_aes_128_ctr(), key, iv, 0, ref + 12, ref + 12, 50);
		cdev_ok(!r && !memcmp(pkt, ref, 62), "SRTP decrypt without MAC: payload back");
		cdev_free(fd, ses);
	} else {
		cdev_ok(0, "CIOCGSESSION AES-CTR: %s", strerror(-r));
	}

	if (!mac_session(fd, CRYPTO_AES_CTR, key, 16, CRYPTO_SHA1_HMAC, mkey, 20, &ses,
			 "SRTP AES-128-CTR + HMAC-SHA1"))
		goto out;
	for (unsigned int i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		uint32_t len = lens[i], hl = hlens[i], fl = flens[i], total = hl + len + fl;
		uint32_t tag_len = (i & 1) ? 10 : 0;

		cdev_fill(iv, 16, 1100 + i);
		cdev_fill(pkt, total, 1200 + i);
		memcpy(ref, pkt, total);
		ossl_cipher(EVP_aes_128_ctr(), key, iv, 1, pkt + hl, ref + hl, len);
		ossl_hmac2(EVP_sha1(), mkey, 20, ref, total, NULL, 0, mac);
		memset(tag, FILLER, sizeof(tag));
		a = aead_req(ses, COP_ENCRYPT, pkt, total, pkt + hl, pkt + hl, len, iv);
		a.flags = COP_FLAG_AEAD_SRTP_TYPE;
		a.tag = tag;
		a.tag_len = tag_len;
		r = aead(fd, &a);
		if (r || memcmp(pkt, ref, total) || memcmp(tag, mac, tag_len ? tag_len : 20) ||
		    (tag_len && tag[tag_len] != FILLER) || a.out_len != len ||
		    a.out_tag_len != (tag_len ? tag_len : 20)) {
			enc_ok = 0;
			cdev_note("SRTP len %u: encrypt %s len %u tag_len %u", len,
				  r ? strerror(-r) : "ok", a.out_len, a.out_tag_len);
		}
		/* decrypt OpenSSL's packet and tag */
		memcpy(pkt, ref, total);
		memcpy(tag, mac, 20);
		a.op = COP_DECRYPT;
		/* cryptodev-linux refuses tag_len > len on decrypt: check a shorter tag */
		a.tag_len = tag_len ? tag_len : 20;
		if (a.tag_len > len)
			a.tag_len = len;
		r = aead(fd, &a);
		ossl_cipher(EVP_aes_128_ctr(), key, iv, 0, ref + hl, ref + hl, len);
		if (r || memcmp(pkt, ref, total) || a.out_len != len) {
			dec_ok = 0;
			cdev_note("SRTP len %u: decrypt %s", len, r ? strerror(-r) : "ok");
		}
	}
	cdev_ok(enc_ok, "SRTP AES-128-CTR + HMAC-SHA1 encrypt, payload 1..4099 at 12/193 bytes, "
			"full and 10-byte tags: packet and tag equal to OpenSSL's");
	cdev_ok(dec_ok, "SRTP decrypt of OpenSSL's packets: payload back");

	/* tampering: header, payload, tag; the payload must stay encrypted */
	for (int what = 0; what < 3; what++) {
		static const char *names[] = {"header byte", "payload byte", "tag byte"};
		uint32_t hl = 12, len = 100, total = 12 + 100 + 4;
		uint8_t saved[256];

		cdev_fill(iv, 16, 1300);
		cdev_fill(pkt, total, 1301);
		ossl_cipher(EVP_aes_128_ctr(), key, iv, 1, pkt + hl, pkt + hl, len);
		ossl_hmac2(EVP_sha1(), mkey, 20, pkt, total, NULL, 0, tag);
		if (what == 0)
			pkt[1] ^= 1;
		else if (what == 1)
			pkt[hl + 50] ^= 1;
		else
			tag[3] ^= 1;
		memcpy(saved, pkt, total);
		a = aead_req(ses, COP_DECRYPT, pkt, total, pkt + hl, pkt + hl, len, iv);
		a.flags = COP_FLAG_AEAD_SRTP_TYPE;
		a.tag = tag;
		r = aead(fd, &a);
		cdev_ok(r == -EBADMSG && !memcmp(pkt, saved, total),
			"SRTP decrypt, wrong %s: EBADMSG (%s), payload not decrypted", names[what],
			r ? strerror(-r) : "0");
	}
	cdev_free(fd, ses);
out:
	free(pkt);
	free(ref);
}

#endif /* !CDEV_AEAD_NO_OPENSSL */

/* ---- bad arguments: cryptodev-linux's errno ---- */

static void cmd_errors(int fd)
{
	uint8_t key[32], mkey[32], iv[16], buf[8192], aad[8192], tag[64], out[8192];
	struct aead_args a;
	uint32_t gcm, tls = 0, srtp = 0, ses;
	int r, have_mac;

	cdev_fill(key, 32, 1);
	cdev_fill(mkey, 32, 2);
	memset(iv, 0, sizeof(iv));
	memset(buf, 0, sizeof(buf));
	memset(aad, 0, sizeof(aad));

	EXPECT(cdev_session(fd, CRYPTO_AES_GCM, key, 15, 0, NULL, 0, &ses), EINVAL,
	       "CIOCGSESSION AES-GCM, 15-byte key");
	EXPECT(cdev_session(fd, CRYPTO_AES_GCM, key, 16, CRYPTO_SHA1_HMAC, mkey, 20, &ses), EINVAL,
	       "CIOCGSESSION AES-GCM with an HMAC key (cryptodev-linux: authenc key)");
	EXPECT(cdev_session(fd, CRYPTO_TLS12_AES_CBC_HMAC_SHA256, key, 16, 0, NULL, 0, &ses),
	       EINVAL, "CIOCGSESSION CRYPTO_TLS12_AES_CBC_HMAC_SHA256 (no such kernel AEAD)");
	EXPECT(cdev_session(fd, CRYPTO_TLS11_AES_CBC_HMAC_SHA1, key, 16, 0, NULL, 0, &ses), EINVAL,
	       "CIOCGSESSION CRYPTO_TLS11_AES_CBC_HMAC_SHA1 (no such kernel AEAD)");
	r = cdev_session(fd, CRYPTO_AES_GCM, key, 16, 0, NULL, 0, &gcm);
	cdev_ok(!r, "CIOCGSESSION AES-GCM-128");
	if (r)
		return;

#define A0(s, o, f)                                                \
	do {                                                       \
		a = aead_req((s), (o), NULL, 0, buf, buf, 32, iv); \
		a.flags = (f);                                     \
	} while (0)

	A0(gcm, 2, 0);
	EXPECT(aead(fd, &a), EINVAL, "CIOCAUTHCRYPT op 2");
	A0(0x7ffff0, COP_ENCRYPT, 0);
	EXPECT(aead(fd, &a), EINVAL, "CIOCAUTHCRYPT unknown session");
	A0(gcm, COP_ENCRYPT, 0);
	a.tag_len = 17;
	EXPECT(aead(fd, &a), EINVAL, "AES-GCM tag_len 17");
	A0(gcm, COP_ENCRYPT, 0);
	a.tag_len = 5;
	EXPECT(aead(fd, &a), EINVAL, "AES-GCM tag_len 5 (gcm(aes) refuses it)");
	A0(gcm, COP_ENCRYPT, 0);
	a.auth = aad;
	a.auth_len = 4097;
	EXPECT(aead(fd, &a), EINVAL, "AES-GCM auth_len 4097 (over a page)");
	A0(gcm, COP_DECRYPT, 0);
	a.len = 15;
	EXPECT(aead(fd, &a), EINVAL, "AES-GCM decrypt, len below the tag");
	A0(gcm, COP_ENCRYPT, 0);
	a.src = BAD_PTR;
	EXPECT(aead(fd, &a), EINVAL,
	       "AES-GCM src unmapped (cryptodev-linux: pinning fails, EINVAL)");
	A0(gcm, COP_ENCRYPT, 0);
	a.src = buf;
	a.dst = BAD_PTR;
	EXPECT(aead(fd, &a), EINVAL, "AES-GCM dst unmapped (EINVAL)");
	A0(gcm, COP_ENCRYPT, 0);
	a.auth = BAD_PTR;
	a.auth_len = 16;
	EXPECT(aead(fd, &a), EFAULT, "AES-GCM auth_src unmapped");
	A0(gcm, COP_ENCRYPT, 0);
	a.iv = BAD_PTR;
	EXPECT(aead(fd, &a), EFAULT, "AES-GCM iv unmapped");
	A0(gcm, COP_ENCRYPT, COP_FLAG_AEAD_SRTP_TYPE);
	EXPECT(aead(fd, &a), EINVAL, "SRTP flag on an AES-GCM session");
	/* tampered decrypt into an unmapped dst: the tag fails first */
	A0(gcm, COP_DECRYPT, 0);
	a.dst = BAD_PTR;
	EXPECT(aead(fd, &a), EBADMSG,
	       "AES-GCM decrypt of a bad tag: EBADMSG before dst is touched");
	EXPECT(cdev_crypt(fd, gcm, COP_ENCRYPT, 0, buf, out, 16, iv, NULL), EINVAL,
	       "CIOCCRYPT on an AES-GCM session (CIOCAUTHCRYPT only)");
	r = cdev_session(fd, CRYPTO_AES_CBC, key, 16, 0, NULL, 0, &ses);
	A0(ses, COP_ENCRYPT, 0);
	EXPECT(r ? r : aead(fd, &a), EINVAL, "CIOCAUTHCRYPT flags 0 on an AES-CBC session");
	cdev_free(fd, ses);
	cdev_free(fd, gcm);

	have_mac = !cdev_session(fd, CRYPTO_AES_CBC, key, 16, CRYPTO_SHA1_HMAC, mkey, 20, &tls);
	if (have_mac)
		have_mac = !cdev_session(fd, CRYPTO_AES_CTR, key, 16, CRYPTO_SHA1_HMAC, mkey, 20,
					 &srtp);
	if (!have_mac) {
		if (expect_mac)
			cdev_ok(0, "CIOCGSESSION cipher+HMAC for the TLS/SRTP argument checks");
		else
			cdev_skip(
				"TLS/SRTP argument checks: the backend has no HMAC (QEMU's builtin "
				"backend serves ciphers only)");
		if (tls)
			cdev_free(fd, tls);
		return;
	}
	A0(tls, COP_ENCRYPT, 0);
	EXPECT(aead(fd, &a), EINVAL, "CIOCAUTHCRYPT flags 0 on an AES-CBC + HMAC session");
	A0(tls, COP_ENCRYPT, COP_FLAG_AEAD_TLS_TYPE);
	a.dst = out;
	EXPECT(aead(fd, &a), EINVAL, "TLS src != dst");
	A0(tls, COP_ENCRYPT, COP_FLAG_AEAD_TLS_TYPE);
	a.auth = aad;
	a.auth_len = 4097;
	EXPECT(aead(fd, &a), EINVAL, "TLS auth_len 4097 (over a page)");
	A0(tls, COP_DECRYPT, COP_FLAG_AEAD_TLS_TYPE);
	a.len = 0;
	EXPECT(aead(fd, &a), EINVAL, "TLS decrypt of nothing");
	A0(tls, COP_DECRYPT, COP_FLAG_AEAD_TLS_TYPE);
	a.len = 33;
	EXPECT(aead(fd, &a), EINVAL, "TLS decrypt, len not whole blocks");
	A0(tls, COP_ENCRYPT, COP_FLAG_AEAD_TLS_TYPE);
	a.tag_len = 21;
	EXPECT(aead(fd, &a), EINVAL, "TLS tag_len over the digest size");
	A0(tls, COP_ENCRYPT, COP_FLAG_AEAD_TLS_TYPE);
	a.src = a.dst = NULL;
	EXPECT(aead(fd, &a), EINVAL, "TLS dst NULL");
	A0(tls, COP_ENCRYPT, COP_FLAG_AEAD_TLS_TYPE);
	a.src = a.dst = BAD_PTR;
	EXPECT(aead(fd, &a), EINVAL, "TLS src/dst unmapped (EINVAL)");
	A0(tls, COP_ENCRYPT, COP_FLAG_AEAD_TLS_TYPE | COP_FLAG_AEAD_SRTP_TYPE);
	EXPECT(aead(fd, &a), EINVAL,
	       "SRTP flag on an AES-CBC + HMAC session (stream ciphers only)");
	{
		/* a record that does not verify leaves no plaintext even in place */
		A0(tls, COP_DECRYPT, COP_FLAG_AEAD_TLS_TYPE);
		a.len = 64;
		memset(buf, 0x3c, 64);
		EXPECT(aead(fd, &a), EBADMSG, "TLS decrypt of random bytes");
		cdev_ok(all_bytes(buf, 64, 0x3c), "TLS: the failed record's buffer is unchanged");
	}

	A0(srtp, COP_ENCRYPT, COP_FLAG_AEAD_SRTP_TYPE);
	a.auth = buf;
	a.auth_len = 64;
	a.src = a.dst = buf + 12;
	a.len = 40;
	a.tag = tag;
	EXPECT(aead(fd, &a), 0, "SRTP well-formed request (the checks below alter one field)");
	a.dst = out;
	EXPECT(aead(fd, &a), EINVAL, "SRTP src != dst");
	a.dst = buf + 12;
	a.len = 0;
	a.op = COP_DECRYPT;
	EXPECT(aead(fd, &a), EINVAL, "SRTP decrypt, len 0");
	a.op = COP_ENCRYPT;
	a.len = 40;
	a.auth_len = 0;
	EXPECT(aead(fd, &a), EINVAL, "SRTP auth_len 0");
	a.auth_len = 64;
	a.auth = buf + 13;
	EXPECT(aead(fd, &a), EINVAL, "SRTP payload before auth_src");
	a.auth = buf;
	a.src = a.dst = buf + 257;
	a.auth_len = 400;
	EXPECT(aead(fd, &a), EINVAL, "SRTP payload more than 256 bytes into auth_src");
	a.src = a.dst = buf + 12;
	a.auth_len = 64;
	a.len = 53;
	EXPECT(aead(fd, &a), EINVAL, "SRTP payload past the end of auth_src");
	a.len = 40;
	a.op = COP_DECRYPT;
	a.tag_len = 41;
	EXPECT(aead(fd, &a), EINVAL, "SRTP decrypt, tag_len over len");
	a.op = COP_ENCRYPT;
	a.tag_len = 0;
	a.tag = BAD_PTR;
	EXPECT(aead(fd, &a), EFAULT, "SRTP tag unmapped");
	a.tag = tag;
	a.auth = BAD_PTR;
	a.src = a.dst = (uint8_t *)BAD_PTR + 12;
	EXPECT(aead(fd, &a), EINVAL, "SRTP auth_src unmapped (EINVAL)");
	cdev_free(fd, tls);
	cdev_free(fd, srtp);
#undef A0
}

/*
 * ---- emit / verify: the 32-bit build has no OpenSSL, so it runs a fixed
 * table of operations through compat_ioctl and prints what came back;
 * the 64-bit build recomputes every case with OpenSSL and compares.
 */
enum { K_GCM, K_TLS, K_SRTP };
static const struct emit_case {
	int kind;
	unsigned int klen, len, alen, tag_len; /* SRTP: alen = header bytes */
} emit_cases[] = {
	{K_GCM, 16, 0, 0, 0},	 {K_GCM, 16, 17, 13, 0},      {K_GCM, 32, 4099, 20, 12},
	{K_TLS, 16, 0, 13, 0},	 {K_TLS, 16, 100, 13, 0},     {K_TLS, 32, 4099, 13, 10},
	{K_SRTP, 16, 21, 12, 0}, {K_SRTP, 16, 1021, 193, 10},
};
#define EMIT_MAX (4099 + 193 + 64 + 32)

struct emit_in {
	uint8_t key[32], mkey[32], iv[16], aad[256], pt[4099];
};

static void emit_inputs(unsigned int i, struct emit_in *in)
{
	const struct emit_case *c = &emit_cases[i];

	cdev_fill(in->key, c->klen, 5000 + i);
	cdev_fill(in->mkey, 32, 5100 + i);
	cdev_fill(in->iv, 16, 5200 + i);
	cdev_fill(in->aad, c->alen, 5300 + i);
	cdev_fill(in->pt, c->len, 5400 + i);
}

static void hex(const uint8_t *p, size_t n)
{
	putchar(' ');
	if (!n)
		putchar('-');
	for (size_t i = 0; i < n; i++)
		printf("%02x", p[i]);
}

static void cmd_emit(int fd)
{
	static uint8_t buf[EMIT_MAX], copy[EMIT_MAX], tag[64];
	struct emit_in in;
	struct aead_args a;

	for (unsigned int i = 0; i < sizeof(emit_cases) / sizeof(emit_cases[0]); i++) {
		const struct emit_case *c = &emit_cases[i];
		uint32_t ses, out_len, total = c->alen + c->len + 4;
		int r, dr, br;
		size_t n;

		emit_inputs(i, &in);
		if (c->kind == K_GCM)
			r = cdev_session(fd, CRYPTO_AES_GCM, in.key, c->klen, 0, NULL, 0, &ses);
		else if (c->kind == K_TLS)
			r = cdev_session(fd, CRYPTO_AES_CBC, in.key, c->klen, CRYPTO_SHA2_256_HMAC,
					 in.mkey, 32, &ses);
		else
			r = cdev_session(fd, CRYPTO_AES_CTR, in.key, c->klen, CRYPTO_SHA1_HMAC,
					 in.mkey, 20, &ses);
		if (r) {
			printf("skip %u %d\n", i, r);
			continue;
		}
		memset(buf, FILLER, sizeof(buf));
		if (c->kind == K_SRTP) {
			memcpy(buf, in.aad, c->alen);
			memcpy(buf + c->alen, in.pt, c->len);
			memset(buf + c->alen + c->len, 0x77, 4);
			a = aead_req(ses, COP_ENCRYPT, buf, total, buf + c->alen, buf + c->alen,
				     c->len, in.iv);
			a.flags = COP_FLAG_AEAD_SRTP_TYPE;
			a.tag = tag;
		} else {
			memcpy(buf, in.pt, c->len);
			a = aead_req(ses, COP_ENCRYPT, c->alen ? in.aad : NULL, c->alen, buf, buf,
				     c->len, in.iv);
			a.flags = c->kind == K_TLS ? COP_FLAG_AEAD_TLS_TYPE : 0;
		}
		a.tag_len = c->tag_len;
		r = aead(fd, &a);
		out_len = a.out_len;
		printf("case %u %d %u %u %ld", i, r, a.out_len, a.out_tag_len,
		       a.out_tag ? (long)((uint8_t *)a.out_tag - buf) : -1L);
		n = c->kind == K_SRTP ? total : (r ? 0 : out_len);
		hex(buf, n);
		if (c->kind == K_SRTP)
			hex(tag, r ? 0 : a.out_tag_len);
		printf("\n");
		if (r) {
			cdev_free(fd, ses);
			continue;
		}
		/* decrypt what came back, then the same with one byte flipped */
		memcpy(copy, buf, sizeof(buf));
		a.op = COP_DECRYPT;
		a.len = c->kind == K_SRTP ? c->len : out_len;
		if (c->kind == K_SRTP) /* cryptodev-linux: decrypt tag_len <= len */
			a.tag_len = a.out_tag_len < c->len ? a.out_tag_len : c->len;
		dr = aead(fd, &a);
		printf("dec %u %d %u %d\n", i, dr, a.out_len,
		       !memcmp(c->kind == K_SRTP ? buf + c->alen : buf, in.pt, c->len));
		memcpy(buf, copy, sizeof(buf));
		buf[c->kind == K_SRTP ? 1 : 0] ^= 1;
		memcpy(copy, buf, sizeof(buf));
		br = aead(fd, &a);
		printf("bad %u %d %d\n", i, br, !memcmp(buf, copy, sizeof(buf)));
		cdev_free(fd, ses);
	}
}

#ifndef CDEV_AEAD_NO_OPENSSL
static int unhex_field(const char *h, uint8_t *out, size_t max)
{
	if (!strcmp(h, "-"))
		return 0;
	return cdev_unhex(h, out, max);
}

/* The expected output of case @i: record / C || T / packet, and SRTP's tag. */
static size_t emit_ref(unsigned int i, uint8_t *out, uint8_t *tag, unsigned int *tag_len)
{
	const struct emit_case *c = &emit_cases[i];
	struct emit_in in;
	uint8_t mac[64];

	emit_inputs(i, &in);
	if (c->kind == K_GCM) {
		*tag_len = c->tag_len ? c->tag_len : 16;
		ref_gcm(in.key, c->klen, in.iv, in.aad, c->alen, in.pt, c->len, *tag_len, out);
		return c->len + *tag_len;
	}
	if (c->kind == K_TLS) {
		*tag_len = c->tag_len ? c->tag_len : 32;
		return ref_tls(EVP_sha256(), in.mkey, 32, in.key, c->klen, in.iv, in.aad, c->alen,
			       in.pt, c->len, *tag_len, 0, out);
	}
	*tag_len = c->tag_len ? c->tag_len : 20;
	memcpy(out, in.aad, c->alen);
	ossl_cipher(aes("ctr", c->klen), in.key, in.iv, 1, in.pt, out + c->alen, c->len);
	memset(out + c->alen + c->len, 0x77, 4);
	ossl_hmac2(EVP_sha1(), in.mkey, 20, out, c->alen + c->len + 4, NULL, 0, mac);
	memcpy(tag, mac, *tag_len);
	return c->alen + c->len + 4;
}

static void cmd_verify(const char *path)
{
	static const char *kinds[] = {"AES-GCM", "TLS AES-CBC + HMAC-SHA256",
				      "SRTP AES-CTR + HMAC-SHA1"};
	static uint8_t got[EMIT_MAX], want[EMIT_MAX], gtag[64], wtag[64];
	FILE *f = fopen(path, "r");
	char *line = NULL, w[8];
	const char *h1 = "-", *h2 = "-";
	size_t cap = 0;
	int seen = 0;

	if (!f) {
		cdev_ok(0, "32-bit compat: open %s", path);
		return;
	}
	while (getline(&line, &cap, f) > 0) {
		unsigned int i, ol, tl, wtl, k;
		long toff;
		int r, ok, n;
		size_t wl;

		if (sscanf(line, "%7s %u", w, &i) != 2 ||
		    i >= sizeof(emit_cases) / sizeof(emit_cases[0]))
			continue;
		k = emit_cases[i].kind;
		seen++;
		if (!strcmp(w, "skip")) {
			if (expect_mac || k == K_GCM)
				cdev_ok(0, "32-bit compat: %s case %u: CIOCGSESSION failed",
					kinds[k], i);
			else
				cdev_skip("32-bit compat: %s case %u: the backend has no HMAC",
					  kinds[k], i);
		} else if (!strcmp(w, "case")) {
			char *tok[8], *sp = NULL;

			n = 0;
			for (char *t = strtok_r(line, " \n", &sp); t && n < 8;
			     t = strtok_r(NULL, " \n", &sp))
				tok[n++] = t;
			if (n < 7)
				n = 0;
			else {
				r = atoi(tok[2]);
				ol = strtoul(tok[3], NULL, 10);
				tl = strtoul(tok[4], NULL, 10);
				toff = strtol(tok[5], NULL, 10);
				h1 = tok[6];
				h2 = n > 7 ? tok[7] : "-";
			}
			wl = emit_ref(i, want, wtag, &wtl);
			ok = n && r == 0 && wl && unhex_field(h1, got, sizeof(got)) == (int)wl &&
			     !memcmp(got, want, wl) && tl == wtl;
			if (k == K_SRTP)
				ok = ok && ol == emit_cases[i].len &&
				     unhex_field(h2, gtag, sizeof(gtag)) == (int)wtl &&
				     !memcmp(gtag, wtag, wtl);
			else
				ok = ok && ol == wl;
			if (k == K_GCM)
				ok = ok && toff == (long)emit_cases[i].len;
			cdev_ok(ok,
				"32-bit compat: %s case %u (len %u, AAD %u, tag_len %u) encrypt: "
				"output equal to OpenSSL's, len/tag_len%s written back",
				kinds[k], i, emit_cases[i].len, emit_cases[i].alen, wtl,
				k == K_GCM ? "/tag" : "");
		} else if (!strcmp(w, "dec")) {
			n = sscanf(line, "dec %u %d %u %d", &i, &r, &ol, &ok);
			cdev_ok(n == 4 && r == 0 && ok && ol == emit_cases[i].len,
				"32-bit compat: %s case %u decrypt: plaintext back, len %u",
				kinds[k], i, ol);
		} else if (!strcmp(w, "bad")) {
			n = sscanf(line, "bad %u %d %d", &i, &r, &ok);
			cdev_ok(n == 3 && r == -EBADMSG && ok,
				"32-bit compat: %s case %u tampered: EBADMSG, buffer unchanged",
				kinds[k], i);
		}
	}
	free(line);
	fclose(f);
	cdev_ok(seen > 0, "32-bit compat: %d result lines read", seen);
}
#endif

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"expect-mac", no_argument, NULL, 'M'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *cmd;
	int c, fd;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			return usage(stdout, 0);
		case 'M':
			expect_mac = 1;
			break;
		default:
			return usage(stderr, 2);
		}
	}
	if (optind >= argc)
		return usage(stderr, 2);
	cmd = argv[optind];
	setvbuf(stdout, NULL, _IOLBF, 0);
	fd = cdev_open();
	if (fd < 0) {
		cdev_ok(0, "open /dev/crypto: %s", strerror(-fd));
		return 1;
	}
	if (!strcmp(cmd, "errors"))
		cmd_errors(fd);
	else if (!strcmp(cmd, "emit"))
		cmd_emit(fd);
#ifndef CDEV_AEAD_NO_OPENSSL
	else if (!strcmp(cmd, "gcm"))
		cmd_gcm(fd);
	else if (!strcmp(cmd, "tls"))
		cmd_tls(fd);
	else if (!strcmp(cmd, "srtp"))
		cmd_srtp(fd);
	else if (!strcmp(cmd, "verify") && optind + 1 < argc)
		cmd_verify(argv[optind + 1]);
#endif
	else
		return usage(stderr, 2);
	close(fd);
	return cdev_failures() ? 1 : 0;
}
