// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A GPU's atomics on host memory are atomic against the host's CPUs: a
 * kernel's atomicAdd on a word of hipHostMalloc'ed (coherent) memory and
 * a CPU thread's __atomic_fetch_add on the same word never lose an
 * update, as with PCIe atomics on real hardware (HIP programs and ROCr
 * rely on it).  Run with two vCPUs (vkfd-vm --cpus 2): the kernel runs in
 * the device while a thread on the other vCPU hammers the word.
 *
 * For each kind -- 32-bit atomicAdd, 64-bit atomicAdd, 32-bit
 * atomicCAS increments -- and a few rounds of each: a CPU thread adds 1
 * to the word until told to stop, a kernel adds 1 N times meanwhile
 * (each lane waiting halfway until the thread has added more, so that
 * the two overlap whatever the host's scheduling); the word must end at
 * exactly N + the thread's adds.
 *
 * usage: hip-atomics [--rounds N]
 * TAP on stdout; an alarm ends a runtime that waits for ever.
 */
#include <hip/hip_runtime.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tap-stderr.h"

#define BLOCKS		32
#define THREADS		256
#define PER_THREAD	32	/* atomicAdd: 262144 a kernel */
#define CAS_BLOCKS	8
#define CAS_THREADS	64
#define CAS_PER_THREAD	4	/* atomicCAS: 2048 increments a kernel */

static int count, failed;

static bool ok(bool cond, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static bool ok(bool cond, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	printf("%sok %d - %s\n", cond ? "" : "not ", ++count, msg);
	fflush(stdout);
	if (!cond)
		failed++;
	return cond;
}

/*
 * Halfway through its adds, a lane waits until the CPU thread has moved
 * its tick on from what the lane saw at the start: the CPU is then
 * known to add while the kernel runs, however the host schedules the
 * two.
 */
__device__ static void wait_cpu(const unsigned int *tick, unsigned int seen)
{
	while (__atomic_load_n(tick, __ATOMIC_RELAXED) == seen)
		__builtin_amdgcn_s_sleep(2);
}

__global__ void add32(unsigned int *p, const unsigned int *tick,
		      unsigned int n)
{
	unsigned int seen = __atomic_load_n(tick, __ATOMIC_RELAXED);

	for (unsigned int i = 0; i < n; i++) {
		if (i == n / 2)
			wait_cpu(tick, seen);
		atomicAdd(p, 1u);
	}
}

__global__ void add64(unsigned long long *p, const unsigned int *tick,
		      unsigned int n)
{
	unsigned int seen = __atomic_load_n(tick, __ATOMIC_RELAXED);

	for (unsigned int i = 0; i < n; i++) {
		if (i == n / 2)
			wait_cpu(tick, seen);
		atomicAdd(p, 1ull);
	}
}

/* increments by compare-and-swap, each lane retrying until it wins */
__global__ void cas32(unsigned int *p, const unsigned int *tick,
		      unsigned int n)
{
	unsigned int seen = __atomic_load_n(tick, __ATOMIC_RELAXED);

	for (unsigned int i = 0; i < n; i++) {
		unsigned int old = __atomic_load_n(p, __ATOMIC_RELAXED), got;

		if (i == n / 2)
			wait_cpu(tick, seen);
		while ((got = atomicCAS(p, old, old + 1)) != old)
			old = got;
	}
}

enum kind { ADD32, ADD64, CAS32 };

/* in enum kind's order */
static const char *const kind_name[] = {
	"32-bit atomicAdd", "64-bit atomicAdd", "32-bit atomicCAS increments",
};

struct adder {
	void *word;
	unsigned int *tick;	/* moved on every 64 adds, read by kernels */
	bool wide;
	int stop;		/* set by the main thread */
	uint64_t done;		/* adds made, published as they go */
};

/* The CPU's side: add 1 to the word, 64 at a time, until told to stop. */
static void *cpu_adder(void *arg)
{
	struct adder *a = (struct adder *)arg;
	uint64_t done = 0;
	int k;

	while (!__atomic_load_n(&a->stop, __ATOMIC_ACQUIRE)) {
		for (k = 0; k < 64; k++) {
			if (a->wide)
				__atomic_fetch_add((uint64_t *)a->word, 1,
						   __ATOMIC_SEQ_CST);
			else
				__atomic_fetch_add((uint32_t *)a->word, 1,
						   __ATOMIC_SEQ_CST);
		}
		done += 64;
		__atomic_store_n(&a->done, done, __ATOMIC_RELEASE);
		__atomic_fetch_add(a->tick, 1, __ATOMIC_RELEASE);
	}
	return NULL;
}

static uint64_t adder_done(struct adder *a)
{
	return __atomic_load_n(&a->done, __ATOMIC_ACQUIRE);
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* word: the word at the start of the page, the tick 64 bytes on */
static void round_of(enum kind kind, int round, void *word)
{
	unsigned int *tick = (unsigned int *)((char *)word + 64);
	struct adder a = { word, tick, kind == ADD64, 0, 0 };
	uint64_t n, before, during, want, got;
	double t0, ms;
	pthread_t t;
	hipError_t e;

	memset(word, 0, 8);
	if (!ok(pthread_create(&t, NULL, cpu_adder, &a) == 0,
		"%s, round %d: CPU thread started", kind_name[kind], round))
		return;
	/* the thread is adding before the kernel starts */
	while (adder_done(&a) < 64 * 64)
		sched_yield();
	before = adder_done(&a);
	t0 = now_ms();
	switch (kind) {
	case ADD32:
		n = (uint64_t)BLOCKS * THREADS * PER_THREAD;
		hipLaunchKernelGGL(add32, dim3(BLOCKS), dim3(THREADS), 0, 0,
				   (unsigned int *)word, tick, PER_THREAD);
		break;
	case ADD64:
		n = (uint64_t)BLOCKS * THREADS * PER_THREAD;
		hipLaunchKernelGGL(add64, dim3(BLOCKS), dim3(THREADS), 0, 0,
				   (unsigned long long *)word, tick, PER_THREAD);
		break;
	default:
		n = (uint64_t)CAS_BLOCKS * CAS_THREADS * CAS_PER_THREAD;
		hipLaunchKernelGGL(cas32, dim3(CAS_BLOCKS), dim3(CAS_THREADS),
				   0, 0, (unsigned int *)word, tick,
				   CAS_PER_THREAD);
		break;
	}
	e = hipDeviceSynchronize();
	ms = now_ms() - t0;
	during = adder_done(&a) - before;
	__atomic_store_n(&a.stop, 1, __ATOMIC_RELEASE);
	pthread_join(t, NULL);
	want = n + a.done;
	if (kind != ADD64)
		want = (uint32_t)want;	/* the word wraps at 32 bits */
	got = kind == ADD64 ? *(volatile uint64_t *)word
			    : *(volatile uint32_t *)word;
	ok(e == hipSuccess && got == want,
	   "%s, round %d: %llu (kernel %llu + CPU %llu), lost %lld",
	   kind_name[kind], round, (unsigned long long)got,
	   (unsigned long long)n, (unsigned long long)a.done,
	   (long long)(want - got));
	ok(during > 0, "%s, round %d: the CPU added %llu times while the "
	   "kernel ran (%.1f ms)", kind_name[kind], round,
	   (unsigned long long)during, ms);
}

int main(int argc, char **argv)
{
	int rounds = 5, kind, r;
	void *word = NULL;
	hipError_t e;

	tap_stderr_as_comments();
	if (argc == 3 && !strcmp(argv[1], "--rounds"))
		rounds = atoi(argv[2]);
	/* a runtime that never returns ends the test instead of hanging */
	alarm(300);
	ok(sysconf(_SC_NPROCESSORS_ONLN) >= 2, "%ld CPUs online (2 wanted)",
	   sysconf(_SC_NPROCESSORS_ONLN));
	e = hipHostMalloc(&word, 4096, hipHostMallocCoherent);
	if (!ok(e == hipSuccess && word, "hipHostMalloc coherent"))
		goto out;
	/* the code object loads at the first launch: not inside a round */
	hipLaunchKernelGGL(add32, dim3(1), dim3(64), 0, 0,
			   (unsigned int *)word, (unsigned int *)word + 16, 0);
	ok(hipDeviceSynchronize() == hipSuccess, "a first, empty kernel");
	for (kind = ADD32; kind <= CAS32; kind++)
		for (r = 1; r <= rounds; r++)
			round_of((enum kind)kind, r, word);
	ok(hipHostFree(word) == hipSuccess, "hipHostFree");
out:
	printf("1..%d\n", count);
	return failed ? 1 : 0;
}
