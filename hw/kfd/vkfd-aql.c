/*
 * vkfd: a virtual AMD KFD device -- the AQL packet processor
 *
 * Runs the packets of an AQL (HSA) user queue: 64-byte packets in a ring
 * of ring_size / 64 slots, read and write indices in ROCr's amd_queue_t
 * (the queue's rptr_addr and wptr_addr point at its read_dispatch_id and
 * write_dispatch_id).  The doorbell value is only a hint: the processor
 * reads the write index, then takes packets in order while their header
 * is valid.  A finished packet decrements its completion signal, stores
 * the signal's event id in its mailbox (and posts an IH SIGNAL entry,
 * vkfd-ih.c), gets its header set to INVALID and read_dispatch_id
 * moves past it.  ROCr's PM4-IB vendor packet runs its indirect buffer on
 * the PM4 engine (vkfd-pm4.c).
 *
 * A kernel dispatch runs one of the built-in kernels of
 * include/hw/kfd/vkfd_hw.h when its kernel object names one, else the
 * kernel descriptor's code on the shader core (vkfd-sh.c), which keeps
 * the dispatch's state in q->sh until the packet completes.  Barriers
 * that are not satisfied stop the queue on the packet with q->waiting
 * set; vkfd-queue.c polls it again later.  Built-in kernels run
 * VKFD_ENGINE_CHUNK bytes of data per unit of budget and resume from
 * q->progress.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/log.h"
#include "qemu/bswap.h"
#include "vkfd.h"
#include "trace.h"

/* The built-in kernels' layouts are a contract with user space. */
QEMU_BUILD_BUG_ON(sizeof(struct vkfd_kernel_desc) != 64);
QEMU_BUILD_BUG_ON(sizeof(struct vkfd_kernarg_fill) != 16);
QEMU_BUILD_BUG_ON(sizeof(struct vkfd_kernarg_copy) != 24);
QEMU_BUILD_BUG_ON(sizeof(struct vkfd_kernarg_add) != 32);

/* Offsets in a packet */
#define AQL_SETUP           2       /* dispatch: u16, dimensions in 1:0 */
#define AQL_AMD_FORMAT      2       /* vendor: u8 */
#define AQL_GRID_X          12      /* dispatch: u32 x3 */
#define AQL_KERNEL_OBJECT   32      /* dispatch: u64 */
#define AQL_KERNARG         40      /* dispatch: u64 */
#define AQL_DEP_SIGNAL      8       /* barriers: u64 x5 */
#define AQL_DEP_SIGNALS     5
#define AQL_IB_PACKET       4       /* PM4-IB: 4 dwords */
#define AQL_BV_SIGNAL       8       /* barrier-value: u64 signal */
#define AQL_BV_VALUE        16      /* s64 */
#define AQL_BV_MASK         24      /* s64 */
#define AQL_BV_COND         32      /* u32 */
#define AQL_COMPLETION      56      /* u64 completion signal */

/* hsa_signal_condition_t of a barrier-value packet */
enum {
    AQL_COND_EQ = 0,
    AQL_COND_NE = 1,
    AQL_COND_LT = 2,
    AQL_COND_GTE = 3,
};


typedef struct AqlPacket {
    uint8_t b[VKFD_AQL_PACKET_SIZE];
    uint64_t va;            /* where it is in the ring */
    uint32_t dw0;           /* header, and setup or AMD format */
} AqlPacket;

/* Stop the queue on the packet; always VKFD_STEP_FAIL. */
static VkfdStep aql_fail(VkfdState *s, VkfdQueue *q, const AqlPacket *p,
                         uint32_t error, uint64_t va, const char *why)
{
    VKFD_GUEST_ERR(vkfd_err_aql, "ctx %u doorbell %u index %" PRIu64
                   " packet 0x%08x: %s", q->ctx_id, q->doorbell, q->rptr,
                   p->dw0, why);
    vkfd_queue_fail(s, q, error, p->dw0, va);
    return VKFD_STEP_FAIL;
}

static VkfdStep aql_bad(VkfdState *s, VkfdQueue *q, const AqlPacket *p,
                        const char *why)
{
    return aql_fail(s, q, p, VKFD_QERR_BAD_PACKET, p->va, why);
}

static VkfdStep aql_fault(VkfdState *s, VkfdQueue *q, const AqlPacket *p)
{
    return aql_fail(s, q, p, VKFD_QERR_VM_FAULT, s->vm_last_fault_va,
                    "VM fault");
}

/* The value of the amd_signal_t at handle sig. */
static bool aql_signal_value(VkfdState *s, VkfdQueue *q, uint64_t sig,
                             int64_t *value)
{
    uint64_t v;

    if (!vkfd_vm_cache_read(s, q->ctx_id, &q->data_rxc,
                            sig + VKFD_SIGNAL_VALUE, &v, 8)) {
        return false;
    }
    *value = le64_to_cpu(v);
    return true;
}

/* BARRIER_AND waits for all its signals to reach 0, BARRIER_OR for one. */
static VkfdStep aql_barrier(VkfdState *s, VkfdQueue *q, const AqlPacket *p,
                            bool and, unsigned *budget)
{
    unsigned i, deps = 0, zero = 0;
    uint64_t sig;
    int64_t value;

    (*budget)--;
    for (i = 0; i < AQL_DEP_SIGNALS; i++) {
        sig = ldq_le_p(p->b + AQL_DEP_SIGNAL + 8 * i);
        if (!sig) {
            continue;
        }
        if (sig & 7) {
            return aql_bad(s, q, p, "dependency signal not aligned");
        }
        if (!aql_signal_value(s, q, sig, &value)) {
            return aql_fault(s, q, p);
        }
        deps++;
        zero += value == 0;
    }
    if (and ? zero == deps : zero || !deps) {
        return VKFD_STEP_DONE;
    }
    trace_vkfd_aql_wait(q->ctx_id, q->doorbell, q->rptr,
                        and ? "barrier-AND" : "barrier-OR");
    q->waiting = true;
    return VKFD_STEP_WAIT;
}

/* AMD barrier-value: wait until (signal & mask) COND value. */
static VkfdStep aql_barrier_value(VkfdState *s, VkfdQueue *q,
                                  const AqlPacket *p, unsigned *budget)
{
    uint64_t sig = ldq_le_p(p->b + AQL_BV_SIGNAL);
    int64_t want = ldq_le_p(p->b + AQL_BV_VALUE);
    int64_t mask = ldq_le_p(p->b + AQL_BV_MASK);
    uint32_t cond = ldl_le_p(p->b + AQL_BV_COND);
    int64_t value;
    bool met;

    (*budget)--;
    if (!sig || (sig & 7)) {
        return aql_bad(s, q, p, "barrier-value signal null or unaligned");
    }
    if (cond > AQL_COND_GTE) {
        return aql_bad(s, q, p, "unknown barrier-value condition");
    }
    if (!aql_signal_value(s, q, sig, &value)) {
        return aql_fault(s, q, p);
    }
    value &= mask;
    switch (cond) {
    case AQL_COND_EQ:
        met = value == want;
        break;
    case AQL_COND_NE:
        met = value != want;
        break;
    case AQL_COND_LT:
        met = value < want;
        break;
    default:
        met = value >= want;
        break;
    }
    if (met) {
        return VKFD_STEP_DONE;
    }
    trace_vkfd_aql_wait(q->ctx_id, q->doorbell, q->rptr, "barrier-value");
    q->waiting = true;
    return VKFD_STEP_WAIT;
}

/*
 * ROCr's PM4-IB packet: a PM4 INDIRECT_BUFFER command (cache actions,
 * timestamps).  The PM4 engine runs the IB, keeping its progress in the
 * queue's IB stack, so an IB cut short by the budget or waiting on
 * memory resumes where it stopped.
 */
static VkfdStep aql_pm4_ib(VkfdState *s, VkfdQueue *q, const AqlPacket *p,
                           unsigned *budget)
{
    uint32_t hdr = ldl_le_p(p->b + AQL_IB_PACKET);
    uint32_t lo = ldl_le_p(p->b + AQL_IB_PACKET + 4);
    uint32_t hi = ldl_le_p(p->b + AQL_IB_PACKET + 8);
    uint32_t ctl = ldl_le_p(p->b + AQL_IB_PACKET + 12);
    uint64_t ib = lo | (uint64_t)hi << 32;

    (*budget)--;
    if (VKFD_PM4_TYPE(hdr) != VKFD_PM4_TYPE3 ||
        VKFD_PM4_OPCODE(hdr) != VKFD_PM4_OP_INDIRECT_BUFFER ||
        VKFD_PM4_COUNT(hdr) != VKFD_PM4_IB_DW - 1) {
        return aql_bad(s, q, p, "PM4-IB without an INDIRECT_BUFFER");
    }
    trace_vkfd_aql_pm4_ib(q->ctx_id, q->doorbell, q->rptr, ib,
                          ctl & VKFD_PM4_IB_SIZE_MASK);
    return vkfd_pm4_run_ib(s, q, ib, ctl & VKFD_PM4_IB_SIZE_MASK, budget);
}

static VkfdStep aql_vendor(VkfdState *s, VkfdQueue *q, const AqlPacket *p,
                           unsigned *budget)
{
    switch (p->b[AQL_AMD_FORMAT]) {
    case VKFD_AQL_AMD_PM4_IB:
        return aql_pm4_ib(s, q, p, budget);
    case VKFD_AQL_AMD_BARRIER_VALUE:
        return aql_barrier_value(s, q, p, budget);
    }
    return aql_bad(s, q, p, "unknown AMD vendor packet format");
}

/* Work-items of the grid, saturating (more than any kernel can use). */
static uint64_t aql_grid_items(const AqlPacket *p)
{
    uint64_t n = 1, g;
    int i;

    for (i = 0; i < 3; i++) {
        g = ldl_le_p(p->b + AQL_GRID_X + 4 * i);
        n = g && n > UINT64_MAX / g ? UINT64_MAX : n * g;
    }
    return n;
}

/* u32 dst[i] = a[i] + b[i] for n elements from q->progress on. */
static bool aql_kernel_add(VkfdState *s, VkfdQueue *q, uint64_t dst,
                           uint64_t a, uint64_t b, uint64_t n)
{
    uint32_t va[VKFD_ENGINE_CHUNK / 4], vb[VKFD_ENGINE_CHUNK / 4];
    uint64_t off, i, j, k;

    for (i = 0; i < n; i += k) {
        k = MIN(n - i, ARRAY_SIZE(va));
        off = (q->progress + i) * 4;
        if (!vkfd_vm_read(s, q->ctx_id, a + off, va, k * 4) ||
            !vkfd_vm_read(s, q->ctx_id, b + off, vb, k * 4)) {
            return false;
        }
        for (j = 0; j < k; j++) {
            va[j] = cpu_to_le32(le32_to_cpu(va[j]) + le32_to_cpu(vb[j]));
        }
        if (!vkfd_vm_write(s, q->ctx_id, dst + off, va, k * 4)) {
            return false;
        }
    }
    return true;
}

/*
 * [va, va + len) runs past 2^64: an element at va + progress would land
 * at the bottom of the VA space (only a loaded progress gets there; a
 * fresh dispatch faults on its first element above 48 bits).
 */
static bool aql_wraps(uint64_t va, uint64_t len)
{
    return va + len < va;
}

/* KERNEL_DISPATCH of a built-in kernel, one element per work-item. */
static VkfdStep aql_kernel(VkfdState *s, VkfdQueue *q, const AqlPacket *p,
                           unsigned *budget)
{
    uint64_t kobj = ldq_le_p(p->b + AQL_KERNEL_OBJECT);
    uint64_t kernarg = ldq_le_p(p->b + AQL_KERNARG);
    unsigned dims = lduw_le_p(p->b + AQL_SETUP) & 3;
    uint64_t items = aql_grid_items(p), total, n;
    struct vkfd_kernel_desc desc;
    union {
        struct vkfd_kernarg_fill fill;
        struct vkfd_kernarg_copy copy;
        struct vkfd_kernarg_add add;
    } arg;
    uint32_t id;
    bool ok;

    if (q->sh) {
        return vkfd_sh_aql_dispatch(s, q, p->b, p->va, budget);
    }
    if (!dims) {
        return aql_bad(s, q, p, "dispatch with 0 dimensions");
    }
    if (!items) {
        return aql_bad(s, q, p, "dispatch of an empty grid");
    }
    if (!vkfd_vm_read(s, q->ctx_id, kobj, &desc, 12)) {
        return aql_fault(s, q, p);
    }
    id = le32_to_cpu(desc.id);
    if (le64_to_cpu(desc.magic) != VKFD_KERNEL_MAGIC) {
        /* a kernel descriptor: real code for the shader core */
        return vkfd_sh_aql_dispatch(s, q, p->b, p->va, budget);
    }

    switch (id) {
    case VKFD_KERNEL_FILL:
        if (!vkfd_vm_read(s, q->ctx_id, kernarg, &arg.fill,
                          sizeof(arg.fill))) {
            return aql_fault(s, q, p);
        }
        total = MIN(items, le32_to_cpu(arg.fill.count));
        if (aql_wraps(le64_to_cpu(arg.fill.dst), total * 4)) {
            return aql_bad(s, q, p, "fill wraps past 2^64");
        }
        n = vkfd_engine_take(q, budget, total, VKFD_ENGINE_CHUNK / 4);
        ok = !n || vkfd_vm_fill(s, q->ctx_id,
                                le64_to_cpu(arg.fill.dst) + q->progress * 4,
                                n * 4, le32_to_cpu(arg.fill.value));
        break;
    case VKFD_KERNEL_COPY:
        if (!vkfd_vm_read(s, q->ctx_id, kernarg, &arg.copy,
                          sizeof(arg.copy))) {
            return aql_fault(s, q, p);
        }
        total = MIN(items, le64_to_cpu(arg.copy.bytes));
        if (aql_wraps(le64_to_cpu(arg.copy.dst), total) ||
            aql_wraps(le64_to_cpu(arg.copy.src), total)) {
            return aql_bad(s, q, p, "copy wraps past 2^64");
        }
        n = vkfd_engine_take(q, budget, total, VKFD_ENGINE_CHUNK);
        ok = !n || vkfd_vm_copy(s, q->ctx_id,
                                le64_to_cpu(arg.copy.dst) + q->progress,
                                le64_to_cpu(arg.copy.src) + q->progress, n);
        break;
    case VKFD_KERNEL_ADD:
        if (!vkfd_vm_read(s, q->ctx_id, kernarg, &arg.add,
                          sizeof(arg.add))) {
            return aql_fault(s, q, p);
        }
        total = MIN(items, le32_to_cpu(arg.add.n));
        if (aql_wraps(le64_to_cpu(arg.add.dst), total * 4) ||
            aql_wraps(le64_to_cpu(arg.add.a), total * 4) ||
            aql_wraps(le64_to_cpu(arg.add.b), total * 4)) {
            return aql_bad(s, q, p, "add wraps past 2^64");
        }
        n = vkfd_engine_take(q, budget, total, VKFD_ENGINE_CHUNK / 4);
        ok = aql_kernel_add(s, q, le64_to_cpu(arg.add.dst),
                            le64_to_cpu(arg.add.a), le64_to_cpu(arg.add.b),
                            n);
        break;
    default:
        return aql_fail(s, q, p, VKFD_QERR_BAD_KERNEL, p->va,
                        "unknown built-in kernel id");
    }
    trace_vkfd_aql_kernel(q->ctx_id, q->doorbell, q->rptr, id, total,
                          q->progress, n);
    if (!ok) {
        return aql_fault(s, q, p);
    }
    q->progress += n;
    return q->progress < total ? VKFD_STEP_MORE : VKFD_STEP_DONE;
}

static uint64_t aql_dec64(uint64_t old, const void *opaque)
{
    return old - 1;
}

/*
 * The packet's work is done: decrement its completion signal (and store
 * the event id in the signal's mailbox), mark the slot INVALID, move
 * read_dispatch_id past it.  The decrement is atomic against the guest's
 * CPUs where the signal is plain RAM (vkfd_vm_atomic), as the CP's is: a
 * host thread may add to the same signal meanwhile.
 */
static bool aql_complete(VkfdState *s, VkfdQueue *q, const AqlPacket *p)
{
    uint64_t sig = ldq_le_p(p->b + AQL_COMPLETION), rptr, mailbox, old;
    uint8_t sv[VKFD_SIGNAL_EVENT_ID + 4];
    uint16_t invalid = cpu_to_le16(VKFD_AQL_TYPE_INVALID);
    int64_t value;

    if (sig) {
        if (sig & 7) {
            aql_bad(s, q, p, "completion signal not aligned");
            return false;
        }
        if (!vkfd_vm_cache_read(s, q->ctx_id, &q->data_rxc, sig, sv,
                                sizeof(sv))) {
            aql_fault(s, q, p);
            return false;
        }
        if (!vkfd_vm_atomic(s, q->ctx_id, &q->data_xc,
                            sig + VKFD_SIGNAL_VALUE, 8, aql_dec64, NULL,
                            &old)) {
            aql_fault(s, q, p);
            return false;
        }
        value = old - 1;
        trace_vkfd_aql_signal(q->ctx_id, q->doorbell, sig, value);
        mailbox = ldq_le_p(sv + VKFD_SIGNAL_MAILBOX);
        if (mailbox) {
            uint64_t event_id = ldl_le_p(sv + VKFD_SIGNAL_EVENT_ID);

            stq_le_p(sv, event_id);
            if (!vkfd_vm_write(s, q->ctx_id, mailbox, sv, 8)) {
                aql_fault(s, q, p);
                return false;
            }
            trace_vkfd_aql_irq(q->ctx_id, q->doorbell, sig, mailbox,
                               event_id);
            vkfd_ih_post(s, VKFD_IH_SRC_SIGNAL, q->ctx_id, event_id,
                         q->doorbell, sig, 0);
        }
    }
    if (!vkfd_vm_cache_write(s, q->ctx_id, &q->ring_wxc, p->va, &invalid,
                             sizeof(invalid))) {
        aql_fault(s, q, p);
        return false;
    }
    q->rptr++;
    q->packets++;
    q->progress = 0;
    rptr = cpu_to_le64(q->rptr);
    if (!vkfd_vm_cache_write(s, q->ctx_id, &q->rptr_xc, q->rptr_addr, &rptr,
                             sizeof(rptr))) {
        aql_fault(s, q, p);
        return false;
    }
    return true;
}

/*
 * Run (part of) the packet at rptr.  Returns true if the queue may go on
 * (the packet completed, or the budget ran out in the middle of it),
 * false if it stopped: failed, waiting, or the slot is not valid yet.
 */
static bool aql_packet(VkfdState *s, VkfdQueue *q, unsigned *budget)
{
    AqlPacket p;
    VkfdStep step;

    p.va = q->ring_base +
           ((q->rptr * VKFD_AQL_PACKET_SIZE) & (q->ring_size - 1));
    if (!vkfd_vm_cache_read(s, q->ctx_id, &q->ring_xc, p.va, p.b,
                            sizeof(p.b))) {
        p.dw0 = 0;
        aql_fail(s, q, &p, VKFD_QERR_VM_FAULT, s->vm_last_fault_va,
                 "ring not readable");
        return false;
    }
    p.dw0 = ldl_le_p(p.b);
    if ((p.dw0 & 0xff) == VKFD_AQL_TYPE_INVALID) {
        return false;       /* not published yet: wait for the doorbell */
    }
    trace_vkfd_aql_packet(q->ctx_id, q->doorbell, q->rptr, p.dw0);
    if ((p.dw0 & 0xff) != VKFD_AQL_TYPE_VENDOR ||
        p.b[AQL_AMD_FORMAT] != VKFD_AQL_AMD_PM4_IB) {
        q->ib_depth = 0;    /* only a PM4-IB packet at rptr may have IBs */
    }

    switch (p.dw0 & 0xff) {
    case VKFD_AQL_TYPE_KERNEL:
        step = aql_kernel(s, q, &p, budget);
        break;
    case VKFD_AQL_TYPE_BARRIER_AND:
        step = aql_barrier(s, q, &p, true, budget);
        break;
    case VKFD_AQL_TYPE_BARRIER_OR:
        step = aql_barrier(s, q, &p, false, budget);
        break;
    case VKFD_AQL_TYPE_VENDOR:
        step = aql_vendor(s, q, &p, budget);
        break;
    case VKFD_AQL_TYPE_AGENT:
        step = aql_bad(s, q, &p, "agent dispatch not supported");
        break;
    default:
        step = aql_bad(s, q, &p, "unknown packet type");
        break;
    }
    switch (step) {
    case VKFD_STEP_DONE:
        return aql_complete(s, q, &p);
    case VKFD_STEP_MORE:
        return true;
    default:
        return false;
    }
}

bool vkfd_aql_run(VkfdState *s, VkfdQueue *q, unsigned *budget)
{
    uint64_t wptr;

    q->waiting = false;
    if (q->error) {
        return false;
    }
    if (!vkfd_vm_cache_read(s, q->ctx_id, &q->wptr_xc, q->wptr_addr, &wptr,
                            sizeof(wptr))) {
        VKFD_GUEST_ERR(vkfd_err_aql_wptr, "ctx %u doorbell %u index %"
                       PRIu64 ": %s", q->ctx_id, q->doorbell, q->rptr,
                       "write_dispatch_id not readable");
        vkfd_queue_fail(s, q, VKFD_QERR_VM_FAULT, 0, s->vm_last_fault_va);
        return false;
    }
    wptr = le64_to_cpu(wptr);
    if (wptr < q->rptr) {
        VKFD_GUEST_ERR(vkfd_err_aql_wptr, "ctx %u doorbell %u index %"
                       PRIu64 ": %s", q->ctx_id, q->doorbell, q->rptr,
                       "write_dispatch_id behind read_dispatch_id");
        vkfd_queue_fail(s, q, VKFD_QERR_BAD_POINTER, 0, wptr);
        return false;
    }
    while (q->rptr < wptr) {
        if (!*budget) {
            trace_vkfd_aql_yield(q->ctx_id, q->doorbell, q->rptr,
                                 q->progress);
            return true;
        }
        if (!aql_packet(s, q, budget)) {
            return false;
        }
    }
    return false;
}
