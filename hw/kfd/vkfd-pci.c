/*
 * vkfd: a virtual AMD KFD device -- PCI and QOM glue
 *
 * The device gives a guest driver what amdkfd expects of a GFX9-class GPU:
 * a scheduler ring through which processes (contexts) are mapped, a
 * doorbell aperture with one page per context, VRAM and MSI-X.  See
 * docs/hardware.md for the programming model.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/units.h"
#include "qemu/log.h"
#include "qemu/error-report.h"
#include "qemu/module.h"
#include "qemu/main-loop.h"
#include "qapi/error.h"
#include "hw/pci/msix.h"
#include "hw/pci/pcie.h"
#include "hw/qdev-properties.h"
#include "exec/address-spaces.h"
#include "migration/vmstate.h"
#include "vkfd.h"
#include "trace.h"

QEMU_BUILD_BUG_ON(sizeof(struct vkfd_sched_cmd) != 64);
QEMU_BUILD_BUG_ON(sizeof(struct vkfd_sched_fence) != 8);

/*
 * Return the device to its power-on state: no queues, no contexts,
 * scheduler ring off, no interrupt pending.  Used for PCI reset and for
 * CONTROL.RESET.  Never while device work runs: a reset that arrives
 * then (vkfd-bus.c keeps the device's own accesses from causing one) is
 * carried out when the work ends.
 */
void vkfd_soft_reset(VkfdState *s)
{
    if (s->work_depth) {
        trace_vkfd_reset_deferred(s->work_depth);
        s->reset_deferred = true;
        return;
    }
    trace_vkfd_reset(s->live_contexts);
    s->reset_deferred = false;
    s->loading = false;
    vkfd_irq_reset(s);
    vkfd_queue_reset(s);
    vkfd_sched_reset(s);
    vkfd_vm_reset(s);
    vkfd_ih_reset(s);
    memset(s->contexts, 0, sizeof(*s->contexts) * s->max_contexts);
    s->live_contexts = 0;
    s->control = 0;
    s->status = 0;
    s->access_errors = 0;
    s->clock_hi_latch = 0;
    s->hdp_flushes = 0;
    s->waves_sel = 0;
}

/*
 * PCIe AtomicOps.  The device completes 32- and 64-bit AtomicOps aimed at
 * its BARs (VRAM is RAM: a CPU's locked instruction there is a host
 * atomic), not 128-bit CAS.  It also requests them: its own atomics on
 * the guest's memory are host compare-and-swaps where that memory is RAM
 * it reaches with no IOMMU translating (vkfd_vm_atomic), so AtomicOp
 * Requester Enable is writable, as on a GPU.
 */
static void vkfd_pcie_atomics_init(PCIDevice *pdev)
{
    uint32_t pos = pdev->exp.exp_cap;

    pci_long_test_and_set_mask(pdev->config + pos + PCI_EXP_DEVCAP2,
                               PCI_EXP_DEVCAP2_ATOMIC_COMP32 |
                               PCI_EXP_DEVCAP2_ATOMIC_COMP64);
    pci_word_test_and_set_mask(pdev->wmask + pos + PCI_EXP_DEVCTL2,
                               PCI_EXP_DEVCTL2_ATOMIC_REQ);
}

/*
 * On q35's root bus the device is a root complex integrated endpoint: no
 * root port above it says whether the root complex completes AtomicOps.
 * Linux then takes AtomicOp Requester Enable found set as the
 * hypervisor's word that it does (pci_enable_atomic_ops_to_root).  QEMU
 * is that hypervisor here, so the bit comes out of reset set exactly
 * when the device's atomics on guest RAM are atomic: no IOMMU translates
 * for it.  Behind a root port the port's DevCap2 decides (QEMU's ports
 * complete no AtomicOps) and the bit resets to 0, as the spec has it.
 */
static void vkfd_pcie_atomics_reset(PCIDevice *pdev)
{
    uint8_t *devctl2;

    if (!pci_is_express(pdev)) {
        return;
    }
    devctl2 = pdev->config + pdev->exp.exp_cap + PCI_EXP_DEVCTL2;
    if (pcie_cap_get_type(pdev) == PCI_EXP_TYPE_RC_END &&
        pci_device_iommu_address_space(pdev) == &address_space_memory) {
        pci_word_test_and_set_mask(devctl2, PCI_EXP_DEVCTL2_ATOMIC_REQ);
    } else {
        pci_word_test_and_clear_mask(devctl2, PCI_EXP_DEVCTL2_ATOMIC_REQ);
    }
}

static void vkfd_qdev_reset(DeviceState *dev)
{
    vkfd_pcie_atomics_reset(PCI_DEVICE(dev));
    vkfd_soft_reset(VKFD(dev));
}

/*
 * The bottom halves do nothing while the VM is stopped (or a migration
 * is coming in); when it runs again they go on.  A load that failed
 * half-way left a state nobody checked: start again from reset.
 */
static void vkfd_vm_state_change(void *opaque, bool running, RunState state)
{
    VkfdState *s = opaque;

    if (!running) {
        return;
    }
    if (s->loading) {
        qemu_log_mask(LOG_GUEST_ERROR,
                      "vkfd: migration state not loaded, resetting\n");
        vkfd_soft_reset(s);
        return;
    }
    vkfd_sched_resume(s);
    vkfd_queue_resume(s);
    vkfd_irq_resume(s);
}

static void vkfd_realize(PCIDevice *pdev, Error **errp)
{
    ERRP_GUARD();
    VkfdState *s = VKFD(pdev);
    uint64_t db_size;
    int i;

    if (s->max_contexts < 2 || s->max_contexts > VKFD_MAX_CONTEXTS_LIMIT) {
        error_setg(errp, "vkfd: max-contexts must be in 2..%u",
                   VKFD_MAX_CONTEXTS_LIMIT);
        return;
    }
    if (s->vram_size < 1 * MiB || !is_power_of_2(s->vram_size)) {
        error_setg(errp, "vkfd: vram-size must be a power of two >= 1M");
        return;
    }
    if (s->msix_vectors < 1 || s->msix_vectors > 64) {
        error_setg(errp, "vkfd: vectors must be in 1..64");
        return;
    }
    if (s->max_queues < 1 || s->max_queues > VKFD_MAX_QUEUES_LIMIT) {
        error_setg(errp, "vkfd: max-queues must be in 1..%u",
                   VKFD_MAX_QUEUES_LIMIT);
        return;
    }
    if (!vkfd_identity_realize(s, errp)) {
        return;
    }

    pci_config_set_interrupt_pin(pdev->config, 0);
    if (pci_is_express(pdev)) {
        if (pcie_endpoint_cap_init(pdev, 0x80) < 0) {
            error_setg(errp, "vkfd: cannot add the PCIe capability");
            return;
        }
        vkfd_pcie_atomics_init(pdev);
    }

    memory_region_init_io(&s->regs, OBJECT(s), &vkfd_regs_ops, s,
                          "vkfd-regs", VKFD_REGS_SIZE);
    pci_register_bar(pdev, VKFD_BAR_REGS, PCI_BASE_ADDRESS_SPACE_MEMORY,
                     &s->regs);

    if (msix_init_exclusive_bar(pdev, s->msix_vectors, VKFD_BAR_MSIX, errp)) {
        return;
    }
    for (i = 0; i < s->msix_vectors; i++) {
        msix_vector_use(pdev, i);
    }

    db_size = pow2ceil((uint64_t)s->max_contexts * VKFD_DOORBELL_PAGE_SIZE);
    memory_region_init_io(&s->doorbells, OBJECT(s), &vkfd_doorbell_ops, s,
                          "vkfd-doorbells", db_size);
    pci_register_bar(pdev, VKFD_BAR_DOORBELL,
                     PCI_BASE_ADDRESS_SPACE_MEMORY |
                     PCI_BASE_ADDRESS_MEM_TYPE_64, &s->doorbells);

    memory_region_init_ram(&s->vram, OBJECT(s), "vkfd-vram", s->vram_size,
                           errp);
    if (*errp) {
        msix_uninit_exclusive_bar(pdev);
        return;
    }
    pci_register_bar(pdev, VKFD_BAR_VRAM,
                     PCI_BASE_ADDRESS_SPACE_MEMORY |
                     PCI_BASE_ADDRESS_MEM_TYPE_64 |
                     PCI_BASE_ADDRESS_MEM_PREFETCH, &s->vram);

    s->contexts = g_new0(VkfdContext, s->max_contexts);
    vkfd_vm_realize(s);
    s->sched_bh = qemu_bh_new_guarded(vkfd_sched_bh, s,
                                      &DEVICE(s)->mem_reentrancy_guard);
    vkfd_irq_realize(s);
    vkfd_queue_realize(s);
    s->vmse = qemu_add_vm_change_state_handler(vkfd_vm_state_change, s);
    trace_vkfd_realize(s->max_contexts, s->vram_size, s->msix_vectors);
}

static void vkfd_exit(PCIDevice *pdev)
{
    VkfdState *s = VKFD(pdev);

    qemu_del_vm_change_state_handler(s->vmse);
    vkfd_queue_exit(s);
    vkfd_irq_exit(s);
    qemu_bh_delete(s->sched_bh);
    vkfd_vm_exit(s);
    g_free(s->contexts);
    msix_uninit_exclusive_bar(pdev);
}

static int vkfd_pre_load(void *opaque)
{
    VkfdState *s = opaque;

    s->loading = true;
    /* what an absent subsection stands for: none of it */
    s->irq_pending = 0;
    s->sched_held = false;
    s->sched_progress = 0;
    s->waves_sel = 0;
    vkfd_ih_reset(s);
    vkfd_trap_pre_load(s);
    return vkfd_queue_pre_load(s);
}

/*
 * Migration data is input too: refuse what the device could not reach.
 * NULL if the loaded state is consistent, else what is wrong.
 */
static const char *vkfd_check_loaded(VkfdState *s)
{
    const char *why = vkfd_sched_post_load(s);
    uint32_t i;

    if (why) {
        return why;
    }
    if (s->contexts[VKFD_KERNEL_CONTEXT].mapped) {
        return "kernel context mapped";
    }
    if ((s->vm_fault_status & ~VKFD_VM_FAULT_MASK) ||
        s->vm_fault_ctx >= s->max_contexts) {
        return "bad VM fault latch";
    }
    for (i = 0; i < s->max_contexts; i++) {
        if (s->contexts[i].pt_base & (VKFD_GPU_PAGE_SIZE - 1)) {
            return "page table base unaligned";
        }
    }
    return NULL;
}

static int vkfd_post_load(void *opaque, int version_id)
{
    VkfdState *s = opaque;
    const char *why = vkfd_check_loaded(s);
    uint32_t i, live = 0;

    if (!why) {
        for (i = 0; i < s->max_contexts; i++) {
            live += s->contexts[i].mapped;
        }
        s->live_contexts = live;
        /* The TLBs are a cache of the page tables: start cold. */
        vkfd_vm_flush_all(s);
        /* The queues (subsection vkfd/queues) need the contexts. */
        if (vkfd_queue_post_load(s)) {
            why = "bad queue";
        }
    }
    if (why) {
        /* leave nothing of it behind: no queues, no stale counters */
        error_report("vkfd: refusing migration state: %s", why);
        s->loading = false;
        vkfd_soft_reset(s);
        return -EINVAL;
    }
    s->loading = false;
    vkfd_sched_resume(s);
    vkfd_queue_resume(s);
    vkfd_irq_resume(s);
    return 0;
}

static const VMStateDescription vmstate_vkfd_context = {
    .name = "vkfd-context",
    .version_id = 1,
    .minimum_version_id = 1,
    .fields = (VMStateField[]) {
        VMSTATE_BOOL(mapped, VkfdContext),
        VMSTATE_UINT64(pt_base, VkfdContext),
        VMSTATE_END_OF_LIST()
    },
};

static const VMStateDescription *vkfd_subsections[] = {
    &vmstate_vkfd_queues,   /* only while queues are mapped */
    &vmstate_vkfd_ih,       /* only once the IH ring was touched */
    &vmstate_vkfd_irq,      /* only while an MSI-X vector is pending */
    &vmstate_vkfd_sched_cmd, /* only while a VM_FILL/VM_COPY is under way */
    &vmstate_vkfd_trap,     /* only while a context has a trap handler */
    &vmstate_vkfd_waves,    /* only while WAVES_SEL is not 0 */
    NULL
};

static const VMStateDescription vmstate_vkfd = {
    .name = "vkfd",
    .version_id = 3,
    .minimum_version_id = 1,
    .pre_load = vkfd_pre_load,
    .post_load = vkfd_post_load,
    .fields = (VMStateField[]) {
        VMSTATE_PCI_DEVICE(parent_obj, VkfdState),
        VMSTATE_MSIX(parent_obj, VkfdState),
        VMSTATE_UINT32(control, VkfdState),
        VMSTATE_UINT32(status, VkfdState),
        VMSTATE_UINT32(access_errors, VkfdState),
        VMSTATE_UINT64(sched_base, VkfdState),
        VMSTATE_UINT32(sched_size, VkfdState),
        VMSTATE_UINT32(sched_wptr, VkfdState),
        VMSTATE_UINT32(sched_rptr, VkfdState),
        VMSTATE_UINT32(sched_error, VkfdState),
        VMSTATE_UINT32(sched_error_rptr, VkfdState),
        VMSTATE_UINT32(sched_completed, VkfdState),
        VMSTATE_STRUCT_VARRAY_POINTER_UINT32(contexts, VkfdState,
                                             max_contexts,
                                             vmstate_vkfd_context,
                                             VkfdContext),
        VMSTATE_UINT32_V(clock_hi_latch, VkfdState, 2),
        VMSTATE_UINT32_V(vm_fault_status, VkfdState, 3),
        VMSTATE_UINT32_V(vm_fault_ctx, VkfdState, 3),
        VMSTATE_UINT64_V(vm_fault_addr, VkfdState, 3),
        VMSTATE_UINT32_V(vm_fault_count, VkfdState, 3),
        VMSTATE_UINT32_V(hdp_flushes, VkfdState, 3),
        VMSTATE_END_OF_LIST()
    },
    .subsections = vkfd_subsections,
};

static Property vkfd_properties[] = {
    DEFINE_PROP_UINT32("max-contexts", VkfdState, max_contexts, 1024),
    DEFINE_PROP_SIZE("vram-size", VkfdState, vram_size, 256 * MiB),
    DEFINE_PROP_UINT64("serial", VkfdState, serial, 0),
    DEFINE_PROP_UINT32("vectors", VkfdState, msix_vectors, 4),
    DEFINE_PROP_UINT32("max-queues", VkfdState, max_queues, 4096),
    /* the GPU it claims to be (vkfd-identity.c) */
    DEFINE_PROP_STRING("gfx-target", VkfdState, gfx_target),
    DEFINE_PROP_UINT32("asic-id", VkfdState, asic_id, 0),
    DEFINE_PROP_UINT32("cu-count", VkfdState, num_cu, 8),
    DEFINE_PROP_UINT32("simd-per-cu", VkfdState, simd_per_cu, 4),
    DEFINE_PROP_UINT32("shader-engines", VkfdState, num_se, 2),
    DEFINE_PROP_UINT32("sh-per-se", VkfdState, sh_per_se, 1),
    DEFINE_PROP_UINT32("max-waves-per-simd", VkfdState, max_waves_per_simd,
                       10),
    DEFINE_PROP_UINT32("sdma-engines", VkfdState, num_sdma_engines, 2),
    DEFINE_PROP_UINT32("sdma-queues-per-engine", VkfdState,
                       sdma_queues_per_engine, 0),
    DEFINE_PROP_UINT32("cp-queues", VkfdState, num_cp_queues, 24),
    DEFINE_PROP_UINT32("max-engine-clock", VkfdState, max_engine_clk_mhz,
                       1700),
    DEFINE_PROP_UINT32("fw-version", VkfdState, fw_version, 500),
    DEFINE_PROP_END_OF_LIST(),
};

static void vkfd_class_init(ObjectClass *klass, void *data)
{
    DeviceClass *dc = DEVICE_CLASS(klass);
    PCIDeviceClass *k = PCI_DEVICE_CLASS(klass);

    k->realize = vkfd_realize;
    k->exit = vkfd_exit;
    k->vendor_id = VKFD_PCI_VENDOR_ID;
    k->device_id = VKFD_PCI_DEVICE_ID;
    k->revision = VKFD_PCI_REVISION;
    k->class_id = PCI_CLASS_DISPLAY_OTHER;
    dc->desc = "Virtual AMD KFD compute device";
    dc->reset = vkfd_qdev_reset;
    dc->vmsd = &vmstate_vkfd;
    set_bit(DEVICE_CATEGORY_DISPLAY, dc->categories);
    device_class_set_props(dc, vkfd_properties);
    vkfd_info_class_init(klass);
}

static const TypeInfo vkfd_info = {
    .name          = TYPE_VKFD,
    .parent        = TYPE_PCI_DEVICE,
    .instance_size = sizeof(VkfdState),
    .class_init    = vkfd_class_init,
    .interfaces = (InterfaceInfo[]) {
        { INTERFACE_PCIE_DEVICE },
        { },
    },
};

static void vkfd_register_types(void)
{
    type_register_static(&vkfd_info);
}

type_init(vkfd_register_types)
