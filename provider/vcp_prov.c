/*
 * vcrypto OpenSSL 3 provider: entry point, errors, the /dev/crypto
 * descriptor, sessions, the load-time probe and the query function.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/provider.h>

#include "crypto/cryptodev.h"
#include "vcp.h"

#define VCP_DEVICE "/dev/crypto"

static const OSSL_CORE_HANDLE *vcp_handle;
static OSSL_FUNC_core_new_error_fn *c_new_error;
static OSSL_FUNC_core_set_error_debug_fn *c_set_error_debug;
static OSSL_FUNC_core_vset_error_fn *c_vset_error;
static OSSL_FUNC_core_get_params_fn *c_get_params;
static struct vcp_prov *vcp_the_prov;

void vcp_err(int reason, const char *fmt, ...)
{
	va_list ap;

	if (!c_new_error || !c_vset_error)
		return;
	va_start(ap, fmt);
	c_new_error(vcp_handle);
	c_set_error_debug(vcp_handle, NULL, 0, NULL);
	c_vset_error(vcp_handle, (uint32_t)reason, fmt, ap);
	va_end(ap);
}

/*
 * ---- this process's pid without a system call per request ----
 * Every device request checks that its session is this process's (a
 * forked child must not use or free its parent's): getpid() once per
 * message, a system call that costs microseconds under TCG (issue #12).
 * The pid is kept in a page marked MADV_WIPEONFORK: the kernel hands a
 * child made by fork() or by clone() without CLONE_VM that page zeroed,
 * whether fork handlers ran or not, and a zero sends the next call back to
 * getpid().  (A pid in a plain variable reset by a fork handler was not
 * done for the clone() case.)  Threads share the page (same getpid()).
 * A CLONE_VM child that is not a thread (vfork, posix_spawn: it only
 * execs) shares the page and would see the parent's pid, as it shares the
 * parent's memory and contexts anyway.  Without the page (mmap or madvise
 * failed: kernels before 4.14) every call is a getpid().  Mapped once per
 * load of the module and never unmapped: a thread of the application may
 * still be in here while the process exits.
 */
static pid_t *vcp_pidpage;

static void vcp_pid_setup(void)
{
	long pg = sysconf(_SC_PAGESIZE);
	void *p =
		mmap(NULL, (size_t)pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return;
	if (madvise(p, (size_t)pg, MADV_WIPEONFORK)) {
		munmap(p, (size_t)pg);
		return;
	}
	__atomic_store_n(&vcp_pidpage, (pid_t *)p, __ATOMIC_RELEASE);
}

pid_t vcp_getpid(void)
{
	pid_t *pp = __atomic_load_n(&vcp_pidpage, __ATOMIC_ACQUIRE), pid;

	if (pp && (pid = __atomic_load_n(pp, __ATOMIC_RELAXED)) != 0)
		return pid;
	pid = getpid();
	if (pp)
		__atomic_store_n(pp, pid, __ATOMIC_RELAXED);
	return pid;
}

/* ---- the descriptor: one per process, opened again in a forked child ---- */

static pthread_mutex_t vcp_fd_lock = PTHREAD_MUTEX_INITIALIZER;
static int vcp_fd_val = -1;
static pid_t vcp_fd_pid;
static int vcp_fd_errno;

int vcp_fd(void)
{
	pid_t me = vcp_getpid();
	int fd;

	pthread_mutex_lock(&vcp_fd_lock);
	if (vcp_fd_val < 0 || vcp_fd_pid != me) {
		/*
		 * A child keeps the descriptor it inherited open: its
		 * pre-fork contexts' sessions live in that (shared) file and
		 * must not be freed from here.  New sessions go to its own.
		 */
		fd = open(VCP_DEVICE, O_RDWR | O_CLOEXEC);
		vcp_fd_errno = fd < 0 ? errno : 0;
		vcp_fd_val = fd;
		vcp_fd_pid = me;
	}
	fd = vcp_fd_val;
	pthread_mutex_unlock(&vcp_fd_lock);
	return fd;
}

int vcp_sess_new(int fd, uint32_t cipher, const void *key, uint32_t keylen, uint32_t mac,
		 const void *mackey, uint32_t mackeylen, uint32_t *ses)
{
	struct session_op s;

	if (fd < 0)
		return -ENODEV;
	memset(&s, 0, sizeof(s));
	s.cipher = cipher;
	s.keylen = keylen;
	s.key = (void *)key;
	s.mac = mac;
	s.mackeylen = mackeylen;
	s.mackey = (void *)mackey;
	if (ioctl(fd, CIOCGSESSION, &s) < 0)
		return -errno;
	*ses = s.ses;
	return 0;
}

void vcp_sess_free(int fd, uint32_t ses)
{
	if (fd >= 0)
		ioctl(fd, CIOCFSESSION, &ses);
}

int vcp_crypt(int fd, uint32_t ses, int op, const void *src, void *dst, size_t len, void *iv,
	      uint16_t flags, void *mac)
{
	struct crypt_op c;

	memset(&c, 0, sizeof(c));
	c.ses = ses;
	c.op = op;
	c.flags = flags;
	c.len = len;
	c.src = (void *)src;
	c.dst = dst;
	c.iv = iv;
	c.mac = mac;
	if (ioctl(fd, CIOCCRYPT, &c) < 0)
		return -errno;
	return 0;
}

/*
 * Idle digest and HMAC sessions, kept for the next context (issue #12):
 * one-shot callers (EVP_Digest, EVP_Q_mac, HMAC()) make and free a context
 * per message, and without this every message paid CIOCGSESSION and
 * CIOCFSESSION, two round trips through QEMU's control queue to the host.
 * Keyed by the cryptodev algorithm and, for HMAC, the key; an entry is taken
 * out while a context uses it (never shared by two at once); the oldest is
 * freed when the cache is full; keys are wiped when an entry goes. A forked
 * child forgets the parent's entries (they are sessions of the parent's
 * descriptor, still in the parent's cache) without freeing them.
 */
#define VCP_IDLE_MAX 16
static pthread_mutex_t vcp_idle_lock = PTHREAD_MUTEX_INITIALIZER;
static struct vcp_idle {
	int fd;
	uint32_t mac, ses, keylen;
	uint64_t age; /* larger: put back later */
	uint8_t tag[VCP_TAG_LEN]; /* SHA-256(salt || key): the key itself is not kept */
} vcp_idle[VCP_IDLE_MAX];
static uint8_t vcp_idle_salt[16];
static int vcp_idle_salted;
static pthread_once_t vcp_idle_salt_once = PTHREAD_ONCE_INIT;

static void vcp_idle_salt_init(void)
{
	vcp_idle_salted = getrandom(vcp_idle_salt, sizeof(vcp_idle_salt), 0) ==
			  (ssize_t)sizeof(vcp_idle_salt);
}

static void *vcp_sw_fetch(int kind, const char *name);
static int vcp_nidle;
static pid_t vcp_idle_pid;
static uint64_t vcp_idle_clock;
static unsigned long vcp_idle_stats[3]; /* hits, misses, evictions */

static void vcp_idle_drop(int i)
{
	OPENSSL_cleanse(&vcp_idle[i], sizeof(vcp_idle[i]));
	vcp_idle[i] = vcp_idle[--vcp_nidle];
	OPENSSL_cleanse(&vcp_idle[vcp_nidle], sizeof(vcp_idle[vcp_nidle]));
}

/* Called with the lock held: a child starts with an empty cache. */
static void vcp_idle_check_pid(pid_t me)
{
	if (vcp_idle_pid == me)
		return;
	while (vcp_nidle)
		vcp_idle_drop(vcp_nidle - 1); /* the parent's: not ours to free */
	vcp_idle_pid = me;
}

/*
 * What the cache keeps of an HMAC key: SHA-256 over a per-process random
 * salt and the key (the default provider's), so no raw key stays in the
 * process after its contexts are gone. 0: no tag (the cache is bypassed).
 * Computed by the MAC context once per key and kept there (it used to be
 * computed in every get and put: two SHA-256 of the key per message).
 */
int vcp_idle_tag(const void *key, uint32_t keylen, uint8_t tag[VCP_TAG_LEN])
{
	uint8_t buf[sizeof(vcp_idle_salt) + CRYPTO_HMAC_MAX_KEY_LEN];
	EVP_MD *md;
	int ok;

	memset(tag, 0, VCP_TAG_LEN);
	if (!keylen)
		return 1;
	pthread_once(&vcp_idle_salt_once, vcp_idle_salt_init);
	if (keylen > CRYPTO_HMAC_MAX_KEY_LEN || !vcp_idle_salted)
		return 0;
	md = vcp_sw_fetch(2, "SHA2-256");
	if (!md)
		return 0;
	memcpy(buf, vcp_idle_salt, sizeof(vcp_idle_salt));
	memcpy(buf + sizeof(vcp_idle_salt), key, keylen);
	ok = EVP_Digest(buf, sizeof(vcp_idle_salt) + keylen, tag, NULL, md, NULL);
	OPENSSL_cleanse(buf, sizeof(buf));
	EVP_MD_free(md);
	return ok;
}

static const uint8_t vcp_no_key_tag[VCP_TAG_LEN];

int vcp_sess_get(int fd, uint32_t mac, const void *key, uint32_t keylen, const uint8_t *tag,
		 uint32_t *ses)
{
	pid_t me = vcp_getpid();
	int i;

	if (!keylen)
		tag = vcp_no_key_tag;
	if (tag) {
		pthread_mutex_lock(&vcp_idle_lock);
		vcp_idle_check_pid(me);
		for (i = 0; i < vcp_nidle; i++) {
			struct vcp_idle *e = &vcp_idle[i];

			if (e->fd == fd && e->mac == mac && e->keylen == keylen &&
			    !CRYPTO_memcmp(e->tag, tag, VCP_TAG_LEN)) {
				*ses = e->ses;
				vcp_idle_drop(i);
				vcp_idle_stats[0]++;
				pthread_mutex_unlock(&vcp_idle_lock);
				return 1;
			}
		}
		vcp_idle_stats[1]++;
		pthread_mutex_unlock(&vcp_idle_lock);
	}
	return vcp_sess_new(fd, 0, NULL, 0, mac, key, keylen, ses);
}

void vcp_sess_put(int fd, uint32_t mac, uint32_t keylen, const uint8_t *tag, uint32_t ses)
{
	int i, old = 0, evict = -1;
	uint32_t evict_ses = 0;

	if (!keylen)
		tag = vcp_no_key_tag;
	if (fd < 0 || !tag) {
		vcp_sess_free(fd, ses);
		return;
	}
	pthread_mutex_lock(&vcp_idle_lock);
	vcp_idle_check_pid(vcp_getpid());
	if (vcp_nidle == VCP_IDLE_MAX) { /* full: the oldest goes */
		for (i = 1; i < vcp_nidle; i++)
			if (vcp_idle[i].age < vcp_idle[old].age)
				old = i;
		evict = vcp_idle[old].fd;
		evict_ses = vcp_idle[old].ses;
		vcp_idle_drop(old);
		vcp_idle_stats[2]++;
	}
	i = vcp_nidle++;
	vcp_idle[i].fd = fd;
	vcp_idle[i].mac = mac;
	vcp_idle[i].ses = ses;
	vcp_idle[i].keylen = keylen;
	vcp_idle[i].age = ++vcp_idle_clock;
	memcpy(vcp_idle[i].tag, tag, VCP_TAG_LEN);
	pthread_mutex_unlock(&vcp_idle_lock);
	if (evict >= 0)
		vcp_sess_free(evict, evict_ses);
}

/*
 * Frees every idle session of this process: at provider unload, and when a
 * cached session failed its first request (the device went away and came
 * back: every cached session is then dead).
 */
void vcp_idle_flush(void)
{
	pthread_mutex_lock(&vcp_idle_lock);
	vcp_idle_check_pid(vcp_getpid());
	while (vcp_nidle) {
		vcp_sess_free(vcp_idle[vcp_nidle - 1].fd, vcp_idle[vcp_nidle - 1].ses);
		vcp_idle_drop(vcp_nidle - 1);
	}
	pthread_mutex_unlock(&vcp_idle_lock);
}

/* ---- configuration ---- */

size_t vcp_min_offload(void)
{
	return vcp_the_prov ? vcp_the_prov->min_offload : 0;
}

OSSL_LIB_CTX *vcp_libctx(void)
{
	return vcp_the_prov ? vcp_the_prov->libctx : NULL;
}

/*
 * The default provider's algorithms, fetched once per provider load (a fetch
 * costs a lock and a method-store lookup: too much for every short message).
 * Each call returns a reference of its own, for the caller to free.
 */
#define VCP_NFETCH 32
static pthread_mutex_t vcp_fetch_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
	int kind; /* 1 cipher, 2 digest, 3 MAC */
	const char *name;
	void *alg;
} vcp_fetched[VCP_NFETCH];

static void *vcp_sw_fetch(int kind, const char *name)
{
	OSSL_LIB_CTX *lc = vcp_libctx();
	void *a = NULL;
	int i, ok = 1;

	if (!lc)
		return NULL;
	pthread_mutex_lock(&vcp_fetch_lock);
	for (i = 0; i < VCP_NFETCH && vcp_fetched[i].alg; i++)
		if (vcp_fetched[i].kind == kind && !strcmp(vcp_fetched[i].name, name)) {
			a = vcp_fetched[i].alg;
			break;
		}
	if (!a) {
		if (kind == 1)
			a = EVP_CIPHER_fetch(lc, name, "provider=default");
		else if (kind == 2)
			a = EVP_MD_fetch(lc, name, "provider=default");
		else
			a = EVP_MAC_fetch(lc, name, "provider=default");
		if (a && i < VCP_NFETCH) {
			vcp_fetched[i].kind = kind;
			vcp_fetched[i].name = name; /* the callers' names are static strings */
			vcp_fetched[i].alg = a;
		} else {
			ok = 0; /* table full: this reference is the caller's own */
		}
	}
	if (a && ok)
		ok = kind == 1	 ? EVP_CIPHER_up_ref(a)
		     : kind == 2 ? EVP_MD_up_ref(a)
				 : EVP_MAC_up_ref(a);
	else if (a)
		ok = 1;
	pthread_mutex_unlock(&vcp_fetch_lock);
	return ok ? a : NULL;
}

EVP_CIPHER *vcp_sw_cipher(const char *name)
{
	return vcp_sw_fetch(1, name);
}

EVP_MD *vcp_sw_md(const char *name)
{
	return vcp_sw_fetch(2, name);
}

EVP_MAC *vcp_sw_mac(const char *name)
{
	return vcp_sw_fetch(3, name);
}

/*
 * The default provider's own implementation of an algorithm (its dispatch
 * table and provider context), to be called directly: a short message then
 * costs one EVP dispatch (the application's, into vcrypto), not two, and no
 * EVP context of its own (issue #12).  The method fetched above stays
 * referenced in vcp_fetched, which keeps the default provider loaded.
 */
#define VCP_NIMPL 32 /* ciphers, digests, HMAC: 17 today */
static struct {
	int kind;
	const char *name;
	struct vcp_swimpl impl;
} vcp_impls[VCP_NIMPL];

static int vcp_name_in(const char *names, const char *name)
{
	size_t n = strlen(name);
	const char *e;

	for (; *names; names = *e ? e + 1 : e) {
		e = strchr(names, ':');
		if (!e)
			e = names + strlen(names);
		if ((size_t)(e - names) == n && !strncasecmp(names, name, n))
			return 1;
	}
	return 0;
}

int vcp_sw_impl(int kind, const char *name, struct vcp_swimpl *out)
{
	static const int ops[4] = {0, OSSL_OP_CIPHER, OSSL_OP_DIGEST, OSSL_OP_MAC};
	const OSSL_ALGORITHM *algs, *a;
	const OSSL_PROVIDER *prov;
	void *m;
	int i, nc = 0, ok = 0;

	pthread_mutex_lock(&vcp_fetch_lock);
	for (i = 0; i < VCP_NIMPL && vcp_impls[i].name; i++)
		if (vcp_impls[i].kind == kind && !strcmp(vcp_impls[i].name, name)) {
			*out = vcp_impls[i].impl;
			pthread_mutex_unlock(&vcp_fetch_lock);
			return 1;
		}
	pthread_mutex_unlock(&vcp_fetch_lock);
	if (kind < 1 || kind > 3)
		return 0;
	m = vcp_sw_fetch(kind, name);
	if (!m)
		return 0;
	prov = kind == 1   ? EVP_CIPHER_get0_provider(m)
	       : kind == 2 ? EVP_MD_get0_provider(m)
			   : EVP_MAC_get0_provider(m);
	algs = prov ? OSSL_PROVIDER_query_operation(prov, ops[kind], &nc) : NULL;
	for (a = algs; a && a->algorithm_names; a++)
		if (vcp_name_in(a->algorithm_names, name)) {
			out->fns = a->implementation;
			out->provctx = OSSL_PROVIDER_get0_provider_ctx(prov);
			ok = 1;
			break;
		}
	/*
	 * The implementation table stays in use after the unquery: the
	 * default provider is built into libcrypto and its tables are static
	 * for the life of the process (another provider's might not be: only
	 * the default's are looked up here, with provider=default).
	 */
	if (algs)
		OSSL_PROVIDER_unquery_operation(prov, ops[kind], algs);
	if (ok) {
		pthread_mutex_lock(&vcp_fetch_lock);
		for (i = 0; i < VCP_NIMPL && vcp_impls[i].name; i++)
			;
		if (i < VCP_NIMPL) {
			vcp_impls[i].kind = kind;
			vcp_impls[i].name = name; /* static strings */
			vcp_impls[i].impl = *out;
		}
		pthread_mutex_unlock(&vcp_fetch_lock);
	}
	/* the cached method (vcp_fetched) keeps the provider; this reference is ours */
	if (kind == 1)
		EVP_CIPHER_free(m);
	else if (kind == 2)
		EVP_MD_free(m);
	else
		EVP_MAC_free(m);
	return ok;
}

void (*vcp_sw_fn(const struct vcp_swimpl *impl, int id))(void)
{
	const OSSL_DISPATCH *d;

	for (d = impl->fns; d && d->function_id; d++)
		if (d->function_id == id)
			return d->function;
	return NULL;
}

static void vcp_sw_release(void)
{
	int i;

	pthread_mutex_lock(&vcp_fetch_lock);
	for (i = 0; i < VCP_NFETCH && vcp_fetched[i].alg; i++) {
		if (vcp_fetched[i].kind == 1)
			EVP_CIPHER_free(vcp_fetched[i].alg);
		else if (vcp_fetched[i].kind == 2)
			EVP_MD_free(vcp_fetched[i].alg);
		else
			EVP_MAC_free(vcp_fetched[i].alg);
		vcp_fetched[i].alg = NULL;
	}
	memset(vcp_impls, 0, sizeof(vcp_impls));
	pthread_mutex_unlock(&vcp_fetch_lock);
	vcp_digest_sw_reset();
	vcp_cipher_sw_reset();
	vcp_gcm_sw_reset();
}

/*
 * A min_offload setting: a byte count in decimal (or hex after 0x),
 * surrounding blanks allowed. Anything else (a sign, a unit, garbage,
 * overflow) is refused: the caller keeps what it had.
 */
static int vcp_parse_bytes(const char *s, size_t *out)
{
	size_t v = 0, base = 10, n = 0;

	while (*s == ' ' || *s == '\t')
		s++;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	for (;; s++, n++) {
		size_t d;

		if (isdigit((unsigned char)*s))
			d = (size_t)(*s - '0');
		else if (base == 16 && isxdigit((unsigned char)*s))
			d = (size_t)(tolower((unsigned char)*s) - 'a' + 10);
		else
			break;
		if (v > (SIZE_MAX - d) / base)
			return 0; /* overflow */
		v = v * base + d;
	}
	while (*s == ' ' || *s == '\t')
		s++;
	if (!n || *s)
		return 0;
	*out = v;
	return 1;
}

/* A bad setting keeps the value before it and is said on stderr (the provider still loads). */
static void vcp_set_min_offload(struct vcp_prov *p, const char *val, const char *from)
{
	if (vcp_parse_bytes(val, &p->min_offload))
		return;
	if (!getenv("VCRYPTO_PROVIDER_QUIET"))
		fprintf(stderr,
			"vcrypto provider: ignoring min_offload \"%.40s\" from %s: not a byte count "
			"(decimal, or hex after 0x); using %zu\n",
			val, from, p->min_offload);
}

static void vcp_read_config(struct vcp_prov *p)
{
	char *conf = NULL;
	const char *env;
	OSSL_PARAM req[] = {
		OSSL_PARAM_utf8_ptr("min_offload", &conf, 0),
		OSSL_PARAM_END,
	};

	p->min_offload = VCP_DEFAULT_MIN_OFFLOAD;
	if (c_get_params && c_get_params(p->handle, req) && conf)
		vcp_set_min_offload(p, conf, "the config section");
	env = getenv("VCRYPTO_MIN_OFFLOAD");
	if (env && *env)
		vcp_set_min_offload(p, env, "VCRYPTO_MIN_OFFLOAD");
}

/* ---- cipher algorithm parameters, shared by the cipher families ---- */

static const OSSL_PARAM vcp_cipher_params[] = {
	OSSL_PARAM_uint(OSSL_CIPHER_PARAM_MODE, NULL),
	OSSL_PARAM_size_t(OSSL_CIPHER_PARAM_KEYLEN, NULL),
	OSSL_PARAM_size_t(OSSL_CIPHER_PARAM_IVLEN, NULL),
	OSSL_PARAM_size_t(OSSL_CIPHER_PARAM_BLOCK_SIZE, NULL),
	OSSL_PARAM_int(OSSL_CIPHER_PARAM_AEAD, NULL),
	OSSL_PARAM_int(OSSL_CIPHER_PARAM_CUSTOM_IV, NULL),
	OSSL_PARAM_int(OSSL_CIPHER_PARAM_CTS, NULL),
	OSSL_PARAM_int(OSSL_CIPHER_PARAM_TLS1_MULTIBLOCK, NULL),
	OSSL_PARAM_int(OSSL_CIPHER_PARAM_HAS_RAND_KEY, NULL),
	OSSL_PARAM_END,
};

const OSSL_PARAM *vcp_cipher_gettable(void *provctx)
{
	(void)provctx;
	return vcp_cipher_params;
}

/* No ciphertext stealing, multi-block or random keys in any family. */
int vcp_cipher_get_params(OSSL_PARAM params[], const struct vcp_cipher_info *ci)
{
	OSSL_PARAM *p;

	if ((p = OSSL_PARAM_locate(params, OSSL_CIPHER_PARAM_MODE)) &&
	    !OSSL_PARAM_set_uint(p, ci->mode))
		return 0;
	if ((p = OSSL_PARAM_locate(params, OSSL_CIPHER_PARAM_KEYLEN)) &&
	    !OSSL_PARAM_set_size_t(p, ci->keylen))
		return 0;
	if ((p = OSSL_PARAM_locate(params, OSSL_CIPHER_PARAM_IVLEN)) &&
	    !OSSL_PARAM_set_size_t(p, ci->ivlen))
		return 0;
	if ((p = OSSL_PARAM_locate(params, OSSL_CIPHER_PARAM_BLOCK_SIZE)) &&
	    !OSSL_PARAM_set_size_t(p, ci->blocksize))
		return 0;
	if ((p = OSSL_PARAM_locate(params, OSSL_CIPHER_PARAM_AEAD)) &&
	    !OSSL_PARAM_set_int(p, ci->aead))
		return 0;
	if ((p = OSSL_PARAM_locate(params, OSSL_CIPHER_PARAM_CUSTOM_IV)) &&
	    !OSSL_PARAM_set_int(p, ci->custom_iv))
		return 0;
	if ((p = OSSL_PARAM_locate(params, OSSL_CIPHER_PARAM_CTS)) && !OSSL_PARAM_set_int(p, 0))
		return 0;
	if ((p = OSSL_PARAM_locate(params, OSSL_CIPHER_PARAM_TLS1_MULTIBLOCK)) &&
	    !OSSL_PARAM_set_int(p, 0))
		return 0;
	if ((p = OSSL_PARAM_locate(params, OSSL_CIPHER_PARAM_HAS_RAND_KEY)) &&
	    !OSSL_PARAM_set_int(p, 0))
		return 0;
	return 1;
}

/* ---- provider functions ---- */

static const OSSL_PARAM vcp_param_types[] = {
	OSSL_PARAM_DEFN(OSSL_PROV_PARAM_NAME, OSSL_PARAM_UTF8_PTR, NULL, 0),
	OSSL_PARAM_DEFN(OSSL_PROV_PARAM_VERSION, OSSL_PARAM_UTF8_PTR, NULL, 0),
	OSSL_PARAM_DEFN(OSSL_PROV_PARAM_BUILDINFO, OSSL_PARAM_UTF8_PTR, NULL, 0),
	OSSL_PARAM_DEFN(OSSL_PROV_PARAM_STATUS, OSSL_PARAM_INTEGER, NULL, 0),
	OSSL_PARAM_DEFN("vcrypto-why", OSSL_PARAM_UTF8_PTR, NULL, 0),
	OSSL_PARAM_DEFN("vcrypto-min-offload", OSSL_PARAM_UNSIGNED_INTEGER, NULL, 0),
	OSSL_PARAM_DEFN("vcrypto-session-cache", OSSL_PARAM_UTF8_PTR, NULL, 0),
	OSSL_PARAM_END,
};

static const OSSL_PARAM *vcp_gettable_params(void *provctx)
{
	return vcp_param_types;
}

static int vcp_get_params(void *provctx, OSSL_PARAM params[])
{
	struct vcp_prov *p = provctx;
	OSSL_PARAM *q;

	if ((q = OSSL_PARAM_locate(params, OSSL_PROV_PARAM_NAME)) &&
	    !OSSL_PARAM_set_utf8_ptr(q, "vcrypto provider (/dev/crypto)"))
		return 0;
	if ((q = OSSL_PARAM_locate(params, OSSL_PROV_PARAM_VERSION)) &&
	    !OSSL_PARAM_set_utf8_ptr(q, VCP_VERSION))
		return 0;
	if ((q = OSSL_PARAM_locate(params, OSSL_PROV_PARAM_BUILDINFO)) &&
	    !OSSL_PARAM_set_utf8_ptr(q, p->why[0] ? p->why : "offloading to " VCP_DEVICE))
		return 0;
	if ((q = OSSL_PARAM_locate(params, OSSL_PROV_PARAM_STATUS)) && !OSSL_PARAM_set_int(q, 1))
		return 0;
	if ((q = OSSL_PARAM_locate(params, "vcrypto-why")) && !OSSL_PARAM_set_utf8_ptr(q, p->why))
		return 0;
	if ((q = OSSL_PARAM_locate(params, "vcrypto-min-offload")) &&
	    !OSSL_PARAM_set_size_t(q, p->min_offload))
		return 0;
	if ((q = OSSL_PARAM_locate(params, "vcrypto-session-cache"))) {
		/*
		 * "hits misses evictions idle spares" of this process's session
		 * cache, and digest contexts made from a spare (tests)
		 */
		pthread_mutex_lock(&vcp_idle_lock);
		snprintf(p->cache_info, sizeof(p->cache_info), "%lu %lu %lu %d %lu",
			 vcp_idle_stats[0], vcp_idle_stats[1], vcp_idle_stats[2],
			 vcp_idle_pid == vcp_getpid() ? vcp_nidle : 0, vcp_digest_spare_hits());
		pthread_mutex_unlock(&vcp_idle_lock);
		if (!OSSL_PARAM_set_utf8_ptr(q, p->cache_info))
			return 0;
	}
	return 1;
}

static const OSSL_ALGORITHM *vcp_query(void *provctx, int op, int *no_cache)
{
	*no_cache = 0;
	switch (op) {
	case OSSL_OP_CIPHER:
		return vcp_ciphers();
	case OSSL_OP_DIGEST:
		return vcp_digest_algs();
	case OSSL_OP_MAC:
		return vcp_macs();
	}
	return NULL;
}

static const OSSL_ITEM vcp_reasons[] = {
	{VCP_R_DEVICE, "/dev/crypto request failed"},
	{VCP_R_KEYLEN, "invalid key length"},
	{VCP_R_IVLEN, "invalid iv length"},
	{VCP_R_BAD_DECRYPT, "bad decrypt"},
	{VCP_R_FINAL_BLOCK, "wrong final block length"},
	{VCP_R_NO_COPY, "cannot copy digest state (device lacks CIOCCPHASH)"},
	{VCP_R_BAD_INPUT, "invalid input"},
	{VCP_R_NO_KEY, "no key set"},
	{VCP_R_FORK, "context used mid-stream across fork"},
	{VCP_R_SOFTWARE, "software fallback failed"},
	{0, NULL},
};

static const OSSL_ITEM *vcp_get_reason_strings(void *provctx)
{
	return vcp_reasons;
}

static void vcp_teardown(void *provctx)
{
	struct vcp_prov *p = provctx;

	if (vcp_the_prov == p) {
		vcp_the_prov = NULL;
		vcp_digest_spares(0); /* their sessions into the idle cache, freed next */
		vcp_idle_flush();
		vcp_sw_release(); /* fetched from p->libctx */
	}
	OSSL_LIB_CTX_free(p->libctx);
	free(p);
}

static const OSSL_DISPATCH vcp_dispatch[] = {
	{OSSL_FUNC_PROVIDER_TEARDOWN, (void (*)(void))vcp_teardown},
	{OSSL_FUNC_PROVIDER_GETTABLE_PARAMS, (void (*)(void))vcp_gettable_params},
	{OSSL_FUNC_PROVIDER_GET_PARAMS, (void (*)(void))vcp_get_params},
	{OSSL_FUNC_PROVIDER_QUERY_OPERATION, (void (*)(void))vcp_query},
	{OSSL_FUNC_PROVIDER_GET_REASON_STRINGS, (void (*)(void))vcp_get_reason_strings},
	{0, NULL},
};

static int vcp_said_why;

/*
 * fork() while another thread holds one of the provider's locks would leave
 * it locked in the child for good (its first digest or fetch would hang).
 * The handlers take every lock around fork(); none is taken while another
 * is held, so the order below cannot deadlock. (glibc drops the handlers
 * when the module is unloaded.)
 */
static void vcp_fork_prepare(void)
{
	pthread_mutex_lock(&vcp_fd_lock);
	pthread_mutex_lock(&vcp_idle_lock);
	pthread_mutex_lock(&vcp_fetch_lock);
	vcp_digest_fork_lock(1);
}

static void vcp_fork_release(void)
{
	vcp_digest_fork_lock(0);
	pthread_mutex_unlock(&vcp_fetch_lock);
	pthread_mutex_unlock(&vcp_idle_lock);
	pthread_mutex_unlock(&vcp_fd_lock);
}

static pthread_once_t vcp_atfork_once = PTHREAD_ONCE_INIT;

static void vcp_atfork_register(void)
{
	pthread_atfork(vcp_fork_prepare, vcp_fork_release, vcp_fork_release);
	vcp_pid_setup();
}

__attribute__((visibility("default"))) int OSSL_provider_init(const OSSL_CORE_HANDLE *handle,
							      const OSSL_DISPATCH *in,
							      const OSSL_DISPATCH **out,
							      void **provctx)
{
	struct vcp_prov *p;
	const OSSL_DISPATCH *d;

	for (d = in; d->function_id; d++) {
		switch (d->function_id) {
		case OSSL_FUNC_CORE_NEW_ERROR:
			c_new_error = OSSL_FUNC_core_new_error(d);
			break;
		case OSSL_FUNC_CORE_SET_ERROR_DEBUG:
			c_set_error_debug = OSSL_FUNC_core_set_error_debug(d);
			break;
		case OSSL_FUNC_CORE_VSET_ERROR:
			c_vset_error = OSSL_FUNC_core_vset_error(d);
			break;
		case OSSL_FUNC_CORE_GET_PARAMS:
			c_get_params = OSSL_FUNC_core_get_params(d);
			break;
		}
	}
	p = calloc(1, sizeof(*p));
	if (!p)
		return 0;
	p->handle = handle;
	vcp_handle = handle;
	pthread_once(&vcp_atfork_once, vcp_atfork_register);
	vcp_read_config(p);
	/* software for short one-shot work and digests the device lacks */
	p->libctx = OSSL_LIB_CTX_new_child(handle, in);
	vcp_probe(p);
	/* the algorithm tables, built once from what the probe found */
	vcp_ciphers();
	vcp_digest_algs();
	vcp_macs();
	if (p->why[0] && !vcp_said_why && !getenv("VCRYPTO_PROVIDER_QUIET")) {
		vcp_said_why = 1;
		fprintf(stderr, "vcrypto provider: %s\n", p->why);
	}
	/* the first instance (the application's context) holds the settings */
	if (!vcp_the_prov) {
		vcp_the_prov = p;
		vcp_digest_spares(1);
	}
	*provctx = p;
	*out = vcp_dispatch;
	return 1;
}

/* ---- the probe: a session per algorithm, kept only if it opens ---- */

void vcp_probe(struct vcp_prov *p)
{
	static const uint8_t key[64] = {1,  2,	3,  4,	5,  6,	7,  8,	9,  10, 11, 12, 13,
					14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26,
					27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39,
					40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, 52,
					53, 54, 55, 56, 57, 58, 59, 60, 61, 62, 63, 64};
	static const struct {
		uint32_t alg, keylen;
	} ciphers[VCP_NCIPHERS] = {
		{CRYPTO_AES_ECB, 16}, {CRYPTO_AES_ECB, 24}, {CRYPTO_AES_ECB, 32},
		{CRYPTO_AES_CBC, 16}, {CRYPTO_AES_CBC, 24}, {CRYPTO_AES_CBC, 32},
		{CRYPTO_AES_CTR, 16}, {CRYPTO_AES_CTR, 24}, {CRYPTO_AES_CTR, 32},
		{CRYPTO_AES_XTS, 32}, {CRYPTO_AES_XTS, 64}, {0, 0},
	};
	int fd = vcp_fd(), i, n = 0;
	uint32_t ses;

	if (fd < 0) {
		snprintf(p->why, sizeof(p->why), "%s: %s; offering no algorithms", VCP_DEVICE,
			 strerror(vcp_fd_errno));
		return;
	}
	for (i = 0; i < VCP_NCIPHERS; i++) {
		if (!ciphers[i].alg)
			continue;
		if (!vcp_sess_new(fd, ciphers[i].alg, key, ciphers[i].keylen, 0, NULL, 0, &ses)) {
			vcp_cipher_ok[i] = 1;
			if (ciphers[i].alg == CRYPTO_AES_CTR) /* GCM's counter mode */
				vcp_gcm_ok[ciphers[i].keylen / 8 - 2] = 1;
			vcp_sess_free(fd, ses);
			n++;
		}
	}
	for (i = 0; i < VCP_NDIGESTS; i++) {
		if (!vcp_sess_new(fd, 0, NULL, 0, vcp_digests[i].cdev, NULL, 0, &ses)) {
			vcp_digest_ok[i] = 1;
			vcp_sess_free(fd, ses);
			n++;
		}
		if (!vcp_sess_new(fd, 0, NULL, 0, vcp_digests[i].cdev_hmac, key, 32, &ses)) {
			vcp_hmac_ok[i] = 1;
			vcp_sess_free(fd, ses);
			n++;
		}
	}
	if (!n)
		snprintf(p->why, sizeof(p->why),
			 "%s opens but serves none of our algorithms; offering none", VCP_DEVICE);
}
