/*
 * vkfd: a virtual AMD KFD device -- the BAR0 register file
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/log.h"
#include "migration/vmstate.h"
#include "vkfd.h"
#include "trace.h"

/*
 * WAVES: the waves of context WAVES_SEL resident in the shader core, over
 * its queues.  Counted when read, from the queues' dispatches, so it
 * holds across a reset or a migration without state of its own.  A
 * selector out of range (refused when written) reads 0.  A preempted
 * queue's waves are saved (CWSR), not resident: they do not count.
 */
static uint32_t vkfd_waves(VkfdState *s)
{
    uint32_t sel = s->waves_sel, n = 0, d;
    const VkfdContext *ctx;

    if (sel >= s->max_contexts) {
        trace_vkfd_waves_none(sel);
        return 0;
    }
    ctx = &s->contexts[sel];
    for (d = 0; ctx->queues && d < VKFD_DOORBELLS_PER_CONTEXT; d++) {
        if (ctx->queues[d] && !ctx->queues[d]->kept) {
            n += vkfd_sh_resident_waves(ctx->queues[d]);
        }
    }
    trace_vkfd_waves(sel, n);
    return n;
}

static void vkfd_waves_select(VkfdState *s, uint32_t sel)
{
    if (sel >= s->max_contexts) {
        s->access_errors++;
        VKFD_GUEST_ERR(vkfd_err_waves_sel, "context %u of %u", sel,
                       s->max_contexts);
    }
    s->waves_sel = sel;
}

static bool vkfd_waves_needed(void *opaque)
{
    VkfdState *s = opaque;

    return s->waves_sel != 0;
}

/* Any selector loads: WAVES checks it when read. */
const VMStateDescription vmstate_vkfd_waves = {
    .name = "vkfd/waves",
    .version_id = 1,
    .minimum_version_id = 1,
    .needed = vkfd_waves_needed,
    .fields = (VMStateField[]) {
        VMSTATE_UINT32(waves_sel, VkfdState),
        VMSTATE_END_OF_LIST()
    },
};

static uint32_t vkfd_reg_value(VkfdState *s, hwaddr addr, bool *known)
{
    uint32_t val;

    *known = true;
    switch (addr) {
    case VKFD_REG_ID:
        return VKFD_ID_MAGIC;
    case VKFD_REG_VERSION:
        return VKFD_VERSION;
    case VKFD_REG_CAPS:
        return VKFD_CAP_SCHED_RING | VKFD_CAP_DOORBELLS | VKFD_CAP_VRAM |
               VKFD_CAP_GPUVM | VKFD_CAP_QUEUES | VKFD_CAP_IH;
    case VKFD_REG_STATUS:
        return s->status;
    case VKFD_REG_CONTROL:
        return s->control;
    case VKFD_REG_MAX_CONTEXTS:
        return s->max_contexts;
    case VKFD_REG_DOORBELL_PAGE_SIZE:
        return VKFD_DOORBELL_PAGE_SIZE;
    case VKFD_REG_NUM_CONTEXTS:
        return s->live_contexts;
    case VKFD_REG_VRAM_SIZE_LO:
        return (uint32_t)s->vram_size;
    case VKFD_REG_VRAM_SIZE_HI:
        return s->vram_size >> 32;
    case VKFD_REG_SERIAL_LO:
        return (uint32_t)s->serial;
    case VKFD_REG_SERIAL_HI:
        return s->serial >> 32;
    case VKFD_REG_MSIX_VECTORS:
        return s->msix_vectors;
    case VKFD_REG_ACCESS_ERRORS:
        return s->access_errors;
    case VKFD_REG_SCHED_BASE_LO:
        return (uint32_t)s->sched_base;
    case VKFD_REG_SCHED_BASE_HI:
        return s->sched_base >> 32;
    case VKFD_REG_SCHED_SIZE:
        return s->sched_size;
    case VKFD_REG_SCHED_WPTR:
        return s->sched_wptr;
    case VKFD_REG_SCHED_RPTR:
        return s->sched_rptr;
    case VKFD_REG_SCHED_ERROR:
        return s->sched_error;
    case VKFD_REG_SCHED_ERROR_RPTR:
        return s->sched_error_rptr;
    case VKFD_REG_SCHED_COMPLETED:
        return s->sched_completed;
    case VKFD_REG_GFX_TARGET_VERSION:
        return s->gfx_target_version;
    case VKFD_REG_ASIC_DEVICE_ID:
        return s->asic_id;
    case VKFD_REG_NUM_CU:
        return s->num_cu;
    case VKFD_REG_SIMD_PER_CU:
        return s->simd_per_cu;
    case VKFD_REG_NUM_SE:
        return s->num_se;
    case VKFD_REG_SH_PER_SE:
        return s->sh_per_se;
    case VKFD_REG_MAX_WAVES_PER_SIMD:
        return s->max_waves_per_simd;
    case VKFD_REG_WAVE_SIZE:
        return VKFD_WAVE_SIZE;
    case VKFD_REG_LDS_SIZE_KB:
        return VKFD_LDS_SIZE_KB;
    case VKFD_REG_NUM_SDMA_ENGINES:
        return s->num_sdma_engines;
    case VKFD_REG_SDMA_QUEUES_PER_ENGINE:
        return s->sdma_queues_per_engine;
    case VKFD_REG_NUM_CP_QUEUES:
        return s->num_cp_queues;
    case VKFD_REG_MAX_ENGINE_CLK_MHZ:
        return s->max_engine_clk_mhz;
    case VKFD_REG_FW_VERSION:
        return s->fw_version;
    case VKFD_REG_CLOCK_LO:
        /* no latch here: this also classifies writes (vkfd_regs_read) */
        return (uint32_t)vkfd_clock_ns();
    case VKFD_REG_CLOCK_HI:
        return s->clock_hi_latch;
    case VKFD_REG_VM_FAULT_STATUS:
        return s->vm_fault_status;
    case VKFD_REG_VM_FAULT_CTX:
        return s->vm_fault_ctx;
    case VKFD_REG_VM_FAULT_ADDR_LO:
        return (uint32_t)s->vm_fault_addr;
    case VKFD_REG_VM_FAULT_ADDR_HI:
        return s->vm_fault_addr >> 32;
    case VKFD_REG_VM_FAULT_COUNT:
        return s->vm_fault_count;
    case VKFD_REG_HDP_FLUSHES:
        return s->hdp_flushes;
    case VKFD_REG_WAVES_SEL:
        return s->waves_sel;
    case VKFD_REG_WAVES:
        return vkfd_waves(s);
    case VKFD_REG_NUM_QUEUES:
        return s->live_queues;
    case VKFD_REG_NUM_PREEMPTED:
        return s->kept_queues;
    }
    if (vkfd_ih_reg_read(s, addr, &val)) {
        return val;
    }
    *known = false;
    return 0;
}

/* Registers are 32 bits wide and naturally aligned; nothing else is. */
static bool vkfd_reg_access_ok(VkfdState *s, hwaddr addr, unsigned size,
                               bool is_write)
{
    if (size == 4 && !(addr & 3)) {
        return true;
    }
    s->access_errors++;
    VKFD_GUEST_ERR(vkfd_err_reg_access,
                   "addr 0x%" HWADDR_PRIx " size %u write %d",
                   addr, size, is_write);
    return false;
}

/*
 * The MMIO remap page: 32-bit writes to the two HDP flush registers only
 * count (memory is always coherent here); anything else is an access
 * error.  Reads return 0.
 */
static bool vkfd_remap_access_ok(VkfdState *s, hwaddr off, unsigned size,
                                 bool is_write)
{
    if (size == 4 &&
        (off == VKFD_HDP_MEM_FLUSH_CNTL || off == VKFD_HDP_REG_FLUSH_CNTL)) {
        return true;
    }
    s->access_errors++;
    VKFD_GUEST_ERR(vkfd_err_remap_access,
                   "offset 0x%" HWADDR_PRIx " size %u write %d",
                   off, size, is_write);
    return false;
}

static void vkfd_remap_write(VkfdState *s, hwaddr off, uint64_t val,
                             unsigned size)
{
    if (vkfd_remap_access_ok(s, off, size, true)) {
        s->hdp_flushes++;
        trace_vkfd_hdp_flush(off, s->hdp_flushes);
    }
}

static uint64_t vkfd_regs_read(void *opaque, hwaddr addr, unsigned size)
{
    VkfdState *s = opaque;
    uint32_t val;
    bool known;

    if (addr >= VKFD_MMIO_REMAP_OFFSET) {
        vkfd_remap_access_ok(s, addr - VKFD_MMIO_REMAP_OFFSET, size, false);
        return 0;
    }
    if (!vkfd_reg_access_ok(s, addr, size, false)) {
        return ~0ULL;
    }
    if (addr == VKFD_REG_CLOCK_LO) {
        /*
         * One 64-bit sample: CLOCK_HI returns its upper half until the
         * next CLOCK_LO read, so LO then HI never tears.
         */
        uint64_t now = vkfd_clock_ns();

        s->clock_hi_latch = now >> 32;
        trace_vkfd_reg_read(addr, (uint32_t)now);
        return (uint32_t)now;
    }
    val = vkfd_reg_value(s, addr, &known);
    if (!known) {
        s->access_errors++;
        VKFD_GUEST_ERR(vkfd_err_reg_unknown, "0x%" HWADDR_PRIx " write %d",
                       addr, false);
        return 0;
    }
    trace_vkfd_reg_read(addr, val);
    return val;
}

/* Ring geometry is latched at enable; it may not move under the device. */
static bool vkfd_ring_config_writable(VkfdState *s, hwaddr addr)
{
    if (!(s->control & VKFD_CONTROL_ENABLE)) {
        return true;
    }
    s->access_errors++;
    VKFD_GUEST_ERR(vkfd_err_ring_config_busy, "0x%" HWADDR_PRIx, addr);
    return false;
}

static void vkfd_regs_write(void *opaque, hwaddr addr, uint64_t val,
                            unsigned size)
{
    VkfdState *s = opaque;
    uint32_t old;
    bool known;

    if (addr >= VKFD_MMIO_REMAP_OFFSET) {
        vkfd_remap_write(s, addr - VKFD_MMIO_REMAP_OFFSET, val, size);
        return;
    }
    if (!vkfd_reg_access_ok(s, addr, size, true)) {
        return;
    }
    trace_vkfd_reg_write(addr, val);

    switch (addr) {
    case VKFD_REG_CONTROL:
        if (val & VKFD_CONTROL_RESET) {
            vkfd_soft_reset(s);
            return;
        }
        old = s->control;
        s->control = val & VKFD_CONTROL_ENABLE;
        vkfd_sched_control(s, old);
        return;
    case VKFD_REG_SCHED_BASE_LO:
        if (vkfd_ring_config_writable(s, addr)) {
            s->sched_base = deposit64(s->sched_base, 0, 32, val);
        }
        return;
    case VKFD_REG_SCHED_BASE_HI:
        if (vkfd_ring_config_writable(s, addr)) {
            s->sched_base = deposit64(s->sched_base, 32, 32, val);
        }
        return;
    case VKFD_REG_SCHED_SIZE:
        if (vkfd_ring_config_writable(s, addr)) {
            s->sched_size = val;
        }
        return;
    case VKFD_REG_SCHED_WPTR:
        vkfd_sched_write_wptr(s, val);
        return;
    case VKFD_REG_VM_FAULT_STATUS:
        /* write 1 to clear; clearing VALID lets the next fault latch */
        vkfd_vm_fault_clear(s, val);
        return;
    case VKFD_REG_WAVES_SEL:
        vkfd_waves_select(s, val);
        return;
    }
    if (vkfd_ih_reg_write(s, addr, val)) {
        return;
    }

    s->access_errors++;
    vkfd_reg_value(s, addr, &known);
    if (known) {
        VKFD_GUEST_ERR(vkfd_err_reg_readonly, "0x%" HWADDR_PRIx " <- 0x%"
                       PRIx64, addr, val);
    } else {
        VKFD_GUEST_ERR(vkfd_err_reg_unknown, "0x%" HWADDR_PRIx " write %d",
                       addr, true);
    }
}

const MemoryRegionOps vkfd_regs_ops = {
    .read = vkfd_regs_read,
    .write = vkfd_regs_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    /* Let every size through so that bad ones are seen and counted. */
    .valid = {
        .min_access_size = 1,
        .max_access_size = 8,
    },
    .impl = {
        .min_access_size = 1,
        .max_access_size = 8,
    },
};
