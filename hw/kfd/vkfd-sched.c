/*
 * vkfd: a virtual AMD KFD device -- the scheduler ring
 *
 * The driver never pokes per-context or per-queue registers.  Like the
 * hardware scheduler of a real GPU (HIQ/MES), the device reads commands
 * from a ring in guest memory that only the kernel driver writes: map and
 * unmap a context, invalidate its TLB, fill or copy memory in its GPU VA
 * (vkfd-gpuvm.c), map and unmap its queues (vkfd-queue.c), give it a trap
 * handler.  Each command
 * completes through a fence in guest memory.  Commands run in a bottom
 * half, never inside the MMIO write that rang the ring, only while the
 * VM runs, and a run yields after VKFD_SCHED_BUDGET commands or
 * VKFD_SCHED_VM_BUDGET bytes of VM work; a VM_FILL or VM_COPY bigger than
 * that stays at rptr and goes on in the next run.  The ring, fences and
 * MQDs are reached through vkfd-bus.c: guest RAM only.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/log.h"
#include "qemu/main-loop.h"
#include "migration/vmstate.h"
#include "vkfd.h"
#include "trace.h"

#define VKFD_CMD_SIZE sizeof(struct vkfd_sched_cmd)

/* Stop the ring on an error; a VM_FILL/VM_COPY under way is dropped. */
static void vkfd_sched_halt(VkfdState *s, uint32_t status)
{
    s->status |= VKFD_STATUS_SCHED_HALTED;
    s->sched_error = status;
    s->sched_error_rptr = s->sched_rptr;
    s->sched_held = false;
    s->sched_progress = 0;
}

static bool vkfd_sched_running(VkfdState *s)
{
    return (s->status & (VKFD_STATUS_ENABLED | VKFD_STATUS_SCHED_HALTED)) ==
           VKFD_STATUS_ENABLED;
}

void vkfd_sched_reset(VkfdState *s)
{
    if (s->sched_bh) {
        qemu_bh_cancel(s->sched_bh);
    }
    s->sched_base = 0;
    s->sched_size = 0;
    s->sched_wptr = 0;
    s->sched_rptr = 0;
    s->sched_error = VKFD_ST_OK;
    s->sched_error_rptr = 0;
    s->sched_completed = 0;
    s->sched_held = false;
    s->sched_progress = 0;
}

/* The VM runs again (or a migration was loaded): go on with the ring. */
void vkfd_sched_resume(VkfdState *s)
{
    if (vkfd_sched_running(s) && s->sched_rptr != s->sched_wptr) {
        qemu_bh_schedule(s->sched_bh);
    }
}

/* A ring the device can run: SCHED_BASE/SIZE as latched at enable. */
static bool vkfd_sched_config_ok(VkfdState *s)
{
    return is_power_of_2(s->sched_size) &&
           s->sched_size >= VKFD_SCHED_RING_MIN &&
           s->sched_size <= VKFD_SCHED_RING_MAX &&
           !(s->sched_base & (VKFD_SCHED_RING_MIN - 1)) &&
           s->sched_base + s->sched_size > s->sched_base;
}

/* CONTROL was written; start or stop the ring on an ENABLE edge. */
void vkfd_sched_control(VkfdState *s, uint32_t old_control)
{
    bool was = old_control & VKFD_CONTROL_ENABLE;
    bool now = s->control & VKFD_CONTROL_ENABLE;

    if (was && !now) {
        trace_vkfd_sched_disable(s->sched_rptr, s->sched_wptr);
        qemu_bh_cancel(s->sched_bh);
        s->status &= ~(VKFD_STATUS_ENABLED | VKFD_STATUS_SCHED_HALTED);
        s->sched_held = false;
        s->sched_progress = 0;
        return;
    }
    if (was || !now) {
        return;
    }

    s->sched_rptr = 0;
    s->sched_wptr = 0;
    s->sched_error = VKFD_ST_OK;
    s->sched_held = false;
    s->sched_progress = 0;
    if (!vkfd_sched_config_ok(s)) {
        VKFD_GUEST_ERR(vkfd_err_ring_config, "base 0x%" PRIx64 " size 0x%x",
                       s->sched_base, s->sched_size);
        s->status |= VKFD_STATUS_ENABLED;
        vkfd_sched_halt(s, VKFD_ST_RING_CONFIG);
        return;
    }
    s->status |= VKFD_STATUS_ENABLED;
    s->status &= ~VKFD_STATUS_SCHED_HALTED;
    trace_vkfd_sched_enable(s->sched_base, s->sched_size);
}

void vkfd_sched_write_wptr(VkfdState *s, uint32_t wptr)
{
    if (!vkfd_sched_running(s)) {
        s->access_errors++;
        VKFD_GUEST_ERR(vkfd_err_ring_disabled, "wptr 0x%x", wptr);
        return;
    }
    if (wptr >= s->sched_size || wptr % VKFD_CMD_SIZE) {
        VKFD_GUEST_ERR(vkfd_err_ring_wptr, "wptr 0x%x size 0x%x",
                       wptr, s->sched_size);
        vkfd_sched_halt(s, VKFD_ST_RING_WPTR);
        return;
    }
    trace_vkfd_sched_kick(wptr);
    s->sched_wptr = wptr;
    qemu_bh_schedule(s->sched_bh);
}

/*
 * The reserved fields are zero, so are the payload's 64-bit words from
 * first_raw on, and the flags are among flags_ok.
 */
static bool vkfd_cmd_fields_zero(const struct vkfd_sched_cmd *cmd,
                                 unsigned first_raw, uint8_t flags_ok)
{
    unsigned i;

    if (cmd->reserved0 || cmd->reserved1 || (cmd->flags & ~flags_ok)) {
        return false;
    }
    for (i = first_raw; i < ARRAY_SIZE(cmd->u.raw); i++) {
        if (cmd->u.raw[i]) {
            return false;
        }
    }
    return true;
}

/* ... with the flags every command has (VKFD_CMD_F_MASK) */
static bool vkfd_cmd_reserved_zero(const struct vkfd_sched_cmd *cmd,
                                   unsigned first_raw)
{
    return vkfd_cmd_fields_zero(cmd, first_raw, VKFD_CMD_F_MASK);
}

static const char *vkfd_ctx_check(VkfdState *s, uint32_t ctx_id,
                                  uint32_t *status)
{
    if (ctx_id == VKFD_KERNEL_CONTEXT || ctx_id >= s->max_contexts) {
        *status = VKFD_ST_BAD_CONTEXT;
        return "context id out of range";
    }
    return NULL;
}

static uint32_t vkfd_cmd_map_context(VkfdState *s,
                                     const struct vkfd_sched_cmd *cmd,
                                     const char **why)
{
    const struct vkfd_cmd_map_context *mc = &cmd->u.map_context;
    uint64_t pt_base = le64_to_cpu(mc->pt_base);
    uint32_t ctx_id = le32_to_cpu(cmd->ctx_id);
    uint32_t status;
    VkfdContext *ctx;

    *why = vkfd_ctx_check(s, ctx_id, &status);
    if (*why) {
        return status;
    }
    if (mc->flags || mc->reserved || (pt_base & (VKFD_SCHED_RING_MIN - 1))) {
        *why = "bad pt_base or flags";
        return VKFD_ST_BAD_ARGUMENT;
    }
    ctx = &s->contexts[ctx_id];
    if (ctx->mapped) {
        *why = "context already mapped";
        return VKFD_ST_CONTEXT_MAPPED;
    }
    ctx->mapped = true;
    ctx->pt_base = pt_base;
    vkfd_vm_ctx_flush(s, ctx_id);
    s->live_contexts++;
    trace_vkfd_ctx_map(ctx_id, pt_base, s->live_contexts);
    return VKFD_ST_OK;
}

static uint32_t vkfd_cmd_unmap_context(VkfdState *s,
                                       const struct vkfd_sched_cmd *cmd,
                                       const char **why)
{
    uint32_t ctx_id = le32_to_cpu(cmd->ctx_id);
    uint32_t status;
    VkfdContext *ctx;

    *why = vkfd_ctx_check(s, ctx_id, &status);
    if (*why) {
        return status;
    }
    ctx = &s->contexts[ctx_id];
    if (!ctx->mapped) {
        *why = "context not mapped";
        return VKFD_ST_CONTEXT_NOT_MAPPED;
    }
    if (ctx->num_queues > ctx->num_kept) {
        /* the driver unmaps a context's queues before the context */
        *why = "context still has queues";
        return VKFD_ST_CONTEXT_BUSY;
    }
    /* preempted queues are no longer running: they go with it */
    vkfd_queue_drop_kept(s, ctx_id);
    memset(ctx, 0, sizeof(*ctx));
    vkfd_vm_ctx_flush(s, ctx_id);
    s->live_contexts--;
    trace_vkfd_ctx_unmap(ctx_id, s->live_contexts);
    return VKFD_ST_OK;
}

/* The context a GPUVM command works in must be live. */
static const char *vkfd_ctx_check_mapped(VkfdState *s, uint32_t ctx_id,
                                         uint32_t *status)
{
    const char *why = vkfd_ctx_check(s, ctx_id, status);

    if (!why && !s->contexts[ctx_id].mapped) {
        *status = VKFD_ST_CONTEXT_NOT_MAPPED;
        why = "context not mapped";
    }
    return why;
}

static uint32_t vkfd_cmd_invalidate_tlb(VkfdState *s,
                                        const struct vkfd_sched_cmd *cmd,
                                        const char **why)
{
    uint32_t ctx_id = le32_to_cpu(cmd->ctx_id);
    uint32_t status;

    *why = vkfd_ctx_check_mapped(s, ctx_id, &status);
    if (*why) {
        return status;
    }
    vkfd_vm_ctx_flush(s, ctx_id);
    return VKFD_ST_OK;
}

/* A VM_FILL/VM_COPY range: dword aligned, not too big, not wrapping. */
static bool vkfd_vm_args_ok(uint64_t va, uint64_t size)
{
    return !(va % 4) && !(size % 4) && size <= VKFD_VM_OP_MAX &&
           va + size >= va;
}

/*
 * What a VM_FILL/VM_COPY step returned, as a command status: *more when
 * the budget ran out and the command goes on in the next run.
 */
static uint32_t vkfd_vm_step_status(VkfdStep st, bool *more, const char **why)
{
    switch (st) {
    case VKFD_STEP_MORE:
        *more = true;
        return VKFD_ST_OK;
    case VKFD_STEP_FAIL:
        *why = "VM fault";
        return VKFD_ST_VM_FAULT;
    default:
        return VKFD_ST_OK;
    }
}

/*
 * VM_FILL: the arguments are checked (again) on every run, the range is
 * checked whole before the first store; the work goes on a slice a run.
 */
static uint32_t vkfd_cmd_vm_fill(VkfdState *s,
                                 const struct vkfd_sched_cmd *cmd,
                                 uint64_t *budget, bool *more,
                                 const char **why)
{
    const struct vkfd_cmd_vm_fill *f = &cmd->u.vm_fill;
    uint32_t ctx_id = le32_to_cpu(cmd->ctx_id);
    uint64_t va = le64_to_cpu(f->va);
    uint64_t size = le64_to_cpu(f->size);
    uint32_t status;

    *why = vkfd_ctx_check_mapped(s, ctx_id, &status);
    if (*why) {
        return status;
    }
    if (f->flags || !vkfd_vm_args_ok(va, size)) {
        *why = "bad flags, alignment or size";
        return VKFD_ST_BAD_ARGUMENT;
    }
    if (!s->sched_progress) {
        trace_vkfd_vm_fill(ctx_id, va, size, le32_to_cpu(f->value));
    }
    return vkfd_vm_step_status(vkfd_vm_fill_step(s, ctx_id, va, size,
                                                 le32_to_cpu(f->value),
                                                 &s->sched_progress, budget),
                               more, why);
}

/*
 * Overlapping ranges are refused: a copy has no direction.  (Two VAs
 * that alias one page are not detected; what such a copy leaves there
 * is undefined.)
 */
static uint32_t vkfd_cmd_vm_copy(VkfdState *s,
                                 const struct vkfd_sched_cmd *cmd,
                                 uint64_t *budget, bool *more,
                                 const char **why)
{
    const struct vkfd_cmd_vm_copy *c = &cmd->u.vm_copy;
    uint32_t ctx_id = le32_to_cpu(cmd->ctx_id);
    uint64_t src = le64_to_cpu(c->src);
    uint64_t dst = le64_to_cpu(c->dst);
    uint64_t size = le64_to_cpu(c->size);
    uint32_t status;

    *why = vkfd_ctx_check_mapped(s, ctx_id, &status);
    if (*why) {
        return status;
    }
    if (!vkfd_vm_args_ok(src, size) || !vkfd_vm_args_ok(dst, size)) {
        *why = "bad alignment or size";
        return VKFD_ST_BAD_ARGUMENT;
    }
    if (size && src < dst + size && dst < src + size) {
        *why = "source and destination overlap";
        return VKFD_ST_BAD_ARGUMENT;
    }
    if (!s->sched_progress) {
        trace_vkfd_vm_copy(ctx_id, dst, src, size);
    }
    return vkfd_vm_step_status(vkfd_vm_copy_step(s, ctx_id, dst, src, size,
                                                 &s->sched_progress, budget),
                               more, why);
}

/*
 * SET_TRAP: the context's trap handler, for the shader core.  The
 * addresses are the process's to choose (a GPU VA it may map later, or
 * none): they are translated only when a wave traps.
 */
static uint32_t vkfd_cmd_set_trap(VkfdState *s,
                                  const struct vkfd_sched_cmd *cmd,
                                  const char **why)
{
    const struct vkfd_cmd_set_trap *t = &cmd->u.set_trap;
    uint32_t ctx_id = le32_to_cpu(cmd->ctx_id);
    uint32_t status;
    VkfdContext *ctx;

    *why = vkfd_ctx_check_mapped(s, ctx_id, &status);
    if (*why) {
        return status;
    }
    if (t->flags || t->reserved) {
        *why = "flags or reserved field not zero";
        return VKFD_ST_BAD_ARGUMENT;
    }
    ctx = &s->contexts[ctx_id];
    ctx->trap_tba = le64_to_cpu(t->tba);
    ctx->trap_tma = le64_to_cpu(t->tma);
    trace_vkfd_ctx_set_trap(ctx_id, ctx->trap_tba, ctx->trap_tma);
    return VKFD_ST_OK;
}

/* MAP_QUEUE and UNMAP_QUEUE (vkfd-queue.c), in a live context. */
static uint32_t vkfd_cmd_queue(VkfdState *s, const struct vkfd_sched_cmd *cmd,
                               const char **why)
{
    uint32_t ctx_id = le32_to_cpu(cmd->ctx_id);
    uint32_t status;

    *why = vkfd_ctx_check_mapped(s, ctx_id, &status);
    if (*why) {
        return status;
    }
    if (cmd->opcode == VKFD_CMD_MAP_QUEUE) {
        return vkfd_queue_map(s, ctx_id, &cmd->u.map_queue, why);
    }
    return vkfd_queue_unmap(s, ctx_id, &cmd->u.unmap_queue,
                            cmd->flags & VKFD_CMD_F_PRESERVE, why);
}

/*
 * Execute (part of) one command; on failure *why says why and nothing
 * changed.  *budget is the VM work left in this run; *more is set when a
 * VM_FILL/VM_COPY ran out of it and must be called again.
 */
static uint32_t vkfd_cmd_exec(VkfdState *s, const struct vkfd_sched_cmd *cmd,
                              uint64_t *budget, bool *more, const char **why)
{
    *why = NULL;
    switch (cmd->opcode) {
    case VKFD_CMD_NOP:
        if (!vkfd_cmd_reserved_zero(cmd, 0)) {
            break;
        }
        return VKFD_ST_OK;
    case VKFD_CMD_MAP_CONTEXT:
        if (!vkfd_cmd_reserved_zero(cmd, 2)) {
            break;
        }
        return vkfd_cmd_map_context(s, cmd, why);
    case VKFD_CMD_UNMAP_CONTEXT:
        if (!vkfd_cmd_reserved_zero(cmd, 0)) {
            break;
        }
        return vkfd_cmd_unmap_context(s, cmd, why);
    case VKFD_CMD_INVALIDATE_TLB:
        if (!vkfd_cmd_reserved_zero(cmd, 0)) {
            break;
        }
        return vkfd_cmd_invalidate_tlb(s, cmd, why);
    case VKFD_CMD_VM_FILL:
        if (!vkfd_cmd_reserved_zero(cmd, 3)) {
            break;
        }
        return vkfd_cmd_vm_fill(s, cmd, budget, more, why);
    case VKFD_CMD_VM_COPY:
        if (!vkfd_cmd_reserved_zero(cmd, 3)) {
            break;
        }
        return vkfd_cmd_vm_copy(s, cmd, budget, more, why);
    case VKFD_CMD_MAP_QUEUE:
        if (!vkfd_cmd_reserved_zero(cmd, 2)) {
            break;
        }
        return vkfd_cmd_queue(s, cmd, why);
    case VKFD_CMD_UNMAP_QUEUE:
        /* the one command with a flag of its own */
        if (!vkfd_cmd_fields_zero(cmd, 2,
                                  VKFD_CMD_F_MASK | VKFD_CMD_F_PRESERVE)) {
            break;
        }
        return vkfd_cmd_queue(s, cmd, why);
    case VKFD_CMD_SET_TRAP:
        if (!vkfd_cmd_reserved_zero(cmd, 3)) {
            break;
        }
        return vkfd_cmd_set_trap(s, cmd, why);
    default:
        *why = "unknown opcode";
        return VKFD_ST_BAD_OPCODE;
    }
    *why = "reserved field not zero";
    return VKFD_ST_BAD_ARGUMENT;
}

/*
 * Run, fence and retire the command at rptr (s->sched_cmd).  Returns
 * false if it is not finished: a VM_FILL/VM_COPY spent the budget and
 * holds the ring (s->sched_held) until the next run.
 */
static bool vkfd_sched_one(VkfdState *s, uint64_t *budget)
{
    const struct vkfd_sched_cmd *cmd = &s->sched_cmd;
    uint64_t fence_addr = le64_to_cpu(cmd->fence_addr);
    uint32_t seq = le32_to_cpu(cmd->seq);
    uint32_t ctx_id = le32_to_cpu(cmd->ctx_id);
    struct vkfd_sched_fence fence;
    const char *why = NULL;
    bool more = false;
    uint32_t status;

    if (!s->sched_held) {
        trace_vkfd_sched_cmd(s->sched_rptr, cmd->opcode, ctx_id, seq);
    }

    /*
     * Check the fence first so that a command never half-completes: it
     * must be guest RAM, as everything the scheduler writes.
     */
    if (fence_addr % sizeof(fence)) {
        status = VKFD_ST_BAD_ARGUMENT;
        why = "fence address unaligned";
        fence_addr = 0;
    } else if (fence_addr &&
               !vkfd_dma_ok(s, fence_addr, sizeof(fence), true)) {
        status = VKFD_ST_DMA_ERROR;
        why = "fence address not in guest RAM";
        fence_addr = 0;
    } else {
        status = vkfd_cmd_exec(s, cmd, budget, &more, &why);
        if (more) {
            s->sched_held = true;
            return false;
        }
    }
    s->sched_held = false;
    s->sched_progress = 0;

    if (status != VKFD_ST_OK) {
        s->sched_error = status;
        s->sched_error_rptr = s->sched_rptr;
        VKFD_GUEST_ERR(vkfd_err_cmd, "seq %u opcode %u ctx %u: %s (0x%x)",
                       seq, cmd->opcode, ctx_id, why, status);
    }

    if (fence_addr) {
        fence.seq = cpu_to_le32(seq);
        fence.status = cpu_to_le32(status);
        /* fails only if the memory map changed while the command ran */
        if (!vkfd_dma_write(s, fence_addr, &fence, sizeof(fence))) {
            VKFD_GUEST_ERR(vkfd_err_fence_dma, "seq %u fence 0x%" PRIx64,
                           seq, fence_addr);
            s->sched_error = VKFD_ST_DMA_ERROR;
            s->sched_error_rptr = s->sched_rptr;
        }
    }
    trace_vkfd_sched_done(seq, status);

    if (cmd->flags & VKFD_CMD_F_IRQ) {
        vkfd_irq_raise(s, VKFD_VECTOR_SCHED);
    }
    return true;
}

static void vkfd_sched_run(VkfdState *s)
{
    unsigned budget = VKFD_SCHED_BUDGET;
    uint64_t vm_budget = VKFD_SCHED_VM_BUDGET, addr;

    while (vkfd_sched_running(s) && s->sched_rptr != s->sched_wptr &&
           !s->reset_deferred) {
        if (!budget-- || !vm_budget) {
            /* Let the rest of QEMU run; come back for the remainder. */
            trace_vkfd_sched_yield(s->sched_rptr, s->sched_wptr);
            qemu_bh_schedule(s->sched_bh);
            return;
        }
        if (!s->sched_held) {
            addr = s->sched_base + s->sched_rptr;
            if (!vkfd_dma_read(s, addr, &s->sched_cmd,
                               sizeof(s->sched_cmd))) {
                VKFD_GUEST_ERR(vkfd_err_ring_dma, "entry at 0x%" PRIx64,
                               addr);
                vkfd_sched_halt(s, VKFD_ST_RING_DMA);
                return;
            }
        }
        if (!vkfd_sched_one(s, &vm_budget)) {
            trace_vkfd_sched_yield(s->sched_rptr, s->sched_wptr);
            qemu_bh_schedule(s->sched_bh);
            return;
        }
        s->sched_rptr = (s->sched_rptr + VKFD_CMD_SIZE) & (s->sched_size - 1);
        s->sched_completed++;
    }
}

/* Commands write guest memory: only while the VM runs (and is loaded). */
void vkfd_sched_bh(void *opaque)
{
    VkfdState *s = opaque;
    VkfdBhClock clock;

    if (!runstate_is_running() || s->loading) {
        return;     /* vkfd_sched_resume() reschedules us */
    }
    vkfd_bh_clock(&clock);
    vkfd_work_begin(s);
    vkfd_sched_run(s);
    vkfd_work_end(s);
    vkfd_bh_clock_end("sched", &clock);
}

static bool vkfd_status_known(uint32_t st)
{
    return st <= VKFD_ST_CONTEXT_BUSY ||
           (st >= VKFD_ST_RING_CONFIG && st <= VKFD_ST_RING_DMA);
}

/*
 * A loaded command under way: one the ring could be running, with work
 * left to do.
 */
static const char *vkfd_sched_held_check(VkfdState *s)
{
    const struct vkfd_sched_cmd *cmd = &s->sched_cmd;
    uint32_t ctx_id = le32_to_cpu(cmd->ctx_id), status;
    uint64_t size, work;

    if (!s->sched_held) {
        return s->sched_progress ? "progress without a command" : NULL;
    }
    /* (the guest may have pulled WPTR back to RPTR meanwhile) */
    if (!vkfd_sched_running(s)) {
        return "a command under way on a stopped ring";
    }
    if (vkfd_ctx_check_mapped(s, ctx_id, &status) ||
        le64_to_cpu(cmd->fence_addr) % sizeof(struct vkfd_sched_fence)) {
        return "command under way in a dead context";
    }
    switch (cmd->opcode) {
    case VKFD_CMD_VM_FILL:
        size = le64_to_cpu(cmd->u.vm_fill.size);
        work = vkfd_vm_fill_work(size);
        if (!vkfd_vm_args_ok(le64_to_cpu(cmd->u.vm_fill.va), size)) {
            return "bad VM_FILL under way";
        }
        break;
    case VKFD_CMD_VM_COPY:
        size = le64_to_cpu(cmd->u.vm_copy.size);
        work = vkfd_vm_copy_work(size);
        if (!vkfd_vm_args_ok(le64_to_cpu(cmd->u.vm_copy.src), size) ||
            !vkfd_vm_args_ok(le64_to_cpu(cmd->u.vm_copy.dst), size)) {
            return "bad VM_COPY under way";
        }
        break;
    default:
        return "only VM_FILL and VM_COPY can be under way";
    }
    if (s->sched_progress >= work) {
        return "progress beyond the command";
    }
    return NULL;
}

/*
 * Migration data is input too: the ring registers must be a state the
 * device could have reached, CONTROL and STATUS agreeing; NULL if they
 * are, else what is wrong.
 */
const char *vkfd_sched_post_load(VkfdState *s)
{
    const VkfdContext *ctx;
    uint32_t i;
    bool enabled = s->status & VKFD_STATUS_ENABLED;
    bool halted = s->status & VKFD_STATUS_SCHED_HALTED;

    for (i = 0; i < s->max_contexts; i++) {
        ctx = &s->contexts[i];
        if (!ctx->mapped && (ctx->trap_tba || ctx->trap_tma)) {
            return "trap handler in an unmapped context";
        }
    }
    if (s->control & ~VKFD_CONTROL_ENABLE ||
        s->status & ~(VKFD_STATUS_ENABLED | VKFD_STATUS_SCHED_HALTED)) {
        return "unknown CONTROL or STATUS bits";
    }
    if (!!(s->control & VKFD_CONTROL_ENABLE) != enabled) {
        return "CONTROL.ENABLE and STATUS.ENABLED disagree";
    }
    if (halted && !enabled) {
        return "halted but not enabled";
    }
    if (!vkfd_status_known(s->sched_error)) {
        return "unknown scheduler error";
    }
    if (enabled && !vkfd_sched_config_ok(s)) {
        /* only a ring refused at enable has a bad geometry */
        if (!halted || s->sched_error != VKFD_ST_RING_CONFIG ||
            s->sched_rptr || s->sched_wptr || s->sched_held) {
            return "enabled ring with a bad geometry";
        }
        return NULL;
    }
    if (enabled &&
        (s->sched_rptr >= s->sched_size || s->sched_wptr >= s->sched_size ||
         (s->sched_rptr | s->sched_wptr) % VKFD_CMD_SIZE)) {
        return "ring pointers out of range";
    }
    return vkfd_sched_held_check(s);
}

static bool vkfd_sched_held_needed(void *opaque)
{
    VkfdState *s = opaque;

    return s->sched_held;
}

/* The VM_FILL/VM_COPY under way travels with the ring. */
const VMStateDescription vmstate_vkfd_sched_cmd = {
    .name = "vkfd/sched-cmd",
    .version_id = 1,
    .minimum_version_id = 1,
    .needed = vkfd_sched_held_needed,
    .fields = (VMStateField[]) {
        VMSTATE_BOOL(sched_held, VkfdState),
        VMSTATE_BUFFER_UNSAFE(sched_cmd, VkfdState, 0,
                              sizeof(struct vkfd_sched_cmd)),
        VMSTATE_UINT64(sched_progress, VkfdState),
        VMSTATE_END_OF_LIST()
    },
};

/*
 * The trap handlers travel in a subsection of their own, present only if
 * a context has one; without it, no context has one.
 */
static bool vkfd_trap_needed(void *opaque)
{
    VkfdState *s = opaque;
    uint32_t i;

    for (i = 0; i < s->max_contexts; i++) {
        if (s->contexts[i].trap_tba || s->contexts[i].trap_tma) {
            return true;
        }
    }
    return false;
}

void vkfd_trap_pre_load(VkfdState *s)
{
    uint32_t i;

    for (i = 0; i < s->max_contexts; i++) {
        s->contexts[i].trap_tba = 0;
        s->contexts[i].trap_tma = 0;
    }
}

static const VMStateDescription vmstate_vkfd_ctx_trap = {
    .name = "vkfd-context-trap",
    .version_id = 1,
    .minimum_version_id = 1,
    .fields = (VMStateField[]) {
        VMSTATE_UINT64(trap_tba, VkfdContext),
        VMSTATE_UINT64(trap_tma, VkfdContext),
        VMSTATE_END_OF_LIST()
    },
};

const VMStateDescription vmstate_vkfd_trap = {
    .name = "vkfd/trap",
    .version_id = 1,
    .minimum_version_id = 1,
    .needed = vkfd_trap_needed,
    .fields = (VMStateField[]) {
        VMSTATE_STRUCT_VARRAY_POINTER_UINT32(contexts, VkfdState,
                                             max_contexts,
                                             vmstate_vkfd_ctx_trap,
                                             VkfdContext),
        VMSTATE_END_OF_LIST()
    },
};
