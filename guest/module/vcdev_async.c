// SPDX-License-Identifier: GPL-2.0
/*
 * cryptodev-linux's asynchronous interface: CIOCASYNCCRYPT queues a
 * CIOCCRYPT and returns, CIOCASYNCFETCH hands back the oldest one once it
 * is done, poll() says when one of them can be called without EBUSY.
 *
 * CIOCASYNCCRYPT runs the submit half of the data path in the caller's
 * context (checks, IV, user memory copied in or pinned, the request put
 * on a ring) and returns; the device's completion only marks the job done
 * and wakes poll; CIOCASYNCFETCH runs the completion half in the caller's
 * context (status, results copied out of bounce pages, MAC, next IV).
 *
 * Jobs leave in the order they were queued, as with cryptodev-linux
 * (whose single worker runs them in order): FETCH takes the first job of
 * the file's list when it is done, else fails with EBUSY.
 */
#include <linux/poll.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include <crypto/cryptodev.h>

#include "vcdev.h"

/* Jobs queued or done but not fetched, per open file (cryptodev-linux: 64). */
#define VCDEV_ASYNC_MAX_JOBS 64U
/* Bytes of data those jobs may hold (bounce pages are kernel memory). */
#define VCDEV_ASYNC_MAX_BYTES (128U << 20)

/*
 * The async state of one open file.  Reference counted: the file holds
 * one reference and every job one, so a job the device still has when
 * the file is closed can finish (and free itself) safely.
 */
struct vcdev_async {
	struct kref ref;
	/* everything below; taken in the device's interrupt path */
	spinlock_t lock;
	struct list_head jobs; /* in submission order */
	unsigned int nr_jobs;
	unsigned int bytes; /* sum of the jobs' ->bytes */
	wait_queue_head_t wq; /* poll */
};

struct vcdev_job {
	struct list_head node; /* in a->jobs */
	struct vcdev_async *a; /* reference */
	struct crypt_op cop; /* as queued; FETCH returns it */
	struct vcdev_op op;
	unsigned int bytes;
	int result; /* an error found before the device, or 0 */
	bool done; /* under a->lock: FETCH may take it */
	bool orphan; /* the file is gone: free when the device returns it */
	struct work_struct free_work;
};

struct vcdev_async *vcdev_async_alloc(void)
{
	struct vcdev_async *a = kzalloc(sizeof(*a), GFP_KERNEL);

	if (!a)
		return NULL;
	kref_init(&a->ref);
	spin_lock_init(&a->lock);
	INIT_LIST_HEAD(&a->jobs);
	init_waitqueue_head(&a->wq);
	return a;
}

static void vcdev_async_free(struct kref *ref)
{
	kfree(container_of(ref, struct vcdev_async, ref));
}

/* Process context: may sleep (unpinning, the last session reference). */
static void vcdev_job_free(struct vcdev_job *job)
{
	struct vcdev_async *a = job->a;

	vcdev_crypt_end(&job->op);
	kfree_sensitive(job); /* IVs */
	kref_put(&a->ref, vcdev_async_free);
}

static void vcdev_job_free_work(struct work_struct *work)
{
	vcdev_job_free(container_of(work, struct vcdev_job, free_work));
}

/* The device returned the job's request (queue lock held, irqs off). */
static void vcdev_job_done(struct vcdev_req *req)
{
	struct vcdev_job *job = req->done_arg;
	struct vcdev_async *a = job->a;
	unsigned long flags;

	spin_lock_irqsave(&a->lock, flags);
	job->done = true;
	if (job->orphan) {
		INIT_WORK(&job->free_work, vcdev_job_free_work);
		queue_work(vcdev_wq, &job->free_work);
	} else {
		/* under the lock: a FETCH cannot free the job (and @a) first */
		wake_up_interruptible(&a->wq);
	}
	spin_unlock_irqrestore(&a->lock, flags);
}

/* A job that ends without (more of) the device: FETCH returns @result. */
static void vcdev_job_finish(struct vcdev_async *a, struct vcdev_job *job, int result)
{
	spin_lock_irq(&a->lock);
	job->result = result;
	job->done = true;
	wake_up_interruptible(&a->wq);
	spin_unlock_irq(&a->lock);
}

/*
 * CIOCASYNCCRYPT.  Fails only where cryptodev-linux's does: EINVAL for an
 * unknown session or COP_FLAG_NO_ZC, EFAULT for an unreadable IV, EBUSY
 * when the file has VCDEV_ASYNC_MAX_JOBS jobs (or their bytes) out.  Any
 * other error of the operation is the result of its CIOCASYNCFETCH.
 */
int vcdev_async_crypt(struct vcdev_file *f, const struct crypt_op *cop)
{
	struct vcdev_async *a = f->async;
	struct vcdev_session *ses;
	struct vcdev_job *job;
	u8 iv[VCDEV_MAX_IV];
	int ret = 0;

	ses = vcdev_lookup(f, cop->ses);
	if (!ses)
		return -EINVAL;
	if (cop->iv && ses->cipher && ses->cipher->ivsize &&
	    copy_from_user(iv, cop->iv, ses->cipher->ivsize))
		ret = -EFAULT;
	vcdev_session_put(ses);
	memzero_explicit(iv, sizeof(iv));
	if (ret)
		return ret;
	if (cop->flags & COP_FLAG_NO_ZC)
		return -EINVAL;

	job = kzalloc(sizeof(*job), GFP_KERNEL);
	if (!job)
		return -ENOMEM;
	job->cop = *cop;
	/* an oversized job fails before it allocates anything */
	job->bytes = cop->len <= VCDEV_MAX_DATA_LEN ? cop->len : 0;

	spin_lock_irq(&a->lock);
	if (a->nr_jobs >= VCDEV_ASYNC_MAX_JOBS || job->bytes > VCDEV_ASYNC_MAX_BYTES - a->bytes) {
		spin_unlock_irq(&a->lock);
		kfree(job);
		return -EBUSY;
	}
	a->nr_jobs++;
	a->bytes += job->bytes;
	kref_get(&a->ref);
	job->a = a;
	list_add_tail(&job->node, &a->jobs);
	spin_unlock_irq(&a->lock);

	ret = vcdev_crypt_prepare(f, &job->op, &job->cop);
	if (!ret && job->op.req) {
		job->op.req->on_done = vcdev_job_done;
		job->op.req->done_arg = job;
		ret = vcdev_crypt_queue(&job->op);
		if (!ret)
			return 0; /* the device has it; it may be done, even fetched */
		if (ret == -ERESTARTSYS && !job->op.gathered) {
			/* a signal while the ring was full: nothing happened */
			spin_lock_irq(&a->lock);
			list_del(&job->node);
			a->nr_jobs--;
			a->bytes -= job->bytes;
			wake_up_interruptible(&a->wq);
			spin_unlock_irq(&a->lock);
			vcdev_job_free(job);
			return ret;
		}
		if (ret == -ERESTARTSYS)
			ret = -EINTR; /* the gathered MAC parts are gone */
	}
	vcdev_job_finish(a, job, ret);
	return 0;
}

/*
 * CIOCASYNCFETCH: the first job queued, if it is done (else EBUSY, as
 * cryptodev-linux: it never blocks).  *cop becomes the crypt_op it was
 * queued with; its results go to the user memory that op names.  Returns
 * the job's result (the job is consumed either way).
 */
int vcdev_async_fetch(struct vcdev_file *f, struct crypt_op *cop)
{
	struct vcdev_async *a = f->async;
	struct vcdev_job *job;
	int result;

	spin_lock_irq(&a->lock);
	job = list_first_entry_or_null(&a->jobs, struct vcdev_job, node);
	if (!job || !job->done) {
		spin_unlock_irq(&a->lock);
		return -EBUSY;
	}
	list_del(&job->node);
	a->nr_jobs--;
	a->bytes -= job->bytes;
	wake_up_interruptible(&a->wq); /* POLLOUT */
	spin_unlock_irq(&a->lock);

	*cop = job->cop;
	result = job->result;
	if (!result && job->op.req)
		result = job->op.req->result; /* -ENODEV: the device went away */
	result = vcdev_crypt_complete(&job->op, &job->cop, result);
	vcdev_job_free(job);
	return result;
}

__poll_t vcdev_async_poll(struct file *filp, struct poll_table_struct *wait)
{
	struct vcdev_file *f = filp->private_data;
	struct vcdev_async *a = f->async;
	struct vcdev_job *job;
	__poll_t mask = 0;

	poll_wait(filp, &a->wq, wait);
	spin_lock_irq(&a->lock);
	job = list_first_entry_or_null(&a->jobs, struct vcdev_job, node);
	if (job && job->done)
		mask |= EPOLLIN | EPOLLRDNORM;
	/* room for one more job of any size: CIOCASYNCCRYPT will not EBUSY */
	if (a->nr_jobs < VCDEV_ASYNC_MAX_JOBS &&
	    a->bytes <= VCDEV_ASYNC_MAX_BYTES - VCDEV_MAX_DATA_LEN)
		mask |= EPOLLOUT | EPOLLWRNORM;
	spin_unlock_irq(&a->lock);
	return mask;
}

/*
 * The file is closed (no ioctl runs any more): jobs done are freed now;
 * jobs the device still has are freed when it returns them (or when the
 * device is removed), so nothing it may write is freed under it.
 */
void vcdev_async_release(struct vcdev_async *a)
{
	struct vcdev_job *job, *tmp;
	LIST_HEAD(done);

	if (!a)
		return;
	spin_lock_irq(&a->lock);
	list_for_each_entry_safe(job, tmp, &a->jobs, node) {
		list_del(&job->node);
		if (job->done)
			list_add_tail(&job->node, &done);
		else
			job->orphan = true;
	}
	a->nr_jobs = 0;
	a->bytes = 0;
	spin_unlock_irq(&a->lock);
	list_for_each_entry_safe(job, tmp, &done, node)
		vcdev_job_free(job);
	kref_put(&a->ref, vcdev_async_free);
}
