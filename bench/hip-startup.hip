// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Start-up of Debian's HIP runtime 5.2.3 in a vkfd guest (docs/rocm.md):
 * the first HIP call (hipGetDeviceCount: ROCr and ROCclr come up), then
 * the first hipMalloc and hipFree.  Built by hipcc.
 */
#include <hip/hip_runtime.h>
#include <stdio.h>
#include <time.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(void)
{
	double t0 = now(), t1, t2, t3;
	void *p = NULL;
	int n = 0;

	if (hipGetDeviceCount(&n) != hipSuccess || n < 1)
		return 1;
	t1 = now();
	if (hipMalloc(&p, 1 << 20) != hipSuccess)
		return 1;
	t2 = now();
	if (hipFree(p) != hipSuccess)
		return 1;
	t3 = now();
	printf("hipGetDeviceCount (runtime init) %.3f s, first hipMalloc %.3f s, "
	       "hipFree %.3f s, %d device(s)\n", t1 - t0, t2 - t1, t3 - t2, n);
	return 0;
}
