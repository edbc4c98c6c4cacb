// SPDX-License-Identifier: MIT
/* Helpers shared by the /dev/crypto guest programs (see cdev_util.h). */
#include <errno.h>
#include <fcntl.h>
#include <linux/if_alg.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "cdev_util.h"
#include "tap.h"

#ifndef SOL_ALG
#define SOL_ALG 279
#endif

/* TAP through the test library, unnumbered: a case runs several of these programs. */
void cdev_ok(int cond, const char *fmt, ...)
{
	va_list ap;

	tap_set_numbered(0);
	va_start(ap, fmt);
	tap_vok(cond, fmt, ap);
	va_end(ap);
}

void cdev_skip(const char *fmt, ...)
{
	va_list ap;

	tap_set_numbered(0);
	va_start(ap, fmt);
	tap_vskip(fmt, ap);
	va_end(ap);
}

void cdev_note(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	tap_vnote(fmt, ap);
	va_end(ap);
}

int cdev_failures(void)
{
	return tap_failures();
}

int cdev_open(void)
{
	int fd = open("/dev/crypto", O_RDWR | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

int cdev_session(int fd, uint32_t cipher, const void *key, uint32_t keylen, uint32_t mac,
		 const void *mackey, uint32_t mackeylen, uint32_t *ses)
{
	struct session_op sop;

	memset(&sop, 0, sizeof(sop));
	sop.cipher = cipher;
	sop.key = (void *)key;
	sop.keylen = keylen;
	sop.mac = mac;
	sop.mackey = (void *)mackey;
	sop.mackeylen = mackeylen;
	if (ioctl(fd, CIOCGSESSION, &sop))
		return -errno;
	*ses = sop.ses;
	return 0;
}

const char *cdev_alg_name(uint32_t alg)
{
	switch (alg) {
	case CRYPTO_AES_ECB:
		return "AES-ECB";
	case CRYPTO_AES_CBC:
		return "AES-CBC";
	case CRYPTO_AES_CTR:
		return "AES-CTR";
	case CRYPTO_AES_XTS:
		return "AES-XTS";
	default:
		return "?";
	}
}

int cdev_free(int fd, uint32_t ses)
{
	return ioctl(fd, CIOCFSESSION, &ses) ? -errno : 0;
}

int cdev_crypt(int fd, uint32_t ses, int op, uint16_t flags, const void *src, void *dst,
	       uint32_t len, void *iv, void *mac)
{
	struct crypt_op cop;

	memset(&cop, 0, sizeof(cop));
	cop.ses = ses;
	cop.op = op;
	cop.flags = flags;
	cop.len = len;
	cop.src = (void *)src;
	cop.dst = dst;
	cop.iv = iv;
	cop.mac = mac;
	return ioctl(fd, CIOCCRYPT, &cop) ? -errno : 0;
}

static int afalg_open(const char *type, const char *name, const void *key, size_t keylen)
{
	struct sockaddr_alg sa;
	int tfm, op, err;

	memset(&sa, 0, sizeof(sa));
	sa.salg_family = AF_ALG;
	snprintf((char *)sa.salg_type, sizeof(sa.salg_type), "%s", type);
	snprintf((char *)sa.salg_name, sizeof(sa.salg_name), "%s", name);
	tfm = socket(AF_ALG, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (tfm < 0)
		return -errno;
	if (bind(tfm, (struct sockaddr *)&sa, sizeof(sa)) ||
	    (key && setsockopt(tfm, SOL_ALG, ALG_SET_KEY, key, keylen))) {
		err = -errno;
		close(tfm);
		return err;
	}
	op = accept4(tfm, NULL, 0, SOCK_CLOEXEC);
	err = -errno;
	close(tfm);
	return op < 0 ? err : op;
}

struct cmsghdr *afalg_cmsg(struct msghdr *msg, int enc, const void *iv, size_t ivlen)
{
	struct cmsghdr *cm = CMSG_FIRSTHDR(msg);
	struct af_alg_iv *aiv;

	cm->cmsg_level = SOL_ALG;
	cm->cmsg_type = ALG_SET_OP;
	cm->cmsg_len = CMSG_LEN(sizeof(uint32_t));
	*(uint32_t *)CMSG_DATA(cm) = enc ? ALG_OP_ENCRYPT : ALG_OP_DECRYPT;
	if (ivlen) {
		cm = CMSG_NXTHDR(msg, cm);
		cm->cmsg_level = SOL_ALG;
		cm->cmsg_type = ALG_SET_IV;
		cm->cmsg_len = CMSG_LEN(sizeof(*aiv) + ivlen);
		aiv = (void *)CMSG_DATA(cm);
		aiv->ivlen = (uint32_t)ivlen;
		memcpy(aiv->iv, iv, ivlen);
	}
	return cm;
}

int afalg_skcipher(const char *name, const void *key, size_t keylen, int enc, const void *iv,
		   size_t ivlen, const void *in, void *out, size_t len)
{
	char cbuf[CMSG_SPACE(sizeof(uint32_t)) + CMSG_SPACE(sizeof(struct af_alg_iv) + 32)];
	struct af_alg_iv *aiv;
	struct msghdr msg;
	struct iovec iov;
	size_t done = 0;
	int op, err = 0, big = 8 << 20;
	static int raised;
	ssize_t n;

	/*
	 * One request for all of it (XTS cannot be split): the socket's
	 * option memory must hold the scatterlists of 1 MiB (root only).
	 */
	if (!raised) {
		FILE *f = fopen("/proc/sys/net/core/optmem_max", "w");

		if (f) {
			fprintf(f, "%d\n", 4 << 20);
			fclose(f);
		}
		raised = 1;
	}
	op = afalg_open("skcipher", name, key, keylen);
	if (op < 0)
		return op;
	setsockopt(op, SOL_SOCKET, SO_SNDBUFFORCE, &big, sizeof(big));
	setsockopt(op, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big));
	memset(cbuf, 0, sizeof(cbuf));
	memset(&msg, 0, sizeof(msg));
	msg.msg_control = cbuf;
	msg.msg_controllen =
		CMSG_SPACE(sizeof(uint32_t)) + (ivlen ? CMSG_SPACE(sizeof(*aiv) + ivlen) : 0);
	afalg_cmsg(&msg, enc, iv, ivlen);
	iov.iov_base = (void *)in;
	iov.iov_len = len;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	n = sendmsg(op, &msg, 0);
	if (n < 0 || (size_t)n != len) {
		err = n < 0 ? -errno : -EMSGSIZE;
		goto out;
	}
	while (done < len) {
		n = read(op, (char *)out + done, len - done);
		if (n <= 0) {
			err = n < 0 ? -errno : -EIO;
			goto out;
		}
		done += n;
	}
out:
	close(op);
	return err;
}

int afalg_hmac(const char *name, const void *key, size_t keylen, const void *in, size_t len,
	       void *out, size_t outlen)
{
	int op = afalg_open("hash", name, key, keylen), err = 0;
	size_t done = 0;
	ssize_t n;

	if (op < 0)
		return op;
	while (done < len) {
		n = send(op, (const char *)in + done, len - done, MSG_MORE);
		if (n <= 0) {
			err = n < 0 ? -errno : -EIO;
			goto out;
		}
		done += n;
	}
	if (!len && send(op, "", 0, 0) < 0) {
		err = -errno;
		goto out;
	}
	n = read(op, out, outlen);
	if (n != (ssize_t)outlen)
		err = n < 0 ? -errno : -EIO;
out:
	close(op);
	return err;
}

void cdev_fill(void *buf, size_t len, uint64_t seed)
{
	uint64_t x = seed * 0x9E3779B97F4A7C15ULL + 1;
	uint8_t *p = buf;
	size_t i;

	for (i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		p[i] = x >> 24;
	}
}

int cdev_unhex(const char *hex, uint8_t *out, size_t max)
{
	size_t n = 0;
	unsigned int v;

	while (hex[0] && hex[1]) {
		if (n >= max || sscanf(hex, "%2x", &v) != 1)
			return -1;
		out[n++] = v;
		hex += 2;
	}
	return n;
}

double cdev_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}
