/* SPDX-License-Identifier: MIT */
/*
 * libvmmcall: the guest side of the vmmcall channel (frames in
 * <vcrypto/vmmcall.h>). Finds the virtio-serial port named
 * org.vcrypto.vmmcall.0 by scanning /sys/class/virtio-ports (no udev
 * needed); a path to a UNIX socket may be given instead, which is how the
 * host tests talk to vprocd directly.
 *
 * Simple calls (each opens the port, makes one request, closes it):
 *   int vmmcall_newprocess(image, size, sig, sig_size)  desc >= 0 or -error
 *   int vmmcall_msg(desc, code, in, in_len, out, out_cap, &out_len)
 *                                        process status (>= 0) or -error
 *   int vmmcall_close_process(desc)      ends the process desc
 * Errors are -VMM_E_* (vmm_strerror()) or -errno.
 */
#ifndef LIBVMMCALL_H
#define LIBVMMCALL_H

#include <stddef.h>
#include <stdint.h>
#include <vcrypto/vmmcall.h>

struct vmmcall {
	int fd;
	uint32_t next_id;
	int timeout_ms;
	int got_reply; /* the last request got its reply (else the error is local) */
	char errtext[VMM_MAX_ERRTEXT + 1]; /* the host's explanation of the last error, or a
					      successful load's warning */
	/* bytes read ahead: a reply's header and short payload come in one read() */
	uint8_t rbuf[4096];
	size_t rlen, roff;
};

/* A reply: data is malloc()ed and owned by the caller (free(r->data)). */
struct vmmcall_reply {
	struct vmm_hdr h;
	uint8_t *data;
	size_t len;
};

/*
 * Opens `path` (a device or a UNIX socket), or when NULL the port found in
 * sysfs ($VMMCALL_DEV overrides). Returns 0 or -errno.
 */
int vmmcall_open(struct vmmcall *c, const char *path);
/* Closes the channel itself (the port or socket), not any process. */
void vmmcall_close_channel(struct vmmcall *c);
/* Finds /dev/vportNpM for the port; 0 or -ENOENT. */
int vmmcall_find_port(char *out, size_t outlen);

/* One request, waits for its reply (other req_ids are skipped). 0 or -errno. */
int vmmcall_request(struct vmmcall *c, uint16_t type, int32_t desc, uint32_t code, const void *p1,
		    size_t l1, const void *p2, size_t l2, struct vmmcall_reply *r);
int vmmcall_send_raw(struct vmmcall *c, const void *buf, size_t len);
/* Reads the next frame, whatever its req_id. 0, -ETIMEDOUT or -errno. */
int vmmcall_recv(struct vmmcall *c, struct vmmcall_reply *r);

int vmmcall_newprocess_on(struct vmmcall *c, const void *image, size_t size, const void *sig,
			  size_t sig_size);
int vmmcall_msg_on(struct vmmcall *c, int desc, uint32_t code, const void *in, size_t in_len,
		   void *out, size_t out_cap, size_t *out_len);
/* Ends the process desc on the host. */
int vmmcall_close_process_on(struct vmmcall *c, int desc);
/* LIST: text reply, malloc()ed, NUL terminated; caller frees. */
int vmmcall_list_on(struct vmmcall *c, char **text);

int vmmcall_newprocess(const void *image, size_t size, const void *sig, size_t sig_size);
int vmmcall_msg(int desc, uint32_t code, const void *in, size_t in_len, void *out, size_t out_cap,
		size_t *out_len);
int vmmcall_close_process(int desc);
/* BitVisor's name for vmmcall_close_process(), for code written against it. */
static inline int vmmcall_close(int desc)
{
	return vmmcall_close_process(desc);
}

#endif
