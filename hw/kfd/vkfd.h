/*
 * vkfd: a virtual AMD KFD device -- state shared by the device's files
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HW_KFD_VKFD_H
#define HW_KFD_VKFD_H

#include "hw/pci/pci.h"
#include "qom/object.h"
#include "qemu/queue.h"
#include "qemu/timer.h"
#include "sysemu/runstate.h"
#include "hw/kfd/vkfd_hw.h"

#define TYPE_VKFD "vkfd"
OBJECT_DECLARE_SIMPLE_TYPE(VkfdState, VKFD)

/*
 * Work done per bottom-half run before the device yields to the main
 * loop, so that a guest filling a ring cannot monopolise QEMU.
 */
#define VKFD_SCHED_BUDGET 64
/*
 * ... and the VM_FILL/VM_COPY work after which a run yields too: bytes
 * checked plus bytes moved.  A command bigger than that is resumed by
 * the next run (vkfd_vm_fill_step/vkfd_vm_copy_step), so no command holds
 * the main loop longer than this much work.
 */
#define VKFD_SCHED_VM_BUDGET    (256ull << 10)

/* The end of a context's GPU VA space: 48 bits. */
#define VKFD_VA_END             (1ull << VKFD_GPUVM_VA_BITS)

/* Fixed parts of the GPU shape (GFX9), and limits of the variable ones. */
#define VKFD_WAVE_SIZE          64
#define VKFD_LDS_SIZE_KB        64
#define VKFD_MAX_CU             128
#define VKFD_MAX_CU_PER_SH      16

/* One device context: a kfd_process bound to this device. */
typedef struct VkfdContext {
    bool mapped;
    uint64_t pt_base;
    /* its queues by doorbell, allocated with the first one (vkfd-queue.c) */
    struct VkfdQueue **queues;
    uint32_t num_queues;
    /* of those, the preempted ones (UNMAP_QUEUE with PRESERVE) */
    uint32_t num_kept;
    /*
     * The trap handler (SET_TRAP, vkfd-sched.c): GPU VAs of its code and
     * its memory, 0 when none; for the shader core.  Migrated.
     */
    uint64_t trap_tba, trap_tma;
    /* statistics for vkfd-info.c (not migrated, cleared with the context) */
    uint64_t tlb_hits, tlb_misses;
} VkfdContext;

/*
 * GPUVM (vkfd-gpuvm.c).  A context's TLB caches leaf translations, one a
 * slot, the slot a fold of the VA's page number (vkfd_tlb_index); it is
 * allocated on the context's first translation and dropped by
 * MAP/UNMAP_CONTEXT, INVALIDATE_TLB and reset.
 */
#define VKFD_TLB_ENTRIES        64
/* VM_FILL/VM_COPY move data in pieces of at most this many bytes. */
#define VKFD_VM_CHUNK           (4 * VKFD_GPU_PAGE_SIZE)
#define VKFD_VM_FAULT_MASK \
    (VKFD_VM_FAULT_VALID | VKFD_VM_FAULT_WRITE | VKFD_VM_FAULT_MULTIPLE | \
     VKFD_VM_FAULT_PROTECTION)

typedef struct VkfdTlbEntry {
    uint64_t tag;       /* first VA of the leaf | log2 of its size; 0: free */
    uint64_t pte;       /* the leaf entry */
} VkfdTlbEntry;

typedef struct VkfdTlb {
    VkfdTlbEntry e[VKFD_TLB_ENTRIES];
} VkfdTlb;

/*
 * Where a run of GPU VA lands: guest memory, VRAM, or one of the device's
 * own pages a system PTE may point at (a DOORBELL BO's page in BAR2, the
 * MMIO_REMAP page in BAR0).  Those are reached by calling the doorbell
 * and HDP-flush logic, never by DMA into the device's own BARs.
 */
typedef enum VkfdVmIo {
    VKFD_VM_IO_NONE,
    VKFD_VM_IO_DOORBELL,    /* io_off: offset in the doorbell BAR */
    VKFD_VM_IO_HDP,         /* io_off: offset in the MMIO remap page */
} VkfdVmIo;

/*
 * For an own page, addr is still its bus address (MMIO, so code that
 * looks for RAM there finds none) and io/io_off say which page it is.
 */
typedef struct VkfdVmXlat {
    uint64_t addr;      /* bus address (system) or offset in VRAM */
    uint64_t len;       /* bytes of VA translated by this */
    bool vram;
    VkfdVmIo io;
    uint64_t io_off;
} VkfdVmXlat;

/*
 * A cached translation of a run of GPU VA inside one GPU page, to memory
 * (vkfd-gpuvm.c): what a queue keeps for its read and write pointers and
 * the ring page it reads, so that a kick or a packet neither walks nor
 * looks up the TLB.  It holds while s->vm_gen is the generation it was
 * made in: every TLB invalidation (INVALIDATE_TLB, MAP/UNMAP_CONTEXT,
 * reset, a migration loaded) and every change of the memory map behind
 * the device's bus-master address space moves it on.  Guest RAM is
 * reached through a MemoryRegionCache (RAM only, as vkfd_ram_extent),
 * VRAM through its host pointer; the device's own pages are never cached.
 */
typedef struct VkfdVmCache {
    uint64_t gen;           /* s->vm_gen when made; 0: empty */
    uint64_t va;            /* first GPU VA it covers */
    uint64_t len;           /* bytes from va on */
    uint8_t *host;          /* where va is in host memory */
    uint64_t vram_off;      /* VRAM: offset of va in VRAM */
    bool is_write;          /* made for writing (the page is writable) */
    bool vram;
    bool mrc_live;          /* guest RAM: mrc holds its references */
    MemoryRegionCache mrc;
} VkfdVmCache;

/*
 * User queues (vkfd-queue.c).  A bottom-half run does at most
 * VKFD_QUEUE_BUDGET units of work, giving each kicked queue turns of at
 * most VKFD_QUEUE_SLICE units, round-robin.  Waiting queues are polled
 * again after VKFD_QUEUE_POLL_NS of virtual time, stretched by one period
 * per 8 waiting queues so that polling costs a bounded share of the CPU.
 */
#define VKFD_QUEUE_BUDGET       256
#define VKFD_QUEUE_SLICE        16
/* The turn a CPU's doorbell write gives its queue in the MMIO write */
#define VKFD_QUEUE_INLINE       16
#define VKFD_QUEUE_RING_MIN     256
#define VKFD_QUEUE_RING_MAX     (1u << 30)
#define VKFD_MAX_QUEUES_LIMIT   65536
/* PM4 indirect buffers: an IB may call one more (IB1, IB2), no deeper. */
#define VKFD_PM4_IB_LEVELS      2
/* PM4: the COMPUTE_* shader registers a queue keeps, from 0x2e00 on */
#define VKFD_CS_REG_FIRST       0x2e00
#define VKFD_CS_REGS            0x50

/*
 * A user queue the driver mapped (MAP_QUEUE), found from its doorbell in
 * O(1): contexts[ctx].queues[doorbell].  The engines (vkfd-pm4.c,
 * vkfd-sdma.c, vkfd-aql.c) consume packets from rptr up to the write
 * pointer they read at wptr_addr, through the context's GPUVM.
 */
typedef struct VkfdQueue {
    uint32_t ctx_id;
    uint32_t doorbell;
    uint32_t queue_id;          /* the driver's id, for traces */
    uint32_t type;              /* enum vkfd_queue_type */
    uint64_t ring_base;
    uint32_t ring_size;         /* bytes */
    uint64_t rptr_addr;
    uint64_t wptr_addr;
    uint64_t rptr;              /* in the queue's units */
    uint32_t error;             /* enum vkfd_queue_error; != 0: stopped */
    uint32_t error_info;
    uint64_t error_va;
    bool kicked;                /* on the run list: a doorbell arrived */
    /*
     * Preemption (vkfd-queue.c): the guest address of the MQD MAP_QUEUE
     * read, and kept: the queue was preempted (UNMAP_QUEUE with
     * PRESERVE).  A kept queue stays in its context's doorbell table with
     * its work in flight (progress, ib_*, sh) but is on no list and holds
     * no cached translation; its doorbell does nothing and only a
     * MAP_QUEUE of the same MQD (vkfd_queue_map) runs it again.  Both
     * migrated.
     */
    uint64_t mqd_addr;
    bool kept;
    /*
     * Engine state (vkfd-sdma.c, vkfd-aql.c).  progress: how much of the
     * packet at rptr is done (bytes, work-items), so that a big transfer
     * or dispatch resumes where the budget cut it; 0 between packets.
     * waiting: the engine stopped on an unmet wait (POLL_REGMEM, AQL
     * barriers) without consuming the packet; vkfd-queue.c runs the queue
     * again after VKFD_QUEUE_POLL_NS (or on a doorbell).  Both are state
     * a migration must carry.
     */
    uint64_t progress;
    bool waiting;
    /*
     * PM4 (vkfd-pm4.c): the indirect buffers being run, ib_depth deep.
     * Level i runs ib_size[i] dwords from ib_base[i], next at ib_pos[i];
     * the INDIRECT_BUFFER packet that called level 0 is still at rptr.
     * Migrated; vkfd-pm4.c checks it before use.
     */
    uint32_t ib_depth;
    uint64_t ib_base[VKFD_PM4_IB_LEVELS];
    uint32_t ib_size[VKFD_PM4_IB_LEVELS];
    uint32_t ib_pos[VKFD_PM4_IB_LEVELS];

    /*
     * The shader core's kernel dispatch under way at rptr (vkfd-sh.c),
     * NULL when none; freed by vkfd_sh_drop().  PM4: the COMPUTE_*
     * registers (0x2e00 on) that SET_SH_REG wrote, for DISPATCH_DIRECT.
     */
    struct VkfdShDispatch *sh;
    uint32_t cs_regs[VKFD_CS_REGS];
    /* migration only: q->sh serialized (vkfd_sh_save), in a subsection */
    uint8_t *sh_blob;
    uint32_t sh_blob_len;

    /* statistics for vkfd-info.c, not migrated: packets run, doorbells */
    uint64_t packets;
    uint64_t doorbells;

    /*
     * Cached translations, not migrated (vkfd_queue_free drops them): the
     * write pointer, the read pointer, the ring page packets are read
     * from, (AQL) the ring page slot headers are written to, and the
     * page the last fence, WRITE_DATA or signal went to and the one the
     * last wait or signal was read from.
     */
    VkfdVmCache wptr_xc, rptr_xc, ring_xc, ring_wxc, data_xc, data_rxc;

    /* scheduling (vkfd-queue.c), not migrated: on the run or poll list */
    bool polling;
    QTAILQ_ENTRY(VkfdQueue) link;
} VkfdQueue;

/*
 * What one step of work (a packet, a scheduler command, a slice of
 * either) came to: the one result type of the engines, PM4 IBs and
 * VM_FILL/VM_COPY.
 */
typedef enum VkfdStep {
    VKFD_STEP_DONE,     /* finished: move past it */
    VKFD_STEP_MORE,     /* the budget ran out in the middle: call again */
    VKFD_STEP_CALL,     /* PM4: it pushed an IB, run that first */
    VKFD_STEP_IDLE,     /* nothing (more) to run up to the write pointer */
    VKFD_STEP_STALL,    /* not all written yet: wait for a doorbell */
    VKFD_STEP_WAIT,     /* a wait not met (q->waiting): poll again later */
    VKFD_STEP_FAIL,     /* failed: the queue stopped, or a VM fault latched */
} VkfdStep;

/* Bytes of a transfer that count as one unit of an engine's budget. */
#define VKFD_ENGINE_CHUNK       VKFD_GPU_PAGE_SIZE
/* How long a waiting queue sleeps before it polls again (virtual time). */
#define VKFD_QUEUE_POLL_NS      (100 * 1000)
/* How long a run that spent its whole budget leaves the BQL to others */
#define VKFD_QUEUE_YIELD_NS     (20 * 1000)

/*
 * Run q for at most *budget units of work (a packet, or a 4 KiB chunk of
 * a large transfer, is one unit), decrementing *budget.  Returns true if
 * q still has packets to run.  On a bad packet or a VM fault the engine
 * calls vkfd_queue_fail() and returns false: the queue stays stopped.
 */
typedef bool VkfdEngineRun(VkfdState *s, VkfdQueue *q, unsigned *budget);

/*
 * Counters of one engine (indexed by enum vkfd_queue_type) since the
 * device was created, read as QOM properties (vkfd-info.c); not migrated.
 * bytes: what its copies and fills moved; interrupts: IH entries its
 * queues posted; budget_exhausted: turns that ended with work left.
 */
#define VKFD_ENGINES            3
typedef struct VkfdEngineStats {
    uint64_t doorbells;
    uint64_t packets;
    uint64_t bytes;
    uint64_t interrupts;
    uint64_t budget_exhausted;
} VkfdEngineStats;

struct VkfdState {
    PCIDevice parent_obj;

    MemoryRegion regs;
    MemoryRegion doorbells;
    MemoryRegion vram;
    QEMUBH *sched_bh;
    QEMUBH *queue_bh;
    QEMUBH *irq_bh;
    QEMUTimer *queue_timer;
    QEMUTimer *queue_yield_timer;
    VMChangeStateEntry *vmse;

    /*
     * vkfd-bus.c: MSI-X vectors waiting for the IRQ bottom half
     * (migrated); device work in progress, and a reset that arrived
     * during it; a migration being loaded (set by pre_load, cleared by a
     * successful post_load: if it is still set when the VM starts, the
     * load failed half-way and the device resets).
     */
    uint64_t irq_pending;
    unsigned work_depth;
    bool reset_deferred;
    bool loading;

    /* registers */
    uint32_t control;
    uint32_t status;
    uint32_t access_errors;

    /* scheduler ring */
    uint64_t sched_base;
    uint32_t sched_size;
    uint32_t sched_wptr;
    uint32_t sched_rptr;
    uint32_t sched_error;
    uint32_t sched_error_rptr;
    uint32_t sched_completed;
    /*
     * The command at sched_rptr while a VM_FILL/VM_COPY is under way
     * across runs (sched_held): a copy taken when it started, and the
     * work done (vkfd_vm_fill_step).  Migrated.
     */
    struct vkfd_sched_cmd sched_cmd;
    bool sched_held;
    uint64_t sched_progress;

    /* context table, indexed by context id; ctx 0 is the kernel's */
    VkfdContext *contexts;
    uint32_t live_contexts;

    /* GPU clock: reading CLOCK_LO latches the upper half for CLOCK_HI */
    uint32_t clock_hi_latch;

    /* WAVES_SEL: the context whose resident waves WAVES reads (migrated) */
    uint32_t waves_sel;

    /* GPUVM: per-context TLBs (a cache, not migrated) and the fault latch */
    VkfdTlb **tlbs;
    /*
     * The generation of cached translations (VkfdVmCache), moved on by
     * TLB flushes and by vm_listener at every change of the memory map;
     * VRAM's host pointer.
     */
    uint64_t vm_gen;
    MemoryListener vm_listener;
    uint8_t *vram_ptr;
    uint32_t vm_fault_status;
    uint32_t vm_fault_ctx;
    uint64_t vm_fault_addr;
    uint32_t vm_fault_count;
    uint32_t hdp_flushes;
    uint64_t vm_last_fault_va;  /* the latest fault, latched or not */
    uint8_t vm_bounce[VKFD_VM_CHUNK];

    /* the IH ring (vkfd-ih.c); ih_seq: entries written since enable */
    uint64_t ih_base;
    uint32_t ih_size;
    uint32_t ih_cntl;
    uint32_t ih_wptr;
    uint32_t ih_rptr;
    uint32_t ih_status;
    uint32_t ih_overflows;
    uint32_t ih_seq;
    /* RPTR_REARM: vector raised, no other until IH_RPTR is written */
    bool ih_disarmed;
    /* WPTR_WRITEBACK: where IH_WPTR is written (latched while enabled) */
    uint64_t ih_wptr_addr;
    /* messages sent (or left pending by a mask) since enable, not migrated */
    uint32_t ih_messages;

    /* user queues: kicked ones to run, waiting ones to poll */
    QTAILQ_HEAD(, VkfdQueue) queue_run;
    QTAILQ_HEAD(, VkfdQueue) queue_poll;
    uint32_t queues_polling;
    /* every queue in a doorbell table, and of those the preempted ones */
    uint32_t live_queues;
    uint32_t kept_queues;
    /* the queue an engine is running, NULL outside (IH VM fault entries) */
    VkfdQueue *cur_queue;
    /* migration: the live queues, flattened (vkfd-queue.c) */
    VkfdQueue *mig_queues;
    int32_t mig_nqueues;

    /* statistics (vkfd-info.c): the engines', the shader core's */
    VkfdEngineStats engine_stats[VKFD_ENGINES];
    uint64_t sh_dispatches;
    uint64_t sh_waves;
    uint64_t sh_insns;

    /* properties */
    uint32_t max_contexts;
    uint64_t vram_size;
    uint64_t serial;
    uint32_t msix_vectors;
    uint32_t max_queues;

    /* GPU identity properties, checked and completed at realize */
    char *gfx_target;
    uint32_t gfx_target_version;    /* derived from gfx_target */
    uint32_t asic_id;
    uint32_t num_cu;
    uint32_t simd_per_cu;
    uint32_t num_se;
    uint32_t sh_per_se;
    uint32_t max_waves_per_simd;
    uint32_t num_sdma_engines;
    uint32_t sdma_queues_per_engine;
    uint32_t num_cp_queues;
    uint32_t max_engine_clk_mhz;
    uint32_t fw_version;
};

/*
 * Statistics of the engine whose queue is running (s->cur_queue), if
 * any: bytes its copies and fills moved, IH entries it posted.
 */
static inline VkfdEngineStats *vkfd_cur_stats(VkfdState *s)
{
    return s->cur_queue ? &s->engine_stats[s->cur_queue->type] : NULL;
}

static inline void vkfd_stat_bytes(VkfdState *s, uint64_t n)
{
    if (s->cur_queue) {
        vkfd_cur_stats(s)->bytes += n;
    }
}

/*
 * Report a guest error: a trace event for whoever traces the device and a
 * LOG_GUEST_ERROR line for whoever runs with -d guest_errors.
 */
#define VKFD_GUEST_ERR(trace, fmt, ...) \
    do { \
        trace_##trace(__VA_ARGS__); \
        qemu_log_mask(LOG_GUEST_ERROR, "vkfd: %s: " fmt "\n", \
                      #trace, __VA_ARGS__); \
    } while (0)

/*
 * vkfd-queue.c.  For the scheduler: MAP_QUEUE/UNMAP_QUEUE in a live
 * context (a status, and *why on failure; preserve: VKFD_CMD_F_PRESERVE),
 * and vkfd_queue_drop_kept() for UNMAP_CONTEXT, which frees the
 * context's preempted queues.  For the doorbells: kick the
 * queue on (ctx_id, doorbell); false if there is none; vkfd_queue_ring()
 * with cpu set (a CPU's MMIO write) also gives it its first turn at once.
 * For the engines:
 * vkfd_queue_fail() stops q with an enum vkfd_queue_error (the first
 * error sticks), traced and logged.
 */
void vkfd_queue_realize(VkfdState *s);
void vkfd_queue_exit(VkfdState *s);
void vkfd_queue_reset(VkfdState *s);
void vkfd_queue_resume(VkfdState *s);
uint32_t vkfd_queue_map(VkfdState *s, uint32_t ctx_id,
                        const struct vkfd_cmd_map_queue *mq,
                        const char **why);
uint32_t vkfd_queue_unmap(VkfdState *s, uint32_t ctx_id,
                          const struct vkfd_cmd_unmap_queue *uq,
                          bool preserve, const char **why);
void vkfd_queue_drop_kept(VkfdState *s, uint32_t ctx_id);
bool vkfd_queue_kick(VkfdState *s, uint32_t ctx_id, uint32_t doorbell,
                     uint64_t value);
bool vkfd_queue_ring(VkfdState *s, uint32_t ctx_id, uint32_t doorbell,
                     uint64_t value, bool cpu);
void vkfd_queue_fail(VkfdState *s, VkfdQueue *q, uint32_t error,
                     uint32_t info, uint64_t va);
int vkfd_queue_pre_load(VkfdState *s);
int vkfd_queue_post_load(VkfdState *s);
extern const VMStateDescription vmstate_vkfd_queues;

/*
 * The shader core (vkfd-sh.c): run (part of) the AQL KERNEL_DISPATCH
 * packet b at packet_va, whose kernel object is a kernel descriptor, or
 * a PM4 dispatch of dim[] with q->cs_regs, as the engines' steps do;
 * drop q's dispatch (reset, unmap, teardown).
 */
VkfdStep vkfd_sh_aql_dispatch(VkfdState *s, VkfdQueue *q, const uint8_t *b,
                              uint64_t packet_va, unsigned *budget);
VkfdStep vkfd_sh_pm4_dispatch(VkfdState *s, VkfdQueue *q,
                              const uint32_t dim[3], uint32_t initiator,
                              unsigned *budget);
void vkfd_sh_drop(VkfdQueue *q);
/* Waves of q's dispatch that started and have not ended */
uint32_t vkfd_sh_resident_waves(const VkfdQueue *q);
/*
 * Migration of q->sh: vkfd_sh_save() serializes it (g_free the result),
 * vkfd_sh_load() rebuilds it on a loaded queue, false if unsound.
 */
#define VKFD_SH_SAVE_MAX        (4u << 20)
uint8_t *vkfd_sh_save(const VkfdQueue *q, uint32_t *len);
bool vkfd_sh_load(VkfdState *s, VkfdQueue *q, const uint8_t *blob,
                  uint32_t len);

/* the engines */
VkfdEngineRun vkfd_pm4_run;
VkfdEngineRun vkfd_sdma_run;
VkfdEngineRun vkfd_aql_run;

/*
 * vkfd-engine.c.  vkfd_engine_compare: (value FUNC ref) for the compare
 * functions WAIT_REG_MEM and POLL_REGMEM share (VKFD_SDMA_FUNC_*, checked
 * by the caller).  vkfd_engine_take: the next piece of a transfer of
 * total elements from q->progress on, as many as *budget units of
 * per_unit elements allow; charges *budget (one unit even for nothing).
 */
bool vkfd_engine_compare(uint32_t func, uint32_t value, uint32_t ref);
uint64_t vkfd_engine_take(VkfdQueue *q, unsigned *budget, uint64_t total,
                          uint64_t per_unit);

/*
 * vkfd-pm4.c, for the AQL engine's PM4-IB packet if it wants to run the
 * IB: run the PM4 indirect buffer of size dwords at GPU VA base of q's
 * context as an INDIRECT_BUFFER on a PM4 queue would (it may call one
 * more IB).  DONE when it is done; MORE when the budget ran out, WAIT
 * when a WAIT_REG_MEM is not met (q->waiting set): call again with the
 * same base and size, the progress is in q->ib_*; FAIL when it failed q.
 */
VkfdStep vkfd_pm4_run_ib(VkfdState *s, VkfdQueue *q, uint64_t base,
                         uint32_t size, unsigned *budget);

/* vkfd-regs.c */
extern const MemoryRegionOps vkfd_regs_ops;
extern const VMStateDescription vmstate_vkfd_waves;

/* vkfd-identity.c */
bool vkfd_identity_realize(VkfdState *s, Error **errp);
uint64_t vkfd_clock_ns(void);

/* vkfd-doorbell.c */
extern const MemoryRegionOps vkfd_doorbell_ops;
void vkfd_doorbell_ring(VkfdState *s, hwaddr addr, uint64_t val,
                        unsigned size);

/* vkfd-sched.c */
void vkfd_sched_control(VkfdState *s, uint32_t old_control);
void vkfd_sched_write_wptr(VkfdState *s, uint32_t wptr);
void vkfd_sched_bh(void *opaque);
void vkfd_sched_reset(VkfdState *s);
void vkfd_sched_resume(VkfdState *s);
const char *vkfd_sched_post_load(VkfdState *s);
void vkfd_trap_pre_load(VkfdState *s);
extern const VMStateDescription vmstate_vkfd_sched_cmd;
extern const VMStateDescription vmstate_vkfd_trap;

/*
 * vkfd-bus.c: DMA that reaches guest RAM only, MSI-X from a bottom half
 * of its own, and resets deferred while device work runs.
 * vkfd_ram_extent: how many bytes from addr on are plain guest RAM (or
 * ROM, for reads) through the device's bus-master address space.
 * vkfd_dma_ok: all of [addr, addr + len) is, and it does not wrap.
 * vkfd_dma_rw: the access if vkfd_dma_ok, else false (logged).
 */
uint64_t vkfd_ram_extent(VkfdState *s, uint64_t addr, uint64_t len,
                         bool is_write);
bool vkfd_dma_ok(VkfdState *s, uint64_t addr, uint64_t len, bool is_write);
bool vkfd_dma_rw(VkfdState *s, uint64_t addr, void *buf, uint64_t len,
                 bool is_write);
static inline bool vkfd_dma_read(VkfdState *s, uint64_t addr, void *buf,
                                 uint64_t len)
{
    return vkfd_dma_rw(s, addr, buf, len, false);
}
static inline bool vkfd_dma_write(VkfdState *s, uint64_t addr,
                                  const void *buf, uint64_t len)
{
    return vkfd_dma_rw(s, addr, (void *)buf, len, true);
}
void vkfd_work_begin(VkfdState *s);
void vkfd_work_end(VkfdState *s);
typedef struct VkfdBhClock {
    bool on;
    int64_t wall, cpu;
} VkfdBhClock;
void vkfd_bh_clock(VkfdBhClock *c);
void vkfd_bh_clock_end(const char *bh, const VkfdBhClock *c);
void vkfd_irq_raise(VkfdState *s, unsigned vector);
void vkfd_irq_flush(VkfdState *s);
void vkfd_irq_realize(VkfdState *s);
void vkfd_irq_exit(VkfdState *s);
void vkfd_irq_reset(VkfdState *s);
void vkfd_irq_resume(VkfdState *s);
extern const VMStateDescription vmstate_vkfd_irq;

/*
 * vkfd-gpuvm.c: the engines' way to memory.  Each function translates
 * page by page; on a fault it latches the VM fault registers (with a
 * trace event) and returns false.  vkfd_vm_read/write may have moved part
 * of the data by then; vkfd_vm_check translates a whole range without
 * touching it, and vkfd_vm_fill/copy check everything first so that a
 * command that would fault changes nothing.
 */
void vkfd_vm_realize(VkfdState *s);
void vkfd_vm_exit(VkfdState *s);
void vkfd_vm_reset(VkfdState *s);
void vkfd_vm_ctx_flush(VkfdState *s, uint32_t ctx_id);
void vkfd_vm_flush_all(VkfdState *s);
void vkfd_vm_fault_clear(VkfdState *s, uint32_t bits);
bool vkfd_vm_translate(VkfdState *s, uint32_t ctx_id, uint64_t va,
                       uint64_t len, bool is_write, VkfdVmXlat *x);
bool vkfd_vm_check(VkfdState *s, uint32_t ctx_id, uint64_t va, uint64_t len,
                   bool is_write);
bool vkfd_vm_read(VkfdState *s, uint32_t ctx_id, uint64_t va, void *buf,
                  uint64_t len);
bool vkfd_vm_write(VkfdState *s, uint32_t ctx_id, uint64_t va,
                   const void *buf, uint64_t len);
bool vkfd_vm_fill(VkfdState *s, uint32_t ctx_id, uint64_t va, uint64_t len,
                  uint32_t value);
/*
 * vkfd_vm_read/write through a cached translation c of the same context:
 * the same results and faults, but a hit costs a copy.  A miss translates
 * from va to the end of its GPU page and keeps that in c; an access that
 * crosses a page, or lands on one of the device's own pages, goes the
 * uncached way.  vkfd_vm_cache_drop: forget c (before freeing it).
 */
bool vkfd_vm_cache_read_miss(VkfdState *s, uint32_t ctx_id, VkfdVmCache *c,
                             uint64_t va, void *buf, uint64_t len);
bool vkfd_vm_cache_write_miss(VkfdState *s, uint32_t ctx_id, VkfdVmCache *c,
                              uint64_t va, const void *buf, uint64_t len);
void vkfd_vm_cache_dirty(VkfdState *s, VkfdVmCache *c, uint64_t off,
                         uint64_t len);
void vkfd_vm_cache_drop(VkfdVmCache *c);

/* Where [va, va + len) is in host memory if c covers it, else NULL. */
static inline uint8_t *vkfd_vm_cache_hit(VkfdState *s, VkfdVmCache *c,
                                         uint64_t va, uint64_t len,
                                         bool is_write)
{
    uint64_t off = va - c->va;

    if (c->gen != s->vm_gen || va < c->va || off >= c->len ||
        len > c->len - off || (is_write && !c->is_write)) {
        return NULL;
    }
    return c->host + off;
}

/* The hit is inline: a constant len makes it a load or a store. */
static inline bool vkfd_vm_cache_read(VkfdState *s, uint32_t ctx_id,
                                      VkfdVmCache *c, uint64_t va, void *buf,
                                      uint64_t len)
{
    uint8_t *p = vkfd_vm_cache_hit(s, c, va, len, false);

    if (unlikely(!p)) {
        return vkfd_vm_cache_read_miss(s, ctx_id, c, va, buf, len);
    }
    memcpy(buf, p, len);
    return true;
}

static inline bool vkfd_vm_cache_write(VkfdState *s, uint32_t ctx_id,
                                       VkfdVmCache *c, uint64_t va,
                                       const void *buf, uint64_t len)
{
    uint8_t *p = vkfd_vm_cache_hit(s, c, va, len, true);

    if (unlikely(!p)) {
        return vkfd_vm_cache_write_miss(s, ctx_id, c, va, buf, len);
    }
    memcpy(p, buf, len);
    vkfd_vm_cache_dirty(s, c, p - c->host, len);
    return true;
}

/*
 * vkfd_vm_atomic: an atomic read-modify-write of the size (4 or 8) bytes
 * at va, little-endian: *old is the value found, fn(*old, opaque) the
 * value left there (fn may be called more than once).  The access is
 * checked and faults as a write.  On plain RAM (VRAM, or guest RAM the
 * device reaches without an IOMMU) with va naturally aligned it is a host
 * compare-and-swap, atomic against the guest's CPUs; anywhere else (a
 * misaligned va, the device's own pages, RAM behind an IOMMU) it is a
 * read then a write, atomic only against the device's other engines.
 * c caches the translation, as for vkfd_vm_cache_write; a hit is inline.
 *
 * A guest CPU's locked instruction is a host atomic on the same word
 * (TCG's atomic helpers, or the CPU itself under KVM): if a CPU changes
 * the word between the device's read and its compare-and-swap, the swap
 * fails and fn runs again on the CPU's value.  A 64-bit one needs the
 * host's 64-bit atomics.
 */
typedef uint64_t VkfdVmAtomicFn(uint64_t old, const void *opaque);
bool vkfd_vm_atomic_miss(VkfdState *s, uint32_t ctx_id, VkfdVmCache *c,
                         uint64_t va, unsigned size, VkfdVmAtomicFn *fn,
                         const void *opaque, uint64_t *old);

#ifdef CONFIG_ATOMIC64
#define VKFD_VM_HOST_ATOMIC(size)   true
#else
#define VKFD_VM_HOST_ATOMIC(size)   ((size) == 4)
#endif

static inline uint64_t vkfd_vm_host_atomic(void *p, unsigned size,
                                           VkfdVmAtomicFn *fn,
                                           const void *opaque)
{
    if (size == 4) {
        uint32_t *w = p;
        uint32_t cur = le32_to_cpu(qatomic_read(w)), seen;

        for (;;) {
            seen = le32_to_cpu(qatomic_cmpxchg(w, cpu_to_le32(cur),
                                               cpu_to_le32(fn(cur, opaque))));
            if (seen == cur) {
                return cur;
            }
            cur = seen;
        }
    }
#ifdef CONFIG_ATOMIC64
    {
        uint64_t *w = p;
        uint64_t cur = le64_to_cpu(qatomic_read__nocheck(w)), seen;

        for (;;) {
            seen = le64_to_cpu(qatomic_cmpxchg__nocheck(w, cpu_to_le64(cur),
                                   cpu_to_le64(fn(cur, opaque))));
            if (seen == cur) {
                return cur;
            }
            cur = seen;
        }
    }
#else
    g_assert_not_reached();
#endif
}

static inline bool vkfd_vm_atomic(VkfdState *s, uint32_t ctx_id,
                                  VkfdVmCache *c, uint64_t va, unsigned size,
                                  VkfdVmAtomicFn *fn, const void *opaque,
                                  uint64_t *old)
{
    uint8_t *p = vkfd_vm_cache_hit(s, c, va, size, true);

    /* p has va's alignment: the host's pages are at least GPU pages */
    if (likely(p && !((uintptr_t)p & (size - 1)) &&
               VKFD_VM_HOST_ATOMIC(size))) {
        *old = vkfd_vm_host_atomic(p, size, fn, opaque);
        /* a write: dirty for migration, translated code on it dropped */
        vkfd_vm_cache_dirty(s, c, p - c->host, size);
        return true;
    }
    return vkfd_vm_atomic_miss(s, ctx_id, c, va, size, fn, opaque, old);
}
bool vkfd_vm_copy(VkfdState *s, uint32_t ctx_id, uint64_t dst, uint64_t src,
                  uint64_t len);

/*
 * VM_FILL/VM_COPY a slice at a time.  *progress counts the work done so
 * far (bytes checked, then bytes moved; 0 to start; at most
 * vkfd_vm_fill_work()/vkfd_vm_copy_work()); a call does about *budget
 * bytes of it and charges *budget.  The whole range is checked before a
 * byte is written, so a command that would fault changes nothing (unless
 * the tables change while it runs).
 */

static inline uint64_t vkfd_vm_fill_work(uint64_t len)
{
    return 2 * len;
}
static inline uint64_t vkfd_vm_copy_work(uint64_t len)
{
    return 3 * len;
}
VkfdStep vkfd_vm_fill_step(VkfdState *s, uint32_t ctx_id, uint64_t va,
                           uint64_t len, uint32_t value, uint64_t *progress,
                           uint64_t *budget);
VkfdStep vkfd_vm_copy_step(VkfdState *s, uint32_t ctx_id, uint64_t dst,
                           uint64_t src, uint64_t len, uint64_t *progress,
                           uint64_t *budget);

/*
 * vkfd-ih.c: the IH ring's registers (true if addr is one of them) and
 * vkfd_ih_post(), which appends an entry and raises VKFD_VECTOR_IH, or
 * drops it if the ring is disabled or full.  doorbell is
 * VKFD_IH_NO_DOORBELL where no queue applies.
 */
bool vkfd_ih_reg_read(VkfdState *s, hwaddr addr, uint32_t *val);
bool vkfd_ih_reg_write(VkfdState *s, hwaddr addr, uint32_t val);
void vkfd_ih_post(VkfdState *s, uint32_t source, uint32_t ctx, uint32_t data,
                  uint32_t doorbell, uint64_t addr, uint32_t flags);
void vkfd_ih_reset(VkfdState *s);
void vkfd_ih_rearm(VkfdState *s);
extern const VMStateDescription vmstate_vkfd_ih;

/* vkfd-pci.c */
void vkfd_soft_reset(VkfdState *s);

/*
 * vkfd-info.c: the live state as read-only QOM properties.  For it,
 * vkfd-gpuvm.c's table walk, which changes nothing (no TLB fill, no
 * fault latched).
 */
void vkfd_info_class_init(ObjectClass *oc);
bool vkfd_vm_walk(VkfdState *s, uint32_t ctx_id, uint64_t root, uint64_t va,
                  uint64_t *pte, unsigned *shift, const char **why);

#endif /* HW_KFD_VKFD_H */
