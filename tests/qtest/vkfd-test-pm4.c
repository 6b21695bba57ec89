/*
 * vkfd-test: the PM4 engine (hw/kfd/vkfd-pm4.c) on user queues.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "vkfd-test-queue.h"

static void wait_fault_count(Vkfd *v, uint32_t n)
{
    int i;

    for (i = 0; i < 200000 && rd(v, VKFD_REG_VM_FAULT_COUNT) < n; i++) {
        g_usleep(100);
    }
    g_assert_cmpuint(rd(v, VKFD_REG_VM_FAULT_COUNT), ==, n);
}

static void test_pm4_packets(void)
{
    QCtx c;
    Vkfd *v = queue_start(NULL, &c);
    QMem d = qmem(v, &c, PAGE, PTE_W);
    Pkt *p = g_new0(Pkt, 1);
    static const uint32_t data[4] = { 0x11, 0x22, 0x33, 0x44 };
    uint64_t clock;
    TQueue q;

    tq_init(v, &q, &c, 3, PAGE);
    g_assert_cmpuint(tq_map(&q), ==, VKFD_ST_OK);
    qtest_memset(v->qts, d.pa, 0xff, PAGE);

    /* NOPs: with a payload, the one-dword NOP, type-2 fillers */
    pk_nop(p, 5);
    pk(p, 0xffff1000);
    pk(p, 0x80000000);
    pk(p, 0xbfffffff);
    /* WRITE_DATA: a run of dwords, one address, each memory dst_sel */
    pk_write(p, VKFD_PM4_WD_MEM, d.va, data, 4);
    pk_write(p, VKFD_PM4_WD_MEM | VKFD_PM4_WD_ONE_ADDR, d.va + 0x40, data, 4);
    pk_write(p, 1 << 8, d.va + 0x50, data, 1);
    pk_write(p, 2 << 8, d.va + 0x54, data + 1, 1);
    pk_write(p, VKFD_PM4_WD_MEM, d.va + 0x5c, data + 2, 1);
    /* RELEASE_MEM: 32 bits, 64 bits, the clock twice, nothing */
    pk_release(p, 1, 0, d.va + 0x100, 0x1111222233334444ull);
    pk_release(p, 2, 2, d.va + 0x108, 0x5555666677778888ull);
    pk_release(p, 3, 0, d.va + 0x110, 0);
    pk_release(p, 4, 6, d.va + 0x118, 0);
    pk_release(p, 0, 1, d.va + 0x120, 0x99);
    /* ACQUIRE_MEM does nothing; WAIT_REG_MEMs that hold at once */
    pk_acquire(p);
    qtest_writel(v->qts, d.pa + 0x200, 0x1234);
    pk_wait(p, F_EQ, d.va + 0x200, 0x34, 0xff);
    pk_wait(p, F_ALWAYS, d.va + 0x200, 0, 0);
    pk_wait(p, F_GT, d.va + 0x200, 0x1233, 0xffffffff);
    pk_write1(p, d.va + 0x300, 0x600d);
    clock = read_clock(v);      /* only qtest moves the virtual clock */
    tq_submit(&q, p);

    g_assert_cmphex(qtest_readl(v->qts, d.pa), ==, 0x11);
    g_assert_cmphex(qtest_readl(v->qts, d.pa + 4), ==, 0x22);
    g_assert_cmphex(qtest_readl(v->qts, d.pa + 8), ==, 0x33);
    g_assert_cmphex(qtest_readl(v->qts, d.pa + 12), ==, 0x44);
    g_assert_cmphex(qtest_readl(v->qts, d.pa + 16), ==, 0xffffffff);
    g_assert_cmphex(qtest_readl(v->qts, d.pa + 0x40), ==, 0x44);
    g_assert_cmphex(qtest_readl(v->qts, d.pa + 0x44), ==, 0xffffffff);
    g_assert_cmphex(qtest_readl(v->qts, d.pa + 0x50), ==, 0x11);
    g_assert_cmphex(qtest_readl(v->qts, d.pa + 0x54), ==, 0x22);
    g_assert_cmphex(qtest_readl(v->qts, d.pa + 0x5c), ==, 0x33);
    g_assert_cmphex(qtest_readq(v->qts, d.pa + 0x100), ==,
                    0xffffffff33334444ull);
    g_assert_cmphex(qtest_readq(v->qts, d.pa + 0x108), ==,
                    0x5555666677778888ull);
    g_assert_cmphex(qtest_readq(v->qts, d.pa + 0x110), ==, clock);
    g_assert_cmphex(qtest_readq(v->qts, d.pa + 0x118), ==, clock);
    g_assert_cmphex(qtest_readq(v->qts, d.pa + 0x120), ==, ~0ull);
    g_assert_cmphex(qtest_readl(v->qts, d.pa + 0x300), ==, 0x600d);
    g_assert_cmpuint(rd(v, VKFD_REG_VM_FAULT_COUNT), ==, 0);
    tq_expect(&q, q.wptr, VKFD_QERR_NONE, 0, 0);
    g_free(p);
    vkfd_stop(v);
}

/*
 * The malformed packets: each is built by put (with sel) at va + off,
 * then resized (its header's count and its dwords: one more, a zero, or
 * one fewer) or changed in dword dw (cleared, then set).
 */
typedef struct BadPacket {
    const char *name;
    void (*put)(Pkt *p, uint64_t va, uint32_t sel);
    uint32_t sel;
    uint64_t off;
    int resize;
    unsigned dw;
    uint32_t clear, set;
} BadPacket;

static void put_dword(Pkt *p, uint64_t va, uint32_t sel)
{
    pk(p, sel);
}

static void put_unknown(Pkt *p, uint64_t va, uint32_t sel)
{
    pk(p, VKFD_PM4_HDR(0x99, 2));
    pk(p, 0);
    pk(p, 0);
}

static void put_write(Pkt *p, uint64_t va, uint32_t sel)
{
    pk_write(p, sel, va, (uint32_t[]){ 1 }, 1);
}

static void put_write_empty(Pkt *p, uint64_t va, uint32_t sel)
{
    pk_write(p, sel, va, NULL, 0);
}

static void put_release(Pkt *p, uint64_t va, uint32_t sel)
{
    pk_release(p, sel, 0, va, 0);
}

static void put_wait(Pkt *p, uint64_t va, uint32_t sel)
{
    pk_wait(p, sel, va, 0, 0);
}

static void put_ib(Pkt *p, uint64_t va, uint32_t sel)
{
    pk_ib(p, va, 4);
}

static void put_ib_va_end(Pkt *p, uint64_t va, uint32_t sel)
{
    pk_ib(p, (1ull << 48) - 8, 4);
}

static void put_acquire(Pkt *p, uint64_t va, uint32_t sel)
{
    pk_acquire(p);
}

static const BadPacket bad_packets[] = {
    { "unknown opcode", put_unknown },
    { "type 0: register writes", put_dword, 0x00001234 },
    { "type 1", put_dword, 0x40000000 },
    { "WRITE_DATA without data", put_write_empty, VKFD_PM4_WD_MEM },
    { "WRITE_DATA to a register", put_write, 0 << VKFD_PM4_WD_DST_SHIFT },
    { "WRITE_DATA to GDS", put_write, 3 << VKFD_PM4_WD_DST_SHIFT },
    { "WRITE_DATA unaligned", put_write, VKFD_PM4_WD_MEM, .off = 2 },
    { "RELEASE_MEM of 7 dwords", put_release, 1, .resize = -1 },
    { "RELEASE_MEM data_sel 5 (GDS)", put_release, 5 },
    { "RELEASE_MEM 64 bits unaligned", put_release, 2, .off = 4 },
    { "RELEASE_MEM 32 bits unaligned", put_release, 1, .off = 2 },
    { "RELEASE_MEM dst_sel 2", put_release, 1,
      .dw = 2, .set = 2 << VKFD_PM4_RM_DST_SHIFT },
    { "WAIT_REG_MEM on a register", put_wait, F_EQ,
      .dw = 1, .clear = VKFD_PM4_WRM_MEM_SPACE },
    { "WAIT_REG_MEM function 7", put_wait, 7 },
    { "WAIT_REG_MEM write-wait-write (registers)", put_wait, F_EQ,
      .dw = 1, .set = 1 << VKFD_PM4_WRM_OP_SHIFT },
    { "WAIT_REG_MEM unaligned", put_wait, F_EQ, .off = 1 },
    { "WAIT_REG_MEM of 6 dwords", put_wait, F_EQ, .resize = -1 },
    { "INDIRECT_BUFFER of 5 dwords", put_ib, .resize = 1 },
    { "INDIRECT_BUFFER unaligned", put_ib, .off = 2 },
    { "INDIRECT_BUFFER beyond 48 bits", put_ib_va_end },
    { "ACQUIRE_MEM of GFX10's 8 dwords", put_acquire, .resize = 1 },
    { "a packet larger than the whole ring", put_dword,
      VKFD_PM4_HDR(VKFD_PM4_OP_NOP, 2000) },
    { "RELEASE_MEM data_sel 7", put_release, 7 },
};

/* Put bad packet b into p, aimed at va. */
static void bad_packet_put(Pkt *p, const BadPacket *b, uint64_t va)
{
    unsigned start = p->n;
    uint32_t h;

    b->put(p, va + b->off, b->sel);
    if (b->resize) {
        h = p->dw[start];
        p->dw[start] = VKFD_PM4_HDR(VKFD_PM4_OPCODE(h),
                                    VKFD_PM4_COUNT(h) + 1 + b->resize);
        if (b->resize > 0) {
            pk(p, 0);
        } else {
            p->n--;
        }
    }
    if (b->dw) {
        p->dw[start + b->dw] = (p->dw[start + b->dw] & ~b->clear) | b->set;
    }
}

static void test_pm4_bad_packets(void)
{
    QCtx c;
    Vkfd *v = queue_start(NULL, &c);
    QMem d = qmem(v, &c, PAGE, PTE_W);
    Pkt *p = g_new0(Pkt, 1);
    uint64_t at;
    uint32_t header;
    unsigned i;
    TQueue q;

    tq_init(v, &q, &c, 3, PAGE);
    for (i = 0; ; i++) {
        g_assert_cmpuint(tq_map(&q), ==, VKFD_ST_OK);
        pk_write1(p, d.va + 4 * i, i + 1);
        tq_put(&q, p);
        at = q.wptr;
        if (i == ARRAY_SIZE(bad_packets)) {
            break;
        }
        bad_packet_put(p, &bad_packets[i], d.va + 0x800);
        header = p->dw[0];
        tq_put(&q, p);
        pk_write1(p, d.va + 0x400 + 4 * i, 1);  /* must not run */
        tq_put(&q, p);
        tq_kick(&q);
        g_test_message("bad packet %u (%s): header 0x%08x", i,
                       bad_packets[i].name, header);
        g_assert_cmphex(tq_wait_run(&q), ==, tq_pos(&q, at));
        tq_expect(&q, at, VKFD_QERR_BAD_PACKET, header, tq_va(&q, at));
        g_assert_cmpuint(qtest_readl(v->qts, d.pa + 4 * i), ==, i + 1);
        g_assert_cmpuint(qtest_readl(v->qts, d.pa + 0x400 + 4 * i), ==, 0);
    }
    tq_kick(&q);
    tq_wait_rptr(&q, q.wptr);
    g_assert_cmpuint(rd(v, VKFD_REG_VM_FAULT_COUNT), ==, 0);
    g_free(p);
    vkfd_stop(v);
}

/*
 * The rptr report as the GFX9 CP writes it: one packet a kick on a
 * 64-dword ring, so that every write-back is the end of a run and must be
 * exactly wptr % 64, through five wraps (packets of 5 to 12 dwords, some
 * across the ring's end); the MQD keeps the free-running count, and a
 * queue mapped again from it reports from where it was.
 */
static void test_pm4_rptr_report(void)
{
    QCtx c;
    Vkfd *v = queue_start(NULL, &c);
    QMem d = qmem(v, &c, PAGE, PTE_W);
    Pkt *p = g_new0(Pkt, 1);
    uint32_t data[8], i, j, k, wraps = 0, prev = 0, r;
    struct vkfd_mqd m;
    TQueue q;

    tq_init(v, &q, &c, 6, 256);
    g_assert_cmpuint(tq_map(&q), ==, VKFD_ST_OK);
    for (i = 0; q.wptr < 5 * 64 + 40; i++) {
        k = 1 + i % 8;
        for (j = 0; j < k; j++) {
            data[j] = i << 8 | j;
        }
        pk_write(p, VKFD_PM4_WD_MEM, d.va + (i % 64) * 32, data, k);
        r = tq_run(&q, p);
        g_assert_cmphex(r, ==, q.wptr % 64);
        g_assert_cmphex(qtest_readl(v->qts, d.pa + (i % 64) * 32 +
                                    (k - 1) * 4), ==, i << 8 | (k - 1));
        wraps += r < prev;
        prev = r;
    }
    g_assert_cmpuint(wraps, ==, 5);

    /* UNMAP_QUEUE saves the count; mapped again, the reports go on */
    g_assert_cmpuint(tq_unmap(&q, &m), ==, VKFD_ST_OK);
    g_assert_cmphex(m.rptr, ==, q.wptr);
    g_assert_cmpuint(m.error, ==, 0);
    g_assert_cmpuint(map_mqd(&q, &m), ==, VKFD_ST_OK);
    for (i = 0; i < 20; i++) {
        pk_write1(p, d.va + 0xf00, 0x700 + i);
        g_assert_cmphex(tq_run(&q, p), ==, q.wptr % 64);
        g_assert_cmphex(qtest_readl(v->qts, d.pa + 0xf00), ==, 0x700 + i);
    }
    g_assert_cmpuint(q.wptr, >, 6 * 64);
    tq_expect(&q, q.wptr, VKFD_QERR_NONE, 0, 0);

    /* a count far beyond 2^32 dwords still reports its ring offset */
    q.wptr = 0x123456789abcdefull;
    g_assert_cmpuint(tq_map(&q), ==, VKFD_ST_OK);
    for (i = 0; i < 30; i++) {
        pk_write1(p, d.va + 0xf04, i);
        g_assert_cmphex(tq_run(&q, p), ==, q.wptr % 64);
    }
    tq_expect(&q, q.wptr, VKFD_QERR_NONE, 0, 0);
    g_free(p);
    vkfd_stop(v);
}

/* A ring of 64 dwords, written over and over with packets of all sizes. */
static void test_pm4_wrap(void)
{
    QCtx c;
    Vkfd *v = queue_start(NULL, &c);
    QMem d = qmem(v, &c, PAGE, PTE_W);
    Pkt *p = g_new0(Pkt, 1);
    uint32_t data[8], i, j, k, first, batch;
    uint64_t at;
    TQueue q;

    tq_init(v, &q, &c, 5, 256);
    g_assert_cmpuint(tq_map(&q), ==, VKFD_ST_OK);
    for (i = 0; i < 400; ) {
        /* as many packets as fit in the ring, then one kick */
        first = i;
        for (batch = 0; ; i++) {
            k = 1 + i % 8;
            if (batch + 4 + k > 64 || i == 400) {
                break;
            }
            for (j = 0; j < k; j++) {
                data[j] = i << 8 | j;
            }
            pk_write(p, VKFD_PM4_WD_MEM, d.va + (i % 100) * 32, data, k);
            batch += 4 + k;
        }
        tq_submit(&q, p);
        for (; first < i; first++) {
            k = 1 + first % 8;
            for (j = 0; j < k; j++) {
                g_assert_cmphex(qtest_readl(v->qts, d.pa +
                                            (first % 100) * 32 + j * 4),
                                ==, first << 8 | j);
            }
        }
    }
    g_assert_cmpuint(q.wptr, >, 40 * 64);

    /* a full ring is fine: 64 dwords of NOP */
    pk_nop(p, 63);
    tq_submit(&q, p);

    /* a packet written in two goes runs once it is complete */
    for (j = 0; j < 8; j++) {
        data[j] = 0x5000 + j;
    }
    pk_write(p, VKFD_PM4_WD_MEM, d.va + 0xe00, data, 8);
    at = q.wptr;
    tq_put_dw(&q, p->dw, 5);
    tq_kick(&q);
    g_assert_cmphex(tq_wait_run(&q), ==, tq_pos(&q, at));
    g_assert_cmphex(qtest_readl(v->qts, d.pa + 0xe00), ==, 0);
    tq_put_dw(&q, p->dw + 5, 7);
    p->n = 0;
    tq_kick(&q);
    tq_wait_rptr(&q, q.wptr);
    g_assert_cmphex(qtest_readl(v->qts, d.pa + 0xe1c), ==, 0x5007);
    tq_expect(&q, q.wptr, VKFD_QERR_NONE, 0, 0);
    g_free(p);
    vkfd_stop(v);
}

static void test_pm4_wait(void)
{
    static const struct {
        uint32_t func, ref, mask, unmet, met;
    } rows[] = {
        { F_ALWAYS, 0, 0, 0, 0 },
        { F_LT, 5, ~0u, 5, 4 },
        { F_LE, 5, ~0u, 6, 5 },
        { F_EQ, 0x34, 0xff, 0x1235, 0x2234 },
        { F_NE, 5, ~0u, 5, 6 },
        { F_GE, 5, ~0u, 4, 5 },
        { F_GT, 5, ~0u, 5, 0xffffffff },
        { F_EQ, 0x10, 0xf0, 0x0f, 0x1f },
        { F_LT, 0x80000000u, ~0u, 0x80000000u, 0x7fffffff },
    };
    QCtx c;
    Vkfd *v = queue_start(NULL, &c);
    QMem d = qmem(v, &c, PAGE, PTE_W);
    Pkt *p = g_new0(Pkt, 1);
    struct vkfd_mqd m;
    uint64_t at;
    unsigned i;
    TQueue q;

    tq_init(v, &q, &c, 3, PAGE);
    g_assert_cmpuint(tq_map(&q), ==, VKFD_ST_OK);
    for (i = 0; i < ARRAY_SIZE(rows); i++) {
        qtest_writel(v->qts, d.pa, rows[i].unmet);
        at = q.wptr;
        pk_wait(p, rows[i].func, d.va, rows[i].ref, rows[i].mask);
        pk_write1(p, d.va + 0x100 + 4 * i, i + 1);
        tq_put(&q, p);
        tq_kick(&q);
        if (rows[i].func == F_ALWAYS) {
            tq_wait_rptr(&q, q.wptr);
            continue;
        }
        g_test_message("wait row %u", i);
        g_assert_cmphex(tq_wait_run(&q), ==, tq_pos(&q, at));
        /* time passes, the device looks again, nothing changed */
        tq_mark(&q);
        qtest_clock_step(v->qts, 1000 * 1000);
        g_assert_cmphex(tq_wait_run(&q), ==, tq_pos(&q, at));
        g_assert_cmpuint(qtest_readl(v->qts, d.pa + 0x100 + 4 * i), ==, 0);
        qtest_writel(v->qts, d.pa, rows[i].met);
        if (i % 2) {
            qtest_clock_step(v->qts, 1000 * 1000);  /* the next poll */
        } else {
            ring_doorbell(v, 1, 3, q.wptr);         /* or a doorbell */
        }
        tq_wait_rptr(&q, q.wptr);
        g_assert_cmpuint(qtest_readl(v->qts, d.pa + 0x100 + 4 * i), ==,
                         i + 1);
    }

    /*
     * UNMAP_QUEUE of a waiting queue saves where it waits; mapping the
     * same MQD again resumes there.
     */
    qtest_writel(v->qts, d.pa, 0);
    at = q.wptr;
    pk_wait(p, F_EQ, d.va, 1, ~0u);
    pk_write1(p, d.va + 0x200, 0x77);
    g_assert_cmphex(tq_run(&q, p), ==, tq_pos(&q, at));
    g_assert_cmpuint(tq_unmap(&q, &m), ==, VKFD_ST_OK);
    g_assert_cmphex(m.rptr, ==, at);
    g_assert_cmpuint(m.error, ==, 0);
    g_assert_cmpuint(map_mqd(&q, &m), ==, VKFD_ST_OK);
    qtest_writel(v->qts, d.pa, 1);
    tq_kick(&q);
    tq_wait_rptr(&q, q.wptr);
    g_assert_cmphex(qtest_readl(v->qts, d.pa + 0x200), ==, 0x77);
    tq_expect(&q, q.wptr, VKFD_QERR_NONE, 0, 0);
    g_free(p);
    vkfd_stop(v);
}

/* Store p as an IB at va of m; returns its size in dwords. */
static uint32_t ib_store(Vkfd *v, const QMem *m, uint64_t va, Pkt *p)
{
    uint32_t n = p->n;

    pk_store(v, m, va, p);
    return n;
}

/*
 * Run an IB of n dwords at va from q's ring, which must stop the queue at
 * that IB packet with error (info, error_va); then map q again.
 */
static void ib_fails(TQueue *q, Pkt *p, uint64_t va, uint32_t n,
                     uint32_t error, uint32_t info, uint64_t error_va)
{
    uint64_t at = q->wptr + p->n;

    pk_ib(p, va, n);
    g_assert_cmphex(tq_run(q, p), ==, tq_pos(q, at));
    tq_expect(q, at, error, info, error_va);
    g_assert_cmpuint(tq_map(q), ==, VKFD_ST_OK);
}

static void test_pm4_ib(void)
{
    QCtx c;
    Vkfd *v = queue_start(NULL, &c);
    QMem d = qmem(v, &c, 4 * PAGE, PTE_W);
    QMem ib = qmem(v, &c, 16 * PAGE, 0);
    QMem big = qmem(v, &c, 64 * 1024, 0);
    Pkt *p = g_new0(Pkt, 1);
    uint64_t ib1 = ib.va, ib2 = ib.va + PAGE, ib3 = ib.va + 2 * PAGE;
    uint64_t at, bad_at;
    uint32_t header, i, n1, n2;
    TQueue q;

    tq_init(v, &q, &c, 3, PAGE);
    g_assert_cmpuint(tq_map(&q), ==, VKFD_ST_OK);

    /* ring -> IB1 -> IB2, and an empty IB, in order */
    pk_write1(p, d.va + 8, 8);
    pk_write1(p, d.va + 0x100, 2);
    n2 = ib_store(v, &ib, ib2, p);
    pk_write1(p, d.va, 1);
    pk_ib(p, ib2, n2);
    pk_ib(p, ib3, 0);
    pk_write1(p, d.va + 4, 4);
    pk_write1(p, d.va + 0x100, 3);
    n1 = ib_store(v, &ib, ib1, p);
    pk_write1(p, d.va + 0x100, 1);
    pk_ib(p, ib1, n1);
    pk_write1(p, d.va + 12, 12);
    tq_submit(&q, p);
    g_assert_cmpuint(qtest_readl(v->qts, d.pa), ==, 1);
    g_assert_cmpuint(qtest_readl(v->qts, d.pa + 4), ==, 4);
    g_assert_cmpuint(qtest_readl(v->qts, d.pa + 8), ==, 8);
    g_assert_cmpuint(qtest_readl(v->qts, d.pa + 12), ==, 12);
    g_assert_cmpuint(qtest_readl(v->qts, d.pa + 0x100), ==, 3);

    /* a big IB: many budgets' worth, resumed run after run */
    for (i = 0; i < 3000; i++) {
        pk_write1(p, d.va + PAGE + i * 4, i ^ 0x5a5a);
    }
    n1 = ib_store(v, &big, big.va, p);
    pk_ib(p, big.va, n1);
    pk_write1(p, d.va + 0x104, 0xe0d);
    tq_submit(&q, p);
    for (i = 0; i < 3000; i++) {
        g_assert_cmphex(qtest_readl(v->qts, d.pa + PAGE + i * 4), ==,
                        i ^ 0x5a5a);
    }
    g_assert_cmphex(qtest_readl(v->qts, d.pa + 0x104), ==, 0xe0d);

    /* a wait inside IB2 stops the queue and resumes where it was */
    qtest_writel(v->qts, d.pa + 0x200, 0);
    pk_wait(p, F_EQ, d.va + 0x200, 1, ~0u);
    pk_write1(p, d.va + 0x204, 2);
    n2 = ib_store(v, &ib, ib2, p);
    pk_write1(p, d.va + 0x208, 1);
    pk_ib(p, ib2, n2);
    pk_write1(p, d.va + 0x20c, 3);
    n1 = ib_store(v, &ib, ib1, p);
    at = q.wptr;
    pk_ib(p, ib1, n1);
    pk_write1(p, d.va + 0x210, 4);
    g_assert_cmphex(tq_run(&q, p), ==, tq_pos(&q, at));
    g_assert_cmpuint(qtest_readl(v->qts, d.pa + 0x208), ==, 1);
    g_assert_cmpuint(qtest_readl(v->qts, d.pa + 0x204), ==, 0);
    qtest_writel(v->qts, d.pa + 0x200, 1);
    qtest_clock_step(v->qts, 1000 * 1000);
    tq_wait_rptr(&q, q.wptr);
    g_assert_cmpuint(qtest_readl(v->qts, d.pa + 0x204), ==, 2);
    g_assert_cmpuint(qtest_readl(v->qts, d.pa + 0x20c), ==, 3);
    g_assert_cmpuint(qtest_readl(v->qts, d.pa + 0x210), ==, 4);

    /* IB1 -> IB2 -> IB3 is one level too many */
    pk_write1(p, d.va + 0x300, 3);
    pk_store(v, &ib, ib3, p);
    pk_write1(p, d.va + 0x304, 2);
    bad_at = ib2 + p->n * 4;
    pk_ib(p, ib3, 5);
    header = p->dw[p->n - 4];
    n2 = ib_store(v, &ib, ib2, p);
    pk_ib(p, ib2, n2);
    n1 = ib_store(v, &ib, ib1, p);
    ib_fails(&q, p, ib1, n1, VKFD_QERR_IB_DEPTH, header, bad_at);
    g_assert_cmpuint(qtest_readl(v->qts, d.pa + 0x304), ==, 2);
    g_assert_cmpuint(qtest_readl(v->qts, d.pa + 0x300), ==, 0);

    /* a bad packet in an IB is reported at its IB address */
    pk_write1(p, d.va + 0x308, 1);
    pk(p, VKFD_PM4_HDR(0x77, 1));
    pk(p, 0);
    n1 = ib_store(v, &ib, ib1, p);
    ib_fails(&q, p, ib1, n1, VKFD_QERR_BAD_PACKET, VKFD_PM4_HDR(0x77, 1),
             ib1 + 5 * 4);

    /* a packet that runs past the end of its IB */
    pk_write1(p, d.va + 0x30c, 1);
    header = p->dw[0];
    pk_store(v, &ib, ib1, p);
    ib_fails(&q, p, ib1, 4, VKFD_QERR_BAD_PACKET, header, ib1);
    g_assert_cmpuint(qtest_readl(v->qts, d.pa + 0x30c), ==, 0);

    /* an IB where nothing is mapped */
    ib_fails(&q, p, ib.va + ib.size, 16, VKFD_QERR_VM_FAULT, 0,
             ib.va + ib.size);
    expect_fault(v, VKFD_ST_VM_FAULT, 1, ib.va + ib.size, false);
    g_free(p);
    vkfd_stop(v);
}

static void test_pm4_faults(void)
{
    QCtx c;
    Vkfd *v = queue_start(NULL, &c);
    QMem d = qmem(v, &c, PAGE, PTE_W);
    QMem ro = qmem(v, &c, PAGE, 0);
    uint64_t hole = d.va + d.size, at;
    static const uint32_t data[4] = { 1, 2, 3, 4 };
    Pkt *p = g_new0(Pkt, 1);
    struct vkfd_mqd m;
    TQueue q, q2;

    tq_init(v, &q, &c, 3, PAGE);

    /* WRITE_DATA into nothing */
    g_assert_cmpuint(tq_map(&q), ==, VKFD_ST_OK);
    at = q.wptr;
    pk_write1(p, hole, 1);
    g_assert_cmphex(tq_run(&q, p), ==, tq_pos(&q, at));
    tq_expect(&q, at, VKFD_QERR_VM_FAULT,
              VKFD_PM4_HDR(VKFD_PM4_OP_WRITE_DATA, 4), hole);
    expect_fault(v, VKFD_ST_VM_FAULT, 1, hole, true);

    /* WRITE_DATA that runs off its page into nothing */
    g_assert_cmpuint(tq_map(&q), ==, VKFD_ST_OK);
    at = q.wptr;
    pk_write(p, VKFD_PM4_WD_MEM, hole - 8, data, 4);
    g_assert_cmphex(tq_run(&q, p), ==, tq_pos(&q, at));
    tq_expect(&q, at, VKFD_QERR_VM_FAULT,
              VKFD_PM4_HDR(VKFD_PM4_OP_WRITE_DATA, 7), hole);
    expect_fault(v, VKFD_ST_VM_FAULT, 1, hole, true);
    g_assert_cmpuint(qtest_readl(v->qts, d.pa + PAGE - 4), ==, 2);

    /* RELEASE_MEM to a read-only page */
    g_assert_cmpuint(tq_map(&q), ==, VKFD_ST_OK);
    at = q.wptr;
    pk_release(p, 2, 0, ro.va + 8, 5);
    g_assert_cmphex(tq_run(&q, p), ==, tq_pos(&q, at));
    tq_expect(&q, at, VKFD_QERR_VM_FAULT,
              VKFD_PM4_HDR(VKFD_PM4_OP_RELEASE_MEM, 7), ro.va + 8);
    expect_fault_ro(v, VKFD_ST_VM_FAULT, 1, ro.va + 8);

    /* WAIT_REG_MEM on nothing (a read) */
    g_assert_cmpuint(tq_map(&q), ==, VKFD_ST_OK);
    at = q.wptr;
    pk_wait(p, F_EQ, hole + 4, 0, ~0u);
    g_assert_cmphex(tq_run(&q, p), ==, tq_pos(&q, at));
    tq_expect(&q, at, VKFD_QERR_VM_FAULT,
              VKFD_PM4_HDR(VKFD_PM4_OP_WAIT_REG_MEM, 6), hole + 4);
    expect_fault(v, VKFD_ST_VM_FAULT, 1, hole + 4, false);

    /* a wptr the device cannot read: nothing runs, nothing written */
    tq_init(v, &q2, &c, 4, PAGE);
    tq_mqd(&q2, &m);
    m.wptr_addr = hole;
    g_assert_cmpuint(map_mqd(&q2, &m), ==, VKFD_ST_OK);
    pk_write1(p, d.va, 9);
    tq_put(&q2, p);
    tq_kick(&q2);
    wait_fault_count(v, 5);
    tq_expect(&q2, 0, VKFD_QERR_VM_FAULT, 0, hole);
    expect_fault(v, VKFD_ST_VM_FAULT, 1, hole, false);
    g_assert_cmphex(tq_rptr(&q2), ==, MARK);

    /* an rptr the device cannot write: the packets ran, then the fault */
    tq_mqd(&q2, &m);
    m.rptr = 0;                 /* run the WRITE_DATA put above */
    m.rptr_addr = ro.va;
    g_assert_cmpuint(map_mqd(&q2, &m), ==, VKFD_ST_OK);
    tq_kick(&q2);
    wait_fault_count(v, 6);
    tq_expect(&q2, q2.wptr, VKFD_QERR_VM_FAULT, 0, ro.va);
    expect_fault(v, VKFD_ST_VM_FAULT, 1, ro.va, true);
    g_assert_cmpuint(qtest_readl(v->qts, d.pa), ==, 9);

    /* a ring where nothing is mapped */
    tq_mqd(&q2, &m);
    m.ring_base = hole;
    g_assert_cmpuint(map_mqd(&q2, &m), ==, VKFD_ST_OK);
    pk_nop(p, 1);
    tq_put(&q2, p);
    tq_kick(&q2);
    at = q2.wptr - 2;
    g_assert_cmphex(tq_wait_run(&q2), ==, tq_pos(&q2, at));
    tq_expect(&q2, at, VKFD_QERR_VM_FAULT, 0,
              hole + (at % (PAGE / 4)) * 4);
    expect_fault(v, VKFD_ST_VM_FAULT, 1, hole + (at % (PAGE / 4)) * 4,
                 false);
    g_free(p);
    vkfd_stop(v);
}

/* Two contexts: neither's queues reach the other's memory. */
static void test_pm4_isolation(void)
{
    QCtx a, b;
    Vkfd *v = queue_start(NULL, &a);
    QMem da, db, only_b;
    Pkt *p = g_new0(Pkt, 1);
    TQueue qa, qb;
    uint64_t at;

    qctx_init(v, &b, 2);
    da = qmem(v, &a, PAGE, PTE_W);
    db = qmem(v, &b, PAGE, PTE_W);
    g_assert_cmphex(da.va, ==, db.va);      /* one VA, two pages */
    b.next_va += 64 * GIB;
    only_b = qmem(v, &b, PAGE, PTE_W);
    tq_init(v, &qa, &a, 3, PAGE);
    tq_init(v, &qb, &b, 3, PAGE);
    g_assert_cmpuint(tq_map(&qa), ==, VKFD_ST_OK);
    g_assert_cmpuint(tq_map(&qb), ==, VKFD_ST_OK);

    pk_write1(p, da.va, 0xaaaa);
    tq_submit(&qa, p);
    pk_write1(p, db.va, 0xbbbb);
    pk_write1(p, only_b.va, 0xbbbb);
    tq_submit(&qb, p);
    g_assert_cmphex(qtest_readl(v->qts, da.pa), ==, 0xaaaa);
    g_assert_cmphex(qtest_readl(v->qts, db.pa), ==, 0xbbbb);
    g_assert_cmphex(qtest_readl(v->qts, only_b.pa), ==, 0xbbbb);

    /* B's page at a VA A does not map: A faults, B's memory is intact */
    at = qa.wptr;
    pk_write1(p, only_b.va, 0xaaaa);
    g_assert_cmphex(tq_run(&qa, p), ==, tq_pos(&qa, at));
    tq_expect(&qa, at, VKFD_QERR_VM_FAULT,
              VKFD_PM4_HDR(VKFD_PM4_OP_WRITE_DATA, 4), only_b.va);
    expect_fault(v, VKFD_ST_VM_FAULT, 1, only_b.va, true);
    g_assert_cmphex(qtest_readl(v->qts, only_b.pa), ==, 0xbbbb);

    /* and B's queue goes on */
    pk_write1(p, only_b.va + 4, 0xcccc);
    tq_submit(&qb, p);
    g_assert_cmphex(qtest_readl(v->qts, only_b.pa + 4), ==, 0xcccc);
    tq_expect(&qb, qb.wptr, VKFD_QERR_NONE, 0, 0);
    g_free(p);
    vkfd_stop(v);
}

/* 64 queues in 4 contexts, all kicked at once, all get through. */
static void test_pm4_many_queues(void)
{
    enum { NCTX = 4, NQ = 16, NPKT = 60 };
    QCtx c[NCTX];
    Vkfd *v = queue_start(NULL, &c[0]);
    TQueue *q = g_new0(TQueue, NCTX * NQ);
    QMem d[NCTX];
    Pkt *p = g_new0(Pkt, 1);
    unsigned i, j, k, round;

    for (i = 1; i < NCTX; i++) {
        qctx_init(v, &c[i], 1 + i * 7);
    }
    for (i = 0; i < NCTX; i++) {
        d[i] = qmem(v, &c[i], NQ * NPKT * 4 + 16 * 8, PTE_W);
        for (j = 0; j < NQ; j++) {
            tq_init(v, &q[i * NQ + j], &c[i], (j * 61 + i) % 1024, PAGE);
            g_assert_cmpuint(tq_map(&q[i * NQ + j]), ==, VKFD_ST_OK);
        }
    }
    for (round = 0; round < 2; round++) {
        for (i = 0; i < NCTX * NQ; i++) {
            QMem *m = &d[i / NQ];

            for (k = 0; k < NPKT; k++) {
                pk_write1(p, m->va + ((i % NQ) * NPKT + k) * 4,
                          round << 28 | i << 16 | k);
            }
            pk_release(p, 2, 0, m->va + NQ * NPKT * 4 + (i % NQ) * 8,
                       round + 1);
            tq_put(&q[i], p);
        }
        for (i = 0; i < NCTX * NQ; i++) {
            tq_kick(&q[i]);
        }
        for (i = 0; i < NCTX * NQ; i++) {
            tq_wait_rptr(&q[i], q[i].wptr);
        }
        for (i = 0; i < NCTX * NQ; i++) {
            QMem *m = &d[i / NQ];

            for (k = 0; k < NPKT; k++) {
                g_assert_cmphex(qtest_readl(v->qts, m->pa +
                                            ((i % NQ) * NPKT + k) * 4),
                                ==, round << 28 | i << 16 | k);
            }
            g_assert_cmpuint(qtest_readq(v->qts, m->pa + NQ * NPKT * 4 +
                                         (i % NQ) * 8), ==, round + 1);
        }
    }
    for (i = 0; i < NCTX * NQ; i++) {
        tq_expect(&q[i], q[i].wptr, VKFD_QERR_NONE, 0, 0);
    }
    g_free(p);
    g_free(q);
    vkfd_stop(v);
}

/* Write pointers the ring cannot hold. */
static void test_pm4_bad_wptr(void)
{
    QCtx c;
    Vkfd *v = queue_start(NULL, &c);
    QMem d = qmem(v, &c, PAGE, PTE_W);
    Pkt *p = g_new0(Pkt, 1);
    TQueue q;

    tq_init(v, &q, &c, 3, PAGE);
    /* huge */
    g_assert_cmpuint(tq_map(&q), ==, VKFD_ST_OK);
    q.wptr = 1ull << 62;
    tq_kick(&q);
    g_assert_cmphex(tq_wait_run(&q), ==, tq_pos(&q, 0));
    tq_expect(&q, 0, VKFD_QERR_BAD_POINTER, 0, 1ull << 62);
    q.wptr = ~0ull;
    g_assert_cmpuint(tq_map(&q), ==, VKFD_ST_OK);
    q.wptr = 5;
    tq_kick(&q);
    g_assert_cmphex(tq_wait_run(&q), ==, tq_pos(&q, ~0ull));
    g_assert_cmpuint(tq_unmap(&q, &(struct vkfd_mqd){ 0 }), ==, VKFD_ST_OK);

    /* backwards */
    q.wptr = 100;
    g_assert_cmpuint(tq_map(&q), ==, VKFD_ST_OK);
    q.wptr = 99;
    tq_kick(&q);
    g_assert_cmphex(tq_wait_run(&q), ==, tq_pos(&q, 100));
    tq_expect(&q, 100, VKFD_QERR_BAD_POINTER, 0, 99);

    /* one dword more than the ring */
    g_assert_cmpuint(tq_map(&q), ==, VKFD_ST_OK);
    q.wptr += PAGE / 4 + 1;
    tq_kick(&q);
    g_assert_cmphex(tq_wait_run(&q), ==, tq_pos(&q, 99));
    tq_expect(&q, 99, VKFD_QERR_BAD_POINTER, 0, 99 + PAGE / 4 + 1);

    /* exactly a ring's worth is fine; a free-running wptr past 2^32 too */
    q.wptr = 0xfffffff0ull;
    g_assert_cmpuint(tq_map(&q), ==, VKFD_ST_OK);
    pk_nop(p, PAGE / 4 - 6);
    pk_write1(p, d.va, 0x1234);
    tq_submit(&q, p);
    g_assert_cmphex(q.wptr, ==, 0xfffffff0ull + PAGE / 4);
    g_assert_cmphex(qtest_readl(v->qts, d.pa), ==, 0x1234);
    tq_expect(&q, q.wptr, VKFD_QERR_NONE, 0, 0);
    g_assert_cmphex(rd(v, VKFD_REG_ID), ==, VKFD_ID_MAGIC);
    g_free(p);
    vkfd_stop(v);
}

/* IBs for random packets: clean ones (cut at packet bounds) or noise. */
typedef struct RandIbs {
    QMem clean, noise;
    uint32_t bounds[2048];      /* dword offsets of the clean packets */
    uint32_t nbounds;
    bool built;                 /* IB packets once the clean IB exists */
} RandIbs;

/*
 * A random packet.  Clean ones are well formed and cannot fail or block
 * (their addresses stay in d); the others have random fields, sometimes
 * malformed, sometimes plain noise, addresses mostly in d.
 */
static void random_packet(GRand *r, Pkt *p, const QMem *d,
                          const RandIbs *ibs, bool clean)
{
    static const uint32_t ops[] = {
        VKFD_PM4_OP_NOP, VKFD_PM4_OP_WRITE_DATA, VKFD_PM4_OP_WAIT_REG_MEM,
        VKFD_PM4_OP_INDIRECT_BUFFER, VKFD_PM4_OP_RELEASE_MEM,
        VKFD_PM4_OP_ACQUIRE_MEM,
    };
    uint32_t n = g_rand_int_range(r, 1, 9), i, j, op;
    uint32_t pick = g_rand_int_range(r, clean ? 5 : 0, 100);
    uint64_t va = d->va + g_rand_int_range(r, 0, d->size / 4 - n) * 4;

    if (!clean && !g_rand_int_range(r, 0, 16)) {
        va = (uint64_t)g_rand_int(r) << 32 | g_rand_int(r);
    }
    if (pick < 2) {             /* any dword at all */
        pk(p, g_rand_int(r));
    } else if (pick < 5) {      /* a known opcode with any payload */
        op = ops[g_rand_int_range(r, 0, ARRAY_SIZE(ops))];
        pk(p, VKFD_PM4_HDR(op, n));
        for (i = 0; i < n; i++) {
            pk(p, g_rand_boolean(r) ? g_rand_int(r) : (uint32_t)va);
        }
    } else if (pick < 40) {
        pk(p, VKFD_PM4_HDR(VKFD_PM4_OP_WRITE_DATA, 3 + n));
        pk(p, clean || g_rand_int_range(r, 0, 8) ? VKFD_PM4_WD_MEM :
                                                   g_rand_int(r));
        pk(p, (uint32_t)va);
        pk(p, va >> 32);
        for (i = 0; i < n; i++) {
            pk(p, g_rand_int(r));
        }
    } else if (pick < 60) {
        pk_release(p, clean || g_rand_int_range(r, 0, 20) ?
                      g_rand_int_range(r, 0, 5) : g_rand_int_range(r, 5, 8),
                   g_rand_int_range(r, 0, 8), va & ~7ull, g_rand_int(r));
    } else if (pick < 65) {
        if (clean) {            /* holds at once */
            pk_wait(p, g_rand_boolean(r) ? F_ALWAYS : F_GE, va, 0, ~0u);
        } else {                /* may wait until the test pokes memory */
            pk_wait(p, g_rand_int_range(r, 0, 8), va,
                    g_rand_int_range(r, 0, 3), g_rand_int_range(r, 0, 4));
        }
    } else if (pick < 75 && ibs->built) {
        if (clean) {
            i = g_rand_int_range(r, 0, ibs->nbounds - 1);
            j = g_rand_int_range(r, i + 1, MIN(i + 40, ibs->nbounds));
            pk_ib(p, ibs->clean.va + ibs->bounds[i] * 4,
                  ibs->bounds[j] - ibs->bounds[i]);
        } else {
            pk_ib(p, ibs->noise.va +
                     g_rand_int_range(r, 0, ibs->noise.size / 4) * 4,
                  g_rand_int_range(r, 0, 64));
        }
    } else if (pick < 85) {
        pk_nop(p, n);
    } else if (pick < 90) {
        pk_acquire(p);
    } else {
        pk(p, g_rand_boolean(r) ? 0x80000000 : 0xffff1000);
    }
}

/*
 * Thousands of random dwords and packets through one queue.  Clean
 * rounds must run to the end; the others may stop anywhere, with any
 * error, but QEMU must go on answering and unmap the queue every time.
 */
static void test_pm4_random(void)
{
    QCtx c;
    Vkfd *v = queue_start(NULL, &c);
    QMem d = qmem(v, &c, 8 * PAGE, PTE_W);
    GRand *r = g_rand_new_with_seed(0x504d34);
    Pkt *p = g_new0(Pkt, 1);
    RandIbs *ibs = g_new0(RandIbs, 1);
    uint32_t round, total = 0, ran = 0, errors[8] = { 0 };
    struct vkfd_mqd m;
    uint64_t start;
    bool clean;
    TQueue q;

    ibs->clean = qmem(v, &c, 4 * PAGE, 0);
    ibs->noise = qmem(v, &c, 4 * PAGE, 0);
    while (p->n < ibs->clean.size / 4 - 16 &&
           ibs->nbounds < ARRAY_SIZE(ibs->bounds) - 1) {
        ibs->bounds[ibs->nbounds++] = p->n;
        random_packet(r, p, &d, ibs, true);
    }
    ibs->bounds[ibs->nbounds++] = p->n;
    qtest_memwrite(v->qts, ibs->clean.pa, p->dw, p->n * 4);
    p->n = 0;
    ibs->built = true;          /* noise IBs may call IBs, clean ones not */
    while (p->n < ibs->noise.size / 4 - 16) {
        random_packet(r, p, &d, ibs, false);
    }
    qtest_memwrite(v->qts, ibs->noise.pa, p->dw, p->n * 4);
    p->n = 0;

    tq_init(v, &q, &c, 9, PAGE);
    for (round = 0; round < 60; round++) {
        clean = round % 3 == 0 && round % 10 != 5;
        g_assert_cmpuint(tq_map(&q), ==, VKFD_ST_OK);
        start = q.wptr;
        while (p->n < 900) {
            if (round % 10 == 5) {
                pk(p, g_rand_int(r));
            } else {
                random_packet(r, p, &d, ibs, clean);
            }
        }
        total += p->n;
        tq_put(&q, p);
        tq_kick(&q);
        if (clean) {
            tq_wait_rptr(&q, q.wptr);
        } else {
            tq_wait_run(&q);
        }
        qtest_writel(v->qts, d.pa + g_rand_int_range(r, 0, d.size / 4) * 4,
                     g_rand_int_range(r, 0, 3));
        g_assert_cmpuint(tq_unmap(&q, &m), ==, VKFD_ST_OK);
        if (clean) {
            g_assert_cmpuint(m.error, ==, VKFD_QERR_NONE);
            g_assert_cmphex(m.rptr, ==, q.wptr);
        }
        g_assert_cmpuint(m.error, <=, VKFD_QERR_IB_DEPTH);
        g_assert_cmpuint(m.error, !=, VKFD_QERR_BAD_POINTER);
        g_assert_cmpuint(m.rptr, >=, start);
        g_assert_cmpuint(m.rptr, <=, q.wptr);
        errors[m.error]++;
        ran += m.rptr - start;
        wr(v, VKFD_REG_VM_FAULT_STATUS, FAULT_ALL);
        g_assert_cmphex(rd(v, VKFD_REG_ID), ==, VKFD_ID_MAGIC);
    }
    g_test_message("%u dwords, %u consumed; queues stopped with none %u, "
                   "bad packet %u, VM fault %u, IB depth %u", total, ran,
                   errors[0], errors[1], errors[2], errors[5]);
    g_assert_cmpuint(total, >=, 50000);
    g_assert_cmpuint(ran, >=, 15000);
    g_assert_cmpuint(errors[VKFD_QERR_BAD_PACKET], >, 0);
    g_assert_cmpuint(rd(v, VKFD_REG_STATUS), ==, VKFD_STATUS_ENABLED);
    g_assert_cmpuint(rd(v, VKFD_REG_NUM_CONTEXTS), ==, 1);
    g_rand_free(r);
    g_free(ibs);
    g_free(p);
    vkfd_stop(v);
}

void vkfd_test_add_pm4(void)
{
    qtest_add_func("/vkfd/pm4/packets", test_pm4_packets);
    qtest_add_func("/vkfd/pm4/bad-packets", test_pm4_bad_packets);
    qtest_add_func("/vkfd/pm4/wrap", test_pm4_wrap);
    qtest_add_func("/vkfd/pm4/rptr-report", test_pm4_rptr_report);
    qtest_add_func("/vkfd/pm4/wait", test_pm4_wait);
    qtest_add_func("/vkfd/pm4/ib", test_pm4_ib);
    qtest_add_func("/vkfd/pm4/faults", test_pm4_faults);
    qtest_add_func("/vkfd/pm4/isolation", test_pm4_isolation);
    qtest_add_func("/vkfd/pm4/many-queues", test_pm4_many_queues);
    qtest_add_func("/vkfd/pm4/bad-wptr", test_pm4_bad_wptr);
    qtest_add_func("/vkfd/pm4/random", test_pm4_random);
}
