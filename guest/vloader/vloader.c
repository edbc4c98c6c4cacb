// SPDX-License-Identifier: MIT
/*
 * vloader: loads signed process images through the vmmcall channel.
 *
 *   vloader [-D DEV] IMAGE IMAGE.sig        prints "desc = N"
 *   vloader [-D DEV] msg N [-c CODE] TEXT   prints the reply
 *   vloader [-D DEV] close N
 *   vloader [-D DEV] list
 *   vloader [-D DEV] batch < COMMANDS       many requests over one connection
 */
#include <errno.h>
#include <getopt.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "libvmmcall.h"

static const char *prog = "vloader";

/* Prints the usage (to stderr unless status is 0) and exits with status. */
__attribute__((noreturn)) static void usage(int status)
{
	fprintf(status ? stderr : stdout,
		"usage: vloader [-D DEV] IMAGE IMAGE.sig   load a signed process, print \"desc = N\"\n"
		"       vloader [-D DEV] msg N [-c CODE] TEXT  send TEXT with message code CODE (0)\n"
		"       vloader [-D DEV] close N\n"
		"       vloader [-D DEV] list\n"
		"       vloader [-D DEV] batch                 commands from stdin, one connection:\n"
		"           load IMAGE SIG | msg N CODE TEXT... | msgsize N CODE BYTES | close N |\n"
		"           list | raw HEX | recv | sleep MS | echo TEXT |\n"
		"           bench-load IMAGE SIG COUNT | bench-msg N COUNT BYTES\n"
		"\n"
		"DEV is the vmmcall port (default: the /dev/vportNpM named " VMM_PORT_NAME
		",\nfound in /sys/class/virtio-ports; $VMMCALL_DEV) or a UNIX socket of vprocd.\n");
	exit(status);
}

static const char *errname(int e)
{
	const char *t = vmm_strerror(e);

	return t ? t : strerror(e < 0 ? -e : e);
}

static void report(struct vmmcall *c, const char *what, int ret)
{
	fprintf(stderr, "%s: %s: %s (%d)%s%s\n", prog, what, errname(ret), ret,
		c->errtext[0] ? ": " : "", c->errtext);
}

static uint8_t *slurp(const char *path, size_t max, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	uint8_t *buf;
	size_t got = 0;

	if (fd < 0 || fstat(fd, &st) < 0) {
		fprintf(stderr, "%s: %s: %s\n", prog, path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	if ((uint64_t)st.st_size > max) {
		fprintf(stderr, "%s: %s: too large (%lld bytes)\n", prog, path,
			(long long)st.st_size);
		close(fd);
		return NULL;
	}
	buf = malloc((size_t)st.st_size + 1);
	while (buf && got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);

		if (n <= 0) {
			free(buf);
			buf = NULL;
			break;
		}
		got += (size_t)n;
	}
	close(fd);
	if (!buf)
		fprintf(stderr, "%s: %s: read failed\n", prog, path);
	*len = got;
	return buf;
}

static int do_load(struct vmmcall *c, const char *img, const char *sig)
{
	size_t il, sl;
	/* read a little beyond the limits so the host is the one that refuses */
	uint8_t *ib = slurp(img, VMM_MAX_IMAGE, &il), *sb = slurp(sig, VMM_MAX_SIG * 4, &sl);
	int ret = -EINVAL;

	if (ib && sb) {
		if (sl > VMM_MAX_SIG)
			sl = VMM_MAX_SIG + 1; /* still oversized: let vprocd say so */
		if (sl > VMM_MAX_SIG) {
			/* libvmmcall refuses this locally; build the frame by hand */
			struct vmmcall_reply r;
			uint8_t *buf = malloc(VMM_NEWPROC_PREFIX + il + sl);

			ret = -ENOMEM;
			if (buf) {
				vmm_put32(buf, (uint32_t)il);
				vmm_put32(buf + 4, (uint32_t)sl);
				memcpy(buf + 8, ib, il);
				memcpy(buf + 8 + il, sb, sl);
				ret = vmmcall_request(c, VMM_T_NEWPROCESS, -1, 0, buf,
						      VMM_NEWPROC_PREFIX + il + sl, NULL, 0, &r);
				free(buf);
				if (!ret) {
					ret = r.h.status < 0 ? r.h.status : r.h.desc;
					free(r.data);
				}
			}
		} else {
			ret = vmmcall_newprocess_on(c, ib, il, sb, sl);
		}
	}
	free(ib);
	free(sb);
	if (ret >= 0) {
		printf("desc = %d\n", ret);
		if (c->errtext[0])
			printf("warning: %s\n", c->errtext);
	} else
		report(c, "load", ret);
	return ret;
}

static void print_reply(int st, const uint8_t *buf, size_t len)
{
	if (st != 0)
		printf("status = %d\n", st);
	fwrite(buf, 1, len, stdout);
	putchar('\n');
}

static int do_msg(struct vmmcall *c, int desc, uint32_t code, const void *in, size_t len)
{
	static uint8_t out[VMM_MAX_MSG];
	size_t olen = 0;
	int st = vmmcall_msg_on(c, desc, code, in, len, out, sizeof(out), &olen);

	if (!c->got_reply || st <= -VMM_E_BASE) {
		report(c, "msg", st);
		return st;
	}
	print_reply(st, out, olen);
	return st;
}

static int do_close(struct vmmcall *c, int desc)
{
	int ret = vmmcall_close_process_on(c, desc);

	if (ret < 0)
		report(c, "close", ret);
	else
		printf("closed %d\n", desc);
	return ret;
}

static int do_list(struct vmmcall *c)
{
	char *text = NULL;
	int ret = vmmcall_list_on(c, &text);

	if (ret < 0) {
		report(c, "list", ret);
		return ret;
	}
	fputs(text, stdout);
	printf("end of list\n");
	free(text);
	return 0;
}

static int parse_int(const char *s, long *v)
{
	char *end;

	errno = 0;
	*v = strtol(s, &end, 0);
	return errno || *end || !*s ? -1 : 0;
}

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void print_stats(const char *what, double *v, long n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	printf("%s n=%ld p50_us=%.1f p99_us=%.1f min_us=%.1f max_us=%.1f\n", what, n, v[n / 2],
	       v[(n * 99) / 100 < n ? (n * 99) / 100 : n - 1], v[0], v[n - 1]);
}

static int bench_load(struct vmmcall *c, const char *img, const char *sig, long count)
{
	size_t il, sl;
	uint8_t *ib = slurp(img, VMM_MAX_IMAGE, &il), *sb = slurp(sig, VMM_MAX_SIG, &sl);
	double *v = calloc((size_t)count, sizeof(double));
	int ret = 0;

	for (long i = 0; ib && sb && v && i < count; i++) {
		double t0 = now_us();
		int d = vmmcall_newprocess_on(c, ib, il, sb, sl);

		v[i] = now_us() - t0;
		if (d < 0) {
			report(c, "bench-load", d);
			ret = d;
			break;
		}
		vmmcall_close_process_on(c, d);
	}
	if (!ret && ib && sb && v)
		print_stats("bench-load", v, count);
	free(v);
	free(ib);
	free(sb);
	return ret;
}

static int bench_msg(struct vmmcall *c, int desc, long count, size_t bytes)
{
	double *v = calloc((size_t)count, sizeof(double));
	uint8_t *in = calloc(1, bytes + 1), *out = malloc(VMM_MAX_MSG);
	size_t olen;
	int ret = 0;

	for (long i = 0; v && in && out && i < count; i++) {
		double t0 = now_us();
		int st = vmmcall_msg_on(c, desc, 0, in, bytes, out, VMM_MAX_MSG, &olen);

		v[i] = now_us() - t0;
		if (st < 0) {
			report(c, "bench-msg", st);
			ret = st;
			break;
		}
	}
	if (!ret && v)
		print_stats("bench-msg", v, count);
	free(v);
	free(in);
	free(out);
	return ret;
}

static int hexval(int ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* One command per line; prints one result line (or block) per command. */
/*
 * Batch commands (stdin, one a line). run: 0 done, 1 failed, -1 bad
 * arguments. rest: for msg, the rest of the line after its third word.
 */
struct batch_cmd {
	const char *name;
	int argc;
	int (*run)(struct vmmcall *c, char **argv, const char *rest);
};

static int cmd_load(struct vmmcall *c, char **argv, const char *rest)
{
	(void)rest;
	do_load(c, argv[1], argv[2]);
	return 0;
}

static int cmd_msg(struct vmmcall *c, char **argv, const char *rest)
{
	long a, b;

	if (parse_int(argv[1], &a) || parse_int(argv[2], &b))
		return -1;
	do_msg(c, (int)a, (uint32_t)b, rest ? rest : "", rest ? strlen(rest) : 0);
	return 0;
}

/* A MSG of d zero bytes, up to twice what libvmmcall allows: a raw request. */
static int cmd_msgsize(struct vmmcall *c, char **argv, const char *rest)
{
	struct vmmcall_reply r;
	long a, b, d;
	uint8_t *buf;
	int ret;

	(void)rest;
	if (parse_int(argv[1], &a) || parse_int(argv[2], &b) || parse_int(argv[3], &d) || d < 0 ||
	    d > 2 * (long)VMM_MAX_MSG)
		return -1;
	buf = calloc(1, (size_t)d + 1);
	ret = buf ? vmmcall_request(c, VMM_T_MSG, (int32_t)a, (uint32_t)b, buf, (size_t)d, NULL, 0,
				    &r)
		  : -ENOMEM;
	free(buf);
	if (ret)
		report(c, "msgsize", ret);
	else if (r.h.status < 0 && r.h.status <= -VMM_E_BASE)
		report(c, "msgsize", r.h.status);
	else
		printf("status = %d len = %zu\n", r.h.status, r.len);
	if (!ret)
		free(r.data);
	return 0;
}

static int cmd_close(struct vmmcall *c, char **argv, const char *rest)
{
	long a;

	(void)rest;
	if (parse_int(argv[1], &a))
		return -1;
	do_close(c, (int)a);
	return 0;
}

static int cmd_list(struct vmmcall *c, char **argv, const char *rest)
{
	(void)argv;
	(void)rest;
	do_list(c);
	return 0;
}

/* Hex bytes sent as they are (a frame of the test's own making). */
static int cmd_raw(struct vmmcall *c, char **argv, const char *rest)
{
	size_t n = strlen(argv[1]) / 2;
	uint8_t *buf = malloc(n + 1);
	int ok = buf != NULL;

	(void)rest;
	for (size_t i = 0; ok && i < n; i++) {
		int hi = hexval(argv[1][2 * i]), lo = hexval(argv[1][2 * i + 1]);

		ok = hi >= 0 && lo >= 0;
		if (ok)
			buf[i] = (uint8_t)(hi << 4 | lo);
	}
	if (ok && !vmmcall_send_raw(c, buf, n))
		printf("sent %zu bytes\n", n);
	else
		printf("error: raw failed\n");
	free(buf);
	return 0;
}

static int cmd_recv(struct vmmcall *c, char **argv, const char *rest)
{
	struct vmmcall_reply r;
	int ret = vmmcall_recv(c, &r);

	(void)argv;
	(void)rest;
	if (ret) {
		printf("recv: %s\n", errname(ret));
		return 0;
	}
	printf("frame type=0x%x req=%u status=%d (%s) len=%zu: %s\n", r.h.type, r.h.req_id,
	       r.h.status, r.h.status < 0 ? errname(r.h.status) : "ok", r.len,
	       r.data ? (char *)r.data : "");
	free(r.data);
	return 0;
}

static int cmd_sleep(struct vmmcall *c, char **argv, const char *rest)
{
	long a;

	(void)c;
	(void)rest;
	if (parse_int(argv[1], &a))
		return -1;
	usleep((useconds_t)a * 1000);
	printf("slept\n");
	return 0;
}

static int cmd_bench_load(struct vmmcall *c, char **argv, const char *rest)
{
	long n;

	(void)rest;
	if (parse_int(argv[3], &n) || n <= 0)
		return -1;
	return bench_load(c, argv[1], argv[2], n) < 0;
}

static int cmd_bench_msg(struct vmmcall *c, char **argv, const char *rest)
{
	long id, n, size;

	(void)rest;
	if (parse_int(argv[1], &id) || parse_int(argv[2], &n) || n <= 0 ||
	    parse_int(argv[3], &size) || size < 0 || size > (long)VMM_MAX_MSG)
		return -1;
	return bench_msg(c, (int)id, n, (size_t)size) < 0;
}

static const struct batch_cmd batch_cmds[] = {
	// clang-format off
	{"load", 3, cmd_load},
	{"msg", 3, cmd_msg},
	{"msgsize", 4, cmd_msgsize},
	{"close", 2, cmd_close},
	{"list", 1, cmd_list},
	{"raw", 2, cmd_raw},
	{"recv", 1, cmd_recv},
	{"sleep", 2, cmd_sleep},
	{"bench-load", 4, cmd_bench_load},
	{"bench-msg", 4, cmd_bench_msg},
	// clang-format on
};

/* Words split on spaces; for msg the fourth word is the rest of the line (*rest). */
static int split_words(char *line, char **argv, int max, char **rest)
{
	char *save = NULL;
	int argc = 0;

	*rest = NULL;
	for (char *t = strtok_r(line, " ", &save); t && argc < max;
	     t = strtok_r(NULL, " ", &save)) {
		argv[argc++] = t;
		if (argc == 3 && !strcmp(argv[0], "msg")) {
			*rest = strtok_r(NULL, "", &save);
			break;
		}
	}
	return argc;
}

static int batch(struct vmmcall *c)
{
	char line[8192];
	int failures = 0;

	while (fgets(line, sizeof(line), stdin)) {
		char *argv[8], *rest;
		int argc, r = -1;

		line[strcspn(line, "\n")] = 0;
		if (!line[0] || line[0] == '#')
			continue;
		if (!strncmp(line, "echo ", 5)) {
			printf("== %s\n", line + 5); /* marks sections for the tests */
			continue;
		}
		argc = split_words(line, argv, 8, &rest);
		if (!argc)
			continue;
		printf("> %s\n", argv[0]);
		for (size_t i = 0; i < sizeof(batch_cmds) / sizeof(batch_cmds[0]); i++)
			if (!strcmp(argv[0], batch_cmds[i].name) && argc == batch_cmds[i].argc)
				r = batch_cmds[i].run(c, argv, rest);
		if (r < 0) {
			printf("error: bad command\n");
			r = 1;
		}
		failures += r;
		fflush(stdout);
		fflush(stderr);
	}
	return failures ? 1 : 0;
}

int main(int argc, char **argv)
{
	const char *dev = NULL;
	struct vmmcall c;
	long desc, code = 0;
	int ret, opt;

	static const struct option lo[] = {
		{"device", required_argument, 0, 'D'}, {"help", no_argument, 0, 'h'}, {0}};

	while ((opt = getopt_long(argc, argv, "+D:h", lo, NULL)) != -1) {
		switch (opt) {
		case 'D':
			dev = optarg;
			break;
		case 'h':
			usage(0);
		default:
			usage(2);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1)
		usage(2);
	if (!strcmp(argv[0], "--help") || !strcmp(argv[0], "help"))
		usage(0);
	ret = vmmcall_open(&c, dev);
	if (ret) {
		fprintf(stderr, "%s: cannot open the vmmcall channel %s: %s\n", prog,
			dev ? dev : "(" VMM_PORT_NAME ")", strerror(-ret));
		return 1;
	}
	if (!strcmp(argv[0], "batch") && argc == 1) {
		setvbuf(stdout, NULL, _IOLBF, 0);
		ret = batch(&c);
	} else if (!strcmp(argv[0], "msg") && argc >= 3 && !parse_int(argv[1], &desc)) {
		int i = 2;

		if (argc >= 5 && !strcmp(argv[2], "-c")) {
			if (parse_int(argv[3], &code))
				usage(2);
			i = 4;
		}
		if (i != argc - 1)
			usage(2);
		ret = do_msg(&c, (int)desc, (uint32_t)code, argv[i], strlen(argv[i])) <=
			      -VMM_E_BASE ||
		      !c.got_reply;
	} else if (!strcmp(argv[0], "close") && argc == 2 && !parse_int(argv[1], &desc)) {
		ret = do_close(&c, (int)desc) < 0;
	} else if (!strcmp(argv[0], "list") && argc == 1) {
		ret = do_list(&c) < 0;
	} else if (argc == 2) {
		ret = do_load(&c, argv[0], argv[1]) < 0;
	} else {
		usage(2);
	}
	vmmcall_close_channel(&c);
	return ret;
}
