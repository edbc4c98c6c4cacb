/* SPDX-License-Identifier: MIT */
/*
 * For the vprocd tests that drive a connection (struct vpd_conn) by hand:
 * take its queued replies. cmocka; include after <cmocka.h> and vprocd.h.
 */
#ifndef VCRYPTO_TEST_VPD_FRAMES_H
#define VCRYPTO_TEST_VPD_FRAMES_H

#include <stdlib.h>
#include <string.h>

/*
 * Pops the next queued reply and returns its header; asserts there is one,
 * whole. Its payload, cut to cap - 1 bytes and 0-terminated, goes to text
 * unless that is NULL.
 */
static inline struct vmm_hdr vpd_pop(struct vpd_conn *c, char *text, size_t cap)
{
	struct vpd_outbuf *o = c->out_head;
	struct vmm_hdr h;

	assert_non_null(o);
	assert_int_equal(vmm_hdr_decode(o->data, &h), 0);
	assert_int_equal(o->len, VMM_HDR_SIZE + h.len);
	if (text) {
		size_t n = h.len < cap - 1 ? h.len : cap - 1;

		memcpy(text, o->data + VMM_HDR_SIZE, n);
		text[n] = 0;
	}
	c->out_head = o->next;
	if (!c->out_head)
		c->out_tail = NULL;
	c->out_bytes -= o->len;
	free(o);
	return h;
}

#endif
