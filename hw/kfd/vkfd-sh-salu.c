/*
 * vkfd: a virtual AMD KFD device -- shader core: SOP1, SOP2, SOPK and SOPC
 *
 * The scalar ALU of a gfx90a wave: 32- and 64-bit integer and bit
 * operations on SGPRs, the EXEC-mask operations divergent code is built
 * of (s_and_saveexec_b64 and friends), PC-relative code addresses
 * (s_getpc_b64, s_setpc_b64, s_swappc_b64, s_call_b64), compares into
 * SCC and the hardware registers of s_getreg_b32 / s_setreg_b32.
 *
 * Each family has one table indexed by its opcode field.  An entry gives
 * the operand types that decoding checks register ranges against, and
 * the handler; an entry with a name but no handler is an opcode of the
 * ISA that is refused, and why is in its flags.  Handlers read operands
 * only through the decoded VkfdShOpd (salu_s32/s64, vkfd_sh_s32/s64) and
 * write only decoded destinations; the one run-time index (s_movrels/
 * s_movreld, relative to M0) is checked with vkfd_sh_sreg_ok().
 *
 * SCC follows the ISA per opcode: carry or borrow for the unsigned
 * add/sub, signed overflow for the signed ones, "result != 0" for the
 * bitwise operations, shifts and s_bfe, the comparison for s_min/s_max
 * (SCC set when src0 was chosen), unchanged for moves, s_mul_*,
 * s_bfm, s_brev, s_ff*, s_flbit*, s_sext and s_pack_*.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/bitops.h"
#include "qemu/host-utils.h"
#include "vkfd.h"
#include "vkfd-sh.h"

/*
 * Flags of a SOP1/SOP2/SOPC entry: SALU_NO_* say why an opcode the ISA
 * has is refused (SOPK's flags are SOPK_*, below).
 */
#define SALU_NO_FORK        (1u << 0)
#define SALU_NO_TRAP_RET    (1u << 1)
#define SALU_NO_GPR_IDX     (1u << 2)
#define SALU_NO_VSKIP       (1u << 3)
/* src0 is a signed 64-bit integer: a 32-bit literal is sign-extended */
#define SALU_SRC0_I64       (1u << 4)

static const char *salu_refused(const VkfdShOp *op)
{
    if (op->flags & SALU_NO_FORK) {
        return "salu: s_cbranch_*fork/join (graphics-era stack-based "
               "control flow) is not implemented";
    }
    if (op->flags & SALU_NO_TRAP_RET) {
        return "salu: s_rfe_* returns from a trap handler, and no trap "
               "handler runs";
    }
    if (op->flags & SALU_NO_GPR_IDX) {
        return "salu: VGPR index mode (s_set_gpr_idx_*) is not implemented; "
               "clang uses M0 with v_movrel* on gfx90a";
    }
    if (op->flags & SALU_NO_VSKIP) {
        return "salu: s_setvskip is not implemented";
    }
    return "salu: opcode not implemented";
}

/*
 * Sources.  Nearly every SALU source is an SGPR or a constant: test for
 * those two before vkfd_sh_s32's switch (a jump through a table), which
 * keeps an s_add_u32 at a handful of host instructions.
 */
static inline uint32_t salu_s32(const VkfdWave *w, const VkfdShOpd *o)
{
    if (likely(o->kind == VKFD_SH_OPD_SREG)) {
        return w->s[o->idx];
    }
    if (o->kind == VKFD_SH_OPD_CONST) {
        return o->val;
    }
    return vkfd_sh_s32(w, o);
}

static inline uint64_t salu_s64(const VkfdWave *w, const VkfdShOpd *o)
{
    if (likely(o->kind == VKFD_SH_OPD_SREG)) {
        return w->s[o->idx] | (uint64_t)w->s[o->idx + 1] << 32;
    }
    if (o->kind == VKFD_SH_OPD_CONST) {
        return o->val;
    }
    return vkfd_sh_s32(w, o);
}

static inline uint32_t src0(const VkfdWave *w, const VkfdShInsn *in)
{
    return salu_s32(w, &in->src[0]);
}

static inline uint32_t src1(const VkfdWave *w, const VkfdShInsn *in)
{
    return salu_s32(w, &in->src[1]);
}

static inline uint64_t src0_64(const VkfdWave *w, const VkfdShInsn *in)
{
    return salu_s64(w, &in->src[0]);
}

static inline uint64_t src1_64(const VkfdWave *w, const VkfdShInsn *in)
{
    return salu_s64(w, &in->src[1]);
}

/* Write a result and set SCC to "result != 0". */
static inline bool put32_nz(VkfdWave *w, const VkfdShInsn *in, uint32_t d)
{
    vkfd_sh_set_s32(w, &in->dst, d);
    w->scc = d != 0;
    return true;
}

static inline bool put64_nz(VkfdWave *w, const VkfdShInsn *in, uint64_t d)
{
    vkfd_sh_set_s64(w, &in->dst, d);
    w->scc = d != 0;
    return true;
}

/* A bit-field extract of width bits at off; width 0 gives 0. */
static inline uint64_t bfe_u(uint64_t x, unsigned off, unsigned width,
                             unsigned bits)
{
    uint64_t v = x >> off;

    if (!width) {
        return 0;
    }
    return width >= bits ? v : v & ((1ull << width) - 1);
}

static inline int64_t bfe_s(int64_t x, unsigned off, unsigned width,
                            unsigned bits)
{
    if (!width) {
        return 0;
    }
    if (off + width >= bits) {
        return x >> off;    /* the field reaches the sign bit */
    }
    return sextract64(x, off, width);
}

/*
 * SOP2: sdst = ssrc0 op ssrc1.  Operands: src[0], src[1], dst.
 */

static bool s_add_u32(VkfdWave *w, const VkfdShInsn *in)
{
    uint64_t d = (uint64_t)src0(w, in) + src1(w, in);

    vkfd_sh_set_s32(w, &in->dst, d);
    w->scc = d >> 32;
    return true;
}

static bool s_sub_u32(VkfdWave *w, const VkfdShInsn *in)
{
    uint32_t a = src0(w, in), b = src1(w, in);

    vkfd_sh_set_s32(w, &in->dst, a - b);
    w->scc = b > a;
    return true;
}

static bool s_add_i32(VkfdWave *w, const VkfdShInsn *in)
{
    uint32_t a = src0(w, in), b = src1(w, in), d = a + b;

    vkfd_sh_set_s32(w, &in->dst, d);
    w->scc = ((a ^ d) & (b ^ d)) >> 31;
    return true;
}

static bool s_sub_i32(VkfdWave *w, const VkfdShInsn *in)
{
    uint32_t a = src0(w, in), b = src1(w, in), d = a - b;

    vkfd_sh_set_s32(w, &in->dst, d);
    w->scc = ((a ^ b) & (a ^ d)) >> 31;
    return true;
}

static bool s_addc_u32(VkfdWave *w, const VkfdShInsn *in)
{
    uint64_t d = (uint64_t)src0(w, in) + src1(w, in) + w->scc;

    vkfd_sh_set_s32(w, &in->dst, d);
    w->scc = d >> 32;
    return true;
}

static bool s_subb_u32(VkfdWave *w, const VkfdShInsn *in)
{
    uint32_t a = src0(w, in), b = src1(w, in);
    uint64_t need = (uint64_t)b + w->scc;

    vkfd_sh_set_s32(w, &in->dst, a - b - w->scc);
    w->scc = need > a;
    return true;
}

static bool s_min_i32(VkfdWave *w, const VkfdShInsn *in)
{
    int32_t a = src0(w, in), b = src1(w, in);

    w->scc = a < b;
    vkfd_sh_set_s32(w, &in->dst, w->scc ? a : b);
    return true;
}

static bool s_min_u32(VkfdWave *w, const VkfdShInsn *in)
{
    uint32_t a = src0(w, in), b = src1(w, in);

    w->scc = a < b;
    vkfd_sh_set_s32(w, &in->dst, w->scc ? a : b);
    return true;
}

static bool s_max_i32(VkfdWave *w, const VkfdShInsn *in)
{
    int32_t a = src0(w, in), b = src1(w, in);

    w->scc = a > b;
    vkfd_sh_set_s32(w, &in->dst, w->scc ? a : b);
    return true;
}

static bool s_max_u32(VkfdWave *w, const VkfdShInsn *in)
{
    uint32_t a = src0(w, in), b = src1(w, in);

    w->scc = a > b;
    vkfd_sh_set_s32(w, &in->dst, w->scc ? a : b);
    return true;
}

static bool s_cselect_b32(VkfdWave *w, const VkfdShInsn *in)
{
    vkfd_sh_set_s32(w, &in->dst, w->scc ? src0(w, in) : src1(w, in));
    return true;
}

static bool s_cselect_b64(VkfdWave *w, const VkfdShInsn *in)
{
    vkfd_sh_set_s64(w, &in->dst, w->scc ? src0_64(w, in) : src1_64(w, in));
    return true;
}

/* The bitwise operations, 32 and 64 bits: SCC = result != 0. */
#define SALU_LOGIC(name, expr) \
    static bool name##_b32(VkfdWave *w, const VkfdShInsn *in) \
    { \
        uint32_t a = src0(w, in), b = src1(w, in); \
        return put32_nz(w, in, (expr)); \
    } \
    static bool name##_b64(VkfdWave *w, const VkfdShInsn *in) \
    { \
        uint64_t a = src0_64(w, in), b = src1_64(w, in); \
        return put64_nz(w, in, (expr)); \
    }

SALU_LOGIC(s_and, a & b)
SALU_LOGIC(s_or, a | b)
SALU_LOGIC(s_xor, a ^ b)
SALU_LOGIC(s_andn2, a & ~b)
SALU_LOGIC(s_orn2, a | ~b)
SALU_LOGIC(s_nand, ~(a & b))
SALU_LOGIC(s_nor, ~(a | b))
SALU_LOGIC(s_xnor, ~(a ^ b))

/* Shifts use the low 5 (32-bit) or 6 (64-bit) bits of the count. */
static bool s_lshl_b32(VkfdWave *w, const VkfdShInsn *in)
{
    return put32_nz(w, in, src0(w, in) << (src1(w, in) & 31));
}

static bool s_lshl_b64(VkfdWave *w, const VkfdShInsn *in)
{
    return put64_nz(w, in, src0_64(w, in) << (src1(w, in) & 63));
}

static bool s_lshr_b32(VkfdWave *w, const VkfdShInsn *in)
{
    return put32_nz(w, in, src0(w, in) >> (src1(w, in) & 31));
}

static bool s_lshr_b64(VkfdWave *w, const VkfdShInsn *in)
{
    return put64_nz(w, in, src0_64(w, in) >> (src1(w, in) & 63));
}

static bool s_ashr_i32(VkfdWave *w, const VkfdShInsn *in)
{
    return put32_nz(w, in, (int32_t)src0(w, in) >> (src1(w, in) & 31));
}

static bool s_ashr_i64(VkfdWave *w, const VkfdShInsn *in)
{
    return put64_nz(w, in, (int64_t)src0_64(w, in) >> (src1(w, in) & 63));
}

/* A mask of src0[4:0] ones, shifted left by src1[4:0]; SCC unchanged. */
static bool s_bfm_b32(VkfdWave *w, const VkfdShInsn *in)
{
    uint32_t ones = (1u << (src0(w, in) & 31)) - 1;

    vkfd_sh_set_s32(w, &in->dst, ones << (src1(w, in) & 31));
    return true;
}

static bool s_bfm_b64(VkfdWave *w, const VkfdShInsn *in)
{
    uint64_t ones = (1ull << (src0(w, in) & 63)) - 1;

    vkfd_sh_set_s64(w, &in->dst, ones << (src1(w, in) & 63));
    return true;
}

static bool s_mul_i32(VkfdWave *w, const VkfdShInsn *in)
{
    vkfd_sh_set_s32(w, &in->dst, src0(w, in) * src1(w, in));
    return true;
}

/* s_bfe: src1[4:0] (64-bit: [5:0]) is the offset, src1[22:16] the width */
static bool s_bfe_u32(VkfdWave *w, const VkfdShInsn *in)
{
    uint32_t c = src1(w, in);

    return put32_nz(w, in, bfe_u(src0(w, in), c & 31,
                                 extract32(c, 16, 7), 32));
}

static bool s_bfe_i32(VkfdWave *w, const VkfdShInsn *in)
{
    uint32_t c = src1(w, in);

    return put32_nz(w, in, bfe_s((int32_t)src0(w, in), c & 31,
                                 extract32(c, 16, 7), 32));
}

static bool s_bfe_u64(VkfdWave *w, const VkfdShInsn *in)
{
    uint32_t c = src1(w, in);

    return put64_nz(w, in, bfe_u(src0_64(w, in), c & 63,
                                 extract32(c, 16, 7), 64));
}

static bool s_bfe_i64(VkfdWave *w, const VkfdShInsn *in)
{
    uint32_t c = src1(w, in);

    return put64_nz(w, in, bfe_s(src0_64(w, in), c & 63,
                                 extract32(c, 16, 7), 64));
}

/* The difference is taken in 32 bits, then its absolute value (the ISA's) */
static bool s_absdiff_i32(VkfdWave *w, const VkfdShInsn *in)
{
    uint32_t d = src0(w, in) - src1(w, in);

    return put32_nz(w, in, (int32_t)d < 0 ? -d : d);
}

static bool s_mul_hi_u32(VkfdWave *w, const VkfdShInsn *in)
{
    uint64_t p = (uint64_t)src0(w, in) * src1(w, in);

    vkfd_sh_set_s32(w, &in->dst, p >> 32);
    return true;
}

static bool s_mul_hi_i32(VkfdWave *w, const VkfdShInsn *in)
{
    int64_t p = (int64_t)(int32_t)src0(w, in) * (int32_t)src1(w, in);

    vkfd_sh_set_s32(w, &in->dst, (uint64_t)p >> 32);
    return true;
}

/* (src0 << n) + src1 in 64 bits: SCC is whatever passes bit 31. */
static inline bool lshl_add(VkfdWave *w, const VkfdShInsn *in, unsigned n)
{
    uint64_t d = ((uint64_t)src0(w, in) << n) + src1(w, in);

    vkfd_sh_set_s32(w, &in->dst, d);
    w->scc = d >> 32 != 0;
    return true;
}

static bool s_lshl1_add_u32(VkfdWave *w, const VkfdShInsn *in)
{
    return lshl_add(w, in, 1);
}

static bool s_lshl2_add_u32(VkfdWave *w, const VkfdShInsn *in)
{
    return lshl_add(w, in, 2);
}

static bool s_lshl3_add_u32(VkfdWave *w, const VkfdShInsn *in)
{
    return lshl_add(w, in, 3);
}

static bool s_lshl4_add_u32(VkfdWave *w, const VkfdShInsn *in)
{
    return lshl_add(w, in, 4);
}

static bool s_pack_ll_b32_b16(VkfdWave *w, const VkfdShInsn *in)
{
    vkfd_sh_set_s32(w, &in->dst,
                    (src0(w, in) & 0xffff) | src1(w, in) << 16);
    return true;
}

static bool s_pack_lh_b32_b16(VkfdWave *w, const VkfdShInsn *in)
{
    vkfd_sh_set_s32(w, &in->dst,
                    (src0(w, in) & 0xffff) | (src1(w, in) & 0xffff0000));
    return true;
}

static bool s_pack_hh_b32_b16(VkfdWave *w, const VkfdShInsn *in)
{
    vkfd_sh_set_s32(w, &in->dst,
                    src0(w, in) >> 16 | (src1(w, in) & 0xffff0000));
    return true;
}

#define B32     VKFD_SH_B32
#define B64     VKFD_SH_B64
#define NONE    VKFD_SH_NONE

/* An entry: name, handler, src0 and src1 types, dst type */
#define OP(n, s0, s1, d)    { #n, n, { s0, s1, NONE }, d }
#define OP32(n)             OP(n, B32, B32, B32)
#define OP64(n)             OP(n, B64, B64, B64)
#define REFUSED(n, why)     { #n, NULL, .flags = why }

static const VkfdShOp sop2_ops[] = {
    [0x00] = OP32(s_add_u32),
    [0x01] = OP32(s_sub_u32),
    [0x02] = OP32(s_add_i32),
    [0x03] = OP32(s_sub_i32),
    [0x04] = OP32(s_addc_u32),
    [0x05] = OP32(s_subb_u32),
    [0x06] = OP32(s_min_i32),
    [0x07] = OP32(s_min_u32),
    [0x08] = OP32(s_max_i32),
    [0x09] = OP32(s_max_u32),
    [0x0a] = OP32(s_cselect_b32),
    [0x0b] = OP64(s_cselect_b64),
    [0x0c] = OP32(s_and_b32),
    [0x0d] = OP64(s_and_b64),
    [0x0e] = OP32(s_or_b32),
    [0x0f] = OP64(s_or_b64),
    [0x10] = OP32(s_xor_b32),
    [0x11] = OP64(s_xor_b64),
    [0x12] = OP32(s_andn2_b32),
    [0x13] = OP64(s_andn2_b64),
    [0x14] = OP32(s_orn2_b32),
    [0x15] = OP64(s_orn2_b64),
    [0x16] = OP32(s_nand_b32),
    [0x17] = OP64(s_nand_b64),
    [0x18] = OP32(s_nor_b32),
    [0x19] = OP64(s_nor_b64),
    [0x1a] = OP32(s_xnor_b32),
    [0x1b] = OP64(s_xnor_b64),
    [0x1c] = OP32(s_lshl_b32),
    [0x1d] = OP(s_lshl_b64, B64, B32, B64),
    [0x1e] = OP32(s_lshr_b32),
    [0x1f] = OP(s_lshr_b64, B64, B32, B64),
    [0x20] = OP32(s_ashr_i32),
    [0x21] = { "s_ashr_i64", s_ashr_i64, { B64, B32, NONE }, B64,
               SALU_SRC0_I64 },
    [0x22] = OP32(s_bfm_b32),
    [0x23] = OP(s_bfm_b64, B32, B32, B64),
    [0x24] = OP32(s_mul_i32),
    [0x25] = OP32(s_bfe_u32),
    [0x26] = OP32(s_bfe_i32),
    [0x27] = OP(s_bfe_u64, B64, B32, B64),
    [0x28] = { "s_bfe_i64", s_bfe_i64, { B64, B32, NONE }, B64,
               SALU_SRC0_I64 },
    [0x29] = REFUSED(s_cbranch_g_fork, SALU_NO_FORK),
    [0x2a] = OP32(s_absdiff_i32),
    [0x2b] = REFUSED(s_rfe_restore_b64, SALU_NO_TRAP_RET),
    [0x2c] = OP32(s_mul_hi_u32),
    [0x2d] = OP32(s_mul_hi_i32),
    [0x2e] = OP32(s_lshl1_add_u32),
    [0x2f] = OP32(s_lshl2_add_u32),
    [0x30] = OP32(s_lshl3_add_u32),
    [0x31] = OP32(s_lshl4_add_u32),
    [0x32] = OP32(s_pack_ll_b32_b16),
    [0x33] = OP32(s_pack_lh_b32_b16),
    [0x34] = OP32(s_pack_hh_b32_b16),
};

/*
 * SOP1: sdst = op ssrc0.  Operands: src[0], dst (either may be absent:
 * s_getpc_b64 has no source, s_setpc_b64 no destination).
 */

static bool s_mov_b32(VkfdWave *w, const VkfdShInsn *in)
{
    vkfd_sh_set_s32(w, &in->dst, src0(w, in));
    return true;
}

static bool s_mov_b64(VkfdWave *w, const VkfdShInsn *in)
{
    vkfd_sh_set_s64(w, &in->dst, src0_64(w, in));
    return true;
}

static bool s_cmov_b32(VkfdWave *w, const VkfdShInsn *in)
{
    if (w->scc) {
        vkfd_sh_set_s32(w, &in->dst, src0(w, in));
    }
    return true;
}

static bool s_cmov_b64(VkfdWave *w, const VkfdShInsn *in)
{
    if (w->scc) {
        vkfd_sh_set_s64(w, &in->dst, src0_64(w, in));
    }
    return true;
}

static bool s_not_b32(VkfdWave *w, const VkfdShInsn *in)
{
    return put32_nz(w, in, ~src0(w, in));
}

static bool s_not_b64(VkfdWave *w, const VkfdShInsn *in)
{
    return put64_nz(w, in, ~src0_64(w, in));
}

/* Whole quad mode: a quad of 4 bits is all ones if any of its bits is. */
static uint64_t wqm(uint64_t x)
{
    x |= x >> 1;
    x |= x >> 2;
    x &= 0x1111111111111111ull;
    return x * 0xf;
}

static bool s_wqm_b32(VkfdWave *w, const VkfdShInsn *in)
{
    return put32_nz(w, in, wqm(src0(w, in)));
}

static bool s_wqm_b64(VkfdWave *w, const VkfdShInsn *in)
{
    return put64_nz(w, in, wqm(src0_64(w, in)));
}

static bool s_brev_b32(VkfdWave *w, const VkfdShInsn *in)
{
    vkfd_sh_set_s32(w, &in->dst, revbit32(src0(w, in)));
    return true;
}

static bool s_brev_b64(VkfdWave *w, const VkfdShInsn *in)
{
    vkfd_sh_set_s64(w, &in->dst, revbit64(src0_64(w, in)));
    return true;
}

static bool s_bcnt0_i32_b32(VkfdWave *w, const VkfdShInsn *in)
{
    return put32_nz(w, in, ctpop32(~src0(w, in)));
}

static bool s_bcnt0_i32_b64(VkfdWave *w, const VkfdShInsn *in)
{
    return put32_nz(w, in, ctpop64(~src0_64(w, in)));
}

static bool s_bcnt1_i32_b32(VkfdWave *w, const VkfdShInsn *in)
{
    return put32_nz(w, in, ctpop32(src0(w, in)));
}

static bool s_bcnt1_i32_b64(VkfdWave *w, const VkfdShInsn *in)
{
    return put32_nz(w, in, ctpop64(src0_64(w, in)));
}

/* Bit searches give -1 when there is no such bit; SCC unchanged. */
static inline bool put_bitpos(VkfdWave *w, const VkfdShInsn *in,
                              bool found, unsigned pos)
{
    vkfd_sh_set_s32(w, &in->dst, found ? pos : UINT32_MAX);
    return true;
}

static bool s_ff0_i32_b32(VkfdWave *w, const VkfdShInsn *in)
{
    uint32_t x = ~src0(w, in);

    return put_bitpos(w, in, x, ctz32(x));
}

static bool s_ff0_i32_b64(VkfdWave *w, const VkfdShInsn *in)
{
    uint64_t x = ~src0_64(w, in);

    return put_bitpos(w, in, x, ctz64(x));
}

static bool s_ff1_i32_b32(VkfdWave *w, const VkfdShInsn *in)
{
    uint32_t x = src0(w, in);

    return put_bitpos(w, in, x, ctz32(x));
}

static bool s_ff1_i32_b64(VkfdWave *w, const VkfdShInsn *in)
{
    uint64_t x = src0_64(w, in);

    return put_bitpos(w, in, x, ctz64(x));
}

/* Leading zeros, counted from the MSB */
static bool s_flbit_i32_b32(VkfdWave *w, const VkfdShInsn *in)
{
    uint32_t x = src0(w, in);

    return put_bitpos(w, in, x, clz32(x));
}

static bool s_flbit_i32_b64(VkfdWave *w, const VkfdShInsn *in)
{
    uint64_t x = src0_64(w, in);

    return put_bitpos(w, in, x, clz64(x));
}

/* Leading bits equal to the sign bit: -1 for 0 and for -1 */
static bool s_flbit_i32(VkfdWave *w, const VkfdShInsn *in)
{
    uint32_t x = src0(w, in);

    x = (int32_t)x < 0 ? ~x : x;
    return put_bitpos(w, in, x, clz32(x));
}

static bool s_flbit_i32_i64(VkfdWave *w, const VkfdShInsn *in)
{
    uint64_t x = src0_64(w, in);

    x = (int64_t)x < 0 ? ~x : x;
    return put_bitpos(w, in, x, clz64(x));
}

static bool s_sext_i32_i8(VkfdWave *w, const VkfdShInsn *in)
{
    vkfd_sh_set_s32(w, &in->dst, (int8_t)src0(w, in));
    return true;
}

static bool s_sext_i32_i16(VkfdWave *w, const VkfdShInsn *in)
{
    vkfd_sh_set_s32(w, &in->dst, (int16_t)src0(w, in));
    return true;
}

/* s_bitset: the destination's bit src0[4:0] (64-bit: [5:0]) */
static bool s_bitset0_b32(VkfdWave *w, const VkfdShInsn *in)
{
    uint32_t d = w->s[in->dst.idx];

    vkfd_sh_set_s32(w, &in->dst, d & ~(1u << (src0(w, in) & 31)));
    return true;
}

static bool s_bitset1_b32(VkfdWave *w, const VkfdShInsn *in)
{
    uint32_t d = w->s[in->dst.idx];

    vkfd_sh_set_s32(w, &in->dst, d | 1u << (src0(w, in) & 31));
    return true;
}

static bool s_bitset0_b64(VkfdWave *w, const VkfdShInsn *in)
{
    uint64_t d = vkfd_sh_s64(w, &in->dst);

    vkfd_sh_set_s64(w, &in->dst, d & ~(1ull << (src0(w, in) & 63)));
    return true;
}

static bool s_bitset1_b64(VkfdWave *w, const VkfdShInsn *in)
{
    uint64_t d = vkfd_sh_s64(w, &in->dst);

    vkfd_sh_set_s64(w, &in->dst, d | 1ull << (src0(w, in) & 63));
    return true;
}

/* The run loop has moved w->pc to the next instruction already. */
static bool s_getpc_b64(VkfdWave *w, const VkfdShInsn *in)
{
    vkfd_sh_set_s64(w, &in->dst, w->pc);
    return true;
}

static bool s_setpc_b64(VkfdWave *w, const VkfdShInsn *in)
{
    w->pc = src0_64(w, in);
    return true;
}

static bool s_swappc_b64(VkfdWave *w, const VkfdShInsn *in)
{
    uint64_t to = src0_64(w, in);

    vkfd_sh_set_s64(w, &in->dst, w->pc);
    w->pc = to;
    return true;
}

/*
 * The EXEC-mask operations: sdst = EXEC, then EXEC = f(src0, EXEC) and
 * SCC = EXEC != 0 (the *_wrexec forms write the new EXEC to sdst too).
 * Both sources are read before anything is written, so sdst may be
 * src0 or EXEC itself.
 */
#define SALU_SAVEEXEC(name, expr, wr) \
    static bool name(VkfdWave *w, const VkfdShInsn *in) \
    { \
        uint64_t s = src0_64(w, in), e = vkfd_sh_exec_mask(w); \
        uint64_t n = (expr); \
        vkfd_sh_set_s64(w, &in->dst, (wr) ? n : e); \
        vkfd_sh_set_exec_mask(w, n); \
        w->scc = n != 0; \
        return true; \
    }

SALU_SAVEEXEC(s_and_saveexec_b64, s & e, false)
SALU_SAVEEXEC(s_or_saveexec_b64, s | e, false)
SALU_SAVEEXEC(s_xor_saveexec_b64, s ^ e, false)
SALU_SAVEEXEC(s_andn2_saveexec_b64, s & ~e, false)
SALU_SAVEEXEC(s_orn2_saveexec_b64, s | ~e, false)
SALU_SAVEEXEC(s_nand_saveexec_b64, ~(s & e), false)
SALU_SAVEEXEC(s_nor_saveexec_b64, ~(s | e), false)
SALU_SAVEEXEC(s_xnor_saveexec_b64, ~(s ^ e), false)
SALU_SAVEEXEC(s_andn1_saveexec_b64, ~s & e, false)
SALU_SAVEEXEC(s_orn1_saveexec_b64, ~s | e, false)
SALU_SAVEEXEC(s_andn1_wrexec_b64, ~s & e, true)
SALU_SAVEEXEC(s_andn2_wrexec_b64, s & ~e, true)

/* Bit i of the result: any bit of the quad src0[4i + 3:4i]. */
static uint64_t quadmask(uint64_t x, unsigned quads)
{
    uint64_t d = 0;
    unsigned i;

    for (i = 0; i < quads; i++) {
        d |= (uint64_t)((x >> (4 * i) & 0xf) != 0) << i;
    }
    return d;
}

static bool s_quadmask_b32(VkfdWave *w, const VkfdShInsn *in)
{
    return put32_nz(w, in, quadmask(src0(w, in), 8));
}

static bool s_quadmask_b64(VkfdWave *w, const VkfdShInsn *in)
{
    return put64_nz(w, in, quadmask(src0_64(w, in), 16));
}

/*
 * M0-relative SGPR moves: s_movrels reads s[src0 + M0], s_movreld writes
 * s[sdst + M0].  The index is known only now, so it is checked now.
 */
static bool movrel_bad(VkfdWave *w, const VkfdShInsn *in, uint32_t m0,
                       unsigned idx, unsigned dwords)
{
    if (m0 < VKFD_SH_SREGS && vkfd_sh_sreg_ok(w, idx + m0, dwords)) {
        return false;
    }
    vkfd_sh_fault(w, VKFD_SH_FAULT_OPERAND, in->pc,
                  "s_movrel*: SGPR + M0 outside the allocation");
    return true;
}

static bool s_movrels_b32(VkfdWave *w, const VkfdShInsn *in)
{
    uint32_t m0 = w->s[VKFD_SH_M0];

    if (movrel_bad(w, in, m0, in->src[0].idx, 1)) {
        return false;
    }
    vkfd_sh_set_s32(w, &in->dst, w->s[in->src[0].idx + m0]);
    return true;
}

static bool s_movrels_b64(VkfdWave *w, const VkfdShInsn *in)
{
    uint32_t m0 = w->s[VKFD_SH_M0];
    unsigned from = in->src[0].idx + m0;

    if (movrel_bad(w, in, m0, in->src[0].idx, 2)) {
        return false;
    }
    vkfd_sh_set_s64(w, &in->dst,
                    w->s[from] | (uint64_t)w->s[from + 1] << 32);
    return true;
}

static bool s_movreld_b32(VkfdWave *w, const VkfdShInsn *in)
{
    uint32_t m0 = w->s[VKFD_SH_M0], v = src0(w, in);

    if (movrel_bad(w, in, m0, in->dst.idx, 1)) {
        return false;
    }
    w->s[in->dst.idx + m0] = v;
    return true;
}

static bool s_movreld_b64(VkfdWave *w, const VkfdShInsn *in)
{
    uint32_t m0 = w->s[VKFD_SH_M0];
    uint64_t v = src0_64(w, in);

    if (movrel_bad(w, in, m0, in->dst.idx, 2)) {
        return false;
    }
    w->s[in->dst.idx + m0] = v;
    w->s[in->dst.idx + m0 + 1] = v >> 32;
    return true;
}

static bool s_abs_i32(VkfdWave *w, const VkfdShInsn *in)
{
    int32_t x = src0(w, in);

    return put32_nz(w, in, x < 0 ? -(uint32_t)x : (uint32_t)x);
}

/* Each bit of src0 twice: bit i goes to bits 2i and 2i + 1. */
static bool s_bitreplicate_b64_b32(VkfdWave *w, const VkfdShInsn *in)
{
    uint64_t x = src0(w, in);

    x = (x | x << 16) & 0x0000ffff0000ffffull;
    x = (x | x << 8) & 0x00ff00ff00ff00ffull;
    x = (x | x << 4) & 0x0f0f0f0f0f0f0f0full;
    x = (x | x << 2) & 0x3333333333333333ull;
    x = (x | x << 1) & 0x5555555555555555ull;
    vkfd_sh_set_s64(w, &in->dst, x | x << 1);
    return true;
}

#define OP1(n, s0, d)   { #n, n, { s0, NONE, NONE }, d }

static const VkfdShOp sop1_ops[] = {
    [0x00] = OP1(s_mov_b32, B32, B32),
    [0x01] = OP1(s_mov_b64, B64, B64),
    [0x02] = OP1(s_cmov_b32, B32, B32),
    [0x03] = OP1(s_cmov_b64, B64, B64),
    [0x04] = OP1(s_not_b32, B32, B32),
    [0x05] = OP1(s_not_b64, B64, B64),
    [0x06] = OP1(s_wqm_b32, B32, B32),
    [0x07] = OP1(s_wqm_b64, B64, B64),
    [0x08] = OP1(s_brev_b32, B32, B32),
    [0x09] = OP1(s_brev_b64, B64, B64),
    [0x0a] = OP1(s_bcnt0_i32_b32, B32, B32),
    [0x0b] = OP1(s_bcnt0_i32_b64, B64, B32),
    [0x0c] = OP1(s_bcnt1_i32_b32, B32, B32),
    [0x0d] = OP1(s_bcnt1_i32_b64, B64, B32),
    [0x0e] = OP1(s_ff0_i32_b32, B32, B32),
    [0x0f] = OP1(s_ff0_i32_b64, B64, B32),
    [0x10] = OP1(s_ff1_i32_b32, B32, B32),
    [0x11] = OP1(s_ff1_i32_b64, B64, B32),
    [0x12] = OP1(s_flbit_i32_b32, B32, B32),
    [0x13] = OP1(s_flbit_i32_b64, B64, B32),
    [0x14] = OP1(s_flbit_i32, B32, B32),
    [0x15] = { "s_flbit_i32_i64", s_flbit_i32_i64, { B64, NONE, NONE }, B32,
               SALU_SRC0_I64 },
    [0x16] = OP1(s_sext_i32_i8, B32, B32),
    [0x17] = OP1(s_sext_i32_i16, B32, B32),
    [0x18] = OP1(s_bitset0_b32, B32, B32),
    [0x19] = OP1(s_bitset0_b64, B32, B64),
    [0x1a] = OP1(s_bitset1_b32, B32, B32),
    [0x1b] = OP1(s_bitset1_b64, B32, B64),
    [0x1c] = OP1(s_getpc_b64, NONE, B64),
    [0x1d] = OP1(s_setpc_b64, B64, NONE),
    [0x1e] = OP1(s_swappc_b64, B64, B64),
    [0x1f] = REFUSED(s_rfe_b64, SALU_NO_TRAP_RET),
    [0x20] = OP1(s_and_saveexec_b64, B64, B64),
    [0x21] = OP1(s_or_saveexec_b64, B64, B64),
    [0x22] = OP1(s_xor_saveexec_b64, B64, B64),
    [0x23] = OP1(s_andn2_saveexec_b64, B64, B64),
    [0x24] = OP1(s_orn2_saveexec_b64, B64, B64),
    [0x25] = OP1(s_nand_saveexec_b64, B64, B64),
    [0x26] = OP1(s_nor_saveexec_b64, B64, B64),
    [0x27] = OP1(s_xnor_saveexec_b64, B64, B64),
    [0x28] = OP1(s_quadmask_b32, B32, B32),
    [0x29] = OP1(s_quadmask_b64, B64, B64),
    [0x2a] = OP1(s_movrels_b32, B32, B32),
    [0x2b] = OP1(s_movrels_b64, B64, B64),
    [0x2c] = OP1(s_movreld_b32, B32, B32),
    [0x2d] = OP1(s_movreld_b64, B64, B64),
    [0x2e] = REFUSED(s_cbranch_join, SALU_NO_FORK),
    [0x30] = OP1(s_abs_i32, B32, B32),
    [0x32] = REFUSED(s_set_gpr_idx_idx, SALU_NO_GPR_IDX),
    [0x33] = OP1(s_andn1_saveexec_b64, B64, B64),
    [0x34] = OP1(s_orn1_saveexec_b64, B64, B64),
    [0x35] = OP1(s_andn1_wrexec_b64, B64, B64),
    [0x36] = OP1(s_andn2_wrexec_b64, B64, B64),
    [0x37] = OP1(s_bitreplicate_b64_b32, B32, B64),
};

/*
 * SOPC: SCC = ssrc0 cmp ssrc1.  Operands: src[0], src[1].
 */
#define SALU_CMP(name, type, get, expr) \
    static bool name(VkfdWave *w, const VkfdShInsn *in) \
    { \
        type a = get(w, &in->src[0]), b = get(w, &in->src[1]); \
        w->scc = (expr); \
        return true; \
    }

SALU_CMP(s_cmp_eq_i32, int32_t, salu_s32, a == b)
SALU_CMP(s_cmp_lg_i32, int32_t, salu_s32, a != b)
SALU_CMP(s_cmp_gt_i32, int32_t, salu_s32, a > b)
SALU_CMP(s_cmp_ge_i32, int32_t, salu_s32, a >= b)
SALU_CMP(s_cmp_lt_i32, int32_t, salu_s32, a < b)
SALU_CMP(s_cmp_le_i32, int32_t, salu_s32, a <= b)
SALU_CMP(s_cmp_eq_u32, uint32_t, salu_s32, a == b)
SALU_CMP(s_cmp_lg_u32, uint32_t, salu_s32, a != b)
SALU_CMP(s_cmp_gt_u32, uint32_t, salu_s32, a > b)
SALU_CMP(s_cmp_ge_u32, uint32_t, salu_s32, a >= b)
SALU_CMP(s_cmp_lt_u32, uint32_t, salu_s32, a < b)
SALU_CMP(s_cmp_le_u32, uint32_t, salu_s32, a <= b)
SALU_CMP(s_cmp_eq_u64, uint64_t, salu_s64, a == b)
SALU_CMP(s_cmp_lg_u64, uint64_t, salu_s64, a != b)

static bool s_bitcmp0_b32(VkfdWave *w, const VkfdShInsn *in)
{
    w->scc = !(src0(w, in) >> (src1(w, in) & 31) & 1);
    return true;
}

static bool s_bitcmp1_b32(VkfdWave *w, const VkfdShInsn *in)
{
    w->scc = src0(w, in) >> (src1(w, in) & 31) & 1;
    return true;
}

static bool s_bitcmp0_b64(VkfdWave *w, const VkfdShInsn *in)
{
    w->scc = !(src0_64(w, in) >> (src1(w, in) & 63) & 1);
    return true;
}

static bool s_bitcmp1_b64(VkfdWave *w, const VkfdShInsn *in)
{
    w->scc = src0_64(w, in) >> (src1(w, in) & 63) & 1;
    return true;
}

#define CMP(n, t)       { #n, n, { t, t, NONE }, NONE }

static const VkfdShOp sopc_ops[] = {
    [0x00] = CMP(s_cmp_eq_i32, B32),
    [0x01] = CMP(s_cmp_lg_i32, B32),
    [0x02] = CMP(s_cmp_gt_i32, B32),
    [0x03] = CMP(s_cmp_ge_i32, B32),
    [0x04] = CMP(s_cmp_lt_i32, B32),
    [0x05] = CMP(s_cmp_le_i32, B32),
    [0x06] = CMP(s_cmp_eq_u32, B32),
    [0x07] = CMP(s_cmp_lg_u32, B32),
    [0x08] = CMP(s_cmp_gt_u32, B32),
    [0x09] = CMP(s_cmp_ge_u32, B32),
    [0x0a] = CMP(s_cmp_lt_u32, B32),
    [0x0b] = CMP(s_cmp_le_u32, B32),
    [0x0c] = CMP(s_bitcmp0_b32, B32),
    [0x0d] = CMP(s_bitcmp1_b32, B32),
    [0x0e] = OP(s_bitcmp0_b64, B64, B32, NONE),
    [0x0f] = OP(s_bitcmp1_b64, B64, B32, NONE),
    [0x10] = REFUSED(s_setvskip, SALU_NO_VSKIP),
    [0x11] = REFUSED(s_set_gpr_idx_on, SALU_NO_GPR_IDX),
    [0x12] = CMP(s_cmp_eq_u64, B64),
    [0x13] = CMP(s_cmp_lg_u64, B64),
};

/*
 * SOPK: sdst and a 16-bit immediate (in->imm, sign-extended).  The
 * s_cmpk_* compare src[0] (the sdst field, read) with the immediate,
 * sign-extended for _i32 and zero-extended for _u32; s_addk and s_mulk
 * read and write dst; s_getreg/s_setreg name a hardware register in
 * the immediate, s_setreg_imm32_b32 takes its value from the literal
 * (src[0]).
 */

static bool s_movk_i32(VkfdWave *w, const VkfdShInsn *in)
{
    vkfd_sh_set_s32(w, &in->dst, in->imm);
    return true;
}

static bool s_cmovk_i32(VkfdWave *w, const VkfdShInsn *in)
{
    if (w->scc) {
        vkfd_sh_set_s32(w, &in->dst, in->imm);
    }
    return true;
}

#define SALU_CMPK(name, type, k, expr) \
    static bool name(VkfdWave *w, const VkfdShInsn *in) \
    { \
        type a = src0(w, in), b = (k); \
        w->scc = (expr); \
        return true; \
    }

SALU_CMPK(s_cmpk_eq_i32, int32_t, in->imm, a == b)
SALU_CMPK(s_cmpk_lg_i32, int32_t, in->imm, a != b)
SALU_CMPK(s_cmpk_gt_i32, int32_t, in->imm, a > b)
SALU_CMPK(s_cmpk_ge_i32, int32_t, in->imm, a >= b)
SALU_CMPK(s_cmpk_lt_i32, int32_t, in->imm, a < b)
SALU_CMPK(s_cmpk_le_i32, int32_t, in->imm, a <= b)
SALU_CMPK(s_cmpk_eq_u32, uint32_t, (uint16_t)in->imm, a == b)
SALU_CMPK(s_cmpk_lg_u32, uint32_t, (uint16_t)in->imm, a != b)
SALU_CMPK(s_cmpk_gt_u32, uint32_t, (uint16_t)in->imm, a > b)
SALU_CMPK(s_cmpk_ge_u32, uint32_t, (uint16_t)in->imm, a >= b)
SALU_CMPK(s_cmpk_lt_u32, uint32_t, (uint16_t)in->imm, a < b)
SALU_CMPK(s_cmpk_le_u32, uint32_t, (uint16_t)in->imm, a <= b)

static bool s_addk_i32(VkfdWave *w, const VkfdShInsn *in)
{
    uint32_t a = w->s[in->dst.idx], b = in->imm, d = a + b;

    vkfd_sh_set_s32(w, &in->dst, d);
    w->scc = ((a ^ d) & (b ^ d)) >> 31;
    return true;
}

static bool s_mulk_i32(VkfdWave *w, const VkfdShInsn *in)
{
    vkfd_sh_set_s32(w, &in->dst, w->s[in->dst.idx] * (uint32_t)in->imm);
    return true;
}

/* simm16 of s_getreg/s_setreg: id [5:0], offset [10:6], size - 1 [15:11] */
static inline unsigned hwreg_id(int32_t imm)
{
    return extract32(imm, 0, 6);
}

static inline unsigned hwreg_offset(int32_t imm)
{
    return extract32(imm, 6, 5);
}

static inline uint32_t hwreg_mask(int32_t imm)
{
    unsigned size = extract32(imm, 11, 5) + 1;

    return (uint32_t)MAKE_64BIT_MASK(0, size) << hwreg_offset(imm);
}

static bool s_getreg_b32(VkfdWave *w, const VkfdShInsn *in)
{
    uint32_t v;

    if (!vkfd_sh_hwreg_read(w, hwreg_id(in->imm), &v)) {
        return vkfd_sh_fault(w, VKFD_SH_FAULT_ILLEGAL, in->pc,
                             "s_getreg_b32: unknown hardware register");
    }
    vkfd_sh_set_s32(w, &in->dst, (v & hwreg_mask(in->imm)) >>
                                 hwreg_offset(in->imm));
    return true;
}

static bool s_setreg_b32(VkfdWave *w, const VkfdShInsn *in)
{
    uint32_t v = src0(w, in) << hwreg_offset(in->imm);

    if (!vkfd_sh_hwreg_write(w, hwreg_id(in->imm), v, hwreg_mask(in->imm))) {
        return vkfd_sh_fault(w, VKFD_SH_FAULT_ILLEGAL, in->pc,
                             "s_setreg_b32: unknown hardware register");
    }
    return true;
}

/* s_call_b64: sdst = the return address, then a branch like s_branch's */
static bool s_call_b64(VkfdWave *w, const VkfdShInsn *in)
{
    vkfd_sh_set_s64(w, &in->dst, w->pc);
    w->pc += (int64_t)in->imm * 4;
    return true;
}

/* How SOPK's sdst field is used */
#define SOPK_DST    0u      /* written (and read, for s_addk/s_mulk) */
#define SOPK_SRC    1u      /* only read: src[0] */
#define SOPK_LIT    2u      /* src[0] is the literal (setreg_imm32) */
#define SOPK_HWREG  4u      /* the immediate names a hardware register */

#define K(n, d, how)    { #n, n, { NONE, NONE, NONE }, d, how }

static const VkfdShOp sopk_ops[] = {
    [0x00] = K(s_movk_i32, B32, SOPK_DST),
    [0x01] = K(s_cmovk_i32, B32, SOPK_DST),
    [0x02] = K(s_cmpk_eq_i32, NONE, SOPK_SRC),
    [0x03] = K(s_cmpk_lg_i32, NONE, SOPK_SRC),
    [0x04] = K(s_cmpk_gt_i32, NONE, SOPK_SRC),
    [0x05] = K(s_cmpk_ge_i32, NONE, SOPK_SRC),
    [0x06] = K(s_cmpk_lt_i32, NONE, SOPK_SRC),
    [0x07] = K(s_cmpk_le_i32, NONE, SOPK_SRC),
    [0x08] = K(s_cmpk_eq_u32, NONE, SOPK_SRC),
    [0x09] = K(s_cmpk_lg_u32, NONE, SOPK_SRC),
    [0x0a] = K(s_cmpk_gt_u32, NONE, SOPK_SRC),
    [0x0b] = K(s_cmpk_ge_u32, NONE, SOPK_SRC),
    [0x0c] = K(s_cmpk_lt_u32, NONE, SOPK_SRC),
    [0x0d] = K(s_cmpk_le_u32, NONE, SOPK_SRC),
    [0x0e] = K(s_addk_i32, B32, SOPK_DST),
    [0x0f] = K(s_mulk_i32, B32, SOPK_DST),
    [0x10] = REFUSED(s_cbranch_i_fork, SALU_NO_FORK),
    [0x11] = K(s_getreg_b32, B32, SOPK_DST | SOPK_HWREG),
    [0x12] = K(s_setreg_b32, NONE, SOPK_SRC | SOPK_HWREG),
    [0x14] = { "s_setreg_imm32_b32", s_setreg_b32, { NONE, NONE, NONE },
               NONE, SOPK_LIT | SOPK_HWREG },
    [0x15] = K(s_call_b64, B64, SOPK_DST),
};

/*
 * Decoders
 */

/* The table's entry for opc, or NULL with dc->why set. */
static const VkfdShOp *salu_lookup(VkfdShDecoder *dc, const VkfdShOp *ops,
                                   unsigned n, unsigned opc,
                                   const char *unknown)
{
    const VkfdShOp *op = opc < n ? &ops[opc] : NULL;

    if (!op || !op->name) {
        dc->why = unknown;
        return NULL;
    }
    if (!op->exec) {
        dc->why = salu_refused(op);
        return NULL;
    }
    return op;
}

static void salu_begin(VkfdShInsn *in, const VkfdShOp *op, unsigned family,
                       unsigned opc)
{
    in->op = op;
    in->exec = op->exec;
    in->family = family;
    in->opcode = opc;
    in->len = 4;
}

/* src[i] from an 8-bit SALU source field, if the opcode has one */
static bool salu_src(VkfdShDecoder *dc, VkfdShInsn *in, unsigned i,
                     unsigned enc)
{
    if (in->op->src[i] == VKFD_SH_NONE) {
        return true;
    }
    return vkfd_sh_decode_src(dc, in, enc, in->op->src[i],
                              VKFD_SH_DEC_NO_VGPR |
                              (i == 0 && (in->op->flags & SALU_SRC0_I64) ?
                               VKFD_SH_DEC_SEXT64 : 0), &in->src[i]);
}

static bool salu_dst(VkfdShDecoder *dc, VkfdShInsn *in, unsigned enc)
{
    if (in->op->dst == VKFD_SH_NONE) {
        return true;
    }
    return vkfd_sh_decode_sdst(dc, in, enc, in->op->dst, &in->dst);
}

/* SOP2: op [29:23], sdst [22:16], ssrc1 [15:8], ssrc0 [7:0] */
bool vkfd_sh_decode_sop2(VkfdShDecoder *dc, VkfdShInsn *in)
{
    uint32_t dw = dc->dw[0];
    unsigned opc = extract32(dw, 23, 7);
    const VkfdShOp *op = salu_lookup(dc, sop2_ops, ARRAY_SIZE(sop2_ops), opc,
                                     "sop2: unknown opcode");

    if (!op) {
        return false;
    }
    salu_begin(in, op, VKFD_SH_SOP2, opc);
    return salu_src(dc, in, 0, extract32(dw, 0, 8)) &&
           salu_src(dc, in, 1, extract32(dw, 8, 8)) &&
           salu_dst(dc, in, extract32(dw, 16, 7));
}

/* SOP1: sdst [22:16], op [15:8], ssrc0 [7:0] */
bool vkfd_sh_decode_sop1(VkfdShDecoder *dc, VkfdShInsn *in)
{
    uint32_t dw = dc->dw[0];
    unsigned opc = extract32(dw, 8, 8);
    const VkfdShOp *op = salu_lookup(dc, sop1_ops, ARRAY_SIZE(sop1_ops), opc,
                                     "sop1: unknown opcode");

    if (!op) {
        return false;
    }
    salu_begin(in, op, VKFD_SH_SOP1, opc);
    if (!salu_src(dc, in, 0, extract32(dw, 0, 8)) ||
        !salu_dst(dc, in, extract32(dw, 16, 7))) {
        return false;
    }
    if (op->exec == s_movrels_b32 || op->exec == s_movrels_b64) {
        if (in->src[0].kind != VKFD_SH_OPD_SREG) {
            dc->why = "s_movrels: the source must be an SGPR";
            dc->operand = true;
            return false;
        }
    }
    return true;
}

/* SOPC: op [22:16], ssrc1 [15:8], ssrc0 [7:0] */
bool vkfd_sh_decode_sopc(VkfdShDecoder *dc, VkfdShInsn *in)
{
    uint32_t dw = dc->dw[0];
    unsigned opc = extract32(dw, 16, 7);
    const VkfdShOp *op = salu_lookup(dc, sopc_ops, ARRAY_SIZE(sopc_ops), opc,
                                     "sopc: unknown opcode");

    if (!op) {
        return false;
    }
    salu_begin(in, op, VKFD_SH_SOPC, opc);
    return salu_src(dc, in, 0, extract32(dw, 0, 8)) &&
           salu_src(dc, in, 1, extract32(dw, 8, 8));
}

/* The hardware registers of gfx90a that s_getreg/s_setreg may name */
enum {
    HWREG_MODE = 1,
    HWREG_STATUS = 2,
    HWREG_TRAPSTS = 3,
    HWREG_HW_ID = 4,
    HWREG_GPR_ALLOC = 5,
    HWREG_LDS_ALLOC = 6,
    HWREG_IB_STS = 7,
    HWREG_SH_MEM_BASES = 15,
};

static bool hwreg_known(unsigned id)
{
    return (id >= HWREG_MODE && id <= HWREG_IB_STS) ||
           id == HWREG_SH_MEM_BASES;
}

/* SOPK: op [27:23], sdst [22:16], simm16 [15:0] */
bool vkfd_sh_decode_sopk(VkfdShDecoder *dc, VkfdShInsn *in)
{
    uint32_t dw = dc->dw[0];
    unsigned opc = extract32(dw, 23, 5), reg = extract32(dw, 16, 7);
    const VkfdShOp *op = salu_lookup(dc, sopk_ops, ARRAY_SIZE(sopk_ops), opc,
                                     "sopk: unknown opcode");

    if (!op) {
        return false;
    }
    salu_begin(in, op, VKFD_SH_SOPK, opc);
    in->imm = sextract32(dw, 0, 16);
    if ((op->flags & SOPK_HWREG) && !hwreg_known(hwreg_id(in->imm))) {
        dc->why = "s_getreg/s_setreg: no such hardware register on gfx90a";
        return false;
    }
    if (op->flags & SOPK_LIT) {
        return vkfd_sh_decode_src(dc, in, VKFD_SH_SRC_LITERAL, VKFD_SH_B32,
                                  VKFD_SH_DEC_NO_VGPR, &in->src[0]);
    }
    if (op->flags & SOPK_SRC) {
        return vkfd_sh_decode_src(dc, in, reg, VKFD_SH_B32,
                                  VKFD_SH_DEC_NO_VGPR, &in->src[0]);
    }
    return salu_dst(dc, in, reg);
}

/*
 * Hardware registers
 *
 * What a compute wave on gfx90a reads: MODE and TRAPSTS are its own
 * (VkfdWave), STATUS is made of SCC, EXECZ and VCCZ, HW_ID names the
 * wave's slot, GPR_ALLOC and LDS_ALLOC its allocation in the hardware's
 * granules, IB_STS its outstanding counters (none: memory is synchronous
 * here), SH_MEM_BASES the top 16 bits of the private and shared
 * apertures.  s_setreg writes MODE and TRAPSTS; the others are read-only,
 * and writes to them are dropped as the hardware drops them.
 */
#define STATUS_SCC          (1u << 0)
#define STATUS_EXECZ        (1u << 9)
#define STATUS_VCCZ         (1u << 10)
#define STATUS_VALID        (1u << 16)

#define GPR_ALLOC_VGPR_SIZE_SHIFT   8   /* granules of 8, minus 1 */
#define GPR_ALLOC_SGPR_SIZE_SHIFT   24  /* granules of 16, minus 1 */
#define LDS_ALLOC_SIZE_SHIFT        12  /* granules of 128 dwords */

bool vkfd_sh_hwreg_read(VkfdWave *w, unsigned id, uint32_t *val)
{
    switch (id) {
    case HWREG_MODE:
        *val = w->mode;
        return true;
    case HWREG_STATUS:
        *val = (w->scc ? STATUS_SCC : 0) |
               (vkfd_sh_exec_mask(w) ? 0 : STATUS_EXECZ) |
               (vkfd_sh_vcc(w) ? 0 : STATUS_VCCZ) | STATUS_VALID;
        return true;
    case HWREG_TRAPSTS:
        *val = w->trapsts;
        return true;
    case HWREG_HW_ID:
        *val = w->wave_id & 0xf;
        return true;
    case HWREG_GPR_ALLOC:
        *val = (DIV_ROUND_UP(MAX(w->num_vgprs, 1), 8) - 1)
                   << GPR_ALLOC_VGPR_SIZE_SHIFT |
               (DIV_ROUND_UP(MAX(w->num_sgprs, 1), 16) - 1)
                   << GPR_ALLOC_SGPR_SIZE_SHIFT;
        return true;
    case HWREG_LDS_ALLOC:
        *val = MIN(DIV_ROUND_UP(w->lds_size, 512), 0x1ff)
               << LDS_ALLOC_SIZE_SHIFT;
        return true;
    case HWREG_IB_STS:
        *val = 0;
        return true;
    case HWREG_SH_MEM_BASES:
        *val = (uint32_t)(w->private_base >> 48) |
               (uint32_t)(w->shared_base >> 48) << 16;
        return true;
    default:
        return false;
    }
}

bool vkfd_sh_hwreg_write(VkfdWave *w, unsigned id, uint32_t val,
                         uint32_t mask)
{
    switch (id) {
    case HWREG_MODE:
        w->mode = (w->mode & ~mask) | (val & mask);
        return true;
    case HWREG_TRAPSTS:
        w->trapsts = (w->trapsts & ~mask) | (val & mask);
        return true;
    default:
        return hwreg_known(id);
    }
}
