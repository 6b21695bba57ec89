/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Helpers for the guest tests that drive Debian's libhsakmt: GPU-mapped
 * host memory, queues made with hsaKmtCreateQueue, and their doorbells.
 */
#ifndef VKFD_HSAKMT_UTIL_H
#define VKFD_HSAKMT_UTIL_H

#include <hsakmt.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

/* Host-visible memory the GPU can reach: rings, pointers, results. */
static inline void *gpu_memory(HSAuint64 size)
{
	HsaMemFlags f = { .Value = 0 };
	void *p = NULL;
	HSAuint64 gva;

	f.ui32.HostAccess = 1;
	f.ui32.NonPaged = 1;
	if (hsaKmtAllocMemory(0, size, f, &p) != HSAKMT_STATUS_SUCCESS ||
	    hsaKmtMapMemoryToGPU(p, size, &gva) != HSAKMT_STATUS_SUCCESS)
		return NULL;
	memset(p, 0, size);
	return p;
}

struct hq {
	uint32_t *ring;
	uint64_t *ptrs;			/* [0] rptr, [1] wptr (AQL) */
	HsaQueueResource res;
};

/* A 4 KiB-ring queue of the given type on node. */
static inline bool hq_create(struct hq *q, HSAuint32 node, HSA_QUEUE_TYPE type)
{
	memset(q, 0, sizeof(*q));
	q->ring = gpu_memory(4096);
	q->ptrs = gpu_memory(4096);
	if (!q->ring || !q->ptrs)
		return false;
	q->res.Queue_read_ptr_aql = &q->ptrs[0];
	q->res.Queue_write_ptr_aql = &q->ptrs[1];
	return hsaKmtCreateQueue(node, type, 100, HSA_QUEUE_PRIORITY_NORMAL,
				 q->ring, 4096, NULL, &q->res) ==
	       HSAKMT_STATUS_SUCCESS;
}

/*
 * For PM4 and SDMA queues libhsakmt keeps the pointers in a page of its
 * own and hands them back in the resource; for AQL they are ours.
 */
static inline void hq_ring(struct hq *q, uint64_t wptr, uint64_t doorbell)
{
	__atomic_store_n(q->res.Queue_write_ptr_aql, wptr, __ATOMIC_RELEASE);
	*q->res.Queue_DoorBell_aql = doorbell;
}

/* The first GPU node of the topology, 0 if none. */
static inline HSAuint32 hsakmt_gpu_node(const HsaSystemProperties *sys)
{
	HsaNodeProperties np;
	HSAuint32 node;

	for (node = 0; node < sys->NumNodes; node++)
		if (hsaKmtGetNodeProperties(node, &np) ==
		    HSAKMT_STATUS_SUCCESS && np.NumFComputeCores)
			return node;
	return 0;
}

#endif /* VKFD_HSAKMT_UTIL_H */
