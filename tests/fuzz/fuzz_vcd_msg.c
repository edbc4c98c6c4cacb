// SPDX-License-Identifier: MIT
/*
 * libFuzzer target: a sequence of vhost-user messages into vcryptod's message
 * handler, as a hostile frontend would send them. Input: messages back to
 * back, each a 12-byte header then up to header.size payload bytes. Messages
 * that carry fds get real ones (memfds sized to the declared regions, so a
 * started worker never touches unbacked pages; eventfds for the vrings).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz_seed.h"
#include "vhost_user.h"

#define MAX_REGION (1u << 20)

static struct vcd_engine *eng;
static struct vcd_qstats stats[4];

static unsigned int make_fds(const struct vcd_vu_hdr *h, const uint8_t *p, int *fds)
{
	uint64_t v;

	switch (h->request) {
	case VCD_VU_SET_MEM_TABLE: {
		struct vcd_vu_mem_table t = {0};
		unsigned int n;

		memcpy(&t, p, h->size < sizeof(t) ? h->size : sizeof(t));
		n = t.nregions < VCD_VU_MAX_MEM_REGIONS ? t.nregions : VCD_VU_MAX_MEM_REGIONS;
		for (unsigned int i = 0; i < n; i++) {
			uint64_t need = t.regions[i].memory_size + t.regions[i].mmap_offset;

			fds[i] = memfd_create("fuzz", MFD_CLOEXEC);
			if (need > MAX_REGION || need < t.regions[i].memory_size)
				need = 4096; /* mapping or translation will refuse it */
			if (fds[i] < 0 || ftruncate(fds[i], (off_t)need) < 0)
				abort();
		}
		return n;
	}
	case VCD_VU_SET_VRING_KICK:
	case VCD_VU_SET_VRING_CALL:
	case VCD_VU_SET_VRING_ERR:
		if (h->size != 8)
			return 0;
		memcpy(&v, p, 8);
		if (v & VCD_VU_VRING_NOFD_MASK)
			return 0;
		fds[0] = eventfd(0, EFD_CLOEXEC);
		return fds[0] < 0 ? 0 : 1;
	}
	return 0;
}

/* Seed: the message sequence QEMU 7.2 sends (DESIGN.md), then sessions. */
static size_t put(uint8_t *o, uint32_t req, const void *p, uint32_t n)
{
	struct vcd_vu_hdr h = {req, VCD_VU_VERSION, n};

	memcpy(o, &h, sizeof(h));
	if (n)
		memcpy(o + sizeof(h), p, n);
	return sizeof(h) + n;
}

static void seeds(const char *dir)
{
	static uint8_t o[8192];
	struct vcd_vu_mem_table mt = {.nregions = 1};
	struct vcd_vu_vring_state st = {0, 16};
	struct vcd_vu_vring_addr a = {0, 0, 0x10000000, 0x10000200, 0x10000100, 0};
	struct vcd_vu_session_632 s1 = {0};
	struct vcd_vu_session_1072 s2 = {0};
	uint64_t u = 0, pf = (1ull << 7) | (1ull << 3) | 1;
	size_t n = 0;

	n += put(o + n, VCD_VU_GET_FEATURES, NULL, 0);
	n += put(o + n, VCD_VU_GET_PROTOCOL_FEATURES, NULL, 0);
	n += put(o + n, VCD_VU_SET_PROTOCOL_FEATURES, &pf, 8);
	n += put(o + n, VCD_VU_GET_QUEUE_NUM, NULL, 0);
	n += put(o + n, VCD_VU_SET_OWNER, NULL, 0);
	n += put(o + n, VCD_VU_SET_VRING_CALL, &u, 8);
	u = 1ull << 30;
	n += put(o + n, VCD_VU_SET_FEATURES, &u, 8);
	mt.regions[0] = (struct vcd_vu_mem_region){0, 65536, 0x10000000, 0};
	n += put(o + n, VCD_VU_SET_MEM_TABLE, &mt, 8 + 32);
	n += put(o + n, VCD_VU_SET_VRING_NUM, &st, 8);
	st.num = 0;
	n += put(o + n, VCD_VU_SET_VRING_BASE, &st, 8);
	n += put(o + n, VCD_VU_SET_VRING_ADDR, &a, sizeof(a));
	u = 0;
	n += put(o + n, VCD_VU_SET_VRING_KICK, &u, 8);
	n += put(o + n, VCD_VU_SET_VRING_CALL, &u, 8);
	s1.info.op_type = 1;
	s1.info.cipher_alg = 3;
	s1.info.key_len = 16;
	s1.info.direction = 1;
	n += put(o + n, VCD_VU_CREATE_CRYPTO_SESSION, &s1, sizeof(s1));
	s2.op_code = 0x404;
	s2.u.asym.info.algo = 1;
	s2.u.asym.info.keytype = 1;
	s2.u.asym.info.keylen = 8;
	n += put(o + n, VCD_VU_CREATE_CRYPTO_SESSION, &s2, sizeof(s2));
	u = 0x100000001ull;
	n += put(o + n, VCD_VU_CLOSE_CRYPTO_SESSION, &u, 8);
	st.num = 0;
	n += put(o + n, VCD_VU_GET_VRING_BASE, &st, 8);
	fuzz_write_seed(dir, "qemu72", o, n);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_seed_corpus(*argc, *argv, seeds);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t payload[VCD_VU_MAX_PAYLOAD] __attribute__((aligned(8)));
	/* The daemon builds replies right after the 12-byte header: same here. */
	static uint8_t out[12 + VCD_VU_MAX_PAYLOAD] __attribute__((aligned(8)));
	uint8_t *reply = out + 12;
	struct vcd_dev_conf conf;
	struct vcd_dev *d;

	if (!eng && vcd_engine_openssl.open(&eng))
		abort();
	conf = (struct vcd_dev_conf){.ops = &vcd_engine_openssl,
				     .eng = eng,
				     .max_sessions = 4,
				     .queues = 4,
				     .stats = stats};
	d = malloc(sizeof(*d));
	if (!d || vcd_dev_init(d, &conf, -1))
		abort();
	while (size >= sizeof(struct vcd_vu_hdr)) {
		struct vcd_vu_hdr h;
		int fds[VCD_VU_MAX_FDS];
		unsigned int nfds;
		uint32_t rlen;
		size_t n;

		memcpy(&h, data, sizeof(h));
		data += sizeof(h);
		size -= sizeof(h);
		/* the socket reader refuses bigger payloads before the handler */
		if (h.size > VCD_VU_MAX_PAYLOAD)
			break;
		n = h.size < size ? h.size : size;
		memset(payload, 0, sizeof(payload));
		memcpy(payload, data, n);
		data += n;
		size -= n;
		nfds = make_fds(&h, payload, fds);
		if (vcd_dev_handle(d, &h, payload, fds, nfds, reply, &rlen) < 0)
			break; /* the daemon drops the connection */
		if (rlen > VCD_VU_MAX_PAYLOAD)
			abort();
	}
	vcd_dev_fini(d);
	free(d);
	return 0;
}
