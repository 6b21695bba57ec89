/*
 * vkfd: a virtual AMD KFD device -- shader core: FLAT, GLOBAL, SCRATCH, MUBUF
 *
 * Vector memory: every lane that EXEC enables computes its own address
 * and moves its own bytes.
 *
 * FLAT (seg 0): a 64-bit address per lane (VADDR pair + the 12-bit
 * unsigned offset).  An address in the LDS aperture (high dword equal to
 * that of w->shared_base) goes to the workgroup's LDS at its low dword; in
 * the private aperture (w->private_base) to the lane's private memory at
 * its low dword; anything else to global memory through the context's
 * GPUVM.
 * GLOBAL (seg 2): VADDR pair + offset, or with SADDR an SGPR pair + the
 * 32-bit VADDR + offset; the offset is 13-bit signed.
 * SCRATCH (seg 1): a private offset, VADDR or SADDR (one SGPR) + offset.
 * Private memory is the wave's slot of the queue's scratch, whose address
 * the kernel's prologue put in FLAT_SCRATCH (s[102:103]), interleaved by
 * dword as the hardware does: byte o of lane L is at
 * FLAT_SCRATCH + (o / 4) * 256 + L * 4 + o % 4.
 * MUBUF: an address from the buffer resource (V#) in four SGPRs, with
 * the V#'s swizzling (ROCr's private segment buffer is swizzled the same
 * way as FLAT_SCRATCH, so MUBUF and FLAT private accesses agree) and its
 * range check: a lane out of range reads 0 and writes nothing.
 *
 * Decoded operands (FLAT family): src[0] VADDR (VGPR, B64 or B32, or
 * NONE), src[1] SADDR (SREG, or NONE for "off"), src[2] DATA, dst VDST;
 * imm the offset.  MUBUF: src[0] VADDR (index and/or offset), src[1] the
 * V# (SREG B128), src[2] DATA, dst VDST, sdst SOFFSET; imm the offset.
 * DATA and VDST are AGPRs when the acc bit (gfx90a) is set.
 *
 * A global access that faults stops the wave with the first faulting
 * lane's VA (vkfd_sh_read/write).  Lanes move together where they can:
 * a coalesced plain dword row (EXEC full, lane i at base + 4 i) straight
 * between the VGPR and memory, private rows at one offset for all lanes,
 * and otherwise runs of lanes in a row or on one address, each run one
 * GPUVM access, a GPU page at a time.
 *
 * Waves run one at a time, so no other wave comes between an atomic's
 * read and write.  A global atomic is also atomic against the guest's
 * CPUs where its memory is plain RAM (vkfd_vm_atomic: a host
 * compare-and-swap on the word); LDS and private lanes are the wave's own.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/log.h"
#include "qemu/bitops.h"
#include "qemu/host-utils.h"
#include "vkfd.h"
#include "vkfd-sh.h"
#include "vkfd-sh-mem.h"
#include "trace.h"

/* VkfdShOp.flags of a vector memory opcode */
#define VM_SIZE_MASK    0x1f            /* bytes per lane: 1..16 */
#define VM_SEXT         (1u << 5)       /* sign-extend a byte/short load */
#define VM_D16          (1u << 6)       /* load into 16 bits of VDST */
#define VM_HI           (1u << 7)       /* the high 16 bits (d16_hi) */
#define VM_ATOM_SHIFT   8               /* VkfdShAtom, 5 bits */
#define VM_NOT_FLAT     (1u << 13)      /* GLOBAL and MUBUF only */
#define VM_CMP          (1u << 14)      /* cmpswap: DATA is {src, cmp} */

#define VM_ATOM(a)      ((unsigned)(a) << VM_ATOM_SHIFT)
#define VM_ATOM_OF(f)   ((VkfdShAtom)((f) >> VM_ATOM_SHIFT & 0x1f))

#define N               VKFD_SH_NONE
#define B32             VKFD_SH_B32
#define B64             VKFD_SH_B64
#define B96             VKFD_SH_B96
#define B128            VKFD_SH_B128

#define VM_PAGE         4096ull         /* GPUVM's smallest page */
#define VM_SWIZZLE(o, lane) \
    (((uint64_t)(o) >> 2) * (4 * VKFD_SH_WAVE_SIZE) + (lane) * 4 + ((o) & 3))

/* Where each lane goes */
typedef struct VmLanes {
    uint64_t addr[VKFD_SH_WAVE_SIZE];   /* VA, or LDS / private offset */
    uint64_t lds;                       /* lanes in the LDS aperture */
    uint64_t priv;                      /* lanes in private memory */
    uint64_t skip;                      /* MUBUF: lanes out of range */
    uint64_t lds_bad;                   /* first LDS offset out of range */
} VmLanes;

static uint64_t vm_private_base(const VkfdWave *w)
{
    return w->s[VKFD_SH_FLAT_SCR_LO] |
           (uint64_t)w->s[VKFD_SH_FLAT_SCR_HI] << 32;
}

/* MUBUF: the lanes' addresses from the V#; out-of-range lanes in skip. */
static void vm_mubuf_lanes(VkfdWave *w, const VkfdShInsn *in, VmLanes *l,
                           uint64_t exec)
{
    const uint32_t *rsrc = &w->s[in->src[1].idx];
    uint64_t base = rsrc[0] | (uint64_t)(rsrc[1] & 0xffff) << 32;
    uint32_t stride = rsrc[1] >> 16 & 0x3fff, records = rsrc[2];
    bool swizzle = rsrc[1] >> 31, add_tid = rsrc[3] >> 23 & 1;
    unsigned esize = 2u << (rsrc[3] >> 19 & 3);
    unsigned istride = 8u << (rsrc[3] >> 21 & 3);
    unsigned size = in->op->flags & VM_SIZE_MASK;
    const uint32_t *vidx = NULL, *voff = NULL;
    int i;

    base += vkfd_sh_s32(w, &in->sdst);
    if (in->u.mem.idxen) {
        vidx = w->v[in->src[0].idx];
    }
    if (in->u.mem.offen) {
        voff = w->v[in->src[0].idx + (in->u.mem.idxen ? 1 : 0)];
    }
    for (i = 0; i < VKFD_SH_WAVE_SIZE; i++) {
        uint64_t idx, off;
        bool in_range;

        if (!(exec >> i & 1)) {
            continue;
        }
        idx = (vidx ? vidx[i] : 0) + (add_tid ? i : 0);
        off = (uint32_t)((voff ? voff[i] : 0) + in->imm);
        if (stride == 0) {
            in_range = off + size <= records;
        } else {
            in_range = idx < records;
        }
        if (!in_range) {
            l->skip |= 1ull << i;
            continue;
        }
        if (swizzle) {
            l->addr[i] = base +
                ((idx / istride) * stride + (off / esize) * esize) * istride +
                (idx % istride) * esize + off % esize;
        } else {
            l->addr[i] = base + off + idx * stride;
        }
    }
    if (l->skip) {
        VKFD_GUEST_ERR(vkfd_err_sh_mubuf_range,
                       "wave %u pc 0x%" PRIx64 ": %s at buffer offset 0x%"
                       PRIx64 " beyond num_records 0x%x: reads 0, "
                       "writes nothing",
                       w->wave_id, in->pc, in->op->name,
                       (uint64_t)(uint32_t)in->imm, records);
    }
}

/* Every enabled lane's address, and which space it is in. */
static void vm_lanes(VkfdWave *w, const VkfdShInsn *in, VmLanes *l,
                     uint64_t exec)
{
    int64_t off = in->imm;
    int i;

    l->lds = l->priv = l->skip = 0;
    l->lds_bad = UINT64_MAX;
    if (in->family == VKFD_SH_MUBUF) {
        vm_mubuf_lanes(w, in, l, exec);
        return;
    }
    if (in->u.mem.seg == 1) {                       /* SCRATCH */
        uint32_t s = in->src[1].kind ? vkfd_sh_s32(w, &in->src[1]) : 0;
        const uint32_t *v = in->src[0].kind ? w->v[in->src[0].idx] : NULL;

        for (i = 0; i < VKFD_SH_WAVE_SIZE; i++) {
            l->addr[i] = (uint32_t)((v ? v[i] : s) + off);
        }
        l->priv = exec;
        return;
    }
    if (in->src[1].kind) {                          /* GLOBAL, SADDR */
        uint64_t s = vkfd_sh_s64(w, &in->src[1]) + off;
        const uint32_t *v = w->v[in->src[0].idx];

        for (i = 0; i < VKFD_SH_WAVE_SIZE; i++) {
            l->addr[i] = s + v[i];
        }
        return;
    } else {                                        /* FLAT, GLOBAL off */
        const uint32_t *lo = w->v[in->src[0].idx];
        const uint32_t *hi = w->v[in->src[0].idx + 1];

        for (i = 0; i < VKFD_SH_WAVE_SIZE; i++) {
            l->addr[i] = (lo[i] | (uint64_t)hi[i] << 32) + off;
        }
    }
    if (in->u.mem.seg == 0) {
        uint32_t lds_hi = w->shared_base >> 32, priv_hi = w->private_base >> 32;

        for (i = 0; i < VKFD_SH_WAVE_SIZE; i++) {
            uint32_t hi = l->addr[i] >> 32;

            if (!(exec >> i & 1)) {
                continue;
            }
            if (hi == lds_hi) {
                l->lds |= 1ull << i;
                l->addr[i] = (uint32_t)l->addr[i];
            } else if (hi == priv_hi) {
                l->priv |= 1ull << i;
                l->addr[i] = (uint32_t)l->addr[i];
            }
        }
    }
}

/* Private memory of one lane: the dword interleave, a dword at a time. */
static bool vm_private_rw(VkfdWave *w, int lane, uint32_t off, uint8_t *buf,
                          unsigned len, bool write)
{
    uint64_t base = vm_private_base(w);

    while (len) {
        unsigned n = MIN(len, 4 - (off & 3));
        uint64_t va = base + VM_SWIZZLE(off, lane);

        if (!(write ? vkfd_sh_write(w, va, buf, n)
                    : vkfd_sh_read(w, va, buf, n))) {
            return false;
        }
        off += n;
        buf += n;
        len -= n;
    }
    return true;
}

/* One lane's len bytes, in whichever space the lane is. */
static bool vm_lane_rw(VkfdWave *w, VmLanes *l, int lane, uint8_t *buf,
                       unsigned len, bool write)
{
    uint64_t a = l->addr[lane];

    if (l->lds >> lane & 1) {
        if (!vkfd_sh_lds_in_range(w, a, len)) {
            l->lds_bad = MIN(l->lds_bad, a);
            if (!write) {
                memset(buf, 0, len);
            }
        } else if (write) {
            memcpy(w->lds + a, buf, len);
        } else {
            memcpy(buf, w->lds + a, len);
        }
        return true;
    }
    if (l->priv >> lane & 1) {
        return vm_private_rw(w, lane, a, buf, len, write);
    }
    return write ? vkfd_sh_write(w, a, buf, len) : vkfd_sh_read(w, a, buf, len);
}

/*
 * The coalesced case: EXEC full, every lane global, lane i at
 * addr[0] + i * size.  Moves the block a GPU page at a time, so that a
 * fault names the first byte of the first page that faults.
 */
static bool vm_block_ok(const VmLanes *l, uint64_t exec, unsigned size)
{
    uint64_t a0 = l->addr[0];
    int i;

    if (exec != UINT64_MAX || l->lds || l->priv || l->skip) {
        return false;
    }
    for (i = 1; i < VKFD_SH_WAVE_SIZE; i++) {
        if (l->addr[i] != a0 + (uint64_t)i * size) {
            return false;
        }
    }
    return true;
}

static bool vm_block_rw(VkfdWave *w, uint64_t va, uint8_t *buf,
                        unsigned len, bool write)
{
    while (len) {
        unsigned n = MIN(len, VM_PAGE - (va & (VM_PAGE - 1)));

        if (!(write ? vkfd_sh_write(w, va, buf, n)
                    : vkfd_sh_read(w, va, buf, n))) {
            return false;
        }
        va += n;
        buf += n;
        len -= n;
    }
    return true;
}

static void vm_lds_check(VkfdWave *w, const VkfdShInsn *in, const VmLanes *l)
{
    if (l->lds_bad != UINT64_MAX) {
        vkfd_sh_lds_range_error(w, in, l->lds_bad,
                                in->op->flags & VM_SIZE_MASK);
    }
}

/* A loaded value of 1, 2 or 4+ bytes into lane i of VDST. */
static void vm_put_lane(VkfdWave *w, const VkfdShInsn *in, int i,
                        const uint8_t *p)
{
    unsigned flags = in->op->flags, size = flags & VM_SIZE_MASK, k;
    uint32_t val, *d = &w->v[in->dst.idx][i];

    if (size >= 4) {
        for (k = 0; k < size / 4; k++) {
            w->v[in->dst.idx + k][i] = ldl_le_p(p + 4 * k);
        }
        return;
    }
    val = size == 1 ? *p : lduw_le_p(p);
    if (flags & VM_SEXT) {
        val = size == 1 ? (uint32_t)(int8_t)val : (uint32_t)(int16_t)val;
    }
    if (!(flags & VM_D16)) {
        *d = val;
    } else if (flags & VM_HI) {
        *d = (*d & 0xffff) | val << 16;
    } else {
        *d = (*d & 0xffff0000) | (val & 0xffff);
    }
}

/* Lane i of DATA as the bytes a store writes. */
static void vm_get_lane(const VkfdWave *w, const VkfdShInsn *in, int i,
                        uint8_t *p)
{
    unsigned flags = in->op->flags, size = flags & VM_SIZE_MASK, k;
    uint32_t val = w->v[in->src[2].idx][i];

    if (size >= 4) {
        for (k = 0; k < size / 4; k++) {
            stl_le_p(p + 4 * k, w->v[in->src[2].idx + k][i]);
        }
        return;
    }
    if (flags & VM_HI) {
        val >>= 16;
    }
    if (size == 1) {
        *p = val;
    } else {
        stw_le_p(p, val);
    }
}

/*
 * Runs of lanes: from enabled global lane i on, the lanes (enabled and
 * global: ok) at lane i's address, or each at the previous one's + size.
 * One GPUVM access then serves the run: the coalesced lanes of a partial
 * wave, or lanes that read one value (a matrix multiply's row operand).
 * Returns the run's end and its bytes (size for one shared address).
 */
static unsigned vm_run(const VmLanes *l, uint64_t ok, int i, unsigned size,
                       bool same, int *end)
{
    const uint64_t *a = l->addr;
    uint64_t next = a[i], stop = ~ok >> i >> 1;
    int j = i + 1, last = stop ? i + 1 + ctz64(stop) : VKFD_SH_WAVE_SIZE;

    if (same && j < last && a[j] == next) {
        while (++j < last && a[j] == next) {
            /* the same address */
        }
        *end = j;
        return size;
    }
    next += size;
    while (j < last && a[j] == next) {
        j++;
        next += size;
    }
    *end = j;
    return (j - i) * size;
}

/*
 * The common case of a whole-dword access (dword..dwordx4), found before
 * any per-lane work: EXEC full, not MUBUF or SCRATCH, lane i at base +
 * size * i, and (FLAT) the block outside both apertures.  A dword row then
 * moves straight between the VGPR and memory, wider ones through a block.
 */
static bool vm_coalesced(const VkfdWave *w, const VkfdShInsn *in,
                         unsigned size, uint64_t *base)
{
    uint64_t a0;
    int i;

    if (vkfd_sh_exec_mask(w) != UINT64_MAX || in->family != VKFD_SH_FLAT ||
        in->u.mem.seg == 1) {
        return false;
    }
    if (in->src[1].kind) {                          /* GLOBAL, SADDR */
        const uint32_t *v = w->v[in->src[0].idx];
        uint32_t v0 = v[0];

        if (v0 > UINT32_MAX - size * (VKFD_SH_WAVE_SIZE - 1)) {
            return false;
        }
        for (i = 1; i < VKFD_SH_WAVE_SIZE; i++) {
            if (v[i] != v0 + size * i) {
                return false;
            }
        }
        *base = vkfd_sh_s64(w, &in->src[1]) + v0 + in->imm;
        return true;
    } else {
        const uint32_t *lo = w->v[in->src[0].idx];
        const uint32_t *hi = w->v[in->src[0].idx + 1];

        a0 = lo[0] | (uint64_t)hi[0] << 32;
        for (i = 1; i < VKFD_SH_WAVE_SIZE; i++) {
            if ((lo[i] | (uint64_t)hi[i] << 32) != a0 + size * i) {
                return false;
            }
        }
        *base = a0 + in->imm;
    }
    if (in->u.mem.seg == 0) {
        uint32_t first = *base >> 32;
        uint32_t last = (*base + size * VKFD_SH_WAVE_SIZE - 1) >> 32;

        if (first != last || first == (uint32_t)(w->shared_base >> 32) ||
            first == (uint32_t)(w->private_base >> 32)) {
            return false;
        }
    }
    return true;
}

/*
 * Private memory at one dword-aligned offset o for every lane, EXEC full
 * (a private array indexed the same way by every lane, a spill): dword k
 * of the lanes is the row of 256 bytes at FLAT_SCRATCH + (o / 4 + k) * 256.
 */
static bool vm_private_rows_ok(const VmLanes *l, uint64_t exec,
                               unsigned size)
{
    int i;

    if (exec != UINT64_MAX || l->priv != UINT64_MAX || size % 4 ||
        l->addr[0] % 4) {
        return false;
    }
    for (i = 1; i < VKFD_SH_WAVE_SIZE; i++) {
        if (l->addr[i] != l->addr[0]) {
            return false;
        }
    }
    return true;
}

static uint64_t vm_private_row(const VkfdWave *w, const VmLanes *l,
                               unsigned k)
{
    return vm_private_base(w) + VM_SWIZZLE(l->addr[0] + 4 * k, 0);
}

/* n dwords (a row: 64) in memory order, to or from the host's order. */
static void vm_row_le_n(uint32_t *row, int n)
{
#if HOST_BIG_ENDIAN
    int i;

    for (i = 0; i < n; i++) {
        row[i] = le32_to_cpu(row[i]);
    }
#endif
}

static void vm_row_le(uint32_t *row)
{
    vm_row_le_n(row, VKFD_SH_WAVE_SIZE);
}

static bool vm_load(VkfdWave *w, const VkfdShInsn *in)
{
    uint64_t exec = vkfd_sh_exec_mask(w), ok, last_va = 0;
    unsigned size = in->op->flags & VM_SIZE_MASK, last_n = 0;
    bool plain = (in->op->flags & ~VM_ATOM(0x1f)) == 4;
    bool wide = (in->op->flags & ~VM_SIZE_MASK) == 0 && size > 4;
    uint8_t block[16 * VKFD_SH_WAVE_SIZE];
    uint64_t base;
    VmLanes l;
    int i;

    if (plain && vm_coalesced(w, in, 4, &base)) {
        uint32_t *d = w->v[in->dst.idx];

        if (!vm_block_rw(w, base, (uint8_t *)d, 4 * VKFD_SH_WAVE_SIZE,
                         false)) {
            return false;
        }
        vm_row_le(d);
        return true;
    }
    if (wide && vm_coalesced(w, in, size, &base)) {
        if (!vm_block_rw(w, base, block, size * VKFD_SH_WAVE_SIZE, false)) {
            return false;
        }
        for (i = 0; i < VKFD_SH_WAVE_SIZE; i++) {
            vm_put_lane(w, in, i, block + size * i);
        }
        return true;
    }
    vm_lanes(w, in, &l, exec);
    if (vm_private_rows_ok(&l, exec, size)) {
        for (i = 0; i < size / 4; i++) {
            uint32_t *d = w->v[in->dst.idx + i];

            if (!vm_block_rw(w, vm_private_row(w, &l, i), (uint8_t *)d,
                             4 * VKFD_SH_WAVE_SIZE, false)) {
                return false;
            }
            vm_row_le(d);
        }
        return true;
    }
    if (vm_block_ok(&l, exec, size)) {
        if (!vm_block_rw(w, l.addr[0], block, size * VKFD_SH_WAVE_SIZE,
                         false)) {
            return false;
        }
        if (size == 4) {
            uint32_t *d = w->v[in->dst.idx];

            for (i = 0; i < VKFD_SH_WAVE_SIZE; i++) {
                d[i] = ldl_le_p(block + 4 * i);
            }
            return true;
        }
        for (i = 0; i < VKFD_SH_WAVE_SIZE; i++) {
            vm_put_lane(w, in, i, block + size * i);
        }
        return true;
    }
    ok = exec & ~(l.lds | l.priv | l.skip);
    for (i = 0; i < VKFD_SH_WAVE_SIZE; ) {
        uint64_t bit = 1ull << i;
        unsigned n;
        int j, end;

        if (!(exec & bit)) {
            i++;
            continue;
        }
        if (!(ok & bit)) {
            last_n = 0;                     /* block is reused below */
            memset(block, 0, 16);
            if (!(l.skip & bit) && !vm_lane_rw(w, &l, i, block, size, false)) {
                return false;
            }
            vm_put_lane(w, in, i, block);
            i++;
            continue;
        }
        n = vm_run(&l, ok, i, size, true, &end);
        /* a run that repeats the one before (rows of a 2D workgroup) */
        if (n != last_n || l.addr[i] != last_va) {
            if (!vm_block_rw(w, l.addr[i], block, n, false)) {
                return false;
            }
            last_va = l.addr[i];
            last_n = n;
        }
        if (plain && n == 4) {
            uint32_t *d = w->v[in->dst.idx], v = ldl_le_p(block);

            for (j = i; j < end; j++) {
                d[j] = v;
            }
        } else if (plain) {
            uint32_t *d = w->v[in->dst.idx];

            memcpy(d + i, block, n);
            vm_row_le_n(d + i, end - i);
        } else {
            for (j = i; j < end; j++) {
                vm_put_lane(w, in, j,
                            n == size ? block : block + (j - i) * size);
            }
        }
        i = end;
    }
    vm_lds_check(w, in, &l);
    return true;
}

static bool vm_store(VkfdWave *w, const VkfdShInsn *in)
{
    uint64_t exec = vkfd_sh_exec_mask(w), ok, base;
    unsigned size = in->op->flags & VM_SIZE_MASK;
    uint8_t block[16 * VKFD_SH_WAVE_SIZE];
    VmLanes l;
    int i;

    if (in->op->flags == 4 && vm_coalesced(w, in, 4, &base)) {
        const uint32_t *s = w->v[in->src[2].idx];

#if HOST_BIG_ENDIAN
        for (i = 0; i < VKFD_SH_WAVE_SIZE; i++) {
            stl_le_p(block + 4 * i, s[i]);
        }
        s = (const uint32_t *)block;
#endif
        return vm_block_rw(w, base, (uint8_t *)s, 4 * VKFD_SH_WAVE_SIZE,
                           true);
    }
    if (in->op->flags == size && size > 4 && vm_coalesced(w, in, size, &base)) {
        for (i = 0; i < VKFD_SH_WAVE_SIZE; i++) {
            vm_get_lane(w, in, i, block + size * i);
        }
        return vm_block_rw(w, base, block, size * VKFD_SH_WAVE_SIZE, true);
    }
    vm_lanes(w, in, &l, exec);
    if (vm_private_rows_ok(&l, exec, size)) {
        for (i = 0; i < size / 4; i++) {
            const uint32_t *row = w->v[in->src[2].idx + i];
            int j;

            for (j = 0; j < VKFD_SH_WAVE_SIZE; j++) {
                stl_le_p(block + 4 * j, row[j]);
            }
            if (!vm_block_rw(w, vm_private_row(w, &l, i), block,
                             4 * VKFD_SH_WAVE_SIZE, true)) {
                return false;
            }
        }
        return true;
    }
    if (vm_block_ok(&l, exec, size)) {
        if (size == 4) {
            const uint32_t *s = w->v[in->src[2].idx];

            for (i = 0; i < VKFD_SH_WAVE_SIZE; i++) {
                stl_le_p(block + 4 * i, s[i]);
            }
        } else {
            for (i = 0; i < VKFD_SH_WAVE_SIZE; i++) {
                vm_get_lane(w, in, i, block + size * i);
            }
        }
        return vm_block_rw(w, l.addr[0], block, size * VKFD_SH_WAVE_SIZE,
                           true);
    }
    ok = exec & ~(l.lds | l.priv | l.skip);
    for (i = 0; i < VKFD_SH_WAVE_SIZE; ) {
        uint64_t bit = 1ull << i;
        unsigned n;
        int j, end;

        if (!(exec & bit) || (l.skip & bit)) {
            i++;
            continue;
        }
        if ((l.lds | l.priv) & bit) {
            vm_get_lane(w, in, i, block);
            if (!vm_lane_rw(w, &l, i, block, size, true)) {
                return false;
            }
            i++;
            continue;
        }
        n = vm_run(&l, ok, i, size, false, &end);
        for (j = i; j < end; j++) {
            vm_get_lane(w, in, j, block + (j - i) * size);
        }
        if (!vm_block_rw(w, l.addr[i], block, n, true)) {
            return false;
        }
        i = end;
    }
    vm_lds_check(w, in, &l);
    return true;
}

/*
 * Atomics, 32 or 64 bits (size).  DATA is the operand, or for cmpswap
 * {src, cmp} (two dwords, or two pairs).  With glc the old value goes to
 * VDST (decoded only then).  A global lane's atomic is vkfd_vm_atomic()'s,
 * with vkfd_sh_atom32/64 as the operation; a lane in the LDS or private
 * aperture is the wave's own memory, read then written.
 */
typedef struct VmAtomArgs {
    VkfdShAtom op;
    uint64_t src, cmp;
} VmAtomArgs;

static uint64_t vm_atom32_fn(uint64_t old, const void *opaque)
{
    const VmAtomArgs *a = opaque;

    return vkfd_sh_atom32(a->op, old, a->src, a->cmp);
}

static uint64_t vm_atom64_fn(uint64_t old, const void *opaque)
{
    const VmAtomArgs *a = opaque;

    return vkfd_sh_atom64(a->op, old, a->src, a->cmp);
}

static bool vm_atomic_local(VkfdWave *w, VmLanes *l, int i, unsigned size,
                            const VmAtomArgs *a, uint64_t *old)
{
    uint8_t buf[8];

    if (!vm_lane_rw(w, l, i, buf, size, false)) {
        return false;
    }
    if (size == 4) {
        *old = ldl_le_p(buf);
        stl_le_p(buf, vm_atom32_fn(*old, a));
    } else {
        *old = ldq_le_p(buf);
        stq_le_p(buf, vm_atom64_fn(*old, a));
    }
    return vm_lane_rw(w, l, i, buf, size, true);
}

static bool vm_atomic(VkfdWave *w, const VkfdShInsn *in)
{
    uint64_t exec = vkfd_sh_exec_mask(w);
    unsigned flags = in->op->flags, size = flags & VM_SIZE_MASK;
    unsigned d = in->src[2].idx, dw = size / 4;
    VkfdVmAtomicFn *fn = size == 4 ? vm_atom32_fn : vm_atom64_fn;
    VmAtomArgs a = { .op = VM_ATOM_OF(flags) };
    VmLanes l;
    int i;

    vm_lanes(w, in, &l, exec);
    for (i = 0; i < VKFD_SH_WAVE_SIZE; i++) {
        uint64_t bit = 1ull << i, old = 0;

        if (!(exec & bit)) {
            continue;
        }
        a.src = w->v[d][i];
        if (size == 8) {
            a.src |= (uint64_t)w->v[d + 1][i] << 32;
        }
        if (flags & VM_CMP) {
            a.cmp = w->v[d + dw][i];
            if (size == 8) {
                a.cmp |= (uint64_t)w->v[d + 3][i] << 32;
            }
        }
        if ((l.lds | l.priv) & bit) {
            if (!vm_atomic_local(w, &l, i, size, &a, &old)) {
                return false;
            }
        } else if (!(l.skip & bit) &&
                   !vkfd_sh_atomic(w, l.addr[i], size, fn, &a, &old)) {
            return false;
        }
        if (in->dst.kind) {
            w->v[in->dst.idx][i] = old;
            if (size == 8) {
                w->v[in->dst.idx + 1][i] = old >> 32;
            }
        }
    }
    vm_lds_check(w, in, &l);
    return true;
}

/* buffer_wbinvl1(_vol), buffer_wbl2, buffer_invl2: no caches here */
static bool vm_cache(VkfdWave *w, const VkfdShInsn *in)
{
    return true;
}

#define VM_E(nm, fn, data, vd, fl) \
    { .name = nm, .exec = fn, .src = { N, N, data }, .dst = vd, \
      .flags = (fl) }
#define VM_LD(nm, vd, fl)       VM_E(nm, vm_load, N, vd, fl)
#define VM_ST(nm, data, fl)     VM_E(nm, vm_store, data, N, fl)
#define VM_A(nm, data, vd, fl)  VM_E(nm, vm_atomic, data, vd, fl)
#define VM_A32(nm, a)           VM_A(nm, B32, B32, 4 | VM_ATOM(a))
#define VM_A64(nm, a)           VM_A(nm, B64, B64, 8 | VM_ATOM(a))

/* Loads and stores: FLAT, GLOBAL, SCRATCH and MUBUF (prefix P) */
#define VM_LOAD_STORE(P) \
    [0x10] = VM_LD(P "load_ubyte", B32, 1), \
    [0x11] = VM_LD(P "load_sbyte", B32, 1 | VM_SEXT), \
    [0x12] = VM_LD(P "load_ushort", B32, 2), \
    [0x13] = VM_LD(P "load_sshort", B32, 2 | VM_SEXT), \
    [0x14] = VM_LD(P "load_dword", B32, 4), \
    [0x15] = VM_LD(P "load_dwordx2", B64, 8), \
    [0x16] = VM_LD(P "load_dwordx3", B96, 12), \
    [0x17] = VM_LD(P "load_dwordx4", B128, 16), \
    [0x18] = VM_ST(P "store_byte", B32, 1), \
    [0x19] = VM_ST(P "store_byte_d16_hi", B32, 1 | VM_HI), \
    [0x1a] = VM_ST(P "store_short", B32, 2), \
    [0x1b] = VM_ST(P "store_short_d16_hi", B32, 2 | VM_HI), \
    [0x1c] = VM_ST(P "store_dword", B32, 4), \
    [0x1d] = VM_ST(P "store_dwordx2", B64, 8), \
    [0x1e] = VM_ST(P "store_dwordx3", B96, 12), \
    [0x1f] = VM_ST(P "store_dwordx4", B128, 16), \
    [0x20] = VM_LD(P "load_ubyte_d16", B32, 1 | VM_D16), \
    [0x21] = VM_LD(P "load_ubyte_d16_hi", B32, 1 | VM_D16 | VM_HI), \
    [0x22] = VM_LD(P "load_sbyte_d16", B32, 1 | VM_D16 | VM_SEXT), \
    [0x23] = VM_LD(P "load_sbyte_d16_hi", B32, \
                   1 | VM_D16 | VM_HI | VM_SEXT), \
    [0x24] = VM_LD(P "load_short_d16", B32, 2 | VM_D16), \
    [0x25] = VM_LD(P "load_short_d16_hi", B32, 2 | VM_D16 | VM_HI)

/* Atomics: FLAT, GLOBAL and MUBUF */
#define VM_ATOMICS(P) \
    [0x40] = VM_A32(P "atomic_swap", VKFD_SH_ATOM_SWAP), \
    [0x41] = VM_A(P "atomic_cmpswap", B64, B32, \
                  4 | VM_CMP | VM_ATOM(VKFD_SH_ATOM_CMPSWAP)), \
    [0x42] = VM_A32(P "atomic_add", VKFD_SH_ATOM_ADD), \
    [0x43] = VM_A32(P "atomic_sub", VKFD_SH_ATOM_SUB), \
    [0x44] = VM_A32(P "atomic_smin", VKFD_SH_ATOM_SMIN), \
    [0x45] = VM_A32(P "atomic_umin", VKFD_SH_ATOM_UMIN), \
    [0x46] = VM_A32(P "atomic_smax", VKFD_SH_ATOM_SMAX), \
    [0x47] = VM_A32(P "atomic_umax", VKFD_SH_ATOM_UMAX), \
    [0x48] = VM_A32(P "atomic_and", VKFD_SH_ATOM_AND), \
    [0x49] = VM_A32(P "atomic_or", VKFD_SH_ATOM_OR), \
    [0x4a] = VM_A32(P "atomic_xor", VKFD_SH_ATOM_XOR), \
    [0x4b] = VM_A32(P "atomic_inc", VKFD_SH_ATOM_INC), \
    [0x4c] = VM_A32(P "atomic_dec", VKFD_SH_ATOM_DEC), \
    [0x4d] = VM_A(P "atomic_add_f32", B32, B32, \
                  4 | VM_NOT_FLAT | VM_ATOM(VKFD_SH_ATOM_ADD_F)), \
    [0x4e] = VM_A(P "atomic_pk_add_f16", B32, B32, \
                  4 | VM_NOT_FLAT | VM_ATOM(VKFD_SH_ATOM_PK_ADD_F16)), \
    [0x4f] = VM_A64(P "atomic_add_f64", VKFD_SH_ATOM_ADD_F), \
    [0x50] = VM_A64(P "atomic_min_f64", VKFD_SH_ATOM_MIN_F), \
    [0x51] = VM_A64(P "atomic_max_f64", VKFD_SH_ATOM_MAX_F), \
    [0x60] = VM_A64(P "atomic_swap_x2", VKFD_SH_ATOM_SWAP), \
    [0x61] = VM_A(P "atomic_cmpswap_x2", B128, B64, \
                  8 | VM_CMP | VM_ATOM(VKFD_SH_ATOM_CMPSWAP)), \
    [0x62] = VM_A64(P "atomic_add_x2", VKFD_SH_ATOM_ADD), \
    [0x63] = VM_A64(P "atomic_sub_x2", VKFD_SH_ATOM_SUB), \
    [0x64] = VM_A64(P "atomic_smin_x2", VKFD_SH_ATOM_SMIN), \
    [0x65] = VM_A64(P "atomic_umin_x2", VKFD_SH_ATOM_UMIN), \
    [0x66] = VM_A64(P "atomic_smax_x2", VKFD_SH_ATOM_SMAX), \
    [0x67] = VM_A64(P "atomic_umax_x2", VKFD_SH_ATOM_UMAX), \
    [0x68] = VM_A64(P "atomic_and_x2", VKFD_SH_ATOM_AND), \
    [0x69] = VM_A64(P "atomic_or_x2", VKFD_SH_ATOM_OR), \
    [0x6a] = VM_A64(P "atomic_xor_x2", VKFD_SH_ATOM_XOR), \
    [0x6b] = VM_A64(P "atomic_inc_x2", VKFD_SH_ATOM_INC), \
    [0x6c] = VM_A64(P "atomic_dec_x2", VKFD_SH_ATOM_DEC)

static const VkfdShOp flat_ops[128] = {
    VM_LOAD_STORE("flat_"),
    VM_ATOMICS("flat_"),
};

static const VkfdShOp global_ops[128] = {
    VM_LOAD_STORE("global_"),
    VM_ATOMICS("global_"),
};

static const VkfdShOp scratch_ops[128] = {
    VM_LOAD_STORE("scratch_"),
};

static const VkfdShOp mubuf_ops[128] = {
    VM_LOAD_STORE("buffer_"),
    VM_ATOMICS("buffer_"),
    [0x28] = VM_E("buffer_wbl2", vm_cache, N, N, 0),
    [0x29] = VM_E("buffer_invl2", vm_cache, N, N, 0),
    [0x3e] = VM_E("buffer_wbinvl1", vm_cache, N, N, 0),
    [0x3f] = VM_E("buffer_wbinvl1_vol", vm_cache, N, N, 0),
};

static const VkfdShOp *const flat_tables[3] = {
    flat_ops, scratch_ops, global_ops,
};

/* DATA and VDST of a memory opcode; VDST of an atomic only with glc. */
static bool vm_decode_data(VkfdShDecoder *dc, VkfdShInsn *in,
                           unsigned data, unsigned vdst, bool acc)
{
    const VkfdShOp *o = in->op;
    bool atomic = VM_ATOM_OF(o->flags) != VKFD_SH_ATOM_NONE;

    if (o->src[2] != N &&
        !vkfd_sh_decode_vgpr(dc, in, data, acc, o->src[2], &in->src[2])) {
        return false;
    }
    if (o->dst != N && (!atomic || in->u.mem.glc) &&
        !vkfd_sh_decode_vgpr(dc, in, vdst, acc, o->dst, &in->dst)) {
        return false;
    }
    return true;
}

/*
 * FLAT, GLOBAL, SCRATCH: dword 0 offset [12:0], lds [13], seg [15:14],
 * glc [16], slc [17], op [24:18], encoding 110111 [31:26]; dword 1 addr
 * [7:0], data [15:8], saddr [22:16] (0x7f: off), acc [23] (gfx90a),
 * vdst [31:24].
 */
bool vkfd_sh_decode_flat(VkfdShDecoder *dc, VkfdShInsn *in)
{
    uint32_t d0 = dc->dw[0], d1 = dc->dw[1];
    unsigned op = d0 >> 18 & 0x7f, seg = d0 >> 14 & 3;
    unsigned vaddr = d1 & 0xff, saddr = d1 >> 16 & 0x7f;
    bool acc = d1 >> 23 & 1;
    const VkfdShOp *o;

    if (dc->avail < 2) {
        dc->why = "flat: truncated instruction";
        return false;
    }
    if (seg == 3) {
        dc->why = "flat: reserved segment 3";
        return false;
    }
    o = &flat_tables[seg][op];
    if (!o->exec || (seg == 0 && (o->flags & VM_NOT_FLAT))) {
        dc->why = "flat: unknown or unsupported opcode";
        return false;
    }
    if (d0 >> 13 & 1) {
        dc->why = "flat: the lds bit (loads into LDS) is not supported";
        return false;
    }
    in->op = o;
    in->exec = o->exec;
    in->len = 8;
    in->opcode = op;
    in->u.mem.seg = seg;
    in->u.mem.glc = d0 >> 16 & 1;
    in->u.mem.slc = d0 >> 17 & 1;
    if (seg == 0) {
        if (d0 & 0x1000) {
            dc->why = "flat: offset bit 12 set (12-bit unsigned offset)";
            return false;
        }
        in->imm = d0 & 0xfff;
        if (!vkfd_sh_decode_vgpr(dc, in, vaddr, false, B64, &in->src[0])) {
            return false;
        }
    } else {
        in->imm = sextract32(d0, 0, 13);
        if (saddr == 0x7f) {
            if (!vkfd_sh_decode_vgpr(dc, in, vaddr, false,
                                     seg == 2 ? B64 : B32, &in->src[0])) {
                return false;
            }
        } else {
            if (!vkfd_sh_decode_src(dc, in, saddr, seg == 2 ? B64 : B32,
                                    VKFD_SH_DEC_NO_LITERAL |
                                    VKFD_SH_DEC_NO_VGPR |
                                    VKFD_SH_DEC_NO_CONST, &in->src[1])) {
                return false;
            }
            if (seg == 2 &&
                !vkfd_sh_decode_vgpr(dc, in, vaddr, false, B32,
                                     &in->src[0])) {
                return false;
            }
        }
    }
    return vm_decode_data(dc, in, d1 >> 8 & 0xff, d1 >> 24, acc);
}

/*
 * MUBUF: dword 0 offset [11:0], offen [12], idxen [13], glc [14], lds
 * [16], slc [17], op [24:18], encoding 111000 [31:26]; dword 1 vaddr
 * [7:0], vdata [15:8], srsrc [20:16] (in units of 4 SGPRs), acc [23]
 * (gfx90a), soffset [31:24] (an SGPR or an inline constant).
 */
bool vkfd_sh_decode_mubuf(VkfdShDecoder *dc, VkfdShInsn *in)
{
    uint32_t d0 = dc->dw[0], d1 = dc->dw[1];
    unsigned op = d0 >> 18 & 0x7f;
    const VkfdShOp *o = &mubuf_ops[op];
    bool acc = d1 >> 23 & 1;

    if (dc->avail < 2) {
        dc->why = "mubuf: truncated instruction";
        return false;
    }
    if (!o->exec) {
        dc->why = "mubuf: unknown or unsupported opcode (format ops refused)";
        return false;
    }
    if (d0 >> 16 & 1) {
        dc->why = "mubuf: the lds bit (loads into LDS) is not supported";
        return false;
    }
    in->op = o;
    in->exec = o->exec;
    in->len = 8;
    in->opcode = op;
    in->u.mem.offen = d0 >> 12 & 1;
    in->u.mem.idxen = d0 >> 13 & 1;
    in->u.mem.glc = d0 >> 14 & 1;
    in->u.mem.slc = d0 >> 17 & 1;
    in->imm = d0 & 0xfff;
    if (o->exec == vm_cache) {
        return true;
    }
    if ((in->u.mem.offen || in->u.mem.idxen) &&
        !vkfd_sh_decode_vgpr(dc, in, d1 & 0xff, false,
                             in->u.mem.offen && in->u.mem.idxen ? B64 : B32,
                             &in->src[0])) {
        return false;
    }
    if (!vkfd_sh_decode_src(dc, in, (d1 >> 16 & 0x1f) * 4, B128,
                            VKFD_SH_DEC_NO_LITERAL | VKFD_SH_DEC_NO_VGPR |
                            VKFD_SH_DEC_NO_CONST, &in->src[1]) ||
        !vkfd_sh_decode_src(dc, in, d1 >> 24, B32,
                            VKFD_SH_DEC_NO_LITERAL | VKFD_SH_DEC_NO_VGPR,
                            &in->sdst)) {
        return false;
    }
    /* VDATA is the data and, for loads and returning atomics, VDST */
    return vm_decode_data(dc, in, d1 >> 8 & 0xff, d1 >> 8 & 0xff, acc);
}
