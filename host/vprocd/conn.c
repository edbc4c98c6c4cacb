// SPDX-License-Identifier: MIT
/*
 * One VM's vmmcall connection: reads frames (a state machine over whatever
 * the socket delivers, never trusting a length before checking it against
 * the limits), dispatches requests, queues replies.
 *
 * NEWPROCESS: sizes are read and checked before anything is allocated; the
 * image is then read once and written into a memfd, which is sealed before
 * the signature and the ELF are checked over it, and that same memfd is
 * what the sandbox executes. Nothing rereads guest memory or a file.
 *
 * The image's SHA-256 is taken piece by piece as each piece is stored, so
 * it overlaps the guest's sending instead of following it (0.6 ms a MiB).
 * It is the digest of the sealed bytes because: every piece is hashed only
 * after pwrite() stored all of it, at the offset that follows the previous
 * piece's (image_put: one cursor for both), starting at 0 of a memfd that
 * was created empty and has no other user; a store that fails aborts the
 * load; the image is complete when the cursor reaches the length the memfd
 * was sized to, after which the memfd is sealed against writing, growing
 * and shrinking before anything is checked. Nobody else has it open: the
 * fd never leaves vprocd before sealing. (A process of vprocd's own user
 * could reopen it through /proc/PID/fd before the seal; such a process can
 * already rewrite vprocd's state file and keys, so vprocd's user is part of
 * what is trusted either way: README, "Loading".)
 *
 * A frame we cannot trust (bad magic, length over the format's limit) makes
 * us resynchronise: skip bytes until the next magic. A frame whose header is
 * good but whose content is refused is skipped by its length. Either way the
 * guest gets an error reply and the next frame is served.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <unistd.h>

#include "fdio/fdio.h"
#include "vprocd.h"

struct vpd_conn *vpd_conn_new(struct vpd_server *srv, int fd)
{
	struct vpd_conn *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->pbuf = malloc(VPD_PBUF_SIZE);
	if (!c->pbuf) {
		free(c);
		return NULL;
	}
	c->fd = fd;
	c->srv = srv;
	c->memfd = -1;
	c->rd = VPD_RD_HDR;
	return c;
}

static void newproc_abort(struct vpd_conn *c)
{
	if (c->img && c->img != MAP_FAILED)
		munmap(c->img, c->img_len);
	c->img = NULL;
	if (c->memfd >= 0)
		close(c->memfd);
	c->memfd = -1;
}

void vpd_conn_free(struct vpd_conn *c)
{
	struct vpd_outbuf *o;

	if (!c)
		return;
	vpd_proc_kill_all(c);
	newproc_abort(c);
	EVP_MD_CTX_free(c->img_md);
	vpd_msg_put(c, c->body);
	free(c->spare);
	free(c->pbuf);
	while ((o = c->out_head)) {
		c->out_head = o->next;
		free(o);
	}
	close(c->fd);
	free(c);
}

/* The header of the answer to req: same type (as a response), id and code. */
static void encode_reply_hdr(const struct vmm_hdr *req, int desc, int status, size_t len,
			     uint8_t *out)
{
	struct vmm_hdr h = {
		.type = (uint16_t)(req->type | VMM_T_RESPONSE),
		.req_id = req->req_id,
		.desc = desc,
		.code = req->code,
		.status = status,
		.len = (uint32_t)len,
	};

	vmm_hdr_encode(&h, out);
}

static struct vpd_outbuf *queue_reply(struct vpd_conn *c, const struct vmm_hdr *req, int desc,
				      int status, const void *data, size_t len)
{
	struct vpd_outbuf *o = malloc(sizeof(*o) + VMM_HDR_SIZE + len);

	if (!o) {
		vpd_log(0, "out of memory for a reply; dropping it");
		return NULL;
	}
	o->next = NULL;
	o->len = VMM_HDR_SIZE + len;
	o->off = 0;
	encode_reply_hdr(req, desc, status, len, o->data);
	if (len)
		memcpy(o->data + VMM_HDR_SIZE, data, len);
	if (c->out_tail)
		c->out_tail->next = o;
	else
		c->out_head = o;
	c->out_tail = o;
	c->out_bytes += o->len;
	return o;
}

void vpd_conn_reply(struct vpd_conn *c, const struct vmm_hdr *req, int desc, int status,
		    const void *data, size_t len)
{
	queue_reply(c, req, desc, status, data, len);
}

void vpd_conn_reply_now(struct vpd_conn *c, const struct vmm_hdr *req, int desc, int status,
			const void *data, size_t len)
{
	uint8_t hb[VMM_HDR_SIZE];
	struct iovec iov[2] = {{hb, sizeof(hb)}, {(void *)data, len}};
	struct vpd_outbuf *o;
	ssize_t n;

	/* replies leave in order: behind anything queued, they queue too */
	if (c->out_head || c->fd < 0) {
		queue_reply(c, req, desc, status, data, len);
		return;
	}
	encode_reply_hdr(req, desc, status, len, hb);
	n = writev(c->fd, iov, len ? 2 : 1);
	if (n == (ssize_t)(VMM_HDR_SIZE + len))
		return;
	/* a full socket or an error: the rest waits; poll() and flush see the error */
	if (n < 0)
		n = 0;
	o = queue_reply(c, req, desc, status, data, len);
	if (o) {
		o->off = (size_t)n;
		c->out_bytes -= (size_t)n;
	}
}

void vpd_conn_error(struct vpd_conn *c, const struct vmm_hdr *req, int err, const char *fmt, ...)
{
	char text[VMM_MAX_ERRTEXT];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if ((size_t)n >= sizeof(text))
		n = sizeof(text) - 1;
	vpd_log_guest("request %u type %u refused: %s: %s", req->req_id, req->type,
		      vmm_strerror(err) ? vmm_strerror(err) : strerror(-err), text);
	vpd_conn_reply(c, req, -1, err, text, (size_t)n);
}

int vpd_conn_flush(struct vpd_conn *c)
{
	struct vpd_outbuf *o;

	while ((o = c->out_head)) {
		ssize_t n = write(c->fd, o->data + o->off, o->len - o->off);

		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return 0;
			return -1;
		}
		o->off += (size_t)n;
		c->out_bytes -= (size_t)n;
		if (o->off < o->len)
			return 0;
		c->out_head = o->next;
		if (!c->out_head)
			c->out_tail = NULL;
		free(o);
	}
	return 0;
}

/* Skips the rest of the current frame's payload (`left` bytes). */
static void skip_payload(struct vpd_conn *c, uint64_t left)
{
	c->discard = left;
	c->rd = left ? VPD_RD_DISCARD : VPD_RD_HDR;
	c->hdr_got = 0;
}

static void frame_done(struct vpd_conn *c)
{
	c->rd = VPD_RD_HDR;
	c->hdr_got = 0;
	c->got = 0;
}

static unsigned int count_records(struct vpd_conn *c)
{
	unsigned int n = 0;

	for (struct vpd_proc *p = c->procs; p; p = p->next)
		n++;
	return n;
}

/* After the 8-byte NEWPROCESS prefix: check every size, then allocate. */
static void newproc_begin(struct vpd_conn *c)
{
	const struct vpd_config *cfg = &c->srv->cfg;
	uint32_t ilen = vmm_get32(c->prefix), slen = vmm_get32(c->prefix + 4);
	uint64_t rest = c->h.len - VMM_NEWPROC_PREFIX;
	int err = 0;

	if ((uint64_t)ilen + slen != rest) {
		vpd_conn_error(c, &c->h, -VMM_E_PROTO,
			       "image %u + signature %u bytes do not match payload %u", ilen, slen,
			       c->h.len);
	} else if (ilen == 0) {
		vpd_conn_error(c, &c->h, -VMM_E_IMG_EMPTY, "image is empty");
	} else if (ilen > cfg->max_image) {
		vpd_conn_error(c, &c->h, -VMM_E_IMG_TOOBIG, "image has %u bytes, limit %zu", ilen,
			       cfg->max_image);
	} else if (slen == 0) {
		vpd_conn_error(c, &c->h, -VMM_E_SIG_EMPTY, "signature is empty");
	} else if (slen > VMM_MAX_SIG) {
		vpd_conn_error(c, &c->h, -VMM_E_SIG_TOOBIG, "signature has %u bytes, limit %u",
			       slen, VMM_MAX_SIG);
	} else if (c->nlive >= cfg->max_procs) {
		vpd_conn_error(c, &c->h, -VMM_E_LIMIT_PROCS,
			       "%u processes already running (limit %u)", c->nlive, cfg->max_procs);
	} else if (count_records(c) >= 4 * cfg->max_procs) {
		/* ended processes are kept to report how they ended until CLOSEd */
		vpd_conn_error(c, &c->h, -VMM_E_LIMIT_PROCS,
			       "%u ended processes not yet closed (limit %u)",
			       count_records(c) - c->nlive, 4 * cfg->max_procs);
	} else {
		/*
		 * The memory is taken now, so a host short of it (or a file
		 * size limit under it) refuses the load before the guest sends
		 * the image.  The image is then written with pwrite(), not
		 * through a shared mapping: populating a writable mapping
		 * costs a fault-path allocation and a page-table entry per
		 * page, and its unmap before sealing; store, seal and map took
		 * about twice as long that way (README: where the time goes).
		 * A filesystem without fallocate is fine.
		 */
		c->memfd = memfd_create("vprocd-image", MFD_CLOEXEC | MFD_ALLOW_SEALING);
		if (c->memfd < 0 || ftruncate(c->memfd, ilen) < 0 ||
		    (fallocate(c->memfd, 0, 0, ilen) < 0 && errno != EOPNOTSUPP))
			err = errno;
		else if ((!c->img_md && !(c->img_md = EVP_MD_CTX_new())) ||
			 EVP_DigestInit_ex(c->img_md, EVP_sha256(), NULL) != 1)
			err = ENOMEM;
		if (err) {
			newproc_abort(c);
			vpd_conn_error(c, &c->h, -VMM_E_NOMEM,
				       "cannot allocate %u bytes for the image: %s", ilen,
				       strerror(err));
		} else {
			c->img_len = ilen;
			c->sig_len = slen;
			c->rd = VPD_RD_IMAGE;
			c->t_begin_us = vpd_now_us();
			c->got = 0;
			return;
		}
	}
	skip_payload(c, rest);
}

/* Image and signature are in: seal, verify, run. */
static void newproc_finish(struct vpd_conn *c)
{
	struct vpd_server *srv = c->srv;
	char why[VMM_MAX_ERRTEXT] = "";
	struct vsig sig;
	uint64_t t_in = vpd_now_us(), t_sealed, t_verified;
	uint8_t sha256[32];
	int ret;

	if (fcntl(c->memfd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) <
	    0) {
		vpd_conn_error(c, &c->h, -VMM_E_INTERNAL, "sealing the image failed");
		goto out;
	}
	/* the ELF checks read its headers only: no page is mapped in advance */
	c->img = mmap(NULL, c->img_len, PROT_READ, MAP_SHARED, c->memfd, 0);
	if (c->img == MAP_FAILED) {
		c->img = NULL;
		vpd_conn_error(c, &c->h, -VMM_E_NOMEM, "cannot map the image");
		goto out;
	}
	if (EVP_DigestFinal_ex(c->img_md, sha256, NULL) != 1) {
		vpd_conn_error(c, &c->h, -VMM_E_INTERNAL, "hashing the image failed");
		goto out;
	}
	t_sealed = vpd_now_us();
	ret = vpd_verify_image(&srv->policy, c->img, c->img_len, sha256, c->sig, c->sig_len, &sig,
			       why, sizeof(why));
	if (ret) {
		vpd_conn_error(c, &c->h, ret, "%s", why);
		goto out;
	}
	t_verified = vpd_now_us();
	/* fail closed: a weaker sandbox only where the administrator accepted it */
	if (srv->sb.weak && !srv->cfg.allow_weak) {
		vpd_conn_error(c, &c->h, -VMM_E_SPAWN,
			       "sandbox incomplete on this host: %s; not started "
			       "(vprocd --allow-weak-isolation accepts this)",
			       srv->sb.weak_why);
		goto out;
	}
	/* the floor is on disk before anything runs, or nothing runs */
	ret = vpd_policy_accept(&srv->policy, sig.hdr.name, sig.hdr.version, why, sizeof(why));
	if (ret) {
		vpd_conn_error(c, &c->h, -VMM_E_INTERNAL, "%s", why);
		goto out;
	}
	ret = vpd_proc_new(c, c->memfd, &sig, why, sizeof(why));
	if (ret < 0) {
		vpd_conn_error(c, &c->h, ret, "could not start '%s' in its sandbox: %s",
			       sig.hdr.name, why);
		goto out;
	}
	vpd_log(2, "desc %d: receive %llu us, seal %llu us, verify %llu us, spawn %llu us", ret,
		(unsigned long long)(t_in - c->t_begin_us), (unsigned long long)(t_sealed - t_in),
		(unsigned long long)(t_verified - t_sealed),
		(unsigned long long)(vpd_now_us() - t_verified));
	vpd_log(1, "desc %d: '%s' version %llu loaded (%zu bytes, pid %d)", ret, sig.hdr.name,
		(unsigned long long)sig.hdr.version, c->img_len, (int)vpd_proc_find(c, ret)->pid);
	if (srv->sb.weak) {
		/* accepted by --allow-weak-isolation: the guest is told what it gets */
		snprintf(why, sizeof(why), "weak isolation (--allow-weak-isolation): %s",
			 srv->sb.weak_why);
		vpd_conn_reply(c, &c->h, ret, 0, why, strlen(why));
	} else {
		vpd_conn_reply(c, &c->h, ret, 0, NULL, 0);
	}
out:
	newproc_abort(c);
}

/* A complete, well-formed header is in c->h. */
static void frame_begin(struct vpd_conn *c)
{
	struct vmm_hdr *h = &c->h;

	c->got = 0;
	switch (h->type) {
	case VMM_T_NEWPROCESS:
		if (h->len < VMM_NEWPROC_PREFIX) {
			vpd_conn_error(c, h, -VMM_E_PROTO, "NEWPROCESS payload too short");
			skip_payload(c, h->len);
			return;
		}
		c->rd = VPD_RD_PREFIX;
		return;
	case VMM_T_MSG:
		if (h->len > VMM_MAX_MSG) {
			vpd_conn_error(c, h, -VMM_E_MSG_TOOBIG, "message has %u bytes, limit %u",
				       h->len, VMM_MAX_MSG);
			skip_payload(c, h->len);
			return;
		}
		c->body = vpd_msg_get(c, h->len);
		if (!c->body) {
			vpd_conn_error(c, h, -VMM_E_NOMEM, "out of memory");
			skip_payload(c, h->len);
			return;
		}
		c->body->len = h->len;
		c->rd = VPD_RD_BODY;
		if (!h->len) {
			vpd_proc_msg(c, h, c->body);
			c->body = NULL;
			frame_done(c);
		}
		return;
	case VMM_T_CLOSE:
	case VMM_T_LIST:
		if (h->len) {
			vpd_conn_error(c, h, -VMM_E_PROTO, "unexpected payload");
			skip_payload(c, h->len);
			return;
		}
		if (h->type == VMM_T_CLOSE)
			vpd_proc_close(c, h);
		else
			vpd_proc_list(c, h);
		frame_done(c);
		return;
	}
	vpd_conn_error(c, h, -VMM_E_TYPE, "unknown request type 0x%x", h->type);
	skip_payload(c, h->len);
}

/* Header bytes: decode, or slide to the next possible magic. */
static void header_in(struct vpd_conn *c)
{
	int ret = vmm_hdr_decode(c->hdrbuf, &c->h);

	if (ret == -VMM_E_PROTO && c->h.magic == VMM_MAGIC && c->h.len <= VMM_MAX_PAYLOAD) {
		/* reserved bits set: the length is still usable */
		vpd_conn_error(c, &c->h, ret, "reserved header field is not zero");
		skip_payload(c, c->h.len);
		return;
	}
	if (ret == -VMM_E_VERSION) {
		vpd_conn_error(c, &c->h, ret, "frame version %u, we speak %u", c->h.version,
			       VMM_VERSION);
		if (c->h.len <= VMM_MAX_PAYLOAD) {
			skip_payload(c, c->h.len);
			return;
		}
		ret = -VMM_E_PROTO;
	}
	if (ret) {
		size_t i;

		/* one reply per run of garbage; every bad header with our magic gets one */
		if (c->h.magic == VMM_MAGIC || !c->resyncing) {
			struct vmm_hdr r = {.type = c->h.magic == VMM_MAGIC ? c->h.type : 0,
					    .req_id = c->h.magic == VMM_MAGIC ? c->h.req_id : 0};

			if (c->h.magic == VMM_MAGIC)
				vpd_conn_error(c, &r, -VMM_E_PROTO,
					       "frame length %u over the limit", c->h.len);
			else
				vpd_conn_error(c, &r, -VMM_E_PROTO,
					       "bad frame magic: resynchronising");
		}
		c->resyncing = c->h.magic != VMM_MAGIC;
		/* keep the bytes after the first one that could start a magic */
		for (i = 1; i < VMM_HDR_SIZE; i++)
			if (c->hdrbuf[i] == (VMM_MAGIC & 0xff))
				break;
		memmove(c->hdrbuf, c->hdrbuf + i, VMM_HDR_SIZE - i);
		c->hdr_got = VMM_HDR_SIZE - i;
		return;
	}
	c->resyncing = false;
	frame_begin(c);
}

static size_t take(uint8_t *dst, size_t *got, size_t want, const uint8_t *src, size_t n)
{
	size_t k = want - *got < n ? want - *got : n;

	memcpy(dst + *got, src, k);
	*got += k;
	return k;
}

/*
 * Image bytes into the memfd at their offset, and into the image's hash
 * once stored (the comment at the top says why in that order); returns how
 * many of @n it consumed.  A store that fails (the memory was reserved at
 * begin, so only a broken host gets here) answers the frame with an error
 * and discards the rest of its payload: the connection goes on.
 */
static size_t image_put(struct vpd_conn *c, const uint8_t *p, size_t n)
{
	size_t k = c->img_len - c->got < n ? c->img_len - c->got : n;
	int err = fdio_pwrite_full(c->memfd, p, k, (off_t)c->got);

	if (!err && EVP_DigestUpdate(c->img_md, p, k) != 1)
		err = -EIO;
	if (err) {
		uint64_t rest = (uint64_t)(c->img_len - c->got - k) + c->sig_len;

		newproc_abort(c);
		vpd_conn_error(c, &c->h, -VMM_E_NOMEM, "cannot store the image: %s",
			       strerror(-err));
		skip_payload(c, rest);
		return k;
	}
	c->got += k;
	if (c->got == c->img_len) {
		c->rd = VPD_RD_SIG;
		c->got = 0;
	}
	return k;
}

void vpd_conn_feed(struct vpd_conn *c, const uint8_t *p, size_t n)
{
	while (n) {
		size_t k = 0;

		switch (c->rd) {
		case VPD_RD_HDR:
			k = take(c->hdrbuf, &c->hdr_got, VMM_HDR_SIZE, p, n);
			if (c->hdr_got == VMM_HDR_SIZE)
				header_in(c);
			break;
		case VPD_RD_DISCARD:
			k = c->discard < n ? (size_t)c->discard : n;
			c->discard -= k;
			if (!c->discard)
				frame_done(c);
			break;
		case VPD_RD_PREFIX:
			k = take(c->prefix, &c->got, VMM_NEWPROC_PREFIX, p, n);
			if (c->got == VMM_NEWPROC_PREFIX)
				newproc_begin(c);
			break;
		case VPD_RD_IMAGE:
			k = image_put(c, p, n);
			break;
		case VPD_RD_SIG:
			k = take(c->sig, &c->got, c->sig_len, p, n);
			if (c->got == c->sig_len) {
				newproc_finish(c);
				frame_done(c);
			}
			break;
		case VPD_RD_BODY:
			k = take(c->body->wire + 4, &c->got, c->h.len, p, n);
			if (c->got == c->h.len) {
				vpd_proc_msg(c, &c->h, c->body);
				c->body = NULL;
				frame_done(c);
			}
			break;
		}
		p += k;
		n -= k;
	}
}

int vpd_conn_read(struct vpd_conn *c)
{
	uint8_t buf[65536];
	ssize_t n;

	/* image bytes only, up to the signature: they go on into the memfd */
	if (c->rd == VPD_RD_IMAGE) {
		n = read(c->fd, buf, c->img_len - c->got < sizeof(buf) ? c->img_len - c->got
									: sizeof(buf));
		if (n > 0) {
			c->last_rx_ms = vpd_now_ms();
			image_put(c, buf, (size_t)n);
			return 1;
		}
	} else {
		n = read(c->fd, buf, sizeof(buf));
	}

	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -1;
	if (n == 0)
		return -1;
	c->last_rx_ms = vpd_now_ms();
	vpd_conn_feed(c, buf, (size_t)n);
	return 1;
}

/*
 * The guest side of a virtio-serial port can close in the middle of a frame
 * (its client killed) and QEMU does not tell us; the connection stays. A
 * frame that stops arriving is given up after frame_timeout_ms so that the
 * next client of the port is not read as the rest of the old frame.
 */
uint64_t vpd_conn_frame_deadline(struct vpd_conn *c)
{
	if (c->rd == VPD_RD_HDR && c->hdr_got == 0)
		return UINT64_MAX;
	return c->last_rx_ms + c->srv->cfg.frame_timeout_ms;
}

void vpd_conn_frame_timeout(struct vpd_conn *c, uint64_t now)
{
	if (now < vpd_conn_frame_deadline(c))
		return;
	if (c->rd != VPD_RD_HDR)
		vpd_conn_error(c, &c->h, -VMM_E_PROTO,
			       "frame incomplete: nothing more for %u ms, dropped",
			       c->srv->cfg.frame_timeout_ms);
	else
		vpd_log_guest("%zu bytes of a frame header dropped after %u ms", c->hdr_got,
			      c->srv->cfg.frame_timeout_ms);
	newproc_abort(c);
	vpd_msg_put(c, c->body);
	c->body = NULL;
	c->resyncing = false;
	frame_done(c);
}
