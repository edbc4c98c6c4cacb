// SPDX-License-Identifier: GPL-2.0
/*
 * The vchat client: lines from stdin (a terminal or a pipe) are sealed and
 * sent; frames from the server are checked, opened and printed with sender
 * and time. A message that fails its MAC, its padding, the replay check or
 * the freshness check is reported with a note and the session goes on.
 *
 * Freshness (the server is not trusted to say what is new): on joining, a
 * client announces a random nonce in a sealed KEYCHECK; every member answers
 * it once with a KEYCHECK carrying its own nonce and ours. A member's chat
 * lines are shown only if that member answered our nonce, and only those
 * with a sequence number above its answer's: they were sealed after it saw
 * us join. A recorded frame cannot carry a nonce made after it was sealed.
 * So that members show our lines, lines typed before we have answered every
 * member the server counts wait (CLI_HOLD_MS at most) in a small queue.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "client.h"
#include "net.h"
#include "passphrase.h"
#include "proto.h"

#define CLI_IN_SIZE (4 + VCHAT_FRAME_MAX + 8192)
#define CLI_LINE_MAX (VCHAT_TEXT_MAX + 2)
/* Lines typed while members have not answered our key check wait this long at most. */
#define CLI_HOLD_MS 3000
#define CLI_QUEUE 16

struct cli {
	const struct vchat_client_opts *o;
	int fd;
	int tty;
	struct vchat_crypto *crypto;
	struct vchat_replay *replay;
	uint64_t sender;
	uint64_t seq;
	uint8_t nonce[VCHAT_NONCE_LEN]; /* this session's join nonce */
	uint32_t online; /* as the server counts it (WELCOME, JOIN, LEAVE) */
	uint32_t answered_live; /* members whose nonce we answered, still online */
	uint32_t written_off; /* members that never answered within CLI_HOLD_MS */
	int qn; /* lines waiting for the key check */
	uint64_t hold_until_ms;
	size_t qlen[CLI_QUEUE];
	char q[CLI_QUEUE][VCHAT_TEXT_MAX];
	size_t in_len;
	uint8_t in[CLI_IN_SIZE];
	size_t line_len;
	int line_overflow;
	char line[CLI_LINE_MAX + 1];
	uint8_t out[4 + VCHAT_FRAME_MAX];
	unsigned long rejected;
};

static volatile sig_atomic_t cli_stop;

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void on_signal(int sig)
{
	cli_stop = 1;
}

static void stamp(char *buf, size_t n, uint64_t us)
{
	time_t t = (time_t)(us / 1000000);
	struct tm tm;

	localtime_r(&t, &tm);
	strftime(buf, n, "%H:%M:%S", &tm);
}

static void prompt(struct cli *c)
{
	if (c->tty) {
		fputs("vchat> ", stdout);
		fflush(stdout);
	}
}

/* One line of output; on a terminal it replaces the prompt and redraws it. */
__attribute__((format(printf, 3, 4))) static void say(struct cli *c, uint64_t us, const char *fmt,
						      ...)
{
	char ts[16];
	va_list ap;

	stamp(ts, sizeof(ts), us ? us : vchat_now_us());
	if (c->tty)
		fputs("\r\033[K", stdout);
	printf("[%s] ", ts);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	prompt(c);
	fflush(stdout);
}

static int send_all(int fd, const uint8_t *p, size_t n)
{
	ssize_t w;

	while (n) {
		w = send(fd, p, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int send_sealed(struct cli *c, enum vchat_kind kind, const void *payload, size_t len)
{
	int n;

	n = vchat_seal(c->crypto, c->sender, ++c->seq, vchat_now_us(), kind, c->o->nick, payload,
		       len, c->out, sizeof(c->out));
	if (n < 0) {
		say(c, 0, "! could not seal the message: %s", strerror(-n));
		return 0;
	}
	n = send_all(c->fd, c->out, (size_t)n);
	vchat_wipe(c->out, sizeof(c->out));
	return n;
}

/* Our nonce and the one we answer (zero: our own announcement). */
static int send_keycheck(struct cli *c, const uint8_t *theirs)
{
	uint8_t p[VCHAT_KEYCHECK_LEN];

	memcpy(p, c->nonce, VCHAT_NONCE_LEN);
	if (theirs)
		memcpy(p + VCHAT_NONCE_LEN, theirs, VCHAT_NONCE_LEN);
	else
		memset(p + VCHAT_NONCE_LEN, 0, VCHAT_NONCE_LEN);
	return send_sealed(c, VCHAT_K_KEYCHECK, p, sizeof(p));
}

/* Members the server counts whose nonce we have not answered yet. */
static long unanswered(struct cli *c)
{
	return (long)c->online - 1 - (long)c->answered_live - (long)c->written_off;
}

/*
 * Sends the queued lines once every member is answered, or when the hold
 * ran out (force: the queue is full): members that did not answer by then
 * are written off until the count changes.
 */
static int queue_flush(struct cli *c, int force)
{
	long pend = unanswered(c);
	int i, ret = 0;

	if (!c->qn || (pend > 0 && !force && mono_ms() < c->hold_until_ms))
		return 0;
	if (pend > 0) {
		c->written_off += (uint32_t)pend;
		say(c, 0,
		    "! %ld member(s) did not answer our key check in time (wrong passphrase or "
		    "room, or not a vchat %u client); sending anyway: they will not show our "
		    "lines",
		    pend, VCHAT_VERSION);
	}
	for (i = 0; i < c->qn; i++) {
		if (!ret)
			ret = send_sealed(c, VCHAT_K_TEXT, c->q[i], c->qlen[i]);
		vchat_wipe(c->q[i], c->qlen[i]);
	}
	c->qn = 0;
	return ret;
}

static int submit_line(struct cli *c, const char *text, size_t len)
{
	int ret;

	if (c->qn == CLI_QUEUE) {
		ret = queue_flush(c, 1);
		if (ret)
			return ret;
	}
	if (!c->qn && unanswered(c) <= 0)
		return send_sealed(c, VCHAT_K_TEXT, text, len);
	if (!c->qn)
		c->hold_until_ms = mono_ms() + CLI_HOLD_MS;
	memcpy(c->q[c->qn], text, len);
	c->qlen[c->qn++] = len;
	return 0;
}

/*
 * A member's KEYCHECK: if it answers our nonce, its later frames show; if
 * we have not answered its nonce yet, we do, once per sender id.
 */
static void handle_keycheck(struct cli *c, const struct vchat_msg *m, struct vchat_peer *p)
{
	const uint8_t *theirs = (const uint8_t *)m->text;
	const uint8_t *answers = theirs + VCHAT_NONCE_LEN;

	if (!p->fresh && vchat_ct_equal(answers, c->nonce, VCHAT_NONCE_LEN)) {
		p->fresh = 1;
		p->floor = m->seq;
		say(c, 0, "* %s has the room key (answered our key check)", m->nick);
	}
	if (p->answered)
		return;
	p->answered = 1;
	memcpy(p->nick, m->nick, sizeof(p->nick));
	c->answered_live++;
	if (send_keycheck(c, theirs))
		say(c, 0, "! could not answer <%s>'s key check", m->nick);
	if (queue_flush(c, 0))
		say(c, 0, "! could not send the waiting lines");
}

static void handle_msg(struct cli *c, const uint8_t *b, size_t n)
{
	struct vchat_msg m;
	char nick[VCHAT_NICK_MAX + 1], text[VCHAT_TEXT_MAX + 1], ts[16];
	struct vchat_peer *p;
	int ret;

	ret = vchat_open(c->crypto, b, n, &m);
	if (ret == -EPROTO) {
		c->rejected++;
		say(c, 0, "! rejected a malformed message (%zu bytes)", n);
		goto out;
	}
	if (ret == -EBADMSG) {
		c->rejected++;
		say(c, 0,
		    "! rejected a message from sender %016llx: authentication failed (wrong key or "
		    "tampered)",
		    (unsigned long long)m.sender);
		goto out;
	}
	if (ret) {
		c->rejected++;
		say(c, 0, "! rejected a message from sender %016llx: %s",
		    (unsigned long long)m.sender,
		    ret == -EILSEQ ? "bad contents after a valid MAC" : strerror(-ret));
		goto out;
	}
	vchat_sanitize(nick, m.nick, strlen(m.nick));
	ret = vchat_replay_check(c->replay, m.sender, m.seq);
	if (ret) {
		c->rejected++;
		say(c, 0, "! rejected a replayed message from <%s> (sequence %llu already seen)",
		    nick, (unsigned long long)m.seq);
		goto out;
	}
	if (m.sender == c->sender)
		goto out; /* our own frame, relayed back */
	p = vchat_replay_find(c->replay, m.sender);
	if (m.kind == VCHAT_K_KEYCHECK) {
		handle_keycheck(c, &m, p);
		goto out;
	}
	if (!p->fresh || m.seq <= p->floor) {
		c->rejected++;
		stamp(ts, sizeof(ts), m.time_us);
		say(c, 0,
		    "! not shown: a message from <%s> stamped %s, not sealed after its sender "
		    "answered our key check (replayed from before we joined, or sent while we "
		    "were joining)",
		    nick, ts);
		goto out;
	}
	vchat_sanitize(text, m.text, m.text_len);
	say(c, m.time_us, "<%s> %s", nick, text);
	vchat_wipe(text, sizeof(text));
out:
	vchat_wipe(&m, sizeof(m));
}

static void presence_left(struct cli *c, const char *nick)
{
	struct vchat_peer *p;
	size_t pos = 0;
	long pend;

	while ((p = vchat_replay_next(c->replay, &pos)))
		if (p->answered && !p->gone && !strcmp(p->nick, nick)) {
			p->gone = 1;
			c->answered_live--;
			break;
		}
	pend = (long)c->online - 1 - (long)c->answered_live;
	if ((long)c->written_off > pend)
		c->written_off = pend > 0 ? (uint32_t)pend : 0;
}

static void handle_presence(struct cli *c, const uint8_t *b, size_t n)
{
	char nick[VCHAT_NICK_MAX + 1], reason[256];
	size_t nl;

	if (n < 6 || (nl = b[5]) > VCHAT_NICK_MAX || 6 + nl > n || n - 6 - nl > 200) {
		say(c, 0, "! ignored a malformed presence frame from the server");
		return;
	}
	vchat_sanitize(nick, (const char *)b + 6, nl);
	vchat_sanitize(reason, (const char *)b + 6 + nl, n - 6 - nl);
	/* Only the hold before sending depends on these counts (liveness). */
	c->online = vchat_get32(b + 1);
	if (b[0] == VCHAT_T_LEAVE)
		presence_left(c, nick);
	if (b[0] == VCHAT_T_JOIN)
		say(c, 0, "* %s joined (%u online)", nick, vchat_get32(b + 1));
	else
		say(c, 0, "* %s left (%s; %u online)", nick, reason[0] ? reason : "left",
		    vchat_get32(b + 1));
}

static int handle_frame(struct cli *c, const uint8_t *b, size_t n)
{
	char text[512];

	switch (b[0]) {
	case VCHAT_T_MSG:
		handle_msg(c, b, n);
		return 0;
	case VCHAT_T_JOIN:
	case VCHAT_T_LEAVE:
		handle_presence(c, b, n);
		return 0;
	case VCHAT_T_NOTICE:
		n = n - 1 > 400 ? 400 : n - 1;
		vchat_sanitize(text, (const char *)b + 1, n);
		say(c, 0, "! server: %s", text);
		return 0;
	case VCHAT_T_WELCOME:
		return 0;
	default:
		say(c, 0, "! ignored a frame of unknown type %u from the server", b[0]);
		return 0;
	}
}

/* Handles every complete frame in the input buffer. */
static int process_input(struct cli *c)
{
	const uint8_t *body;
	size_t blen, used, off = 0;
	int ret;

	for (;;) {
		ret = vchat_frame_next(c->in + off, c->in_len - off, &body, &blen, &used);
		if (ret == 0)
			break;
		if (ret < 0) {
			say(c, 0, "! the server sent a frame of bad length; disconnecting");
			return -EPROTO;
		}
		handle_frame(c, body, blen);
		off += used;
	}
	memmove(c->in, c->in + off, c->in_len - off);
	c->in_len -= off;
	return 0;
}

/* Reads what the socket has; returns -EPIPE when the server closed. */
static int sock_read(struct cli *c)
{
	ssize_t r;

	r = recv(c->fd, c->in + c->in_len, sizeof(c->in) - c->in_len, 0);
	if (r == 0)
		return -EPIPE;
	if (r < 0)
		return errno == EINTR ? 0 : -errno;
	c->in_len += (size_t)r;
	return process_input(c);
}

/* Reads stdin; sends every complete line. Returns 1 at EOF. */
static int stdin_read(struct cli *c)
{
	char buf[4096];
	ssize_t r;
	int ret;
	size_t i;

	r = read(STDIN_FILENO, buf, sizeof(buf));
	if (r < 0)
		return errno == EINTR ? 0 : -errno;
	if (r == 0) {
		if (c->line_len && !c->line_overflow)
			ret = submit_line(c, c->line, c->line_len);
		else
			ret = 0;
		c->line_len = 0;
		return ret ? ret : 1;
	}
	for (i = 0; i < (size_t)r; i++) {
		char ch = buf[i];

		if (ch != '\n') {
			if (c->line_len < CLI_LINE_MAX)
				c->line[c->line_len++] = ch;
			else
				c->line_overflow = 1;
			continue;
		}
		if (c->line_len && c->line[c->line_len - 1] == '\r')
			c->line_len--;
		if (c->line_overflow || c->line_len > VCHAT_TEXT_MAX) {
			say(c, 0, "! line longer than %u bytes, not sent", VCHAT_TEXT_MAX);
		} else if (c->line_len == 5 && !memcmp(c->line, "/quit", 5)) {
			c->line_len = 0;
			return 1;
		} else if (c->line_len) {
			ret = submit_line(c, c->line, c->line_len);
			if (ret)
				return ret;
		} else {
			prompt(c);
		}
		vchat_wipe(c->line, c->line_len);
		c->line_len = 0;
		c->line_overflow = 0;
	}
	vchat_wipe(buf, sizeof(buf));
	return 0;
}

/* HELLO, then wait for WELCOME (or the server's NOTICE). */
static int handshake(struct cli *c)
{
	const uint8_t *body;
	size_t blen, used, n;
	struct pollfd p = {.fd = c->fd, .events = POLLIN};
	char text[512];
	ssize_t r;
	int ret;

	n = vchat_build_hello(c->out, c->o->nick);
	ret = send_all(c->fd, c->out, n);
	if (ret)
		return ret;
	for (;;) {
		ret = poll(&p, 1, 10000);
		if (ret == 0)
			return -ETIMEDOUT;
		if (ret < 0 && errno == EINTR && !cli_stop)
			continue;
		if (ret < 0)
			return -errno;
		r = recv(c->fd, c->in + c->in_len, sizeof(c->in) - c->in_len, 0);
		if (r <= 0)
			return r == 0 ? -ECONNRESET : -errno;
		c->in_len += (size_t)r;
		ret = vchat_frame_next(c->in, c->in_len, &body, &blen, &used);
		if (ret < 0)
			return -EPROTO;
		if (ret == 0)
			continue;
		if (body[0] == VCHAT_T_NOTICE) {
			n = blen - 1 > 400 ? 400 : blen - 1;
			vchat_sanitize(text, (const char *)body + 1, n);
			fprintf(stderr, "vchat: server refused us: %s\n", text);
			return -ECONNREFUSED;
		}
		if (body[0] != VCHAT_T_WELCOME || blen < 2)
			return -EPROTO;
		if (body[1] != VCHAT_VERSION) {
			fprintf(stderr,
				"vchat: the server speaks vchat protocol %u, this client %u\n",
				body[1], VCHAT_VERSION);
			return -EPROTONOSUPPORT;
		}
		if (blen < VCHAT_WELCOME_LEN)
			return -EPROTO;
		c->online = vchat_get32(body + 2);
		memmove(c->in, c->in + used, c->in_len - used);
		c->in_len -= used;
		return 0;
	}
}

static int session(struct cli *c)
{
	struct pollfd p[2];
	uint64_t linger_end = 0, now;
	int ret, stdin_open = 1, lingering = 0, r;

	prompt(c);
	/* Our key check first: members answer it, and we them. */
	ret = send_keycheck(c, NULL);
	if (ret)
		return ret;
	/* Frames that arrived together with WELCOME. */
	ret = process_input(c);
	if (ret)
		return ret;
	while (!cli_stop) {
		int timeout = -1;

		now = mono_ms();
		if (c->qn) {
			ret = queue_flush(c, 0);
			if (ret)
				return ret;
		}
		if (!stdin_open && !c->qn && !lingering) {
			lingering = 1;
			linger_end = now + c->o->linger_ms;
		}
		if (lingering) {
			if (now >= linger_end)
				return 0;
			timeout = (int)(linger_end - now);
		} else if (c->qn) {
			timeout = c->hold_until_ms > now ? (int)(c->hold_until_ms - now) : 0;
		}
		p[0].fd = c->fd;
		p[0].events = POLLIN;
		p[1].fd = stdin_open ? STDIN_FILENO : -1;
		p[1].events = POLLIN;
		r = poll(p, 2, timeout);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (p[0].revents) {
			ret = sock_read(c);
			if (ret == -EPIPE) {
				say(c, 0, "! the server closed the connection");
				return -EPIPE;
			}
			if (ret)
				return ret;
		}
		if (stdin_open && p[1].revents) {
			ret = stdin_read(c);
			if (ret < 0)
				return ret;
			if (ret == 1)
				stdin_open = 0;
		}
	}
	return 0;
}

int vchat_client_run(const struct vchat_client_opts *o)
{
	char pass[VCHAT_PASS_MAX], why[160];
	uint8_t ek[VCHAT_KEY_LEN], mk[VCHAT_KEY_LEN];
	const char *src = "";
	struct sigaction sa;
	struct cli *c;
	int ret, plen, err = 0;
	char port_desc[300];

	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->o = o;
	c->fd = -1;
	c->tty = isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	plen = vchat_read_passphrase(o->key_file, pass, &src);
	if (plen < 0) {
		fprintf(stderr,
			"vchat: no passphrase (%s): use --key-file FILE, the %s environment "
			"variable, or a terminal for the prompt\n",
			plen == -ENODATA ? "empty" : strerror(-plen), VCHAT_PASS_ENV);
		ret = plen;
		goto out_free;
	}
	/* The room key depends on the passphrase and the room name only. */
	ret = vchat_kdf(pass, (size_t)plen, o->room, ek, mk);
	vchat_wipe(pass, sizeof(pass));
	if (ret)
		goto out_wipe;
	c->crypto = vchat_crypto_new(o->crypto, ek, mk, &err, why, sizeof(why));
	vchat_wipe(ek, sizeof(ek));
	vchat_wipe(mk, sizeof(mk));
	if (!c->crypto) {
		fprintf(stderr, "vchat: crypto provider %s unavailable: %s\n",
			o->crypto == VCHAT_CRYPTO_DEVCRYPTO ? "devcrypto"
			: o->crypto == VCHAT_CRYPTO_OPENSSL ? "openssl"
							    : "auto",
			strerror(-err));
		ret = err;
		goto out_wipe;
	}
	fprintf(stderr,
		"vchat: crypto provider %s: %s; key from %s, PBKDF2-HMAC-SHA256 (%u iterations, "
		"salt from the room name) via OpenSSL%s%s\n",
		c->crypto->ops->name, c->crypto->desc, src, VCHAT_KDF_ITER, why[0] ? "; " : "",
		why);
	c->replay = vchat_replay_new();
	if (!c->replay || getrandom(&c->sender, sizeof(c->sender), 0) != sizeof(c->sender) ||
	    getrandom(c->nonce, sizeof(c->nonce), 0) != sizeof(c->nonce)) {
		ret = -ENOMEM;
		goto out_wipe;
	}
	c->fd = vchat_connect(o->host, o->port);
	if (c->fd < 0) {
		snprintf(port_desc, sizeof(port_desc), "%s port %s", o->host, o->port);
		fprintf(stderr, "vchat: cannot connect to %s: %s\n", port_desc, strerror(-c->fd));
		ret = c->fd;
		goto out_wipe;
	}
	ret = handshake(c);
	if (ret) {
		if (ret != -ECONNREFUSED && ret != -EPROTONOSUPPORT)
			fprintf(stderr, "vchat: handshake with the server failed: %s\n",
				strerror(-ret));
		goto out_wipe;
	}
	fprintf(stderr, "vchat: connected to %s:%s as %s in room \"%s\"\n", o->host, o->port,
		o->nick, o->room);
	ret = session(c);
	if (c->tty)
		putchar('\n');
	fflush(stdout);
out_wipe:
	vchat_wipe(pass, sizeof(pass));
	vchat_crypto_free(c->crypto);
	vchat_replay_free(c->replay);
	if (c->fd >= 0)
		close(c->fd);
out_free:
	vchat_wipe(c, sizeof(*c));
	free(c);
	return ret;
}
