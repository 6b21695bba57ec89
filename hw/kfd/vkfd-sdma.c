/*
 * vkfd: a virtual AMD KFD device -- the SDMA engine
 *
 * Runs the packets of an SDMA user queue: SDMA v4 (GFX9) packet formats,
 * written by user space (ROCr's blit kernels, Mesa) straight into a ring
 * in its GPU virtual address space.  Read and write pointers are 64-bit
 * byte counts that only grow; a pointer's place in the ring is the count
 * modulo the ring size, so a packet may run over the end of the ring and
 * continue at its start.
 *
 * Every address is a GPU VA of the queue's context, reached through
 * vkfd-gpuvm.c.  Transfers (COPY_LINEAR, CONST_FILL, WRITE) move at most
 * one VKFD_ENGINE_CHUNK per unit of budget; one cut short keeps its
 * progress in the queue and resumes in the next run.  POLL_REGMEM waits
 * without spinning: the queue stops on the packet and vkfd-queue.c polls
 * it again later.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/log.h"
#include "qemu/bswap.h"
#include "vkfd.h"
#include "trace.h"

/* Dwords of each packet, header included (WRITE: before its data) */
#define SDMA_COPY_DW        7
#define SDMA_WRITE_DW       4
#define SDMA_FENCE_DW       4
#define SDMA_TRAP_DW        2
#define SDMA_POLL_DW        6
#define SDMA_FILL_DW        5
#define SDMA_ATOMIC_DW      8
#define SDMA_TIMESTAMP_DW   3
#define SDMA_RECT_DW        13
#define SDMA_MAX_DW         13

#define SDMA_COUNT_MASK     (VKFD_SDMA_COPY_MAX - 1)    /* 22 bits */
#define SDMA_WRITE_MASK     0xfffffu                    /* 20 bits */
#define SDMA_NOP_MASK       0x3fffu
#define SDMA_COPY_BROADCAST (1u << 27)
#define SDMA_INT_CTX_MASK   0x0fffffffu

static inline uint64_t sdma_addr(const uint32_t *dw, int lo)
{
    return dw[lo] | (uint64_t)dw[lo + 1] << 32;
}

/* The GPU VA of ring position ptr. */
static inline uint64_t sdma_ring_va(VkfdQueue *q, uint64_t ptr)
{
    return q->ring_base + (ptr & (q->ring_size - 1));
}

/* Read len bytes of the ring from position ptr on, across its end. */
static bool sdma_ring_read(VkfdState *s, VkfdQueue *q, uint64_t ptr,
                           void *buf, uint32_t len)
{
    uint32_t off = ptr & (q->ring_size - 1);
    uint32_t first = MIN(len, q->ring_size - off);

    if (!vkfd_vm_cache_read(s, q->ctx_id, &q->ring_xc, q->ring_base + off,
                            buf, first)) {
        return false;
    }
    return first == len ||
           vkfd_vm_read(s, q->ctx_id, q->ring_base, (uint8_t *)buf + first,
                        len - first);
}

/* Stop the queue on the packet at rptr; always VKFD_STEP_FAIL. */
static VkfdStep sdma_fail(VkfdState *s, VkfdQueue *q, uint32_t error,
                          uint32_t header, uint64_t va, const char *why)
{
    VKFD_GUEST_ERR(vkfd_err_sdma, "ctx %u doorbell %u rptr 0x%" PRIx64
                   " header 0x%08x: %s", q->ctx_id, q->doorbell, q->rptr,
                   header, why);
    vkfd_queue_fail(s, q, error, header, va);
    return VKFD_STEP_FAIL;
}

static VkfdStep sdma_bad(VkfdState *s, VkfdQueue *q, uint32_t header,
                         const char *why)
{
    return sdma_fail(s, q, VKFD_QERR_BAD_PACKET, header,
                     sdma_ring_va(q, q->rptr), why);
}

/* A VM access of the packet faulted (vkfd-gpuvm.c latched it). */
static VkfdStep sdma_fault(VkfdState *s, VkfdQueue *q, uint32_t header)
{
    return sdma_fail(s, q, VKFD_QERR_VM_FAULT, header, s->vm_last_fault_va,
                     "VM fault");
}

/* The packet at rptr is done: move past it and report the new rptr. */
static VkfdStep sdma_consume(VkfdState *s, VkfdQueue *q, uint32_t header,
                             uint32_t bytes)
{
    uint64_t rptr;

    q->rptr += bytes;
    q->packets++;
    q->progress = 0;
    rptr = cpu_to_le64(q->rptr);
    if (!vkfd_vm_cache_write(s, q->ctx_id, &q->rptr_xc, q->rptr_addr, &rptr,
                             sizeof(rptr))) {
        return sdma_fail(s, q, VKFD_QERR_VM_FAULT, header,
                         s->vm_last_fault_va, "rptr not writable");
    }
    return VKFD_STEP_DONE;
}

static VkfdStep sdma_copy(VkfdState *s, VkfdQueue *q, const uint32_t *dw,
                          unsigned *budget)
{
    uint64_t bytes = (dw[1] & SDMA_COUNT_MASK) + 1ull;
    uint64_t src = sdma_addr(dw, 3), dst = sdma_addr(dw, 5), n;

    if (dw[0] & SDMA_COPY_BROADCAST) {
        return sdma_bad(s, q, dw[0], "broadcast copy not supported");
    }
    if (src + bytes < src || dst + bytes < dst) {
        return sdma_bad(s, q, dw[0], "copy wraps past 2^64");
    }
    n = vkfd_engine_take(q, budget, bytes, VKFD_ENGINE_CHUNK);
    trace_vkfd_sdma_copy(q->ctx_id, q->doorbell, dst, src, bytes,
                         q->progress, n);
    if (n && !vkfd_vm_copy(s, q->ctx_id, dst + q->progress,
                           src + q->progress, n)) {
        return sdma_fault(s, q, dw[0]);
    }
    q->progress += n;
    return q->progress < bytes ? VKFD_STEP_MORE
                               : sdma_consume(s, q, dw[0], SDMA_COPY_DW * 4);
}

/*
 * COPY_LINEAR_SUB_WINDOW: a w x h x d box of elements (1 << header bits
 * 31:29 bytes) from one linear surface to another, each given by its
 * base, the box's x/y/z offset and its row and slice pitches (in
 * elements; pitches, slice pitches and box sizes are encoded minus 1).
 * ROCr's hsa_amd_memory_async_copy_rect writes it.  Rows move in
 * VKFD_ENGINE_CHUNK pieces, one unit of budget each; q->progress counts
 * the bytes done, so a box cut short goes on where it stopped.
 */
typedef struct SdmaSurface {
    uint64_t base, pitch, slice;    /* pitches in elements */
    uint32_t x, y, z;
} SdmaSurface;

static void sdma_surface(SdmaSurface *f, const uint32_t *dw, int at)
{
    f->base = sdma_addr(dw, at);
    f->x = dw[at + 2] & 0x3fff;
    f->y = (dw[at + 2] >> 16) & 0x3fff;
    f->z = dw[at + 3] & 0x7ff;
    f->pitch = (dw[at + 3] >> 13) + 1ull;
    f->slice = (dw[at + 4] & 0x0fffffff) + 1ull;
}

/* Byte offset of row (y, z) of the box in f, elements of 1 << es bytes. */
static uint64_t sdma_row(const SdmaSurface *f, unsigned es, uint64_t y,
                         uint64_t z)
{
    return ((f->z + z) * f->slice + (f->y + y) * f->pitch + f->x) << es;
}

static VkfdStep sdma_copy_rect(VkfdState *s, VkfdQueue *q, const uint32_t *dw,
                               unsigned *budget)
{
    unsigned es = dw[0] >> 29;
    uint64_t w = (dw[11] & 0x3fff) + 1ull, h = ((dw[11] >> 16) & 0x3fff) + 1;
    uint64_t d = (dw[12] & 0x7ff) + 1ull, row_bytes, total, row, in_row, n;
    SdmaSurface src, dst;

    sdma_surface(&src, dw, 1);
    sdma_surface(&dst, dw, 6);
    if (es > 4) {
        return sdma_bad(s, q, dw[0], "sub-window element above 16 bytes");
    }
    if (src.x + w > src.pitch || dst.x + w > dst.pitch) {
        return sdma_bad(s, q, dw[0], "sub-window wider than its pitch");
    }
    row_bytes = w << es;
    total = row_bytes * h * d;
    /* the last byte of each box, from its base: at most about 2^44 */
    if (src.base + sdma_row(&src, es, h - 1, d - 1) + row_bytes < src.base ||
        dst.base + sdma_row(&dst, es, h - 1, d - 1) + row_bytes < dst.base) {
        return sdma_bad(s, q, dw[0], "sub-window wraps past 2^64");
    }
    trace_vkfd_sdma_copy_rect(q->ctx_id, q->doorbell, dst.base, src.base,
                              w, h, d, es, q->progress);
    while (q->progress < total) {
        if (!*budget) {
            return VKFD_STEP_MORE;
        }
        row = q->progress / row_bytes;
        in_row = q->progress % row_bytes;
        n = MIN(row_bytes - in_row, VKFD_ENGINE_CHUNK);
        if (!vkfd_vm_copy(s, q->ctx_id,
                          dst.base + sdma_row(&dst, es, row % h, row / h) +
                          in_row,
                          src.base + sdma_row(&src, es, row % h, row / h) +
                          in_row, n)) {
            return sdma_fault(s, q, dw[0]);
        }
        q->progress += n;
        (*budget)--;
    }
    return sdma_consume(s, q, dw[0], SDMA_RECT_DW * 4);
}

static VkfdStep sdma_fill(VkfdState *s, VkfdQueue *q, const uint32_t *dw,
                          unsigned *budget)
{
    uint64_t bytes = (dw[4] & SDMA_COUNT_MASK) + 1ull;
    uint64_t dst = sdma_addr(dw, 1), n;
    uint32_t size = dw[0] & (3u << 30);

    if (size != 0 && size != VKFD_SDMA_FILL_DWORD) {
        return sdma_bad(s, q, dw[0], "fill size other than a dword");
    }
    if ((dst | bytes) & 3) {
        return sdma_bad(s, q, dw[0], "fill not dword aligned");
    }
    if (dst + bytes < dst) {
        return sdma_bad(s, q, dw[0], "fill wraps past 2^64");
    }
    n = vkfd_engine_take(q, budget, bytes, VKFD_ENGINE_CHUNK);
    trace_vkfd_sdma_fill(q->ctx_id, q->doorbell, dst, dw[3], bytes,
                         q->progress, n);
    if (n && !vkfd_vm_fill(s, q->ctx_id, dst + q->progress, n, dw[3])) {
        return sdma_fault(s, q, dw[0]);
    }
    q->progress += n;
    return q->progress < bytes ? VKFD_STEP_MORE
                               : sdma_consume(s, q, dw[0], SDMA_FILL_DW * 4);
}

/* WRITE linear: the data follows the packet in the ring. */
static VkfdStep sdma_write(VkfdState *s, VkfdQueue *q, const uint32_t *dw,
                           uint32_t len, unsigned *budget)
{
    uint64_t bytes = len - SDMA_WRITE_DW * 4, dst = sdma_addr(dw, 1);
    uint8_t buf[VKFD_ENGINE_CHUNK];
    uint32_t n;

    if (dst & 3) {
        return sdma_bad(s, q, dw[0], "write not dword aligned");
    }
    if (dst + bytes < dst) {
        return sdma_bad(s, q, dw[0], "write wraps past 2^64");
    }
    trace_vkfd_sdma_write(q->ctx_id, q->doorbell, dst, bytes, q->progress);
    while (q->progress < bytes) {
        if (!*budget) {
            return VKFD_STEP_MORE;
        }
        n = MIN(bytes - q->progress, VKFD_ENGINE_CHUNK);
        if (!sdma_ring_read(s, q, q->rptr + SDMA_WRITE_DW * 4 + q->progress,
                            buf, n) ||
            !vkfd_vm_write(s, q->ctx_id, dst + q->progress, buf, n)) {
            return sdma_fault(s, q, dw[0]);
        }
        q->progress += n;
        (*budget)--;
    }
    return sdma_consume(s, q, dw[0], len);
}

/*
 * POLL_REGMEM on memory: done once (*addr & mask) FUNC value holds; until
 * then the queue waits on the packet.  With mem_poll clear it would poll
 * a register.  Two forms of that are accepted and done at once: the HDP
 * flush (memory here is always coherent, so it has nothing to wait for)
 * and a poll whose function is ALWAYS, which the real engine passes
 * without looking at the register (ROCr 5.2 starts every SDMA submission
 * with one, its opcode alone: docs/rocm.md).  Other register polls would
 * need a register file the device does not have.
 */
static VkfdStep sdma_poll(VkfdState *s, VkfdQueue *q, const uint32_t *dw,
                          unsigned *budget)
{
    uint32_t func = (dw[0] >> 28) & 7, mem;
    uint64_t addr = sdma_addr(dw, 1);

    (*budget)--;
    if (!(dw[0] & VKFD_SDMA_POLL_MEM)) {
        if (dw[0] & VKFD_SDMA_POLL_HDP_FLUSH) {
            trace_vkfd_sdma_hdp_flush(q->ctx_id, q->doorbell);
        } else if (func == VKFD_SDMA_FUNC_ALWAYS) {
            trace_vkfd_sdma_poll_always(q->ctx_id, q->doorbell, dw[1]);
        } else {
            return sdma_bad(s, q, dw[0], "register poll not supported");
        }
        return sdma_consume(s, q, dw[0], SDMA_POLL_DW * 4);
    }
    if (func > VKFD_SDMA_FUNC_GT) {
        return sdma_bad(s, q, dw[0], "reserved compare function");
    }
    if (addr & 3) {
        return sdma_bad(s, q, dw[0], "poll address not dword aligned");
    }
    if (!vkfd_vm_cache_read(s, q->ctx_id, &q->data_rxc, addr, &mem,
                            sizeof(mem))) {
        return sdma_fault(s, q, dw[0]);
    }
    mem = le32_to_cpu(mem);
    if (!vkfd_engine_compare(func, mem & dw[4], dw[3])) {
        trace_vkfd_sdma_poll_wait(q->ctx_id, q->doorbell, addr, mem, dw[4],
                                  func, dw[3]);
        q->waiting = true;
        return VKFD_STEP_WAIT;
    }
    return sdma_consume(s, q, dw[0], SDMA_POLL_DW * 4);
}

/*
 * TIMESTAMP GET and GET_GLOBAL: the 64-bit GPU clock (the one
 * GET_CLOCK_COUNTERS reads) to an 8-byte aligned address.  vkfd's engines
 * have no clock of their own, so the engine's "local" timestamp is the
 * global one.  SET, which loads the engine's own counter, has nothing to
 * load and is refused like any packet the device does not run.
 */
static VkfdStep sdma_timestamp(VkfdState *s, VkfdQueue *q, const uint32_t *dw,
                               unsigned *budget)
{
    uint64_t addr = sdma_addr(dw, 1), now;

    if (addr & 7) {
        return sdma_bad(s, q, dw[0], "timestamp not 8-byte aligned");
    }
    (*budget)--;
    now = vkfd_clock_ns();
    trace_vkfd_sdma_timestamp(q->ctx_id, q->doorbell, addr, now);
    now = cpu_to_le64(now);
    if (!vkfd_vm_write(s, q->ctx_id, addr, &now, sizeof(now))) {
        return sdma_fault(s, q, dw[0]);
    }
    return sdma_consume(s, q, dw[0], SDMA_TIMESTAMP_DW * 4);
}

/*
 * ATOMIC: the 64-bit add ROCr uses to decrement a completion signal
 * (with or without return; an SDMA atomic has nowhere to return to).
 * The other TC operations and the compare-and-swap loop are refused.
 * The add is vkfd_vm_atomic()'s: atomic against the guest's CPUs on
 * plain RAM, as a PCIe atomic is.
 */
static uint64_t sdma_add64(uint64_t old, const void *opaque)
{
    return old + *(const uint64_t *)opaque;
}

static VkfdStep sdma_atomic(VkfdState *s, VkfdQueue *q, const uint32_t *dw,
                            unsigned *budget)
{
    uint64_t addr = sdma_addr(dw, 1), src = sdma_addr(dw, 3), old;
    uint32_t op = VKFD_SDMA_ATOMIC_OP(dw[0]);

    if (op != VKFD_SDMA_ATOMIC_ADD64 && op != VKFD_SDMA_ATOMIC_ADD64_NRTN) {
        return sdma_bad(s, q, dw[0], "atomic operation not supported");
    }
    if (dw[0] & VKFD_SDMA_ATOMIC_LOOP) {
        return sdma_bad(s, q, dw[0], "atomic loop not supported");
    }
    if (addr & 7) {
        return sdma_bad(s, q, dw[0], "atomic not 8-byte aligned");
    }
    (*budget)--;
    if (!vkfd_vm_atomic(s, q->ctx_id, &q->data_xc, addr, 8, sdma_add64, &src,
                        &old)) {
        return sdma_fault(s, q, dw[0]);
    }
    trace_vkfd_sdma_atomic(q->ctx_id, q->doorbell, addr, op, old + src);
    return sdma_consume(s, q, dw[0], SDMA_ATOMIC_DW * 4);
}

/*
 * Run (part of) the packet at rptr, avail bytes of which the guest has
 * written: DONE (consumed) or MORE (the budget ran out in the middle of
 * it) let the queue go on; FAIL, WAIT and STALL (not all written yet)
 * stop it.
 */
static VkfdStep sdma_packet(VkfdState *s, VkfdQueue *q, uint64_t avail,
                            unsigned *budget)
{
    uint32_t dw[SDMA_MAX_DW] = { 0 }, len, i;
    uint32_t got = MIN(avail, sizeof(dw));
    uint8_t op, sub_op;

    if (!sdma_ring_read(s, q, q->rptr, dw, got)) {
        return sdma_fail(s, q, VKFD_QERR_VM_FAULT, 0, s->vm_last_fault_va,
                         "ring not readable");
    }
    for (i = 0; i < got / 4; i++) {
        dw[i] = le32_to_cpu(dw[i]);
    }
    op = dw[0];
    sub_op = dw[0] >> 8;
    trace_vkfd_sdma_packet(q->ctx_id, q->doorbell, q->rptr, dw[0]);

    switch (op) {
    case VKFD_SDMA_OP_NOP:
        len = 4 + 4 * ((dw[0] >> 16) & SDMA_NOP_MASK);
        break;
    case VKFD_SDMA_OP_COPY:
        len = SDMA_COPY_DW * 4;
        if (sub_op == VKFD_SDMA_COPY_SUB_WINDOW) {
            len = SDMA_RECT_DW * 4;
            sub_op = 0;
        }
        break;
    case VKFD_SDMA_OP_WRITE:
        if (got < SDMA_WRITE_DW * 4) {
            return VKFD_STEP_STALL;     /* not all written yet */
        }
        len = (SDMA_WRITE_DW + (dw[3] & SDMA_WRITE_MASK) + 1) * 4;
        break;
    case VKFD_SDMA_OP_FENCE:
        len = SDMA_FENCE_DW * 4;
        break;
    case VKFD_SDMA_OP_TRAP:
        len = SDMA_TRAP_DW * 4;
        break;
    case VKFD_SDMA_OP_POLL_REGMEM:
        len = SDMA_POLL_DW * 4;
        break;
    case VKFD_SDMA_OP_CONST_FILL:
        len = SDMA_FILL_DW * 4;
        break;
    case VKFD_SDMA_OP_ATOMIC:
        len = SDMA_ATOMIC_DW * 4;
        sub_op = 0;     /* bits 15:8 are not a sub-opcode here */
        break;
    case VKFD_SDMA_OP_TIMESTAMP:
        if (sub_op != VKFD_SDMA_TS_GET && sub_op != VKFD_SDMA_TS_GET_GLOBAL) {
            return sdma_bad(s, q, dw[0], "timestamp SET not supported");
        }
        len = SDMA_TIMESTAMP_DW * 4;
        sub_op = 0;
        break;
    default:
        return sdma_bad(s, q, dw[0], "unknown opcode");
    }
    if (sub_op) {
        return sdma_bad(s, q, dw[0], "unsupported sub-opcode");
    }
    if (len > q->ring_size) {
        return sdma_bad(s, q, dw[0], "packet larger than the ring");
    }
    if (len > avail) {
        return VKFD_STEP_STALL;     /* not all written yet */
    }

    switch (op) {
    case VKFD_SDMA_OP_COPY:
        if (len == SDMA_RECT_DW * 4) {
            return sdma_copy_rect(s, q, dw, budget);
        }
        return sdma_copy(s, q, dw, budget);
    case VKFD_SDMA_OP_CONST_FILL:
        return sdma_fill(s, q, dw, budget);
    case VKFD_SDMA_OP_WRITE:
        return sdma_write(s, q, dw, len, budget);
    case VKFD_SDMA_OP_POLL_REGMEM:
        return sdma_poll(s, q, dw, budget);
    case VKFD_SDMA_OP_TIMESTAMP:
        return sdma_timestamp(s, q, dw, budget);
    case VKFD_SDMA_OP_ATOMIC:
        return sdma_atomic(s, q, dw, budget);
    case VKFD_SDMA_OP_FENCE:
        if (dw[1] & 3) {
            return sdma_bad(s, q, dw[0], "fence not dword aligned");
        }
        (*budget)--;
        dw[3] = cpu_to_le32(dw[3]);
        if (!vkfd_vm_cache_write(s, q->ctx_id, &q->data_xc,
                                 sdma_addr(dw, 1), &dw[3], 4)) {
            return sdma_fault(s, q, dw[0]);
        }
        break;
    case VKFD_SDMA_OP_TRAP:
        trace_vkfd_sdma_trap(q->ctx_id, q->doorbell,
                             dw[1] & SDMA_INT_CTX_MASK);
        vkfd_ih_post(s, VKFD_IH_SRC_SDMA_TRAP, q->ctx_id,
                     dw[1] & SDMA_INT_CTX_MASK, q->doorbell, 0, 0);
        (*budget)--;
        break;
    default:
        (*budget)--;
        break;
    }
    return sdma_consume(s, q, dw[0], len);
}

bool vkfd_sdma_run(VkfdState *s, VkfdQueue *q, unsigned *budget)
{
    uint64_t wptr;
    VkfdStep step;

    q->waiting = false;
    if (q->error) {
        return false;
    }
    if (!vkfd_vm_cache_read(s, q->ctx_id, &q->wptr_xc, q->wptr_addr, &wptr,
                            sizeof(wptr))) {
        sdma_fail(s, q, VKFD_QERR_VM_FAULT, 0, s->vm_last_fault_va,
                  "wptr not readable");
        return false;
    }
    wptr = le64_to_cpu(wptr);
    if ((wptr & 3) || wptr - q->rptr > q->ring_size) {
        VKFD_GUEST_ERR(vkfd_err_sdma_wptr, "ctx %u doorbell %u rptr 0x%"
                       PRIx64 " wptr 0x%" PRIx64 " ring size 0x%x",
                       q->ctx_id, q->doorbell, q->rptr, wptr, q->ring_size);
        vkfd_queue_fail(s, q, VKFD_QERR_BAD_POINTER, 0, wptr);
        return false;
    }
    while (q->rptr != wptr) {
        if (!*budget) {
            trace_vkfd_sdma_yield(q->ctx_id, q->doorbell, q->rptr,
                                  q->progress);
            return true;
        }
        step = sdma_packet(s, q, wptr - q->rptr, budget);
        if (step != VKFD_STEP_DONE && step != VKFD_STEP_MORE) {
            return false;   /* failed, waiting, or not all written */
        }
    }
    return false;
}
