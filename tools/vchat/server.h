/* SPDX-License-Identifier: GPL-2.0 */
#ifndef VCHAT_SERVER_H
#define VCHAT_SERVER_H

#include <stddef.h>

struct vchat_server_opts {
	const char *listen; /* ADDR:PORT, port 0 = any */
	size_t max_queue; /* per-client output backlog, bytes */
	unsigned int frame_timeout_ms; /* incomplete frame lifetime */
	unsigned int hello_timeout_ms; /* connect to HELLO */
	unsigned int max_clients;
	int verbose;
};

/* Runs the relay until SIGINT/SIGTERM. Returns 0 or a negative errno. */
int vchat_server_run(const struct vchat_server_opts *o);

#endif
