// SPDX-License-Identifier: MIT
/*
 * vmmcall frames: the header codec, and vprocd's frame reader fed hostile
 * and fragmented input (every split point, garbage, oversized lengths,
 * frames that stop half way). No process is ever started: the server
 * trusts no key, so every NEWPROCESS stops at verification.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <vcrypto/vmmcall.h>
#include "vprocd.h"
#include "vpd_frames.h"

static void hdr_roundtrip(void **state)
{
	struct vmm_hdr h = {.type = VMM_T_MSG,
			    .req_id = 0xdeadbeef,
			    .desc = -5,
			    .code = 77,
			    .status = -1022,
			    .len = 1234},
		       o;
	uint8_t b[VMM_HDR_SIZE];

	vmm_hdr_encode(&h, b);
	assert_memory_equal(b, "VMMC\1\0\2\0\xef\xbe\xad\xde", 12);
	assert_int_equal(vmm_hdr_decode(b, &o), 0);
	assert_int_equal(o.type, VMM_T_MSG);
	assert_int_equal(o.req_id, 0xdeadbeef);
	assert_int_equal(o.desc, -5);
	assert_int_equal(o.code, 77);
	assert_int_equal(o.status, -1022);
	assert_int_equal(o.len, 1234);
}

static void hdr_refusals(void **state)
{
	struct vmm_hdr h = {.type = VMM_T_LIST}, o;
	uint8_t b[VMM_HDR_SIZE], t[VMM_HDR_SIZE];

	vmm_hdr_encode(&h, b);
	for (int i = 0; i < 4; i++) {
		memcpy(t, b, sizeof(t));
		t[i] ^= 0x20;
		assert_int_equal(vmm_hdr_decode(t, &o), -VMM_E_PROTO);
	}
	memcpy(t, b, sizeof(t));
	t[4] = 2;
	assert_int_equal(vmm_hdr_decode(t, &o), -VMM_E_VERSION);
	memcpy(t, b, sizeof(t));
	t[31] = 1;
	assert_int_equal(vmm_hdr_decode(t, &o), -VMM_E_PROTO);
	memcpy(t, b, sizeof(t));
	vmm_put32(t + 24, VMM_MAX_PAYLOAD + 1);
	assert_int_equal(vmm_hdr_decode(t, &o), -VMM_E_PROTO);
	vmm_put32(t + 24, VMM_MAX_PAYLOAD);
	assert_int_equal(vmm_hdr_decode(t, &o), 0);
}

static void every_error_has_a_name(void **state)
{
	for (int e = VMM_E_BASE; e < VMM_E_MAX; e++) {
		assert_non_null(vmm_strerror(-e));
		for (int f = VMM_E_BASE; f < e; f++)
			assert_string_not_equal(vmm_strerror(-e), vmm_strerror(-f));
	}
	assert_null(vmm_strerror(-EINVAL));
	assert_null(vmm_strerror(-VMM_E_MAX));
}

/* --- the frame reader ------------------------------------------------- */

static struct vpd_server srv;

static struct vpd_conn *conn(void)
{
	memset(&srv, 0, sizeof(srv));
	srv.cfg = (struct vpd_config){.max_image = 1 << 20,
				      .max_procs = 4,
				      .max_inflight = 4,
				      .msg_timeout_ms = 1000,
				      .frame_timeout_ms = 1000,
				      .mem_limit = 64 << 20,
				      .cpu_limit_s = 1};
	vpd_verbosity = -1;
	return vpd_conn_new(&srv, -1);
}

static size_t frame(uint8_t *out, uint16_t type, uint32_t id, int32_t desc, uint32_t len)
{
	struct vmm_hdr h = {.type = type, .req_id = id, .desc = desc, .len = len};

	vmm_hdr_encode(&h, out);
	return VMM_HDR_SIZE;
}

static void split_everywhere(void **state)
{
	uint8_t b[2 * VMM_HDR_SIZE];

	frame(b, VMM_T_LIST, 1, -1, 0);
	frame(b + VMM_HDR_SIZE, VMM_T_CLOSE, 2, 42, 0);
	for (size_t cut = 0; cut <= sizeof(b); cut++) {
		struct vpd_conn *c = conn();
		struct vmm_hdr h;

		vpd_conn_feed(c, b, cut);
		vpd_conn_feed(c, b + cut, sizeof(b) - cut);
		h = vpd_pop(c, NULL, 0);
		assert_int_equal(h.type, VMM_T_LIST | VMM_T_RESPONSE);
		assert_int_equal(h.req_id, 1);
		assert_int_equal(h.status, 0);
		h = vpd_pop(c, NULL, 0);
		assert_int_equal(h.type, VMM_T_CLOSE | VMM_T_RESPONSE);
		assert_int_equal(h.req_id, 2);
		assert_int_equal(h.status, -VMM_E_NODESC);
		assert_null(c->out_head);
		vpd_conn_free(c);
	}
	/* one byte at a time */
	{
		struct vpd_conn *c = conn();

		for (size_t i = 0; i < sizeof(b); i++)
			vpd_conn_feed(c, b + i, 1);
		assert_int_equal(vpd_pop(c, NULL, 0).req_id, 1);
		assert_int_equal(vpd_pop(c, NULL, 0).req_id, 2);
		vpd_conn_free(c);
	}
}

static void garbage_then_frame(void **state)
{
	struct vpd_conn *c = conn();
	uint8_t g[100], b[VMM_HDR_SIZE];
	char text[300];
	struct vmm_hdr h;

	for (size_t i = 0; i < sizeof(g); i++)
		g[i] = (uint8_t)(i * 7 + 1);
	g[50] = 'V'; /* a false start of a magic */
	vpd_conn_feed(c, g, sizeof(g));
	frame(b, VMM_T_LIST, 9, -1, 0);
	vpd_conn_feed(c, b, sizeof(b));
	h = vpd_pop(c, text, sizeof(text));
	assert_int_equal(h.status, -VMM_E_PROTO);
	assert_non_null(strstr(text, "resynchronising"));
	h = vpd_pop(c, NULL, 0);
	assert_int_equal(h.req_id, 9);
	assert_int_equal(h.status, 0);
	assert_null(c->out_head); /* one error for the whole run of garbage */
	vpd_conn_free(c);
}

static void unknown_type_and_payloads(void **state)
{
	struct vpd_conn *c = conn();
	uint8_t b[VMM_HDR_SIZE + 10];

	frame(b, 0x77, 5, 0, 10);
	memset(b + VMM_HDR_SIZE, 'V', 10);
	vpd_conn_feed(c, b, sizeof(b));
	frame(b, VMM_T_LIST, 6, 0, 3); /* LIST with a payload */
	vpd_conn_feed(c, b, VMM_HDR_SIZE + 3);
	frame(b, VMM_T_LIST | VMM_T_RESPONSE, 7, 0, 0); /* a response sent to us */
	vpd_conn_feed(c, b, VMM_HDR_SIZE);
	frame(b, VMM_T_LIST, 8, 0, 0);
	vpd_conn_feed(c, b, VMM_HDR_SIZE);
	assert_int_equal(vpd_pop(c, NULL, 0).status, -VMM_E_TYPE);
	assert_int_equal(vpd_pop(c, NULL, 0).status, -VMM_E_PROTO);
	assert_int_equal(vpd_pop(c, NULL, 0).status, -VMM_E_TYPE);
	assert_int_equal(vpd_pop(c, NULL, 0).status, 0);
	vpd_conn_free(c);
}

static void oversized_image_skipped_unallocated(void **state)
{
	struct vpd_conn *c = conn();
	uint32_t ilen = 5 << 20, slen = 100;
	uint8_t b[VMM_HDR_SIZE + 8];
	static uint8_t chunk[65536];
	struct vmm_hdr h;

	frame(b, VMM_T_NEWPROCESS, 3, -1, 8 + ilen + slen);
	vmm_put32(b + VMM_HDR_SIZE, ilen);
	vmm_put32(b + VMM_HDR_SIZE + 4, slen);
	vpd_conn_feed(c, b, sizeof(b));
	h = vpd_pop(c, NULL, 0); /* refused at once, before the payload arrives */
	assert_int_equal(h.status, -VMM_E_IMG_TOOBIG);
	assert_int_equal(c->memfd, -1);
	assert_null(c->img);
	for (uint32_t left = ilen + slen; left;) {
		uint32_t n = left < sizeof(chunk) ? left : sizeof(chunk);

		vpd_conn_feed(c, chunk, n);
		left -= n;
	}
	assert_null(c->out_head);
	frame(b, VMM_T_LIST, 4, -1, 0);
	vpd_conn_feed(c, b, VMM_HDR_SIZE);
	assert_int_equal(vpd_pop(c, NULL, 0).req_id, 4);
	vpd_conn_free(c);
}

static void newprocess_size_checks(void **state)
{
	static const struct {
		uint32_t ilen, slen, len;
		int err;
	} cases[] = {
		{100, 100, 8 + 100 + 99, -VMM_E_PROTO}, /* sizes disagree */
		{0, 100, 8 + 100, -VMM_E_IMG_EMPTY},
		{100, 0, 8 + 100, -VMM_E_SIG_EMPTY},
		{100, VMM_MAX_SIG + 1, 8 + 100 + VMM_MAX_SIG + 1, -VMM_E_SIG_TOOBIG},
		{0xffffffff, 0xffffffff, 8 + 16, -VMM_E_PROTO}, /* would wrap in 32 bits */
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct vpd_conn *c = conn();
		uint8_t b[VMM_HDR_SIZE + 8];
		uint8_t *rest = calloc(1, cases[i].len - 8);

		frame(b, VMM_T_NEWPROCESS, 10 + (uint32_t)i, -1, cases[i].len);
		vmm_put32(b + VMM_HDR_SIZE, cases[i].ilen);
		vmm_put32(b + VMM_HDR_SIZE + 4, cases[i].slen);
		vpd_conn_feed(c, b, sizeof(b));
		vpd_conn_feed(c, rest, cases[i].len - 8);
		free(rest);
		assert_int_equal(vpd_pop(c, NULL, 0).status, cases[i].err);
		assert_null(c->out_head);
		frame(b, VMM_T_LIST, 99, -1, 0);
		vpd_conn_feed(c, b, VMM_HDR_SIZE);
		assert_int_equal(vpd_pop(c, NULL, 0).req_id, 99);
		vpd_conn_free(c);
	}
}

static void newprocess_untrusted(void **state)
{
	struct vpd_conn *c = conn();
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	static const uint8_t img[] = "\177ELF pretend";
	uint8_t b[VMM_HDR_SIZE + 8 + sizeof(img) + VMM_MAX_SIG];
	struct vsig s;
	long sl;
	char text[300];
	struct vmm_hdr h;

	memset(&s, 0, sizeof(s));
	strcpy(s.hdr.name, "x");
	s.hdr.image_len = sizeof(img);
	vsig_sha256(img, sizeof(img), s.hdr.sha256);
	vsig_header_encode(&s.hdr, s.hdr_raw);
	assert_int_equal(vsig_sign(k, &s), 0);
	sl = vsig_encode(&s, b + VMM_HDR_SIZE + 8 + sizeof(img), VMM_MAX_SIG);
	assert_true(sl > 0);
	frame(b, VMM_T_NEWPROCESS, 1, -1, 8 + sizeof(img) + (uint32_t)sl);
	vmm_put32(b + VMM_HDR_SIZE, sizeof(img));
	vmm_put32(b + VMM_HDR_SIZE + 4, (uint32_t)sl);
	memcpy(b + VMM_HDR_SIZE + 8, img, sizeof(img));
	for (size_t i = 0; i < VMM_HDR_SIZE + 8 + sizeof(img) + (size_t)sl; i++)
		vpd_conn_feed(c, b + i, 1);
	h = vpd_pop(c, text, sizeof(text));
	assert_int_equal(h.status, -VMM_E_SIG_KEY);
	assert_non_null(strstr(text, "not among the 0 trusted keys"));
	assert_int_equal(c->memfd, -1); /* the memfd is gone again */
	assert_int_equal(c->nlive, 0);
	EVP_PKEY_free(k);
	vpd_conn_free(c);
}

static void msg_limits(void **state)
{
	struct vpd_conn *c = conn();
	uint8_t b[VMM_HDR_SIZE];
	static uint8_t big[VMM_MAX_MSG + 1];

	frame(b, VMM_T_MSG, 1, 0, VMM_MAX_MSG + 1);
	vpd_conn_feed(c, b, sizeof(b));
	vpd_conn_feed(c, big, sizeof(big));
	frame(b, VMM_T_MSG, 2, 0, 0);
	vpd_conn_feed(c, b, sizeof(b));
	assert_int_equal(vpd_pop(c, NULL, 0).status, -VMM_E_MSG_TOOBIG);
	assert_int_equal(vpd_pop(c, NULL, 0).status, -VMM_E_NODESC);
	assert_int_equal(c->inflight, 0);
	vpd_conn_free(c);
}

static void frame_timeout(void **state)
{
	struct vpd_conn *c = conn();
	uint8_t b[VMM_HDR_SIZE];
	uint64_t now = vpd_now_ms();
	struct vmm_hdr h;

	assert_true(vpd_conn_frame_deadline(c) == UINT64_MAX);
	frame(b, VMM_T_MSG, 5, 0, 100); /* header, then nothing */
	c->last_rx_ms = now;
	vpd_conn_feed(c, b, sizeof(b));
	assert_true(vpd_conn_frame_deadline(c) == now + 1000);
	vpd_conn_frame_timeout(c, now + 999);
	assert_null(c->out_head);
	vpd_conn_frame_timeout(c, now + 1000);
	h = vpd_pop(c, NULL, 0);
	assert_int_equal(h.req_id, 5);
	assert_int_equal(h.status, -VMM_E_PROTO);
	frame(b, VMM_T_LIST, 6, 0, 0);
	vpd_conn_feed(c, b, sizeof(b));
	assert_int_equal(vpd_pop(c, NULL, 0).req_id, 6);
	vpd_conn_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(hdr_roundtrip),
		cmocka_unit_test(hdr_refusals),
		cmocka_unit_test(every_error_has_a_name),
		cmocka_unit_test(split_everywhere),
		cmocka_unit_test(garbage_then_frame),
		cmocka_unit_test(unknown_type_and_payloads),
		cmocka_unit_test(oversized_image_skipped_unallocated),
		cmocka_unit_test(newprocess_size_checks),
		cmocka_unit_test(newprocess_untrusted),
		cmocka_unit_test(msg_limits),
		cmocka_unit_test(frame_timeout),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests_name("vmmcall frames and vprocd's reader", tests, NULL, NULL);
}
