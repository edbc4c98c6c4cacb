// SPDX-License-Identifier: GPL-2.0
/* vufront test program: helpers shared by the suites. */
#include "vufront_test.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

bool vt_want(struct vt *t, const char *name)
{
	return (!t->only || strstr(name, t->only)) && (!t->skip || !strstr(name, t->skip));
}

struct vuf *vt_open(struct vt *t, unsigned int nq)
{
	struct vuf_opts o = { .nqueues = nq,
			      .seed = t->seed,
			      .nregions = t->nregions,
			      .qsize = t->qsize,
			      .full_set_features = t->full_features };
	struct vuf *v = vuf_connect(t->sock, t->timeout_ms);
	int ret;

	if (!v) {
		tap_note("connect %s: %s", t->sock, strerror(errno));
		return NULL;
	}
	t->seed = t->seed * 6364136223846793005ULL + 1442695040888963407ULL;
	ret = vuf_setup(v, &o);
	if (ret) {
		tap_note("handshake failed: %s (%s)", strerror(-ret), v->err);
		vuf_free(v);
		return NULL;
	}
	return v;
}

int vt_sync(struct vuf *v)
{
	uint64_t f;

	return vuf_get_u64(v, VUF_GET_FEATURES, &f);
}

int vt_fd_count(pid_t pid)
{
	char path[64];
	struct dirent *d;
	DIR *dir;
	int n = 0;

	if (pid <= 0)
		return -1;
	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	dir = opendir(path);
	if (!dir)
		return -1;
	while ((d = readdir(dir)))
		if (d->d_name[0] != '.')
			n++;
	closedir(dir);
	return n;
}

int vt_fd_idle(struct vt *t)
{
	int n = vt_fd_count(t->pid), same = 0;

	/* The last connection's teardown may still be under way. */
	for (int i = 0; i < 300 && same < 15; i++) {
		int m;

		usleep(10000);
		m = vt_fd_count(t->pid);
		same = m == n ? same + 1 : 0;
		n = m;
	}
	return n;
}

int vt_fd_settle(struct vt *t, int base)
{
	int n = vt_fd_count(t->pid);

	for (int i = 0; i < 500 && n != base; i++) {
		usleep(10000);
		n = vt_fd_count(t->pid);
	}
	return n;
}

bool vt_daemon_alive(struct vt *t)
{
	char path[64], buf[256], *p;
	FILE *f;
	size_t n;

	/* kill(pid, 0) succeeds on a zombie: look at the state instead. */
	if (t->pid <= 0)
		return true;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)t->pid);
	f = fopen(path, "r");
	if (!f)
		return false;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	p = strrchr(buf, ')');
	return p && p[1] == ' ' && p[2] != 'Z' && p[2] != 'X';
}

/* The session's id, or -1 when it could not be created. */
static int64_t sym_session(struct vuf *v, int layout, const struct vuf_sym_sess *s)
{
	int64_t sid = -1;

	if (vuf_create_sym(v, layout, s, &sid))
		return -1;
	return sid;
}

int64_t vt_cipher_session(struct vuf *v, int layout, uint32_t alg, const uint8_t *key,
			  uint32_t keylen, int enc)
{
	struct vuf_sym_sess s = {
		.cipher_alg = alg,
		.key_len = keylen,
		.op_type = VIRTIO_CRYPTO_SYM_OP_CIPHER,
		.direction = enc ? VIRTIO_CRYPTO_OP_ENCRYPT : VIRTIO_CRYPTO_OP_DECRYPT,
		.key = key,
	};

	return sym_session(v, layout, &s);
}

int64_t vt_chain_session(struct vuf *v, int layout, uint32_t alg, const uint8_t *key,
			 uint32_t keylen, int enc, uint32_t mac, const uint8_t *akey,
			 uint32_t akeylen, uint32_t hlen, int order)
{
	struct vuf_sym_sess s = {
		.cipher_alg = alg,
		.key_len = keylen,
		.hash_alg = mac,
		.hash_result_len = hlen,
		.auth_key_len = akeylen,
		.op_type = VIRTIO_CRYPTO_SYM_OP_ALGORITHM_CHAINING,
		.direction = enc ? VIRTIO_CRYPTO_OP_ENCRYPT : VIRTIO_CRYPTO_OP_DECRYPT,
		.hash_mode = VIRTIO_CRYPTO_SYM_HASH_MODE_AUTH,
		.chain_order = (uint8_t)order,
		.key = key,
		.auth_key = akey,
	};

	return sym_session(v, layout, &s);
}

int64_t vt_hash_session(struct vuf *v, int layout, uint32_t hash, uint32_t hlen)
{
	struct vuf_sym_sess s = {
		.cipher_alg = VIRTIO_CRYPTO_NO_CIPHER,
		.hash_alg = hash,
		.hash_result_len = hlen,
		.op_type = VIRTIO_CRYPTO_SYM_OP_ALGORITHM_CHAINING,
		.hash_mode = VIRTIO_CRYPTO_SYM_HASH_MODE_PLAIN,
		.chain_order = VIRTIO_CRYPTO_SYM_ALG_CHAIN_ORDER_CIPHER_THEN_HASH,
	};

	return sym_session(v, layout, &s);
}

void vt_job_place_random(struct vuf *v, struct vuf_job *j)
{
	j->po.max_out_segs = 1 + vuf_rand(v) % 8;
	j->po.max_in_segs = 1 + vuf_rand(v) % 5;
	j->po.indirect = -1;
	j->po.canary = (uint8_t)(0x5a ^ vuf_rand(v));
	if (j->po.canary <= 6) /* never a valid status value */
		j->po.canary = 0xa5;
}

int vt_cipher_job(struct vuf *v, struct vuf_job *j, int64_t sid, uint32_t alg, const uint8_t *key,
		  uint32_t keylen, int enc, size_t len, size_t slack)
{
	uint32_t ivl = vuf_cipher_iv_len(alg);
	uint8_t iv[16];

	memset(j, 0, sizeof(*j));
	j->out_len = VUF_HDR_LEN + ivl + len;
	j->out = malloc(j->out_len);
	j->expect = malloc(len ? len : 1);
	if (!j->out || !j->expect)
		return -1;
	vuf_hdr_cipher(j->out, enc ? VIRTIO_CRYPTO_CIPHER_ENCRYPT : VIRTIO_CRYPTO_CIPHER_DECRYPT,
		       (uint64_t)sid, ivl, (uint32_t)len, (uint32_t)len);
	vuf_rand_bytes(v, iv, sizeof(iv));
	memcpy(j->out + VUF_HDR_LEN, iv, ivl);
	vuf_rand_bytes(v, j->out + VUF_HDR_LEN + ivl, len);
	if (vuf_ref_cipher(alg, key, keylen, iv, enc, j->out + VUF_HDR_LEN + ivl, len, j->expect))
		return -1;
	j->expect_len = len;
	j->in_len = len + slack + 1;
	j->ok_status = VUF_ST(VIRTIO_CRYPTO_OK);
	j->data_status = VIRTIO_CRYPTO_OK;
	vt_job_place_random(v, j);
	snprintf(j->name, sizeof(j->name), "%s-%u %s %zu B", vuf_cipher_name(alg), keylen * 8,
		 enc ? "enc" : "dec", len);
	return 0;
}

/*
 * Algorithm chaining as vcryptod defines it (QEMU's order of the readable
 * parts: iv, aad, src): dst is src with [c_off, c_off+c_len) run through the
 * cipher; the MAC covers aad || the hashed range, taken from src when the
 * hash comes first and from dst when it comes second (from src when there is
 * no dst: MAC only).
 */
int vt_chain_job(struct vuf *v, struct vuf_job *j, int64_t sid, const struct vt_chain_case *c)
{
	uint32_t ivl = vuf_cipher_iv_len(c->alg), dst = c->no_dst ? 0 : c->src_len;
	struct vuf_chain_para p = {
		.iv_len = ivl,
		.src_len = c->src_len,
		.dst_len = dst,
		.cipher_start = c->c_off,
		.len_to_cipher = c->c_len,
		.hash_start = c->h_off,
		.len_to_hash = c->h_len,
		.aad_len = c->aad_len,
		.hash_result_len = c->hlen,
	};
	uint8_t iv[16], mac[64], *src, *aad, *hin;
	unsigned int mlen = 0;
	int ret = -1;

	memset(j, 0, sizeof(*j));
	j->out_len = VUF_HDR_LEN + ivl + c->aad_len + c->src_len;
	j->out = malloc(j->out_len);
	j->expect = malloc(dst + c->hlen + 1);
	hin = malloc(c->aad_len + c->h_len + 1);
	if (!j->out || !j->expect || !hin)
		goto out;
	vuf_hdr_chain(j->out, c->enc ? VIRTIO_CRYPTO_CIPHER_ENCRYPT : VIRTIO_CRYPTO_CIPHER_DECRYPT,
		      (uint64_t)sid, &p);
	vuf_rand_bytes(v, iv, sizeof(iv));
	memcpy(j->out + VUF_HDR_LEN, iv, ivl);
	aad = j->out + VUF_HDR_LEN + ivl;
	src = aad + c->aad_len;
	vuf_rand_bytes(v, aad, c->aad_len + c->src_len);
	if (dst) {
		memcpy(j->expect, src, dst);
		if (c->alg != VIRTIO_CRYPTO_NO_CIPHER && c->c_len &&
		    vuf_ref_cipher(c->alg, c->key, c->keylen, iv, c->enc, src + c->c_off, c->c_len,
				   j->expect + c->c_off))
			goto out;
	}
	memcpy(hin, aad, c->aad_len);
	if (c->order == VIRTIO_CRYPTO_SYM_ALG_CHAIN_ORDER_HASH_THEN_CIPHER || !dst)
		memcpy(hin + c->aad_len, src + c->h_off, c->h_len);
	else
		memcpy(hin + c->aad_len, j->expect + c->h_off, c->h_len);
	if (c->plain ? vuf_ref_digest(c->mac, hin, c->aad_len + c->h_len, mac, &mlen)
		     : vuf_ref_hmac(c->mac, c->akey, c->akeylen, hin, c->aad_len + c->h_len, mac,
				    &mlen))
		goto out;
	if (mlen < c->hlen)
		goto out;
	memcpy(j->expect + dst, mac, c->hlen);
	j->expect_len = dst + c->hlen;
	j->in_len = dst + c->hlen + 1;
	j->ok_status = VUF_ST(VIRTIO_CRYPTO_OK);
	j->data_status = VIRTIO_CRYPTO_OK;
	vt_job_place_random(v, j);
	snprintf(j->name, sizeof(j->name), "%s-%u+%s/%u %s %s src %u aad %u",
		 vuf_cipher_name(c->alg), c->keylen * 8,
		 c->plain ? vuf_hash_name(c->mac) : vuf_mac_name(c->mac), c->hlen,
		 c->order == VIRTIO_CRYPTO_SYM_ALG_CHAIN_ORDER_HASH_THEN_CIPHER
			 ? "hash-then-cipher"
			 : "cipher-then-hash",
		 c->enc ? "enc" : "dec", c->src_len, c->aad_len);
	ret = 0;
out:
	free(hin);
	return ret;
}

int vt_digest_job(struct vuf *v, struct vuf_job *j, int64_t sid, const uint8_t *msg, uint32_t len,
		  const uint8_t *want, uint32_t hlen, uint32_t req_hlen)
{
	struct vuf_chain_para p = {.src_len = len, .len_to_hash = len, .hash_result_len = req_hlen};

	memset(j, 0, sizeof(*j));
	j->out_len = VUF_HDR_LEN + len;
	j->out = malloc(j->out_len);
	j->expect = malloc(hlen + 1);
	if (!j->out || !j->expect)
		return -1;
	vuf_hdr_chain(j->out, VIRTIO_CRYPTO_CIPHER_ENCRYPT, (uint64_t)sid, &p);
	memcpy(j->out + VUF_HDR_LEN, msg, len);
	memcpy(j->expect, want, hlen);
	j->expect_len = hlen;
	j->in_len = req_hlen + 1;
	j->ok_status = VUF_ST(req_hlen == hlen ? VIRTIO_CRYPTO_OK : VIRTIO_CRYPTO_BADMSG);
	j->data_status = VIRTIO_CRYPTO_OK;
	vt_job_place_random(v, j);
	snprintf(j->name, sizeof(j->name), "digest of %u B, %u of %u digest bytes asked", len,
		 req_hlen, hlen);
	return 0;
}

bool vt_serves(struct vt *t, char *why, size_t whylen)
{
	struct vuf_job j[4];
	uint8_t key[16];
	struct vuf *v = vt_open(t, 1);
	int64_t sid;
	bool ok = false;
	int ret;

	memset(j, 0, sizeof(j));
	if (!v) {
		snprintf(why, whylen, "no handshake on a new connection");
		return false;
	}
	vuf_rand_bytes(v, key, sizeof(key));
	sid = vt_cipher_session(v, VUF_SESS_632, VIRTIO_CRYPTO_CIPHER_AES_CBC, key, 16, 1);
	if (sid < 0) {
		snprintf(why, whylen, "no session on a new connection");
		goto out;
	}
	for (int i = 0; i < 4; i++)
		if (vt_cipher_job(v, &j[i], sid, VIRTIO_CRYPTO_CIPHER_AES_CBC, key, 16, 1,
				  16 * (1 + vuf_rand(v) % 64), 0))
			goto out;
	ret = vuf_run_jobs(v, 1, j, 4, 4);
	if (ret) {
		snprintf(why, whylen, "requests on a new connection: %s %s", strerror(-ret),
			 v->err);
		goto out;
	}
	ok = true;
	for (int i = 0; i < 4; i++)
		ok &= vuf_job_pass(&j[i]);
	if (!ok)
		snprintf(why, whylen, "wrong results on a new connection");
out:
	for (int i = 0; i < 4; i++)
		vuf_job_free(&j[i]);
	vuf_free(v);
	return ok;
}
