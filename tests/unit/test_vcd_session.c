// SPDX-License-Identifier: MIT
/* vcryptod CREATE_CRYPTO_SESSION parsing (632 and 1072 bytes) and the table. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <linux/virtio_crypto.h>

#include "session.h"

static struct vcd_sess_params P;

static struct vcd_vu_session_632 v1_cbc(void)
{
	struct vcd_vu_session_632 m = {0};

	m.info.op_type = VIRTIO_CRYPTO_SYM_OP_CIPHER;
	m.info.cipher_alg = VIRTIO_CRYPTO_CIPHER_AES_CBC;
	m.info.key_len = 16;
	m.info.direction = VIRTIO_CRYPTO_OP_ENCRYPT;
	m.info.cipher_key_ptr = 0xdeadbeef; /* QEMU's pointer: must be ignored */
	memset(m.key, 0x11, 16);
	return m;
}

static struct vcd_vu_session_632 v1_chain(void)
{
	struct vcd_vu_session_632 m = v1_cbc();

	m.info.op_type = VIRTIO_CRYPTO_SYM_OP_ALGORITHM_CHAINING;
	m.info.hash_mode = VIRTIO_CRYPTO_SYM_HASH_MODE_AUTH;
	m.info.alg_chain_order = VIRTIO_CRYPTO_SYM_ALG_CHAIN_ORDER_CIPHER_THEN_HASH;
	m.info.hash_alg = VIRTIO_CRYPTO_MAC_HMAC_SHA_256;
	m.info.hash_result_len = 32;
	m.info.auth_key_len = 40;
	memset(m.auth_key, 0x22, 40);
	return m;
}

static void v1_layout_offsets(void **state)
{
	/* QEMU 7.2 x86-64: id @0, info @8, op_type @32, key @56, auth_key @120 */
	assert_int_equal(sizeof(struct vcd_vu_session_632), 632);
	assert_int_equal(offsetof(struct vcd_vu_session_632, info.op_type), 32);
	assert_int_equal(offsetof(struct vcd_vu_session_632, key), 56);
	assert_int_equal(offsetof(struct vcd_vu_session_632, auth_key), 120);
	assert_int_equal(sizeof(struct vcd_vu_session_1072), 1072);
	assert_int_equal(offsetof(struct vcd_vu_session_1072, u.asym.info.rsa_padding_algo), 32);
	assert_int_equal(offsetof(struct vcd_vu_session_1072, u.asym.key), 40);
	assert_int_equal(offsetof(struct vcd_vu_session_1072, session_id), 1064);
}

static void v1_cipher_ok(void **state)
{
	struct vcd_vu_session_632 m = v1_cbc();
	uint8_t raw[632];

	assert_int_equal(vcd_sess_parse(&m, sizeof(m), &P), 0);
	assert_int_equal(P.kind, VCD_SESS_SYM);
	assert_false(P.layout_1072);
	assert_int_equal(P.cipher_alg, VIRTIO_CRYPTO_CIPHER_AES_CBC);
	assert_int_equal(P.key_len, 16);
	assert_int_equal(P.key[15], 0x11);
	/* byte-level: the stock driver's request as QEMU 7.2 packs it */
	memset(raw, 0, sizeof(raw));
	raw[8] = 3; /* cipher_alg AES_CBC */
	raw[12] = 32; /* key_len */
	raw[32] = 1; /* op_type CIPHER */
	raw[33] = 2; /* direction decrypt */
	memset(raw + 56, 0x5a, 32);
	assert_int_equal(vcd_sess_parse(raw, sizeof(raw), &P), 0);
	assert_int_equal(P.key_len, 32);
	assert_int_equal(P.direction, VIRTIO_CRYPTO_OP_DECRYPT);
	assert_int_equal(P.key[31], 0x5a);
}

static void v1_chain_ok(void **state)
{
	struct vcd_vu_session_632 m = v1_chain();

	assert_int_equal(vcd_sess_parse(&m, sizeof(m), &P), 0);
	assert_int_equal(P.auth_key_len, 40);
	assert_int_equal(P.auth_key[39], 0x22);
	/* MAC-only: the way HMAC reaches a backend through QEMU 7.2 */
	m.info.cipher_alg = VIRTIO_CRYPTO_NO_CIPHER;
	m.info.key_len = 0;
	m.info.direction = 0;
	assert_int_equal(vcd_sess_parse(&m, sizeof(m), &P), 0);
	/* plain hash chaining */
	m.info.hash_mode = VIRTIO_CRYPTO_SYM_HASH_MODE_PLAIN;
	m.info.hash_alg = VIRTIO_CRYPTO_HASH_SHA1;
	m.info.hash_result_len = 20;
	assert_int_equal(vcd_sess_parse(&m, sizeof(m), &P), 0);
	/* MD5 (RFC 1321: 16-byte digest), plain and HMAC, with and without a cipher */
	m.info.hash_alg = VIRTIO_CRYPTO_HASH_MD5;
	m.info.hash_result_len = 16;
	assert_int_equal(vcd_sess_parse(&m, sizeof(m), &P), 0);
	m.info.hash_result_len = 17;
	assert_int_equal(vcd_sess_parse(&m, sizeof(m), &P), -EINVAL);
	m.info.hash_mode = VIRTIO_CRYPTO_SYM_HASH_MODE_AUTH;
	m.info.hash_alg = VIRTIO_CRYPTO_MAC_HMAC_MD5;
	m.info.hash_result_len = 12; /* truncated, HMAC-MD5-96 */
	assert_int_equal(vcd_sess_parse(&m, sizeof(m), &P), 0);
	assert_int_equal(P.hash_alg, 1);
	m = v1_chain();
	m.info.hash_alg = VIRTIO_CRYPTO_MAC_HMAC_MD5;
	m.info.hash_result_len = 16;
	assert_int_equal(vcd_sess_parse(&m, sizeof(m), &P), 0);
	m.info.hash_result_len = 20;
	assert_int_equal(vcd_sess_parse(&m, sizeof(m), &P), -EINVAL);
}

static void v1_hostile(void **state)
{
	struct vcd_vu_session_632 m;

	m = v1_cbc();
	m.info.key_len = 65;
	assert_int_equal(vcd_sess_parse(&m, sizeof(m), &P), -EINVAL);
	m = v1_cbc();
	m.info.key_len = UINT32_MAX;
	assert_int_equal(vcd_sess_parse(&m, sizeof(m), &P), -EINVAL);
	m = v1_cbc();
	m.info.key_len = 17;
	assert_int_equal(vcd_sess_parse(&m, sizeof(m), &P), -EINVAL);
	m = v1_chain();
	m.info.auth_key_len = 513;
	assert_int_equal(vcd_sess_parse(&m, sizeof(m), &P), -EINVAL);
	m = v1_cbc();
	m.info.op_type = VIRTIO_CRYPTO_SYM_OP_NONE;
	assert_int_equal(vcd_sess_parse(&m, sizeof(m), &P), -ENOTSUP);
	m = v1_cbc();
	m.info.op_type = 77;
	assert_int_equal(vcd_sess_parse(&m, sizeof(m), &P), -ENOTSUP);
	m = v1_cbc();
	m.info.cipher_alg = VIRTIO_CRYPTO_CIPHER_DES_CBC;
	assert_int_equal(vcd_sess_parse(&m, sizeof(m), &P), -ENOTSUP);
	m = v1_cbc();
	m.info.cipher_alg = VIRTIO_CRYPTO_NO_CIPHER;
	assert_int_equal(vcd_sess_parse(&m, sizeof(m), &P), -ENOTSUP);
	m = v1_cbc();
	m.info.direction = 3;
	assert_int_equal(vcd_sess_parse(&m, sizeof(m), &P), -EINVAL);
	m = v1_chain();
	m.info.hash_mode = VIRTIO_CRYPTO_SYM_HASH_MODE_NESTED;
	assert_int_equal(vcd_sess_parse(&m, sizeof(m), &P), -ENOTSUP);
	m = v1_chain();
	m.info.hash_mode = 9;
	assert_int_equal(vcd_sess_parse(&m, sizeof(m), &P), -EINVAL);
	m = v1_chain();
	m.info.alg_chain_order = 0;
	assert_int_equal(vcd_sess_parse(&m, sizeof(m), &P), -EINVAL);
	m = v1_chain();
	m.info.hash_alg = VIRTIO_CRYPTO_MAC_CMAC_AES;
	assert_int_equal(vcd_sess_parse(&m, sizeof(m), &P), -ENOTSUP);
	m = v1_chain();
	m.info.hash_alg = VIRTIO_CRYPTO_NO_MAC;
	assert_int_equal(vcd_sess_parse(&m, sizeof(m), &P), -ENOTSUP);
	m = v1_chain();
	m.info.hash_mode = VIRTIO_CRYPTO_SYM_HASH_MODE_PLAIN;
	m.info.hash_alg = VIRTIO_CRYPTO_HASH_SHA3_224;
	m.info.hash_result_len = 28;
	assert_int_equal(vcd_sess_parse(&m, sizeof(m), &P), -ENOTSUP);
	m = v1_chain();
	m.info.hash_result_len = 0;
	assert_int_equal(vcd_sess_parse(&m, sizeof(m), &P), -EINVAL);
	m = v1_chain();
	m.info.hash_result_len = 33;
	assert_int_equal(vcd_sess_parse(&m, sizeof(m), &P), -EINVAL);
	/* sizes of neither layout */
	m = v1_cbc();
	assert_int_equal(vcd_sess_parse(&m, 631, &P), -EINVAL);
	assert_int_equal(vcd_sess_parse(&m, 0, &P), -EINVAL);
	assert_int_equal(vcd_sess_parse(&m, 633, &P), -EINVAL);
}

static void v2_layouts(void **state)
{
	struct vcd_vu_session_1072 m = {0};

	m.op_code = VIRTIO_CRYPTO_CIPHER_CREATE_SESSION;
	m.u.sym.info.op_type = VIRTIO_CRYPTO_SYM_OP_CIPHER;
	m.u.sym.info.cipher_alg = VIRTIO_CRYPTO_CIPHER_AES_XTS;
	m.u.sym.info.key_len = 64;
	m.u.sym.info.direction = VIRTIO_CRYPTO_OP_DECRYPT;
	memset(m.u.sym.key, 7, 64);
	assert_int_equal(vcd_sess_parse(&m, sizeof(m), &P), 0);
	assert_true(P.layout_1072);
	assert_int_equal(P.key[63], 7);

	memset(&m, 0, sizeof(m));
	m.op_code = VIRTIO_CRYPTO_AKCIPHER_CREATE_SESSION;
	m.u.asym.info.algo = VIRTIO_CRYPTO_AKCIPHER_RSA;
	m.u.asym.info.keytype = VIRTIO_CRYPTO_AKCIPHER_KEY_TYPE_PUBLIC;
	m.u.asym.info.keylen = 1024;
	m.u.asym.info.rsa_padding_algo = VIRTIO_CRYPTO_RSA_PKCS1_PADDING;
	m.u.asym.info.rsa_hash_algo = VIRTIO_CRYPTO_RSA_SHA256;
	m.u.asym.key[1023] = 0x99;
	assert_int_equal(vcd_sess_parse(&m, sizeof(m), &P), 0);
	assert_int_equal(P.kind, VCD_SESS_ASYM);
	assert_int_equal(P.asym_key[1023], 0x99);
	assert_int_equal(P.rsa_hash, VIRTIO_CRYPTO_RSA_SHA256);

	m.u.asym.info.keylen = 1025;
	assert_int_equal(vcd_sess_parse(&m, sizeof(m), &P), -EINVAL);
	m.u.asym.info.keylen = 0;
	assert_int_equal(vcd_sess_parse(&m, sizeof(m), &P), -EINVAL);
	m.u.asym.info.keylen = 16;
	m.u.asym.info.algo = VIRTIO_CRYPTO_AKCIPHER_ECDSA;
	assert_int_equal(vcd_sess_parse(&m, sizeof(m), &P), -ENOTSUP);
	m.op_code = VIRTIO_CRYPTO_HASH_CREATE_SESSION;
	assert_int_equal(vcd_sess_parse(&m, sizeof(m), &P), -ENOTSUP);
	m.op_code = UINT64_MAX;
	assert_int_equal(vcd_sess_parse(&m, sizeof(m), &P), -ENOTSUP);
	assert_int_equal(vcd_sess_parse(&m, 1071, &P), -EINVAL);
}

static void table_limits(void **state)
{
	struct vcd_vu_session_632 m = v1_cbc();
	struct vcd_sessions s;
	struct vcd_engine *eng;
	int64_t ids[3], again;

	assert_int_equal(vcd_engine_openssl.open(&eng), 0);
	assert_int_equal(vcd_sessions_init(&s, &vcd_engine_openssl, eng, 3), 0);
	assert_int_equal(vcd_sess_parse(&m, sizeof(m), &P), 0);
	for (int i = 0; i < 3; i++) {
		ids[i] = vcd_sess_create(&s, &P);
		assert_true(ids[i] > 0);
		assert_non_null(vcd_sess_find(&s, (uint64_t)ids[i]));
	}
	assert_int_equal(vcd_sess_create(&s, &P), -ENOSPC);
	assert_int_equal(vcd_sess_close(&s, (uint64_t)ids[1]), 0);
	assert_null(vcd_sess_find(&s, (uint64_t)ids[1]));
	assert_int_equal(vcd_sess_close(&s, (uint64_t)ids[1]), -ENOENT);
	again = vcd_sess_create(&s, &P);
	assert_true(again > 0);
	assert_true(again != ids[1]); /* a stale id does not reach the new one */
	assert_null(vcd_sess_find(&s, (uint64_t)ids[1]));
	assert_null(vcd_sess_find(&s, 0));
	assert_null(vcd_sess_find(&s, UINT64_MAX));
	assert_int_equal(vcd_sess_close(&s, 12345), -ENOENT);
	assert_int_equal(vcd_sess_close(&s, (uint64_t)ids[0]), 0);
	/* the rest are wiped and freed by fini (valgrind/ASan check the leak) */
	vcd_sessions_fini(&s);
	vcd_engine_openssl.close(eng);
}

static void zero_limit(void **state)
{
	struct vcd_vu_session_632 m = v1_cbc();
	struct vcd_sessions s;

	assert_int_equal(vcd_sessions_init(&s, &vcd_engine_openssl, NULL, 0), 0);
	assert_int_equal(vcd_sess_parse(&m, sizeof(m), &P), 0);
	assert_int_equal(vcd_sess_create(&s, &P), -ENOSPC);
	vcd_sessions_fini(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(v1_layout_offsets), cmocka_unit_test(v1_cipher_ok),
		cmocka_unit_test(v1_chain_ok),	     cmocka_unit_test(v1_hostile),
		cmocka_unit_test(v2_layouts),	     cmocka_unit_test(table_limits),
		cmocka_unit_test(zero_limit),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests_name("vcryptod sessions", tests, NULL, NULL);
}
