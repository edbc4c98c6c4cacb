// SPDX-License-Identifier: MIT
#include <stdarg.h>
#include <stdio.h>

#include "tap.h"

static int tap_n, tap_failed, tap_numbered = 1;
static const char *tap_prefix = "";

static void tap_head(const char *word)
{
	tap_n++;
	if (tap_numbered)
		printf("%s %d - %s", word, tap_n, tap_prefix);
	else
		printf("%s - %s", word, tap_prefix);
}

static void tap_end(void)
{
	putchar('\n');
	fflush(stdout);
}

int tap_vok(int cond, const char *fmt, va_list ap)
{
	tap_head(cond ? "ok" : "not ok");
	vprintf(fmt, ap);
	tap_end();
	if (!cond)
		tap_failed++;
	return cond;
}

int tap_ok(int cond, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	tap_vok(cond, fmt, ap);
	va_end(ap);
	return cond;
}

void tap_vskip(const char *fmt, va_list ap)
{
	tap_head("ok");
	fputs("# SKIP ", stdout);
	vprintf(fmt, ap);
	tap_end();
}

void tap_skip(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	tap_vskip(fmt, ap);
	va_end(ap);
}

void tap_vnote(const char *fmt, va_list ap)
{
	fputs("# ", stdout);
	vprintf(fmt, ap);
	tap_end();
}

void tap_note(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	tap_vnote(fmt, ap);
	va_end(ap);
}

void tap_set_numbered(int on)
{
	tap_numbered = on;
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
