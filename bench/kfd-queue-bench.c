// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Guest benchmark: user queues.
 *
 *   trap floor         one plain MMIO write (the HDP flush page): what any
 *                      doorbell costs before the device does anything
 *   doorbell latency   PM4 WRITE_DATA, doorbell, poll memory for the value
 *   packets/s          one queue fed 256 packets a kick; and 64 queues
 *   scaling            doorbell latency with 1..1024 queues mapped in the
 *                      process, and with 1..N kfd_processes (secondaries)
 *                      each holding a queue: it should stay flat
 *   interrupt path     RELEASE_MEM with an interrupt, the submitter asleep
 *                      in WAIT_EVENTS, against polling memory; interrupts
 *                      per second the path sustains; and for bursts of
 *                      interrupts on one doorbell, the MSI-X messages the
 *                      guest took (/proc/interrupts) against the entries
 *
 * Everything runs in one boot: compare ratios, not absolute times.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <errno.h>
#include <string.h>
#include <sys/resource.h>

#include "kfd-queue-util.h"

static struct vkfd_gpu gpu;

static uint32_t seq;

/* One WRITE_DATA of a new value, doorbell, wait: seconds. */
static double one_round_trip(struct q *q)
{
	uint64_t t = data_va(q, 0);
	uint32_t wd[] = {
		VKFD_PM4_HDR(VKFD_PM4_OP_WRITE_DATA, 4), VKFD_PM4_WD_MEM,
		(uint32_t)t, t >> 32, ++seq,
	};
	double t0 = now_s();

	emit(q, wd, 5);
	kick(q, q->wptr);
	while (*(volatile uint32_t *)q->data != seq)
		;
	return now_s() - t0;
}

static double latency_us(struct q *q, int n)
{
	double sum = 0;
	int i;

	one_round_trip(q);
	for (i = 0; i < n; i++)
		sum += one_round_trip(q);
	return sum / n * 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/*
 * For the scaling tables: the least of five medians of n / 5 round trips
 * each.  The host's other work comes and goes in spells that move a
 * mean, or even one median, by more than the number of queues or
 * contexts does; the quietest spell says what the device costs.
 */
static double latency_med_us(struct q *q, int n)
{
	int i, r, k = n / 5 > 0 ? n / 5 : 1;
	double *t = calloc(k, sizeof(*t)), best = -1;

	if (!t)
		return -1;
	one_round_trip(q);
	for (r = 0; r < 5; r++) {
		for (i = 0; i < k; i++)
			t[i] = one_round_trip(q);
		qsort(t, k, sizeof(*t), cmp_double);
		if (best < 0 || t[k / 2] < best)
			best = t[k / 2];
	}
	free(t);
	return best * 1e6;
}

/* The events page in GPU memory and two auto-reset signal events. */
static uint32_t event_id, last_event_id;
static uint64_t events_page_va = 0x7e0000000ULL;

static int setup_event(int kfd)
{
	unsigned int ids[1] = { gpu.gpu_id }, cnt = 0;
	struct kfd_ioctl_create_event_args ev = {
		.event_type = KFD_IOC_EVENT_SIGNAL, .auto_reset = 1,
	};
	uint64_t h;

	if (alloc_bo(kfd, gpu.gpu_id, events_page_va, 32768, F_GTT | F_RW,
		     &h, NULL) || map_bo(kfd, h, ids, 1, true, &cnt))
		return -1;
	ev.event_page_offset = h;
	if (ioctl(kfd, AMDKFD_IOC_CREATE_EVENT, &ev))
		return -1;
	event_id = ev.event_id;
	ev.event_page_offset = 0;
	if (ioctl(kfd, AMDKFD_IOC_CREATE_EVENT, &ev))
		return -1;
	last_event_id = ev.event_id;
	return 0;
}

/* The IH vector's interrupts so far, all CPUs (the "vkfd-ih" lines). */
static long ih_interrupts(void)
{
	FILE *f = fopen("/proc/interrupts", "r");
	char line[4096], *p, *end;
	long sum = 0, n;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (!strstr(line, "vkfd-ih"))
			continue;
		p = strchr(line, ':');
		for (p = p ? p + 1 : line; ; p = end) {
			n = strtol(p, &end, 10);
			if (end == p)
				break;
			sum += n;
		}
	}
	fclose(f);
	return sum;
}

static void put_release_mem(struct q *q, uint32_t id)
{
	uint64_t slot = events_page_va + 8 * id;
	uint32_t rm[] = {
		VKFD_PM4_HDR(VKFD_PM4_OP_RELEASE_MEM, 7), VKFD_PM4_EVENT_EOP,
		VKFD_PM4_RM_DATA(VKFD_PM4_DATA_32) | VKFD_PM4_RM_INT_WRITE,
		(uint32_t)slot, slot >> 32, 1, 0, id,
	};

	emit(q, rm, 8);
}

/*
 * rounds bursts of per RELEASE_MEM interrupts, one doorbell each; the
 * last entry of a burst signals its own event, so once that one is
 * set every entry of the burst was handled.  Returns the interrupts the
 * guest took, or -1.
 */
static long burst_interrupts(struct q *q, int kfd, int rounds, int per)
{
	struct kfd_event_data ed = { .event_id = last_event_id };
	struct kfd_ioctl_wait_events_args w = {
		.events_ptr = (uintptr_t)&ed, .num_events = 1,
		.timeout = 5000,
	};
	long before = ih_interrupts();
	int r, i;

	for (r = 0; r < rounds; r++) {
		for (i = 0; i < per - 1; i++)
			put_release_mem(q, event_id);
		put_release_mem(q, last_event_id);
		kick(q, q->wptr);
		if (ioctl(kfd, AMDKFD_IOC_WAIT_EVENTS, &w) ||
		    w.wait_result != KFD_IOC_WAIT_RESULT_COMPLETE)
			return -1;
	}
	usleep(20000);	/* a message still on its way */
	return before < 0 ? -1 : ih_interrupts() - before;
}

/*
 * The floor under the interrupt path: a WAIT_EVENTS that finds its event
 * already set (by SET_EVENT, untimed), and one null ioctl.
 */
static double wait_set_us(int kfd, int n)
{
	struct kfd_event_data ed = { .event_id = event_id };
	struct kfd_ioctl_wait_events_args w = {
		.events_ptr = (uintptr_t)&ed, .num_events = 1, .timeout = 0,
	};
	struct kfd_ioctl_set_event_args set = { .event_id = event_id };
	double sum = 0, t0;
	int i;

	for (i = 0; i < n; i++) {
		if (ioctl(kfd, AMDKFD_IOC_SET_EVENT, &set))
			return -1;
		t0 = now_s();
		if (ioctl(kfd, AMDKFD_IOC_WAIT_EVENTS, &w) ||
		    w.wait_result != KFD_IOC_WAIT_RESULT_COMPLETE)
			return -1;
		sum += now_s() - t0;
	}
	return sum / n * 1e6;
}

static double null_ioctl_us(int kfd, int n)
{
	struct kfd_ioctl_get_version_args v;
	double t0 = now_s();
	int i;

	for (i = 0; i < n; i++)
		if (ioctl(kfd, AMDKFD_IOC_GET_VERSION, &v))
			return -1;
	return (now_s() - t0) / n * 1e6;
}

/* RELEASE_MEM writes the slot and interrupts; we sleep until woken. */
static double interrupt_round_trip(struct q *q, int kfd)
{
	uint64_t slot = events_page_va + 8 * event_id;
	uint32_t rm[] = {
		VKFD_PM4_HDR(VKFD_PM4_OP_RELEASE_MEM, 7), VKFD_PM4_EVENT_EOP,
		VKFD_PM4_RM_DATA(VKFD_PM4_DATA_32) | VKFD_PM4_RM_INT_WRITE,
		(uint32_t)slot, slot >> 32, 1, 0, event_id,
	};
	struct kfd_event_data ed = { .event_id = event_id };
	struct kfd_ioctl_wait_events_args w = {
		.events_ptr = (uintptr_t)&ed, .num_events = 1,
		.timeout = 5000,
	};
	double t0 = now_s();

	emit(q, rm, 8);
	kick(q, q->wptr);
	if (ioctl(kfd, AMDKFD_IOC_WAIT_EVENTS, &w) ||
	    w.wait_result != KFD_IOC_WAIT_RESULT_COMPLETE)
		return -1;
	return now_s() - t0;
}

static double trap_floor_us(int kfd, int n)
{
	unsigned int ids[1] = { gpu.gpu_id }, cnt = 0;
	uint64_t h, off = 0;
	volatile uint32_t *mmio;
	double t0;
	int i;

	if (alloc_bo(kfd, gpu.gpu_id, 0x7f0000000ULL, 4096,
		     KFD_IOC_ALLOC_MEM_FLAGS_MMIO_REMAP | F_RW, &h, &off) ||
	    map_bo(kfd, h, ids, 1, true, &cnt))
		return -1;
	mmio = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, kfd, off);
	if (mmio == MAP_FAILED)
		return -1;
	t0 = now_s();
	for (i = 0; i < n; i++)
		mmio[0] = 1;
	return (now_s() - t0) / n * 1e6;
}

static double packets_per_s(struct q *qs, int nq, int batches)
{
	uint32_t nop[] = { VKFD_PM4_HDR(VKFD_PM4_OP_NOP, 1), 0 };
	double t0 = now_s();
	int b, i, k;

	for (b = 0; b < batches; b++) {
		for (k = 0; k < nq; k++) {
			struct q *q = &qs[k];
			uint64_t t = data_va(q, 0);
			uint32_t wd[] = {
				VKFD_PM4_HDR(VKFD_PM4_OP_WRITE_DATA, 4), VKFD_PM4_WD_MEM,
				(uint32_t)t, t >> 32, 0,
			};

			/* 254 NOPs and a marker: 255 packets, < ring size */
			for (i = 0; i < 254 / nq + 1; i++)
				emit(q, nop, 2);
			wd[4] = b + 1;
			emit(q, wd, 5);
			kick(q, q->wptr);
		}
		for (k = 0; k < nq; k++)
			while (*(volatile uint32_t *)qs[k].data != (uint32_t)b + 1)
				;
	}
	return (double)batches * nq * (254 / nq + 2) / (now_s() - t0);
}

/*
 * A PM4 queue as queue_open() makes one, but with a one-page data area:
 * 1024 queues and then 1000 contexts with one each fit in a 2 GiB guest
 * (with queue_open()'s 1 MiB data areas, 953 queues filled it).
 */
static int queue_open_small(struct q *q, int kfd, int drm, uint64_t base_va)
{
	return queue_open_sized(&gpu, q, kfd, drm, base_va,
				KFD_IOC_QUEUE_TYPE_COMPUTE, 4096);
}

/*
 * Doorbell latency as device contexts are added (secondaries with a
 * queue each, two file descriptors each: a kfd and a render node): the
 * first process's queue 0 and the newest secondary's queue, against
 * queue 0 with one context.
 */
static void contexts_scaling(int n, struct q *qs)
{
	static const int steps[] = { 4, 16, 64, 256, 1000 };
	static struct q sq[999];
	struct rlimit rl = { 4096, 4096 };
	double base, lat, mine;
	int s = 0, i;

	if (setrlimit(RLIMIT_NOFILE, &rl))
		perror("setrlimit");
	base = latency_med_us(&qs[0], n);
	printf("doorbell latency with N contexts (queue 0; the newest context's queue; least of 5 medians):\n");
	printf("  %5d contexts: %8.2f us\n", 1, base);
	for (i = 0; i < (int)(sizeof(steps) / sizeof(steps[0])); i++) {
		for (; s < steps[i] - 1; s++) {
			int f = kfd_open(), d = open_render_node(&gpu);

			if (f < 0 || d < 0 || ioctl(f, AMDKFD_IOC_CREATE_PROCESS) ||
			    acquire_vm(f, d, gpu.gpu_id) ||
			    queue_open_small(&sq[s], f, d, 0x100000000ULL))
				break;
		}
		if (s < steps[i] - 1) {
			printf("  stopped at %d contexts: %s\n", s + 1,
			       strerror(errno));
			break;
		}
		lat = latency_med_us(&qs[0], n);
		mine = latency_med_us(&sq[s - 1], n);
		printf("  %5d contexts: %8.2f us (%.2fx); newest: %8.2f us (%.2fx)\n",
		       s + 1, lat, lat / base, mine, mine / base);
	}
}

int main(int argc, char **argv)
{
	static struct q qs[1024];
	int kfd, drm, n = argc > 1 ? atoi(argv[1]) : 2000, made, k;
	double floor_us, lat, base = 0, ql, p1;
	long msgs;

	if (vkfd_gpus(&gpu, 1) != 1)
		return 1;
	kfd = kfd_open();
	drm = open_render_node(&gpu);
	if (acquire_vm(kfd, drm, gpu.gpu_id) ||
	    queue_open(&gpu, &qs[0], kfd, drm, 0x100000000ULL,
		       KFD_IOC_QUEUE_TYPE_COMPUTE)) {
		perror("setup");
		return 1;
	}
	floor_us = trap_floor_us(kfd, n * 10);
	lat = latency_us(&qs[0], n);
	printf("trap floor (one MMIO write):        %8.2f us\n", floor_us);
	printf("doorbell to completion (PM4):       %8.2f us  (%.1fx the floor)\n",
	       lat, lat / floor_us);
	printf("packets/s, 1 queue:                 %8.0f\n",
	       packets_per_s(qs, 1, n / 20));
	if (!setup_event(kfd)) {
		double sum = 0, t0;
		int i, m = n / 4;

		interrupt_round_trip(&qs[0], kfd);
		t0 = now_s();
		for (i = 0; i < m; i++)
			sum += interrupt_round_trip(&qs[0], kfd);
		printf("submit to wake-up via interrupt:    %8.2f us  (%.2fx "
		       "polling)\n", sum / m * 1e6, sum / m * 1e6 / lat);
		printf("interrupts/s (one at a time):       %8.0f\n",
		       m / (now_s() - t0));
		printf("  floor: WAIT_EVENTS on a set event %8.2f us, "
		       "a null ioctl %.2f us\n", wait_set_us(kfd, m),
		       null_ioctl_us(kfd, m));
		/* 8 dwords each: 120 fit the 4 KiB ring */
		msgs = burst_interrupts(&qs[0], kfd, 10, 120);
		if (msgs > 0)
			printf("burst of 10 x 120 interrupts:       %8ld MSI-X "
			       "messages taken (%.1f entries a message)\n",
			       msgs, 1200.0 / msgs);
	}

	/* more queues, each its own ring and buffers */
	printf("doorbell latency with N queues mapped (queue 0, least of 5 medians):\n");
	made = 1;
	for (k = 1; k <= 1024; k *= 4) {
		for (; made < k && made < 1024; made++)
			if (queue_open_small(&qs[made], kfd, drm,
					     0x100000000ULL + made * 0x400000ULL))
				break;
		ql = latency_med_us(&qs[0], n / 4);
		if (made == 1)
			base = ql;
		printf("  %5d queues: %8.2f us (%.2fx)\n", made, ql, ql / base);
		if (made < k)
			break;
	}
	/*
	 * 64 queues against 1, alternated three times at the same point
	 * (1024 queues mapped), the best of each: a slow run is the host's
	 * other work, not the device's
	 */
	for (k = 0, p1 = 0, ql = 0; k < 3; k++) {
		double one = packets_per_s(qs, 1, n / 20);
		double many = packets_per_s(qs, 64, n / 40);

		p1 = one > p1 ? one : p1;
		ql = many > ql ? many : ql;
	}
	printf("packets/s, 64 queues:               %8.0f  (1 queue: %.0f, "
	       "%.2fx)\n", ql, p1, p1 / ql);

	contexts_scaling(n / 4, qs);
	return 0;
}
