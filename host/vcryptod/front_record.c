// SPDX-License-Identifier: MIT
/*
 * The record of the connection: what the frontend set up through the
 * messages the worker handled successfully (features, owner, memory table
 * and its fds, ring sizes, addresses, bases and eventfds, sessions with
 * their keys), and how a new worker is given all of it again as messages.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "front_priv.h"

static void sess_forget(struct front *f, uint32_t i)
{
	explicit_bzero(f->sess[i], sizeof(*f->sess[i]));
	free(f->sess[i]);
	f->sess[i] = f->sess[--f->nsess];
}

/* Rings, memory table and journal go (RESET_OWNER, the end of a connection). */
void front_rings_reset(struct front *f)
{
	for (unsigned int i = 0; i < VCD_MAX_QUEUES; i++) {
		close_fd(&f->q[i].kick);
		close_fd(&f->q[i].call);
		close_fd(&f->q[i].err);
		f->q[i] = (struct front_queue){.kick = -1, .call = -1, .err = -1};
	}
	for (unsigned int i = 0; i < f->mem_nfds; i++)
		close_fd(&f->mem_fds[i]);
	f->mem_nfds = 0;
	f->mem_size = 0;
	f->owner = false;
	/* Nothing to resume; the counters stay. */
	memset(f->sh->rec, 0, sizeof(f->sh->rec));
	memset(f->sh->j, 0, sizeof(f->sh->j));
}

/* Everything of the connection goes, sessions and features too. */
void front_conn_reset(struct front *f)
{
	front_rings_reset(f);
	while (f->nsess)
		sess_forget(f, f->nsess - 1);
	f->features = f->pfeatures = 0;
	f->have_features = f->have_pfeatures = false;
}

/* SET_VRING_KICK/CALL/ERR: the queue keeps the fd (even when starting the ring failed). */
static void record_vring_fd(struct front *f, const struct vcd_vu_hdr *h, const uint8_t *p, int *fds,
			    unsigned int nfds)
{
	struct front_queue *q;
	uint64_t u64;
	bool nofd;
	int *slot;

	if (h->size != 8)
		return;
	memcpy(&u64, p, 8);
	nofd = u64 & VCD_VU_VRING_NOFD_MASK;
	if ((u64 & VCD_VU_VRING_IDX_MASK) >= f->c->queues || (nofd ? nfds : nfds != 1) ||
	    (u64 & ~(uint64_t)(VCD_VU_VRING_IDX_MASK | VCD_VU_VRING_NOFD_MASK)))
		return;
	q = &f->q[u64 & VCD_VU_VRING_IDX_MASK];
	slot = h->request == VCD_VU_SET_VRING_KICK   ? &q->kick
	       : h->request == VCD_VU_SET_VRING_CALL ? &q->call
						     : &q->err;
	close_fd(slot);
	if (!nofd) {
		*slot = fds[0];
		fds[0] = -1;
	}
}

static void record_mem_table(struct front *f, const struct vcd_vu_hdr *h, const uint8_t *p,
			     int *fds, unsigned int nfds)
{
	if (h->size > sizeof(f->mem))
		return;
	for (unsigned int i = 0; i < f->mem_nfds; i++)
		close_fd(&f->mem_fds[i]);
	memcpy(f->mem, p, h->size);
	f->mem_size = h->size;
	for (unsigned int i = 0; i < nfds; i++) {
		f->mem_fds[i] = fds[i];
		fds[i] = -1;
	}
	f->mem_nfds = nfds;
}

/* SET_VRING_NUM/BASE/ENABLE and GET_VRING_BASE (whose reply stops the ring). */
static void record_vring_state(struct front *f, const struct vcd_vu_hdr *h, const uint8_t *p,
			       const uint8_t *reply, uint32_t rlen)
{
	struct vcd_vu_vring_state st;
	struct front_queue *q;

	if (h->size != sizeof(st))
		return;
	memcpy(&st, p, sizeof(st));
	if (st.index >= f->c->queues)
		return;
	q = &f->q[st.index];
	if (h->request == VCD_VU_SET_VRING_NUM) {
		q->num = st.num;
		q->have_num = true;
	} else if (h->request == VCD_VU_SET_VRING_BASE) {
		q->base = st.num;
		q->have_base = true;
	} else if (h->request == VCD_VU_SET_VRING_ENABLE) {
		q->disabled = st.num == 0;
	} else if (rlen == sizeof(st)) { /* GET: the ring is stopped */
		memcpy(&st, reply, sizeof(st));
		q->base = st.num;
		q->have_base = true;
		close_fd(&q->kick);
	}
}

static void record_vring_addr(struct front *f, const struct vcd_vu_hdr *h, const uint8_t *p)
{
	struct vcd_vu_vring_addr a;

	if (h->size != sizeof(a))
		return;
	memcpy(&a, p, sizeof(a));
	if (a.index >= f->c->queues)
		return;
	f->q[a.index].addr = a;
	f->q[a.index].have_addr = true;
}

/* A session the worker created (its id in the reply) is kept to be replayed. */
static void record_session(struct front *f, const struct vcd_vu_hdr *h, const uint8_t *p,
			   const uint8_t *reply, uint32_t rlen)
{
	size_t off = h->size == sizeof(struct vcd_vu_session_632)
			     ? offsetof(struct vcd_vu_session_632, session_id)
			     : offsetof(struct vcd_vu_session_1072, session_id);
	struct front_sess *s;
	int64_t id;

	if (rlen != h->size || h->size > sizeof(s->payload))
		return;
	memcpy(&id, reply + off, sizeof(id));
	if (id <= 0 || f->nsess >= f->c->max_sessions)
		return;
	s = malloc(sizeof(*s));
	if (!s) {
		/* The session would not survive a restart: say so. */
		fprintf(stderr, "vcryptod: out of memory recording session %lld\n", (long long)id);
		return;
	}
	s->id = (uint64_t)id;
	s->size = h->size;
	memcpy(s->payload, p, h->size);
	f->sess[f->nsess++] = s;
}

static void record_session_close(struct front *f, const struct vcd_vu_hdr *h, const uint8_t *p)
{
	uint64_t id;

	if (h->size != 8)
		return;
	memcpy(&id, p, 8);
	for (uint32_t i = 0; i < f->nsess; i++)
		if (f->sess[i]->id == id) {
			sess_forget(f, i);
			return;
		}
}

/*
 * Records what a message the worker handled changed. fds the record keeps
 * are taken from fds[] (set to -1). raw: the worker's result; a message
 * that failed changes nothing but the ring fds the worker keeps anyway.
 */
void front_record(struct front *f, const struct vcd_vu_hdr *h, const uint8_t *p, int *fds,
		  unsigned int nfds, const uint8_t *reply, uint32_t rlen, int raw)
{
	switch (h->request) {
	case VCD_VU_SET_VRING_KICK:
	case VCD_VU_SET_VRING_CALL:
	case VCD_VU_SET_VRING_ERR:
		record_vring_fd(f, h, p, fds, nfds);
		return;
	default:
		break;
	}
	if (raw)
		return;
	switch (h->request) {
	case VCD_VU_SET_FEATURES:
		memcpy(&f->features, p, 8);
		f->have_features = true;
		break;
	case VCD_VU_SET_PROTOCOL_FEATURES:
		memcpy(&f->pfeatures, p, 8);
		f->have_pfeatures = true;
		break;
	case VCD_VU_SET_OWNER:
		f->owner = true;
		break;
	case VCD_VU_RESET_OWNER:
		/* Rings and memory go; sessions and features stay. */
		front_rings_reset(f);
		break;
	case VCD_VU_SET_MEM_TABLE:
		record_mem_table(f, h, p, fds, nfds);
		break;
	case VCD_VU_SET_VRING_NUM:
	case VCD_VU_SET_VRING_BASE:
	case VCD_VU_GET_VRING_BASE:
	case VCD_VU_SET_VRING_ENABLE:
		record_vring_state(f, h, p, reply, rlen);
		break;
	case VCD_VU_SET_VRING_ADDR:
		record_vring_addr(f, h, p);
		break;
	case VCD_VU_CREATE_CRYPTO_SESSION:
		record_session(f, h, p, reply, rlen);
		break;
	case VCD_VU_CLOSE_CRYPTO_SESSION:
		record_session_close(f, h, p);
		break;
	default:
		break;
	}
}

/* A message of the front's own; the worker's raw result (0: done). */
static int replay_one(struct front *f, uint32_t req, const void *payload, uint32_t size,
		      const int *fds, unsigned int nfds)
{
	struct vcd_vu_hdr h = {
		.request = req, .flags = VCD_VU_VERSION | VCD_VU_FLAG_FRONT, .size = size};
	uint8_t reply[VCD_VU_MAX_PAYLOAD];
	struct vcd_proxy_reply pr;
	uint32_t rlen;
	int ret = front_worker_call(f, &h, payload, fds, nfds, reply, &rlen, &pr);

	explicit_bzero(reply, sizeof(reply));
	if (ret)
		return ret;
	return pr.raw ? pr.raw : pr.ret;
}

static int replay_u64(struct front *f, uint32_t req, uint64_t v, const int *fds, unsigned int nfds)
{
	return replay_one(f, req, &v, sizeof(v), fds, nfds);
}

static int replay_state(struct front *f, uint32_t req, uint32_t index, uint32_t num)
{
	struct vcd_vu_vring_state st = {.index = index, .num = num};

	return replay_one(f, req, &st, sizeof(st), NULL, 0);
}

/*
 * Gives a new worker what the frontend had set up. Memory before rings,
 * sessions before the kicks that start the rings.
 */
int front_replay(struct front *f, unsigned int *nqueues)
{
	uint8_t buf[8 + sizeof(struct vcd_vu_session_1072)];
	int ret = 0;

	*nqueues = 0;
	if (f->have_pfeatures)
		ret = replay_u64(f, VCD_VU_SET_PROTOCOL_FEATURES, f->pfeatures, NULL, 0);
	if (!ret && f->have_features)
		ret = replay_u64(f, VCD_VU_SET_FEATURES, f->features, NULL, 0);
	if (!ret && f->owner)
		ret = replay_one(f, VCD_VU_SET_OWNER, NULL, 0, NULL, 0);
	if (!ret && f->mem_size)
		ret = replay_one(f, VCD_VU_SET_MEM_TABLE, f->mem, f->mem_size, f->mem_fds,
				 f->mem_nfds);
	for (unsigned int i = 0; !ret && i < f->c->queues; i++) {
		struct front_queue *q = &f->q[i];

		if (q->have_num)
			ret = replay_state(f, VCD_VU_SET_VRING_NUM, i, q->num);
		if (!ret && q->have_addr)
			ret = replay_one(f, VCD_VU_SET_VRING_ADDR, &q->addr, sizeof(q->addr), NULL,
					 0);
		if (!ret && q->have_base)
			ret = replay_state(f, VCD_VU_SET_VRING_BASE, i, q->base);
		if (!ret && q->call >= 0)
			ret = replay_u64(f, VCD_VU_SET_VRING_CALL, i, &q->call, 1);
		if (!ret && q->err >= 0)
			ret = replay_u64(f, VCD_VU_SET_VRING_ERR, i, &q->err, 1);
		if (!ret && q->disabled)
			ret = replay_state(f, VCD_VU_SET_VRING_ENABLE, i, 0);
	}
	for (uint32_t i = 0; !ret && i < f->nsess; i++) {
		struct front_sess *s = f->sess[i];
		int r;

		memcpy(buf, &s->id, 8);
		memcpy(buf + 8, s->payload, s->size);
		r = replay_one(f, VCD_PRIV_RESTORE_SESSION, buf, 8 + s->size, NULL, 0);
		explicit_bzero(buf, sizeof(buf));
		if (r == -EPIPE)
			ret = r;
		else if (r) /* the new binary refuses it: the guest gets INVSESS */
			fprintf(stderr, "vcryptod: session %llu not carried over: %s\n",
				(unsigned long long)s->id, strerror(-r));
	}
	for (unsigned int i = 0; !ret && i < f->c->queues; i++) {
		if (f->q[i].kick < 0)
			continue;
		ret = replay_u64(f, VCD_VU_SET_VRING_KICK, i, &f->q[i].kick, 1);
		(*nqueues)++;
	}
	return ret;
}
