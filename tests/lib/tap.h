/* SPDX-License-Identifier: MIT */
/*
 * The one TAP printer of the C tests (host, guest and benchmark self-checks;
 * cmocka unit tests print their own). Sources under tests/ include it as
 * "tap.h"; link tests/lib/tap.c. Output is flushed line by line so a crash
 * loses no result.
 */
#ifndef VCRYPTO_TEST_TAP_H
#define VCRYPTO_TEST_TAP_H

#include <stdarg.h>

/* One result: "ok N - ..." when cond is true, else "not ok N - ...". Returns cond. */
int tap_ok(int cond, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* "ok N - # SKIP ..." */
void tap_skip(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "# ..." */
void tap_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The same with a va_list, for wrappers that add their own context. */
int tap_vok(int cond, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
void tap_vskip(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));
void tap_vnote(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));
/*
 * Without numbers ("ok - ..."): for programs of which a guest case runs
 * several into one TAP stream, where each one's numbers would restart.
 */
void tap_set_numbered(int on);
/* A prefix for every description (e.g. the stack's name), NULL for none. */
void tap_set_prefix(const char *prefix);
/* Results so far, and failures among them. */
int tap_count(void);
int tap_failures(void);
/* The process's exit status: 1 if a result failed, else 0. */
int tap_status(void);

#endif
