// SPDX-License-Identifier: GPL-2.0
/*
 * The virtio side: binding virtio-crypto devices, their virtqueues, and
 * the life of one request on a queue.
 *
 * A request is reference counted.  The submitter holds one reference, the
 * device another from the moment the request is on a ring until the
 * device hands it back (or the ring is torn down on removal).  So a
 * submitter may stop waiting (signal, kill) at any time: the memory the
 * device may still write stays allocated, and pinned pages stay pinned,
 * until the device is done with it.
 */
#include <linux/module.h>
#include <linux/sched.h>
#include <linux/sched/clock.h>
#include <linux/sched/signal.h>
#include <linux/sched/stat.h>
#include <linux/slab.h>
#include <linux/version.h>
#include <linux/virtio_config.h>
#include <uapi/linux/virtio_ids.h>

#include "vcdev.h"

static DEFINE_IDA(vcdev_ida);

/*
 * QEMU 7.2 with vhost-user starts only data queue 0 whatever queues=N
 * says; a guest there can limit the queues used (0: all the device has).
 */
static unsigned int max_queues;
module_param(max_queues, uint, 0444);
MODULE_PARM_DESC(max_queues, "data queues used per device (0: all)");

static void vcdev_device_release(struct kref *ref)
{
	struct vcdev_device *dev = container_of(ref, struct vcdev_device, ref);

	ida_free(&vcdev_ida, dev->id);
	kfree(dev->data);
	kfree(dev);
}

void vcdev_device_put(struct vcdev_device *dev)
{
	if (dev)
		kref_put(&dev->ref, vcdev_device_release);
}

/*
 * Requests come from a cache of their own with the inline data area
 * behind the header.  Its constructor makes new objects all-zero and
 * vcdev_req_free() returns them so, which spares zeroing the whole object
 * on each allocation (init_on_alloc, kzalloc) and on each free
 * (kfree_sensitive): per small request that was the biggest cost under
 * an emulating hypervisor.  Charged to the caller's memory cgroup, as the
 * bounce pages are.
 */
static struct kmem_cache *vcdev_req_cache;

/* Bytes of data carried inline (0..VCDEV_INLINE_CAP); 0: bounce pages. */
static unsigned int inline_max = VCDEV_INLINE_CAP;
module_param(inline_max, uint, 0644);
MODULE_PARM_DESC(inline_max, "largest data carried inside the request (bytes, at most "
			     __stringify(VCDEV_INLINE_CAP) "; 0: bounce pages always)");

unsigned int vcdev_inline_max(void)
{
	return min(READ_ONCE(inline_max), VCDEV_INLINE_CAP);
}

static void vcdev_req_ctor(void *obj)
{
	memset(obj, 0, sizeof(struct vcdev_req) + VCDEV_INLINE_CAP);
}

/*
 * Whitelisted for copies to and from user space (hardened usercopy):
 * digest and inl[], which copy_to_user()/copy_from_user() reach directly.
 */
#define VCDEV_REQ_USEROFF offsetof(struct vcdev_req, digest)
#define VCDEV_REQ_USERSIZE (offsetof(struct vcdev_req, inl) + VCDEV_INLINE_CAP - VCDEV_REQ_USEROFF)

int vcdev_req_cache_init(void)
{
	vcdev_req_cache = kmem_cache_create_usercopy(
		"vcdev_req", sizeof(struct vcdev_req) + VCDEV_INLINE_CAP,
		__alignof__(struct vcdev_req), SLAB_ACCOUNT, VCDEV_REQ_USEROFF,
		VCDEV_REQ_USERSIZE, vcdev_req_ctor);
	return vcdev_req_cache ? 0 : -ENOMEM;
}

void vcdev_req_cache_fini(void)
{
	kmem_cache_destroy(vcdev_req_cache);
}

/* All-zero, one reference: see vcdev_req_cache. */
struct vcdev_req *vcdev_req_alloc(gfp_t gfp)
{
	struct vcdev_req *req = kmem_cache_alloc(vcdev_req_cache, gfp);

	if (!req)
		return NULL;
	kref_init(&req->ref);
	init_completion(&req->done);
	return req;
}

static void vcdev_req_free(struct vcdev_req *req)
{
	/* wipes the inline bytes it used (user data, results) */
	vcdev_buf_release(&req->src);
	if (!req->in_place)
		vcdev_buf_release(&req->dst);
	kfree_sensitive(req->keys);
	if (req->ses)
		vcdev_session_put(req->ses);
	/* IVs and digests are secrets of the user; all-zero for the cache */
	memzero_explicit(req, sizeof(*req));
	kmem_cache_free(vcdev_req_cache, req);
}

static void vcdev_req_free_work(struct work_struct *work)
{
	vcdev_req_free(container_of(work, struct vcdev_req, free_work));
}

static void vcdev_req_release(struct kref *ref)
{
	vcdev_req_free(container_of(ref, struct vcdev_req, ref));
}

/*
 * Releasing may sleep (unpinning dirty pages, dropping the last session
 * reference sends a control request): from interrupt context it is
 * deferred to a work item.
 */
static void vcdev_req_release_deferred(struct kref *ref)
{
	struct vcdev_req *req = container_of(ref, struct vcdev_req, ref);

	INIT_WORK(&req->free_work, vcdev_req_free_work);
	queue_work(vcdev_wq, &req->free_work);
}

void vcdev_req_put(struct vcdev_req *req)
{
	if (req)
		kref_put(&req->ref, vcdev_req_release);
}

/*
 * Called with q->lock held, once for each request the device has returned
 * (virtqueue_get_buf hands each used entry out once, and every caller
 * holds q->lock), or failed on removal: the owner is woken by @done
 * whichever task or interrupt got here.
 */
static void vcdev_req_finish(struct vcdev_req *req, int result)
{
	atomic_dec(&req->q->dev->inflight);
	atomic64_inc(&req->q->completed);
	req->result = result;
	complete(&req->done);
	if (req->on_done)
		req->on_done(req);
	kref_put(&req->ref, vcdev_req_release_deferred);
}

/*
 * Returns what the device has put on @q's used ring; q->lock held. @own:
 * the spinning task's request (NULL from the interrupt), to count the
 * others it returned.  Returns how many.
 */
static unsigned int vcdev_vq_reap(struct vcdev_vq *q, struct vcdev_req *own)
{
	struct vcdev_req *req;
	unsigned int len, n = 0, others = 0;

	while ((req = virtqueue_get_buf(q->vq, &len))) {
		req->used_len = len;
		if (own && req != own)
			others++;
		vcdev_req_finish(req, 0);
		n++;
	}
	if (n) {
		WRITE_ONCE(q->seq, q->seq + n);
		if (own) {
			atomic64_add(n, &q->spin_reaped);
			if (others)
				atomic64_add(others, &q->spin_others);
		}
	}
	return n;
}

static void vcdev_vq_done(struct virtqueue *vq)
{
	struct vcdev_device *dev = vq->vdev->priv;
	struct vcdev_vq *q;
	unsigned long flags;

	if (vq == dev->ctrl.vq)
		q = &dev->ctrl;
	else if (vq->index < dev->nr_data)
		q = &dev->data[vq->index];
	else
		return; /* a data queue we do not use */

	spin_lock_irqsave(&q->lock, flags);
	if (q->spinning) {
		/*
		 * A task polls this queue with callbacks off (the device
		 * interrupted anyway, or did before it saw the flag): return
		 * what is there, and leave the callbacks to the spinner, which
		 * turns them on again when it stops.
		 */
		vcdev_vq_reap(q, NULL);
	} else {
		do {
			virtqueue_disable_cb(vq);
			vcdev_vq_reap(q, NULL);
		} while (!virtqueue_enable_cb(vq));
	}
	spin_unlock_irqrestore(&q->lock, flags);
	/* submitters wait for ring space rarely: skip the wait queue's lock */
	if (wq_has_sleeper(&q->space_wq))
		wake_up_all(&q->space_wq);
}

/*
 * Put @req on @q and notify the device.  Waits (interruptibly) while the
 * ring is full.  On success the device owns a reference to @req.
 */
int vcdev_req_submit(struct vcdev_vq *q, struct vcdev_req *req, struct scatterlist **sgs,
		     unsigned int out_sgs, unsigned int in_sgs)
{
	unsigned long flags, seq;
	bool notify;
	int ret;

	for (;;) {
		spin_lock_irqsave(&q->lock, flags);
		if (q->dead) {
			spin_unlock_irqrestore(&q->lock, flags);
			return -ENODEV;
		}
		kref_get(&req->ref);
		ret = virtqueue_add_sgs(q->vq, sgs, out_sgs, in_sgs, req, GFP_ATOMIC);
		if (!ret) {
			atomic64_inc(&q->submitted);
			atomic_inc(&q->dev->inflight);
			req->q = q;
			notify = virtqueue_kick_prepare(q->vq);
			spin_unlock_irqrestore(&q->lock, flags);
			if (notify)
				virtqueue_notify(q->vq);
			return 0;
		}
		/* not queued: the device holds nothing (we still do) */
		kref_put(&req->ref, vcdev_req_release);
		seq = q->seq;
		spin_unlock_irqrestore(&q->lock, flags);
		if (ret != -ENOSPC)
			return ret;
		/*
		 * Ring full (or no memory for an indirect table): wait for
		 * the device to return something, retrying now and then.
		 * Nothing is queued yet, so a signal restarts the call.
		 */
		ret = wait_event_interruptible_timeout(
			q->space_wq, READ_ONCE(q->dead) || READ_ONCE(q->seq) != seq, HZ / 10);
		if (ret < 0)
			return -ERESTARTSYS;
	}
}

/*
 * Hybrid polling of synchronous data requests.  Between the kick and the
 * device's answer a waiter would go to sleep, the vCPU idle, and the
 * answer come back as an interrupt (through QEMU: INTx or MSI-X) that
 * wakes it again.  With poll_us > 0 the waiter first spins on the used
 * ring for up to that long with the queue's callbacks off, returning
 * whatever the device gives back (its own request and other tasks' or
 * async jobs', whose owners vcdev_req_finish() wakes), and sleeps as
 * before only when the window ends without its answer.
 *
 * Bounded as the kernel's own hybrid pollers are (KVM halt polling, NAPI
 * busy polling): the spin stops at once when the CPU has anything else
 * to run (need_resched, or another runnable task: single_task_running)
 * or a signal is pending, and runs with preemption and interrupts on; the
 * queue's lock is taken only around each look at the ring.  One task
 * spins per queue (the others sleep; the spinner returns their answers
 * too), and only a task that is the queue's only synchronous waiter
 * starts to spin: with more requests than vCPUs (8 threads on 2 vCPUs)
 * the time goes to the tasks that have work, as without polling.
 */
static unsigned int poll_us = VCDEV_POLL_US_DEFAULT;
module_param(poll_us, uint, 0644);
MODULE_PARM_DESC(poll_us, "spin up to this long on the used ring before sleeping for a synchronous "
			  "request (microseconds, at most " __stringify(VCDEV_POLL_US_MAX)
			  "; 0: sleep at once)");

static bool vcdev_spin_ok(void)
{
	return !need_resched() && !signal_pending(current) && single_task_running();
}

/* Spins for @req on @q up to @us microseconds; true if it came back. */
static bool vcdev_req_spin(struct vcdev_req *req, struct vcdev_vq *q, unsigned int us)
{
	unsigned long flags;
	unsigned int n = 0;
	bool done;
	u64 end;

	spin_lock_irqsave(&q->lock, flags);
	if (q->spinning || q->dead) {
		spin_unlock_irqrestore(&q->lock, flags);
		return false;
	}
	q->spinning = true;
	virtqueue_disable_cb(q->vq);
	spin_unlock_irqrestore(&q->lock, flags);
	atomic64_inc(&q->spins);

	end = local_clock() + (u64)us * NSEC_PER_USEC;
	for (;;) {
		spin_lock_irqsave(&q->lock, flags);
		if (!q->dead)
			n += vcdev_vq_reap(q, req);
		spin_unlock_irqrestore(&q->lock, flags);
		if (completion_done(&req->done) || READ_ONCE(q->dead) || !vcdev_spin_ok() ||
		    local_clock() >= end)
			break;
		cpu_relax();
	}

	/*
	 * Callbacks on again; false from virtqueue_enable_cb: answers came
	 * in while they were off, which no interrupt may announce: take
	 * them now.  After removal killed the queue the ring is not touched
	 * (it is reset and drained, then deleted).
	 */
	spin_lock_irqsave(&q->lock, flags);
	q->spinning = false;
	if (!q->dead) {
		while (!virtqueue_enable_cb(q->vq)) {
			virtqueue_disable_cb(q->vq);
			n += vcdev_vq_reap(q, req);
		}
	}
	spin_unlock_irqrestore(&q->lock, flags);
	if (n && wq_has_sleeper(&q->space_wq))
		wake_up_all(&q->space_wq);
	done = completion_done(&req->done);
	if (done)
		atomic64_inc(&q->spin_hits);
	return done;
}

/*
 * Wait for the device to return @req.  The caller keeps its reference
 * either way; on -EINTR the request stays with the device.
 *
 * Data requests wait killable, not interruptible: a signal the program
 * handles must not fail (or restart) a request the device may already be
 * writing into pinned user memory, and cryptodev-linux programs do not
 * expect EINTR from CIOCCRYPT.  A fatal signal (kill, Ctrl-C with no
 * handler) ends the wait at once.
 */
int vcdev_req_wait(struct vcdev_req *req, bool killable)
{
	int ret = 0;

	if (killable) {
		struct vcdev_vq *q = req->q;
		unsigned int us = min(READ_ONCE(poll_us), VCDEV_POLL_US_MAX);
		bool alone = atomic_inc_return(&q->waiters) == 1;

		if (!(us && alone && vcdev_spin_ok() && vcdev_req_spin(req, q, us)) &&
		    wait_for_completion_killable(&req->done))
			ret = -EINTR;
		atomic_dec(&q->waiters);
		if (ret)
			return ret;
	} else if (!wait_for_completion_timeout(&req->done, VCDEV_CTRL_TIMEOUT)) {
		return -ETIMEDOUT;
	}
	return req->result;
}

struct vcdev_vq *vcdev_pick_data_vq(struct vcdev_device *dev)
{
	unsigned int i = (unsigned int)atomic_inc_return(&dev->next_q);

	return &dev->data[i % dev->nr_data];
}

static void vcdev_vq_init(struct vcdev_vq *q, struct vcdev_device *dev, const char *fmt,
			  unsigned int i)
{
	q->dev = dev;
	spin_lock_init(&q->lock);
	init_waitqueue_head(&q->space_wq);
	snprintf(q->name, sizeof(q->name), fmt, i);
}

/*
 * virtio_find_vqs() takes one struct virtqueue_info per queue since 6.11
 * (guest 6.12) and parallel callback/name arrays before (guest 6.1).
 * Queues without a callback (NULL) are data queues we do not use.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 11, 0)
static int vcdev_vqs_register(struct virtio_device *vdev, unsigned int n,
			      struct virtqueue **vqs, const char **names, vq_callback_t **cbs)
{
	struct virtqueue_info *info;
	unsigned int i;
	int ret;

	info = kcalloc(n, sizeof(*info), GFP_KERNEL);
	if (!info)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		info[i].name = names[i];
		info[i].callback = cbs[i];
	}
	ret = virtio_find_vqs(vdev, n, vqs, info, NULL);
	kfree(info);
	return ret;
}
#else
static int vcdev_vqs_register(struct virtio_device *vdev, unsigned int n,
			      struct virtqueue **vqs, const char **names, vq_callback_t **cbs)
{
	return virtio_find_vqs(vdev, n, vqs, cbs, names, NULL);
}
#endif

/*
 * The control queue is the device's last queue, after all @max_dataqueues
 * data queues, also when we use fewer of them (max_queues, few CPUs). The
 * data queues we do not use are set up all the same (without a callback):
 * virtio_pci numbers the queues it sets up consecutively, so skipping one
 * would make a data queue our control queue.
 */
static int vcdev_find_vqs(struct vcdev_device *dev, unsigned int max_dataqueues)
{
	unsigned int n = max_dataqueues + 1, i;
	struct virtqueue **vqs;
	vq_callback_t **cbs;
	const char **names;
	int ret = -ENOMEM;

	vqs = kcalloc(n, sizeof(*vqs), GFP_KERNEL);
	cbs = kcalloc(n, sizeof(*cbs), GFP_KERNEL);
	names = kcalloc(n, sizeof(*names), GFP_KERNEL);
	if (!vqs || !cbs || !names)
		goto out;

	for (i = 0; i < max_dataqueues; i++) {
		if (i < dev->nr_data) {
			vcdev_vq_init(&dev->data[i], dev, "dataq.%u", i);
			names[i] = dev->data[i].name;
			cbs[i] = vcdev_vq_done;
		} else {
			names[i] = "dataq.unused";
		}
	}
	vcdev_vq_init(&dev->ctrl, dev, "controlq", 0);
	names[max_dataqueues] = dev->ctrl.name;
	cbs[max_dataqueues] = vcdev_vq_done;

	ret = vcdev_vqs_register(dev->vdev, n, vqs, names, cbs);
	if (ret)
		goto out;
	for (i = 0; i < dev->nr_data; i++)
		dev->data[i].vq = vqs[i];
	dev->ctrl.vq = vqs[max_dataqueues];
out:
	kfree(names);
	kfree(cbs);
	kfree(vqs);
	return ret;
}

#define vcdev_cread(vdev, member, ptr) \
	virtio_cread_le(vdev, struct virtio_crypto_config, member, ptr)

static int vcdev_probe(struct virtio_device *vdev)
{
	struct vcdev_device *dev;
	u32 status = 0, max_dataqueues = 0;
	int ret;

	if (!virtio_has_feature(vdev, VIRTIO_F_VERSION_1))
		return -ENODEV;
	if (!vdev->config->get) {
		dev_err(&vdev->dev, "config access disabled\n");
		return -EINVAL;
	}

	vcdev_cread(vdev, status, &status);
	vcdev_cread(vdev, max_dataqueues, &max_dataqueues);
	if (!(status & VIRTIO_CRYPTO_S_HW_READY)) {
		dev_err(&vdev->dev, "device not ready (status %#x)\n", status);
		return -EPERM;
	}
	/* Hostile config: keep the number of queues within reason. */
	if (max_dataqueues < 1 || max_dataqueues > 1024) {
		dev_err(&vdev->dev, "bad max_dataqueues %u\n", max_dataqueues);
		return -EINVAL;
	}

	dev = kzalloc(sizeof(*dev), GFP_KERNEL);
	if (!dev)
		return -ENOMEM;
	kref_init(&dev->ref);
	INIT_LIST_HEAD(&dev->node);
	dev->vdev = vdev;
	ret = ida_alloc(&vcdev_ida, GFP_KERNEL);
	if (ret < 0)
		goto err_free_dev;
	dev->id = ret;
	dev->nr_data = min_t(u32, max_dataqueues, num_possible_cpus() * 2);
	if (max_queues)
		dev->nr_data = min(dev->nr_data, max_queues);
	dev->nr_data = max(dev->nr_data, 1U);
	dev->data = kcalloc(dev->nr_data, sizeof(*dev->data), GFP_KERNEL);
	if (!dev->data) {
		ret = -ENOMEM;
		goto err_free_id;
	}

	vcdev_cread(vdev, crypto_services, &dev->services);
	vcdev_cread(vdev, cipher_algo_l, &dev->cipher_mask_l);
	vcdev_cread(vdev, cipher_algo_h, &dev->cipher_mask_h);
	vcdev_cread(vdev, hash_algo, &dev->hash_mask);
	vcdev_cread(vdev, mac_algo_l, &dev->mac_mask_l);
	vcdev_cread(vdev, mac_algo_h, &dev->mac_mask_h);
	vcdev_cread(vdev, max_cipher_key_len, &dev->max_cipher_key_len);
	vcdev_cread(vdev, max_auth_key_len, &dev->max_auth_key_len);
	vcdev_cread(vdev, max_size, &dev->max_size);

	vdev->priv = dev;
	ret = vcdev_find_vqs(dev, max_dataqueues);
	if (ret)
		goto err_free_data;
	virtio_device_ready(vdev);

	vcdev_registry_add(dev);
	dev_info(&vdev->dev,
		 "/dev/crypto device %u: %u data queue(s), services %#x, cipher mask %#x, mac mask "
		 "%#x, max_size %llu\n",
		 dev->id, dev->nr_data, dev->services, dev->cipher_mask_l, dev->mac_mask_l,
		 (unsigned long long)dev->max_size);
	return 0;

err_free_data:
	vdev->priv = NULL;
	kfree(dev->data);
	dev->data = NULL;
err_free_id:
	ida_free(&vcdev_ida, dev->id);
err_free_dev:
	kfree(dev);
	return ret;
}

/* Fail every request still on @q: the device was reset and owns nothing. */
static void vcdev_vq_drain(struct vcdev_vq *q)
{
	struct vcdev_req *req;
	unsigned long flags;

	spin_lock_irqsave(&q->lock, flags);
	while ((req = virtqueue_detach_unused_buf(q->vq)))
		vcdev_req_finish(req, -ENODEV);
	spin_unlock_irqrestore(&q->lock, flags);
	wake_up_all(&q->space_wq);
}

static void vcdev_vq_kill(struct vcdev_vq *q)
{
	unsigned long flags;

	spin_lock_irqsave(&q->lock, flags);
	WRITE_ONCE(q->dead, true);
	spin_unlock_irqrestore(&q->lock, flags);
}

static void vcdev_remove(struct virtio_device *vdev)
{
	struct vcdev_device *dev = vdev->priv;
	unsigned int i;

	/* No new sessions, no new requests. */
	vcdev_registry_del(dev);
	WRITE_ONCE(dev->dead, true);
	for (i = 0; i < dev->nr_data; i++)
		vcdev_vq_kill(&dev->data[i]);
	vcdev_vq_kill(&dev->ctrl);

	/* Stop the device; after the reset no callback runs any more. */
	virtio_reset_device(vdev);
	for (i = 0; i < dev->nr_data; i++)
		vcdev_vq_drain(&dev->data[i]);
	vcdev_vq_drain(&dev->ctrl);
	vdev->config->del_vqs(vdev);
	vdev->priv = NULL;
	dev_info(&vdev->dev, "/dev/crypto device %u removed\n", dev->id);
	/* Sessions still open keep @dev (not the vqs) until they close. */
	vcdev_device_put(dev);
}

/*
 * Statistics on each bound device, for tests and the curious:
 * /sys/bus/virtio/devices/virtioN/vcdev_{sessions,requests,inflight,gathered,
 *                                        sw_fallbacks}
 * VCDEV_COUNTER_ATTR(name, fmt, expr): the attribute name printing expr,
 * one counter of the device dev.
 */
#define VCDEV_COUNTER_ATTR(name, fmt, expr)                                                    \
	static ssize_t name##_show(struct device *d, struct device_attribute *attr, char *buf) \
	{                                                                                      \
		struct vcdev_device *dev = dev_to_virtio(d)->priv;                             \
		return sysfs_emit(buf, fmt "\n", expr);                                        \
	}                                                                                      \
	static DEVICE_ATTR_RO(name)

VCDEV_COUNTER_ATTR(vcdev_sessions, "%d", atomic_read(&dev->nr_sessions));

static ssize_t vcdev_requests_show(struct device *d, struct device_attribute *attr, char *buf)
{
	struct vcdev_device *dev = dev_to_virtio(d)->priv;
	unsigned int i;
	int n = 0;

	for (i = 0; i < dev->nr_data; i++)
		n += sysfs_emit_at(buf, n, "%s%lld", i ? " " : "",
				   (long long)atomic64_read(&dev->data[i].submitted));
	n += sysfs_emit_at(buf, n, "\n");
	return n;
}
static DEVICE_ATTR_RO(vcdev_requests);

VCDEV_COUNTER_ATTR(vcdev_inflight, "%d", atomic_read(&dev->inflight));

/* requests the device returned (or removal failed), per data queue */
static ssize_t vcdev_completed_show(struct device *d, struct device_attribute *attr, char *buf)
{
	struct vcdev_device *dev = dev_to_virtio(d)->priv;
	unsigned int i;
	int n = 0;

	for (i = 0; i < dev->nr_data; i++)
		n += sysfs_emit_at(buf, n, "%s%lld", i ? " " : "",
				   (long long)atomic64_read(&dev->data[i].completed));
	n += sysfs_emit_at(buf, n, "\n");
	return n;
}
static DEVICE_ATTR_RO(vcdev_completed);

/*
 * Hybrid polling, summed over the data queues: spin windows entered,
 * windows that saw their request back, requests returned by spinners,
 * of those other tasks' (or async jobs').
 */
static ssize_t vcdev_poll_show(struct device *d, struct device_attribute *attr, char *buf)
{
	struct vcdev_device *dev = dev_to_virtio(d)->priv;
	s64 v[4] = {};
	unsigned int i;

	for (i = 0; i < dev->nr_data; i++) {
		v[0] += atomic64_read(&dev->data[i].spins);
		v[1] += atomic64_read(&dev->data[i].spin_hits);
		v[2] += atomic64_read(&dev->data[i].spin_reaped);
		v[3] += atomic64_read(&dev->data[i].spin_others);
	}
	return sysfs_emit(buf, "spins %lld hits %lld reaped %lld others %lld\n", (long long)v[0],
			  (long long)v[1], (long long)v[2], (long long)v[3]);
}
static DEVICE_ATTR_RO(vcdev_poll);

/* bytes its sessions hold gathered (each file capped by max_file_gather) */
VCDEV_COUNTER_ATTR(vcdev_gathered, "%ld", atomic_long_read(&dev->gathered));

/* multi-part hash streams that went on in software past the gather caps */
VCDEV_COUNTER_ATTR(vcdev_sw_fallbacks, "%ld", atomic_long_read(&dev->sw_fallbacks));

static struct attribute *vcdev_attrs[] = {
	&dev_attr_vcdev_gathered.attr,
	&dev_attr_vcdev_sw_fallbacks.attr,
	&dev_attr_vcdev_sessions.attr,
	&dev_attr_vcdev_requests.attr,
	&dev_attr_vcdev_inflight.attr,
	&dev_attr_vcdev_completed.attr,
	&dev_attr_vcdev_poll.attr,
	NULL,
};
ATTRIBUTE_GROUPS(vcdev);

static const struct virtio_device_id vcdev_id_table[] = {
	{VIRTIO_ID_CRYPTO, VIRTIO_DEV_ANY_ID},
	{0},
};
MODULE_DEVICE_TABLE(virtio, vcdev_id_table);

static unsigned int vcdev_features[] = {
	/* none beyond VIRTIO_F_VERSION_1 (implied) */
};

static struct virtio_driver vcdev_driver = {
	.driver.name = VCDEV_DRIVER_NAME,
	.driver.owner = THIS_MODULE,
	.driver.dev_groups = vcdev_groups,
	.id_table = vcdev_id_table,
	.feature_table = vcdev_features,
	.feature_table_size = ARRAY_SIZE(vcdev_features),
	.probe = vcdev_probe,
	.remove = vcdev_remove,
};

int vcdev_virtio_register(void)
{
	return register_virtio_driver(&vcdev_driver);
}

void vcdev_virtio_unregister(void)
{
	unregister_virtio_driver(&vcdev_driver);
}
