// SPDX-License-Identifier: MIT
#include <stdarg.h>
#include <stdio.h>

#include "tap.h"

static int tap_n, tap_failed;
static const char *tap_prefix = "";

static void tap_line(const char *head, const char *fmt, va_list ap)
{
	printf("%s %d - %s", head, ++tap_n, tap_prefix);
	vprintf(fmt, ap);
	putchar('\n');
	fflush(stdout);
}

int tap_ok(int cond, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	tap_line(cond ? "ok" : "not ok", fmt, ap);
	va_end(ap);
	if (!cond)
		tap_failed++;
	return cond;
}

void tap_skip(const char *fmt, ...)
{
	va_list ap;

	printf("ok %d - %s# SKIP ", ++tap_n, tap_prefix);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

void tap_note(const char *fmt, ...)
{
	va_list ap;

	fputs("# ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

void tap_set_prefix(const char *prefix)
{
	tap_prefix = prefix ? prefix : "";
}

int tap_count(void)
{
	return tap_n;
}

int tap_failures(void)
{
	return tap_failed;
}

int tap_status(void)
{
	return tap_failed ? 1 : 0;
}
