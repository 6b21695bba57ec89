/*
 * vkfd: a virtual AMD KFD device -- shader core: the floating-point VALU
 * ops (f32, f64, f16) of VOP1, VOP2, VOPC, VOP3 and VOP3P
 *
 * The MODE register decides how a wave computes: FP_ROUND (bits 1:0 for
 * f32, 3:2 for f64 and f16: nearest even, +inf, -inf, zero), FP_DENORM
 * (bits 5:4 for f32, 7:6 for f64 and f16; bit 0 of each pair keeps
 * denormal inputs, bit 1 denormal results), DX10_CLAMP and IEEE.  The
 * kernel descriptor's RSRC1 sets it; clang sets round to nearest even and
 * keeps denormals, which is what the host's SSE arithmetic does (QEMU
 * never sets FTZ/DAZ in MXCSR).  So:
 *
 *   fast path   round to nearest even and denormals kept for the type:
 *               the host's float/double arithmetic over whole rows, which
 *               gives IEEE's correctly rounded results
 *   slow path   any other mode: softfloat per lane with the mode's
 *               rounding and flushing (ops whose result is exact --
 *               floor, compares, min/max -- flush and use the host)
 *
 * NaNs are fixed up afterwards on both paths: a NaN result is the first
 * NaN source (in operand order) made quiet, or the canonical quiet NaN
 * (0x7fc00000, 0x7ff8000000000000, 0x7e00: positive, unlike the host's)
 * when the NaN came from an invalid operation.  v_min/v_max follow the
 * IEEE bit (IEEE 754-2008 minNum/maxNum with signalling NaNs quieted, or
 * the non-NaN operand), and order -0 below +0.
 *
 * The hardware's v_rcp, v_rsq, v_sqrt, v_exp, v_log, v_sin and v_cos are
 * approximations of about 1 ulp; here they are the host's (v_rcp, v_sqrt:
 * correctly rounded; the others through libm in double precision), which
 * is within the hardware's error, and what clang's division and square
 * root sequences are designed for.
 *
 * v_mad_f32 and v_mac_f32 (and v_madmk/madak) are not fused and, as on
 * GFX9, never see a denormal: inputs, the product and the result are
 * flushed whatever FP_DENORM says.  v_fma_f32/v_fmac_f32 are fused.
 *
 * Division: clang divides with v_div_scale (scale numerator and
 * denominator away from the denormal and overflow ranges, VCC when the
 * quotient needs scaling back), v_rcp, v_fma refinement, v_div_fmas (the
 * last fma, scaled back by 2^64 (f32) or 2^128 (f64) when VCC says so:
 * up when the quotient is large, down when it is small) and v_div_fixup
 * (the special cases: NaN, 0/0, inf/inf, x/0, x/inf, and the sign).
 * The division ops, ldexp and the class compares also have whole-row
 * paths for rows where no lane needs a special case.
 *
 * Speed: the hot handlers are built twice (FP_HOT), for the baseline and
 * for AVX2 with FMA, the latter taken when the host has them; its rows
 * are written with intrinsics.  docs/shader-core.md has the figures.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include <math.h>
#include "fpu/softfloat.h"
#include "vkfd.h"
#include "vkfd-sh.h"
#include "vkfd-sh-valu.h"

#define LANES               VKFD_SH_WAVE_SIZE

#define F32_SIGN            0x80000000u
#define F32_EXP             0x7f800000u
#define F32_QUIET           0x00400000u
#define F32_NAN             0x7fc00000u
#define F32_MAX_FRACT       0x3f7fffffu     /* the largest float below 1 */

#define F64_SIGN            0x8000000000000000ull
#define F64_EXP             0x7ff0000000000000ull
#define F64_QUIET           0x0008000000000000ull
#define F64_NAN             0x7ff8000000000000ull
#define F64_MAX_FRACT       0x3fefffffffffffffull

#define F16_SIGN            0x8000u
#define F16_EXP             0x7c00u
#define F16_QUIET           0x0200u
#define F16_NAN             0x7e00u
#define F16_MAX_FRACT       0x3bffu

#define ONE_F32             0x3f800000u
#define ONE_F16             0x3c00u

/* MODE fields */
#define MODE_ROUND(m, wide)     ((m) >> ((wide) ? 2 : 0) & 3)
#define MODE_DENORM(m, wide)    ((m) >> ((wide) ? 6 : 4) & 3)
#define DENORM_IN               1       /* denormal inputs are kept */
#define DENORM_OUT              2       /* denormal results are kept */

/*
 * The hot handlers are built twice, for the build's baseline and for
 * AVX2 with FMA (and F16C), and take the second when the host has them:
 * twice the lanes a host instruction, and v_fma in one host instruction.
 */
#if defined(__x86_64__)
#include <immintrin.h>

#define FP_AVX2 __attribute__((target("avx2,fma")))
/* A row is 8 or 16 vectors: unrolled, it has no loop to run */
#define FP_UNROLL _Pragma("GCC unroll 16")

static bool fp_avx2;

/*
 * VKFD_SH_FP_BASELINE=1 in QEMU's environment keeps the baseline build on
 * an AVX2 host, so that the tests can run both (qtest-vkfd-shader-fp-base).
 */
static void __attribute__((constructor)) vkfd_sh_fp_host_init(void)
{
    const char *base = getenv("VKFD_SH_FP_BASELINE");

    __builtin_cpu_init();
    fp_avx2 = __builtin_cpu_supports("avx2") &&
              __builtin_cpu_supports("fma") &&
              __builtin_cpu_supports("f16c") &&
              !(base && *base && strcmp(base, "0"));
}
#else
#define FP_AVX2
#define fp_avx2 false
#endif

#define FP_HOT2(name, call_avx2, call) \
    static bool FP_AVX2 name##_avx2(VkfdWave *w, const VkfdShInsn *in) \
    { \
        return call_avx2; \
    } \
    static bool name(VkfdWave *w, const VkfdShInsn *in) \
    { \
        if (likely(fp_avx2)) { \
            return name##_avx2(w, in); \
        } \
        return call; \
    }
#define FP_HOT(name, call)  FP_HOT2(name, call, call)

/*
 * Row kernels of the AVX2 build, written with the intrinsics: the
 * compiler does not vectorise fmaf() and, inlined into a function of
 * another target, not always the plain loops either.  Each computes 64
 * lanes into r and returns whether a result is a NaN (the NaN rules are
 * then applied lane by lane); the min/max one returns false when a
 * source is a NaN, and the caller takes the lane-by-lane path.
 */
typedef bool Fp32Row2(float *r, const float *a, const float *b);
typedef bool Fp32Row3(float *r, const float *a, const float *b,
                      const float *c);
typedef bool Fp64Row2(double *r, const double *a, const double *b);
typedef bool Fp64Row3(double *r, const double *a, const double *b,
                      const double *c);
typedef bool MinMaxRow(uint32_t *r, const uint32_t *a, const uint32_t *b,
                       bool max);
typedef bool Fp32Row1(float *r, const float *a);
typedef void CvtRow(uint32_t *r, const uint32_t *a);
typedef uint64_t CmpRow(const float *a, const float *b, unsigned pred);
typedef uint64_t Cmp64Row(const double *a, const double *b, unsigned pred);

#if defined(__x86_64__)
#define ROW32_AVX2(name, op) \
    static bool FP_AVX2 name(float *r, const float *a, const float *b) \
    { \
        __m256 nan = _mm256_setzero_ps(); \
        int i; \
        FP_UNROLL \
        for (i = 0; i < VKFD_SH_WAVE_SIZE; i += 8) { \
            __m256 x = op(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i)); \
            nan = _mm256_or_ps(nan, _mm256_cmp_ps(x, x, _CMP_UNORD_Q)); \
            _mm256_storeu_ps(r + i, x); \
        } \
        return _mm256_movemask_ps(nan); \
    }

#define ROW64_AVX2(name, op) \
    static bool FP_AVX2 name(double *r, const double *a, const double *b) \
    { \
        __m256d nan = _mm256_setzero_pd(); \
        int i; \
        FP_UNROLL \
        for (i = 0; i < VKFD_SH_WAVE_SIZE; i += 4) { \
            __m256d x = op(_mm256_loadu_pd(a + i), _mm256_loadu_pd(b + i)); \
            nan = _mm256_or_pd(nan, _mm256_cmp_pd(x, x, _CMP_UNORD_Q)); \
            _mm256_storeu_pd(r + i, x); \
        } \
        return _mm256_movemask_pd(nan); \
    }

ROW32_AVX2(row_add32_avx2, _mm256_add_ps)
ROW32_AVX2(row_sub32_avx2, _mm256_sub_ps)
ROW32_AVX2(row_mul32_avx2, _mm256_mul_ps)
ROW64_AVX2(row_add64_avx2, _mm256_add_pd)
ROW64_AVX2(row_mul64_avx2, _mm256_mul_pd)

static bool FP_AVX2 row_fma32_avx2(float *r, const float *a, const float *b,
                                   const float *c)
{
    __m256 nan = _mm256_setzero_ps();
    int i;

    FP_UNROLL
    for (i = 0; i < VKFD_SH_WAVE_SIZE; i += 8) {
        __m256 x = _mm256_fmadd_ps(_mm256_loadu_ps(a + i),
                                   _mm256_loadu_ps(b + i),
                                   _mm256_loadu_ps(c + i));

        nan = _mm256_or_ps(nan, _mm256_cmp_ps(x, x, _CMP_UNORD_Q));
        _mm256_storeu_ps(r + i, x);
    }
    return _mm256_movemask_ps(nan);
}

static bool FP_AVX2 row_fma64_avx2(double *r, const double *a,
                                   const double *b, const double *c)
{
    __m256d nan = _mm256_setzero_pd();
    int i;

    FP_UNROLL
    for (i = 0; i < VKFD_SH_WAVE_SIZE; i += 4) {
        __m256d x = _mm256_fmadd_pd(_mm256_loadu_pd(a + i),
                                    _mm256_loadu_pd(b + i),
                                    _mm256_loadu_pd(c + i));

        nan = _mm256_or_pd(nan, _mm256_cmp_pd(x, x, _CMP_UNORD_Q));
        _mm256_storeu_pd(r + i, x);
    }
    return _mm256_movemask_pd(nan);
}

#define ROW1_AVX2(name, op) \
    static bool FP_AVX2 name(float *r, const float *a) \
    { \
        __m256 nan = _mm256_setzero_ps(); \
        int i; \
        FP_UNROLL \
        for (i = 0; i < VKFD_SH_WAVE_SIZE; i += 8) { \
            __m256 x = op(_mm256_loadu_ps(a + i)); \
            nan = _mm256_or_ps(nan, _mm256_cmp_ps(x, x, _CMP_UNORD_Q)); \
            _mm256_storeu_ps(r + i, x); \
        } \
        return _mm256_movemask_ps(nan); \
    }

#define AVX2_RCP(x)     _mm256_div_ps(_mm256_set1_ps(1.0f), x)
#define AVX2_FLOOR(x)   _mm256_round_ps(x, _MM_FROUND_TO_NEG_INF | \
                                           _MM_FROUND_NO_EXC)
#define AVX2_CEIL(x)    _mm256_round_ps(x, _MM_FROUND_TO_POS_INF | \
                                           _MM_FROUND_NO_EXC)
#define AVX2_TRUNC(x)   _mm256_round_ps(x, _MM_FROUND_TO_ZERO | \
                                           _MM_FROUND_NO_EXC)
#define AVX2_RNDNE(x)   _mm256_round_ps(x, _MM_FROUND_TO_NEAREST_INT | \
                                           _MM_FROUND_NO_EXC)

ROW1_AVX2(row_rcp32_avx2, AVX2_RCP)
ROW1_AVX2(row_sqrt32_avx2, _mm256_sqrt_ps)
ROW1_AVX2(row_floor32_avx2, AVX2_FLOOR)
ROW1_AVX2(row_ceil32_avx2, AVX2_CEIL)
ROW1_AVX2(row_trunc32_avx2, AVX2_TRUNC)
ROW1_AVX2(row_rndne32_avx2, AVX2_RNDNE)

/* u32 -> f32: the high and low halves are exact, their sum rounds once */
static void FP_AVX2 row_cvt_f32_u32_avx2(uint32_t *r, const uint32_t *a)
{
    int i;

    FP_UNROLL
    for (i = 0; i < VKFD_SH_WAVE_SIZE; i += 8) {
        __m256i x = _mm256_loadu_si256((const __m256i *)(a + i));
        __m256 hi = _mm256_cvtepi32_ps(_mm256_srli_epi32(x, 16));
        __m256 lo = _mm256_cvtepi32_ps(_mm256_and_si256(
                                           x, _mm256_set1_epi32(0xffff)));
        __m256 f = _mm256_fmadd_ps(hi, _mm256_set1_ps(65536.0f), lo);

        _mm256_storeu_si256((__m256i *)(r + i), _mm256_castps_si256(f));
    }
}

/* f32 -> u32 toward zero: NaN and negatives 0, 2^32 and above all ones */
static void FP_AVX2 row_cvt_u32_f32_avx2(uint32_t *r, const uint32_t *a)
{
    const __m256 two31 = _mm256_set1_ps(2147483648.0f);
    int i;

    FP_UNROLL
    for (i = 0; i < VKFD_SH_WAVE_SIZE; i += 8) {
        __m256 x = _mm256_loadu_ps((const float *)(a + i));
        __m256 big = _mm256_cmp_ps(x, two31, _CMP_GE_OQ);
        __m256 lo = _mm256_max_ps(x, _mm256_setzero_ps()); /* NaN -> 0 */
        __m256i v = _mm256_cvttps_epi32(_mm256_blendv_ps(
                                            lo, _mm256_sub_ps(x, two31), big));
        __m256 sat = _mm256_cmp_ps(x, _mm256_set1_ps(4294967296.0f),
                                   _CMP_GE_OQ);

        v = _mm256_xor_si256(v, _mm256_and_si256(_mm256_castps_si256(big),
                                 _mm256_set1_epi32(INT32_MIN)));
        v = _mm256_or_si256(v, _mm256_castps_si256(sat));
        _mm256_storeu_si256((__m256i *)(r + i), v);
    }
}

/*
 * A compare's lane mask: the predicate's bits pick the lanes where src0
 * is less, equal, greater or unordered.
 */
static uint64_t FP_AVX2 row_cmp32_avx2(const float *a, const float *b,
                                       unsigned pred)
{
    const __m256 all = _mm256_castsi256_ps(_mm256_set1_epi32(-1));
    __m256 m_lt = pred & 1 ? all : _mm256_setzero_ps();
    __m256 m_eq = pred & 2 ? all : _mm256_setzero_ps();
    __m256 m_gt = pred & 4 ? all : _mm256_setzero_ps();
    __m256 m_un = pred & 8 ? all : _mm256_setzero_ps();
    uint64_t m = 0;
    int i;

    FP_UNROLL
    for (i = 0; i < VKFD_SH_WAVE_SIZE; i += 8) {
        __m256 x = _mm256_loadu_ps(a + i), y = _mm256_loadu_ps(b + i);
        __m256 hit = _mm256_and_ps(_mm256_cmp_ps(x, y, _CMP_LT_OQ), m_lt);

        hit = _mm256_or_ps(hit, _mm256_and_ps(
                               _mm256_cmp_ps(x, y, _CMP_EQ_OQ), m_eq));
        hit = _mm256_or_ps(hit, _mm256_and_ps(
                               _mm256_cmp_ps(x, y, _CMP_GT_OQ), m_gt));
        hit = _mm256_or_ps(hit, _mm256_and_ps(
                               _mm256_cmp_ps(x, y, _CMP_UNORD_Q), m_un));
        m |= (uint64_t)(uint8_t)_mm256_movemask_ps(hit) << i;
    }
    return m;
}

static uint64_t FP_AVX2 row_cmp64_avx2(const double *a, const double *b,
                                       unsigned pred)
{
    const __m256d all = _mm256_castsi256_pd(_mm256_set1_epi64x(-1));
    __m256d m_lt = pred & 1 ? all : _mm256_setzero_pd();
    __m256d m_eq = pred & 2 ? all : _mm256_setzero_pd();
    __m256d m_gt = pred & 4 ? all : _mm256_setzero_pd();
    __m256d m_un = pred & 8 ? all : _mm256_setzero_pd();
    uint64_t m = 0;
    int i;

    FP_UNROLL
    for (i = 0; i < VKFD_SH_WAVE_SIZE; i += 4) {
        __m256d x = _mm256_loadu_pd(a + i), y = _mm256_loadu_pd(b + i);
        __m256d hit = _mm256_and_pd(_mm256_cmp_pd(x, y, _CMP_LT_OQ), m_lt);

        hit = _mm256_or_pd(hit, _mm256_and_pd(
                               _mm256_cmp_pd(x, y, _CMP_EQ_OQ), m_eq));
        hit = _mm256_or_pd(hit, _mm256_and_pd(
                               _mm256_cmp_pd(x, y, _CMP_GT_OQ), m_gt));
        hit = _mm256_or_pd(hit, _mm256_and_pd(
                               _mm256_cmp_pd(x, y, _CMP_UNORD_Q), m_un));
        m |= (uint64_t)(_mm256_movemask_pd(hit) & 0xf) << i;
    }
    return m;
}

/*
 * f16 add/sub/mul through f32 (F16C conversions): the f32 result of two
 * f16 operands rounded again to f16 is the correctly rounded f16 result
 * (24 >= 2 * 11 + 2 bits).  Sources and results in bits 15:0 of each
 * lane, results with bits 31:16 zero.
 */
static inline __attribute__((always_inline, target("avx2,fma,f16c"))) __m256
half8(const uint32_t *p)
{
    __m256i x = _mm256_and_si256(_mm256_loadu_si256((const __m256i *)p),
                                 _mm256_set1_epi32(0xffff));

    x = _mm256_packus_epi32(x, _mm256_setzero_si256());
    x = _mm256_permute4x64_epi64(x, 0x08);
    return _mm256_cvtph_ps(_mm256_castsi256_si128(x));
}

#define ROW16_AVX2(name, op) \
    static bool __attribute__((target("avx2,fma,f16c"))) \
    name(uint32_t *r, const uint32_t *a, const uint32_t *b) \
    { \
        __m256 nan = _mm256_setzero_ps(); \
        int i; \
        FP_UNROLL \
        for (i = 0; i < VKFD_SH_WAVE_SIZE; i += 8) { \
            __m256 x = op(half8(a + i), half8(b + i)); \
            nan = _mm256_or_ps(nan, _mm256_cmp_ps(x, x, _CMP_UNORD_Q)); \
            _mm256_storeu_si256((__m256i *)(r + i), _mm256_cvtepu16_epi32( \
                _mm256_cvtps_ph(x, _MM_FROUND_TO_NEAREST_INT | \
                                   _MM_FROUND_NO_EXC))); \
        } \
        return _mm256_movemask_ps(nan); \
    }

/* f16 <-> f32 (F16C); NaNs keep sign and payload and become quiet */
static void __attribute__((target("avx2,fma,f16c")))
row_cvt_f32_f16_avx2(uint32_t *r, const uint32_t *a)
{
    int i;

    FP_UNROLL
    for (i = 0; i < VKFD_SH_WAVE_SIZE; i += 8) {
        __m256 x = half8(a + i);
        __m256i nan = _mm256_castps_si256(_mm256_cmp_ps(x, x, _CMP_UNORD_Q));

        _mm256_storeu_si256((__m256i *)(r + i), _mm256_or_si256(
                                _mm256_castps_si256(x), _mm256_and_si256(
                                    nan, _mm256_set1_epi32(F32_QUIET))));
    }
}

static void __attribute__((target("avx2,fma,f16c")))
row_cvt_f16_f32_avx2(uint32_t *r, const uint32_t *a)
{
    int i;

    FP_UNROLL
    for (i = 0; i < VKFD_SH_WAVE_SIZE; i += 8) {
        __m128i h = _mm256_cvtps_ph(_mm256_loadu_ps((const float *)(a + i)),
                                    _MM_FROUND_TO_NEAREST_INT |
                                    _MM_FROUND_NO_EXC);

        _mm256_storeu_si256((__m256i *)(r + i), _mm256_cvtepu16_epi32(h));
    }
}

ROW16_AVX2(row_add16_avx2, _mm256_add_ps)
ROW16_AVX2(row_sub16_avx2, _mm256_sub_ps)
ROW16_AVX2(row_mul16_avx2, _mm256_mul_ps)

/*
 * min/max of rows without NaNs: the host's min/max, and for equal
 * operands (+0 and -0 among them) the AND (max) or OR (min) of their bits
 */
static bool FP_AVX2 row_minmax32_avx2(uint32_t *r, const uint32_t *a,
                                      const uint32_t *b, bool max)
{
    __m256 nan = _mm256_setzero_ps();
    int i;

    FP_UNROLL
    for (i = 0; i < VKFD_SH_WAVE_SIZE; i += 8) {
        __m256 x = _mm256_loadu_ps((const float *)(a + i));
        __m256 y = _mm256_loadu_ps((const float *)(b + i));
        __m256 eq = _mm256_cmp_ps(x, y, _CMP_EQ_OQ);
        __m256 m = max ? _mm256_max_ps(x, y) : _mm256_min_ps(x, y);
        __m256 tie = max ? _mm256_and_ps(x, y) : _mm256_or_ps(x, y);

        nan = _mm256_or_ps(nan, _mm256_cmp_ps(x, y, _CMP_UNORD_Q));
        _mm256_storeu_ps((float *)(r + i), _mm256_blendv_ps(m, tie, eq));
    }
    return !_mm256_movemask_ps(nan);
}
#else
#define row_add32_avx2      NULL
#define row_sub32_avx2      NULL
#define row_mul32_avx2      NULL
#define row_add64_avx2      NULL
#define row_mul64_avx2      NULL
#define row_fma32_avx2      NULL
#define row_fma64_avx2      NULL
#define row_minmax32_avx2   NULL
#define row_rcp32_avx2      NULL
#define row_sqrt32_avx2     NULL
#define row_floor32_avx2    NULL
#define row_ceil32_avx2     NULL
#define row_trunc32_avx2    NULL
#define row_rndne32_avx2    NULL
#define row_cvt_f32_u32_avx2 NULL
#define row_cvt_u32_f32_avx2 NULL
#define row_cmp32_avx2      NULL
#define row_cmp64_avx2      NULL
#define row_add16_avx2      NULL
#define row_sub16_avx2      NULL
#define row_mul16_avx2      NULL
#define row_cvt_f32_f16_avx2 NULL
#define row_cvt_f16_f32_avx2 NULL
#endif

/*
 * Bits and values
 */

static inline float f32_of(uint32_t u)
{
    float f;

    memcpy(&f, &u, 4);
    return f;
}

static inline uint32_t u32_of(float f)
{
    uint32_t u;

    memcpy(&u, &f, 4);
    return u;
}

static inline double f64_of(uint64_t u)
{
    double d;

    memcpy(&d, &u, 8);
    return d;
}

static inline uint64_t u64_of(double d)
{
    uint64_t u;

    memcpy(&u, &d, 8);
    return u;
}

static inline bool nan32(uint32_t x)
{
    return (x & ~F32_SIGN) > F32_EXP;
}

static inline bool snan32(uint32_t x)
{
    return nan32(x) && !(x & F32_QUIET);
}

static inline bool nan64(uint64_t x)
{
    return (x & ~F64_SIGN) > F64_EXP;
}

static inline bool snan64(uint64_t x)
{
    return nan64(x) && !(x & F64_QUIET);
}

static inline bool nan16(uint32_t x)
{
    return (x & 0x7fff) > F16_EXP;
}

static inline bool snan16(uint32_t x)
{
    return nan16(x) && !(x & F16_QUIET);
}

static inline bool denorm32(uint32_t x)
{
    return !(x & F32_EXP) && (x & ~F32_SIGN);
}

static inline bool denorm64(uint64_t x)
{
    return !(x & F64_EXP) && (x & ~F64_SIGN);
}

static inline bool denorm16(uint32_t x)
{
    return !(x & F16_EXP) && (x & 0x7fff);
}

/* A denormal becomes a zero of its sign. */
static inline uint32_t flush32(uint32_t x)
{
    return x & F32_EXP ? x : x & F32_SIGN;
}

static inline uint64_t flush64(uint64_t x)
{
    return x & F64_EXP ? x : x & F64_SIGN;
}

static inline uint32_t flush16(uint32_t x)
{
    return x & F16_EXP ? x : x & F16_SIGN;
}

/* The biased exponent field */
static inline int bexp32(uint32_t x)
{
    return x >> 23 & 0xff;
}

static inline int bexp64(uint64_t x)
{
    return x >> 52 & 0x7ff;
}

/*
 * The float mode of a wave for f32 (wide = false) or f64/f16 (true)
 */

static inline bool fp_fast(const VkfdWave *w, bool wide)
{
    return MODE_ROUND(w->mode, wide) == 0 &&
           MODE_DENORM(w->mode, wide) == (DENORM_IN | DENORM_OUT);
}

static void fp_status(float_status *st, uint32_t mode, bool wide)
{
    static const FloatRoundMode rounding[4] = {
        float_round_nearest_even, float_round_up, float_round_down,
        float_round_to_zero,
    };
    unsigned den = MODE_DENORM(mode, wide);

    memset(st, 0, sizeof(*st));
    set_float_rounding_mode(rounding[MODE_ROUND(mode, wide)], st);
    set_flush_inputs_to_zero(!(den & DENORM_IN), st);
    set_flush_to_zero(!(den & DENORM_OUT), st);
}

/*
 * NaN results: the first NaN source made quiet, else the canonical NaN.
 * Sources past the op's count are NULL.  The check for any NaN is one
 * pass the compiler vectorises; the fix-up runs only when there is one.
 */
static void nan_fix32_lanes(uint32_t *r, const uint32_t *a,
                            const uint32_t *b, const uint32_t *c)
{
    int i;

    for (i = 0; i < LANES; i++) {
        if (!nan32(r[i])) {
            continue;
        }
        if (a && nan32(a[i])) {
            r[i] = a[i] | F32_QUIET;
        } else if (b && nan32(b[i])) {
            r[i] = b[i] | F32_QUIET;
        } else if (c && nan32(c[i])) {
            r[i] = c[i] | F32_QUIET;
        } else {
            r[i] = F32_NAN;
        }
    }
}

static inline QEMU_ALWAYS_INLINE void
nan_fix32(uint32_t *r, const uint32_t *a, const uint32_t *b, const uint32_t *c)
{
    unsigned any = 0;
    int i;

    for (i = 0; i < LANES; i++) {
        any |= nan32(r[i]);
    }
    if (unlikely(any)) {
        nan_fix32_lanes(r, a, b, c);
    }
}

static void nan_fix64_lanes(uint64_t *r, const uint64_t *a,
                            const uint64_t *b, const uint64_t *c)
{
    int i;

    for (i = 0; i < LANES; i++) {
        if (!nan64(r[i])) {
            continue;
        }
        if (a && nan64(a[i])) {
            r[i] = a[i] | F64_QUIET;
        } else if (b && nan64(b[i])) {
            r[i] = b[i] | F64_QUIET;
        } else if (c && nan64(c[i])) {
            r[i] = c[i] | F64_QUIET;
        } else {
            r[i] = F64_NAN;
        }
    }
}

static inline QEMU_ALWAYS_INLINE void
nan_fix64(uint64_t *r, const uint64_t *a, const uint64_t *b, const uint64_t *c)
{
    unsigned any = 0;
    int i;

    for (i = 0; i < LANES; i++) {
        any |= nan64(r[i]);
    }
    if (unlikely(any)) {
        nan_fix64_lanes(r, a, b, c);
    }
}

/* 16-bit values live in bits 15:0 of their lane */
static inline uint32_t nan_pick16(uint32_t r, uint32_t a, uint32_t b,
                                  uint32_t c, unsigned n)
{
    if (!nan16(r)) {
        return r;
    }
    if (nan16(a)) {
        return (a & 0xffff) | F16_QUIET;
    }
    if (n > 1 && nan16(b)) {
        return (b & 0xffff) | F16_QUIET;
    }
    if (n > 2 && nan16(c)) {
        return (c & 0xffff) | F16_QUIET;
    }
    return F16_NAN;
}

/* Copy a row with denormals flushed (the slow path's exact ops) */
static const uint32_t *flush_row32(const uint32_t *a, uint32_t *tmp)
{
    int i;

    for (i = 0; i < LANES; i++) {
        tmp[i] = flush32(a[i]);
    }
    return tmp;
}

static void flush_row64(uint64_t *a)
{
    int i;

    for (i = 0; i < LANES; i++) {
        a[i] = flush64(a[i]);
    }
}

/* A 32-bit source; a plain VGPR row without a call */
static inline QEMU_ALWAYS_INLINE const uint32_t *src32(const VkfdWave *w,
                                                       const VkfdShInsn *in,
                                                       unsigned i,
                                                       uint32_t *tmp)
{
    const VkfdShOpd *o = &in->src[i];

    if (likely(in->mods == VKFD_SH_MODS_NONE &&
               o->kind == VKFD_SH_OPD_VGPR)) {
        return w->v[o->idx];
    }
    return vkfd_sh_vsrc32(w, in, i, tmp);
}

/* The result row: copied in place when nothing but EXEC (full) applies */
static inline QEMU_ALWAYS_INLINE void dst32(VkfdWave *w, const VkfdShInsn *in,
                                            uint32_t *r)
{
    if (likely(in->mods == VKFD_SH_MODS_NONE &&
               vkfd_sh_exec_mask(w) == UINT64_MAX)) {
        memcpy(w->v[in->dst.idx], r, LANES * sizeof(*r));
        return;
    }
    vkfd_sh_vdst32(w, in, r);
}

/*
 * 64-bit sources and results without modifiers: the register pair's two
 * rows (low and high dwords) joined and split here, in loops the compiler
 * vectorises, rather than lane by lane.
 */
static inline QEMU_ALWAYS_INLINE void
join64(uint64_t *restrict out, const uint32_t *restrict lo,
       const uint32_t *restrict hi)
{
    int i;

    for (i = 0; i < LANES; i++) {
        out[i] = lo[i] | (uint64_t)hi[i] << 32;
    }
}

static inline QEMU_ALWAYS_INLINE void
split64(uint32_t *restrict lo, uint32_t *restrict hi,
        const uint64_t *restrict val)
{
    int i;

    for (i = 0; i < LANES; i++) {
        lo[i] = val[i];
        hi[i] = val[i] >> 32;
    }
}

static inline QEMU_ALWAYS_INLINE void get64(const VkfdWave *w,
                                            const VkfdShInsn *in,
                                            unsigned i, uint64_t *out)
{
    const VkfdShOpd *o = &in->src[i];

    if (likely(in->mods == VKFD_SH_MODS_NONE &&
               o->kind == VKFD_SH_OPD_VGPR)) {
        join64(out, w->v[o->idx], w->v[o->idx + 1]);
        return;
    }
    vkfd_sh_vsrc64(w, in, i, out);
}

static inline QEMU_ALWAYS_INLINE void put64_rows(VkfdWave *w,
                                                 const VkfdShInsn *in,
                                                 const uint64_t *val)
{
    if (likely(in->mods == VKFD_SH_MODS_NONE &&
               vkfd_sh_exec_mask(w) == UINT64_MAX)) {
        split64(w->v[in->dst.idx], w->v[in->dst.idx + 1], val);
        return;
    }
    vkfd_sh_vdst64(w, in, (uint64_t *)val);
}

/*
 * Row drivers.  Each takes the op's host function (fast path) and its
 * softfloat function (slow path; NULL: the op is exact, so the slow path
 * is the host function on flushed inputs with the result flushed too).
 * They are always inlined, so each handler below is a specialised loop.
 */
typedef float Fp32Fn1(float a);
typedef float Fp32Fn2(float a, float b);
typedef float Fp32Fn3(float a, float b, float c);
typedef float32 Sf32Fn1(float32 a, float_status *st);
typedef float32 Sf32Fn2(float32 a, float32 b, float_status *st);
typedef float32 Sf32Fn3(float32 a, float32 b, float32 c, float_status *st);

typedef double Fp64Fn1(double a);
typedef double Fp64Fn2(double a, double b);
typedef double Fp64Fn3(double a, double b, double c);
typedef float64 Sf64Fn1(float64 a, float_status *st);
typedef float64 Sf64Fn2(float64 a, float64 b, float_status *st);
typedef float64 Sf64Fn3(float64 a, float64 b, float64 c, float_status *st);

/* The result row of a 32-bit op: flush denormal results if the mode says */
static inline QEMU_ALWAYS_INLINE void
put32(VkfdWave *w, const VkfdShInsn *in, uint32_t *r, bool exact)
{
    int i;

    if (exact && !(MODE_DENORM(w->mode, false) & DENORM_OUT)) {
        for (i = 0; i < LANES; i++) {
            r[i] = flush32(r[i]);
        }
    }
    dst32(w, in, r);
}

static inline QEMU_ALWAYS_INLINE void
put64(VkfdWave *w, const VkfdShInsn *in, uint64_t *r, bool exact)
{
    if (exact && !(MODE_DENORM(w->mode, true) & DENORM_OUT)) {
        flush_row64(r);
    }
    put64_rows(w, in, r);
}

static inline QEMU_ALWAYS_INLINE bool
fp32_op1(VkfdWave *w, const VkfdShInsn *in, Fp32Fn1 *fast, Sf32Fn1 *soft,
         Fp32Row1 *row)
{
    uint32_t t0[LANES], r[LANES];
    const uint32_t *a = src32(w, in, 0, t0);
    float_status st;
    int i;

    if (likely(fp_fast(w, false))) {
        const float *restrict fa = (const float *)a;
        float *restrict fr = (float *)r;

        if (row) {
            if (unlikely(row(fr, fa))) {
                nan_fix32_lanes(r, a, NULL, NULL);
            }
            dst32(w, in, r);
            return true;
        }
        for (i = 0; i < LANES; i++) {
            fr[i] = fast(fa[i]);
        }
    } else if (soft) {
        fp_status(&st, w->mode, false);
        for (i = 0; i < LANES; i++) {
            r[i] = soft(a[i], &st);
        }
    } else {
        const uint32_t *fa = a;

        if (!(MODE_DENORM(w->mode, false) & DENORM_IN)) {
            fa = flush_row32(a, t0);
        }
        for (i = 0; i < LANES; i++) {
            r[i] = u32_of(fast(f32_of(fa[i])));
        }
    }
    nan_fix32(r, a, NULL, NULL);
    put32(w, in, r, !soft);
    return true;
}

static inline QEMU_ALWAYS_INLINE bool
fp32_op2(VkfdWave *w, const VkfdShInsn *in, Fp32Fn2 *fast, Sf32Fn2 *soft,
         bool rev, Fp32Row2 *row)
{
    uint32_t t0[LANES], t1[LANES], r[LANES];
    const uint32_t *a = src32(w, in, 0, t0);
    const uint32_t *b = src32(w, in, 1, t1);
    float_status st;
    int i;

    if (rev) {
        const uint32_t *t = a;

        a = b;
        b = t;
    }
    if (likely(fp_fast(w, false))) {
        const float *restrict fa = (const float *)a;
        const float *restrict fb = (const float *)b;
        float *restrict fr = (float *)r;

        if (row) {
            if (unlikely(row(fr, fa, fb))) {
                nan_fix32_lanes(r, a, b, NULL);
            }
            dst32(w, in, r);
            return true;
        }
        for (i = 0; i < LANES; i++) {
            fr[i] = fast(fa[i], fb[i]);
        }
    } else {
        fp_status(&st, w->mode, false);
        for (i = 0; i < LANES; i++) {
            r[i] = soft(a[i], b[i], &st);
        }
    }
    nan_fix32(r, a, b, NULL);
    dst32(w, in, r);
    return true;
}

static inline QEMU_ALWAYS_INLINE bool
fp32_op3(VkfdWave *w, const VkfdShInsn *in, Fp32Fn3 *fast, Sf32Fn3 *soft,
         Fp32Row3 *row)
{
    uint32_t t0[LANES], t1[LANES], t2[LANES], r[LANES];
    const uint32_t *a = src32(w, in, 0, t0);
    const uint32_t *b = src32(w, in, 1, t1);
    const uint32_t *c = src32(w, in, 2, t2);
    float_status st;
    int i;

    if (likely(fp_fast(w, false))) {
        const float *restrict fa = (const float *)a;
        const float *restrict fb = (const float *)b;
        const float *restrict fc = (const float *)c;
        float *restrict fr = (float *)r;

        if (row) {
            if (unlikely(row(fr, fa, fb, fc))) {
                nan_fix32_lanes(r, a, b, c);
            }
            dst32(w, in, r);
            return true;
        }
        for (i = 0; i < LANES; i++) {
            fr[i] = fast(fa[i], fb[i], fc[i]);
        }
    } else {
        fp_status(&st, w->mode, false);
        for (i = 0; i < LANES; i++) {
            r[i] = soft(a[i], b[i], c[i], &st);
        }
    }
    nan_fix32(r, a, b, c);
    dst32(w, in, r);
    return true;
}

static inline QEMU_ALWAYS_INLINE bool
fp64_op1(VkfdWave *w, const VkfdShInsn *in, Fp64Fn1 *fast, Sf64Fn1 *soft)
{
    uint64_t a[LANES], r[LANES];
    float_status st;
    int i;

    get64(w, in, 0, a);
    if (likely(fp_fast(w, true))) {
        for (i = 0; i < LANES; i++) {
            r[i] = u64_of(fast(f64_of(a[i])));
        }
    } else if (soft) {
        fp_status(&st, w->mode, true);
        for (i = 0; i < LANES; i++) {
            r[i] = soft(a[i], &st);
        }
    } else {
        for (i = 0; i < LANES; i++) {
            uint64_t x = a[i];

            if (!(MODE_DENORM(w->mode, true) & DENORM_IN)) {
                x = flush64(x);
            }
            r[i] = u64_of(fast(f64_of(x)));
        }
    }
    nan_fix64(r, a, NULL, NULL);
    put64(w, in, r, !soft);
    return true;
}

static inline QEMU_ALWAYS_INLINE bool
fp64_op2(VkfdWave *w, const VkfdShInsn *in, Fp64Fn2 *fast, Sf64Fn2 *soft,
         Fp64Row2 *row)
{
    uint64_t a[LANES], b[LANES], r[LANES];
    float_status st;
    int i;

    get64(w, in, 0, a);
    get64(w, in, 1, b);
    if (likely(fp_fast(w, true))) {
        if (row) {
            if (unlikely(row((double *)r, (const double *)a,
                             (const double *)b))) {
                nan_fix64_lanes(r, a, b, NULL);
            }
            put64_rows(w, in, r);
            return true;
        }
        for (i = 0; i < LANES; i++) {
            r[i] = u64_of(fast(f64_of(a[i]), f64_of(b[i])));
        }
    } else {
        fp_status(&st, w->mode, true);
        for (i = 0; i < LANES; i++) {
            r[i] = soft(a[i], b[i], &st);
        }
    }
    nan_fix64(r, a, b, NULL);
    put64_rows(w, in, r);
    return true;
}

static inline QEMU_ALWAYS_INLINE bool
fp64_op3(VkfdWave *w, const VkfdShInsn *in, Fp64Fn3 *fast, Sf64Fn3 *soft,
         Fp64Row3 *row)
{
    uint64_t a[LANES], b[LANES], c[LANES], r[LANES];
    float_status st;
    int i;

    get64(w, in, 0, a);
    get64(w, in, 1, b);
    get64(w, in, 2, c);
    if (likely(fp_fast(w, true))) {
        if (row) {
            if (unlikely(row((double *)r, (const double *)a,
                             (const double *)b, (const double *)c))) {
                nan_fix64_lanes(r, a, b, c);
            }
            put64_rows(w, in, r);
            return true;
        }
        for (i = 0; i < LANES; i++) {
            r[i] = u64_of(fast(f64_of(a[i]), f64_of(b[i]), f64_of(c[i])));
        }
    } else {
        fp_status(&st, w->mode, true);
        for (i = 0; i < LANES; i++) {
            r[i] = soft(a[i], b[i], c[i], &st);
        }
    }
    nan_fix64(r, a, b, c);
    put64_rows(w, in, r);
    return true;
}

/*
 * f32 arithmetic
 */

static inline QEMU_ALWAYS_INLINE float h_add(float a, float b)
{
    return a + b;
}

static inline QEMU_ALWAYS_INLINE float h_sub(float a, float b)
{
    return a - b;
}

static inline QEMU_ALWAYS_INLINE float h_mul(float a, float b)
{
    return a * b;
}

static inline QEMU_ALWAYS_INLINE float h_fma(float a, float b, float c)
{
    return fmaf(a, b, c);
}

static inline QEMU_ALWAYS_INLINE float32 sf_fma32(float32 a, float32 b,
                                                 float32 c, float_status *st)
{
    return float32_muladd(a, b, c, 0, st);
}

FP_HOT2(exec_add_f32,
        fp32_op2(w, in, h_add, float32_add, false, row_add32_avx2),
        fp32_op2(w, in, h_add, float32_add, false, NULL))
FP_HOT2(exec_sub_f32,
        fp32_op2(w, in, h_sub, float32_sub, false, row_sub32_avx2),
        fp32_op2(w, in, h_sub, float32_sub, false, NULL))
FP_HOT2(exec_subrev_f32,
        fp32_op2(w, in, h_sub, float32_sub, true, row_sub32_avx2),
        fp32_op2(w, in, h_sub, float32_sub, true, NULL))
FP_HOT2(exec_mul_f32,
        fp32_op2(w, in, h_mul, float32_mul, false, row_mul32_avx2),
        fp32_op2(w, in, h_mul, float32_mul, false, NULL))
/* v_fma_f32, v_fmac_f32 (src2 is the destination) */
FP_HOT2(exec_fma_f32, fp32_op3(w, in, h_fma, sf_fma32, row_fma32_avx2),
        fp32_op3(w, in, h_fma, sf_fma32, NULL))

/* v_mul_legacy_f32: 0 times anything (inf, NaN too) is +0 */
static inline QEMU_ALWAYS_INLINE float h_mul_legacy(float a, float b)
{
    if (a == 0 || b == 0) {
        return 0;
    }
    return a * b;
}

static inline QEMU_ALWAYS_INLINE float32 sf_mul_legacy(float32 a, float32 b,
                                                      float_status *st)
{
    if (float32_is_zero_or_denormal(a) || float32_is_zero_or_denormal(b)) {
        if (float32_is_zero(a) || float32_is_zero(b) ||
            get_flush_inputs_to_zero(st)) {
            return 0;
        }
    }
    return float32_mul(a, b, st);
}

static bool exec_mul_legacy_f32(VkfdWave *w, const VkfdShInsn *in)
{
    return fp32_op2(w, in, h_mul_legacy, sf_mul_legacy, false, NULL);
}

/*
 * v_mad_f32, v_mac_f32, v_madmk_f32, v_madak_f32 (the decoder puts the
 * multiplicands in src0, src1 and the addend in src2), v_mad_legacy_f32:
 * multiply, round, add, round; denormals flushed everywhere.
 */
static inline uint32_t mad32(uint32_t a, uint32_t b, uint32_t c, bool legacy,
                             float_status *st)
{
    uint32_t p;

    a = flush32(a);
    b = flush32(b);
    c = flush32(c);
    if (legacy && ((a & ~F32_SIGN) == 0 || (b & ~F32_SIGN) == 0)) {
        p = 0;
    } else if (st) {
        p = flush32(float32_mul(a, b, st));
    } else {
        p = flush32(u32_of(f32_of(a) * f32_of(b)));
    }
    if (st) {
        return flush32(float32_add(p, c, st));
    }
    return flush32(u32_of(f32_of(p) + f32_of(c)));
}

/* The same over a row, rounding to nearest even on the host */
static inline QEMU_ALWAYS_INLINE void
mad_row32(uint32_t *restrict r, const uint32_t *restrict a,
          const uint32_t *restrict b, const uint32_t *restrict c,
          bool legacy)
{
    int i;

    for (i = 0; i < LANES; i++) {
        uint32_t x = flush32(a[i]), y = flush32(b[i]), z = flush32(c[i]);
        uint32_t p = flush32(u32_of(f32_of(x) * f32_of(y)));

        if (legacy) {
            p = !(x & ~F32_SIGN) || !(y & ~F32_SIGN) ? 0 : p;
        }
        r[i] = flush32(u32_of(f32_of(p) + f32_of(z)));
    }
}

static inline QEMU_ALWAYS_INLINE bool mad_f32(VkfdWave *w,
                                              const VkfdShInsn *in,
                                              bool legacy)
{
    uint32_t t0[LANES], t1[LANES], t2[LANES], r[LANES];
    const uint32_t *a = src32(w, in, 0, t0);
    const uint32_t *b = src32(w, in, 1, t1);
    const uint32_t *c = src32(w, in, 2, t2);
    float_status st;
    int i;

    if (likely(MODE_ROUND(w->mode, false) == 0)) {
        mad_row32(r, a, b, c, legacy);
    } else {
        fp_status(&st, w->mode, false);
        set_flush_inputs_to_zero(true, &st);
        set_flush_to_zero(true, &st);
        for (i = 0; i < LANES; i++) {
            r[i] = mad32(a[i], b[i], c[i], legacy, &st);
        }
    }
    nan_fix32(r, a, b, c);
    dst32(w, in, r);
    return true;
}

FP_HOT(exec_mad_f32, mad_f32(w, in, false))

static bool exec_mad_legacy_f32(VkfdWave *w, const VkfdShInsn *in)
{
    return mad_f32(w, in, true);
}

/*
 * min/max.  Ordered as integers (-0 below +0); NaNs by the IEEE bit:
 * set, a signalling NaN wins (quieted) and a quiet NaN loses; clear, a
 * NaN always loses.  Two NaNs give the first, quieted.
 */
static inline uint32_t key32(uint32_t x)
{
    return x & F32_SIGN ? ~x : x | F32_SIGN;
}

static inline uint32_t minmax32(uint32_t a, uint32_t b, bool max, bool ieee)
{
    if (unlikely(nan32(a) || nan32(b))) {
        if (ieee && snan32(a)) {
            return a | F32_QUIET;
        }
        if (ieee && snan32(b)) {
            return b | F32_QUIET;
        }
        if (nan32(a)) {
            return nan32(b) ? a | F32_QUIET : b;
        }
        return a;
    }
    if (max) {
        return key32(a) >= key32(b) ? a : b;
    }
    return key32(a) <= key32(b) ? a : b;
}

static inline uint64_t key64(uint64_t x)
{
    return x & F64_SIGN ? ~x : x | F64_SIGN;
}

static inline uint64_t minmax64(uint64_t a, uint64_t b, bool max, bool ieee)
{
    if (unlikely(nan64(a) || nan64(b))) {
        if (ieee && snan64(a)) {
            return a | F64_QUIET;
        }
        if (ieee && snan64(b)) {
            return b | F64_QUIET;
        }
        if (nan64(a)) {
            return nan64(b) ? a | F64_QUIET : b;
        }
        return a;
    }
    if (max) {
        return key64(a) >= key64(b) ? a : b;
    }
    return key64(a) <= key64(b) ? a : b;
}

static inline uint32_t key16(uint32_t x)
{
    x &= 0xffff;
    return x & F16_SIGN ? ~x & 0xffff : x | F16_SIGN;
}

static inline uint32_t minmax16(uint32_t a, uint32_t b, bool max, bool ieee)
{
    a &= 0xffff;
    b &= 0xffff;
    if (unlikely(nan16(a) || nan16(b))) {
        if (ieee && snan16(a)) {
            return a | F16_QUIET;
        }
        if (ieee && snan16(b)) {
            return b | F16_QUIET;
        }
        if (nan16(a)) {
            return nan16(b) ? a | F16_QUIET : b;
        }
        return a;
    }
    if (max) {
        return key16(a) >= key16(b) ? a : b;
    }
    return key16(a) <= key16(b) ? a : b;
}

/* v_med3: the middle one; with a NaN source, the smallest (min3) */
static inline uint32_t med3_32(uint32_t a, uint32_t b, uint32_t c, bool ieee)
{
    uint32_t hi;

    if (nan32(a) || nan32(b) || nan32(c)) {
        return minmax32(minmax32(a, b, false, ieee), c, false, ieee);
    }
    hi = minmax32(minmax32(a, b, true, ieee), c, true, ieee);
    if (hi == a) {
        return minmax32(b, c, true, ieee);
    }
    if (hi == b) {
        return minmax32(a, c, true, ieee);
    }
    return minmax32(a, b, true, ieee);
}

static inline uint32_t med3_16(uint32_t a, uint32_t b, uint32_t c, bool ieee)
{
    uint32_t hi;

    if (nan16(a) || nan16(b) || nan16(c)) {
        return minmax16(minmax16(a, b, false, ieee), c, false, ieee);
    }
    hi = minmax16(minmax16(a, b, true, ieee), c, true, ieee);
    if (hi == (a & 0xffff)) {
        return minmax16(b, c, true, ieee);
    }
    if (hi == (b & 0xffff)) {
        return minmax16(a, c, true, ieee);
    }
    return minmax16(a, b, true, ieee);
}

enum { MM_MIN, MM_MAX, MM_MIN3, MM_MAX3, MM_MED3 };

/* min/max of rows without NaNs: as signed integers, keys order as floats */
static inline QEMU_ALWAYS_INLINE void
minmax_row32(uint32_t *restrict r, const uint32_t *restrict a,
             const uint32_t *restrict b, bool max)
{
    int i;

    for (i = 0; i < LANES; i++) {
        int32_t x = a[i], y = b[i];
        int32_t ka = x ^ ((x >> 31) & 0x7fffffff);
        int32_t kb = y ^ ((y >> 31) & 0x7fffffff);
        int32_t take_b = -(int32_t)(max ? kb > ka : kb < ka);

        r[i] = (x & ~take_b) | (y & take_b);
    }
}

static inline QEMU_ALWAYS_INLINE bool minmax_f32(VkfdWave *w,
                                                 const VkfdShInsn *in,
                                                 int kind, MinMaxRow *row)
{
    uint32_t t0[LANES], t1[LANES], t2[LANES], r[LANES];
    const uint32_t *a = src32(w, in, 0, t0);
    const uint32_t *b = src32(w, in, 1, t1);
    const uint32_t *c = NULL;
    bool ieee = w->mode & VKFD_SH_MODE_IEEE;
    int i;

    if (kind >= MM_MIN3) {
        c = src32(w, in, 2, t2);
    }
    if (!(MODE_DENORM(w->mode, false) & DENORM_IN)) {
        a = flush_row32(a, t0);
        b = flush_row32(b, t1);
        if (c) {
            c = flush_row32(c, t2);
        }
    }
    if (kind <= MM_MAX && row) {
        if (likely(row(r, a, b, kind == MM_MAX))) {
            put32(w, in, r, true);
            return true;
        }
    } else if (kind <= MM_MAX) {
        unsigned any = 0;

        for (i = 0; i < LANES; i++) {
            any |= nan32(a[i]) | nan32(b[i]);
        }
        if (likely(!any)) {
            minmax_row32(r, a, b, kind == MM_MAX);
            put32(w, in, r, true);
            return true;
        }
    }
    for (i = 0; i < LANES; i++) {
        switch (kind) {
        case MM_MIN:
        case MM_MAX:
            r[i] = minmax32(a[i], b[i], kind == MM_MAX, ieee);
            break;
        case MM_MIN3:
        case MM_MAX3:
            r[i] = minmax32(minmax32(a[i], b[i], kind == MM_MAX3, ieee),
                            c[i], kind == MM_MAX3, ieee);
            break;
        default:
            r[i] = med3_32(a[i], b[i], c[i], ieee);
            break;
        }
    }
    put32(w, in, r, true);
    return true;
}

FP_HOT2(exec_min_f32, minmax_f32(w, in, MM_MIN, row_minmax32_avx2),
        minmax_f32(w, in, MM_MIN, NULL))
FP_HOT2(exec_max_f32, minmax_f32(w, in, MM_MAX, row_minmax32_avx2),
        minmax_f32(w, in, MM_MAX, NULL))

static bool exec_min3_f32(VkfdWave *w, const VkfdShInsn *in)
{
    return minmax_f32(w, in, MM_MIN3, NULL);
}

static bool exec_max3_f32(VkfdWave *w, const VkfdShInsn *in)
{
    return minmax_f32(w, in, MM_MAX3, NULL);
}

static bool exec_med3_f32(VkfdWave *w, const VkfdShInsn *in)
{
    return minmax_f32(w, in, MM_MED3, NULL);
}

/*
 * f32 unary ops
 */

static inline QEMU_ALWAYS_INLINE float h_rcp(float a)
{
    return 1.0f / a;
}

static inline QEMU_ALWAYS_INLINE float32 sf_rcp32(float32 a, float_status *st)
{
    return float32_div(float32_one, a, st);
}

static inline QEMU_ALWAYS_INLINE float h_rsq(float a)
{
    return 1.0 / sqrt((double)a);
}

static inline QEMU_ALWAYS_INLINE float h_sqrt(float a)
{
    return sqrtf(a);
}

static inline QEMU_ALWAYS_INLINE float h_exp(float a)
{
    return exp2f(a);
}

static inline QEMU_ALWAYS_INLINE float h_log(float a)
{
    return log2f(a);
}

/* v_sin/v_cos take revolutions: sin(2 pi x); inf gives NaN */
static inline QEMU_ALWAYS_INLINE float h_sin(float a)
{
    double r = (double)a - rint(a);

    return isinf(a) ? NAN : sin(r * 2 * M_PI);
}

static inline QEMU_ALWAYS_INLINE float h_cos(float a)
{
    double r = (double)a - rint(a);

    return isinf(a) ? NAN : cos(r * 2 * M_PI);
}

static inline QEMU_ALWAYS_INLINE float h_floor(float a)
{
    return floorf(a);
}

static inline QEMU_ALWAYS_INLINE float h_ceil(float a)
{
    return ceilf(a);
}

static inline QEMU_ALWAYS_INLINE float h_trunc(float a)
{
    return truncf(a);
}

static inline QEMU_ALWAYS_INLINE float h_rndne(float a)
{
    float r = rintf(a);

    /* the host rounds to nearest even: rint does what the op says */
    return r;
}

/* x - floor(x), below 1; inf gives NaN */
static inline QEMU_ALWAYS_INLINE float h_fract(float a)
{
    float r;

    if (isinf(a)) {
        return NAN;
    }
    r = a - floorf(a);
    return r < f32_of(F32_MAX_FRACT) ? r : f32_of(F32_MAX_FRACT);
}

/* the mantissa in [0.5, 1) with the sign; 0, inf and NaN as they are */
static inline QEMU_ALWAYS_INLINE float h_frexp_mant(float a)
{
    int e;

    if (isinf(a)) {
        return a;
    }
    return frexpf(a, &e);
}

FP_HOT2(exec_rcp_f32, fp32_op1(w, in, h_rcp, sf_rcp32, row_rcp32_avx2),
        fp32_op1(w, in, h_rcp, sf_rcp32, NULL))

static bool exec_rsq_f32(VkfdWave *w, const VkfdShInsn *in)
{
    return fp32_op1(w, in, h_rsq, NULL, NULL);
}

FP_HOT2(exec_sqrt_f32, fp32_op1(w, in, h_sqrt, float32_sqrt, row_sqrt32_avx2),
        fp32_op1(w, in, h_sqrt, float32_sqrt, NULL))

static bool exec_exp_f32(VkfdWave *w, const VkfdShInsn *in)
{
    return fp32_op1(w, in, h_exp, NULL, NULL);
}

static bool exec_log_f32(VkfdWave *w, const VkfdShInsn *in)
{
    return fp32_op1(w, in, h_log, NULL, NULL);
}

static bool exec_sin_f32(VkfdWave *w, const VkfdShInsn *in)
{
    return fp32_op1(w, in, h_sin, NULL, NULL);
}

static bool exec_cos_f32(VkfdWave *w, const VkfdShInsn *in)
{
    return fp32_op1(w, in, h_cos, NULL, NULL);
}

FP_HOT2(exec_floor_f32, fp32_op1(w, in, h_floor, NULL, row_floor32_avx2),
        fp32_op1(w, in, h_floor, NULL, NULL))

FP_HOT2(exec_ceil_f32, fp32_op1(w, in, h_ceil, NULL, row_ceil32_avx2),
        fp32_op1(w, in, h_ceil, NULL, NULL))

FP_HOT2(exec_trunc_f32, fp32_op1(w, in, h_trunc, NULL, row_trunc32_avx2),
        fp32_op1(w, in, h_trunc, NULL, NULL))

FP_HOT2(exec_rndne_f32, fp32_op1(w, in, h_rndne, NULL, row_rndne32_avx2),
        fp32_op1(w, in, h_rndne, NULL, NULL))

static bool exec_fract_f32(VkfdWave *w, const VkfdShInsn *in)
{
    return fp32_op1(w, in, h_fract, NULL, NULL);
}

static bool exec_frexp_mant_f32(VkfdWave *w, const VkfdShInsn *in)
{
    return fp32_op1(w, in, h_frexp_mant, NULL, NULL);
}

/*
 * Ops with an integer operand or result: a lane function of raw bits,
 * computed on flushed inputs (the mode's input denormal bit) with the
 * host, which rounds to nearest even; other rounding modes take the
 * softfloat form where the op rounds.
 */
typedef uint32_t Lane32Fn(uint32_t a, uint32_t b, float_status *st);

static inline QEMU_ALWAYS_INLINE bool
lane32_op(VkfdWave *w, const VkfdShInsn *in, Lane32Fn *fn, unsigned nsrc,
          bool flush_a, bool wide, CvtRow *row)
{
    uint32_t t0[LANES], t1[LANES], r[LANES];
    const uint32_t *a = src32(w, in, 0, t0);
    const uint32_t *b = nsrc > 1 ? src32(w, in, 1, t1) : t1;
    float_status st, *stp = NULL;
    int i;

    if (unlikely(!fp_fast(w, wide))) {
        fp_status(&st, w->mode, wide);
        stp = &st;
        if (flush_a && !(MODE_DENORM(w->mode, wide) & DENORM_IN)) {
            a = flush_row32(a, t0);
        }
    } else if (row) {
        row(r, a);
        dst32(w, in, r);
        return true;
    }
    for (i = 0; i < LANES; i++) {
        r[i] = fn(a[i], b[i], stp);
    }
    dst32(w, in, r);
    return true;
}

/* f32 -> i32/u32: toward zero, saturated, NaN gives 0 */
static inline uint32_t l_cvt_i32_f32(uint32_t a, uint32_t b,
                                     float_status *st)
{
    float x = f32_of(a);

    if (nan32(a)) {
        return 0;
    }
    if (x >= 2147483648.0f) {
        return INT32_MAX;
    }
    if (x <= -2147483648.0f) {
        return (uint32_t)INT32_MIN;
    }
    return (int32_t)x;
}

static inline uint32_t l_cvt_u32_f32(uint32_t a, uint32_t b,
                                     float_status *st)
{
    float x = f32_of(a);

    if (nan32(a) || x <= 0) {
        return 0;
    }
    if (x >= 4294967296.0f) {
        return UINT32_MAX;
    }
    return (uint32_t)x;
}

/* round half up (floor(x + 0.5)) and floor, to i32 */
static inline uint32_t l_cvt_rpi_i32_f32(uint32_t a, uint32_t b,
                                         float_status *st)
{
    return nan32(a) ? 0 : l_cvt_i32_f32(u32_of(floor((double)f32_of(a) +
                                                     0.5)), 0, st);
}

static inline uint32_t l_cvt_flr_i32_f32(uint32_t a, uint32_t b,
                                         float_status *st)
{
    return nan32(a) ? 0 : l_cvt_i32_f32(u32_of(floorf(f32_of(a))), 0, st);
}

static inline uint32_t l_cvt_f32_i32(uint32_t a, uint32_t b,
                                     float_status *st)
{
    return st ? int32_to_float32(a, st) : u32_of((float)(int32_t)a);
}

static inline uint32_t l_cvt_f32_u32(uint32_t a, uint32_t b,
                                     float_status *st)
{
    return st ? uint32_to_float32(a, st) : u32_of((float)a);
}

/* A signed 4-bit integer in bits 3:0, in sixteenths */
static inline uint32_t l_cvt_off_f32_i4(uint32_t a, uint32_t b,
                                        float_status *st)
{
    return u32_of((float)((int32_t)(a << 28) >> 28) / 16);
}

static inline uint32_t l_cvt_f32_ubyte0(uint32_t a, uint32_t b,
                                        float_status *st)
{
    return u32_of((float)(a & 0xff));
}

static inline uint32_t l_cvt_f32_ubyte1(uint32_t a, uint32_t b,
                                        float_status *st)
{
    return u32_of((float)(a >> 8 & 0xff));
}

static inline uint32_t l_cvt_f32_ubyte2(uint32_t a, uint32_t b,
                                        float_status *st)
{
    return u32_of((float)(a >> 16 & 0xff));
}

static inline uint32_t l_cvt_f32_ubyte3(uint32_t a, uint32_t b,
                                        float_status *st)
{
    return u32_of((float)(a >> 24));
}

/* the exponent of frexp; 0 for 0, inf and NaN */
static inline uint32_t l_frexp_exp_f32(uint32_t a, uint32_t b,
                                       float_status *st)
{
    int e = 0;

    if (nan32(a) || isinf(f32_of(a))) {
        return 0;
    }
    frexpf(f32_of(a), &e);
    return e;
}

/* x * 2^n, n a signed integer */
static inline uint32_t l_ldexp_f32(uint32_t a, uint32_t b, float_status *st)
{
    int n = (int32_t)b;

    if (nan32(a)) {
        return a | F32_QUIET;
    }
    if (st) {
        return float32_scalbn(a, n, st);
    }
    return u32_of(ldexpf(f32_of(a), n));
}

static bool exec_cvt_i32_f32(VkfdWave *w, const VkfdShInsn *in)
{
    return lane32_op(w, in, l_cvt_i32_f32, 1, true, false, NULL);
}

FP_HOT2(exec_cvt_u32_f32,
        lane32_op(w, in, l_cvt_u32_f32, 1, true, false, row_cvt_u32_f32_avx2),
        lane32_op(w, in, l_cvt_u32_f32, 1, true, false, NULL))

static bool exec_cvt_rpi_i32_f32(VkfdWave *w, const VkfdShInsn *in)
{
    return lane32_op(w, in, l_cvt_rpi_i32_f32, 1, true, false, NULL);
}

static bool exec_cvt_flr_i32_f32(VkfdWave *w, const VkfdShInsn *in)
{
    return lane32_op(w, in, l_cvt_flr_i32_f32, 1, true, false, NULL);
}

static bool exec_cvt_f32_i32(VkfdWave *w, const VkfdShInsn *in)
{
    return lane32_op(w, in, l_cvt_f32_i32, 1, false, false, NULL);
}

FP_HOT2(exec_cvt_f32_u32,
        lane32_op(w, in, l_cvt_f32_u32, 1, false, false, row_cvt_f32_u32_avx2),
        lane32_op(w, in, l_cvt_f32_u32, 1, false, false, NULL))

static bool exec_cvt_off_f32_i4(VkfdWave *w, const VkfdShInsn *in)
{
    return lane32_op(w, in, l_cvt_off_f32_i4, 1, false, false, NULL);
}

static bool exec_cvt_f32_ubyte0(VkfdWave *w, const VkfdShInsn *in)
{
    return lane32_op(w, in, l_cvt_f32_ubyte0, 1, false, false, NULL);
}

static bool exec_cvt_f32_ubyte1(VkfdWave *w, const VkfdShInsn *in)
{
    return lane32_op(w, in, l_cvt_f32_ubyte1, 1, false, false, NULL);
}

static bool exec_cvt_f32_ubyte2(VkfdWave *w, const VkfdShInsn *in)
{
    return lane32_op(w, in, l_cvt_f32_ubyte2, 1, false, false, NULL);
}

static bool exec_cvt_f32_ubyte3(VkfdWave *w, const VkfdShInsn *in)
{
    return lane32_op(w, in, l_cvt_f32_ubyte3, 1, false, false, NULL);
}

static bool exec_frexp_exp_i32_f32(VkfdWave *w, const VkfdShInsn *in)
{
    return lane32_op(w, in, l_frexp_exp_f32, 1, true, false, NULL);
}

/*
 * ldexp of normal numbers whose result stays normal: the exponent field
 * changes, nothing rounds.  Returns false when a lane is not such.
 */
static inline QEMU_ALWAYS_INLINE unsigned
ldexp_row32(uint32_t *restrict r, const uint32_t *restrict a,
            const uint32_t *restrict n)
{
    unsigned plain = 1;
    int i;

    for (i = 0; i < LANES; i++) {
        int32_t k = (int32_t)n[i], e = bexp32(a[i]);
        int32_t ne = e + MIN(MAX(k, -512), 512);

        plain &= (e >= 1) & (e <= 254) & (ne >= 1) & (ne <= 254);
        r[i] = (a[i] & ~F32_EXP) | ((uint32_t)ne << 23 & F32_EXP);
    }
    return plain;
}

static inline QEMU_ALWAYS_INLINE unsigned
ldexp_row64(uint64_t *restrict r, const uint64_t *restrict a,
            const uint32_t *restrict n)
{
    unsigned plain = 1;
    int i;

    for (i = 0; i < LANES; i++) {
        int64_t k = (int32_t)n[i], e = bexp64(a[i]);
        int64_t ne = e + MIN(MAX(k, -4096), 4096);

        plain &= (e >= 1) & (e <= 2046) & (ne >= 1) & (ne <= 2046);
        r[i] = (a[i] & ~F64_EXP) | ((uint64_t)ne << 52 & F64_EXP);
    }
    return plain;
}

static inline QEMU_ALWAYS_INLINE bool ldexp_f32_body(VkfdWave *w,
                                                     const VkfdShInsn *in)
{
    uint32_t t0[LANES], t1[LANES], r[LANES];

    if (likely(fp_fast(w, false))) {
        if (likely(ldexp_row32(r, src32(w, in, 0, t0),
                               src32(w, in, 1, t1)))) {
            dst32(w, in, r);
            return true;
        }
    }
    return lane32_op(w, in, l_ldexp_f32, 2, true, false, NULL);
}

FP_HOT(exec_ldexp_f32, ldexp_f32_body(w, in))

/*
 * Division helpers.  scale: the exponent step (64 for f32, 128 for f64).
 *
 * v_div_scale(s0, den, num), s0 being den or num:
 *   den or num 0, inf or NaN   s0 (v_div_fixup decides)
 *   quotient too large         den scaled up, VCC
 *   den denormal               both scaled up
 *   1/den denormal             quotient denormal: den scaled down, VCC;
 *                              else both scaled down
 *   quotient denormal          num scaled up, VCC
 *   num tiny                   both scaled up
 * v_div_fmas scales the fma back when VCC is set: up if the scaled
 * quotient (src2) is at least 1 (the large case), down otherwise.
 */
/*
 * The lanes div_scale leaves alone (s0, no VCC): den and 1/den normal,
 * num not tiny, the quotient far from overflow and from the denormals.
 */
static inline unsigned div_plain32(uint32_t den, uint32_t num)
{
    int ed = bexp32(den), en = bexp32(num);

    return (ed >= 1) & (ed <= 252) & (en > 23) & (en < 255) &
           (en - ed < 96) & (en - ed > -125);
}

static inline unsigned div_plain64(uint64_t den, uint64_t num)
{
    int ed = bexp64(den), en = bexp64(num);

    return (ed >= 1) & (ed <= 2044) & (en > 53) & (en < 2047) &
           (en - ed < 768) & (en - ed > -1021);
}

/* r = a with NaNs quieted */
static inline QEMU_ALWAYS_INLINE void nan_fix32_copy(uint32_t *restrict r,
                                                     const uint32_t *restrict a)
{
    int i;

    for (i = 0; i < LANES; i++) {
        r[i] = a[i] | (nan32(a[i]) ? F32_QUIET : 0);
    }
}

/*
 * v_div_fixup's common case over a row: den and num finite and non-zero,
 * q finite: q with the quotient's sign.  Returns false when a lane is not.
 */
static inline QEMU_ALWAYS_INLINE unsigned
fixup_row32(uint32_t *restrict r, const uint32_t *restrict q,
            const uint32_t *restrict d, const uint32_t *restrict n)
{
    unsigned plain = 1;
    int i;

    for (i = 0; i < LANES; i++) {
        plain &= (bexp32(q[i]) < 255) & (bexp32(d[i]) < 255) &
                 (bexp32(n[i]) < 255) & ((d[i] & ~F32_SIGN) != 0) &
                 ((n[i] & ~F32_SIGN) != 0);
        r[i] = ((d[i] ^ n[i]) & F32_SIGN) | (q[i] & ~F32_SIGN);
    }
    return plain;
}

static inline QEMU_ALWAYS_INLINE unsigned
fixup_row64(uint64_t *restrict r, const uint64_t *restrict q,
            const uint64_t *restrict d, const uint64_t *restrict n)
{
    unsigned plain = 1;
    int i;

    for (i = 0; i < LANES; i++) {
        plain &= (bexp64(q[i]) < 2047) & (bexp64(d[i]) < 2047) &
                 (bexp64(n[i]) < 2047) & ((d[i] & ~F64_SIGN) != 0) &
                 ((n[i] & ~F64_SIGN) != 0);
        r[i] = ((d[i] ^ n[i]) & F64_SIGN) | (q[i] & ~F64_SIGN);
    }
    return plain;
}

static uint32_t div_scale32(uint32_t s0, uint32_t den, uint32_t num,
                            bool *vcc)
{
    int ed = bexp32(den), en = bexp32(num);
    bool is_den = s0 == den;
    float q;

    *vcc = false;
    if (!(den & ~F32_SIGN) || !(num & ~F32_SIGN) || ed == 0xff ||
        en == 0xff) {
        return s0;
    }
    if (en - ed >= 96) {
        *vcc = true;
        return is_den ? u32_of(ldexpf(f32_of(s0), 64)) : s0;
    }
    if (ed == 0) {
        return u32_of(ldexpf(f32_of(s0), 64));
    }
    q = f32_of(num) / f32_of(den);
    if (ed >= 253) {
        if (!denorm32(u32_of(q)) && q != 0) {
            return u32_of(ldexpf(f32_of(s0), -64));
        }
        *vcc = true;
        return is_den ? u32_of(ldexpf(f32_of(s0), -64)) : s0;
    }
    if (denorm32(u32_of(q)) || q == 0) {
        *vcc = true;
        return is_den ? s0 : u32_of(ldexpf(f32_of(s0), 64));
    }
    if (en <= 23) {
        return u32_of(ldexpf(f32_of(s0), 64));
    }
    return s0;
}

static uint64_t div_scale64(uint64_t s0, uint64_t den, uint64_t num,
                            bool *vcc)
{
    int ed = bexp64(den), en = bexp64(num);
    bool is_den = s0 == den;
    double q;

    *vcc = false;
    if (!(den & ~F64_SIGN) || !(num & ~F64_SIGN) || ed == 0x7ff ||
        en == 0x7ff) {
        return s0;
    }
    if (en - ed >= 768) {
        *vcc = true;
        return is_den ? u64_of(ldexp(f64_of(s0), 128)) : s0;
    }
    if (ed == 0) {
        return u64_of(ldexp(f64_of(s0), 128));
    }
    q = f64_of(num) / f64_of(den);
    if (ed >= 2045) {
        if (!denorm64(u64_of(q)) && q != 0) {
            return u64_of(ldexp(f64_of(s0), -128));
        }
        *vcc = true;
        return is_den ? u64_of(ldexp(f64_of(s0), -128)) : s0;
    }
    if (denorm64(u64_of(q)) || q == 0) {
        *vcc = true;
        return is_den ? s0 : u64_of(ldexp(f64_of(s0), 128));
    }
    if (en <= 53) {
        return u64_of(ldexp(f64_of(s0), 128));
    }
    return s0;
}

static inline QEMU_ALWAYS_INLINE bool div_scale_f32_body(VkfdWave *w,
                                                         const VkfdShInsn *in)
{
    uint32_t t0[LANES], t1[LANES], t2[LANES], r[LANES];
    const uint32_t *a = src32(w, in, 0, t0);
    const uint32_t *b = src32(w, in, 1, t1);
    const uint32_t *c = src32(w, in, 2, t2);
    uint64_t vcc = 0;
    unsigned plain = 1;
    bool flag;
    int i;

    for (i = 0; i < LANES; i++) {
        plain &= div_plain32(b[i], c[i]);
    }
    if (likely(plain)) {
        nan_fix32_copy(r, a);
        dst32(w, in, r);
        vkfd_sh_vset_mask(w, in, 0);
        return true;
    }
    for (i = 0; i < LANES; i++) {
        r[i] = div_scale32(a[i], b[i], c[i], &flag);
        vcc |= (uint64_t)flag << i;
    }
    nan_fix32(r, a, b, c);
    dst32(w, in, r);
    vkfd_sh_vset_mask(w, in, vcc);
    return true;
}

FP_HOT(exec_div_scale_f32, div_scale_f32_body(w, in))

static inline QEMU_ALWAYS_INLINE bool div_scale_f64_body(VkfdWave *w,
                                                         const VkfdShInsn *in)
{
    uint64_t a[LANES], b[LANES], c[LANES], r[LANES];
    uint64_t vcc = 0;
    unsigned plain = 1;
    bool flag;
    int i;

    get64(w, in, 0, a);
    get64(w, in, 1, b);
    get64(w, in, 2, c);
    for (i = 0; i < LANES; i++) {
        plain &= div_plain64(b[i], c[i]);
    }
    if (likely(plain)) {
        for (i = 0; i < LANES; i++) {
            r[i] = nan64(a[i]) ? a[i] | F64_QUIET : a[i];
        }
        put64_rows(w, in, r);
        vkfd_sh_vset_mask(w, in, 0);
        return true;
    }
    for (i = 0; i < LANES; i++) {
        r[i] = div_scale64(a[i], b[i], c[i], &flag);
        vcc |= (uint64_t)flag << i;
    }
    nan_fix64(r, a, b, c);
    put64_rows(w, in, r);
    vkfd_sh_vset_mask(w, in, vcc);
    return true;
}

FP_HOT(exec_div_scale_f64, div_scale_f64_body(w, in))

/*
 * fma(a, b, c) * 2^step rounded once, as v_div_fmas does when VCC is set
 * (a quotient scaled back into the denormal range must not be rounded
 * twice): the fma in a wider format rounded to odd, the scaling exact
 * there, then one rounding in the wave's mode.
 */
static uint32_t fmas32_scaled(uint32_t a, uint32_t b, uint32_t c, int step,
                              float_status *st)
{
    float_status odd = *st;
    float64 r;

    set_float_rounding_mode(float_round_to_odd, &odd);
    set_flush_to_zero(false, &odd);
    r = float64_muladd(float32_to_float64(a, &odd),
                       float32_to_float64(b, &odd),
                       float32_to_float64(c, &odd), 0, &odd);
    return float64_to_float32(float64_scalbn(r, step, &odd), st);
}

static uint64_t fmas64_scaled(uint64_t a, uint64_t b, uint64_t c, int step,
                              float_status *st)
{
    float_status odd = *st;
    float128 r;

    set_float_rounding_mode(float_round_to_odd, &odd);
    set_flush_to_zero(false, &odd);
    r = float128_muladd(float64_to_float128(a, &odd),
                        float64_to_float128(b, &odd),
                        float64_to_float128(c, &odd), 0, &odd);
    return float128_to_float64(float128_scalbn(r, step, &odd), st);
}

static inline QEMU_ALWAYS_INLINE bool div_fmas_f32(VkfdWave *w,
                                                   const VkfdShInsn *in,
                                                   Fp32Row3 *row)
{
    uint64_t vcc = vkfd_sh_vcc(w);
    uint32_t t0[LANES], t1[LANES], t2[LANES], r[LANES];
    const uint32_t *a = src32(w, in, 0, t0);
    const uint32_t *b = src32(w, in, 1, t1);
    const uint32_t *c = src32(w, in, 2, t2);
    float_status st;
    int i;

    if (likely(!(vcc & vkfd_sh_exec_mask(w)))) {
        return fp32_op3(w, in, h_fma, sf_fma32, row);
    }
    fp_status(&st, w->mode, false);
    for (i = 0; i < LANES; i++) {
        if (likely(fp_fast(w, false))) {
            r[i] = u32_of(fmaf(f32_of(a[i]), f32_of(b[i]), f32_of(c[i])));
        } else {
            r[i] = float32_muladd(a[i], b[i], c[i], 0, &st);
        }
        if (vcc >> i & 1) {
            int step = (c[i] & ~F32_SIGN) >= 0x3f800000u ? 64 : -64;

            r[i] = fmas32_scaled(a[i], b[i], c[i], step, &st);
        }
    }
    nan_fix32(r, a, b, c);
    dst32(w, in, r);
    return true;
}

FP_HOT2(exec_div_fmas_f32, div_fmas_f32(w, in, row_fma32_avx2),
        div_fmas_f32(w, in, NULL))

static inline double d_fma(double a, double b, double c);
static inline float64 sf_fma64(float64 a, float64 b, float64 c,
                               float_status *st);

static inline QEMU_ALWAYS_INLINE bool div_fmas_f64(VkfdWave *w,
                                                   const VkfdShInsn *in,
                                                   Fp64Row3 *row)
{
    uint64_t vcc = vkfd_sh_vcc(w);
    uint64_t a[LANES], b[LANES], c[LANES], r[LANES];
    float_status st;
    int i;

    if (likely(!(vcc & vkfd_sh_exec_mask(w)))) {
        return fp64_op3(w, in, d_fma, sf_fma64, row);
    }
    get64(w, in, 0, a);
    get64(w, in, 1, b);
    get64(w, in, 2, c);
    fp_status(&st, w->mode, true);
    for (i = 0; i < LANES; i++) {
        if (likely(fp_fast(w, true))) {
            r[i] = u64_of(fma(f64_of(a[i]), f64_of(b[i]), f64_of(c[i])));
        } else {
            r[i] = float64_muladd(a[i], b[i], c[i], 0, &st);
        }
        if (vcc >> i & 1) {
            int step = (c[i] & ~F64_SIGN) >= 0x3ff0000000000000ull ?
                       128 : -128;

            r[i] = fmas64_scaled(a[i], b[i], c[i], step, &st);
        }
    }
    nan_fix64(r, a, b, c);
    put64_rows(w, in, r);
    return true;
}

/*
 * v_div_fixup(q, den, num): NaN sources first (num, then den), 0/0 and
 * inf/inf give the canonical NaN, x/0 and inf/x infinity, x/inf and 0/x
 * zero, all with the sign of num/den; else q with that sign.
 */
static uint32_t div_fixup32(uint32_t q, uint32_t den, uint32_t num,
                            float_status *st)
{
    uint32_t sign = (den ^ num) & F32_SIGN;
    uint32_t d = den & ~F32_SIGN, n = num & ~F32_SIGN;

    if (nan32(num)) {
        return num | F32_QUIET;
    }
    if (nan32(den)) {
        return den | F32_QUIET;
    }
    if ((d == 0 && n == 0) || (d == F32_EXP && n == F32_EXP)) {
        return F32_NAN;
    }
    if (d == 0 || n == F32_EXP) {
        return sign | F32_EXP;
    }
    if (d == F32_EXP || n == 0) {
        return sign;
    }
    if ((q & ~F32_SIGN) >= F32_EXP) {
        /* the scaled sequence went out of range: the quotient itself */
        return float32_div(num, den, st);
    }
    return sign | (q & ~F32_SIGN);
}

static uint64_t div_fixup64(uint64_t q, uint64_t den, uint64_t num,
                            float_status *st)
{
    uint64_t sign = (den ^ num) & F64_SIGN;
    uint64_t d = den & ~F64_SIGN, n = num & ~F64_SIGN;

    if (nan64(num)) {
        return num | F64_QUIET;
    }
    if (nan64(den)) {
        return den | F64_QUIET;
    }
    if ((d == 0 && n == 0) || (d == F64_EXP && n == F64_EXP)) {
        return F64_NAN;
    }
    if (d == 0 || n == F64_EXP) {
        return sign | F64_EXP;
    }
    if (d == F64_EXP || n == 0) {
        return sign;
    }
    if ((q & ~F64_SIGN) >= F64_EXP) {
        return float64_div(num, den, st);
    }
    return sign | (q & ~F64_SIGN);
}

static inline QEMU_ALWAYS_INLINE bool div_fixup_f32_body(VkfdWave *w,
                                                         const VkfdShInsn *in)
{
    uint32_t t0[LANES], t1[LANES], t2[LANES], r[LANES];
    const uint32_t *a = src32(w, in, 0, t0);
    const uint32_t *b = src32(w, in, 1, t1);
    const uint32_t *c = src32(w, in, 2, t2);
    float_status st;
    int i;

    if (likely(fixup_row32(r, a, b, c))) {
        dst32(w, in, r);
        return true;
    }
    fp_status(&st, w->mode, false);
    for (i = 0; i < LANES; i++) {
        r[i] = div_fixup32(a[i], b[i], c[i], &st);
    }
    dst32(w, in, r);
    return true;
}

FP_HOT(exec_div_fixup_f32, div_fixup_f32_body(w, in))

/* v_div_fixup_f16: the f32 rules on the widened values, rounded back */
static bool exec_div_fixup_f16(VkfdWave *w, const VkfdShInsn *in)
{
    uint32_t t0[LANES], t1[LANES], t2[LANES], r[LANES];
    const uint32_t *a = src32(w, in, 0, t0);
    const uint32_t *b = src32(w, in, 1, t1);
    const uint32_t *c = src32(w, in, 2, t2);
    float_status st, st32;
    int i;

    fp_status(&st, w->mode, true);
    set_flush_inputs_to_zero(false, &st);
    fp_status(&st32, 0xf0, false);
    for (i = 0; i < LANES; i++) {
        uint32_t q = a[i] & 0xffff, d = b[i] & 0xffff, n = c[i] & 0xffff;
        uint32_t v;

        if (nan16(n) || nan16(d)) {
            r[i] = (nan16(n) ? n : d) | F16_QUIET;
            continue;
        }
        v = div_fixup32(float16_to_float32(q, true, &st),
                        float16_to_float32(d, true, &st),
                        float16_to_float32(n, true, &st), &st32);
        r[i] = nan32(v) ? F16_NAN : float32_to_float16(v, true, &st);
    }
    dst32(w, in, r);
    return true;
}

static inline QEMU_ALWAYS_INLINE bool div_fixup_f64_body(VkfdWave *w,
                                                         const VkfdShInsn *in)
{
    uint64_t a[LANES], b[LANES], c[LANES], r[LANES];
    float_status st;
    int i;

    get64(w, in, 0, a);
    get64(w, in, 1, b);
    get64(w, in, 2, c);
    if (likely(fixup_row64(r, a, b, c))) {
        put64_rows(w, in, r);
        return true;
    }
    fp_status(&st, w->mode, true);
    for (i = 0; i < LANES; i++) {
        r[i] = div_fixup64(a[i], b[i], c[i], &st);
    }
    put64_rows(w, in, r);
    return true;
}

FP_HOT(exec_div_fixup_f64, div_fixup_f64_body(w, in))

/*
 * f64
 */

static inline QEMU_ALWAYS_INLINE double d_add(double a, double b)
{
    return a + b;
}

static inline QEMU_ALWAYS_INLINE double d_mul(double a, double b)
{
    return a * b;
}

static inline QEMU_ALWAYS_INLINE double d_fma(double a, double b, double c)
{
    return fma(a, b, c);
}

static inline QEMU_ALWAYS_INLINE float64 sf_fma64(float64 a, float64 b,
                                                 float64 c, float_status *st)
{
    return float64_muladd(a, b, c, 0, st);
}

static inline QEMU_ALWAYS_INLINE double d_rcp(double a)
{
    return 1.0 / a;
}

static inline QEMU_ALWAYS_INLINE float64 sf_rcp64(float64 a, float_status *st)
{
    return float64_div(float64_one, a, st);
}

static inline QEMU_ALWAYS_INLINE double d_rsq(double a)
{
    return (double)(1.0L / sqrtl(a));
}

static inline QEMU_ALWAYS_INLINE double d_sqrt(double a)
{
    return sqrt(a);
}

static inline QEMU_ALWAYS_INLINE double d_floor(double a)
{
    return floor(a);
}

static inline QEMU_ALWAYS_INLINE double d_ceil(double a)
{
    return ceil(a);
}

static inline QEMU_ALWAYS_INLINE double d_trunc(double a)
{
    return trunc(a);
}

static inline QEMU_ALWAYS_INLINE double d_rndne(double a)
{
    return rint(a);
}

static inline QEMU_ALWAYS_INLINE double d_fract(double a)
{
    double r;

    if (isinf(a)) {
        return NAN;
    }
    r = a - floor(a);
    return r < f64_of(F64_MAX_FRACT) ? r : f64_of(F64_MAX_FRACT);
}

static inline QEMU_ALWAYS_INLINE double d_frexp_mant(double a)
{
    int e;

    if (isinf(a)) {
        return a;
    }
    return frexp(a, &e);
}

FP_HOT2(exec_add_f64, fp64_op2(w, in, d_add, float64_add, row_add64_avx2),
        fp64_op2(w, in, d_add, float64_add, NULL))
FP_HOT2(exec_mul_f64, fp64_op2(w, in, d_mul, float64_mul, row_mul64_avx2),
        fp64_op2(w, in, d_mul, float64_mul, NULL))
/* v_fma_f64, v_fmac_f64 */
FP_HOT2(exec_fma_f64, fp64_op3(w, in, d_fma, sf_fma64, row_fma64_avx2),
        fp64_op3(w, in, d_fma, sf_fma64, NULL))
FP_HOT2(exec_div_fmas_f64, div_fmas_f64(w, in, row_fma64_avx2),
        div_fmas_f64(w, in, NULL))

static bool exec_rcp_f64(VkfdWave *w, const VkfdShInsn *in)
{
    return fp64_op1(w, in, d_rcp, sf_rcp64);
}

static bool exec_rsq_f64(VkfdWave *w, const VkfdShInsn *in)
{
    return fp64_op1(w, in, d_rsq, NULL);
}

static bool exec_sqrt_f64(VkfdWave *w, const VkfdShInsn *in)
{
    return fp64_op1(w, in, d_sqrt, float64_sqrt);
}

static bool exec_floor_f64(VkfdWave *w, const VkfdShInsn *in)
{
    return fp64_op1(w, in, d_floor, NULL);
}

static bool exec_ceil_f64(VkfdWave *w, const VkfdShInsn *in)
{
    return fp64_op1(w, in, d_ceil, NULL);
}

static bool exec_trunc_f64(VkfdWave *w, const VkfdShInsn *in)
{
    return fp64_op1(w, in, d_trunc, NULL);
}

static bool exec_rndne_f64(VkfdWave *w, const VkfdShInsn *in)
{
    return fp64_op1(w, in, d_rndne, NULL);
}

static bool exec_fract_f64(VkfdWave *w, const VkfdShInsn *in)
{
    return fp64_op1(w, in, d_fract, NULL);
}

static bool exec_frexp_mant_f64(VkfdWave *w, const VkfdShInsn *in)
{
    return fp64_op1(w, in, d_frexp_mant, NULL);
}

static inline QEMU_ALWAYS_INLINE bool minmax_f64(VkfdWave *w,
                                                 const VkfdShInsn *in,
                                                 bool max)
{
    uint64_t a[LANES], b[LANES], r[LANES];
    bool ieee = w->mode & VKFD_SH_MODE_IEEE;
    int i;

    get64(w, in, 0, a);
    get64(w, in, 1, b);
    if (!(MODE_DENORM(w->mode, true) & DENORM_IN)) {
        flush_row64(a);
        flush_row64(b);
    }
    for (i = 0; i < LANES; i++) {
        r[i] = minmax64(a[i], b[i], max, ieee);
    }
    put64(w, in, r, true);
    return true;
}

static bool exec_min_f64(VkfdWave *w, const VkfdShInsn *in)
{
    return minmax_f64(w, in, false);
}

static bool exec_max_f64(VkfdWave *w, const VkfdShInsn *in)
{
    return minmax_f64(w, in, true);
}

/* v_ldexp_f64: src1 is a 32-bit signed integer */
static inline QEMU_ALWAYS_INLINE bool ldexp_f64_body(VkfdWave *w,
                                                     const VkfdShInsn *in)
{
    uint64_t a[LANES], r[LANES];
    uint32_t t1[LANES];
    const uint32_t *b;
    float_status st;
    int i;

    get64(w, in, 0, a);
    b = src32(w, in, 1, t1);
    if (likely(fp_fast(w, true) && ldexp_row64(r, a, b))) {
        put64_rows(w, in, r);
        return true;
    }
    fp_status(&st, w->mode, true);
    for (i = 0; i < LANES; i++) {
        r[i] = float64_scalbn(a[i], (int32_t)b[i], &st);
    }
    nan_fix64(r, a, NULL, NULL);
    put64_rows(w, in, r);
    return true;
}

FP_HOT(exec_ldexp_f64, ldexp_f64_body(w, in))

/*
 * v_trig_preop_f64: a 53-bit segment of 2/pi for Payne-Hanek argument
 * reduction (the device libraries' sin/cos of large doubles).  2/pi is
 * taken as the 1201-bit fraction 0.b1200..b0; segment s of it for an x
 * whose exponent is e starts (s & 31) * 53 + max(e - 1077, 0) bits after
 * the binary point, and comes back scaled by 2^-(53 + that shift), with
 * 2^128 more when e >= 1968 (so that it is not a denormal), rounded
 * toward zero; segments past the 1201 bits are 0.
 */
static const uint64_t two_over_pi[19] = {    /* least significant first */
    0xba10ac06608df8f6ull, 0x25d4d7f6bf623f1aull, 0xe2f67a0e73ef14a5ull,
    0xd45aea4f758fd7cbull, 0x136e9e8c7ecd3cbfull, 0xda3eda6cfd9e4f96ull,
    0x301fde5e2316b414ull, 0x50763ff12fffbc0bull, 0x73e93908bf177bf2ull,
    0xfc827323ac7306a6ull, 0x8909d338e04d68beull, 0x4e7dd1046bea5d76ull,
    0x2439fc3bd6396253ull, 0xa5c00c925dd413a3ull, 0x8ac36e48dc74849bull,
    0x2083fca2c757bd77ull, 0xbb81b6c52b327887ull, 0x2a53f84eafa3ea69ull,
    0x000145f306dc9c88ull,
};

static uint64_t trig_preop(uint64_t x, uint32_t seg, float_status *st)
{
    int e = bexp64(x);
    int shift = (seg & 31) * 53 + (e > 1077 ? e - 1077 : 0);
    int lo = 1201 - 53 - shift, w, b;
    uint64_t bits;

    if (lo < 0) {
        return 0;
    }
    w = lo >> 6;
    b = lo & 63;
    bits = two_over_pi[w] >> b;
    if (b && w + 1 < ARRAY_SIZE(two_over_pi)) {
        bits |= two_over_pi[w + 1] << (64 - b);
    }
    bits &= (1ull << 53) - 1;
    return float64_scalbn(int64_to_float64(bits, st),
                          -53 - shift + (e >= 1968 ? 128 : 0), st);
}

static bool exec_trig_preop_f64(VkfdWave *w, const VkfdShInsn *in)
{
    uint64_t a[LANES], r[LANES];
    uint32_t t1[LANES];
    const uint32_t *b;
    float_status st;
    int i;

    get64(w, in, 0, a);
    b = src32(w, in, 1, t1);
    fp_status(&st, w->mode, true);
    set_float_rounding_mode(float_round_to_zero, &st);
    for (i = 0; i < LANES; i++) {
        r[i] = trig_preop(a[i], b[i], &st);
    }
    put64_rows(w, in, r);
    return true;
}

/* f64 -> 32-bit results, and 32-bit -> f64 */
static inline QEMU_ALWAYS_INLINE bool
cvt_from64(VkfdWave *w, const VkfdShInsn *in, int kind)
{
    uint64_t a[LANES];
    uint32_t r[LANES];
    float_status st;
    int i;

    get64(w, in, 0, a);
    fp_status(&st, w->mode, kind == 2);
    if (!(MODE_DENORM(w->mode, true) & DENORM_IN)) {
        flush_row64(a);
    }
    for (i = 0; i < LANES; i++) {
        double x = f64_of(a[i]);

        switch (kind) {
        case 0:         /* i32 */
            r[i] = nan64(a[i]) ? 0 : x >= 2147483647.0 ? INT32_MAX :
                   x <= -2147483648.0 ? (uint32_t)INT32_MIN : (int32_t)x;
            break;
        case 1:         /* u32 */
            r[i] = nan64(a[i]) || x <= 0 ? 0 :
                   x >= 4294967295.0 ? UINT32_MAX : (uint32_t)x;
            break;
        case 2:         /* frexp exponent */
            r[i] = 0;
            if (!nan64(a[i]) && !isinf(x)) {
                int e;

                frexp(x, &e);
                r[i] = e;
            }
            break;
        default:        /* f32, in f32's rounding and denormal mode */
            if (fp_fast(w, false)) {
                r[i] = u32_of((float)x);
            } else {
                fp_status(&st, w->mode, false);
                r[i] = float64_to_float32(a[i], &st);
            }
            if (nan64(a[i])) {
                r[i] = (a[i] >> 32 & F32_SIGN) | F32_NAN |
                       (uint32_t)(a[i] >> 29 & 0x3fffff);
            }
            break;
        }
    }
    dst32(w, in, r);
    return true;
}

static bool exec_cvt_i32_f64(VkfdWave *w, const VkfdShInsn *in)
{
    return cvt_from64(w, in, 0);
}

static bool exec_cvt_u32_f64(VkfdWave *w, const VkfdShInsn *in)
{
    return cvt_from64(w, in, 1);
}

static bool exec_frexp_exp_i32_f64(VkfdWave *w, const VkfdShInsn *in)
{
    return cvt_from64(w, in, 2);
}

static bool exec_cvt_f32_f64(VkfdWave *w, const VkfdShInsn *in)
{
    return cvt_from64(w, in, 3);
}

static inline QEMU_ALWAYS_INLINE bool
cvt_to64(VkfdWave *w, const VkfdShInsn *in, int kind)
{
    uint32_t t0[LANES];
    const uint32_t *a = src32(w, in, 0, t0);
    uint64_t r[LANES];
    int i;

    if (kind == 2 && !(MODE_DENORM(w->mode, false) & DENORM_IN)) {
        a = flush_row32(a, t0);
    }
    for (i = 0; i < LANES; i++) {
        switch (kind) {
        case 0:
            r[i] = u64_of((int32_t)a[i]);
            break;
        case 1:
            r[i] = u64_of(a[i]);
            break;
        default:        /* f32 -> f64: exact; NaN keeps its payload */
            r[i] = u64_of(f32_of(a[i]));
            if (nan32(a[i])) {
                r[i] |= F64_QUIET;
            }
            break;
        }
    }
    put64_rows(w, in, r);
    return true;
}

static bool exec_cvt_f64_i32(VkfdWave *w, const VkfdShInsn *in)
{
    return cvt_to64(w, in, 0);
}

static bool exec_cvt_f64_u32(VkfdWave *w, const VkfdShInsn *in)
{
    return cvt_to64(w, in, 1);
}

static bool exec_cvt_f64_f32(VkfdWave *w, const VkfdShInsn *in)
{
    return cvt_to64(w, in, 2);
}

/*
 * f16 (bits 15:0 of a lane): softfloat throughout, in the f64/f16 mode.
 */
enum {
    H_ADD, H_SUB, H_SUBREV, H_MUL, H_FMA, H_MAD, H_MIN, H_MAX, H_LDEXP,
    H_MIN3, H_MAX3, H_MED3,
};

static uint32_t f16_lane(int kind, uint32_t a, uint32_t b, uint32_t c,
                         bool ieee, float_status *st)
{
    float_status ftz;

    switch (kind) {
    case H_ADD:
        return float16_add(a, b, st);
    case H_SUB:
        return float16_sub(a, b, st);
    case H_SUBREV:
        return float16_sub(b, a, st);
    case H_MUL:
        return float16_mul(a, b, st);
    case H_FMA:
        return float16_muladd(a, b, c, 0, st);
    case H_MAD:         /* not fused */
        ftz = *st;
        return float16_add(float16_mul(a, b, &ftz), c, st);
    case H_MIN:
    case H_MAX:
        if (get_flush_inputs_to_zero(st)) {
            a = flush16(a);
            b = flush16(b);
        }
        return minmax16(a, b, kind == H_MAX, ieee);
    case H_MIN3:
    case H_MAX3:
        if (get_flush_inputs_to_zero(st)) {
            a = flush16(a);
            b = flush16(b);
            c = flush16(c);
        }
        return minmax16(minmax16(a, b, kind == H_MAX3, ieee), c,
                        kind == H_MAX3, ieee);
    case H_MED3:
        if (get_flush_inputs_to_zero(st)) {
            a = flush16(a);
            b = flush16(b);
            c = flush16(c);
        }
        return med3_16(a, b, c, ieee);
    default:            /* H_LDEXP: src1 a signed 16-bit integer */
        return float16_scalbn(a, (int16_t)b, st);
    }
}

static unsigned f16_nsrc(int kind)
{
    switch (kind) {
    case H_FMA:
    case H_MAD:
    case H_MIN3:
    case H_MAX3:
    case H_MED3:
        return 3;
    case H_LDEXP:
        return 1;
    default:
        return 2;
    }
}

typedef bool F16Row(uint32_t *r, const uint32_t *a, const uint32_t *b);

static inline QEMU_ALWAYS_INLINE bool f16_op(VkfdWave *w,
                                             const VkfdShInsn *in, int kind,
                                             F16Row *row)
{
    uint32_t t0[LANES], t1[LANES], t2[LANES], r[LANES];
    unsigned n = f16_nsrc(kind);
    const uint32_t *a = src32(w, in, 0, t0);
    const uint32_t *b = src32(w, in, 1, t1);
    const uint32_t *c = n > 2 ? src32(w, in, 2, t2) : t2;
    bool ieee = w->mode & VKFD_SH_MODE_IEEE;
    float_status st;
    int i;

    if (row && likely(fp_fast(w, true))) {
        bool rev = kind == H_SUBREV;

        if (unlikely(row(r, rev ? b : a, rev ? a : b))) {
            for (i = 0; i < LANES; i++) {
                r[i] = nan_pick16(r[i], (rev ? b : a)[i] & 0xffff,
                                  (rev ? a : b)[i] & 0xffff, 0, 2);
            }
        }
        dst32(w, in, r);
        return true;
    }
    fp_status(&st, w->mode, true);
    for (i = 0; i < LANES; i++) {
        uint32_t x = a[i] & 0xffff, y = b[i] & 0xffff;
        uint32_t z = n > 2 ? c[i] & 0xffff : 0;

        if (kind == H_SUBREV) {
            r[i] = nan_pick16(f16_lane(kind, x, y, z, ieee, &st), y, x, 0,
                              2);
        } else if (kind == H_MIN || kind == H_MAX || kind >= H_MIN3) {
            r[i] = f16_lane(kind, x, y, z, ieee, &st);
        } else {
            r[i] = nan_pick16(f16_lane(kind, x, y, z, ieee, &st), x, y, z,
                              n);
        }
    }
    dst32(w, in, r);
    return true;
}

FP_HOT2(exec_add_f16, f16_op(w, in, H_ADD, row_add16_avx2),
        f16_op(w, in, H_ADD, NULL))

FP_HOT2(exec_sub_f16, f16_op(w, in, H_SUB, row_sub16_avx2),
        f16_op(w, in, H_SUB, NULL))

FP_HOT2(exec_subrev_f16, f16_op(w, in, H_SUBREV, row_sub16_avx2),
        f16_op(w, in, H_SUBREV, NULL))

FP_HOT2(exec_mul_f16, f16_op(w, in, H_MUL, row_mul16_avx2),
        f16_op(w, in, H_MUL, NULL))

static bool exec_fma_f16(VkfdWave *w, const VkfdShInsn *in)
{
    return f16_op(w, in, H_FMA, NULL);
}

static bool exec_mad_f16(VkfdWave *w, const VkfdShInsn *in)
{
    return f16_op(w, in, H_MAD, NULL);
}

static bool exec_min_f16(VkfdWave *w, const VkfdShInsn *in)
{
    return f16_op(w, in, H_MIN, NULL);
}

static bool exec_max_f16(VkfdWave *w, const VkfdShInsn *in)
{
    return f16_op(w, in, H_MAX, NULL);
}

static bool exec_min3_f16(VkfdWave *w, const VkfdShInsn *in)
{
    return f16_op(w, in, H_MIN3, NULL);
}

static bool exec_max3_f16(VkfdWave *w, const VkfdShInsn *in)
{
    return f16_op(w, in, H_MAX3, NULL);
}

static bool exec_med3_f16(VkfdWave *w, const VkfdShInsn *in)
{
    return f16_op(w, in, H_MED3, NULL);
}

static bool exec_ldexp_f16(VkfdWave *w, const VkfdShInsn *in)
{
    return f16_op(w, in, H_LDEXP, NULL);
}

/* f16 unary ops: through f32 (exact), the f32 function, rounded to f16 */
enum {
    U_RCP, U_SQRT, U_RSQ, U_LOG, U_EXP, U_FLOOR, U_CEIL, U_TRUNC, U_RNDNE,
    U_FRACT, U_SIN, U_COS, U_FREXP_MANT, U_FREXP_EXP, U_CVT_F32_F16,
    U_CVT_F16_F32, U_CVT_F16_U16, U_CVT_F16_I16, U_CVT_U16_F16,
    U_CVT_I16_F16,
};

static uint32_t f16_unary_lane(int kind, uint32_t a, float_status *st)
{
    float_status exact;
    float x;
    int e;

    if (kind == U_CVT_F16_F32) {
        if (nan32(a)) {
            return (a >> 16 & F16_SIGN) | F16_NAN | (a >> 13 & 0x1ff);
        }
        if (get_flush_inputs_to_zero(st)) {
            a = flush32(a);
        }
        exact = *st;
        set_flush_inputs_to_zero(false, &exact);
        return float32_to_float16(a, true, &exact);
    }
    if (kind == U_CVT_F16_U16) {
        return uint16_to_float16(a & 0xffff, st);
    }
    if (kind == U_CVT_F16_I16) {
        return int16_to_float16((int16_t)a, st);
    }
    a &= 0xffff;
    if (get_flush_inputs_to_zero(st)) {
        a = flush16(a);
    }
    exact = *st;
    set_flush_inputs_to_zero(false, &exact);
    set_flush_to_zero(false, &exact);
    x = f32_of(float16_to_float32(a, true, &exact));
    switch (kind) {
    case U_CVT_F32_F16:
        return nan16(a) ? (u32_of(x) | F32_QUIET) : u32_of(x);
    case U_CVT_U16_F16:
        return nan16(a) || x <= 0 ? 0 : x >= 65535 ? 0xffff : (uint32_t)x;
    case U_CVT_I16_F16:
        return nan16(a) ? 0 : x >= 32767 ? 0x7fff :
               x <= -32768 ? 0x8000 : (uint16_t)(int16_t)x;
    case U_FREXP_EXP:
        if (nan16(a) || isinf(x)) {
            return 0;
        }
        frexpf(x, &e);
        return (uint16_t)e;
    case U_RCP:
        x = 1.0f / x;
        break;
    case U_SQRT:
        x = sqrtf(x);
        break;
    case U_RSQ:
        x = h_rsq(x);
        break;
    case U_LOG:
        x = log2f(x);
        break;
    case U_EXP:
        x = exp2f(x);
        break;
    case U_FLOOR:
        x = floorf(x);
        break;
    case U_CEIL:
        x = ceilf(x);
        break;
    case U_TRUNC:
        x = truncf(x);
        break;
    case U_RNDNE:
        x = rintf(x);
        break;
    case U_FRACT:
        x = isinf(x) ? NAN : x - floorf(x);
        if (x >= f32_of(float16_to_float32(F16_MAX_FRACT, true, &exact))) {
            return F16_MAX_FRACT;
        }
        break;
    case U_SIN:
        x = h_sin(x);
        break;
    case U_COS:
        x = h_cos(x);
        break;
    default:            /* U_FREXP_MANT */
        x = h_frexp_mant(x);
        break;
    }
    return nan_pick16(float32_to_float16(u32_of(x), true, st), a, 0, 0, 1);
}

static inline QEMU_ALWAYS_INLINE bool f16_unary(VkfdWave *w,
                                                const VkfdShInsn *in,
                                                int kind)
{
    uint32_t t0[LANES], r[LANES];
    const uint32_t *a = src32(w, in, 0, t0);
    float_status st;
    int i;

    /* f16 -> f32 is in f32's mode, the rest in f16's */
    fp_status(&st, w->mode, kind != U_CVT_F32_F16);
    if (kind == U_CVT_F32_F16) {
        set_flush_inputs_to_zero(!(MODE_DENORM(w->mode, true) & DENORM_IN),
                                 &st);
    } else if (kind == U_CVT_F16_F32) {
        set_flush_inputs_to_zero(!(MODE_DENORM(w->mode, false) & DENORM_IN),
                                 &st);
    }
    for (i = 0; i < LANES; i++) {
        r[i] = f16_unary_lane(kind, a[i], &st);
    }
    dst32(w, in, r);
    return true;
}

#define F16_UNARY(name, kind) \
    static bool exec_##name(VkfdWave *w, const VkfdShInsn *in) \
    { \
        return f16_unary(w, in, kind); \
    }

F16_UNARY(rcp_f16, U_RCP)
F16_UNARY(sqrt_f16, U_SQRT)
F16_UNARY(rsq_f16, U_RSQ)
F16_UNARY(log_f16, U_LOG)
F16_UNARY(exp_f16, U_EXP)
F16_UNARY(floor_f16, U_FLOOR)
F16_UNARY(ceil_f16, U_CEIL)
F16_UNARY(trunc_f16, U_TRUNC)
F16_UNARY(rndne_f16, U_RNDNE)
F16_UNARY(fract_f16, U_FRACT)
F16_UNARY(sin_f16, U_SIN)
F16_UNARY(cos_f16, U_COS)
F16_UNARY(frexp_mant_f16, U_FREXP_MANT)
F16_UNARY(frexp_exp_i16_f16, U_FREXP_EXP)
/* f16 <-> f32 in whole rows when both modes are the host's */
static inline QEMU_ALWAYS_INLINE bool cvt16_body(VkfdWave *w,
                                                 const VkfdShInsn *in,
                                                 int kind, CvtRow *row)
{
    uint32_t t0[LANES], r[LANES];

    if (row && likely(fp_fast(w, true) && fp_fast(w, false))) {
        row(r, src32(w, in, 0, t0));
        dst32(w, in, r);
        return true;
    }
    return f16_unary(w, in, kind);
}

FP_HOT2(exec_cvt_f32_f16,
        cvt16_body(w, in, U_CVT_F32_F16, row_cvt_f32_f16_avx2),
        cvt16_body(w, in, U_CVT_F32_F16, NULL))
FP_HOT2(exec_cvt_f16_f32,
        cvt16_body(w, in, U_CVT_F16_F32, row_cvt_f16_f32_avx2),
        cvt16_body(w, in, U_CVT_F16_F32, NULL))
F16_UNARY(cvt_f16_u16, U_CVT_F16_U16)
F16_UNARY(cvt_f16_i16, U_CVT_F16_I16)
F16_UNARY(cvt_u16_f16, U_CVT_U16_F16)
F16_UNARY(cvt_i16_f16, U_CVT_I16_F16)

/* v_cvt_pkrtz_f16_f32: two f32 to f16 toward zero, src0 in the low half */
static bool exec_cvt_pkrtz_f16_f32(VkfdWave *w, const VkfdShInsn *in)
{
    uint32_t t0[LANES], t1[LANES], r[LANES];
    const uint32_t *a = src32(w, in, 0, t0);
    const uint32_t *b = src32(w, in, 1, t1);
    float_status st;
    int i;

    fp_status(&st, w->mode, true);
    set_float_rounding_mode(float_round_to_zero, &st);
    set_flush_inputs_to_zero(!(MODE_DENORM(w->mode, false) & DENORM_IN),
                             &st);
    for (i = 0; i < LANES; i++) {
        r[i] = f16_unary_lane(U_CVT_F16_F32, a[i], &st) |
               f16_unary_lane(U_CVT_F16_F32, b[i], &st) << 16;
    }
    dst32(w, in, r);
    return true;
}

/*
 * Compares.  The low four bits of a float compare's opcode are a truth
 * table over the relation of src0 to src1: bit 0 less, bit 1 equal, bit 2
 * greater, bit 3 unordered (v_cmp_f 0, lt 1, eq 2, le 3, gt 4, lg 5, ge 6,
 * o 7, u 8, nge 9, nlg 10, ngt 11, nle 12, neq 13, nlt 14, tru 15).
 */
static inline unsigned rel32(float a, float b)
{
    return (a < b) | (a == b) << 1 | (a > b) << 2 |
           !(a < b || a == b || a > b) << 3;
}

static inline QEMU_ALWAYS_INLINE bool cmp_f32(VkfdWave *w,
                                              const VkfdShInsn *in,
                                              CmpRow *row)
{
    uint32_t t0[LANES], t1[LANES];
    const uint32_t *a = src32(w, in, 0, t0);
    const uint32_t *b = src32(w, in, 1, t1);
    unsigned pred = in->opcode & 0xf;
    uint8_t hit[LANES];
    uint64_t m = 0;
    int i;

    if (!(MODE_DENORM(w->mode, false) & DENORM_IN)) {
        a = flush_row32(a, t0);
        b = flush_row32(b, t1);
    }
    if (row) {
        vkfd_sh_vset_mask(w, in, row((const float *)a, (const float *)b,
                                     pred));
        return true;
    }
    for (i = 0; i < LANES; i++) {
        hit[i] = (pred & rel32(f32_of(a[i]), f32_of(b[i]))) != 0;
    }
    for (i = 0; i < LANES; i++) {
        m |= (uint64_t)hit[i] << i;
    }
    vkfd_sh_vset_mask(w, in, m);
    return true;
}

FP_HOT2(exec_cmp_f32, cmp_f32(w, in, row_cmp32_avx2), cmp_f32(w, in, NULL))

static inline QEMU_ALWAYS_INLINE bool cmp_f64_body(VkfdWave *w,
                                                   const VkfdShInsn *in,
                                                   Cmp64Row *row)
{
    uint64_t a[LANES], b[LANES];
    unsigned pred = in->opcode & 0xf;
    uint64_t m = 0;
    int i;

    get64(w, in, 0, a);
    get64(w, in, 1, b);
    if (!(MODE_DENORM(w->mode, true) & DENORM_IN)) {
        flush_row64(a);
        flush_row64(b);
    }
    if (row) {
        vkfd_sh_vset_mask(w, in, row((const double *)a, (const double *)b,
                                     pred));
        return true;
    }
    for (i = 0; i < LANES; i++) {
        double x = f64_of(a[i]), y = f64_of(b[i]);
        unsigned rel = (x < y) | (x == y) << 1 | (x > y) << 2 |
                       !(x < y || x == y || x > y) << 3;

        m |= (uint64_t)((pred & rel) != 0) << i;
    }
    vkfd_sh_vset_mask(w, in, m);
    return true;
}

FP_HOT2(exec_cmp_f64, cmp_f64_body(w, in, row_cmp64_avx2),
        cmp_f64_body(w, in, NULL))

static bool exec_cmp_f16(VkfdWave *w, const VkfdShInsn *in)
{
    uint32_t t0[LANES], t1[LANES];
    const uint32_t *a = src32(w, in, 0, t0);
    const uint32_t *b = src32(w, in, 1, t1);
    unsigned pred = in->opcode & 0xf;
    bool flush = !(MODE_DENORM(w->mode, true) & DENORM_IN);
    float_status st;
    uint64_t m = 0;
    int i;

    fp_status(&st, w->mode, true);
    set_flush_inputs_to_zero(false, &st);
    for (i = 0; i < LANES; i++) {
        uint32_t x = a[i] & 0xffff, y = b[i] & 0xffff;

        if (flush) {
            x = flush16(x);
            y = flush16(y);
        }
        m |= (uint64_t)((pred & rel32(
                 f32_of(float16_to_float32(x, true, &st)),
                 f32_of(float16_to_float32(y, true, &st)))) != 0) << i;
    }
    vkfd_sh_vset_mask(w, in, m);
    return true;
}

/*
 * v_cmp_class: src1's bits name the classes that match: 0 signalling
 * NaN, 1 quiet NaN, 2 -inf, 3 -normal, 4 -denormal, 5 -0, 6 +0,
 * 7 +denormal, 8 +normal, 9 +inf.
 */
static unsigned class_bit(bool sign, bool nan, bool quiet, bool inf,
                          bool zero, bool den)
{
    if (nan) {
        return quiet ? 1 : 0;
    }
    if (inf) {
        return sign ? 2 : 9;
    }
    if (zero) {
        return sign ? 5 : 6;
    }
    if (den) {
        return sign ? 4 : 7;
    }
    return sign ? 3 : 8;
}

/* The class bit of each lane */
static inline QEMU_ALWAYS_INLINE void
class_row32(uint8_t *restrict hit, const uint32_t *restrict a,
            const uint32_t *restrict mask)
{
    int i;

    for (i = 0; i < LANES; i++) {
        uint32_t x = a[i], e = x >> 23 & 0xff, m = x & 0x7fffff;
        uint32_t s = x >> 31;
        uint32_t special = m ? (m >> 22 & 1) : 9 - 7 * s;   /* NaN, inf */
        uint32_t small = m ? 7 - 3 * s : 6 - s;           /* denormal, 0 */
        uint32_t bit = e == 0xff ? special : e == 0 ? small : 8 - 5 * s;

        hit[i] = mask[i] >> bit & 1;
    }
}

static unsigned class64(uint64_t x)
{
    return class_bit(x & F64_SIGN, nan64(x), x & F64_QUIET,
                     (x & ~F64_SIGN) == F64_EXP, !(x & ~F64_SIGN),
                     denorm64(x));
}

static unsigned class16(uint32_t x)
{
    return class_bit(x & F16_SIGN, nan16(x), x & F16_QUIET,
                     (x & 0x7fff) == F16_EXP, !(x & 0x7fff), denorm16(x));
}

static inline QEMU_ALWAYS_INLINE bool cmp_class_f32_body(VkfdWave *w,
                                                         const VkfdShInsn *in)
{
    uint32_t t0[LANES], t1[LANES];
    const uint32_t *a = src32(w, in, 0, t0);
    const uint32_t *b = src32(w, in, 1, t1);
    uint8_t hit[LANES];
    uint64_t m = 0;
    int i;

    class_row32(hit, a, b);
    for (i = 0; i < LANES; i++) {
        m |= (uint64_t)hit[i] << i;
    }
    vkfd_sh_vset_mask(w, in, m);
    return true;
}

FP_HOT(exec_cmp_class_f32, cmp_class_f32_body(w, in))

static inline QEMU_ALWAYS_INLINE bool cmp_class_f64_body(VkfdWave *w,
                                                         const VkfdShInsn *in)
{
    uint64_t a[LANES];
    uint32_t t1[LANES];
    const uint32_t *b;
    uint64_t m = 0;
    int i;

    get64(w, in, 0, a);
    b = src32(w, in, 1, t1);
    for (i = 0; i < LANES; i++) {
        m |= (uint64_t)(b[i] >> class64(a[i]) & 1) << i;
    }
    vkfd_sh_vset_mask(w, in, m);
    return true;
}

FP_HOT(exec_cmp_class_f64, cmp_class_f64_body(w, in))

static bool exec_cmp_class_f16(VkfdWave *w, const VkfdShInsn *in)
{
    uint32_t t0[LANES], t1[LANES];
    const uint32_t *a = src32(w, in, 0, t0);
    const uint32_t *b = src32(w, in, 1, t1);
    uint64_t m = 0;
    int i;

    for (i = 0; i < LANES; i++) {
        m |= (uint64_t)(b[i] >> class16(a[i] & 0xffff) & 1) << i;
    }
    vkfd_sh_vset_mask(w, in, m);
    return true;
}

/*
 * VOP3P: packed f16 (two halves of a dword) and packed f32 (two dwords
 * of a pair).  The sources come with op_sel/op_sel_hi/neg/neg_hi applied;
 * clamp (to [0, 1]; a NaN to 0 with DX10_CLAMP) is the handler's.
 */
static inline uint32_t clamp32(uint32_t x, bool dx10)
{
    if (nan32(x)) {
        return dx10 ? 0 : x;
    }
    if ((x & F32_SIGN) && (x & ~F32_SIGN)) {
        return 0;
    }
    return x > ONE_F32 ? ONE_F32 : x;
}

static inline uint32_t clamp16(uint32_t x, bool dx10)
{
    x &= 0xffff;
    if (nan16(x)) {
        return dx10 ? 0 : x;
    }
    if ((x & F16_SIGN) && (x & 0x7fff)) {
        return 0;
    }
    return x > ONE_F16 ? ONE_F16 : x;
}
static inline QEMU_ALWAYS_INLINE bool pk_f16(VkfdWave *w,
                                             const VkfdShInsn *in, int kind)
{
    uint32_t a[LANES], b[LANES], c[LANES], r[LANES];
    unsigned n = f16_nsrc(kind);
    bool ieee = w->mode & VKFD_SH_MODE_IEEE;
    bool clamp = vkfd_sh_valu_clamp(in);
    bool dx10 = w->mode & VKFD_SH_MODE_DX10_CLAMP;
    float_status st;
    int i, h;

    vkfd_sh_vsrc_pk16(w, in, 0, a);
    vkfd_sh_vsrc_pk16(w, in, 1, b);
    if (n > 2) {
        vkfd_sh_vsrc_pk16(w, in, 2, c);
    }
    fp_status(&st, w->mode, true);
    for (i = 0; i < LANES; i++) {
        r[i] = 0;
        for (h = 0; h < 32; h += 16) {
            uint32_t x = a[i] >> h & 0xffff, y = b[i] >> h & 0xffff;
            uint32_t z = n > 2 ? c[i] >> h & 0xffff : 0;
            uint32_t v = f16_lane(kind, x, y, z, ieee, &st);

            if (kind != H_MIN && kind != H_MAX) {
                v = nan_pick16(v, x, y, z, n);
            }
            if (clamp) {
                v = clamp16(v, dx10);
            }
            r[i] |= (v & 0xffff) << h;
        }
    }
    dst32(w, in, r);
    return true;
}

static bool exec_pk_fma_f16(VkfdWave *w, const VkfdShInsn *in)
{
    return pk_f16(w, in, H_FMA);
}

static bool exec_pk_add_f16(VkfdWave *w, const VkfdShInsn *in)
{
    return pk_f16(w, in, H_ADD);
}

static bool exec_pk_mul_f16(VkfdWave *w, const VkfdShInsn *in)
{
    return pk_f16(w, in, H_MUL);
}

static bool exec_pk_min_f16(VkfdWave *w, const VkfdShInsn *in)
{
    return pk_f16(w, in, H_MIN);
}

static bool exec_pk_max_f16(VkfdWave *w, const VkfdShInsn *in)
{
    return pk_f16(w, in, H_MAX);
}

enum { PK_FMA, PK_MUL, PK_ADD };

static inline QEMU_ALWAYS_INLINE bool pk_f32(VkfdWave *w,
                                             const VkfdShInsn *in, int kind)
{
    uint32_t alo[LANES], ahi[LANES], blo[LANES], bhi[LANES];
    uint32_t clo[LANES], chi[LANES], rlo[LANES], rhi[LANES];
    uint64_t r[LANES];
    bool fast = fp_fast(w, false);
    bool clamp = vkfd_sh_valu_clamp(in);
    bool dx10 = w->mode & VKFD_SH_MODE_DX10_CLAMP;
    float_status st;
    int i, h;

    vkfd_sh_vsrc_pk32(w, in, 0, alo, ahi);
    vkfd_sh_vsrc_pk32(w, in, 1, blo, bhi);
    if (kind == PK_FMA) {
        vkfd_sh_vsrc_pk32(w, in, 2, clo, chi);
    }
    fp_status(&st, w->mode, false);
    for (h = 0; h < 2; h++) {
        const uint32_t *a = h ? ahi : alo, *b = h ? bhi : blo;
        const uint32_t *c = h ? chi : clo;
        uint32_t *d = h ? rhi : rlo;

        for (i = 0; i < LANES; i++) {
            switch (kind) {
            case PK_FMA:
                d[i] = fast ? u32_of(fmaf(f32_of(a[i]), f32_of(b[i]),
                                          f32_of(c[i]))) :
                       float32_muladd(a[i], b[i], c[i], 0, &st);
                break;
            case PK_MUL:
                d[i] = fast ? u32_of(f32_of(a[i]) * f32_of(b[i])) :
                       float32_mul(a[i], b[i], &st);
                break;
            default:
                d[i] = fast ? u32_of(f32_of(a[i]) + f32_of(b[i])) :
                       float32_add(a[i], b[i], &st);
                break;
            }
        }
        nan_fix32(d, a, b, kind == PK_FMA ? c : NULL);
        for (i = 0; clamp && i < LANES; i++) {
            d[i] = clamp32(d[i], dx10);
        }
    }
    for (i = 0; i < LANES; i++) {
        r[i] = rlo[i] | (uint64_t)rhi[i] << 32;
    }
    put64_rows(w, in, r);
    return true;
}

static bool exec_pk_fma_f32(VkfdWave *w, const VkfdShInsn *in)
{
    return pk_f32(w, in, PK_FMA);
}

static bool exec_pk_mul_f32(VkfdWave *w, const VkfdShInsn *in)
{
    return pk_f32(w, in, PK_MUL);
}

static bool exec_pk_add_f32(VkfdWave *w, const VkfdShInsn *in)
{
    return pk_f32(w, in, PK_ADD);
}

/* v_pk_fmac_f16 (VOP2): both halves of dst += src0 * src1, fused */
static bool exec_pk_fmac_f16(VkfdWave *w, const VkfdShInsn *in)
{
    uint32_t t0[LANES], t1[LANES], t2[LANES], r[LANES];
    const uint32_t *a = src32(w, in, 0, t0);
    const uint32_t *b = src32(w, in, 1, t1);
    const uint32_t *c = src32(w, in, 2, t2);
    bool ieee = w->mode & VKFD_SH_MODE_IEEE;
    float_status st;
    int i, h;

    fp_status(&st, w->mode, true);
    for (i = 0; i < LANES; i++) {
        r[i] = 0;
        for (h = 0; h < 32; h += 16) {
            uint32_t x = a[i] >> h & 0xffff, y = b[i] >> h & 0xffff;
            uint32_t z = c[i] >> h & 0xffff;
            uint32_t v = f16_lane(H_FMA, x, y, z, ieee, &st);

            r[i] |= (nan_pick16(v, x, y, z, 3) & 0xffff) << h;
        }
    }
    dst32(w, in, r);
    return true;
}

/*
 * The mixed-precision ops (VOP3P, not packed): source i is an f32, or,
 * when op_sel_hi bit i is set, the f16 in the half op_sel bit i picks;
 * neg_hi is abs.  v_fma_mix_f32 gives an f32, v_fma_mixlo/hi_f16 an f16
 * in the low/high half, the other half kept.
 */
enum { MIX_F32, MIX_LO, MIX_HI };

static uint32_t mix_src(const VkfdShInsn *in, unsigned i, uint32_t x,
                        float_status *st)
{
    if (in->u.vop3.opsel_hi >> i & 1) {
        float_status exact = *st;

        set_flush_to_zero(false, &exact);
        x = x >> ((in->u.vop3.opsel >> i & 1) * 16) & 0xffff;
        x = nan16(x) ? (x & F16_SIGN) << 16 | F32_NAN |
                       (x & 0x1ff) << 13 :
            float16_to_float32(x, true, &exact);
    }
    if (in->u.vop3.neg_hi >> i & 1) {
        x &= ~F32_SIGN;
    }
    if (in->u.vop3.neg >> i & 1) {
        x ^= F32_SIGN;
    }
    return x;
}

static inline QEMU_ALWAYS_INLINE bool fma_mix(VkfdWave *w,
                                              const VkfdShInsn *in, int kind)
{
    uint32_t t[3][LANES], r[LANES];
    const uint32_t *d = w->v[in->dst.idx];
    bool clamp = vkfd_sh_valu_clamp(in);
    bool dx10 = w->mode & VKFD_SH_MODE_DX10_CLAMP;
    float_status st, st16;
    int i, k;

    fp_status(&st, w->mode, false);
    fp_status(&st16, w->mode, true);
    for (k = 0; k < 3; k++) {
        const uint32_t *x = vkfd_sh_v32(w, &in->src[k], t[k]);

        for (i = 0; i < LANES; i++) {
            t[k][i] = mix_src(in, k, x[i], &st16);
        }
    }
    for (i = 0; i < LANES; i++) {
        uint32_t v = float32_muladd(t[0][i], t[1][i], t[2][i], 0, &st);

        if (nan32(v)) {
            v = nan32(t[0][i]) ? t[0][i] | F32_QUIET :
                nan32(t[1][i]) ? t[1][i] | F32_QUIET :
                nan32(t[2][i]) ? t[2][i] | F32_QUIET : F32_NAN;
        }
        if (kind == MIX_F32) {
            r[i] = clamp ? clamp32(v, dx10) : v;
            continue;
        }
        v = f16_unary_lane(U_CVT_F16_F32, v, &st16);
        v = clamp ? clamp16(v, dx10) : v;
        r[i] = kind == MIX_LO ? (d[i] & 0xffff0000u) | v
                              : (d[i] & 0xffff) | v << 16;
    }
    dst32(w, in, r);
    return true;
}

static bool exec_fma_mix_f32(VkfdWave *w, const VkfdShInsn *in)
{
    return fma_mix(w, in, MIX_F32);
}

static bool exec_fma_mixlo_f16(VkfdWave *w, const VkfdShInsn *in)
{
    return fma_mix(w, in, MIX_LO);
}

static bool exec_fma_mixhi_f16(VkfdWave *w, const VkfdShInsn *in)
{
    return fma_mix(w, in, MIX_HI);
}

/* v_dot2_f32_f16: src0.lo * src1.lo + src0.hi * src1.hi + src2 (f32) */
static bool exec_dot2_f32_f16(VkfdWave *w, const VkfdShInsn *in)
{
    uint32_t a[LANES], b[LANES], t2[LANES], r[LANES];
    const uint32_t *c;
    bool clamp = vkfd_sh_valu_clamp(in);
    bool dx10 = w->mode & VKFD_SH_MODE_DX10_CLAMP;
    float_status st, st16;
    int i;

    vkfd_sh_vsrc_pk16(w, in, 0, a);
    vkfd_sh_vsrc_pk16(w, in, 1, b);
    c = vkfd_sh_v32(w, &in->src[2], t2);
    fp_status(&st, w->mode, false);
    fp_status(&st16, w->mode, true);
    set_flush_to_zero(false, &st16);
    for (i = 0; i < LANES; i++) {
        float32 lo = float32_mul(float16_to_float32(a[i] & 0xffff, true,
                                                    &st16),
                                 float16_to_float32(b[i] & 0xffff, true,
                                                    &st16), &st);
        float32 v = float32_muladd(float16_to_float32(a[i] >> 16, true,
                                                      &st16),
                                   float16_to_float32(b[i] >> 16, true,
                                                      &st16),
                                   float32_add(lo, c[i], &st), 0, &st);

        v = nan32(v) ? F32_NAN : v;
        r[i] = clamp ? clamp32(v, dx10) : v;
    }
    dst32(w, in, r);
    return true;
}

/* v_cvt_pknorm_i16/u16_f32: two f32 to normalised 16-bit integers */
static inline QEMU_ALWAYS_INLINE bool cvt_pknorm(VkfdWave *w,
                                                 const VkfdShInsn *in,
                                                 bool sign)
{
    uint32_t t0[LANES], t1[LANES], r[LANES];
    const uint32_t *a = src32(w, in, 0, t0);
    const uint32_t *b = src32(w, in, 1, t1);
    int i, k;

    for (i = 0; i < LANES; i++) {
        uint32_t h[2];

        for (k = 0; k < 2; k++) {
            uint32_t x = k ? b[i] : a[i];
            float f = nan32(x) ? 0 : f32_of(flush32(x));

            f = f > 1 ? 1 : f < (sign ? -1 : 0) ? (sign ? -1 : 0) : f;
            h[k] = (uint16_t)(int32_t)rintf(f * (sign ? 32767 : 65535));
        }
        r[i] = h[0] | h[1] << 16;
    }
    dst32(w, in, r);
    return true;
}

static bool exec_cvt_pknorm_i16_f32(VkfdWave *w, const VkfdShInsn *in)
{
    return cvt_pknorm(w, in, true);
}

static bool exec_cvt_pknorm_u16_f32(VkfdWave *w, const VkfdShInsn *in)
{
    return cvt_pknorm(w, in, false);
}

/*
 * The tables.  Types: F32/F64/F16 operands get float inline constants;
 * B32 marks an integer operand.  Flags (vkfd-sh-valu.h): FMODS on ops
 * whose float sources take abs/neg, CLAMP and OMOD on float results.
 */
#define ARITH   (VKFD_SH_VF_FMODS | VKFD_SH_VF_CLAMP | VKFD_SH_VF_OMOD)
#define ARITH16 (ARITH | VKFD_SH_VF_OPSEL)
#define CMP     (VKFD_SH_VF_FMODS | VKFD_SH_VF_SDST_MASK)
#define CMPX    (CMP | VKFD_SH_VF_CMPX)
#define CLASS   (VKFD_SH_VF_FMODS | VKFD_SH_VF_SDST_MASK)
#define CLASSX  (CLASS | VKFD_SH_VF_CMPX)

#define F32 VKFD_SH_F32
#define F64 VKFD_SH_F64
#define F16 VKFD_SH_F16
#define B32 VKFD_SH_B32
#define B64 VKFD_SH_B64
#define NONE VKFD_SH_NONE

#define OP1(nm, fn, s0, d, fl) \
    { nm, exec_##fn, { s0, NONE, NONE }, d, fl }
#define OP2(nm, fn, s0, s1, d, fl) \
    { nm, exec_##fn, { s0, s1, NONE }, d, fl }
#define OP3(nm, fn, s0, s1, s2, d, fl) \
    { nm, exec_##fn, { s0, s1, s2 }, d, fl }

const VkfdShOp vkfd_sh_vop1_fp[VKFD_SH_VOP1_OPS] = {
    [0x03] = OP1("v_cvt_i32_f64", cvt_i32_f64, F64, B32, VKFD_SH_VF_FMODS),
    [0x04] = OP1("v_cvt_f64_i32", cvt_f64_i32, B32, F64,
                 VKFD_SH_VF_CLAMP | VKFD_SH_VF_OMOD),
    [0x05] = OP1("v_cvt_f32_i32", cvt_f32_i32, B32, F32,
                 VKFD_SH_VF_CLAMP | VKFD_SH_VF_OMOD),
    [0x06] = OP1("v_cvt_f32_u32", cvt_f32_u32, B32, F32,
                 VKFD_SH_VF_CLAMP | VKFD_SH_VF_OMOD),
    [0x07] = OP1("v_cvt_u32_f32", cvt_u32_f32, F32, B32, VKFD_SH_VF_FMODS),
    [0x08] = OP1("v_cvt_i32_f32", cvt_i32_f32, F32, B32, VKFD_SH_VF_FMODS),
    [0x0a] = OP1("v_cvt_f16_f32", cvt_f16_f32, F32, F16, ARITH16),
    [0x0b] = OP1("v_cvt_f32_f16", cvt_f32_f16, F16, F32, ARITH16),
    [0x0c] = OP1("v_cvt_rpi_i32_f32", cvt_rpi_i32_f32, F32, B32,
                 VKFD_SH_VF_FMODS),
    [0x0d] = OP1("v_cvt_flr_i32_f32", cvt_flr_i32_f32, F32, B32,
                 VKFD_SH_VF_FMODS),
    [0x0e] = OP1("v_cvt_off_f32_i4", cvt_off_f32_i4, B32, F32,
                 VKFD_SH_VF_CLAMP | VKFD_SH_VF_OMOD),
    [0x0f] = OP1("v_cvt_f32_f64", cvt_f32_f64, F64, F32, ARITH),
    [0x10] = OP1("v_cvt_f64_f32", cvt_f64_f32, F32, F64, ARITH),
    [0x11] = OP1("v_cvt_f32_ubyte0", cvt_f32_ubyte0, B32, F32,
                 VKFD_SH_VF_CLAMP | VKFD_SH_VF_OMOD),
    [0x12] = OP1("v_cvt_f32_ubyte1", cvt_f32_ubyte1, B32, F32,
                 VKFD_SH_VF_CLAMP | VKFD_SH_VF_OMOD),
    [0x13] = OP1("v_cvt_f32_ubyte2", cvt_f32_ubyte2, B32, F32,
                 VKFD_SH_VF_CLAMP | VKFD_SH_VF_OMOD),
    [0x14] = OP1("v_cvt_f32_ubyte3", cvt_f32_ubyte3, B32, F32,
                 VKFD_SH_VF_CLAMP | VKFD_SH_VF_OMOD),
    [0x15] = OP1("v_cvt_u32_f64", cvt_u32_f64, F64, B32, VKFD_SH_VF_FMODS),
    [0x16] = OP1("v_cvt_f64_u32", cvt_f64_u32, B32, F64,
                 VKFD_SH_VF_CLAMP | VKFD_SH_VF_OMOD),
    [0x17] = OP1("v_trunc_f64", trunc_f64, F64, F64, ARITH),
    [0x18] = OP1("v_ceil_f64", ceil_f64, F64, F64, ARITH),
    [0x19] = OP1("v_rndne_f64", rndne_f64, F64, F64, ARITH),
    [0x1a] = OP1("v_floor_f64", floor_f64, F64, F64, ARITH),
    [0x1b] = OP1("v_fract_f32", fract_f32, F32, F32, ARITH),
    [0x1c] = OP1("v_trunc_f32", trunc_f32, F32, F32, ARITH),
    [0x1d] = OP1("v_ceil_f32", ceil_f32, F32, F32, ARITH),
    [0x1e] = OP1("v_rndne_f32", rndne_f32, F32, F32, ARITH),
    [0x1f] = OP1("v_floor_f32", floor_f32, F32, F32, ARITH),
    [0x20] = OP1("v_exp_f32", exp_f32, F32, F32, ARITH),
    [0x21] = OP1("v_log_f32", log_f32, F32, F32, ARITH),
    [0x22] = OP1("v_rcp_f32", rcp_f32, F32, F32, ARITH),
    [0x23] = OP1("v_rcp_iflag_f32", rcp_f32, F32, F32, ARITH),
    [0x24] = OP1("v_rsq_f32", rsq_f32, F32, F32, ARITH),
    [0x25] = OP1("v_rcp_f64", rcp_f64, F64, F64, ARITH),
    [0x26] = OP1("v_rsq_f64", rsq_f64, F64, F64, ARITH),
    [0x27] = OP1("v_sqrt_f32", sqrt_f32, F32, F32, ARITH),
    [0x28] = OP1("v_sqrt_f64", sqrt_f64, F64, F64, ARITH),
    [0x29] = OP1("v_sin_f32", sin_f32, F32, F32, ARITH),
    [0x2a] = OP1("v_cos_f32", cos_f32, F32, F32, ARITH),
    [0x30] = OP1("v_frexp_exp_i32_f64", frexp_exp_i32_f64, F64, B32,
                 VKFD_SH_VF_FMODS),
    [0x31] = OP1("v_frexp_mant_f64", frexp_mant_f64, F64, F64, ARITH),
    [0x32] = OP1("v_fract_f64", fract_f64, F64, F64, ARITH),
    [0x33] = OP1("v_frexp_exp_i32_f32", frexp_exp_i32_f32, F32, B32,
                 VKFD_SH_VF_FMODS),
    [0x34] = OP1("v_frexp_mant_f32", frexp_mant_f32, F32, F32, ARITH),
    [0x39] = OP1("v_cvt_f16_u16", cvt_f16_u16, F16, F16,
                 VKFD_SH_VF_CLAMP | VKFD_SH_VF_OMOD | VKFD_SH_VF_OPSEL),
    [0x3a] = OP1("v_cvt_f16_i16", cvt_f16_i16, F16, F16,
                 VKFD_SH_VF_CLAMP | VKFD_SH_VF_OMOD | VKFD_SH_VF_OPSEL),
    [0x3b] = OP1("v_cvt_u16_f16", cvt_u16_f16, F16, F16,
                 VKFD_SH_VF_FMODS | VKFD_SH_VF_OPSEL),
    [0x3c] = OP1("v_cvt_i16_f16", cvt_i16_f16, F16, F16,
                 VKFD_SH_VF_FMODS | VKFD_SH_VF_OPSEL),
    [0x3d] = OP1("v_rcp_f16", rcp_f16, F16, F16, ARITH16),
    [0x3e] = OP1("v_sqrt_f16", sqrt_f16, F16, F16, ARITH16),
    [0x3f] = OP1("v_rsq_f16", rsq_f16, F16, F16, ARITH16),
    [0x40] = OP1("v_log_f16", log_f16, F16, F16, ARITH16),
    [0x41] = OP1("v_exp_f16", exp_f16, F16, F16, ARITH16),
    [0x42] = OP1("v_frexp_mant_f16", frexp_mant_f16, F16, F16, ARITH16),
    [0x43] = OP1("v_frexp_exp_i16_f16", frexp_exp_i16_f16, F16, F16,
                 VKFD_SH_VF_FMODS | VKFD_SH_VF_OPSEL),
    [0x44] = OP1("v_floor_f16", floor_f16, F16, F16, ARITH16),
    [0x45] = OP1("v_ceil_f16", ceil_f16, F16, F16, ARITH16),
    [0x46] = OP1("v_trunc_f16", trunc_f16, F16, F16, ARITH16),
    [0x47] = OP1("v_rndne_f16", rndne_f16, F16, F16, ARITH16),
    [0x48] = OP1("v_fract_f16", fract_f16, F16, F16, ARITH16),
    [0x49] = OP1("v_sin_f16", sin_f16, F16, F16, ARITH16),
    [0x4a] = OP1("v_cos_f16", cos_f16, F16, F16, ARITH16),
};

/*
 * VOP2.  v_mac/v_fmac: src2 is the destination (VKFD_SH_VF_MAC).
 * v_madmk: src0 * K + src1, v_madak: src0 * src1 + K; the decoder puts
 * the literal K where the multiply-add wants it (src1 for madmk, src2 for
 * madak), so that every multiply-add is src0 * src1 + src2.
 */
const VkfdShOp vkfd_sh_vop2_fp[VKFD_SH_VOP2_OPS] = {
    [0x01] = OP2("v_add_f32", add_f32, F32, F32, F32, ARITH),
    [0x02] = OP2("v_sub_f32", sub_f32, F32, F32, F32, ARITH),
    [0x03] = OP2("v_subrev_f32", subrev_f32, F32, F32, F32, ARITH),
    [0x04] = OP3("v_fmac_f64", fma_f64, F64, F64, F64, F64,
                 ARITH | VKFD_SH_VF_MAC),
    [0x05] = OP2("v_mul_f32", mul_f32, F32, F32, F32, ARITH),
    [0x0a] = OP2("v_min_f32", min_f32, F32, F32, F32, ARITH),
    [0x0b] = OP2("v_max_f32", max_f32, F32, F32, F32, ARITH),
    [0x16] = OP3("v_mac_f32", mad_f32, F32, F32, F32, F32,
                 ARITH | VKFD_SH_VF_MAC),
    [0x17] = OP3("v_madmk_f32", mad_f32, F32, F32, F32, F32,
                 VKFD_SH_VF_LIT_K1),
    [0x18] = OP3("v_madak_f32", mad_f32, F32, F32, F32, F32,
                 VKFD_SH_VF_LIT_K2),
    [0x1f] = OP2("v_add_f16", add_f16, F16, F16, F16, ARITH16),
    [0x20] = OP2("v_sub_f16", sub_f16, F16, F16, F16, ARITH16),
    [0x21] = OP2("v_subrev_f16", subrev_f16, F16, F16, F16, ARITH16),
    [0x22] = OP2("v_mul_f16", mul_f16, F16, F16, F16, ARITH16),
    [0x23] = OP3("v_mac_f16", mad_f16, F16, F16, F16, F16,
                 ARITH | VKFD_SH_VF_MAC),
    [0x24] = OP3("v_madmk_f16", mad_f16, F16, F16, F16, F16,
                 VKFD_SH_VF_LIT_K1),
    [0x25] = OP3("v_madak_f16", mad_f16, F16, F16, F16, F16,
                 VKFD_SH_VF_LIT_K2),
    [0x2d] = OP2("v_max_f16", max_f16, F16, F16, F16, ARITH16),
    [0x2e] = OP2("v_min_f16", min_f16, F16, F16, F16, ARITH16),
    [0x33] = OP2("v_ldexp_f16", ldexp_f16, F16, B32, F16,
                 ARITH16),
    [0x3b] = OP3("v_fmac_f32", fma_f32, F32, F32, F32, F32,
                 ARITH | VKFD_SH_VF_MAC),
    [0x3c] = OP3("v_pk_fmac_f16", pk_fmac_f16, F16, F16, B32, B32,
                 VKFD_SH_VF_MAC | VKFD_SH_VF_NO_EXT),
};

#define CMP_ROW(base, t, sfx, fn, fl) \
    [base + 0x0] = OP2("v_cmp" sfx "_f_" t, fn, T, T, B64, fl), \
    [base + 0x1] = OP2("v_cmp" sfx "_lt_" t, fn, T, T, B64, fl), \
    [base + 0x2] = OP2("v_cmp" sfx "_eq_" t, fn, T, T, B64, fl), \
    [base + 0x3] = OP2("v_cmp" sfx "_le_" t, fn, T, T, B64, fl), \
    [base + 0x4] = OP2("v_cmp" sfx "_gt_" t, fn, T, T, B64, fl), \
    [base + 0x5] = OP2("v_cmp" sfx "_lg_" t, fn, T, T, B64, fl), \
    [base + 0x6] = OP2("v_cmp" sfx "_ge_" t, fn, T, T, B64, fl), \
    [base + 0x7] = OP2("v_cmp" sfx "_o_" t, fn, T, T, B64, fl), \
    [base + 0x8] = OP2("v_cmp" sfx "_u_" t, fn, T, T, B64, fl), \
    [base + 0x9] = OP2("v_cmp" sfx "_nge_" t, fn, T, T, B64, fl), \
    [base + 0xa] = OP2("v_cmp" sfx "_nlg_" t, fn, T, T, B64, fl), \
    [base + 0xb] = OP2("v_cmp" sfx "_ngt_" t, fn, T, T, B64, fl), \
    [base + 0xc] = OP2("v_cmp" sfx "_nle_" t, fn, T, T, B64, fl), \
    [base + 0xd] = OP2("v_cmp" sfx "_neq_" t, fn, T, T, B64, fl), \
    [base + 0xe] = OP2("v_cmp" sfx "_nlt_" t, fn, T, T, B64, fl), \
    [base + 0xf] = OP2("v_cmp" sfx "_tru_" t, fn, T, T, B64, fl)

/* VOPC: the compare's low four bits are its predicate (exec_cmp_*) */
const VkfdShOp vkfd_sh_vopc_fp[VKFD_SH_VOPC_OPS] = {
    [0x10] = OP2("v_cmp_class_f32", cmp_class_f32, F32, B32, B64, CLASS),
    [0x11] = OP2("v_cmpx_class_f32", cmp_class_f32, F32, B32, B64, CLASSX),
    [0x12] = OP2("v_cmp_class_f64", cmp_class_f64, F64, B32, B64, CLASS),
    [0x13] = OP2("v_cmpx_class_f64", cmp_class_f64, F64, B32, B64, CLASSX),
    [0x14] = OP2("v_cmp_class_f16", cmp_class_f16, F16, B32, B64, CLASS),
    [0x15] = OP2("v_cmpx_class_f16", cmp_class_f16, F16, B32, B64, CLASSX),
#define T F16
    CMP_ROW(0x20, "f16", "", cmp_f16, CMP),
    CMP_ROW(0x30, "f16", "x", cmp_f16, CMPX),
#undef T
#define T F32
    CMP_ROW(0x40, "f32", "", cmp_f32, CMP),
    CMP_ROW(0x50, "f32", "x", cmp_f32, CMPX),
#undef T
#define T F64
    CMP_ROW(0x60, "f64", "", cmp_f64, CMP),
    CMP_ROW(0x70, "f64", "x", cmp_f64, CMPX),
#undef T
};

/* VOP3-only opcodes, by their full 10-bit number */
const VkfdShOp vkfd_sh_vop3_fp[VKFD_SH_VOP3_OPS] = {
    [0x1c0] = OP3("v_mad_legacy_f32", mad_legacy_f32, F32, F32, F32, F32,
                  ARITH),
    [0x1c1] = OP3("v_mad_f32", mad_f32, F32, F32, F32, F32, ARITH),
    [0x1cb] = OP3("v_fma_f32", fma_f32, F32, F32, F32, F32, ARITH),
    [0x1cc] = OP3("v_fma_f64", fma_f64, F64, F64, F64, F64, ARITH),
    [0x1d0] = OP3("v_min3_f32", min3_f32, F32, F32, F32, F32, ARITH),
    [0x1d3] = OP3("v_max3_f32", max3_f32, F32, F32, F32, F32, ARITH),
    [0x1d6] = OP3("v_med3_f32", med3_f32, F32, F32, F32, F32, ARITH),
    [0x1de] = OP3("v_div_fixup_f32", div_fixup_f32, F32, F32, F32, F32,
                  ARITH),
    [0x1df] = OP3("v_div_fixup_f64", div_fixup_f64, F64, F64, F64, F64,
                  ARITH),
    [0x1e0] = OP3("v_div_scale_f32", div_scale_f32, F32, F32, F32, F32,
                  VKFD_SH_VF_FMODS | VKFD_SH_VF_SDST_MASK),
    [0x1e1] = OP3("v_div_scale_f64", div_scale_f64, F64, F64, F64, F64,
                  VKFD_SH_VF_FMODS | VKFD_SH_VF_SDST_MASK),
    [0x1e2] = OP3("v_div_fmas_f32", div_fmas_f32, F32, F32, F32, F32,
                  ARITH),
    [0x1e3] = OP3("v_div_fmas_f64", div_fmas_f64, F64, F64, F64, F64,
                  ARITH),
    [0x1f4] = OP3("v_min3_f16", min3_f16, F16, F16, F16, F16, ARITH16),
    [0x1f7] = OP3("v_max3_f16", max3_f16, F16, F16, F16, F16, ARITH16),
    [0x1fa] = OP3("v_med3_f16", med3_f16, F16, F16, F16, F16, ARITH16),
    [0x203] = OP3("v_mad_f16", mad_f16, F16, F16, F16, F16, ARITH16),
    [0x206] = OP3("v_fma_f16", fma_f16, F16, F16, F16, F16, ARITH16),
    [0x207] = OP3("v_div_fixup_f16", div_fixup_f16, F16, F16, F16, F16,
                  ARITH16),
    [0x280] = OP2("v_add_f64", add_f64, F64, F64, F64, ARITH),
    [0x281] = OP2("v_mul_f64", mul_f64, F64, F64, F64, ARITH),
    [0x282] = OP2("v_min_f64", min_f64, F64, F64, F64, ARITH),
    [0x283] = OP2("v_max_f64", max_f64, F64, F64, F64, ARITH),
    [0x284] = OP2("v_ldexp_f64", ldexp_f64, F64, B32, F64, ARITH),
    [0x288] = OP2("v_ldexp_f32", ldexp_f32, F32, B32, F32, ARITH),
    [0x292] = OP2("v_trig_preop_f64", trig_preop_f64, F64, B32, F64, ARITH),
    [0x294] = OP2("v_cvt_pknorm_i16_f32", cvt_pknorm_i16_f32, F32, F32, B32,
                  VKFD_SH_VF_FMODS),
    [0x295] = OP2("v_cvt_pknorm_u16_f32", cvt_pknorm_u16_f32, F32, F32, B32,
                  VKFD_SH_VF_FMODS),
    [0x296] = OP2("v_cvt_pkrtz_f16_f32", cvt_pkrtz_f16_f32, F32, F32, B32,
                  VKFD_SH_VF_FMODS),
    [0x2a1] = OP2("v_mul_legacy_f32", mul_legacy_f32, F32, F32, F32, ARITH),
};

/* VOP3P: packed f16 and (gfx90a) packed f32 */
#define PK      (VKFD_SH_VF_FMODS | VKFD_SH_VF_CLAMP)

const VkfdShOp vkfd_sh_vop3p_fp[VKFD_SH_VOP3P_OPS] = {
    [0x0e] = OP3("v_pk_fma_f16", pk_fma_f16, F16, F16, F16, B32, PK),
    [0x0f] = OP2("v_pk_add_f16", pk_add_f16, F16, F16, B32, PK),
    [0x10] = OP2("v_pk_mul_f16", pk_mul_f16, F16, F16, B32, PK),
    [0x11] = OP2("v_pk_min_f16", pk_min_f16, F16, F16, B32, PK),
    [0x12] = OP2("v_pk_max_f16", pk_max_f16, F16, F16, B32, PK),
    [0x20] = OP3("v_fma_mix_f32", fma_mix_f32, F32, F32, F32, B32, PK),
    [0x21] = OP3("v_fma_mixlo_f16", fma_mixlo_f16, F32, F32, F32, B32, PK),
    [0x22] = OP3("v_fma_mixhi_f16", fma_mixhi_f16, F32, F32, F32, B32, PK),
    [0x23] = OP3("v_dot2_f32_f16", dot2_f32_f16, F16, F16, F32, B32, PK),
    [0x30] = OP3("v_pk_fma_f32", pk_fma_f32, B64, B64, B64, B64,
                 PK | VKFD_SH_VF_NO_EXT),
    [0x31] = OP2("v_pk_mul_f32", pk_mul_f32, B64, B64, B64,
                 PK | VKFD_SH_VF_NO_EXT),
    [0x32] = OP2("v_pk_add_f32", pk_add_f32, B64, B64, B64,
                 PK | VKFD_SH_VF_NO_EXT),
};
