// SPDX-License-Identifier: MIT
/*
 * libFuzzer target: vcryptod's data path over modelled guest memory. The
 * input is the guest RAM (descriptor table, avail ring, buffers, request
 * headers) of a 16-entry queue with sessions already created (AES-CBC
 * encrypt id 0x100000001, an HMAC-SHA256 chain 0x200000002, AES-XTS
 * 0x300000003, MAC-only 0x400000004, RSA-1024 private PKCS#1/SHA-256
 * 0x500000005, RSA public raw 0x600000006); the worker's loop runs over it:
 * pop, process, push, publish.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/virtio_crypto.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "crypto_req.h"
#include "fuzz_seed.h"

#define GPA 0x10000
#define UVA 0x7f000000ull
#define RAM 16384
#define NUM 16

static struct vcd_engine *eng;
static struct vcd_sessions sess;
static struct vcd_chain *chain;
static struct vcd_req_buf buf;
static struct vcd_qstats st;
static uint8_t *ram;

static void add(uint8_t op, uint32_t cipher, uint32_t klen, uint32_t hash, uint32_t hlen)
{
	struct vcd_vu_session_632 m = {0};
	struct vcd_sess_params p;

	m.info.op_type = op;
	m.info.cipher_alg = cipher;
	m.info.key_len = klen;
	m.info.direction = VIRTIO_CRYPTO_OP_ENCRYPT;
	m.info.hash_alg = hash;
	m.info.hash_result_len = hlen;
	m.info.hash_mode = VIRTIO_CRYPTO_SYM_HASH_MODE_AUTH;
	m.info.alg_chain_order = VIRTIO_CRYPTO_SYM_ALG_CHAIN_ORDER_CIPHER_THEN_HASH;
	m.info.auth_key_len = 20;
	for (int i = 0; i < 64; i++)
		m.key[i] = (uint8_t)(i * 7 + 1);
	if (vcd_sess_parse(&m, sizeof(m), &p) || vcd_sess_create(&sess, &p) < 0)
		abort();
}

static void add_rsa(EVP_PKEY *k, int priv, uint32_t padding)
{
	struct vcd_vu_session_1072 m = {0};
	struct vcd_sess_params p;
	uint8_t *der = NULL;
	int len = priv ? i2d_PrivateKey(k, &der) : i2d_PublicKey(k, &der);

	if (len <= 0 || len > (int)sizeof(m.u.asym.key))
		abort();
	m.op_code = VIRTIO_CRYPTO_AKCIPHER_CREATE_SESSION;
	m.u.asym.info.algo = VIRTIO_CRYPTO_AKCIPHER_RSA;
	m.u.asym.info.keytype = priv ? VIRTIO_CRYPTO_AKCIPHER_KEY_TYPE_PRIVATE
				     : VIRTIO_CRYPTO_AKCIPHER_KEY_TYPE_PUBLIC;
	m.u.asym.info.keylen = (uint32_t)len;
	m.u.asym.info.rsa_padding_algo = padding;
	m.u.asym.info.rsa_hash_algo = VIRTIO_CRYPTO_RSA_SHA256;
	memcpy(m.u.asym.key, der, (size_t)len);
	OPENSSL_free(der);
	if (vcd_sess_parse(&m, sizeof(m), &p) || vcd_sess_create(&sess, &p) < 0)
		abort();
}

static void init(void)
{
	EVP_PKEY *k;

	if (vcd_engine_openssl.open(&eng) || vcd_sessions_init(&sess, &vcd_engine_openssl, eng, 8))
		abort();
	add(VIRTIO_CRYPTO_SYM_OP_CIPHER, VIRTIO_CRYPTO_CIPHER_AES_CBC, 16, 0, 0);
	add(VIRTIO_CRYPTO_SYM_OP_ALGORITHM_CHAINING, VIRTIO_CRYPTO_CIPHER_AES_CTR, 32,
	    VIRTIO_CRYPTO_MAC_HMAC_SHA_256, 32);
	add(VIRTIO_CRYPTO_SYM_OP_CIPHER, VIRTIO_CRYPTO_CIPHER_AES_XTS, 64, 0, 0);
	add(VIRTIO_CRYPTO_SYM_OP_ALGORITHM_CHAINING, VIRTIO_CRYPTO_NO_CIPHER, 0,
	    VIRTIO_CRYPTO_MAC_HMAC_SHA1, 20);
	k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
	if (!k)
		abort();
	add_rsa(k, 1, VIRTIO_CRYPTO_RSA_PKCS1_PADDING);
	add_rsa(k, 0, VIRTIO_CRYPTO_RSA_RAW_PADDING);
	EVP_PKEY_free(k);
	/* last, so the ids above stay those the seeds use */
	add(VIRTIO_CRYPTO_SYM_OP_ALGORITHM_CHAINING, VIRTIO_CRYPTO_NO_CIPHER, 0,
	    VIRTIO_CRYPTO_MAC_HMAC_MD5, 16);
	chain = malloc(sizeof(*chain));
	ram = aligned_alloc(4096, RAM);
	if (!chain || !ram)
		abort();
}

/* Seeds: well-formed requests, so the fuzzer starts deep in the parser. */
static void put_desc(uint8_t *r, unsigned int i, uint64_t gpa, uint32_t len, uint16_t flags,
		     uint16_t next)
{
	struct vring_desc d = {gpa, len, flags, next};

	memcpy(r + i * sizeof(d), &d, sizeof(d));
}

/*
 * A request in 4 descriptors from slot head: the 72-byte header at 0x1000,
 * src_len readable bytes at 0x1100, dst_len writable at 0x1200, the status
 * byte at 0x1300; the avail ring (at 0x100) offers it alone.
 */
static void put_req(uint8_t *r, uint16_t head, uint32_t src_len, uint32_t dst_len)
{
	uint16_t one = 1;

	put_desc(r, head, GPA + 0x1000, 72, VRING_DESC_F_NEXT, head + 1);
	put_desc(r, head + 1, GPA + 0x1100, src_len, VRING_DESC_F_NEXT, head + 2);
	put_desc(r, head + 2, GPA + 0x1200, dst_len, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT,
		 head + 3);
	put_desc(r, head + 3, GPA + 0x1300, 1, VRING_DESC_F_WRITE, 0);
	memcpy(r + 0x100 + 2, &one, 2);
	memcpy(r + 0x100 + 4, &head, 2);
}

static void put_hdr(uint8_t *r, uint32_t off, uint32_t opcode, uint64_t sid, uint32_t op_type,
		    const uint32_t *para, unsigned int npara)
{
	struct virtio_crypto_op_data_req h = {0};

	h.header.opcode = opcode;
	h.header.session_id = sid;
	memcpy(&h.u.sym_req.u, para, npara * 4);
	h.u.sym_req.op_type = op_type;
	memcpy(r + off, &h, sizeof(h));
}

static void seeds(const char *dir)
{
	static uint8_t r[4096 + 512];
	const uint32_t cbc[] = {16, 32, 32};
	const uint32_t chn[] = {16, 64, 64, 0, 64, 0, 64, 8, 32};
	const uint32_t mac[] = {0, 100, 0, 0, 0, 0, 100, 0, 20};

	/* CBC encrypt: hdr | iv+src | dst | status, avail[0] = 0 */
	memset(r, 0, sizeof(r));
	put_req(r, 0, 48, 32);
	put_hdr(r, 0x1000, VIRTIO_CRYPTO_CIPHER_ENCRYPT, 0x100000001ull, 1, cbc, 3);
	fuzz_write_seed(dir, "cbc", r, sizeof(r));
	/* the same through an indirect table at 0x400 */
	memcpy(r + 0x400, r, 64);
	put_desc(r, 0, GPA + 0x400, 64, VRING_DESC_F_INDIRECT, 0);
	fuzz_write_seed(dir, "cbc-indirect", r, sizeof(r));
	/* chaining CTR + HMAC-SHA256: hdr | iv+aad+src | dst+digest | status */
	memset(r, 0, sizeof(r));
	put_req(r, 5, 88, 96);
	put_hdr(r, 0x1000, VIRTIO_CRYPTO_CIPHER_ENCRYPT, 0x200000002ull, 2, chn, 9);
	fuzz_write_seed(dir, "chain", r, sizeof(r));
	/* MAC only */
	put_hdr(r, 0x1000, VIRTIO_CRYPTO_CIPHER_ENCRYPT, 0x400000004ull, 2, mac, 9);
	put_desc(r, 6, GPA + 0x1100, 100, VRING_DESC_F_NEXT, 7);
	put_desc(r, 7, GPA + 0x1200, 20, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 8);
	fuzz_write_seed(dir, "mac", r, sizeof(r));
	/* MAC only, HMAC-MD5 (16-byte digest) */
	{
		const uint32_t md5[] = {0, 100, 0, 0, 0, 0, 100, 0, 16};

		put_hdr(r, 0x1000, VIRTIO_CRYPTO_CIPHER_ENCRYPT, 0x700000007ull, 2, md5, 9);
		put_desc(r, 7, GPA + 0x1200, 16, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 8);
		fuzz_write_seed(dir, "mac-md5", r, sizeof(r));
	}
	/* RSA encrypt with the public key: src 32, dst 128 */
	{
		const uint32_t ak[] = {32, 128};

		put_hdr(r, 0x1000, VIRTIO_CRYPTO_AKCIPHER_ENCRYPT, 0x600000006ull, 0, ak, 2);
		put_desc(r, 6, GPA + 0x1100, 32, VRING_DESC_F_NEXT, 7);
		put_desc(r, 7, GPA + 0x1200, 128, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 8);
		fuzz_write_seed(dir, "rsa", r, sizeof(r));
	}
}

/* Writes the seeds into the corpus directory given on the command line. */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_seed_corpus(*argc, *argv, seeds);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vcd_mem mem = {0};
	struct vcd_vq vq;
	int r;

	if (!eng)
		init();
	memset(ram, 0, RAM);
	memcpy(ram, data, size < RAM ? size : RAM);
	if (vcd_mem_add(&mem, GPA, RAM, UVA, ram) ||
	    vcd_vq_setup(&vq, &mem, NUM, UVA, UVA + 0x100, UVA + 0x200, 0))
		abort();
	for (int i = 0; i < 64; i++) {
		int64_t len;

		r = vcd_vq_pop(&vq, &mem, chain);
		if (r <= 0)
			break;
		len = vcd_req_process(&sess, &buf, chain, &st);
		if (len < 0)
			break; /* no status possible: connection dropped */
		vcd_vq_push(&vq, chain->head, (uint32_t)len);
	}
	vcd_vq_publish(&vq);
	return 0;
}
