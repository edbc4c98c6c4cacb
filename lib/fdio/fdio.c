// SPDX-License-Identifier: MIT
/* Whole reads and writes on a blocking fd. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <unistd.h>

#include "fdio.h"

/* off < 0: read()/write() at the file position; else pwrite() at off on */
static int full(int fd, uint8_t *p, size_t len, bool out, off_t off)
{
	while (len) {
		ssize_t n = !out ? read(fd, p, len) : off < 0 ? write(fd, p, len)
							       : pwrite(fd, p, len, off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		p += n;
		len -= (size_t)n;
		if (off >= 0)
			off += n;
	}
	return 0;
}

int fdio_read_full(int fd, void *buf, size_t len)
{
	return full(fd, buf, len, false, -1);
}

int fdio_write_full(int fd, const void *buf, size_t len)
{
	/* full() only reads from buf when out is set */
	return full(fd, (uint8_t *)buf, len, true, -1);
}

int fdio_pwrite_full(int fd, const void *buf, size_t len, off_t off)
{
	if (off < 0)
		return -EINVAL;
	return full(fd, (uint8_t *)buf, len, true, off);
}
