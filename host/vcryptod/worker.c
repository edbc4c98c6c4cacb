// SPDX-License-Identifier: MIT
/*
 * A data queue's worker: waits for kicks, serves every available request,
 * publishes used entries and avail_event, and interrupts at most once per
 * batch, when the driver asks for it (virtq.c). A ring the worker cannot
 * trust any more (bad head, broken chain, no room for a status) makes it stop
 * and ask the main thread to drop the connection.
 *
 * Adaptive polling (--poll-us MAX): after serving, the worker keeps watching
 * the avail ring for up to a window of W <= MAX microseconds, with guest
 * kicks turned off, before it turns them on again, looks once more and
 * sleeps on the kick eventfd. The spin is bounded by that deadline and by a
 * stop request (like vhost-net's busyloop_timeout bounded by its endtime and
 * need_resched). W adapts as KVM's halt polling does: when a kick wakes the
 * worker, the idle gap since its last work is measured; a gap <= MAX means a
 * longer window would have caught the request (W doubles, up to MAX), a
 * longer gap means the window was spent for nothing (W halves, down to 0).
 * A guest that goes quiet thus costs one window, then nothing. A spin that
 * gets preempted (the core is wanted elsewhere) stops polling for 10 ms, then
 * twice as long each time it happens again, up to 1 s (see spin()).
 */
#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "journal.h"
#include "vhost_user.h"
#include "worker.h"

#define BATCH 64

void vcd_queue_init(struct vcd_queue *q, struct vcd_dev *d, unsigned int index)
{
	memset(q, 0, sizeof(*q));
	q->dev = d;
	q->index = index;
	q->enabled = true;
	q->kick_fd = q->call_fd = q->err_fd = q->stop_fd = -1;
	pthread_mutex_init(&q->call_lock, NULL);
}

void vcd_queue_set_call(struct vcd_queue *q, int fd)
{
	int old;

	pthread_mutex_lock(&q->call_lock);
	old = q->call_fd;
	q->call_fd = fd;
	pthread_mutex_unlock(&q->call_lock);
	if (old >= 0)
		close(old);
}

void vcd_queue_attach_journal(struct vcd_queue *q)
{
	struct vcd_shared *sh = q->dev->conf.shared;

	q->rec = &sh->rec[q->index];
	q->jr = &sh->j[q->index];
	q->buf.j = q->jr;
	q->buf.jdata = (uint8_t *)sh + VCD_SHARED_HDR_LEN + (size_t)q->index * VCD_JOURNAL_DATA;
}

void vcd_queue_forget(struct vcd_queue *q)
{
	if (!q->rec)
		return;
	__atomic_store_n(&q->rec->valid, 0, __ATOMIC_RELEASE);
	__atomic_store_n(&q->jr->state, VCD_J_IDLE, __ATOMIC_RELEASE);
}

/* After a request's used entry is written: it is complete. */
static void journal_done(struct vcd_queue *q)
{
	if (!q->rec)
		return;
	__atomic_store_n(&q->rec->done, vcd_rec_pack(q->vq.used_idx, q->vq.last_avail),
			 __ATOMIC_RELEASE);
	__atomic_store_n(&q->jr->state, VCD_J_IDLE, __ATOMIC_RELEASE);
	/* A huge result must not keep that much shared memory (as scratch). */
	if (q->jr->result_len > (1u << 20)) {
		madvise(q->buf.jdata, VCD_JOURNAL_DATA, MADV_REMOVE);
		q->jr->result_len = 0;
	}
}

static void notify(struct vcd_queue *q)
{
	if (!vcd_vq_need_signal(&q->vq))
		return;
	pthread_mutex_lock(&q->call_lock);
	if (q->call_fd >= 0 && eventfd_write(q->call_fd, 1) == 0)
		q->st->interrupts++;
	pthread_mutex_unlock(&q->call_lock);
}

/* Requests served (ring drained or stop requested); negative: ring broken. */
static int serve(struct vcd_queue *q)
{
	struct vcd_dev *d = q->dev;
	int total = 0, r;
	bool more;

	do {
		unsigned int n = 0;

		while (n < BATCH && (r = vcd_vq_pop(&q->vq, &d->mem, q->chain)) == 1) {
			int64_t len;

			if (q->rec) {
				q->jr->avail = (uint16_t)(q->vq.last_avail - 1);
				q->jr->head = q->chain->head;
				__atomic_store_n(&q->rec->taken, q->vq.last_avail, __ATOMIC_RELAXED);
			}
			len = vcd_req_process(&d->sessions, &q->buf, q->chain, q->st);
			if (len < 0) {
				r = (int)len;
				break;
			}
			vcd_vq_push(&q->vq, q->chain->head, (uint32_t)len);
			journal_done(q);
			n++;
		}
		if (r < 0) {
			if (d->conf.verbose)
				fprintf(stderr,
					"vcryptod: queue %u: bad request (%s), dropping "
					"connection\n",
					q->index, strerror(-r));
			q->st->dropped++;
			/* Give back what was served before the bad one. */
			vcd_vq_publish(&q->vq);
			if (n)
				notify(q);
			return r;
		}
		/* One interrupt decision per batch: completions are coalesced. */
		more = vcd_vq_publish(&q->vq);
		if (n)
			notify(q);
		total += (int)n;
		more = more || n == BATCH;
		/* A guest that never lets the ring drain must not block a stop. */
	} while (more && !__atomic_load_n(&q->stopping, __ATOMIC_RELAXED));
	return total;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield" ::: "memory");
#endif
}

/*
 * A spin that lost the CPU for this long was preempted: others want the core
 * (the guest's vCPU, QEMU) and, with kicks off, a request that came meanwhile
 * waited for our next time slice instead of waking us. vhost-net's busy loop
 * avoids that with preempt_disable() and need_resched(); we cannot, so we
 * notice it afterwards and stop polling for a while (backing off up to 1 s).
 */
#define PREEMPTED_NS 20000u
#define HOLD_MIN_NS 10000000u
#define HOLD_MAX_NS 1000000000u

enum { SPIN_IDLE, SPIN_WORK, SPIN_PREEMPTED };

/* Watches the avail ring until `until`, a stop request or a preemption. */
static int spin(struct vcd_queue *q, uint64_t until)
{
	uint64_t prev = now_ns(), t;

	for (;;) {
		/* The clock is read every 64 looks (about a microsecond). */
		for (unsigned int i = 0; i < 64; i++) {
			if (vcd_vq_pending(&q->vq))
				return SPIN_WORK;
			cpu_relax();
		}
		t = now_ns();
		if (t - prev > PREEMPTED_NS)
			return SPIN_PREEMPTED;
		if (__atomic_load_n(&q->stopping, __ATOMIC_RELAXED) || t >= until)
			return SPIN_IDLE;
		/*
		 * Offer the CPU every round: on an idle core this returns at
		 * once; on a shared one another task runs, the clock jumps and
		 * the spin ends above.
		 */
		prev = t;
		sched_yield();
	}
}

/* The window after a kick that came `gap` ns after the last work. */
static uint64_t adapt(uint64_t win, uint64_t max, uint64_t gap)
{
	uint64_t step = max / 16 ?: 1;

	if (gap <= max)
		return win ? (win * 2 < max ? win * 2 : max) : step;
	win /= 2;
	return win < step ? 0 : win;
}

/*
 * --cpu-affinity: the worker moves itself (pid 0 = this thread: the only
 * form the seccomp filter allows). A CPU taken away since the daemon checked
 * it at start leaves the worker where it was, with a word in the log.
 */
static void pin(struct vcd_queue *q)
{
	const struct vcd_dev_conf *c = &q->dev->conf;
	unsigned int cpu;
	cpu_set_t set;

	if (!c->ncpu)
		return;
	cpu = c->cpu[q->index % c->ncpu];
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set) < 0)
		fprintf(stderr, "vcryptod: queue %u: cannot run on CPU %u: %s\n", q->index, cpu,
			strerror(errno));
}

static void *worker(void *arg)
{
	struct vcd_queue *q = arg;
	struct pollfd pfd[2] = {
		{.fd = q->kick_fd, .events = POLLIN},
		{.fd = q->stop_fd, .events = POLLIN},
	};
	const uint64_t max = (uint64_t)q->dev->conf.poll_us * 1000;
	uint64_t win = max, last_work = now_ns(), hold_until = 0, backoff = HOLD_MIN_NS;

	pin(q);
	/* A ring a dead worker left with kicks off must not stay so. */
	vcd_vq_set_kicks(&q->vq, true);
	if (win)
		vcd_vq_set_kicks(&q->vq, false);
	for (;;) {
		eventfd_t v;
		int n = serve(q);

		if (n < 0) {
			eventfd_write(q->dev->broken_fd, 1);
			break;
		}
		if (__atomic_load_n(&q->stopping, __ATOMIC_RELAXED))
			break;
		if (n > 0)
			last_work = now_ns();
		if (win && last_work >= hold_until) {
			int r = spin(q, last_work + win);

			if (r == SPIN_WORK) {
				q->st->poll_hits++;
				backoff = backoff / 2 > HOLD_MIN_NS ? backoff / 2 : HOLD_MIN_NS;
				continue;
			}
			if (r == SPIN_PREEMPTED) {
				q->st->poll_preempted++;
				hold_until = now_ns() + backoff;
				backoff = backoff * 2 < HOLD_MAX_NS ? backoff * 2 : HOLD_MAX_NS;
			} else {
				q->st->poll_misses++;
			}
		}
		/* Kicks on, barrier, one more look: no request is left unkicked. */
		if (q->vq.kicks_off && vcd_vq_set_kicks(&q->vq, true)) {
			if (win)
				vcd_vq_set_kicks(&q->vq, false);
			continue;
		}
		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			eventfd_write(q->dev->broken_fd, 1);
			break;
		}
		if (pfd[1].revents)
			break;
		if (pfd[0].revents & POLLIN) {
			if (eventfd_read(q->kick_fd, &v) == 0)
				q->st->kicks += v;
		} else if (pfd[0].revents) {
			eventfd_write(q->dev->broken_fd, 1);
			break;
		}
		if (max) {
			uint64_t t = now_ns();

			win = adapt(win, max, t - last_work);
			if (win && t >= hold_until)
				vcd_vq_set_kicks(&q->vq, false);
		}
	}
	/* A ring handed back (GET_VRING_BASE) must not stay with kicks off. */
	vcd_vq_set_kicks(&q->vq, true);
	return NULL;
}

/*
 * A ring a previous worker served: go on from what it completed. Its last
 * request, if its result was committed, is written again from the journal
 * (never recomputed: an in-place request's input may be overwritten); the
 * requests it had taken beyond that changed no guest byte and are served
 * again from guest memory. What it completed but did not publish is
 * published now, with an interrupt.
 */
static int resume(struct vcd_queue *q)
{
	struct vcd_dev *d = q->dev;
	struct vcd_vq *vq = &q->vq;
	uint32_t done = __atomic_load_n(&q->rec->done, __ATOMIC_ACQUIRE);
	uint16_t used = (uint16_t)(done >> 16), avail = (uint16_t)done;
	uint16_t taken = __atomic_load_n(&q->rec->taken, __ATOMIC_RELAXED);
	unsigned int redone = 0;

	vq->last_avail = avail;
	vq->used_idx = used;
	vq->signalled_used = used;
	if (__atomic_load_n(&q->jr->state, __ATOMIC_ACQUIRE) == VCD_J_WRITING &&
	    q->jr->avail == avail) {
		struct vcd_journal *j = q->jr;
		int r = vcd_vq_pop(vq, &d->mem, q->chain);

		/* The guest may not change a chain it has not got back. */
		if (r != 1 || q->chain->head != j->head || !q->chain->nout ||
		    j->result_len >= q->chain->out_len)
			return r < 0 ? r : -EPROTO;
		vcd_chain_write(q->chain, q->buf.jdata, j->result_len);
		{
			const struct vcd_seg *last = &q->chain->segs[q->chain->nin + q->chain->nout - 1];

			last->p[last->len - 1] = j->status;
		}
		vcd_vq_push(vq, j->head, j->used_len);
		journal_done(q);
		redone = 1;
	}
	__atomic_store_n(&q->jr->state, VCD_J_IDLE, __ATOMIC_RELEASE);
	vcd_vq_publish(vq);
	if (q->started_here) /* stopped and started again by this worker */
		return 1;
	q->rec->restarts++;
	fprintf(stderr,
		"vcryptod: queue %u resumed: used %u avail %u; %u request(s) in flight: %u "
		"result(s) written again from the journal, %u served again from guest memory\n",
		q->index, vq->used_idx, vq->last_avail, (uint16_t)(taken - avail), redone,
		(uint16_t)(taken - avail) - redone);
	return 1;
}

int vcd_queue_try_start(struct vcd_queue *q)
{
	bool resumed = false;
	struct vcd_dev *d = q->dev;
	int ret;

	if (q->running || !q->enabled || q->kick_fd < 0 || !q->have_addr || !q->num ||
	    !d->mem.nregions)
		return 0;
	ret = vcd_vq_setup(&q->vq, &d->mem, q->num, q->addr.desc_user_addr, q->addr.avail_user_addr,
			   q->addr.used_user_addr, q->base);
	if (ret)
		return ret;
	/* Only a frontend that passes the guest's features (VERSION_1) tells. */
	if (d->features & (1ull << VCD_VU_F_VERSION_1))
		q->vq.evidx = d->features & (1ull << VCD_VU_F_RING_EVENT_IDX) ? VCD_EVIDX_ON
									     : VCD_EVIDX_OFF;
	if (!q->chain) {
		q->chain = malloc(sizeof(*q->chain));
		if (!q->chain)
			return -ENOMEM;
	}
	if (q->rec) {
		if (__atomic_load_n(&q->rec->valid, __ATOMIC_ACQUIRE)) {
			ret = resume(q);
			if (ret < 0)
				return ret;
			resumed = true;
		} else {
			q->rec->taken = q->vq.last_avail;
			q->jr->state = VCD_J_IDLE;
			__atomic_store_n(&q->rec->done, vcd_rec_pack(q->vq.used_idx, q->vq.last_avail),
					 __ATOMIC_RELEASE);
			__atomic_store_n(&q->rec->valid, 1, __ATOMIC_RELEASE);
		}
	}
	q->stop_fd = eventfd(0, EFD_CLOEXEC);
	if (q->stop_fd < 0)
		return -errno;
	q->stopping = false;
	ret = pthread_create(&q->thread, NULL, worker, q);
	if (ret) {
		close(q->stop_fd);
		q->stop_fd = -1;
		return -ret;
	}
	q->running = true;
	q->started_here = true;
	if (resumed) {
		/* Completions the dead worker may not have signalled. */
		pthread_mutex_lock(&q->call_lock);
		if (q->call_fd >= 0 && eventfd_write(q->call_fd, 1) == 0)
			q->st->interrupts++;
		pthread_mutex_unlock(&q->call_lock);
	}
	if (d->conf.verbose)
		fprintf(stderr, "vcryptod: queue %u started (size %u, base %u)\n", q->index, q->num,
			q->base);
	return 0;
}

void vcd_queue_stop(struct vcd_queue *q)
{
	if (!q->running)
		return;
	__atomic_store_n(&q->stopping, true, __ATOMIC_RELAXED);
	eventfd_write(q->stop_fd, 1);
	pthread_join(q->thread, NULL);
	close(q->stop_fd);
	q->stop_fd = -1;
	q->running = false;
	q->base = q->vq.last_avail;
}

void vcd_queue_fini(struct vcd_queue *q)
{
	vcd_queue_stop(q);
	if (q->kick_fd >= 0)
		close(q->kick_fd);
	if (q->err_fd >= 0)
		close(q->err_fd);
	q->kick_fd = q->err_fd = -1;
	vcd_queue_set_call(q, -1);
	pthread_mutex_destroy(&q->call_lock);
	vcd_req_buf_free(&q->buf);
	q->buf.j = NULL;
	q->buf.jdata = NULL;
	free(q->chain);
	q->chain = NULL;
}

int vcd_queue_set_kick(struct vcd_queue *q, int fd)
{
	vcd_queue_stop(q);
	if (q->kick_fd >= 0)
		close(q->kick_fd);
	q->kick_fd = fd;
	if (fd < 0) /* polling mode: not offered */
		return -ENOTSUP;
	return vcd_queue_try_start(q);
}

void vcd_queue_set_err(struct vcd_queue *q, int fd)
{
	if (q->err_fd >= 0)
		close(q->err_fd);
	q->err_fd = fd;
}

uint16_t vcd_queue_hand_back(struct vcd_queue *q)
{
	vcd_queue_stop(q);
	if (q->kick_fd >= 0)
		close(q->kick_fd);
	q->kick_fd = -1;
	vcd_queue_forget(q); /* handed back: nothing to resume */
	return q->base;
}
