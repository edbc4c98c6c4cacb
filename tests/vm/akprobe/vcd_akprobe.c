// SPDX-License-Identifier: GPL-2.0
/*
 * Test-only virtio driver for a virtio-crypto device: sends ONE
 * AKCIPHER_CREATE_SESSION (RSA, public key given as hex in the "key"
 * parameter) on the control queue, whatever the device advertises, and
 * logs what comes back; with a session, ONE raw RSA encryption of "msg"
 * (hex, as long as the modulus) on data queue 0, its result logged in hex
 * for the test to compare with OpenSSL. It answers a question about a
 * peer: does this QEMU pass asymmetric session requests on to a vhost-user
 * backend (the backend's own log then shows the session message), answer
 * them itself, or not at all?  Bind it to a device no other driver holds.
 */
#include <linux/delay.h>
#include <linux/hex.h>
#include <linux/module.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <linux/virtio.h>
#include <linux/virtio_config.h>
#include <uapi/linux/virtio_crypto.h>
#include <uapi/linux/virtio_ids.h>

static char *key;
module_param(key, charp, 0444);
MODULE_PARM_DESC(key, "RSA public key (PKCS#1 DER) in hex");
static char *msg;
module_param(msg, charp, 0444);
MODULE_PARM_DESC(msg, "message to encrypt (raw RSA, modulus length) in hex");

struct akp {
	struct virtqueue *ctrl, *data;
	struct virtio_crypto_op_ctrl_req *req;
	struct virtio_crypto_session_input *in;
	u8 *der;
	struct virtio_crypto_op_data_req *dreq;
	u8 *src, *dst, *status;
};

/* Adds one request, kicks, waits up to 5 s; false if unanswered. */
static bool akp_run(struct virtqueue *vq, struct scatterlist **sgs, unsigned int out,
		    unsigned int in, void *token)
{
	unsigned int i, len;

	if (virtqueue_add_sgs(vq, sgs, out, in, token, GFP_KERNEL))
		return false;
	virtqueue_kick(vq);
	for (i = 0; i < 500 && !virtqueue_get_buf(vq, &len); i++)
		msleep(10);
	return i < 500;
}

static void akp_encrypt(struct virtio_device *vdev, struct akp *a, u64 session)
{
	struct scatterlist sh, ss, sd, st, *sgs[4];
	unsigned int n = strlen(msg) / 2, off;

	a->dreq = devm_kzalloc(&vdev->dev, sizeof(*a->dreq), GFP_KERNEL);
	a->src = devm_kzalloc(&vdev->dev, n, GFP_KERNEL);
	a->dst = devm_kzalloc(&vdev->dev, n, GFP_KERNEL);
	a->status = devm_kzalloc(&vdev->dev, 1, GFP_KERNEL);
	if (!a->dreq || !a->src || !a->dst || !a->status || hex2bin(a->src, msg, n))
		return;
	a->dreq->header.opcode = cpu_to_le32(VIRTIO_CRYPTO_AKCIPHER_ENCRYPT);
	a->dreq->header.algo = cpu_to_le32(VIRTIO_CRYPTO_AKCIPHER_RSA);
	a->dreq->header.session_id = cpu_to_le64(session);
	a->dreq->u.akcipher_req.para.src_data_len = cpu_to_le32(n);
	a->dreq->u.akcipher_req.para.dst_data_len = cpu_to_le32(n);
	*a->status = 0xff;
	sg_init_one(&sh, a->dreq, sizeof(*a->dreq));
	sg_init_one(&ss, a->src, n);
	sg_init_one(&sd, a->dst, n);
	sg_init_one(&st, a->status, 1);
	sgs[0] = &sh;
	sgs[1] = &ss;
	sgs[2] = &sd;
	sgs[3] = &st;
	if (!akp_run(a->data, sgs, 2, 2, a))
		dev_info(&vdev->dev, "akprobe: RSA encrypt on data queue 0: no answer in 5 s\n");
	else
		dev_info(&vdev->dev, "akprobe: RSA encrypt on data queue 0: status %u\n", *a->status);
	/* %*ph prints at most 64 bytes */
	for (off = 0; off < n; off += 64)
		dev_info(&vdev->dev, "akprobe: result %u: %*phN\n", off, (int)min(64U, n - off),
			 a->dst + off);
}

static int akp_probe(struct virtio_device *vdev)
{
	struct virtio_crypto_akcipher_session_para *para;
	struct scatterlist so, sk, si, *sgs[3];
	struct virtqueue_info *info;
	struct virtqueue **vqs;
	u32 nq = 0, services = 0;
	unsigned int i, keylen;
	struct akp *a;
	int ret = -ENOMEM;

	if (!key || strlen(key) % 2 || strlen(key) / 2 > 1024)
		return -EINVAL;
	keylen = strlen(key) / 2;
	virtio_cread_le(vdev, struct virtio_crypto_config, max_dataqueues, &nq);
	virtio_cread_le(vdev, struct virtio_crypto_config, crypto_services, &services);
	if (nq < 1 || nq > 64)
		return -EINVAL;

	a = devm_kzalloc(&vdev->dev, sizeof(*a), GFP_KERNEL);
	vqs = kcalloc(nq + 1, sizeof(*vqs), GFP_KERNEL);
	info = kcalloc(nq + 1, sizeof(*info), GFP_KERNEL);
	if (!a || !vqs || !info)
		goto out;
	a->req = devm_kzalloc(&vdev->dev, sizeof(*a->req), GFP_KERNEL);
	a->in = devm_kzalloc(&vdev->dev, sizeof(*a->in), GFP_KERNEL);
	a->der = devm_kzalloc(&vdev->dev, keylen, GFP_KERNEL);
	if (!a->req || !a->in || !a->der)
		goto out;
	ret = hex2bin(a->der, key, keylen);
	if (ret)
		goto out;

	/* data queues set up but unused (the control queue comes last) */
	for (i = 0; i < nq; i++)
		info[i].name = "akp.data";
	info[nq].name = "akp.ctrl";
	ret = virtio_find_vqs(vdev, nq + 1, vqs, info, NULL);
	if (ret)
		goto out;
	a->ctrl = vqs[nq];
	a->data = vqs[0];
	vdev->priv = a;
	virtio_device_ready(vdev);

	a->req->header.opcode = cpu_to_le32(VIRTIO_CRYPTO_AKCIPHER_CREATE_SESSION);
	a->req->header.algo = cpu_to_le32(VIRTIO_CRYPTO_AKCIPHER_RSA);
	para = &a->req->u.akcipher_create_session.para;
	para->algo = cpu_to_le32(VIRTIO_CRYPTO_AKCIPHER_RSA);
	para->keytype = cpu_to_le32(VIRTIO_CRYPTO_AKCIPHER_KEY_TYPE_PUBLIC);
	para->keylen = cpu_to_le32(keylen);
	para->u.rsa.padding_algo = cpu_to_le32(VIRTIO_CRYPTO_RSA_RAW_PADDING);
	para->u.rsa.hash_algo = cpu_to_le32(VIRTIO_CRYPTO_RSA_NO_HASH);
	a->in->status = cpu_to_le32(0xff); /* not a status: "unanswered" */

	sg_init_one(&so, a->req, sizeof(*a->req));
	sg_init_one(&sk, a->der, keylen);
	sg_init_one(&si, a->in, sizeof(*a->in));
	sgs[0] = &so;
	sgs[1] = &sk;
	sgs[2] = &si;
	if (!akp_run(a->ctrl, sgs, 2, 1, a)) {
		dev_info(&vdev->dev, "akprobe: services %#x: RSA session request: no answer in 5 s\n",
			 services);
	} else {
		dev_info(&vdev->dev,
			 "akprobe: services %#x: RSA session request (%u-byte key): status %u session %lld\n",
			 services, keylen, le32_to_cpu(a->in->status),
			 (long long)le64_to_cpu(a->in->session_id));
		if (msg && strlen(msg) % 2 == 0 && strlen(msg) / 2 <= 512 &&
		    le32_to_cpu(a->in->status) == VIRTIO_CRYPTO_OK)
			akp_encrypt(vdev, a, le64_to_cpu(a->in->session_id));
	}
	ret = 0;
out:
	kfree(info);
	kfree(vqs);
	return ret;
}

static void akp_remove(struct virtio_device *vdev)
{
	/* after the reset the device no longer touches our buffers */
	virtio_reset_device(vdev);
	vdev->config->del_vqs(vdev);
	vdev->priv = NULL;
}

static const struct virtio_device_id akp_ids[] = {
	{VIRTIO_ID_CRYPTO, VIRTIO_DEV_ANY_ID},
	{0},
};

static unsigned int akp_features[] = {};

static struct virtio_driver akp_driver = {
	.driver.name = "vcd_akprobe",
	.id_table = akp_ids,
	.feature_table = akp_features,
	.feature_table_size = ARRAY_SIZE(akp_features),
	.probe = akp_probe,
	.remove = akp_remove,
};
module_virtio_driver(akp_driver);
MODULE_DESCRIPTION("vcrypto test probe: AKCIPHER session request on a virtio-crypto device");
MODULE_LICENSE("GPL");
