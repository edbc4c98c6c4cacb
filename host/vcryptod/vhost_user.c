// SPDX-License-Identifier: MIT
/*
 * vhost-user messages of a virtio-crypto device, as QEMU 7.2 and 8.1+ send
 * them (order in DESIGN.md). Runs on the main thread; the data queues run in
 * worker.c. Every size, index and fd in a message is checked; received fds are
 * kept or closed on every path.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>
#include <linux/virtio_crypto.h>

#include "journal.h"
#include "worker.h"
#include "vhost_user.h"

#define OFFERED_FEATURES                                                        \
	((1ull << VCD_VU_F_VERSION_1) | (1ull << VCD_VU_F_RING_INDIRECT_DESC) | \
	 (1ull << VCD_VU_F_RING_EVENT_IDX) | (1ull << VCD_VU_F_PROTOCOL_FEATURES))
#define OFFERED_PROTOCOL_FEATURES                                                 \
	((1ull << VCD_VU_PROTOCOL_F_MQ) | (1ull << VCD_VU_PROTOCOL_F_REPLY_ACK) | \
	 (1ull << VCD_VU_PROTOCOL_F_CRYPTO_SESSION))

int vcd_dev_init(struct vcd_dev *d, const struct vcd_dev_conf *conf, int fd)
{
	int ret;

	memset(d, 0, sizeof(*d));
	d->conf = *conf;
	if (d->conf.queues == 0 || d->conf.queues > VCD_MAX_QUEUES)
		return -EINVAL;
	d->fd = fd;
	d->broken_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (d->broken_fd < 0)
		return -errno;
	ret = vcd_sessions_init(&d->sessions, conf->ops, conf->eng, conf->max_sessions);
	if (ret) {
		close(d->broken_fd);
		return ret;
	}
	for (unsigned int i = 0; i < VCD_MAX_QUEUES; i++) {
		vcd_queue_init(&d->q[i], d, i);
		d->q[i].st = &d->conf.stats[i < d->conf.queues ? i : 0];
	}
	if (conf->shared)
		for (unsigned int i = 0; i < d->conf.queues; i++)
			vcd_queue_attach_journal(&d->q[i]);
	return 0;
}

void vcd_dev_fini(struct vcd_dev *d)
{
	for (unsigned int i = 0; i < VCD_MAX_QUEUES; i++)
		vcd_queue_fini(&d->q[i]);
	vcd_mem_unmap(&d->mem);
	vcd_sessions_fini(&d->sessions);
	if (d->broken_fd >= 0)
		close(d->broken_fd);
	d->broken_fd = -1;
}

static void close_fds(int *fds, unsigned int nfds)
{
	for (unsigned int i = 0; i < nfds; i++) {
		if (fds[i] >= 0)
			close(fds[i]);
		fds[i] = -1;
	}
}

static int set_mem_table(struct vcd_dev *d, const void *p, uint32_t size, int *fds,
			 unsigned int nfds)
{
	bool was[VCD_MAX_QUEUES];
	int ret, r2;

	/* Workers read the table without a lock: stop them while it changes. */
	for (unsigned int i = 0; i < d->conf.queues; i++) {
		was[i] = d->q[i].running;
		vcd_queue_stop(&d->q[i]);
	}
	ret = vcd_mem_map(&d->mem, p, size, fds, nfds);
	/* Restart what ran; start what was only waiting for memory. */
	for (unsigned int i = 0; i < d->conf.queues; i++) {
		if (!was[i] && d->q[i].kick_fd < 0)
			continue;
		r2 = vcd_queue_try_start(&d->q[i]);
		if (r2 && !ret)
			ret = r2;
	}
	if (d->conf.verbose && !ret)
		fprintf(stderr, "vcryptod: memory table: %u regions\n", d->mem.nregions);
	return ret;
}

/* Front only: a session the previous worker had, under the same id. */
static int restore_session(struct vcd_dev *d, const uint8_t *p, uint32_t size)
{
	struct vcd_sess_params *sp;
	uint64_t id;
	int ret;

	if (size != 8 + sizeof(struct vcd_vu_session_632) &&
	    size != 8 + sizeof(struct vcd_vu_session_1072))
		return -EINVAL;
	sp = malloc(sizeof(*sp));
	if (!sp)
		return -ENOMEM;
	memcpy(&id, p, sizeof(id));
	ret = vcd_sess_parse(p + 8, size - 8, sp);
	if (!ret)
		ret = vcd_sess_restore(&d->sessions, sp, id);
	explicit_bzero(sp, sizeof(*sp));
	free(sp);
	return ret;
}

static int create_session(struct vcd_dev *d, const void *p, uint32_t size, void *reply,
			  uint32_t *reply_len)
{
	struct vcd_sess_params *sp = malloc(sizeof(*sp));
	int64_t id;
	int ret;

	if (!sp)
		return -ENOMEM;
	ret = vcd_sess_parse(p, size, sp);
	id = ret ? ret : vcd_sess_create(&d->sessions, sp);
	if (d->conf.verbose)
		fprintf(stderr, "vcryptod: create session (%u bytes): %lld\n", size, (long long)id);
	/*
	 * The reply echoes the layout with the id, never the keys. reply sits
	 * right after the 12-byte header: no struct access, only memcpy.
	 */
	if (id < 0)
		id = -1;
	memset(reply, 0, size);
	if (size == sizeof(struct vcd_vu_session_632)) {
		memcpy(reply, &id, sizeof(id));
	} else {
		memcpy(reply, p, sizeof(uint64_t)); /* op_code */
		memcpy((uint8_t *)reply + offsetof(struct vcd_vu_session_1072, session_id), &id,
		       sizeof(id));
	}
	*reply_len = size;
	explicit_bzero(sp, sizeof(*sp));
	free(sp);
	return 0;
}

static struct vcd_queue *queue_of(struct vcd_dev *d, uint64_t index)
{
	return index < d->conf.queues ? &d->q[index] : NULL;
}

static int set_vring_fd(struct vcd_dev *d, uint32_t req, uint64_t v, int *fds, unsigned int nfds)
{
	struct vcd_queue *q = queue_of(d, v & VCD_VU_VRING_IDX_MASK);
	bool nofd = v & VCD_VU_VRING_NOFD_MASK;
	int fd = -1;

	if (!q || (nofd ? nfds != 0 : nfds != 1) ||
	    (v & ~(uint64_t)(VCD_VU_VRING_IDX_MASK | VCD_VU_VRING_NOFD_MASK)))
		return -EINVAL;
	if (!nofd) {
		fd = fds[0];
		fds[0] = -1;
	}
	switch (req) {
	case VCD_VU_SET_VRING_KICK:
		return vcd_queue_set_kick(q, fd);
	case VCD_VU_SET_VRING_CALL:
		vcd_queue_set_call(q, fd);
		return 0;
	default:
		vcd_queue_set_err(q, fd);
		return 0;
	}
}

/*
 * One message being handled: what the table's payload kind decoded, and
 * where the reply goes. Handlers return 0 or -errno.
 */
struct vu_msg {
	struct vcd_dev *d;
	const struct vcd_vu_hdr *h;
	const void *payload;
	uint32_t size;
	int *fds;
	unsigned int nfds;
	uint64_t u64; /* VU_P_U64 */
	struct vcd_vu_vring_state st; /* VU_P_STATE */
	struct vcd_queue *q; /* VU_P_STATE: the ring it names */
	void *reply;
	uint32_t *reply_len;
	bool replied; /* answered with its own payload (then no REPLY_ACK) */
};

enum vu_payload {
	VU_P_ANY, /* the handler checks the size itself (or needs none) */
	VU_P_U64, /* exactly a u64, decoded into m->u64 */
	VU_P_STATE, /* exactly a vring state naming a served queue */
};

struct vu_handler {
	const char *name;
	enum vu_payload payload;
	bool fds; /* may carry fds */
	int (*handle)(struct vu_msg *m);
};

static int reply_u64(struct vu_msg *m, uint64_t v)
{
	memcpy(m->reply, &v, sizeof(v));
	*m->reply_len = sizeof(v);
	m->replied = true;
	return 0;
}

static int vu_get_features(struct vu_msg *m)
{
	return reply_u64(m, OFFERED_FEATURES);
}

static int vu_get_protocol_features(struct vu_msg *m)
{
	return reply_u64(m, OFFERED_PROTOCOL_FEATURES);
}

static int vu_get_queue_num(struct vu_msg *m)
{
	return reply_u64(m, m->d->conf.queues);
}

static int vu_set_features(struct vu_msg *m)
{
	/* Informational only: QEMU 7.2 sends just PROTOCOL_FEATURES. */
	m->d->features = m->u64 & OFFERED_FEATURES;
	return 0;
}

static int vu_set_protocol_features(struct vu_msg *m)
{
	m->d->protocol_features = m->u64 & OFFERED_PROTOCOL_FEATURES;
	return 0;
}

static int vu_set_owner(struct vu_msg *m)
{
	m->d->owner = true;
	return 0;
}

static int vu_reset_owner(struct vu_msg *m)
{
	struct vcd_dev *d = m->d;

	for (unsigned int i = 0; i < d->conf.queues; i++) {
		vcd_queue_fini(&d->q[i]);
		vcd_queue_init(&d->q[i], d, i);
		d->q[i].st = &d->conf.stats[i];
		if (d->conf.shared) {
			vcd_queue_attach_journal(&d->q[i]);
			vcd_queue_forget(&d->q[i]);
		}
	}
	vcd_mem_unmap(&d->mem);
	d->owner = false;
	return 0;
}

static int vu_set_mem_table(struct vu_msg *m)
{
	unsigned int nfds = m->nfds;

	m->nfds = 0; /* consumed, whatever the outcome */
	return set_mem_table(m->d, m->payload, m->size, m->fds, nfds);
}

static int vu_set_vring_num(struct vu_msg *m)
{
	uint32_t num = m->st.num;

	if (m->q->running || num == 0 || num > VCD_VQ_MAX_NUM || (num & (num - 1)))
		return -EINVAL;
	m->q->num = num;
	return 0;
}

static int vu_set_vring_base(struct vu_msg *m)
{
	if (m->q->running || m->st.num > 0xffff)
		return -EINVAL;
	m->q->base = (uint16_t)m->st.num;
	return 0;
}

static int vu_set_vring_addr(struct vu_msg *m)
{
	struct vcd_queue *q;

	if (m->size != sizeof(q->addr))
		return -EINVAL;
	q = queue_of(m->d, ((const struct vcd_vu_vring_addr *)m->payload)->index);
	if (!q || q->running)
		return -EINVAL;
	memcpy(&q->addr, m->payload, sizeof(q->addr));
	q->have_addr = true;
	return vcd_queue_try_start(q); /* if the kick came first */
}

static int vu_get_vring_base(struct vu_msg *m)
{
	struct vcd_queue *q = m->q;
	struct vcd_vu_vring_state st = {.index = m->st.index};

	/* Stops the ring (vhost-user spec); kick again to restart. */
	st.num = vcd_queue_hand_back(q);
	memcpy(m->reply, &st, sizeof(st));
	*m->reply_len = sizeof(st);
	m->replied = true;
	return 0;
}

static int vu_set_vring_fd(struct vu_msg *m)
{
	return set_vring_fd(m->d, m->h->request, m->u64, m->fds, m->nfds);
}

static int vu_set_vring_enable(struct vu_msg *m)
{
	m->q->enabled = m->st.num != 0;
	if (m->q->enabled)
		return vcd_queue_try_start(m->q);
	vcd_queue_stop(m->q);
	return 0;
}

static int vu_create_crypto_session(struct vu_msg *m)
{
	if (m->size != sizeof(struct vcd_vu_session_632) &&
	    m->size != sizeof(struct vcd_vu_session_1072))
		return -EINVAL;
	m->replied = true; /* a session id, negative on failure */
	return create_session(m->d, m->payload, m->size, m->reply, m->reply_len);
}

static int vu_close_crypto_session(struct vu_msg *m)
{
	if (vcd_sess_close(&m->d->sessions, m->u64) && m->d->conf.verbose)
		fprintf(stderr, "vcryptod: close of unknown session %llu\n",
			(unsigned long long)m->u64);
	return 0;
}

static int vu_restore_session(struct vu_msg *m)
{
	if (!(m->h->flags & VCD_VU_FLAG_FRONT))
		return -ENOTSUP;
	return restore_session(m->d, m->payload, m->size);
}

/* The requests served, in the manner of libvhost-user's dispatcher. */
static const struct vu_handler vu_handlers[] = {
	[VCD_VU_GET_FEATURES] = {"GET_FEATURES", VU_P_ANY, false, vu_get_features},
	[VCD_VU_SET_FEATURES] = {"SET_FEATURES", VU_P_U64, false, vu_set_features},
	[VCD_VU_SET_OWNER] = {"SET_OWNER", VU_P_ANY, false, vu_set_owner},
	[VCD_VU_RESET_OWNER] = {"RESET_OWNER", VU_P_ANY, false, vu_reset_owner},
	[VCD_VU_SET_MEM_TABLE] = {"SET_MEM_TABLE", VU_P_ANY, true, vu_set_mem_table},
	[VCD_VU_SET_VRING_NUM] = {"SET_VRING_NUM", VU_P_STATE, false, vu_set_vring_num},
	[VCD_VU_SET_VRING_ADDR] = {"SET_VRING_ADDR", VU_P_ANY, false, vu_set_vring_addr},
	[VCD_VU_SET_VRING_BASE] = {"SET_VRING_BASE", VU_P_STATE, false, vu_set_vring_base},
	[VCD_VU_GET_VRING_BASE] = {"GET_VRING_BASE", VU_P_STATE, false, vu_get_vring_base},
	[VCD_VU_SET_VRING_KICK] = {"SET_VRING_KICK", VU_P_U64, true, vu_set_vring_fd},
	[VCD_VU_SET_VRING_CALL] = {"SET_VRING_CALL", VU_P_U64, true, vu_set_vring_fd},
	[VCD_VU_SET_VRING_ERR] = {"SET_VRING_ERR", VU_P_U64, true, vu_set_vring_fd},
	[VCD_VU_GET_PROTOCOL_FEATURES] = {"GET_PROTOCOL_FEATURES", VU_P_ANY, false,
					  vu_get_protocol_features},
	[VCD_VU_SET_PROTOCOL_FEATURES] = {"SET_PROTOCOL_FEATURES", VU_P_U64, false,
					  vu_set_protocol_features},
	[VCD_VU_GET_QUEUE_NUM] = {"GET_QUEUE_NUM", VU_P_ANY, false, vu_get_queue_num},
	[VCD_VU_SET_VRING_ENABLE] = {"SET_VRING_ENABLE", VU_P_STATE, false, vu_set_vring_enable},
	[VCD_VU_CREATE_CRYPTO_SESSION] = {"CREATE_CRYPTO_SESSION", VU_P_ANY, false,
					  vu_create_crypto_session},
	[VCD_VU_CLOSE_CRYPTO_SESSION] = {"CLOSE_CRYPTO_SESSION", VU_P_U64, false,
					 vu_close_crypto_session},
};

/* Sent only by our own front process (front.c), flagged VCD_VU_FLAG_FRONT. */
static const struct vu_handler vu_restore_handler = {"RESTORE_SESSION (front)", VU_P_ANY, false,
						     vu_restore_session};

static const struct vu_handler *vu_handler_of(uint32_t request)
{
	if (request == VCD_PRIV_RESTORE_SESSION)
		return &vu_restore_handler;
	if (request < sizeof(vu_handlers) / sizeof(vu_handlers[0]) && vu_handlers[request].handle)
		return &vu_handlers[request];
	return NULL;
}

/* Decodes the fixed-size payloads the table names; 0 or -EINVAL. */
static int vu_decode(struct vu_msg *m, enum vu_payload kind)
{
	switch (kind) {
	case VU_P_U64:
		if (m->size != sizeof(m->u64))
			return -EINVAL;
		memcpy(&m->u64, m->payload, sizeof(m->u64));
		return 0;
	case VU_P_STATE:
		if (m->size != sizeof(m->st))
			return -EINVAL;
		memcpy(&m->st, m->payload, sizeof(m->st));
		m->q = queue_of(m->d, m->st.index);
		return m->q ? 0 : -EINVAL;
	default:
		return 0;
	}
}

int vcd_dev_handle(struct vcd_dev *d, const struct vcd_vu_hdr *h, const void *payload, int *fds,
		   unsigned int nfds, void *reply, uint32_t *reply_len)
{
	const struct vu_handler *hd = vu_handler_of(h->request);
	struct vu_msg m = {.d = d,
			   .h = h,
			   .payload = payload,
			   .size = h->size,
			   .fds = fds,
			   .nfds = nfds,
			   .reply = reply,
			   .reply_len = reply_len};
	const char *name = hd ? hd->name : "unknown";
	int ret;

	*reply_len = 0;
	d->last_raw = 0;
	if ((h->flags & 0x3) != VCD_VU_VERSION) {
		ret = -EPROTO;
		goto out;
	}
	if (d->conf.verbose > 1)
		fprintf(stderr, "vcryptod: %s (%u) size %u fds %u\n", name, h->request, m.size,
			nfds);
	ret = hd ? vu_decode(&m, hd->payload) : 0;
	if (ret)
		goto out;
	if (m.nfds && !(hd && hd->fds)) {
		ret = -EINVAL;
		goto out;
	}
	if (!hd) {
		if (d->conf.verbose)
			fprintf(stderr, "vcryptod: unhandled request %u\n", h->request);
		ret = -ENOTSUP;
		goto out;
	}
	ret = hd->handle(&m);
out:
	d->last_raw = ret;
	close_fds(fds, m.nfds);
	if (ret && d->conf.verbose)
		fprintf(stderr, "vcryptod: %s (%u): %s\n", name, h->request, strerror(-ret));
	if (!m.replied && ret != -EPROTO && (h->flags & VCD_VU_FLAG_NEED_REPLY) &&
	    (d->protocol_features & (1ull << VCD_VU_PROTOCOL_F_REPLY_ACK))) {
		uint64_t status = ret ? 1 : 0;

		memcpy(reply, &status, sizeof(status));
		*reply_len = sizeof(status);
		/* The frontend learns of the failure; the connection stays. */
		return 0;
	}
	return ret;
}

int vcd_vu_recv(int fd, struct vcd_vu_hdr *h, uint8_t *payload, int *fds, unsigned int *nfds)
{
	union {
		char buf[CMSG_SPACE(VCD_VU_MAX_FDS * sizeof(int))];
		struct cmsghdr align;
	} cbuf;
	struct iovec iov = {.iov_base = h, .iov_len = sizeof(*h)};
	struct msghdr mh = {.msg_iov = &iov,
			    .msg_iovlen = 1,
			    .msg_control = cbuf.buf,
			    .msg_controllen = sizeof(cbuf.buf)};
	struct cmsghdr *cm;
	size_t got = 0;
	ssize_t n;

	*nfds = 0;
	do
		n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n <= 0)
		return n == 0 ? -ECONNRESET : -errno;
	for (cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
		unsigned int k;

		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		k = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (unsigned int i = 0; i < k && *nfds < VCD_VU_MAX_FDS; i++)
			memcpy(&fds[(*nfds)++], CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
	}
	if (mh.msg_flags & MSG_CTRUNC)
		goto err_close;
	got = (size_t)n;
	while (got < sizeof(*h)) {
		n = read(fd, (uint8_t *)h + got, sizeof(*h) - got);
		if (n <= 0 && !(n < 0 && errno == EINTR))
			goto err_close;
		if (n > 0)
			got += (size_t)n;
	}
	if (h->size > VCD_VU_MAX_PAYLOAD)
		goto err_close;
	got = 0;
	while (got < h->size) {
		n = read(fd, payload + got, h->size - got);
		if (n <= 0 && !(n < 0 && errno == EINTR))
			goto err_close;
		if (n > 0)
			got += (size_t)n;
	}
	return 0;

err_close:
	/* A half-received CREATE_CRYPTO_SESSION holds key bytes. */
	explicit_bzero(payload, got);
	close_fds(fds, *nfds);
	*nfds = 0;
	return -EPROTO;
}

/*
 * Receives one message and handles it; the reply goes to reply[], its
 * length to *rlen, the handler's result to *result. Negative errno: the
 * message could not be received.
 */
static int serve_recv(struct vcd_dev *d, struct vcd_vu_hdr *h, uint8_t *reply, uint32_t *rlen,
		      int *result)
{
	uint8_t payload[VCD_VU_MAX_PAYLOAD] __attribute__((aligned(8)));
	int fds[VCD_VU_MAX_FDS];
	unsigned int nfds;
	int ret;

	ret = vcd_vu_recv(d->fd, h, payload, fds, &nfds);
	if (ret)
		return ret;
	*result = vcd_dev_handle(d, h, payload, fds, nfds, reply, rlen);
	explicit_bzero(payload, h->size); /* may hold session keys */
	return 0;
}

int vcd_dev_serve_one(struct vcd_dev *d)
{
	uint8_t reply[VCD_VU_MAX_PAYLOAD] __attribute__((aligned(8)));
	struct vcd_vu_hdr h, rh;
	uint32_t rlen = 0;
	int ret, result;

	ret = serve_recv(d, &h, reply, &rlen, &result);
	if (ret)
		return ret;
	if (result || !rlen)
		return result;
	rh = (struct vcd_vu_hdr){
		.request = h.request, .flags = VCD_VU_VERSION | VCD_VU_FLAG_REPLY, .size = rlen};
	return vcd_vu_send(d->fd, &rh, reply, NULL, 0) ? -EPIPE : 0;
}

int vcd_vu_accept(int lfd)
{
	struct timeval tmo = {.tv_sec = 5};
	int cfd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

	if (cfd < 0)
		return errno == EINTR || errno == ECONNABORTED || errno == EAGAIN ? -EAGAIN
										  : -errno;
	setsockopt(cfd, SOL_SOCKET, SO_RCVTIMEO, &tmo, sizeof(tmo));
	setsockopt(cfd, SOL_SOCKET, SO_SNDTIMEO, &tmo, sizeof(tmo));
	return cfd;
}

int vcd_vu_send(int fd, const struct vcd_vu_hdr *h, const void *payload, const int *fds,
		unsigned int nfds)
{
	union {
		char buf[CMSG_SPACE(VCD_VU_MAX_FDS * sizeof(int))];
		struct cmsghdr align;
	} cbuf;
	struct iovec iov[2] = {{.iov_base = (void *)h, .iov_len = sizeof(*h)},
			       {.iov_base = (void *)payload, .iov_len = h->size}};
	struct msghdr mh = {.msg_iov = iov, .msg_iovlen = h->size ? 2 : 1};
	size_t len = sizeof(*h) + h->size, done;
	ssize_t n;

	if (nfds > VCD_VU_MAX_FDS)
		return -EINVAL;
	if (nfds) {
		struct cmsghdr *cm;

		memset(&cbuf, 0, sizeof(cbuf));
		mh.msg_control = cbuf.buf;
		mh.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(nfds * sizeof(int));
		memcpy(CMSG_DATA(cm), fds, nfds * sizeof(int));
	}
	do
		n = sendmsg(fd, &mh, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n <= 0)
		return n < 0 ? -errno : -EPIPE;
	/* The rest (fds went with the first byte). */
	for (done = (size_t)n; done < len;) {
		const uint8_t *src = done < sizeof(*h)
					     ? (const uint8_t *)h + done
					     : (const uint8_t *)payload + (done - sizeof(*h));
		size_t chunk = done < sizeof(*h) ? sizeof(*h) - done : len - done;

		n = send(fd, src, chunk, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -EPIPE;
		done += (size_t)n;
	}
	return 0;
}

int vcd_dev_serve_proxy(struct vcd_dev *d)
{
	uint8_t out[sizeof(struct vcd_proxy_reply) + VCD_VU_MAX_PAYLOAD]
		__attribute__((aligned(8)));
	struct vcd_proxy_reply *pr = (struct vcd_proxy_reply *)out;
	struct vcd_vu_hdr h, rh;
	uint32_t rlen = 0;
	int ret;

	ret = serve_recv(d, &h, out + sizeof(*pr), &rlen, &pr->ret);
	if (ret)
		return ret;
	pr->raw = d->last_raw;
	rh = (struct vcd_vu_hdr){.request = h.request,
				 .flags = VCD_VU_VERSION | VCD_VU_FLAG_REPLY,
				 .size = (uint32_t)sizeof(*pr) + rlen};
	return vcd_vu_send(d->fd, &rh, out, NULL, 0);
}
