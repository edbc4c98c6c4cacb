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

static void usage(int status)
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

/* Serves until SIGTERM/SIGINT. Returns the exit status. */
static int serve(struct vpd_server *srv, int lfd, int sfd)
{
	struct vpd_conn *c = NULL;

	for (;;) {
		struct pollfd pf[VPD_MAX_POLL];
		struct vpd_proc *who[VPD_MAX_POLL];
		int kind[VPD_MAX_POLL]; /* 0 signal, 1 listen, 2 conn, 3 chan, 4 pidfd */
		int n = 0, timeout = -1;

		pf[n] = (struct pollfd){sfd, POLLIN, 0};
		kind[n++] = 0;
		if (!c) {
			pf[n] = (struct pollfd){lfd, POLLIN, 0};
			kind[n++] = 1;
		} else {
			uint64_t d = vpd_proc_next_deadline(c), now = vpd_now_ms();

			if (vpd_conn_frame_deadline(c) < d)
				d = vpd_conn_frame_deadline(c);

			pf[n] = (struct pollfd){c->fd, 0, 0};
			if (c->out_bytes < VPD_OUT_HIGH)
				pf[n].events |= POLLIN;
			if (c->out_head)
				pf[n].events |= POLLOUT;
			kind[n++] = 2;
			for (struct vpd_proc *p = c->procs; p && n + 2 <= VPD_MAX_POLL;
			     p = p->next) {
				if (p->chan >= 0 && p->state == VPD_P_LIVE && !p->death_err) {
					pf[n] = (struct pollfd){p->chan, POLLIN, 0};
					who[n] = p;
					kind[n++] = 3;
				}
				if (p->pidfd >= 0) {
					pf[n] = (struct pollfd){p->pidfd, POLLIN, 0};
					who[n] = p;
					kind[n++] = 4;
				}
			}
			if (d != UINT64_MAX)
				timeout = d <= now ? 0 : (int)(d - now > 60000 ? 60000 : d - now);
		}
		if (poll(pf, (nfds_t)n, timeout) < 0) {
			if (errno == EINTR)
				continue;
			vpd_log(0, "poll: %s", strerror(errno));
			vpd_conn_free(c);
			return 1;
		}
		if (c) {
			vpd_proc_timeouts(c, vpd_now_ms());
			vpd_conn_frame_timeout(c, vpd_now_ms());
		}
		for (int i = 0; i < n; i++) {
			if (!pf[i].revents)
				continue;
			switch (kind[i]) {
			case 0: {
				struct signalfd_siginfo si;

				if (read(sfd, &si, sizeof(si)) == sizeof(si)) {
					vpd_log(1, "signal %u: exiting", si.ssi_signo);
					vpd_conn_free(c);
					return 0;
				}
				break;
			}
			case 1: {
				int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

				if (fd >= 0) {
					int rcv = 4 << 20;

					/* fewer wakeups while an image streams in */
					setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
					c = vpd_conn_new(srv, fd);
					if (!c)
						close(fd);
					else
						vpd_log(1, "VM connected");
				}
				break;
			}
			case 2:
				if (pf[i].revents & POLLOUT && vpd_conn_flush(c) < 0)
					goto drop;
				if (pf[i].revents & (POLLIN | POLLHUP | POLLERR) &&
				    vpd_conn_read(c) < 0)
					goto drop;
				break;
			case 3:
				/* a process may already have been freed by an earlier entry */
				for (struct vpd_proc *p = c->procs; p; p = p->next)
					if (p == who[i] && p->chan == pf[i].fd)
						vpd_proc_on_chan(c, p);
				break;
			case 4:
				for (struct vpd_proc *p = c->procs; p; p = p->next) {
					if (p == who[i] && p->pidfd == pf[i].fd) {
						vpd_proc_on_exit(c, p);
						break;
					}
				}
				break;
			}
		}
		if (c && !c->out_head)
			vpd_proc_poll_replies(c);
		if (c && c->out_head && vpd_conn_flush(c) < 0)
			goto drop;
		/*
		 * Back-to-back messages: while the guest's next request comes
		 * within --poll-us of a reply, serve it without going through
		 * poll() (at most 64 in a row, then timeouts and exits are looked at).
		 */
		for (int fast = 0; c && fast < 64; fast++) {
			int r = vpd_conn_poll_next(c);

			if (r < 0)
				goto drop;
			if (!r)
				break;
			if (!c->out_head)
				vpd_proc_poll_replies(c);
			if (c->out_head && vpd_conn_flush(c) < 0)
				goto drop;
		}
		continue;
	drop:
		vpd_log(1, "VM connection closed; its processes are stopped");
		vpd_conn_free(c);
		c = NULL;
	}
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{"socket-path", required_argument, 0, 's'},
		{"trusted-key", required_argument, 0, 'k'},
		{"revoked", required_argument, 0, 'r'},
		{"state-file", required_argument, 0, 'S'},
		{"max-procs", required_argument, 0, 1},
		{"max-inflight", required_argument, 0, 2},
		{"max-image", required_argument, 0, 3},
		{"msg-timeout-ms", required_argument, 0, 4},
		{"mem-limit", required_argument, 0, 5},
		{"cpu-limit", required_argument, 0, 6},
		{"frame-timeout-ms", required_argument, 0, 7},
		{"min-version", required_argument, 0, 8},
		{"allow-weak-isolation", no_argument, 0, 9},
		{"poll-us", required_argument, 0, 10},
		{"verbose", no_argument, 0, 'v'},
		{"quiet", no_argument, 0, 'q'},
		{"help", no_argument, 0, 'h'},
		{0},
	};
	struct vpd_server *srv = calloc(1, sizeof(*srv));
	const char *sock = NULL, *revoked = NULL;
	const char *keys[VPD_MAX_KEYS];
	const char *minv[64];
	unsigned int nminv = 0;
	unsigned int nkeys = 0;
	sigset_t ss;
	int c, lfd, sfd, ret = 1;

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
	while ((c = getopt_long(argc, argv, "s:k:r:S:vqh", lo, NULL)) != -1) {
		switch (c) {
		case 's':
			sock = optarg;
			break;
		case 'k':
			if (nkeys >= VPD_MAX_KEYS) {
				fprintf(stderr, "vprocd: at most %d keys\n", VPD_MAX_KEYS);
				return 2;
			}
			keys[nkeys++] = optarg;
			break;
		case 'r':
			revoked = optarg;
			break;
		case 'S':
			srv->cfg.state_file = optarg;
			break;
		case 1:
			srv->cfg.max_procs = (unsigned int)num("--max-procs", optarg, 64);
			break;
		case 2:
			srv->cfg.max_inflight = (unsigned int)num("--max-inflight", optarg, 1024);
			break;
		case 3:
			srv->cfg.max_image = num("--max-image", optarg, VMM_MAX_IMAGE);
			break;
		case 4:
			srv->cfg.msg_timeout_ms =
				(unsigned int)num("--msg-timeout-ms", optarg, 600000);
			break;
		case 5:
			srv->cfg.mem_limit = (uint64_t)num("--mem-limit", optarg, 65536) << 20;
			break;
		case 10:
			srv->cfg.poll_us = (unsigned int)num("--poll-us", optarg, 10000);
			break;
		case 7:
			srv->cfg.frame_timeout_ms =
				(unsigned int)num("--frame-timeout-ms", optarg, 600000);
			break;
		case 8:
			if (nminv >= sizeof(minv) / sizeof(minv[0])) {
				fprintf(stderr, "vprocd: --min-version: at most %zu\n",
					sizeof(minv) / sizeof(minv[0]));
				return 2;
			}
			minv[nminv++] = optarg;
			break;
		case 9:
			srv->cfg.allow_weak = true;
			break;
		case 6:
			srv->cfg.cpu_limit_s = (unsigned int)num("--cpu-limit", optarg, 86400);
			break;
		case 'v':
			vpd_verbosity = 2;
			break;
		case 'q':
			vpd_verbosity = 0;
			break;
		case 'h':
			usage(0);
			break;
		default:
			usage(2);
		}
	}
	if (!sock || optind != argc)
		usage(2);
	if (!srv->cfg.max_procs || !srv->cfg.max_inflight || !srv->cfg.msg_timeout_ms ||
	    !srv->cfg.frame_timeout_ms || !srv->cfg.cpu_limit_s ||
	    srv->cfg.mem_limit < (16u << 20)) {
		fprintf(stderr, "vprocd: limits must be positive (memory at least 16 MiB)\n");
		return 2;
	}
#ifdef VPD_BUILTIN_KEY
	if (vpd_policy_add_key_pem(&srv->policy, vpd_builtin_key, strlen(vpd_builtin_key),
				   "(built in)"))
		goto out;
#endif
	for (unsigned int i = 0; i < nkeys; i++)
		if (vpd_policy_add_key_file(&srv->policy, keys[i]))
			goto out;
	if (!srv->policy.nkeys) {
		fprintf(stderr, "vprocd: no trusted key: give --trusted-key FILE\n");
		goto out;
	}
	if (revoked && vpd_policy_load_revoked(&srv->policy, revoked))
		goto out;
	for (unsigned int i = 0; i < nminv; i++) {
		if (vpd_policy_add_min(&srv->policy, minv[i])) {
			fprintf(stderr, "vprocd: --min-version: '%s' is not NAME=VERSION\n",
				minv[i]);
			ret = 2;
			goto out;
		}
	}
	if (srv->cfg.state_file) {
		if (vpd_policy_load_state(&srv->policy, srv->cfg.state_file))
			goto out;
	} else {
		vpd_log(1, "no --state-file: the rollback floor lasts only while vprocd runs");
	}
	if (vpd_sandbox_init(&srv->sb, &srv->cfg))
		goto out;

	sigemptyset(&ss);
	sigaddset(&ss, SIGTERM);
	sigaddset(&ss, SIGINT);
	sigprocmask(SIG_BLOCK, &ss, NULL);
	signal(SIGPIPE, SIG_IGN);
	sfd = signalfd(-1, &ss, SFD_CLOEXEC | SFD_NONBLOCK);
	lfd = listen_on(sock);
	if (sfd < 0 || lfd < 0)
		goto out_sandbox;
	vpd_log(1, "listening on %s", sock);
	ret = serve(srv, lfd, sfd);
	close(lfd);
	close(sfd);
	unlink(sock);
out_sandbox:
	vpd_sandbox_free(&srv->sb);
out:
	vpd_policy_free(&srv->policy);
	free(srv);
	return ret;
}
