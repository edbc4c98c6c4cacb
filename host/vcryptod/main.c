// SPDX-License-Identifier: MIT
/*
 * vcryptod: vhost-user backend of a virtio-crypto device. Serves one
 * frontend connection at a time on its listening socket, then the next.
 * Signals arrive through a signalfd on the main thread (all threads block
 * them): SIGTERM/SIGINT exit cleanly, SIGUSR1 prints the queue counters.
 *
 * Three roles of the one binary: the front (default; front.c), which keeps
 * the connection and runs the work in a worker process it can replace; the
 * worker (--worker, started by the front only); and --single-process, the
 * whole daemon in one process as before the split.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>
#include <linux/virtio_crypto.h>

#include "engine.h"
#include "front.h"
#include "journal.h"
#include "sandbox.h"
#include "vhost_user.h"

struct vcd_opts {
	const char *socket_path;
	int listen_fd;
	const char *engine;
	unsigned long max_sessions, queues;
	int verbose;
	int seccomp;
	unsigned long poll_us;
	const char *cpu_affinity;
	uint16_t cpu[VCD_MAX_QUEUES];
	unsigned int ncpu;
	bool single, worker;
	unsigned int restart_max, restart_window_ms;
};

/* Chosen from bench/results/vcryptod.md: see host/vcryptod/README.md. */
#define VCD_POLL_US_DEFAULT 0

/* Prints the usage to f; the exit status that goes with it (0 for stdout). */
static int usage(FILE *f)
{
	fprintf(f,
		"usage: vcryptod (--socket-path PATH | --fd N) [options]\n"
		"vhost-user backend for a virtio-crypto device (QEMU cryptodev-vhost-user)\n"
		"\n"
		"  -s, --socket-path PATH  listen on this UNIX socket (created; a stale one is "
		"replaced)\n"
		"  -f, --fd N              use the already listening socket N\n"
		"  -e, --engine NAME       openssl (default), afalg or cryptodev\n"
		"  -m, --max-sessions N    sessions per connection (default 1024)\n"
		"  -q, --queues N          data queues advertised (default 4, max %d)\n"
		"  -p, --poll-us N         after serving, watch a ring up to N microseconds\n"
		"                          before sleeping (adaptive; default %d, 0: never)\n"
		"      --cpu-affinity LIST  run queue i's worker thread on the i-th CPU of\n"
		"                          LIST (e.g. 2,3 or 2-5; wraps around); for polling\n"
		"                          workers that should keep a core of their own\n"
		"      --seccomp MODE      kill (default): syscalls outside the allowlist kill "
		"the\n"
		"                          daemon; log: only logged (audit); none: no filter\n"
		"      --restart-limit N/MS  at most N worker deaths in MS milliseconds, then\n"
		"                          wait before the next worker (default 5/10000)\n"
		"      --single-process    no front/worker split (a restart drops the guest's\n"
		"                          device; for comparison)\n"
		"      --print-capabilities  print the vhost-user capabilities (JSON) and exit\n"
		"  -v, --verbose           log protocol events (twice: every message)\n"
		"  -h, --help              this text\n"
		"\n"
		"Serves one frontend at a time, then waits for the next. SIGUSR1 prints\n"
		"per-queue counters to stderr; SIGTERM/SIGINT exit after wiping sessions;\n"
		"SIGHUP re-executes the worker from the installed binary (the connection,\n"
		"sessions and rings stay); a worker that dies is replaced.\n"
		"QEMU 7.2 needs -device virtio-crypto-pci,...,vectors=0 (it crashes with MSI-X).\n",
		VCD_MAX_QUEUES, VCD_POLL_US_DEFAULT);
	return f == stdout ? 0 : 2;
}

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("vcryptod: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

static unsigned long parse_num(const char *s, const char *what, unsigned long max)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || s[0] == '-' || v > max)
		die("bad %s '%s' (0..%lu)", what, s, max);
	return v;
}

void vcd_print_stats(const struct vcd_qstats *st, unsigned int n)
{
	static const char *const names[VCD_STATUS_MAX] = {
		"ok", "err", "badmsg", "notsupp", "invsess", "nospc", "key_rejected",
	};

	for (unsigned int i = 0; i < n; i++) {
		const struct vcd_qstats *s = &st[i];

		fprintf(stderr, "vcryptod: queue %u: requests %llu bytes %llu", i,
			(unsigned long long)s->requests, (unsigned long long)s->bytes);
		for (unsigned int k = 0; k < VCD_STATUS_MAX; k++)
			fprintf(stderr, " %s %llu", names[k], (unsigned long long)s->status[k]);
		fprintf(stderr,
			" dropped %llu kicks %llu interrupts %llu poll_hits %llu poll_misses %llu "
			"poll_preempted %llu\n",
			(unsigned long long)s->dropped, (unsigned long long)s->kicks,
			(unsigned long long)s->interrupts, (unsigned long long)s->poll_hits,
			(unsigned long long)s->poll_misses, (unsigned long long)s->poll_preempted);
	}
}

static int make_listener(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct stat sb;
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		die("socket path too long: %s", path);
	strcpy(sa.sun_path, path);
	if (lstat(path, &sb) == 0) {
		if (!S_ISSOCK(sb.st_mode))
			die("%s exists and is not a socket", path);
		unlink(path);
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		die("socket: %s", strerror(errno));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		die("bind %s: %s", path, strerror(errno));
	if (listen(fd, 1) < 0)
		die("listen: %s", strerror(errno));
	return fd;
}

/*
 * Does once what sessions will do later, so that libraries load what they
 * load lazily (OpenSSL's configuration, providers) before the seccomp filter.
 */
static void warm_up(const struct vcd_engine_ops *ops, struct vcd_engine *eng)
{
	static const uint8_t key[32], der[8] = {0x30, 0x03, 0x02, 0x01, 0x01};
	void *obj = NULL;
	unsigned int dl;

	if (!ops->cipher_new(eng, VIRTIO_CRYPTO_CIPHER_AES_CBC, key, 16, true, &obj))
		ops->cipher_free(obj);
	obj = NULL;
	if (!ops->mac_new(eng, VIRTIO_CRYPTO_MAC_HMAC_SHA_256, key, 32, &obj, &dl))
		ops->mac_free(obj);
	obj = NULL;
	if (!ops->rsa_new(eng, VIRTIO_CRYPTO_AKCIPHER_KEY_TYPE_PRIVATE, der, sizeof(der),
			  VIRTIO_CRYPTO_RSA_PKCS1_PADDING, VIRTIO_CRYPTO_RSA_SHA256, &obj))
		ops->rsa_free(obj);
}

/* 1: a signal asks us to exit. */
static int handle_signal(int sfd, const struct vcd_qstats *st, unsigned int n)
{
	struct signalfd_siginfo si;

	while (read(sfd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGUSR1)
			vcd_print_stats(st, n);
		else
			return 1;
	}
	return 0;
}

enum conn_end { CONN_DROPPED, CONN_QUIT, CONN_BROKEN };

/*
 * Serves d's messages with serve() until the connection ends: a signal asks
 * us to exit, a guest ring is broken, or serve() failed (*err, else 0).
 */
static enum conn_end serve_dev(struct vcd_dev *d, int sfd, int (*serve)(struct vcd_dev *), int *err)
{
	*err = 0;
	for (;;) {
		struct pollfd p[3] = {
			{.fd = d->fd, .events = POLLIN},
			{.fd = d->broken_fd, .events = POLLIN},
			{.fd = sfd, .events = POLLIN},
		};

		if (poll(p, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			return CONN_DROPPED;
		}
		if (p[2].revents && handle_signal(sfd, d->conf.stats, d->conf.queues))
			return CONN_QUIT;
		if (p[1].revents)
			return CONN_BROKEN;
		if (p[0].revents) {
			*err = serve(d);
			if (*err)
				return CONN_DROPPED;
		}
	}
}

/* --single-process: serves one connection to its end. 1: exit requested. */
static int serve_conn(int cfd, int sfd, const struct vcd_dev_conf *conf)
{
	struct vcd_dev *d = malloc(sizeof(*d));
	int quit = 0, ret;

	if (!d)
		return 0;
	ret = vcd_dev_init(d, conf, cfd);
	if (ret) {
		fprintf(stderr, "vcryptod: connection setup: %s\n", strerror(-ret));
		free(d);
		return 0;
	}
	switch (serve_dev(d, sfd, vcd_dev_serve_one, &ret)) {
	case CONN_QUIT:
		quit = 1;
		break;
	case CONN_BROKEN:
		fprintf(stderr, "vcryptod: guest ring broken, dropping connection\n");
		break;
	case CONN_DROPPED:
		if (ret && ret != -ECONNRESET)
			fprintf(stderr, "vcryptod: dropping connection: %s\n", strerror(-ret));
		break;
	}
	vcd_dev_fini(d);
	explicit_bzero(d, sizeof(*d));
	free(d);
	if (conf->verbose)
		fprintf(stderr, "vcryptod: connection closed\n");
	return quit;
}

/*
 * The worker: serves the front's messages on VCD_WORKER_SOCK_FD with the
 * front's shared state at VCD_WORKER_SHARED_FD. Exit 0 when the front
 * closes the socket or on SIGTERM (rings stopped: what it took is done),
 * 3 when a guest ring is broken (the front drops the connection).
 */
static int run_worker(const struct vcd_dev_conf *base, int sfd)
{
	struct vcd_dev_conf conf = *base;
	size_t len = VCD_SHARED_LEN(conf.queues);
	struct vcd_shared *sh;
	struct vcd_dev *d;
	int rc = 0, ret;

	sh = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE,
		  VCD_WORKER_SHARED_FD, 0);
	if (sh == MAP_FAILED)
		die("worker: shared state: %s", strerror(errno));
	if (sh->magic != VCD_JOURNAL_MAGIC || sh->queues != conf.queues)
		die("worker: shared state of another layout (magic %#x, %u queues)", sh->magic,
		    sh->queues);
	close(VCD_WORKER_SHARED_FD);
	conf.shared = sh;
	conf.stats = sh->stats;
	d = malloc(sizeof(*d));
	if (!d)
		die("out of memory");
	ret = vcd_dev_init(d, &conf, VCD_WORKER_SOCK_FD);
	if (ret)
		die("worker: %s", strerror(-ret));
	if (serve_dev(d, sfd, vcd_dev_serve_proxy, &ret) == CONN_BROKEN) {
		fprintf(stderr, "vcryptod: guest ring broken\n");
		rc = 3;
	}
	vcd_dev_fini(d);
	explicit_bzero(d, sizeof(*d));
	free(d);
	return rc;
}

static void parse_restart_limit(const char *s, struct vcd_opts *o)
{
	char *end;
	unsigned long n, ms;

	errno = 0;
	n = strtoul(s, &end, 10);
	if (errno || end == s || *end != '/' || n > 64)
		die("bad --restart-limit '%s' (N/MS, N 0..64)", s);
	ms = parse_num(end + 1, "restart window", 3600000);
	o->restart_max = (unsigned int)n;
	o->restart_window_ms = (unsigned int)ms;
}

/*
 * --cpu-affinity: CPU numbers and ranges ("2,3", "0-3,6"), at most
 * VCD_MAX_QUEUES of them, each one this process may run on (checked here, so
 * that a worker never finds out later).
 */
static void parse_cpus(const char *s, struct vcd_opts *o)
{
	const char *p = s;
	cpu_set_t allowed;

	if (sched_getaffinity(0, sizeof(allowed), &allowed) < 0)
		die("sched_getaffinity: %s", strerror(errno));
	o->ncpu = 0;
	for (;;) {
		unsigned long a, b;
		char *end;

		errno = 0;
		a = strtoul(p, &end, 10);
		if (errno || end == p || !isdigit((unsigned char)*p))
			die("bad --cpu-affinity '%s' (e.g. 2,3 or 2-5)", s);
		b = a;
		if (*end == '-') {
			p = end + 1;
			b = strtoul(p, &end, 10);
			if (errno || end == p || !isdigit((unsigned char)*p) || b < a)
				die("bad --cpu-affinity '%s' (e.g. 2,3 or 2-5)", s);
		}
		for (unsigned long c = a; c <= b; c++) {
			if (c >= CPU_SETSIZE || !CPU_ISSET(c, &allowed))
				die("--cpu-affinity: CPU %lu is not one this process may use", c);
			if (o->ncpu == VCD_MAX_QUEUES)
				die("--cpu-affinity: more than %d CPUs", VCD_MAX_QUEUES);
			o->cpu[o->ncpu++] = (uint16_t)c;
		}
		if (*end == 0)
			break;
		if (*end != ',')
			die("bad --cpu-affinity '%s' (e.g. 2,3 or 2-5)", s);
		p = end + 1;
	}
	o->cpu_affinity = s;
}

/* Parses the command line into o; returns -1 to go on, else the exit status. */
static int parse_options(int argc, char **argv, struct vcd_opts *o)
{
	static const struct option lo[] = {
		{"socket-path", required_argument, NULL, 's'},
		{"fd", required_argument, NULL, 'f'},
		{"engine", required_argument, NULL, 'e'},
		{"max-sessions", required_argument, NULL, 'm'},
		{"queues", required_argument, NULL, 'q'},
		{"poll-us", required_argument, NULL, 'p'},
		{"cpu-affinity", required_argument, NULL, 'A'},
		{"print-capabilities", no_argument, NULL, 'C'},
		{"seccomp", required_argument, NULL, 'S'},
		{"verbose", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},
		{"single-process", no_argument, NULL, '1'},
		{"worker", no_argument, NULL, 'W'},
		{"restart-limit", required_argument, NULL, 'R'},
		{0},
	};
	int c;

	while ((c = getopt_long(argc, argv, "s:f:e:m:q:p:vh", lo, NULL)) != -1) {
		switch (c) {
		case 's':
			o->socket_path = optarg;
			break;
		case 'f':
			o->listen_fd = (int)parse_num(optarg, "fd", INT_MAX);
			break;
		case 'e':
			o->engine = optarg;
			break;
		case 'm':
			o->max_sessions = parse_num(optarg, "session limit", 1u << 24);
			break;
		case 'q':
			o->queues = parse_num(optarg, "queue count", VCD_MAX_QUEUES);
			if (!o->queues)
				die("--queues must be at least 1");
			break;
		case 'p':
			o->poll_us = parse_num(optarg, "polling window", 10000000);
			break;
		case 'A':
			parse_cpus(optarg, o);
			break;
		case 'S':
			o->seccomp = vcd_seccomp_parse(optarg);
			if (o->seccomp < 0)
				die("--seccomp must be kill, log or none");
			break;
		case 'C':
			printf("{\n  \"type\": \"crypto\"\n}\n");
			return 0;
		case 'v':
			o->verbose++;
			break;
		case '1':
			o->single = true;
			break;
		case 'W':
			o->worker = true;
			break;
		case 'R':
			parse_restart_limit(optarg, o);
			break;
		case 'h':
			return usage(stdout);
		default:
			return usage(stderr);
		}
	}
	if (optind != argc || (!o->worker && !o->socket_path == (o->listen_fd < 0))) {
		fprintf(stderr, "vcryptod: give exactly one of --socket-path and --fd\n");
		return usage(stderr);
	}
	return -1;
}

/* The listening socket: made at --socket-path, or --fd checked to be one. */
static int listener(const struct vcd_opts *o)
{
	int on = 0;
	socklen_t sl = sizeof(on);

	if (o->socket_path)
		return make_listener(o->socket_path);
	if (getsockopt(o->listen_fd, SOL_SOCKET, SO_ACCEPTCONN, &on, &sl) < 0 || !on)
		die("--fd %d is not a listening socket", o->listen_fd);
	return o->listen_fd;
}

/* Before any thread exists, so every thread inherits the mask. */
static int signals(void)
{
	sigset_t mask;
	int sfd;

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGUSR1);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGCHLD);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
		die("sigprocmask: %s", strerror(errno));
	sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sfd < 0)
		die("signalfd: %s", strerror(errno));
	signal(SIGPIPE, SIG_IGN);
	return sfd;
}

/* The front (the default): it opens no engine; its workers do. */
static int run_front(const struct vcd_opts *o, const struct vcd_engine_ops *ops)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	struct vcd_front_conf fc = {.exe = exe,
				    .engine = ops->name,
				    .max_sessions = o->max_sessions,
				    .queues = o->queues,
				    .poll_us = o->poll_us,
				    .cpu_affinity = o->cpu_affinity,
				    .seccomp = o->seccomp,
				    .verbose = o->verbose,
				    .restart_max = o->restart_max,
				    .restart_window_ms = o->restart_window_ms};
	int sfd, lfd, ret;

	if (n <= 0)
		die("cannot find my own binary: %s", strerror(errno));
	exe[n] = 0;
	sfd = signals();
	lfd = listener(o);
	ret = vcd_front_run(&fc, lfd, sfd, o->socket_path);
	close(lfd);
	close(sfd);
	return ret;
}

/* afalg keeps two fds per session object: allow what the hard limit allows. */
static void raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

/* --single-process: accept one frontend after another until a signal ends it. */
static void accept_loop(int lfd, int sfd, const struct vcd_dev_conf *conf)
{
	for (;;) {
		struct pollfd p[2] = {{.fd = lfd, .events = POLLIN}, {.fd = sfd, .events = POLLIN}};
		int cfd, ret;

		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			die("poll: %s", strerror(errno));
		}
		if (p[1].revents && handle_signal(sfd, conf->stats, conf->queues))
			return;
		if (!(p[0].revents & POLLIN))
			continue;
		cfd = vcd_vu_accept(lfd);
		if (cfd == -EAGAIN)
			continue;
		if (cfd < 0)
			die("accept: %s", strerror(-cfd));
		if (conf->verbose)
			fprintf(stderr, "vcryptod: frontend connected\n");
		ret = serve_conn(cfd, sfd, conf);
		close(cfd);
		if (ret)
			return;
	}
}

/* A worker (--worker, started by the front) or --single-process. */
static int run_engine(const struct vcd_opts *o, const struct vcd_engine_ops *ops)
{
	struct vcd_engine *eng = NULL;
	struct vcd_qstats *stats;
	struct vcd_dev_conf conf;
	const char *why = NULL;
	int sfd, lfd = -1, ret;

	ret = ops->open(&eng);
	if (ret)
		die("engine %s: %s", o->engine, strerror(-ret));
	sfd = signals();
	if (!o->worker)
		lfd = listener(o);
	stats = calloc(o->queues, sizeof(*stats));
	if (!stats)
		die("out of memory");
	conf = (struct vcd_dev_conf){.ops = ops,
				     .eng = eng,
				     .max_sessions = (uint32_t)o->max_sessions,
				     .queues = (unsigned int)o->queues,
				     .verbose = o->verbose,
				     .poll_us = (unsigned int)o->poll_us,
				     .ncpu = o->ncpu,
				     .stats = stats};
	memcpy(conf.cpu, o->cpu, sizeof(conf.cpu));
	raise_nofile();
	warm_up(ops, eng);
	ret = vcd_seccomp_install(o->seccomp, ops->name, &why);
	if (ret < 0)
		die("seccomp: %s", strerror(-ret));
	if (o->worker) {
		if (o->verbose)
			fprintf(stderr, "vcryptod: worker %d ready (engine %s)\n", (int)getpid(),
				ops->name);
		ret = run_worker(&conf, sfd);
	} else {
		fprintf(stderr,
			"vcryptod: engine %s, %lu queues, %lu sessions per connection, polling "
			"%lu us, seccomp %s%s%s, listening%s%s\n",
			ops->name, o->queues, o->max_sessions, o->poll_us,
			vcd_seccomp_state(o->seccomp, ret), why ? ": " : "", why ? why : "",
			o->socket_path ? " on " : "", o->socket_path ? o->socket_path : "");
		accept_loop(lfd, sfd, &conf);
		fprintf(stderr, "vcryptod: exiting; sessions wiped\n");
		vcd_print_stats(stats, conf.queues);
		/*
		 * The socket file stays: the seccomp filter allows no unlink. The
		 * next start replaces it (make_listener), as the launcher does.
		 */
		close(lfd);
		ret = 0;
	}
	free(stats);
	ops->close(eng);
	close(sfd);
	return ret;
}

int main(int argc, char **argv)
{
	struct vcd_opts o = {.listen_fd = -1,
			     .engine = "openssl",
			     .max_sessions = 1024,
			     .queues = 4,
			     .poll_us = VCD_POLL_US_DEFAULT,
			     .restart_max = 5,
			     .restart_window_ms = 10000};
	const struct vcd_engine_ops *ops;
	int ret = parse_options(argc, argv, &o);

	if (ret >= 0)
		return ret;
	ops = vcd_engine_find(o.engine);
	if (!ops)
		die("unknown engine '%s' (openssl, afalg, cryptodev)", o.engine);
	if (!o.single && !o.worker)
		return run_front(&o, ops);
	return run_engine(&o, ops);
}
