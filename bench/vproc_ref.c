// SPDX-License-Identifier: MIT
/*
 * References for bench/vproc_bench.sh, measured in the same run as vprocd:
 *   vproc_ref spawn IMAGE N   fork + execve of IMAGE (no verification, no
 *                             sandbox), timed until the exec has happened
 *   vproc_ref rtt N BYTES     round trip over a SOCK_SEQPACKET socketpair to
 *                             an echoing child process (what vprocd adds to a
 *                             message is everything beyond this)
 * Prints "NAME n=N p50_us=X p99_us=Y".
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void stats(const char *name, double *v, long n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp);
	printf("%s n=%ld p50_us=%.1f p99_us=%.1f\n", name, n, v[n / 2], v[(n * 99) / 100]);
}

static int spawn(const char *image, long n)
{
	double *v = calloc((size_t)n, sizeof(*v));

	for (long i = 0; v && i < n; i++) {
		int p[2];
		char c;
		double t0 = now_us();
		pid_t pid;

		if (pipe2(p, O_CLOEXEC) < 0)
			return 1;
		pid = fork();
		if (pid == 0) {
			char *const argv[] = {(char *)image, NULL}, *const envp[] = {NULL};

			execve(image, argv, envp);
			c = 1;
			if (write(p[1], &c, 1) < 0)
				_exit(127);
			_exit(127);
		}
		close(p[1]);
		/* EOF when the exec closed the pipe: the new image is in place */
		if (read(p[0], &c, 1) != 0) {
			fprintf(stderr, "vproc_ref: exec of %s failed\n", image);
			return 1;
		}
		v[i] = now_us() - t0;
		close(p[0]);
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	stats("ref-spawn", v, n);
	free(v);
	return 0;
}

static int rtt(long n, size_t bytes)
{
	double *v = calloc((size_t)n, sizeof(*v));
	char *buf = calloc(1, bytes + 4);
	int sv[2];
	pid_t pid;

	if (!v || !buf || socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) < 0)
		return 1;
	pid = fork();
	if (pid == 0) {
		ssize_t k;

		close(sv[0]);
		while ((k = read(sv[1], buf, bytes + 4)) > 0)
			if (write(sv[1], buf, (size_t)k) != k)
				break;
		_exit(0);
	}
	close(sv[1]);
	for (long i = 0; i < n; i++) {
		double t0 = now_us();

		if (write(sv[0], buf, bytes + 4) < 0 || read(sv[0], buf, bytes + 4) < 0)
			return 1;
		v[i] = now_us() - t0;
	}
	close(sv[0]);
	waitpid(pid, NULL, 0);
	stats("ref-rtt", v, n);
	free(v);
	free(buf);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "spawn"))
		return spawn(argv[2], atol(argv[3]) > 0 ? atol(argv[3]) : 1);
	if (argc == 4 && !strcmp(argv[1], "rtt"))
		return rtt(atol(argv[2]) > 0 ? atol(argv[2]) : 1, (size_t)atol(argv[3]));
	fprintf(stderr, "usage: vproc_ref spawn IMAGE N | rtt N BYTES\n");
	return 2;
}
