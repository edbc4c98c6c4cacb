// SPDX-License-Identifier: MIT
/*
 * A guest owns the memory vcryptod reads its requests from and can change
 * it at any moment. This test replaces the chain accessors of virtq.c with a
 * guest-memory stub that counts how often each readable byte is read and,
 * after every read, rewrites the request header (another opcode, session,
 * lengths), as a racing guest vCPU would. vcryptod must read each byte once
 * and act on that one copy: the result is what the first snapshot asked for
 * (checked against OpenSSL called directly).
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
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "crypto_req.h"
#include "vcd_unit.h"

#define HDR 72
#define RD_MAX 4096

static struct vcd_engine *eng;
static struct vcd_sessions S;
static struct vcd_req_buf B;
static struct vcd_qstats ST;
static struct vcd_chain *C;

/* The guest's readable bytes, how often each was read, and the racer. */
static uint8_t rd[RD_MAX];
static unsigned int reads[RD_MAX];
static bool racing;
static unsigned int races;

static void race(void)
{
	struct virtio_crypto_op_data_req *h = (void *)rd;

	if (!racing)
		return;
	races++;
	/* Another service, another session, other lengths on every read. */
	h->header.opcode = races & 1 ? VIRTIO_CRYPTO_HASH : VIRTIO_CRYPTO_AKCIPHER_SIGN;
	h->header.session_id ^= 0x5a5a;
	h->u.sym_req.op_type ^= 3;
	h->u.sym_req.u.cipher.para.src_data_len ^= 0x10;
	h->u.akcipher_req.para.dst_data_len ^= 0x20;
}

static void count(const struct vcd_chain *c, unsigned int seg, uint64_t off, uint64_t n)
{
	uint64_t base = (uint64_t)(c->segs[seg].p - rd) + off;

	for (uint64_t i = 0; i < n && base + i < RD_MAX; i++)
		reads[base + i]++;
}

/* The stub: same contract as virtq.c, over segments that all lie in rd. */
uint64_t vcd_chain_read_at(const struct vcd_chain *c, uint64_t off, void *dst, uint64_t len)
{
	uint8_t *d = dst;
	uint64_t done = 0;

	for (unsigned int i = 0; i < c->nin && done < len; i++) {
		uint64_t n = c->segs[i].len;

		if (off >= n) {
			off -= n;
			continue;
		}
		n -= off;
		if (n > len - done)
			n = len - done;
		memcpy(d + done, c->segs[i].p + off, n);
		count(c, i, off, n);
		done += n;
		off = 0;
	}
	race();
	return done;
}

uint64_t vcd_chain_read(const struct vcd_chain *c, uint8_t *dst, uint64_t len)
{
	return vcd_chain_read_at(c, 0, dst, len);
}

uint64_t vcd_chain_write(const struct vcd_chain *c, const uint8_t *src, uint64_t len)
{
	uint64_t done = 0;

	for (unsigned int i = c->nin; i < c->nin + c->nout && done < len; i++) {
		uint64_t n = c->segs[i].len;

		if (n > len - done)
			n = len - done;
		memcpy(c->segs[i].p, src + done, n);
		done += n;
	}
	return done;
}

uint8_t *vcd_chain_span(const struct vcd_chain *c, bool writable, uint64_t off, uint64_t len)
{
	unsigned int i = writable ? c->nin : 0, end = writable ? c->nin + c->nout : c->nin;

	if (len == 0)
		return NULL;
	for (; i < end; i++) {
		uint64_t n = c->segs[i].len;

		if (off >= n) {
			off -= n;
			continue;
		}
		/* Bytes the engine will read in place: count them once now. */
		if (len <= n - off) {
			if (!writable)
				count(c, i, off, len);
			return c->segs[i].p + off;
		}
		return NULL;
	}
	return NULL;
}

/* Readable rd[0, len) in pieces of at most piece bytes; then wr[0, wlen). */
static void build(uint32_t len, uint32_t piece, uint8_t *wr, uint32_t wlen)
{
	vcd_unit_chain_reset(C);
	for (uint32_t o = 0; o < len; o += piece)
		vcd_unit_seg(C, rd + o, len - o < piece ? len - o : piece, false);
	vcd_unit_seg(C, wr, wlen, true);
	memset(reads, 0, sizeof(reads));
	races = 0;
}

/* Every readable byte was read exactly once. */
static void read_once(uint32_t len)
{
	for (uint32_t i = 0; i < len; i++) {
		if (reads[i] != 1)
			print_message("# byte %u of the request was read %u times\n", i, reads[i]);
		assert_int_equal(reads[i], 1);
	}
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

static int64_t cbc_session(const uint8_t *key)
{
	struct vcd_vu_session_632 m = {0};
	struct vcd_sess_params p;

	m.info.op_type = VIRTIO_CRYPTO_SYM_OP_CIPHER;
	m.info.cipher_alg = VIRTIO_CRYPTO_CIPHER_AES_CBC;
	m.info.key_len = 16;
	m.info.direction = VIRTIO_CRYPTO_OP_ENCRYPT;
	memcpy(m.key, key, 16);
	if (vcd_sess_parse(&m, sizeof(m), &p))
		return -1;
	return vcd_sess_create(&S, &p);
}

static void cbc_ref(const uint8_t *key, const uint8_t *iv, const uint8_t *in, uint8_t *out, int len)
{
	EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
	int n = 0, f = 0;

	assert_true(EVP_EncryptInit_ex(x, EVP_aes_128_cbc(), NULL, key, iv));
	EVP_CIPHER_CTX_set_padding(x, 0);
	assert_true(EVP_EncryptUpdate(x, out, &n, in, len));
	assert_true(EVP_EncryptFinal_ex(x, out + n, &f));
	EVP_CIPHER_CTX_free(x);
}

/* AES-CBC request hdr|iv|64 bytes, in pieces of `piece` bytes. */
static void cipher_race(uint32_t piece)
{
	struct virtio_crypto_op_data_req *h = (void *)rd;
	uint8_t key[16], iv[16], src[64], want[64], wr[65];
	int64_t sid, used;

	RAND_bytes(key, 16);
	RAND_bytes(iv, 16);
	RAND_bytes(src, 64);
	sid = cbc_session(key);
	assert_true(sid > 0);
	cbc_ref(key, iv, src, want, 64);
	memset(rd, 0, HDR);
	h->header.opcode = VIRTIO_CRYPTO_CIPHER_ENCRYPT;
	h->header.session_id = (uint64_t)sid;
	h->u.sym_req.op_type = VIRTIO_CRYPTO_SYM_OP_CIPHER;
	h->u.sym_req.u.cipher.para = (struct virtio_crypto_cipher_para){16, 64, 64, 0};
	memcpy(rd + HDR, iv, 16);
	memcpy(rd + HDR + 16, src, 64);
	memset(wr, 0xee, sizeof(wr));
	build(HDR + 80, piece, wr, 65);
	racing = true;
	used = vcd_req_process(&S, &B, C, &ST);
	racing = false;
	print_message("# cipher, pieces of %u: %u reads, status %u, used %lld\n", piece, races,
		      wr[64], (long long)used);
	assert_int_equal(wr[64], VIRTIO_CRYPTO_OK);
	assert_int_equal(used, 65);
	assert_memory_equal(wr, want, 64);
	read_once(HDR + 80);
	assert_int_equal(vcd_sess_close(&S, (uint64_t)sid), 0);
}

static void cipher_header_changes_between_reads(void **state)
{
	cipher_race(40); /* scattered: the copying path */
	cipher_race(HDR + 80); /* one segment: the in-place path */
}

static void rsa_header_changes_between_reads(void **state)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
	struct virtio_crypto_op_data_req *h = (void *)rd;
	struct vcd_vu_session_1072 m = {0};
	struct vcd_sess_params p;
	uint8_t dg[32], wr[129];
	EVP_PKEY_CTX *x;
	int64_t sid, used;

	vcd_unit_rsa_msg(&m, k);
	assert_int_equal(vcd_sess_parse(&m, sizeof(m), &p), 0);
	sid = vcd_sess_create(&S, &p);
	assert_true(sid > 0);

	RAND_bytes(dg, sizeof(dg));
	memset(rd, 0, HDR);
	h->header.opcode = VIRTIO_CRYPTO_AKCIPHER_SIGN;
	h->header.session_id = (uint64_t)sid;
	h->u.akcipher_req.para.src_data_len = 32;
	h->u.akcipher_req.para.dst_data_len = 128;
	memcpy(rd + HDR, dg, 32);
	build(HDR + 32, 24, wr, 129);
	racing = true;
	used = vcd_req_process(&S, &B, C, &ST);
	racing = false;
	print_message("# RSA sign: %u reads, status %u, used %lld\n", races, wr[128],
		      (long long)used);
	assert_int_equal(wr[128], VIRTIO_CRYPTO_OK);
	assert_int_equal(used, 129);
	x = EVP_PKEY_CTX_new(k, NULL);
	assert_int_equal(EVP_PKEY_verify_init(x), 1);
	EVP_PKEY_CTX_set_rsa_padding(x, RSA_PKCS1_PADDING);
	EVP_PKEY_CTX_set_signature_md(x, EVP_sha256());
	assert_int_equal(EVP_PKEY_verify(x, wr, 128, dg, 32), 1);
	EVP_PKEY_CTX_free(x);
	read_once(HDR + 32);
	EVP_PKEY_free(k);
	assert_int_equal(vcd_sess_close(&S, (uint64_t)sid), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(cipher_header_changes_between_reads),
		cmocka_unit_test(rsa_header_changes_between_reads),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests_name("vcryptod request read once", tests, setup, teardown);
}
