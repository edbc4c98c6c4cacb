// SPDX-License-Identifier: GPL-2.0
/*
 * vufront: synthetic vhost-user frontend that tests a virtio-crypto backend
 * (vcryptod) the way QEMU and a guest would use it, and prints TAP.
 */
#include "aes_cases.h"
#include "vufront_test.h"

#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

/* Prints the usage to f; returns the exit status given. */
static int usage(FILE *f, int status)
{
	fprintf(f,
		"usage: vufront -s SOCKET [options] SUITE...\n"
		"       vufront --listen-exec PATH FD COMMAND...  (listening socket at fd FD)\n"
		"Plays QEMU's part towards a vhost-user virtio-crypto backend and checks every\n"
		"result against OpenSSL. Prints TAP; exits 1 if anything failed.\n\n"
		"suites:\n"
		"  layouts       handshake, features, sessions in the 632 and 1072 byte layouts\n"
		"  services      every cipher, chaining, MAC, plain hash (MD5, SHA) and RSA "
		"service,\n"
		"                split at random offsets; MD5/HMAC-MD5 RFC known answers\n"
		"  queues        all data queues used at once (needs -Q)\n"
		"  maxsess       the per-connection session limit (needs -m)\n"
		"  hostile       hostile guest and frontend cases; the daemon must survive\n"
		"  stress        a thread per queue, results checked, sessions churned meanwhile\n"
		"  hold          keep a connection with sessions until the daemon leaves\n"
		"  poll          notification suppression and polling: no lost kick or\n"
		"                interrupt, stop under flood, idle CPU (give -P and -p)\n\n"
		"options:\n"
		"  -s PATH       the backend's socket\n"
		"  -p PID        the backend's pid: check it stays alive and leaks no fds\n"
		"  -Q N          data queues the backend was started with (default 4)\n"
		"  -m N          its --max-sessions (default 1024)\n"
		"  -S SEED       random seed (default: time; printed)\n"
		"  -o NAME       run only the cases whose name contains NAME\n"
		"  -x NAME       leave out the cases whose name contains NAME\n"
		"  -t MS         completion timeout (default 5000)\n"
		"  -R N          guest RAM in N memfd regions, 1..8 (default 4)\n"
		"  -N N          ring size (default 1024, as QEMU)\n"
		"  -P US         the backend's --poll-us (poll suite)\n"
		"  -F            SET_FEATURES with the ring features (QEMU 7.2 sends only\n"
		"                VHOST_USER_F_PROTOCOL_FEATURES)\n"
		"  -h            this help\n");
	return status;
}

static void vt_report_jobs_ref(struct vt *t, struct vuf_job *j, unsigned int n, const char *what,
			       const char *ref)
{
	unsigned int bad = 0;

	for (unsigned int i = 0; i < n; i++) {
		if (vuf_job_pass(&j[i]))
			continue;
		if (bad++ < 3)
			tap_note("  %s: %s, status %s (%u), data %s, untouched bytes %s, readable "
				"buffers %s, used len %u",
				what, j[i].name, vuf_status_name(j[i].status), j[i].status,
				j[i].data_ok ? "ok" : "WRONG",
				j[i].canary_ok ? "ok" : "OVERWRITTEN",
				j[i].ro_ok ? "untouched" : "WRITTEN TO", j[i].used_len);
	}
	tap_ok(bad == 0, "%s: %u requests match %s%s", what, n, ref,
	      bad ? " (some did not)" : "");
}

static void vt_report_jobs(struct vt *t, struct vuf_job *j, unsigned int n, const char *what)
{
	vt_report_jobs_ref(t, j, n, what, "OpenSSL");
}

/* Runs and checks jobs whose expected results come from ref; frees them. */
static void vt_run_report_ref(struct vt *t, struct vuf *v, unsigned int nq, struct vuf_job *j,
			      unsigned int n, const char *what, const char *ref)
{
	int ret = vuf_run_jobs(v, nq, j, n, 64);

	if (ret) {
		tap_ok(false, "%s: transport failed: %s (%s)", what, strerror(-ret), v->err);
	} else {
		vt_report_jobs_ref(t, j, n, what, ref);
	}
	for (unsigned int i = 0; i < n; i++)
		vuf_job_free(&j[i]);
	vuf_mem_reset(v);
}

static void vt_run_report(struct vt *t, struct vuf *v, unsigned int nq, struct vuf_job *j,
			  unsigned int n, const char *what)
{
	int ret = vuf_run_jobs(v, nq, j, n, 64);

	if (ret) {
		tap_ok(false, "%s: transport failed: %s (%s)", what, strerror(-ret), v->err);
	} else {
		vt_report_jobs(t, j, n, what);
	}
	for (unsigned int i = 0; i < n; i++)
		vuf_job_free(&j[i]);
	vuf_mem_reset(v);
}

/* ---------------- layouts ---------------- */

static void suite_layouts(struct vt *t)
{
	struct vuf *v = vt_open(t, 1);
	struct vuf_job j[8];
	uint8_t key[64], akey[600];
	int64_t s1, s2, s3;
	uint32_t base = 0;
	int nstop;

	if (!tap_ok(v != NULL, "handshake in QEMU 7.2's order"))
		return;
	tap_ok(
	      (v->features >> VUF_F_VERSION_1 & 1) &&
		      (v->features >> VIRTIO_RING_F_INDIRECT_DESC & 1) &&
		      (v->features >> VIRTIO_RING_F_EVENT_IDX & 1),
	      "features offer VERSION_1, INDIRECT_DESC, EVENT_IDX (0x%llx)",
	      (unsigned long long)v->features);
	tap_ok(
	      (v->pfeatures >> VUF_PF_CRYPTO_SESSION & 1) &&
		      (v->pfeatures >> VUF_PF_REPLY_ACK & 1) && (v->pfeatures >> VUF_PF_MQ & 1),
	      "protocol features offer CRYPTO_SESSION, REPLY_ACK, MQ (0x%llx)",
	      (unsigned long long)v->pfeatures);
	tap_ok(v->queue_num == t->queues, "GET_QUEUE_NUM = %llu (started with %u)",
	      (unsigned long long)v->queue_num, t->queues);

	vuf_rand_bytes(v, key, sizeof(key));
	vuf_rand_bytes(v, akey, sizeof(akey));
	s1 = vt_cipher_session(v, VUF_SESS_632, VIRTIO_CRYPTO_CIPHER_AES_CBC, key, 16, 1);
	tap_ok(s1 >= 0, "632-byte layout (QEMU 7.1-8.0): AES-128-CBC session created (id %lld)",
	      (long long)s1);
	s2 = vt_cipher_session(v, VUF_SESS_1072, VIRTIO_CRYPTO_CIPHER_AES_CBC, key, 16, 1);
	tap_ok(s2 >= 0 && s2 != s1,
	      "1072-byte layout (QEMU 8.1+): AES-128-CBC session created (id %lld), distinct id",
	      (long long)s2);
	for (int i = 0; i < 8; i++)
		vt_cipher_job(v, &j[i], i < 4 ? s1 : s2, VIRTIO_CRYPTO_CIPHER_AES_CBC, key, 16, 1,
			      16 * (1 + vuf_rand(v) % 128), 0);
	vt_run_report(t, v, 1, j, 8, "both layouts: AES-128-CBC encrypt on each session");

	/* Lengths the 632-byte message cannot carry: QEMU bounds them, the
	 * backend must not trust that. */
	{
		struct vuf_sym_sess s = {.cipher_alg = VIRTIO_CRYPTO_CIPHER_AES_CBC,
					 .key_len = 65,
					 .op_type = VIRTIO_CRYPTO_SYM_OP_CIPHER,
					 .direction = 1,
					 .key = key};
		int64_t sid = 0;
		int ret = vuf_create_sym(v, VUF_SESS_632, &s, &sid);

		tap_ok(ret == 0 && sid < 0, "key_len 65 refused (reply id %lld, exchange %d)",
		      (long long)sid, ret);
		s.key_len = 0xffffffff;
		ret = vuf_create_sym(v, VUF_SESS_1072, &s, &sid);
		tap_ok(ret == 0 && sid < 0,
		      "key_len 0xffffffff refused in 1072 layout (%lld, %d)", (long long)sid, ret);
		s.key_len = 16;
		s.op_type = VIRTIO_CRYPTO_SYM_OP_ALGORITHM_CHAINING;
		s.hash_mode = VIRTIO_CRYPTO_SYM_HASH_MODE_AUTH;
		s.chain_order = VIRTIO_CRYPTO_SYM_ALG_CHAIN_ORDER_CIPHER_THEN_HASH;
		s.hash_alg = VIRTIO_CRYPTO_MAC_HMAC_SHA_256;
		s.hash_result_len = 32;
		s.auth_key = akey;
		s.auth_key_len = 513;
		ret = vuf_create_sym(v, VUF_SESS_632, &s, &sid);
		tap_ok(ret == 0 && sid < 0, "auth_key_len 513 refused (%lld, %d)", (long long)sid,
		      ret);
		s.auth_key_len = 32;
		s.hash_result_len = 65;
		ret = vuf_create_sym(v, VUF_SESS_632, &s, &sid);
		tap_ok(ret == 0 && sid < 0,
		      "hash_result_len 65 for HMAC-SHA256 refused (%lld, %d)", (long long)sid, ret);
		/* MD5's digest is 16 bytes (RFC 1321): asking for more is refused */
		s.hash_alg = VIRTIO_CRYPTO_MAC_HMAC_MD5;
		s.hash_result_len = 16;
		ret = vuf_create_sym(v, VUF_SESS_632, &s, &sid);
		tap_ok(ret == 0 && sid >= 0,
		      "AES-128-CBC + HMAC-MD5/16 session created (%lld, %d)", (long long)sid, ret);
		if (sid >= 0)
			vuf_close_session(v, (uint64_t)sid);
		s.hash_result_len = 17;
		ret = vuf_create_sym(v, VUF_SESS_632, &s, &sid);
		tap_ok(ret == 0 && sid < 0, "hash_result_len 17 for HMAC-MD5 refused (%lld, %d)",
		      (long long)sid, ret);
		s.hash_result_len = 32;
		ret = vuf_create_sym(v, VUF_SESS_1072, &s, &sid);
		tap_ok(ret == 0 && sid < 0,
		      "hash_result_len 32 for HMAC-MD5 refused in 1072 layout (%lld, %d)",
		      (long long)sid, ret);
		sid = vt_hash_session(v, VUF_SESS_632, VIRTIO_CRYPTO_HASH_MD5, 17);
		tap_ok(sid < 0, "hash_result_len 17 for plain MD5 refused (%lld)",
		      (long long)sid);
		sid = vt_hash_session(v, VUF_SESS_632, VIRTIO_CRYPTO_HASH_MD5, 0);
		tap_ok(sid < 0, "hash_result_len 0 for plain MD5 refused (%lld)", (long long)sid);
		s.hash_alg = VIRTIO_CRYPTO_MAC_HMAC_SHA_256;
		s.hash_result_len = 32;
		s.hash_mode = VIRTIO_CRYPTO_SYM_HASH_MODE_NESTED;
		ret = vuf_create_sym(v, VUF_SESS_632, &s, &sid);
		tap_ok(ret == 0 && sid < 0, "hash_mode NESTED refused (%lld, %d)", (long long)sid,
		      ret);
		s.hash_mode = VIRTIO_CRYPTO_SYM_HASH_MODE_AUTH;
		s.chain_order = 7;
		ret = vuf_create_sym(v, VUF_SESS_632, &s, &sid);
		tap_ok(ret == 0 && sid < 0, "chain order 7 refused (%lld, %d)", (long long)sid,
		      ret);
		memset(&s, 0, sizeof(s));
		s.cipher_alg = VIRTIO_CRYPTO_CIPHER_3DES_CBC;
		s.key_len = 24;
		s.op_type = VIRTIO_CRYPTO_SYM_OP_CIPHER;
		s.direction = 1;
		s.key = key;
		ret = vuf_create_sym(v, VUF_SESS_632, &s, &sid);
		tap_ok(ret == 0 && sid < 0, "3DES-CBC (not offered) refused (%lld, %d)",
		      (long long)sid, ret);
		s.cipher_alg = VIRTIO_CRYPTO_CIPHER_AES_CBC;
		s.key_len = 17;
		ret = vuf_create_sym(v, VUF_SESS_632, &s, &sid);
		tap_ok(ret == 0 && sid < 0, "AES key of 17 bytes refused (%lld, %d)",
		      (long long)sid, ret);
		s.key_len = 16;
		s.op_type = 9;
		ret = vuf_create_sym(v, VUF_SESS_632, &s, &sid);
		tap_ok(ret == 0 && sid < 0, "op_type 9 refused (%lld, %d)", (long long)sid, ret);
		s.op_type = VIRTIO_CRYPTO_SYM_OP_CIPHER;
		s.op_code = VIRTIO_CRYPTO_HASH_CREATE_SESSION;
		ret = vuf_create_sym(v, VUF_SESS_1072, &s, &sid);
		tap_ok(ret == 0 && sid < 0,
		      "1072 layout with op_code HASH_CREATE_SESSION refused (%lld, %d)",
		      (long long)sid, ret);
	}

	/* Closed sessions are gone. */
	s3 = vt_cipher_session(v, VUF_SESS_632, VIRTIO_CRYPTO_CIPHER_AES_CBC, key, 16, 1);
	tap_ok(s3 >= 0 && vuf_close_session(v, (uint64_t)s3) == 0 && vt_sync(v) == 0,
	      "session %lld created and closed", (long long)s3);
	vt_cipher_job(v, &j[0], s3, VIRTIO_CRYPTO_CIPHER_AES_CBC, key, 16, 1, 64, 0);
	j[0].ok_status = VUF_ST(VIRTIO_CRYPTO_INVSESS);
	vt_cipher_job(v, &j[1], s1, VIRTIO_CRYPTO_CIPHER_AES_CBC, key, 16, 1, 64, 0);
	vt_run_report(t, v, 1, j, 2, "closed session answers INVSESS, the other still works");
	vuf_close_session(v, (uint64_t)s3); /* twice: must be harmless */
	vuf_close_session(v, 0xdeadbeefULL);
	tap_ok(vuf_alive(v), "closing a closed or unknown session keeps the connection");

	{
		int ret = vuf_get_vring_base(v, 0, &base);

		tap_ok(ret == 0 && base == v->vq[0].avail_idx,
		      "GET_VRING_BASE answers %u after %u requests (%d)", base, v->vq[0].avail_idx,
		      ret);
		/* The device stopped: requests made now wait until QEMU starts it
		 * again (SET_VRING_NUM/BASE/ADDR/KICK/CALL), then complete. */
		nstop = v->vq[0].num < 4 ? v->vq[0].num : 4;
		for (int i = 0; i < nstop; i++) {
			vt_cipher_job(v, &j[i], s1, VIRTIO_CRYPTO_CIPHER_AES_CBC, key, 16, 1,
				      16 * (1 + vuf_rand(v) % 64), 0);
			vuf_place(v, &j[i].chain, j[i].out, j[i].out_len, j[i].in_len, &j[i].po);
			j[i].chain.indirect = true;
			vuf_submit(&v->vq[0], &j[i].chain, &j[i]);
		}
		vuf_kick(&v->vq[0], true);
		{
			void *ck;
			uint32_t ul;
			int r = vuf_wait(&v->vq[0], 300, &ck, &ul);

			tap_ok(r == 0, "stopped queue serves nothing (%d)", r);
		}
		ret = vuf_vring_restart(v, 0, base);
		vuf_kick(&v->vq[0], true);
		for (int i = 0; i < nstop; i++) {
			void *ck;
			uint32_t ul;

			if (vuf_wait(&v->vq[0], t->timeout_ms, &ck, &ul) != 1)
				break;
			((struct vuf_job *)ck)->done = true;
		}
		{
			bool all = ret == 0;

			for (int i = 0; i < nstop; i++) {
				uint8_t *in = malloc(j[i].in_len);

				vuf_gather(v, &j[i].chain, in);
				all &= j[i].done && in[j[i].in_len - 1] == 0 &&
				       !memcmp(in, j[i].expect, j[i].expect_len);
				free(in);
				vuf_job_free(&j[i]);
			}
			vuf_mem_reset(v);
			tap_ok(all,
			      "restarted at base %u: the 4 requests made while stopped complete "
			      "correctly",
			      base);
		}
	}
	vuf_free(v);

	/* QEMU replaces the call fd (guest notifier masking) and the kick fd
	 * while the device runs: later completions must use the new ones. */
	v = vt_open(t, 1);
	if (v) {
		struct vuf_vq *q = &v->vq[0];
		int nk = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK),
		    nc = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		uint64_t idx = 0;
		int64_t s4 = vt_cipher_session(v, VUF_SESS_632, VIRTIO_CRYPTO_CIPHER_AES_CBC, key,
					       16, 1);
		int r1, r2;

		for (int i = 0; i < 4; i++)
			vt_cipher_job(v, &j[i], s4, VIRTIO_CRYPTO_CIPHER_AES_CBC, key, 16, 1, 4096,
				      0);
		vt_run_report(t, v, 1, j, 4, "before replacing the kick and call fds");
		r1 = vuf_send(v, VUF_SET_VRING_CALL, VUF_F_VERSION, &idx, 8, &nc, 1);
		r2 = vuf_send(v, VUF_SET_VRING_KICK, VUF_F_VERSION, &idx, 8, &nk, 1);
		vt_sync(v);
		close(q->call_fd);
		close(q->kick_fd);
		q->call_fd = nc;
		q->kick_fd = nk;
		q->missing_calls = 0;
		for (int i = 0; i < 8; i++)
			vt_cipher_job(v, &j[i], s4, VIRTIO_CRYPTO_CIPHER_AES_CBC, key, 16, 1, 4096,
				      0);
		vt_run_report(t, v, 1, j, 8,
			      "after SET_VRING_CALL and SET_VRING_KICK with new eventfds");
		tap_ok(r1 == 0 && r2 == 0 && q->missing_calls == 0,
		      "completions are signalled on the new call fd (%llu missing)",
		      (unsigned long long)q->missing_calls);
		vuf_free(v);
	}

	/* SET_VRING_ENABLE (newer frontends): a disabled ring is not served,
	 * enabling it again serves what waited. */
	v = vt_open(t, 1);
	if (v) {
		uint32_t st[2] = {0, 0};
		int64_t s5 = vt_cipher_session(v, VUF_SESS_632, VIRTIO_CRYPTO_CIPHER_AES_CBC, key,
					       16, 1);
		int64_t a0 = vuf_call_ack(v, VUF_SET_VRING_ENABLE, st, 8, NULL, 0), a1;
		void *ck;
		uint32_t ul;
		int r0, r1 = 0;
		bool right;
		uint8_t *in;

		vt_cipher_job(v, &j[0], s5, VIRTIO_CRYPTO_CIPHER_AES_CBC, key, 16, 1, 512, 0);
		vuf_place(v, &j[0].chain, j[0].out, j[0].out_len, j[0].in_len, &j[0].po);
		vuf_submit(&v->vq[0], &j[0].chain, &j[0]);
		vuf_kick(&v->vq[0], true);
		r0 = vuf_wait(&v->vq[0], 300, &ck, &ul);
		st[1] = 1;
		a1 = vuf_call_ack(v, VUF_SET_VRING_ENABLE, st, 8, NULL, 0);
		vuf_kick(&v->vq[0], true);
		if (r0 == 0)
			r1 = vuf_wait(&v->vq[0], t->timeout_ms, &ck, &ul);
		in = malloc(j[0].in_len);
		vuf_gather(v, &j[0].chain, in);
		right = in[j[0].in_len - 1] == 0 && !memcmp(in, j[0].expect, j[0].expect_len);
		free(in);
		vuf_job_free(&j[0]);
		tap_ok(a0 == 0 && a1 == 0 && r0 == 0 && r1 == 1 && right,
		      "SET_VRING_ENABLE 0 holds requests back, 1 serves them (acks %lld/%lld, "
		      "waits %d/%d)",
		      (long long)a0, (long long)a1, r0, r1);
		vuf_free(v);
	}

	/* Sessions belong to their connection: the next frontend cannot use
	 * the ids of the last one. */
	v = vt_open(t, 1);
	if (!tap_ok(v != NULL, "a second frontend connects after the first left"))
		return;
	vt_cipher_job(v, &j[0], s1, VIRTIO_CRYPTO_CIPHER_AES_CBC, key, 16, 1, 64, 0);
	j[0].ok_status = VUF_ST(VIRTIO_CRYPTO_INVSESS);
	vt_cipher_job(v, &j[1], s2, VIRTIO_CRYPTO_CIPHER_AES_CBC, key, 16, 1, 64, 0);
	j[1].ok_status = VUF_ST(VIRTIO_CRYPTO_INVSESS);
	vt_run_report(t, v, 1, j, 2, "the previous connection's session ids answer INVSESS");
	vuf_free(v);
}

/* ---------------- services ---------------- */

static const uint32_t vt_macs[] = {VIRTIO_CRYPTO_MAC_HMAC_SHA1,	   VIRTIO_CRYPTO_MAC_HMAC_SHA_224,
				   VIRTIO_CRYPTO_MAC_HMAC_SHA_256, VIRTIO_CRYPTO_MAC_HMAC_SHA_384,
				   VIRTIO_CRYPTO_MAC_HMAC_SHA_512, VIRTIO_CRYPTO_MAC_HMAC_MD5};

static void suite_ciphers(struct vt *t, struct vuf *v)
{
	enum { N = 12 };
	struct vuf_job j[N];

	for (unsigned int k = 0; k < AES_NCASES; k++) {
		for (int enc = 1; enc >= 0; enc--) {
			uint8_t key[64];
			char what[96];
			int64_t sid;
			int layout = (vuf_rand(v) & 1) ? VUF_SESS_632 : VUF_SESS_1072;

			snprintf(what, sizeof(what), "%s-%u %s (%u-byte session)",
				 vuf_cipher_name(aes_cases[k].alg), aes_cases[k].keylen * 8,
				 enc ? "encrypt" : "decrypt", layout);
			if (!vt_want(t, what))
				continue;
			vuf_rand_bytes(v, key, sizeof(key));
			sid = vt_cipher_session(v, layout, aes_cases[k].alg, key, aes_cases[k].keylen, enc);
			if (!tap_ok(sid >= 0, "%s: session created", what))
				continue;
			for (int i = 0; i < N; i++) {
				size_t len;

				if (aes_cases[k].alg == VIRTIO_CRYPTO_CIPHER_AES_CTR)
					len = 1 + vuf_rand(v) % 5000;
				else if (aes_cases[k].alg == VIRTIO_CRYPTO_CIPHER_AES_XTS && (i & 1))
					len = 16 + vuf_rand(v) % 5000; /* ciphertext stealing */
				else
					len = 16 * (1 + vuf_rand(v) % 300);
				if (i == 0)
					len = aes_cases[k].alg == VIRTIO_CRYPTO_CIPHER_AES_CTR ? 1 : 16;
				/* Every fourth like the stock driver: a writable area
				 * longer than dst_data_len that must stay untouched. */
				vt_cipher_job(v, &j[i], sid, aes_cases[k].alg, key, aes_cases[k].keylen, enc, len,
					      (i % 4 == 3) ? 1 + vuf_rand(v) % 700 : 0);
			}
			vt_run_report(t, v, 1, j, N, what);
			vuf_close_session(v, (uint64_t)sid);
		}
	}
	/* In-place, as the kernel's self-test does: src and dst over the same bytes. */
	if (vt_want(t, "in-place")) {
		uint8_t key[16];
		int64_t sid;
		unsigned int bad = 0;

		vuf_rand_bytes(v, key, sizeof(key));
		sid = vt_cipher_session(v, VUF_SESS_632, VIRTIO_CRYPTO_CIPHER_AES_CBC, key, 16, 1);
		for (int i = 0; i < 8; i++) {
			struct vuf_job *jj = &j[0];
			uint64_t g;
			uint8_t *h, *res;
			size_t len = 16 * (1 + vuf_rand(v) % 64), half;
			void *ck;
			uint32_t ul;

			vt_cipher_job(v, jj, sid, VIRTIO_CRYPTO_CIPHER_AES_CBC, key, 16, 1, len, 0);
			half = 1 + vuf_rand(v) % (len - 1);
			g = vuf_alloc(v, -1, len + 1, 1);
			h = vuf_gpa(v, g, len + 1);
			memcpy(h, jj->out + VUF_HDR_LEN + 16, len);
			{
				uint64_t hg = vuf_alloc(v, -1, VUF_HDR_LEN + 16, 8);

				memcpy(vuf_gpa(v, hg, VUF_HDR_LEN + 16), jj->out, VUF_HDR_LEN + 16);
				jj->chain.nseg = 0;
				jj->chain.seg[jj->chain.nseg++] =
					(struct vuf_seg){hg, VUF_HDR_LEN + 16, false};
			}
			jj->chain.seg[jj->chain.nseg++] =
				(struct vuf_seg){g, (uint32_t)half, false};
			jj->chain.seg[jj->chain.nseg++] =
				(struct vuf_seg){g + half, (uint32_t)(len - half), false};
			jj->chain.seg[jj->chain.nseg++] =
				(struct vuf_seg){g, (uint32_t)(len + 1), true};
			jj->chain.indirect = i & 1;
			res = h;
			if (vuf_submit(&v->vq[0], &jj->chain, jj) ||
			    (vuf_kick(&v->vq[0], false), 0) ||
			    vuf_wait(&v->vq[0], t->timeout_ms, &ck, &ul) != 1 || res[len] != 0 ||
			    memcmp(res, jj->expect, len))
				bad++;
			vuf_job_free(jj);
			vuf_mem_reset(v);
		}
		tap_ok(bad == 0,
		      "in-place AES-CBC (src and dst over the same guest bytes): %d of 8 wrong",
		      bad);
		vuf_close_session(v, (uint64_t)sid);
	}
	/* src and dst overlapping in part (each one descriptor): every input
	 * byte must be read before any output byte is written. */
	if (vt_want(t, "overlap")) {
		static const int shift[] = {-100, -17, -16, -1, 1, 15, 16, 64, 1000};
		uint8_t key[32];
		int64_t sid;
		unsigned int bad = 0;

		vuf_rand_bytes(v, key, sizeof(key));
		sid = vt_cipher_session(v, VUF_SESS_632, VIRTIO_CRYPTO_CIPHER_AES_CTR, key, 32, 1);
		for (unsigned int i = 0; i < sizeof(shift) / sizeof(shift[0]); i++) {
			struct vuf_job *jj = &j[0];
			size_t len = 512 + vuf_rand(v) % 1500;
			int k = shift[i];
			uint64_t g, hg, sg, dg, stg;
			void *ck;
			uint32_t ul;

			vt_cipher_job(v, jj, sid, VIRTIO_CRYPTO_CIPHER_AES_CTR, key, 32, 1, len, 0);
			g = vuf_alloc(v, -1, len + 2000, 1);
			sg = g + (k < 0 ? (uint64_t)-k : 0);
			dg = g + (k > 0 ? (uint64_t)k : 0);
			hg = vuf_alloc(v, -1, VUF_HDR_LEN + 16, 8);
			stg = vuf_alloc(v, -1, 1, 1);
			memcpy(vuf_gpa(v, hg, VUF_HDR_LEN + 16), jj->out, VUF_HDR_LEN + 16);
			memcpy(vuf_gpa(v, sg, len), jj->out + VUF_HDR_LEN + 16, len);
			*(uint8_t *)vuf_gpa(v, stg, 1) = 0xee;
			jj->chain.nseg = 4;
			jj->chain.seg[0] = (struct vuf_seg){hg, VUF_HDR_LEN + 16, false};
			jj->chain.seg[1] = (struct vuf_seg){sg, (uint32_t)len, false};
			jj->chain.seg[2] = (struct vuf_seg){dg, (uint32_t)len, true};
			jj->chain.seg[3] = (struct vuf_seg){stg, 1, true};
			jj->chain.indirect = i & 1;
			if (vuf_submit(&v->vq[0], &jj->chain, jj) ||
			    (vuf_kick(&v->vq[0], false), 0) ||
			    vuf_wait(&v->vq[0], t->timeout_ms, &ck, &ul) != 1 ||
			    *(uint8_t *)vuf_gpa(v, stg, 1) != 0 ||
			    memcmp(vuf_gpa(v, dg, len), jj->expect, len)) {
				if (bad++ < 3)
					tap_note("  overlap: dst = src %+d bytes, %zu bytes: wrong "
						"result",
						k, len);
			}
			vuf_job_free(jj);
			vuf_mem_reset(v);
		}
		tap_ok(bad == 0,
		      "AES-256-CTR with dst overlapping src in part (shifted -100..+1000 bytes): "
		      "%u of 9 wrong",
		      bad);
		vuf_close_session(v, (uint64_t)sid);
	}
}

static void suite_chaining(struct vt *t, struct vuf *v)
{
	enum { N = 6 };
	struct vuf_job j[N];

	for (unsigned int m = 0; m < sizeof(vt_macs) / sizeof(vt_macs[0]); m++) {
		for (int order = 1; order <= 2; order++) {
			for (int enc = 1; enc >= 0; enc--) {
				struct vt_chain_case c = {0};
				uint8_t key[32], akey[200];
				char what[128];
				int64_t sid;
				int layout = (vuf_rand(v) & 1) ? VUF_SESS_632 : VUF_SESS_1072;

				c.alg = (m & 1) ? VIRTIO_CRYPTO_CIPHER_AES_CTR
						: VIRTIO_CRYPTO_CIPHER_AES_CBC;
				c.keylen = (m & 2) ? 32 : 16;
				c.mac = vt_macs[m];
				c.akeylen =
					1 + vuf_rand(v) % 150; /* longer than a block, sometimes */
				c.hlen = vuf_mac_len(c.mac);
				c.enc = enc;
				c.order = order;
				c.key = key;
				c.akey = akey;
				snprintf(what, sizeof(what),
					 "chaining %s-%u + %s %s %s (%d-byte session)",
					 vuf_cipher_name(c.alg), c.keylen * 8, vuf_mac_name(c.mac),
					 order == 1 ? "hash-then-cipher" : "cipher-then-hash",
					 enc ? "encrypt" : "decrypt", layout);
				if (!vt_want(t, what))
					continue;
				vuf_rand_bytes(v, key, sizeof(key));
				vuf_rand_bytes(v, akey, sizeof(akey));
				sid = vt_chain_session(v, layout, c.alg, key, c.keylen, enc, c.mac,
						       akey, c.akeylen, c.hlen, order);
				if (!tap_ok(sid >= 0, "%s: session created", what))
					continue;
				for (int i = 0; i < N; i++) {
					c.src_len = 16 * (1 + vuf_rand(v) % 200);
					c.c_off = 0;
					c.c_len = c.src_len;
					c.h_off = 0;
					c.h_len = c.src_len;
					c.aad_len = 0;
					if (i >= 4) {
						/* Partial ranges (ESP-like: header hashed, not
						 * ciphered) and additional data. */
						c.c_off = 16 * (vuf_rand(v) % (c.src_len / 16));
						c.c_len = c.src_len - c.c_off;
						c.h_off = (uint32_t)(vuf_rand(v) % c.src_len);
						c.h_len = (uint32_t)(vuf_rand(v) %
								     (c.src_len - c.h_off + 1));
						c.aad_len = (uint32_t)(vuf_rand(v) % 40);
					}
					vt_chain_job(v, &j[i], sid, &c);
				}
				vt_run_report(t, v, 1, j, N, what);
				vuf_close_session(v, (uint64_t)sid);
			}
		}
	}
	/* Truncated MAC (IPsec style: 96 bits of HMAC-SHA1). */
	if (vt_want(t, "truncated")) {
		struct vt_chain_case c = {.alg = VIRTIO_CRYPTO_CIPHER_AES_CBC,
					  .keylen = 16,
					  .mac = VIRTIO_CRYPTO_MAC_HMAC_SHA1,
					  .akeylen = 20,
					  .hlen = 12,
					  .enc = 1,
					  .order = 2};
		uint8_t key[16], akey[20];
		int64_t sid;

		vuf_rand_bytes(v, key, sizeof(key));
		vuf_rand_bytes(v, akey, sizeof(akey));
		c.key = key;
		c.akey = akey;
		sid = vt_chain_session(v, VUF_SESS_632, c.alg, key, 16, 1, c.mac, akey, 20, 12, 2);
		tap_ok(sid >= 0, "chaining with 12-byte HMAC-SHA1: session created");
		for (int i = 0; i < N; i++) {
			c.src_len = c.c_len = c.h_len = 16 * (1 + vuf_rand(v) % 100);
			vt_chain_job(v, &j[i], sid, &c);
		}
		vt_run_report(t, v, 1, j, N,
			      "chaining AES-128-CBC + HMAC-SHA1-96 cipher-then-hash");
		vuf_close_session(v, (uint64_t)sid);
	}
}

static void suite_mac_only(struct vt *t, struct vuf *v)
{
	enum { N = 6 };
	struct vuf_job j[N];

	for (unsigned int m = 0; m < sizeof(vt_macs) / sizeof(vt_macs[0]); m++) {
		struct vt_chain_case c = {0};
		uint8_t akey[300];
		char what[128];
		int64_t sid;

		c.alg = VIRTIO_CRYPTO_NO_CIPHER;
		c.mac = vt_macs[m];
		c.akeylen = 1 + vuf_rand(v) % 300;
		c.hlen = vuf_mac_len(c.mac);
		c.enc = 1;
		c.order = VIRTIO_CRYPTO_SYM_ALG_CHAIN_ORDER_CIPHER_THEN_HASH;
		c.akey = akey;
		c.no_dst = true;
		snprintf(what, sizeof(what), "MAC only: NO_CIPHER chaining + %s (632-byte session)",
			 vuf_mac_name(c.mac));
		if (!vt_want(t, what))
			continue;
		vuf_rand_bytes(v, akey, sizeof(akey));
		sid = vt_chain_session(v, VUF_SESS_632, VIRTIO_CRYPTO_NO_CIPHER, NULL, 0, 1, c.mac,
				       akey, c.akeylen, c.hlen, c.order);
		if (!tap_ok(sid >= 0, "%s: session created", what))
			continue;
		for (int i = 0; i < N; i++) {
			c.src_len = (uint32_t)(vuf_rand(v) % 3000);
			c.h_off = 0;
			c.h_len = c.src_len;
			vt_chain_job(v, &j[i], sid, &c);
		}
		vt_run_report(t, v, 1, j, N, what);
		vuf_close_session(v, (uint64_t)sid);
	}
}

/* Plain digests: chaining with NO_CIPHER and hash_mode PLAIN. */
static void suite_hash(struct vt *t, struct vuf *v)
{
	static const uint32_t hs[] = {VIRTIO_CRYPTO_HASH_MD5,	  VIRTIO_CRYPTO_HASH_SHA1,
				      VIRTIO_CRYPTO_HASH_SHA_224, VIRTIO_CRYPTO_HASH_SHA_256,
				      VIRTIO_CRYPTO_HASH_SHA_384, VIRTIO_CRYPTO_HASH_SHA_512};
	enum { N = 8 };
	struct vuf_job j[N];

	for (unsigned int k = 0; k < sizeof(hs) / sizeof(hs[0]); k++) {
		for (int full = 1; full >= 0; full--) {
			struct vt_chain_case c = {0};
			char what[128];
			int64_t sid;
			int layout = (vuf_rand(v) & 1) ? VUF_SESS_632 : VUF_SESS_1072;

			c.alg = VIRTIO_CRYPTO_NO_CIPHER;
			c.mac = hs[k];
			c.plain = true;
			/* a truncated digest too (hash_result_len below the size) */
			c.hlen = full ? vuf_mac_len(hs[k]) : vuf_mac_len(hs[k]) - 4;
			c.order = VIRTIO_CRYPTO_SYM_ALG_CHAIN_ORDER_CIPHER_THEN_HASH;
			c.no_dst = true;
			snprintf(what, sizeof(what),
				 "plain %s/%u: NO_CIPHER chaining (%d-byte session)",
				 vuf_hash_name(hs[k]), c.hlen, layout);
			if (!vt_want(t, what))
				continue;
			sid = vt_hash_session(v, layout, hs[k], c.hlen);
			if (!tap_ok(sid >= 0, "%s: session created", what))
				continue;
			for (int i = 0; i < N; i++) {
				/* 0 bytes, a block boundary, then random lengths */
				c.src_len = i == 0   ? 0
					    : i == 1 ? 64
						     : (uint32_t)(vuf_rand(v) % 5000);
				c.h_off = 0;
				c.h_len = c.src_len;
				c.aad_len = 0;
				if (i >= 5 && c.src_len) {
					c.h_off = (uint32_t)(vuf_rand(v) % c.src_len);
					c.h_len =
						(uint32_t)(vuf_rand(v) % (c.src_len - c.h_off + 1));
					c.aad_len = (uint32_t)(vuf_rand(v) % 70);
				}
				vt_chain_job(v, &j[i], sid, &c);
			}
			vt_run_report(t, v, 1, j, N, what);
			vuf_close_session(v, (uint64_t)sid);
		}
	}
}

/* Fills n bytes: hex digits if spec starts with "0x", else the text itself,
 * or `fill` repeated when spec is NULL. */
static uint32_t vt_bytes(uint8_t *out, const char *spec, uint8_t fill, uint32_t n)
{
	if (!spec) {
		memset(out, fill, n);
		return n;
	}
	if (!strncmp(spec, "0x", 2)) {
		n = (uint32_t)(strlen(spec) - 2) / 2;
		for (uint32_t i = 0; i < n; i++)
			sscanf(spec + 2 + 2 * i, "%2hhx", &out[i]);
		return n;
	}
	n = (uint32_t)strlen(spec);
	memcpy(out, spec, n);
	return n;
}

/*
 * MD5 and HMAC-MD5 known answers: RFC 1321 appendix A.5 and RFC 2202 section
 * 2 (all test cases), independent of OpenSSL and of vcryptod; then a request
 * asking for more digest bytes than the session has.
 */
static void suite_md5_kat(struct vt *t, struct vuf *v)
{
	static const char *const md5[][2] = {
		{"", "d41d8cd98f00b204e9800998ecf8427e"},
		{"a", "0cc175b9c0f1b6a831c399e269772661"},
		{"abc", "900150983cd24fb0d6963f7d28e17f72"},
		{"message digest", "f96b697d7cb7938d525a2f31aaf161d0"},
		{"abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b"},
		{"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
		 "d174ab98d277d9f5a5611c2c9f419d9f"},
		{"1234567890123456789012345678901234567890123456789012345678901234567890123456"
		 "7890",
		 "57edf4a22be3c955ac49da2e2107b67a"},
	};
	static const struct {
		const char *key; /* NULL: kfill repeated klen times */
		uint8_t kfill;
		uint32_t klen;
		const char *data; /* NULL: dfill repeated dlen times */
		uint8_t dfill;
		uint32_t dlen;
		const char *mac;
		uint32_t hlen;
	} hm[] = {
		{NULL, 0x0b, 16, "Hi There", 0, 0, "9294727a3638bb1c13f48ef8158bfc9d", 16},
		{"Jefe", 0, 0, "what do ya want for nothing?", 0, 0,
		 "750c783e6ab0b503eaa86e310a5db738", 16},
		{NULL, 0xaa, 16, NULL, 0xdd, 50, "56be34521d144c88dbb8c733f0e8b3f6", 16},
		{"0x0102030405060708090a0b0c0d0e0f10111213141516171819", 0, 0, NULL, 0xcd, 50,
		 "697eaf0aca3a3aea3a75164746ffaa79", 16},
		{NULL, 0x0c, 16, "Test With Truncation", 0, 0, "56461ef2342edc00f9bab995690efd4c",
		 16},
		{NULL, 0x0c, 16, "Test With Truncation", 0, 0, "56461ef2342edc00f9bab995", 12},
		{NULL, 0xaa, 80, "Test Using Larger Than Block-Size Key - Hash Key First", 0, 0,
		 "6b1ab7fe4bd7bf8f0b62e6ce61b9d0cd", 16},
		{NULL, 0xaa, 80,
		 "Test Using Larger Than Block-Size Key and Larger Than One Block-Size Data", 0, 0,
		 "6f630fad67cda0ee1fb1f562db3aa53e", 16},
	};
	enum { NM = sizeof(md5) / sizeof(md5[0]) };
	struct vuf_job j[NM + 2];
	uint8_t want[16], key[80], data[80];
	int64_t sid;

	if (vt_want(t, "MD5 RFC 1321")) {
		sid = vt_hash_session(v, VUF_SESS_632, VIRTIO_CRYPTO_HASH_MD5, 16);
		if (tap_ok(sid >= 0, "plain MD5 session created (%lld)", (long long)sid)) {
			for (unsigned int i = 0; i < NM; i++) {
				for (int b = 0; b < 16; b++)
					sscanf(md5[i][1] + 2 * b, "%2hhx", &want[b]);
				vt_digest_job(v, &j[i], sid, (const uint8_t *)md5[i][0],
					      (uint32_t)strlen(md5[i][0]), want, 16, 16);
			}
			vt_run_report_ref(t, v, 1, j, NM,
					  "MD5 RFC 1321 A.5 test suite (7 messages, split over "
					  "descriptors)",
					  "RFC 1321");
			/* more digest bytes than MD5 has, or fewer than the session's */
			vt_digest_job(v, &j[0], sid, (const uint8_t *)"abc", 3, want, 16, 17);
			vt_digest_job(v, &j[1], sid, (const uint8_t *)"abc", 3, want, 16, 15);
			vt_run_report_ref(t, v, 1, j, 2,
					  "MD5 request with hash_result_len 17 or 15 (session: 16)",
					  "BADMSG");
			vuf_close_session(v, (uint64_t)sid);
		}
	}
	if (!vt_want(t, "HMAC-MD5 RFC 2202"))
		return;
	for (unsigned int i = 0; i < sizeof(hm) / sizeof(hm[0]); i++) {
		uint32_t klen = vt_bytes(key, hm[i].key, hm[i].kfill, hm[i].klen);
		uint32_t dlen = vt_bytes(data, hm[i].data, hm[i].dfill, hm[i].dlen);

		for (uint32_t b = 0; b < hm[i].hlen; b++)
			sscanf(hm[i].mac + 2 * b, "%2hhx", &want[b]);
		sid = vt_chain_session(v, (i & 1) ? VUF_SESS_1072 : VUF_SESS_632,
				       VIRTIO_CRYPTO_NO_CIPHER, NULL, 0, 1,
				       VIRTIO_CRYPTO_MAC_HMAC_MD5, key, klen, hm[i].hlen,
				       VIRTIO_CRYPTO_SYM_ALG_CHAIN_ORDER_CIPHER_THEN_HASH);
		if (!tap_ok(sid >= 0, "HMAC-MD5/%u MAC-only session, %u-byte key (%lld)",
			   hm[i].hlen, klen, (long long)sid))
			continue;
		vt_digest_job(v, &j[0], sid, data, dlen, want, hm[i].hlen, hm[i].hlen);
		vt_digest_job(v, &j[1], sid, data, dlen, want, hm[i].hlen, hm[i].hlen + 1);
		{
			char what[96];

			snprintf(what, sizeof(what),
				 "HMAC-MD5 RFC 2202 case %u%s (and hash_result_len %u refused)",
				 i < 5 ? i + 1 : i, i == 5 ? " (96 bits)" : "", hm[i].hlen + 1);
			vt_run_report_ref(t, v, 1, j, 2, what, "RFC 2202 / BADMSG");
		}
		vuf_close_session(v, (uint64_t)sid);
	}
}

/* ---------------- RSA ---------------- */

struct vt_rsa {
	EVP_PKEY *pkey;
	uint8_t *priv, *pub;
	int privlen, publen;
	size_t n; /* modulus bytes */
};

static int vt_rsa_gen(struct vt_rsa *r, unsigned int bits)
{
	memset(r, 0, sizeof(*r));
	r->pkey = EVP_RSA_gen(bits);
	if (!r->pkey)
		return -1;
	r->privlen = i2d_PrivateKey(r->pkey, &r->priv); /* PKCS#1 RSAPrivateKey */
	r->publen = i2d_PublicKey(r->pkey, &r->pub); /* PKCS#1 RSAPublicKey */
	r->n = (size_t)EVP_PKEY_get_size(r->pkey);
	return r->privlen > 0 && r->publen > 0 ? 0 : -1;
}

static void vt_rsa_free(struct vt_rsa *r)
{
	EVP_PKEY_free(r->pkey);
	OPENSSL_free(r->priv);
	OPENSSL_free(r->pub);
}

static int64_t vt_rsa_session(struct vuf *v, struct vt_rsa *r, bool priv, uint32_t pad,
			      uint32_t hash)
{
	struct vuf_asym_sess s = {
		.algo = VIRTIO_CRYPTO_AKCIPHER_RSA,
		.keytype = priv ? VIRTIO_CRYPTO_AKCIPHER_KEY_TYPE_PRIVATE
				: VIRTIO_CRYPTO_AKCIPHER_KEY_TYPE_PUBLIC,
		.keylen = (uint32_t)(priv ? r->privlen : r->publen),
		.padding_algo = pad,
		.hash_algo = hash,
		.key = priv ? r->priv : r->pub,
	};
	int64_t sid = -1;

	if (vuf_create_asym(v, &s, &sid))
		return -1;
	return sid;
}

/* Local RSA operation: op 'e' encrypt, 'd' decrypt, 's' sign. */
static int vt_rsa_local(struct vt_rsa *r, char op, int pad, const EVP_MD *md, const uint8_t *in,
			size_t inlen, uint8_t *out, size_t *outlen)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(r->pkey, NULL);
	int ok = 0;

	if (!ctx)
		return -1;
	switch (op) {
	case 'e':
		ok = EVP_PKEY_encrypt_init(ctx) > 0 && EVP_PKEY_CTX_set_rsa_padding(ctx, pad) > 0 &&
		     EVP_PKEY_encrypt(ctx, out, outlen, in, inlen) > 0;
		break;
	case 'd':
		ok = EVP_PKEY_decrypt_init(ctx) > 0 && EVP_PKEY_CTX_set_rsa_padding(ctx, pad) > 0 &&
		     EVP_PKEY_decrypt(ctx, out, outlen, in, inlen) > 0;
		break;
	case 's':
		ok = EVP_PKEY_sign_init(ctx) > 0 && EVP_PKEY_CTX_set_rsa_padding(ctx, pad) > 0 &&
		     (!md || EVP_PKEY_CTX_set_signature_md(ctx, md) > 0) &&
		     EVP_PKEY_sign(ctx, out, outlen, in, inlen) > 0;
		break;
	}
	EVP_PKEY_CTX_free(ctx);
	return ok ? 0 : -1;
}

/* A request: readable = header || src (|| dst for verify); writable = dst || status. */
static int vt_rsa_job(struct vuf_job *j, int64_t sid, uint32_t opcode, const uint8_t *src,
		      size_t srclen, const uint8_t *dst_in, size_t dstlen, const uint8_t *expect,
		      size_t explen, uint8_t st, const char *name)
{
	bool verify = opcode == VIRTIO_CRYPTO_AKCIPHER_VERIFY;

	memset(j, 0, sizeof(*j));
	j->out_len = VUF_HDR_LEN + srclen + (verify ? dstlen : 0);
	j->out = malloc(j->out_len);
	j->expect = malloc(explen + 1);
	if (!j->out || !j->expect)
		return -1;
	vuf_hdr_akcipher(j->out, opcode, (uint64_t)sid, (uint32_t)srclen, (uint32_t)dstlen);
	memcpy(j->out + VUF_HDR_LEN, src, srclen);
	if (verify)
		memcpy(j->out + VUF_HDR_LEN + srclen, dst_in, dstlen);
	if (explen)
		memcpy(j->expect, expect, explen);
	j->expect_len = explen;
	j->in_len = (verify ? 0 : dstlen) + 1;
	j->ok_status = VUF_ST(st);
	j->data_status = VIRTIO_CRYPTO_OK;
	j->po.max_out_segs = 4;
	j->po.max_in_segs = 3;
	j->po.indirect = -1;
	j->po.canary = 0xa5;
	snprintf(j->name, sizeof(j->name), "%s", name);
	return 0;
}

static void suite_rsa(struct vt *t, struct vuf *v)
{
	struct vt_rsa r;
	uint8_t m[512], c[512], e[512], sig[512], dg[64];
	size_t cl, el;
	struct vuf_job j[12];
	unsigned int n = 0, pkcs1_dec = 0;
	int64_t pub_raw, priv_raw, pub_p1, priv_p1, priv_p1_none;

	if (!vt_want(t, "rsa"))
		return;
	if (!tap_ok(vt_rsa_gen(&r, 1024) == 0, "rsa: local 1024-bit key (DER %d/%d bytes)",
		   r.privlen, r.publen))
		return;
	pub_raw = vt_rsa_session(v, &r, false, VIRTIO_CRYPTO_RSA_RAW_PADDING,
				 VIRTIO_CRYPTO_RSA_NO_HASH);
	priv_raw = vt_rsa_session(v, &r, true, VIRTIO_CRYPTO_RSA_RAW_PADDING,
				  VIRTIO_CRYPTO_RSA_NO_HASH);
	pub_p1 = vt_rsa_session(v, &r, false, VIRTIO_CRYPTO_RSA_PKCS1_PADDING,
				VIRTIO_CRYPTO_RSA_SHA256);
	priv_p1 = vt_rsa_session(v, &r, true, VIRTIO_CRYPTO_RSA_PKCS1_PADDING,
				 VIRTIO_CRYPTO_RSA_SHA256);
	priv_p1_none = vt_rsa_session(v, &r, true, VIRTIO_CRYPTO_RSA_PKCS1_PADDING,
				      VIRTIO_CRYPTO_RSA_NO_HASH);
	tap_ok(pub_raw >= 0 && priv_raw >= 0 && pub_p1 >= 0 && priv_p1 >= 0 && priv_p1_none >= 0,
	      "rsa: public and private sessions, raw and PKCS#1 v1.5 (1072-byte layout): %lld %lld "
	      "%lld %lld %lld",
	      (long long)pub_raw, (long long)priv_raw, (long long)pub_p1, (long long)priv_p1,
	      (long long)priv_p1_none);
	{
		/* A private key is not a public key, and a 632-byte layout has no RSA. */
		struct vuf_asym_sess s = {.algo = VIRTIO_CRYPTO_AKCIPHER_RSA,
					  .keytype = VIRTIO_CRYPTO_AKCIPHER_KEY_TYPE_PUBLIC,
					  .keylen = (uint32_t)r.privlen,
					  .key = r.priv};
		int64_t sid = 0;

		vuf_create_asym(v, &s, &sid);
		tap_ok(sid < 0, "rsa: private DER offered as public key refused (%lld)",
		      (long long)sid);
		uint8_t big[2000] = {0};

		memcpy(big, r.priv, (size_t)r.privlen);
		s.key = big;
		s.keylen = 2000;
		s.keytype = VIRTIO_CRYPTO_AKCIPHER_KEY_TYPE_PRIVATE;
		vuf_create_asym(v, &s, &sid);
		s.key = r.priv;
		tap_ok(sid < 0, "rsa: keylen 2000 (> 1024 the message holds) refused (%lld)",
		      (long long)sid);
		s.keylen = (uint32_t)r.privlen;
		s.algo = VIRTIO_CRYPTO_AKCIPHER_ECDSA;
		vuf_create_asym(v, &s, &sid);
		tap_ok(sid < 0, "ecdsa session refused (%lld)", (long long)sid);
	}

	/* raw encrypt with the public key: m^e mod n, deterministic */
	vuf_rand_bytes(v, m, r.n);
	m[0] = 0;
	cl = sizeof(c);
	vt_rsa_local(&r, 'e', RSA_NO_PADDING, NULL, m, r.n, c, &cl);
	vt_rsa_job(&j[n++], pub_raw, VIRTIO_CRYPTO_AKCIPHER_ENCRYPT, m, r.n, NULL, r.n, c, cl,
		   VIRTIO_CRYPTO_OK, "raw encrypt");
	/* raw decrypt with the private key */
	vt_rsa_job(&j[n++], priv_raw, VIRTIO_CRYPTO_AKCIPHER_DECRYPT, c, cl, NULL, r.n, m, r.n,
		   VIRTIO_CRYPTO_OK, "raw decrypt");
	/* raw sign = m^d */
	el = sizeof(e);
	vt_rsa_local(&r, 's', RSA_NO_PADDING, NULL, m, r.n, e, &el);
	vt_rsa_job(&j[n++], priv_raw, VIRTIO_CRYPTO_AKCIPHER_SIGN, m, r.n, NULL, r.n, e, el,
		   VIRTIO_CRYPTO_OK, "raw sign");
	/* PKCS#1 decrypt of what OpenSSL encrypted: plaintext then zeros */
	vuf_rand_bytes(v, m, 40);
	cl = sizeof(c);
	vt_rsa_local(&r, 'e', RSA_PKCS1_PADDING, NULL, m, 40, c, &cl);
	/* dst_data_len bytes are written: the plaintext, then zeros; the used
	 * length tells the plaintext's length. */
	memset(m + 40, 0, r.n - 40);
	vt_rsa_job(&j[n++], priv_p1, VIRTIO_CRYPTO_AKCIPHER_DECRYPT, c, cl, NULL, r.n, m, r.n,
		   VIRTIO_CRYPTO_OK, "pkcs1 decrypt");
	pkcs1_dec = n - 1;
	/* PKCS#1 sign of a SHA-256 digest (DigestInfo added), deterministic */
	vuf_rand_bytes(v, dg, 32);
	el = sizeof(e);
	vt_rsa_local(&r, 's', RSA_PKCS1_PADDING, EVP_sha256(), dg, 32, e, &el);
	vt_rsa_job(&j[n++], priv_p1, VIRTIO_CRYPTO_AKCIPHER_SIGN, dg, 32, NULL, r.n, e, el,
		   VIRTIO_CRYPTO_OK, "pkcs1 sign sha256");
	memcpy(sig, e, el);
	/* PKCS#1 sign without a hash: type-1 padding of the input */
	el = sizeof(e);
	vt_rsa_local(&r, 's', RSA_PKCS1_PADDING, NULL, dg, 20, e, &el);
	vt_rsa_job(&j[n++], priv_p1_none, VIRTIO_CRYPTO_AKCIPHER_SIGN, dg, 20, NULL, r.n, e, el,
		   VIRTIO_CRYPTO_OK, "pkcs1 sign no-hash");
	/* verify: good and bad signatures */
	vt_rsa_job(&j[n++], pub_p1, VIRTIO_CRYPTO_AKCIPHER_VERIFY, sig, r.n, dg, 32, NULL, 0,
		   VIRTIO_CRYPTO_OK, "pkcs1 verify good");
	sig[5] ^= 1;
	vt_rsa_job(&j[n++], pub_p1, VIRTIO_CRYPTO_AKCIPHER_VERIFY, sig, r.n, dg, 32, NULL, 0,
		   VIRTIO_CRYPTO_KEY_REJECTED, "pkcs1 verify bad signature");
	sig[5] ^= 1;
	dg[0] ^= 0x80;
	vt_rsa_job(&j[n++], pub_p1, VIRTIO_CRYPTO_AKCIPHER_VERIFY, sig, r.n, dg, 32, NULL, 0,
		   VIRTIO_CRYPTO_KEY_REJECTED, "pkcs1 verify wrong digest");
	/* decrypt with a public-key session is not possible */
	vt_rsa_job(&j[n++], pub_raw, VIRTIO_CRYPTO_AKCIPHER_DECRYPT, c, cl, NULL, r.n, NULL, 0,
		   VIRTIO_CRYPTO_BADMSG, "decrypt with public key");
	j[n - 1].ok_status |= VUF_ST(VIRTIO_CRYPTO_ERR) | VUF_ST(VIRTIO_CRYPTO_NOTSUPP);
	/* an RSA session used for a cipher request */
	vt_cipher_job(v, &j[n], pub_raw, VIRTIO_CRYPTO_CIPHER_AES_CBC, dg, 16, 1, 32, 0);
	j[n].ok_status = VUF_ST(VIRTIO_CRYPTO_INVSESS) | VUF_ST(VIRTIO_CRYPTO_BADMSG);
	snprintf(j[n++].name, sizeof(j[0].name), "cipher request on an rsa session");
	vt_run_report(t, v, 1, j, n,
		      "rsa-1024 raw and PKCS#1 v1.5 encrypt/decrypt/sign/verify, bad cases");
	tap_ok(j[pkcs1_dec].used_len == 40 + 1,
	      "rsa: PKCS#1 decrypt reports the plaintext length in the used length (%u = 40 + "
	      "status)",
	      j[pkcs1_dec].used_len);

	/* PKCS#1 encrypt is randomised: check by decrypting locally. */
	{
		struct vuf_job jj;
		uint8_t back[512];
		size_t bl = sizeof(back);
		bool ok;

		vuf_rand_bytes(v, m, 50);
		vt_rsa_job(&jj, pub_p1, VIRTIO_CRYPTO_AKCIPHER_ENCRYPT, m, 50, NULL, r.n, NULL, 0,
			   VIRTIO_CRYPTO_OK, "pkcs1 encrypt");
		jj.data_status = 0xff; /* randomised: checked below instead */
		ok = vuf_run_jobs(v, 1, &jj, 1, 1) == 0 && vuf_job_pass(&jj) &&
		     vt_rsa_local(&r, 'd', RSA_PKCS1_PADDING, NULL, jj.in, r.n, back, &bl) == 0 &&
		     bl == 50 && !memcmp(back, m, 50);
		tap_ok(ok, "rsa: PKCS#1 encrypt, OpenSSL decrypts it back (status %s)",
		      vuf_status_name(jj.status));
		vuf_job_free(&jj);
		vuf_mem_reset(v);
	}
	vt_rsa_free(&r);
}

static void suite_services(struct vt *t)
{
	struct vuf *v = vt_open(t, 1);

	if (!tap_ok(v != NULL, "services: handshake"))
		return;
	suite_ciphers(t, v);
	suite_chaining(t, v);
	suite_mac_only(t, v);
	suite_hash(t, v);
	suite_md5_kat(t, v);
	suite_rsa(t, v);
	{
		/* A polling worker turns kicks back on when its window ends (<= 10 s). */
		uint16_t ev;

		for (int i = 0; i < 1000; i++) {
			ev = __atomic_load_n((uint16_t *)&v->vq[0].used->ring[v->vq[0].num],
					     __ATOMIC_ACQUIRE);
			if (ev == v->vq[0].avail_idx)
				break;
			usleep(10000);
		}
		tap_ok(ev == v->vq[0].avail_idx,
		      "services: avail_event published after the last request, once the worker "
		      "stops polling (%u, avail idx %u)",
		      ev, v->vq[0].avail_idx);
	}
	tap_ok(v->vq[0].missing_calls == 0,
	      "services: every completion was signalled on the call eventfd (%llu missing, %llu "
	      "kicks, %llu kicks saved by EVENT_IDX)",
	      (unsigned long long)v->vq[0].missing_calls, (unsigned long long)v->vq[0].kicks,
	      (unsigned long long)v->vq[0].kicks_saved);
	vuf_free(v);
}

/* ---------------- queues ---------------- */

static void suite_queues(struct vt *t)
{
	unsigned int nq = t->queues;
	struct vuf *v = vt_open(t, nq);
	enum { N = 96 };
	struct vuf_job *j = calloc(N, sizeof(*j));
	uint8_t key[32];
	int64_t sid;
	bool all = true;

	if (!tap_ok(v != NULL && j, "queues: handshake with %u data queues started", nq))
		goto out;
	vuf_rand_bytes(v, key, sizeof(key));
	sid = vt_cipher_session(v, VUF_SESS_632, VIRTIO_CRYPTO_CIPHER_AES_CBC, key, 32, 1);
	for (int i = 0; i < N; i++)
		vt_cipher_job(v, &j[i], sid, VIRTIO_CRYPTO_CIPHER_AES_CBC, key, 32, 1,
			      16 * (1 + vuf_rand(v) % 512), 0);
	vt_run_report(t, v, nq, j, N, "queues: AES-256-CBC spread over every queue at once");
	for (unsigned int q = 0; q < nq; q++)
		all &= v->vq[q].completions == N / nq + (q < N % nq);
	tap_ok(all, "queues: each queue completed its own requests");
	/* A session serves every queue; closing it is seen by all (once the
	 * control path has handled the message: QEMU does not wait either). */
	vuf_close_session(v, (uint64_t)sid);
	vt_sync(v);
	for (unsigned int i = 0; i < nq; i++) {
		vt_cipher_job(v, &j[i], sid, VIRTIO_CRYPTO_CIPHER_AES_CBC, key, 32, 1, 32, 0);
		j[i].ok_status = VUF_ST(VIRTIO_CRYPTO_INVSESS);
	}
	vt_run_report(t, v, nq, j, nq, "queues: a closed session is closed on every queue");
out:
	free(j);
	vuf_free(v);
}

/* ---------------- stress ---------------- */

/* Every queue driven by its own thread with requests checked one by one,
 * while the control path creates and closes other sessions: the session
 * table changing under busy workers must not disturb them. */
struct st_slot {
	struct vuf_chain chain;
	uint8_t *expect, *dst, *status;
	size_t len;
};

struct st_run {
	struct vuf_vq *q;
	struct st_slot *slot;
	unsigned int nslot;
	volatile bool *stop;
	uint64_t done, bad;
	int err;
};

static void *st_thread(void *arg)
{
	struct st_run *r = arg;
	unsigned int busy = 0;

	for (unsigned int i = 0; i < r->nslot; i++) {
		if (vuf_submit(r->q, &r->slot[i].chain, &r->slot[i]) == 0)
			busy++;
	}
	vuf_kick(r->q, false);
	while (busy) {
		void *ck;
		uint32_t len;
		int ret = vuf_wait(r->q, 5000, &ck, &len);
		struct st_slot *sl = ck;

		if (ret != 1) {
			r->err = ret ? ret : -ETIMEDOUT;
			return NULL;
		}
		busy--;
		r->done++;
		if (sl->status[0] != 0 || memcmp(sl->dst, sl->expect, sl->len))
			r->bad++;
		if (!*r->stop) {
			memset(sl->dst, 0xee, sl->len);
			sl->status[0] = 0xee;
			if (vuf_submit(r->q, &sl->chain, sl) == 0)
				busy++;
			vuf_kick(r->q, false);
		}
	}
	return NULL;
}

static void suite_stress(struct vt *t)
{
	unsigned int nq = t->queues < 4 ? t->queues : 4, churn = 0, churn_bad = 0;
	struct vuf *v = vt_open(t, nq);
	struct st_run run[4];
	pthread_t th[4];
	volatile bool stop = false;
	uint8_t key[32];
	uint64_t done = 0, bad = 0;
	int64_t sid;
	long t0;
	bool fail = false;

	if (!tap_ok(v != NULL, "stress: handshake with %u queues", nq))
		return;
	vuf_rand_bytes(v, key, sizeof(key));
	sid = vt_cipher_session(v, VUF_SESS_632, VIRTIO_CRYPTO_CIPHER_AES_XTS, key, 32, 1);
	for (unsigned int q = 0; q < nq; q++) {
		run[q] = (struct st_run){.q = &v->vq[q], .nslot = 32, .stop = &stop};
		run[q].slot = calloc(32, sizeof(*run[q].slot));
		for (unsigned int i = 0; i < 32; i++) {
			struct st_slot *sl = &run[q].slot[i];
			struct vuf_job j;

			vt_cipher_job(v, &j, sid, VIRTIO_CRYPTO_CIPHER_AES_XTS, key, 32, 1,
				      16 + vuf_rand(v) % 3000, 0);
			j.po.indirect = -1;
			j.po.max_in_segs = 1;
			vuf_place(v, &sl->chain, j.out, j.out_len, j.in_len, &j.po);
			if (sl->chain.indirect)
				sl->chain.ind_gpa = vuf_alloc(v, -1, 16ULL * sl->chain.nseg, 16);
			/* the writable stream is one piece here: dst then status */
			sl->len = j.expect_len;
			sl->expect = j.expect;
			j.expect = NULL;
			vuf_job_free(&j);
			sl->dst = NULL;
			for (unsigned int k = 0; k < sl->chain.nseg; k++)
				if (sl->chain.seg[k].write)
					sl->dst = vuf_gpa(v, sl->chain.seg[k].gpa,
							  sl->chain.seg[k].len);
			sl->status = sl->dst + sl->len;
		}
	}
	for (unsigned int q = 0; q < nq; q++)
		pthread_create(&th[q], NULL, st_thread, &run[q]);
	t0 = time(NULL);
	while (time(NULL) - t0 < 2) {
		int64_t ids[16];

		for (int i = 0; i < 16; i++) {
			ids[i] = vt_cipher_session(v, i & 1 ? VUF_SESS_1072 : VUF_SESS_632,
						   VIRTIO_CRYPTO_CIPHER_AES_CBC, key, 16, 1);
			if (ids[i] < 0 && !churn_bad++)
				tap_note("stress: session refused: %s", v->err);
			churn++;
		}
		for (int i = 0; i < 16; i++)
			vuf_close_session(v, (uint64_t)ids[i]);
	}
	stop = true;
	for (unsigned int q = 0; q < nq; q++) {
		pthread_join(th[q], NULL);
		done += run[q].done;
		bad += run[q].bad;
		if (run[q].err) {
			tap_note("stress: queue %u: %s", q, strerror(-run[q].err));
			fail = true;
		}
		for (unsigned int i = 0; i < 32; i++)
			free(run[q].slot[i].expect);
		free(run[q].slot);
	}
	tap_ok(!fail && bad == 0 && done > 0 && churn_bad == 0,
	      "stress: %u queue threads, %llu AES-256-XTS requests all correct (%llu wrong) while "
	      "%u sessions were created and closed (%u refused)",
	      nq, (unsigned long long)done, (unsigned long long)bad, churn, churn_bad);
	vuf_free(v);
}

/* ---------------- hold ---------------- */

/* A frontend that stays: sessions, requests in flight, then waits for the
 * daemon to go away (SIGTERM with a connection open must be clean too). */
static void suite_hold(struct vt *t)
{
	struct vuf *v = vt_open(t, 1);
	uint8_t key[32], akey[64];
	struct vuf_job j[32];
	int64_t sid = -1;
	int made = 0;

	if (!tap_ok(v != NULL, "hold: handshake"))
		return;
	vuf_rand_bytes(v, key, sizeof(key));
	vuf_rand_bytes(v, akey, sizeof(akey));
	for (int i = 0; i < 6; i++) {
		sid = vt_chain_session(v, i & 1 ? VUF_SESS_1072 : VUF_SESS_632,
				       VIRTIO_CRYPTO_CIPHER_AES_CBC, key, 32, 1,
				       VIRTIO_CRYPTO_MAC_HMAC_SHA_256, akey, 64, 32,
				       VIRTIO_CRYPTO_SYM_ALG_CHAIN_ORDER_CIPHER_THEN_HASH);
		made += sid >= 0;
	}
	for (int i = 0; i < 32; i++) {
		vt_cipher_job(v, &j[i], sid, VIRTIO_CRYPTO_CIPHER_AES_CBC, key, 32, 1, 4096, 0);
		vuf_place(v, &j[i].chain, j[i].out, j[i].out_len, j[i].in_len, &j[i].po);
		vuf_submit(&v->vq[0], &j[i].chain, &j[i]);
	}
	/* not kicked: they stay in the ring, unserved */
	tap_ok(made == 6,
	      "hold: 6 sessions open, 32 requests in the ring; waiting for the daemon to leave");
	printf("# READY\n");
	fflush(stdout);
	for (int i = 0; i < 600 && vuf_alive(v); i++)
		usleep(50000);
	tap_ok(!vuf_alive(v), "hold: the daemon closed the connection");
	for (int i = 0; i < 32; i++)
		vuf_job_free(&j[i]);
	vuf_free(v);
}

/* ---------------- maxsess ---------------- */

static void suite_maxsess(struct vt *t)
{
	struct vuf *v = vt_open(t, 1);
	unsigned int max = t->max_sessions, made = 0;
	int64_t *ids = calloc(max + 2, sizeof(*ids)), extra = 0;
	uint8_t key[16] = {1};
	struct vuf_job j[2];

	if (!tap_ok(v != NULL && ids, "maxsess: handshake"))
		goto out;
	for (unsigned int i = 0; i < max; i++) {
		ids[i] = vt_cipher_session(v, (i & 1) ? VUF_SESS_1072 : VUF_SESS_632,
					   VIRTIO_CRYPTO_CIPHER_AES_CBC, key, 16, 1);
		made += ids[i] >= 0;
	}
	tap_ok(made == max, "maxsess: %u of %u sessions created", made, max);
	extra = vt_cipher_session(v, VUF_SESS_632, VIRTIO_CRYPTO_CIPHER_AES_CBC, key, 16, 1);
	tap_ok(extra < 0 && vuf_alive(v), "maxsess: session %u refused, connection kept (%lld)",
	      max + 1, (long long)extra);
	vuf_close_session(v, (uint64_t)ids[0]);
	vt_sync(v);
	ids[0] = vt_cipher_session(v, VUF_SESS_632, VIRTIO_CRYPTO_CIPHER_AES_CBC, key, 16, 1);
	tap_ok(ids[0] >= 0, "maxsess: after closing one, one more can be created (%lld)",
	      (long long)ids[0]);
	vt_cipher_job(v, &j[0], ids[0], VIRTIO_CRYPTO_CIPHER_AES_CBC, key, 16, 1, 256, 0);
	vt_cipher_job(v, &j[1], ids[max - 1], VIRTIO_CRYPTO_CIPHER_AES_CBC, key, 16, 1, 256, 0);
	vt_run_report(t, v, 1, j, 2, "maxsess: sessions at the limit still work");
	vuf_free(v);
	/* The limit is per connection: a new one starts from zero. */
	v = vt_open(t, 1);
	made = 0;
	for (unsigned int i = 0; v && i < max; i++)
		made += vt_cipher_session(v, VUF_SESS_632, VIRTIO_CRYPTO_CIPHER_AES_CBC, key, 16,
					  1) >= 0;
	tap_ok(made == max, "maxsess: a new connection gets %u sessions again (%u)", max, made);
out:
	free(ids);
	vuf_free(v);
}

/* vufront --listen-exec PATH FD CMD...: listens on PATH, puts the socket
 * at fd FD and executes CMD (for a backend's --fd mode). */
static int listen_exec(int argc, char **argv)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd, want;

	if (argc < 5 || strlen(argv[2]) >= sizeof(sa.sun_path))
		return usage(stderr, 2);
	want = atoi(argv[3]);
	strcpy(sa.sun_path, argv[2]);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	unlink(argv[2]);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(fd, 4)) {
		perror("vufront: listen");
		return 1;
	}
	if (fd != want && (dup2(fd, want) < 0 || close(fd))) {
		perror("vufront: dup2");
		return 1;
	}
	execvp(argv[4], argv + 4);
	perror("vufront: exec");
	return 127;
}

int main(int argc, char **argv)
{
	struct vt t = {.queues = 4, .max_sessions = 1024, .timeout_ms = 5000};
	int o;

	if (argc > 1 && !strcmp(argv[1], "--listen-exec"))
		return listen_exec(argc, argv);
	t.seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
	while ((o = getopt(argc, argv, "s:p:Q:m:S:o:x:t:R:N:FP:h")) != -1) {
		switch (o) {
		case 's':
			t.sock = optarg;
			break;
		case 'p':
			t.pid = atoi(optarg);
			break;
		case 'Q':
			t.queues = (unsigned int)atoi(optarg);
			break;
		case 'm':
			t.max_sessions = (unsigned int)atoi(optarg);
			break;
		case 'S':
			t.seed = strtoull(optarg, NULL, 0);
			break;
		case 'o':
			t.only = optarg;
			break;
		case 'x':
			t.skip = optarg;
			break;
		case 't':
			t.timeout_ms = atoi(optarg);
			break;
		case 'R':
			t.nregions = (unsigned int)atoi(optarg);
			break;
		case 'N':
			t.qsize = (unsigned int)atoi(optarg);
			break;
		case 'F':
			t.full_features = true;
			break;
		case 'P':
			t.poll_us = (unsigned int)atoi(optarg);
			break;
		case 'h':
			return usage(stdout, 0);
		default:
			return usage(stderr, 2);
		}
	}
	if (!t.sock || optind >= argc || !t.queues || t.queues > VUF_MAX_QUEUES)
		return usage(stderr, 2);
	if (!t.seed)
		t.seed = 1;
	tap_note("vufront seed %llu (rerun with -S %llu)", (unsigned long long)t.seed,
		(unsigned long long)t.seed);
	for (int i = optind; i < argc; i++) {
		if (!strcmp(argv[i], "layouts"))
			suite_layouts(&t);
		else if (!strcmp(argv[i], "services"))
			suite_services(&t);
		else if (!strcmp(argv[i], "queues"))
			suite_queues(&t);
		else if (!strcmp(argv[i], "maxsess"))
			suite_maxsess(&t);
		else if (!strcmp(argv[i], "stress"))
			suite_stress(&t);
		else if (!strcmp(argv[i], "hold"))
			suite_hold(&t);
		else if (!strcmp(argv[i], "hostile"))
			vt_suite_hostile(&t);
		else if (!strcmp(argv[i], "poll"))
			vt_suite_poll(&t);
		else {
			fprintf(stderr, "vufront: unknown suite '%s'\n", argv[i]);
			return 2;
		}
	}
	tap_note("%d tests, %d failed", tap_count(), tap_failures());
	return tap_status();
}
