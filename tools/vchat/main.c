// SPDX-License-Identifier: GPL-2.0
/* vchat: encrypted multi-client chat. Command line and self-test. */
#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "proto.h"
#include "server.h"
#include "vchat_crypto.h"

/* Prints the usage to f; the exit status that goes with it (0 for stdout). */
static int usage(FILE *f)
{
	fputs("usage: vchat server [--listen ADDR:PORT] [--max-queue BYTES] [--frame-timeout MS]\n"
	      "                    [--hello-timeout MS] [--max-clients N] [--verbose]\n"
	      "       vchat client HOST PORT [--nick NAME] [--room NAME] [--key-file FILE]\n"
	      "                    [--crypto devcrypto|openssl|auto] [--linger MS]\n"
	      "       vchat selftest [--crypto devcrypto|openssl|auto]\n"
	      "       vchat --help\n"
	      "\n"
	      "Encrypted multi-client chat over TCP (protocol 2). The server relays sealed\n"
	      "frames and never holds the key (default --listen 127.0.0.1:7777); it is not\n"
	      "trusted: it can drop, delay or reorder, but not read, forge, or replay to a\n"
	      "client anything sealed before that client joined. The client seals each line\n"
	      "with AES-256-CBC + HMAC-SHA256 (encrypt-then-MAC) under the room key,\n"
	      "PBKDF2-HMAC-SHA256 of the passphrase with a salt made from --room NAME\n"
	      "(default \"lobby\"; the server has no say in it: pick a distinctive name).\n"
	      "On joining it sends a random nonce that every member answers under the room\n"
	      "key; it shows a member's lines only if sealed after that answer, so a\n"
	      "recorded frame cannot be replayed to it (no clock involved). Lines typed\n"
	      "before the members have answered wait up to 3 s. /quit or end of input leaves.\n"
	      "\n"
	      "The passphrase comes from --key-file FILE, else the VCHAT_KEY environment\n"
	      "variable, else a no-echo prompt read from /dev/tty (read(2), wiped after use);\n"
	      "never from the command line.\n"
	      "--crypto auto (default) uses /dev/crypto (cryptodev ABI) when it answers,\n"
	      "else OpenSSL; a startup line says which provider does what.\n"
	      "selftest checks the provider against known AES-256-CBC and HMAC-SHA256 answers.\n",
	      f);
	return f == stdout ? 0 : 2;
}

static unsigned long num_arg(const char *s, const char *what, unsigned long max)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || !*s || *end || v > max)
		errx(2, "bad %s: %s", what, s);
	return v;
}

static int cmd_server(int argc, char **argv)
{
	static const struct option lo[] = {
		{"listen", required_argument, NULL, 'l'},
		{"max-queue", required_argument, NULL, 'q'},
		{"frame-timeout", required_argument, NULL, 't'},
		{"hello-timeout", required_argument, NULL, 'H'},
		{"max-clients", required_argument, NULL, 'm'},
		{"verbose", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	struct vchat_server_opts o = {
		.listen = "127.0.0.1:7777",
		.max_queue = 1 << 20,
		.frame_timeout_ms = 10000,
		.hello_timeout_ms = 10000,
		.max_clients = 10000,
	};
	int c, ret;

	while ((c = getopt_long(argc, argv, "l:q:t:H:m:vh", lo, NULL)) != -1) {
		switch (c) {
		case 'l':
			o.listen = optarg;
			break;
		case 'q':
			o.max_queue = num_arg(optarg, "--max-queue", 1ul << 32);
			if (o.max_queue < 2 * (4 + VCHAT_FRAME_MAX))
				errx(2, "--max-queue must be at least %u",
				     2 * (4 + VCHAT_FRAME_MAX));
			break;
		case 't':
			o.frame_timeout_ms =
				(unsigned int)num_arg(optarg, "--frame-timeout", 3600000);
			break;
		case 'H':
			o.hello_timeout_ms =
				(unsigned int)num_arg(optarg, "--hello-timeout", 3600000);
			break;
		case 'm':
			o.max_clients = (unsigned int)num_arg(optarg, "--max-clients", 1000000);
			break;
		case 'v':
			o.verbose = 1;
			break;
		case 'h':
			return usage(stdout);
		default:
			return usage(stderr);
		}
	}
	if (optind != argc)
		errx(2, "server: unexpected argument %s (see --help)", argv[optind]);
	ret = vchat_server_run(&o);
	return ret ? 1 : 0;
}

static int cmd_client(int argc, char **argv)
{
	static const struct option lo[] = {
		{"nick", required_argument, NULL, 'n'},
		{"key-file", required_argument, NULL, 'k'},
		{"room", required_argument, NULL, 'r'},
		{"crypto", required_argument, NULL, 'c'},
		{"linger", required_argument, NULL, 'L'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	struct vchat_client_opts o = {.crypto = VCHAT_CRYPTO_AUTO, .room = "lobby"};
	const char *user = getenv("USER");
	int c, ret;

	o.nick = user && *user ? user : "anonymous";
	/* getopt_long takes "--key" as "--key-file": refuse look-alikes. */
	for (c = 1; c < argc; c++)
		if (!strcmp(argv[c], "--key") || !strncmp(argv[c], "--key=", 6) ||
		    !strncmp(argv[c], "--pass", 6))
			errx(2,
			     "%s: the passphrase is never taken from the command line (ps shows "
			     "it); use --key-file FILE, VCHAT_KEY or the prompt",
			     argv[c]);
	while ((c = getopt_long(argc, argv, "n:k:r:c:L:h", lo, NULL)) != -1) {
		switch (c) {
		case 'n':
			o.nick = optarg;
			break;
		case 'k':
			o.key_file = optarg;
			break;
		case 'r':
			if (!*optarg || strlen(optarg) > VCHAT_ROOM_MAX)
				errx(2, "--room must be 1 to %d bytes", VCHAT_ROOM_MAX);
			o.room = optarg;
			break;
		case 'c':
			if (vchat_crypto_parse_kind(optarg, &o.crypto))
				errx(2, "--crypto must be devcrypto, openssl or auto");
			break;
		case 'L':
			o.linger_ms = (unsigned int)num_arg(optarg, "--linger", 3600000);
			break;
		case 'h':
			return usage(stdout);
		default:
			return usage(stderr);
		}
	}
	if (argc - optind != 2)
		errx(2, "client: need HOST and PORT (see --help)");
	o.host = argv[optind];
	o.port = argv[optind + 1];
	if (!vchat_nick_valid((const uint8_t *)o.nick, strlen(o.nick)))
		errx(2, "--nick must be 1 to %d printable characters without spaces",
		     VCHAT_NICK_MAX);
	ret = vchat_client_run(&o);
	return ret ? 1 : 0;
}

static int hex(const char *s, uint8_t *out, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (sscanf(s + 2 * i, "%2hhx", &out[i]) != 1)
			return -1;
	return 0;
}

/*
 * Known answers: AES-256-CBC from NIST SP 800-38A F.2.5 (first two blocks);
 * HMAC-SHA256 with key 00..1f over "vchat selftest: hmac-sha256 known answer"
 * (computed independently with Python's hmac module).
 */
static int cmd_selftest(int argc, char **argv)
{
	enum vchat_crypto_kind kind = VCHAT_CRYPTO_AUTO;
	uint8_t key[32], mkey[32], iv[16], pt[32], ct[32], buf[32], mac[32], want_mac[32];
	const char *msg = "vchat selftest: hmac-sha256 known answer";
	struct vchat_crypto *c;
	char why[200];
	int err = 0, fails = 0, i;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--crypto") && i + 1 < argc) {
			if (vchat_crypto_parse_kind(argv[++i], &kind))
				errx(2, "--crypto must be devcrypto, openssl or auto");
		} else {
			errx(2, "selftest: unexpected argument %s", argv[i]);
		}
	}
	hex("603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4", key, 32);
	hex("000102030405060708090a0b0c0d0e0f", iv, 16);
	hex("6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51", pt, 32);
	hex("f58c4c04d6e5f1ba779eabfb5f7bfbd69cfc4e967edb808d679f777bc6702c7d", ct, 32);
	for (i = 0; i < 32; i++)
		mkey[i] = (uint8_t)i;
	hex("e92f344b35f68f8a115c92299c3ecd15931f0c22dac0f76a38fab0958e2f29ee", want_mac, 32);

	c = vchat_crypto_new(kind, key, mkey, &err, why, sizeof(why));
	if (!c) {
		fprintf(stderr, "vchat selftest: provider unavailable: %s\n", strerror(-err));
		return 1;
	}
	printf("provider %s: %s%s%s\n", c->ops->name, c->desc, why[0] ? "; " : "", why);
	err = c->ops->encrypt(c, iv, pt, buf, 32);
	printf("%s AES-256-CBC encrypt (SP 800-38A F.2.5)%s\n",
	       !err && !memcmp(buf, ct, 32) ? "pass" : "FAIL", err ? strerror(-err) : "");
	fails += err || memcmp(buf, ct, 32);
	err = c->ops->decrypt(c, iv, ct, buf, 32);
	printf("%s AES-256-CBC decrypt (SP 800-38A F.2.6)\n",
	       !err && !memcmp(buf, pt, 32) ? "pass" : "FAIL");
	fails += err || memcmp(buf, pt, 32);
	err = c->ops->mac(c, (const uint8_t *)msg, strlen(msg), mac);
	printf("%s HMAC-SHA256 known answer\n",
	       !err && !memcmp(mac, want_mac, 32) ? "pass" : "FAIL");
	fails += err || memcmp(mac, want_mac, 32);
	vchat_crypto_free(c);
	return fails ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return usage(stderr);
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help"))
		return usage(stdout);
	if (!strcmp(argv[1], "server"))
		return cmd_server(argc - 1, argv + 1);
	if (!strcmp(argv[1], "client"))
		return cmd_client(argc - 1, argv + 1);
	if (!strcmp(argv[1], "selftest"))
		return cmd_selftest(argc - 1, argv + 1);
	fprintf(stderr, "vchat: unknown command %s\n", argv[1]);
	return usage(stderr);
}
