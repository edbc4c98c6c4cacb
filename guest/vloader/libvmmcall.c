// SPDX-License-Identifier: MIT
/* libvmmcall: requests over the vmmcall channel (see libvmmcall.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <fdio/fdio.h>

#include "libvmmcall.h"

int vmmcall_find_port(char *out, size_t outlen)
{
	DIR *d = opendir("/sys/class/virtio-ports");
	struct dirent *e;
	int ret = -ENOENT;

	if (!d)
		return -ENOENT;
	while ((e = readdir(d))) {
		char path[512], name[128];
		FILE *f;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/sys/class/virtio-ports/%s/name", e->d_name);
		f = fopen(path, "re");
		if (!f)
			continue;
		if (fgets(name, sizeof(name), f)) {
			name[strcspn(name, "\n")] = 0;
			if (!strcmp(name, VMM_PORT_NAME)) {
				snprintf(out, outlen, "/dev/%s", e->d_name);
				ret = 0;
			}
		}
		fclose(f);
		if (!ret)
			break;
	}
	closedir(d);
	return ret;
}

int vmmcall_open(struct vmmcall *c, const char *path)
{
	char dev[300];
	struct stat st;
	uint32_t seed;
	const char *t;

	memset(c, 0, sizeof(*c));
	c->fd = -1;
	c->timeout_ms = 60000;
	t = getenv("VMMCALL_TIMEOUT_MS");
	if (t && atoi(t) > 0)
		c->timeout_ms = atoi(t);
	if (!path)
		path = getenv("VMMCALL_DEV");
	if (!path || !*path) {
		if (vmmcall_find_port(dev, sizeof(dev)))
			return -ENOENT;
		path = dev;
	}
	if (stat(path, &st) < 0)
		return -errno;
	if (S_ISSOCK(st.st_mode)) {
		struct sockaddr_un sa = {.sun_family = AF_UNIX};

		if (strlen(path) >= sizeof(sa.sun_path))
			return -ENAMETOOLONG;
		strcpy(sa.sun_path, path);
		c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (c->fd < 0)
			return -errno;
		if (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
			int e = -errno;

			close(c->fd);
			c->fd = -1;
			return e;
		}
	} else {
		c->fd = open(path, O_RDWR | O_CLOEXEC | O_NOCTTY);
		if (c->fd < 0)
			return -errno;
	}
	/* request ids differ between the short-lived clients of one port */
	if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) != sizeof(seed))
		seed = (uint32_t)getpid() << 16 ^ (uint32_t)time(NULL);
	c->next_id = seed | 1;
	return 0;
}

void vmmcall_close_channel(struct vmmcall *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

static int read_all(struct vmmcall *c, void *buf, size_t len)
{
	uint8_t *p = buf;

	while (len) {
		struct pollfd pf = {c->fd, POLLIN, 0};
		ssize_t n;
		int r;

		if (c->roff < c->rlen) {
			size_t k = c->rlen - c->roff < len ? c->rlen - c->roff : len;

			memcpy(p, c->rbuf + c->roff, k);
			c->roff += k;
			p += k;
			len -= k;
			continue;
		}
		/*
		 * poll(POLLIN), not a blocking read() with SO_RCVTIMEO: on a UNIX
		 * stream socket a reader blocked in read() is also woken each time
		 * the peer consumes what we sent (the write-space wakeup carries
		 * POLLOUT, which read's wait does not filter out); poll's does.
		 * That spurious wake-up cost vprocd's host-level round trip ~10%.
		 */
		r = poll(&pf, 1, c->timeout_ms);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			return -ETIMEDOUT;
		/*
		 * Small reads go through rbuf, so that a header and the payload
		 * behind it take one read; large ones go straight to buf.
		 */
		if (len >= sizeof(c->rbuf))
			n = read(c->fd, p, len);
		else
			n = read(c->fd, c->rbuf, sizeof(c->rbuf));
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -ECONNRESET;
		if (len >= sizeof(c->rbuf)) {
			p += n;
			len -= (size_t)n;
		} else {
			c->rlen = (size_t)n;
			c->roff = 0;
		}
	}
	return 0;
}

/* Header and payload in as few writes as possible: one wakeup for vprocd. */
static int writev_all(int fd, struct iovec *iov, int n)
{
	while (n) {
		ssize_t k = writev(fd, iov, n);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return k < 0 ? -errno : -EIO;
		while (n && (size_t)k >= iov->iov_len) {
			k -= (ssize_t)iov->iov_len;
			iov++;
			n--;
		}
		if (n) {
			iov->iov_base = (uint8_t *)iov->iov_base + k;
			iov->iov_len -= (size_t)k;
		}
	}
	return 0;
}

int vmmcall_send_raw(struct vmmcall *c, const void *buf, size_t len)
{
	return fdio_write_full(c->fd, buf, len);
}

int vmmcall_recv(struct vmmcall *c, struct vmmcall_reply *r)
{
	uint8_t hb[VMM_HDR_SIZE];
	int ret;

	memset(r, 0, sizeof(*r));
	ret = read_all(c, hb, sizeof(hb));
	if (ret)
		return ret;
	ret = vmm_hdr_decode(hb, &r->h);
	if (ret)
		return -EPROTO; /* the host never sends this: the stream is broken */
	if (r->h.len > VMM_MAX_MSG + VMM_MAX_ERRTEXT)
		return -EPROTO;
	r->data = malloc(r->h.len + 1);
	if (!r->data)
		return -ENOMEM;
	ret = read_all(c, r->data, r->h.len);
	if (ret) {
		free(r->data);
		r->data = NULL;
		return ret;
	}
	r->data[r->h.len] = 0;
	r->len = r->h.len;
	return 0;
}

/* One request made of up to three payload pieces; waits for its reply. */
static int request_iov(struct vmmcall *c, uint16_t type, int32_t desc, uint32_t code,
		       const struct iovec *parts, int nparts, struct vmmcall_reply *r)
{
	uint8_t hb[VMM_HDR_SIZE];
	struct vmm_hdr h = {.type = type, .desc = desc, .code = code};
	struct iovec iov[4] = {{hb, sizeof(hb)}};
	size_t total = 0;
	int ret;

	for (int i = 0; i < nparts; i++) {
		iov[i + 1] = parts[i];
		total += parts[i].iov_len;
	}
	if (total > VMM_MAX_PAYLOAD)
		return -EMSGSIZE;
	h.req_id = c->next_id++;
	c->got_reply = 0;
	h.len = (uint32_t)total;
	vmm_hdr_encode(&h, hb);
	c->errtext[0] = 0;
	ret = writev_all(c->fd, iov, nparts + 1);
	if (ret)
		return ret;
	for (;;) {
		ret = vmmcall_recv(c, r);
		if (ret)
			return ret;
		if (r->h.type == (type | VMM_T_RESPONSE) && r->h.req_id == h.req_id)
			break;
		/* left behind by an earlier client of the port: not ours */
		free(r->data);
	}
	c->got_reply = 1;
	if (r->h.status < 0) {
		size_t n = r->len < VMM_MAX_ERRTEXT ? r->len : VMM_MAX_ERRTEXT;

		memcpy(c->errtext, r->data, n);
		c->errtext[n] = 0;
	}
	return 0;
}

int vmmcall_request(struct vmmcall *c, uint16_t type, int32_t desc, uint32_t code, const void *p1,
		    size_t l1, const void *p2, size_t l2, struct vmmcall_reply *r)
{
	struct iovec parts[2] = {{(void *)p1, l1}, {(void *)p2, l2}};

	return request_iov(c, type, desc, code, parts, 2, r);
}

int vmmcall_newprocess_on(struct vmmcall *c, const void *image, size_t size, const void *sig,
			  size_t sig_size)
{
	struct vmmcall_reply r;
	uint8_t pre[VMM_NEWPROC_PREFIX];
	struct iovec parts[3];
	int ret;

	if (size > VMM_MAX_IMAGE || sig_size > VMM_MAX_SIG)
		return size > VMM_MAX_IMAGE ? -VMM_E_IMG_TOOBIG : -VMM_E_SIG_TOOBIG;
	vmm_put32(pre, (uint32_t)size);
	vmm_put32(pre + 4, (uint32_t)sig_size);
	parts[0] = (struct iovec){pre, sizeof(pre)};
	parts[1] = (struct iovec){(void *)image, size};
	parts[2] = (struct iovec){(void *)sig, sig_size};
	ret = request_iov(c, VMM_T_NEWPROCESS, -1, 0, parts, 3, &r);
	if (ret)
		return ret;
	ret = r.h.status < 0 ? r.h.status : r.h.desc;
	if (ret >= 0 && r.h.desc < 0)
		ret = -EPROTO;
	if (ret >= 0 && r.len) {
		/* a success may carry a warning (weak isolation): kept like an error text */
		size_t n = r.len < VMM_MAX_ERRTEXT ? r.len : VMM_MAX_ERRTEXT;

		memcpy(c->errtext, r.data, n);
		c->errtext[n] = 0;
	}
	free(r.data);
	return ret;
}

int vmmcall_msg_on(struct vmmcall *c, int desc, uint32_t code, const void *in, size_t in_len,
		   void *out, size_t out_cap, size_t *out_len)
{
	struct vmmcall_reply r;
	int ret;

	if (in_len > VMM_MAX_MSG)
		return -VMM_E_MSG_TOOBIG;
	ret = vmmcall_request(c, VMM_T_MSG, desc, code, in, in_len, NULL, 0, &r);
	if (ret)
		return ret;
	ret = r.h.status;
	if (out_len)
		*out_len = 0;
	if (ret >= 0 || (ret > -VMM_E_BASE && r.len)) {
		/* a process's own error status may come with data too */
		size_t n = r.len < out_cap ? r.len : out_cap;

		if (n && out)
			memcpy(out, r.data, n);
		if (out_len)
			*out_len = n;
	}
	free(r.data);
	return ret;
}

int vmmcall_close_process_on(struct vmmcall *c, int desc)
{
	struct vmmcall_reply r;
	int ret = vmmcall_request(c, VMM_T_CLOSE, desc, 0, NULL, 0, NULL, 0, &r);

	if (ret)
		return ret;
	ret = r.h.status;
	free(r.data);
	return ret;
}

int vmmcall_list_on(struct vmmcall *c, char **text)
{
	struct vmmcall_reply r;
	int ret = vmmcall_request(c, VMM_T_LIST, -1, 0, NULL, 0, NULL, 0, &r);

	if (ret)
		return ret;
	if (r.h.status < 0) {
		free(r.data);
		return r.h.status;
	}
	*text = (char *)r.data;
	return 0;
}

int vmmcall_newprocess(const void *image, size_t size, const void *sig, size_t sig_size)
{
	struct vmmcall c;
	int ret = vmmcall_open(&c, NULL);

	if (ret)
		return ret;
	ret = vmmcall_newprocess_on(&c, image, size, sig, sig_size);
	vmmcall_close_channel(&c);
	return ret;
}

int vmmcall_msg(int desc, uint32_t code, const void *in, size_t in_len, void *out, size_t out_cap,
		size_t *out_len)
{
	struct vmmcall c;
	int ret = vmmcall_open(&c, NULL);

	if (ret)
		return ret;
	ret = vmmcall_msg_on(&c, desc, code, in, in_len, out, out_cap, out_len);
	vmmcall_close_channel(&c);
	return ret;
}

int vmmcall_close_process(int desc)
{
	struct vmmcall c;
	int ret = vmmcall_open(&c, NULL);

	if (ret)
		return ret;
	ret = vmmcall_close_process_on(&c, desc);
	vmmcall_close_channel(&c);
	return ret;
}
