// SPDX-License-Identifier: MIT
/*
 * The sandbox a loaded process runs in, and how it is started.
 *
 * Order in the child (see README.md, "Sandbox"):
 *   clone(CLONE_NEWPID)            as root; the process is pid 1 of its own
 *                                  pid namespace, so it sees no other process
 *   setns(template mnt/net/ipc/uts) as root: the shared empty namespaces made
 *                                  once at startup (make_templates); those
 *                                  are then not unshared below
 *   setgroups/setresgid/setresuid  to nobody, when vprocd runs as root
 *   PR_SET_PDEATHSIG SIGKILL       dies with vprocd
 *   unshare(user), mount, net, ipc, uts  one at a time (a refusal names its
 *                                  namespace); those the startup probe found
 *                                  allowed, all of them unless the administrator
 *                                  accepted less (--allow-weak-isolation)
 *   empty root                     read-only tmpfs over "/", pivot_root, old
 *                                  root detached: no host path resolves
 *   fd 3 = channel, fd 4 = sealed image, fd 5 = setup report pipe (both
 *                                  close-on-exec), nothing else open
 *   rlimits                        address space, CPU, no files, no processes
 *   PR_SET_NO_NEW_PRIVS, seccomp   the allowlist below, KILL_PROCESS otherwise
 *   execveat(4, "", AT_EMPTY_PATH) with an empty environment
 *
 * The filter is installed before the exec, so it has to let that exec
 * through: execveat is allowed only with fd 4, AT_EMPTY_PATH and our own ""
 * as the path pointer. The filter cannot read the path, and an absolute path
 * makes the kernel ignore the fd: the empty root is what leaves nothing to
 * exec by path should the pointer be guessed. Fd 4 is
 * close-on-exec and dup/open are not allowed, so after the exec no fd 4 can
 * exist again; the SDK runtime stacks a second filter forbidding any exec
 * before it reads the first message.
 *
 * Until the filter is in, a failed step writes {step, errno} to the report
 * pipe; the parent waits for that or for the pipe to close at the exec, so
 * a failed setup is a refused load, not a process that dies later.
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
#include <sys/mount.h>
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

/*
 * The path the child passes to its one execveat. The filter allows that
 * call only with this very pointer: it lies in vprocd's (randomised)
 * address space, which the image, once it runs, does not know; a wrong
 * guess is a SIGSYS. Defence in depth: the empty root already leaves no
 * path to exec.
 */
static const char vpd_exec_path[1] = "";

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
				SCMP_A0(SCMP_CMP_EQ, VPROC_CHANNEL_FD));
	ret |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(write), 1,
				SCMP_A0(SCMP_CMP_EQ, VPROC_CHANNEL_FD));
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
	/* exactly the exec of the sealed image: fd 4, our "", AT_EMPTY_PATH */
	ret |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(execveat), 3,
				SCMP_A0(SCMP_CMP_EQ, VPD_CHILD_IMAGE_FD),
				SCMP_A1(SCMP_CMP_EQ, (scmp_datum_t)(uintptr_t)vpd_exec_path),
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
	int status; /* write end of the setup report pipe (close-on-exec) */
	const char *name;
	bool probe;
};

/* The steps of the child's setup, as reported through the status pipe. */
enum {
	ST_IDS = 1,
	ST_PDEATH,
	ST_NS_USER,
	ST_NS_MOUNT,
	ST_NS_NET,
	ST_NS_IPC,
	ST_NS_UTS,
	ST_SETNS,
	ST_ROOT_PRIVATE,
	ST_ROOT_TMPFS,
	ST_ROOT_PIVOT,
	ST_ROOT_DETACH,
	ST_FDS,
	ST_RLIMITS,
	ST_NNP,
	ST_SECCOMP,
	ST_EXEC,
	ST_MAX
};

static const char *const step_name[ST_MAX] = {
	[ST_IDS] = "setresuid(nobody)",
	[ST_PDEATH] = "PR_SET_PDEATHSIG",
	[ST_NS_USER] = "unshare(CLONE_NEWUSER)",
	[ST_NS_MOUNT] = "unshare(CLONE_NEWNS)",
	[ST_NS_NET] = "unshare(CLONE_NEWNET)",
	[ST_NS_IPC] = "unshare(CLONE_NEWIPC)",
	[ST_NS_UTS] = "unshare(CLONE_NEWUTS)",
	[ST_SETNS] = "setns(template namespace)",
	[ST_ROOT_PRIVATE] = "empty root: making mounts private",
	[ST_ROOT_TMPFS] = "empty root: mounting a tmpfs",
	[ST_ROOT_PIVOT] = "empty root: pivot_root",
	[ST_ROOT_DETACH] = "empty root: detaching the old root",
	[ST_FDS] = "arranging fds",
	[ST_RLIMITS] = "setrlimit",
	[ST_NNP] = "PR_SET_NO_NEW_PRIVS",
	[ST_SECCOMP] = "installing the seccomp filter",
	[ST_EXEC] = "execveat",
};

/* The namespaces, in the order the child enters them (user first: it owns the others). */
static const struct {
	int flag;
	int step;
	const char *name;
} ns_list[] = {
	{CLONE_NEWUSER, ST_NS_USER, "user"}, {CLONE_NEWNS, ST_NS_MOUNT, "mount"},
	{CLONE_NEWNET, ST_NS_NET, "net"},    {CLONE_NEWIPC, ST_NS_IPC, "ipc"},
	{CLONE_NEWUTS, ST_NS_UTS, "uts"},
};
#define NS_COUNT (sizeof(ns_list) / sizeof(ns_list[0]))

struct child_report {
	int step;
	int err;
};

/*
 * The child runs on a small private stack and never returns (exec or
 * _exit): keep sanitizer instrumentation, which expects the main stack, out.
 */
#define VPD_CHILD_CODE __attribute__((no_sanitize_address))

static int child_status_fd = -1; /* set and used by the child only (vprocd never reads it) */

/*
 * Reports which step failed and exits (codes 120..128, "sandbox setup
 * failed"). Once the filter is in, the report would be a forbidden write:
 * the exit alone tells.
 */
VPD_CHILD_CODE static void child_fail(int step)
{
	int code = step == ST_IDS	    ? 120
		   : step == ST_PDEATH	    ? 121
		   : step <= ST_ROOT_DETACH ? 122
		   : step == ST_FDS	    ? 123
		   : step == ST_RLIMITS	    ? 125
		   : step == ST_NNP	    ? 126
		   : step == ST_SECCOMP	    ? 127
					    : 128;
	struct child_report r = {step, errno};

	if (step < ST_SECCOMP && child_status_fd >= 0 &&
	    write(child_status_fd, &r, sizeof(r)) != sizeof(r))
		_exit(code);
	_exit(code);
}

/*
 * An empty, read-only root: a fresh tmpfs attached over "/", pivoted into,
 * the old root detached. Nothing else is mounted, so no path resolves to
 * anything of the host's (no /bin, /etc, /proc, /sys): the one exec the
 * filter lets through, execveat(4, PATH, AT_EMPTY_PATH), which ignores fd 4
 * for an absolute PATH, finds nothing once the sealed image runs. Needs the
 * mount namespace (and, as nobody, the user namespace that owns it).
 */
VPD_CHILD_CODE static int empty_root(void)
{
	int fs, mnt;

	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL))
		return ST_ROOT_PRIVATE;
	fs = fsopen("tmpfs", FSOPEN_CLOEXEC);
	if (fs < 0 || fsconfig(fs, FSCONFIG_SET_STRING, "size", "4k", 0) ||
	    fsconfig(fs, FSCONFIG_SET_STRING, "nr_inodes", "1", 0) ||
	    fsconfig(fs, FSCONFIG_SET_STRING, "mode", "0555", 0) ||
	    fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0))
		return ST_ROOT_TMPFS;
	mnt = fsmount(fs, FSMOUNT_CLOEXEC,
		      MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
	if (mnt < 0 || move_mount(mnt, "", AT_FDCWD, "/", MOVE_MOUNT_F_EMPTY_PATH) || fchdir(mnt))
		return ST_ROOT_TMPFS;
	close(mnt);
	close(fs);
	/* the old root goes on top of the new one, at "."; then it is detached */
	if (syscall(SYS_pivot_root, ".", "."))
		return ST_ROOT_PIVOT;
	if (umount2(".", MNT_DETACH) || chdir("/"))
		return ST_ROOT_DETACH;
	return 0;
}

VPD_CHILD_CODE static void enter_namespaces(struct vpd_sandbox *sb)
{
	int step;

	/* one at a time, so a refusal names its namespace; templates are entered already */
	for (size_t i = 0; i < NS_COUNT; i++)
		if (sb->ns_flags & ns_list[i].flag && sb->tmpl_fd[i] < 0 &&
		    unshare(ns_list[i].flag))
			child_fail(ns_list[i].step);
	if (sb->empty_root && sb->tmpl_fd[1] < 0) {
		step = empty_root();
		if (step)
			child_fail(step);
	}
}

/* Runs in the cloned child: no return. */
VPD_CHILD_CODE static int child_main(void *arg)
{
	struct child_args *a = arg;
	struct vpd_sandbox *sb = a->sb;
	const struct vpd_config *cfg = sb->cfg;
	char *const argv[] = {(char *)a->name, NULL};
	char *const envp[] = {NULL};
	struct rlimit rl;
	sigset_t none;
	int chan, img, st;

	child_status_fd = a->status;
	/* vprocd blocks SIGTERM/SIGINT and ignores SIGPIPE, SIGXFSZ: not inherited */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	signal(SIGXFSZ, SIG_DFL);

	/*
	 * Normally the namespaces are entered as nobody, so the user namespace
	 * that owns the others belongs to nobody. Where the kernel refuses a
	 * user namespace (only with --allow-weak-isolation) root enters what it
	 * still can, and sets up the empty root, before giving up its ids.
	 */
	/* the template namespaces (root only), before anything else */
	for (size_t i = 1; i < NS_COUNT; i++)
		if (sb->tmpl_fd[i] >= 0 && setns(sb->tmpl_fd[i], ns_list[i].flag))
			child_fail(ST_SETNS);
	if (sb->tmpl_fd[1] >= 0 && chdir("/"))
		child_fail(ST_SETNS);
	if (sb->drop_ids && !(sb->ns_flags & CLONE_NEWUSER))
		enter_namespaces(sb);
	if (sb->drop_ids) {
		/*
		 * Raw calls: the child shares vprocd's memory (CLONE_VM), and
		 * glibc's wrappers would apply the change to every thread it
		 * knows of, which are vprocd's.
		 */
		if (syscall(SYS_setgroups, 0, NULL) ||
		    syscall(SYS_setresgid, sb->gid, sb->gid, sb->gid) ||
		    syscall(SYS_setresuid, sb->uid, sb->uid, sb->uid))
			child_fail(ST_IDS);
	}
	/* after the id change, which clears it */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) || getppid() == 1)
		child_fail(ST_PDEATH);
	if (!sb->drop_ids || sb->ns_flags & CLONE_NEWUSER)
		enter_namespaces(sb);
	if (a->probe)
		_exit(0);

	/* fds: channel at 3, image at 4, report pipe at 5 (close-on-exec), nothing else */
	chan = fcntl(a->chan, F_DUPFD_CLOEXEC, 10);
	img = fcntl(a->memfd, F_DUPFD_CLOEXEC, 10);
	st = fcntl(a->status, F_DUPFD_CLOEXEC, 10);
	if (chan < 0 || img < 0 || st < 0)
		child_fail(ST_FDS);
	child_status_fd = st;
	if (dup2(chan, VPROC_CHANNEL_FD) < 0 || dup3(img, VPD_CHILD_IMAGE_FD, O_CLOEXEC) < 0 ||
	    dup3(st, VPD_CHILD_IMAGE_FD + 1, O_CLOEXEC) < 0)
		child_fail(ST_FDS);
	child_status_fd = VPD_CHILD_IMAGE_FD + 1;
	if (syscall(SYS_close_range, 0, 2, 0) ||
	    syscall(SYS_close_range, VPD_CHILD_IMAGE_FD + 2, ~0u, 0))
		child_fail(ST_FDS);

	rl.rlim_cur = rl.rlim_max = cfg->mem_limit;
	if (setrlimit(RLIMIT_AS, &rl))
		child_fail(ST_RLIMITS);
	/* soft == hard: SIGKILL at the limit (SIGXCPU is ignored by a pid-ns init) */
	rl.rlim_cur = rl.rlim_max = cfg->cpu_limit_s;
	if (setrlimit(RLIMIT_CPU, &rl))
		child_fail(ST_RLIMITS);
	rl.rlim_cur = rl.rlim_max = 0;
	if (setrlimit(RLIMIT_NOFILE, &rl) || setrlimit(RLIMIT_FSIZE, &rl) ||
	    setrlimit(RLIMIT_CORE, &rl) || setrlimit(RLIMIT_MEMLOCK, &rl) ||
	    setrlimit(RLIMIT_MSGQUEUE, &rl) || setrlimit(RLIMIT_NPROC, &rl))
		child_fail(ST_RLIMITS);

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		child_fail(ST_NNP);
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &sb->prog))
		child_fail(ST_SECCOMP);
	syscall(SYS_execveat, VPD_CHILD_IMAGE_FD, vpd_exec_path, argv, envp, AT_EMPTY_PATH);
	child_fail(ST_EXEC);
	return 0;
}

static pid_t clone_child(struct vpd_sandbox *sb, struct child_args *a, int *pidfd)
{
	size_t stsz = 64 << 10;
	void *stack = mmap(NULL, stsz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	/*
	 * CLONE_VM | CLONE_VFORK, as posix_spawn does: the child runs on our
	 * memory, on its own stack, until its exec (or _exit), and we wait
	 * for that. Copying vprocd's page tables for the child and tearing
	 * that copy down again at its exec was a good part of a spawn. The
	 * child's code only makes raw system calls and _exit()s; its fd table,
	 * signal handlers and credentials are its own (no CLONE_FILES,
	 * CLONE_SIGHAND). Its uid change makes the shared mm non-dumpable,
	 * so no other process of uid nobody can ptrace it in the meantime.
	 */
	int flags = CLONE_VM | CLONE_VFORK | CLONE_PIDFD | SIGCHLD |
		    (sb->newpid ? CLONE_NEWPID : 0);
	pid_t pid;

	if (stack == MAP_FAILED)
		return -errno;
	pid = clone(child_main, (char *)stack + stsz, flags, a, pidfd);
	if (pid < 0)
		pid = -errno;
	munmap(stack, stsz);
	return pid;
}

/*
 * Starts a child and waits until it has exec'd (the report pipe closes
 * with nothing in it) or reported the step that failed (it is reaped
 * then). Returns the pid, -errno when no child could be made, or
 * -EPERM with *rep filled in.
 */
static pid_t start_child(struct vpd_sandbox *sb, struct child_args *a, int *pidfd,
			 struct child_report *rep)
{
	int pfd[2];
	ssize_t n;
	pid_t pid;

	memset(rep, 0, sizeof(*rep));
	if (pipe2(pfd, O_CLOEXEC) < 0)
		return -errno;
	a->status = pfd[1];
	pid = clone_child(sb, a, pidfd);
	close(pfd[1]);
	if (pid < 0) {
		close(pfd[0]);
		return pid;
	}
	do
		n = read(pfd[0], rep, sizeof(*rep));
	while (n < 0 && errno == EINTR);
	close(pfd[0]);
	if (n == 0 && !a->probe)
		return pid; /* exec'd: the report pipe went with it */
	if (n != sizeof(*rep) || rep->step <= 0 || rep->step >= ST_MAX) {
		rep->step = 0;
		rep->err = 0;
	}
	if (a->probe || n != 0) {
		siginfo_t si;

		memset(&si, 0, sizeof(si));
		waitid(P_PIDFD, (id_t)*pidfd, &si, WEXITED);
		close(*pidfd);
		*pidfd = -1;
		if (a->probe && n == 0 && si.si_code == CLD_EXITED && si.si_status == 0)
			return 0;
		if (!rep->step)
			rep->step = -1; /* died without saying why */
		return -EPERM;
	}
	return pid;
}

static void describe(const struct child_report *rep, char *why, size_t whylen)
{
	if (rep->step > 0)
		snprintf(why, whylen, "%s: %s", step_name[rep->step], strerror(rep->err));
	else
		snprintf(why, whylen, "the sandbox child died during its setup");
}

/* Tries the sandbox's setup (up to the exec) in a throwaway child. */
static int probe(struct vpd_sandbox *sb, struct child_report *rep)
{
	struct child_args a = {.sb = sb, .probe = true, .name = "probe"};
	int pidfd = -1;
	pid_t pid = start_child(sb, &a, &pidfd, rep);

	if (pid < 0 && !rep->step)
		rep->step = -1;
	return pid < 0 ? (int)pid : 0;
}

/*
 * Template namespaces. Making a network namespace (every per-net init of
 * the kernel), copying the host's mount tree into a new mount namespace and
 * detaching it again behind the empty root are most of a load's cost (see
 * bench/results/vproc.md), and their teardown after each process another
 * share. When vprocd is root they are made once here, by a throwaway child:
 * a mount namespace whose root is the empty read-only tmpfs, a network
 * namespace with nothing but a loopback that is down, an IPC and a UTS
 * namespace. Each process enters them with setns() while still root, then
 * drops to nobody and gets its own user namespace (and its own pid
 * namespace from clone). Processes of this vprocd share these four, empty
 * namespaces and none of the host's; they are owned by the initial user
 * namespace, so a process holds no capability over them (with its own,
 * unshared ones it was root in the user namespace owning them), and the
 * allowlist has no call that could use them to reach another process
 * (socket, the SysV and POSIX IPC calls, mount, sethostname are not in it).
 * A namespace the kernel refuses here is unshared per process as before,
 * which names the refusal.
 */
static void make_templates(struct vpd_sandbox *sb)
{
	static const char *const nsfile[] = {NULL, "mnt", "net", "ipc", "uts"};
	int go[2], done[2];
	unsigned char made = 0;
	pid_t pid;

	for (size_t i = 0; i < NS_COUNT; i++)
		sb->tmpl_fd[i] = -1;
	if (geteuid() != 0)
		return;
	if (pipe2(go, O_CLOEXEC))
		return;
	if (pipe2(done, O_CLOEXEC)) {
		close(go[0]);
		close(go[1]);
		return;
	}
	pid = fork();
	if (pid == 0) {
		char c;

		close(go[1]);
		close(done[0]);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		for (size_t i = 1; i < NS_COUNT; i++)
			if (!unshare(ns_list[i].flag))
				made |= (unsigned char)(1u << i);
		if (made & 2 && empty_root())
			made &= (unsigned char)~2u; /* a mount namespace without the empty root: no */
		if (write(done[1], &made, 1) != 1)
			_exit(1);
		/* until the parent holds the namespaces */
		if (read(go[0], &c, 1) < 0)
			_exit(1);
		_exit(0);
	}
	close(go[0]);
	close(done[1]);
	if (pid > 0 && read(done[0], &made, 1) == 1) {
		for (size_t i = 1; i < NS_COUNT; i++) {
			char path[64];

			if (!(made & (1u << i)))
				continue;
			snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)pid, nsfile[i]);
			sb->tmpl_fd[i] = open(path, O_RDONLY | O_CLOEXEC);
		}
	}
	close(go[1]);
	close(done[0]);
	if (pid > 0)
		waitpid(pid, NULL, 0);
}

static void drop_templates(struct vpd_sandbox *sb)
{
	for (size_t i = 0; i < NS_COUNT; i++) {
		if (sb->tmpl_fd[i] >= 0)
			close(sb->tmpl_fd[i]);
		sb->tmpl_fd[i] = -1;
	}
}

/*
 * A probe child failed at rep->step: give up what that step needed.
 * Returns false when nothing is left to give up.
 */
static bool relax(struct vpd_sandbox *sb, const struct child_report *rep)
{
	switch (rep->step) {
	case ST_SETNS:
		drop_templates(sb); /* unshared per process instead */
		return true;
	case ST_NS_USER:
	case ST_NS_NET:
	case ST_NS_IPC:
	case ST_NS_UTS:
		for (size_t i = 0; i < NS_COUNT; i++)
			if (ns_list[i].step == rep->step)
				sb->ns_flags &= ~ns_list[i].flag;
		return true;
	case ST_NS_MOUNT:
		sb->ns_flags &= ~CLONE_NEWNS;
		sb->empty_root = false;
		return true;
	case ST_ROOT_PRIVATE:
	case ST_ROOT_TMPFS:
	case ST_ROOT_PIVOT:
	case ST_ROOT_DETACH:
		sb->empty_root = false;
		return true;
	default:
		if (!sb->newpid)
			return false;
		sb->newpid = false; /* the pid namespace itself, or a step after it */
		return true;
	}
}

/*
 * The full set first. Where a step is refused, drop what it needed and
 * try again, remembering why (first refusal in @first): the result is what
 * this kernel allows.
 */
static int negotiate(struct vpd_sandbox *sb, char *first, size_t firstlen)
{
	sb->newpid = geteuid() == 0;
	sb->ns_flags = VPD_NS_FLAGS;
	sb->empty_root = true;
	for (int tries = 0;; tries++) {
		struct child_report rep;
		char why[128];

		if (!probe(sb, &rep))
			return 0;
		if (tries > 12) {
			vpd_log(0, "sandbox: cannot start a child at all");
			return -EPERM;
		}
		if (rep.step >= ST_NS_USER && rep.step <= ST_ROOT_DETACH && rep.step != ST_SETNS &&
		    !first[0])
			describe(&rep, first, firstlen);
		if (!relax(sb, &rep)) {
			describe(&rep, why, sizeof(why));
			vpd_log(0, "sandbox: cannot start a child at all (%s)", why);
			return -EPERM;
		}
	}
}

/* Append " name" of every namespace in (or not in) @flags to @buf. */
static void ns_names(char *buf, size_t len, int flags, bool in, const char *sep)
{
	for (size_t i = 0; i < NS_COUNT; i++) {
		if (!(flags & ns_list[i].flag) == in)
			continue;
		if (buf[0] || sep[0] == ' ')
			strncat(buf, sep, len - strlen(buf) - 1);
		strncat(buf, ns_list[i].name, len - strlen(buf) - 1);
	}
}

/* Say what the sandbox has and lacks; set sb->weak and sb->weak_why. */
static void report(struct vpd_sandbox *sb, const char *first)
{
	char have[64] = "", miss[80] = "", tmpl[40] = "", list[80] = "";

	strcat(sb->newpid ? have : miss, " pid");
	ns_names(have, sizeof(have), sb->ns_flags, true, " ");
	ns_names(miss, sizeof(miss), sb->ns_flags, false, " ");
	for (size_t i = 1; i < NS_COUNT; i++) {
		if (sb->tmpl_fd[i] >= 0) {
			strcat(tmpl, " ");
			strcat(tmpl, ns_list[i].name);
		}
	}
	vpd_log(1,
		"sandbox: namespaces:%s%s%s%s; %s; uid %s; seccomp allowlist %u insns; "
		"shared empty templates:%s",
		have, miss[0] ? "; NOT available here:" : "", miss,
		miss[0] ? (geteuid() ? " (not root)" : " (refused by the kernel)") : "",
		sb->empty_root ? "empty root" : "NO empty root",
		sb->drop_ids ? "nobody" : "unchanged (not root)", sb->prog.len,
		tmpl[0] ? tmpl : " none");
	ns_names(list, sizeof(list), sb->ns_flags, false, ", ");
	sb->weak = sb->ns_flags != VPD_NS_FLAGS || !sb->empty_root;
	if (sb->weak)
		snprintf(sb->weak_why, sizeof(sb->weak_why), "missing: %s%s%s%s (%s)", list,
			 !list[0]	     ? ""
			 : strchr(list, ',') ? " namespaces"
					     : " namespace",
			 list[0] && !sb->empty_root ? ", " : "",
			 sb->empty_root ? "" : "empty root", first[0] ? first : "refused");
}

int vpd_sandbox_init(struct vpd_sandbox *sb, const struct vpd_config *cfg)
{
	char first[128] = "";
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
	make_templates(sb);
	ret = negotiate(sb, first, sizeof(first));
	if (ret)
		return ret;
	report(sb, first);
	if (sb->weak && !cfg->allow_weak)
		vpd_log(0,
			"sandbox incomplete: %s; every load will be refused "
			"(--allow-weak-isolation accepts weaker isolation)",
			sb->weak_why);
	else if (sb->weak)
		vpd_log(0, "WARNING: weak isolation accepted (--allow-weak-isolation): %s",
			sb->weak_why);
	return 0;
}

void vpd_sandbox_free(struct vpd_sandbox *sb)
{
	drop_templates(sb);
	free(sb->prog.filter);
	sb->prog.filter = NULL;
}

int vpd_spawn(struct vpd_sandbox *sb, int memfd, const char *name, pid_t *pid, int *pidfd,
	      int *chan, char *why, size_t whylen)
{
	struct child_args a = {.sb = sb, .memfd = memfd, .name = name};
	struct child_report rep;
	int sv[2];
	int sndbuf = 4 * VMM_MAX_MSG;
	pid_t p;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	a.chan = sv[1];
	p = start_child(sb, &a, pidfd, &rep);
	close(sv[1]);
	if (p < 0) {
		close(sv[0]);
		if (rep.step)
			describe(&rep, why, whylen);
		else
			snprintf(why, whylen, "clone: %s", strerror((int)-p));
		return (int)p;
	}
	if (fcntl(sv[0], F_SETFL, O_NONBLOCK) < 0) {
		/* the process runs; it will be killed by the caller via pidfd */
	}
	*pid = p;
	*chan = sv[0];
	return 0;
}
