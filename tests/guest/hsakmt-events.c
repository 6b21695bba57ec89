// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Guest test: events through Debian's unmodified libhsakmt.
 *
 * hsaKmtCreateEvent / SetEvent / WaitOnEvent / WaitOnMultipleEvents, and
 * waits woken by the GPU: a PM4 RELEASE_MEM interrupt, an SDMA TRAP and
 * an AQL signal mailbox, each writing the event's slot (HWData2) and
 * interrupting with its id (HWData1) as ROCr arranges it.  Prints TAP.
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


static HsaEvent *new_event(bool manual)
{
	HsaEventDescriptor d = { .EventType = HSA_EVENTTYPE_SIGNAL,
				 .NodeId = gpu_node };
	HsaEvent *e = NULL;

	return hsaKmtCreateEvent(&d, manual, false, &e) == HSAKMT_STATUS_SUCCESS ?
	       e : NULL;
}




static void test_user_events(void)
{
	HsaEvent *a = new_event(false), *b = new_event(true), *both[2];

	tap_ok(a && b, "hsaKmtCreateEvent: auto and manual reset");
	if (!a || !b)
		return;
	tap_ok(hsaKmtWaitOnEvent(a, 0) == HSAKMT_STATUS_WAIT_TIMEOUT,
	       "an unset event times out");
	tap_ok(hsaKmtSetEvent(a) == HSAKMT_STATUS_SUCCESS &&
	       hsaKmtWaitOnEvent(a, 1000) == HSAKMT_STATUS_SUCCESS,
	       "hsaKmtSetEvent + hsaKmtWaitOnEvent");
	both[0] = a;
	both[1] = b;
	hsaKmtSetEvent(b);
	tap_ok(hsaKmtWaitOnMultipleEvents(both, 2, false, 1000) ==
	       HSAKMT_STATUS_SUCCESS, "hsaKmtWaitOnMultipleEvents, any");
	tap_ok(hsaKmtWaitOnMultipleEvents(both, 2, true, 50) ==
	       HSAKMT_STATUS_WAIT_TIMEOUT, "all: one is still unset");
	tap_ok(hsaKmtDestroyEvent(a) == HSAKMT_STATUS_SUCCESS &&
	       hsaKmtDestroyEvent(b) == HSAKMT_STATUS_SUCCESS,
	       "hsaKmtDestroyEvent");
}

static void test_gpu_events(void)
{
	HsaEvent *e1 = new_event(false), *e2 = new_event(false);
	HsaEvent *e3 = new_event(false);
	struct hq pm4, sdma, aql;
	uint8_t *sig;

	if (!tap_ok(e1 && e2 && e3 && hq_create(&pm4, gpu_node, HSA_QUEUE_COMPUTE) &&
		    hq_create(&sdma, gpu_node, HSA_QUEUE_SDMA) &&
		    hq_create(&aql, gpu_node, HSA_QUEUE_COMPUTE_AQL),
		    "three events and three queues"))
		return;
	{
		uint64_t slot = e1->EventData.HWData2;
		uint32_t rm[] = {
			VKFD_PM4_HDR(VKFD_PM4_OP_RELEASE_MEM, 7),
			VKFD_PM4_EVENT_EOP,
			VKFD_PM4_RM_DATA(VKFD_PM4_DATA_32) |
				VKFD_PM4_RM_INT_WRITE,
			(uint32_t)slot, slot >> 32, (uint32_t)e1->EventId, 0,
			(uint32_t)e1->EventData.HWData1,
		};

		memcpy(pm4.ring, rm, sizeof(rm));
		hq_ring(&pm4, 8, 8);
	}
	tap_ok(hsaKmtWaitOnEvent(e1, 5000) == HSAKMT_STATUS_SUCCESS,
	       "woken by a PM4 RELEASE_MEM interrupt");
	{
		uint64_t slot = e2->EventData.HWData2;
		uint32_t pkt[] = {
			VKFD_SDMA_HEADER(VKFD_SDMA_OP_FENCE, 0),
			(uint32_t)slot, slot >> 32, (uint32_t)e2->EventId,
			VKFD_SDMA_HEADER(VKFD_SDMA_OP_TRAP, 0),
			(uint32_t)e2->EventData.HWData1,
		};

		memcpy(sdma.ring, pkt, sizeof(pkt));
		hq_ring(&sdma, sizeof(pkt), sizeof(pkt));
	}
	tap_ok(hsaKmtWaitOnEvent(e2, 5000) == HSAKMT_STATUS_SUCCESS,
	       "woken by an SDMA TRAP");
	sig = gpu_memory(4096);
	if (sig) {
		uint8_t *pkt = (uint8_t *)aql.ring;

		*(int64_t *)(sig + VKFD_SIGNAL_VALUE) = 1;
		*(uint64_t *)(sig + VKFD_SIGNAL_MAILBOX) = e3->EventData.HWData2;
		*(uint32_t *)(sig + VKFD_SIGNAL_EVENT_ID) =
			(uint32_t)e3->EventData.HWData1;
		*(uint64_t *)(pkt + 56) = (uintptr_t)sig;
		__atomic_store_n((uint16_t *)pkt, VKFD_AQL_TYPE_BARRIER_AND,
				 __ATOMIC_RELEASE);
		hq_ring(&aql, 1, 0);
	}
	tap_ok(sig && hsaKmtWaitOnEvent(e3, 5000) == HSAKMT_STATUS_SUCCESS,
	       "woken by an AQL completion signal's mailbox");
	{
		/* a GPU write to unmapped memory: a memory-exception event */
		HsaEventDescriptor d = { .EventType = HSA_EVENTTYPE_MEMORY,
					 .NodeId = gpu_node };
		uint64_t bad = 0x6f0000000ULL;
		uint32_t wd[] = {
			VKFD_PM4_HDR(VKFD_PM4_OP_WRITE_DATA, 4), VKFD_PM4_WD_MEM,
			(uint32_t)bad, bad >> 32, 1,
		};
		HsaEvent *m = NULL;

		hsaKmtCreateEvent(&d, true, false, &m);
		memcpy(pm4.ring + 8, wd, sizeof(wd));
		hq_ring(&pm4, 13, 13);
		tap_ok(m && hsaKmtWaitOnEvent(m, 5000) == HSAKMT_STATUS_SUCCESS &&
		       m->EventData.EventData.MemoryAccessFault.VirtualAddress ==
		       bad, "a VM fault arrives as a memory-exception event "
		       "(VA 0x%llx)", m ? (unsigned long long)m->EventData.
		       EventData.MemoryAccessFault.VirtualAddress : 0ULL);
	}
	hsaKmtDestroyQueue(pm4.res.QueueId);
	hsaKmtDestroyQueue(sdma.res.QueueId);
	hsaKmtDestroyQueue(aql.res.QueueId);
}

int main(void)
{
	HsaSystemProperties sys;

	/* libhsakmt's libdrm_amdgpu line must not break the TAP stream */
	tap_stderr_as_comments();
	if (!tap_ok(hsaKmtOpenKFD() == HSAKMT_STATUS_SUCCESS, "hsaKmtOpenKFD") ||
	    !tap_ok(hsaKmtAcquireSystemProperties(&sys) ==
		    HSAKMT_STATUS_SUCCESS, "hsaKmtAcquireSystemProperties"))
		return tap_done();
	gpu_node = hsakmt_gpu_node(&sys);
	if (tap_ok(gpu_node, "a GPU node")) {
		test_user_events();
		test_gpu_events();
	}
	hsaKmtReleaseSystemProperties();
	tap_ok(hsaKmtCloseKFD() == HSAKMT_STATUS_SUCCESS, "hsaKmtCloseKFD");
	printf("1..%d\n", tap_count);
	return tap_done();
}
