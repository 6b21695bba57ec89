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

    /* properties */
    uint32_t max_contexts;
    uint64_t vram_size;
    uint64_t serial;
    uint32_t msix_vectors;
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
