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
 * Workers are started by a spawner (spawner.c): a process forked before
 * the front's seccomp filter, which executes the worker binary as a child
 * of the front (CLONE_PARENT). So the front's own filter allows no process
 * creation, no exec and no file opening: filters are inherited, and a
 * worker needs those to start. The record and its replay: front_record.c.
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

#include "front_priv.h"

/* ---------------- worker ---------------- */

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
int front_worker_call(struct front *f, const struct vcd_vu_hdr *h, const void *payload,
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
		ret = front_spawn_worker(f);
		if (!ret)
			ret = front_replay(f, &nq);
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
		ret = front_worker_call(f, &h, payload, fds, nfds, reply, &rlen, &pr);
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
	front_record(f, &h, payload, fds, nfds, reply, rlen, pr.raw);
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

	front_conn_reset(f);
	ret = front_spawn_worker(f);
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
	front_conn_reset(f);
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
	if (c->cpu_affinity) {
		v[n++] = "--cpu-affinity";
		v[n++] = (char *)c->cpu_affinity;
	}
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
	ret = front_start_spawner(f, argv);
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
