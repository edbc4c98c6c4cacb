// SPDX-License-Identifier: MIT
/*
 * One virtio-crypto data request. All readable bytes are copied out of guest
 * memory first (copy once, then validate; also makes in-place requests work),
 * the result is built in a scratch buffer, then exactly the result bytes are
 * written from the start of the writable area and the status into the last
 * writable byte (DESIGN.md: the stock driver's dst list may be longer and
 * aliased, so nothing else may be touched).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <linux/virtio_crypto.h>

#include "crypto_req.h"
#include "journal.h"

#define HDR_LEN sizeof(struct virtio_crypto_op_data_req)
#define VCD_REQ_BUF_KEEP (1u << 20)

struct req {
	const struct vcd_chain *c;
	const uint8_t *in; /* readable bytes after the header */
	uint64_t in_len;
	uint8_t *out;
	uint64_t out_len; /* writable bytes before the status byte */
	uint64_t result_len; /* bytes to write back */
	uint64_t src_len;
	uint64_t direct; /* bytes written straight to guest memory */
	bool journal;
};

/* Scratch holds plaintext, digests and results: wiped before it goes back. */
static void scratch_free(uint8_t *p, size_t cap)
{
	if (p)
		explicit_bzero(p, cap);
	free(p);
}

void vcd_req_buf_free(struct vcd_req_buf *b)
{
	struct vcd_journal *j = b->j;
	uint8_t *jdata = b->jdata;

	scratch_free(b->in, b->in_cap);
	scratch_free(b->out, b->out_cap);
	memset(b, 0, sizeof(*b));
	b->j = j;
	b->jdata = jdata;
}

/* Bytes [p, p+len) overlap a readable segment of c. */
static bool overlaps_readable(const struct vcd_chain *c, const uint8_t *p, uint64_t len)
{
	for (unsigned int i = 0; i < c->nin; i++)
		if (p < c->segs[i].p + c->segs[i].len && c->segs[i].p < p + len)
			return true;
	return false;
}

/* Not realloc: a moved block would leave the old bytes in freed memory. */
static int grow(uint8_t **p, size_t *cap, uint64_t need)
{
	uint8_t *n;
	size_t c = *cap ? *cap : 4096;

	if (need <= *cap)
		return 0;
	while (c < need)
		c *= 2;
	n = malloc(c);
	if (!n)
		return -ENOMEM;
	scratch_free(*p, *cap); /* contents are never carried over */
	*p = n;
	*cap = c;
	return 0;
}

static uint8_t errno_status(int err)
{
	switch (err) {
	case -ENOTSUP:
		return VIRTIO_CRYPTO_NOTSUPP;
	case -EINVAL:
	case -E2BIG:
		return VIRTIO_CRYPTO_BADMSG;
	case -ENOENT:
		return VIRTIO_CRYPTO_INVSESS;
	case -EKEYREJECTED:
		return VIRTIO_CRYPTO_KEY_REJECTED;
	default:
		return VIRTIO_CRYPTO_ERR;
	}
}

static int do_cipher(struct vcd_sessions *s, struct vcd_session *ss, struct req *r,
		     const struct virtio_crypto_cipher_para *pa)
{
	uint32_t iv_len = pa->iv_len, src = pa->src_data_len, dst = pa->dst_data_len;
	uint32_t want_iv = vcd_cipher_iv_len(ss->cipher_alg);

	if ((uint64_t)iv_len + src > r->in_len || dst != src || dst > r->out_len)
		return -EINVAL;
	if (src % vcd_cipher_block(ss->cipher_alg) ||
	    (ss->cipher_alg == VIRTIO_CRYPTO_CIPHER_AES_XTS && src < 16))
		return -EINVAL;
	/* ECB ignores an iv if one is sent; the others need exactly 16 bytes. */
	if (want_iv && iv_len != want_iv)
		return -EINVAL;
	r->src_len = src;
	r->result_len = dst;
	return s->ops->cipher_run(ss->cipher, r->in, want_iv, r->in + iv_len, r->out, src);
}

static int do_chain(struct vcd_sessions *s, struct vcd_session *ss, struct req *r,
		    const struct virtio_crypto_alg_chain_data_para *pa)
{
	uint64_t iv_len = pa->iv_len, aad = pa->aad_len, src = pa->src_data_len;
	uint64_t dst = pa->dst_data_len, hlen = pa->hash_result_len;
	uint64_t c_off = pa->cipher_start_src_offset, c_len = pa->len_to_cipher;
	uint64_t h_off = pa->hash_start_src_offset, h_len = pa->len_to_hash;
	const uint8_t *iv = r->in, *a, *in;
	uint8_t digest[64];
	int ret;

	if (iv_len + aad + src > r->in_len || dst + hlen > r->out_len)
		return -EINVAL;
	a = r->in + iv_len;
	in = a + aad;
	if (hlen != ss->hash_result_len || h_off + h_len > src)
		return -EINVAL;
	if (ss->cipher) {
		uint32_t want_iv = vcd_cipher_iv_len(ss->cipher_alg);

		if (dst != src || c_off + c_len > src || c_len % vcd_cipher_block(ss->cipher_alg) ||
		    (want_iv && iv_len != want_iv) ||
		    (ss->cipher_alg == VIRTIO_CRYPTO_CIPHER_AES_XTS && c_len < 16))
			return -EINVAL;
	} else if (dst != 0 && dst != src) {
		return -EINVAL;
	}
	r->src_len = src;
	r->result_len = dst + hlen;
	if (ss->chain_order == VIRTIO_CRYPTO_SYM_ALG_CHAIN_ORDER_HASH_THEN_CIPHER) {
		ret = s->ops->mac_run(ss->mac, a, aad, in + h_off, h_len, digest);
		if (ret)
			goto out_wipe; /* an engine may have written part of it */
	}
	if (dst) {
		memcpy(r->out, in, src);
		if (ss->cipher && c_len) {
			ret = s->ops->cipher_run(ss->cipher, iv, vcd_cipher_iv_len(ss->cipher_alg),
						 in + c_off, r->out + c_off, c_len);
			if (ret)
				goto out_wipe;
		}
	}
	if (ss->chain_order == VIRTIO_CRYPTO_SYM_ALG_CHAIN_ORDER_CIPHER_THEN_HASH) {
		/* MAC-only sessions have no output: hash the input. */
		const uint8_t *data = dst ? r->out : in;

		ret = s->ops->mac_run(ss->mac, a, aad, data + h_off, h_len, digest);
		if (ret)
			goto out_wipe;
	}
	memcpy(r->out + dst, digest, hlen);
	ret = 0;
out_wipe:
	explicit_bzero(digest, sizeof(digest));
	return ret;
}

static int do_sym(struct vcd_sessions *s, struct vcd_session *ss, struct req *r,
		  const struct virtio_crypto_op_data_req *h)
{
	const struct virtio_crypto_sym_data_req *sym = &h->u.sym_req;

	if (ss->kind != VCD_SESS_SYM)
		return -ENOENT;
	if (sym->op_type != ss->op_type)
		return -EINVAL;
	if (sym->op_type == VIRTIO_CRYPTO_SYM_OP_CIPHER)
		return do_cipher(s, ss, r, &sym->u.cipher.para);
	return do_chain(s, ss, r, &sym->u.chain.para);
}

static int do_akcipher(struct vcd_sessions *s, struct vcd_session *ss, struct req *r,
		       const struct virtio_crypto_op_data_req *h)
{
	const struct virtio_crypto_akcipher_para *pa = &h->u.akcipher_req.para;
	uint64_t src = pa->src_data_len, dst = pa->dst_data_len;
	bool verify = h->header.opcode == VIRTIO_CRYPTO_AKCIPHER_VERIFY;
	size_t n = 0;
	int ret;

	if (ss->kind != VCD_SESS_ASYM)
		return -ENOENT;
	if (verify ? src + dst > r->in_len : src > r->in_len || dst > r->out_len)
		return -EINVAL;
	r->src_len = src;
	ret = s->ops->rsa_run(ss->rsa, h->header.opcode, r->in, src, r->in + src, verify ? dst : 0,
			      r->out, verify ? 0 : dst, &n);
	if (ret)
		return ret;
	if (!verify && n < dst)
		memset(r->out + n, 0, dst - n);
	r->result_len = verify ? 0 : dst;
	return (int)n;
}

/*
 * Zero-copy cipher: when src and dst each lie in one guest segment and are
 * either the same bytes or disjoint, the engine reads and writes guest memory
 * directly (the guest changing its own buffers meanwhile only spoils its own
 * result). -EAGAIN: take the copying path.
 */
static int try_direct(struct vcd_sessions *s, struct vcd_session *ss, struct req *r,
		      const struct virtio_crypto_op_data_req *h)
{
	const struct virtio_crypto_cipher_para *pa = &h->u.sym_req.u.cipher.para;
	uint64_t iv_len = pa->iv_len, src = pa->src_data_len;
	uint32_t want_iv = vcd_cipher_iv_len(ss->cipher_alg);
	uint8_t iv[16], *sp, *dp;
	int ret;

	if (ss->kind != VCD_SESS_SYM || h->u.sym_req.op_type != ss->op_type ||
	    ss->op_type != VIRTIO_CRYPTO_SYM_OP_CIPHER || pa->dst_data_len != src ||
	    HDR_LEN + iv_len + src > r->c->in_len || src > r->out_len ||
	    (want_iv && iv_len != want_iv))
		return -EAGAIN; /* the copying path finds the exact status */
	sp = vcd_chain_span(r->c, false, HDR_LEN + iv_len, src);
	dp = vcd_chain_span(r->c, true, 0, src);
	if (!sp || !dp || (sp != dp && sp < dp + src && dp < sp + src))
		return -EAGAIN;
	/*
	 * With a journal, a request may be served again after a worker died
	 * half-way: the engine may then write guest memory directly only
	 * where no input lives (in-place requests take the journalled path).
	 */
	if (r->journal && overlaps_readable(r->c, dp, src))
		return -EAGAIN;
	if (src % vcd_cipher_block(ss->cipher_alg) ||
	    (ss->cipher_alg == VIRTIO_CRYPTO_CIPHER_AES_XTS && src < 16))
		return -EINVAL;
	vcd_chain_read_at(r->c, HDR_LEN, iv, want_iv);
	ret = s->ops->cipher_run(ss->cipher, iv, want_iv, sp, dp, src);
	explicit_bzero(iv, sizeof(iv));
	r->src_len = src;
	r->direct = src;
	return ret;
}

int64_t vcd_req_process(struct vcd_sessions *s, struct vcd_req_buf *b, const struct vcd_chain *c,
			struct vcd_qstats *st)
{
	struct virtio_crypto_op_data_req h;
	struct vcd_session *ss;
	struct req r = {.c = c, .journal = b->j != NULL};
	const struct vcd_seg *last;
	uint64_t used;
	uint8_t status;
	int ret;

	if (c->nout == 0 || c->out_len == 0) {
		st->dropped++;
		return -EBADMSG; /* nowhere to put a status */
	}
	last = &c->segs[c->nin + c->nout - 1];
	r.out_len = c->out_len - 1;
	if (c->in_len < HDR_LEN) {
		ret = -EINVAL;
		goto out_status;
	}
	/* The only read of the header: every field below comes from h. */
	vcd_chain_read_at(c, 0, &h, HDR_LEN);

	switch (h.header.opcode) {
	case VIRTIO_CRYPTO_CIPHER_ENCRYPT:
	case VIRTIO_CRYPTO_CIPHER_DECRYPT:
	case VIRTIO_CRYPTO_AKCIPHER_ENCRYPT:
	case VIRTIO_CRYPTO_AKCIPHER_DECRYPT:
	case VIRTIO_CRYPTO_AKCIPHER_SIGN:
	case VIRTIO_CRYPTO_AKCIPHER_VERIFY:
		break;
	default: /* HASH, MAC, AEAD: no such sessions through vhost-user */
		ret = -ENOTSUP;
		goto out_status;
	}
	pthread_rwlock_rdlock(&s->lock);
	ss = vcd_sess_find(s, h.header.session_id);
	if (!ss) {
		ret = -ENOENT;
		goto out_unlock;
	}
	pthread_mutex_lock(&ss->lock);
	ret = -EAGAIN;
	if (h.header.opcode <= VIRTIO_CRYPTO_CIPHER_DECRYPT)
		ret = try_direct(s, ss, &r, &h);
	if (ret == -EAGAIN) {
		/*
		 * Copy the rest of the input once: validated and used from our
		 * copy only. The header is never read again: the guest may have
		 * changed it since, and h is what was checked above.
		 */
		r.in_len = c->in_len - HDR_LEN;
		ret = grow(&b->in, &b->in_cap, r.in_len ? r.in_len : 1);
		if (!ret && !b->j)
			ret = grow(&b->out, &b->out_cap, r.out_len ? r.out_len : 1);
		if (!ret) {
			vcd_chain_read_at(c, HDR_LEN, b->in, r.in_len);
			r.in = b->in;
			r.out = b->j ? b->jdata : b->out;
			if (h.header.opcode <= VIRTIO_CRYPTO_CIPHER_DECRYPT)
				ret = do_sym(s, ss, &r, &h);
			else
				ret = do_akcipher(s, ss, &r, &h);
		}
	}
	pthread_mutex_unlock(&ss->lock);
out_unlock:
	pthread_rwlock_unlock(&s->lock);

out_status:
	if (ret < 0)
		r.result_len = 0;
	status = ret < 0 ? errno_status(ret) : VIRTIO_CRYPTO_OK;
	/* result_len < out_len: the chain takes all of it. */
	if (r.direct)
		used = ret < 0 ? 0 : r.direct;
	else
		used = r.result_len;
	/* An akcipher result shorter than dst: report what is meaningful. */
	if (ret > 0)
		used = (uint64_t)ret;
	used = used + 1 > UINT32_MAX ? UINT32_MAX : used + 1;
	if (b->j) {
		/* The commit point: from here on the write is redone, never the request. */
		b->j->result_len = r.direct ? 0 : r.result_len;
		b->j->used_len = (uint32_t)used;
		b->j->status = status;
		__atomic_store_n(&b->j->state, VCD_J_WRITING, __ATOMIC_RELEASE);
	}
	if (!r.direct)
		vcd_chain_write(c, b->j ? b->jdata : b->out, r.result_len);
	last->p[last->len - 1] = status;
	/* A guest's one huge request must not pin that much memory for good. */
	if (b->in_cap > VCD_REQ_BUF_KEEP || b->out_cap > VCD_REQ_BUF_KEEP)
		vcd_req_buf_free(b);
	st->requests++;
	st->status[status]++;
	if (status == VIRTIO_CRYPTO_OK)
		st->bytes += r.src_len;
	return (int64_t)used;
}
