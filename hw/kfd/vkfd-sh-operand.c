/*
 * vkfd: a virtual AMD KFD device -- shader core: operand decoding
 *
 * The one place that decides whether a register index is valid.  A
 * decoder hands over an operand field and the type the opcode reads it
 * as; what comes back is a register range checked against the wave's
 * allocation, or a constant already in the operand's type:
 *
 *   integer inline constants 0, 1..64, -1..-16: the integer itself, in
 *     every type (a float operand sees the bit pattern, so `1` is a
 *     denormal); 64-bit types get it sign-extended, 16-bit ones its low
 *     16 bits;
 *   float inline constants 0.5, -0.5, 1, -1, 2, -2, 4, -4, 1/(2 pi):
 *     the f16 pattern for 16-bit operands, the f64 pattern for every
 *     64-bit operand (integer ones too, as LLVM encodes s_mov_b64 with
 *     1.0), the f32 pattern otherwise;
 *   the literal (the dword after the instruction): f64 operands take it
 *     as the high dword (low dword zero), other 64-bit operands zero-
 *     extended (sign-extended with VKFD_SH_DEC_SEXT64, the i64 operands
 *     of LLVM's operand syntax), 16-bit operands its low 16 bits;
 *   src_shared_base/limit, src_private_base/limit: the high 32 bits of
 *     the LDS or scratch aperture base/limit for 32-bit operands, the
 *     whole 64-bit address for 64-bit ones.
 *
 * Register tuples must be aligned as the hardware requires: SGPR pairs
 * even, larger SGPR tuples on a multiple of 4; gfx90a's VGPR and AGPR
 * tuples even.  A tuple may not run from one special register into
 * another (s[124:125] is M0 and a reserved slot).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "vkfd.h"
#include "vkfd-sh.h"

/* The float inline constants 240..248 in each width */
static const uint16_t fconst16[9] = {
    0x3800, 0xb800, 0x3c00, 0xbc00, 0x4000, 0xc000, 0x4400, 0xc400, 0x3118,
};
static const uint32_t fconst32[9] = {
    0x3f000000, 0xbf000000, 0x3f800000, 0xbf800000,
    0x40000000, 0xc0000000, 0x40800000, 0xc0800000, 0x3e22f983,
};
static const uint64_t fconst64[9] = {
    0x3fe0000000000000ull, 0xbfe0000000000000ull,
    0x3ff0000000000000ull, 0xbff0000000000000ull,
    0x4000000000000000ull, 0xc000000000000000ull,
    0x4010000000000000ull, 0xc010000000000000ull,
    0x3fc45f306dc9c882ull,
};

static bool opd_fail(VkfdShDecoder *dc, const char *why)
{
    dc->why = why;
    dc->operand = true;
    return false;
}

static bool type_is64(VkfdShType t)
{
    return t == VKFD_SH_B64 || t == VKFD_SH_F64;
}

/*
 * The special registers a tuple starting at idx may cover: the groups
 * FLAT_SCRATCH, XNACK_MASK, VCC, TTMP0..15, M0, EXEC.  Returns the end
 * of idx's group, or 0 for the reserved slot 125.
 */
static unsigned special_end(unsigned idx)
{
    if (idx < VKFD_SH_XNACK_MASK_LO) {
        return VKFD_SH_XNACK_MASK_LO;
    }
    if (idx < VKFD_SH_VCC_LO) {
        return VKFD_SH_VCC_LO;
    }
    if (idx < VKFD_SH_TTMP0) {
        return VKFD_SH_TTMP0;
    }
    if (idx < VKFD_SH_M0) {
        return VKFD_SH_M0;
    }
    if (idx == VKFD_SH_M0) {
        return VKFD_SH_M0 + 1;
    }
    if (idx >= VKFD_SH_EXEC_LO && idx <= VKFD_SH_EXEC_HI) {
        return VKFD_SH_EXEC_HI + 1;
    }
    return 0;
}

bool vkfd_sh_sreg_ok(const VkfdWave *w, unsigned idx, unsigned dwords)
{
    if (!dwords || idx >= VKFD_SH_SREGS || dwords > VKFD_SH_SREGS - idx) {
        return false;
    }
    if (idx < VKFD_SH_MAX_SGPRS) {
        return idx + dwords <= w->num_sgprs;
    }
    return idx + dwords <= special_end(idx);
}

bool vkfd_sh_vreg_ok(const VkfdWave *w, unsigned row, unsigned dwords)
{
    return dwords && row < w->num_vgprs && dwords <= w->num_vgprs - row;
}

/* A scalar register tuple by its encoding (0..127). */
static bool decode_sreg(VkfdShDecoder *dc, unsigned enc, VkfdShType type,
                        VkfdShOpd *o)
{
    unsigned n = vkfd_sh_type_dwords(type);

    if (n == 2 && (enc & 1)) {
        return opd_fail(dc, "64-bit SGPR operand not even-aligned");
    }
    if (n > 2 && (enc & 3)) {
        return opd_fail(dc, "SGPR tuple not aligned to 4");
    }
    if (!vkfd_sh_sreg_ok(dc->w, enc, n)) {
        return opd_fail(dc, enc < VKFD_SH_MAX_SGPRS ?
                        "SGPR beyond the dispatch's allocation" :
                        "special register range not addressable");
    }
    o->kind = VKFD_SH_OPD_SREG;
    o->type = type;
    o->idx = enc;
    return true;
}

bool vkfd_sh_decode_vgpr(VkfdShDecoder *dc, VkfdShInsn *in, unsigned idx,
                         bool acc, VkfdShType type, VkfdShOpd *o)
{
    const VkfdWave *w = dc->w;
    unsigned n = vkfd_sh_type_dwords(type);
    unsigned base = acc ? w->accum_offset : 0;
    unsigned end = acc ? w->num_vgprs : w->accum_offset;

    memset(o, 0, sizeof(*o));
    if (type == VKFD_SH_NONE) {
        return true;
    }
    if (idx > 255) {
        return opd_fail(dc, "VGPR field out of range");
    }
    if (n > 1 && (idx & 1)) {
        return opd_fail(dc, acc ? "AGPR tuple not even-aligned" :
                        "VGPR tuple not even-aligned");
    }
    if (base + idx + n > end) {
        return opd_fail(dc, acc ? "AGPR beyond the dispatch's allocation" :
                        "VGPR beyond the dispatch's allocation");
    }
    o->kind = VKFD_SH_OPD_VGPR;
    o->type = type;
    o->idx = base + idx;
    return true;
}

bool vkfd_sh_decode_sdst(VkfdShDecoder *dc, VkfdShInsn *in, unsigned enc,
                         VkfdShType type, VkfdShOpd *o)
{
    memset(o, 0, sizeof(*o));
    if (type == VKFD_SH_NONE) {
        return true;
    }
    if (enc >= VKFD_SH_SREGS) {
        return opd_fail(dc, "scalar destination is not a register");
    }
    return decode_sreg(dc, enc, type, o);
}

/* An inline constant 128..208 or 240..248 in type t. */
static uint64_t inline_const(unsigned enc, VkfdShType t)
{
    int64_t i;

    if (enc >= VKFD_SH_SRC_F_HALF) {
        enc -= VKFD_SH_SRC_F_HALF;
        if (t == VKFD_SH_F16) {
            return fconst16[enc];
        }
        return type_is64(t) ? fconst64[enc] : fconst32[enc];
    }
    i = enc <= VKFD_SH_SRC_INT_MAX ? (int64_t)enc - VKFD_SH_SRC_ZERO :
        VKFD_SH_SRC_INT_MAX - (int64_t)enc;
    if (t == VKFD_SH_F16) {
        return (uint16_t)i;
    }
    return type_is64(t) ? (uint64_t)i : (uint32_t)i;
}

static uint64_t aperture(const VkfdWave *w, unsigned enc, VkfdShType t)
{
    uint64_t base = enc <= VKFD_SH_SRC_SHARED_LIMIT ? w->shared_base :
                    w->private_base;
    uint64_t v = (enc == VKFD_SH_SRC_SHARED_LIMIT ||
                  enc == VKFD_SH_SRC_PRIVATE_LIMIT) ?
                 VKFD_APERTURE_LIMIT(base) : base;

    return type_is64(t) ? v : v >> 32;
}

bool vkfd_sh_decode_src(VkfdShDecoder *dc, VkfdShInsn *in, unsigned enc,
                        VkfdShType type, unsigned flags, VkfdShOpd *o)
{
    uint64_t lit;

    memset(o, 0, sizeof(*o));
    if (type == VKFD_SH_NONE) {
        return true;
    }
    if (enc >= VKFD_SH_SRC_VGPR0) {
        if (flags & VKFD_SH_DEC_NO_VGPR) {
            return opd_fail(dc, "VGPR where only scalars are allowed");
        }
        return vkfd_sh_decode_vgpr(dc, in, enc - VKFD_SH_SRC_VGPR0, false,
                                   type, o);
    }
    if (enc < VKFD_SH_SRC_ZERO) {
        return decode_sreg(dc, enc, type, o);
    }
    if (flags & VKFD_SH_DEC_NO_CONST) {
        return opd_fail(dc, "constant where a register is required");
    }
    if (vkfd_sh_type_dwords(type) > 2) {
        return opd_fail(dc, "constant for a register tuple operand");
    }
    o->type = type;
    o->kind = VKFD_SH_OPD_CONST;
    if (enc <= VKFD_SH_SRC_NEG_MAX ||
        (enc >= VKFD_SH_SRC_F_HALF && enc <= VKFD_SH_SRC_INV_2PI)) {
        o->val = inline_const(enc, type);
        return true;
    }
    switch (enc) {
    case VKFD_SH_SRC_SHARED_BASE:
    case VKFD_SH_SRC_SHARED_LIMIT:
    case VKFD_SH_SRC_PRIVATE_BASE:
    case VKFD_SH_SRC_PRIVATE_LIMIT:
        o->val = aperture(dc->w, enc, type);
        return true;
    case VKFD_SH_SRC_VCCZ:
        o->kind = VKFD_SH_OPD_VCCZ;
        return true;
    case VKFD_SH_SRC_EXECZ:
        o->kind = VKFD_SH_OPD_EXECZ;
        return true;
    case VKFD_SH_SRC_SCC:
        o->kind = VKFD_SH_OPD_SCC;
        return true;
    case VKFD_SH_SRC_LITERAL:
        if (flags & VKFD_SH_DEC_NO_LITERAL) {
            return opd_fail(dc, "literal in an encoding that has none");
        }
        in->len = 8;
        lit = dc->dw[1];
        if (type == VKFD_SH_F64) {
            lit <<= 32;
        } else if (type == VKFD_SH_F16) {
            lit &= 0xffff;
        } else if (type == VKFD_SH_B64 && (flags & VKFD_SH_DEC_SEXT64)) {
            lit = (int64_t)(int32_t)lit;
        }
        o->val = lit;
        return true;
    case VKFD_SH_SRC_POPS_EXITING:
        return opd_fail(dc, "src_pops_exiting_wave_id is not supported");
    case VKFD_SH_SRC_LDS_DIRECT:
        return opd_fail(dc, "LDS_DIRECT is not supported");
    case VKFD_SH_SRC_SDWA:
    case VKFD_SH_SRC_DPP:
        return opd_fail(dc, "SDWA/DPP marker outside a VOP1/VOP2/VOPC src0");
    }
    return opd_fail(dc, "reserved source operand encoding");
}
