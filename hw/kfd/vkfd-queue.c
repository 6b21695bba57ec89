/*
 * vkfd: a virtual AMD KFD device -- user queues
 *
 * The driver maps a queue with MAP_QUEUE on the scheduler ring: the
 * device reads the queue's memory queue descriptor (MQD) from guest
 * memory, checks it and binds the queue to a doorbell of its context.
 * From then on user space writes packets into the queue's ring, stores
 * the write pointer and rings the doorbell.
 *
 * A doorbell write puts the queue on the run list, schedules the queue
 * bottom half and, when the CPU rang it, gives the queue one short turn
 * at once (vkfd_queue_ring).  The bottom half runs the kicked
 * queues round-robin, each turn at most VKFD_QUEUE_SLICE units of work,
 * and stops after VKFD_QUEUE_BUDGET units to reschedule itself, so each
 * run costs O(work done), whatever the number of queues.  A queue whose
 * engine waits on memory (a WAIT_REG_MEM not met yet) goes on the poll
 * list instead: a timer on the virtual clock puts the whole list back on
 * the run list after a poll period that grows with the length of the
 * list.  Queues run only while the VM runs.
 *
 * UNMAP_QUEUE writes where the queue stopped and its error state back
 * into the MQD.  Without VKFD_CMD_F_PRESERVE it destroys the queue and
 * what it had in flight.  With it, the queue is preempted, as a GFX9 CP
 * with CWSR preempts one: it stays in the doorbell table, kept (off the
 * lists, its doorbell dead, no cached translations), with the work in
 * flight at rptr: an SDMA or AQL transfer's progress, the PM4 indirect
 * buffers being run, the shader dispatch with its waves.  A MAP_QUEUE of
 * the same MQD, unchanged, takes it back and it goes on from there; any
 * other MAP_QUEUE of the doorbell, a plain UNMAP_QUEUE, UNMAP_CONTEXT or
 * a reset drops it.  Migration carries every queue, mapped or kept (a
 * subsection of the device's VMState).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/cutils.h"
#include "qemu/log.h"
#include "qemu/main-loop.h"
#include "qemu/bswap.h"
#include "migration/vmstate.h"
#include "vkfd.h"
#include "trace.h"

QEMU_BUILD_BUG_ON(sizeof(struct vkfd_mqd) != 88);

/* The MQD fields UNMAP_QUEUE writes, in one piece. */
#define VKFD_MQD_STATE_OFFSET   offsetof(struct vkfd_mqd, rptr)
#define VKFD_MQD_STATE_SIZE \
    (offsetof(struct vkfd_mqd, reserved) - VKFD_MQD_STATE_OFFSET)
#define VKFD_QERR_LAST          VKFD_QERR_SHADER_ALIGN

static VkfdEngineRun *const vkfd_engines[] = {
    [VKFD_QUEUE_PM4] = vkfd_pm4_run,
    [VKFD_QUEUE_SDMA] = vkfd_sdma_run,
    [VKFD_QUEUE_AQL] = vkfd_aql_run,
};

/* The queue holding doorbell of ctx_id, mapped or preempted (kept). */
static VkfdQueue *vkfd_queue_slot(VkfdState *s, uint32_t ctx_id,
                                  uint32_t doorbell)
{
    VkfdQueue **table = s->contexts[ctx_id].queues;

    return table && doorbell < VKFD_DOORBELLS_PER_CONTEXT ? table[doorbell]
                                                          : NULL;
}

/* The queue mapped on doorbell of ctx_id: a preempted one is not. */
static VkfdQueue *vkfd_queue_find(VkfdState *s, uint32_t ctx_id,
                                  uint32_t doorbell)
{
    VkfdQueue *q = vkfd_queue_slot(s, ctx_id, doorbell);

    return q && !q->kept ? q : NULL;
}

/* Off the run or poll list, whichever q is on. */
static void vkfd_queue_unlink(VkfdState *s, VkfdQueue *q)
{
    if (q->kicked) {
        QTAILQ_REMOVE(&s->queue_run, q, link);
        q->kicked = false;
    } else if (q->polling) {
        QTAILQ_REMOVE(&s->queue_poll, q, link);
        q->polling = false;
        s->queues_polling--;
    }
}

static void vkfd_queue_make_runnable(VkfdState *s, VkfdQueue *q)
{
    if (q->kicked) {
        return;
    }
    vkfd_queue_unlink(s, q);
    QTAILQ_INSERT_TAIL(&s->queue_run, q, link);
    q->kicked = true;
}

static void vkfd_queue_poll_arm(VkfdState *s)
{
    int64_t period;

    if (!s->queues_polling || timer_pending(s->queue_timer)) {
        return;
    }
    period = (int64_t)VKFD_QUEUE_POLL_NS * (1 + s->queues_polling / 8);
    timer_mod(s->queue_timer,
              qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL) + period);
}

/* The poll period is over: every waiting queue gets to look again. */
static void vkfd_queue_poll(void *opaque)
{
    VkfdState *s = opaque;
    VkfdQueue *q;

    trace_vkfd_queue_poll(s->queues_polling);
    while ((q = QTAILQ_FIRST(&s->queue_poll))) {
        vkfd_queue_make_runnable(s, q);
    }
    if (!QTAILQ_EMPTY(&s->queue_run)) {
        qemu_bh_schedule(s->queue_bh);
    }
}

/* A run that yielded (vkfd_queue_bh) goes on. */
static void vkfd_queue_yielded(void *opaque)
{
    VkfdState *s = opaque;

    qemu_bh_schedule(s->queue_bh);
}

/*
 * One turn of q, taken off the run or poll list if it is on one, under
 * at most budget units: returns the units it cost (at least one, even
 * for a turn that found nothing) and puts q back where it belongs.
 */
static unsigned vkfd_queue_turn(VkfdState *s, VkfdQueue *q, unsigned budget)
{
    VkfdEngineStats *stats = &s->engine_stats[q->type];
    unsigned start, slice, used;
    uint64_t packets;
    bool more;

    vkfd_queue_unlink(s, q);
    start = slice = MIN(budget, VKFD_QUEUE_SLICE);
    s->cur_queue = q;
    packets = q->packets;
    more = vkfd_engines[q->type](s, q, &slice);
    stats->packets += q->packets - packets;
    stats->budget_exhausted += more;
    s->cur_queue = NULL;
    used = slice <= start ? start - slice : start;
    trace_vkfd_queue_ran(q->ctx_id, q->doorbell, q->rptr, used, more,
                         q->waiting);
    if (q->error) {
        return MAX(used, 1);
    }
    if (more || q->kicked) {
        /* q->kicked: its own doorbell rung during the run (a GPU write) */
        vkfd_queue_make_runnable(s, q);
    } else if (q->waiting) {
        QTAILQ_INSERT_TAIL(&s->queue_poll, q, link);
        q->polling = true;
        s->queues_polling++;
    }
    return MAX(used, 1);
}

/* Queues may run now: the VM runs, no migration loads, no reset waits. */
static bool vkfd_queue_may_run(VkfdState *s)
{
    return runstate_is_running() && !s->loading && !s->reset_deferred;
}

static void vkfd_queue_bh(void *opaque)
{
    VkfdState *s = opaque;
    unsigned budget = VKFD_QUEUE_BUDGET;
    VkfdBhClock clock;
    VkfdQueue *q;

    if (!runstate_is_running() || s->loading) {
        return;     /* vkfd_queue_resume() reschedules us */
    }
    vkfd_bh_clock(&clock);
    vkfd_work_begin(s);
    while (!s->reset_deferred && (q = QTAILQ_FIRST(&s->queue_run))) {
        if (!budget) {
            /*
             * More work than one run may do: go on from a timer a moment
             * later, not from an immediate bottom half.  The main loop
             * then sleeps with the BQL released, and the vCPUs waiting
             * for it (MMIO, interrupts) get it; back-to-back runs would
             * leave them only the instant between two, which an unfair
             * mutex does not hand over (a process killed while its
             * kernel loops took seconds to go).  A doorbell still
             * schedules the bottom half at once.  Host time, not the
             * guest's: it is the host CPU that is being shared.
             */
            trace_vkfd_queue_yield(q->ctx_id, q->doorbell);
            timer_mod(s->queue_yield_timer,
                      qemu_clock_get_ns(QEMU_CLOCK_REALTIME) +
                      VKFD_QUEUE_YIELD_NS);
            break;
        }
        budget -= MIN(budget, vkfd_queue_turn(s, q, budget));
    }
    vkfd_queue_poll_arm(s);
    vkfd_work_end(s);
    vkfd_bh_clock_end("queue", &clock);
}

/*
 * A CPU rang q's doorbell: give q one turn of at most VKFD_QUEUE_INLINE
 * units right here, in the vCPU's MMIO write, as a virtio device without
 * ioeventfd runs its queue in the thread that notified it.  A short
 * submission then completes before the write returns, without waiting
 * for the main loop to wake up.  The turn is bounded like any other and
 * runs under the device's re-entrancy guard (the memory core's, as for
 * the bottom half) and its work bracket; what is left stays on the run
 * list for the bottom half.
 */
static void vkfd_queue_run_inline(VkfdState *s, VkfdQueue *q)
{
    VkfdBhClock clock;

    vkfd_bh_clock(&clock);
    vkfd_work_begin(s);
    vkfd_queue_turn(s, q, VKFD_QUEUE_INLINE);
    vkfd_queue_poll_arm(s);
    vkfd_work_end(s);
    vkfd_bh_clock_end("doorbell", &clock);
}

/* The VM runs again (or a migration was loaded): run the kicked queues. */
void vkfd_queue_resume(VkfdState *s)
{
    if (!QTAILQ_EMPTY(&s->queue_run)) {
        qemu_bh_schedule(s->queue_bh);
    }
}

bool vkfd_queue_ring(VkfdState *s, uint32_t ctx_id, uint32_t doorbell,
                     uint64_t value, bool cpu)
{
    VkfdQueue *q = vkfd_queue_find(s, ctx_id, doorbell);

    if (!q) {
        return false;
    }
    if (q->error) {
        VKFD_GUEST_ERR(vkfd_err_queue_kick, "ctx %u doorbell %u: queue "
                       "stopped with error %u", ctx_id, doorbell, q->error);
        return true;
    }
    trace_vkfd_queue_kick(ctx_id, doorbell, value);
    q->doorbells++;
    s->engine_stats[q->type].doorbells++;
    /*
     * Never inside other device work: a GPU write ringing only kicks.
     * The inline turn takes q off whatever list it was on, as a turn in
     * the bottom half would, and puts it back where it belongs.
     */
    if (cpu && !s->work_depth && vkfd_queue_may_run(s)) {
        vkfd_queue_run_inline(s, q);
    } else {
        vkfd_queue_make_runnable(s, q);
    }
    if (!QTAILQ_EMPTY(&s->queue_run)) {
        qemu_bh_schedule(s->queue_bh);
    }
    return true;
}

bool vkfd_queue_kick(VkfdState *s, uint32_t ctx_id, uint32_t doorbell,
                     uint64_t value)
{
    return vkfd_queue_ring(s, ctx_id, doorbell, value, false);
}

void vkfd_queue_fail(VkfdState *s, VkfdQueue *q, uint32_t error,
                     uint32_t info, uint64_t va)
{
    if (q->error) {
        return;     /* the first error is the one to report */
    }
    VKFD_GUEST_ERR(vkfd_err_queue, "ctx %u doorbell %u rptr 0x%" PRIx64
                   ": error %u info 0x%x va 0x%" PRIx64, q->ctx_id,
                   q->doorbell, q->rptr, error, info, va);
    q->error = error;
    q->error_info = info;
    q->error_va = va;
    q->waiting = false;
    vkfd_queue_unlink(s, q);
    vkfd_ih_post(s, VKFD_IH_SRC_QUEUE_ERROR, q->ctx_id, error, q->doorbell,
                 va, info);
}

/* Everything MAP_QUEUE and a migration check in a queue's geometry. */
static const char *vkfd_queue_check(VkfdState *s, const VkfdQueue *q)
{
    if (q->type >= ARRAY_SIZE(vkfd_engines)) {
        return "unknown queue type";
    }
    if (q->doorbell >= VKFD_DOORBELLS_PER_CONTEXT) {
        return "doorbell out of range";
    }
    if (!is_power_of_2(q->ring_size) || q->ring_size < VKFD_QUEUE_RING_MIN ||
        q->ring_size > VKFD_QUEUE_RING_MAX) {
        return "ring size not a power of two in 256 B..1 GiB";
    }
    if ((q->ring_base % VKFD_QUEUE_RING_MIN) ||
        q->ring_base >= VKFD_VA_END ||
        q->ring_base + q->ring_size > VKFD_VA_END) {
        return "ring base unaligned or beyond 48 bits";
    }
    if ((q->rptr_addr | q->wptr_addr) % 8 ||
        q->rptr_addr >= VKFD_VA_END || q->wptr_addr >= VKFD_VA_END) {
        return "rptr/wptr address unaligned or beyond 48 bits";
    }
    if (q->error > VKFD_QERR_LAST) {
        return "unknown error state";
    }
    return NULL;
}

static void vkfd_queue_insert(VkfdState *s, VkfdQueue *q)
{
    VkfdContext *ctx = &s->contexts[q->ctx_id];

    if (!ctx->queues) {
        ctx->queues = g_new0(VkfdQueue *, VKFD_DOORBELLS_PER_CONTEXT);
    }
    ctx->queues[q->doorbell] = q;
    ctx->num_queues++;
    s->live_queues++;
    if (q->kept) {
        ctx->num_kept++;
        s->kept_queues++;
    }
}

/* The queue's cached translations: gone with it, never migrated. */
static void vkfd_queue_drop_xlat(VkfdQueue *q)
{
    vkfd_vm_cache_drop(&q->wptr_xc);
    vkfd_vm_cache_drop(&q->rptr_xc);
    vkfd_vm_cache_drop(&q->ring_xc);
    vkfd_vm_cache_drop(&q->ring_wxc);
    vkfd_vm_cache_drop(&q->data_xc);
    vkfd_vm_cache_drop(&q->data_rxc);
}

static void vkfd_queue_free(VkfdState *s, VkfdQueue *q)
{
    VkfdContext *ctx = &s->contexts[q->ctx_id];

    vkfd_queue_unlink(s, q);
    vkfd_sh_drop(q);
    vkfd_queue_drop_xlat(q);
    if (q->kept) {
        ctx->num_kept--;
        s->kept_queues--;
    }
    ctx->queues[q->doorbell] = NULL;
    if (!--ctx->num_queues) {
        g_free(ctx->queues);
        ctx->queues = NULL;
    }
    s->live_queues--;
    g_free(q);
}

/* An MQD address: 8-byte aligned, not 0, the whole MQD below 2^64. */
static bool vkfd_mqd_addr_ok(uint64_t addr)
{
    return addr && !(addr % 8) && addr <= UINT64_MAX - sizeof(struct vkfd_mqd);
}

/* Is there work in flight at rptr (what a preemption keeps)? */
static bool vkfd_queue_in_flight(const VkfdQueue *q)
{
    return q->progress || q->ib_depth || q->sh || q->waiting;
}

/*
 * Preempt q: off the lists and its doorbell, its cached translations
 * dropped (the page tables may change before it runs again), everything
 * else kept as it is.
 */
static void vkfd_queue_keep(VkfdState *s, VkfdQueue *q)
{
    VkfdContext *ctx = &s->contexts[q->ctx_id];

    vkfd_queue_unlink(s, q);
    vkfd_queue_drop_xlat(q);
    q->kept = true;
    ctx->num_kept++;
    s->kept_queues++;
    trace_vkfd_queue_preempt(q->ctx_id, q->doorbell, q->rptr, q->progress,
                             q->ib_depth, q->sh != NULL, q->error,
                             s->kept_queues);
}

/*
 * Why the preempted queue k may not be resumed by a MAP_QUEUE of the
 * MQD at mqd_addr that reads as q, or NULL if it may: the work kept is
 * that of the packet at k->rptr in k's ring, and nothing else.
 */
static const char *vkfd_queue_kept_differs(const VkfdQueue *k,
                                           const VkfdQueue *q,
                                           uint64_t mqd_addr)
{
    if (k->mqd_addr != mqd_addr) {
        return "another MQD";
    }
    if (k->type != q->type || k->ring_base != q->ring_base ||
        k->ring_size != q->ring_size) {
        return "the ring changed";
    }
    if (k->rptr != q->rptr || k->error != q->error ||
        k->error_info != q->error_info || k->error_va != q->error_va) {
        return "the MQD's saved state changed";
    }
    return NULL;
}

/*
 * MAP_QUEUE of the MQD a preempted k was mapped from: k runs again from
 * where it stopped.  The read and write pointer addresses may have
 * moved (they are not part of the work kept).
 */
static void vkfd_queue_resume_kept(VkfdState *s, VkfdQueue *k,
                                   const VkfdQueue *q)
{
    VkfdContext *ctx = &s->contexts[k->ctx_id];

    k->kept = false;
    ctx->num_kept--;
    s->kept_queues--;
    k->queue_id = q->queue_id;
    k->rptr_addr = q->rptr_addr;
    k->wptr_addr = q->wptr_addr;
    trace_vkfd_queue_resume(k->ctx_id, k->doorbell, k->queue_id, k->rptr,
                            k->progress, k->ib_depth, k->sh != NULL,
                            s->kept_queues);
    if (!k->error) {
        /* what was in flight goes on, and what was written meanwhile */
        vkfd_queue_make_runnable(s, k);
        qemu_bh_schedule(s->queue_bh);
    }
}

uint32_t vkfd_queue_map(VkfdState *s, uint32_t ctx_id,
                        const struct vkfd_cmd_map_queue *mq,
                        const char **why)
{
    uint64_t mqd_addr = le64_to_cpu(mq->mqd_addr);
    struct vkfd_mqd mqd;
    VkfdQueue q = { .ctx_id = ctx_id }, *nq, *old;
    const char *differs;
    unsigned i;

    if (mq->reserved) {
        *why = "reserved field not zero";
        return VKFD_ST_BAD_ARGUMENT;
    }
    if (!vkfd_mqd_addr_ok(mqd_addr)) {
        *why = "MQD address zero, unaligned or wrapping";
        return VKFD_ST_BAD_MQD;
    }
    if (!vkfd_dma_read(s, mqd_addr, &mqd, sizeof(mqd))) {
        *why = "MQD not readable guest RAM";
        return VKFD_ST_BAD_MQD;
    }
    for (i = 0; i < ARRAY_SIZE(mqd.reserved); i++) {
        if (mqd.reserved[i]) {
            *why = "MQD reserved field not zero";
            return VKFD_ST_BAD_MQD;
        }
    }
    if (le32_to_cpu(mqd.flags) & ~VKFD_MQD_F_CHECK_WPTR) {
        *why = "MQD reserved flags not zero";
        return VKFD_ST_BAD_MQD;
    }
    q.queue_id = le32_to_cpu(mq->queue_id);
    q.type = le32_to_cpu(mqd.type);
    q.doorbell = le32_to_cpu(mqd.doorbell);
    q.ring_base = le64_to_cpu(mqd.ring_base);
    q.ring_size = le32_to_cpu(mqd.ring_size);
    q.rptr_addr = le64_to_cpu(mqd.rptr_addr);
    q.wptr_addr = le64_to_cpu(mqd.wptr_addr);
    /* the state an UNMAP_QUEUE saved, or zeroes for a new queue */
    q.rptr = le64_to_cpu(mqd.rptr);
    q.error = le32_to_cpu(mqd.error);
    q.error_info = le32_to_cpu(mqd.error_info);
    q.error_va = le64_to_cpu(mqd.error_va);
    *why = vkfd_queue_check(s, &q);
    if (*why) {
        return VKFD_ST_BAD_MQD;
    }
    old = vkfd_queue_slot(s, ctx_id, q.doorbell);
    if (old && !old->kept) {
        *why = "doorbell already has a queue";
        return VKFD_ST_QUEUE_EXISTS;
    }
    if (old) {
        /* preempted: resume it, or (nothing can fail now) drop it */
        differs = vkfd_queue_kept_differs(old, &q, mqd_addr);
        if (!differs) {
            vkfd_queue_resume_kept(s, old, &q);
            return VKFD_ST_OK;
        }
        trace_vkfd_queue_kept_drop(ctx_id, q.doorbell, old->rptr,
                                   vkfd_queue_in_flight(old), differs);
        vkfd_queue_free(s, old);
    }
    if (s->live_queues >= s->max_queues) {
        *why = "device queue limit (max-queues) reached";
        return VKFD_ST_NO_RESOURCES;
    }
    q.mqd_addr = mqd_addr;
    nq = g_memdup2(&q, sizeof(q));
    vkfd_queue_insert(s, nq);
    trace_vkfd_queue_map(ctx_id, nq->doorbell, nq->queue_id, nq->type,
                         nq->ring_base, nq->ring_size, nq->rptr,
                         s->live_queues);
    if (le32_to_cpu(mqd.flags) & VKFD_MQD_F_CHECK_WPTR) {
        /* pick up what was written while the queue was not mapped */
        vkfd_queue_kick(s, ctx_id, nq->doorbell, 0);
    }
    return VKFD_ST_OK;
}

uint32_t vkfd_queue_unmap(VkfdState *s, uint32_t ctx_id,
                          const struct vkfd_cmd_unmap_queue *uq,
                          bool preserve, const char **why)
{
    uint64_t mqd_addr = le64_to_cpu(uq->mqd_addr);
    uint32_t doorbell = le32_to_cpu(uq->doorbell);
    struct vkfd_mqd mqd;
    VkfdQueue *q;

    if (uq->reserved) {
        *why = "reserved field not zero";
        return VKFD_ST_BAD_ARGUMENT;
    }
    q = vkfd_queue_slot(s, ctx_id, doorbell);
    if (!q || (q->kept && preserve)) {
        *why = q ? "queue already preempted" : "no queue on this doorbell";
        return VKFD_ST_NO_QUEUE;
    }
    /*
     * Check the MQD first, so that a failed UNMAP_QUEUE changes nothing:
     * the write-back goes to guest RAM or nowhere.
     */
    if (!vkfd_mqd_addr_ok(mqd_addr) ||
        !vkfd_dma_ok(s, mqd_addr + VKFD_MQD_STATE_OFFSET,
                     VKFD_MQD_STATE_SIZE, true)) {
        *why = "MQD address zero, unaligned, wrapping or not guest RAM";
        return VKFD_ST_BAD_MQD;
    }
    mqd.rptr = cpu_to_le64(q->rptr);
    mqd.error = cpu_to_le32(q->error);
    mqd.error_info = cpu_to_le32(q->error_info);
    mqd.error_va = cpu_to_le64(q->error_va);
    if (!vkfd_dma_write(s, mqd_addr + VKFD_MQD_STATE_OFFSET, &mqd.rptr,
                        VKFD_MQD_STATE_SIZE)) {
        *why = "MQD write failed";
        return VKFD_ST_BAD_MQD;
    }
    if (preserve) {
        vkfd_queue_keep(s, q);
        return VKFD_ST_OK;
    }
    if (q->kept) {
        trace_vkfd_queue_kept_drop(ctx_id, doorbell, q->rptr,
                                   vkfd_queue_in_flight(q),
                                   "UNMAP_QUEUE");
    }
    trace_vkfd_queue_unmap(ctx_id, doorbell, q->rptr, q->error,
                           s->live_queues - 1);
    vkfd_queue_free(s, q);
    return VKFD_ST_OK;
}

/* UNMAP_CONTEXT: the context's preempted queues go with it. */
void vkfd_queue_drop_kept(VkfdState *s, uint32_t ctx_id)
{
    VkfdContext *ctx = &s->contexts[ctx_id];
    uint32_t d;
    VkfdQueue *q;

    for (d = 0; ctx->queues && d < VKFD_DOORBELLS_PER_CONTEXT; d++) {
        q = ctx->queues[d];
        if (q && q->kept) {
            trace_vkfd_queue_kept_drop(ctx_id, d, q->rptr,
                                       vkfd_queue_in_flight(q),
                                       "UNMAP_CONTEXT");
            vkfd_queue_free(s, q);  /* the last one frees the table */
        }
    }
}

/* The migration array and the shader dispatches serialized in it */
static void vkfd_queues_mig_free(VkfdState *s)
{
    int32_t i;

    for (i = 0; s->mig_queues && i < s->mig_nqueues; i++) {
        g_free(s->mig_queues[i].sh_blob);
    }
    g_free(s->mig_queues);
    s->mig_queues = NULL;
    s->mig_nqueues = 0;
}

/* Forget every queue (reset, or before a migration loads its own). */
void vkfd_queue_reset(VkfdState *s)
{
    uint32_t c, d;
    VkfdContext *ctx;

    qemu_bh_cancel(s->queue_bh);
    timer_del(s->queue_timer);
    timer_del(s->queue_yield_timer);
    for (c = 0; c < s->max_contexts && s->live_queues; c++) {
        ctx = &s->contexts[c];
        for (d = 0; ctx->queues && d < VKFD_DOORBELLS_PER_CONTEXT; d++) {
            if (ctx->queues[d]) {
                vkfd_queue_free(s, ctx->queues[d]);
            }
        }
    }
    assert(!s->live_queues && !s->kept_queues && !s->queues_polling);
    assert(QTAILQ_EMPTY(&s->queue_run) && QTAILQ_EMPTY(&s->queue_poll));
    /* and a migration's array of them, if one was being loaded */
    vkfd_queues_mig_free(s);
}

void vkfd_queue_realize(VkfdState *s)
{
    QTAILQ_INIT(&s->queue_run);
    QTAILQ_INIT(&s->queue_poll);
    s->queue_bh = qemu_bh_new_guarded(vkfd_queue_bh, s,
                                      &DEVICE(s)->mem_reentrancy_guard);
    s->queue_timer = timer_new_ns(QEMU_CLOCK_VIRTUAL, vkfd_queue_poll, s);
    s->queue_yield_timer = timer_new_ns(QEMU_CLOCK_REALTIME,
                                        vkfd_queue_yielded, s);
}

void vkfd_queue_exit(VkfdState *s)
{
    vkfd_queue_reset(s);
    timer_free(s->queue_timer);
    timer_free(s->queue_yield_timer);
    qemu_bh_delete(s->queue_bh);
}

/*
 * Migration: the queues, mapped and preempted, travel as a flat array in
 * a subsection, present only when there are queues.
 */
static bool vkfd_queues_needed(void *opaque)
{
    VkfdState *s = opaque;

    return s->live_queues > 0;
}

static int vkfd_queues_pre_save(void *opaque)
{
    VkfdState *s = opaque;
    uint32_t c, d, n = 0;
    VkfdContext *ctx;
    VkfdQueue *q;

    vkfd_queues_mig_free(s);
    s->mig_queues = g_new0(VkfdQueue, s->live_queues);
    for (c = 0; c < s->max_contexts; c++) {
        ctx = &s->contexts[c];
        for (d = 0; ctx->queues && d < VKFD_DOORBELLS_PER_CONTEXT; d++) {
            if (ctx->queues[d]) {
                q = &s->mig_queues[n++];
                *q = *ctx->queues[d];
                /* a copy for the stream: it holds no references */
                memset(&q->wptr_xc, 0, sizeof(q->wptr_xc));
                memset(&q->rptr_xc, 0, sizeof(q->rptr_xc));
                memset(&q->ring_xc, 0, sizeof(q->ring_xc));
                memset(&q->ring_wxc, 0, sizeof(q->ring_wxc));
                memset(&q->data_xc, 0, sizeof(q->data_xc));
                memset(&q->data_rxc, 0, sizeof(q->data_rxc));
                /* a shader dispatch in flight goes along, waves and all */
                q->sh_blob = q->sh ? vkfd_sh_save(q, &q->sh_blob_len) : NULL;
                q->sh_blob_len = q->sh ? q->sh_blob_len : 0;
            }
        }
    }
    assert(n == s->live_queues);
    s->mig_nqueues = n;
    return 0;
}

static int vkfd_queues_post_save(void *opaque)
{
    VkfdState *s = opaque;

    vkfd_queues_mig_free(s);
    return 0;
}

static bool vkfd_queues_count_ok(void *opaque, int version_id)
{
    VkfdState *s = opaque;

    return s->mig_nqueues >= 0 && s->mig_nqueues <= s->max_queues;
}

int vkfd_queue_pre_load(VkfdState *s)
{
    vkfd_queue_reset(s);
    return 0;
}

/*
 * After the contexts are loaded and checked: rebuild the doorbell tables
 * from the array, refusing what MAP_QUEUE would have refused, and give
 * every healthy queue a kick (the run and poll lists are not migrated).
 */
int vkfd_queue_post_load(VkfdState *s)
{
    VkfdQueue *q;
    int32_t i;
    int ret = 0;

    for (i = 0; i < s->mig_nqueues; i++) {
        q = &s->mig_queues[i];
        if (q->ctx_id == VKFD_KERNEL_CONTEXT || q->ctx_id >= s->max_contexts ||
            !s->contexts[q->ctx_id].mapped || vkfd_queue_check(s, q) ||
            vkfd_queue_slot(s, q->ctx_id, q->doorbell) ||
            (q->mqd_addr && !vkfd_mqd_addr_ok(q->mqd_addr)) ||
            (q->kept && !q->mqd_addr)) {
            ret = -EINVAL;
            break;
        }
        q = g_memdup2(q, sizeof(*q));
        q->kicked = q->polling = false;
        q->sh = NULL;
        q->sh_blob = NULL;
        vkfd_queue_insert(s, q);
        if (s->mig_queues[i].sh_blob &&
            !vkfd_sh_load(s, q, s->mig_queues[i].sh_blob,
                          s->mig_queues[i].sh_blob_len)) {
            ret = -EINVAL;
            break;
        }
        if (!q->error && !q->kept) {
            vkfd_queue_make_runnable(s, q);
        }
    }
    vkfd_queues_mig_free(s);
    if (ret) {
        vkfd_queue_reset(s);
    }
    return ret;
}

/* PM4 queues: the COMPUTE_* registers SET_SH_REG wrote, if any */
static bool vkfd_queue_cs_regs_needed(void *opaque)
{
    VkfdQueue *q = opaque;

    return !buffer_is_zero(q->cs_regs, sizeof(q->cs_regs));
}

static const VMStateDescription vmstate_vkfd_queue_cs_regs = {
    .name = "vkfd-queue/cs-regs",
    .version_id = 1,
    .minimum_version_id = 1,
    .needed = vkfd_queue_cs_regs_needed,
    .fields = (VMStateField[]) {
        VMSTATE_UINT32_ARRAY(cs_regs, VkfdQueue, VKFD_CS_REGS),
        VMSTATE_END_OF_LIST()
    },
};

/* A shader dispatch in flight (vkfd_sh_save), if any */
static bool vkfd_queue_shader_needed(void *opaque)
{
    VkfdQueue *q = opaque;

    return q->sh_blob_len > 0;
}

static bool vkfd_queue_shader_len_ok(void *opaque, int version_id)
{
    VkfdQueue *q = opaque;

    return q->sh_blob_len > 0 && q->sh_blob_len <= VKFD_SH_SAVE_MAX;
}

static const VMStateDescription vmstate_vkfd_queue_shader = {
    .name = "vkfd-queue/shader",
    .version_id = 1,
    .minimum_version_id = 1,
    .needed = vkfd_queue_shader_needed,
    .fields = (VMStateField[]) {
        VMSTATE_UINT32(sh_blob_len, VkfdQueue),
        VMSTATE_VALIDATE("shader state size", vkfd_queue_shader_len_ok),
        VMSTATE_VBUFFER_ALLOC_UINT32(sh_blob, VkfdQueue, 0, NULL,
                                     sh_blob_len),
        VMSTATE_END_OF_LIST()
    },
};

/*
 * Where the queue's MQD is, and whether it is preempted: absent from an
 * older stream, whose queues then never resume kept work (no MQD
 * address matches 0) and are all mapped.
 */
static bool vkfd_queue_preempt_needed(void *opaque)
{
    VkfdQueue *q = opaque;

    return q->mqd_addr || q->kept;
}

static const VMStateDescription vmstate_vkfd_queue_preempt = {
    .name = "vkfd-queue/preempt",
    .version_id = 1,
    .minimum_version_id = 1,
    .needed = vkfd_queue_preempt_needed,
    .fields = (VMStateField[]) {
        VMSTATE_UINT64(mqd_addr, VkfdQueue),
        VMSTATE_BOOL(kept, VkfdQueue),
        VMSTATE_END_OF_LIST()
    },
};

/*
 * The loaded array is not zeroed: clear each queue first, so that what
 * is not in the stream (an absent subsection's fields) reads as zero.
 */
static int vkfd_queue_elem_pre_load(void *opaque)
{
    memset(opaque, 0, sizeof(VkfdQueue));
    return 0;
}

static const VMStateDescription vmstate_vkfd_queue = {
    .name = "vkfd-queue",
    .version_id = 1,
    .minimum_version_id = 1,
    .pre_load = vkfd_queue_elem_pre_load,
    .fields = (VMStateField[]) {
        VMSTATE_UINT32(ctx_id, VkfdQueue),
        VMSTATE_UINT32(doorbell, VkfdQueue),
        VMSTATE_UINT32(queue_id, VkfdQueue),
        VMSTATE_UINT32(type, VkfdQueue),
        VMSTATE_UINT64(ring_base, VkfdQueue),
        VMSTATE_UINT32(ring_size, VkfdQueue),
        VMSTATE_UINT64(rptr_addr, VkfdQueue),
        VMSTATE_UINT64(wptr_addr, VkfdQueue),
        VMSTATE_UINT64(rptr, VkfdQueue),
        VMSTATE_UINT32(error, VkfdQueue),
        VMSTATE_UINT32(error_info, VkfdQueue),
        VMSTATE_UINT64(error_va, VkfdQueue),
        VMSTATE_UINT64(progress, VkfdQueue),
        VMSTATE_BOOL(waiting, VkfdQueue),
        VMSTATE_UINT32(ib_depth, VkfdQueue),
        VMSTATE_UINT64_ARRAY(ib_base, VkfdQueue, VKFD_PM4_IB_LEVELS),
        VMSTATE_UINT32_ARRAY(ib_size, VkfdQueue, VKFD_PM4_IB_LEVELS),
        VMSTATE_UINT32_ARRAY(ib_pos, VkfdQueue, VKFD_PM4_IB_LEVELS),
        VMSTATE_END_OF_LIST()
    },
    .subsections = (const VMStateDescription * []) {
        &vmstate_vkfd_queue_cs_regs,
        &vmstate_vkfd_queue_shader,
        &vmstate_vkfd_queue_preempt,
        NULL
    },
};

const VMStateDescription vmstate_vkfd_queues = {
    .name = "vkfd/queues",
    .version_id = 1,
    .minimum_version_id = 1,
    .needed = vkfd_queues_needed,
    .pre_save = vkfd_queues_pre_save,
    .post_save = vkfd_queues_post_save,
    .fields = (VMStateField[]) {
        VMSTATE_INT32(mig_nqueues, VkfdState),
        VMSTATE_VALIDATE("queue count within max-queues",
                         vkfd_queues_count_ok),
        VMSTATE_STRUCT_VARRAY_ALLOC(mig_queues, VkfdState, mig_nqueues, 1,
                                    vmstate_vkfd_queue, VkfdQueue),
        VMSTATE_END_OF_LIST()
    },
};
