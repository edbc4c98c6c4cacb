/* SPDX-License-Identifier: MIT */
/* Data-queue worker threads: one per started queue. */
#ifndef VCD_QUEUE_H
#define VCD_QUEUE_H

#include "vhost_user.h"

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

#endif
