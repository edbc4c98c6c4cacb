// SPDX-License-Identifier: GPL-2.0
/* Where the room passphrase comes from. Never from the command line. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "passphrase.h"
#include "vchat_crypto.h"

static size_t strip_eol(char *s, size_t n)
{
	while (n && (s[n - 1] == '\n' || s[n - 1] == '\r'))
		s[--n] = 0;
	return n;
}

static int pass_from_file(const char *path, char *out)
{
	struct stat st;
	size_t n = 0;
	ssize_t r;
	int fd, ret;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) == 0 && (st.st_mode & 077))
		fprintf(stderr,
			"vchat: warning: key file %s is readable by group or others "
			"(chmod 600 it)\n",
			path);
	while (n < VCHAT_PASS_MAX - 1) {
		r = read(fd, out + n, VCHAT_PASS_MAX - 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			ret = -errno;
			close(fd);
			return ret;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	out[n] = 0;
	n = strip_eol(out, strnlen(out, n));
	return (int)n;
}

static void tty_puts(int fd, const char *s)
{
	if (write(fd, s, strlen(s)) < 0) {
		/* a prompt that cannot be shown is not worth failing for */
	}
}

/*
 * The prompt reads the terminal with read(2) straight into the caller's
 * buffer: stdio would keep its own copy in a buffer it frees unwiped. The
 * terminal stays in canonical mode (line editing works) with echo off.
 * A line longer than the buffer is drained through a scratch buffer that is
 * wiped, and refused.
 */
static int pass_from_tty(char *out)
{
	struct termios old, quiet;
	char drain[64];
	size_t n = 0;
	ssize_t r;
	int fd, echo_off = 0, ret = 0, eol = 0;

	fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return -ENOTTY;
	if (tcgetattr(fd, &old) == 0) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHOE | ECHOK);
		quiet.c_lflag |= ECHONL;
		echo_off = tcsetattr(fd, TCSAFLUSH, &quiet) == 0;
	}
	tty_puts(fd, "vchat passphrase: ");
	while (!eol && n < VCHAT_PASS_MAX - 1) {
		r = read(fd, out + n, VCHAT_PASS_MAX - 1 - n);
		if (r < 0) {
			ret = -errno; /* EINTR too: ^C at the prompt gives up */
			break;
		}
		if (r == 0)
			break;
		n += (size_t)r;
		eol = out[n - 1] == '\n';
	}
	/* Too long: read the rest of the line away so the chat does not get it. */
	while (!ret && !eol && n == VCHAT_PASS_MAX - 1) {
		r = read(fd, drain, sizeof(drain));
		if (r <= 0)
			break;
		eol = drain[r - 1] == '\n';
		ret = -EMSGSIZE;
	}
	vchat_wipe(drain, sizeof(drain));
	if (echo_off)
		tcsetattr(fd, TCSAFLUSH, &old);
	if (!echo_off || !eol)
		tty_puts(fd, "\n");
	close(fd);
	out[n] = 0;
	if (ret) {
		vchat_wipe(out, VCHAT_PASS_MAX);
		return ret;
	}
	return (int)strip_eol(out, n);
}

int vchat_read_passphrase(const char *key_file, char *out, const char **src)
{
	char *env;
	int n;

	if (key_file) {
		*src = "key file";
		n = pass_from_file(key_file, out);
	} else if ((env = getenv(VCHAT_PASS_ENV)) != NULL) {
		*src = "environment (" VCHAT_PASS_ENV ")";
		n = (int)strnlen(env, VCHAT_PASS_MAX - 1);
		memcpy(out, env, (size_t)n);
		out[n] = 0;
		vchat_wipe(env, strlen(env));
		unsetenv(VCHAT_PASS_ENV);
	} else {
		*src = "prompt";
		n = pass_from_tty(out);
	}
	if (n == 0)
		return -ENODATA;
	return n;
}
