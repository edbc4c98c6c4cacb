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
			"vchat: warning: key file %s is readable by group or others (chmod 600 "
			"it)\n",
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

static int pass_from_tty(char *out)
{
	struct termios old, quiet;
	FILE *tty;
	int echo_off = 0;
	size_t n;

	tty = fopen("/dev/tty", "r+");
	if (!tty)
		return -ENOTTY;
	if (tcgetattr(fileno(tty), &old) == 0) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		echo_off = tcsetattr(fileno(tty), TCSAFLUSH, &quiet) == 0;
	}
	fputs("vchat passphrase: ", tty);
	fflush(tty);
	if (!fgets(out, VCHAT_PASS_MAX, tty))
		out[0] = 0;
	if (echo_off)
		tcsetattr(fileno(tty), TCSAFLUSH, &old);
	fputc('\n', tty);
	fclose(tty);
	n = strip_eol(out, strlen(out));
	return (int)n;
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
