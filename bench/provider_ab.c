// SPDX-License-Identifier: MIT
/*
 * provider_ab: the vcrypto provider against the default provider and raw
 * /dev/crypto in one process, for bench/provider_bench.sh (run in a guest
 * on Debian's dynamic libcrypto, as openssl speed is).
 *
 * Separate `openssl speed` runs on a shared host drift by more than the
 * 5-10% the targets are about; here the configurations take turns in
 * short slices (round k starts at configuration k mod n, so none is always
 * first), and each round's ratio pairs slices a fraction of a second apart:
 * drift of the host's load cancels within a round. The loops are speed's:
 * streaming EVP_EncryptUpdate on one context (padding off) for ciphers,
 * one-shot EVP_Digest for sha256, EVP_MAC init/update/final on one context
 * (16-byte key) for hmac-sha256; raw is one CIOCCRYPT per message (CBC, SHA,
 * HMAC) or CIOCAUTHCRYPT with 13 bytes of AAD and the tag (GCM), as
 * cdev_bench does for the speed table's raw column.
 *
 * Before the rounds of each size, every configuration's timed code runs once
 * on a known input and its output is compared with the default provider's,
 * so a broken path cannot look fast. One line per size:
 *   AB alg=A size=N rounds=K slice_ms=S CFG_ops=OPS/S ...
 *      vs_CFG=MEDIAN vs_CFG_q1=Q1 vs_CFG_q3=Q3 ...
 * where vs_CFG is vcrypto's rate over CFG's in the same round (median and
 * quartiles over the rounds) and CFG_ops the median operations per second.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/provider.h>

#include "crypto/cryptodev.h"

#define PAB_MAX_SIZE 65536
#define PAB_MAX_ROUNDS 1000
#define PAB_AAD_LEN 13 /* a TLS pseudo-header, as cdev_bench */
#define PAB_TAG_LEN 16
#define PAB_HMAC_KEY_LEN 16 /* speed's HMAC key */
#define PAB_MD_LEN 32 /* SHA-256, the digest of both sha256 and hmac-sha256 */
#define PAB_NCFG 3

enum pab_type { PAB_CIPHER, PAB_DIGEST, PAB_HMAC };

struct pab_alg {
	const char *name; /* as bench/provider_bench.sh (and speed) name it */
	enum pab_type type;
	const char *evp; /* the EVP fetch name (HMAC: its digest) */
	uint32_t cdev_cipher, cdev_mac;
	unsigned int ivlen;
};

static const struct pab_alg pab_algs[] = {
	{"aes-128-cbc", PAB_CIPHER, "AES-128-CBC", CRYPTO_AES_CBC, 0, 16},
	{"aes-128-gcm", PAB_CIPHER, "AES-128-GCM", CRYPTO_AES_GCM, 0, 12},
	{"sha256", PAB_DIGEST, "SHA256", 0, CRYPTO_SHA2_256, 0},
	{"hmac-sha256", PAB_HMAC, "SHA256", 0, CRYPTO_SHA2_256_HMAC, 0},
};

enum pab_kind { PAB_DEFAULT, PAB_VCRYPTO, PAB_RAW };
static const char *const pab_kind_names[] = {"default", "vcrypto", "raw"};

/* One configuration: its own library context (or /dev/crypto session) and its rates. */
struct pab_cfg {
	enum pab_kind kind;
	OSSL_LIB_CTX *lib;
	EVP_CIPHER *cipher;
	EVP_MD *md;
	EVP_MAC *mac;
	int fd;
	uint32_t ses;
	double rate[PAB_MAX_ROUNDS]; /* operations per second, one per round */
};

/* What one slice keeps between batches: the context speed's loop uses. */
struct pab_slice {
	EVP_CIPHER_CTX *cctx;
	EVP_MAC_CTX *mctx;
};

struct pab {
	const struct pab_alg *alg;
	struct pab_cfg cfg[PAB_NCFG];
	int ncfg;
	int vc; /* index of vcrypto in cfg */
	double slice_s;
	int rounds;
	unsigned char *buf; /* the message, ciphers encrypt it in place */
	unsigned char *out; /* raw's output (and GCM's tag) */
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned char key[16], iv[16], hkey[PAB_HMAC_KEY_LEN], aad[PAB_AAD_LEN];
	int ioctl_errno; /* of raw's last failed ioctl */
};

static const char *prog = "provider_ab";

static int usage(FILE *f)
{
	fprintf(f,
		"usage: provider_ab [-s SLICE_MS] [-r ROUNDS] [-c CONFIGS] ALG SIZE...\n"
		"  Times the vcrypto provider against other configurations in one process,\n"
		"  in interleaved slices of speed's loops, and prints per SIZE (bytes, a\n"
		"  multiple of 16, at most %d):\n"
		"    AB alg=ALG size=N rounds=K slice_ms=S CFG_ops=OPS/S... vs_CFG=R vs_CFG_q1=Q1 "
		"vs_CFG_q3=Q3...\n"
		"  vs_CFG: vcrypto's rate over CFG's in the same round, median and quartiles\n"
		"  over the K rounds; CFG_ops: the configuration's median operations/s.\n"
		"  ALG: aes-128-cbc, aes-128-gcm, sha256, hmac-sha256\n"
		"  -s SLICE_MS  length of one configuration's slice (default 100)\n"
		"  -r ROUNDS    rounds; each runs every configuration once (default 15, max %d)\n"
		"  -c CONFIGS   comma-separated, vcrypto and at least one other (default\n"
		"               default,vcrypto,raw):\n"
		"                 default  the default provider alone, in its own library context\n"
		"                 vcrypto  default + vcrypto in another, propquery provider=vcrypto\n"
		"                 raw      /dev/crypto without OpenSSL (CIOCCRYPT; GCM: CIOCAUTHCRYPT\n"
		"                          with 13 bytes of AAD and the tag)\n"
		"  The provider reads VCRYPTO_MIN_OFFLOAD once per process: run once per value.\n"
		"  Exit status 1 when a configuration cannot be set up, fails an operation or\n"
		"  computes a result that differs from the default provider's; 2 on bad usage.\n",
		PAB_MAX_SIZE, PAB_MAX_ROUNDS);
	return f == stdout ? 0 : 2;
}

/* Prints "provider_ab: ALG SIZE CFG: what", then OpenSSL's error queue. */
static void pab_err(const struct pab *p, size_t n, const struct pab_cfg *c, const char *what)
{
	unsigned long e;

	fprintf(stderr, "%s: %s", prog, p->alg ? p->alg->name : "");
	if (n)
		fprintf(stderr, " %zu B", n);
	if (c)
		fprintf(stderr, " %s", pab_kind_names[c->kind]);
	fprintf(stderr, ": %s\n", what);
	while ((e = ERR_get_error()))
		fprintf(stderr, "%s:   %s\n", prog, ERR_error_string(e, NULL));
}

static double pab_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Opens the configuration: its library context and algorithm, or a /dev/crypto session. */
static int pab_cfg_open(struct pab *p, struct pab_cfg *c)
{
	const struct pab_alg *a = p->alg;
	const char *pq = c->kind == PAB_VCRYPTO ? "provider=vcrypto" : "provider=default";
	struct session_op sop;

	c->fd = -1;
	if (c->kind == PAB_RAW) {
		c->fd = open("/dev/crypto", O_RDWR | O_CLOEXEC);
		if (c->fd < 0) {
			pab_err(p, 0, c, "open /dev/crypto failed");
			return -1;
		}
		memset(&sop, 0, sizeof(sop));
		sop.cipher = a->cdev_cipher;
		sop.mac = a->cdev_mac;
		if (a->cdev_cipher) {
			sop.key = p->key;
			sop.keylen = sizeof(p->key);
		}
		if (a->type == PAB_HMAC) {
			sop.mackey = p->hkey;
			sop.mackeylen = sizeof(p->hkey);
		}
		if (ioctl(c->fd, CIOCGSESSION, &sop)) {
			pab_err(p, 0, c, strerror(errno));
			return -1;
		}
		c->ses = sop.ses;
		return 0;
	}
	c->lib = OSSL_LIB_CTX_new();
	if (!c->lib || !OSSL_PROVIDER_load(c->lib, "default") ||
	    (c->kind == PAB_VCRYPTO && !OSSL_PROVIDER_load(c->lib, "vcrypto"))) {
		pab_err(p, 0, c, "cannot load the provider(s)");
		return -1;
	}
	if (a->type == PAB_CIPHER)
		c->cipher = EVP_CIPHER_fetch(c->lib, a->evp, pq);
	else if (a->type == PAB_DIGEST)
		c->md = EVP_MD_fetch(c->lib, a->evp, pq);
	else
		c->mac = EVP_MAC_fetch(c->lib, "HMAC", pq);
	if (!c->cipher && !c->md && !c->mac) {
		pab_err(p, 0, c, "fetch failed");
		return -1;
	}
	return 0;
}

static void pab_cfg_close(struct pab_cfg *c)
{
	EVP_CIPHER_free(c->cipher);
	EVP_MD_free(c->md);
	EVP_MAC_free(c->mac);
	OSSL_LIB_CTX_free(c->lib);
	if (c->fd >= 0)
		close(c->fd);
}

/* Sets up what speed sets up before its loop: a keyed cipher or HMAC context. */
static int pab_slice_begin(struct pab *p, struct pab_cfg *c, struct pab_slice *s)
{
	OSSL_PARAM params[3];

	memset(s, 0, sizeof(*s));
	if (c->cipher) {
		s->cctx = EVP_CIPHER_CTX_new();
		if (!s->cctx || !EVP_EncryptInit_ex2(s->cctx, c->cipher, p->key, p->iv, NULL) ||
		    !EVP_CIPHER_CTX_set_padding(s->cctx, 0))
			return -1;
	} else if (c->mac) {
		/* speed names the digest only; provider=default as the default context does */
		params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
							     (char *)p->alg->evp, 0);
		params[1] = OSSL_PARAM_construct_end();
		s->mctx = EVP_MAC_CTX_new(c->mac);
		if (!s->mctx || !EVP_MAC_init(s->mctx, p->hkey, sizeof(p->hkey), params))
			return -1;
	}
	return 0;
}

static void pab_slice_end(struct pab_slice *s)
{
	EVP_CIPHER_CTX_free(s->cctx);
	EVP_MAC_CTX_free(s->mctx);
}

/* One message through the configuration's timed code; 0 or -1. */
static int pab_op(struct pab *p, struct pab_cfg *c, struct pab_slice *s, size_t n)
{
	struct crypt_auth_op caop;
	struct crypt_op cop;
	size_t mlen;
	int outl;

	if (c->kind == PAB_RAW && p->alg->cdev_cipher == CRYPTO_AES_GCM) {
		memset(&caop, 0, sizeof(caop));
		caop.ses = c->ses;
		caop.op = COP_ENCRYPT;
		caop.auth_src = p->aad;
		caop.auth_len = PAB_AAD_LEN;
		caop.src = p->buf;
		caop.dst = p->out;
		caop.len = n;
		caop.iv = p->iv;
		caop.iv_len = p->alg->ivlen;
		if (ioctl(c->fd, CIOCAUTHCRYPT, &caop)) {
			p->ioctl_errno = errno;
			return -1;
		}
		return 0;
	}
	if (c->kind == PAB_RAW) {
		memset(&cop, 0, sizeof(cop));
		cop.ses = c->ses;
		cop.op = COP_ENCRYPT;
		cop.len = n;
		cop.src = p->buf;
		if (p->alg->cdev_cipher) {
			cop.dst = p->out;
			cop.iv = p->iv;
		} else {
			cop.mac = p->md;
		}
		if (ioctl(c->fd, CIOCCRYPT, &cop)) {
			p->ioctl_errno = errno;
			return -1;
		}
		return 0;
	}
	if (s->cctx) {
		if (!EVP_EncryptUpdate(s->cctx, p->buf, &outl, p->buf, (int)n) || outl != (int)n)
			return -1;
	} else if (s->mctx) {
		if (!EVP_MAC_init(s->mctx, NULL, 0, NULL) || !EVP_MAC_update(s->mctx, p->buf, n) ||
		    !EVP_MAC_final(s->mctx, p->md, &mlen, sizeof(p->md)) || mlen != PAB_MD_LEN)
			return -1;
	} else if (!EVP_Digest(p->buf, n, p->md, NULL, c->md, NULL)) {
		return -1;
	}
	return 0;
}

/*
 * One slice: messages until the slice's time is up, the clock read once per
 * batch (doubled while a batch takes under 0.5 ms, so reading it costs
 * nothing measurable); the rate is over the time actually taken.
 */
static int pab_slice_run(struct pab *p, struct pab_cfg *c, size_t n, double *rate)
{
	struct pab_slice s;
	double t0, t, last, end;
	long ops = 0, batch = 1, i;
	int r = 0;

	if (pab_slice_begin(p, c, &s)) {
		pab_slice_end(&s);
		pab_err(p, n, c, "context setup failed");
		return -1;
	}
	t0 = last = t = pab_now();
	end = t0 + p->slice_s;
	for (;;) {
		for (i = 0; i < batch && !r; i++)
			r = pab_op(p, c, &s, n);
		if (r)
			break;
		ops += batch;
		t = pab_now();
		if (t >= end)
			break;
		if (t - last < 0.0005 && batch < (1L << 20))
			batch *= 2;
		last = t;
	}
	pab_slice_end(&s);
	if (r) {
		pab_err(p, n, c,
			c->kind == PAB_RAW ? strerror(p->ioctl_errno) : "operation failed");
		return -1;
	}
	*rate = (double)ops / (t - t0);
	return 0;
}

/* A known message: the same bytes for every configuration. */
static void pab_fill(unsigned char *b, size_t n)
{
	uint32_t x = 0x9e3779b9;
	size_t i;

	for (i = 0; i < n; i++) {
		x = x * 1103515245 + 12345;
		b[i] = (unsigned char)(x >> 16);
	}
}

/*
 * What raw computes, by the default provider: one message encrypted alone
 * (GCM: with the AAD, ciphertext then tag), or its digest / HMAC.
 */
static int pab_raw_ref(struct pab *p, struct pab_cfg *d, size_t n, unsigned char *ref,
		       size_t *reflen)
{
	struct pab_slice s;
	int outl, ok = 0;

	pab_fill(p->buf, n);
	if (pab_slice_begin(p, d, &s))
		goto out;
	if (s.cctx) {
		if (p->alg->cdev_cipher == CRYPTO_AES_GCM &&
		    !EVP_EncryptUpdate(s.cctx, NULL, &outl, p->aad, PAB_AAD_LEN))
			goto out;
		if (!EVP_EncryptUpdate(s.cctx, ref, &outl, p->buf, (int)n) || outl != (int)n)
			goto out;
		*reflen = n;
		if (p->alg->cdev_cipher == CRYPTO_AES_GCM) {
			if (!EVP_EncryptFinal_ex(s.cctx, ref + n, &outl) ||
			    !EVP_CIPHER_CTX_ctrl(s.cctx, EVP_CTRL_AEAD_GET_TAG, PAB_TAG_LEN,
						 ref + n))
				goto out;
			*reflen += PAB_TAG_LEN;
		}
		ok = 1;
	} else {
		ok = !pab_op(p, d, &s, n);
		*reflen = PAB_MD_LEN;
		memcpy(ref, p->md, *reflen);
	}
out:
	pab_slice_end(&s);
	return ok ? 0 : -1;
}

/*
 * Runs a configuration's timed code on the known message (ciphers: two
 * updates on one context, as the loop streams) and leaves its result in
 * res: the message encrypted in place, raw's output, or the digest.
 */
static int pab_result(struct pab *p, struct pab_cfg *c, size_t n, unsigned char *res,
		      size_t *reslen)
{
	struct pab_slice s;
	int r, k, updates = c->cipher ? 2 : 1;

	pab_fill(p->buf, n);
	memset(p->out, 0, n + PAB_TAG_LEN);
	memset(p->md, 0, sizeof(p->md));
	r = pab_slice_begin(p, c, &s);
	for (k = 0; k < updates && !r; k++)
		r = pab_op(p, c, &s, n);
	pab_slice_end(&s);
	if (r)
		return -1;
	if (c->cipher) {
		memcpy(res, p->buf, n);
		*reslen = n;
	} else if (c->kind == PAB_RAW && p->alg->cdev_cipher) {
		*reslen = n + (p->alg->cdev_cipher == CRYPTO_AES_GCM ? PAB_TAG_LEN : 0);
		memcpy(res, p->out, *reslen);
	} else {
		*reslen = PAB_MD_LEN;
		memcpy(res, p->md, *reslen);
	}
	return 0;
}

/* Every configuration's result on the known message against the default provider's. */
static int pab_check(struct pab *p, struct pab_cfg *d, size_t n)
{
	size_t cap = n + PAB_TAG_LEN + EVP_MAX_MD_SIZE, rlen, glen;
	unsigned char *ref = malloc(cap), *got = malloc(cap);
	struct pab_cfg *c;
	int i, r = -1;

	if (!ref || !got) {
		pab_err(p, n, NULL, "out of memory");
		goto out;
	}
	for (i = 0; i < p->ncfg; i++) {
		c = &p->cfg[i];
		if (c->kind == PAB_DEFAULT)
			continue;
		if (c->kind == PAB_RAW ? pab_raw_ref(p, d, n, ref, &rlen)
				       : pab_result(p, d, n, ref, &rlen)) {
			pab_err(p, n, d, "reference computation failed");
			goto out;
		}
		if (pab_result(p, c, n, got, &glen)) {
			pab_err(p, n, c,
				c->kind == PAB_RAW ? strerror(p->ioctl_errno) : "operation failed");
			goto out;
		}
		if (glen != rlen || memcmp(got, ref, rlen)) {
			pab_err(p, n, c, "result differs from the default provider's");
			goto out;
		}
	}
	r = 0;
out:
	free(ref);
	free(got);
	return r;
}

static int pab_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The q-quantile of v[0..k-1] (sorted), interpolated between neighbours. */
static double pab_quantile(const double *v, int k, double q)
{
	double pos = q * (k - 1);
	int i = (int)pos;

	return i + 1 < k ? v[i] + (pos - i) * (v[i + 1] - v[i]) : v[k - 1];
}

static int pab_size(struct pab *p, struct pab_cfg *d, size_t n)
{
	double v[PAB_MAX_ROUNDS];
	int k, j, i;

	/* the check needs the default provider: its own context even when it is not timed */
	if (pab_check(p, d, n))
		return -1;
	pab_fill(p->buf, n);
	for (k = 0; k < p->rounds; k++) {
		for (j = 0; j < p->ncfg; j++) {
			i = (j + k) % p->ncfg;
			if (pab_slice_run(p, &p->cfg[i], n, &p->cfg[i].rate[k]))
				return -1;
		}
	}
	printf("AB alg=%s size=%zu rounds=%d slice_ms=%.0f", p->alg->name, n, p->rounds,
	       p->slice_s * 1e3);
	for (i = 0; i < p->ncfg; i++) {
		memcpy(v, p->cfg[i].rate, sizeof(double) * p->rounds);
		qsort(v, p->rounds, sizeof(double), pab_cmp);
		printf(" %s_ops=%.0f", pab_kind_names[p->cfg[i].kind],
		       pab_quantile(v, p->rounds, 0.5));
	}
	for (i = 0; i < p->ncfg; i++) {
		if (i == p->vc)
			continue;
		for (k = 0; k < p->rounds; k++)
			v[k] = p->cfg[p->vc].rate[k] / p->cfg[i].rate[k];
		qsort(v, p->rounds, sizeof(double), pab_cmp);
		printf(" vs_%s=%.3f vs_%s_q1=%.3f vs_%s_q3=%.3f", pab_kind_names[p->cfg[i].kind],
		       pab_quantile(v, p->rounds, 0.5), pab_kind_names[p->cfg[i].kind],
		       pab_quantile(v, p->rounds, 0.25), pab_kind_names[p->cfg[i].kind],
		       pab_quantile(v, p->rounds, 0.75));
	}
	printf("\n");
	fflush(stdout);
	return 0;
}

/* Parses CONFIGS into p->cfg; -1 on an unknown, repeated or missing name. */
static int pab_parse_configs(struct pab *p, const char *list)
{
	char *copy = strdup(list), *save = NULL, *tok;
	int seen = 0, k, r = 0;

	if (!copy)
		return -1;
	p->ncfg = 0;
	p->vc = -1;
	for (tok = strtok_r(copy, ",", &save); tok && !r; tok = strtok_r(NULL, ",", &save)) {
		for (k = 0; k < PAB_NCFG && strcmp(tok, pab_kind_names[k]); k++)
			;
		if (k == PAB_NCFG || (seen & (1 << k))) {
			fprintf(stderr, "%s: -c: %s '%s'\n", prog,
				k == PAB_NCFG ? "unknown configuration" : "repeated", tok);
			r = -1;
			break;
		}
		seen |= 1 << k;
		if (k == PAB_VCRYPTO)
			p->vc = p->ncfg;
		p->cfg[p->ncfg++].kind = k;
	}
	free(copy);
	if (!r && (p->vc < 0 || p->ncfg < 2)) {
		fprintf(stderr, "%s: -c: vcrypto and at least one other configuration\n", prog);
		r = -1;
	}
	return r;
}

int main(int argc, char **argv)
{
	static struct pab p; /* the rates are large: not on the stack */
	struct pab_cfg dref = {.kind = PAB_DEFAULT, .fd = -1}, *d = &dref;
	const char *configs = "default,vcrypto,raw";
	double slice_ms = 100;
	int opt, i, a, r = 1;
	char *end;

	if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")))
		return usage(stdout);
	p.rounds = 15;
	while ((opt = getopt(argc, argv, "hs:r:c:")) != -1) {
		switch (opt) {
		case 'h':
			return usage(stdout);
		case 's':
			slice_ms = strtod(optarg, &end);
			if (*end || !(slice_ms >= 1 && slice_ms <= 10000)) {
				fprintf(stderr, "%s: -s: slice of 1..10000 ms\n", prog);
				return 2;
			}
			break;
		case 'r':
			p.rounds = (int)strtol(optarg, &end, 10);
			if (*end || p.rounds < 1 || p.rounds > PAB_MAX_ROUNDS) {
				fprintf(stderr, "%s: -r: 1..%d rounds\n", prog, PAB_MAX_ROUNDS);
				return 2;
			}
			break;
		case 'c':
			configs = optarg;
			break;
		default:
			return usage(stderr);
		}
	}
	if (argc - optind < 2)
		return usage(stderr);
	if (pab_parse_configs(&p, configs))
		return 2;
	for (i = 0; i < (int)(sizeof(pab_algs) / sizeof(pab_algs[0])); i++)
		if (!strcmp(argv[optind], pab_algs[i].name))
			p.alg = &pab_algs[i];
	if (!p.alg) {
		fprintf(stderr,
			"%s: unknown algorithm '%s' (aes-128-cbc, aes-128-gcm, sha256, "
			"hmac-sha256)\n",
			prog, argv[optind]);
		return 2;
	}
	for (a = optind + 1; a < argc; a++) {
		unsigned long n = strtoul(argv[a], &end, 10);

		if (*end || !n || n % 16 || n > PAB_MAX_SIZE) {
			fprintf(stderr, "%s: size '%s': a multiple of 16 up to %d\n", prog, argv[a],
				PAB_MAX_SIZE);
			return 2;
		}
	}
	p.slice_s = slice_ms / 1e3;
	memset(p.key, 0x07, sizeof(p.key));
	memset(p.iv, 0x09, sizeof(p.iv));
	memset(p.hkey, 0x05, sizeof(p.hkey));
	memset(p.aad, 0x03, sizeof(p.aad));
	p.buf = aligned_alloc(64, PAB_MAX_SIZE + 64);
	p.out = aligned_alloc(64, PAB_MAX_SIZE + 64);
	if (!p.buf || !p.out) {
		fprintf(stderr, "%s: out of memory\n", prog);
		goto out;
	}
	for (i = 0; i < p.ncfg; i++)
		p.cfg[i].fd = -1;
	for (i = 0; i < p.ncfg; i++)
		if (pab_cfg_open(&p, &p.cfg[i]))
			goto out;
	/* the check's reference: the timed default configuration, or one of its own */
	for (i = 0; i < p.ncfg; i++)
		if (p.cfg[i].kind == PAB_DEFAULT)
			d = &p.cfg[i];
	if (d == &dref && pab_cfg_open(&p, d))
		goto out;
	for (a = optind + 1; a < argc; a++)
		if (pab_size(&p, d, strtoul(argv[a], NULL, 10)))
			goto out;
	r = 0;
out:
	for (i = 0; i < p.ncfg; i++)
		pab_cfg_close(&p.cfg[i]);
	pab_cfg_close(&dref);
	free(p.buf);
	free(p.out);
	return r;
}
