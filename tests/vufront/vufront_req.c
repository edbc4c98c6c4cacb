// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-crypto data requests for vufront: headers in the wire format of
 * <linux/virtio_crypto.h>, OpenSSL reference results, and the job runner.
 */
#include "vufront_req.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

_Static_assert(sizeof(struct virtio_crypto_op_data_req) == VUF_HDR_LEN, "data request header");

size_t vuf_hdr_cipher(uint8_t *h, uint32_t opcode, uint64_t sid, uint32_t iv_len, uint32_t src_len,
		      uint32_t dst_len)
{
	struct virtio_crypto_op_data_req r;

	memset(&r, 0, sizeof(r));
	r.header.opcode = opcode;
	r.header.session_id = sid;
	r.u.sym_req.op_type = VIRTIO_CRYPTO_SYM_OP_CIPHER;
	r.u.sym_req.u.cipher.para.iv_len = iv_len;
	r.u.sym_req.u.cipher.para.src_data_len = src_len;
	r.u.sym_req.u.cipher.para.dst_data_len = dst_len;
	memcpy(h, &r, sizeof(r));
	return sizeof(r);
}

size_t vuf_hdr_chain(uint8_t *h, uint32_t opcode, uint64_t sid, const struct vuf_chain_para *p)
{
	struct virtio_crypto_op_data_req r;
	struct virtio_crypto_alg_chain_data_para *c = &r.u.sym_req.u.chain.para;

	memset(&r, 0, sizeof(r));
	r.header.opcode = opcode;
	r.header.session_id = sid;
	r.u.sym_req.op_type = VIRTIO_CRYPTO_SYM_OP_ALGORITHM_CHAINING;
	c->iv_len = p->iv_len;
	c->src_data_len = p->src_len;
	c->dst_data_len = p->dst_len;
	c->cipher_start_src_offset = p->cipher_start;
	c->len_to_cipher = p->len_to_cipher;
	c->hash_start_src_offset = p->hash_start;
	c->len_to_hash = p->len_to_hash;
	c->aad_len = p->aad_len;
	c->hash_result_len = p->hash_result_len;
	memcpy(h, &r, sizeof(r));
	return sizeof(r);
}

size_t vuf_hdr_akcipher(uint8_t *h, uint32_t opcode, uint64_t sid, uint32_t src_len,
			uint32_t dst_len)
{
	struct virtio_crypto_op_data_req r;

	memset(&r, 0, sizeof(r));
	r.header.opcode = opcode;
	r.header.algo = VIRTIO_CRYPTO_AKCIPHER_RSA;
	r.header.session_id = sid;
	r.u.akcipher_req.para.src_data_len = src_len;
	r.u.akcipher_req.para.dst_data_len = dst_len;
	memcpy(h, &r, sizeof(r));
	return sizeof(r);
}

static const EVP_CIPHER *vuf_evp_cipher(uint32_t alg, uint32_t keylen)
{
	switch (alg) {
	case VIRTIO_CRYPTO_CIPHER_AES_ECB:
		return keylen == 16   ? EVP_aes_128_ecb()
		       : keylen == 24 ? EVP_aes_192_ecb()
		       : keylen == 32 ? EVP_aes_256_ecb()
				      : NULL;
	case VIRTIO_CRYPTO_CIPHER_AES_CBC:
		return keylen == 16   ? EVP_aes_128_cbc()
		       : keylen == 24 ? EVP_aes_192_cbc()
		       : keylen == 32 ? EVP_aes_256_cbc()
				      : NULL;
	case VIRTIO_CRYPTO_CIPHER_AES_CTR:
		return keylen == 16   ? EVP_aes_128_ctr()
		       : keylen == 24 ? EVP_aes_192_ctr()
		       : keylen == 32 ? EVP_aes_256_ctr()
				      : NULL;
	case VIRTIO_CRYPTO_CIPHER_AES_XTS:
		return keylen == 32 ? EVP_aes_128_xts() : keylen == 64 ? EVP_aes_256_xts() : NULL;
	}
	return NULL;
}

uint32_t vuf_cipher_iv_len(uint32_t alg)
{
	return alg == VIRTIO_CRYPTO_CIPHER_AES_ECB || alg == VIRTIO_CRYPTO_NO_CIPHER ? 0 : 16;
}

const char *vuf_cipher_name(uint32_t alg)
{
	switch (alg) {
	case VIRTIO_CRYPTO_NO_CIPHER:
		return "none";
	case VIRTIO_CRYPTO_CIPHER_AES_ECB:
		return "aes-ecb";
	case VIRTIO_CRYPTO_CIPHER_AES_CBC:
		return "aes-cbc";
	case VIRTIO_CRYPTO_CIPHER_AES_CTR:
		return "aes-ctr";
	case VIRTIO_CRYPTO_CIPHER_AES_XTS:
		return "aes-xts";
	}
	return "?";
}

int vuf_ref_cipher(uint32_t alg, const uint8_t *key, uint32_t keylen, const uint8_t *iv, int enc,
		   const uint8_t *in, size_t len, uint8_t *out)
{
	const EVP_CIPHER *c = vuf_evp_cipher(alg, keylen);
	EVP_CIPHER_CTX *ctx;
	int n1 = 0, n2 = 0, ok;

	if (!c)
		return -1;
	ctx = EVP_CIPHER_CTX_new();
	if (!ctx)
		return -1;
	ok = EVP_CipherInit_ex(ctx, c, NULL, key, iv, enc) == 1 &&
	     EVP_CIPHER_CTX_set_padding(ctx, 0) == 1 &&
	     EVP_CipherUpdate(ctx, out, &n1, in, (int)len) == 1 &&
	     EVP_CipherFinal_ex(ctx, out + n1, &n2) == 1 && (size_t)(n1 + n2) == len;
	EVP_CIPHER_CTX_free(ctx);
	return ok ? 0 : -1;
}

/* VIRTIO_CRYPTO_MAC_HMAC_* and HASH_* share the numbers 1 (MD5) .. 6. */
static const EVP_MD *vuf_evp_md(uint32_t mac_alg)
{
	switch (mac_alg) {
	case VIRTIO_CRYPTO_MAC_HMAC_MD5:
		return EVP_md5();
	case VIRTIO_CRYPTO_MAC_HMAC_SHA1:
		return EVP_sha1();
	case VIRTIO_CRYPTO_MAC_HMAC_SHA_224:
		return EVP_sha224();
	case VIRTIO_CRYPTO_MAC_HMAC_SHA_256:
		return EVP_sha256();
	case VIRTIO_CRYPTO_MAC_HMAC_SHA_384:
		return EVP_sha384();
	case VIRTIO_CRYPTO_MAC_HMAC_SHA_512:
		return EVP_sha512();
	}
	return NULL;
}

unsigned int vuf_mac_len(uint32_t mac_alg)
{
	const EVP_MD *md = vuf_evp_md(mac_alg);

	return md ? (unsigned int)EVP_MD_get_size(md) : 0;
}

const char *vuf_mac_name(uint32_t mac_alg)
{
	switch (mac_alg) {
	case VIRTIO_CRYPTO_MAC_HMAC_MD5:
		return "hmac-md5";
	case VIRTIO_CRYPTO_MAC_HMAC_SHA1:
		return "hmac-sha1";
	case VIRTIO_CRYPTO_MAC_HMAC_SHA_224:
		return "hmac-sha224";
	case VIRTIO_CRYPTO_MAC_HMAC_SHA_256:
		return "hmac-sha256";
	case VIRTIO_CRYPTO_MAC_HMAC_SHA_384:
		return "hmac-sha384";
	case VIRTIO_CRYPTO_MAC_HMAC_SHA_512:
		return "hmac-sha512";
	}
	return "?";
}

const char *vuf_hash_name(uint32_t hash_alg)
{
	switch (hash_alg) {
	case VIRTIO_CRYPTO_HASH_MD5:
		return "md5";
	case VIRTIO_CRYPTO_HASH_SHA1:
		return "sha1";
	case VIRTIO_CRYPTO_HASH_SHA_224:
		return "sha224";
	case VIRTIO_CRYPTO_HASH_SHA_256:
		return "sha256";
	case VIRTIO_CRYPTO_HASH_SHA_384:
		return "sha384";
	case VIRTIO_CRYPTO_HASH_SHA_512:
		return "sha512";
	}
	return "?";
}

int vuf_ref_digest(uint32_t hash_alg, const uint8_t *in, size_t len, uint8_t *out,
		   unsigned int *outlen)
{
	const EVP_MD *md = vuf_evp_md(hash_alg);

	if (!md)
		return -1;
	return EVP_Digest(in, len, out, outlen, md, NULL) == 1 ? 0 : -1;
}

int vuf_ref_hmac(uint32_t mac_alg, const uint8_t *key, uint32_t keylen, const uint8_t *in,
		 size_t len, uint8_t *out, unsigned int *outlen)
{
	const EVP_MD *md = vuf_evp_md(mac_alg);

	if (!md)
		return -1;
	return HMAC(md, key, (int)keylen, in, len, out, outlen) ? 0 : -1;
}

const char *vuf_status_name(unsigned int st)
{
	static const char *const n[] = {"OK",	   "ERR",   "BADMSG",	   "NOTSUPP",
					"INVSESS", "NOSPC", "KEY_REJECTED"};

	return st < sizeof(n) / sizeof(n[0]) ? n[st] : "?";
}

void vuf_job_free(struct vuf_job *j)
{
	free(j->out);
	free(j->expect);
	free(j->in);
	j->out = j->expect = j->in = NULL;
}

bool vuf_job_pass(const struct vuf_job *j)
{
	return j->done && (j->ok_status & VUF_ST(j->status)) && j->data_ok && j->canary_ok &&
	       j->ro_ok;
}

bool vuf_job_complete(struct vuf *v, struct vuf_job *j, uint32_t used_len)
{
	j->used_len = used_len;
	j->done = true;
	vuf_job_check(v, j);
	return vuf_job_pass(j);
}

void vuf_job_check(struct vuf *v, struct vuf_job *j)
{
	j->in = malloc(j->in_len);
	if (!j->in) {
		j->data_ok = false;
		return;
	}
	vuf_gather(v, &j->chain, j->in);
	j->status = j->in[j->in_len - 1];
	j->data_ok = true;
	j->canary_ok = true;
	j->ro_ok = true;
	if (j->status == j->data_status && j->expect_len)
		j->data_ok = !memcmp(j->in, j->expect, j->expect_len);
	/* Nothing but the result and the status may be written. */
	if (j->status == j->data_status) {
		for (size_t i = j->expect_len; i + 1 < j->in_len; i++)
			if (j->in[i] != j->po.canary)
				j->canary_ok = false;
	}
	if (j->used_len > j->in_len)
		j->canary_ok = false;
	/* A device never writes into what the driver gave it to read. */
	{
		size_t off = 0;

		for (unsigned int i = 0; i < j->chain.nseg; i++) {
			const struct vuf_seg *sg = &j->chain.seg[i];

			if (sg->write)
				continue;
			if (off + sg->len > j->out_len ||
			    memcmp(vuf_gpa(v, sg->gpa, sg->len), j->out + off, sg->len))
				j->ro_ok = false;
			off += sg->len;
		}
	}
}

int vuf_run_jobs(struct vuf *v, unsigned int nq, struct vuf_job *jobs, unsigned int n,
		 unsigned int inflight)
{
	unsigned int next[VUF_MAX_QUEUES] = {0}, busy[VUF_MAX_QUEUES] = {0};
	unsigned int done = 0;
	int ret;

	if (!nq || nq > v->nqueues)
		return -EINVAL;
	for (unsigned int i = 0; i < n; i++) {
		ret = vuf_place(v, &jobs[i].chain, jobs[i].out, jobs[i].out_len, jobs[i].in_len,
				&jobs[i].po);
		if (ret)
			return ret;
		jobs[i].done = false;
	}
	for (unsigned int q = 0; q < nq; q++)
		next[q] = q;
	while (done < n) {
		bool progress = false;

		for (unsigned int q = 0; q < nq; q++) {
			struct vuf_vq *vq = &v->vq[q];
			bool added = false;

			while (next[q] < n && busy[q] < inflight) {
				ret = vuf_submit(vq, &jobs[next[q]].chain, &jobs[next[q]]);
				if (ret == -ENOSPC)
					break;
				if (ret)
					return ret;
				next[q] += nq;
				busy[q]++;
				added = true;
			}
			if (added)
				vuf_kick(vq, false);
		}
		for (unsigned int q = 0; q < nq; q++) {
			struct vuf_vq *vq = &v->vq[q];

			while (busy[q]) {
				void *ck;
				uint32_t len;
				/* Block only on the first queue with work if nothing
				 * completed yet this round. */
				int r = vuf_wait(vq, progress ? 0 : v->timeout_ms, &ck, &len);

				if (r < 0)
					return r;
				if (r == 0)
					break;
				vuf_job_complete(v, ck, len);
				busy[q]--;
				done++;
				progress = true;
			}
		}
		if (!progress) {
			snprintf(v->err, sizeof(v->err),
				 "no completion within %d ms (%u of %u done)", v->timeout_ms, done,
				 n);
			return -ETIMEDOUT;
		}
	}
	return 0;
}
