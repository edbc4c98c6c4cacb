/* SPDX-License-Identifier: MIT */
/*
 * Signed process images: the header that is signed and the .sig container.
 * A library (lib/vsig) linked by vsign (tools/vsign), vprocd (host/vprocd),
 * their tests and fuzzers. Byte layouts are documented in
 * tools/vsign/README.md; all integers are big-endian.
 *
 * Signed header (VSIG_HDR_SIZE = 120 bytes):
 *   0   4  magic "VCPH"
 *   4   2  format version (1)
 *   6   2  reserved, 0
 *   8  32  context "vcrypto.vprocd.process-image.v1", NUL padded
 *  40  32  process name, 1..31 of [A-Za-z0-9._-], NUL padded
 *  72   8  process version
 *  80   8  image length
 *  88  32  SHA-256 of the image
 *
 * .sig file:
 *   0   4  magic "VCPS"
 *   4   1  format version (1)
 *   5   1  algorithm (1 Ed25519, 2 RSA-3072 PSS SHA-256 salt 32)
 *   6   2  reserved, 0
 *   8 120  signed header
 * 128  32  key id: SHA-256 of the signer's public key (DER SubjectPublicKeyInfo)
 * 160   2  signature length (64 for Ed25519, 384 for RSA-3072)
 * 162   n  signature over the 120 header bytes
 */
#ifndef VSIG_H
#define VSIG_H

#include <stdint.h>
#include <stddef.h>
#include <openssl/evp.h>

#define VSIG_HDR_MAGIC "VCPH"
#define VSIG_FILE_MAGIC "VCPS"
#define VSIG_CONTEXT "vcrypto.vprocd.process-image.v1"
#define VSIG_FORMAT_VERSION 1
#define VSIG_HDR_SIZE 120
#define VSIG_FIXED_SIZE 162 /* everything before the signature bytes */
#define VSIG_NAME_MAX 31
#define VSIG_SIG_MAX 512
#define VSIG_KEYID_SIZE 32

enum vsig_alg {
	VSIG_ALG_ED25519 = 1,
	VSIG_ALG_RSA3072 = 2,
};

struct vsig_header {
	char name[VSIG_NAME_MAX + 1];
	uint64_t version;
	uint64_t image_len;
	uint8_t sha256[32];
};

struct vsig {
	uint8_t alg;
	uint8_t hdr_raw[VSIG_HDR_SIZE]; /* exactly the signed bytes */
	struct vsig_header hdr;
	uint8_t keyid[VSIG_KEYID_SIZE];
	uint16_t sig_len;
	uint8_t sig[VSIG_SIG_MAX];
};

/* Serialised size of a .sig with this algorithm, 0 if unknown. */
size_t vsig_file_size(int alg);

/* Returns 0 or -VMM_E_HDR_BAD. */
int vsig_header_decode(const uint8_t in[VSIG_HDR_SIZE], struct vsig_header *h);
/* Returns 0 or -EINVAL (bad name). */
int vsig_header_encode(const struct vsig_header *h, uint8_t out[VSIG_HDR_SIZE]);
int vsig_name_valid(const char *name);

/*
 * Parses an untrusted .sig. Returns 0 or -VMM_E_SIG_EMPTY, _TOOBIG (over
 * VMM_MAX_SIG), _TRUNC, _FORMAT, or -VMM_E_HDR_BAD. Checks only the format.
 */
int vsig_parse(const uint8_t *buf, size_t len, struct vsig *s);
/* Writes the .sig; returns its length or -ENOSPC. */
long vsig_encode(const struct vsig *s, uint8_t *out, size_t cap);

/* The algorithm for this key (VSIG_ALG_*) or -EOPNOTSUPP. */
int vsig_key_alg(EVP_PKEY *key);
int vsig_keyid(EVP_PKEY *key, uint8_t out[VSIG_KEYID_SIZE]);
/* Signs s->hdr_raw with `key`, filling alg, keyid, sig. Returns 0 or -errno. */
int vsig_sign(EVP_PKEY *key, struct vsig *s);
/* Returns 0, -VMM_E_SIG_KEY (algorithm/key mismatch) or -VMM_E_SIG_BAD. */
int vsig_verify(EVP_PKEY *pub, const struct vsig *s);
/* Image against the verified header: 0, -VMM_E_IMG_LEN or -VMM_E_IMG_HASH. */
int vsig_check_image(const struct vsig *s, const uint8_t *img, size_t len);
/* The same for an image whose SHA-256 the caller took as it stored it. */
int vsig_check_digest(const struct vsig *s, size_t len, const uint8_t sha256[32]);
int vsig_sha256(const uint8_t *data, size_t len, uint8_t out[32]);

#endif
