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
 * caller's memory cgroup and count against a per-file limit.
 */
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include <crypto/cryptodev.h>

#include "vcdev.h"

static unsigned long max_file_gather = 32UL << 20;
module_param(max_file_gather, ulong, 0644);
MODULE_PARM_DESC(max_file_gather,
		 "bytes of multi-part hash buffers one open file may hold (ENOMEM beyond)");

/* Counts @n more bytes against @f's limit; -ENOMEM if over it. */
static int vcdev_gather_charge(struct vcdev_file *f, unsigned long n)
{
	if (atomic_long_add_return(n, &f->gathered) > READ_ONCE(max_file_gather)) {
		atomic_long_sub(n, &f->gathered);
		return -ENOMEM;
	}
	return 0;
}

static void vcdev_gather_uncharge(struct vcdev_file *f, unsigned long n)
{
	atomic_long_sub(n, &f->gathered);
}

/* Gathered bytes are user secrets (HMAC input): wiped before freeing. */
static void vcdev_acc_free(u8 *p, unsigned int cap)
{
	if (p) {
		memzero_explicit(p, cap);
		kvfree(p);
	}
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
	ret = vcdev_gather_charge(f, cap - ses->acc_cap);
	if (ret)
		return ret;
	p = kvmalloc(cap, GFP_KERNEL_ACCOUNT);
	if (!p) {
		vcdev_gather_uncharge(f, cap - ses->acc_cap);
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
 * Multi-part hash or MAC on a session whose data goes to no device cipher
 * (MAC-only, or CRYPTO_NULL + MAC), with cryptodev-linux's rules
 * (main.c crypto_run): flags exactly 0, or COP_FLAG_RESET, start over;
 * the digest is produced when COP_FLAG_FINAL is set, or COP_FLAG_UPDATE
 * is not, or len is 0; otherwise the data is only added.  After a digest
 * the session starts over (cryptodev-linux leaves its state undefined
 * there; every client resets or finishes).
 * Returns 1 when the data was only stored; 0 to go on, with *msg set to
 * the whole message (the caller wipes and kvfree()s it) if earlier parts
 * exist, NULL for a one-part digest of the caller's buffer.
 */
int vcdev_mac_parts(struct vcdev_file *f, struct vcdev_session *ses, const struct crypt_op *cop,
		    u8 **msg, unsigned int *msg_len)
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
	if (reset && ses->acc) {
		/* what was gathered goes, and with it its room in the file's cap */
		vcdev_acc_free(ses->acc, ses->acc_cap);
		vcdev_gather_uncharge(f, ses->acc_cap);
		ses->acc = NULL;
		ses->acc_len = 0;
		ses->acc_cap = 0;
	}
	if (final && !ses->acc_len)
		goto out; /* one part: the usual single request */
	if (cop->len) {
		if (cop->len > VCDEV_MAX_DATA_LEN - ses->acc_len) {
			ret = -EINVAL;
			goto out;
		}
		ret = vcdev_acc_grow(f, ses, ses->acc_len + cop->len);
		if (ret)
			goto out;
		if (copy_from_user(ses->acc + ses->acc_len, cop->src, cop->len)) {
			ret = -EFAULT;
			goto out;
		}
		ses->acc_len += cop->len;
	}
	if (!final) {
		ret = 1;
		goto out;
	}
	/*
	 * The whole message goes to the device and the session starts over.
	 * The buffer now belongs to this request (like its bounce pages) and
	 * no longer counts against the file.
	 */
	*msg = ses->acc;
	*msg_len = ses->acc_len;
	vcdev_gather_uncharge(f, ses->acc_cap);
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
	unsigned int cap;
	u8 *p;

	mutex_lock(&ses->acc_lock);
	ses->acc_closed = true;
	p = ses->acc;
	cap = ses->acc_cap;
	ses->acc = NULL;
	ses->acc_len = 0;
	ses->acc_cap = 0;
	mutex_unlock(&ses->acc_lock);
	vcdev_acc_free(p, cap);
	vcdev_gather_uncharge(f, cap);
}

/*
 * CIOCCPHASH: @dst continues from @src's hash state, i.e. from the bytes
 * @src has gathered.  Errors as cryptodev-linux (ioctl.c
 * crypto_copy_hash_state): the same id twice EDEADLK, a session missing
 * ENOENT, a session without a hash EINVAL.  Ours besides: hashes of
 * different algorithms EINVAL (a state means nothing to another
 * algorithm; cryptodev-linux does not check).
 */
int vcdev_cphash(struct vcdev_file *f, u32 dst_sid, u32 src_sid)
{
	struct vcdev_session *src = NULL, *dst = NULL;
	unsigned int len = 0, old_cap;
	u8 *copy = NULL, *old;
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
	if (!ret && src->acc_len) {
		len = src->acc_len;
		ret = vcdev_gather_charge(f, len);
		if (!ret) {
			copy = kvmalloc(len, GFP_KERNEL_ACCOUNT);
			if (copy) {
				memcpy(copy, src->acc, len);
			} else {
				vcdev_gather_uncharge(f, len);
				ret = -ENOMEM;
			}
		}
	}
	mutex_unlock(&src->acc_lock);
	if (ret)
		goto out;

	mutex_lock(&dst->acc_lock);
	if (dst->acc_closed) {
		mutex_unlock(&dst->acc_lock);
		vcdev_acc_free(copy, len);
		vcdev_gather_uncharge(f, len);
		ret = -ENOENT;
		goto out;
	}
	old = dst->acc;
	old_cap = dst->acc_cap;
	dst->acc = copy;
	dst->acc_len = len;
	dst->acc_cap = len;
	mutex_unlock(&dst->acc_lock);
	vcdev_acc_free(old, old_cap);
	vcdev_gather_uncharge(f, old_cap);
out:
	vcdev_session_put(src);
	vcdev_session_put(dst);
	return ret;
}

/* Adds @len kernel bytes to @ses's gathered parts. */
static int vcdev_gather(struct vcdev_file *f, struct vcdev_session *ses, const u8 *p,
			unsigned int len)
{
	int ret;

	mutex_lock(&ses->acc_lock);
	ret = ses->acc_closed ? -EINVAL : 0;
	if (!ret && len > VCDEV_MAX_DATA_LEN - ses->acc_len)
		ret = -EINVAL;
	if (!ret)
		ret = vcdev_acc_grow(f, ses, ses->acc_len + len);
	if (!ret) {
		memcpy(ses->acc + ses->acc_len, p, len);
		ses->acc_len += len;
	}
	mutex_unlock(&ses->acc_lock);
	return ret;
}

/* Takes @ses's gathered parts (the caller wipes and frees them); it starts over. */
static int vcdev_acc_take(struct vcdev_file *f, struct vcdev_session *ses, u8 **msg,
			  unsigned int *len)
{
	int ret = 0;

	mutex_lock(&ses->acc_lock);
	if (ses->acc_closed) {
		ret = -EINVAL;
	} else {
		*msg = ses->acc;
		*len = ses->acc_len;
		vcdev_gather_uncharge(f, ses->acc_cap);
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
	int ret;

	mutex_lock(&ses->acc_lock);
	ret = ses->acc_closed ? -EINVAL : 0;
	if (!ret && reset && ses->acc) {
		vcdev_acc_free(ses->acc, ses->acc_cap);
		vcdev_gather_uncharge(f, ses->acc_cap);
		ses->acc = NULL;
		ses->acc_len = 0;
		ses->acc_cap = 0;
	}
	if (!ret && final && !ses->acc_len)
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
		ret = vcdev_acc_take(f, ses, &msg, &msg_len);
		if (ret)
			goto out;
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
