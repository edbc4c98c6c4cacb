/*
 * SHA1/SHA2 digests and HMAC (EVP_MAC "HMAC") through /dev/crypto.
 * Multi-part with COP_FLAG_UPDATE (COP_FLAG_RESET on the first part) and
 * COP_FLAG_FINAL; dupctx copies the session's hash state with CIOCCPHASH.
 * Messages shorter than min_offload are held here and hashed in the
 * default provider at final; HMAC over a digest the device lacks runs
 * wholly in the default provider.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "crypto/cryptodev.h"
#include "vcp.h"

#define VCP_DCHUNK (1U << 20)
/*
 * A message is held here up to this many bytes (or below min_offload, if
 * that is more) and goes to the device at final as ONE request, which the
 * module hashes straight from this buffer; longer messages go in parts that
 * the module gathers (a copy, and a second request for the final).
 */
#define VCP_HOLD_MAX (256U << 10)

int vcp_digest_ok[VCP_NDIGESTS];
int vcp_hmac_ok[VCP_NDIGESTS];

const struct vcp_digest_alg vcp_digests[VCP_NDIGESTS] = {
	{"SHA1:SHA-1:SSL3-SHA1:1.3.14.3.2.26", CRYPTO_SHA1, CRYPTO_SHA1_HMAC, 20, 64, "SHA1"},
	{"SHA2-224:SHA-224:SHA224:2.16.840.1.101.3.4.2.4", CRYPTO_SHA2_224, CRYPTO_SHA2_224_HMAC,
	 28, 64, "SHA2-224"},
	{"SHA2-256:SHA-256:SHA256:2.16.840.1.101.3.4.2.1", CRYPTO_SHA2_256, CRYPTO_SHA2_256_HMAC,
	 32, 64, "SHA2-256"},
	{"SHA2-384:SHA-384:SHA384:2.16.840.1.101.3.4.2.2", CRYPTO_SHA2_384, CRYPTO_SHA2_384_HMAC,
	 48, 128, "SHA2-384"},
	{"SHA2-512:SHA-512:SHA512:2.16.840.1.101.3.4.2.3", CRYPTO_SHA2_512, CRYPTO_SHA2_512_HMAC,
	 64, 128, "SHA2-512"},
};

int vcp_digest_by_name(const char *name)
{
	const char *s, *e;
	size_t n = strlen(name);
	int i;

	for (i = 0; i < VCP_NDIGESTS; i++) {
		for (s = vcp_digests[i].names; *s; s = *e ? e + 1 : e) {
			e = strchr(s, ':');
			if (!e)
				e = s + strlen(s);
			if ((size_t)(e - s) == n && !strncasecmp(s, name, n))
				return i;
		}
	}
	return -1;
}

/* One context type serves both: a plain digest, or HMAC (mac = 1). */
struct vcp_dctx {
	int idx; /* digest; -1 until an HMAC's digest is set */
	int mac;
	int fd, have_ses;
	uint32_t ses;
	pid_t pid;
	int started; /* parts went to the device since init */
	int cached; /* the session came from the idle cache and has served nothing here yet */
	int broken; /* a part failed mid-stream: the device's state is unknown until init */
	uint8_t *hold; /* held message (min_offload, VCP_HOLD_MAX), not yet sent */
	size_t holdlen, holdcap; /* grown as the message grows; small at first */
	size_t holdhw; /* bytes of hold ever written (wiped when it goes back) */
	/*
	 * The hold of a short message: no allocation, no pool (its lock, and
	 * the wipe of a pooled buffer, cost 2-3 us a message under TCG).
	 * Bytes past holdhw are zero, so only holdhw bytes are wiped.
	 */
	uint8_t small[1024];
	uint8_t *key; /* HMAC key */
	size_t keylen;
	int key_set;
	/* the idle cache's tag of key (vcp_idle_tag), once per key: 0 not yet, 1 made, -1 none */
	int ktag_state;
	uint8_t ktag[VCP_TAG_LEN];
	char swdigest[64]; /* HMAC: a digest the device lacks (software) */
	EVP_MAC_CTX *sw; /* HMAC in the default provider */
	/*
	 * HMAC of a short message: the default provider's HMAC, keyed once and
	 * re-initialised per message (made on the first short message).
	 */
	void *shw; /* the default provider's HMAC or digest context (vcp_swd) */
	int shw_keyed;
};

/*
 * Short messages: the default provider's digest or HMAC called directly
 * (vcp_sw_impl), its context kept in ours from message to message.
 */
static struct vcp_swd {
	int ok; /* 1 resolved, -1 not there (EVP instead) */
	void *provctx;
	OSSL_FUNC_digest_newctx_fn *newctx;
	OSSL_FUNC_digest_freectx_fn *freectx;
	OSSL_FUNC_digest_init_fn *init;
	OSSL_FUNC_digest_update_fn *update;
	OSSL_FUNC_digest_final_fn *final;
} vcp_swd[VCP_NDIGESTS];

static struct vcp_swm {
	int ok;
	void *provctx;
	OSSL_FUNC_mac_newctx_fn *newctx;
	OSSL_FUNC_mac_freectx_fn *freectx;
	OSSL_FUNC_mac_init_fn *init;
	OSSL_FUNC_mac_update_fn *update;
	OSSL_FUNC_mac_final_fn *final;
	OSSL_FUNC_mac_set_ctx_params_fn *set;
} vcp_swm;

VCP_PUBLISH(struct vcp_swd, vcp_swd_publish)
VCP_PUBLISH(struct vcp_swm, vcp_swm_publish)

static const struct vcp_swd *vcp_swd_get(int idx)
{
	struct vcp_swd *f = &vcp_swd[idx], t;
	struct vcp_swimpl im;

	if (__atomic_load_n(&f->ok, __ATOMIC_ACQUIRE) == 0) {
		memset(&t, 0, sizeof(t));
		t.ok = -1;
		if (vcp_libctx() && vcp_sw_impl(2, vcp_digests[idx].swname, &im)) {
			t.provctx = im.provctx;
			t.newctx = (OSSL_FUNC_digest_newctx_fn *)vcp_sw_fn(&im,
									   OSSL_FUNC_DIGEST_NEWCTX);
			t.freectx = (OSSL_FUNC_digest_freectx_fn *)vcp_sw_fn(
				&im, OSSL_FUNC_DIGEST_FREECTX);
			t.init = (OSSL_FUNC_digest_init_fn *)vcp_sw_fn(&im, OSSL_FUNC_DIGEST_INIT);
			t.update = (OSSL_FUNC_digest_update_fn *)vcp_sw_fn(&im,
									   OSSL_FUNC_DIGEST_UPDATE);
			t.final =
				(OSSL_FUNC_digest_final_fn *)vcp_sw_fn(&im, OSSL_FUNC_DIGEST_FINAL);
			if (t.newctx && t.freectx && t.init && t.update && t.final)
				t.ok = 1;
		}
		vcp_swd_publish(f, &t);
	}
	return f->ok > 0 ? f : NULL;
}

static const struct vcp_swm *vcp_swm_get(void)
{
	struct vcp_swm *f = &vcp_swm, t;
	struct vcp_swimpl im;

	if (__atomic_load_n(&f->ok, __ATOMIC_ACQUIRE) == 0) {
		memset(&t, 0, sizeof(t));
		t.ok = -1;
		if (vcp_libctx() && vcp_sw_impl(3, "HMAC", &im)) {
			t.provctx = im.provctx;
			t.newctx = (OSSL_FUNC_mac_newctx_fn *)vcp_sw_fn(&im, OSSL_FUNC_MAC_NEWCTX);
			t.freectx =
				(OSSL_FUNC_mac_freectx_fn *)vcp_sw_fn(&im, OSSL_FUNC_MAC_FREECTX);
			t.init = (OSSL_FUNC_mac_init_fn *)vcp_sw_fn(&im, OSSL_FUNC_MAC_INIT);
			t.update = (OSSL_FUNC_mac_update_fn *)vcp_sw_fn(&im, OSSL_FUNC_MAC_UPDATE);
			t.final = (OSSL_FUNC_mac_final_fn *)vcp_sw_fn(&im, OSSL_FUNC_MAC_FINAL);
			t.set = (OSSL_FUNC_mac_set_ctx_params_fn *)vcp_sw_fn(
				&im, OSSL_FUNC_MAC_SET_CTX_PARAMS);
			if (t.newctx && t.freectx && t.init && t.update && t.final && t.set)
				t.ok = 1;
		}
		vcp_swm_publish(f, &t);
	}
	return f->ok > 0 ? f : NULL;
}

/* Forget the resolved functions (the provider is going: vcp_sw_release). */
/*
 * Resolve again on next use. The function pointers stay: a context of
 * another provider instance may still hold a software context to free
 * through them (they point into libcrypto's default provider, which stays).
 */
void vcp_digest_sw_reset(void)
{
	for (size_t i = 0; i < sizeof(vcp_swd) / sizeof(vcp_swd[0]); i++)
		__atomic_store_n(&vcp_swd[i].ok, 0, __ATOMIC_RELEASE);
	__atomic_store_n(&vcp_swm.ok, 0, __ATOMIC_RELEASE);
}

static void vcp_dctx_free_shw(struct vcp_dctx *d)
{
	if (d->shw)
		d->mac ? vcp_swm.freectx(d->shw) : vcp_swd[d->idx].freectx(d->shw);
	d->shw = NULL;
	d->shw_keyed = 0;
}

/*
 * Hold buffers outlive their contexts in a small per-process pool: a
 * one-shot EVP_Digest per message otherwise paid a malloc, the page faults
 * of fresh heap and a free per message (measured: a third of a 16 KiB
 * digest's time).  A buffer is wiped (the bytes it held) before it goes
 * back.
 */
#define VCP_POOL 4
static pthread_mutex_t vcp_pool_lock = PTHREAD_MUTEX_INITIALIZER;

/* fork(): held across it by vcp_prov.c's handlers, so no child inherits it locked */
void vcp_digest_fork_lock(int lock)
{
	if (lock)
		pthread_mutex_lock(&vcp_pool_lock);
	else
		pthread_mutex_unlock(&vcp_pool_lock);
}
static struct {
	uint8_t *p;
	size_t cap;
} vcp_pool[VCP_POOL];
static int vcp_npool;

/* A pooled buffer of at least need bytes (its size in *cap), or NULL. */
static uint8_t *vcp_pool_get(size_t need, size_t *cap)
{
	uint8_t *p = NULL;
	int i, best = -1;

	pthread_mutex_lock(&vcp_pool_lock);
	for (i = 0; i < vcp_npool; i++)
		if (vcp_pool[i].cap >= need && (best < 0 || vcp_pool[i].cap < vcp_pool[best].cap))
			best = i;
	if (best >= 0) {
		p = vcp_pool[best].p;
		*cap = vcp_pool[best].cap;
		vcp_pool[best] = vcp_pool[--vcp_npool];
	}
	pthread_mutex_unlock(&vcp_pool_lock);
	return p;
}

static void vcp_pool_put(uint8_t *p, size_t cap, size_t used)
{
	int i, small = -1;

	vcp_wipe(p, used < cap ? used : cap);
	pthread_mutex_lock(&vcp_pool_lock);
	if (vcp_npool < VCP_POOL) {
		vcp_pool[vcp_npool].p = p;
		vcp_pool[vcp_npool++].cap = cap;
		p = NULL;
	} else {
		for (i = 0; i < vcp_npool; i++) /* full: keep the larger buffers */
			if (vcp_pool[i].cap < cap &&
			    (small < 0 || vcp_pool[i].cap < vcp_pool[small].cap))
				small = i;
		if (small >= 0) {
			uint8_t *q = vcp_pool[small].p;

			vcp_pool[small].p = p;
			vcp_pool[small].cap = cap;
			p = q; /* wiped when it went in */
		}
	}
	pthread_mutex_unlock(&vcp_pool_lock);
	free(p);
}

static void vcp_dhold_free(struct vcp_dctx *d)
{
	size_t used = d->holdhw > d->holdlen ? d->holdhw : d->holdlen;

	if (d->hold && d->hold != d->small)
		vcp_pool_put(d->hold, d->holdcap, used);
	else /* past holdhw it is zero already */
		vcp_wipe(d->small, used < sizeof(d->small) ? used : sizeof(d->small));
	d->hold = NULL;
	d->holdcap = 0;
	d->holdhw = 0;
}

/* The cryptodev algorithm of this context's session. */
static uint32_t vcp_dctx_alg(const struct vcp_dctx *d)
{
	return d->mac ? vcp_digests[d->idx].cdev_hmac : vcp_digests[d->idx].cdev;
}

/* The idle cache's tag of the HMAC key (made on first use per key), or NULL: bypass the cache. */
static const uint8_t *vcp_dctx_tag(struct vcp_dctx *d)
{
	if (!d->mac || !d->keylen)
		return NULL; /* plain digest: the cache takes keylen 0 as "no key" */
	if (!d->ktag_state)
		d->ktag_state = vcp_idle_tag(d->key, (uint32_t)d->keylen, d->ktag) ? 1 : -1;
	return d->ktag_state > 0 ? d->ktag : NULL;
}

/*
 * The session goes back to the process's idle cache (no message in it), or
 * is freed (a message half sent: its gathered bytes are dropped with it).
 */
static void vcp_dctx_drop_ses(struct vcp_dctx *d)
{
	if (d->have_ses && d->pid == vcp_getpid()) {
		if (d->started || d->broken) /* a message in it, or a device that failed */
			vcp_sess_free(d->fd, d->ses);
		else
			vcp_sess_put(d->fd, vcp_dctx_alg(d), d->mac ? (uint32_t)d->keylen : 0,
				     vcp_dctx_tag(d), d->ses);
	}
	d->have_ses = 0;
}

static int vcp_dctx_ses(struct vcp_dctx *d)
{
	const struct vcp_digest_alg *a = &vcp_digests[d->idx];
	int r;

	pid_t me = vcp_getpid();

	if (d->have_ses && d->pid == me)
		return 1;
	if (d->have_ses && d->started) {
		vcp_err(VCP_R_FORK, "%s%s: the partial message lives in the parent's session",
			d->mac ? "HMAC-" : "", a->swname);
		return 0;
	}
	d->have_ses = 0;
	d->fd = vcp_fd();
	d->pid = me;
	r = vcp_sess_get(d->fd, vcp_dctx_alg(d), d->mac ? d->key : NULL,
			 d->mac ? (uint32_t)d->keylen : 0, vcp_dctx_tag(d), &d->ses);
	d->cached = r == 1;
	if (r < 0) {
		vcp_err(VCP_R_DEVICE, "CIOCGSESSION %s%s: %s", d->mac ? "HMAC-" : "", a->swname,
			strerror(-r));
		return 0;
	}
	d->have_ses = 1;
	return 1;
}

/*
 * One request on the context's session, which the caller made sure of
 * (vcp_dctx_ses: one vcp_getpid() per final, not two).  A session from the idle
 * cache or a spare context that fails its first request may have died with
 * its device (unbound and bound again): the cache is flushed and the request
 * tried once more on a new session.
 */
static int vcp_dcrypt(struct vcp_dctx *d, const void *src, size_t len, uint16_t flags, void *mac)
{
	int r;

	r = vcp_crypt(d->fd, d->ses, COP_ENCRYPT, src, NULL, len, NULL, flags, mac);
	if (r && d->cached && !d->started) {
		vcp_sess_free(d->fd, d->ses);
		d->have_ses = 0;
		vcp_idle_flush();
		if (!vcp_dctx_ses(d))
			return -ENODEV;
		r = vcp_crypt(d->fd, d->ses, COP_ENCRYPT, src, NULL, len, NULL, flags, mac);
	}
	d->cached = 0;
	return r;
}

static int vcp_dsend(struct vcp_dctx *d, const uint8_t *in, size_t len)
{
	size_t n;
	int r;

	if (!vcp_dctx_ses(d))
		return 0;
	if (!d->started && d->cached) {
		/*
		 * Parts never reach the device (the module gathers them), so a
		 * dead cached session would show only at final, with the parts
		 * lost: an empty one-shot digest proves it first (vcp_dcrypt
		 * replaces a dead one).  Only messages longer than the hold.
		 */
		uint8_t md[HASH_MAX_LEN];

		r = vcp_dcrypt(d, NULL, 0, 0, md);
		OPENSSL_cleanse(md, sizeof(md));
		if (r) {
			vcp_err(VCP_R_DEVICE, "CIOCCRYPT (empty digest): %s", strerror(-r));
			return 0;
		}
	}
	while (len) {
		n = len < VCP_DCHUNK ? len : VCP_DCHUNK;
		r = vcp_dcrypt(d, in, n, COP_FLAG_UPDATE | (d->started ? 0 : COP_FLAG_RESET), NULL);
		if (r) {
			d->broken = 1;
			vcp_err(VCP_R_DEVICE, "CIOCCRYPT update (%zu bytes): %s", n, strerror(-r));
			return 0;
		}
		d->started = 1;
		in += n;
		len -= n;
	}
	return 1;
}

/*
 * Spare digest contexts (issue #12): one-shot callers (EVP_Digest, speed,
 * libssl's transcript hashes) make and free a context per message.  The
 * last freed context of each digest is kept whole in a slot: its session
 * (no trip through the idle cache: its lock, its scan, two pid checks), its
 * hold buffer, the default provider's context of short messages, and the
 * allocation itself.  A slot is taken and filled with an atomic exchange,
 * so a spare is never shared by two live contexts and any thread may free
 * a context another made.  Before a context becomes a spare its held bytes
 * are wiped, as at free (digests have no key).  A forked child may take a
 * spare of the parent: its session carries the parent's pid and is replaced
 * at first use, never used or freed (vcp_dctx_ses, vcp_dctx_drop_ses). Its
 * session may have died with the device while it was spare: it counts as a
 * cached session (vcp_dcrypt tries once more on a new one).  HMAC contexts
 * (a key, a keyed software context) are not kept.  Emptied at unload.
 */
static struct vcp_dctx *vcp_spare[VCP_NDIGESTS];
static int vcp_spare_on; /* the provider is loaded: frees may fill the slots */
static unsigned long vcp_spare_hits;

unsigned long vcp_digest_spare_hits(void)
{
	return __atomic_load_n(&vcp_spare_hits, __ATOMIC_RELAXED);
}

static void *vcp_dnew_common(int idx, int mac)
{
	struct vcp_dctx *d;

	if (!mac && (d = __atomic_exchange_n(&vcp_spare[idx], NULL, __ATOMIC_ACQUIRE))) {
		__atomic_add_fetch(&vcp_spare_hits, 1, __ATOMIC_RELAXED);
		d->cached = d->have_ses;
		return d;
	}
	d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	d->idx = idx;
	d->mac = mac;
	d->fd = -1;
	return d;
}

/* 1: d is now its digest's spare; 0: free it (the slot is taken, or unloading). */
static int vcp_dspare_put(struct vcp_dctx *d)
{
	size_t used = d->holdhw > d->holdlen ? d->holdhw : d->holdlen;
	struct vcp_dctx *none = NULL;

	if (d->mac || !__atomic_load_n(&vcp_spare_on, __ATOMIC_ACQUIRE) ||
	    __atomic_load_n(&vcp_spare[d->idx], __ATOMIC_RELAXED))
		return 0;
	if (d->started || d->broken)
		vcp_dctx_drop_ses(d); /* a message half sent, or a failed device: freed */
	d->started = 0;
	d->broken = 0;
	d->cached = 0;
	/*
	 * The software context (used only in a whole update + final of a held
	 * message, freed if that failed): SHA-1/224/256's final (OpenSSL's
	 * md32 code) wipes its last block; SHA-384/512's keeps the message's
	 * tail in it: that one goes, as at free.
	 */
	if (d->shw && vcp_digests[d->idx].block != 64)
		vcp_dctx_free_shw(d);
	if (d->hold && d->hold != d->small) { /* a pooled-size buffer: wiped, kept */
		vcp_wipe(d->hold, used < d->holdcap ? used : d->holdcap);
		d->holdhw = 0;
		d->holdlen = 0;
	} else {
		vcp_dhold_free(d); /* the in-context one: wiped */
		d->holdlen = 0;
	}
	return __atomic_compare_exchange_n(&vcp_spare[d->idx], &none, d, 0, __ATOMIC_RELEASE,
					   __ATOMIC_RELAXED);
}

static void vcp_dfree_now(struct vcp_dctx *d);

static void vcp_dfree(void *vctx)
{
	struct vcp_dctx *d = vctx;

	if (!d || vcp_dspare_put(d))
		return;
	vcp_dfree_now(d);
}

/* At load (on 1) and unload (0: the spares are freed, their sessions to the idle cache). */
void vcp_digest_spares(int on)
{
	int i;

	__atomic_store_n(&vcp_spare_on, on, __ATOMIC_RELEASE);
	if (on)
		return;
	for (i = 0; i < VCP_NDIGESTS; i++) {
		struct vcp_dctx *d = __atomic_exchange_n(&vcp_spare[i], NULL, __ATOMIC_ACQUIRE);

		if (d)
			vcp_dfree_now(d);
	}
}

static void vcp_dfree_now(struct vcp_dctx *d)
{
	vcp_dctx_drop_ses(d);
	EVP_MAC_CTX_free(d->sw);
	vcp_dctx_free_shw(d);
	vcp_dhold_free(d);
	if (d->key)
		OPENSSL_clear_free(d->key, d->keylen);
	if (d->ktag_state) /* HMAC only: a digest context's free stays as short as it was */
		OPENSSL_cleanse(d->ktag, sizeof(d->ktag));
	free(d);
}

static void *vcp_ddup(void *vctx)
{
	struct vcp_dctx *s = vctx, *d = malloc(sizeof(*d));
	struct cphash_op cp;
	int r;

	if (!d)
		return NULL;
	*d = *s;
	d->have_ses = 0;
	d->hold = NULL;
	d->key = NULL;
	d->sw = NULL;
	d->shw = NULL; /* made again on its first use */
	d->shw_keyed = 0;
	d->holdcap = 0;
	if (s->hold == s->small) {
		d->hold = d->small;
		d->holdcap = sizeof(d->small);
	} else if (s->hold) {
		d->hold = malloc(s->holdcap);
		if (!d->hold)
			goto fail;
		d->holdcap = s->holdcap;
		memcpy(d->hold, s->hold, s->holdlen);
	}
	/* small is copied whole: what the source ever wrote there is wiped with the copy */
	d->holdhw = s->hold == s->small && s->holdhw > s->holdlen ? s->holdhw : s->holdlen;
	if (s->key) {
		d->key = malloc(s->keylen ? s->keylen : 1);
		if (!d->key)
			goto fail;
		memcpy(d->key, s->key, s->keylen);
	}
	if (s->sw && !(d->sw = EVP_MAC_CTX_dup(s->sw)))
		goto fail;
	if (s->started) {
		/* the partial message is in the source's session: copy it */
		if (s->pid != vcp_getpid()) {
			vcp_err(VCP_R_FORK, "dup of a context started before fork()");
			goto fail;
		}
		d->started = 0;
		if (!vcp_dctx_ses(d))
			goto fail;
		if (d->fd != s->fd) {
			vcp_err(VCP_R_NO_COPY, "sessions on different descriptors");
			goto fail;
		}
		cp.src_ses = s->ses;
		cp.dst_ses = d->ses;
		if (ioctl(d->fd, CIOCCPHASH, &cp) < 0) {
			r = errno;
			vcp_err(VCP_R_NO_COPY, "CIOCCPHASH: %s", strerror(r));
			goto fail;
		}
		d->started = 1;
	}
	return d;
fail:
	d->started = 0;
	vcp_dfree(d);
	return NULL;
}

/* Start a message: device state cleared by COP_FLAG_RESET on the first part. */
static void vcp_dstart(struct vcp_dctx *d)
{
	/*
	 * A message abandoned halfway leaves its gathered parts in the
	 * session: that session must never reach the idle cache.
	 */
	if ((d->started || d->broken) && d->have_ses && d->pid == vcp_getpid()) {
		vcp_sess_free(d->fd, d->ses);
		d->have_ses = 0;
	}
	d->started = 0;
	d->holdlen = 0;
	d->broken = 0;
	/* a session of another process (fork): vcp_dctx_ses replaces it at first use */
}

/* 0 (with the reason) if a part of this message failed: its digest would be wrong. */
static int vcp_dbroken(struct vcp_dctx *d)
{
	if (!d->broken)
		return 1;
	vcp_err(VCP_R_DEVICE, "a device request failed earlier in this message (init again)");
	return 0;
}

static int vcp_dupdate(void *vctx, const unsigned char *in, size_t inl)
{
	struct vcp_dctx *d = vctx;
	size_t min = vcp_min_offload(), lim = min > VCP_HOLD_MAX ? min - 1 : VCP_HOLD_MAX;

	if (d->sw)
		return EVP_MAC_update(d->sw, in, inl);
	if (!vcp_dbroken(d))
		return 0;
	if (!inl)
		return 1;
	if (!d->started && d->holdlen + inl <= lim) {
		if (!d->hold && inl <= sizeof(d->small)) {
			d->hold = d->small;
			d->holdcap = sizeof(d->small);
		}
		if (d->holdlen + inl > d->holdcap) {
			size_t cap = d->holdcap ? d->holdcap * 2 : 256;
			uint8_t *nh;

			while (cap < d->holdlen + inl)
				cap *= 2;
			if (cap > lim)
				cap = lim;
			nh = vcp_pool_get(d->holdlen + inl, &cap);
			if (!nh && !(nh = malloc(cap)))
				return 0;
			if (d->hold) {
				vcp_copy(nh, d->hold, d->holdlen);
				vcp_dhold_free(d); /* holdlen stays: the bytes are in nh now */
			}
			d->hold = nh;
			d->holdcap = cap;
		}
		vcp_copy(d->hold + d->holdlen, in, inl);
		d->holdlen += inl;
		if (d->holdlen > d->holdhw)
			d->holdhw = d->holdlen;
		return 1;
	}
	if (d->holdlen) {
		if (!vcp_dsend(d, d->hold, d->holdlen))
			return 0;
		d->holdlen = 0;
	}
	return vcp_dsend(d, in, inl);
}

/* A held short message, in the default provider. */
static int vcp_dsoftware(struct vcp_dctx *d, uint8_t *out, size_t outsize)
{
	const struct vcp_digest_alg *a = &vcp_digests[d->idx];
	static const uint8_t zero;
	size_t outl = 0;
	EVP_MD *md;
	int ok;

	const uint8_t *msg = d->holdlen ? d->hold : &zero;
	const struct vcp_swd *f;
	const struct vcp_swm *fm;

	if (d->mac) {
		if (!(fm = vcp_swm_get())) {
			vcp_err(VCP_R_SOFTWARE, "no HMAC in the default provider");
			return 0;
		}
		if (!d->shw)
			d->shw = fm->newctx(fm->provctx);
		ok = d->shw != NULL;
		if (ok && !d->shw_keyed) {
			/*
			 * The digest from the default provider too: the child
			 * library context also holds vcrypto, and without the
			 * property the default's HMAC took vcrypto's digest
			 * (three contexts, two dups and held messages per short
			 * HMAC; issue #12).  Built only when keying: two
			 * OSSL_PARAM constructions (strlen) per message were
			 * measurable under TCG.
			 */
			OSSL_PARAM ps[3];

			ps[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
								 (char *)a->swname, 0);
			ps[1] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_PROPERTIES,
								 (char *)"provider=default", 0);
			ps[2] = OSSL_PARAM_construct_end();
			ok = fm->set(d->shw, ps) &&
			     fm->init(d->shw, d->keylen ? d->key : &zero, d->keylen, NULL);
		} else if (ok) {
			ok = fm->init(d->shw, NULL, 0, NULL); /* the same key, a new message */
		}
		d->shw_keyed = ok;
		ok = ok && fm->update(d->shw, msg, d->holdlen) &&
		     fm->final(d->shw, out, &outl, outsize);
	} else if ((f = vcp_swd_get(d->idx))) {
		if (!d->shw)
			d->shw = f->newctx(f->provctx);
		ok = d->shw && f->init(d->shw, NULL) && f->update(d->shw, msg, d->holdlen) &&
		     f->final(d->shw, out, &outl, outsize);
	} else {
		md = vcp_sw_md(a->swname);
		ok = md && EVP_Digest(msg, d->holdlen, out, NULL, md, NULL);
		EVP_MD_free(md);
	}
	if (!ok) {
		vcp_dctx_free_shw(d); /* no final ran: it may hold the message (a spare keeps shw) */
		vcp_err(VCP_R_SOFTWARE, "%s%s in the default provider", d->mac ? "HMAC-" : "",
			a->swname);
	}
	return ok;
}

static int vcp_dfinal_to(struct vcp_dctx *d, uint8_t *out, size_t outsize)
{
	const struct vcp_digest_alg *a = &vcp_digests[d->idx];
	uint8_t md[HASH_MAX_LEN];
	int r;

	if (outsize < a->size) {
		vcp_err(VCP_R_BAD_INPUT, "digest buffer too small");
		return 0;
	}
	if (!vcp_dbroken(d))
		return 0;
	if (!d->started && d->holdlen < vcp_min_offload() && vcp_libctx()) {
		if (!vcp_dsoftware(d, out, outsize))
			return 0;
	} else {
		if (!vcp_dctx_ses(d))
			return 0;
		/*
		 * COP_FLAG_FINAL finishes the gathered parts; flags 0: the held
		 * message (maybe empty) as one part, the digest in the same request
		 */
		if (d->started)
			r = vcp_dcrypt(d, NULL, 0, COP_FLAG_FINAL, md);
		else
			r = vcp_dcrypt(d, d->holdlen ? d->hold : NULL, d->holdlen, 0, md);
		d->holdlen = 0;
		if (r) {
			/* the session starts over after a FINAL, failed or not */
			d->started = 0;
			vcp_err(VCP_R_DEVICE, "CIOCCRYPT final: %s", strerror(-r));
			return 0;
		}
		memcpy(out, md, a->size);
		OPENSSL_cleanse(md, sizeof(md));
	}
	d->started = 0;
	d->holdlen = 0;
	return 1;
}

/* ---- digests ---- */

static int vcp_dinit(void *vctx, const OSSL_PARAM params[])
{
	vcp_dstart(vctx);
	return 1;
}

static int vcp_dfinal(void *vctx, unsigned char *out, size_t *outl, size_t outsize)
{
	struct vcp_dctx *d = vctx;

	*outl = 0; /* nothing claimed on failure (EVP passes it on as it is) */
	if (!vcp_dfinal_to(d, out, outsize))
		return 0;
	*outl = vcp_digests[d->idx].size;
	return 1;
}

static const OSSL_PARAM vcp_dparams[] = {
	OSSL_PARAM_size_t(OSSL_DIGEST_PARAM_BLOCK_SIZE, NULL),
	OSSL_PARAM_size_t(OSSL_DIGEST_PARAM_SIZE, NULL),
	OSSL_PARAM_int(OSSL_DIGEST_PARAM_XOF, NULL),
	OSSL_PARAM_int(OSSL_DIGEST_PARAM_ALGID_ABSENT, NULL),
	OSSL_PARAM_END,
};

static const OSSL_PARAM *vcp_dgettable(void *provctx)
{
	return vcp_dparams;
}

static int vcp_dget_params_idx(OSSL_PARAM params[], int idx)
{
	OSSL_PARAM *p;

	if ((p = OSSL_PARAM_locate(params, OSSL_DIGEST_PARAM_BLOCK_SIZE)) &&
	    !OSSL_PARAM_set_size_t(p, vcp_digests[idx].block))
		return 0;
	if ((p = OSSL_PARAM_locate(params, OSSL_DIGEST_PARAM_SIZE)) &&
	    !OSSL_PARAM_set_size_t(p, vcp_digests[idx].size))
		return 0;
	if ((p = OSSL_PARAM_locate(params, OSSL_DIGEST_PARAM_XOF)) && !OSSL_PARAM_set_int(p, 0))
		return 0;
	/* SHA1 and SHA2 take a NULL AlgorithmIdentifier parameter: absent = 1 */
	if ((p = OSSL_PARAM_locate(params, OSSL_DIGEST_PARAM_ALGID_ABSENT)) &&
	    !OSSL_PARAM_set_int(p, 1))
		return 0;
	return 1;
}

#define VCP_DIGEST(i)                                                               \
	static void *vcp_dnew_##i(void *provctx)                                    \
	{                                                                           \
		return vcp_dnew_common(i, 0);                                       \
	}                                                                           \
	static int vcp_dget_params_##i(OSSL_PARAM params[])                         \
	{                                                                           \
		return vcp_dget_params_idx(params, i);                              \
	}                                                                           \
	static const OSSL_DISPATCH vcp_dfns_##i[] = {                               \
		{OSSL_FUNC_DIGEST_NEWCTX, (void (*)(void))vcp_dnew_##i},            \
		{OSSL_FUNC_DIGEST_INIT, (void (*)(void))vcp_dinit},                 \
		{OSSL_FUNC_DIGEST_UPDATE, (void (*)(void))vcp_dupdate},             \
		{OSSL_FUNC_DIGEST_FINAL, (void (*)(void))vcp_dfinal},               \
		{OSSL_FUNC_DIGEST_FREECTX, (void (*)(void))vcp_dfree},              \
		{OSSL_FUNC_DIGEST_DUPCTX, (void (*)(void))vcp_ddup},                \
		{OSSL_FUNC_DIGEST_GET_PARAMS, (void (*)(void))vcp_dget_params_##i}, \
		{OSSL_FUNC_DIGEST_GETTABLE_PARAMS, (void (*)(void))vcp_dgettable},  \
		{0, NULL},                                                          \
	};

VCP_DIGEST(0)
VCP_DIGEST(1)
VCP_DIGEST(2)
VCP_DIGEST(3)
VCP_DIGEST(4)

static const OSSL_DISPATCH *const vcp_dfns[VCP_NDIGESTS] = {
	vcp_dfns_0, vcp_dfns_1, vcp_dfns_2, vcp_dfns_3, vcp_dfns_4,
};

const OSSL_ALGORITHM *vcp_digest_algs(void)
{
	static OSSL_ALGORITHM algs[VCP_NDIGESTS + 1];
	static int built;
	int i, n = 0;

	if (!built) {
		for (i = 0; i < VCP_NDIGESTS; i++) {
			if (!vcp_digest_ok[i])
				continue;
			algs[n].algorithm_names = vcp_digests[i].names;
			algs[n].property_definition = "provider=vcrypto";
			algs[n].implementation = vcp_dfns[i];
			algs[n].algorithm_description = "SHA through /dev/crypto";
			n++;
		}
		built = 1;
	}
	return algs;
}

/* ---- HMAC ---- */

static int vcp_any_hmac(void)
{
	int i;

	for (i = 0; i < VCP_NDIGESTS; i++)
		if (vcp_hmac_ok[i])
			return 1;
	return 0;
}

static void *vcp_mnew(void *provctx)
{
	return vcp_dnew_common(-1, 1);
}

static int vcp_mset_ctx_params(void *vctx, const OSSL_PARAM params[]);

/* HMAC over a digest the device does not serve: the default provider's. */
static int vcp_msw_start(struct vcp_dctx *d)
{
	OSSL_PARAM ps[3];
	EVP_MAC *m;

	EVP_MAC_CTX_free(d->sw);
	d->sw = NULL;
	m = vcp_libctx() ? vcp_sw_mac("HMAC") : NULL;
	if (m)
		d->sw = EVP_MAC_CTX_new(m);
	EVP_MAC_free(m);
	ps[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, d->swdigest, 0);
	ps[1] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_PROPERTIES,
						 (char *)"?provider=default", 0);
	ps[2] = OSSL_PARAM_construct_end();
	if (!d->sw || !EVP_MAC_init(d->sw, d->key, d->keylen, ps)) {
		vcp_err(VCP_R_SOFTWARE, "HMAC-%s in the default provider", d->swdigest);
		EVP_MAC_CTX_free(d->sw);
		d->sw = NULL;
		return 0;
	}
	return 1;
}

static int vcp_mset_key(struct vcp_dctx *d, const unsigned char *key, size_t keylen)
{
	vcp_dctx_drop_ses(d); /* keyed with the old key: back to the cache under it */
	if (d->ktag_state) /* the cache's tag of the new key: made when a session is needed */
		OPENSSL_cleanse(d->ktag, sizeof(d->ktag));
	d->ktag_state = 0;
	if (d->key)
		OPENSSL_clear_free(d->key, d->keylen);
	d->key = malloc(keylen ? keylen : 1);
	if (!d->key)
		return 0;
	memcpy(d->key, key, keylen);
	d->keylen = keylen;
	d->key_set = 1;
	d->shw_keyed = 0;
	return 1;
}

static int vcp_minit(void *vctx, const unsigned char *key, size_t keylen, const OSSL_PARAM params[])
{
	struct vcp_dctx *d = vctx;

	if (!vcp_mset_ctx_params(d, params))
		return 0;
	if (key && !vcp_mset_key(d, key, keylen))
		return 0;
	if (!d->key_set) {
		vcp_err(VCP_R_NO_KEY, "HMAC: no key");
		return 0;
	}
	if (d->swdigest[0])
		return vcp_msw_start(d);
	if (d->idx < 0) {
		vcp_err(VCP_R_BAD_INPUT, "HMAC: no digest set");
		return 0;
	}
	/*
	 * The device takes keys up to CRYPTO_HMAC_MAX_KEY_LEN; a longer one is
	 * replaced by its digest (as HMAC does); an empty one equals one zero byte.
	 */
	if (d->keylen > CRYPTO_HMAC_MAX_KEY_LEN || d->keylen == 0) {
		uint8_t h[HASH_MAX_LEN] = {0};
		unsigned int hl = 1;
		EVP_MD *md = NULL;

		if (d->keylen) {
			md = vcp_sw_md(vcp_digests[d->idx].swname);
			if (!md || !EVP_Digest(d->key, d->keylen, h, &hl, md, NULL)) {
				EVP_MD_free(md);
				vcp_err(VCP_R_SOFTWARE, "hashing a long HMAC key");
				return 0;
			}
			EVP_MD_free(md);
		}
		if (!vcp_mset_key(d, h, hl))
			return 0;
		OPENSSL_cleanse(h, sizeof(h));
	}
	vcp_dstart(d);
	return 1;
}

static int vcp_mupdate(void *vctx, const unsigned char *in, size_t inl)
{
	return vcp_dupdate(vctx, in, inl);
}

static int vcp_mfinal(void *vctx, unsigned char *out, size_t *outl, size_t outsize)
{
	struct vcp_dctx *d = vctx;

	*outl = 0; /* nothing claimed on failure: EVP_MAC_final passes it on as it is */
	if (d->sw)
		return EVP_MAC_final(d->sw, out, outl, outsize);
	if (d->idx < 0 || !vcp_dfinal_to(d, out, outsize))
		return 0;
	*outl = vcp_digests[d->idx].size;
	return 1;
}

static const OSSL_PARAM vcp_mctx_gettable_list[] = {
	OSSL_PARAM_size_t(OSSL_MAC_PARAM_SIZE, NULL),
	OSSL_PARAM_size_t(OSSL_MAC_PARAM_BLOCK_SIZE, NULL),
	OSSL_PARAM_END,
};

static const OSSL_PARAM *vcp_mctx_gettable(void *cctx, void *provctx)
{
	return vcp_mctx_gettable_list;
}

static int vcp_mget_ctx_params(void *vctx, OSSL_PARAM params[])
{
	struct vcp_dctx *d = vctx;
	OSSL_PARAM *p;

	if (d->sw)
		return EVP_MAC_CTX_get_params(d->sw, params);
	if ((p = OSSL_PARAM_locate(params, OSSL_MAC_PARAM_SIZE)) &&
	    !OSSL_PARAM_set_size_t(p, d->idx < 0 ? 0 : vcp_digests[d->idx].size))
		return 0;
	if ((p = OSSL_PARAM_locate(params, OSSL_MAC_PARAM_BLOCK_SIZE)) &&
	    !OSSL_PARAM_set_size_t(p, d->idx < 0 ? 0 : vcp_digests[d->idx].block))
		return 0;
	return 1;
}

static const OSSL_PARAM vcp_mctx_settable_list[] = {
	OSSL_PARAM_utf8_string(OSSL_MAC_PARAM_DIGEST, NULL, 0),
	OSSL_PARAM_utf8_string(OSSL_MAC_PARAM_PROPERTIES, NULL, 0),
	OSSL_PARAM_octet_string(OSSL_MAC_PARAM_KEY, NULL, 0),
	OSSL_PARAM_END,
};

static const OSSL_PARAM *vcp_mctx_settable(void *cctx, void *provctx)
{
	return vcp_mctx_settable_list;
}

static int vcp_mset_ctx_params(void *vctx, const OSSL_PARAM params[])
{
	struct vcp_dctx *d = vctx;
	const OSSL_PARAM *p;
	const char *name;
	const void *key;
	size_t kl;
	int i;

	if (!params)
		return 1;
	if ((p = OSSL_PARAM_locate_const(params, OSSL_MAC_PARAM_DIGEST))) {
		if (p->data_type != OSSL_PARAM_UTF8_STRING || !(name = p->data))
			return 0;
		i = vcp_digest_by_name(name);
		vcp_dctx_drop_ses(d);
		d->swdigest[0] = 0;
		d->shw_keyed = 0; /* the short-message HMAC takes the new digest */
		if (i >= 0 && vcp_hmac_ok[i]) {
			d->idx = i;
		} else if (strlen(name) < sizeof(d->swdigest)) {
			d->idx = -1;
			strcpy(d->swdigest, name); /* checked when the key comes */
		} else {
			vcp_err(VCP_R_BAD_INPUT, "HMAC: digest name too long");
			return 0;
		}
	}
	if ((p = OSSL_PARAM_locate_const(params, OSSL_MAC_PARAM_KEY))) {
		if (!OSSL_PARAM_get_octet_string_ptr(p, &key, &kl) || !vcp_mset_key(d, key, kl))
			return 0;
	}
	return 1;
}

static const OSSL_DISPATCH vcp_mfns[] = {
	{OSSL_FUNC_MAC_NEWCTX, (void (*)(void))vcp_mnew},
	{OSSL_FUNC_MAC_DUPCTX, (void (*)(void))vcp_ddup},
	{OSSL_FUNC_MAC_FREECTX, (void (*)(void))vcp_dfree},
	{OSSL_FUNC_MAC_INIT, (void (*)(void))vcp_minit},
	{OSSL_FUNC_MAC_UPDATE, (void (*)(void))vcp_mupdate},
	{OSSL_FUNC_MAC_FINAL, (void (*)(void))vcp_mfinal},
	{OSSL_FUNC_MAC_GETTABLE_CTX_PARAMS, (void (*)(void))vcp_mctx_gettable},
	{OSSL_FUNC_MAC_GET_CTX_PARAMS, (void (*)(void))vcp_mget_ctx_params},
	{OSSL_FUNC_MAC_SETTABLE_CTX_PARAMS, (void (*)(void))vcp_mctx_settable},
	{OSSL_FUNC_MAC_SET_CTX_PARAMS, (void (*)(void))vcp_mset_ctx_params},
	{0, NULL},
};

const OSSL_ALGORITHM *vcp_macs(void)
{
	static const OSSL_ALGORITHM algs[] = {
		{"HMAC", "provider=vcrypto", vcp_mfns, "HMAC through /dev/crypto"},
		{NULL, NULL, NULL, NULL},
	};
	static const OSSL_ALGORITHM none[] = {{NULL, NULL, NULL, NULL}};

	return vcp_any_hmac() ? algs : none;
}
