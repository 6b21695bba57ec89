// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Guest test: queues through Debian's unmodified libhsakmt.
 *
 * hsaKmtCreateQueue makes a PM4, an SDMA and an AQL queue (libhsakmt
 * allocates the doorbell, EOP and CWSR buffers itself); we write real
 * packets into the rings, bump the write pointers, ring the doorbells
 * libhsakmt mapped, check the results in memory and hsaKmtDestroyQueue.
 * Prints TAP.
 */
#define _GNU_SOURCE
#include <hsakmt.h>
#include <stdint.h>

#include "hw/kfd/vkfd_hw.h"
#include "tap.h"
#include "kfd-util.h"
#include "tap-stderr.h"
#include "hsakmt-util.h"


static HSAuint32 gpu_node;


static bool wait_u64(volatile uint64_t *p, uint64_t want)
{
	double end = now_s() + 10;

	while (__atomic_load_n(p, __ATOMIC_ACQUIRE) != want && now_s() < end)
		usleep(100);
	return *p == want;
}

static bool wait_u32(volatile uint32_t *p, uint32_t want)
{
	double end = now_s() + 10;

	while (__atomic_load_n(p, __ATOMIC_ACQUIRE) != want && now_s() < end)
		usleep(100);
	return *p == want;
}


static bool make_queue(struct hq *q, HSA_QUEUE_TYPE type, const char *what)
{
	return tap_ok(hq_create(q, gpu_node, type), "hsaKmtCreateQueue: %s",
		      what);
}


static void test_pm4(uint32_t *out)
{
	uint64_t va = (uintptr_t)out;
	struct hq q;
	uint32_t pkt[] = {
		VKFD_PM4_HDR(VKFD_PM4_OP_WRITE_DATA, 4), VKFD_PM4_WD_MEM,
		(uint32_t)va, va >> 32, 0xa11ce,
	};

	if (!make_queue(&q, HSA_QUEUE_COMPUTE, "PM4 compute"))
		return;
	memcpy(q.ring, pkt, sizeof(pkt));
	hq_ring(&q, 5, 5);
	tap_ok(wait_u32(out, 0xa11ce), "PM4 WRITE_DATA through libhsakmt's "
	       "doorbell");
	tap_ok(hsaKmtDestroyQueue(q.res.QueueId) == HSAKMT_STATUS_SUCCESS,
	       "hsaKmtDestroyQueue");
}

static void test_sdma(uint32_t *buf)
{
	uint64_t src = (uintptr_t)buf, dst = src + 2048;
	struct hq q;
	uint32_t pkt[12] = {
		VKFD_SDMA_HEADER(VKFD_SDMA_OP_CONST_FILL, 0) |
			VKFD_SDMA_FILL_DWORD,
		(uint32_t)src, src >> 32, 0x12345678, 1024 - 1,
		VKFD_SDMA_HEADER(VKFD_SDMA_OP_COPY, 0), 1024 - 1, 0,
		(uint32_t)src, src >> 32, (uint32_t)dst, dst >> 32,
	};

	if (!make_queue(&q, HSA_QUEUE_SDMA, "SDMA"))
		return;
	memcpy(q.ring, pkt, sizeof(pkt));
	hq_ring(&q, sizeof(pkt), sizeof(pkt));
	tap_ok(wait_u64(q.res.Queue_read_ptr_aql, sizeof(pkt)) &&
	       buf[512] == 0x12345678 && buf[512 + 255] == 0x12345678,
	       "SDMA CONSTANT_FILL + COPY_LINEAR");
	tap_ok(hsaKmtDestroyQueue(q.res.QueueId) == HSAKMT_STATUS_SUCCESS,
	       "hsaKmtDestroyQueue");
}

static void test_aql(uint8_t *mem)
{
	struct vkfd_kernel_desc *kd = (void *)mem;
	struct vkfd_kernarg_add *ka = (void *)(mem + 256);
	uint32_t *a = (void *)(mem + 1024), *b = a + 64, *c = b + 64;
	int64_t *signal_value = (void *)(mem + 512 + VKFD_SIGNAL_VALUE);
	uint8_t *pkt;
	struct hq q;
	bool ok = true;
	int i;

	if (!make_queue(&q, HSA_QUEUE_COMPUTE_AQL, "AQL"))
		return;
	kd->magic = VKFD_KERNEL_MAGIC;
	kd->id = VKFD_KERNEL_ADD;
	for (i = 0; i < 64; i++) {
		a[i] = i;
		b[i] = 1000 * i;
	}
	ka->dst = (uintptr_t)c;
	ka->a = (uintptr_t)a;
	ka->b = (uintptr_t)b;
	ka->n = 64;
	*signal_value = 1;

	pkt = (uint8_t *)q.ring;
	*(uint16_t *)(pkt + 2) = 1;
	*(uint16_t *)(pkt + 4) = 64;
	*(uint16_t *)(pkt + 6) = 1;
	*(uint16_t *)(pkt + 8) = 1;
	*(uint32_t *)(pkt + 12) = 64;
	*(uint32_t *)(pkt + 16) = 1;
	*(uint32_t *)(pkt + 20) = 1;
	*(uint64_t *)(pkt + 32) = (uintptr_t)kd;
	*(uint64_t *)(pkt + 40) = (uintptr_t)ka;
	*(uint64_t *)(pkt + 56) = (uintptr_t)(mem + 512);
	__atomic_store_n((uint16_t *)pkt, VKFD_AQL_TYPE_KERNEL,
			 __ATOMIC_RELEASE);
	hq_ring(&q, 1, 0);
	tap_ok(wait_u64((volatile uint64_t *)signal_value, 0),
	       "AQL dispatch of the built-in add kernel completed its signal");
	for (i = 0; i < 64; i++)
		ok &= c[i] == (uint32_t)(1001 * i);
	tap_ok(ok, "c = a + b over 64 work-items");
	tap_ok(hsaKmtDestroyQueue(q.res.QueueId) == HSAKMT_STATUS_SUCCESS,
	       "hsaKmtDestroyQueue");
}

int main(void)
{
	HsaSystemProperties sys;
	uint8_t *mem;

	/* libhsakmt's libdrm_amdgpu line must not break the TAP stream */
	tap_stderr_as_comments();
	if (!tap_ok(hsaKmtOpenKFD() == HSAKMT_STATUS_SUCCESS, "hsaKmtOpenKFD") ||
	    !tap_ok(hsaKmtAcquireSystemProperties(&sys) ==
		    HSAKMT_STATUS_SUCCESS, "hsaKmtAcquireSystemProperties"))
		return tap_done();
	gpu_node = hsakmt_gpu_node(&sys);
	mem = gpu_memory(1 << 16);
	if (tap_ok(gpu_node && mem, "a GPU node and result memory")) {
		test_pm4((uint32_t *)mem);
		test_sdma((uint32_t *)(mem + 4096));
		test_aql(mem + 16384);
	}
	hsaKmtReleaseSystemProperties();
	tap_ok(hsaKmtCloseKFD() == HSAKMT_STATUS_SUCCESS, "hsaKmtCloseKFD");
	printf("1..%d\n", tap_count);
	return tap_done();
}
