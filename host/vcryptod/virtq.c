// SPDX-License-Identifier: MIT
/*
 * Split virtqueue as the Linux driver lays it out. The frontend's feature
 * negotiation is not reported to us by QEMU 7.2 (see DESIGN.md), so the ring
 * is always treated as VERSION_1 (little-endian) with indirect descriptors,
 * and avail_event is published after every batch.
 *
 * Notification suppression without knowing the driver's EVENT_IDX: a driver
 * with EVENT_IDX reads only avail_event / writes only used_event (its
 * avail->flags stay 0, spec 2.7.7.2); one without reads only used->flags /
 * writes only avail->flags. So kicks are suppressed by setting both of ours
 * (each driver ignores the other field), and an interrupt is sent when
 * either of the driver's fields asks for it: that is never a lost interrupt,
 * at the price of no suppression for an EVENT_IDX driver, whose flags (0)
 * always ask. When the frontend does report the negotiation (SET_FEATURES
 * with VERSION_1), exactly the negotiated mechanism is used.
 */
#include <errno.h>
#include <string.h>

#include "virtq.h"

#define le16(x) ((uint16_t)(x))
#define le32(x) ((uint32_t)(x))
#define le64(x) ((uint64_t)(x))

int vcd_vq_setup(struct vcd_vq *vq, const struct vcd_mem *m, unsigned int num, uint64_t desc_uva,
		 uint64_t avail_uva, uint64_t used_uva, uint16_t base)
{
	void *d, *a, *u;

	if (num == 0 || num > VCD_VQ_MAX_NUM || (num & (num - 1)))
		return -EINVAL;
	if ((desc_uva & 15) || (avail_uva & 1) || (used_uva & 3))
		return -EINVAL;
	d = vcd_mem_uva(m, desc_uva, 16ull * num);
	a = vcd_mem_uva(m, avail_uva, 6 + 2ull * num);
	u = vcd_mem_uva(m, used_uva, 6 + 8ull * num);
	if (!d || !a || !u)
		return -EFAULT;
	/* A region whose frontend and file offsets disagree mod 16 says so. */
	if (((uintptr_t)d & 15) || ((uintptr_t)a & 1) || ((uintptr_t)u & 3))
		return -EINVAL;
	vq->num = num;
	vq->desc = d;
	vq->avail = a;
	vq->used = u;
	vq->last_avail = base;
	vq->used_idx = base;
	vq->evidx = VCD_EVIDX_UNKNOWN;
	vq->kicks_off = false;
	vq->signalled_valid = false;
	vq->signalled_used = base;
	return 0;
}

static int add_segs(const struct vcd_mem *m, struct vcd_chain *c, uint64_t addr, uint32_t len,
		    bool writable)
{
	uint64_t *total = writable ? &c->out_len : &c->in_len;

	if (len == 0)
		return 0;
	if (*total + len > VCD_CHAIN_MAX_BYTES)
		return -E2BIG;
	*total += len;
	while (len) {
		uint64_t avail = 0;
		uint8_t *p = vcd_mem_gpa_span(m, addr, len, &avail);

		if (!p || avail == 0)
			return -EFAULT;
		if (c->nin + c->nout >= VCD_CHAIN_MAX_SEGS)
			return -E2BIG;
		c->segs[c->nin + c->nout] = (struct vcd_seg){p, (uint32_t)avail};
		if (writable)
			c->nout++;
		else
			c->nin++;
		addr += avail;
		len -= (uint32_t)avail;
	}
	return 0;
}

int vcd_chain_walk(const struct vcd_mem *m, const struct vring_desc *desc, unsigned int num,
		   uint16_t head, struct vcd_chain *c)
{
	const struct vring_desc *table = desc;
	unsigned int tnum = num, count = 0, i = head;
	bool indirect = false;
	int ret;

	c->head = head;
	c->nin = c->nout = 0;
	c->in_len = c->out_len = 0;
	if (i >= num)
		return -EINVAL;
	for (;;) {
		struct vring_desc d;
		uint16_t flags;

		memcpy(&d, (const void *)&table[i], sizeof(d));
		__atomic_signal_fence(__ATOMIC_SEQ_CST);
		flags = le16(d.flags);
		if (++count > tnum)
			return -ELOOP;
		if (flags & VRING_DESC_F_INDIRECT) {
			uint32_t len = le32(d.len);

			/* One indirect table, as the only descriptor (spec 2.7.5.3). */
			if (indirect || (flags & VRING_DESC_F_NEXT) || len == 0 ||
			    len % sizeof(struct vring_desc) ||
			    len / sizeof(struct vring_desc) > VCD_VQ_MAX_NUM)
				return -EINVAL;
			table = vcd_mem_gpa(m, le64(d.addr), len);
			if (!table)
				return -EFAULT;
			if ((uintptr_t)table % _Alignof(struct vring_desc))
				return -EINVAL;
			indirect = true;
			tnum = len / sizeof(struct vring_desc);
			count = 0;
			i = 0;
			continue;
		}
		if (!(flags & VRING_DESC_F_WRITE) && c->nout)
			return -EPROTO;
		ret = add_segs(m, c, le64(d.addr), le32(d.len), flags & VRING_DESC_F_WRITE);
		if (ret)
			return ret;
		if (!(flags & VRING_DESC_F_NEXT))
			return 0;
		i = le16(d.next);
		if (i >= tnum)
			return -EINVAL;
	}
}

int vcd_vq_pop(struct vcd_vq *vq, const struct vcd_mem *m, struct vcd_chain *c)
{
	uint16_t avail_idx, head;

	avail_idx = __atomic_load_n(&vq->avail->idx, __ATOMIC_ACQUIRE);
	if (avail_idx == vq->last_avail)
		return 0;
	if ((uint16_t)(avail_idx - vq->last_avail) > vq->num)
		return -EOVERFLOW;
	head = le16(__atomic_load_n(&vq->avail->ring[vq->last_avail % vq->num], __ATOMIC_RELAXED));
	vq->last_avail++;
	if (head >= vq->num)
		return -EINVAL;
	return vcd_chain_walk(m, vq->desc, vq->num, head, c) ?: 1;
}

void vcd_vq_push(struct vcd_vq *vq, uint16_t head, uint32_t len)
{
	struct vring_used_elem *e = &vq->used->ring[vq->used_idx % vq->num];

	e->id = head;
	e->len = len;
	vq->used_idx++;
}

/*
 * avail_event while kicks are off: half the index space ahead, so that
 * vring_need_event() in the driver stays false for any batch it can add
 * (at most num <= 32768 entries beyond what we consumed).
 */
#define KICKS_OFF_AHEAD 0x8000

static void put_avail_event(struct vcd_vq *vq)
{
	uint16_t *avail_event = (uint16_t *)&vq->used->ring[vq->num];
	uint16_t v = vq->last_avail + (vq->kicks_off ? KICKS_OFF_AHEAD : 0);

	__atomic_store_n(avail_event, v, __ATOMIC_RELAXED);
}

bool vcd_vq_publish(struct vcd_vq *vq)
{
	/* Before used->idx, so a driver that sees our entries sees it too. */
	put_avail_event(vq);
	__atomic_store_n(&vq->used->idx, vq->used_idx, __ATOMIC_RELEASE);
	/* The driver reads avail_event after publishing avail->idx. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return vcd_vq_pending(vq);
}

bool vcd_vq_need_signal(struct vcd_vq *vq)
{
	uint16_t old = vq->signalled_used, new = vq->used_idx;
	uint16_t flags = le16(__atomic_load_n(&vq->avail->flags, __ATOMIC_RELAXED));
	uint16_t used_event = le16(__atomic_load_n(&vq->avail->ring[vq->num], __ATOMIC_RELAXED));
	bool valid = vq->signalled_valid, by_flags, by_event;

	vq->signalled_used = new;
	vq->signalled_valid = true;
	by_flags = !(flags & VRING_AVAIL_F_NO_INTERRUPT);
	/* The first decision after a (re)start has no "old": interrupt. */
	by_event = !valid || vring_need_event(used_event, new, old);
	switch (vq->evidx) {
	case VCD_EVIDX_ON:
		return by_event;
	case VCD_EVIDX_OFF:
		return by_flags;
	default:
		return by_flags || by_event;
	}
}

bool vcd_vq_set_kicks(struct vcd_vq *vq, bool on)
{
	vq->kicks_off = !on;
	/* A driver with EVENT_IDX ignores flags; the spec wants them 0 then. */
	if (vq->evidx != VCD_EVIDX_ON)
		__atomic_store_n(&vq->used->flags, on ? 0 : VRING_USED_F_NO_NOTIFY,
				 __ATOMIC_RELAXED);
	put_avail_event(vq);
	if (!on)
		return false;
	/*
	 * The driver publishes avail->idx, then (full barrier) reads our
	 * fields. We wrote the fields, and now read avail->idx: one of us sees
	 * the other's write, so a request is either seen here or kicked.
	 */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return vcd_vq_pending(vq);
}

uint64_t vcd_chain_read(const struct vcd_chain *c, uint8_t *dst, uint64_t len)
{
	uint64_t done = 0;

	for (unsigned int i = 0; i < c->nin && done < len; i++) {
		uint64_t n = c->segs[i].len;

		if (n > len - done)
			n = len - done;
		memcpy(dst + done, c->segs[i].p, n);
		done += n;
	}
	return done;
}

uint64_t vcd_chain_write(const struct vcd_chain *c, const uint8_t *src, uint64_t len)
{
	uint64_t done = 0;

	for (unsigned int i = c->nin; i < c->nin + c->nout && done < len; i++) {
		uint64_t n = c->segs[i].len;

		if (n > len - done)
			n = len - done;
		memcpy(c->segs[i].p, src + done, n);
		done += n;
	}
	return done;
}

uint64_t vcd_chain_read_at(const struct vcd_chain *c, uint64_t off, void *dst, uint64_t len)
{
	uint8_t *d = dst;
	uint64_t done = 0;

	for (unsigned int i = 0; i < c->nin && done < len; i++) {
		uint64_t n = c->segs[i].len;

		if (off >= n) {
			off -= n;
			continue;
		}
		n -= off;
		if (n > len - done)
			n = len - done;
		memcpy(d + done, c->segs[i].p + off, n);
		done += n;
		off = 0;
	}
	return done;
}

uint8_t *vcd_chain_span(const struct vcd_chain *c, bool writable, uint64_t off, uint64_t len)
{
	unsigned int i = writable ? c->nin : 0, end = writable ? c->nin + c->nout : c->nin;

	if (len == 0)
		return NULL;
	for (; i < end; i++) {
		uint64_t n = c->segs[i].len;

		if (off >= n) {
			off -= n;
			continue;
		}
		return len <= n - off ? c->segs[i].p + off : NULL;
	}
	return NULL;
}
