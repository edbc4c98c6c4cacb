// SPDX-License-Identifier: MIT
/*
 * Session messages in both QEMU layouts (told apart by size) and the session
 * table. Every field in a session message comes from the guest through QEMU.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <linux/virtio_crypto.h>

#include "session.h"

static int parse_sym(const struct vcd_vu_sym_info *in, const uint8_t *key, const uint8_t *auth_key,
		     struct vcd_sess_params *p)
{
	p->kind = VCD_SESS_SYM;
	p->cipher_alg = in->cipher_alg;
	p->key_len = in->key_len;
	p->hash_alg = in->hash_alg;
	p->hash_result_len = in->hash_result_len;
	p->auth_key_len = in->auth_key_len;
	p->op_type = in->op_type;
	p->direction = in->direction;
	p->hash_mode = in->hash_mode;
	p->chain_order = in->alg_chain_order;
	if (p->key_len > VCD_VU_SYM_KEY_MAX || p->auth_key_len > VCD_VU_SYM_AUTH_KEY_MAX)
		return -EINVAL;
	memcpy(p->key, key, p->key_len);
	memcpy(p->auth_key, auth_key, p->auth_key_len);
	if (p->direction != VIRTIO_CRYPTO_OP_ENCRYPT && p->direction != VIRTIO_CRYPTO_OP_DECRYPT &&
	    !(p->op_type == VIRTIO_CRYPTO_SYM_OP_ALGORITHM_CHAINING &&
	      p->cipher_alg == VIRTIO_CRYPTO_NO_CIPHER))
		return -EINVAL;
	switch (p->op_type) {
	case VIRTIO_CRYPTO_SYM_OP_CIPHER:
		return vcd_cipher_check(p->cipher_alg, p->key_len);
	case VIRTIO_CRYPTO_SYM_OP_ALGORITHM_CHAINING:
		if (p->cipher_alg != VIRTIO_CRYPTO_NO_CIPHER) {
			int ret = vcd_cipher_check(p->cipher_alg, p->key_len);

			if (ret)
				return ret;
		}
		if (p->chain_order != VIRTIO_CRYPTO_SYM_ALG_CHAIN_ORDER_HASH_THEN_CIPHER &&
		    p->chain_order != VIRTIO_CRYPTO_SYM_ALG_CHAIN_ORDER_CIPHER_THEN_HASH)
			return -EINVAL;
		if (p->hash_mode == VIRTIO_CRYPTO_SYM_HASH_MODE_NESTED)
			return -ENOTSUP;
		if (p->hash_mode != VIRTIO_CRYPTO_SYM_HASH_MODE_AUTH &&
		    p->hash_mode != VIRTIO_CRYPTO_SYM_HASH_MODE_PLAIN)
			return -EINVAL;
		if (!vcd_hash_len(p->hash_alg))
			return -ENOTSUP;
		if (p->hash_result_len == 0 || p->hash_result_len > vcd_hash_len(p->hash_alg))
			return -EINVAL;
		return 0;
	default:
		return -ENOTSUP;
	}
}

int vcd_sess_parse(const void *payload, size_t len, struct vcd_sess_params *p)
{
	memset(p, 0, sizeof(*p));
	if (len == sizeof(struct vcd_vu_session_632)) {
		const struct vcd_vu_session_632 *m = payload;

		return parse_sym(&m->info, m->key, m->auth_key, p);
	}
	if (len == sizeof(struct vcd_vu_session_1072)) {
		const struct vcd_vu_session_1072 *m = payload;
		const struct vcd_vu_asym_info *a = &m->u.asym.info;

		p->layout_1072 = true;
		if (m->op_code == VIRTIO_CRYPTO_CIPHER_CREATE_SESSION)
			return parse_sym(&m->u.sym.info, m->u.sym.key, m->u.sym.auth_key, p);
		if (m->op_code != VIRTIO_CRYPTO_AKCIPHER_CREATE_SESSION)
			return -ENOTSUP;
		p->kind = VCD_SESS_ASYM;
		p->asym_alg = a->algo;
		p->keytype = a->keytype;
		p->asym_key_len = a->keylen;
		p->rsa_padding = a->rsa_padding_algo;
		p->rsa_hash = a->rsa_hash_algo;
		if (p->asym_alg != VIRTIO_CRYPTO_AKCIPHER_RSA)
			return -ENOTSUP;
		if (p->asym_key_len == 0 || p->asym_key_len > VCD_VU_ASYM_KEY_MAX)
			return -EINVAL;
		memcpy(p->asym_key, m->u.asym.key, p->asym_key_len);
		return 0;
	}
	return -EINVAL;
}

int vcd_sessions_init(struct vcd_sessions *s, const struct vcd_engine_ops *ops,
		      struct vcd_engine *eng, uint32_t max)
{
	pthread_rwlockattr_t attr;

	memset(s, 0, sizeof(*s));
	s->slot = calloc(max ? max : 1, sizeof(*s->slot));
	if (!s->slot)
		return -ENOMEM;
	s->ops = ops;
	s->eng = eng;
	s->max = max;
	/* Workers read all the time: a create or close must not starve. */
	pthread_rwlockattr_init(&attr);
	pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&s->lock, &attr);
	pthread_rwlockattr_destroy(&attr);
	return 0;
}

static void sess_free(struct vcd_sessions *s, struct vcd_session *ss)
{
	if (!ss)
		return;
	s->ops->cipher_free(ss->cipher);
	s->ops->mac_free(ss->mac);
	s->ops->rsa_free(ss->rsa);
	pthread_mutex_destroy(&ss->lock);
	explicit_bzero(ss, sizeof(*ss));
	free(ss);
}

void vcd_sessions_fini(struct vcd_sessions *s)
{
	if (!s->slot)
		return;
	for (uint32_t i = 0; i < s->max; i++)
		sess_free(s, s->slot[i]);
	free(s->slot);
	s->slot = NULL;
	pthread_rwlock_destroy(&s->lock);
}

static int sess_setup(struct vcd_sessions *s, struct vcd_session *ss,
		      const struct vcd_sess_params *p)
{
	int ret;

	ss->kind = p->kind;
	if (p->kind == VCD_SESS_ASYM)
		return s->ops->rsa_new(s->eng, p->keytype, p->asym_key, p->asym_key_len,
				       p->rsa_padding, p->rsa_hash, &ss->rsa);
	ss->op_type = p->op_type;
	ss->hash_mode = p->hash_mode;
	ss->chain_order = p->chain_order;
	ss->encrypt = p->direction == VIRTIO_CRYPTO_OP_ENCRYPT;
	ss->cipher_alg = p->cipher_alg;
	ss->hash_alg = p->hash_alg;
	ss->hash_result_len = p->hash_result_len;
	if (p->cipher_alg != VIRTIO_CRYPTO_NO_CIPHER) {
		ret = s->ops->cipher_new(s->eng, p->cipher_alg, p->key, p->key_len, ss->encrypt,
					 &ss->cipher);
		if (ret)
			return ret;
	}
	if (p->op_type == VIRTIO_CRYPTO_SYM_OP_ALGORITHM_CHAINING) {
		bool auth = p->hash_mode == VIRTIO_CRYPTO_SYM_HASH_MODE_AUTH;

		ret = s->ops->mac_new(s->eng, p->hash_alg, auth ? p->auth_key : NULL,
				      p->auth_key_len, &ss->mac, &ss->digest_len);
		if (ret)
			return ret;
	}
	return 0;
}

/* A session object for p, not yet in a slot; sess_free() undoes it. */
static int sess_new(struct vcd_sessions *s, const struct vcd_sess_params *p,
		    struct vcd_session **out)
{
	struct vcd_session *ss = calloc(1, sizeof(*ss));
	int ret;

	if (!ss)
		return -ENOMEM;
	pthread_mutex_init(&ss->lock, NULL);
	ret = sess_setup(s, ss, p);
	if (ret) {
		sess_free(s, ss);
		return ret;
	}
	*out = ss;
	return 0;
}

int64_t vcd_sess_create(struct vcd_sessions *s, const struct vcd_sess_params *p)
{
	struct vcd_session *ss;
	uint32_t i;
	int ret;

	ret = sess_new(s, p, &ss);
	if (ret)
		return ret;
	pthread_rwlock_wrlock(&s->lock);
	/* Slots below hint are all taken. */
	for (i = s->hint; i < s->max && s->slot[i]; i++)
		;
	s->hint = i;
	if (i == s->max) {
		pthread_rwlock_unlock(&s->lock);
		ret = -ENOSPC;
		goto err_free;
	}
	/* Generation in the high bits: a closed id is not reused soon. */
	s->gen = (s->gen + 1) & 0x7fffffff;
	ss->id = ((uint64_t)s->gen << 32) | (i + 1);
	s->slot[i] = ss;
	s->count++;
	pthread_rwlock_unlock(&s->lock);
	return (int64_t)ss->id;

err_free:
	sess_free(s, ss);
	return ret;
}

int vcd_sess_restore(struct vcd_sessions *s, const struct vcd_sess_params *p, uint64_t id)
{
	uint64_t i = id & 0xffffffffu, gen = id >> 32;
	struct vcd_session *ss;
	int ret;

	if (i == 0 || i > s->max || gen > 0x7fffffff)
		return -EINVAL;
	ret = sess_new(s, p, &ss);
	if (ret)
		return ret;
	pthread_rwlock_wrlock(&s->lock);
	if (s->slot[i - 1]) {
		pthread_rwlock_unlock(&s->lock);
		ret = -EEXIST;
		goto err_free;
	}
	ss->id = id;
	s->slot[i - 1] = ss;
	s->count++;
	/* New ids go on from the newest generation seen. */
	if (gen > s->gen)
		s->gen = (uint32_t)gen;
	pthread_rwlock_unlock(&s->lock);
	return 0;

err_free:
	sess_free(s, ss);
	return ret;
}

struct vcd_session *vcd_sess_find(struct vcd_sessions *s, uint64_t id)
{
	uint64_t i = (id & 0xffffffffu);

	if (i == 0 || i > s->max)
		return NULL;
	if (!s->slot[i - 1] || s->slot[i - 1]->id != id)
		return NULL;
	return s->slot[i - 1];
}

int vcd_sess_close(struct vcd_sessions *s, uint64_t id)
{
	struct vcd_session *ss;

	pthread_rwlock_wrlock(&s->lock);
	ss = vcd_sess_find(s, id);
	if (ss) {
		s->slot[(id & 0xffffffffu) - 1] = NULL;
		s->count--;
		if ((id & 0xffffffffu) - 1 < s->hint)
			s->hint = (uint32_t)(id & 0xffffffffu) - 1;
	}
	pthread_rwlock_unlock(&s->lock);
	if (!ss)
		return -ENOENT;
	sess_free(s, ss);
	return 0;
}
