/*
 * vkfd: a virtual AMD KFD device -- the shader core: dispatches and waves
 *
 * A kernel dispatch whose kernel object is a code-object-v3+ kernel
 * descriptor (not a built-in kernel) runs here.  Starting it reads and
 * checks the descriptor (LLVM's AMDGPUUsage, "Kernel Descriptor"), works
 * out the initial register state once ("Initial Kernel Execution State")
 * and keeps it all in a VkfdShDispatch hung on the queue (q->sh).  Then
 * workgroups run one at a time in the order of their linear id: all the
 * waves of the group live together (so s_barrier and LDS work), each wave
 * runs until it ends, waits at a barrier, sleeps, or has used its turn,
 * then the next live wave runs.  Every VKFD_SH_UNIT_INSNS wave-
 * instructions cost one unit of the queue scheduler's budget; when the
 * budget is spent the dispatch returns VKFD_STEP_MORE and resumes at the
 * next turn of its queue, so a kernel that never ends only ever holds its
 * own queue.  Unmapping the queue, tearing down its context or a reset
 * free the dispatch (vkfd_sh_drop).
 *
 * A wave that faults (an instruction that does not decode, a register
 * outside the allocation, a memory or LDS fault, s_trap) stops its queue
 * with a VKFD_QERR_SHADER_* error naming the PC (or the faulting VA), the
 * instruction's dwords and the wave; on an AQL queue it also stores the
 * error in ROCr's queue_inactive_signal as the CP does.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/log.h"
#include "qemu/bswap.h"
#include "vkfd.h"
#include "vkfd-sh-core.h"
#include "trace.h"

/* Wave-instructions per unit of the queue budget, and per turn of a wave */
#define VKFD_SH_UNIT_INSNS      128

/*
 * Starting a workgroup zeroes its waves' VGPRs and its LDS (up to 2 MiB +
 * 64 KiB): that costs the queue's budget one wave-instruction per this
 * many bytes (a SALU instruction's host time zeroes about 64), so a
 * kernel that ends at once cannot turn one turn of its queue into
 * gigabytes of memset.
 */
#define VKFD_SH_START_BYTES     256

/*
 * Decoding an instruction (fetched a dword at a time through GPUVM) and
 * making a page of the decode cache (and, every VKFD_SH_CODE_PAGES, freeing
 * them all) cost the budget this many wave-instructions each (about what
 * they take on the host): a kernel jumping through more code pages than
 * the cache keeps made a bottom-half run of its queue take 90 ms.
 */
#define VKFD_SH_DECODE_INSNS    256
#define VKFD_SH_PAGE_INSNS      512

/*
 * A memory access the fast path does not serve (a store to system memory,
 * a page boundary, a miss) walks GPUVM and goes through the DMA API, about
 * 150 ns: it costs the budget this many wave-instructions, so that a loop
 * of 64-lane stores to guest RAM (bottom-half runs of 15-30 ms before) is
 * bounded as tightly as one of ALU instructions.
 */
#define VKFD_SH_SLOW_INSNS      32

/* The kernel descriptor (code object v3+), offsets */
#define KD_GROUP_FIXED          0
#define KD_PRIVATE_FIXED        4
#define KD_KERNARG_SIZE         8
#define KD_ENTRY_OFFSET         16
#define KD_RSRC3                44
#define KD_RSRC1                48
#define KD_RSRC2                52
#define KD_PROPS                56
#define KD_SIZE                 64

/* kernel_code_properties: the user SGPRs, in their order */
#define KP_PRIVATE_SEGMENT_BUFFER   (1u << 0)
#define KP_DISPATCH_PTR             (1u << 1)
#define KP_QUEUE_PTR                (1u << 2)
#define KP_KERNARG_SEGMENT_PTR      (1u << 3)
#define KP_DISPATCH_ID              (1u << 4)
#define KP_FLAT_SCRATCH_INIT        (1u << 5)
#define KP_PRIVATE_SEGMENT_SIZE     (1u << 6)
#define KP_GRID_WG_COUNT            (7u << 7)   /* amd_kernel_code_t only */
#define KP_WAVE32                   (1u << 10)

/* COMPUTE_PGM_RSRC1 (GFX9) */
#define RSRC1_VGPRS(r)          ((r) & 0x3f)
#define RSRC1_SGPRS(r)          (((r) >> 6) & 0xf)
#define RSRC1_FLOAT_MODE(r)     (((r) >> 12) & 0xff)
#define RSRC1_DX10_CLAMP        (1u << 21)
#define RSRC1_IEEE_MODE         (1u << 23)
#define RSRC1_FP16_OVFL         (1u << 26)

/* COMPUTE_PGM_RSRC2 */
#define RSRC2_SCRATCH_EN        (1u << 0)
#define RSRC2_USER_SGPRS(r)     (((r) >> 1) & 0x1f)
#define RSRC2_TGID_X            (1u << 7)
#define RSRC2_TGID_Y            (1u << 8)
#define RSRC2_TGID_Z            (1u << 9)
#define RSRC2_TG_SIZE           (1u << 10)
#define RSRC2_TIDIG(r)          (((r) >> 11) & 3)
#define RSRC2_LDS_SIZE(r)       (((r) >> 15) & 0x1ff)

/* COMPUTE_PGM_RSRC3 (gfx90a) */
#define RSRC3_ACCUM_OFFSET(r)   ((r) & 0x3f)

/* MODE (GFX9): rounding and denormals in 7:0, then these */
#define MODE_DX10_CLAMP         (1u << 8)
#define MODE_IEEE               (1u << 9)
#define MODE_FP16_OVFL          (1u << 23)

/* The AQL kernel dispatch packet */
#define AQL_SETUP               2
#define AQL_WG_SIZE             4       /* u16 x3 */
#define AQL_GRID_SIZE           12      /* u32 x3 */
#define AQL_PRIVATE_SIZE        24
#define AQL_GROUP_SIZE          28
#define AQL_KERNEL_OBJECT       32
#define AQL_KERNARG             40

/* ROCr's amd_queue_t: where its fields are from the queue's start */
#define AMDQ_WRITE_DISPATCH_ID  56
#define AMDQ_READ_DISPATCH_ID   128
#define AMDQ_TMPRING_SIZE       140
#define AMDQ_SCRATCH_SRD        144
#define AMDQ_SCRATCH_LOCATION   160
#define AMDQ_SCRATCH_SIZE       168
#define AMDQ_SCRATCH_LANE_SIZE  176
#define AMDQ_PROPERTIES         180
#define AMDQ_PROP_SCRATCH_ONCE  (1u << 4)   /* large scratch: one dispatch */
#define AMDQ_INACTIVE_SIGNAL    192
#define AMDQ_SCRATCH_END        184     /* the fields disp_scratch reads */

/* queue_inactive_signal values the CP stores (ROCr's queue error codes) */
#define AMDQ_ERR_SCRATCH        0x1         /* insufficient scratch, wave64 */
#define AMDQ_ERR_DIM            0x2
#define AMDQ_ERR_GROUP_MEMORY   0x4
#define AMDQ_ERR_CODE           0x8
#define AMDQ_ERR_WG_SIZE        0x40
#define AMDQ_ERR_VGPRS          0x80
#define AMDQ_ERR_ILLEGAL        0x40000000
#define AMDQ_ERR_TRAP           0x80000000
#define AMDQ_RECLAIM_SCRATCH    512         /* done with single-use scratch */
/* ROCr gave up finding scratch: it stores -1 */
#define AMDQ_SIGNAL_DEAD        (-1)

/*
 * The COMPUTE_* registers of a PM4 queue (q->cs_regs), by their offset
 * from COMPUTE_DISPATCH_INITIATOR (0x2e00).
 */
#define CS_START_X              0x04
#define CS_NUM_THREAD_X         0x07
#define CS_PGM_LO               0x0c
#define CS_PGM_HI               0x0d
#define CS_SCRATCH_BASE_LO      0x10    /* COMPUTE_DISPATCH_SCRATCH_BASE */
#define CS_SCRATCH_BASE_HI      0x11
#define CS_PGM_RSRC1            0x12
#define CS_PGM_RSRC2            0x13
#define CS_TMPRING_SIZE         0x18
#define CS_PGM_RSRC3            0x2d
#define CS_USER_DATA_0          0x40
QEMU_BUILD_BUG_ON(CS_USER_DATA_0 + VKFD_SH_MAX_USER_SGPRS > VKFD_CS_REGS);
/* LDS_SIZE in RSRC2 counts 128-dword granules */
#define CS_LDS_GRANULE          512

/* COMPUTE_TMPRING_SIZE (GFX9): waves, and 1 KiB units per wave */
#define TMPRING_WAVES(t)        ((t) & 0xfff)
#define TMPRING_WAVESIZE(t)     (((t) >> 12) & 0x1fff)

static const struct {
    uint32_t qerr;
    const char *name;
} fault_info[] = {
    [VKFD_SH_FAULT_ILLEGAL] = { VKFD_QERR_SHADER_ILLEGAL, "illegal" },
    [VKFD_SH_FAULT_OPERAND] = { VKFD_QERR_SHADER_OPERAND, "operand" },
    [VKFD_SH_FAULT_MEMORY] = { VKFD_QERR_SHADER_MEMORY, "memory" },
    [VKFD_SH_FAULT_LDS] = { VKFD_QERR_SHADER_LDS, "lds" },
    [VKFD_SH_FAULT_TRAP] = { VKFD_QERR_SHADER_TRAP, "trap" },
    [VKFD_SH_FAULT_ALIGN] = { VKFD_QERR_SHADER_ALIGN, "align" },
};

/*
 * Faults.  vkfd_sh_fault() is for handlers: the instruction is the one
 * the run loop is executing.  The decoder names it itself.
 */
static bool wave_fault(VkfdWave *w, VkfdShFault fault, uint64_t va,
                       uint64_t pc, const uint32_t *dw, const char *why)
{
    if (w->status == VKFD_SH_WAVE_FAULT) {
        return false;       /* the first fault is the one to report */
    }
    w->status = VKFD_SH_WAVE_FAULT;
    w->fault = fault < ARRAY_SIZE(fault_info) && fault_info[fault].name ?
               fault : VKFD_SH_FAULT_ILLEGAL;
    w->fault_va = va;
    w->fault_pc = pc;
    w->fault_dw[0] = dw ? dw[0] : 0;
    w->fault_dw[1] = dw ? dw[1] : 0;
    w->fault_why = why;
    return false;
}

bool vkfd_sh_fault(VkfdWave *w, VkfdShFault fault, uint64_t va,
                   const char *why)
{
    const VkfdShInsn *in = w->disp->cur;

    if (!in) {
        return wave_fault(w, fault, va, w->pc, NULL, why);
    }
    return wave_fault(w, fault, va, in->pc, in->dw, why);
}

bool vkfd_sh_fault_decode(VkfdWave *w, VkfdShFault fault, uint64_t va,
                          const uint32_t *dw, const char *why)
{
    return wave_fault(w, fault, va, w->pc, dw, why);
}

/*
 * The memory fast path: a small direct-mapped cache of the pages the
 * dispatch touched, VA page -> host pointer, valid for one turn of the
 * queue (disp_run empties it), as the device's TLB is between two
 * scheduler commands: VRAM pages, and guest RAM pages for reads (the
 * kernargs ROCr keeps in system memory).  An access within one page that
 * hits is a memcpy; anything else (a store to system memory, a page
 * boundary, a miss that does not translate) takes vkfd_vm_read/write,
 * which also reports the fault.
 */
/*
 * The host address of the guest RAM page at bus address addr, if the
 * whole page is plain RAM through the device's bus-master address space
 * (for reads: writes to system memory take the slow path, which marks
 * them dirty).  Valid while the BQL is held: the memory map only changes
 * under it.
 */
static uint8_t *sys_page(VkfdState *s, uint64_t addr)
{
    AddressSpace *as = pci_get_address_space(&s->parent_obj);
    hwaddr xlat, len = VKFD_GPU_PAGE_SIZE;
    MemoryRegion *mr;

    RCU_READ_LOCK_GUARD();
    mr = address_space_translate(as, addr, &xlat, &len, false,
                                 MEMTXATTRS_UNSPECIFIED);
    if (len < VKFD_GPU_PAGE_SIZE || !memory_access_is_direct(mr, false)) {
        return NULL;
    }
    return (uint8_t *)memory_region_get_ram_ptr(mr) + xlat;
}

static VkfdShXlat *xlat_fill(VkfdShDispatch *d, VkfdShXlat *e, uint64_t va,
                             unsigned len, bool is_write)
{
    uint64_t off = va & (VKFD_GPU_PAGE_SIZE - 1);
    VkfdVmXlat x;

    /* the exact access first, so that a fault latches its own VA */
    if (!vkfd_vm_translate(d->s, d->ctx_id, va, len, is_write, &x)) {
        return NULL;
    }
    /* the device's own pages (doorbells, HDP flush) act: never cached */
    if (x.io != VKFD_VM_IO_NONE) {
        e->tag = 0;
        return NULL;
    }
    if (x.vram) {
        e->vram = x.addr - off;
        e->host = (uint8_t *)memory_region_get_ram_ptr(&d->s->vram) +
                  e->vram;
    } else {
        e->host = is_write ? NULL : sys_page(d->s, x.addr - off);
        if (!e->host) {
            e->tag = 0;
            return NULL;
        }
        e->vram = 0;
    }
    e->tag = (va >> VKFD_GPU_PAGE_SHIFT) + 1;
    e->write = is_write;
    return e;
}

static inline VkfdShXlat *xlat(VkfdShDispatch *d, uint64_t va, unsigned len,
                               bool is_write)
{
    uint64_t page = va >> VKFD_GPU_PAGE_SHIFT;
    VkfdShXlat *e = &d->xlat[page % VKFD_SH_XLAT];

    if (unlikely(!len || (va + len - 1) >> VKFD_GPU_PAGE_SHIFT != page)) {
        return NULL;
    }
    if (likely(e->tag == page + 1 && (e->write || !is_write))) {
        return e;
    }
    return xlat_fill(d, e, va, len, is_write);
}

bool vkfd_sh_read(VkfdWave *w, uint64_t va, void *buf, unsigned len)
{
    VkfdShDispatch *d = w->disp;
    VkfdShXlat *e = xlat(d, va, len, false);

    if (likely(e)) {
        memcpy(buf, e->host + (va & (VKFD_GPU_PAGE_SIZE - 1)), len);
        return true;
    }
    d->debt += VKFD_SH_SLOW_INSNS;
    if (likely(vkfd_vm_read(d->s, d->ctx_id, va, buf, len))) {
        return true;
    }
    return vkfd_sh_fault(w, VKFD_SH_FAULT_MEMORY, d->s->vm_last_fault_va,
                         "memory read faulted");
}

bool vkfd_sh_write(VkfdWave *w, uint64_t va, const void *buf, unsigned len)
{
    VkfdShDispatch *d = w->disp;
    VkfdShXlat *e = xlat(d, va, len, true);
    unsigned off = va & (VKFD_GPU_PAGE_SIZE - 1);

    if (likely(e)) {
        memcpy(e->host + off, buf, len);
        memory_region_set_dirty(&d->s->vram, e->vram + off, len);
        return true;
    }
    d->debt += VKFD_SH_SLOW_INSNS;
    if (likely(vkfd_vm_write(d->s, d->ctx_id, va, buf, len))) {
        return true;
    }
    return vkfd_sh_fault(w, VKFD_SH_FAULT_MEMORY, d->s->vm_last_fault_va,
                         "memory write faulted");
}

/*
 * The queue's data translation serves the wave's atomics too; one that
 * misses it (a new page, or not plain RAM) costs what a slow access does.
 */
bool vkfd_sh_atomic(VkfdWave *w, uint64_t va, unsigned size,
                    VkfdVmAtomicFn *fn, const void *opaque, uint64_t *old)
{
    VkfdShDispatch *d = w->disp;
    VkfdVmCache *c = &d->q->data_xc;

    if (unlikely(!vkfd_vm_cache_hit(d->s, c, va, size, true))) {
        d->debt += VKFD_SH_SLOW_INSNS;
    }
    if (likely(vkfd_vm_atomic(d->s, d->ctx_id, c, va, size, fn, opaque,
                              old))) {
        return true;
    }
    return vkfd_sh_fault(w, VKFD_SH_FAULT_MEMORY, d->s->vm_last_fault_va,
                         "memory atomic faulted");
}

uint64_t vkfd_sh_clock(const VkfdWave *w)
{
    return vkfd_clock_ns();
}

/*
 * s_sendmsg MSG_INTERRUPT: the SQ's message interrupt, which amdkfd turns
 * into the event whose id the wave put in M0 (ockl's signal stores send
 * it after writing the mailbox).  The driver matches the id against its
 * event slots, and scans them all when it matches none.
 */
/*
 * s_icache_inv: code the dispatch rewrote is fetched again.  The decode
 * cache is emptied once the wave leaves the run loop (the instruction
 * running is the cache's), which the wave does by yielding its turn.
 */
void vkfd_sh_icache_invalidate(VkfdWave *w)
{
    w->disp->code_flush = true;
    if (w->status == VKFD_SH_WAVE_RUN) {
        w->status = VKFD_SH_WAVE_SLEEP;
    }
}

void vkfd_sh_interrupt(VkfdWave *w, uint32_t data)
{
    VkfdShDispatch *d = w->disp;

    vkfd_ih_post(d->s, VKFD_IH_SRC_SIGNAL, d->ctx_id, data, d->q->doorbell,
                 0, 0);
}

/* Dispatches */

static void disp_free(VkfdShDispatch *d)
{
    vkfd_sh_code_free(&d->code);
    g_free(d->vgprs);
    g_free(d->lds);
    g_free(d);
}

void vkfd_sh_drop(VkfdQueue *q)
{
    if (q->sh) {
        trace_vkfd_sh_drop(q->ctx_id, q->doorbell, q->sh->next_group,
                           q->sh->total_groups);
        disp_free(q->sh);
        q->sh = NULL;
    }
}

/*
 * The waves of q's dispatch resident in the shader core: those of the
 * workgroup under way that have not ended (waiting at a barrier or
 * sleeping counts; workgroups run one at a time per queue).  Derived
 * from the dispatch alone, so it is right after a migration or a reset.
 */
uint32_t vkfd_sh_resident_waves(const VkfdQueue *q)
{
    const VkfdShDispatch *d = q->sh;

    return d && d->group_live ? d->group.live : 0;
}

/*
 * Store value in an amd_signal_t of q's context and notify its waiters as
 * a completion does (event id into the mailbox, an IH SIGNAL entry).
 */
static bool signal_store(VkfdState *s, VkfdQueue *q, uint64_t sig,
                         int64_t value)
{
    uint8_t sv[VKFD_SIGNAL_EVENT_ID + 4];
    uint64_t mailbox, v = cpu_to_le64(value);
    uint32_t event_id;

    if (!sig || (sig & 7) ||
        !vkfd_vm_read(s, q->ctx_id, sig, sv, sizeof(sv)) ||
        !vkfd_vm_write(s, q->ctx_id, sig + VKFD_SIGNAL_VALUE, &v, 8)) {
        return false;
    }
    mailbox = ldq_le_p(sv + VKFD_SIGNAL_MAILBOX);
    if (mailbox) {
        event_id = ldl_le_p(sv + VKFD_SIGNAL_EVENT_ID);
        stq_le_p(sv, event_id);
        if (!vkfd_vm_write(s, q->ctx_id, mailbox, sv, 8)) {
            return false;
        }
        vkfd_ih_post(s, VKFD_IH_SRC_SIGNAL, q->ctx_id, event_id,
                     q->doorbell, sig, 0);
    }
    return true;
}

/*
 * Refuse a dispatch before it runs: the queue stops with err (at va),
 * and ROCr hears of it through queue_inactive_signal (amdq_err) as from
 * the CP.
 */
static VkfdStep disp_refuse(VkfdShDispatch *d, uint32_t err, uint64_t va,
                            uint32_t info, uint32_t amdq_err,
                            const char *why)
{
    VkfdState *s = d->s;
    VkfdQueue *q = d->q;

    VKFD_GUEST_ERR(vkfd_err_sh_dispatch, "ctx %u doorbell %u index %" PRIu64
                   " kernel 0x%" PRIx64 ": %s", q->ctx_id, q->doorbell,
                   q->rptr, d->kobj, why);
    /* AQL: error_info is the packet's first dword, as for its other errors */
    if (q->type == VKFD_QUEUE_AQL) {
        info = d->packet_dw0;
    }
    if (amdq_err && d->inactive_sig) {
        signal_store(s, q, d->inactive_sig, amdq_err);
    }
    vkfd_queue_fail(s, q, err, info, va);
    vkfd_sh_drop(q);
    return VKFD_STEP_FAIL;
}

/*
 * The queue's scratch as ROCr describes it in amd_queue_t: the buffer
 * resource (SRD) the private segment buffer SGPRs get, its base (which is
 * what FLAT_SCRATCH_INIT gets on GFX9), the per-wave size from
 * COMPUTE_TMPRING_SIZE and how many waves fit.  NULL, or why not.
 */
static const char *disp_scratch(VkfdShDispatch *d, uint32_t srd[4])
{
    uint8_t b[AMDQ_SCRATCH_END - AMDQ_TMPRING_SIZE];
    uint32_t tmpring, waves, lane;

    memset(srd, 0, 16);
    d->scratch_base = d->scratch_size = 0;
    d->scratch_wave_bytes = 0;
    d->scratch_short = false;
    if (!d->queue_va) {
        return d->private_size ? "kernel needs scratch; the queue has none" :
               NULL;
    }
    if (!vkfd_vm_read(d->s, d->ctx_id, d->queue_va + AMDQ_TMPRING_SIZE, b,
                      sizeof(b))) {
        return "amd_queue_t not readable";
    }
    tmpring = ldl_le_p(b);
    for (int i = 0; i < 4; i++) {
        srd[i] = ldl_le_p(b + AMDQ_SCRATCH_SRD - AMDQ_TMPRING_SIZE + 4 * i);
    }
    lane = ldl_le_p(b + AMDQ_SCRATCH_LANE_SIZE - AMDQ_TMPRING_SIZE);
    d->scratch_once = d->private_size &&
        (ldl_le_p(b + AMDQ_PROPERTIES - AMDQ_TMPRING_SIZE) &
         AMDQ_PROP_SCRATCH_ONCE);
    d->scratch_size = ldq_le_p(b + AMDQ_SCRATCH_SIZE - AMDQ_TMPRING_SIZE);
    d->scratch_base = ldq_le_p(b + AMDQ_SCRATCH_LOCATION - AMDQ_TMPRING_SIZE);
    d->scratch_wave_bytes = TMPRING_WAVESIZE(tmpring) * 1024;
    waves = TMPRING_WAVES(tmpring);
    if (!d->private_size) {
        return NULL;
    }
    /* one slot per wave of a workgroup: they run together */
    if (lane < d->private_size || waves < d->max_waves ||
        (uint64_t)d->scratch_wave_bytes * d->max_waves > d->scratch_size ||
        d->scratch_wave_bytes < (uint64_t)d->private_size *
                                VKFD_SH_WAVE_SIZE) {
        d->scratch_short = true;
        return "the queue's scratch is too small for the dispatch";
    }
    return NULL;
}

/* The user SGPRs, in the order of kernel_code_properties' bits. */
static const char *disp_user_sgprs(VkfdShDispatch *d)
{
    uint32_t srd[4] = { 0 }, *u = d->user_sgprs, n = 0, want = 0;
    static const uint8_t size[] = { 4, 2, 2, 2, 2, 2, 1 };
    const char *why;
    unsigned i;

    for (i = 0; i < ARRAY_SIZE(size); i++) {
        want += (d->props >> i & 1) ? size[i] : 0;
    }
    if (want != RSRC2_USER_SGPRS(d->rsrc2)) {
        return "USER_SGPR_COUNT does not match the enabled user SGPRs";
    }
    if ((d->props & (KP_PRIVATE_SEGMENT_BUFFER | KP_FLAT_SCRATCH_INIT)) ||
        d->private_size) {
        why = disp_scratch(d, srd);
        if (why) {
            return why;
        }
    }
    if (d->props & KP_PRIVATE_SEGMENT_BUFFER) {
        memcpy(u + n, srd, 16);
        n += 4;
    }
    if (d->props & KP_DISPATCH_PTR) {
        u[n++] = d->packet_va;
        u[n++] = d->packet_va >> 32;
    }
    if (d->props & KP_QUEUE_PTR) {
        u[n++] = d->queue_va;
        u[n++] = d->queue_va >> 32;
    }
    if (d->props & KP_KERNARG_SEGMENT_PTR) {
        u[n++] = d->kernarg;
        u[n++] = d->kernarg >> 32;
    }
    if (d->props & KP_DISPATCH_ID) {
        u[n++] = d->dispatch_id;
        u[n++] = d->dispatch_id >> 32;
    }
    if (d->props & KP_FLAT_SCRATCH_INIT) {
        u[n++] = d->scratch_base;
        u[n++] = d->scratch_base >> 32;
    }
    if (d->props & KP_PRIVATE_SEGMENT_SIZE) {
        u[n++] = d->private_size;
    }
    d->user_sgpr_count = n;
    return NULL;
}

static const char *refuse(VkfdShDispatch *d, uint32_t amdq_err,
                          const char *why)
{
    d->amdq_err = amdq_err;
    return why;
}

/*
 * Check the descriptor kd (read from d->kobj) and the launch, and work
 * out everything the waves start with but the SGPRs (disp_prepare).
 * NULL, or what is wrong (and d->amdq_err, ROCr's code for it).
 */
static const char *disp_setup(VkfdShDispatch *d, uint32_t group_size,
                              uint32_t private_size)
{
    uint32_t sys, items;
    uint64_t n;
    int i;

    if (d->entry & 0xff) {
        return refuse(d, AMDQ_ERR_CODE, "kernel entry not 256-byte aligned");
    }
    if (d->entry >= VKFD_VA_END) {
        return refuse(d, AMDQ_ERR_CODE,
                      "kernel entry beyond the 48-bit VA space");
    }
    if (d->props & KP_WAVE32) {
        return refuse(d, AMDQ_ERR_CODE,
                      "wave32 kernel (gfx90a runs wave64 only)");
    }
    if (d->props & KP_GRID_WG_COUNT) {
        return refuse(d, AMDQ_ERR_CODE,
                      "grid workgroup count SGPRs are not supported");
    }
    /* registers: gfx90a allocates VGPRs+AGPRs in 8s, SGPRs in 16s */
    n = (RSRC1_VGPRS(d->rsrc1) + 1) * 8;
    if (n > VKFD_SH_MAX_VGPRS) {
        return refuse(d, AMDQ_ERR_VGPRS, "more than 512 VGPRs+AGPRs");
    }
    d->num_vgprs = n;
    d->accum_offset = (RSRC3_ACCUM_OFFSET(d->rsrc3) + 1) * 4;
    if (d->accum_offset > d->num_vgprs ||
        d->accum_offset > VKFD_SH_MAX_ARCH_VGPRS) {
        return refuse(d, AMDQ_ERR_VGPRS, "ACCUM_OFFSET beyond the VGPRs");
    }
    d->num_sgprs = MIN((RSRC1_SGPRS(d->rsrc1) + 1) * 16, VKFD_SH_MAX_SGPRS);
    d->mode = RSRC1_FLOAT_MODE(d->rsrc1) |
              (d->rsrc1 & RSRC1_DX10_CLAMP ? MODE_DX10_CLAMP : 0) |
              (d->rsrc1 & RSRC1_IEEE_MODE ? MODE_IEEE : 0) |
              (d->rsrc1 & RSRC1_FP16_OVFL ? MODE_FP16_OVFL : 0);

    /* the launch */
    items = 1;
    d->total_groups = 1;
    for (i = 0; i < 3; i++) {
        if (!d->grid[i] || !d->wg[i]) {
            return refuse(d, AMDQ_ERR_DIM, "grid or workgroup size 0");
        }
        items *= d->wg[i];
        if (items > VKFD_SH_MAX_WG_ITEMS) {
            return refuse(d, AMDQ_ERR_WG_SIZE,
                          "workgroup of more than 1024 work-items");
        }
        d->ngroups[i] = DIV_ROUND_UP((uint64_t)d->grid[i], d->wg[i]);
        if (d->total_groups > UINT64_MAX / d->ngroups[i]) {
            return refuse(d, AMDQ_ERR_DIM, "more than 2^64 workgroups");
        }
        d->total_groups *= d->ngroups[i];
    }
    d->max_waves = DIV_ROUND_UP(items, VKFD_SH_WAVE_SIZE);
    d->lds_size = group_size;
    if (d->lds_size > VKFD_LDS_SIZE_KB * 1024) {
        return refuse(d, AMDQ_ERR_GROUP_MEMORY,
                      "group segment larger than 64 KiB");
    }
    d->private_size = private_size;
    if (d->private_size && !(d->rsrc2 & RSRC2_SCRATCH_EN)) {
        return refuse(d, AMDQ_ERR_CODE, "private segment without SCRATCH_EN");
    }

    /* initial SGPRs: the system ones (the user ones: disp_prepare) */
    d->sgpr_wg_id[0] = d->rsrc2 & RSRC2_TGID_X;
    d->sgpr_wg_id[1] = d->rsrc2 & RSRC2_TGID_Y;
    d->sgpr_wg_id[2] = d->rsrc2 & RSRC2_TGID_Z;
    d->sgpr_wg_info = d->rsrc2 & RSRC2_TG_SIZE;
    d->sgpr_wave_offset = d->rsrc2 & RSRC2_SCRATCH_EN;
    sys = d->sgpr_wg_id[0] + d->sgpr_wg_id[1] + d->sgpr_wg_id[2] +
          d->sgpr_wg_info + d->sgpr_wave_offset;
    if (RSRC2_USER_SGPRS(d->rsrc2) + sys > d->num_sgprs) {
        return refuse(d, AMDQ_ERR_CODE,
                      "initial SGPRs beyond the granulated SGPR count");
    }
    if (RSRC2_TIDIG(d->rsrc2) > 2) {
        return refuse(d, AMDQ_ERR_CODE, "VGPR_WORKITEM_ID 3 is reserved");
    }

    d->vgprs = g_malloc0((size_t)d->max_waves * d->num_vgprs *
                         sizeof(*d->vgprs));
    d->lds = d->lds_size ? g_malloc0(d->lds_size) : NULL;
    return NULL;
}

/* Start the workgroup of linear id d->next_group. */
static void group_start(VkfdShDispatch *d)
{
    VkfdShGroup *g = &d->group;
    uint64_t lin = d->next_group++;
    uint32_t items, x, y, z, k, lane, item, tidig = RSRC2_TIDIG(d->rsrc2);
    VkfdWave *w;
    unsigned n;

    g->id[0] = lin % d->ngroups[0];
    g->id[1] = lin / d->ngroups[0] % d->ngroups[1];
    g->id[2] = lin / d->ngroups[0] / d->ngroups[1];
    for (k = 0; k < 3; k++) {
        g->size[k] = MIN(d->wg[k], d->grid[k] - (uint64_t)g->id[k] * d->wg[k]);
    }
    items = g->size[0] * g->size[1] * g->size[2];
    g->nwaves = DIV_ROUND_UP(items, VKFD_SH_WAVE_SIZE);
    g->live = g->nwaves;
    d->s->sh_waves += g->nwaves;
    g->at_barrier = 0;
    g->cur = 0;
    if (d->lds) {
        memset(d->lds, 0, d->lds_size);
    }
    memset(d->vgprs, 0, (size_t)g->nwaves * d->num_vgprs *
           sizeof(*d->vgprs));

    for (k = 0; k < g->nwaves; k++) {
        w = &g->waves[k];
        memset(w, 0, sizeof(*w));
        w->v = d->vgprs + (size_t)k * d->num_vgprs;
        w->pc = d->entry;
        w->num_sgprs = d->num_sgprs;
        w->num_vgprs = d->num_vgprs;
        w->accum_offset = d->accum_offset;
        w->mode = d->mode;
        w->wave_id = k;
        w->lds = d->lds;
        w->lds_size = d->lds_size;
        w->shared_base = VKFD_LDS_BASE;
        w->private_base = VKFD_SCRATCH_BASE;
        w->disp = d;
        w->group = g;

        memcpy(w->s, d->user_sgprs, d->user_sgpr_count * 4);
        n = d->user_sgpr_count;
        for (x = 0; x < 3; x++) {
            if (d->sgpr_wg_id[x]) {
                w->s[n++] = d->start[x] + g->id[x];
            }
        }
        if (d->sgpr_wg_info) {
            w->s[n++] = (k == 0 ? 1u << 31 : 0) | g->nwaves;
        }
        if (d->sgpr_wave_offset) {
            w->s[n++] = k * d->scratch_wave_bytes;
        }

        /* work-items in x-fastest order; gfx90a packs their ids in v0 */
        item = k * VKFD_SH_WAVE_SIZE;
        x = item % g->size[0];
        y = item / g->size[0] % g->size[1];
        z = item / g->size[0] / g->size[1];
        for (lane = 0; item < items && lane < VKFD_SH_WAVE_SIZE;
             item++, lane++) {
            w->v[0][lane] = x | (tidig >= 1 ? y << 10 : 0) |
                            (tidig >= 2 ? z << 20 : 0);
            if (++x == g->size[0]) {
                x = 0;
                if (++y == g->size[1]) {
                    y = 0;
                    z++;
                }
            }
        }
        vkfd_sh_set_exec_mask(w, lane == VKFD_SH_WAVE_SIZE ? UINT64_MAX :
                              (1ull << lane) - 1);
    }
    d->group_live = true;
    trace_vkfd_sh_group(d->ctx_id, d->q->doorbell, lin, g->id[0], g->id[1],
                        g->id[2], g->nwaves);
}

/* A wave left the barrier count (it ended): release if the rest wait. */
static void group_barrier_check(VkfdShGroup *g)
{
    unsigned k;

    if (g->live && g->at_barrier == g->live) {
        for (k = 0; k < g->nwaves; k++) {
            if (g->waves[k].status == VKFD_SH_WAVE_BARRIER) {
                g->waves[k].status = VKFD_SH_WAVE_RUN;
            }
        }
        g->at_barrier = 0;
    }
}

/* The queue stops on w's fault. */
static VkfdStep disp_fault(VkfdShDispatch *d, VkfdWave *w)
{
    VkfdState *s = d->s;
    VkfdQueue *q = d->q;
    uint32_t qerr = fault_info[w->fault].qerr;
    uint64_t va = w->fault == VKFD_SH_FAULT_MEMORY ? w->fault_va :
                  w->fault_pc;

    VKFD_GUEST_ERR(vkfd_err_sh_fault, "ctx %u doorbell %u: %s fault at pc "
                   "0x%" PRIx64 " [0x%08x 0x%08x] va 0x%" PRIx64 " wave %u "
                   "of workgroup %" PRIu64 ": %s", d->ctx_id, q->doorbell,
                   fault_info[w->fault].name, w->fault_pc, w->fault_dw[0],
                   w->fault_dw[1], w->fault_va, w->wave_id,
                   d->next_group - 1, w->fault_why ? w->fault_why : "");
    /*
     * ROCr learns of a wave's exception from its queue_inactive_signal;
     * a memory fault reaches it as the VM fault's memory exception event
     * instead, as on the hardware.
     */
    if (d->inactive_sig && w->fault != VKFD_SH_FAULT_MEMORY) {
        signal_store(s, q, d->inactive_sig, w->fault == VKFD_SH_FAULT_TRAP ?
                     AMDQ_ERR_TRAP : AMDQ_ERR_ILLEGAL);
    }
    vkfd_queue_fail(s, q, qerr, w->fault_dw[0], va);
    vkfd_sh_drop(q);
    return VKFD_STEP_FAIL;
}

/*
 * Run wave w for at most *left instructions (it stops earlier when it
 * ends, waits, sleeps or faults).  false if it faulted.
 */
static bool wave_run(VkfdShDispatch *d, VkfdWave *w, unsigned *left)
{
    const VkfdShCodePage *page = d->code.last;
    uint64_t page_va = page ? page->va : 1;    /* 1: no page matches */
    const VkfdShInsn *in;
    unsigned n = *left;
    uint64_t pc;

    /* a debt as large as the instructions left is paid first (disp_run) */
    while (n > d->debt) {
        /* the decode cache's page of the last instruction, inline */
        pc = w->pc;
        in = NULL;
        if (likely((pc & VKFD_SH_CODE_PAGE_TAG) == page_va)) {
            in = page->slot[(pc & (VKFD_SH_CODE_PAGE_SIZE - 1)) >> 2];
        }
        if (unlikely(!in)) {
            uint64_t decoded = d->code.decoded, made = d->code.pages_made;

            in = vkfd_sh_decode_miss(w);
            if (unlikely(!in)) {
                break;
            }
            d->debt += (d->code.decoded - decoded) * VKFD_SH_DECODE_INSNS +
                       (d->code.pages_made - made) * VKFD_SH_PAGE_INSNS;
            page = d->code.last;
            page_va = page->va;
        }
        n--;
        d->debt += in->cost;
        d->cur = in;
        w->pc = pc + in->len;
        if (unlikely(!in->exec(w, in)) ||
            unlikely(w->status != VKFD_SH_WAVE_RUN)) {
            break;
        }
    }
    d->cur = NULL;
    d->insns += *left - n;
    d->s->sh_insns += *left - n;
    *left = n;
    return w->status != VKFD_SH_WAVE_FAULT;
}

/*
 * Run the dispatch under *budget.  DONE when every workgroup ended, MORE
 * when the budget ran out first, FAIL when a wave faulted (the queue is
 * stopped and the dispatch freed).
 */
static VkfdStep disp_run(VkfdShDispatch *d, unsigned *budget)
{
    unsigned left = VKFD_SH_UNIT_INSNS, k;
    VkfdShGroup *g = &d->group;
    VkfdWave *w;

    /* translations are good for this turn only */
    memset(d->xlat, 0, sizeof(d->xlat));

    while (*budget) {
        if (d->debt) {
            /*
             * What the last instructions, decoding or starting a workgroup
             * cost beyond one each, paid first; a unit spent ends the
             * wave's share as if it had run the instructions.
             */
            k = MIN(d->debt, left);
            d->debt -= k;
            left -= k;
            if (!left) {
                left = VKFD_SH_UNIT_INSNS;
                (*budget)--;
                if (d->group_live) {
                    g->cur = (g->cur + 1) % g->nwaves;
                }
            }
            continue;
        }
        if (!d->group_live) {
            if (d->next_group >= d->total_groups) {
                return VKFD_STEP_DONE;
            }
            group_start(d);
            d->debt = ((uint64_t)g->nwaves * d->num_vgprs *
                       sizeof(*d->vgprs) + d->lds_size) / VKFD_SH_START_BYTES;
            continue;
        }
        /* the next wave that can run, from the current one on */
        for (k = 0; k < g->nwaves; k++) {
            w = &g->waves[g->cur];
            if (w->status == VKFD_SH_WAVE_SLEEP) {
                w->status = VKFD_SH_WAVE_RUN;
            }
            if (w->status == VKFD_SH_WAVE_RUN) {
                break;
            }
            g->cur = (g->cur + 1) % g->nwaves;
        }
        if (k == g->nwaves) {
            /* barriers release when the last live wave arrives */
            w = &g->waves[0];
            wave_fault(w, VKFD_SH_FAULT_ILLEGAL, w->pc, w->pc, NULL,
                       "no wave of the workgroup can run");
            return disp_fault(d, w);
        }
        if (!wave_run(d, w, &left)) {
            return disp_fault(d, w);
        }
        if (unlikely(d->code_flush)) {
            vkfd_sh_code_flush(&d->code);
            d->code_flush = false;
        }
        switch (w->status) {
        case VKFD_SH_WAVE_DONE:
            g->live--;
            group_barrier_check(g);
            if (!g->live) {
                d->group_live = false;
            }
            break;
        case VKFD_SH_WAVE_BARRIER:
            g->at_barrier++;
            group_barrier_check(g);
            break;
        default:
            break;
        }
        if (w->status != VKFD_SH_WAVE_RUN || !left) {
            g->cur = (g->cur + 1) % g->nwaves;
        }
        if (!left) {
            left = VKFD_SH_UNIT_INSNS;
            (*budget)--;
        }
    }
    return VKFD_STEP_MORE;
}

/*
 * The user SGPRs, which may need the queue's scratch: when it is too
 * small, ask ROCr for more as the CP does (queue_inactive_signal = 1) and
 * wait until it stores 0 there, then look again.  DONE when the waves can
 * start.
 */
static VkfdStep disp_prepare(VkfdShDispatch *d)
{
    VkfdState *s = d->s;
    VkfdQueue *q = d->q;
    const char *why;
    uint64_t value;

    if (d->scratch_asked) {
        if (!vkfd_vm_read(s, d->ctx_id, d->inactive_sig + VKFD_SIGNAL_VALUE,
                          &value, 8)) {
            return disp_refuse(d, VKFD_QERR_VM_FAULT, s->vm_last_fault_va,
                               0, 0, "queue_inactive_signal not readable");
        }
        value = le64_to_cpu(value);
        if ((int64_t)value == AMDQ_SIGNAL_DEAD) {
            return disp_refuse(d, VKFD_QERR_BAD_KERNEL, d->kobj, 0, 0,
                               "ROCr found no scratch for the dispatch");
        }
        if (value) {
            q->waiting = true;      /* ROCr is still at it */
            return VKFD_STEP_WAIT;
        }
    }
    why = disp_user_sgprs(d);
    if (!why) {
        d->ready = true;
        return VKFD_STEP_DONE;
    }
    if (!d->scratch_short || d->scratch_asked || !d->inactive_sig) {
        return disp_refuse(d, VKFD_QERR_BAD_KERNEL, d->kobj, d->rsrc2,
                           d->scratch_short ? 0 : AMDQ_ERR_CODE, why);
    }
    trace_vkfd_sh_scratch(d->ctx_id, q->doorbell, q->rptr, d->private_size,
                          d->scratch_wave_bytes, d->scratch_size);
    if (!signal_store(s, q, d->inactive_sig, AMDQ_ERR_SCRATCH)) {
        return disp_refuse(d, VKFD_QERR_VM_FAULT, s->vm_last_fault_va, 0, 0,
                           "queue_inactive_signal not writable");
    }
    d->scratch_asked = true;
    q->waiting = true;
    return VKFD_STEP_WAIT;
}

/*
 * ROCr's amd_queue_t, if the queue is one of ROCr's: its rptr and wptr
 * are its read_dispatch_id and write_dispatch_id.  0 if not.
 */
static uint64_t aql_amd_queue(const VkfdQueue *q)
{
    uint64_t base = q->rptr_addr - AMDQ_READ_DISPATCH_ID;

    if (q->rptr_addr < AMDQ_READ_DISPATCH_ID ||
        q->wptr_addr != base + AMDQ_WRITE_DISPATCH_ID || (base & 63)) {
        return 0;
    }
    return base;
}

/*
 * The queue_inactive_signal of ROCr's queue q, if it has one, must be 0
 * for a dispatch to start: DONE if so, else WAIT (q->waiting).
 */
static VkfdStep aql_inactive_wait(VkfdState *s, VkfdQueue *q)
{
    uint64_t base = aql_amd_queue(q), sig = 0, value = 0;

    if (!base ||
        !vkfd_vm_read(s, q->ctx_id, base + AMDQ_INACTIVE_SIGNAL, &sig, 8)) {
        return VKFD_STEP_DONE;
    }
    sig = le64_to_cpu(sig);
    if (!sig || (sig & 7) ||
        !vkfd_vm_read(s, q->ctx_id, sig + VKFD_SIGNAL_VALUE, &value, 8) ||
        !value) {
        return VKFD_STEP_DONE;
    }
    trace_vkfd_sh_inactive(q->ctx_id, q->doorbell, q->rptr,
                           le64_to_cpu(value));
    q->waiting = true;
    return VKFD_STEP_WAIT;
}

/*
 * An AQL KERNEL_DISPATCH of a kernel descriptor (vkfd-aql.c calls this
 * for any kernel object that is not a built-in kernel).  b is the packet
 * as read, at packet_va.
 */
VkfdStep vkfd_sh_aql_dispatch(VkfdState *s, VkfdQueue *q, const uint8_t *b,
                              uint64_t packet_va, unsigned *budget)
{
    VkfdShDispatch *d = q->sh;
    uint8_t kd[KD_SIZE];
    uint64_t sig;
    const char *why;
    VkfdStep step;
    int i;

    if (!d) {
        /*
         * As the CP, start nothing while ROCr has not answered the
         * queue's last request (scratch, or the reclaim of single-use
         * scratch after the previous dispatch).
         */
        step = aql_inactive_wait(s, q);
        if (step != VKFD_STEP_DONE) {
            return step;
        }
        d = g_new0(VkfdShDispatch, 1);
        d->s = s;
        d->q = q;
        d->ctx_id = q->ctx_id;
        d->packet_va = packet_va;
        d->packet_dw0 = ldl_le_p(b);
        d->kobj = ldq_le_p(b + AQL_KERNEL_OBJECT);
        d->kernarg = ldq_le_p(b + AQL_KERNARG);
        d->dispatch_id = q->rptr;
        d->queue_va = aql_amd_queue(q);
        for (i = 0; i < 3; i++) {
            d->wg[i] = lduw_le_p(b + AQL_WG_SIZE + 2 * i);
            d->grid[i] = ldl_le_p(b + AQL_GRID_SIZE + 4 * i);
        }
        vkfd_sh_code_init(&d->code);
        q->sh = d;
        (*budget)--;
        if (d->queue_va &&
            vkfd_vm_read(s, q->ctx_id, d->queue_va + AMDQ_INACTIVE_SIGNAL,
                         &sig, 8)) {
            sig = le64_to_cpu(sig);
            d->inactive_sig = sig && !(sig & 7) ? sig : 0;
        }
        if (!d->kobj || (d->kobj & (KD_SIZE - 1))) {
            return disp_refuse(d, VKFD_QERR_BAD_KERNEL, d->kobj, 0,
                               AMDQ_ERR_CODE,
                               "kernel object null or not 64-byte aligned");
        }
        if (!vkfd_vm_read(s, q->ctx_id, d->kobj, kd, sizeof(kd))) {
            return disp_refuse(d, VKFD_QERR_VM_FAULT, s->vm_last_fault_va,
                               0, AMDQ_ERR_CODE,
                               "kernel descriptor not readable");
        }
        d->rsrc1 = ldl_le_p(kd + KD_RSRC1);
        d->rsrc2 = ldl_le_p(kd + KD_RSRC2);
        d->rsrc3 = ldl_le_p(kd + KD_RSRC3);
        d->props = lduw_le_p(kd + KD_PROPS);
        d->entry = d->kobj + (int64_t)ldq_le_p(kd + KD_ENTRY_OFFSET);
        if (RSRC2_LDS_SIZE(d->rsrc2)) {
            why = refuse(d, AMDQ_ERR_CODE, "RSRC2 LDS_SIZE must be 0 (the "
                         "packet gives the LDS size)");
        } else {
            why = disp_setup(d, MAX(ldl_le_p(b + AQL_GROUP_SIZE),
                                    ldl_le_p(kd + KD_GROUP_FIXED)),
                             MAX(ldl_le_p(b + AQL_PRIVATE_SIZE),
                                 ldl_le_p(kd + KD_PRIVATE_FIXED)));
        }
        if (why) {
            return disp_refuse(d, VKFD_QERR_BAD_KERNEL, d->kobj,
                               ldl_le_p(kd + KD_RSRC1), d->amdq_err, why);
        }
        s->sh_dispatches++;
        trace_vkfd_sh_dispatch(q->ctx_id, q->doorbell, q->rptr, d->kobj,
                               d->entry, d->total_groups, d->max_waves,
                               d->lds_size, d->private_size);
    }
    if (!d->ready) {
        step = disp_prepare(d);
        if (step != VKFD_STEP_DONE) {
            return step;
        }
        trace_vkfd_sh_regs(q->ctx_id, q->doorbell, d->num_sgprs,
                           d->num_vgprs, d->accum_offset,
                           d->user_sgpr_count);
    }
    step = disp_run(d, budget);
    if (step == VKFD_STEP_DONE) {
        trace_vkfd_sh_done(q->ctx_id, q->doorbell, q->rptr, d->insns,
                           d->code.decoded);
        /* single-use scratch goes back to ROCr, as the CP gives it */
        if (d->scratch_once && d->inactive_sig &&
            !signal_store(s, q, d->inactive_sig, AMDQ_RECLAIM_SCRATCH)) {
            return disp_refuse(d, VKFD_QERR_VM_FAULT, s->vm_last_fault_va,
                               0, 0, "queue_inactive_signal not writable");
        }
        vkfd_sh_drop(q);
    }
    return step;
}

/*
 * PM4: DISPATCH_DIRECT / DISPATCH_INDIRECT with the COMPUTE_* registers
 * SET_SH_REG left in q->cs_regs, as a GFX9 CP launches a compute shader:
 * COMPUTE_PGM_LO/HI (the entry >> 8), RSRC1/2/3, USER_DATA_0.. (the user
 * SGPRs, as written), NUM_THREAD_X/Y/Z (the workgroup), START_X/Y/Z (the
 * first workgroup id), TMPRING_SIZE and DISPATCH_SCRATCH_BASE (the
 * scratch the wave offsets index), LDS from RSRC2.LDS_SIZE.  dim[] is in
 * workgroups, or in work-items when the initiator's USE_THREAD_DIMENSIONS
 * is set (partial workgroups at the edges).
 */
VkfdStep vkfd_sh_pm4_dispatch(VkfdState *s, VkfdQueue *q,
                              const uint32_t dim[3], uint32_t initiator,
                              unsigned *budget)
{
    const uint32_t *r = q->cs_regs;
    VkfdShDispatch *d = q->sh;
    uint32_t tmpring;
    const char *why = NULL;
    VkfdStep step;
    uint64_t n;
    int i;

    if (!d) {
        d = g_new0(VkfdShDispatch, 1);
        d->s = s;
        d->q = q;
        d->ctx_id = q->ctx_id;
        d->dispatch_id = q->rptr;
        d->entry = ((uint64_t)(r[CS_PGM_HI] & 0xff) << 32 | r[CS_PGM_LO]) << 8;
        d->kobj = d->entry;
        d->rsrc1 = r[CS_PGM_RSRC1];
        d->rsrc2 = r[CS_PGM_RSRC2];
        d->rsrc3 = r[CS_PGM_RSRC3];
        vkfd_sh_code_init(&d->code);
        q->sh = d;
        (*budget)--;
        for (i = 0; i < 3; i++) {
            d->wg[i] = r[CS_NUM_THREAD_X + i] & 0xffff;
            d->start[i] = r[CS_START_X + i];
            n = initiator & VKFD_PM4_CS_INIT_THREAD_DIMS ? dim[i] :
                (uint64_t)dim[i] * d->wg[i];
            if (n > UINT32_MAX) {
                why = "dispatch of more than 2^32 work-items in a dimension";
            }
            d->grid[i] = n;
        }
        if (!(initiator & VKFD_PM4_CS_INIT_EN)) {
            why = "DISPATCH_INITIATOR without COMPUTE_SHADER_EN";
        } else if (initiator & VKFD_PM4_CS_INIT_W32) {
            why = "wave32 dispatch (gfx90a runs wave64 only)";
        }
        if (!why) {
            why = disp_setup(d, RSRC2_LDS_SIZE(d->rsrc2) * CS_LDS_GRANULE, 0);
        }
        if (!why) {
            /* the user SGPRs are USER_DATA as written; scratch as set */
            d->user_sgpr_count = RSRC2_USER_SGPRS(d->rsrc2);
            if (d->user_sgpr_count > VKFD_SH_MAX_USER_SGPRS) {
                why = "more than 16 user SGPRs";
            } else {
                memcpy(d->user_sgprs, r + CS_USER_DATA_0,
                       d->user_sgpr_count * 4);
            }
            tmpring = r[CS_TMPRING_SIZE];
            d->scratch_wave_bytes = TMPRING_WAVESIZE(tmpring) * 1024;
            d->scratch_base = ((uint64_t)r[CS_SCRATCH_BASE_HI] << 32 |
                               r[CS_SCRATCH_BASE_LO]) << 8;
            if ((d->rsrc2 & RSRC2_SCRATCH_EN) && d->scratch_wave_bytes &&
                TMPRING_WAVES(tmpring) < d->max_waves) {
                why = "COMPUTE_TMPRING_SIZE has fewer waves than a workgroup";
            }
        }
        if (why) {
            return disp_refuse(d, VKFD_QERR_BAD_KERNEL, d->entry, d->rsrc1,
                               0, why);
        }
        d->ready = true;
        s->sh_dispatches++;
        trace_vkfd_sh_dispatch(q->ctx_id, q->doorbell, q->rptr, d->kobj,
                               d->entry, d->total_groups, d->max_waves,
                               d->lds_size, d->private_size);
        trace_vkfd_sh_regs(q->ctx_id, q->doorbell, d->num_sgprs,
                           d->num_vgprs, d->accum_offset,
                           d->user_sgpr_count);
    }
    step = disp_run(d, budget);
    if (step == VKFD_STEP_DONE) {
        trace_vkfd_sh_done(q->ctx_id, q->doorbell, q->rptr, d->insns,
                           d->code.decoded);
        vkfd_sh_drop(q);
    }
    return step;
}

/*
 * Migration: a dispatch in flight travels with its queue, waves and all
 * (vkfd-queue.c puts the blob in the queue's subsection vkfd-queue/
 * shader).  The blob is a sequence of little-endian fields: the
 * dispatch's parameters, then, if a workgroup is running, its waves'
 * SGPRs and state, their VGPR rows and the LDS.  Loading checks every
 * field as a dispatch start would, and the decode cache starts empty.
 */
#define SH_SAVE_VERSION     1

static void put32(GByteArray *b, uint32_t v)
{
    uint8_t x[4];

    stl_le_p(x, v);
    g_byte_array_append(b, x, 4);
}

static void put64(GByteArray *b, uint64_t v)
{
    uint8_t x[8];

    stq_le_p(x, v);
    g_byte_array_append(b, x, 8);
}

typedef struct ShReader {
    const uint8_t *p;
    uint32_t left;
    bool bad;
} ShReader;

static uint32_t get32(ShReader *r)
{
    uint32_t v;

    if (r->left < 4) {
        r->bad = true;
        return 0;
    }
    v = ldl_le_p(r->p);
    r->p += 4;
    r->left -= 4;
    return v;
}

static uint64_t get64(ShReader *r)
{
    uint64_t lo = get32(r);

    return lo | (uint64_t)get32(r) << 32;
}

uint8_t *vkfd_sh_save(const VkfdQueue *q, uint32_t *len)
{
    const VkfdShDispatch *d = q->sh;
    const VkfdShGroup *g = &d->group;
    GByteArray *b = g_byte_array_new();
    unsigned i, k;

    put32(b, SH_SAVE_VERSION);
    put64(b, d->packet_va);
    put32(b, d->packet_dw0);
    put64(b, d->kobj);
    put64(b, d->entry);
    put64(b, d->kernarg);
    put64(b, d->queue_va);
    put64(b, d->dispatch_id);
    for (i = 0; i < 3; i++) {
        put32(b, d->grid[i]);
        put32(b, d->wg[i]);
        put32(b, d->start[i]);
    }
    put64(b, d->next_group);
    put32(b, d->rsrc1);
    put32(b, d->rsrc2);
    put32(b, d->rsrc3);
    put32(b, d->props);
    put32(b, d->num_sgprs);
    put32(b, d->num_vgprs);
    put32(b, d->accum_offset);
    put32(b, d->lds_size);
    put32(b, d->private_size);
    put32(b, d->scratch_wave_bytes);
    put64(b, d->scratch_base);
    put64(b, d->scratch_size);
    put32(b, d->scratch_short | d->scratch_asked << 1 | d->ready << 2 |
          d->sgpr_wg_id[0] << 3 | d->sgpr_wg_id[1] << 4 |
          d->sgpr_wg_id[2] << 5 | d->sgpr_wg_info << 6 |
          d->sgpr_wave_offset << 7 | d->group_live << 8 |
          d->scratch_once << 9);
    put64(b, d->inactive_sig);
    put32(b, d->user_sgpr_count);
    for (i = 0; i < VKFD_SH_MAX_USER_SGPRS; i++) {
        put32(b, d->user_sgprs[i]);
    }
    put64(b, d->insns);
    if (d->group_live) {
        for (i = 0; i < 3; i++) {
            put32(b, g->id[i]);
        }
        put32(b, g->nwaves);
        put32(b, g->cur);
        for (k = 0; k < g->nwaves; k++) {
            const VkfdWave *w = &g->waves[k];

            for (i = 0; i < VKFD_SH_SREGS; i++) {
                put32(b, w->s[i]);
            }
            put64(b, w->pc);
            put32(b, w->scc);
            put32(b, w->status);
            put32(b, w->mode);
            put32(b, w->trapsts);
        }
        for (k = 0; k < g->nwaves * d->num_vgprs; k++) {
            for (i = 0; i < VKFD_SH_WAVE_SIZE; i++) {
                put32(b, d->vgprs[k][i]);
            }
        }
        if (d->lds_size) {
            g_byte_array_append(b, d->lds, d->lds_size);
        }
    }
    *len = b->len;
    return g_byte_array_free(b, false);
}

/* The dispatch in blob, checked, for q (loaded); false if it is unsound. */
bool vkfd_sh_load(VkfdState *s, VkfdQueue *q, const uint8_t *blob,
                  uint32_t len)
{
    ShReader r = { .p = blob, .left = len };
    VkfdShDispatch *d = g_new0(VkfdShDispatch, 1);
    VkfdShGroup *g = &d->group;
    uint32_t flags, items, waiting = 0, done = 0;
    const char *why;
    unsigned i, k;

    d->s = s;
    d->q = q;
    d->ctx_id = q->ctx_id;
    vkfd_sh_code_init(&d->code);
    if (get32(&r) != SH_SAVE_VERSION) {
        goto bad;
    }
    d->packet_va = get64(&r);
    d->packet_dw0 = get32(&r);
    d->kobj = get64(&r);
    d->entry = get64(&r);
    d->kernarg = get64(&r);
    d->queue_va = get64(&r);
    d->dispatch_id = get64(&r);
    for (i = 0; i < 3; i++) {
        d->grid[i] = get32(&r);
        d->wg[i] = get32(&r);
        d->start[i] = get32(&r);
    }
    d->next_group = get64(&r);
    d->rsrc1 = get32(&r);
    d->rsrc2 = get32(&r);
    d->rsrc3 = get32(&r);
    d->props = get32(&r);
    d->num_sgprs = get32(&r);
    d->num_vgprs = get32(&r);
    d->accum_offset = get32(&r);
    d->lds_size = get32(&r);
    d->private_size = get32(&r);
    d->scratch_wave_bytes = get32(&r);
    d->scratch_base = get64(&r);
    d->scratch_size = get64(&r);
    flags = get32(&r);
    d->inactive_sig = get64(&r);
    d->user_sgpr_count = get32(&r);
    for (i = 0; i < VKFD_SH_MAX_USER_SGPRS; i++) {
        d->user_sgprs[i] = get32(&r);
    }
    d->insns = get64(&r);
    if (r.bad) {
        goto bad;
    }

    /* what a dispatch start computes, and checks, from the registers */
    why = disp_setup(d, d->lds_size, d->private_size);
    d->scratch_short = flags & 1;
    d->scratch_asked = flags >> 1 & 1;
    d->ready = flags >> 2 & 1;
    d->group_live = flags >> 8 & 1;
    d->scratch_once = flags >> 9 & 1;
    if (why || d->next_group > d->total_groups || (d->inactive_sig & 7) ||
        d->user_sgpr_count > VKFD_SH_MAX_USER_SGPRS ||
        (d->ready && d->user_sgpr_count != RSRC2_USER_SGPRS(d->rsrc2))) {
        goto bad;
    }
    if ((flags >> 10) ||
        (flags >> 3 & 0x1f) != (d->sgpr_wg_id[0] | d->sgpr_wg_id[1] << 1 |
                                d->sgpr_wg_id[2] << 2 |
                                d->sgpr_wg_info << 3 |
                                d->sgpr_wave_offset << 4) ||
        (d->group_live && (!d->ready || !d->next_group))) {
        goto bad;
    }

    if (d->group_live) {
        uint64_t lin = d->next_group - 1;

        for (i = 0; i < 3; i++) {
            g->id[i] = get32(&r);
        }
        if (g->id[0] != lin % d->ngroups[0] ||
            g->id[1] != lin / d->ngroups[0] % d->ngroups[1] ||
            g->id[2] != lin / d->ngroups[0] / d->ngroups[1]) {
            goto bad;
        }
        for (i = 0; i < 3; i++) {
            g->size[i] = MIN(d->wg[i],
                             d->grid[i] - (uint64_t)g->id[i] * d->wg[i]);
        }
        items = g->size[0] * g->size[1] * g->size[2];
        g->nwaves = get32(&r);
        g->cur = get32(&r);
        if (g->nwaves != DIV_ROUND_UP(items, VKFD_SH_WAVE_SIZE) ||
            g->cur >= g->nwaves) {
            goto bad;
        }
        for (k = 0; k < g->nwaves; k++) {
            VkfdWave *w = &g->waves[k];

            for (i = 0; i < VKFD_SH_SREGS; i++) {
                w->s[i] = get32(&r);
            }
            w->pc = get64(&r);
            w->scc = get32(&r) & 1;
            w->status = get32(&r);
            w->mode = get32(&r);
            w->trapsts = get32(&r);
            if (w->status != VKFD_SH_WAVE_RUN &&
                w->status != VKFD_SH_WAVE_BARRIER &&
                w->status != VKFD_SH_WAVE_SLEEP &&
                w->status != VKFD_SH_WAVE_DONE) {
                goto bad;
            }
            waiting += w->status == VKFD_SH_WAVE_BARRIER;
            done += w->status == VKFD_SH_WAVE_DONE;
            w->v = d->vgprs + (size_t)k * d->num_vgprs;
            w->num_sgprs = d->num_sgprs;
            w->num_vgprs = d->num_vgprs;
            w->accum_offset = d->accum_offset;
            w->wave_id = k;
            w->lds = d->lds;
            w->lds_size = d->lds_size;
            w->shared_base = VKFD_LDS_BASE;
            w->private_base = VKFD_SCRATCH_BASE;
            w->disp = d;
            w->group = g;
        }
        g->live = g->nwaves - done;
        g->at_barrier = waiting;
        if (!g->live || (g->at_barrier && g->at_barrier == g->live)) {
            goto bad;
        }
        for (k = 0; k < g->nwaves * d->num_vgprs; k++) {
            for (i = 0; i < VKFD_SH_WAVE_SIZE; i++) {
                d->vgprs[k][i] = get32(&r);
            }
        }
        if (r.left < d->lds_size) {
            goto bad;
        }
        if (d->lds_size) {
            memcpy(d->lds, r.p, d->lds_size);
            r.p += d->lds_size;
            r.left -= d->lds_size;
        }
    }
    if (r.bad || r.left) {
        goto bad;
    }
    q->sh = d;
    trace_vkfd_sh_loaded(q->ctx_id, q->doorbell, d->next_group,
                         d->total_groups, d->group_live ? g->live : 0);
    return true;

bad:
    disp_free(d);
    return false;
}
