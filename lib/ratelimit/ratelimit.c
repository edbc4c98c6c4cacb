// SPDX-License-Identifier: MIT
/* At most `burst` events per period. */
#include "ratelimit.h"

bool ratelimit_pass(struct ratelimit *rl, uint64_t now, uint64_t period, unsigned int burst,
		    unsigned int *dropped_before)
{
	*dropped_before = 0;
	if (now - rl->start >= period) {
		*dropped_before = rl->dropped;
		rl->start = now;
		rl->n = rl->dropped = 0;
	}
	if (++rl->n > burst) {
		rl->dropped++;
		return false;
	}
	return true;
}
