// SPDX-License-Identifier: MIT
/*
 * The daemon's syscall allowlist. Everything it does once listening: accept
 * a frontend, receive messages with fds, map guest memory, run worker
 * threads, talk to the engine, log, exit. Anything else kills the process
 * (or, with --seccomp log, is logged by the kernel audit). Files cannot be
 * opened any more: openat fails with EACCES instead of killing, since
 * libraries may probe optional files.
 *
 * Arguments are narrowed where seccomp can see them (it sees registers,
 * never the memory a pointer points to): threads only (the exact clone
 * flags of pthread_create; clone3, whose flags sit behind a pointer, says
 * ENOSYS and glibc falls back to clone), no executable mappings, no unlink
 * (the socket's stale file is removed before the filter; the daemon leaves
 * its own at exit), ioctl only the cryptodev commands the engine sends and
 * never on fds 0-2, AF_ALG only as socket(AF_ALG, SOCK_SEQPACKET, 0) with
 * SOL_ALG options, sched_setaffinity only on the calling thread (pid 0:
 * --cpu-affinity).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <crypto/cryptodev.h>
#include <linux/if_alg.h>
#include <seccomp.h>

#include "sandbox.h"

#ifndef SOL_ALG
#define SOL_ALG 279
#endif

/* What glibc's pthread_create passes to clone (and clone3), nothing else. */
#define THREAD_CLONE_FLAGS                                                                  \
	(CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM | \
	 CLONE_SETTLS | CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID)

int vcd_seccomp_parse(const char *s)
{
	if (!strcmp(s, "kill"))
		return VCD_SECCOMP_KILL;
	if (!strcmp(s, "log"))
		return VCD_SECCOMP_LOG;
	if (!strcmp(s, "none"))
		return VCD_SECCOMP_NONE;
	return -1;
}

const char *vcd_seccomp_state(int mode, int ret)
{
	if (ret)
		return "off";
	return mode == VCD_SECCOMP_LOG ? "log" : "on";
}

static int under_checker(const char **why)
{
	const char *pre = getenv("LD_PRELOAD");

#if defined(__SANITIZE_ADDRESS__)
	*why = "sanitizer build";
	return 1;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
	*why = "sanitizer build";
	return 1;
#endif
#endif
	if (pre && strstr(pre, "vgpreload")) {
		*why = "running under valgrind";
		return 1;
	}
	return 0;
}

/*
 * The calls both processes make (sockets, memory, futexes, signals, time,
 * exit); each filter adds its own list to this one.
 */
static const int common_allow[] = {
	SCMP_SYS(read),
	SCMP_SYS(write),
	SCMP_SYS(close),
	SCMP_SYS(poll),
	SCMP_SYS(ppoll),
	SCMP_SYS(accept4),
	SCMP_SYS(recvmsg),
	SCMP_SYS(sendto),
	SCMP_SYS(sendmsg),
	SCMP_SYS(munmap),
	SCMP_SYS(madvise),
	SCMP_SYS(brk),
	SCMP_SYS(fstat),
	SCMP_SYS(newfstatat),
	SCMP_SYS(futex),
	SCMP_SYS(exit),
	SCMP_SYS(exit_group),
	SCMP_SYS(rt_sigprocmask),
	SCMP_SYS(rt_sigreturn),
	SCMP_SYS(rt_sigaction),
	SCMP_SYS(restart_syscall),
	SCMP_SYS(getrandom),
	SCMP_SYS(getpid),
	SCMP_SYS(clock_gettime),
	SCMP_SYS(nanosleep),
	SCMP_SYS(clock_nanosleep),
	SCMP_SYS(lseek),
};

/*
 * What both filters (the worker's and the front's) start from: the mode,
 * common_allow and the caller's plain allowlist, openat refused with EACCES (libc probes files),
 * memory that is never executable, the socket I/O timeouts. Returns 0 with
 * *ctx ready for the caller's own rules, 1 when no filter applies (*why
 * says why), or -errno.
 */
static int filter_open(int mode, const int *allow, size_t n, const char **why, scmp_filter_ctx *out)
{
	scmp_filter_ctx ctx;
	int ret = 0;

	*why = NULL;
	if (mode == VCD_SECCOMP_NONE) {
		*why = "--seccomp none";
		return 1;
	}
	if (under_checker(why))
		return 1;
	ctx = seccomp_init(mode == VCD_SECCOMP_LOG ? SCMP_ACT_LOG : SCMP_ACT_KILL_PROCESS);
	if (!ctx)
		return -ENOMEM;
	for (size_t i = 0; !ret && i < sizeof(common_allow) / sizeof(common_allow[0]); i++)
		ret = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, common_allow[i], 0);
	for (size_t i = 0; !ret && i < n; i++)
		ret = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, allow[i], 0);
	if (!ret)
		ret = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES), SCMP_SYS(openat), 0);
	if (!ret)
		ret = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mmap), 1,
				       SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
	if (!ret)
		ret = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mprotect), 1,
				       SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
	if (!ret)
		ret = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(setsockopt), 2,
				       SCMP_A1(SCMP_CMP_EQ, SOL_SOCKET),
				       SCMP_A2(SCMP_CMP_EQ, SO_RCVTIMEO));
	if (!ret)
		ret = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(setsockopt), 2,
				       SCMP_A1(SCMP_CMP_EQ, SOL_SOCKET),
				       SCMP_A2(SCMP_CMP_EQ, SO_SNDTIMEO));
	if (ret) {
		seccomp_release(ctx);
		return ret;
	}
	*out = ctx;
	return 0;
}

int vcd_seccomp_install(int mode, const char *engine, const char **why)
{
	/* the worker's own: its threads, eventfds, mremap */
	static const int allow[] = {
		SCMP_SYS(mremap),
		SCMP_SYS(eventfd2),
		SCMP_SYS(set_robust_list),
		SCMP_SYS(rseq),
		SCMP_SYS(gettid),
		SCMP_SYS(tgkill),
		SCMP_SYS(sched_yield),
	};
	scmp_filter_ctx ctx;
	int ret = filter_open(mode, allow, sizeof(allow) / sizeof(allow[0]), why, &ctx);

	if (ret)
		return ret;
	/* worker threads, and nothing else clone can make */
	if (!ret)
		ret = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1,
				       SCMP_A0(SCMP_CMP_EQ, THREAD_CLONE_FLAGS));
	if (!ret)
		ret = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
	/* --cpu-affinity: a worker thread moves itself, never another task */
	if (!ret)
		ret = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(sched_setaffinity), 1,
				       SCMP_A0(SCMP_CMP_EQ, 0));
	if (!ret && !strcmp(engine, "afalg")) {
		/*
		 * The engine's own calls. bind's address is behind a pointer:
		 * only its length (a sockaddr_alg's) can be checked, so bind
		 * stays possible on any socket the daemon holds.
		 */
		ret = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 3,
				       SCMP_A0(SCMP_CMP_EQ, AF_ALG),
				       SCMP_A1(SCMP_CMP_EQ, SOCK_SEQPACKET | SOCK_CLOEXEC),
				       SCMP_A2(SCMP_CMP_EQ, 0));
		if (!ret)
			ret = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 3,
					       SCMP_A0(SCMP_CMP_EQ, AF_ALG),
					       SCMP_A1(SCMP_CMP_EQ, SOCK_SEQPACKET),
					       SCMP_A2(SCMP_CMP_EQ, 0));
		if (!ret)
			ret = seccomp_rule_add(
				ctx, SCMP_ACT_ALLOW, SCMP_SYS(bind), 1,
				SCMP_A2(SCMP_CMP_EQ, sizeof(struct sockaddr_alg), 0));
		if (!ret)
			ret = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(setsockopt), 2,
					       SCMP_A1(SCMP_CMP_EQ, SOL_ALG),
					       SCMP_A2(SCMP_CMP_EQ, ALG_SET_KEY));
	}
	if (!ret && !strcmp(engine, "cryptodev")) {
		/* /dev/crypto is opened before the filter; never stdio's fds */
		static const unsigned long cmds[] = {CIOCGSESSION, CIOCFSESSION, CIOCCRYPT};

		for (size_t i = 0; !ret && i < sizeof(cmds) / sizeof(cmds[0]); i++)
			ret = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 2,
					       SCMP_A0_32(SCMP_CMP_GT, 2),
					       SCMP_A1_32(SCMP_CMP_EQ, (uint32_t)cmds[i]));
	}
	if (!ret)
		ret = seccomp_load(ctx);
	seccomp_release(ctx);
	return ret;
}

int vcd_seccomp_install_front(int mode, const char **why)
{
	/* the front's own: waiting for and signalling its children */
	static const int allow[] = {
		SCMP_SYS(wait4),
		SCMP_SYS(kill),
	};
	scmp_filter_ctx ctx;
	int ret = filter_open(mode, allow, sizeof(allow) / sizeof(allow[0]), why, &ctx);

	if (ret)
		return ret;
	/* a socketpair per worker */
	if (!ret)
		ret = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socketpair), 1,
				       SCMP_A0(SCMP_CMP_EQ, AF_UNIX));
	if (!ret)
		ret = seccomp_load(ctx);
	seccomp_release(ctx);
	return ret;
}
