// SPDX-License-Identifier: MIT
/*
 * Raw sandbox probe: like probe, but it skips the SDK runtime (no
 * vproc_run(), so no second seccomp filter) and speaks the channel protocol
 * itself, as a hostile signed image could. It tries to leave the sealed
 * image and to see the host's files. Used by tests/host/vproc_harden.t;
 * never sign it with a production key. Message codes:
 *   0 echo
 *   1 execveat(4, PATH, ..., AT_EMPTY_PATH), PATH = the message data (the
 *     one form vprocd's pre-exec filter lets through; an absolute path
 *     ignores the fd)
 *   2 execveat(AT_FDCWD, PATH, ..., 0)     3 execve(PATH)
 *   4 open("/etc/passwd")
 * Anything that gets a second program running makes it answer
 * "ESCAPED: ..." (argv[0] says it was exec'd by us); a refused call answers
 * with -errno.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
#include "vproc.h"

#define ESC_ARGV0 "rawprobe-exec"

static unsigned char in[4 + VPROC_MAX_MSG + 1], out[4 + VPROC_MAX_MSG];

static void put32(unsigned char *p, unsigned int v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
	p[2] = (unsigned char)(v >> 16);
	p[3] = (unsigned char)(v >> 24);
}

static int reply(int status, const char *s)
{
	size_t n = s ? strlen(s) : 0;

	put32(out, (unsigned int)status);
	if (n)
		memcpy(out + 4, s, n);
	return write(VPROC_CHANNEL_FD, out, 4 + n) == (ssize_t)(4 + n) ? 0 : -1;
}

static int attempt(unsigned int code, char *path)
{
	char *const argv[] = {ESC_ARGV0, NULL};
	char *const envp[] = {NULL};

	switch (code) {
	case 1:
		syscall(SYS_execveat, 4, path, argv, envp, AT_EMPTY_PATH);
		return -errno;
	case 2:
		syscall(SYS_execveat, AT_FDCWD, path, argv, envp, 0);
		return -errno;
	case 3:
		execve(path, argv, envp);
		return -errno;
	case 4:
		if (open("/etc/passwd", O_RDONLY) >= 0)
			return 1;
		return -errno;
	}
	return -EINVAL;
}

int main(int argc, char **argv)
{
	if (argc > 0 && !strcmp(argv[0], ESC_ARGV0)) {
		/* we are a second exec: the message that started it waits for us */
		reply(0, "ESCAPED: a second program was exec'd in the sandbox");
		return 0;
	}
	for (;;) {
		ssize_t n = read(VPROC_CHANNEL_FD, in, sizeof(in) - 1);
		unsigned int code;
		int st;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 4)
			return 0;
		code = in[0] | in[1] << 8 | in[2] << 16 | (unsigned int)in[3] << 24;
		in[n] = 0;
		if (code == 0) {
			put32(out, 0);
			memcpy(out + 4, in + 4, (size_t)n - 4);
			if (write(VPROC_CHANNEL_FD, out, (size_t)n) != n)
				return 1;
			continue;
		}
		st = attempt(code, (char *)in + 4);
		if (reply(st, st == 1 ? "ESCAPED: opened /etc/passwd" : NULL))
			return 1;
	}
}
