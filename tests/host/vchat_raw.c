// SPDX-License-Identifier: GPL-2.0
/*
 * vchat_raw: a hostile or careless peer of the vchat server, for tests. It
 * speaks the frame format directly and holds no key.
 *
 *   vchat_raw HOST PORT MODE [ARG]
 *
 *   garbage     random bytes whose first four look like a huge length
 *   zero        a frame of length 0
 *   oversized   a frame of length 1,000,000 (above the 4096 maximum)
 *   badtype     HELLO, then a frame of unknown type 99
 *   nohello     a MSG-shaped frame before HELLO
 *   truncated   HELLO, then half a frame, then end of stream
 *   drip        HELLO, then a frame one byte every 200 ms (ARG: max seconds)
 *   noread      HELLO, then never read for ARG seconds; reports if dropped
 *   replay      HELLO, wait for a MSG from someone, send it back ARG times
 *   tamper      HELLO, wait for a MSG, flip one ciphertext bit, send it
 *   swarm       ARG connections (default 1000) that connect, maybe HELLO,
 *               maybe send a partial frame, and leave, all at random
 *   record      HELLO as "rec", then append every frame the server sends
 *               (WELCOME, JOIN/LEAVE, MSG; prefix included) to FILE for ARG
 *               seconds:  vchat_raw HOST PORT record SECONDS FILE
 *   fakeserver  an impersonated server: listens on HOST:PORT (0: any port,
 *               printed), takes one client's HELLO, answers with the frames
 *               of FILE (an earlier session's WELCOME and MSGs, as recorded),
 *               then reads what the client sends for ARG seconds:
 *               vchat_raw HOST PORT fakeserver SECONDS FILE
 *
 * HELLO carries protocol version $VCHAT_RAW_VERSION (default 2).
 * Prints what the server answered ("notice: ..."/"closed") on stdout.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define FRAME_MAX 4096

static const char *host, *port;
static int rcvbuf; /* set before connect when non-zero */
static int version = 2;

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int dial(void)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res;
	int fd;

	if (getaddrinfo(host, port, &hints, &res)) {
		fprintf(stderr, "vchat_raw: cannot resolve %s\n", host);
		exit(2);
	}
	fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd >= 0 && rcvbuf)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (fd < 0 || connect(fd, res->ai_addr, res->ai_addrlen)) {
		perror("vchat_raw: connect");
		exit(2);
	}
	freeaddrinfo(res);
	return fd;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void send_all(int fd, const void *p, size_t n)
{
	if (send(fd, p, n, MSG_NOSIGNAL) != (ssize_t)n)
		fprintf(stderr, "vchat_raw: short send: %s\n", strerror(errno));
}

static void hello(int fd, const char *nick)
{
	uint8_t f[64];
	size_t n = strlen(nick);

	f[4] = 1;
	f[5] = (uint8_t)version;
	f[6] = (uint8_t)n;
	memcpy(f + 7, nick, n);
	put32(f, (uint32_t)(3 + n));
	send_all(fd, f, 7 + n);
}

/* Reads one frame (blocking, with a timeout); returns body length or -1. */
static int read_frame(int fd, uint8_t *body, double timeout)
{
	uint8_t hdr[4];
	size_t got = 0, need = 4;
	uint8_t *dst = hdr;
	struct pollfd p = {.fd = fd, .events = POLLIN};
	double end = now_s() + timeout;
	ssize_t r;

	for (;;) {
		while (got < need) {
			int ms = (int)((end - now_s()) * 1000);

			if (ms <= 0 || poll(&p, 1, ms) <= 0)
				return -2;
			r = recv(fd, dst + got, need - got, 0);
			if (r <= 0)
				return -1;
			got += (size_t)r;
		}
		if (dst == body)
			return (int)need;
		need = get32(hdr);
		if (need == 0 || need > FRAME_MAX)
			return -1;
		dst = body;
		got = 0;
	}
}

/* Reads frames until the server closes; prints the NOTICE if one came. */
static int expect_close(int fd, double timeout)
{
	uint8_t body[FRAME_MAX + 1];
	int n;
	double start = now_s();

	for (;;) {
		n = read_frame(fd, body, timeout - (now_s() - start));
		if (n == -2) {
			printf("still open after %.1f s\n", timeout);
			return 1;
		}
		if (n < 0) {
			printf("closed after %.2f s\n", now_s() - start);
			return 0;
		}
		if (body[0] == 6) {
			body[n] = 0;
			printf("notice: %s\n", (char *)body + 1);
		}
	}
}

static int wait_msg(int fd, uint8_t *body)
{
	int n;

	for (;;) {
		n = read_frame(fd, body, 20);
		if (n < 0) {
			printf("no MSG frame arrived\n");
			return -1;
		}
		if (body[0] == 3)
			return n;
	}
}

static int swarm(int count)
{
	struct pollfd *p = calloc((size_t)count, sizeof(*p));
	double *deadline = calloc((size_t)count, sizeof(double));
	int i, open_n = 0, hellos = 0, partial = 0, garbage = 0;
	uint8_t buf[8192];
	double start = now_s();
	char nick[32];

	if (!p || !deadline)
		return 2;
	srand((unsigned int)getpid());
	for (i = 0; i < count; i++) {
		int fd = dial(), what = rand() % 5;

		p[i].fd = fd;
		p[i].events = POLLIN;
		deadline[i] = now_s() + (rand() % 2000) / 1000.0;
		open_n++;
		if (what >= 1) {
			snprintf(nick, sizeof(nick), "swarm%d", i);
			hello(fd, nick);
			hellos++;
		}
		if (what == 3) {
			uint8_t f[8];

			put32(f, 200);
			memset(f + 4, 3, 4);
			send_all(fd, f, sizeof(f));
			partial++;
		}
		if (what == 4) {
			for (size_t j = 0; j < 64; j++)
				buf[j] = (uint8_t)rand();
			send_all(fd, buf, 64);
			garbage++;
		}
		/* Some leave at once, mid-stream. */
		if (rand() % 10 == 0) {
			close(fd);
			p[i].fd = -1;
			open_n--;
		}
	}
	while (open_n) {
		double t = now_s();

		for (i = 0; i < count; i++)
			if (p[i].fd >= 0 && t >= deadline[i]) {
				close(p[i].fd);
				p[i].fd = -1;
				open_n--;
			}
		if (poll(p, (nfds_t)count, 20) < 0)
			break;
		for (i = 0; i < count; i++) {
			if (p[i].fd < 0 || !p[i].revents)
				continue;
			if (recv(p[i].fd, buf, sizeof(buf), MSG_DONTWAIT) <= 0) {
				close(p[i].fd);
				p[i].fd = -1;
				open_n--;
			}
		}
	}
	printf("swarm: %d connections (%d HELLO, %d partial frame, %d garbage) came and went in "
	       "%.1f s\n",
	       count, hellos, partial, garbage, now_s() - start);
	free(p);
	free(deadline);
	return 0;
}

/* Records what a real server sends to a keyless member, for fakeserver. */
static int record(int secs, const char *path)
{
	uint8_t body[FRAME_MAX + 4];
	double end = now_s() + secs;
	int fd = dial(), n, frames = 0, msgs = 0;
	FILE *f = fopen(path, "wb");

	if (!f) {
		perror(path);
		return 2;
	}
	hello(fd, "rec");
	while (now_s() < end) {
		n = read_frame(fd, body + 4, end - now_s());
		if (n < 0)
			break;
		put32(body, (uint32_t)n);
		fwrite(body, 1, 4 + (size_t)n, f);
		frames++;
		msgs += body[4] == 3;
	}
	fclose(f);
	close(fd);
	printf("recorded %d frames (%d MSG)\n", frames, msgs);
	return 0;
}

/*
 * Plays an impersonated or malicious server to one client: the recorded
 * WELCOME (with the old session's salt, where the protocol had one) and
 * every recorded frame, as they were.
 */
static int fakeserver(int secs, const char *path)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE}, *res;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	static uint8_t rec[1 << 20];
	uint8_t body[FRAME_MAX + 1];
	size_t len, off = 0;
	int lfd, fd, one = 1, frames = 0, msgs = 0, got = 0, n;
	double end;
	char nick[64];
	FILE *f = fopen(path, "rb");

	if (!f) {
		perror(path);
		return 2;
	}
	len = fread(rec, 1, sizeof(rec), f);
	fclose(f);
	if (getaddrinfo(host, port, &hints, &res)) {
		fprintf(stderr, "vchat_raw: cannot resolve %s\n", host);
		return 2;
	}
	lfd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (lfd < 0 || bind(lfd, res->ai_addr, res->ai_addrlen) || listen(lfd, 4)) {
		perror("vchat_raw: listen");
		return 2;
	}
	freeaddrinfo(res);
	getsockname(lfd, (struct sockaddr *)&ss, &sl);
	printf("fake server listening on port %u\n", ntohs(((struct sockaddr_in *)&ss)->sin_port));
	fflush(stdout);
	fd = accept(lfd, NULL, NULL);
	if (fd < 0) {
		perror("vchat_raw: accept");
		return 2;
	}
	n = read_frame(fd, body, 10);
	if (n < 3 || body[0] != 1) {
		printf("no HELLO from the client\n");
		return 1;
	}
	snprintf(nick, sizeof(nick), "%.*s", n - 3 < 32 ? n - 3 : 32, (char *)body + 3);
	printf("client HELLO: version %u, nick %s\n", body[1], nick);
	while (off + 4 <= len) {
		size_t fl = 4 + get32(rec + off);

		if (fl > 4 + FRAME_MAX || off + fl > len)
			break;
		send_all(fd, rec + off, fl);
		frames++;
		msgs += rec[off + 4] == 3;
		off += fl;
	}
	printf("replayed %d recorded frames (%d MSG) to %s\n", frames, msgs, nick);
	fflush(stdout);
	end = now_s() + secs;
	while (now_s() < end) {
		n = read_frame(fd, body, end - now_s());
		if (n < 0)
			break;
		got++;
	}
	printf("the client sent %d frames after HELLO\n", got);
	close(fd);
	close(lfd);
	return 0;
}

int main(int argc, char **argv)
{
	uint8_t f[FRAME_MAX + 64];
	const char *mode;
	int fd, n, i, arg;
	struct rlimit rl;

	if (argc < 4) {
		fprintf(stderr, "usage: vchat_raw HOST PORT MODE [ARG] (see the source)\n");
		return 2;
	}
	host = argv[1];
	port = argv[2];
	mode = argv[3];
	arg = argc > 4 ? atoi(argv[4]) : 0;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	if (getenv("VCHAT_RAW_VERSION"))
		version = atoi(getenv("VCHAT_RAW_VERSION"));
	if (!strcmp(mode, "swarm"))
		return swarm(arg ? arg : 1000);
	if ((!strcmp(mode, "record") || !strcmp(mode, "fakeserver")) && argc < 6) {
		fprintf(stderr, "usage: vchat_raw HOST PORT %s SECONDS FILE\n", mode);
		return 2;
	}
	if (!strcmp(mode, "record"))
		return record(arg, argv[5]);
	if (!strcmp(mode, "fakeserver"))
		return fakeserver(arg, argv[5]);

	if (!strcmp(mode, "noread"))
		rcvbuf = 4096;
	fd = dial();
	if (!strcmp(mode, "garbage")) {
		srand(7);
		for (i = 0; i < 512; i++)
			f[i] = (uint8_t)rand();
		f[0] = 0xde;
		send_all(fd, f, 512);
	} else if (!strcmp(mode, "zero")) {
		memset(f, 0, 8);
		send_all(fd, f, 8);
	} else if (!strcmp(mode, "oversized")) {
		hello(fd, "big");
		put32(f, 1000000);
		memset(f + 4, 3, 2048);
		send_all(fd, f, 2052);
	} else if (!strcmp(mode, "badtype")) {
		hello(fd, "odd");
		put32(f, 10);
		memset(f + 4, 99, 10);
		send_all(fd, f, 14);
	} else if (!strcmp(mode, "nohello")) {
		put32(f, 92);
		memset(f + 4, 0, 92);
		f[4] = 3;
		f[5] = 1;
		send_all(fd, f, 96);
	} else if (!strcmp(mode, "truncated")) {
		hello(fd, "half");
		put32(f, 200);
		memset(f + 4, 3, 100);
		send_all(fd, f, 104);
		shutdown(fd, SHUT_WR);
	} else if (!strcmp(mode, "drip")) {
		double start = now_s();

		hello(fd, "drip");
		put32(f, 92);
		f[4] = 3;
		for (i = 0; i < 96 && now_s() - start < arg; i++) {
			if (send(fd, f + i, 1, MSG_NOSIGNAL) != 1)
				break;
			usleep(200000);
		}
		printf("dripped %d bytes over %.1f s\n", i, now_s() - start);
	} else if (!strcmp(mode, "noread")) {
		hello(fd, "sleepy");
		sleep((unsigned int)arg);
		/* Now see whether the server gave up on us. */
		return expect_close(fd, 5) ? 1 : 0;
	} else if (!strcmp(mode, "replay") || !strcmp(mode, "tamper")) {
		hello(fd, "mallory");
		n = wait_msg(fd, f + 4);
		if (n < 0)
			return 1;
		put32(f, (uint32_t)n);
		if (!strcmp(mode, "tamper")) {
			f[4 + 44] ^= 0x01; /* first ciphertext byte */
			send_all(fd, f, 4 + (size_t)n);
			printf("sent 1 tampered copy\n");
		} else {
			for (i = 0; i < (arg ? arg : 1); i++)
				send_all(fd, f, 4 + (size_t)n);
			printf("replayed %d copies\n", arg ? arg : 1);
		}
		sleep(1);
		return 0;
	} else {
		fprintf(stderr, "vchat_raw: unknown mode %s\n", mode);
		return 2;
	}
	return expect_close(fd, 15) ? 1 : 0;
}
