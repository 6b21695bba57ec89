// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Debian's unmodified HIP runtime (libamdhip64 5.2.3) on vkfd: device count
 * and properties, hipMalloc, host -> device -> host copies checked byte
 * for byte, hipFree.  Built by hipcc at test time (meson.build); no kernel
 * of ours is launched.
 *
 * HIP 5.2 dispatches one of its own blit kernels the first time it uses a
 * stream (the first hipMemcpy, even a hipFree), so on a vkfd without the
 * shader core those calls cannot complete (docs/rocm.md, "HIP").  With
 * --no-isa the test reports them as skipped, saying why, instead of
 * waiting for them; without it, it tries them (an alarm ends a runtime
 * that waits for ever).
 *
 * usage: hip-memory [--devices N] [--no-isa]
 *
 * TAP on stdout.  The runtime's stderr (libdrm's "DRM version" line) comes
 * out as TAP comments through the parent process, which also reports a
 * crash inside the runtime.
 */
#include <hip/hip_runtime.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "tap-stderr.h"

static int count, failed;
static bool no_isa;

static void skip(const char *what, int dev)
{
	printf("ok %d - device %d: %s # SKIP needs the shader core: HIP runs "
	       "a blit kernel at its first stream use\n", ++count, dev, what);
	fflush(stdout);
}

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
 * hipMemcpy of `bytes`: below the runtime's pinning threshold (1 MiB) it
 * stages through its own buffer, above it pins the user's pages; both go
 * through SDMA.
 */
static void check_copy(int dev, size_t bytes)
{
	uint8_t *src, *dst;
	void *d = NULL;
	hipError_t e;
	size_t i, bad = 0;

	e = hipMalloc(&d, bytes);
	if (!ok(e == hipSuccess && d, "device %d: hipMalloc %zu KiB (%s)", dev,
		bytes >> 10, hipGetErrorString(e)))
		return;
	if (no_isa) {
		skip("hipMemcpy host -> device", dev);
		skip("hipMemcpy device -> host", dev);
		skip("every byte came back", dev);
		skip("hipFree", dev);
		return;
	}
	src = (uint8_t *)malloc(bytes);
	dst = (uint8_t *)malloc(bytes);
	if (!src || !dst)
		exit(2);
	for (i = 0; i < bytes; i++)
		src[i] = (uint8_t)(i * 157 + (i >> 11) + dev);
	memset(dst, 0xa5, bytes);
	e = hipMemcpy(d, src, bytes, hipMemcpyHostToDevice);
	ok(e == hipSuccess, "device %d: hipMemcpy %zu KiB host -> device (%s)",
	   dev, bytes >> 10, hipGetErrorString(e));
	e = hipMemcpy(dst, d, bytes, hipMemcpyDeviceToHost);
	ok(e == hipSuccess, "device %d: hipMemcpy %zu KiB device -> host (%s)",
	   dev, bytes >> 10, hipGetErrorString(e));
	for (i = 0; i < bytes; i++)
		bad += dst[i] != src[i];
	ok(bad == 0, "device %d: every byte of %zu KiB came back (%zu differ)",
	   dev, bytes >> 10, bad);
	e = hipFree(d);
	ok(e == hipSuccess, "device %d: hipFree (%s)", dev,
	   hipGetErrorString(e));
	free(src);
	free(dst);
}

static void check_device(int dev)
{
	hipDeviceProp_t prop;
	hipError_t e;

	e = hipSetDevice(dev);
	ok(e == hipSuccess, "device %d: hipSetDevice (%s)", dev,
	   hipGetErrorString(e));
	memset(&prop, 0, sizeof(prop));
	e = hipGetDeviceProperties(&prop, dev);
	ok(e == hipSuccess, "device %d: hipGetDeviceProperties (%s)", dev,
	   hipGetErrorString(e));
	printf("# device %d: name '%s' gcnArchName '%s' totalGlobalMem %zu "
	       "multiProcessorCount %d warpSize %d\n", dev, prop.name,
	       prop.gcnArchName, prop.totalGlobalMem, prop.multiProcessorCount,
	       prop.warpSize);
	ok(!strncmp(prop.gcnArchName, "gfx9", 4), "device %d: gcnArchName %s",
	   dev, prop.gcnArchName);
	ok(prop.totalGlobalMem >= (64u << 20) &&
	   prop.multiProcessorCount > 0 && prop.warpSize == 64,
	   "device %d: %zu MiB, %d CUs, warp %d", dev,
	   prop.totalGlobalMem >> 20, prop.multiProcessorCount, prop.warpSize);

	check_copy(dev, 64u << 10);
	check_copy(dev, 3u << 20);
}

int main(int argc, char **argv)
{
	int n = -1, want = 0;
	hipError_t e;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--devices") && i + 1 < argc) {
			want = atoi(argv[++i]);
		} else if (!strcmp(argv[i], "--no-isa")) {
			no_isa = true;
		} else {
			fprintf(stderr, "usage: %s [--devices N] [--no-isa]\n",
				argv[0]);
			return 2;
		}
	}

	tap_stderr_as_comments();
	/* A runtime waiting forever on a failed queue ends as a Bail out. */
	alarm(240);
	e = hipGetDeviceCount(&n);
	ok(e == hipSuccess && n > 0 && (!want || n == want),
	   "hipGetDeviceCount: %d (%s)%s", n, hipGetErrorString(e),
	   want ? "" : ", any number wanted");
	for (int dev = 0; dev < n; dev++)
		check_device(dev);
	printf("1..%d\n", count);
	fflush(stdout);
	/*
	 * Without our exit handlers: the runtime's teardown would use the
	 * stream that --no-isa kept us from touching.
	 */
	_exit(failed ? 1 : 0);
}
