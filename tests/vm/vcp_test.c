/*
 * vcp_test: the vcrypto provider against OpenSSL's default provider, in a
 * guest, linked against the system's libcrypto (dynamic).  Every result
 * is compared with the default provider's; nothing is compared with
 * values computed by the provider itself.
 *
 *   vcp_test [-s SEED] [-n CASES] check     every algorithm, random data 0 B..1 MiB,
 *                                          random update splits, dup mid-stream,
 *                                          in-place, padding on/off, re-init, errors
 *   vcp_test none                          no /dev/crypto: nothing offered, why given,
 *                                          EVP still works (default provider)
 *   vcp_test fork                          contexts made before and after fork()
 *   vcp_test -n N threads                  8 threads x N mixed operations
 *   vcp_test bench                         one-shot ops/s, vcrypto vs default, 16 B..64 KiB
 *   vcp_test [-n CASES] tls                AES-CBC-HMAC-SHA1/256 driven as libssl drives them
 *                                          (TLS 1.0/1.1/1.2 records) against the TLS record
 *                                          construction from AES-CBC + HMAC and the default
 *                                          provider's own composite; tampered records refused
 *   vcp_test bighash                       SHA-256/512, HMAC-SHA256 over 40 MiB (past the
 *                                          module's gather caps), dup before/after the switch
 *   vcp_test failing READY FAILED REBOUND  streams until the device is unbound (after READY
 *                                          is made): EVP errors with the provider's reason,
 *                                          no output claimed; FAILED made; new contexts
 *                                          work once REBOUND exists
 *   vcp_test [-n CASES] etm                AES-128/256-CBC with tls-version/tls-mac-size (SSL 3.0,
 *                                          TLS 1.0-1.2, DTLS 1.2; MAC sizes 0/20/32) driven as
 *                                          libssl drives them, against the default provider's
 *                                          AES-CBC doing the same: records, tls-mac, bad padding,
 *                                          misuse; device requests >= records at/over min_offload
 *   vcp_test [-n CASES] gcm                AES-GCM only (NIST vector, random cases, and
 *                                          messages on one context with the key passed
 *                                          again, changed or kept and a new IV each)
 *   vcp_test sesscache                     (VCRYPTO_MIN_OFFLOAD=0) the idle session cache:
 *                                          one-shot digests/HMACs reuse sessions, a new key
 *                                          never gets an old key's session, eviction, fork,
 *                                          threads; every result against the default provider
 *   vcp_test short                         default min_offload: short messages of every
 *                                          algorithm (new ctx, re-init, dup, HMAC/digest
 *                                          init) as the default provider's, 0 device requests
 *   vcp_test min-offload                   prints "min_offload N": the provider's setting
 *                                          as loaded (host tier: tests/host/provider_conf.t)
 * Output is TAP (no plan line: the case script counts).
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/provider.h>

#include "tap.h"

static uint64_t rs = 88172645463325252ULL;

static uint64_t rnd(void)
{
	rs ^= rs << 13;
	rs ^= rs >> 7;
	rs ^= rs << 17;
	return rs;
}

static void fill(uint8_t *p, size_t n)
{
	while (n--)
		*p++ = (uint8_t)rnd();
}

static void errdump(void)
{
	unsigned long e;
	char b[256];

	while ((e = ERR_get_error())) {
		ERR_error_string_n(e, b, sizeof(b));
		printf("#   %s\n", b);
	}
}

/* every error's text on the stack, joined; the stack emptied */
static void errtext(char *buf, size_t n)
{
	const char *d, *r;
	size_t u = 0;
	int flags;
	unsigned long e;

	buf[0] = 0;
	while ((e = ERR_get_error_all(NULL, NULL, NULL, &d, &flags))) {
		r = ERR_reason_error_string(e);
		if (u < n)
			u += snprintf(buf + u, n - u, "%s%s%s%s", u ? " / " : "", r ? r : "?",
				      (flags & ERR_TXT_STRING) && *d ? ": " : "",
				      (flags & ERR_TXT_STRING) ? d : "");
	}
}

static size_t pick_len(int i)
{
	static const size_t fixed[] = {0,
				       1,
				       15,
				       16,
				       17,
				       31,
				       32,
				       33,
				       63,
				       64,
				       255,
				       256,
				       1000,
				       4096,
				       4097,
				       65535,
				       65536,
				       65537,
				       (1 << 20) - 1,
				       1 << 20};
	size_t nf = sizeof(fixed) / sizeof(fixed[0]);

	if ((size_t)i < nf)
		return fixed[i];
	switch (rnd() % 3) {
	case 0:
		return rnd() % 64;
	case 1:
		return rnd() % 8192;
	}
	return rnd() % (1 << 20);
}

/* a random split size: small, block-ish, or big */
static size_t pick_chunk(size_t left, int aligned)
{
	size_t c;

	switch (rnd() % 4) {
	case 0:
		c = rnd() % 17;
		break;
	case 1:
		c = rnd() % 300;
		break;
	case 2:
		c = rnd() % 70000;
		break;
	default:
		c = left;
	}
	if (c > left)
		c = left;
	if (aligned && c != left)
		c &= ~(size_t)15;
	return c;
}

/* ---------------- ciphers ---------------- */

struct cres {
	uint8_t *out;
	size_t len;
	int ok;
};

static int ref_cipher(EVP_CIPHER *c, const uint8_t *key, const uint8_t *iv, int enc, int pad,
		      const uint8_t *in, size_t len, struct cres *r)
{
	EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
	int n1 = 0, n2 = 0;

	r->out = malloc(len + 32);
	r->ok = EVP_CipherInit_ex2(x, c, key, iv, enc, NULL) &&
		EVP_CIPHER_CTX_set_padding(x, pad) &&
		EVP_CipherUpdate(x, r->out, &n1, in, (int)len) &&
		EVP_CipherFinal_ex(x, r->out + n1, &n2);
	r->len = n1 + n2;
	EVP_CIPHER_CTX_free(x);
	ERR_clear_error();
	return r->ok;
}

/*
 * The provider's run: random splits (block-aligned when in place), an
 * optional dup at a random point whose copy must finish the same way.
 */
static int vc_cipher(EVP_CIPHER *c, const uint8_t *key, const uint8_t *iv, int enc, int pad,
		     const uint8_t *in, size_t len, int inplace, int dup, int xts, struct cres *r,
		     char *why, size_t whyn)
{
	EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new(), *y = NULL;
	uint8_t *out = malloc(len + 32), *out2 = NULL;
	size_t pos = 0, o = 0, o2 = 0, dupat = dup ? rnd() % (len + 1) : (size_t)-1, ch;
	int n, ok = 1, first = 1;

	if (inplace)
		memcpy(out, in, len);
	if (!EVP_CipherInit_ex2(x, c, key, iv, enc, NULL) || !EVP_CIPHER_CTX_set_padding(x, pad)) {
		ok = 0;
		goto done;
	}
	while (ok && (pos < len || first)) {
		first = 0;
		ch = xts ? len : pick_chunk(len - pos, inplace);
		if (!inplace && pos < dupat && pos + ch > dupat)
			ch = dupat - pos;
		if (!EVP_CipherUpdate(x, out + o, &n, inplace ? out + pos : in + pos, (int)ch)) {
			ok = 0;
			break;
		}
		pos += ch;
		o += n;
		if (pos == dupat && !y && dup) {
			y = EVP_CIPHER_CTX_new();
			if (!EVP_CIPHER_CTX_copy(y, x)) {
				snprintf(why, whyn, "EVP_CIPHER_CTX_copy failed");
				ok = 0;
				break;
			}
			out2 = malloc(len + 32);
			memcpy(out2, out, o);
			o2 = o;
			if (pos < len &&
			    !EVP_CipherUpdate(y, out2 + o2, &n, in + pos, (int)(len - pos))) {
				ok = 0;
				break;
			}
			o2 += pos < len ? (size_t)n : 0;
			if (!EVP_CipherFinal_ex(y, out2 + o2, &n)) {
				ok = 0;
				break;
			}
			o2 += n;
		}
	}
	if (ok && EVP_CipherFinal_ex(x, out + o, &n))
		o += n;
	else
		ok = 0;
	if (ok && y && (o2 != o || memcmp(out, out2, o))) {
		snprintf(why, whyn, "dup at %zu gave different bytes", dupat);
		ok = 0;
		r->ok = -1;
	}
done:
	if (!ok && !why[0])
		errtext(why, whyn);
	ERR_clear_error();
	EVP_CIPHER_CTX_free(x);
	EVP_CIPHER_CTX_free(y);
	free(out2);
	if (r->ok != -1)
		r->ok = ok;
	r->out = out;
	r->len = o;
	return ok;
}

static const char *const cipher_names[] = {
	"AES-128-ECB", "AES-192-ECB", "AES-256-ECB", "AES-128-CBC", "AES-192-CBC", "AES-256-CBC",
	"AES-128-CTR", "AES-192-CTR", "AES-256-CTR", "AES-128-XTS", "AES-256-XTS",
};

static void test_cipher(const char *name, int cases)
{
	EVP_CIPHER *vc = EVP_CIPHER_fetch(NULL, name, "provider=vcrypto");
	EVP_CIPHER *dc = EVP_CIPHER_fetch(NULL, name, "provider=default");
	int mode, blk, kl, ivl, i, bad = 0, n = 0, xts, cbcish;
	uint8_t key[64], iv[16];
	char why[300] = "";

	if (!vc || !dc) {
		tap_ok(0, "%s: fetched from vcrypto (%p) and default (%p)", name, (void *)vc,
		    (void *)dc);
		errdump();
		return;
	}
	mode = EVP_CIPHER_get_mode(vc);
	blk = EVP_CIPHER_get_block_size(vc);
	kl = EVP_CIPHER_get_key_length(vc);
	ivl = EVP_CIPHER_get_iv_length(vc);
	xts = mode == EVP_CIPH_XTS_MODE;
	cbcish = mode == EVP_CIPH_ECB_MODE || mode == EVP_CIPH_CBC_MODE;
	if (blk != EVP_CIPHER_get_block_size(dc) || kl != EVP_CIPHER_get_key_length(dc) ||
	    ivl != EVP_CIPHER_get_iv_length(dc) || mode != EVP_CIPHER_get_mode(dc))
		tap_ok(0, "%s: sizes/mode as the default provider's (%d %d %d %d)", name, blk, kl, ivl,
		    mode);
	for (i = 0; i < cases && !bad; i++) {
		size_t len = pick_len(i);
		int enc = i & 1, pad = cbcish ? (int)(rnd() & 1) : 1;
		int inplace = (rnd() % 4) == 0, dup = !xts && (rnd() % 3) == 0;
		uint8_t *in;
		struct cres ref = {0}, got = {0};

		if (xts && len < 16)
			len += 16;
		if (xts && len > (1 << 20))
			len = 1 << 20;
		if (cbcish && (!pad || !enc))
			len &= ~(size_t)15;
		fill(key, sizeof(key));
		fill(iv, sizeof(iv));
		in = malloc(len + 16);
		fill(in, len);
		if (cbcish && !enc && pad) {
			/* valid padded ciphertext: from the default provider */
			struct cres ct;

			if (len >= 16)
				len -= 16;
			ref_cipher(dc, key, iv, 1, 1, in, len, &ct);
			memcpy(in, ct.out, ct.len);
			len = ct.len;
			free(ct.out);
		}
		ref_cipher(dc, key, iv, enc, pad, in, len, &ref);
		why[0] = 0;
		vc_cipher(vc, key, iv, enc, pad, in, len, inplace, dup, xts, &got, why,
			  sizeof(why));
		n++;
		if (got.ok != ref.ok ||
		    (ref.ok && (got.len != ref.len || memcmp(got.out, ref.out, ref.len)))) {
			bad = 1;
			tap_ok(0,
			    "%s: %s %zu bytes pad=%d inplace=%d dup=%d: vcrypto ok=%d len=%zu, "
			    "default ok=%d len=%zu %s",
			    name, enc ? "encrypt" : "decrypt", len, pad, inplace, dup, got.ok,
			    got.len, ref.ok, ref.len, why);
		}
		free(in);
		free(ref.out);
		free(got.out);
	}
	if (!bad)
		tap_ok(1,
		    "%s: %d random cases (0 B..1 MiB, splits, dup, in place, padding on/off) equal "
		    "the default provider's",
		    name, n);

	/* re-init with only a new IV, then only a new key (CBC/CTR) */
	if (ivl && !xts) {
		EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new(), *d = EVP_CIPHER_CTX_new();
		uint8_t in[100], o1[132], o2[132], iv2[16], key2[64];
		int a, b, c2, d2, ok = 1;

		fill(in, sizeof(in));
		fill(iv2, sizeof(iv2));
		fill(key2, sizeof(key2));
		ok &= EVP_EncryptInit_ex2(x, vc, key, iv, NULL) &&
		      EVP_EncryptUpdate(x, o1, &a, in, 37);
		ok &= EVP_EncryptInit_ex2(x, NULL, NULL, iv2, NULL) &&
		      EVP_EncryptUpdate(x, o1, &a, in, 100) && EVP_EncryptFinal_ex(x, o1 + a, &b);
		ok &= EVP_EncryptInit_ex2(d, dc, key, iv2, NULL) &&
		      EVP_EncryptUpdate(d, o2, &c2, in, 100) &&
		      EVP_EncryptFinal_ex(d, o2 + c2, &d2);
		ok &= a + b == c2 + d2 && !memcmp(o1, o2, a + b);
		ok &= EVP_EncryptInit_ex2(x, NULL, key2, NULL, NULL) &&
		      EVP_EncryptUpdate(x, o1, &a, in, 100) && EVP_EncryptFinal_ex(x, o1 + a, &b);
		ok &= EVP_EncryptInit_ex2(d, NULL, key2, NULL, NULL) &&
		      EVP_EncryptUpdate(d, o2, &c2, in, 100) &&
		      EVP_EncryptFinal_ex(d, o2 + c2, &d2);
		ok &= a + b == c2 + d2 && !memcmp(o1, o2, a + b);
		/* reset, then the context used again from scratch */
		EVP_CIPHER_CTX_reset(x);
		ok &= EVP_EncryptInit_ex2(x, vc, key, iv, NULL) &&
		      EVP_EncryptUpdate(x, o1, &a, in, 100) && EVP_EncryptFinal_ex(x, o1 + a, &b);
		ok &= EVP_EncryptInit_ex2(d, dc, key, iv, NULL) &&
		      EVP_EncryptUpdate(d, o2, &c2, in, 100) &&
		      EVP_EncryptFinal_ex(d, o2 + c2, &d2);
		ok &= a + b == c2 + d2 && !memcmp(o1, o2, a + b);
		tap_ok(ok,
		    "%s: re-init with only a new IV, only a new key, after reset: default "
		    "provider's bytes",
		    name);
		if (!ok)
			errdump();
		EVP_CIPHER_CTX_free(x);
		EVP_CIPHER_CTX_free(d);
	}
	/* bad input: a wrong key length, and (ECB/CBC) a bad padding on decrypt */
	{
		EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
		int r = EVP_CipherInit_ex2(x, vc, NULL, NULL, 1, NULL) &&
			EVP_CIPHER_CTX_set_key_length(x, kl + 1);
		char t[300];

		errtext(t, sizeof(t));
		tap_ok(!r && t[0], "%s: key length %d refused with an OpenSSL error (%s)", name,
		    kl + 1, t);
		if (cbcish) {
			uint8_t ct[32], pt[48];
			int a = 0, b = 0, ok;

			fill(ct, sizeof(ct));
			ct[31] ^= 0; /* random: almost surely bad padding; check against default */
			ok = EVP_DecryptInit_ex2(x, vc, key, iv, NULL) &&
			     EVP_DecryptUpdate(x, pt, &a, ct, 32) &&
			     EVP_DecryptFinal_ex(x, pt + a, &b);
			errtext(t, sizeof(t));
			{
				struct cres rr;

				ref_cipher(dc, key, iv, 0, 1, ct, 32, &rr);
				tap_ok(ok == rr.ok && (ok || t[0]) &&
					    (!ok || ((size_t)(a + b) == rr.len &&
						     !memcmp(pt, rr.out, rr.len))),
				    "%s: decrypt of random blocks: same verdict as default (%s)",
				    name, ok ? "valid padding" : t);
				free(rr.out);
			}
		}
		EVP_CIPHER_CTX_free(x);
	}
	EVP_CIPHER_free(vc);
	EVP_CIPHER_free(dc);
}

/* ---------------- AES-GCM ---------------- */

struct gres {
	uint8_t *out, tag[16];
	size_t len;
	int ok;
};

/* one GCM run: AAD and data in random splits (or whole), tag set/get */
static void gcm_run(EVP_CIPHER *c, int enc, const uint8_t *key, const uint8_t *iv, size_t ivl,
		    const uint8_t *aad, size_t al, const uint8_t *in, size_t len,
		    const uint8_t *tag, size_t tl, int split, int inplace, struct gres *r)
{
	EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
	size_t pos, ch;
	int n, ok;

	r->out = malloc(len + 16);
	if (inplace)
		memcpy(r->out, in, len);
	r->len = 0;
	ok = EVP_CipherInit_ex2(x, c, NULL, NULL, enc, NULL) &&
	     EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_AEAD_SET_IVLEN, (int)ivl, NULL) > 0 &&
	     EVP_CipherInit_ex2(x, NULL, key, iv, enc, NULL);
	if (ok && !enc)
		ok = EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_AEAD_SET_TAG, (int)tl, (void *)tag) > 0;
	for (pos = 0; ok && pos < al; pos += ch) {
		ch = split ? pick_chunk(al - pos, 0) : al - pos;
		if (!ch)
			ch = 1;
		ok = EVP_CipherUpdate(x, NULL, &n, aad + pos, (int)ch);
	}
	for (pos = 0; ok && pos < len; pos += ch) {
		ch = split ? pick_chunk(len - pos, inplace) : len - pos;
		if (!ch)
			ch = len - pos < 16 ? len - pos : 16;
		ok = EVP_CipherUpdate(x, r->out + r->len, &n, inplace ? r->out + pos : in + pos,
				      (int)ch);
		r->len += n;
	}
	ok = ok && EVP_CipherFinal_ex(x, r->out + r->len, &n);
	if (ok)
		r->len += n;
	if (ok && enc)
		ok = EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_AEAD_GET_TAG, (int)tl, r->tag) > 0;
	r->ok = ok;
	EVP_CIPHER_CTX_free(x);
}

static void test_gcm(const char *name, int cases)
{
	EVP_CIPHER *vc = EVP_CIPHER_fetch(NULL, name, "provider=vcrypto");
	EVP_CIPHER *dc = EVP_CIPHER_fetch(NULL, name, "provider=default");
	int i, bad = 0, n = 0, kl, refused = 0;
	uint8_t key[32], iv[64], tagbuf[16];
	char t[300];

	if (!vc || !dc) {
		tap_ok(0, "%s: fetched from vcrypto and default", name);
		errdump();
		return;
	}
	kl = EVP_CIPHER_get_key_length(vc);
	for (i = 0; i < cases && !bad; i++) {
		size_t len = pick_len(i), al = (rnd() % 3) ? rnd() % 100 : rnd() % 5000;
		size_t ivl = (rnd() % 4) ? 12 : 1 + rnd() % 64,
		       tl = (rnd() % 3) ? 16 : 4 + rnd() % 13;
		int inplace = (rnd() % 4) == 0;
		uint8_t *in = malloc(len + 1), *aad = malloc(al + 1);
		struct gres re = {0}, ge = {0}, gd = {0}, gb = {0};

		fill(key, kl);
		fill(iv, ivl);
		fill(in, len);
		fill(aad, al);
		gcm_run(dc, 1, key, iv, ivl, aad, al, in, len, NULL, tl, 0, 0, &re);
		gcm_run(vc, 1, key, iv, ivl, aad, al, in, len, NULL, tl, 1, inplace, &ge);
		n++;
		if (!re.ok || !ge.ok || ge.len != re.len || memcmp(ge.out, re.out, re.len) ||
		    memcmp(ge.tag, re.tag, tl)) {
			errtext(t, sizeof(t));
			tap_ok(0,
			    "%s encrypt: %zu bytes, AAD %zu, IV %zu, tag %zu, in place %d: vcrypto "
			    "ok=%d, default ok=%d, bytes/tag differ %s",
			    name, len, al, ivl, tl, inplace, ge.ok, re.ok, t);
			bad = 1;
		}
		/* decrypt the default provider's ciphertext with its tag; then a flipped tag */
		if (!bad) {
			gcm_run(vc, 0, key, iv, ivl, aad, al, re.out, re.len, re.tag, tl, 1,
				inplace, &gd);
			if (!gd.ok || gd.len != len || memcmp(gd.out, in, len)) {
				errtext(t, sizeof(t));
				tap_ok(0, "%s decrypt: %zu bytes, AAD %zu, IV %zu, tag %zu: ok=%d %s",
				    name, len, al, ivl, tl, gd.ok, t);
				bad = 1;
			}
			memcpy(tagbuf, re.tag, 16);
			tagbuf[rnd() % tl] ^= 1 << (rnd() % 8);
			gcm_run(vc, 0, key, iv, ivl, aad, al, re.out, re.len, tagbuf, tl, 1, 0,
				&gb);
			errtext(t, sizeof(t));
			if (gb.ok || !t[0]) {
				tap_ok(0,
				    "%s: a wrong tag is refused with an error (%zu bytes): ok=%d",
				    name, len, gb.ok);
				bad = 1;
			}
			refused++;
		}
		free(in);
		free(aad);
		free(re.out);
		free(ge.out);
		free(gd.out);
		free(gb.out);
	}
	if (!bad)
		tap_ok(1,
		    "%s: %d random cases (data 0 B..1 MiB, AAD 0..5000 B, IV 1..64 B, tags 4..16 "
		    "B, splits, in place) equal the default provider's; %d wrong tags refused",
		    name, n, refused);
	EVP_CIPHER_free(vc);
	EVP_CIPHER_free(dc);
}

static void test_gcm_vector(void)
{
	/* The GCM spec's (McGrew-Viega) test case 4: AES-128, 60-byte plaintext, 20-byte AAD */
	static const uint8_t key[16] = {0xfe, 0xff, 0xe9, 0x92, 0x86, 0x65, 0x73, 0x1c,
					0x6d, 0x6a, 0x8f, 0x94, 0x67, 0x30, 0x83, 0x08};
	static const uint8_t iv[12] = {0xca, 0xfe, 0xba, 0xbe, 0xfa, 0xce,
				       0xdb, 0xad, 0xde, 0xca, 0xf8, 0x88};
	static const char pth[] = "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
				  "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39";
	static const char aadh[] = "feedfacedeadbeeffeedfacedeadbeefabaddad2";
	static const char cth[] = "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e"
				  "21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091";
	static const char tagh[] = "5bc94fbc3221a5db94fae95ae7121a47";
	uint8_t pt[60], aad[20], ct[60], tag[16];
	EVP_CIPHER *vc = EVP_CIPHER_fetch(NULL, "AES-128-GCM", "provider=vcrypto");
	struct gres r = {0};
	size_t i;

	for (i = 0; i < 60; i++) {
		sscanf(pth + 2 * i, "%2hhx", &pt[i]);
		sscanf(cth + 2 * i, "%2hhx", &ct[i]);
	}
	for (i = 0; i < 20; i++)
		sscanf(aadh + 2 * i, "%2hhx", &aad[i]);
	for (i = 0; i < 16; i++)
		sscanf(tagh + 2 * i, "%2hhx", &tag[i]);
	if (!vc) {
		tap_ok(0, "GCM spec test case 4: AES-128-GCM from vcrypto");
		return;
	}
	gcm_run(vc, 1, key, iv, 12, aad, 20, pt, 60, NULL, 16, 1, 0, &r);
	tap_ok(r.ok && r.len == 60 && !memcmp(r.out, ct, 60) && !memcmp(r.tag, tag, 16),
	    "GCM spec test case 4 (AES-128, AAD 20 B, 60 B): ciphertext and tag");
	free(r.out);
	EVP_CIPHER_free(vc);
}

/* ---------------- digests and HMAC ---------------- */

static const char *const digest_names[] = {"SHA1", "SHA2-224", "SHA2-256", "SHA2-384", "SHA2-512"};
static int dup_clean_fail, dup_done;
static char dup_why[300];

static void test_digest(const char *name, int cases)
{
	EVP_MD *vm = EVP_MD_fetch(NULL, name, "provider=vcrypto");
	EVP_MD *dm = EVP_MD_fetch(NULL, name, "provider=default");
	int i, bad = 0, n = 0;

	if (!vm || !dm) {
		tap_ok(0, "%s: fetched from vcrypto and default", name);
		errdump();
		return;
	}
	for (i = 0; i < cases && !bad; i++) {
		size_t len = pick_len(i), pos = 0, ch,
		       dupat = (rnd() % 3) ? (size_t)-1 : rnd() % (len + 1);
		uint8_t *in = malloc(len + 1), r[64], g[64], g2[64];
		unsigned int rl, gl = 0, gl2 = 0;
		EVP_MD_CTX *x = EVP_MD_CTX_new(), *y = NULL;
		int ok = 1, first = 1;
		char why[300] = "";

		fill(in, len);
		EVP_Digest(in, len, r, &rl, dm, NULL);
		ok = EVP_DigestInit_ex2(x, vm, NULL);
		while (ok && (pos < len || first)) {
			first = 0;
			ch = pick_chunk(len - pos, 0);
			if (pos < dupat && pos + ch > dupat)
				ch = dupat - pos;
			ok = EVP_DigestUpdate(x, in + pos, ch);
			pos += ch;
			if (ok && pos == dupat && !y) {
				y = EVP_MD_CTX_new();
				if (EVP_MD_CTX_copy_ex(y, x)) {
					dup_done++;
					ok = EVP_DigestUpdate(y, in + pos, len - pos) &&
					     EVP_DigestFinal_ex(y, g2, &gl2);
					if (ok && (gl2 != rl || memcmp(g2, r, rl))) {
						snprintf(why, sizeof(why), "dup at %zu differs",
							 dupat);
						ok = 0;
					}
				} else {
					/* allowed only as a clean error naming CIOCCPHASH */
					char t[200];

					errtext(t, sizeof(t));
					if (strstr(t, "CIOCCPHASH")) {
						dup_clean_fail++;
						snprintf(dup_why, sizeof(dup_why), "%s", t);
					} else {
						snprintf(why, sizeof(why), "dup failed: %s", t);
						ok = 0;
					}
				}
			}
		}
		if (ok)
			ok = EVP_DigestFinal_ex(x, g, &gl);
		if (!why[0] && !ok)
			errtext(why, sizeof(why));
		n++;
		if (!ok || gl != rl || memcmp(g, r, rl)) {
			bad = 1;
			tap_ok(0, "%s: %zu bytes: vcrypto digest differs or fails %s", name, len, why);
		}
		EVP_MD_CTX_free(x);
		EVP_MD_CTX_free(y);
		free(in);
	}
	if (!bad)
		tap_ok(1,
		    "%s: %d random messages (0 B..1 MiB, random update splits) equal the default "
		    "provider's",
		    name, n);
	EVP_MD_free(vm);
	EVP_MD_free(dm);
}

static int mac_run(EVP_MAC *m, const char *dg, const uint8_t *key, size_t kl, const uint8_t *in,
		   size_t len, uint8_t *out, size_t *ol, int split, int dup, char *why, size_t whyn)
{
	EVP_MAC_CTX *x = EVP_MAC_CTX_new(m), *y = NULL;
	OSSL_PARAM ps[2] = {OSSL_PARAM_construct_utf8_string("digest", (char *)dg, 0),
			    OSSL_PARAM_construct_end()};
	size_t pos = 0, ch, dupat = dup ? rnd() % (len + 1) : (size_t)-1, ol2;
	uint8_t out2[64];
	int ok, first = 1;

	ok = x && EVP_MAC_init(x, key, kl, ps);
	while (ok && (pos < len || first)) {
		first = 0;
		ch = split ? pick_chunk(len - pos, 0) : len - pos;
		if (pos < dupat && pos + ch > dupat)
			ch = dupat - pos;
		ok = EVP_MAC_update(x, in + pos, ch);
		pos += ch;
		if (ok && pos == dupat && !y) {
			y = EVP_MAC_CTX_dup(x);
			if (y) {
				dup_done++;
				ok = EVP_MAC_update(y, in + pos, len - pos) &&
				     EVP_MAC_final(y, out2, &ol2, sizeof(out2));
			} else {
				char t[200];

				errtext(t, sizeof(t));
				if (strstr(t, "CIOCCPHASH")) {
					dup_clean_fail++;
					snprintf(dup_why, sizeof(dup_why), "%s", t);
				} else {
					snprintf(why, whyn, "dup failed: %s", t);
					ok = 0;
				}
			}
		}
	}
	ok = ok && EVP_MAC_final(x, out, ol, 64);
	if (ok && y && (ol2 != *ol || memcmp(out, out2, ol2))) {
		snprintf(why, whyn, "dup at %zu differs", dupat);
		ok = 0;
	}
	if (!ok && !why[0])
		errtext(why, whyn);
	EVP_MAC_CTX_free(x);
	EVP_MAC_CTX_free(y);
	return ok;
}

static void test_hmac(const char *dg, int cases)
{
	EVP_MAC *vm = EVP_MAC_fetch(NULL, "HMAC", "provider=vcrypto");
	EVP_MAC *dm = EVP_MAC_fetch(NULL, "HMAC", "provider=default");
	static const size_t kls[] = {0, 1, 16, 20, 32, 64, 65, 128, 129, 300, 512, 600};
	int i, bad = 0, n = 0;

	if (!vm || !dm) {
		tap_ok(0, "HMAC: fetched from vcrypto and default");
		errdump();
		return;
	}
	for (i = 0; i < cases && !bad; i++) {
		size_t len = pick_len(i), kl = kls[rnd() % (sizeof(kls) / sizeof(kls[0]))], rl = 0,
		       gl = 0;
		uint8_t *in = malloc(len + 1), key[600], r[64], g[64];
		char why[300] = "";
		int ok;

		fill(in, len);
		fill(key, kl);
		mac_run(dm, dg, key, kl, in, len, r, &rl, 0, 0, why, sizeof(why));
		why[0] = 0;
		ok = mac_run(vm, dg, key, kl, in, len, g, &gl, 1, (rnd() % 3) == 0, why,
			     sizeof(why));
		n++;
		if (!ok || gl != rl || memcmp(g, r, rl)) {
			bad = 1;
			tap_ok(0, "HMAC-%s: key %zu, %zu bytes: differs or fails %s", dg, kl, len,
			    why);
		}
		free(in);
	}
	if (!bad)
		tap_ok(1,
		    "HMAC-%s: %d random keys (0..600 B) and messages (splits, dup) equal the "
		    "default provider's",
		    dg, n);
	EVP_MAC_free(vm);
	EVP_MAC_free(dm);
}

static int load(void)
{
	if (!OSSL_PROVIDER_load(NULL, "default") || !OSSL_PROVIDER_load(NULL, "vcrypto")) {
		printf("# cannot load the providers\n");
		errdump();
		return 0;
	}
	return 1;
}

static int cmd_check(int cases)
{
	size_t i;

	for (i = 0; i < sizeof(cipher_names) / sizeof(cipher_names[0]); i++)
		test_cipher(cipher_names[i], cases);
	test_gcm_vector();
	test_gcm("AES-128-GCM", cases);
	test_gcm("AES-192-GCM", cases / 2);
	test_gcm("AES-256-GCM", cases / 2);
	for (i = 0; i < sizeof(digest_names) / sizeof(digest_names[0]); i++)
		test_digest(digest_names[i], cases);
	for (i = 0; i < sizeof(digest_names) / sizeof(digest_names[0]); i++)
		test_hmac(digest_names[i], cases);
	/* HMAC over a digest the device does not have: served in software */
	test_hmac("SHA3-256", 6);
	/* the module in this tree has CIOCCPHASH: a refused dup is a failure here */
	if (dup_clean_fail)
		tap_ok(0, "digest/HMAC dup mid-stream: %d dups refused (cleanly), %d done (%s)",
		    dup_clean_fail, dup_done, dup_why);
	else
		tap_ok(dup_done > 0,
		    "digest/HMAC dup mid-stream (CIOCCPHASH): %d dups, each finished equal to the "
		    "default provider's",
		    dup_done);
	return tap_status();
}

static int cmd_none(void)
{
	OSSL_PROVIDER *p;
	EVP_CIPHER *c;
	EVP_MD *m;
	const char *why = NULL;
	OSSL_PARAM ps[2] = {OSSL_PARAM_construct_utf8_ptr("vcrypto-why", (char **)&why, 0),
			    OSSL_PARAM_construct_end()};
	uint8_t md[32], md2[32];
	unsigned int l;
	int o;

	OSSL_PROVIDER_load(NULL, "default");
	p = OSSL_PROVIDER_load(NULL, "vcrypto");
	tap_ok(p != NULL, "no /dev/crypto: the vcrypto provider loads");
	if (!p)
		return 1;
	o = OSSL_PROVIDER_get_params(p, ps) && why && strstr(why, "/dev/crypto");
	tap_ok(o, "its status says why: %s", why ? why : "(none)");
	c = EVP_CIPHER_fetch(NULL, "AES-128-CBC", "provider=vcrypto");
	m = EVP_MD_fetch(NULL, "SHA256", "provider=vcrypto");
	tap_ok(!c && !m, "it offers no algorithms");
	ERR_clear_error();
	EVP_CIPHER_free(c);
	EVP_MD_free(m);
	m = EVP_MD_fetch(NULL, "SHA256", NULL);
	tap_ok(m && EVP_Digest("abc", 3, md, &l, m, NULL) &&
		    EVP_Digest("abc", 3, md2, &l, EVP_sha256(), NULL) && !memcmp(md, md2, 32) &&
		    !strcmp(OSSL_PROVIDER_get0_name(EVP_MD_get0_provider(m)), "default"),
	    "EVP still works (SHA256 from the default provider)");
	EVP_MD_free(m);
	return tap_status();
}

static int cmd_fork(void)
{
	pid_t pid;
	int st, i;

	/* a context made before fork, used in both processes, plus new ones */
	EVP_CIPHER *vc = EVP_CIPHER_fetch(NULL, "AES-128-CBC", "provider=vcrypto");
	EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
	uint8_t key[16], iv[16], in[4096];

	fill(key, 16);
	fill(iv, 16);
	fill(in, sizeof(in));
	if (!vc || !EVP_EncryptInit_ex2(x, vc, key, iv, NULL)) {
		tap_ok(0, "fork: AES-128-CBC from vcrypto");
		return 1;
	}
	pid = fork();
	for (i = 0; i < 2; i++) {
		uint8_t o[4096 + 16], r[4096 + 16];
		int a, b, c2, d2, ok;
		EVP_CIPHER_CTX *y = EVP_CIPHER_CTX_new();
		EVP_CIPHER *dc = EVP_CIPHER_fetch(NULL, "AES-128-CBC", "provider=default");

		ok = EVP_EncryptUpdate(x, o, &a, in, sizeof(in)) &&
		     EVP_EncryptFinal_ex(x, o + a, &b) &&
		     EVP_EncryptInit_ex2(y, dc, key, iv, NULL) &&
		     EVP_EncryptUpdate(y, r, &c2, in, sizeof(in)) &&
		     EVP_EncryptFinal_ex(y, r + c2, &d2) && a + b == c2 + d2 &&
		     !memcmp(o, r, a + b);
		EVP_EncryptInit_ex2(x, NULL, NULL, iv, NULL);
		EVP_CIPHER_CTX_free(y);
		EVP_CIPHER_free(dc);
		if (pid == 0) {
			if (!ok)
				_exit(1);
			continue;
		}
		tap_ok(ok, "fork: parent, pre-fork context, run %d", i + 1);
	}
	if (pid == 0) {
		test_digest("SHA2-256", 5);
		_exit(tap_status());
	}
	waitpid(pid, &st, 0);
	tap_ok(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	    "fork: the child's pre-fork and new contexts (status %d)", st);
	return tap_status();
}

/* one-shot operations per second of NAME at SIZE from provider PROV */
static double bench_one(const char *kind, const char *name, const char *prov, size_t size)
{
	char q[64];
	uint8_t key[32] = {1}, iv[16] = {2}, *in = calloc(1, size + 32), *out = malloc(size + 32),
		md[64];
	struct timespec t0, t1;
	double el;
	long ops = 0;
	int n, ok = 1;
	size_t ml;
	EVP_CIPHER *c = NULL;
	EVP_MD *m = NULL;
	EVP_MAC *mac = NULL;
	EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();

	snprintf(q, sizeof(q), "provider=%s", prov);
	if (!strcmp(kind, "cipher"))
		ok = (c = EVP_CIPHER_fetch(NULL, name, q)) != NULL;
	else if (!strcmp(kind, "digest"))
		ok = (m = EVP_MD_fetch(NULL, name, q)) != NULL;
	else
		ok = (mac = EVP_MAC_fetch(NULL, "HMAC", q)) != NULL;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		for (int k = 0; ok && k < 16; k++, ops++) {
			if (c)
				ok = EVP_EncryptInit_ex2(x, c, key, iv, NULL) &&
				     EVP_EncryptUpdate(x, out, &n, in, (int)size) &&
				     EVP_EncryptFinal_ex(x, out + n, &n);
			else if (m)
				ok = EVP_Digest(in, size, md, NULL, m, NULL);
			else
				ok = EVP_Q_mac(NULL, "HMAC", q, "SHA256", NULL, key, 32, in, size,
					       md, sizeof(md), &ml) != NULL;
		}
		clock_gettime(CLOCK_MONOTONIC, &t1);
		el = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	} while (ok && el < 0.4);
	EVP_CIPHER_CTX_free(x);
	EVP_CIPHER_free(c);
	EVP_MD_free(m);
	EVP_MAC_free(mac);
	free(in);
	free(out);
	return ok ? ops / el : -1;
}

/* device vs default per size: where one-shot work starts to pay on the device */
static int cmd_bench(void)
{
	static const size_t sizes[] = {16, 64, 256, 1024, 2048, 4096, 8192, 16384, 65536};
	static const char *const algs[][2] = {
		{"cipher", "AES-128-CBC"}, {"digest", "SHA256"}, {"mac", "HMAC-SHA256"}};
	size_t i, a;

	printf("# one-shot ops/s (and MB/s), vcrypto (device) vs default (guest CPU)\n");
	for (a = 0; a < 3; a++) {
		for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
			double v = bench_one(algs[a][0], algs[a][1], "vcrypto", sizes[i]);
			double d = bench_one(algs[a][0], algs[a][1], "default", sizes[i]);

			printf("# %-12s %6zu B: vcrypto %9.0f ops/s %8.1f MB/s | default %9.0f "
			       "ops/s %8.1f MB/s | %s\n",
			       algs[a][1], sizes[i], v, v * sizes[i] / 1e6, d, d * sizes[i] / 1e6,
			       v >= d ? "device" : "software");
		}
	}
	return 0;
}

/* 8 threads, each its own contexts, mixed algorithms, each result against the default */
struct thr {
	uint64_t seed;
	int iters, bad;
	char why[200];
};

static uint64_t trnd(uint64_t *st)
{
	*st ^= *st << 13;
	*st ^= *st >> 7;
	*st ^= *st << 17;
	return *st;
}

static void *thread_main(void *arg)
{
	static const char *const cn[] = {"AES-128-CBC", "AES-256-CTR", "AES-192-ECB",
					 "AES-128-GCM"};
	struct thr *t = arg;
	int i;

	for (i = 0; i < t->iters && !t->bad; i++) {
		size_t len = trnd(&t->seed) % 70000, j;
		int a = (int)(trnd(&t->seed) % 6);
		uint8_t *in = malloc(len + 32), *o1 = malloc(len + 32), *o2 = malloc(len + 32),
			key[32], iv[16];
		size_t l1 = 0, l2 = 0;
		int ok1 = 0, ok2 = 0;

		for (j = 0; j < len; j++)
			in[j] = (uint8_t)trnd(&t->seed);
		for (j = 0; j < 32; j++)
			key[j] = (uint8_t)trnd(&t->seed);
		for (j = 0; j < 16; j++)
			iv[j] = (uint8_t)trnd(&t->seed);
		if (a < 4) {
			for (int p = 0; p < 2; p++) {
				EVP_CIPHER *c = EVP_CIPHER_fetch(
					NULL, cn[a], p ? "provider=default" : "provider=vcrypto");
				EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
				uint8_t *o = p ? o2 : o1;
				int n1 = 0, n2 = 0, ok;
				size_t l = a == 2 ? len & ~(size_t)15 : len;

				ok = c && EVP_EncryptInit_ex2(x, c, key, iv, NULL) &&
				     EVP_EncryptUpdate(x, o, &n1, in, (int)l) &&
				     EVP_EncryptFinal_ex(x, o + n1, &n2);
				if (ok && a == 3)
					ok = EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_AEAD_GET_TAG, 16,
								 o + n1 + n2) > 0,
					n2 += 16;
				*(p ? &ok2 : &ok1) = ok;
				*(p ? &l2 : &l1) = n1 + n2;
				EVP_CIPHER_CTX_free(x);
				EVP_CIPHER_free(c);
			}
		} else if (a == 4) {
			EVP_MD *m1 = EVP_MD_fetch(NULL, "SHA2-512", "provider=vcrypto"),
			       *m2 = EVP_MD_fetch(NULL, "SHA2-512", "provider=default");

			ok1 = m1 && EVP_Digest(in, len, o1, NULL, m1, NULL);
			ok2 = m2 && EVP_Digest(in, len, o2, NULL, m2, NULL);
			l1 = l2 = 64;
			EVP_MD_free(m1);
			EVP_MD_free(m2);
		} else {
			ok1 = EVP_Q_mac(NULL, "HMAC", "provider=vcrypto", "SHA256", NULL, key, 32,
					in, len, o1, 64, &l1) != NULL;
			ok2 = EVP_Q_mac(NULL, "HMAC", "provider=default", "SHA256", NULL, key, 32,
					in, len, o2, 64, &l2) != NULL;
		}
		if (!ok1 || !ok2 || l1 != l2 || memcmp(o1, o2, l1)) {
			t->bad = 1;
			snprintf(t->why, sizeof(t->why), "alg %d, %zu bytes: ok %d/%d, len %zu/%zu",
				 a, len, ok1, ok2, l1, l2);
		}
		free(in);
		free(o1);
		free(o2);
	}
	return NULL;
}

static int cmd_threads(int n)
{
	pthread_t th[8];
	struct thr t[8];
	int i, bad = 0;

	for (i = 0; i < 8; i++) {
		t[i].seed = rnd() | 1;
		t[i].iters = n;
		t[i].bad = 0;
		t[i].why[0] = 0;
		pthread_create(&th[i], NULL, thread_main, &t[i]);
	}
	for (i = 0; i < 8; i++) {
		pthread_join(th[i], NULL);
		if (t[i].bad)
			printf("# thread %d: %s\n", i, t[i].why);
		bad |= t[i].bad;
	}
	tap_ok(!bad,
	    "8 threads x %d mixed operations (CBC, CTR, ECB, GCM, SHA512, HMAC-SHA256; own "
	    "contexts) equal the default provider's",
	    n);
	return tap_status();
}

/* ---- vcp_test tls: the composite AES-CBC-HMAC ciphers for TLS records ---- */

#define TLS_SEQ_TYPE 23 /* application data */

static const struct {
	const char *name, *cbc, *md;
	size_t keylen, mdlen;
} tls_algs[] = {
	{"AES-128-CBC-HMAC-SHA1", "AES-128-CBC", "SHA1", 16, 20},
	{"AES-256-CBC-HMAC-SHA1", "AES-256-CBC", "SHA1", 32, 20},
	{"AES-128-CBC-HMAC-SHA256", "AES-128-CBC", "SHA2-256", 16, 32},
	{"AES-256-CBC-HMAC-SHA256", "AES-256-CBC", "SHA2-256", 32, 32},
};

/* A context set up as libssl's tls1_change_cipher_state does. */
static EVP_CIPHER_CTX *tls_ctx(EVP_CIPHER *ci, const uint8_t *key, const uint8_t *iv,
			       const uint8_t *mackey, size_t mdlen, int enc, int ver)
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	size_t macsize = 0;
	OSSL_PARAM ps[3] = {OSSL_PARAM_construct_int(OSSL_CIPHER_PARAM_TLS_VERSION, &ver),
			    OSSL_PARAM_construct_size_t(OSSL_CIPHER_PARAM_TLS_MAC_SIZE, &macsize),
			    OSSL_PARAM_construct_end()};

	if (!c || !EVP_CipherInit_ex(c, ci, NULL, key, iv, enc) ||
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_MAC_KEY, (int)mdlen, (void *)mackey) <= 0 ||
	    !EVP_CIPHER_CTX_set_params(c, ps)) {
		errdump();
		EVP_CIPHER_CTX_free(c);
		return NULL;
	}
	return c;
}

/*
 * The record as the TLS RFCs define it, built here from the default
 * provider's AES-CBC (no padding) and HMAC: [explicit IV] || data || MAC ||
 * padding, CBC-encrypted from *chain (updated).  extra: more padding blocks;
 * tamper 1: a MAC byte flipped, 2: a padding byte wrong, 3: padding length
 * byte 255 (254 where it was 255).  Returns the record's length.
 */
static size_t tls_ref_seal(int a, const uint8_t *key, uint8_t *chain, const uint8_t *mackey,
			   const uint8_t *seq, int ver, const uint8_t *eiv, const uint8_t *data,
			   size_t dlen, int extra, int tamper, uint8_t *out)
{
	size_t ivl = ver >= 0x0302 ? 16 : 0, md = tls_algs[a].mdlen, n, k, ml = 0, i;
	uint8_t hdr[13], *p = out;
	EVP_MAC *m = EVP_MAC_fetch(NULL, "HMAC", "provider=default");
	EVP_MAC_CTX *mc = m ? EVP_MAC_CTX_new(m) : NULL;
	EVP_CIPHER *ci = EVP_CIPHER_fetch(NULL, tls_algs[a].cbc, "provider=default");
	EVP_CIPHER_CTX *cc = EVP_CIPHER_CTX_new();
	OSSL_PARAM ps[3] = {
		OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)tls_algs[a].md, 0),
		OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_PROPERTIES, "provider=default", 0),
		OSSL_PARAM_construct_end()};
	int ol = 0, ok;

	memcpy(hdr, seq, 8);
	hdr[8] = TLS_SEQ_TYPE;
	hdr[9] = (uint8_t)(ver >> 8);
	hdr[10] = (uint8_t)ver;
	hdr[11] = (uint8_t)(dlen >> 8);
	hdr[12] = (uint8_t)dlen;
	memcpy(p, eiv, ivl);
	memcpy(p + ivl, data, dlen);
	n = ivl + dlen;
	ok = mc && EVP_MAC_init(mc, mackey, md, ps) && EVP_MAC_update(mc, hdr, 13) &&
	     EVP_MAC_update(mc, data, dlen) && EVP_MAC_final(mc, p + n, &ml, md) && ml == md;
	n += md;
	k = 16 - n % 16 + 16 * (size_t)extra; /* padding bytes, length byte included */
	for (i = 0; i < k; i++)
		p[n + i] = (uint8_t)(k - 1);
	if (tamper == 1)
		p[ivl + dlen + md / 2] ^= 0x40;
	if (tamper == 2 && k >= 2)
		p[n + k - 2] ^= 0x01;
	if (tamper == 2 && k < 2)
		p[n + k - 1] = 0xfe;
	if (tamper == 3) /* longer than the padding there is */
		p[n + k - 1] = k - 1 == 0xff ? 0xfe : 0xff;
	n += k;
	ok = ok && ci && cc && EVP_EncryptInit_ex2(cc, ci, key, chain, NULL) &&
	     EVP_CIPHER_CTX_set_padding(cc, 0) && EVP_EncryptUpdate(cc, out, &ol, out, (int)n) &&
	     (size_t)ol == n;
	if (ok)
		memcpy(chain, out + n - 16, 16);
	EVP_CIPHER_CTX_free(cc);
	EVP_CIPHER_free(ci);
	EVP_MAC_CTX_free(mc);
	EVP_MAC_free(m);
	return ok ? n : 0;
}

/* libssl's record header: seq, type, version, length */
static void tls_hdr(uint8_t *h, const uint8_t *seq, int ver, size_t len)
{
	memcpy(h, seq, 8);
	h[8] = TLS_SEQ_TYPE;
	h[9] = (uint8_t)(ver >> 8);
	h[10] = (uint8_t)ver;
	h[11] = (uint8_t)(len >> 8);
	h[12] = (uint8_t)len;
}

/* Encrypt one record as tls1_enc does; returns its length or 0. */
static size_t tls_seal(EVP_CIPHER_CTX *c, const uint8_t *seq, int ver, uint8_t *buf, size_t plen)
{
	uint8_t h[13];
	int pad, ol = 0;

	tls_hdr(h, seq, ver, plen);
	pad = EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_TLS1_AAD, 13, h);
	if (pad <= 0 || !EVP_CipherUpdate(c, buf, &ol, buf, (int)(plen + pad)))
		return 0;
	return (size_t)ol == plen + (size_t)pad ? (size_t)ol : 0;
}

/* Decrypt one record in place as tls1_enc does: 1 and *dlen, or 0 (refused). */
static int tls_open(EVP_CIPHER_CTX *c, const uint8_t *seq, int ver, uint8_t *buf, size_t len,
		    size_t mdlen, size_t *dlen)
{
	uint8_t h[13];
	int pad, ol = 0;

	tls_hdr(h, seq, ver, len);
	pad = EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_TLS1_AAD, 13, h);
	if (pad != (int)mdlen || !EVP_CipherUpdate(c, buf, &ol, buf, (int)len))
		return 0;
	*dlen = (size_t)ol;
	return 1;
}

static void test_tls(int a, int ver, int cases)
{
	static const size_t lens[] = {0, 1, 15, 16, 17, 31, 32, 33, 100, 1000, 4095, 4096, 16384};
	static const char *const kinds[] = {"long-padded", "bad-MAC", "bad-padding",
					    "bad-pad-length"};
	const char *vs = ver == 0x0301 ? "TLS1.0" : ver == 0x0302 ? "TLS1.1" : "TLS1.2";
	size_t md = tls_algs[a].mdlen, ivl = ver >= 0x0302 ? 16 : 0, dlen, n, got, rl, gl;
	uint8_t key[32], mackey[32], iv[16], chain[16], seq[8], eiv[16];
	uint8_t *data = malloc(20000), *exp = malloc(20000), *b1 = malloc(20000),
		*b2 = malloc(20000);
	EVP_CIPHER *vc = EVP_CIPHER_fetch(NULL, tls_algs[a].name, "provider=vcrypto");
	EVP_CIPHER *dc;
	EVP_CIPHER_CTX *ve = NULL, *vd = NULL, *de = NULL, *dd = NULL;
	int bad = 0, recs = 0, refused = 0, accepted = 0, i, t, vo, dok;
	char why[300] = "";

	ERR_set_mark();
	dc = EVP_CIPHER_fetch(NULL, tls_algs[a].name, "provider=default");
	ERR_pop_to_mark();
	if (!vc || !data || !exp || !b1 || !b2) {
		tap_ok(0, "%s %s: offered by vcrypto", tls_algs[a].name, vs);
		errdump();
		goto out;
	}
	if (EVP_CIPHER_get_flags(vc) & EVP_CIPH_FLAG_TLS1_1_MULTIBLOCK ||
	    !(EVP_CIPHER_get_flags(vc) & EVP_CIPH_FLAG_AEAD_CIPHER) ||
	    EVP_CIPHER_get_mode(vc) != EVP_CIPH_CBC_MODE || EVP_CIPHER_get_iv_length(vc) != 16) {
		tap_ok(0, "%s: flags %#lx mode %d (libssl needs AEAD, CBC, 16-byte IV)",
		    tls_algs[a].name, EVP_CIPHER_get_flags(vc), EVP_CIPHER_get_mode(vc));
		goto out;
	}
	fill(key, sizeof(key));
	fill(mackey, sizeof(mackey));
	fill(iv, sizeof(iv));
	fill(seq, sizeof(seq));
	memcpy(chain, iv, 16);
	ve = tls_ctx(vc, key, iv, mackey, md, 1, ver);
	vd = tls_ctx(vc, key, iv, mackey, md, 0, ver);
	if (dc) {
		de = tls_ctx(dc, key, iv, mackey, md, 1, ver);
		dd = tls_ctx(dc, key, iv, mackey, md, 0, ver);
	}
	if (!ve || !vd || (dc && (!de || !dd))) {
		tap_ok(0, "%s %s: contexts set up as libssl does", tls_algs[a].name, vs);
		goto out;
	}
	/* records in sequence on the same contexts: TLS 1.0's IV chains */
	for (i = 0; i < cases && !bad; i++) {
		dlen = i < (int)(sizeof(lens) / sizeof(lens[0])) ? lens[i] : rnd() % 16500;
		fill(data, dlen);
		fill(eiv, 16);
		seq[7]++;
		n = tls_ref_seal(a, key, chain, mackey, seq, ver, eiv, data, dlen, 0, 0, exp);
		memcpy(b1, eiv, ivl);
		memcpy(b1 + ivl, data, dlen);
		memcpy(b2, b1, ivl + dlen);
		got = tls_seal(ve, seq, ver, b1, ivl + dlen);
		if (!n || got != n || memcmp(b1, exp, n)) {
			snprintf(why, sizeof(why), "record %d (%zu B): sealed %zu B, spec %zu B", i,
				 dlen, got, n);
			bad = 1;
			break;
		}
		if (de && (tls_seal(de, seq, ver, b2, ivl + dlen) != n || memcmp(b2, exp, n))) {
			snprintf(why, sizeof(why), "record %d: the default provider's differs", i);
			bad = 1;
			break;
		}
		memcpy(b1, exp, n);
		memcpy(b2, exp, n);
		if (!tls_open(vd, seq, ver, b1, n, md, &rl) || rl != dlen ||
		    memcmp(b1 + ivl, data, dlen)) {
			snprintf(why, sizeof(why), "record %d (%zu B): opened to %zu B", i, dlen,
				 rl);
			bad = 1;
			break;
		}
		if (dd && (!tls_open(dd, seq, ver, b2, n, md, &gl) || gl != dlen)) {
			snprintf(why, sizeof(why), "record %d: the default provider refused", i);
			bad = 1;
			break;
		}
		recs++;
	}
	/* longer padding (up to 255 bytes) is valid TLS; tampering is not */
	for (t = 0; t < 4 && !bad; t++) {
		for (i = 0; i < 3 && !bad; i++) {
			EVP_CIPHER_CTX *v1, *d1 = NULL;

			static const size_t base[] = {0, 300, 5000}, span[] = {40, 200, 9000};

			dlen = base[i] + rnd() % span[i];
			fill(data, dlen);
			fill(eiv, 16);
			memcpy(chain, iv, 16);
			/* up to 15 more blocks: 256 bytes of padding at most */
			n = tls_ref_seal(a, key, chain, mackey, seq, ver, eiv, data, dlen,
					 i == 2 ? 15 : (int)(rnd() % 16), t, exp);
			v1 = tls_ctx(vc, key, iv, mackey, md, 0, ver);
			if (dc)
				d1 = tls_ctx(dc, key, iv, mackey, md, 0, ver);
			memcpy(b1, exp, n);
			memcpy(b2, exp, n);
			vo = v1 && tls_open(v1, seq, ver, b1, n, md, &rl);
			ERR_clear_error();
			dok = d1 ? tls_open(d1, seq, ver, b2, n, md, &gl) : t == 0;
			ERR_clear_error();
			if (vo != (t == 0) || dok != (t == 0) ||
			    (vo && (rl != dlen || memcmp(b1 + ivl, data, dlen)))) {
				snprintf(why, sizeof(why),
					 "%s record of %zu B: vcrypto %s, default %s", kinds[t],
					 dlen, vo ? "accepted" : "refused",
					 dok ? "accepted" : "refused");
				bad = 1;
			}
			if (t == 0)
				accepted++;
			else
				refused++;
			EVP_CIPHER_CTX_free(v1);
			EVP_CIPHER_CTX_free(d1);
		}
	}
	tap_ok(!bad,
	    "%s %s as libssl drives it: %d records equal to the RFC construction (AES-CBC + "
	    "HMAC)%s, opened in place; %d long-padded accepted, %d with bad MAC/padding/pad "
	    "length refused%s %s",
	    tls_algs[a].name, vs, recs, dc ? " and to the default provider's" : "", accepted,
	    refused, dc ? " as by the default provider" : "", why);
	if (!dc)
		tap_skip("%s %s: the default provider does not offer it here (its stitched code "
			 "needs AES-NI/AVX or SHA extensions)",
			 tls_algs[a].name, vs);
out:
	EVP_CIPHER_CTX_free(ve);
	EVP_CIPHER_CTX_free(vd);
	EVP_CIPHER_CTX_free(de);
	EVP_CIPHER_CTX_free(dd);
	EVP_CIPHER_free(vc);
	EVP_CIPHER_free(dc);
	free(data);
	free(exp);
	free(b1);
	free(b2);
}

/* Without a header: plain CBC on whole blocks, as the default's. */
static void test_tls_plain(int a)
{
	EVP_CIPHER *vc = EVP_CIPHER_fetch(NULL, tls_algs[a].name, "provider=vcrypto");
	EVP_CIPHER *cbc = EVP_CIPHER_fetch(NULL, tls_algs[a].cbc, "provider=default");
	uint8_t key[32], iv[16], in[4096], o1[4096 + 16], o2[4096 + 16];
	size_t len = 16 * (1 + rnd() % 255);
	int ok = 0, l1 = 0, l2 = 0, refused = 0;
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new(), *r = EVP_CIPHER_CTX_new();

	fill(key, sizeof(key));
	fill(iv, sizeof(iv));
	fill(in, len);
	if (vc && cbc && c && r && EVP_EncryptInit_ex2(c, vc, key, iv, NULL) &&
	    EVP_EncryptInit_ex2(r, cbc, key, iv, NULL) && EVP_CIPHER_CTX_set_padding(r, 0) &&
	    EVP_EncryptUpdate(c, o1, &l1, in, (int)len) &&
	    EVP_EncryptUpdate(r, o2, &l2, in, (int)len))
		ok = l1 == l2 && (size_t)l1 == len && !memcmp(o1, o2, len);
	refused = c && !EVP_EncryptUpdate(c, o1, &l1, in, 17);
	ERR_clear_error();
	tap_ok(ok && refused,
	    "%s without a TLS header: %zu bytes equal plain AES-CBC, 17 bytes refused",
	    tls_algs[a].name, len);
	EVP_CIPHER_CTX_free(c);
	EVP_CIPHER_CTX_free(r);
	EVP_CIPHER_free(vc);
	EVP_CIPHER_free(cbc);
}

static int cmd_tls(int cases)
{
	static const int vers[] = {0x0301, 0x0302, 0x0303};
	size_t a, v;

	for (a = 0; a < sizeof(tls_algs) / sizeof(tls_algs[0]); a++) {
		for (v = 0; v < 3; v++)
			test_tls((int)a, vers[v], cases);
		test_tls_plain((int)a);
	}
	return tap_status();
}

/* ---- issue 12: long streams, and a device failing mid-stream ---- */

/* Sum of a per-device statistic of virtio_cryptodev; -1 if none readable. */
static long devstat(const char *name)
{
	char path[160];
	long v, sum = -1;
	unsigned int i;
	FILE *f;

	for (i = 0; i < 64; i++) {
		snprintf(path, sizeof(path), "/sys/bus/virtio/devices/virtio%u/%s", i, name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fscanf(f, "%ld", &v) == 1)
			sum = (sum < 0 ? 0 : sum) + v;
		fclose(f);
	}
	return sum;
}

/* A digest or an HMAC context, whichever provider serves it. */
struct hctx {
	EVP_MD_CTX *m;
	EVP_MAC_CTX *c;
};

static const uint8_t hkey[32] = {7, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
				 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31};

static int h_init(struct hctx *h, const char *digest, int hmac, const char *prop)
{
	OSSL_PARAM ps[2];
	EVP_MD *md;
	EVP_MAC *mac;
	int ok;

	memset(h, 0, sizeof(*h));
	if (!hmac) {
		md = EVP_MD_fetch(NULL, digest, prop);
		h->m = EVP_MD_CTX_new();
		ok = md && h->m && EVP_DigestInit_ex2(h->m, md, NULL);
		EVP_MD_free(md);
		return ok;
	}
	mac = EVP_MAC_fetch(NULL, "HMAC", prop);
	h->c = mac ? EVP_MAC_CTX_new(mac) : NULL;
	EVP_MAC_free(mac);
	ps[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)digest, 0);
	ps[1] = OSSL_PARAM_construct_end();
	return h->c && EVP_MAC_init(h->c, hkey, sizeof(hkey), ps);
}

static int h_update(struct hctx *h, const uint8_t *p, size_t n)
{
	return h->m ? EVP_DigestUpdate(h->m, p, n) : EVP_MAC_update(h->c, p, n);
}

/* *outl: what the provider claimed (EVP passes it on, success or not) */
static int h_final(struct hctx *h, uint8_t *out, size_t *outl)
{
	unsigned int l = 0;
	size_t ml = 0;
	int ok;

	if (h->m) {
		ok = EVP_DigestFinal_ex(h->m, out, &l);
		*outl = l;
		return ok;
	}
	ok = EVP_MAC_final(h->c, out, &ml, 64);
	*outl = ml;
	return ok;
}

static int h_dup(struct hctx *d, const struct hctx *s)
{
	memset(d, 0, sizeof(*d));
	if (s->m) {
		d->m = EVP_MD_CTX_new();
		return d->m && EVP_MD_CTX_copy_ex(d->m, s->m);
	}
	d->c = EVP_MAC_CTX_dup(s->c);
	return d->c != NULL;
}

static void h_free(struct hctx *h)
{
	EVP_MD_CTX_free(h->m);
	EVP_MAC_CTX_free(h->c);
	memset(h, 0, sizeof(*h));
}

/* The default provider's digest/HMAC of @len bytes; 0 on failure. */
static size_t h_ref(const char *digest, int hmac, const uint8_t *p, size_t len, uint8_t *out)
{
	struct hctx h;
	size_t l = 0;

	if (!h_init(&h, digest, hmac, "provider=default") || !h_update(&h, p, len) ||
	    !h_final(&h, out, &l))
		l = 0;
	h_free(&h);
	return l;
}

/*
 * 40 MiB in random-size updates through the provider: past the module's
 * gather caps the stream goes on in the guest kernel's software hash with
 * no special case here.  Copies (dupctx = CIOCCPHASH) at 8 MiB, while the
 * stream is gathered, and at 24 MiB, once it is in software.
 */
static void big_one(const char *digest, int hmac, const uint8_t *msg, size_t len)
{
	const size_t cut1 = 8 << 20, cut2 = 24 << 20;
	uint8_t o[64], r[64];
	size_t off = 0, n, ol, rl;
	struct hctx h, a, b;
	long sw0 = devstat("vcdev_sw_fallbacks"), sw;
	int ok, oka = 0, okb = 0;
	const char *what = hmac ? "HMAC" : "digest";

	ok = h_init(&h, digest, hmac, "provider=vcrypto");
	while (ok && off < len) {
		n = 1 + rnd() % (3 << 20);
		if (n > len - off)
			n = len - off;
		if (off < cut1 && off + n > cut1)
			n = cut1 - off;
		else if (off < cut2 && off + n > cut2)
			n = cut2 - off;
		ok = h_update(&h, msg + off, n);
		off += n;
		if (ok && off == cut1) {
			oka = h_dup(&a, &h) && h_final(&a, o, &ol) &&
			      (rl = h_ref(digest, hmac, msg, cut1, r)) && ol == rl && !memcmp(o, r, rl);
			h_free(&a);
		}
		if (ok && off == cut2) {
			okb = h_dup(&b, &h);
			for (n = cut2; okb && n < len; n += 1 << 20)
				okb = h_update(&b, msg + n, len - n < (1 << 20) ? len - n : 1 << 20);
			okb = okb && h_final(&b, o, &ol) && (rl = h_ref(digest, hmac, msg, len, r)) &&
			      ol == rl && !memcmp(o, r, rl);
			h_free(&b);
		}
	}
	ok = ok && h_final(&h, o, &ol) && (rl = h_ref(digest, hmac, msg, len, r)) && ol == rl &&
	     !memcmp(o, r, rl);
	if (!ok)
		errdump();
	h_free(&h);
	tap_ok(ok, "%s %s of %zu MiB in random updates (provider=vcrypto) equals the default provider's",
	    digest, what, len >> 20);
	tap_ok(oka, "%s %s: dup at 8 MiB (gathered in the module), final of the copy equals default",
	    digest, what);
	tap_ok(okb, "%s %s: dup at 24 MiB (in software), the copy continued equals default", digest,
	    what);
	sw = devstat("vcdev_sw_fallbacks");
	tap_ok(sw > sw0, "%s %s: the module counted software fallbacks (%ld -> %ld)", digest, what,
	    sw0, sw);
}

static int cmd_bighash(void)
{
	size_t len = 40 << 20;
	uint8_t *msg = malloc(len);

	if (!msg) {
		tap_ok(0, "40 MiB buffer");
		return 1;
	}
	fill(msg, len);
	big_one("SHA2-256", 0, msg, len);
	big_one("SHA2-512", 0, msg, len);
	big_one("SHA2-256", 1, msg, len);
	free(msg);
	return tap_status();
}

/* Waits up to @secs for @path to exist. */
static int wait_file(const char *path, int secs)
{
	int i;

	for (i = 0; i < secs * 10; i++) {
		if (!access(path, F_OK))
			return 1;
		usleep(100000);
	}
	return 0;
}

static void touch(const char *path)
{
	FILE *f = fopen(path, "w");

	if (f)
		fclose(f);
}

/* The error stack as ERR_print_errors shows it (emptied), in @buf. */
static void errprint(char *buf, size_t n)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *p;
	long l;

	buf[0] = 0;
	if (!b)
		return;
	ERR_print_errors(b);
	l = BIO_get_mem_data(b, &p);
	if (l > 0) {
		if ((size_t)l >= n)
			l = (long)n - 1;
		memcpy(buf, p, (size_t)l);
		buf[l] = 0;
	}
	BIO_free(b);
}

static void errshow(const char *what, const char *text)
{
	const char *p = text, *e;

	printf("# %s: ERR_print_errors:\n", what);
	while (*p) {
		e = strchr(p, '\n');
		if (!e)
			e = p + strlen(p);
		printf("#   %.*s\n", (int)(e - p), p);
		p = *e ? e + 1 : e;
	}
}

#define FAIL_REASON "/dev/crypto request failed"

/*
 * A device that fails mid-stream: AES-128-CBC, SHA-256 and HMAC-SHA256
 * streams through the provider, each step compared with the default
 * provider's, until the case script unbinds the device (it waits for
 * @ready).  Every stream must then fail with the provider's reason on the
 * error stack and no output claimed; nothing before the failure may
 * differ; after the script rebinds (@rebound) new contexts work.
 */
static int cmd_failing(const char *ready, const char *failed_file, const char *rebound)
{
	enum { CHUNK = 64 << 10, PER_MSG = 64 }; /* 4 MiB messages */
	static uint8_t in[CHUNK], ov[CHUNK + 16], od[CHUNK + 16];
	uint8_t key[16], iv[16], hv[64], hd[64];
	char err[3][2048];
	const char *names[3] = {"AES-128-CBC update", "SHA2-256 digest", "HMAC-SHA256"};
	int dead[3] = {0, 0, 0}, claimed[3] = {0, 0, 0}, at[3] = {0, 0, 0}, mism = 0, steps = 0, i, k,
	    nv, nd;
	EVP_CIPHER *cv = EVP_CIPHER_fetch(NULL, "AES-128-CBC", "provider=vcrypto");
	EVP_CIPHER *cd = EVP_CIPHER_fetch(NULL, "AES-128-CBC", "provider=default");
	EVP_CIPHER_CTX *xv = EVP_CIPHER_CTX_new(), *xd = EVP_CIPHER_CTX_new();
	struct hctx dv, dd, mv, md;
	size_t lv, ld;
	time_t end = time(NULL) + 180;
	int ok;

	fill(key, sizeof(key));
	fill(iv, sizeof(iv));
	ok = cv && cd && xv && xd && EVP_EncryptInit_ex2(xv, cv, key, iv, NULL) &&
	     EVP_EncryptInit_ex2(xd, cd, key, iv, NULL) &&
	     h_init(&dv, "SHA2-256", 0, "provider=vcrypto") &&
	     h_init(&dd, "SHA2-256", 0, "provider=default") &&
	     h_init(&mv, "SHA2-256", 1, "provider=vcrypto") &&
	     h_init(&md, "SHA2-256", 1, "provider=default");
	tap_ok(ok, "failing: contexts on vcrypto and default");
	if (!ok) {
		errdump();
		return 1;
	}
	memset(err, 0, sizeof(err));
	for (i = 0; (!dead[0] || !dead[1] || !dead[2]) && time(NULL) < end; i++) {
		fill(in, sizeof(in));
		if (!dead[0]) {
			nv = -1;
			if (EVP_EncryptUpdate(xv, ov, &nv, in, CHUNK)) {
				if (!EVP_EncryptUpdate(xd, od, &nd, in, CHUNK) || nv != nd ||
				    memcmp(ov, od, (size_t)nd))
					mism++;
			} else {
				dead[0] = 1;
				claimed[0] = nv > 0; /* EVP zeroes it first; the provider sets none */
				errprint(err[0], sizeof(err[0]));
			}
		}
		for (k = 1; k < 3; k++) {
			struct hctx *v = k == 1 ? &dv : &mv, *d = k == 1 ? &dd : &md;

			if (dead[k])
				continue;
			ok = h_update(v, in, CHUNK);
			if (ok)
				h_update(d, in, CHUNK);
			if (ok && i % PER_MSG == PER_MSG - 1) {
				/* a message of 4 MiB: its digest, then the next message */
				ok = h_final(v, hv, &lv);
				if (ok) {
					if (!h_final(d, hd, &ld) || lv != ld || memcmp(hv, hd, lv))
						mism++;
					h_free(v);
					h_free(d);
					ok = h_init(v, "SHA2-256", k == 2, "provider=vcrypto") &&
					     h_init(d, "SHA2-256", k == 2, "provider=default");
				} else {
					claimed[k] = lv != 0;
				}
			}
			if (!ok) {
				dead[k] = 1;
				at[k] = i % PER_MSG; /* parts of this message before */
				errprint(err[k], sizeof(err[k]));
			}
		}
		steps++;
		if (i == 8)
			touch(ready); /* mid-stream: the script may pull the device now */
	}
	touch(failed_file);
	printf("# failing: %d steps of 64 KiB before all three streams failed\n", steps);
	tap_ok(!mism, "failing: every step before the failure equals the default provider (%d differ)",
	    mism);
	for (k = 0; k < 3; k++) {
		errshow(names[k], err[k]);
		tap_ok(dead[k] && strstr(err[k], FAIL_REASON) != NULL,
		    "failing: %s returns 0 with \"" FAIL_REASON "\" on the error stack", names[k]);
		tap_ok(dead[k] && !claimed[k], "failing: %s claims no output for the failed step",
		    names[k]);
		if (k)
			tap_ok(dead[k] && at[k] > 0,
			    "failing: %s failed mid-message (after %d parts of 64 KiB)", names[k],
			    at[k]);
	}
	/* the failed context keeps failing cleanly, also after a re-init with only the IV */
	nv = -1;
	ok = EVP_EncryptUpdate(xv, ov, &nv, in, CHUNK);
	errprint(err[0], sizeof(err[0]));
	tap_ok(!ok && nv <= 0 && strstr(err[0], FAIL_REASON),
	    "failing: the failed cipher context refuses the next update too");
	ERR_clear_error();

	tap_ok(wait_file(rebound, 120), "failing: the device was bound again");
	ok = EVP_EncryptInit_ex2(xv, cv, key, iv, NULL) && EVP_EncryptInit_ex2(xd, cd, key, iv, NULL);
	for (i = 0; ok && i < 4; i++) {
		fill(in, sizeof(in));
		ok = EVP_EncryptUpdate(xv, ov, &nv, in, CHUNK) &&
		     EVP_EncryptUpdate(xd, od, &nd, in, CHUNK) && nv == nd && !memcmp(ov, od, nd);
	}
	if (!ok)
		errdump();
	tap_ok(ok, "failing: after rebinding, a re-initialised AES-128-CBC context equals default");
	for (k = 1; k < 3; k++) {
		struct hctx *v = k == 1 ? &dv : &mv, *d = k == 1 ? &dd : &md;

		h_free(v);
		h_free(d);
		ok = h_init(v, "SHA2-256", k == 2, "provider=vcrypto") &&
		     h_init(d, "SHA2-256", k == 2, "provider=default");
		for (i = 0; ok && i < 16; i++) {
			fill(in, sizeof(in));
			ok = h_update(v, in, CHUNK) && h_update(d, in, CHUNK);
		}
		ok = ok && h_final(v, hv, &lv) && h_final(d, hd, &ld) && lv == ld &&
		     !memcmp(hv, hd, lv);
		if (!ok)
			errdump();
		tap_ok(ok, "failing: after rebinding, a new %s context equals default", names[k]);
		h_free(v);
		h_free(d);
	}
	EVP_CIPHER_CTX_free(xv);
	EVP_CIPHER_CTX_free(xd);
	EVP_CIPHER_free(cv);
	EVP_CIPHER_free(cd);
	return tap_status();
}

/* ---- vcp_test etm: plain AES-CBC in libssl's TLS record mode (encrypt-then-MAC) ---- */

/* A context set up as libssl's tls1_change_cipher_state / tls_provider_set_tls_params. */
static EVP_CIPHER_CTX *etm_ctx(EVP_CIPHER *ci, const uint8_t *key, const uint8_t *iv, int enc,
			       int ver, size_t macsize)
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	OSSL_PARAM ps[3] = {OSSL_PARAM_construct_int(OSSL_CIPHER_PARAM_TLS_VERSION, &ver),
			    OSSL_PARAM_construct_size_t(OSSL_CIPHER_PARAM_TLS_MAC_SIZE, &macsize),
			    OSSL_PARAM_construct_end()};

	if (!c || !EVP_CipherInit_ex(c, ci, NULL, key, iv, enc) ||
	    !EVP_CIPHER_CTX_set_params(c, ps)) {
		errdump();
		EVP_CIPHER_CTX_free(c);
		return NULL;
	}
	return c;
}

/* One record through EVP_CipherUpdate in place, as tls1_enc does: its length or -1. */
static int etm_rec(EVP_CIPHER_CTX *c, uint8_t *buf, size_t len)
{
	int ol = 0;

	if (!EVP_CipherUpdate(c, buf, &ol, buf, (int)len))
		return -1;
	return ol;
}

/* The MAC libssl reads after decrypting (tls-mac): 1 and a copy, 0 if NULL or failed. */
static int etm_mac(EVP_CIPHER_CTX *c, uint8_t *mac, size_t ms)
{
	unsigned char *p = NULL;
	OSSL_PARAM ps[2] = {
		OSSL_PARAM_construct_octet_ptr(OSSL_CIPHER_PARAM_TLS_MAC, (void **)&p, ms),
		OSSL_PARAM_construct_end()};

	if (!EVP_CIPHER_CTX_get_params(c, ps) || !p)
		return 0;
	memcpy(mac, p, ms);
	return 1;
}

static void test_etm(const char *name, int ver, size_t ms, int cases, size_t minoff)
{
	static const size_t lens[] = {0, 1, 15, 16, 17, 31, 32, 100, 4095, 4096, 16384};
	static const char *const kinds[] = {"long-padded", "bad-padding-byte", "bad-pad-length"};
	size_t dlen, n, k, i, expect = 0;
	size_t ivl = ver == 0x0300 || ver == 0x0301 ? 0 : 16;
	uint8_t key[32], iv[16], chain[16], mac[64], m1[64], m2[64];
	uint8_t *rec = malloc(20000), *b1 = malloc(20000), *b2 = malloc(20000);
	EVP_CIPHER *vc = EVP_CIPHER_fetch(NULL, name, "provider=vcrypto");
	EVP_CIPHER *dc = EVP_CIPHER_fetch(NULL, name, "provider=default");
	EVP_CIPHER_CTX *ve = NULL, *vd = NULL, *de = NULL, *dd = NULL, *v1, *d1;
	int bad = 0, recs = 0, refused = 0, accepted = 0, randmac = 0, errs = 0, i2, t, l1, l2, o1,
	    o2;
	long r0, r1;
	char why[300] = "";

	if (!vc || !dc || !rec || !b1 || !b2) {
		tap_ok(0, "%s: offered by vcrypto and default", name);
		goto out;
	}
	fill(key, sizeof(key));
	fill(iv, sizeof(iv));
	ve = etm_ctx(vc, key, iv, 1, ver, ms);
	vd = etm_ctx(vc, key, iv, 0, ver, ms);
	de = etm_ctx(dc, key, iv, 1, ver, ms);
	dd = etm_ctx(dc, key, iv, 0, ver, ms);
	if (!ve || !vd || !de || !dd) {
		tap_ok(0, "%s tls-version %#x tls-mac-size %zu: contexts set up as libssl does", name,
		    ver, ms);
		goto out;
	}
	/* records in sequence on the same contexts (TLS 1.0's IV chains across them) */
	r0 = devstat("vcdev_requests");
	for (i2 = 0; i2 < cases && !bad; i2++) {
		dlen = i2 < (int)(sizeof(lens) / sizeof(lens[0])) ? lens[i2] : rnd() % 16400;
		n = ivl + dlen + ms; /* [explicit IV] payload [MAC]: what libssl hands in */
		fill(rec, n);
		memcpy(b1, rec, n);
		memcpy(b2, rec, n);
		l1 = etm_rec(ve, b1, n);
		l2 = etm_rec(de, b2, n);
		if (l1 < 0 || l1 != l2 || memcmp(b1, b2, (size_t)l1)) {
			snprintf(why, sizeof(why),
				 "record %d (%zu B): sealed to %d B, default %d B", i2, n, l1, l2);
			bad = 1;
			break;
		}
		expect += (size_t)l1 >= minoff; /* one CBC request on the device */
		memcpy(b2, b1, (size_t)l1);
		o1 = etm_rec(vd, b1, (size_t)l1);
		o2 = etm_rec(dd, b2, (size_t)l1);
		expect += (size_t)l1 >= minoff;
		if (o1 != (int)dlen || o2 != (int)dlen || memcmp(b1 + ivl, rec + ivl, dlen) ||
		    (ms && (!etm_mac(vd, m1, ms) || !etm_mac(dd, m2, ms) ||
			    memcmp(m1, rec + ivl + dlen, ms) || memcmp(m2, m1, ms)))) {
			snprintf(why, sizeof(why),
				 "record %d (%zu B): opened to %d B, default %d B, or MAC differs",
				 i2, dlen, o1, o2);
			bad = 1;
			break;
		}
		recs++;
	}
	r1 = devstat("vcdev_requests");
	/* padding up to 256 bytes is valid; a wrong padding byte or length is not */
	for (t = 0; t < 3 && !bad; t++) {
		for (i2 = 0; i2 < 3 && !bad; i2++) {
			EVP_CIPHER *raw = EVP_CIPHER_fetch(NULL, name, "provider=default");
			EVP_CIPHER_CTX *cc = EVP_CIPHER_CTX_new();
			int ol = 0, ok;

			dlen = (size_t[]){0, 300, 5000}[i2] + rnd() % 40;
			n = ivl + dlen + ms;
			fill(rec, n);
			memcpy(mac, rec + ivl + dlen, ms);
			k = 16 - n % 16 +
			    16 * (ver == 0x0300 ? 0 : rnd() % 16); /* with the length byte */
			for (i = 0; i < k; i++)
				rec[n + i] = (uint8_t)(k - 1);
			if (ver == 0x0300)
				memset(rec + n, 0xa5, k - 1); /* SSL 3.0: any padding bytes */
			if (t == 1 && ver != 0x0300 && k >= 2)
				rec[n + k - 2] ^= 0x01;
			if (t == 1 && (ver == 0x0300 || k < 2))
				rec[n + k - 1] = (uint8_t)(ver == 0x0300 ? 16 : 0xfe);
			if (t == 2) /* longer than the padding (and than short records) */
				rec[n + k - 1] = (uint8_t)(k - 1 == 0xff ? 0xfe : 0xff);
			n += k;
			memcpy(chain, iv, 16);
			ok = raw && cc && EVP_EncryptInit_ex2(cc, raw, key, chain, NULL) &&
			     EVP_CIPHER_CTX_set_padding(cc, 0) &&
			     EVP_EncryptUpdate(cc, rec, &ol, rec, (int)n) && (size_t)ol == n;
			EVP_CIPHER_CTX_free(cc);
			EVP_CIPHER_free(raw);
			v1 = etm_ctx(vc, key, iv, 0, ver, ms);
			d1 = etm_ctx(dc, key, iv, 0, ver, ms);
			memcpy(b1, rec, n);
			memcpy(b2, rec, n);
			o1 = v1 ? etm_rec(v1, b1, n) : -2;
			ERR_clear_error();
			o2 = d1 ? etm_rec(d1, b2, n) : -2;
			ERR_clear_error();
			/* the default's answer is the reference; vcrypto must match it */
			if (!ok || o1 != o2 ||
			    (o1 >= 0 && memcmp(b1 + ivl, b2 + ivl, (size_t)o1)) ||
			    (t == 0 && o1 != (int)dlen)) {
				snprintf(why, sizeof(why),
					 "%s record of %zu B: vcrypto %d, default %d", kinds[t],
					 dlen, o1, o2);
				bad = 1;
			} else if (ms && o1 >= 0) {
				/* accepted: the real MAC if the padding was good, else a random one
				 */
				int g1 = etm_mac(v1, m1, ms), g2 = etm_mac(d1, m2, ms);

				if (!g1 || !g2 || (!memcmp(m1, mac, ms)) != (t == 0) ||
				    (!memcmp(m2, mac, ms)) != (t == 0)) {
					snprintf(why, sizeof(why),
						 "%s record of %zu B: MAC handed back %s", kinds[t],
						 dlen,
						 !g1 || !g2 ? "missing"
						 : t	    ? "is the real one"
							    : "differs");
					bad = 1;
				}
			}
			if (!t)
				accepted++;
			else if (o1 < 0)
				refused++;
			else
				randmac++;
			EVP_CIPHER_CTX_free(v1);
			EVP_CIPHER_CTX_free(d1);
		}
	}
	/* misuse refused where the default refuses it */
	for (t = 0; t < 5 && !bad; t++) {
		static const char *const what[] = {"out of place", "padding off", "33-byte record",
						   "record too short", "final"};
		EVP_CIPHER_CTX *x[2];
		int res[2], j2;

		if (t == 3 && !ivl && ms < 16)
			continue; /* 16 bytes could be a valid record: nothing to compare */
		for (j2 = 0; j2 < 2; j2++) {
			x[j2] = etm_ctx(j2 ? dc : vc, key, iv, t == 0 || t == 1 || t == 4, ver, ms);
			fill(b1, 64);
			res[j2] = -1;
			if (!x[j2])
				continue;
			if (t == 0)
				res[j2] = EVP_CipherUpdate(x[j2], b2, &o1, b1, 40);
			if (t == 1)
				res[j2] = EVP_CIPHER_CTX_set_padding(x[j2], 0) &&
					  EVP_CipherUpdate(x[j2], b1, &o1, b1, 40);
			if (t == 2)
				res[j2] = EVP_CipherUpdate(x[j2], b1, &o1, b1, 33);
			if (t == 3) /* only the explicit IV, or shorter than MAC + 1 */
				res[j2] =
					EVP_CipherUpdate(x[j2], b1, &o1, b1, (int)(ivl ? ivl : 16));
			if (t == 4)
				res[j2] = EVP_CipherUpdate(x[j2], b1, &o1, b1, 40) &&
					  EVP_CipherFinal_ex(x[j2], b1 + 64, &o2);
			ERR_clear_error();
			EVP_CIPHER_CTX_free(x[j2]);
		}
		if (res[0] != res[1] || res[1] != 0) {
			snprintf(why, sizeof(why), "%s: vcrypto %d, default %d", what[t], res[0],
				 res[1]);
			bad = 1;
		}
		errs++;
	}
	tap_ok(!bad && r1 - r0 >= (long)expect,
	    "%s tls-version %#x tls-mac-size %zu as libssl drives it: %d records sealed and "
	    "opened equal to the default provider's%s, %d long paddings accepted, bad padding "
	    "%d refused / %d given a random MAC as by the default, %d misuses refused alike; "
	    "%ld device requests >= %zu records of min_offload %zu or more %s",
	    name, ver, ms, recs, ms ? " (MAC handed back)" : "", accepted, refused, randmac, errs,
	    r1 - r0, expect, minoff, why);
out:
	EVP_CIPHER_CTX_free(ve);
	EVP_CIPHER_CTX_free(vd);
	EVP_CIPHER_CTX_free(de);
	EVP_CIPHER_CTX_free(dd);
	EVP_CIPHER_free(vc);
	EVP_CIPHER_free(dc);
	free(rec);
	free(b1);
	free(b2);
}

static int cmd_etm(int cases)
{
	static const int vers[] = {0x0300, 0x0301, 0x0302, 0x0303, 0xfefd};
	static const size_t mss[] = {0, 20, 32};
	const char *e = getenv("VCRYPTO_MIN_OFFLOAD");
	size_t minoff = e ? strtoul(e, NULL, 0) : 65536, v, m;

	for (v = 0; v < sizeof(vers) / sizeof(vers[0]); v++)
		for (m = 0; m < 3; m++) {
			test_etm("AES-128-CBC", vers[v], mss[m], cases, minoff);
			if (m != 1)
				test_etm("AES-256-CBC", vers[v], mss[m], cases, minoff);
		}
	return tap_status();
}

/*
 * short: with the default min_offload, an `openssl speed`-like run of short
 * messages (context creation, init, re-init with a new IV/key, dup, reset,
 * digest/HMAC init) must make no device request at all; every output is
 * compared with the default provider's doing the same.
 */
#define SH_MSGS 64
#define SH_OUT (SH_MSGS * 4 * 96)

static int sh_cipher_run(const char *name, const char *prop, uint8_t *out, size_t *outl)
{
	EVP_CIPHER *ci = EVP_CIPHER_fetch(NULL, name, prop);
	EVP_CIPHER_CTX *c = NULL, *d = NULL;
	uint8_t key[64], iv[16], in[64], tag[16];
	int gcm, xts, n, i, ok = 0, enc;
	size_t o = 0;

	if (!ci)
		return -1;
	gcm = EVP_CIPHER_get_mode(ci) == EVP_CIPH_GCM_MODE;
	xts = EVP_CIPHER_get_mode(ci) == EVP_CIPH_XTS_MODE;
	for (i = 0; i < 64; i++) {
		key[i] = (uint8_t)(i * 7 + 1);
		in[i] = (uint8_t)(i * 13);
	}
	memset(iv, 0x5a, sizeof(iv));
	if (!(c = EVP_CIPHER_CTX_new()))
		goto out;
	for (i = 0; i < SH_MSGS; i++) {
		/*
		 * the direction changes with the key only (AES decrypts with its own
		 * key schedule: EVP wants the key again); GCM encrypts only
		 */
		enc = !((i / 16) & 1) || gcm;
		iv[0] = (uint8_t)i;
		if (i % 16 == 0)
			key[0] = (uint8_t)i; /* a new key now and then */
		if (!EVP_CipherInit_ex2(c, i ? NULL : ci, i % 16 ? NULL : key, iv, enc, NULL))
			goto out;
		if (!gcm && !xts)
			EVP_CIPHER_CTX_set_padding(c, 0);
		if (gcm && !EVP_CipherUpdate(c, NULL, &n, in, 13))
			goto out;
		if (!EVP_CipherUpdate(c, out + o, &n, in, xts ? 64 : 32))
			goto out;
		o += n;
		if (xts)
			continue;
		EVP_CIPHER_CTX_free(d);
		if (!(d = EVP_CIPHER_CTX_new()) || !EVP_CIPHER_CTX_copy(d, c))
			goto out;
		if (!EVP_CipherUpdate(d, out + o, &n, in + 32, 32))
			goto out;
		o += n;
		if (!EVP_CipherUpdate(c, out + o, &n, in + 32, 32))
			goto out;
		o += n;
		if (!EVP_CipherFinal_ex(c, out + o, &n))
			goto out;
		o += n;
		if (!EVP_CipherFinal_ex(d, out + o, &n))
			goto out;
		o += n;
		if (gcm) {
			if (!EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_GET_TAG, 16, tag))
				goto out;
			memcpy(out + o, tag, 16);
			o += 16;
			if (!EVP_CIPHER_CTX_ctrl(d, EVP_CTRL_AEAD_GET_TAG, 16, tag))
				goto out;
			memcpy(out + o, tag, 16);
			o += 16;
		}
	}
	ok = 1;
out:
	*outl = o;
	EVP_CIPHER_CTX_free(c);
	EVP_CIPHER_CTX_free(d);
	EVP_CIPHER_free(ci);
	return ok;
}

static int sh_hash_run(const char *digest, int hmac, const char *prop, uint8_t *out, size_t *outl)
{
	struct hctx h, d;
	uint8_t in[96];
	size_t o = 0, l;
	int i, ok = 0;

	for (i = 0; i < 96; i++)
		in[i] = (uint8_t)(i * 5);
	if (!h_init(&h, digest, hmac, prop))
		return -1;
	memset(&d, 0, sizeof(d));
	for (i = 0; i < SH_MSGS; i++) {
		/* init again: a new message (HMAC: the same key) */
		if (i && (h.m ? !EVP_DigestInit_ex2(h.m, NULL, NULL) : !EVP_MAC_init(h.c, NULL, 0, NULL)))
			goto out;
		if (!h_update(&h, in, 16 + i))
			goto out;
		h_free(&d);
		if (!h_dup(&d, &h) || !h_update(&d, in, 7) || !h_final(&d, out + o, &l))
			goto out;
		o += l;
		if (!h_final(&h, out + o, &l))
			goto out;
		o += l;
	}
	ok = 1;
out:
	*outl = o;
	h_free(&h);
	h_free(&d);
	return ok;
}

static void sh_check(const char *what, int r, long req, const uint8_t *a, size_t al,
		     const uint8_t *b, size_t bl)
{
	if (r < 0) {
		tap_skip("short %s: not offered by vcrypto on this device", what);
		return;
	}
	if (!tap_ok(r == 1 && al == bl && al && !memcmp(a, b, al) && req == 0,
		    "short %s: %d messages with re-init and dup as the default provider's "
		    "(%zu bytes), %ld device requests", what, SH_MSGS, al, req))
		errdump();
}

static int cmd_short(void)
{
	static const char *const gcm_names[] = {"AES-128-GCM", "AES-256-GCM"};
	static uint8_t a[SH_OUT], b[SH_OUT];
	size_t al, bl, i;
	long r0, r1;
	int r, hmac;

	for (i = 0; i < sizeof(cipher_names) / sizeof(cipher_names[0]) + 2; i++) {
		const char *n = i < sizeof(cipher_names) / sizeof(cipher_names[0])
					? cipher_names[i]
					: gcm_names[i - sizeof(cipher_names) / sizeof(cipher_names[0])];

		r0 = devstat("vcdev_requests");
		r = sh_cipher_run(n, "provider=vcrypto", a, &al);
		r1 = devstat("vcdev_requests");
		if (r >= 0 && sh_cipher_run(n, "provider=default", b, &bl) != 1)
			r = 0;
		sh_check(n, r, r1 - r0, a, al, b, bl);
	}
	for (hmac = 0; hmac < 2; hmac++)
		for (i = 0; i < sizeof(digest_names) / sizeof(digest_names[0]); i++) {
			char what[64];

			snprintf(what, sizeof(what), "%s%s", hmac ? "HMAC-" : "", digest_names[i]);
			r0 = devstat("vcdev_requests");
			r = sh_hash_run(digest_names[i], hmac, "provider=vcrypto", a, &al);
			r1 = devstat("vcdev_requests");
			if (r >= 0 && sh_hash_run(digest_names[i], hmac, "provider=default", b, &bl) != 1)
				r = 0;
			sh_check(what, r, r1 - r0, a, al, b, bl);
		}
	return tap_failures() ? 1 : 0;
}

/*
 * GCM messages on one context as speed and TLS stacks make them: init with
 * (the same or a new) key and a new IV, AAD, data, final; each tag and
 * ciphertext equal to the default provider's, decrypt checked too.
 */
static int gcm_msg(EVP_CIPHER *c, EVP_CIPHER_CTX *x, int enc, const uint8_t *key,
		   const uint8_t *iv, const uint8_t *in, size_t n, uint8_t *out, uint8_t tag[16])
{
	uint8_t aad[13];
	int o = 0, f = 0;

	memset(aad, 0xa5, sizeof(aad)); /* the same for both providers */
	/* no key: the context's (the cipher again would reset the context) */
	if (!EVP_CipherInit_ex2(x, key ? c : NULL, key, iv, enc, NULL) ||
	    !EVP_CipherUpdate(x, NULL, &o, aad, sizeof(aad)) ||
	    !EVP_CipherUpdate(x, out, &o, in, (int)n))
		return 0;
	if (!enc && !EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_AEAD_SET_TAG, 16, tag))
		return 0;
	if (!EVP_CipherFinal_ex(x, out + o, &f) || (size_t)(o + f) != n)
		return 0;
	return !enc || EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_AEAD_GET_TAG, 16, tag);
}

/*
 * TLS 1.2's GCM record forms as libssl drives them (the whole 12-byte IV
 * fixed, so the explicit part counts up instead of starting at random;
 * AEAD_TLS1_AAD, then EVP_Cipher in place over explicit IV || data ||
 * tag): records sealed by vcrypto equal the default provider's, open on
 * vcrypto, and a record with a flipped byte is refused.
 */
static void test_gcm_tls(void)
{
	static const size_t lens[] = {0, 1, 16, 100, 1000, 16384};
	EVP_CIPHER *vc = EVP_CIPHER_fetch(NULL, "AES-128-GCM", "provider=vcrypto");
	EVP_CIPHER *dc = EVP_CIPHER_fetch(NULL, "AES-128-GCM", "provider=default");
	EVP_CIPHER_CTX *ve = EVP_CIPHER_CTX_new(), *de = EVP_CIPHER_CTX_new(),
		       *vd = EVP_CIPHER_CTX_new(), *dd = EVP_CIPHER_CTX_new();
	uint8_t key[16], iv[12], h[13], *a = malloc(16384 + 24), *b = malloc(16384 + 24),
					   *p = malloc(16384);
	int ok = vc && dc && ve && de && vd && dd && a && b && p, i, ra, rb, n = 0;
	const char *why = "setup failed";

	fill(key, sizeof(key));
	fill(iv, sizeof(iv));
	ok = ok && EVP_CipherInit_ex2(ve, vc, key, NULL, 1, NULL) &&
	     EVP_CipherInit_ex2(de, dc, key, NULL, 1, NULL) &&
	     EVP_CipherInit_ex2(vd, vc, key, NULL, 0, NULL) &&
	     EVP_CipherInit_ex2(dd, dc, key, NULL, 0, NULL) &&
	     EVP_CIPHER_CTX_ctrl(ve, EVP_CTRL_GCM_SET_IV_FIXED, -1, iv) > 0 &&
	     EVP_CIPHER_CTX_ctrl(de, EVP_CTRL_GCM_SET_IV_FIXED, -1, iv) > 0 &&
	     EVP_CIPHER_CTX_ctrl(vd, EVP_CTRL_GCM_SET_IV_FIXED, 4, iv) > 0 &&
	     EVP_CIPHER_CTX_ctrl(dd, EVP_CTRL_GCM_SET_IV_FIXED, 4, iv) > 0;
	for (i = 0; ok && i < 24; i++) {
		size_t len = lens[i % 6], rl = 8 + len + 16;

		fill(p, len);
		memcpy(a + 8, p, len);
		memcpy(b + 8, p, len);
		memset(h, 0, sizeof(h));
		h[7] = (uint8_t)i;
		h[8] = 23;
		h[9] = 3;
		h[10] = 3;
		/* libssl's header: the length with the explicit IV (and, to open, the tag) */
		h[11] = (uint8_t)((8 + len) >> 8);
		h[12] = (uint8_t)(8 + len);
		if (EVP_CIPHER_CTX_ctrl(ve, EVP_CTRL_AEAD_TLS1_AAD, 13, h) != 16 ||
		    EVP_CIPHER_CTX_ctrl(de, EVP_CTRL_AEAD_TLS1_AAD, 13, h) != 16) {
			why = "AEAD_TLS1_AAD (seal) did not answer 16";
			ok = 0;
			break;
		}
		ra = EVP_Cipher(ve, a, a, (unsigned int)rl);
		rb = EVP_Cipher(de, b, b, (unsigned int)rl);
		if (ra != (int)rl || rb != ra || memcmp(a, b, rl)) {
			why = "sealed record differs from the default provider's";
			ok = 0;
			break;
		}
		h[11] = (uint8_t)(rl >> 8);
		h[12] = (uint8_t)rl;
		if (i % 6 == 5) /* a flipped byte: refused */
			a[rl / 2] ^= 1;
		memcpy(b, a, rl);
		if (EVP_CIPHER_CTX_ctrl(vd, EVP_CTRL_AEAD_TLS1_AAD, 13, h) != 16 ||
		    EVP_CIPHER_CTX_ctrl(dd, EVP_CTRL_AEAD_TLS1_AAD, 13, h) != 16) {
			why = "AEAD_TLS1_AAD (open) did not answer 16";
			ok = 0;
			break;
		}
		/* the default's answer (its length convention) is the reference */
		ra = EVP_Cipher(vd, a, a, (unsigned int)rl);
		rb = EVP_Cipher(dd, b, b, (unsigned int)rl);
		if (i % 6 == 5 ? ra > 0 || rb > 0
			       : ra <= 0 || ra != rb || memcmp(a + 8, p, len) || memcmp(b + 8, p, len)) {
			why = i % 6 == 5 ? "a tampered record was accepted"
					 : "opened record differs from the plaintext";
			ok = 0;
			break;
		}
		n++;
	}
	ERR_clear_error();
	if (!tap_ok(ok, "gcm tls: %d TLS 1.2 records (0 B .. 16 KiB, AEAD_TLS1_AAD, EVP_Cipher in "
			"place): sealed as the default provider, opened, tampered ones refused%s%s",
		    n, ok ? "" : ": ", ok ? "" : why))
		errdump();
	EVP_CIPHER_CTX_free(ve);
	EVP_CIPHER_CTX_free(de);
	EVP_CIPHER_CTX_free(vd);
	EVP_CIPHER_CTX_free(dd);
	EVP_CIPHER_free(vc);
	EVP_CIPHER_free(dc);
	free(a);
	free(b);
	free(p);
}

static int cmd_gcm(int cases)
{
	static const size_t lens[] = {0, 5, 16, 17, 64, 1000, 4096, 16384, 70000, 262144};
	EVP_CIPHER *vc = EVP_CIPHER_fetch(NULL, "AES-128-GCM", "provider=vcrypto");
	EVP_CIPHER *dc = EVP_CIPHER_fetch(NULL, "AES-128-GCM", "provider=default");
	EVP_CIPHER_CTX *vx = EVP_CIPHER_CTX_new(), *dx = EVP_CIPHER_CTX_new();
	uint8_t keys[2][16], iv[12], *in = malloc(262144), *a = malloc(262144), *b = malloc(262144),
				      ta[16], tb[16];
	size_t i;
	int ok = vc && dc && in && a && b, k, bad = 0, n = 0;
	const char *why = "";

	test_gcm_vector();
	test_gcm("AES-128-GCM", cases);
	test_gcm("AES-256-GCM", cases / 2);
	test_gcm_tls();
	fill(keys[0], 16);
	fill(keys[1], 16);
	fill(in, 262144);
	for (i = 0; ok && i < 3 * sizeof(lens) / sizeof(lens[0]); i++) {
		size_t len = lens[i % (sizeof(lens) / sizeof(lens[0]))];

		/* key A, A (passed again), B, none (kept), A ... with a new IV each */
		k = (int)(i % 4 == 2);
		fill(iv, sizeof(iv));
		n++;
		if (!gcm_msg(vc, vx, 1, i % 4 == 3 ? NULL : keys[k], iv, in, len, a, ta) ||
		    !gcm_msg(dc, dx, 1, keys[i % 4 == 3 ? 1 : k], iv, in, len, b, tb)) {
			why = "encrypt failed";
			bad = 1;
		} else if (memcmp(a, b, len) || memcmp(ta, tb, 16)) {
			why = "ciphertext or tag differs";
			bad = 1;
		} else if (!gcm_msg(vc, vx, 0, i % 4 == 3 ? NULL : keys[k], iv, b, len, a, tb) ||
			   memcmp(a, in, len)) {
			why = "decrypt failed or differs";
			bad = 1;
		}
		if (bad) {
			tap_ok(0, "gcm: message %zu (%zu bytes, key %s): %s", i, len,
			    i % 4 == 3 ? "kept" : k ? "B" : "A", why);
			break;
		}
		if (i % 4 == 3) /* "kept" was key B: the next message passes A again */
			continue;
	}
	if (ok && !bad)
		tap_ok(1, "gcm: %d messages on one context (key A, A again, B, kept; new IV each; 0 B "
			  ".. 256 KiB): ciphertext and tag equal the default provider's, decrypt "
			  "gives the plaintext",
		    n);
	if (!ok)
		tap_ok(0, "gcm: AES-128-GCM from both providers");
	EVP_CIPHER_CTX_free(vx);
	EVP_CIPHER_CTX_free(dx);
	EVP_CIPHER_free(vc);
	EVP_CIPHER_free(dc);
	free(in);
	free(a);
	free(b);
	return tap_status();
}

/* ---- the provider's idle session cache (VCRYPTO_MIN_OFFLOAD=0) ---- */

/*
 * hits, misses, evictions and idle sessions of this process's cache, and
 * digest contexts made from a spare; 0 on failure
 */
static int sc_stats(unsigned long v[5])
{
	OSSL_PROVIDER *p = OSSL_PROVIDER_load(NULL, "vcrypto");
	char *s = NULL;
	OSSL_PARAM q[] = {OSSL_PARAM_utf8_ptr("vcrypto-session-cache", &s, 0), OSSL_PARAM_END};
	int ok = p && OSSL_PROVIDER_get_params(p, q) && s &&
		 sscanf(s, "%lu %lu %lu %lu %lu", &v[0], &v[1], &v[2], &v[3], &v[4]) == 5;

	OSSL_PROVIDER_unload(p);
	return ok;
}

/* SHA-256 from the default provider: the reference */
static int sc_sha256(const uint8_t *in, size_t n, uint8_t out[32])
{
	EVP_MD *m = EVP_MD_fetch(NULL, "SHA256", "provider=default");
	int ok = m && EVP_Digest(in, n, out, NULL, m, NULL);

	EVP_MD_free(m);
	return ok;
}

/* one-shot HMAC-SHA256 (a new context each time, as EVP_Q_mac) from provider PROV */
static int sc_hmac(const char *prov, const uint8_t *key, size_t kl, const uint8_t *in, size_t n,
		   uint8_t out[32])
{
	char q[32];
	size_t ol = 0;

	snprintf(q, sizeof(q), "provider=%s", prov);
	return EVP_Q_mac(NULL, "HMAC", q, "SHA256", NULL, key, kl, in, n, out, 32, &ol) && ol == 32;
}

static int sc_check_hmac(const uint8_t *key, size_t kl, const uint8_t *in, size_t n)
{
	uint8_t a[32], b[32];

	return sc_hmac("vcrypto", key, kl, in, n, a) && sc_hmac("default", key, kl, in, n, b) &&
	       !memcmp(a, b, 32);
}

struct sc_job {
	int id, ok, n;
};

static void *sc_thread(void *arg)
{
	struct sc_job *j = arg;
	uint8_t key[3][32], in[300];
	int i;

	for (i = 0; i < 3; i++)
		memset(key[i], 0x40 + i, sizeof(key[i])); /* three keys shared by all threads */
	for (i = 0; i < (int)sizeof(in); i++)
		in[i] = (uint8_t)(i * 7 + j->id);
	j->ok = 1;
	for (i = 0; i < j->n && j->ok; i++) {
		uint8_t md[32], ref[32];
		EVP_MD *m = EVP_MD_fetch(NULL, "SHA256", "provider=vcrypto");
		size_t len = (size_t)(i * 37 + j->id) % sizeof(in);

		j->ok = sc_check_hmac(key[(i + j->id) % 3], 32, in, len) && m &&
			EVP_Digest(in, len, md, NULL, m, NULL) &&
			sc_sha256(in, len, ref) && !memcmp(md, ref, 32);
		EVP_MD_free(m);
	}
	return NULL;
}

/* SHA-256 of in[0..n) through context c (made by the caller), against the reference */
static int sp_digest_ok(EVP_MD_CTX *c, const EVP_MD *m, const uint8_t *in, size_t n)
{
	uint8_t md[32], ref[32];
	unsigned int ml = 0;

	return EVP_DigestInit_ex(c, m, NULL) && EVP_DigestUpdate(c, in, n) &&
	       EVP_DigestFinal_ex(c, md, &ml) && ml == 32 && sc_sha256(in, n, ref) &&
	       !memcmp(md, ref, 32);
}

static int sp_oneshot_ok(const EVP_MD *m, const uint8_t *in, size_t n)
{
	uint8_t md[32], ref[32];

	return EVP_Digest(in, n, md, NULL, m, NULL) && sc_sha256(in, n, ref) &&
	       !memcmp(md, ref, 32);
}

struct sp_job {
	EVP_MD_CTX *c;
	const uint8_t *in;
	size_t n;
	int ok;
};

/* finishes (against the reference) and frees a context another thread made and fed */
static void *sp_thread(void *arg)
{
	struct sp_job *j = arg;
	uint8_t md[32], ref[32];
	unsigned int ml = 0;

	j->ok = EVP_DigestFinal_ex(j->c, md, &ml) && ml == 32 && sc_sha256(j->in, j->n, ref) &&
		!memcmp(md, ref, 32);
	EVP_MD_CTX_free(j->c);
	return NULL;
}

/*
 * Spare digest contexts (a freed context kept whole for the next one, with
 * its session): fork, threads, two live contexts, dup. With min_offload 0.
 */
static void spare_checks(const EVP_MD *m, const uint8_t *in, size_t inlen)
{
	unsigned long a[5], b[5];
	EVP_MD_CTX *c1, *c2;
	uint8_t md1[32], md2[32], ref[32], *cat;
	unsigned int ml;
	struct sp_job j;
	pthread_t t;
	int ok, st;
	pid_t pid;

	/* a one-shot leaves a spare holding a session of this process */
	ok = sp_oneshot_ok(m, in, 3000) && sc_stats(a) && sp_oneshot_ok(m, in, 2500) && sc_stats(b);
	tap_ok(ok && b[4] == a[4] + 1 && b[1] == a[1],
	    "spare: a one-shot SHA-256 after another takes the spare (%lu spare, %lu misses; want 1, "
	    "0) and is right",
	    b[4] - a[4], b[1] - a[1]);
	pid = fork();
	if (pid == 0) {
		unsigned long c0[5], c1s[5], c2s[5];

		/* the spare's session is the parent's: the child must open its own */
		ok = sc_stats(c0) && sp_oneshot_ok(m, in, 3000) && sc_stats(c1s) &&
		     c1s[4] == c0[4] + 1 && c1s[1] == c0[1] + 1 && sp_oneshot_ok(m, in, 10) &&
		     sc_stats(c2s) && c2s[4] == c1s[4] + 1 && c2s[1] == c1s[1];
		if (!ok)
			printf("# child: spare %lu->%lu->%lu, misses %lu->%lu->%lu\n", c0[4], c1s[4],
			       c2s[4], c0[1], c1s[1], c2s[1]);
		_exit(ok ? 0 : 1);
	}
	waitpid(pid, &st, 0);
	tap_ok(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	    "spare: fork: the child takes the parent's spare but opens its own session (one miss), "
	    "then reuses its own; digests right (status %d)",
	    st);
	ok = sc_stats(a) && sp_oneshot_ok(m, in, 4000) && sc_stats(b);
	tap_ok(ok && b[1] == a[1] && b[4] == a[4] + 1,
	    "spare: fork: the parent's spare session still serves it after the child (%lu misses, "
	    "want 0)",
	    b[1] - a[1]);
	/*
	 * The same through the raw clone system call: no fork handlers run
	 * in the child (glibc's fork() runs them), so the provider must
	 * notice the new process by itself (its pid page is wiped on fork).
	 */
	ok = sp_oneshot_ok(m, in, 3000);
	fflush(stdout);
	pid = (pid_t)syscall(SYS_clone, SIGCHLD, NULL, NULL, NULL, NULL);
	if (pid == 0) {
		unsigned long c0[5], c1s[5];

		ok = ok && sc_stats(c0) && sp_oneshot_ok(m, in, 3000) && sc_stats(c1s) &&
		     c1s[1] == c0[1] + 1;
		if (!ok)
			printf("# clone child: misses %lu->%lu (want one: its own session)\n", c0[1],
			       c1s[1]);
		fflush(stdout);
		_exit(ok ? 0 : 1);
	}
	st = -1;
	if (pid > 0)
		waitpid(pid, &st, 0);
	tap_ok(pid > 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0,
	    "spare: clone() without fork handlers: the child opens its own session (one miss), "
	    "digest right (status %d)",
	    st);
	ok = sc_stats(a) && sp_oneshot_ok(m, in, 4000) && sc_stats(b);
	tap_ok(ok && b[1] == a[1],
	    "spare: clone(): the parent's spare session still serves it (%lu misses, want 0)",
	    b[1] - a[1]);
	/* made and fed here, finished and freed in another thread, reused here */
	j.c = EVP_MD_CTX_new();
	j.in = in;
	j.n = 1500;
	j.ok = 0;
	ok = j.c && EVP_DigestInit_ex(j.c, m, NULL) && EVP_DigestUpdate(j.c, in, 700) &&
	     EVP_DigestUpdate(j.c, in + 700, 800) && !pthread_create(&t, NULL, sp_thread, &j) &&
	     !pthread_join(t, NULL) && j.ok;
	ok = ok && sc_stats(a) && sp_oneshot_ok(m, in, 1500) && sc_stats(b) && b[4] == a[4] + 1;
	tap_ok(ok, "spare: a context freed by another thread becomes the spare, reused right here");
	/* two live contexts at once: only one may have the spare; fed interleaved */
	c1 = EVP_MD_CTX_new();
	c2 = EVP_MD_CTX_new();
	ok = c1 && c2 && EVP_DigestInit_ex(c1, m, NULL) && EVP_DigestInit_ex(c2, m, NULL);
	for (size_t off = 0; ok && off < 4000; off += 500)
		ok = EVP_DigestUpdate(c1, in + off, 500) &&
		     EVP_DigestUpdate(c2, in + inlen - 4000 + off, 500);
	ok = ok && EVP_DigestFinal_ex(c1, md1, &ml) && sc_sha256(in, 4000, ref) &&
	     !memcmp(md1, ref, 32) && EVP_DigestFinal_ex(c2, md2, &ml) &&
	     sc_sha256(in + inlen - 4000, 4000, ref) && !memcmp(md2, ref, 32);
	EVP_MD_CTX_free(c1);
	EVP_MD_CTX_free(c2);
	tap_ok(ok, "spare: two live contexts fed interleaved, then both freed: each digest right");
	/* dup of a reused context mid-message: each goes on with its own bytes */
	cat = malloc(inlen + 3000);
	c1 = EVP_MD_CTX_new();
	c2 = NULL;
	ok = cat && c1 && sp_digest_ok(c1, m, in, 4500) && EVP_DigestInit_ex(c1, m, NULL) &&
	     EVP_DigestUpdate(c1, in, 3000) && (c2 = EVP_MD_CTX_new()) &&
	     EVP_MD_CTX_copy_ex(c2, c1) && EVP_DigestUpdate(c1, in + 3000, 1000) &&
	     EVP_DigestUpdate(c2, in + 100, 3000);
	if (ok) {
		memcpy(cat, in, 3000);
		memcpy(cat + 3000, in + 100, 3000);
	}
	ok = ok && EVP_DigestFinal_ex(c1, md1, &ml) && sc_sha256(in, 4000, ref) &&
	     !memcmp(md1, ref, 32) && EVP_DigestFinal_ex(c2, md2, &ml) &&
	     sc_sha256(cat, 6000, ref) && !memcmp(md2, ref, 32);
	EVP_MD_CTX_free(c2);
	ok = ok && sp_digest_ok(c1, m, in + 5, 200);
	EVP_MD_CTX_free(c1);
	ok = ok && sp_oneshot_ok(m, in, 0) && sp_oneshot_ok(m, in, 5000);
	free(cat);
	tap_ok(ok, "spare: a dup of a reused context mid-message and the original go on apart, both "
		   "right; the contexts after them right");
}

static int cmd_sesscache(void)
{
	unsigned long v0[5], v1[5];
	uint8_t ka[32], kb[32], in[5000], a[32], b[32], md[32], ref[32];
	EVP_MD *m = EVP_MD_fetch(NULL, "SHA256", "provider=vcrypto");
	EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", "provider=vcrypto");
	EVP_MAC_CTX *mc = mac ? EVP_MAC_CTX_new(mac) : NULL;
	struct sc_job jobs[4];
	pthread_t t[4];
	int i, ok, st;
	size_t ol;
	pid_t pid;

	if (!m || !mc || !sc_stats(v0)) {
		tap_ok(0, "sesscache: SHA256/HMAC from vcrypto and the vcrypto-session-cache parameter");
		return 1;
	}
	fill(ka, sizeof(ka));
	fill(kb, sizeof(kb));
	fill(in, sizeof(in));
	/* one-shot digests: the first opens a session, the rest reuse it */
	for (i = 0, ok = 1; i < 50 && ok; i++)
		ok = EVP_Digest(in, (size_t)i * 100, md, NULL, m, NULL) &&
		     sc_sha256(in, (size_t)i * 100, ref) && !memcmp(md, ref, 32);
	sc_stats(v1);
	tap_ok(ok && v1[0] - v0[0] + v1[4] - v0[4] >= 49 && v1[1] - v0[1] <= 1,
	    "sesscache: 50 one-shot SHA-256 equal the reference, %lu cache hits + %lu spare "
	    "contexts, %lu misses (want >= 49, <= 1)",
	    v1[0] - v0[0], v1[4] - v0[4], v1[1] - v0[1]);
	/* HMAC: a key change never reuses the old key's session */
	ok = sc_check_hmac(ka, 32, in, 1000) && sc_check_hmac(kb, 32, in, 1000) &&
	     sc_check_hmac(ka, 32, in, 1000) && sc_check_hmac(kb, 16, in, 1000) &&
	     sc_check_hmac(kb, 32, in, 0);
	tap_ok(ok, "sesscache: one-shot HMAC-SHA256 with keys A, B, A, B[0..16), B: each equals the "
		   "default provider's");
	/* one context re-keyed between messages (EVP_MAC_init with a new key) */
	for (i = 0, ok = 1; i < 6 && ok; i++) {
		const uint8_t *k = i % 2 ? kb : ka;

		OSSL_PARAM ps[] = {OSSL_PARAM_utf8_string(OSSL_MAC_PARAM_DIGEST, "SHA256", 0),
				   OSSL_PARAM_END};

		ok = EVP_MAC_init(mc, k, 32, ps) &&
		     EVP_MAC_update(mc, in, 4000) && EVP_MAC_final(mc, a, &ol, sizeof(a)) &&
		     sc_hmac("default", k, 32, in, 4000, b) && !memcmp(a, b, 32);
	}
	tap_ok(ok, "sesscache: one HMAC context re-keyed A/B/A/B/A/B: each message equals the default "
		   "provider's");
	/*
	 * The cache knows a key by a tag the context makes once per key: a key
	 * set as a parameter, a dup and a dup re-keyed must each get their own
	 * key's session (a stale tag would hand one key's session to another).
	 */
	for (i = 0, ok = 1; i < 6 && ok; i++) {
		const uint8_t *k = i % 2 ? ka : kb;
		OSSL_PARAM ps[] = {OSSL_PARAM_octet_string(OSSL_MAC_PARAM_KEY, (void *)k, 32),
				   OSSL_PARAM_END};
		EVP_MAC_CTX *dc;

		ok = EVP_MAC_CTX_set_params(mc, ps) && EVP_MAC_init(mc, NULL, 0, NULL) &&
		     EVP_MAC_update(mc, in, 3000 + i) && EVP_MAC_final(mc, a, &ol, sizeof(a)) &&
		     sc_hmac("default", k, 32, in, 3000 + i, b) && !memcmp(a, b, 32);
		dc = ok ? EVP_MAC_CTX_dup(mc) : NULL;
		ok = dc && EVP_MAC_init(dc, NULL, 0, NULL) && EVP_MAC_update(dc, in, 100) &&
		     EVP_MAC_final(dc, a, &ol, sizeof(a)) && sc_hmac("default", k, 32, in, 100, b) &&
		     !memcmp(a, b, 32);
		/* the dup re-keyed with the other key, the original goes on with its own */
		ok = ok && EVP_MAC_init(dc, k == ka ? kb : ka, 32, NULL) &&
		     EVP_MAC_update(dc, in, 200) && EVP_MAC_final(dc, a, &ol, sizeof(a)) &&
		     sc_hmac("default", k == ka ? kb : ka, 32, in, 200, b) && !memcmp(a, b, 32);
		EVP_MAC_CTX_free(dc);
		ok = ok && EVP_MAC_init(mc, NULL, 0, NULL) && EVP_MAC_update(mc, in, 300) &&
		     EVP_MAC_final(mc, a, &ol, sizeof(a)) && sc_hmac("default", k, 32, in, 300, b) &&
		     !memcmp(a, b, 32);
	}
	tap_ok(ok, "sesscache: key as a parameter B/A/B/A/B/A, a dup of each, the dup re-keyed: every "
		   "HMAC equals the default provider's");
	/* more keys than the cache holds: the oldest are evicted, results stay right */
	sc_stats(v0);
	for (i = 0, ok = 1; i < 40 && ok; i++) {
		uint8_t k[32];

		memset(k, i, sizeof(k));
		ok = sc_check_hmac(k, 32, in, 300 + i);
	}
	for (i = 0; i < 40 && ok; i++) {
		uint8_t k[32];

		memset(k, i, sizeof(k));
		ok = sc_check_hmac(k, 32, in, 300 + i);
	}
	sc_stats(v1);
	tap_ok(ok && v1[2] > v0[2] && v1[3] <= 16,
	    "sesscache: 40 keys twice, each HMAC equal to the default provider's; %lu evictions, "
	    "%lu idle (want > 0, <= 16)",
	    v1[2] - v0[2], v1[3]);
	/* fork: the child starts with an empty cache on its own descriptor */
	ok = sc_check_hmac(ka, 32, in, 2000); /* key A's session idle in the parent's cache */
	pid = fork();
	if (pid == 0) {
		unsigned long c[5];

		ok = sc_stats(c) && c[3] == 0 && sc_check_hmac(ka, 32, in, 2000) &&
		     sc_check_hmac(kb, 32, in, 2000) && EVP_Digest(in, 3000, md, NULL, m, NULL) &&
		     sc_sha256(in, 3000, ref) && !memcmp(md, ref, 32);
		_exit(ok ? 0 : 1);
	}
	waitpid(pid, &st, 0);
	tap_ok(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	    "sesscache: fork: the child's cache starts empty, its HMACs and digests are right "
	    "(status %d)",
	    st);
	tap_ok(ok && sc_check_hmac(ka, 32, in, 2000) && sc_check_hmac(kb, 32, in, 2000),
	    "sesscache: fork: the parent's cached sessions still give the right HMACs");
	/* threads: never one session for two contexts at once */
	for (i = 0; i < 4; i++) {
		jobs[i] = (struct sc_job){i, 0, 60};
		pthread_create(&t[i], NULL, sc_thread, &jobs[i]);
	}
	for (i = 0, ok = 1; i < 4; i++) {
		pthread_join(t[i], NULL);
		ok &= jobs[i].ok;
	}
	tap_ok(ok, "sesscache: 4 threads x 60 one-shot HMACs (3 shared keys) and SHA-256: all equal "
		   "the reference");
	spare_checks(m, in, sizeof(in));
	EVP_MAC_CTX_free(mc);
	EVP_MAC_free(mac);
	EVP_MD_free(m);
	return tap_status();
}

/* The min_offload the provider took from its config section and environment. */
static int cmd_min_offload(void)
{
	OSSL_PROVIDER *p = OSSL_PROVIDER_load(NULL, "vcrypto");
	size_t v = 0;
	OSSL_PARAM q[] = {OSSL_PARAM_size_t("vcrypto-min-offload", &v), OSSL_PARAM_END};

	if (!p || !OSSL_PROVIDER_get_params(p, q)) {
		fprintf(stderr, "vcp_test: the vcrypto provider did not load or answer\n");
		return 1;
	}
	printf("min_offload %zu\n", v);
	OSSL_PROVIDER_unload(p);
	return 0;
}

int main(int argc, char **argv)
{
	int o, cases = 24;

	while ((o = getopt(argc, argv, "s:n:")) != -1) {
		if (o == 's')
			rs = strtoull(optarg, NULL, 0) | 1;
		else if (o == 'n')
			cases = atoi(optarg);
		else
			return 2;
	}
	if (optind >= argc)
		return 2;
	printf("# vcp_test %s, seed %llu\n", argv[optind], (unsigned long long)rs);
	if (!strcmp(argv[optind], "none"))
		return cmd_none();
	if (!strcmp(argv[optind], "min-offload"))
		return cmd_min_offload();
	if (!load())
		return 1;
	if (!strcmp(argv[optind], "check"))
		return cmd_check(cases);
	if (!strcmp(argv[optind], "fork"))
		return cmd_fork();
	if (!strcmp(argv[optind], "threads"))
		return cmd_threads(cases);
	if (!strcmp(argv[optind], "bench"))
		return cmd_bench();
	if (!strcmp(argv[optind], "tls"))
		return cmd_tls(cases);
	if (!strcmp(argv[optind], "etm"))
		return cmd_etm(cases);
	if (!strcmp(argv[optind], "bighash"))
		return cmd_bighash();
	if (!strcmp(argv[optind], "gcm"))
		return cmd_gcm(cases);
	if (!strcmp(argv[optind], "sesscache"))
		return cmd_sesscache();
	if (!strcmp(argv[optind], "short"))
		return cmd_short();
	if (!strcmp(argv[optind], "failing") && optind + 3 < argc)
		return cmd_failing(argv[optind + 1], argv[optind + 2], argv[optind + 3]);
	return 2;
}
