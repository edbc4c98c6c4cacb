// SPDX-License-Identifier: MIT
/* Signed header and .sig container: layout, parse errors, sign/verify, tampering. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <openssl/evp.h>

#include <vcrypto/vmmcall.h>
#include <vsig/vsig.h>

static const uint8_t image[] = "not really an ELF, but bytes to sign";

static void make_sig(EVP_PKEY *k, struct vsig *s, const char *name, uint64_t version)
{
	memset(s, 0, sizeof(*s));
	strcpy(s->hdr.name, name);
	s->hdr.version = version;
	s->hdr.image_len = sizeof(image);
	assert_int_equal(vsig_sha256(image, sizeof(image), s->hdr.sha256), 0);
	assert_int_equal(vsig_header_encode(&s->hdr, s->hdr_raw), 0);
	assert_int_equal(vsig_sign(k, s), 0);
}

static void header_layout(void **state)
{
	struct vsig_header h = {
		.name = "hello", .version = 0x0102030405060708ull, .image_len = 0x1122};
	struct vsig_header back;
	uint8_t raw[VSIG_HDR_SIZE];

	memset(h.sha256, 0xab, 32);
	assert_int_equal(vsig_header_encode(&h, raw), 0);
	assert_memory_equal(raw, "VCPH\0\1\0\0", 8);
	assert_memory_equal(raw + 8, "vcrypto.vprocd.process-image.v1", 31);
	assert_int_equal(raw[39], 0);
	assert_memory_equal(raw + 40, "hello\0\0", 7);
	assert_memory_equal(raw + 72, "\1\2\3\4\5\6\7\10", 8);
	assert_memory_equal(raw + 80, "\0\0\0\0\0\0\x11\x22", 8);
	assert_int_equal(raw[88], 0xab);
	assert_int_equal(vsig_header_decode(raw, &back), 0);
	assert_string_equal(back.name, "hello");
	assert_true(back.version == h.version && back.image_len == h.image_len);
}

static void header_refusals(void **state)
{
	struct vsig_header h = {.name = "ok-name_1.2"};
	uint8_t raw[VSIG_HDR_SIZE], bad[VSIG_HDR_SIZE];
	struct vsig_header out;

	assert_int_equal(vsig_header_encode(&h, raw), 0);
	/* every byte before the version field matters */
	for (size_t i = 0; i < 72; i++) {
		memcpy(bad, raw, sizeof(raw));
		bad[i] ^= 0x80;
		assert_int_equal(vsig_header_decode(bad, &out), -VMM_E_HDR_BAD);
	}
	memcpy(bad, raw, sizeof(raw));
	bad[40 + 11 + 1] = 'x'; /* a byte after the name's NUL */
	assert_int_equal(vsig_header_decode(bad, &out), -VMM_E_HDR_BAD);
	memcpy(bad, raw, sizeof(raw));
	memset(bad + 40, 'a', 32); /* no NUL: 32 characters */
	assert_int_equal(vsig_header_decode(bad, &out), -VMM_E_HDR_BAD);
	strcpy(h.name, "a/b");
	assert_int_equal(vsig_header_encode(&h, raw), -EINVAL);
	strcpy(h.name, "");
	assert_int_equal(vsig_header_encode(&h, raw), -EINVAL);
}

static void parse_lengths(void **state)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	uint8_t buf[2048];
	struct vsig s, p;
	long n;

	make_sig(k, &s, "hello", 1);
	n = vsig_encode(&s, buf, sizeof(buf));
	assert_int_equal(n, VSIG_FIXED_SIZE + 64);
	assert_int_equal(vsig_parse(buf, (size_t)n, &p), 0);
	assert_memory_equal(p.hdr_raw, s.hdr_raw, VSIG_HDR_SIZE);
	assert_int_equal(vsig_parse(buf, 0, &p), -VMM_E_SIG_EMPTY);
	assert_int_equal(vsig_parse(buf, VMM_MAX_SIG + 1, &p), -VMM_E_SIG_TOOBIG);
	for (long len = 1; len < n; len++)
		assert_int_equal(vsig_parse(buf, (size_t)len, &p), -VMM_E_SIG_TRUNC);
	assert_int_equal(vsig_parse(buf, (size_t)n + 1, &p), -VMM_E_SIG_FORMAT);
	buf[5] = 9; /* algorithm */
	assert_int_equal(vsig_parse(buf, (size_t)n, &p), -VMM_E_SIG_FORMAT);
	buf[5] = VSIG_ALG_RSA3072; /* says RSA, carries 64 bytes */
	assert_int_equal(vsig_parse(buf, (size_t)n, &p), -VMM_E_SIG_FORMAT);
	buf[5] = VSIG_ALG_ED25519;
	buf[161] = 63; /* signature length field */
	assert_int_equal(vsig_parse(buf, (size_t)n, &p), -VMM_E_SIG_FORMAT);
	buf[161] = 64;
	buf[0] = 'X';
	assert_int_equal(vsig_parse(buf, (size_t)n, &p), -VMM_E_SIG_FORMAT);
	EVP_PKEY_free(k);
}

static void verify_and_tamper(void **state)
{
	EVP_PKEY *keys[2] = {EVP_PKEY_Q_keygen(NULL, NULL, "ED25519"),
			     EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)3072)};
	EVP_PKEY *other = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");

	for (int i = 0; i < 2; i++) {
		struct vsig s, t;
		uint8_t img[sizeof(image)];

		make_sig(keys[i], &s, "hello", 7);
		assert_int_equal(s.alg, i ? VSIG_ALG_RSA3072 : VSIG_ALG_ED25519);
		assert_int_equal(vsig_verify(keys[i], &s), 0);
		assert_int_equal(vsig_check_image(&s, image, sizeof(image)), 0);
		/* any header byte changed: the signature fails */
		for (size_t b = 0; b < VSIG_HDR_SIZE; b += i ? 13 : 1) {
			t = s;
			t.hdr_raw[b] ^= 1;
			assert_int_equal(vsig_verify(keys[i], &t), -VMM_E_SIG_BAD);
		}
		t = s;
		t.sig[10] ^= 1;
		assert_int_equal(vsig_verify(keys[i], &t), -VMM_E_SIG_BAD);
		/* another key, or a key of the other algorithm */
		assert_int_not_equal(vsig_verify(i ? keys[0] : other, &s), 0);
		/* the image: one byte, or one byte less */
		memcpy(img, image, sizeof(img));
		img[3] ^= 1;
		assert_int_equal(vsig_check_image(&s, img, sizeof(img)), -VMM_E_IMG_HASH);
		assert_int_equal(vsig_check_image(&s, image, sizeof(image) - 1), -VMM_E_IMG_LEN);
	}
	EVP_PKEY_free(keys[0]);
	EVP_PKEY_free(keys[1]);
	EVP_PKEY_free(other);
}

static void keyids_and_algs(void **state)
{
	EVP_PKEY *a = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	EVP_PKEY *b = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	EVP_PKEY *r2048 = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	EVP_PKEY *ec = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	uint8_t ia[32], ia2[32], ib[32];
	struct vsig s;

	assert_int_equal(vsig_keyid(a, ia), 0);
	assert_int_equal(vsig_keyid(a, ia2), 0);
	assert_int_equal(vsig_keyid(b, ib), 0);
	assert_memory_equal(ia, ia2, 32);
	assert_memory_not_equal(ia, ib, 32);
	assert_int_equal(vsig_key_alg(r2048), -EOPNOTSUPP);
	assert_int_equal(vsig_key_alg(ec), -EOPNOTSUPP);
	memset(&s, 0, sizeof(s));
	strcpy(s.hdr.name, "x");
	vsig_header_encode(&s.hdr, s.hdr_raw);
	assert_int_equal(vsig_sign(r2048, &s), -EOPNOTSUPP);
	EVP_PKEY_free(a);
	EVP_PKEY_free(b);
	EVP_PKEY_free(r2048);
	EVP_PKEY_free(ec);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(header_layout),   cmocka_unit_test(header_refusals),
		cmocka_unit_test(parse_lengths),   cmocka_unit_test(verify_and_tamper),
		cmocka_unit_test(keyids_and_algs),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests_name("vsign signature format", tests, NULL, NULL);
}
