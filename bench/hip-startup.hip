// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Start-up of Debian's HIP runtime 5.2.3 in a vkfd guest (docs/rocm.md):
 * the first HIP call (hipGetDeviceCount: ROCr and ROCclr come up), then
 * the first hipMalloc.  Built by hipcc.
 *
 * It leaves with _exit() and never frees: hipFree and the runtime's
 * teardown use HIP's stream, whose first use dispatches one of the
 * runtime's blit kernels, which needs the shader core (docs/rocm.md).
 */
#include <hip/hip_runtime.h>
#include <stdio.h>
#include <unistd.h>
#include <time.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(void)
{
	double t0 = now(), t1, t2;
	void *p = NULL;
	int n = 0;

	if (hipGetDeviceCount(&n) != hipSuccess || n < 1)
		return 1;
	t1 = now();
	if (hipMalloc(&p, 1 << 20) != hipSuccess)
		return 1;
	t2 = now();
	printf("hipGetDeviceCount (runtime init) %.3f s, first hipMalloc %.3f s, "
	       "%d device(s)\n", t1 - t0, t2 - t1, n);
	fflush(stdout);
	_exit(0);
}
