// SPDX-License-Identifier: MIT
/* vprocd ELF checks: a minimal good executable, then one defect at a time. */
#include <elf.h>
#include <fcntl.h>
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

#define IMG_SIZE 4096

struct img {
	uint8_t b[IMG_SIZE];
	Elf64_Ehdr *eh;
	Elf64_Phdr *ph; /* 3 program headers: LOAD r-x, LOAD rw-, GNU_STACK rw- */
};

static void make(struct img *m)
{
	memset(m, 0, sizeof(*m));
	m->eh = (Elf64_Ehdr *)m->b;
	m->ph = (Elf64_Phdr *)(m->b + sizeof(Elf64_Ehdr));
	memcpy(m->eh->e_ident, ELFMAG, SELFMAG);
	m->eh->e_ident[EI_CLASS] = ELFCLASS64;
	m->eh->e_ident[EI_DATA] = ELFDATA2LSB;
	m->eh->e_ident[EI_VERSION] = EV_CURRENT;
	m->eh->e_type = ET_EXEC;
	m->eh->e_machine = EM_X86_64;
	m->eh->e_version = EV_CURRENT;
	m->eh->e_entry = 0x401000;
	m->eh->e_phoff = sizeof(Elf64_Ehdr);
	m->eh->e_ehsize = sizeof(Elf64_Ehdr);
	m->eh->e_phentsize = sizeof(Elf64_Phdr);
	m->eh->e_phnum = 3;
	m->ph[0] = (Elf64_Phdr){.p_type = PT_LOAD,
				.p_flags = PF_R | PF_X,
				.p_offset = 0,
				.p_vaddr = 0x401000,
				.p_filesz = 2048,
				.p_memsz = 2048,
				.p_align = 4096};
	m->ph[1] = (Elf64_Phdr){.p_type = PT_LOAD,
				.p_flags = PF_R | PF_W,
				.p_offset = 2048,
				.p_vaddr = 0x402800,
				.p_filesz = 2048,
				.p_memsz = 8192,
				.p_align = 4096};
	m->ph[2] = (Elf64_Phdr){.p_type = PT_GNU_STACK, .p_flags = PF_R | PF_W};
}

static int check(struct img *m, size_t len)
{
	char why[256] = "";
	int ret = vpd_elf_check(m->b, len, why, sizeof(why));

	if (ret)
		assert_true(why[0] != 0); /* every refusal explains itself */
	return ret;
}

static void good(void **state)
{
	struct img m;

	make(&m);
	assert_int_equal(check(&m, IMG_SIZE), 0);
	m.eh->e_type = ET_DYN; /* static-pie without PT_DYNAMIC/PT_INTERP is fine too */
	assert_int_equal(check(&m, IMG_SIZE), 0);
}

static void not_elf(void **state)
{
	struct img m;

	make(&m);
	m.b[1] = 'X';
	assert_int_equal(check(&m, IMG_SIZE), -VMM_E_ELF_NOTELF);
	make(&m);
	assert_int_equal(check(&m, 3), -VMM_E_ELF_NOTELF);
	assert_int_equal(check(&m, 0), -VMM_E_ELF_NOTELF);
	/* magic and class but cut before the end of the header */
	assert_int_equal(check(&m, 40), -VMM_E_ELF_BAD);
}

static void wrong_arch(void **state)
{
	struct img m;

	make(&m);
	m.eh->e_ident[EI_CLASS] = ELFCLASS32;
	assert_int_equal(check(&m, IMG_SIZE), -VMM_E_ELF_ARCH);
	make(&m);
	m.eh->e_ident[EI_DATA] = ELFDATA2MSB;
	assert_int_equal(check(&m, IMG_SIZE), -VMM_E_ELF_ARCH);
	make(&m);
	m.eh->e_machine = EM_AARCH64;
	assert_int_equal(check(&m, IMG_SIZE), -VMM_E_ELF_ARCH);
	make(&m);
	m.eh->e_machine = EM_386;
	assert_int_equal(check(&m, IMG_SIZE), -VMM_E_ELF_ARCH);
}

static void dynamic(void **state)
{
	struct img m;

	make(&m);
	m.ph[2] = (Elf64_Phdr){.p_type = PT_INTERP, .p_offset = 100, .p_filesz = 28};
	assert_int_equal(check(&m, IMG_SIZE), -VMM_E_ELF_DYNAMIC);
	make(&m);
	m.ph[2] = (Elf64_Phdr){.p_type = PT_DYNAMIC, .p_offset = 100, .p_filesz = 16};
	assert_int_equal(check(&m, IMG_SIZE), -VMM_E_ELF_DYNAMIC);
}

static void headers_outside(void **state)
{
	struct img m;

	make(&m);
	m.eh->e_phoff = IMG_SIZE - 100;
	assert_int_equal(check(&m, IMG_SIZE), -VMM_E_ELF_BAD);
	make(&m);
	m.eh->e_phoff = UINT64_MAX - 8; /* wraps if added naively */
	assert_int_equal(check(&m, IMG_SIZE), -VMM_E_ELF_BAD);
	make(&m);
	m.eh->e_phnum = 0;
	assert_int_equal(check(&m, IMG_SIZE), -VMM_E_ELF_BAD);
	make(&m);
	m.eh->e_phnum = 65;
	assert_int_equal(check(&m, IMG_SIZE), -VMM_E_ELF_BAD);
	make(&m);
	m.eh->e_phentsize = 32;
	assert_int_equal(check(&m, IMG_SIZE), -VMM_E_ELF_BAD);
	make(&m);
	m.eh->e_shnum = 10;
	m.eh->e_shentsize = sizeof(Elf64_Shdr);
	m.eh->e_shoff = IMG_SIZE - 64;
	assert_int_equal(check(&m, IMG_SIZE), -VMM_E_ELF_BAD);
}

static void segments(void **state)
{
	struct img m;

	make(&m);
	m.ph[1].p_filesz = 4096; /* 2048 + 4096 > file */
	assert_int_equal(check(&m, IMG_SIZE), -VMM_E_ELF_BAD);
	make(&m);
	m.ph[1].p_offset = UINT64_MAX - 10; /* offset + size wraps */
	m.ph[1].p_filesz = 100;
	assert_int_equal(check(&m, IMG_SIZE), -VMM_E_ELF_BAD);
	make(&m);
	m.ph[1].p_memsz = 100; /* filesz > memsz */
	assert_int_equal(check(&m, IMG_SIZE), -VMM_E_ELF_BAD);
	make(&m);
	m.ph[1].p_vaddr = 0xffff800000000000ull; /* kernel half */
	assert_int_equal(check(&m, IMG_SIZE), -VMM_E_ELF_BAD);
	make(&m);
	m.ph[1].p_flags = PF_R | PF_W | PF_X;
	assert_int_equal(check(&m, IMG_SIZE), -VMM_E_ELF_BAD);
	make(&m);
	m.ph[2].p_flags = PF_R | PF_W | PF_X; /* executable stack */
	assert_int_equal(check(&m, IMG_SIZE), -VMM_E_ELF_BAD);
	make(&m);
	m.ph[0].p_type = PT_NOTE;
	m.ph[1].p_type = PT_NOTE;
	m.ph[1].p_offset = 0;
	assert_int_equal(check(&m, IMG_SIZE), -VMM_E_ELF_BAD); /* no PT_LOAD */
}

static void entry(void **state)
{
	struct img m;

	make(&m);
	m.eh->e_entry = 0x402800; /* in the writable, not executable, segment */
	assert_int_equal(check(&m, IMG_SIZE), -VMM_E_ELF_BAD);
	make(&m);
	m.eh->e_entry = 0x401000 + 2048; /* one past the end */
	assert_int_equal(check(&m, IMG_SIZE), -VMM_E_ELF_BAD);
	make(&m);
	m.eh->e_type = ET_REL;
	assert_int_equal(check(&m, IMG_SIZE), -VMM_E_ELF_BAD);
}

/*
 * The stack: PT_GNU_STACK must be there and say non-executable (without it
 * older kernels and personalities fall back to READ_IMPLIES_EXEC).
 */
static void gnu_stack(void **state)
{
	struct img m;
	char why[256] = "";

	make(&m);
	m.eh->e_phnum = 2; /* no PT_GNU_STACK at all */
	assert_int_equal(vpd_elf_check(m.b, IMG_SIZE, why, sizeof(why)), -VMM_E_ELF_BAD);
	assert_non_null(strstr(why, "PT_GNU_STACK"));
	make(&m);
	m.ph[2] = (Elf64_Phdr){.p_type = PT_NOTE, .p_offset = 100, .p_filesz = 16};
	assert_int_equal(check(&m, IMG_SIZE), -VMM_E_ELF_BAD);
	make(&m);
	m.ph[2].p_flags = PF_X; /* executable stack, whatever else it says */
	assert_int_equal(check(&m, IMG_SIZE), -VMM_E_ELF_BAD);
	make(&m);
	m.eh->e_phnum = 4; /* a second one that asks for an executable stack */
	m.ph[3] = (Elf64_Phdr){.p_type = PT_GNU_STACK, .p_flags = PF_R | PF_W | PF_X};
	assert_int_equal(check(&m, IMG_SIZE), -VMM_E_ELF_BAD);
	make(&m);
	m.eh->e_phnum = 4; /* two that agree on a non-executable stack: fine */
	m.ph[3] = m.ph[2];
	assert_int_equal(check(&m, IMG_SIZE), 0);
}

/* Every truncation of a good image is refused, never read past its end. */
static void every_truncation(void **state)
{
	struct img m;

	make(&m);
	for (size_t len = 0; len < IMG_SIZE; len++) {
		uint8_t *copy = malloc(len ? len : 1);

		memcpy(copy, m.b, len);
		assert_int_not_equal(vpd_elf_check(copy, len, (char[64]){0}, 64), 0);
		free(copy);
	}
}

/*
 * The real samples, built by make, pass, and (read here independently of
 * the checker) carry a PT_GNU_STACK without PF_X.
 */
static void real_samples(void **state)
{
	static const char *const names[] = {"hello", "upper", "probe", "rawprobe"};
	const char *b = getenv("VCRYPTO_BUILD");

	for (size_t s = 0; s < sizeof(names) / sizeof(names[0]); s++) {
		char path[4096];
		int fd, stacks = 0;
		struct stat st;
		uint8_t *buf;
		Elf64_Ehdr eh;

		snprintf(path, sizeof(path), "%s/samples/%s", b ? b : "build", names[s]);
		fd = open(path, O_RDONLY);
		if (fd < 0) {
			skip();
			return;
		}
		assert_int_equal(fstat(fd, &st), 0);
		buf = malloc((size_t)st.st_size);
		assert_int_equal(read(fd, buf, (size_t)st.st_size), st.st_size);
		close(fd);
		assert_int_equal(vpd_elf_check(buf, (size_t)st.st_size, (char[256]){0}, 256), 0);
		memcpy(&eh, buf, sizeof(eh));
		for (unsigned int i = 0; i < eh.e_phnum; i++) {
			Elf64_Phdr ph;

			memcpy(&ph, buf + eh.e_phoff + i * sizeof(ph), sizeof(ph));
			if (ph.p_type == PT_GNU_STACK) {
				stacks++;
				assert_false(ph.p_flags & PF_X);
			}
		}
		assert_int_equal(stacks, 1);
		free(buf);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(good),
		cmocka_unit_test(not_elf),
		cmocka_unit_test(wrong_arch),
		cmocka_unit_test(dynamic),
		cmocka_unit_test(headers_outside),
		cmocka_unit_test(segments),
		cmocka_unit_test(entry),
		cmocka_unit_test(gnu_stack),
		cmocka_unit_test(every_truncation),
		cmocka_unit_test(real_samples),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests_name("vprocd ELF checks", tests, NULL, NULL);
}
