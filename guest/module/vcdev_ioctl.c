// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/crypto file operations: the cryptodev-linux ioctls (native and
 * 32-bit compat), with cryptodev-linux's argument checks and errnos.
 */
#include <linux/compat.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include <crypto/cryptodev.h>

#include "vcdev.h"

int vcdev_status_errno(u8 status)
{
	switch (status) {
	case VIRTIO_CRYPTO_OK:
		return 0;
	case VIRTIO_CRYPTO_BADMSG:
		return -EBADMSG; /* MAC did not verify / malformed */
	case VIRTIO_CRYPTO_NOTSUPP:
		return -EOPNOTSUPP;
	case VIRTIO_CRYPTO_INVSESS:
		return -EINVAL; /* the device lost the session */
	case VIRTIO_CRYPTO_NOSPC:
		return -ENOSPC;
	case VIRTIO_CRYPTO_KEY_REJECTED:
		return -EKEYREJECTED;
	default:
		return -EIO;
	}
}

static unsigned int max_file_sessions = 1024;
module_param(max_file_sessions, uint, 0644);
MODULE_PARM_DESC(max_file_sessions, "sessions one open file may hold (ENOMEM beyond)");

static int vcdev_open(struct inode *inode, struct file *filp)
{
	struct vcdev_file *f = kzalloc(sizeof(*f), GFP_KERNEL);

	if (!f)
		return -ENOMEM;
	f->async = vcdev_async_alloc();
	if (!f->async) {
		kfree(f);
		return -ENOMEM;
	}
	mutex_init(&f->lock);
	idr_init(&f->sessions);
	atomic_long_set(&f->gathered, 0);
	filp->private_data = f;
	return 0;
}

static int vcdev_release(struct inode *inode, struct file *filp)
{
	struct vcdev_file *f = filp->private_data;
	struct vcdev_session *ses;
	int id;

	/* No ioctl runs any more; requests in flight hold their session. */
	vcdev_async_release(f->async);
	idr_for_each_entry(&f->sessions, ses, id) {
		vcdev_acc_close(f, ses);
		vcdev_session_put(ses);
	}
	idr_destroy(&f->sessions);
	mutex_destroy(&f->lock);
	kfree(f);
	return 0;
}

struct vcdev_session *vcdev_lookup(struct vcdev_file *f, u32 sid)
{
	struct vcdev_session *ses;

	if (sid > INT_MAX)
		return NULL;
	mutex_lock(&f->lock);
	ses = idr_find(&f->sessions, sid);
	if (ses)
		vcdev_session_get(ses);
	mutex_unlock(&f->lock);
	return ses;
}

/*
 * CIOCGSESSION, checking the arguments in cryptodev-linux's order
 * (ioctl.c crypto_create_session): algorithms, cipher key length, cipher
 * key copy, MAC key length, MAC key copy (none if mackey is NULL).
 */
static int vcdev_gsession(struct vcdev_file *f, struct session_op *sop)
{
	const struct vcdev_alg *cipher = NULL;
	struct vcdev_session *ses;
	u8 *keys;
	int ret, id;

	if (!sop->cipher && !sop->mac)
		return -EINVAL;
	if (sop->cipher) {
		cipher = vcdev_alg_cipher(sop->cipher);
		if (!cipher)
			return -EINVAL;
	}
	if (sop->mac && !vcdev_alg_mac(sop->mac))
		return -EINVAL;
	if (sop->cipher && sop->keylen > CRYPTO_CIPHER_MAX_KEY_LEN)
		return -EINVAL;

	keys = kzalloc(CRYPTO_CIPHER_MAX_KEY_LEN + CRYPTO_HMAC_MAX_KEY_LEN, GFP_KERNEL);
	if (!keys)
		return -ENOMEM;
	ret = -EFAULT;
	if (sop->cipher && copy_from_user(keys, sop->key, sop->keylen))
		goto out;
	ret = -EINVAL;
	if (cipher && !vcdev_cipher_keylen_ok(cipher, sop->keylen))
		goto out;
	if (sop->mac && sop->mackeylen > CRYPTO_HMAC_MAX_KEY_LEN)
		goto out;
	ret = -EFAULT;
	if (sop->mac && sop->mackey &&
	    copy_from_user(keys + CRYPTO_CIPHER_MAX_KEY_LEN, sop->mackey, sop->mackeylen))
		goto out;

	/* a place for it in this file first: the cap is per file */
	mutex_lock(&f->lock);
	ret = f->nr_sessions < READ_ONCE(max_file_sessions) ? 0 : -ENOMEM;
	if (!ret)
		f->nr_sessions++;
	mutex_unlock(&f->lock);
	if (ret)
		goto out;

	ret = vcdev_session_create(&ses, sop->cipher, sop->mac, keys, sop->cipher ? sop->keylen : 0,
				   keys + CRYPTO_CIPHER_MAX_KEY_LEN, sop->mac ? sop->mackeylen : 0);
	if (ret)
		goto err_unreserve;

	/*
	 * The session is complete before it is published, and its id is set
	 * under the lock lookups take: a racing CIOCFSESSION of this id can
	 * only find the finished session.
	 */
	mutex_lock(&f->lock);
	id = idr_alloc_cyclic(&f->sessions, ses, 1, INT_MAX, GFP_KERNEL);
	if (id >= 0)
		ses->sid = id;
	mutex_unlock(&f->lock);
	if (id < 0) {
		vcdev_session_put(ses);
		ret = id;
		goto err_unreserve;
	}
	sop->ses = id;
	goto out;

err_unreserve:
	mutex_lock(&f->lock);
	f->nr_sessions--;
	mutex_unlock(&f->lock);
out:
	kfree_sensitive(keys);
	return ret;
}

/*
 * CIOCFSESSION.  An unknown id succeeds, as with cryptodev-linux (its
 * crypto_finish_session means to return ENOENT, but its list walk never
 * leaves the cursor NULL, so it returns 0).
 */
static int vcdev_fsession(struct vcdev_file *f, u32 sid)
{
	struct vcdev_session *ses = NULL;

	mutex_lock(&f->lock);
	if (sid <= INT_MAX)
		ses = idr_remove(&f->sessions, sid);
	if (ses)
		f->nr_sessions--;
	mutex_unlock(&f->lock);
	if (ses) {
		vcdev_acc_close(f, ses);
		vcdev_session_put(ses);
	}
	return 0;
}

static int vcdev_gsessinfo(struct vcdev_file *f, struct session_info_op *siop)
{
	struct vcdev_session *ses = vcdev_lookup(f, siop->ses);
	u32 sid = siop->ses;

	if (!ses)
		return -EINVAL;
	memset(siop, 0, sizeof(*siop));
	siop->ses = sid;
	if (ses->cipher) {
		strscpy(siop->cipher_info.cra_name, ses->cipher->cra_name, CRYPTODEV_MAX_ALG_NAME);
		strscpy(siop->cipher_info.cra_driver_name, ses->cipher->drv_name,
			CRYPTODEV_MAX_ALG_NAME);
	}
	if (ses->mac) {
		strscpy(siop->hash_info.cra_name, ses->mac->cra_name, CRYPTODEV_MAX_ALG_NAME);
		strscpy(siop->hash_info.cra_driver_name, ses->mac->drv_name,
			CRYPTODEV_MAX_ALG_NAME);
	}
	siop->alignmask = 0;
	/*
	 * The work is done by a device user space cannot reach directly; not
	 * so for CRYPTO_NULL alone, which the guest kernel does (and which
	 * cryptodev-linux reports without the flag too).
	 */
	if (ses->has_enc)
		siop->flags = SIOP_FLAG_KERNEL_DRIVER_ONLY;
	vcdev_session_put(ses);
	return 0;
}

/* CRIOGET: another descriptor for the same open file (cryptodev: a dup). */
static int vcdev_crioget(struct file *filp, u32 __user *p)
{
	int fd = get_unused_fd_flags(0); /* as cryptodev-linux: inherited */

	if (fd < 0)
		return fd;
	if (put_user(fd, p)) {
		put_unused_fd(fd);
		return -EFAULT;
	}
	fd_install(fd, get_file(filp));
	return 0;
}

long vcdev_ioctl(struct file *filp, unsigned int cmd, unsigned long arg)
{
	struct vcdev_file *f = filp->private_data;
	void __user *uarg = (void __user *)arg;
	struct session_info_op siop;
	struct crypt_auth_op caop;
	struct cphash_op cphop;
	struct session_op sop;
	struct crypt_op cop;
	u32 sid;
	int ret;

	switch (cmd) {
	case CIOCASYMFEAT:
		return put_user(0, (u32 __user *)uarg);
	case CRIOGET:
		return vcdev_crioget(filp, uarg);
	case CIOCGSESSION:
		if (copy_from_user(&sop, uarg, sizeof(sop)))
			return -EFAULT;
		ret = vcdev_gsession(f, &sop);
		if (ret)
			return ret;
		if (copy_to_user(uarg, &sop, sizeof(sop))) {
			vcdev_fsession(f, sop.ses);
			return -EFAULT;
		}
		return 0;
	case CIOCFSESSION:
		if (get_user(sid, (u32 __user *)uarg))
			return -EFAULT;
		return vcdev_fsession(f, sid);
	case CIOCGSESSINFO:
		if (copy_from_user(&siop, uarg, sizeof(siop)))
			return -EFAULT;
		ret = vcdev_gsessinfo(f, &siop);
		if (ret)
			return ret;
		return copy_to_user(uarg, &siop, sizeof(siop)) ? -EFAULT : 0;
	case CIOCCRYPT:
		if (copy_from_user(&cop, uarg, sizeof(cop)))
			return -EFAULT;
		ret = vcdev_crypt(f, &cop);
		if (ret)
			return ret;
		return copy_to_user(uarg, &cop, sizeof(cop)) ? -EFAULT : 0;
	case CIOCAUTHCRYPT:
		if (copy_from_user(&caop, uarg, sizeof(caop)))
			return -EFAULT;
		ret = vcdev_authcrypt(f, &caop);
		if (ret)
			return ret;
		return copy_to_user(uarg, &caop, sizeof(caop)) ? -EFAULT : 0;
	case CIOCCPHASH:
		if (copy_from_user(&cphop, uarg, sizeof(cphop)))
			return -EFAULT;
		return vcdev_cphash(f, cphop.dst_ses, cphop.src_ses);
	case CIOCASYNCCRYPT:
		if (copy_from_user(&cop, uarg, sizeof(cop)))
			return -EFAULT;
		return vcdev_async_crypt(f, &cop);
	case CIOCASYNCFETCH:
		ret = vcdev_async_fetch(f, &cop);
		if (ret)
			return ret; /* a failed job: the struct stays as it was */
		return copy_to_user(uarg, &cop, sizeof(cop)) ? -EFAULT : 0;
	default:
		return -EINVAL; /* as cryptodev-linux (not ENOTTY) */
	}
}

#ifdef CONFIG_COMPAT
static void vcdev_cop_from_compat(struct crypt_op *cop, const struct cryptodev_compat_crypt_op *c)
{
	cop->ses = c->ses;
	cop->op = c->op;
	cop->flags = c->flags;
	cop->len = c->len;
	cop->src = compat_ptr(c->src);
	cop->dst = compat_ptr(c->dst);
	cop->mac = compat_ptr(c->mac);
	cop->iv = compat_ptr(c->iv);
}

static void vcdev_cop_to_compat(struct cryptodev_compat_crypt_op *c, const struct crypt_op *cop)
{
	memset(c, 0, sizeof(*c));
	c->ses = cop->ses;
	c->op = cop->op;
	c->flags = cop->flags;
	c->len = cop->len;
	c->src = ptr_to_compat(cop->src);
	c->dst = ptr_to_compat(cop->dst);
	c->mac = ptr_to_compat(cop->mac);
	c->iv = ptr_to_compat(cop->iv);
}

long vcdev_compat_ioctl(struct file *filp, unsigned int cmd, unsigned long arg)
{
	struct vcdev_file *f = filp->private_data;
	void __user *uarg = compat_ptr(arg);
	struct cryptodev_compat_crypt_auth_op ccaop;
	struct cryptodev_compat_session_op csop;
	struct cryptodev_compat_crypt_op ccop;
	struct crypt_auth_op caop = {};
	struct session_op sop = {};
	struct crypt_op cop = {};
	int ret;

	switch (cmd) {
	case CIOCASYMFEAT:
	case CRIOGET:
	case CIOCFSESSION:
	case CIOCGSESSINFO:
	case CIOCCPHASH: /* same layout; cryptodev-linux forgot it in compat (EINVAL) */
		return vcdev_ioctl(filp, cmd, (unsigned long)uarg);
	case CRYPTODEV_COMPAT_CIOCGSESSION:
		if (copy_from_user(&csop, uarg, sizeof(csop)))
			return -EFAULT;
		sop.cipher = csop.cipher;
		sop.mac = csop.mac;
		sop.keylen = csop.keylen;
		sop.key = compat_ptr(csop.key);
		sop.mackeylen = csop.mackeylen;
		sop.mackey = compat_ptr(csop.mackey);
		ret = vcdev_gsession(f, &sop);
		if (ret)
			return ret;
		csop.ses = sop.ses;
		if (copy_to_user(uarg, &csop, sizeof(csop))) {
			vcdev_fsession(f, sop.ses);
			return -EFAULT;
		}
		return 0;
	case CRYPTODEV_COMPAT_CIOCCRYPT:
		if (copy_from_user(&ccop, uarg, sizeof(ccop)))
			return -EFAULT;
		cop.ses = ccop.ses;
		cop.op = ccop.op;
		cop.flags = ccop.flags;
		cop.len = ccop.len;
		cop.src = compat_ptr(ccop.src);
		cop.dst = compat_ptr(ccop.dst);
		cop.mac = compat_ptr(ccop.mac);
		cop.iv = compat_ptr(ccop.iv);
		return vcdev_crypt(f, &cop);
	case CRYPTODEV_COMPAT_CIOCASYNCCRYPT:
		if (copy_from_user(&ccop, uarg, sizeof(ccop)))
			return -EFAULT;
		vcdev_cop_from_compat(&cop, &ccop);
		return vcdev_async_crypt(f, &cop);
	case CRYPTODEV_COMPAT_CIOCASYNCFETCH:
		ret = vcdev_async_fetch(f, &cop);
		if (ret)
			return ret;
		vcdev_cop_to_compat(&ccop, &cop);
		return copy_to_user(uarg, &ccop, sizeof(ccop)) ? -EFAULT : 0;
	case CRYPTODEV_COMPAT_CIOCAUTHCRYPT:
		if (copy_from_user(&ccaop, uarg, sizeof(ccaop)))
			return -EFAULT;
		caop.ses = ccaop.ses;
		caop.op = ccaop.op;
		caop.flags = ccaop.flags;
		caop.len = ccaop.len;
		caop.auth_len = ccaop.auth_len;
		caop.auth_src = compat_ptr(ccaop.auth_src);
		caop.src = compat_ptr(ccaop.src);
		caop.dst = compat_ptr(ccaop.dst);
		caop.tag = compat_ptr(ccaop.tag);
		caop.tag_len = ccaop.tag_len;
		caop.iv = compat_ptr(ccaop.iv);
		caop.iv_len = ccaop.iv_len;
		ret = vcdev_authcrypt(f, &caop);
		if (ret)
			return ret;
		/* what vcdev_authcrypt changes: output length, tag length and place */
		ccaop.len = caop.len;
		ccaop.tag_len = caop.tag_len;
		ccaop.tag = ptr_to_compat(caop.tag);
		return copy_to_user(uarg, &ccaop, sizeof(ccaop)) ? -EFAULT : 0;
	default:
		return -EINVAL;
	}
}
#endif

const struct file_operations vcdev_fops = {
	.owner = THIS_MODULE,
	.open = vcdev_open,
	.release = vcdev_release,
	.unlocked_ioctl = vcdev_ioctl,
#ifdef CONFIG_COMPAT
	.compat_ioctl = vcdev_compat_ioctl,
#endif
	.poll = vcdev_async_poll,
	.llseek = noop_llseek,
};
