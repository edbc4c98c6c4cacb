// SPDX-License-Identifier: MIT
/*
 * vsign: the administrator's tool for process images.
 *
 *   vsign keygen [--rsa 3072] -o NAME        NAME (private, 0600) + NAME.pub
 *   vsign sign -k KEY --name N --version V IMAGE -o IMAGE.sig
 *   vsign verify -p PUB IMAGE IMAGE.sig
 *   vsign header --name N --version V IMAGE -o HDR   the bytes to sign (HSM)
 *   vsign keyid -p PUB                       hex key id
 *   vsign show IMAGE.sig
 */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <fdio/fdio.h>
#include <vcrypto/vmmcall.h>
#include <vsig/vsig.h>

/* Prints the usage (to stderr unless status is 0) and exits with status. */
__attribute__((noreturn)) static void usage(int status)
{
	fprintf(status ? stderr : stdout,
		"usage: vsign keygen [--rsa 3072] -o NAME\n"
		"       vsign sign -k KEY --name NAME --version N IMAGE -o IMAGE.sig\n"
		"       vsign verify -p PUB IMAGE IMAGE.sig\n"
		"       vsign header --name NAME --version N IMAGE -o HEADER\n"
		"       vsign keyid -p PUB\n"
		"       vsign show IMAGE.sig\n"
		"\n"
		"keygen writes NAME (private key, PEM, mode 0600, never overwritten)\n"
		"and NAME.pub. Ed25519 unless --rsa 3072. See tools/vsign/README.md\n"
		"for the formats and how to sign with stock openssl commands.\n");
	exit(status);
}

static uint8_t *slurp(const char *path, size_t max, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	uint8_t *buf;

	if (fd < 0)
		err(1, "%s", path);
	if (fstat(fd, &st) < 0)
		err(1, "%s", path);
	if (!S_ISREG(st.st_mode))
		errx(1, "%s: not a regular file", path);
	if ((uint64_t)st.st_size > max)
		errx(1, "%s: too large (%lld bytes, limit %zu)", path, (long long)st.st_size, max);
	buf = malloc(st.st_size ? (size_t)st.st_size : 1);
	if (!buf)
		err(1, "malloc");
	if (fdio_read_full(fd, buf, (size_t)st.st_size))
		errx(1, "%s: short read", path);
	close(fd);
	*len = (size_t)st.st_size;
	return buf;
}

static void spew(const char *path, const void *buf, size_t len, int excl, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC | (excl ? O_EXCL : O_TRUNC),
		      mode);
	int ret;

	if (fd < 0)
		err(1, "%s", path);
	ret = fdio_write_full(fd, buf, len);
	if (ret) {
		errno = -ret;
		err(1, "%s", path);
	}
	if (close(fd) < 0)
		err(1, "%s", path);
}

static EVP_PKEY *load_key(const char *path, int private)
{
	FILE *f = fopen(path, "re");
	EVP_PKEY *k;

	if (!f)
		err(1, "%s", path);
	k = private ? PEM_read_PrivateKey(f, NULL, NULL, NULL)
		    : PEM_read_PUBKEY(f, NULL, NULL, NULL);
	fclose(f);
	if (!k)
		errx(1, "%s: not a PEM %s key", path, private ? "private" : "public");
	if (vsig_key_alg(k) < 0)
		errx(1, "%s: unsupported key (Ed25519 or RSA-3072 only)", path);
	return k;
}

static void hex(const uint8_t *p, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", p[i]);
}

static int cmd_keygen(int argc, char **argv)
{
	static const struct option lo[] = {
		{"rsa", required_argument, 0, 'r'}, {"help", no_argument, 0, 'h'}, {0}};
	const char *out = NULL;
	int rsa = 0, c, fd;
	EVP_PKEY *k;
	char pub[4096];
	FILE *f;

	while ((c = getopt_long(argc, argv, "o:h", lo, NULL)) != -1) {
		switch (c) {
		case 'o':
			out = optarg;
			break;
		case 'r':
			if (strcmp(optarg, "3072"))
				errx(1, "--rsa: only 3072 bits are supported");
			rsa = 1;
			break;
		case 'h':
			usage(0);
		default:
			usage(1);
		}
	}
	if (!out || optind != argc)
		usage(1);
	if (snprintf(pub, sizeof(pub), "%s.pub", out) >= (int)sizeof(pub))
		errx(1, "name too long");
	k = rsa ? EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)3072)
		: EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	if (!k)
		errx(1, "key generation failed");
	fd = open(out, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		err(1, "%s", out);
	f = fdopen(fd, "w");
	if (!f || !PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL) || fclose(f))
		errx(1, "%s: writing the private key failed", out);
	fd = open(pub, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		err(1, "%s", pub);
	f = fdopen(fd, "w");
	if (!f || !PEM_write_PUBKEY(f, k) || fclose(f))
		errx(1, "%s: writing the public key failed", pub);
	EVP_PKEY_free(k);
	printf("wrote %s (private, 0600) and %s\n", out, pub);
	return 0;
}

/* Shared by sign and header: parse --name/--version IMAGE, build the header. */
static void build_header(int argc, char **argv, const char **key, const char **out, struct vsig *s)
{
	static const struct option lo[] = {{"name", required_argument, 0, 'n'},
					   {"version", required_argument, 0, 'V'},
					   {"help", no_argument, 0, 'h'},
					   {0}};
	const char *name = NULL, *ver = NULL;
	uint8_t *img;
	size_t len;
	char *end;
	int c;

	while ((c = getopt_long(argc, argv, "k:o:h", lo, NULL)) != -1) {
		switch (c) {
		case 'k':
			if (key)
				*key = optarg;
			else
				usage(1);
			break;
		case 'o':
			*out = optarg;
			break;
		case 'n':
			name = optarg;
			break;
		case 'V':
			ver = optarg;
			break;
		case 'h':
			usage(0);
		default:
			usage(1);
		}
	}
	if (!name || !ver || !*out || optind != argc - 1 || (key && !*key))
		usage(1);
	if (!vsig_name_valid(name))
		errx(1, "--name: 1 to %d characters of A-Z a-z 0-9 . _ -", VSIG_NAME_MAX);
	errno = 0;
	memset(s, 0, sizeof(*s));
	s->hdr.version = strtoull(ver, &end, 10);
	if (errno || *end || !*ver || *ver == '-')
		errx(1, "--version: not a number: %s", ver);
	strcpy(s->hdr.name, name);
	img = slurp(argv[optind], VMM_MAX_IMAGE, &len);
	s->hdr.image_len = len;
	if (vsig_sha256(img, len, s->hdr.sha256))
		errx(1, "SHA-256 failed");
	free(img);
	if (vsig_header_encode(&s->hdr, s->hdr_raw))
		errx(1, "bad header");
}

static int cmd_sign(int argc, char **argv)
{
	const char *key = NULL, *out = NULL;
	uint8_t buf[VMM_MAX_SIG];
	struct vsig s;
	EVP_PKEY *k;
	long n;

	build_header(argc, argv, &key, &out, &s);
	k = load_key(key, 1);
	if (vsig_sign(k, &s))
		errx(1, "signing failed");
	EVP_PKEY_free(k);
	n = vsig_encode(&s, buf, sizeof(buf));
	if (n < 0)
		errx(1, "encoding failed");
	spew(out, buf, (size_t)n, 0, 0644);
	return 0;
}

static int cmd_header(int argc, char **argv)
{
	const char *out = NULL;
	struct vsig s;

	build_header(argc, argv, NULL, &out, &s);
	spew(out, s.hdr_raw, VSIG_HDR_SIZE, 0, 0644);
	return 0;
}

static const char *errtext(int e)
{
	const char *t = vmm_strerror(e);

	return t ? t : strerror(-e);
}

static int cmd_verify(int argc, char **argv)
{
	const char *pubf = NULL;
	uint8_t *img, *sigb;
	size_t ilen, slen;
	struct vsig s;
	EVP_PKEY *k;
	uint8_t kid[32];
	int c, ret;

	while ((c = getopt(argc, argv, "p:h")) != -1) {
		switch (c) {
		case 'p':
			pubf = optarg;
			break;
		case 'h':
			usage(0);
		default:
			usage(1);
		}
	}
	if (!pubf || optind != argc - 2)
		usage(1);
	k = load_key(pubf, 0);
	img = slurp(argv[optind], VMM_MAX_IMAGE, &ilen);
	sigb = slurp(argv[optind + 1], 1 << 20, &slen);
	ret = vsig_parse(sigb, slen, &s);
	if (!ret && (vsig_keyid(k, kid) || memcmp(kid, s.keyid, 32)))
		ret = -VMM_E_SIG_KEY;
	if (!ret)
		ret = vsig_verify(k, &s);
	if (!ret)
		ret = vsig_check_image(&s, img, ilen);
	free(img);
	free(sigb);
	EVP_PKEY_free(k);
	if (ret) {
		fprintf(stderr, "vsign: %s: %s\n", argv[optind + 1], errtext(ret));
		return 1;
	}
	printf("OK %s version %" PRIu64 " (%" PRIu64 " bytes)\n", s.hdr.name, s.hdr.version,
	       s.hdr.image_len);
	return 0;
}

static int cmd_keyid(int argc, char **argv)
{
	uint8_t kid[32];
	char h[65];
	EVP_PKEY *k;

	if (argc != 3 || strcmp(argv[1], "-p"))
		usage(1);
	k = load_key(argv[2], 0);
	if (vsig_keyid(k, kid))
		errx(1, "key id failed");
	hex(kid, 32, h);
	printf("%s\n", h);
	EVP_PKEY_free(k);
	return 0;
}

static int cmd_show(int argc, char **argv)
{
	uint8_t *b;
	size_t n;
	struct vsig s;
	char h[65];
	int ret;

	if (argc != 2)
		usage(1);
	b = slurp(argv[1], 1 << 20, &n);
	ret = vsig_parse(b, n, &s);
	free(b);
	if (ret)
		errx(1, "%s: %s", argv[1], errtext(ret));
	printf("algorithm: %s\nname: %s\nversion: %" PRIu64 "\nimage length: %" PRIu64 "\n",
	       s.alg == VSIG_ALG_ED25519 ? "Ed25519" : "RSA-3072-PSS-SHA256", s.hdr.name,
	       s.hdr.version, s.hdr.image_len);
	hex(s.hdr.sha256, 32, h);
	printf("image sha256: %s\n", h);
	hex(s.keyid, 32, h);
	printf("key id: %s\n", h);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		usage(1);
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help"))
		usage(0);
	argv++;
	argc--;
	if (!strcmp(argv[0], "keygen"))
		return cmd_keygen(argc, argv);
	if (!strcmp(argv[0], "sign"))
		return cmd_sign(argc, argv);
	if (!strcmp(argv[0], "verify"))
		return cmd_verify(argc, argv);
	if (!strcmp(argv[0], "header"))
		return cmd_header(argc, argv);
	if (!strcmp(argv[0], "keyid"))
		return cmd_keyid(argc, argv);
	if (!strcmp(argv[0], "show"))
		return cmd_show(argc, argv);
	fprintf(stderr, "vsign: unknown command '%s'\n", argv[0]);
	usage(1);
	return 1;
}
