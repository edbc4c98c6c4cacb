// SPDX-License-Identifier: MIT
/* Whole reads and writes on a blocking fd. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <unistd.h>

#include "fdio.h"

static int full(int fd, uint8_t *p, size_t len, bool out)
{
	while (len) {
		ssize_t n = out ? write(fd, p, len) : read(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int fdio_read_full(int fd, void *buf, size_t len)
{
	return full(fd, buf, len, false);
}

int fdio_write_full(int fd, const void *buf, size_t len)
{
	/* full() only reads from buf when out is set */
	return full(fd, (uint8_t *)buf, len, true);
}
