// SPDX-License-Identifier: MIT
/*
 * What may run: trusted keys, revoked image hashes, the rollback floor (the
 * highest version accepted per process name, kept in a state file), and the
 * verification of one signed image against all of them.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <openssl/bio.h>
#include <openssl/pem.h>

#include "vprocd.h"

static void hexid(const uint8_t *p, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", p[i]);
}

static int add_key(struct vpd_policy *p, EVP_PKEY *k, const char *what)
{
	char h[65];

	if (vsig_key_alg(k) < 0) {
		vpd_log(0, "%s: not an Ed25519 or RSA-3072 key", what);
		EVP_PKEY_free(k);
		return -EINVAL;
	}
	if (p->nkeys >= VPD_MAX_KEYS) {
		EVP_PKEY_free(k);
		return -ENOSPC;
	}
	if (vsig_keyid(k, p->keyids[p->nkeys])) {
		EVP_PKEY_free(k);
		return -EINVAL;
	}
	hexid(p->keyids[p->nkeys], 8, h);
	vpd_log(1, "trusted key %s (%s, id %s...)", what,
		vsig_key_alg(k) == VSIG_ALG_ED25519 ? "Ed25519" : "RSA-3072", h);
	p->keys[p->nkeys++] = k;
	return 0;
}

int vpd_policy_add_key_pem(struct vpd_policy *p, const char *pem, size_t len, const char *what)
{
	BIO *b = BIO_new_mem_buf(pem, (int)len);
	EVP_PKEY *k;

	if (!b)
		return -ENOMEM;
	k = PEM_read_bio_PUBKEY(b, NULL, NULL, NULL);
	BIO_free(b);
	if (!k) {
		vpd_log(0, "%s: not a PEM public key", what);
		return -EINVAL;
	}
	return add_key(p, k, what);
}

int vpd_policy_add_key_file(struct vpd_policy *p, const char *path)
{
	FILE *f = fopen(path, "re");
	EVP_PKEY *k;

	if (!f) {
		vpd_log(0, "%s: %s", path, strerror(errno));
		return -errno;
	}
	k = PEM_read_PUBKEY(f, NULL, NULL, NULL);
	fclose(f);
	if (!k) {
		vpd_log(0, "%s: not a PEM public key", path);
		return -EINVAL;
	}
	return add_key(p, k, path);
}

static int unhex(const char *s, uint8_t *out, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned int v;

		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			return -1;
		out[i] = (uint8_t)v;
	}
	return 0;
}

/* One lowercase or uppercase hex SHA-256 per line; '#' starts a comment. */
int vpd_policy_load_revoked(struct vpd_policy *p, const char *path)
{
	FILE *f = fopen(path, "re");
	char line[256];
	int lineno = 0;

	if (!f) {
		vpd_log(0, "%s: %s", path, strerror(errno));
		return -errno;
	}
	while (fgets(line, sizeof(line), f)) {
		char *s = line, *e;
		uint8_t(*nr)[32];

		lineno++;
		while (*s == ' ' || *s == '\t')
			s++;
		e = s + strcspn(s, " \t\r\n#");
		if (e == s)
			continue;
		if (e - s != 64 || strspn(s, "0123456789abcdefABCDEF") < 64) {
			vpd_log(0, "%s:%d: not a SHA-256 in hex", path, lineno);
			fclose(f);
			return -EINVAL;
		}
		nr = realloc(p->revoked, (p->nrevoked + 1) * sizeof(*nr));
		if (!nr) {
			fclose(f);
			return -ENOMEM;
		}
		p->revoked = nr;
		unhex(s, p->revoked[p->nrevoked++], 32);
	}
	fclose(f);
	vpd_log(1, "%zu revoked image hashes from %s", p->nrevoked, path);
	return 0;
}

static struct vpd_floor *floor_in(struct vpd_floor *v, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(v[i].name, name))
			return &v[i];
	return NULL;
}

static struct vpd_floor *floor_find(struct vpd_policy *p, const char *name)
{
	return floor_in(p->floors, p->nfloors, name);
}

int vpd_policy_add_min(struct vpd_policy *p, const char *spec)
{
	const char *eq = strchr(spec, '=');
	char name[VSIG_NAME_MAX + 1], *end;
	struct vpd_floor *fl, *nf;
	unsigned long long v;

	if (!eq || eq == spec || (size_t)(eq - spec) > VSIG_NAME_MAX || !eq[1] || eq[1] == '-')
		return -EINVAL;
	memcpy(name, spec, (size_t)(eq - spec));
	name[eq - spec] = 0;
	errno = 0;
	v = strtoull(eq + 1, &end, 10);
	if (errno || *end || !vsig_name_valid(name))
		return -EINVAL;
	fl = floor_in(p->minv, p->nminv, name);
	if (fl) {
		if (v > fl->version)
			fl->version = v;
		return 0;
	}
	nf = realloc(p->minv, (p->nminv + 1) * sizeof(*nf));
	if (!nf)
		return -ENOMEM;
	p->minv = nf;
	snprintf(nf[p->nminv].name, sizeof(nf->name), "%s", name);
	nf[p->nminv++].version = v;
	vpd_log(1, "administrator's floor: '%s' version %llu or later", name, v);
	return 0;
}

static int floor_set(struct vpd_policy *p, const char *name, uint64_t v)
{
	struct vpd_floor *fl = floor_find(p, name), *nf;

	if (fl) {
		if (v > fl->version)
			fl->version = v;
		return 0;
	}
	nf = realloc(p->floors, (p->nfloors + 1) * sizeof(*nf));
	if (!nf)
		return -ENOMEM;
	p->floors = nf;
	snprintf(nf[p->nfloors].name, sizeof(nf->name), "%s", name);
	nf[p->nfloors++].version = v;
	return 0;
}

/* State file: "name version" per line. A missing file is an empty floor. */
int vpd_policy_load_state(struct vpd_policy *p, const char *path)
{
	FILE *f = fopen(path, "re");
	char name[64];
	uint64_t v;
	int n;

	p->state_file = path;
	if (!f) {
		if (errno == ENOENT)
			return 0;
		vpd_log(0, "%s: %s", path, strerror(errno));
		return -errno;
	}
	while ((n = fscanf(f, "%63s %" SCNu64, name, &v)) == 2) {
		if (!vsig_name_valid(name) || floor_set(p, name, v)) {
			fclose(f);
			vpd_log(0, "%s: bad entry '%s'", path, name);
			return -EINVAL;
		}
	}
	fclose(f);
	if (n != EOF) {
		vpd_log(0, "%s: malformed state file", path);
		return -EINVAL;
	}
	vpd_log(1, "rollback floor for %zu names from %s", p->nfloors, path);
	return 0;
}

/*
 * Written to a temporary file, synced, renamed, and the directory synced so
 * the rename itself survives a crash: never half a state file, never an
 * older one after a reboot.
 */
static int save_state(struct vpd_policy *p)
{
	char tmp[4096], dir[4096];
	FILE *f;
	int fd, ret = 0;

	if (!p->state_file)
		return 0;
	if (snprintf(tmp, sizeof(tmp), "%s.tmp", p->state_file) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	f = fdopen(fd, "w");
	if (!f) {
		close(fd);
		return -errno;
	}
	for (size_t i = 0; i < p->nfloors; i++)
		fprintf(f, "%s %" PRIu64 "\n", p->floors[i].name, p->floors[i].version);
	if (fflush(f) || fsync(fileno(f)) || fclose(f)) {
		unlink(tmp);
		return -EIO;
	}
	if (rename(tmp, p->state_file)) {
		ret = -errno;
		unlink(tmp);
		return ret;
	}
	snprintf(dir, sizeof(dir), "%s", p->state_file);
	fd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fsync(fd))
		ret = -errno;
	close(fd);
	return ret;
}

int vpd_policy_accept(struct vpd_policy *p, const char *name, uint64_t version, char *why,
		      size_t whylen)
{
	struct vpd_floor *fl = floor_find(p, name);
	size_t nfloors = p->nfloors;
	uint64_t old = fl ? fl->version : 0;
	int ret;

	/*
	 * The floor in memory is the one on disk (a failed save puts it back):
	 * a version it already covers changes nothing, so nothing is written
	 * or synced. Only a load that raises the floor pays for the fsyncs.
	 */
	if (fl && version <= fl->version)
		return 0;
	ret = floor_set(p, name, version);

	if (!ret)
		ret = save_state(p);
	if (ret) {
		/* as it was: the floor in memory is the one on disk */
		fl = floor_find(p, name);
		if (fl && p->nfloors > nfloors)
			p->nfloors = nfloors;
		else if (fl)
			fl->version = old;
		snprintf(why, whylen, "cannot save the rollback floor to %s (%s): '%s' not started",
			 p->state_file ? p->state_file : "(none)", strerror(-ret), name);
		vpd_log(0, "%s", why);
	}
	return ret;
}

void vpd_policy_free(struct vpd_policy *p)
{
	for (unsigned int i = 0; i < p->nkeys; i++)
		EVP_PKEY_free(p->keys[i]);
	free(p->revoked);
	free(p->floors);
	free(p->minv);
	memset(p, 0, sizeof(*p));
}

int vpd_verify_image(struct vpd_policy *p, const uint8_t *img, size_t len,
		     const uint8_t sha256[32], const uint8_t *sigb, size_t siglen, struct vsig *sig,
		     char *why, size_t whylen)
{
	struct vpd_floor *fl;
	EVP_PKEY *key = NULL;
	char h[65];
	int ret;

	ret = vsig_parse(sigb, siglen, sig);
	if (ret) {
		snprintf(why, whylen, "%s (%zu bytes)", vmm_strerror(ret), siglen);
		return ret;
	}
	for (unsigned int i = 0; i < p->nkeys; i++)
		if (!memcmp(p->keyids[i], sig->keyid, VSIG_KEYID_SIZE))
			key = p->keys[i];
	if (!key) {
		hexid(sig->keyid, 8, h);
		snprintf(why, whylen, "key id %s... is not among the %u trusted keys", h, p->nkeys);
		return -VMM_E_SIG_KEY;
	}
	ret = vsig_verify(key, sig);
	if (ret) {
		snprintf(why, whylen, "signature over the header of '%s' does not verify",
			 sig->hdr.name);
		return ret;
	}
	ret = vsig_check_digest(sig, len, sha256);
	if (ret == -VMM_E_IMG_LEN) {
		snprintf(why, whylen, "image has %zu bytes, signed length is %" PRIu64, len,
			 sig->hdr.image_len);
		return ret;
	}
	if (ret) {
		snprintf(why, whylen, "SHA-256 of the image differs from the signed one");
		return ret;
	}
	for (size_t i = 0; i < p->nrevoked; i++) {
		if (!memcmp(p->revoked[i], sig->hdr.sha256, 32)) {
			hexid(sig->hdr.sha256, 32, h);
			snprintf(why, whylen, "image %s is revoked", h);
			return -VMM_E_REVOKED;
		}
	}
	fl = floor_in(p->minv, p->nminv, sig->hdr.name);
	if (fl && sig->hdr.version < fl->version) {
		snprintf(why, whylen,
			 "'%s' version %" PRIu64
			 " is below the administrator's minimum version %" PRIu64,
			 sig->hdr.name, sig->hdr.version, fl->version);
		return -VMM_E_ROLLBACK;
	}
	fl = floor_find(p, sig->hdr.name);
	if (fl && sig->hdr.version < fl->version) {
		snprintf(why, whylen,
			 "'%s' version %" PRIu64 " is below version %" PRIu64 " already accepted",
			 sig->hdr.name, sig->hdr.version, fl->version);
		return -VMM_E_ROLLBACK;
	}
	return vpd_elf_check(img, len, why, whylen);
}
