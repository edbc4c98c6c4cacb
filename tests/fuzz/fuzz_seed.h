/* SPDX-License-Identifier: MIT */
/*
 * Seeds for the libFuzzer targets: LLVMFuzzerInitialize() writes a target's
 * hand-made inputs into the corpus directory named on the command line.
 */
#ifndef VCRYPTO_TEST_FUZZ_SEED_H
#define VCRYPTO_TEST_FUZZ_SEED_H

#include <stddef.h>
#include <stdio.h>

/* Writes n bytes of r to DIR/seed-NAME (nothing when it cannot be created). */
static inline void fuzz_write_seed(const char *dir, const char *name, const void *r, size_t n)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/seed-%s", dir, name);
	f = fopen(path, "wb");
	if (!f)
		return;
	fwrite(r, 1, n, f);
	fclose(f);
}

/* Calls seeds(DIR) for the first argument that is not an option: the corpus. */
static inline void fuzz_seed_corpus(int argc, char **argv, void (*seeds)(const char *dir))
{
	for (int i = 1; i < argc; i++)
		if (argv[i][0] != '-') {
			seeds(argv[i]);
			break;
		}
}

#endif
