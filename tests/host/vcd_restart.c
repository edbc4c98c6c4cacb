// SPDX-License-Identifier: GPL-2.0
/*
 * vcd_restart: vcryptod's worker killed or re-executed while a synthetic
 * guest (vufront) keeps thousands of AES-CBC requests in flight, in place
 * (source and destination the same guest bytes, split at random offsets)
 * and out of place. Every request must complete exactly once with the bytes
 * OpenSSL computes here; sessions must still work afterwards; the front must
 * not gain fds. Prints TAP.
 *
 *   vcd_restart -s SOCK -p FRONT_PID [-Q N] [-n REQUESTS] [-k EVENTS] [-S SEED] MODE
 *   MODE: kill (SIGKILL the worker at random moments), hup (SIGHUP the front),
 *         crashloop (kill each new worker at once; report the delays),
 *         gap / hupgap (bench: one request right after each SIGKILL / SIGHUP;
 *         time from the signal to its completion, p50/p99)
 */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/virtio_crypto.h>

#include "vufront.h"
#include "vufront_req.h"

#define MAX_INFLIGHT 128
#define NSESS 4

static int tap_n, tap_fail;
static void ok(bool c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void ok(bool c, const char *fmt, ...)
{
	va_list ap;

	printf("%sok %d - ", c ? "" : "not ", ++tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	if (!c)
		tap_fail++;
}

static long now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000L + ts.tv_nsec / 1000;
}

/* The front's child running "--worker" (the spawner is the other child). */
static pid_t find_worker(pid_t front)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	pid_t found = 0;

	if (!d)
		return 0;
	while ((e = readdir(d))) {
		char path[64], buf[512];
		pid_t pid = (pid_t)atoi(e->d_name), ppid = 0;
		FILE *f;
		size_t n;
		char *p;

		if (pid <= 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/stat", pid);
		f = fopen(path, "r");
		if (!f)
			continue;
		n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
		buf[n] = 0;
		p = strrchr(buf, ')');
		if (!p || sscanf(p + 2, "%*c %d", &ppid) != 1 || ppid != front)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/cmdline", pid);
		f = fopen(path, "r");
		if (!f)
			continue;
		n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
		for (size_t i = 0; i < n; i++)
			if (!buf[i])
				buf[i] = ' ';
		buf[n] = 0;
		if (strstr(buf, "--worker")) {
			found = pid;
			break;
		}
	}
	closedir(d);
	return found;
}

static int count_fds(pid_t pid)
{
	char path[64];
	DIR *d;
	int n = 0;

	snprintf(path, sizeof(path), "/proc/%d/fd", pid);
	d = opendir(path);
	if (!d)
		return -1;
	while (readdir(d))
		n++;
	closedir(d);
	return n - 2;
}

/* Waits up to ms for a worker other than old; 0 if none came. */
static pid_t wait_new_worker(pid_t front, pid_t old, int ms)
{
	for (long end = now_us() + ms * 1000L; now_us() < end;) {
		pid_t w = find_worker(front);

		if (w > 0 && w != old)
			return w;
		usleep(200);
	}
	return 0;
}

struct sess {
	int64_t id;
	uint8_t key[32];
	uint32_t keylen;
	bool enc;
};

struct rjob {
	struct vuf_chain chain;
	uint64_t dst_gpa, st_gpa;
	uint32_t len;
	bool inplace;
	int completions;
	uint32_t used_len;
	uint8_t *expect;
	uint8_t want_status;
};

struct ctx {
	struct vuf *v;
	pid_t front;
	unsigned int nq;
	bool big; /* 2 MiB requests */
	struct sess s[NSESS];
	uint64_t rng;
	/* results */
	unsigned long done, bad_data, twice, bad_status, inplace;
	/* the disturber */
	const char *mode;
	int events_wanted;
	volatile int events, stop;
	long gap_us[256];
	int ngaps;
};

static uint64_t rnd(struct ctx *c)
{
	c->rng ^= c->rng << 13;
	c->rng ^= c->rng >> 7;
	c->rng ^= c->rng << 17;
	return c->rng;
}

/* gpa..gpa+len as up to 3 segments split at random offsets. */
static void add_split(struct ctx *c, struct vuf_chain *ch, uint64_t gpa, uint32_t len, bool w)
{
	uint32_t a = len > 2 ? 1 + (uint32_t)(rnd(c) % (len - 1)) : len;
	uint32_t b = a < len - 1 ? a + (uint32_t)(rnd(c) % (len - a)) : len;

	if (rnd(c) % 3 == 0)
		a = b = len; /* one segment: the engine's direct path */
	ch->seg[ch->nseg++] = (struct vuf_seg){gpa, a, w};
	if (b > a)
		ch->seg[ch->nseg++] = (struct vuf_seg){gpa + a, b - a, w};
	if (len > b)
		ch->seg[ch->nseg++] = (struct vuf_seg){gpa + b, len - b, w};
}

static int build(struct ctx *c, struct rjob *j, const struct sess *s, bool bad_session)
{
	static const uint32_t sizes[] = {16, 64, 256, 1024, 4096, 16384, 65536, 262144};
	uint32_t len = c->big ? 2u << 20 : sizes[rnd(c) % (rnd(c) % 4 ? 5 : 8)];
	uint8_t hdr[VUF_HDR_LEN + 16], *src, *p;
	uint64_t hg, sg, dg, stg;

	memset(j, 0, sizeof(*j));
	j->len = len;
	j->inplace = rnd(c) % 2;
	vuf_hdr_cipher(hdr, s->enc ? VIRTIO_CRYPTO_CIPHER_ENCRYPT : VIRTIO_CRYPTO_CIPHER_DECRYPT,
		       (uint64_t)s->id, 16, len, len);
	vuf_rand_bytes(c->v, hdr + VUF_HDR_LEN, 16);
	hg = vuf_alloc(c->v, -1, sizeof(hdr), 8);
	sg = vuf_alloc(c->v, -1, len, 16);
	dg = j->inplace ? sg : vuf_alloc(c->v, -1, len, 16);
	stg = vuf_alloc(c->v, -1, 1, 1);
	if (!hg || !sg || !dg || !stg)
		return -ENOMEM;
	memcpy(vuf_gpa(c->v, hg, sizeof(hdr)), hdr, sizeof(hdr));
	src = vuf_gpa(c->v, sg, len);
	vuf_rand_bytes(c->v, src, len);
	j->expect = malloc(len);
	if (!j->expect)
		return -ENOMEM;
	if (vuf_ref_cipher(VIRTIO_CRYPTO_CIPHER_AES_CBC, s->key, s->keylen, hdr + VUF_HDR_LEN,
			   s->enc, src, len, j->expect))
		return -EINVAL;
	if (!j->inplace) {
		p = vuf_gpa(c->v, dg, len);
		memset(p, 0xa5, len);
	}
	*(uint8_t *)vuf_gpa(c->v, stg, 1) = 0xee;
	j->chain.seg[j->chain.nseg++] = (struct vuf_seg){hg, VUF_HDR_LEN, false};
	j->chain.seg[j->chain.nseg++] = (struct vuf_seg){hg + VUF_HDR_LEN, 16, false};
	add_split(c, &j->chain, sg, len, false);
	add_split(c, &j->chain, dg, len, true);
	j->chain.seg[j->chain.nseg++] = (struct vuf_seg){stg, 1, true};
	j->chain.in_len = len + 1;
	j->chain.indirect = rnd(c) % 2;
	j->dst_gpa = dg;
	j->st_gpa = stg;
	j->want_status = bad_session ? VIRTIO_CRYPTO_INVSESS : VIRTIO_CRYPTO_OK;
	return 0;
}

static void check(struct ctx *c, struct rjob *j)
{
	uint8_t st = *(uint8_t *)vuf_gpa(c->v, j->st_gpa, 1);

	if (++j->completions > 1) {
		c->twice++;
		return;
	}
	c->done++;
	c->inplace += j->inplace;
	if (st != j->want_status) {
		if (c->bad_status++ < 5)
			printf("# request of %u bytes (%s): status %u, want %u\n", j->len,
			       j->inplace ? "in place" : "out of place", st, j->want_status);
		return;
	}
	if (st == VIRTIO_CRYPTO_OK &&
	    (memcmp(vuf_gpa(c->v, j->dst_gpa, j->len), j->expect, j->len) ||
	     j->used_len != j->len + 1)) {
		if (c->bad_data++ < 5)
			printf("# request of %u bytes (%s): wrong result (used len %u)\n", j->len,
			       j->inplace ? "in place" : "out of place", j->used_len);
	}
}

/* n requests on the sessions in sess_mask, MAX_INFLIGHT per queue. */
static int run(struct ctx *c, unsigned int n, unsigned int sess_mask, bool bad_session)
{
	struct rjob *jobs = calloc(n, sizeof(*jobs));
	unsigned int next = 0, busy[VUF_MAX_QUEUES] = {0}, fin = 0;
	int ret = 0;

	if (!jobs)
		return -ENOMEM;
	vuf_mem_reset(c->v);
	for (unsigned int i = 0; i < n; i++) {
		unsigned int k;

		do
			k = (unsigned int)(rnd(c) % NSESS);
		while (!(sess_mask & (1u << k)));
		ret = build(c, &jobs[i], &c->s[k], bad_session);
		if (ret) {
			n = i;
			break;
		}
	}
	while (!ret && fin < n) {
		bool progress = false;

		for (unsigned int q = 0; q < c->nq; q++) {
			bool added = false;

			while (next < n && busy[q] < MAX_INFLIGHT &&
			       vuf_submit(&c->v->vq[q], &jobs[next].chain, &jobs[next]) == 0) {
				next++;
				busy[q]++;
				added = true;
			}
			if (added)
				vuf_kick(&c->v->vq[q], false);
		}
		for (unsigned int q = 0; q < c->nq; q++) {
			while (busy[q]) {
				void *ck;
				uint32_t len;
				int r = vuf_wait(&c->v->vq[q], progress ? 0 : 20000, &ck, &len);

				if (r < 0) {
					printf("# queue %u: %s (%d)\n", q, c->v->err, r);
					ret = r;
					break;
				}
				if (r == 0)
					break;
				((struct rjob *)ck)->used_len = len;
				check(c, ck);
				busy[q]--;
				fin++;
				progress = true;
			}
		}
		if (!ret && !progress) {
			printf("# no completion within 20 s (%u of %u)\n", fin, n);
			ret = -ETIMEDOUT;
		}
	}
	for (unsigned int i = 0; i < n; i++) {
		if (!ret && jobs[i].completions != 1 && !c->twice)
			printf("# request %u completed %d times\n", i, jobs[i].completions);
		free(jobs[i].expect);
	}
	free(jobs);
	return ret;
}

static void *disturber(void *arg)
{
	struct ctx *c = arg;
	bool hup = !strcmp(c->mode, "hup");
	pid_t w = find_worker(c->front);

	while (!c->stop && c->events < c->events_wanted) {
		pid_t nw;
		long t0;

		usleep((useconds_t)(1000 + rnd(c) % 40000));
		if (!w)
			w = wait_new_worker(c->front, 0, 5000);
		if (!w)
			break;
		t0 = now_us();
		if (hup ? kill(c->front, SIGHUP) : kill(w, SIGKILL))
			break;
		nw = wait_new_worker(c->front, w, 15000);
		if (!nw)
			break;
		if (c->ngaps < 256)
			c->gap_us[c->ngaps++] = now_us() - t0;
		w = nw;
		c->events++;
	}
	return NULL;
}

static int cmp_long(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	const char *sock = NULL;
	struct ctx c = {.nq = 1, .events_wanted = 40};
	unsigned int nreq = 3000;
	uint64_t seed = (uint64_t)time(NULL);
	int opt, fd0, fd1;
	struct vuf_opts vo = {0};
	pthread_t th;

	while ((opt = getopt(argc, argv, "s:p:Q:n:k:S:")) != -1) {
		switch (opt) {
		case 's':
			sock = optarg;
			break;
		case 'p':
			c.front = (pid_t)atoi(optarg);
			break;
		case 'Q':
			c.nq = (unsigned int)atoi(optarg);
			break;
		case 'n':
			nreq = (unsigned int)atoi(optarg);
			break;
		case 'k':
			c.events_wanted = atoi(optarg);
			break;
		case 'S':
			seed = strtoull(optarg, NULL, 0);
			break;
		default:
			return 2;
		}
	}
	if (!sock || !c.front || optind + 1 != argc || c.nq == 0 || c.nq > 4)
		return 2;
	c.mode = argv[optind];
	c.rng = seed | 1;
	printf("# seed %llu, mode %s\n", (unsigned long long)seed, c.mode);
	c.v = vuf_connect(sock, 20000);
	if (!c.v)
		return 1;
	c.v->rng = seed | 1;
	vo.nqueues = c.nq;
	vo.region_size = 16ull << 20;
	vo.qsize = 256;
	ok(vuf_setup(c.v, &vo) == 0, "handshake and %u ring(s) set up", c.nq);
	for (int i = 0; i < NSESS; i++) {
		struct vuf_sym_sess ss = {.cipher_alg = VIRTIO_CRYPTO_CIPHER_AES_CBC,
					  .op_type = VIRTIO_CRYPTO_SYM_OP_CIPHER};

		c.s[i].keylen = i < 2 ? 16 : 32;
		c.s[i].enc = i % 2 == 0;
		vuf_rand_bytes(c.v, c.s[i].key, c.s[i].keylen);
		ss.key_len = c.s[i].keylen;
		ss.key = c.s[i].key;
		ss.direction = c.s[i].enc ? VIRTIO_CRYPTO_OP_ENCRYPT : VIRTIO_CRYPTO_OP_DECRYPT;
		if (vuf_create_sym(c.v, i == 3 ? VUF_SESS_1072 : VUF_SESS_632, &ss, &c.s[i].id) ||
		    c.s[i].id <= 0)
			ok(false, "session %d created", i);
	}
	ok(run(&c, 64, 0xf, false) == 0 && c.done == 64 && !c.bad_data && !c.bad_status,
	   "warm-up: 64 requests on 4 sessions (AES-128/256-CBC both directions)");
	fd0 = count_fds(c.front);

	if (!strcmp(c.mode, "crashloop")) {
		/* Kill each worker as soon as it is there; the front must slow down. */
		pid_t w = find_worker(c.front);

		for (int i = 0; i < c.events_wanted && w; i++) {
			long t0 = now_us();

			kill(w, SIGKILL);
			w = wait_new_worker(c.front, w, 30000);
			c.gap_us[c.ngaps++] = now_us() - t0;
			printf("# kill %d: next worker after %ld ms\n", i + 1,
			       c.gap_us[c.ngaps - 1] / 1000);
		}
		ok(w != 0, "a worker runs again after %d immediate kills", c.events_wanted);
		{
			long fast = c.gap_us[0], slow = 0;

			for (int i = 0; i < c.ngaps; i++)
				slow = c.gap_us[i] > slow ? c.gap_us[i] : slow;
			printf("crashloop: first gap %ld ms, longest %ld ms\n", fast / 1000,
			       slow / 1000);
		}
		c.done = 0;
		ok(run(&c, 64, 0xf, false) == 0 && c.done == 64 && !c.bad_data && !c.bad_status,
		   "the sessions serve correctly after the crash loop");
		vuf_free(c.v);
		printf("1..%d\n", tap_n);
		return tap_fail ? 1 : 0;
	}

	if (!strcmp(c.mode, "gap") || !strcmp(c.mode, "hupgap")) {
		bool hup = !strcmp(c.mode, "hupgap");
		int fails = 0;

		for (int i = 0; i < c.events_wanted && c.ngaps < 256; i++) {
			struct rjob j;
			pid_t w = find_worker(c.front);
			long t0;
			void *ck;
			uint32_t len;

			vuf_mem_reset(c.v);
			c.done = 0;
			if (!w || build(&c, &j, &c.s[0], false)) {
				fails++;
				break;
			}
			t0 = now_us();
			kill(hup ? c.front : w, hup ? SIGHUP : SIGKILL);
			if (vuf_submit(&c.v->vq[0], &j.chain, &j) == 0) {
				vuf_kick(&c.v->vq[0], true);
				if (vuf_wait(&c.v->vq[0], 20000, &ck, &len) == 1) {
					c.gap_us[c.ngaps++] = now_us() - t0;
					j.used_len = len;
					check(&c, &j);
				}
			}
			fails += c.done != 1 || c.bad_data || c.bad_status;
			free(j.expect);
			wait_new_worker(c.front, w, 5000);
			usleep(50000);
		}
		ok(fails == 0 && c.ngaps == c.events_wanted,
		   "%d %s, each followed by one request: all served correctly", c.ngaps,
		   hup ? "SIGHUPs" : "worker kills");
		qsort(c.gap_us, (size_t)c.ngaps, sizeof(long), cmp_long);
		if (c.ngaps)
			printf("RESULT mode=%s restarts=%d p50_ms=%.2f p99_ms=%.2f max_ms=%.2f\n",
			       c.mode, c.ngaps, c.gap_us[c.ngaps / 2] / 1000.0,
			       c.gap_us[(c.ngaps * 99) / 100] / 1000.0, c.gap_us[c.ngaps - 1] / 1000.0);
		vuf_free(c.v);
		printf("1..%d\n", tap_n);
		return tap_fail ? 1 : 0;
	}

	/* Requests in flight while the worker is killed (or re-executed). */
	c.done = 0;
	pthread_create(&th, NULL, disturber, &c);
	{
		unsigned long total = 0;
		int r = 0;

		while (!r && (total < nreq || c.events < c.events_wanted)) {
			r = run(&c, 500, 0xf, false);
			total += 500;
			if (total > 50u * nreq)
				break;
		}
		c.stop = 1;
		pthread_join(th, NULL);
		ok(r == 0, "transport held through %d %s (%lu requests)", c.events,
		   !strcmp(c.mode, "hup") ? "SIGHUP re-executions" : "worker kills", c.done);
		ok(c.events >= c.events_wanted, "%d of %d disturbances done", c.events,
		   c.events_wanted);
		ok(c.twice == 0, "no request completed twice (%lu seen)", c.twice);
		ok(c.done >= nreq && c.bad_status == 0 && c.bad_data == 0,
		   "%lu requests (%lu in place) completed exactly once with OpenSSL's bytes "
		   "(wrong status %lu, wrong data %lu)",
		   c.done, c.inplace, c.bad_status, c.bad_data);
	}
	if (c.ngaps) {
		qsort(c.gap_us, (size_t)c.ngaps, sizeof(long), cmp_long);
		printf("gap: %d restarts, kill to new worker p50 %.2f ms p99 %.2f ms\n", c.ngaps,
		       c.gap_us[c.ngaps / 2] / 1000.0, c.gap_us[(c.ngaps * 99) / 100] / 1000.0);
	}
	/* Sessions after the restarts: all four still work; a closed one is gone. */
	c.done = c.bad_data = c.bad_status = 0;
	ok(run(&c, 200, 0xf, false) == 0 && c.done == 200 && !c.bad_data && !c.bad_status,
	   "after the restarts the 4 sessions still serve 200 requests correctly");
	/* Results over 1 MiB: the journal's pages are released afterwards. */
	c.big = true;
	c.done = c.bad_data = c.bad_status = 0;
	ok(run(&c, 6, 0xf, false) == 0 && c.done == 6 && !c.bad_data && !c.bad_status,
	   "6 requests of 2 MiB (in place or not) correct");
	c.big = false;
	ok(vuf_close_session(c.v, (uint64_t)c.s[3].id) == 0, "session 3 closed");
	{
		pid_t w = find_worker(c.front);

		kill(w, SIGKILL);
		ok(wait_new_worker(c.front, w, 15000) != 0, "worker killed once more after the close");
	}
	c.done = c.bad_data = c.bad_status = 0;
	ok(run(&c, 100, 0x7, false) == 0 && c.done == 100 && !c.bad_data && !c.bad_status,
	   "sessions 0-2 carried over by the new worker");
	c.done = c.bad_data = c.bad_status = 0;
	ok(run(&c, 20, 0x8, true) == 0 && c.done == 20 && !c.bad_status,
	   "the closed session was not carried over: its requests get INVSESS");
	fd1 = count_fds(c.front);
	ok(fd0 > 0 && fd1 == fd0, "front holds %d fds after %d restarts (%d before)", fd1,
	   c.events + 1, fd0);
	vuf_free(c.v);
	printf("1..%d\n", tap_n);
	return tap_fail ? 1 : 0;
}
