/* SPDX-License-Identifier: MIT */
/* One vhost-user connection: message handling; its data queues are worker.h's. */
#ifndef VCD_VHOST_USER_H
#define VCD_VHOST_USER_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include "vcd_vhost_user.h"

#include "crypto_req.h"
#include "guest_mem.h"
#include "session.h"
#include "virtq.h"
#include "worker.h"

#define VCD_MAX_QUEUES 64
#define VCD_VU_MAX_FDS 8
#define VCD_VU_MAX_PAYLOAD 4096

/*
 * Between the front and its worker (front.c): messages the front makes
 * itself carry this flag, which it clears in everything a frontend sends,
 * so only the front can send the private requests below.
 */
#define VCD_VU_FLAG_FRONT (1u << 31)
/* payload: u64 session id, then a CREATE_CRYPTO_SESSION payload */
#define VCD_PRIV_RESTORE_SESSION 0x7f01
/* Worker's answer to every message: this, then the reply payload, if any. */
struct vcd_proxy_reply {
	int32_t ret; /* < 0: the connection must be dropped */
	int32_t raw; /* the handler's own result (before REPLY_ACK): 0 = done */
};

struct vcd_shared;

struct vcd_dev;

struct vcd_dev_conf {
	const struct vcd_engine_ops *ops;
	struct vcd_engine *eng;
	uint32_t max_sessions;
	unsigned int queues;
	int verbose;
	unsigned int poll_us; /* workers' longest polling window; 0: no polling */
	/* --cpu-affinity: queue i's worker runs on cpu[i % ncpu]; ncpu 0: anywhere */
	uint16_t cpu[VCD_MAX_QUEUES];
	unsigned int ncpu;
	struct vcd_qstats *stats; /* [queues], owned by the caller */
	/* Worker of a front (front.c): the front's shared state, mapped by the
	 * caller (VCD_SHARED_LEN(queues) bytes), else NULL. */
	struct vcd_shared *shared;
};

struct vcd_dev {
	struct vcd_dev_conf conf;
	int fd; /* connection; -1 when driven without a socket (fuzzing) */
	int broken_fd; /* eventfd: a worker found the ring broken */
	uint64_t features, protocol_features;
	bool owner;
	int last_raw; /* vcd_dev_handle's result before REPLY_ACK turned it into 0 */
	struct vcd_mem mem;
	struct vcd_sessions sessions;
	struct vcd_queue q[VCD_MAX_QUEUES];
};

int vcd_dev_init(struct vcd_dev *d, const struct vcd_dev_conf *conf, int fd);
/* Stops workers, unmaps memory, closes fds, wipes sessions. Not the socket. */
void vcd_dev_fini(struct vcd_dev *d);

/*
 * Handles one message. fds (nfds of them) are always consumed: kept or
 * closed. Fills reply and *reply_len when a reply is due (*reply_len 0: none).
 * Negative errno: the connection must be dropped.
 */
int vcd_dev_handle(struct vcd_dev *d, const struct vcd_vu_hdr *h, const void *payload, int *fds,
		   unsigned int nfds, void *reply, uint32_t *reply_len);

/* Reads one message from d->fd, handles it and sends the reply. */
int vcd_dev_serve_one(struct vcd_dev *d);
/*
 * Worker side of front.c: reads one message from d->fd (the front) and
 * always answers with a struct vcd_proxy_reply plus the reply payload.
 * Negative errno only when the front went away.
 */
int vcd_dev_serve_proxy(struct vcd_dev *d);

/*
 * Receives one vhost-user message: header, payload (at most
 * VCD_VU_MAX_PAYLOAD) and up to VCD_VU_MAX_FDS fds (close-on-exec). 0, or
 * -ECONNRESET at EOF, or negative errno (nothing kept, fds closed).
 */
int vcd_vu_recv(int fd, struct vcd_vu_hdr *h, uint8_t *payload, int *fds, unsigned int *nfds);
/*
 * Accepts a frontend on the listening socket lfd. Between messages the
 * daemon waits in poll (signals are seen there); within a message a
 * frontend that stalls half-way must not hold it: the rest of the message,
 * and the replies, get 5 s (socket timeouts), then the connection is
 * dropped. The connection's fd, or -EAGAIN when there was none to take
 * after all (try again), or another negative errno.
 */
int vcd_vu_accept(int lfd);
/* Sends header + payload (+ fds); 0 or negative errno. */
int vcd_vu_send(int fd, const struct vcd_vu_hdr *h, const void *payload, const int *fds,
		unsigned int nfds);

#endif
