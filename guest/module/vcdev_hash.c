// SPDX-License-Identifier: GPL-2.0
/*
 * Multi-part hashes and MACs: COP_FLAG_UPDATE / COP_FLAG_FINAL /
 * COP_FLAG_RESET and CIOCCPHASH.
 *
 * A virtio-crypto device keeps no hash state between requests, so the
 * parts of a multi-part hash are gathered in the session and go to the
 * device as one request when the digest is asked for.  The "hash state"
 * of a session is therefore the bytes gathered so far, and copying the
 * state (CIOCCPHASH) copies those bytes.  The buffers are charged to the
 * caller's memory cgroup and count against a per-file limit.  A stream
 * that would pass a limit goes on in the guest kernel's software hash
 * (see "Software streams" below) rather than failing.
 */
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include <crypto/cryptodev.h>
#include <crypto/hash.h>

#include "vcdev.h"

static unsigned long max_file_gather = 32UL << 20;
module_param(max_file_gather, ulong, 0644);
MODULE_PARM_DESC(max_file_gather,
		 "bytes of multi-part hash buffers one open file may hold (streams beyond go on in software)");

/* Counts @n more bytes of @ses's against @f's limit; -ENOMEM if over it. */
static int vcdev_gather_charge(struct vcdev_file *f, struct vcdev_session *ses, unsigned long n)
{
	if (atomic_long_add_return(n, &f->gathered) > READ_ONCE(max_file_gather)) {
		atomic_long_sub(n, &f->gathered);
		return -ENOMEM;
	}
	atomic_long_add(n, &ses->dev->gathered);
	return 0;
}

static void vcdev_gather_uncharge(struct vcdev_file *f, struct vcdev_session *ses,
				  unsigned long n)
{
	atomic_long_sub(n, &f->gathered);
	atomic_long_sub(n, &ses->dev->gathered);
}

/* Gathered bytes are user secrets (HMAC input): wiped before freeing. */
static void vcdev_acc_free(u8 *p, unsigned int cap)
{
	if (p) {
		memzero_explicit(p, cap);
		kvfree(p);
	}
}

/* Drops what @ses has gathered, and its room in the file's cap; acc_lock held. */
static void vcdev_acc_drop(struct vcdev_file *f, struct vcdev_session *ses)
{
	if (!ses->acc)
		return;
	vcdev_acc_free(ses->acc, ses->acc_cap);
	vcdev_gather_uncharge(f, ses, ses->acc_cap);
	ses->acc = NULL;
	ses->acc_len = 0;
	ses->acc_cap = 0;
}

/* The most one session may gather: what one device request can carry. */
static unsigned int vcdev_gather_limit(const struct vcdev_session *ses)
{
	u64 max = ses->dev->max_size;

	if (max <= VCDEV_MAX_DIGEST)
		return 0;
	return (unsigned int)min_t(u64, VCDEV_MAX_DATA_LEN, max - VCDEV_MAX_DIGEST);
}

/* True if @len more bytes fit in @ses's gathered parts. */
static bool vcdev_gather_fits(const struct vcdev_session *ses, unsigned int len)
{
	unsigned int lim = vcdev_gather_limit(ses);

	return ses->acc_len <= lim && len <= lim - ses->acc_len;
}

/* Grows @ses's buffer to hold @need bytes; acc_lock held. */
static int vcdev_acc_grow(struct vcdev_file *f, struct vcdev_session *ses, unsigned int need)
{
	unsigned int cap;
	u8 *p;
	int ret;

	if (need <= ses->acc_cap)
		return 0;
	cap = min(max3(need, 2 * ses->acc_cap, 4096U), VCDEV_MAX_DATA_LEN);
	ret = vcdev_gather_charge(f, ses, cap - ses->acc_cap);
	if (ret)
		return ret;
	p = kvmalloc(cap, GFP_KERNEL_ACCOUNT);
	if (!p) {
		vcdev_gather_uncharge(f, ses, cap - ses->acc_cap);
		return -ENOMEM;
	}
	if (ses->acc) {
		memcpy(p, ses->acc, ses->acc_len);
		vcdev_acc_free(ses->acc, ses->acc_cap);
	}
	ses->acc = p;
	ses->acc_cap = cap;
	return 0;
}

/*
 * Software streams.  The device hashes one message per request, and the
 * gathered message is capped (one request's size per session, and
 * max_file_gather per file, to bound the kernel memory a user can pin).
 * A stream that would pass a cap is not failed: it moves to the guest
 * kernel's own crypto_shash of the same algorithm (keyed with the
 * session's MAC key), fed what was gathered so far, and goes on there
 * until FINAL or a reset.  Its state is a few hundred bytes whatever the
 * length, so CIOCCPHASH copies it with crypto_shash_export/import.
 */
#define VCDEV_SW_CHUNK (64U << 10)

/* The session's software hash, made on first use; acc_lock held. */
static int vcdev_sw_tfm(struct vcdev_session *ses)
{
	struct crypto_shash *tfm;
	int ret;

	if (ses->sw_tfm)
		return 0;
	tfm = crypto_alloc_shash(ses->mac->cra_name, 0, 0);
	if (IS_ERR(tfm))
		return PTR_ERR(tfm);
	if (ses->mac->is_mac) {
		ret = crypto_shash_setkey(tfm, ses->mackey, ses->mackeylen);
		if (ret) {
			crypto_free_shash(tfm);
			return ret;
		}
	}
	ses->sw_tfm = tfm;
	return 0;
}

static struct shash_desc *vcdev_sw_desc_new(struct crypto_shash *tfm)
{
	struct shash_desc *d;

	d = kmalloc(sizeof(*d) + crypto_shash_descsize(tfm), GFP_KERNEL_ACCOUNT);
	if (d)
		d->tfm = tfm;
	return d;
}

/* Ends @ses's software stream, if any; acc_lock held (or last reference). */
static void vcdev_sw_drop(struct vcdev_session *ses)
{
	kfree_sensitive(ses->sw_desc); /* holds HMAC pads */
	ses->sw_desc = NULL;
}

/* Feeds @len kernel bytes, a chunk at a time (a 16 MiB part is long in software). */
static int vcdev_sw_update(struct shash_desc *d, const u8 *p, unsigned int len)
{
	unsigned int n;
	int ret = 0;

	while (len && !ret) {
		n = min(len, VCDEV_SW_CHUNK);
		ret = crypto_shash_update(d, p, n);
		p += n;
		len -= n;
		cond_resched();
	}
	return ret;
}

/* Software state of @ses's stream, or of its gathered bytes; acc_lock held. */
static int vcdev_sw_export(struct vcdev_session *ses, u8 **state)
{
	struct shash_desc *d = ses->sw_desc;
	int ret;

	ret = vcdev_sw_tfm(ses);
	if (ret)
		return ret;
	*state = kmalloc(crypto_shash_statesize(ses->sw_tfm), GFP_KERNEL);
	if (!*state)
		return -ENOMEM;
	if (!d) {
		d = vcdev_sw_desc_new(ses->sw_tfm);
		ret = d ? crypto_shash_init(d) : -ENOMEM;
		if (!ret)
			ret = vcdev_sw_update(d, ses->acc, ses->acc_len);
	}
	if (!ret)
		ret = crypto_shash_export(d, *state);
	if (d != ses->sw_desc)
		kfree_sensitive(d);
	if (ret) {
		kfree_sensitive(*state);
		*state = NULL;
	}
	return ret;
}

/* Notes that @ses's stream went to software: counted, logged once. */
static void vcdev_sw_count(struct vcdev_session *ses, const char *why)
{
	atomic_long_inc(&ses->dev->sw_fallbacks);
	if (!ses->sw_logged) {
		ses->sw_logged = true;
		pr_debug("device %u session %u: %s stream continues in software (%s, %s)\n",
			 ses->dev->id, ses->sid, ses->mac->cra_name,
			 crypto_shash_driver_name(ses->sw_tfm), why);
	}
}

/*
 * Moves @ses's stream to software: what was gathered is hashed there and
 * freed.  acc_lock held.
 */
static int vcdev_sw_start(struct vcdev_file *f, struct vcdev_session *ses, const char *why)
{
	struct shash_desc *d;
	int ret;

	ret = vcdev_sw_tfm(ses);
	if (ret)
		return ret;
	d = vcdev_sw_desc_new(ses->sw_tfm);
	if (!d)
		return -ENOMEM;
	ret = crypto_shash_init(d);
	if (!ret)
		ret = vcdev_sw_update(d, ses->acc, ses->acc_len);
	if (ret) {
		kfree_sensitive(d);
		return ret;
	}
	vcdev_acc_drop(f, ses);
	ses->sw_desc = d;
	vcdev_sw_count(ses, why);
	return 0;
}

/*
 * Feeds @len user bytes to @ses's software stream.  On failure (EFAULT)
 * the state is put back as it was, as a gathered part that failed to copy
 * leaves the gathered bytes as they were.  acc_lock held.
 */
static int vcdev_sw_update_user(struct vcdev_session *ses, const u8 __user *src, unsigned int len)
{
	unsigned int n, chunk = min(len, VCDEV_SW_CHUNK);
	u8 *buf, *saved;
	int ret;

	buf = kvmalloc(chunk, GFP_KERNEL);
	saved = kmalloc(crypto_shash_statesize(ses->sw_tfm), GFP_KERNEL);
	ret = -ENOMEM;
	if (!buf || !saved)
		goto out;
	ret = crypto_shash_export(ses->sw_desc, saved);
	if (ret)
		goto out;
	while (len && !ret) {
		n = min(len, chunk);
		if (copy_from_user(buf, src, n)) {
			ret = -EFAULT;
			break;
		}
		ret = crypto_shash_update(ses->sw_desc, buf, n);
		src += n;
		len -= n;
		cond_resched();
	}
	/* a state that cannot be put back fails the stream until a reset */
	if (ret && crypto_shash_import(ses->sw_desc, saved))
		ses->sw_bad = true;
out:
	if (buf)
		kvfree_sensitive(buf, chunk);
	kfree_sensitive(saved);
	return ret;
}

/* The session is being freed: its software hash goes with it. */
void vcdev_sw_free(struct vcdev_session *ses)
{
	vcdev_sw_drop(ses);
	if (ses->sw_tfm)
		crypto_free_shash(ses->sw_tfm);
	ses->sw_tfm = NULL;
	kfree_sensitive(ses->mackey);
	ses->mackey = NULL;
}

/* A reset (flags 0, COP_FLAG_RESET): gathered bytes and software state go; acc_lock held. */
static void vcdev_stream_reset(struct vcdev_file *f, struct vcdev_session *ses)
{
	vcdev_acc_drop(f, ses);
	vcdev_sw_drop(ses);
	ses->sw_bad = false;
}

/*
 * Adds @len bytes (user @usrc or kernel @ksrc) to @ses's stream: gathered
 * while they fit the caps, else in software from here on.  When software
 * cannot be had, the cap's own error stands (EINVAL past one request,
 * ENOMEM past the file's cap).  acc_lock held.
 */
static int vcdev_stream_add(struct vcdev_file *f, struct vcdev_session *ses,
			    const u8 __user *usrc, const u8 *ksrc, unsigned int len)
{
	int ret, err;

	if (ses->sw_bad)
		return -EIO;
	if (!len)
		return 0;
	if (!ses->sw_desc) {
		ret = -EINVAL;
		if (vcdev_gather_fits(ses, len))
			ret = vcdev_acc_grow(f, ses, ses->acc_len + len);
		if (!ret) {
			if (ksrc)
				memcpy(ses->acc + ses->acc_len, ksrc, len);
			else if (copy_from_user(ses->acc + ses->acc_len, usrc, len))
				return -EFAULT;
			ses->acc_len += len;
			return 0;
		}
		err = vcdev_sw_start(f, ses, ret == -EINVAL ? "past one request's size" :
							      "past the file's gather cap");
		if (err) {
			pr_warn_ratelimited("device %u session %u: no software %s (%d): the stream fails at the gather cap\n",
					    ses->dev->id, ses->sid, ses->mac->cra_name, err);
			return ret;
		}
	}
	if (ksrc)
		return vcdev_sw_update(ses->sw_desc, ksrc, len);
	return vcdev_sw_update_user(ses, usrc, len);
}

/* Finishes @ses's software stream into @digest; it starts over.  acc_lock held. */
static int vcdev_sw_final(struct vcdev_session *ses, u8 *digest)
{
	int ret = ses->sw_bad ? -EIO : crypto_shash_final(ses->sw_desc, digest);

	vcdev_sw_drop(ses);
	ses->sw_bad = false;
	return ret;
}

/*
 * Multi-part hash or MAC on a session whose data goes to no device cipher
 * (MAC-only, or CRYPTO_NULL + MAC), with cryptodev-linux's rules
 * (main.c crypto_run): flags exactly 0, or COP_FLAG_RESET, start over;
 * the digest is produced when COP_FLAG_FINAL is set, or COP_FLAG_UPDATE
 * is not, or len is 0; otherwise the data is only added.  After a digest
 * the session starts over (cryptodev-linux leaves its state undefined
 * there; every client resets or finishes).
 * Returns 1 when the data was only stored; 2 when the stream was in
 * software and its digest is in @digest (VCDEV_MAX_DIGEST bytes); 0 to
 * go on, with *msg set to the whole message (the caller wipes and
 * kvfree()s it) if earlier parts exist, NULL for a one-part digest of the
 * caller's buffer.
 */
int vcdev_mac_parts(struct vcdev_file *f, struct vcdev_session *ses, const struct crypt_op *cop,
		    u8 **msg, unsigned int *msg_len, u8 *digest)
{
	u16 fl = cop->flags;
	bool reset = !fl || (fl & COP_FLAG_RESET);
	bool final = (fl & COP_FLAG_FINAL) || !(fl & COP_FLAG_UPDATE) || !cop->len;
	int ret = 0;

	*msg = NULL;
	mutex_lock(&ses->acc_lock);
	if (ses->acc_closed) {
		ret = -EINVAL; /* freed while this call ran: an unknown session */
		goto out;
	}
	if (reset)
		vcdev_stream_reset(f, ses); /* with the gathered bytes goes their room */
	if (final && !ses->acc_len && !ses->sw_desc && !ses->sw_bad)
		goto out; /* one part: the usual single request */
	ret = vcdev_stream_add(f, ses, cop->src, NULL, cop->len);
	if (ret)
		goto out;
	if (!final) {
		ret = 1;
		goto out;
	}
	if (ses->sw_desc || ses->sw_bad) {
		ret = vcdev_sw_final(ses, digest);
		if (!ret)
			ret = 2;
		goto out;
	}
	/*
	 * The whole message goes to the device and the session starts over.
	 * The buffer now belongs to this request (like its bounce pages) and
	 * no longer counts against the file.
	 */
	*msg = ses->acc;
	*msg_len = ses->acc_len;
	vcdev_gather_uncharge(f, ses, ses->acc_cap);
	ses->acc = NULL;
	ses->acc_len = 0;
	ses->acc_cap = 0;
out:
	mutex_unlock(&ses->acc_lock);
	return ret;
}

/*
 * The session leaves its file (CIOCFSESSION, close): its gathered bytes
 * are freed now, while the file can still be uncharged; calls still
 * running on it see an unknown session.
 */
void vcdev_acc_close(struct vcdev_file *f, struct vcdev_session *ses)
{
	mutex_lock(&ses->acc_lock);
	ses->acc_closed = true;
	vcdev_stream_reset(f, ses);
	mutex_unlock(&ses->acc_lock);
}

/*
 * CIOCCPHASH: @dst continues from @src's hash state: a copy of the bytes
 * @src has gathered, or of its software state.  When the file has no room
 * for a second copy of the bytes, @dst gets their software state instead
 * (its stream goes on in software).  Errors as cryptodev-linux (ioctl.c
 * crypto_copy_hash_state): the same id twice EDEADLK, a session missing
 * ENOENT, a session without a hash EINVAL.  Ours besides: hashes of
 * different algorithms EINVAL (a state means nothing to another
 * algorithm; cryptodev-linux does not check).
 */
int vcdev_cphash(struct vcdev_file *f, u32 dst_sid, u32 src_sid)
{
	struct vcdev_session *src = NULL, *dst = NULL;
	struct shash_desc *desc = NULL;
	unsigned int len = 0;
	u8 *copy = NULL, *state = NULL;
	bool bad = false, converted = false;
	int ret;

	if (dst_sid == src_sid)
		return -EDEADLK;
	src = vcdev_lookup(f, src_sid);
	dst = vcdev_lookup(f, dst_sid);
	ret = -ENOENT;
	if (!src || !dst)
		goto out;
	ret = -EINVAL;
	if (!src->mac || !dst->mac || src->mac != dst->mac)
		goto out;

	mutex_lock(&src->acc_lock);
	ret = src->acc_closed ? -ENOENT : 0;
	bad = src->sw_bad;
	if (!ret && !bad && src->sw_desc) {
		ret = vcdev_sw_export(src, &state);
	} else if (!ret && !bad && src->acc_len) {
		len = src->acc_len;
		ret = vcdev_gather_charge(f, dst, len);
		if (!ret) {
			copy = kvmalloc(len, GFP_KERNEL_ACCOUNT);
			if (copy) {
				memcpy(copy, src->acc, len);
			} else {
				vcdev_gather_uncharge(f, dst, len);
				ret = -ENOMEM;
			}
		}
		if (ret == -ENOMEM && !vcdev_sw_export(src, &state)) {
			len = 0;
			converted = true;
			ret = 0;
		}
	}
	mutex_unlock(&src->acc_lock);
	if (ret)
		goto out;

	mutex_lock(&dst->acc_lock);
	ret = dst->acc_closed ? -ENOENT : 0;
	if (!ret && state) {
		ret = vcdev_sw_tfm(dst);
		if (!ret) {
			desc = vcdev_sw_desc_new(dst->sw_tfm);
			ret = desc ? crypto_shash_import(desc, state) : -ENOMEM;
		}
	}
	if (ret) {
		mutex_unlock(&dst->acc_lock);
		kfree_sensitive(desc);
		goto out;
	}
	vcdev_stream_reset(f, dst);
	dst->acc = copy;
	dst->acc_len = len;
	dst->acc_cap = len;
	dst->sw_desc = desc;
	dst->sw_bad = bad;
	copy = NULL;
	if (converted)
		vcdev_sw_count(dst, "CIOCCPHASH past the file's gather cap");
	mutex_unlock(&dst->acc_lock);
out:
	if (copy) {
		vcdev_acc_free(copy, len);
		vcdev_gather_uncharge(f, dst, len);
	}
	kfree_sensitive(state);
	vcdev_session_put(src);
	vcdev_session_put(dst);
	return ret;
}

/* Adds @len kernel bytes to @ses's stream. */
static int vcdev_gather(struct vcdev_file *f, struct vcdev_session *ses, const u8 *p,
			unsigned int len)
{
	int ret;

	mutex_lock(&ses->acc_lock);
	ret = ses->acc_closed ? -EINVAL : vcdev_stream_add(f, ses, NULL, p, len);
	mutex_unlock(&ses->acc_lock);
	return ret;
}

/*
 * Takes @ses's gathered parts (the caller wipes and frees them), or
 * finishes its software stream into @digest (*sw set); it starts over.
 */
static int vcdev_acc_take(struct vcdev_file *f, struct vcdev_session *ses, u8 **msg,
			  unsigned int *len, u8 *digest, bool *sw)
{
	int ret = 0;

	*sw = false;
	mutex_lock(&ses->acc_lock);
	if (ses->acc_closed) {
		ret = -EINVAL;
	} else if (ses->sw_desc || ses->sw_bad) {
		*sw = true;
		ret = vcdev_sw_final(ses, digest);
	} else {
		*msg = ses->acc;
		*len = ses->acc_len;
		vcdev_gather_uncharge(f, ses, ses->acc_cap);
		ses->acc = NULL;
		ses->acc_len = 0;
		ses->acc_cap = 0;
	}
	mutex_unlock(&ses->acc_lock);
	return ret;
}

/*
 * COP_FLAG_UPDATE on a cipher+MAC session, as cryptodev-linux serves it
 * (main.c hash_n_crypt): every part is enciphered at once, and the MAC
 * covers the plaintext of all parts (encrypt: the source, decrypt: the
 * result), given when the digest is asked for.  The device keeps no hash
 * state, so the parts' plaintext is gathered as for a MAC-only session;
 * the cipher work goes to the session's cipher-only device sessions and
 * the MAC to its MAC-only one (both made for CIOCAUTHCRYPT, vcdev_aead.c).
 * The session's IV is carried from part to part as for any cipher.
 * Returns 1 for a one-part request (flags and state say so), which the
 * caller sends on the chaining session as before; 0 or -errno when done.
 * No lock is held across a device request: concurrent parts on one
 * session end up in some order, as concurrent IV users do.
 */
int vcdev_chain_parts(struct vcdev_file *f, struct vcdev_session *ses, struct crypt_op *cop)
{
	const struct vcdev_alg *c = ses->cipher;
	u16 fl = cop->flags;
	bool reset = !fl || (fl & COP_FLAG_RESET);
	bool final = (fl & COP_FLAG_FINAL) || !(fl & COP_FLAG_UPDATE) || !cop->len;
	bool dec = cop->op == COP_DECRYPT;
	unsigned int len = cop->len, ivsize = c->ivsize, msg_len = 0;
	u8 iv[VCDEV_MAX_IV], next[VCDEV_MAX_IV], digest[VCDEV_MAX_DIGEST];
	u8 *buf = NULL, *msg = NULL;
	bool sw;
	int ret;

	mutex_lock(&ses->acc_lock);
	ret = ses->acc_closed ? -EINVAL : 0;
	if (!ret && reset)
		vcdev_stream_reset(f, ses);
	if (!ret && final && !ses->acc_len && !ses->sw_desc && !ses->sw_bad)
		ret = 1; /* one part: the chaining session does it all */
	mutex_unlock(&ses->acc_lock);
	if (ret)
		return ret;
	if (!ses->has_aux_enc || !ses->has_aux_mac)
		return -EOPNOTSUPP;

	if (cop->iv) {
		if (copy_from_user(iv, cop->iv, ivsize))
			return -EFAULT;
	} else {
		spin_lock(&ses->iv_lock);
		memcpy(iv, ses->iv, ivsize);
		spin_unlock(&ses->iv_lock);
	}
	memcpy(next, iv, ivsize);
	if (len) {
		ret = -ENOMEM;
		buf = kvmalloc(len, GFP_KERNEL_ACCOUNT);
		if (!buf)
			goto out;
		ret = -EFAULT;
		if (copy_from_user(buf, cop->src, len))
			goto out;
		if (dec)
			vcdev_aead_next_iv(c, next, buf, len); /* CBC: from the ciphertext */
		else
			ret = vcdev_gather(f, ses, buf, len); /* MAC before encrypting */
		if (!dec && ret)
			goto out;
		ret = vcdev_aead_cipher(ses, dec, iv, buf, len);
		if (ret)
			goto out;
		if (dec) {
			ret = vcdev_gather(f, ses, buf, len); /* MAC after decrypting */
			if (ret)
				goto out;
		} else {
			vcdev_aead_next_iv(c, next, buf, len);
		}
		ret = -EFAULT;
		if (copy_to_user(cop->dst, buf, len))
			goto out;
	}
	if (final) {
		ret = vcdev_acc_take(f, ses, &msg, &msg_len, digest, &sw);
		if (!ret && !sw)
			ret = vcdev_aead_mac(ses, msg, msg_len, NULL, 0, digest);
		if (ret)
			goto out;
		ret = -EFAULT;
		if (copy_to_user(cop->mac, digest, ses->mac->digestsize))
			goto out;
	}
	spin_lock(&ses->iv_lock);
	memcpy(ses->iv, next, ivsize);
	spin_unlock(&ses->iv_lock);
	ret = 0;
	if (cop->iv && (fl & COP_FLAG_WRITE_IV) && copy_to_user(cop->iv, next, ivsize))
		ret = -EFAULT;
out:
	/* a restart would gather this part twice */
	if (ret == -ERESTARTSYS)
		ret = -EINTR;
	if (buf)
		kvfree_sensitive(buf, len);
	if (msg)
		kvfree_sensitive(msg, msg_len);
	memzero_explicit(iv, sizeof(iv));
	memzero_explicit(digest, sizeof(digest));
	return ret;
}
