/* SPDX-License-Identifier: MIT */
/*
 * What the vcryptod request-path unit tests share: the fixture (the OpenSSL
 * engine, a table of 64 sessions, one chain of modelled guest segments), the
 * chain builder and an RSA session message. Include after <cmocka.h> and
 * crypto_req.h.
 */
#ifndef VCRYPTO_TEST_VCD_UNIT_H
#define VCRYPTO_TEST_VCD_UNIT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

/* Opens the engine and the session table, allocates the chain; 0 or -1. */
static inline int vcd_unit_open(struct vcd_engine **eng, struct vcd_sessions *s,
				struct vcd_chain **c)
{
	*c = calloc(1, sizeof(**c));
	if (!*c || vcd_engine_openssl.open(eng))
		return -1;
	return vcd_sessions_init(s, &vcd_engine_openssl, *eng, 64);
}

/* Undoes vcd_unit_open() and frees the scratch buffer b. */
static inline void vcd_unit_close(struct vcd_engine *eng, struct vcd_sessions *s,
				  struct vcd_req_buf *b, struct vcd_chain *c)
{
	vcd_sessions_fini(s);
	vcd_engine_openssl.close(eng);
	vcd_req_buf_free(b);
	free(c);
}

/* An empty chain. */
static inline void vcd_unit_chain_reset(struct vcd_chain *c)
{
	c->nin = c->nout = 0;
	c->in_len = c->out_len = 0;
}

/* Appends [p, p+len) to the chain, readable or writable. */
static inline void vcd_unit_seg(struct vcd_chain *c, uint8_t *p, uint32_t len, bool writable)
{
	c->segs[c->nin + c->nout] = (struct vcd_seg){p, len};
	if (writable) {
		c->nout++;
		c->out_len += len;
	} else {
		c->nin++;
		c->in_len += len;
	}
}

/*
 * A CREATE_SESSION message for RSA with k's private key (DER), PKCS#1 v1.5
 * padding and SHA-256; asserts that the key fits.
 */
static inline void vcd_unit_rsa_msg(struct vcd_vu_session_1072 *m, EVP_PKEY *k)
{
	uint8_t *der = NULL;
	int len;

	assert_non_null(k);
	m->op_code = VIRTIO_CRYPTO_AKCIPHER_CREATE_SESSION;
	m->u.asym.info.algo = VIRTIO_CRYPTO_AKCIPHER_RSA;
	m->u.asym.info.rsa_padding_algo = VIRTIO_CRYPTO_RSA_PKCS1_PADDING;
	m->u.asym.info.rsa_hash_algo = VIRTIO_CRYPTO_RSA_SHA256;
	m->u.asym.info.keytype = VIRTIO_CRYPTO_AKCIPHER_KEY_TYPE_PRIVATE;
	len = i2d_PrivateKey(k, &der);
	assert_true(len > 0 && len <= (int)sizeof(m->u.asym.key));
	memcpy(m->u.asym.key, der, (size_t)len);
	OPENSSL_free(der);
	m->u.asym.info.keylen = (uint32_t)len;
}

#endif
