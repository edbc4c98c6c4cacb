/* SPDX-License-Identifier: GPL-2.0 */
/*
 * virtio_cryptodev: /dev/crypto (cryptodev-linux ABI) served by
 * virtio-crypto devices.  Shared declarations of the module's files:
 *
 *   vcdev_main.c     module init/exit, the misc device, device registry
 *   vcdev_virtio.c   virtio driver: probe/remove, virtqueues, requests
 *   vcdev_session.c  sessions: algorithm table, control queue requests
 *   vcdev_buf.c      user data: bounce pages or pinned user pages
 *   vcdev_ioctl.c    file operations, the ioctls, 32-bit compat
 *   vcdev_crypt.c    the data path: CIOCCRYPT
 *   vcdev_aead.c     CIOCAUTHCRYPT: TLS, SRTP and GCM from device parts
 *   vcdev_hash.c     multi-part hashes/MACs: gathered parts, CIOCCPHASH
 *   vcdev_async.c    CIOCASYNCCRYPT, CIOCASYNCFETCH, poll
 */
#ifndef VCDEV_H
#define VCDEV_H

#include <linux/completion.h>
#include <linux/idr.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/scatterlist.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/virtio.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <uapi/linux/virtio_crypto.h>

#define VCDEV_DRIVER_NAME "virtio_cryptodev"

/* Largest request payload we build (bytes of src); also capped by max_size. */
#define VCDEV_MAX_DATA_LEN (16U << 20)
/* At or above this many bytes user pages are pinned instead of copied. */
#define VCDEV_ZC_THRESHOLD 4096U
/*
 * Bytes of data a request carries inside itself (src and dst in place,
 * one scatterlist entry, no bounce pages); the module parameter
 * inline_max may lower the limit at run time (0: always bounce pages).
 */
#define VCDEV_INLINE_CAP 2048U
/* Most descriptors one request may use (QEMU refuses more than 1024). */
#define VCDEV_MAX_SEGS 960U
#define VCDEV_MAX_IV 16U
#define VCDEV_MAX_DIGEST 64U
/*
 * Hybrid polling of synchronous data requests (module parameter poll_us):
 * the default spin window and the most it may be set to (microseconds).
 */
#define VCDEV_POLL_US_DEFAULT 100U
#define VCDEV_POLL_US_MAX 10000U
/* How long teardown waits for the device to answer a control request. */
#define VCDEV_CTRL_TIMEOUT (10 * HZ)

struct vcdev_device;
struct crypto_shash;
struct shash_desc;

/* One virtqueue and what guards it.  Lives inside its vcdev_device. */
struct vcdev_vq {
	struct virtqueue *vq;
	struct vcdev_device *dev;
	spinlock_t lock; /* vq add/get/detach and @dead */
	bool dead; /* device going away: no more requests */
	wait_queue_head_t space_wq; /* submitters waiting for ring space */
	unsigned long seq; /* requests returned so far (wakes space_wq) */
	/*
	 * Hybrid polling (vcdev_virtio.c, poll_us): @spinning is set (under
	 * @lock) while a task spins on the used ring with the queue's
	 * callbacks off; @waiters counts tasks waiting for a synchronous
	 * data request on this queue, spinning or asleep.
	 */
	bool spinning;
	atomic_t waiters;
	atomic64_t submitted; /* statistics (sysfs) */
	atomic64_t completed; /* requests returned, by either side (sysfs) */
	atomic64_t spins; /* spin windows entered (sysfs vcdev_poll) */
	atomic64_t spin_hits; /* of them: the spinner's request came back */
	atomic64_t spin_reaped; /* requests a spinner returned, its own or others' */
	atomic64_t spin_others; /* of them: another task's request (or an async job) */
	char name[24];
};

/*
 * One virtio-crypto device bound to this driver.  Reference counted:
 * the driver binding holds one, every session on it one more, so a
 * session outlives the device's removal safely (it only fails then).
 */
struct vcdev_device {
	struct kref ref;
	struct virtio_device *vdev;
	struct list_head node; /* in the registry, under vcdev_registry_lock */
	unsigned int id;
	bool dead; /* READ_ONCE: removed (or being removed) */

	u32 services;
	u32 cipher_mask_l, cipher_mask_h, hash_mask, mac_mask_l, mac_mask_h;
	u32 max_cipher_key_len, max_auth_key_len;
	u64 max_size;

	unsigned int nr_data;
	struct vcdev_vq *data; /* nr_data queues */
	struct vcdev_vq ctrl;
	atomic_t next_q; /* round robin over data queues */
	atomic_t nr_sessions; /* device sessions alive (sysfs) */
	atomic_t inflight; /* requests the device owns (sysfs) */
	atomic_long_t gathered; /* bytes of its sessions' gather buffers (sysfs) */
	atomic_long_t sw_fallbacks; /* hash streams moved to software (sysfs) */
};

/*
 * Data memory handed to the device: the request's inline area, bounce
 * pages or pinned user pages.
 */
struct vcdev_buf {
	struct sg_table sgt; /* exactly len bytes */
	unsigned int len;
	bool pinned;
	bool writable; /* pinned for writing: dirty on release */
	unsigned int nr_pages;
	struct page **pages; /* pinned: user pages; bounce: allocated chunks */
	unsigned int *orders; /* bounce: order of each chunk */
	u8 *inl; /* inline: len bytes of the request's inl[]; sgt.sgl is &one */
	struct scatterlist one;
};

/*
 * One request on a virtqueue.  Reference counted: the submitter holds one
 * reference and the device one while the request is queued, so memory the
 * device may still write is freed only after the device gives it back
 * (or the queue is torn down), whatever happens to the submitter.
 */
struct vcdev_req {
	struct kref ref;
	struct completion done;
	struct work_struct free_work;
	int result; /* 0 or -errno, valid once @done completes */
	u32 used_len;
	struct vcdev_vq *q; /* set while the device owns the request */
	struct vcdev_session *ses; /* holds a reference, may be NULL */
	/*
	 * Called once when the device returns the request (or it is failed
	 * on removal), with the queue's lock held and interrupts off (must
	 * not sleep); @done_arg belongs to the caller.  NULL: only @done.
	 */
	void (*on_done)(struct vcdev_req *req);
	void *done_arg;

	union {
		struct virtio_crypto_op_ctrl_req ctrl;
		struct virtio_crypto_op_data_req data;
	} hdr;
	union {
		struct virtio_crypto_session_input sess; /* create session */
		struct virtio_crypto_inhdr inhdr; /* everything else */
	} in;
	u8 iv[VCDEV_MAX_IV];
	u8 *keys; /* control: cipher key then auth key (kfree_sensitive) */
	unsigned int keys_len;

	struct vcdev_buf src, dst; /* data requests */
	bool in_place; /* dst is src */
	/* digest and inl[] are the part copied to/from user space directly */
	u8 digest[VCDEV_MAX_DIGEST] __aligned(16);
	/*
	 * Small data, src and dst in place (vcdev_buf_bounce), up to
	 * VCDEV_INLINE_CAP bytes.  A free request is all-zero, header and
	 * inl[]: the cache's constructor zeroes new ones, vcdev_req_free()
	 * wipes the header and the inline bytes the request used.
	 */
	u8 inl[] __aligned(16);
};

/* Algorithm description (one per cryptodev algorithm number we serve). */
struct vcdev_alg {
	u32 cop_alg; /* CRYPTO_* */
	u32 virtio_alg; /* VIRTIO_CRYPTO_CIPHER_* or _MAC_* */
	const char *cra_name;
	const char *drv_name;
	unsigned int blocksize; /* data length must be a multiple */
	unsigned int ivsize;
	unsigned int digestsize;
	bool is_mac; /* keyed (HMAC); false: plain digest */
	bool is_aead; /* GCM: CIOCAUTHCRYPT only, built in vcdev_aead.c */
};

/* A cryptodev session: owned by the file, refcounted by in-flight requests. */
struct vcdev_session {
	struct kref ref;
	u32 sid;
	struct vcdev_device *dev; /* holds a device reference */
	const struct vcdev_alg *cipher; /* may be NULL */
	const struct vcdev_alg *mac; /* may be NULL */
	unsigned int keylen;
	/* device session ids; valid when the has_ flag is set */
	u64 enc_id, dec_id;
	bool has_enc, has_dec;
	/*
	 * CIOCAUTHCRYPT (vcdev_aead.c) on a cipher+MAC session: cipher-only
	 * and MAC-only device sessions besides the chaining ones above.
	 */
	u64 aux_enc_id, aux_dec_id, aux_mac_id;
	bool has_aux_enc, has_aux_dec, has_aux_mac;
	struct crypto_shash *ghash; /* GCM: GHASH keyed with H */
	/* IV carried between requests that pass no iv (as cryptodev does) */
	spinlock_t iv_lock;
	u8 iv[VCDEV_MAX_IV];
	/*
	 * Multi-part MAC (COP_FLAG_UPDATE): the device keeps no hash state,
	 * so the parts are gathered here and sent as one request at the end.
	 * The buffer is charged to the owning file (vcdev_file.gathered) and
	 * freed when the session leaves the file (acc_closed).
	 */
	struct mutex acc_lock;
	u8 *acc; /* kvmalloc'd, acc_cap bytes */
	unsigned int acc_len, acc_cap;
	bool acc_closed; /* removed from its file: no more gathering */
	/*
	 * Software stream (vcdev_hash.c): a multi-part hash that would pass
	 * the gather caps continues in the guest kernel's crypto_shash.
	 * sw_desc non-NULL: the stream is in software (under acc_lock);
	 * sw_tfm is kept once made.  mackey: the HMAC key, kept for it.
	 */
	struct crypto_shash *sw_tfm;
	struct shash_desc *sw_desc;
	u8 *mackey; /* kfree_sensitive */
	unsigned int mackeylen;
	bool sw_logged; /* the switch was logged (once per session) */
	bool sw_bad; /* a failed part could not be undone: EIO until a reset */
};

/* Per open file of /dev/crypto. */
struct vcdev_file {
	struct mutex lock; /* the idr, nr_sessions */
	struct idr sessions;
	unsigned int nr_sessions; /* capped by max_file_sessions */
	atomic_long_t gathered; /* bytes of gather buffers, capped by max_file_gather */
	struct vcdev_async *async; /* CIOCASYNCCRYPT jobs (vcdev_async.c) */
};

/*
 * One CIOCCRYPT on its way: the submit half (vcdev_crypt_prepare, _queue)
 * and the completion half (vcdev_crypt_complete) run in the caller's
 * context; sync requests wait in between, async ones return to user space.
 */
struct vcdev_op {
	struct vcdev_session *ses; /* reference */
	const struct vcdev_alg *c;
	const struct vcdev_alg *m;
	unsigned int ivsize;
	u8 iv[VCDEV_MAX_IV];
	u8 next_iv[VCDEV_MAX_IV];
	struct vcdev_req *req; /* reference; NULL: nothing for the device */
	unsigned int dev_len; /* bytes of data the device sees */
	bool gathered; /* sends gathered MAC parts: cannot be restarted */
	bool null_copy; /* CRYPTO_NULL: src to dst in the guest */
	bool sw_digest; /* the MAC was finished in software: @digest */
	u8 digest[VCDEV_MAX_DIGEST];
};

/* True for CRYPTO_NULL: done in the guest kernel, never by a device. */
static inline bool vcdev_alg_is_null(const struct vcdev_alg *alg)
{
	return alg && alg->virtio_alg == VIRTIO_CRYPTO_NO_CIPHER;
}

/* vcdev_main.c */
extern struct workqueue_struct *vcdev_wq; /* deferred request release */
struct vcdev_device *vcdev_registry_pick(void); /* returns a reference */
void vcdev_registry_add(struct vcdev_device *dev);
void vcdev_registry_del(struct vcdev_device *dev);
extern const struct file_operations vcdev_fops;

/* vcdev_virtio.c */
int vcdev_virtio_register(void);
void vcdev_virtio_unregister(void);
void vcdev_device_put(struct vcdev_device *dev);
int vcdev_req_cache_init(void);
void vcdev_req_cache_fini(void);
struct vcdev_req *vcdev_req_alloc(gfp_t gfp);
void vcdev_req_put(struct vcdev_req *req);
int vcdev_req_submit(struct vcdev_vq *q, struct vcdev_req *req, struct scatterlist **sgs,
		     unsigned int out_sgs, unsigned int in_sgs);
int vcdev_req_wait(struct vcdev_req *req, bool killable);
struct vcdev_vq *vcdev_pick_data_vq(struct vcdev_device *dev);

/* vcdev_session.c */
const struct vcdev_alg *vcdev_alg_cipher(u32 cop_alg);
const struct vcdev_alg *vcdev_alg_mac(u32 cop_alg);
bool vcdev_cipher_keylen_ok(const struct vcdev_alg *alg, unsigned int keylen);
int vcdev_session_create(struct vcdev_session **out, u32 cipher, u32 mac, const u8 *key,
			 unsigned int keylen, const u8 *mackey, unsigned int mackeylen);
void vcdev_session_put(struct vcdev_session *ses);
struct vcdev_session *vcdev_session_get(struct vcdev_session *ses);

/* vcdev_buf.c */
unsigned int vcdev_inline_max(void);
int vcdev_buf_bounce(struct vcdev_buf *b, unsigned int len, u8 *inl);
int vcdev_buf_pin(struct vcdev_buf *b, unsigned long uaddr, unsigned int len, bool writable);
int vcdev_buf_copy_in(struct vcdev_buf *b, const u8 __user *src, unsigned int n);
int vcdev_buf_copy_out(struct vcdev_buf *b, u8 __user *dst, unsigned int n);
void vcdev_buf_release(struct vcdev_buf *b);
void vcdev_buf_tail(struct vcdev_buf *b, unsigned int off, u8 *out, unsigned int n);
int vcdev_user_copy(u8 __user *dst, const u8 __user *src, unsigned int len);

/* vcdev_ioctl.c */
long vcdev_ioctl(struct file *filp, unsigned int cmd, unsigned long arg);
long vcdev_compat_ioctl(struct file *filp, unsigned int cmd, unsigned long arg);
int vcdev_status_errno(u8 status);
/* Looks up a session of @f; returns a reference (vcdev_session_put) or NULL. */
struct vcdev_session *vcdev_lookup(struct vcdev_file *f, u32 sid);

/* vcdev_crypt.c */
struct crypt_op;
struct crypt_auth_op;
int vcdev_crypt(struct vcdev_file *f, struct crypt_op *cop);
int vcdev_crypt_prepare(struct vcdev_file *f, struct vcdev_op *op, struct crypt_op *cop);
int vcdev_crypt_queue(struct vcdev_op *op);
int vcdev_crypt_complete(struct vcdev_op *op, const struct crypt_op *cop, int result);
void vcdev_crypt_end(struct vcdev_op *op);

/* vcdev_aead.c */
int vcdev_authcrypt(struct vcdev_file *f, struct crypt_auth_op *caop);
int vcdev_aead_session_init(struct vcdev_session *ses);
void vcdev_aead_session_fini(struct vcdev_session *ses);
/* device parts, also used by multi-part cipher+MAC (vcdev_hash.c) */
int vcdev_aead_cipher(struct vcdev_session *ses, bool dec, const u8 *iv, u8 *buf,
		      unsigned int len);
int vcdev_aead_mac(struct vcdev_session *ses, const u8 *a, unsigned int alen, const u8 *b,
		   unsigned int blen, u8 *digest);
void vcdev_aead_next_iv(const struct vcdev_alg *c, u8 *iv, const u8 *ct, unsigned int len);

/* vcdev_hash.c */
int vcdev_mac_parts(struct vcdev_file *f, struct vcdev_session *ses, const struct crypt_op *cop,
		    u8 **msg, unsigned int *msg_len, u8 *digest);
void vcdev_sw_free(struct vcdev_session *ses);
void vcdev_acc_close(struct vcdev_file *f, struct vcdev_session *ses);
int vcdev_cphash(struct vcdev_file *f, u32 dst_sid, u32 src_sid);
int vcdev_chain_parts(struct vcdev_file *f, struct vcdev_session *ses, struct crypt_op *cop);

/* vcdev_async.c */
struct vcdev_async *vcdev_async_alloc(void);
void vcdev_async_release(struct vcdev_async *a);
int vcdev_async_crypt(struct vcdev_file *f, const struct crypt_op *cop);
int vcdev_async_fetch(struct vcdev_file *f, struct crypt_op *cop);
__poll_t vcdev_async_poll(struct file *filp, struct poll_table_struct *wait);

#endif /* VCDEV_H */
