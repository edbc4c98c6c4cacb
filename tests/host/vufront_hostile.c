// SPDX-License-Identifier: GPL-2.0
/*
 * Hostile guest and hostile frontend cases. Each case runs on its own
 * connection; afterwards the daemon must still be alive, serve a brand-new
 * connection correctly, and be back at the number of open fds it had before.
 *
 * Accepted outcomes, per case: the right virtio status in the request's
 * status byte, or the connection dropped by the daemon (libvhost-user's
 * "device broken" idea). Not accepted: a crash, silence (the request neither
 * answered nor the connection dropped), a bad message acknowledged as fine.
 */
#include "vufront_test.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* How long an answer may take: the -t timeout (longer under valgrind). */
#define H_WAIT_MS (v->timeout_ms)

enum h_out { H_DONE, H_DROP, H_SILENT, H_PROTO };

static const char *h_out_name(enum h_out o)
{
	return o == H_DONE     ? "answered"
	       : o == H_DROP   ? "connection dropped"
	       : o == H_SILENT ? "no answer"
			       : "bad used entry";
}

/* A well-formed AES-128-CBC encrypt request in guest memory. */
struct h_req {
	uint64_t hdr, data, dst, st; /* gpas: header, iv||src, dst, status byte */
	uint32_t len;
	uint8_t h[VUF_HDR_LEN];
};

static void h_req_make(struct vuf *v, struct h_req *r, int64_t sid, uint32_t len)
{
	r->len = len;
	vuf_hdr_cipher(r->h, VIRTIO_CRYPTO_CIPHER_ENCRYPT, (uint64_t)sid, 16, len, len);
	r->hdr = vuf_alloc(v, 1, VUF_HDR_LEN, 8);
	r->data = vuf_alloc(v, 2, 16 + len, 8);
	r->dst = vuf_alloc(v, 3, len, 8);
	r->st = vuf_alloc(v, 1, 1, 1);
	memcpy(vuf_gpa(v, r->hdr, VUF_HDR_LEN), r->h, VUF_HDR_LEN);
	vuf_rand_bytes(v, vuf_gpa(v, r->data, 16 + len), 16 + len);
	memset(vuf_gpa(v, r->dst, len), 0xee, len);
	*(uint8_t *)vuf_gpa(v, r->st, 1) = 0xee;
}

static void h_req_hdr(struct vuf *v, struct h_req *r)
{
	memcpy(vuf_gpa(v, r->hdr, VUF_HDR_LEN), r->h, VUF_HDR_LEN);
}

static struct vring_desc h_d(uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
	return (struct vring_desc){.addr = addr, .len = len, .flags = flags, .next = next};
}

/* The 4 descriptors of a request, direct, at table slots first..first+3. */
static void h_req_descs(const struct h_req *r, struct vring_desc *d, uint16_t first)
{
	d[0] = h_d(r->hdr, VUF_HDR_LEN, VRING_DESC_F_NEXT, first + 1);
	d[1] = h_d(r->data, 16 + r->len, VRING_DESC_F_NEXT, first + 2);
	d[2] = h_d(r->dst, r->len, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, first + 3);
	d[3] = h_d(r->st, 1, VRING_DESC_F_WRITE, 0);
}

/* Publishes raw descriptors d[0..n) at slot `first`, head `head`; waits. */
static enum h_out h_run(struct vuf *v, const struct vring_desc *d, unsigned int n, uint16_t first,
			uint16_t head, uint32_t *len)
{
	struct vuf_vq *q = &v->vq[0];
	void *ck;
	int r;

	if (head < q->num) {
		q->cookie[head] = (void *)1;
		q->ndesc[head] = 1;
	}
	vuf_submit_raw(q, d, n, first, head);
	vuf_kick(q, true);
	r = vuf_wait(q, H_WAIT_MS, &ck, len);
	if (r == 1)
		return H_DONE;
	if (r == -ECONNRESET)
		return H_DROP;
	if (r == 0)
		return vuf_alive(v) ? H_SILENT : H_DROP;
	return H_PROTO;
}

static uint8_t h_status(struct vuf *v, uint64_t st)
{
	return *(uint8_t *)vuf_gpa(v, st, 1);
}

typedef bool (*h_case_fn)(struct vt *t, struct vuf *v, int64_t sid, char *why, size_t wl);

/* Answered with a status in `ok`, or dropped. */
static bool h_expect(struct vuf *v, enum h_out o, uint64_t st, uint32_t ok, char *why, size_t wl)
{
	uint8_t s = o == H_DONE ? h_status(v, st) : 0xee;

	if (o == H_DONE)
		snprintf(why, wl, "answered %s (0x%02x)", vuf_status_name(s), s);
	else
		snprintf(why, wl, "%s", h_out_name(o));
	return o == H_DROP || (o == H_DONE && s < 32 && (ok & VUF_ST(s)));
}

/* Answered (the used entry is all there is to say) or dropped. */
static bool h_expect_any(enum h_out o, uint32_t len, char *why, size_t wl)
{
	if (o == H_DONE)
		snprintf(why, wl, "answered, used len %u", len);
	else
		snprintf(why, wl, "%s", h_out_name(o));
	return o == H_DROP || o == H_DONE;
}

#define BAD (VUF_ST(VIRTIO_CRYPTO_BADMSG) | VUF_ST(VIRTIO_CRYPTO_ERR))

static bool h_msg_refused_result(struct vuf *v, int64_t r, char *why, size_t wl)
{
	if (r == -ECONNRESET || r == -EPIPE || (r < 0 && !vuf_alive(v)))
		snprintf(why, wl, "connection dropped");
	else if (r > 0)
		snprintf(why, wl, "refused (ack %lld)", (long long)r);
	else if (r == 0)
		snprintf(why, wl, "ACCEPTED");
	else
		snprintf(why, wl, "%s", strerror((int)-r));
	return r > 0 || r == -ECONNRESET || r == -EPIPE ||
	       (r < 0 && r != -ETIMEDOUT && !vuf_alive(v));
}

/* Sent with NEED_REPLY: refused (ack != 0) or dropped is right. */
static bool h_msg_refused(struct vuf *v, uint32_t req, const void *p, uint32_t size, const int *fds,
			  int nfds, char *why, size_t wl)
{
	return h_msg_refused_result(v, vuf_call_ack(v, req, p, size, fds, nfds), why, wl);
}

/* ---- descriptor chains ---- */

static bool h_indirect_loop(struct vt *t, struct vuf *v, int64_t sid, char *why, size_t wl)
{
	struct h_req r;
	struct vring_desc d[4], ind;
	uint64_t tg = vuf_alloc(v, 0, sizeof(d), 16);
	uint32_t len = 0;

	h_req_make(v, &r, sid, 64);
	h_req_descs(&r, d, 0);
	d[3].flags |= VRING_DESC_F_NEXT;
	d[3].next = 1;
	memcpy(vuf_gpa(v, tg, sizeof(d)), d, sizeof(d));
	ind = h_d(tg, sizeof(d), VRING_DESC_F_INDIRECT, 0);
	return h_expect_any(h_run(v, &ind, 1, 0, 0, &len), len, why, wl);
}

static bool h_indirect_nested(struct vt *t, struct vuf *v, int64_t sid, char *why, size_t wl)
{
	struct h_req r;
	struct vring_desc d[4], ind;
	uint64_t tg = vuf_alloc(v, 0, sizeof(d), 16), tg2 = vuf_alloc(v, 0, 16, 16);
	uint32_t len = 0;

	h_req_make(v, &r, sid, 64);
	h_req_descs(&r, d, 0);
	/* slot 1 is itself an indirect table (pointing at the table): forbidden */
	d[1] = h_d(tg, sizeof(d), VRING_DESC_F_INDIRECT | VRING_DESC_F_NEXT, 2);
	memcpy(vuf_gpa(v, tg, sizeof(d)), d, sizeof(d));
	memcpy(vuf_gpa(v, tg2, 16), &d[0], 16);
	ind = h_d(tg, sizeof(d), VRING_DESC_F_INDIRECT, 0);
	return h_expect_any(h_run(v, &ind, 1, 0, 0, &len), len, why, wl);
}

static bool h_indirect_badlen(struct vt *t, struct vuf *v, int64_t sid, char *why, size_t wl)
{
	struct h_req r;
	struct vring_desc d[4], ind;
	uint64_t tg = vuf_alloc(v, 0, sizeof(d) + 64, 16);
	uint32_t len = 0;
	enum h_out o;

	h_req_make(v, &r, sid, 64);
	h_req_descs(&r, d, 0);
	for (int i = 0; i < 4; i++)
		d[i].next = (uint16_t)(i + 1);
	memcpy(vuf_gpa(v, tg, sizeof(d)), d, sizeof(d));
	ind = h_d(tg, sizeof(d) - 3, VRING_DESC_F_INDIRECT, 0); /* 61 bytes */
	o = h_run(v, &ind, 1, 0, 0, &len);
	if (!h_expect_any(o, len, why, wl) || o == H_DROP)
		return o == H_DROP;
	ind = h_d(tg, 0, VRING_DESC_F_INDIRECT, 0);
	o = h_run(v, &ind, 1, 1, 1, &len);
	return h_expect_any(o, len, why, wl);
}

static bool h_indirect_hole(struct vt *t, struct vuf *v, int64_t sid, char *why, size_t wl)
{
	struct vring_desc ind = h_d(vuf_gpa_hole(v), 64, VRING_DESC_F_INDIRECT, 0);
	uint32_t len = 0;

	return h_expect_any(h_run(v, &ind, 1, 0, 0, &len), len, why, wl);
}

static bool h_head_range(struct vt *t, struct vuf *v, int64_t sid, char *why, size_t wl)
{
	struct h_req r;
	struct vring_desc d[4];
	uint32_t len = 0;
	enum h_out o;

	h_req_make(v, &r, sid, 64);
	h_req_descs(&r, d, 0);
	o = h_run(v, d, 4, 0, 4000, &len); /* avail ring names descriptor 4000 */
	/* Nothing can be answered for a head that does not exist: dropping
	 * the connection is the one right outcome (a used entry naming 4000
	 * shows up as H_PROTO). */
	snprintf(why, wl, "%s", h_out_name(o));
	return o == H_DROP;
}

static bool h_avail_jump(struct vt *t, struct vuf *v, int64_t sid, char *why, size_t wl)
{
	struct vuf_vq *q = &v->vq[0];
	uint64_t one = 1;
	struct pollfd p = {.fd = v->sock, .events = POLLRDHUP};

	/* The guest claims 5000 new requests on a 1024-entry ring. */
	q->avail_idx = 5000;
	__atomic_store_n(&q->avail->idx, q->avail_idx, __ATOMIC_RELEASE);
	if (write(q->kick_fd, &one, 8) != 8)
		return false;
	poll(&p, 1, H_WAIT_MS);
	snprintf(why, wl, "%s",
		 vuf_alive(v) ? "connection kept (ring ignored)" : "connection dropped");
	return !vuf_alive(v);
}

/* ---- addresses and lengths ---- */

static bool h_len_total(struct vt *t, struct vuf *v, int64_t sid, char *why, size_t wl)
{
	/* 600 readable descriptors of 8 MiB each over the same region: 4.7 GiB,
	 * more than 32 bits count. */
	enum { N = 600 };
	struct vring_desc *d = calloc(N + 1, sizeof(*d)), ind;
	uint64_t tg = vuf_alloc(v, 3, (N + 1) * sizeof(*d), 16);
	uint64_t st = vuf_alloc(v, 3, 1, 1);
	uint32_t len = 0;
	struct h_req r;
	bool ok;

	h_req_make(v, &r, sid, 64);
	*(uint8_t *)vuf_gpa(v, st, 1) = 0xee;
	d[0] = h_d(r.hdr, VUF_HDR_LEN, VRING_DESC_F_NEXT, 1);
	for (int i = 1; i < N; i++)
		d[i] = h_d(v->r[1].gpa, (uint32_t)v->r[1].size, VRING_DESC_F_NEXT,
			   (uint16_t)(i + 1));
	d[N] = h_d(st, 1, VRING_DESC_F_WRITE, 0);
	memcpy(vuf_gpa(v, tg, (N + 1) * sizeof(*d)), d, (N + 1) * sizeof(*d));
	ind = h_d(tg, (N + 1) * sizeof(*d), VRING_DESC_F_INDIRECT, 0);
	ok = h_expect(v, h_run(v, &ind, 1, 0, 0, &len), st, BAD, why, wl);
	free(d);
	return ok;
}

/* ---- request headers ---- */

/* The request as it is now in r->h, in its 4 descriptors. */
static bool h_hdr_case(struct vuf *v, struct h_req *r, uint32_t ok, char *why, size_t wl)
{
	struct vring_desc d[4];
	uint32_t len = 0;

	h_req_hdr(v, r);
	h_req_descs(r, d, 0);
	return h_expect(v, h_run(v, d, 4, 0, 0, &len), r->st, ok, why, wl);
}

static void h_set32(struct h_req *r, size_t off, uint32_t x)
{
	memcpy(r->h + off, &x, 4);
}

/* Offsets in struct virtio_crypto_op_data_req. */
#define H_OPCODE 0
#define H_SID 8
#define H_IVLEN 24
#define H_SRCLEN 28
#define H_DSTLEN 32
#define H_OPTYPE 64

static bool h_never_created(struct vt *t, struct vuf *v, int64_t sid, char *why, size_t wl)
{
	struct h_req r;
	uint64_t bogus = (uint64_t)sid ^ 0x5a5a0000ULL;

	h_req_make(v, &r, sid, 64);
	memcpy(r.h + H_SID, &bogus, 8);
	return h_hdr_case(v, &r, VUF_ST(VIRTIO_CRYPTO_INVSESS), why, wl);
}

static bool h_closed_session(struct vt *t, struct vuf *v, int64_t sid, char *why, size_t wl)
{
	uint8_t key[16] = {0};
	int64_t other;
	struct h_req r;

	other = vt_cipher_session(v, VUF_SESS_1072, VIRTIO_CRYPTO_CIPHER_AES_CBC, key, 16, 1);
	vuf_close_session(v, (uint64_t)other);
	vt_sync(v);
	h_req_make(v, &r, other, 64);
	return h_hdr_case(v, &r, VUF_ST(VIRTIO_CRYPTO_INVSESS), why, wl);
}

static bool h_op_type(struct vt *t, struct vuf *v, int64_t sid, char *why, size_t wl)
{
	struct h_req r;

	h_req_make(v, &r, sid, 64);
	h_set32(&r, H_OPTYPE, VIRTIO_CRYPTO_SYM_OP_ALGORITHM_CHAINING);
	if (!h_hdr_case(v, &r, BAD, why, wl))
		return false;
	h_set32(&r, H_OPTYPE, 77);
	return h_hdr_case(v, &r, BAD | VUF_ST(VIRTIO_CRYPTO_NOTSUPP), why, wl);
}

static bool h_chain_range(struct vt *t, struct vuf *v, int64_t sid, char *why, size_t wl)
{
	uint8_t key[16] = {1}, akey[20] = {2};
	int64_t cs = vt_chain_session(v, VUF_SESS_632, VIRTIO_CRYPTO_CIPHER_AES_CBC, key, 16, 1,
				      VIRTIO_CRYPTO_MAC_HMAC_SHA1, akey, 20, 20,
				      VIRTIO_CRYPTO_SYM_ALG_CHAIN_ORDER_CIPHER_THEN_HASH);
	static const struct vuf_chain_para bad[] = {
		/* cipher range past src */
		{16, 64, 64, 48, 32, 0, 64, 0, 20},
		/* hash range past src, and offset + len wrapping 32 bits */
		{16, 64, 64, 0, 64, 0xfffffff0, 0x20, 0, 20},
		/* hash_result_len other than the session's */
		{16, 64, 64, 0, 64, 0, 64, 0, 64},
		/* aad longer than what is readable */
		{16, 64, 64, 0, 64, 0, 64, 0x7fffffff, 20},
	};

	if (cs < 0) {
		snprintf(why, wl, "no chaining session");
		return false;
	}
	for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct h_req r;
		struct vring_desc d[4];
		uint64_t dst = vuf_alloc(v, 3, 64 + 20, 8);
		uint32_t len = 0;

		h_req_make(v, &r, cs, 64);
		vuf_hdr_chain(r.h, VIRTIO_CRYPTO_CIPHER_ENCRYPT, (uint64_t)cs, &bad[i]);
		h_req_hdr(v, &r);
		h_req_descs(&r, d, (uint16_t)(4 * i));
		d[2].addr = dst;
		d[2].len = 64 + 20;
		if (!h_expect(v, h_run(v, d, 4, (uint16_t)(4 * i), (uint16_t)(4 * i), &len), r.st,
			      BAD, why, wl)) {
			size_t n = strlen(why);

			snprintf(why + n, wl - n, " (bad chaining parameters #%u)", i);
			return false;
		}
		if (!vuf_alive(v))
			return true;
	}
	return true;
}

static bool h_big(struct vt *t, struct vuf *v, int64_t sid, char *why, size_t wl)
{
	/* 9 readable and 9 writable descriptors of 8 MiB: a 72 MiB request,
	 * over vcryptod's per-request limit. */
	enum { N = 9 };
	struct vring_desc d[2 * N + 2], ind;
	uint64_t tg = vuf_alloc(v, 0, sizeof(d), 16), st = vuf_alloc(v, 0, 1, 1);
	uint32_t len = 0, total = N * (uint32_t)v->r[1].size;
	struct h_req r;

	h_req_make(v, &r, sid, 64);
	h_set32(&r, H_IVLEN, 0);
	h_set32(&r, H_SRCLEN, total);
	h_set32(&r, H_DSTLEN, total);
	h_req_hdr(v, &r);
	*(uint8_t *)vuf_gpa(v, st, 1) = 0xee;
	d[0] = h_d(r.hdr, VUF_HDR_LEN, VRING_DESC_F_NEXT, 1);
	for (int i = 0; i < N; i++)
		d[1 + i] = h_d(v->r[1].gpa, (uint32_t)v->r[1].size, VRING_DESC_F_NEXT,
			       (uint16_t)(2 + i));
	for (int i = 0; i < N; i++)
		d[1 + N + i] = h_d(v->r[2].gpa, (uint32_t)v->r[2].size,
				   VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, (uint16_t)(2 + N + i));
	d[2 * N + 1] = h_d(st, 1, VRING_DESC_F_WRITE, 0);
	memcpy(vuf_gpa(v, tg, sizeof(d)), d, sizeof(d));
	ind = h_d(tg, sizeof(d), VRING_DESC_F_INDIRECT, 0);
	return h_expect(v, h_run(v, &ind, 1, 0, 0, &len), st, BAD, why, wl);
}

static bool h_many_sessions(struct vt *t, struct vuf *v, int64_t sid, char *why, size_t wl)
{
	uint8_t key[16] = {3};
	unsigned int made = 1, refused = 0;

	/* sid is one session already; try to open twice the limit. */
	for (unsigned int i = 0; i < 2 * t->max_sessions; i++) {
		int64_t s = vt_cipher_session(v, VUF_SESS_632, VIRTIO_CRYPTO_CIPHER_AES_CBC, key,
					      16, 1);

		if (s >= 0)
			made++;
		else
			refused++;
	}
	snprintf(why, wl, "%u sessions held, %u refused (limit %u)", made, refused,
		 t->max_sessions);
	return made == t->max_sessions && vuf_alive(v);
}

/* ---- disconnects ---- */

static bool h_disconnect_busy(struct vt *t, struct vuf *v, int64_t sid, char *why, size_t wl)
{
	struct vuf_job *j = calloc(300, sizeof(*j));
	uint8_t key[16] = {0};
	unsigned int n = 0;

	/* (sid's key is random; results are not looked at) */
	for (; j && n < 300; n++) {
		if (vt_cipher_job(v, &j[n], sid, VIRTIO_CRYPTO_CIPHER_AES_CBC, key, 16, 1, 16384,
				  0) ||
		    vuf_place(v, &j[n].chain, j[n].out, j[n].out_len, j[n].in_len, &j[n].po) ||
		    vuf_submit(&v->vq[0], &j[n].chain, &j[n]))
			break;
		if (n % 16 == 15)
			vuf_kick(&v->vq[0], true);
	}
	vuf_kick(&v->vq[0], true);
	for (unsigned int i = 0; i < n; i++)
		vuf_job_free(&j[i]);
	free(j);
	snprintf(why, wl, "%u requests of 16 KiB in flight, then the frontend went away", n);
	return n > 100; /* the caller closes the connection now */
}

static bool h_close_busy(struct vt *t, struct vuf *v, int64_t sid, char *why, size_t wl)
{
	enum { N = 200 };
	struct vuf_job *j = calloc(N, sizeof(*j));
	unsigned int okc = 0, inv = 0, wrong = 0, n = 0;
	uint8_t key[16];
	int64_t s;

	/* The control thread closes the session while the queue's worker is
	 * busy with requests that use it: each must come back either right
	 * or INVSESS, and nothing may touch freed session state. */
	vuf_rand_bytes(v, key, sizeof(key));
	s = vt_cipher_session(v, VUF_SESS_632, VIRTIO_CRYPTO_CIPHER_AES_CBC, key, 16, 1);
	for (; j && n < N; n++) {
		if (vt_cipher_job(v, &j[n], s, VIRTIO_CRYPTO_CIPHER_AES_CBC, key, 16, 1, 8192, 0))
			break;
		j[n].po.max_out_segs = j[n].po.max_in_segs = 1;
		if (vuf_place(v, &j[n].chain, j[n].out, j[n].out_len, j[n].in_len, &j[n].po) ||
		    vuf_submit(&v->vq[0], &j[n].chain, &j[n]))
			break;
	}
	vuf_kick(&v->vq[0], true);
	vuf_close_session(v, (uint64_t)s);
	for (unsigned int k = 0; k < n; k++) {
		void *ck;
		uint32_t len;
		struct vuf_job *jj;

		if (vuf_wait(&v->vq[0], H_WAIT_MS * 2, &ck, &len) != 1)
			break;
		jj = ck;
		jj->in = malloc(jj->in_len);
		vuf_gather(v, &jj->chain, jj->in);
		if (jj->in[jj->in_len - 1] == VIRTIO_CRYPTO_OK && !memcmp(jj->in, jj->expect, 8192))
			okc++, wrong += inv > 0; /* served after it was seen closed */
		else if (jj->in[jj->in_len - 1] == VIRTIO_CRYPTO_INVSESS)
			inv++;
		else
			wrong++;
	}
	for (unsigned int k = 0; k < n; k++)
		vuf_job_free(&j[k]);
	free(j);
	snprintf(why, wl,
		 "%u done before the close, %u INVSESS after, %u wrong, missing or out of order",
		 okc, inv, n - okc - inv + wrong);
	return n == N && okc + inv == N && !wrong;
}

/* ---- vhost-user messages ---- */

static bool h_dropped_soon(struct vuf *v, char *why, size_t wl)
{
	for (int i = 0; i < H_WAIT_MS / 10 && vuf_alive(v); i++)
		usleep(10000);
	snprintf(why, wl, "%s", vuf_alive(v) ? "connection kept open" : "connection dropped");
	return !vuf_alive(v);
}

static bool h_msg_huge(struct vt *t, struct vuf *v, int64_t sid, char *why, size_t wl)
{
	uint32_t hdr[3] = {VUF_SET_MEM_TABLE, VUF_F_VERSION, 0x10000000};

	if (vuf_send_raw(v, hdr, sizeof(hdr), NULL, 0))
		return false;
	return h_dropped_soon(v, why, wl);
}

static bool h_msg_badsize(struct vt *t, struct vuf *v, int64_t sid, char *why, size_t wl)
{
	uint32_t s[2] = {0, 256};

	/* SET_VRING_NUM with 4 payload bytes instead of 8 */
	return h_msg_refused(v, VUF_SET_VRING_NUM, s, 4, NULL, 0, why, wl);
}

static bool h_msg_version(struct vt *t, struct vuf *v, int64_t sid, char *why, size_t wl)
{
	uint32_t hdr[3] = {VUF_GET_FEATURES, 0x2, 0};
	uint32_t rq, fl, sz;
	uint64_t val;
	int r;

	if (vuf_send_raw(v, hdr, sizeof(hdr), NULL, 0))
		return false;
	r = vuf_recv(v, &rq, &fl, &val, sizeof(val), &sz);
	snprintf(why, wl, r == 0 ? "ANSWERED a message of version 2" : "%s", strerror(-r));
	return r == -ECONNRESET;
}

static bool h_msg_unknown(struct vt *t, struct vuf *v, int64_t sid, char *why, size_t wl)
{
	uint64_t x = 0;

	return h_msg_refused(v, 9999, &x, 8, NULL, 0, why, wl);
}

static bool h_mem_nofd(struct vt *t, struct vuf *v, int64_t sid, char *why, size_t wl)
{
	uint8_t buf[8 + 64] = {0};
	uint32_t n = 2;
	uint64_t r0[4] = {0x100000, 0x100000, 0x7f0000000000ULL, 0};
	uint64_t r1[4] = {0x40000000, 0x100000, 0x7f1000000000ULL, 0};

	memcpy(buf, &n, 4);
	memcpy(buf + 8, r0, 32);
	memcpy(buf + 40, r1, 32);
	return h_msg_refused(v, VUF_SET_MEM_TABLE, buf, sizeof(buf), NULL, 0, why, wl);
}

static bool h_mem_fds(struct vt *t, struct vuf *v, int64_t sid, char *why, size_t wl)
{
	uint8_t buf[8 + 64] = {0};
	uint32_t n = 2;
	uint64_t r0[4] = {0x100000, 0x100000, 0x7f0000000000ULL, 0};
	uint64_t r1[4] = {0x40000000, 0x100000, 0x7f1000000000ULL, 0};
	int fds[6];
	bool ok;

	for (int i = 0; i < 6; i++)
		fds[i] = memfd_create("vufront-extra", MFD_CLOEXEC);
	for (int i = 0; i < 6; i++)
		if (ftruncate(fds[i], 0x100000))
			return false;
	memcpy(buf, &n, 4);
	memcpy(buf + 8, r0, 32);
	memcpy(buf + 40, r1, 32);
	/* 2 regions, 6 fds */
	ok = h_msg_refused(v, VUF_SET_MEM_TABLE, buf, sizeof(buf), fds, 6, why, wl);
	for (int i = 0; i < 6; i++)
		close(fds[i]);
	return ok;
}

static bool h_mem_nregions(struct vt *t, struct vuf *v, int64_t sid, char *why, size_t wl)
{
	uint8_t buf[8 + 32 * 9] = {0};
	uint32_t n = 9;
	int fds[9];
	bool ok;

	memcpy(buf, &n, 4);
	for (int i = 0; i < 9; i++) {
		uint64_t r[4] = {0x100000 + (uint64_t)i * 0x40000000, 0x10000,
				 0x7f0000000000ULL + (uint64_t)i * 0x100000000ULL, 0};

		memcpy(buf + 8 + 32 * i, r, 32);
		fds[i] = memfd_create("vufront-r", MFD_CLOEXEC);
		if (ftruncate(fds[i], 0x10000))
			return false;
	}
	/* 9 regions: one more than vhost-user's 8 (also more fds than allowed) */
	ok = h_msg_refused(v, VUF_SET_MEM_TABLE, buf, sizeof(buf), fds, 9, why, wl);
	for (int i = 0; i < 9; i++)
		close(fds[i]);
	return ok;
}

static bool h_mem_zero(struct vt *t, struct vuf *v, int64_t sid, char *why, size_t wl)
{
	uint8_t buf[8 + 32] = {0};
	uint32_t n = 1;
	uint64_t r0[4] = {0x100000, 0, 0x7f0000000000ULL, 0};
	int fd = memfd_create("vufront-z", MFD_CLOEXEC);
	bool ok;

	memcpy(buf, &n, 4);
	memcpy(buf + 8, r0, 32);
	ok = h_msg_refused(v, VUF_SET_MEM_TABLE, buf, sizeof(buf), &fd, 1, why, wl);
	close(fd);
	return ok;
}

/* Sends the current table plus one extra region (gpa, size, fd); returns the ack. */
/*
 * SET_MEM_TABLE of v's regions (fresh fds) and, when x is not NULL, one more
 * region x = {gpa, size, uaddr, mmap_offset} backed by fd. Returns the ack.
 */
static int64_t h_mem_table(struct vuf *v, const uint64_t *x, int fd)
{
	uint8_t buf[8 + 32 * VUF_MAX_REGIONS] = {0};
	int fds[VUF_MAX_REGIONS] = {-1, -1, -1, -1, -1, -1, -1, -1};
	uint32_t n = v->nregions + (x != NULL);
	int64_t r;

	memcpy(buf, &n, 4);
	for (unsigned int i = 0; i < v->nregions; i++) {
		uint64_t f[4] = {v->r[i].gpa, v->r[i].size, v->r[i].uaddr, v->r[i].mmap_offset};

		memcpy(buf + 8 + 32 * i, f, 32);
		fds[i] = dup(v->r[i].fd);
	}
	if (x) {
		memcpy(buf + 8 + 32 * v->nregions, x, 32);
		fds[v->nregions] = fd;
	}
	r = vuf_call_ack(v, VUF_SET_MEM_TABLE, buf, 8 + 32 * n, fds, (int)n);
	for (unsigned int i = 0; i < v->nregions; i++)
		close(fds[i]);
	return r;
}

static bool h_mem_short_fd(struct vt *t, struct vuf *v, int64_t sid, char *why, size_t wl)
{
	/* An extra region of 16 MiB backed by a 64 KiB memfd. Touching its
	 * tail means SIGBUS in the daemon: it must refuse the table, or
	 * survive a request whose src lies there. */
	int fd = memfd_create("vufront-short", MFD_CLOEXEC);
	uint64_t gpa = 0x300000000ULL;
	uint64_t x[4] = {gpa, 16 << 20, 0x7e0000000000ULL, 0};
	struct vring_desc d[4];
	struct h_req r;
	uint32_t len = 0;
	int64_t ack;
	enum h_out o;

	if (fd < 0 || ftruncate(fd, 0x10000))
		return false;
	ack = h_mem_table(v, x, fd);
	close(fd);
	if (ack != 0)
		return h_msg_refused_result(v, ack, why, wl);
	h_req_make(v, &r, sid, 64);
	h_req_descs(&r, d, 0);
	d[1].addr = gpa + (1 << 20);
	o = h_run(v, d, 4, 0, 0, &len);
	usleep(100000);
	if (!vt_daemon_alive(t)) {
		snprintf(why, wl, "table ACCEPTED, and the daemon DIED touching the region's tail");
		return false;
	}
	{
		char w[100];

		h_expect(v, o, r.st, BAD, w, sizeof(w));
		snprintf(why, wl, "table accepted; request past the fd end: %s", w);
	}
	return o == H_DROP || o == H_DONE;
}

static bool h_mem_offset(struct vt *t, struct vuf *v, int64_t sid, char *why, size_t wl)
{
	uint8_t buf[8 + 32] = {0};
	uint32_t n = 1;
	/* mmap_offset + size past 2^64 */
	uint64_t r0[4] = {0x100000, 0x10000, 0x7f0000000000ULL, 0xffffffffffff0000ULL};
	int fd = memfd_create("vufront-off", MFD_CLOEXEC);
	bool ok;

	if (ftruncate(fd, 0x10000))
		return false;
	memcpy(buf, &n, 4);
	memcpy(buf + 8, r0, 32);
	ok = h_msg_refused(v, VUF_SET_MEM_TABLE, buf, sizeof(buf), &fd, 1, why, wl);
	close(fd);
	return ok;
}

static bool h_vring_index(struct vt *t, struct vuf *v, int64_t sid, char *why, size_t wl)
{
	uint32_t s[2] = {200, 256};
	uint64_t u = 200;
	int fd = eventfd(0, EFD_CLOEXEC);
	bool ok;

	ok = h_msg_refused(v, VUF_SET_VRING_NUM, s, 8, NULL, 0, why, wl);
	if (ok && vuf_alive(v)) {
		s[0] = (uint32_t)v->queue_num; /* one past the last queue */
		ok = h_msg_refused(v, VUF_SET_VRING_BASE, s, 8, NULL, 0, why, wl);
	}
	if (ok && vuf_alive(v))
		ok = h_msg_refused(v, VUF_SET_VRING_KICK, &u, 8, &fd, 1, why, wl);
	if (ok && vuf_alive(v)) {
		u = 0xff; /* the index field is 8 bits */
		ok = h_msg_refused(v, VUF_SET_VRING_CALL, &u, 8, &fd, 1, why, wl);
	}
	if (ok && vuf_alive(v)) {
		uint8_t a[40] = {0};

		a[0] = 77;
		ok = h_msg_refused(v, VUF_SET_VRING_ADDR, a, 40, NULL, 0, why, wl);
	}
	close(fd);
	return ok;
}

static bool h_vring_num(struct vt *t, struct vuf *v, int64_t sid, char *why, size_t wl)
{
	static const uint32_t bad[] = {0, 3, 65536, 0x80000000};

	for (unsigned int i = 0; i < 4; i++) {
		uint32_t s[2] = {1, bad[i]};

		if (!h_msg_refused(v, VUF_SET_VRING_NUM, s, 8, NULL, 0, why, wl))
			return false;
		if (!vuf_alive(v))
			return true;
	}
	return true;
}

static bool h_vring_addr(struct vt *t, struct vuf *v, int64_t sid, char *why, size_t wl)
{
	/* Queue 1 (not started by vufront here): ring addresses outside every
	 * region. Refusing at once is best; checking them when the queue
	 * starts (at SET_VRING_KICK) is right too, if nothing is touched. */
	uint8_t a[40] = {0};
	uint32_t idx = 1, s[2] = {1, 256};
	uint64_t addr[4] = {0x1000, 0x2000, 0x3000, 0}, u = 1, one = 1;
	int kfd, cfd;
	int64_t r;
	bool ok;

	if (vuf_call_ack(v, VUF_SET_VRING_NUM, s, 8, NULL, 0) != 0) {
		snprintf(why, wl, "SET_VRING_NUM 256 on queue 1 not accepted");
		return false;
	}
	memcpy(a, &idx, 4);
	memcpy(a + 8, addr, 32);
	r = vuf_call_ack(v, VUF_SET_VRING_ADDR, a, 40, NULL, 0);
	if (r != 0)
		return h_msg_refused_result(v, r, why, wl);
	kfd = eventfd(0, EFD_CLOEXEC);
	cfd = eventfd(0, EFD_CLOEXEC);
	s[1] = 0;
	vuf_call_ack(v, VUF_SET_VRING_BASE, s, 8, NULL, 0);
	vuf_call_ack(v, VUF_SET_VRING_CALL, &u, 8, &cfd, 1);
	r = vuf_call_ack(v, VUF_SET_VRING_KICK, &u, 8, &kfd, 1);
	if (write(kfd, &one, 8) != 8)
		r = -EIO;
	close(kfd);
	close(cfd);
	if (r != 0) {
		char w[100];

		ok = h_msg_refused_result(v, r, w, sizeof(w));
		snprintf(why, wl, "SET_VRING_ADDR accepted; SET_VRING_KICK then %s", w);
		return ok;
	}
	snprintf(why, wl,
		 "SET_VRING_ADDR and SET_VRING_KICK ACCEPTED with unmapped ring addresses%s",
		 vuf_alive(v) ? "" : " (then dropped)");
	return !vuf_alive(v);
}

static bool h_kick_nofd(struct vt *t, struct vuf *v, int64_t sid, char *why, size_t wl)
{
	uint64_t u = 1; /* queue 1, NOFD flag not set, no fd sent */

	return h_msg_refused(v, VUF_SET_VRING_KICK, &u, 8, NULL, 0, why, wl);
}

static bool h_call_fds(struct vt *t, struct vuf *v, int64_t sid, char *why, size_t wl)
{
	uint64_t u = 1;
	int fds[3];
	bool ok;

	for (int i = 0; i < 3; i++)
		fds[i] = eventfd(0, EFD_CLOEXEC);
	ok = h_msg_refused(v, VUF_SET_VRING_CALL, &u, 8, fds, 3, why, wl);
	for (int i = 0; i < 3; i++)
		close(fds[i]);
	return ok;
}

static bool h_fds_unasked(struct vt *t, struct vuf *v, int64_t sid, char *why, size_t wl)
{
	int fds[4];
	uint32_t rq, fl, sz;
	uint64_t val = 0;
	int r;

	/* GET_FEATURES carrying 4 fds: answer (and close them) or drop. */
	for (int i = 0; i < 4; i++)
		fds[i] = eventfd(0, EFD_CLOEXEC);
	r = vuf_send(v, VUF_GET_FEATURES, VUF_F_VERSION, NULL, 0, fds, 4);
	for (int i = 0; i < 4; i++)
		close(fds[i]);
	if (r)
		return false;
	r = vuf_recv(v, &rq, &fl, &val, sizeof(val), &sz);
	snprintf(why, wl, r == 0 ? "answered" : "%s", strerror(-r));
	return r == 0 || r == -ECONNRESET;
}

static bool h_session_short(struct vt *t, struct vuf *v, int64_t sid, char *why, size_t wl)
{
	uint8_t buf[1100] = {0};
	uint32_t rq, fl, sz;
	int r;

	/* 100 bytes: neither layout. Drop, or a reply that says failure. */
	if (vuf_send(v, VUF_CREATE_CRYPTO_SESSION, VUF_F_VERSION, buf, 100, NULL, 0))
		return false;
	r = vuf_recv(v, &rq, &fl, buf, sizeof(buf), &sz);
	if (r == -ECONNRESET) {
		snprintf(why, wl, "connection dropped");
		return true;
	}
	if (r) {
		snprintf(why, wl, "%s", strerror(-r));
		return false;
	}
	{
		int64_t s = -1;

		if (sz >= 8)
			memcpy(&s, buf + (sz == VUF_SESS_1072 ? 1064 : 0), 8);
		snprintf(why, wl, "reply of %u bytes, session id %lld", sz, (long long)s);
		return s < 0 && vuf_alive(v);
	}
}

static bool h_close_short(struct vt *t, struct vuf *v, int64_t sid, char *why, size_t wl)
{
	uint32_t x = (uint32_t)sid;

	/* 4-byte close: refused or dropped; the session must not be closed
	 * by accident either. */
	return h_msg_refused(v, VUF_CLOSE_CRYPTO_SESSION, &x, 4, NULL, 0, why, wl);
}

static bool h_half_message(struct vt *t, struct vuf *v, int64_t sid, char *why, size_t wl)
{
	uint8_t buf[12 + 50] = {0};
	uint32_t h[3] = {VUF_SET_MEM_TABLE, VUF_F_VERSION, 8 + 32 * 2};

	memcpy(buf, h, 12);
	snprintf(why, wl, "half a SET_MEM_TABLE, then gone");
	return vuf_send_raw(v, buf, sizeof(buf), NULL, 0) == 0;
}

static bool h_half_header(struct vt *t, struct vuf *v, int64_t sid, char *why, size_t wl)
{
	uint8_t buf[6] = {VUF_GET_FEATURES};

	snprintf(why, wl, "6 bytes of a header, then gone");
	return vuf_send_raw(v, buf, sizeof(buf), NULL, 0) == 0;
}

static bool h_mem_replace(struct vt *t, struct vuf *v, int64_t sid, char *why, size_t wl)
{
	/* QEMU sends SET_MEM_TABLE again when guest memory changes: the same
	 * table with fresh fds must keep the rings working. */
	uint8_t key[16];
	struct vuf_job j[4];
	int64_t s2, r;
	bool ok = true;

	r = h_mem_table(v, NULL, -1);
	if (r) {
		snprintf(why, wl, "second SET_MEM_TABLE refused (%lld)", (long long)r);
		return false;
	}
	vuf_rand_bytes(v, key, 16);
	s2 = vt_cipher_session(v, VUF_SESS_632, VIRTIO_CRYPTO_CIPHER_AES_CBC, key, 16, 1);
	for (int i = 0; i < 4; i++)
		vt_cipher_job(v, &j[i], s2, VIRTIO_CRYPTO_CIPHER_AES_CBC, key, 16, 1, 1024, 0);
	r = vuf_run_jobs(v, 1, j, 4, 4);
	for (int i = 0; i < 4; i++) {
		ok &= r == 0 && vuf_job_pass(&j[i]);
		vuf_job_free(&j[i]);
	}
	snprintf(why, wl, "requests after the new table: %s", ok ? "correct" : "FAILED");
	return ok;
}

static bool h_span_regions(struct vt *t, struct vuf *v, int64_t sid, char *why, size_t wl)
{
	/* Regions 0, 1 and 2 made adjacent in guest-physical space (a new
	 * SET_MEM_TABLE, as after memory hotplug): a buffer may then run from
	 * one region into the next, and must be read and written as one. */
	uint32_t n = v->nregions, len = 4096;
	uint8_t key[16], src[4096], expect[4096], got[4096], hdr[VUF_HDR_LEN + 16];
	uint64_t b01, b12, hg, sg, dg, stg;
	struct vring_desc d[4];
	uint32_t ul = 0;
	int64_t r, s2;
	enum h_out o;

	if (n < 4) {
		snprintf(why, wl, "needs 4 regions");
		return false;
	}
	v->r[1].gpa = v->r[0].gpa + v->r[0].size;
	v->r[2].gpa = v->r[1].gpa + v->r[1].size;
	r = h_mem_table(v, NULL, -1);
	if (r) {
		snprintf(why, wl, "table with adjacent regions refused (%lld)", (long long)r);
		return false;
	}
	vuf_rand_bytes(v, key, sizeof(key));
	s2 = vt_cipher_session(v, VUF_SESS_632, VIRTIO_CRYPTO_CIPHER_AES_CBC, key, 16, 1);
	vuf_rand_bytes(v, src, len);
	vuf_rand_bytes(v, hdr + VUF_HDR_LEN, 16);
	vuf_hdr_cipher(hdr, VIRTIO_CRYPTO_CIPHER_ENCRYPT, (uint64_t)s2, 16, len, len);
	vuf_ref_cipher(VIRTIO_CRYPTO_CIPHER_AES_CBC, key, 16, hdr + VUF_HDR_LEN, 1, src, len,
		       expect);
	b01 = v->r[1].gpa;
	b12 = v->r[2].gpa;
	sg = b01 - 1037; /* src runs from region 0 into region 1 */
	dg = b12 - 77; /* dst runs from region 1 into region 2 */
	hg = vuf_alloc(v, 3, sizeof(hdr), 8);
	stg = vuf_alloc(v, 3, 1, 1);
	memcpy(vuf_gpa(v, hg, sizeof(hdr)), hdr, sizeof(hdr));
	memcpy(vuf_gpa(v, sg, 1037), src, 1037);
	memcpy(vuf_gpa(v, b01, len - 1037), src + 1037, len - 1037);
	memset(vuf_gpa(v, dg, 77), 0xee, 77);
	memset(vuf_gpa(v, b12, len - 77), 0xee, len - 77);
	*(uint8_t *)vuf_gpa(v, stg, 1) = 0xee;
	d[0] = h_d(hg, sizeof(hdr), VRING_DESC_F_NEXT, 1);
	d[1] = h_d(sg, len, VRING_DESC_F_NEXT, 2);
	d[2] = h_d(dg, len, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 3);
	d[3] = h_d(stg, 1, VRING_DESC_F_WRITE, 0);
	o = h_run(v, d, 4, 0, 0, &ul);
	memcpy(got, vuf_gpa(v, dg, 77), 77);
	memcpy(got + 77, vuf_gpa(v, b12, len - 77), len - 77);
	if (o != H_DONE || h_status(v, stg) != VIRTIO_CRYPTO_OK || memcmp(got, expect, len)) {
		snprintf(why, wl, "%s, status 0x%02x, data %s", h_out_name(o), h_status(v, stg),
			 memcmp(got, expect, len) ? "WRONG" : "right");
		return false;
	}
	snprintf(why, wl, "src and dst crossing region boundaries: right result");
	return true;
}

struct h_flip {
	struct vring_desc *t; /* indirect table being changed under the daemon */
	struct vring_desc good[4];
	uint64_t hole;
	volatile bool stop;
};

static void *h_flipper(void *arg)
{
	struct h_flip *f = arg;
	unsigned int k = 0;

	/* Mostly changes that keep the chain valid but change its meaning
	 * (lengths, buffers), now and then one that breaks it. */
	while (!f->stop) {
		struct vring_desc *d = &f->t[1 + k % 3];

		switch (k++ % 67) {
		case 0:
			__atomic_store_n(&d->len, 0xffffffffu, __ATOMIC_RELAXED);
			break;
		case 1:
			__atomic_store_n(&d->addr, f->hole, __ATOMIC_RELAXED);
			break;
		default:
			if (k & 1) {
				__atomic_store_n(&d->len, (uint32_t)(1 + k % 2000),
						 __ATOMIC_RELAXED);
				__atomic_store_n(&d->addr, f->good[1 + k % 3].addr + k % 64,
						 __ATOMIC_RELAXED);
			} else {
				memcpy(f->t, f->good, sizeof(f->good));
			}
		}
	}
	return NULL;
}

static bool h_desc_flip(struct vt *t, struct vuf *v, int64_t sid, char *why, size_t wl)
{
	/* The guest rewrites the indirect table while the daemon walks it:
	 * every answer must be a status or a dropped connection, never a
	 * crash or a write outside guest memory. */
	struct h_flip f = {0};
	struct h_req r;
	struct vring_desc ind;
	uint64_t tg = vuf_alloc(v, 0, 4 * 16, 16);
	unsigned int answered = 0, rounds = 0;
	pthread_t th;
	long t0 = time(NULL);
	enum h_out o = H_DONE;

	h_req_make(v, &r, sid, 1024);
	h_req_descs(&r, f.good, 0);
	for (int i = 0; i < 3; i++)
		f.good[i].next = (uint16_t)(i + 1);
	f.t = vuf_gpa(v, tg, 4 * 16);
	f.hole = vuf_gpa_hole(v);
	memcpy(f.t, f.good, sizeof(f.good));
	ind = h_d(tg, 4 * 16, VRING_DESC_F_INDIRECT, 0);
	pthread_create(&th, NULL, h_flipper, &f);
	while (time(NULL) - t0 < 2 && o == H_DONE) {
		uint32_t len;
		uint16_t slot = (uint16_t)(rounds % v->vq[0].num);

		o = h_run(v, &ind, 1, slot, slot, &len);
		answered += o == H_DONE;
		rounds++;
	}
	f.stop = true;
	pthread_join(th, NULL);
	snprintf(why, wl, "%u requests answered, then %s", answered,
		 o == H_DONE ? "time was up" : h_out_name(o));
	return o == H_DONE || o == H_DROP;
}

static bool h_msg_random(struct vt *t, struct vuf *v, int64_t sid, char *why, size_t wl)
{
	/* Random vhost-user messages (type, flags, size, bytes, attached fds),
	 * half of the time on a connection whose queue is running with
	 * requests in flight: each connection is dropped or survives; the
	 * daemon must live through all of them. */
	static const uint32_t sizes[] = {0, 4, 8, 12, 40, 72, 264, 632, 1072, 4096};
	long t0 = time(NULL);
	unsigned int conns = 0, msgs = 0, dropped = 0;
	uint8_t key[16];

	vuf_rand_bytes(v, key, sizeof(key));
	/* The daemon serves one frontend at a time: let this one go first. */
	close(v->sock);
	v->sock = -1;
	while (time(NULL) - t0 < 2 && vt_daemon_alive(t)) {
		struct vuf *w = vuf_connect(t->sock, v->timeout_ms);
		bool setup = vuf_rand(v) & 1;

		if (!w)
			break;
		w->rng = vuf_rand(v) | 1;
		w->timeout_ms = 200;
		conns++;
		if (setup) {
			struct vuf_opts o = {.nqueues = 1, .qsize = 64, .region_size = 1 << 20};
			int64_t s;

			if (vuf_setup(w, &o) == 0) {
				s = vt_cipher_session(w, VUF_SESS_632, VIRTIO_CRYPTO_CIPHER_AES_CBC,
						      key, 16, 1);
				for (int i = 0; i < 8; i++) {
					struct vuf_job j;

					if (vt_cipher_job(w, &j, s, VIRTIO_CRYPTO_CIPHER_AES_CBC,
							  key, 16, 1, 256, 0) == 0 &&
					    vuf_place(w, &j.chain, j.out, j.out_len, j.in_len,
						      &j.po) == 0)
						vuf_submit(&w->vq[0], &j.chain, (void *)1);
					vuf_job_free(&j);
				}
				vuf_kick(&w->vq[0], true);
			}
		}
		for (int k = 0; k < 40 && vuf_alive(w); k++) {
			uint8_t p[4096];
			uint32_t req = (uint32_t)(vuf_rand(w) % 42), size, flags;
			int fds[4], nfds = (int)(vuf_rand(w) % 4);

			size = sizes[vuf_rand(w) % 10];
			flags = (vuf_rand(w) & 3) ? (VUF_F_VERSION | VUF_F_NEED_REPLY)
						  : (uint32_t)vuf_rand(w);
			vuf_rand_bytes(w, p, size);
			if (size >= 4 && (vuf_rand(w) & 1))
				memset(p, 0, 4); /* queue 0 / small counts more often */
			if (vuf_rand(w) % 4) {
				/* Mostly well-formed: a known request with its own size
				 * and fd count, random but plausible contents. */
				static const uint32_t kn[] = {2,  3,  5,  8,  9,  10, 11,
							      12, 13, 14, 16, 18, 26, 27};
				uint32_t small[2] = {(uint32_t)(vuf_rand(w) % 3), 0};
				static const uint32_t nums[] = {0, 1, 2, 64, 256, 1024, 3, 65535};

				req = kn[vuf_rand(w) % 14];
				flags = VUF_F_VERSION | VUF_F_NEED_REPLY;
				nfds = 0;
				small[1] = nums[vuf_rand(w) % 8];
				switch (req) {
				case VUF_SET_MEM_TABLE: {
					uint32_t n = (uint32_t)(vuf_rand(w) % 4);

					size = 8 + 32 * n;
					memcpy(p, &n, 4);
					for (uint32_t i = 0; i < n; i++) {
						uint64_t f[4] = {0x100000ULL * (vuf_rand(w) % 64),
								 0x10000,
								 0x7f0000000000ULL + i * 0x100000,
								 (vuf_rand(w) & 1) ? 0 : 0x1000};

						memcpy(p + 8 + 32 * i, f, 32);
						fds[nfds] =
							memfd_create("vufront-rnd", MFD_CLOEXEC);
						if (ftruncate(fds[nfds],
							      0x10000 + (vuf_rand(w) & 1) * 0x1000))
							break;
						nfds++;
					}
					break;
				}
				case VUF_SET_VRING_NUM:
				case VUF_SET_VRING_BASE:
				case VUF_GET_VRING_BASE:
				case VUF_SET_VRING_ENABLE:
					size = 8;
					memcpy(p, small, 8);
					break;
				case VUF_SET_VRING_ADDR: {
					uint64_t a[4] = {w->r[0].uaddr + (vuf_rand(w) % 64) * 16,
							 w->r[0].uaddr + 0x8000,
							 w->r[0].uaddr + 0x4000, 0};

					size = 40;
					memset(p, 0, 8);
					memcpy(p, small, 4);
					memcpy(p + 8, a, 32);
					break;
				}
				case VUF_SET_VRING_KICK:
				case VUF_SET_VRING_CALL:
				case VUF_SET_VRING_ERR:
					size = 8;
					memset(p, 0, 8);
					p[0] = (uint8_t)small[0];
					fds[nfds++] = eventfd(0, EFD_CLOEXEC);
					break;
				case VUF_CREATE_CRYPTO_SESSION:
					size = (vuf_rand(w) & 1) ? VUF_SESS_632 : VUF_SESS_1072;
					for (uint32_t i = 8; i < 40; i += 4) {
						uint32_t x = (uint32_t)(vuf_rand(w) % 70);

						memcpy(p + i, &x, 4);
					}
					break;
				case VUF_SET_OWNER:
					size = 0;
					break;
				default:
					size = 8;
				}
			} else {
				for (int i = 0; i < nfds; i++)
					fds[i] = eventfd(0, EFD_CLOEXEC);
			}
			vuf_send(w, req, flags, p, size, fds, nfds);
			for (int i = 0; i < nfds; i++)
				close(fds[i]);
			msgs++;
			/* take whatever answer comes, without waiting long */
			{
				struct pollfd pf = {.fd = w->sock, .events = POLLIN};
				uint8_t rb[2048];

				while (poll(&pf, 1, 5) > 0 && recv(w->sock, rb, sizeof(rb), 0) > 0)
					;
			}
		}
		dropped += !vuf_alive(w);
		vuf_free(w);
	}
	snprintf(why, wl, "%u connections, %u random messages, %u connections dropped", conns, msgs,
		 dropped);
	return vt_daemon_alive(t) && conns > 0;
}

static uint32_t h_rnd_len(struct vuf *w)
{
	static const uint32_t edge[] = {0,  1,	  15,	      16,	  17,
					64, 4096, 0x7fffffff, 0xfffffff0, 0xffffffff};

	return (vuf_rand(w) & 3) ? (uint32_t)(vuf_rand(w) % 600) : edge[vuf_rand(w) % 10];
}

static bool h_req_random(struct vt *t, struct vuf *v, int64_t sid, char *why, size_t wl)
{
	/* Random data requests: header fields, opcodes, sessions, lengths and
	 * chain shapes. Each answer must be a valid status with the readable
	 * buffers untouched; a dropped connection is allowed (then the next
	 * one is opened); the daemon must live. */
	static const uint32_t ops[] = {VIRTIO_CRYPTO_CIPHER_ENCRYPT, VIRTIO_CRYPTO_CIPHER_DECRYPT,
				       VIRTIO_CRYPTO_HASH,	     VIRTIO_CRYPTO_MAC,
				       VIRTIO_CRYPTO_AEAD_ENCRYPT,   VIRTIO_CRYPTO_AKCIPHER_ENCRYPT,
				       VIRTIO_CRYPTO_AKCIPHER_SIGN,  VIRTIO_CRYPTO_AKCIPHER_VERIFY};
	long t0 = time(NULL);
	unsigned int conns = 0, answered = 0, bad_status = 0, ro_written = 0, drops = 0;
	uint8_t key[32], akey[32];

	vuf_rand_bytes(v, key, sizeof(key));
	vuf_rand_bytes(v, akey, sizeof(akey));
	close(v->sock); /* one frontend at a time: this case opens its own */
	v->sock = -1;
	while (time(NULL) - t0 < 2 && vt_daemon_alive(t)) {
		struct vuf *w = vt_open(t, 1);
		int64_t sids[3];

		if (!w)
			break;
		conns++;
		sids[0] = vt_cipher_session(w, VUF_SESS_632, VIRTIO_CRYPTO_CIPHER_AES_CBC, key, 16,
					    1);
		sids[1] = vt_chain_session(w, VUF_SESS_1072, VIRTIO_CRYPTO_CIPHER_AES_CTR, key, 32,
					   0, VIRTIO_CRYPTO_MAC_HMAC_SHA_256, akey, 32, 16,
					   VIRTIO_CRYPTO_SYM_ALG_CHAIN_ORDER_HASH_THEN_CIPHER);
		sids[2] = vt_chain_session(w, VUF_SESS_632, VIRTIO_CRYPTO_NO_CIPHER, NULL, 0, 1,
					   VIRTIO_CRYPTO_MAC_HMAC_SHA1, akey, 20, 20,
					   VIRTIO_CRYPTO_SYM_ALG_CHAIN_ORDER_CIPHER_THEN_HASH);
		while (time(NULL) - t0 < 2 && vuf_alive(w)) {
			struct vuf_job j;
			uint32_t f[10], dlen = (uint32_t)(vuf_rand(w) % 700) + 1;
			size_t extra = vuf_rand(w) % 700;
			void *ck;
			uint32_t len;
			int r;

			memset(&j, 0, sizeof(j));
			j.out_len = VUF_HDR_LEN + extra;
			j.out = malloc(j.out_len);
			vuf_rand_bytes(w, j.out, j.out_len);
			for (int i = 0; i < 10; i++)
				f[i] = h_rnd_len(w);
			{
				struct virtio_crypto_op_data_req h;
				uint32_t op = (vuf_rand(w) % 9) ? ops[vuf_rand(w) % 8]
								: (uint32_t)vuf_rand(w);
				uint64_t s = (vuf_rand(w) % 8) ? (uint64_t)sids[vuf_rand(w) % 3]
							       : vuf_rand(w);

				memset(&h, 0, sizeof(h));
				h.header.opcode = op;
				h.header.session_id = s;
				h.u.sym_req.op_type =
					(uint32_t)((vuf_rand(w) % 6) ? 1 + vuf_rand(w) % 2
								     : vuf_rand(w) % 5);
				memcpy(&h.u.sym_req.u.chain.para, f, sizeof(f));
				memcpy(j.out, &h, sizeof(h));
			}
			j.in_len = dlen;
			j.ok_status = 0x7f; /* any valid status */
			j.data_status = 0xff;
			vt_job_place_random(w, &j);
			if (vuf_place(w, &j.chain, j.out, j.out_len, j.in_len, &j.po) ||
			    vuf_submit(&w->vq[0], &j.chain, &j)) {
				vuf_job_free(&j);
				vuf_mem_reset(w);
				continue;
			}
			vuf_kick(&w->vq[0], true);
			r = vuf_wait(&w->vq[0], w->timeout_ms, &ck, &len);
			if (r == 1) {
				size_t off = 0;
				uint8_t st;

				answered++;
				j.in = malloc(j.in_len);
				vuf_gather(w, &j.chain, j.in);
				st = j.in[j.in_len - 1];
				bad_status += st > VIRTIO_CRYPTO_KEY_REJECTED;
				for (unsigned int i = 0; i < j.chain.nseg; i++) {
					const struct vuf_seg *sg = &j.chain.seg[i];

					if (!sg->write && memcmp(vuf_gpa(w, sg->gpa, sg->len),
								 j.out + off, sg->len))
						ro_written++;
					off += sg->write ? 0 : sg->len;
				}
			} else {
				drops += r == -ECONNRESET;
			}
			vuf_job_free(&j);
			vuf_mem_reset(w);
			if (r != 1)
				break;
		}
		vuf_free(w);
	}
	snprintf(why, wl,
		 "%u connections, %u random requests answered (%u with an invalid status, %u "
		 "wrote into readable buffers), %u drops",
		 conns, answered, bad_status, ro_written, drops);
	return vt_daemon_alive(t) && answered > 0 && !bad_status && !ro_written;
}

static bool h_half_stall(struct vt *t, struct vuf *v, int64_t sid, char *why, size_t wl)
{
	/* Half a message, then silence with the socket open: the daemon must
	 * not wait forever (it would hold off every later frontend and its
	 * own SIGTERM); it drops the connection after its timeout. */
	uint8_t buf[12 + 20] = {0};
	uint32_t h[3] = {VUF_SET_MEM_TABLE, VUF_F_VERSION, 8 + 32 * 2};
	long t0 = time(NULL);

	memcpy(buf, h, 12);
	if (vuf_send_raw(v, buf, sizeof(buf), NULL, 0))
		return false;
	while (vuf_alive(v) && time(NULL) - t0 < 15)
		usleep(20000);
	snprintf(why, wl, "%s after %ld s", vuf_alive(v) ? "connection STILL OPEN" : "dropped",
		 time(NULL) - t0);
	return !vuf_alive(v);
}

/* ---- one valid request with a few fields changed ---- */

/*
 * Changes to the 4 descriptors h_req_descs() lays out at slots 0..3: header,
 * iv||src, dst (writable), status (writable).
 */
static void h_e_loop(struct vuf *v, struct vring_desc *d)
{
	d[1].next = 0; /* 0 -> 1 -> 0 -> ... */
}

static void h_e_loop_writable(struct vuf *v, struct vring_desc *d)
{
	d[3].flags |= VRING_DESC_F_NEXT;
	d[3].next = 2; /* ... 2 -> 3 -> 2 -> 3 (writable loop) */
}

static void h_e_next_range(struct vuf *v, struct vring_desc *d)
{
	d[1].next = 5000; /* queue has 1024 entries */
}

static void h_e_addr_hole(struct vuf *v, struct vring_desc *d)
{
	d[1].addr = vuf_gpa_hole(v);
}

static void h_e_addr_zero(struct vuf *v, struct vring_desc *d)
{
	d[2].addr = 0; /* writable dst at guest address 0: no region there */
}

static void h_e_addr_straddle(struct vuf *v, struct vring_desc *d)
{
	/* src starts 16 bytes before the end of region 2 and runs past it */
	d[1].addr = v->r[2].gpa + v->r[2].size - 16;
}

static void h_e_addr_wrap(struct vuf *v, struct vring_desc *d)
{
	d[1].addr = 0xfffffffffffff000ULL; /* addr + len wraps to region 0 */
	d[1].len = 0x1000 + (uint32_t)v->r[0].gpa + 0x100;
}

static void h_e_len_huge(struct vuf *v, struct vring_desc *d)
{
	d[2].len = 0xffffffff; /* writable dst of 4 GiB from a valid address */
}

static void h_e_wrong_dir(struct vuf *v, struct vring_desc *d)
{
	struct vring_desc src = d[1];

	/* header, dst (writable), then src (readable) after it, then status */
	d[1] = d[2];
	d[1].next = 2;
	d[2] = src;
	d[2].next = 3;
}

static void h_e_all_writable(struct vuf *v, struct vring_desc *d)
{
	d[0].flags |= VRING_DESC_F_WRITE; /* the header in a writable buffer */
	d[1].flags |= VRING_DESC_F_WRITE;
}

static void h_e_no_status(struct vuf *v, struct vring_desc *d)
{
	d[1].flags = 0; /* only header and src: nowhere to write a status */
}

static void h_e_truncated(struct vuf *v, struct vring_desc *d)
{
	/* a 40-byte header and the status byte: nothing else readable */
	d[0].len = 40;
	d[1] = d[3];
}

/* A 32-bit field of the request header (H_OPCODE ...) set to a value. */
struct h_set {
	uint8_t off;
	uint32_t val;
};

/*
 * A case is a function of its own (fn), or one valid AES-CBC encrypt request
 * of 64 bytes with header fields set (set[0..nset)) or its descriptors
 * changed (edit; then the first ndesc of them are published, 0: all 4). It
 * must be answered with a status in `expect` or dropped; expect 0: any answer
 * or a drop.
 */
struct h_case {
	const char *name;
	const char *desc;
	h_case_fn fn;
	void (*edit)(struct vuf *v, struct vring_desc *d);
	unsigned int ndesc;
	struct h_set set[3];
	unsigned int nset;
	uint32_t expect;
};

static bool h_table_case(const struct h_case *c, struct vuf *v, int64_t sid, char *why, size_t wl)
{
	struct h_req r;
	struct vring_desc d[4];
	uint32_t len = 0;
	enum h_out o;

	h_req_make(v, &r, sid, 64);
	for (unsigned int i = 0; i < c->nset; i++)
		h_set32(&r, c->set[i].off, c->set[i].val);
	if (!c->edit)
		return h_hdr_case(v, &r, c->expect, why, wl);
	h_req_descs(&r, d, 0);
	c->edit(v, d);
	o = h_run(v, d, c->ndesc ? c->ndesc : 4, 0, 0, &len);
	if (!c->expect)
		return h_expect_any(o, len, why, wl);
	return h_expect(v, o, r.st, c->expect, why, wl);
}

static const struct h_case h_cases[] = {
	{"desc-loop", "descriptor loop 0->1->0", .edit = h_e_loop},
	{"desc-loop-writable", "descriptor loop among writable descriptors",
	 .edit = h_e_loop_writable},
	{"indirect-loop", "loop inside an indirect table", .fn = h_indirect_loop},
	{"indirect-nested", "indirect descriptor inside an indirect table",
	 .fn = h_indirect_nested},
	{"indirect-badlen", "indirect table of 61 and of 0 bytes", .fn = h_indirect_badlen},
	{"indirect-hole", "indirect table at an address in no region", .fn = h_indirect_hole},
	{"next-range", "next index 5000 on a 1024-entry ring", .edit = h_e_next_range},
	{"head-range", "avail ring names descriptor 4000", .fn = h_head_range},
	{"avail-jump", "avail idx 5000 ahead on a 1024-entry ring", .fn = h_avail_jump},
	{"addr-hole", "src at a guest address between regions", .edit = h_e_addr_hole,
	 .expect = BAD},
	{"addr-zero", "dst at guest address 0 (no region)", .edit = h_e_addr_zero, .expect = BAD},
	{"addr-straddle", "src running past the end of its region", .edit = h_e_addr_straddle,
	 .expect = BAD},
	{"addr-wrap", "addr + len wrapping past 2^64", .edit = h_e_addr_wrap, .expect = BAD},
	{"len-huge", "writable descriptor of 0xffffffff bytes", .edit = h_e_len_huge,
	 .expect = BAD},
	{"len-total", "600 readable descriptors of 8 MiB (4.7 GiB in all)", .fn = h_len_total},
	{"big-request", "72 MiB request in valid memory", .fn = h_big},
	{"wrong-direction", "readable descriptor after a writable one", .edit = h_e_wrong_dir,
	 .expect = BAD},
	{"all-writable", "header in a writable descriptor", .edit = h_e_all_writable,
	 .expect = BAD},
	{"no-status", "no writable byte for the status", .edit = h_e_no_status, .ndesc = 2},
	{"truncated-header", "40-byte request header", .edit = h_e_truncated, .ndesc = 2,
	 .expect = BAD},
	{"unknown-opcode", "opcode 0x777 answers NOTSUPP", .set = {{H_OPCODE, 0x0777}}, .nset = 1,
	 .expect = VUF_ST(VIRTIO_CRYPTO_NOTSUPP)},
	{"aead-opcode", "AEAD_ENCRYPT (no AEAD sessions) answers NOTSUPP",
	 .set = {{H_OPCODE, VIRTIO_CRYPTO_AEAD_ENCRYPT}}, .nset = 1,
	 .expect = VUF_ST(VIRTIO_CRYPTO_NOTSUPP)},
	{"never-created", "session id never created answers INVSESS", .fn = h_never_created},
	{"closed-session", "a closed session id answers INVSESS", .fn = h_closed_session},
	{"src-overflow", "iv_len + src_data_len wrapping 32 bits",
	 .set = {{H_IVLEN, 16}, {H_SRCLEN, 0xfffffff8}, {H_DSTLEN, 0xfffffff8}}, .nset = 3,
	 .expect = BAD},
	{"dst-too-long", "dst_data_len larger than the writable area",
	 .set = {{H_SRCLEN, 64}, {H_DSTLEN, 4096}}, .nset = 2, .expect = BAD},
	{"src-too-long", "src_data_len larger than the readable area",
	 .set = {{H_SRCLEN, 128}, {H_DSTLEN, 128}}, .nset = 2, .expect = BAD},
	{"partial-block", "AES-CBC of 63 bytes", .set = {{H_SRCLEN, 63}, {H_DSTLEN, 63}}, .nset = 2,
	 .expect = BAD},
	{"iv-length", "AES-CBC with an 8-byte iv", .set = {{H_IVLEN, 8}, {H_SRCLEN, 64}}, .nset = 2,
	 .expect = BAD},
	{"op-type", "chaining and unknown op_type on a cipher session", .fn = h_op_type},
	{"chain-ranges", "chaining offsets/lengths out of range, wrong hash_result_len",
	 .fn = h_chain_range},
	{"too-many-sessions", "twice --max-sessions sessions", .fn = h_many_sessions},
	{"close-busy", "session closed while 200 requests that use it are in flight",
	 .fn = h_close_busy},
	{"disconnect-busy", "frontend disconnects with 300 requests in flight",
	 .fn = h_disconnect_busy},
	{"msg-huge", "message header announcing 256 MiB", .fn = h_msg_huge},
	{"msg-badsize", "SET_VRING_NUM with 4 payload bytes", .fn = h_msg_badsize},
	{"msg-version", "message with version 2 in its flags", .fn = h_msg_version},
	{"msg-unknown", "unknown request 9999", .fn = h_msg_unknown},
	{"mem-no-fds", "SET_MEM_TABLE of 2 regions without fds", .fn = h_mem_nofd},
	{"mem-extra-fds", "SET_MEM_TABLE of 2 regions with 6 fds", .fn = h_mem_fds},
	{"mem-9-regions", "SET_MEM_TABLE of 9 regions", .fn = h_mem_nregions},
	{"mem-zero-size", "SET_MEM_TABLE region of size 0", .fn = h_mem_zero},
	{"mem-offset-wrap", "mmap_offset + size past 2^64", .fn = h_mem_offset},
	{"mem-replace", "SET_MEM_TABLE again while running (QEMU does)", .fn = h_mem_replace},
	{"span-regions", "buffers crossing adjacent regions (new table)", .fn = h_span_regions},
	{"desc-flip", "indirect table rewritten by the guest while in use", .fn = h_desc_flip},
	{"vring-index", "vring messages for queue 200, queue_num, 255, 77", .fn = h_vring_index},
	{"vring-num", "SET_VRING_NUM 0, 3, 65536, 2^31", .fn = h_vring_num},
	{"vring-addr", "SET_VRING_ADDR outside guest memory", .fn = h_vring_addr},
	{"kick-no-fd", "SET_VRING_KICK without fd or NOFD flag", .fn = h_kick_nofd},
	{"call-3-fds", "SET_VRING_CALL with 3 fds", .fn = h_call_fds},
	{"fds-unasked", "GET_FEATURES carrying 4 fds", .fn = h_fds_unasked},
	{"session-short", "CREATE_CRYPTO_SESSION of 100 bytes", .fn = h_session_short},
	{"close-short", "CLOSE_CRYPTO_SESSION of 4 bytes", .fn = h_close_short},
	{"half-message", "disconnect in the middle of a message", .fn = h_half_message},
	{"half-header", "disconnect in the middle of a header", .fn = h_half_header},
	{"half-stall", "half a message, then silence with the socket open", .fn = h_half_stall},
	{"msg-random", "random messages, also on running queues", .fn = h_msg_random},
	{"req-random", "random data requests: fields, sessions, lengths, splits",
	 .fn = h_req_random},
	/* last: a daemon that does not check this dies of SIGBUS */
	{"mem-short-fd", "region larger than its memfd", .fn = h_mem_short_fd},
};

int vt_suite_hostile(struct vt *t)
{
	int base = -1;

	for (size_t k = 0; k < sizeof(h_cases) / sizeof(h_cases[0]); k++) {
		const struct h_case *c = &h_cases[k];
		char why[200] = "", why2[200] = "";
		int after;
		struct vuf *v;
		uint8_t key[16];
		int64_t sid;
		bool ok;

		if (!vt_want(t, c->name))
			continue;
		if (base < 0)
			base = vt_fd_idle(t);
		v = vt_open(t, 1);
		if (!tap_ok(v != NULL, "%s: handshake", c->name)) {
			if (!vt_daemon_alive(t) || k == 0)
				return -1; /* nothing more to learn */
			continue;
		}
		vuf_rand_bytes(v, key, sizeof(key));
		sid = vt_cipher_session(v, VUF_SESS_632, VIRTIO_CRYPTO_CIPHER_AES_CBC, key, 16, 1);
		ok = c->fn ? c->fn(t, v, sid, why, sizeof(why))
			   : h_table_case(c, v, sid, why, sizeof(why));
		tap_ok(ok, "%s: %s: %s", c->name, c->desc, why);
		vuf_free(v);
		ok = vt_daemon_alive(t);
		tap_ok(ok && vt_serves(t, why2, sizeof(why2)),
		       "%s: daemon %s and serves the next connection%s%s", c->name,
		       ok ? "alive" : "DEAD", why2[0] ? ": " : "", why2);
		if (!ok)
			return -1;
		if (t->pid > 0) {
			after = vt_fd_settle(t, base);
			tap_ok(after == base, "%s: daemon's open fds back to %d (now %d)", c->name,
			       base, after);
		}
	}
	return 0;
}
