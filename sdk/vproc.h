/* SPDX-License-Identifier: MIT */
/*
 * vcrypto process SDK: how a process loaded by vprocd is written.
 *
 * A process is a static x86-64 ELF whose main() calls vproc_run() with a
 * handler. vprocd delivers each guest message as (msgcode, buffer); the
 * handler fills the reply buffer and returns a status (>= 0 is passed to
 * the guest as is; negative values are errors, e.g. -EINVAL). This mirrors
 * BitVisor's process messages (msgcode + buffers) without its descriptors.
 *
 *   static int handler(struct vproc_msg *m, void *ctx)
 *   {
 *           return vproc_reply_str(m, "Hello, World!");
 *   }
 *   int main(void) { return vproc_run(handler, NULL); }
 *
 * Inside the sandbox the process has only its channel: no files, sockets,
 * processes or exec (see host/vprocd/README.md for the exact allowlist).
 * Memory (malloc), time and computation are available. vproc_run()
 * additionally forbids execve/execveat for the rest of the process's life
 * before the first message is read.
 */
#ifndef VPROC_H
#define VPROC_H

#include <stddef.h>
#include <stdint.h>

/* The channel vprocd gives the process (fd, framing, limits). */
#include <vcrypto/vproc_channel.h>

struct vproc_msg {
	uint32_t code; /* message code chosen by the guest */
	const uint8_t *data; /* request bytes (not NUL terminated) */
	size_t len;
	uint8_t *reply; /* reply buffer, reply_cap bytes */
	size_t reply_cap;
	size_t reply_len; /* set by the handler */
};

typedef int (*vproc_handler_t)(struct vproc_msg *m, void *ctx);

/* Serves messages until vprocd closes the channel; returns the exit status. */
int vproc_run(vproc_handler_t handler, void *ctx);

/* Copies s into the reply; returns 0 or -EMSGSIZE. */
int vproc_reply_str(struct vproc_msg *m, const char *s);
int vproc_reply(struct vproc_msg *m, const void *data, size_t len);

#endif
