// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The device math library on the shader core's floating-point ops: HIP's
 * sinf, expf, powf, sin, cos (large arguments go through
 * v_trig_preop_f64), exp, log, pow, sqrt, division and fma, in f32 and
 * f64, each on 4096 inputs spread over the whole exponent range with the
 * special values among them, compared with the guest's libm; and __half
 * arithmetic (v_add/sub/mul_f16, v_pk_add/mul_f16, v_cvt_f16_f32) on
 * random 16-bit patterns against the host's _Float16, bit for bit.
 *
 * The device library promises a few ulp for the transcendental functions
 * (its own algorithms, built on v_exp/v_log/v_rcp/v_rsq approximations
 * and v_fma), so those are checked within BOUND_ULP; fma, division and the
 * conversions are IEEE operations and must match bit for bit.  A NaN
 * matches any NaN.  Each line gives the worst ulp distance seen; the
 * first inputs out of bounds come as comments.
 *
 * usage: hip-fpmath.  TAP on stdout; the runtime's stderr as comments.
 */
#include <hip/hip_runtime.h>
#include <hip/hip_fp16.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tap-stderr.h"

#define N           4096
#define BOUND_ULP   4

static int count, failed;

static void ok(bool cond, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void ok(bool cond, const char *fmt, ...)
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
}

enum { F_SIN, F_COS, F_TAN, F_EXP, F_LOG2, F_POW, F_SQRT, F_DIV, F_FMA,
       F_TOINT, NF };
static const char *const fname[NF] = {
	"sin", "cos", "tan", "exp", "log2", "pow", "sqrt", "x / y", "fma",
	"(int) and (unsigned)",
};
/* ulp bound per function; 0: bit for bit */
static const int bound32[NF] = { BOUND_ULP, BOUND_ULP, BOUND_ULP, BOUND_ULP,
				 BOUND_ULP, BOUND_ULP, 1, 0, 0, 0 };
static const int bound64[NF] = { BOUND_ULP, BOUND_ULP, BOUND_ULP, BOUND_ULP,
				 BOUND_ULP, BOUND_ULP, 1, 0, 0, 0 };

__global__ void math32(const float *x, const float *y, float *o)
{
	int i = blockIdx.x * blockDim.x + threadIdx.x;
	float a = x[i], b = y[i];

	if (i >= N)
		return;
	o[F_SIN * N + i] = sinf(a);
	o[F_COS * N + i] = cosf(a);
	o[F_TAN * N + i] = tanf(a);
	o[F_EXP * N + i] = expf(a * 0x1p-100f);
	o[F_LOG2 * N + i] = log2f(a);
	o[F_POW * N + i] = powf(fabsf(a) * 0x1p-110f, b * 0x1p-124f);
	o[F_SQRT * N + i] = sqrtf(a);
	o[F_DIV * N + i] = a / b;
	o[F_FMA * N + i] = fmaf(a, b, a * 0x1p-20f);
	o[F_TOINT * N + i] = (float)(int)a + (float)(unsigned)fabsf(b);
}

__global__ void math64(const double *x, const double *y, double *o)
{
	int i = blockIdx.x * blockDim.x + threadIdx.x;
	double a = x[i], b = y[i];

	if (i >= N)
		return;
	o[F_SIN * N + i] = sin(a);
	o[F_COS * N + i] = cos(a);
	o[F_TAN * N + i] = tan(a);
	o[F_EXP * N + i] = exp(a * 0x1p-1010);
	o[F_LOG2 * N + i] = log2(a);
	o[F_POW * N + i] = pow(fabs(a) * 0x1p-1020, b * 0x1p-1020);
	o[F_SQRT * N + i] = sqrt(a);
	o[F_DIV * N + i] = a / b;
	o[F_FMA * N + i] = fma(a, b, a * 0x1p-40);
	o[F_TOINT * N + i] = (double)(int)a + (double)(unsigned)fabs(b);
}

/* float -> int as v_cvt_i32/u32 do it: toward zero, saturated, NaN 0 */
static int32_t sat_i32(double v)
{
	if (isnan(v))
		return 0;
	if (v >= 2147483647.0)
		return INT32_MAX;
	if (v <= -2147483648.0)
		return INT32_MIN;
	return (int32_t)v;
}

static uint32_t sat_u32(double v)
{
	if (isnan(v) || v <= 0)
		return 0;
	if (v >= 4294967295.0)
		return UINT32_MAX;
	return (uint32_t)v;
}

static float ref_toint32(float a, float b)
{
	return (float)sat_i32(a) + (float)sat_u32(fabsf(b));
}

static double ref_toint64(double a, double b)
{
	return (double)sat_i32(a) + (double)sat_u32(fabs(b));
}

/* __half: three ops, a conversion and two packed ops per input */
enum { H_ADD, H_SUB, H_MUL, H_CVT, H_PADD, H_PMUL, NH };
static const char *const hname[NH] = {
	"__hadd", "__hsub", "__hmul", "__float2half", "__hadd2 (packed)",
	"__hmul2 (packed)",
};

__global__ void math16(const __half *a, const __half *b, const float *f,
		       __half *o)
{
	int i = blockIdx.x * blockDim.x + threadIdx.x;
	__half2 p, q, r;

	if (i >= N)
		return;
	o[H_ADD * N + i] = __hadd(a[i], b[i]);
	o[H_SUB * N + i] = __hsub(a[i], b[i]);
	o[H_MUL * N + i] = __hmul(a[i], b[i]);
	o[H_CVT * N + i] = __float2half(f[i]);
	/* pairs (a[i], b[i]) and (b[i], a[i]): both halves differ */
	p = __halves2half2(a[i], b[i]);
	q = __halves2half2(b[i], a[i]);
	r = __hadd2(p, q);
	o[H_PADD * N + i] = __low2half(r);
	r = __hmul2(p, q);
	o[H_PMUL * N + i] = __high2half(r);
}

static uint16_t hbits(_Float16 h)
{
	uint16_t u;

	memcpy(&u, &h, 2);
	return u;
}

static _Float16 hval(uint16_t u)
{
	_Float16 h;

	memcpy(&h, &u, 2);
	return h;
}

static bool hnan(uint16_t u)
{
	return (u & 0x7fff) > 0x7c00;
}

/* host references, the same expressions */
static float ref32(int f, float a, float b)
{
	switch (f) {
	case F_SIN: return sinf(a);
	case F_COS: return cosf(a);
	case F_TAN: return tanf(a);
	case F_EXP: return expf(a * 0x1p-100f);
	case F_LOG2: return log2f(a);
	case F_POW: return powf(fabsf(a) * 0x1p-110f, b * 0x1p-124f);
	case F_SQRT: return sqrtf(a);
	case F_DIV: return a / b;
	case F_FMA: return fmaf(a, b, a * 0x1p-20f);
	default: return ref_toint32(a, b);
	}
}

static double ref64(int f, double a, double b)
{
	switch (f) {
	case F_SIN: return sin(a);
	case F_COS: return cos(a);
	case F_TAN: return tan(a);
	case F_EXP: return exp(a * 0x1p-1010);
	case F_LOG2: return log2(a);
	case F_POW: return pow(fabs(a) * 0x1p-1020, b * 0x1p-1020);
	case F_SQRT: return sqrt(a);
	case F_DIV: return a / b;
	case F_FMA: return fma(a, b, a * 0x1p-40);
	default: return ref_toint64(a, b);
	}
}

/* Inputs: hashed bit patterns over all exponents, special values, and
 * the large arguments that need Payne-Hanek reduction. */
static uint64_t hash(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ull;
	x ^= x >> 33;
	return x;
}

static const float special32[] = {
	0.0f, -0.0f, INFINITY, -INFINITY, NAN, 1.0f, -1.0f, 0x1p-149f,
	-0x1p-149f, 0x1p-126f, 0x1.fffffep127f, 0.5f, 3.0f, 1e10f, -1e30f,
	0x1p100f, 123456.789f, 3.14159265f,
};

static const double special64[] = {
	0.0, -0.0, INFINITY, -INFINITY, NAN, 1.0, -1.0, 0x1p-1074,
	-0x1p-1074, 0x1p-1022, 0x1.fffffffffffffp1023, 0.5, 3.0, 1e22,
	-1e300, 0x1p1000, 123456.789, 3.141592653589793,
};

static void inputs(float *x32, float *y32, double *x64, double *y64)
{
	unsigned i, ns32 = sizeof(special32) / sizeof(special32[0]);
	unsigned ns64 = sizeof(special64) / sizeof(special64[0]);

	for (i = 0; i < N; i++) {
		uint64_t h = hash(i + 1), g = hash(h);
		uint32_t u = h, v = g;
		uint64_t du = h, dv = g;

		/* half of them with moderate exponents */
		if (i & 1) {
			u = (u & 0x807fffff) | ((100 + (h >> 40) % 60) << 23);
			du = (du & 0x800fffffffffffffull) |
			     ((uint64_t)(900 + (h >> 40) % 250) << 52);
		}
		memcpy(&x32[i], &u, 4);
		memcpy(&y32[i], &v, 4);
		memcpy(&x64[i], &du, 8);
		memcpy(&y64[i], &dv, 8);
		if (i < ns32)
			x32[i] = special32[i];
		if (i < ns64)
			x64[i] = special64[i];
		if (i >= ns64 && i < 2 * ns64)
			y64[i] = special64[i - ns64];
		if (i >= ns32 && i < 2 * ns32)
			y32[i] = special32[i - ns32];
	}
}

static int64_t ulps32(float a, float b)
{
	int32_t x, y;

	if (isnan(a) && isnan(b))
		return 0;
	if (isnan(a) || isnan(b))
		return INT32_MAX;
	memcpy(&x, &a, 4);
	memcpy(&y, &b, 4);
	if (x < 0)
		x = INT32_MIN - x;
	if (y < 0)
		y = INT32_MIN - y;
	return x > y ? (int64_t)x - y : (int64_t)y - x;
}

static int64_t ulps64(double a, double b)
{
	int64_t x, y;

	if (isnan(a) && isnan(b))
		return 0;
	if (isnan(a) || isnan(b))
		return INT64_MAX;
	memcpy(&x, &a, 8);
	memcpy(&y, &b, 8);
	if (x < 0)
		x = INT64_MIN - x;
	if (y < 0)
		y = INT64_MIN - y;
	/* far apart: report a large distance without overflowing */
	if ((x < 0) != (y < 0))
		return INT64_MAX;
	return x > y ? x - y : y - x;
}

static bool check(hipError_t e, const char *what)
{
	if (e == hipSuccess)
		return true;
	ok(false, "%s: %s", what, hipGetErrorString(e));
	return false;
}

int main(void)
{
	static float x32[N], y32[N], o32[NF * N];
	static double x64[N], y64[N], o64[NF * N];
	float *dx32, *dy32, *do32;
	double *dx64, *dy64, *do64;
	int ndev = 0, f;
	unsigned i;

	tap_stderr_as_comments();
	printf("1..%d\n", 1 + 2 * NF + NH);
	ok(hipGetDeviceCount(&ndev) == hipSuccess && ndev > 0,
	   "hipGetDeviceCount: %d", ndev);
	if (ndev <= 0)
		return 1;
	inputs(x32, y32, x64, y64);
	if (!check(hipMalloc(&dx32, sizeof(x32)), "hipMalloc") ||
	    !check(hipMalloc(&dy32, sizeof(y32)), "hipMalloc") ||
	    !check(hipMalloc(&do32, sizeof(o32)), "hipMalloc") ||
	    !check(hipMalloc(&dx64, sizeof(x64)), "hipMalloc") ||
	    !check(hipMalloc(&dy64, sizeof(y64)), "hipMalloc") ||
	    !check(hipMalloc(&do64, sizeof(o64)), "hipMalloc") ||
	    !check(hipMemcpy(dx32, x32, sizeof(x32), hipMemcpyHostToDevice),
		   "hipMemcpy") ||
	    !check(hipMemcpy(dy32, y32, sizeof(y32), hipMemcpyHostToDevice),
		   "hipMemcpy") ||
	    !check(hipMemcpy(dx64, x64, sizeof(x64), hipMemcpyHostToDevice),
		   "hipMemcpy") ||
	    !check(hipMemcpy(dy64, y64, sizeof(y64), hipMemcpyHostToDevice),
		   "hipMemcpy"))
		return 1;
	hipLaunchKernelGGL(math32, dim3(N / 256), dim3(256), 0, 0,
			   dx32, dy32, do32);
	hipLaunchKernelGGL(math64, dim3(N / 256), dim3(256), 0, 0,
			   dx64, dy64, do64);
	if (!check(hipMemcpy(o32, do32, sizeof(o32), hipMemcpyDeviceToHost),
		   "kernels (hipMemcpy back)") ||
	    !check(hipMemcpy(o64, do64, sizeof(o64), hipMemcpyDeviceToHost),
		   "kernels (hipMemcpy back)"))
		return 1;

	for (f = 0; f < NF; f++) {
		int64_t worst = 0, bad = 0;

		for (i = 0; i < N; i++) {
			float want = ref32(f, x32[i], y32[i]);
			int64_t u = ulps32(o32[f * N + i], want);

			if (u > worst)
				worst = u;
			if (u > bound32[f] && bad++ < 3)
				printf("# f32 %s: x = %a, y = %a: device %a, "
				       "host %a\n", fname[f], x32[i], y32[i],
				       o32[f * N + i], want);
		}
		ok(!bad, "f32 %s: %d inputs within %d ulp of the host "
		   "(worst %lld, %lld out)", fname[f], N, bound32[f],
		   (long long)worst, (long long)bad);
	}
	for (f = 0; f < NF; f++) {
		int64_t worst = 0, bad = 0;

		for (i = 0; i < N; i++) {
			double want = ref64(f, x64[i], y64[i]);
			int64_t u = ulps64(o64[f * N + i], want);

			if (u > worst)
				worst = u;
			if (u > bound64[f] && bad++ < 3)
				printf("# f64 %s: x = %a, y = %a: device %a, "
				       "host %a\n", fname[f], x64[i], y64[i],
				       o64[f * N + i], want);
		}
		ok(!bad, "f64 %s: %d inputs within %d ulp of the host "
		   "(worst %lld, %lld out)", fname[f], N, bound64[f],
		   (long long)worst, (long long)bad);
	}
	/* __half: random 16-bit patterns (NaNs, infinities, denormals too) */
	{
		static uint16_t ha[N], hb[N], ho[NH * N];
		__half *da, *db, *dout;
		float *dflt;

		for (i = 0; i < N; i++) {
			ha[i] = hash(i + 7);
			hb[i] = hash(i + 7) >> 16;
		}
		if (!check(hipMalloc(&da, sizeof(ha)), "hipMalloc") ||
		    !check(hipMalloc(&db, sizeof(hb)), "hipMalloc") ||
		    !check(hipMalloc(&dout, sizeof(ho)), "hipMalloc") ||
		    !check(hipMalloc(&dflt, sizeof(x32)), "hipMalloc") ||
		    !check(hipMemcpy(da, ha, sizeof(ha), hipMemcpyHostToDevice),
			   "hipMemcpy") ||
		    !check(hipMemcpy(db, hb, sizeof(hb), hipMemcpyHostToDevice),
			   "hipMemcpy") ||
		    !check(hipMemcpy(dflt, x32, sizeof(x32),
				     hipMemcpyHostToDevice), "hipMemcpy"))
			return 1;
		hipLaunchKernelGGL(math16, dim3(N / 256), dim3(256), 0, 0,
				   da, db, dflt, dout);
		if (!check(hipMemcpy(ho, dout, sizeof(ho),
				     hipMemcpyDeviceToHost),
			   "half kernel (hipMemcpy back)"))
			return 1;
		for (f = 0; f < NH; f++) {
			int64_t bad = 0;

			for (i = 0; i < N; i++) {
				_Float16 x = hval(ha[i]), y = hval(hb[i]);
				uint16_t want, got = ho[f * N + i];

				switch (f) {
				case H_ADD:
				case H_PADD:
					want = hbits(x + y);
					break;
				case H_SUB:
					want = hbits(x - y);
					break;
				case H_MUL:
				case H_PMUL:
					want = hbits(x * y);
					break;
				default:
					want = hbits((_Float16)x32[i]);
					break;
				}
				if (got == want || (hnan(got) && hnan(want)))
					continue;
				if (bad++ < 3)
					printf("# %s: 0x%04x, 0x%04x (%a): device "
					       "0x%04x, host 0x%04x\n", hname[f],
					       ha[i], hb[i], x32[i], got, want);
			}
			ok(!bad, "%s: %d inputs bit for bit as the host's "
			   "_Float16 (%lld differ)", hname[f], N,
			   (long long)bad);
		}
	}
	return failed ? 1 : 0;
}
