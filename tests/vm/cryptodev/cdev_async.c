// SPDX-License-Identifier: MIT
/*
 * cdev_async: cryptodev-linux's asynchronous interface of /dev/crypto
 * (CIOCASYNCCRYPT, CIOCASYNCFETCH, poll) in a guest.  Every expected
 * result comes from OpenSSL (libcrypto, linked statically); the 32-bit
 * build, for which there is no 32-bit libcrypto, takes them from the
 * guest kernel's software drivers through AF_ALG instead.  Prints TAP
 * lines; exit status 1 if a check failed.  See usage().
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cdev_util.h"

#ifndef CDEV_REF_AFALG
#include <openssl/evp.h>
#include <openssl/hmac.h>
#define REF_NAME "OpenSSL"
#else
#define REF_NAME "AF_ALG"
#endif

static void usage(FILE *f)
{
	fprintf(f, "usage: cdev_async COMMAND\n"
		   "  basic        poll readiness, FETCH with nothing queued, one op\n"
		   "  queue        many ciphers queued, then fetched in order, = " REF_NAME "\n"
		   "  full         the 64-job bound: EBUSY, POLLOUT\n"
		   "  loop         poll-driven submit/fetch for 3 s (async_speed's pattern)\n"
		   "  errors       each bad argument: errno at CIOCASYNCCRYPT or at FETCH\n"
		   "  hmac         HMAC, digests, multi-part, cipher+HMAC through async\n"
		   "  close        close the fd with jobs the device still has\n"
		   "  threads      4 threads queue and fetch on one fd (any thread's jobs)\n"
		   "  hold SECS    keep 32 jobs of 1 MiB out (to be killed)\n"
		   "  null [--mac] CRYPTO_NULL jobs (async_speed starts with them)\n"
		   "  unbind FILE  jobs on two devices while one is unbound (FILE: go)\n");
}

#define MAX_JOBS 64 /* cryptodev-linux's MAX_COP_RINGSIZE */

static int cfd;

/* ---- the reference ---- */

#ifndef CDEV_REF_AFALG
static const EVP_CIPHER *ref_evp(uint32_t alg, size_t keylen)
{
	switch (alg) {
	case CRYPTO_AES_ECB:
		return keylen == 16   ? EVP_aes_128_ecb()
		       : keylen == 24 ? EVP_aes_192_ecb()
				      : EVP_aes_256_ecb();
	case CRYPTO_AES_CBC:
		return keylen == 16   ? EVP_aes_128_cbc()
		       : keylen == 24 ? EVP_aes_192_cbc()
				      : EVP_aes_256_cbc();
	case CRYPTO_AES_CTR:
		return keylen == 16   ? EVP_aes_128_ctr()
		       : keylen == 24 ? EVP_aes_192_ctr()
				      : EVP_aes_256_ctr();
	case CRYPTO_AES_XTS:
		return keylen == 32 ? EVP_aes_128_xts() : EVP_aes_256_xts();
	}
	return NULL;
}
#endif

/* Expected output of a cipher op; 0 or -1. */
static int ref_cipher(uint32_t alg, const uint8_t *key, size_t keylen, int enc, const uint8_t *iv,
		      const uint8_t *in, uint8_t *out, size_t len)
{
#ifndef CDEV_REF_AFALG
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int n1 = 0, n2 = 0, ok;

	ok = c && EVP_CipherInit_ex(c, ref_evp(alg, keylen), NULL, key, iv, enc) &&
	     EVP_CIPHER_CTX_set_padding(c, 0) && EVP_CipherUpdate(c, out, &n1, in, (int)len) &&
	     EVP_CipherFinal_ex(c, out + n1, &n2) && (size_t)(n1 + n2) == len;
	EVP_CIPHER_CTX_free(c);
	return ok ? 0 : -1;
#else
	const char *name = alg == CRYPTO_AES_ECB   ? "ecb(aes-generic)"
			   : alg == CRYPTO_AES_CBC ? "cbc(aes-generic)"
			   : alg == CRYPTO_AES_CTR ? "ctr(aes-generic)"
						   : "xts(aes)";

	return afalg_skcipher(name, key, keylen, enc, iv, alg == CRYPTO_AES_ECB ? 0 : 16, in, out,
			      len)
		       ? -1
		       : 0;
#endif
}

struct mac_alg {
	uint32_t alg;
	const char *name; /* OpenSSL digest */
	const char *afalg; /* AF_ALG name */
	unsigned int len;
	int keyed;
};

static const struct mac_alg macs[] = {
	{CRYPTO_SHA1_HMAC, "SHA1", "hmac(sha1)", 20, 1},
	{CRYPTO_SHA2_256_HMAC, "SHA256", "hmac(sha256)", 32, 1},
	{CRYPTO_SHA2_512_HMAC, "SHA512", "hmac(sha512)", 64, 1},
	{CRYPTO_MD5_HMAC, "MD5", "hmac(md5)", 16, 1},
	{CRYPTO_SHA1, "SHA1", "sha1", 20, 0},
	{CRYPTO_MD5, "MD5", "md5", 16, 0},
	{CRYPTO_SHA2_256, "SHA256", "sha256", 32, 0},
};

static int ref_mac(const struct mac_alg *m, const uint8_t *key, size_t keylen, const uint8_t *in,
		   size_t len, uint8_t *out)
{
#ifndef CDEV_REF_AFALG
	const EVP_MD *md = EVP_get_digestbyname(m->name);
	unsigned int n = 0;

	if (!md)
		return -1;
	if (m->keyed)
		return HMAC(md, key, (int)keylen, in, len, out, &n) && n == m->len ? 0 : -1;
	return EVP_Digest(in, len, out, &n, md, NULL) && n == m->len ? 0 : -1;
#else
	return afalg_hmac(m->afalg, m->keyed ? key : NULL, m->keyed ? keylen : 0, in, len, out,
			  m->len)
		       ? -1
		       : 0;
#endif
}

/* ---- /dev/crypto async helpers ---- */

static int async_crypt(int fd, struct crypt_op *cop)
{
	return ioctl(fd, CIOCASYNCCRYPT, cop) ? -errno : 0;
}

static int async_fetch(int fd, struct crypt_op *cop)
{
	return ioctl(fd, CIOCASYNCFETCH, cop) ? -errno : 0;
}

/* poll() for @events; returns revents (0 on timeout), or -errno. */
static int poll_fd(int fd, short events, int ms)
{
	struct pollfd p = {.fd = fd, .events = events};
	int n = poll(&p, 1, ms);

	if (n < 0)
		return -errno;
	return n ? p.revents : 0;
}

/* Waits for POLLIN (10 s at most), then fetches. */
static int wait_fetch(int fd, struct crypt_op *cop)
{
	int r = poll_fd(fd, POLLIN, 10000);

	if (r < 0)
		return r;
	if (!(r & POLLIN))
		return -ETIMEDOUT;
	return async_fetch(fd, cop);
}

static void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p) {
		perror("malloc");
		exit(2);
	}
	return p;
}

/* An address no page is mapped at (for EFAULT). */
static void *unmapped(void)
{
	void *p = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED) {
		perror("mmap");
		exit(2);
	}
	munmap(p, 1 << 20);
	return p;
}

static void ctr_add(uint8_t *ctr, uint64_t n)
{
	for (int i = 15; i >= 0 && n; i--) {
		n += ctr[i];
		ctr[i] = n & 0xff;
		n >>= 8;
	}
}

/* ---- basic: poll readiness, FETCH with nothing, one op ---- */

static int cmd_basic(void)
{
	uint8_t key[16], iv[16], ivc[16], *pt, *ct, *ref;
	size_t len = 1 << 20; /* long enough for poll() to sleep first */
	struct crypt_op cop, got;
	uint32_t ses;
	int r;

	r = poll_fd(cfd, POLLIN | POLLRDNORM | POLLOUT | POLLWRNORM, 0);
	cdev_ok(r == (POLLOUT | POLLWRNORM),
		"poll before any job: POLLOUT, no POLLIN (revents %#x)", r);
	r = async_fetch(cfd, &got);
	cdev_ok(r == -EBUSY, "CIOCASYNCFETCH with nothing queued: EBUSY, does not block (%d)", r);

	cdev_fill(key, sizeof(key), 1);
	cdev_fill(iv, sizeof(iv), 2);
	pt = xmalloc(len);
	ct = xmalloc(len);
	ref = xmalloc(len);
	cdev_fill(pt, len, 3);
	r = cdev_session(cfd, CRYPTO_AES_CBC, key, 16, 0, NULL, 0, &ses);
	cdev_ok(!r, "CIOCGSESSION AES-CBC-128 (%d)", r);
	memcpy(ivc, iv, 16);
	memset(&cop, 0, sizeof(cop));
	cop.ses = ses;
	cop.op = COP_ENCRYPT;
	cop.len = len;
	cop.src = pt;
	cop.dst = ct;
	cop.iv = ivc;
	r = async_crypt(cfd, &cop);
	cdev_ok(!r, "CIOCASYNCCRYPT 1 MiB returns at once (%d)", r);
	r = poll_fd(cfd, POLLIN, 20000);
	cdev_ok(r > 0 && (r & POLLIN), "poll(POLLIN) wakes when the job is done (revents %#x)", r);
	r = poll_fd(cfd, POLLIN | POLLRDNORM, 0);
	cdev_ok(r > 0 && (r & POLLIN) && (r & POLLRDNORM),
		"still POLLIN|POLLRDNORM until fetched (revents %#x)", r);
	memset(&got, 0xa5, sizeof(got));
	r = async_fetch(cfd, &got);
	cdev_ok(!r, "CIOCASYNCFETCH (%d)", r);
	cdev_ok(!r && !memcmp(&got, &cop, sizeof(cop)),
		"FETCH returns the crypt_op as queued (ses, op, len, src, dst, iv)");
	r = ref_cipher(CRYPTO_AES_CBC, key, 16, 1, iv, pt, ref, len);
	cdev_ok(!r && !memcmp(ct, ref, len), "1 MiB AES-CBC (zero copy) = " REF_NAME);
	cdev_ok(!memcmp(ivc, iv, 16), "iv untouched without COP_FLAG_WRITE_IV");
	r = poll_fd(cfd, POLLIN, 0);
	cdev_ok(r >= 0 && !(r & POLLIN), "no POLLIN once fetched (revents %#x)", r);
	r = async_fetch(cfd, &got);
	cdev_ok(r == -EBUSY, "second FETCH: EBUSY (%d)", r);

	/* epoll: level-triggered EPOLLIN once a job is done */
	int ep = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event ev = {.events = EPOLLIN}, evs[2];

	r = ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, cfd, &ev) ? -errno : 0;
	cdev_ok(!r, "epoll_ctl ADD /dev/crypto (%d)", r);
	r = epoll_wait(ep, evs, 2, 0);
	cdev_ok(r == 0, "epoll: nothing before a job (%d)", r);
	cop.len = 65536;
	r = async_crypt(cfd, &cop);
	if (!r)
		r = epoll_wait(ep, evs, 2, 20000);
	cdev_ok(r == 1 && (evs[0].events & EPOLLIN), "epoll_wait wakes with EPOLLIN (%d)", r);
	r = async_fetch(cfd, &got);
	cdev_ok(!r && !memcmp(ct, ref, 65536), "fetched after epoll: 64 KiB = " REF_NAME " (%d)",
		r);
	r = epoll_wait(ep, evs, 2, 0);
	cdev_ok(r == 0, "epoll: nothing once fetched (%d)", r);
	close(ep);

	/* the helpers of cryptodev-linux's tests: poll POLLOUT, crypt, poll POLLIN, fetch */
	memset(ct, 0, 64);
	cop.len = 64;
	r = poll_fd(cfd, POLLOUT, 1000);
	cdev_ok(r > 0 && (r & POLLOUT), "POLLOUT before a small job (revents %#x)", r);
	r = async_crypt(cfd, &cop);
	if (!r)
		r = wait_fetch(cfd, &got);
	cdev_ok(!r && !memcmp(ct, ref, 64), "64 B (copied) after poll: = " REF_NAME " (%d)", r);
	cdev_free(cfd, ses);
	free(pt);
	free(ct);
	free(ref);
	return 0;
}

/* ---- queue: many jobs queued, then fetched in submission order ---- */

struct qjob {
	struct crypt_op cop;
	uint32_t alg;
	const uint8_t *key;
	size_t keylen;
	int enc;
	uint8_t iv0[16], iv[16], next_iv[16];
	uint8_t *in, *out, *ref;
	size_t len;
};

static int cmd_queue(void)
{
	static const struct {
		uint32_t alg;
		size_t keylen;
	} sess[] = {
		{CRYPTO_AES_ECB, 16}, {CRYPTO_AES_CBC, 16}, {CRYPTO_AES_CBC, 32},
		{CRYPTO_AES_CTR, 24}, {CRYPTO_AES_XTS, 32}, {CRYPTO_AES_XTS, 64},
	};
	static const size_t sizes[] = {16, 64, 512, 4096, 4112, 65536, 262144, 32, 1024, 8192};
	enum { NSES = sizeof(sess) / sizeof(sess[0]), N = 60 };
	uint8_t keys[NSES][64];
	uint32_t ses[NSES];
	struct qjob *j = calloc(N, sizeof(*j));
	int i, r, bad = 0, order = 1, results = 1, ivs = 1, nq = 0;

	for (i = 0; i < NSES; i++) {
		cdev_fill(keys[i], sizeof(keys[i]), 100 + i);
		if (sess[i].alg == CRYPTO_AES_XTS) /* the two XTS halves must differ */
			keys[i][sess[i].keylen / 2] ^= 0xff;
		r = cdev_session(cfd, sess[i].alg, keys[i], sess[i].keylen, 0, NULL, 0, &ses[i]);
		if (r) {
			cdev_ok(0, "CIOCGSESSION %s-%zu (%d)", cdev_alg_name(sess[i].alg),
				sess[i].keylen * 8, r);
			return 1;
		}
	}
	for (i = 0; i < N; i++) {
		struct qjob *q = &j[i];
		int s = i % NSES;

		q->alg = sess[s].alg;
		q->key = keys[s];
		q->keylen = sess[s].keylen;
		q->enc = (i / NSES) % 2 == 0;
		q->len = sizes[i % 10];
		if (q->alg == CRYPTO_AES_CTR && i % 3 == 0)
			q->len += 5; /* a CTR tail shorter than a block */
		q->in = xmalloc(q->len);
		q->ref = xmalloc(q->len);
		q->out = i % 4 == 1 ? q->in : xmalloc(q->len); /* some in place */
		cdev_fill(q->in, q->len, 1000 + i);
		cdev_fill(q->iv0, 16, 2000 + i);
		memcpy(q->iv, q->iv0, 16);
		if (ref_cipher(q->alg, q->key, q->keylen, q->enc,
			       q->alg == CRYPTO_AES_ECB ? NULL : q->iv0, q->in, q->ref, q->len)) {
			cdev_ok(0, "reference %s %zu B", cdev_alg_name(q->alg), q->len);
			return 1;
		}
		/* the IV after the job, by definition of the mode */
		memcpy(q->next_iv, q->iv0, 16);
		if (q->alg == CRYPTO_AES_CBC)
			memcpy(q->next_iv, (q->enc ? q->ref : q->in) + q->len - 16, 16);
		else if (q->alg == CRYPTO_AES_CTR)
			ctr_add(q->next_iv, (q->len + 15) / 16);
		q->cop.ses = ses[s];
		q->cop.op = q->enc ? COP_ENCRYPT : COP_DECRYPT;
		q->cop.flags = i % 2 ? COP_FLAG_WRITE_IV : 0;
		q->cop.len = q->len;
		q->cop.src = q->in;
		q->cop.dst = q->out;
		q->cop.iv = q->alg == CRYPTO_AES_ECB ? NULL : q->iv;
	}
	/* all queued before any is fetched */
	for (i = 0; i < N; i++) {
		r = async_crypt(cfd, &j[i].cop);
		if (r) {
			cdev_note("job %d: CIOCASYNCCRYPT %d", i, r);
			bad++;
		} else {
			nq++;
		}
	}
	cdev_ok(!bad,
		"%d jobs (4 AES modes, 16 B-256 KiB, copied and zero copy, in and out of "
		"place) queued without fetching",
		nq);
	for (i = 0; i < N; i++) {
		struct qjob *q = &j[i];
		struct crypt_op got;

		memset(&got, 0, sizeof(got));
		r = wait_fetch(cfd, &got);
		if (r) {
			cdev_note("fetch %d: %d", i, r);
			results = 0;
			continue;
		}
		if (memcmp(&got, &q->cop, sizeof(got))) {
			cdev_note("fetch %d returned the op with dst %p (expected %p)", i, got.dst,
				  q->cop.dst);
			order = 0;
		}
		if (memcmp(q->out, q->ref, q->len)) {
			cdev_note("job %d (%s %s %zu B) differs from " REF_NAME, i,
				  cdev_alg_name(q->alg), q->enc ? "enc" : "dec", q->len);
			results = 0;
		}
		if (q->cop.flags & COP_FLAG_WRITE_IV) {
			if (q->alg != CRYPTO_AES_ECB && memcmp(q->iv, q->next_iv, 16)) {
				cdev_note("job %d (%s): WRITE_IV gave a wrong next IV", i,
					  cdev_alg_name(q->alg));
				ivs = 0;
			}
		}
	}
	cdev_ok(order, "FETCH hands the jobs back in the order they were queued");
	cdev_ok(results, "all %d results = " REF_NAME, N);
	cdev_ok(ivs, "COP_FLAG_WRITE_IV: next IV written at FETCH (CBC last block, CTR counter)");
	r = async_fetch(cfd, &j[0].cop);
	cdev_ok(r == -EBUSY, "all fetched: EBUSY (%d)", r);
	for (i = 0; i < NSES; i++)
		cdev_free(cfd, ses[i]);
	for (i = 0; i < N; i++) {
		if (j[i].out != j[i].in)
			free(j[i].out);
		free(j[i].in);
		free(j[i].ref);
	}
	free(j);
	return 0;
}

/* ---- full: the per-file bound ---- */

static int cmd_full(void)
{
	uint8_t key[16], iv[16];
	uint8_t *buf = xmalloc(MAX_JOBS * 256), *ref = xmalloc(MAX_JOBS * 256);
	uint8_t *out = xmalloc(MAX_JOBS * 256);
	struct crypt_op cop, got;
	int i, r, nq = 0, fails = 0;
	uint32_t ses;

	cdev_fill(key, 16, 7);
	cdev_fill(iv, 16, 8);
	cdev_fill(buf, MAX_JOBS * 256, 9);
	r = cdev_session(cfd, CRYPTO_AES_CTR, key, 16, 0, NULL, 0, &ses);
	cdev_ok(!r, "CIOCGSESSION AES-CTR (%d)", r);
	memset(&cop, 0, sizeof(cop));
	cop.ses = ses;
	cop.op = COP_ENCRYPT;
	cop.len = 256;
	cop.iv = iv;
	for (i = 0; i < MAX_JOBS; i++) {
		cop.src = buf + i * 256;
		cop.dst = out + i * 256;
		if (async_crypt(cfd, &cop) == 0)
			nq++;
	}
	cdev_ok(nq == MAX_JOBS, "%d jobs queued (%d accepted)", MAX_JOBS, nq);
	r = poll_fd(cfd, POLLOUT, 0);
	cdev_ok(r >= 0 && !(r & POLLOUT), "64 jobs out: no POLLOUT (revents %#x)", r);
	r = async_crypt(cfd, &cop);
	cdev_ok(r == -EBUSY, "65th CIOCASYNCCRYPT: EBUSY, as cryptodev-linux (%d)", r);
	r = wait_fetch(cfd, &got);
	cdev_ok(!r, "one fetched (%d)", r);
	r = poll_fd(cfd, POLLOUT | POLLWRNORM, 0);
	cdev_ok(r > 0 && (r & POLLOUT) && (r & POLLWRNORM),
		"room again: POLLOUT|POLLWRNORM (revents %#x)", r);
	cop.src = buf;
	cop.dst = out;
	r = async_crypt(cfd, &cop);
	cdev_ok(!r, "CIOCASYNCCRYPT accepted again (%d)", r);
	for (i = 0; i < MAX_JOBS; i++)
		if (wait_fetch(cfd, &got))
			fails++;
	cdev_ok(!fails, "the other 64 fetched (%d failed)", fails);
	for (i = 0; i < MAX_JOBS; i++)
		ref_cipher(CRYPTO_AES_CTR, key, 16, 1, iv, buf + i * 256, ref + i * 256, 256);
	cdev_ok(!memcmp(out, ref, MAX_JOBS * 256), "their results = " REF_NAME);
	cdev_free(cfd, ses);
	free(buf);
	free(ref);
	free(out);
	return 0;
}

/* ---- loop: async_speed's pattern, every result checked ---- */

static volatile sig_atomic_t stop;
static void on_alarm(int sig)
{
	(void)sig;
	stop = 1;
}

static int cmd_loop(void)
{
	enum { NB = 64, LEN = 4096 + 512 };
	uint8_t key[32], iv[16], *buf[NB], *ref[NB];
	struct sigaction sa;
	long queued = 0, fetched = 0, errs = 0, wrong = 0, next = 0;
	int r, out = 0;
	uint32_t ses;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm; /* no SA_RESTART: poll() gets EINTR */
	sigaction(SIGALRM, &sa, NULL);
	cdev_fill(key, 32, 11);
	cdev_fill(iv, 16, 12);
	r = cdev_session(cfd, CRYPTO_AES_CBC, key, 32, 0, NULL, 0, &ses);
	cdev_ok(!r, "CIOCGSESSION AES-CBC-256 (%d)", r);
	for (int i = 0; i < NB; i++) {
		buf[i] = xmalloc(LEN);
		ref[i] = xmalloc(LEN);
		cdev_fill(buf[i], LEN, 500 + i);
		ref_cipher(CRYPTO_AES_CBC, key, 32, 1, iv, buf[i], ref[i], LEN);
	}
	alarm(3);
	while (!stop || out) {
		struct pollfd p = {.fd = cfd, .events = stop ? POLLIN : POLLIN | POLLOUT};
		struct crypt_op cop;

		if (poll(&p, 1, 1000) < 0) {
			if (errno == EINTR)
				continue;
			errs++;
			break;
		}
		if (p.revents & POLLOUT) {
			/* each buffer is encrypted in place from its plaintext */
			int b = next++ % NB;

			cdev_fill(buf[b], LEN, 500 + b);
			memset(&cop, 0, sizeof(cop));
			cop.ses = ses;
			cop.op = COP_ENCRYPT;
			cop.len = LEN;
			cop.src = cop.dst = buf[b];
			cop.iv = iv;
			r = async_crypt(cfd, &cop);
			if (r) {
				cdev_note("CIOCASYNCCRYPT after POLLOUT: %d", r);
				errs++;
				break;
			}
			queued++;
			out++;
		}
		if (p.revents & POLLIN) {
			r = async_fetch(cfd, &cop);
			if (r) {
				cdev_note("CIOCASYNCFETCH after POLLIN: %d", r);
				errs++;
				break;
			}
			fetched++;
			out--;
			for (int b = 0; b < NB; b++)
				if (cop.dst == buf[b] && memcmp(buf[b], ref[b], LEN))
					wrong++;
		}
	}
	cdev_ok(!errs && queued == fetched && queued > 0,
		"3 s of poll-driven submit/fetch: %ld queued, %ld fetched, no error after "
		"POLLOUT/POLLIN",
		queued, fetched);
	cdev_ok(!wrong, "every fetched result = " REF_NAME " (%ld wrong)", wrong);
	cdev_free(cfd, ses);
	for (int i = 0; i < NB; i++) {
		free(buf[i]);
		free(ref[i]);
	}
	return 0;
}

/* ---- errors ---- */

/* Queues @cop (expecting success) and fetches it: the fetch's errno. */
static int fetch_err(struct crypt_op *cop, struct crypt_op *got)
{
	int r = async_crypt(cfd, cop);

	if (r)
		return 1000 + r; /* never an errno */
	memset(got, 0, sizeof(*got));
	return wait_fetch(cfd, got);
}

/* A good request with one thing changed, and the errno it must get. */
struct bad_op {
	const char *what; /* the result's description */
	int err;
	uint32_t ses_add, len;
	uint16_t flags;
	int bad_src, bad_dst, bad_iv; /* pointing at unmapped memory */
};

static const struct bad_op refused[] = {
	{"unknown session: CIOCASYNCCRYPT EINVAL", EINVAL, .ses_add = 1000},
	{"COP_FLAG_NO_ZC: CIOCASYNCCRYPT EINVAL", EINVAL, .flags = COP_FLAG_NO_ZC},
	{"unreadable iv: CIOCASYNCCRYPT EFAULT", EFAULT, .bad_iv = 1},
};

static const struct bad_op fetched[] = {
	{"AES-CBC len 17: FETCH EINVAL", EINVAL, .len = 17},
	{"len 32 MiB: FETCH EINVAL", EINVAL, .len = 32 << 20},
	{"unreadable src, 64 B (copied): FETCH EFAULT", EFAULT, .bad_src = 1},
	{"unreadable src, 64 KiB (pinned): FETCH EFAULT", EFAULT, .bad_src = 1, .len = 65536},
	{"unwritable dst, 64 B (copied out at FETCH): EFAULT", EFAULT, .bad_dst = 1},
	{"unwritable dst, 64 KiB (pinned): FETCH EFAULT", EFAULT, .bad_dst = 1, .len = 65536},
};

/*
 * Each of b[0..n) made from cop: refused by CIOCASYNCCRYPT (at_fetch 0) or
 * queued and failed by its FETCH (at_fetch 1).
 */
static void try_bad_ops(const struct crypt_op *cop, const struct bad_op *b, size_t n, int at_fetch,
			void *bad)
{
	struct crypt_op c, got;
	int r;

	for (size_t i = 0; i < n; i++) {
		c = *cop;
		c.ses += b[i].ses_add;
		c.flags |= b[i].flags;
		if (b[i].len)
			c.len = b[i].len;
		if (b[i].bad_src)
			c.src = bad;
		if (b[i].bad_dst)
			c.dst = bad;
		if (b[i].bad_iv)
			c.iv = bad;
		r = at_fetch ? fetch_err(&c, &got) : async_crypt(cfd, &c);
		cdev_ok(r == -b[i].err, "%s (%d)", b[i].what, r);
	}
}

static int cmd_errors(void)
{
	uint8_t key[16], iv[16], *buf = xmalloc(65536), *out = xmalloc(65536);
	uint8_t *bad = unmapped();
	struct crypt_op cop, got;
	uint32_t ses;
	int r;

	cdev_fill(key, 16, 21);
	cdev_fill(iv, 16, 22);
	cdev_fill(buf, 65536, 23);
	r = cdev_session(cfd, CRYPTO_AES_CBC, key, 16, 0, NULL, 0, &ses);
	cdev_ok(!r, "CIOCGSESSION AES-CBC (%d)", r);
	memset(&cop, 0, sizeof(cop));
	cop.ses = ses;
	cop.op = COP_ENCRYPT;
	cop.len = 64;
	cop.src = buf;
	cop.dst = out;
	cop.iv = iv;

	/* refused by CIOCASYNCCRYPT itself, as cryptodev-linux does */
	try_bad_ops(&cop, refused, sizeof(refused) / sizeof(refused[0]), 0, bad);
	r = ioctl(cfd, CIOCASYNCCRYPT, bad) ? -errno : 0;
	cdev_ok(r == -EFAULT, "unreadable crypt_op: CIOCASYNCCRYPT EFAULT (%d)", r);
	r = async_fetch(cfd, &got);
	cdev_ok(r == -EBUSY, "nothing was queued by those: FETCH EBUSY (%d)", r);

	/* accepted, and the error is the result of the FETCH */
	struct crypt_op c = cop;
	c.op = 7;
	r = fetch_err(&c, &got);
	cdev_ok(r == -EINVAL, "op 7: queued, FETCH EINVAL (%d)", r);
	cdev_ok(got.op == 0 && !got.dst, "a failed FETCH leaves the struct as it was (%u)", got.op);
	try_bad_ops(&cop, fetched, sizeof(fetched) / sizeof(fetched[0]), 1, bad);
	c = cop;
	c.flags = COP_FLAG_WRITE_IV;
	c.iv = iv;
	r = async_crypt(cfd, &c);
	if (!r) {
		poll_fd(cfd, POLLIN, 10000);
		r = ioctl(cfd, CIOCASYNCFETCH, bad) ? -errno : 0;
	}
	cdev_ok(r == -EFAULT, "FETCH into an unwritable crypt_op: EFAULT (%d)", r);
	r = async_fetch(cfd, &got);
	cdev_ok(r == -EBUSY, "that job was consumed: EBUSY (%d)", r);

	/* several bad ones queued among good ones: each gets its own result */
	struct crypt_op ops[4] = {cop, cop, cop, cop};
	int want[4] = {0, -EINVAL, 0, -EFAULT}, res[4], okall = 1;
	uint8_t ref[64], outs[4][64];

	ops[1].len = 15;
	ops[3].src = bad;
	for (int i = 0; i < 4; i++) {
		ops[i].dst = outs[i];
		ops[i].iv = NULL; /* the session's IV: not checked here */
		if (async_crypt(cfd, &ops[i]))
			okall = 0;
	}
	for (int i = 0; i < 4; i++) {
		memset(&got, 0, sizeof(got));
		res[i] = wait_fetch(cfd, &got);
		if (res[i] != want[i] || got.dst != (res[i] ? NULL : outs[i]))
			okall = 0;
	}
	cdev_ok(okall,
		"good, bad len, good, bad src queued: results 0, EINVAL, 0, EFAULT in "
		"order (%d %d %d %d)",
		res[0], res[1], res[2], res[3]);

	c = cop;
	r = fetch_err(&c, &got);
	ref_cipher(CRYPTO_AES_CBC, key, 16, 1, iv, buf, ref, 64);
	cdev_ok(!r && !memcmp(out, ref, 64), "the fd still works after all that (%d)", r);
	r = cdev_free(cfd, ses);
	cdev_ok(!r, "CIOCFSESSION (%d)", r);
	c = cop;
	r = async_crypt(cfd, &c);
	cdev_ok(r == -EINVAL, "freed session: CIOCASYNCCRYPT EINVAL (%d)", r);
	free(buf);
	free(out);
	return 0;
}

/* ---- hmac: MACs and digests through async ---- */

static int cmd_hmac(void)
{
	uint8_t key[64], data[70000], mac[64], ref[64];
	unsigned int i;
	uint32_t ses;
	int r;

	cdev_fill(key, sizeof(key), 31);
	cdev_fill(data, sizeof(data), 32);
	for (i = 0; i < sizeof(macs) / sizeof(macs[0]); i++) {
		const struct mac_alg *m = &macs[i];
		static const size_t sizes[] = {0, 3, 64, 1000, 4096, 70000};
		struct crypt_op cop[6], got;
		uint8_t macs_out[6][64];
		int good = 1;

		r = cdev_session(cfd, 0, NULL, 0, m->alg, key, m->keyed ? 20 : 0, &ses);
		if (r) {
			cdev_ok(0, "CIOCGSESSION %s%s (%d)", m->keyed ? "HMAC-" : "", m->name, r);
			continue;
		}
		for (int k = 0; k < 6; k++) {
			memset(&cop[k], 0, sizeof(cop[k]));
			cop[k].ses = ses;
			cop[k].op = COP_ENCRYPT;
			cop[k].len = sizes[k];
			cop[k].src = data;
			cop[k].mac = macs_out[k];
			if (async_crypt(cfd, &cop[k]))
				good = 0;
		}
		for (int k = 0; k < 6; k++) {
			r = wait_fetch(cfd, &got);
			if (r || ref_mac(m, key, 20, data, sizes[k], ref) ||
			    memcmp(macs_out[k], ref, m->len)) {
				cdev_note("%s %zu B: %d", m->name, sizes[k], r);
				good = 0;
			}
		}
		cdev_ok(good, "%s%s: 6 jobs queued (0 B-70000 B), MACs = " REF_NAME,
			m->keyed ? "HMAC-" : "", m->name);
		cdev_free(cfd, ses);
	}

	/* multi-part through async (cryptodev-linux's async_hmac does it) */
	r = cdev_session(cfd, 0, NULL, 0, CRYPTO_SHA2_256_HMAC, key, 32, &ses);
	if (!r) {
		struct crypt_op parts[3], got;
		int good = 1;

		memset(mac, 0, sizeof(mac));
		for (int k = 0; k < 3; k++) {
			memset(&parts[k], 0, sizeof(parts[k]));
			parts[k].ses = ses;
			parts[k].op = COP_ENCRYPT;
			parts[k].src = data + k * 1000;
			parts[k].len = k == 2 ? 500 : 1000;
			parts[k].mac = mac;
			parts[k].flags = k == 2 ? COP_FLAG_FINAL : COP_FLAG_UPDATE;
			if (async_crypt(cfd, &parts[k]))
				good = 0;
		}
		for (int k = 0; k < 3; k++)
			if (wait_fetch(cfd, &got))
				good = 0;
		ref_mac(&macs[1], key, 32, data, 2500, ref);
		cdev_ok(good && !memcmp(mac, ref, 32),
			"HMAC-SHA256 in 3 parts (UPDATE, UPDATE, FINAL) all queued, then fetched: "
			"= " REF_NAME " over the whole");
		struct crypt_op c = parts[0];
		c.flags = 0;
		c.mac = unmapped();
		r = async_crypt(cfd, &c);
		if (!r)
			r = wait_fetch(cfd, &got);
		cdev_ok(r == -EFAULT, "unwritable mac: FETCH EFAULT (%d)", r);
		cdev_free(cfd, ses);
	} else {
		cdev_ok(0, "CIOCGSESSION HMAC-SHA256 (%d)", r);
	}

	/* cipher + HMAC in one session: the MAC covers the plaintext both ways */
	r = cdev_session(cfd, CRYPTO_AES_CBC, key, 16, CRYPTO_SHA1_HMAC, key + 16, 20, &ses);
	if (!r) {
		uint8_t iv[16], ct[4096], pt[4096], refct[4096], m1[20], m2[20];
		struct crypt_op c, got;

		cdev_fill(iv, 16, 33);
		memset(&c, 0, sizeof(c));
		c.ses = ses;
		c.op = COP_ENCRYPT;
		c.len = 4096;
		c.src = data;
		c.dst = ct;
		c.iv = iv;
		c.mac = m1;
		r = async_crypt(cfd, &c);
		c.op = COP_DECRYPT;
		c.src = ct;
		c.dst = pt;
		c.mac = m2;
		if (!r)
			r = wait_fetch(cfd, &got);
		if (!r)
			r = async_crypt(cfd, &c);
		if (!r)
			r = wait_fetch(cfd, &got);
		ref_cipher(CRYPTO_AES_CBC, key, 16, 1, iv, data, refct, 4096);
		ref_mac(&macs[0], key + 16, 20, data, 4096, ref);
		cdev_ok(!r && !memcmp(ct, refct, 4096) && !memcmp(m1, ref, 20),
			"AES-CBC+HMAC-SHA1 encrypt: ciphertext and MAC(plaintext) = " REF_NAME
			" (%d)",
			r);
		cdev_ok(!r && !memcmp(pt, data, 4096) && !memcmp(m2, ref, 20),
			"AES-CBC+HMAC-SHA1 decrypt: plaintext and MAC(plaintext) (%d)", r);
		cdev_free(cfd, ses);
	} else {
		cdev_ok(0, "CIOCGSESSION AES-CBC+HMAC-SHA1 (%d)", r);
	}

	/* cipher + HMAC in parts: the IV carries from part to part, the MAC covers all */
	r = cdev_session(cfd, CRYPTO_AES_CBC, key, 16, CRYPTO_SHA2_256_HMAC, key + 16, 32, &ses);
	if (!r) {
		static const unsigned int plen[3] = {1024, 2048, 512};
		uint8_t iv[16], ivc[16], ct[3584], refct[3584], m[32];
		struct crypt_op parts[3], got;
		unsigned int off = 0;
		int good = 1;

		cdev_fill(iv, 16, 34);
		memcpy(ivc, iv, 16);
		for (int k = 0; k < 3; k++) {
			memset(&parts[k], 0, sizeof(parts[k]));
			parts[k].ses = ses;
			parts[k].op = COP_ENCRYPT;
			parts[k].flags = k == 2 ? COP_FLAG_FINAL : COP_FLAG_UPDATE;
			parts[k].len = plen[k];
			parts[k].src = data + off;
			parts[k].dst = ct + off;
			parts[k].iv = k ? NULL : ivc; /* then the session's */
			parts[k].mac = m;
			off += plen[k];
			if (async_crypt(cfd, &parts[k]))
				good = 0;
		}
		for (int k = 0; k < 3; k++)
			if (wait_fetch(cfd, &got))
				good = 0;
		ref_cipher(CRYPTO_AES_CBC, key, 16, 1, iv, data, refct, sizeof(refct));
		ref_mac(&macs[1], key + 16, 32, data, sizeof(refct), ref);
		cdev_ok(good && !memcmp(ct, refct, sizeof(ct)) && !memcmp(m, ref, 32),
			"AES-CBC+HMAC-SHA256 in 3 parts queued: one CBC stream and MAC(all "
			"plaintext) = " REF_NAME);
		cdev_free(cfd, ses);
	} else {
		cdev_ok(0, "CIOCGSESSION AES-CBC+HMAC-SHA256 (%d)", r);
	}
	return 0;
}

/* ---- threads: one fd, several threads queueing and fetching ---- */

enum { TH = 4, TB = 8, TLEN = 8192 };
struct tbuf {
	uint8_t *in, *out, *ref;
	atomic_int busy;
};
static struct tbuf tbufs[TH * TB];
static uint32_t tses;
static uint8_t tkey[16], tiv[16];
static atomic_long t_queued, t_fetched, t_wrong, t_errs;

static void *thread_main(void *arg)
{
	int id = (int)(long)arg, k = 0;
	double t0 = cdev_now();

	while (cdev_now() - t0 < 2.0) {
		struct tbuf *b = &tbufs[id * TB + k % TB];
		struct crypt_op cop;
		int r;

		if (!atomic_load(&b->busy)) {
			memset(&cop, 0, sizeof(cop));
			cop.ses = tses;
			cop.op = COP_ENCRYPT;
			cop.len = TLEN;
			cop.src = b->in;
			cop.dst = b->out;
			cop.iv = tiv;
			atomic_store(&b->busy, 1);
			r = async_crypt(cfd, &cop);
			if (r) {
				atomic_store(&b->busy, 0);
				cdev_note("thread %d: CIOCASYNCCRYPT %d", id, r);
				atomic_fetch_add(&t_errs, 1);
				break;
			}
			atomic_fetch_add(&t_queued, 1);
			k++;
		}
		/* fetch whatever is done, any thread's job */
		r = async_fetch(cfd, &cop);
		if (r == -EBUSY) {
			poll_fd(cfd, POLLIN, 10);
			continue;
		}
		if (r) {
			cdev_note("thread %d: CIOCASYNCFETCH %d", id, r);
			atomic_fetch_add(&t_errs, 1);
			break;
		}
		atomic_fetch_add(&t_fetched, 1);
		for (int i = 0; i < TH * TB; i++) {
			if (cop.dst != tbufs[i].out)
				continue;
			if (memcmp(tbufs[i].out, tbufs[i].ref, TLEN))
				atomic_fetch_add(&t_wrong, 1);
			memset(tbufs[i].out, 0, TLEN);
			atomic_store(&tbufs[i].busy, 0);
		}
	}
	return NULL;
}

static int cmd_threads(void)
{
	pthread_t th[TH];
	struct crypt_op cop;
	int r, i;

	cdev_fill(tkey, 16, 61);
	cdev_fill(tiv, 16, 62);
	r = cdev_session(cfd, CRYPTO_AES_CBC, tkey, 16, 0, NULL, 0, &tses);
	cdev_ok(!r, "CIOCGSESSION AES-CBC (%d)", r);
	for (i = 0; i < TH * TB; i++) {
		tbufs[i].in = xmalloc(TLEN);
		tbufs[i].out = xmalloc(TLEN);
		tbufs[i].ref = xmalloc(TLEN);
		cdev_fill(tbufs[i].in, TLEN, 700 + i);
		ref_cipher(CRYPTO_AES_CBC, tkey, 16, 1, tiv, tbufs[i].in, tbufs[i].ref, TLEN);
	}
	for (i = 0; i < TH; i++)
		pthread_create(&th[i], NULL, thread_main, (void *)(long)i);
	for (i = 0; i < TH; i++)
		pthread_join(th[i], NULL);
	/* what the threads left queued */
	while (t_fetched < t_queued && !(r = wait_fetch(cfd, &cop))) {
		atomic_fetch_add(&t_fetched, 1);
		for (i = 0; i < TH * TB; i++)
			if (cop.dst == tbufs[i].out && memcmp(tbufs[i].out, tbufs[i].ref, TLEN))
				atomic_fetch_add(&t_wrong, 1);
	}
	cdev_ok(!t_errs && t_queued > 0 && t_queued == t_fetched,
		"%d threads on one fd, 2 s: %ld queued, %ld fetched (by any thread), no error", TH,
		(long)t_queued, (long)t_fetched);
	cdev_ok(!t_wrong, "every result = " REF_NAME " (%ld wrong)", (long)t_wrong);
	cdev_free(cfd, tses);
	return 0;
}

/* ---- null: CRYPTO_NULL through async ---- */

static int cmd_null(int with_mac)
{
	static const size_t sizes[] = {0, 1, 15, 256, 4096, 65536, 262144};
	enum { N = sizeof(sizes) / sizeof(sizes[0]) };
	uint8_t *src[N], *dst[N], *exp[N], mkey[32], mac_out[N][32], ref[32];
	struct crypt_op cop[N], got;
	int r, i, queued = 1, order = 1, data = 1, mac = 1;
	uint32_t ses;

	cdev_fill(mkey, sizeof(mkey), 81);
	r = cdev_session(cfd, CRYPTO_NULL, "", 0, with_mac ? CRYPTO_SHA2_256_HMAC : 0, mkey,
			 with_mac ? 32 : 0, &ses);
	cdev_ok(!r, "CIOCGSESSION CRYPTO_NULL%s (%d)", with_mac ? " + HMAC-SHA256" : "", r);
	if (r)
		return 1;
	for (i = 0; i < N; i++) {
		src[i] = xmalloc(sizes[i]);
		exp[i] = xmalloc(sizes[i]);
		cdev_fill(src[i], sizes[i], 800 + i);
		memcpy(exp[i], src[i], sizes[i]);
		dst[i] = i % 2 ? src[i] : xmalloc(sizes[i]); /* some in place */
		if (dst[i] != src[i])
			memset(dst[i], 0, sizes[i]);
		memset(&cop[i], 0, sizeof(cop[i]));
		cop[i].ses = ses;
		cop[i].op = COP_ENCRYPT;
		cop[i].len = sizes[i];
		cop[i].src = src[i];
		cop[i].dst = dst[i];
		cop[i].mac = with_mac ? mac_out[i] : NULL;
		if (async_crypt(cfd, &cop[i]))
			queued = 0;
	}
	cdev_ok(queued, "%d CRYPTO_NULL jobs (0 B-256 KiB, in and out of place) queued", N);
	for (i = 0; i < N; i++) {
		memset(&got, 0, sizeof(got));
		r = wait_fetch(cfd, &got);
		if (r || got.dst != dst[i])
			order = 0;
		if (memcmp(dst[i], exp[i], sizes[i]))
			data = 0;
		if (with_mac && (ref_mac(&macs[1], mkey, 32, exp[i], sizes[i], ref) ||
				 memcmp(mac_out[i], ref, 32)))
			mac = 0;
	}
	cdev_ok(order, "fetched in order, no error");
	cdev_ok(data, "dst = src for every job (CRYPTO_NULL copies)");
	if (with_mac)
		cdev_ok(mac, "their HMAC-SHA256 = " REF_NAME);
	cdev_free(cfd, ses);
	for (i = 0; i < N; i++) {
		if (dst[i] != src[i])
			free(dst[i]);
		free(src[i]);
		free(exp[i]);
	}
	return 0;
}

/* ---- hold: keep the device busy until killed ---- */

static int cmd_hold(int secs)
{
	enum { NB = 32, LEN = 1 << 20 };
	uint8_t key[16], iv[16], *buf = xmalloc((size_t)NB * LEN);
	double t0 = cdev_now();
	struct crypt_op cop;
	long n = 0;
	uint32_t ses;
	int r;

	cdev_fill(key, 16, 71);
	cdev_fill(iv, 16, 72);
	memset(buf, 0x33, (size_t)NB * LEN);
	r = cdev_session(cfd, CRYPTO_AES_CBC, key, 16, 0, NULL, 0, &ses);
	if (r) {
		cdev_ok(0, "CIOCGSESSION (%d)", r);
		return 1;
	}
	while (cdev_now() - t0 < secs) {
		int rev = poll_fd(cfd, POLLIN | POLLOUT, 1000);

		if (rev > 0 && (rev & POLLOUT)) {
			memset(&cop, 0, sizeof(cop));
			cop.ses = ses;
			cop.op = COP_ENCRYPT;
			cop.len = LEN;
			cop.src = cop.dst = buf + (size_t)(n++ % NB) * LEN;
			cop.iv = iv;
			if (async_crypt(cfd, &cop))
				break;
		}
		if (rev > 0 && (rev & POLLIN) && async_fetch(cfd, &cop))
			break;
	}
	cdev_note("hold: %ld jobs queued", n);
	return 0;
}

/* ---- close: jobs in flight when the fd goes ---- */

static int cmd_close(void)
{
	enum { LEN = 1 << 20 };
	uint8_t key[32], iv[16], *buf = xmalloc((size_t)32 * LEN);
	struct crypt_op cop;
	int fd = cdev_open(), r, nq = 0, ready;
	uint32_t ses;

	cdev_fill(key, 32, 41);
	cdev_fill(iv, 16, 42);
	memset(buf, 0x5a, (size_t)32 * LEN);
	r = fd < 0 ? fd : cdev_session(fd, CRYPTO_AES_XTS, key, 32, 0, NULL, 0, &ses);
	cdev_ok(!r, "second fd and an AES-XTS session (%d)", r);
	memset(&cop, 0, sizeof(cop));
	cop.ses = ses;
	cop.op = COP_ENCRYPT;
	cop.len = LEN;
	cop.iv = iv;
	for (int i = 0; i < 32; i++) {
		cop.src = cop.dst = buf + (size_t)i * LEN;
		if (!async_crypt(fd, &cop))
			nq++;
	}
	/* a few small copied ones too, and one that fails */
	for (int i = 0; i < 8; i++) {
		cop.len = 64;
		if (!async_crypt(fd, &cop))
			nq++;
	}
	cop.len = 17;
	if (!async_crypt(fd, &cop))
		nq++;
	ready = poll_fd(fd, POLLIN, 0);
	cdev_ok(nq == 41, "41 jobs queued (32 x 1 MiB pinned, 8 copied, 1 failing): %d", nq);
	r = close(fd);
	cdev_ok(!r, "close with the jobs unfetched (%s when closed)",
		ready > 0 && (ready & POLLIN) ? "first one done"
					      : "first one still with the device");
	free(buf); /* the pinned pages stay pinned until the device gives them back */
	return 0;
}

/* ---- unbind: jobs on two devices while one goes away ---- */

static int cmd_unbind(const char *go)
{
	enum { NB = 32, LEN = 65536 };
	uint8_t key[16], iv[16], *buf[NB], *out[NB], *ref[NB];
	long queued = 0, ok = 0, enodev = 0, other = 0, wrong = 0, out_n = 0;
	uint32_t ses[2];
	int r, i;

	cdev_fill(key, 16, 51);
	cdev_fill(iv, 16, 52);
	for (i = 0; i < 2; i++) { /* sessions alternate between the devices */
		r = cdev_session(cfd, CRYPTO_AES_CBC, key, 16, 0, NULL, 0, &ses[i]);
		if (r) {
			cdev_ok(0, "CIOCGSESSION %d (%d)", i, r);
			return 1;
		}
	}
	for (i = 0; i < NB; i++) {
		buf[i] = xmalloc(LEN);
		out[i] = xmalloc(LEN);
		ref[i] = xmalloc(LEN);
		cdev_fill(buf[i], LEN, 600 + i);
		ref_cipher(CRYPTO_AES_CBC, key, 16, 1, iv, buf[i], ref[i], LEN);
	}
	double t0 = cdev_now(), tgo = 0;
	for (;;) {
		struct crypt_op cop;
		struct stat st;
		double now = cdev_now();
		int stopping;

		if (!tgo && !stat(go, &st))
			tgo = now; /* the device is unbound: go on a second more */
		stopping = (tgo && now - tgo > 1.0) || now - t0 > 60;
		if (stopping && !out_n)
			break;
		if (!stopping && out_n < NB) {
			/* FIFO: the last job of buffer b was fetched already */
			int b = queued % NB;

			memset(&cop, 0, sizeof(cop));
			cop.ses = ses[queued % 2];
			cop.op = COP_ENCRYPT;
			cop.len = LEN;
			cop.src = buf[b];
			cop.dst = out[b];
			cop.iv = iv;
			r = async_crypt(cfd, &cop);
			if (r) {
				cdev_note("CIOCASYNCCRYPT: %d", r);
				other++;
				break;
			}
			queued++;
			out_n++;
			continue;
		}
		r = wait_fetch(cfd, &cop);
		out_n--;
		if (r == -ENODEV) {
			enodev++;
		} else if (r) {
			cdev_note("FETCH: %d", r);
			other++;
			if (r == -ETIMEDOUT)
				break;
		} else {
			ok++;
			for (int k = 0; k < NB; k++)
				if (cop.dst == out[k] && memcmp(out[k], ref[k], LEN))
					wrong++;
		}
	}
	if (!tgo) {
		cdev_note("no %s after 60 s", go);
		other++;
	}
	cdev_ok(!other && ok + enodev == queued && enodev > 0 && ok > 0,
		"jobs across an unbind: %ld queued, %ld done, %ld ENODEV at FETCH, no other error",
		queued, ok, enodev);
	cdev_ok(!wrong, "the jobs that were done = " REF_NAME " (%ld wrong)", wrong);
	for (i = 0; i < 2; i++)
		cdev_free(cfd, ses[i]);
	return 0;
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : "";

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help")) {
		usage(stdout);
		return 0;
	}
	cfd = cdev_open();
	if (cfd < 0) {
		cdev_ok(0, "open /dev/crypto (%d)", cfd);
		return 1;
	}
	if (!strcmp(cmd, "basic"))
		cmd_basic();
	else if (!strcmp(cmd, "queue"))
		cmd_queue();
	else if (!strcmp(cmd, "full"))
		cmd_full();
	else if (!strcmp(cmd, "loop"))
		cmd_loop();
	else if (!strcmp(cmd, "errors"))
		cmd_errors();
	else if (!strcmp(cmd, "hmac"))
		cmd_hmac();
	else if (!strcmp(cmd, "close"))
		cmd_close();
	else if (!strcmp(cmd, "threads"))
		cmd_threads();
	else if (!strcmp(cmd, "null"))
		cmd_null(argc > 2 && !strcmp(argv[2], "--mac"));
	else if (!strcmp(cmd, "hold") && argc > 2)
		cmd_hold(atoi(argv[2]));
	else if (!strcmp(cmd, "unbind") && argc > 2)
		cmd_unbind(argv[2]);
	else {
		usage(stderr);
		return 2;
	}
	close(cfd);
	return cdev_failures() ? 1 : 0;
}
