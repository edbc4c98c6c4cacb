// SPDX-License-Identifier: MIT
/*
 * One real load through vprocd's connection code: a signed samples/hello
 * goes in as a NEWPROCESS frame, runs in the sandbox, answers a MSG and is
 * closed. From /proc we check that what runs is the sealed memfd (all four
 * seals) holding exactly the verified bytes.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "vprocd.h"
#include "vpd_frames.h"

static uint8_t *read_file(const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	uint8_t *b;

	if (fd < 0 || fstat(fd, &st) < 0)
		return NULL;
	b = malloc((size_t)st.st_size);
	if (b && read(fd, b, (size_t)st.st_size) != st.st_size) {
		free(b);
		b = NULL;
	}
	close(fd);
	*len = (size_t)st.st_size;
	return b;
}

static void feed_frame(struct vpd_conn *c, uint16_t type, uint32_t id, int32_t desc, const void *p1,
		       size_t l1, const void *p2, size_t l2, const void *p3, size_t l3)
{
	struct vmm_hdr h = {
		.type = type, .req_id = id, .desc = desc, .len = (uint32_t)(l1 + l2 + l3)};
	uint8_t b[VMM_HDR_SIZE];

	vmm_hdr_encode(&h, b);
	vpd_conn_feed(c, b, sizeof(b));
	if (l1)
		vpd_conn_feed(c, p1, l1);
	if (l2)
		vpd_conn_feed(c, p2, l2);
	if (l3)
		vpd_conn_feed(c, p3, l3);
}

static void load_run_close(void **state)
{
	const char *bd = getenv("VCRYPTO_BUILD");
	static struct vpd_server srv;
	char path[4096], text[512], link[256];
	uint8_t *img, sigb[VMM_MAX_SIG], pre[8], *seen;
	size_t ilen, slen;
	struct vpd_conn *c;
	struct vpd_proc *p;
	struct vmm_hdr h;
	struct vsig s;
	EVP_PKEY *k;
	int fd, seals, i;

	snprintf(path, sizeof(path), "%s/samples/hello", bd ? bd : "build");
	img = read_file(path, &ilen);
	if (!img) {
		skip();
		return;
	}
	memset(&srv, 0, sizeof(srv));
	srv.cfg = (struct vpd_config){.max_image = 4 << 20,
				      .max_procs = 2,
				      .max_inflight = 2,
				      .msg_timeout_ms = 5000,
				      .frame_timeout_ms = 5000,
				      .mem_limit = 256 << 20,
				      .cpu_limit_s = 5};
	vpd_verbosity = 0;
	k = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	srv.policy.keys[0] = k;
	assert_int_equal(vsig_keyid(k, srv.policy.keyids[0]), 0);
	srv.policy.nkeys = 1;
	assert_int_equal(vpd_sandbox_init(&srv.sb, &srv.cfg), 0);

	memset(&s, 0, sizeof(s));
	strcpy(s.hdr.name, "hello");
	s.hdr.version = 1;
	s.hdr.image_len = ilen;
	vsig_sha256(img, ilen, s.hdr.sha256);
	vsig_header_encode(&s.hdr, s.hdr_raw);
	assert_int_equal(vsig_sign(k, &s), 0);
	slen = (size_t)vsig_encode(&s, sigb, sizeof(sigb));
	vmm_put32(pre, (uint32_t)ilen);
	vmm_put32(pre + 4, (uint32_t)slen);

	c = vpd_conn_new(&srv, -1);
	feed_frame(c, VMM_T_NEWPROCESS, 1, -1, pre, 8, img, ilen, sigb, slen);
	h = vpd_pop(c, text, sizeof(text));
	if (h.status)
		fail_msg("NEWPROCESS: %d %s", h.status, text);
	assert_int_equal(h.desc, 0);
	p = vpd_proc_find(c, 0);
	assert_non_null(p);

	/* wait for the exec, then look at what runs */
	snprintf(path, sizeof(path), "/proc/%d/exe", (int)p->pid);
	for (i = 0; i < 500; i++) {
		ssize_t n = readlink(path, link, sizeof(link) - 1);

		if (n > 0) {
			link[n] = 0;
			if (!strncmp(link, "/memfd:vprocd-image", 19))
				break;
		}
		usleep(10000);
	}
	assert_true(i < 500);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && geteuid() != 0) {
		print_message("# cannot open %s as non-root: seal check skipped\n", path);
	} else {
		struct stat st;

		assert_true(fd >= 0);
		seals = fcntl(fd, F_GET_SEALS);
		assert_int_equal(seals, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE);
		assert_int_equal(fstat(fd, &st), 0);
		assert_int_equal(st.st_size, (off_t)ilen);
		seen = malloc(ilen);
		assert_int_equal(pread(fd, seen, ilen, 0), (ssize_t)ilen);
		assert_memory_equal(seen, img, ilen); /* exactly the verified bytes */
		free(seen);
		/* and nobody can change them any more, not even the owner */
		assert_int_equal(fcntl(fd, F_ADD_SEALS, 0), -1);
		assert_int_equal(errno, EPERM);
		close(fd);
	}

	/* a message and its reply */
	feed_frame(c, VMM_T_MSG, 2, 0, "hi", 2, NULL, 0, NULL, 0);
	{
		struct pollfd pf = {p->chan, POLLIN, 0};

		assert_int_equal(poll(&pf, 1, 5000), 1);
	}
	vpd_proc_on_chan(c, p);
	h = vpd_pop(c, text, sizeof(text));
	assert_int_equal(h.req_id, 2);
	assert_int_equal(h.status, 0);
	assert_string_equal(text, "Hello, World!");

	/* close: the process is killed and reaped */
	feed_frame(c, VMM_T_CLOSE, 3, 0, NULL, 0, NULL, 0, NULL, 0);
	h = vpd_pop(c, NULL, 0);
	assert_int_equal(h.status, 0);
	assert_int_equal(c->nlive, 0);
	{
		struct pollfd pf = {p->pidfd, POLLIN, 0};

		assert_int_equal(poll(&pf, 1, 5000), 1);
	}
	vpd_proc_on_exit(c, p);
	assert_null(c->procs);
	assert_null(c->out_head);

	vpd_conn_free(c);
	vpd_sandbox_free(&srv.sb);
	vpd_policy_free(&srv.policy);
	free(img);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(load_run_close),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests_name("vprocd: a real load from a sealed memfd", tests, NULL,
					   NULL);
}
