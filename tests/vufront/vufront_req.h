/* SPDX-License-Identifier: GPL-2.0 */
/*
 * virtio-crypto data requests for vufront: wire headers, the reference
 * results computed locally with OpenSSL, and a runner that keeps many
 * requests in flight on one or more queues and checks every completion.
 */
#ifndef VUFRONT_REQ_H
#define VUFRONT_REQ_H

#include "vufront.h"

#include <linux/virtio_crypto.h>

#define VUF_HDR_LEN 72 /* sizeof(struct virtio_crypto_op_data_req) */
#define VUF_ST(s) (1u << (s))

/* Header builders; return VUF_HDR_LEN. */
size_t vuf_hdr_cipher(uint8_t *h, uint32_t opcode, uint64_t sid, uint32_t iv_len, uint32_t src_len,
		      uint32_t dst_len);
struct vuf_chain_para {
	uint32_t iv_len, src_len, dst_len, cipher_start, len_to_cipher, hash_start, len_to_hash,
		aad_len, hash_result_len;
};
size_t vuf_hdr_chain(uint8_t *h, uint32_t opcode, uint64_t sid, const struct vuf_chain_para *p);
size_t vuf_hdr_akcipher(uint8_t *h, uint32_t opcode, uint64_t sid, uint32_t src_len,
			uint32_t dst_len);

/* OpenSSL references. Return 0, or -1 if OpenSSL itself refuses the input. */
int vuf_ref_cipher(uint32_t alg, const uint8_t *key, uint32_t keylen, const uint8_t *iv, int enc,
		   const uint8_t *in, size_t len, uint8_t *out);
int vuf_ref_hmac(uint32_t mac_alg, const uint8_t *key, uint32_t keylen, const uint8_t *in,
		 size_t len, uint8_t *out, unsigned int *outlen);
/* Plain digest; hash_alg VIRTIO_CRYPTO_HASH_*. */
int vuf_ref_digest(uint32_t hash_alg, const uint8_t *in, size_t len, uint8_t *out,
		   unsigned int *outlen);
/* Full digest length, 0 if unknown (MAC_HMAC_* and HASH_* share numbers). */
unsigned int vuf_mac_len(uint32_t mac_alg);
uint32_t vuf_cipher_iv_len(uint32_t alg);
const char *vuf_cipher_name(uint32_t alg);
const char *vuf_mac_name(uint32_t mac_alg);
const char *vuf_hash_name(uint32_t hash_alg);
const char *vuf_status_name(unsigned int st);

/* One request and what must come back. */
struct vuf_job {
	uint8_t *out; /* readable stream (header first); owned, free()d */
	size_t out_len;
	size_t in_len; /* writable stream incl. the status byte */
	uint8_t *expect; /* expected start of the writable stream; owned */
	size_t expect_len;
	uint32_t ok_status; /* VUF_ST() mask of acceptable statuses */
	uint8_t data_status; /* compare expect[] when this status comes back */
	struct vuf_place_opts po;
	struct vuf_chain chain;
	/* results */
	bool done;
	uint8_t status;
	uint32_t used_len;
	bool data_ok; /* expect[] matched (or not compared) */
	bool canary_ok; /* bytes between expect and status untouched */
	bool ro_ok; /* device-readable buffers left as they were */
	char name[120];
	uint8_t *in; /* gathered writable stream; owned */
};
void vuf_job_free(struct vuf_job *j); /* frees owned buffers, not j */
bool vuf_job_pass(const struct vuf_job *j);
/* Gathers the writable stream of a completed job and checks it (sets the results). */
void vuf_job_check(struct vuf *v, struct vuf_job *j);
/* A job came back with used_len bytes written: marks it done, checks it; vuf_job_pass(). */
bool vuf_job_complete(struct vuf *v, struct vuf_job *j, uint32_t used_len);
/* Places, submits with up to `inflight` outstanding per queue, kicks, waits
 * and checks. Job i goes to queue i % nq. Returns 0, or -errno for a failure
 * of the transport (timeout, connection closed, bad used entry); jobs not
 * completed then have done == false. */
int vuf_run_jobs(struct vuf *v, unsigned int nq, struct vuf_job *jobs, unsigned int n,
		 unsigned int inflight);

#endif
