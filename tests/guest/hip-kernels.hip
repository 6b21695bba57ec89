// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Real gfx90a kernels, built by Debian's hipcc 5.2.3 at test time, run
 * through the unmodified HIP runtime on vkfd's shader core (issue 13,
 * docs/shader-core.md "Running HIP kernels").  Every result is checked
 * against the same computation on the host; a wrong one names the kernel,
 * the device and the first element that differs.
 *
 * Cases: vector add (1M elements), SAXPY f32 and f64, a 2-D grid with
 * partial workgroups, a 3-D grid of 1024-work-item groups with LDS sized
 * at launch, LDS and float atomics, an LDS reduction with __syncthreads and a 64-bit
 * global atomicAdd, i32/u32 and i64/u64 division and modulo, divergent
 * branches and loops, a private array indexed at run time (scratch),
 * __shfl and __shfl_xor, f32/f64 division, sqrt, min, floor, f16 and
 * integer conversions, 8/16-bit and packed f16 arithmetic, a matrix
 * multiply with partial workgroups, printf, hipMemset and device-to-device
 * hipMemcpy (the runtime's own blit kernels), host <-> device copies with
 * ROCr's blit shaders (SDMA off).  Then, on device 0, a kernel
 * that never ends: another process's kernel runs beside it, it is killed
 * with its process, a kernel runs afterwards; a kernel that stores out of
 * bounds gets the runtime's memory-fault report naming the address and
 * dies of SIGABRT; a kernel that calls __builtin_trap() (s_trap 2) gets
 * HIP's queue-error report (HSA_STATUS_ERROR_EXCEPTION) and dies of
 * SIGABRT.
 *
 * HIP cannot be forked, so the parent never calls it: a worker process
 * runs the cases one after the other and marks its progress in shared
 * memory; a case that takes longer than --case-timeout, or a worker that
 * dies, fails that case and a new worker goes on with the next one.
 *
 * usage: hip-kernels [--devices N] [--only CASE] [--case-timeout S]
 *                    [--no-fatal] [--list]
 *
 * TAP on stdout; the runtime's stderr comes out as "# stderr:" comments.
 */
#include <hip/hip_runtime.h>
#include <hip/hip_fp16.h>
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "tap-stderr.h"

/* ---- device code (docs/shader-core.md lists what clang makes of it) ---- */

extern "C" {
__global__ void vadd(const float *a, const float *b, float *c, unsigned n)
{
	unsigned i = blockIdx.x * blockDim.x + threadIdx.x;

	if (i < n)
		c[i] = a[i] + b[i];
}

__global__ void saxpy_f32(float a, const float *x, float *y, unsigned n)
{
	unsigned i = blockIdx.x * blockDim.x + threadIdx.x;

	if (i < n)
		y[i] = a * x[i] + y[i];
}

__global__ void saxpy_f64(double a, const double *x, double *y, unsigned n)
{
	unsigned i = blockIdx.x * blockDim.x + threadIdx.x;

	if (i < n)
		y[i] = a * x[i] + y[i];
}

__global__ void grid2d(uint32_t *out, unsigned w, unsigned h)
{
	unsigned x = blockIdx.x * blockDim.x + threadIdx.x;
	unsigned y = blockIdx.y * blockDim.y + threadIdx.y;

	if (x < w && y < h)
		out[y * w + x] = (x << 16) ^ (y << 4) ^
				 (threadIdx.x * 3 + threadIdx.y) ^
				 (blockIdx.x << 24) ^ blockIdx.y;
}

__global__ void grid3d(uint32_t *out, float *fsum, unsigned nx, unsigned ny,
		       unsigned nz)
{
	extern __shared__ uint32_t dyn[];	/* the packet's LDS size */
	unsigned n = blockDim.x * blockDim.y * blockDim.z;
	unsigned t = threadIdx.x +
		     blockDim.x * (threadIdx.y + blockDim.y * threadIdx.z);
	unsigned x = blockIdx.x * blockDim.x + threadIdx.x;
	unsigned y = blockIdx.y * blockDim.y + threadIdx.y;
	unsigned z = blockIdx.z * blockDim.z + threadIdx.z;

	dyn[t] = 0;
	__syncthreads();
	atomicAdd(&dyn[(x * 7 + y * 3 + z) % n], 1u);	/* ds_add_u32 */
	__syncthreads();
	if (x < nx && y < ny && z < nz)
		out[(z * ny + y) * nx + x] = (x | y << 10 | z << 20) ^
					     (dyn[t] << 24);
	atomicAdd(fsum, 0.5f);	/* a global_atomic_cmpswap loop */
}

__global__ void reduce(const uint32_t *in, unsigned long long *sum, unsigned n)
{
	__shared__ uint32_t part[256];
	unsigned t = threadIdx.x, i = blockIdx.x * blockDim.x + t;

	part[t] = i < n ? in[i] : 0;
	__syncthreads();
	for (unsigned s = blockDim.x / 2; s > 0; s >>= 1) {
		if (t < s)
			part[t] += part[t + s];
		__syncthreads();
	}
	if (t == 0)
		atomicAdd(sum, (unsigned long long)part[0]);
}

__global__ void divmod(const int32_t *a, const int32_t *b, int32_t *q,
		       int32_t *r, uint32_t *uq, uint32_t *ur, unsigned n)
{
	unsigned i = blockIdx.x * blockDim.x + threadIdx.x;

	if (i >= n)
		return;
	q[i] = a[i] / b[i];
	r[i] = a[i] % b[i];
	uq[i] = (uint32_t)a[i] / (uint32_t)b[i];
	ur[i] = (uint32_t)a[i] % (uint32_t)b[i];
}

__global__ void divmod64(const int64_t *a, const int64_t *b, int64_t *q,
			 int64_t *r, uint64_t *uq, uint64_t *ur, unsigned n)
{
	unsigned i = blockIdx.x * blockDim.x + threadIdx.x;

	if (i >= n)
		return;
	q[i] = a[i] / b[i];
	r[i] = a[i] % b[i];
	uq[i] = (uint64_t)a[i] / (uint64_t)b[i];
	ur[i] = (uint64_t)a[i] % (uint64_t)b[i];
}

__global__ void diverge(const uint32_t *in, uint32_t *out, unsigned n)
{
	unsigned i = blockIdx.x * blockDim.x + threadIdx.x;
	uint32_t v, steps = 0;

	if (i >= n)
		return;
	v = in[i];
	if (v & 1) {
		while (v != 1 && steps < 1000) {
			v = (v & 1) ? 3 * v + 1 : v >> 1;
			steps++;
		}
	} else {
		for (uint32_t k = 0; k < (v & 15); k++)
			steps += k * v;
	}
	out[i] = steps;
}

__global__ void scratch(const uint32_t *idx, uint32_t *out, unsigned n)
{
	volatile uint32_t priv[64];
	unsigned i = blockIdx.x * blockDim.x + threadIdx.x;
	uint32_t s = 0;

	if (i >= n)
		return;
	for (int k = 0; k < 64; k++)
		priv[k] = i * 64 + k;
	for (int k = 0; k < 8; k++)
		s += priv[(idx[i] + k * 7) & 63];
	out[i] = s;
}

__global__ void shuffle(const int32_t *in, int32_t *out_shfl,
			int32_t *out_xor, unsigned n)
{
	unsigned i = blockIdx.x * blockDim.x + threadIdx.x;
	int v = i < n ? in[i] : 0;
	int s = __shfl(v, (threadIdx.x * 5 + 3) & 63);
	int x = v;

	for (int m = 1; m < 64; m <<= 1)
		x += __shfl_xor(x, m);
	if (i < n) {
		out_shfl[i] = s;
		out_xor[i] = x;
	}
}

__global__ void fmath(const float *a, const float *b, const double *c,
		      const double *d, float *o32, double *o64, int32_t *oi,
		      unsigned n)
{
	unsigned i = blockIdx.x * blockDim.x + threadIdx.x;
	float x, y;

	if (i >= n)
		return;
	x = a[i];
	y = b[i];
	o32[4 * i + 0] = x / y;
	o32[4 * i + 1] = sqrtf(fabsf(x));
	o32[4 * i + 2] = fminf(x, y) + floorf(x * 0.37f);
	o32[4 * i + 3] = __half2float(__float2half(x));
	o64[2 * i + 0] = c[i] / d[i];
	o64[2 * i + 1] = fma(c[i], d[i], (double)x);
	oi[i] = (int32_t)x + (int32_t)(uint32_t)fabsf(y);
}

__global__ void small_types(const uchar4 *a, const uchar4 *b, uchar4 *c,
			    const __half2 *x, const __half2 *y, __half2 *z,
			    const short *s, int *t, unsigned n)
{
	unsigned i = blockIdx.x * blockDim.x + threadIdx.x;
	uchar4 p, q;

	if (i >= n)
		return;
	p = a[i];
	q = b[i];
	c[i] = make_uchar4(p.x + q.x, p.y * q.y, p.z ^ q.w,
			   (p.w >> 1) + (q.z >> 2));
	z[i] = __hadd2(__hmul2(x[i], y[i]), x[i]);
	t[i] = (int)s[i] * 3 + (short)(s[i] >> 3);
}

__global__ void kprintf(int k)
{
	/* HIP's printf: hostcall packets, MSG_INTERRUPT wakes the host */
	if (threadIdx.x % 16 == 3)
		printf("printf: block %u thread %u k %d %s %.3f\n",
		       (unsigned)blockIdx.x, (unsigned)threadIdx.x, k,
		       threadIdx.x & 32 ? "odd" : "even", threadIdx.x * 0.25);
}

__global__ void forever(volatile uint32_t *flag)
{
	while (*flag == 0)
		;
}

__global__ void oob_store(uint32_t *p, unsigned long long off)
{
	p[off + threadIdx.x] = 0xdeadbeef;
}

__global__ void trap_kernel(uint32_t *p)
{
	if (threadIdx.x == 5)
		__builtin_trap();	/* s_trap 2 */
	p[threadIdx.x] = 1;
}

__global__ void matmul(const float *a, const float *b, float *c, unsigned n)
{
	unsigned col = blockIdx.x * blockDim.x + threadIdx.x;
	unsigned row = blockIdx.y * blockDim.y + threadIdx.y;
	float s = 0.0f;

	if (row >= n || col >= n)
		return;
	for (unsigned k = 0; k < n; k++)
		s += a[row * n + k] * b[k * n + col];
	c[row * n + col] = s;
}
}

/* ---- host side ---- */

#define BLOCK 256

static int dev;			/* the device the worker is on */
static const char *cur;		/* the case being run */

/*
 * What the workers tell the parent: the case they are in and since when,
 * and what the looping and faulting children reached.
 */
struct progress {
	volatile int next;	/* index of the case the worker is in */
	volatile int dev;
	volatile int done;	/* worker finished every case */
	volatile double since;
	volatile double limit;	/* seconds the current case may take */
	volatile int running;	/* forever: kernel launched and busy */
	volatile uint64_t oob_va;	/* oob: the address it stores to */
	int count, failed;	/* TAP, numbered across the processes */
};
static struct progress *prog;

static bool ok(bool cond, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static bool ok(bool cond, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	printf("%sok %d - %s\n", cond ? "" : "not ", ++prog->count, msg);
	fflush(stdout);
	if (!cond)
		prog->failed++;
	return cond;
}

static void diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void diag(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static bool hip_ok(hipError_t e, const char *what)
{
	if (e == hipSuccess)
		return true;
	ok(0, "device %d: %s: %s: %s", dev, cur, what,
	       hipGetErrorString(e));
	return false;
}

#define HIPCHK(call) do { if (!hip_ok((call), #call)) goto out; } while (0)

/* A launch, then the wait for it; both errors are the case's failure. */
#define LAUNCH(kernel, grid, block, ...) do { \
	hipLaunchKernelGGL(kernel, grid, block, 0, 0, __VA_ARGS__); \
	HIPCHK(hipGetLastError()); \
	HIPCHK(hipDeviceSynchronize()); \
} while (0)

static void *dmalloc(size_t bytes)
{
	void *p = NULL;

	if (hipMalloc(&p, bytes) != hipSuccess)
		return NULL;
	return p;
}

static bool to_dev(void *d, const void *h, size_t bytes)
{
	return hip_ok(hipMemcpy(d, h, bytes, hipMemcpyHostToDevice),
		      "hipMemcpy host -> device");
}

static bool to_host(void *h, const void *d, size_t bytes)
{
	return hip_ok(hipMemcpy(h, d, bytes, hipMemcpyDeviceToHost),
		      "hipMemcpy device -> host");
}

static uint32_t hash32(uint32_t x)
{
	x ^= x >> 16;
	x *= 0x7feb352du;
	x ^= x >> 15;
	x *= 0x846ca68bu;
	x ^= x >> 16;
	return x;
}

static uint64_t hash64(uint64_t x)
{
	return ((uint64_t)hash32((uint32_t)x) << 32) |
	       hash32((uint32_t)(x >> 32) ^ (uint32_t)x ^ 0x9e3779b9u);
}

static unsigned blocks(unsigned n)
{
	return (n + BLOCK - 1) / BLOCK;
}

/*
 * Report the first element that differs (and how many do); `fmt` formats
 * one element as "got ..., want ...".
 */
static bool report(const char *what, size_t n, size_t bad, size_t first,
		   const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static bool report(const char *what, size_t n, size_t bad, size_t first,
		   const char *fmt, ...)
{
	char detail[256] = "";
	va_list ap;

	if (bad) {
		va_start(ap, fmt);
		vsnprintf(detail, sizeof(detail), fmt, ap);
		va_end(ap);
	}
	if (!bad)
		return ok(1, "device %d: %s: %s, %zu elements match the host",
			      dev, cur, what, n);
	return ok(0, "device %d: %s: %s: %zu of %zu elements differ, "
		      "first at [%zu]: %s", dev, cur, what, bad, n, first,
		      detail);
}

static bool same_f32(float g, float w)
{
	return (isnan(g) && isnan(w)) || !memcmp(&g, &w, sizeof(g));
}

static bool same_f64(double g, double w)
{
	return (isnan(g) && isnan(w)) || !memcmp(&g, &w, sizeof(g));
}

/* ---- the cases ---- */

static void case_vadd(void)
{
	const unsigned n = 1u << 20;
	float *a = (float *)malloc(n * 4), *b = (float *)malloc(n * 4);
	float *c = (float *)malloc(n * 4);
	float *da = NULL, *db = NULL, *dc = NULL;
	size_t bad = 0, first = 0;
	double t0;

	for (unsigned i = 0; i < n; i++) {
		a[i] = (float)(hash32(i) % 100000) * 0.25f - 1000.0f;
		b[i] = (float)i * 0.5f;
	}
	da = (float *)dmalloc(n * 4);
	db = (float *)dmalloc(n * 4);
	dc = (float *)dmalloc(n * 4);
	if (!ok(da && db && dc, "device %d: %s: hipMalloc 3 x 4 MiB", dev,
		    cur))
		goto out;
	if (!to_dev(da, a, n * 4) || !to_dev(db, b, n * 4))
		goto out;
	t0 = now();
	LAUNCH(vadd, dim3(blocks(n)), dim3(BLOCK), da, db, dc, n);
	diag("device %d: vadd of %u elements: %.3f s (launch to sync)",
		 dev, n, now() - t0);
	if (!to_host(c, dc, n * 4))
		goto out;
	for (unsigned i = 0; i < n; i++)
		if (!same_f32(c[i], a[i] + b[i]) && !bad++)
			first = i;
	report("c = a + b", n, bad, first, "got %a, want %a", c[first],
	       a[first] + b[first]);
out:
	hipFree(da);
	hipFree(db);
	hipFree(dc);
	free(a);
	free(b);
	free(c);
}

static void case_saxpy_f32(void)
{
	const unsigned n = (1u << 20) + 77;	/* a partial last group */
	const float k = 2.5f;
	float *x = (float *)malloc(n * 4), *y = (float *)malloc(n * 4);
	float *r = (float *)malloc(n * 4);
	float *dx = NULL, *dy = NULL;
	size_t bad = 0, first = 0;

	for (unsigned i = 0; i < n; i++) {
		x[i] = (float)(int)(hash32(i) & 0xffff) / 7.0f;
		y[i] = (float)(int)(hash32(i + n) & 0xfff) - 2048.0f;
	}
	dx = (float *)dmalloc(n * 4);
	dy = (float *)dmalloc(n * 4);
	if (!ok(dx && dy, "device %d: %s: hipMalloc", dev, cur))
		goto out;
	if (!to_dev(dx, x, n * 4) || !to_dev(dy, y, n * 4))
		goto out;
	LAUNCH(saxpy_f32, dim3(blocks(n)), dim3(BLOCK), k, dx, dy, n);
	if (!to_host(r, dy, n * 4))
		goto out;
	/* clang contracts a * x + y into one v_fmac_f32: a single rounding */
	for (unsigned i = 0; i < n; i++)
		if (!same_f32(r[i], fmaf(k, x[i], y[i])) && !bad++)
			first = i;
	report("y = 2.5 * x + y (fused)", n, bad, first, "got %a, want %a",
	       r[first], fmaf(k, x[first], y[first]));
out:
	hipFree(dx);
	hipFree(dy);
	free(x);
	free(y);
	free(r);
}

static void case_saxpy_f64(void)
{
	const unsigned n = 300001;
	const double k = -1.0 / 3.0;
	double *x = (double *)malloc(n * 8), *y = (double *)malloc(n * 8);
	double *r = (double *)malloc(n * 8);
	double *dx = NULL, *dy = NULL;
	size_t bad = 0, first = 0;

	for (unsigned i = 0; i < n; i++) {
		x[i] = (double)hash64(i) / 3.0e15;
		y[i] = (double)(int32_t)hash32(i ^ 0x5555) * 1e-3;
	}
	dx = (double *)dmalloc(n * 8);
	dy = (double *)dmalloc(n * 8);
	if (!ok(dx && dy, "device %d: %s: hipMalloc", dev, cur))
		goto out;
	if (!to_dev(dx, x, n * 8) || !to_dev(dy, y, n * 8))
		goto out;
	LAUNCH(saxpy_f64, dim3(blocks(n)), dim3(BLOCK), k, dx, dy, n);
	if (!to_host(r, dy, n * 8))
		goto out;
	for (unsigned i = 0; i < n; i++)
		if (!same_f64(r[i], fma(k, x[i], y[i])) && !bad++)
			first = i;
	report("y = -1/3 * x + y (fused)", n, bad, first, "got %a, want %a",
	       r[first], fma(k, x[first], y[first]));
out:
	hipFree(dx);
	hipFree(dy);
	free(x);
	free(y);
	free(r);
}

static uint32_t grid2d_want(unsigned x, unsigned y)
{
	unsigned bx = x / 16, by = y / 16, tx = x % 16, ty = y % 16;

	return (x << 16) ^ (y << 4) ^ (tx * 3 + ty) ^ (bx << 24) ^ by;
}

static void case_grid2d(void)
{
	const unsigned w = 1000, h = 333, guard = 1024;
	const size_t n = (size_t)w * h, bytes = (n + guard) * 4;
	uint32_t *o = (uint32_t *)malloc(bytes), *d = NULL;
	size_t bad = 0, first = 0, guard_bad = 0;

	/* 16 x 16 groups: 63 x 21 of them, the last column and row partial */
	memset(o, 0xee, bytes);
	d = (uint32_t *)dmalloc(bytes);
	if (!ok(d != NULL, "device %d: %s: hipMalloc", dev, cur))
		goto out;
	if (!to_dev(d, o, bytes))
		goto out;
	LAUNCH(grid2d, dim3((w + 15) / 16, (h + 15) / 16), dim3(16, 16), d, w,
	       h);
	if (!to_host(o, d, bytes))
		goto out;
	for (size_t i = 0; i < n; i++)
		if (o[i] != grid2d_want(i % w, i / w) && !bad++)
			first = i;
	report("1000 x 333 grid of 16 x 16 groups", n, bad, first,
	       "(x %zu, y %zu) got %#x, want %#x", first % w, first / w,
	       o[first], grid2d_want(first % w, first / w));
	for (size_t i = n; i < n + guard; i++)
		guard_bad += o[i] != 0xeeeeeeeeu;
	ok(!guard_bad, "device %d: %s: nothing written past the grid "
	       "(%zu words changed)", dev, cur, guard_bad);
out:
	hipFree(d);
	free(o);
}

/*
 * 8 x 4 x 32 groups (1024 work-items, 16 waves, ids x, y and z) over a
 * 50 x 21 x 70 grid, partial in every dimension; LDS sized at launch.
 */
static void case_grid3d(void)
{
	const unsigned nx = 50, ny = 21, nz = 70, bx = 8, by = 4, bz = 32;
	const unsigned gx = (nx + bx - 1) / bx, gy = (ny + by - 1) / by;
	const unsigned gz = (nz + bz - 1) / bz, nb = bx * by * bz;
	const size_t n = (size_t)nx * ny * nz;
	uint32_t *o = (uint32_t *)malloc(n * 4), *w = (uint32_t *)malloc(n * 4);
	uint32_t *d = NULL, cnt[1024];
	float *dsum = NULL, sum = 0, want = 0.5f * gx * gy * gz * nb;
	size_t bad = 0, first = 0;

	for (unsigned b = 0; b < gx * gy * gz; b++) {
		unsigned ox = b % gx * bx, oy = b / gx % gy * by;
		unsigned oz = b / gx / gy * bz;

		memset(cnt, 0, sizeof(cnt));
		for (unsigned t = 0; t < nb; t++)
			cnt[((ox + t % bx) * 7 + (oy + t / bx % by) * 3 +
			     oz + t / bx / by) % nb]++;
		for (unsigned t = 0; t < nb; t++) {
			unsigned x = ox + t % bx, y = oy + t / bx % by;
			unsigned z = oz + t / bx / by;

			if (x < nx && y < ny && z < nz)
				w[((size_t)z * ny + y) * nx + x] =
					(x | y << 10 | z << 20) ^ (cnt[t] << 24);
		}
	}
	d = (uint32_t *)dmalloc(n * 4);
	dsum = (float *)dmalloc(4);
	if (!ok(d && dsum, "device %d: %s: hipMalloc", dev, cur))
		goto out;
	if (!to_dev(dsum, &sum, 4))
		goto out;
	hipLaunchKernelGGL(grid3d, dim3(gx, gy, gz), dim3(bx, by, bz), nb * 4, 0,
			   d, dsum, nx, ny, nz);
	HIPCHK(hipGetLastError());
	HIPCHK(hipDeviceSynchronize());
	if (!to_host(o, d, n * 4) || !to_host(&sum, dsum, 4))
		goto out;
	for (size_t i = 0; i < n; i++)
		if (o[i] != w[i] && !bad++)
			first = i;
	report("3-D ids, dynamic LDS, LDS atomics over 16 waves", n, bad,
	       first, "(x %zu, y %zu, z %zu) got %#x, want %#x", first % nx,
	       first / nx % ny, first / nx / ny, o[first], w[first]);
	ok(sum == want, "device %d: %s: float atomicAdd of 0.5 by every "
	   "work-item: got %.1f, want %.1f", dev, cur, sum, want);
out:
	hipFree(d);
	hipFree(dsum);
	free(o);
	free(w);
}

static void case_reduce(void)
{
	const unsigned n = 1000003;
	uint32_t *in = (uint32_t *)malloc(n * 4), *din = NULL;
	unsigned long long want = 0, got = 0, *dsum = NULL;

	/* each group's sum is a u32 in LDS; below 2^20 a word, 256 words
	 * stay below 2^28, and the 64-bit total passes 2^32 */
	for (unsigned i = 0; i < n; i++) {
		in[i] = hash32(i) >> 12;
		want += in[i];
	}
	din = (uint32_t *)dmalloc(n * 4);
	dsum = (unsigned long long *)dmalloc(8);
	if (!ok(din && dsum, "device %d: %s: hipMalloc", dev, cur))
		goto out;
	if (!to_dev(din, in, n * 4) || !to_dev(dsum, &got, 8))
		goto out;
	LAUNCH(reduce, dim3(blocks(n)), dim3(BLOCK), din, dsum, n);
	if (!to_host(&got, dsum, 8))
		goto out;
	ok(got == want, "device %d: %s: sum of %u words over %u groups "
	       "(LDS, 4 waves per s_barrier, 64-bit atomic): got %llu, want "
	       "%llu", dev, cur, n, blocks(n), got, want);
out:
	hipFree(din);
	hipFree(dsum);
	free(in);
}

static int32_t divisor32(unsigned i)
{
	static const int32_t edge[] = { 1, -1, 2, -2, 3, 7, -7, 0x7fffffff,
					INT32_MIN, 0x10000, -0x10001, 65535 };
	int32_t b = (int32_t)hash32(i * 3 + 1) >> (i % 31);

	if (i % 5 == 0)
		return edge[(i / 5) % (sizeof(edge) / sizeof(edge[0]))];
	return b ? b : 13;
}

static int32_t dividend32(unsigned i)
{
	static const int32_t edge[] = { 0, 1, -1, 0x7fffffff, INT32_MIN + 1,
					INT32_MIN, 12345, -12345 };

	if (i % 7 == 0)
		return edge[(i / 7) % (sizeof(edge) / sizeof(edge[0]))];
	return (int32_t)hash32(i);
}

static void case_divmod(void)
{
	const unsigned n = 65536 + 19;
	const size_t bytes = (size_t)n * 4;
	int32_t *a = (int32_t *)malloc(bytes), *b = (int32_t *)malloc(bytes);
	int32_t *q = (int32_t *)malloc(bytes), *r = (int32_t *)malloc(bytes);
	uint32_t *uq = (uint32_t *)malloc(bytes), *ur = (uint32_t *)malloc(bytes);
	void *d[6] = { 0 };
	size_t bad = 0, first = 0;

	for (unsigned i = 0; i < n; i++) {
		a[i] = dividend32(i);
		b[i] = divisor32(i);
		if (a[i] == INT32_MIN && b[i] == -1)
			b[i] = 1;	/* the one overflowing quotient */
	}
	for (int k = 0; k < 6; k++)
		d[k] = dmalloc(bytes);
	if (!ok(d[0] && d[1] && d[2] && d[3] && d[4] && d[5],
		    "device %d: %s: hipMalloc", dev, cur))
		goto out;
	if (!to_dev(d[0], a, bytes) || !to_dev(d[1], b, bytes))
		goto out;
	LAUNCH(divmod, dim3(blocks(n)), dim3(BLOCK), (const int32_t *)d[0],
	       (const int32_t *)d[1], (int32_t *)d[2], (int32_t *)d[3],
	       (uint32_t *)d[4], (uint32_t *)d[5], n);
	if (!to_host(q, d[2], bytes) || !to_host(r, d[3], bytes) ||
	    !to_host(uq, d[4], bytes) || !to_host(ur, d[5], bytes))
		goto out;
	for (unsigned i = 0; i < n; i++) {
		bool ok = q[i] == a[i] / b[i] && r[i] == a[i] % b[i] &&
			  uq[i] == (uint32_t)a[i] / (uint32_t)b[i] &&
			  ur[i] == (uint32_t)a[i] % (uint32_t)b[i];

		if (!ok && !bad++)
			first = i;
	}
	report("i32 and u32 / and %", n, bad, first,
	       "%d / %d: got q %d r %d uq %u ur %u, want %d %d %u %u",
	       a[first], b[first], q[first], r[first], uq[first], ur[first],
	       a[first] / b[first], a[first] % b[first],
	       (uint32_t)a[first] / (uint32_t)b[first],
	       (uint32_t)a[first] % (uint32_t)b[first]);
out:
	for (int k = 0; k < 6; k++)
		hipFree(d[k]);
	free(a);
	free(b);
	free(q);
	free(r);
	free(uq);
	free(ur);
}

static void case_divmod64(void)
{
	const unsigned n = 32768 + 5;
	const size_t bytes = (size_t)n * 8;
	int64_t *a = (int64_t *)malloc(bytes), *b = (int64_t *)malloc(bytes);
	int64_t *q = (int64_t *)malloc(bytes), *r = (int64_t *)malloc(bytes);
	uint64_t *uq = (uint64_t *)malloc(bytes), *ur = (uint64_t *)malloc(bytes);
	void *d[6] = { 0 };
	size_t bad = 0, first = 0;

	for (unsigned i = 0; i < n; i++) {
		/* small and huge divisors: both paths of the expansion */
		a[i] = (int64_t)hash64(i) >> (i % 40);
		b[i] = (int64_t)hash64(i + 7 * n) >> (20 + i % 44);
		if (i % 9 == 0)
			b[i] = (int64_t)(int32_t)hash32(i);
		if (i % 11 == 0)
			b[i] = i % 2 ? -1 : 1;
		if (!b[i])
			b[i] = 3;
		if (a[i] == INT64_MIN && b[i] == -1)
			b[i] = 1;
	}
	for (int k = 0; k < 6; k++)
		d[k] = dmalloc(bytes);
	if (!ok(d[0] && d[1] && d[2] && d[3] && d[4] && d[5],
		    "device %d: %s: hipMalloc", dev, cur))
		goto out;
	if (!to_dev(d[0], a, bytes) || !to_dev(d[1], b, bytes))
		goto out;
	LAUNCH(divmod64, dim3(blocks(n)), dim3(BLOCK), (const int64_t *)d[0],
	       (const int64_t *)d[1], (int64_t *)d[2], (int64_t *)d[3],
	       (uint64_t *)d[4], (uint64_t *)d[5], n);
	if (!to_host(q, d[2], bytes) || !to_host(r, d[3], bytes) ||
	    !to_host(uq, d[4], bytes) || !to_host(ur, d[5], bytes))
		goto out;
	for (unsigned i = 0; i < n; i++) {
		bool ok = q[i] == a[i] / b[i] && r[i] == a[i] % b[i] &&
			  uq[i] == (uint64_t)a[i] / (uint64_t)b[i] &&
			  ur[i] == (uint64_t)a[i] % (uint64_t)b[i];

		if (!ok && !bad++)
			first = i;
	}
	report("i64 and u64 / and %", n, bad, first,
	       "%lld / %lld: got q %lld r %lld uq %llu ur %llu",
	       (long long)a[first], (long long)b[first], (long long)q[first],
	       (long long)r[first], (unsigned long long)uq[first],
	       (unsigned long long)ur[first]);
out:
	for (int k = 0; k < 6; k++)
		hipFree(d[k]);
	free(a);
	free(b);
	free(q);
	free(r);
	free(uq);
	free(ur);
}

static uint32_t diverge_want(uint32_t v)
{
	uint32_t steps = 0;

	if (v & 1) {
		while (v != 1 && steps < 1000) {
			v = (v & 1) ? 3 * v + 1 : v >> 1;
			steps++;
		}
	} else {
		for (uint32_t k = 0; k < (v & 15); k++)
			steps += k * v;
	}
	return steps;
}

static void case_diverge(void)
{
	const unsigned n = 65536 + 100;
	uint32_t *in = (uint32_t *)malloc(n * 4), *o = (uint32_t *)malloc(n * 4);
	uint32_t *din = NULL, *dout = NULL;
	size_t bad = 0, first = 0;

	/* odd and even lanes mixed in every wave, loops of 0 to 1000 trips */
	for (unsigned i = 0; i < n; i++)
		in[i] = i % 3 ? hash32(i) % 100000 : i;
	din = (uint32_t *)dmalloc(n * 4);
	dout = (uint32_t *)dmalloc(n * 4);
	if (!ok(din && dout, "device %d: %s: hipMalloc", dev, cur))
		goto out;
	if (!to_dev(din, in, n * 4))
		goto out;
	LAUNCH(diverge, dim3(blocks(n)), dim3(BLOCK), din, dout, n);
	if (!to_host(o, dout, n * 4))
		goto out;
	for (unsigned i = 0; i < n; i++)
		if (o[i] != diverge_want(in[i]) && !bad++)
			first = i;
	report("Collatz steps / sums per lane", n, bad, first,
	       "input %u: got %u, want %u", in[first], o[first],
	       diverge_want(in[first]));
out:
	hipFree(din);
	hipFree(dout);
	free(in);
	free(o);
}

static uint32_t scratch_want(uint32_t i, uint32_t idx)
{
	uint32_t s = 0;

	for (uint32_t k = 0; k < 8; k++)
		s += i * 64 + ((idx + k * 7) & 63);
	return s;
}

static void case_scratch(void)
{
	const unsigned n = 65536 + 33;
	uint32_t *idx = (uint32_t *)malloc(n * 4), *o = (uint32_t *)malloc(n * 4);
	uint32_t *didx = NULL, *dout = NULL;
	size_t bad = 0, first = 0;

	for (unsigned i = 0; i < n; i++)
		idx[i] = hash32(i);
	didx = (uint32_t *)dmalloc(n * 4);
	dout = (uint32_t *)dmalloc(n * 4);
	if (!ok(didx && dout, "device %d: %s: hipMalloc", dev, cur))
		goto out;
	if (!to_dev(didx, idx, n * 4))
		goto out;
	LAUNCH(scratch, dim3(blocks(n)), dim3(BLOCK), didx, dout, n);
	if (!to_host(o, dout, n * 4))
		goto out;
	for (unsigned i = 0; i < n; i++)
		if (o[i] != scratch_want(i, idx[i]) && !bad++)
			first = i;
	report("a 64-word private array read at run-time indices", n, bad,
	       first, "got %u, want %u", o[first],
	       scratch_want(first, idx[first]));
out:
	hipFree(didx);
	hipFree(dout);
	free(idx);
	free(o);
}

static void case_shuffle(void)
{
	const unsigned n = 65536 - 10;	/* the last wave is partial */
	const unsigned total = blocks(n) * BLOCK;
	int32_t *in = (int32_t *)malloc(total * 4);
	int32_t *s = (int32_t *)malloc(n * 4), *x = (int32_t *)malloc(n * 4);
	int32_t *din = NULL, *ds = NULL, *dx = NULL;
	size_t bad = 0, first = 0;
	int32_t ws = 0, wx = 0;

	for (unsigned i = 0; i < total; i++)
		in[i] = i < n ? (int32_t)(hash32(i) % 2001) - 1000 : 0;
	din = (int32_t *)dmalloc(n * 4);
	ds = (int32_t *)dmalloc(n * 4);
	dx = (int32_t *)dmalloc(n * 4);
	if (!ok(din && ds && dx, "device %d: %s: hipMalloc", dev, cur))
		goto out;
	if (!to_dev(din, in, n * 4))
		goto out;
	LAUNCH(shuffle, dim3(blocks(n)), dim3(BLOCK), din, ds, dx, n);
	if (!to_host(s, ds, n * 4) || !to_host(x, dx, n * 4))
		goto out;
	for (unsigned i = 0; i < n; i++) {
		unsigned wave = i & ~63u, lane = i & 63;
		int32_t sum = 0;

		for (unsigned l = 0; l < 64; l++)
			sum += in[wave + l];
		if ((s[i] != in[wave + ((lane * 5 + 3) & 63)] || x[i] != sum) &&
		    !bad++) {
			first = i;
			ws = in[wave + ((lane * 5 + 3) & 63)];
			wx = sum;
		}
	}
	report("__shfl(v, lane * 5 + 3) and a __shfl_xor butterfly sum", n,
	       bad, first, "got shfl %d xor-sum %d, want %d %d", s[first],
	       x[first], ws, wx);
out:
	hipFree(din);
	hipFree(ds);
	hipFree(dx);
	free(in);
	free(s);
	free(x);
}

/* v_cvt_i32_f32 / v_cvt_u32_f32: NaN -> 0, saturating */
static int32_t cvt_i32(float f)
{
	if (isnan(f))
		return 0;
	if (f >= 2147483648.0f)
		return INT32_MAX;
	if (f <= -2147483648.0f)
		return INT32_MIN;
	return (int32_t)f;
}

static uint32_t cvt_u32(float f)
{
	if (isnan(f) || f <= 0.0f)
		return 0;
	if (f >= 4294967296.0f)
		return UINT32_MAX;
	return (uint32_t)f;
}

static float fmath_in(unsigned i, int which)
{
	static const float edge[] = { 0.0f, -0.0f, 1.0f, -1.0f, INFINITY,
				      -INFINITY, NAN, 1e-40f, -3e-39f,
				      1.17549435e-38f, 3.4028235e38f, 0.5f,
				      2.5f, -2.5f, 1e10f, -3e9f, 16777217.0f };
	const unsigned ne = sizeof(edge) / sizeof(edge[0]);
	uint32_t h = hash32(i * 2 + which);
	float f;

	if (i < ne * ne)	/* every pair of edge values */
		return edge[which ? i % ne : i / ne];
	if (h % 4 == 0) {	/* any bit pattern but NaN, denormals too */
		memcpy(&f, &h, 4);
		return isnan(f) ? 1.5f : f;
	}
	return (float)(int32_t)h / 65536.0f;
}

static void case_fmath(void)
{
	const unsigned n = 8192;
	float *a = (float *)malloc(n * 4), *b = (float *)malloc(n * 4);
	double *c = (double *)malloc(n * 8), *d = (double *)malloc(n * 8);
	float *o32 = (float *)malloc(n * 16);
	double *o64 = (double *)malloc(n * 16);
	int32_t *oi = (int32_t *)malloc(n * 4);
	void *dv[7] = { 0 };
	size_t bad[6] = { 0 }, first[6] = { 0 };
	static const char *const what[6] = {
		"f32 x / y (correctly rounded)", "sqrtf(|x|) within 1 ulp",
		"fminf(x, y) + floorf(x * 0.37f)", "f32 -> f16 -> f32",
		"f64 c / d and fma(c, d, x)", "(int)x + (int)(unsigned)|y|",
	};

	for (unsigned i = 0; i < n; i++) {
		a[i] = fmath_in(i, 0);
		b[i] = fmath_in(i, 1);
		c[i] = (double)(int64_t)hash64(i) / (double)(hash32(i) | 1);
		d[i] = i % 13 ? (double)(int64_t)hash64(i + n) * 1e-300 :
		       (double)b[i];
	}
	dv[0] = dmalloc(n * 4);
	dv[1] = dmalloc(n * 4);
	dv[2] = dmalloc(n * 8);
	dv[3] = dmalloc(n * 8);
	dv[4] = dmalloc(n * 16);
	dv[5] = dmalloc(n * 16);
	dv[6] = dmalloc(n * 4);
	for (int k = 0; k < 7; k++)
		if (!dv[k]) {
			ok(0, "device %d: %s: hipMalloc", dev, cur);
			goto out;
		}
	if (!to_dev(dv[0], a, n * 4) || !to_dev(dv[1], b, n * 4) ||
	    !to_dev(dv[2], c, n * 8) || !to_dev(dv[3], d, n * 8))
		goto out;
	LAUNCH(fmath, dim3(blocks(n)), dim3(BLOCK), (const float *)dv[0],
	       (const float *)dv[1], (const double *)dv[2],
	       (const double *)dv[3], (float *)dv[4], (double *)dv[5],
	       (int32_t *)dv[6], n);
	if (!to_host(o32, dv[4], n * 16) || !to_host(o64, dv[5], n * 16) ||
	    !to_host(oi, dv[6], n * 4))
		goto out;
	for (unsigned i = 0; i < n; i++) {
		float x = a[i], y = b[i], sq = sqrtf(fabsf(x));
		float h = (float)(_Float16)x;
		bool ok[6];
		int32_t ulps;

		memcpy(&ulps, &o32[4 * i + 1], 4);
		{
			int32_t w;

			memcpy(&w, &sq, 4);
			ulps -= w;
		}
		ok[0] = same_f32(o32[4 * i], x / y);
		ok[1] = same_f32(o32[4 * i + 1], sq) ||
			(!isnan(sq) && ulps >= -1 && ulps <= 1);
		ok[2] = same_f32(o32[4 * i + 2], fminf(x, y) + floorf(x * 0.37f));
		ok[3] = same_f32(o32[4 * i + 3], h);
		ok[4] = same_f64(o64[2 * i], c[i] / d[i]) &&
			same_f64(o64[2 * i + 1], fma(c[i], d[i], (double)x));
		ok[5] = oi[i] == (int32_t)((uint32_t)cvt_i32(x) +
					   cvt_u32(fabsf(y)));
		for (int k = 0; k < 6; k++)
			if (!ok[k] && !bad[k]++)
				first[k] = i;
	}
	for (int k = 0; k < 6; k++) {
		size_t f = first[k];

		report(what[k], n, bad[k], f,
		       "x %a y %a c %a d %a: got %a %a %a %a | %a %a | %d",
		       a[f], b[f], c[f], d[f], o32[4 * f], o32[4 * f + 1],
		       o32[4 * f + 2], o32[4 * f + 3], o64[2 * f],
		       o64[2 * f + 1], oi[f]);
	}
out:
	for (int k = 0; k < 7; k++)
		hipFree(dv[k]);
	free(a);
	free(b);
	free(c);
	free(d);
	free(o32);
	free(o64);
	free(oi);
}

static void case_small_types(void)
{
	const unsigned n = 20000;
	uchar4 *a = (uchar4 *)malloc(n * 4), *b = (uchar4 *)malloc(n * 4);
	uchar4 *c = (uchar4 *)malloc(n * 4);
	_Float16 *x = (_Float16 *)malloc(n * 4), *y = (_Float16 *)malloc(n * 4);
	_Float16 *z = (_Float16 *)malloc(n * 4);
	short *s = (short *)malloc(n * 2);
	int *t = (int *)malloc(n * 4);
	void *dv[8] = { 0 };
	size_t bad = 0, first = 0;
	static const size_t sz[8] = { 4, 4, 4, 4, 4, 4, 2, 4 };

	for (unsigned i = 0; i < n; i++) {
		uint32_t h = hash32(i), g = hash32(i + n);

		memcpy(&a[i], &h, 4);
		memcpy(&b[i], &g, 4);
		/* k / 64 with |k| <= 1024: the fused f16 result is exact in
		 * double, so one rounding to f16 gives the hardware's */
		for (int l = 0; l < 2; l++) {
			x[2 * i + l] = (_Float16)((double)((int)(h >> (l * 11)) %
						  1025) / 64.0);
			y[2 * i + l] = (_Float16)((double)((int)(g >> (l * 11)) %
						  1025 - 512) / 64.0);
		}
		s[i] = (short)(h >> 3);
	}
	for (int k = 0; k < 8; k++)
		dv[k] = dmalloc(n * sz[k]);
	for (int k = 0; k < 8; k++)
		if (!dv[k]) {
			ok(0, "device %d: %s: hipMalloc", dev, cur);
			goto out;
		}
	if (!to_dev(dv[0], a, n * 4) || !to_dev(dv[1], b, n * 4) ||
	    !to_dev(dv[3], x, n * 4) || !to_dev(dv[4], y, n * 4) ||
	    !to_dev(dv[6], s, n * 2))
		goto out;
	LAUNCH(small_types, dim3(blocks(n)), dim3(BLOCK), (const uchar4 *)dv[0],
	       (const uchar4 *)dv[1], (uchar4 *)dv[2], (const __half2 *)dv[3],
	       (const __half2 *)dv[4], (__half2 *)dv[5], (const short *)dv[6],
	       (int *)dv[7], n);
	if (!to_host(c, dv[2], n * 4) || !to_host(z, dv[5], n * 4) ||
	    !to_host(t, dv[7], n * 4))
		goto out;
	for (unsigned i = 0; i < n; i++) {
		uchar4 p = a[i], q = b[i];
		bool ok = c[i].x == (uint8_t)(p.x + q.x) &&
			  c[i].y == (uint8_t)(p.y * q.y) &&
			  c[i].z == (uint8_t)(p.z ^ q.w) &&
			  c[i].w == (uint8_t)((p.w >> 1) + (q.z >> 2)) &&
			  t[i] == (int)s[i] * 3 + (short)(s[i] >> 3);

		for (int l = 0; l < 2; l++) {
			_Float16 w = (_Float16)((double)x[2 * i + l] *
						(double)y[2 * i + l] +
						(double)x[2 * i + l]);

			ok = ok && !memcmp(&z[2 * i + l], &w, 2);
		}
		if (!ok && !bad++)
			first = i;
	}
	report("u8 (SDWA), packed f16 fma, i16", n, bad, first,
	       "bytes %02x%02x%02x%02x half %a %a short %d",
	       c[first].x, c[first].y, c[first].z, c[first].w,
	       (double)z[2 * first], (double)z[2 * first + 1], t[first]);
out:
	for (int k = 0; k < 8; k++)
		hipFree(dv[k]);
	free(a);
	free(b);
	free(c);
	free(x);
	free(y);
	free(z);
	free(s);
	free(t);
}

static void case_matmul(void)
{
	const unsigned n = 100;	/* 7 x 7 groups of 16 x 16, partial edges */
	const size_t bytes = (size_t)n * n * 4;
	float *a = (float *)malloc(bytes), *b = (float *)malloc(bytes);
	float *c = (float *)malloc(bytes);
	float *da = NULL, *db = NULL, *dc = NULL;
	size_t bad = 0, first = 0;
	float wf = 0;

	for (unsigned i = 0; i < n * n; i++) {
		a[i] = (float)(int)(hash32(i) % 2001 - 1000) / 128.0f;
		b[i] = (float)(int)(hash32(i + n * n) % 2001 - 1000) / 1000.0f;
	}
	da = (float *)dmalloc(bytes);
	db = (float *)dmalloc(bytes);
	dc = (float *)dmalloc(bytes);
	if (!ok(da && db && dc, "device %d: %s: hipMalloc", dev, cur))
		goto out;
	if (!to_dev(da, a, bytes) || !to_dev(db, b, bytes))
		goto out;
	LAUNCH(matmul, dim3((n + 15) / 16, (n + 15) / 16), dim3(16, 16), da,
	       db, dc, n);
	if (!to_host(c, dc, bytes))
		goto out;
	for (unsigned i = 0; i < n * n; i++) {
		unsigned row = i / n, col = i % n;
		float s = 0.0f;

		for (unsigned k = 0; k < n; k++)	/* v_fmac_f32 */
			s = fmaf(a[row * n + k], b[k * n + col], s);
		if (!same_f32(c[i], s) && !bad++) {
			first = i;
			wf = s;
		}
	}
	report("100 x 100 f32 matrix product (fused, in k order)", n * n, bad,
	       first, "(row %zu, col %zu) got %a, want %a", first / n,
	       first % n, c[first], wf);
out:
	hipFree(da);
	hipFree(db);
	hipFree(dc);
	free(a);
	free(b);
	free(c);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * printf in a kernel: the runtime's hostcall service prints on our stdout,
 * which is a file for the while (so the TAP stream stays clean); every line
 * must come, once.
 */
static void case_printf(void)
{
	enum { BLOCKS = 4, PER = BLOCKS * 4 };
	char *want[PER], *got[PER + 8], buf[8192], line[128];
	int saved, fd, n = 0, ngot = 0;
	FILE *f = tmpfile();
	bool same;

	for (unsigned b = 0; b < BLOCKS; b++)
		for (unsigned t = 3; t < 64; t += 16) {
			snprintf(line, sizeof(line),
				 "printf: block %u thread %u k %d %s %.3f", b, t,
				 -7, t & 32 ? "odd" : "even", t * 0.25);
			want[n++] = strdup(line);
		}
	if (!ok(f != NULL, "device %d: %s: tmpfile", dev, cur))
		return;
	fflush(stdout);
	saved = dup(1);
	fd = fileno(f);
	dup2(fd, 1);
	hipLaunchKernelGGL(kprintf, dim3(BLOCKS), dim3(64), 0, 0, -7);
	{
		hipError_t e1 = hipGetLastError(), e2 = hipDeviceSynchronize();

		fflush(stdout);
		dup2(saved, 1);
		close(saved);
		if (!hip_ok(e1, "launch") || !hip_ok(e2, "hipDeviceSynchronize"))
			goto out;
	}
	rewind(f);
	buf[fread(buf, 1, sizeof(buf) - 1, f)] = '\0';
	for (char *save = NULL, *l = strtok_r(buf, "\n", &save);
	     l && ngot < PER + 8; l = strtok_r(NULL, "\n", &save))
		got[ngot++] = l;
	qsort(want, n, sizeof(char *), cmp_str);
	qsort(got, ngot, sizeof(char *), cmp_str);
	same = ngot == n;
	for (int i = 0; same && i < n; i++)
		same = !strcmp(got[i], want[i]);
	if (!ok(same, "device %d: %s: %d lines from 4 waves' printf, with "
		"%%u %%d %%s %%.3f (got %d)", dev, cur, n, ngot))
		for (int i = 0; i < ngot && i < 4; i++)
			diag("  got: %s", got[i]);
out:
	fclose(f);
	for (int i = 0; i < n; i++)
		free(want[i]);
}

/* hipMemset: the runtime's fillBufferAligned kernel (docs/shader-core.md) */
static void case_memset(void)
{
	const size_t bytes = (3u << 20) + 4096;
	struct { size_t off, len; int val; } fill[] = {
		{ 0, 3u << 20, 0x5a },		/* aligned, large */
		{ 3, 1000001, 0xc3 },		/* unaligned both ends */
		{ (2u << 20) + 1, 17, 0x00 },	/* a few bytes */
	};
	uint8_t *h = (uint8_t *)malloc(bytes), *want = (uint8_t *)malloc(bytes);
	uint8_t *d = (uint8_t *)dmalloc(bytes);
	size_t bad = 0, first = 0;
	hipError_t e;

	if (!ok(d != NULL, "device %d: %s: hipMalloc", dev, cur))
		goto out;
	for (size_t i = 0; i < bytes; i++)
		want[i] = (uint8_t)(i * 31 + 7);
	if (!to_dev(d, want, bytes))
		goto out;
	for (size_t k = 0; k < sizeof(fill) / sizeof(fill[0]); k++) {
		e = hipMemset(d + fill[k].off, fill[k].val, fill[k].len);
		if (!ok(e == hipSuccess, "device %d: %s: hipMemset(+%zu, "
			    "%#x, %zu): %s", dev, cur, fill[k].off, fill[k].val,
			    fill[k].len, hipGetErrorString(e)))
			goto out;
		memset(want + fill[k].off, fill[k].val, fill[k].len);
	}
	HIPCHK(hipDeviceSynchronize());
	if (!to_host(h, d, bytes))
		goto out;
	for (size_t i = 0; i < bytes; i++)
		if (h[i] != want[i] && !bad++)
			first = i;
	report("three fills, bytes around them untouched", bytes, bad, first,
	       "got %#x, want %#x", h[first], want[first]);
out:
	hipFree(d);
	free(h);
	free(want);
}

/* device-to-device hipMemcpy: the runtime's copyBuffer kernels */
static void case_memcpy_d2d(void)
{
	const size_t bytes = 4u << 20;
	struct { size_t src, dst, len; } cp[] = {
		{ 0, 0, 4u << 20 },		/* aligned */
		{ 1, 7, 1000003 },		/* misaligned */
		{ 4096, 64, 12 },		/* small */
	};
	uint8_t *h = (uint8_t *)malloc(bytes), *src = (uint8_t *)malloc(bytes);
	uint8_t *want = (uint8_t *)malloc(bytes);
	uint8_t *ds = (uint8_t *)dmalloc(bytes), *dd = (uint8_t *)dmalloc(bytes);
	size_t bad = 0, first = 0;
	hipError_t e;

	if (!ok(ds && dd, "device %d: %s: hipMalloc", dev, cur))
		goto out;
	for (size_t i = 0; i < bytes; i++) {
		src[i] = (uint8_t)hash32(i);
		want[i] = (uint8_t)~i;
	}
	if (!to_dev(ds, src, bytes) || !to_dev(dd, want, bytes))
		goto out;
	for (size_t k = 0; k < sizeof(cp) / sizeof(cp[0]); k++) {
		e = hipMemcpy(dd + cp[k].dst, ds + cp[k].src, cp[k].len,
			      hipMemcpyDeviceToDevice);
		if (!ok(e == hipSuccess, "device %d: %s: hipMemcpy device "
			    "+%zu -> device +%zu, %zu bytes: %s", dev, cur,
			    cp[k].src, cp[k].dst, cp[k].len,
			    hipGetErrorString(e)))
			goto out;
		memcpy(want + cp[k].dst, src + cp[k].src, cp[k].len);
	}
	if (!to_host(h, dd, bytes))
		goto out;
	for (size_t i = 0; i < bytes; i++)
		if (h[i] != want[i] && !bad++)
			first = i;
	report("three copies, bytes around them untouched", bytes, bad, first,
	       "got %#x, want %#x", h[first], want[first]);
out:
	hipFree(ds);
	hipFree(dd);
	free(h);
	free(src);
	free(want);
}

struct test_case {
	const char *name;
	void (*run)(void);
};

static const struct test_case cases[] = {
	{ "vadd", case_vadd },
	{ "saxpy_f32", case_saxpy_f32 },
	{ "saxpy_f64", case_saxpy_f64 },
	{ "grid2d", case_grid2d },
	{ "grid3d", case_grid3d },
	{ "reduce", case_reduce },
	{ "divmod", case_divmod },
	{ "divmod64", case_divmod64 },
	{ "diverge", case_diverge },
	{ "scratch", case_scratch },
	{ "shuffle", case_shuffle },
	{ "fmath", case_fmath },
	{ "small_types", case_small_types },
	{ "matmul", case_matmul },
	{ "printf", case_printf },
	{ "hipMemset", case_memset },
	{ "hipMemcpy_d2d", case_memcpy_d2d },
};
#define NCASES ((int)(sizeof(cases) / sizeof(cases[0])))

static int ndev;
static const char *only;
static double case_timeout = 300;

/*
 * A process's first kernel on a device waits for the runtime to start and
 * to compile its blit program for that device (comgr, 10-40 s under TCG,
 * more under the debug kernel): it gets three times as long.
 */
#define FIRST_USE 3

/* The worker: cases from (d, i) on, in order; never returns. */
static void worker(int d, int i)
{
	for (; d < ndev; d++, i = 0) {
		bool first = true;

		dev = d;
		if (!hip_ok(hipSetDevice(d), "hipSetDevice"))
			_exit(1);
		for (; i < NCASES; i++) {
			if (only && strcmp(only, cases[i].name))
				continue;
			prog->dev = d;
			prog->next = i;
			prog->limit = case_timeout * (first ? FIRST_USE : 1);
			prog->since = now();
			first = false;
			cur = cases[i].name;
			cases[i].run();
		}
	}
	prog->done = 1;
	/* the runtime's teardown is not under test here */
	_exit(0);
}

static pid_t spawn(void (*fn)(int, int), int d, int i)
{
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		perror("fork");
		exit(1);
	}
	if (pid == 0) {
		fn(d, i);
		_exit(0);
	}
	return pid;
}

/*
 * Wait for a child; true if it exited.  If its case takes longer than
 * prog->limit, it is killed and false returned.
 */
static bool wait_child(pid_t pid, int *status)
{
	for (;;) {
		pid_t r = waitpid(pid, status, WNOHANG);

		if (r == pid)
			return true;
		if (r < 0) {
			perror("waitpid");
			exit(1);
		}
		if (now() - prog->since > prog->limit) {
			kill(pid, SIGKILL);
			waitpid(pid, status, 0);
			return false;
		}
		usleep(20000);
	}
}

/*
 * After two cases in a row that never finished the device does not run
 * kernels at all (a shader core that is missing or stuck): the remaining
 * cases fail at once instead of waiting for each in turn.
 */
static int stuck;

static void run_cases(void)
{
	int d = 0, i = 0, status;

	while (d < ndev) {
		pid_t pid;

		if (stuck >= 2) {
			if (!only || !strcmp(only, cases[i].name))
				ok(0, "device %d: %s: not run, the two cases "
				   "before it never finished", d, cases[i].name);
			goto next;
		}
		prog->done = 0;
		prog->dev = d;
		prog->next = i;
		prog->limit = case_timeout * FIRST_USE;
		prog->since = now();
		pid = spawn(worker, d, i);
		if (wait_child(pid, &status) && prog->done &&
		    WIFEXITED(status) && !WEXITSTATUS(status))
			return;
		d = prog->dev;
		i = prog->next;
		if (prog->done) {
			ok(0, "the worker's exit status %#x after the last case",
			   status);
			return;
		}
		if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) {
			ok(0, "device %d: %s: no result after %.0f s (kernel "
			   "still running or queue stopped)", d, cases[i].name,
			   prog->limit);
			stuck++;
		} else {
			ok(0, "device %d: %s: the process died (%s %d)", d,
			   cases[i].name,
			   WIFSIGNALED(status) ? "signal" : "exit",
			   WIFSIGNALED(status) ? WTERMSIG(status) :
			   WEXITSTATUS(status));
			stuck = 0;
		}
next:
		if (++i == NCASES) {
			i = 0;
			d++;
		}
	}
}

/* ---- a kernel that never ends, and one that faults (device 0) ---- */

static void forever_child(int d, int unused)
{
	uint32_t zero = 0, *flag = NULL;
	hipError_t e;

	(void)unused;
	dev = d;
	cur = "forever";
	if (!hip_ok(hipSetDevice(d), "hipSetDevice"))
		_exit(1);
	flag = (uint32_t *)dmalloc(4);
	if (!flag || !to_dev(flag, &zero, 4))
		_exit(1);
	hipLaunchKernelGGL(forever, dim3(8), dim3(BLOCK), 0, 0, flag);
	if (!hip_ok(hipGetLastError(), "launch"))
		_exit(1);
	/* still running two seconds later, and still after four */
	for (int k = 0; k < 2; k++) {
		sleep(2);
		e = hipStreamQuery(0);
		if (e != hipErrorNotReady) {
			ok(0, "device %d: forever: hipStreamQuery after %d s: "
			       "%s, wanted hipErrorNotReady", d, 2 * (k + 1),
			       hipGetErrorString(e));
			_exit(1);
		}
	}
	prog->running = 1;
	pause();
	_exit(0);
}

static void beside_child(int d, int unused);

static void check_forever(void)
{
	bool ended = false;
	pid_t pid;
	int status = 0;
	double t0;

	prog->running = 0;
	prog->since = now();
	pid = spawn(forever_child, 0, 0);
	t0 = now();
	while (!prog->running && now() - t0 < case_timeout * FIRST_USE) {
		if (waitpid(pid, &status, WNOHANG) == pid) {
			ended = true;
			break;
		}
		usleep(20000);
	}
	if (!ok(prog->running, "device 0: forever: the looping kernel "
		    "is still running 4 s after its launch"))
		diag("  its process %s", ended ? "ended first" :
			 "did not report in time");
	if (!ended && prog->running) {
		pid_t other;
		int st = 0;

		prog->limit = case_timeout * FIRST_USE;
		prog->since = now();
		other = spawn(beside_child, 0, 0);
		if (!wait_child(other, &st))
			ok(0, "device 0: beside forever: another process's kernel "
			   "got no result in %.0f s while the looping kernel ran",
			   prog->limit);
		else if (!WIFEXITED(st) || WEXITSTATUS(st))
			ok(0, "device 0: beside forever: the process failed "
			   "(status %#x)", st);
		if (waitpid(pid, &status, WNOHANG) == pid)
			ended = true;
	}
	if (ended) {
		ok(0, "device 0: forever: its process killed with the "
		       "kernel in flight (it ended by itself: %s %d)",
		       WIFSIGNALED(status) ? "signal" : "exit",
		       WIFSIGNALED(status) ? WTERMSIG(status) :
		       WEXITSTATUS(status));
		return;
	}
	kill(pid, SIGKILL);
	t0 = now();
	waitpid(pid, &status, 0);
	ok(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
	       "device 0: forever: its process killed with the kernel in "
	       "flight, reaped after %.2f s", now() - t0);
}

/* A small vector add on device d, checked; false if it could not run. */
static bool small_vadd(int d, const char *what)
{
	const unsigned n = 65536;
	float *h = (float *)malloc(n * 4), *r = (float *)malloc(n * 4);
	float *da, *dc;
	size_t bad = 0, first = 0;

	dev = d;
	if (!hip_ok(hipSetDevice(d), "hipSetDevice"))
		return false;
	for (unsigned i = 0; i < n; i++)
		h[i] = (float)hash32(i) / 7.0f;
	da = (float *)dmalloc(n * 4);
	dc = (float *)dmalloc(n * 4);
	if (!da || !dc || !to_dev(da, h, n * 4))
		return false;
	hipLaunchKernelGGL(vadd, dim3(blocks(n)), dim3(BLOCK), 0, 0, da, da,
			   dc, n);
	if (!hip_ok(hipDeviceSynchronize(), "vadd") || !to_host(r, dc, n * 4))
		return false;
	for (unsigned i = 0; i < n; i++)
		if (!same_f32(r[i], h[i] + h[i]) && !bad++)
			first = i;
	report(what, n, bad, first, "got %a, want %a", r[first], h[first] * 2);
	hipFree(da);
	hipFree(dc);
	free(h);
	free(r);
	return true;
}

/* Another process's kernel while the looping one holds the device. */
static void beside_child(int d, int unused)
{
	(void)unused;
	cur = "beside forever";
	_exit(small_vadd(d, "another process's kernel runs while the "
			 "looping kernel is in flight") ? 0 : 1);
}

/*
 * First a kernel on the device the looping one ran on (the queue of a
 * killed process is gone, the device goes on), then a store far past the
 * end of a buffer.
 */
static void oob_child(int d, int unused)
{
	uint32_t *p;

	(void)unused;
	cur = "after forever";
	if (!small_vadd(d, "a kernel runs after the looping kernel's process "
			"was killed"))
		_exit(1);

	cur = "oob_store";
	p = (uint32_t *)dmalloc(1u << 20);
	if (!p)
		_exit(1);
	/* 1 GiB + 0x840 past a 1 MiB buffer: no allocation of ours there */
	prog->oob_va = (uintptr_t)p + (1ull << 30) + 0x840;
	fflush(stdout);
	hipLaunchKernelGGL(oob_store, dim3(1), dim3(64), 0, 0, p,
			   ((1ull << 30) + 0x840) / 4);
	hipDeviceSynchronize();
	/* the runtime should have aborted the process by now */
	_exit(3);
}

/*
 * Run fn(0, 0) in a child whose stderr comes back in buf (each line also
 * as a TAP comment); its wait status.
 */
static int run_captured(void (*fn)(int, int), const char *tag, char *buf,
			size_t size)
{
	char *line, *save = NULL;
	size_t used = 0;
	int fds[2], status = 0;
	ssize_t r;
	pid_t pid;

	if (pipe(fds)) {
		perror("pipe");
		exit(1);
	}
	prog->since = now();
	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		perror("fork");
		exit(1);
	}
	if (pid == 0) {
		dup2(fds[1], 2);
		close(fds[0]);
		close(fds[1]);
		alarm((unsigned)(case_timeout * FIRST_USE));
		fn(0, 0);
		_exit(0);
	}
	close(fds[1]);
	while (used < size - 1 &&
	       (r = read(fds[0], buf + used, size - 1 - used)) > 0)
		used += r;
	close(fds[0]);
	buf[used] = '\0';
	waitpid(pid, &status, 0);
	{
		char copy[8192];

		snprintf(copy, sizeof(copy), "%s", buf);
		for (line = strtok_r(copy, "\n", &save); line;
		     line = strtok_r(NULL, "\n", &save))
			diag("%s stderr: %s", tag, line);
	}
	return status;
}

static bool died_of(int status, int sig, char *how, size_t size)
{
	snprintf(how, size, "%s %d", WIFSIGNALED(status) ? "signal" : "exit",
		 WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
	return WIFSIGNALED(status) && WTERMSIG(status) == sig;
}

static void check_oob(void)
{
	char buf[8192], how[32];
	const char *say, *at;
	unsigned long long va = 0;
	bool addr_ok;
	uint64_t want;
	int status;

	prog->oob_va = 0;
	status = run_captured(oob_child, "oob", buf, sizeof(buf));
	want = prog->oob_va;
	say = strstr(buf, "Memory access fault by GPU node-");
	at = say ? strstr(say, " on address ") : NULL;
	if (at)
		va = strtoull(at + 12, NULL, 16);
	/* amdkfd reports the page; the exact address is fine too */
	addr_ok = want && (va == (want & ~0xfffull) ||
			   (va >= want && va < want + 64 * 4));
	ok(say != NULL, "device 0: oob_store: the runtime reports \"Memory "
	   "access fault by GPU node-...\"");
	ok(addr_ok, "device 0: oob_store: at address %#llx (the store "
	   "went to %#llx..%#llx)", va, (unsigned long long)want,
	   (unsigned long long)want + 255);
	ok(died_of(status, SIGABRT, how, sizeof(how)),
	   "device 0: oob_store: the process dies of SIGABRT (%s)", how);
}

/* __builtin_trap() in one lane: the queue stops, HIP aborts the process */
static void trap_child(int d, int unused)
{
	uint32_t *p;

	(void)unused;
	dev = d;
	cur = "trap";
	if (!hip_ok(hipSetDevice(d), "hipSetDevice"))
		_exit(1);
	p = (uint32_t *)dmalloc(256);
	if (!p)
		_exit(1);
	hipLaunchKernelGGL(trap_kernel, dim3(1), dim3(64), 0, 0, p);
	hipDeviceSynchronize();
	_exit(3);
}

static void check_trap(void)
{
	char buf[8192], how[32];
	int status = run_captured(trap_child, "trap", buf, sizeof(buf));

	ok(strstr(buf, "callbackQueue aborting with error") &&
	   strstr(buf, "HSA_STATUS_ERROR_EXCEPTION"),
	   "device 0: trap: HIP reports the queue error "
	   "HSA_STATUS_ERROR_EXCEPTION (s_trap 2)");
	ok(died_of(status, SIGABRT, how, sizeof(how)),
	   "device 0: trap: the process dies of SIGABRT (%s)", how);
}

/*
 * With SDMA off, ROCr copies with its own precompiled blit shaders
 * (CopyAligned, CopyMisaligned: gfx8 code behind an amd_kernel_code_t), so
 * HIP's host <-> device copies run them: aligned, misaligned by 1 and 3,
 * and a few bytes.  The variable must be set before the runtime starts,
 * hence a process of its own.
 */
static void rocr_blit_child(int d, int unused)
{
	const size_t n = (3u << 20) + 77;
	static const struct { size_t hs, dv, hd, len; } cp[] = {
		{ 0, 0, 0, 1u << 20 },		/* all aligned */
		{ 1, 3, 2, (3u << 20) + 77 },	/* three misalignments */
		{ 5, 4096 + 1, 6, 13 },		/* a few bytes */
	};
	uint8_t *h = (uint8_t *)malloc(n + 64), *r = (uint8_t *)malloc(n + 64);
	uint8_t *dv;
	bool all = true;

	(void)unused;
	setenv("HSA_ENABLE_SDMA", "0", 1);
	dev = d;
	cur = "rocr_blit";
	if (!hip_ok(hipSetDevice(d), "hipSetDevice"))
		_exit(1);
	dv = (uint8_t *)dmalloc(n + 8192);
	if (!ok(h && r && dv, "device %d: %s: hipMalloc", d, cur))
		_exit(1);
	for (size_t i = 0; i < n + 64; i++)
		h[i] = (uint8_t)(i * 131 + 7);
	for (size_t k = 0; k < sizeof(cp) / sizeof(cp[0]); k++) {
		size_t bad = 0, first = 0;

		memset(r, 0, n + 64);
		if (!to_dev(dv + cp[k].dv, h + cp[k].hs, cp[k].len) ||
		    !to_host(r + cp[k].hd, dv + cp[k].dv, cp[k].len))
			_exit(1);
		for (size_t i = 0; i < cp[k].len; i++)
			if (r[cp[k].hd + i] != h[cp[k].hs + i] && !bad++)
				first = i;
		all = report(k == 0 ? "aligned, 1 MiB, there and back" :
			     k == 1 ? "misaligned (host +1, device +3, host "
				      "+2), 3 MiB + 77" :
			     "13 bytes, misaligned", cp[k].len, bad, first,
			     "got %#x, want %#x", r[cp[k].hd + first],
			     h[cp[k].hs + first]) && all;
	}
	_exit(all ? 0 : 1);
}

static void check_rocr_blits(void)
{
	int status = 0;
	pid_t pid;

	prog->limit = case_timeout * FIRST_USE;
	prog->since = now();
	pid = spawn(rocr_blit_child, 0, 0);
	if (!wait_child(pid, &status))
		ok(0, "device 0: rocr_blit: no result after %.0f s", prog->limit);
	else if (WIFSIGNALED(status))
		ok(0, "device 0: rocr_blit: the process died of signal %d",
		   WTERMSIG(status));
}

/* The device count, from a child: HIP must stay out of this process. */
static void count_child(int want, int unused)
{
	int n = 0;
	hipError_t e = hipGetDeviceCount(&n);

	(void)unused;
	ok(e == hipSuccess && n > 0 && (!want || n == want),
	       "hipGetDeviceCount: %d (%s)%s", n, hipGetErrorString(e),
	       want ? "" : ", any number wanted");
	_exit(e == hipSuccess && n > 0 ? n : 0);
}

int main(int argc, char **argv)
{
	bool no_fatal = false;
	int want = 0, status;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--devices") && i + 1 < argc) {
			want = atoi(argv[++i]);
		} else if (!strcmp(argv[i], "--only") && i + 1 < argc) {
			only = argv[++i];
		} else if (!strcmp(argv[i], "--case-timeout") && i + 1 < argc) {
			case_timeout = atof(argv[++i]);
		} else if (!strcmp(argv[i], "--no-fatal")) {
			no_fatal = true;
		} else if (!strcmp(argv[i], "--list")) {
			for (int k = 0; k < NCASES; k++)
				printf("%s\n", cases[k].name);
			printf("rocr_blit\nforever\noob_store\ntrap\n");
			return 0;
		} else {
			fprintf(stderr, "usage: %s [--devices N] [--only CASE] "
				"[--case-timeout S] [--no-fatal] [--list]\n",
				argv[0]);
			return 2;
		}
	}

	tap_stderr_as_comments();
	prog = (struct progress *)mmap(NULL, sizeof(*prog),
				       PROT_READ | PROT_WRITE,
				       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (prog == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	memset(prog, 0, sizeof(*prog));

	prog->since = now();
	waitpid(spawn(count_child, want, 0), &status, 0);
	ndev = WIFEXITED(status) ? WEXITSTATUS(status) : 0;
	if (ndev > 0)
		run_cases();
	if (ndev > 0 && stuck < 2 && (!only || !strcmp(only, "rocr_blit")))
		check_rocr_blits();
	/* --no-fatal: only the cases that leave the process alive */
	if (ndev > 0 && !no_fatal && stuck >= 2 &&
	    (!only || !strcmp(only, "forever") || !strcmp(only, "oob_store") ||
	     !strcmp(only, "trap"))) {
		ok(0, "device 0: forever: not run, kernels never finish");
		ok(0, "device 0: oob_store: not run, kernels never finish");
		ok(0, "device 0: trap: not run, kernels never finish");
	} else if (ndev > 0 && !no_fatal) {
		if (!only || !strcmp(only, "forever"))
			check_forever();
		if (!only || !strcmp(only, "oob_store"))
			check_oob();
		if (!only || !strcmp(only, "trap"))
			check_trap();
	}
	printf("1..%d\n# %d passed, %d failed\n", prog->count,
	       prog->count - prog->failed, prog->failed);
	return prog->failed ? 1 : 0;
}
