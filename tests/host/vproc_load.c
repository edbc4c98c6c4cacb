// SPDX-License-Identifier: MIT
/*
 * One real load through vprocd's connection code: a signed samples/hello
 * goes in as a NEWPROCESS frame, runs in the sandbox, answers a MSG and is
 * closed. From /proc we check that what runs is the sealed memfd (all four
 * seals) holding exactly the verified bytes. Then loads with the image split
 * anywhere, and with one byte changed at piece edges and inside pieces.
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

/* A server with one trusted Ed25519 key, and samples/hello signed with it. */
struct fixture {
	struct vpd_server srv;
	uint8_t *img, sigb[VMM_MAX_SIG], pre[8];
	size_t ilen, slen;
};

static int fixture_setup(void **state)
{
	const char *bd = getenv("VCRYPTO_BUILD");
	struct fixture *f = calloc(1, sizeof(*f));
	char path[4096];
	struct vsig s;
	EVP_PKEY *k;

	assert_non_null(f);
	snprintf(path, sizeof(path), "%s/samples/hello", bd ? bd : "build");
	f->img = read_file(path, &f->ilen);
	assert_non_null(f->img);
	f->srv.cfg = (struct vpd_config){.max_image = 4 << 20,
					 .max_procs = 2,
					 .max_inflight = 2,
					 .msg_timeout_ms = 5000,
					 .frame_timeout_ms = 5000,
					 .mem_limit = 256 << 20,
					 .cpu_limit_s = 5};
	vpd_verbosity = 0;
	k = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	assert_non_null(k);
	f->srv.policy.keys[0] = k;
	assert_int_equal(vsig_keyid(k, f->srv.policy.keyids[0]), 0);
	f->srv.policy.nkeys = 1;
	assert_int_equal(vpd_sandbox_init(&f->srv.sb, &f->srv.cfg), 0);

	memset(&s, 0, sizeof(s));
	strcpy(s.hdr.name, "hello");
	s.hdr.version = 1;
	s.hdr.image_len = f->ilen;
	vsig_sha256(f->img, f->ilen, s.hdr.sha256);
	vsig_header_encode(&s.hdr, s.hdr_raw);
	assert_int_equal(vsig_sign(k, &s), 0);
	f->slen = (size_t)vsig_encode(&s, f->sigb, sizeof(f->sigb));
	vmm_put32(f->pre, (uint32_t)f->ilen);
	vmm_put32(f->pre + 4, (uint32_t)f->slen);
	*state = f;
	return 0;
}

static int fixture_teardown(void **state)
{
	struct fixture *f = *state;

	vpd_sandbox_free(&f->srv.sb);
	vpd_policy_free(&f->srv.policy);
	free(f->img);
	free(f);
	return 0;
}

/* CLOSE of desc: the process is killed and reaped. */
static void close_proc(struct vpd_conn *c, int desc, uint32_t id)
{
	struct vpd_proc *p = vpd_proc_find(c, desc);
	struct vmm_hdr h;

	assert_non_null(p);
	feed_frame(c, VMM_T_CLOSE, id, desc, NULL, 0, NULL, 0, NULL, 0);
	h = vpd_pop(c, NULL, 0);
	assert_int_equal(h.status, 0);
	{
		struct pollfd pf = {p->pidfd, POLLIN, 0};

		assert_int_equal(poll(&pf, 1, 5000), 1);
	}
	vpd_proc_on_exit(c, p);
}

static void load_run_close(void **state)
{
	struct fixture *f = *state;
	char path[4096], text[512], link[256];
	uint8_t *seen;
	struct vpd_conn *c;
	struct vpd_proc *p;
	struct vmm_hdr h;
	int fd, seals, i;

	c = vpd_conn_new(&f->srv, -1);
	feed_frame(c, VMM_T_NEWPROCESS, 1, -1, f->pre, 8, f->img, f->ilen, f->sigb, f->slen);
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
		assert_int_equal(st.st_size, (off_t)f->ilen);
		seen = malloc(f->ilen);
		assert_int_equal(pread(fd, seen, f->ilen, 0), (ssize_t)f->ilen);
		assert_memory_equal(seen, f->img, f->ilen); /* exactly the verified bytes */
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

	close_proc(c, 0, 3);
	assert_int_equal(c->nlive, 0);
	assert_null(c->procs);
	assert_null(c->out_head);

	vpd_conn_free(c);
}

/*
 * NEWPROCESS with the image fed in pieces of sizes that split it anywhere
 * (the image's hash is taken piece by piece as each is stored), and with the
 * header, prefix and first image bytes in one piece; image: the bytes sent.
 * Returns the reply's status; a loaded process is closed again.
 */
static int load_in_pieces(struct fixture *f, struct vpd_conn *c, const uint8_t *image,
			  uint32_t id)
{
	static const size_t sizes[] = {1, 7, 4093, 65536, 3, 65537, 2};
	struct vmm_hdr h = {.type = VMM_T_NEWPROCESS,
			    .req_id = id,
			    .desc = -1,
			    .len = (uint32_t)(8 + f->ilen + f->slen)};
	uint8_t first[VMM_HDR_SIZE + 8 + 5];
	char text[512];
	size_t off = 5, i = 0;
	struct vmm_hdr r;

	vmm_hdr_encode(&h, first);
	memcpy(first + VMM_HDR_SIZE, f->pre, 8);
	memcpy(first + VMM_HDR_SIZE + 8, image, 5);
	vpd_conn_feed(c, first, sizeof(first));
	while (off < f->ilen) {
		size_t k = sizes[i++ % (sizeof(sizes) / sizeof(sizes[0]))];

		k = k < f->ilen - off ? k : f->ilen - off;
		vpd_conn_feed(c, image + off, k);
		off += k;
	}
	vpd_conn_feed(c, f->sigb, f->slen);
	r = vpd_pop(c, text, sizeof(text));
	assert_int_equal(r.req_id, id);
	if (r.status) {
		print_message("# load %u: %d %s\n", id, r.status, text);
		return r.status;
	}
	close_proc(c, r.desc, id + 1000);
	return 0;
}

static void load_pieces_and_tampering(void **state)
{
	struct fixture *f = *state;
	struct vpd_conn *c = vpd_conn_new(&f->srv, -1);
	uint8_t *bad = malloc(f->ilen);
	size_t at[] = {0, 1, 4095, 4096, f->ilen / 2, f->ilen - 1};

	assert_non_null(c);
	assert_non_null(bad);
	assert_true(f->ilen > 4 * 65536); /* the piece sizes above cross it several times */
	assert_int_equal(load_in_pieces(f, c, f->img, 1), 0);
	/* one byte changed anywhere, at a piece's edge or inside one: refused */
	for (size_t i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
		memcpy(bad, f->img, f->ilen);
		bad[at[i]] ^= 0x20;
		assert_int_equal(load_in_pieces(f, c, bad, (uint32_t)(10 + i)), -VMM_E_IMG_HASH);
		/* and the next good image on the same connection loads (the hash starts over) */
		assert_int_equal(load_in_pieces(f, c, f->img, (uint32_t)(20 + i)), 0);
	}
	assert_int_equal(c->nlive, 0);
	assert_null(c->out_head);
	free(bad);
	vpd_conn_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(load_run_close, fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(load_pieces_and_tampering, fixture_setup,
						fixture_teardown),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests_name("vprocd: a real load from a sealed memfd", tests, NULL,
					   NULL);
}
