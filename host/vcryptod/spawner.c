// SPDX-License-Identifier: MIT
/*
 * The spawner: a process forked before the front's seccomp filter, which
 * executes the worker binary as a child of the front (CLONE_PARENT). The
 * front's own filter allows no process creation, no exec and no file
 * opening (filters are inherited, and a worker needs those to start), so
 * the front asks the spawner, over a socketpair, one byte with one fd.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "front_priv.h"

/* The spawner's requests: one byte that carries one fd. */
union fd_cmsg {
	char buf[CMSG_SPACE(sizeof(int))];
	struct cmsghdr align;
};

/* The message: the one byte *b, room for one fd. */
static struct msghdr fd_msg(struct iovec *iov, char *b, union fd_cmsg *cbuf)
{
	*iov = (struct iovec){.iov_base = b, .iov_len = 1};
	return (struct msghdr){.msg_iov = iov,
			       .msg_iovlen = 1,
			       .msg_control = cbuf->buf,
			       .msg_controllen = sizeof(cbuf->buf)};
}

static ssize_t send_fd(int sock, int fd)
{
	union fd_cmsg cbuf;
	char b = 'w';
	struct iovec iov;
	struct msghdr mh = fd_msg(&iov, &b, &cbuf);
	struct cmsghdr *cm;
	ssize_t n;

	memset(&cbuf, 0, sizeof(cbuf));
	cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	do
		n = sendmsg(sock, &mh, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	return n;
}

/* recvmsg's result; *fd: the fd that came with the byte (close-on-exec), or -1. */
static ssize_t recv_fd(int sock, int *fd)
{
	union fd_cmsg cbuf;
	char b;
	struct iovec iov;
	struct msghdr mh = fd_msg(&iov, &b, &cbuf);
	struct cmsghdr *cm;
	ssize_t n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);

	*fd = -1;
	if (n <= 0)
		return n;
	cm = CMSG_FIRSTHDR(&mh);
	if (cm && cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS &&
	    cm->cmsg_len == CMSG_LEN(sizeof(int)))
		memcpy(fd, CMSG_DATA(cm), sizeof(int));
	return n;
}

/*
 * Runs in its own process, without the front's filter. Each request is one
 * byte with one fd (the worker's end of its socketpair); the answer is the
 * worker's pid (or -errno). Nothing else comes in, from the front only.
 */
static void spawner_main(int fd, int shm_fd, char *const argv[])
{
	for (;;) {
		int wfd, a, s;
		long pid;
		ssize_t n = recv_fd(fd, &wfd);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			_exit(0);
		if (wfd < 0) {
			pid = -EINVAL;
			goto answer;
		}
		/* A child of the front, so the front sees it die (SIGCHLD, wait). */
		pid = syscall(SYS_clone, CLONE_PARENT | SIGCHLD, NULL, NULL, NULL, NULL);
		if (pid < 0 && errno == EINVAL) /* e.g. under valgrind */
			pid = fork();
		if (pid == 0) {
			sigset_t none;

			a = fcntl(wfd, F_DUPFD_CLOEXEC, 10);
			s = fcntl(shm_fd, F_DUPFD_CLOEXEC, 10);
			if (a < 0 || s < 0 || dup2(a, VCD_WORKER_SOCK_FD) < 0 ||
			    dup2(s, VCD_WORKER_SHARED_FD) < 0)
				_exit(126);
			sigemptyset(&none);
			sigprocmask(SIG_SETMASK, &none, NULL);
			execv(argv[0], argv);
			fprintf(stderr, "vcryptod: cannot execute the worker %s: %s\n", argv[0],
				strerror(errno));
			_exit(127);
		}
		if (pid < 0)
			pid = -errno;
		close(wfd);
		/* Workers started with fork() (fallback) are ours to reap. */
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
answer:
		{
			int32_t v = (int32_t)pid;

			if (write(fd, &v, sizeof(v)) != sizeof(v))
				_exit(0);
		}
	}
}

int front_start_spawner(struct front *f, char *const argv[])
{
	int sv[2];
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		close(sv[0]);
		close(sv[1]);
		return -errno;
	}
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		close(sv[0]);
		close(f->lfd);
		close(f->sfd);
		/* The spawner's copy of the front's state is not its business. */
		{
			int shm_fd = f->shm_fd;

			free(f->sess);
			free(f);
			spawner_main(sv[1], shm_fd, argv);
		}
		_exit(0);
	}
	close(sv[1]);
	f->spawn_fd = sv[0];
	f->spawner = pid;
	return 0;
}

int front_spawn_worker(struct front *f)
{
	struct timeval tmo = {.tv_sec = 30};
	int32_t pid;
	int sv[2];
	ssize_t n;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	n = send_fd(f->spawn_fd, sv[1]);
	close(sv[1]);
	if (n == 1) {
		do
			n = read(f->spawn_fd, &pid, sizeof(pid));
		while (n < 0 && errno == EINTR);
	}
	if (n != sizeof(pid) || pid <= 0) {
		close(sv[0]);
		/* No worker can ever start again: exit, so that systemd restarts us. */
		if (n != sizeof(pid))
			f->quit = true;
		fprintf(stderr, "vcryptod: cannot start a worker: %s\n",
			n == sizeof(pid) ? strerror(-pid) : "spawner gone");
		return n == sizeof(pid) ? pid : -ECHILD;
	}
	/* A worker that hangs in a message is killed and replaced. */
	setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &tmo, sizeof(tmo));
	setsockopt(sv[0], SOL_SOCKET, SO_SNDTIMEO, &tmo, sizeof(tmo));
	f->wpid = pid;
	f->wsock = sv[0];
	return 0;
}
