// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Guest test: issue 12's queue and interrupt points through Debian's
 * unmodified libhsakmt.
 *
 *  - hsaKmtUpdateQueue with a NULL ring, or a percentage of 0, makes a
 *    PM4 or SDMA queue inactive; the same call with the ring makes it
 *    active again and the work written meanwhile runs.  A percentage of
 *    101 fails and changes nothing.
 *  - 2000 events, one RELEASE_MEM interrupt each in one burst (more than
 *    a 4 KiB IH ring holds: the small-ih run overflows it), all seen by
 *    hsaKmtWaitOnMultipleEvents(wait for all).
 *
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

#define NEVENTS			2000
#define BURST_RING		(64 * 1024)

static HSAuint32 gpu_node;

static bool wait_u32(volatile uint32_t *p, uint32_t want, double s)
{
	double end = now_s() + s;

	while (__atomic_load_n(p, __ATOMIC_ACQUIRE) != want && now_s() < end)
		usleep(100);
	return *p == want;
}

/* A store of v to out as the queue's packet, at ring position *pos. */
static void put_store(struct hq *q, bool sdma, uint64_t *pos,
		      volatile uint32_t *out, uint32_t v)
{
	uint64_t va = (uintptr_t)out;

	if (sdma) {
		uint32_t f[] = { VKFD_SDMA_HEADER(VKFD_SDMA_OP_FENCE, 0),
				 (uint32_t)va, va >> 32, v };

		memcpy((uint8_t *)q->ring + *pos % 4096, f, sizeof(f));
		*pos += sizeof(f);
		hq_ring(q, *pos, *pos);
	} else {
		uint32_t wd[] = { VKFD_PM4_HDR(VKFD_PM4_OP_WRITE_DATA, 4),
				  VKFD_PM4_WD_MEM, (uint32_t)va, va >> 32,
				  v };

		memcpy(q->ring + *pos % 1024, wd, sizeof(wd));
		*pos += 5;
		hq_ring(q, *pos, *pos);
	}
}

static void test_update(HSA_QUEUE_TYPE type, volatile uint32_t *out)
{
	bool sdma = type == HSA_QUEUE_SDMA;
	const char *t = sdma ? "SDMA" : "PM4";
	HSA_QUEUEID id;
	uint64_t pos = 0;
	struct hq q;

	if (!tap_ok(hq_create(&q, gpu_node, type), "%s: hsaKmtCreateQueue", t))
		return;
	id = q.res.QueueId;
	put_store(&q, sdma, &pos, out, 1);
	tap_ok(wait_u32(out, 1, 10), "%s: it runs", t);

	tap_ok(hsaKmtUpdateQueue(id, 100, HSA_QUEUE_PRIORITY_NORMAL, NULL,
				 4096, NULL) == HSAKMT_STATUS_SUCCESS,
	       "%s: hsaKmtUpdateQueue with a NULL ring", t);
	put_store(&q, sdma, &pos, out, 2);
	tap_ok(!wait_u32(out, 2, 0.3), "%s: inactive: the work waits", t);
	tap_ok(hsaKmtUpdateQueue(id, 100, HSA_QUEUE_PRIORITY_NORMAL, q.ring,
				 4096, NULL) == HSAKMT_STATUS_SUCCESS &&
	       wait_u32(out, 2, 10),
	       "%s: with its ring again it runs that work", t);

	tap_ok(hsaKmtUpdateQueue(id, 0, HSA_QUEUE_PRIORITY_NORMAL, q.ring,
				 4096, NULL) == HSAKMT_STATUS_SUCCESS,
	       "%s: hsaKmtUpdateQueue with a percentage of 0", t);
	put_store(&q, sdma, &pos, out, 3);
	tap_ok(!wait_u32(out, 3, 0.3), "%s: inactive: the work waits", t);
	tap_ok(hsaKmtUpdateQueue(id, 100, HSA_QUEUE_PRIORITY_HIGH, q.ring,
				 4096, NULL) == HSAKMT_STATUS_SUCCESS &&
	       wait_u32(out, 3, 10),
	       "%s: at 100%% again it runs that work", t);

	tap_ok(hsaKmtUpdateQueue(id, 101, HSA_QUEUE_PRIORITY_NORMAL, q.ring,
				 4096, NULL) == HSAKMT_STATUS_ERROR,
	       "%s: a percentage of 101 fails", t);
	put_store(&q, sdma, &pos, out, 4);
	tap_ok(wait_u32(out, 4, 10), "%s: and left the queue running", t);
	tap_ok(hsaKmtDestroyQueue(id) == HSAKMT_STATUS_SUCCESS,
	       "%s: hsaKmtDestroyQueue", t);
}

/* The first device's IH ring size and entries lost (debugfs "ih"). */
static bool ih_lost(unsigned int *ring, unsigned int *lost)
{
	FILE *f = fopen(VKFD_DEBUGFS "/ih", "r");
	char line[256], *p;
	bool ok = false;

	if (!f)
		return false;
	if (fgets(line, sizeof(line), f)) {
		p = strstr(line, "ring_bytes");
		ok = p && sscanf(p, "ring_bytes %u lost %u", ring, lost) == 2;
	}
	fclose(f);
	return ok;
}

static void test_burst(void)
{
	unsigned int ring_bytes = 0, lost0 = 0, lost1 = 0;
	bool ok;
	HsaEvent **ev = calloc(NEVENTS, sizeof(*ev));
	HsaEventDescriptor d = { .EventType = HSA_EVENTTYPE_SIGNAL,
				 .NodeId = gpu_node };
	uint32_t *ring = gpu_memory(BURST_RING), i, n = 0;
	uint64_t *ptrs = gpu_memory(4096);
	HsaQueueResource res = { 0 };

	if (!tap_ok(ev && ring && ptrs, "burst: memory"))
		return;
	res.Queue_read_ptr_aql = &ptrs[0];
	res.Queue_write_ptr_aql = &ptrs[1];
	if (!tap_ok(hsaKmtCreateQueue(gpu_node, HSA_QUEUE_COMPUTE, 100,
				      HSA_QUEUE_PRIORITY_NORMAL, ring,
				      BURST_RING, NULL, &res) ==
		    HSAKMT_STATUS_SUCCESS, "burst: a PM4 queue of %u KiB",
		    BURST_RING / 1024))
		return;
	for (i = 0; i < NEVENTS; i++) {
		if (hsaKmtCreateEvent(&d, false, false, &ev[i]) !=
		    HSAKMT_STATUS_SUCCESS)
			break;
	}
	if (!tap_ok(i == NEVENTS, "burst: %u events", NEVENTS))
		return;
	for (i = 0; i < NEVENTS; i++) {
		uint64_t slot = ev[i]->EventData.HWData2;
		uint32_t rm[] = {
			VKFD_PM4_HDR(VKFD_PM4_OP_RELEASE_MEM, 7),
			VKFD_PM4_EVENT_EOP,
			VKFD_PM4_RM_DATA(VKFD_PM4_DATA_32) |
				VKFD_PM4_RM_INT_WRITE,
			(uint32_t)slot, slot >> 32, (uint32_t)ev[i]->EventId, 0,
			(uint32_t)ev[i]->EventData.HWData1,
		};

		memcpy(ring + n, rm, sizeof(rm));
		n += 8;
	}
	ih_lost(&ring_bytes, &lost0);
	__atomic_store_n(res.Queue_write_ptr_aql, n, __ATOMIC_RELEASE);
	*res.Queue_DoorBell_aql = n;
	tap_ok(hsaKmtWaitOnMultipleEvents(ev, NEVENTS, true, 20000) ==
	       HSAKMT_STATUS_SUCCESS,
	       "burst: hsaKmtWaitOnMultipleEvents sees all %u signalled",
	       NEVENTS);
	ok = ih_lost(&ring_bytes, &lost1);
	tap_ok(ok && (ring_bytes > 4096 || lost1 > lost0),
	       "burst: IH ring of %u bytes, %u entries lost meanwhile",
	       ring_bytes, lost1 - lost0);
	for (i = 0; i < NEVENTS; i++)
		hsaKmtDestroyEvent(ev[i]);
	tap_ok(hsaKmtDestroyQueue(res.QueueId) == HSAKMT_STATUS_SUCCESS,
	       "burst: hsaKmtDestroyQueue");
	free(ev);
}

int main(void)
{
	HsaSystemProperties sys;
	uint32_t *mem;

	/* libhsakmt's libdrm_amdgpu line must not break the TAP stream */
	tap_stderr_as_comments();
	if (!tap_ok(hsaKmtOpenKFD() == HSAKMT_STATUS_SUCCESS, "hsaKmtOpenKFD") ||
	    !tap_ok(hsaKmtAcquireSystemProperties(&sys) ==
		    HSAKMT_STATUS_SUCCESS, "hsaKmtAcquireSystemProperties"))
		return tap_done();
	gpu_node = hsakmt_gpu_node(&sys);
	mem = gpu_memory(4096);
	if (tap_ok(gpu_node && mem, "a GPU node and result memory")) {
		test_update(HSA_QUEUE_COMPUTE, mem);
		test_update(HSA_QUEUE_SDMA, mem + 16);
		test_burst();
	}
	hsaKmtReleaseSystemProperties();
	tap_ok(hsaKmtCloseKFD() == HSAKMT_STATUS_SUCCESS, "hsaKmtCloseKFD");
	printf("1..%d\n", tap_count);
	return tap_done();
}
