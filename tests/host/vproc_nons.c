// SPDX-License-Identifier: MIT
/*
 * Test launcher: runs a command under a seccomp filter that makes
 * unshare() fail with EPERM whenever it asks for all the namespaces in MASK
 * (CLONE_* bits; one in practice, e.g. 0x10000000 = CLONE_NEWUSER), as a kernel or
 * container that refuses them would. The filter is inherited by the command
 * and all its children (vprocd's sandboxed processes included).
 *   vproc_nons MASK CMD [ARGS...]
 */
#include <errno.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>

int main(int argc, char **argv)
{
	scmp_filter_ctx ctx;
	unsigned long mask;
	char *end;

	if (argc < 3) {
		fprintf(stderr, "usage: vproc_nons MASK CMD [ARGS...]\n");
		return 2;
	}
	mask = strtoul(argv[1], &end, 0);
	if (*end || !mask) {
		fprintf(stderr, "vproc_nons: bad mask '%s'\n", argv[1]);
		return 2;
	}
	ctx = seccomp_init(SCMP_ACT_ALLOW);
	if (!ctx ||
	    seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(unshare), 1,
			     SCMP_A0(SCMP_CMP_MASKED_EQ, mask, mask)) ||
	    seccomp_load(ctx)) {
		fprintf(stderr, "vproc_nons: cannot install the filter\n");
		return 1;
	}
	seccomp_release(ctx);
	execvp(argv[2], argv + 2);
	fprintf(stderr, "vproc_nons: %s: %s\n", argv[2], strerror(errno));
	return 127;
}
