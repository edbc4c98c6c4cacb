// SPDX-License-Identifier: MIT
/*
 * The sandbox a loaded process runs in, and how it is started.
 *
 * Order in the child (see README.md, "Sandbox"):
 *   clone(CLONE_NEWPID)            as root; the process is pid 1 of its own
 *                                  pid namespace, so it sees no other process
 *   setgroups/setresgid/setresuid  to nobody, when vprocd runs as root
 *   PR_SET_PDEATHSIG SIGKILL       dies with vprocd
 *   unshare(user|net|mount|ipc|uts) those the startup probe found allowed
 *   fd 3 = channel, fd 4 = sealed image (close-on-exec), nothing else open
 *   rlimits                        address space, CPU, no files, no processes
 *   PR_SET_NO_NEW_PRIVS, seccomp   the allowlist below, KILL_PROCESS otherwise
 *   execveat(4, "", AT_EMPTY_PATH) with an empty environment
 *
 * The filter is installed before the exec, so it has to let exactly that
 * exec through: execveat is allowed only with fd 4 and AT_EMPTY_PATH. Fd 4
 * is close-on-exec and dup/open are not allowed, so after the exec no fd 4
 * can exist again; the SDK runtime stacks a second filter forbidding any
 * exec before it reads the first message.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/sched.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/seccomp.h>
#include <asm/prctl.h>

#include "vprocd.h"

#define VPD_NOBODY 65534
#define VPD_NS_FLAGS (CLONE_NEWUSER | CLONE_NEWNET | CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUTS)

static int build_filter(struct sock_fprog *prog)
{
	static const int plain[] = {
		SCMP_SYS(brk),
		SCMP_SYS(munmap),
		SCMP_SYS(mremap),
		SCMP_SYS(madvise),
		SCMP_SYS(exit),
		SCMP_SYS(exit_group),
		SCMP_SYS(rt_sigreturn),
		SCMP_SYS(rt_sigprocmask),
		SCMP_SYS(rt_sigaction),
		SCMP_SYS(sigaltstack),
		SCMP_SYS(clock_gettime),
		SCMP_SYS(clock_getres),
		SCMP_SYS(gettimeofday),
		SCMP_SYS(time),
		SCMP_SYS(nanosleep),
		SCMP_SYS(clock_nanosleep),
		SCMP_SYS(getrandom),
		SCMP_SYS(futex),
		SCMP_SYS(sched_yield),
		SCMP_SYS(getpid),
		SCMP_SYS(gettid),
		SCMP_SYS(set_tid_address),
		SCMP_SYS(set_robust_list),
		SCMP_SYS(rseq),
	};
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
	int ret = 0;

	if (!ctx)
		return -ENOMEM;
	/* i386 (int 0x80) and x32 calls: not ours, the whole process goes */
	ret |= seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
	for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++)
		ret |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, plain[i], 0);
	/* the channel, and nothing else, for I/O */
	ret |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(read), 1,
				SCMP_A0(SCMP_CMP_EQ, VPD_CHILD_CHAN_FD));
	ret |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(write), 1,
				SCMP_A0(SCMP_CMP_EQ, VPD_CHILD_CHAN_FD));
	/* memory, never executable: no new code after the verified image */
	ret |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mmap), 1,
				SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
	ret |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mprotect), 1,
				SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
	/* static glibc startup: reads limits, looks up /proc/self/exe */
	ret |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(prlimit64), 2,
				SCMP_A0(SCMP_CMP_EQ, 0), SCMP_A2(SCMP_CMP_EQ, 0));
	ret |= seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOENT), SCMP_SYS(readlink), 0);
	/* the TLS pointer; other arch_prctl requests (CET probes...) just fail */
	ret |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(arch_prctl), 1,
				SCMP_A0(SCMP_CMP_EQ, ARCH_SET_FS));
	ret |= seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EINVAL), SCMP_SYS(arch_prctl), 1,
				SCMP_A0(SCMP_CMP_NE, ARCH_SET_FS));
	/* the SDK may narrow the filter further */
	ret |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(prctl), 1,
				SCMP_A0(SCMP_CMP_EQ, PR_SET_NO_NEW_PRIVS));
	ret |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(seccomp), 2,
				SCMP_A0(SCMP_CMP_EQ, SECCOMP_SET_MODE_FILTER),
				SCMP_A1(SCMP_CMP_EQ, 0));
	/* exactly the exec of the sealed image */
	ret |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(execveat), 2,
				SCMP_A0(SCMP_CMP_EQ, VPD_CHILD_IMAGE_FD),
				SCMP_A4(SCMP_CMP_EQ, AT_EMPTY_PATH));
	if (ret) {
		ret = -EINVAL;
		goto err_release;
	}
	/* libseccomp 2.5 exports only to an fd: catch it in a memfd */
	{
		int fd = memfd_create("vprocd-bpf", MFD_CLOEXEC);
		off_t n;

		if (fd < 0) {
			ret = -errno;
			goto err_release;
		}
		ret = seccomp_export_bpf(ctx, fd);
		n = lseek(fd, 0, SEEK_CUR);
		if (ret || n <= 0 || n % sizeof(struct sock_filter)) {
			close(fd);
			ret = ret ? ret : -EINVAL;
			goto err_release;
		}
		prog->filter = malloc((size_t)n);
		if (!prog->filter || pread(fd, prog->filter, (size_t)n, 0) != n) {
			close(fd);
			free(prog->filter);
			prog->filter = NULL;
			ret = -EIO;
			goto err_release;
		}
		prog->len = (unsigned short)(n / sizeof(struct sock_filter));
		close(fd);
	}
	ret = 0;
err_release:
	seccomp_release(ctx);
	return ret;
}

struct child_args {
	struct vpd_sandbox *sb;
	int chan;
	int memfd;
	const char *name;
	bool probe;
};

/*
 * The child runs on a small private stack and never returns (exec or
 * _exit): keep sanitizer instrumentation, which expects the main stack, out.
 */
#define VPD_CHILD_CODE __attribute__((no_sanitize_address))

VPD_CHILD_CODE static void child_fail(int code)
{
	_exit(code);
}

/* Runs in the cloned child: no return. Exit codes 120.. say which step failed. */
VPD_CHILD_CODE static int child_main(void *arg)
{
	struct child_args *a = arg;
	struct vpd_sandbox *sb = a->sb;
	const struct vpd_config *cfg = sb->cfg;
	char *const argv[] = {(char *)a->name, NULL};
	char *const envp[] = {NULL};
	struct rlimit rl;
	sigset_t none;
	int chan, img;

	/* vprocd blocks SIGTERM/SIGINT and ignores SIGPIPE: not inherited */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);

	if (sb->drop_ids) {
		if (setgroups(0, NULL) || setresgid(sb->gid, sb->gid, sb->gid) ||
		    setresuid(sb->uid, sb->uid, sb->uid))
			child_fail(120);
	}
	/* after the id change, which clears it */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) || getppid() == 1)
		child_fail(121);
	if (sb->ns_flags && unshare(sb->ns_flags))
		child_fail(122);
	if (a->probe)
		_exit(0);

	/* fds: channel at 3, image at 4 (close-on-exec), nothing else */
	chan = fcntl(a->chan, F_DUPFD_CLOEXEC, 10);
	img = fcntl(a->memfd, F_DUPFD_CLOEXEC, 10);
	if (chan < 0 || img < 0 || dup2(chan, VPD_CHILD_CHAN_FD) < 0 ||
	    dup3(img, VPD_CHILD_IMAGE_FD, O_CLOEXEC) < 0)
		child_fail(123);
	if (syscall(SYS_close_range, 0, 2, 0) || syscall(SYS_close_range, 5, ~0u, 0))
		child_fail(124);

	rl.rlim_cur = rl.rlim_max = cfg->mem_limit;
	if (setrlimit(RLIMIT_AS, &rl))
		child_fail(125);
	/* soft == hard: SIGKILL at the limit (SIGXCPU is ignored by a pid-ns init) */
	rl.rlim_cur = rl.rlim_max = cfg->cpu_limit_s;
	if (setrlimit(RLIMIT_CPU, &rl))
		child_fail(125);
	rl.rlim_cur = rl.rlim_max = 0;
	if (setrlimit(RLIMIT_NOFILE, &rl) || setrlimit(RLIMIT_FSIZE, &rl) ||
	    setrlimit(RLIMIT_CORE, &rl) || setrlimit(RLIMIT_MEMLOCK, &rl) ||
	    setrlimit(RLIMIT_MSGQUEUE, &rl) || setrlimit(RLIMIT_NPROC, &rl))
		child_fail(125);

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		child_fail(126);
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &sb->prog))
		child_fail(127);
	syscall(SYS_execveat, VPD_CHILD_IMAGE_FD, "", argv, envp, AT_EMPTY_PATH);
	child_fail(128);
	return 0;
}

static pid_t clone_child(struct vpd_sandbox *sb, struct child_args *a, int *pidfd)
{
	size_t stsz = 64 << 10;
	void *stack = mmap(NULL, stsz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int flags = CLONE_PIDFD | SIGCHLD | (sb->newpid ? CLONE_NEWPID : 0);
	pid_t pid;

	if (stack == MAP_FAILED)
		return -errno;
	/* not CLONE_VM: the child has its own copy of the stack; ours can go */
	pid = clone(child_main, (char *)stack + stsz, flags, a, pidfd);
	if (pid < 0)
		pid = -errno;
	munmap(stack, stsz);
	return pid;
}

/* Tries the sandbox's first steps in a throwaway child. */
static int probe(struct vpd_sandbox *sb)
{
	struct child_args a = {.sb = sb, .probe = true, .name = "probe"};
	siginfo_t si;
	int pidfd = -1;
	pid_t pid = clone_child(sb, &a, &pidfd);

	if (pid < 0)
		return (int)pid;
	memset(&si, 0, sizeof(si));
	if (waitid(P_PIDFD, (id_t)pidfd, &si, WEXITED) < 0) {
		close(pidfd);
		return -errno;
	}
	close(pidfd);
	return si.si_code == CLD_EXITED && si.si_status == 0 ? 0 : -EPERM;
}

int vpd_sandbox_init(struct vpd_sandbox *sb, const struct vpd_config *cfg)
{
	int ret;

	memset(sb, 0, sizeof(*sb));
	sb->cfg = cfg;
	ret = build_filter(&sb->prog);
	if (ret) {
		vpd_log(0, "building the seccomp filter failed: %s", strerror(-ret));
		return ret;
	}
	if (geteuid() == 0) {
		sb->drop_ids = true;
		sb->uid = VPD_NOBODY;
		sb->gid = VPD_NOBODY;
	}
	/* the full set first, then fall back and say what is missing */
	sb->newpid = geteuid() == 0;
	sb->ns_flags = VPD_NS_FLAGS;
	if (probe(sb)) {
		sb->newpid = false;
		if (probe(sb)) {
			sb->ns_flags = VPD_NS_FLAGS & ~CLONE_NEWUSER;
			if (probe(sb)) {
				sb->ns_flags = 0;
				if (probe(sb)) {
					vpd_log(0, "sandbox: cannot start a child at all");
					return -EPERM;
				}
			}
		}
	}
	{
		static const struct {
			int flag;
			const char *name;
		} ns[] = {{CLONE_NEWUSER, "user"},
			  {CLONE_NEWNET, "net"},
			  {CLONE_NEWNS, "mount"},
			  {CLONE_NEWIPC, "ipc"},
			  {CLONE_NEWUTS, "uts"}};
		char have[64] = "", miss[64] = "";

		strcat(sb->newpid ? have : miss, " pid");
		for (size_t i = 0; i < sizeof(ns) / sizeof(ns[0]); i++) {
			strcat(sb->ns_flags & ns[i].flag ? have : miss, " ");
			strcat(sb->ns_flags & ns[i].flag ? have : miss, ns[i].name);
		}
		vpd_log(1, "sandbox: namespaces:%s%s%s%s; uid %s; seccomp allowlist %u insns", have,
			miss[0] ? "; NOT available here:" : "", miss,
			miss[0] ? (geteuid() ? " (not root)" : " (refused by the kernel)") : "",
			sb->drop_ids ? "nobody" : "unchanged (not root)", sb->prog.len);
	}
	return 0;
}

void vpd_sandbox_free(struct vpd_sandbox *sb)
{
	free(sb->prog.filter);
	sb->prog.filter = NULL;
}

int vpd_spawn(struct vpd_sandbox *sb, int memfd, const char *name, pid_t *pid, int *pidfd,
	      int *chan)
{
	struct child_args a = {.sb = sb, .memfd = memfd, .name = name};
	int sv[2];
	int sndbuf = 4 * VMM_MAX_MSG;
	pid_t p;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	a.chan = sv[1];
	p = clone_child(sb, &a, pidfd);
	close(sv[1]);
	if (p < 0) {
		close(sv[0]);
		return (int)p;
	}
	if (fcntl(sv[0], F_SETFL, O_NONBLOCK) < 0) {
		/* the process runs; it will be killed by the caller via pidfd */
	}
	*pid = p;
	*chan = sv[0];
	return 0;
}
