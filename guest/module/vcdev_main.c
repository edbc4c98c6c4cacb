// SPDX-License-Identifier: GPL-2.0
/*
 * virtio_cryptodev: the cryptodev-linux userspace interface (/dev/crypto)
 * on top of virtio-crypto devices, so that unmodified cryptodev programs
 * in a guest have their work done by the host.
 *
 * This file: module init/exit, the misc device and the registry of bound
 * devices from which new sessions pick one (round robin).
 */
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/slab.h>

#include "vcdev.h"

struct workqueue_struct *vcdev_wq;

static DEFINE_SPINLOCK(vcdev_registry_lock);
static LIST_HEAD(vcdev_registry);
static unsigned int vcdev_registry_rr;

void vcdev_registry_add(struct vcdev_device *dev)
{
	spin_lock(&vcdev_registry_lock);
	list_add_tail(&dev->node, &vcdev_registry);
	spin_unlock(&vcdev_registry_lock);
}

void vcdev_registry_del(struct vcdev_device *dev)
{
	spin_lock(&vcdev_registry_lock);
	list_del_init(&dev->node);
	spin_unlock(&vcdev_registry_lock);
}

/* The next live device, round robin; NULL if none is bound. */
struct vcdev_device *vcdev_registry_pick(void)
{
	struct vcdev_device *dev, *found = NULL;
	unsigned int n = 0, want;

	spin_lock(&vcdev_registry_lock);
	list_for_each_entry(dev, &vcdev_registry, node)
		n++;
	if (n) {
		want = vcdev_registry_rr++ % n;
		list_for_each_entry(dev, &vcdev_registry, node) {
			if (want-- == 0) {
				found = dev;
				kref_get(&found->ref);
				break;
			}
		}
	}
	spin_unlock(&vcdev_registry_lock);
	return found;
}

static struct miscdevice vcdev_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "crypto",
	.fops = &vcdev_fops,
	.mode = 0666,
};

static int __init vcdev_init(void)
{
	int ret;

	ret = vcdev_req_cache_init();
	if (ret)
		return ret;
	vcdev_wq = alloc_workqueue("vcdev", 0, 0);
	if (!vcdev_wq) {
		ret = -ENOMEM;
		goto err_cache;
	}
	ret = misc_register(&vcdev_misc);
	if (ret) {
		pr_err("cannot register /dev/crypto: %d\n", ret);
		goto err_wq;
	}
	ret = vcdev_virtio_register();
	if (ret)
		goto err_misc;
	return 0;

err_misc:
	misc_deregister(&vcdev_misc);
err_wq:
	destroy_workqueue(vcdev_wq);
err_cache:
	vcdev_req_cache_fini();
	return ret;
}

static void __exit vcdev_exit(void)
{
	/* Open files pin the module, so no session is left here. */
	vcdev_virtio_unregister();
	/* Requests abandoned by killed processes are released there. */
	destroy_workqueue(vcdev_wq);
	misc_deregister(&vcdev_misc);
	vcdev_req_cache_fini();
}

module_init(vcdev_init);
module_exit(vcdev_exit);

MODULE_DESCRIPTION("/dev/crypto (cryptodev-linux ABI) on virtio-crypto devices");
MODULE_LICENSE("GPL");
MODULE_ALIAS("devname:crypto");
