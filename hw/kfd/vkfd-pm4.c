/*
 * vkfd: a virtual AMD KFD device -- the PM4 compute engine
 *
 * Runs the packets of a PM4 user queue, in the GFX9 PM4 formats a
 * compute queue of the real CP takes: type-3 packets (header bits 31:30
 * = 3, 29:16 = payload dwords - 1, 15:8 = opcode) and type-2 one-dword
 * fillers.  The write pointer user space stores is a 64-bit dword count
 * that only grows, and so is the read pointer the engine keeps (the one
 * UNMAP_QUEUE saves and migration carries); a pointer's place in the ring
 * is the count modulo the ring's dwords, so a packet may run over the end
 * of the ring and go on at its start.  The read pointer written back to
 * user space is what the GFX9 CP writes: a 32-bit dword offset into the
 * ring, wrapping at the ring's size (user space waits for it to equal
 * wptr % ring dwords); the 4 bytes after it are not touched.
 *
 * The packets: NOP, WRITE_DATA, RELEASE_MEM, WAIT_REG_MEM on memory,
 * INDIRECT_BUFFER (two levels deep, IB1 and IB2), ACQUIRE_MEM (a cache
 * action: nothing to do on a coherent device), SET_SH_REG (the COMPUTE_*
 * registers) and DISPATCH_DIRECT/INDIRECT (a kernel on the shader core,
 * vkfd-sh.c, resumed across turns like a long WRITE_DATA).  Anything else stops
 * the queue with BAD_PACKET; every address is a GPU VA of the queue's
 * context, and a fault stops it with VM_FAULT.  docs/hardware.md, "PM4",
 * says what each packet does.
 *
 * Each packet is one unit of the budget (WRITE_DATA one more per 1024
 * dwords).  The engine stops without consuming a packet that is not
 * completely written yet (the next doorbell resumes it) and on an unmet
 * WAIT_REG_MEM (vkfd-queue.c polls the queue again later).  The IB stack
 * lives in the queue, so an IB cut short by the budget or a wait resumes
 * where it stopped.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/log.h"
#include "qemu/bswap.h"
#include "vkfd.h"
#include "trace.h"

/*
 * The encodings are vkfd_hw.h's (VKFD_PM4_*); these are the device's
 * decoders and the sizes it checks the header's count against.
 */
#define PM4_SH_REG_OFFSET(d)    ((d) & VKFD_PM4_SH_OFFSET_MASK)
#define PM4_SH_CHUNK            64      /* values read at a time */

/* The header's count (payload dwords - 1) of the fixed-size packets */
#define PM4_WAIT_REG_MEM_COUNT  (VKFD_PM4_WAIT_REG_MEM_DW - 1)
#define PM4_IB_COUNT            (VKFD_PM4_IB_DW - 1)
#define PM4_RELEASE_MEM_COUNT   (VKFD_PM4_RELEASE_MEM_DW - 1)
#define PM4_ACQUIRE_MEM_COUNT   (VKFD_PM4_ACQUIRE_MEM_DW - 1)
#define PM4_DISPATCH_DIRECT_COUNT   (VKFD_PM4_DISPATCH_DIRECT_DW - 1)
#define PM4_DISPATCH_INDIRECT_COUNT (VKFD_PM4_DISPATCH_INDIRECT_DW - 1)
#define PM4_IB_LEN              (VKFD_PM4_IB_DW + 1)    /* with the header */

#define PM4_WD_DST_SEL(c) \
    (((c) >> VKFD_PM4_WD_DST_SHIFT) & VKFD_PM4_WD_DST_MASK)
#define PM4_WD_CHUNK            256     /* dwords moved at a time */

#define PM4_RM_DST_SEL(c) \
    (((c) >> VKFD_PM4_RM_DST_SHIFT) & VKFD_PM4_RM_DST_MASK)
#define PM4_RM_INT_SEL(c) \
    (((c) >> VKFD_PM4_RM_INT_SHIFT) & VKFD_PM4_RM_INT_MASK)
#define PM4_RM_DATA_SEL(c)      ((c) >> VKFD_PM4_RM_DATA_SHIFT)
#define PM4_RM_EVENT(c)         ((c) & VKFD_PM4_EVENT_MASK)

#define PM4_WRM_FUNC(c)         ((c) & VKFD_PM4_WRM_FUNC_MASK)
#define PM4_WRM_OPERATION(c) \
    (((c) >> VKFD_PM4_WRM_OP_SHIFT) & VKFD_PM4_WRM_OP_MASK)
/* WAIT_REG_MEM's functions are SDMA's (vkfd_engine_compare) */
QEMU_BUILD_BUG_ON(VKFD_PM4_WRM_FUNC_RESERVED != VKFD_SDMA_FUNC_GT + 1);

/*
 * Dwords of a packet read with its header, in one GPUVM access: most
 * packets are shorter, so their body costs no translation of its own.
 */
#define PM4_PREFETCH_DW         16

/* Where packets come from: the ring (level 0) or an IB (1, 2). */
typedef struct Pm4Stream {
    uint64_t base;      /* GPU VA of dword 0 */
    uint64_t size;      /* dwords (the ring's: a power of two) */
    uint64_t pos;       /* the packet (the ring: the free-running rptr) */
    uint64_t avail;     /* dwords from pos on that hold packets */
    int level;
    /* the packet's first pre_n dwords as read with the header, raw */
    uint32_t pre_n;
    uint32_t pre[PM4_PREFETCH_DW];
} Pm4Stream;

/* The GPU VA of dword off of the packet at st->pos. */
static uint64_t pm4_va(const Pm4Stream *st, uint64_t off)
{
    uint64_t dw = st->pos + off;

    if (!st->level) {
        dw &= st->size - 1;
    }
    return st->base + dw * 4;
}

/* Read n dwords of the packet from dword off on, across the ring's end. */
static bool pm4_fetch_raw(VkfdState *s, VkfdQueue *q, const Pm4Stream *st,
                          uint64_t off, uint32_t *dw, uint32_t n)
{
    uint64_t first = n;

    if (off + n <= st->pre_n) {
        memcpy(dw, st->pre + off, n * 4);
        return true;
    }
    if (!st->level) {
        first = MIN(n, st->size - ((st->pos + off) & (st->size - 1)));
    }
    if (!vkfd_vm_read(s, q->ctx_id, pm4_va(st, off), dw, first * 4)) {
        return false;
    }
    return first == n ||
           vkfd_vm_read(s, q->ctx_id, pm4_va(st, off + first), dw + first,
                        (n - first) * 4);
}

static bool pm4_fetch(VkfdState *s, VkfdQueue *q, const Pm4Stream *st,
                      uint64_t off, uint32_t *dw, uint32_t n)
{
    uint32_t i;

    if (!pm4_fetch_raw(s, q, st, off, dw, n)) {
        return false;
    }
    for (i = 0; i < n; i++) {
        dw[i] = le32_to_cpu(dw[i]);
    }
    return true;
}

/* Stop the queue on the packet at st->pos. */
static VkfdStep pm4_fail(VkfdState *s, VkfdQueue *q, const Pm4Stream *st,
                         uint32_t error, uint32_t header, uint64_t va,
                         const char *why)
{
    VKFD_GUEST_ERR(vkfd_err_pm4, "ctx %u doorbell %u level %d packet at 0x%"
                   PRIx64 " header 0x%08x: %s", q->ctx_id, q->doorbell,
                   st->level, pm4_va(st, 0), header, why);
    vkfd_queue_fail(s, q, error, header, va);
    return VKFD_STEP_FAIL;
}

static VkfdStep pm4_bad(VkfdState *s, VkfdQueue *q, const Pm4Stream *st,
                        uint32_t header, const char *why)
{
    return pm4_fail(s, q, st, VKFD_QERR_BAD_PACKET, header, pm4_va(st, 0),
                    why);
}

/* An access of the packet faulted; vkfd-gpuvm.c latched the fault. */
static VkfdStep pm4_fault(VkfdState *s, VkfdQueue *q, const Pm4Stream *st,
                          uint32_t header, const char *why)
{
    return pm4_fail(s, q, st, VKFD_QERR_VM_FAULT, header,
                    s->vm_last_fault_va, why);
}

static VkfdStep pm4_write_data(VkfdState *s, VkfdQueue *q, const Pm4Stream *st,
                               uint32_t h, unsigned *budget)
{
    uint32_t dw[3], buf[PM4_WD_CHUNK], n = VKFD_PM4_COUNT(h) - 2, done, k;
    uint64_t addr;

    if (!pm4_fetch(s, q, st, 1, dw, 3)) {
        return pm4_fault(s, q, st, h, "packet not readable");
    }
    switch (PM4_WD_DST_SEL(dw[0])) {
    case VKFD_PM4_WD_DST_MEM_SYNC:
    case VKFD_PM4_WD_DST_TC_L2:
    case VKFD_PM4_WD_DST_MEM_ASYNC:
        break;
    default:
        return pm4_bad(s, q, st, h, "WRITE_DATA dst_sel is not memory");
    }
    addr = dw[1] | (uint64_t)dw[2] << 32;
    if (addr & 3) {
        return pm4_bad(s, q, st, h, "WRITE_DATA address not dword aligned");
    }
    trace_vkfd_pm4_write_data(q->ctx_id, q->doorbell, addr, n,
                              !!(dw[0] & VKFD_PM4_WD_ONE_ADDR));
    if (dw[0] & VKFD_PM4_WD_ONE_ADDR) {
        /* every dword goes to the same address: the last one stays */
        if (!pm4_fetch_raw(s, q, st, 4 + n - 1, buf, 1)) {
            return pm4_fault(s, q, st, h, "packet not readable");
        }
        if (!vkfd_vm_cache_write(s, q->ctx_id, &q->data_xc, addr, buf, 4)) {
            return pm4_fault(s, q, st, h, "WRITE_DATA destination faulted");
        }
        return VKFD_STEP_DONE;
    }
    for (done = 0; done < n; done += k) {
        k = MIN(n - done, PM4_WD_CHUNK);
        if (!pm4_fetch_raw(s, q, st, 4 + done, buf, k)) {
            return pm4_fault(s, q, st, h, "packet not readable");
        }
        if (!vkfd_vm_cache_write(s, q->ctx_id, &q->data_xc,
                                 addr + done * 4ull, buf, k * 4)) {
            return pm4_fault(s, q, st, h, "WRITE_DATA destination faulted");
        }
    }
    *budget -= MIN(*budget, n / 1024);
    return VKFD_STEP_DONE;
}

static VkfdStep pm4_release_mem(VkfdState *s, VkfdQueue *q,
                                const Pm4Stream *st, uint32_t h)
{
    uint32_t dw[PM4_RELEASE_MEM_COUNT + 1], sel, len = 0;
    uint64_t addr, value = 0, le;

    if (!pm4_fetch(s, q, st, 1, dw, ARRAY_SIZE(dw))) {
        return pm4_fault(s, q, st, h, "packet not readable");
    }
    if (PM4_RM_DST_SEL(dw[1]) > 1) {
        return pm4_bad(s, q, st, h, "RELEASE_MEM dst_sel is not memory");
    }
    addr = dw[2] | (uint64_t)dw[3] << 32;
    sel = PM4_RM_DATA_SEL(dw[1]);
    switch (sel) {
    case VKFD_PM4_DATA_NONE:
        break;
    case VKFD_PM4_DATA_32:
        value = dw[4];
        len = 4;
        break;
    case VKFD_PM4_DATA_64:
        value = dw[4] | (uint64_t)dw[5] << 32;
        len = 8;
        break;
    case VKFD_PM4_DATA_CLOCK:
    case VKFD_PM4_DATA_PERFCOUNTER:
        value = vkfd_clock_ns();
        len = 8;
        break;
    default:
        return pm4_bad(s, q, st, h, "RELEASE_MEM data_sel not supported");
    }
    if (len && (addr & (len - 1))) {
        return pm4_bad(s, q, st, h, "RELEASE_MEM address not aligned");
    }
    trace_vkfd_pm4_release_mem(q->ctx_id, q->doorbell, PM4_RM_EVENT(dw[0]),
                               sel, addr, value);
    le = cpu_to_le64(value);
    if (len &&
        !vkfd_vm_cache_write(s, q->ctx_id, &q->data_xc, addr, &le, len)) {
        return pm4_fault(s, q, st, h, "RELEASE_MEM destination faulted");
    }
    if (PM4_RM_INT_SEL(dw[1])) {
        trace_vkfd_pm4_interrupt(q->ctx_id, q->doorbell,
                                 PM4_RM_INT_SEL(dw[1]), dw[6]);
        vkfd_ih_post(s, VKFD_IH_SRC_EOP, q->ctx_id, dw[6], q->doorbell,
                     addr, 0);
    }
    return VKFD_STEP_DONE;
}

static VkfdStep pm4_wait_reg_mem(VkfdState *s, VkfdQueue *q,
                                 const Pm4Stream *st, uint32_t h)
{
    uint32_t dw[PM4_WAIT_REG_MEM_COUNT + 1], func, value;
    uint64_t addr;

    if (!pm4_fetch(s, q, st, 1, dw, ARRAY_SIZE(dw))) {
        return pm4_fault(s, q, st, h, "packet not readable");
    }
    if (!(dw[0] & VKFD_PM4_WRM_MEM_SPACE)) {
        return pm4_bad(s, q, st, h, "WAIT_REG_MEM on a register");
    }
    if (PM4_WRM_OPERATION(dw[0]) != VKFD_PM4_WRM_OP_WAIT &&
        PM4_WRM_OPERATION(dw[0]) != VKFD_PM4_WRM_OP_WAIT_PREEMPT) {
        return pm4_bad(s, q, st, h, "WAIT_REG_MEM operation not supported");
    }
    func = PM4_WRM_FUNC(dw[0]);
    if (func == VKFD_PM4_WRM_FUNC_RESERVED) {
        return pm4_bad(s, q, st, h, "WAIT_REG_MEM function reserved");
    }
    addr = dw[1] | (uint64_t)dw[2] << 32;
    if (addr & 3) {
        return pm4_bad(s, q, st, h, "WAIT_REG_MEM address not dword aligned");
    }
    if (!vkfd_vm_cache_read(s, q->ctx_id, &q->data_rxc, addr, &value, 4)) {
        return pm4_fault(s, q, st, h, "WAIT_REG_MEM address faulted");
    }
    value = le32_to_cpu(value) & dw[4];
    if (!vkfd_engine_compare(func, value, dw[3])) {
        trace_vkfd_pm4_wait(q->ctx_id, q->doorbell, addr, value, dw[4], func,
                            dw[3]);
        q->waiting = true;
        return VKFD_STEP_WAIT;
    }
    return VKFD_STEP_DONE;
}

/* Push an IB of size dwords at base on q's stack (size > 0). */
static void pm4_push_ib(VkfdQueue *q, uint64_t base, uint32_t size)
{
    unsigned d = q->ib_depth++;

    q->ib_base[d] = base;
    q->ib_size[d] = size;
    q->ib_pos[d] = 0;
    trace_vkfd_pm4_ib(q->ctx_id, q->doorbell, q->ib_depth, base, size);
}

static bool pm4_ib_ok(uint64_t base, uint32_t size)
{
    return !(base & 3) && size <= VKFD_PM4_IB_SIZE_MASK && base < VKFD_VA_END &&
           base + size * 4ull <= VKFD_VA_END;
}

static VkfdStep pm4_indirect_buffer(VkfdState *s, VkfdQueue *q,
                                    const Pm4Stream *st, uint32_t h)
{
    uint32_t dw[PM4_IB_COUNT + 1], size;
    uint64_t base;

    if (!pm4_fetch(s, q, st, 1, dw, ARRAY_SIZE(dw))) {
        return pm4_fault(s, q, st, h, "packet not readable");
    }
    base = dw[0] | (uint64_t)dw[1] << 32;
    size = dw[2] & VKFD_PM4_IB_SIZE_MASK;
    if (!pm4_ib_ok(base, size)) {
        return pm4_bad(s, q, st, h, "IB unaligned or beyond 48 bits");
    }
    if (q->ib_depth >= VKFD_PM4_IB_LEVELS) {
        return pm4_fail(s, q, st, VKFD_QERR_IB_DEPTH, h, pm4_va(st, 0),
                        "indirect buffers nested too deep");
    }
    if (!size) {
        return VKFD_STEP_DONE;
    }
    pm4_push_ib(q, base, size);
    return VKFD_STEP_CALL;
}

static VkfdStep pm4_acquire_mem(VkfdState *s, VkfdQueue *q,
                                const Pm4Stream *st, uint32_t h)
{
    uint32_t cntl;

    if (!pm4_fetch(s, q, st, 1, &cntl, 1)) {
        return pm4_fault(s, q, st, h, "packet not readable");
    }
    /* memory is coherent: no cache to act on */
    trace_vkfd_pm4_acquire_mem(q->ctx_id, q->doorbell, cntl);
    return VKFD_STEP_DONE;
}

/*
 * SET_SH_REG: the COMPUTE_* registers a dispatch reads are kept in the
 * queue; the rest of the SH space (graphics shader stages) is ignored.
 */
static VkfdStep pm4_set_sh_reg(VkfdState *s, VkfdQueue *q,
                               const Pm4Stream *st, uint32_t h)
{
    uint32_t n = VKFD_PM4_COUNT(h), off, buf[PM4_SH_CHUNK], i, k, reg;

    if (!pm4_fetch(s, q, st, 1, &off, 1)) {
        return pm4_fault(s, q, st, h, "packet not readable");
    }
    off = PM4_SH_REG_OFFSET(off);
    if (off >= VKFD_PM4_SH_REGS || n > VKFD_PM4_SH_REGS - off) {
        return pm4_bad(s, q, st, h, "SET_SH_REG beyond the SH registers");
    }
    trace_vkfd_pm4_set_sh_reg(q->ctx_id, q->doorbell,
                              VKFD_PM4_SH_REG_BASE + off, n);
    for (i = 0; i < n; i += k) {
        k = MIN(n - i, PM4_SH_CHUNK);
        if (!pm4_fetch(s, q, st, 2 + i, buf, k)) {
            return pm4_fault(s, q, st, h, "packet not readable");
        }
        for (reg = 0; reg < k; reg++) {
            uint32_t r = VKFD_PM4_SH_REG_BASE + off + i + reg -
                         VKFD_CS_REG_FIRST;

            if (r < VKFD_CS_REGS) {
                q->cs_regs[r] = buf[reg];
            }
        }
    }
    return VKFD_STEP_DONE;
}

/*
 * DISPATCH_DIRECT (dimensions in the packet) and DISPATCH_INDIRECT (the
 * compute form: the address of three dimension dwords) run a kernel on
 * the shader core (vkfd-sh.c) with the COMPUTE_* registers; the packet is
 * done when every wave ended, so what follows it sees the results.
 */
static VkfdStep pm4_dispatch(VkfdState *s, VkfdQueue *q, const Pm4Stream *st,
                             uint32_t h, unsigned *budget)
{
    uint32_t dw[4], dim[3] = { 0 }, initiator;
    uint64_t addr;
    int i;

    if (!pm4_fetch(s, q, st, 1, dw, VKFD_PM4_COUNT(h) + 1)) {
        return pm4_fault(s, q, st, h, "packet not readable");
    }
    if (VKFD_PM4_OPCODE(h) == VKFD_PM4_OP_DISPATCH_DIRECT) {
        memcpy(dim, dw, sizeof(dim));
        initiator = dw[3];
    } else {
        addr = dw[0] | (uint64_t)dw[1] << 32;
        initiator = dw[2];
        if (!q->sh) {
            if (addr & 3) {
                return pm4_bad(s, q, st, h, "DISPATCH_INDIRECT address "
                               "not dword-aligned");
            }
            if (!vkfd_vm_read(s, q->ctx_id, addr, dim, sizeof(dim))) {
                return pm4_fault(s, q, st, h, "dimensions not readable");
            }
            for (i = 0; i < 3; i++) {
                dim[i] = le32_to_cpu(dim[i]);
            }
        }
    }
    if (!q->sh) {
        trace_vkfd_pm4_dispatch(q->ctx_id, q->doorbell, dim[0], dim[1],
                                dim[2], initiator);
    }
    return vkfd_sh_pm4_dispatch(s, q, dim, initiator, budget);
}

/* The packet sizes known from the header alone; NULL if it is sound. */
static const char *pm4_check_header(uint32_t h)
{
    uint32_t count = VKFD_PM4_COUNT(h);

    switch (VKFD_PM4_OPCODE(h)) {
    case VKFD_PM4_OP_NOP:
        return NULL;
    case VKFD_PM4_OP_WRITE_DATA:
        return count < 3 ? "WRITE_DATA without data" : NULL;
    case VKFD_PM4_OP_WAIT_REG_MEM:
        return count != PM4_WAIT_REG_MEM_COUNT ? "WAIT_REG_MEM size" : NULL;
    case VKFD_PM4_OP_INDIRECT_BUFFER:
        return count != PM4_IB_COUNT ? "INDIRECT_BUFFER size" : NULL;
    case VKFD_PM4_OP_RELEASE_MEM:
        return count != PM4_RELEASE_MEM_COUNT ?
               "RELEASE_MEM size (GFX9: 8 dwords)" : NULL;
    case VKFD_PM4_OP_ACQUIRE_MEM:
        return count != PM4_ACQUIRE_MEM_COUNT ?
               "ACQUIRE_MEM size (GFX9: 7 dwords)" : NULL;
    case VKFD_PM4_OP_SET_SH_REG:
        return !count ? "SET_SH_REG without a value" : NULL;
    case VKFD_PM4_OP_DISPATCH_DIRECT:
        return count != PM4_DISPATCH_DIRECT_COUNT ?
               "DISPATCH_DIRECT size (5 dwords)" : NULL;
    case VKFD_PM4_OP_DISPATCH_INDIRECT:
        return count != PM4_DISPATCH_INDIRECT_COUNT ?
               "DISPATCH_INDIRECT size (compute: 4 dwords)" : NULL;
    }
    return "unknown opcode";
}

/* Run the packet at st->pos; *len is its size in dwords. */
/*
 * Read the header and what follows it of the packet at st->pos in one
 * access: at most PM4_PREFETCH_DW dwords, only those that hold packets,
 * never past the ring's end or the header's GPU page, so that the read
 * faults exactly when reading the header alone would.
 */
static bool pm4_prefetch(VkfdState *s, VkfdQueue *q, Pm4Stream *st,
                         uint32_t *h)
{
    uint64_t va = pm4_va(st, 0), n;

    n = MIN(st->avail, PM4_PREFETCH_DW);
    n = MIN(n, (VKFD_GPU_PAGE_SIZE - (va & (VKFD_GPU_PAGE_SIZE - 1))) / 4);
    if (!st->level) {
        n = MIN(n, st->size - (st->pos & (st->size - 1)));
    }
    n = MAX(n, 1);
    st->pre_n = 0;
    if (!(st->level ? vkfd_vm_read(s, q->ctx_id, va, st->pre, n * 4)
                    : vkfd_vm_cache_read(s, q->ctx_id, &q->ring_xc, va,
                                         st->pre, n * 4))) {
        return false;
    }
    st->pre_n = n;
    *h = le32_to_cpu(st->pre[0]);
    return true;
}

static VkfdStep pm4_packet(VkfdState *s, VkfdQueue *q, Pm4Stream *st,
                           unsigned *budget, uint32_t *len)
{
    const char *why;
    uint32_t h;

    if (!pm4_prefetch(s, q, st, &h)) {
        return pm4_fail(s, q, st, VKFD_QERR_VM_FAULT, 0, s->vm_last_fault_va,
                        st->level ? "IB not readable" : "ring not readable");
    }
    switch (VKFD_PM4_TYPE(h)) {
    case 2:
        *len = 1;       /* a type-2 filler */
        return VKFD_STEP_DONE;
    case 3:
        break;
    default:
        return pm4_bad(s, q, st, h, "type-0/1 packet (register writes)");
    }
    why = pm4_check_header(h);
    if (why) {
        return pm4_bad(s, q, st, h, why);
    }
    *len = VKFD_PM4_COUNT(h) + 2;
    if (VKFD_PM4_OPCODE(h) == VKFD_PM4_OP_NOP &&
        VKFD_PM4_COUNT(h) == VKFD_PM4_NOP_ONE_DWORD) {
        *len = 1;
    }
    if (*len > st->avail) {
        if (st->level) {
            return pm4_bad(s, q, st, h, "packet runs past the end of its IB");
        }
        if (*len > st->size) {
            return pm4_bad(s, q, st, h, "packet larger than the ring");
        }
        return VKFD_STEP_STALL;
    }
    trace_vkfd_pm4_packet(q->ctx_id, q->doorbell, st->level, pm4_va(st, 0),
                          VKFD_PM4_OPCODE(h), VKFD_PM4_COUNT(h));
    switch (VKFD_PM4_OPCODE(h)) {
    case VKFD_PM4_OP_NOP:
        return VKFD_STEP_DONE;
    case VKFD_PM4_OP_WRITE_DATA:
        return pm4_write_data(s, q, st, h, budget);
    case VKFD_PM4_OP_WAIT_REG_MEM:
        return pm4_wait_reg_mem(s, q, st, h);
    case VKFD_PM4_OP_INDIRECT_BUFFER:
        return pm4_indirect_buffer(s, q, st, h);
    case VKFD_PM4_OP_RELEASE_MEM:
        return pm4_release_mem(s, q, st, h);
    case VKFD_PM4_OP_ACQUIRE_MEM:
        return pm4_acquire_mem(s, q, st, h);
    case VKFD_PM4_OP_SET_SH_REG:
        return pm4_set_sh_reg(s, q, st, h);
    case VKFD_PM4_OP_DISPATCH_DIRECT:
    case VKFD_PM4_OP_DISPATCH_INDIRECT:
        return pm4_dispatch(s, q, st, h, budget);
    }
    g_assert_not_reached();
}

/* Where the next packet comes from: the top of the IB stack, or the ring. */
static void pm4_stream(VkfdQueue *q, uint64_t wptr, Pm4Stream *st)
{
    unsigned d = q->ib_depth;

    st->level = d;
    st->pre_n = 0;
    if (!d) {
        st->base = q->ring_base;
        st->size = q->ring_size / 4;
        st->pos = q->rptr;
        st->avail = wptr - q->rptr;
        return;
    }
    st->base = q->ib_base[d - 1];
    st->size = q->ib_size[d - 1];
    st->pos = q->ib_pos[d - 1];
    st->avail = st->size - st->pos;
}

static void pm4_advance(VkfdQueue *q, uint32_t len)
{
    q->packets++;
    if (q->ib_depth) {
        q->ib_pos[q->ib_depth - 1] += len;
    } else {
        q->rptr += len;
    }
}

/*
 * Run packets: the IB stack's, then, if ring, the ring's up to wptr.
 * Without the ring, VKFD_STEP_DONE says the IB stack is empty again.
 */
static VkfdStep pm4_exec(VkfdState *s, VkfdQueue *q, uint64_t wptr, bool ring,
                         unsigned *budget)
{
    Pm4Stream st;
    VkfdStep r;
    uint32_t len = 0;

    for (;;) {
        if (!q->ib_depth && !ring) {
            return VKFD_STEP_DONE;
        }
        pm4_stream(q, wptr, &st);
        if (!st.level && st.avail > st.size) {
            VKFD_GUEST_ERR(vkfd_err_pm4_wptr, "ctx %u doorbell %u rptr 0x%"
                           PRIx64 " wptr 0x%" PRIx64 " ring dwords 0x%" PRIx64,
                           q->ctx_id, q->doorbell, q->rptr, wptr, st.size);
            vkfd_queue_fail(s, q, VKFD_QERR_BAD_POINTER, 0, wptr);
            return VKFD_STEP_FAIL;
        }
        if (!st.avail) {
            if (!st.level) {
                return VKFD_STEP_IDLE;
            }
            /* the IB is over: back to the packet that called it */
            trace_vkfd_pm4_ib_done(q->ctx_id, q->doorbell, st.level);
            q->ib_depth--;
            if (q->ib_depth || ring) {
                pm4_advance(q, PM4_IB_LEN);
            }
            continue;
        }
        if (!*budget) {
            trace_vkfd_pm4_yield(q->ctx_id, q->doorbell, q->rptr, st.level);
            return VKFD_STEP_MORE;
        }
        (*budget)--;
        r = pm4_packet(s, q, &st, budget, &len);
        if (r == VKFD_STEP_DONE) {
            pm4_advance(q, len);
        } else if (r != VKFD_STEP_CALL) {
            return r;
        }
    }
}

/* The IB stack as a migration brought it: could the engine have made it? */
static bool pm4_ib_stack_ok(const VkfdQueue *q)
{
    unsigned i;

    if (q->ib_depth > VKFD_PM4_IB_LEVELS) {
        return false;
    }
    for (i = 0; i < q->ib_depth; i++) {
        if (!q->ib_size[i] || q->ib_pos[i] > q->ib_size[i] ||
            !pm4_ib_ok(q->ib_base[i], q->ib_size[i])) {
            return false;
        }
    }
    return true;
}

/* The CP's read-pointer report: the dword offset of rptr in the ring. */
static bool pm4_write_rptr(VkfdState *s, VkfdQueue *q)
{
    uint32_t rptr = cpu_to_le32(q->rptr & (q->ring_size / 4 - 1));

    if (vkfd_vm_cache_write(s, q->ctx_id, &q->rptr_xc, q->rptr_addr, &rptr,
                            sizeof(rptr))) {
        return true;
    }
    VKFD_GUEST_ERR(vkfd_err_pm4_pointer, "ctx %u doorbell %u: %s at 0x%"
                   PRIx64, q->ctx_id, q->doorbell, "rptr not writable",
                   q->rptr_addr);
    vkfd_queue_fail(s, q, VKFD_QERR_VM_FAULT, 0, s->vm_last_fault_va);
    return false;
}

bool vkfd_pm4_run(VkfdState *s, VkfdQueue *q, unsigned *budget)
{
    uint64_t wptr;
    VkfdStep r;

    q->waiting = false;
    if (q->error) {
        return false;
    }
    if (!pm4_ib_stack_ok(q)) {
        VKFD_GUEST_ERR(vkfd_err_pm4_pointer, "ctx %u doorbell %u: %s at 0x%"
                       PRIx64, q->ctx_id, q->doorbell, "corrupt IB stack",
                       q->rptr);
        vkfd_queue_fail(s, q, VKFD_QERR_BAD_PACKET, 0, 0);
        return false;
    }
    if (!vkfd_vm_cache_read(s, q->ctx_id, &q->wptr_xc, q->wptr_addr, &wptr,
                            sizeof(wptr))) {
        VKFD_GUEST_ERR(vkfd_err_pm4_pointer, "ctx %u doorbell %u: %s at 0x%"
                       PRIx64, q->ctx_id, q->doorbell, "wptr not readable",
                       q->wptr_addr);
        vkfd_queue_fail(s, q, VKFD_QERR_VM_FAULT, 0, s->vm_last_fault_va);
        return false;
    }
    r = pm4_exec(s, q, le64_to_cpu(wptr), true, budget);
    return pm4_write_rptr(s, q) && r == VKFD_STEP_MORE;
}

VkfdStep vkfd_pm4_run_ib(VkfdState *s, VkfdQueue *q, uint64_t base,
                         uint32_t size, unsigned *budget)
{
    VkfdStep r;

    if (!q->ib_depth) {
        if (!pm4_ib_ok(base, size)) {
            VKFD_GUEST_ERR(vkfd_err_pm4_pointer, "ctx %u doorbell %u: %s at "
                           "0x%" PRIx64, q->ctx_id, q->doorbell,
                           "IB unaligned or too big", base);
            vkfd_queue_fail(s, q, VKFD_QERR_BAD_PACKET, 0, base);
            return VKFD_STEP_FAIL;
        }
        if (!size) {
            return VKFD_STEP_DONE;
        }
        pm4_push_ib(q, base, size);
    } else if (!pm4_ib_stack_ok(q) || q->ib_base[0] != base ||
               q->ib_size[0] != size) {
        VKFD_GUEST_ERR(vkfd_err_pm4_pointer, "ctx %u doorbell %u: %s at 0x%"
                       PRIx64, q->ctx_id, q->doorbell, "corrupt IB stack",
                       base);
        vkfd_queue_fail(s, q, VKFD_QERR_BAD_PACKET, 0, base);
        return VKFD_STEP_FAIL;
    }
    r = pm4_exec(s, q, 0, false, budget);
    if (r == VKFD_STEP_DONE || r == VKFD_STEP_FAIL) {
        return r;
    }
    return q->waiting ? VKFD_STEP_WAIT : VKFD_STEP_MORE;
}
