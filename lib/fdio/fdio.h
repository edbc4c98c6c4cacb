/* SPDX-License-Identifier: MIT */
/*
 * Whole reads and writes on a blocking fd, retried after EINTR and short
 * transfers. A library (lib/fdio) linked by libvmmcall (guest/vloader),
 * vcryptod's AF_ALG engine, vsign, devcrypto and vprocd.
 */
#ifndef FDIO_H
#define FDIO_H

#include <stddef.h>
#include <sys/types.h>

/* Reads exactly len bytes. 0, -errno, or -EIO at end of file. */
int fdio_read_full(int fd, void *buf, size_t len);
/* Writes all len bytes. 0, -errno, or -EIO when write() returns 0. */
int fdio_write_full(int fd, const void *buf, size_t len);
/* Writes all len bytes at offset off (pwrite: the file position stays). */
int fdio_pwrite_full(int fd, const void *buf, size_t len, off_t off);

#endif
