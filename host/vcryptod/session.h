/* SPDX-License-Identifier: MIT */
/* Crypto sessions of one connection: CREATE/CLOSE_CRYPTO_SESSION. */
#ifndef VCD_SESSION_H
#define VCD_SESSION_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "vcd_vhost_user.h"

#include "engine.h"

enum vcd_sess_kind { VCD_SESS_SYM = 1, VCD_SESS_ASYM = 2 };

/* A CREATE_CRYPTO_SESSION payload after parsing; holds keys: wipe it. */
struct vcd_sess_params {
	enum vcd_sess_kind kind;
	bool layout_1072; /* the 1072-byte layout (QEMU 8.1+), else the 632-byte one */
	/* symmetric */
	uint32_t cipher_alg, key_len, hash_alg, hash_result_len, auth_key_len;
	uint8_t op_type, direction, hash_mode, chain_order;
	uint8_t key[VCD_VU_SYM_KEY_MAX];
	uint8_t auth_key[VCD_VU_SYM_AUTH_KEY_MAX];
	/* asymmetric */
	uint32_t asym_alg, keytype, asym_key_len, rsa_padding, rsa_hash;
	uint8_t asym_key[VCD_VU_ASYM_KEY_MAX];
};

/*
 * Parses and checks a CREATE_CRYPTO_SESSION payload of len bytes (632 or
 * 1072; anything else is -EINVAL). -ENOTSUP for services we do not offer.
 */
int vcd_sess_parse(const void *payload, size_t len, struct vcd_sess_params *p);

struct vcd_session {
	uint64_t id;
	enum vcd_sess_kind kind;
	pthread_mutex_t lock; /* serialises use of the engine objects */
	uint8_t op_type, hash_mode, chain_order;
	bool encrypt;
	uint32_t cipher_alg, hash_alg, hash_result_len;
	unsigned int digest_len;
	void *cipher; /* engine objects, NULL when unused */
	void *mac;
	void *rsa;
};

/* The sessions of one connection. Readers (workers) hold lock for reading. */
struct vcd_sessions {
	pthread_rwlock_t lock;
	const struct vcd_engine_ops *ops;
	struct vcd_engine *eng;
	struct vcd_session **slot; /* max entries */
	uint32_t max, count, gen;
	uint32_t hint; /* every slot below it is in use */
};

int vcd_sessions_init(struct vcd_sessions *s, const struct vcd_engine_ops *ops,
		      struct vcd_engine *eng, uint32_t max);
/* Destroys every session (keys wiped) and the table. */
void vcd_sessions_fini(struct vcd_sessions *s);
/* New session from parsed params: its id (> 0), or -errno (-ENOSPC: full). */
int64_t vcd_sess_create(struct vcd_sessions *s, const struct vcd_sess_params *p);
/*
 * The same, under a given id (a restarted worker takes over the sessions
 * the front kept): 0, -EEXIST if the id's slot is taken, -EINVAL if the id
 * cannot be one of this table's.
 */
int vcd_sess_restore(struct vcd_sessions *s, const struct vcd_sess_params *p, uint64_t id);
int vcd_sess_close(struct vcd_sessions *s, uint64_t id);
/* Lookup; the caller holds s->lock for reading while it uses the result. */
struct vcd_session *vcd_sess_find(struct vcd_sessions *s, uint64_t id);

#endif
