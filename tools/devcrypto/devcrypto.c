// SPDX-License-Identifier: GPL-2.0
/*
 * devcrypto: encrypt and decrypt files through /dev/crypto (the cryptodev-linux
 * ABI; in a vcrypto guest, virtio_cryptodev.ko, so the work is done by the
 * host), in the format of `openssl enc -K -iv` (AES-CBC, PKCS#7 padding); show
 * which driver does the work; compare its speed with OpenSSL in this process.
 */
#include <crypto/cryptodev.h>
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <openssl/evp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include <fdio/fdio.h>

#define DC_MAX_INPUT (256u << 20) /* whole files are read into memory */
#define DC_CHUNK (64u << 10)	  /* bytes per request; the device has a max_size */

struct dc_ctx {
	int fd;
	uint32_t ses;
	int keylen;
	uint8_t key[32];
	uint8_t iv[16];
};

static const char *dc_dev = "/dev/crypto";

/* Prints the usage to f; the exit status that goes with it (0 for stdout). */
static int usage(FILE *f)
{
	fprintf(f,
		"usage: devcrypto info [--keylen 16|24|32]\n"
		"       devcrypto enc|dec -K KEYHEX --iv IVHEX [-i IN] [-o OUT]\n"
		"       devcrypto speed [--seconds S] [--max-size BYTES]\n"
		"\n"
		"AES-CBC through /dev/crypto (cryptodev-linux ABI), compatible with\n"
		"`openssl enc -aes-N-cbc -K KEYHEX -iv IVHEX` (PKCS#7 padding).\n"
		"  info    create a session and print the driver that serves it (CIOCGSESSINFO)\n"
		"  enc     encrypt IN (default stdin) to OUT (default stdout)\n"
		"  dec     decrypt and check the padding\n"
		"  speed   requests/s and MB/s through /dev/crypto and through OpenSSL in this\n"
		"          process, 64 B to --max-size (default 65536), S seconds each (default 1)\n"
		"  -K      key, 32/48/64 hex digits (AES-128/192/256)\n"
		"  --iv    IV, 32 hex digits\n"
		"  --device PATH  instead of /dev/crypto\n"
		"Exit status: 0 ok, 1 error, 2 usage.\n");
	return f == stdout ? 0 : 2;
}

static int hex2bin(const char *h, uint8_t *b, size_t max)
{
	size_t n = strlen(h), i;

	if (n % 2 || n / 2 > max)
		return -1;
	for (i = 0; i < n / 2; i++) {
		unsigned int v;

		if (sscanf(h + 2 * i, "%2x", &v) != 1 || !strchr("0123456789abcdefABCDEF", h[2 * i]) ||
		    !strchr("0123456789abcdefABCDEF", h[2 * i + 1]))
			return -1;
		b[i] = (uint8_t)v;
	}
	return (int)(n / 2);
}

static int dc_open(struct dc_ctx *c, const uint8_t *key, int keylen)
{
	struct session_op s = { 0 };

	c->fd = open(dc_dev, O_RDWR | O_CLOEXEC);
	if (c->fd < 0)
		return -errno;
	s.cipher = CRYPTO_AES_CBC;
	s.keylen = (uint32_t)keylen;
	s.key = (uint8_t *)key;
	if (ioctl(c->fd, CIOCGSESSION, &s) < 0) {
		int e = -errno;

		close(c->fd);
		c->fd = -1;
		return e;
	}
	c->ses = s.ses;
	return 0;
}

static void dc_close(struct dc_ctx *c)
{
	if (c->fd < 0)
		return;
	ioctl(c->fd, CIOCFSESSION, &c->ses);
	close(c->fd);
	c->fd = -1;
}

/* In-place AES-CBC over LEN bytes in chunks; IV chained from chunk to chunk. */
static int dc_crypt(struct dc_ctx *c, int op, uint8_t *buf, size_t len)
{
	uint8_t iv[16], next[16];
	size_t off;

	memcpy(iv, c->iv, 16);
	for (off = 0; off < len; off += DC_CHUNK) {
		size_t n = len - off < DC_CHUNK ? len - off : DC_CHUNK;
		struct crypt_op cop = { 0 };

		/* CBC chaining: the next IV is the last ciphertext block */
		if (op == COP_DECRYPT)
			memcpy(next, buf + off + n - 16, 16);
		cop.ses = c->ses;
		cop.op = (uint16_t)op;
		cop.len = (uint32_t)n;
		cop.src = buf + off;
		cop.dst = buf + off;
		cop.iv = iv;
		if (ioctl(c->fd, CIOCCRYPT, &cop) < 0)
			return -errno;
		if (op == COP_ENCRYPT)
			memcpy(next, buf + off + n - 16, 16);
		memcpy(iv, next, 16);
	}
	return 0;
}

static uint8_t *read_all(int fd, size_t *len, size_t room)
{
	size_t cap = 65536, n = 0;
	uint8_t *b = malloc(cap);

	if (!b)
		return NULL;
	for (;;) {
		ssize_t r;

		if (cap - n < room + 4096) {
			uint8_t *nb;

			if (cap >= DC_MAX_INPUT) {
				warnx("input larger than %u MiB", DC_MAX_INPUT >> 20);
				free(b);
				return NULL;
			}
			nb = realloc(b, cap * 2);
			if (!nb) {
				free(b);
				return NULL;
			}
			b = nb;
			cap *= 2;
		}
		r = read(fd, b + n, cap - n - room);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			warn("read");
			free(b);
			return NULL;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	*len = n;
	return b;
}

static int cmd_crypt(int op, const char *keyhex, const char *ivhex, const char *in, const char *out)
{
	struct dc_ctx c = { .fd = -1 };
	int ifd = 0, ofd = 1, r, wret, ret = 1;
	uint8_t *buf = NULL;
	size_t len = 0;

	c.keylen = keyhex ? hex2bin(keyhex, c.key, sizeof(c.key)) : -1;
	if (c.keylen != 16 && c.keylen != 24 && c.keylen != 32) {
		warnx("-K needs a 32, 48 or 64 digit hex key");
		return 2;
	}
	if (!ivhex || hex2bin(ivhex, c.iv, sizeof(c.iv)) != 16) {
		warnx("--iv needs 32 hex digits");
		return 2;
	}
	if (in && (ifd = open(in, O_RDONLY | O_CLOEXEC)) < 0) {
		warn("%s", in);
		goto out;
	}
	buf = read_all(ifd, &len, 16);
	if (!buf)
		goto out;
	if (op == COP_ENCRYPT) {
		size_t pad = 16 - len % 16;

		memset(buf + len, (int)pad, pad);
		len += pad;
	} else if (len == 0 || len % 16) {
		warnx("ciphertext length %zu is not a positive multiple of 16", len);
		goto out;
	}
	r = dc_open(&c, c.key, c.keylen);
	if (r) {
		warnx("%s: %s", dc_dev, strerror(-r));
		goto out;
	}
	r = dc_crypt(&c, op, buf, len);
	if (r) {
		warnx("%s: CIOCCRYPT: %s", dc_dev, strerror(-r));
		goto out;
	}
	if (op == COP_DECRYPT) {
		uint8_t pad = buf[len - 1];
		size_t i;

		if (pad == 0 || pad > 16) {
			warnx("bad decrypt (wrong key or corrupt input)");
			goto out;
		}
		for (i = len - pad; i < len; i++)
			if (buf[i] != pad) {
				warnx("bad decrypt (wrong key or corrupt input)");
				goto out;
			}
		len -= pad;
	}
	if (out && (ofd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) < 0) {
		warn("%s", out);
		goto out;
	}
	wret = fdio_write_full(ofd, buf, len);
	if (wret) {
		errno = -wret;
		warn("write");
		goto out;
	}
	ret = 0;
out:
	dc_close(&c);
	if (buf) {
		explicit_bzero(buf, len);
		free(buf);
	}
	explicit_bzero(&c, sizeof(c));
	if (in && ifd > 0)
		close(ifd);
	if (out && ofd > 1 && close(ofd) && !ret) {
		warn("%s", out);
		ret = 1;
	}
	return ret;
}

static int cmd_info(int keylen)
{
	struct dc_ctx c = { .fd = -1 };
	struct session_info_op si = { 0 };
	uint8_t key[32] = { 0 };
	int r;

	r = dc_open(&c, key, keylen);
	if (r) {
		warnx("%s: %s", dc_dev, strerror(-r));
		return 1;
	}
	si.ses = c.ses;
	if (ioctl(c.fd, CIOCGSESSINFO, &si) < 0) {
		warn("%s: CIOCGSESSINFO", dc_dev);
		dc_close(&c);
		return 1;
	}
	printf("%s: AES-%d-CBC session %u: algorithm %s, driver %s, alignmask %u%s\n", dc_dev,
	       keylen * 8, c.ses, si.cipher_info.cra_name, si.cipher_info.cra_driver_name,
	       si.alignmask, (si.flags & SIOP_FLAG_KERNEL_DRIVER_ONLY) ? ", hardware/offload driver" : "");
	dc_close(&c);
	return 0;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmd_speed(double secs, size_t maxsize)
{
	struct dc_ctx c = { .fd = -1 };
	EVP_CIPHER_CTX *ectx = EVP_CIPHER_CTX_new();
	uint8_t *buf = calloc(1, maxsize + 16);
	size_t sz;
	int r, ret = 1;

	if (!buf || !ectx)
		goto out;
	memset(c.key, 0x42, 16);
	r = dc_open(&c, c.key, 16);
	if (r) {
		warnx("%s: %s", dc_dev, strerror(-r));
		goto out;
	}
	printf("%-8s %14s %10s %14s %10s %8s\n", "size", "devcrypto op/s", "MB/s", "openssl op/s",
	       "MB/s", "ratio");
	for (sz = 64; sz <= maxsize; sz *= 4) {
		double t0 = now(), t1, t2, dc, os;
		long n = 0, m = 0;
		int ol;

		do {
			struct crypt_op cop = { .ses = c.ses, .op = COP_ENCRYPT, .len = (uint32_t)sz,
						.src = buf, .dst = buf, .iv = c.iv };

			if (ioctl(c.fd, CIOCCRYPT, &cop) < 0) {
				warn("%s: CIOCCRYPT %zu B", dc_dev, sz);
				goto out;
			}
			n++;
		} while ((t1 = now()) - t0 < secs);
		do {
			if (!EVP_EncryptInit_ex(ectx, EVP_aes_128_cbc(), NULL, c.key, c.iv) ||
			    !EVP_CIPHER_CTX_set_padding(ectx, 0) ||
			    !EVP_EncryptUpdate(ectx, buf, &ol, buf, (int)sz))
				goto out;
			m++;
		} while ((t2 = now()) - t1 < secs);
		dc = n / (t1 - t0);
		os = m / (t2 - t1);
		printf("%-8zu %14.0f %10.2f %14.0f %10.2f %8.2f\n", sz, dc, dc * sz / 1e6, os,
		       os * sz / 1e6, dc / os);
		fflush(stdout);
	}
	ret = 0;
out:
	dc_close(&c);
	EVP_CIPHER_CTX_free(ectx);
	free(buf);
	return ret;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "iv", required_argument, NULL, 'v' },	     { "in", required_argument, NULL, 'i' },
		{ "out", required_argument, NULL, 'o' },     { "device", required_argument, NULL, 'D' },
		{ "seconds", required_argument, NULL, 's' }, { "max-size", required_argument, NULL, 'M' },
		{ "keylen", required_argument, NULL, 'l' },  { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *cmd, *keyhex = NULL, *ivhex = NULL, *in = NULL, *out = NULL;
	size_t maxsize = 65536;
	double secs = 1.0;
	int keylen = 16, o;

	if (argc < 2)
		return usage(stderr);
	cmd = argv[1];
	if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help"))
		return usage(stdout);
	optind = 2;
	while ((o = getopt_long(argc, argv, "K:i:o:h", opts, NULL)) != -1) {
		switch (o) {
		case 'K': keyhex = optarg; break;
		case 'v': ivhex = optarg; break;
		case 'i': in = optarg; break;
		case 'o': out = optarg; break;
		case 'D': dc_dev = optarg; break;
		case 's': secs = atof(optarg); break;
		case 'M': maxsize = strtoul(optarg, NULL, 0); break;
		case 'l': keylen = atoi(optarg); break;
		case 'h': return usage(stdout);
		default: return usage(stderr);
		}
	}
	if (optind != argc)
		return usage(stderr);
	if (!strcmp(cmd, "enc"))
		return cmd_crypt(COP_ENCRYPT, keyhex, ivhex, in, out);
	if (!strcmp(cmd, "dec"))
		return cmd_crypt(COP_DECRYPT, keyhex, ivhex, in, out);
	if (!strcmp(cmd, "info")) {
		if (keylen != 16 && keylen != 24 && keylen != 32) {
			warnx("--keylen must be 16, 24 or 32");
			return 2;
		}
		return cmd_info(keylen);
	}
	if (!strcmp(cmd, "speed")) {
		if (secs <= 0 || secs > 60 || maxsize < 64 || maxsize > (16u << 20)) {
			warnx("--seconds must be in (0, 60], --max-size in [64, 16 MiB]");
			return 2;
		}
		return cmd_speed(secs, maxsize);
	}
	warnx("unknown command '%s'", cmd);
	return usage(stderr);
}
