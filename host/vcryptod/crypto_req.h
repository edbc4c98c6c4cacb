/* SPDX-License-Identifier: MIT */
/* Data requests: parse a chain, run it on a session, write result + status. */
#ifndef VCD_CRYPTO_REQ_H
#define VCD_CRYPTO_REQ_H

#include <stdint.h>

#include "session.h"
#include "virtq.h"

#define VCD_STATUS_MAX 7 /* VIRTIO_CRYPTO_OK .. KEY_REJECTED */

struct vcd_qstats {
	uint64_t requests; /* completed with a status */
	uint64_t bytes; /* source bytes of completed requests */
	uint64_t status[VCD_STATUS_MAX];
	uint64_t dropped; /* requests that broke the connection */
	/* notifications (worker.c) */
	uint64_t kicks; /* guest kicks received */
	uint64_t interrupts; /* call eventfd signals sent */
	uint64_t poll_hits; /* polling windows that found a request */
	uint64_t poll_misses; /* polling windows that ran out */
	uint64_t poll_preempted; /* polling windows cut short by a preemption */
};

/* Per-worker scratch buffers; owned and freed by the worker. */
struct vcd_req_buf {
	uint8_t *in, *out;
	size_t in_cap, out_cap;
	/*
	 * Split mode (journal.h): results are built in the queue's journal
	 * data (jdata, not owned) and committed to *j before any byte goes to
	 * guest memory. NULL in single-process mode.
	 */
	struct vcd_journal *j;
	uint8_t *jdata;
};

void vcd_req_buf_free(struct vcd_req_buf *b);

/*
 * Runs one request. Returns the used length (bytes written incl. the status
 * byte), or negative errno when not even a status byte could be written (the
 * caller drops the connection). Counts into st.
 */
int64_t vcd_req_process(struct vcd_sessions *s, struct vcd_req_buf *b, const struct vcd_chain *c,
			struct vcd_qstats *st);

#endif
