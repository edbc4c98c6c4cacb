/* SPDX-License-Identifier: MIT */
/* Guest memory table: maps the frontend's regions and translates addresses. */
#ifndef VCD_GUEST_MEM_H
#define VCD_GUEST_MEM_H

#include <stdint.h>
#include "vcd_vhost_user.h"

struct vcd_mem_region {
	uint64_t gpa; /* guest physical start */
	uint64_t size;
	uint64_t uva; /* frontend (QEMU) virtual start */
	uint8_t *host; /* our mapping of gpa */
	void *map; /* mmap()ed base, NULL for regions we do not own */
	size_t map_len;
};

struct vcd_mem {
	unsigned int nregions;
	struct vcd_mem_region r[VCD_VU_MAX_MEM_REGIONS];
};

/*
 * Maps the regions of a SET_MEM_TABLE message. fds[i] belongs to region i; the
 * fds are always closed here (also on error). On error nothing stays mapped.
 */
int vcd_mem_map(struct vcd_mem *m, const struct vcd_vu_mem_table *t, size_t payload_len, int *fds,
		unsigned int nfds);
/* Unmaps everything; safe on a zeroed or already unmapped table. */
void vcd_mem_unmap(struct vcd_mem *m);
/* Adds a region backed by caller-owned memory (tests, fuzzing). */
int vcd_mem_add(struct vcd_mem *m, uint64_t gpa, uint64_t size, uint64_t uva, void *host);

/*
 * Host pointer for [gpa, gpa+len) if it lies inside one region, else NULL.
 * len 0 is refused. Overflow-safe for any gpa/len.
 */
void *vcd_mem_gpa(const struct vcd_mem *m, uint64_t gpa, uint64_t len);
/* Same for a frontend virtual address (ring addresses of SET_VRING_ADDR). */
void *vcd_mem_uva(const struct vcd_mem *m, uint64_t uva, uint64_t len);
/*
 * Host pointer for gpa and in *avail how many bytes (at most len) are
 * contiguous from there inside the region holding gpa; NULL if gpa is in no
 * region. Used to split buffers that cross region boundaries.
 */
void *vcd_mem_gpa_span(const struct vcd_mem *m, uint64_t gpa, uint64_t len, uint64_t *avail);

#endif
