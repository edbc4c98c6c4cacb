// SPDX-License-Identifier: GPL-2.0
/*
 * vcd_floor: the floor under a one-request round trip between two threads,
 * measured on this machine in the same run as vcd_bench:
 *   cacheline  two threads hand a cache line back and forth (each spins on
 *              the other's write, yielding the CPU every 64 looks as the
 *              daemon does): what polling on both sides can reach;
 *   eventfd    two threads wake each other through two eventfds (blocking
 *              reads): what two sleeping sides pay, as a kick and a call do.
 * The cacheline threads are pinned to two different CPUs (CPU_A and CPU_B,
 * by default the first two this process may use): a floor of two spinning
 * threads means something only if both run at once. With one CPU they share
 * it and the line says cpus=A,A. The eventfd threads go where the scheduler
 * puts them (cpus=any), as an unpinned daemon and frontend do, unless CPU_A
 * and CPU_B are given. Whether other work took the CPUs meanwhile
 * is measured, not guessed: each thread's time spent runnable but waiting for
 * its CPU (schedstat run_delay) and, for the spinning kind, the share of the
 * wall time it was on its CPU.
 * Prints: FLOOR kind=K round_trips=N secs=S round_trip_us=U cpus=A,B
 *         runq_wait=W cpu_share=C   (W: the larger of the two threads'
 *         waiting fractions, 0 = undisturbed; C: the smaller on-CPU fraction)
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

struct pp {
	/* each on its own cache line */
	_Alignas(64) uint64_t ping;
	_Alignas(64) uint64_t pong;
	_Alignas(64) int efd[2];
	volatile int stop;
	int cpu[2]; /* [0] the measuring thread's, [1] the echo thread's */
	/* the echo thread's own figures over its run (struct tstat) */
	double echo_wait, echo_share;
};

/* A thread's wall, on-CPU and runqueue-wait times, to measure a stretch. */
struct tstat {
	double wall, cpu, wait;
};

static void tstat_now(struct tstat *t)
{
	struct timespec ts;
	unsigned long long run = 0, wait = 0;
	FILE *f = fopen("/proc/thread-self/schedstat", "r");

	if (f) {
		if (fscanf(f, "%llu %llu", &run, &wait) != 2)
			wait = 0;
		fclose(f);
	}
	clock_gettime(CLOCK_MONOTONIC, &ts);
	t->wall = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	t->cpu = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
	t->wait = (double)wait / 1e9;
}

/* Fractions of the wall time since t0: waiting for the CPU, and on it. */
static void tstat_since(const struct tstat *t0, double *wait, double *share)
{
	struct tstat t;
	double w;

	tstat_now(&t);
	w = t.wall - t0->wall;
	*wait = w > 0 ? (t.wait - t0->wait) / w : 0;
	*share = w > 0 ? (t.cpu - t0->cpu) / w : 0;
}

static void pin(int cpu)
{
	cpu_set_t set;

	if (cpu < 0)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set) < 0)
		fprintf(stderr, "vcd_floor: cannot pin to CPU %d: %s\n", cpu, strerror(errno));
}

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
	struct tstat t0;

	pin(p->cpu[1]);
	tstat_now(&t0);
	for (;;) {
		uint64_t v;

		for (unsigned int k = 1; (v = __atomic_load_n(&p->ping, __ATOMIC_ACQUIRE)) == seen; k++)
			spin_wait(k);
		if (v == UINT64_MAX) {
			tstat_since(&t0, &p->echo_wait, &p->echo_share);
			return NULL;
		}
		seen = v;
		__atomic_store_n(&p->pong, v, __ATOMIC_RELEASE);
	}
}

static void *ev_echo(void *arg)
{
	struct pp *p = arg;
	eventfd_t v;
	struct tstat t0;

	pin(p->cpu[1]);
	tstat_now(&t0);
	for (;;) {
		if (eventfd_read(p->efd[0], &v) < 0)
			return NULL;
		if (p->stop) {
			tstat_since(&t0, &p->echo_wait, &p->echo_share);
			return NULL;
		}
		eventfd_write(p->efd[1], 1);
	}
}

int main(int argc, char **argv)
{
	const char *kind = argc > 1 ? argv[1] : "";
	double secs = argc > 2 ? atof(argv[2]) : 1.0, t0, t1, wait, share;
	struct pp *p = aligned_alloc(64, sizeof(*p));
	uint64_t n = 0;
	struct tstat s0;
	cpu_set_t allowed;
	pthread_t th;
	eventfd_t v;
	int ncpu = 0;
	char cpus[32];

	if (!p || secs <= 0 || (argc != 3 && argc != 5) ||
	    (strcmp(kind, "cacheline") && strcmp(kind, "eventfd"))) {
		fprintf(stderr, "usage: vcd_floor cacheline|eventfd SECONDS [CPU_A CPU_B]\n");
		return 2;
	}
	memset(p, 0, sizeof(*p));
	if (argc == 5) {
		p->cpu[0] = atoi(argv[3]);
		p->cpu[1] = atoi(argv[4]);
	} else if (!strcmp(kind, "eventfd")) {
		p->cpu[0] = p->cpu[1] = -1; /* anywhere */
	} else {
		/* the first two CPUs this process may use */
		p->cpu[0] = p->cpu[1] = -1;
		if (sched_getaffinity(0, sizeof(allowed), &allowed) < 0) {
			perror("sched_getaffinity");
			return 1;
		}
		for (int c = 0; c < CPU_SETSIZE && ncpu < 2; c++)
			if (CPU_ISSET(c, &allowed))
				p->cpu[ncpu++] = c;
		if (ncpu < 2) {
			fprintf(stderr, "vcd_floor: only CPU %d is available: both threads share "
					"it, so this is no floor of two sides running at once\n",
				p->cpu[0]);
			p->cpu[1] = p->cpu[0];
		}
	}
	pin(p->cpu[0]);
	tstat_now(&s0);
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
	tstat_since(&s0, &wait, &share);
	pthread_join(th, NULL);
	if (p->cpu[0] < 0)
		snprintf(cpus, sizeof(cpus), "any");
	else
		snprintf(cpus, sizeof(cpus), "%d,%d", p->cpu[0], p->cpu[1]);
	printf("FLOOR kind=%s round_trips=%llu secs=%.3f round_trip_us=%.3f cpus=%s "
	       "runq_wait=%.3f cpu_share=%.3f\n",
	       kind, (unsigned long long)n, t1 - t0, (t1 - t0) * 1e6 / (double)n, cpus,
	       wait > p->echo_wait ? wait : p->echo_wait,
	       share < p->echo_share ? share : p->echo_share);
	free(p);
	return 0;
}
