/*
 * vkfd: a virtual AMD KFD device -- state shared by the device's files
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HW_KFD_VKFD_H
#define HW_KFD_VKFD_H

#include "hw/pci/pci.h"
#include "qom/object.h"
#include "hw/kfd/vkfd_hw.h"

#define TYPE_VKFD "vkfd"
OBJECT_DECLARE_SIMPLE_TYPE(VkfdState, VKFD)

/*
 * Work done per bottom-half run before the device yields to the main
 * loop, so that a guest filling a ring cannot monopolise QEMU.
 */
#define VKFD_SCHED_BUDGET 64
/* ... and the VM_FILL/VM_COPY bytes after which a run yields too. */
#define VKFD_SCHED_VM_BUDGET    (16ull << 20)

/* Fixed parts of the GPU shape (GFX9), and limits of the variable ones. */
#define VKFD_WAVE_SIZE          64
#define VKFD_LDS_SIZE_KB        64
#define VKFD_MAX_CU             128
#define VKFD_MAX_CU_PER_SH      16

/* One device context: a kfd_process bound to this device. */
typedef struct VkfdContext {
    bool mapped;
    uint64_t pt_base;
} VkfdContext;

/*
 * GPUVM (vkfd-gpuvm.c).  A context's TLB caches leaf translations,
 * direct-mapped by VA bits 17:12; it is allocated on the context's first
 * translation and dropped by MAP/UNMAP_CONTEXT, INVALIDATE_TLB and reset.
 */
#define VKFD_TLB_ENTRIES        64
/* VM_FILL/VM_COPY move data in pieces of at most this many bytes. */
#define VKFD_VM_CHUNK           (4 * VKFD_GPU_PAGE_SIZE)
#define VKFD_VM_FAULT_MASK \
    (VKFD_VM_FAULT_VALID | VKFD_VM_FAULT_WRITE | VKFD_VM_FAULT_MULTIPLE)

typedef struct VkfdTlbEntry {
    uint64_t tag;       /* first VA of the leaf | log2 of its size; 0: free */
    uint64_t pte;       /* the leaf entry */
} VkfdTlbEntry;

typedef struct VkfdTlb {
    VkfdTlbEntry e[VKFD_TLB_ENTRIES];
} VkfdTlb;

/* Where a run of GPU VA lands: guest memory or VRAM. */
typedef struct VkfdVmXlat {
    uint64_t addr;      /* bus address (system) or offset in VRAM */
    uint64_t len;       /* bytes of VA translated by this */
    bool vram;
} VkfdVmXlat;

struct VkfdState {
    PCIDevice parent_obj;

    MemoryRegion regs;
    MemoryRegion doorbells;
    MemoryRegion vram;
    QEMUBH *sched_bh;

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

    /* context table, indexed by context id; ctx 0 is the kernel's */
    VkfdContext *contexts;
    uint32_t live_contexts;

    /* GPU clock: reading CLOCK_LO latches the upper half for CLOCK_HI */
    uint32_t clock_hi_latch;

    /* GPUVM: per-context TLBs (a cache, not migrated) and the fault latch */
    VkfdTlb **tlbs;
    uint32_t vm_fault_status;
    uint32_t vm_fault_ctx;
    uint64_t vm_fault_addr;
    uint32_t vm_fault_count;
    uint32_t hdp_flushes;
    uint8_t vm_bounce[VKFD_VM_CHUNK];

    /* properties */
    uint32_t max_contexts;
    uint64_t vram_size;
    uint64_t serial;
    uint32_t msix_vectors;

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
 * Report a guest error: a trace event for whoever traces the device and a
 * LOG_GUEST_ERROR line for whoever runs with -d guest_errors.
 */
#define VKFD_GUEST_ERR(trace, fmt, ...) \
    do { \
        trace_##trace(__VA_ARGS__); \
        qemu_log_mask(LOG_GUEST_ERROR, "vkfd: %s: " fmt "\n", \
                      #trace, __VA_ARGS__); \
    } while (0)

/* vkfd-regs.c */
extern const MemoryRegionOps vkfd_regs_ops;

/* vkfd-identity.c */
bool vkfd_identity_realize(VkfdState *s, Error **errp);
uint64_t vkfd_clock_ns(void);

/* vkfd-doorbell.c */
extern const MemoryRegionOps vkfd_doorbell_ops;

/* vkfd-sched.c */
void vkfd_sched_control(VkfdState *s, uint32_t old_control);
void vkfd_sched_write_wptr(VkfdState *s, uint32_t wptr);
void vkfd_sched_bh(void *opaque);
void vkfd_sched_reset(VkfdState *s);

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
bool vkfd_vm_copy(VkfdState *s, uint32_t ctx_id, uint64_t dst, uint64_t src,
                  uint64_t len);

/* vkfd-pci.c */
void vkfd_soft_reset(VkfdState *s);

#endif /* HW_KFD_VKFD_H */
