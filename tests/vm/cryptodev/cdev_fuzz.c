/*
 * cdev_fuzz: a seeded random-ioctl fuzzer for /dev/crypto (virtio_cryptodev.ko).
 *
 *   cdev_fuzz [-s SEED] [-n ITERATIONS] [-T SECONDS] [-t THREADS] [-F FORKS] [-v]
 *
 * Each worker thread draws from its own xorshift stream (SEED + thread
 * number), so "-t 1 -F 0 -s SEED" replays the same ioctl sequence.  Ioctl
 * numbers are mostly the real ones (some 32-bit compat numbers, some random);
 * struct contents, lengths (0, small, unaligned, huge), pointers (valid,
 * NULL, unmapped, kernel addresses, read-only, in place, overlapping, ending
 * at an unmapped page), algorithms (ciphers, hashes, HMAC, chaining,
 * AEAD/TLS, NULL, nonsense), flags, CRIOGET dups, closes, async
 * submit/fetch/poll; worker processes are SIGKILLed mid-request.
 *
 * The fuzzer never dereferences a pointer it made up: those only go to the
 * kernel.  It fails (exit 1) only if the ioctl surface misbehaves in a way
 * user space can see (an ioctl that hangs past the watchdog); the kernel
 * side (WARNING/BUG/Oops, leaked sessions and requests) is checked by the
 * harness (tests/vm/cases/cryptodev_vcryptod.sh).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <crypto/cryptodev.h>

#define ARENA_PAGES 32
#define MAX_FDS 8
#define MAX_SES 16

static size_t page;
static unsigned char *arena; /* ARENA_PAGES read-write, then one PROT_NONE page */
static size_t arena_len;
static unsigned char *ro_page; /* read-only */
static unsigned char *guard; /* unmapped (PROT_NONE) */
static int shared_fd = -1;
static volatile int stop;
static uint64_t max_iter = 2000;
static int verbose;

/* per-ioctl outcome counts (-v prints them): [cmd][0] = success, [cmd][e] = errno e */
#define NCMD 13
#define NERR 140
static const char *const cmd_names[NCMD] = { "CRIOGET", "CIOCGSESSION", "CIOCFSESSION", "CIOCCRYPT",
	"CIOCKEY", "CIOCASYMFEAT", "CIOCGSESSINFO", "CIOCAUTHCRYPT", "CIOCASYNCCRYPT",
	"CIOCASYNCFETCH", "CIOCCPHASH", "compat", "other" };
static unsigned long outcome[NCMD][NERR];

struct rng {
	uint64_t s;
};

static uint64_t rnd(struct rng *r)
{
	uint64_t x = r->s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	r->s = x;
	return x * 0x2545F4914F6CDD1DULL;
}

static uint32_t below(struct rng *r, uint32_t n)
{
	return n ? (uint32_t)(rnd(r) % n) : 0;
}

static int chance(struct rng *r, int pct)
{
	return (int)below(r, 100) < pct;
}

/* Algorithms with a key length that works, and some that do not. */
struct alg {
	uint32_t id;
	uint32_t keylen;
};
static const struct alg ciphers[] = {
	{ CRYPTO_AES_CBC, 16 },	 { CRYPTO_AES_CBC, 32 },   { CRYPTO_AES_CTR, 16 },
	{ CRYPTO_AES_ECB, 24 },	 { CRYPTO_AES_XTS, 32 },   { CRYPTO_AES_XTS, 64 },
	{ CRYPTO_AES_GCM, 16 },	 { CRYPTO_AES_CFB, 16 },   { CRYPTO_AES_OFB, 16 },
	{ CRYPTO_DES_CBC, 8 },	 { CRYPTO_3DES_CBC, 24 },  { CRYPTO_CAMELLIA_CBC, 16 },
	{ CRYPTO_NULL, 0 },	 { CRYPTO_NULL, 16 },	   { CRYPTO_TLS11_AES_CBC_HMAC_SHA1, 16 },
	{ CRYPTO_TLS12_AES_CBC_HMAC_SHA256, 32 },	   { CRYPTO_AES_CCM, 16 },
	{ CRYPTO_ARC4, 16 },	 { CRYPTO_BLF_CBC, 16 },   { CRYPTO_CAST_CBC, 16 },
};
static const struct alg macs[] = {
	{ CRYPTO_SHA1_HMAC, 20 },     { CRYPTO_SHA2_256_HMAC, 32 }, { CRYPTO_SHA2_512_HMAC, 64 },
	{ CRYPTO_SHA2_384_HMAC, 7 },  { CRYPTO_SHA2_224_HMAC, 100 }, { CRYPTO_MD5_HMAC, 16 },
	{ CRYPTO_SHA1, 0 },	      { CRYPTO_SHA2_256, 0 },	    { CRYPTO_SHA2_512, 0 },
	{ CRYPTO_MD5, 0 },	      { CRYPTO_SHA2_224, 0 },	    { CRYPTO_SHA2_384, 0 },
	{ CRYPTO_RIPEMD160, 0 },      { CRYPTO_RIPEMD160_HMAC, 20 }, { CRYPTO_MD5_KPDK, 16 },
	{ CRYPTO_SHA1, 20 },
};
#define N(a) (sizeof(a) / sizeof((a)[0]))

static const unsigned long real_cmds[] = {
	CRIOGET,	CIOCGSESSION,	CIOCFSESSION,	CIOCCRYPT,	CIOCKEY,
	CIOCASYMFEAT,	CIOCGSESSINFO,	CIOCAUTHCRYPT,	CIOCASYNCCRYPT, CIOCASYNCFETCH,
	CIOCCPHASH,
};

/* A length: 0, small, block-unaligned, near a page, huge. */
static uint32_t rand_len(struct rng *r)
{
	switch (below(r, 10)) {
	case 0:
		return 0;
	case 1:
		return 1 + below(r, 15);
	case 2:
	case 3:
		return 16 * (1 + below(r, 16));
	case 4:
		return 1 + below(r, 300);
	case 5:
		return (uint32_t)page * (1 + below(r, 4)) + below(r, 3) - 1;
	case 6:
		return (uint32_t)arena_len - below(r, 64);
	case 7:
		return 0xffffffffu - below(r, 16);
	case 8:
		return 1u << (16 + below(r, 15));
	default:
		return 64;
	}
}

/* A user pointer for a buffer of len bytes.  base: an earlier pointer for
 * in-place and overlapping buffers (may be NULL). */
static void *rand_ptr(struct rng *r, uint32_t len, void *base)
{
	size_t l = len < arena_len ? len : arena_len;

	switch (below(r, 20)) {
	case 0:
		return NULL;
	case 1:
		return guard + below(r, (uint32_t)page);
	case 2:
		return (void *)(uintptr_t)(0xffff888000000000ULL + (rnd(r) & 0xffffff0ULL));
	case 3:
		return (void *)(uintptr_t)0xffffffff81000000ULL;
	case 4:
		return ro_page + below(r, (uint32_t)page);
	case 5:
		/* ends exactly at the unmapped page (or starts just before it) */
		return arena + arena_len - l;
	case 6:
		return (void *)(uintptr_t)(rnd(r) & 0xffff); /* below mmap_min_addr */
	case 7:
		return (void *)(uintptr_t)(0x800000000000ULL + (rnd(r) & 0xfffff)); /* non-canonical */
	case 8:
	case 9:
		if (base)
			return (unsigned char *)base + (chance(r, 50) ? 0 : below(r, 17));
		/* fall through */
	default:
		return arena + below(r, (uint32_t)(arena_len - l + 1));
	}
}

/* A struct argument lives in the arena (we write it; it is valid memory). */
static void *arg_slot(struct rng *r, size_t size)
{
	return arena + below(r, (uint32_t)(arena_len - size - 8 + 1)) / 8 * 8;
}

/* Where the ioctl argument pointer points: mostly the struct, sometimes not. */
static void *arg_ptr(struct rng *r, void *slot)
{
	switch (below(r, 30)) {
	case 0:
		return NULL;
	case 1:
		return guard;
	case 2:
		return (void *)(uintptr_t)0xffff888000001000ULL;
	case 3:
		return ro_page;
	case 4:
		return arena + arena_len - 4; /* struct runs into the unmapped page */
	default:
		return slot;
	}
}

struct worker {
	struct rng r;
	int fds[MAX_FDS];
	uint32_t ses[MAX_SES];
	uint32_t ses_cipher[MAX_SES]; /* what the session was made of */
	int ses_fd[MAX_SES]; /* and on which fd (session ids are per file) */
	unsigned int nses;
	uint64_t calls, ok;
	uint32_t crio; /* CRIOGET's result: private, so the new fd is never lost */
	int id;
};

static int pick_fd(struct worker *w)
{
	int i = (int)below(&w->r, MAX_FDS + 2);

	if (i >= MAX_FDS)
		return shared_fd;
	if (w->fds[i] < 0)
		w->fds[i] = open("/dev/crypto", O_RDWR | (chance(&w->r, 50) ? O_CLOEXEC : 0));
	return w->fds[i];
}

static uint32_t pick_ses(struct worker *w)
{
	if (w->nses && chance(&w->r, 85))
		return w->ses[below(&w->r, w->nses)];
	return chance(&w->r, 50) ? below(&w->r, 8) : (uint32_t)rnd(&w->r);
}

static void fill(struct rng *r, void *p, size_t n)
{
	unsigned char *c = p;

	for (size_t i = 0; i < n; i++)
		c[i] = (unsigned char)rnd(r);
}

static uint16_t rand_flags(struct rng *r)
{
	static const uint16_t f[] = { 0, COP_FLAG_UPDATE, COP_FLAG_FINAL, COP_FLAG_WRITE_IV,
				      COP_FLAG_NO_ZC, COP_FLAG_AEAD_TLS_TYPE,
				      COP_FLAG_AEAD_SRTP_TYPE, COP_FLAG_RESET | COP_FLAG_UPDATE };

	if (chance(r, 10))
		return (uint16_t)rnd(r);
	if (chance(r, 20))
		return f[below(r, N(f))] | f[below(r, N(f))];
	return f[below(r, N(f))];
}

static void one(struct worker *w)
{
	struct rng *r = &w->r;
	unsigned long cmd;
	int fd = pick_fd(w);
	long ret = -1;
	unsigned int k = below(r, 100);

	if (k < 3)
		cmd = 0xc0000000ul | ('c' << 8) | below(r, 256) | ((unsigned long)below(r, 512) << 16);
	else if (k < 5)
		cmd = (unsigned long)(uint32_t)rnd(r);
	else if (k < 8)
		cmd = (k & 1) ? CRYPTODEV_COMPAT_CIOCCRYPT : CRYPTODEV_COMPAT_CIOCGSESSION;
	else if (k < 30)
		cmd = CIOCGSESSION;
	else if (k < 55)
		cmd = CIOCCRYPT;
	else if (k < 65)
		cmd = CIOCAUTHCRYPT;
	else if (k < 75)
		cmd = CIOCASYNCCRYPT;
	else if (k < 83)
		cmd = CIOCASYNCFETCH;
	else if (k < 88)
		cmd = CIOCFSESSION;
	else
		cmd = real_cmds[below(r, N(real_cmds))];

	if (fd < 0)
		return;
	if (cmd == CIOCGSESSION || cmd == CRYPTODEV_COMPAT_CIOCGSESSION) {
		struct session_op *s = arg_slot(r, sizeof(*s));
		const struct alg *c = &ciphers[below(r, N(ciphers))], *m = &macs[below(r, N(macs))];

		memset(s, 0, sizeof(*s));
		switch (below(r, 4)) {
		case 0: /* cipher only */
			s->cipher = c->id, s->keylen = c->keylen;
			break;
		case 1: /* hash / mac only */
			s->mac = m->id, s->mackeylen = m->keylen;
			break;
		case 2: /* chaining */
			s->cipher = c->id, s->keylen = c->keylen;
			s->mac = m->id, s->mackeylen = m->keylen;
			break;
		default: /* nonsense */
			s->cipher = below(r, 3) ? below(r, CRYPTO_ALGORITHM_ALL + 2) : (uint32_t)rnd(r);
			s->mac = below(r, 2) ? below(r, CRYPTO_ALGORITHM_ALL + 2) : 0;
			s->keylen = rand_len(r);
			s->mackeylen = rand_len(r);
			break;
		}
		if (chance(r, 5))
			s->keylen = rand_len(r);
		if (chance(r, 5))
			s->mackeylen = rand_len(r);
		s->key = chance(r, 85) ? rand_ptr(r, s->keylen, NULL) : arena;
		s->mackey = chance(r, 85) ? rand_ptr(r, s->mackeylen, NULL) : arena + 64;
		if (chance(r, 70)) {
			s->key = arena + below(r, (uint32_t)(arena_len - 1024));
			s->mackey = arena + below(r, (uint32_t)(arena_len - 1024));
		}
		uint32_t cipher = s->cipher;

		ret = ioctl(fd, cmd, arg_ptr(r, s));
		if (ret == 0 && cmd == CIOCGSESSION && fd != shared_fd) {
			uint32_t id = s->ses; /* the arena slot may be rewritten by another thread */

			unsigned int i = w->nses < MAX_SES ? w->nses++ : below(r, MAX_SES);

			w->ses[i] = id;
			w->ses_cipher[i] = cipher;
			w->ses_fd[i] = fd;
		}
	} else if (cmd == CIOCCRYPT || cmd == CIOCASYNCCRYPT || cmd == CRYPTODEV_COMPAT_CIOCCRYPT ||
		   cmd == CIOCASYNCFETCH) {
		struct crypt_op *c = arg_slot(r, sizeof(*c));

		c->ses = pick_ses(w);
		c->op = chance(r, 90) ? below(r, 2) : (uint16_t)rnd(r);
		c->flags = rand_flags(r);
		c->len = chance(r, 70) ? 16 * below(r, 65) + (chance(r, 20) ? below(r, 16) : 0) : rand_len(r);
		c->src = rand_ptr(r, c->len, NULL);
		c->dst = chance(r, 30) ? c->src : rand_ptr(r, c->len, c->src);
		c->mac = chance(r, 20) ? NULL : rand_ptr(r, 64, c->dst);
		c->iv = chance(r, 20) ? NULL : rand_ptr(r, 16, NULL);
		if (w->nses && chance(r, 50)) {
			/* well formed for one of our sessions: reach the data path */
			unsigned int i = below(r, w->nses);
			static const uint16_t hf[] = { 0, COP_FLAG_UPDATE, COP_FLAG_FINAL,
						       COP_FLAG_UPDATE | COP_FLAG_RESET };

			c->ses = w->ses[i];
			fd = w->ses_fd[i];
			c->op = below(r, 2);
			if (w->ses_cipher[i] == 0 || w->ses_cipher[i] == CRYPTO_NULL) {
				c->flags = hf[below(r, N(hf))];
				c->len = below(r, 300);
			} else {
				c->flags = chance(r, 70) ? 0 : COP_FLAG_WRITE_IV;
				c->len = 16 * (1 + below(r, 64));
			}
			c->src = arena + below(r, (uint32_t)(arena_len - 2048));
			c->dst = chance(r, 40) ? c->src : arena + below(r, (uint32_t)(arena_len - 2048));
			c->mac = arena + below(r, (uint32_t)(arena_len - 64));
			c->iv = arena + below(r, (uint32_t)(arena_len - 64));
		}
		ret = ioctl(fd, cmd, arg_ptr(r, c));
		if (cmd == CIOCASYNCCRYPT && chance(r, 30)) {
			struct pollfd p = { .fd = fd, .events = POLLIN | POLLOUT };

			poll(&p, 1, (int)below(r, 3));
		}
	} else if (cmd == CIOCAUTHCRYPT) {
		struct crypt_auth_op *a = arg_slot(r, sizeof(*a));

		a->ses = pick_ses(w);
		a->op = chance(r, 90) ? below(r, 2) : (uint16_t)rnd(r);
		a->flags = rand_flags(r);
		a->len = chance(r, 70) ? 16 * below(r, 33) + (chance(r, 30) ? below(r, 16) : 0) : rand_len(r);
		a->auth_len = chance(r, 70) ? below(r, 40) : rand_len(r);
		a->auth_src = rand_ptr(r, a->auth_len, NULL);
		a->src = rand_ptr(r, a->len, NULL);
		a->dst = chance(r, 30) ? a->src : rand_ptr(r, a->len + 64, a->src);
		a->tag = chance(r, 30) ? NULL : rand_ptr(r, 64, a->dst);
		a->tag_len = chance(r, 60) ? 0 : (chance(r, 70) ? below(r, 70) : (uint32_t)rnd(r));
		a->iv_len = chance(r, 70) ? (chance(r, 50) ? 12 : 16) : rand_len(r);
		a->iv = chance(r, 10) ? NULL : rand_ptr(r, a->iv_len, NULL);
		ret = ioctl(fd, cmd, arg_ptr(r, a));
	} else if (cmd == CIOCFSESSION) {
		uint32_t *p = arg_slot(r, 4);
		unsigned int i = w->nses ? below(r, w->nses) : 0;

		*p = pick_ses(w);
		ret = ioctl(fd, cmd, arg_ptr(r, p));
		if (ret == 0 && w->nses && w->ses[i] == *p) {
			w->nses--;
			w->ses[i] = w->ses[w->nses];
			w->ses_cipher[i] = w->ses_cipher[w->nses];
			w->ses_fd[i] = w->ses_fd[w->nses];
		}
	} else if (cmd == CIOCGSESSINFO) {
		struct session_info_op *s = arg_slot(r, sizeof(*s));

		s->ses = pick_ses(w);
		ret = ioctl(fd, cmd, arg_ptr(r, s));
	} else if (cmd == CIOCCPHASH) {
		struct cphash_op *c = arg_slot(r, sizeof(*c));

		c->dst_ses = pick_ses(w);
		c->src_ses = pick_ses(w);
		if (w->nses && chance(r, 70)) {
			/* two of our hash sessions */
			unsigned int a = below(r, w->nses), b = below(r, w->nses);

			for (unsigned int i = 0; i < w->nses && w->ses_cipher[a]; i++)
				a = (a + 1) % w->nses;
			for (unsigned int i = 0; i < w->nses && w->ses_cipher[b]; i++)
				b = (b + 1) % w->nses;
			c->dst_ses = w->ses[a];
			c->src_ses = w->ses[b];
			fd = w->ses_fd[a];
		}
		ret = ioctl(fd, cmd, arg_ptr(r, c));
	} else if (cmd == CRIOGET) {
		uint32_t *p = &w->crio;
		int i = (int)below(r, MAX_FDS);

		*p = (uint32_t)rnd(r);
		ret = ioctl(fd, cmd, arg_ptr(r, p));
		if (ret == 0) {
			int nfd = (int)*p;

			/* a new fd on the same file: keep it in a slot (closing what was there) */
			if (w->fds[i] >= 0) {
				close(w->fds[i]);
				w->nses = 0;
			}
			w->fds[i] = nfd;
		}
	} else if (cmd == CIOCKEY) {
		struct crypt_kop *kp = arg_slot(r, sizeof(*kp));

		fill(r, kp, sizeof(*kp));
		kp->crk_op = below(r, 7);
		kp->crk_iparams = below(r, 10);
		kp->crk_oparams = below(r, 10);
		for (int i = 0; i < CRK_MAXPARAM; i++) {
			kp->crk_param[i].crp_nbits = rand_len(r);
			kp->crk_param[i].crp_p = rand_ptr(r, kp->crk_param[i].crp_nbits / 8, NULL);
		}
		ret = ioctl(fd, cmd, arg_ptr(r, kp));
	} else {
		/* CIOCASYMFEAT and random numbers: a random argument */
		void *slot = arg_slot(r, 512);

		fill(r, slot, 64);
		ret = ioctl(fd, cmd, chance(r, 50) ? arg_ptr(r, slot) : (void *)(uintptr_t)rnd(r));
	}
	w->calls++;
	if (ret == 0)
		w->ok++;
	{
		int e = ret == 0 ? 0 : (errno > 0 && errno < NERR ? errno : NERR - 1);
		int ci = NCMD - 1;

		for (int i = 0; i < (int)N(real_cmds); i++)
			if (cmd == real_cmds[i])
				ci = i;
		if ((cmd == CRYPTODEV_COMPAT_CIOCCRYPT && cmd != CIOCCRYPT) ||
		    (cmd == CRYPTODEV_COMPAT_CIOCGSESSION && cmd != CIOCGSESSION))
			ci = NCMD - 2;
		__atomic_fetch_add(&outcome[ci][e], 1, __ATOMIC_RELAXED);
	}
	if (verbose > 1)
		fprintf(stderr, "# w%d cmd %#lx fd %d -> %ld (%s)\n", w->id, cmd, fd, ret,
			ret ? strerror(errno) : "ok");

	/* sometimes close one of our fds (sessions and async jobs go with it) */
	if (chance(r, 1)) {
		int i = (int)below(r, MAX_FDS);

		if (w->fds[i] >= 0) {
			close(w->fds[i]);
			w->fds[i] = -1;
			w->nses = 0;
		}
	}
}

static void worker_init(struct worker *w, uint64_t seed, int id)
{
	memset(w, 0, sizeof(*w));
	w->r.s = (seed ^ (0x9E3779B97F4A7C15ULL * (uint64_t)(id + 1))) | 1;
	w->id = id;
	for (int i = 0; i < MAX_FDS; i++)
		w->fds[i] = -1;
}

static void worker_fini(struct worker *w)
{
	for (int i = 0; i < MAX_FDS; i++)
		if (w->fds[i] >= 0)
			close(w->fds[i]);
}

static void *thread_main(void *arg)
{
	struct worker *w = arg;

	for (uint64_t i = 0; (!max_iter || i < max_iter) && !stop; i++) {
		/* between iterations, scribble on the arena a bit */
		if (chance(&w->r, 5))
			fill(&w->r, arena + below(&w->r, (uint32_t)(arena_len - 256)), 256);
		one(w);
	}
	return NULL;
}

/* A child process: a few threads fuzzing (on inherited fds too) until killed. */
static void child_main(uint64_t seed)
{
	struct worker w[3];
	pthread_t t[3];

	max_iter = 0;
	for (int i = 0; i < 3; i++) {
		worker_init(&w[i], seed, 1000 + i);
		if (pthread_create(&t[i], NULL, thread_main, &w[i]))
			_exit(0);
	}
	for (;;)
		pause();
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void *watchdog(void *arg)
{
	unsigned int secs = *(unsigned int *)arg;

	sleep(secs);
	fprintf(stdout, "not ok - cdev_fuzz: still running %u s after it should have stopped\n", secs);
	fflush(stdout);
	_exit(1);
}

int main(int argc, char **argv)
{
	uint64_t seed = 0;
	unsigned int seconds = 0, nthreads = 4, forks = 4;
	int opt, have_seed = 0;

	while ((opt = getopt(argc, argv, "s:n:T:t:F:v")) != -1) {
		switch (opt) {
		case 's':
			seed = strtoull(optarg, NULL, 0);
			have_seed = 1;
			break;
		case 'n':
			max_iter = strtoull(optarg, NULL, 0);
			break;
		case 'T':
			seconds = (unsigned int)strtoul(optarg, NULL, 0);
			break;
		case 't':
			nthreads = (unsigned int)strtoul(optarg, NULL, 0);
			break;
		case 'F':
			forks = (unsigned int)strtoul(optarg, NULL, 0);
			break;
		case 'v':
			verbose++;
			break;
		default:
			fprintf(stderr, "usage: %s [-s SEED] [-n ITER] [-T SECONDS] [-t THREADS] [-F FORKS] [-v]\n",
				argv[0]);
			return 2;
		}
	}
	if (!have_seed)
		seed = ((uint64_t)time(NULL) << 20) ^ (uint64_t)getpid();
	if (!nthreads)
		nthreads = 1;
	if (nthreads > 64)
		nthreads = 64;
	if (seconds)
		max_iter = 0; /* time bound: -T wins over -n */
	printf("# cdev_fuzz seed %llu threads %u forks %u %s %llu\n", (unsigned long long)seed, nthreads,
	       forks, seconds ? "seconds" : "iterations",
	       seconds ? (unsigned long long)seconds : (unsigned long long)max_iter);
	fflush(stdout);
	signal(SIGPIPE, SIG_IGN);

	page = (size_t)sysconf(_SC_PAGESIZE);
	arena_len = ARENA_PAGES * page;
	unsigned char *m = mmap(NULL, arena_len + 2 * page, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED) {
		printf("not ok - cdev_fuzz: mmap: %s\n", strerror(errno));
		return 1;
	}
	arena = m;
	guard = m + arena_len;
	ro_page = m + arena_len + page;
	mprotect(guard, page, PROT_NONE);
	mprotect(ro_page, page, PROT_READ);
	shared_fd = open("/dev/crypto", O_RDWR);
	if (shared_fd < 0) {
		printf("not ok - cdev_fuzz: open /dev/crypto: %s\n", strerror(errno));
		return 1;
	}
	struct rng mr = { .s = seed | 1 };
	fill(&mr, arena, arena_len);

	unsigned int wd = (seconds ? seconds : 600) + 120;
	pthread_t wdt;
	pthread_create(&wdt, NULL, watchdog, &wd);

	struct worker *w = calloc(nthreads, sizeof(*w));
	pthread_t *t = calloc(nthreads, sizeof(*t));
	if (!w || !t)
		return 1;
	for (unsigned int i = 0; i < nthreads; i++) {
		worker_init(&w[i], seed, (int)i);
		if (nthreads > 1 && pthread_create(&t[i], NULL, thread_main, &w[i])) {
			printf("not ok - cdev_fuzz: pthread_create\n");
			return 1;
		}
	}
	uint64_t t0 = now_ms();
	unsigned int killed = 0;

	if (nthreads == 1)
		thread_main(&w[0]); /* deterministic: no forks */
	else {
		/* fork workers and SIGKILL them mid-request until the time is up */
		for (unsigned int f = 0; !stop; f++) {
			if (f < forks) {
				pid_t pid = fork();

				if (pid == 0)
					child_main(seed + 7919 * (f + 1));
				usleep(20000 + below(&mr, 300000));
				if (pid > 0) {
					kill(pid, SIGKILL);
					waitpid(pid, NULL, 0);
					killed++;
				}
			} else {
				usleep(50000);
			}
			if (seconds && now_ms() - t0 >= (uint64_t)seconds * 1000)
				stop = 1;
			if (!seconds) {
				int done = 1;

				for (unsigned int i = 0; i < nthreads; i++)
					if (w[i].calls < max_iter)
						done = 0;
				if (done && f >= forks)
					stop = 1;
			}
		}
		for (unsigned int i = 0; i < nthreads; i++)
			pthread_join(t[i], NULL);
	}
	uint64_t calls = 0, oks = 0;

	for (unsigned int i = 0; i < nthreads; i++) {
		calls += w[i].calls;
		oks += w[i].ok;
		worker_fini(&w[i]);
	}
	close(shared_fd);
	for (int c = 0; verbose && c < NCMD; c++) {
		printf("# %-15s", cmd_names[c]);
		for (int e = 0; e < NERR; e++)
			if (outcome[c][e])
				printf(" %s %lu", e ? strerrorname_np(e) ? strerrorname_np(e) : "?" : "ok",
				       outcome[c][e]);
		printf("\n");
	}
	printf("ok - cdev_fuzz seed %llu: %llu ioctls (%llu succeeded) in %llu ms, %u killed children\n",
	       (unsigned long long)seed, (unsigned long long)calls, (unsigned long long)oks,
	       (unsigned long long)(now_ms() - t0), killed);
	return 0;
}
