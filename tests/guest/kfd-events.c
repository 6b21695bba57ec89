// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Guest test: events.  CREATE/DESTROY/SET/RESET/WAIT_EVENTS with amdkfd's
 * rules (slots, limits, auto-reset, ages, timeouts, signals, destroy while
 * waiting), the events page, and events the GPU signals through the IH
 * ring: PM4 RELEASE_MEM, SDMA TRAP, an AQL signal mailbox, and a VM fault
 * as a memory exception.  Prints TAP.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>

#include "tap.h"
#include "kfd-queue-util.h"

static struct vkfd_gpu gpu;

static int create_event(int kfd, unsigned int type, bool auto_reset,
			uint64_t page, struct kfd_ioctl_create_event_args *out)
{
	struct kfd_ioctl_create_event_args a = {
		.event_page_offset = page, .event_type = type,
		.auto_reset = auto_reset,
	};
	int ret = ioctl(kfd, AMDKFD_IOC_CREATE_EVENT, &a);

	if (out)
		*out = a;
	return ret;
}

static int ev_ioctl(int kfd, unsigned long cmd, uint32_t id)
{
	struct kfd_ioctl_set_event_args a = { .event_id = id };

	return ioctl(kfd, cmd, &a);
}

/* Wait for one or more events; returns ioctl's result, *result. */
static int wait_events(int kfd, struct kfd_event_data *ev, uint32_t n,
		       bool all, uint32_t timeout, uint32_t *result)
{
	struct kfd_ioctl_wait_events_args a = {
		.events_ptr = (uintptr_t)ev, .num_events = n,
		.wait_for_all = all, .timeout = timeout,
	};
	int ret = ioctl(kfd, AMDKFD_IOC_WAIT_EVENTS, &a);

	*result = a.wait_result;
	return ret;
}

static uint32_t wait_one(int kfd, uint32_t id, uint32_t timeout)
{
	struct kfd_event_data ev = { .event_id = id };
	uint32_t r = 99;

	if (wait_events(kfd, &ev, 1, false, timeout, &r))
		return 100 + errno;
	return r;
}

struct setter {
	int kfd;
	uint32_t id;
	int delay_ms;
};

static void *setter_thread(void *arg)
{
	struct setter *s = arg;

	usleep(s->delay_ms * 1000);
	ev_ioctl(s->kfd, AMDKFD_IOC_SET_EVENT, s->id);
	return NULL;
}

static void *destroyer_thread(void *arg)
{
	struct setter *s = arg;

	usleep(s->delay_ms * 1000);
	ev_ioctl(s->kfd, AMDKFD_IOC_DESTROY_EVENT, s->id);
	return NULL;
}

struct waiter {
	int kfd;
	uint32_t id;
	uint32_t result;
};

static void *waiter_thread(void *arg)
{
	struct waiter *w = arg;

	w->result = wait_one(w->kfd, w->id, 10000);
	return NULL;
}

/* Sixteen threads asleep on one manual-reset event; one SET wakes all. */
static void test_many_waiters(int kfd)
{
	struct kfd_ioctl_create_event_args e;
	struct waiter w[16];
	pthread_t t[16];
	int i, woken = 0;

	create_event(kfd, KFD_IOC_EVENT_SIGNAL, false, 0, &e);
	for (i = 0; i < 16; i++) {
		w[i] = (struct waiter){ .kfd = kfd, .id = e.event_id, .result = 9 };
		pthread_create(&t[i], NULL, waiter_thread, &w[i]);
	}
	usleep(100000);
	ev_ioctl(kfd, AMDKFD_IOC_SET_EVENT, e.event_id);
	for (i = 0; i < 16; i++) {
		pthread_join(t[i], NULL);
		woken += w[i].result == KFD_IOC_WAIT_RESULT_COMPLETE;
	}
	tap_ok(woken == 16, "one SET_EVENT wakes all 16 waiters (%d)", woken);
	ev_ioctl(kfd, AMDKFD_IOC_DESTROY_EVENT, e.event_id);
}

static void on_alarm(int sig)
{
}

static void test_basic(int kfd)
{
	struct kfd_ioctl_create_event_args a, b, m;
	struct kfd_event_data two[2];
	struct setter s = { .kfd = kfd, .delay_ms = 100 };
	struct sigaction sa = { .sa_handler = on_alarm };
	pthread_t t;
	uint32_t r;
	double t0;
	int ret;

	tap_zero(create_event(kfd, KFD_IOC_EVENT_SIGNAL, true, 0, &a),
		 "CREATE_EVENT signal, auto-reset");
	tap_ok(a.event_id >= 1 && a.event_slot_index == a.event_id &&
	       a.event_trigger_data == a.event_id &&
	       a.event_page_offset >> 62 == 2,
	       "id %u = slot = trigger data; the events page offset", a.event_id);
	tap_zero(create_event(kfd, KFD_IOC_EVENT_SIGNAL, false, 0, &b),
		 "CREATE_EVENT signal, manual reset");
	tap_zero(create_event(kfd, KFD_IOC_EVENT_MEMORY, false, 0, &m),
		 "CREATE_EVENT memory exception");
	tap_ok(m.event_id >= 0x40000000 && m.event_slot_index == 0,
	       "a non-signal event has no slot (id 0x%x)", m.event_id);
	tap_errno(create_event(kfd, 42, false, 0, NULL), EINVAL,
		  "CREATE_EVENT of an unknown type");

	tap_ok(wait_one(kfd, a.event_id, 0) == KFD_IOC_WAIT_RESULT_TIMEOUT,
	       "an unsignalled event: timeout 0 polls and times out");
	tap_zero(ev_ioctl(kfd, AMDKFD_IOC_SET_EVENT, a.event_id), "SET_EVENT");
	tap_ok(wait_one(kfd, a.event_id, 0) == KFD_IOC_WAIT_RESULT_COMPLETE,
	       "WAIT_EVENTS completes");
	tap_ok(wait_one(kfd, a.event_id, 0) == KFD_IOC_WAIT_RESULT_TIMEOUT,
	       "auto-reset: the wait consumed it");
	ev_ioctl(kfd, AMDKFD_IOC_SET_EVENT, b.event_id);
	tap_ok(wait_one(kfd, b.event_id, 0) == KFD_IOC_WAIT_RESULT_COMPLETE &&
	       wait_one(kfd, b.event_id, 0) == KFD_IOC_WAIT_RESULT_COMPLETE,
	       "manual reset: it stays signalled");
	tap_zero(ev_ioctl(kfd, AMDKFD_IOC_RESET_EVENT, b.event_id),
		 "RESET_EVENT");
	tap_ok(wait_one(kfd, b.event_id, 0) == KFD_IOC_WAIT_RESULT_TIMEOUT,
	       "and it is unsignalled again");

	tap_errno(ev_ioctl(kfd, AMDKFD_IOC_SET_EVENT, m.event_id), EINVAL,
		  "SET_EVENT of a memory event: EINVAL");
	tap_errno(ev_ioctl(kfd, AMDKFD_IOC_SET_EVENT, 12345), EINVAL,
		  "SET_EVENT of an unknown id: EINVAL");
	tap_errno(ev_ioctl(kfd, AMDKFD_IOC_RESET_EVENT, 12345), EINVAL,
		  "RESET_EVENT of an unknown id: EINVAL");
	tap_ok(wait_one(kfd, 12345, 0) == 100 + EINVAL,
	       "WAIT_EVENTS on an unknown id: EINVAL");

	/* any and all */
	two[0] = (struct kfd_event_data){ .event_id = a.event_id };
	two[1] = (struct kfd_event_data){ .event_id = b.event_id };
	ev_ioctl(kfd, AMDKFD_IOC_SET_EVENT, b.event_id);
	tap_ok(!wait_events(kfd, two, 2, false, 0, &r) &&
	       r == KFD_IOC_WAIT_RESULT_COMPLETE, "wait for any of two");
	two[0] = (struct kfd_event_data){ .event_id = a.event_id };
	two[1] = (struct kfd_event_data){ .event_id = b.event_id };
	tap_ok(!wait_events(kfd, two, 2, true, 0, &r) &&
	       r == KFD_IOC_WAIT_RESULT_TIMEOUT, "wait for all: one is missing");
	ev_ioctl(kfd, AMDKFD_IOC_RESET_EVENT, b.event_id);

	/* a timeout in milliseconds, and a wait woken by another thread */
	t0 = now_s();
	tap_ok(wait_one(kfd, a.event_id, 80) == KFD_IOC_WAIT_RESULT_TIMEOUT &&
	       now_s() - t0 >= 0.075, "an 80 ms wait times out after 80 ms");
	s.id = a.event_id;
	pthread_create(&t, NULL, setter_thread, &s);
	t0 = now_s();
	tap_ok(wait_one(kfd, a.event_id, 0xffffffff) ==
	       KFD_IOC_WAIT_RESULT_COMPLETE, "an infinite wait is woken by a "
	       "SET_EVENT from another thread (%.0f ms)", (now_s() - t0) * 1e3);
	pthread_join(t, NULL);

	/* event age: a waiter that saw age N completes once it moves */
	{
		struct kfd_event_data ev = { .event_id = b.event_id };

		ev.signal_event_data.last_event_age = 1;
		ev_ioctl(kfd, AMDKFD_IOC_SET_EVENT, b.event_id);
		ev_ioctl(kfd, AMDKFD_IOC_RESET_EVENT, b.event_id);
		tap_ok(!wait_events(kfd, &ev, 1, false, 0, &r) &&
		       r == KFD_IOC_WAIT_RESULT_COMPLETE &&
		       ev.signal_event_data.last_event_age > 1,
		       "a changed age completes the wait (age %llu)",
		       (unsigned long long)ev.signal_event_data.last_event_age);
	}

	/* a signal interrupts the wait */
	sigaction(SIGALRM, &sa, NULL);
	alarm(1);
	{
		struct kfd_event_data ev = { .event_id = b.event_id };

		ret = wait_events(kfd, &ev, 1, false, 0xffffffff, &r);
		tap_ok(ret == -1 && errno == EINTR &&
		       r == KFD_IOC_WAIT_RESULT_FAIL,
		       "a signal interrupts an infinite wait (EINTR)");
	}

	/* destroyed while someone waits */
	s.id = b.event_id;
	pthread_create(&t, NULL, destroyer_thread, &s);
	{
		struct kfd_event_data ev = { .event_id = b.event_id };

		ret = wait_events(kfd, &ev, 1, false, 0xffffffff, &r);
		tap_ok(ret == -1 && errno == EIO &&
		       r == KFD_IOC_WAIT_RESULT_FAIL,
		       "an event destroyed under a waiter: EIO, FAIL");
	}
	pthread_join(t, NULL);
	tap_errno(ev_ioctl(kfd, AMDKFD_IOC_DESTROY_EVENT, b.event_id), EINVAL,
		  "DESTROY_EVENT twice: EINVAL");
	ev_ioctl(kfd, AMDKFD_IOC_DESTROY_EVENT, a.event_id);
	ev_ioctl(kfd, AMDKFD_IOC_DESTROY_EVENT, m.event_id);
}

/* The kernel's page: 256 slots until mapped, 4096 after. */
static int limits_child(void *arg)
{
	int kfd = kfd_open(), n = 0, more = 0;
	struct kfd_ioctl_create_event_args a;
	uint64_t *page, offset = 0;

	while (!create_event(kfd, KFD_IOC_EVENT_SIGNAL, false, 0, &a)) {
		offset = a.event_page_offset;
		n++;
	}
	if (n != 255 || errno != ENOSPC)
		return 1;
	page = mmap(NULL, 32768, PROT_READ | PROT_WRITE, MAP_SHARED, kfd,
		    offset);
	if (page == MAP_FAILED || page[1] != ~0ULL)
		return 2;
	while (!create_event(kfd, KFD_IOC_EVENT_SIGNAL, false, 0, &a))
		more++;
	return n + more == 4095 && errno == ENOSPC ? 0 : 3;
}

/* A GTT BO as the events page, as libhsakmt does on dGPUs. */
static uint64_t *bo_events_page(struct q *q, uint64_t va, uint64_t *handle)
{
	unsigned int ids[1] = { gpu.gpu_id }, n = 0;
	uint64_t off = 0;
	void *p;

	if (alloc_bo(q->kfd, gpu.gpu_id, va, 32768, F_GTT | F_RW, handle,
		     &off) || map_bo(q->kfd, *handle, ids, 1, true, &n))
		return NULL;
	p = mmap(NULL, 32768, PROT_READ | PROT_WRITE, MAP_SHARED, q->drm, off);
	return p == MAP_FAILED ? NULL : p;
}

/* In a fresh process: the events page is set once, by the first event. */
static int gpu_signals_child(void *arg)
{
	int kfd = kfd_open(), drm = open_render_node(&gpu);
	struct kfd_ioctl_create_event_args e1, e2, e3, mem, hw;
	uint64_t page_va = 0x700000000ULL, handle, slot;
	struct q pm4, sdma, aql;
	uint64_t *page;

	if (acquire_vm(kfd, drm, gpu.gpu_id))
		return 1;
	if (!tap_ok(queue_open(&gpu, &pm4, kfd, drm, 0x300000000ULL,
			       KFD_IOC_QUEUE_TYPE_COMPUTE) == 0 &&
		    queue_open(&gpu, &sdma, kfd, drm, 0x400000000ULL,
			       KFD_IOC_QUEUE_TYPE_SDMA) == 0 &&
		    queue_open(&gpu, &aql, kfd, drm, 0x500000000ULL,
			       KFD_IOC_QUEUE_TYPE_COMPUTE_AQL) == 0,
		    "PM4, SDMA and AQL queues"))
		return 1;
	page = bo_events_page(&pm4, page_va, &handle);
	if (!tap_ok(page != NULL, "a GTT BO for the events page"))
		return 1;
	tap_zero(create_event(kfd, KFD_IOC_EVENT_SIGNAL, true, handle, &e1),
		 "the first CREATE_EVENT adopts it");
	tap_errno(create_event(kfd, KFD_IOC_EVENT_SIGNAL, true, handle, NULL),
		  EINVAL, "a second events page is refused");
	{
		struct kfd_ioctl_free_memory_of_gpu_args f = { .handle = handle };

		tap_errno(ioctl(kfd, AMDKFD_IOC_FREE_MEMORY_OF_GPU, &f), EPERM,
			  "the events page BO cannot be freed");
	}
	create_event(kfd, KFD_IOC_EVENT_SIGNAL, true, 0, &e2);
	create_event(kfd, KFD_IOC_EVENT_SIGNAL, true, 0, &e3);
	create_event(kfd, KFD_IOC_EVENT_MEMORY, false, 0, &mem);
	create_event(kfd, KFD_IOC_EVENT_HW_EXCEPTION, false, 0, &hw);
	tap_ok(page[e1.event_id] == ~0ULL && page[e3.event_id] == ~0ULL,
	       "slots start unsignalled (all ones)");

	/* PM4 RELEASE_MEM: write the slot, interrupt with the id */
	slot = page_va + 8 * e1.event_id;
	{
		uint32_t rm[] = {
			VKFD_PM4_HDR(VKFD_PM4_OP_RELEASE_MEM, 7),
			VKFD_PM4_EVENT_EOP,
			VKFD_PM4_RM_DATA(VKFD_PM4_DATA_32) |
				VKFD_PM4_RM_INT_WRITE,
			(uint32_t)slot, slot >> 32, e1.event_id, 0, e1.event_id,
		};

		emit(&pm4, rm, 8);
		kick(&pm4, pm4.wptr);
	}
	tap_ok(wait_one(kfd, e1.event_id, 5000) == KFD_IOC_WAIT_RESULT_COMPLETE,
	       "PM4 RELEASE_MEM with an interrupt wakes the waiter");
	tap_ok(page[e1.event_id] == ~0ULL, "and the slot was acknowledged");

	/* SDMA: FENCE into the slot, then TRAP with the id */
	slot = page_va + 8 * e2.event_id;
	{
		uint32_t fence[] = { VKFD_SDMA_HEADER(VKFD_SDMA_OP_FENCE, 0),
				     (uint32_t)slot, slot >> 32, 1 };
		uint32_t trap[] = { VKFD_SDMA_HEADER(VKFD_SDMA_OP_TRAP, 0),
				    e2.event_id };

		emit(&sdma, fence, 4);
		emit(&sdma, trap, 2);
		kick(&sdma, sdma.wptr);
	}
	tap_ok(wait_one(kfd, e2.event_id, 5000) == KFD_IOC_WAIT_RESULT_COMPLETE,
	       "SDMA FENCE + TRAP wakes the waiter");

	/* AQL: a barrier whose completion signal has the slot as mailbox */
	{
		uint8_t *sig = (uint8_t *)aql.data + 0x400, pkt[64];

		*(volatile int64_t *)(sig + VKFD_SIGNAL_VALUE) = 1;
		*(volatile uint64_t *)(sig + VKFD_SIGNAL_MAILBOX) =
			page_va + 8 * e3.event_id;
		*(volatile uint32_t *)(sig + VKFD_SIGNAL_EVENT_ID) = e3.event_id;
		memset(pkt, 0, sizeof(pkt));
		*(uint64_t *)(pkt + 56) = data_va(&aql, 0x400);
		memcpy((uint8_t *)aql.ring + 2, pkt + 2, 62);
		__atomic_store_n((uint16_t *)aql.ring, VKFD_AQL_TYPE_BARRIER_AND,
				 __ATOMIC_RELEASE);
		aql.wptr = 1;
		kick(&aql, 0);
	}
	tap_ok(wait_one(kfd, e3.event_id, 5000) == KFD_IOC_WAIT_RESULT_COMPLETE,
	       "an AQL completion signal's mailbox wakes the waiter");

	/* a VM fault becomes a memory exception */
	{
		uint64_t bad = 0x6f0000000ULL;
		uint32_t wd[] = {
			VKFD_PM4_HDR(VKFD_PM4_OP_WRITE_DATA, 4), VKFD_PM4_WD_MEM,
			(uint32_t)bad, bad >> 32, 1,
		};
		struct kfd_event_data ev = { .event_id = mem.event_id };
		uint32_t r = 99;

		emit(&pm4, wd, 5);
		kick(&pm4, pm4.wptr);
		tap_ok(!wait_events(kfd, &ev, 1, false, 5000, &r) &&
		       r == KFD_IOC_WAIT_RESULT_COMPLETE &&
		       ev.memory_exception_data.va == bad &&
		       ev.memory_exception_data.gpu_id == gpu.gpu_id,
		       "a GPU write to unmapped memory: memory exception at "
		       "0x%llx", (unsigned long long)ev.memory_exception_data.va);
		/* as amdkfd: the page is not there, not read-only */
		tap_ok(ev.memory_exception_data.failure.NotPresent == 1 &&
		       ev.memory_exception_data.failure.ReadOnly == 0 &&
		       ev.memory_exception_data.failure.NoExecute == 0,
		       "its reason: not present (NotPresent %u, ReadOnly %u)",
		       ev.memory_exception_data.failure.NotPresent,
		       ev.memory_exception_data.failure.ReadOnly);
		ev = (struct kfd_event_data){ .event_id = hw.event_id };
		tap_ok(!wait_events(kfd, &ev, 1, false, 5000, &r) &&
		       r == KFD_IOC_WAIT_RESULT_COMPLETE &&
		       ev.hw_exception_data.gpu_id == gpu.gpu_id,
		       "and the queue it stopped raised a HW exception event");
	}
	return 0;
}

/* A secondary's events are its own: the primary's interrupts miss it. */
static int isolation_child(void *arg)
{
	int kfd = kfd_open(), drm = open_render_node(&gpu);
	int sec = kfd_open(), sdrm = open_render_node(&gpu);
	struct kfd_ioctl_create_event_args pe, se;
	uint64_t page_va = 0x700000000ULL, ph, sh, slot;
	struct q pq, sq;
	uint64_t *ppage, *spage;

	if (acquire_vm(kfd, drm, gpu.gpu_id) ||
	    ioctl(sec, AMDKFD_IOC_CREATE_PROCESS) ||
	    acquire_vm(sec, sdrm, gpu.gpu_id) ||
	    queue_open(&gpu, &pq, kfd, drm, 0x300000000ULL,
		       KFD_IOC_QUEUE_TYPE_COMPUTE) ||
	    queue_open(&gpu, &sq, sec, sdrm, 0x300000000ULL,
		       KFD_IOC_QUEUE_TYPE_COMPUTE))
		return 1;
	ppage = bo_events_page(&pq, page_va, &ph);
	spage = bo_events_page(&sq, page_va, &sh);
	if (!ppage || !spage ||
	    create_event(kfd, KFD_IOC_EVENT_SIGNAL, false, ph, &pe) ||
	    create_event(sec, KFD_IOC_EVENT_SIGNAL, false, sh, &se) ||
	    pe.event_id != se.event_id)
		return 2;
	slot = page_va + 8 * pe.event_id;
	{
		uint32_t rm[] = {
			VKFD_PM4_HDR(VKFD_PM4_OP_RELEASE_MEM, 7),
			VKFD_PM4_EVENT_EOP,
			VKFD_PM4_RM_DATA(VKFD_PM4_DATA_32) |
				VKFD_PM4_RM_INT_WRITE,
			(uint32_t)slot, slot >> 32, 5, 0, pe.event_id,
		};

		emit(&pq, rm, 8);
		kick(&pq, pq.wptr);
	}
	if (wait_one(kfd, pe.event_id, 5000) != KFD_IOC_WAIT_RESULT_COMPLETE)
		return 3;
	/* same id, same VA, other context: untouched */
	if (wait_one(sec, se.event_id, 200) != KFD_IOC_WAIT_RESULT_TIMEOUT ||
	    spage[se.event_id] != ~0ULL)
		return 4;
	return 0;
}

int main(void)
{
	int kfd, drm, rc;

	tap_share();
	if (!tap_ok(vkfd_gpus(&gpu, 1) == 1, "a vkfd device"))
		return tap_done();
	kfd = kfd_open();
	drm = open_render_node(&gpu);
	tap_zero(acquire_vm(kfd, drm, gpu.gpu_id), "bound");
	test_basic(kfd);
	test_many_waiters(kfd);
	rc = run_child(limits_child, NULL);
	tap_ok(rc == 0, "255 signal events before the page is mapped, 4095 "
	       "after, then ENOSPC (status %d)", rc);
	tap_ok(run_child(gpu_signals_child, NULL) == 0,
	       "the GPU-signal process ended cleanly");
	rc = run_child(isolation_child, NULL);
	tap_ok(rc == 0, "a secondary's event with the same id is not set by "
	       "its primary's interrupt (status %d)", rc);
	printf("1..%d\n", tap_count);
	return tap_done();
}
