// SPDX-License-Identifier: MIT
/*
 * libFuzzer target: vprocd's frame reader (vpd_conn_feed) over arbitrary
 * bytes, delivered in pieces whose sizes the input chooses. The server
 * trusts no key, so no process is ever started; every reply is decoded
 * back, and a pending frame is timed out at the end.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vprocd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vpd_server srv;
	struct vpd_conn *c;
	size_t off = 0;

	memset(&srv, 0, sizeof(srv));
	srv.cfg = (struct vpd_config){.max_image = 64 << 10,
				      .max_procs = 2,
				      .max_inflight = 2,
				      .msg_timeout_ms = 10,
				      .frame_timeout_ms = 10,
				      .mem_limit = 64 << 20,
				      .cpu_limit_s = 1};
	vpd_verbosity = -1;
	c = vpd_conn_new(&srv, -1);
	if (!c)
		return 0;
	/* first byte: piece size (1..256) */
	while (size && off < size) {
		size_t piece = (size_t)data[0] + 1, n = size - off < piece ? size - off : piece;

		vpd_conn_feed(c, data + off, n);
		off += n;
	}
	vpd_conn_frame_timeout(c, vpd_now_ms() + 1000);
	for (struct vpd_outbuf *o = c->out_head; o; o = o->next) {
		struct vmm_hdr h;

		if (o->len < VMM_HDR_SIZE || vmm_hdr_decode(o->data, &h) ||
		    o->len != VMM_HDR_SIZE + h.len || !(h.type & VMM_T_RESPONSE))
			abort(); /* vprocd must only ever send well-formed replies */
	}
	vpd_conn_free(c);
	return 0;
}
