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

/* vkfd-pci.c */
void vkfd_soft_reset(VkfdState *s);

#endif /* HW_KFD_VKFD_H */
