// SPDX-License-Identifier: MIT
/*
 * cdev_test: conformance, error and load tests of /dev/crypto (the
 * cryptodev-linux ABI) in a guest.  Prints TAP lines; exit status 1 if
 * any check failed.  See --help.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cdev_util.h"

/* Prints the usage to f; returns the exit status given. */
static int usage(FILE *f, int status)
{
	fprintf(f, "usage: cdev_test COMMAND [options]\n"
		   "  vectors [--expect-hmac]  NIST SP 800-38A, IEEE 1619, RFC 4231\n"
		   "  random [--max BYTES]     results equal to AF_ALG generic drivers\n"
		   "  sessinfo                 CIOCGSESSINFO names the virtio driver\n"
		   "  errors                   each bad argument gets its errno\n"
		   "  stress -p PROCS -t THREADS -n REQS   concurrent, all checked\n"
		   "  hold -t THREADS -s BYTES -T SECONDS [--tolerate]\n"
		   "                           keep requests in flight (kill/unbind tests)\n"
		   "  close-inflight           close the fd while threads use it\n"
		   "  afalg-cbc DRIVER         SP 800-38A CBC-AES128 through AF_ALG DRIVER\n"
		   "  hmac                     HMAC-SHA1/2 on random data = AF_ALG hmac()\n"
		   "  nodev                    no device bound: CIOCGSESSION fails ENODEV\n"
		   "  chain                    cipher+HMAC sessions (CIOCCRYPT, CIOCAUTHCRYPT)\n"
		   "  digest                   plain MD5/SHA digests (known answers, = AF_ALG)\n"
		   "  signals                  requests under a 1 ms signal handler: no EINTR\n"
		   "Output is TAP; exit status 1 if a check failed.\n");
	return status;
}

struct cipher_mode {
	uint32_t alg;
	const char *name; /* AF_ALG reference */
	unsigned int ivlen, block;
};

static const struct cipher_mode modes[] = {
	{CRYPTO_AES_ECB, "ecb(aes-generic)", 0, 16},
	{CRYPTO_AES_CBC, "cbc(aes-generic)", 16, 16},
	{CRYPTO_AES_CTR, "ctr(aes-generic)", 16, 1},
	{CRYPTO_AES_XTS, "xts(aes)", 16, 16},
};

static int cfd;

/* ---- known-answer vectors ---- */

struct kat {
	uint32_t alg;
	const char *what, *key, *iv, *pt, *ct;
};

#define SP_PT                                                              \
	"6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51" \
	"30c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710"
#define K128 "2b7e151628aed2a6abf7158809cf4f3c"
#define K192 "8e73b0f7da0e6452c810f32b809079e562f8ead2522c6b7b"
#define K256 "603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4"
#define CBCIV "000102030405060708090a0b0c0d0e0f"
#define CTRIV "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff"

static const struct kat kats[] = {
	{CRYPTO_AES_ECB, "SP 800-38A F.1.1 ECB-AES128", K128, "", SP_PT,
	 "3ad77bb40d7a3660a89ecaf32466ef97f5d3d58503b9699de785895a96fdbaaf"
	 "43b1cd7f598ece23881b00e3ed0306887b0c785e27e8ad3f8223207104725dd4"},
	{CRYPTO_AES_ECB, "SP 800-38A F.1.3 ECB-AES192", K192, "", SP_PT,
	 "bd334f1d6e45f25ff712a214571fa5cc974104846d0ad3ad7734ecb3ecee4eef"
	 "ef7afd2270e2e60adce0ba2face6444e9a4b41ba738d6c72fb16691603c18e0e"},
	{CRYPTO_AES_ECB, "SP 800-38A F.1.5 ECB-AES256", K256, "", SP_PT,
	 "f3eed1bdb5d2a03c064b5a7e3db181f8591ccb10d410ed26dc5ba74a31362870"
	 "b6ed21b99ca6f4f9f153e7b1beafed1d23304b7a39f9f3ff067d8d8f9e24ecc7"},
	{CRYPTO_AES_CBC, "SP 800-38A F.2.1 CBC-AES128", K128, CBCIV, SP_PT,
	 "7649abac8119b246cee98e9b12e9197d5086cb9b507219ee95db113a917678b2"
	 "73bed6b8e3c1743b7116e69e222295163ff1caa1681fac09120eca307586e1a7"},
	{CRYPTO_AES_CBC, "SP 800-38A F.2.3 CBC-AES192", K192, CBCIV, SP_PT,
	 "4f021db243bc633d7178183a9fa071e8b4d9ada9ad7dedf4e5e738763f69145a"
	 "571b242012fb7ae07fa9baac3df102e008b0e27988598881d920a9e64f5615cd"},
	{CRYPTO_AES_CBC, "SP 800-38A F.2.5 CBC-AES256", K256, CBCIV, SP_PT,
	 "f58c4c04d6e5f1ba779eabfb5f7bfbd69cfc4e967edb808d679f777bc6702c7d"
	 "39f23369a9d9bacfa530e26304231461b2eb05e2c39be9fcda6c19078c6a9d1b"},
	{CRYPTO_AES_CTR, "SP 800-38A F.5.1 CTR-AES128", K128, CTRIV, SP_PT,
	 "874d6191b620e3261bef6864990db6ce9806f66b7970fdff8617187bb9fffdff"
	 "5ae4df3edbd5d35e5b4f09020db03eab1e031dda2fbe03d1792170a0f3009cee"},
	{CRYPTO_AES_CTR, "SP 800-38A F.5.3 CTR-AES192", K192, CTRIV, SP_PT,
	 "1abc932417521ca24f2b0459fe7e6e0b090339ec0aa6faefd5ccc2c6f4ce8e94"
	 "1e36b26bd1ebc670d1bd1d665620abf74f78a7f6d29809585a97daec58c6b050"},
	{CRYPTO_AES_CTR, "SP 800-38A F.5.5 CTR-AES256", K256, CTRIV, SP_PT,
	 "601ec313775789a5b7a7f504bbf3d228f443e3ca4d62b59aca84e990cacaf5c5"
	 "2b0930daa23de94ce87017ba2d84988ddfc9c58db67aada613c2dd08457941a6"},
	/* IEEE 1619-2007 annex B: the tweak is the data unit number, LE */
	{CRYPTO_AES_XTS, "IEEE 1619 XTS-AES-128 vector 1",
	 "0000000000000000000000000000000000000000000000000000000000000000",
	 "00000000000000000000000000000000",
	 "0000000000000000000000000000000000000000000000000000000000000000",
	 "917cf69ebd68b2ec9b9fe9a3eadda692cd43d2f59598ed858c02c2652fbf922e"},
	{CRYPTO_AES_XTS, "IEEE 1619 XTS-AES-128 vector 2",
	 "1111111111111111111111111111111122222222222222222222222222222222",
	 "33333333330000000000000000000000",
	 "4444444444444444444444444444444444444444444444444444444444444444",
	 "c454185e6a16936e39334038acef838bfb186fff7480adc4289382ecd6d394f0"},
	{CRYPTO_AES_XTS, "IEEE 1619 XTS-AES-128 vector 3",
	 "fffefdfcfbfaf9f8f7f6f5f4f3f2f1f022222222222222222222222222222222",
	 "33333333330000000000000000000000",
	 "4444444444444444444444444444444444444444444444444444444444444444",
	 "af85336b597afc1a900b2eb21ec949d292df4c047e0b21532186a5971a227a89"},
};

struct hkat {
	uint32_t mac;
	const char *what, *key, *data, *md;
};

static const struct hkat hkats[] = {
	{CRYPTO_SHA2_256_HMAC, "RFC 4231 4.2 HMAC-SHA-256",
	 "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "4869205468657265",
	 "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"},
	{CRYPTO_SHA2_384_HMAC, "RFC 4231 4.2 HMAC-SHA-384",
	 "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "4869205468657265",
	 "afd03944d84895626b0825f4ab46907f15f9dadbe4101ec682aa034c7cebc59c"
	 "faea9ea9076ede7f4af152e8b2fa9cb6"},
	{CRYPTO_SHA2_512_HMAC, "RFC 4231 4.2 HMAC-SHA-512",
	 "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "4869205468657265",
	 "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cde"
	 "daa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854"},
	{CRYPTO_SHA2_256_HMAC, "RFC 4231 4.3 HMAC-SHA-256", "4a656665",
	 "7768617420646f2079612077616e7420666f72206e6f7468696e673f",
	 "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
	{CRYPTO_SHA2_512_HMAC, "RFC 4231 4.3 HMAC-SHA-512", "4a656665",
	 "7768617420646f2079612077616e7420666f72206e6f7468696e673f",
	 "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea250554"
	 "9758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737"},
	{CRYPTO_SHA2_256_HMAC, "RFC 4231 4.7 HMAC-SHA-256 (131-byte key)",
	 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	 "aaaaaa",
	 "54657374205573696e67204c6172676572205468616e20426c6f636b2d53697a"
	 "65204b6579202d2048617368204b6579204669727374",
	 "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"},
};

static int cmd_vectors(int expect_hmac)
{
	uint8_t key[64], iv[16], iv2[16], pt[64], ct[64], out[64], mk[256], md[64], md2[64];
	unsigned int i;

	for (i = 0; i < sizeof(kats) / sizeof(kats[0]); i++) {
		const struct kat *k = &kats[i];
		int kl = cdev_unhex(k->key, key, sizeof(key));
		int il = cdev_unhex(k->iv, iv, sizeof(iv));
		int n = cdev_unhex(k->pt, pt, sizeof(pt));
		uint32_t ses;
		int r;

		cdev_unhex(k->ct, ct, sizeof(ct));
		r = cdev_session(cfd, k->alg, key, kl, 0, NULL, 0, &ses);
		if (r == -EINVAL && k->alg == CRYPTO_AES_XTS &&
		    !memcmp(key, key + kl / 2, kl / 2)) {
			/* OpenSSL 3 (and FIPS kernels) refuse such keys */
			cdev_skip("%s: the backend refuses an XTS key whose halves are equal",
				  k->what);
			continue;
		}
		if (r) {
			cdev_ok(0, "%s: CIOCGSESSION: %s", k->what, strerror(-r));
			continue;
		}
		/* encrypt, out of place */
		memcpy(iv2, iv, 16);
		r = cdev_crypt(cfd, ses, COP_ENCRYPT, 0, pt, out, n, il ? iv2 : NULL, NULL);
		cdev_ok(!r && !memcmp(out, ct, n), "%s encrypt%s%s", k->what, r ? ": " : "",
			r ? strerror(-r) : "");
		/* decrypt, in place */
		memcpy(out, ct, n);
		memcpy(iv2, iv, 16);
		r = cdev_crypt(cfd, ses, COP_DECRYPT, 0, out, out, n, il ? iv2 : NULL, NULL);
		cdev_ok(!r && !memcmp(out, pt, n), "%s decrypt in place%s%s", k->what,
			r ? ": " : "", r ? strerror(-r) : "");
		if (k->alg == CRYPTO_AES_CBC || k->alg == CRYPTO_AES_CTR) {
			/*
			 * Two halves: the first with COP_FLAG_WRITE_IV, the
			 * second with no iv (the session carries it).
			 */
			uint8_t want[16];

			memcpy(iv2, iv, 16);
			r = cdev_crypt(cfd, ses, COP_ENCRYPT, COP_FLAG_WRITE_IV, pt, out, 32, iv2,
				       NULL);
			if (k->alg == CRYPTO_AES_CBC) {
				memcpy(want, ct + 16, 16);
			} else {
				int b, carry = 2;

				/* the counter after two blocks, big-endian */
				memcpy(want, iv, 16);
				for (b = 15; b >= 0 && carry; b--) {
					carry += want[b];
					want[b] = carry & 0xff;
					carry >>= 8;
				}
			}
			cdev_ok(!r && !memcmp(iv2, want, 16),
				"%s COP_FLAG_WRITE_IV returns the next IV", k->what);
			r = r ? r
			      : cdev_crypt(cfd, ses, COP_ENCRYPT, 0, pt + 32, out + 32, 32, NULL,
					   NULL);
			cdev_ok(!r && !memcmp(out, ct, 64),
				"%s split in two, IV carried by the session", k->what);
		}
		cdev_free(cfd, ses);
	}

	for (i = 0; i < sizeof(hkats) / sizeof(hkats[0]); i++) {
		const struct hkat *h = &hkats[i];
		int kl = cdev_unhex(h->key, mk, sizeof(mk));
		int n = cdev_unhex(h->data, pt, sizeof(pt));
		int ml = cdev_unhex(h->md, md, sizeof(md));
		uint32_t ses;
		int r;

		r = cdev_session(cfd, 0, NULL, 0, h->mac, mk, kl, &ses);
		if (r == -EINVAL && !expect_hmac) {
			cdev_skip("%s: the device refuses HMAC sessions (EINVAL)", h->what);
			continue;
		}
		if (r) {
			cdev_ok(0, "%s: CIOCGSESSION: %s", h->what, strerror(-r));
			continue;
		}
		memset(md2, 0, sizeof(md2));
		r = cdev_crypt(cfd, ses, COP_ENCRYPT, 0, pt, NULL, n, NULL, md2);
		cdev_ok(!r && !memcmp(md, md2, ml), "%s%s%s", h->what, r ? ": " : "",
			r ? strerror(-r) : "");
		cdev_free(cfd, ses);
	}
	return 0;
}

/* ---- random data against the guest's software drivers ---- */

static int check_random(const struct cipher_mode *m, size_t len, int keylen, uint64_t seed,
			uint16_t flags, int in_place)
{
	uint8_t key[64], iv[16], iv2[16];
	uint8_t *pt = malloc(len), *ref = malloc(len), *out = malloc(len);
	uint32_t ses;
	int r, good = 0;

	if (!pt || !ref || !out)
		goto out;
	cdev_fill(key, sizeof(key), seed);
	cdev_fill(iv, sizeof(iv), seed + 1);
	cdev_fill(pt, len, seed + 2);
	r = afalg_skcipher(m->name, key, keylen, 1, iv, m->ivlen, pt, ref, len);
	if (r) {
		cdev_note("AF_ALG %s: %s", m->name, strerror(-r));
		goto out;
	}
	r = cdev_session(cfd, m->alg, key, keylen, 0, NULL, 0, &ses);
	if (r) {
		cdev_note("CIOCGSESSION %s: %s", cdev_alg_name(m->alg), strerror(-r));
		goto out;
	}
	memcpy(iv2, iv, 16);
	if (in_place)
		memcpy(out, pt, len);
	r = cdev_crypt(cfd, ses, COP_ENCRYPT, flags, in_place ? out : pt, out, len,
		       m->ivlen ? iv2 : NULL, NULL);
	if (r || memcmp(out, ref, len)) {
		cdev_note("encrypt %zu: %s", len, r ? strerror(-r) : "differs");
		goto out_free;
	}
	memcpy(iv2, iv, 16);
	if (in_place) {
		r = cdev_crypt(cfd, ses, COP_DECRYPT, flags, out, out, len, m->ivlen ? iv2 : NULL,
			       NULL);
	} else {
		memset(out, 0, len);
		r = cdev_crypt(cfd, ses, COP_DECRYPT, flags, ref, out, len, m->ivlen ? iv2 : NULL,
			       NULL);
	}
	if (r || memcmp(out, pt, len)) {
		cdev_note("decrypt %zu: %s", len, r ? strerror(-r) : "differs");
		goto out_free;
	}
	good = 1;
out_free:
	cdev_free(cfd, ses);
out:
	free(pt);
	free(ref);
	free(out);
	return good;
}

static int cmd_random(size_t max)
{
	static const size_t sizes[] = {16, 48, 64, 1008, 4096, 4112, 16384, 65536, 200000, 1 << 20};
	unsigned int i, j, v;
	uint64_t seed = 42;

	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		const struct cipher_mode *m = &modes[i];
		int keylens[2] = {16, 32};

		if (m->alg == CRYPTO_AES_XTS) {
			keylens[0] = 32;
			keylens[1] = 64;
		}
		for (v = 0; v < 4; v++) {
			uint16_t flags = (v & 1) ? COP_FLAG_NO_ZC : 0;
			int in_place = (v & 2) != 0;
			int all = 1, n = 0;

			for (j = 0; j < sizeof(sizes) / sizeof(sizes[0]); j++) {
				size_t len = sizes[j];

				if (len > max)
					continue;
				if (m->block > 1)
					len -= len % m->block;
				else if (j & 1)
					len += 7; /* CTR: any length */
				all &= check_random(m, len, keylens[j & 1], seed++, flags,
						    in_place);
				n++;
			}
			cdev_ok(all, "%s, %d sizes 16 B..%zu B, %s, %s: equal to %s",
				cdev_alg_name(m->alg), n, max,
				flags ? "copied (COP_FLAG_NO_ZC)" : "zero-copy above 4 KiB",
				in_place ? "in place" : "out of place", m->name);
		}
	}
	return 0;
}

static int cmd_sessinfo(void)
{
	struct session_info_op si;
	uint8_t key[16] = {0};
	uint32_t ses;
	int r;

	r = cdev_session(cfd, CRYPTO_AES_CBC, key, 16, 0, NULL, 0, &ses);
	if (r) {
		cdev_ok(0, "CIOCGSESSION AES-CBC: %s", strerror(-r));
		return 0;
	}
	memset(&si, 0xa5, sizeof(si));
	si.ses = ses;
	r = ioctl(cfd, CIOCGSESSINFO, &si) ? -errno : 0;
	cdev_ok(!r && !strcmp(si.cipher_info.cra_name, "cbc(aes)") &&
			strstr(si.cipher_info.cra_driver_name, "virtio_cryptodev"),
		"CIOCGSESSINFO: cipher %s, driver %s", r ? "?" : si.cipher_info.cra_name,
		r ? strerror(-r) : si.cipher_info.cra_driver_name);
	cdev_ok(!r && si.hash_info.cra_name[0] == 0 && (si.flags & SIOP_FLAG_KERNEL_DRIVER_ONLY),
		"CIOCGSESSINFO: no hash, SIOP_FLAG_KERNEL_DRIVER_ONLY set");
	cdev_free(cfd, ses);
	return 0;
}

/* ---- bad input ---- */

#define EXPECT(expr, err, what)                                                                 \
	do {                                                                                    \
		int r_ = (expr);                                                                \
		cdev_ok(r_ == -(err), "%s: %s (want %s)", what, r_ ? strerror(-r_) : "success", \
			strerror(err));                                                         \
	} while (0)

static int serves(void)
{
	static const uint8_t key[16], pt[16];
	uint8_t out[16], iv[16] = {0};
	uint32_t ses;
	int r = cdev_session(cfd, CRYPTO_AES_CBC, key, 16, 0, NULL, 0, &ses);

	if (r)
		return r;
	r = cdev_crypt(cfd, ses, COP_ENCRYPT, 0, pt, out, 16, iv, NULL);
	cdev_free(cfd, ses);
	/* AES-128(0^16, 0^16) */
	if (!r && out[0] != 0x66)
		r = -EIO;
	return r;
}

static int cmd_errors(void)
{
	uint8_t key[64] = {0}, buf[64] = {0}, iv[16] = {0};
	void *bad = (void *)16; /* never mapped */
	size_t big = 1 << 20;
	uint8_t *ro, *mem;
	uint32_t ses, ses2, u = 0;
	struct session_op sop;
	int r, fd2;

	EXPECT(cdev_session(cfd, 999, key, 16, 0, NULL, 0, &ses), EINVAL,
	       "CIOCGSESSION unknown cipher");
	EXPECT(cdev_session(cfd, CRYPTO_DES_CBC, key, 8, 0, NULL, 0, &ses), EINVAL,
	       "CIOCGSESSION cipher not served (DES)");
	EXPECT(cdev_session(cfd, CRYPTO_AES_CBC, key, 17, 0, NULL, 0, &ses), EINVAL,
	       "CIOCGSESSION AES key of 17 bytes");
	EXPECT(cdev_session(cfd, CRYPTO_AES_XTS, key, 16, 0, NULL, 0, &ses), EINVAL,
	       "CIOCGSESSION XTS key of 16 bytes");
	EXPECT(cdev_session(cfd, CRYPTO_AES_CBC, key, 65, 0, NULL, 0, &ses), EINVAL,
	       "CIOCGSESSION key longer than CRYPTO_CIPHER_MAX_KEY_LEN");
	EXPECT(cdev_session(cfd, CRYPTO_AES_CBC, bad, 16, 0, NULL, 0, &ses), EFAULT,
	       "CIOCGSESSION key pointer unmapped");
	EXPECT(cdev_session(cfd, 0, NULL, 0, 0, NULL, 0, &ses), EINVAL,
	       "CIOCGSESSION neither cipher nor mac");
	EXPECT(cdev_session(cfd, 0, NULL, 0, 999, key, 16, &ses), EINVAL,
	       "CIOCGSESSION unknown mac");
	EXPECT(cdev_session(cfd, 0, NULL, 0, CRYPTO_SHA2_256_HMAC, key, 513, &ses), EINVAL,
	       "CIOCGSESSION mac key longer than CRYPTO_HMAC_MAX_KEY_LEN");
	memset(&sop, 0, sizeof(sop));
	sop.cipher = CRYPTO_DES_CBC; /* a cryptodev algorithm virtio-crypto lacks */
	sop.keylen = 8;
	sop.key = key;
	r = ioctl(cfd, CIOCGSESSION, &sop) ? -errno : 0;
	EXPECT(r, EINVAL, "CIOCGSESSION unserved cipher (DES-CBC)");
	r = ioctl(cfd, CIOCGSESSION, bad) ? -errno : 0;
	EXPECT(r, EFAULT, "CIOCGSESSION argument unmapped");

	r = cdev_session(cfd, CRYPTO_AES_CBC, key, 16, 0, NULL, 0, &ses);
	cdev_ok(!r, "CIOCGSESSION AES-CBC-128");
	EXPECT(cdev_crypt(cfd, ses + 1000, COP_ENCRYPT, 0, buf, buf, 16, iv, NULL), EINVAL,
	       "CIOCCRYPT unknown session");
	EXPECT(cdev_crypt(cfd, ses, 7, 0, buf, buf, 16, iv, NULL), EINVAL,
	       "CIOCCRYPT op neither encrypt nor decrypt");
	EXPECT(cdev_crypt(cfd, ses, COP_ENCRYPT, 0, buf, buf, 15, iv, NULL), EINVAL,
	       "CIOCCRYPT length not a multiple of the block size");
	EXPECT(cdev_crypt(cfd, ses, COP_ENCRYPT, 0, bad, buf, 16, iv, NULL), EFAULT,
	       "CIOCCRYPT src unmapped (copied)");
	EXPECT(cdev_crypt(cfd, ses, COP_ENCRYPT, 0, buf, bad, 16, iv, NULL), EFAULT,
	       "CIOCCRYPT dst unmapped (copied)");
	EXPECT(cdev_crypt(cfd, ses, COP_ENCRYPT, 0, buf, buf, 16, bad, NULL), EFAULT,
	       "CIOCCRYPT iv unmapped");
	EXPECT(cdev_crypt(cfd, ses, COP_ENCRYPT, 0, NULL, buf, 16, iv, NULL), EFAULT,
	       "CIOCCRYPT src NULL");
	EXPECT(cdev_crypt(cfd, ses, COP_ENCRYPT, 0, buf, buf, 32u << 20, iv, NULL), EINVAL,
	       "CIOCCRYPT longer than the driver's limit (32 MiB)");
	r = ioctl(cfd, CIOCCRYPT, bad) ? -errno : 0;
	EXPECT(r, EFAULT, "CIOCCRYPT argument unmapped");

	/* zero-copy paths: pinning must fail cleanly */
	mem = mmap(NULL, big, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ro = mmap(NULL, big, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem != MAP_FAILED && ro != MAP_FAILED) {
		munmap(mem + big / 2, 4096); /* a hole in the middle */
		EXPECT(cdev_crypt(cfd, ses, COP_ENCRYPT, 0, mem, mem, big, iv, NULL), EFAULT,
		       "CIOCCRYPT 1 MiB with an unmapped page (pinned)");
		EXPECT(cdev_crypt(cfd, ses, COP_ENCRYPT, 0, mem, ro, big / 4, iv, NULL), EFAULT,
		       "CIOCCRYPT 256 KiB into a read-only mapping (pinned)");
		EXPECT(cdev_crypt(cfd, ses, COP_ENCRYPT, COP_FLAG_NO_ZC, mem, ro, big / 4, iv,
				  NULL),
		       EFAULT, "CIOCCRYPT 256 KiB into a read-only mapping (copied)");
		cdev_ok(ro[0] == 0 && ro[big / 4 - 1] == 0, "read-only mapping left untouched");
		munmap(mem, big);
		munmap(ro, big);
	}

	r = cdev_session(cfd, CRYPTO_AES_ECB, key, 16, 0, NULL, 0, &ses2);
	cdev_ok(!r, "CIOCGSESSION AES-ECB-128 (second session)");
	{
		struct crypt_auth_op caop;

		memset(&caop, 0, sizeof(caop));
		caop.ses = ses2;
		caop.len = 16;
		caop.src = buf;
		caop.dst = buf;
		r = ioctl(cfd, CIOCAUTHCRYPT, &caop) ? -errno : 0;
		EXPECT(r, EINVAL, "CIOCAUTHCRYPT on a cipher-only session");
	}
	EXPECT(cdev_free(cfd, ses2), 0, "CIOCFSESSION");
	EXPECT(cdev_free(cfd, ses2), 0, "CIOCFSESSION twice (success, as cryptodev-linux)");
	EXPECT(cdev_crypt(cfd, ses2, COP_ENCRYPT, 0, buf, buf, 16, NULL, NULL), EINVAL,
	       "CIOCCRYPT on a freed session");
	EXPECT(cdev_free(cfd, 0x7fffff00), 0, "CIOCFSESSION unknown (success, as cryptodev-linux)");
	r = ioctl(cfd, CIOCFSESSION, bad) ? -errno : 0;
	EXPECT(r, EFAULT, "CIOCFSESSION argument unmapped");
	{
		struct session_info_op si;

		memset(&si, 0, sizeof(si));
		si.ses = 0x7fffff00;
		r = ioctl(cfd, CIOCGSESSINFO, &si) ? -errno : 0;
		EXPECT(r, EINVAL, "CIOCGSESSINFO unknown session");
	}
	r = ioctl(cfd, _IOWR('c', 200, uint32_t), &u) ? -errno : 0;
	EXPECT(r, EINVAL, "unknown ioctl");
	r = ioctl(cfd, CIOCASYMFEAT, &u) ? -errno : 0;
	cdev_ok(!r && u == 0, "CIOCASYMFEAT: no public-key features");

	/* CRIOGET: a second descriptor of the same file */
	r = ioctl(cfd, CRIOGET, &u) ? -errno : 0;
	fd2 = (int)u;
	cdev_ok(!r && fd2 > 2 && fd2 != cfd, "CRIOGET gives a descriptor");
	if (!r) {
		EXPECT(cdev_crypt(fd2, ses, COP_ENCRYPT, 0, buf, buf, 16, iv, NULL), 0,
		       "CRIOGET descriptor shares the sessions");
		close(fd2);
	}

	/* the device still serves after all that */
	EXPECT(cdev_crypt(cfd, ses, COP_ENCRYPT, 0, buf, buf, 16, iv, NULL), 0,
	       "valid request after the bad ones");
	cdev_free(cfd, ses);
	EXPECT(serves(), 0, "new session, AES-128 known answer");
	return 0;
}

/* ---- load ---- */

struct worker {
	int fd, id, nreq;
	unsigned int seconds;
	size_t size;
	int tolerate;
	long done, bad, enodev;
};

/* Each thread: its own session; every result compared to AF_ALG's. */
static void *stress_thread(void *arg)
{
	struct worker *w = arg;
	const struct cipher_mode *m = &modes[w->id % 4];
	int keylen = m->alg == CRYPTO_AES_XTS ? 32 : 16;
	size_t len = 16 * (1 + w->id % 37) * 7;
	uint8_t key[64], iv[16], iv2[16];
	uint8_t *pt = malloc(len), *ref = malloc(len), *out = malloc(len);
	uint32_t ses;
	int i, r;

	cdev_fill(key, sizeof(key), w->id * 3);
	cdev_fill(iv, sizeof(iv), w->id * 5);
	cdev_fill(pt, len, w->id * 7);
	r = afalg_skcipher(m->name, key, keylen, 1, iv, m->ivlen, pt, ref, len);
	if (r) {
		printf("# worker %d: AF_ALG %s reference failed: %s\n", w->id, m->name, strerror(-r));
		w->bad++;
		goto out;
	}
	r = cdev_session(w->fd, m->alg, key, keylen, 0, NULL, 0, &ses);
	if (r) {
		printf("# worker %d: CIOCGSESSION %s: %s\n", w->id, m->name, strerror(-r));
		w->bad++;
		goto out;
	}
	for (i = 0; i < w->nreq; i++) {
		int dec = i & 1;

		memcpy(iv2, iv, 16);
		memset(out, 0, len);
		r = cdev_crypt(w->fd, ses, dec ? COP_DECRYPT : COP_ENCRYPT, 0, dec ? ref : pt, out,
			       len, m->ivlen ? iv2 : NULL, NULL);
		if (r || memcmp(out, dec ? pt : ref, len))
			w->bad++;
		w->done++;
	}
	cdev_free(w->fd, ses);
out:
	free(pt);
	free(ref);
	free(out);
	return NULL;
}

static int stress_process(int id, int threads, int nreq)
{
	struct worker w[64];
	pthread_t t[64];
	long done = 0, bad = 0;
	int fd = cdev_open(), i;

	if (fd < 0)
		return 2;
	for (i = 0; i < threads; i++) {
		memset(&w[i], 0, sizeof(w[i]));
		w[i].fd = fd;
		w[i].id = id * threads + i;
		w[i].nreq = nreq;
		pthread_create(&t[i], NULL, stress_thread, &w[i]);
	}
	for (i = 0; i < threads; i++) {
		pthread_join(t[i], NULL);
		done += w[i].done;
		bad += w[i].bad;
	}
	close(fd);
	printf("# process %d: %ld requests, %ld wrong\n", id, done, bad);
	return bad || done != (long)threads * nreq;
}

static int cmd_stress(int procs, int threads, int nreq)
{
	int i, st, fails = 0;
	double t0 = cdev_now();

	if (threads > 64)
		threads = 64;
	/*
	 * Instantiate the AF_ALG reference templates one at a time first: in a
	 * fresh guest, threads racing to build ecb(aes) (also inside xts) can
	 * see the kernel crypto API's instantiation fail, which is not ours.
	 */
	for (i = 0; i < (int)(sizeof(modes) / sizeof(modes[0])); i++) {
		uint8_t k[32] = {1}, v[16] = {0}, b[32] = {0};

		afalg_skcipher(modes[i].name, k, modes[i].alg == CRYPTO_AES_XTS ? 32 : 16, 1, v,
			       modes[i].ivlen, b, b, 32);
	}
	fflush(stdout);
	for (i = 0; i < procs; i++) {
		pid_t p = fork();

		if (p == 0)
			_exit(stress_process(i, threads, nreq));
		if (p < 0)
			fails++;
	}
	while (wait(&st) > 0)
		if (!WIFEXITED(st) || WEXITSTATUS(st))
			fails++;
	cdev_ok(!fails,
		"%d processes x %d threads x %d requests, own sessions, all results correct (%.1f "
		"s)",
		procs, threads, nreq, cdev_now() - t0);
	return 0;
}

static void *hold_thread(void *arg)
{
	struct worker *w = arg;
	uint8_t key[16] = {1}, iv[16] = {0};
	uint8_t *buf = malloc(w->size);
	double end = cdev_now() + w->seconds;
	uint32_t ses = 0;
	int r, have = 0;

	memset(buf, 0x5a, w->size);
	while (cdev_now() < end) {
		if (!have) {
			r = cdev_session(w->fd, CRYPTO_AES_CBC, key, 16, 0, NULL, 0, &ses);
			if (r) {
				if (r == -ENODEV && w->tolerate) {
					w->enodev++;
					usleep(20000);
					continue;
				}
				w->bad++;
				break;
			}
			have = 1;
		}
		r = cdev_crypt(w->fd, ses, COP_ENCRYPT, 0, buf, buf, w->size, iv, NULL);
		if (!r) {
			w->done++;
		} else if (r == -ENODEV && w->tolerate) {
			/* device unbound: the session is gone with it */
			w->enodev++;
			cdev_free(w->fd, ses);
			have = 0;
		} else {
			w->bad++;
			break;
		}
	}
	if (have)
		cdev_free(w->fd, ses);
	free(buf);
	return NULL;
}

static int cmd_hold(int threads, size_t size, unsigned int seconds, int tolerate)
{
	struct worker w[64];
	pthread_t t[64];
	long done = 0, bad = 0, enodev = 0;
	int fd = cdev_open(), i;

	if (fd < 0) {
		fprintf(stderr, "cdev_test: /dev/crypto: %s\n", strerror(-fd));
		return 1;
	}
	if (threads > 64)
		threads = 64;
	for (i = 0; i < threads; i++) {
		memset(&w[i], 0, sizeof(w[i]));
		w[i].fd = fd;
		w[i].id = i;
		w[i].size = size;
		w[i].seconds = seconds;
		w[i].tolerate = tolerate;
		pthread_create(&t[i], NULL, hold_thread, &w[i]);
	}
	for (i = 0; i < threads; i++) {
		pthread_join(t[i], NULL);
		done += w[i].done;
		bad += w[i].bad;
		enodev += w[i].enodev;
	}
	close(fd);
	printf("# hold: %ld requests done, %ld ENODEV, %ld other errors\n", done, enodev, bad);
	return bad ? 1 : 0;
}

static void *close_thread(void *arg)
{
	struct worker *w = arg;
	uint8_t key[16] = {2}, iv[16] = {0}, buf[65536];
	uint32_t ses;
	int r;

	if (cdev_session(w->fd, CRYPTO_AES_CTR, key, 16, 0, NULL, 0, &ses))
		return NULL;
	for (;;) {
		r = cdev_crypt(w->fd, ses, COP_ENCRYPT, 0, buf, buf, sizeof(buf), iv, NULL);
		if (r == -EBADF)
			break;
		if (r)
			w->bad++;
		else
			w->done++;
	}
	return NULL;
}

static int cmd_close_inflight(void)
{
	struct worker w[4];
	pthread_t t[4];
	int fd = cdev_open(), i;
	long done = 0, bad = 0;

	if (fd < 0) {
		cdev_ok(0, "open /dev/crypto: %s", strerror(-fd));
		return 0;
	}
	for (i = 0; i < 4; i++) {
		memset(&w[i], 0, sizeof(w[i]));
		w[i].fd = fd;
		pthread_create(&t[i], NULL, close_thread, &w[i]);
	}
	usleep(500000);
	close(fd);
	for (i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		done += w[i].done;
		bad += w[i].bad;
	}
	cdev_ok(done > 0 && !bad,
		"close() while 4 threads have requests in flight: %ld done, %ld failed, then EBADF",
		done, bad);
	cfd = cdev_open();
	EXPECT(serves(), 0, "the device serves a new descriptor afterwards");
	return 0;
}

static const struct {
	uint32_t mac;
	const char *name;
	unsigned int len;
} hmacs[] = {
	{CRYPTO_SHA1_HMAC, "hmac(sha1)", 20},
	{CRYPTO_SHA2_256_HMAC, "hmac(sha256)", 32},
	{CRYPTO_SHA2_384_HMAC, "hmac(sha384)", 48},
	{CRYPTO_SHA2_512_HMAC, "hmac(sha512)", 64},
};

static const struct {
	uint32_t alg;
	const char *name;
	unsigned int len;
	const char *abc; /* digest of "abc" (FIPS 180-4 / RFC 1321 examples) */
} digests[] = {
	{CRYPTO_MD5, "md5", 16, "900150983cd24fb0d6963f7d28e17f72"},
	{CRYPTO_SHA1, "sha1", 20, "a9993e364706816aba3e25717850c26c9cd0d89d"},
	{CRYPTO_SHA2_256, "sha256", 32,
	 "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
	{CRYPTO_SHA2_512, "sha512", 64,
	 "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
	 "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"},
};

/* Plain digests: "abc" known answers and random data against AF_ALG. */
static int cmd_digest(void)
{
	uint8_t md[64], ref[64];
	uint8_t *data = malloc(1 << 20);
	unsigned int i;
	uint32_t ses;
	int r;

	cdev_fill(data, 1 << 20, 8);
	for (i = 0; i < sizeof(digests) / sizeof(digests[0]); i++) {
		r = cdev_session(cfd, 0, NULL, 0, digests[i].alg, NULL, 0, &ses);
		if (r == -EINVAL && digests[i].alg == CRYPTO_MD5) {
			cdev_skip("md5: the backend does not serve MD5 (EINVAL)");
			continue;
		}
		if (r) {
			cdev_ok(0, "%s session: %s", digests[i].name, strerror(-r));
			continue;
		}
		cdev_unhex(digests[i].abc, ref, sizeof(ref));
		memset(md, 0, sizeof(md));
		r = cdev_crypt(cfd, ses, COP_ENCRYPT, 0, "abc", NULL, 3, NULL, md);
		cdev_ok(!r && !memcmp(md, ref, digests[i].len), "%s(\"abc\") known answer",
			digests[i].name);
		r = cdev_crypt(cfd, ses, COP_ENCRYPT, 0, data, NULL, 1 << 20, NULL, md);
		if (!r)
			r = afalg_hmac(digests[i].name, NULL, 0, data, 1 << 20, ref,
				       digests[i].len);
		cdev_ok(!r && !memcmp(md, ref, digests[i].len), "%s of 1 MiB equal to AF_ALG%s%s",
			digests[i].name, r ? ": " : "", r ? strerror(-r) : "");
		cdev_free(cfd, ses);
	}
	free(data);
	return 0;
}

/* MAC-only sessions on random data, 0 B..1 MiB, against AF_ALG. */
static int cmd_hmac(void)
{
	static const size_t sizes[] = {0, 1, 63, 64, 1000, 4096, 65537, 1 << 20};
	uint8_t key[200], md[64], ref[64];
	uint8_t *data = malloc(1 << 20);
	unsigned int i, j;
	uint32_t ses;
	int r;

	cdev_fill(data, 1 << 20, 7);
	for (i = 0; i < sizeof(hmacs) / sizeof(hmacs[0]); i++) {
		int all = 1;
		unsigned int kl = 20 + 50 * i; /* up to a 170-byte key */

		cdev_fill(key, sizeof(key), i);
		r = cdev_session(cfd, 0, NULL, 0, hmacs[i].mac, key, kl, &ses);
		if (r) {
			cdev_ok(0, "%s session: %s", hmacs[i].name, strerror(-r));
			continue;
		}
		for (j = 0; j < sizeof(sizes) / sizeof(sizes[0]); j++) {
			uint16_t flags = (j & 1) ? COP_FLAG_NO_ZC : 0;

			memset(md, 0, sizeof(md));
			r = cdev_crypt(cfd, ses, COP_ENCRYPT, flags, data, NULL, sizes[j], NULL,
				       md);
			if (r ||
			    afalg_hmac(hmacs[i].name, key, kl, data, sizes[j], ref, hmacs[i].len) ||
			    memcmp(md, ref, hmacs[i].len)) {
				cdev_note("%s %zu bytes: %s", hmacs[i].name, sizes[j],
					  r ? strerror(-r) : "differs");
				all = 0;
			}
		}
		cdev_ok(all, "%s (%u-byte key), %zu sizes 0 B..1 MiB: equal to AF_ALG",
			hmacs[i].name, kl, sizeof(sizes) / sizeof(sizes[0]));
		cdev_free(cfd, ses);
	}
	{
		struct crypt_auth_op caop;

		r = cdev_session(cfd, 0, NULL, 0, CRYPTO_SHA2_256_HMAC, key, 32, &ses);
		memset(&caop, 0, sizeof(caop));
		memset(md, 0, sizeof(md));
		caop.ses = ses;
		caop.auth_src = data;
		caop.auth_len = 1000;
		caop.tag = md;
		if (!r)
			r = ioctl(cfd, CIOCAUTHCRYPT, &caop) ? -errno : 0;
		if (!r)
			r = afalg_hmac("hmac(sha256)", key, 32, data, 1000, ref, 32);
		cdev_ok(!r && !memcmp(md, ref, 32) && caop.tag_len == 32,
			"CIOCAUTHCRYPT on a MAC-only session: tag = HMAC-SHA256 (%u bytes)",
			caop.tag_len);
		memset(&caop, 0, sizeof(caop));
		caop.ses = ses;
		caop.flags = COP_FLAG_AEAD_TLS_TYPE;
		caop.auth_src = data;
		caop.auth_len = 16;
		caop.tag = md;
		r = ioctl(cfd, CIOCAUTHCRYPT, &caop) ? -errno : 0;
		EXPECT(r, EINVAL, "CIOCAUTHCRYPT TLS mode (not served)");
		memset(&caop, 0, sizeof(caop));
		caop.ses = ses;
		caop.auth_src = data;
		caop.auth_len = 16;
		caop.tag = (void *)16;
		r = ioctl(cfd, CIOCAUTHCRYPT, &caop) ? -errno : 0;
		EXPECT(r, EFAULT, "CIOCAUTHCRYPT tag unmapped");
		/* multi-part: 3 updates + final = HMAC of the whole */
		memset(md, 0, sizeof(md));
		r = cdev_crypt(cfd, ses, COP_ENCRYPT, COP_FLAG_UPDATE, data, NULL, 1000, NULL, md);
		r = r ? r
		      : cdev_crypt(cfd, ses, COP_ENCRYPT, COP_FLAG_UPDATE, data + 1000, NULL, 5000,
				   NULL, md);
		cdev_ok(!r && md[0] == 0 && !memcmp(md, md + 1, 31),
			"COP_FLAG_UPDATE stores the parts, writes no MAC");
		r = r ? r
		      : cdev_crypt(cfd, ses, COP_ENCRYPT, COP_FLAG_UPDATE, data + 6000, NULL, 70000,
				   NULL, md);
		r = r ? r
		      : cdev_crypt(cfd, ses, COP_ENCRYPT, COP_FLAG_UPDATE | COP_FLAG_FINAL,
				   data + 76000, NULL, 24, NULL, md);
		if (!r)
			r = afalg_hmac("hmac(sha256)", key, 32, data, 76024, ref, 32);
		cdev_ok(!r && !memcmp(md, ref, 32),
			"multi-part HMAC-SHA256 (UPDATE x3, UPDATE|FINAL) = HMAC of the whole");
		/* RESET starts over; flags 0 is one-shot whatever came before */
		r = cdev_crypt(cfd, ses, COP_ENCRYPT, COP_FLAG_UPDATE, data, NULL, 500, NULL, md);
		r = r ? r
		      : cdev_crypt(cfd, ses, COP_ENCRYPT, COP_FLAG_UPDATE | COP_FLAG_RESET,
				   data + 100, NULL, 100, NULL, md);
		r = r ? r
		      : cdev_crypt(cfd, ses, COP_ENCRYPT, COP_FLAG_FINAL, data + 200, NULL, 100,
				   NULL, md);
		if (!r)
			r = afalg_hmac("hmac(sha256)", key, 32, data + 100, 200, ref, 32);
		cdev_ok(!r && !memcmp(md, ref, 32),
			"multi-part with COP_FLAG_RESET drops the earlier parts");
		r = cdev_crypt(cfd, ses, COP_ENCRYPT, COP_FLAG_UPDATE, data, NULL, 500, NULL, md);
		r = r ? r : cdev_crypt(cfd, ses, COP_ENCRYPT, 0, data, NULL, 64, NULL, md);
		if (!r)
			r = afalg_hmac("hmac(sha256)", key, 32, data, 64, ref, 32);
		cdev_ok(!r && !memcmp(md, ref, 32),
			"flags 0 after a stored part: one-shot MAC of its own data");
		r = cdev_crypt(cfd, ses, COP_ENCRYPT, COP_FLAG_UPDATE, (void *)16, NULL, 64, NULL,
			       md);
		EXPECT(r, EFAULT, "COP_FLAG_UPDATE with src unmapped");
		cdev_free(cfd, ses);
	}
	free(data);
	return 0;
}

/*
 * Cipher + HMAC sessions through CIOCCRYPT, as cryptodev-linux defines
 * them: encrypt MACs the plaintext and encrypts it; decrypt decrypts and
 * MACs the plaintext.
 */
static int cmd_chain(void)
{
	static const size_t sizes[] = {16, 4096, 65536};
	uint8_t key[32], mk[32], iv[16], iv2[16], md[64], md2[64], ref[64];
	unsigned int i, j;
	uint32_t ses;
	int r;

	cdev_fill(key, sizeof(key), 11);
	cdev_fill(mk, sizeof(mk), 12);
	cdev_fill(iv, sizeof(iv), 13);
	for (i = 0; i < 2; i++) {
		const struct cipher_mode *m = &modes[i ? 2 : 1]; /* CBC, CTR */
		int all = 1;

		r = cdev_session(cfd, m->alg, key, 16, CRYPTO_SHA2_256_HMAC, mk, 32, &ses);
		if (r) {
			cdev_ok(0, "%s + HMAC-SHA256 session: %s", cdev_alg_name(m->alg), strerror(-r));
			continue;
		}
		for (j = 0; j < sizeof(sizes) / sizeof(sizes[0]); j++) {
			size_t len = sizes[j];
			uint8_t *pt = malloc(len), *ct = malloc(len), *out = malloc(len);

			cdev_fill(pt, len, j);
			memcpy(iv2, iv, 16);
			r = cdev_crypt(cfd, ses, COP_ENCRYPT, 0, pt, out, len, iv2, md);
			if (!r)
				r = afalg_skcipher(m->name, key, 16, 1, iv, 16, pt, ct, len);
			if (!r)
				r = afalg_hmac("hmac(sha256)", mk, 32, pt, len, ref, 32);
			if (r || memcmp(out, ct, len) || memcmp(md, ref, 32)) {
				cdev_note("%s encrypt %zu: %s", m->name, len,
					  r ? strerror(-r) : "differs");
				all = 0;
			}
			memcpy(iv2, iv, 16);
			memset(out, 0, len);
			r = cdev_crypt(cfd, ses, COP_DECRYPT, 0, ct, out, len, iv2, md2);
			if (r || memcmp(out, pt, len) || memcmp(md2, ref, 32)) {
				cdev_note("%s decrypt %zu: %s", m->name, len,
					  r ? strerror(-r) : "differs");
				all = 0;
			}
			free(pt);
			free(ct);
			free(out);
		}
		cdev_ok(all,
			"%s + HMAC-SHA256 (CIOCCRYPT): ciphertext and MAC of the plaintext equal "
			"to AF_ALG, both ways",
			cdev_alg_name(m->alg));
		memcpy(iv2, iv, 16);
		r = cdev_crypt(cfd, ses, COP_ENCRYPT, COP_FLAG_UPDATE, iv, md, 16, iv2, md);
		EXPECT(r, 0, "COP_FLAG_UPDATE on a cipher+MAC session (a part; cdev_compat checks them)");
		cdev_free(cfd, ses);
	}
	return 0;
}

static volatile sig_atomic_t alarms;

static void on_alarm(int sig)
{
	(void)sig;
	alarms++;
}

/*
 * A program with a signal handler (no SA_RESTART) and a 1 ms timer: its
 * requests still all succeed with the right result, as with
 * cryptodev-linux, whose waits are not interruptible.
 */
static int cmd_signals(void)
{
	static const size_t sizes[] = {256, 65536};
	struct itimerval it = {{0, 1000}, {0, 1000}};
	struct sigaction sa;
	uint8_t key[16] = {5}, iv[16] = {6}, iv2[16];
	long bad = 0, eintr = 0, n = 0;
	unsigned int k;
	uint32_t ses;
	int i, r;

	r = cdev_session(cfd, CRYPTO_AES_CBC, key, 16, 0, NULL, 0, &ses);
	if (r) {
		cdev_ok(0, "CIOCGSESSION: %s", strerror(-r));
		return 0;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sigaction(SIGALRM, &sa, NULL);
	for (k = 0; k < 2; k++) {
		size_t len = sizes[k];
		uint8_t *pt = malloc(len), *ref = malloc(len), *out = malloc(len);

		cdev_fill(pt, len, k);
		memcpy(iv2, iv, 16);
		r = cdev_crypt(cfd, ses, COP_ENCRYPT, 0, pt, ref, len, iv2, NULL);
		setitimer(ITIMER_REAL, &it, NULL);
		for (i = 0; i < 1000 && !r; i++, n++) {
			memcpy(iv2, iv, 16);
			r = cdev_crypt(cfd, ses, COP_ENCRYPT, 0, pt, out, len, iv2, NULL);
			if (r == -EINTR)
				eintr++;
			if (r || memcmp(out, ref, len))
				bad++;
			r = 0;
		}
		memset(&it, 0, sizeof(it));
		setitimer(ITIMER_REAL, &it, NULL);
		it.it_interval.tv_usec = it.it_value.tv_usec = 1000;
		free(pt);
		free(ref);
		free(out);
	}
	cdev_free(cfd, ses);
	cdev_ok(!bad && alarms > 0,
		"%ld requests under a 1 ms SIGALRM handler (%d signals): %ld failed, %ld EINTR", n,
		(int)alarms, bad, eintr);
	return 0;
}

/* The stock driver (or any AF_ALG driver) on the same vectors. */
static int cmd_afalg_cbc(const char *driver)
{
	const struct kat *k = &kats[3];
	uint8_t key[16], iv[16], pt[64], ct[64], out[64];
	int r;

	cdev_unhex(k->key, key, sizeof(key));
	cdev_unhex(k->iv, iv, sizeof(iv));
	cdev_unhex(k->pt, pt, sizeof(pt));
	cdev_unhex(k->ct, ct, sizeof(ct));
	r = afalg_skcipher(driver, key, 16, 1, iv, 16, pt, out, 64);
	cdev_ok(!r && !memcmp(out, ct, 64), "%s through AF_ALG %s%s%s", k->what, driver,
		r ? ": " : "", r ? strerror(-r) : "");
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"expect-hmac", no_argument, NULL, 'H'},
		{"max", required_argument, NULL, 'm'},
		{"tolerate", no_argument, NULL, 'o'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int c, procs = 8, threads = 4, nreq = 100, expect_hmac = 0;
	int tolerate = 0;
	unsigned int seconds = 5;
	size_t max = 1 << 20, size = 65536;
	const char *cmd;

	while ((c = getopt_long(argc, argv, "p:t:n:s:T:h", opts, NULL)) != -1) {
		switch (c) {
		case 'H':
			expect_hmac = 1;
			break;
		case 'm':
			max = strtoul(optarg, NULL, 0);
			break;
		case 'o':
			tolerate = 1;
			break;
		case 'p':
			procs = atoi(optarg);
			break;
		case 't':
			threads = atoi(optarg);
			break;
		case 'n':
			nreq = atoi(optarg);
			break;
		case 's':
			size = strtoul(optarg, NULL, 0);
			break;
		case 'T':
			seconds = atoi(optarg);
			break;
		case 'h':
			return usage(stdout, 0);
		default:
			return usage(stderr, 2);
		}
	}
	if (optind >= argc)
		return usage(stderr, 2);
	cmd = argv[optind];
	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!strcmp(cmd, "close-inflight"))
		return cmd_close_inflight(), cdev_failures() ? 1 : 0;
	if (!strcmp(cmd, "stress"))
		return cmd_stress(procs, threads, nreq), cdev_failures() ? 1 : 0;
	if (!strcmp(cmd, "afalg-cbc") && optind + 1 < argc)
		return cmd_afalg_cbc(argv[optind + 1]), cdev_failures() ? 1 : 0;
	if (!strcmp(cmd, "hold"))
		return cmd_hold(threads, size, seconds, tolerate);

	cfd = cdev_open();
	if (cfd < 0) {
		cdev_ok(0, "open /dev/crypto: %s", strerror(-cfd));
		return 1;
	}
	if (!strcmp(cmd, "vectors"))
		cmd_vectors(expect_hmac);
	else if (!strcmp(cmd, "random"))
		cmd_random(max);
	else if (!strcmp(cmd, "sessinfo"))
		cmd_sessinfo();
	else if (!strcmp(cmd, "errors"))
		cmd_errors();
	else if (!strcmp(cmd, "nodev")) {
		uint8_t key[16] = {0};
		uint32_t ses;

		EXPECT(cdev_session(cfd, CRYPTO_AES_CBC, key, 16, 0, NULL, 0, &ses), ENODEV,
		       "CIOCGSESSION with no device bound");
	} else if (!strcmp(cmd, "hmac"))
		cmd_hmac();
	else if (!strcmp(cmd, "digest"))
		cmd_digest();
	else if (!strcmp(cmd, "signals"))
		cmd_signals();
	else if (!strcmp(cmd, "chain"))
		cmd_chain();
	else
		return usage(stderr, 2);
	close(cfd);
	return cdev_failures() ? 1 : 0;
}
