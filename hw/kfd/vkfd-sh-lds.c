/*
 * vkfd: a virtual AMD KFD device -- shader core: DS (the LDS)
 *
 * DS instructions address the workgroup's LDS (w->lds, w->lds_size bytes)
 * with a per-lane 32-bit byte address plus the instruction's offset.  The
 * decoded operands are src[0] = ADDR (a VGPR), src[1] = DATA0, src[2] =
 * DATA1 (VGPRs or AGPRs by the acc bit, VKFD_SH_NONE when the opcode has
 * none), dst = VDST; imm = the 16-bit offset, or offset0 of the two-address
 * forms with u.mem.offset1 = offset1 (both already scaled to bytes).
 *
 * Range rule (GFX9, as the hardware does; vkfd-sh-mem.h): a lane whose
 * access does not lie wholly inside the allocation reads 0 and writes
 * nothing; the instruction is logged as a guest error.  M0 does not limit
 * LDS accesses on GFX9.  GDS, the GWS ops, ds_append/consume (which work
 * on GDS) and ds_read/write_addtid_b32 are refused when decoded.
 *
 * Waves run one at a time, so every atomic is a plain read-modify-write.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/log.h"
#include "vkfd.h"
#include "vkfd-sh.h"
#include "vkfd-sh-mem.h"
#include "trace.h"

/* VkfdShOp.flags of a DS opcode */
#define DS_SIZE_MASK    0x1f            /* bytes per address: 1..16 */
#define DS_SEXT         (1u << 5)       /* sign-extend a u8/u16 read */
#define DS_D16          (1u << 6)       /* read into 16 bits of VDST */
#define DS_HI           (1u << 7)       /* the high 16 bits (d16_hi) */
#define DS_ATOM_SHIFT   8               /* VkfdShAtom, 5 bits */
#define DS_RTN          (1u << 13)      /* atomics: old value to VDST */
#define DS_ST64         (1u << 14)      /* 2addr: offsets in 64 elements */
#define DS_2ADDR        (1u << 15)

#define DS_ATOM(a)      ((unsigned)(a) << DS_ATOM_SHIFT)
#define DS_ATOM_OF(f)   ((VkfdShAtom)((f) >> DS_ATOM_SHIFT & 0x1f))

#define N               VKFD_SH_NONE
#define B32             VKFD_SH_B32
#define B64             VKFD_SH_B64
#define B96             VKFD_SH_B96
#define B128            VKFD_SH_B128

void vkfd_sh_lds_range_error(VkfdWave *w, const VkfdShInsn *in,
                             uint64_t addr, unsigned len)
{
    VKFD_GUEST_ERR(vkfd_err_sh_lds_range,
                   "wave %u pc 0x%" PRIx64 ": %s of %u bytes at LDS 0x%"
                   PRIx64 " beyond the allocation of 0x%x bytes: "
                   "reads 0, writes nothing",
                   w->wave_id, in->pc, in->op->name, len, addr, w->lds_size);
}

/*
 * One lane's LDS bytes (1, 2, 4, 8, 12 or 16) as little-endian dwords.
 * Out of range: zeroes, and *bad records the first such address.
 */
static void lds_load(const VkfdWave *w, uint64_t addr, uint32_t *dw,
                     unsigned len, uint64_t *bad)
{
    const uint8_t *p;
    unsigned k;

    if (!vkfd_sh_lds_in_range(w, addr, len)) {
        memset(dw, 0, MAX(len, 4));
        *bad = MIN(*bad, addr);
        return;
    }
    p = w->lds + addr;
    switch (len) {
    case 1:
        dw[0] = *p;
        break;
    case 2:
        dw[0] = lduw_le_p(p);
        break;
    default:
        for (k = 0; k < len / 4; k++) {
            dw[k] = ldl_le_p(p + 4 * k);
        }
    }
}

static void lds_store(VkfdWave *w, uint64_t addr, const uint32_t *dw,
                      unsigned len, uint64_t *bad)
{
    uint8_t *p;
    unsigned k;

    if (!vkfd_sh_lds_in_range(w, addr, len)) {
        *bad = MIN(*bad, addr);
        return;
    }
    p = w->lds + addr;
    switch (len) {
    case 1:
        *p = dw[0];
        break;
    case 2:
        stw_le_p(p, dw[0]);
        break;
    default:
        for (k = 0; k < len / 4; k++) {
            stl_le_p(p + 4 * k, dw[k]);
        }
    }
}

static void lds_check(VkfdWave *w, const VkfdShInsn *in, uint64_t bad)
{
    if (bad != UINT64_MAX) {
        vkfd_sh_lds_range_error(w, in, bad, in->op->flags & DS_SIZE_MASK);
    }
}

/* The lane's dwords of a VGPR operand, to bytes and back. */
static void ds_gather(const VkfdWave *w, const VkfdShOpd *o, int lane,
                      uint32_t *buf, unsigned dwords)
{
    unsigned k;

    for (k = 0; k < dwords; k++) {
        buf[k] = w->v[o->idx + k][lane];
    }
}

static void ds_scatter(VkfdWave *w, const VkfdShOpd *o, int lane,
                       const uint32_t *buf, unsigned dwords)
{
    unsigned k;

    for (k = 0; k < dwords; k++) {
        w->v[o->idx + k][lane] = buf[k];
    }
}

/* Place a 1- or 2-byte value read into VDST as the opcode's flags say. */
static uint32_t ds_narrow(uint32_t old, uint32_t val, unsigned flags)
{
    unsigned size = flags & DS_SIZE_MASK;

    if (flags & DS_SEXT) {
        val = size == 1 ? (uint32_t)(int8_t)val : (uint32_t)(int16_t)val;
    }
    if (!(flags & DS_D16)) {
        return val;
    }
    val &= 0xffff;
    return flags & DS_HI ? (old & 0xffff) | val << 16
                         : (old & 0xffff0000) | val;
}

static bool ds_nop(VkfdWave *w, const VkfdShInsn *in)
{
    return true;
}

static bool ds_read(VkfdWave *w, const VkfdShInsn *in)
{
    uint64_t exec = vkfd_sh_exec_mask(w), bad = UINT64_MAX;
    unsigned flags = in->op->flags, size = flags & DS_SIZE_MASK;
    const uint32_t *addr = w->v[in->src[0].idx];
    uint32_t buf[4];
    int i;

    for (i = 0; i < VKFD_SH_WAVE_SIZE; i++) {
        if (!(exec >> i & 1)) {
            continue;
        }
        lds_load(w, (uint32_t)(addr[i] + in->imm), buf, size, &bad);
        if (size < 4) {
            w->v[in->dst.idx][i] = ds_narrow(w->v[in->dst.idx][i], buf[0],
                                             flags);
        } else {
            ds_scatter(w, &in->dst, i, buf, size / 4);
        }
    }
    lds_check(w, in, bad);
    return true;
}

static bool ds_write(VkfdWave *w, const VkfdShInsn *in)
{
    uint64_t exec = vkfd_sh_exec_mask(w), bad = UINT64_MAX;
    unsigned flags = in->op->flags, size = flags & DS_SIZE_MASK;
    const uint32_t *addr = w->v[in->src[0].idx];
    uint32_t buf[4];
    int i;

    for (i = 0; i < VKFD_SH_WAVE_SIZE; i++) {
        if (!(exec >> i & 1)) {
            continue;
        }
        ds_gather(w, &in->src[1], i, buf, size < 4 ? 1 : size / 4);
        if (flags & DS_HI) {
            buf[0] >>= 16;
        }
        lds_store(w, (uint32_t)(addr[i] + in->imm), buf, size, &bad);
    }
    lds_check(w, in, bad);
    return true;
}

/*
 * The row case of ds_read_b32/ds_write_b32: EXEC full and lane i at
 * a0 + 4 i, all in range.  Returns the LDS address of lane 0's dword, or
 * NULL.
 */
static uint8_t *ds_row(const VkfdWave *w, const VkfdShInsn *in)
{
    const uint32_t *addr = w->v[in->src[0].idx];
    uint32_t a0 = addr[0];
    int i;

    if (vkfd_sh_exec_mask(w) != UINT64_MAX) {
        return NULL;
    }
    for (i = 1; i < VKFD_SH_WAVE_SIZE; i++) {
        if (addr[i] != a0 + 4 * i) {
            return NULL;
        }
    }
    a0 += in->imm;
    if ((uint64_t)a0 + 4 * VKFD_SH_WAVE_SIZE > w->lds_size ||
        a0 > UINT32_MAX - 4 * VKFD_SH_WAVE_SIZE) {
        return NULL;                    /* past the end, or wrapping */
    }
    return w->lds + a0;
}

/*
 * ds_read_b32 and ds_write_b32, the common case, without the general
 * path's per-lane size switch.
 */
static bool ds_read_b32(VkfdWave *w, const VkfdShInsn *in)
{
    uint64_t exec = vkfd_sh_exec_mask(w), bad = UINT64_MAX;
    const uint32_t *addr = w->v[in->src[0].idx];
    uint32_t *d = w->v[in->dst.idx], off = in->imm;
    uint64_t limit = w->lds_size;
    uint8_t *row = ds_row(w, in);
    int i;

    if (row) {
#if HOST_BIG_ENDIAN
        for (i = 0; i < VKFD_SH_WAVE_SIZE; i++) {
            d[i] = ldl_le_p(row + 4 * i);
        }
#else
        memcpy(d, row, 4 * VKFD_SH_WAVE_SIZE);
#endif
        return true;
    }
    for (i = 0; i < VKFD_SH_WAVE_SIZE; i++) {
        uint64_t a = (uint32_t)(addr[i] + off);

        if (!(exec >> i & 1)) {
            continue;
        }
        if (likely(a + 4 <= limit)) {
            d[i] = ldl_le_p(w->lds + a);
        } else {
            d[i] = 0;
            bad = MIN(bad, a);
        }
    }
    lds_check(w, in, bad);
    return true;
}

static bool ds_write_b32(VkfdWave *w, const VkfdShInsn *in)
{
    uint64_t exec = vkfd_sh_exec_mask(w), bad = UINT64_MAX;
    const uint32_t *addr = w->v[in->src[0].idx];
    const uint32_t *s = w->v[in->src[1].idx];
    uint64_t limit = w->lds_size;
    uint32_t off = in->imm;
    uint8_t *row = ds_row(w, in);
    int i;

    if (row) {
#if HOST_BIG_ENDIAN
        for (i = 0; i < VKFD_SH_WAVE_SIZE; i++) {
            stl_le_p(row + 4 * i, s[i]);
        }
#else
        memcpy(row, s, 4 * VKFD_SH_WAVE_SIZE);
#endif
        return true;
    }
    for (i = 0; i < VKFD_SH_WAVE_SIZE; i++) {
        uint64_t a = (uint32_t)(addr[i] + off);

        if (!(exec >> i & 1)) {
            continue;
        }
        if (likely(a + 4 <= limit)) {
            stl_le_p(w->lds + a, s[i]);
        } else {
            bad = MIN(bad, a);
        }
    }
    lds_check(w, in, bad);
    return true;
}

/* ds_read2/write2(st64)_b32/b64: two addresses, two elements */
static bool ds_read2(VkfdWave *w, const VkfdShInsn *in)
{
    uint64_t exec = vkfd_sh_exec_mask(w), bad = UINT64_MAX;
    unsigned size = in->op->flags & DS_SIZE_MASK, dw = size / 4;
    const uint32_t *addr = w->v[in->src[0].idx];
    uint32_t buf[4];
    int i;

    for (i = 0; i < VKFD_SH_WAVE_SIZE; i++) {
        if (!(exec >> i & 1)) {
            continue;
        }
        lds_load(w, (uint32_t)(addr[i] + in->imm), buf, size, &bad);
        lds_load(w, (uint32_t)(addr[i] + in->u.mem.offset1),
                 buf + dw, size, &bad);
        ds_scatter(w, &in->dst, i, buf, 2 * dw);
    }
    lds_check(w, in, bad);
    return true;
}

static bool ds_write2(VkfdWave *w, const VkfdShInsn *in)
{
    uint64_t exec = vkfd_sh_exec_mask(w), bad = UINT64_MAX;
    unsigned flags = in->op->flags, size = flags & DS_SIZE_MASK;
    unsigned dw = size / 4;
    const uint32_t *addr = w->v[in->src[0].idx];
    uint32_t d0[2], d1[2], old[4];
    int i;

    for (i = 0; i < VKFD_SH_WAVE_SIZE; i++) {
        uint64_t a0, a1;

        if (!(exec >> i & 1)) {
            continue;
        }
        a0 = (uint32_t)(addr[i] + in->imm);
        a1 = (uint32_t)(addr[i] + in->u.mem.offset1);
        ds_gather(w, &in->src[1], i, d0, dw);
        ds_gather(w, &in->src[2], i, d1, dw);
        if (flags & DS_RTN) {               /* ds_wrxchg2(st64)_rtn */
            lds_load(w, a0, old, size, &bad);
            lds_load(w, a1, old + dw, size, &bad);
        }
        lds_store(w, a0, d0, size, &bad);
        lds_store(w, a1, d1, size, &bad);
        if (flags & DS_RTN) {
            ds_scatter(w, &in->dst, i, old, 2 * dw);
        }
    }
    lds_check(w, in, bad);
    return true;
}

/*
 * Atomics.  DATA0 is the operand; for cmpst DATA0 is the compare value
 * and DATA1 the new one, for mskor DATA0 the mask and DATA1 the bits.
 * Out of range, an atomic changes nothing and returns 0.
 */
static bool ds_atomic(VkfdWave *w, const VkfdShInsn *in)
{
    uint64_t exec = vkfd_sh_exec_mask(w), bad = UINT64_MAX;
    unsigned flags = in->op->flags, size = flags & DS_SIZE_MASK;
    unsigned dw = size / 4;
    VkfdShAtom op = DS_ATOM_OF(flags);
    bool two = in->src[2].kind != VKFD_SH_OPD_NONE;
    const uint32_t *addr = w->v[in->src[0].idx];
    int i;

    for (i = 0; i < VKFD_SH_WAVE_SIZE; i++) {
        uint32_t d0[2] = { 0, 0 }, d1[2] = { 0, 0 }, m[2] = { 0, 0 };
        uint64_t a, old, src, cmp, val;

        if (!(exec >> i & 1)) {
            continue;
        }
        a = (uint32_t)(addr[i] + in->imm);
        ds_gather(w, &in->src[1], i, d0, dw);
        if (two) {
            ds_gather(w, &in->src[2], i, d1, dw);
        }
        src = two ? d1[0] | (uint64_t)d1[1] << 32
                  : d0[0] | (uint64_t)d0[1] << 32;
        cmp = two ? d0[0] | (uint64_t)d0[1] << 32 : 0;
        if (vkfd_sh_lds_in_range(w, a, size)) {
            lds_load(w, a, m, size, &bad);
            old = m[0] | (uint64_t)m[1] << 32;
            val = size == 4 ? vkfd_sh_atom32(op, old, src, cmp)
                            : vkfd_sh_atom64(op, old, src, cmp);
            m[0] = val;
            m[1] = val >> 32;
            lds_store(w, a, m, size, &bad);
        } else {
            bad = MIN(bad, a);
            old = 0;
        }
        if (flags & DS_RTN) {
            m[0] = old;
            m[1] = old >> 32;
            ds_scatter(w, &in->dst, i, m, dw);
        }
    }
    lds_check(w, in, bad);
    return true;
}

/*
 * Cross-lane ops through the LDS crossbar; they do not touch LDS memory.
 * A lane reading a lane that EXEC disables gets 0.
 */
static bool ds_bpermute(VkfdWave *w, const VkfdShInsn *in)
{
    uint64_t exec = vkfd_sh_exec_mask(w);
    const uint32_t *addr = w->v[in->src[0].idx];
    const uint32_t *data = w->v[in->src[1].idx];
    uint32_t out[VKFD_SH_WAVE_SIZE];
    int i;

    for (i = 0; i < VKFD_SH_WAVE_SIZE; i++) {
        unsigned from = (addr[i] + (uint32_t)in->imm) >> 2 & 63;

        out[i] = exec >> from & 1 ? data[from] : 0;
    }
    vkfd_sh_set_v32(w, &in->dst, out);
    return true;
}

static bool ds_permute(VkfdWave *w, const VkfdShInsn *in)
{
    uint64_t exec = vkfd_sh_exec_mask(w);
    const uint32_t *addr = w->v[in->src[0].idx];
    const uint32_t *data = w->v[in->src[1].idx];
    uint32_t out[VKFD_SH_WAVE_SIZE] = { 0 };
    int i;

    for (i = 0; i < VKFD_SH_WAVE_SIZE; i++) {
        if (exec >> i & 1) {
            out[(addr[i] + (uint32_t)in->imm) >> 2 & 63] = data[i];
        }
    }
    vkfd_sh_set_v32(w, &in->dst, out);
    return true;
}

/*
 * ds_swizzle_b32, offset[15] set: quad permute, lane j of each four takes
 * lane offset[2j+1:2j]; clear: within each 32 lanes, lane i takes
 * ((i & and_mask) | or_mask) ^ xor_mask, the masks in offset[4:0],
 * [9:5], [14:10].
 */
static bool ds_swizzle(VkfdWave *w, const VkfdShInsn *in)
{
    uint64_t exec = vkfd_sh_exec_mask(w);
    const uint32_t *data = w->v[in->src[0].idx];
    uint32_t out[VKFD_SH_WAVE_SIZE];
    unsigned off = (uint16_t)in->imm;
    unsigned and_mask = off & 0x1f, or_mask = off >> 5 & 0x1f;
    unsigned xor_mask = off >> 10 & 0x1f;
    int i;

    for (i = 0; i < VKFD_SH_WAVE_SIZE; i++) {
        unsigned from;

        if (off & 0x8000) {
            from = (i & ~3) | (off >> (2 * (i & 3)) & 3);
        } else {
            from = (i & 32) | (((i & and_mask) | or_mask) ^ xor_mask);
        }
        out[i] = exec >> from & 1 ? data[from] : 0;
    }
    vkfd_sh_set_v32(w, &in->dst, out);
    return true;
}

#define DS_E(nm, fn, d0, d1, vd, fl) \
    { .name = nm, .exec = fn, .src = { B32, d0, d1 }, .dst = vd, \
      .flags = (fl) }
#define DS_RD(nm, vd, fl)       DS_E(nm, ds_read, N, N, vd, fl)
#define DS_WR(nm, d0, fl)       DS_E(nm, ds_write, d0, N, N, fl)
#define DS_A32(nm, a)           DS_E(nm, ds_atomic, B32, N, N, 4 | DS_ATOM(a))
#define DS_A32R(nm, a) \
    DS_E(nm, ds_atomic, B32, N, B32, 4 | DS_ATOM(a) | DS_RTN)
#define DS_A32C(nm, a)          DS_E(nm, ds_atomic, B32, B32, N, \
                                     4 | DS_ATOM(a))
#define DS_A32CR(nm, a)         DS_E(nm, ds_atomic, B32, B32, B32, \
                                     4 | DS_ATOM(a) | DS_RTN)
#define DS_A64(nm, a)           DS_E(nm, ds_atomic, B64, N, N, 8 | DS_ATOM(a))
#define DS_A64R(nm, a) \
    DS_E(nm, ds_atomic, B64, N, B64, 8 | DS_ATOM(a) | DS_RTN)
#define DS_A64C(nm, a)          DS_E(nm, ds_atomic, B64, B64, N, \
                                     8 | DS_ATOM(a))
#define DS_A64CR(nm, a)         DS_E(nm, ds_atomic, B64, B64, B64, \
                                     8 | DS_ATOM(a) | DS_RTN)

static const VkfdShOp ds_ops[256] = {
    [0x00] = DS_A32("ds_add_u32", VKFD_SH_ATOM_ADD),
    [0x01] = DS_A32("ds_sub_u32", VKFD_SH_ATOM_SUB),
    [0x02] = DS_A32("ds_rsub_u32", VKFD_SH_ATOM_RSUB),
    [0x03] = DS_A32("ds_inc_u32", VKFD_SH_ATOM_INC),
    [0x04] = DS_A32("ds_dec_u32", VKFD_SH_ATOM_DEC),
    [0x05] = DS_A32("ds_min_i32", VKFD_SH_ATOM_SMIN),
    [0x06] = DS_A32("ds_max_i32", VKFD_SH_ATOM_SMAX),
    [0x07] = DS_A32("ds_min_u32", VKFD_SH_ATOM_UMIN),
    [0x08] = DS_A32("ds_max_u32", VKFD_SH_ATOM_UMAX),
    [0x09] = DS_A32("ds_and_b32", VKFD_SH_ATOM_AND),
    [0x0a] = DS_A32("ds_or_b32", VKFD_SH_ATOM_OR),
    [0x0b] = DS_A32("ds_xor_b32", VKFD_SH_ATOM_XOR),
    [0x0c] = DS_A32C("ds_mskor_b32", VKFD_SH_ATOM_MSKOR),
    [0x0d] = DS_E("ds_write_b32", ds_write_b32, B32, N, N, 4),
    [0x0e] = DS_E("ds_write2_b32", ds_write2, B32, B32, N, 4 | DS_2ADDR),
    [0x0f] = DS_E("ds_write2st64_b32", ds_write2, B32, B32, N,
                  4 | DS_2ADDR | DS_ST64),
    [0x10] = DS_A32C("ds_cmpst_b32", VKFD_SH_ATOM_CMPSWAP),
    [0x11] = DS_A32C("ds_cmpst_f32", VKFD_SH_ATOM_CMPSWAP_F),
    [0x12] = DS_A32("ds_min_f32", VKFD_SH_ATOM_MIN_F),
    [0x13] = DS_A32("ds_max_f32", VKFD_SH_ATOM_MAX_F),
    [0x14] = { .name = "ds_nop", .exec = ds_nop, .src = { N, N, N },
               .dst = N },
    [0x15] = DS_A32("ds_add_f32", VKFD_SH_ATOM_ADD_F),
    [0x1e] = DS_WR("ds_write_b8", B32, 1),
    [0x1f] = DS_WR("ds_write_b16", B32, 2),
    [0x20] = DS_A32R("ds_add_rtn_u32", VKFD_SH_ATOM_ADD),
    [0x21] = DS_A32R("ds_sub_rtn_u32", VKFD_SH_ATOM_SUB),
    [0x22] = DS_A32R("ds_rsub_rtn_u32", VKFD_SH_ATOM_RSUB),
    [0x23] = DS_A32R("ds_inc_rtn_u32", VKFD_SH_ATOM_INC),
    [0x24] = DS_A32R("ds_dec_rtn_u32", VKFD_SH_ATOM_DEC),
    [0x25] = DS_A32R("ds_min_rtn_i32", VKFD_SH_ATOM_SMIN),
    [0x26] = DS_A32R("ds_max_rtn_i32", VKFD_SH_ATOM_SMAX),
    [0x27] = DS_A32R("ds_min_rtn_u32", VKFD_SH_ATOM_UMIN),
    [0x28] = DS_A32R("ds_max_rtn_u32", VKFD_SH_ATOM_UMAX),
    [0x29] = DS_A32R("ds_and_rtn_b32", VKFD_SH_ATOM_AND),
    [0x2a] = DS_A32R("ds_or_rtn_b32", VKFD_SH_ATOM_OR),
    [0x2b] = DS_A32R("ds_xor_rtn_b32", VKFD_SH_ATOM_XOR),
    [0x2c] = DS_A32CR("ds_mskor_rtn_b32", VKFD_SH_ATOM_MSKOR),
    [0x2d] = DS_A32R("ds_wrxchg_rtn_b32", VKFD_SH_ATOM_SWAP),
    [0x2e] = DS_E("ds_wrxchg2_rtn_b32", ds_write2, B32, B32, B64,
                  4 | DS_2ADDR | DS_RTN),
    [0x2f] = DS_E("ds_wrxchg2st64_rtn_b32", ds_write2, B32, B32, B64,
                  4 | DS_2ADDR | DS_ST64 | DS_RTN),
    [0x30] = DS_A32CR("ds_cmpst_rtn_b32", VKFD_SH_ATOM_CMPSWAP),
    [0x31] = DS_A32CR("ds_cmpst_rtn_f32", VKFD_SH_ATOM_CMPSWAP_F),
    [0x32] = DS_A32R("ds_min_rtn_f32", VKFD_SH_ATOM_MIN_F),
    [0x33] = DS_A32R("ds_max_rtn_f32", VKFD_SH_ATOM_MAX_F),
    [0x35] = DS_A32R("ds_add_rtn_f32", VKFD_SH_ATOM_ADD_F),
    [0x36] = DS_E("ds_read_b32", ds_read_b32, N, N, B32, 4),
    [0x37] = DS_E("ds_read2_b32", ds_read2, N, N, B64, 4 | DS_2ADDR),
    [0x38] = DS_E("ds_read2st64_b32", ds_read2, N, N, B64,
                  4 | DS_2ADDR | DS_ST64),
    [0x39] = DS_RD("ds_read_i8", B32, 1 | DS_SEXT),
    [0x3a] = DS_RD("ds_read_u8", B32, 1),
    [0x3b] = DS_RD("ds_read_i16", B32, 2 | DS_SEXT),
    [0x3c] = DS_RD("ds_read_u16", B32, 2),
    [0x3d] = { .name = "ds_swizzle_b32", .exec = ds_swizzle,
               .src = { B32, N, N }, .dst = B32 },
    [0x3e] = DS_E("ds_permute_b32", ds_permute, B32, N, B32, 0),
    [0x3f] = DS_E("ds_bpermute_b32", ds_bpermute, B32, N, B32, 0),
    [0x40] = DS_A64("ds_add_u64", VKFD_SH_ATOM_ADD),
    [0x41] = DS_A64("ds_sub_u64", VKFD_SH_ATOM_SUB),
    [0x42] = DS_A64("ds_rsub_u64", VKFD_SH_ATOM_RSUB),
    [0x43] = DS_A64("ds_inc_u64", VKFD_SH_ATOM_INC),
    [0x44] = DS_A64("ds_dec_u64", VKFD_SH_ATOM_DEC),
    [0x45] = DS_A64("ds_min_i64", VKFD_SH_ATOM_SMIN),
    [0x46] = DS_A64("ds_max_i64", VKFD_SH_ATOM_SMAX),
    [0x47] = DS_A64("ds_min_u64", VKFD_SH_ATOM_UMIN),
    [0x48] = DS_A64("ds_max_u64", VKFD_SH_ATOM_UMAX),
    [0x49] = DS_A64("ds_and_b64", VKFD_SH_ATOM_AND),
    [0x4a] = DS_A64("ds_or_b64", VKFD_SH_ATOM_OR),
    [0x4b] = DS_A64("ds_xor_b64", VKFD_SH_ATOM_XOR),
    [0x4c] = DS_A64C("ds_mskor_b64", VKFD_SH_ATOM_MSKOR),
    [0x4d] = DS_WR("ds_write_b64", B64, 8),
    [0x4e] = DS_E("ds_write2_b64", ds_write2, B64, B64, N, 8 | DS_2ADDR),
    [0x4f] = DS_E("ds_write2st64_b64", ds_write2, B64, B64, N,
                  8 | DS_2ADDR | DS_ST64),
    [0x50] = DS_A64C("ds_cmpst_b64", VKFD_SH_ATOM_CMPSWAP),
    [0x51] = DS_A64C("ds_cmpst_f64", VKFD_SH_ATOM_CMPSWAP_F),
    [0x52] = DS_A64("ds_min_f64", VKFD_SH_ATOM_MIN_F),
    [0x53] = DS_A64("ds_max_f64", VKFD_SH_ATOM_MAX_F),
    [0x54] = DS_WR("ds_write_b8_d16_hi", B32, 1 | DS_HI),
    [0x55] = DS_WR("ds_write_b16_d16_hi", B32, 2 | DS_HI),
    [0x56] = DS_RD("ds_read_u8_d16", B32, 1 | DS_D16),
    [0x57] = DS_RD("ds_read_u8_d16_hi", B32, 1 | DS_D16 | DS_HI),
    [0x58] = DS_RD("ds_read_i8_d16", B32, 1 | DS_D16 | DS_SEXT),
    [0x59] = DS_RD("ds_read_i8_d16_hi", B32, 1 | DS_D16 | DS_HI | DS_SEXT),
    [0x5a] = DS_RD("ds_read_u16_d16", B32, 2 | DS_D16),
    [0x5b] = DS_RD("ds_read_u16_d16_hi", B32, 2 | DS_D16 | DS_HI),
    [0x5c] = DS_A64("ds_add_f64", VKFD_SH_ATOM_ADD_F),
    [0x60] = DS_A64R("ds_add_rtn_u64", VKFD_SH_ATOM_ADD),
    [0x61] = DS_A64R("ds_sub_rtn_u64", VKFD_SH_ATOM_SUB),
    [0x62] = DS_A64R("ds_rsub_rtn_u64", VKFD_SH_ATOM_RSUB),
    [0x63] = DS_A64R("ds_inc_rtn_u64", VKFD_SH_ATOM_INC),
    [0x64] = DS_A64R("ds_dec_rtn_u64", VKFD_SH_ATOM_DEC),
    [0x65] = DS_A64R("ds_min_rtn_i64", VKFD_SH_ATOM_SMIN),
    [0x66] = DS_A64R("ds_max_rtn_i64", VKFD_SH_ATOM_SMAX),
    [0x67] = DS_A64R("ds_min_rtn_u64", VKFD_SH_ATOM_UMIN),
    [0x68] = DS_A64R("ds_max_rtn_u64", VKFD_SH_ATOM_UMAX),
    [0x69] = DS_A64R("ds_and_rtn_b64", VKFD_SH_ATOM_AND),
    [0x6a] = DS_A64R("ds_or_rtn_b64", VKFD_SH_ATOM_OR),
    [0x6b] = DS_A64R("ds_xor_rtn_b64", VKFD_SH_ATOM_XOR),
    [0x6c] = DS_A64CR("ds_mskor_rtn_b64", VKFD_SH_ATOM_MSKOR),
    [0x6d] = DS_A64R("ds_wrxchg_rtn_b64", VKFD_SH_ATOM_SWAP),
    [0x6e] = DS_E("ds_wrxchg2_rtn_b64", ds_write2, B64, B64, B128,
                  8 | DS_2ADDR | DS_RTN),
    [0x6f] = DS_E("ds_wrxchg2st64_rtn_b64", ds_write2, B64, B64, B128,
                  8 | DS_2ADDR | DS_ST64 | DS_RTN),
    [0x70] = DS_A64CR("ds_cmpst_rtn_b64", VKFD_SH_ATOM_CMPSWAP),
    [0x71] = DS_A64CR("ds_cmpst_rtn_f64", VKFD_SH_ATOM_CMPSWAP_F),
    [0x72] = DS_A64R("ds_min_rtn_f64", VKFD_SH_ATOM_MIN_F),
    [0x73] = DS_A64R("ds_max_rtn_f64", VKFD_SH_ATOM_MAX_F),
    [0x76] = DS_RD("ds_read_b64", B64, 8),
    [0x77] = DS_E("ds_read2_b64", ds_read2, N, N, B128, 8 | DS_2ADDR),
    [0x78] = DS_E("ds_read2st64_b64", ds_read2, N, N, B128,
                  8 | DS_2ADDR | DS_ST64),
    [0x7c] = DS_A64R("ds_add_rtn_f64", VKFD_SH_ATOM_ADD_F),
    [0xde] = DS_WR("ds_write_b96", B96, 12),
    [0xdf] = DS_WR("ds_write_b128", B128, 16),
    [0xfe] = DS_RD("ds_read_b96", B96, 12),
    [0xff] = DS_RD("ds_read_b128", B128, 16),
};

/*
 * DS: dword 0 offset0 [7:0], offset1 [15:8], gds [16], op [24:17],
 * acc [25] (gfx90a: DATA and VDST are AGPRs), encoding 110110 [31:26];
 * dword 1 addr [7:0], data0 [15:8], data1 [23:16], vdst [31:24].
 */
bool vkfd_sh_decode_ds(VkfdShDecoder *dc, VkfdShInsn *in)
{
    uint32_t d0 = dc->dw[0], d1 = dc->dw[1];
    unsigned op = d0 >> 17 & 0xff, off0 = d0 & 0xff, off1 = d0 >> 8 & 0xff;
    bool acc = d0 >> 25 & 1;
    const VkfdShOp *o = &ds_ops[op];
    unsigned scale;

    if (dc->avail < 2) {
        dc->why = "ds: truncated instruction";
        return false;
    }
    if (!o->exec) {
        dc->why = "ds: unknown or unsupported opcode";
        return false;
    }
    if (d0 >> 16 & 1) {
        dc->why = "ds: GDS is not supported";
        return false;
    }
    in->op = o;
    in->exec = o->exec;
    in->len = 8;
    in->opcode = op;
    if (o->flags & DS_2ADDR) {
        scale = (o->flags & DS_SIZE_MASK) * (o->flags & DS_ST64 ? 64 : 1);
        in->imm = off0 * scale;
        in->u.mem.offset1 = off1 * scale;
    } else {
        in->imm = off0 | off1 << 8;
    }
    if (o->src[0] != N &&
        !vkfd_sh_decode_vgpr(dc, in, d1 & 0xff, false, o->src[0],
                             &in->src[0])) {
        return false;
    }
    if (o->src[1] != N &&
        !vkfd_sh_decode_vgpr(dc, in, d1 >> 8 & 0xff, acc, o->src[1],
                             &in->src[1])) {
        return false;
    }
    if (o->src[2] != N &&
        !vkfd_sh_decode_vgpr(dc, in, d1 >> 16 & 0xff, acc, o->src[2],
                             &in->src[2])) {
        return false;
    }
    if (o->dst != N &&
        !vkfd_sh_decode_vgpr(dc, in, d1 >> 24, acc, o->dst, &in->dst)) {
        return false;
    }
    return true;
}
