/* SPDX-License-Identifier: MIT */
/*
 * At most `burst` events per period, for log lines a peer can trigger. A
 * library (lib/ratelimit) linked by vprocd and the vchat server.
 */
#ifndef RATELIMIT_H
#define RATELIMIT_H

#include <stdbool.h>
#include <stdint.h>

/* Zeroed to start. Not locked: one per thread. */
struct ratelimit {
	uint64_t start; /* when the current period began */
	unsigned int n, dropped;
};

/*
 * true: this event may pass. now and period are in the caller's unit (a
 * period begins when now - start >= period). When a new period begins,
 * *dropped_before is set to how many events the last one dropped, else 0:
 * the caller says so once.
 */
bool ratelimit_pass(struct ratelimit *rl, uint64_t now, uint64_t period, unsigned int burst,
		    unsigned int *dropped_before);

#endif
