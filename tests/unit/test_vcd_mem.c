// SPDX-License-Identifier: MIT
/* vcryptod guest-memory translation: edges, overflow, hostile tables. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <cmocka.h>

#include "guest_mem.h"

static uint8_t ram[2][8192];

static void setup2(struct vcd_mem *m)
{
	memset(m, 0, sizeof(*m));
	assert_int_equal(vcd_mem_add(m, 0x1000, sizeof(ram[0]), 0x7f0000, ram[0]), 0);
	/* adjacent in guest-physical space, elsewhere in the frontend */
	assert_int_equal(vcd_mem_add(m, 0x1000 + sizeof(ram[0]), sizeof(ram[1]), 0x900000, ram[1]),
			 0);
}

static void gpa_inside_and_edges(void **state)
{
	struct vcd_mem m;

	setup2(&m);
	assert_ptr_equal(vcd_mem_gpa(&m, 0x1000, 1), ram[0]);
	assert_ptr_equal(vcd_mem_gpa(&m, 0x1000, 8192), ram[0]);
	assert_ptr_equal(vcd_mem_gpa(&m, 0x1000 + 8191, 1), ram[0] + 8191);
	assert_ptr_equal(vcd_mem_gpa(&m, 0x3000, 8192), ram[1]);
	assert_null(vcd_mem_gpa(&m, 0xfff, 1)); /* below */
	assert_null(vcd_mem_gpa(&m, 0x1000, 0)); /* empty */
	assert_null(vcd_mem_gpa(&m, 0x5000, 1)); /* just past the end */
	assert_null(vcd_mem_gpa(&m, 0x1000 + 8000, 8192)); /* crosses regions */
	assert_null(vcd_mem_gpa(&m, 0x4fff, 2)); /* runs off the end */
}

static void gpa_overflow(void **state)
{
	struct vcd_mem m;
	uint64_t avail = 0;

	setup2(&m);
	assert_null(vcd_mem_gpa(&m, UINT64_MAX, 2));
	assert_null(vcd_mem_gpa(&m, 0x1000, UINT64_MAX));
	assert_null(vcd_mem_gpa(&m, 0x2000, UINT64_MAX - 0x1000 + 2));
	assert_null(vcd_mem_uva(&m, UINT64_MAX - 1, 4));
	/* span clips at the region end instead of wrapping */
	assert_ptr_equal(vcd_mem_gpa_span(&m, 0x2ff0, UINT64_MAX, &avail), ram[0] + 0x1ff0);
	assert_int_equal(avail, 0x10);
}

static void span_across_regions(void **state)
{
	struct vcd_mem m;
	uint64_t avail = 0;

	setup2(&m);
	assert_ptr_equal(vcd_mem_gpa_span(&m, 0x2f00, 0x200, &avail), ram[0] + 0x1f00);
	assert_int_equal(avail, 0x100);
	assert_ptr_equal(vcd_mem_gpa_span(&m, 0x3000, 0x100, &avail), ram[1]);
	assert_int_equal(avail, 0x100);
	assert_null(vcd_mem_gpa_span(&m, 0x100, 4, &avail));
}

static void uva_translation(void **state)
{
	struct vcd_mem m;

	setup2(&m);
	assert_ptr_equal(vcd_mem_uva(&m, 0x7f0010, 16), ram[0] + 16);
	assert_ptr_equal(vcd_mem_uva(&m, 0x900000 + 8191, 1), ram[1] + 8191);
	assert_null(vcd_mem_uva(&m, 0x7f0000 + 8190, 4));
	assert_null(vcd_mem_uva(&m, 0x1000, 4)); /* a GPA is not a UVA */
}

static void add_rejects_bad_regions(void **state)
{
	struct vcd_mem m;
	static uint8_t b[16];

	setup2(&m);
	assert_int_equal(vcd_mem_add(&m, 0x2000, 16, 0, b), -EINVAL); /* overlap */
	assert_int_equal(vcd_mem_add(&m, 0x100000, 0, 0, b), -EINVAL); /* empty */
	assert_int_equal(vcd_mem_add(&m, UINT64_MAX - 4, 16, 0, b), -EINVAL);
	assert_int_equal(vcd_mem_add(&m, 0x100000, 16, UINT64_MAX - 4, b), -EINVAL);
	for (int i = 2; i < VCD_VU_MAX_MEM_REGIONS; i++)
		assert_int_equal(vcd_mem_add(&m, 0x100000 * (i + 1), 16, 0, b), 0);
	assert_int_equal(vcd_mem_add(&m, 0x10000000, 16, 0, b), -EINVAL); /* 9th */
}

static int fd_open(int fd)
{
	return fcntl(fd, F_GETFD) != -1;
}

static void map_real_memfd(void **state)
{
	struct vcd_vu_mem_table t = {.nregions = 2};
	struct vcd_mem m = {0};
	int fds[2];
	uint8_t *p;
	int mfd = memfd_create("vcd-test", MFD_CLOEXEC);

	assert_true(mfd >= 0);
	assert_int_equal(ftruncate(mfd, 1 << 20), 0);
	p = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
	assert_true(p != MAP_FAILED);
	memset(p, 0xab, 1 << 20);
	p[0x80123] = 0x5a;
	/* like QEMU's RAM below 640K and above 768K: one memfd, two offsets */
	t.regions[0] = (struct vcd_vu_mem_region){0, 0xa0000, 0x10000000, 0};
	t.regions[1] = (struct vcd_vu_mem_region){0xc0000, 0x40000, 0x100c0000, 0xc0000};
	fds[0] = mfd;
	fds[1] = dup(mfd);
	assert_int_equal(vcd_mem_map(&m, &t, sizeof(t), fds, 2), 0);
	assert_int_equal(fds[0], -1);
	assert_int_equal(fds[1], -1);
	assert_int_equal(*(uint8_t *)vcd_mem_gpa(&m, 0x80123, 1), 0x5a);
	assert_int_equal(*(uint8_t *)vcd_mem_uva(&m, 0x10080123, 1), 0x5a);
	((uint8_t *)vcd_mem_gpa(&m, 0xc0001, 1))[0] = 0x77;
	assert_int_equal(p[0xc0001], 0x77);
	assert_null(vcd_mem_gpa(&m, 0xa0000, 1)); /* the hole */
	vcd_mem_unmap(&m);
	assert_int_equal(m.nregions, 0);
	vcd_mem_unmap(&m); /* twice is fine */
	munmap(p, 1 << 20);
}

static void map_hostile_tables(void **state)
{
	struct vcd_vu_mem_table t;
	struct vcd_mem m = {0};
	int fds[VCD_VU_MAX_MEM_REGIONS], keep[VCD_VU_MAX_MEM_REGIONS];
	struct {
		uint32_t n;
		size_t len;
		unsigned int nfds;
		uint64_t size, off;
	} bad[] = {
		{0, sizeof(t), 0, 4096, 0}, /* no regions */
		{9, sizeof(t), 8, 4096, 0}, /* too many */
		{2, 8 + 32, 2, 4096, 0}, /* payload shorter than nregions */
		{2, 4, 2, 4096, 0}, /* shorter than the header */
		{2, sizeof(t), 1, 4096, 0}, /* fd missing */
		{1, sizeof(t), 2, 4096, 0}, /* fd extra */
		{1, sizeof(t), 1, 0, 0}, /* empty region */
		{1, sizeof(t), 1, 4096, UINT64_MAX - 100}, /* size+offset wraps */
		{1, sizeof(t), 1, UINT64_MAX / 2, 0}, /* absurd size */
		{1, sizeof(t), 1, 8192 + 4096, 0}, /* file smaller than the region */
		{1, sizeof(t), 1, 4096, 8192}, /* offset past the file's end */
	};

	for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
		memset(&t, 0, sizeof(t));
		t.nregions = bad[k].n;
		for (unsigned int i = 0; i < VCD_VU_MAX_MEM_REGIONS; i++)
			t.regions[i] = (struct vcd_vu_mem_region){0x100000ull * i, bad[k].size,
								  0x100000ull * i, bad[k].off};
		for (unsigned int i = 0; i < bad[k].nfds; i++) {
			fds[i] = memfd_create("vcd-test", MFD_CLOEXEC);
			assert_int_equal(ftruncate(fds[i], 8192), 0);
			keep[i] = fds[i];
		}
		assert_int_equal(vcd_mem_map(&m, &t, bad[k].len, fds, bad[k].nfds), -EINVAL);
		assert_int_equal(m.nregions, 0);
		/* every received fd closed on the error path */
		for (unsigned int i = 0; i < bad[k].nfds; i++)
			assert_false(fd_open(keep[i]));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(gpa_inside_and_edges),	   cmocka_unit_test(gpa_overflow),
		cmocka_unit_test(span_across_regions),	   cmocka_unit_test(uva_translation),
		cmocka_unit_test(add_rejects_bad_regions), cmocka_unit_test(map_real_memfd),
		cmocka_unit_test(map_hostile_tables),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests_name("vcryptod guest memory", tests, NULL, NULL);
}
