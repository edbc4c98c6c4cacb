// SPDX-License-Identifier: MIT
/* vprocd logging: to stderr, with levels; what a guest can trigger is rate-limited. */
#include <stdarg.h>
#include <stdio.h>

#include <ratelimit/ratelimit.h>

#include "vprocd.h"

int vpd_verbosity = 1;

__attribute__((format(printf, 1, 0))) static void vlog(const char *fmt, va_list ap)
{
	fputs("vprocd: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void vpd_log(int level, const char *fmt, ...)
{
	va_list ap;

	if (level > vpd_verbosity)
		return;
	va_start(ap, fmt);
	vlog(fmt, ap);
	va_end(ap);
}

/* What a guest can trigger is logged at most 50 lines a second. */
void vpd_log_guest(const char *fmt, ...)
{
	static struct ratelimit rl;
	unsigned int dropped;
	va_list ap;
	bool pass;

	if (vpd_verbosity < 1)
		return;
	pass = ratelimit_pass(&rl, vpd_now_ms() / 1000, 1, 50, &dropped);
	if (dropped)
		fprintf(stderr, "vprocd: (%u guest-triggered lines suppressed)\n", dropped);
	if (!pass)
		return;
	va_start(ap, fmt);
	vlog(fmt, ap);
	va_end(ap);
}
