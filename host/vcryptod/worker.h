/* SPDX-License-Identifier: MIT */
/*
 * A data queue and its worker thread (one per started queue): the ring, its
 * fds (kick, call, err: the worker owns them, whoever hands them in), the
 * counters, the journal in split mode.
 */
#ifndef VCD_WORKER_H
#define VCD_WORKER_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "crypto_req.h"
#include "vcd_vhost_user.h"
#include "virtq.h"

struct vcd_dev;
struct vcd_ring_rec;
struct vcd_journal;

/* A data queue; index i = vhost-user vring i = virtio data queue i. */
struct vcd_queue {
	struct vcd_dev *dev;
	unsigned int index;
	unsigned int num;
	uint16_t base;
	struct vcd_vu_vring_addr addr;
	bool have_addr;
	bool enabled;
	int kick_fd, call_fd, err_fd;
	pthread_mutex_t call_lock; /* call_fd may change while running */
	/* worker */
	bool running;
	bool stopping; /* set by the main thread, read by the worker */
	pthread_t thread;
	int stop_fd; /* eventfd: ask the worker to stop */
	struct vcd_vq vq;
	struct vcd_chain *chain;
	struct vcd_req_buf buf;
	struct vcd_qstats *st;
	/* split mode (journal.h), else NULL */
	struct vcd_ring_rec *rec;
	struct vcd_journal *jr;
	bool started_here; /* this process has run the queue before */
};


void vcd_queue_init(struct vcd_queue *q, struct vcd_dev *d, unsigned int index);
/* Starts the worker if the queue has memory, size, addresses and a kick fd. */
int vcd_queue_try_start(struct vcd_queue *q);
/* Stops and joins the worker (if running); keeps the ring position in base. */
void vcd_queue_stop(struct vcd_queue *q);
/* Stops the worker and closes every fd of the queue. */
void vcd_queue_fini(struct vcd_queue *q);
/*
 * Split mode: points the queue at its ring record and journal in the
 * front's shared state (conf.shared), so a later worker can resume it.
 */
void vcd_queue_attach_journal(struct vcd_queue *q);
/* The ring was handed back (GET_VRING_BASE, RESET_OWNER): nothing to resume. */
void vcd_queue_forget(struct vcd_queue *q);
/* Replaces the call fd (takes ownership of fd, -1 for none). */
void vcd_queue_set_call(struct vcd_queue *q, int fd);
/* Replaces the kick fd (takes ownership) and starts the worker if it can;
 * -1 (polling mode, not offered) gives -ENOTSUP. */
int vcd_queue_set_kick(struct vcd_queue *q, int fd);
/* Replaces the err fd (takes ownership of fd, -1 for none). */
void vcd_queue_set_err(struct vcd_queue *q, int fd);
/* GET_VRING_BASE: stops the ring and drops its kick fd (kick again to
 * restart); returns where the ring stands. */
uint16_t vcd_queue_hand_back(struct vcd_queue *q);

#endif /* VCD_WORKER_H */
