// SPDX-License-Identifier: MIT
/*
 * vprocd: serves one VM's vmmcall channel. QEMU connects to our UNIX
 * socket (chardev socket, client side); we serve one connection at a time
 * and the processes of a connection live as long as it does.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "vprocd.h"

#ifdef VPD_BUILTIN_KEY
#include VPD_BUILTIN_KEY
#endif

/* Prints the usage (to stderr unless status is 0) and exits with status. */
__attribute__((noreturn)) static void usage(int status)
{
	fprintf(status ? stderr : stdout,
		"usage: vprocd --socket-path SOCK --trusted-key PUB.pem [options]\n"
		"\n"
		"Serves one VM's vmmcall channel (virtio-serial port " VMM_PORT_NAME "):\n"
		"verifies signed process images and runs them sandboxed.\n"
		"\n"
		"  -s, --socket-path SOCK    UNIX socket QEMU connects to (chardev socket)\n"
		"  -k, --trusted-key FILE    PEM public key (Ed25519 or RSA-3072); repeatable\n"
		"  -r, --revoked FILE        revoked image SHA-256s, hex, one per line\n"
		"  -S, --state-file FILE     rollback floor (highest version per name); a load\n"
		"                            whose floor cannot be saved there is refused\n"
		"      --min-version NAME=V  refuse versions of NAME below V, whatever the state\n"
		"                            file says (administrator's floor); repeatable\n"
		"      --allow-weak-isolation  run processes even where the kernel refuses a\n"
		"                            namespace (user, net, mount, ipc, uts) or the empty\n"
		"                            root; the load reply says what is missing. Without\n"
		"                            it such loads are refused (VMM_E_SPAWN)\n"
		"      --max-procs N         live processes per VM (default 8)\n"
		"      --max-inflight N      messages in flight per VM (default 16)\n"
		"      --max-image BYTES     image size limit (default 4 MiB, at most %u)\n"
		"      --msg-timeout-ms MS   a process must answer within (default 2000)\n"
		"      --mem-limit MIB       address space per process (default 256)\n"
		"      --cpu-limit SEC       CPU seconds per process (default 10)\n"
		"      --frame-timeout-ms MS a frame that stops arriving is dropped\n"
		"                            (default 5000)\n"
		"      --poll-us US          after sending a process a message, wait up to US\n"
		"                            microseconds for its reply without sleeping\n"
		"                            (default 50; 0: always sleep in poll)\n"
		"  -v, --verbose / -q, --quiet\n"
		"  -h, --help\n"
		"%s",
		VMM_MAX_IMAGE,
#ifdef VPD_BUILTIN_KEY
		"A trusted key is built in (make VPROCD_PUBKEY=...).\n"
#else
		""
#endif
	);
	exit(status);
}

static unsigned long num(const char *opt, const char *s, unsigned long max)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || !*s || *s == '-' || v > max) {
		fprintf(stderr, "vprocd: %s: bad value '%s'\n", opt, s);
		exit(2);
	}
	return v;
}

static int listen_on(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct stat st;
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		vpd_log(0, "%s: path too long", path);
		return -1;
	}
	strcpy(sa.sun_path, path);
	if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode))
		unlink(path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 4) < 0) {
		vpd_log(0, "%s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

#define VPD_MAX_POLL (2 + 2 * 64)

/*
 * The event loop, in the manner of redis's ae: every fd it waits on has a
 * callback. The set is rebuilt each round (processes come and go); a
 * callback returns 0, VPD_LOOP_DROP to drop the VM connection, or
 * VPD_LOOP_EXIT to end vprocd.
 */
enum { VPD_LOOP_DROP = -1, VPD_LOOP_EXIT = 1 };

struct vpd_loop;
typedef int (*vpd_watch_fn)(struct vpd_loop *l, int fd, struct vpd_proc *p, short revents);

struct vpd_loop {
	struct vpd_server *srv;
	int lfd, sfd;
	struct vpd_conn *c; /* the VM connection, NULL while none */
	struct pollfd pf[VPD_MAX_POLL];
	struct {
		vpd_watch_fn fn;
		struct vpd_proc *proc;
	} w[VPD_MAX_POLL];
	int n;
};

static void watch(struct vpd_loop *l, int fd, short events, vpd_watch_fn fn, struct vpd_proc *p)
{
	l->pf[l->n] = (struct pollfd){fd, events, 0};
	l->w[l->n].fn = fn;
	l->w[l->n].proc = p;
	l->n++;
}

static int on_signal(struct vpd_loop *l, int fd, struct vpd_proc *p, short revents)
{
	struct signalfd_siginfo si;

	if (read(fd, &si, sizeof(si)) != sizeof(si))
		return 0;
	vpd_log(1, "signal %u: exiting", si.ssi_signo);
	return VPD_LOOP_EXIT;
}

static int on_listen(struct vpd_loop *l, int fd, struct vpd_proc *p, short revents)
{
	int cfd = accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	int rcv = 4 << 20;

	if (cfd < 0)
		return 0;
	/* fewer wakeups while an image streams in */
	setsockopt(cfd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
	l->c = vpd_conn_new(l->srv, cfd);
	if (!l->c)
		close(cfd);
	else
		vpd_log(1, "VM connected");
	return 0;
}

static int on_conn(struct vpd_loop *l, int fd, struct vpd_proc *p, short revents)
{
	if (revents & POLLOUT && vpd_conn_flush(l->c) < 0)
		return VPD_LOOP_DROP;
	if (revents & (POLLIN | POLLHUP | POLLERR) && vpd_conn_read(l->c) < 0)
		return VPD_LOOP_DROP;
	return 0;
}

/* A process may already have been freed by an earlier callback of this round. */
static bool still_there(struct vpd_conn *c, struct vpd_proc *p)
{
	for (struct vpd_proc *q = c->procs; q; q = q->next)
		if (q == p)
			return true;
	return false;
}

static int on_chan(struct vpd_loop *l, int fd, struct vpd_proc *p, short revents)
{
	if (still_there(l->c, p) && p->chan == fd)
		vpd_proc_on_chan(l->c, p);
	return 0;
}

static int on_exit_fd(struct vpd_loop *l, int fd, struct vpd_proc *p, short revents)
{
	if (still_there(l->c, p) && p->pidfd == fd)
		vpd_proc_on_exit(l->c, p);
	return 0;
}

/* The fds of this round and the poll timeout (the nearest deadline). */
static int gather(struct vpd_loop *l)
{
	struct vpd_conn *c = l->c;
	uint64_t d, now;

	l->n = 0;
	watch(l, l->sfd, POLLIN, on_signal, NULL);
	if (!c) {
		watch(l, l->lfd, POLLIN, on_listen, NULL);
		return -1;
	}
	watch(l, c->fd, (c->out_bytes < VPD_OUT_HIGH ? POLLIN : 0) | (c->out_head ? POLLOUT : 0),
	      on_conn, NULL);
	for (struct vpd_proc *p = c->procs; p && l->n + 2 <= VPD_MAX_POLL; p = p->next) {
		if (p->chan >= 0 && p->state == VPD_P_LIVE && !p->death_err)
			watch(l, p->chan, POLLIN, on_chan, p);
		if (p->pidfd >= 0)
			watch(l, p->pidfd, POLLIN, on_exit_fd, p);
	}
	d = vpd_proc_next_deadline(c);
	if (vpd_conn_frame_deadline(c) < d)
		d = vpd_conn_frame_deadline(c);
	if (d == UINT64_MAX)
		return -1;
	now = vpd_now_ms();
	return d <= now ? 0 : (int)(d - now > 60000 ? 60000 : d - now);
}

/*
 * Replies ready go out; then, back-to-back messages: while the guest's next
 * request comes within --poll-us of a reply, it is served without going
 * through poll() (at most 64 in a row, then timeouts and exits are looked at).
 */
static int after_round(struct vpd_conn *c)
{
	if (!c->out_head)
		vpd_proc_poll_replies(c);
	if (c->out_head && vpd_conn_flush(c) < 0)
		return VPD_LOOP_DROP;
	for (int fast = 0; fast < 64; fast++) {
		int r = vpd_conn_poll_next(c);

		if (r < 0)
			return VPD_LOOP_DROP;
		if (!r)
			break;
		if (!c->out_head)
			vpd_proc_poll_replies(c);
		if (c->out_head && vpd_conn_flush(c) < 0)
			return VPD_LOOP_DROP;
	}
	return 0;
}

/* Serves until SIGTERM/SIGINT. Returns the exit status. */
static int serve(struct vpd_server *srv, int lfd, int sfd)
{
	struct vpd_loop *l = calloc(1, sizeof(*l));
	int status = 0;

	if (!l)
		return 1;
	*l = (struct vpd_loop){.srv = srv, .lfd = lfd, .sfd = sfd};
	for (;;) {
		int timeout = gather(l), r = 0;

		if (poll(l->pf, (nfds_t)l->n, timeout) < 0) {
			if (errno == EINTR)
				continue;
			vpd_log(0, "poll: %s", strerror(errno));
			status = 1;
			break;
		}
		if (l->c) {
			vpd_proc_timeouts(l->c, vpd_now_ms());
			vpd_conn_frame_timeout(l->c, vpd_now_ms());
		}
		for (int i = 0; i < l->n && !r; i++)
			if (l->pf[i].revents)
				r = l->w[i].fn(l, l->pf[i].fd, l->w[i].proc, l->pf[i].revents);
		if (r == VPD_LOOP_EXIT)
			break;
		if (!r && l->c)
			r = after_round(l->c);
		if (r == VPD_LOOP_DROP) {
			vpd_log(1, "VM connection closed; its processes are stopped");
			vpd_conn_free(l->c);
			l->c = NULL;
		}
	}
	vpd_conn_free(l->c);
	free(l);
	return status;
}

/* Long options without a short letter. */
enum {
	OPT_MAX_PROCS = 0x100,
	OPT_MAX_INFLIGHT,
	OPT_MAX_IMAGE,
	OPT_MSG_TIMEOUT,
	OPT_MEM_LIMIT,
	OPT_CPU_LIMIT,
	OPT_FRAME_TIMEOUT,
	OPT_MIN_VERSION,
	OPT_ALLOW_WEAK,
	OPT_POLL_US,
};

/* What the command line gives beyond struct vpd_config. */
struct vpd_args {
	const char *sock, *revoked;
	const char *keys[VPD_MAX_KEYS];
	unsigned int nkeys;
	const char *minv[64];
	unsigned int nminv;
};

/* Parses the command line into cfg and a; returns -1 to go on, else the exit status. */
static int parse_options(int argc, char **argv, struct vpd_config *cfg, struct vpd_args *a)
{
	static const struct option lo[] = {
		{"socket-path", required_argument, 0, 's'},
		{"trusted-key", required_argument, 0, 'k'},
		{"revoked", required_argument, 0, 'r'},
		{"state-file", required_argument, 0, 'S'},
		{"max-procs", required_argument, 0, OPT_MAX_PROCS},
		{"max-inflight", required_argument, 0, OPT_MAX_INFLIGHT},
		{"max-image", required_argument, 0, OPT_MAX_IMAGE},
		{"msg-timeout-ms", required_argument, 0, OPT_MSG_TIMEOUT},
		{"mem-limit", required_argument, 0, OPT_MEM_LIMIT},
		{"cpu-limit", required_argument, 0, OPT_CPU_LIMIT},
		{"frame-timeout-ms", required_argument, 0, OPT_FRAME_TIMEOUT},
		{"min-version", required_argument, 0, OPT_MIN_VERSION},
		{"allow-weak-isolation", no_argument, 0, OPT_ALLOW_WEAK},
		{"poll-us", required_argument, 0, OPT_POLL_US},
		{"verbose", no_argument, 0, 'v'},
		{"quiet", no_argument, 0, 'q'},
		{"help", no_argument, 0, 'h'},
		{0},
	};
	int c;

	while ((c = getopt_long(argc, argv, "s:k:r:S:vqh", lo, NULL)) != -1) {
		switch (c) {
		case 's':
			a->sock = optarg;
			break;
		case 'k':
			if (a->nkeys >= VPD_MAX_KEYS) {
				fprintf(stderr, "vprocd: at most %d keys\n", VPD_MAX_KEYS);
				return 2;
			}
			a->keys[a->nkeys++] = optarg;
			break;
		case 'r':
			a->revoked = optarg;
			break;
		case 'S':
			cfg->state_file = optarg;
			break;
		case OPT_MAX_PROCS:
			cfg->max_procs = (unsigned int)num("--max-procs", optarg, 64);
			break;
		case OPT_MAX_INFLIGHT:
			cfg->max_inflight = (unsigned int)num("--max-inflight", optarg, 1024);
			break;
		case OPT_MAX_IMAGE:
			cfg->max_image = num("--max-image", optarg, VMM_MAX_IMAGE);
			break;
		case OPT_MSG_TIMEOUT:
			cfg->msg_timeout_ms = (unsigned int)num("--msg-timeout-ms", optarg, 600000);
			break;
		case OPT_MEM_LIMIT:
			cfg->mem_limit = (uint64_t)num("--mem-limit", optarg, 65536) << 20;
			break;
		case OPT_POLL_US:
			cfg->poll_us = (unsigned int)num("--poll-us", optarg, 10000);
			break;
		case OPT_FRAME_TIMEOUT:
			cfg->frame_timeout_ms =
				(unsigned int)num("--frame-timeout-ms", optarg, 600000);
			break;
		case OPT_MIN_VERSION:
			if (a->nminv >= sizeof(a->minv) / sizeof(a->minv[0])) {
				fprintf(stderr, "vprocd: --min-version: at most %zu\n",
					sizeof(a->minv) / sizeof(a->minv[0]));
				return 2;
			}
			a->minv[a->nminv++] = optarg;
			break;
		case OPT_ALLOW_WEAK:
			cfg->allow_weak = true;
			break;
		case OPT_CPU_LIMIT:
			cfg->cpu_limit_s = (unsigned int)num("--cpu-limit", optarg, 86400);
			break;
		case 'v':
			vpd_verbosity = 2;
			break;
		case 'q':
			vpd_verbosity = 0;
			break;
		case 'h':
			usage(0);
		default:
			usage(2);
		}
	}
	if (!a->sock || optind != argc)
		usage(2);
	if (!cfg->max_procs || !cfg->max_inflight || !cfg->msg_timeout_ms ||
	    !cfg->frame_timeout_ms || !cfg->cpu_limit_s || cfg->mem_limit < (16u << 20)) {
		fprintf(stderr, "vprocd: limits must be positive (memory at least 16 MiB)\n");
		return 2;
	}
	return -1;
}

/* Trusted keys, revocations, administrator floors and the state file. 0 or the exit status. */
static int load_policy(struct vpd_server *srv, const struct vpd_args *a)
{
#ifdef VPD_BUILTIN_KEY
	if (vpd_policy_add_key_pem(&srv->policy, vpd_builtin_key, strlen(vpd_builtin_key),
				   "(built in)"))
		return 1;
#endif
	for (unsigned int i = 0; i < a->nkeys; i++)
		if (vpd_policy_add_key_file(&srv->policy, a->keys[i]))
			return 1;
	if (!srv->policy.nkeys) {
		fprintf(stderr, "vprocd: no trusted key: give --trusted-key FILE\n");
		return 1;
	}
	if (a->revoked && vpd_policy_load_revoked(&srv->policy, a->revoked))
		return 1;
	for (unsigned int i = 0; i < a->nminv; i++) {
		if (vpd_policy_add_min(&srv->policy, a->minv[i])) {
			fprintf(stderr, "vprocd: --min-version: '%s' is not NAME=VERSION\n",
				a->minv[i]);
			return 2;
		}
	}
	if (srv->cfg.state_file) {
		if (vpd_policy_load_state(&srv->policy, srv->cfg.state_file))
			return 1;
	} else {
		vpd_log(1, "no --state-file: the rollback floor lasts only while vprocd runs");
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct vpd_server *srv = calloc(1, sizeof(*srv));
	struct vpd_args args = {0};
	sigset_t ss;
	int lfd, sfd, ret = 1;

	if (!srv)
		return 1;
	srv->cfg = (struct vpd_config){
		.max_image = 4u << 20,
		.max_procs = 8,
		.max_inflight = 16,
		.msg_timeout_ms = 2000,
		.mem_limit = 256ull << 20,
		.cpu_limit_s = 10,
		.frame_timeout_ms = 5000,
		.poll_us = 50,
	};
	ret = parse_options(argc, argv, &srv->cfg, &args);
	if (ret < 0)
		ret = load_policy(srv, &args);
	if (ret)
		goto out;
	ret = 1;
	if (vpd_sandbox_init(&srv->sb, &srv->cfg))
		goto out;

	sigemptyset(&ss);
	sigaddset(&ss, SIGTERM);
	sigaddset(&ss, SIGINT);
	sigprocmask(SIG_BLOCK, &ss, NULL);
	signal(SIGPIPE, SIG_IGN);
	/* an image over RLIMIT_FSIZE is refused (EFBIG), not a reason to die */
	signal(SIGXFSZ, SIG_IGN);
	sfd = signalfd(-1, &ss, SFD_CLOEXEC | SFD_NONBLOCK);
	lfd = listen_on(args.sock);
	if (sfd < 0 || lfd < 0)
		goto out_sandbox;
	vpd_log(1, "listening on %s", args.sock);
	ret = serve(srv, lfd, sfd);
	close(lfd);
	close(sfd);
	unlink(args.sock);
out_sandbox:
	vpd_sandbox_free(&srv->sb);
out:
	vpd_policy_free(&srv->policy);
	free(srv);
	return ret;
}
