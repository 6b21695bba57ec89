/*
 * PM4 user queues, for the queue and PM4 parts of vkfd-test.  Each test
 * context has its own page tables; qmem() maps runs of guest RAM into
 * it, each followed by an unmapped page.  A TQueue is a PM4 queue: its
 * ring, a page holding its rptr (+0) and wptr (+8), and its MQD.
 * Packets are built in a Pkt and copied into the ring at wptr; the
 * doorbell is written with the wptr.  The device writes the rptr back as
 * the GFX9 CP does: a 32-bit dword offset into the ring (tq_pos of the
 * free-running count).  Before each doorbell the test stores MARK there
 * (no ring offset: rings are at most 2^28 dwords) and MARK_HI in the
 * dword after it, so that the write-back shows when a run is over, and
 * that it writes 4 bytes, no more.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef VKFD_TEST_QUEUE_H
#define VKFD_TEST_QUEUE_H

#include "vkfd-test.h"

#define QVA_BASE        0x100000000ull
#define MARK            0xa5a5a5a5u
#define MARK_HI         0x5a5a5a5au

#define MQD_STATE       offsetof(struct vkfd_mqd, rptr)

/*
 * WAIT_REG_MEM's compare functions, which are SDMA's (vkfd_hw.h): short
 * names, as the tables of cases spell many of them
 */
enum {
    F_ALWAYS = VKFD_SDMA_FUNC_ALWAYS,
    F_LT = VKFD_SDMA_FUNC_LT,
    F_LE = VKFD_SDMA_FUNC_LE,
    F_EQ = VKFD_SDMA_FUNC_EQ,
    F_NE = VKFD_SDMA_FUNC_NE,
    F_GE = VKFD_SDMA_FUNC_GE,
    F_GT = VKFD_SDMA_FUNC_GT,
};

typedef struct QCtx {
    uint32_t id;
    uint64_t root;
    uint64_t next_va;
} QCtx;

/* A run of guest RAM mapped at va of a context. */
typedef struct QMem {
    uint64_t va, pa, size;
} QMem;

typedef struct TQueue {
    Vkfd *v;
    QCtx *c;
    uint32_t doorbell;
    uint32_t ring_bytes;
    QMem ring, ptrs;
    uint64_t mqd;
    uint64_t wptr;      /* dwords written so far */
} TQueue;

typedef struct Pkt {
    uint32_t dw[16384];
    unsigned n;
} Pkt;

static inline void qctx_init(Vkfd *v, QCtx *c, uint32_t id)
{
    c->id = id;
    c->root = pt_alloc(v);
    c->next_va = QVA_BASE;
    g_assert_cmpuint(map_ctx(v, id, c->root), ==, VKFD_ST_OK);
}

static inline QMem qmem(Vkfd *v, QCtx *c, uint64_t size, uint64_t bits)
{
    QMem m;
    uint64_t off;

    m.size = ROUND_UP(size, PAGE);
    m.pa = guest_alloc(&v->alloc, m.size);
    g_assert_cmphex(m.pa % PAGE, ==, 0);
    qtest_memset(v->qts, m.pa, 0, m.size);
    m.va = c->next_va;
    c->next_va += m.size + PAGE;
    for (off = 0; off < m.size; off += PAGE) {
        pt_map(v, c->root, m.va + off, m.pa + off, PTE_SYS | bits, 0);
    }
    return m;
}

static inline uint64_t pa_of(const QMem *m, uint64_t va)
{
    g_assert_cmphex(va - m->va, <, m->size);
    return m->pa + (va - m->va);
}

static inline Vkfd *queue_start(const char *extra, QCtx *c)
{
    Vkfd *v = vkfd_start(extra);

    ring_enable(v);
    qctx_init(v, c, 1);
    return v;
}

static inline void tq_init(Vkfd *v, TQueue *q, QCtx *c, uint32_t doorbell,
                           uint32_t ring_bytes)
{
    memset(q, 0, sizeof(*q));
    q->v = v;
    q->c = c;
    q->doorbell = doorbell;
    q->ring_bytes = ring_bytes;
    q->ring = qmem(v, c, ring_bytes, 0);        /* the device only reads */
    q->ptrs = qmem(v, c, PAGE, PTE_W);
    q->mqd = guest_alloc(&v->alloc, sizeof(struct vkfd_mqd));
}

/* An MQD for q, starting empty at the current wptr. */
static inline void tq_mqd(const TQueue *q, struct vkfd_mqd *m)
{
    memset(m, 0, sizeof(*m));
    m->type = VKFD_QUEUE_PM4;
    m->doorbell = q->doorbell;
    m->ring_base = q->ring.va;
    m->ring_size = q->ring_bytes;
    m->rptr_addr = q->ptrs.va;
    m->wptr_addr = q->ptrs.va + 8;
    m->rptr = q->wptr;
}

static inline uint32_t queue_cmd(Vkfd *v, uint8_t opcode, uint32_t ctx,
                                 uint64_t mqd, uint32_t arg)
{
    struct vkfd_sched_cmd cmd = { .opcode = opcode, .ctx_id = ctx };

    if (opcode == VKFD_CMD_MAP_QUEUE) {
        cmd.u.map_queue.mqd_addr = mqd;
        cmd.u.map_queue.queue_id = arg;
    } else {
        cmd.u.unmap_queue.mqd_addr = mqd;
        cmd.u.unmap_queue.doorbell = arg;
    }
    return submit_cmd(v, &cmd);
}

static inline uint32_t map_mqd(TQueue *q, const struct vkfd_mqd *m)
{
    qtest_memwrite(q->v->qts, q->mqd, m, sizeof(*m));
    return queue_cmd(q->v, VKFD_CMD_MAP_QUEUE, q->c->id, q->mqd,
                     100 + q->doorbell);
}

static inline uint32_t tq_map(TQueue *q)
{
    struct vkfd_mqd m;

    tq_mqd(q, &m);
    qtest_writeq(q->v->qts, q->ptrs.pa, q->wptr);
    qtest_writeq(q->v->qts, q->ptrs.pa + 8, q->wptr);
    return map_mqd(q, &m);
}

/* UNMAP_QUEUE; *m is the MQD afterwards (its state poisoned before). */
static inline uint32_t tq_unmap(TQueue *q, struct vkfd_mqd *m)
{
    uint32_t st;

    qtest_memset(q->v->qts, q->mqd + MQD_STATE, 0xee,
                 offsetof(struct vkfd_mqd, reserved) - MQD_STATE);
    st = queue_cmd(q->v, VKFD_CMD_UNMAP_QUEUE, q->c->id, q->mqd,
                   q->doorbell);
    qtest_memread(q->v->qts, q->mqd, m, sizeof(*m));
    return st;
}

/* Unmap q and check the state the device wrote back into the MQD. */
static inline void tq_expect(TQueue *q, uint64_t rptr, uint32_t error,
                             uint32_t info, uint64_t va)
{
    struct vkfd_mqd m;

    g_assert_cmpuint(tq_unmap(q, &m), ==, VKFD_ST_OK);
    g_assert_cmpuint(m.error, ==, error);
    g_assert_cmphex(m.error_info, ==, info);
    g_assert_cmphex(m.error_va, ==, va);
    g_assert_cmphex(m.rptr, ==, rptr);
    g_assert_cmpuint(m.type, ==, VKFD_QUEUE_PM4);     /* untouched */
    g_assert_cmpuint(m.reserved[0], ==, 0);
}

/* The GPU VA of ring position ptr (dwords). */
static inline uint64_t tq_va(const TQueue *q, uint64_t ptr)
{
    return q->ring.va + (ptr % (q->ring_bytes / 4)) * 4;
}

static inline void tq_put_dw(TQueue *q, const uint32_t *dw, unsigned n)
{
    uint32_t ring_dw = q->ring_bytes / 4;
    uint32_t at = q->wptr % ring_dw, first = MIN(n, ring_dw - at);

    g_assert_cmpuint(n, <=, ring_dw);
    qtest_memwrite(q->v->qts, q->ring.pa + at * 4, dw, first * 4);
    if (first < n) {
        qtest_memwrite(q->v->qts, q->ring.pa, dw + first, (n - first) * 4);
    }
    q->wptr += n;
}

static inline void tq_put(TQueue *q, Pkt *p)
{
    tq_put_dw(q, p->dw, p->n);
    p->n = 0;
}

static inline void ring_doorbell(Vkfd *v, uint32_t ctx, uint32_t doorbell,
                                 uint64_t val)
{
    qpci_io_writeq(v->dev, v->doorbells,
                   (uint64_t)ctx * VKFD_DOORBELL_PAGE_SIZE +
                   doorbell * VKFD_DOORBELL_SIZE, val);
}

/* Where the free-running dword count ptr is in the ring: the report. */
static inline uint32_t tq_pos(const TQueue *q, uint64_t ptr)
{
    return ptr % (q->ring_bytes / 4);
}

static inline void tq_mark(TQueue *q)
{
    qtest_writel(q->v->qts, q->ptrs.pa, MARK);
    qtest_writel(q->v->qts, q->ptrs.pa + 4, MARK_HI);
}

static inline void tq_kick(TQueue *q)
{
    tq_mark(q);
    qtest_writeq(q->v->qts, q->ptrs.pa + 8, q->wptr);
    ring_doorbell(q->v, q->c->id, q->doorbell, q->wptr);
}

/* The reported rptr; the dword after it must be as the test left it. */
static inline uint32_t tq_rptr(TQueue *q)
{
    g_assert_cmphex(qtest_readl(q->v->qts, q->ptrs.pa + 4), ==, MARK_HI);
    return qtest_readl(q->v->qts, q->ptrs.pa);
}

/* Wait for a run to write the rptr back; returns it (a ring offset). */
static inline uint32_t tq_wait_run(TQueue *q)
{
    uint32_t r;
    int i;

    for (i = 0; i < 200000 && (r = tq_rptr(q)) == MARK; i++) {
        g_usleep(100);
    }
    g_assert_cmphex(r, !=, MARK);
    g_assert_cmphex(r, <, q->ring_bytes / 4);
    return r;
}

/* Wait as user space does: until the report is want % ring dwords. */
static inline void tq_wait_rptr(TQueue *q, uint64_t want)
{
    int i;

    for (i = 0; i < 200000 && tq_rptr(q) != tq_pos(q, want); i++) {
        g_usleep(100);
    }
    g_assert_cmphex(tq_rptr(q), ==, tq_pos(q, want));
}

/* Put the packets, ring, and wait until the queue consumed them all. */
static inline void tq_submit(TQueue *q, Pkt *p)
{
    tq_put(q, p);
    tq_kick(q);
    tq_wait_rptr(q, q->wptr);
}

/* Put the packets, ring, and wait for the run to end; returns the report. */
static inline uint32_t tq_run(TQueue *q, Pkt *p)
{
    tq_put(q, p);
    tq_kick(q);
    return tq_wait_run(q);
}

static inline void pk(Pkt *p, uint32_t dw)
{
    g_assert_cmpuint(p->n, <, ARRAY_SIZE(p->dw));
    p->dw[p->n++] = dw;
}

static inline void pk_nop(Pkt *p, unsigned payload)
{
    unsigned i;

    pk(p, VKFD_PM4_HDR(VKFD_PM4_OP_NOP, payload));
    for (i = 0; i < payload; i++) {
        pk(p, 0xdead0000 + i);
    }
}

static inline void pk_write(Pkt *p, uint32_t ctl, uint64_t va,
                            const uint32_t *data, unsigned n)
{
    unsigned i;

    pk(p, VKFD_PM4_HDR(VKFD_PM4_OP_WRITE_DATA, 3 + n));
    pk(p, ctl);
    pk(p, (uint32_t)va);
    pk(p, va >> 32);
    for (i = 0; i < n; i++) {
        pk(p, data[i]);
    }
}

static inline void pk_write1(Pkt *p, uint64_t va, uint32_t value)
{
    pk_write(p, VKFD_PM4_WD_MEM, va, &value, 1);
}

static inline void pk_release(Pkt *p, uint32_t data_sel, uint32_t int_sel,
                              uint64_t va, uint64_t data)
{
    pk(p, VKFD_PM4_HDR(VKFD_PM4_OP_RELEASE_MEM, 7));
    pk(p, VKFD_PM4_EVENT_EOP | VKFD_PM4_EVENT_INDEX_EOP);  /* as ROCr */
    pk(p, VKFD_PM4_RM_DATA(data_sel) | int_sel << VKFD_PM4_RM_INT_SHIFT);
    pk(p, (uint32_t)va);
    pk(p, va >> 32);
    pk(p, (uint32_t)data);
    pk(p, data >> 32);
    pk(p, 0x1234);
}

static inline void pk_wait(Pkt *p, uint32_t func, uint64_t va, uint32_t ref,
                           uint32_t mask)
{
    pk(p, VKFD_PM4_HDR(VKFD_PM4_OP_WAIT_REG_MEM, 6));
    pk(p, VKFD_PM4_WRM_MEM_SPACE | func);
    pk(p, (uint32_t)va);
    pk(p, va >> 32);
    pk(p, ref);
    pk(p, mask);
    pk(p, 4);                   /* poll interval */
}

static inline void pk_ib(Pkt *p, uint64_t va, uint32_t size)
{
    pk(p, VKFD_PM4_HDR(VKFD_PM4_OP_INDIRECT_BUFFER, 3));
    pk(p, (uint32_t)va);
    pk(p, va >> 32);
    pk(p, size | VKFD_PM4_IB_VALID);
}

static inline void pk_acquire(Pkt *p)
{
    pk(p, VKFD_PM4_HDR(VKFD_PM4_OP_ACQUIRE_MEM, 6));
    pk(p, 0x28c00000);
    pk(p, 0xffffffff);
    pk(p, 0xff);
    pk(p, 0);
    pk(p, 0);
    pk(p, 0xa);
}

/* Copy the packets of p to guest memory at va of m (an IB). */
static inline void pk_store(Vkfd *v, const QMem *m, uint64_t va, Pkt *p)
{
    qtest_memwrite(v->qts, pa_of(m, va), p->dw, p->n * 4);
    p->n = 0;
}

#endif /* VKFD_TEST_QUEUE_H */
