// SPDX-License-Identifier: GPL-2.0
/*
 * vchat_cost: what one chat message costs a crypto provider (make bench).
 *
 *   vchat_cost [--crypto devcrypto|openssl|auto] [-n MESSAGES] [-s BYTES]
 *
 * Seals (AES-256-CBC encrypt + HMAC-SHA256, fresh IV) and opens (HMAC check
 * + decrypt) N messages of BYTES text through the provider, exactly as the
 * client does, and prints the time per message.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "proto.h"

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	enum vchat_crypto_kind kind = VCHAT_CRYPTO_AUTO;
	int n = 20000, size = 100, i, len, err = 0;
	uint8_t ek[32], mk[32], frame[4 + VCHAT_FRAME_MAX];
	char text[VCHAT_TEXT_MAX], why[200];
	struct vchat_crypto *c;
	struct vchat_msg m;
	double t0, t1, t2;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--crypto") && i + 1 < argc) {
			if (vchat_crypto_parse_kind(argv[++i], &kind))
				return 2;
		} else if (!strcmp(argv[i], "-n") && i + 1 < argc) {
			n = atoi(argv[++i]);
		} else if (!strcmp(argv[i], "-s") && i + 1 < argc) {
			size = atoi(argv[++i]);
		} else {
			fprintf(stderr, "usage: vchat_cost [--crypto devcrypto|openssl|auto] [-n "
					"MESSAGES] [-s BYTES]\n");
			return 2;
		}
	}
	if (n < 1 || size < 1 || size > VCHAT_TEXT_MAX)
		return 2;
	if (getrandom(ek, sizeof(ek), 0) != sizeof(ek) ||
	    getrandom(mk, sizeof(mk), 0) != sizeof(mk))
		return 1;
	c = vchat_crypto_new(kind, ek, mk, &err, why, sizeof(why));
	if (!c) {
		printf("provider unavailable: %s\n", strerror(-err));
		return 1;
	}
	memset(text, 'x', sizeof(text));
	t0 = now_s();
	for (i = 0; i < n; i++) {
		len = vchat_seal(c, 1, (uint64_t)i + 1, 0, VCHAT_K_TEXT, "bench", text, (size_t)size, frame,
				 sizeof(frame));
		if (len < 0) {
			printf("seal failed: %s\n", strerror(-len));
			return 1;
		}
	}
	t1 = now_s();
	for (i = 0; i < n; i++) {
		if (vchat_open(c, frame + 4, (size_t)len - 4, &m)) {
			printf("open failed\n");
			return 1;
		}
	}
	t2 = now_s();
	printf("provider=%s messages=%d text_bytes=%d seal_us=%.2f open_us=%.2f desc=\"%s\"\n",
	       c->ops->name, n, size, (t1 - t0) * 1e6 / n, (t2 - t1) * 1e6 / n, c->desc);
	vchat_crypto_free(c);
	return 0;
}
