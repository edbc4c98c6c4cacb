/* SPDX-License-Identifier: MIT */
/*
 * The front process's own state, shared by its three files: front.c (the
 * connection, the worker's life, the loop), front_record.c (what the front
 * remembers of the connection and gives a new worker) and spawner.c (the
 * process that starts workers).
 */
#ifndef VCD_FRONT_PRIV_H
#define VCD_FRONT_PRIV_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "front.h"
#include "journal.h"
#include "vhost_user.h"

#define WORKER_EXIT_BROKEN 3
#define RESTART_MAX_TRACK 64

struct front_queue {
	bool have_num, have_base, have_addr, disabled;
	uint32_t num, base;
	struct vcd_vu_vring_addr addr;
	int kick, call, err;
};

/* A session as the frontend created it (keys included): only in memory. */
struct front_sess {
	uint64_t id;
	uint32_t size;
	uint8_t payload[sizeof(struct vcd_vu_session_1072)];
};

struct front {
	const struct vcd_front_conf *c;
	int lfd, sfd;
	int spawn_fd;
	pid_t spawner;
	int shm_fd;
	struct vcd_shared *sh;
	pid_t wpid;
	int wsock;
	uint64_t deaths[RESTART_MAX_TRACK]; /* ns, a ring */
	unsigned int ndeaths;
	unsigned long replaced;
	bool quit;
	/* the connection */
	int cfd;
	uint64_t features, pfeatures;
	bool have_features, have_pfeatures, owner;
	uint8_t mem[VCD_VU_MAX_PAYLOAD];
	uint32_t mem_size;
	int mem_fds[VCD_VU_MAX_FDS];
	unsigned int mem_nfds;
	struct front_queue q[VCD_MAX_QUEUES];
	struct front_sess **sess;
	uint32_t nsess;
};

static inline uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static inline void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* spawner.c */
int front_start_spawner(struct front *f, char *const argv[]);
int front_spawn_worker(struct front *f);

/* front.c: exchanges one message with the worker. -EPIPE: the worker is gone. */
int front_worker_call(struct front *f, const struct vcd_vu_hdr *h, const void *payload,
		      const int *fds, unsigned int nfds, uint8_t *reply, uint32_t *rlen,
		      struct vcd_proxy_reply *pr);

/* front_record.c */
void front_record(struct front *f, const struct vcd_vu_hdr *h, const uint8_t *p, int *fds,
		  unsigned int nfds, const uint8_t *reply, uint32_t rlen, int raw);
int front_replay(struct front *f, unsigned int *nqueues);
void front_rings_reset(struct front *f);
void front_conn_reset(struct front *f);

#endif
