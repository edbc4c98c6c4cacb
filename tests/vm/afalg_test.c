// SPDX-License-Identifier: GPL-2.0
/*
 * afalg_test: AES-CBC through the guest kernel's AF_ALG, bound to one driver
 * (the stock virtio_crypto driver by default), checked against NIST SP 800-38A
 * F.2.1-F.2.6 and against the kernel's software cbc(aes-generic) on random
 * buffers. Prints TAP. With --bench, prints throughput rows instead.
 */
#include <errno.h>
#include <getopt.h>
#include <linux/if_alg.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "tap.h"

#ifndef SOL_ALG
#define SOL_ALG 279
#endif

#define AF_CHUNK 16384 /* bytes per sendmsg: AF_ALG's send buffer is bounded */

struct af_cipher {
	int tfm;
	const char *driver;
};

/* Opens an AF_ALG skcipher transform for DRIVER with KEY. Returns 0 or -errno. */
static int af_open(struct af_cipher *c, const char *driver, const uint8_t *key, size_t keylen)
{
	struct sockaddr_alg sa = { .salg_family = AF_ALG, .salg_type = "skcipher" };

	snprintf((char *)sa.salg_name, sizeof(sa.salg_name), "%s", driver);
	c->driver = driver;
	c->tfm = socket(AF_ALG, SOCK_SEQPACKET, 0);
	if (c->tfm < 0)
		return -errno;
	if (bind(c->tfm, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    setsockopt(c->tfm, SOL_ALG, ALG_SET_KEY, key, keylen) < 0) {
		int e = -errno;

		close(c->tfm);
		c->tfm = -1;
		return e;
	}
	return 0;
}

static void af_close(struct af_cipher *c)
{
	if (c->tfm >= 0)
		close(c->tfm);
	c->tfm = -1;
}

/* One operation: OUT = E/D(IN), LEN bytes, with a 16-byte IV. Returns 0 or -errno. */
static int af_crypt(struct af_cipher *c, int encrypt, const uint8_t iv[16], const uint8_t *in,
		    uint8_t *out, size_t len)
{
	char cbuf[CMSG_SPACE(sizeof(uint32_t)) + CMSG_SPACE(sizeof(struct af_alg_iv) + 16)];
	struct msghdr msg = { 0 };
	struct cmsghdr *cm;
	struct af_alg_iv *aiv;
	struct iovec iov;
	size_t off = 0, got = 0;
	int op, ret = 0;

	op = accept(c->tfm, NULL, 0);
	if (op < 0)
		return -errno;
	memset(cbuf, 0, sizeof(cbuf));
	msg.msg_control = cbuf;
	msg.msg_controllen = sizeof(cbuf);
	cm = CMSG_FIRSTHDR(&msg);
	cm->cmsg_level = SOL_ALG;
	cm->cmsg_type = ALG_SET_OP;
	cm->cmsg_len = CMSG_LEN(sizeof(uint32_t));
	*(uint32_t *)CMSG_DATA(cm) = encrypt ? ALG_OP_ENCRYPT : ALG_OP_DECRYPT;
	cm = CMSG_NXTHDR(&msg, cm);
	cm->cmsg_level = SOL_ALG;
	cm->cmsg_type = ALG_SET_IV;
	cm->cmsg_len = CMSG_LEN(sizeof(struct af_alg_iv) + 16);
	aiv = (struct af_alg_iv *)CMSG_DATA(cm);
	aiv->ivlen = 16;
	memcpy(aiv->iv, iv, 16);

	do {
		size_t n = len - off > AF_CHUNK ? AF_CHUNK : len - off;
		ssize_t s;

		iov.iov_base = (void *)(in + off);
		iov.iov_len = n;
		msg.msg_iov = &iov;
		msg.msg_iovlen = 1;
		s = sendmsg(op, &msg, off + n < len ? MSG_MORE : 0);
		if (s < 0) {
			ret = -errno;
			goto out;
		}
		off += (size_t)s;
		msg.msg_control = NULL;
		msg.msg_controllen = 0;
	} while (off < len);

	while (got < len) {
		ssize_t r = read(op, out + got, len - got);

		if (r < 0) {
			ret = -errno;
			goto out;
		}
		if (r == 0) {
			ret = -EIO;
			goto out;
		}
		got += (size_t)r;
	}
out:
	close(op);
	return ret;
}

static int hex2bin(const char *h, uint8_t *b, size_t max)
{
	size_t n = 0;

	while (h[0] && h[1] && n < max) {
		unsigned int v;

		if (sscanf(h, "%2x", &v) != 1)
			return -1;
		b[n++] = (uint8_t)v;
		h += 2;
	}
	return (int)n;
}

/* NIST SP 800-38A, F.2.1 to F.2.6: CBC-AES128/192/256, same IV and plaintext. */
static const char nist_iv[] = "000102030405060708090a0b0c0d0e0f";
static const char nist_pt[] = "6bc1bee22e409f96e93d7e117393172a"
			      "ae2d8a571e03ac9c9eb76fac45af8e51"
			      "30c81c46a35ce411e5fbc1191a0a52ef"
			      "f69f2445df4f9b17ad2b417be66c3710";
static const struct {
	const char *name, *key, *ct;
} nist[] = {
	{ "F.2.1/F.2.2 CBC-AES128", "2b7e151628aed2a6abf7158809cf4f3c",
	  "7649abac8119b246cee98e9b12e9197d5086cb9b507219ee95db113a917678b2"
	  "73bed6b8e3c1743b7116e69e222295163ff1caa1681fac09120eca307586e1a7" },
	{ "F.2.3/F.2.4 CBC-AES192", "8e73b0f7da0e6452c810f32b809079e562f8ead2522c6b7b",
	  "4f021db243bc633d7178183a9fa071e8b4d9ada9ad7dedf4e5e738763f69145a"
	  "571b242012fb7ae07fa9baac3df102e008b0e27988598881d920a9e64f5615cd" },
	{ "F.2.5/F.2.6 CBC-AES256",
	  "603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4",
	  "f58c4c04d6e5f1ba779eabfb5f7bfbd69cfc4e967edb808d679f777bc6702c7d"
	  "39f23369a9d9bacfa530e26304231461b2eb05e2c39be9fcda6c19078c6a9d1b" },
};

static int test_nist(const char *driver)
{
	uint8_t key[32], iv[16], pt[64], ct[64], out[64];
	size_t i;

	hex2bin(nist_iv, iv, sizeof(iv));
	hex2bin(nist_pt, pt, sizeof(pt));
	for (i = 0; i < sizeof(nist) / sizeof(nist[0]); i++) {
		struct af_cipher c;
		int klen = hex2bin(nist[i].key, key, sizeof(key));
		int r;

		hex2bin(nist[i].ct, ct, sizeof(ct));
		r = af_open(&c, driver, key, (size_t)klen);
		if (r) {
			tap_ok(0, "%s: bind %s: %s", nist[i].name, driver, strerror(-r));
			tap_ok(0, "%s decrypt: not run", nist[i].name);
			continue;
		}
		r = af_crypt(&c, 1, iv, pt, out, sizeof(pt));
		tap_ok(!r && !memcmp(out, ct, sizeof(ct)), "%s encrypt through %s%s%s", nist[i].name,
		    driver, r ? ": " : "", r ? strerror(-r) : "");
		r = af_crypt(&c, 0, iv, ct, out, sizeof(ct));
		tap_ok(!r && !memcmp(out, pt, sizeof(pt)), "%s decrypt through %s%s%s", nist[i].name,
		    driver, r ? ": " : "", r ? strerror(-r) : "");
		af_close(&c);
	}
	return 0;
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint64_t rng(void)
{
	/* xorshift64*: reproducible, seeded from the command line */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

static void fill(uint8_t *b, size_t n)
{
	while (n--)
		*b++ = (uint8_t)rng();
}

static int test_random(const char *driver, size_t maxsize, int rounds)
{
	static const size_t klens[] = { 16, 24, 32 };
	uint8_t *in = malloc(maxsize), *a = malloc(maxsize), *b = malloc(maxsize);
	int ok_count = 0, total = 0, k;

	if (!in || !a || !b) {
		tap_ok(0, "random: out of memory");
		goto out;
	}
	for (k = 0; k < 3; k++) {
		size_t sz;

		for (sz = 16; sz <= maxsize; sz *= 2) {
			int round;

			for (round = 0; round < rounds; round++) {
				/* sizes between powers of two too, block aligned */
				size_t len = sz;
				uint8_t key[32], iv[16];
				struct af_cipher hw, sw;
				int r1, r2, r3, good;

				if (round > 0 && sz > 16)
					len = (sz / 2 + (rng() % (sz / 2))) & ~(size_t)15;
				if (len == 0)
					len = 16;
				fill(key, sizeof(key));
				fill(iv, sizeof(iv));
				fill(in, len);
				total++;
				if (af_open(&hw, driver, key, klens[k]) ||
				    af_open(&sw, "cbc(aes-generic)", key, klens[k])) {
					tap_ok(0, "random AES-%zu CBC %zu B: cannot open transforms",
					    klens[k] * 8, len);
					goto out;
				}
				r1 = af_crypt(&hw, 1, iv, in, a, len);
				r2 = af_crypt(&sw, 1, iv, in, b, len);
				good = !r1 && !r2 && !memcmp(a, b, len);
				r3 = af_crypt(&hw, 0, iv, a, b, len);
				good = good && !r3 && !memcmp(b, in, len);
				af_close(&hw);
				af_close(&sw);
				if (!good) {
					tap_ok(0, "random AES-%zu CBC %zu B through %s differs from cbc(aes-generic) (enc %d, dec %d)",
					    klens[k] * 8, len, driver, r1, r3);
				} else {
					ok_count++;
				}
			}
		}
	}
	tap_ok(ok_count == total,
	    "random buffers 16 B..%zu B, AES-128/192/256 CBC: %d/%d encryptions through %s equal cbc(aes-generic), decryptions return the plaintext",
	    maxsize, ok_count, total, driver);
out:
	free(in);
	free(a);
	free(b);
	return 0;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Throughput of one driver: one request at a time, like a simple AF_ALG user. */
static int bench(const char *driver, size_t minsize, size_t maxsize, double secs)
{
	uint8_t key[16], iv[16], *in = malloc(maxsize), *out = malloc(maxsize);
	struct af_cipher c;
	size_t sz;
	int r;

	if (!in || !out)
		return 1;
	fill(key, sizeof(key));
	fill(iv, sizeof(iv));
	fill(in, maxsize);
	r = af_open(&c, driver, key, sizeof(key));
	if (r) {
		fprintf(stderr, "afalg_test: bind %s: %s\n", driver, strerror(-r));
		return 1;
	}
	for (sz = minsize; sz <= maxsize; sz *= 4) {
		double t0 = now(), t;
		long n = 0;

		do {
			r = af_crypt(&c, 1, iv, in, out, sz);
			if (r) {
				fprintf(stderr, "afalg_test: %s: %s\n", driver, strerror(-r));
				return 1;
			}
			n++;
			t = now() - t0;
		} while (t < secs);
		printf("BENCH driver=%s size=%zu ops=%ld secs=%.3f ops_per_s=%.0f mb_per_s=%.2f\n",
		       driver, sz, n, t, n / t, n * (double)sz / t / 1e6);
		fflush(stdout);
	}
	af_close(&c);
	free(in);
	free(out);
	return 0;
}

/* Encrypts stdin to stdout (PKCS#7 padding), like `openssl enc -aes-NNN-cbc -K -iv`. */
static int encrypt_stream(const char *driver, const char *keyhex, const char *ivhex)
{
	uint8_t key[32], iv[16], *buf = NULL, *out = NULL;
	size_t len = 0, cap = 0, pad;
	struct af_cipher c;
	int klen, r;

	klen = keyhex ? hex2bin(keyhex, key, sizeof(key)) : -1;
	if ((klen != 16 && klen != 24 && klen != 32) || !ivhex ||
	    hex2bin(ivhex, iv, sizeof(iv)) != 16 || strlen(ivhex) != 32 ||
	    strlen(keyhex) != (size_t)klen * 2) {
		fprintf(stderr, "afalg_test: --encrypt needs --key (32, 48 or 64 hex digits) and --iv (32)\n");
		return 2;
	}
	for (;;) {
		ssize_t n;

		if (cap - len < 4096) {
			uint8_t *nb;

			if (cap > (16u << 20)) {
				fprintf(stderr, "afalg_test: input larger than 16 MiB\n");
				goto err;
			}
			nb = realloc(buf, cap ? cap * 2 : 65536);
			if (!nb)
				goto err;
			buf = nb;
			cap = cap ? cap * 2 : 65536;
		}
		n = read(0, buf + len, cap - len - 16);
		if (n < 0) {
			perror("afalg_test: read");
			goto err;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	pad = 16 - len % 16;
	memset(buf + len, (int)pad, pad);
	len += pad;
	out = malloc(len);
	if (!out)
		goto err;
	r = af_open(&c, driver, key, (size_t)klen);
	if (r) {
		fprintf(stderr, "afalg_test: bind %s: %s\n", driver, strerror(-r));
		goto err;
	}
	r = af_crypt(&c, 1, iv, buf, out, len);
	af_close(&c);
	if (r) {
		fprintf(stderr, "afalg_test: encrypt through %s: %s\n", driver, strerror(-r));
		goto err;
	}
	if (write(1, out, len) != (ssize_t)len) {
		perror("afalg_test: write");
		goto err;
	}
	free(buf);
	free(out);
	return 0;
err:
	free(buf);
	free(out);
	return 1;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: afalg_test [--driver NAME] [--max-size BYTES] [--rounds N] [--seed N]\n"
		"       afalg_test --bench [--driver NAME] [--min-size B] [--max-size B] [--seconds S]\n"
		"\n"
		"Checks AES-CBC through AF_ALG bound to driver NAME (default virtio_crypto_aes_cbc)\n"
		"against NIST SP 800-38A F.2.1-F.2.6 and the kernel's cbc(aes-generic) on random\n"
		"buffers of 16 B to --max-size (default 65536). Prints TAP; exits 1 on failure.\n"
		"--bench prints one BENCH line per size (x4 steps) instead.\n"
		"       afalg_test --encrypt --key HEX --iv HEX [--driver NAME] <in >out\n"
		"encrypts stdin with AES-CBC and PKCS#7 padding (openssl enc compatible).\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "driver", required_argument, NULL, 'd' }, { "max-size", required_argument, NULL, 'M' },
		{ "min-size", required_argument, NULL, 'm' }, { "rounds", required_argument, NULL, 'r' },
		{ "seed", required_argument, NULL, 's' },   { "bench", no_argument, NULL, 'b' },
		{ "seconds", required_argument, NULL, 'S' }, { "help", no_argument, NULL, 'h' },
		{ "encrypt", no_argument, NULL, 'e' },      { "key", required_argument, NULL, 'k' },
		{ "iv", required_argument, NULL, 'i' },
		{ NULL, 0, NULL, 0 }
	};
	const char *driver = "virtio_crypto_aes_cbc";
	size_t maxsize = 65536, minsize = 64;
	const char *keyhex = NULL, *ivhex = NULL;
	int rounds = 3, do_bench = 0, do_enc = 0, o;
	double secs = 1.0;

	while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (o) {
		case 'd': driver = optarg; break;
		case 'M': maxsize = strtoul(optarg, NULL, 0); break;
		case 'm': minsize = strtoul(optarg, NULL, 0); break;
		case 'r': rounds = atoi(optarg); break;
		case 's': rng_state = strtoull(optarg, NULL, 0) | 1; break;
		case 'b': do_bench = 1; break;
		case 'S': secs = atof(optarg); break;
		case 'e': do_enc = 1; break;
		case 'k': keyhex = optarg; break;
		case 'i': ivhex = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (maxsize < 16 || maxsize > (64u << 20) || rounds < 1 || minsize < 16) {
		usage(stderr);
		return 2;
	}
	if (do_enc)
		return encrypt_stream(driver, keyhex, ivhex);
	if (do_bench)
		return bench(driver, minsize, maxsize, secs);
	test_nist(driver);
	test_random(driver, maxsize, rounds);
	return tap_status();
}
