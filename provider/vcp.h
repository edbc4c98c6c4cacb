/* vcrypto OpenSSL 3 provider: shared declarations (prefix vcp_). */
#ifndef VCP_H
#define VCP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <openssl/core.h>
#include <openssl/core_dispatch.h>
#include <openssl/types.h>

/* Reason codes of the provider's errors (strings in vcp_prov.c). */
enum {
	VCP_R_DEVICE = 1, /* a /dev/crypto request failed */
	VCP_R_KEYLEN, /* wrong key length */
	VCP_R_IVLEN, /* wrong IV length */
	VCP_R_BAD_DECRYPT, /* bad padding on decrypt */
	VCP_R_FINAL_BLOCK, /* data not a whole number of blocks */
	VCP_R_NO_COPY, /* digest state cannot be copied (no CIOCCPHASH) */
	VCP_R_BAD_INPUT, /* an argument the algorithm cannot take */
	VCP_R_NO_KEY, /* no key set */
	VCP_R_FORK, /* a context used mid-stream across fork() */
	VCP_R_SOFTWARE, /* the software fallback failed */
};

struct vcp_prov {
	const OSSL_CORE_HANDLE *handle;
	OSSL_LIB_CTX *libctx; /* child library context: software fallback */
	size_t min_offload; /* shorter one-shot work goes to software */
	char why[256]; /* why nothing is offered (empty: device found) */
	char cache_info[80]; /* vcrypto-session-cache, as last asked */
};

/* Errors onto the application's error stack, through the core. */
void vcp_err(int reason, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* getpid() without a system call per request (a MADV_WIPEONFORK page; vcp_prov.c). */
pid_t vcp_getpid(void);
/* The process's /dev/crypto descriptor (re-opened after fork); -1 if none. */
int vcp_fd(void);

/* A cryptodev session on descriptor fd; returns 0 and the id, or -errno. */
int vcp_sess_new(int fd, uint32_t cipher, const void *key, uint32_t keylen, uint32_t mac,
		 const void *mackey, uint32_t mackeylen, uint32_t *ses);
void vcp_sess_free(int fd, uint32_t ses);
/*
 * Digest/HMAC sessions through the per-process idle cache: get takes a
 * cached session of the same algorithm and key (or opens one); put gives it
 * back for the next context (the oldest cached one is freed when full).
 * The cache knows an HMAC key only by its tag (vcp_idle_tag: a salted
 * SHA-256 of the key), which the caller computes once per key and passes
 * to both; tag NULL with a key: the cache is bypassed (get opens a
 * session, put frees it). keylen 0 (plain digests): tag is ignored.
 */
#define VCP_TAG_LEN 32
int vcp_idle_tag(const void *key, uint32_t keylen, uint8_t tag[VCP_TAG_LEN]);
int vcp_sess_get(int fd, uint32_t mac, const void *key, uint32_t keylen, const uint8_t *tag,
		 uint32_t *ses);
/* (vcp_sess_get returns 1 for a cached session, 0 for a new one, or -errno) */
void vcp_idle_flush(void);
void vcp_sess_put(int fd, uint32_t mac, uint32_t keylen, const uint8_t *tag, uint32_t ses);
int vcp_crypt(int fd, uint32_t ses, int op, const void *src, void *dst, size_t len, void *iv,
	      uint16_t flags, void *mac);

/* What the device serves, found at load: indices into the tables below. */
extern int vcp_cipher_ok[];
extern int vcp_digest_ok[];
extern int vcp_hmac_ok[];
extern int vcp_gcm_ok[3]; /* AES-128/192/256-GCM (from the CTR probe) */
int vcp_gcm_algs(OSSL_ALGORITHM *algs, int n);
/* AES-CBC-HMAC-SHA1/SHA256 for TLS records, where CBC and HMAC were found */
int vcp_tls_algs(OSSL_ALGORITHM *algs, int n);

struct vcp_digest_alg {
	const char *names; /* OpenSSL's names, colon separated */
	uint32_t cdev; /* CRYPTO_SHA... plain */
	uint32_t cdev_hmac; /* CRYPTO_SHA..._HMAC */
	size_t size, block;
	const char *swname; /* name to fetch from the default provider */
};
extern const struct vcp_digest_alg vcp_digests[];
#define VCP_NDIGESTS 5
int vcp_digest_by_name(const char *name); /* index or -1 */

#define VCP_NCIPHERS 12 /* ECB/CBC/CTR x 128/192/256, XTS 256/512 (+1 spare) */
void vcp_probe(struct vcp_prov *p);

/* Algorithm tables for the query function (only what the probe found). */
const OSSL_ALGORITHM *vcp_ciphers(void);
const OSSL_ALGORITHM *vcp_digest_algs(void);
const OSSL_ALGORITHM *vcp_macs(void);

size_t vcp_min_offload(void);
OSSL_LIB_CTX *vcp_libctx(void);
/* The default provider's algorithm from the child libctx, cached; caller frees its reference. */
EVP_CIPHER *vcp_sw_cipher(const char *name);
EVP_MD *vcp_sw_md(const char *name);
EVP_MAC *vcp_sw_mac(const char *name);
/*
 * The default provider's implementation itself (kind 1 cipher, 2 digest,
 * 3 MAC), to call its functions directly; 0 if there is none.
 */
struct vcp_swimpl {
	void *provctx;
	const OSSL_DISPATCH *fns;
};
int vcp_sw_impl(int kind, const char *name, struct vcp_swimpl *out);
void (*vcp_sw_fn(const struct vcp_swimpl *impl, int id))(void);
void vcp_digest_sw_reset(void); /* vcp_digest.c: forget resolved functions */
void vcp_digest_fork_lock(int lock); /* vcp_digest.c: its pool lock, around fork() */
void vcp_cipher_sw_reset(void); /* vcp_cipher.c: the same */
void vcp_gcm_sw_reset(void); /* vcp_gcm.c: the same */
void vcp_digest_spares(int on); /* vcp_digest.c: spare contexts allowed (load) / freed (unload) */
unsigned long vcp_digest_spare_hits(void); /* contexts made from a spare */

/*
 * memcpy for held messages.  glibc's memcpy moves large blocks with
 * `rep movsb`, which QEMU's TCG runs a byte at a time: 37 us for 16 KiB in
 * a TCG guest against 4.7 us for this word loop (0.6 us natively), and a
 * held digest message is copied once per message (issue #12).  The loop
 * must stay a loop: GCC would turn it back into a memcpy call.
 */
#if defined(__GNUC__) && !defined(__clang__)
#define VCP_NO_MEMCPY_CALL __attribute__((optimize("no-tree-loop-distribute-patterns")))
#elif defined(__clang__)
#define VCP_NO_MEMCPY_CALL __attribute__((no_builtin))
#else
#define VCP_NO_MEMCPY_CALL
#endif
VCP_NO_MEMCPY_CALL static inline void vcp_copy(void *dst, const void *src, size_t n)
{
	uint8_t *d = dst;
	const uint8_t *s = src;
	uint64_t w;

	for (; n >= 8; n -= 8, d += 8, s += 8) {
		__builtin_memcpy(&w, s, 8);
		__builtin_memcpy(d, &w, 8);
	}
	while (n--)
		*d++ = *s++;
}

/*
 * OPENSSL_cleanse for held messages: it ends in glibc's memset, `rep stosb`,
 * which TCG runs a byte at a time like memcpy's `rep movsb` above. A word
 * loop, and an empty asm that claims to read the memory, so the stores
 * cannot be dropped as dead.
 */
VCP_NO_MEMCPY_CALL static inline void vcp_wipe(void *p, size_t n)
{
	uint8_t *d = p;
	const uint64_t z = 0;

	for (; n >= 8; n -= 8, d += 8)
		__builtin_memcpy(d, &z, 8);
	while (n--)
		*d++ = 0;
	__asm__ __volatile__("" : : "r"(p) : "memory");
}

/*
 * Resolved functions go in whole, ok last (release): a reader that sees ok
 * set sees the functions. ok is 0 until then. (The tables of default-provider functions,
 * vcp_digest.c and vcp_cipher.c.)
 */
#define VCP_PUBLISH(type, name)                                 \
	static void name(type *f, type *t)                      \
	{                                                       \
		int ok = t->ok;                                 \
                                                                \
		t->ok = 0;                                      \
		*f = *t;                                        \
		__atomic_store_n(&f->ok, ok, __ATOMIC_RELEASE); \
	}
/* Constant-time helpers (vcp_tls.c, vcp_cipher.c): all-ones or all-zeros masks. */
static inline size_t vcp_ct_lt(size_t a, size_t b)
{
	return 0 - ((a ^ ((a ^ b) | ((a - b) ^ b))) >> (sizeof(size_t) * 8 - 1));
}

static inline size_t vcp_ct_ge(size_t a, size_t b)
{
	return ~vcp_ct_lt(a, b);
}

static inline size_t vcp_ct_eq(size_t a, size_t b)
{
	size_t x = a ^ b;

	return 0 - ((~x & (x - 1)) >> (sizeof(size_t) * 8 - 1));
}

static inline size_t vcp_ct_sel(size_t mask, size_t a, size_t b)
{
	return (mask & a) | (~mask & b);
}

/* A cipher algorithm's fixed parameters (EVP_CIPHER_get_mode() etc.), every family alike. */
struct vcp_cipher_info {
	unsigned int mode;
	size_t keylen, ivlen, blocksize;
	int aead, custom_iv;
};
int vcp_cipher_get_params(OSSL_PARAM params[], const struct vcp_cipher_info *ci);
const OSSL_PARAM *vcp_cipher_gettable(void *provctx);

/*
 * OpenSSL wants one dispatch table per algorithm. Cipher family x (c: plain
 * AES, g: GCM, t: TLS composite) names its functions vcp_<x>new(provctx,
 * i), vcp_<x>einit, ..., vcp_<x>get_params_idx(params, i); this makes the
 * table vcp_<x>fns_<i> of its algorithm i.
 */
#define VCP_CIPHER_FNS(x, i)                                                                   \
	static void *vcp_##x##new_##i(void *provctx)                                           \
	{                                                                                      \
		return vcp_##x##new (provctx, i);                                              \
	}                                                                                      \
	static int vcp_##x##get_params_##i(OSSL_PARAM params[])                                \
	{                                                                                      \
		return vcp_##x##get_params_idx(params, i);                                     \
	}                                                                                      \
	static const OSSL_DISPATCH vcp_##x##fns_##i[] = {                                      \
		{OSSL_FUNC_CIPHER_NEWCTX, (void (*)(void))vcp_##x##new_##i},                   \
		{OSSL_FUNC_CIPHER_ENCRYPT_INIT, (void (*)(void))vcp_##x##einit},               \
		{OSSL_FUNC_CIPHER_DECRYPT_INIT, (void (*)(void))vcp_##x##dinit},               \
		{OSSL_FUNC_CIPHER_UPDATE, (void (*)(void))vcp_##x##update},                    \
		{OSSL_FUNC_CIPHER_FINAL, (void (*)(void))vcp_##x##final},                      \
		{OSSL_FUNC_CIPHER_CIPHER, (void (*)(void))vcp_##x##cipher},                    \
		{OSSL_FUNC_CIPHER_FREECTX, (void (*)(void))vcp_##x##free},                     \
		{OSSL_FUNC_CIPHER_DUPCTX, (void (*)(void))vcp_##x##dup},                       \
		{OSSL_FUNC_CIPHER_GET_PARAMS, (void (*)(void))vcp_##x##get_params_##i},        \
		{OSSL_FUNC_CIPHER_GETTABLE_PARAMS, (void (*)(void))vcp_cipher_gettable},       \
		{OSSL_FUNC_CIPHER_GET_CTX_PARAMS, (void (*)(void))vcp_##x##get_ctx_params},    \
		{OSSL_FUNC_CIPHER_SET_CTX_PARAMS, (void (*)(void))vcp_##x##set_ctx_params},    \
		{OSSL_FUNC_CIPHER_GETTABLE_CTX_PARAMS, (void (*)(void))vcp_##x##ctx_gettable}, \
		{OSSL_FUNC_CIPHER_SETTABLE_CTX_PARAMS, (void (*)(void))vcp_##x##ctx_settable}, \
		{0, NULL},                                                                     \
	};

#endif
