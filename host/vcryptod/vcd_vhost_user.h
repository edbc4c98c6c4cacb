/* SPDX-License-Identifier: MIT */
/*
 * vhost-user wire format as spoken between QEMU (or a test frontend) and
 * vcryptod: message header, the payloads the crypto device uses, and the two
 * CREATE_CRYPTO_SESSION layouts (QEMU 7.1-8.0: 632 bytes; 8.1+: 1072 bytes).
 * Layouts checked against QEMU v7.2.0 and v8.1.0 hw/virtio/vhost-user.c and
 * include/sysemu/cryptodev.h (x86-64). All fields little-endian.
 */
#ifndef VCRYPTO_VCD_VHOST_USER_H
#define VCRYPTO_VCD_VHOST_USER_H

#include <stddef.h>
#include <stdint.h>

enum vcd_vu_request {
	VCD_VU_GET_FEATURES = 1,
	VCD_VU_SET_FEATURES = 2,
	VCD_VU_SET_OWNER = 3,
	VCD_VU_RESET_OWNER = 4,
	VCD_VU_SET_MEM_TABLE = 5,
	VCD_VU_SET_LOG_BASE = 6,
	VCD_VU_SET_LOG_FD = 7,
	VCD_VU_SET_VRING_NUM = 8,
	VCD_VU_SET_VRING_ADDR = 9,
	VCD_VU_SET_VRING_BASE = 10,
	VCD_VU_GET_VRING_BASE = 11,
	VCD_VU_SET_VRING_KICK = 12,
	VCD_VU_SET_VRING_CALL = 13,
	VCD_VU_SET_VRING_ERR = 14,
	VCD_VU_GET_PROTOCOL_FEATURES = 15,
	VCD_VU_SET_PROTOCOL_FEATURES = 16,
	VCD_VU_GET_QUEUE_NUM = 17,
	VCD_VU_SET_VRING_ENABLE = 18,
	VCD_VU_CREATE_CRYPTO_SESSION = 26,
	VCD_VU_CLOSE_CRYPTO_SESSION = 27,
};

#define VCD_VU_VERSION 0x1u
#define VCD_VU_FLAG_REPLY (1u << 2)
#define VCD_VU_FLAG_NEED_REPLY (1u << 3)

/* Virtio feature bits (GET/SET_FEATURES). */
#define VCD_VU_F_RING_INDIRECT_DESC 28
#define VCD_VU_F_RING_EVENT_IDX 29
#define VCD_VU_F_PROTOCOL_FEATURES 30
#define VCD_VU_F_VERSION_1 32

/* Protocol feature bits (GET/SET_PROTOCOL_FEATURES). */
#define VCD_VU_PROTOCOL_F_MQ 0
#define VCD_VU_PROTOCOL_F_REPLY_ACK 3
#define VCD_VU_PROTOCOL_F_CRYPTO_SESSION 7

/* SET_VRING_KICK/CALL/ERR payload: bits 0-7 queue index, bit 8 "no fd". */
#define VCD_VU_VRING_IDX_MASK 0xffu
#define VCD_VU_VRING_NOFD_MASK (1u << 8)

#define VCD_VU_MAX_MEM_REGIONS 8

struct vcd_vu_hdr {
	uint32_t request;
	uint32_t flags;
	uint32_t size; /* payload bytes following the header */
} __attribute__((packed));

struct vcd_vu_vring_state {
	uint32_t index;
	uint32_t num;
};

struct vcd_vu_vring_addr {
	uint32_t index;
	uint32_t flags;
	uint64_t desc_user_addr; /* frontend virtual addresses, not GPAs */
	uint64_t used_user_addr;
	uint64_t avail_user_addr;
	uint64_t log_guest_addr;
};

struct vcd_vu_mem_region {
	uint64_t guest_phys_addr;
	uint64_t memory_size;
	uint64_t userspace_addr;
	uint64_t mmap_offset;
};

struct vcd_vu_mem_table {
	uint32_t nregions;
	uint32_t padding;
	struct vcd_vu_mem_region regions[VCD_VU_MAX_MEM_REGIONS];
};

/* QEMU's CryptoDevBackendSymSessionInfo without op_code (7.1 and newer). */
struct vcd_vu_sym_info {
	uint32_t cipher_alg;
	uint32_t key_len;
	uint32_t hash_alg;
	uint32_t hash_result_len;
	uint32_t auth_key_len;
	uint32_t add_len;
	uint8_t op_type;
	uint8_t direction;
	uint8_t hash_mode;
	uint8_t alg_chain_order;
	uint32_t pad;
	uint64_t cipher_key_ptr; /* QEMU pointers: meaningless here */
	uint64_t auth_key_ptr;
};

#define VCD_VU_SYM_KEY_MAX 64
#define VCD_VU_SYM_AUTH_KEY_MAX 512
#define VCD_VU_ASYM_KEY_MAX 1024

/* QEMU 7.1 to 8.0: 632 bytes. */
struct vcd_vu_session_632 {
	int64_t session_id; /* reply: backend's id, < 0 on failure */
	struct vcd_vu_sym_info info;
	uint8_t key[VCD_VU_SYM_KEY_MAX];
	uint8_t auth_key[VCD_VU_SYM_AUTH_KEY_MAX];
};

/* QEMU's CryptoDevBackendAsymSessionInfo (8.1 and newer). */
struct vcd_vu_asym_info {
	uint32_t algo; /* VIRTIO_CRYPTO_AKCIPHER_RSA */
	uint32_t keytype; /* VIRTIO_CRYPTO_AKCIPHER_KEY_TYPE_* */
	uint32_t keylen;
	uint32_t pad;
	uint64_t key_ptr; /* QEMU pointer: meaningless here */
	uint32_t rsa_padding_algo; /* VIRTIO_CRYPTO_RSA_*_PADDING */
	uint32_t rsa_hash_algo; /* VIRTIO_CRYPTO_RSA_<hash> */
};

/* QEMU 8.1 and newer: 1072 bytes. */
struct vcd_vu_session_1072 {
	uint64_t op_code; /* VIRTIO_CRYPTO_{CIPHER,AKCIPHER}_CREATE_SESSION */
	union {
		struct {
			struct vcd_vu_sym_info info;
			uint8_t key[VCD_VU_SYM_KEY_MAX];
			uint8_t auth_key[VCD_VU_SYM_AUTH_KEY_MAX];
		} sym;
		struct {
			struct vcd_vu_asym_info info;
			uint8_t key[VCD_VU_ASYM_KEY_MAX]; /* DER, PKCS#1 */
		} asym;
	} u;
	int64_t session_id;
};

_Static_assert(sizeof(struct vcd_vu_hdr) == 12, "vhost-user header");
_Static_assert(sizeof(struct vcd_vu_sym_info) == 48, "QEMU sym session info");
_Static_assert(sizeof(struct vcd_vu_asym_info) == 32, "QEMU asym session info");
_Static_assert(sizeof(struct vcd_vu_session_632) == 632, "the 632-byte layout (QEMU 7.1-8.0)");
_Static_assert(offsetof(struct vcd_vu_session_632, key) == 56, "7.2 key");
_Static_assert(offsetof(struct vcd_vu_session_632, auth_key) == 120, "7.2 auth");
_Static_assert(sizeof(struct vcd_vu_session_1072) == 1072, "the 1072-byte layout (QEMU 8.1+)");
_Static_assert(offsetof(struct vcd_vu_session_1072, session_id) == 1064, "8.1 id");
_Static_assert(offsetof(struct vcd_vu_session_1072, u.asym.key) == 40, "8.1 key");

/*
 * Data-request semantics vcryptod gives the parts virtio leaves open:
 * - A cipher session's direction (from CREATE_CRYPTO_SESSION) decides whether
 *   a request encrypts or decrypts, as in QEMU's builtin backend.
 * - Algorithm chaining (op_type 2), readable: header, iv, aad, src; writable:
 *   dst, hash result, status. The cipher runs over
 *   src[cipher_start_src_offset, +len_to_cipher]; the other bytes of src are
 *   copied to dst unchanged (dst_data_len == src_data_len, or 0 with
 *   VIRTIO_CRYPTO_NO_CIPHER). HASH_THEN_CIPHER: the MAC covers aad || the
 *   input src[hash_start_src_offset, +len_to_hash]; CIPHER_THEN_HASH: aad ||
 *   the output dst[hash_start_src_offset, +len_to_hash]. The first
 *   hash_result_len bytes of the digest are written (never verified).
 * - Akcipher (sessions of the 1072-byte layout): readable src (and, for VERIFY, dst =
 *   the digest); writable dst for ENCRYPT/DECRYPT/SIGN. The result is written
 *   from the start of dst, the rest of dst zeroed; used.len = result + 1.
 *   A signature that does not verify gets VIRTIO_CRYPTO_KEY_REJECTED.
 * - Requests are answered in used.len with the bytes written incl. status.
 */

#endif
