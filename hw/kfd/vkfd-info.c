/*
 * vkfd: a virtual AMD KFD device -- live state for the monitor
 *
 * Read-only QOM properties that show what the device holds right now:
 * its contexts, its queues and their pointers, the IH ring, the VM
 * fault latch, the scheduler ring, and counters of each engine and of
 * the shader core.  Each property is a structure or a list, so that
 * qom-get over QMP answers with JSON objects; "state" has all of them
 * in one answer.  scripts/vkfd-info prints it; docs/monitor.md
 * describes the fields.
 *
 * Getters run in the main loop under the BQL, as the device's bottom
 * halves do, so they never see a queue half-way through a run.  They
 * only look: no TLB fill, no fault latched, no CLOCK latch, no IH or
 * interrupt; a queue's write pointer is read from guest memory with a
 * plain page-table walk (nothing when it is not RAM or VRAM).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qapi/visitor.h"
#include "vkfd.h"

QEMU_BUILD_BUG_ON(VKFD_QUEUE_AQL + 1 != VKFD_ENGINES);

static const char *const vkfd_engine_names[VKFD_ENGINES] = {
    [VKFD_QUEUE_PM4] = "pm4",
    [VKFD_QUEUE_SDMA] = "sdma",
    [VKFD_QUEUE_AQL] = "aql",
};

/* Members of a structure being visited; the output visitor cannot fail. */
static void info_u64(Visitor *v, const char *name, uint64_t val)
{
    visit_type_uint64(v, name, &val, &error_abort);
}

static void info_bool(Visitor *v, const char *name, bool val)
{
    visit_type_bool(v, name, &val, &error_abort);
}

static void info_str(Visitor *v, const char *name, const char *val)
{
    char *s = (char *)val;

    visit_type_str(v, name, &s, &error_abort);
}

static void info_begin(Visitor *v, const char *name)
{
    visit_start_struct(v, name, NULL, 0, &error_abort);
}

static void info_end(Visitor *v)
{
    visit_check_struct(v, &error_abort);
    visit_end_struct(v, NULL);
}

/* A list whose elements the caller visits with a NULL name. */
static void info_list_begin(Visitor *v, const char *name)
{
    visit_start_list(v, name, NULL, 0, &error_abort);
}

static void info_list_end(Visitor *v)
{
    visit_end_list(v, NULL);
}

/*
 * The 64-bit value at GPU VA va of a context, by walking its tables
 * without the TLB and without latching a fault: false when the VA does
 * not lead to guest RAM or VRAM.
 */
static bool vkfd_info_peek64(VkfdState *s, uint32_t ctx_id, uint64_t va,
                             uint64_t *val)
{
    const VkfdContext *ctx = &s->contexts[ctx_id];
    uint64_t pte, target, le;
    const char *why;
    unsigned sh;

    if (!ctx->mapped || !ctx->pt_base || va >= VKFD_VA_END || (va & 7) ||
        !vkfd_vm_walk(s, ctx_id, ctx->pt_base, va, &pte, &sh, &why)) {
        return false;
    }
    target = (pte & VKFD_PTE_ADDR_MASK) + (va & ((1ull << sh) - 1));
    if (pte & VKFD_PTE_SYSTEM) {
        if (vkfd_ram_extent(s, target, 8, false) < 8 ||
            pci_dma_read(&s->parent_obj, target, &le, 8) != MEMTX_OK) {
            return false;
        }
    } else {
        if (s->vram_size < 8 || target > s->vram_size - 8) {
            return false;
        }
        memcpy(&le, (uint8_t *)memory_region_get_ram_ptr(&s->vram) + target,
               8);
    }
    *val = le64_to_cpu(le);
    return true;
}

static const char *vkfd_info_queue_state(const VkfdState *s,
                                         const VkfdQueue *q)
{
    if (q->error) {
        return "stopped";
    }
    if (q == s->cur_queue) {
        return "running";   /* not seen from the monitor: kept for safety */
    }
    if (q->waiting) {
        return "waiting";
    }
    return q->kicked ? "runnable" : "idle";
}

static void vkfd_info_queue(Visitor *v, VkfdState *s, const VkfdQueue *q)
{
    uint64_t wptr;

    info_begin(v, NULL);
    info_u64(v, "context", q->ctx_id);
    info_u64(v, "doorbell", q->doorbell);
    info_u64(v, "queue-id", q->queue_id);
    info_str(v, "engine", q->type < VKFD_ENGINES ?
                          vkfd_engine_names[q->type] : "?");
    info_u64(v, "ring-base", q->ring_base);
    info_u64(v, "ring-size", q->ring_size);
    info_u64(v, "rptr", q->rptr);
    if (vkfd_info_peek64(s, q->ctx_id, q->wptr_addr, &wptr)) {
        info_u64(v, "wptr", wptr);
    }
    info_u64(v, "rptr-addr", q->rptr_addr);
    info_u64(v, "wptr-addr", q->wptr_addr);
    info_str(v, "state", vkfd_info_queue_state(s, q));
    info_u64(v, "error", q->error);
    info_u64(v, "error-info", q->error_info);
    info_u64(v, "error-va", q->error_va);
    info_u64(v, "progress", q->progress);
    info_u64(v, "ib-depth", q->ib_depth);
    info_bool(v, "dispatch", q->sh != NULL);
    info_u64(v, "packets", q->packets);
    info_u64(v, "doorbells", q->doorbells);
    info_end(v);
}

static void vkfd_info_queues(Visitor *v, const char *name, VkfdState *s)
{
    uint32_t c, d;

    info_list_begin(v, name);
    for (c = 0; c < s->max_contexts; c++) {
        VkfdQueue **table = s->contexts[c].queues;

        for (d = 0; table && d < VKFD_DOORBELLS_PER_CONTEXT; d++) {
            if (table[d]) {
                vkfd_info_queue(v, s, table[d]);
            }
        }
    }
    info_list_end(v);
}

static void vkfd_info_contexts(Visitor *v, const char *name, VkfdState *s)
{
    const VkfdContext *ctx;
    uint64_t tlb_used, d;
    uint32_t c, i;

    info_list_begin(v, name);
    for (c = 0; c < s->max_contexts; c++) {
        ctx = &s->contexts[c];
        if (!ctx->mapped) {
            continue;
        }
        tlb_used = 0;
        for (i = 0; s->tlbs[c] && i < VKFD_TLB_ENTRIES; i++) {
            tlb_used += s->tlbs[c]->e[i].tag != 0;
        }
        info_begin(v, NULL);
        info_u64(v, "id", c);
        info_u64(v, "page-table-base", ctx->pt_base);
        info_u64(v, "tlb-hits", ctx->tlb_hits);
        info_u64(v, "tlb-misses", ctx->tlb_misses);
        info_u64(v, "tlb-entries", tlb_used);
        info_u64(v, "trap-tba", ctx->trap_tba);
        info_u64(v, "trap-tma", ctx->trap_tma);
        info_list_begin(v, "queues");
        for (d = 0; ctx->queues && d < VKFD_DOORBELLS_PER_CONTEXT; d++) {
            if (ctx->queues[d]) {
                info_u64(v, NULL, d);
            }
        }
        info_list_end(v);
        info_end(v);
    }
    info_list_end(v);
}

static void vkfd_info_engines(Visitor *v, const char *name, VkfdState *s)
{
    const VkfdEngineStats *e;
    unsigned i;

    info_begin(v, name);
    for (i = 0; i < VKFD_ENGINES; i++) {
        e = &s->engine_stats[i];
        info_begin(v, vkfd_engine_names[i]);
        info_u64(v, "doorbells", e->doorbells);
        info_u64(v, "packets", e->packets);
        info_u64(v, "bytes", e->bytes);
        info_u64(v, "interrupts", e->interrupts);
        info_u64(v, "budget-exhaustions", e->budget_exhausted);
        info_end(v);
    }
    info_end(v);
}

static void vkfd_info_shader(Visitor *v, const char *name, VkfdState *s)
{
    info_begin(v, name);
    info_u64(v, "dispatches", s->sh_dispatches);
    info_u64(v, "waves", s->sh_waves);
    info_u64(v, "wave-instructions", s->sh_insns);
    info_end(v);
}

static void vkfd_info_ih(Visitor *v, const char *name, VkfdState *s)
{
    info_begin(v, name);
    info_bool(v, "enabled", s->ih_cntl & VKFD_IH_CNTL_ENABLE);
    info_u64(v, "base", s->ih_base);
    info_u64(v, "size", s->ih_size);
    info_u64(v, "rptr", s->ih_rptr);
    info_u64(v, "wptr", s->ih_wptr);
    info_u64(v, "status", s->ih_status);
    info_u64(v, "overflows", s->ih_overflows);
    info_u64(v, "entries", s->ih_seq);
    info_bool(v, "rptr-rearm", s->ih_cntl & VKFD_IH_CNTL_RPTR_REARM);
    info_bool(v, "disarmed", s->ih_disarmed);
    info_u64(v, "messages", s->ih_messages);
    info_end(v);
}

static void vkfd_info_vm_fault(Visitor *v, const char *name, VkfdState *s)
{
    info_begin(v, name);
    info_bool(v, "valid", s->vm_fault_status & VKFD_VM_FAULT_VALID);
    info_bool(v, "write", s->vm_fault_status & VKFD_VM_FAULT_WRITE);
    info_bool(v, "multiple", s->vm_fault_status & VKFD_VM_FAULT_MULTIPLE);
    info_bool(v, "protection",
              s->vm_fault_status & VKFD_VM_FAULT_PROTECTION);
    info_u64(v, "context", s->vm_fault_ctx);
    info_u64(v, "address", s->vm_fault_addr);
    info_u64(v, "count", s->vm_fault_count);
    info_u64(v, "last-va", s->vm_last_fault_va);
    info_end(v);
}

static void vkfd_info_sched(Visitor *v, const char *name, VkfdState *s)
{
    info_begin(v, name);
    info_bool(v, "enabled", s->status & VKFD_STATUS_ENABLED);
    info_bool(v, "halted", s->status & VKFD_STATUS_SCHED_HALTED);
    info_u64(v, "base", s->sched_base);
    info_u64(v, "size", s->sched_size);
    info_u64(v, "rptr", s->sched_rptr);
    info_u64(v, "wptr", s->sched_wptr);
    info_u64(v, "completed", s->sched_completed);
    info_u64(v, "error", s->sched_error);
    info_u64(v, "live-contexts", s->live_contexts);
    info_u64(v, "live-queues", s->live_queues);
    info_u64(v, "preempted-queues", s->kept_queues);
    info_end(v);
}

typedef void VkfdInfoPart(Visitor *v, const char *name, VkfdState *s);

typedef struct VkfdInfoPartDesc {
    const char *name;
    VkfdInfoPart *visit;
    const char *desc;
} VkfdInfoPartDesc;

static const VkfdInfoPartDesc vkfd_info_parts[] = {
    { "engines", vkfd_info_engines,
      "per engine: doorbells, packets, bytes, interrupts, budget-exhaustions" },
    { "shader", vkfd_info_shader,
      "shader core: dispatches, waves, wave-instructions" },
    { "contexts", vkfd_info_contexts,
      "mapped contexts: page-table base, TLB hits/misses, queues" },
    { "queues", vkfd_info_queues,
      "mapped queues: engine, ring, rptr, wptr, state, error, packets" },
    { "ih", vkfd_info_ih,
      "the IH ring: base, size, rptr, wptr, overflows, entries posted" },
    { "vm-fault", vkfd_info_vm_fault, "the VM fault latch" },
    { "scheduler", vkfd_info_sched, "the scheduler ring" },
};

static void vkfd_info_get(Object *obj, Visitor *v, const char *name,
                          void *opaque, Error **errp)
{
    const VkfdInfoPartDesc *part = opaque;

    part->visit(v, name, VKFD(obj));
}

/* Every part in one answer, taken at one instant. */
static void vkfd_info_get_all(Object *obj, Visitor *v, const char *name,
                              void *opaque, Error **errp)
{
    unsigned i;

    info_begin(v, name);
    for (i = 0; i < ARRAY_SIZE(vkfd_info_parts); i++) {
        vkfd_info_parts[i].visit(v, vkfd_info_parts[i].name, VKFD(obj));
    }
    info_end(v);
}

void vkfd_info_class_init(ObjectClass *oc)
{
    ObjectProperty *op;
    unsigned i;

    for (i = 0; i < ARRAY_SIZE(vkfd_info_parts); i++) {
        op = object_class_property_add(oc, vkfd_info_parts[i].name,
                                       "vkfd-info", vkfd_info_get, NULL,
                                       NULL, (void *)&vkfd_info_parts[i]);
        object_class_property_set_description(oc, vkfd_info_parts[i].name,
                                              vkfd_info_parts[i].desc);
        g_assert(op);
    }
    object_class_property_add(oc, "state", "vkfd-info", vkfd_info_get_all,
                              NULL, NULL, NULL);
    object_class_property_set_description(oc, "state",
                                          "all of the live state (read-only)");
}
