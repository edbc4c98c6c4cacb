// SPDX-License-Identifier: MIT
/*
 * The front: the long-lived process that owns the listening socket, the
 * frontend's connection and everything the frontend handed over on it
 * (memory-table fds and layout, ring sizes, addresses and eventfds,
 * features, the sessions with their keys), and a worker process that does
 * the work. Each vhost-user message is passed to the worker, which handles
 * it (vhost_user.c: the one place that validates messages) and answers; the
 * front records what succeeded. When the worker dies (crash, seccomp kill,
 * SIGKILL) or is replaced (SIGHUP: the installed binary is executed again),
 * a new worker is given that record as messages, the sessions under their
 * old ids, and resumes the rings from the shared state (journal.h): the
 * frontend sees one unbroken connection. The front maps no guest memory and
 * parses no data request.
 *
 * Workers are started by a spawner: a process forked before the front's
 * seccomp filter, which executes the worker binary as a child of the front
 * (CLONE_PARENT). So the front's own filter allows no process creation, no
 * exec and no file opening: filters are inherited, and a worker needs those
 * to start.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "front.h"
#include "journal.h"
#include "sandbox.h"
#include "vhost_user.h"

#define WORKER_EXIT_BROKEN 3
#define RESTART_MAX_TRACK 64

struct front_queue {
	bool have_num, have_base, have_addr, disabled;
	uint32_t num, base;
	struct vcd_vu_vring_addr addr;
	int kick, call, err;
};

/* A session as the frontend created it (keys included): only in memory. */
struct front_sess {
	uint64_t id;
	uint32_t size;
	uint8_t payload[sizeof(struct vcd_vu_session_1072)];
};

struct front {
	const struct vcd_front_conf *c;
	int lfd, sfd;
	int spawn_fd;
	pid_t spawner;
	int shm_fd;
	struct vcd_shared *sh;
	pid_t wpid;
	int wsock;
	uint64_t deaths[RESTART_MAX_TRACK]; /* ns, a ring */
	unsigned int ndeaths;
	unsigned long replaced;
	bool quit;
	/* the connection */
	int cfd;
	uint64_t features, pfeatures;
	bool have_features, have_pfeatures, owner;
	uint8_t mem[VCD_VU_MAX_PAYLOAD];
	uint32_t mem_size;
	int mem_fds[VCD_VU_MAX_FDS];
	unsigned int mem_nfds;
	struct front_queue q[VCD_MAX_QUEUES];
	struct front_sess **sess;
	uint32_t nsess;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* ---------------- spawner ---------------- */

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

static int start_spawner(struct front *f, char *const argv[])
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

/* ---------------- worker ---------------- */

static int spawn_worker(struct front *f)
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

/* Ends the worker (asked to stop first if `gently`); its wait status. */
static int end_worker(struct front *f, bool gently)
{
	int st = 0;

	close_fd(&f->wsock); /* a worker at EOF stops its queues and exits */
	if (f->wpid <= 0)
		return 0;
	if (gently) {
		kill(f->wpid, SIGTERM);
		for (int i = 0; i < 500; i++) {
			pid_t r = waitpid(f->wpid, &st, WNOHANG);

			if (r == f->wpid || (r < 0 && errno == ECHILD))
				goto out;
			nanosleep(&(struct timespec){.tv_nsec = 10000000}, NULL);
		}
	}
	kill(f->wpid, SIGKILL);
	if (waitpid(f->wpid, &st, 0) < 0)
		st = 0; /* not our child (spawner fallback): it went anyway */
out:
	f->wpid = 0;
	return st;
}

/* Exchanges one message with the worker. -EPIPE: the worker is gone. */
static int worker_call(struct front *f, const struct vcd_vu_hdr *h, const void *payload,
		       const int *fds, unsigned int nfds, uint8_t *reply, uint32_t *rlen,
		       struct vcd_proxy_reply *pr)
{
	uint8_t buf[VCD_VU_MAX_PAYLOAD] __attribute__((aligned(8)));
	struct vcd_vu_hdr rh;
	int rfds[VCD_VU_MAX_FDS];
	unsigned int rn = 0;

	if (f->wsock < 0 || vcd_vu_send(f->wsock, h, payload, fds, nfds))
		return -EPIPE;
	if (vcd_vu_recv(f->wsock, &rh, buf, rfds, &rn))
		return -EPIPE;
	for (unsigned int i = 0; i < rn; i++)
		close(rfds[i]);
	if (rn || rh.size < sizeof(*pr) || rh.request != h->request) {
		explicit_bzero(buf, sizeof(buf));
		return -EPIPE;
	}
	memcpy(pr, buf, sizeof(*pr));
	*rlen = rh.size - (uint32_t)sizeof(*pr);
	memcpy(reply, buf + sizeof(*pr), *rlen);
	explicit_bzero(buf, rh.size);
	return 0;
}

/* A message of the front's own; the worker's raw result (0: done). */
static int replay_one(struct front *f, uint32_t req, const void *payload, uint32_t size,
		      const int *fds, unsigned int nfds)
{
	struct vcd_vu_hdr h = {.request = req, .flags = VCD_VU_VERSION | VCD_VU_FLAG_FRONT,
			       .size = size};
	uint8_t reply[VCD_VU_MAX_PAYLOAD];
	struct vcd_proxy_reply pr;
	uint32_t rlen;
	int ret = worker_call(f, &h, payload, fds, nfds, reply, &rlen, &pr);

	explicit_bzero(reply, sizeof(reply));
	if (ret)
		return ret;
	return pr.raw ? pr.raw : pr.ret;
}

static int replay_u64(struct front *f, uint32_t req, uint64_t v, const int *fds,
		      unsigned int nfds)
{
	return replay_one(f, req, &v, sizeof(v), fds, nfds);
}

static int replay_state(struct front *f, uint32_t req, uint32_t index, uint32_t num)
{
	struct vcd_vu_vring_state st = {.index = index, .num = num};

	return replay_one(f, req, &st, sizeof(st), NULL, 0);
}

/*
 * Gives a new worker what the frontend had set up. Memory before rings,
 * sessions before the kicks that start the rings.
 */
static int replay(struct front *f, unsigned int *nqueues)
{
	uint8_t buf[8 + sizeof(struct vcd_vu_session_1072)];
	int ret = 0;

	*nqueues = 0;
	if (f->have_pfeatures)
		ret = replay_u64(f, VCD_VU_SET_PROTOCOL_FEATURES, f->pfeatures, NULL, 0);
	if (!ret && f->have_features)
		ret = replay_u64(f, VCD_VU_SET_FEATURES, f->features, NULL, 0);
	if (!ret && f->owner)
		ret = replay_one(f, VCD_VU_SET_OWNER, NULL, 0, NULL, 0);
	if (!ret && f->mem_size)
		ret = replay_one(f, VCD_VU_SET_MEM_TABLE, f->mem, f->mem_size, f->mem_fds,
				 f->mem_nfds);
	for (unsigned int i = 0; !ret && i < f->c->queues; i++) {
		struct front_queue *q = &f->q[i];

		if (q->have_num)
			ret = replay_state(f, VCD_VU_SET_VRING_NUM, i, q->num);
		if (!ret && q->have_addr)
			ret = replay_one(f, VCD_VU_SET_VRING_ADDR, &q->addr, sizeof(q->addr), NULL,
					 0);
		if (!ret && q->have_base)
			ret = replay_state(f, VCD_VU_SET_VRING_BASE, i, q->base);
		if (!ret && q->call >= 0)
			ret = replay_u64(f, VCD_VU_SET_VRING_CALL, i, &q->call, 1);
		if (!ret && q->err >= 0)
			ret = replay_u64(f, VCD_VU_SET_VRING_ERR, i, &q->err, 1);
		if (!ret && q->disabled)
			ret = replay_state(f, VCD_VU_SET_VRING_ENABLE, i, 0);
	}
	for (uint32_t i = 0; !ret && i < f->nsess; i++) {
		struct front_sess *s = f->sess[i];
		int r;

		memcpy(buf, &s->id, 8);
		memcpy(buf + 8, s->payload, s->size);
		r = replay_one(f, VCD_PRIV_RESTORE_SESSION, buf, 8 + s->size, NULL, 0);
		explicit_bzero(buf, sizeof(buf));
		if (r == -EPIPE)
			ret = r;
		else if (r) /* the new binary refuses it: the guest gets INVSESS */
			fprintf(stderr, "vcryptod: session %llu not carried over: %s\n",
				(unsigned long long)s->id, strerror(-r));
	}
	for (unsigned int i = 0; !ret && i < f->c->queues; i++) {
		if (f->q[i].kick < 0)
			continue;
		ret = replay_u64(f, VCD_VU_SET_VRING_KICK, i, &f->q[i].kick, 1);
		(*nqueues)++;
	}
	return ret;
}

/*
 * At most restart_max deaths in restart_window_ms: beyond, the next worker
 * waits until the oldest death leaves the window. false: SIGTERM meanwhile.
 */
static bool rate_limit(struct front *f)
{
	unsigned int max = f->c->restart_max;
	uint64_t win = (uint64_t)f->c->restart_window_ms * 1000000u, t = now_ns();

	if (max > RESTART_MAX_TRACK)
		max = RESTART_MAX_TRACK;
	if (max && f->ndeaths >= max) {
		uint64_t oldest = f->deaths[(f->ndeaths - max) % RESTART_MAX_TRACK];

		if (t - oldest < win) {
			uint64_t wait = oldest + win - t;

			fprintf(stderr,
				"vcryptod: crash loop: %u worker deaths within %u ms; next worker in "
				"%llu ms\n",
				max, f->c->restart_window_ms,
				(unsigned long long)(wait / 1000000u));
			while (wait) {
				struct pollfd p = {.fd = f->sfd, .events = POLLIN};
				struct signalfd_siginfo si;
				int ms = (int)(wait / 1000000u) + 1;

				if (poll(&p, 1, ms) > 0 &&
				    read(f->sfd, &si, sizeof(si)) == sizeof(si) &&
				    (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT)) {
					f->quit = true;
					return false;
				}
				t = now_ns();
				wait = t >= oldest + win ? 0 : oldest + win - t;
			}
		}
	}
	f->deaths[f->ndeaths++ % RESTART_MAX_TRACK] = now_ns();
	return true;
}

static void describe_status(int st, char *buf, size_t len)
{
	if (WIFSIGNALED(st))
		snprintf(buf, len, "killed by signal %d (%s)%s", WTERMSIG(st),
			 strsignal(WTERMSIG(st)), WTERMSIG(st) == SIGSYS ? ", seccomp" : "");
	else if (WIFEXITED(st))
		snprintf(buf, len, "exited with status %d", WEXITSTATUS(st));
	else
		snprintf(buf, len, "gone");
}

/*
 * Replaces the worker. reload: SIGHUP, the old one is asked to stop (it
 * finishes what it took) and does not count as a crash. 0, or negative
 * errno: drop the connection (-ENOLINK: the worker found the ring broken).
 */
static int replace_worker(struct front *f, bool reload)
{
	pid_t old = f->wpid;
	char how[96];
	unsigned int nq = 0;
	uint64_t t0;
	int st, ret;

	for (;;) {
		st = end_worker(f, reload);
		if (!reload && WIFEXITED(st) && WEXITSTATUS(st) == WORKER_EXIT_BROKEN)
			return -ENOLINK;
		describe_status(st, how, sizeof(how));
		if (!reload) {
			fprintf(stderr, "vcryptod: worker %d %s; replacing it\n", (int)old, how);
			if (!rate_limit(f))
				return -EINTR;
		}
		t0 = now_ns();
		ret = spawn_worker(f);
		if (!ret)
			ret = replay(f, &nq);
		if (!ret)
			break;
		if (ret != -EPIPE || f->wpid <= 0) {
			fprintf(stderr, "vcryptod: new worker failed to take over: %s\n",
				strerror(-ret));
			return ret;
		}
		/* It died while taking over: a death like any other. */
		old = f->wpid;
		reload = false;
	}
	f->replaced++;
	fprintf(stderr,
		"vcryptod: worker %d %s worker %d in %.1f ms (%s): carried over %u session(s), "
		"%u running queue(s), memory table of %u region(s); replacement %lu\n",
		(int)f->wpid, reload ? "re-executed from the installed binary, replacing" : "replaced",
		(int)old, (double)(now_ns() - t0) / 1e6, reload ? "reload" : how, f->nsess, nq,
		f->mem_nfds, f->replaced);
	return 0;
}

/* ---------------- the record of the connection ---------------- */

static void sess_forget(struct front *f, uint32_t i)
{
	explicit_bzero(f->sess[i], sizeof(*f->sess[i]));
	free(f->sess[i]);
	f->sess[i] = f->sess[--f->nsess];
}

/* Rings, memory table and journal go (RESET_OWNER, the end of a connection). */
static void rings_reset(struct front *f)
{
	for (unsigned int i = 0; i < VCD_MAX_QUEUES; i++) {
		close_fd(&f->q[i].kick);
		close_fd(&f->q[i].call);
		close_fd(&f->q[i].err);
		f->q[i] = (struct front_queue){.kick = -1, .call = -1, .err = -1};
	}
	for (unsigned int i = 0; i < f->mem_nfds; i++)
		close_fd(&f->mem_fds[i]);
	f->mem_nfds = 0;
	f->mem_size = 0;
	f->owner = false;
	/* Nothing to resume; the counters stay. */
	memset(f->sh->rec, 0, sizeof(f->sh->rec));
	memset(f->sh->j, 0, sizeof(f->sh->j));
}

/* Everything of the connection goes, sessions and features too. */
static void conn_reset(struct front *f)
{
	rings_reset(f);
	while (f->nsess)
		sess_forget(f, f->nsess - 1);
	f->features = f->pfeatures = 0;
	f->have_features = f->have_pfeatures = false;
}

/* SET_VRING_KICK/CALL/ERR: the queue keeps the fd (even when starting the ring failed). */
static void record_vring_fd(struct front *f, const struct vcd_vu_hdr *h, const uint8_t *p,
			    int *fds, unsigned int nfds)
{
	struct front_queue *q;
	uint64_t u64;
	bool nofd;
	int *slot;

	if (h->size != 8)
		return;
	memcpy(&u64, p, 8);
	nofd = u64 & VCD_VU_VRING_NOFD_MASK;
	if ((u64 & VCD_VU_VRING_IDX_MASK) >= f->c->queues || (nofd ? nfds : nfds != 1) ||
	    (u64 & ~(uint64_t)(VCD_VU_VRING_IDX_MASK | VCD_VU_VRING_NOFD_MASK)))
		return;
	q = &f->q[u64 & VCD_VU_VRING_IDX_MASK];
	slot = h->request == VCD_VU_SET_VRING_KICK   ? &q->kick
	       : h->request == VCD_VU_SET_VRING_CALL ? &q->call
						     : &q->err;
	close_fd(slot);
	if (!nofd) {
		*slot = fds[0];
		fds[0] = -1;
	}
}

static void record_mem_table(struct front *f, const struct vcd_vu_hdr *h, const uint8_t *p,
			     int *fds, unsigned int nfds)
{
	if (h->size > sizeof(f->mem))
		return;
	for (unsigned int i = 0; i < f->mem_nfds; i++)
		close_fd(&f->mem_fds[i]);
	memcpy(f->mem, p, h->size);
	f->mem_size = h->size;
	for (unsigned int i = 0; i < nfds; i++) {
		f->mem_fds[i] = fds[i];
		fds[i] = -1;
	}
	f->mem_nfds = nfds;
}

/* SET_VRING_NUM/BASE/ENABLE and GET_VRING_BASE (whose reply stops the ring). */
static void record_vring_state(struct front *f, const struct vcd_vu_hdr *h, const uint8_t *p,
			       const uint8_t *reply, uint32_t rlen)
{
	struct vcd_vu_vring_state st;
	struct front_queue *q;

	if (h->size != sizeof(st))
		return;
	memcpy(&st, p, sizeof(st));
	if (st.index >= f->c->queues)
		return;
	q = &f->q[st.index];
	if (h->request == VCD_VU_SET_VRING_NUM) {
		q->num = st.num;
		q->have_num = true;
	} else if (h->request == VCD_VU_SET_VRING_BASE) {
		q->base = st.num;
		q->have_base = true;
	} else if (h->request == VCD_VU_SET_VRING_ENABLE) {
		q->disabled = st.num == 0;
	} else if (rlen == sizeof(st)) { /* GET: the ring is stopped */
		memcpy(&st, reply, sizeof(st));
		q->base = st.num;
		q->have_base = true;
		close_fd(&q->kick);
	}
}

static void record_vring_addr(struct front *f, const struct vcd_vu_hdr *h, const uint8_t *p)
{
	struct vcd_vu_vring_addr a;

	if (h->size != sizeof(a))
		return;
	memcpy(&a, p, sizeof(a));
	if (a.index >= f->c->queues)
		return;
	f->q[a.index].addr = a;
	f->q[a.index].have_addr = true;
}

/* A session the worker created (its id in the reply) is kept to be replayed. */
static void record_session(struct front *f, const struct vcd_vu_hdr *h, const uint8_t *p,
			   const uint8_t *reply, uint32_t rlen)
{
	size_t off = h->size == sizeof(struct vcd_vu_session_632)
			     ? offsetof(struct vcd_vu_session_632, session_id)
			     : offsetof(struct vcd_vu_session_1072, session_id);
	struct front_sess *s;
	int64_t id;

	if (rlen != h->size || h->size > sizeof(s->payload))
		return;
	memcpy(&id, reply + off, sizeof(id));
	if (id <= 0 || f->nsess >= f->c->max_sessions)
		return;
	s = malloc(sizeof(*s));
	if (!s) {
		/* The session would not survive a restart: say so. */
		fprintf(stderr, "vcryptod: out of memory recording session %lld\n", (long long)id);
		return;
	}
	s->id = (uint64_t)id;
	s->size = h->size;
	memcpy(s->payload, p, h->size);
	f->sess[f->nsess++] = s;
}

static void record_session_close(struct front *f, const struct vcd_vu_hdr *h, const uint8_t *p)
{
	uint64_t id;

	if (h->size != 8)
		return;
	memcpy(&id, p, 8);
	for (uint32_t i = 0; i < f->nsess; i++)
		if (f->sess[i]->id == id) {
			sess_forget(f, i);
			return;
		}
}

/*
 * Records what a message the worker handled changed. fds the record keeps
 * are taken from fds[] (set to -1). raw: the worker's result; a message
 * that failed changes nothing but the ring fds the worker keeps anyway.
 */
static void record(struct front *f, const struct vcd_vu_hdr *h, const uint8_t *p, int *fds,
		   unsigned int nfds, const uint8_t *reply, uint32_t rlen, int raw)
{
	switch (h->request) {
	case VCD_VU_SET_VRING_KICK:
	case VCD_VU_SET_VRING_CALL:
	case VCD_VU_SET_VRING_ERR:
		record_vring_fd(f, h, p, fds, nfds);
		return;
	default:
		break;
	}
	if (raw)
		return;
	switch (h->request) {
	case VCD_VU_SET_FEATURES:
		memcpy(&f->features, p, 8);
		f->have_features = true;
		break;
	case VCD_VU_SET_PROTOCOL_FEATURES:
		memcpy(&f->pfeatures, p, 8);
		f->have_pfeatures = true;
		break;
	case VCD_VU_SET_OWNER:
		f->owner = true;
		break;
	case VCD_VU_RESET_OWNER:
		/* Rings and memory go; sessions and features stay. */
		rings_reset(f);
		break;
	case VCD_VU_SET_MEM_TABLE:
		record_mem_table(f, h, p, fds, nfds);
		break;
	case VCD_VU_SET_VRING_NUM:
	case VCD_VU_SET_VRING_BASE:
	case VCD_VU_GET_VRING_BASE:
	case VCD_VU_SET_VRING_ENABLE:
		record_vring_state(f, h, p, reply, rlen);
		break;
	case VCD_VU_SET_VRING_ADDR:
		record_vring_addr(f, h, p);
		break;
	case VCD_VU_CREATE_CRYPTO_SESSION:
		record_session(f, h, p, reply, rlen);
		break;
	case VCD_VU_CLOSE_CRYPTO_SESSION:
		record_session_close(f, h, p);
		break;
	default:
		break;
	}
}

/* One message of the frontend. Negative errno: drop the connection. */
static int front_message(struct front *f)
{
	uint8_t payload[VCD_VU_MAX_PAYLOAD] __attribute__((aligned(8)));
	uint8_t reply[VCD_VU_MAX_PAYLOAD] __attribute__((aligned(8)));
	struct vcd_vu_hdr h;
	struct vcd_proxy_reply pr;
	int fds[VCD_VU_MAX_FDS];
	unsigned int nfds;
	uint32_t rlen = 0;
	int ret;

	ret = vcd_vu_recv(f->cfd, &h, payload, fds, &nfds);
	if (ret)
		return ret;
	h.flags &= ~VCD_VU_FLAG_FRONT; /* only the front sends private requests */
	for (int attempt = 0;; attempt++) {
		ret = worker_call(f, &h, payload, fds, nfds, reply, &rlen, &pr);
		if (!ret)
			break;
		if (attempt) {
			fprintf(stderr,
				"vcryptod: message %u killed two workers: dropping the connection\n",
				h.request);
			goto out;
		}
		ret = replace_worker(f, false);
		if (ret)
			goto out;
	}
	record(f, &h, payload, fds, nfds, reply, rlen, pr.raw);
	ret = pr.ret;
	if (rlen) {
		struct vcd_vu_hdr rh = {.request = h.request,
					.flags = VCD_VU_VERSION | VCD_VU_FLAG_REPLY,
					.size = rlen};

		if (vcd_vu_send(f->cfd, &rh, reply, NULL, 0) && !ret)
			ret = -EPIPE;
	}
out:
	for (unsigned int i = 0; i < nfds; i++)
		close_fd(&fds[i]);
	explicit_bzero(payload, sizeof(payload));
	explicit_bzero(reply, sizeof(reply));
	return ret;
}

/* ---------------- signals and the loop ---------------- */

/* Reaps children; true if the worker is among them (status in *st). */
static bool reap(struct front *f, int *st)
{
	bool worker = false;
	pid_t p;
	int s;

	while ((p = waitpid(-1, &s, WNOHANG)) > 0) {
		if (p == f->wpid) {
			worker = true;
			*st = s;
		} else if (p == f->spawner) {
			fprintf(stderr, "vcryptod: the spawner died: no worker can be started\n");
			f->spawner = 0;
		}
	}
	return worker;
}

enum { SIG_NONE, SIG_QUIT, SIG_RELOAD, SIG_CHILD };

static int handle_signals(struct front *f)
{
	struct signalfd_siginfo si;
	int what = SIG_NONE;

	while (read(f->sfd, &si, sizeof(si)) == sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGUSR1:
			vcd_print_stats(f->sh->stats, (unsigned int)f->c->queues);
			break;
		case SIGHUP:
			if (what != SIG_QUIT)
				what = SIG_RELOAD;
			break;
		case SIGCHLD:
			if (what == SIG_NONE)
				what = SIG_CHILD;
			break;
		default:
			return SIG_QUIT;
		}
	}
	return what;
}

static void serve_conn(struct front *f)
{
	int ret;

	conn_reset(f);
	ret = spawn_worker(f);
	if (ret)
		return;
	for (;;) {
		struct pollfd p[3] = {
			{.fd = f->cfd, .events = POLLIN},
			{.fd = f->wsock, .events = POLLIN},
			{.fd = f->sfd, .events = POLLIN},
		};
		int sig;

		if (poll(p, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[2].revents) {
			sig = handle_signals(f);
			if (sig == SIG_QUIT) {
				f->quit = true;
				break;
			}
			if (sig == SIG_RELOAD) {
				fprintf(stderr, "vcryptod: reload: re-executing the worker\n");
				if (replace_worker(f, true))
					break;
				continue;
			}
		}
		if (p[1].revents) {
			/* The worker sends nothing unasked: it is gone. */
			ret = replace_worker(f, false);
			if (ret) {
				if (ret == -ENOLINK)
					fprintf(stderr,
						"vcryptod: guest ring broken, dropping connection\n");
				break;
			}
			continue;
		}
		if (p[0].revents) {
			ret = front_message(f);
			if (ret) {
				if (ret != -ECONNRESET)
					fprintf(stderr, "vcryptod: dropping connection: %s\n",
						strerror(-ret));
				break;
			}
		}
	}
	end_worker(f, true);
	conn_reset(f);
	if (f->c->verbose)
		fprintf(stderr, "vcryptod: connection closed\n");
}

static char **worker_argv(const struct vcd_front_conf *c)
{
	static char num[4][24];
	static const char *const sc[] = {"kill", "log", "none"};
	char **v = calloc(20, sizeof(*v));
	int n = 0;

	if (!v)
		return NULL;
	snprintf(num[0], sizeof(num[0]), "%lu", c->queues);
	snprintf(num[1], sizeof(num[1]), "%lu", c->max_sessions);
	snprintf(num[2], sizeof(num[2]), "%lu", c->poll_us);
	v[n++] = (char *)c->exe;
	v[n++] = "--worker";
	v[n++] = "--engine";
	v[n++] = (char *)c->engine;
	v[n++] = "--queues";
	v[n++] = num[0];
	v[n++] = "--max-sessions";
	v[n++] = num[1];
	v[n++] = "--poll-us";
	v[n++] = num[2];
	v[n++] = "--seccomp";
	v[n++] = (char *)sc[c->seccomp];
	for (int i = 0; i < c->verbose && i < 2; i++)
		v[n++] = "-v";
	return v;
}

/*
 * The state every worker maps (journal.h): a memfd of VCD_SHARED_LEN
 * bytes, sparse; the front maps its header only.
 */
static int shared_open(struct front *f)
{
	f->shm_fd = memfd_create("vcryptod-state", MFD_CLOEXEC);
	if (f->shm_fd < 0 || ftruncate(f->shm_fd, (off_t)VCD_SHARED_LEN(f->c->queues)) < 0)
		return -errno;
	f->sh = mmap(NULL, VCD_SHARED_HDR_LEN, PROT_READ | PROT_WRITE, MAP_SHARED, f->shm_fd, 0);
	if (f->sh == MAP_FAILED) {
		f->sh = NULL;
		return -errno;
	}
	f->sh->magic = VCD_JOURNAL_MAGIC;
	f->sh->queues = (uint32_t)f->c->queues;
	return 0;
}

/* front_free() undoes it, also half done. */
static struct front *front_new(const struct vcd_front_conf *c, int lfd, int sfd)
{
	struct front *f = calloc(1, sizeof(*f));

	if (!f)
		return NULL;
	f->c = c;
	f->lfd = lfd;
	f->sfd = sfd;
	f->cfd = f->wsock = f->spawn_fd = f->shm_fd = -1;
	for (unsigned int i = 0; i < VCD_MAX_QUEUES; i++)
		f->q[i] = (struct front_queue){.kick = -1, .call = -1, .err = -1};
	f->sess = calloc(c->max_sessions ? c->max_sessions : 1, sizeof(*f->sess));
	return f;
}

static void front_free(struct front *f)
{
	close_fd(&f->spawn_fd); /* the spawner exits at EOF */
	if (f->spawner > 0)
		waitpid(f->spawner, NULL, 0);
	if (f->sh)
		munmap(f->sh, VCD_SHARED_HDR_LEN);
	close_fd(&f->shm_fd);
	free(f->sess);
	free(f);
}

/*
 * The shared state, the spawner, then the front's own seccomp filter (the
 * spawner must not inherit it). vcd_seccomp_install_front()'s result (1:
 * no filter, *why says why), or negative errno, said on stderr.
 */
static int front_start(struct front *f, char **argv, const char **why)
{
	int ret = shared_open(f);

	if (ret) {
		fprintf(stderr, "vcryptod: shared state: %s\n", strerror(-ret));
		return ret;
	}
	ret = start_spawner(f, argv);
	if (ret) {
		fprintf(stderr, "vcryptod: spawner: %s\n", strerror(-ret));
		return ret;
	}
	ret = vcd_seccomp_install_front(f->c->seccomp, why);
	if (ret < 0)
		fprintf(stderr, "vcryptod: seccomp: %s\n", strerror(-ret));
	return ret;
}

/* seccomp: vcd_seccomp_install_front()'s result and reason. */
static void announce(struct front *f, int seccomp, const char *why, const char *socket_path)
{
	const struct vcd_front_conf *c = f->c;

	fprintf(stderr,
		"vcryptod: engine %s, %lu queues, %lu sessions per connection, polling %lu us, "
		"seccomp %s%s%s, worker %s (restarted on death, at most %u in %u ms; SIGHUP "
		"re-executes it), listening%s%s\n",
		c->engine, c->queues, c->max_sessions, c->poll_us, vcd_seccomp_state(c->seccomp, seccomp),
		why ? ": " : "", why ? why : "", c->exe, c->restart_max, c->restart_window_ms,
		socket_path ? " on " : "", socket_path ? socket_path : "");
}

/*
 * Waits for the next frontend (signals are handled meanwhile) and takes it
 * into f->cfd. false: time to exit.
 */
static bool accept_conn(struct front *f)
{
	for (;;) {
		struct pollfd p[2] = {{.fd = f->lfd, .events = POLLIN},
				      {.fd = f->sfd, .events = POLLIN}};
		int st, sig;

		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return false;
		}
		if (p[1].revents) {
			sig = handle_signals(f);
			if (sig == SIG_QUIT)
				return false;
			if (sig == SIG_RELOAD)
				fprintf(stderr,
					"vcryptod: reload: the next connection's worker runs "
					"the installed binary\n");
			reap(f, &st);
		}
		if (!(p[0].revents & POLLIN))
			continue;
		f->cfd = vcd_vu_accept(f->lfd);
		if (f->cfd >= 0)
			break;
		if (f->cfd != -EAGAIN) {
			fprintf(stderr, "vcryptod: accept: %s\n", strerror(-f->cfd));
			return false;
		}
	}
	if (f->c->verbose)
		fprintf(stderr, "vcryptod: frontend connected\n");
	return true;
}

int vcd_front_run(const struct vcd_front_conf *c, int lfd, int sfd, const char *socket_path)
{
	struct front *f = front_new(c, lfd, sfd);
	char **argv = worker_argv(c);
	const char *why = NULL;
	int ret, rc = 1;

	if (!f || !f->sess || !argv) {
		fprintf(stderr, "vcryptod: shared state: %s\n", strerror(ENOMEM));
		goto out;
	}
	ret = front_start(f, argv, &why);
	if (ret < 0)
		goto out;
	announce(f, ret, why, socket_path);
	while (!f->quit && accept_conn(f)) {
		int st;

		serve_conn(f);
		close_fd(&f->cfd);
		reap(f, &st);
	}
	fprintf(stderr, "vcryptod: exiting; sessions wiped\n");
	vcd_print_stats(f->sh->stats, (unsigned int)c->queues);
	rc = 0;
out:
	if (f)
		front_free(f);
	free(argv);
	return rc;
}
