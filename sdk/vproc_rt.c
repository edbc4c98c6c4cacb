// SPDX-License-Identifier: MIT
/*
 * The SDK runtime: tightens the sandbox once more, then runs the message
 * loop over the process channel (<vcrypto/vproc_channel.h>).
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include "vproc.h"

/*
 * vprocd's own filter lets exactly one execveat through (of the sealed
 * image, the call that started us). From here on no exec at all: this
 * second filter is stacked on top and can only narrow what is allowed.
 */
static int vproc_forbid_exec(void)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_execve, 2, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_execveat, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
	};
	struct sock_fprog prog = {.len = sizeof(f) / sizeof(f[0]), .filter = f};

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return -errno;
	if (syscall(__NR_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog))
		return -errno;
	return 0;
}

int vproc_reply(struct vproc_msg *m, const void *data, size_t len)
{
	if (len > m->reply_cap)
		return -EMSGSIZE;
	memcpy(m->reply, data, len);
	m->reply_len = len;
	return 0;
}

int vproc_reply_str(struct vproc_msg *m, const char *s)
{
	return vproc_reply(m, s, strlen(s));
}

static int write_all(int fd, const void *buf, size_t len)
{
	ssize_t n;

	do
		n = write(fd, buf, len);
	while (n < 0 && errno == EINTR);
	return n == (ssize_t)len ? 0 : -1;
}

int vproc_run(vproc_handler_t handler, void *ctx)
{
	static uint8_t in[VPROC_HDR_SIZE + VPROC_MAX_MSG + 1], out[VPROC_HDR_SIZE + VPROC_MAX_MSG];
	struct vproc_msg m;
	ssize_t n;
	int st;

	if (vproc_forbid_exec())
		return 111;
	for (;;) {
		n = read(VPROC_CHANNEL_FD, in, sizeof(in));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return 0; /* vprocd closed the channel */
		if (n < (ssize_t)VPROC_HDR_SIZE || (size_t)n > VPROC_HDR_SIZE + VPROC_MAX_MSG)
			return 112;
		memset(&m, 0, sizeof(m));
		m.code = (uint32_t)in[0] | (uint32_t)in[1] << 8 | (uint32_t)in[2] << 16 |
			 (uint32_t)in[3] << 24;
		m.data = in + 4;
		m.len = (size_t)n - 4;
		m.reply = out + 4;
		m.reply_cap = VPROC_MAX_MSG;
		st = handler(&m, ctx);
		if (m.reply_len > VPROC_MAX_MSG)
			m.reply_len = 0;
		out[0] = (uint8_t)st;
		out[1] = (uint8_t)((uint32_t)st >> 8);
		out[2] = (uint8_t)((uint32_t)st >> 16);
		out[3] = (uint8_t)((uint32_t)st >> 24);
		if (write_all(VPROC_CHANNEL_FD, out, VPROC_HDR_SIZE + m.reply_len))
			return 113;
	}
}
