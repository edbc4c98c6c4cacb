// SPDX-License-Identifier: MIT
/*
 * cdev_compat: cryptodev-linux semantics of /dev/crypto in a guest, with
 * every expected digest, MAC and ciphertext computed by OpenSSL (EVP) in
 * this program.  The 32-bit build (no 32-bit libcrypto on the build host)
 * uses the guest kernel's software drivers through AF_ALG instead: still
 * a reference independent of the module.  Prints TAP; exit status 1 if a
 * check failed.  See --help.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef CDEV_NO_OPENSSL
#include <openssl/evp.h>
#include <openssl/hmac.h>
#define REF "OpenSSL"
#else
#define REF "AF_ALG"
#endif

#include "cdev_util.h"

static int cfd = -1;
static int builtin; /* --builtin: QEMU's builtin backend (ciphers only) */
static unsigned int race_seconds = 20;
static uint64_t rng_state;

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))
#define EXPECT(expr, err, what)                                                                 \
	do {                                                                                    \
		int r_ = (expr);                                                                \
		cdev_ok(r_ == -(err), "%s: %s (want %s)", what, r_ ? strerror(-r_) : "success", \
			(err) ? strerror(err) : "success");                                     \
	} while (0)

static void usage(FILE *f)
{
	fprintf(f, "usage: cdev_compat [--builtin] [--seed N] [-T SECONDS] [--poll-seconds S] "
		   "COMMAND...\n"
		   "  hash     COP_FLAG_UPDATE/FINAL/RESET sequences, random splits = one-shot\n"
		   "  cphash   CIOCCPHASH mid-stream, diverging continuations; its errnos\n"
		   "  chain    cipher+MAC sessions: the MAC covers the plaintext both ways\n"
		   "  null     CRYPTO_NULL (a copy in the guest kernel)\n"
		   "  errors   the errno of every bad argument, as cryptodev-linux\n"
		   "  caps     per-file session cap (ENOMEM); past the gather caps streams go\n"
		   "           on in software (vcdev_sw_fallbacks), fd usable after\n"
		   "  bighash  SHA-256/512, HMAC-SHA256 over 40 MiB, CIOCCPHASH before/after\n"
		   "           the switch to software\n"
		   "  race     one thread creates sessions, one frees guessed ids (-T s)\n"
		   "  inline   ciphers at the lengths around inline_max (and 0, 100), in and\n"
		   "           out of place, carried IVs (sets the module parameter)\n"
		   "  poll     under the module's poll_us as it is: 1 thread, then 8 threads\n"
		   "           (2 fds) for S s (default 3), one hit by SIGUSR1s, beside async\n"
		   "           jobs; every output = the reference; a process killed mid-request;\n"
		   "           vcdev_completed = vcdev_requests (none lost, none doubled)\n"
		   "--builtin: hash/MAC cases SKIP (QEMU's builtin backend has none).\n"
		   "References: " REF ".  Output is TAP; exit status 1 if a check failed.\n");
}

static uint32_t rnd(uint32_t n)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return n ? (uint32_t)(rng_state >> 11) % n : 0;
}

/* Sorts the n cut points of a message split into parts (insertion sort). */
static void sort_cuts(size_t *cut, unsigned int n)
{
	for (unsigned int i = 1; i < n; i++) {
		size_t v = cut[i];
		unsigned int j = i;

		while (j && cut[j - 1] > v) {
			cut[j] = cut[j - 1];
			j--;
		}
		cut[j] = v;
	}
}

/* ---- references ---- */

struct halg {
	uint32_t cop;
	const char *name; /* for messages */
	const char *kname; /* AF_ALG */
	unsigned int dlen;
	int hmac;
};

static const struct halg halgs[] = {
	{CRYPTO_MD5, "MD5", "md5", 16, 0},
	{CRYPTO_SHA1, "SHA1", "sha1", 20, 0},
	{CRYPTO_SHA2_224, "SHA224", "sha224", 28, 0},
	{CRYPTO_SHA2_256, "SHA256", "sha256", 32, 0},
	{CRYPTO_SHA2_384, "SHA384", "sha384", 48, 0},
	{CRYPTO_SHA2_512, "SHA512", "sha512", 64, 0},
	{CRYPTO_MD5_HMAC, "HMAC-MD5", "hmac(md5)", 16, 1},
	{CRYPTO_SHA1_HMAC, "HMAC-SHA1", "hmac(sha1)", 20, 1},
	{CRYPTO_SHA2_224_HMAC, "HMAC-SHA224", "hmac(sha224)", 28, 1},
	{CRYPTO_SHA2_256_HMAC, "HMAC-SHA256", "hmac(sha256)", 32, 1},
	{CRYPTO_SHA2_384_HMAC, "HMAC-SHA384", "hmac(sha384)", 48, 1},
	{CRYPTO_SHA2_512_HMAC, "HMAC-SHA512", "hmac(sha512)", 64, 1},
};

static const struct halg *halg_of(uint32_t cop)
{
	unsigned int i;

	for (i = 0; i < NELEM(halgs); i++)
		if (halgs[i].cop == cop)
			return &halgs[i];
	return NULL;
}

static int is_md5(const struct halg *h)
{
	return h->cop == CRYPTO_MD5 || h->cop == CRYPTO_MD5_HMAC;
}

#ifndef CDEV_NO_OPENSSL
static const EVP_MD *evp_md(const struct halg *h)
{
	switch (h->cop) {
	case CRYPTO_MD5:
	case CRYPTO_MD5_HMAC:
		return EVP_md5();
	case CRYPTO_SHA1:
	case CRYPTO_SHA1_HMAC:
		return EVP_sha1();
	case CRYPTO_SHA2_224:
	case CRYPTO_SHA2_224_HMAC:
		return EVP_sha224();
	case CRYPTO_SHA2_256:
	case CRYPTO_SHA2_256_HMAC:
		return EVP_sha256();
	case CRYPTO_SHA2_384:
	case CRYPTO_SHA2_384_HMAC:
		return EVP_sha384();
	default:
		return EVP_sha512();
	}
}
#endif

/* Digest or HMAC of @msg; 0 or -errno. */
static int ref_hash(const struct halg *h, const uint8_t *key, size_t keylen, const uint8_t *msg,
		    size_t len, uint8_t *out)
{
#ifndef CDEV_NO_OPENSSL
	unsigned int olen = 0;
	static const uint8_t empty;

	if (!msg)
		msg = &empty;
	if (h->hmac)
		return HMAC(evp_md(h), key, (int)keylen, msg, len, out, &olen) && olen == h->dlen
			       ? 0
			       : -EIO;
	return EVP_Digest(msg, len, out, &olen, evp_md(h), NULL) && olen == h->dlen ? 0 : -EIO;
#else
	return afalg_hmac(h->kname, h->hmac ? key : NULL, keylen, msg, len, out, h->dlen);
#endif
}

struct calg {
	uint32_t cop;
	const char *name;
	const char *kname; /* AF_ALG */
	unsigned int keylen, ivlen, block;
};

static const struct calg calgs[] = {
	{CRYPTO_AES_CBC, "AES-128-CBC", "cbc(aes-generic)", 16, 16, 16},
	{CRYPTO_AES_CBC, "AES-256-CBC", "cbc(aes-generic)", 32, 16, 16},
	{CRYPTO_AES_CTR, "AES-128-CTR", "ctr(aes-generic)", 16, 16, 1},
	{CRYPTO_AES_ECB, "AES-192-ECB", "ecb(aes-generic)", 24, 0, 16},
};

static int ref_cipher(const struct calg *c, const uint8_t *key, const uint8_t *iv, int enc,
		      const uint8_t *in, uint8_t *out, size_t len)
{
#ifndef CDEV_NO_OPENSSL
	const EVP_CIPHER *ec = EVP_get_cipherbyname(c->name);
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int n = 0, m = 0, ok;

	if (!ec || !ctx) {
		EVP_CIPHER_CTX_free(ctx);
		return -EIO;
	}
	ok = EVP_CipherInit_ex(ctx, ec, NULL, key, iv, enc) && EVP_CIPHER_CTX_set_padding(ctx, 0) &&
	     EVP_CipherUpdate(ctx, out, &n, in, (int)len) && EVP_CipherFinal_ex(ctx, out + n, &m) &&
	     (size_t)(n + m) == len;
	EVP_CIPHER_CTX_free(ctx);
	return ok ? 0 : -EIO;
#else
	return afalg_skcipher(c->kname, key, c->keylen, enc, iv, c->ivlen, in, out, len);
#endif
}

/* ---- ioctl helpers ---- */

static int cphash(int fd, uint32_t dst, uint32_t src)
{
	struct cphash_op op = {.dst_ses = dst, .src_ses = src};

	return ioctl(fd, CIOCCPHASH, &op) ? -errno : 0;
}

static int sessinfo(int fd, uint32_t ses, struct session_info_op *si)
{
	memset(si, 0, sizeof(*si));
	si->ses = ses;
	return ioctl(fd, CIOCGSESSINFO, si) ? -errno : 0;
}

/*
 * A hash/MAC session, or a SKIP with the reason it cannot be had here:
 * QEMU's builtin backend serves no hash sessions, and vcryptod gets MD5
 * separately.  Returns 1 with *ses set, 0 when skipped or failed.
 */
static int open_hash(const struct halg *h, const uint8_t *key, uint32_t keylen, uint32_t *ses,
		     const char *what)
{
	int r = cdev_session(cfd, 0, NULL, 0, h->cop, h->hmac ? key : NULL, h->hmac ? keylen : 0,
			     ses);

	if (!r)
		return 1;
	if (r == -EINVAL && builtin)
		cdev_skip("%s %s: QEMU's builtin backend serves no hash or MAC sessions", h->name,
			  what);
	else if (r == -EINVAL && is_md5(h))
		cdev_skip("%s %s: backend does not serve MD5 (CIOCGSESSION: EINVAL)", h->name,
			  what);
	else
		cdev_ok(0, "%s %s: CIOCGSESSION: %s", h->name, what, strerror(-r));
	return 0;
}

/* ---- hash: COP_FLAG_UPDATE / FINAL / RESET ---- */

/*
 * One multi-part message: random split points, random flag spellings of
 * cryptodev-linux's rules.  0 if the MAC equals the one-shot reference.
 */
static int hash_sequence(const struct halg *h, uint32_t ses, const uint8_t *key, uint32_t keylen,
			 size_t len, char *why, size_t whylen)
{
	uint8_t *msg = malloc(len + 1), md[64], ref[64], junk[100];
	size_t cut[8], off = 0;
	unsigned int nparts = 1 + rnd(6), i, ending = rnd(5);
	int r = 0, need_reset = 1;

	cdev_fill(msg, len, rng_state);
	cdev_fill(junk, sizeof(junk), rng_state + 1);
	for (i = 0; i + 1 < nparts; i++)
		cut[i] = rnd((uint32_t)len + 1);
	cut[nparts - 1] = len;
	sort_cuts(cut, nparts);
	/* sometimes stale parts first, which the RESET must drop */
	if (rnd(2))
		r = cdev_crypt(cfd, ses, COP_ENCRYPT, COP_FLAG_UPDATE, junk, NULL, sizeof(junk),
			       NULL, md);
	/*
	 * Parts: UPDATE (RESET on the first one sent); the last one per
	 * @ending: 0 FINAL, 1 UPDATE|FINAL, 2 WRITE_IV (neither UPDATE nor
	 * 0: a digest without reset), 3 UPDATE then UPDATE with len 0,
	 * 4 UPDATE then FINAL with len 0.  An empty UPDATE would finish, so
	 * empty parts are not sent.
	 */
	for (i = 0; !r && i < nparts; i++) {
		size_t n = cut[i] - off;
		int last = i + 1 == nparts;
		uint16_t fl = COP_FLAG_UPDATE | (need_reset ? COP_FLAG_RESET : 0);

		if (last && ending < 3)
			fl = (fl & COP_FLAG_RESET) |
			     (ending == 0   ? COP_FLAG_FINAL
			      : ending == 1 ? COP_FLAG_UPDATE | COP_FLAG_FINAL
					    : COP_FLAG_WRITE_IV);
		if (!n && (fl & COP_FLAG_UPDATE) && !(fl & COP_FLAG_FINAL))
			continue;
		memset(md, 0xa5, sizeof(md));
		r = cdev_crypt(cfd, ses, COP_ENCRYPT, fl, msg + off, NULL, (uint32_t)n, NULL, md);
		need_reset = 0;
		off = cut[i];
		if (!r && !(last && ending < 3) && (md[0] != 0xa5 || md[h->dlen - 1] != 0xa5)) {
			snprintf(why, whylen, "a MAC was written for a part (UPDATE)");
			r = -EPROTO;
		}
	}
	if (!r && ending >= 3) {
		memset(md, 0xa5, sizeof(md));
		r = cdev_crypt(cfd, ses, COP_ENCRYPT,
			       (ending == 3 ? COP_FLAG_UPDATE : COP_FLAG_FINAL) |
				       (need_reset ? COP_FLAG_RESET : 0),
			       NULL, NULL, 0, NULL, md);
	}
	if (!r)
		r = ref_hash(h, key, keylen, msg, len, ref);
	if (!r && memcmp(md, ref, h->dlen)) {
		snprintf(why, whylen, "len %zu in %u parts, ending %u: MAC differs", len, nparts,
			 ending);
		r = -EBADMSG;
	} else if (r && !why[0]) {
		snprintf(why, whylen, "len %zu in %u parts, ending %u: %s", len, nparts, ending,
			 strerror(-r));
	}
	free(msg);
	return r;
}

static void hash_alg(const struct halg *h)
{
	static const size_t oneshot[] = {0, 1, 55, 56, 64, 111, 112, 128, 1000, 4096, 70001};
	uint8_t key[80], md[64], ref[64], a[300], b[300];
	uint32_t keylen = 16 + rnd(60), ses;
	char why[160] = "";
	unsigned int i, bad = 0, trials = 24;
	int r;

	cdev_fill(key, sizeof(key), 77 + h->cop);
	if (!open_hash(h, key, keylen, &ses, "multi-part"))
		return;
	for (i = 0; i < NELEM(oneshot); i++) {
		size_t len = oneshot[i];
		uint8_t *msg = malloc(len + 1);

		cdev_fill(msg, len, len);
		r = cdev_crypt(cfd, ses, COP_ENCRYPT, 0, len ? msg : NULL, NULL, (uint32_t)len,
			       NULL, md);
		if (!r)
			r = ref_hash(h, key, keylen, msg, len, ref);
		if (r || memcmp(md, ref, h->dlen)) {
			cdev_note("%s one-shot len %zu: %s", h->name, len,
				  r ? strerror(-r) : "differs");
			bad++;
		}
		free(msg);
	}
	cdev_ok(!bad, "%s: one-shot (flags 0) of 0..70001 bytes equal " REF, h->name);

	bad = 0;
	for (i = 0; i < trials; i++) {
		size_t len = rnd(4) ? rnd(3000) : rnd(90000);

		why[0] = 0;
		if (hash_sequence(h, ses, key, keylen, len, why, sizeof(why))) {
			cdev_note("%s: %s", h->name, why);
			bad++;
		}
	}
	cdev_ok(!bad, "%s: %u UPDATE/FINAL sequences with random split points equal one-shot " REF,
		h->name, trials);

	/* flags 0 starts over, dropping what was gathered */
	cdev_fill(a, sizeof(a), 5);
	cdev_fill(b, sizeof(b), 6);
	r = cdev_crypt(cfd, ses, COP_ENCRYPT, COP_FLAG_UPDATE, a, NULL, sizeof(a), NULL, md);
	if (!r)
		r = cdev_crypt(cfd, ses, COP_ENCRYPT, 0, b, NULL, sizeof(b), NULL, md);
	if (!r)
		r = ref_hash(h, key, keylen, b, sizeof(b), ref);
	cdev_ok(!r && !memcmp(md, ref, h->dlen),
		"%s: flags 0 after UPDATE parts digests only its own data", h->name);
	/* COP_FLAG_UPDATE|COP_FLAG_RESET drops the earlier parts too */
	r = cdev_crypt(cfd, ses, COP_ENCRYPT, COP_FLAG_UPDATE, a, NULL, sizeof(a), NULL, md);
	if (!r)
		r = cdev_crypt(cfd, ses, COP_ENCRYPT, COP_FLAG_UPDATE | COP_FLAG_RESET, b, NULL,
			       100, NULL, md);
	if (!r)
		r = cdev_crypt(cfd, ses, COP_ENCRYPT, COP_FLAG_FINAL, b + 100, NULL, 200, NULL, md);
	if (!r)
		r = ref_hash(h, key, keylen, b, 300, ref);
	cdev_ok(!r && !memcmp(md, ref, h->dlen), "%s: UPDATE|RESET drops the earlier parts",
		h->name);
	/* after a digest the next parts start a new message */
	r = cdev_crypt(cfd, ses, COP_ENCRYPT, COP_FLAG_UPDATE, b, NULL, 150, NULL, md);
	if (!r)
		r = cdev_crypt(cfd, ses, COP_ENCRYPT, COP_FLAG_FINAL, b + 150, NULL, 150, NULL, md);
	if (!r)
		r = ref_hash(h, key, keylen, b, 300, ref);
	cdev_ok(!r && !memcmp(md, ref, h->dlen),
		"%s: after a digest, UPDATE parts start a new message", h->name);
	/* decrypt is the same for a hash */
	r = cdev_crypt(cfd, ses, COP_DECRYPT, 0, a, NULL, sizeof(a), NULL, md);
	if (!r)
		r = ref_hash(h, key, keylen, a, sizeof(a), ref);
	cdev_ok(!r && !memcmp(md, ref, h->dlen), "%s: COP_DECRYPT digests the same", h->name);
	EXPECT(cdev_crypt(cfd, ses, COP_ENCRYPT, COP_FLAG_UPDATE, (void *)16, NULL, 64, NULL, md),
	       EFAULT, "UPDATE part unmapped");
	cdev_free(cfd, ses);
}

static void cmd_hash(void)
{
	unsigned int i;

	for (i = 0; i < NELEM(halgs); i++)
		hash_alg(&halgs[i]);
}

/* ---- CIOCCPHASH ---- */

static void cphash_alg(const struct halg *h)
{
	uint8_t key[32], msg[3000], md[64], md2[64], ref[64], ref2[64], cat[3000];
	uint32_t a, b, c;
	int r, ok;

	cdev_fill(key, sizeof(key), 3);
	cdev_fill(msg, sizeof(msg), 4);
	if (!open_hash(h, key, sizeof(key), &a, "CIOCCPHASH"))
		return;
	if (!open_hash(h, key, sizeof(key), &b, "CIOCCPHASH")) {
		cdev_free(cfd, a);
		return;
	}
	/* A: p1 | copy to B | A: p2, B: p3 -> H(p1 p2), H(p1 p3) */
	r = cdev_crypt(cfd, a, COP_ENCRYPT, COP_FLAG_UPDATE, msg, NULL, 1000, NULL, md);
	if (!r) /* B holds other parts: the copy replaces them */
		r = cdev_crypt(cfd, b, COP_ENCRYPT, COP_FLAG_UPDATE, msg + 2500, NULL, 77, NULL,
			       md);
	if (!r)
		r = cphash(cfd, b, a);
	if (!r)
		r = cdev_crypt(cfd, a, COP_ENCRYPT, COP_FLAG_UPDATE, msg + 1000, NULL, 500, NULL,
			       md);
	if (!r)
		r = cdev_crypt(cfd, a, COP_ENCRYPT, COP_FLAG_FINAL, msg + 1500, NULL, 500, NULL,
			       md);
	if (!r)
		r = cdev_crypt(cfd, b, COP_ENCRYPT, COP_FLAG_UPDATE | COP_FLAG_FINAL, msg + 2000,
			       NULL, 1000, NULL, md2);
	memcpy(cat, msg, 1000);
	memcpy(cat + 1000, msg + 2000, 1000);
	if (!r)
		r = ref_hash(h, key, sizeof(key), msg, 2000, ref);
	if (!r)
		r = ref_hash(h, key, sizeof(key), cat, 2000, ref2);
	cdev_ok(!r && !memcmp(md, ref, h->dlen) && !memcmp(md2, ref2, h->dlen),
		"%s: CIOCCPHASH mid-stream, source and copy continue differently, both = " REF
		"%s%s",
		h->name, r ? ": " : "", r ? strerror(-r) : "");

	/* a copy of a fresh state empties the destination */
	r = cdev_crypt(cfd, b, COP_ENCRYPT, COP_FLAG_UPDATE, msg, NULL, 100, NULL, md);
	if (!r)
		r = cphash(cfd, b, a);
	if (!r)
		r = cdev_crypt(cfd, b, COP_ENCRYPT, COP_FLAG_FINAL, msg + 100, NULL, 200, NULL, md);
	if (!r)
		r = ref_hash(h, key, sizeof(key), msg + 100, 200, ref);
	cdev_ok(!r && !memcmp(md, ref, h->dlen), "%s: CIOCCPHASH of a fresh state resets the copy",
		h->name);

	/* a third session copied twice from a growing source */
	ok = open_hash(h, key, sizeof(key), &c, "CIOCCPHASH");
	if (ok) {
		r = cdev_crypt(cfd, a, COP_ENCRYPT, COP_FLAG_UPDATE | COP_FLAG_RESET, msg, NULL,
			       300, NULL, md);
		if (!r)
			r = cphash(cfd, c, a);
		if (!r)
			r = cdev_crypt(cfd, a, COP_ENCRYPT, COP_FLAG_UPDATE, msg + 300, NULL, 300,
				       NULL, md);
		if (!r)
			r = cphash(cfd, b, a);
		if (!r) /* flags 0 on the source: a reset, the copies keep theirs */
			r = cdev_crypt(cfd, a, COP_ENCRYPT, 0, msg, NULL, 10, NULL, md);
		if (!r)
			r = cdev_crypt(cfd, c, COP_ENCRYPT, COP_FLAG_FINAL, msg + 300, NULL, 300,
				       NULL, md);
		if (!r)
			r = cdev_crypt(cfd, b, COP_ENCRYPT, COP_FLAG_FINAL, msg + 600, NULL, 300,
				       NULL, md2);
		if (!r)
			r = ref_hash(h, key, sizeof(key), msg, 600, ref);
		if (!r)
			r = ref_hash(h, key, sizeof(key), msg, 900, ref2);
		cdev_ok(!r && !memcmp(md, ref, h->dlen) && !memcmp(md2, ref2, h->dlen),
			"%s: copies are snapshots (the source goes on and resets)", h->name);
		/* flags 0 on the copy drops what was copied */
		r = cphash(cfd, c, b);
		if (!r)
			r = cdev_crypt(cfd, c, COP_ENCRYPT, 0, msg, NULL, 64, NULL, md);
		if (!r)
			r = ref_hash(h, key, sizeof(key), msg, 64, ref);
		cdev_ok(!r && !memcmp(md, ref, h->dlen), "%s: flags 0 after CIOCCPHASH starts over",
			h->name);
		cdev_free(cfd, c);
	}
	EXPECT(cphash(cfd, a, a), EDEADLK, "CIOCCPHASH of a session onto itself");
	cdev_free(cfd, a);
	cdev_free(cfd, b);
}

/* errors of CIOCCPHASH that every backend can show (cipher sessions) */
static void cphash_errors(void)
{
	uint8_t key[32] = {1};
	uint32_t c1 = 0, c2 = 0, n = 0, h = 0, h2 = 0;
	int have_h, have_h2;

	cdev_ok(!cdev_session(cfd, CRYPTO_AES_CBC, key, 16, 0, NULL, 0, &c1) &&
			!cdev_session(cfd, CRYPTO_AES_ECB, key, 16, 0, NULL, 0, &c2) &&
			!cdev_session(cfd, CRYPTO_NULL, NULL, 0, 0, NULL, 0, &n),
		"sessions for the CIOCCPHASH errors");
	EXPECT(cphash(cfd, c1, c1), EDEADLK, "CIOCCPHASH dst == src (checked first)");
	EXPECT(cphash(cfd, 0x7ffff000, 0x7ffff000), EDEADLK, "CIOCCPHASH dst == src, unknown");
	EXPECT(cphash(cfd, c1, 0x7ffff000), ENOENT, "CIOCCPHASH unknown source");
	EXPECT(cphash(cfd, 0x7ffff000, c1), ENOENT, "CIOCCPHASH unknown destination");
	EXPECT(cphash(cfd, c1, c2), EINVAL, "CIOCCPHASH between cipher-only sessions");
	EXPECT(cphash(cfd, n, c1), EINVAL, "CIOCCPHASH onto a CRYPTO_NULL session");
	EXPECT(ioctl(cfd, CIOCCPHASH, (void *)16) ? -errno : 0, EFAULT,
	       "CIOCCPHASH argument unmapped");
	have_h = !cdev_session(cfd, 0, NULL, 0, CRYPTO_SHA2_256, NULL, 0, &h);
	have_h2 = !cdev_session(cfd, 0, NULL, 0, CRYPTO_SHA1, NULL, 0, &h2);
	if (have_h && have_h2) {
		EXPECT(cphash(cfd, h, c1), EINVAL, "CIOCCPHASH from a cipher-only session");
		EXPECT(cphash(cfd, c1, h), EINVAL, "CIOCCPHASH onto a cipher-only session");
		EXPECT(cphash(cfd, h2, h), EINVAL,
		       "CIOCCPHASH between different algorithms (SHA256 to SHA1; ours)");
		EXPECT(cphash(cfd, h, h2), EINVAL,
		       "CIOCCPHASH between different algorithms (SHA1 to SHA256; ours)");
		EXPECT(cphash(cfd, h2, 0x7ffff000), ENOENT, "CIOCCPHASH unknown source (hash)");
	} else if (builtin) {
		cdev_skip("CIOCCPHASH between hash sessions: QEMU's builtin backend serves no hash "
			  "sessions");
	} else {
		cdev_ok(0, "SHA256 and SHA1 sessions for the CIOCCPHASH errors");
	}
	if (have_h)
		cdev_free(cfd, h);
	if (have_h2)
		cdev_free(cfd, h2);
	cdev_free(cfd, c1);
	cdev_free(cfd, c2);
	cdev_free(cfd, n);
}

static void cmd_cphash(void)
{
	static const uint32_t algs[] = {CRYPTO_SHA1,	      CRYPTO_SHA2_256,	CRYPTO_SHA2_512,
					CRYPTO_SHA2_256_HMAC, CRYPTO_SHA1_HMAC, CRYPTO_MD5,
					CRYPTO_MD5_HMAC};
	unsigned int i;

	for (i = 0; i < NELEM(algs); i++)
		cphash_alg(halg_of(algs[i]));
	cphash_errors();
}

/* ---- cipher + MAC in one session ---- */

/*
 * One message in parts through a cipher+MAC session, both ways: the parts'
 * output must be the one-shot ciphertext/plaintext and the MAC at the end
 * the MAC of the whole plaintext.  0 if so.
 */
static int chain_parts(const struct calg *c, const struct halg *h, uint32_t ses, const uint8_t *key,
		       const uint8_t *mk, unsigned int trial)
{
	size_t len = 16 * (1 + rnd(trial & 1 ? 600 : 40)), cut[6], off;
	unsigned int nparts = 2 + rnd(4), i, pass;
	uint8_t *pt = malloc(len), *ct = malloc(len), *out = malloc(len);
	uint8_t iv0[16], iv[16], md[64], ref[64];
	int r, bad = 0;

	cdev_fill(pt, len, rng_state);
	cdev_fill(iv0, 16, rng_state + 3);
	r = ref_cipher(c, key, iv0, 1, pt, ct, len);
	if (!r)
		r = ref_hash(h, mk, 40, pt, len, ref);
	for (i = 0; i + 1 < nparts; i++)
		cut[i] = 16 * rnd((uint32_t)(len / 16) + 1);
	cut[nparts - 1] = len;
	sort_cuts(cut, nparts);
	for (pass = 0; !r && pass < 2; pass++) { /* 0: encrypt, 1: decrypt */
		const uint8_t *in = pass ? ct : pt;
		int wiv = rnd(2); /* IV written back, else carried by the session */

		int sent = 0;

		memcpy(iv, iv0, 16);
		memset(out, 0, len);
		off = 0;
		for (i = 0; !r && i < nparts; i++) {
			size_t n = cut[i] - off;
			int last = i + 1 == nparts;
			uint16_t fl = last ? COP_FLAG_FINAL : COP_FLAG_UPDATE;

			if (!n && !last)
				continue; /* an empty UPDATE would finish */
			if (!sent)
				fl |= COP_FLAG_RESET;
			if (wiv)
				fl |= COP_FLAG_WRITE_IV;
			memset(md, 0xa5, sizeof(md));
			r = cdev_crypt(cfd, ses, pass ? COP_DECRYPT : COP_ENCRYPT, fl, in + off,
				       out + off, (uint32_t)n,
				       c->ivlen && (wiv || !sent) ? iv : NULL, md);
			sent = 1;
			if (!r && !last && md[0] != 0xa5)
				r = -EPROTO;
			off = cut[i];
		}
		if (r || memcmp(out, pass ? pt : ct, len) || memcmp(md, ref, h->dlen)) {
			cdev_note("%s + %s %s in %u parts of %zu bytes%s: %s", c->name, h->name,
				  pass ? "decrypt" : "encrypt", nparts, len,
				  wiv ? " (WRITE_IV)" : "", r ? strerror(-r) : "differs");
			bad = 1;
			r = 0;
		}
	}
	free(pt);
	free(ct);
	free(out);
	return bad || r;
}

static void cmd_chain(void)
{
	static const uint32_t macs[] = {CRYPTO_SHA1_HMAC, CRYPTO_SHA2_256_HMAC,
					CRYPTO_SHA2_512_HMAC, CRYPTO_MD5_HMAC, CRYPTO_SHA1};
	static const size_t sizes[] = {16, 48, 4096, 4096 + 32, 65536};
	uint8_t key[32], mk[64], iv[16], iv2[16], md[64], ref[64];
	unsigned int i, j, k;
	uint32_t ses;
	int r;

	cdev_fill(key, sizeof(key), 21);
	cdev_fill(mk, sizeof(mk), 22);
	cdev_fill(iv, sizeof(iv), 23);
	for (i = 0; i < NELEM(calgs); i++) {
		for (j = 0; j < NELEM(macs); j++) {
			const struct calg *c = &calgs[i];
			const struct halg *h = halg_of(macs[j]);
			int bad = 0;

			r = cdev_session(cfd, c->cop, key, c->keylen, h->cop, h->hmac ? mk : NULL,
					 h->hmac ? 40 : 0, &ses);
			if (r == -EINVAL && builtin) {
				cdev_skip(
					"%s + %s: QEMU's builtin backend refuses chaining sessions",
					c->name, h->name);
				continue;
			}
			if (r == -EINVAL && is_md5(h)) {
				cdev_skip("%s + %s: backend does not serve MD5", c->name, h->name);
				continue;
			}
			if (r) {
				cdev_ok(0, "%s + %s session: %s", c->name, h->name, strerror(-r));
				continue;
			}
			for (k = 0; k < NELEM(sizes); k++) {
				size_t len = sizes[k];
				uint8_t *pt = malloc(len), *ct = malloc(len), *out = malloc(len);
				int inplace = k & 1;

				cdev_fill(pt, len, k + 100 * j);
				r = ref_cipher(c, key, iv, 1, pt, ct, len);
				if (!r)
					r = ref_hash(h, mk, 40, pt, len, ref);
				/* encrypt: MAC of the plaintext (the source) */
				memcpy(out, pt, len);
				memcpy(iv2, iv, 16);
				if (!r)
					r = cdev_crypt(cfd, ses, COP_ENCRYPT, 0, inplace ? out : pt,
						       out, (uint32_t)len, c->ivlen ? iv2 : NULL,
						       md);
				if (r || memcmp(out, ct, len) || memcmp(md, ref, h->dlen)) {
					cdev_note("%s + %s encrypt %zu%s: %s", c->name, h->name,
						  len, inplace ? " in place" : "",
						  r ? strerror(-r) : "differs");
					bad++;
				}
				/* decrypt: MAC of the plaintext (the result) */
				memset(md, 0, sizeof(md));
				memcpy(out, ct, len);
				memcpy(iv2, iv, 16);
				r = cdev_crypt(cfd, ses, COP_DECRYPT, 0, inplace ? out : ct, out,
					       (uint32_t)len, c->ivlen ? iv2 : NULL, md);
				if (r || memcmp(out, pt, len) || memcmp(md, ref, h->dlen)) {
					cdev_note("%s + %s decrypt %zu%s: %s", c->name, h->name,
						  len, inplace ? " in place" : "",
						  r ? strerror(-r) : "differs");
					bad++;
				}
				free(pt);
				free(ct);
				free(out);
			}
			cdev_ok(!bad,
				"%s + %s: ciphertext = " REF
				", MAC of the plaintext on encrypt and "
				"on decrypt (16 B..64 KiB, in/out of place)",
				c->name, h->name);
			bad = 0;
			for (k = 0; k < 6; k++)
				if (chain_parts(c, h, ses, key, mk, k))
					bad++;
			cdev_ok(!bad,
				"%s + %s: COP_FLAG_UPDATE parts (random block-aligned splits, IV "
				"carried or written back) = one-shot " REF
				", MAC of all plaintext, "
				"both ways",
				c->name, h->name);
			if (i == 0 && j == 0) {
				uint8_t buf[32] = {0};

				EXPECT(cdev_crypt(cfd, ses, COP_ENCRYPT, 0, buf, buf, 17, iv2, md),
				       EINVAL, "cipher+MAC: length not a multiple of the block");
				EXPECT(cdev_crypt(cfd, ses, COP_ENCRYPT, COP_FLAG_UPDATE, buf, buf,
						  16, iv2, md),
				       0, "cipher+MAC UPDATE part");
				EXPECT(cdev_crypt(cfd, ses, COP_ENCRYPT, COP_FLAG_UPDATE, buf, buf,
						  17, iv2, md),
				       EINVAL,
				       "cipher+MAC UPDATE part not a multiple of the block");
				EXPECT(cdev_crypt(cfd, ses, COP_ENCRYPT, COP_FLAG_UPDATE,
						  (void *)16, buf, 16, iv2, md),
				       EFAULT, "cipher+MAC UPDATE part unmapped");
			}
			cdev_free(cfd, ses);
		}
	}
}

/* ---- CRYPTO_NULL ---- */

static void cmd_null(void)
{
	static const size_t sizes[] = {0, 1, 3, 15, 16, 4095, 4096, 70001, 1 << 20};
	struct session_info_op si;
	uint8_t key[16] = {0}, iv[16], iv0[16], md[64], ref[64];
	uint32_t ses, s2;
	unsigned int k;
	int r, bad = 0;
	uint8_t *ro;

	EXPECT(cdev_session(cfd, CRYPTO_NULL, NULL, 0, 0, NULL, 0, &ses), 0,
	       "CRYPTO_NULL session, key of 0 bytes");
	EXPECT(cdev_session(cfd, CRYPTO_NULL, key, 16, 0, NULL, 0, &s2), EINVAL,
	       "CRYPTO_NULL with a 16-byte key (ecb(cipher_null) takes 0)");
	EXPECT(cdev_session(cfd, CRYPTO_NULL, key, 1, 0, NULL, 0, &s2), EINVAL,
	       "CRYPTO_NULL with a 1-byte key");
	r = sessinfo(cfd, ses, &si);
	cdev_ok(!r && !strcmp(si.cipher_info.cra_name, "ecb(cipher_null)") &&
			!si.hash_info.cra_name[0] && si.alignmask == 0 &&
			!(si.flags & SIOP_FLAG_KERNEL_DRIVER_ONLY),
		"CIOCGSESSINFO: ecb(cipher_null), driver %s, no KERNEL_DRIVER_ONLY (done in the "
		"guest)",
		r ? "?" : si.cipher_info.cra_driver_name);
	for (k = 0; k < NELEM(sizes); k++) {
		size_t len = sizes[k];
		uint8_t *src = malloc(len + 64), *dst = malloc(len + 64), *keep = malloc(len + 64);
		int op = k & 1 ? COP_DECRYPT : COP_ENCRYPT;

		cdev_fill(src, len + 64, k);
		memset(dst, 0x5c, len + 64);
		cdev_fill(iv, 16, k);
		memcpy(iv0, iv, 16);
		r = cdev_crypt(cfd, ses, op, COP_FLAG_WRITE_IV, src, dst, (uint32_t)len, iv, NULL);
		if (r || memcmp(dst, src, len) || dst[len] != 0x5c || dst[len + 63] != 0x5c ||
		    memcmp(iv, iv0, 16)) {
			cdev_note("CRYPTO_NULL %zu bytes: %s", len, r ? strerror(-r) : "differs");
			bad++;
		}
		memcpy(keep, src, len);
		r = cdev_crypt(cfd, ses, op, 0, src, src, (uint32_t)len, NULL, NULL);
		if (r || memcmp(keep, src, len)) {
			cdev_note("CRYPTO_NULL in place %zu bytes: %s", len,
				  r ? strerror(-r) : "changed");
			bad++;
		}
		free(src);
		free(dst);
		free(keep);
	}
	cdev_ok(!bad,
		"CRYPTO_NULL: dst = src, exactly len bytes, 0..1 MiB (block 1), both ops, in and "
		"out of place, IV untouched");
	EXPECT(cdev_crypt(cfd, ses, COP_ENCRYPT, 0, key, NULL, 16, NULL, NULL), EFAULT,
	       "CRYPTO_NULL dst NULL");
	EXPECT(cdev_crypt(cfd, ses, COP_ENCRYPT, 0, (void *)16, key, 16, NULL, NULL), EFAULT,
	       "CRYPTO_NULL src unmapped");
	EXPECT(cdev_crypt(cfd, ses, 9, 0, key, key, 16, NULL, NULL), EINVAL,
	       "CRYPTO_NULL op neither encrypt nor decrypt");
	ro = mmap(NULL, 8192, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (ro != MAP_FAILED) {
		EXPECT(cdev_crypt(cfd, ses, COP_ENCRYPT, 0, ro, ro, 8192, NULL, NULL), EFAULT,
		       "CRYPTO_NULL in place on a read-only mapping");
		EXPECT(cdev_crypt(cfd, ses, COP_ENCRYPT, 0, key, ro, 16, NULL, NULL), EFAULT,
		       "CRYPTO_NULL into a read-only mapping");
		munmap(ro, 8192);
	}
	{
		struct crypt_auth_op caop;
		uint8_t tag[64];

		memset(&caop, 0, sizeof(caop));
		caop.ses = ses;
		caop.op = COP_ENCRYPT;
		caop.flags = COP_FLAG_AEAD_TLS_TYPE;
		caop.len = 16;
		caop.src = caop.dst = key;
		caop.auth_src = key;
		caop.auth_len = 16;
		caop.tag = tag;
		EXPECT(ioctl(cfd, CIOCAUTHCRYPT, &caop) ? -errno : 0, EINVAL,
		       "CIOCAUTHCRYPT (TLS) on a CRYPTO_NULL session");
		caop.flags = 0;
		EXPECT(ioctl(cfd, CIOCAUTHCRYPT, &caop) ? -errno : 0, EINVAL,
		       "CIOCAUTHCRYPT (flags 0) on a CRYPTO_NULL session");
	}
	cdev_free(cfd, ses);

	/* CRYPTO_NULL + HMAC: the MAC on the device, the copy here */
	r = cdev_session(cfd, CRYPTO_NULL, NULL, 0, CRYPTO_SHA2_256_HMAC, key, 16, &ses);
	if (r == -EINVAL && builtin) {
		cdev_skip(
			"CRYPTO_NULL + HMAC-SHA256: QEMU's builtin backend serves no MAC sessions");
		return;
	}
	if (r) {
		cdev_ok(0, "CRYPTO_NULL + HMAC-SHA256 session: %s", strerror(-r));
		return;
	}
	r = sessinfo(cfd, ses, &si);
	cdev_ok(!r && !strcmp(si.hash_info.cra_name, "hmac(sha256)") &&
			(si.flags & SIOP_FLAG_KERNEL_DRIVER_ONLY),
		"CIOCGSESSINFO CRYPTO_NULL + HMAC: hmac(sha256), KERNEL_DRIVER_ONLY");
	bad = 0;
	for (k = 0; k < 4; k++) {
		size_t len = k == 3 ? 70000 : 100 * k + 5;
		uint8_t *src = malloc(len), *dst = malloc(len);
		const struct halg *h = halg_of(CRYPTO_SHA2_256_HMAC);

		cdev_fill(src, len, 40 + k);
		memset(dst, 0, len);
		r = cdev_crypt(cfd, ses, k & 1 ? COP_DECRYPT : COP_ENCRYPT, 0, src, dst,
			       (uint32_t)len, NULL, md);
		if (!r)
			r = ref_hash(h, key, 16, src, len, ref);
		if (r || memcmp(dst, src, len) || memcmp(md, ref, 32))
			bad++;
		/* in two parts */
		memset(dst, 0, len);
		r = cdev_crypt(cfd, ses, COP_ENCRYPT, COP_FLAG_UPDATE, src, dst, (uint32_t)len / 2,
			       NULL, md);
		if (!r)
			r = cdev_crypt(cfd, ses, COP_ENCRYPT, COP_FLAG_FINAL, src + len / 2,
				       dst + len / 2, (uint32_t)(len - len / 2), NULL, md);
		if (r || memcmp(dst, src, len) || memcmp(md, ref, 32))
			bad++;
		free(src);
		free(dst);
	}
	cdev_ok(!bad, "CRYPTO_NULL + HMAC-SHA256: dst = src, MAC = " REF ", one and two parts");
	cdev_free(cfd, ses);
}

/* ---- errno table ---- */

static int count_fds(void)
{
	int n = 0, fd;

	for (fd = 0; fd < 1024; fd++)
		if (fcntl(fd, F_GETFD) >= 0)
			n++;
	return n;
}

static void cmd_errors(void)
{
	uint8_t key[64] = {0}, buf[64] = {0}, iv[16] = {0}, md[64];
	void *bad = (void *)16; /* never mapped */
	struct session_info_op si;
	uint32_t ses, ses2, u = 0;
	int r, fd2, nfd;

	/* CIOCGSESSION: cryptodev-linux checks the algorithms before the keys */
	EXPECT(cdev_session(cfd, 999, bad, 16, 0, NULL, 0, &ses), EINVAL,
	       "CIOCGSESSION unknown cipher, key unmapped");
	EXPECT(cdev_session(cfd, 0, NULL, 0, 999, bad, 16, &ses), EINVAL,
	       "CIOCGSESSION unknown mac, mackey unmapped");
	EXPECT(cdev_session(cfd, CRYPTO_AES_CBC, bad, 65, 0, NULL, 0, &ses), EINVAL,
	       "CIOCGSESSION key longer than 64, unmapped");
	EXPECT(cdev_session(cfd, CRYPTO_AES_CBC, bad, 16, 0, NULL, 0, &ses), EFAULT,
	       "CIOCGSESSION key unmapped");
	EXPECT(cdev_session(cfd, CRYPTO_AES_CBC, key, 20, 0, NULL, 0, &ses), EINVAL,
	       "CIOCGSESSION AES key of 20 bytes");
	EXPECT(cdev_session(cfd, 0, NULL, 0, 0, NULL, 0, &ses), EINVAL,
	       "CIOCGSESSION neither cipher nor mac");
	EXPECT(cdev_session(cfd, 0, NULL, 0, CRYPTO_SHA2_256_HMAC, key, 513, &ses), EINVAL,
	       "CIOCGSESSION mac key longer than 512");
	EXPECT(cdev_session(cfd, 0, NULL, 0, CRYPTO_SHA2_256, key, 513, &ses), EINVAL,
	       "CIOCGSESSION plain hash with a mac key longer than 512");
	EXPECT(ioctl(cfd, CIOCGSESSION, bad) ? -errno : 0, EFAULT,
	       "CIOCGSESSION argument unmapped");
	r = cdev_session(cfd, 0, NULL, 0, CRYPTO_SHA2_256_HMAC, bad, 16, &ses);
	if (r == -EINVAL && builtin)
		cdev_skip("CIOCGSESSION mac key unmapped: the builtin backend has no MACs");
	else
		EXPECT(r, EFAULT, "CIOCGSESSION mac key unmapped");
	r = cdev_session(cfd, 0, NULL, 0, CRYPTO_SHA2_256_HMAC, NULL, 16, &ses);
	if (r == -EINVAL && builtin) {
		cdev_skip("CIOCGSESSION mac key NULL: the builtin backend has no MACs");
	} else {
		EXPECT(r, 0,
		       "CIOCGSESSION mac key NULL with mackeylen 16 (not copied, as "
		       "cryptodev-linux)");
		if (!r)
			cdev_free(cfd, ses);
	}

	r = cdev_session(cfd, CRYPTO_AES_CBC, key, 16, 0, NULL, 0, &ses);
	cdev_ok(!r, "CIOCGSESSION AES-128-CBC");
	r = sessinfo(cfd, ses, &si);
	cdev_ok(!r && !strcmp(si.cipher_info.cra_name, "cbc(aes)") &&
			strstr(si.cipher_info.cra_driver_name, "virtio") &&
			(si.flags & SIOP_FLAG_KERNEL_DRIVER_ONLY) && !si.hash_info.cra_name[0],
		"CIOCGSESSINFO: cbc(aes), driver %s, SIOP_FLAG_KERNEL_DRIVER_ONLY",
		r ? "?" : si.cipher_info.cra_driver_name);
	EXPECT(cdev_crypt(cfd, 0x7ffff000, COP_ENCRYPT, 0, buf, buf, 16, iv, NULL), EINVAL,
	       "CIOCCRYPT unknown session");
	EXPECT(cdev_crypt(cfd, 0x7ffff000, 5, 0, buf, buf, 16, iv, NULL), EINVAL,
	       "CIOCCRYPT unknown session and bad op");
	EXPECT(cdev_crypt(cfd, ses, 2, 0, buf, buf, 16, iv, NULL), EINVAL, "CIOCCRYPT op 2");
	EXPECT(cdev_crypt(cfd, ses, COP_ENCRYPT, 0, buf, buf, 8, iv, NULL), EINVAL,
	       "CIOCCRYPT length not a multiple of the block");
	EXPECT(cdev_crypt(cfd, ses, COP_ENCRYPT, 0, buf, buf, 16, bad, NULL), EFAULT,
	       "CIOCCRYPT iv unmapped");
	EXPECT(ioctl(cfd, CIOCCRYPT, bad) ? -errno : 0, EFAULT, "CIOCCRYPT argument unmapped");
	EXPECT(sessinfo(cfd, 0x7ffff000, &si), EINVAL, "CIOCGSESSINFO unknown session");
	EXPECT(ioctl(cfd, CIOCGSESSINFO, bad) ? -errno : 0, EFAULT,
	       "CIOCGSESSINFO argument unmapped");
	EXPECT(cdev_free(cfd, 0x7ffff000), 0,
	       "CIOCFSESSION unknown id: success, as cryptodev-linux (its list walk returns 0)");
	EXPECT(ioctl(cfd, CIOCFSESSION, bad) ? -errno : 0, EFAULT,
	       "CIOCFSESSION argument unmapped");
	r = cdev_session(cfd, CRYPTO_AES_ECB, key, 16, 0, NULL, 0, &ses2);
	EXPECT(cdev_free(cfd, ses2), 0, "CIOCFSESSION");
	EXPECT(cdev_free(cfd, ses2), 0, "CIOCFSESSION twice: success, as cryptodev-linux");
	EXPECT(cdev_crypt(cfd, ses2, COP_ENCRYPT, 0, buf, buf, 16, iv, NULL), EINVAL,
	       "CIOCCRYPT on a freed session");
	EXPECT(sessinfo(cfd, ses2, &si), EINVAL, "CIOCGSESSINFO on a freed session");
	EXPECT(ioctl(cfd, _IOWR('c', 200, uint32_t), &u) ? -errno : 0, EINVAL,
	       "unknown ioctl 'c' 200: EINVAL, as cryptodev-linux (not ENOTTY)");
	EXPECT(ioctl(cfd, _IO('x', 1)) ? -errno : 0, EINVAL, "unknown ioctl 'x' 1: EINVAL");
	u = 7;
	r = ioctl(cfd, CIOCASYMFEAT, &u) ? -errno : 0;
	cdev_ok(!r && u == 0, "CIOCASYMFEAT: 0 (no public-key operations)");

	/* CRIOGET: a new descriptor of the same file, inherited across exec */
	r = ioctl(cfd, CRIOGET, &u) ? -errno : 0;
	fd2 = (int)u;
	cdev_ok(!r && fd2 > 2 && fd2 != cfd && fcntl(fd2, F_GETFD) == 0,
		"CRIOGET gives a descriptor without FD_CLOEXEC");
	if (!r) {
		EXPECT(cdev_crypt(fd2, ses, COP_ENCRYPT, 0, buf, buf, 16, iv, NULL), 0,
		       "CRIOGET descriptor shares the sessions");
		r = cdev_session(fd2, CRYPTO_NULL, NULL, 0, 0, NULL, 0, &ses2);
		close(fd2);
		EXPECT(r ? r : cdev_crypt(cfd, ses2, COP_ENCRYPT, 0, buf, md, 16, NULL, NULL), 0,
		       "a session made on the CRIOGET descriptor lives on after it is closed");
		cdev_free(cfd, ses2);
	}
	nfd = count_fds();
	EXPECT(ioctl(cfd, CRIOGET, bad) ? -errno : 0, EFAULT, "CRIOGET argument unmapped");
	cdev_ok(count_fds() == nfd, "CRIOGET with an unmapped argument leaks no descriptor");
	EXPECT(cdev_crypt(cfd, ses, COP_ENCRYPT, 0, buf, buf, 16, iv, NULL), 0,
	       "valid request after the bad ones");
	cdev_free(cfd, ses);
}

/* ---- caps ---- */

static long param(const char *name)
{
	char path[128];
	long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/module/virtio_cryptodev/parameters/%s", name);
	f = fopen(path, "r");
	if (f) {
		if (fscanf(f, "%ld", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

static void caps_sessions(void)
{
	long max = param("max_file_sessions");
	uint32_t *ids, extra, x;
	uint8_t key[16] = {0}, buf[16] = {0}, out[16];
	long i, made = 0;
	int r = 0, fd2;

	if (max <= 0 || max > 1 << 16) {
		cdev_ok(0, "max_file_sessions readable (%ld)", max);
		return;
	}
	ids = calloc(max, sizeof(*ids));
	for (i = 0; i < max; i++) {
		r = cdev_session(cfd, CRYPTO_NULL, NULL, 0, 0, NULL, 0, &ids[i]);
		if (r)
			break;
		made++;
	}
	cdev_ok(made == max, "%ld sessions on one descriptor (max_file_sessions)%s%s", made,
		r ? ": " : "", r ? strerror(-r) : "");
	EXPECT(cdev_session(cfd, CRYPTO_NULL, NULL, 0, 0, NULL, 0, &extra), ENOMEM,
	       "one session more than max_file_sessions");
	EXPECT(cdev_session(cfd, CRYPTO_AES_CBC, key, 16, 0, NULL, 0, &extra), ENOMEM,
	       "an AES session beyond the cap (no device session made)");
	fd2 = cdev_open();
	r = fd2 < 0 ? fd2 : cdev_session(fd2, CRYPTO_AES_CBC, key, 16, 0, NULL, 0, &x);
	EXPECT(r, 0, "another descriptor has its own cap");
	if (fd2 >= 0)
		close(fd2);
	EXPECT(made ? cdev_crypt(cfd, ids[made - 1], COP_ENCRYPT, 0, buf, out, 16, NULL, NULL)
		    : -ENOENT,
	       0, "the descriptor at its cap still serves its sessions");
	if (made)
		cdev_free(cfd, ids[--made]);
	r = cdev_session(cfd, CRYPTO_AES_CBC, key, 16, 0, NULL, 0, &extra);
	EXPECT(r, 0, "after one CIOCFSESSION a new session fits");
	if (!r)
		cdev_free(cfd, extra);
	while (made)
		cdev_free(cfd, ids[--made]);
	free(ids);
}

/* Sum of a per-device statistic over the bound devices; -1 if none readable. */
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

/*
 * The per-file gather cap bounds the kernel memory a descriptor's
 * multi-part MACs hold; a stream that would pass it (or pass one
 * request's size, 16 MiB) goes on in the guest kernel's software hash
 * instead of failing: counted in vcdev_sw_fallbacks, results unchanged.
 */
static void caps_gather(void)
{
	long max = param("max_file_gather"), sw0, sw, g;
	const struct halg *h = halg_of(CRYPTO_SHA2_256_HMAC);
	size_t part = 1 << 20, per = 16 << 20, i;
	uint8_t key[20], md[64], ref[64], one = 1;
	uint32_t s[4] = {0, 0, 0, 0};
	unsigned int n, k;
	uint8_t *msg;
	int r = 0;

	if (max <= 0) {
		cdev_ok(0, "max_file_gather readable (%ld)", max);
		return;
	}
	sw0 = devstat("vcdev_sw_fallbacks");
	cdev_ok(sw0 >= 0, "vcdev_sw_fallbacks readable (%ld)", sw0);
	cdev_fill(key, sizeof(key), 9);
	if (!open_hash(h, key, sizeof(key), &s[0], "gather cap"))
		return;
	for (k = 1; k < 4; k++)
		if (cdev_session(cfd, 0, NULL, 0, h->cop, key, sizeof(key), &s[k]))
			cdev_ok(0, "HMAC session %u for the gather cap", k);
	/* fill whole sessions (16 MiB each, the per-session limit) up to the cap */
	n = (unsigned int)(max / per);
	if (n > 2 || max % per) {
		cdev_skip("max_file_gather %ld is not 16 or 32 MiB: the gather test assumes one "
			  "of those",
			  max);
		goto out;
	}
	msg = malloc(per + 1);
	cdev_fill(msg, per, 99);
	msg[per] = one;
	for (k = 0; k < n && !r; k++)
		for (i = 0; i < per && !r; i += part)
			r = cdev_crypt(cfd, s[k], COP_ENCRYPT, COP_FLAG_UPDATE, msg + i, NULL,
				       (uint32_t)part, NULL, md);
	EXPECT(r, 0, "multi-part MACs gather up to max_file_gather on one descriptor");
	g = devstat("vcdev_gathered");
	cdev_ok(g > 0 && g <= max, "gathered kernel memory at the cap: %ld bytes (cap %ld)", g,
		max);
	EXPECT(cdev_crypt(cfd, s[n], COP_ENCRYPT, COP_FLAG_UPDATE, &one, NULL, 1, NULL, md), 0,
	       "one byte more on the descriptor (another session): goes on in software");
	g = devstat("vcdev_gathered");
	sw = devstat("vcdev_sw_fallbacks");
	cdev_ok(g <= max, "the file cap holds: %ld bytes gathered (cap %ld)", g, max);
	cdev_ok(sw == sw0 + 1, "past the file cap: one software fallback counted (%ld -> %ld)",
		sw0, sw);
	/* a copy of a gathered 16 MiB state with the file full: the copy is in software */
	r = cphash(cfd, s[3], s[0]);
	EXPECT(r, 0, "CIOCCPHASH of 16 MiB gathered with the file at its cap");
	g = devstat("vcdev_gathered");
	cdev_ok(g <= max, "the file cap holds after the copy: %ld bytes gathered", g);
	r = cdev_crypt(cfd, s[3], COP_ENCRYPT, COP_FLAG_FINAL, &one, NULL, 1, NULL, md);
	if (!r)
		r = ref_hash(h, key, sizeof(key), msg, per + 1, ref);
	cdev_ok(!r && !memcmp(md, ref, 32), "the copy (software) + 1 byte equals " REF);
	r = cdev_crypt(cfd, s[n], COP_ENCRYPT, COP_FLAG_FINAL, NULL, NULL, 0, NULL, md);
	if (!r)
		r = ref_hash(h, key, sizeof(key), &one, 1, ref);
	cdev_ok(!r && !memcmp(md, ref, 32), "the stream past the file cap equals " REF);
	r = cdev_crypt(cfd, s[n - 1], COP_ENCRYPT, COP_FLAG_UPDATE, &one, NULL, 1, NULL, md);
	EXPECT(r, 0, "a session's gathered parts beyond 16 MiB: go on in software");
	sw = devstat("vcdev_sw_fallbacks");
	cdev_ok(sw == sw0 + 3, "past one request's size: counted (%ld fallbacks, want %ld)",
		sw - sw0, 3L);
	r = cdev_crypt(cfd, s[n - 1], COP_ENCRYPT, COP_FLAG_FINAL, NULL, NULL, 0, NULL, md);
	if (!r)
		r = ref_hash(h, key, sizeof(key), msg, per + 1, ref);
	cdev_ok(!r && !memcmp(md, ref, 32), "16 MiB + 1 byte (gathered, then software) equals " REF);
	r = cdev_crypt(cfd, s[n], COP_ENCRYPT, 0, msg, NULL, 4096, NULL, md);
	if (!r)
		r = ref_hash(h, key, sizeof(key), msg, 4096, ref);
	cdev_ok(!r && !memcmp(md, ref, 32), "one-shot MACs still work on the descriptor");
	if (n == 2) {
		r = cdev_crypt(cfd, s[0], COP_ENCRYPT, COP_FLAG_FINAL, NULL, NULL, 0, NULL, md);
		if (!r)
			r = ref_hash(h, key, sizeof(key), msg, per, ref);
		cdev_ok(!r && !memcmp(md, ref, 32), "the 16 MiB gathered MAC equals " REF);
	}
	g = devstat("vcdev_gathered");
	cdev_ok(g == 0, "nothing gathered after the FINALs (%ld bytes)", g);
	r = cdev_crypt(cfd, s[0], COP_ENCRYPT, COP_FLAG_UPDATE, &one, NULL, 1, NULL, md);
	EXPECT(r, 0, "after the FINALs the descriptor gathers again");
	free(msg);
out:
	for (k = 0; k < 4; k++)
		cdev_free(cfd, s[k]);
}

static size_t min_sz(size_t a, size_t b)
{
	return a < b ? a : b;
}

/* FINAL of ses against the reference over msg[0, len): 0, -EBADMSG or -errno. */
static int final_equals(const struct halg *h, uint32_t ses, const uint8_t *key, size_t keylen,
			const uint8_t *msg, size_t len)
{
	uint8_t md[64], ref[64];
	int r = cdev_crypt(cfd, ses, COP_ENCRYPT, COP_FLAG_FINAL, NULL, NULL, 0, NULL, md);

	if (!r)
		r = ref_hash(h, key, keylen, msg, len, ref);
	if (!r)
		r = memcmp(md, ref, h->dlen) ? -EBADMSG : 0;
	return r;
}

/*
 * Past the gather caps: SHA-256, SHA-512 and HMAC-SHA256 over 40 MiB in
 * random-size updates, with CIOCCPHASH copies taken while the stream is
 * gathered (8 MiB) and once it is in software (24 MiB); all equal the
 * reference, and the software fallbacks are counted.
 */
static void bighash_alg(const struct halg *h, const uint8_t *msg, size_t len)
{
	uint8_t key[37], md[64], ref[64];
	size_t off = 0, n, bo, cut1 = 8 << 20, cut2 = 24 << 20;
	uint32_t ses, a = 0, b = 0;
	long sw0 = devstat("vcdev_sw_fallbacks"), sw;
	unsigned int parts = 0;
	int r = 0, ra = -1, rb = -1, first = 1;

	cdev_fill(key, sizeof(key), 5);
	if (!open_hash(h, key, sizeof(key), &ses, "40 MiB"))
		return;
	if (cdev_session(cfd, 0, NULL, 0, h->cop, h->hmac ? key : NULL, h->hmac ? sizeof(key) : 0,
			 &a) ||
	    cdev_session(cfd, 0, NULL, 0, h->cop, h->hmac ? key : NULL, h->hmac ? sizeof(key) : 0,
			 &b)) {
		cdev_ok(0, "%s: sessions for the copies", h->name);
		goto out;
	}
	while (off < len && !r) {
		n = 1 + rnd(3 << 20);
		if (n > len - off)
			n = len - off;
		/* stop at the copy points exactly */
		if (off < cut1 && off + n > cut1)
			n = cut1 - off;
		else if (off < cut2 && off + n > cut2)
			n = cut2 - off;
		r = cdev_crypt(cfd, ses, COP_ENCRYPT,
			       COP_FLAG_UPDATE | (first ? COP_FLAG_RESET : 0), msg + off, NULL,
			       (uint32_t)n, NULL, md);
		first = 0;
		off += n;
		parts++;
		if (!r && off == cut1) {
			ra = cphash(cfd, a, ses);
			if (!ra)
				ra = final_equals(h, a, key, sizeof(key), msg, cut1);
		}
		if (!r && off == cut2) {
			rb = cphash(cfd, b, ses);
			/* b goes on with the rest in 1 MiB parts, then FINAL */
			for (bo = cut2; bo < len && !rb; bo += 1 << 20)
				rb = cdev_crypt(cfd, b, COP_ENCRYPT, COP_FLAG_UPDATE, msg + bo,
						NULL, (uint32_t)min_sz(1 << 20, len - bo), NULL,
						md);
			if (!rb)
				rb = final_equals(h, b, key, sizeof(key), msg, len);
		}
	}
	cdev_ok(!r, "%s: %zu MiB in %u random-size updates: %s", h->name, len >> 20, parts,
		r ? strerror(-r) : "accepted");
	if (!r)
		r = cdev_crypt(cfd, ses, COP_ENCRYPT, COP_FLAG_FINAL, NULL, NULL, 0, NULL, md);
	if (!r)
		r = ref_hash(h, key, sizeof(key), msg, len, ref);
	cdev_ok(!r && !memcmp(md, ref, h->dlen), "%s of %zu MiB equals " REF " (%s)", h->name,
		len >> 20, r ? strerror(-r) : "compared");
	cdev_ok(!ra, "%s: CIOCCPHASH at 8 MiB (gathered), FINAL of the copy equals " REF " (%s)",
		h->name, ra ? strerror(-ra) : "equal");
	cdev_ok(!rb, "%s: CIOCCPHASH at 24 MiB (software), the copy continued equals " REF " (%s)",
		h->name, rb ? strerror(-rb) : "equal");
	sw = devstat("vcdev_sw_fallbacks");
	cdev_ok(sw > sw0, "%s: software fallbacks counted (%ld -> %ld)", h->name, sw0, sw);
	r = cdev_crypt(cfd, ses, COP_ENCRYPT, 0, msg, NULL, 1000, NULL, md);
	if (!r)
		r = ref_hash(h, key, sizeof(key), msg, 1000, ref);
	cdev_ok(!r && !memcmp(md, ref, h->dlen), "%s: the session after FINAL serves one-shot",
		h->name);
out:
	cdev_free(cfd, a);
	cdev_free(cfd, b);
	cdev_free(cfd, ses);
}

static int setparam(const char *name, long v)
{
	char path[128];
	FILE *f;
	int ok;

	snprintf(path, sizeof(path), "/sys/module/virtio_cryptodev/parameters/%s", name);
	f = fopen(path, "w");
	if (!f)
		return 0;
	ok = fprintf(f, "%ld\n", v) > 0;
	return fclose(f) == 0 && ok;
}

/*
 * Cipher+MAC in parts past the file's gather cap (lowered to 4 KiB for
 * this): the MAC goes on in software, ciphertext and MAC equal the reference.
 */
static void chain_sw(void)
{
	const struct calg *c = &calgs[0];
	const struct halg *h = halg_of(CRYPTO_SHA2_256_HMAC);
	uint8_t key[32], mk[40];
	long max = param("max_file_gather"), sw0 = devstat("vcdev_sw_fallbacks"), sw;
	unsigned int t, bad = 0;
	uint32_t ses;
	int r;

	cdev_fill(key, sizeof(key), 77);
	cdev_fill(mk, sizeof(mk), 78);
	r = cdev_session(cfd, c->cop, key, c->keylen, h->cop, mk, sizeof(mk), &ses);
	if (r) {
		cdev_ok(0, "%s + %s session: %s", c->name, h->name, strerror(-r));
		return;
	}
	if (!setparam("max_file_gather", 4096)) {
		cdev_ok(0, "max_file_gather writable");
		cdev_free(cfd, ses);
		return;
	}
	for (t = 0; t < 8; t++)
		bad += chain_parts(c, h, ses, key, mk, 2 * t + 1) != 0;
	setparam("max_file_gather", max);
	sw = devstat("vcdev_sw_fallbacks");
	cdev_ok(!bad, "%s + %s in parts with max_file_gather 4 KiB: equal " REF " (%u of 8 bad)",
		c->name, h->name, bad);
	cdev_ok(sw > sw0, "... the MAC went on in software (%ld fallbacks)", sw - sw0);
	cdev_free(cfd, ses);
}

static void cmd_bighash(void)
{
	static const uint32_t algs[] = {CRYPTO_SHA2_256, CRYPTO_SHA2_512, CRYPTO_SHA2_256_HMAC};
	size_t len = 40 << 20;
	uint8_t *msg;
	unsigned int i;

	if (builtin) {
		cdev_skip("40 MiB hashes: QEMU's builtin backend serves no hash or MAC sessions");
		return;
	}
	msg = malloc(len);
	if (!msg) {
		cdev_ok(0, "40 MiB buffer");
		return;
	}
	cdev_fill(msg, len, 40);
	for (i = 0; i < NELEM(algs); i++)
		bighash_alg(halg_of(algs[i]), msg, len);
	chain_sw();
	cdev_ok(devstat("vcdev_gathered") == 0, "bighash: nothing left gathered (%ld bytes)",
		devstat("vcdev_gathered"));
	free(msg);
}

static void cmd_caps(void)
{
	caps_sessions();
	if (builtin)
		cdev_skip(
			"per-descriptor gather cap: QEMU's builtin backend serves no MAC sessions");
	else
		caps_gather();
}

/* ---- race: CIOCGSESSION against CIOCFSESSION of guessed ids ---- */

#define RACE_MAX 200000
static uint32_t race_ids[RACE_MAX];
static volatile int race_n, race_stop, race_old;
static long race_freed, race_enomem, race_create_err;
static int race_first_err[4]; /* first errnos seen: what, errno */

static void race_err(int what, int r)
{
	race_create_err++;
	if (!race_first_err[0]) {
		race_first_err[0] = what;
		race_first_err[1] = -r;
	}
}

static void *race_creator(void *arg)
{
	uint8_t key[16] = {3}, buf[16] = {0}, out[16];
	unsigned int i = 0;
	uint32_t ses;
	int r;

	(void)arg;
	while (!race_stop && race_n < RACE_MAX) {
		/*
		 * Wait for the freer when it lags (a starved vCPU): few sessions
		 * alive, so neither the file's cap nor the device's session
		 * table (QEMU builtin: 256) is what fails a CIOCGSESSION here.
		 */
		if (race_n - __atomic_load_n(&race_old, __ATOMIC_ACQUIRE) > 48) {
			sched_yield();
			continue;
		}
		if (i++ % 4 == 0)
			r = cdev_session(cfd, CRYPTO_AES_CBC, key, 16, 0, NULL, 0, &ses);
		else
			r = cdev_session(cfd, CRYPTO_NULL, NULL, 0, 0, NULL, 0, &ses);
		if (r == -ENOMEM) {
			race_enomem++;
			sched_yield();
			continue;
		}
		if (r) {
			race_err(i % 4 == 1 ? 1 : 2, r);
			continue;
		}
		race_ids[race_n] = ses;
		__atomic_store_n(&race_n, race_n + 1, __ATOMIC_RELEASE);
		/* use it at once: freed under us is EINVAL, never anything else */
		r = cdev_crypt(cfd, ses, COP_ENCRYPT, 0, buf, out, 16, NULL, NULL);
		if (r && r != -EINVAL)
			race_err(3, r);
	}
	return NULL;
}

/* Frees the ids being handed out, before CIOCGSESSION has returned them. */
static void *race_guesser(void *arg)
{
	uint32_t guess;
	int n, d;

	(void)arg;
	while (!race_stop) {
		n = __atomic_load_n(&race_n, __ATOMIC_ACQUIRE);
		guess = n ? race_ids[n - 1] : 0;
		for (d = 1; d <= 3; d++) {
			cdev_free(cfd, guess + d);
			__atomic_fetch_add(&race_freed, 1, __ATOMIC_RELAXED);
		}
	}
	return NULL;
}

/* Frees known ids, some while the creator uses them: few stay alive. */
static void *race_sweeper(void *arg)
{
	int n;

	(void)arg;
	while (!race_stop) {
		n = __atomic_load_n(&race_n, __ATOMIC_ACQUIRE);
		if (race_old >= n - 4) {
			sched_yield();
			continue;
		}
		cdev_free(cfd, race_ids[race_old]);
		__atomic_store_n(&race_old, race_old + 1, __ATOMIC_RELEASE);
		__atomic_fetch_add(&race_freed, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

static void cmd_race(void)
{
	pthread_t a, b, c;
	struct session_info_op si;
	long gone = 0, alive = 0, bad_free = 0, dup = 0;
	uint8_t *seen;
	int i, r;

	cdev_note("race: CIOCGSESSION against CIOCFSESSION of the ids being handed out, on one "
		  "descriptor, for %u s (a third thread frees older ids)",
		  race_seconds);
	race_n = race_stop = race_old = 0;
	pthread_create(&a, NULL, race_creator, NULL);
	pthread_create(&b, NULL, race_guesser, NULL);
	pthread_create(&c, NULL, race_sweeper, NULL);
	sleep(race_seconds);
	race_stop = 1;
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	pthread_join(c, NULL);
	seen = calloc(1u << 20, 1);
	for (i = 0; i < race_n; i++) {
		uint32_t id = race_ids[i];

		if (id < (1u << 20)) {
			if (seen[id])
				dup++;
			seen[id] = 1;
		}
		r = sessinfo(cfd, id, &si);
		if (r == -EINVAL) {
			gone++;
			continue;
		}
		if (r) {
			bad_free++;
			continue;
		}
		alive++;
		if (cdev_free(cfd, id) || sessinfo(cfd, id, &si) != -EINVAL)
			bad_free++;
	}
	free(seen);
	cdev_note("race: %d sessions made (%ld freed by the racing thread, %ld left), %ld "
		  "CIOCFSESSION calls, %ld ENOMEM at the cap (want 0)",
		  race_n, gone, alive, race_freed, race_enomem);
	cdev_ok(race_n > 0 && !race_create_err && !race_enomem,
		"race: sessions made and used, only EINVAL once freed (%ld other errors; first: %s "
		"%s)",
		race_create_err,
		race_first_err[0] == 1	 ? "CIOCGSESSION AES"
		: race_first_err[0] == 2 ? "CIOCGSESSION NULL"
					 : "CIOCCRYPT",
		race_first_err[1] ? strerror(race_first_err[1]) : "-");
	cdev_ok(!dup, "race: every id handed out once (%ld duplicates)", dup);
	cdev_ok(!bad_free && gone + alive == race_n,
		"race: every id freed by the racing thread or freed once at the end (%ld bad)",
		bad_free);
	/* the per-file count is consistent: exactly the cap fits again */
	caps_sessions();
}

/* ---- inline: lengths around the module's inline size ---- */

/* 128-bit big-endian counter += n */
static void ctr_add(uint8_t *ctr, uint64_t n)
{
	int i;

	for (i = 15; i >= 0 && n; i--) {
		n += ctr[i];
		ctr[i] = (uint8_t)n;
		n >>= 8;
	}
}

#define INL_TAIL 32 /* the second request's bytes, carried IV */
#define INL_GUARD 48 /* bytes past each request's end that must stay as they were */

static int untouched(const uint8_t *p, size_t n)
{
	while (n--)
		if (*p++ != 0xa5)
			return 0;
	return 1;
}

/*
 * One length: len bytes with the caller's IV, then INL_TAIL more with the
 * IV the session carries; encrypt, then decrypt; in or out of place.  The
 * expected ciphertext (each part with the IV cryptodev-linux chains: CBC's
 * last ciphertext block, CTR's counter advanced by whole blocks) is
 * OpenSSL's; the bytes past each request must be untouched.  0: ok.
 */
static int inline_len(const struct calg *c, uint32_t ses, const uint8_t *key, size_t len,
		      int in_place, uint64_t seed)
{
	size_t tot = len + INL_TAIL;
	uint8_t iv[16], civ[16], niv[16];
	uint8_t *pt = malloc(tot), *ref = malloc(tot), *buf = malloc(tot + INL_GUARD);
	const char *what = "alloc";
	int r = -ENOMEM, fail = 1;
	size_t i;

	if (!pt || !ref || !buf)
		goto out;
	cdev_fill(pt, tot, seed);
	cdev_fill(iv, sizeof(iv), seed + 1);
	/* references: part 1 with iv, part 2 with the chained IV */
	memcpy(niv, iv, 16);
	what = "OpenSSL";
	if (ref_cipher(c, key, iv, 1, pt, ref, len))
		goto out;
	if (c->cop == CRYPTO_AES_CBC && len >= 16)
		memcpy(niv, ref + len - 16, 16);
	else if (c->cop == CRYPTO_AES_CTR)
		ctr_add(niv, (len + 15) / 16);
	if (ref_cipher(c, key, niv, 1, pt + len, ref + len, INL_TAIL))
		goto out;

	for (i = 0; i < 2; i++) { /* 0: encrypt, 1: decrypt */
		const uint8_t *in = i ? ref : pt, *want = i ? pt : ref;
		int op = i ? COP_DECRYPT : COP_ENCRYPT;

		memset(buf, 0xa5, tot + INL_GUARD);
		if (in_place)
			memcpy(buf, in, len);
		memcpy(civ, iv, 16);
		r = cdev_crypt(cfd, ses, op, COP_FLAG_WRITE_IV, in_place ? buf : in, buf,
			       (uint32_t)len, c->ivlen ? civ : NULL, NULL);
		what = i ? "decrypt" : "encrypt";
		if (r)
			goto out;
		r = -EBADMSG;
		if (memcmp(buf, want, len))
			goto out;
		what = i ? "decrypt: bytes past len written" : "encrypt: bytes past len written";
		if (!untouched(buf + len, INL_GUARD))
			goto out;
		what = i ? "decrypt: next IV" : "encrypt: next IV";
		if (c->ivlen && memcmp(civ, niv, 16))
			goto out;
		/* part 2: the IV the session carries */
		memset(buf, 0xa5, tot + INL_GUARD);
		if (in_place)
			memcpy(buf, in + len, INL_TAIL);
		r = cdev_crypt(cfd, ses, op, 0, in_place ? buf : in + len, buf, INL_TAIL, NULL,
			       NULL);
		what = i ? "decrypt, carried IV" : "encrypt, carried IV";
		if (r)
			goto out;
		r = -EBADMSG;
		if (memcmp(buf, want + len, INL_TAIL) || !untouched(buf + INL_TAIL, INL_GUARD))
			goto out;
	}
	fail = 0;
out:
	if (fail)
		cdev_note("%s %zu B %s: %s: %s", c->name, len, in_place ? "in place" : "out of place",
			  what, r ? strerror(-r) : "failed");
	free(pt);
	free(ref);
	free(buf);
	return fail;
}

/*
 * Data up to inline_max bytes travels inside the request, longer data in
 * bounce pages (or pinned from 4 KiB): each cipher at the lengths around
 * the limit (0, non-block CTR tails, in and out of place), for the
 * module's default limit, 0 (bounce pages only) and 100 (mid-block).
 */
static void cmd_inline(void)
{
	static const int deltas[] = {-33, -32, -31, -17, -16, -15, -4, -1, 0, 1, 12, 15, 16, 17, 31, 33};
	static const size_t fixed[] = {0, 1, 15, 16, 17, 4095, 4096, 4097};
	long def = param("inline_max"), lims[3];
	unsigned int li, k, p, d;
	uint64_t seed = 7000;

	cdev_ok(def > 0, "inline_max readable: %ld", def);
	if (def <= 0)
		return;
	lims[0] = def;
	lims[1] = 0;
	lims[2] = 100;
	for (li = 0; li < NELEM(lims); li++) {
		if (!setparam("inline_max", lims[li])) {
			cdev_ok(0, "set inline_max to %ld", lims[li]);
			continue;
		}
		for (k = 0; k < NELEM(calgs); k++) {
			const struct calg *c = &calgs[k];
			uint8_t key[32];
			uint32_t ses;
			int r;

			cdev_fill(key, sizeof(key), seed++);
			r = cdev_session(cfd, c->cop, key, c->keylen, 0, NULL, 0, &ses);
			if (r) {
				cdev_ok(0, "inline_max %ld: %s session: %s", lims[li], c->name,
					strerror(-r));
				continue;
			}
			for (p = 0; p < 2; p++) {
				unsigned int n = 0, bad = 0;

				for (d = 0; d < NELEM(fixed) + NELEM(deltas); d++) {
					long len = d < NELEM(fixed) ? (long)fixed[d] :
								      lims[li] + deltas[d - NELEM(fixed)];

					if (len < 0 || len % c->block)
						continue;
					bad += inline_len(c, ses, key, (size_t)len, p, seed++);
					n++;
				}
				cdev_ok(!bad,
					"inline_max %ld: %s, %u lengths (0..17, 4095..4097, %ld-33..%ld+33), %s: "
					"= %s, next IV, nothing past len written",
					lims[li], c->name, n, lims[li], lims[li],
					p ? "in place" : "out of place", REF);
			}
			cdev_free(cfd, ses);
		}
	}
	cdev_ok(setparam("inline_max", def) && param("inline_max") == def,
		"inline_max back to %ld", def);
}

/* ---- poll: hybrid polling of synchronous requests (module poll_us) ---- */

static unsigned int poll_seconds = 3;

/*
 * Every number of a per-device statistic (one per data queue), or the
 * number after @field in it ("spins 3 hits 2 ..."), summed over the
 * bound devices; -1 if none is readable.
 */
static long long devsum(const char *name, const char *field)
{
	char path[160], word[32];
	long long v, sum = -1;
	unsigned int i;
	FILE *f;

	for (i = 0; i < 64; i++) {
		snprintf(path, sizeof(path), "/sys/bus/virtio/devices/virtio%u/%s", i, name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (sum < 0)
			sum = 0;
		if (!field) {
			while (fscanf(f, "%lld", &v) == 1)
				sum += v;
		} else {
			while (fscanf(f, "%31s %lld", word, &v) == 2)
				if (!strcmp(word, field))
					sum += v;
		}
		fclose(f);
	}
	return sum;
}

/* xorshift of a thread's own */
static uint32_t prnd(uint64_t *s, uint32_t n)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return n ? (uint32_t)(*s >> 11) % n : 0;
}

#ifndef CDEV_NO_OPENSSL
/* AES-128-GCM, 12-byte IV, 16-byte tag: out = C || T; 0 or -EIO. */
static int ref_gcm128(const uint8_t *key, const uint8_t *iv, const uint8_t *aad, size_t alen,
		      const uint8_t *pt, size_t len, uint8_t *out)
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int n = 0, ok;

	ok = ctx && EVP_EncryptInit_ex(ctx, EVP_aes_128_gcm(), NULL, NULL, NULL) &&
	     EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, 12, NULL) &&
	     EVP_EncryptInit_ex(ctx, NULL, NULL, key, iv) &&
	     (alen == 0 || EVP_EncryptUpdate(ctx, NULL, &n, aad, (int)alen)) &&
	     (len == 0 || EVP_EncryptUpdate(ctx, out, &n, pt, (int)len)) &&
	     EVP_EncryptFinal_ex(ctx, out + len, &n) &&
	     EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, 16, out + len);
	EVP_CIPHER_CTX_free(ctx);
	return ok ? 0 : -EIO;
}
#endif

#define POLL_BUF (16384 + 64)

/*
 * One thread of synchronous requests, each checked against the reference:
 * AES-CBC and AES-CTR (mostly small, copied; now and then 4-16 KiB,
 * pinned), in and out of place; with MAC sessions HMAC-SHA256 and SHA-1;
 * AES-128-GCM through CIOCAUTHCRYPT (OpenSSL builds).
 */
struct pworker {
	pthread_t th;
	int fd;
	unsigned int id;
	uint64_t rng;
	int mac;
	volatile int *stop;
	long reqs, bad, eintr;
	char why[200];
	uint32_t cbc, ctr, hmac, sha1, gcm;
	uint8_t kcbc[16], kctr[16], khmac[32], kgcm[16];
	uint8_t *src, *dst, *ref;
};

static void pw_bad(struct pworker *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void pw_bad(struct pworker *w, const char *fmt, ...)
{
	va_list ap;

	if (!w->bad++) {
		va_start(ap, fmt);
		vsnprintf(w->why, sizeof(w->why), fmt, ap);
		va_end(ap);
	}
}

/* 0 ok, else the failure is recorded in @w */
static int pw_one(struct pworker *w)
{
	uint32_t kind = prnd(&w->rng, w->mac ? 5 : 3), len;
	int big = !prnd(&w->rng, 16), in_place = prnd(&w->rng, 2), enc = prnd(&w->rng, 2), r;
	uint8_t iv[16], ivc[16], mac[64], ref[64], *out = in_place ? w->dst : w->dst + 32;
	const struct halg *h;
	const char *what;

	cdev_fill(w->src, POLL_BUF, ((uint64_t)w->id << 40) ^ w->rng);
	cdev_fill(iv, sizeof(iv), w->rng + 1);
	memcpy(ivc, iv, 16);
	switch (kind) {
	case 0: /* AES-128-CBC */
	case 1: /* AES-128-CTR */
		if (kind == 0)
			len = 16 * (big ? 256 + prnd(&w->rng, 769) : 1 + prnd(&w->rng, 16));
		else
			len = big ? 4096 + prnd(&w->rng, 12289) : 1 + prnd(&w->rng, 300);
		what = kind == 0 ? "AES-128-CBC" : "AES-128-CTR";
		if (ref_cipher(&calgs[kind == 0 ? 0 : 2], kind == 0 ? w->kcbc : w->kctr, iv, enc,
			       w->src, w->ref, len)) {
			pw_bad(w, "%s: reference failed", what);
			return -1;
		}
		if (in_place)
			memcpy(out, w->src, len);
		r = cdev_crypt(w->fd, kind == 0 ? w->cbc : w->ctr, enc ? COP_ENCRYPT : COP_DECRYPT,
			       0, in_place ? out : w->src, out, len, ivc, NULL);
		if (!r && memcmp(out, w->ref, len)) {
			pw_bad(w, "%s %s %u B %s: differs from " REF, what, enc ? "enc" : "dec",
			       len, in_place ? "in place" : "out of place");
			return -1;
		}
		break;
	case 2: /* AES-128-GCM, CIOCAUTHCRYPT */
#ifndef CDEV_NO_OPENSSL
	{
		struct crypt_auth_op ca;

		len = big ? 4096 + prnd(&w->rng, 8192) : prnd(&w->rng, 300);
		what = "AES-128-GCM";
		if (ref_gcm128(w->kgcm, iv, w->src + 16384, 13, w->src, len, w->ref)) {
			pw_bad(w, "%s: reference failed", what);
			return -1;
		}
		memset(&ca, 0, sizeof(ca));
		ca.ses = w->gcm;
		ca.op = COP_ENCRYPT;
		ca.auth_src = w->src + 16384;
		ca.auth_len = 13;
		ca.src = w->src;
		ca.dst = out;
		ca.len = len;
		ca.tag_len = 16;
		ca.iv = ivc;
		ca.iv_len = 12;
		r = ioctl(w->fd, CIOCAUTHCRYPT, &ca) ? -errno : 0;
		if (!r && (ca.len != len + 16 || memcmp(out, w->ref, len + 16))) {
			pw_bad(w, "%s %u B: C || T differs from " REF, what, len);
			return -1;
		}
		break;
	}
#else
		return 0; /* no 32-bit libcrypto: GCM is cdev_aead's */
#endif
	default: /* HMAC-SHA256, SHA-1 */
		h = halg_of(kind == 3 ? CRYPTO_SHA2_256_HMAC : CRYPTO_SHA1);
		what = h->name;
		len = big ? 4096 + prnd(&w->rng, 12289) : prnd(&w->rng, 300);
		if (ref_hash(h, w->khmac, sizeof(w->khmac), w->src, len, ref)) {
			pw_bad(w, "%s: reference failed", what);
			return -1;
		}
		r = cdev_crypt(w->fd, kind == 3 ? w->hmac : w->sha1, COP_ENCRYPT, 0, w->src, NULL,
			       len, NULL, mac);
		if (!r && memcmp(mac, ref, h->dlen)) {
			pw_bad(w, "%s %u B: differs from " REF, what, len);
			return -1;
		}
		break;
	}
	w->reqs++;
	if (r == -EINTR)
		w->eintr++;
	if (r) {
		pw_bad(w, "%s %u B: %s", what, len, strerror(-r));
		return -1;
	}
	return 0;
}

static void *pw_run(void *arg)
{
	struct pworker *w = arg;

	while (!*w->stop && w->bad < 10)
		pw_one(w);
	return NULL;
}

/* Sessions of a worker on @fd; 0, or -errno (recorded in @w). */
static int pw_init(struct pworker *w, int fd, unsigned int id, volatile int *stop)
{
	int r;

	memset(w, 0, sizeof(*w));
	w->fd = fd;
	w->id = id;
	w->stop = stop;
	w->rng = rng_state ^ ((uint64_t)id * 0x9e3779b97f4a7c15ull) ^ 1;
	w->src = malloc(POLL_BUF);
	w->dst = malloc(POLL_BUF + 64);
	w->ref = malloc(POLL_BUF + 64);
	if (!w->src || !w->dst || !w->ref)
		return -ENOMEM;
	cdev_fill(w->kcbc, 16, 100 + id);
	cdev_fill(w->kctr, 16, 200 + id);
	cdev_fill(w->khmac, 32, 300 + id);
	cdev_fill(w->kgcm, 16, 400 + id);
	r = cdev_session(fd, CRYPTO_AES_CBC, w->kcbc, 16, 0, NULL, 0, &w->cbc);
	if (!r)
		r = cdev_session(fd, CRYPTO_AES_CTR, w->kctr, 16, 0, NULL, 0, &w->ctr);
#ifndef CDEV_NO_OPENSSL
	if (!r)
		r = cdev_session(fd, CRYPTO_AES_GCM, w->kgcm, 16, 0, NULL, 0, &w->gcm);
#endif
	if (!r && !builtin) {
		r = cdev_session(fd, 0, NULL, 0, CRYPTO_SHA2_256_HMAC, w->khmac, 32, &w->hmac);
		if (!r)
			r = cdev_session(fd, 0, NULL, 0, CRYPTO_SHA1, NULL, 0, &w->sha1);
		w->mac = !r;
	}
	if (r)
		pw_bad(w, "CIOCGSESSION: %s", strerror(-r));
	return r;
}

static void pw_fini(struct pworker *w)
{
	free(w->src);
	free(w->dst);
	free(w->ref);
}

static volatile sig_atomic_t poll_sigs;

static void poll_on_sig(int sig)
{
	(void)sig;
	poll_sigs++;
}

struct psignaller {
	pthread_t target;
	volatile int *stop;
	long sent;
};

/* SIGUSR1 at the target thread every 100-400 us until told to stop */
static void *ps_run(void *arg)
{
	struct psignaller *s = arg;

	while (!*s->stop) {
		pthread_kill(s->target, SIGUSR1);
		s->sent++;
		usleep(100 + (unsigned int)(s->sent % 4) * 100);
	}
	return NULL;
}

/*
 * Async jobs and synchronous requests on the same queues: the thread
 * queues 1-16 AES-CBC jobs on two sessions (one per device: sessions go
 * round robin), then makes a synchronous request on each of two sessions
 * created right after them (the same two devices), whose spinner may
 * return the jobs, then fetches every job (poll() for readiness): each
 * exactly once, in order, its output equal to the reference.
 */
#define PA_JOBS 16
struct pasync {
	pthread_t th;
	int fd;
	uint32_t as[2], ss[2];
	uint8_t key[16];
	volatile int *stop;
	uint64_t rng;
	long jobs, fetched, syncs, bad;
	char why[200];
};

static void pa_bad(struct pasync *a, const char *what, int r)
{
	if (!a->bad++)
		snprintf(a->why, sizeof(a->why), "%s: %s", what, r ? strerror(-r) : "differs");
}

static void *pa_run(void *arg)
{
	struct pasync *a = arg;
	static const size_t cap = 256;
	uint8_t *src = malloc(PA_JOBS * cap), *dst = malloc(PA_JOBS * cap), ref[256];
	uint8_t iv[PA_JOBS][16], ivs[16], sbuf[64], sout[64];
	uint32_t lens[PA_JOBS];

	if (!src || !dst) {
		pa_bad(a, "malloc", -ENOMEM);
		goto out;
	}
	while (!*a->stop && a->bad < 10) {
		unsigned int n = 1 + prnd(&a->rng, PA_JOBS), i, got = 0, k;
		struct crypt_op cop;
		int r;

		for (i = 0; i < n; i++) {
			lens[i] = 16 * (1 + prnd(&a->rng, (uint32_t)(cap / 16)));
			cdev_fill(src + i * cap, lens[i], a->rng + i);
			cdev_fill(iv[i], 16, a->rng + 100 + i);
			memset(&cop, 0, sizeof(cop));
			cop.ses = a->as[i % 2];
			cop.op = COP_ENCRYPT;
			cop.len = lens[i];
			cop.src = src + i * cap;
			cop.dst = dst + i * cap;
			cop.iv = iv[i];
			r = ioctl(a->fd, CIOCASYNCCRYPT, &cop) ? -errno : 0;
			if (r) {
				pa_bad(a, "CIOCASYNCCRYPT", r);
				break;
			}
			a->jobs++;
		}
		/* the synchronous requests behind them, on the same devices */
		for (k = 0; k < 2; k++) {
			cdev_fill(sbuf, 64, a->rng + 7);
			cdev_fill(ivs, 16, a->rng + 8);
			if (ref_cipher(&calgs[0], a->key, ivs, 1, sbuf, ref, 64)) {
				pa_bad(a, "reference", -EIO);
				continue;
			}
			r = cdev_crypt(a->fd, a->ss[k], COP_ENCRYPT, 0, sbuf, sout, 64, ivs, NULL);
			a->syncs++;
			if (r || memcmp(sout, ref, 64))
				pa_bad(a, "synchronous request behind async jobs", r);
		}
		while (got < i) {
			struct pollfd pfd = {.fd = a->fd, .events = POLLIN};

			memset(&cop, 0, sizeof(cop));
			r = ioctl(a->fd, CIOCASYNCFETCH, &cop) ? -errno : 0;
			if (r == -EBUSY) {
				if (poll(&pfd, 1, 5000) <= 0) {
					pa_bad(a, "poll for a job (5 s)", -ETIMEDOUT);
					goto out;
				}
				continue;
			}
			if (r) {
				pa_bad(a, "CIOCASYNCFETCH", r);
				got++;
				continue;
			}
			/* in the order queued, each once */
			if (cop.dst != dst + got * cap || cop.len != lens[got]) {
				pa_bad(a, "CIOCASYNCFETCH: not the next job queued", 0);
				goto out;
			}
			a->fetched++;
			if (ref_cipher(&calgs[0], a->key, iv[got], 1, src + got * cap, ref,
				       lens[got]) ||
			    memcmp(dst + got * cap, ref, lens[got]))
				pa_bad(a, "async job's output", 0);
			got++;
		}
		memset(&cop, 0, sizeof(cop));
		r = ioctl(a->fd, CIOCASYNCFETCH, &cop) ? -errno : 0;
		if (r != -EBUSY)
			pa_bad(a, "CIOCASYNCFETCH after the last job (want EBUSY)",
			       r ? r : -EEXIST);
	}
out:
	free(src);
	free(dst);
	return NULL;
}

/* poll_us, 8 threads, async jobs, signals, a killed process; see usage */
static void cmd_poll(void)
{
	long us = param("poll_us");
	long long s0, h0, o0, r0, ds, dh, dr, dq, dc;
	struct pworker w[8], one;
	struct psignaller sg = {0};
	struct pasync pa;
	volatile int stop = 0;
	struct sigaction sa;
	pthread_t sth;
	unsigned int i, nw = 8;
	long reqs = 0, bad = 0, eintr = 0, i1;
	int fd2 = -1, r, t, infl, kbad = 0;
	pid_t pid;
	double t0;

	cdev_ok(us >= 0, "poll: module parameter poll_us is there (%ld us)", us);
	if (us < 0)
		return;

	/* one thread, one request at a time: where the spin is meant to pay */
	s0 = devsum("vcdev_poll", "spins");
	h0 = devsum("vcdev_poll", "hits");
	r = pw_init(&one, cfd, 99, &stop);
	for (i1 = 0; !r && i1 < 400 && !one.bad; i1++)
		pw_one(&one);
	ds = devsum("vcdev_poll", "spins") - s0;
	dh = devsum("vcdev_poll", "hits") - h0;
	cdev_ok(!r && !one.bad && !one.eintr,
		"poll_us=%ld, 1 thread: %ld requests (ciphers, GCM%s) equal to " REF " (%s)", us,
		one.reqs, one.mac ? ", HMAC, SHA-1" : "", one.bad ? one.why : "ok");
	if (!us)
		cdev_ok(ds == 0, "poll_us=0: no spin (%lld spins)", ds);
	else if (us >= 1000)
		cdev_ok(dh > 0,
			"poll_us=%ld, 1 thread: spins saw their requests back (%lld of %lld)", us,
			dh, ds);
	else
		cdev_note("poll_us=%ld, 1 thread: %lld of %lld spins saw their request back", us,
			  dh, ds);
	if (!r) {
		cdev_free(cfd, one.cbc);
		cdev_free(cfd, one.ctr);
		if (one.gcm)
			cdev_free(cfd, one.gcm);
		if (one.mac) {
			cdev_free(cfd, one.hmac);
			cdev_free(cfd, one.sha1);
		}
	}
	pw_fini(&one);

	/* 8 threads (half on a second fd), one hit by signals, an async thread */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = poll_on_sig; /* no SA_RESTART: CIOCCRYPT must not fail with EINTR */
	sigaction(SIGUSR1, &sa, NULL);
	poll_sigs = 0;
	fd2 = cdev_open();
	if (fd2 < 0) {
		cdev_ok(0, "poll: second open: %s", strerror(-fd2));
		return;
	}
	memset(&pa, 0, sizeof(pa));
	pa.fd = cdev_open();
	pa.stop = &stop;
	pa.rng = rng_state ^ 0x5151;
	cdev_fill(pa.key, 16, 77);
	r = pa.fd < 0 ? pa.fd : 0;
	/* consecutive: async session i and sync session i on the same device */
	for (i = 0; !r && i < 2; i++)
		r = cdev_session(pa.fd, CRYPTO_AES_CBC, pa.key, 16, 0, NULL, 0, &pa.as[i]);
	for (i = 0; !r && i < 2; i++)
		r = cdev_session(pa.fd, CRYPTO_AES_CBC, pa.key, 16, 0, NULL, 0, &pa.ss[i]);
	cdev_ok(!r, "poll: async thread's sessions (%s)", r ? strerror(-r) : "ok");
	if (r) {
		close(fd2);
		if (pa.fd >= 0)
			close(pa.fd);
		return;
	}
	s0 = devsum("vcdev_poll", "spins");
	h0 = devsum("vcdev_poll", "hits");
	o0 = devsum("vcdev_poll", "others");
	r0 = devsum("vcdev_poll", "reaped");
	for (i = 0; i < nw; i++)
		if (pw_init(&w[i], i % 2 ? fd2 : cfd, i, &stop)) {
			cdev_ok(0, "poll: worker %u: %s", i, w[i].why);
			nw = i;
			break;
		}
	/*
	 * First 1 s of the async thread and two workers only: one spins, the
	 * others' requests and jobs come back through it (and must wake their
	 * owners: a lost wake-up shows as a worker stuck, or poll() timing out).
	 */
	t0 = cdev_now();
	pthread_create(&pa.th, NULL, pa_run, &pa);
	for (i = 0; i < nw && i < 2; i++)
		pthread_create(&w[i].th, NULL, pw_run, &w[i]);
	/* 1 s; at poll_us >= 1000 up to 5 s until the spin returned others' */
	do {
		usleep(50000);
		dr = devsum("vcdev_poll", "others") - o0;
	} while (cdev_now() - t0 < 1 || (us >= 1000 && !dr && cdev_now() - t0 < 5));
	ds = devsum("vcdev_poll", "spins") - s0;
	if (us >= 1000)
		cdev_ok(dr > 0,
			"poll_us=%ld: 2 threads + async jobs: spinners returned %lld requests of "
			"other tasks or async jobs (%lld spins)",
			us, dr, ds);
	else
		cdev_note("poll_us=%ld: 2 threads + async jobs: %lld spins, %lld others' requests "
			  "returned by them",
			  us, ds, dr);
	for (; i < nw; i++)
		pthread_create(&w[i].th, NULL, pw_run, &w[i]);
	if (nw) {
		sg.target = w[0].th;
		sg.stop = &stop;
		pthread_create(&sth, NULL, ps_run, &sg);
	}
	t0 = cdev_now();
	while (cdev_now() - t0 < poll_seconds)
		usleep(100000);
	stop = 1;
	if (nw)
		pthread_join(sth, NULL);
	pthread_join(pa.th, NULL);
	for (i = 0; i < nw; i++) {
		pthread_join(w[i].th, NULL);
		reqs += w[i].reqs;
		bad += w[i].bad;
		eintr += w[i].eintr;
		if (w[i].bad)
			cdev_note("worker %u: %s", i, w[i].why);
	}
	cdev_ok(nw == 8 && !bad && reqs > 0,
		"poll_us=%ld, 8 threads on 2 fds for %u s: %ld requests, each equal to " REF
		" (%ld bad)",
		us, poll_seconds, reqs, bad);
	cdev_ok(nw && !w[0].bad && !eintr && poll_sigs > 0,
		"poll_us=%ld: a thread hit by %ld SIGUSR1s (handler, no SA_RESTART; %d "
		"handled) made %ld requests, none failed or gave EINTR",
		us, sg.sent, (int)poll_sigs, nw ? w[0].reqs : 0);
	cdev_ok(!pa.bad && pa.jobs > 0 && pa.fetched == pa.jobs,
		"poll_us=%ld: async jobs among synchronous requests: %ld queued, %ld fetched once "
		"each in order, equal to " REF "; %ld synchronous requests behind them (%s)",
		us, pa.jobs, pa.fetched, pa.syncs, pa.bad ? pa.why : "ok");
	ds = devsum("vcdev_poll", "spins") - s0;
	dh = devsum("vcdev_poll", "hits") - h0;
	dr = devsum("vcdev_poll", "reaped") - r0;
	cdev_note("poll_us=%ld, 8 threads + async: %lld spins, %lld saw their request back; "
		  "spinners returned %lld requests, %lld of them others' or async jobs",
		  us, ds, dh, dr, devsum("vcdev_poll", "others") - o0);
	if (!us)
		cdev_ok(ds == 0 && dr == 0, "poll_us=0: no spin under load (%lld spins)", ds);
	for (i = 0; i < nw; i++)
		pw_fini(&w[i]);
	signal(SIGUSR1, SIG_IGN);
	close(fd2);
	close(pa.fd);

	/* a process killed with its threads spinning or asleep on requests */
	pid = fork();
	if (pid == 0) {
		struct pworker k[4];
		int kfd = cdev_open();
		volatile int never = 0;

		if (kfd < 0)
			_exit(1);
		for (i = 0; i < 4; i++) {
			if (pw_init(&k[i], kfd, 50 + i, &never))
				_exit(1);
			pthread_create(&k[i].th, NULL, pw_run, &k[i]);
		}
		pause();
		_exit(0);
	}
	usleep(700000);
	if (pid > 0)
		kill(pid, SIGKILL);
	waitpid(pid, &t, 0);
	cdev_ok(pid > 0 && WIFSIGNALED(t) && WTERMSIG(t) == SIGKILL,
		"poll_us=%ld: a process with 4 threads of requests killed with SIGKILL", us);

	/* every request came back exactly once: returned = submitted */
	for (infl = -1, i = 0; i < 100; i++) {
		infl = (int)devsum("vcdev_inflight", NULL);
		if (infl == 0)
			break;
		usleep(100000);
	}
	dq = devsum("vcdev_requests", NULL);
	dc = devsum("vcdev_completed", NULL);
	kbad = infl != 0 || dq != dc || dq <= 0;
	cdev_ok(!kbad,
		"poll_us=%ld: every request returned exactly once: %lld submitted, %lld completed, "
		"%d in flight",
		us, dq, dc, infl);
}

int main(int argc, char **argv)
{
	int i, ran = 0;

	rng_state = (uint64_t)time(NULL) * 2654435761u + 1;
	for (i = 1; i < argc; i++) {
		const char *c = argv[i];

		if (!strcmp(c, "--builtin")) {
			builtin = 1;
			continue;
		}
		if (!strcmp(c, "--seed") && i + 1 < argc) {
			rng_state = strtoull(argv[++i], NULL, 0) | 1;
			continue;
		}
		if (!strcmp(c, "--poll-seconds") && i + 1 < argc) {
			poll_seconds = (unsigned int)atoi(argv[++i]);
			continue;
		}
		if (!strcmp(c, "-T") && i + 1 < argc) {
			race_seconds = (unsigned int)atoi(argv[++i]);
			continue;
		}
		if (!strcmp(c, "--help")) {
			usage(stdout);
			return 0;
		}
		if (cfd < 0) {
			cfd = cdev_open();
			if (cfd < 0) {
				cdev_ok(0, "open /dev/crypto: %s", strerror(-cfd));
				return 1;
			}
			cdev_note("cdev_compat (%s references), seed %llu", REF,
				  (unsigned long long)rng_state);
		}
		ran++;
		if (!strcmp(c, "hash"))
			cmd_hash();
		else if (!strcmp(c, "cphash"))
			cmd_cphash();
		else if (!strcmp(c, "chain"))
			cmd_chain();
		else if (!strcmp(c, "null"))
			cmd_null();
		else if (!strcmp(c, "errors"))
			cmd_errors();
		else if (!strcmp(c, "caps"))
			cmd_caps();
		else if (!strcmp(c, "race"))
			cmd_race();
		else if (!strcmp(c, "bighash"))
			cmd_bighash();
		else if (!strcmp(c, "inline"))
			cmd_inline();
		else if (!strcmp(c, "poll"))
			cmd_poll();
		else {
			usage(stderr);
			return 2;
		}
	}
	if (!ran) {
		usage(stderr);
		return 2;
	}
	close(cfd);
	return cdev_failures() ? 1 : 0;
}
