// SPDX-License-Identifier: MIT
/*
 * cdev_bench: encrypt requests/s and MB/s in a guest, one size per line:
 *   RESULT <path> <bytes> <threads> <requests/s> <MB/s>
 * Paths: "cryptodev" (AES-128-CBC, CIOCCRYPT), an AF_ALG skcipher name or
 * driver (AES-128-CBC), "cryptodev-tls" (CIOCAUTHCRYPT TLS type, AES-128-CBC
 * + HMAC-SHA256, 13-byte AAD, in place), "cryptodev-gcm" (CIOCAUTHCRYPT
 * AES-128-GCM, 13-byte AAD), "aead:NAME" (an AF_ALG aead, e.g.
 * aead:gcm(aes) or aead:authenc(hmac(sha256),cbc(aes)), 13-byte AAD),
 * "cryptodev-hmac" (HMAC-SHA256, CIOCCRYPT), "cryptodev-sha256" (SHA-256,
 * CIOCCRYPT): one whole message per request.
 */
#include <errno.h>
#include <linux/if_alg.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
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

#define AAD_LEN 13 /* a TLS pseudo-header */

static int afalg_op(const char *name, const uint8_t *key)
{
	int aead = !strncmp(name, "aead:", 5), authenc;
	struct sockaddr_alg sa;
	uint8_t akey[8 + 32 + 16];
	int tfm, op;

	memset(&sa, 0, sizeof(sa));
	sa.salg_family = AF_ALG;
	strcpy((char *)sa.salg_type, aead ? "aead" : "skcipher");
	snprintf((char *)sa.salg_name, sizeof(sa.salg_name), "%s", name + (aead ? 5 : 0));
	authenc = aead && !strncmp(name + 5, "authenc(", 8);
	if (authenc) {
		/* rtattr {len 8, CRYPTO_AUTHENC_KEYA_PARAM}, be32 enckeylen, MAC key, AES key */
		static const uint8_t hdr[8] = {8, 0, 1, 0, 0, 0, 0, 16};

		memcpy(akey, hdr, 8);
		memset(akey + 8, 0x5a, 32);
		memcpy(akey + 40, key, 16);
	}
	tfm = socket(AF_ALG, SOCK_SEQPACKET, 0);
	if (tfm < 0)
		return -errno;
	if (bind(tfm, (struct sockaddr *)&sa, sizeof(sa)) ||
	    setsockopt(tfm, SOL_ALG, ALG_SET_KEY, authenc ? akey : key,
		       authenc ? sizeof(akey) : 16) ||
	    (aead && setsockopt(tfm, SOL_ALG, ALG_SET_AEAD_AUTHSIZE, NULL, authenc ? 32 : 16))) {
		close(tfm);
		return -errno;
	}
	op = accept(tfm, NULL, 0);
	close(tfm);
	return op < 0 ? -errno : op;
}

/*
 * One AF_ALG request: op + IV (+ AAD length) as control data, then read
 * the result.  aead: @in holds AAD || plaintext, @out gets AAD || C || T.
 */
static int afalg_once(int op, const uint8_t *iv, unsigned int ivlen, unsigned int assoc,
		      unsigned int tag, const void *in, void *out, size_t len)
{
	char cbuf[CMSG_SPACE(4) + CMSG_SPACE(sizeof(struct af_alg_iv) + 16) + CMSG_SPACE(4)];
	struct msghdr msg = {0};
	struct af_alg_iv *aiv;
	struct cmsghdr *cm;
	struct iovec iov = {(void *)in, assoc + len};

	memset(cbuf, 0, sizeof(cbuf));
	msg.msg_control = cbuf;
	msg.msg_controllen = sizeof(cbuf);
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	cm = afalg_cmsg(&msg, 1, iv, ivlen);
	if (tag) {
		cm = CMSG_NXTHDR(&msg, cm);
		cm->cmsg_level = SOL_ALG;
		cm->cmsg_type = ALG_SET_AEAD_ASSOCLEN;
		cm->cmsg_len = CMSG_LEN(4);
		*(uint32_t *)CMSG_DATA(cm) = assoc;
	} else {
		msg.msg_controllen = CMSG_SPACE(4) + CMSG_SPACE(sizeof(*aiv) + ivlen);
	}
	if (sendmsg(op, &msg, 0) != (ssize_t)(assoc + len))
		return -errno;
	return read(op, out, assoc + len + tag) == (ssize_t)(assoc + len + tag) ? 0 : -EIO;
}

/* One CIOCAUTHCRYPT encrypt (TLS type when @tls), AAD_LEN bytes of AAD. */
static int cdev_aead_once(int fd, uint32_t ses, int tls, const uint8_t *aad, uint8_t *iv,
			  const void *in, void *out, size_t len)
{
	struct crypt_auth_op caop;

	memset(&caop, 0, sizeof(caop));
	caop.ses = ses;
	caop.op = COP_ENCRYPT;
	caop.flags = tls ? COP_FLAG_AEAD_TLS_TYPE : 0;
	caop.auth_src = (void *)aad;
	caop.auth_len = AAD_LEN;
	caop.src = (void *)(tls ? out : in);
	caop.dst = out;
	caop.len = len;
	caop.iv = iv;
	caop.iv_len = tls ? 16 : 12;
	return ioctl(fd, CIOCAUTHCRYPT, &caop) ? -errno : 0;
}

static void *run(void *arg)
{
	struct job *j = arg;
	uint8_t key[16] = {7}, iv[16] = {9}, mkey[32] = {5}, aad[AAD_LEN] = {3};
	/* room for AAD in front and MAC/tag + padding behind */
	uint8_t *in = malloc(j->size + 64), *out = malloc(j->size + 64);
	int fd = -1, r = 0, mode = 0; /* 1: TLS, 2: GCM, 3: AF_ALG aead */
	int gcm_alg = !strncmp(j->path, "aead:gcm", 8);
	uint32_t ses = 0;
	double t0, end;

	memset(in, 0x3c, j->size + 64);
	memset(out, 0x3c, j->size + 64);
	if (!strcmp(j->path, "cryptodev")) {
		fd = cdev_open();
		r = fd < 0 ? fd : cdev_session(fd, CRYPTO_AES_CBC, key, 16, 0, NULL, 0, &ses);
	} else if (!strcmp(j->path, "cryptodev-tls")) {
		mode = 1;
		fd = cdev_open();
		r = fd < 0 ? fd
			   : cdev_session(fd, CRYPTO_AES_CBC, key, 16, CRYPTO_SHA2_256_HMAC, mkey,
					  32, &ses);
	} else if (!strcmp(j->path, "cryptodev-hmac")) {
		mode = 4;
		fd = cdev_open();
		r = fd < 0 ? fd
			   : cdev_session(fd, 0, NULL, 0, CRYPTO_SHA2_256_HMAC, mkey, 32, &ses);
	} else if (!strcmp(j->path, "cryptodev-sha256")) {
		mode = 4;
		fd = cdev_open();
		r = fd < 0 ? fd : cdev_session(fd, 0, NULL, 0, CRYPTO_SHA2_256, NULL, 0, &ses);
	} else if (!strcmp(j->path, "cryptodev-gcm")) {
		mode = 2;
		fd = cdev_open();
		r = fd < 0 ? fd : cdev_session(fd, CRYPTO_AES_GCM, key, 16, 0, NULL, 0, &ses);
	} else {
		mode = strncmp(j->path, "aead:", 5) ? 0 : 3;
		fd = afalg_op(j->path, key);
		r = fd < 0 ? fd : 0;
	}
	if (r)
		goto out;
	t0 = cdev_now();
	end = t0 + j->seconds;
	do {
		int k;

		for (k = 0; k < 16 && !r; k++, j->reqs++) {
			if (mode == 1 || mode == 2)
				r = cdev_aead_once(fd, ses, mode == 1, aad, iv, in, out, j->size);
			else if (mode == 4)
				r = cdev_crypt(fd, ses, COP_ENCRYPT, 0, in, NULL, j->size, NULL,
					       out);
			else if (ses)
				r = cdev_crypt(fd, ses, COP_ENCRYPT, 0, in, out, j->size, iv, NULL);
			else if (mode == 3)
				r = afalg_once(fd, iv, gcm_alg ? 12 : 16, AAD_LEN,
					       gcm_alg ? 16 : 32, in, out, j->size);
			else
				r = afalg_once(fd, iv, 16, 0, 0, in, out, j->size);
		}
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
			"        (AES-128-CBC encrypt), cryptodev-tls, cryptodev-gcm "
			"(CIOCAUTHCRYPT),\n"
			"        cryptodev-hmac (HMAC-SHA256), cryptodev-sha256 (SHA-256),\n"
			"        aead:NAME (AF_ALG aead, e.g. aead:gcm(aes)); 13 bytes of AAD\n"
			"  prints RESULT PATH SIZE THREADS REQ/S MB/S\n");
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
