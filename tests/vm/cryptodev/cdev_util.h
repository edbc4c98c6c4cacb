/* SPDX-License-Identifier: MIT */
/*
 * Helpers shared by the guest programs that exercise /dev/crypto:
 * cryptodev ioctls, AF_ALG software reference, TAP output.
 */
#ifndef CDEV_UTIL_H
#define CDEV_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include <crypto/cryptodev.h>

/* TAP: "ok - ..." / "not ok - ..." lines, counted for the exit status. */
void cdev_ok(int cond, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void cdev_skip(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void cdev_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int cdev_failures(void);

/* /dev/crypto; each returns 0 or -errno. */
int cdev_open(void);
int cdev_session(int fd, uint32_t cipher, const void *key, uint32_t keylen, uint32_t mac,
		 const void *mackey, uint32_t mackeylen, uint32_t *ses);
int cdev_free(int fd, uint32_t ses);
int cdev_crypt(int fd, uint32_t ses, int op, uint16_t flags, const void *src, void *dst,
	       uint32_t len, void *iv, void *mac);

struct msghdr;
struct cmsghdr;

/*
 * The control messages an AF_ALG request starts with, in msg's control
 * buffer (msg_controllen covering them): the operation, then the IV when
 * ivlen is not 0. Returns the last one written.
 */
struct cmsghdr *afalg_cmsg(struct msghdr *msg, int enc, const void *iv, size_t ivlen);

/* AF_ALG reference (the guest's software drivers); 0 or -errno. */
int afalg_skcipher(const char *name, const void *key, size_t keylen, int enc, const void *iv,
		   size_t ivlen, const void *in, void *out, size_t len);
int afalg_hmac(const char *name, const void *key, size_t keylen, const void *in, size_t len,
	       void *out, size_t outlen);

/* "AES-ECB", "AES-CBC", "AES-CTR", "AES-XTS" for CRYPTO_AES_*, else "?". */
const char *cdev_alg_name(uint32_t alg);

/* Deterministic pseudo-random bytes (xorshift), seeded per call site. */
void cdev_fill(void *buf, size_t len, uint64_t seed);
int cdev_unhex(const char *hex, uint8_t *out, size_t max);
double cdev_now(void);

#endif
