// SPDX-License-Identifier: GPL-2.0
/*
 * vchat_load: load generator for the vchat server (make bench).
 *
 *   vchat_load -p PORT [-H HOST] [-c CLIENTS] [-d SECONDS] [-w WINDOW]
 *              [-s BYTES] [-r MSGS_PER_S]
 *
 * Opens CLIENTS connections, says HELLO on each, then sends real sealed
 * MSG frames (OpenSSL provider, a random room key, BYTES of text, the send
 * time in the header) from the clients in turn. Every client reads all it
 * gets and counts MSG frames from others, without decrypting them, taking
 * the delivery latency from the clear header's time stamp. A window keeps at
 * most WINDOW messages in flight (sent but not yet delivered to all others),
 * so the server is driven at what it can deliver without overflowing its
 * per-client queues; -r sets a fixed offered rate instead.
 * Prints one line of key=value results.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "net.h"
#include "proto.h"

#define LAT_BUCKET_US 10
#define LAT_BUCKETS 1000000 /* 10 s */
#define IN_SIZE 65536

struct lclient {
	int fd;
	uint64_t sender;
	uint64_t seq;
	size_t in_len;
	uint8_t in[IN_SIZE];
};

static uint64_t mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static uint64_t pct(const uint32_t *h, uint64_t n, double p)
{
	uint64_t want = (uint64_t)(p * (double)n), acc = 0;
	size_t i;

	for (i = 0; i < LAT_BUCKETS; i++) {
		acc += h[i];
		if (acc > want)
			return (uint64_t)i * LAT_BUCKET_US;
	}
	return (uint64_t)LAT_BUCKETS * LAT_BUCKET_US;
}

int main(int argc, char **argv)
{
	const char *host = "127.0.0.1", *port = NULL;
	int nclients = 1000, secs = 5, window = 200, size = 100, rate = 0;
	struct lclient *cl;
	struct vchat_crypto *cr;
	uint8_t ek[32], mk[32], frame[4 + VCHAT_FRAME_MAX];
	char text[VCHAT_TEXT_MAX], nick[16];
	uint32_t *hist;
	uint64_t sent = 0, delivered = 0, m_sent = 0, m_deliv = 0, lat_n = 0;
	uint64_t t0, t_meas, t_end, now, next_send, echo = 0, other = 0;
	int i, c, ep, err = 0, rr = 0, measuring = 0;
	struct epoll_event ev, evs[256];
	struct rlimit rl;

	while ((c = getopt(argc, argv, "H:p:c:d:w:s:r:h")) != -1) {
		switch (c) {
		case 'H':
			host = optarg;
			break;
		case 'p':
			port = optarg;
			break;
		case 'c':
			nclients = atoi(optarg);
			break;
		case 'd':
			secs = atoi(optarg);
			break;
		case 'w':
			window = atoi(optarg);
			break;
		case 's':
			size = atoi(optarg);
			break;
		case 'r':
			rate = atoi(optarg);
			break;
		default:
			fprintf(stderr, "usage: vchat_load -p PORT [-H HOST] [-c CLIENTS] [-d "
					"SECONDS] [-w WINDOW] [-s BYTES] [-r MSGS_PER_S]\n");
			return c == 'h' ? 0 : 2;
		}
	}
	if (!port || nclients < 2 || secs < 1 || window < 1 || size < 1 || size > VCHAT_TEXT_MAX) {
		fprintf(stderr, "vchat_load: need -p PORT, -c >= 2, -d >= 1, -s 1..%d\n",
			VCHAT_TEXT_MAX);
		return 2;
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	if (getrandom(ek, sizeof(ek), 0) != sizeof(ek) ||
	    getrandom(mk, sizeof(mk), 0) != sizeof(mk))
		return 1;
	cr = vchat_crypto_new(VCHAT_CRYPTO_OPENSSL, ek, mk, &err, NULL, 0);
	if (!cr) {
		fprintf(stderr, "vchat_load: openssl provider: %s\n", strerror(-err));
		return 1;
	}
	memset(text, 'x', sizeof(text));
	cl = calloc((size_t)nclients, sizeof(*cl));
	hist = calloc(LAT_BUCKETS, sizeof(*hist));
	ep = epoll_create1(0);
	if (!cl || !hist || ep < 0)
		return 1;
	for (i = 0; i < nclients; i++) {
		cl[i].fd = vchat_connect(host, port);
		if (cl[i].fd < 0) {
			fprintf(stderr, "vchat_load: connect %d: %s\n", i, strerror(-cl[i].fd));
			return 1;
		}
		cl[i].sender = (uint64_t)i + 1;
		snprintf(nick, sizeof(nick), "load%d", i);
		size_t n = vchat_build_hello(frame, nick);

		if (send(cl[i].fd, frame, n, MSG_NOSIGNAL) != (ssize_t)n)
			return 1;
		vchat_set_nonblock(cl[i].fd);
		ev.events = EPOLLIN;
		ev.data.u32 = (uint32_t)i;
		epoll_ctl(ep, EPOLL_CTL_ADD, cl[i].fd, &ev);
	}
	/* Let the joins settle (each client gets N JOIN frames). */
	t0 = mono_us();
	while (mono_us() - t0 < 1000000) {
		int n = epoll_wait(ep, evs, 256, 50);

		for (i = 0; i < n; i++) {
			struct lclient *l = &cl[evs[i].data.u32];

			if (recv(l->fd, l->in, IN_SIZE, 0) <= 0) {
				fprintf(stderr, "vchat_load: client dropped during joins\n");
				return 1;
			}
		}
	}
	for (i = 0; i < nclients; i++)
		cl[i].in_len = 0; /* join frames are whole by now; drop them */

	t0 = mono_us();
	t_meas = t0 + 1000000; /* 1 s warm-up */
	t_end = t_meas + (uint64_t)secs * 1000000;
	next_send = t0;
	for (;;) {
		now = mono_us();
		if (!measuring && now >= t_meas) {
			measuring = 1;
			m_sent = sent;
			m_deliv = delivered;
			memset(hist, 0, LAT_BUCKETS * sizeof(*hist));
			lat_n = 0;
		}
		if (now >= t_end)
			break;
		/* Send while the window (or the rate) allows. */
		for (int k = 0; k < 64; k++) {
			struct lclient *l = &cl[rr];
			int n;

			if (rate) {
				if (now < next_send)
					break;
				next_send += 1000000 / (uint64_t)rate;
			} else if ((sent * (uint64_t)(nclients - 1) - delivered) >
				   (uint64_t)window * (uint64_t)(nclients - 1)) {
				break;
			}
			n = vchat_seal(cr, l->sender, ++l->seq, vchat_now_us(), VCHAT_K_TEXT, "load", text,
				       (size_t)size, frame, sizeof(frame));
			if (n < 0 || send(l->fd, frame, (size_t)n, MSG_NOSIGNAL) != n) {
				fprintf(stderr, "vchat_load: send failed (client %d)\n", rr);
				return 1;
			}
			sent++;
			rr = (rr + 1) % nclients;
		}
		int n = epoll_wait(ep, evs, 256, 1);

		for (i = 0; i < n; i++) {
			struct lclient *l = &cl[evs[i].data.u32];
			const uint8_t *body;
			size_t blen, used, off = 0;
			ssize_t r;

			r = recv(l->fd, l->in + l->in_len, IN_SIZE - l->in_len, 0);
			if (r <= 0) {
				if (r < 0 && errno == EAGAIN)
					continue;
				fprintf(stderr, "vchat_load: server closed client %u\n",
					evs[i].data.u32);
				return 1;
			}
			l->in_len += (size_t)r;
			uint64_t rnow = vchat_now_us();

			while (vchat_frame_next(l->in + off, l->in_len - off, &body, &blen,
						&used) == 1) {
				uint64_t snd, seq, ts;

				off += used;
				if (vchat_peek(body, blen, &snd, &seq, &ts))
					continue;
				if (snd == l->sender) {
					echo++;
					continue;
				}
				other++;
				delivered++;
				uint64_t lat = rnow > ts ? rnow - ts : 0;
				size_t b = (size_t)(lat / LAT_BUCKET_US);

				hist[b < LAT_BUCKETS ? b : LAT_BUCKETS - 1]++;
				lat_n++;
			}
			memmove(l->in, l->in + off, l->in_len - off);
			l->in_len -= off;
		}
	}
	double dur = (double)(now - t_meas) / 1e6;

	printf("clients=%d text_bytes=%d frame_bytes=%d seconds=%.2f sent=%llu delivered=%llu "
	       "sent_per_s=%.0f delivered_per_s=%.0f p50_us=%llu p99_us=%llu window=%d rate=%d\n",
	       nclients, size,
	       vchat_seal(cr, 1, 1, 0, VCHAT_K_TEXT, "load", text, (size_t)size, frame, sizeof(frame)), dur,
	       (unsigned long long)(sent - m_sent), (unsigned long long)(delivered - m_deliv),
	       (double)(sent - m_sent) / dur, (double)(delivered - m_deliv) / dur,
	       (unsigned long long)pct(hist, lat_n, 0.50),
	       (unsigned long long)pct(hist, lat_n, 0.99), window, rate);
	vchat_crypto_free(cr);
	for (i = 0; i < nclients; i++)
		close(cl[i].fd);
	free(cl);
	free(hist);
	return 0;
}
