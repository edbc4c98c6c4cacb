/* SPDX-License-Identifier: MIT */
/* Split virtqueue in guest memory: descriptor-chain walking, used ring. */
#ifndef VCD_VIRTQ_H
#define VCD_VIRTQ_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/virtio_ring.h>

#include "guest_mem.h"

#define VCD_VQ_MAX_NUM 32768
/* Segments per request (a descriptor crossing regions adds one). */
#define VCD_CHAIN_MAX_SEGS 2048
/* Bytes per direction in one request. */
#define VCD_CHAIN_MAX_BYTES (64u << 20)

struct vcd_seg {
	uint8_t *p;
	uint32_t len;
};

/* One request: segs[0..nin) device-readable, segs[nin..nin+nout) writable. */
struct vcd_chain {
	uint16_t head;
	unsigned int nin, nout;
	uint64_t in_len, out_len;
	struct vcd_seg segs[VCD_CHAIN_MAX_SEGS];
};

/*
 * What the driver negotiated for RING_EVENT_IDX. QEMU's cryptodev-vhost-user
 * does not pass the guest's features in SET_FEATURES (DESIGN.md), so it is
 * usually unknown and both suppression mechanisms are served (virtq.c).
 */
enum vcd_evidx {
	VCD_EVIDX_UNKNOWN,
	VCD_EVIDX_ON,
	VCD_EVIDX_OFF,
};

struct vcd_vq {
	uint16_t num;
	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;
	uint16_t last_avail; /* next avail entry we consume */
	uint16_t used_idx; /* next used entry we fill */
	enum vcd_evidx evidx;
	bool kicks_off; /* we are polling: the driver is told not to kick */
	bool signalled_valid; /* signalled_used holds a decision */
	uint16_t signalled_used; /* used_idx at the last interrupt decision */
};

/* Translates and checks the ring addresses (frontend virtual addresses). */
int vcd_vq_setup(struct vcd_vq *vq, const struct vcd_mem *m, unsigned int num, uint64_t desc_uva,
		 uint64_t avail_uva, uint64_t used_uva, uint16_t base);

/*
 * Walks the chain starting at head in the descriptor table desc[num] (guest
 * memory; every descriptor is copied once before use). Fails with -ELOOP for
 * loops or over-long chains, -EFAULT for addresses outside the memory table,
 * -EINVAL for a bad next index or indirect table, -EPROTO for a readable
 * descriptor after a writable one, -E2BIG for too many bytes or segments.
 */
int vcd_chain_walk(const struct vcd_mem *m, const struct vring_desc *desc, unsigned int num,
		   uint16_t head, struct vcd_chain *c);

/*
 * Takes the next available request: 1 and *c filled, 0 when the ring is
 * empty, negative errno when the ring itself is broken (the caller drops the
 * connection).
 */
int vcd_vq_pop(struct vcd_vq *vq, const struct vcd_mem *m, struct vcd_chain *c);
/* Puts head on the used ring (not yet visible to the guest). */
void vcd_vq_push(struct vcd_vq *vq, uint16_t head, uint32_t len);
/*
 * Makes pushed entries visible, publishes avail_event (at last_avail, or far
 * ahead while kicks are off), and tells whether more requests arrived
 * meanwhile (then the caller polls again).
 */
bool vcd_vq_publish(struct vcd_vq *vq);
/*
 * Whether the driver wants an interrupt for what was published since the
 * last decision (call right after vcd_vq_publish, which orders the loads).
 * Honours used_event (vring_need_event) and VRING_AVAIL_F_NO_INTERRUPT; when
 * the negotiation is unknown, interrupts if either of them asks for it.
 */
bool vcd_vq_need_signal(struct vcd_vq *vq);
/*
 * Turns guest kicks off (while polling: VRING_USED_F_NO_NOTIFY and
 * avail_event far ahead) or on. Turning them on is followed by a full
 * barrier and a look at the ring: true if requests are waiting, which the
 * caller must serve before it sleeps (a kick for them may never come).
 */
bool vcd_vq_set_kicks(struct vcd_vq *vq, bool on);
/* True if the driver has made requests available that we have not taken. */
static inline bool vcd_vq_pending(const struct vcd_vq *vq)
{
	return __atomic_load_n(&vq->avail->idx, __ATOMIC_ACQUIRE) != vq->last_avail;
}

/* Gather/scatter between a chain's segments and a flat buffer. */
uint64_t vcd_chain_read(const struct vcd_chain *c, uint8_t *dst, uint64_t len);
/* Readable bytes [off, off+len) into dst; returns how many there were. */
uint64_t vcd_chain_read_at(const struct vcd_chain *c, uint64_t off, void *dst, uint64_t len);
/*
 * Host pointer to bytes [off, off+len) of the readable (or writable) part if
 * they lie in one segment, else NULL. For zero-copy requests.
 */
uint8_t *vcd_chain_span(const struct vcd_chain *c, bool writable, uint64_t off, uint64_t len);
uint64_t vcd_chain_write(const struct vcd_chain *c, const uint8_t *src, uint64_t len);

#endif
