// SPDX-License-Identifier: MIT
/* libFuzzer target: vprocd's ELF checks over arbitrary images. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vprocd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char why[VMM_MAX_ERRTEXT];
	/* a copy of exactly size bytes, so ASan sees any read past the end */
	uint8_t *img = malloc(size ? size : 1);
	int ret;

	if (!img)
		return 0;
	memcpy(img, data, size);
	why[0] = 0;
	ret = vpd_elf_check(img, size, why, sizeof(why));
	if (ret && (ret < -VMM_E_ELF_BAD || ret > -VMM_E_ELF_NOTELF || !why[0]))
		abort(); /* a refusal is always an ELF error with a reason */
	free(img);
	return 0;
}
