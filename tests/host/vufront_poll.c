// SPDX-License-Identifier: GPL-2.0
/*
 * vufront poll suite: notification suppression and polling of a backend, as
 * four kinds of guest driver see them (EVENT_IDX or not, the negotiation
 * passed to the backend in SET_FEATURES or not, as QEMU's cryptodev omits it):
 *   - no lost kick: the frontend kicks only when the ring says so
 *     (avail_event, or VRING_USED_F_NO_NOTIFY), at gaps around and beyond a
 *     polling window; a request nobody serves times out;
 *   - no lost interrupt: the frontend sleeps on the call eventfd after asking
 *     for one (used_event, or clearing VRING_AVAIL_F_NO_INTERRUPT); a
 *     completion found only after the timeout is a lost interrupt;
 *   - suppression: a frontend that polls the used ring and asks for nothing
 *     gets at most a couple of interrupts where the rules let the backend know;
 *   - stop under flood: GET_VRING_BASE with the ring full (and, with a long
 *     window, while the worker polls an empty ring) is answered, every
 *     request taken is completed, kicks are on again, the ring restarts;
 *   - idle: once the window has passed, the daemon uses < 5% of a CPU.
 * No timing assertion beyond generous bounds of correctness.
 * -P tells the daemon's --poll-us (0: the ring must look as before polling
 * existed; >= 1 s: how often kicks were suppressed is noted, since a
 * preempted worker stops polling for a while).
 */
#include "vufront_test.h"

#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct pk {
	const char *name;
	bool evidx; /* the driver uses EVENT_IDX */
	bool known; /* SET_FEATURES tells the backend */
};

static const struct pk kinds[] = {
	{"EVENT_IDX driver, features not passed (QEMU)", true, false},
	{"EVENT_IDX driver, features passed", true, true},
	{"driver without EVENT_IDX, features not passed", false, false},
	{"driver without EVENT_IDX, features passed", false, true},
};

static const uint8_t pkey[16] = "poll-suite-key!";

static struct vuf *open_kind(struct vt *t, const struct pk *k)
{
	struct vuf_opts o = {.nqueues = 1,
			     .seed = t->seed,
			     .nregions = t->nregions,
			     .qsize = t->qsize,
			     .full_set_features = k->known,
			     .no_event_idx = k->known && !k->evidx};
	struct vuf *v = vuf_connect(t->sock, t->timeout_ms);

	if (!v)
		return NULL;
	t->seed = t->seed * 6364136223846793005ULL + 1442695040888963407ULL;
	if (vuf_setup(v, &o)) {
		tap_note("handshake failed: %s", v->err);
		vuf_free(v);
		return NULL;
	}
	v->event_idx = k->evidx;
	v->irq_flags = !k->evidx;
	v->timeout_ms = 3000;
	if (!k->evidx)
		v->vq[0].avail->flags = VRING_AVAIL_F_NO_INTERRUPT;
	return v;
}

static uint16_t avail_event(struct vuf_vq *q)
{
	return __atomic_load_n((uint16_t *)&q->used->ring[q->num], __ATOMIC_ACQUIRE);
}

/* The ring tells a driver of this kind not to kick. */
static bool kicks_off(struct vuf_vq *q, bool evidx)
{
	if (evidx)
		return (uint16_t)(avail_event(q) - q->avail_idx) > q->num;
	return __atomic_load_n(&q->used->flags, __ATOMIC_ACQUIRE) & VRING_USED_F_NO_NOTIFY;
}

static void gap_sleep(struct vuf *v)
{
	static const long gaps_us[] = {0, 0, 0, 2, 20, 60, 200, 700, 3000};
	long us = gaps_us[vuf_rand(v) % (sizeof(gaps_us) / sizeof(gaps_us[0]))];
	struct timespec ts = {.tv_sec = 0, .tv_nsec = us * 1000};

	if (vuf_rand(v) % 40 == 0)
		ts.tv_nsec = 20 * 1000000; /* now and then well past a window */
	if (ts.tv_nsec)
		nanosleep(&ts, NULL);
}

static int new_job(struct vuf *v, int64_t sid, struct vuf_job *j, size_t len)
{
	if (vt_cipher_job(v, j, sid, VIRTIO_CRYPTO_CIPHER_AES_CBC, pkey, 16, 1, len, 0))
		return -1;
	return vuf_place(v, &j->chain, j->out, j->out_len, j->in_len, &j->po);
}

/* open_kind() and an AES-CBC session on it: two results; NULL after a failure. */
static struct vuf *open_session(struct vt *t, const struct pk *k, int64_t *sid)
{
	struct vuf *v = open_kind(t, k);

	if (!tap_ok(v != NULL, "poll: %s: handshake", k->name))
		return NULL;
	*sid = vt_cipher_session(v, VUF_SESS_632, VIRTIO_CRYPTO_CIPHER_AES_CBC, pkey, 16, 1);
	if (!tap_ok(*sid >= 0, "poll: %s: session", k->name)) {
		vuf_free(v);
		return NULL;
	}
	return v;
}

/* One request at a time, random gaps, sleeping on the call eventfd. */
static void case_one_at_a_time(struct vt *t, const struct pk *k)
{
	int64_t sid;
	struct vuf *v = open_session(t, k, &sid);
	struct vuf_vq *q;
	unsigned int n = 120, done = 0, bad = 0, lost = 0, as_before = 0, off_seen = 0;

	if (!v)
		return;
	q = &v->vq[0];
	for (unsigned int i = 0; i < n; i++) {
		struct vuf_job j;
		void *ck;
		uint32_t len;
		int r;

		if (new_job(v, sid, &j, 16 * (1 + vuf_rand(v) % 16))) {
			vuf_job_free(&j);
			break;
		}
		gap_sleep(v);
		if (vuf_submit(q, &j.chain, &j)) {
			vuf_job_free(&j);
			break;
		}
		vuf_kick(q, false);
		r = vuf_wait(q, v->timeout_ms, &ck, &len);
		if (r != 1 || q->missing_calls) {
			tap_note("  request %u: %s (kicks %llu, saved %llu, missing calls %llu)", i,
				r == 1 ? "completed without an interrupt"
				: r == 0 ? "never completed"
					 : strerror(-r),
				(unsigned long long)q->kicks, (unsigned long long)q->kicks_saved,
				(unsigned long long)q->missing_calls);
			lost++;
			vuf_job_free(&j);
			break;
		}
		bad += !vuf_job_complete(v, &j, len);
		done++;
		/* The completion is visible: so are the ring fields written before it. */
		if (__atomic_load_n(&q->used->flags, __ATOMIC_ACQUIRE) == 0 &&
		    avail_event(q) == q->avail_idx)
			as_before++;
		if (kicks_off(q, k->evidx))
			off_seen++;
		vuf_job_free(&j);
		vuf_mem_reset(v);
	}
	tap_ok(done == n && !bad,
	      "poll: %s: %u of %u requests one at a time at random gaps completed, %u wrong",
	      k->name, done, n, bad);
	tap_ok(lost == 0 && q->missing_calls == 0,
	      "poll: %s: no lost kick, no lost interrupt (%llu kicks, %llu not needed, %llu "
	      "completions without a call)",
	      k->name, (unsigned long long)q->kicks, (unsigned long long)q->kicks_saved,
	      (unsigned long long)q->missing_calls);
	if (t->poll_us == 0)
		tap_ok(as_before == done,
		      "poll: %s: --poll-us 0: at every completion used->flags is 0 and "
		      "avail_event = avail idx, as before polling (%u of %u)",
		      k->name, as_before, done);
	else if (t->poll_us >= 1000000)
		/*
		 * How many depends on the machine's load: a worker preempted while
		 * polling stops polling a while. The ring states themselves are
		 * checked in tests/unit/test_vcd_virtq.c.
		 */
		tap_note("poll: %s: the ring said do not kick at %u of %u completions; %llu "
			"kicks, %llu saved",
			k->name, off_seen, done, (unsigned long long)q->kicks,
			(unsigned long long)q->kicks_saved);
	vuf_free(v);
}

/* Spins on the used ring up to 5 s without asking for an interrupt. */
static bool spin_used(struct vuf_vq *q)
{
	struct timespec t0, t1;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (unsigned long i = 0;; i++) {
		if (__atomic_load_n(&q->used->idx, __ATOMIC_ACQUIRE) != q->last_used)
			return true;
		if (i % 1024 == 0) {
			clock_gettime(CLOCK_MONOTONIC, &t1);
			if (t1.tv_sec - t0.tv_sec > 5)
				return false;
			sched_yield();
		}
	}
}

static uint64_t drain_calls(struct vuf_vq *q)
{
	uint64_t c = 0;

	if (read(q->call_fd, &c, sizeof(c)) != sizeof(c))
		c = 0;
	return c;
}

/* A driver that polls for completions and never asks for an interrupt. */
static void case_suppressed(struct vt *t, const struct pk *k)
{
	int64_t sid;
	struct vuf *v = open_session(t, k, &sid);
	struct vuf_vq *q;
	unsigned int n = 100, done = 0, bad = 0;
	uint64_t calls;

	if (!v)
		return;
	q = &v->vq[0];
	/* EVENT_IDX: used_event stays 0 (Linux writes 0 to disable callbacks). */
	drain_calls(q);
	for (unsigned int i = 0; i < n; i++) {
		struct vuf_job j;
		void *ck;
		uint32_t len;

		if (new_job(v, sid, &j, 64) || vuf_submit(q, &j.chain, &j)) {
			vuf_job_free(&j);
			break;
		}
		vuf_kick(q, false);
		if (!spin_used(q) || vuf_wait(q, 0, &ck, &len) != 1) {
			tap_note("  request %u never completed", i);
			vuf_job_free(&j);
			break;
		}
		bad += !vuf_job_complete(v, &j, len);
		done++;
		vuf_job_free(&j);
		vuf_mem_reset(v);
	}
	calls = drain_calls(q);
	tap_ok(done == n && !bad, "poll: %s: %u of %u polled requests completed, %u wrong",
	      k->name, done, n, bad);
	if (k->known || !k->evidx)
		tap_ok(calls <= 2,
		      "poll: %s: a driver that asks for no interrupt gets %llu for %u "
		      "completions (<= 2)",
		      k->name, (unsigned long long)calls, done);
	else
		tap_note("poll: %s: %llu interrupts for %u completions (the backend cannot "
			"tell this driver from one without EVENT_IDX whose flags ask for "
			"them)",
			k->name, (unsigned long long)calls, done);
	vuf_free(v);
}

static double mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* utime + stime of the whole daemon in clock ticks; -1 if unknown. */
static long cpu_ticks(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long ut, st;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	p = strrchr(buf, ')'); /* the name may hold spaces */
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
		return -1;
	return (long)(ut + st);
}

/* Ring full of 16 KiB requests, GET_VRING_BASE at once; then idle. */
static void case_flood_stop_idle(struct vt *t)
{
	const struct pk *k = &kinds[0];
	struct vuf *v = open_kind(t, k);
	enum { N = 200 };
	struct vuf_job *j = calloc(N, sizeof(*j));
	unsigned int done = 0, bad = 0, placed = 0;
	struct vuf_vq *q;
	uint32_t base = 0;
	uint16_t used;
	int64_t sid;
	double t0, el;
	int ret;

	if (!tap_ok(v != NULL && j, "poll: flood: handshake"))
		goto out;
	q = &v->vq[0];
	sid = vt_cipher_session(v, VUF_SESS_632, VIRTIO_CRYPTO_CIPHER_AES_CBC, pkey, 16, 1);
	for (; placed < N && sid >= 0; placed++) {
		if (new_job(v, sid, &j[placed], 16384) || vuf_submit(q, &j[placed].chain, &j[placed]))
			break;
	}
	if (!tap_ok(placed == N, "poll: flood: %u requests of 16 KiB on the ring", placed))
		goto out;
	vuf_kick(q, true);
	ret = vuf_get_vring_base(v, 0, &base);
	used = __atomic_load_n(&q->used->idx, __ATOMIC_ACQUIRE);
	tap_ok(ret == 0 && base == used,
	      "poll: flood: GET_VRING_BASE sent right after filling the ring: answered (%s), base %u = "
	      "used idx %u: every request taken was completed",
	      ret ? strerror(-ret) : "ok", base, used);
	tap_ok(
	      __atomic_load_n(&q->used->flags, __ATOMIC_ACQUIRE) == 0 &&
		      avail_event(q) == (uint16_t)base,
	      "poll: flood: a stopped ring has kicks on (used->flags %u, avail_event %u, base "
	      "%u)",
	      q->used->flags, avail_event(q), base);
	ret = vuf_vring_restart(v, 0, base);
	vuf_kick(q, true);
	while (ret == 0 && done < placed) {
		void *ck;
		uint32_t len;
		int r = vuf_wait(q, v->timeout_ms, &ck, &len);

		if (r != 1) {
			ret = r ? r : -ETIMEDOUT;
			break;
		}
		bad += !vuf_job_complete(v, ck, len);
		done++;
	}
	tap_ok(ret == 0 && done == placed && !bad,
	      "poll: flood: after the restart all %u requests completed (%u), %u wrong (%s)",
	      placed, done, bad, ret ? strerror(-ret) : "ok");
	tap_ok(q->missing_calls == 0, "poll: flood: no lost interrupt (%llu)",
	      (unsigned long long)q->missing_calls);

	/* The worker is now polling an empty ring (for up to its window). */
	t0 = mono_s();
	ret = vuf_get_vring_base(v, 0, &base);
	el = mono_s() - t0;
	if (t->poll_us >= 2000000)
		tap_ok(ret == 0 && el < t->poll_us / 2e6,
		      "poll: a stop ends the polling window (%.3f s of a %.1f s window)", el,
		      t->poll_us / 1e6);
	else
		tap_ok(ret == 0, "poll: stop right after the flood (%.3f s)", el);
	ret = vuf_vring_restart(v, 0, base);
	tap_ok(ret == 0, "poll: ring restarted (%s)", ret ? strerror(-ret) : "ok");

	/* Idle with the ring started: polling must stop by itself. */
	if (t->pid > 0) {
		long hz = sysconf(_SC_CLK_TCK), c0, c1;
		double w0;

		usleep(t->poll_us + 300000);
		c0 = cpu_ticks(t->pid);
		w0 = mono_s();
		sleep(1);
		c1 = cpu_ticks(t->pid);
		el = mono_s() - w0;
		tap_ok(c0 >= 0 && c1 >= 0 && (c1 - c0) < 0.05 * hz * el,
		      "poll: idle guest: the daemon used %ld ticks of %.0f in %.2f s (< 5%%: "
		      "polling stopped)",
		      c1 - c0, hz * el, el);
	}
out:
	if (j) {
		for (unsigned int i = 0; i < N; i++)
			vuf_job_free(&j[i]);
		free(j);
	}
	vuf_free(v);
}

int vt_suite_poll(struct vt *t)
{
	for (unsigned int i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		if (vt_want(t, "kick"))
			case_one_at_a_time(t, &kinds[i]);
		if (vt_want(t, "suppress"))
			case_suppressed(t, &kinds[i]);
	}
	if (vt_want(t, "flood"))
		case_flood_stop_idle(t);
	return 0;
}
