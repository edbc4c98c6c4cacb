// SPDX-License-Identifier: GPL-2.0
/*
 * vcd_floor: the floor under a one-request round trip between two threads,
 * measured on this machine in the same run as vcd_bench:
 *   cacheline  two threads hand a cache line back and forth (each spins on
 *              the other's write, yielding the CPU every 64 looks as the
 *              daemon does): what polling on both sides can reach;
 *   eventfd    two threads wake each other through two eventfds (blocking
 *              reads): what two sleeping sides pay, as a kick and a call do.
 * Prints: FLOOR kind=K round_trips=N secs=S round_trip_us=U
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

struct pp {
	/* each on its own cache line */
	_Alignas(64) uint64_t ping;
	_Alignas(64) uint64_t pong;
	_Alignas(64) int efd[2];
	volatile int stop;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static inline void relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#endif
}

/* Spins as vcryptod's worker does: pause, and offer the CPU every 64 looks. */
static inline void spin_wait(unsigned int k)
{
	relax();
	if (k % 64 == 0)
		sched_yield();
}

static void *cl_echo(void *arg)
{
	struct pp *p = arg;
	uint64_t seen = 0;

	for (;;) {
		uint64_t v;

		for (unsigned int k = 1; (v = __atomic_load_n(&p->ping, __ATOMIC_ACQUIRE)) == seen; k++)
			spin_wait(k);
		if (v == UINT64_MAX)
			return NULL;
		seen = v;
		__atomic_store_n(&p->pong, v, __ATOMIC_RELEASE);
	}
}

static void *ev_echo(void *arg)
{
	struct pp *p = arg;
	eventfd_t v;

	for (;;) {
		if (eventfd_read(p->efd[0], &v) < 0)
			return NULL;
		if (p->stop)
			return NULL;
		eventfd_write(p->efd[1], 1);
	}
}

int main(int argc, char **argv)
{
	const char *kind = argc > 1 ? argv[1] : "";
	double secs = argc > 2 ? atof(argv[2]) : 1.0, t0, t1;
	struct pp *p = aligned_alloc(64, sizeof(*p));
	uint64_t n = 0;
	pthread_t th;
	eventfd_t v;

	if (!p || secs <= 0 || (strcmp(kind, "cacheline") && strcmp(kind, "eventfd"))) {
		fprintf(stderr, "usage: vcd_floor cacheline|eventfd [SECONDS]\n");
		return 2;
	}
	memset(p, 0, sizeof(*p));
	if (!strcmp(kind, "cacheline")) {
		pthread_create(&th, NULL, cl_echo, p);
		t0 = now_s();
		do {
			/* 256 round trips between clock reads */
			for (unsigned int i = 0; i < 256; i++) {
				n++;
				__atomic_store_n(&p->ping, n, __ATOMIC_RELEASE);
				for (unsigned int k = 1; __atomic_load_n(&p->pong, __ATOMIC_ACQUIRE) != n;
				     k++)
					spin_wait(k);
			}
			t1 = now_s();
		} while (t1 - t0 < secs);
		__atomic_store_n(&p->ping, UINT64_MAX, __ATOMIC_RELEASE);
	} else {
		p->efd[0] = eventfd(0, EFD_CLOEXEC);
		p->efd[1] = eventfd(0, EFD_CLOEXEC);
		if (p->efd[0] < 0 || p->efd[1] < 0) {
			perror("eventfd");
			return 1;
		}
		pthread_create(&th, NULL, ev_echo, p);
		t0 = now_s();
		do {
			for (unsigned int i = 0; i < 64; i++) {
				n++;
				eventfd_write(p->efd[0], 1);
				eventfd_read(p->efd[1], &v);
			}
			t1 = now_s();
		} while (t1 - t0 < secs);
		p->stop = 1;
		eventfd_write(p->efd[0], 1);
	}
	pthread_join(th, NULL);
	printf("FLOOR kind=%s round_trips=%llu secs=%.3f round_trip_us=%.3f\n", kind,
	       (unsigned long long)n, t1 - t0, (t1 - t0) * 1e6 / (double)n);
	free(p);
	return 0;
}
