/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Helpers for guest programs that drive user queues by hand: a queue with
 * its ring, pointers and data area mapped for the CPU, packet emission in
 * the queue's units, doorbells, and waiting for results in memory.
 */
#ifndef VKFD_KFD_QUEUE_UTIL_H
#define VKFD_KFD_QUEUE_UTIL_H

#include <stdint.h>
#include <sys/mman.h>

#include "hw/kfd/vkfd_hw.h"
#include "kfd-util.h"

/* PM4 type-3 packets (GFX9): header, then count + 1 dwords */



/* A queue with its ring, pointers and a data area, all CPU-mapped. */
struct q {
	int kfd, drm;
	uint64_t base_va;		/* ring at base, ptrs +64K, data +128K */
	uint32_t *ring;
	volatile uint64_t *ptrs;	/* [0] rptr, [1] wptr */
	volatile uint8_t *data;
	volatile uint64_t *doorbell;
	void *eop_cpu, *db_page;
	uint32_t ring_size, type, id;
	uint32_t data_size;		/* bytes of the data area */
	uint64_t wptr;			/* in the queue's units */
};

#define DATA_SIZE	(1u << 20)

static inline void *bo_cpu(const struct vkfd_gpu *gpu, struct q *q, uint64_t va, uint64_t size, unsigned int f)
{
	unsigned int ids[1] = { gpu->gpu_id }, n = 0;
	uint64_t h, off = 0;
	void *p;

	if (alloc_bo(q->kfd, gpu->gpu_id, va, size, f | F_RW, &h, &off) ||
	    map_bo(q->kfd, h, ids, 1, true, &n))
		return NULL;
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, q->drm, off);
	return p == MAP_FAILED ? NULL : p;
}

/* Map the doorbell page of a queue CREATE_QUEUE made; 0 or -1. */
static inline int queue_map_doorbell(struct q *q, uint64_t doorbell_offset)
{
	void *db = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, q->kfd,
			doorbell_offset & ~8191ULL);

	if (db == MAP_FAILED)
		return -1;
	q->db_page = db;
	q->doorbell = (volatile uint64_t *)((char *)db +
					    (doorbell_offset & 8191));
	return 0;
}

/* A queue of the given type with a data area of data_size bytes. */
static inline int queue_open_sized(const struct vkfd_gpu *gpu, struct q *q,
				   int kfd, int drm, uint64_t base_va,
				   uint32_t type, uint32_t data_size)
{
	struct kfd_ioctl_create_queue_args a = { 0 };
	uint64_t eop;

	memset(q, 0, sizeof(*q));
	q->kfd = kfd;
	q->drm = drm;
	q->base_va = base_va;
	q->ring_size = 4096;
	q->type = type;
	q->data_size = data_size;
	q->ring = bo_cpu(gpu, q, base_va, 4096, F_GTT);
	q->ptrs = bo_cpu(gpu, q, base_va + 0x10000, 4096, F_GTT);
	q->data = bo_cpu(gpu, q, base_va + 0x20000, data_size, F_GTT);
	eop = base_va + 0x200000;
	q->eop_cpu = bo_cpu(gpu, q, eop, 4096, F_VRAM);
	if (!q->ring || !q->ptrs || !q->data || !q->eop_cpu)
		return -1;
	a.ring_base_address = base_va;
	a.read_pointer_address = base_va + 0x10000;
	a.write_pointer_address = base_va + 0x10008;
	a.ring_size = q->ring_size;
	a.gpu_id = gpu->gpu_id;
	a.queue_type = type;
	a.queue_percentage = 100;
	if (type != KFD_IOC_QUEUE_TYPE_SDMA) {
		a.eop_buffer_address = eop;
		a.eop_buffer_size = 4096;
	}
	if (ioctl(kfd, AMDKFD_IOC_CREATE_QUEUE, &a))
		return -1;
	q->id = a.queue_id;
	return queue_map_doorbell(q, a.doorbell_offset);
}

static inline int queue_open(const struct vkfd_gpu *gpu, struct q *q,
			     int kfd, int drm, uint64_t base_va, uint32_t type)
{
	return queue_open_sized(gpu, q, kfd, drm, base_va, type, DATA_SIZE);
}

static inline uint64_t data_va(struct q *q, uint32_t off)
{
	return q->base_va + 0x20000 + off;
}

/* Append dwords to the ring (PM4, SDMA); units follow the queue type. */
static inline void emit(struct q *q, const uint32_t *dw, unsigned int n)
{
	unsigned int i, ring_dw = q->ring_size / 4;
	uint64_t pos = q->type == KFD_IOC_QUEUE_TYPE_SDMA ? q->wptr / 4 : q->wptr;

	for (i = 0; i < n; i++)
		q->ring[(pos + i) % ring_dw] = dw[i];
	q->wptr += q->type == KFD_IOC_QUEUE_TYPE_SDMA ? n * 4 : n;
}

static inline void kick(struct q *q, uint64_t doorbell_value)
{
	__atomic_store_n(&q->ptrs[1], q->wptr, __ATOMIC_RELEASE);
	*q->doorbell = doorbell_value;
}

static inline bool wait_u32(volatile uint8_t *p, uint32_t want)
{
	double end = now_s() + 10;

	do {
		if (__atomic_load_n((volatile uint32_t *)p, __ATOMIC_ACQUIRE) ==
		    want)
			return true;
		usleep(100);
	} while (now_s() < end);
	return false;
}

/*
 * An SDMA queue: COPY_LINEAR of len bytes, then a FENCE writing seq at
 * data offset 0x40; waits for the fence.
 */
static inline bool sdma_copy_fenced(struct q *q, uint64_t src, uint64_t dst,
				    uint32_t len, uint32_t seq)
{
	uint64_t f = data_va(q, 0x40);
	uint32_t copy[7] = {
		VKFD_SDMA_HEADER(VKFD_SDMA_OP_COPY, 0), len - 1, 0,
		(uint32_t)src, src >> 32, (uint32_t)dst, dst >> 32,
	};
	uint32_t fence[4] = {
		VKFD_SDMA_HEADER(VKFD_SDMA_OP_FENCE, 0), (uint32_t)f, f >> 32,
		seq,
	};

	emit(q, copy, 7);
	emit(q, fence, 4);
	kick(q, q->wptr);
	return wait_u32(q->data + 0x40, seq);
}

/*
 * What the queue writes back at its read-pointer address once it has
 * consumed everything up to wptr: a PM4 queue, as the GFX9 CP, a 32-bit
 * dword offset into the ring; SDMA its 64-bit byte count; AQL its 64-bit
 * packet index.
 */
static inline bool queue_consumed(struct q *q)
{
	if (q->type == KFD_IOC_QUEUE_TYPE_COMPUTE)
		return __atomic_load_n((volatile uint32_t *)q->ptrs,
				       __ATOMIC_ACQUIRE) ==
		       q->wptr % (q->ring_size / 4);
	return __atomic_load_n(q->ptrs, __ATOMIC_ACQUIRE) == q->wptr;
}

/* Wait (up to 10 s) as kfdtest's queues do: until the rptr is wptr. */
static inline bool queue_wait_consumed(struct q *q)
{
	double end = now_s() + 10;

	do {
		if (queue_consumed(q))
			return true;
		usleep(50);
	} while (now_s() < end);
	return false;
}

/*
 * Destroy the queue and drop our CPU mappings: they hold the files (and
 * so a secondary kfd_process) open.  The BOs go with the process.
 */
static inline void queue_close(struct q *q)
{
	struct kfd_ioctl_destroy_queue_args d = { .queue_id = q->id };

	ioctl(q->kfd, AMDKFD_IOC_DESTROY_QUEUE, &d);
	munmap(q->ring, 4096);
	munmap((void *)q->ptrs, 4096);
	munmap((void *)q->data, q->data_size);
	munmap(q->eop_cpu, 4096);
	munmap(q->db_page, 8192);
}

#endif /* VKFD_KFD_QUEUE_UTIL_H */
