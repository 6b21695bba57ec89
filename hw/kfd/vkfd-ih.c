/*
 * vkfd: a virtual AMD KFD device -- the interrupt-handler (IH) ring
 *
 * The device appends one struct vkfd_ih_entry per event (end of pipe,
 * SDMA trap, AQL signal, queue error, VM fault) to a ring in guest memory
 * and raises MSI-X vector VKFD_VECTOR_IH (vkfd-bus.c): the message goes
 * out when the device work that posted the entry ends -- in the vCPU's
 * doorbell write that ran the packet, or at the end of a bottom-half
 * run -- so the entries of one run share one message.  With
 * IH_CNTL.RPTR_REARM (the driver's choice, as a GFX9 IH's with MSI) the
 * vector is then disarmed: later entries raise nothing until the driver
 * writes IH_RPTR, which re-arms it and raises it at once if IH_RPTR is
 * still behind IH_WPTR.  A burst costs one message per pass of the
 * driver over the ring, and no entry waits unannounced.
 * The ring never overwrites an entry the driver has not consumed: when
 * one more entry would make WPTR reach RPTR, the entry is dropped and
 * counted instead (IH_OVERFLOWS, IH_STATUS.OVERFLOW), and the vector is
 * raised all the same, so that the driver recovers the lost entries'
 * events (it scans the event slots, as amdkfd does for an interrupt
 * without a usable event id).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/log.h"
#include "migration/vmstate.h"
#include "vkfd.h"
#include "trace.h"

#define VKFD_IH_ENTRY_SIZE  ((uint32_t)sizeof(struct vkfd_ih_entry))
#define VKFD_IH_STATUS_MASK (VKFD_IH_STATUS_OVERFLOW | VKFD_IH_STATUS_DMA_ERROR)
#define VKFD_IH_CNTL_MASK   (VKFD_IH_CNTL_ENABLE | VKFD_IH_CNTL_RPTR_REARM | \
                             VKFD_IH_CNTL_WPTR_WRITEBACK)

QEMU_BUILD_BUG_ON(sizeof(struct vkfd_ih_entry) != 32);

static bool vkfd_ih_enabled(VkfdState *s)
{
    return s->ih_cntl & VKFD_IH_CNTL_ENABLE;
}

/* Why base/size cannot be used for a ring, or NULL if they can. */
static const char *vkfd_ih_config_check(uint64_t base, uint32_t size)
{
    if (!is_power_of_2(size) || size < VKFD_IH_RING_MIN ||
        size > VKFD_IH_RING_MAX) {
        return "size not a power of two in 4 KiB..1 MiB";
    }
    if (base & (VKFD_IH_RING_MIN - 1)) {
        return "base not 4 KiB aligned";
    }
    if (base + size < base) {
        return "ring wraps around the address space";
    }
    return NULL;
}

/* BASE and SIZE are latched while the ring is enabled. */
static bool vkfd_ih_config_writable(VkfdState *s, hwaddr addr)
{
    if (!vkfd_ih_enabled(s)) {
        return true;
    }
    s->access_errors++;
    VKFD_GUEST_ERR(vkfd_err_ih_config_busy, "0x%" HWADDR_PRIx, addr);
    return false;
}

/*
 * WPTR_WRITEBACK: IH_WPTR and the overflow flag to the driver's word.  A
 * failed write (the memory map changed) is flagged as an entry's is.
 */
static void vkfd_ih_writeback(VkfdState *s)
{
    uint32_t wb;

    if (!(s->ih_cntl & VKFD_IH_CNTL_WPTR_WRITEBACK)) {
        return;
    }
    wb = s->ih_wptr;
    if (s->ih_status & VKFD_IH_STATUS_OVERFLOW) {
        wb |= VKFD_IH_WB_OVERFLOW;
    }
    wb = cpu_to_le32(wb);
    if (!vkfd_dma_write(s, s->ih_wptr_addr, &wb, sizeof(wb))) {
        s->ih_status |= VKFD_IH_STATUS_DMA_ERROR;
        VKFD_GUEST_ERR(vkfd_err_ih_wb, "wptr write-back at 0x%" PRIx64
                       " not writable", s->ih_wptr_addr);
    }
}

/*
 * Raise the IH vector for new entries: always without RPTR_REARM; with
 * it only if armed, and then disarm until the driver writes IH_RPTR.
 */
static void vkfd_ih_raise(VkfdState *s)
{
    if (s->ih_cntl & VKFD_IH_CNTL_RPTR_REARM) {
        if (s->ih_disarmed) {
            trace_vkfd_ih_coalesced(s->ih_wptr, s->ih_rptr);
            return;
        }
        s->ih_disarmed = true;
    }
    vkfd_irq_raise(s, VKFD_VECTOR_IH);
}

/* The vector's message was dropped (MSI-X off): the next entry raises it. */
void vkfd_ih_rearm(VkfdState *s)
{
    s->ih_disarmed = false;
}

static void vkfd_ih_write_cntl(VkfdState *s, uint32_t val)
{
    const char *why;

    if (!(val & VKFD_IH_CNTL_ENABLE)) {
        if (vkfd_ih_enabled(s)) {
            trace_vkfd_ih_disable(s->ih_rptr, s->ih_wptr);
        }
        s->ih_cntl = 0;
        s->ih_disarmed = false;
        return;
    }
    if (vkfd_ih_enabled(s)) {
        return;
    }
    why = vkfd_ih_config_check(s->ih_base, s->ih_size);
    if (!why && !vkfd_dma_ok(s, s->ih_base, s->ih_size, true)) {
        why = "ring not in guest RAM";
    }
    if (!why && (val & VKFD_IH_CNTL_WPTR_WRITEBACK) &&
        ((s->ih_wptr_addr & 3) || !vkfd_dma_ok(s, s->ih_wptr_addr, 4, true))) {
        why = "wptr write-back address unaligned or not guest RAM";
    }
    if (why) {
        s->access_errors++;
        VKFD_GUEST_ERR(vkfd_err_ih_config, "base 0x%" PRIx64 " size 0x%x: %s",
                       s->ih_base, s->ih_size, why);
        return;
    }
    /* a new ring starts empty, its entries counted from 1 */
    s->ih_wptr = 0;
    s->ih_rptr = 0;
    s->ih_seq = 0;
    s->ih_messages = 0;
    s->ih_disarmed = false;
    s->ih_cntl = val & VKFD_IH_CNTL_MASK;
    trace_vkfd_ih_enable(s->ih_base, s->ih_size, s->ih_cntl);
    vkfd_ih_writeback(s);
}

static void vkfd_ih_write_rptr(VkfdState *s, uint32_t val)
{
    if (val >= s->ih_size || val % VKFD_IH_ENTRY_SIZE) {
        s->access_errors++;
        VKFD_GUEST_ERR(vkfd_err_ih_rptr, "rptr 0x%x size 0x%x", val,
                       s->ih_size);
        return;
    }
    s->ih_rptr = val;
    if (!(s->ih_cntl & VKFD_IH_CNTL_RPTR_REARM)) {
        return;
    }
    /* the write re-arms; entries still unread raise the vector again */
    s->ih_disarmed = false;
    if (s->ih_rptr != s->ih_wptr) {
        trace_vkfd_ih_rearm_raise(s->ih_rptr, s->ih_wptr);
        vkfd_work_begin(s);
        vkfd_ih_raise(s);
        vkfd_work_end(s);   /* sends it, this write's last action */
    }
}

bool vkfd_ih_reg_read(VkfdState *s, hwaddr addr, uint32_t *val)
{
    switch (addr) {
    case VKFD_REG_IH_BASE_LO:
        *val = (uint32_t)s->ih_base;
        return true;
    case VKFD_REG_IH_BASE_HI:
        *val = s->ih_base >> 32;
        return true;
    case VKFD_REG_IH_SIZE:
        *val = s->ih_size;
        return true;
    case VKFD_REG_IH_CNTL:
        *val = s->ih_cntl;
        return true;
    case VKFD_REG_IH_WPTR:
        *val = s->ih_wptr;
        return true;
    case VKFD_REG_IH_RPTR:
        *val = s->ih_rptr;
        return true;
    case VKFD_REG_IH_STATUS:
        *val = s->ih_status;
        return true;
    case VKFD_REG_IH_OVERFLOWS:
        *val = s->ih_overflows;
        return true;
    case VKFD_REG_IH_WPTR_ADDR_LO:
        *val = (uint32_t)s->ih_wptr_addr;
        return true;
    case VKFD_REG_IH_WPTR_ADDR_HI:
        *val = s->ih_wptr_addr >> 32;
        return true;
    }
    return false;
}

bool vkfd_ih_reg_write(VkfdState *s, hwaddr addr, uint32_t val)
{
    switch (addr) {
    case VKFD_REG_IH_BASE_LO:
        if (vkfd_ih_config_writable(s, addr)) {
            s->ih_base = deposit64(s->ih_base, 0, 32, val);
        }
        return true;
    case VKFD_REG_IH_BASE_HI:
        if (vkfd_ih_config_writable(s, addr)) {
            s->ih_base = deposit64(s->ih_base, 32, 32, val);
        }
        return true;
    case VKFD_REG_IH_SIZE:
        if (vkfd_ih_config_writable(s, addr)) {
            s->ih_size = val;
        }
        return true;
    case VKFD_REG_IH_CNTL:
        vkfd_ih_write_cntl(s, val);
        return true;
    case VKFD_REG_IH_RPTR:
        vkfd_ih_write_rptr(s, val);
        return true;
    case VKFD_REG_IH_STATUS:
        s->ih_status &= ~(val & VKFD_IH_STATUS_MASK);
        if (vkfd_ih_enabled(s)) {
            vkfd_ih_writeback(s);
        }
        return true;
    case VKFD_REG_IH_WPTR_ADDR_LO:
        if (vkfd_ih_config_writable(s, addr)) {
            s->ih_wptr_addr = deposit64(s->ih_wptr_addr, 0, 32, val);
        }
        return true;
    case VKFD_REG_IH_WPTR_ADDR_HI:
        if (vkfd_ih_config_writable(s, addr)) {
            s->ih_wptr_addr = deposit64(s->ih_wptr_addr, 32, 32, val);
        }
        return true;
    }
    return false;   /* read-only or not ours */
}

void vkfd_ih_post(VkfdState *s, uint32_t source, uint32_t ctx, uint32_t data,
                  uint32_t doorbell, uint64_t addr, uint32_t flags)
{
    struct vkfd_ih_entry e;
    uint32_t next;

    if (!vkfd_ih_enabled(s)) {
        trace_vkfd_ih_off(source, ctx, data);
        return;
    }
    next = (s->ih_wptr + VKFD_IH_ENTRY_SIZE) & (s->ih_size - 1);
    if (next == s->ih_rptr) {
        s->ih_overflows++;
        s->ih_status |= VKFD_IH_STATUS_OVERFLOW;
        trace_vkfd_ih_overflow(source, ctx, data, s->ih_overflows);
        vkfd_ih_writeback(s);
        /* the driver must learn of it even if no entry follows, armed or not */
        s->ih_disarmed = s->ih_cntl & VKFD_IH_CNTL_RPTR_REARM;
        vkfd_irq_raise(s, VKFD_VECTOR_IH);
        return;
    }
    e.source = cpu_to_le32(source);
    e.ctx_id = cpu_to_le32(ctx);
    e.data = cpu_to_le32(data);
    e.doorbell = cpu_to_le32(doorbell);
    e.addr = cpu_to_le64(addr);
    e.flags = cpu_to_le32(flags);
    e.seq = cpu_to_le32(s->ih_seq + 1);
    /* guest RAM only: the ring may have been remapped since enable */
    if (!vkfd_dma_write(s, s->ih_base + s->ih_wptr, &e, sizeof(e))) {
        s->ih_overflows++;
        s->ih_status |= VKFD_IH_STATUS_DMA_ERROR;
        VKFD_GUEST_ERR(vkfd_err_ih_dma, "entry at 0x%" PRIx64 " source %u",
                       s->ih_base + s->ih_wptr, source);
        return;
    }
    s->ih_seq++;
    if (s->cur_queue) {
        vkfd_cur_stats(s)->interrupts++;
    }
    trace_vkfd_ih_post(source, ctx, data, doorbell, addr, flags, s->ih_seq,
                       s->ih_wptr);
    s->ih_wptr = next;
    vkfd_ih_writeback(s);
    /* sent when the work that posted it ends, never from inside it */
    vkfd_ih_raise(s);
}

void vkfd_ih_reset(VkfdState *s)
{
    s->ih_base = 0;
    s->ih_size = 0;
    s->ih_cntl = 0;
    s->ih_wptr = 0;
    s->ih_rptr = 0;
    s->ih_status = 0;
    s->ih_overflows = 0;
    s->ih_seq = 0;
    s->ih_disarmed = false;
    s->ih_messages = 0;
    s->ih_wptr_addr = 0;
}

static bool vkfd_ih_needed(void *opaque)
{
    VkfdState *s = opaque;

    return s->ih_base || s->ih_size || s->ih_cntl || s->ih_wptr ||
           s->ih_wptr_addr ||
           s->ih_rptr || s->ih_status || s->ih_overflows || s->ih_seq;
}

/* Migration data is input too: refuse a ring the device could not have. */
static int vkfd_ih_post_load(void *opaque, int version_id)
{
    VkfdState *s = opaque;

    if ((s->ih_cntl & ~VKFD_IH_CNTL_MASK) ||
        (s->ih_cntl && !vkfd_ih_enabled(s)) ||
        (s->ih_status & ~VKFD_IH_STATUS_MASK)) {
        return -EINVAL;
    }
    if (vkfd_ih_enabled(s) &&
        (vkfd_ih_config_check(s->ih_base, s->ih_size) ||
         s->ih_wptr >= s->ih_size || s->ih_rptr >= s->ih_size ||
         (s->ih_wptr | s->ih_rptr) % VKFD_IH_ENTRY_SIZE)) {
        return -EINVAL;
    }
    if ((s->ih_cntl & VKFD_IH_CNTL_WPTR_WRITEBACK) && (s->ih_wptr_addr & 3)) {
        return -EINVAL;
    }
    return 0;
}

/*
 * Whether the IH vector is disarmed (RPTR_REARM): only while it is, and
 * then only with RPTR_REARM on an enabled ring.  Without the subsection
 * the vector is armed: at worst one message more.
 */
static bool vkfd_ih_rearm_needed(void *opaque)
{
    VkfdState *s = opaque;

    return s->ih_disarmed;
}

static int vkfd_ih_rearm_post_load(void *opaque, int version_id)
{
    VkfdState *s = opaque;

    if (s->ih_disarmed && !(s->ih_cntl & VKFD_IH_CNTL_RPTR_REARM)) {
        return -EINVAL;
    }
    return 0;
}

static const VMStateDescription vmstate_vkfd_ih_rearm = {
    .name = "vkfd/ih/rearm",
    .version_id = 1,
    .minimum_version_id = 1,
    .needed = vkfd_ih_rearm_needed,
    .post_load = vkfd_ih_rearm_post_load,
    .fields = (VMStateField[]) {
        VMSTATE_BOOL(ih_disarmed, VkfdState),
        VMSTATE_END_OF_LIST()
    },
};

/* The write-back address, once the driver has set one. */
static bool vkfd_ih_wb_needed(void *opaque)
{
    VkfdState *s = opaque;

    return s->ih_wptr_addr != 0;
}

static const VMStateDescription vmstate_vkfd_ih_wb = {
    .name = "vkfd/ih/wb",
    .version_id = 1,
    .minimum_version_id = 1,
    .needed = vkfd_ih_wb_needed,
    .fields = (VMStateField[]) {
        VMSTATE_UINT64(ih_wptr_addr, VkfdState),
        VMSTATE_END_OF_LIST()
    },
};

static const VMStateDescription *vkfd_ih_subsections[] = {
    &vmstate_vkfd_ih_rearm, /* only while the IH vector is disarmed */
    &vmstate_vkfd_ih_wb,    /* only once a write-back address was set */
    NULL
};

const VMStateDescription vmstate_vkfd_ih = {
    .name = "vkfd/ih",
    .version_id = 1,
    .minimum_version_id = 1,
    .needed = vkfd_ih_needed,
    .post_load = vkfd_ih_post_load,
    .fields = (VMStateField[]) {
        VMSTATE_UINT64(ih_base, VkfdState),
        VMSTATE_UINT32(ih_size, VkfdState),
        VMSTATE_UINT32(ih_cntl, VkfdState),
        VMSTATE_UINT32(ih_wptr, VkfdState),
        VMSTATE_UINT32(ih_rptr, VkfdState),
        VMSTATE_UINT32(ih_status, VkfdState),
        VMSTATE_UINT32(ih_overflows, VkfdState),
        VMSTATE_UINT32(ih_seq, VkfdState),
        VMSTATE_END_OF_LIST()
    },
    .subsections = vkfd_ih_subsections,
};

