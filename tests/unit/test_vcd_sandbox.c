// SPDX-License-Identifier: MIT
/* vcryptod's seccomp allowlist: what it allows, refuses and kills. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <pthread.h>
#include <sched.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>
#include <cmocka.h>
#include <crypto/cryptodev.h>
#include <linux/if_alg.h>

#include "sandbox.h"

/* Runs fn in a child under the filter; returns its wait status. */
static int in_child(const char *engine, int (*fn)(void))
{
	int st = 0;
	pid_t p = fork();

	if (p == 0) {
		const char *why;
		int r = vcd_seccomp_install(VCD_SECCOMP_KILL, engine, &why);

		if (r == 1)
			_exit(77); /* skipped (sanitizer/valgrind) */
		if (r < 0)
			_exit(78);
		_exit(fn());
	}
	waitpid(p, &st, 0);
	return st;
}

static int do_allowed(void)
{
	int fd = eventfd(0, 0);
	void *m = malloc(1 << 20); /* mmap */

	if (fd < 0 || !m || write(fd, &(uint64_t){1}, 8) != 8)
		return 1;
	free(m);
	close(fd);
	return 0;
}

static int test_sock = -1; /* made before the filter */

static int do_timeouts(void)
{
	struct timeval t = {.tv_sec = 5};

	return setsockopt(test_sock, SOL_SOCKET, SO_RCVTIMEO, &t, sizeof(t)) ||
	       setsockopt(test_sock, SOL_SOCKET, SO_SNDTIMEO, &t, sizeof(t));
}

static int do_other_sockopt(void)
{
	int v = 4096;

	setsockopt(test_sock, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v));
	return 0; /* not reached */
}

static int do_open(void)
{
	/* files are closed to the daemon: EACCES, not death */
	return open("/etc/hostname", O_RDONLY) < 0 && errno == EACCES ? 0 : 1;
}

static int do_inet(void)
{
	socket(AF_INET, SOCK_STREAM, 0);
	return 0; /* not reached */
}

static int do_alg(void)
{
	int fd = socket(AF_ALG, SOCK_SEQPACKET, 0);

	/* allowed for the afalg engine; the kernel may still lack AF_ALG */
	return fd >= 0 || errno == EAFNOSUPPORT ? 0 : 1;
}

static int do_exec(void)
{
	execl("/bin/true", "true", (char *)NULL);
	return 0;
}

#ifndef SOL_ALG
#define SOL_ALG 279
#endif

/* Forbidden calls: each should never return (SIGSYS). */
static int do_unlink(void)
{
	unlink("/nonexistent/vcryptod-sandbox-test");
	return 0;
}

static int do_ioctl_stdin(void)
{
	struct termios t;

	ioctl(0, TCGETS, &t);
	return 0;
}

static int do_cdev_on_stdout(void)
{
	struct crypt_op op = {0};

	ioctl(1, CIOCCRYPT, &op);
	return 0;
}

static int do_other_ioctl(void)
{
	int fd = eventfd(0, 0), n;

	ioctl(fd, FIONREAD, &n);
	return 0;
}

static int do_fork(void)
{
	pid_t p = fork();

	if (p == 0)
		_exit(0);
	return 0;
}

static int do_clone_vfork(void)
{
	/* a process, vfork-style (without CLONE_VM: where allowed, it is harmless) */
	if (syscall(SYS_clone, CLONE_VFORK | SIGCHLD, 0, NULL, NULL, 0) == 0)
		_exit(0);
	return 0;
}

static int do_mmap_exec(void)
{
	mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return 0;
}

static int do_mprotect_exec(void)
{
	void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return 1;
	mprotect(p, 4096, PROT_READ | PROT_EXEC);
	return 0;
}

static int do_alg_stream(void)
{
	socket(AF_ALG, SOCK_STREAM, 0);
	return 0;
}

static int do_alg_proto(void)
{
	socket(AF_ALG, SOCK_SEQPACKET, 1);
	return 0;
}

static int do_bind_unix(void)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};

	bind(test_sock, (struct sockaddr *)&sa, sizeof(sa));
	return 0;
}

static int do_alg_other_opt(void)
{
	int v = 16;

	setsockopt(test_sock, SOL_ALG, ALG_SET_AEAD_AUTHSIZE, NULL, (socklen_t)v);
	return 0;
}

/* Allowed calls: exit 0. */
static void *thread_fn(void *arg)
{
	return arg;
}

static int do_thread(void)
{
	pthread_t t;
	void *r = NULL;

	/* clone3 says ENOSYS, glibc falls back to clone with the thread flags */
	if (pthread_create(&t, NULL, thread_fn, (void *)7) || pthread_join(t, &r))
		return 1;
	return r == (void *)7 ? 0 : 1;
}

static int do_clone3(void)
{
	uint64_t args[11] = {0};

	return syscall(SYS_clone3, args, sizeof(args)) < 0 && errno == ENOSYS ? 0 : 1;
}

static int do_cdev_cmds(void)
{
	/* the engine's commands on an fd above 2: passed to the kernel (ENOTTY) */
	int fd = eventfd(0, 0);
	struct session_op s = {0};
	struct crypt_op op = {0};
	uint32_t ses = 0;

	if (fd <= 2)
		return 1;
	ioctl(fd, CIOCGSESSION, &s);
	ioctl(fd, CIOCCRYPT, &op);
	ioctl(fd, CIOCFSESSION, &ses);
	return 0;
}

static int do_alg_engine(void)
{
	/* what engine_afalg.c does: socket, bind, key, accept */
	struct sockaddr_alg sa = {
		.salg_family = AF_ALG, .salg_type = "hash", .salg_name = "hmac(sha256)"};
	static const uint8_t key[16];
	int fd = socket(AF_ALG, SOCK_SEQPACKET | SOCK_CLOEXEC, 0), op;

	if (fd < 0)
		return errno == EAFNOSUPPORT ? 0 : 1; /* kernel without AF_ALG */
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return errno == ENOENT ? 0 : 1; /* no hmac(sha256) in this kernel */
	if (setsockopt(fd, SOL_ALG, ALG_SET_KEY, key, sizeof(key)) < 0)
		return 1;
	op = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
	return op >= 0 ? 0 : 1;
}

#define KILLED(st) (WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS)
#define EXIT0(st) (WIFEXITED(st) && WEXITSTATUS(st) == 0)

static void narrowed_arguments(void **state)
{
	static const struct {
		const char *engine, *what;
		int (*fn)(void);
		bool killed;
	} cases[] = {
		{"openssl", "unlink", do_unlink, true},
		{"afalg", "unlink", do_unlink, true},
		{"openssl", "ioctl(0, TCGETS)", do_ioctl_stdin, true},
		{"cryptodev", "ioctl(0, TCGETS)", do_ioctl_stdin, true},
		{"cryptodev", "ioctl(1, CIOCCRYPT)", do_cdev_on_stdout, true},
		{"cryptodev", "ioctl(eventfd, FIONREAD)", do_other_ioctl, true},
		{"cryptodev", "CIOCGSESSION/CIOCCRYPT/CIOCFSESSION on fd > 2", do_cdev_cmds, false},
		{"openssl", "CIOCGSESSION/CIOCCRYPT/CIOCFSESSION on fd > 2", do_cdev_cmds, true},
		{"openssl", "fork", do_fork, true},
		{"openssl", "clone(CLONE_VFORK|SIGCHLD)", do_clone_vfork, true},
		{"openssl", "pthread_create", do_thread, false},
		{"openssl", "clone3 says ENOSYS", do_clone3, false},
		{"openssl", "mmap(PROT_EXEC)", do_mmap_exec, true},
		{"openssl", "mprotect(PROT_EXEC)", do_mprotect_exec, true},
		{"afalg", "socket(AF_ALG, SOCK_STREAM)", do_alg_stream, true},
		{"afalg", "socket(AF_ALG, SOCK_SEQPACKET, 1)", do_alg_proto, true},
		{"afalg", "bind(sockaddr_un)", do_bind_unix, true},
		{"afalg", "setsockopt(SOL_ALG, ALG_SET_AEAD_AUTHSIZE)", do_alg_other_opt, true},
		{"afalg", "setsockopt(SOL_SOCKET, SO_RCVBUF)", do_other_sockopt, true},
		{"afalg", "socket/bind/ALG_SET_KEY/accept of the engine", do_alg_engine, false},
		{"cryptodev", "mmap(PROT_EXEC)", do_mmap_exec, true},
	};
	unsigned int bad = 0;

	test_sock = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(test_sock >= 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int st = in_child(cases[i].engine, cases[i].fn);
		bool ok = cases[i].killed ? KILLED(st) : EXIT0(st);

		print_message("# %s engine, %s: %s (%s)\n", cases[i].engine, cases[i].what,
			      WIFSIGNALED(st) ? "killed" : "returned",
			      ok ? "as it should" : "WRONG");
		bad += !ok;
	}
	close(test_sock);
	assert_int_equal(bad, 0);
}

static void allowlist(void **state)
{
	int st = in_child("openssl", do_allowed);

	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	st = in_child("openssl", do_open);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	/* the connection's I/O timeouts, and no other socket option */
	test_sock = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(test_sock >= 0);
	st = in_child("openssl", do_timeouts);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	st = in_child("openssl", do_other_sockopt);
	assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS);
	close(test_sock);
}

static void refused_calls_kill(void **state)
{
	int st = in_child("openssl", do_inet);

	assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS);
	st = in_child("openssl", do_exec);
	assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS);
	/* AF_ALG sockets only for the afalg engine */
	st = in_child("openssl", do_alg);
	assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS);
	st = in_child("afalg", do_alg);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	st = in_child("afalg", do_inet);
	assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS);
}

/* The front's filter (front.c): the same probes, under it. */
static int in_front(int (*fn)(void))
{
	int st = 0;
	pid_t p = fork();

	if (p == 0) {
		const char *why;
		int r = vcd_seccomp_install_front(VCD_SECCOMP_KILL, &why);

		if (r == 1)
			_exit(77);
		if (r < 0)
			_exit(78);
		_exit(fn());
	}
	waitpid(p, &st, 0);
	return st;
}

static int do_front_allowed(void)
{
	int sv[2];
	void *m = malloc(1 << 20);

	if (!m || socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0 ||
	    write(sv[0], "x", 1) != 1 || kill(getpid(), 0) < 0 || waitpid(-1, NULL, WNOHANG) != -1)
		return 1;
	free(m);
	close(sv[0]);
	close(sv[1]);
	return 0;
}

static int do_eventfd(void)
{
	return eventfd(0, 0) >= 0 ? 0 : 0;
}

static void front_filter(void **state)
{
	int st = in_front(do_front_allowed);

	if (WIFEXITED(st) && WEXITSTATUS(st) == 77)
		skip();
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	st = in_front(do_open);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	/* what a worker needs, the front may not do */
	st = in_front(do_fork);
	assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS);
	st = in_front(do_thread);
	assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS);
	st = in_front(do_exec);
	assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS);
	st = in_front(do_eventfd);
	assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS);
	st = in_front(do_inet);
	assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS);
	st = in_front(do_alg);
	assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS);
}

static void modes(void **state)
{
	const char *why;

	assert_int_equal(vcd_seccomp_parse("kill"), VCD_SECCOMP_KILL);
	assert_int_equal(vcd_seccomp_parse("log"), VCD_SECCOMP_LOG);
	assert_int_equal(vcd_seccomp_parse("none"), VCD_SECCOMP_NONE);
	assert_int_equal(vcd_seccomp_parse("off"), -1);
	assert_int_equal(vcd_seccomp_install(VCD_SECCOMP_NONE, "openssl", &why), 1);
	assert_non_null(why);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(allowlist),
		cmocka_unit_test(refused_calls_kill),
		cmocka_unit_test(narrowed_arguments),
		cmocka_unit_test(modes),
		cmocka_unit_test(front_filter),
	};

	int st = in_child("openssl", do_allowed);

	/* cmocka 1.1's TAP says "not ok" for skips: report this one ourselves */
	if (WIFEXITED(st) && WEXITSTATUS(st) == 77) {
		printf("1..1\nok 1 - # SKIP the daemon installs no filter under sanitizers or "
		       "valgrind\n");
		return 0;
	}
	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests_name("vcryptod seccomp", tests, NULL, NULL);
}
