// SPDX-License-Identifier: MIT
/*
 * Sandbox probe: a process that tries, on request, what a loaded process
 * must not be able to do. Used by the vproc tests; never sign it with a
 * production key. Each message code is one attempt:
 *   0 echo   1 open /etc/passwd   2 socket   3 execve /bin/sh   4 fork
 *   5 write to fd 1   6 allocate 4 GiB   7 loop forever   8 segfault
 *   9 exit(7)   10 execveat of fd 4 (where the image was)   11 malformed reply
 *   12 a 32-bit system call (int 0x80)   13 an x32 system call
 * If an attempt succeeds the process says so in its reply ("ESCAPED ...").
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include "vproc.h"

static int probe(struct vproc_msg *m, void *ctx)
{
	static char *const argv[] = {"sh", NULL};
	volatile int *null = NULL;
	volatile unsigned long spin = 0;
	char *p;
	int fd;

	switch (m->code) {
	case 0:
		return vproc_reply(m, m->data, m->len);
	case 1:
		fd = open("/etc/passwd", O_RDONLY);
		if (fd < 0)
			return -errno;
		return vproc_reply_str(m, "ESCAPED: opened /etc/passwd");
	case 2:
		fd = socket(AF_INET, SOCK_STREAM, 0);
		if (fd < 0)
			return -errno;
		return vproc_reply_str(m, "ESCAPED: socket");
	case 3:
		execve("/bin/sh", argv, NULL);
		return -errno;
	case 4:
		if (fork() == 0)
			_exit(0);
		return vproc_reply_str(m, "ESCAPED: fork");
	case 5:
		if (write(1, "x", 1) == 1)
			return vproc_reply_str(m, "ESCAPED: wrote to fd 1");
		return -errno;
	case 6:
		p = malloc(4ul << 30);
		if (!p)
			return -ENOMEM;
		memset(p, 1, 4ul << 30);
		return vproc_reply_str(m, "ESCAPED: allocated 4 GiB");
	case 7:
		for (;;)
			spin++;
	case 8:
		return *null;
	case 9:
		exit(7);
	case 10:
		syscall(SYS_execveat, 4, "", argv, NULL, AT_EMPTY_PATH);
		return -errno;
	case 12: {
		long r = 20; /* getpid on i386 */

		__asm__ volatile("int $0x80" : "+a"(r) : : "memory");
		return vproc_reply_str(m, "ESCAPED: int 0x80");
	}
	case 13:
		if (syscall(0x40000000 | SYS_getpid) >= 0)
			return vproc_reply_str(m, "ESCAPED: x32 call");
		return -errno;
	case 11:
		if (write(VPROC_CHANNEL_FD, "xy", 2) != 2)
			return -errno;
		return 0;
	}
	return -EINVAL;
}

int main(void)
{
	return vproc_run(probe, NULL);
}
