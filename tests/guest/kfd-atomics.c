// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * usage: kfd-atomics [KICKS]
 *
 * Guest test, two vCPUs: the queue engines' atomics are atomic against
 * the guest's CPUs, as the hardware's are (PCIe atomics, the CP's
 * signal decrement).  While a thread on the other vCPU adds 1 to a word
 * of GTT memory (guest RAM) with __atomic_fetch_add until told to stop:
 *
 *  - an SDMA queue runs KICKS kicks of SDMA_BATCH ATOMIC packets, each a
 *    64-bit add of 1 to that word;
 *  - an AQL queue runs KICKS kicks of AQL_BATCH BARRIER_AND packets whose
 *    completion signal's value is that word, each decrementing it.
 *
 * The word must end at exactly the device's adds (or less its
 * decrements) plus the thread's.  Before the device's atomics were host
 * compare-and-swaps, some of the thread's adds were lost.  Prints TAP.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdint.h>

#include "tap.h"
#include "kfd-queue-util.h"

#define KICKS		3000	/* a run's default; argv[1] changes it */
#define SDMA_BATCH	100	/* 32-byte packets in a 4 KiB ring */
#define AQL_BATCH	48	/* 64-byte packets in a ring of 64 slots */
#define SIGNAL_START	(1LL << 40)

static struct vkfd_gpu gpu;
static int kicks = KICKS;

struct adder {
	volatile uint64_t *word;
	int stop;
	uint64_t done;
	pthread_t thread;
};

/* Stop it; its adds. */
static uint64_t adder_stop(struct adder *a)
{
	__atomic_store_n(&a->stop, 1, __ATOMIC_RELEASE);
	pthread_join(a->thread, NULL);
	return a->done;
}

static void *adder_run(void *arg)
{
	struct adder *a = arg;
	uint64_t done = 0;
	int k;

	while (!__atomic_load_n(&a->stop, __ATOMIC_ACQUIRE)) {
		for (k = 0; k < 64; k++)
			__atomic_fetch_add(a->word, 1, __ATOMIC_SEQ_CST);
		done += 64;
		__atomic_store_n(&a->done, done, __ATOMIC_RELEASE);
	}
	return NULL;
}

/* Run the calling thread on CPU cpu only. */
static bool pin_to(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return !sched_setaffinity(0, sizeof(set), &set);
}

/*
 * Start the thread on CPU 1 and wait until it is adding.  The main
 * thread stays on CPU 0: a queue's first turn runs in the vCPU that
 * rings its doorbell, so the two must not share one.
 */
static bool adder_start(struct adder *a, volatile uint64_t *word)
{
	cpu_set_t set;

	a->word = word;
	a->stop = 0;
	a->done = 0;
	CPU_ZERO(&set);
	CPU_SET(1, &set);
	if (pthread_create(&a->thread, NULL, adder_run, a))
		return false;
	if (pthread_setaffinity_np(a->thread, sizeof(set), &set)) {
		adder_stop(a);
		return false;
	}
	while (__atomic_load_n(&a->done, __ATOMIC_ACQUIRE) < 4096)
		sched_yield();
	return true;
}


static void test_sdma(int kfd, int drm)
{
	volatile uint64_t *word;
	uint64_t va, cpu, before, during = 0;
	struct adder a;
	struct q q;
	int k, i;
	bool ok = true;

	if (!tap_ok(queue_open(&gpu, &q, kfd, drm, 0x300000000ULL,
			       KFD_IOC_QUEUE_TYPE_SDMA) == 0, "an SDMA queue"))
		return;
	word = (volatile uint64_t *)(q.data + 0x100);
	*word = 0;
	va = data_va(&q, 0x100);
	if (!tap_ok(adder_start(&a, word), "SDMA: the CPU thread adds")) {
		queue_close(&q);
		return;
	}
	for (k = 0; k < kicks && ok; k++) {
		for (i = 0; i < SDMA_BATCH; i++) {
			uint32_t at[8] = {
				VKFD_SDMA_HEADER(VKFD_SDMA_OP_ATOMIC, 0) |
				VKFD_SDMA_ATOMIC_ADD64 << 25,
				(uint32_t)va, va >> 32, 1, 0, 0, 0, 0,
			};

			emit(&q, at, 8);
		}
		before = __atomic_load_n(&a.done, __ATOMIC_ACQUIRE);
		kick(&q, q.wptr);
		ok = queue_wait_consumed(&q);
		during += __atomic_load_n(&a.done, __ATOMIC_ACQUIRE) - before;
	}
	cpu = adder_stop(&a);
	tap_ok(ok, "SDMA: %d kicks of %d ATOMIC packets consumed", kicks,
	       SDMA_BATCH);
	tap_ok(*word == (uint64_t)kicks * SDMA_BATCH + cpu,
	       "SDMA: the word is %llu: %d device adds + %llu CPU adds "
	       "(%llu of them while the queue ran), lost %lld",
	       (unsigned long long)*word, kicks * SDMA_BATCH,
	       (unsigned long long)cpu, (unsigned long long)during,
	       (long long)((uint64_t)kicks * SDMA_BATCH + cpu - *word));
	queue_close(&q);
}

static void test_aql(int kfd, int drm)
{
	volatile uint8_t *sig;
	volatile int64_t *value;
	uint64_t cpu, before, during = 0;
	int64_t want;
	struct adder a;
	struct q q;
	int k, i;
	bool ok = true;

	if (!tap_ok(queue_open(&gpu, &q, kfd, drm, 0x500000000ULL,
			       KFD_IOC_QUEUE_TYPE_COMPUTE_AQL) == 0,
		    "an AQL queue"))
		return;
	sig = q.data + 0x400;
	value = (volatile int64_t *)(sig + VKFD_SIGNAL_VALUE);
	*(volatile uint64_t *)sig = 1;				/* user */
	*value = SIGNAL_START;
	*(volatile uint64_t *)(sig + VKFD_SIGNAL_MAILBOX) = 0;
	if (!tap_ok(adder_start(&a, (volatile uint64_t *)value),
		    "AQL: the CPU thread adds to the completion signal")) {
		queue_close(&q);
		return;
	}
	for (k = 0; k < kicks && ok; k++) {
		for (i = 0; i < AQL_BATCH; i++) {
			uint8_t *slot = (uint8_t *)q.ring +
				((q.wptr + i) % (q.ring_size / 64)) * 64;
			uint8_t pkt[64] = { 0 };

			*(uint64_t *)(pkt + 56) = data_va(&q, 0x400);
			memcpy(slot + 2, pkt + 2, 62);
			__atomic_store_n((uint16_t *)slot,
					 VKFD_AQL_TYPE_BARRIER_AND,
					 __ATOMIC_RELEASE);
		}
		q.wptr += AQL_BATCH;
		before = __atomic_load_n(&a.done, __ATOMIC_ACQUIRE);
		kick(&q, q.wptr - 1);
		ok = queue_wait_consumed(&q);
		during += __atomic_load_n(&a.done, __ATOMIC_ACQUIRE) - before;
	}
	cpu = adder_stop(&a);
	tap_ok(ok, "AQL: %d kicks of %d barriers consumed", kicks, AQL_BATCH);
	want = SIGNAL_START - (int64_t)kicks * AQL_BATCH + (int64_t)cpu;
	tap_ok(*value == want,
	       "AQL: the signal is %lld: %lld - %d decrements + %llu CPU "
	       "adds (%llu of them while the queue ran), lost %lld",
	       (long long)*value, (long long)SIGNAL_START, kicks * AQL_BATCH,
	       (unsigned long long)cpu, (unsigned long long)during,
	       (long long)(want - *value));
	queue_close(&q);
}

int main(int argc, char **argv)
{
	int kfd, drm;

	if (argc > 1)
		kicks = atoi(argv[1]);
	tap_share();
	if (!tap_ok(vkfd_gpus(&gpu, 1) == 1, "a vkfd device"))
		return tap_done();
	tap_ok(sysconf(_SC_NPROCESSORS_ONLN) >= 2 && pin_to(0),
	       "%ld CPUs online (2 wanted), this thread on CPU 0",
	       sysconf(_SC_NPROCESSORS_ONLN));
	kfd = kfd_open();
	drm = open_render_node(&gpu);
	tap_zero(acquire_vm(kfd, drm, gpu.gpu_id), "bound");
	test_sdma(kfd, drm);
	test_aql(kfd, drm);
	close(kfd);
	printf("1..%d\n", tap_count);
	return tap_done();
}
