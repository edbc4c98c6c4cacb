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
/* Replaces the call fd (takes ownership of fd, -1 for none). */
void vcd_queue_set_call(struct vcd_queue *q, int fd);

#endif
