/*
 * vkfd: a virtual AMD KFD device -- shader core: VOP1, VOP2, VOPC, VOP3,
 * VOP3P decoding, the DPP/SDWA/VOP3 modifiers, and the integer, bit,
 * move, lane and integer-compare ops (floating point: vkfd-sh-valu-fp.c)
 *
 * Encodings (GFX9, as LLVM's VOPInstructions.td lays them out):
 *   VOP1   [8:0] src0  [16:9] op   [24:17] vdst  [31:25] 0x3f
 *   VOP2   [8:0] src0  [16:9] vsrc1  [24:17] vdst  [30:25] op  [31] 0
 *   VOPC   [8:0] src0  [16:9] vsrc1  [24:17] op  [31:25] 0x3e
 *   VOP3A  [7:0] vdst  [10:8] abs  [14:11] op_sel  [15] clamp  [25:16] op
 *          dw1: [8:0] src0  [17:9] src1  [26:18] src2  [28:27] omod
 *          [31:29] neg
 *   VOP3B  as VOP3A with [14:8] sdst in place of abs and op_sel
 *   VOP3P  [7:0] vdst  [10:8] neg_hi  [13:11] op_sel  [14] op_sel_hi[2]
 *          [15] clamp  [22:16] op; dw1 as VOP3A with [28:27] op_sel_hi[1:0]
 *   SDWA   (src0 = 0xf9) dw1: [7:0] src0  [10:8] dst_sel  [12:11]
 *          dst_unused  [13] clamp  [15:14] omod (VOPC: [14:8] sdst, [15] sd)
 *          [18:16] src0_sel  [19] sext  [20] neg  [21] abs  [23] src0 is
 *          scalar  [26:24] src1_sel  [27] sext  [28] neg  [29] abs  [31]
 *          src1 (the vsrc1 field) is scalar
 *   DPP    (src0 = 0xfa) dw1: [7:0] src0  [16:8] dpp_ctrl  [19] bound_ctrl
 *          [20] src0 neg  [21] src0 abs  [22] src1 neg  [23] src1 abs
 *          [27:24] bank_mask  [31:28] row_mask
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/bitops.h"
#include "qemu/host-utils.h"
#include "qemu/bswap.h"
#include <math.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#include "vkfd.h"
#include "vkfd-sh.h"
#include "vkfd-sh-valu.h"

#define LANES   VKFD_SH_WAVE_SIZE

/* ---- lane masks ---------------------------------------------------- */

/* Bit i of the result is c[i] (each 0 or 1): eight lanes per multiply. */
static inline uint64_t valu_pack(const uint8_t *c)
{
    uint64_t m = 0;
    int i;

    for (i = 0; i < LANES / 8; i++) {
        uint64_t x = ldq_le_p(c + 8 * i);

        m |= ((x * 0x0102040810204080ull) >> 56) << (8 * i);
    }
    return m;
}

/*
 * Bit i of the result is bit 31 of c[i]: what a vector compare leaves
 * (all ones for true).  On x86, sixteen lanes a pmovmskb.
 */
static inline uint64_t valu_pack_sign(const uint32_t *c)
{
    uint64_t m = 0;
    int i;

#ifdef __SSE2__
    /* 16 lanes a turn: narrow with signed saturation, then pmovmskb */
    for (i = 0; i < LANES / 16; i++) {
        const __m128i *p = (const __m128i *)(c + 16 * i);
        __m128i lo = _mm_packs_epi32(_mm_loadu_si128(p),
                                     _mm_loadu_si128(p + 1));
        __m128i hi = _mm_packs_epi32(_mm_loadu_si128(p + 2),
                                     _mm_loadu_si128(p + 3));

        m |= (uint64_t)(uint16_t)_mm_movemask_epi8(_mm_packs_epi16(lo, hi))
             << (16 * i);
    }
#else
    for (i = 0; i < LANES; i++) {
        m |= (uint64_t)(c[i] >> 31) << i;
    }
#endif
    return m;
}

/* c[i] = bit i of m (0 or 1): four lanes a table row */
#define SPREAD4(n)  { (n) & 1, (n) >> 1 & 1, (n) >> 2 & 1, (n) >> 3 & 1 }

static inline void valu_unpack32(uint64_t m, uint32_t *c)
{
    static const uint32_t spread[16][4] = {
        SPREAD4(0), SPREAD4(1), SPREAD4(2), SPREAD4(3),
        SPREAD4(4), SPREAD4(5), SPREAD4(6), SPREAD4(7),
        SPREAD4(8), SPREAD4(9), SPREAD4(10), SPREAD4(11),
        SPREAD4(12), SPREAD4(13), SPREAD4(14), SPREAD4(15),
    };
    int i;

    for (i = 0; i < LANES / 4; i++) {
        memcpy(c + 4 * i, spread[(m >> (4 * i)) & 15], 16);
    }
}

/* ---- DPP ----------------------------------------------------------- */

/*
 * The lane whose value lane i reads under dpp_ctrl, or -1 when that is
 * out of range.  Only the controls the decoder accepted reach here.
 */
static int dpp_src_lane(unsigned ctrl, int i)
{
    int row = i & ~15, r = i & 15, n = ctrl & 15;

    if (ctrl <= 0xff) {                         /* quad_perm */
        return (i & ~3) | ((ctrl >> ((i & 3) * 2)) & 3);
    }
    switch (ctrl & ~15) {
    case 0x100:                                 /* row_shl */
        return r + n <= 15 ? i + n : -1;
    case 0x110:                                 /* row_shr */
        return r >= n ? i - n : -1;
    case 0x120:                                 /* row_ror */
        return row | ((r - n) & 15);
    }
    switch (ctrl) {
    case 0x130:                                 /* wave_shl:1 */
        return i < LANES - 1 ? i + 1 : -1;
    case 0x134:                                 /* wave_rol:1 */
        return (i + 1) & (LANES - 1);
    case 0x138:                                 /* wave_shr:1 */
        return i > 0 ? i - 1 : -1;
    case 0x13c:                                 /* wave_ror:1 */
        return (i - 1) & (LANES - 1);
    case 0x140:                                 /* row_mirror */
        return row | (15 - r);
    case 0x141:                                 /* row_half_mirror */
        return (i & ~7) | (7 - (i & 7));
    case 0x142:                                 /* row_bcast:15 */
        return row ? row - 1 : -1;
    case 0x143:                                 /* row_bcast:31 */
        return i >= 32 ? 31 : -1;
    }
    return -1;
}

static bool dpp_ctrl_ok(unsigned ctrl)
{
    if (ctrl <= 0xff) {
        return true;
    }
    switch (ctrl & ~15) {
    case 0x100:
    case 0x110:
    case 0x120:
        return (ctrl & 15) != 0;
    }
    switch (ctrl) {
    case 0x130: case 0x134: case 0x138: case 0x13c:
    case 0x140: case 0x141: case 0x142: case 0x143:
        return true;
    }
    return false;
}

/* The lanes a DPP instruction writes (see vkfd-sh-valu.h) */
uint64_t vkfd_sh_dpp_lanes(const VkfdWave *w, const VkfdShInsn *in)
{
    uint64_t exec = vkfd_sh_exec_mask(w), m = exec & in->u.dpp.lanes;
    int i, s;

    if (in->u.dpp.bound_ctrl) {
        return m;
    }
    for (i = 0; i < LANES; i++) {
        s = dpp_src_lane(in->u.dpp.ctrl, i);
        if (s < 0 || !(exec >> s & 1)) {
            m &= ~(1ull << i);
        }
    }
    return m;
}

/* ---- modifiers: sources -------------------------------------------- */

static uint32_t sign_bit32(unsigned type)
{
    return type == VKFD_SH_F16 ? 0x8000 : 0x80000000u;
}

static void fmods32(uint32_t *t, unsigned type, bool abs, bool neg)
{
    uint32_t sb = sign_bit32(type);
    int i;

    if (abs) {
        for (i = 0; i < LANES; i++) {
            t[i] &= ~sb;
        }
    }
    if (neg) {
        for (i = 0; i < LANES; i++) {
            t[i] ^= sb;
        }
    }
}

static uint32_t sdwa_sel(uint32_t x, unsigned sel, bool sext)
{
    switch (sel) {
    case VKFD_SH_SDWA_BYTE0:
    case VKFD_SH_SDWA_BYTE1:
    case VKFD_SH_SDWA_BYTE2:
    case VKFD_SH_SDWA_BYTE3:
        x = extract32(x, 8 * sel, 8);
        return sext ? (uint32_t)(int32_t)(int8_t)x : x;
    case VKFD_SH_SDWA_WORD0:
    case VKFD_SH_SDWA_WORD1:
        x = extract32(x, 16 * (sel - VKFD_SH_SDWA_WORD0), 16);
        return sext ? (uint32_t)(int32_t)(int16_t)x : x;
    default:
        return x;
    }
}

const uint32_t *vkfd_sh_vsrc32_mods(const VkfdWave *w, const VkfdShInsn *in,
                                    unsigned i, uint32_t *tmp)
{
    const uint32_t *x = vkfd_sh_v32(w, &in->src[i], tmp);
    unsigned type = in->op->src[i], sel;
    uint64_t exec;
    int l, s;

    switch (in->mods) {
    case VKFD_SH_MODS_VOP3:
        if (!((in->u.vop3.abs | in->u.vop3.neg) >> i & 1) &&
            !(type == VKFD_SH_F16 && in->u.vop3.opsel >> i & 1)) {
            return x;
        }
        if (x != tmp) {
            memcpy(tmp, x, LANES * sizeof(*tmp));
        }
        if (type == VKFD_SH_F16 && in->u.vop3.opsel >> i & 1) {
            for (l = 0; l < LANES; l++) {
                tmp[l] >>= 16;
            }
        }
        fmods32(tmp, type, in->u.vop3.abs >> i & 1, in->u.vop3.neg >> i & 1);
        return tmp;
    case VKFD_SH_MODS_DPP:
        if (i == 0) {
            /* src0 is a VGPR (the decoder made sure): move lanes */
            exec = vkfd_sh_exec_mask(w);
            for (l = 0; l < LANES; l++) {
                s = dpp_src_lane(in->u.dpp.ctrl, l);
                tmp[l] = s >= 0 && (exec >> s & 1) ? x[s] : 0;
            }
        } else if ((in->u.dpp.abs | in->u.dpp.neg) >> i & 1) {
            if (x != tmp) {
                memcpy(tmp, x, LANES * sizeof(*tmp));
            }
        } else {
            return x;
        }
        fmods32(tmp, type, in->u.dpp.abs >> i & 1, in->u.dpp.neg >> i & 1);
        return tmp;
    case VKFD_SH_MODS_SDWA:
        if (i > 1) {
            return x;
        }
        sel = i ? in->u.sdwa.src1_sel : in->u.sdwa.src0_sel;
        for (l = 0; l < LANES; l++) {
            tmp[l] = sdwa_sel(x[l], sel, in->u.sdwa.sext >> i & 1);
        }
        fmods32(tmp, type, in->u.sdwa.abs >> i & 1, in->u.sdwa.neg >> i & 1);
        return tmp;
    default:
        return x;
    }
}

void vkfd_sh_vsrc64_mods(const VkfdWave *w, const VkfdShInsn *in,
                         unsigned i, uint64_t *out)
{
    int l;

    vkfd_sh_v64(w, &in->src[i], out);
    if (in->mods != VKFD_SH_MODS_VOP3) {
        return;
    }
    if (in->u.vop3.abs >> i & 1) {
        for (l = 0; l < LANES; l++) {
            out[l] &= ~(1ull << 63);
        }
    }
    if (in->u.vop3.neg >> i & 1) {
        for (l = 0; l < LANES; l++) {
            out[l] ^= 1ull << 63;
        }
    }
}

/*
 * VOP3P: the 16-bit halves op_sel (low result) and op_sel_hi (high result)
 * pick, neg/neg_hi applied to float sources.
 */
void vkfd_sh_vsrc_pk16(const VkfdWave *w, const VkfdShInsn *in, unsigned i,
                       uint32_t *out)
{
    const uint32_t *x = vkfd_sh_v32(w, &in->src[i], out);
    unsigned lo_sh = (in->u.vop3.opsel >> i & 1) * 16;
    unsigned hi_sh = (in->u.vop3.opsel_hi >> i & 1) * 16;
    uint32_t flip = (in->u.vop3.neg >> i & 1) * 0x8000u |
                    (in->u.vop3.neg_hi >> i & 1) * 0x80000000u;
    int l;

    for (l = 0; l < LANES; l++) {
        uint32_t v = x[l];

        out[l] = ((v >> lo_sh) & 0xffff) | ((v >> hi_sh) << 16 & 0xffff0000u);
        out[l] ^= flip;
    }
}

/* VOP3P with 64-bit operands: op_sel/op_sel_hi pick a dword of the pair */
void vkfd_sh_vsrc_pk32(const VkfdWave *w, const VkfdShInsn *in, unsigned i,
                       uint32_t *lo, uint32_t *hi)
{
    uint64_t x[LANES];
    unsigned lo_sh = (in->u.vop3.opsel >> i & 1) * 32;
    unsigned hi_sh = (in->u.vop3.opsel_hi >> i & 1) * 32;
    uint32_t flo = (in->u.vop3.neg >> i & 1) * 0x80000000u;
    uint32_t fhi = (in->u.vop3.neg_hi >> i & 1) * 0x80000000u;
    int l;

    vkfd_sh_v64(w, &in->src[i], x);
    for (l = 0; l < LANES; l++) {
        lo[l] = (uint32_t)(x[l] >> lo_sh) ^ flo;
        hi[l] = (uint32_t)(x[l] >> hi_sh) ^ fhi;
    }
}

/* ---- modifiers: results -------------------------------------------- */

/*
 * f16 <-> f32 for omod and clamp of 16-bit results (softfloat.h cannot be
 * included in target-independent code): exact widening, and narrowing
 * with round to nearest even.
 */
static float f16_to_f32(uint32_t h)
{
    uint32_t sign = (h & 0x8000) << 16, e = extract32(h, 10, 5);
    uint32_t m = h & 0x3ff, bits;
    float f;

    if (e == 31) {
        bits = sign | 0x7f800000 | m << 13;
    } else if (e) {
        bits = sign | (e + 112) << 23 | m << 13;
    } else {
        f = ldexpf((float)m, -24);
        return sign ? -f : f;
    }
    memcpy(&f, &bits, 4);
    return f;
}

static uint32_t f32_to_f16(float f)
{
    uint32_t bits, sign, m, rem, half, r;
    int e, sh;

    memcpy(&bits, &f, 4);
    sign = bits >> 16 & 0x8000;
    e = (int)extract32(bits, 23, 8) - 112;
    m = bits & 0x7fffff;
    if (e == 255 - 112) {
        return sign | 0x7c00 | (m ? 0x200 | m >> 13 : 0);
    }
    if (e >= 31) {
        return sign | 0x7c00;
    }
    if (e <= 0) {
        if (e < -10) {
            return sign;
        }
        m |= 0x800000;
        sh = 14 - e;
        r = m >> sh;
        rem = m & ((1u << sh) - 1);
        half = 1u << (sh - 1);
        return sign | (r + (rem > half || (rem == half && (r & 1))));
    }
    r = sign | e << 10 | m >> 13;
    rem = m & 0x1fff;
    return r + (rem > 0x1000 || (rem == 0x1000 && (r & 1)));
}

static float fp_post(float f, unsigned omod, bool clamp, bool dx10)
{
    static const float omod_f[4] = { 1.0f, 2.0f, 4.0f, 0.5f };

    f *= omod_f[omod];
    if (clamp) {
        if (isnan(f)) {
            f = dx10 ? 0.0f : f;
        } else {
            f = f < 0.0f ? 0.0f : f > 1.0f ? 1.0f : f;
        }
    }
    return f;
}

static void fp_post32(const VkfdWave *w, unsigned type, unsigned omod,
                      bool clamp, uint32_t *val)
{
    bool dx10 = w->mode & VKFD_SH_MODE_DX10_CLAMP;
    float f;
    int l;

    for (l = 0; l < LANES; l++) {
        if (type == VKFD_SH_F16) {
            val[l] = f32_to_f16(fp_post(f16_to_f32(val[l]), omod, clamp,
                                        dx10));
        } else {
            memcpy(&f, &val[l], 4);
            f = fp_post(f, omod, clamp, dx10);
            memcpy(&val[l], &f, 4);
        }
    }
}

static void write_lanes32(uint32_t *d, const uint32_t *val, uint64_t m)
{
    int l;

    for (l = 0; l < LANES; l++) {
        if (m >> l & 1) {
            d[l] = val[l];
        }
    }
}

/* SDWA: the result placed by dst_sel, the other bits by dst_unused */
static uint32_t sdwa_place(uint32_t old, uint32_t v, unsigned sel,
                           unsigned unused)
{
    unsigned pos, len;
    uint32_t r;

    if (sel == VKFD_SH_SDWA_DWORD) {
        return v;
    }
    if (sel <= VKFD_SH_SDWA_BYTE3) {
        pos = 8 * sel;
        len = 8;
    } else {
        pos = 16 * (sel - VKFD_SH_SDWA_WORD0);
        len = 16;
    }
    switch (unused) {
    case VKFD_SH_SDWA_UNUSED_PRESERVE:
        return deposit32(old, pos, len, v);
    case VKFD_SH_SDWA_UNUSED_SEXT:
        r = deposit32(0, pos, len, v);
        if (v >> (len - 1) & 1 && pos + len < 32) {
            r |= ~0u << (pos + len);
        }
        return r;
    default:
        return deposit32(0, pos, len, v);
    }
}

void vkfd_sh_vdst32_mods(VkfdWave *w, const VkfdShInsn *in, uint32_t *val)
{
    uint64_t m = vkfd_sh_vlanes(w, in);
    uint32_t *d = w->v[in->dst.idx];
    unsigned type = in->op->dst;
    bool fp = (in->op->flags & (VKFD_SH_VF_CLAMP | VKFD_SH_VF_OMOD)) &&
              (type == VKFD_SH_F32 || type == VKFD_SH_F16);
    int l;

    switch (in->mods) {
    case VKFD_SH_MODS_VOP3:
        if (fp && (in->u.vop3.omod || in->u.vop3.clamp)) {
            fp_post32(w, type, in->u.vop3.omod, in->u.vop3.clamp, val);
        }
        if (type == VKFD_SH_F16 && (in->op->flags & VKFD_SH_VF_OPSEL)) {
            /* GFX9's op_sel ops keep the other half of the register */
            bool hi = in->u.vop3.opsel >> 3 & 1;

            for (l = 0; l < LANES; l++) {
                val[l] = hi ? (d[l] & 0xffff) | val[l] << 16
                            : (d[l] & 0xffff0000u) | (val[l] & 0xffff);
            }
        }
        break;
    case VKFD_SH_MODS_SDWA:
        if (fp && (in->u.sdwa.omod || in->u.sdwa.clamp)) {
            fp_post32(w, type, in->u.sdwa.omod, in->u.sdwa.clamp, val);
        }
        for (l = 0; l < LANES; l++) {
            val[l] = sdwa_place(d[l], val[l], in->u.sdwa.dst_sel,
                                in->u.sdwa.dst_unused);
        }
        break;
    default:
        break;
    }
    write_lanes32(d, val, m);
}

void vkfd_sh_vdst64_mods(VkfdWave *w, const VkfdShInsn *in, uint64_t *val)
{
    static const double omod_f[4] = { 1.0, 2.0, 4.0, 0.5 };
    uint64_t m = vkfd_sh_vlanes(w, in);
    uint32_t *lo = w->v[in->dst.idx], *hi = w->v[in->dst.idx + 1];
    bool dx10 = w->mode & VKFD_SH_MODE_DX10_CLAMP;
    int l;

    if (in->mods == VKFD_SH_MODS_VOP3 && in->op->dst == VKFD_SH_F64 &&
        (in->op->flags & (VKFD_SH_VF_CLAMP | VKFD_SH_VF_OMOD)) &&
        (in->u.vop3.omod || in->u.vop3.clamp)) {
        for (l = 0; l < LANES; l++) {
            double f;

            memcpy(&f, &val[l], 8);
            f *= omod_f[in->u.vop3.omod];
            if (in->u.vop3.clamp) {
                if (isnan(f)) {
                    f = dx10 ? 0.0 : f;
                } else {
                    f = f < 0.0 ? 0.0 : f > 1.0 ? 1.0 : f;
                }
            }
            memcpy(&val[l], &f, 8);
        }
    }
    for (l = 0; l < LANES; l++) {
        if (m >> l & 1) {
            lo[l] = val[l];
            hi[l] = val[l] >> 32;
        }
    }
}

/* ---- handlers ------------------------------------------------------ */

/*
 * Handlers compute all 64 lanes of a row in a loop the compiler
 * vectorises.  When no modifier applies, EXEC enables every lane and the
 * destination row is none of the source rows, the loop writes the
 * destination itself (valu_direct: its rows are then truly restrict);
 * otherwise it fills a local row that vkfd_sh_vdst32 writes, applying
 * EXEC and the modifiers.  x, y, z are lane values of src0..2.
 */
static inline uint32_t *valu_direct(VkfdWave *w, const VkfdShInsn *in,
                                    const uint32_t *a, const uint32_t *b,
                                    const uint32_t *c)
{
    uint32_t *d = w->v[in->dst.idx];

    if (in->mods == VKFD_SH_MODS_NONE &&
        vkfd_sh_exec_mask(w) == UINT64_MAX && d != a && d != b && d != c) {
        return d;
    }
    return NULL;
}

/* unroll the vectorised row loops: 16 lanes a turn */
#define VALU_UNROLL _Pragma("GCC unroll 4")

/* the destination row may be updated in place (it is also a source) */
static inline bool valu_inplace(VkfdWave *w, const VkfdShInsn *in)
{
    return in->mods == VKFD_SH_MODS_NONE &&
           vkfd_sh_exec_mask(w) == UINT64_MAX;
}

#define VALU_OP1(fn, expr)                                                  \
static void fn##_row(uint32_t *restrict r, const uint32_t *restrict a)     \
{                                                                           \
    int i;                                                                  \
                                                                            \
    VALU_UNROLL                                                             \
    for (i = 0; i < LANES; i++) {                                           \
        uint32_t x = a[i];                                                  \
        r[i] = (expr);                                                      \
    }                                                                       \
}                                                                           \
                                                                            \
static bool fn(VkfdWave *w, const VkfdShInsn *in)                          \
{                                                                           \
    uint32_t t0[LANES], r[LANES];                                           \
    const uint32_t *a = vkfd_sh_vsrc32(w, in, 0, t0);                       \
    uint32_t *d = valu_direct(w, in, a, NULL, NULL);                        \
                                                                            \
    fn##_row(d ? d : r, a);                                                 \
    if (!d) {                                                               \
        vkfd_sh_vdst32(w, in, r);                                           \
    }                                                                       \
    return true;                                                            \
}

/*
 * Two sources.  An SGPR or constant src0 (v_add_u32 v0, s6, v6) is a
 * scalar in the loop; when the destination is one of the sources
 * (v_add_u32 v2, s10, v2; v_xor_b32 v3, v3, v2) the row is updated in
 * place, each lane reading its own lane only.
 */
#define VALU_OP2(fn, expr)                                                  \
static void fn##_row(uint32_t *restrict r, const uint32_t *restrict a,     \
                     const uint32_t *restrict b)                           \
{                                                                           \
    int i;                                                                  \
                                                                            \
    VALU_UNROLL                                                             \
    for (i = 0; i < LANES; i++) {                                           \
        uint32_t x = a[i], y = b[i];                                        \
        r[i] = (expr);                                                      \
    }                                                                       \
}                                                                           \
                                                                            \
static void fn##_row_s(uint32_t *restrict r, uint32_t x,                   \
                       const uint32_t *restrict b)                         \
{                                                                           \
    int i;                                                                  \
                                                                            \
    VALU_UNROLL                                                             \
    for (i = 0; i < LANES; i++) {                                           \
        uint32_t y = b[i];                                                  \
        r[i] = (expr);                                                      \
    }                                                                       \
}                                                                           \
                                                                            \
static void fn##_row_si(uint32_t *r, uint32_t x)                            \
{                                                                           \
    int i;                                                                  \
                                                                            \
    VALU_UNROLL                                                             \
    for (i = 0; i < LANES; i++) {                                           \
        uint32_t y = r[i];                                                  \
        r[i] = (expr);                                                      \
    }                                                                       \
}                                                                           \
                                                                            \
static void fn##_row_ia(uint32_t *r, const uint32_t *restrict b)           \
{                                                                           \
    int i;                                                                  \
                                                                            \
    VALU_UNROLL                                                             \
    for (i = 0; i < LANES; i++) {                                           \
        uint32_t x = r[i], y = b[i];                                        \
        r[i] = (expr);                                                      \
    }                                                                       \
}                                                                           \
                                                                            \
static void fn##_row_ib(uint32_t *r, const uint32_t *restrict a)           \
{                                                                           \
    int i;                                                                  \
                                                                            \
    VALU_UNROLL                                                             \
    for (i = 0; i < LANES; i++) {                                           \
        uint32_t x = a[i], y = r[i];                                        \
        r[i] = (expr);                                                      \
    }                                                                       \
}                                                                           \
                                                                            \
static bool fn(VkfdWave *w, const VkfdShInsn *in)                          \
{                                                                           \
    uint32_t t0[LANES], t1[LANES], r[LANES];                                \
    const uint32_t *a, *b;                                                  \
    uint32_t *d;                                                            \
                                                                            \
    if (in->mods == VKFD_SH_MODS_NONE &&                                    \
        in->src[0].kind != VKFD_SH_OPD_VGPR) {                              \
        uint32_t x = vkfd_sh_s32(w, &in->src[0]);                           \
                                                                            \
        if (in->src[1].kind == VKFD_SH_OPD_VGPR &&                          \
            in->src[1].idx == in->dst.idx &&                                \
            vkfd_sh_exec_mask(w) == UINT64_MAX) {                           \
            fn##_row_si(w->v[in->dst.idx], x);                              \
            return true;                                                    \
        }                                                                   \
        b = vkfd_sh_vsrc32(w, in, 1, t1);                                   \
        d = valu_direct(w, in, b, NULL, NULL);                              \
        fn##_row_s(d ? d : r, x, b);                                        \
    } else {                                                                \
        a = vkfd_sh_vsrc32(w, in, 0, t0);                                   \
        b = vkfd_sh_vsrc32(w, in, 1, t1);                                   \
        d = valu_direct(w, in, a, b, NULL);                                 \
        if (!d && valu_inplace(w, in)) {                                    \
            d = w->v[in->dst.idx];                                          \
            if (d == a && d != b) {                                         \
                fn##_row_ia(d, b);                                          \
                return true;                                                \
            }                                                               \
            if (d == b && d != a) {                                         \
                fn##_row_ib(d, a);                                          \
                return true;                                                \
            }                                                               \
            d = NULL;                                                       \
        }                                                                   \
        fn##_row(d ? d : r, a, b);                                          \
    }                                                                       \
    if (!d) {                                                               \
        vkfd_sh_vdst32(w, in, r);                                           \
    }                                                                       \
    return true;                                                            \
}

#define VALU_OP3(fn, expr)                                                  \
static void fn##_row(uint32_t *restrict r, const uint32_t *restrict a,     \
                     const uint32_t *restrict b, const uint32_t *restrict c) \
{                                                                           \
    int i;                                                                  \
                                                                            \
    VALU_UNROLL                                                             \
    for (i = 0; i < LANES; i++) {                                           \
        uint32_t x = a[i], y = b[i], z = c[i];                              \
        r[i] = (expr);                                                      \
    }                                                                       \
}                                                                           \
                                                                            \
static bool fn(VkfdWave *w, const VkfdShInsn *in)                          \
{                                                                           \
    uint32_t t0[LANES], t1[LANES], t2[LANES], r[LANES];                     \
    const uint32_t *a = vkfd_sh_vsrc32(w, in, 0, t0);                       \
    const uint32_t *b = vkfd_sh_vsrc32(w, in, 1, t1);                       \
    const uint32_t *c = vkfd_sh_vsrc32(w, in, 2, t2);                       \
    uint32_t *d = valu_direct(w, in, a, b, c);                              \
                                                                            \
    fn##_row(d ? d : r, a, b, c);                                           \
    if (!d) {                                                               \
        vkfd_sh_vdst32(w, in, r);                                           \
    }                                                                       \
    return true;                                                            \
}

/*
 * Ops whose clamp saturates: the wrapping result, or with clamp the
 * saturated one (sat), which only VOP3/SDWA forms can ask for.
 */
#define VALU_OP2_SAT(fn, expr, sat)                                         \
VALU_OP2(fn##_wrap, expr)                                                   \
VALU_OP2(fn##_sat, sat)                                                     \
                                                                            \
static bool fn(VkfdWave *w, const VkfdShInsn *in)                          \
{                                                                           \
    if (unlikely(vkfd_sh_valu_clamp(in))) {                                 \
        return fn##_sat(w, in);                                             \
    }                                                                       \
    return fn##_wrap(w, in);                                                \
}

/*
 * Shifts of src1 by src0: a shift count from an SGPR or a constant is
 * the same in every lane, and a loop shifting by one count vectorises
 * (x86 has no per-lane shift before AVX2).
 */
#define VALU_SHIFT(fn, f)                                                   \
VALU_OP2(fn##_lanes, f(y, x & 31))                                          \
                                                                            \
static void fn##_row1(uint32_t *restrict r, const uint32_t *restrict b,    \
                      unsigned n)                                           \
{                                                                           \
    int i;                                                                  \
                                                                            \
    VALU_UNROLL                                                             \
    for (i = 0; i < LANES; i++) {                                           \
        r[i] = f(b[i], n);                                                  \
    }                                                                       \
}                                                                           \
                                                                            \
static bool fn(VkfdWave *w, const VkfdShInsn *in)                          \
{                                                                           \
    uint32_t t1[LANES];                                                     \
    const uint32_t *b;                                                      \
    uint32_t *d;                                                            \
                                                                            \
    if (in->src[0].kind == VKFD_SH_OPD_VGPR) {                              \
        return fn##_lanes(w, in);                                           \
    }                                                                       \
    b = vkfd_sh_vsrc32(w, in, 1, t1);                                       \
    d = valu_direct(w, in, b, NULL, NULL);                                  \
    if (!d) {                                                               \
        return fn##_lanes(w, in);                                           \
    }                                                                       \
    fn##_row1(d, b, vkfd_sh_s32(w, &in->src[0]) & 31);                      \
    return true;                                                            \
}

#define U24(v)  ((v) & 0xffffff)
#define I24(v)  ((int32_t)((v) << 8) >> 8)
#define U16(v)  ((v) & 0xffff)
#define I16(v)  ((int32_t)(int16_t)(v))

static inline uint32_t sat_u32(uint64_t v)
{
    return v > UINT32_MAX ? UINT32_MAX : v;
}

static inline uint32_t sat_i32(int64_t v)
{
    return v > INT32_MAX ? INT32_MAX : v < INT32_MIN ? INT32_MIN : v;
}

static inline uint32_t sat_u16(int32_t v)
{
    return v > 0xffff ? 0xffff : v < 0 ? 0 : v;
}

static inline uint32_t sat_i16(int32_t v)
{
    return (uint16_t)(v > INT16_MAX ? INT16_MAX : v < INT16_MIN ? INT16_MIN
                                                                : v);
}

static inline uint32_t min3_u(uint32_t a, uint32_t b, uint32_t c)
{
    return MIN(MIN(a, b), c);
}

static inline uint32_t max3_u(uint32_t a, uint32_t b, uint32_t c)
{
    return MAX(MAX(a, b), c);
}

static inline uint32_t med3_u(uint32_t a, uint32_t b, uint32_t c)
{
    return MAX(MIN(a, b), MIN(MAX(a, b), c));
}

static inline int32_t min3_i(int32_t a, int32_t b, int32_t c)
{
    return MIN(MIN(a, b), c);
}

static inline int32_t max3_i(int32_t a, int32_t b, int32_t c)
{
    return MAX(MAX(a, b), c);
}

static inline int32_t med3_i(int32_t a, int32_t b, int32_t c)
{
    return MAX(MIN(a, b), MIN(MAX(a, b), c));
}

/* v_ffbh_u32 / v_ffbl_b32 / v_ffbh_i32: -1 when no bit is found */
static inline uint32_t ffbh_u32(uint32_t x)
{
    return x ? clz32(x) : UINT32_MAX;
}

static inline uint32_t ffbl_b32(uint32_t x)
{
    return x ? ctz32(x) : UINT32_MAX;
}

static inline uint32_t ffbh_i32(uint32_t x)
{
    uint32_t y = x ^ (uint32_t)((int32_t)x >> 31);

    return y ? clz32(y) : UINT32_MAX;
}

static inline uint32_t bfe_u32(uint32_t x, uint32_t off, uint32_t width)
{
    width &= 31;
    return width ? (x >> (off & 31)) & ((1u << width) - 1) : 0;
}

static inline uint32_t bfe_i32(uint32_t x, uint32_t off, uint32_t width)
{
    int32_t v = (int32_t)x >> (off & 31);

    width &= 31;
    if (!width) {
        return 0;
    }
    return (uint32_t)((int32_t)((uint32_t)v << (32 - width)) >> (32 - width));
}

static inline uint32_t sad_u8(uint32_t x, uint32_t y)
{
    uint32_t s = 0;
    int k;

    for (k = 0; k < 32; k += 8) {
        int d = (int)extract32(x, k, 8) - (int)extract32(y, k, 8);

        s += d < 0 ? -d : d;
    }
    return s;
}

static inline uint32_t sad_u16(uint32_t x, uint32_t y)
{
    int d0 = (int)U16(x) - (int)U16(y), d1 = (int)(x >> 16) - (int)(y >> 16);

    return (d0 < 0 ? -d0 : d0) + (d1 < 0 ? -d1 : d1);
}

/* v_perm_b32: each result byte picked from {x, y} (y low) by z's byte */
static inline uint32_t perm_b32(uint32_t x, uint32_t y, uint32_t z)
{
    uint64_t in = (uint64_t)x << 32 | y;
    uint32_t r = 0;
    int k;

    for (k = 0; k < 4; k++) {
        unsigned sel = extract32(z, 8 * k, 8);
        uint32_t b;

        if (sel < 8) {
            b = extract64(in, 8 * sel, 8);
        } else if (sel < 12) {
            b = extract64(in, 16 * (sel - 8) + 15, 1) ? 0xff : 0;
        } else if (sel == 12) {
            b = 0;
        } else {
            b = 0xff;
        }
        r |= b << (8 * k);
    }
    return r;
}

/* v_sat_pk_u8_i16: two signed 16-bit halves to unsigned bytes */
static inline uint32_t sat_pk_u8_i16(uint32_t x)
{
    int32_t lo = I16(x), hi = I16(x >> 16);

    lo = lo < 0 ? 0 : lo > 255 ? 255 : lo;
    hi = hi < 0 ? 0 : hi > 255 ? 255 : hi;
    return hi << 8 | lo;
}

/* shifts by a count already masked to the width */
static inline uint32_t shl32(uint32_t v, unsigned n)
{
    return v << n;
}

static inline uint32_t shr32(uint32_t v, unsigned n)
{
    return v >> n;
}

static inline uint32_t sar32(uint32_t v, unsigned n)
{
    return (uint32_t)((int32_t)v >> n);
}

static inline uint64_t shl64(uint64_t v, unsigned n)
{
    return v << n;
}

static inline uint64_t shr64(uint64_t v, unsigned n)
{
    return v >> n;
}

static inline uint64_t sar64(uint64_t v, unsigned n)
{
    return (uint64_t)((int64_t)v >> n);
}

static inline uint32_t ashr16(uint32_t v, uint32_t n)
{
    return (uint16_t)(I16(v) >> (n & 15));
}

/* VOP1 */
VALU_OP1(valu_mov_b32_lanes, x)

/* v_mov_b32: a row copy or a broadcast when nothing else applies */
static bool valu_mov_b32(VkfdWave *w, const VkfdShInsn *in)
{
    uint32_t *d = w->v[in->dst.idx], x;
    int i;

    if (in->mods != VKFD_SH_MODS_NONE ||
        vkfd_sh_exec_mask(w) != UINT64_MAX) {
        return valu_mov_b32_lanes(w, in);
    }
    if (in->src[0].kind == VKFD_SH_OPD_VGPR) {
        memmove(d, w->v[in->src[0].idx], LANES * sizeof(*d));
        return true;
    }
    x = vkfd_sh_s32(w, &in->src[0]);
    VALU_UNROLL
    for (i = 0; i < LANES; i++) {
        d[i] = x;
    }
    return true;
}
VALU_OP1(valu_not_b32, ~x)
VALU_OP1(valu_bfrev_b32, revbit32(x))
VALU_OP1(valu_ffbh_u32, ffbh_u32(x))
VALU_OP1(valu_ffbl_b32, ffbl_b32(x))
VALU_OP1(valu_ffbh_i32, ffbh_i32(x))
VALU_OP1(valu_sat_pk_u8_i16, sat_pk_u8_i16(x))

/* VOP2 */
VALU_OP2(valu_mul_i32_i24, (uint32_t)I24(x) * (uint32_t)I24(y))
VALU_OP2(valu_mul_hi_i32_i24, (uint32_t)(((int64_t)I24(x) * I24(y)) >> 32))
VALU_OP2(valu_mul_u32_u24, U24(x) * U24(y))
VALU_OP2(valu_mul_hi_u32_u24, (uint32_t)(((uint64_t)U24(x) * U24(y)) >> 32))
VALU_OP2(valu_min_i32, MIN((int32_t)x, (int32_t)y))
VALU_OP2(valu_max_i32, MAX((int32_t)x, (int32_t)y))
VALU_OP2(valu_min_u32, MIN(x, y))
VALU_OP2(valu_max_u32, MAX(x, y))
VALU_SHIFT(valu_lshrrev_b32, shr32)
VALU_SHIFT(valu_ashrrev_i32, sar32)
VALU_SHIFT(valu_lshlrev_b32, shl32)
VALU_OP2(valu_and_b32, x & y)
VALU_OP2(valu_or_b32, x | y)
VALU_OP2(valu_xor_b32, x ^ y)
VALU_OP2(valu_xnor_b32, ~(x ^ y))
VALU_OP2_SAT(valu_add_u32, x + y, sat_u32((uint64_t)x + y))
VALU_OP2_SAT(valu_sub_u32, x - y, x < y ? 0 : x - y)
VALU_OP2_SAT(valu_subrev_u32, y - x, y < x ? 0 : y - x)
VALU_OP2_SAT(valu_add_u16, U16(x + y), sat_u16(U16(x) + U16(y)))
VALU_OP2_SAT(valu_sub_u16, U16(x - y),
             sat_u16((int32_t)U16(x) - (int32_t)U16(y)))
VALU_OP2_SAT(valu_subrev_u16, U16(y - x),
             sat_u16((int32_t)U16(y) - (int32_t)U16(x)))
VALU_OP2(valu_mul_lo_u16, U16(x * y))
VALU_OP2(valu_lshlrev_b16, U16(y << (x & 15)))
VALU_OP2(valu_lshrrev_b16, U16(y) >> (x & 15))
VALU_OP2(valu_ashrrev_i16, ashr16(y, x))
VALU_OP2(valu_max_u16, MAX(U16(x), U16(y)))
VALU_OP2(valu_max_i16, (uint16_t)MAX(I16(x), I16(y)))
VALU_OP2(valu_min_u16, MIN(U16(x), U16(y)))
VALU_OP2(valu_min_i16, (uint16_t)MIN(I16(x), I16(y)))

/* VOP3-only, two sources */
VALU_OP2(valu_mul_lo_u32, x * y)
VALU_OP2(valu_mul_hi_u32, (uint32_t)(((uint64_t)x * y) >> 32))
VALU_OP2(valu_mul_hi_i32, (uint32_t)(((int64_t)(int32_t)x * (int32_t)y) >> 32))
VALU_OP2(valu_bcnt_u32_b32, ctpop32(x) + y)
VALU_OP2(valu_bfm_b32, ((1u << (x & 31)) - 1) << (y & 31))
VALU_OP2_SAT(valu_add_i32, x + y, sat_i32((int64_t)(int32_t)x + (int32_t)y))
VALU_OP2_SAT(valu_sub_i32, x - y, sat_i32((int64_t)(int32_t)x - (int32_t)y))
VALU_OP2_SAT(valu_add_i16, U16(x + y), sat_i16(I16(x) + I16(y)))
VALU_OP2_SAT(valu_sub_i16, U16(x - y), sat_i16(I16(x) - I16(y)))
VALU_OP2(valu_pack_b32_f16, U16(x) | y << 16)

/* VOP3-only, three sources */
VALU_OP3(valu_mad_i32_i24, (uint32_t)I24(x) * (uint32_t)I24(y) + z)
VALU_OP3(valu_mad_u32_u24, U24(x) * U24(y) + z)
VALU_OP3(valu_bfe_u32, bfe_u32(x, y, z))
VALU_OP3(valu_bfe_i32, bfe_i32(x, y, z))
VALU_OP3(valu_bfi_b32, (x & y) | (~x & z))
VALU_OP3(valu_alignbit_b32, (uint32_t)(((uint64_t)x << 32 | y) >> (z & 31)))
VALU_OP3(valu_alignbyte_b32,
         (uint32_t)(((uint64_t)x << 32 | y) >> (8 * (z & 3))))
VALU_OP3(valu_min3_i32, min3_i(x, y, z))
VALU_OP3(valu_min3_u32, min3_u(x, y, z))
VALU_OP3(valu_max3_i32, max3_i(x, y, z))
VALU_OP3(valu_max3_u32, max3_u(x, y, z))
VALU_OP3(valu_med3_i32, med3_i(x, y, z))
VALU_OP3(valu_med3_u32, med3_u(x, y, z))
VALU_OP3(valu_sad_u8, sad_u8(x, y) + z)
VALU_OP3(valu_sad_hi_u8, (sad_u8(x, y) << 16) + z)
VALU_OP3(valu_sad_u16, sad_u16(x, y) + z)
VALU_OP3(valu_sad_u32, (x > y ? x - y : y - x) + z)
VALU_OP3(valu_perm_b32, perm_b32(x, y, z))
VALU_OP3(valu_xad_u32, (x ^ y) + z)
VALU_OP3(valu_lshl_add_u32, (x << (y & 31)) + z)
VALU_OP3(valu_add_lshl_u32, (x + y) << (z & 31))
VALU_OP3(valu_add3_u32, x + y + z)
VALU_OP3(valu_lshl_or_b32, (x << (y & 31)) | z)
VALU_OP3(valu_and_or_b32, (x & y) | z)
VALU_OP3(valu_or3_b32, x | y | z)
VALU_OP3(valu_mad_u32_u16, U16(x) * U16(y) + z)
VALU_OP3(valu_mad_i32_i16, (uint32_t)(I16(x) * I16(y)) + z)
VALU_OP3(valu_min3_i16, (uint16_t)min3_i(I16(x), I16(y), I16(z)))
VALU_OP3(valu_min3_u16, min3_u(U16(x), U16(y), U16(z)))
VALU_OP3(valu_max3_i16, (uint16_t)max3_i(I16(x), I16(y), I16(z)))
VALU_OP3(valu_max3_u16, max3_u(U16(x), U16(y), U16(z)))
VALU_OP3(valu_med3_i16, (uint16_t)med3_i(I16(x), I16(y), I16(z)))
VALU_OP3(valu_med3_u16, med3_u(U16(x), U16(y), U16(z)))
VALU_OP3(valu_mad_u16, U16(x * y + z))
VALU_OP3(valu_mad_i16, U16(x * y + z))
VALU_OP3(valu_mad_u16_sat, MIN(U16(x) * U16(y) + U16(z), 0xffff))
VALU_OP3(valu_mad_i16_sat, sat_i16(I16(x) * I16(y) + I16(z)))
VALU_OP2(valu_cvt_pk_u16_u32, MIN(x, 0xffff) | MIN(y, 0xffff) << 16)
VALU_OP2(valu_cvt_pk_i16_i32, sat_i16((int32_t)x) | sat_i16((int32_t)y) << 16)

/* v_mad_(legacy_)u16/i16: with clamp, the sum saturates to 16 bits */
static bool valu_mad_u16_c(VkfdWave *w, const VkfdShInsn *in)
{
    return vkfd_sh_valu_clamp(in) ? valu_mad_u16_sat(w, in)
                                  : valu_mad_u16(w, in);
}

static bool valu_mad_i16_c(VkfdWave *w, const VkfdShInsn *in)
{
    return vkfd_sh_valu_clamp(in) ? valu_mad_i16_sat(w, in)
                                  : valu_mad_i16(w, in);
}

static bool valu_nop(VkfdWave *w, const VkfdShInsn *in)
{
    return true;
}

/* v_cndmask_b32: src1 where the lane's bit of src2 (VCC) is set */
static void cndmask_row(uint32_t *restrict r, const uint32_t *restrict a,
                        const uint32_t *restrict b,
                        const uint32_t *restrict m)
{
    int i;

    VALU_UNROLL
    for (i = 0; i < LANES; i++) {
        r[i] = (a[i] & (m[i] - 1)) | (b[i] & -m[i]);
    }
}

static bool valu_cndmask_b32(VkfdWave *w, const VkfdShInsn *in)
{
    uint32_t t0[LANES], t1[LANES], m[LANES], r[LANES];
    const uint32_t *a, *b;
    uint32_t *d, x, y;
    int i;

    valu_unpack32(vkfd_sh_vsrc_mask(w, in, 2), m);
    if (in->mods == VKFD_SH_MODS_NONE &&
        in->src[0].kind != VKFD_SH_OPD_VGPR &&
        in->src[1].kind != VKFD_SH_OPD_VGPR) {
        /* two scalars (v_cndmask_b32_e64 v0, 0, 1, vcc: a bool as 0/1) */
        x = vkfd_sh_s32(w, &in->src[0]);
        y = vkfd_sh_s32(w, &in->src[1]) ^ x;
        VALU_UNROLL
        for (i = 0; i < LANES; i++) {
            r[i] = x ^ (y & -m[i]);
        }
        vkfd_sh_vdst32(w, in, r);
        return true;
    }
    a = vkfd_sh_vsrc32(w, in, 0, t0);
    b = vkfd_sh_vsrc32(w, in, 1, t1);
    d = valu_direct(w, in, a, b, NULL);
    cndmask_row(d ? d : r, a, b, m);
    if (!d) {
        vkfd_sh_vdst32(w, in, r);
    }
    return true;
}

/*
 * Carry ops: r = x + y (+ carry in), the carry out of each lane to sdst;
 * sub: x - y (- borrow in), the borrow out; subrev: y - x.  The carry
 * (borrow) out is bit 31 of the full adder's (subtractor's) majority
 * function of x, y and the result: bitwise, so the loop vectorises, and
 * valu_pack_sign takes bit 31 of each lane.
 */
static void add_row(uint32_t *restrict r, uint32_t *restrict co,
                    const uint32_t *restrict a, const uint32_t *restrict b,
                    const uint32_t *restrict ci)
{
    int i;

    VALU_UNROLL
    for (i = 0; i < LANES; i++) {
        uint32_t x = a[i], y = b[i], v = x + y + ci[i];

        r[i] = v;
        co[i] = (x & y) | ((x | y) & ~v);
    }
}

static void sub_row(uint32_t *restrict r, uint32_t *restrict co,
                    const uint32_t *restrict a, const uint32_t *restrict b,
                    const uint32_t *restrict ci)
{
    int i;

    VALU_UNROLL
    for (i = 0; i < LANES; i++) {
        uint32_t x = a[i], y = b[i], v = x - y - ci[i];

        r[i] = v;
        co[i] = (~x & y) | ((~x | y) & v);
    }
}

/* the same with a scalar first operand (v_add_co_u32 v8, vcc, s0, v8) */
static void add_row_s(uint32_t *restrict r, uint32_t *restrict co,
                      uint32_t x, const uint32_t *restrict b,
                      const uint32_t *restrict ci)
{
    int i;

    VALU_UNROLL
    for (i = 0; i < LANES; i++) {
        uint32_t y = b[i], v = x + y + ci[i];

        r[i] = v;
        co[i] = (x & y) | ((x | y) & ~v);
    }
}

static void sub_row_s(uint32_t *restrict r, uint32_t *restrict co,
                      uint32_t x, const uint32_t *restrict b,
                      const uint32_t *restrict ci)
{
    int i;

    VALU_UNROLL
    for (i = 0; i < LANES; i++) {
        uint32_t y = b[i], v = x - y - ci[i];

        r[i] = v;
        co[i] = (~x & y) | ((~x | y) & v);
    }
}

/*
 * In place: the destination is b's row itself (v_add_co_u32 v8, vcc, s0,
 * v8), a another row or (_s) a scalar.
 */
#define CARRY_ROW_I(fn, xdecl, xarg, op, cout)                              \
static void fn(uint32_t *r, uint32_t *restrict co, xdecl,                   \
               const uint32_t *restrict ci)                                \
{                                                                           \
    int i;                                                                  \
                                                                            \
    VALU_UNROLL                                                             \
    for (i = 0; i < LANES; i++) {                                           \
        uint32_t x = (xarg), y = r[i], v = x op y op ci[i];                 \
                                                                            \
        r[i] = v;                                                           \
        co[i] = (cout);                                                     \
    }                                                                       \
}

#define ADD_CO  ((x & y) | ((x | y) & ~v))
#define SUB_CO  ((~x & y) | ((~x | y) & v))

CARRY_ROW_I(add_row_i, const uint32_t *restrict a, a[i], +, ADD_CO)
CARRY_ROW_I(sub_row_i, const uint32_t *restrict a, a[i], -, SUB_CO)
CARRY_ROW_I(add_row_is, uint32_t xs, xs, +, ADD_CO)
CARRY_ROW_I(sub_row_is, uint32_t xs, xs, -, SUB_CO)

static const uint32_t valu_zero_row[LANES];

/*
 * A carry op: a is src0 (src1 for the reversed ones), b the other;
 * ci the carry-in row or zeros.
 */
static bool valu_carry(VkfdWave *w, const VkfdShInsn *in, bool swap,
                       bool sub, bool cin)
{
    uint32_t t0[LANES], t1[LANES], r[LANES], ci_row[LANES], co[LANES];
    const VkfdShOpd *oa = &in->src[swap], *ob;
    const uint32_t *ci = valu_zero_row, *b;

    if (cin) {
        valu_unpack32(vkfd_sh_vsrc_mask(w, in, 2), ci_row);
        ci = ci_row;
    }
    ob = &in->src[!swap];
    if (in->mods == VKFD_SH_MODS_NONE && ob->kind == VKFD_SH_OPD_VGPR &&
        ob->idx == in->dst.idx && vkfd_sh_exec_mask(w) == UINT64_MAX &&
        !(oa->kind == VKFD_SH_OPD_VGPR && oa->idx == in->dst.idx)) {
        uint32_t *d = w->v[in->dst.idx];

        if (oa->kind == VKFD_SH_OPD_VGPR) {
            (sub ? sub_row_i : add_row_i)(d, co, w->v[oa->idx], ci);
        } else {
            (sub ? sub_row_is : add_row_is)(d, co, vkfd_sh_s32(w, oa), ci);
        }
        vkfd_sh_vset_mask(w, in, valu_pack_sign(co));
        return true;
    }
    b = vkfd_sh_vsrc32(w, in, !swap, t1);
    if (in->mods == VKFD_SH_MODS_NONE && oa->kind != VKFD_SH_OPD_VGPR) {
        if (sub) {
            sub_row_s(r, co, vkfd_sh_s32(w, oa), b, ci);
        } else {
            add_row_s(r, co, vkfd_sh_s32(w, oa), b, ci);
        }
    } else if (sub) {
        sub_row(r, co, vkfd_sh_vsrc32(w, in, swap, t0), b, ci);
    } else {
        add_row(r, co, vkfd_sh_vsrc32(w, in, swap, t0), b, ci);
    }
    vkfd_sh_vdst32(w, in, r);
    vkfd_sh_vset_mask(w, in, valu_pack_sign(co));
    return true;
}

#define VALU_CARRY(fn, swap, sub, cin)                                      \
static bool fn(VkfdWave *w, const VkfdShInsn *in)                          \
{                                                                           \
    return valu_carry(w, in, swap, sub, cin);                               \
}

VALU_CARRY(valu_add_co_u32, 0, false, false)
VALU_CARRY(valu_sub_co_u32, 0, true, false)
VALU_CARRY(valu_subrev_co_u32, 1, true, false)
VALU_CARRY(valu_addc_co_u32, 0, false, true)
VALU_CARRY(valu_subb_co_u32, 0, true, true)
VALU_CARRY(valu_subbrev_co_u32, 1, true, true)

/*
 * 64-bit shifts: src1 (64-bit) by src0.  A count from an SGPR or a
 * constant is one for all lanes: the two halves are then shifted as
 * 32-bit rows (vectorised), without assembling 64-bit lanes.
 */
static void shift64_rows(uint32_t *restrict rl, uint32_t *restrict rh,
                         const uint32_t *restrict lo,
                         const uint32_t *restrict hi, unsigned n, int kind)
{
    int i;

    n &= 63;
    if (n == 0) {
        memcpy(rl, lo, LANES * 4);
        memcpy(rh, hi, LANES * 4);
    } else if (kind == 0 && n < 32) {                   /* << */
        VALU_UNROLL
        for (i = 0; i < LANES; i++) {
            rh[i] = hi[i] << n | lo[i] >> (32 - n);
            rl[i] = lo[i] << n;
        }
    } else if (kind == 0) {
        VALU_UNROLL
        for (i = 0; i < LANES; i++) {
            rh[i] = lo[i] << (n - 32);
            rl[i] = 0;
        }
    } else if (n < 32) {                                /* >>, arith >> */
        VALU_UNROLL
        for (i = 0; i < LANES; i++) {
            rl[i] = lo[i] >> n | hi[i] << (32 - n);
            rh[i] = kind == 2 ? sar32(hi[i], n) : hi[i] >> n;
        }
    } else {
        VALU_UNROLL
        for (i = 0; i < LANES; i++) {
            rl[i] = kind == 2 ? sar32(hi[i], n - 32) : hi[i] >> (n - 32);
            rh[i] = kind == 2 ? sar32(hi[i], 31) : 0;
        }
    }
}

/* Write two result rows (a 64-bit destination) under EXEC */
static void valu_set_rows64(VkfdWave *w, const VkfdShInsn *in,
                            const uint32_t *rl, const uint32_t *rh)
{
    VkfdShOpd lo = in->dst, hi = in->dst;

    hi.idx++;
    vkfd_sh_set_v32(w, &lo, rl);
    vkfd_sh_set_v32(w, &hi, rh);
}

#define VALU_SHIFT64(fn, f, how)                                            \
static bool fn(VkfdWave *w, const VkfdShInsn *in)                          \
{                                                                           \
    uint32_t t0[LANES], rl[LANES], rh[LANES];                               \
    uint64_t b[LANES], r[LANES];                                            \
    const uint32_t *a;                                                      \
    int i;                                                                  \
                                                                            \
    if (in->mods == VKFD_SH_MODS_NONE &&                                    \
        in->src[0].kind != VKFD_SH_OPD_VGPR &&                              \
        in->src[1].kind == VKFD_SH_OPD_VGPR) {                              \
        shift64_rows(rl, rh, w->v[in->src[1].idx], w->v[in->src[1].idx + 1], \
                     vkfd_sh_s32(w, &in->src[0]), how);                     \
        valu_set_rows64(w, in, rl, rh);                                     \
        return true;                                                        \
    }                                                                       \
    vkfd_sh_vsrc64(w, in, 1, b);                                            \
    a = vkfd_sh_vsrc32(w, in, 0, t0);                                       \
    for (i = 0; i < LANES; i++) {                                           \
        r[i] = f(b[i], a[i] & 63);                                          \
    }                                                                       \
    vkfd_sh_vdst64(w, in, r);                                               \
    return true;                                                            \
}

VALU_SHIFT64(valu_lshlrev_b64, shl64, 0)
VALU_SHIFT64(valu_lshrrev_b64, shr64, 1)
VALU_SHIFT64(valu_ashrrev_i64, sar64, 2)

/*
 * v_mad_u64_u32 / v_mad_i64_i32: {sdst bit, dst} = src0 * src1 + src2,
 * the lane's sdst bit being bit 64 of the exact (sign-extended) result.
 */
static void mad_u64_row(uint32_t *restrict rl, uint32_t *restrict rh,
                        uint32_t *restrict co, const uint32_t *restrict a,
                        const uint32_t *restrict b,
                        const uint32_t *restrict cl,
                        const uint32_t *restrict ch)
{
    int i;

    /* 32-bit halves and majority carries: only the product is 64-bit */
    for (i = 0; i < LANES; i++) {
        uint64_t p = (uint64_t)a[i] * b[i];
        uint32_t pl = p, ph = p >> 32, l = pl + cl[i], h;

        h = ph + ch[i] + (((pl & cl[i]) | ((pl | cl[i]) & ~l)) >> 31);
        rl[i] = l;
        rh[i] = h;
        co[i] = (ph & ch[i]) | ((ph | ch[i]) & ~h);
    }
}

static void mad_i64_row(uint32_t *restrict rl, uint32_t *restrict rh,
                        uint32_t *restrict co, const uint32_t *restrict a,
                        const uint32_t *restrict b,
                        const uint32_t *restrict cl,
                        const uint32_t *restrict ch)
{
    int i;

    for (i = 0; i < LANES; i++) {
        int64_t c = (int64_t)(cl[i] | (uint64_t)ch[i] << 32);
        int64_t p = (int64_t)(int32_t)a[i] * (int32_t)b[i];
        int64_t s = (int64_t)((uint64_t)p + (uint64_t)c);
        bool ovf = ((p ^ s) & (c ^ s)) < 0;

        rl[i] = s;
        rh[i] = (uint64_t)s >> 32;
        co[i] = -(uint32_t)(ovf ? s >= 0 : s < 0);
    }
}

/*
 * v_mad_u64_u32 / v_mad_i64_i32: {sdst bit, dst} = src0 * src1 + src2,
 * the lane's sdst bit being bit 64 of the exact (sign-extended) result.
 */
static bool valu_mad_64_32(VkfdWave *w, const VkfdShInsn *in, bool sgn)
{
    uint32_t t0[LANES], t1[LANES], cl[LANES], ch[LANES];
    uint32_t rl[LANES], rh[LANES], co[LANES];
    const uint32_t *a = vkfd_sh_vsrc32(w, in, 0, t0);
    const uint32_t *b = vkfd_sh_vsrc32(w, in, 1, t1);
    const uint32_t *pl = cl, *ph = ch;
    uint64_t c[LANES];
    int i;

    if (in->mods == VKFD_SH_MODS_NONE &&
        in->src[2].kind == VKFD_SH_OPD_VGPR) {
        pl = w->v[in->src[2].idx];
        ph = w->v[in->src[2].idx + 1];
    } else {
        vkfd_sh_vsrc64(w, in, 2, c);
        for (i = 0; i < LANES; i++) {
            cl[i] = c[i];
            ch[i] = c[i] >> 32;
        }
    }
    if (sgn) {
        mad_i64_row(rl, rh, co, a, b, pl, ph);
    } else {
        mad_u64_row(rl, rh, co, a, b, pl, ph);
    }
    if (in->mods == VKFD_SH_MODS_NONE) {
        valu_set_rows64(w, in, rl, rh);
    } else {
        for (i = 0; i < LANES; i++) {
            c[i] = rl[i] | (uint64_t)rh[i] << 32;
        }
        vkfd_sh_vdst64(w, in, c);
    }
    vkfd_sh_vset_mask(w, in, valu_pack_sign(co));
    return true;
}

static bool valu_mad_u64_u32(VkfdWave *w, const VkfdShInsn *in)
{
    return valu_mad_64_32(w, in, false);
}

static bool valu_mad_i64_i32(VkfdWave *w, const VkfdShInsn *in)
{
    return valu_mad_64_32(w, in, true);
}

/*
 * v_mbcnt_lo/hi: bits of src0 set below this lane (in its half) + src1;
 * a running count when src0 is the same for all lanes (it nearly always
 * is: -1 or EXEC, for the lane's index among the active ones).
 */
static bool valu_mbcnt(VkfdWave *w, const VkfdShInsn *in, int base)
{
    uint32_t t0[LANES], t1[LANES], r[LANES];
    const uint32_t *a = vkfd_sh_vsrc32(w, in, 0, t0);
    const uint32_t *b = vkfd_sh_vsrc32(w, in, 1, t1);
    uint32_t m, n = 0;
    int i;

    if (in->mods == VKFD_SH_MODS_NONE &&
        in->src[0].kind != VKFD_SH_OPD_VGPR) {
        m = a[0];
        for (i = 0; i < LANES; i++) {
            r[i] = n + b[i];
            if (i >= base && i < base + 32) {
                n += m >> (i - base) & 1;
            }
        }
    } else {
        for (i = 0; i < LANES; i++) {
            n = MIN(MAX(i - base, 0), 32);
            r[i] = ctpop32(n == 32 ? a[i] : a[i] & ((1u << n) - 1)) + b[i];
        }
    }
    vkfd_sh_vdst32(w, in, r);
    return true;
}

static bool valu_mbcnt_lo_u32_b32(VkfdWave *w, const VkfdShInsn *in)
{
    return valu_mbcnt(w, in, 0);
}

static bool valu_mbcnt_hi_u32_b32(VkfdWave *w, const VkfdShInsn *in)
{
    return valu_mbcnt(w, in, 32);
}

/* v_readfirstlane_b32: the first lane EXEC enables (lane 0 if none) */
static bool valu_readfirstlane_b32(VkfdWave *w, const VkfdShInsn *in)
{
    uint32_t t0[LANES];
    const uint32_t *a = vkfd_sh_vsrc32(w, in, 0, t0);
    uint64_t exec = vkfd_sh_exec_mask(w);

    vkfd_sh_set_s32(w, &in->dst, a[exec ? ctz64(exec) : 0]);
    return true;
}

/* v_readlane_b32 / v_writelane_b32: one lane (src1 & 63), EXEC ignored */
static bool valu_readlane_b32(VkfdWave *w, const VkfdShInsn *in)
{
    unsigned lane = vkfd_sh_s32(w, &in->src[1]) & (LANES - 1);

    vkfd_sh_set_s32(w, &in->dst, w->v[in->src[0].idx][lane]);
    return true;
}

static bool valu_writelane_b32(VkfdWave *w, const VkfdShInsn *in)
{
    unsigned lane = vkfd_sh_s32(w, &in->src[1]) & (LANES - 1);

    w->v[in->dst.idx][lane] = vkfd_sh_s32(w, &in->src[0]);
    return true;
}

/* v_swap_b32 vdst, vsrc0: both VGPRs (the decoder made sure) */
static bool valu_swap_b32(VkfdWave *w, const VkfdShInsn *in)
{
    uint32_t *a = w->v[in->src[0].idx], *d = w->v[in->dst.idx];
    uint64_t exec = vkfd_sh_exec_mask(w);
    int i;

    for (i = 0; i < LANES; i++) {
        if (exec >> i & 1) {
            uint32_t t = a[i];

            a[i] = d[i];
            d[i] = t;
        }
    }
    return true;
}

/* v_pk_mov_b32: dst.lo = src0's dword op_sel[0], dst.hi = src1's op_sel[1] */
static bool valu_pk_mov_b32(VkfdWave *w, const VkfdShInsn *in)
{
    uint64_t a[LANES], b[LANES], r[LANES];
    unsigned sa = (in->u.vop3.opsel & 1) * 32;
    unsigned sb = (in->u.vop3.opsel >> 1 & 1) * 32;
    int i;

    vkfd_sh_v64(w, &in->src[0], a);
    vkfd_sh_v64(w, &in->src[1], b);
    for (i = 0; i < LANES; i++) {
        r[i] = (uint32_t)(a[i] >> sa) | (b[i] >> sb) << 32;
    }
    vkfd_sh_set_v64(w, &in->dst, r);
    return true;
}

/* Packed 16-bit integer ops: both halves through the same expression */
#define VALU_PK2(fn, expr, sat)                                             \
static bool fn(VkfdWave *w, const VkfdShInsn *in)                          \
{                                                                           \
    uint32_t a[LANES], b[LANES], r[LANES];                                  \
    bool clamp = vkfd_sh_valu_clamp(in);                                    \
    int i, h;                                                               \
                                                                            \
    vkfd_sh_vsrc_pk16(w, in, 0, a);                                         \
    vkfd_sh_vsrc_pk16(w, in, 1, b);                                         \
    for (i = 0; i < LANES; i++) {                                           \
        r[i] = 0;                                                           \
        for (h = 0; h < 32; h += 16) {                                      \
            uint32_t x = U16(a[i] >> h), y = U16(b[i] >> h);                \
            r[i] |= U16(clamp ? (sat) : (expr)) << h;                       \
        }                                                                   \
    }                                                                       \
    vkfd_sh_vdst32(w, in, r);                                               \
    return true;                                                            \
}

#define VALU_PK3(fn, expr)                                                  \
static bool fn(VkfdWave *w, const VkfdShInsn *in)                          \
{                                                                           \
    uint32_t a[LANES], b[LANES], c[LANES], r[LANES];                        \
    int i, h;                                                               \
                                                                            \
    vkfd_sh_vsrc_pk16(w, in, 0, a);                                         \
    vkfd_sh_vsrc_pk16(w, in, 1, b);                                         \
    vkfd_sh_vsrc_pk16(w, in, 2, c);                                         \
    for (i = 0; i < LANES; i++) {                                           \
        r[i] = 0;                                                           \
        for (h = 0; h < 32; h += 16) {                                      \
            uint32_t x = U16(a[i] >> h), y = U16(b[i] >> h);                \
            uint32_t z = U16(c[i] >> h);                                    \
            r[i] |= U16(expr) << h;                                         \
        }                                                                   \
    }                                                                       \
    vkfd_sh_vdst32(w, in, r);                                               \
    return true;                                                            \
}

VALU_PK3(valu_pk_mad_i16, x * y + z)
VALU_PK3(valu_pk_mad_u16, x * y + z)
VALU_PK2(valu_pk_mul_lo_u16, x * y, x * y)
VALU_PK2(valu_pk_add_i16, x + y, sat_i16(I16(x) + I16(y)))
VALU_PK2(valu_pk_sub_i16, x - y, sat_i16(I16(x) - I16(y)))
VALU_PK2(valu_pk_lshlrev_b16, y << (x & 15), y << (x & 15))
VALU_PK2(valu_pk_lshrrev_b16, y >> (x & 15), y >> (x & 15))
VALU_PK2(valu_pk_ashrrev_i16, ashr16(y, x), ashr16(y, x))
VALU_PK2(valu_pk_max_i16, MAX(I16(x), I16(y)), MAX(I16(x), I16(y)))
VALU_PK2(valu_pk_min_i16, MIN(I16(x), I16(y)), MIN(I16(x), I16(y)))
VALU_PK2(valu_pk_add_u16, x + y, sat_u16(x + y))
VALU_PK2(valu_pk_sub_u16, x - y, sat_u16((int32_t)x - (int32_t)y))
VALU_PK2(valu_pk_max_u16, MAX(x, y), MAX(x, y))
VALU_PK2(valu_pk_min_u16, MIN(x, y), MIN(x, y))

/*
 * Integer dot products (gfx90a's DL ops): the products of the 16-bit,
 * 8-bit or 4-bit fields of src0 and src1 added to src2; with clamp the
 * sum saturates.  v_dot2 reads its halves as op_sel/op_sel_hi pick them
 * (VOP3P); the VOP2 "c" forms accumulate into their destination.
 */
static inline int64_t dot_fields(uint32_t x, uint32_t y, unsigned bits,
                                 bool sgn)
{
    int64_t sum = 0;
    unsigned k;

    for (k = 0; k < 32; k += bits) {
        if (sgn) {
            sum += (int64_t)sextract32(x, k, bits) * sextract32(y, k, bits);
        } else {
            sum += (int64_t)extract32(x, k, bits) * extract32(y, k, bits);
        }
    }
    return sum;
}

static bool valu_dot(VkfdWave *w, const VkfdShInsn *in, unsigned bits,
                     bool sgn)
{
    uint32_t t0[LANES], t1[LANES], t2[LANES], r[LANES];
    const uint32_t *a, *b, *c = vkfd_sh_vsrc32(w, in, 2, t2);
    bool clamp = vkfd_sh_valu_clamp(in);
    int64_t v;
    int i;

    if (in->mods == VKFD_SH_MODS_VOP3P && bits == 16) {
        vkfd_sh_vsrc_pk16(w, in, 0, t0);
        vkfd_sh_vsrc_pk16(w, in, 1, t1);
        a = t0;
        b = t1;
    } else {
        a = vkfd_sh_vsrc32(w, in, 0, t0);
        b = vkfd_sh_vsrc32(w, in, 1, t1);
    }
    for (i = 0; i < LANES; i++) {
        v = dot_fields(a[i], b[i], bits, sgn) +
            (sgn ? (int64_t)(int32_t)c[i] : (int64_t)c[i]);
        if (clamp) {
            v = sgn ? MIN(MAX(v, INT32_MIN), INT32_MAX) : MIN(v, UINT32_MAX);
        }
        r[i] = v;
    }
    vkfd_sh_vdst32(w, in, r);
    return true;
}

#define VALU_DOT(fn, bits, sgn)                                             \
static bool fn(VkfdWave *w, const VkfdShInsn *in)                          \
{                                                                           \
    return valu_dot(w, in, bits, sgn);                                      \
}

VALU_DOT(valu_dot2_i32_i16, 16, true)
VALU_DOT(valu_dot2_u32_u16, 16, false)
VALU_DOT(valu_dot4_i32_i8, 8, true)
VALU_DOT(valu_dot4_u32_u8, 8, false)
VALU_DOT(valu_dot8_i32_i4, 4, true)
VALU_DOT(valu_dot8_u32_u4, 4, false)

/*
 * Integer compares: one handler per type and condition, shared by
 * v_cmp_* and v_cmpx_* (VKFD_SH_VF_CMPX makes vkfd_sh_vset_mask write
 * EXEC too).  Conditions in the ISA's order: f lt eq le gt ne ge t.
 */
#define CMP_F(x, y)     ((void)(x), (void)(y), 0)
#define CMP_LT(x, y)    ((x) < (y))
#define CMP_EQ(x, y)    ((x) == (y))
#define CMP_LE(x, y)    ((x) <= (y))
#define CMP_GT(x, y)    ((x) > (y))
#define CMP_NE(x, y)    ((x) != (y))
#define CMP_GE(x, y)    ((x) >= (y))
#define CMP_T(x, y)     ((void)(x), (void)(y), 1)

#define VALU_CMP32(fn, ctype, cond)                                         \
static bool fn(VkfdWave *w, const VkfdShInsn *in)                          \
{                                                                           \
    uint32_t t0[LANES], t1[LANES], c[LANES];                                \
    const uint32_t *a, *b = vkfd_sh_vsrc32(w, in, 1, t1);                   \
    ctype x;                                                                \
    int i;                                                                  \
                                                                            \
    if (in->mods == VKFD_SH_MODS_NONE &&                                    \
        in->src[0].kind != VKFD_SH_OPD_VGPR) {                              \
        /* v_cmp_gt_u32 vcc, s10, v0: a scalar in the loop */               \
        x = (ctype)vkfd_sh_s32(w, &in->src[0]);                             \
        VALU_UNROLL                                                         \
        for (i = 0; i < LANES; i++) {                                       \
            c[i] = -(uint32_t)cond(x, (ctype)b[i]);                         \
        }                                                                   \
    } else {                                                                \
        a = vkfd_sh_vsrc32(w, in, 0, t0);                                   \
        VALU_UNROLL                                                         \
        for (i = 0; i < LANES; i++) {                                       \
            c[i] = -(uint32_t)cond((ctype)a[i], (ctype)b[i]);               \
        }                                                                   \
    }                                                                       \
    vkfd_sh_vset_mask(w, in, valu_pack_sign(c));                            \
    return true;                                                            \
}

#define VALU_CMP64(fn, ctype, cond)                                         \
static bool fn(VkfdWave *w, const VkfdShInsn *in)                          \
{                                                                           \
    uint64_t a[LANES], b[LANES];                                            \
    uint8_t c[LANES];                                                       \
    int i;                                                                  \
                                                                            \
    vkfd_sh_vsrc64(w, in, 0, a);                                            \
    vkfd_sh_vsrc64(w, in, 1, b);                                            \
    for (i = 0; i < LANES; i++) {                                           \
        c[i] = cond((ctype)a[i], (ctype)b[i]);                              \
    }                                                                       \
    vkfd_sh_vset_mask(w, in, valu_pack(c));                                 \
    return true;                                                            \
}

#define VALU_CMPS(W, t, ctype)                                              \
    VALU_CMP##W(valu_cmp_f_##t, ctype, CMP_F)                               \
    VALU_CMP##W(valu_cmp_lt_##t, ctype, CMP_LT)                             \
    VALU_CMP##W(valu_cmp_eq_##t, ctype, CMP_EQ)                             \
    VALU_CMP##W(valu_cmp_le_##t, ctype, CMP_LE)                             \
    VALU_CMP##W(valu_cmp_gt_##t, ctype, CMP_GT)                             \
    VALU_CMP##W(valu_cmp_ne_##t, ctype, CMP_NE)                             \
    VALU_CMP##W(valu_cmp_ge_##t, ctype, CMP_GE)                             \
    VALU_CMP##W(valu_cmp_t_##t, ctype, CMP_T)

VALU_CMPS(32, i16, int16_t)
VALU_CMPS(32, u16, uint16_t)
VALU_CMPS(32, i32, int32_t)
VALU_CMPS(32, u32, uint32_t)
VALU_CMPS(64, i64, int64_t)
VALU_CMPS(64, u64, uint64_t)

/* v_accvgpr_*: moves between the ArchVGPR and AccVGPR rows */
static bool valu_accvgpr_mov(VkfdWave *w, const VkfdShInsn *in)
{
    uint32_t t0[LANES];

    vkfd_sh_set_v32(w, &in->dst, vkfd_sh_v32(w, &in->src[0], t0));
    return true;
}

/* ---- tables -------------------------------------------------------- */

#define B32     VKFD_SH_B32
#define B64     VKFD_SH_B64
#define H16     VKFD_SH_F16
#define NO      VKFD_SH_NONE

#define OP(nm, fn, s0, s1, s2, d, fl) \
    { .name = nm, .exec = fn, .src = { s0, s1, s2 }, .dst = d, .flags = fl }

/* an op of one, two or three 32-bit sources and a 32-bit result */
#define OP1(nm, fl)     OP("v_" #nm, valu_##nm, B32, NO, NO, B32, fl)
#define OP2(nm, fl)     OP("v_" #nm, valu_##nm, B32, B32, NO, B32, fl)
#define OP3(nm, fl)     OP("v_" #nm, valu_##nm, B32, B32, B32, B32, fl)
/* 16-bit sources and result */
#define OP2H(nm, fl)    OP("v_" #nm, valu_##nm, H16, H16, NO, H16, fl)
#define OP3H(nm, fl)    OP("v_" #nm, valu_##nm, H16, H16, H16, H16, fl)

#define VF(f)   VKFD_SH_VF_##f

const VkfdShOp vkfd_sh_vop1_int[VKFD_SH_VOP1_OPS] = {
    [0x00] = OP("v_nop", valu_nop, NO, NO, NO, NO, VF(NO_EXT)),
    [0x01] = OP1(mov_b32, 0),
    [0x02] = OP("v_readfirstlane_b32", valu_readfirstlane_b32,
                B32, NO, NO, B32, VF(SDST) | VF(NO_EXT)),
    [0x2b] = OP1(not_b32, 0),
    [0x2c] = OP1(bfrev_b32, 0),
    [0x2d] = OP1(ffbh_u32, 0),
    [0x2e] = OP1(ffbl_b32, 0),
    [0x2f] = OP1(ffbh_i32, 0),
    [0x4f] = OP("v_sat_pk_u8_i16", valu_sat_pk_u8_i16, B32, NO, NO, H16, 0),
    [0x51] = OP("v_swap_b32", valu_swap_b32, B32, NO, NO, B32, VF(NO_EXT)),
    [0x52] = OP("v_accvgpr_mov_b32", valu_accvgpr_mov, B32, NO, NO, B32,
                VF(ACC_SRC0) | VF(ACC_DST) | VF(NO_EXT)),
};

#define OPCO(nm, fl) \
    OP("v_" #nm, valu_##nm, B32, B32, NO, B32, VF(SDST_MASK) | fl)
#define OPCI(nm)        OP("v_" #nm, valu_##nm, B32, B32, B64, B32, \
                           VF(SDST_MASK) | VF(CARRY_IN))

const VkfdShOp vkfd_sh_vop2_int[VKFD_SH_VOP2_OPS] = {
    [0x00] = OP("v_cndmask_b32", valu_cndmask_b32, B32, B32, B64, B32,
                VF(CARRY_IN) | VF(FMODS)),
    [0x06] = OP2(mul_i32_i24, 0),
    [0x07] = OP2(mul_hi_i32_i24, 0),
    [0x08] = OP2(mul_u32_u24, 0),
    [0x09] = OP2(mul_hi_u32_u24, 0),
    [0x0c] = OP2(min_i32, 0),
    [0x0d] = OP2(max_i32, 0),
    [0x0e] = OP2(min_u32, 0),
    [0x0f] = OP2(max_u32, 0),
    [0x10] = OP2(lshrrev_b32, 0),
    [0x11] = OP2(ashrrev_i32, 0),
    [0x12] = OP2(lshlrev_b32, 0),
    [0x13] = OP2(and_b32, 0),
    [0x14] = OP2(or_b32, 0),
    [0x15] = OP2(xor_b32, 0),
    [0x19] = OPCO(add_co_u32, 0),
    [0x1a] = OPCO(sub_co_u32, 0),
    [0x1b] = OPCO(subrev_co_u32, 0),
    [0x1c] = OPCI(addc_co_u32),
    [0x1d] = OPCI(subb_co_u32),
    [0x1e] = OPCI(subbrev_co_u32),
    [0x26] = OP2H(add_u16, VF(ICLAMP)),
    [0x27] = OP2H(sub_u16, VF(ICLAMP)),
    [0x28] = OP2H(subrev_u16, VF(ICLAMP)),
    [0x29] = OP2H(mul_lo_u16, 0),
    [0x2a] = OP2H(lshlrev_b16, 0),
    [0x2b] = OP2H(lshrrev_b16, 0),
    [0x2c] = OP2H(ashrrev_i16, 0),
    [0x2f] = OP2H(max_u16, 0),
    [0x30] = OP2H(max_i16, 0),
    [0x31] = OP2H(min_u16, 0),
    [0x32] = OP2H(min_i16, 0),
    [0x34] = OP2(add_u32, VF(ICLAMP)),
    [0x35] = OP2(sub_u32, VF(ICLAMP)),
    [0x36] = OP2(subrev_u32, VF(ICLAMP)),
    [0x38] = OP("v_dot2c_i32_i16", valu_dot2_i32_i16, B32, B32, B32, B32,
                VF(MAC) | VF(NO_EXT)),
    [0x39] = OP("v_dot4c_i32_i8", valu_dot4_i32_i8, B32, B32, B32, B32,
                VF(MAC) | VF(NO_EXT)),
    [0x3a] = OP("v_dot8c_i32_i4", valu_dot8_i32_i4, B32, B32, B32, B32,
                VF(MAC) | VF(NO_EXT)),
    [0x3d] = OP2(xnor_b32, 0),
};

#define CMP(nm, T) \
    OP("v_cmp_" #nm, valu_cmp_##nm, T, T, NO, NO, VF(SDST_MASK))
#define CMPX(nm, T) \
    OP("v_cmpx_" #nm, valu_cmp_##nm, T, T, NO, NO, VF(SDST_MASK) | VF(CMPX))

/*
 * Integer compares: v_cmp_{f,lt,eq,le,gt,ne,ge,t}_T at base + 0..7 and
 * v_cmpx_* at base + 0x10..0x17 for T = i16 0xa0, u16 0xa8, i32 0xc0,
 * u32 0xc8, i64 0xe0, u64 0xe8.
 */
const VkfdShOp vkfd_sh_vopc_int[VKFD_SH_VOPC_OPS] = {
    [0xa0] = CMP(f_i16, H16),
    [0xa1] = CMP(lt_i16, H16),
    [0xa2] = CMP(eq_i16, H16),
    [0xa3] = CMP(le_i16, H16),
    [0xa4] = CMP(gt_i16, H16),
    [0xa5] = CMP(ne_i16, H16),
    [0xa6] = CMP(ge_i16, H16),
    [0xa7] = CMP(t_i16, H16),
    [0xb0] = CMPX(f_i16, H16),
    [0xb1] = CMPX(lt_i16, H16),
    [0xb2] = CMPX(eq_i16, H16),
    [0xb3] = CMPX(le_i16, H16),
    [0xb4] = CMPX(gt_i16, H16),
    [0xb5] = CMPX(ne_i16, H16),
    [0xb6] = CMPX(ge_i16, H16),
    [0xb7] = CMPX(t_i16, H16),
    [0xa8] = CMP(f_u16, H16),
    [0xa9] = CMP(lt_u16, H16),
    [0xaa] = CMP(eq_u16, H16),
    [0xab] = CMP(le_u16, H16),
    [0xac] = CMP(gt_u16, H16),
    [0xad] = CMP(ne_u16, H16),
    [0xae] = CMP(ge_u16, H16),
    [0xaf] = CMP(t_u16, H16),
    [0xb8] = CMPX(f_u16, H16),
    [0xb9] = CMPX(lt_u16, H16),
    [0xba] = CMPX(eq_u16, H16),
    [0xbb] = CMPX(le_u16, H16),
    [0xbc] = CMPX(gt_u16, H16),
    [0xbd] = CMPX(ne_u16, H16),
    [0xbe] = CMPX(ge_u16, H16),
    [0xbf] = CMPX(t_u16, H16),
    [0xc0] = CMP(f_i32, B32),
    [0xc1] = CMP(lt_i32, B32),
    [0xc2] = CMP(eq_i32, B32),
    [0xc3] = CMP(le_i32, B32),
    [0xc4] = CMP(gt_i32, B32),
    [0xc5] = CMP(ne_i32, B32),
    [0xc6] = CMP(ge_i32, B32),
    [0xc7] = CMP(t_i32, B32),
    [0xd0] = CMPX(f_i32, B32),
    [0xd1] = CMPX(lt_i32, B32),
    [0xd2] = CMPX(eq_i32, B32),
    [0xd3] = CMPX(le_i32, B32),
    [0xd4] = CMPX(gt_i32, B32),
    [0xd5] = CMPX(ne_i32, B32),
    [0xd6] = CMPX(ge_i32, B32),
    [0xd7] = CMPX(t_i32, B32),
    [0xc8] = CMP(f_u32, B32),
    [0xc9] = CMP(lt_u32, B32),
    [0xca] = CMP(eq_u32, B32),
    [0xcb] = CMP(le_u32, B32),
    [0xcc] = CMP(gt_u32, B32),
    [0xcd] = CMP(ne_u32, B32),
    [0xce] = CMP(ge_u32, B32),
    [0xcf] = CMP(t_u32, B32),
    [0xd8] = CMPX(f_u32, B32),
    [0xd9] = CMPX(lt_u32, B32),
    [0xda] = CMPX(eq_u32, B32),
    [0xdb] = CMPX(le_u32, B32),
    [0xdc] = CMPX(gt_u32, B32),
    [0xdd] = CMPX(ne_u32, B32),
    [0xde] = CMPX(ge_u32, B32),
    [0xdf] = CMPX(t_u32, B32),
    [0xe0] = CMP(f_i64, B64),
    [0xe1] = CMP(lt_i64, B64),
    [0xe2] = CMP(eq_i64, B64),
    [0xe3] = CMP(le_i64, B64),
    [0xe4] = CMP(gt_i64, B64),
    [0xe5] = CMP(ne_i64, B64),
    [0xe6] = CMP(ge_i64, B64),
    [0xe7] = CMP(t_i64, B64),
    [0xf0] = CMPX(f_i64, B64),
    [0xf1] = CMPX(lt_i64, B64),
    [0xf2] = CMPX(eq_i64, B64),
    [0xf3] = CMPX(le_i64, B64),
    [0xf4] = CMPX(gt_i64, B64),
    [0xf5] = CMPX(ne_i64, B64),
    [0xf6] = CMPX(ge_i64, B64),
    [0xf7] = CMPX(t_i64, B64),
    [0xe8] = CMP(f_u64, B64),
    [0xe9] = CMP(lt_u64, B64),
    [0xea] = CMP(eq_u64, B64),
    [0xeb] = CMP(le_u64, B64),
    [0xec] = CMP(gt_u64, B64),
    [0xed] = CMP(ne_u64, B64),
    [0xee] = CMP(ge_u64, B64),
    [0xef] = CMP(t_u64, B64),
    [0xf8] = CMPX(f_u64, B64),
    [0xf9] = CMPX(lt_u64, B64),
    [0xfa] = CMPX(eq_u64, B64),
    [0xfb] = CMPX(le_u64, B64),
    [0xfc] = CMPX(gt_u64, B64),
    [0xfd] = CMPX(ne_u64, B64),
    [0xfe] = CMPX(ge_u64, B64),
    [0xff] = CMPX(t_u64, B64),
};

const VkfdShOp vkfd_sh_vop3_int[VKFD_SH_VOP3_OPS] = {
    [0x1c2] = OP3(mad_i32_i24, 0),
    [0x1c3] = OP3(mad_u32_u24, 0),
    [0x1c8] = OP3(bfe_u32, 0),
    [0x1c9] = OP3(bfe_i32, 0),
    [0x1ca] = OP3(bfi_b32, 0),
    [0x1ce] = OP3(alignbit_b32, 0),
    [0x1cf] = OP3(alignbyte_b32, 0),
    [0x1d1] = OP3(min3_i32, 0),
    [0x1d2] = OP3(min3_u32, 0),
    [0x1d4] = OP3(max3_i32, 0),
    [0x1d5] = OP3(max3_u32, 0),
    [0x1d7] = OP3(med3_i32, 0),
    [0x1d8] = OP3(med3_u32, 0),
    [0x1d9] = OP3(sad_u8, 0),
    [0x1da] = OP3(sad_hi_u8, 0),
    [0x1db] = OP3(sad_u16, 0),
    [0x1dc] = OP3(sad_u32, 0),
    [0x1e8] = OP("v_mad_u64_u32", valu_mad_u64_u32, B32, B32, B64, B64,
                 VF(SDST_MASK)),
    [0x1e9] = OP("v_mad_i64_i32", valu_mad_i64_i32, B32, B32, B64, B64,
                 VF(SDST_MASK)),
    [0x1ed] = OP3(perm_b32, 0),
    [0x1f1] = OP("v_mad_u32_u16", valu_mad_u32_u16, H16, H16, B32, B32,
                 VF(OPSEL)),
    [0x1f2] = OP("v_mad_i32_i16", valu_mad_i32_i16, H16, H16, B32, B32,
                 VF(OPSEL)),
    [0x1f3] = OP3(xad_u32, 0),
    [0x1f5] = OP3H(min3_i16, VF(OPSEL)),
    [0x1f6] = OP3H(min3_u16, VF(OPSEL)),
    [0x1f8] = OP3H(max3_i16, VF(OPSEL)),
    [0x1f9] = OP3H(max3_u16, VF(OPSEL)),
    [0x1fb] = OP3H(med3_i16, VF(OPSEL)),
    [0x1fc] = OP3H(med3_u16, VF(OPSEL)),
    [0x1fd] = OP3(lshl_add_u32, 0),
    [0x1fe] = OP3(add_lshl_u32, 0),
    [0x1ff] = OP3(add3_u32, 0),
    [0x200] = OP3(lshl_or_b32, 0),
    [0x201] = OP3(and_or_b32, 0),
    [0x202] = OP3(or3_b32, 0),
    [0x1eb] = OP("v_mad_legacy_u16", valu_mad_u16_c, H16, H16, H16, H16,
                 VF(ICLAMP)),
    [0x1ec] = OP("v_mad_legacy_i16", valu_mad_i16_c, H16, H16, H16, H16,
                 VF(ICLAMP)),
    [0x204] = OP("v_mad_u16", valu_mad_u16_c, H16, H16, H16, H16,
                 VF(OPSEL) | VF(ICLAMP)),
    [0x205] = OP("v_mad_i16", valu_mad_i16_c, H16, H16, H16, H16,
                 VF(OPSEL) | VF(ICLAMP)),
    [0x285] = OP2(mul_lo_u32, 0),
    [0x286] = OP2(mul_hi_u32, 0),
    [0x287] = OP2(mul_hi_i32, 0),
    [0x289] = OP("v_readlane_b32", valu_readlane_b32, B32, B32, NO, B32,
                 VF(SDST) | VF(LANE_SEL)),
    [0x28a] = OP("v_writelane_b32", valu_writelane_b32, B32, B32, NO, B32,
                 VF(LANE_SEL)),
    [0x28b] = OP2(bcnt_u32_b32, 0),
    [0x28c] = OP2(mbcnt_lo_u32_b32, 0),
    [0x28d] = OP2(mbcnt_hi_u32_b32, 0),
    [0x28f] = OP("v_lshlrev_b64", valu_lshlrev_b64, B32, B64, NO, B64, 0),
    [0x290] = OP("v_lshrrev_b64", valu_lshrrev_b64, B32, B64, NO, B64, 0),
    [0x291] = OP("v_ashrrev_i64", valu_ashrrev_i64, B32, B64, NO, B64, 0),
    [0x293] = OP2(bfm_b32, 0),
    [0x297] = OP2(cvt_pk_u16_u32, 0),
    [0x298] = OP2(cvt_pk_i16_i32, 0),
    [0x29c] = OP2(add_i32, VF(ICLAMP)),
    [0x29d] = OP2(sub_i32, VF(ICLAMP)),
    [0x29e] = OP2H(add_i16, VF(OPSEL) | VF(ICLAMP)),
    [0x29f] = OP2H(sub_i16, VF(OPSEL) | VF(ICLAMP)),
    [0x2a0] = OP("v_pack_b32_f16", valu_pack_b32_f16, H16, H16, NO, B32,
                 VF(OPSEL) | VF(FMODS)),
};

#define OPPK2(nm, fl)   OP("v_" #nm, valu_##nm, B32, B32, NO, B32, fl)
#define OPPK3(nm, fl)   OP("v_" #nm, valu_##nm, B32, B32, B32, B32, fl)

const VkfdShOp vkfd_sh_vop3p_int[VKFD_SH_VOP3P_OPS] = {
    [0x00] = OPPK3(pk_mad_i16, 0),
    [0x01] = OPPK2(pk_mul_lo_u16, 0),
    [0x02] = OPPK2(pk_add_i16, VF(ICLAMP)),
    [0x03] = OPPK2(pk_sub_i16, VF(ICLAMP)),
    [0x04] = OPPK2(pk_lshlrev_b16, 0),
    [0x05] = OPPK2(pk_lshrrev_b16, 0),
    [0x06] = OPPK2(pk_ashrrev_i16, 0),
    [0x07] = OPPK2(pk_max_i16, 0),
    [0x08] = OPPK2(pk_min_i16, 0),
    [0x09] = OPPK3(pk_mad_u16, 0),
    [0x0a] = OPPK2(pk_add_u16, VF(ICLAMP)),
    [0x0b] = OPPK2(pk_sub_u16, VF(ICLAMP)),
    [0x0c] = OPPK2(pk_max_u16, 0),
    [0x0d] = OPPK2(pk_min_u16, 0),
    [0x26] = OPPK3(dot2_i32_i16, VF(ICLAMP)),
    [0x27] = OPPK3(dot2_u32_u16, VF(ICLAMP)),
    [0x28] = OPPK3(dot4_i32_i8, VF(ICLAMP)),
    [0x29] = OPPK3(dot4_u32_u8, VF(ICLAMP)),
    [0x2a] = OPPK3(dot8_i32_i4, VF(ICLAMP)),
    [0x2b] = OPPK3(dot8_u32_u4, VF(ICLAMP)),
    [0x33] = OP("v_pk_mov_b32", valu_pk_mov_b32, B64, B64, NO, B64, 0),
    [0x58] = OP("v_accvgpr_read_b32", valu_accvgpr_mov, B32, NO, NO, B32,
                VF(ACC_SRC0)),
    [0x59] = OP("v_accvgpr_write_b32", valu_accvgpr_mov, B32, NO, NO, B32,
                VF(ACC_DST)),
};

/* ---- decoders ------------------------------------------------------ */

static const VkfdShOp *valu_lookup(const VkfdShOp *a, const VkfdShOp *b,
                                   unsigned op)
{
    if (a[op].exec) {
        return &a[op];
    }
    return b[op].exec ? &b[op] : NULL;
}

static bool refuse(VkfdShDecoder *dc, const char *why)
{
    dc->why = why;
    return false;
}

static bool is_64(unsigned t)
{
    return t == VKFD_SH_B64 || t == VKFD_SH_F64;
}

static bool op_has_64(const VkfdShOp *o)
{
    return is_64(o->src[0]) || is_64(o->src[1]) || is_64(o->src[2]) ||
           is_64(o->dst);
}

static void set_op(VkfdShDecoder *dc, VkfdShInsn *in, const VkfdShOp *o,
                   unsigned family, unsigned opcode)
{
    in->op = o;
    in->exec = o->exec;
    in->family = family;
    in->opcode = opcode;
    in->mods = VKFD_SH_MODS_NONE;
    in->dw[0] = dc->dw[0];
    in->dw[1] = dc->avail > 1 ? dc->dw[1] : 0;
    in->src[0].kind = in->src[1].kind = in->src[2].kind = VKFD_SH_OPD_NONE;
    in->dst.kind = in->sdst.kind = VKFD_SH_OPD_NONE;
    memset(&in->u, 0, sizeof(in->u));
}

static bool vcc_opd(VkfdShDecoder *dc, VkfdShInsn *in, VkfdShOpd *o)
{
    return vkfd_sh_decode_sdst(dc, in, VKFD_SH_VCC_LO, VKFD_SH_B64, o);
}

/* A VGPR destination (or AGPR, or SGPR) by an 8-bit vdst field */
static bool valu_dst(VkfdShDecoder *dc, VkfdShInsn *in, unsigned vdst)
{
    const VkfdShOp *o = in->op;

    if (o->dst == VKFD_SH_NONE) {
        return true;
    }
    if (o->flags & VKFD_SH_VF_SDST) {
        return vkfd_sh_decode_sdst(dc, in, vdst, o->dst, &in->dst);
    }
    return vkfd_sh_decode_vgpr(dc, in, vdst, o->flags & VKFD_SH_VF_ACC_DST,
                               o->dst, &in->dst);
}

/*
 * src0 by its 9-bit field; for VKFD_SH_VF_ACC_SRC0 it must name a
 * register of the 256..511 range, which then means an AGPR.
 */
static bool valu_src0(VkfdShDecoder *dc, VkfdShInsn *in, unsigned enc,
                      unsigned flags)
{
    const VkfdShOp *o = in->op;

    if (o->src[0] == VKFD_SH_NONE) {
        return true;
    }
    if (o->flags & VKFD_SH_VF_ACC_SRC0) {
        if (enc < VKFD_SH_SRC_VGPR0) {
            return refuse(dc, "valu: AGPR source expected");
        }
        return vkfd_sh_decode_vgpr(dc, in, enc - VKFD_SH_SRC_VGPR0, true,
                                   o->src[0], &in->src[0]);
    }
    return vkfd_sh_decode_src(dc, in, enc, o->src[0], flags, &in->src[0]);
}

/* The implied operands: VCC carry in / out, a MAC's src2 */
static bool valu_implied(VkfdShDecoder *dc, VkfdShInsn *in, bool vop3)
{
    unsigned fl = in->op->flags;

    if (!vop3 && (fl & VKFD_SH_VF_CARRY_IN) &&
        !vcc_opd(dc, in, &in->src[2])) {
        return false;
    }
    if (!vop3 && (fl & VKFD_SH_VF_SDST_MASK) &&
        in->sdst.kind == VKFD_SH_OPD_NONE && !vcc_opd(dc, in, &in->sdst)) {
        return false;
    }
    if (fl & VKFD_SH_VF_MAC) {
        in->src[2] = in->dst;
        in->src[2].type = in->op->src[2];
    }
    return true;
}

/* An SDWA source by its 8-bit field and the s bit */
static bool sdwa_src(VkfdShDecoder *dc, VkfdShInsn *in, unsigned i,
                     unsigned enc, bool scalar)
{
    if (in->op->src[i] == VKFD_SH_NONE) {
        return true;
    }
    if (scalar) {
        return vkfd_sh_decode_src(dc, in, enc, in->op->src[i],
                                  VKFD_SH_DEC_NO_LITERAL, &in->src[i]);
    }
    return vkfd_sh_decode_vgpr(dc, in, enc, false, in->op->src[i],
                               &in->src[i]);
}

static bool decode_sdwa(VkfdShDecoder *dc, VkfdShInsn *in, unsigned vsrc1,
                        unsigned vdst, bool vopc)
{
    const VkfdShOp *o = in->op;
    uint32_t d = dc->dw[1];
    bool fmods = o->flags & VKFD_SH_VF_FMODS;
    uint8_t abs = extract32(d, 21, 1) | extract32(d, 29, 1) << 1;
    uint8_t neg = extract32(d, 20, 1) | extract32(d, 28, 1) << 1;
    uint8_t sext = extract32(d, 19, 1) | extract32(d, 27, 1) << 1;

    in->u.sdwa.src0_sel = extract32(d, 16, 3);
    in->u.sdwa.src1_sel = extract32(d, 24, 3);
    in->u.sdwa.abs = abs;
    in->u.sdwa.neg = neg;
    in->u.sdwa.sext = sext;
    in->u.sdwa.dst_sel = VKFD_SH_SDWA_DWORD;
    if (in->u.sdwa.src0_sel > VKFD_SH_SDWA_DWORD ||
        in->u.sdwa.src1_sel > VKFD_SH_SDWA_DWORD) {
        return refuse(dc, "sdwa: bad source selection");
    }
    if (fmods ? sext : (abs | neg)) {
        return refuse(dc, "sdwa: modifier the op does not take");
    }
    if (!sdwa_src(dc, in, 0, extract32(d, 0, 8), extract32(d, 23, 1)) ||
        !sdwa_src(dc, in, 1, vsrc1, extract32(d, 31, 1))) {
        return false;
    }
    if (vopc) {
        if (extract32(d, 15, 1) &&
            !vkfd_sh_decode_sdst(dc, in, extract32(d, 8, 7), VKFD_SH_B64,
                                 &in->sdst)) {
            return false;
        }
    } else {
        in->u.sdwa.dst_sel = extract32(d, 8, 3);
        in->u.sdwa.dst_unused = extract32(d, 11, 2);
        in->u.sdwa.clamp = extract32(d, 13, 1);
        in->u.sdwa.omod = extract32(d, 14, 2);
        if (in->u.sdwa.dst_sel > VKFD_SH_SDWA_DWORD ||
            in->u.sdwa.dst_unused > VKFD_SH_SDWA_UNUSED_PRESERVE) {
            return refuse(dc, "sdwa: bad destination selection");
        }
        if ((in->u.sdwa.clamp &&
             !(o->flags & (VKFD_SH_VF_CLAMP | VKFD_SH_VF_ICLAMP))) ||
            (in->u.sdwa.omod && !(o->flags & VKFD_SH_VF_OMOD))) {
            return refuse(dc, "sdwa: clamp/omod the op does not take");
        }
        if (!valu_dst(dc, in, vdst)) {
            return false;
        }
    }
    if (in->u.sdwa.src0_sel != VKFD_SH_SDWA_DWORD ||
        in->u.sdwa.src1_sel != VKFD_SH_SDWA_DWORD ||
        in->u.sdwa.dst_sel != VKFD_SH_SDWA_DWORD ||
        abs || neg || sext || in->u.sdwa.clamp || in->u.sdwa.omod) {
        in->mods = VKFD_SH_MODS_SDWA;
    }
    return true;
}

static bool decode_dpp(VkfdShDecoder *dc, VkfdShInsn *in, unsigned vsrc1,
                       unsigned vdst, bool vopc)
{
    const VkfdShOp *o = in->op;
    uint32_t d = dc->dw[1];
    uint64_t lanes = 0;
    int l, s;

    in->u.dpp.ctrl = extract32(d, 8, 9);
    in->u.dpp.bound_ctrl = extract32(d, 19, 1);
    in->u.dpp.neg = extract32(d, 20, 1) | extract32(d, 22, 1) << 1;
    in->u.dpp.abs = extract32(d, 21, 1) | extract32(d, 23, 1) << 1;
    in->u.dpp.bank_mask = extract32(d, 24, 4);
    in->u.dpp.row_mask = extract32(d, 28, 4);
    if (!dpp_ctrl_ok(in->u.dpp.ctrl)) {
        return refuse(dc, "dpp: reserved dpp_ctrl");
    }
    if ((in->u.dpp.neg | in->u.dpp.abs) && !(o->flags & VKFD_SH_VF_FMODS)) {
        return refuse(dc, "dpp: modifier the op does not take");
    }
    for (l = 0; l < LANES; l++) {
        s = dpp_src_lane(in->u.dpp.ctrl, l);
        if ((in->u.dpp.row_mask >> (l / 16) & 1) &&
            (in->u.dpp.bank_mask >> (l / 4 % 4) & 1) &&
            (s >= 0 || in->u.dpp.bound_ctrl)) {
            lanes |= 1ull << l;
        }
    }
    in->u.dpp.lanes = lanes;
    if (!vkfd_sh_decode_vgpr(dc, in, extract32(d, 0, 8), false, o->src[0],
                             &in->src[0])) {
        return false;
    }
    if (o->src[1] != VKFD_SH_NONE &&
        !vkfd_sh_decode_vgpr(dc, in, vsrc1, false, o->src[1], &in->src[1])) {
        return false;
    }
    if (!vopc && !valu_dst(dc, in, vdst)) {
        return false;
    }
    in->mods = VKFD_SH_MODS_DPP;
    return true;
}

/*
 * VOP1, VOP2 and VOPC: src0 (9 bits, a literal allowed, or the SDWA/DPP
 * dword), vsrc1 (a VGPR: VOP2/VOPC), vdst (VOP1/VOP2; VOPC writes VCC).
 */
static bool decode_vop32(VkfdShDecoder *dc, VkfdShInsn *in, unsigned src0,
                         int vsrc1, unsigned vdst, bool vopc)
{
    const VkfdShOp *o = in->op;
    unsigned fl = o->flags;

    in->len = 4;
    if (src0 == VKFD_SH_SRC_SDWA || src0 == VKFD_SH_SRC_DPP) {
        if (dc->avail < 2) {
            return refuse(dc, "valu: SDWA/DPP dword not fetched");
        }
        if ((fl & (VKFD_SH_VF_NO_EXT | VKFD_SH_VF_LIT_K1 | VKFD_SH_VF_LIT_K2 |
                   VKFD_SH_VF_SDST | VKFD_SH_VF_ACC_SRC0 |
                   VKFD_SH_VF_ACC_DST)) || op_has_64(o)) {
            return refuse(dc, "valu: op without SDWA/DPP forms");
        }
        in->len = 8;
        if (!(src0 == VKFD_SH_SRC_SDWA
              ? decode_sdwa(dc, in, vsrc1 < 0 ? 0 : vsrc1, vdst, vopc)
              : decode_dpp(dc, in, vsrc1 < 0 ? 0 : vsrc1, vdst, vopc))) {
            return false;
        }
        if (vopc && in->sdst.kind == VKFD_SH_OPD_NONE &&
            !vcc_opd(dc, in, &in->sdst)) {
            return false;
        }
        return valu_implied(dc, in, false);
    }
    if (!valu_src0(dc, in, src0, 0)) {
        return false;
    }
    if (fl & VKFD_SH_VF_LIT_K1) {
        /* madmk: src0 * K + vsrc1 */
        if (!vkfd_sh_decode_src(dc, in, VKFD_SH_SRC_LITERAL, o->src[1], 0,
                                &in->src[1]) ||
            !vkfd_sh_decode_vgpr(dc, in, vsrc1, false, o->src[2],
                                 &in->src[2])) {
            return false;
        }
    } else if (vsrc1 >= 0 && o->src[1] != VKFD_SH_NONE &&
               !vkfd_sh_decode_vgpr(dc, in, vsrc1, false, o->src[1],
                                    &in->src[1])) {
        return false;
    }
    if ((fl & VKFD_SH_VF_LIT_K2) &&
        !vkfd_sh_decode_src(dc, in, VKFD_SH_SRC_LITERAL, o->src[2], 0,
                            &in->src[2])) {
        return false;
    }
    if (vopc) {
        if (!vcc_opd(dc, in, &in->sdst)) {
            return false;
        }
    } else if (!valu_dst(dc, in, vdst)) {
        return false;
    }
    if (o->exec == valu_swap_b32 && in->src[0].kind != VKFD_SH_OPD_VGPR) {
        return refuse(dc, "v_swap_b32: src0 must be a VGPR");
    }
    return valu_implied(dc, in, false);
}

bool vkfd_sh_decode_vop1(VkfdShDecoder *dc, VkfdShInsn *in)
{
    uint32_t d = dc->dw[0];
    unsigned op = extract32(d, 9, 8);
    const VkfdShOp *o = valu_lookup(vkfd_sh_vop1_int, vkfd_sh_vop1_fp, op);

    if (!o) {
        return refuse(dc, "vop1: unknown opcode");
    }
    set_op(dc, in, o, VKFD_SH_VOP1, op);
    return decode_vop32(dc, in, extract32(d, 0, 9), -1, extract32(d, 17, 8),
                        false);
}

bool vkfd_sh_decode_vop2(VkfdShDecoder *dc, VkfdShInsn *in)
{
    uint32_t d = dc->dw[0];
    unsigned op = extract32(d, 25, 6);
    const VkfdShOp *o = valu_lookup(vkfd_sh_vop2_int, vkfd_sh_vop2_fp, op);

    if (!o) {
        return refuse(dc, "vop2: unknown opcode");
    }
    set_op(dc, in, o, VKFD_SH_VOP2, op);
    return decode_vop32(dc, in, extract32(d, 0, 9), extract32(d, 9, 8),
                        extract32(d, 17, 8), false);
}

bool vkfd_sh_decode_vopc(VkfdShDecoder *dc, VkfdShInsn *in)
{
    uint32_t d = dc->dw[0];
    unsigned op = extract32(d, 17, 8);
    const VkfdShOp *o = valu_lookup(vkfd_sh_vopc_int, vkfd_sh_vopc_fp, op);

    if (!o) {
        return refuse(dc, "vopc: unknown opcode");
    }
    set_op(dc, in, o, VKFD_SH_VOPC, op);
    return decode_vop32(dc, in, extract32(d, 0, 9), extract32(d, 9, 8), 0,
                        true);
}

/* The VOP3 encoding's entry: a VOPC, VOP2, VOP1 or VOP3-only opcode */
static const VkfdShOp *vop3_lookup(unsigned op, bool *vopc)
{
    *vopc = op < VKFD_SH_VOP3_VOP2_BASE;
    if (op < VKFD_SH_VOP3_VOP2_BASE) {
        return valu_lookup(vkfd_sh_vopc_int, vkfd_sh_vopc_fp, op);
    }
    if (op < VKFD_SH_VOP3_VOP1_BASE) {
        op -= VKFD_SH_VOP3_VOP2_BASE;
        return valu_lookup(vkfd_sh_vop2_int, vkfd_sh_vop2_fp, op);
    }
    if (op < VKFD_SH_VOP3_ONLY_BASE) {
        op -= VKFD_SH_VOP3_VOP1_BASE;
        return valu_lookup(vkfd_sh_vop1_int, vkfd_sh_vop1_fp, op);
    }
    return valu_lookup(vkfd_sh_vop3_int, vkfd_sh_vop3_fp, op);
}

/* VOP3A/VOP3B modifiers against what the op takes */
static bool vop3_mods(VkfdShDecoder *dc, VkfdShInsn *in, bool vop3b)
{
    const VkfdShOp *o = in->op;
    uint32_t d0 = dc->dw[0], d1 = dc->dw[1];
    unsigned fl = o->flags;

    in->u.vop3.neg = extract32(d1, 29, 3);
    in->u.vop3.omod = extract32(d1, 27, 2);
    in->u.vop3.clamp = extract32(d0, 15, 1);
    if (!vop3b) {
        in->u.vop3.abs = extract32(d0, 8, 3);
        in->u.vop3.opsel = extract32(d0, 11, 4);
    }
    if ((in->u.vop3.abs | in->u.vop3.neg) && !(fl & VKFD_SH_VF_FMODS)) {
        return refuse(dc, "vop3: abs/neg on an op without them");
    }
    if (in->u.vop3.opsel && !(fl & VKFD_SH_VF_OPSEL)) {
        return refuse(dc, "vop3: op_sel on an op without it");
    }
    if (in->u.vop3.clamp && !(fl & (VKFD_SH_VF_CLAMP | VKFD_SH_VF_ICLAMP))) {
        return refuse(dc, "vop3: clamp on an op without it");
    }
    if (in->u.vop3.omod && !(fl & VKFD_SH_VF_OMOD)) {
        return refuse(dc, "vop3: omod on an op without it");
    }
    if (in->u.vop3.abs || in->u.vop3.neg || in->u.vop3.opsel ||
        in->u.vop3.clamp || in->u.vop3.omod ||
        ((fl & VKFD_SH_VF_OPSEL) && o->dst == VKFD_SH_F16)) {
        in->mods = VKFD_SH_MODS_VOP3;
    }
    return true;
}

bool vkfd_sh_decode_vop3(VkfdShDecoder *dc, VkfdShInsn *in)
{
    uint32_t d0 = dc->dw[0], d1 = dc->dw[1];
    unsigned op = extract32(d0, 16, 10), vdst = extract32(d0, 0, 8);
    const unsigned enc[3] = {
        extract32(d1, 0, 9), extract32(d1, 9, 9), extract32(d1, 18, 9)
    };
    const VkfdShOp *o;
    unsigned fl, i;
    bool vopc, vop3b;

    if (dc->avail < 2) {
        return refuse(dc, "vop3: second dword not fetched");
    }
    o = vop3_lookup(op, &vopc);
    if (!o) {
        return refuse(dc, "vop3: unknown opcode");
    }
    fl = o->flags;
    if (fl & (VKFD_SH_VF_LIT_K1 | VKFD_SH_VF_LIT_K2)) {
        return refuse(dc, "vop3: madmk/madak have no VOP3 form");
    }
    set_op(dc, in, o, VKFD_SH_VOP3, op);
    in->len = 8;
    vop3b = !vopc && (fl & VKFD_SH_VF_SDST_MASK);
    if (!vop3_mods(dc, in, vop3b)) {
        return false;
    }
    if (!valu_src0(dc, in, enc[0], VKFD_SH_DEC_NO_LITERAL)) {
        return false;
    }
    for (i = 1; i < 3; i++) {
        if (o->src[i] == VKFD_SH_NONE || (i == 2 && (fl & VKFD_SH_VF_MAC))) {
            continue;
        }
        if (!vkfd_sh_decode_src(dc, in, enc[i], o->src[i],
                                VKFD_SH_DEC_NO_LITERAL, &in->src[i])) {
            return false;
        }
    }
    if ((fl & VKFD_SH_VF_LANE_SEL) &&
        (in->src[1].kind == VKFD_SH_OPD_VGPR ||
         (o->exec == valu_readlane_b32 &&
          in->src[0].kind != VKFD_SH_OPD_VGPR) ||
         (o->exec == valu_writelane_b32 &&
          in->src[0].kind == VKFD_SH_OPD_VGPR))) {
        return refuse(dc, "v_readlane/v_writelane: bad operand kinds");
    }
    if (o->exec == valu_swap_b32) {
        return refuse(dc, "v_swap_b32 has no VOP3 form");
    }
    if (vopc || vop3b) {
        if (!vkfd_sh_decode_sdst(dc, in, vopc ? vdst : extract32(d0, 8, 7),
                                 VKFD_SH_B64, &in->sdst)) {
            return false;
        }
    }
    if (!vopc && !valu_dst(dc, in, vdst)) {
        return false;
    }
    return valu_implied(dc, in, true);
}

/*
 * An inline constant for a 64-bit operand of a packed op (v_pk_*_f32,
 * v_pk_mov_b32) is a 32-bit value (an f32 for the float ops, as LLVM
 * types these operands) in the pair's low dword, the high dword 0:
 * op_sel/op_sel_hi pick which dword each half reads.
 */
static bool vop3p_const64(VkfdShDecoder *dc, VkfdShInsn *in,
                          const VkfdShOp *o, unsigned enc, VkfdShOpd *opd)
{
    bool fp = o >= vkfd_sh_vop3p_fp &&
              o < vkfd_sh_vop3p_fp + VKFD_SH_VOP3P_OPS;

    if (!vkfd_sh_decode_src(dc, in, enc, fp ? VKFD_SH_F32 : VKFD_SH_B32,
                            VKFD_SH_DEC_NO_LITERAL, opd)) {
        return false;
    }
    opd->val = (uint32_t)opd->val;
    opd->type = VKFD_SH_B64;
    return true;
}

bool vkfd_sh_decode_vop3p(VkfdShDecoder *dc, VkfdShInsn *in)
{
    uint32_t d0 = dc->dw[0], d1 = dc->dw[1];
    unsigned op = extract32(d0, 16, 7);
    const unsigned enc[3] = {
        extract32(d1, 0, 9), extract32(d1, 9, 9), extract32(d1, 18, 9)
    };
    const VkfdShOp *o = valu_lookup(vkfd_sh_vop3p_int, vkfd_sh_vop3p_fp, op);
    unsigned fl, i;

    if (dc->avail < 2) {
        return refuse(dc, "vop3p: second dword not fetched");
    }
    if (!o) {
        return refuse(dc, "vop3p: unknown opcode");
    }
    set_op(dc, in, o, VKFD_SH_VOP3P, op);
    in->len = 8;
    fl = o->flags;
    if (!(fl & (VKFD_SH_VF_ACC_SRC0 | VKFD_SH_VF_ACC_DST))) {
        in->mods = VKFD_SH_MODS_VOP3P;
        in->u.vop3.neg_hi = extract32(d0, 8, 3);
        in->u.vop3.opsel = extract32(d0, 11, 3);
        in->u.vop3.opsel_hi = extract32(d1, 27, 2) | extract32(d0, 14, 1) << 2;
        in->u.vop3.clamp = extract32(d0, 15, 1);
        in->u.vop3.neg = extract32(d1, 29, 3);
        if ((in->u.vop3.neg | in->u.vop3.neg_hi) &&
            !(fl & VKFD_SH_VF_FMODS)) {
            return refuse(dc, "vop3p: neg on an op without it");
        }
        if (in->u.vop3.clamp &&
            !(fl & (VKFD_SH_VF_CLAMP | VKFD_SH_VF_ICLAMP))) {
            return refuse(dc, "vop3p: clamp on an op without it");
        }
        if ((o->exec == valu_dot4_i32_i8 || o->exec == valu_dot4_u32_u8 ||
             o->exec == valu_dot8_i32_i4 || o->exec == valu_dot8_u32_u4) &&
            (in->u.vop3.opsel || in->u.vop3.opsel_hi != 7)) {
            return refuse(dc, "vop3p: op_sel on a dot4/dot8");
        }
    }
    if (!valu_src0(dc, in, enc[0], VKFD_SH_DEC_NO_LITERAL)) {
        return false;
    }
    for (i = 1; i < 3; i++) {
        if (o->src[i] != VKFD_SH_NONE &&
            !vkfd_sh_decode_src(dc, in, enc[i], o->src[i],
                                VKFD_SH_DEC_NO_LITERAL, &in->src[i])) {
            return false;
        }
    }
    for (i = 0; i < 3; i++) {
        if (o->src[i] == VKFD_SH_B64 &&
            in->src[i].kind == VKFD_SH_OPD_CONST &&
            !vop3p_const64(dc, in, o, enc[i], &in->src[i])) {
            return false;
        }
    }
    return valu_dst(dc, in, extract32(d0, 0, 8));
}
