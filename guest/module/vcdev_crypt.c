// SPDX-License-Identifier: GPL-2.0
/*
 * The data path of /dev/crypto: CIOCCRYPT turned into virtio-crypto data
 * requests (header, IV, data, digest, status), with cryptodev-linux's IV
 * chaining and multi-part MAC rules.  CIOCAUTHCRYPT is in vcdev_aead.c.
 */
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include <crypto/cryptodev.h>

#include "vcdev.h"

/* 128-bit big-endian counter += n (CTR's next IV). */
static void vcdev_ctr_add(u8 *ctr, u64 n)
{
	int i;

	for (i = 15; i >= 0 && n; i--) {
		n += ctr[i];
		ctr[i] = n & 0xff;
		n >>= 8;
	}
}

static bool vcdev_use_zc(const struct crypt_op *cop)
{
	unsigned long src = (unsigned long)cop->src;
	unsigned long dst = (unsigned long)cop->dst;
	unsigned int n;

	if ((cop->flags & COP_FLAG_NO_ZC) || cop->len < VCDEV_ZC_THRESHOLD)
		return false;
	n = DIV_ROUND_UP(offset_in_page(src) + cop->len, PAGE_SIZE);
	if (dst && dst != src)
		n += DIV_ROUND_UP(offset_in_page(dst) + cop->len, PAGE_SIZE);
	else
		n *= 2;
	return n + 4 <= VCDEV_MAX_SEGS;
}

/*
 * Pin or bounce the data of @cop into @req; the device sees @dev_len
 * bytes (more than cop->len when a CTR tail is padded to a block).
 */
static int vcdev_prepare_data(struct vcdev_req *req, const struct crypt_op *cop, bool has_dst,
			      unsigned int dev_len)
{
	bool in_place = !has_dst || cop->src == cop->dst;
	int ret;

	if (dev_len == cop->len && vcdev_use_zc(cop)) {
		ret = vcdev_buf_pin(&req->src, (unsigned long)cop->src, cop->len,
				    has_dst && in_place);
		if (ret)
			return ret;
		if (has_dst && !in_place) {
			ret = vcdev_buf_pin(&req->dst, (unsigned long)cop->dst, cop->len, true);
			if (ret)
				return ret;
		}
	} else {
		ret = vcdev_buf_bounce(&req->src, dev_len, req->inl);
		if (ret)
			return ret;
		if (req->src.sgt.orig_nents * 2 + 4 > VCDEV_MAX_SEGS)
			return -ENOMEM;
		ret = vcdev_buf_copy_in(&req->src, cop->src, cop->len);
		if (ret)
			return ret;
		in_place = true; /* the result comes back in the bounce pages */
	}
	req->in_place = in_place;
	if (in_place)
		req->dst = req->src;
	return 0;
}

static void vcdev_fill_header(struct vcdev_req *req, struct vcdev_op *op,
			      const struct crypt_op *cop, unsigned int len)
{
	struct virtio_crypto_op_header *h = &req->hdr.data.header;
	struct virtio_crypto_sym_data_req *sym = &req->hdr.data.u.sym_req;
	bool dec = cop->op == COP_DECRYPT && op->ses->has_dec;
	unsigned int dlen = op->c ? len : 0;

	/* the direction of the device session used (CTR, MAC: encrypt) */
	h->opcode = cpu_to_le32(dec ? VIRTIO_CRYPTO_CIPHER_DECRYPT : VIRTIO_CRYPTO_CIPHER_ENCRYPT);
	h->algo = cpu_to_le32(op->c ? op->c->virtio_alg : VIRTIO_CRYPTO_NO_CIPHER);
	h->session_id = cpu_to_le64(dec ? op->ses->dec_id : op->ses->enc_id);
	if (!op->m) {
		struct virtio_crypto_cipher_para *p = &sym->u.cipher.para;

		sym->op_type = cpu_to_le32(VIRTIO_CRYPTO_SYM_OP_CIPHER);
		p->iv_len = cpu_to_le32(op->ivsize);
		p->src_data_len = cpu_to_le32(len);
		p->dst_data_len = cpu_to_le32(dlen);
	} else {
		struct virtio_crypto_alg_chain_data_para *p = &sym->u.chain.para;

		sym->op_type = cpu_to_le32(VIRTIO_CRYPTO_SYM_OP_ALGORITHM_CHAINING);
		p->iv_len = cpu_to_le32(op->ivsize);
		p->src_data_len = cpu_to_le32(len);
		p->dst_data_len = cpu_to_le32(dlen);
		p->cipher_start_src_offset = 0;
		p->len_to_cipher = cpu_to_le32(dlen);
		p->hash_start_src_offset = 0;
		p->len_to_hash = cpu_to_le32(len);
		p->aad_len = 0;
		p->hash_result_len = cpu_to_le32(op->m->digestsize);
	}
}

/* The IV after this request, as the kernel's skcipher leaves it. */
static int vcdev_next_iv_before(struct vcdev_op *op, struct vcdev_req *req,
				const struct crypt_op *cop)
{
	/*
	 * The whole array: with a variable length, gcc 12 and the 6.12
	 * fortify headers see a possible overlap (-Wrestrict) that cannot be.
	 */
	memcpy(op->next_iv, op->iv, sizeof(op->next_iv));
	if (!op->c || !op->ivsize || !cop->len)
		return 0;
	switch (op->c->virtio_alg) {
	case VIRTIO_CRYPTO_CIPHER_AES_CBC:
		if (cop->op == COP_DECRYPT) /* last ciphertext block */
			vcdev_buf_tail(&req->src, cop->len - 16, op->next_iv, 16);
		break;
	case VIRTIO_CRYPTO_CIPHER_AES_CTR:
		vcdev_ctr_add(op->next_iv, DIV_ROUND_UP(cop->len, 16));
		break;
	default: /* XTS: the tweak is not chained */
		break;
	}
	return 0;
}

static void vcdev_next_iv_after(struct vcdev_op *op, struct vcdev_req *req,
				const struct crypt_op *cop)
{
	if (op->c && op->ivsize && cop->len && op->c->virtio_alg == VIRTIO_CRYPTO_CIPHER_AES_CBC &&
	    cop->op == COP_ENCRYPT)
		vcdev_buf_tail(&req->dst, cop->len - 16, op->next_iv, 16);
}

/*
 * Checks @cop against its session (taken into op->ses) before anything
 * is allocated, as cryptodev-linux does.
 */
static int vcdev_crypt_check(struct vcdev_file *f, const struct crypt_op *cop,
			     struct vcdev_op *op)
{
	u64 max_size;

	if (cop->op != COP_ENCRYPT && cop->op != COP_DECRYPT)
		return -EINVAL;
	op->ses = vcdev_lookup(f, cop->ses);
	if (!op->ses)
		return -EINVAL;
	op->c = op->ses->cipher;
	op->m = op->ses->mac;
	/* GCM works through CIOCAUTHCRYPT only (vcdev_aead.c) */
	if (op->c && op->c->is_aead)
		return -EINVAL;
	max_size = op->ses->dev->max_size;
	/* CRYPTO_NULL is done here (vcdev_user_copy): no device cipher */
	if (vcdev_alg_is_null(op->c)) {
		op->null_copy = true;
		op->c = NULL;
		if (!op->m)
			return 0; /* no device: no length limit */
	}

	if (op->c && cop->len % op->c->blocksize)
		return -EINVAL;
	if (op->c && op->c->virtio_alg == VIRTIO_CRYPTO_CIPHER_AES_XTS && cop->len && cop->len < 16)
		return -EINVAL;
	if (cop->len > VCDEV_MAX_DATA_LEN ||
	    (u64)cop->len * 2 + VCDEV_MAX_IV + VCDEV_MAX_DIGEST > max_size)
		return -EINVAL;
	return 0;
}

/* The IV of this request: the caller's, or the one the session carries. */
static int vcdev_crypt_load_iv(struct vcdev_op *op, const struct crypt_op *cop)
{
	if (!op->c)
		return 0;
	op->ivsize = op->c->ivsize;
	if (cop->iv)
		return copy_from_user(op->iv, cop->iv, op->ivsize) ? -EFAULT : 0;
	spin_lock(&op->ses->iv_lock);
	memcpy(op->iv, op->ses->iv, op->ivsize);
	spin_unlock(&op->ses->iv_lock);
	return 0;
}

/* The session carries the next IV; COP_FLAG_WRITE_IV also hands it back. */
static int vcdev_crypt_store_iv(struct vcdev_op *op, const struct crypt_op *cop)
{
	if (!op->ivsize)
		return 0;
	spin_lock(&op->ses->iv_lock);
	memcpy(op->ses->iv, op->next_iv, op->ivsize);
	spin_unlock(&op->ses->iv_lock);
	if (cop->iv && (cop->flags & COP_FLAG_WRITE_IV) &&
	    copy_to_user(cop->iv, op->next_iv, op->ivsize))
		return -EFAULT;
	return 0;
}

/*
 * Puts the request's data in @req: the gathered parts of a multi-part MAC
 * (@msg), or the user's buffers (pinned or bounced).  Returns the number
 * of bytes the device sees in *dev_len.
 */
static int vcdev_crypt_data(struct vcdev_op *op, struct vcdev_req *req, const struct crypt_op *cop,
			    const u8 *msg, unsigned int msg_len, unsigned int *dev_len)
{
	int ret;

	if (msg) {
		*dev_len = msg_len;
		ret = vcdev_buf_bounce(&req->src, msg_len, req->inl);
		if (ret)
			return ret;
		if (req->src.sgt.orig_nents + 4 > VCDEV_MAX_SEGS)
			return -ENOMEM;
		sg_copy_from_buffer(req->src.sgt.sgl, req->src.sgt.orig_nents, msg, msg_len);
		req->in_place = true;
		req->dst = req->src;
		return 0;
	}
	/*
	 * A CTR tail shorter than a block goes to the device padded with
	 * zeros (devices such as QEMU's builtin backend want whole blocks);
	 * only the first len bytes of the result are returned.
	 */
	*dev_len = cop->len;
	if (op->c && op->c->virtio_alg == VIRTIO_CRYPTO_CIPHER_AES_CTR)
		*dev_len = round_up(cop->len, 16);
	return vcdev_prepare_data(req, cop, op->c != NULL, *dev_len);
}

/*
 * The submit half, in the caller's context: checks, IV, MAC parts, user
 * memory copied in or pinned, the request built in op->req.  On success
 * op->req is NULL when there is nothing for the device (an empty cipher
 * request, or a multi-part MAC part only stored): vcdev_crypt_complete()
 * finishes it at once.  The caller calls vcdev_crypt_end() in any case.
 */
int vcdev_crypt_prepare(struct vcdev_file *f, struct vcdev_op *op, struct crypt_op *cop)
{
	struct vcdev_req *req;
	unsigned int msg_len = 0;
	u8 *msg = NULL;
	int ret;

	ret = vcdev_crypt_check(f, cop, op);
	if (ret)
		goto out;
	if (op->m && op->c) {
		/* parts of a multi-part cipher+MAC (vcdev_hash.c); 1: one part */
		ret = vcdev_chain_parts(f, op->ses, cop);
		if (ret <= 0)
			goto out; /* done (or failed) without op->req */
	}
	if (op->null_copy) {
		ret = vcdev_user_copy(cop->dst, cop->src, cop->len);
		if (ret || !op->m)
			goto out;
	}
	if (op->m && !op->c) {
		ret = vcdev_mac_parts(f, op->ses, cop, &msg, &msg_len, op->digest);
		if (ret) {
			/* 1: stored, no MAC yet; 2: the MAC was done in software */
			op->sw_digest = ret == 2;
			if (ret > 0)
				ret = 0;
			goto out;
		}
		if (msg && (u64)msg_len + VCDEV_MAX_DIGEST > op->ses->dev->max_size) {
			ret = -EINVAL;
			goto out;
		}
		op->gathered = msg != NULL;
	}
	ret = vcdev_crypt_load_iv(op, cop);
	if (ret)
		goto out;

	/* An empty cipher request is done here, as the kernel does it. */
	if (!cop->len && !op->m) {
		memcpy(op->next_iv, op->iv, op->ivsize);
		goto out;
	}

	ret = -ENOMEM;
	req = vcdev_req_alloc(GFP_KERNEL);
	if (!req)
		goto out;
	op->req = req;
	req->ses = vcdev_session_get(op->ses);
	ret = vcdev_crypt_data(op, req, cop, msg, msg_len, &op->dev_len);
	if (ret)
		goto out;
	vcdev_next_iv_before(op, req, cop);
	vcdev_fill_header(req, op, cop, op->dev_len);
out:
	if (msg) {
		memzero_explicit(msg, msg_len);
		kvfree(msg);
	}
	return ret;
}

/*
 * Header, IV, data in; data, digest, status out: one chain on a data
 * queue of the session's device.  Does not wait for the device.
 */
int vcdev_crypt_queue(struct vcdev_op *op)
{
	struct scatterlist hdr_sg, iv_sg, dig_sg, st_sg, *sgs[6];
	struct vcdev_req *req = op->req;
	unsigned int nout = 0, nin = 0;

	sg_init_one(&hdr_sg, &req->hdr.data, sizeof(req->hdr.data));
	sgs[nout++] = &hdr_sg;
	if (op->ivsize) {
		memcpy(req->iv, op->iv, op->ivsize);
		sg_init_one(&iv_sg, req->iv, op->ivsize);
		sgs[nout++] = &iv_sg;
	}
	if (op->dev_len)
		sgs[nout++] = req->src.sgt.sgl;
	if (op->c && op->dev_len)
		sgs[nout + nin++] = req->dst.sgt.sgl;
	if (op->m) {
		sg_init_one(&dig_sg, req->digest, op->m->digestsize);
		sgs[nout + nin++] = &dig_sg;
	}
	sg_init_one(&st_sg, &req->in.inhdr, sizeof(req->in.inhdr));
	sgs[nout + nin++] = &st_sg;
	/* a status the device never wrote must not read as success */
	req->in.inhdr.status = VIRTIO_CRYPTO_ERR;

	return vcdev_req_submit(vcdev_pick_data_vq(op->ses->dev), req, sgs, nout, nin);
}

/*
 * The completion half, in the caller's context once the device has
 * returned op->req (or there was none): @result is the request's result
 * (0, or -ENODEV when the device went away); then the device's status,
 * the data copied out of bounce pages, the MAC, the next IV.
 */
int vcdev_crypt_complete(struct vcdev_op *op, const struct crypt_op *cop, int result)
{
	struct vcdev_req *req = op->req;
	int ret;

	if (result)
		return result;
	if (!req && op->sw_digest && copy_to_user(cop->mac, op->digest, op->m->digestsize))
		return -EFAULT;
	if (req) {
		ret = vcdev_status_errno(req->in.inhdr.status);
		if (ret)
			return ret;
		if (op->c && !req->dst.pinned) {
			ret = vcdev_buf_copy_out(&req->dst, cop->dst, cop->len);
			if (ret)
				return ret;
		}
		if (op->m && copy_to_user(cop->mac, req->digest, op->m->digestsize))
			return -EFAULT;
		vcdev_next_iv_after(op, req, cop);
	}
	return vcdev_crypt_store_iv(op, cop);
}

/* Drops what @op holds (the request may stay with the device). */
void vcdev_crypt_end(struct vcdev_op *op)
{
	vcdev_req_put(op->req);
	vcdev_session_put(op->ses);
	memzero_explicit(op, sizeof(*op));
}

/* CIOCCRYPT: submit, wait, complete. */
int vcdev_crypt(struct vcdev_file *f, struct crypt_op *cop)
{
	struct vcdev_op op = {};
	int ret;

	ret = vcdev_crypt_prepare(f, &op, cop);
	if (!ret && op.req) {
		ret = vcdev_crypt_queue(&op);
		if (!ret)
			ret = vcdev_req_wait(op.req, true); /* -EINTR: killed */
		/* a restart would find the gathered MAC parts gone: fail instead */
		if (ret == -ERESTARTSYS && op.gathered)
			ret = -EINTR;
	}
	if (!ret)
		ret = vcdev_crypt_complete(&op, cop, 0);
	vcdev_crypt_end(&op);
	return ret;
}
