// SPDX-License-Identifier: GPL-2.0
/*
 * Sessions: which cryptodev algorithms map to which virtio-crypto ones,
 * and creating/destroying the device sessions behind a cryptodev session
 * on the control queue.
 *
 * A virtio-crypto cipher session has one direction, so a block cipher
 * session needs two device sessions (encrypt, decrypt); CTR needs one.
 * MACs travel as algorithm-chaining sessions with no cipher (QEMU 7.2
 * answers MAC session requests NOTSUPP itself, before any backend).
 */
#include <linux/mm.h>
#include <linux/slab.h>

#include <crypto/cryptodev.h>

#include "vcdev.h"

static const struct vcdev_alg vcdev_ciphers[] = {
	{CRYPTO_AES_CBC, VIRTIO_CRYPTO_CIPHER_AES_CBC, "cbc(aes)", VCDEV_DRIVER_NAME "-cbc-aes", 16,
	 16, 0, false},
	{CRYPTO_AES_ECB, VIRTIO_CRYPTO_CIPHER_AES_ECB, "ecb(aes)", VCDEV_DRIVER_NAME "-ecb-aes", 16,
	 0, 0, false},
	{CRYPTO_AES_CTR, VIRTIO_CRYPTO_CIPHER_AES_CTR, "ctr(aes)", VCDEV_DRIVER_NAME "-ctr-aes", 1,
	 16, 0, false},
	{CRYPTO_AES_XTS, VIRTIO_CRYPTO_CIPHER_AES_XTS, "xts(aes)", VCDEV_DRIVER_NAME "-xts-aes", 16,
	 16, 0, false},
	/* GCM: the device session is AES-CTR; GHASH is done in the guest (vcdev_aead.c) */
	{CRYPTO_AES_GCM, VIRTIO_CRYPTO_CIPHER_AES_CTR, "gcm(aes)", VCDEV_DRIVER_NAME "-gcm-aes", 1,
	 12, 16, false, true},
	/*
	 * CRYPTO_NULL: cryptodev-linux's ecb(cipher_null) (key 0 bytes,
	 * block 1, no IV): a copy done in the guest, no device session.
	 */
	{CRYPTO_NULL, VIRTIO_CRYPTO_NO_CIPHER, "ecb(cipher_null)",
	 VCDEV_DRIVER_NAME "-ecb-cipher_null", 1, 0, 0, false, false},
};

static const struct vcdev_alg vcdev_macs[] = {
	{CRYPTO_MD5_HMAC, VIRTIO_CRYPTO_MAC_HMAC_MD5, "hmac(md5)", VCDEV_DRIVER_NAME "-hmac-md5", 1,
	 0, 16, true},
	{CRYPTO_SHA1_HMAC, VIRTIO_CRYPTO_MAC_HMAC_SHA1, "hmac(sha1)",
	 VCDEV_DRIVER_NAME "-hmac-sha1", 1, 0, 20, true},
	{CRYPTO_SHA2_224_HMAC, VIRTIO_CRYPTO_MAC_HMAC_SHA_224, "hmac(sha224)",
	 VCDEV_DRIVER_NAME "-hmac-sha224", 1, 0, 28, true},
	{CRYPTO_SHA2_256_HMAC, VIRTIO_CRYPTO_MAC_HMAC_SHA_256, "hmac(sha256)",
	 VCDEV_DRIVER_NAME "-hmac-sha256", 1, 0, 32, true},
	{CRYPTO_SHA2_384_HMAC, VIRTIO_CRYPTO_MAC_HMAC_SHA_384, "hmac(sha384)",
	 VCDEV_DRIVER_NAME "-hmac-sha384", 1, 0, 48, true},
	{CRYPTO_SHA2_512_HMAC, VIRTIO_CRYPTO_MAC_HMAC_SHA_512, "hmac(sha512)",
	 VCDEV_DRIVER_NAME "-hmac-sha512", 1, 0, 64, true},
	/* plain digests: chaining sessions in hash mode PLAIN */
	{CRYPTO_MD5, VIRTIO_CRYPTO_HASH_MD5, "md5", VCDEV_DRIVER_NAME "-md5", 1, 0, 16, false},
	{CRYPTO_SHA1, VIRTIO_CRYPTO_HASH_SHA1, "sha1", VCDEV_DRIVER_NAME "-sha1", 1, 0, 20, false},
	{CRYPTO_SHA2_224, VIRTIO_CRYPTO_HASH_SHA_224, "sha224", VCDEV_DRIVER_NAME "-sha224", 1, 0,
	 28, false},
	{CRYPTO_SHA2_256, VIRTIO_CRYPTO_HASH_SHA_256, "sha256", VCDEV_DRIVER_NAME "-sha256", 1, 0,
	 32, false},
	{CRYPTO_SHA2_384, VIRTIO_CRYPTO_HASH_SHA_384, "sha384", VCDEV_DRIVER_NAME "-sha384", 1, 0,
	 48, false},
	{CRYPTO_SHA2_512, VIRTIO_CRYPTO_HASH_SHA_512, "sha512", VCDEV_DRIVER_NAME "-sha512", 1, 0,
	 64, false},
};

const struct vcdev_alg *vcdev_alg_cipher(u32 cop_alg)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(vcdev_ciphers); i++)
		if (vcdev_ciphers[i].cop_alg == cop_alg)
			return &vcdev_ciphers[i];
	return NULL;
}

const struct vcdev_alg *vcdev_alg_mac(u32 cop_alg)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(vcdev_macs); i++)
		if (vcdev_macs[i].cop_alg == cop_alg)
			return &vcdev_macs[i];
	return NULL;
}

/* Key lengths the kernel's own implementations accept. */
bool vcdev_cipher_keylen_ok(const struct vcdev_alg *alg, unsigned int keylen)
{
	if (vcdev_alg_is_null(alg))
		return keylen == 0; /* ecb(cipher_null): min = max = 0 */
	if (alg->virtio_alg == VIRTIO_CRYPTO_CIPHER_AES_XTS)
		return keylen == 32 || keylen == 48 || keylen == 64;
	return keylen == 16 || keylen == 24 || keylen == 32;
}

/* One control request creating a device session; returns its id. */
static int vcdev_ctrl_create(struct vcdev_device *dev, const struct vcdev_alg *cipher,
			     const struct vcdev_alg *mac, u32 op, const u8 *key,
			     unsigned int keylen, const u8 *mackey, unsigned int mackeylen, u64 *id)
{
	struct scatterlist hdr_sg, key_sg, in_sg, *sgs[3];
	struct virtio_crypto_sym_create_session_req *sym;
	unsigned int nout = 0;
	struct vcdev_req *req;
	int ret;

	req = vcdev_req_alloc(GFP_KERNEL);
	if (!req)
		return -ENOMEM;
	req->keys_len = keylen + mackeylen;
	if (req->keys_len) {
		req->keys = kmalloc(req->keys_len, GFP_KERNEL);
		if (!req->keys) {
			ret = -ENOMEM;
			goto out;
		}
		if (keylen)
			memcpy(req->keys, key, keylen);
		if (mackeylen)
			memcpy(req->keys + keylen, mackey, mackeylen);
	}

	req->hdr.ctrl.header.opcode = cpu_to_le32(VIRTIO_CRYPTO_CIPHER_CREATE_SESSION);
	req->hdr.ctrl.header.algo =
		cpu_to_le32(cipher ? cipher->virtio_alg : VIRTIO_CRYPTO_NO_CIPHER);
	sym = &req->hdr.ctrl.u.sym_create_session;
	if (!mac) {
		struct virtio_crypto_cipher_session_para *p = &sym->u.cipher.para;

		sym->op_type = cpu_to_le32(VIRTIO_CRYPTO_SYM_OP_CIPHER);
		p->algo = cpu_to_le32(cipher->virtio_alg);
		p->keylen = cpu_to_le32(keylen);
		p->op = cpu_to_le32(op);
	} else {
		struct virtio_crypto_alg_chain_session_para *p = &sym->u.chain.para;

		sym->op_type = cpu_to_le32(VIRTIO_CRYPTO_SYM_OP_ALGORITHM_CHAINING);
		/* encrypt: MAC the plaintext, then encrypt (cryptodev order) */
		p->alg_chain_order =
			cpu_to_le32(op == VIRTIO_CRYPTO_OP_DECRYPT
					    ? VIRTIO_CRYPTO_SYM_ALG_CHAIN_ORDER_CIPHER_THEN_HASH
					    : VIRTIO_CRYPTO_SYM_ALG_CHAIN_ORDER_HASH_THEN_CIPHER);
		p->hash_mode = cpu_to_le32(mac->is_mac ? VIRTIO_CRYPTO_SYM_HASH_MODE_AUTH
						       : VIRTIO_CRYPTO_SYM_HASH_MODE_PLAIN);
		p->cipher_param.algo =
			cpu_to_le32(cipher ? cipher->virtio_alg : VIRTIO_CRYPTO_NO_CIPHER);
		p->cipher_param.keylen = cpu_to_le32(keylen);
		p->cipher_param.op = cpu_to_le32(op);
		if (mac->is_mac) {
			p->u.mac_param.algo = cpu_to_le32(mac->virtio_alg);
			p->u.mac_param.hash_result_len = cpu_to_le32(mac->digestsize);
			p->u.mac_param.auth_key_len = cpu_to_le32(mackeylen);
		} else {
			p->u.hash_param.algo = cpu_to_le32(mac->virtio_alg);
			p->u.hash_param.hash_result_len = cpu_to_le32(mac->digestsize);
		}
		p->aad_len = 0;
	}

	sg_init_one(&hdr_sg, &req->hdr.ctrl, sizeof(req->hdr.ctrl));
	sgs[nout++] = &hdr_sg;
	if (req->keys_len) {
		sg_init_one(&key_sg, req->keys, req->keys_len);
		sgs[nout++] = &key_sg;
	}
	sg_init_one(&in_sg, &req->in.sess, sizeof(req->in.sess));
	sgs[nout] = &in_sg;

	ret = vcdev_req_submit(&dev->ctrl, req, sgs, nout, 1);
	if (ret)
		goto out;
	ret = vcdev_req_wait(req, false);
	if (ret)
		goto out;
	switch (le32_to_cpu(req->in.sess.status)) {
	case VIRTIO_CRYPTO_OK:
		*id = le64_to_cpu(req->in.sess.session_id);
		atomic_inc(&dev->nr_sessions);
		break;
	case VIRTIO_CRYPTO_NOSPC:
		ret = -ENOSPC;
		break;
	default:
		/* as cryptodev-linux when an algorithm will not load */
		ret = -EINVAL;
		break;
	}
out:
	vcdev_req_put(req);
	return ret;
}

static int vcdev_ctrl_destroy(struct vcdev_device *dev, u64 id)
{
	struct scatterlist hdr_sg, in_sg, *sgs[2];
	struct vcdev_req *req;
	int ret;

	req = vcdev_req_alloc(GFP_KERNEL);
	if (!req)
		return -ENOMEM;
	req->hdr.ctrl.header.opcode = cpu_to_le32(VIRTIO_CRYPTO_CIPHER_DESTROY_SESSION);
	req->hdr.ctrl.u.destroy_session.session_id = cpu_to_le64(id);
	sg_init_one(&hdr_sg, &req->hdr.ctrl, sizeof(req->hdr.ctrl));
	sg_init_one(&in_sg, &req->in.inhdr, sizeof(req->in.inhdr));
	sgs[0] = &hdr_sg;
	sgs[1] = &in_sg;
	ret = vcdev_req_submit(&dev->ctrl, req, sgs, 1, 1);
	if (!ret)
		ret = vcdev_req_wait(req, false);
	if (!ret && req->in.inhdr.status != VIRTIO_CRYPTO_OK)
		ret = vcdev_status_errno(req->in.inhdr.status);
	if (!ret)
		atomic_dec(&dev->nr_sessions);
	vcdev_req_put(req);
	return ret;
}

/* The cipher-only and MAC-only device sessions CIOCAUTHCRYPT uses. */
static int vcdev_session_create_aux(struct vcdev_session *ses, const u8 *key, unsigned int keylen,
				    const u8 *mackey, unsigned int mackeylen)
{
	const struct vcdev_alg *c = ses->cipher;
	int ret;

	ret = vcdev_ctrl_create(ses->dev, c, NULL, VIRTIO_CRYPTO_OP_ENCRYPT, key, keylen, NULL, 0,
				&ses->aux_enc_id);
	if (ret)
		return ret;
	ses->has_aux_enc = true;
	if (c->virtio_alg != VIRTIO_CRYPTO_CIPHER_AES_CTR) {
		ret = vcdev_ctrl_create(ses->dev, c, NULL, VIRTIO_CRYPTO_OP_DECRYPT, key, keylen,
					NULL, 0, &ses->aux_dec_id);
		if (ret)
			return ret;
		ses->has_aux_dec = true;
	}
	ret = vcdev_ctrl_create(ses->dev, NULL, ses->mac, VIRTIO_CRYPTO_OP_ENCRYPT, NULL, 0, mackey,
				mackeylen, &ses->aux_mac_id);
	if (ret)
		return ret;
	ses->has_aux_mac = true;
	return 0;
}

static void vcdev_session_destroy_aux(struct vcdev_session *ses)
{
	u64 ids[3];
	unsigned int i, n = 0;
	int ret;

	if (ses->has_aux_enc)
		ids[n++] = ses->aux_enc_id;
	if (ses->has_aux_dec)
		ids[n++] = ses->aux_dec_id;
	if (ses->has_aux_mac)
		ids[n++] = ses->aux_mac_id;
	for (i = 0; i < n; i++) {
		ret = vcdev_ctrl_destroy(ses->dev, ids[i]);
		if (ret && ret != -ENODEV)
			dev_warn_ratelimited(&ses->dev->vdev->dev, "destroy session %llu: %d\n",
					     ids[i], ret);
	}
}

static void vcdev_session_release(struct kref *ref)
{
	struct vcdev_session *ses = container_of(ref, struct vcdev_session, ref);
	struct vcdev_device *dev = ses->dev;
	int ret;

	if (!READ_ONCE(dev->dead)) {
		if (ses->has_enc) {
			ret = vcdev_ctrl_destroy(dev, ses->enc_id);
			if (ret && ret != -ENODEV)
				dev_warn_ratelimited(&dev->vdev->dev, "destroy session %llu: %d\n",
						     ses->enc_id, ret);
		}
		if (ses->has_dec) {
			ret = vcdev_ctrl_destroy(dev, ses->dec_id);
			if (ret && ret != -ENODEV)
				dev_warn_ratelimited(&dev->vdev->dev, "destroy session %llu: %d\n",
						     ses->dec_id, ret);
		}
		vcdev_session_destroy_aux(ses);
	}
	vcdev_aead_session_fini(ses);
	vcdev_sw_free(ses);
	vcdev_device_put(dev);
	if (ses->acc) {
		memzero_explicit(ses->acc, ses->acc_cap);
		kvfree(ses->acc);
	}
	mutex_destroy(&ses->acc_lock);
	kfree_sensitive(ses);
}

void vcdev_session_put(struct vcdev_session *ses)
{
	if (ses)
		kref_put(&ses->ref, vcdev_session_release);
}

struct vcdev_session *vcdev_session_get(struct vcdev_session *ses)
{
	kref_get(&ses->ref);
	return ses;
}

/*
 * Create a session on the next device.  Arguments are kernel copies,
 * checked for size by the caller; this checks them for meaning.
 */
int vcdev_session_create(struct vcdev_session **out, u32 cipher_alg, u32 mac_alg, const u8 *key,
			 unsigned int keylen, const u8 *mackey, unsigned int mackeylen)
{
	const struct vcdev_alg *cipher = NULL, *mac = NULL, *dcipher;
	struct vcdev_session *ses;
	struct vcdev_device *dev;
	int ret;

	if (!cipher_alg && !mac_alg)
		return -EINVAL;
	if (cipher_alg) {
		cipher = vcdev_alg_cipher(cipher_alg);
		if (!cipher || !vcdev_cipher_keylen_ok(cipher, keylen))
			return -EINVAL;
	}
	if (mac_alg) {
		mac = vcdev_alg_mac(mac_alg);
		if (!mac)
			return -EINVAL;
		if (!mac->is_mac)
			mackeylen = 0; /* a plain digest has no key */
	}
	/* AEAD ciphers ignore the MAC (cryptodev-linux); a MAC key breaks their key */
	if (cipher && cipher->is_aead && mac) {
		if (mackeylen)
			return -EINVAL;
		mac = NULL;
	}

	dev = vcdev_registry_pick();
	if (!dev)
		return -ENODEV;
	if ((cipher && keylen > dev->max_cipher_key_len) ||
	    (mac && mackeylen > dev->max_auth_key_len)) {
		ret = -EINVAL;
		goto err_put_dev;
	}

	ses = kzalloc(sizeof(*ses), GFP_KERNEL);
	if (!ses) {
		ret = -ENOMEM;
		goto err_put_dev;
	}
	kref_init(&ses->ref);
	spin_lock_init(&ses->iv_lock);
	mutex_init(&ses->acc_lock);
	ses->dev = dev;
	ses->cipher = cipher;
	ses->mac = mac;
	ses->keylen = keylen;
	/* an HMAC key, kept for the software stream past the gather caps (vcdev_hash.c) */
	if (mac && mac->is_mac && mackeylen) {
		ses->mackey = kmemdup(mackey, mackeylen, GFP_KERNEL);
		if (!ses->mackey) {
			ret = -ENOMEM;
			goto err_put_ses;
		}
		ses->mackeylen = mackeylen;
	}

	/* the cipher the device does: none for CRYPTO_NULL (a guest copy) */
	dcipher = vcdev_alg_is_null(cipher) ? NULL : cipher;
	if (!dcipher && !mac) {
		*out = ses; /* CRYPTO_NULL alone: no device session */
		return 0;
	}
	ret = vcdev_ctrl_create(dev, dcipher, mac, VIRTIO_CRYPTO_OP_ENCRYPT, key, keylen, mackey,
				mackeylen, &ses->enc_id);
	if (ret)
		goto err_put_ses;
	ses->has_enc = true;
	/*
	 * CTR and MAC-only sessions are the same both ways; with a MAC the
	 * order differs (decrypt MACs the plaintext after deciphering).
	 */
	if (dcipher && (mac || dcipher->virtio_alg != VIRTIO_CRYPTO_CIPHER_AES_CTR)) {
		ret = vcdev_ctrl_create(dev, dcipher, mac, VIRTIO_CRYPTO_OP_DECRYPT, key, keylen,
					mackey, mackeylen, &ses->dec_id);
		if (ret)
			goto err_put_ses;
		ses->has_dec = true;
	}
	if (dcipher && mac) {
		ret = vcdev_session_create_aux(ses, key, keylen, mackey, mackeylen);
		if (ret)
			goto err_put_ses;
	}
	ret = vcdev_aead_session_init(ses);
	if (ret)
		goto err_put_ses;
	*out = ses;
	return 0;

err_put_ses:
	vcdev_session_put(ses); /* destroys what was created, puts dev */
	return ret;

err_put_dev:
	vcdev_device_put(dev);
	return ret;
}
