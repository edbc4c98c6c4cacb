/* SPDX-License-Identifier: MIT */
/*
 * crypto/cryptodev.h - the cryptodev-linux userspace ABI, version 1.14.
 *
 * vcrypto's own rendition of the interface that cryptodev-linux (and
 * OpenBSD's cryptodev before it) gives user programs through /dev/crypto.
 * The wire facts are identical to cryptodev-linux 1.14 so that unmodified
 * programs written for it compile against this header and run: ioctl
 * numbers, structure layouts (64-bit and 32-bit), algorithm numbers and
 * flag bits.  Everything else here (comments, the compat section) is ours.
 *
 * In vcrypto the device behind /dev/crypto is virtio_cryptodev.ko: the
 * work is done by the host through a virtio-crypto device.  Not every
 * algorithm listed here is served; CIOCGSESSION says which (EINVAL).
 */
#ifndef L_CRYPTODEV_H
#define L_CRYPTODEV_H

#include <linux/types.h>
#include <linux/ioctl.h>
#ifndef __KERNEL__
#ifndef __user
#define __user
#endif
#endif

/* Largest keys a session accepts (cipher key, MAC key). */
#define CRYPTO_HMAC_MAX_KEY_LEN 512
#define CRYPTO_CIPHER_MAX_KEY_LEN 64

/* Algorithm numbers for session_op.cipher / .mac. */
enum cryptodev_crypto_op_t {
	CRYPTO_DES_CBC = 1,
	CRYPTO_3DES_CBC = 2,
	CRYPTO_BLF_CBC = 3,
	CRYPTO_CAST_CBC = 4,
	CRYPTO_SKIPJACK_CBC = 5,
	CRYPTO_MD5_HMAC = 6,
	CRYPTO_SHA1_HMAC = 7,
	CRYPTO_RIPEMD160_HMAC = 8,
	CRYPTO_MD5_KPDK = 9,
	CRYPTO_SHA1_KPDK = 10,
	CRYPTO_RIJNDAEL128_CBC = 11,
	CRYPTO_AES_CBC = CRYPTO_RIJNDAEL128_CBC,
	CRYPTO_ARC4 = 12,
	CRYPTO_MD5 = 13,
	CRYPTO_SHA1 = 14,
	CRYPTO_DEFLATE_COMP = 15,
	CRYPTO_NULL = 16,
	CRYPTO_LZS_COMP = 17,
	CRYPTO_SHA2_256_HMAC = 18,
	CRYPTO_SHA2_384_HMAC = 19,
	CRYPTO_SHA2_512_HMAC = 20,
	CRYPTO_AES_CTR = 21,
	CRYPTO_AES_XTS = 22,
	CRYPTO_AES_ECB = 23,
	CRYPTO_AES_CFB = 24,
	CRYPTO_AES_OFB = 25,
	CRYPTO_AES_GCM = 50,
	CRYPTO_AES_CCM = 51,

	CRYPTO_CAMELLIA_CBC = 101,
	CRYPTO_RIPEMD160 = 102,
	CRYPTO_SHA2_224 = 103,
	CRYPTO_SHA2_256 = 104,
	CRYPTO_SHA2_384 = 105,
	CRYPTO_SHA2_512 = 106,
	CRYPTO_SHA2_224_HMAC = 107,
	CRYPTO_TLS11_AES_CBC_HMAC_SHA1 = 108,
	CRYPTO_TLS12_AES_CBC_HMAC_SHA256 = 109,
	CRYPTO_ALGORITHM_ALL = 110, /* one past the last */
};

#define CRYPTO_ALGORITHM_MAX (CRYPTO_ALGORITHM_ALL - 1)

/* Block sizes in bytes. */
#define DES_BLOCK_LEN 8
#define DES3_BLOCK_LEN 8
#define RIJNDAEL128_BLOCK_LEN 16
#define AES_BLOCK_LEN RIJNDAEL128_BLOCK_LEN
#define CAMELLIA_BLOCK_LEN 16
#define BLOWFISH_BLOCK_LEN 8
#define SKIPJACK_BLOCK_LEN 8
#define CAST128_BLOCK_LEN 8
#define EALG_MAX_BLOCK_LEN 16 /* the largest of the above */

/* Largest digest / MAC output. */
#define AALG_MAX_RESULT_LEN 64
#define HASH_MAX_LEN 64

/* Size of the names in struct session_info_op. */
#define CRYPTODEV_MAX_ALG_NAME 64

/*
 * CIOCGSESSION argument.  In: cipher, mac (0 = none), the keys.
 * Out: ses, the session id (valid for the file descriptor it came from).
 * Size 48 on LP64, 28 on ILP32.  There is no compression field: a struct
 * that keeps its size but gains a field keeps its ioctl number and shifts
 * every later field, which breaks every compiled cryptodev program.
 */
struct session_op {
	__u32 cipher; /* enum cryptodev_crypto_op_t */
	__u32 mac; /* enum cryptodev_crypto_op_t */

	__u32 keylen;
	__u8 __user *key;
	__u32 mackeylen;
	__u8 __user *mackey;

	__u32 ses; /* session id (out) */
};

/* CIOCGSESSINFO argument: in ses, out the names of the drivers. 268 bytes. */
struct session_info_op {
	__u32 ses;

	struct alg_info {
		char cra_name[CRYPTODEV_MAX_ALG_NAME];
		char cra_driver_name[CRYPTODEV_MAX_ALG_NAME];
	} cipher_info, hash_info;

	__u16 alignmask; /* alignment the driver wants for buffers */
	__u32 flags; /* SIOP_FLAG_* */
};

/* The algorithm runs on a driver user space cannot reach by itself. */
#define SIOP_FLAG_KERNEL_DRIVER_ONLY 1

/* crypt_op.op, crypt_auth_op.op */
#define COP_ENCRYPT 0
#define COP_DECRYPT 1

/*
 * CIOCCRYPT argument.  len bytes from src are encrypted or decrypted into
 * dst (src == dst is in place); a MAC or digest goes to mac.
 * Size 48 on LP64, 28 on ILP32.
 */
struct crypt_op {
	__u32 ses;
	__u16 op; /* COP_ENCRYPT or COP_DECRYPT */
	__u16 flags; /* COP_FLAG_* */
	__u32 len; /* bytes at src (and at dst) */
	__u8 __user *src;
	__u8 __user *dst;
	__u8 __user *mac; /* hash / MAC result */
	__u8 __user *iv;
};

/*
 * CIOCAUTHCRYPT argument: AEAD, TLS and SRTP style authenticated
 * encryption (and, in vcrypto, cipher + HMAC chaining sessions).
 * Size 72 on LP64, 44 on ILP32.
 */
struct crypt_auth_op {
	__u32 ses;
	__u16 op; /* COP_ENCRYPT or COP_DECRYPT */
	__u16 flags; /* COP_FLAG_AEAD_* */
	__u32 len; /* bytes at src */
	__u32 auth_len; /* bytes at auth_src */
	__u8 __user *auth_src; /* authenticated-only data */
	__u8 __user *src; /* data encrypted and authenticated */
	__u8 __user *dst; /* output; room for the tag too in AEAD/TLS mode */
	__u8 __user *tag; /* tag output (SRTP and non-AEAD modes) */
	__u32 tag_len; /* 0: the digest size */
	__u8 __user *iv;
	__u32 iv_len;
};

/* crypt_op.flags / crypt_auth_op.flags */
#define COP_FLAG_NONE (0 << 0)
#define COP_FLAG_UPDATE (1 << 0) /* hash: more data follows */
#define COP_FLAG_FINAL (1 << 1) /* hash: last part */
#define COP_FLAG_WRITE_IV (1 << 2) /* write the next IV back to iv */
#define COP_FLAG_NO_ZC (1 << 3) /* copy, do not pin user pages */
#define COP_FLAG_AEAD_TLS_TYPE (1 << 4) /* TLS rules (MAC then pad, encrypt) */
#define COP_FLAG_AEAD_SRTP_TYPE (1 << 5) /* SRTP rules (encrypt then MAC) */
#define COP_FLAG_RESET (1 << 6) /* hash: restart (with COP_FLAG_UPDATE) */

/* Public key operations (CIOCKEY); cryptodev-linux does not implement them. */
#define CRYPTO_ALG_FLAG_SUPPORTED 1
#define CRYPTO_ALG_FLAG_RNG_ENABLE 2
#define CRYPTO_ALG_FLAG_DSA_SHA 4

struct crparam {
	__u8 *crp_p;
	__u32 crp_nbits;
};

#define CRK_MAXPARAM 8

struct crypt_kop {
	__u32 crk_op; /* enum cryptodev_crk_op_t */
	__u32 crk_status;
	__u16 crk_iparams;
	__u16 crk_oparams;
	__u32 crk_pad1;
	struct crparam crk_param[CRK_MAXPARAM];
};

enum cryptodev_crk_op_t {
	CRK_MOD_EXP = 0,
	CRK_MOD_EXP_CRT = 1,
	CRK_DSA_SIGN = 2,
	CRK_DSA_VERIFY = 3,
	CRK_DH_COMPUTE_KEY = 4,
	CRK_ALGORITHM_ALL
};

#define CRK_ALGORITHM_MAX (CRK_ALGORITHM_ALL - 1)

/* CIOCASYMFEAT result bits */
#define CRF_MOD_EXP (1 << CRK_MOD_EXP)
#define CRF_MOD_EXP_CRT (1 << CRK_MOD_EXP_CRT)
#define CRF_DSA_SIGN (1 << CRK_DSA_SIGN)
#define CRF_DSA_VERIFY (1 << CRK_DSA_VERIFY)
#define CRF_DH_COMPUTE_KEY (1 << CRK_DH_COMPUTE_KEY)

/* CIOCCPHASH argument: copy hash state from src_ses to dst_ses. */
struct cphash_op {
	__u32 dst_ses;
	__u32 src_ses;
};

/* ioctl numbers (type 'c'); the size part follows the structures above. */
#define CRIOGET _IOWR('c', 101, __u32)
#define CIOCGSESSION _IOWR('c', 102, struct session_op)
#define CIOCFSESSION _IOW('c', 103, __u32)
#define CIOCCRYPT _IOWR('c', 104, struct crypt_op)
#define CIOCKEY _IOWR('c', 105, struct crypt_kop)
#define CIOCASYMFEAT _IOR('c', 106, __u32)
#define CIOCGSESSINFO _IOWR('c', 107, struct session_info_op)

/* CRIOGET exists for old programs; a /dev/crypto fd works without it. */
#define CRIOGET_NOT_NEEDED 1

#define CIOCAUTHCRYPT _IOWR('c', 109, struct crypt_auth_op)

/* Asynchronous interface (optional in cryptodev-linux). */
#define CIOCASYNCCRYPT _IOW('c', 110, struct crypt_op)
#define CIOCASYNCFETCH _IOR('c', 111, struct crypt_op)

#define CIOCCPHASH _IOW('c', 112, struct cphash_op)

/*
 * 32-bit (ILP32) layouts, as a 32-bit program on a 64-bit kernel passes
 * them: pointers are 32-bit and the structures are 4-byte aligned.  A
 * kernel serving compat_ioctl decodes these; __u32 stands for a pointer.
 */
struct cryptodev_compat_session_op {
	__u32 cipher;
	__u32 mac;
	__u32 keylen;
	__u32 key; /* pointer */
	__u32 mackeylen;
	__u32 mackey; /* pointer */
	__u32 ses;
};

struct cryptodev_compat_crypt_op {
	__u32 ses;
	__u16 op;
	__u16 flags;
	__u32 len;
	__u32 src; /* pointer */
	__u32 dst; /* pointer */
	__u32 mac; /* pointer */
	__u32 iv; /* pointer */
};

struct cryptodev_compat_crypt_auth_op {
	__u32 ses;
	__u16 op;
	__u16 flags;
	__u32 len;
	__u32 auth_len;
	__u32 auth_src; /* pointer */
	__u32 src; /* pointer */
	__u32 dst; /* pointer */
	__u32 tag; /* pointer */
	__u32 tag_len;
	__u32 iv; /* pointer */
	__u32 iv_len;
};

/* The same ioctls as a 32-bit program numbers them. */
#define CRYPTODEV_COMPAT_CIOCGSESSION _IOWR('c', 102, struct cryptodev_compat_session_op)
#define CRYPTODEV_COMPAT_CIOCCRYPT _IOWR('c', 104, struct cryptodev_compat_crypt_op)
#define CRYPTODEV_COMPAT_CIOCAUTHCRYPT _IOWR('c', 109, struct cryptodev_compat_crypt_auth_op)
#define CRYPTODEV_COMPAT_CIOCASYNCCRYPT _IOW('c', 110, struct cryptodev_compat_crypt_op)
#define CRYPTODEV_COMPAT_CIOCASYNCFETCH _IOR('c', 111, struct cryptodev_compat_crypt_op)

#endif /* L_CRYPTODEV_H */
