/*
 * vkfd: a virtual AMD KFD device -- shader core: SMEM (scalar memory)
 *
 * Scalar loads and stores of 1 to 16 dwords between SGPRs and memory, by
 * a 64-bit address in an SGPR pair (s_load, s_store) or through a
 * 128-bit buffer resource in four SGPRs (s_buffer_load, s_buffer_store),
 * plus the clocks (s_memtime, s_memrealtime) and the scalar cache
 * controls, which have no cache to act on here.
 *
 * The encoding (GFX9, two dwords):
 *   dw0: sbase [5:0] (SGPR pair number: s[2 * sbase]), sdata [12:6],
 *        soe [14], nv [15], glc [16], imm [17], op [25:18]
 *   dw1: offset [20:0], soffset [31:25]
 * The address is sbase + offset (imm: the 21-bit field, signed for
 * s_load/s_store, an unsigned 20-bit one for buffers; else the SGPR in
 * offset[6:0]) + s[soffset] if soe, with its low two bits cleared: scalar
 * memory is dword-aligned.  Decoded: src[0] the base (B64 or B128),
 * src[1] the SGPR offset if any, imm the immediate offset, dst the data
 * (loaded into or stored from).
 *
 * A load reads the whole range first, so a fault leaves the SGPRs as they
 * were; a buffer access outside num_records reads 0 and drops stores,
 * dword by dword, as the hardware's range check does.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/bitops.h"
#include "vkfd.h"
#include "vkfd-sh.h"

#define SMEM_MAX_DWORDS     16

/* A buffer resource (V#): base [47:0], stride [61:48], num_records */
static inline uint64_t vsharp_base(const uint32_t *r)
{
    return r[0] | (uint64_t)extract32(r[1], 0, 16) << 32;
}

static inline uint64_t smem_offset(const VkfdWave *w, const VkfdShInsn *in)
{
    uint64_t off = (int64_t)in->imm;

    if (in->src[1].kind != VKFD_SH_OPD_NONE) {
        off += vkfd_sh_s32(w, &in->src[1]);
    }
    return off;
}

static inline unsigned smem_dwords(const VkfdShInsn *in)
{
    return vkfd_sh_type_dwords(in->op->dst);
}

static bool s_load(VkfdWave *w, const VkfdShInsn *in)
{
    uint32_t buf[SMEM_MAX_DWORDS];
    unsigned n = smem_dwords(in), i;
    uint64_t va = (vkfd_sh_s64(w, &in->src[0]) + smem_offset(w, in)) & ~3ull;

    if (!vkfd_sh_read(w, va, buf, n * 4)) {
        return false;
    }
    for (i = 0; i < n; i++) {
        w->s[in->dst.idx + i] = le32_to_cpu(buf[i]);
    }
    return true;
}

static bool s_store(VkfdWave *w, const VkfdShInsn *in)
{
    uint32_t buf[SMEM_MAX_DWORDS];
    unsigned n = smem_dwords(in), i;
    uint64_t va = (vkfd_sh_s64(w, &in->src[0]) + smem_offset(w, in)) & ~3ull;

    for (i = 0; i < n; i++) {
        buf[i] = cpu_to_le32(w->s[in->dst.idx + i]);
    }
    return vkfd_sh_write(w, va, buf, n * 4);
}

/*
 * Buffers: the offset is in bytes from the V#'s base (the stride does
 * not apply to scalar accesses) and is checked against num_records.
 */
static bool s_buffer_load(VkfdWave *w, const VkfdShInsn *in)
{
    const uint32_t *res = &w->s[in->src[0].idx];
    uint32_t buf[SMEM_MAX_DWORDS] = { 0 };
    unsigned n = smem_dwords(in), i, in_range;
    uint64_t off = smem_offset(w, in) & 0xfffffffcu, limit = res[2];

    in_range = off >= limit ? 0 : MIN(n, (limit - off) / 4);
    if (in_range &&
        !vkfd_sh_read(w, vsharp_base(res) + off, buf, in_range * 4)) {
        return false;
    }
    for (i = 0; i < n; i++) {
        w->s[in->dst.idx + i] = i < in_range ? le32_to_cpu(buf[i]) : 0;
    }
    return true;
}

static bool s_buffer_store(VkfdWave *w, const VkfdShInsn *in)
{
    const uint32_t *res = &w->s[in->src[0].idx];
    uint32_t buf[SMEM_MAX_DWORDS];
    unsigned n = smem_dwords(in), i, in_range;
    uint64_t off = smem_offset(w, in) & 0xfffffffcu, limit = res[2];

    in_range = off >= limit ? 0 : MIN(n, (limit - off) / 4);
    for (i = 0; i < in_range; i++) {
        buf[i] = cpu_to_le32(w->s[in->dst.idx + i]);
    }
    return !in_range ||
           vkfd_sh_write(w, vsharp_base(res) + off, buf, in_range * 4);
}

static bool s_memtime(VkfdWave *w, const VkfdShInsn *in)
{
    vkfd_sh_set_s64(w, &in->dst, vkfd_sh_clock(w));
    return true;
}

/* No scalar cache: invalidating, writing back or discarding is done. */
static bool s_dcache(VkfdWave *w, const VkfdShInsn *in)
{
    return true;
}

/*
 * Flags: what the base is and how the data moves.  SMEM_BUF: a V# in
 * four SGPRs; SMEM_STORE: dst is read and written to memory; SMEM_ADDR:
 * the instruction has an address (s_dcache_discard only checks it);
 * SMEM_NO_DATA: no sdata (s_dcache_*, s_atc_probe's sdata is a mask).
 */
#define SMEM_BUF        (1u << 0)
#define SMEM_STORE      (1u << 1)
#define SMEM_ADDR       (1u << 2)
#define SMEM_NO_DATA    (1u << 3)

#define B32     VKFD_SH_B32
#define B64     VKFD_SH_B64
#define B128    VKFD_SH_B128
#define B256    VKFD_SH_B256
#define B512    VKFD_SH_B512
#define NONE    VKFD_SH_NONE

#define M(n, fn, d, f)  { n, fn, { NONE, NONE, NONE }, d, (f) | SMEM_ADDR }
#define LD(n, d)        M(n, s_load, d, 0)
#define ST(n, d)        M(n, s_store, d, SMEM_STORE)
#define BLD(n, d)       M(n, s_buffer_load, d, SMEM_BUF)
#define BST(n, d)       M(n, s_buffer_store, d, SMEM_BUF | SMEM_STORE)
#define CTL(n, fn, d, f) { n, fn, { NONE, NONE, NONE }, d, f }

static const VkfdShOp smem_ops[] = {
    [0x00] = LD("s_load_dword", B32),
    [0x01] = LD("s_load_dwordx2", B64),
    [0x02] = LD("s_load_dwordx4", B128),
    [0x03] = LD("s_load_dwordx8", B256),
    [0x04] = LD("s_load_dwordx16", B512),
    [0x08] = BLD("s_buffer_load_dword", B32),
    [0x09] = BLD("s_buffer_load_dwordx2", B64),
    [0x0a] = BLD("s_buffer_load_dwordx4", B128),
    [0x0b] = BLD("s_buffer_load_dwordx8", B256),
    [0x0c] = BLD("s_buffer_load_dwordx16", B512),
    [0x10] = ST("s_store_dword", B32),
    [0x11] = ST("s_store_dwordx2", B64),
    [0x12] = ST("s_store_dwordx4", B128),
    [0x18] = BST("s_buffer_store_dword", B32),
    [0x19] = BST("s_buffer_store_dwordx2", B64),
    [0x1a] = BST("s_buffer_store_dwordx4", B128),
    [0x20] = CTL("s_dcache_inv", s_dcache, NONE, SMEM_NO_DATA),
    [0x21] = CTL("s_dcache_wb", s_dcache, NONE, SMEM_NO_DATA),
    [0x22] = CTL("s_dcache_inv_vol", s_dcache, NONE, SMEM_NO_DATA),
    [0x23] = CTL("s_dcache_wb_vol", s_dcache, NONE, SMEM_NO_DATA),
    [0x24] = CTL("s_memtime", s_memtime, B64, 0),
    [0x25] = CTL("s_memrealtime", s_memtime, B64, 0),
    [0x26] = CTL("s_atc_probe", s_dcache, NONE, SMEM_NO_DATA | SMEM_ADDR),
    [0x27] = CTL("s_atc_probe_buffer", s_dcache, NONE,
                 SMEM_NO_DATA | SMEM_ADDR | SMEM_BUF),
    [0x28] = CTL("s_dcache_discard", s_dcache, NONE,
                 SMEM_NO_DATA | SMEM_ADDR),
    [0x29] = CTL("s_dcache_discard_x2", s_dcache, NONE,
                 SMEM_NO_DATA | SMEM_ADDR),
};

/* The offset operands of dw1 into in->imm and in->src[1]. */
static bool smem_decode_offset(VkfdShDecoder *dc, VkfdShInsn *in,
                               uint32_t dw0, uint32_t dw1)
{
    bool imm = extract32(dw0, 17, 1), soe = extract32(dw0, 14, 1);
    bool buf = in->op->flags & SMEM_BUF;
    unsigned sgpr;

    if (imm) {
        if (buf && extract32(dw1, 20, 1)) {
            dc->why = "smem: a buffer offset is an unsigned 20-bit field";
            return false;
        }
        in->imm = buf ? extract32(dw1, 0, 20) : sextract32(dw1, 0, 21);
        sgpr = soe ? extract32(dw1, 25, 7) : VKFD_SH_SRC_ZERO;
    } else {
        in->imm = 0;
        sgpr = soe ? extract32(dw1, 25, 7) : extract32(dw1, 0, 8);
        if (sgpr >= VKFD_SH_SRC_ZERO) {
            dc->why = "smem: the offset SGPR field names no SGPR";
            dc->operand = true;
            return false;
        }
    }
    if (sgpr == VKFD_SH_SRC_ZERO) {
        return true;
    }
    return vkfd_sh_decode_src(dc, in, sgpr, VKFD_SH_B32,
                              VKFD_SH_DEC_NO_VGPR | VKFD_SH_DEC_NO_CONST,
                              &in->src[1]);
}

bool vkfd_sh_decode_smem(VkfdShDecoder *dc, VkfdShInsn *in)
{
    uint32_t dw0 = dc->dw[0], dw1 = dc->dw[1];
    unsigned opc = extract32(dw0, 18, 8), sdata = extract32(dw0, 6, 7);
    const VkfdShOp *op = opc < ARRAY_SIZE(smem_ops) ? &smem_ops[opc] : NULL;
    unsigned dwords;

    if (!op || !op->name) {
        dc->why = opc >= 0x40 ? "smem: scalar atomics are not implemented" :
                  opc == 0x05 || opc == 0x06 || opc == 0x07 ||
                  opc == 0x15 || opc == 0x16 || opc == 0x17 ?
                  "smem: s_scratch_load/store are not implemented" :
                  "smem: unknown opcode";
        return false;
    }
    if (dc->avail < 2) {
        dc->why = "smem: the second dword could not be fetched";
        return false;
    }
    in->op = op;
    in->exec = op->exec;
    in->family = VKFD_SH_SMEM;
    in->opcode = opc;
    in->len = 8;
    in->u.mem.glc = extract32(dw0, 16, 1);     /* nv [15]: a hint, too */
    if (op->flags & SMEM_ADDR) {
        if (!vkfd_sh_decode_src(dc, in, extract32(dw0, 0, 6) * 2,
                                op->flags & SMEM_BUF ? VKFD_SH_B128 :
                                VKFD_SH_B64,
                                VKFD_SH_DEC_NO_VGPR | VKFD_SH_DEC_NO_CONST,
                                &in->src[0]) ||
            !smem_decode_offset(dc, in, dw0, dw1)) {
            return false;
        }
    }
    if (op->dst == VKFD_SH_NONE) {
        return true;
    }
    /* data of 2 dwords sits in an even SGPR, of 4 or more in a quad */
    dwords = vkfd_sh_type_dwords(op->dst);
    if (sdata % MIN(dwords, 4)) {
        dc->why = "smem: sdata is not aligned to its size";
        dc->operand = true;
        return false;
    }
    if (op->flags & SMEM_STORE) {
        return vkfd_sh_decode_src(dc, in, sdata, op->dst,
                                  VKFD_SH_DEC_NO_VGPR | VKFD_SH_DEC_NO_CONST,
                                  &in->dst);
    }
    return vkfd_sh_decode_sdst(dc, in, sdata, op->dst, &in->dst);
}
