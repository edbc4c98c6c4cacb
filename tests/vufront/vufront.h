/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vufront: a synthetic vhost-user frontend for virtio-crypto backends.
 *
 * It plays QEMU's part towards vcryptod: guest RAM in memfd regions (one fd
 * each), split virtqueues built here (descriptor table, avail and used ring,
 * indirect tables, EVENT_IDX), kick and call eventfds, the crypto session
 * messages in QEMU 7.1-8.0 (632 bytes) and 8.1+ (1072 bytes) layouts, and
 * virtio-crypto data requests spread over descriptors at arbitrary offsets.
 *
 * Nothing here trusts the backend either: every used-ring entry is checked.
 * Library-like: the test program, the hostile tests and the benchmark all
 * link this file. Single-threaded per struct vuf_vq; the control socket is
 * not thread-safe.
 */
#ifndef VUFRONT_H
#define VUFRONT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/virtio_ring.h>

/* vhost-user requests (QEMU docs/interop/vhost-user.rst). */
enum {
	VUF_GET_FEATURES = 1,
	VUF_SET_FEATURES = 2,
	VUF_SET_OWNER = 3,
	VUF_RESET_OWNER = 4,
	VUF_SET_MEM_TABLE = 5,
	VUF_SET_LOG_BASE = 6,
	VUF_SET_LOG_FD = 7,
	VUF_SET_VRING_NUM = 8,
	VUF_SET_VRING_ADDR = 9,
	VUF_SET_VRING_BASE = 10,
	VUF_GET_VRING_BASE = 11,
	VUF_SET_VRING_KICK = 12,
	VUF_SET_VRING_CALL = 13,
	VUF_SET_VRING_ERR = 14,
	VUF_GET_PROTOCOL_FEATURES = 15,
	VUF_SET_PROTOCOL_FEATURES = 16,
	VUF_GET_QUEUE_NUM = 17,
	VUF_SET_VRING_ENABLE = 18,
	VUF_GET_CONFIG = 24,
	VUF_CREATE_CRYPTO_SESSION = 26,
	VUF_CLOSE_CRYPTO_SESSION = 27,
};

#define VUF_F_VERSION 0x1u
#define VUF_F_REPLY 0x4u
#define VUF_F_NEED_REPLY 0x8u
#define VUF_HDR_SIZE 12

#define VUF_PF_MQ 0
#define VUF_PF_REPLY_ACK 3
#define VUF_PF_CRYPTO_SESSION 7

#define VUF_F_PROTOCOL_FEATURES 30
#define VUF_F_VERSION_1 32

/* Session payload sizes, x86-64 (checked against QEMU's VhostUserCryptoSession). */
#define VUF_SESS_632 632
#define VUF_SESS_1072 1072

#define VUF_MAX_REGIONS 8
#define VUF_MAX_QUEUES 16
#define VUF_MAX_SEGS 128

struct vuf_region {
	int fd;
	uint8_t *host; /* mapping of the whole memfd */
	size_t map_len; /* memory_size + mmap_offset */
	uint64_t gpa;
	uint64_t size;
	uint64_t uaddr; /* the "QEMU virtual address" we claim */
	uint64_t mmap_offset;
	uint64_t brk; /* bump allocator, offset inside the region */
	uint64_t base; /* brk after vuf_setup (rings) */
};

struct vuf_vq {
	struct vuf *v;
	unsigned int index;
	unsigned int num;
	uint64_t desc_gpa, avail_gpa, used_gpa;
	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;
	int kick_fd;
	int call_fd;
	uint16_t avail_idx; /* our shadow of avail->idx */
	uint16_t kicked_idx; /* avail idx at the last kick decision */
	uint16_t last_used;
	uint16_t free_head;
	unsigned int num_free;
	uint16_t *next_free; /* free list links (num entries) */
	void **cookie; /* per head; NULL = not in flight */
	uint16_t *ndesc; /* descriptors a head took from the table */
	bool started;
	/* counters */
	uint64_t kicks, kicks_saved, calls, completions, missing_calls;
};

struct vuf {
	int sock;
	uint64_t features; /* offered by the backend */
	uint64_t pfeatures; /* protocol features offered */
	uint64_t pfeatures_acked;
	uint64_t queue_num; /* GET_QUEUE_NUM answer */
	unsigned int nregions;
	struct vuf_region r[VUF_MAX_REGIONS];
	unsigned int nqueues;
	struct vuf_vq vq[VUF_MAX_QUEUES];
	int timeout_ms; /* per reply / completion wait */
	bool event_idx; /* honour avail_event / set used_event */
	bool strict_calls; /* count completions that came without a call */
	/* Without event_idx: keep VRING_AVAIL_F_NO_INTERRUPT set except while
	 * waiting in vuf_wait (a driver that disables callbacks, no EVENT_IDX). */
	bool irq_flags;
	uint64_t rng;
	char err[256];
};

struct vuf_opts {
	unsigned int nregions; /* default 4 */
	uint64_t region_size; /* default 8 MiB */
	unsigned int nqueues; /* data queues to start; default 1 */
	unsigned int qsize; /* default 1024 (what QEMU uses) */
	uint64_t pfeatures_mask; /* protocol features we may ack; 0 = QEMU 7.2 like */
	bool full_set_features; /* SET_FEATURES with ring features (not what 7.2 does) */
	bool no_event_idx; /* with full_set_features: leave RING_EVENT_IDX out */
	uint64_t seed;
};

/* Connection. vuf_connect returns NULL with errno set and a message on stderr. */
struct vuf *vuf_connect(const char *path, int timeout_ms);
void vuf_free(struct vuf *v); /* closes everything; accepts NULL */
int vuf_setup(struct vuf *v, const struct vuf_opts *o); /* full 7.2 handshake + rings */
bool vuf_alive(struct vuf *v); /* false once the backend closed the socket */

/* Raw messages. fds are not closed. Return 0 or -errno. */
int vuf_send(struct vuf *v, uint32_t req, uint32_t flags, const void *payload, uint32_t size,
	     const int *fds, int nfds);
int vuf_send_raw(struct vuf *v, const void *buf, size_t len, const int *fds, int nfds);
/* Receives one reply; *size gets the payload size. -ETIMEDOUT, -ECONNRESET (EOF), -EPROTO. */
int vuf_recv(struct vuf *v, uint32_t *req, uint32_t *flags, void *payload, uint32_t max,
	     uint32_t *size);
int vuf_get_u64(struct vuf *v, uint32_t req, uint64_t *val);
/* Sends with NEED_REPLY and reads the REPLY_ACK; returns the ack value (0 = ok),
 * or -errno if the connection failed. */
int64_t vuf_call_ack(struct vuf *v, uint32_t req, const void *payload, uint32_t size,
		     const int *fds, int nfds);

/* Guest memory. */
void *vuf_gpa(struct vuf *v, uint64_t gpa, uint64_t len); /* NULL if not fully mapped */
/* Allocates from region ri (-1: a random one). Returns gpa, 0 on failure. */
uint64_t vuf_alloc(struct vuf *v, int ri, uint64_t len, uint64_t align);
void vuf_mem_reset(struct vuf *v); /* frees every allocation made after setup */
uint64_t vuf_gpa_hole(struct vuf *v); /* an address inside no region */

/* Random numbers (xorshift; deterministic per seed). */
uint64_t vuf_rand(struct vuf *v);
void vuf_rand_bytes(struct vuf *v, void *buf, size_t len);

/* A descriptor chain as the frontend lays it out in guest memory. */
struct vuf_seg {
	uint64_t gpa;
	uint32_t len;
	bool write;
};
struct vuf_chain {
	unsigned int nseg;
	struct vuf_seg seg[VUF_MAX_SEGS];
	bool indirect;
	uint64_t ind_gpa; /* indirect table to reuse (0: one is allocated per submit) */
	uint64_t in_len; /* writable bytes in total */
};

struct vuf_place_opts {
	unsigned int max_out_segs; /* readable stream split into 1..max pieces */
	unsigned int max_in_segs;
	int indirect; /* 0 never, 1 always, -1 random */
	uint8_t canary; /* writable area filled with this */
};
/* Copies out[] into freshly allocated guest memory split at random offsets,
 * allocates in_len writable bytes likewise. Returns 0 or -ENOMEM. */
int vuf_place(struct vuf *v, struct vuf_chain *c, const void *out, size_t out_len, size_t in_len,
	      const struct vuf_place_opts *po);
/* Copies the writable stream back into in[] (c->in_len bytes). */
void vuf_gather(struct vuf *v, const struct vuf_chain *c, void *in);

/* Virtqueue. */
int vuf_submit(struct vuf_vq *q, const struct vuf_chain *c, void *cookie); /* -ENOSPC */
void vuf_kick(struct vuf_vq *q, bool force); /* honours avail_event unless force */
/* Waits for one completion: 1 and *cookie, *len; 0 on timeout; -ECONNRESET if
 * the backend closed the connection; -EPROTO for a bad used entry. */
int vuf_wait(struct vuf_vq *q, int timeout_ms, void **cookie, uint32_t *len);
/* Writes descriptors verbatim at table indices [first, first+n) and publishes
 * head; for hostile tests. */
void vuf_submit_raw(struct vuf_vq *q, const struct vring_desc *d, unsigned int n, uint16_t first,
		    uint16_t head);
int vuf_get_vring_base(struct vuf *v, unsigned int idx, uint32_t *base);
/* Starts queue idx again after GET_VRING_BASE, at ring position base, as
 * QEMU's vhost_dev_start does (NUM, BASE, ADDR, KICK, CALL). */
int vuf_vring_restart(struct vuf *v, unsigned int idx, uint32_t base);

/* Crypto sessions. layout is VUF_SESS_632 or VUF_SESS_1072. Return 0 with
 * *sid set to what the backend answered (negative = refused), or -errno when
 * the exchange itself failed (connection closed, reply of the wrong size). */
struct vuf_sym_sess {
	uint32_t cipher_alg, key_len, hash_alg, hash_result_len, auth_key_len, add_len;
	uint8_t op_type, direction, hash_mode, chain_order;
	const uint8_t *key; /* up to 64 bytes copied */
	const uint8_t *auth_key; /* up to 512 bytes copied */
	uint64_t op_code; /* 1072 layout only; 0 = CIPHER_CREATE_SESSION */
};
int vuf_create_sym(struct vuf *v, int layout, const struct vuf_sym_sess *s, int64_t *sid);
struct vuf_asym_sess {
	uint32_t algo, keytype, keylen, padding_algo, hash_algo;
	const uint8_t *key; /* up to 1024 bytes copied */
	uint64_t op_code; /* 0 = AKCIPHER_CREATE_SESSION */
};
int vuf_create_asym(struct vuf *v, const struct vuf_asym_sess *s, int64_t *sid);
/* Builds the payload only (for hostile tests); returns its size. */
size_t vuf_sym_payload(uint8_t *buf, int layout, const struct vuf_sym_sess *s);
size_t vuf_asym_payload(uint8_t *buf, const struct vuf_asym_sess *s);
int vuf_close_session(struct vuf *v, uint64_t sid);

#endif
