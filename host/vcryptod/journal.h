/* SPDX-License-Identifier: MIT */
/*
 * State that outlives a worker process: one memfd owned by the front,
 * mapped shared by each worker it starts. Per data queue: the ring
 * position the worker has completed up to, and a one-entry journal of the
 * request it is completing, whose result bytes are the worker's output
 * buffer. Also the counters (SIGUSR1), so they survive restarts too.
 *
 * The rule that makes a replay safe (exactly once, in-place requests
 * included): nothing is written into a request's writable guest buffers
 * before its whole result sits in the journal (state WRITING). A worker
 * that dies before that point has changed no guest byte of the request, so
 * the next worker serves it again from guest memory; one that dies after it
 * has its write redone from the journal, never recomputed. A request counts
 * as completed once its used entry is written and `done` covers it.
 */
#ifndef VCD_JOURNAL_H
#define VCD_JOURNAL_H

#include <stdint.h>

#include "crypto_req.h"

#define VCD_JOURNAL_MAGIC 0x76636a31u /* "vcj1" */
/* Result bytes per queue: a request's writable part is at most this. */
#define VCD_JOURNAL_DATA (64u << 20)

enum vcd_journal_state { VCD_J_IDLE = 0, VCD_J_WRITING = 1 };

struct vcd_ring_rec {
	uint32_t valid; /* the ring runs; done/taken are meaningful */
	/* used index << 16 | avail index, both just past the last completed
	 * request: one store completes a request */
	uint32_t done;
	uint16_t taken; /* avail index past the last request taken */
	uint16_t pad;
	uint32_t restarts; /* workers that resumed this ring */
};

struct vcd_journal {
	uint32_t state; /* enum vcd_journal_state */
	uint16_t avail; /* avail index of the request being completed */
	uint16_t head;
	uint32_t used_len;
	uint8_t status;
	uint8_t pad[3];
	uint64_t result_len; /* bytes at the start of the queue's data area */
};

struct vcd_shared {
	uint32_t magic;
	uint32_t queues;
	struct vcd_qstats stats[64];
	struct vcd_ring_rec rec[64];
	struct vcd_journal j[64];
};

/* The header rounded to pages; queue q's data follows at this + q * DATA. */
#define VCD_SHARED_HDR_LEN ((sizeof(struct vcd_shared) + 4095) & ~(size_t)4095)
#define VCD_SHARED_LEN(queues) (VCD_SHARED_HDR_LEN + (size_t)(queues) * VCD_JOURNAL_DATA)

static inline uint32_t vcd_rec_pack(uint16_t used, uint16_t avail)
{
	return (uint32_t)used << 16 | avail;
}

#endif
