/* SPDX-License-Identifier: MIT */
/* The front process (front.c) and what main.c shares with it. */
#ifndef VCD_FRONT_H
#define VCD_FRONT_H

#include "crypto_req.h"

struct vcd_front_conf {
	const char *exe; /* the installed binary a worker is executed from */
	const char *engine;
	unsigned long max_sessions, queues, poll_us;
	const char *cpu_affinity; /* --cpu-affinity, passed on to workers; NULL: none */
	int seccomp; /* enum vcd_seccomp_mode, for front and workers */
	int verbose;
	/* crash-loop limit: at most restart_max worker deaths in restart_window_ms */
	unsigned int restart_max, restart_window_ms;
};

/* Serves frontends on the listening socket lfd until SIGTERM/SIGINT; exit status. */
int vcd_front_run(const struct vcd_front_conf *c, int lfd, int sfd, const char *socket_path);

/* Fixed fds of a worker process (set up by the spawner before exec). */
#define VCD_WORKER_SOCK_FD 3
#define VCD_WORKER_SHARED_FD 4

void vcd_print_stats(const struct vcd_qstats *st, unsigned int n);

#endif
