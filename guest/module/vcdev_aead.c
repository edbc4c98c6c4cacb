// SPDX-License-Identifier: GPL-2.0
/*
 * CIOCAUTHCRYPT: cryptodev-linux's authenticated encryption, built from
 * what a virtio-crypto device carries (QEMU answers AEAD session requests
 * NOTSUPP itself, before any backend sees them):
 *
 *   TLS  (COP_FLAG_AEAD_TLS_TYPE)   MAC of auth_src || data on a MAC-only
 *        device session, TLS padding, then the cipher on a cipher-only
 *        device session.
 *   SRTP (COP_FLAG_AEAD_SRTP_TYPE)  CTR on the cipher-only session, then
 *        the MAC of auth_src (which holds the encrypted payload).
 *   GCM  (session cipher CRYPTO_AES_GCM)  the counter mode on the device
 *        (one AES-CTR session; H = E_K(0^128) is taken from it when the
 *        session is created), GHASH in the guest (the crypto API's "ghash").
 *
 * The data is worked on in kernel memory: nothing reaches the caller's
 * dst before the whole operation (and, decrypting, the check of the MAC
 * or tag) has succeeded, so a record that fails to verify releases no
 * plaintext.  A MAC-only session also serves the plain form (MAC of
 * auth_src into tag), as CIOCCRYPT would.
 */
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <crypto/algapi.h>
#include <crypto/hash.h>

#include <crypto/cryptodev.h>

#include "vcdev.h"

#define VCDEV_GCM_IV 12U
#define VCDEV_GCM_TAG 16U
/* cryptodev-linux copies auth_src into one page (TLS and AEAD forms). */
#define VCDEV_AEAD_MAX_AUTH PAGE_SIZE
/* cryptodev-linux: the SRTP payload starts at most this far into auth_src. */
#define VCDEV_SRTP_MAX_DIFF 256

/*
 * GCM's counter increments only the low 32 bits (inc32) while the device's
 * AES-CTR carries into the upper bits.  With a 12-byte IV (the only size
 * gcm(aes) has, so the only one cryptodev-linux uses) J0's low word is 1
 * and the data's counters run from 2 up to 2 + len / 16: they never wrap
 * as long as a request stays below 2^32 - 2 blocks.
 */
static_assert((u64)VCDEV_MAX_DATA_LEN / 16 + 2 < 0xffffffffULL);

/*
 * One request on a device session over @len bytes of kernel memory @buf,
 * which it rewrites in place: a cipher (@mac NULL, algorithm @algo, IV
 * @iv of @ivsize bytes) or a MAC (@mac, digest into @digest).  The data
 * travels in bounce pages the request owns, so a process killed while
 * the device works leaves the device nothing of ours to write into.
 * A CTR tail goes to the device zero-padded to a whole block.
 */
static int vcdev_aead_dev(struct vcdev_session *ses, u64 id, bool dec, u32 algo, const u8 *iv,
			  unsigned int ivsize, const struct vcdev_alg *mac, u8 *buf,
			  unsigned int len, u8 *digest)
{
	struct scatterlist hdr_sg, iv_sg, dig_sg, st_sg, *sgs[6];
	struct virtio_crypto_sym_data_req *sym;
	unsigned int nout = 0, nin = 0, dev_len = len;
	struct vcdev_req *req;
	int ret;

	if (!mac && algo == VIRTIO_CRYPTO_CIPHER_AES_CTR)
		dev_len = round_up(len, 16);
	if ((u64)dev_len * 2 + VCDEV_MAX_IV + VCDEV_MAX_DIGEST > ses->dev->max_size)
		return -EINVAL;
	req = vcdev_req_alloc(GFP_KERNEL);
	if (!req)
		return -ENOMEM;
	req->ses = vcdev_session_get(ses);
	ret = vcdev_buf_bounce(&req->src, dev_len, req->inl);
	if (ret)
		goto out;
	if (req->src.sgt.orig_nents * 2 + 4 > VCDEV_MAX_SEGS) {
		ret = -ENOMEM;
		goto out;
	}
	if (dev_len) {
		sg_copy_from_buffer(req->src.sgt.sgl, req->src.sgt.orig_nents, buf, len);
		if (dev_len > len)
			sg_zero_buffer(req->src.sgt.sgl, req->src.sgt.orig_nents, dev_len - len,
				       len);
	}
	req->in_place = true;
	req->dst = req->src;

	req->hdr.data.header.opcode =
		cpu_to_le32(dec ? VIRTIO_CRYPTO_CIPHER_DECRYPT : VIRTIO_CRYPTO_CIPHER_ENCRYPT);
	req->hdr.data.header.session_id = cpu_to_le64(id);
	sym = &req->hdr.data.u.sym_req;
	if (!mac) {
		req->hdr.data.header.algo = cpu_to_le32(algo);
		sym->op_type = cpu_to_le32(VIRTIO_CRYPTO_SYM_OP_CIPHER);
		sym->u.cipher.para.iv_len = cpu_to_le32(ivsize);
		sym->u.cipher.para.src_data_len = cpu_to_le32(dev_len);
		sym->u.cipher.para.dst_data_len = cpu_to_le32(dev_len);
	} else {
		struct virtio_crypto_alg_chain_data_para *p = &sym->u.chain.para;

		req->hdr.data.header.algo = cpu_to_le32(VIRTIO_CRYPTO_NO_CIPHER);
		sym->op_type = cpu_to_le32(VIRTIO_CRYPTO_SYM_OP_ALGORITHM_CHAINING);
		p->src_data_len = cpu_to_le32(dev_len);
		p->len_to_hash = cpu_to_le32(dev_len);
		p->hash_result_len = cpu_to_le32(mac->digestsize);
		ivsize = 0;
	}

	sg_init_one(&hdr_sg, &req->hdr.data, sizeof(req->hdr.data));
	sgs[nout++] = &hdr_sg;
	if (ivsize) {
		memcpy(req->iv, iv, ivsize);
		sg_init_one(&iv_sg, req->iv, ivsize);
		sgs[nout++] = &iv_sg;
	}
	if (dev_len)
		sgs[nout++] = req->src.sgt.sgl;
	if (!mac && dev_len)
		sgs[nout + nin++] = req->dst.sgt.sgl;
	if (mac) {
		sg_init_one(&dig_sg, req->digest, mac->digestsize);
		sgs[nout + nin++] = &dig_sg;
	}
	sg_init_one(&st_sg, &req->in.inhdr, sizeof(req->in.inhdr));
	sgs[nout + nin++] = &st_sg;
	req->in.inhdr.status = VIRTIO_CRYPTO_ERR;

	ret = vcdev_req_submit(vcdev_pick_data_vq(ses->dev), req, sgs, nout, nin);
	if (ret)
		goto out;
	ret = vcdev_req_wait(req, true);
	if (ret)
		goto out; /* killed: the request (and its pages) stay with the device */
	ret = vcdev_status_errno(req->in.inhdr.status);
	if (ret)
		goto out;
	if (mac)
		memcpy(digest, req->digest, mac->digestsize);
	else if (len)
		sg_copy_to_buffer(req->dst.sgt.sgl, req->dst.sgt.orig_nents, buf, len);
out:
	vcdev_req_put(req);
	return ret;
}

/*
 * A cipher request on the cipher-only device session of @ses: the aux
 * ones of a cipher+MAC session (its enc_id/dec_id chain a MAC), else the
 * session's own.  CTR has one session, used as encrypt both ways.
 */
int vcdev_aead_cipher(struct vcdev_session *ses, bool dec, const u8 *iv, u8 *buf,
		      unsigned int len)
{
	const struct vcdev_alg *c = ses->cipher;
	u64 id;

	if (!len)
		return 0;
	if (ses->mac) {
		dec = dec && ses->has_aux_dec;
		id = dec ? ses->aux_dec_id : ses->aux_enc_id;
	} else {
		dec = dec && ses->has_dec;
		id = dec ? ses->dec_id : ses->enc_id;
	}
	return vcdev_aead_dev(ses, id, dec, c->virtio_alg, iv, c->ivsize, NULL, buf, len, NULL);
}

/* MAC of @a || @b on the session's MAC-only device session. */
int vcdev_aead_mac(struct vcdev_session *ses, const u8 *a, unsigned int alen, const u8 *b,
		   unsigned int blen, u8 *digest)
{
	u8 *msg;
	int ret;

	if (!alen || !blen)
		return vcdev_aead_dev(ses, ses->aux_mac_id, false, 0, NULL, 0, ses->mac,
				      (u8 *)(alen ? a : b), alen + blen, digest);
	msg = kvmalloc(alen + blen, GFP_KERNEL_ACCOUNT);
	if (!msg)
		return -ENOMEM;
	memcpy(msg, a, alen);
	memcpy(msg + alen, b, blen);
	ret = vcdev_aead_dev(ses, ses->aux_mac_id, false, 0, NULL, 0, ses->mac, msg, alen + blen,
			     digest);
	kvfree_sensitive(msg, alen + blen);
	return ret;
}

/* The IV of this request: the caller's, or the one the session carries. */
static int vcdev_aead_load_iv(struct vcdev_session *ses, const struct crypt_auth_op *caop, u8 *iv,
			      unsigned int ivsize)
{
	if (caop->iv)
		return copy_from_user(iv, caop->iv, ivsize) ? -EFAULT : 0;
	spin_lock(&ses->iv_lock);
	memcpy(iv, ses->iv, ivsize);
	spin_unlock(&ses->iv_lock);
	return 0;
}

/* The session carries @next; COP_FLAG_WRITE_IV hands it back as well. */
static int vcdev_aead_store_iv(struct vcdev_session *ses, const struct crypt_auth_op *caop,
			       const u8 *next, unsigned int ivsize)
{
	spin_lock(&ses->iv_lock);
	memcpy(ses->iv, next, ivsize);
	spin_unlock(&ses->iv_lock);
	if (caop->iv && (caop->flags & COP_FLAG_WRITE_IV) && copy_to_user(caop->iv, next, ivsize))
		return -EFAULT;
	return 0;
}

/* 128-bit big-endian counter += n. */
static void vcdev_aead_ctr_add(u8 *ctr, u64 n)
{
	int i;

	for (i = 15; i >= 0 && n; i--) {
		n += ctr[i];
		ctr[i] = n & 0xff;
		n >>= 8;
	}
}

/* The IV the kernel's skcipher leaves after @len bytes (@ct: the ciphertext). */
void vcdev_aead_next_iv(const struct vcdev_alg *c, u8 *iv, const u8 *ct, unsigned int len)
{
	if (!len)
		return;
	if (c->virtio_alg == VIRTIO_CRYPTO_CIPHER_AES_CBC)
		memcpy(iv, ct + len - 16, 16);
	else if (c->virtio_alg == VIRTIO_CRYPTO_CIPHER_AES_CTR)
		vcdev_aead_ctr_add(iv, DIV_ROUND_UP(len, 16));
}

static int vcdev_aead_copy_auth(const struct crypt_auth_op *caop, u8 **auth)
{
	*auth = NULL;
	if (!caop->auth_len || !caop->auth_src)
		return 0;
	*auth = kmalloc(caop->auth_len, GFP_KERNEL_ACCOUNT);
	if (!*auth)
		return -ENOMEM;
	return copy_from_user(*auth, caop->auth_src, caop->auth_len) ? -EFAULT : 0;
}

/*
 * TLS record padding check, without branches on the record's bytes:
 * returns the bytes of padding (pad length byte included) or 0 with
 * *bad set.  The caller MACs as if there were no padding when bad, so
 * the work does not reveal which check failed.
 */
static unsigned int vcdev_tls_unpad(const u8 *rec, unsigned int len, unsigned int tag_len,
				    unsigned int *bad)
{
	unsigned int pad = rec[len - 1], i, n = min(len, 256U);
	unsigned int ok = (pad + 1 + tag_len <= len);
	u8 diff = 0;

	for (i = 1; i <= n; i++) {
		/* byte len - i belongs to the padding when i <= pad + 1 */
		u8 in_pad = (u8)0 - (u8)(i <= pad + 1);

		diff |= in_pad & (rec[len - i] ^ (u8)pad);
	}
	ok &= !diff;
	*bad = !ok;
	return ok ? pad + 1 : 0;
}

static int vcdev_aead_tls(struct vcdev_session *ses, struct crypt_auth_op *caop)
{
	const struct vcdev_alg *c = ses->cipher;
	unsigned int bs = c->blocksize, digestsize = ses->mac ? ses->mac->digestsize : 0;
	bool dec = caop->op == COP_DECRYPT;
	unsigned int len = caop->len, tag_len, out_len, rec_len = 0, bad = 0;
	u8 iv[VCDEV_MAX_IV], digest[VCDEV_MAX_DIGEST];
	u8 *auth = NULL, *rec = NULL;
	int ret;

	if (!caop->tag_len)
		caop->tag_len = digestsize;
	tag_len = caop->tag_len;
	if (tag_len > digestsize || caop->auth_len > VCDEV_AEAD_MAX_AUTH || !caop->dst)
		return -EINVAL;
	if (len > VCDEV_MAX_DATA_LEN)
		return -EINVAL;
	if (dec) {
		/* cryptodev-linux: nothing to decrypt, or not whole blocks */
		if (!len || len % bs || tag_len > len)
			return -EINVAL;
		out_len = len;
	} else {
		out_len = len + tag_len;
		if (bs > 1)
			out_len += bs - out_len % bs;
	}
	ret = vcdev_aead_load_iv(ses, caop, iv, c->ivsize);
	if (ret)
		return ret;
	ret = vcdev_aead_copy_auth(caop, &auth);
	if (ret)
		goto out;
	ret = -ENOMEM;
	rec_len = out_len;
	rec = kvmalloc(rec_len, GFP_KERNEL_ACCOUNT);
	if (!rec)
		goto out;
	ret = -EINVAL; /* cryptodev-linux pins src/dst: a fault there is EINVAL */
	if (copy_from_user(rec, caop->src, len))
		goto out;

	if (!dec) {
		if (ses->mac) {
			ret = vcdev_aead_mac(ses, auth, auth ? caop->auth_len : 0, rec, len,
					     digest);
			if (ret)
				goto out;
			memcpy(rec + len, digest, tag_len);
		}
		if (out_len > len + tag_len) /* pad bytes and pad length: all the same */
			memset(rec + len + tag_len, out_len - len - tag_len - 1,
			       out_len - len - tag_len);
		ret = vcdev_aead_cipher(ses, false, iv, rec, out_len);
		if (ret)
			goto out;
		vcdev_aead_next_iv(c, iv, rec, out_len);
	} else {
		u8 next[VCDEV_MAX_IV];
		unsigned int plen = len - tag_len;

		memcpy(next, iv, c->ivsize);
		vcdev_aead_next_iv(c, next, rec, len);
		ret = vcdev_aead_cipher(ses, true, iv, rec, len);
		if (ret)
			goto out;
		memcpy(iv, next, c->ivsize);
		if (bs > 1)
			plen -= vcdev_tls_unpad(rec, len, tag_len, &bad);
		if (ses->mac) {
			ret = vcdev_aead_mac(ses, auth, auth ? caop->auth_len : 0, rec, plen,
					     digest);
			if (ret)
				goto out;
			bad |= crypto_memneq(digest, rec + plen, tag_len);
		} else {
			bad = 0; /* cryptodev-linux: no MAC, no verdict */
		}
		if (bad) {
			ret = -EBADMSG;
			goto out;
		}
		out_len = plen;
	}
	/* in place, as cryptodev-linux: decrypting leaves the whole record in dst */
	ret = -EINVAL;
	if (copy_to_user(caop->dst, rec, dec ? len : out_len))
		goto out;
	caop->len = out_len;
	ret = vcdev_aead_store_iv(ses, caop, iv, c->ivsize);
out:
	if (rec)
		kvfree_sensitive(rec, rec_len);
	kfree_sensitive(auth);
	memzero_explicit(iv, sizeof(iv));
	memzero_explicit(digest, sizeof(digest));
	return ret;
}

static int vcdev_aead_srtp(struct vcdev_session *ses, struct crypt_auth_op *caop)
{
	const struct vcdev_alg *c = ses->cipher;
	unsigned int digestsize = ses->mac ? ses->mac->digestsize : 0;
	bool dec = caop->op == COP_DECRYPT;
	u8 iv[VCDEV_MAX_IV], digest[VCDEV_MAX_DIGEST], tag[VCDEV_MAX_DIGEST];
	unsigned int len = caop->len, tag_len;
	u8 *pkt = NULL, *payload;
	long diff;
	int ret;

	/* cryptodev-linux: stream ciphers only, the payload inside auth_src */
	if (c->virtio_alg != VIRTIO_CRYPTO_CIPHER_AES_CTR)
		return -EINVAL;
	if (!caop->dst && !caop->auth_src)
		return -EINVAL;
	if (!caop->auth_len || (dec && !len))
		return -EINVAL;
	diff = (long)((unsigned long)caop->src - (unsigned long)caop->auth_src);
	if (diff < 0 || diff > VCDEV_SRTP_MAX_DIFF || caop->auth_len > VCDEV_MAX_DATA_LEN)
		return -EINVAL;
	/* cryptodev-linux would run off its pages: the payload ends inside auth_src */
	if ((u64)diff + len > caop->auth_len)
		return -EINVAL;
	if (!caop->tag_len)
		caop->tag_len = digestsize;
	tag_len = caop->tag_len;
	if (tag_len > digestsize || (dec && tag_len > len) || (!dec && !len && !tag_len))
		return -EINVAL;

	ret = vcdev_aead_load_iv(ses, caop, iv, c->ivsize);
	if (ret)
		return ret;
	ret = -ENOMEM;
	pkt = kvmalloc(caop->auth_len, GFP_KERNEL_ACCOUNT);
	if (!pkt)
		goto out;
	ret = -EINVAL; /* pinned by cryptodev-linux: EINVAL */
	if (copy_from_user(pkt, caop->auth_src, caop->auth_len))
		goto out;
	payload = pkt + diff;

	if (!dec) {
		ret = vcdev_aead_cipher(ses, false, iv, payload, len);
		if (ret)
			goto out;
		if (ses->mac) {
			ret = vcdev_aead_mac(ses, pkt, caop->auth_len, NULL, 0, digest);
			if (ret)
				goto out;
		}
		ret = -EINVAL;
		if (len && copy_to_user(caop->dst, payload, len))
			goto out;
		ret = -EFAULT;
		if (tag_len && copy_to_user(caop->tag, digest, tag_len))
			goto out;
	} else {
		if (ses->mac) {
			ret = -EFAULT;
			if (copy_from_user(tag, caop->tag, tag_len))
				goto out;
			ret = vcdev_aead_mac(ses, pkt, caop->auth_len, NULL, 0, digest);
			if (ret)
				goto out;
			if (crypto_memneq(digest, tag, tag_len)) {
				ret = -EBADMSG;
				goto out;
			}
		}
		ret = vcdev_aead_cipher(ses, true, iv, payload, len);
		if (ret)
			goto out;
		ret = -EINVAL;
		if (copy_to_user(caop->dst, payload, len))
			goto out;
	}
	vcdev_aead_next_iv(c, iv, NULL, len);
	caop->len = len;
	ret = vcdev_aead_store_iv(ses, caop, iv, c->ivsize);
out:
	if (pkt)
		kvfree_sensitive(pkt, caop->auth_len);
	memzero_explicit(iv, sizeof(iv));
	memzero_explicit(digest, sizeof(digest));
	return ret;
}

/* GHASH_H(A || 0* || C || 0* || [len(A)]64 || [len(C)]64), into @out. */
static int vcdev_gcm_ghash(struct crypto_shash *tfm, const u8 *a, unsigned int alen, const u8 *c,
			   unsigned int clen, u8 *out)
{
	static const u8 zeros[16];
	SHASH_DESC_ON_STACK(desc, tfm);
	__be64 lens[2];
	int ret;

	desc->tfm = tfm;
	lens[0] = cpu_to_be64((u64)alen * 8);
	lens[1] = cpu_to_be64((u64)clen * 8);
	ret = crypto_shash_init(desc);
	if (!ret && alen)
		ret = crypto_shash_update(desc, a, alen);
	if (!ret && alen % 16)
		ret = crypto_shash_update(desc, zeros, 16 - alen % 16);
	if (!ret && clen)
		ret = crypto_shash_update(desc, c, clen);
	if (!ret && clen % 16)
		ret = crypto_shash_update(desc, zeros, 16 - clen % 16);
	if (!ret)
		ret = crypto_shash_update(desc, (const u8 *)lens, sizeof(lens));
	if (!ret)
		ret = crypto_shash_final(desc, out);
	shash_desc_zero(desc);
	return ret;
}

static bool vcdev_gcm_tag_len_ok(unsigned int n)
{
	return n == 4 || n == 8 || (n >= 12 && n <= 16); /* as the kernel's gcm(aes) */
}

/*
 * AES-GCM, cryptodev-linux's way: encrypting, dst gets C || T (len +
 * tag_len bytes); decrypting, src holds C || T (len includes the tag)
 * and dst gets P (len - tag_len bytes), only when T verifies.  The
 * device does one CTR request from J0 = IV || 0^31 || 1 over a zero
 * block followed by the data: E_K(J0), then the data with counters from
 * inc32(J0) (no wrap, see the assertion above).
 */
static int vcdev_aead_gcm(struct vcdev_session *ses, struct crypt_auth_op *caop)
{
	bool dec = caop->op == COP_DECRYPT;
	unsigned int tag_len, dlen, buf_len = 0;
	u8 j0[16], s[16], tag[16];
	u8 *auth = NULL, *buf = NULL, *ct = NULL;
	int ret;

	if (!caop->tag_len)
		caop->tag_len = VCDEV_GCM_TAG;
	tag_len = caop->tag_len;
	if (!vcdev_gcm_tag_len_ok(tag_len) || caop->auth_len > VCDEV_AEAD_MAX_AUTH ||
	    caop->len > VCDEV_MAX_DATA_LEN)
		return -EINVAL;
	if (dec && caop->len < tag_len)
		return -EINVAL; /* the kernel's AEAD API: cryptlen below authsize */
	dlen = dec ? caop->len - tag_len : caop->len;

	/* the IV is gcm(aes)'s 12 bytes whatever iv_len says (cryptodev-linux) */
	memset(j0, 0, sizeof(j0));
	ret = vcdev_aead_load_iv(ses, caop, j0, VCDEV_GCM_IV);
	if (ret)
		return ret;
	j0[15] = 1;
	ret = vcdev_aead_copy_auth(caop, &auth);
	if (ret)
		goto out;

	buf_len = 16 + caop->len + VCDEV_GCM_TAG; /* J0 block, data, tag */
	ret = -ENOMEM;
	buf = kvzalloc(buf_len, GFP_KERNEL_ACCOUNT);
	if (!buf)
		goto out;
	ret = -EINVAL; /* cryptodev-linux pins src/dst: a fault there is EINVAL */
	if (caop->len && copy_from_user(buf + 16, caop->src, caop->len))
		goto out;
	if (dec) {
		/* keep C for GHASH: the device request turns buf into P */
		ret = -ENOMEM;
		ct = kvmalloc(caop->len, GFP_KERNEL_ACCOUNT);
		if (!ct)
			goto out;
		memcpy(ct, buf + 16, caop->len);
	}
	ret = vcdev_aead_dev(ses, ses->enc_id, false, VIRTIO_CRYPTO_CIPHER_AES_CTR, j0, 16, NULL,
			     buf, 16 + dlen, NULL);
	if (ret)
		goto out;
	ret = vcdev_gcm_ghash(ses->ghash, auth, auth ? caop->auth_len : 0, dec ? ct : buf + 16,
			      dlen, s);
	if (ret)
		goto out;
	crypto_xor_cpy(tag, s, buf, 16);
	if (dec) {
		if (crypto_memneq(tag, ct + dlen, tag_len)) {
			ret = -EBADMSG;
			goto out;
		}
	} else {
		memcpy(buf + 16 + dlen, tag, tag_len);
	}
	ret = -EINVAL;
	if (copy_to_user(caop->dst, buf + 16, dec ? dlen : dlen + tag_len))
		goto out;
	caop->len = dec ? dlen : dlen + tag_len;
	/* cryptodev-linux points tag at the tag in dst */
	caop->tag = caop->dst + dlen;
	/* gcm(aes) leaves the IV as it was */
	j0[15] = 0;
	ret = vcdev_aead_store_iv(ses, caop, j0, VCDEV_GCM_IV);
out:
	if (buf)
		kvfree_sensitive(buf, buf_len);
	if (ct)
		kvfree_sensitive(ct, caop->len);
	kfree_sensitive(auth);
	memzero_explicit(j0, sizeof(j0));
	memzero_explicit(s, sizeof(s));
	memzero_explicit(tag, sizeof(tag));
	return ret;
}

/*
 * The plain form on a MAC-only session (cryptodev-linux refuses it; we
 * serve it as CIOCCRYPT would): the MAC of auth_src into tag.
 */
static int vcdev_aead_plain_mac(struct vcdev_file *f, struct vcdev_session *ses,
				struct crypt_auth_op *caop)
{
	struct crypt_op cop = {};
	int ret;

	cop.ses = caop->ses;
	cop.op = caop->op;
	cop.len = caop->auth_len;
	cop.src = caop->auth_src;
	cop.mac = caop->tag;
	ret = vcdev_crypt(f, &cop);
	if (!ret && !caop->tag_len)
		caop->tag_len = ses->mac->digestsize;
	return ret;
}

/*
 * CIOCAUTHCRYPT, with cryptodev-linux's checks in its order: op, session,
 * in-place for TLS/SRTP; then SRTP, TLS on a non-AEAD cipher, AEAD (GCM),
 * anything else EINVAL.
 */
int vcdev_authcrypt(struct vcdev_file *f, struct crypt_auth_op *caop)
{
	u16 fl = caop->flags;
	struct vcdev_session *ses;
	int ret = -EINVAL;

	if (caop->op != COP_ENCRYPT && caop->op != COP_DECRYPT)
		return -EINVAL;
	ses = vcdev_lookup(f, caop->ses);
	if (!ses)
		return -EINVAL;
	if ((fl & (COP_FLAG_AEAD_TLS_TYPE | COP_FLAG_AEAD_SRTP_TYPE)) && caop->src != caop->dst)
		goto out;
	if (!ses->cipher) {
		if (ses->mac && !(fl & (COP_FLAG_AEAD_TLS_TYPE | COP_FLAG_AEAD_SRTP_TYPE)))
			ret = vcdev_aead_plain_mac(f, ses, caop);
		goto out;
	}
	if (vcdev_alg_is_null(ses->cipher))
		goto out; /* CRYPTO_NULL (vcdev_crypt.c): no AEAD form */
	if (fl & COP_FLAG_AEAD_SRTP_TYPE) {
		if (!ses->cipher->is_aead)
			ret = vcdev_aead_srtp(ses, caop);
	} else if ((fl & COP_FLAG_AEAD_TLS_TYPE) && !ses->cipher->is_aead) {
		ret = vcdev_aead_tls(ses, caop);
	} else if (ses->cipher->is_aead) {
		ret = vcdev_aead_gcm(ses, caop);
	}
out:
	vcdev_session_put(ses);
	return ret;
}

/* GCM sessions: the GHASH key H = E_K(0^128), from the device. */
int vcdev_aead_session_init(struct vcdev_session *ses)
{
	u8 zero_iv[16] = {}, h[16] = {};
	int ret;

	if (!ses->cipher || !ses->cipher->is_aead)
		return 0;
	ses->ghash = crypto_alloc_shash("ghash", 0, 0);
	if (IS_ERR(ses->ghash)) {
		ret = PTR_ERR(ses->ghash);
		ses->ghash = NULL;
		return ret == -ENOENT ? -EINVAL : ret;
	}
	/* CTR from a zero counter over one zero block is E_K(0^128) */
	ret = vcdev_aead_dev(ses, ses->enc_id, false, VIRTIO_CRYPTO_CIPHER_AES_CTR, zero_iv, 16,
			     NULL, h, 16, NULL);
	if (!ret)
		ret = crypto_shash_setkey(ses->ghash, h, sizeof(h));
	memzero_explicit(h, sizeof(h));
	return ret;
}

/*
 * GCM sessions need the "ghash" shash; the crypto API loads it on demand
 * (crypto-ghash), but the x86 clmul module registers only an ahash of
 * that name: ask modprobe for the generic one up front.
 */
MODULE_SOFTDEP("pre: ghash_generic");

void vcdev_aead_session_fini(struct vcdev_session *ses)
{
	if (ses->ghash)
		crypto_free_shash(ses->ghash);
	ses->ghash = NULL;
}
