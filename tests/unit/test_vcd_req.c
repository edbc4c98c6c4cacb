// SPDX-License-Identifier: MIT
/*
 * vcryptod data requests over modelled guest buffers, OpenSSL engine: every
 * result compared with OpenSSL called directly; every bad request gets its
 * status; the bytes around the result are never touched.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <linux/virtio_crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "aes_cases.h"
#include "crypto_req.h"
#include "vcd_unit.h"

static struct vcd_engine *eng;
static struct vcd_sessions S;
static struct vcd_req_buf B;
static struct vcd_qstats ST;
static struct vcd_chain *C;
static unsigned int rng = 12345;

static unsigned int rnd(unsigned int n)
{
	rng = rng * 1103515245 + 12345;
	return (rng >> 8) % n;
}

/* Splits [p, p+len) into readable or writable segments at random offsets. */
static void add_split(uint8_t *p, size_t len, bool writable)
{
	while (len) {
		size_t n = 1 + rnd((unsigned int)(len < 40 ? len : 40));

		vcd_unit_seg(C, p, (uint32_t)n, writable);
		p += n;
		len -= n;
	}
}

static int64_t run(void)
{
	return vcd_req_process(&S, &B, C, &ST);
}

static int64_t mk_session(const struct vcd_vu_session_632 *m)
{
	struct vcd_sess_params p;
	int ret = vcd_sess_parse(m, sizeof(*m), &p);

	if (ret)
		return ret;
	return vcd_sess_create(&S, &p);
}

static int setup(void **state)
{
	return vcd_unit_open(&eng, &S, &C);
}

static int teardown(void **state)
{
	vcd_unit_close(eng, &S, &B, C);
	return 0;
}

static const EVP_CIPHER *evp_of(uint32_t alg, uint32_t klen)
{
	switch (alg) {
	case VIRTIO_CRYPTO_CIPHER_AES_ECB:
		return klen == 16   ? EVP_aes_128_ecb()
		       : klen == 24 ? EVP_aes_192_ecb()
				    : EVP_aes_256_ecb();
	case VIRTIO_CRYPTO_CIPHER_AES_CBC:
		return klen == 16   ? EVP_aes_128_cbc()
		       : klen == 24 ? EVP_aes_192_cbc()
				    : EVP_aes_256_cbc();
	case VIRTIO_CRYPTO_CIPHER_AES_CTR:
		return klen == 16   ? EVP_aes_128_ctr()
		       : klen == 24 ? EVP_aes_192_ctr()
				    : EVP_aes_256_ctr();
	default:
		return klen == 32 ? EVP_aes_128_xts() : EVP_aes_256_xts();
	}
}

static void ref_cipher(uint32_t alg, const uint8_t *key, uint32_t klen, int enc, const uint8_t *iv,
		       const uint8_t *in, uint8_t *out, int len)
{
	EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
	int n = 0, f = 0;

	assert_true(EVP_CipherInit_ex(x, evp_of(alg, klen), NULL, key, iv, enc));
	EVP_CIPHER_CTX_set_padding(x, 0);
	assert_true(EVP_CipherUpdate(x, out, &n, in, len));
	assert_true(EVP_CipherFinal_ex(x, out + n, &f));
	EVP_CIPHER_CTX_free(x);
}

static void put_hdr(uint8_t *h, uint32_t opcode, uint64_t sid, uint32_t op_type)
{
	struct virtio_crypto_op_data_req *r = (void *)h;

	memset(h, 0, sizeof(*r));
	r->header.opcode = opcode;
	r->header.session_id = sid;
	r->u.sym_req.op_type = op_type;
}

/* Cipher request: readable hdr|iv|src, writable dst (+slack)|status. */
static uint8_t do_cipher_req(uint64_t sid, uint32_t opcode, const uint8_t *iv, uint32_t ivlen,
			     const uint8_t *src, uint32_t len, uint8_t *dst, uint32_t dstlen,
			     size_t slack, int inplace)
{
	uint8_t *rd = malloc(72 + ivlen + len + 1);
	uint8_t *wr = malloc(dstlen + slack + 1);
	struct virtio_crypto_op_data_req *h = (void *)rd;
	uint8_t status;

	put_hdr(rd, opcode, sid, VIRTIO_CRYPTO_SYM_OP_CIPHER);
	h->u.sym_req.u.cipher.para.iv_len = ivlen;
	h->u.sym_req.u.cipher.para.src_data_len = len;
	h->u.sym_req.u.cipher.para.dst_data_len = dstlen;
	if (ivlen)
		memcpy(rd + 72, iv, ivlen);
	memset(wr, 0xee, dstlen + slack + 1);
	vcd_unit_chain_reset(C);
	add_split(rd, 72 + ivlen, false);
	if (inplace) {
		/* src and dst are the same guest bytes, as in the kernel's self-test */
		memcpy(wr, src, len);
		add_split(wr, len, false);
	} else {
		memcpy(rd + 72 + ivlen, src, len);
		add_split(rd + 72 + ivlen, len, false);
	}
	add_split(wr, dstlen + slack, true);
	add_split(wr + dstlen + slack, 1, true);
	assert_true(run() > 0);
	status = wr[dstlen + slack];
	if (status == VIRTIO_CRYPTO_OK)
		memcpy(dst, wr, dstlen);
	/* nothing between the result and the status is written */
	for (size_t i = 0; i < slack; i++)
		assert_int_equal(wr[dstlen + i], 0xee);
	free(rd);
	free(wr);
	return status;
}

static void ciphers_match_openssl(void **state)
{
	uint8_t key[64], iv[16], src[1000], got[1000], want[1000];

	for (size_t k = 0; k < AES_NCASES; k++) {
		for (int dir = 1; dir <= 2; dir++) {
			struct vcd_vu_session_632 m = {0};
			uint32_t ivlen = aes_cases[k].alg == VIRTIO_CRYPTO_CIPHER_AES_ECB ? 0 : 16;
			int64_t sid;

			RAND_bytes(key, sizeof(key));
			m.info.op_type = VIRTIO_CRYPTO_SYM_OP_CIPHER;
			m.info.cipher_alg = aes_cases[k].alg;
			m.info.key_len = aes_cases[k].keylen;
			m.info.direction = (uint8_t)dir;
			memcpy(m.key, key, aes_cases[k].keylen);
			sid = mk_session(&m);
			assert_true(sid > 0);
			for (int round = 0; round < 6; round++) {
				uint32_t len = 16 * (1 + rnd(60));

				if (aes_cases[k].alg == VIRTIO_CRYPTO_CIPHER_AES_CTR ||
				    aes_cases[k].alg == VIRTIO_CRYPTO_CIPHER_AES_XTS)
					len += rnd(16); /* no block multiple needed */
				RAND_bytes(iv, 16);
				RAND_bytes(src, (int)len);
				ref_cipher(aes_cases[k].alg, key, aes_cases[k].keylen, dir == 1, iv, src,
					   want, (int)len);
				assert_int_equal(do_cipher_req((uint64_t)sid,
							       VIRTIO_CRYPTO_CIPHER_ENCRYPT, iv,
							       ivlen, src, len, got, len,
							       rnd(3) * 7, round & 1),
						 VIRTIO_CRYPTO_OK);
				assert_memory_equal(got, want, len);
			}
			assert_int_equal(vcd_sess_close(&S, (uint64_t)sid), 0);
		}
	}
}

/* Unsplit buffers take the zero-copy path: same results, same rules. */
static void zero_copy_path(void **state)
{
	struct vcd_vu_session_632 m = {0};
	uint8_t key[32], iv[16], src[4096], want[4096];
	uint8_t *mem = malloc(72 + 16 + 4096 + 4096 + 64);
	struct virtio_crypto_op_data_req *h = (void *)mem;
	uint8_t *ivp = mem + 72, *sp = mem + 88, *dp = mem + 88 + 4096;
	uint8_t *status = mem + 88 + 8192 + 8;
	int64_t sid;

	RAND_bytes(key, 32);
	m.info.op_type = VIRTIO_CRYPTO_SYM_OP_CIPHER;
	m.info.cipher_alg = VIRTIO_CRYPTO_CIPHER_AES_CBC;
	m.info.key_len = 32;
	m.info.direction = VIRTIO_CRYPTO_OP_DECRYPT;
	memcpy(m.key, key, 32);
	sid = mk_session(&m);
	assert_true(sid > 0);
	for (int mode = 0; mode < 3; mode++) {
		uint8_t *d = mode == 0	 ? dp
			     : mode == 1 ? sp
					 : sp + 16; /* disjoint, same, overlap */

		RAND_bytes(iv, 16);
		RAND_bytes(src, sizeof(src));
		ref_cipher(VIRTIO_CRYPTO_CIPHER_AES_CBC, key, 32, 0, iv, src, want, 4096);
		put_hdr(mem, VIRTIO_CRYPTO_CIPHER_DECRYPT, (uint64_t)sid,
			VIRTIO_CRYPTO_SYM_OP_CIPHER);
		h->u.sym_req.u.cipher.para = (struct virtio_crypto_cipher_para){16, 4096, 4096, 0};
		memcpy(ivp, iv, 16);
		memcpy(sp, src, 4096);
		memset(d + 4096, 0xee, 8);
		vcd_unit_chain_reset(C);
		C->segs[0] = (struct vcd_seg){mem, 72 + 16 + 4096};
		C->segs[1] = (struct vcd_seg){d, 4096 + 8}; /* longer than dst */
		C->segs[2] = (struct vcd_seg){status, 1};
		C->nin = 1;
		C->nout = 2;
		C->in_len = 72 + 16 + 4096;
		C->out_len = 4096 + 8 + 1;
		*status = 0xff;
		assert_int_equal(run(), 4097);
		assert_int_equal(*status, VIRTIO_CRYPTO_OK);
		assert_memory_equal(d, want, 4096);
		for (int i = 0; i < 8; i++)
			assert_int_equal(d[4096 + i], mode == 2 && i < 16 ? d[4096 + i] : 0xee);
		/* a partial block is refused on this path too */
		h->u.sym_req.u.cipher.para = (struct virtio_crypto_cipher_para){16, 4008, 4008, 0};
		memcpy(sp, src, 4096);
		run();
		assert_int_equal(*status, VIRTIO_CRYPTO_BADMSG);
	}
	free(mem);
}

static void hmac_ref(uint32_t alg, const uint8_t *key, int klen, const uint8_t *a, size_t alen,
		     const uint8_t *d, size_t dlen, uint8_t *out)
{
	const EVP_MD *md = alg == 1   ? EVP_md5()
			   : alg == 2 ? EVP_sha1()
			   : alg == 3 ? EVP_sha224()
			   : alg == 4 ? EVP_sha256()
			   : alg == 5 ? EVP_sha384()
				      : EVP_sha512();
	uint8_t *cat = malloc(alen + dlen + 1);
	unsigned int n;

	if (alen)
		memcpy(cat, a, alen);
	memcpy(cat + alen, d, dlen);
	if (key)
		HMAC(md, key, klen, cat, alen + dlen, out, &n);
	else
		EVP_Digest(cat, alen + dlen, out, &n, md, NULL);
	free(cat);
}

/* Chaining request; returns status, result in dst/digest. */
static uint8_t do_chain_req(uint64_t sid, const uint8_t *iv, uint32_t ivlen, const uint8_t *aad,
			    uint32_t aadlen, const uint8_t *src, uint32_t len, uint32_t dstlen,
			    uint32_t c_off, uint32_t c_len, uint32_t h_off, uint32_t h_len,
			    uint32_t hlen, uint8_t *dst, uint8_t *digest)
{
	uint8_t *rd = malloc(72 + ivlen + aadlen + len + 1);
	uint8_t *wr = malloc(dstlen + hlen + 1);
	struct virtio_crypto_alg_chain_data_para *pa;
	uint8_t status;

	put_hdr(rd, VIRTIO_CRYPTO_CIPHER_ENCRYPT, sid, VIRTIO_CRYPTO_SYM_OP_ALGORITHM_CHAINING);
	pa = &((struct virtio_crypto_op_data_req *)rd)->u.sym_req.u.chain.para;
	*pa = (struct virtio_crypto_alg_chain_data_para){
		.iv_len = ivlen,
		.src_data_len = len,
		.dst_data_len = dstlen,
		.cipher_start_src_offset = c_off,
		.len_to_cipher = c_len,
		.hash_start_src_offset = h_off,
		.len_to_hash = h_len,
		.aad_len = aadlen,
		.hash_result_len = hlen,
	};
	if (ivlen)
		memcpy(rd + 72, iv, ivlen);
	if (aadlen)
		memcpy(rd + 72 + ivlen, aad, aadlen);
	memcpy(rd + 72 + ivlen + aadlen, src, len);
	vcd_unit_chain_reset(C);
	add_split(rd, 72 + ivlen + aadlen + len, false);
	add_split(wr, dstlen + hlen + 1, true);
	assert_true(run() > 0);
	status = wr[dstlen + hlen];
	memcpy(dst, wr, dstlen);
	memcpy(digest, wr + dstlen, hlen);
	free(rd);
	free(wr);
	return status;
}

static void chaining_both_orders(void **state)
{
	static const unsigned int dl[] = {0, 16, 20, 28, 32, 48, 64};
	uint8_t key[32], akey[100], iv[16], aad[20], src[512], out[512], want[512];
	uint8_t dg[64], wdg[64];

	for (uint32_t h = VIRTIO_CRYPTO_MAC_HMAC_MD5; h <= VIRTIO_CRYPTO_MAC_HMAC_SHA_512; h++) {
		for (int order = 1; order <= 2; order++) {
			for (int dir = 1; dir <= 2; dir++) {
				struct vcd_vu_session_632 m = {0};
				uint32_t len = 256, hlen = dl[h] - (h & 1) * 4;
				int64_t sid;

				RAND_bytes(key, 32);
				RAND_bytes(akey, sizeof(akey));
				RAND_bytes(iv, 16);
				RAND_bytes(aad, sizeof(aad));
				RAND_bytes(src, (int)len);
				m.info.op_type = VIRTIO_CRYPTO_SYM_OP_ALGORITHM_CHAINING;
				m.info.cipher_alg = VIRTIO_CRYPTO_CIPHER_AES_CBC;
				m.info.key_len = 32;
				m.info.direction = (uint8_t)dir;
				m.info.hash_mode = VIRTIO_CRYPTO_SYM_HASH_MODE_AUTH;
				m.info.alg_chain_order = (uint8_t)order;
				m.info.hash_alg = h;
				m.info.hash_result_len = hlen; /* truncated for odd ones */
				m.info.auth_key_len = 37 + h * 10; /* > block size for 512 */
				memcpy(m.key, key, 32);
				memcpy(m.auth_key, akey, m.info.auth_key_len);
				sid = mk_session(&m);
				assert_true(sid > 0);
				/* cipher bytes 32..224, MAC over bytes 16..256 */
				memcpy(want, src, len);
				ref_cipher(VIRTIO_CRYPTO_CIPHER_AES_CBC, key, 32, dir == 1, iv,
					   src + 32, want + 32, 192);
				hmac_ref(
					h, akey, (int)m.info.auth_key_len, aad, sizeof(aad),
					(order == VIRTIO_CRYPTO_SYM_ALG_CHAIN_ORDER_HASH_THEN_CIPHER
						 ? src
						 : want) +
						16,
					240, wdg);
				assert_int_equal(do_chain_req((uint64_t)sid, iv, 16, aad,
							      sizeof(aad), src, len, len, 32, 192,
							      16, 240, hlen, out, dg),
						 VIRTIO_CRYPTO_OK);
				assert_memory_equal(out, want, len);
				assert_memory_equal(dg, wdg, hlen);
				vcd_sess_close(&S, (uint64_t)sid);
			}
		}
	}
}

static void mac_only_and_plain_hash(void **state)
{
	struct vcd_vu_session_632 m = {0};
	uint8_t akey[64], src[300], dg[64], wdg[64], out[300];
	int64_t sid;

	RAND_bytes(akey, sizeof(akey));
	RAND_bytes(src, sizeof(src));
	m.info.op_type = VIRTIO_CRYPTO_SYM_OP_ALGORITHM_CHAINING;
	m.info.cipher_alg = VIRTIO_CRYPTO_NO_CIPHER;
	m.info.hash_mode = VIRTIO_CRYPTO_SYM_HASH_MODE_AUTH;
	m.info.alg_chain_order = VIRTIO_CRYPTO_SYM_ALG_CHAIN_ORDER_HASH_THEN_CIPHER;
	m.info.hash_alg = VIRTIO_CRYPTO_MAC_HMAC_SHA_256;
	m.info.hash_result_len = 32;
	m.info.auth_key_len = 64;
	memcpy(m.auth_key, akey, 64);
	sid = mk_session(&m);
	assert_true(sid > 0);
	/* no destination: the MAC only */
	assert_int_equal(do_chain_req((uint64_t)sid, NULL, 0, NULL, 0, src, 300, 0, 0, 0, 0, 300,
				      32, out, dg),
			 VIRTIO_CRYPTO_OK);
	hmac_ref(4, akey, 64, NULL, 0, src, 300, wdg);
	assert_memory_equal(dg, wdg, 32);
	/* with dst == src the data is copied through */
	assert_int_equal(do_chain_req((uint64_t)sid, NULL, 0, NULL, 0, src, 300, 300, 0, 0, 0, 300,
				      32, out, dg),
			 VIRTIO_CRYPTO_OK);
	assert_memory_equal(out, src, 300);
	assert_memory_equal(dg, wdg, 32);
	/* a dst of another length is refused */
	assert_int_equal(do_chain_req((uint64_t)sid, NULL, 0, NULL, 0, src, 300, 100, 0, 0, 0, 300,
				      32, out, dg),
			 VIRTIO_CRYPTO_BADMSG);
	/* hash range outside src */
	assert_int_equal(do_chain_req((uint64_t)sid, NULL, 0, NULL, 0, src, 300, 0, 0, 0, 200, 101,
				      32, out, dg),
			 VIRTIO_CRYPTO_BADMSG);
	assert_int_equal(do_chain_req((uint64_t)sid, NULL, 0, NULL, 0, src, 300, 0, 0, 0,
				      UINT32_MAX, 2, 32, out, dg),
			 VIRTIO_CRYPTO_BADMSG);
	/* hash_result_len other than the session's */
	assert_int_equal(do_chain_req((uint64_t)sid, NULL, 0, NULL, 0, src, 300, 0, 0, 0, 0, 300,
				      20, out, dg),
			 VIRTIO_CRYPTO_BADMSG);

	/* plain SHA-512 */
	m.info.hash_mode = VIRTIO_CRYPTO_SYM_HASH_MODE_PLAIN;
	m.info.hash_alg = VIRTIO_CRYPTO_HASH_SHA_512;
	m.info.hash_result_len = 64;
	m.info.auth_key_len = 0;
	sid = mk_session(&m);
	assert_true(sid > 0);
	assert_int_equal(do_chain_req((uint64_t)sid, NULL, 0, NULL, 0, src, 300, 0, 0, 0, 10, 290,
				      64, out, dg),
			 VIRTIO_CRYPTO_OK);
	hmac_ref(6, NULL, 0, NULL, 0, src + 10, 290, wdg);
	assert_memory_equal(dg, wdg, 64);

	/* plain MD5: RFC 1321's "abc", then random data against OpenSSL */
	m.info.hash_alg = VIRTIO_CRYPTO_HASH_MD5;
	m.info.hash_result_len = 16;
	sid = mk_session(&m);
	assert_true(sid > 0);
	assert_int_equal(do_chain_req((uint64_t)sid, NULL, 0, NULL, 0, (const uint8_t *)"abc", 3, 0,
				      0, 0, 0, 3, 16, out, dg),
			 VIRTIO_CRYPTO_OK);
	assert_memory_equal(dg, "\x90\x01\x50\x98\x3c\xd2\x4f\xb0\xd6\x96\x3f\x7d\x28\xe1\x7f\x72",
			    16);
	assert_int_equal(do_chain_req((uint64_t)sid, NULL, 0, src, 7, src + 7, 293, 0, 0, 0, 3, 290,
				      16, out, dg),
			 VIRTIO_CRYPTO_OK);
	hmac_ref(1, NULL, 0, src, 7, src + 10, 290, wdg);
	assert_memory_equal(dg, wdg, 16);
	/* a hash_result_len longer than MD5's digest: no session */
	m.info.hash_result_len = 17;
	assert_int_equal(mk_session(&m), -EINVAL);

	/* MAC only, HMAC-MD5: RFC 2202 test case 2 */
	m.info.hash_mode = VIRTIO_CRYPTO_SYM_HASH_MODE_AUTH;
	m.info.hash_alg = VIRTIO_CRYPTO_MAC_HMAC_MD5;
	m.info.hash_result_len = 16;
	m.info.auth_key_len = 4;
	memcpy(m.auth_key, "Jefe", 4);
	sid = mk_session(&m);
	assert_true(sid > 0);
	assert_int_equal(do_chain_req((uint64_t)sid, NULL, 0, NULL, 0,
				      (const uint8_t *)"what do ya want for nothing?", 28, 0, 0, 0,
				      0, 28, 16, out, dg),
			 VIRTIO_CRYPTO_OK);
	assert_memory_equal(dg, "\x75\x0c\x78\x3e\x6a\xb0\xb5\x03\xea\xa8\x6e\x31\x0a\x5d\xb7\x38",
			    16);
}

static void bad_requests_get_status(void **state)
{
	struct vcd_vu_session_632 m = {0};
	uint8_t iv[16] = {0}, src[64] = {0}, out[64];
	uint8_t rd[200], wr[100];
	int64_t sid;

	m.info.op_type = VIRTIO_CRYPTO_SYM_OP_CIPHER;
	m.info.cipher_alg = VIRTIO_CRYPTO_CIPHER_AES_CBC;
	m.info.key_len = 16;
	m.info.direction = 1;
	sid = mk_session(&m);
	assert_true(sid > 0);
	/* wrong iv length, partial block, dst != src, dst bigger than writable */
	assert_int_equal(do_cipher_req((uint64_t)sid, 0, iv, 8, src, 64, out, 64, 0, 0),
			 VIRTIO_CRYPTO_BADMSG);
	assert_int_equal(do_cipher_req((uint64_t)sid, 0, iv, 16, src, 60, out, 60, 0, 0),
			 VIRTIO_CRYPTO_BADMSG);
	assert_int_equal(do_cipher_req((uint64_t)sid, 0, iv, 16, src, 64, out, 48, 0, 0),
			 VIRTIO_CRYPTO_BADMSG);
	/* never-created and closed sessions */
	assert_int_equal(do_cipher_req(999, 0, iv, 16, src, 64, out, 64, 0, 0),
			 VIRTIO_CRYPTO_INVSESS);
	assert_int_equal(vcd_sess_close(&S, (uint64_t)sid), 0);
	assert_int_equal(do_cipher_req((uint64_t)sid, 0, iv, 16, src, 64, out, 64, 0, 0),
			 VIRTIO_CRYPTO_INVSESS);
	sid = mk_session(&m);

	/* lengths beyond what the chain holds (hostile src/dst lengths) */
	memset(rd, 0, sizeof(rd));
	put_hdr(rd, VIRTIO_CRYPTO_CIPHER_ENCRYPT, (uint64_t)sid, VIRTIO_CRYPTO_SYM_OP_CIPHER);
	((struct virtio_crypto_op_data_req *)rd)->u.sym_req.u.cipher.para =
		(struct virtio_crypto_cipher_para){16, UINT32_MAX - 8, UINT32_MAX - 8, 0};
	vcd_unit_chain_reset(C);
	add_split(rd, 200, false);
	add_split(wr, 100, true);
	assert_true(run() > 0);
	assert_int_equal(wr[99], VIRTIO_CRYPTO_BADMSG);

	/* truncated header */
	vcd_unit_chain_reset(C);
	add_split(rd, 71, false);
	add_split(wr, 100, true);
	assert_int_equal(run(), 1);
	assert_int_equal(wr[99], VIRTIO_CRYPTO_BADMSG);

	/* opcodes: hash, mac, aead, unknown -> NOTSUPP */
	{
		static const uint32_t ops[] = {VIRTIO_CRYPTO_HASH, VIRTIO_CRYPTO_MAC,
					       VIRTIO_CRYPTO_AEAD_ENCRYPT, 0xffff, 0x4ff};

		for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
			put_hdr(rd, ops[i], (uint64_t)sid, 1);
			vcd_unit_chain_reset(C);
			add_split(rd, 200, false);
			add_split(wr, 100, true);
			assert_true(run() > 0);
			assert_int_equal(wr[99], VIRTIO_CRYPTO_NOTSUPP);
		}
	}
	/* op_type that does not match the session */
	put_hdr(rd, VIRTIO_CRYPTO_CIPHER_ENCRYPT, (uint64_t)sid, 2);
	vcd_unit_chain_reset(C);
	add_split(rd, 200, false);
	add_split(wr, 100, true);
	assert_true(run() > 0);
	assert_int_equal(wr[99], VIRTIO_CRYPTO_BADMSG);
	/* akcipher opcode on a cipher session */
	put_hdr(rd, VIRTIO_CRYPTO_AKCIPHER_ENCRYPT, (uint64_t)sid, 0);
	vcd_unit_chain_reset(C);
	add_split(rd, 200, false);
	add_split(wr, 100, true);
	assert_true(run() > 0);
	assert_int_equal(wr[99], VIRTIO_CRYPTO_INVSESS);
	/* no writable byte at all: no status possible, the caller drops */
	vcd_unit_chain_reset(C);
	add_split(rd, 200, false);
	assert_true(run() < 0);
	assert_true(ST.dropped > 0);
	assert_true(ST.status[VIRTIO_CRYPTO_BADMSG] > 0);
	assert_true(ST.status[VIRTIO_CRYPTO_NOTSUPP] >= 5);
}

static void rsa_services(void **state)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
	struct vcd_vu_session_1072 m = {0};
	struct vcd_sess_params p;
	uint8_t *der = NULL, msg[128], ct[128], rd[400], wr[200], dg[32];
	int64_t priv, pub, priv_raw;
	size_t n;
	int len;

	vcd_unit_rsa_msg(&m, k);
	assert_int_equal(vcd_sess_parse(&m, sizeof(m), &p), 0);
	priv = vcd_sess_create(&S, &p);
	assert_true(priv > 0);
	m.u.asym.info.rsa_padding_algo = VIRTIO_CRYPTO_RSA_RAW_PADDING;
	assert_int_equal(vcd_sess_parse(&m, sizeof(m), &p), 0);
	priv_raw = vcd_sess_create(&S, &p);
	assert_true(priv_raw > 0);
	m.u.asym.info.rsa_padding_algo = VIRTIO_CRYPTO_RSA_PKCS1_PADDING;
	der = NULL;
	len = i2d_PublicKey(k, &der);
	memset(m.u.asym.key, 0, sizeof(m.u.asym.key));
	memcpy(m.u.asym.key, der, (size_t)len);
	OPENSSL_free(der);
	m.u.asym.info.keylen = (uint32_t)len;
	m.u.asym.info.keytype = VIRTIO_CRYPTO_AKCIPHER_KEY_TYPE_PUBLIC;
	assert_int_equal(vcd_sess_parse(&m, sizeof(m), &p), 0);
	pub = vcd_sess_create(&S, &p);
	assert_true(pub > 0);

	/* a garbage key is refused at session creation */
	m.u.asym.key[0] ^= 0xff;
	assert_int_equal(vcd_sess_parse(&m, sizeof(m), &p), 0);
	assert_true(vcd_sess_create(&S, &p) < 0);

#define AK(op, sid, s, d)                                         \
	do {                                                      \
		struct virtio_crypto_op_data_req *h = (void *)rd; \
		memset(rd, 0, 72);                                \
		h->header.opcode = (op);                          \
		h->header.session_id = (uint64_t)(sid);           \
		h->u.akcipher_req.para.src_data_len = (s);        \
		h->u.akcipher_req.para.dst_data_len = (d);        \
	} while (0)

	/* encrypt with the public key, decrypt with the private key */
	RAND_bytes(msg, sizeof(msg));
	AK(VIRTIO_CRYPTO_AKCIPHER_ENCRYPT, pub, 40, 128);
	memcpy(rd + 72, msg, 40);
	vcd_unit_chain_reset(C);
	add_split(rd, 72 + 40, false);
	add_split(wr, 129, true);
	assert_int_equal(run(), 129);
	assert_int_equal(wr[128], VIRTIO_CRYPTO_OK);
	memcpy(ct, wr, 128);
	AK(VIRTIO_CRYPTO_AKCIPHER_DECRYPT, priv, 128, 128);
	memcpy(rd + 72, ct, 128);
	vcd_unit_chain_reset(C);
	add_split(rd, 72 + 128, false);
	add_split(wr, 129, true);
	assert_int_equal(run(), 41); /* the plaintext length + status */
	assert_int_equal(wr[128], VIRTIO_CRYPTO_OK);
	assert_memory_equal(wr, msg, 40);
	/* a dst just big enough for the plaintext (smaller than the modulus) */
	AK(VIRTIO_CRYPTO_AKCIPHER_DECRYPT, priv, 128, 40);
	vcd_unit_chain_reset(C);
	add_split(rd, 72 + 128, false);
	add_split(wr, 41, true);
	assert_int_equal(run(), 41);
	assert_int_equal(wr[40], VIRTIO_CRYPTO_OK);
	assert_memory_equal(wr, msg, 40);
	/* one byte too small */
	AK(VIRTIO_CRYPTO_AKCIPHER_DECRYPT, priv, 128, 39);
	vcd_unit_chain_reset(C);
	add_split(rd, 72 + 128, false);
	add_split(wr, 40, true);
	run();
	assert_int_equal(wr[39], VIRTIO_CRYPTO_BADMSG);
	/* decrypting with a public-key session is refused */
	AK(VIRTIO_CRYPTO_AKCIPHER_DECRYPT, pub, 128, 128);
	vcd_unit_chain_reset(C);
	add_split(rd, 72 + 128, false);
	add_split(wr, 129, true);
	run();
	assert_int_equal(wr[128], VIRTIO_CRYPTO_BADMSG);

	/* sign a SHA-256 digest (PKCS#1 v1.5), check with OpenSSL, then verify */
	RAND_bytes(dg, sizeof(dg));
	AK(VIRTIO_CRYPTO_AKCIPHER_SIGN, priv, 32, 128);
	memcpy(rd + 72, dg, 32);
	vcd_unit_chain_reset(C);
	add_split(rd, 72 + 32, false);
	add_split(wr, 129, true);
	assert_int_equal(run(), 129);
	assert_int_equal(wr[128], VIRTIO_CRYPTO_OK);
	{
		EVP_PKEY_CTX *x = EVP_PKEY_CTX_new(k, NULL);

		assert_int_equal(EVP_PKEY_verify_init(x), 1);
		EVP_PKEY_CTX_set_rsa_padding(x, RSA_PKCS1_PADDING);
		EVP_PKEY_CTX_set_signature_md(x, EVP_sha256());
		assert_int_equal(EVP_PKEY_verify(x, wr, 128, dg, 32), 1);
		EVP_PKEY_CTX_free(x);
	}
	memcpy(ct, wr, 128);
	AK(VIRTIO_CRYPTO_AKCIPHER_VERIFY, pub, 128, 32);
	memcpy(rd + 72, ct, 128);
	memcpy(rd + 72 + 128, dg, 32);
	vcd_unit_chain_reset(C);
	add_split(rd, 72 + 160, false);
	add_split(wr, 1, true);
	assert_int_equal(run(), 1);
	assert_int_equal(wr[0], VIRTIO_CRYPTO_OK);
	rd[72 + 128] ^= 1; /* another digest */
	vcd_unit_chain_reset(C);
	add_split(rd, 72 + 160, false);
	add_split(wr, 1, true);
	run();
	assert_int_equal(wr[0], VIRTIO_CRYPTO_KEY_REJECTED);

	/* raw RSA: private op then public op gives the input back */
	memset(msg, 0, sizeof(msg));
	RAND_bytes(msg + 1, 127);
	AK(VIRTIO_CRYPTO_AKCIPHER_SIGN, priv_raw, 128, 128);
	memcpy(rd + 72, msg, 128);
	vcd_unit_chain_reset(C);
	add_split(rd, 72 + 128, false);
	add_split(wr, 129, true);
	run();
	assert_int_equal(wr[128], VIRTIO_CRYPTO_OK);
	{
		EVP_PKEY_CTX *x = EVP_PKEY_CTX_new(k, NULL);
		uint8_t back[128];

		n = sizeof(back);
		assert_int_equal(EVP_PKEY_verify_recover_init(x), 1);
		EVP_PKEY_CTX_set_rsa_padding(x, RSA_NO_PADDING);
		assert_int_equal(EVP_PKEY_verify_recover(x, back, &n, wr, 128), 1);
		assert_int_equal(n, 128);
		assert_memory_equal(back, msg, 128);
		EVP_PKEY_CTX_free(x);
	}
	/* output bigger than dst: refused */
	AK(VIRTIO_CRYPTO_AKCIPHER_ENCRYPT, pub, 40, 64);
	vcd_unit_chain_reset(C);
	add_split(rd, 72 + 40, false);
	add_split(wr, 65, true);
	run();
	assert_int_equal(wr[64], VIRTIO_CRYPTO_BADMSG);
	EVP_PKEY_free(k);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ciphers_match_openssl),
		cmocka_unit_test(zero_copy_path),
		cmocka_unit_test(chaining_both_orders),
		cmocka_unit_test(mac_only_and_plain_hash),
		cmocka_unit_test(bad_requests_get_status),
		cmocka_unit_test(rsa_services),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests_name("vcryptod data requests", tests, setup, teardown);
}
