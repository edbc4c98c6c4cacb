/* SPDX-License-Identifier: MIT */
/*
 * What the vcryptod request-path unit tests share: the fixture (the OpenSSL
 * engine, a table of 64 sessions, and one chain of modelled guest segments)
 * and the chain builder. Include after crypto_req.h.
 */
#ifndef VCRYPTO_TEST_VCD_UNIT_H
#define VCRYPTO_TEST_VCD_UNIT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

/* Opens the engine and the session table, allocates the chain; 0 or -1. */
static inline int vcd_unit_open(struct vcd_engine **eng, struct vcd_sessions *s,
				struct vcd_chain **c)
{
	*c = calloc(1, sizeof(**c));
	if (!*c || vcd_engine_openssl.open(eng))
		return -1;
	return vcd_sessions_init(s, &vcd_engine_openssl, *eng, 64);
}

/* Undoes vcd_unit_open() and frees the scratch buffer b. */
static inline void vcd_unit_close(struct vcd_engine *eng, struct vcd_sessions *s,
				  struct vcd_req_buf *b, struct vcd_chain *c)
{
	vcd_sessions_fini(s);
	vcd_engine_openssl.close(eng);
	vcd_req_buf_free(b);
	free(c);
}

/* An empty chain. */
static inline void vcd_unit_chain_reset(struct vcd_chain *c)
{
	c->nin = c->nout = 0;
	c->in_len = c->out_len = 0;
}

/* Appends [p, p+len) to the chain, readable or writable. */
static inline void vcd_unit_seg(struct vcd_chain *c, uint8_t *p, uint32_t len, bool writable)
{
	c->segs[c->nin + c->nout] = (struct vcd_seg){p, len};
	if (writable) {
		c->nout++;
		c->out_len += len;
	} else {
		c->nin++;
		c->in_len += len;
	}
}

#endif
