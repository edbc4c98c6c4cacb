// SPDX-License-Identifier: MIT
/*
 * The processes of one VM connection: start, relay messages (one at a time
 * per process, queued behind it up to the in-flight limit of the VM), time
 * out, reap and report how a process ended.
 *
 * The process channel (fd, framing, limits): <vcrypto/vproc_channel.h>.
 */
#include <errno.h>
#include <inttypes.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "vprocd.h"

uint64_t vpd_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

uint64_t vpd_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

struct vpd_proc *vpd_proc_find(struct vpd_conn *c, int desc)
{
	for (struct vpd_proc *p = c->procs; p; p = p->next)
		if (p->desc == desc && p->state != VPD_P_CLOSING)
			return p;
	return NULL;
}

struct vpd_msg *vpd_msg_get(struct vpd_conn *c, size_t len)
{
	struct vpd_msg *m = c->spare;

	if (m && m->cap >= len) {
		c->spare = NULL;
	} else {
		m = malloc(sizeof(*m) + 4 + len);
		if (!m)
			return NULL;
		m->cap = len;
	}
	m->next = NULL;
	m->len = 0;
	return m;
}

void vpd_msg_put(struct vpd_conn *c, struct vpd_msg *m)
{
	if (!m)
		return;
	/* the larger of the two is kept: at most one message's worth (64 KiB) */
	if (c->spare && c->spare->cap >= m->cap) {
		free(m);
		return;
	}
	free(c->spare);
	c->spare = m;
}

static void proc_kill(struct vpd_proc *p)
{
	if (p->pidfd >= 0)
		syscall(SYS_pidfd_send_signal, p->pidfd, SIGKILL, NULL, 0);
}

static void reply_msg(struct vpd_conn *c, struct vpd_proc *p, struct vpd_msg *m, int status,
		      const void *data, size_t len)
{
	struct vmm_hdr h = {.type = VMM_T_MSG, .req_id = m->req_id, .code = m->code};

	vpd_conn_reply_now(c, &h, p->desc, status, data, len);
	c->inflight--;
	c->replies++;
	c->replied_us = vpd_now_us();
}

static void fail_queue(struct vpd_conn *c, struct vpd_proc *p, int err, const char *why)
{
	struct vpd_msg *m;

	while ((m = p->q_head)) {
		p->q_head = m->next;
		reply_msg(c, p, m, err, why, strlen(why));
		vpd_msg_put(c, m);
	}
	p->q_tail = NULL;
	p->busy = false;
}

/* Hands the next queued message to the process. */
static void proc_send(struct vpd_conn *c, struct vpd_proc *p)
{
	struct vpd_msg *m = p->q_head;
	ssize_t n;

	if (!m || p->busy || p->state != VPD_P_LIVE)
		return;
	/* the code is already in front of the data: one packet, one buffer */
	n = send(p->chan, m->wire, 4 + m->len, MSG_NOSIGNAL | MSG_DONTWAIT);
	if (n != (ssize_t)(4 + m->len)) {
		/* its channel is gone or jammed: it is dying or misbehaving */
		vpd_log_guest("desc %d (%s): cannot deliver a message: %s", p->desc, p->name,
			      n < 0 ? strerror(errno) : "short write");
		proc_kill(p);
		p->busy = true; /* the reaper reports it */
		return;
	}
	p->busy = true;
	p->sent_us = vpd_now_us();
	p->deadline_ms = p->sent_us / 1000 + c->srv->cfg.msg_timeout_ms;
}

int vpd_proc_new(struct vpd_conn *c, int memfd, const struct vsig *sig, char *why, size_t whylen)
{
	struct vpd_proc *p = calloc(1, sizeof(*p));
	int ret;

	if (!p)
		return -VMM_E_NOMEM;
	p->pidfd = p->chan = -1;
	ret = vpd_spawn(&c->srv->sb, memfd, sig->hdr.name, &p->pid, &p->pidfd, &p->chan, why,
			whylen);
	if (ret) {
		free(p);
		vpd_log(0, "spawning '%s' failed: %s", sig->hdr.name, why);
		return -VMM_E_SPAWN;
	}
	p->desc = c->next_desc;
	c->next_desc = c->next_desc == INT32_MAX ? 0 : c->next_desc + 1;
	p->state = VPD_P_LIVE;
	snprintf(p->name, sizeof(p->name), "%s", sig->hdr.name);
	p->version = sig->hdr.version;
	p->next = c->procs;
	c->procs = p;
	c->nlive++;
	return p->desc;
}

void vpd_proc_msg(struct vpd_conn *c, const struct vmm_hdr *h, struct vpd_msg *m)
{
	struct vpd_proc *p = vpd_proc_find(c, h->desc);

	if (!p) {
		vpd_conn_error(c, h, -VMM_E_NODESC, "no process with descriptor %d", h->desc);
		goto refused;
	}
	if (p->state == VPD_P_DEAD) {
		vpd_conn_error(c, h, p->death_err, "%s", p->death);
		goto refused;
	}
	if (c->inflight >= c->srv->cfg.max_inflight) {
		vpd_conn_error(c, h, -VMM_E_LIMIT_INFLIGHT, "%u messages already in flight",
			       c->inflight);
		goto refused;
	}
	m->next = NULL;
	m->req_id = h->req_id;
	m->code = h->code;
	vmm_put32(m->wire, m->code);
	if (p->q_tail)
		p->q_tail->next = m;
	else
		p->q_head = m;
	p->q_tail = m;
	c->inflight++;
	proc_send(c, p);
	return;
refused:
	vpd_msg_put(c, m);
}

static void proc_unlink_free(struct vpd_conn *c, struct vpd_proc *p)
{
	struct vpd_proc **pp;

	for (pp = &c->procs; *pp; pp = &(*pp)->next) {
		if (*pp == p) {
			*pp = p->next;
			break;
		}
	}
	if (p->chan >= 0)
		close(p->chan);
	if (p->pidfd >= 0)
		close(p->pidfd);
	free(p);
}

void vpd_proc_close(struct vpd_conn *c, const struct vmm_hdr *h)
{
	struct vpd_proc *p = vpd_proc_find(c, h->desc);

	if (!p) {
		vpd_conn_error(c, h, -VMM_E_NODESC, "no process with descriptor %d", h->desc);
		return;
	}
	if (p->state == VPD_P_DEAD) {
		vpd_conn_reply(c, h, p->desc, 0, NULL, 0);
		proc_unlink_free(c, p);
		return;
	}
	fail_queue(c, p, -VMM_E_EXITED, "process was closed");
	p->state = VPD_P_CLOSING;
	c->nlive--;
	proc_kill(p);
	vpd_log(2, "desc %d (%s) closed", p->desc, p->name);
	vpd_conn_reply(c, h, p->desc, 0, NULL, 0);
}

void vpd_proc_list(struct vpd_conn *c, const struct vmm_hdr *h)
{
	static const char *const st[] = {"running", "closing", "dead"};
	char *buf;
	size_t cap = 4096, len = 0;

	buf = malloc(cap);
	if (!buf) {
		vpd_conn_error(c, h, -VMM_E_NOMEM, "out of memory");
		return;
	}
	for (struct vpd_proc *p = c->procs; p; p = p->next) {
		int n;

		if (p->state == VPD_P_CLOSING)
			continue;
		n = snprintf(buf + len, cap - len, "%d %s %" PRIu64 " %s\n", p->desc, p->name,
			     p->version, st[p->state]);
		if (n < 0 || (size_t)n >= cap - len)
			break;
		len += (size_t)n;
	}
	vpd_conn_reply(c, h, -1, 0, buf, len);
	free(buf);
}

/* A reply (or garbage) from the process. */
void vpd_proc_on_chan(struct vpd_conn *c, struct vpd_proc *p)
{
	uint8_t *buf = c->pbuf;
	struct vpd_msg *m;
	ssize_t n;

	n = recv(p->chan, buf, VPD_PBUF_SIZE, MSG_DONTWAIT | MSG_TRUNC);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (p->death_err)
		return; /* already condemned: nothing it says counts */
	if (n <= 0) {
		/* closed: the exit is reported from the pidfd */
		close(p->chan);
		p->chan = -1;
		return;
	}
	if (!p->busy || p->state != VPD_P_LIVE || n < (ssize_t)VPROC_HDR_SIZE ||
	    (size_t)n > VPROC_HDR_SIZE + VPROC_MAX_MSG) {
		vpd_log_guest(
			"desc %d (%s): protocol violation on its channel (%zd bytes%s), killed",
			p->desc, p->name, n, p->busy ? "" : ", unsolicited");
		snprintf(p->death, sizeof(p->death), "process broke its channel protocol");
		p->death_err = -VMM_E_SANDBOX;
		proc_kill(p);
		return;
	}
	m = p->q_head;
	p->q_head = m->next;
	if (!p->q_head)
		p->q_tail = NULL;
	p->busy = false;
	reply_msg(c, p, m, (int32_t)vmm_get32(buf), buf + 4, (size_t)n - 4);
	vpd_msg_put(c, m);
	proc_send(c, p);
}

/*
 * A process usually answers within microseconds of being sent a message
 * (it runs on the other core). Going to sleep in poll() for that reply
 * costs a sleep and a wake-up on both sides, which is most of what vprocd
 * adds to a round trip (bench/results/vproc.md). So for up to --poll-us
 * after a send, the channels of the busy processes are read without
 * sleeping; it stops at the first reply (to send it on at once) or when
 * the time is up. It never polls longer than that per message, and not at
 * all with nothing in flight: an idle vprocd sleeps.
 */
void vpd_proc_poll_replies(struct vpd_conn *c)
{
	unsigned int us = c->srv->cfg.poll_us;
	unsigned long replies = c->replies;

	if (!us)
		return;
	for (;;) {
		uint64_t now = vpd_now_us();
		bool any = false;

		for (struct vpd_proc *p = c->procs; p; p = p->next) {
			if (p->state != VPD_P_LIVE || !p->busy || p->chan < 0 || p->death_err ||
			    now >= p->sent_us + us)
				continue;
			any = true;
			vpd_proc_on_chan(c, p);
			if (c->replies != replies || c->out_head)
				return;
		}
		if (!any)
			return;
		sched_yield(); /* the process may be waiting for this CPU */
	}
}

/*
 * The same after a reply went to the guest: a guest that talks to its
 * processes sends the next request within microseconds of reading a reply.
 * For up to --poll-us after the last reply, with nothing else pending, try
 * to read it without sleeping (the read itself is the look: no peek first).
 * Returns 1 when something was read and fed to the frame reader, 0 when
 * nothing came in time, -1 when the connection is gone.
 */
int vpd_conn_poll_next(struct vpd_conn *c)
{
	unsigned int us = c->srv->cfg.poll_us;

	if (!us || c->out_head || c->inflight || c->rd != VPD_RD_HDR)
		return 0;
	while (vpd_now_us() < c->replied_us + us) {
		int r = vpd_conn_read(c);

		if (r)
			return r;
		sched_yield(); /* the guest's side may be waiting for this CPU */
	}
	return 0;
}

static const char *signame(int sig)
{
	switch (sig) {
	case SIGSEGV:
		return "SIGSEGV";
	case SIGBUS:
		return "SIGBUS";
	case SIGILL:
		return "SIGILL";
	case SIGFPE:
		return "SIGFPE";
	case SIGABRT:
		return "SIGABRT";
	case SIGKILL:
		return "SIGKILL";
	case SIGSYS:
		return "SIGSYS";
	case SIGXCPU:
		return "SIGXCPU";
	case SIGTRAP:
		return "SIGTRAP";
	}
	return "signal";
}

/* The pidfd became readable: the process has ended. Reap and report. */
void vpd_proc_on_exit(struct vpd_conn *c, struct vpd_proc *p)
{
	siginfo_t si;
	int err;

	memset(&si, 0, sizeof(si));
	if (waitid(P_PIDFD, (id_t)p->pidfd, &si, WEXITED | WNOHANG) < 0 || si.si_pid == 0)
		return;
	close(p->pidfd);
	p->pidfd = -1;
	if (p->state == VPD_P_CLOSING) {
		proc_unlink_free(c, p);
		return;
	}
	if (p->death_err) {
		err = p->death_err; /* already explained */
	} else if (p->timed_out) {
		err = -VMM_E_TIMEOUT;
		snprintf(p->death, sizeof(p->death), "no reply within %u ms: process killed",
			 c->srv->cfg.msg_timeout_ms);
	} else if (si.si_code == CLD_EXITED) {
		err = -VMM_E_EXITED;
		snprintf(p->death, sizeof(p->death), "process exited with status %d%s",
			 si.si_status,
			 si.si_status >= 120 && si.si_status <= 128 ? " (sandbox setup failed)"
								    : "");
	} else if (si.si_status == SIGSYS) {
		err = -VMM_E_SANDBOX;
		snprintf(p->death, sizeof(p->death),
			 "process killed by SIGSYS: forbidden system call (seccomp)");
	} else if (si.si_status == SIGXCPU || si.si_status == SIGKILL) {
		err = si.si_status == SIGXCPU ? -VMM_E_TIMEOUT : -VMM_E_CRASHED;
		snprintf(p->death, sizeof(p->death), "process killed by %s%s",
			 signame(si.si_status),
			 si.si_status == SIGXCPU ? " (CPU time limit)" : " (resource limit)");
	} else {
		err = -VMM_E_CRASHED;
		snprintf(p->death, sizeof(p->death), "process crashed: killed by %s (%d)",
			 signame(si.si_status), si.si_status);
	}
	p->death_err = err;
	p->state = VPD_P_DEAD;
	c->nlive--;
	vpd_log_guest("desc %d (%s): %s", p->desc, p->name, p->death);
	fail_queue(c, p, err, p->death);
	if (p->chan >= 0) {
		close(p->chan);
		p->chan = -1;
	}
}

void vpd_proc_timeouts(struct vpd_conn *c, uint64_t now)
{
	for (struct vpd_proc *p = c->procs; p; p = p->next) {
		if (p->state == VPD_P_LIVE && p->busy && !p->timed_out && now >= p->deadline_ms) {
			p->timed_out = true;
			proc_kill(p);
		}
	}
}

uint64_t vpd_proc_next_deadline(struct vpd_conn *c)
{
	uint64_t d = UINT64_MAX;

	for (struct vpd_proc *p = c->procs; p; p = p->next)
		if (p->state == VPD_P_LIVE && p->busy && !p->timed_out && p->deadline_ms < d)
			d = p->deadline_ms;
	return d;
}

/* The VM connection is gone: every process goes with it, reaped now. */
void vpd_proc_kill_all(struct vpd_conn *c)
{
	struct vpd_proc *p;

	while ((p = c->procs)) {
		struct vpd_msg *m;

		if (p->pidfd >= 0) {
			siginfo_t si;

			proc_kill(p);
			waitid(P_PIDFD, (id_t)p->pidfd, &si, WEXITED);
		}
		while ((m = p->q_head)) {
			p->q_head = m->next;
			vpd_msg_put(c, m);
		}
		proc_unlink_free(c, p);
	}
	c->nlive = 0;
	c->inflight = 0;
}
