// SPDX-License-Identifier: GPL-2.0
/*
 * vcd_bench: drives a vhost-user virtio-crypto backend (vcryptod) with
 * AES-128-CBC encryptions through vufront, one thread per data queue, many
 * requests in flight per queue, and prints one result line per run.
 *
 * Each in-flight slot is laid out once in guest memory like the Linux driver
 * does it (an indirect table: header+iv, src, dst, status) and resubmitted
 * as soon as it completes; the first completion of every slot is checked
 * against OpenSSL so the figures are for real work.
 */
#include "vufront_req.h"

#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct slot {
	struct vuf_chain chain;
	uint8_t *expect; /* ciphertext, checked once */
	uint8_t *dst; /* host view of the dst buffer */
	uint8_t *status;
	bool checked;
};

struct qrun {
	struct vuf *v;
	struct vuf_vq *q;
	struct slot *slots;
	unsigned int nslots;
	size_t len;
	double secs;
	uint64_t done;
	uint64_t bad;
	double elapsed;
	unsigned int poll_us; /* spin on the used ring this long before sleeping */
	int cpu; /* -c: the CPU this queue's thread runs on; -1: any */
	uint64_t spins_won, sleeps;
	int err;
};

static double bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static bool used_moved(struct vuf_vq *q)
{
	return __atomic_load_n(&q->used->idx, __ATOMIC_ACQUIRE) != q->last_used;
}

/* Watches the used ring (used_event left where it is: no interrupt asked). */
static bool spin_used(struct vuf_vq *q, unsigned int us)
{
	double end = bench_now() + us / 1e6;

	do {
		for (unsigned int i = 0; i < 64; i++) {
			if (used_moved(q))
				return true;
#if defined(__x86_64__)
			__builtin_ia32_pause();
#endif
		}
		sched_yield(); /* as vcryptod's worker does: a shared core goes on */
	} while (bench_now() < end);
	return false;
}

static void *bench_queue(void *arg)
{
	struct qrun *r = arg;
	unsigned int busy = 0;
	double t0, end;
	bool stop = false;

	if (r->cpu >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(r->cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set) < 0) {
			r->err = -errno;
			return NULL;
		}
	}

	for (unsigned int i = 0; i < r->nslots; i++) {
		r->slots[i].status[0] = 0xee;
		if (vuf_submit(r->q, &r->slots[i].chain, &r->slots[i])) {
			r->err = -ENOSPC;
			return NULL;
		}
		busy++;
	}
	t0 = bench_now();
	end = t0 + r->secs;
	vuf_kick(r->q, false);
	while (busy) {
		unsigned int got = 0;
		void *ck;
		uint32_t len;
		int ret = 0;

		/* Take every completion there is, resubmit, then one kick. */
		for (;;) {
			struct slot *s;

			if (!used_moved(r->q)) {
				if (got)
					break;
				if (r->poll_us && spin_used(r->q, r->poll_us))
					r->spins_won++;
				else
					r->sleeps++;
			}
			/* Returns at once if used moved; else asks for a call and sleeps. */
			ret = vuf_wait(r->q, 5000, &ck, &len);
			if (ret != 1)
				break;
			s = ck;

			got++;
			busy--;
			r->done++;
			if (s->status[0] != 0 || (!s->checked && memcmp(s->dst, s->expect, r->len)))
				r->bad++;
			s->checked = true;
			if (!stop) {
				s->status[0] = 0xee;
				if (vuf_submit(r->q, &s->chain, s) == 0)
					busy++;
			}
		}
		if (ret < 0) {
			r->err = ret;
			break;
		}
		if (!got || ret == 0) {
			r->err = -ETIMEDOUT;
			break;
		}
		/* Kick for what was resubmitted, also in the round that stops. */
		vuf_kick(r->q, false);
		if (!stop && bench_now() >= end)
			stop = true;
	}
	r->elapsed = bench_now() - t0;
	return NULL;
}

/* Prints the usage to f; the exit status that goes with it (0 for stdout). */
static int usage(FILE *f)
{
	fprintf(f, "usage: vcd_bench -s SOCKET [-q QUEUES] [-l BYTES] [-i INFLIGHT] [-d SECONDS]\n"
		   "                 [-p POLL_US] [-F] [-w SECONDS] [-c CPU[,CPU...]] [-W]\n"
		   "Encrypts BYTES-long buffers with AES-128-CBC through a vhost-user\n"
		   "virtio-crypto backend, one thread per queue, INFLIGHT requests in flight\n"
		   "per queue (default 128), for SECONDS (default 2). Prints one line:\n"
		   "  RESULT queues=Q bytes=B requests=N secs=S req_per_s=R mb_per_s=M bad=0 ...\n"
		   "  -p N  the frontend watches the used ring up to N us before it asks for an\n"
		   "        interrupt and sleeps on the call eventfd (a polling guest driver)\n"
		   "  -F    SET_FEATURES with the ring features (EVENT_IDX known to the backend)\n"
		   "  -w N  stay connected, idle, N seconds after the run (idle CPU checks)\n"
		   "  -c L  queue q's thread runs on the q-th CPU of the comma list L (wraps)\n"
		   "  -W    once connected and set up, print READY and wait (up to 10 s) for a\n"
		   "        line on stdin before starting (the caller reads CPU counters)\n");
	return f == stdout ? 0 : 2;
}

int main(int argc, char **argv)
{
	const char *sock = NULL;
	unsigned int nq = 1, inflight = 128;
	size_t len = 4096;
	double secs = 2, idle = 0;
	unsigned int poll_us = 0, ncpu = 0;
	bool go_wait = false;
	int cpus[VUF_MAX_QUEUES];
	struct vuf_opts o = {0};
	struct qrun runs[VUF_MAX_QUEUES];
	pthread_t th[VUF_MAX_QUEUES];
	uint8_t key[16], iv[16];
	uint64_t total = 0, bad = 0, kicks = 0, calls = 0, spins = 0, sleeps = 0;
	double el = 0;
	struct vuf *v;
	int64_t sid;
	int c, ret;

	while ((c = getopt(argc, argv, "s:q:l:i:d:p:Fw:c:Wh")) != -1) {
		switch (c) {
		case 's':
			sock = optarg;
			break;
		case 'q':
			nq = (unsigned int)atoi(optarg);
			break;
		case 'l':
			len = (size_t)atol(optarg);
			break;
		case 'i':
			inflight = (unsigned int)atoi(optarg);
			break;
		case 'd':
			secs = atof(optarg);
			break;
		case 'p':
			poll_us = (unsigned int)atoi(optarg);
			break;
		case 'F':
			o.full_set_features = true;
			break;
		case 'w':
			idle = atof(optarg);
			break;
		case 'W':
			go_wait = true;
			break;
		case 'c':
			for (char *s = optarg, *e; ncpu < VUF_MAX_QUEUES; s = e + 1) {
				long n = strtol(s, &e, 10);

				if (e == s || n < 0 || n >= CPU_SETSIZE || (*e && *e != ','))
					return usage(stderr);
				cpus[ncpu++] = (int)n;
				if (!*e)
					break;
			}
			break;
		case 'h':
			return usage(stdout);
		default:
			return usage(stderr);
		}
	}
	if (!sock || !nq || nq > VUF_MAX_QUEUES || !len || len % 16 || len > (1 << 20) ||
	    !inflight || inflight > 512 || secs <= 0)
		return usage(stderr);
	v = vuf_connect(sock, 5000);
	if (!v) {
		fprintf(stderr, "vcd_bench: connect %s: %s\n", sock, strerror(errno));
		return 1;
	}
	o.nqueues = nq;
	o.nregions = 4;
	o.region_size =
		((uint64_t)inflight * nq * (2 * len + 256) / 4 + (4 << 20) + 0xfffff) & ~0xfffffULL;
	ret = vuf_setup(v, &o);
	if (ret) {
		fprintf(stderr, "vcd_bench: handshake: %s %s\n", strerror(-ret), v->err);
		return 1;
	}
	vuf_rand_bytes(v, key, sizeof(key));
	vuf_rand_bytes(v, iv, sizeof(iv));
	ret = vuf_create_sym(v, VUF_SESS_632,
			     &(struct vuf_sym_sess){.cipher_alg = VIRTIO_CRYPTO_CIPHER_AES_CBC,
						    .key_len = 16,
						    .op_type = VIRTIO_CRYPTO_SYM_OP_CIPHER,
						    .direction = VIRTIO_CRYPTO_OP_ENCRYPT,
						    .key = key},
			     &sid);
	if (ret || sid < 0) {
		fprintf(stderr, "vcd_bench: no AES-128-CBC session (%d, %lld)\n", ret,
			(long long)sid);
		return 1;
	}
	/* Lay out every slot once, before the threads start (the allocator
	 * is not thread-safe). */
	for (unsigned int q = 0; q < nq; q++) {
		struct qrun *r = &runs[q];

		memset(r, 0, sizeof(*r));
		r->v = v;
		r->q = &v->vq[q];
		r->len = len;
		r->secs = secs;
		r->nslots = inflight;
		r->poll_us = poll_us;
		r->cpu = ncpu ? cpus[q % ncpu] : -1;
		r->slots = calloc(inflight, sizeof(*r->slots));
		if (!r->slots)
			return 1;
		for (unsigned int i = 0; i < inflight; i++) {
			struct slot *s = &r->slots[i];
			uint8_t hdr[VUF_HDR_LEN + 16];
			uint64_t hg = vuf_alloc(v, -1, sizeof(hdr), 8),
				 sg = vuf_alloc(v, -1, len, 64);
			uint64_t dg = vuf_alloc(v, -1, len, 64), stg = vuf_alloc(v, -1, 1, 1);
			uint64_t tg = vuf_alloc(v, -1, 4 * 16, 16);
			uint8_t *src;

			if (!hg || !sg || !dg || !stg || !tg) {
				fprintf(stderr, "vcd_bench: guest memory exhausted\n");
				return 1;
			}
			vuf_hdr_cipher(hdr, VIRTIO_CRYPTO_CIPHER_ENCRYPT, (uint64_t)sid, 16,
				       (uint32_t)len, (uint32_t)len);
			memcpy(hdr + VUF_HDR_LEN, iv, 16);
			memcpy(vuf_gpa(v, hg, sizeof(hdr)), hdr, sizeof(hdr));
			src = vuf_gpa(v, sg, len);
			vuf_rand_bytes(v, src, len);
			s->dst = vuf_gpa(v, dg, len);
			s->status = vuf_gpa(v, stg, 1);
			s->expect = malloc(len);
			if (!s->expect || vuf_ref_cipher(VIRTIO_CRYPTO_CIPHER_AES_CBC, key, 16, iv,
							 1, src, len, s->expect))
				return 1;
			s->chain.nseg = 4;
			s->chain.seg[0] = (struct vuf_seg){hg, sizeof(hdr), false};
			s->chain.seg[1] = (struct vuf_seg){sg, (uint32_t)len, false};
			s->chain.seg[2] = (struct vuf_seg){dg, (uint32_t)len, true};
			s->chain.seg[3] = (struct vuf_seg){stg, 1, true};
			s->chain.indirect = true;
			s->chain.ind_gpa = tg;
			s->chain.in_len = len + 1;
		}
	}
	if (go_wait) {
		/* Set up, not started: the caller reads the daemon's CPU time now. */
		struct pollfd in = {.fd = 0, .events = POLLIN};
		char line[16];

		printf("READY\n");
		fflush(stdout);
		if (poll(&in, 1, 10000) == 1 && read(0, line, sizeof(line)) < 0)
			perror("vcd_bench: stdin");
	}
	for (unsigned int q = 0; q < nq; q++)
		pthread_create(&th[q], NULL, bench_queue, &runs[q]);
	for (unsigned int q = 0; q < nq; q++) {
		pthread_join(th[q], NULL);
		if (runs[q].err) {
			struct vuf_vq *vq = runs[q].q;

			fprintf(stderr, "vcd_bench: queue %u: %s %s\n", q, strerror(-runs[q].err),
				v->err);
			fprintf(stderr,
				"vcd_bench: queue %u: avail idx %u, used idx %u, seen %u, "
				"avail_event %u, last kick decision at %u, kicks %llu (%llu "
				"saved), %u free\n",
				q, vq->avail_idx, vq->used->idx, vq->last_used,
				*(volatile uint16_t *)&vq->used->ring[vq->num], vq->kicked_idx,
				(unsigned long long)vq->kicks, (unsigned long long)vq->kicks_saved,
				vq->num_free);
			return 1;
		}
		total += runs[q].done;
		kicks += runs[q].q->kicks;
		spins += runs[q].spins_won;
		sleeps += runs[q].sleeps;
		calls += runs[q].q->calls;
		bad += runs[q].bad;
		if (runs[q].elapsed > el)
			el = runs[q].elapsed;
	}
	printf("RESULT queues=%u bytes=%zu requests=%llu secs=%.3f req_per_s=%.0f mb_per_s=%.2f "
	       "bad=%llu kicks=%llu calls_read=%llu spins_won=%llu sleeps=%llu\n",
	       nq, len, (unsigned long long)total, el, total / el, total * (double)len / el / 1e6,
	       (unsigned long long)bad, (unsigned long long)kicks, (unsigned long long)calls,
	       (unsigned long long)spins, (unsigned long long)sleeps);
	fflush(stdout);
	if (idle > 0)
		usleep((useconds_t)(idle * 1e6));
	for (unsigned int q = 0; q < nq; q++) {
		for (unsigned int i = 0; i < inflight; i++)
			free(runs[q].slots[i].expect);
		free(runs[q].slots);
	}
	vuf_free(v);
	return bad ? 1 : 0;
}
