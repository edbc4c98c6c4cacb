// SPDX-License-Identifier: MIT
/*
 * A process that does work: message code 1 uppercases the data, code 2
 * returns its length and a byte sum as text. Other codes: -EINVAL.
 */
#include <errno.h>
#include <stdio.h>
#include "vproc.h"

static int upper(struct vproc_msg *m, void *ctx)
{
	unsigned long sum = 0;
	char buf[64];
	int n;

	switch (m->code) {
	case 1:
		for (size_t i = 0; i < m->len; i++) {
			uint8_t c = m->data[i];

			m->reply[i] = c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c;
		}
		m->reply_len = m->len;
		return 0;
	case 2:
		for (size_t i = 0; i < m->len; i++)
			sum += m->data[i];
		n = snprintf(buf, sizeof(buf), "%zu bytes, sum %lu", m->len, sum);
		return vproc_reply(m, buf, (size_t)n);
	}
	return -EINVAL;
}

int main(void)
{
	return vproc_run(upper, NULL);
}
