/*
 * vkfd: a virtual AMD KFD device -- the doorbell aperture
 *
 * BAR2 holds one 8 KiB page of 1024 eight-byte doorbells per context, so
 * a doorbell address decodes to (context, doorbell) with two shifts, and
 * the queue behind it is one table lookup away (vkfd-queue.c).  The
 * driver maps a context's page into that context's process only.  A
 * write marks the queue kicked; a CPU's write also gives the queue one
 * short turn before it returns (vkfd_queue_ring), the rest runs
 * in the queue bottom half.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/log.h"
#include "vkfd.h"
#include "trace.h"

static void vkfd_doorbell_reject(VkfdState *s, hwaddr addr, unsigned size,
                                 const char *why)
{
    s->access_errors++;
    VKFD_GUEST_ERR(vkfd_err_doorbell, "0x%" HWADDR_PRIx " size %u: %s",
                   addr, size, why);
}

static uint64_t vkfd_doorbell_read(void *opaque, hwaddr addr, unsigned size)
{
    /* Doorbells are write-only, as on the real GPU. */
    return 0;
}

/*
 * A doorbell write at offset addr of the aperture, from the CPU or from
 * a GPU engine whose write landed on a DOORBELL BO (vkfd-gpuvm.c): the
 * same checks either way.  A CPU's write (cpu) also gives the queue its
 * first turn at once; an engine's is only a kick, so an engine that
 * rings a doorbell never re-enters the device.
 */
static void vkfd_doorbell_kick(VkfdState *s, hwaddr addr, uint64_t val,
                               unsigned size, bool cpu)
{
    uint32_t ctx_id = addr / VKFD_DOORBELL_PAGE_SIZE;
    uint32_t index = (addr % VKFD_DOORBELL_PAGE_SIZE) / VKFD_DOORBELL_SIZE;

    if ((size != 4 && size != 8) || (addr & (VKFD_DOORBELL_SIZE - 1))) {
        vkfd_doorbell_reject(s, addr, size, "bad size or alignment");
        return;
    }
    if (ctx_id == VKFD_KERNEL_CONTEXT || ctx_id >= s->max_contexts ||
        !s->contexts[ctx_id].mapped) {
        vkfd_doorbell_reject(s, addr, size, "no context owns this page");
        return;
    }
    trace_vkfd_doorbell(ctx_id, index, val);
    if (!vkfd_queue_ring(s, ctx_id, index, val, cpu)) {
        vkfd_doorbell_reject(s, addr, size, "no queue on this doorbell");
    }
}

void vkfd_doorbell_ring(VkfdState *s, hwaddr addr, uint64_t val,
                        unsigned size)
{
    vkfd_doorbell_kick(s, addr, val, size, false);
}

/* A CPU's write: the kick, and the queue's first turn at once */
static void vkfd_doorbell_write(void *opaque, hwaddr addr, uint64_t val,
                                unsigned size)
{
    vkfd_doorbell_kick(opaque, addr, val, size, true);
}

const MemoryRegionOps vkfd_doorbell_ops = {
    .read = vkfd_doorbell_read,
    .write = vkfd_doorbell_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = {
        .min_access_size = 1,
        .max_access_size = 8,
    },
    .impl = {
        .min_access_size = 1,
        .max_access_size = 8,
    },
};
