// SPDX-License-Identifier: MIT
/*
 * vcd-engine-check: runs one vcryptod engine through the engine interface
 * and compares every result with the OpenSSL engine. Built statically for
 * guests too: the afalg engine needs a kernel with AF_ALG and the cryptodev
 * engine a /dev/crypto, which this project's hosts lack but its guests have.
 * Prints TAP; an engine that cannot open here is a SKIP with the reason.
 * With --seccomp the checks run under vcryptod's own filter for that engine
 * (kill mode, installed after a warm-up as the daemon does): a call the
 * filter does not allow ends the program with SIGSYS.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/virtio_crypto.h>

#include "aes_cases.h"
#include "engine.h"
#include "sandbox.h"
#include "tap.h"

static uint64_t rs = 0x9e3779b97f4a7c15ull;

static void fill(uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		rs ^= rs << 13;
		rs ^= rs >> 7;
		rs ^= rs << 17;
		p[i] = (uint8_t)rs;
	}
}

static const char *alg_name(uint32_t a)
{
	switch (a) {
	case VIRTIO_CRYPTO_CIPHER_AES_ECB:
		return "AES-ECB";
	case VIRTIO_CRYPTO_CIPHER_AES_CBC:
		return "AES-CBC";
	case VIRTIO_CRYPTO_CIPHER_AES_CTR:
		return "AES-CTR";
	default:
		return "AES-XTS";
	}
}

static void check_ciphers(const struct vcd_engine_ops *ops, struct vcd_engine *e,
			  struct vcd_engine *ref)
{
	static const size_t sizes[] = {16, 64, 4096, 65536, 200000};
	size_t max = 200000 + 16;
	uint8_t *in = malloc(max), *out = malloc(max), *want = malloc(max);
	uint8_t key[64], iv[16];

	for (size_t k = 0; k < AES_NCASES; k++) {
		for (int enc = 1; enc >= 0; enc--) {
			void *c = NULL, *rc = NULL;
			int ret, bad = 0, tried = 0;

			fill(key, sizeof(key));
			ret = ops->cipher_new(e, aes_cases[k].alg, key, aes_cases[k].keylen, enc, &c);
			if (ret == -ENOTSUP && ops == &vcd_engine_cryptodev) {
				tap_skip("this /dev/crypto does not offer %s-%u",
					 alg_name(aes_cases[k].alg), aes_cases[k].keylen * 8);
				continue;
			}
			if (ret) {
				tap_ok(0, "%s-%u %s: session: %s", alg_name(aes_cases[k].alg),
				       aes_cases[k].keylen * 8, enc ? "encrypt" : "decrypt", strerror(-ret));
				continue;
			}
			ret = vcd_engine_openssl.cipher_new(ref, aes_cases[k].alg, key, aes_cases[k].keylen, enc,
							    &rc);
			for (size_t s = 0; !ret && s < sizeof(sizes) / sizeof(sizes[0]); s++) {
				size_t n = sizes[s];
				uint32_t ivl = vcd_cipher_iv_len(aes_cases[k].alg);

				if (aes_cases[k].alg == VIRTIO_CRYPTO_CIPHER_AES_XTS && n >= 65536)
					continue; /* afalg: XTS in one piece only */
				/* cryptodev-linux wants whole blocks for XTS (block size 16) */
				if (aes_cases[k].alg == VIRTIO_CRYPTO_CIPHER_AES_CTR ||
				    (aes_cases[k].alg == VIRTIO_CRYPTO_CIPHER_AES_XTS &&
				     ops != &vcd_engine_cryptodev))
					n += 5;
				fill(in, n);
				fill(iv, 16);
				tried++;
				if (vcd_engine_openssl.cipher_run(rc, iv, ivl, in, want, n) ||
				    ops->cipher_run(c, iv, ivl, in, out, n) || memcmp(out, want, n))
					bad++;
				/* in place, as the daemon's scratch buffers may be */
				memcpy(out, in, n);
				if (ops->cipher_run(c, iv, ivl, out, out, n) ||
				    memcmp(out, want, n))
					bad++;
			}
			tap_ok(!ret && !bad && tried,
			       "%s-%u %s through %s equals OpenSSL (%d sizes 16 B..200 KB, also in "
			       "place)",
			       alg_name(aes_cases[k].alg), aes_cases[k].keylen * 8, enc ? "encrypt" : "decrypt",
			       ops->name, tried);
			ops->cipher_free(c);
			vcd_engine_openssl.cipher_free(rc);
		}
	}
	/* refused keys are an error, not a crash */
	{
		void *c = NULL;
		int ret = ops->cipher_new(e, VIRTIO_CRYPTO_CIPHER_AES_CBC, key, 17, 1, &c);

		tap_ok(ret == -EINVAL, "%s refuses a 17-byte AES key (%d)", ops->name, ret);
		ret = ops->cipher_new(e, VIRTIO_CRYPTO_CIPHER_DES_CBC, key, 8, 1, &c);
		tap_ok(ret == -ENOTSUP, "%s says NOTSUP for DES-CBC (%d)", ops->name, ret);
	}
	free(in);
	free(out);
	free(want);
}

static void check_macs(const struct vcd_engine_ops *ops, struct vcd_engine *e,
		       struct vcd_engine *ref)
{
	/* VIRTIO_CRYPTO_HASH_* and MAC_HMAC_* share the numbers 1..6. */
	static const char *const names[] = {
		[VIRTIO_CRYPTO_HASH_MD5] = "MD5",	 [VIRTIO_CRYPTO_HASH_SHA1] = "SHA1",
		[VIRTIO_CRYPTO_HASH_SHA_224] = "SHA224", [VIRTIO_CRYPTO_HASH_SHA_256] = "SHA256",
		[VIRTIO_CRYPTO_HASH_SHA_384] = "SHA384", [VIRTIO_CRYPTO_HASH_SHA_512] = "SHA512"};
	uint8_t key[200], a[64], *b = malloc(100000), d1[64], d2[64];

	for (uint32_t h = VIRTIO_CRYPTO_HASH_MD5; h <= VIRTIO_CRYPTO_HASH_SHA_512; h++) {
		for (int keyed = 1; keyed >= 0; keyed--) {
			void *m = NULL, *rm = NULL;
			unsigned int dl = 0, rdl = 0;
			int ret, bad = 0;
			uint32_t klen = keyed ? 13 + h * 30 : 0; /* up to > block size */

			fill(key, sizeof(key));
			ret = ops->mac_new(e, h, keyed ? key : NULL, klen, &m, &dl);
			if (ret == -ENOTSUP && ops == &vcd_engine_cryptodev) {
				tap_skip("this /dev/crypto does not offer %s%s%s",
					 keyed ? "HMAC(" : "", names[h], keyed ? ")" : "");
				continue;
			}
			if (!ret)
				ret = vcd_engine_openssl.mac_new(ref, h, keyed ? key : NULL, klen,
								 &rm, &rdl);
			for (size_t blen = 0; !ret && blen <= 100000; blen = blen * 7 + 3) {
				size_t alen = blen % 2 ? 20 : 0;
				int r1, r2;

				fill(a, sizeof(a));
				fill(b, blen);
				r1 = vcd_engine_openssl.mac_run(rm, a, alen, b, blen, d2);
				r2 = ops->mac_run(m, a, alen, b, blen, d1);
				if (r1 || r2 || memcmp(d1, d2, rdl)) {
					if (!bad)
						printf("# first failure: %zu + %zu bytes: %s\n",
						       alen, blen,
						       r2 ? strerror(-r2) : "digest differs");
					bad++;
				}
			}
			tap_ok(!ret && !bad && dl == rdl,
			       "%s%s%s through %s equals OpenSSL (0 B..100 KB, aad split)",
			       keyed ? "HMAC(" : "", names[h], keyed ? ")" : "", ops->name);
			ops->mac_free(m);
			vcd_engine_openssl.mac_free(rm);
		}
	}
	free(b);
}

static int unhex(const char *h, uint8_t *out, size_t cap)
{
	size_t n = strlen(h) / 2;

	for (size_t i = 0; i < n && i < cap; i++)
		sscanf(h + 2 * i, "%2hhx", &out[i]);
	return (int)n;
}

/*
 * MD5 known answers (RFC 1321 appendix A.5, RFC 2202 section 2): independent
 * of OpenSSL, so a wrong digest mapping in both engines cannot agree.
 */
static void check_md5_kat(const struct vcd_engine_ops *ops, struct vcd_engine *e)
{
	static const struct {
		const char *key; /* hex (or "aa*80"), NULL: plain MD5 */
		const char *msg, *md;
	} kat[] = {
		{NULL, "", "d41d8cd98f00b204e9800998ecf8427e"},
		{NULL, "abc", "900150983cd24fb0d6963f7d28e17f72"},
		{NULL,
		 "12345678901234567890123456789012345678901234567890123456789012345678901234567890",
		 "57edf4a22be3c955ac49da2e2107b67a"},
		{"0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "Hi There",
		 "9294727a3638bb1c13f48ef8158bfc9d"},
		{"4a656665", "what do ya want for nothing?", "750c783e6ab0b503eaa86e310a5db738"},
		{"aa*80", "Test Using Larger Than Block-Size Key - Hash Key First",
		 "6b1ab7fe4bd7bf8f0b62e6ce61b9d0cd"},
	};

	for (size_t i = 0; i < sizeof(kat) / sizeof(kat[0]); i++) {
		uint8_t key[80], want[16], got[16];
		size_t mlen = strlen(kat[i].msg), split = mlen / 3;
		unsigned int dl = 0;
		void *m = NULL;
		int klen = 0, ret;

		if (kat[i].key && !strcmp(kat[i].key, "aa*80")) {
			memset(key, 0xaa, 80); /* test case 6: 80 bytes of 0xaa */
			klen = 80;
		} else if (kat[i].key) {
			klen = unhex(kat[i].key, key, sizeof(key));
		}

		unhex(kat[i].md, want, sizeof(want));
		ret = ops->mac_new(e,
				   kat[i].key ? VIRTIO_CRYPTO_MAC_HMAC_MD5 : VIRTIO_CRYPTO_HASH_MD5,
				   kat[i].key ? key : NULL, (uint32_t)klen, &m, &dl);
		if (ret == -ENOTSUP && ops == &vcd_engine_cryptodev) {
			tap_skip("this /dev/crypto does not offer %s",
				 kat[i].key ? "HMAC(MD5)" : "MD5");
			continue;
		}
		memset(got, 0, sizeof(got));
		/* in two pieces, as aad || hashed range */
		if (!ret)
			ret = ops->mac_run(m, (const uint8_t *)kat[i].msg, split,
					   (const uint8_t *)kat[i].msg + split, mlen - split, got);
		tap_ok(!ret && dl == 16 && !memcmp(got, want, 16),
		       "%s %s(\"%.20s%s\") = RFC %s known answer (%d, digest size %u)", ops->name,
		       kat[i].key ? "HMAC-MD5" : "MD5", kat[i].msg, mlen > 20 ? "..." : "",
		       kat[i].key ? "2202" : "1321", ret, dl);
		ops->mac_free(m);
	}
}

static void check_rsa(const struct vcd_engine_ops *ops, struct vcd_engine *e)
{
	void *r = NULL;
	uint8_t der[16] = {0x30};
	int ret = ops->rsa_new(e, VIRTIO_CRYPTO_AKCIPHER_KEY_TYPE_PUBLIC, der, sizeof(der),
			       VIRTIO_CRYPTO_RSA_RAW_PADDING, 0, &r);

	if (ops == &vcd_engine_openssl)
		tap_ok(ret == -EINVAL, "openssl refuses a garbage RSA key (%d)", ret);
	else
		tap_ok(ret == -ENOTSUP, "%s has no RSA: NOTSUP (%d)", ops->name, ret);
	ops->rsa_free(r);
}

/* What vcryptod's warm_up does before its filter: lazy loading happens now. */
static void warm_up(const struct vcd_engine_ops *ops, struct vcd_engine *e)
{
	static const uint8_t key[32];
	void *obj = NULL;
	unsigned int dl;

	if (!ops->cipher_new(e, VIRTIO_CRYPTO_CIPHER_AES_CBC, key, 16, 1, &obj))
		ops->cipher_free(obj);
	obj = NULL;
	if (!ops->mac_new(e, VIRTIO_CRYPTO_MAC_HMAC_SHA_256, key, 32, &obj, &dl))
		ops->mac_free(obj);
}

int main(int argc, char **argv)
{
	const struct vcd_engine_ops *ops;
	struct vcd_engine *e = NULL, *ref = NULL;
	bool sandboxed = argc == 4 && !strcmp(argv[3], "--seccomp");
	const char *name = argc > 2 ? argv[2] : "";
	int ret;

	if ((argc != 3 && !sandboxed) || strcmp(argv[1], "--engine")) {
		fprintf(argc == 2 && !strcmp(argv[1], "--help") ? stdout : stderr,
			"usage: vcd-engine-check --engine openssl|afalg|cryptodev [--seccomp]\n"
			"Compares the engine with OpenSSL through vcryptod's engine interface; "
			"TAP.\n--seccomp: under vcryptod's seccomp filter for the engine.\n");
		return argc == 2 && !strcmp(argv[1], "--help") ? 0 : 2;
	}
	ops = vcd_engine_find(name);
	if (!ops) {
		fprintf(stderr, "vcd-engine-check: unknown engine '%s'\n", name);
		return 2;
	}
	ret = ops->open(&e);
	if (ret) {
		if (ops == &vcd_engine_cryptodev && ret == -ENOENT)
			tap_skip(
				"engine cryptodev: no /dev/crypto here (waits for the guest module virtio_cryptodev.ko)");
		else
			tap_skip("engine %s cannot open here: %s", name, strerror(-ret));
		return 0;
	}
	if (vcd_engine_openssl.open(&ref)) {
		tap_ok(0, "OpenSSL reference engine");
		return 1;
	}
	if (sandboxed) {
		const char *why = NULL;

		warm_up(ops, e);
		warm_up(&vcd_engine_openssl, ref);
		/* stdout's buffer too: on a terminal stdio asks isatty (an ioctl) */
		printf("# engine %s: installing vcryptod's seccomp filter\n", name);
		fflush(stdout);
		ret = vcd_seccomp_install(VCD_SECCOMP_KILL, ops->name, &why);
		if (ret == 1) {
			tap_skip("engine %s under seccomp: no filter here (%s)", name, why);
			return 0;
		}
		tap_ok(ret == 0, "engine %s: vcryptod's seccomp filter installed (kill mode) (%d)",
		       name, ret);
		if (ret)
			return 1;
	}
	check_ciphers(ops, e, ref);
	check_macs(ops, e, ref);
	check_md5_kat(ops, e);
	check_rsa(ops, e);
	ops->close(e);
	vcd_engine_openssl.close(ref);
	return tap_status();
}
