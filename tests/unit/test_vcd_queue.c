// SPDX-License-Identifier: MIT
/*
 * vcryptod's data-queue worker in-process: it serves a ring in modelled guest
 * memory, interrupts through the call eventfd, and stops promptly even when a
 * hostile guest refills the ring as fast as it is served.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include <linux/virtio_crypto.h>

#include "vhost_user.h"
#include "worker.h"

#define GPA 0x100000ull
#define UVA 0x7e0000000ull
#define RAM 65536
#define NUM 64

static uint8_t ram[RAM] __attribute__((aligned(4096)));
static struct vcd_engine *eng;
static struct vcd_qstats stats[2];
static volatile int flooding;
static int flood_kick;

static struct vring_avail *avail(void)
{
	return (struct vring_avail *)(ram + 0x400);
}

static struct vring_used *used(void)
{
	return (struct vring_used *)(ram + 0x800);
}

/* One request, head 0: header with an unknown session, 1-byte status. */
static void put_request(void)
{
	struct vring_desc *d = (struct vring_desc *)ram;
	struct virtio_crypto_op_data_req *h = (void *)(ram + 0x1000);

	memset(h, 0, sizeof(*h));
	h->header.opcode = VIRTIO_CRYPTO_CIPHER_ENCRYPT;
	h->header.session_id = 4242;
	d[0] = (struct vring_desc){GPA + 0x1000, sizeof(*h), VRING_DESC_F_NEXT, 1};
	d[1] = (struct vring_desc){GPA + 0x2000, 1, VRING_DESC_F_WRITE, 0};
}

static void *flood(void *arg)
{
	/* Keeps the ring full: every used entry is made available again. */
	while (flooding) {
		uint16_t u = __atomic_load_n(&used()->idx, __ATOMIC_ACQUIRE);
		uint16_t a = avail()->idx;

		if (a == (uint16_t)(u + NUM))
			continue;
		for (; a != (uint16_t)(u + NUM); a++)
			avail()->ring[a % NUM] = 0;
		__atomic_store_n(&avail()->idx, a, __ATOMIC_RELEASE);
		eventfd_write(flood_kick, 1); /* a real driver kicks too */
	}
	return NULL;
}

static void setup_dev(struct vcd_dev *d, int *kick, int *call)
{
	struct vcd_dev_conf conf = {.ops = &vcd_engine_openssl,
				    .eng = eng,
				    .max_sessions = 4,
				    .queues = 2,
				    .stats = stats};
	struct vcd_queue *q;

	memset(ram, 0, sizeof(ram));
	memset(stats, 0, sizeof(stats));
	put_request();
	assert_int_equal(vcd_dev_init(d, &conf, -1), 0);
	assert_int_equal(vcd_mem_add(&d->mem, GPA, RAM, UVA, ram), 0);
	q = &d->q[1];
	q->num = NUM;
	q->addr = (struct vcd_vu_vring_addr){1, 0, UVA, UVA + 0x800, UVA + 0x400, 0};
	q->have_addr = true;
	*kick = eventfd(0, EFD_CLOEXEC);
	*call = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	q->kick_fd = *kick;
	vcd_queue_set_call(q, *call == -1 ? -1 : dup(*call));
	assert_int_equal(vcd_queue_try_start(q), 0);
	assert_true(q->running);
}

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static void serves_and_interrupts(void **state)
{
	struct vcd_dev *d = malloc(sizeof(*d));
	struct pollfd p;
	eventfd_t v = 0;
	int kick, call;

	setup_dev(d, &kick, &call);
	avail()->ring[0] = 0;
	__atomic_store_n(&avail()->idx, 1, __ATOMIC_RELEASE);
	eventfd_write(kick, 1);
	p = (struct pollfd){.fd = call, .events = POLLIN};
	assert_int_equal(poll(&p, 1, 5000), 1);
	assert_int_equal(eventfd_read(call, &v), 0);
	assert_int_equal(used()->idx, 1);
	assert_int_equal(used()->ring[0].len, 1);
	assert_int_equal(ram[0x2000], VIRTIO_CRYPTO_INVSESS);
	/* avail_event published: the guest is asked to kick for entry 1 */
	assert_int_equal(*(uint16_t *)&used()->ring[NUM], 1);
	assert_int_equal(stats[1].status[VIRTIO_CRYPTO_INVSESS], 1);
	/* GET_VRING_BASE's stop keeps the position */
	vcd_queue_stop(&d->q[1]);
	assert_int_equal(d->q[1].base, 1);
	vcd_dev_fini(d);
	close(call);
	free(d);
}

static void stops_under_flood(void **state)
{
	struct vcd_dev *d = malloc(sizeof(*d));
	pthread_t t;
	double t0;
	int kick, call;

	setup_dev(d, &kick, &call);
	flooding = 1;
	flood_kick = kick;
	assert_int_equal(pthread_create(&t, NULL, flood, NULL), 0);
	eventfd_write(kick, 1);
	usleep(200 * 1000);
	t0 = now();
	vcd_queue_stop(&d->q[1]);
	/* stopped within a batch, not when the guest relents */
	assert_true(now() - t0 < 1.0);
	assert_false(d->q[1].running);
	flooding = 0;
	pthread_join(t, NULL);
	assert_true(stats[1].requests > 100);
	assert_int_equal(stats[1].requests, stats[1].status[VIRTIO_CRYPTO_INVSESS]);
	vcd_dev_fini(d);
	close(call);
	free(d);
}

static void broken_ring_reports(void **state)
{
	struct vcd_dev *d = malloc(sizeof(*d));
	struct pollfd p;
	int kick, call;

	setup_dev(d, &kick, &call);
	avail()->ring[0] = NUM + 3; /* head out of range */
	__atomic_store_n(&avail()->idx, 1, __ATOMIC_RELEASE);
	eventfd_write(kick, 1);
	/* the worker asks the main thread to drop the connection */
	p = (struct pollfd){.fd = d->broken_fd, .events = POLLIN};
	assert_int_equal(poll(&p, 1, 5000), 1);
	assert_int_equal(stats[1].dropped, 1);
	vcd_dev_fini(d);
	close(call);
	free(d);
}

static int setup(void **state)
{
	return vcd_engine_openssl.open(&eng);
}

static int teardown(void **state)
{
	vcd_engine_openssl.close(eng);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(serves_and_interrupts),
		cmocka_unit_test(stops_under_flood),
		cmocka_unit_test(broken_ring_reports),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests_name("vcryptod queue worker", tests, setup, teardown);
}
