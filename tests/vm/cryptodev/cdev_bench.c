// SPDX-License-Identifier: MIT
/*
 * cdev_bench: AES-128-CBC encrypt requests/s and MB/s in a guest, through
 * /dev/crypto or through an AF_ALG driver, one size per line:
 *   RESULT <path> <bytes> <threads> <requests/s> <MB/s>
 */
#include <errno.h>
#include <linux/if_alg.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cdev_util.h"

#ifndef SOL_ALG
#define SOL_ALG 279
#endif

struct job {
	const char *path; /* "cryptodev" or an AF_ALG algorithm/driver name */
	size_t size;
	double seconds;
	long reqs;
	int err;
};

static int afalg_op(const char *name, const uint8_t *key)
{
	struct sockaddr_alg sa;
	int tfm, op;

	memset(&sa, 0, sizeof(sa));
	sa.salg_family = AF_ALG;
	strcpy((char *)sa.salg_type, "skcipher");
	snprintf((char *)sa.salg_name, sizeof(sa.salg_name), "%s", name);
	tfm = socket(AF_ALG, SOCK_SEQPACKET, 0);
	if (tfm < 0)
		return -errno;
	if (bind(tfm, (struct sockaddr *)&sa, sizeof(sa)) ||
	    setsockopt(tfm, SOL_ALG, ALG_SET_KEY, key, 16)) {
		close(tfm);
		return -errno;
	}
	op = accept(tfm, NULL, 0);
	close(tfm);
	return op < 0 ? -errno : op;
}

/* One AF_ALG request: op + IV as control data, then read the result. */
static int afalg_once(int op, const uint8_t *iv, const void *in, void *out, size_t len)
{
	char cbuf[CMSG_SPACE(4) + CMSG_SPACE(sizeof(struct af_alg_iv) + 16)];
	struct msghdr msg = {0};
	struct af_alg_iv *aiv;
	struct cmsghdr *cm;
	struct iovec iov = {(void *)in, len};

	memset(cbuf, 0, sizeof(cbuf));
	msg.msg_control = cbuf;
	msg.msg_controllen = sizeof(cbuf);
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	cm = CMSG_FIRSTHDR(&msg);
	cm->cmsg_level = SOL_ALG;
	cm->cmsg_type = ALG_SET_OP;
	cm->cmsg_len = CMSG_LEN(4);
	*(uint32_t *)CMSG_DATA(cm) = ALG_OP_ENCRYPT;
	cm = CMSG_NXTHDR(&msg, cm);
	cm->cmsg_level = SOL_ALG;
	cm->cmsg_type = ALG_SET_IV;
	cm->cmsg_len = CMSG_LEN(sizeof(*aiv) + 16);
	aiv = (void *)CMSG_DATA(cm);
	aiv->ivlen = 16;
	memcpy(aiv->iv, iv, 16);
	if (sendmsg(op, &msg, 0) != (ssize_t)len)
		return -errno;
	return read(op, out, len) == (ssize_t)len ? 0 : -EIO;
}

static void *run(void *arg)
{
	struct job *j = arg;
	uint8_t key[16] = {7}, iv[16] = {9};
	uint8_t *in = malloc(j->size), *out = malloc(j->size);
	int fd = -1, r = 0;
	uint32_t ses = 0;
	double t0, end;

	memset(in, 0x3c, j->size);
	if (!strcmp(j->path, "cryptodev")) {
		fd = cdev_open();
		r = fd < 0 ? fd : cdev_session(fd, CRYPTO_AES_CBC, key, 16, 0, NULL, 0, &ses);
	} else {
		fd = afalg_op(j->path, key);
		r = fd < 0 ? fd : 0;
	}
	if (r)
		goto out;
	t0 = cdev_now();
	end = t0 + j->seconds;
	do {
		int k;

		for (k = 0; k < 16 && !r; k++, j->reqs++)
			r = ses ? cdev_crypt(fd, ses, COP_ENCRYPT, 0, in, out, j->size, iv, NULL)
				: afalg_once(fd, iv, in, out, j->size);
	} while (!r && cdev_now() < end);
	j->seconds = cdev_now() - t0;
out:
	j->err = r;
	if (fd >= 0)
		close(fd);
	free(in);
	free(out);
	return NULL;
}

int main(int argc, char **argv)
{
	struct job jobs[16];
	pthread_t t[16];
	int threads, i, a;
	double secs;
	const char *path;

	if (argc < 5 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		fprintf(argc < 5 ? stderr : stdout,
			"usage: cdev_bench PATH THREADS SECONDS SIZE...\n"
			"  PATH: cryptodev (/dev/crypto) or an AF_ALG skcipher name or driver\n"
			"  AES-128-CBC encrypt; prints RESULT PATH SIZE THREADS REQ/S MB/S\n");
		return argc < 5 ? 2 : 0;
	}
	path = argv[1];
	threads = atoi(argv[2]);
	secs = atof(argv[3]);
	if (threads < 1 || threads > 16 || secs <= 0) {
		fprintf(stderr, "cdev_bench: 1..16 threads, seconds > 0\n");
		return 2;
	}
	for (a = 4; a < argc; a++) {
		size_t size = strtoul(argv[a], NULL, 0);
		double rps = 0;
		int err = 0;

		if (!size || size % 16) {
			fprintf(stderr, "cdev_bench: size %s: not a multiple of 16\n", argv[a]);
			return 2;
		}
		for (i = 0; i < threads; i++) {
			jobs[i] = (struct job){path, size, secs, 0, 0};
			pthread_create(&t[i], NULL, run, &jobs[i]);
		}
		for (i = 0; i < threads; i++) {
			pthread_join(t[i], NULL);
			if (jobs[i].err)
				err = jobs[i].err;
			else
				rps += jobs[i].reqs / jobs[i].seconds;
		}
		if (err) {
			printf("# cdev_bench %s %zu: %s\n", path, size, strerror(-err));
			continue;
		}
		printf("RESULT %s %zu %d %.0f %.2f\n", path, size, threads, rps, rps * size / 1e6);
		fflush(stdout);
	}
	return 0;
}
