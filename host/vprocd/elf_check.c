// SPDX-License-Identifier: MIT
/*
 * Strict ELF checks on an untrusted (though signed) image before it runs:
 * 64-bit little-endian x86-64 executable, statically linked (no PT_INTERP,
 * no PT_DYNAMIC), every header and segment inside the file, no writable and
 * executable segment, a PT_GNU_STACK that is not executable (without one,
 * older kernels and some personalities fall back to READ_IMPLIES_EXEC),
 * entry point in an executable segment. The kernel checks much of this
 * again; we want a clear error.
 */
#include <elf.h>
#include <stdio.h>
#include <string.h>

#include "vprocd.h"

#define VPD_ELF_MAX_PHNUM 64
#define VPD_USER_TOP 0x800000000000ull

static int fail(char *why, size_t n, int err, const char *msg)
{
	snprintf(why, n, "%s", msg);
	return err;
}

/* off + size <= len without overflow */
static int inside(uint64_t off, uint64_t size, size_t len)
{
	return off <= len && size <= len - off;
}

int vpd_elf_check(const uint8_t *img, size_t len, char *why, size_t whylen)
{
	Elf64_Ehdr eh;
	int nload = 0, entry_ok = 0, stack = 0;

	if (len < EI_NIDENT || memcmp(img, ELFMAG, SELFMAG))
		return fail(why, whylen, -VMM_E_ELF_NOTELF, "no ELF magic");
	if (img[EI_CLASS] != ELFCLASS64)
		return fail(why, whylen, -VMM_E_ELF_ARCH, "not a 64-bit ELF");
	if (img[EI_DATA] != ELFDATA2LSB)
		return fail(why, whylen, -VMM_E_ELF_ARCH, "not little-endian");
	if (len < sizeof(eh))
		return fail(why, whylen, -VMM_E_ELF_BAD, "ELF header truncated");
	memcpy(&eh, img, sizeof(eh));
	if (eh.e_machine != EM_X86_64) {
		snprintf(why, whylen, "machine %u is not x86-64 (%u)", eh.e_machine, EM_X86_64);
		return -VMM_E_ELF_ARCH;
	}
	if (img[EI_VERSION] != EV_CURRENT || eh.e_version != EV_CURRENT)
		return fail(why, whylen, -VMM_E_ELF_BAD, "bad ELF version");
	if (eh.e_type != ET_EXEC && eh.e_type != ET_DYN)
		return fail(why, whylen, -VMM_E_ELF_BAD, "not an executable (ET_EXEC/ET_DYN)");
	if (eh.e_ehsize != sizeof(Elf64_Ehdr) || eh.e_phentsize != sizeof(Elf64_Phdr))
		return fail(why, whylen, -VMM_E_ELF_BAD, "bad header sizes");
	if (eh.e_phnum == 0 || eh.e_phnum > VPD_ELF_MAX_PHNUM)
		return fail(why, whylen, -VMM_E_ELF_BAD, "bad program header count");
	if (!inside(eh.e_phoff, (uint64_t)eh.e_phnum * sizeof(Elf64_Phdr), len))
		return fail(why, whylen, -VMM_E_ELF_BAD, "program headers outside the file");
	if (eh.e_shnum && (eh.e_shentsize != sizeof(Elf64_Shdr) ||
			   !inside(eh.e_shoff, (uint64_t)eh.e_shnum * sizeof(Elf64_Shdr), len)))
		return fail(why, whylen, -VMM_E_ELF_BAD, "section headers outside the file");

	for (unsigned int i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph;

		memcpy(&ph, img + eh.e_phoff + i * sizeof(ph), sizeof(ph));
		switch (ph.p_type) {
		case PT_INTERP:
			return fail(why, whylen, -VMM_E_ELF_DYNAMIC,
				    "has an interpreter (PT_INTERP): dynamically linked");
		case PT_DYNAMIC:
			return fail(why, whylen, -VMM_E_ELF_DYNAMIC,
				    "has a dynamic section (PT_DYNAMIC): dynamically linked");
		case PT_GNU_STACK:
			stack = 1;
			if (ph.p_flags & PF_X)
				return fail(why, whylen, -VMM_E_ELF_BAD, "executable stack");
			break;
		case PT_LOAD:
			nload++;
			if (!inside(ph.p_offset, ph.p_filesz, len)) {
				snprintf(why, whylen, "segment %u outside the file", i);
				return -VMM_E_ELF_BAD;
			}
			if (ph.p_filesz > ph.p_memsz || ph.p_vaddr >= VPD_USER_TOP ||
			    ph.p_memsz > VPD_USER_TOP - ph.p_vaddr) {
				snprintf(why, whylen, "segment %u has bad sizes or addresses", i);
				return -VMM_E_ELF_BAD;
			}
			if ((ph.p_flags & (PF_W | PF_X)) == (PF_W | PF_X)) {
				snprintf(why, whylen, "segment %u is writable and executable", i);
				return -VMM_E_ELF_BAD;
			}
			if ((ph.p_flags & PF_X) && eh.e_entry >= ph.p_vaddr &&
			    eh.e_entry - ph.p_vaddr < ph.p_memsz)
				entry_ok = 1;
			break;
		default:
			if (!inside(ph.p_offset, ph.p_filesz, len)) {
				snprintf(why, whylen, "program header %u outside the file", i);
				return -VMM_E_ELF_BAD;
			}
		}
	}
	if (!nload)
		return fail(why, whylen, -VMM_E_ELF_BAD, "no loadable segment");
	if (!stack)
		return fail(why, whylen, -VMM_E_ELF_BAD,
			    "no PT_GNU_STACK: the stack could be executable (-z noexecstack)");
	if (!entry_ok)
		return fail(why, whylen, -VMM_E_ELF_BAD,
			    "entry point not in an executable segment");
	return 0;
}
