/*
 * vkfd: a virtual AMD KFD device -- shader core: the VALU units' shared
 * definitions (vkfd-sh-valu.c: decoders, modifiers, integer ops;
 * vkfd-sh-valu-fp.c: floating-point ops)
 *
 * Each VALU opcode space has two tables, indexed by the opcode as the
 * family's encoding spells it: the integer/bit/move/lane ops in
 * vkfd-sh-valu.c (vkfd_sh_vop*_int) and the floating-point ops in
 * vkfd-sh-valu-fp.c (vkfd_sh_vop*_fp).  A decoder looks an opcode up in
 * both; an opcode present in neither (a hole: exec == NULL) is illegal.
 *
 * The VOP3 encoding of a VOPC, VOP2 or VOP1 opcode (VOP3 opcodes
 * 0x000-0x0ff, 0x100-0x13f, 0x140-0x1bf) uses that family's entry; the
 * VOP3 tables hold only the VOP3-only opcodes (0x1c0 on) and are indexed
 * by the full 10-bit VOP3 opcode.
 *
 * Decoded operands, the same for every encoding of an opcode, so that one
 * handler serves the 32-bit, VOP3, DPP and SDWA forms:
 *   src[0..2]  the sources, in the types of the entry's src[] (src2 of a
 *              VOP2 with carry in, or of v_cndmask_b32, is VCC in the
 *              32-bit form; src2 of a MAC op is its destination)
 *   dst        the VGPR destination (an SGPR for VKFD_SH_VF_SDST ops)
 *   sdst       the lane-mask destination of VKFD_SH_VF_SDST_MASK ops (carry
 *              out, compares): VCC in the 32-bit forms
 *
 * in->mods is VKFD_SH_MODS_NONE unless a modifier does something, so a
 * handler may take a fast path on it; the helpers below check it too.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HW_KFD_VKFD_SH_VALU_H
#define HW_KFD_VKFD_SH_VALU_H

#include "vkfd-sh.h"

/* Opcode spaces: the number of entries of each family's tables */
#define VKFD_SH_VOP1_OPS        256
#define VKFD_SH_VOP2_OPS        64
#define VKFD_SH_VOPC_OPS        256
#define VKFD_SH_VOP3_OPS        1024    /* VOP3-only ops: 0x1c0 .. 0x3ff */
#define VKFD_SH_VOP3P_OPS       128

#define VKFD_SH_VOP3_VOPC_BASE  0x000
#define VKFD_SH_VOP3_VOP2_BASE  0x100
#define VKFD_SH_VOP3_VOP1_BASE  0x140
#define VKFD_SH_VOP3_ONLY_BASE  0x1c0

extern const VkfdShOp vkfd_sh_vop1_int[VKFD_SH_VOP1_OPS];
extern const VkfdShOp vkfd_sh_vop2_int[VKFD_SH_VOP2_OPS];
extern const VkfdShOp vkfd_sh_vopc_int[VKFD_SH_VOPC_OPS];
extern const VkfdShOp vkfd_sh_vop3_int[VKFD_SH_VOP3_OPS];
extern const VkfdShOp vkfd_sh_vop3p_int[VKFD_SH_VOP3P_OPS];

extern const VkfdShOp vkfd_sh_vop1_fp[VKFD_SH_VOP1_OPS];
extern const VkfdShOp vkfd_sh_vop2_fp[VKFD_SH_VOP2_OPS];
extern const VkfdShOp vkfd_sh_vopc_fp[VKFD_SH_VOPC_OPS];
extern const VkfdShOp vkfd_sh_vop3_fp[VKFD_SH_VOP3_OPS];
extern const VkfdShOp vkfd_sh_vop3p_fp[VKFD_SH_VOP3P_OPS];

/*
 * VkfdShOp.flags of a VALU entry (16 bits: all taken).  The decoder
 * refuses a modifier the entry does not allow, and DPP/SDWA on any op
 * with a 64-bit operand.  Every VOP3P entry but v_accvgpr_* is packed.
 */
#define VKFD_SH_VF_FMODS        (1u << 0)  /* abs/neg on sources (floats) */
#define VKFD_SH_VF_CLAMP        (1u << 1)  /* clamp (float dst: helpers) */
#define VKFD_SH_VF_OMOD         (1u << 2)  /* output modifier (helpers) */
#define VKFD_SH_VF_OPSEL        (1u << 3)  /* VOP3 op_sel (16-bit ops) */
#define VKFD_SH_VF_SDST_MASK    (1u << 4)  /* writes a lane mask: sdst */
#define VKFD_SH_VF_CARRY_IN     (1u << 5)  /* src2 is a lane mask (VCC) */
#define VKFD_SH_VF_CMPX         (1u << 6)  /* the lane mask goes to EXEC too */
#define VKFD_SH_VF_MAC          (1u << 7)  /* src2 is dst (v_mac, v_fmac) */
#define VKFD_SH_VF_SDST         (1u << 8)  /* dst is an SGPR (readlane..) */
#define VKFD_SH_VF_NO_EXT       (1u << 9)  /* no DPP, no SDWA */
#define VKFD_SH_VF_ACC_SRC0     (1u << 10) /* src0 names an AGPR */
#define VKFD_SH_VF_ACC_DST      (1u << 11) /* dst names an AGPR */
#define VKFD_SH_VF_LANE_SEL     (1u << 12) /* src1: a lane (SGPR, const) */
#define VKFD_SH_VF_ICLAMP       (1u << 14) /* integer clamp: by handler */
#define VKFD_SH_VF_LIT_K1       (1u << 13) /* madmk: K = src1, vsrc1 = src2 */
#define VKFD_SH_VF_LIT_K2       (1u << 15) /* VOP2 madak: literal = src2 */

/* SDWA selections (src0_sel, src1_sel, dst_sel) and dst_unused */
#define VKFD_SH_SDWA_BYTE0      0
#define VKFD_SH_SDWA_BYTE1      1
#define VKFD_SH_SDWA_BYTE2      2
#define VKFD_SH_SDWA_BYTE3      3
#define VKFD_SH_SDWA_WORD0      4
#define VKFD_SH_SDWA_WORD1      5
#define VKFD_SH_SDWA_DWORD      6
#define VKFD_SH_SDWA_UNUSED_PAD         0
#define VKFD_SH_SDWA_UNUSED_SEXT        1
#define VKFD_SH_SDWA_UNUSED_PRESERVE    2

/* The MODE register's DX10_CLAMP bit: clamp makes NaN 0 */
#define VKFD_SH_MODE_DX10_CLAMP (1u << 8)
#define VKFD_SH_MODE_IEEE       (1u << 9)

/*
 * Slow paths of the helpers below (vkfd-sh-valu.c): sources with VOP3
 * abs/neg/op_sel, a DPP lane move or an SDWA selection applied; results
 * with omod, clamp, op_sel, the SDWA dst_sel/dst_unused or the DPP
 * row/bank masks applied.
 *
 * Float modifiers act on the sign bit of the source's type: bit 31 for
 * F32 (and B32 sources of FMODS ops, e.g. v_cndmask_b32), bit 15 for
 * F16, bit 63 for F64.  A 16-bit source selected by op_sel (or an SDWA
 * WORD1 selection) arrives in bits 15:0 of its lane.  omod and clamp are
 * applied to F16/F32/F64 results of VOP3 and SDWA forms; packed (VOP3P)
 * and integer results are clamped by their handler (vkfd_sh_valu_clamp).
 */
const uint32_t *vkfd_sh_vsrc32_mods(const VkfdWave *w, const VkfdShInsn *in,
                                    unsigned i, uint32_t *tmp);
void vkfd_sh_vsrc64_mods(const VkfdWave *w, const VkfdShInsn *in,
                         unsigned i, uint64_t *out);
void vkfd_sh_vdst32_mods(VkfdWave *w, const VkfdShInsn *in,
                         uint32_t *val);
void vkfd_sh_vdst64_mods(VkfdWave *w, const VkfdShInsn *in,
                         uint64_t *val);

/*
 * Source i of a VALU instruction, all 64 lanes, modifiers applied: the
 * VGPR row itself when nothing applies, else tmp (64 lanes) filled.
 */
static inline const uint32_t *vkfd_sh_vsrc32(const VkfdWave *w,
                                             const VkfdShInsn *in,
                                             unsigned i, uint32_t *tmp)
{
    if (likely(in->mods == VKFD_SH_MODS_NONE)) {
        return vkfd_sh_v32(w, &in->src[i], tmp);
    }
    return vkfd_sh_vsrc32_mods(w, in, i, tmp);
}

/* A 64-bit source (F64/B64), all lanes, into out[], VOP3 abs/neg applied */
static inline void vkfd_sh_vsrc64(const VkfdWave *w, const VkfdShInsn *in,
                                  unsigned i, uint64_t *out)
{
    if (likely(in->mods == VKFD_SH_MODS_NONE)) {
        vkfd_sh_v64(w, &in->src[i], out);
        return;
    }
    vkfd_sh_vsrc64_mods(w, in, i, out);
}

/*
 * Write a 32-bit result (all 64 lanes computed; EXEC picks the lanes
 * written).  val[] may be changed by the modifiers.  16-bit results are
 * in bits 15:0 with bits 31:16 zero (what GFX9 writes for 16-bit ops,
 * except VOP3 OPSEL ops, which keep the other half: the helper merges).
 */
static inline void vkfd_sh_vdst32(VkfdWave *w, const VkfdShInsn *in,
                                  uint32_t *val)
{
    if (likely(in->mods == VKFD_SH_MODS_NONE)) {
        vkfd_sh_set_v32(w, &in->dst, val);
        return;
    }
    vkfd_sh_vdst32_mods(w, in, val);
}

static inline void vkfd_sh_vdst64(VkfdWave *w, const VkfdShInsn *in,
                                  uint64_t *val)
{
    uint32_t *lo = w->v[in->dst.idx], *hi = w->v[in->dst.idx + 1];
    int i;

    if (likely(in->mods == VKFD_SH_MODS_NONE)) {
        if (vkfd_sh_exec_mask(w) != UINT64_MAX) {
            vkfd_sh_set_v64(w, &in->dst, val);
            return;
        }
        for (i = 0; i < VKFD_SH_WAVE_SIZE; i++) {
            lo[i] = val[i];
            hi[i] = val[i] >> 32;
        }
        return;
    }
    vkfd_sh_vdst64_mods(w, in, val);
}

/*
 * The lanes a VALU result is written to: EXEC, and for DPP the row/bank
 * masks and, without bound_ctrl, only lanes whose source lane is valid
 * (in range and enabled by EXEC).
 */
uint64_t vkfd_sh_dpp_lanes(const VkfdWave *w, const VkfdShInsn *in);

static inline uint64_t vkfd_sh_vlanes(const VkfdWave *w, const VkfdShInsn *in)
{
    if (unlikely(in->mods == VKFD_SH_MODS_DPP)) {
        return vkfd_sh_dpp_lanes(w, in);
    }
    return vkfd_sh_exec_mask(w);
}

/*
 * Write a lane mask (bit i: lane i) to sdst (VCC in the 32-bit forms):
 * the bits of lanes not written are 0.  v_cmpx_* also write it to EXEC.
 */
static inline void vkfd_sh_vset_mask(VkfdWave *w, const VkfdShInsn *in,
                                     uint64_t m)
{
    m &= vkfd_sh_vlanes(w, in);
    vkfd_sh_set_s64(w, &in->sdst, m);
    if (in->op->flags & VKFD_SH_VF_CMPX) {
        vkfd_sh_set_exec_mask(w, m);
    }
}

/* A lane-mask source (carry in, v_cndmask_b32's selector) */
static inline uint64_t vkfd_sh_vsrc_mask(const VkfdWave *w,
                                         const VkfdShInsn *in, unsigned i)
{
    return vkfd_sh_s64(w, &in->src[i]);
}

/* Whether clamp was given (for VKFD_SH_VF_ICLAMP handlers) */
static inline bool vkfd_sh_valu_clamp(const VkfdShInsn *in)
{
    switch (in->mods) {
    case VKFD_SH_MODS_VOP3:
    case VKFD_SH_MODS_VOP3P:
        return in->u.vop3.clamp;
    case VKFD_SH_MODS_SDWA:
        return in->u.sdwa.clamp;
    default:
        return false;
    }
}

/*
 * VOP3P sources: lane value of source i for the low and the high half of
 * the result, as op_sel/op_sel_hi pick them and neg/neg_hi flip them
 * (16-bit halves: the result lane is hi << 16 | lo).  For packed f32 ops
 * (64-bit operands), op_sel/op_sel_hi pick a dword of the pair.
 */
void vkfd_sh_vsrc_pk16(const VkfdWave *w, const VkfdShInsn *in, unsigned i,
                       uint32_t *out);
void vkfd_sh_vsrc_pk32(const VkfdWave *w, const VkfdShInsn *in, unsigned i,
                       uint32_t *lo, uint32_t *hi);

#endif /* HW_KFD_VKFD_SH_VALU_H */
