// SPDX-License-Identifier: MIT
/* vcryptod split-ring handling: chain walking (loops, indirect, range, direction), notification rules. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "virtq.h"

#define GPA 0x10000ull
#define UVA 0x70000000ull
#define RAM 65536
#define NUM 8
#define DESC (GPA + 0x0)
#define AVAIL (GPA + 0x100)
#define USED (GPA + 0x200)
#define IND (GPA + 0x400)
#define DATA (GPA + 0x1000)

static uint8_t ram[RAM] __attribute__((aligned(4096)));
static struct vcd_mem mem;
static struct vcd_chain *chain;

static struct vring_desc *desc_at(uint64_t gpa)
{
	return (struct vring_desc *)(ram + (gpa - GPA));
}

static void set_desc(uint64_t table, unsigned int i, uint64_t addr, uint32_t len, uint16_t flags,
		     uint16_t next)
{
	desc_at(table)[i] = (struct vring_desc){addr, len, flags, next};
}

static int setup(void **state)
{
	memset(ram, 0, sizeof(ram));
	memset(&mem, 0, sizeof(mem));
	assert_int_equal(vcd_mem_add(&mem, GPA, RAM, UVA, ram), 0);
	chain = calloc(1, sizeof(*chain));
	return chain ? 0 : -1;
}

static int teardown(void **state)
{
	free(chain);
	return 0;
}

static int walk(uint16_t head)
{
	return vcd_chain_walk(&mem, desc_at(DESC), NUM, head, chain);
}

static void simple_chain(void **state)
{
	set_desc(DESC, 0, DATA, 72, VRING_DESC_F_NEXT, 3);
	set_desc(DESC, 3, DATA + 100, 16, VRING_DESC_F_NEXT, 5);
	set_desc(DESC, 5, DATA + 200, 32, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 6);
	set_desc(DESC, 6, DATA + 300, 1, VRING_DESC_F_WRITE, 0);
	assert_int_equal(walk(0), 0);
	assert_int_equal(chain->nin, 2);
	assert_int_equal(chain->nout, 2);
	assert_int_equal(chain->in_len, 88);
	assert_int_equal(chain->out_len, 33);
	assert_ptr_equal(chain->segs[1].p, ram + 0x1000 + 100);
	assert_ptr_equal(chain->segs[3].p, ram + 0x1000 + 300);
}

static void loops_are_refused(void **state)
{
	set_desc(DESC, 0, DATA, 8, VRING_DESC_F_NEXT, 1);
	set_desc(DESC, 1, DATA, 8, VRING_DESC_F_NEXT, 0);
	assert_int_equal(walk(0), -ELOOP);
	set_desc(DESC, 2, DATA, 8, VRING_DESC_F_NEXT, 2); /* self loop */
	assert_int_equal(walk(2), -ELOOP);
}

static void bad_indices(void **state)
{
	assert_int_equal(walk(NUM), -EINVAL); /* head out of range */
	set_desc(DESC, 0, DATA, 8, VRING_DESC_F_NEXT, NUM);
	assert_int_equal(walk(0), -EINVAL);
	set_desc(DESC, 0, DATA, 8, VRING_DESC_F_NEXT, 0xffff);
	assert_int_equal(walk(0), -EINVAL);
}

static void out_of_range(void **state)
{
	set_desc(DESC, 0, 0x1000, 8, 0, 0); /* below the region */
	assert_int_equal(walk(0), -EFAULT);
	set_desc(DESC, 0, GPA + RAM - 4, 8, 0, 0); /* runs off the end */
	assert_int_equal(walk(0), -EFAULT);
	set_desc(DESC, 0, UINT64_MAX - 3, 8, 0, 0); /* address + length wraps */
	assert_int_equal(walk(0), -EFAULT);
	set_desc(DESC, 0, GPA + RAM, 1, 0, 0); /* one past the end */
	assert_int_equal(walk(0), -EFAULT);
}

static void total_length_capped(void **state)
{
	/* each descriptor valid, the sum too big: would need 4 GiB of RAM */
	struct vcd_mem big = {0};
	static uint8_t dummy[4096];

	assert_int_equal(vcd_mem_add(&big, GPA, RAM, UVA, ram), 0);
	/* A fake huge region: never touched because the walk stops first. */
	assert_int_equal(vcd_mem_add(&big, 1ull << 40, 1ull << 33, 0, dummy), 0);
	for (unsigned int i = 0; i < 4; i++)
		set_desc(DESC, i, 1ull << 40, 0x80000000u, VRING_DESC_F_NEXT, i + 1);
	set_desc(DESC, 4, DATA, 1, VRING_DESC_F_WRITE, 0);
	assert_int_equal(vcd_chain_walk(&big, desc_at(DESC), NUM, 0, chain), -E2BIG);
}

static void wrong_direction(void **state)
{
	set_desc(DESC, 0, DATA, 8, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 1);
	set_desc(DESC, 1, DATA, 8, VRING_DESC_F_NEXT, 2); /* readable after writable */
	set_desc(DESC, 2, DATA, 1, VRING_DESC_F_WRITE, 0);
	assert_int_equal(walk(0), -EPROTO);
}

static void indirect_ok(void **state)
{
	set_desc(IND, 0, DATA, 72, VRING_DESC_F_NEXT, 1);
	set_desc(IND, 1, DATA + 100, 64, VRING_DESC_F_NEXT, 2);
	set_desc(IND, 2, DATA + 200, 64, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 3);
	set_desc(IND, 3, DATA + 300, 1, VRING_DESC_F_WRITE, 0);
	set_desc(DESC, 4, IND, 4 * 16, VRING_DESC_F_INDIRECT, 0);
	assert_int_equal(walk(4), 0);
	assert_int_equal(chain->nin, 2);
	assert_int_equal(chain->nout, 2);
	assert_int_equal(chain->in_len, 136);
	assert_int_equal(chain->out_len, 65);
	assert_int_equal(chain->head, 4);
}

static void indirect_bad(void **state)
{
	set_desc(IND, 0, DATA, 8, 0, 0);
	/* INDIRECT together with NEXT */
	set_desc(DESC, 0, IND, 16, VRING_DESC_F_INDIRECT | VRING_DESC_F_NEXT, 1);
	assert_int_equal(walk(0), -EINVAL);
	/* length not a multiple of a descriptor */
	set_desc(DESC, 0, IND, 20, VRING_DESC_F_INDIRECT, 0);
	assert_int_equal(walk(0), -EINVAL);
	/* empty table */
	set_desc(DESC, 0, IND, 0, VRING_DESC_F_INDIRECT, 0);
	assert_int_equal(walk(0), -EINVAL);
	/* table outside guest memory */
	set_desc(DESC, 0, GPA + RAM - 16, 32, VRING_DESC_F_INDIRECT, 0);
	assert_int_equal(walk(0), -EFAULT);
	/* nested indirect */
	set_desc(IND, 0, IND + 64, 16, VRING_DESC_F_INDIRECT, 0);
	set_desc(DESC, 0, IND, 16, VRING_DESC_F_INDIRECT, 0);
	assert_int_equal(walk(0), -EINVAL);
	/* loop inside the table */
	set_desc(IND, 0, DATA, 8, VRING_DESC_F_NEXT, 1);
	set_desc(IND, 1, DATA, 8, VRING_DESC_F_NEXT, 0);
	set_desc(DESC, 0, IND, 32, VRING_DESC_F_INDIRECT, 0);
	assert_int_equal(walk(0), -ELOOP);
	/* next beyond the table */
	set_desc(IND, 1, DATA, 8, VRING_DESC_F_NEXT, 2);
	assert_int_equal(walk(0), -EINVAL);
}

static void split_across_regions(void **state)
{
	static uint8_t second[4096];
	struct vcd_mem two = mem;

	assert_int_equal(vcd_mem_add(&two, GPA + RAM, sizeof(second), 0, second), 0);
	set_desc(DESC, 0, GPA + RAM - 10, 30, 0, 0);
	assert_int_equal(vcd_chain_walk(&two, desc_at(DESC), NUM, 0, chain), 0);
	assert_int_equal(chain->nin, 2);
	assert_int_equal(chain->segs[0].len, 10);
	assert_ptr_equal(chain->segs[1].p, second);
	assert_int_equal(chain->segs[1].len, 20);
}

static void read_write_gather(void **state)
{
	uint8_t buf[16], out[8] = "ABCDEFG";

	memcpy(ram + 0x1000, "0123", 4);
	memcpy(ram + 0x1100, "456789abcdef", 12);
	set_desc(DESC, 0, DATA, 4, VRING_DESC_F_NEXT, 1);
	set_desc(DESC, 1, DATA + 0x100, 12, VRING_DESC_F_NEXT, 2);
	set_desc(DESC, 2, DATA + 0x200, 3, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 3);
	set_desc(DESC, 3, DATA + 0x300, 5, VRING_DESC_F_WRITE, 0);
	assert_int_equal(walk(0), 0);
	assert_int_equal(vcd_chain_read(chain, buf, 16), 16);
	assert_memory_equal(buf, "0123456789abcdef", 16);
	assert_int_equal(vcd_chain_write(chain, out, 6), 6);
	assert_memory_equal(ram + 0x1200, "ABC", 3);
	assert_memory_equal(ram + 0x1300, "DEF\0", 4); /* nothing beyond 6 */
}

static void ring_setup_checks(void **state)
{
	struct vcd_vq vq;

	assert_int_equal(vcd_vq_setup(&vq, &mem, 6, UVA, UVA + 0x100, UVA + 0x200, 0), -EINVAL);
	assert_int_equal(vcd_vq_setup(&vq, &mem, 0, UVA, UVA + 0x100, UVA + 0x200, 0), -EINVAL);
	assert_int_equal(vcd_vq_setup(&vq, &mem, 65536, UVA, UVA + 0x100, UVA + 0x200, 0), -EINVAL);
	assert_int_equal(vcd_vq_setup(&vq, &mem, 8, UVA + 8, UVA + 0x100, UVA + 0x200, 0), -EINVAL);
	assert_int_equal(vcd_vq_setup(&vq, &mem, 8, UVA, UVA + 0x101, UVA + 0x200, 0), -EINVAL);
	assert_int_equal(vcd_vq_setup(&vq, &mem, 8, UVA, UVA + 0x100, UVA + 0x202, 0), -EINVAL);
	/* used ring would run off the region */
	assert_int_equal(vcd_vq_setup(&vq, &mem, 8, UVA, UVA + 0x100, UVA + RAM - 8, 0), -EFAULT);
	assert_int_equal(vcd_vq_setup(&vq, &mem, 8, GPA, GPA + 0x100, GPA + 0x200, 0), -EFAULT);
	assert_int_equal(vcd_vq_setup(&vq, &mem, 8, UVA, UVA + 0x100, UVA + 0x200, 0), 0);
}

static void pop_push_publish(void **state)
{
	struct vcd_vq vq;
	struct vring_avail *avail = (void *)(ram + 0x100);
	struct vring_used *used = (void *)(ram + 0x200);

	assert_int_equal(vcd_vq_setup(&vq, &mem, NUM, UVA, UVA + 0x100, UVA + 0x200, 0), 0);
	assert_int_equal(vcd_vq_pop(&vq, &mem, chain), 0); /* empty */
	set_desc(DESC, 2, DATA, 72, VRING_DESC_F_NEXT, 3);
	set_desc(DESC, 3, DATA + 100, 1, VRING_DESC_F_WRITE, 0);
	avail->ring[0] = 2;
	avail->idx = 1;
	assert_int_equal(vcd_vq_pop(&vq, &mem, chain), 1);
	assert_int_equal(chain->head, 2);
	vcd_vq_push(&vq, 2, 1);
	assert_false(vcd_vq_publish(&vq));
	assert_int_equal(used->idx, 1);
	assert_int_equal(used->ring[0].id, 2);
	assert_int_equal(used->ring[0].len, 1);
	/* avail_event follows what was consumed (EVENT_IDX drivers need it) */
	assert_int_equal(*(uint16_t *)&used->ring[NUM], 1);
	/* head out of range is a broken ring */
	avail->ring[1] = NUM + 1;
	avail->idx = 2;
	assert_int_equal(vcd_vq_pop(&vq, &mem, chain), -EINVAL);
	/* the guest claims more entries than the ring has */
	avail->idx = vq.last_avail + NUM + 1;
	assert_int_equal(vcd_vq_pop(&vq, &mem, chain), -EOVERFLOW);
}

/* One request served and published; the interrupt decision for it. */
static bool complete_one(struct vcd_vq *vq, struct vring_avail *avail)
{
	set_desc(DESC, 0, DATA, 72, VRING_DESC_F_NEXT, 1);
	set_desc(DESC, 1, DATA + 100, 1, VRING_DESC_F_WRITE, 0);
	avail->ring[avail->idx % NUM] = 0;
	avail->idx++;
	assert_int_equal(vcd_vq_pop(vq, &mem, chain), 1);
	vcd_vq_push(vq, 0, 1);
	vcd_vq_publish(vq);
	return vcd_vq_need_signal(vq);
}

/*
 * Interrupt rules (virtio 1.2, 2.7.7 and 2.7.10): with EVENT_IDX, interrupt
 * when the used index moves past used_event (avail->ring[num]); without it,
 * unless avail->flags has VRING_AVAIL_F_NO_INTERRUPT; negotiation unknown:
 * when either asks. Expected values worked out by hand from the spec text.
 */
static void interrupt_rules(void **state)
{
	struct vcd_vq vq;
	struct vring_avail *avail = (void *)(ram + 0x100);
	uint16_t *used_event = &avail->ring[NUM];

	assert_int_equal(vcd_vq_setup(&vq, &mem, NUM, UVA, UVA + 0x100, UVA + 0x200, 0), 0);
	vq.evidx = VCD_EVIDX_ON;
	assert_true(complete_one(&vq, avail)); /* first decision: nothing to compare */
	*used_event = 0; /* Linux's "callbacks off"; used goes 1 -> 2 */
	assert_false(complete_one(&vq, avail));
	*used_event = 2; /* "interrupt me once entry 2 is used"; 2 -> 3 */
	assert_true(complete_one(&vq, avail));
	*used_event = 5; /* 3 -> 4 has not reached it */
	assert_false(complete_one(&vq, avail));
	*used_event = 4; /* 4 -> 5 passes it */
	avail->flags = VRING_AVAIL_F_NO_INTERRUPT; /* ignored with EVENT_IDX */
	assert_true(complete_one(&vq, avail));

	vq.evidx = VCD_EVIDX_OFF; /* used_event ignored now */
	*used_event = 5; /* 5 -> 6 would cross it */
	assert_false(complete_one(&vq, avail));
	avail->flags = 0;
	*used_event = 0;
	assert_true(complete_one(&vq, avail));

	vq.evidx = VCD_EVIDX_UNKNOWN;
	*used_event = 0;
	assert_true(complete_one(&vq, avail)); /* flags ask */
	avail->flags = VRING_AVAIL_F_NO_INTERRUPT;
	assert_false(complete_one(&vq, avail)); /* neither asks (used 8 -> 9) */
	*used_event = 9;
	assert_true(complete_one(&vq, avail)); /* used_event asks (9 -> 10) */
}

/* Kicks off while polling: NO_NOTIFY and avail_event far ahead; on again + recheck. */
static void kick_suppression(void **state)
{
	struct vcd_vq vq;
	struct vring_avail *avail = (void *)(ram + 0x100);
	struct vring_used *used = (void *)(ram + 0x200);
	uint16_t *avail_event = (uint16_t *)&used->ring[NUM];

	assert_int_equal(vcd_vq_setup(&vq, &mem, NUM, UVA, UVA + 0x100, UVA + 0x200, 0), 0);
	complete_one(&vq, avail);
	assert_int_equal(*avail_event, 1);
	assert_int_equal(used->flags, 0);
	assert_false(vcd_vq_set_kicks(&vq, false));
	assert_int_equal(used->flags, VRING_USED_F_NO_NOTIFY);
	/* a driver with EVENT_IDX adding entry 1 (old 1, new 2) must not kick */
	assert_false(vring_need_event(*avail_event, 2, 1));
	complete_one(&vq, avail); /* avail_event stays ahead while polling */
	assert_false(vring_need_event(*avail_event, 3, 2));
	assert_false(vring_need_event(*avail_event, 2 + NUM, 2));
	assert_false(vcd_vq_set_kicks(&vq, true)); /* ring empty */
	assert_int_equal(used->flags, 0);
	assert_int_equal(*avail_event, 2);
	assert_true(vring_need_event(*avail_event, 3, 2));
	/* a request that came before kicks were on is reported, not slept on */
	assert_false(vcd_vq_set_kicks(&vq, false));
	avail->idx++;
	assert_true(vcd_vq_set_kicks(&vq, true));
	/* with EVENT_IDX known, used->flags stay 0 (the spec wants that) */
	vq.evidx = VCD_EVIDX_ON;
	vcd_vq_set_kicks(&vq, false);
	assert_int_equal(used->flags, 0);
	assert_int_equal(*avail_event, (uint16_t)(2 + 0x8000));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(simple_chain, setup, teardown),
		cmocka_unit_test_setup_teardown(loops_are_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(bad_indices, setup, teardown),
		cmocka_unit_test_setup_teardown(out_of_range, setup, teardown),
		cmocka_unit_test_setup_teardown(total_length_capped, setup, teardown),
		cmocka_unit_test_setup_teardown(wrong_direction, setup, teardown),
		cmocka_unit_test_setup_teardown(indirect_ok, setup, teardown),
		cmocka_unit_test_setup_teardown(indirect_bad, setup, teardown),
		cmocka_unit_test_setup_teardown(split_across_regions, setup, teardown),
		cmocka_unit_test_setup_teardown(read_write_gather, setup, teardown),
		cmocka_unit_test_setup_teardown(ring_setup_checks, setup, teardown),
		cmocka_unit_test_setup_teardown(pop_push_publish, setup, teardown),
		cmocka_unit_test_setup_teardown(interrupt_rules, setup, teardown),
		cmocka_unit_test_setup_teardown(kick_suppression, setup, teardown),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests_name("vcryptod virtqueue", tests, NULL, NULL);
}
