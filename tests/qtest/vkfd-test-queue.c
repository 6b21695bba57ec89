/*
 * vkfd-test: user queues (hw/kfd/vkfd-queue.c).  MAP_QUEUE and
 * UNMAP_QUEUE with every bad MQD, doorbells, a reset and migration with
 * queues live.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "vkfd-test-queue.h"

/* MAP_QUEUE refused before the MQD is looked at: context, command, address */
static void check_map_queue_refused(Vkfd *v, TQueue *q)
{
    struct vkfd_sched_cmd cmd;

    /* the context must be a live user context */
    g_assert_cmpuint(queue_cmd(v, VKFD_CMD_MAP_QUEUE, 0, q->mqd, 0), ==,
                     VKFD_ST_BAD_CONTEXT);
    g_assert_cmpuint(queue_cmd(v, VKFD_CMD_MAP_QUEUE, 5000, q->mqd, 0), ==,
                     VKFD_ST_BAD_CONTEXT);
    g_assert_cmpuint(queue_cmd(v, VKFD_CMD_MAP_QUEUE, 9, q->mqd, 0), ==,
                     VKFD_ST_CONTEXT_NOT_MAPPED);

    /* the command's own reserved fields */
    sched_cmd(&cmd, VKFD_CMD_MAP_QUEUE, 1);
    cmd.u.map_queue.mqd_addr = q->mqd;
    cmd.u.map_queue.reserved = 1;
    g_assert_cmpuint(submit_cmd(v, &cmd), ==, VKFD_ST_BAD_ARGUMENT);
    cmd.u.map_queue.reserved = 0;
    cmd.u.raw[3] = 1;
    cmd.fence_addr = 0;         /* a fresh fence slot */
    g_assert_cmpuint(submit_cmd(v, &cmd), ==, VKFD_ST_BAD_ARGUMENT);

    /* the MQD's address */
    g_assert_cmpuint(queue_cmd(v, VKFD_CMD_MAP_QUEUE, 1, 0, 0), ==,
                     VKFD_ST_BAD_MQD);
    g_assert_cmpuint(queue_cmd(v, VKFD_CMD_MAP_QUEUE, 1, q->mqd + 4, 0), ==,
                     VKFD_ST_BAD_MQD);
    g_assert_cmpuint(queue_cmd(v, VKFD_CMD_MAP_QUEUE, 1,
                               0xfffff00000000000ull, 0), ==,
                     VKFD_ST_BAD_MQD);
    /* the device's own registers and doorbells are no MQD */
    g_assert_cmpuint(queue_cmd(v, VKFD_CMD_MAP_QUEUE, 1, v->regs.addr, 0),
                     ==, VKFD_ST_BAD_MQD);
    g_assert_cmpuint(queue_cmd(v, VKFD_CMD_MAP_QUEUE, 1,
                               v->doorbells.addr + VKFD_DOORBELL_PAGE_SIZE,
                               0), ==, VKFD_ST_BAD_MQD);
}

/* A field of an MQD and a value for it (added to the field's if rel). */
typedef struct MqdPoke {
    size_t off, size;
    uint64_t val;
    bool rel;
} MqdPoke;

#define POKE(f, v)      { offsetof(struct vkfd_mqd, f), \
                          sizeof_field(struct vkfd_mqd, f), (v), false }
#define POKE_ADD(f, v)  { offsetof(struct vkfd_mqd, f), \
                          sizeof_field(struct vkfd_mqd, f), (v), true }

/* MQDs MAP_QUEUE refuses with BAD_MQD, each one step away from a good one */
static const struct {
    const char *why;
    MqdPoke poke[2];
} bad_mqds[] = {
    { "unknown queue type", { POKE(type, 3) } },
    { "doorbell out of range",
      { POKE(doorbell, VKFD_DOORBELLS_PER_CONTEXT) } },
    { "ring base not 256-byte aligned", { POKE_ADD(ring_base, 0x80) } },
    { "ring below 256 bytes", { POKE(ring_size, 128) } },
    { "ring size not a power of two", { POKE(ring_size, 3000) } },
    { "ring above 1 GiB", { POKE(ring_size, 0x80000000u) } },
    { "empty ring", { POKE(ring_size, 0) } },
    { "ring ends beyond 48 bits",
      { POKE(ring_base, (1ull << 48) - 0x1000),
        POKE(ring_size, 0x2000) } },
    { "ring base beyond 48 bits", { POKE(ring_base, 1ull << 48) } },
    { "unknown flag", { POKE(flags, 0x80000000) } },
    { "reserved field not zero", { POKE(reserved[2], 1) } },
    { "rptr address not 8-byte aligned", { POKE_ADD(rptr_addr, 4) } },
    { "wptr address not 8-byte aligned", { POKE_ADD(wptr_addr, 4) } },
    { "wptr address beyond 48 bits", { POKE(wptr_addr, 1ull << 48) } },
    { "unknown error state", { POKE(error, 0x7fffffff) } },
};

static void mqd_poke(struct vkfd_mqd *m, const MqdPoke *p)
{
    uint8_t *field = (uint8_t *)m + p->off;

    if (p->size) {
        stn_he_p(field, p->size,
                 (p->rel ? ldn_he_p(field, p->size) : 0) + p->val);
    }
}

/* UNMAP_QUEUE refused: no queue there, context, command, MQD address */
static void check_unmap_queue_refused(Vkfd *v, TQueue *q)
{
    struct vkfd_sched_cmd cmd;
    uint32_t errors;

    g_assert_cmpuint(queue_cmd(v, VKFD_CMD_UNMAP_QUEUE, 1, q->mqd, 9), ==,
                     VKFD_ST_NO_QUEUE);
    g_assert_cmpuint(queue_cmd(v, VKFD_CMD_UNMAP_QUEUE, 1, q->mqd, 5000), ==,
                     VKFD_ST_NO_QUEUE);
    g_assert_cmpuint(queue_cmd(v, VKFD_CMD_UNMAP_QUEUE, 3, q->mqd, 7), ==,
                     VKFD_ST_CONTEXT_NOT_MAPPED);
    g_assert_cmpuint(queue_cmd(v, VKFD_CMD_UNMAP_QUEUE, 1, 0, 7), ==,
                     VKFD_ST_BAD_MQD);
    g_assert_cmpuint(queue_cmd(v, VKFD_CMD_UNMAP_QUEUE, 1, q->mqd + 4, 7), ==,
                     VKFD_ST_BAD_MQD);
    g_assert_cmpuint(queue_cmd(v, VKFD_CMD_UNMAP_QUEUE, 1,
                               0xfffff00000000000ull, 7), ==,
                     VKFD_ST_BAD_MQD);
    errors = rd(v, VKFD_REG_ACCESS_ERRORS);
    g_assert_cmpuint(queue_cmd(v, VKFD_CMD_UNMAP_QUEUE, 1,
                               v->doorbells.addr + VKFD_DOORBELL_PAGE_SIZE,
                               7), ==, VKFD_ST_BAD_MQD);
    g_assert_cmpuint(rd(v, VKFD_REG_ACCESS_ERRORS), ==, errors);
    sched_cmd(&cmd, VKFD_CMD_UNMAP_QUEUE, 1);
    cmd.u.unmap_queue.mqd_addr = q->mqd;
    cmd.u.unmap_queue.doorbell = 7;
    cmd.u.unmap_queue.reserved = 1;
    g_assert_cmpuint(submit_cmd(v, &cmd), ==, VKFD_ST_BAD_ARGUMENT);
}

static void test_queue_map_errors(void)
{
    QCtx c, c2;
    Vkfd *v = queue_start(",max-queues=3", &c);
    struct vkfd_mqd good, m;
    TQueue q, q2, q3, q4;
    uint32_t errors;
    unsigned i;

    tq_init(v, &q, &c, 7, PAGE);
    tq_mqd(&q, &good);
    qtest_memwrite(v->qts, q.mqd, &good, sizeof(good));
    check_map_queue_refused(v, &q);

    for (i = 0; i < ARRAY_SIZE(bad_mqds); i++) {
        m = good;
        mqd_poke(&m, &bad_mqds[i].poke[0]);
        mqd_poke(&m, &bad_mqds[i].poke[1]);
        g_test_message("bad MQD %u: %s", i, bad_mqds[i].why);
        g_assert_cmpuint(map_mqd(&q, &m), ==, VKFD_ST_BAD_MQD);
    }
    /* nothing got mapped: the doorbell has no queue */
    errors = rd(v, VKFD_REG_ACCESS_ERRORS);
    ring_doorbell(v, 1, 7, 0);
    g_assert_cmpuint(rd(v, VKFD_REG_ACCESS_ERRORS), ==, errors + 1);

    /* ring sizes at both ends of the range are fine */
    m = good;
    m.ring_size = 256;
    g_assert_cmpuint(map_mqd(&q, &m), ==, VKFD_ST_OK);
    g_assert_cmpuint(map_mqd(&q, &good), ==, VKFD_ST_QUEUE_EXISTS);
    g_assert_cmpuint(tq_unmap(&q, &m), ==, VKFD_ST_OK);
    m = good;
    m.ring_size = 1u << 30;
    g_assert_cmpuint(map_mqd(&q, &m), ==, VKFD_ST_OK);
    g_assert_cmpuint(tq_unmap(&q, &m), ==, VKFD_ST_OK);

    /* one queue per doorbell and context; the same doorbell elsewhere */
    g_assert_cmpuint(tq_map(&q), ==, VKFD_ST_OK);
    g_assert_cmpuint(tq_map(&q), ==, VKFD_ST_QUEUE_EXISTS);
    qctx_init(v, &c2, 2);
    tq_init(v, &q2, &c2, 7, PAGE);
    g_assert_cmpuint(tq_map(&q2), ==, VKFD_ST_OK);
    /* max-queues=3 */
    tq_init(v, &q3, &c, 8, PAGE);
    tq_init(v, &q4, &c, 9, PAGE);
    g_assert_cmpuint(tq_map(&q3), ==, VKFD_ST_OK);
    g_assert_cmpuint(tq_map(&q4), ==, VKFD_ST_NO_RESOURCES);

    /* UNMAP_QUEUE errors change nothing */
    check_unmap_queue_refused(v, &q);

    /* a context goes only once its queues are gone */
    g_assert_cmpuint(submit(v, VKFD_CMD_UNMAP_CONTEXT, 1), ==,
                     VKFD_ST_CONTEXT_BUSY);
    g_assert_cmpuint(rd(v, VKFD_REG_NUM_CONTEXTS), ==, 2);
    tq_expect(&q, 0, 0, 0, 0);
    g_assert_cmpuint(tq_map(&q4), ==, VKFD_ST_OK);   /* room again */
    g_assert_cmpuint(submit(v, VKFD_CMD_UNMAP_CONTEXT, 1), ==,
                     VKFD_ST_CONTEXT_BUSY);
    tq_expect(&q3, 0, 0, 0, 0);
    tq_expect(&q4, 0, 0, 0, 0);
    g_assert_cmpuint(submit(v, VKFD_CMD_UNMAP_CONTEXT, 1), ==, VKFD_ST_OK);
    g_assert_cmpuint(submit(v, VKFD_CMD_UNMAP_CONTEXT, 2), ==,
                     VKFD_ST_CONTEXT_BUSY);
    tq_expect(&q2, 0, 0, 0, 0);
    g_assert_cmpuint(submit(v, VKFD_CMD_UNMAP_CONTEXT, 2), ==, VKFD_ST_OK);
    g_assert_cmpuint(rd(v, VKFD_REG_NUM_CONTEXTS), ==, 0);
    vkfd_stop(v);
}

static void test_queue_bad_properties(void)
{
    static const char *const bad[] = { ",max-queues=0", ",max-queues=65537" };
    unsigned i;

    for (i = 0; i < ARRAY_SIZE(bad); i++) {
        g_autofree char *err = NULL;

        g_assert_cmpint(qemu_start_status(bad[i], &err), ==, 1);
        g_assert_nonnull(strstr(err, "max-queues must be"));
    }
}

static void test_queue_doorbells(void)
{
    QCtx c;
    Vkfd *v = queue_start(NULL, &c);
    QMem d = qmem(v, &c, PAGE, PTE_W);
    Pkt *p = g_new0(Pkt, 1);
    TQueue q;

    tq_init(v, &q, &c, 1023, PAGE);
    /* no queue yet, then one: only the first write is an access error */
    ring_doorbell(v, 1, 1023, 0);
    g_assert_cmpuint(rd(v, VKFD_REG_ACCESS_ERRORS), ==, 1);
    g_assert_cmpuint(tq_map(&q), ==, VKFD_ST_OK);
    pk_write1(p, d.va, 1);
    tq_submit(&q, p);
    g_assert_cmpuint(qtest_readl(v->qts, d.pa), ==, 1);
    /* a 32-bit doorbell write kicks too */
    pk_write1(p, d.va, 2);
    tq_put(&q, p);
    qtest_writeq(v->qts, q.ptrs.pa + 8, q.wptr);
    qpci_io_writel(v->dev, v->doorbells,
                   VKFD_DOORBELL_PAGE_SIZE + 1023 * 8, q.wptr);
    tq_wait_rptr(&q, q.wptr);
    g_assert_cmpuint(qtest_readl(v->qts, d.pa), ==, 2);
    /* the neighbour doorbell and the same doorbell in page 2 have none */
    ring_doorbell(v, 1, 1022, 0);
    ring_doorbell(v, 2, 1023, 0);
    g_assert_cmpuint(rd(v, VKFD_REG_ACCESS_ERRORS), ==, 3);

    /* a stopped queue ignores its doorbell (not an access error) */
    pk(p, VKFD_PM4_HDR(0x99, 1));
    pk(p, 0);
    tq_put(&q, p);
    tq_kick(&q);
    g_assert_cmphex(tq_wait_run(&q), ==, tq_pos(&q, q.wptr - 2));
    pk_write1(p, d.va, 3);
    tq_put(&q, p);
    tq_kick(&q);
    g_usleep(10000);
    g_assert_cmphex(tq_rptr(&q), ==, MARK);
    g_assert_cmpuint(qtest_readl(v->qts, d.pa), ==, 2);
    g_assert_cmpuint(rd(v, VKFD_REG_ACCESS_ERRORS), ==, 3);
    tq_expect(&q, q.wptr - 7, VKFD_QERR_BAD_PACKET, VKFD_PM4_HDR(0x99, 1),
              tq_va(&q, q.wptr - 7));
    /* and once unmapped, the doorbell is nobody's again */
    ring_doorbell(v, 1, 1023, 0);
    g_assert_cmpuint(rd(v, VKFD_REG_ACCESS_ERRORS), ==, 4);
    g_free(p);
    vkfd_stop(v);
}

/* A reset with queues live, one of them waiting, forgets them all. */
static void test_queue_reset(void)
{
    QCtx c, c2;
    Vkfd *v = queue_start(NULL, &c);
    QMem d = qmem(v, &c, PAGE, PTE_W);
    Pkt *p = g_new0(Pkt, 1);
    TQueue q, q2;
    uint64_t at;

    qctx_init(v, &c2, 2);
    tq_init(v, &q, &c, 3, PAGE);
    tq_init(v, &q2, &c2, 3, PAGE);
    g_assert_cmpuint(tq_map(&q), ==, VKFD_ST_OK);
    g_assert_cmpuint(tq_map(&q2), ==, VKFD_ST_OK);
    at = q.wptr;
    pk_wait(p, F_EQ, d.va, 1, ~0u);
    pk_write1(p, d.va + 4, 1);
    g_assert_cmphex(tq_run(&q, p), ==, tq_pos(&q, at));

    wr(v, VKFD_REG_CONTROL, VKFD_CONTROL_RESET);
    g_assert_cmpuint(rd(v, VKFD_REG_NUM_CONTEXTS), ==, 0);
    qtest_writel(v->qts, d.pa, 1);
    qtest_clock_step(v->qts, 10 * 1000 * 1000);
    ring_doorbell(v, 1, 3, q.wptr);
    ring_doorbell(v, 2, 3, q2.wptr);
    g_assert_cmpuint(rd(v, VKFD_REG_ACCESS_ERRORS), ==, 2);
    g_usleep(10000);
    g_assert_cmpuint(qtest_readl(v->qts, d.pa + 4), ==, 0);

    /* the same ids and doorbells work again */
    ring_enable(v);
    g_assert_cmpuint(map_ctx(v, 1, c.root), ==, VKFD_ST_OK);
    g_assert_cmpuint(tq_map(&q), ==, VKFD_ST_OK);
    pk_write1(p, d.va + 8, 2);
    tq_submit(&q, p);
    g_assert_cmpuint(qtest_readl(v->qts, d.pa + 8), ==, 2);
    g_assert_cmpuint(qtest_readl(v->qts, d.pa + 4), ==, 0);
    tq_expect(&q, q.wptr, VKFD_QERR_NONE, 0, 0);
    g_free(p);
    vkfd_stop(v);
}

/*
 * Queues migrate: one waiting inside an IB, one stopped on an error, one
 * idle; on the other side the first resumes, the others stay as they were.
 */
static void test_queue_migration(void)
{
    QCtx c;
    Vkfd *v = queue_start(NULL, &c);
    QMem d = qmem(v, &c, PAGE, PTE_W);
    QMem ib = qmem(v, &c, PAGE, 0);
    Pkt *p = g_new0(Pkt, 1);
    TQueue qw, qe, qi;
    uint64_t wait_at, err_at;
    uint32_t n;

    tq_init(v, &qw, &c, 1, PAGE);
    tq_init(v, &qe, &c, 2, 256);
    tq_init(v, &qi, &c, 1000, PAGE);
    g_assert_cmpuint(tq_map(&qw), ==, VKFD_ST_OK);
    g_assert_cmpuint(tq_map(&qe), ==, VKFD_ST_OK);
    g_assert_cmpuint(tq_map(&qi), ==, VKFD_ST_OK);

    pk_write1(p, d.va + 4, 1);
    pk_wait(p, F_GE, d.va, 7, ~0u);
    pk_write1(p, d.va + 8, 2);
    n = p->n;
    pk_store(v, &ib, ib.va, p);
    wait_at = qw.wptr;
    pk_ib(p, ib.va, n);
    pk_write1(p, d.va + 12, 3);
    g_assert_cmphex(tq_run(&qw, p), ==, tq_pos(&qw, wait_at));

    pk_nop(p, 3);
    tq_put(&qe, p);
    err_at = qe.wptr;
    pk(p, VKFD_PM4_HDR(0x55, 1));
    pk(p, 0);
    g_assert_cmphex(tq_run(&qe, p), ==, tq_pos(&qe, err_at));

    pk_write1(p, d.va + 16, 4);
    tq_submit(&qi, p);

    vkfd_migrate(v, VKFD_PROPS);

    /* the waiting queue polls on, and goes on once its wait is met */
    g_assert_cmpuint(qtest_readl(v->qts, d.pa + 4), ==, 1);
    g_assert_cmpuint(qtest_readl(v->qts, d.pa + 8), ==, 0);
    qtest_writel(v->qts, d.pa, 9);
    qtest_clock_step(v->qts, 1000 * 1000);
    tq_wait_rptr(&qw, qw.wptr);
    g_assert_cmpuint(qtest_readl(v->qts, d.pa + 8), ==, 2);
    g_assert_cmpuint(qtest_readl(v->qts, d.pa + 12), ==, 3);
    /* the stopped one stays stopped, the idle one takes more work */
    tq_kick(&qe);
    pk_write1(p, d.va + 16, 5);
    tq_submit(&qi, p);
    g_assert_cmpuint(qtest_readl(v->qts, d.pa + 16), ==, 5);
    g_assert_cmphex(tq_rptr(&qe), ==, MARK);
    tq_expect(&qw, qw.wptr, VKFD_QERR_NONE, 0, 0);
    tq_expect(&qe, err_at, VKFD_QERR_BAD_PACKET, VKFD_PM4_HDR(0x55, 1),
              tq_va(&qe, err_at));
    tq_expect(&qi, qi.wptr, VKFD_QERR_NONE, 0, 0);
    g_assert_cmpuint(submit(v, VKFD_CMD_UNMAP_CONTEXT, 1), ==, VKFD_ST_OK);
    g_free(p);
    vkfd_stop(v);
}

void vkfd_test_add_queue(void)
{
    qtest_add_func("/vkfd/queue/map-errors", test_queue_map_errors);
    qtest_add_func("/vkfd/queue/bad-properties", test_queue_bad_properties);
    qtest_add_func("/vkfd/queue/doorbells", test_queue_doorbells);
    qtest_add_func("/vkfd/queue/reset", test_queue_reset);
    qtest_add_func("/vkfd/queue/migration", test_queue_migration);
}
