// SPDX-License-Identifier: MIT
/*
 * A data queue's worker: waits for kicks, serves every available request,
 * publishes used entries and avail_event, interrupts once per batch. A ring
 * the worker cannot trust any more (bad head, broken chain, no room for a
 * status) makes it stop and ask the main thread to drop the connection.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "queue.h"

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

static void notify(struct vcd_queue *q)
{
	pthread_mutex_lock(&q->call_lock);
	if (q->call_fd >= 0)
		eventfd_write(q->call_fd, 1);
	pthread_mutex_unlock(&q->call_lock);
}

/* 0: ring drained; negative: ring broken. */
static int serve(struct vcd_queue *q)
{
	struct vcd_dev *d = q->dev;
	bool more;
	int r;

	do {
		unsigned int n = 0;

		while (n < BATCH && (r = vcd_vq_pop(&q->vq, &d->mem, q->chain)) == 1) {
			int64_t len = vcd_req_process(&d->sessions, &q->buf, q->chain, q->st);

			if (len < 0) {
				r = (int)len;
				break;
			}
			vcd_vq_push(&q->vq, q->chain->head, (uint32_t)len);
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
		more = vcd_vq_publish(&q->vq);
		if (n)
			notify(q);
		more = more || n == BATCH;
		/* A guest that never lets the ring drain must not block a stop. */
	} while (more && !__atomic_load_n(&q->stopping, __ATOMIC_RELAXED));
	return 0;
}

static void *worker(void *arg)
{
	struct vcd_queue *q = arg;
	struct pollfd pfd[2] = {
		{.fd = q->kick_fd, .events = POLLIN},
		{.fd = q->stop_fd, .events = POLLIN},
	};

	for (;;) {
		eventfd_t v;

		if (serve(q) < 0) {
			eventfd_write(q->dev->broken_fd, 1);
			break;
		}
		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			eventfd_write(q->dev->broken_fd, 1);
			break;
		}
		if (pfd[1].revents)
			break;
		if (pfd[0].revents & POLLIN)
			eventfd_read(q->kick_fd, &v);
		else if (pfd[0].revents) {
			eventfd_write(q->dev->broken_fd, 1);
			break;
		}
	}
	return NULL;
}

int vcd_queue_try_start(struct vcd_queue *q)
{
	struct vcd_dev *d = q->dev;
	int ret;

	if (q->running || !q->enabled || q->kick_fd < 0 || !q->have_addr || !q->num ||
	    !d->mem.nregions)
		return 0;
	ret = vcd_vq_setup(&q->vq, &d->mem, q->num, q->addr.desc_user_addr, q->addr.avail_user_addr,
			   q->addr.used_user_addr, q->base);
	if (ret)
		return ret;
	if (!q->chain) {
		q->chain = malloc(sizeof(*q->chain));
		if (!q->chain)
			return -ENOMEM;
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
	free(q->chain);
	q->chain = NULL;
}
