/* SPDX-License-Identifier: GPL-2.0 */
#ifndef VCHAT_NET_H
#define VCHAT_NET_H

#include <stddef.h>

/* Listening socket on "ADDR:PORT" ("[v6]:PORT" too). Returns fd or -errno. */
int vchat_listen(const char *addrport, char *bound, size_t boundlen);
/* Blocking TCP connect to host/port. Returns fd or -errno. */
int vchat_connect(const char *host, const char *port);
/* Raises RLIMIT_NOFILE's soft limit to the hard limit. */
void vchat_raise_nofile(void);
int vchat_set_nonblock(int fd);

#endif
