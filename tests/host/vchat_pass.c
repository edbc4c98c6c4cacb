// SPDX-License-Identifier: GPL-2.0
/*
 * vchat_pass: reads the passphrase with vchat's own prompt reader (run it on
 * a terminal, without VCHAT_KEY), wipes the caller's buffer as the client
 * does, then searches its whole address space for what is left of it.
 *
 *   vchat_pass HEX     HEX: the expected passphrase, each byte XOR 0x5a
 *   vchat_pass --long  only prints what the reader returned (a line too long)
 *
 * The expected passphrase is only ever held XOR-ed, so the search cannot
 * find the test's own copy. Prints "read: ..." and "copies left: N ...".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "passphrase.h"
#include "vchat_crypto.h"

#define X 0x5a
#define TAIL 24 /* malloc's free-list pointers overwrite a freed chunk's head */

static unsigned char want[VCHAT_PASS_MAX];
static size_t want_len;

static int tail_at(const unsigned char *p, size_t avail)
{
	const unsigned char *t = want + want_len - TAIL;
	size_t i;

	if (avail < TAIL)
		return 0;
	for (i = 0; i < TAIL; i++)
		if ((unsigned char)(p[i] ^ X) != t[i])
			return 0;
	return 1;
}

static int scan(void)
{
	struct {
		unsigned long lo, hi;
		char perm[5], name[64];
	} map[512];
	int nmap = 0, i, hits = 0;
	char line[512];
	FILE *f = fopen("/proc/self/maps", "r");
	FILE *mem;

	if (!f)
		return -1;
	while (nmap < 512 && fgets(line, sizeof(line), f)) {
		map[nmap].name[0] = 0;
		if (sscanf(line, "%lx-%lx %4s %*s %*s %*s %63s", &map[nmap].lo, &map[nmap].hi,
			   map[nmap].perm, map[nmap].name) >= 3)
			nmap++;
	}
	fclose(f);
	mem = fopen("/proc/self/mem", "rb");
	if (!mem)
		return -1;
	setvbuf(mem, NULL, _IONBF, 0);
	for (i = 0; i < nmap; i++) {
		size_t len = map[i].hi - map[i].lo, j;
		unsigned char *buf;

		if (map[i].perm[0] != 'r' || !strncmp(map[i].name, "[vvar", 5) ||
		    !strcmp(map[i].name, "[vsyscall]"))
			continue;
		buf = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (buf == MAP_FAILED)
			continue;
		if (fseek(mem, (long)map[i].lo, SEEK_SET) == 0 && fread(buf, 1, len, mem) == len) {
			for (j = 0; j + TAIL <= len; j++)
				if (tail_at(buf + j, len - j)) {
					printf(" %lx:%s", map[i].lo + j,
					       map[i].name[0] ? map[i].name : "anon");
					hits++;
				}
		}
		munmap(buf, len);
	}
	fclose(mem);
	return hits;
}

int main(int argc, char **argv)
{
	char pass[VCHAT_PASS_MAX];
	const char *src = "";
	size_t i;
	int n, same, hits;

	if (argc == 2 && !strcmp(argv[1], "--long")) {
		unsetenv(VCHAT_PASS_ENV);
		n = vchat_read_passphrase(NULL, pass, &src);
		printf("read: %d (%s)\n", n, n < 0 ? strerror(-n) : "accepted");
		vchat_wipe(pass, sizeof(pass));
		return 0;
	}
	if (argc != 2 || strlen(argv[1]) % 2 || strlen(argv[1]) / 2 < TAIL) {
		fprintf(stderr, "usage: vchat_pass HEX (the passphrase XOR 0x5a, 24+ bytes)\n");
		return 2;
	}
	for (i = 0; argv[1][2 * i]; i++)
		sscanf(argv[1] + 2 * i, "%2hhx", &want[i]);
	want_len = i;
	unsetenv(VCHAT_PASS_ENV);
	n = vchat_read_passphrase(NULL, pass, &src);
	same = n == (int)want_len;
	for (i = 0; same && i < want_len; i++)
		same = (unsigned char)(pass[i] ^ X) == want[i];
	vchat_wipe(pass, sizeof(pass));
	printf("read: %d bytes from %s, %s\n", n, src, same ? "as typed" : "NOT as typed");
	printf("where (caller buffer at %p):", (void *)pass);
	hits = scan();
	printf("\ncopies left: %d\n", hits);
	return 0;
}
