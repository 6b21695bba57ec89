// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * HIP managed memory on vkfd through Debian's unmodified HIP 5.2.3
 * (issue 12, point 1).  With the topology's SVM API bit set, ROCr
 * reports SVM support and HIP's hipMallocManaged takes anonymous memory
 * of the process and registers it with AMDKFD_IOC_SVM (no buffer
 * object): the driver mirrors it into the GPU's VM.  Checked, on every
 * device in turn:
 *
 *  - the device says it has managed memory;
 *  - hipMallocManaged's memory is an SVM range of this process (debugfs
 *    "processes" counts the driver's ranges);
 *  - a kernel writes every word, the CPU reads them after
 *    hipDeviceSynchronize; the CPU writes, a kernel reads and rewrites
 *    them, the CPU reads the kernel's results;
 *  - hipMemAdvise (preferred location, accessed by) and
 *    hipMemPrefetchAsync to the device and back to the CPU succeed and
 *    change nothing the CPU or the GPU sees (no device-private memory in
 *    Debian's kernel: the pages stay in system memory);
 *  - hipFree.
 *
 * usage: hip-managed [--devices N]
 * TAP on stdout; an alarm ends a runtime that waits for ever.
 */
#include <hip/hip_runtime.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tap-stderr.h"

#define WORDS	(1u << 16)

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

__global__ void fill(unsigned int *p, unsigned int n, unsigned int seed)
{
	unsigned int i = blockIdx.x * blockDim.x + threadIdx.x;

	if (i < n)
		p[i] = i * 2654435761u + seed;
}

__global__ void twice_plus_one(unsigned int *p, unsigned int n)
{
	unsigned int i = blockIdx.x * blockDim.x + threadIdx.x;

	if (i < n)
		p[i] = p[i] * 2 + 1;
}

/* The driver's SVM range count for this process, -1 if not found. */
static long svm_ranges(void)
{
	FILE *f = fopen("/sys/kernel/debug/vkfd/processes", "r");
	char line[512], want[32];
	const char *c;
	long n = -1;

	snprintf(want, sizeof(want), "tgid %d primary", getpid());
	while (f && fgets(line, sizeof(line), f)) {
		c = strstr(line, " svm ranges ");
		if (!strncmp(line, want, strlen(want)) && c)
			n = strtol(c + 12, NULL, 10);
	}
	if (f)
		fclose(f);
	return n;
}

static unsigned int bad_words(const unsigned int *p, unsigned int seed)
{
	unsigned int i, bad = 0;

	for (i = 0; i < WORDS; i++)
		bad += p[i] != i * 2654435761u + seed;
	return bad;
}

static void check_device(int dev)
{
	unsigned int *p = NULL, i, bad;
	long before = svm_ranges(), after;
	hipError_t e;
	int v = -1;

	ok(hipSetDevice(dev) == hipSuccess, "device %d: hipSetDevice", dev);
	e = hipDeviceGetAttribute(&v, hipDeviceAttributeManagedMemory, dev);
	ok(e == hipSuccess && v == 1, "device %d: managed memory (%d)", dev,
	   v);
	e = hipMallocManaged((void **)&p, WORDS * 4, hipMemAttachGlobal);
	if (!ok(e == hipSuccess && p, "device %d: hipMallocManaged %u KiB",
		dev, WORDS * 4 / 1024))
		return;
	/*
	 * The first registers the process's first range; a later one may
	 * take the place of one hipFree unmapped (its cut is made at the
	 * next SVM call, this one).
	 */
	after = svm_ranges();
	ok(after >= 1 && (dev > 0 || after > (before < 0 ? 0 : before)),
	   "device %d: it is an SVM range of this process (%ld -> %ld)", dev,
	   before, after);

	memset(p, 0, WORDS * 4);
	hipLaunchKernelGGL(fill, dim3(WORDS / 256), dim3(256), 0, 0, p, WORDS,
			   7u + dev);
	e = hipDeviceSynchronize();
	bad = bad_words(p, 7u + dev);
	ok(e == hipSuccess && !bad,
	   "device %d: a kernel wrote it, the CPU reads every word (%u bad)",
	   dev, bad);

	for (i = 0; i < WORDS; i++)
		p[i] = i ^ 0x5a5a;
	hipLaunchKernelGGL(twice_plus_one, dim3(WORDS / 256), dim3(256), 0, 0,
			   p, WORDS);
	e = hipDeviceSynchronize();
	for (bad = 0, i = 0; i < WORDS; i++)
		bad += p[i] != ((i ^ 0x5a5a) * 2 + 1);
	ok(e == hipSuccess && !bad,
	   "device %d: the kernel read the CPU's words (%u bad)", dev, bad);

	ok(hipMemAdvise(p, WORDS * 4, hipMemAdviseSetPreferredLocation,
			dev) == hipSuccess &&
	   hipMemAdvise(p, WORDS * 4, hipMemAdviseSetAccessedBy, dev) ==
	   hipSuccess, "device %d: hipMemAdvise preferred, accessed by", dev);
	ok(hipMemPrefetchAsync(p, WORDS * 4, dev, 0) == hipSuccess,
	   "device %d: hipMemPrefetchAsync to the device", dev);
	hipLaunchKernelGGL(fill, dim3(WORDS / 256), dim3(256), 0, 0, p, WORDS,
			   99u);
	e = hipDeviceSynchronize();
	ok(e == hipSuccess &&
	   hipMemPrefetchAsync(p, WORDS * 4, hipCpuDeviceId, 0) ==
	   hipSuccess && hipDeviceSynchronize() == hipSuccess,
	   "device %d: a kernel after it, prefetch back to the CPU", dev);
	bad = bad_words(p, 99u);
	ok(!bad, "device %d: the CPU reads the kernel's words (%u bad)", dev,
	   bad);
	ok(hipFree(p) == hipSuccess, "device %d: hipFree", dev);
}

int main(int argc, char **argv)
{
	int want = 1, n = 0;

	tap_stderr_as_comments();
	if (argc == 3 && !strcmp(argv[1], "--devices"))
		want = atoi(argv[2]);
	/* a runtime that never returns ends the test instead of hanging */
	alarm(500);
	ok(hipGetDeviceCount(&n) == hipSuccess && n == want,
	   "hipGetDeviceCount: %d (want %d)", n, want);
	for (int dev = 0; dev < n; dev++)
		check_device(dev);
	printf("1..%d\n", count);
	return failed ? 1 : 0;
}
