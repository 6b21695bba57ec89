/*
 * QTest for vkfd's live state (hw/kfd/vkfd-info.c): every read-only QOM
 * property read through QMP qom-get, checked against what the test set
 * up and ran, while queues run and while they are stopped; reading never
 * changes what the device holds.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qapi/qmp/qlist.h"
#include "qapi/qmp/qnum.h"
#include "qapi/qmp/qstring.h"
#include "qapi/qmp/qbool.h"
#include "vkfd-qtest-util.h"

#define CTX             1
#define VRAM_SIZE       (32 * MIB)
#define VA_VRAM         (1ull << 32)    /* VRAM offset 0, writable */
#define VA_HOLE         (7ull << 32)    /* nothing mapped */
#define DEV_PATH        "/machine/peripheral/gpu0"
#define IH_SIZE         0x1000u
#define BIG_COPY        (4 * MIB)       /* one COPY_LINEAR at its maximum */
#define BIG_COPIES      48

/* the smallest kernel: s_endpgm, in 64-lane waves */
#define S_ENDPGM            0xbf810000u
#define KD_ENTRY            256
#define AQL_WG              64
#define AQL_GROUPS          5


typedef struct TQ {
    uint32_t type;
    uint32_t doorbell;
    uint64_t ring;          /* GPU VA */
    uint32_t size;          /* bytes */
    uint64_t rptr_va;
    uint64_t wptr_va;
    uint64_t wptr;          /* in the queue's units */
    uint32_t packets;       /* packets written */
    uint32_t kicks;         /* doorbells rung */
} TQ;

typedef struct Info {
    Vkfd *v;
    QTestState *qts;
    uint64_t root;
    uint64_t next;          /* bump allocator of VRAM VA */
    uint32_t next_doorbell;
    uint32_t queue_id;
    uint64_t ih;            /* guest address of the IH ring */
} Info;

static uint64_t pa(Info *t, uint64_t va)
{
    g_assert_cmphex(va, >=, VA_VRAM);
    g_assert_cmphex(va, <, VA_VRAM + VRAM_SIZE);
    return t->v->vram.addr + va - VA_VRAM;
}

static uint64_t va_alloc(Info *t, uint64_t size)
{
    uint64_t align = size >= PAGE ? PAGE : 256, va;

    va = ROUND_UP(t->next, align);
    t->next = va + size;
    g_assert_cmphex(t->next, <=, VA_VRAM + VRAM_SIZE);
    qtest_memset(t->qts, pa(t, va), 0, size);
    return va;
}

/* qom-get of one of the device's properties; the caller unrefs it. */
static QObject *info_get(Info *t, const char *prop)
{
    QDict *rsp = qtest_qmp(t->qts, "{'execute': 'qom-get', 'arguments': "
                           "{'path': %s, 'property': %s}}", DEV_PATH, prop);
    QObject *ret;

    g_assert(qdict_haskey(rsp, "return"));
    ret = qdict_get(rsp, "return");
    qobject_ref(ret);
    qobject_unref(rsp);
    return ret;
}

static QDict *info_dict(Info *t, const char *prop)
{
    QDict *d = qobject_to(QDict, info_get(t, prop));

    g_assert_nonnull(d);
    return d;
}

static QList *info_list(Info *t, const char *prop)
{
    QList *l = qobject_to(QList, info_get(t, prop));

    g_assert_nonnull(l);
    return l;
}

static uint64_t u64(const QDict *d, const char *key)
{
    QNum *n = qobject_to(QNum, qdict_get(d, key));
    uint64_t val;

    g_assert_nonnull(n);
    g_assert(qnum_get_try_uint(n, &val));
    return val;
}

static const char *str(const QDict *d, const char *key)
{
    const char *s = qdict_get_try_str(d, key);

    g_assert_nonnull(s);
    return s;
}

static bool flag(const QDict *d, const char *key)
{
    g_assert(qdict_haskey(d, key));
    return qdict_get_bool(d, key);
}

/* The entry of the queue on doorbell (context CTX) in a queues list. */
static QDict *find_queue(QList *queues, uint32_t doorbell)
{
    QListEntry *e;
    QDict *q;

    QLIST_FOREACH_ENTRY(queues, e) {
        q = qobject_to(QDict, qlist_entry_obj(e));
        g_assert_nonnull(q);
        if (u64(q, "context") == CTX && u64(q, "doorbell") == doorbell) {
            return q;
        }
    }
    g_assert_not_reached();
}

static TQ *tq_map(Info *t, uint32_t type, uint32_t size)
{
    struct vkfd_sched_cmd cmd = {
        .opcode = VKFD_CMD_MAP_QUEUE, .ctx_id = CTX,
    };
    struct vkfd_mqd mqd = { 0 };
    TQ *q = g_new0(TQ, 1);
    uint64_t ptrs, mqd_addr;

    q->type = type;
    q->doorbell = t->next_doorbell++;
    q->size = size;
    q->ring = va_alloc(t, size);
    ptrs = va_alloc(t, 16);
    q->rptr_va = ptrs;
    q->wptr_va = ptrs + 8;
    mqd_addr = guest_alloc(&t->v->alloc, sizeof(mqd));
    mqd.type = cpu_to_le32(type);
    mqd.doorbell = cpu_to_le32(q->doorbell);
    mqd.ring_base = cpu_to_le64(q->ring);
    mqd.ring_size = cpu_to_le32(size);
    mqd.rptr_addr = cpu_to_le64(q->rptr_va);
    mqd.wptr_addr = cpu_to_le64(q->wptr_va);
    qtest_memwrite(t->qts, mqd_addr, &mqd, sizeof(mqd));
    cmd.u.map_queue.mqd_addr = mqd_addr;
    cmd.u.map_queue.queue_id = ++t->queue_id;
    g_assert_cmpuint(submit_cmd(t->v, &cmd), ==, VKFD_ST_OK);
    return q;
}

/* Append n dwords at the queue's wptr (bytes for SDMA, dwords for PM4). */
static void put(Info *t, TQ *q, const uint32_t *dw, unsigned n)
{
    uint64_t pos = q->type == VKFD_QUEUE_PM4 ? q->wptr * 4 : q->wptr;
    unsigned i;

    for (i = 0; i < n; i++) {
        qtest_writel(t->qts, pa(t, q->ring + (pos + i * 4) % q->size),
                     dw[i]);
    }
    q->wptr += q->type == VKFD_QUEUE_PM4 ? n : n * 4;
    q->packets++;
}

static void kick(Info *t, TQ *q)
{
    qtest_writeq(t->qts, pa(t, q->wptr_va), q->wptr);
    qpci_io_writeq(t->v->dev, t->v->doorbells,
                   CTX * VKFD_DOORBELL_PAGE_SIZE +
                   q->doorbell * VKFD_DOORBELL_SIZE, q->wptr);
    q->kicks++;
}

/* Wait (up to 30 s) until q's engine has taken everything to its wptr. */
static void tq_wait(Info *t, TQ *q)
{
    uint64_t want = q->type == VKFD_QUEUE_PM4 ? q->wptr % (q->size / 4)
                                              : q->wptr;
    uint64_t got = 0;
    int i;

    for (i = 0; i < 300000; i++) {
        got = q->type == VKFD_QUEUE_PM4 ?
              qtest_readl(t->qts, pa(t, q->rptr_va)) :
              qtest_readq(t->qts, pa(t, q->rptr_va));
        if (got == want) {
            break;
        }
        g_usleep(100);
    }
    g_assert_cmphex(got, ==, want);
}

static void sdma_copy(Info *t, TQ *q, uint64_t dst, uint64_t src,
                      uint32_t bytes)
{
    uint32_t dw[SDMA_PKT_MAX_DW];

    put(t, q, dw, sdma_pkt_copy(dw, dst, src, bytes));
}

static void sdma_fill(Info *t, TQ *q, uint64_t dst, uint32_t value,
                      uint32_t bytes)
{
    uint32_t dw[SDMA_PKT_MAX_DW];

    put(t, q, dw, sdma_pkt_fill(dw, dst, value, bytes));
}

static void sdma_trap(Info *t, TQ *q, uint32_t int_context)
{
    uint32_t dw[SDMA_PKT_MAX_DW];

    put(t, q, dw, sdma_pkt_trap(dw, int_context));
}

static void sdma_poll_eq(Info *t, TQ *q, uint64_t addr, uint32_t ref)
{
    uint32_t dw[SDMA_PKT_MAX_DW];

    put(t, q, dw, sdma_pkt_poll(dw, addr, VKFD_SDMA_FUNC_EQ, ref,
                                0xffffffff));
}

/*
 * A device with id gpu0 and context CTX: all of VRAM mapped writable at
 * VA_VRAM with 2 MiB leaves, nothing at VA_HOLE; the IH ring enabled.
 */
static Info *info_start(void)
{
    Info *t = g_new0(Info, 1);
    uint64_t off;

    t->v = vkfd_start_props(",id=gpu0,vram-size=32M");
    t->qts = t->v->qts;
    ring_enable(t->v);
    t->root = pt_alloc(t->v);
    g_assert_cmpuint(map_ctx(t->v, CTX, t->root), ==, VKFD_ST_OK);
    for (off = 0; off < VRAM_SIZE; off += 2 * MIB) {
        pt_map(t->v, t->root, VA_VRAM + off, off, PTE_W, 1);
    }
    t->next = VA_VRAM;
    t->ih = guest_alloc(&t->v->alloc, IH_SIZE);
    qtest_memset(t->qts, t->ih, 0, IH_SIZE);
    wr(t->v, VKFD_REG_IH_BASE_LO, (uint32_t)t->ih);
    wr(t->v, VKFD_REG_IH_BASE_HI, t->ih >> 32);
    wr(t->v, VKFD_REG_IH_SIZE, IH_SIZE);
    wr(t->v, VKFD_REG_IH_CNTL, VKFD_IH_CNTL_ENABLE);
    return t;
}

static void info_stop(Info *t)
{
    g_assert_cmphex(rd(t->v, VKFD_REG_ID), ==, VKFD_ID_MAGIC);
    vkfd_stop(t->v);
    g_free(t);
}

/* "state" read twice is the same: looking changed nothing. */
static void expect_state_stable(Info *t, unsigned reads)
{
    QObject *first = info_get(t, "state"), *again;
    unsigned i;

    for (i = 0; i < reads; i++) {
        again = info_get(t, "state");
        g_assert(qobject_is_equal(first, again));
        qobject_unref(again);
    }
    qobject_unref(first);
}

/*
 * Before any queue: the parts are there, the counters are zero, the
 * context and the rings are what the test set up, nothing is writable.
 */
static void test_info_idle(void)
{
    Info *t = info_start();
    static const char *const engines[] = { "pm4", "sdma", "aql" };
    static const char *const counters[] = {
        "doorbells", "packets", "bytes", "interrupts", "budget-exhaustions",
    };
    static const char *const parts[] = {
        "engines", "shader", "contexts", "queues", "ih", "vm-fault",
        "scheduler",
    };
    QDict *st = info_dict(t, "state"), *d, *e, *rsp;
    QList *l;
    unsigned i, j;

    d = qdict_get_qdict(st, "engines");
    for (i = 0; i < ARRAY_SIZE(engines); i++) {
        e = qdict_get_qdict(d, engines[i]);
        g_assert_nonnull(e);
        for (j = 0; j < ARRAY_SIZE(counters); j++) {
            g_assert_cmpuint(u64(e, counters[j]), ==, 0);
        }
    }
    d = qdict_get_qdict(st, "shader");
    g_assert_cmpuint(u64(d, "dispatches"), ==, 0);
    g_assert_cmpuint(u64(d, "waves"), ==, 0);
    g_assert_cmpuint(u64(d, "wave-instructions"), ==, 0);

    l = qdict_get_qlist(st, "contexts");
    g_assert_cmpuint(qlist_size(l), ==, 1);
    d = qobject_to(QDict, qlist_peek(l));
    g_assert_cmpuint(u64(d, "id"), ==, CTX);
    g_assert_cmphex(u64(d, "page-table-base"), ==, t->root);
    g_assert_cmpuint(qlist_size(qdict_get_qlist(d, "queues")), ==, 0);
    g_assert_cmpuint(qlist_size(qdict_get_qlist(st, "queues")), ==, 0);
    l = info_list(t, "queues");
    g_assert_cmpuint(qlist_size(l), ==, 0);
    qobject_unref(l);

    d = qdict_get_qdict(st, "ih");
    g_assert(flag(d, "enabled"));
    g_assert_cmphex(u64(d, "base"), ==, t->ih);
    g_assert_cmpuint(u64(d, "size"), ==, IH_SIZE);
    g_assert_cmpuint(u64(d, "wptr"), ==, 0);
    g_assert_cmpuint(u64(d, "entries"), ==, 0);

    d = qdict_get_qdict(st, "vm-fault");
    g_assert(!flag(d, "valid"));
    g_assert_cmpuint(u64(d, "count"), ==, 0);

    d = qdict_get_qdict(st, "scheduler");
    g_assert(flag(d, "enabled"));
    g_assert(!flag(d, "halted"));
    g_assert_cmphex(u64(d, "base"), ==, t->v->ring);
    g_assert_cmpuint(u64(d, "size"), ==, RING_SIZE);
    g_assert_cmpuint(u64(d, "wptr"), ==, t->v->wptr);
    g_assert_cmpuint(u64(d, "rptr"), ==, rd(t->v, VKFD_REG_SCHED_RPTR));
    g_assert_cmpuint(u64(d, "live-contexts"), ==, 1);
    qobject_unref(st);

    /* each part alone is the same as in "state" */
    st = info_dict(t, "state");
    g_assert_cmpuint(qdict_size(st), ==, ARRAY_SIZE(parts));
    for (i = 0; i < ARRAY_SIZE(parts); i++) {
        QObject *o = info_get(t, parts[i]);

        g_assert(qobject_is_equal(o, qdict_get(st, parts[i])));
        qobject_unref(o);
    }
    qobject_unref(st);

    /* read-only */
    rsp = qtest_qmp(t->qts, "{'execute': 'qom-set', 'arguments': "
                    "{'path': %s, 'property': 'ih', 'value': {}}}",
                    DEV_PATH);
    g_assert(qdict_haskey(rsp, "error"));
    qobject_unref(rsp);
    expect_state_stable(t, 8);
    info_stop(t);
}

/*
 * SDMA and PM4 queues run known packets: their entries, the engines'
 * counters, the context's TLB and the IH ring say what was run.
 */
static void test_info_queues(void)
{
    Info *t = info_start();
    TQ *sq = tq_map(t, VKFD_QUEUE_SDMA, PAGE);
    TQ *pq = tq_map(t, VKFD_QUEUE_PM4, PAGE);
    uint64_t buf = va_alloc(t, 4 * PAGE), bytes = 0;
    uint32_t nop[3] = { VKFD_PM4_HDR(VKFD_PM4_OP_NOP, 2), 0, 0 };
    QDict *st, *d, *q;
    QList *ql, *dbs;
    unsigned i;

    sdma_copy(t, sq, buf + PAGE, buf, PAGE);
    bytes += PAGE;
    sdma_fill(t, sq, buf + 2 * PAGE, 0x5a5a5a5a, 2 * PAGE);
    bytes += 2 * PAGE;
    sdma_trap(t, sq, 0x42);
    kick(t, sq);
    tq_wait(t, sq);
    sdma_copy(t, sq, buf, buf + 2 * PAGE, 256);
    bytes += 256;
    kick(t, sq);
    tq_wait(t, sq);
    for (i = 0; i < 5; i++) {
        put(t, pq, nop, ARRAY_SIZE(nop));
    }
    kick(t, pq);
    tq_wait(t, pq);
    g_assert_cmphex(qtest_readl(t->qts, pa(t, buf + 3 * PAGE - 4)), ==,
                    0x5a5a5a5a);

    st = info_dict(t, "state");
    ql = qdict_get_qlist(st, "queues");
    g_assert_cmpuint(qlist_size(ql), ==, 2);
    q = find_queue(ql, sq->doorbell);
    g_assert_cmpstr(str(q, "engine"), ==, "sdma");
    g_assert_cmpuint(u64(q, "queue-id"), ==, 1);
    g_assert_cmphex(u64(q, "ring-base"), ==, sq->ring);
    g_assert_cmpuint(u64(q, "ring-size"), ==, sq->size);
    g_assert_cmpuint(u64(q, "rptr"), ==, sq->wptr);
    g_assert_cmpuint(u64(q, "wptr"), ==, sq->wptr);
    g_assert_cmphex(u64(q, "rptr-addr"), ==, sq->rptr_va);
    g_assert_cmphex(u64(q, "wptr-addr"), ==, sq->wptr_va);
    g_assert_cmpstr(str(q, "state"), ==, "idle");
    g_assert_cmpuint(u64(q, "error"), ==, 0);
    g_assert_cmpuint(u64(q, "packets"), ==, sq->packets);
    g_assert_cmpuint(u64(q, "doorbells"), ==, sq->kicks);
    q = find_queue(ql, pq->doorbell);
    g_assert_cmpstr(str(q, "engine"), ==, "pm4");
    g_assert_cmpuint(u64(q, "rptr"), ==, pq->wptr);
    g_assert_cmpuint(u64(q, "wptr"), ==, pq->wptr);
    g_assert_cmpuint(u64(q, "packets"), ==, 5);
    g_assert_cmpstr(str(q, "state"), ==, "idle");

    d = qdict_get_qdict(qdict_get_qdict(st, "engines"), "sdma");
    g_assert_cmpuint(u64(d, "packets"), ==, sq->packets);
    g_assert_cmpuint(u64(d, "doorbells"), ==, 2);
    g_assert_cmpuint(u64(d, "bytes"), ==, bytes);
    g_assert_cmpuint(u64(d, "interrupts"), ==, 1);
    d = qdict_get_qdict(qdict_get_qdict(st, "engines"), "pm4");
    g_assert_cmpuint(u64(d, "packets"), ==, 5);
    g_assert_cmpuint(u64(d, "doorbells"), ==, 1);
    g_assert_cmpuint(u64(d, "bytes"), ==, 0);
    d = qdict_get_qdict(qdict_get_qdict(st, "engines"), "aql");
    g_assert_cmpuint(u64(d, "packets"), ==, 0);

    d = qobject_to(QDict, qlist_peek(qdict_get_qlist(st, "contexts")));
    g_assert_cmpuint(u64(d, "tlb-misses"), >=, 1);
    g_assert_cmpuint(u64(d, "tlb-hits"), >=, 1);
    g_assert_cmpuint(u64(d, "tlb-entries"), >=, 1);
    dbs = qdict_get_qlist(d, "queues");
    g_assert_cmpuint(qlist_size(dbs), ==, 2);

    d = qdict_get_qdict(st, "ih");
    g_assert_cmpuint(u64(d, "entries"), ==, 1);
    g_assert_cmpuint(u64(d, "wptr"), ==, rd(t->v, VKFD_REG_IH_WPTR));
    g_assert_cmpuint(u64(d, "wptr"), ==, sizeof(struct vkfd_ih_entry));
    g_assert_cmpuint(u64(d, "overflows"), ==, 0);
    d = qdict_get_qdict(st, "scheduler");
    g_assert_cmpuint(u64(d, "live-queues"), ==, 2);
    qobject_unref(st);

    expect_state_stable(t, 8);
    g_free(sq);
    g_free(pq);
    info_stop(t);
}

/*
 * An AQL queue dispatches a kernel of one s_endpgm in AQL_GROUPS groups
 * of one wave: the shader core's counters and the AQL engine's say so.
 */
static void test_info_shader(void)
{
    Info *t = info_start();
    uint64_t kd = va_alloc(t, 2 * PAGE);
    TQ *q = tq_map(t, VKFD_QUEUE_AQL, PAGE);
    uint8_t b[VKFD_AQL_PACKET_SIZE] = { 0 };
    QDict *st, *d, *qd;
    unsigned i;

    for (i = 0; i < PAGE / VKFD_AQL_PACKET_SIZE; i++) {
        qtest_writew(t->qts, pa(t, q->ring + i * VKFD_AQL_PACKET_SIZE),
                     VKFD_AQL_TYPE_INVALID);
    }
    /* entry at kd + 256; 512 VGPRs (256 + 256 AGPRs), 112 SGPRs */
    qtest_writeq(t->qts, pa(t, kd + 16), KD_ENTRY);
    qtest_writel(t->qts, pa(t, kd + 44), 256 / 4 - 1);
    qtest_writel(t->qts, pa(t, kd + 48), 63 | 13 << 6);
    qtest_writel(t->qts, pa(t, kd + 52), 1u << 7);
    qtest_writel(t->qts, pa(t, kd + KD_ENTRY), S_ENDPGM);

    stw_le_p(b + 2, 1);                     /* one dimension */
    stw_le_p(b + 4, AQL_WG);
    stw_le_p(b + 6, 1);
    stw_le_p(b + 8, 1);
    stl_le_p(b + 12, AQL_WG * AQL_GROUPS);
    stl_le_p(b + 16, 1);
    stl_le_p(b + 20, 1);
    stq_le_p(b + 32, kd);
    qtest_memwrite(t->qts, pa(t, q->ring) + 2, b + 2, sizeof(b) - 2);
    qtest_writew(t->qts, pa(t, q->ring),
                 VKFD_AQL_TYPE_KERNEL | VKFD_AQL_HEADER_BARRIER |
                 2u << 9 | 2u << 11);
    q->wptr = 1;
    q->packets = 1;
    qtest_writeq(t->qts, pa(t, q->wptr_va), q->wptr);
    qpci_io_writeq(t->v->dev, t->v->doorbells,
                   CTX * VKFD_DOORBELL_PAGE_SIZE +
                   q->doorbell * VKFD_DOORBELL_SIZE, q->wptr - 1);
    tq_wait(t, q);

    st = info_dict(t, "state");
    d = qdict_get_qdict(st, "shader");
    g_assert_cmpuint(u64(d, "dispatches"), ==, 1);
    g_assert_cmpuint(u64(d, "waves"), ==, AQL_GROUPS);
    g_assert_cmpuint(u64(d, "wave-instructions"), ==, AQL_GROUPS);
    d = qdict_get_qdict(qdict_get_qdict(st, "engines"), "aql");
    g_assert_cmpuint(u64(d, "packets"), ==, 1);
    g_assert_cmpuint(u64(d, "doorbells"), ==, 1);
    qd = find_queue(qdict_get_qlist(st, "queues"), q->doorbell);
    g_assert_cmpstr(str(qd, "engine"), ==, "aql");
    g_assert_cmpuint(u64(qd, "rptr"), ==, 1);
    g_assert_cmpuint(u64(qd, "wptr"), ==, 1);
    g_assert_cmpuint(u64(qd, "error"), ==, 0);
    g_assert(!flag(qd, "dispatch"));
    g_assert_cmpstr(str(qd, "state"), ==, "idle");
    qobject_unref(st);
    expect_state_stable(t, 4);
    g_free(q);
    info_stop(t);
}

/*
 * A queue on an unmet POLL_REGMEM is "waiting"; one that faulted is
 * "stopped" with its error, and the fault latch holds the VA.  Reading
 * them many times moves no counter and latches nothing more.
 */
static void test_info_wait_fault(void)
{
    Info *t = info_start();
    TQ *wq = tq_map(t, VKFD_QUEUE_SDMA, PAGE);
    TQ *fq = tq_map(t, VKFD_QUEUE_SDMA, PAGE);
    uint64_t flag_va = va_alloc(t, 8), buf = va_alloc(t, PAGE);
    uint32_t fault_status;
    QDict *st, *q, *d;
    QList *ql;
    int i;

    sdma_poll_eq(t, wq, flag_va, 7);
    kick(t, wq);
    sdma_copy(t, fq, buf, VA_HOLE, 64);
    kick(t, fq);
    for (i = 0; i < 300000 && !(rd(t->v, VKFD_REG_VM_FAULT_STATUS) & 1);
         i++) {
        g_usleep(100);
    }
    fault_status = rd(t->v, VKFD_REG_VM_FAULT_STATUS);
    g_assert_cmphex(fault_status & VKFD_VM_FAULT_VALID, ==,
                    VKFD_VM_FAULT_VALID);

    st = info_dict(t, "state");
    ql = qdict_get_qlist(st, "queues");
    q = find_queue(ql, wq->doorbell);
    g_assert_cmpstr(str(q, "state"), ==, "waiting");
    g_assert_cmpuint(u64(q, "rptr"), ==, 0);
    g_assert_cmpuint(u64(q, "wptr"), ==, wq->wptr);
    q = find_queue(ql, fq->doorbell);
    g_assert_cmpstr(str(q, "state"), ==, "stopped");
    g_assert_cmpuint(u64(q, "error"), ==, VKFD_QERR_VM_FAULT);
    g_assert_cmphex(u64(q, "error-va"), ==, VA_HOLE);
    g_assert_cmpuint(u64(q, "packets"), ==, 0);
    d = qdict_get_qdict(st, "vm-fault");
    g_assert(flag(d, "valid"));
    g_assert(!flag(d, "write"));
    g_assert_cmphex(u64(d, "address"), ==, VA_HOLE);
    g_assert_cmpuint(u64(d, "context"), ==, CTX);
    g_assert_cmpuint(u64(d, "count"), ==, 1);
    /* the fault and the queue error, both from the SDMA queue's run */
    d = qdict_get_qdict(qdict_get_qdict(st, "engines"), "sdma");
    g_assert_cmpuint(u64(d, "interrupts"), ==, 2);
    g_assert_cmpuint(u64(qdict_get_qdict(st, "ih"), "entries"), ==, 2);
    qobject_unref(st);

    /* nothing moves while the poll waits, however often one looks */
    expect_state_stable(t, 16);
    g_assert_cmphex(rd(t->v, VKFD_REG_VM_FAULT_STATUS), ==, fault_status);
    g_assert_cmphex(rd(t->v, VKFD_REG_IH_WPTR), ==,
                    2 * sizeof(struct vkfd_ih_entry));

    qtest_writel(t->qts, pa(t, flag_va), 7);
    qtest_clock_step(t->qts, 10 * 1000 * 1000);
    tq_wait(t, wq);
    st = info_dict(t, "state");
    q = find_queue(qdict_get_qlist(st, "queues"), wq->doorbell);
    g_assert_cmpstr(str(q, "state"), ==, "idle");
    g_assert_cmpuint(u64(q, "packets"), ==, 1);
    qobject_unref(st);
    g_free(wq);
    g_free(fq);
    info_stop(t);
}

/*
 * Reading while a long copy runs: stopped at once by the monitor, the
 * queue is caught mid-way and reads the same each time; running again,
 * every snapshot is consistent (rptr only grows, never beyond wptr; the
 * engine's counters only grow) until the last one shows it all done.
 */
static void test_info_running(void)
{
    Info *t = info_start();
    TQ *q = tq_map(t, VKFD_QUEUE_SDMA, PAGE);
    uint64_t src = va_alloc(t, BIG_COPY), dst = va_alloc(t, BIG_COPY);
    uint64_t rptr = 0, packets = 0, bytes = 0, r, p, b;
    unsigned i, seen_mid = 0, reads = 0;
    QDict *st, *qd, *ed, *rsp;

    for (i = 0; i < BIG_COPIES; i++) {
        sdma_copy(t, q, i & 1 ? src : dst, i & 1 ? dst : src, BIG_COPY);
    }
    kick(t, q);
    rsp = qtest_qmp(t->qts, "{'execute': 'stop'}");
    g_assert(qdict_haskey(rsp, "return"));
    qobject_unref(rsp);
    st = info_dict(t, "state");
    qd = find_queue(qdict_get_qlist(st, "queues"), q->doorbell);
    g_test_message("stopped at rptr %" PRIu64 " of %" PRIu64,
                   u64(qd, "rptr"), q->wptr);
    g_assert_cmpuint(u64(qd, "rptr"), <, q->wptr);
    g_assert_cmpstr(str(qd, "state"), ==, "runnable");
    qobject_unref(st);
    expect_state_stable(t, 8);
    rsp = qtest_qmp(t->qts, "{'execute': 'cont'}");
    g_assert(qdict_haskey(rsp, "return"));
    qobject_unref(rsp);

    for (;;) {
        st = info_dict(t, "state");
        qd = find_queue(qdict_get_qlist(st, "queues"), q->doorbell);
        ed = qdict_get_qdict(qdict_get_qdict(st, "engines"), "sdma");
        r = u64(qd, "rptr");
        p = u64(ed, "packets");
        b = u64(ed, "bytes");
        g_assert_cmpuint(r, >=, rptr);
        g_assert_cmpuint(r, <=, q->wptr);
        g_assert_cmpuint(u64(qd, "wptr"), ==, q->wptr);
        g_assert_cmpuint(p, >=, packets);
        g_assert_cmpuint(b, >=, bytes);
        /* whole packets of 28 bytes: the rptr counts the ones done */
        g_assert_cmpuint(r, ==, p * 28);
        g_assert_cmpuint(u64(qd, "progress"), <, BIG_COPY);
        g_assert_cmpuint(b, >=, p * BIG_COPY);
        g_assert_cmpuint(b, <, (p + 1) * BIG_COPY);
        rptr = r;
        packets = p;
        bytes = b;
        reads++;
        seen_mid += r < q->wptr;
        if (r == q->wptr) {
            g_assert_cmpstr(str(qd, "state"), ==, "idle");
            g_assert_cmpuint(b, ==, (uint64_t)BIG_COPIES * BIG_COPY);
            g_assert_cmpuint(u64(ed, "budget-exhaustions"), >=,
                             BIG_COPIES * (BIG_COPY / PAGE) /
                             (16 + 1) / 2);
            qobject_unref(st);
            break;
        }
        qobject_unref(st);
    }
    g_test_message("%u reads, %u mid-run", reads, seen_mid);
    g_assert_cmpuint(seen_mid, >=, 1);
    tq_wait(t, q);
    g_free(q);
    info_stop(t);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    qtest_add_func("/vkfd/info/idle", test_info_idle);
    qtest_add_func("/vkfd/info/queues", test_info_queues);
    qtest_add_func("/vkfd/info/shader", test_info_shader);
    qtest_add_func("/vkfd/info/wait-fault", test_info_wait_fault);
    qtest_add_func("/vkfd/info/running", test_info_running);
    return g_test_run();
}
