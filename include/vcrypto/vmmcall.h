/* SPDX-License-Identifier: MIT */
/*
 * vmmcall channel frames: the wire format between a guest (libvmmcall over
 * the virtio-serial port org.vcrypto.vmmcall.0) and the host's vprocd.
 *
 * Every frame is a 32-byte header followed by `len` payload bytes. All
 * integers are little-endian. A response carries the request's type with
 * VMM_T_RESPONSE set and the request's req_id; a reader discards responses
 * whose req_id it does not expect (a previous client may have left one
 * behind when the guest closed the port early).
 *
 *   off size field
 *   0   4    magic     "VMMC" (0x434d4d56 little-endian)
 *   4   2    version   VMM_VERSION
 *   6   2    type      VMM_T_*  (| VMM_T_RESPONSE in responses)
 *   8   4    req_id    chosen by the client, echoed
 *   12  4    desc      process descriptor (MSG, CLOSE, NEWPROCESS reply)
 *   16  4    code      message code (MSG)
 *   20  4    status    0 in requests; 0 or -VMM_E_* / -errno in responses
 *   24  4    len       payload length, at most VMM_MAX_PAYLOAD
 *   28  4    reserved  must be 0
 *
 * Payloads:
 *   NEWPROCESS request: u32 image_len, u32 sig_len, image, sig
 *              reply:   desc in the header; payload empty
 *   MSG request:        the data for the process (<= VMM_MAX_MSG)
 *       reply:          the process's reply data; status = the process's
 *                       status (>= 0) or an error
 *   CLOSE:              empty both ways
 *   LIST reply:         text, one "desc name version state\n" per process
 *   any error reply:    a short human-readable text (<= VMM_MAX_ERRTEXT)
 *
 * The header is the only definition of this format; vprocd, libvmmcall,
 * the tests and the fuzz targets all use the helpers below.
 */
#ifndef VCRYPTO_VMMCALL_H
#define VCRYPTO_VMMCALL_H

#include <stdint.h>
#include <stddef.h>
#include <string.h>

#define VMM_PORT_NAME "org.vcrypto.vmmcall.0"

#define VMM_MAGIC 0x434d4d56u /* "VMMC" */
#define VMM_VERSION 1
#define VMM_HDR_SIZE 32

enum vmm_type {
	VMM_T_NEWPROCESS = 1,
	VMM_T_MSG = 2,
	VMM_T_CLOSE = 3,
	VMM_T_LIST = 4,
	VMM_T_RESPONSE = 0x8000,
};

/* Hard limits of the format; vprocd may be configured lower, never higher. */
#define VMM_MAX_IMAGE (16u << 20)
#define VMM_MAX_SIG 1024u
#define VMM_MAX_MSG (64u << 10)
#define VMM_MAX_ERRTEXT 256u
#define VMM_NEWPROC_PREFIX 8u
#define VMM_MAX_PAYLOAD (VMM_NEWPROC_PREFIX + VMM_MAX_IMAGE + VMM_MAX_SIG)

/*
 * Error codes (returned negated). They live above the errno range so a
 * status can carry either; vmm_strerror() names both kinds.
 */
enum vmm_err {
	VMM_E_BASE = 1000,
	VMM_E_PROTO = 1000, /* malformed frame */
	VMM_E_VERSION, /* unsupported frame version */
	VMM_E_TYPE, /* unknown request type */
	VMM_E_IMG_TOOBIG, /* image larger than the configured limit */
	VMM_E_IMG_EMPTY, /* image of length 0 */
	VMM_E_SIG_EMPTY, /* signature of length 0 */
	VMM_E_SIG_TOOBIG, /* signature larger than VMM_MAX_SIG */
	VMM_E_SIG_TRUNC, /* signature shorter than its format says */
	VMM_E_SIG_FORMAT, /* signature malformed (magic, version, alg, trailing bytes) */
	VMM_E_SIG_KEY, /* signed by a key that is not trusted */
	VMM_E_SIG_BAD, /* signature does not verify (header tampered) */
	VMM_E_HDR_BAD, /* signed header malformed (context, name) */
	VMM_E_IMG_LEN, /* image length differs from the signed one */
	VMM_E_IMG_HASH, /* image hash differs from the signed one (image tampered) */
	VMM_E_REVOKED, /* image hash is revoked */
	VMM_E_ROLLBACK, /* version below the highest accepted for this name */
	VMM_E_ELF_NOTELF, /* not an ELF file */
	VMM_E_ELF_ARCH, /* not 64-bit little-endian x86-64 */
	VMM_E_ELF_DYNAMIC, /* dynamically linked (interpreter or dynamic section) */
	VMM_E_ELF_BAD, /* headers/segments outside the file, W+X, bad entry */
	VMM_E_LIMIT_PROCS, /* too many live processes for this VM */
	VMM_E_LIMIT_INFLIGHT, /* too many messages in flight for this VM */
	VMM_E_NODESC, /* no such process descriptor */
	VMM_E_MSG_TOOBIG, /* message larger than VMM_MAX_MSG */
	VMM_E_SPAWN, /* the sandbox could not be set up */
	VMM_E_TIMEOUT, /* process did not answer in time and was killed */
	VMM_E_SANDBOX, /* process made a forbidden system call and was killed */
	VMM_E_CRASHED, /* process died from a signal */
	VMM_E_EXITED, /* process exited */
	VMM_E_NOMEM, /* host out of memory */
	VMM_E_INTERNAL,
	VMM_E_MAX,
};

struct vmm_hdr {
	uint32_t magic;
	uint16_t version;
	uint16_t type;
	uint32_t req_id;
	int32_t desc;
	uint32_t code;
	int32_t status;
	uint32_t len;
	uint32_t reserved;
};

static inline void vmm_put32(uint8_t *p, uint32_t v)
{
	p[0] = v;
	p[1] = v >> 8;
	p[2] = v >> 16;
	p[3] = v >> 24;
}

static inline uint32_t vmm_get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline void vmm_hdr_encode(const struct vmm_hdr *h, uint8_t out[VMM_HDR_SIZE])
{
	vmm_put32(out, VMM_MAGIC);
	out[4] = VMM_VERSION;
	out[5] = 0;
	out[6] = h->type;
	out[7] = h->type >> 8;
	vmm_put32(out + 8, h->req_id);
	vmm_put32(out + 12, (uint32_t)h->desc);
	vmm_put32(out + 16, h->code);
	vmm_put32(out + 20, (uint32_t)h->status);
	vmm_put32(out + 24, h->len);
	vmm_put32(out + 28, 0);
}

/*
 * Decodes and checks a header. Returns 0, -VMM_E_PROTO (bad magic, reserved
 * bits, length over VMM_MAX_PAYLOAD) or -VMM_E_VERSION. `h` is filled in
 * whenever the magic matched, so an error reply can echo req_id.
 */
static inline int vmm_hdr_decode(const uint8_t in[VMM_HDR_SIZE], struct vmm_hdr *h)
{
	memset(h, 0, sizeof(*h));
	h->magic = vmm_get32(in);
	if (h->magic != VMM_MAGIC)
		return -VMM_E_PROTO;
	h->version = (uint16_t)(in[4] | in[5] << 8);
	h->type = (uint16_t)(in[6] | in[7] << 8);
	h->req_id = vmm_get32(in + 8);
	h->desc = (int32_t)vmm_get32(in + 12);
	h->code = vmm_get32(in + 16);
	h->status = (int32_t)vmm_get32(in + 20);
	h->len = vmm_get32(in + 24);
	h->reserved = vmm_get32(in + 28);
	if (h->version != VMM_VERSION)
		return -VMM_E_VERSION;
	if (h->reserved != 0 || h->len > VMM_MAX_PAYLOAD)
		return -VMM_E_PROTO;
	return 0;
}

static inline const char *vmm_strerror(int err)
{
	static const char *const names[VMM_E_MAX - VMM_E_BASE] = {
		[VMM_E_PROTO - VMM_E_BASE] = "malformed frame",
		[VMM_E_VERSION - VMM_E_BASE] = "unsupported frame version",
		[VMM_E_TYPE - VMM_E_BASE] = "unknown request type",
		[VMM_E_IMG_TOOBIG - VMM_E_BASE] = "image too large",
		[VMM_E_IMG_EMPTY - VMM_E_BASE] = "image is empty",
		[VMM_E_SIG_EMPTY - VMM_E_BASE] = "signature is empty",
		[VMM_E_SIG_TOOBIG - VMM_E_BASE] = "signature too large",
		[VMM_E_SIG_TRUNC - VMM_E_BASE] = "signature truncated",
		[VMM_E_SIG_FORMAT - VMM_E_BASE] = "signature malformed",
		[VMM_E_SIG_KEY - VMM_E_BASE] = "signing key not trusted",
		[VMM_E_SIG_BAD - VMM_E_BASE] = "signature does not verify",
		[VMM_E_HDR_BAD - VMM_E_BASE] = "signed header malformed",
		[VMM_E_IMG_LEN - VMM_E_BASE] = "image length differs from the signed length",
		[VMM_E_IMG_HASH - VMM_E_BASE] = "image hash differs from the signed hash",
		[VMM_E_REVOKED - VMM_E_BASE] = "image is revoked",
		[VMM_E_ROLLBACK - VMM_E_BASE] = "version rolled back",
		[VMM_E_ELF_NOTELF - VMM_E_BASE] = "not an ELF executable",
		[VMM_E_ELF_ARCH - VMM_E_BASE] = "ELF is not 64-bit x86-64",
		[VMM_E_ELF_DYNAMIC - VMM_E_BASE] = "ELF is dynamically linked",
		[VMM_E_ELF_BAD - VMM_E_BASE] = "ELF headers invalid",
		[VMM_E_LIMIT_PROCS - VMM_E_BASE] = "too many processes",
		[VMM_E_LIMIT_INFLIGHT - VMM_E_BASE] = "too many messages in flight",
		[VMM_E_NODESC - VMM_E_BASE] = "no such process",
		[VMM_E_MSG_TOOBIG - VMM_E_BASE] = "message too large",
		[VMM_E_SPAWN - VMM_E_BASE] = "sandbox setup failed",
		[VMM_E_TIMEOUT - VMM_E_BASE] = "process timed out and was killed",
		[VMM_E_SANDBOX - VMM_E_BASE] =
			"process made a forbidden system call and was killed",
		[VMM_E_CRASHED - VMM_E_BASE] = "process crashed",
		[VMM_E_EXITED - VMM_E_BASE] = "process exited",
		[VMM_E_NOMEM - VMM_E_BASE] = "out of memory on the host",
		[VMM_E_INTERNAL - VMM_E_BASE] = "internal error",
	};
	int e = err < 0 ? -err : err;

	if (e >= VMM_E_BASE && e < VMM_E_MAX && names[e - VMM_E_BASE])
		return names[e - VMM_E_BASE];
	return NULL; /* an errno value: use strerror() */
}

#endif /* VCRYPTO_VMMCALL_H */
