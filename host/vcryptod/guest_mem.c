// SPDX-License-Identifier: MIT
/* Guest memory: SET_MEM_TABLE regions and overflow-safe address translation. */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "guest_mem.h"

static void *span(const struct vcd_mem *m, uint64_t addr, uint64_t len, uint64_t *avail, int by_uva)
{
	for (unsigned int i = 0; i < m->nregions; i++) {
		const struct vcd_mem_region *r = &m->r[i];
		uint64_t start = by_uva ? r->uva : r->gpa;
		uint64_t off;

		if (addr < start)
			continue;
		off = addr - start;
		if (off >= r->size)
			continue;
		*avail = r->size - off < len ? r->size - off : len;
		return r->host + off;
	}
	return NULL;
}

void *vcd_mem_gpa_span(const struct vcd_mem *m, uint64_t gpa, uint64_t len, uint64_t *avail)
{
	return span(m, gpa, len, avail, 0);
}

/* The whole of [addr, addr + len) inside one region, or NULL. */
static void *whole(const struct vcd_mem *m, uint64_t addr, uint64_t len, int by_uva)
{
	uint64_t avail = 0;
	void *p;

	if (len == 0)
		return NULL;
	p = span(m, addr, len, &avail, by_uva);
	return p && avail == len ? p : NULL;
}

void *vcd_mem_gpa(const struct vcd_mem *m, uint64_t gpa, uint64_t len)
{
	return whole(m, gpa, len, 0);
}

void *vcd_mem_uva(const struct vcd_mem *m, uint64_t uva, uint64_t len)
{
	return whole(m, uva, len, 1);
}

static int overlaps(const struct vcd_mem *m, uint64_t gpa, uint64_t size)
{
	for (unsigned int i = 0; i < m->nregions; i++) {
		const struct vcd_mem_region *r = &m->r[i];

		if (gpa < r->gpa + r->size && r->gpa < gpa + size)
			return 1;
	}
	return 0;
}

int vcd_mem_add(struct vcd_mem *m, uint64_t gpa, uint64_t size, uint64_t uva, void *host)
{
	struct vcd_mem_region *r;

	if (m->nregions >= VCD_VU_MAX_MEM_REGIONS || size == 0 || gpa + size < gpa ||
	    uva + size < uva || overlaps(m, gpa, size))
		return -EINVAL;
	r = &m->r[m->nregions++];
	*r = (struct vcd_mem_region){.gpa = gpa, .size = size, .uva = uva, .host = host};
	return 0;
}

int vcd_mem_map(struct vcd_mem *m, const struct vcd_vu_mem_table *t, size_t payload_len, int *fds,
		unsigned int nfds)
{
	struct vcd_mem nm = {0};
	unsigned int i;
	int ret = 0;

	if (payload_len < offsetof(struct vcd_vu_mem_table, regions) || t->nregions == 0 ||
	    t->nregions > VCD_VU_MAX_MEM_REGIONS ||
	    payload_len < offsetof(struct vcd_vu_mem_table, regions) +
				  t->nregions * sizeof(t->regions[0]) ||
	    nfds != t->nregions) {
		ret = -EINVAL;
		goto out_close;
	}
	for (i = 0; i < t->nregions; i++) {
		const struct vcd_vu_mem_region *vr = &t->regions[i];
		uint64_t len = vr->memory_size + vr->mmap_offset;
		struct stat sb;
		void *p;

		/* Map from offset 0 so mmap_offset needs no page alignment. */
		if (vr->memory_size == 0 || len < vr->memory_size ||
		    len > (1ull << 47)) { /* more than any x86-64 user space */
			ret = -EINVAL;
			goto err_unmap;
		}
		/*
		 * Pages past the end of the file would SIGBUS the daemon on first
		 * touch: the file must back the whole region. (A frontend that
		 * shrinks it afterwards can still do that; QEMU never does.)
		 */
		if (fstat(fds[i], &sb) < 0 || !S_ISREG(sb.st_mode) || (uint64_t)sb.st_size < len) {
			ret = -EINVAL;
			goto err_unmap;
		}
		p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fds[i], 0);
		if (p == MAP_FAILED) {
			ret = -errno;
			goto err_unmap;
		}
		ret = vcd_mem_add(&nm, vr->guest_phys_addr, vr->memory_size, vr->userspace_addr,
				  (uint8_t *)p + vr->mmap_offset);
		if (ret) {
			munmap(p, len);
			goto err_unmap;
		}
		nm.r[nm.nregions - 1].map = p;
		nm.r[nm.nregions - 1].map_len = len;
	}
	vcd_mem_unmap(m);
	*m = nm;
	goto out_close;

err_unmap:
	vcd_mem_unmap(&nm);
out_close:
	for (i = 0; i < nfds; i++) {
		if (fds[i] >= 0)
			close(fds[i]);
		fds[i] = -1;
	}
	return ret;
}

void vcd_mem_unmap(struct vcd_mem *m)
{
	for (unsigned int i = 0; i < m->nregions; i++)
		if (m->r[i].map)
			munmap(m->r[i].map, m->r[i].map_len);
	memset(m, 0, sizeof(*m));
}
