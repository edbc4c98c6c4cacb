// SPDX-License-Identifier: MIT
/* vprocd logging: to stderr, with levels; what a guest can trigger is rate-limited. */
#include <stdarg.h>
#include <stdio.h>

#include "vprocd.h"

int vpd_verbosity = 1;

void vpd_log(int level, const char *fmt, ...)
{
	va_list ap;

	if (level > vpd_verbosity)
		return;
	va_start(ap, fmt);
	fputs("vprocd: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

/* What a guest can trigger is logged at most 50 lines a second. */
void vpd_log_guest(const char *fmt, ...)
{
	static uint64_t window;
	static unsigned int n, dropped;
	uint64_t now = vpd_now_ms() / 1000;
	va_list ap;

	if (vpd_verbosity < 1)
		return;
	if (now != window) {
		if (dropped)
			fprintf(stderr, "vprocd: (%u guest-triggered lines suppressed)\n", dropped);
		window = now;
		n = dropped = 0;
	}
	if (++n > 50) {
		dropped++;
		return;
	}
	va_start(ap, fmt);
	fputs("vprocd: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}
