// SPDX-License-Identifier: GPL-2.0
/*
 * The vchat relay: one thread, epoll, non-blocking sockets. It never holds the
 * key; it checks the shape of every frame and relays sealed MSG bodies.
 *
 * Everything broadcast goes into one append-only log of chunks; each client
 * holds a cursor into it (and a reference on the chunk under its cursor), so
 * a message is stored once whatever the number of readers and is written to
 * each socket straight from the log. A client's backlog is the distance from
 * its cursor to the end of the log; above max_queue it is dropped. Chunks no
 * cursor points into are freed.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <ratelimit/ratelimit.h>

#include "net.h"
#include "proto.h"
#include "server.h"

#define SRV_CHUNK (256 * 1024)
#define SRV_IN_SIZE (4 + VCHAT_FRAME_MAX + 8192)
#define SRV_PRIV_SIZE 512
#define SRV_MAX_EVENTS 256
#define SRV_TICK_MS 100
#define SRV_LOG_BURST 20
/*
 * Kernel send buffer per client. Left to autotuning it grows to 4 MiB on
 * Debian, which would let a client that stops reading pin 4 MiB of kernel
 * memory before our own queue limit even sees it.
 */
#define SRV_SNDBUF (64 * 1024)

struct srv_chunk {
	struct srv_chunk *next;
	uint64_t base; /* log offset of data[0] */
	size_t len;
	unsigned int refs; /* cursors inside this chunk */
	uint8_t data[SRV_CHUNK];
};

struct srv_conn {
	struct srv_conn *next, *prev; /* all connections */
	struct srv_conn *dead_next;
	int fd;
	unsigned int id;
	int hello_done;
	int dead;
	int blocked; /* waiting for EPOLLOUT */
	char nick[VCHAT_NICK_MAX + 1];
	uint64_t connected_ms;
	uint64_t partial_since_ms; /* 0: no incomplete frame */
	size_t in_len;
	uint8_t in[SRV_IN_SIZE];
	size_t priv_len, priv_off; /* WELCOME, before the log */
	uint8_t priv[SRV_PRIV_SIZE];
	struct srv_chunk *oc; /* NULL until HELLO */
	size_t opos;
};

struct srv {
	const struct vchat_server_opts *o;
	int ep, lfd, sfd;
	struct srv_conn *conns;
	struct srv_conn *dead;
	unsigned int nconns, online, next_id;
	struct srv_chunk *head, *tail;
	uint64_t now_ms, last_tick_ms, listen_paused_until;
	uint64_t msgs_in, conns_total, dropped;
	struct ratelimit log_rl;
	int stop;
};

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Messages a peer can trigger are rate limited: SRV_LOG_BURST a second. */
__attribute__((format(printf, 2, 3))) static void srv_log(struct srv *s, const char *fmt, ...)
{
	unsigned int dropped;
	va_list ap;
	bool pass = ratelimit_pass(&s->log_rl, s->now_ms, 1000, SRV_LOG_BURST, &dropped);

	if (dropped)
		fprintf(stderr, "vchat server: (%u messages suppressed)\n", dropped);
	if (!pass)
		return;
	va_start(ap, fmt);
	fputs("vchat server: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static uint64_t log_end(struct srv *s)
{
	return s->tail->base + s->tail->len;
}

static int log_append(struct srv *s, const uint8_t *p, size_t n)
{
	struct srv_chunk *c = s->tail;

	if (c->len + n > SRV_CHUNK) {
		struct srv_chunk *nc = malloc(sizeof(*nc));

		if (!nc)
			return -ENOMEM;
		nc->next = NULL;
		nc->base = c->base + c->len;
		nc->len = 0;
		nc->refs = 0;
		c->next = nc;
		s->tail = nc;
		c = nc;
	}
	memcpy(c->data + c->len, p, n);
	c->len += n;
	return 0;
}

static void log_gc(struct srv *s)
{
	while (s->head != s->tail && s->head->refs == 0) {
		struct srv_chunk *c = s->head;

		s->head = c->next;
		free(c);
	}
}

static uint64_t conn_backlog(struct srv *s, struct srv_conn *c)
{
	if (!c->oc)
		return 0;
	return log_end(s) - (c->oc->base + c->opos);
}

static void conn_set_out(struct srv *s, struct srv_conn *c, int want)
{
	struct epoll_event ev = {.events = EPOLLIN | (want ? EPOLLOUT : 0), .data.ptr = c};

	epoll_ctl(s->ep, EPOLL_CTL_MOD, c->fd, &ev);
	c->blocked = want;
}

static void announce(struct srv *s, enum vchat_type t, const char *nick, const char *reason)
{
	uint8_t f[4 + 6 + VCHAT_NICK_MAX + 200];
	size_t n = vchat_build_presence(f, t, s->online, nick, reason);

	if (log_append(s, f, n))
		srv_log(s, "out of memory announcing %s", nick);
}

/*
 * Drops a connection: tells the peer why (best effort, never blocking), and
 * the room that it left. The fd is closed and the memory freed at the end of
 * the loop iteration, so pending events never see freed memory.
 */
static void conn_drop(struct srv *s, struct srv_conn *c, const char *why)
{
	uint8_t f[4 + 1 + 400];
	size_t n;

	if (c->dead)
		return;
	c->dead = 1;
	if (why) {
		n = vchat_build_notice(f, why);
		if (send(c->fd, f, n, MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
			/* nothing more to do for a peer that cannot take it */
		}
		srv_log(s, "client %u (%s) dropped: %s", c->id,
			c->hello_done ? c->nick : "no HELLO yet", why);
		s->dropped++;
	}
	epoll_ctl(s->ep, EPOLL_CTL_DEL, c->fd, NULL);
	shutdown(c->fd, SHUT_RDWR);
	if (c->hello_done) {
		s->online--;
		announce(s, VCHAT_T_LEAVE, c->nick, why ? why : "left");
	}
	c->dead_next = s->dead;
	s->dead = c;
}

static void conn_free(struct srv *s, struct srv_conn *c)
{
	if (c->oc)
		c->oc->refs--;
	if (c->prev)
		c->prev->next = c->next;
	else
		s->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	close(c->fd);
	s->nconns--;
	free(c);
}

static void reap(struct srv *s)
{
	while (s->dead) {
		struct srv_conn *c = s->dead;

		s->dead = c->dead_next;
		conn_free(s, c);
	}
}

static int handle_hello(struct srv *s, struct srv_conn *c, const uint8_t *b, size_t n)
{
	if (n < 3 || b[0] != VCHAT_T_HELLO)
		return -EPROTO;
	if (b[1] != VCHAT_VERSION)
		return -EPROTONOSUPPORT;
	if (b[2] != n - 3 || !vchat_nick_valid(b + 3, n - 3))
		return -EINVAL;
	memcpy(c->nick, b + 3, n - 3);
	c->nick[n - 3] = 0;
	c->hello_done = 1;
	s->online++;
	c->priv_len = vchat_build_welcome(c->priv, s->online);
	c->priv_off = 0;
	/* The client reads the log from here on, starting with its own JOIN. */
	c->oc = s->tail;
	c->opos = s->tail->len;
	c->oc->refs++;
	announce(s, VCHAT_T_JOIN, c->nick, NULL);
	if (s->o->verbose)
		srv_log(s, "client %u joined as %s", c->id, c->nick);
	return 0;
}

static void handle_frame(struct srv *s, struct srv_conn *c, const uint8_t *b, size_t n)
{
	char why[96];
	uint64_t a, q, t;

	if (!c->hello_done) {
		int ret = handle_hello(s, c, b, n);

		if (ret == -EPROTO) {
			snprintf(why, sizeof(why),
				 "protocol error: expected HELLO, got frame type %u", b[0]);
			conn_drop(s, c, why);
		} else if (ret == -EPROTONOSUPPORT) {
			snprintf(why, sizeof(why),
				 "protocol error: client speaks vchat protocol %u, this server %u",
				 b[1], VCHAT_VERSION);
			conn_drop(s, c, why);
		} else if (ret) {
			conn_drop(s, c, "protocol error: bad HELLO (nick)");
		}
		return;
	}
	if (b[0] != VCHAT_T_MSG) {
		snprintf(why, sizeof(why), "protocol error: unexpected frame type %u", b[0]);
		conn_drop(s, c, why);
		return;
	}
	if (vchat_peek(b, n, &a, &q, &t)) {
		conn_drop(s, c, "protocol error: malformed MSG frame");
		return;
	}
	/* Relay the frame exactly as received (prefix included). */
	if (log_append(s, b - 4, n + 4)) {
		conn_drop(s, c, "server out of memory");
		return;
	}
	s->msgs_in++;
}

static void conn_read(struct srv *s, struct srv_conn *c)
{
	const uint8_t *body;
	size_t blen, used, off = 0;
	ssize_t r;
	int ret, consumed = 0;
	char why[96];

	r = recv(c->fd, c->in + c->in_len, sizeof(c->in) - c->in_len, 0);
	if (r == 0) {
		if (c->in_len)
			conn_drop(s, c, "connection closed in the middle of a frame (truncated)");
		else
			conn_drop(s, c, NULL);
		return;
	}
	if (r < 0) {
		if (errno != EAGAIN && errno != EINTR)
			conn_drop(s, c, NULL);
		return;
	}
	c->in_len += (size_t)r;
	while (!c->dead) {
		ret = vchat_frame_next(c->in + off, c->in_len - off, &body, &blen, &used);
		if (ret == 0)
			break;
		if (ret < 0) {
			snprintf(why, sizeof(why), "frame length %u is 0 or above the maximum %u",
				 vchat_get32(c->in + off), VCHAT_FRAME_MAX);
			conn_drop(s, c, why);
			return;
		}
		handle_frame(s, c, body, blen);
		off += used;
		consumed = 1;
	}
	if (c->dead)
		return;
	if (off) {
		memmove(c->in, c->in + off, c->in_len - off);
		c->in_len -= off;
	}
	if (consumed)
		c->partial_since_ms = c->in_len ? s->now_ms : 0;
	else if (!c->partial_since_ms)
		c->partial_since_ms = s->now_ms;
}

static void conn_flush(struct srv *s, struct srv_conn *c)
{
	ssize_t w;
	size_t avail;

	while (c->priv_off < c->priv_len) {
		w = send(c->fd, c->priv + c->priv_off, c->priv_len - c->priv_off, MSG_NOSIGNAL);
		if (w < 0)
			goto err;
		c->priv_off += (size_t)w;
	}
	if (!c->oc)
		return;
	for (;;) {
		avail = c->oc->len - c->opos;
		if (!avail) {
			if (!c->oc->next)
				return;
			c->oc->refs--;
			c->oc = c->oc->next;
			c->oc->refs++;
			c->opos = 0;
			continue;
		}
		w = send(c->fd, c->oc->data + c->opos, avail, MSG_NOSIGNAL);
		if (w < 0)
			goto err;
		c->opos += (size_t)w;
		if ((size_t)w < avail) {
			/* Socket buffer full: wait for EPOLLOUT. */
			conn_set_out(s, c, 1);
			return;
		}
	}
err:
	if (errno == EAGAIN || errno == EINTR)
		conn_set_out(s, c, 1);
	else
		conn_drop(s, c, NULL);
}

static void conn_accept(struct srv *s)
{
	struct srv_conn *c;
	struct epoll_event ev;
	int i, fd, one = 1, sndbuf = SRV_SNDBUF;
	uint8_t f[4 + 1 + 400];

	for (i = 0; i < 64; i++) {
		fd = accept4(s->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
			    errno == ENOMEM) {
				srv_log(s, "accept: %s; pausing accepts for 100 ms",
					strerror(errno));
				ev.events = 0;
				ev.data.ptr = NULL;
				epoll_ctl(s->ep, EPOLL_CTL_MOD, s->lfd, &ev);
				s->listen_paused_until = s->now_ms + 100;
			}
			return;
		}
		if (s->nconns >= s->o->max_clients) {
			size_t n = vchat_build_notice(f, "server full");

			if (send(fd, f, n, MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
				/* best effort */
			}
			close(fd);
			srv_log(s, "refused a connection: %u clients (--max-clients)", s->nconns);
			continue;
		}
		c = malloc(sizeof(*c));
		if (!c) {
			close(fd);
			return;
		}
		memset(c, 0, offsetof(struct srv_conn, in));
		c->priv_len = c->priv_off = 0;
		c->oc = NULL;
		c->opos = 0;
		c->fd = fd;
		c->id = ++s->next_id;
		c->connected_ms = s->now_ms;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
		ev.events = EPOLLIN;
		ev.data.ptr = c;
		if (epoll_ctl(s->ep, EPOLL_CTL_ADD, fd, &ev)) {
			close(fd);
			free(c);
			continue;
		}
		c->next = s->conns;
		if (s->conns)
			s->conns->prev = c;
		s->conns = c;
		s->nconns++;
		s->conns_total++;
	}
}

static void tick(struct srv *s)
{
	struct srv_conn *c;
	char why[96];

	if (s->listen_paused_until && s->now_ms >= s->listen_paused_until) {
		struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};

		epoll_ctl(s->ep, EPOLL_CTL_MOD, s->lfd, &ev);
		s->listen_paused_until = 0;
	}
	for (c = s->conns; c; c = c->next) {
		if (c->dead)
			continue;
		if (c->partial_since_ms &&
		    s->now_ms - c->partial_since_ms > s->o->frame_timeout_ms) {
			snprintf(why, sizeof(why),
				 "incomplete frame for more than %u ms (slow or truncated input)",
				 s->o->frame_timeout_ms);
			conn_drop(s, c, why);
		} else if (!c->hello_done && s->now_ms - c->connected_ms > s->o->hello_timeout_ms) {
			snprintf(why, sizeof(why), "no HELLO within %u ms", s->o->hello_timeout_ms);
			conn_drop(s, c, why);
		}
	}
}

static void enforce_queue_limit(struct srv *s)
{
	struct srv_conn *c;
	char why[96];

	if (log_end(s) - s->head->base <= s->o->max_queue)
		return;
	for (c = s->conns; c; c = c->next) {
		if (!c->dead && conn_backlog(s, c) > s->o->max_queue) {
			snprintf(why, sizeof(why),
				 "output queue above %zu bytes (client not reading)",
				 s->o->max_queue);
			conn_drop(s, c, why);
		}
	}
}

static int srv_setup(struct srv *s)
{
	struct epoll_event ev;
	sigset_t mask;
	char bound[128];

	s->head = s->tail = calloc(1, sizeof(struct srv_chunk));
	if (!s->head)
		return -ENOMEM;
	s->lfd = vchat_listen(s->o->listen, bound, sizeof(bound));
	if (s->lfd < 0) {
		fprintf(stderr, "vchat server: cannot listen on %s: %s\n", s->o->listen,
			strerror(-s->lfd));
		return s->lfd;
	}
	s->ep = epoll_create1(EPOLL_CLOEXEC);
	if (s->ep < 0)
		return -errno;
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	s->sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (s->sfd < 0)
		return -errno;
	ev.events = EPOLLIN;
	ev.data.ptr = NULL;
	if (epoll_ctl(s->ep, EPOLL_CTL_ADD, s->lfd, &ev))
		return -errno;
	ev.data.ptr = &s->sfd;
	if (epoll_ctl(s->ep, EPOLL_CTL_ADD, s->sfd, &ev))
		return -errno;
	fprintf(stderr,
		"vchat server: listening on %s (relays sealed frames, holds no key; max frame %u, "
		"queue %zu bytes per client)\n",
		bound, VCHAT_FRAME_MAX, s->o->max_queue);
	return 0;
}

static void srv_teardown(struct srv *s)
{
	struct srv_chunk *ch;

	while (s->conns) {
		if (!s->conns->dead) {
			s->conns->dead = 1;
			s->conns->dead_next = s->dead;
			s->dead = s->conns;
		}
		reap(s);
	}
	while (s->head) {
		ch = s->head;
		s->head = ch->next;
		free(ch);
	}
	if (s->sfd >= 0)
		close(s->sfd);
	if (s->ep >= 0)
		close(s->ep);
	if (s->lfd >= 0)
		close(s->lfd);
}

int vchat_server_run(const struct vchat_server_opts *o)
{
	struct epoll_event evs[SRV_MAX_EVENTS];
	struct srv s;
	struct srv_conn *c;
	int i, n, ret;

	memset(&s, 0, sizeof(s));
	s.o = o;
	s.ep = s.lfd = s.sfd = -1;
	signal(SIGPIPE, SIG_IGN);
	vchat_raise_nofile();
	s.now_ms = mono_ms();
	ret = srv_setup(&s);
	if (ret)
		goto out;

	while (!s.stop) {
		n = epoll_wait(s.ep, evs, SRV_MAX_EVENTS, SRV_TICK_MS);
		if (n < 0 && errno != EINTR) {
			ret = -errno;
			break;
		}
		s.now_ms = mono_ms();
		for (i = 0; i < n; i++) {
			void *p = evs[i].data.ptr;

			if (!p) {
				conn_accept(&s);
				continue;
			}
			if (p == &s.sfd) {
				s.stop = 1;
				continue;
			}
			c = p;
			if (c->dead)
				continue;
			if (evs[i].events & EPOLLOUT)
				conn_set_out(&s, c, 0);
			if (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))
				conn_read(&s, c);
		}
		/* Write what the log holds to every client not waiting for room. */
		for (c = s.conns; c; c = c->next)
			if (!c->dead && !c->blocked &&
			    (c->priv_off < c->priv_len || (c->oc && conn_backlog(&s, c))))
				conn_flush(&s, c);
		enforce_queue_limit(&s);
		if (s.now_ms - s.last_tick_ms >= SRV_TICK_MS) {
			s.last_tick_ms = s.now_ms;
			tick(&s);
		}
		reap(&s);
		log_gc(&s);
	}
	fprintf(stderr,
		"vchat server: exiting: %llu connections served, %llu messages relayed, %llu "
		"clients dropped\n",
		(unsigned long long)s.conns_total, (unsigned long long)s.msgs_in,
		(unsigned long long)s.dropped);
out:
	srv_teardown(&s);
	return ret;
}
