/* SPDX-License-Identifier: GPL-2.0 */
/* vufront test program: connections and job builders shared by the suites (TAP: tests/lib/tap.h). */
#ifndef VUFRONT_TEST_H
#define VUFRONT_TEST_H

#include <sys/types.h>

#include "tap.h"
#include "vufront_req.h"

struct vt {
	const char *sock;
	pid_t pid; /* the daemon, for /proc/PID/fd checks; 0 = unknown */
	uint64_t seed;
	unsigned int queues; /* data queues the daemon was started with */
	unsigned int max_sessions;
	int timeout_ms;
	const char *only; /* run only cases whose name contains this */
	const char *skip; /* leave out the cases whose name contains this */
	unsigned int nregions; /* guest RAM regions (0: 4) */
	unsigned int qsize;    /* ring size (0: 1024, as QEMU) */
	bool full_features;    /* SET_FEATURES with the ring features (newer QEMU) */
	unsigned int poll_us;  /* the daemon's --poll-us (poll suite) */
};

bool vt_want(struct vt *t, const char *name);

/* Connects and does the QEMU 7.2 handshake with nq queues; NULL (and a
 * note saying why) on failure. */
struct vuf *vt_open(struct vt *t, unsigned int nq);
/* A round trip on the control socket: every message sent before is handled. */
int vt_sync(struct vuf *v);
int vt_fd_count(pid_t pid); /* -1 if unknown */
/* The daemon's fd count once it has stopped changing (up to 3 s). */
int vt_fd_idle(struct vt *t);
/* Waits up to 5 s for the daemon's fd count to come back to `base`. */
int vt_fd_settle(struct vt *t, int base);
bool vt_daemon_alive(struct vt *t);
/* A fresh connection: handshake, AES-CBC session, 4 requests checked. */
bool vt_serves(struct vt *t, char *why, size_t whylen);

/* Sessions (632-byte layout unless said otherwise); return sid or -1. */
int64_t vt_cipher_session(struct vuf *v, int layout, uint32_t alg, const uint8_t *key,
			  uint32_t keylen, int enc);
int64_t vt_chain_session(struct vuf *v, int layout, uint32_t alg, const uint8_t *key,
			 uint32_t keylen, int enc, uint32_t mac, const uint8_t *akey,
			 uint32_t akeylen, uint32_t hlen, int order);
/* Plain digest: chaining, NO_CIPHER, hash_mode PLAIN, hash VIRTIO_CRYPTO_HASH_*. */
int64_t vt_hash_session(struct vuf *v, int layout, uint32_t hash, uint32_t hlen);

/* Job builders: fill j (zeroed first) with a request and its reference
 * result. Return 0, or -1 if the reference itself cannot be computed. */
int vt_cipher_job(struct vuf *v, struct vuf_job *j, int64_t sid, uint32_t alg, const uint8_t *key,
		  uint32_t keylen, int enc, size_t len, size_t slack);
struct vt_chain_case {
	uint32_t alg, keylen, mac, akeylen, hlen;
	int enc, order;
	const uint8_t *key, *akey;
	uint32_t src_len, aad_len, c_off, c_len, h_off, h_len;
	bool no_dst; /* MAC only: dst_data_len 0 */
	bool plain; /* hash_mode PLAIN: mac is a VIRTIO_CRYPTO_HASH_*, no key */
};
int vt_chain_job(struct vuf *v, struct vuf_job *j, int64_t sid, const struct vt_chain_case *c);
/*
 * A MAC-only or plain-hash request over msg (len bytes, no aad, no dst) whose
 * digest must be want[0..hlen); the header asks for req_hlen bytes, and when
 * that is not hlen the request must be refused with BADMSG.
 */
int vt_digest_job(struct vuf *v, struct vuf_job *j, int64_t sid, const uint8_t *msg, uint32_t len,
		  const uint8_t *want, uint32_t hlen, uint32_t req_hlen);
void vt_job_place_random(struct vuf *v, struct vuf_job *j);

int vt_suite_hostile(struct vt *t);
int vt_suite_poll(struct vt *t);

#endif
