// SPDX-License-Identifier: GPL-2.0
/*
 * User data on its way to the device.  Small requests are copied into
 * the request itself (inline, up to inline_max bytes) or into kernel
 * pages (bounce); larger ones pin the user's pages so the device reads
 * and writes them directly (zero copy).  Either way the device gets a
 * scatterlist covering exactly the request's bytes, never a user
 * pointer, and never a byte of kernel memory beyond them.
 */
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "vcdev.h"

/* Bounce memory comes in chunks of up to 2^VCDEV_BOUNCE_ORDER pages. */
#define VCDEV_BOUNCE_ORDER 4

/*
 * Kernel memory for @len bytes: @inl (a request's inline area, which has
 * room for VCDEV_INLINE_CAP bytes) when @len is at most inline_max, one
 * scatterlist entry and nothing allocated; else bounce pages.
 */
int vcdev_buf_bounce(struct vcdev_buf *b, unsigned int len, u8 *inl)
{
	unsigned int left = len, n = 0, max_chunks, i;
	struct scatterlist *sg;
	int ret;

	memset(b, 0, sizeof(*b));
	b->len = len;
	if (!len)
		return 0;
	if (inl && len <= vcdev_inline_max()) {
		b->inl = inl;
		sg_init_one(&b->one, inl, len);
		b->sgt.sgl = &b->one;
		b->sgt.nents = 1;
		b->sgt.orig_nents = 1;
		return 0;
	}
	max_chunks = DIV_ROUND_UP(len, PAGE_SIZE);
	b->pages = kcalloc(max_chunks, sizeof(*b->pages), GFP_KERNEL);
	b->orders = kcalloc(max_chunks, sizeof(*b->orders), GFP_KERNEL);
	if (!b->pages || !b->orders) {
		ret = -ENOMEM;
		goto err_free;
	}
	while (left) {
		unsigned int order = min_t(unsigned int, VCDEV_BOUNCE_ORDER, get_order(left));
		struct page *p = NULL;

		/*
		 * Large chunks only when they come easily.  Charged to the
		 * caller's memory cgroup: a process can keep many requests
		 * (async jobs) holding bounce pages.
		 */
		for (;; order--) {
			gfp_t gfp = GFP_KERNEL_ACCOUNT;

			if (order)
				gfp |= __GFP_NORETRY | __GFP_NOWARN;
			p = alloc_pages(gfp, order);
			if (p || !order)
				break;
		}
		if (!p) {
			ret = -ENOMEM;
			goto err_free;
		}
		b->pages[n] = p;
		b->orders[n] = order;
		n++;
		left -= min_t(unsigned int, left, PAGE_SIZE << order);
	}
	b->nr_pages = n;

	ret = sg_alloc_table(&b->sgt, n, GFP_KERNEL);
	if (ret)
		goto err_free;
	left = len;
	for_each_sg(b->sgt.sgl, sg, n, i)
	{
		unsigned int seg = min_t(unsigned int, left, PAGE_SIZE << b->orders[i]);

		sg_set_page(sg, b->pages[i], seg, 0);
		left -= seg;
	}
	return 0;

err_free:
	b->nr_pages = n;
	vcdev_buf_release(b);
	return ret;
}

int vcdev_buf_pin(struct vcdev_buf *b, unsigned long uaddr, unsigned int len, bool writable)
{
	unsigned int off = offset_in_page(uaddr);
	unsigned int n = DIV_ROUND_UP(off + len, PAGE_SIZE);
	int got, ret;

	memset(b, 0, sizeof(*b));
	b->len = len;
	if (!len)
		return 0;
	b->pages = kvcalloc(n, sizeof(*b->pages), GFP_KERNEL);
	if (!b->pages)
		return -ENOMEM;
	b->pinned = true;
	b->writable = writable;
	got = pin_user_pages_fast(uaddr & PAGE_MASK, n, writable ? FOLL_WRITE : 0, b->pages);
	if (got < 0) {
		ret = got == -ENOMEM ? -ENOMEM : -EFAULT;
		goto err_free;
	}
	b->nr_pages = got;
	if ((unsigned int)got != n) {
		ret = -EFAULT;
		goto err_free;
	}
	ret = sg_alloc_table_from_pages(&b->sgt, b->pages, n, off, len, GFP_KERNEL);
	if (ret)
		goto err_free;
	return 0;

err_free:
	vcdev_buf_release(b);
	return ret;
}

void vcdev_buf_release(struct vcdev_buf *b)
{
	unsigned int i, left = b->len;

	if (b->inl) {
		/* user data or results; the request's memory stays all-zero */
		memzero_explicit(b->inl, b->len);
		memset(b, 0, sizeof(*b));
		return;
	}
	if (b->sgt.sgl)
		sg_free_table(&b->sgt);
	if (b->pinned) {
		if (b->nr_pages)
			unpin_user_pages_dirty_lock(b->pages, b->nr_pages, b->writable);
		kvfree(b->pages);
	} else if (b->pages) {
		/*
		 * Bounce pages held user data or results: wipe.  Only the
		 * first len bytes were ever written (copy_in, the device
		 * through a scatterlist of exactly len bytes).
		 */
		for (i = 0; i < b->nr_pages; i++) {
			unsigned int seg = min_t(unsigned int, left, PAGE_SIZE << b->orders[i]);

			memzero_explicit(page_address(b->pages[i]), seg);
			left -= seg;
			__free_pages(b->pages[i], b->orders[i]);
		}
		kfree(b->pages);
		kfree(b->orders);
	}
	memset(b, 0, sizeof(*b));
}

/*
 * Bounce buffers only: fill the first @n bytes from user memory and zero
 * the rest (padding the device sees must not be stale kernel memory).
 */
int vcdev_buf_copy_in(struct vcdev_buf *b, const u8 __user *src, unsigned int n)
{
	unsigned int i, done = 0;

	if (b->inl) {
		n = min(n, b->len);
		if (copy_from_user(b->inl, src, n))
			return -EFAULT;
		memset(b->inl + n, 0, b->len - n);
		return 0;
	}
	for (i = 0; i < b->nr_pages && done < b->len; i++) {
		unsigned int seg = min_t(unsigned int, b->len - done, PAGE_SIZE << b->orders[i]);
		unsigned int from_user = done < n ? min(seg, n - done) : 0;
		u8 *va = page_address(b->pages[i]);

		if (from_user && copy_from_user(va, src + done, from_user))
			return -EFAULT;
		if (from_user < seg)
			memset(va + from_user, 0, seg - from_user);
		done += seg;
	}
	return 0;
}

/* Bounce buffers only: the first @n bytes to user memory. */
int vcdev_buf_copy_out(struct vcdev_buf *b, u8 __user *dst, unsigned int n)
{
	unsigned int i, done = 0;

	if (b->inl)
		return copy_to_user(dst, b->inl, min(n, b->len)) ? -EFAULT : 0;
	for (i = 0; i < b->nr_pages && done < n; i++) {
		unsigned int seg = min_t(unsigned int, n - done, PAGE_SIZE << b->orders[i]);

		if (copy_to_user(dst + done, page_address(b->pages[i]), seg))
			return -EFAULT;
		done += seg;
	}
	return 0;
}

/* Copy @n bytes at offset @off of the buffer's data to @out. */
void vcdev_buf_tail(struct vcdev_buf *b, unsigned int off, u8 *out, unsigned int n)
{
	if (b->inl) {
		if (off < b->len)
			memcpy(out, b->inl + off, min(n, b->len - off));
		return;
	}
	sg_pcopy_to_buffer(b->sgt.sgl, b->sgt.orig_nents, out, n, off);
}

/*
 * CRYPTO_NULL: @len bytes from user @src to user @dst through a kernel
 * page, as ecb(cipher_null) leaves them.  In place (@dst == @src) only
 * checks that the bytes can be read and written, as pinning them for the
 * cipher would.  Killable; no device is involved.
 */
int vcdev_user_copy(u8 __user *dst, const u8 __user *src, unsigned int len)
{
	unsigned int done = 0, n;
	u8 *page;
	int ret = 0;

	if (!len)
		return 0;
	if (dst == src) {
		/* non-destructive: faults the pages in for writing, as pinning would */
		if (!access_ok(dst, len) || fault_in_safe_writeable((const char __user *)dst, len))
			return -EFAULT;
		return 0;
	}
	page = (u8 *)__get_free_page(GFP_KERNEL);
	if (!page)
		return -ENOMEM;
	while (done < len) {
		n = min_t(unsigned int, len - done, PAGE_SIZE);
		if (copy_from_user(page, src + done, n) || copy_to_user(dst + done, page, n)) {
			ret = -EFAULT;
			break;
		}
		done += n;
		if (fatal_signal_pending(current)) {
			ret = -EINTR;
			break;
		}
		cond_resched();
	}
	memzero_explicit(page, PAGE_SIZE);
	free_page((unsigned long)page);
	return ret;
}
