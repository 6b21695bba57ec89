/*
 * vkfd: a virtual AMD KFD device -- the device's ways out onto the bus
 *
 * The device has two: DMA and MSI-X.  Both are guest-directed, and both
 * could land in a place whose side effects reach back into the device --
 * its own BARs, or the config space of a bridge above it through the
 * MMCONFIG window (Secondary Bus Reset, Slot Control power off), which
 * resets the device in the middle of the work that did the access.  So:
 *
 * - Every DMA (scheduler ring, fences, MQDs, IH ring, and GPUVM's page
 *   tables and system pages) may reach guest RAM only: the range is
 *   translated through the device's bus-master address space first, and
 *   anything that is not plain RAM (ROM, for reads) all along -- MMIO, a
 *   hole, a range that wraps -- is refused with the caller's error state.
 *   A RAM access has no side effects, so no work can be cut short by it.
 *
 * - MSI-X messages go out when the device work that raised them ends
 *   (vkfd_work_end(), the outermost bracket), from the same context: the
 *   vCPU's doorbell write that ran the packet, or the bottom half.  A
 *   vector raised outside device work goes out from the IRQ bottom half,
 *   guarded like the others.  Vectors raised during one run share one
 *   message.  The message's address is the guest's to choose (an x86
 *   guest could aim it at MMCONFIG, or at the device's own BARs, which
 *   the re-entrancy guard refuses); whatever it does then, no device work
 *   is in progress, and the state is read again after each message.
 *   Pending vectors are cleared by reset and carried by migration.
 *
 * - As a last line, a reset that still arrives while device work runs is
 *   deferred to the end of that work (vkfd_work_begin/end).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/log.h"
#include "qemu/rcu.h"
#include "qemu/main-loop.h"
#include "exec/memory.h"
#include "hw/pci/msix.h"
#include "migration/vmstate.h"
#include "sysemu/dma.h"
#include "vkfd.h"
#include "trace.h"

uint64_t vkfd_ram_extent(VkfdState *s, uint64_t addr, uint64_t len,
                         bool is_write)
{
    AddressSpace *as = pci_get_address_space(&s->parent_obj);
    uint64_t done = 0;

    if (addr && len > -addr) {
        len = -addr;    /* stop at the top of the address space */
    }
    RCU_READ_LOCK_GUARD();
    while (done < len) {
        hwaddr xlat, l = len - done;
        MemoryRegion *mr;

        mr = address_space_translate(as, addr + done, &xlat, &l, is_write,
                                     MEMTXATTRS_UNSPECIFIED);
        if (!l || !memory_access_is_direct(mr, is_write)) {
            break;
        }
        done += MIN(l, len - done);
    }
    return done;
}

bool vkfd_dma_ok(VkfdState *s, uint64_t addr, uint64_t len, bool is_write)
{
    if (len && addr + (len - 1) < addr) {
        return false;   /* wraps past 2^64 */
    }
    return vkfd_ram_extent(s, addr, len, is_write) == len;
}

bool vkfd_dma_rw(VkfdState *s, uint64_t addr, void *buf, uint64_t len,
                 bool is_write)
{
    if (!vkfd_dma_ok(s, addr, len, is_write)) {
        VKFD_GUEST_ERR(vkfd_err_dma_refused, "addr 0x%" PRIx64 " len 0x%"
                       PRIx64 " write %d", addr, len, is_write);
        return false;
    }
    return pci_dma_rw(&s->parent_obj, addr, buf, len,
                      is_write ? DMA_DIRECTION_FROM_DEVICE
                               : DMA_DIRECTION_TO_DEVICE,
                      MEMTXATTRS_UNSPECIFIED) == MEMTX_OK;
}

/*
 * Device work: a bottom half that reads or writes state a reset frees.
 * A reset that arrives meanwhile is carried out when the work ends.
 */
void vkfd_work_begin(VkfdState *s)
{
    s->work_depth++;
}

void vkfd_work_end(VkfdState *s)
{
    assert(s->work_depth);
    if (--s->work_depth) {
        return;
    }
    if (s->reset_deferred) {
        s->reset_deferred = false;
        vkfd_soft_reset(s);     /* drops what the work raised */
        return;
    }
    /* the caller touches nothing of the device's after this */
    vkfd_irq_flush(s);
}

/*
 * How long a bottom-half run held the main loop, traced (vkfd_bh_run)
 * only when someone listens: bench/vkfd-stall-bench reads it.  Wall
 * time, and the thread's CPU time, which a busy host does not inflate.
 */
static int64_t vkfd_thread_cpu_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec * NANOSECONDS_PER_SECOND + ts.tv_nsec;
}

void vkfd_bh_clock(VkfdBhClock *c)
{
    c->on = trace_event_get_state_backends(TRACE_VKFD_BH_RUN);
    if (c->on) {
        c->wall = get_clock();
        c->cpu = vkfd_thread_cpu_ns();
    }
}

void vkfd_bh_clock_end(const char *bh, const VkfdBhClock *c)
{
    if (c->on) {
        trace_vkfd_bh_run(bh, get_clock() - c->wall,
                          vkfd_thread_cpu_ns() - c->cpu);
    }
}

/*
 * Mark vector pending.  Inside device work it goes out when the work
 * ends (vkfd_work_end); outside, from the IRQ bottom half.
 */
void vkfd_irq_raise(VkfdState *s, unsigned vector)
{
    if (vector >= s->msix_vectors) {
        return;     /* with vectors=1 there is no IH vector */
    }
    trace_vkfd_irq_raise(vector, s->irq_pending);
    s->irq_pending |= 1ull << vector;
    if (!s->work_depth) {
        qemu_bh_schedule(s->irq_bh);
    }
}

/*
 * Send the lowest pending vector from the context that raised it, as its
 * last action, and leave the others to the IRQ bottom half.  A message
 * is a memory write of the guest's choosing, which may reset the device,
 * or even unplug it (a root port's Slot Control): after msix_notify()
 * nothing here touches the device.  A masked vector only sets its pending
 * bit and goes out when the guest unmasks it (msix_notify).  While the VM
 * is stopped nothing goes out: the run-state handler reschedules the
 * bottom half.
 */
void vkfd_irq_flush(VkfdState *s)
{
    PCIDevice *pdev = &s->parent_obj;
    unsigned vector;

    if (!s->irq_pending || s->work_depth || !runstate_is_running()) {
        return;     /* vkfd_work_end() or vkfd_irq_resume() comes back */
    }
    while (s->irq_pending) {
        vector = ctz64(s->irq_pending);
        s->irq_pending &= ~(1ull << vector);
        if (!msix_enabled(pdev)) {
            trace_vkfd_irq_drop(vector);
            if (vector == VKFD_VECTOR_IH) {
                vkfd_ih_rearm(s);   /* nobody was told: tell the next */
            }
            continue;
        }
        if (s->irq_pending) {
            qemu_bh_schedule(s->irq_bh);
        }
        if (vector == VKFD_VECTOR_IH) {
            s->ih_messages++;
        }
        trace_vkfd_irq_send(vector);
        msix_notify(pdev, vector);
        return;
    }
}

static void vkfd_irq_bh(void *opaque)
{
    VkfdState *s = opaque;
    VkfdBhClock clock;

    vkfd_bh_clock(&clock);
    vkfd_irq_flush(s);
    vkfd_bh_clock_end("irq", &clock);
}

void vkfd_irq_realize(VkfdState *s)
{
    s->irq_bh = qemu_bh_new_guarded(vkfd_irq_bh, s,
                                    &DEVICE(s)->mem_reentrancy_guard);
}

void vkfd_irq_exit(VkfdState *s)
{
    qemu_bh_delete(s->irq_bh);
}

void vkfd_irq_reset(VkfdState *s)
{
    qemu_bh_cancel(s->irq_bh);
    s->irq_pending = 0;
}

void vkfd_irq_resume(VkfdState *s)
{
    if (s->irq_pending) {
        qemu_bh_schedule(s->irq_bh);
    }
}

static bool vkfd_irq_needed(void *opaque)
{
    VkfdState *s = opaque;

    return s->irq_pending != 0;
}

static int vkfd_irq_post_load(void *opaque, int version_id)
{
    VkfdState *s = opaque;

    if (s->msix_vectors < 64 && (s->irq_pending >> s->msix_vectors)) {
        return -EINVAL;
    }
    return 0;
}

const VMStateDescription vmstate_vkfd_irq = {
    .name = "vkfd/irq",
    .version_id = 1,
    .minimum_version_id = 1,
    .needed = vkfd_irq_needed,
    .post_load = vkfd_irq_post_load,
    .fields = (VMStateField[]) {
        VMSTATE_UINT64(irq_pending, VkfdState),
        VMSTATE_END_OF_LIST()
    },
};
