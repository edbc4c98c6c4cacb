// SPDX-License-Identifier: GPL-2.0
/*
 * vufront core: vhost-user messages, memfd guest RAM, split virtqueues and
 * crypto session payloads, the way QEMU 7.2 (and 8.1 for the 1072-byte
 * session layout) drives a cryptodev-vhost-user backend.
 */
#include "vufront.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <linux/virtio_crypto.h>

#define VUF_RING_ALIGN 4096

static __attribute__((format(printf, 2, 3))) void vuf_seterr(struct vuf *v, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(v->err, sizeof(v->err), fmt, ap);
	va_end(ap);
}

uint64_t vuf_rand(struct vuf *v)
{
	/* xorshift64*: reproducible from the seed printed by the tests. */
	uint64_t x = v->rng;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	v->rng = x;
	return x * 0x2545F4914F6CDD1DULL;
}

void vuf_rand_bytes(struct vuf *v, void *buf, size_t len)
{
	uint8_t *p = buf;

	while (len) {
		uint64_t r = vuf_rand(v);
		size_t n = len < 8 ? len : 8;

		memcpy(p, &r, n);
		p += n;
		len -= n;
	}
}

static long vuf_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000;
}

struct vuf *vuf_connect(const char *path, int timeout_ms)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	long deadline = vuf_now_ms() + timeout_ms;
	struct vuf *v;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	strcpy(sa.sun_path, path);
	v = calloc(1, sizeof(*v));
	if (!v)
		return NULL;
	v->timeout_ms = timeout_ms > 0 ? timeout_ms : 5000;
	v->event_idx = true;
	v->strict_calls = true;
	v->rng = 0x9E3779B97F4A7C15ULL;
	for (unsigned int i = 0; i < VUF_MAX_QUEUES; i++) {
		v->vq[i].kick_fd = -1;
		v->vq[i].call_fd = -1;
	}
	for (unsigned int i = 0; i < VUF_MAX_REGIONS; i++)
		v->r[i].fd = -1;
	for (;;) {
		v->sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (v->sock < 0)
			goto err_free;
		if (!connect(v->sock, (struct sockaddr *)&sa, sizeof(sa)))
			return v;
		close(v->sock);
		if ((errno != ENOENT && errno != ECONNREFUSED) || vuf_now_ms() > deadline)
			goto err_free;
		usleep(20000);
	}
err_free : {
	int e = errno;

	free(v);
	errno = e;
}
	return NULL;
}

void vuf_free(struct vuf *v)
{
	if (!v)
		return;
	if (v->sock >= 0)
		close(v->sock);
	for (unsigned int i = 0; i < VUF_MAX_QUEUES; i++) {
		struct vuf_vq *q = &v->vq[i];

		if (q->kick_fd >= 0)
			close(q->kick_fd);
		if (q->call_fd >= 0)
			close(q->call_fd);
		free(q->next_free);
		free(q->cookie);
		free(q->ndesc);
	}
	for (unsigned int i = 0; i < v->nregions; i++) {
		if (v->r[i].host)
			munmap(v->r[i].host, v->r[i].map_len);
		if (v->r[i].fd >= 0)
			close(v->r[i].fd);
	}
	free(v);
}

bool vuf_alive(struct vuf *v)
{
	struct pollfd p = {.fd = v->sock, .events = POLLIN | POLLRDHUP};
	char c;

	if (poll(&p, 1, 0) <= 0)
		return true;
	if (p.revents & (POLLHUP | POLLRDHUP | POLLERR))
		return false;
	if (recv(v->sock, &c, 1, MSG_PEEK | MSG_DONTWAIT) == 0)
		return false;
	return true;
}

int vuf_send_raw(struct vuf *v, const void *buf, size_t len, const int *fds, int nfds)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * 32)];
		struct cmsghdr align;
	} u;
	struct iovec iov = {.iov_base = (void *)buf, .iov_len = len};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
	ssize_t n;

	if (nfds > 32)
		return -EINVAL;
	if (nfds > 0) {
		struct cmsghdr *cm;

		memset(&u, 0, sizeof(u));
		mh.msg_control = u.buf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(cm), fds, sizeof(int) * nfds);
	}
	do
		n = sendmsg(v->sock, &mh, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if ((size_t)n != len)
		return -EIO;
	return 0;
}

int vuf_send(struct vuf *v, uint32_t req, uint32_t flags, const void *payload, uint32_t size,
	     const int *fds, int nfds)
{
	uint8_t buf[VUF_HDR_SIZE + 4096];

	if (size > sizeof(buf) - VUF_HDR_SIZE)
		return -EMSGSIZE;
	memcpy(buf, &req, 4);
	memcpy(buf + 4, &flags, 4);
	memcpy(buf + 8, &size, 4);
	if (size)
		memcpy(buf + VUF_HDR_SIZE, payload, size);
	return vuf_send_raw(v, buf, VUF_HDR_SIZE + size, fds, nfds);
}

static int vuf_read_full(struct vuf *v, void *buf, size_t len)
{
	uint8_t *p = buf;

	while (len) {
		struct pollfd pf = {.fd = v->sock, .events = POLLIN};
		int r = poll(&pf, 1, v->timeout_ms);
		ssize_t n;

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			return -ETIMEDOUT;
		n = recv(v->sock, p, len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno == ECONNRESET ? -ECONNRESET : -errno;
		if (n == 0)
			return -ECONNRESET;
		p += n;
		len -= n;
	}
	return 0;
}

int vuf_recv(struct vuf *v, uint32_t *req, uint32_t *flags, void *payload, uint32_t max,
	     uint32_t *size)
{
	uint8_t hdr[VUF_HDR_SIZE];
	uint32_t sz;
	int ret;

	ret = vuf_read_full(v, hdr, sizeof(hdr));
	if (ret)
		return ret;
	memcpy(req, hdr, 4);
	memcpy(flags, hdr + 4, 4);
	memcpy(&sz, hdr + 8, 4);
	*size = sz;
	if (sz > max) {
		vuf_seterr(v, "reply to %u has %u bytes, expected at most %u", *req, sz, max);
		return -EPROTO;
	}
	if (sz)
		ret = vuf_read_full(v, payload, sz);
	if (!ret && (*flags & (VUF_F_REPLY | 3)) != (VUF_F_REPLY | VUF_F_VERSION)) {
		vuf_seterr(v, "reply to %u has flags 0x%x", *req, *flags);
		return -EPROTO;
	}
	return ret;
}

int vuf_get_u64(struct vuf *v, uint32_t req, uint64_t *val)
{
	uint32_t rreq, rflags, size;
	int ret;

	ret = vuf_send(v, req, VUF_F_VERSION, NULL, 0, NULL, 0);
	if (ret)
		return ret;
	ret = vuf_recv(v, &rreq, &rflags, val, sizeof(*val), &size);
	if (ret)
		return ret;
	if (rreq != req || size != sizeof(*val)) {
		vuf_seterr(v, "reply to %u: request %u size %u", req, rreq, size);
		return -EPROTO;
	}
	return 0;
}

int64_t vuf_call_ack(struct vuf *v, uint32_t req, const void *payload, uint32_t size,
		     const int *fds, int nfds)
{
	uint32_t rreq, rflags, rsize;
	uint64_t ack;
	int ret;

	ret = vuf_send(v, req, VUF_F_VERSION | VUF_F_NEED_REPLY, payload, size, fds, nfds);
	if (ret)
		return ret;
	ret = vuf_recv(v, &rreq, &rflags, &ack, sizeof(ack), &rsize);
	if (ret)
		return ret;
	if (rreq != req || rsize != sizeof(ack)) {
		vuf_seterr(v, "ack for %u: request %u size %u", req, rreq, rsize);
		return -EPROTO;
	}
	return ack > INT64_MAX ? INT64_MAX : (int64_t)ack;
}

/* A message that takes no reply; with REPLY_ACK negotiated we ask for one
 * only where QEMU does (SET_MEM_TABLE). */
static int vuf_msg(struct vuf *v, uint32_t req, const void *payload, uint32_t size, const int *fds,
		   int nfds, bool ack)
{
	int64_t r;

	if (!ack || !(v->pfeatures_acked & (1ULL << VUF_PF_REPLY_ACK)))
		return vuf_send(v, req, VUF_F_VERSION, payload, size, fds, nfds);
	r = vuf_call_ack(v, req, payload, size, fds, nfds);
	if (r < 0)
		return (int)r;
	if (r) {
		vuf_seterr(v, "request %u refused (ack %lld)", req, (long long)r);
		return -EREMOTEIO;
	}
	return 0;
}

void *vuf_gpa(struct vuf *v, uint64_t gpa, uint64_t len)
{
	for (unsigned int i = 0; i < v->nregions; i++) {
		struct vuf_region *r = &v->r[i];

		if (gpa >= r->gpa && gpa - r->gpa < r->size && len <= r->size - (gpa - r->gpa))
			return r->host + r->mmap_offset + (gpa - r->gpa);
	}
	return NULL;
}

static uint64_t vuf_uaddr(struct vuf *v, uint64_t gpa)
{
	for (unsigned int i = 0; i < v->nregions; i++)
		if (gpa >= v->r[i].gpa && gpa - v->r[i].gpa < v->r[i].size)
			return v->r[i].uaddr + (gpa - v->r[i].gpa);
	return 0;
}

static uint64_t vuf_alloc_in(struct vuf_region *r, uint64_t len, uint64_t align)
{
	uint64_t off = (r->brk + align - 1) & ~(align - 1);

	if (off > r->size || len > r->size - off)
		return 0;
	r->brk = off + len;
	return r->gpa + off;
}

uint64_t vuf_alloc(struct vuf *v, int ri, uint64_t len, uint64_t align)
{
	unsigned int start;

	if (!align)
		align = 1;
	if (ri >= 0)
		return (unsigned int)ri < v->nregions ? vuf_alloc_in(&v->r[ri], len, align) : 0;
	start = vuf_rand(v) % v->nregions;
	for (unsigned int k = 0; k < v->nregions; k++) {
		uint64_t g = vuf_alloc_in(&v->r[(start + k) % v->nregions], len, align);

		if (g)
			return g;
	}
	return 0;
}

/* Allocations made by vuf_setup stay; vuf_mem_reset frees the rest. */
void vuf_mem_reset(struct vuf *v)
{
	for (unsigned int i = 0; i < v->nregions; i++)
		v->r[i].brk = v->r[i].base;
}

uint64_t vuf_gpa_hole(struct vuf *v)
{
	return v->r[0].gpa + v->r[0].size + 0x1000;
}

static int vuf_map_regions(struct vuf *v, unsigned int n, uint64_t size)
{
	for (unsigned int i = 0; i < n; i++) {
		struct vuf_region *r = &v->r[i];
		char name[32];

		snprintf(name, sizeof(name), "vufront-ram%u", i);
		/* Regions 1 GiB apart in guest-physical space: the gaps are holes
		 * the hostile tests point into. Each region sits at a different
		 * offset in its memfd, like QEMU's mmap_offset. */
		r->gpa = 0x100000ULL + (uint64_t)i * 0x40000000ULL;
		r->size = size;
		r->mmap_offset = (uint64_t)i * 0x2000;
		r->uaddr = 0x7f0000000000ULL + (uint64_t)i * 0x100000000ULL + 0x5000;
		r->map_len = size + r->mmap_offset;
		r->fd = memfd_create(name, MFD_CLOEXEC);
		if (r->fd < 0)
			return -errno;
		v->nregions = i + 1;
		if (ftruncate(r->fd, r->map_len))
			return -errno;
		r->host = mmap(NULL, r->map_len, PROT_READ | PROT_WRITE, MAP_SHARED, r->fd, 0);
		if (r->host == MAP_FAILED) {
			r->host = NULL;
			return -errno;
		}
		r->brk = 0;
	}
	return 0;
}

static int vuf_send_mem_table(struct vuf *v)
{
	uint8_t buf[8 + 32 * VUF_MAX_REGIONS] = {0};
	int fds[VUF_MAX_REGIONS];
	uint32_t n = v->nregions;

	memcpy(buf, &n, 4);
	for (unsigned int i = 0; i < n; i++) {
		uint64_t f[4] = {v->r[i].gpa, v->r[i].size, v->r[i].uaddr, v->r[i].mmap_offset};

		memcpy(buf + 8 + 32 * i, f, 32);
		fds[i] = v->r[i].fd;
	}
	return vuf_msg(v, VUF_SET_MEM_TABLE, buf, 8 + 32 * n, fds, n, true);
}

static int vuf_vring_fd(struct vuf *v, uint32_t req, unsigned int idx, int fd)
{
	uint64_t u = idx;

	return vuf_msg(v, req, &u, sizeof(u), &fd, 1, false);
}

static int vuf_vring_state(struct vuf *v, uint32_t req, unsigned int idx, unsigned int num)
{
	uint32_t s[2] = {idx, num};

	return vuf_msg(v, req, s, sizeof(s), NULL, 0, false);
}

static int vuf_vq_init(struct vuf *v, unsigned int idx, unsigned int num)
{
	struct vuf_vq *q = &v->vq[idx];
	uint64_t dsz = 16ULL * num, asz = 6 + 2ULL * num, usz = 6 + 8ULL * num;

	q->v = v;
	q->index = idx;
	q->num = num;
	q->desc_gpa = vuf_alloc(v, 0, dsz, VUF_RING_ALIGN);
	q->avail_gpa = vuf_alloc(v, 0, asz, 2);
	q->used_gpa = vuf_alloc(v, 0, usz, VUF_RING_ALIGN);
	if (!q->desc_gpa || !q->avail_gpa || !q->used_gpa)
		return -ENOMEM;
	q->desc = vuf_gpa(v, q->desc_gpa, dsz);
	q->avail = vuf_gpa(v, q->avail_gpa, asz);
	q->used = vuf_gpa(v, q->used_gpa, usz);
	memset(q->desc, 0, dsz);
	memset(q->avail, 0, asz);
	memset(q->used, 0, usz);
	q->next_free = calloc(num, sizeof(*q->next_free));
	q->cookie = calloc(num, sizeof(*q->cookie));
	q->ndesc = calloc(num, sizeof(*q->ndesc));
	if (!q->next_free || !q->cookie || !q->ndesc)
		return -ENOMEM;
	for (unsigned int i = 0; i < num; i++)
		q->next_free[i] = (uint16_t)(i + 1);
	q->free_head = 0;
	q->num_free = num;
	q->kick_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	q->call_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (q->kick_fd < 0 || q->call_fd < 0)
		return -errno;
	return 0;
}

int vuf_setup(struct vuf *v, const struct vuf_opts *o)
{
	unsigned int nreg = o && o->nregions ? o->nregions : 4;
	uint64_t rsize = o && o->region_size ? o->region_size : 8ULL << 20;
	unsigned int nq = o && o->nqueues ? o->nqueues : 1;
	unsigned int qsize = o && o->qsize ? o->qsize : 1024;
	uint64_t pmask = o && o->pfeatures_mask ? o->pfeatures_mask
						: (1ULL << VUF_PF_MQ) | (1ULL << VUF_PF_REPLY_ACK) |
							  (1ULL << VUF_PF_CRYPTO_SESSION);
	uint64_t feat;
	int ret;

	if (o && o->seed)
		v->rng = o->seed;
	if (nreg > VUF_MAX_REGIONS || nq > VUF_MAX_QUEUES || !qsize || qsize > 32768 ||
	    (qsize & (qsize - 1)))
		return -EINVAL;

	/* The order QEMU 7.2 uses (docs/DESIGN.md). */
	ret = vuf_get_u64(v, VUF_GET_FEATURES, &v->features);
	if (ret)
		return ret;
	if (!(v->features & (1ULL << VUF_F_PROTOCOL_FEATURES))) {
		vuf_seterr(v, "backend lacks VHOST_USER_F_PROTOCOL_FEATURES");
		return -EPROTO;
	}
	ret = vuf_get_u64(v, VUF_GET_PROTOCOL_FEATURES, &v->pfeatures);
	if (ret)
		return ret;
	if (!(v->pfeatures & (1ULL << VUF_PF_CRYPTO_SESSION))) {
		vuf_seterr(v, "backend lacks CRYPTO_SESSION");
		return -EPROTO;
	}
	v->pfeatures_acked = v->pfeatures & pmask;
	ret = vuf_msg(v, VUF_SET_PROTOCOL_FEATURES, &v->pfeatures_acked, 8, NULL, 0, false);
	if (ret)
		return ret;
	if (v->pfeatures_acked & (1ULL << VUF_PF_MQ)) {
		ret = vuf_get_u64(v, VUF_GET_QUEUE_NUM, &v->queue_num);
		if (ret)
			return ret;
	} else {
		v->queue_num = 1;
	}
	if (nq > v->queue_num) {
		vuf_seterr(v, "backend offers %llu queues, %u wanted",
			   (unsigned long long)v->queue_num, nq);
		return -ERANGE;
	}
	ret = vuf_msg(v, VUF_SET_OWNER, NULL, 0, NULL, 0, false);
	if (ret)
		return ret;
	ret = vuf_get_u64(v, VUF_GET_FEATURES, &feat);
	if (ret)
		return ret;

	ret = vuf_map_regions(v, nreg, rsize);
	if (ret)
		return ret;
	for (unsigned int i = 0; i < nq; i++) {
		ret = vuf_vq_init(v, i, qsize);
		if (ret)
			return ret;
	}
	v->nqueues = nq;
	for (unsigned int i = 0; i < nreg; i++)
		v->r[i].base = v->r[i].brk;

	for (unsigned int i = 0; i < nq; i++) {
		int errfd = eventfd(0, EFD_CLOEXEC);

		if (errfd < 0)
			return -errno;
		ret = vuf_vring_fd(v, VUF_SET_VRING_CALL, i, v->vq[i].call_fd);
		if (!ret)
			ret = vuf_vring_fd(v, VUF_SET_VRING_ERR, i, errfd);
		close(errfd);
		if (ret)
			return ret;
	}

	/* The guest driver starts the device. */
	feat = 1ULL << VUF_F_PROTOCOL_FEATURES;
	if (o && o->full_set_features)
		feat |= v->features &
			((1ULL << VUF_F_VERSION_1) | (1ULL << VIRTIO_RING_F_INDIRECT_DESC) |
			 (o->no_event_idx ? 0 : 1ULL << VIRTIO_RING_F_EVENT_IDX));
	ret = vuf_msg(v, VUF_SET_FEATURES, &feat, 8, NULL, 0, false);
	if (ret)
		return ret;
	ret = vuf_send_mem_table(v);
	if (ret)
		return ret;
	for (unsigned int i = 0; i < nq; i++) {
		ret = vuf_vring_restart(v, i, 0);
		if (ret)
			return ret;
	}
	return 0;
}

int vuf_vring_restart(struct vuf *v, unsigned int i, uint32_t base)
{
	struct vuf_vq *q = &v->vq[i];
	uint8_t a[40] = {0};
	uint64_t addr[4] = {vuf_uaddr(v, q->desc_gpa), vuf_uaddr(v, q->used_gpa),
			    vuf_uaddr(v, q->avail_gpa), 0};
	uint32_t idx = i;
	int ret;

	if (i >= v->nqueues && !q->num)
		return -EINVAL;
	ret = vuf_vring_state(v, VUF_SET_VRING_NUM, i, q->num);
	if (!ret)
		ret = vuf_vring_state(v, VUF_SET_VRING_BASE, i, base);
	memcpy(a, &idx, 4);
	memcpy(a + 8, addr, 32);
	if (!ret)
		ret = vuf_msg(v, VUF_SET_VRING_ADDR, a, sizeof(a), NULL, 0, false);
	if (!ret)
		ret = vuf_vring_fd(v, VUF_SET_VRING_KICK, i, q->kick_fd);
	if (!ret)
		ret = vuf_vring_fd(v, VUF_SET_VRING_CALL, i, q->call_fd);
	if (!ret)
		q->started = true;
	return ret;
}

int vuf_get_vring_base(struct vuf *v, unsigned int idx, uint32_t *base)
{
	uint32_t s[2] = {idx, 0}, r[2], rreq, rflags, size;
	int ret;

	ret = vuf_send(v, VUF_GET_VRING_BASE, VUF_F_VERSION, s, sizeof(s), NULL, 0);
	if (ret)
		return ret;
	ret = vuf_recv(v, &rreq, &rflags, r, sizeof(r), &size);
	if (ret)
		return ret;
	if (rreq != VUF_GET_VRING_BASE || size != sizeof(r) || r[0] != idx)
		return -EPROTO;
	*base = r[1];
	if (idx < VUF_MAX_QUEUES)
		v->vq[idx].started = false;
	return 0;
}

/* ---- placement of a request in guest memory ---- */

static unsigned int vuf_cuts(struct vuf *v, size_t len, unsigned int max, size_t *cut)
{
	/* Up to max pieces, cut at distinct random offsets (no empty piece). */
	unsigned int k, n = 0;

	if (max < 1)
		max = 1;
	if (len == 0)
		return 0;
	k = 1 + vuf_rand(v) % max;
	if (k > len)
		k = (unsigned int)len;
	cut[n++] = 0;
	while (n < k) {
		size_t c = 1 + vuf_rand(v) % (len - 1 ? len - 1 : 1);
		bool dup = false;

		for (unsigned int i = 0; i < n; i++)
			dup |= cut[i] == c;
		if (!dup && c < len)
			cut[n++] = c;
	}
	/* sort */
	for (unsigned int i = 1; i < n; i++)
		for (unsigned int j = i; j > 0 && cut[j - 1] > cut[j]; j--) {
			size_t t = cut[j];

			cut[j] = cut[j - 1];
			cut[j - 1] = t;
		}
	cut[n] = len;
	return n;
}

static int vuf_place_stream(struct vuf *v, struct vuf_chain *c, const uint8_t *data, size_t len,
			    unsigned int max, bool write, uint8_t canary)
{
	size_t cut[VUF_MAX_SEGS + 1];
	unsigned int n;

	if (c->nseg + max > VUF_MAX_SEGS)
		max = VUF_MAX_SEGS - c->nseg;
	n = vuf_cuts(v, len, max, cut);
	for (unsigned int i = 0; i < n; i++) {
		size_t plen = cut[i + 1] - cut[i];
		unsigned int skew = vuf_rand(v) % 64;
		uint64_t g = vuf_alloc(v, -1, plen + skew, 1);
		uint8_t *h;

		if (!g)
			return -ENOMEM;
		g += skew;
		h = vuf_gpa(v, g, plen);
		if (write)
			memset(h, canary, plen);
		else
			memcpy(h, data + cut[i], plen);
		c->seg[c->nseg].gpa = g;
		c->seg[c->nseg].len = (uint32_t)plen;
		c->seg[c->nseg].write = write;
		c->nseg++;
	}
	return 0;
}

int vuf_place(struct vuf *v, struct vuf_chain *c, const void *out, size_t out_len, size_t in_len,
	      const struct vuf_place_opts *po)
{
	unsigned int mo = po && po->max_out_segs ? po->max_out_segs : 1;
	unsigned int mi = po && po->max_in_segs ? po->max_in_segs : 1;
	int ind = po ? po->indirect : 0;
	int ret;

	c->nseg = 0;
	c->ind_gpa = 0;
	c->in_len = in_len;
	if (mo + mi > VUF_MAX_SEGS)
		return -EINVAL;
	ret = vuf_place_stream(v, c, out, out_len, mo, false, 0);
	if (!ret)
		ret = vuf_place_stream(v, c, NULL, in_len, mi, true, po ? po->canary : 0);
	c->indirect = ind < 0 ? (vuf_rand(v) & 1) : ind > 0;
	return ret;
}

void vuf_gather(struct vuf *v, const struct vuf_chain *c, void *in)
{
	uint8_t *p = in;

	for (unsigned int i = 0; i < c->nseg; i++) {
		if (!c->seg[i].write)
			continue;
		memcpy(p, vuf_gpa(v, c->seg[i].gpa, c->seg[i].len), c->seg[i].len);
		p += c->seg[i].len;
	}
}

/* ---- virtqueue ---- */

static inline void vuf_wmb(void)
{
	__atomic_thread_fence(__ATOMIC_RELEASE);
}

static inline void vuf_rmb(void)
{
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
}

static inline void vuf_mb(void)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

static void vuf_publish(struct vuf_vq *q, uint16_t head)
{
	q->avail->ring[q->avail_idx % q->num] = head;
	vuf_wmb();
	q->avail_idx++;
	__atomic_store_n(&q->avail->idx, q->avail_idx, __ATOMIC_RELEASE);
}

int vuf_submit(struct vuf_vq *q, const struct vuf_chain *c, void *cookie)
{
	/* A chain longer than the ring can only go indirect (Linux does so). */
	bool ind = c->indirect || c->nseg > q->num;
	unsigned int need = ind ? 1 : c->nseg;
	uint16_t head, i, last = 0;

	if (!c->nseg || !cookie)
		return -EINVAL;
	if (q->num_free < need)
		return -ENOSPC;
	head = q->free_head;
	i = head;
	if (ind) {
		uint64_t tg = c->ind_gpa ? c->ind_gpa : vuf_alloc(q->v, -1, 16ULL * c->nseg, 16);
		struct vring_desc *t;

		if (!tg)
			return -ENOMEM;
		t = vuf_gpa(q->v, tg, 16ULL * c->nseg);
		for (unsigned int k = 0; k < c->nseg; k++) {
			t[k].addr = c->seg[k].gpa;
			t[k].len = c->seg[k].len;
			t[k].flags = (c->seg[k].write ? VRING_DESC_F_WRITE : 0) |
				     (k + 1 < c->nseg ? VRING_DESC_F_NEXT : 0);
			t[k].next = (uint16_t)(k + 1 < c->nseg ? k + 1 : 0);
		}
		q->desc[i].addr = tg;
		q->desc[i].len = 16 * c->nseg;
		q->desc[i].flags = VRING_DESC_F_INDIRECT;
		q->desc[i].next = 0;
		last = i;
	} else {
		for (unsigned int k = 0; k < c->nseg; k++) {
			q->desc[i].addr = c->seg[k].gpa;
			q->desc[i].len = c->seg[k].len;
			q->desc[i].flags = (c->seg[k].write ? VRING_DESC_F_WRITE : 0) |
					   (k + 1 < c->nseg ? VRING_DESC_F_NEXT : 0);
			q->desc[i].next = k + 1 < c->nseg ? q->next_free[i] : 0;
			last = i;
			i = q->next_free[i];
		}
	}
	q->free_head = q->next_free[last];
	q->num_free -= need;
	q->ndesc[head] = (uint16_t)need;
	q->cookie[head] = cookie;
	vuf_publish(q, head);
	return 0;
}

void vuf_submit_raw(struct vuf_vq *q, const struct vring_desc *d, unsigned int n, uint16_t first,
		    uint16_t head)
{
	for (unsigned int k = 0; k < n; k++)
		q->desc[(first + k) % q->num] = d[k];
	vuf_publish(q, head);
}

void vuf_kick(struct vuf_vq *q, bool force)
{
	uint16_t new = q->avail_idx, old = q->kicked_idx;
	uint64_t one = 1;
	bool need;

	vuf_mb();
	if (force) {
		need = true;
	} else if (q->v->event_idx) {
		uint16_t ev = __atomic_load_n((uint16_t *)&q->used->ring[q->num], __ATOMIC_ACQUIRE);

		/* vring_need_event(), as a Linux driver with EVENT_IDX does it. */
		need = (uint16_t)(new - ev - 1) < (uint16_t)(new - old);
	} else {
		need = !(q->used->flags & VRING_USED_F_NO_NOTIFY);
	}
	q->kicked_idx = new;
	if (need) {
		if (write(q->kick_fd, &one, sizeof(one)) == sizeof(one))
			q->kicks++;
	} else {
		q->kicks_saved++;
	}
}

static int vuf_take_used(struct vuf_vq *q, void **cookie, uint32_t *len)
{
	struct vring_used_elem e;
	uint32_t id;
	uint16_t i, n;

	vuf_rmb();
	e = q->used->ring[q->last_used % q->num];
	id = e.id;
	if (id >= q->num || !q->cookie[id]) {
		snprintf(q->v->err, sizeof(q->v->err),
			 "used ring entry %u names descriptor %u, not in flight", q->last_used, id);
		return -EPROTO;
	}
	q->last_used++;
	*cookie = q->cookie[id];
	*len = e.len;
	q->cookie[id] = NULL;
	/* Return the descriptors to the free list. */
	n = q->ndesc[id];
	i = (uint16_t)id;
	for (uint16_t k = 1; k < n; k++)
		i = q->next_free[i];
	q->next_free[i] = q->free_head;
	q->free_head = (uint16_t)id;
	q->num_free += n;
	q->completions++;
	/* Not waiting any more: callbacks off again. */
	if (!q->v->event_idx && q->v->irq_flags)
		__atomic_store_n(&q->avail->flags, VRING_AVAIL_F_NO_INTERRUPT, __ATOMIC_RELAXED);
	return 1;
}

int vuf_wait(struct vuf_vq *q, int timeout_ms, void **cookie, uint32_t *len)
{
	long deadline = vuf_now_ms() + timeout_ms;

	for (;;) {
		struct pollfd p[2] = {{.fd = q->call_fd, .events = POLLIN},
				      {.fd = q->v->sock, .events = POLLIN | POLLRDHUP}};
		long left;
		int r;

		if (__atomic_load_n(&q->used->idx, __ATOMIC_ACQUIRE) != q->last_used)
			return vuf_take_used(q, cookie, len);
		/* Ask for an interrupt at the next completion, then look again. */
		if (q->v->event_idx)
			__atomic_store_n(&q->avail->ring[q->num], q->last_used, __ATOMIC_RELEASE);
		else if (q->v->irq_flags)
			__atomic_store_n(&q->avail->flags, 0, __ATOMIC_RELEASE);
		vuf_mb();
		if (__atomic_load_n(&q->used->idx, __ATOMIC_ACQUIRE) != q->last_used)
			return vuf_take_used(q, cookie, len);
		left = deadline - vuf_now_ms();
		if (left < 0)
			left = 0;
		r = poll(p, 2, (int)left);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0) {
			if (__atomic_load_n(&q->used->idx, __ATOMIC_ACQUIRE) != q->last_used) {
				/* Completed, but no call came within the wait. */
				if (timeout_ms > 0)
					q->missing_calls++;
				return vuf_take_used(q, cookie, len);
			}
			return 0;
		}
		if (p[0].revents & POLLIN) {
			uint64_t cnt;

			if (read(q->call_fd, &cnt, sizeof(cnt)) == sizeof(cnt))
				q->calls++;
		}
		if (p[1].revents && !vuf_alive(q->v)) {
			if (__atomic_load_n(&q->used->idx, __ATOMIC_ACQUIRE) != q->last_used)
				return vuf_take_used(q, cookie, len);
			return -ECONNRESET;
		}
		if (p[1].revents & POLLIN) {
			/* The backend sent something unasked; stop watching it. */
			if (vuf_now_ms() >= deadline)
				return 0;
			usleep(1000);
		}
	}
}

/* ---- crypto sessions ---- */

#define VUF_FAKE_PTR1 0x00007f3a12345000ULL /* what QEMU leaves in its pointers */
#define VUF_FAKE_PTR2 0x00007f3a12346000ULL

static void vuf_put32(uint8_t *b, size_t off, uint32_t x)
{
	memcpy(b + off, &x, 4);
}

static void vuf_put_sym_info(uint8_t *b, const struct vuf_sym_sess *s)
{
	uint64_t p1 = VUF_FAKE_PTR1, p2 = VUF_FAKE_PTR2;

	vuf_put32(b, 0, s->cipher_alg);
	vuf_put32(b, 4, s->key_len);
	vuf_put32(b, 8, s->hash_alg);
	vuf_put32(b, 12, s->hash_result_len);
	vuf_put32(b, 16, s->auth_key_len);
	vuf_put32(b, 20, s->add_len);
	b[24] = s->op_type;
	b[25] = s->direction;
	b[26] = s->hash_mode;
	b[27] = s->chain_order;
	memcpy(b + 32, &p1, 8);
	memcpy(b + 40, &p2, 8);
	if (s->key)
		memcpy(b + 48, s->key, s->key_len < 64 ? s->key_len : 64);
	if (s->auth_key)
		memcpy(b + 112, s->auth_key, s->auth_key_len < 512 ? s->auth_key_len : 512);
}

size_t vuf_sym_payload(uint8_t *buf, int layout, const struct vuf_sym_sess *s)
{
	if (layout == VUF_SESS_632) {
		memset(buf, 0, VUF_SESS_632);
		vuf_put_sym_info(buf + 8, s);
		return VUF_SESS_632;
	}
	memset(buf, 0, VUF_SESS_1072);
	{
		uint64_t op = s->op_code ? s->op_code : VIRTIO_CRYPTO_CIPHER_CREATE_SESSION;

		memcpy(buf, &op, 8);
	}
	vuf_put_sym_info(buf + 8, s);
	return VUF_SESS_1072;
}

size_t vuf_asym_payload(uint8_t *buf, const struct vuf_asym_sess *s)
{
	uint64_t op = s->op_code ? s->op_code : VIRTIO_CRYPTO_AKCIPHER_CREATE_SESSION;
	uint64_t p = VUF_FAKE_PTR1;

	memset(buf, 0, VUF_SESS_1072);
	memcpy(buf, &op, 8);
	vuf_put32(buf, 8, s->algo);
	vuf_put32(buf, 12, s->keytype);
	vuf_put32(buf, 16, s->keylen);
	memcpy(buf + 24, &p, 8);
	vuf_put32(buf, 32, s->padding_algo);
	vuf_put32(buf, 36, s->hash_algo);
	if (s->key)
		memcpy(buf + 40, s->key, s->keylen < 1024 ? s->keylen : 1024);
	return VUF_SESS_1072;
}

static int vuf_session_xchg(struct vuf *v, uint8_t *buf, size_t size, int64_t *sid)
{
	uint32_t rreq, rflags, rsize;
	int ret;

	/* QEMU sends without NEED_REPLY and reads the reply of the same size. */
	ret = vuf_send(v, VUF_CREATE_CRYPTO_SESSION, VUF_F_VERSION, buf, (uint32_t)size, NULL, 0);
	if (ret)
		return ret;
	ret = vuf_recv(v, &rreq, &rflags, buf, (uint32_t)size, &rsize);
	if (ret)
		return ret;
	if (rreq != VUF_CREATE_CRYPTO_SESSION || rsize != size) {
		vuf_seterr(v, "session reply: request %u size %u (sent %zu)", rreq, rsize, size);
		return -EPROTO;
	}
	memcpy(sid, buf + (size == VUF_SESS_632 ? 0 : 1064), 8);
	return 0;
}

int vuf_create_sym(struct vuf *v, int layout, const struct vuf_sym_sess *s, int64_t *sid)
{
	uint8_t buf[VUF_SESS_1072];
	size_t n = vuf_sym_payload(buf, layout, s);
	int ret = vuf_session_xchg(v, buf, n, sid);

	explicit_bzero(buf, sizeof(buf));
	return ret;
}

int vuf_create_asym(struct vuf *v, const struct vuf_asym_sess *s, int64_t *sid)
{
	uint8_t buf[VUF_SESS_1072];
	size_t n = vuf_asym_payload(buf, s);
	int ret = vuf_session_xchg(v, buf, n, sid);

	explicit_bzero(buf, sizeof(buf));
	return ret;
}

int vuf_close_session(struct vuf *v, uint64_t sid)
{
	return vuf_send(v, VUF_CLOSE_CRYPTO_SESSION, VUF_F_VERSION, &sid, 8, NULL, 0);
}
