// SPDX-License-Identifier: MIT
/* The smallest process: answers every message with "Hello, World!". */
#include "vproc.h"

static int hello(struct vproc_msg *m, void *ctx)
{
	return vproc_reply_str(m, "Hello, World!");
}

int main(void)
{
	return vproc_run(hello, NULL);
}
