// SPDX-License-Identifier: MIT
/*
 * The cryptodev-linux 1.14 ABI, written down as literal numbers and checked
 * against our installed header <crypto/cryptodev.h> and the 32-bit compat
 * structures the module decodes.
 *
 * The numbers below come from cryptodev-linux's own crypto/cryptodev.h built
 * with gcc on Debian 12 (x86-64 and i386); they are facts about the peer and
 * must never be derived from our header.  A struct that keeps its size but
 * gains a field keeps its ioctl number and silently shifts every later field
 * (this shipped once: session_op had a "compr" field), so every offset is
 * checked, not only sizes.
 *
 * Built twice: natively (x86-64 layouts, plus the compat structs against the
 * i386 facts) and with -m32 (the i386 layouts a 32-bit program compiles).
 */
#include <stddef.h>
#include <stdio.h>
#include <crypto/cryptodev.h>

static int n, failed;

static void check(const char *what, unsigned long got, unsigned long want)
{
	n++;
	if (got == want) {
		printf("ok %d - %s = %lu (%#lx)\n", n, what, got, got);
	} else {
		printf("not ok %d - %s = %lu (%#lx), cryptodev-linux 1.14 has %lu (%#lx)\n", n, what,
		       got, got, want, want);
		failed++;
	}
}

#define SZ(t, want) check("sizeof(" #t ")", sizeof(t), want)
#define OFF(t, f, want) check("offsetof(" #t ", " #f ")", offsetof(t, f), want)
#define NUM(c, want) check(#c, (unsigned long)(c), want)

/* The same layouts on every ABI. */
static void common(void)
{
	SZ(struct session_info_op, 268);
	OFF(struct session_info_op, ses, 0);
	OFF(struct session_info_op, cipher_info, 4);
	OFF(struct session_info_op, hash_info, 132);
	OFF(struct session_info_op, alignmask, 260);
	OFF(struct session_info_op, flags, 264);
	SZ(struct cphash_op, 8);
	OFF(struct cphash_op, dst_ses, 0);
	OFF(struct cphash_op, src_ses, 4);

	NUM(CRIOGET, 0xc0046365);
	NUM(CIOCFSESSION, 0x40046367);
	NUM(CIOCASYMFEAT, 0x8004636a);
	NUM(CIOCGSESSINFO, 0xc10c636b);
	NUM(CIOCCPHASH, 0x40086370);

	NUM(COP_ENCRYPT, 0);
	NUM(COP_DECRYPT, 1);
	NUM(COP_FLAG_UPDATE, 1);
	NUM(COP_FLAG_FINAL, 2);
	NUM(COP_FLAG_WRITE_IV, 4);
	NUM(COP_FLAG_NO_ZC, 8);
	NUM(COP_FLAG_AEAD_TLS_TYPE, 16);
	NUM(COP_FLAG_AEAD_SRTP_TYPE, 32);
	NUM(COP_FLAG_RESET, 64);
	NUM(SIOP_FLAG_KERNEL_DRIVER_ONLY, 1);
	NUM(CRYPTO_HMAC_MAX_KEY_LEN, 512);
	NUM(CRYPTO_CIPHER_MAX_KEY_LEN, 64);
	NUM(CRYPTODEV_MAX_ALG_NAME, 64);
	NUM(HASH_MAX_LEN, 64);
	NUM(AALG_MAX_RESULT_LEN, 64);

	NUM(CRYPTO_DES_CBC, 1);
	NUM(CRYPTO_3DES_CBC, 2);
	NUM(CRYPTO_MD5_HMAC, 6);
	NUM(CRYPTO_SHA1_HMAC, 7);
	NUM(CRYPTO_AES_CBC, 11);
	NUM(CRYPTO_MD5, 13);
	NUM(CRYPTO_SHA1, 14);
	NUM(CRYPTO_NULL, 16);
	NUM(CRYPTO_SHA2_256_HMAC, 18);
	NUM(CRYPTO_SHA2_384_HMAC, 19);
	NUM(CRYPTO_SHA2_512_HMAC, 20);
	NUM(CRYPTO_AES_CTR, 21);
	NUM(CRYPTO_AES_XTS, 22);
	NUM(CRYPTO_AES_ECB, 23);
	NUM(CRYPTO_AES_GCM, 50);
	NUM(CRYPTO_CAMELLIA_CBC, 101);
	NUM(CRYPTO_RIPEMD160, 102);
	NUM(CRYPTO_SHA2_224, 103);
	NUM(CRYPTO_SHA2_256, 104);
	NUM(CRYPTO_SHA2_384, 105);
	NUM(CRYPTO_SHA2_512, 106);
	NUM(CRYPTO_SHA2_224_HMAC, 107);
	NUM(CRYPTO_TLS11_AES_CBC_HMAC_SHA1, 108);
	NUM(CRYPTO_TLS12_AES_CBC_HMAC_SHA256, 109);
	NUM(CRYPTO_ALGORITHM_ALL, 110);
}

#if defined(__x86_64__)
static void lp64(void)
{
	SZ(struct session_op, 48);
	OFF(struct session_op, cipher, 0);
	OFF(struct session_op, mac, 4);
	OFF(struct session_op, keylen, 8);
	OFF(struct session_op, key, 16);
	OFF(struct session_op, mackeylen, 24);
	OFF(struct session_op, mackey, 32);
	OFF(struct session_op, ses, 40);

	SZ(struct crypt_op, 48);
	OFF(struct crypt_op, ses, 0);
	OFF(struct crypt_op, op, 4);
	OFF(struct crypt_op, flags, 6);
	OFF(struct crypt_op, len, 8);
	OFF(struct crypt_op, src, 16);
	OFF(struct crypt_op, dst, 24);
	OFF(struct crypt_op, mac, 32);
	OFF(struct crypt_op, iv, 40);

	SZ(struct crypt_auth_op, 72);
	OFF(struct crypt_auth_op, ses, 0);
	OFF(struct crypt_auth_op, op, 4);
	OFF(struct crypt_auth_op, flags, 6);
	OFF(struct crypt_auth_op, len, 8);
	OFF(struct crypt_auth_op, auth_len, 12);
	OFF(struct crypt_auth_op, auth_src, 16);
	OFF(struct crypt_auth_op, src, 24);
	OFF(struct crypt_auth_op, dst, 32);
	OFF(struct crypt_auth_op, tag, 40);
	OFF(struct crypt_auth_op, tag_len, 48);
	OFF(struct crypt_auth_op, iv, 56);
	OFF(struct crypt_auth_op, iv_len, 64);

	SZ(struct crypt_kop, 144);

	NUM(CIOCGSESSION, 0xc0306366);
	NUM(CIOCCRYPT, 0xc0306368);
	NUM(CIOCKEY, 0xc0906369);
	NUM(CIOCAUTHCRYPT, 0xc048636d);
	NUM(CIOCASYNCCRYPT, 0x4030636e);
	NUM(CIOCASYNCFETCH, 0x8030636f);

	/* What the module's compat_ioctl decodes: i386 facts. */
	SZ(struct cryptodev_compat_session_op, 28);
	OFF(struct cryptodev_compat_session_op, cipher, 0);
	OFF(struct cryptodev_compat_session_op, mac, 4);
	OFF(struct cryptodev_compat_session_op, keylen, 8);
	OFF(struct cryptodev_compat_session_op, key, 12);
	OFF(struct cryptodev_compat_session_op, mackeylen, 16);
	OFF(struct cryptodev_compat_session_op, mackey, 20);
	OFF(struct cryptodev_compat_session_op, ses, 24);
	SZ(struct cryptodev_compat_crypt_op, 28);
	OFF(struct cryptodev_compat_crypt_op, len, 8);
	OFF(struct cryptodev_compat_crypt_op, src, 12);
	OFF(struct cryptodev_compat_crypt_op, dst, 16);
	OFF(struct cryptodev_compat_crypt_op, mac, 20);
	OFF(struct cryptodev_compat_crypt_op, iv, 24);
	SZ(struct cryptodev_compat_crypt_auth_op, 44);
	OFF(struct cryptodev_compat_crypt_auth_op, auth_len, 12);
	OFF(struct cryptodev_compat_crypt_auth_op, auth_src, 16);
	OFF(struct cryptodev_compat_crypt_auth_op, src, 20);
	OFF(struct cryptodev_compat_crypt_auth_op, dst, 24);
	OFF(struct cryptodev_compat_crypt_auth_op, tag, 28);
	OFF(struct cryptodev_compat_crypt_auth_op, tag_len, 32);
	OFF(struct cryptodev_compat_crypt_auth_op, iv, 36);
	OFF(struct cryptodev_compat_crypt_auth_op, iv_len, 40);
	NUM(CRYPTODEV_COMPAT_CIOCGSESSION, 0xc01c6366);
	NUM(CRYPTODEV_COMPAT_CIOCCRYPT, 0xc01c6368);
	NUM(CRYPTODEV_COMPAT_CIOCAUTHCRYPT, 0xc02c636d);
	NUM(CRYPTODEV_COMPAT_CIOCASYNCCRYPT, 0x401c636e);
	NUM(CRYPTODEV_COMPAT_CIOCASYNCFETCH, 0x801c636f);
}
#elif defined(__i386__)
static void ilp32(void)
{
	SZ(struct session_op, 28);
	OFF(struct session_op, cipher, 0);
	OFF(struct session_op, mac, 4);
	OFF(struct session_op, keylen, 8);
	OFF(struct session_op, key, 12);
	OFF(struct session_op, mackeylen, 16);
	OFF(struct session_op, mackey, 20);
	OFF(struct session_op, ses, 24);

	SZ(struct crypt_op, 28);
	OFF(struct crypt_op, ses, 0);
	OFF(struct crypt_op, op, 4);
	OFF(struct crypt_op, flags, 6);
	OFF(struct crypt_op, len, 8);
	OFF(struct crypt_op, src, 12);
	OFF(struct crypt_op, dst, 16);
	OFF(struct crypt_op, mac, 20);
	OFF(struct crypt_op, iv, 24);

	SZ(struct crypt_auth_op, 44);
	OFF(struct crypt_auth_op, auth_len, 12);
	OFF(struct crypt_auth_op, auth_src, 16);
	OFF(struct crypt_auth_op, src, 20);
	OFF(struct crypt_auth_op, dst, 24);
	OFF(struct crypt_auth_op, tag, 28);
	OFF(struct crypt_auth_op, tag_len, 32);
	OFF(struct crypt_auth_op, iv, 36);
	OFF(struct crypt_auth_op, iv_len, 40);

	NUM(CIOCGSESSION, 0xc01c6366);
	NUM(CIOCCRYPT, 0xc01c6368);
	NUM(CIOCAUTHCRYPT, 0xc02c636d);
	NUM(CIOCASYNCCRYPT, 0x401c636e);
	NUM(CIOCASYNCFETCH, 0x801c636f);
}
#endif

int main(void)
{
#if defined(__x86_64__)
	printf("# cryptodev-linux 1.14 ABI facts, x86-64 (and the module's i386 compat structs)\n");
	common();
	lp64();
#elif defined(__i386__)
	printf("# cryptodev-linux 1.14 ABI facts, i386\n");
	common();
	ilp32();
#else
#error "ABI facts are written down for x86-64 and i386 only"
#endif
	printf("1..%d\n", n);
	return failed ? 1 : 0;
}
