// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Guest test: amdkfd conformance of queues, interrupts and packets
 * (issue 12, points 2, 4, 5 and 6), on every vkfd GPU of the guest.
 *
 *  - UPDATE_QUEUE with a ring address of 0, a ring size of 0 or a
 *    percentage of 0 makes a PM4 or SDMA queue inactive: what is written
 *    and rung meanwhile does not run; an update with a valid ring makes it
 *    active again and it runs that work without another doorbell.  Bad
 *    arguments get amdkfd's errno and leave the queue running.
 *  - IH overflow: thousands of RELEASE_MEM interrupts in one burst, more
 *    than the IH ring holds when vkfd.ko has ih_ring_size=4096; every
 *    event is signalled all the same (the driver scans the slots).
 *  - SDMA TIMESTAMP (GET_GLOBAL, GET) between two GET_CLOCK_COUNTERS
 *    reads, the 64-bit ATOMIC add ROCr uses for signals, and what the
 *    engine refuses.
 *  - A PM4 WRITE_DATA or an SDMA FENCE/WRITE to a DOORBELL BO's GPU VA
 *    rings the doorbell (another queue runs with no CPU doorbell write);
 *    a write to the MMIO_REMAP BO is an HDP flush.
 *
 * After all of it, the process gone, no device context is left.  TAP.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "tap.h"
#include "kfd-queue-util.h"

#define EVENTS_VA	0x7000000000ULL
#define EVENTS_BYTES	32768
#define BIG_RING	(512 * 1024)	/* 16384 RELEASE_MEMs */
#define DB_VA		0x7100000000ULL
#define REMAP_VA	0x7200000000ULL

static const struct vkfd_gpu *gpu;

static int create_event_simple(int kfd, uint64_t page,
			       struct kfd_ioctl_create_event_args *e)
{
	memset(e, 0, sizeof(*e));
	e->event_page_offset = page;
	e->event_type = KFD_IOC_EVENT_SIGNAL;
	e->auto_reset = 1;
	return ioctl(kfd, AMDKFD_IOC_CREATE_EVENT, e);
}

/* Wait up to ms for cond to hold on a 32-bit location. */
static bool stays_u32(volatile uint8_t *p, uint32_t want, int ms)
{
	while (ms-- > 0) {
		if (__atomic_load_n((volatile uint32_t *)p, __ATOMIC_ACQUIRE) !=
		    want)
			return false;
		usleep(1000);
	}
	return true;
}

static int update(struct q *q, uint64_t ring, uint32_t size, uint32_t pct,
		  uint32_t prio)
{
	struct kfd_ioctl_update_queue_args u = {
		.ring_base_address = ring, .queue_id = q->id,
		.ring_size = size, .queue_percentage = pct,
		.queue_priority = prio,
	};

	return ioctl(q->kfd, AMDKFD_IOC_UPDATE_QUEUE, &u);
}

/* One packet that stores v at data offset off, in the queue's format. */
static void put_store(struct q *q, uint32_t off, uint32_t v)
{
	uint64_t va = data_va(q, off);

	if (q->type == KFD_IOC_QUEUE_TYPE_SDMA) {
		uint32_t f[] = { VKFD_SDMA_HEADER(VKFD_SDMA_OP_FENCE, 0),
				 (uint32_t)va, va >> 32, v };

		emit(q, f, 4);
	} else {
		uint32_t wd[] = {
			VKFD_PM4_HDR(VKFD_PM4_OP_WRITE_DATA, 4),
			VKFD_PM4_WD_MEM | VKFD_PM4_WD_WR_CONFIRM,
			(uint32_t)va, va >> 32, v,
		};

		emit(q, wd, 5);
	}
}

/* ---- point 2: UPDATE_QUEUE that disables and re-enables */

static void disable_one(struct q *q, const char *what, uint64_t ring,
			uint32_t size, uint32_t pct, uint32_t *seq)
{
	const char *t = q->type == KFD_IOC_QUEUE_TYPE_SDMA ? "SDMA" : "PM4";

	(*seq)++;
	tap_zero(update(q, ring, size, pct, 7), "%s: UPDATE_QUEUE with %s",
		 t, what);
	put_store(q, 0, *seq);
	kick(q, q->wptr);
	tap_ok(stays_u32(q->data, *seq - 1, 300),
	       "%s: inactive after %s: the packet rung meanwhile waits", t,
	       what);
	tap_zero(update(q, q->base_va, q->ring_size, 100, 7),
		 "%s: UPDATE_QUEUE with a valid ring", t);
	tap_ok(wait_u32(q->data, *seq) && queue_wait_consumed(q),
	       "%s: active again, it ran that packet without a doorbell", t);
}

static void test_update_disable(int kfd, int drm, uint32_t type,
				uint64_t base)
{
	const char *t = type == KFD_IOC_QUEUE_TYPE_SDMA ? "SDMA" : "PM4";
	uint32_t seq = 1;
	struct q q;

	if (!tap_ok(queue_open(gpu, &q, kfd, drm, base, type) == 0,
		    "%s: a queue", t))
		return;
	put_store(&q, 0, seq);
	kick(&q, q.wptr);
	tap_ok(wait_u32(q.data, seq), "%s: it runs", t);

	disable_one(&q, "a ring address of 0", 0, q.ring_size, 100, &seq);
	disable_one(&q, "a ring size of 0", q.base_va, 0, 100, &seq);
	disable_one(&q, "a percentage of 0", q.base_va, q.ring_size, 0, &seq);

	/* bad arguments: amdkfd's errno, and the queue is left as it was */
	tap_errno(update(&q, q.base_va, q.ring_size, 101, 7), EINVAL,
		  "%s: percentage 101", t);
	tap_errno(update(&q, q.base_va, q.ring_size, 100, 16), EINVAL,
		  "%s: priority 16", t);
	tap_errno(update(&q, q.base_va, 3000, 100, 7), EINVAL,
		  "%s: ring size not a power of two", t);
	tap_errno(update(&q, 0xffff800000000000ULL, q.ring_size, 100, 7),
		  EFAULT, "%s: a kernel ring address", t);
	tap_errno(update(&q, 0x7ff000000000ULL, q.ring_size, 100, 7), EINVAL,
		  "%s: a ring that is not a mapped BO", t);
	{
		uint32_t id = q.id;

		q.id = 1000;
		tap_errno(update(&q, q.base_va, q.ring_size, 100, 7), EFAULT,
			  "%s: an unknown queue id", t);
		q.id = id;
	}
	put_store(&q, 0, ++seq);
	kick(&q, q.wptr);
	tap_ok(wait_u32(q.data, seq) && queue_wait_consumed(&q),
	       "%s: the failed updates changed nothing: it still runs", t);

	/* an inactive queue can be destroyed, and its doorbell reused */
	tap_zero(update(&q, 0, 0, 0, 7), "%s: made inactive for good", t);
	queue_close(&q);
	tap_ok(queue_open(gpu, &q, kfd, drm, base + 0x10000000ULL, type) == 0,
	       "%s: after DESTROY_QUEUE of the inactive queue, a new one", t);
	put_store(&q, 4, 0x5a5a);
	kick(&q, q.wptr);
	tap_ok(wait_u32(q.data + 4, 0x5a5a), "%s: which runs", t);
	queue_close(&q);
}

/* CREATE_QUEUE with a percentage of 0 makes an inactive queue. */
static void test_create_inactive(int kfd, int drm)
{
	struct kfd_ioctl_create_queue_args a = { 0 };
	uint64_t base = 0x800000000ULL;
	struct q q;

	memset(&q, 0, sizeof(q));
	q.kfd = kfd;
	q.drm = drm;
	q.base_va = base;
	q.ring_size = 4096;
	q.type = KFD_IOC_QUEUE_TYPE_SDMA;
	q.data_size = DATA_SIZE;
	q.ring = bo_cpu(gpu, &q, base, 4096, F_GTT);
	q.ptrs = bo_cpu(gpu, &q, base + 0x10000, 4096, F_GTT);
	q.data = bo_cpu(gpu, &q, base + 0x20000, DATA_SIZE, F_GTT);
	a.ring_base_address = base;
	a.read_pointer_address = base + 0x10000;
	a.write_pointer_address = base + 0x10008;
	a.ring_size = 4096;
	a.gpu_id = gpu->gpu_id;
	a.queue_type = KFD_IOC_QUEUE_TYPE_SDMA;
	a.queue_percentage = 0;
	if (!tap_ok(q.ring && q.ptrs && q.data &&
		    !ioctl(kfd, AMDKFD_IOC_CREATE_QUEUE, &a),
		    "SDMA: CREATE_QUEUE with a percentage of 0"))
		return;
	q.id = a.queue_id;
	if (!tap_ok(!queue_map_doorbell(&q, a.doorbell_offset),
		    "SDMA: its doorbell page"))
		return;
	put_store(&q, 0, 0x99);
	kick(&q, q.wptr);
	tap_ok(stays_u32(q.data, 0, 300),
	       "SDMA: a queue created inactive does not run");
	tap_zero(update(&q, base, 4096, 100, 7),
		 "SDMA: UPDATE_QUEUE to 100%%");
	tap_ok(wait_u32(q.data, 0x99) && queue_wait_consumed(&q),
	       "SDMA: now it runs what was written");
	queue_close(&q);
}

/* ---- point 4: more interrupts than the IH ring holds */

static uint64_t *events_page(int kfd, int drm, uint64_t *handle)
{
	unsigned int ids[1] = { gpu->gpu_id }, n = 0;
	uint64_t off = 0;
	void *p;

	if (alloc_bo(kfd, gpu->gpu_id, EVENTS_VA, EVENTS_BYTES, F_GTT | F_RW,
		     handle, &off) || map_bo(kfd, *handle, ids, 1, true, &n))
		return NULL;
	p = mmap(NULL, EVENTS_BYTES, PROT_READ | PROT_WRITE, MAP_SHARED, drm,
		 off);
	return p == MAP_FAILED ? NULL : p;
}

static bool read_ih(unsigned int *ring_bytes, unsigned int *lost,
		    unsigned int *recoveries)
{
	FILE *f = fopen(VKFD_DEBUGFS "/ih", "r");
	unsigned int a, b, c;
	char line[256];
	bool ok = false;

	*ring_bytes = *lost = *recoveries = 0;
	if (!f)
		return false;
	/* the sums over the devices (one line each) */
	while (fgets(line, sizeof(line), f)) {
		char *p = strstr(line, "ring_bytes");

		if (p && sscanf(p, "ring_bytes %u lost %u recoveries %u", &a,
				&b, &c) == 3) {
			*ring_bytes = a;
			*lost += b;
			*recoveries += c;
			ok = true;
		}
	}
	fclose(f);
	return ok;
}

/* interrupts the IH hard-IRQ handler took, and left to the thread */
static bool read_ih_irqs(unsigned int *hard, unsigned int *thread)
{
	FILE *f = fopen(VKFD_DEBUGFS "/ih", "r");
	unsigned int a, b;
	char line[256];
	bool ok = false;

	*hard = *thread = 0;
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		char *p = strstr(line, "hard_irqs");

		if (p && sscanf(p, "hard_irqs %u thread_wakes %u", &a,
				&b) == 2) {
			*hard += a;
			*thread += b;
			ok = true;
		}
	}
	fclose(f);
	return ok;
}

static int ih_child(void *arg)
{
	int kfd = kfd_open(), drm = open_render_node(gpu);
	unsigned int nev = 4000, rounds = *(unsigned int *)arg, i, r, bad = 0;
	unsigned int ring_bytes, lost0, lost1, rec0, rec1, hard0, hard1, thr0, thr1;
	struct kfd_ioctl_create_event_args e;
	uint32_t *ids, *ring;
	uint64_t handle, ring_va, *page;
	struct q q;

	if (kfd < 0 || drm < 0 || acquire_vm(kfd, drm, gpu->gpu_id))
		return 1;
	if (!tap_ok(queue_open(gpu, &q, kfd, drm, 0x300000000ULL,
			       KFD_IOC_QUEUE_TYPE_COMPUTE) == 0,
		    "IH: a PM4 queue"))
		return 1;
	/* a 512 KiB ring: a whole burst in one go */
	ring_va = 0x380000000ULL;
	ring = bo_cpu(gpu, &q, ring_va, BIG_RING, F_GTT);
	if (!tap_ok(ring && !update(&q, ring_va, BIG_RING, 100, 7),
		    "IH: moved to a %u KiB ring", BIG_RING / 1024))
		return 1;
	munmap(q.ring, 4096);
	q.ring = ring;
	q.ring_size = BIG_RING;
	q.wptr = 0;	/* PM4: the update kept rptr 0 (nothing ran yet) */
	page = events_page(kfd, drm, &handle);
	ids = calloc(nev, sizeof(*ids));
	if (!tap_ok(page && ids, "IH: a GTT events page"))
		return 1;
	for (i = 0; i < nev; i++) {
		if (create_event_simple(kfd, i ? 0 : handle, &e))
			break;
		ids[i] = e.event_id;
	}
	if (!tap_ok(i == nev, "IH: %u signal events", nev))
		return 1;
	read_ih(&ring_bytes, &lost0, &rec0);
	read_ih_irqs(&hard0, &thr0);
	/* rounds x one RELEASE_MEM with an interrupt per event, one doorbell */
	for (r = 0; r < rounds; r++) {
		for (i = 0; i < nev; i++) {
			uint64_t slot = EVENTS_VA + 8ULL * ids[i];
			uint32_t rm[] = {
				VKFD_PM4_HDR(VKFD_PM4_OP_RELEASE_MEM, 7),
				VKFD_PM4_EVENT_EOP,
				VKFD_PM4_RM_DATA(VKFD_PM4_DATA_32) |
					VKFD_PM4_RM_INT_WRITE,
				(uint32_t)slot, slot >> 32, ids[i], 0, ids[i],
			};

			emit(&q, rm, 8);
		}
	}
	kick(&q, q.wptr);
	tap_ok(queue_wait_consumed(&q), "IH: %u RELEASE_MEM interrupts ran",
	       nev * rounds);
	for (i = 0; i < nev; i++) {
		struct kfd_event_data ev = { .event_id = ids[i] };
		struct kfd_ioctl_wait_events_args a = {
			.events_ptr = (uintptr_t)&ev, .num_events = 1,
			.timeout = bad ? 0 : 5000,
		};

		if (ioctl(kfd, AMDKFD_IOC_WAIT_EVENTS, &a) ||
		    a.wait_result != KFD_IOC_WAIT_RESULT_COMPLETE)
			bad++;
	}
	/*
	 * the IH thread may still be busy with the backlog (a debug kernel
	 * takes seconds over it): let it finish, up to 30 s
	 */
	for (i = 0; i < 600; i++) {
		read_ih(&ring_bytes, &lost1, &rec1);
		if (lost1 == lost0 || rec1 > rec0)
			break;
		usleep(50000);
	}
	tap_diag("IH ring %u bytes (%u entries): %u entries lost, %u slot "
		 "scans in this burst", ring_bytes, ring_bytes / 32 - 1,
		 lost1 - lost0, rec1 - rec0);
	tap_ok(!bad, "IH: all %u events signalled (%u missed)", nev, bad);
	/*
	 * Signal entries are handled in the hard-IRQ handler; the thread
	 * only takes over bursts beyond its budget and overflows.
	 */
	read_ih_irqs(&hard1, &thr1);
	tap_ok(hard1 > hard0 && thr1 - thr0 <= hard1 - hard0,
	       "IH: %u interrupts taken in hard-IRQ context, %u left to the thread",
	       hard1 - hard0, thr1 - thr0);
	if (ring_bytes <= 4096)
		tap_ok(lost1 > lost0 && rec1 > rec0,
		       "IH: the small ring overflowed and was recovered");
	else
		tap_ok(lost1 == lost0 || rec1 > rec0,
		       "IH: any overflow was followed by a slot scan");
	if (rounds > 1)
		return 0;
	/* nothing pending is left behind: a poll of each finds none set */
	usleep(200000);
	for (i = 0; i < nev && !bad; i++) {
		struct kfd_event_data ev = { .event_id = ids[i] };
		struct kfd_ioctl_wait_events_args a = {
			.events_ptr = (uintptr_t)&ev, .num_events = 1,
		};

		if (ioctl(kfd, AMDKFD_IOC_WAIT_EVENTS, &a) ||
		    a.wait_result != KFD_IOC_WAIT_RESULT_TIMEOUT)
			bad++;
	}
	tap_ok(!bad, "IH: auto-reset events were consumed once each");
	return 0;
}

/* ---- point 5: SDMA TIMESTAMP, ATOMIC, and what the engine refuses */

static uint64_t gpu_clock(int kfd)
{
	struct kfd_ioctl_get_clock_counters_args c = { .gpu_id = gpu->gpu_id };

	return ioctl(kfd, AMDKFD_IOC_GET_CLOCK_COUNTERS, &c) ? 0
							       : c.gpu_clock_counter;
}

/* A packet the SDMA engine refuses stops the queue there. */
static void sdma_refused(int kfd, int drm, const uint32_t *pkt, unsigned n,
			 const char *what)
{
	static uint64_t base = 0x600000000ULL;
	struct q q;

	base += 0x10000000ULL;	/* BOs stay with the process: a new VA */
	if (!tap_ok(queue_open(gpu, &q, kfd, drm, base,
			       KFD_IOC_QUEUE_TYPE_SDMA) == 0,
		    "SDMA: a queue for %s", what))
		return;
	emit(&q, pkt, n);
	put_store(&q, 0, 0x77);
	kick(&q, q.wptr);
	tap_ok(stays_u32(q.data, 0, 300) && q.ptrs[0] == 0,
	       "SDMA: %s is refused: the queue stops on it", what);
	queue_close(&q);
}

static void test_sdma_packets(int kfd, int drm)
{
	uint64_t t0, t1, ts_va, at_va;
	volatile uint64_t *ts;
	struct q q;

	if (!tap_ok(queue_open(gpu, &q, kfd, drm, 0x500000000ULL,
			       KFD_IOC_QUEUE_TYPE_SDMA) == 0, "SDMA: a queue"))
		return;
	ts = (volatile uint64_t *)(q.data + 256);
	ts_va = data_va(&q, 256);
	ts[0] = ts[1] = 0;
	t0 = gpu_clock(kfd);
	{
		uint32_t get_global[] = {
			VKFD_SDMA_HEADER(VKFD_SDMA_OP_TIMESTAMP,
					 VKFD_SDMA_TS_GET_GLOBAL),
			(uint32_t)ts_va, ts_va >> 32,
		};
		uint32_t get[] = {
			VKFD_SDMA_HEADER(VKFD_SDMA_OP_TIMESTAMP,
					 VKFD_SDMA_TS_GET),
			(uint32_t)(ts_va + 8), (ts_va + 8) >> 32,
		};

		emit(&q, get_global, 3);
		emit(&q, get, 3);
		put_store(&q, 0, 1);
		kick(&q, q.wptr);
	}
	tap_ok(wait_u32(q.data, 1) && queue_wait_consumed(&q),
	       "SDMA: TIMESTAMP GET_GLOBAL and GET run");
	t1 = gpu_clock(kfd);
	tap_ok(t0 && ts[0] >= t0 && ts[0] <= t1,
	       "SDMA: the global timestamp %llu lies between two "
	       "GET_CLOCK_COUNTERS reads (%llu, %llu)",
	       (unsigned long long)ts[0], (unsigned long long)t0,
	       (unsigned long long)t1);
	tap_ok(ts[1] >= ts[0] && ts[1] <= t1,
	       "SDMA: the engine's timestamp follows it (%llu)",
	       (unsigned long long)ts[1]);

	/* ATOMIC add64 of -1, as ROCr decrements a completion signal */
	at_va = data_va(&q, 512);
	*(volatile uint64_t *)(q.data + 512) = 0x100000005ULL;
	{
		uint32_t at[] = {
			VKFD_SDMA_HEADER(VKFD_SDMA_OP_ATOMIC, 0) |
				(VKFD_SDMA_ATOMIC_ADD64 << 25),
			(uint32_t)at_va, at_va >> 32, 0xffffffff, 0xffffffff,
			0, 0, 0,
		};

		emit(&q, at, 8);
		at[0] = VKFD_SDMA_HEADER(VKFD_SDMA_OP_ATOMIC, 0) |
			(VKFD_SDMA_ATOMIC_ADD64_NRTN << 25);
		at[3] = 0x10;
		at[4] = 0;
		emit(&q, at, 8);
		put_store(&q, 0, 2);
		kick(&q, q.wptr);
	}
	{
		bool ran = wait_u32(q.data, 2);
		uint64_t v = *(volatile uint64_t *)(q.data + 512);

		tap_ok(ran && v == 0x100000014ULL,
		       "SDMA: ATOMIC add64 (-1, then +16 without return) "
		       "across 32 bits: 0x%llx", (unsigned long long)v);
	}

	/*
	 * COPY_LINEAR_SUB_WINDOW, as ROCr's copy_rect: a 3 x 2 box of
	 * 4-byte elements from (1, 1) to (2, 0), both surfaces 8 wide.
	 */
	{
		volatile uint32_t *a = (volatile uint32_t *)(q.data + 1024);
		volatile uint32_t *b = (volatile uint32_t *)(q.data + 2048);
		uint64_t va = data_va(&q, 1024), vb = data_va(&q, 2048);
		uint32_t rect[] = {
			VKFD_SDMA_HEADER(VKFD_SDMA_OP_COPY,
					 VKFD_SDMA_COPY_SUB_WINDOW) | 2u << 29,
			(uint32_t)va, va >> 32, 1 | 1 << 16, 7u << 13, 63,
			(uint32_t)vb, vb >> 32, 2, 7u << 13, 63,
			2 | 1 << 16, 0,
		};
		unsigned int i, bad = 0;

		for (i = 0; i < 32; i++) {
			a[i] = 100 + i;
			b[i] = 0;
		}
		emit(&q, rect, 13);
		put_store(&q, 0, 3);
		kick(&q, q.wptr);
		wait_u32(q.data, 3);
		for (i = 0; i < 32; i++) {
			unsigned int x = i % 8, y = i / 8;
			uint32_t want = 0;

			if (y < 2 && x >= 2 && x < 5)
				want = 100 + (y + 1) * 8 + (x - 2) + 1;
			bad += b[i] != want;
		}
		tap_ok(!bad, "SDMA: COPY_LINEAR_SUB_WINDOW moved a 3x2 box "
		       "(wrong elements: %u)", bad);
	}
	queue_close(&q);

	{
		uint32_t set[] = { VKFD_SDMA_HEADER(VKFD_SDMA_OP_TIMESTAMP, 0),
				   1, 0 };
		uint32_t odd[] = {
			VKFD_SDMA_HEADER(VKFD_SDMA_OP_TIMESTAMP,
					 VKFD_SDMA_TS_GET_GLOBAL),
			(uint32_t)(ts_va + 4), (ts_va + 4) >> 32,
		};
		uint32_t cmpswap[] = {
			VKFD_SDMA_HEADER(VKFD_SDMA_OP_ATOMIC, 0) | (40u << 25),
			(uint32_t)at_va, at_va >> 32, 1, 0, 0, 0, 0,
		};

		sdma_refused(kfd, drm, set, 3, "TIMESTAMP SET");
		sdma_refused(kfd, drm, odd, 3, "a timestamp not 8-byte aligned");
		sdma_refused(kfd, drm, cmpswap, 8, "an ATOMIC other than add64");
	}
}

/* ---- point 6: a GPU write to a DOORBELL BO rings the doorbell */

static uint64_t doorbell_bo(int kfd, uint64_t va, unsigned int flags,
			    uint64_t size)
{
	unsigned int ids[1] = { gpu->gpu_id }, n = 0;
	uint64_t h, off = 0;

	if (alloc_bo(kfd, gpu->gpu_id, va, size, flags | F_RW, &h, &off) ||
	    map_bo(kfd, h, ids, 1, true, &n))
		return 0;
	return h;
}

static long long hdp_flushes(void)
{
	FILE *f = fopen(VKFD_DEBUGFS "/ih", "r");
	long long sum = 0;
	char line[256];
	bool found = false;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		char *p = strstr(line, "hdp_flushes ");

		if (p) {
			sum += atoll(p + strlen("hdp_flushes "));
			found = true;
		}
	}
	fclose(f);
	return found ? sum : -1;
}

static void test_gpu_doorbell(int kfd, int drm)
{
	struct q pm4, sdma, target;
	uint64_t slot, db_off;
	long long h0, h1;

	if (!tap_ok(doorbell_bo(kfd, DB_VA, F_DOORBELL, 8192) &&
		    doorbell_bo(kfd, REMAP_VA, F_MMIO, 4096),
		    "doorbell: DOORBELL and MMIO_REMAP BOs mapped on the GPU"))
		return;
	if (!tap_ok(queue_open(gpu, &pm4, kfd, drm, 0x300000000ULL,
			       KFD_IOC_QUEUE_TYPE_COMPUTE) == 0 &&
		    queue_open(gpu, &sdma, kfd, drm, 0x400000000ULL,
			       KFD_IOC_QUEUE_TYPE_SDMA) == 0 &&
		    queue_open(gpu, &target, kfd, drm, 0x500000000ULL,
			       KFD_IOC_QUEUE_TYPE_SDMA) == 0,
		    "doorbell: PM4 and SDMA queues, and a target queue"))
		return;
	db_off = (uint64_t)((volatile char *)target.doorbell -
			    (char *)target.db_page);
	slot = DB_VA + db_off;

	/* PM4 WRITE_DATA of the target's wptr to its doorbell */
	put_store(&target, 0, 0x111);
	__atomic_store_n(&target.ptrs[1], target.wptr, __ATOMIC_RELEASE);
	{
		uint32_t wd[] = {
			VKFD_PM4_HDR(VKFD_PM4_OP_WRITE_DATA, 5),
			VKFD_PM4_WD_MEM,
			(uint32_t)slot, slot >> 32, (uint32_t)target.wptr,
			target.wptr >> 32,
		};

		emit(&pm4, wd, 6);
		kick(&pm4, pm4.wptr);
	}
	tap_ok(wait_u32(target.data, 0x111) && queue_wait_consumed(&pm4),
	       "doorbell: a PM4 WRITE_DATA to the DOORBELL BO rang the "
	       "target queue");

	/* SDMA FENCE of the wptr's low half: a 4-byte doorbell write */
	put_store(&target, 0, 0x222);
	__atomic_store_n(&target.ptrs[1], target.wptr, __ATOMIC_RELEASE);
	{
		uint32_t f[] = { VKFD_SDMA_HEADER(VKFD_SDMA_OP_FENCE, 0),
				 (uint32_t)slot, slot >> 32,
				 (uint32_t)target.wptr };

		emit(&sdma, f, 4);
		kick(&sdma, sdma.wptr);
	}
	tap_ok(wait_u32(target.data, 0x222) && queue_wait_consumed(&sdma),
	       "doorbell: an SDMA FENCE to the DOORBELL BO rang it too");

	/*
	 * A queue whose own packet rings its own doorbell while it runs: a
	 * FENCE to its doorbell, then a FENCE to memory.  It runs both, once.
	 */
	{
		uint32_t f[] = { VKFD_SDMA_HEADER(VKFD_SDMA_OP_FENCE, 0),
				 (uint32_t)slot, slot >> 32, 0 };

		f[3] = (uint32_t)(target.wptr + 2 * 16);
		emit(&target, f, 4);
		put_store(&target, 0, 0x333);
		kick(&target, target.wptr);
	}
	tap_ok(wait_u32(target.data, 0x333) && queue_wait_consumed(&target),
	       "doorbell: a queue that rings its own doorbell from its ring "
	       "carries on");
	put_store(&target, 0, 0x444);
	kick(&target, target.wptr);
	tap_ok(wait_u32(target.data, 0x444), "doorbell: and runs again later");

	/* the MMIO_REMAP page: an HDP flush, as a CPU write is */
	h0 = hdp_flushes();
	{
		uint32_t f[] = { VKFD_SDMA_HEADER(VKFD_SDMA_OP_FENCE, 0),
				 (uint32_t)REMAP_VA, REMAP_VA >> 32, 1 };

		emit(&sdma, f, 4);
		put_store(&sdma, 0, 0x555);
		kick(&sdma, sdma.wptr);
	}
	tap_ok(wait_u32(sdma.data, 0x555), "doorbell: SDMA FENCE to the "
	       "MMIO_REMAP BO ran");
	h1 = hdp_flushes();
	tap_ok(h0 >= 0 && h1 == h0 + 1,
	       "doorbell: and counted one HDP flush (%lld -> %lld)", h0, h1);
	queue_close(&pm4);
	queue_close(&sdma);
	queue_close(&target);
}

static int conf_child(void *arg)
{
	int kfd = kfd_open(), drm = open_render_node(gpu);

	if (kfd < 0 || drm < 0 || acquire_vm(kfd, drm, gpu->gpu_id))
		return 1;
	test_update_disable(kfd, drm, KFD_IOC_QUEUE_TYPE_COMPUTE,
			    0x300000000ULL);
	test_update_disable(kfd, drm, KFD_IOC_QUEUE_TYPE_SDMA, 0x400000000ULL);
	test_create_inactive(kfd, drm);
	test_sdma_packets(kfd, drm);
	close(kfd);
	close(drm);
	return 0;
}

static int doorbell_child(void *arg)
{
	int kfd = kfd_open(), drm = open_render_node(gpu);

	if (kfd < 0 || drm < 0 || acquire_vm(kfd, drm, gpu->gpu_id))
		return 1;
	test_gpu_doorbell(kfd, drm);
	return 0;
}

static void in_child(int (*fn)(void *), void *arg, const char *what)
{
	tap_ok(run_child(fn, arg) == 0, "%s: the process exits cleanly", what);
	tap_ok(wait_contexts(0, 20), "%s: no device context is left", what);
}

int main(int argc, char **argv)
{
	struct vkfd_gpu gpus[VKFD_MAX_GPUS];
	unsigned int rounds = 3, one = 1;
	int n, i;

	tap_share();
	n = vkfd_gpus(gpus, VKFD_MAX_GPUS);
	if (!tap_ok(n >= 1, "%d vkfd GPU(s)", n))
		return tap_done();
	for (i = 0; i < n; i++) {
		gpu = &gpus[i];
		tap_diag("GPU %u", gpu->gpu_id);
		in_child(conf_child, NULL, "queues");
		in_child(doorbell_child, NULL, "doorbells");
		in_child(ih_child, &one, "IH, one interrupt an event");
		in_child(ih_child, &rounds, "IH, three interrupts an event");
	}
	printf("1..%d\n", tap_count);
	return tap_done();
}
