/*
 * QTest testcases for the vkfd queue engines: SDMA packets and AQL
 * packets (barriers, vendor packets, the built-in kernels, completion
 * signals), good and malformed, driven through real user queues mapped
 * with MAP_QUEUE and kicked through their doorbells; and the IH ring the
 * engines report their events in.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/cutils.h"
#include "hw/pci/pci_regs.h"
#include "vkfd-qtest-util.h"

#define CTX             1
#define VRAM_SIZE       (32 * MIB)
#define VA_VRAM         (1ull << 32)    /* VRAM offset 0, writable */
#define VA_RO           (3ull << 32)    /* one read-only VRAM page */
#define VA_SYS          (5ull << 32)    /* guest RAM pages, writable */
#define VA_HOLE         (7ull << 32)    /* nothing mapped */
#define SYS_PAGES       4
#define POLL_STEP       (10 * 1000 * 1000)  /* ns of virtual time */
#define UNIT_BYTES      4096                /* a unit of engine budget */

typedef struct TQ {
    uint32_t type;
    uint32_t doorbell;
    uint64_t ring;          /* GPU VA */
    uint32_t size;          /* bytes */
    uint64_t rptr_va;
    uint64_t wptr_va;
    uint64_t wptr;          /* in the queue's units */
    uint64_t mqd;           /* guest address */
} TQ;

typedef struct Eng {
    Vkfd *v;
    QTestState *qts;
    uint64_t root;
    uint64_t next;          /* bump allocator of VRAM VA */
    uint64_t sys;           /* guest address behind VA_SYS */
    uint32_t next_doorbell;
    uint32_t queue_id;
    TQ *sync;               /* an SDMA queue whose fences order runs */
    uint64_t sync_fence;
    uint32_t sync_seq;
} Eng;

/* Guest address of a VA of VRAM or of the system pages. */
static uint64_t pa(Eng *e, uint64_t va)
{
    if (va >= VA_SYS && va < VA_SYS + SYS_PAGES * PAGE) {
        return e->sys + va - VA_SYS;
    }
    g_assert_cmphex(va, >=, VA_VRAM);
    g_assert_cmphex(va, <, VA_VRAM + VRAM_SIZE);
    return e->v->vram.addr + va - VA_VRAM;
}

static uint32_t r32(Eng *e, uint64_t va)
{
    return qtest_readl(e->qts, pa(e, va));
}

static uint64_t r64(Eng *e, uint64_t va)
{
    return qtest_readq(e->qts, pa(e, va));
}

static void w32(Eng *e, uint64_t va, uint32_t val)
{
    qtest_writel(e->qts, pa(e, va), val);
}

static void w64(Eng *e, uint64_t va, uint64_t val)
{
    qtest_writeq(e->qts, pa(e, va), val);
}

/* size bytes of zeroed VRAM, aligned to 256 (a page from 4 KiB on) */
static uint64_t va_alloc(Eng *e, uint64_t size)
{
    uint64_t align = size >= PAGE ? PAGE : 256, va;

    va = ROUND_UP(e->next, align);
    e->next = va + size;
    g_assert_cmphex(e->next, <=, VA_VRAM + VRAM_SIZE);
    qtest_memset(e->qts, pa(e, va), 0, size);
    return va;
}

/* A test's random numbers: its own seed, or VKFD_TEST_SEED's plus it. */
static GRand *rand_new(uint32_t seed)
{
    const char *env = g_getenv("VKFD_TEST_SEED");
    unsigned long add;

    if (env && !qemu_strtoul(env, NULL, 0, &add)) {
        seed += add;
        g_test_message("seed %u", seed);
    }
    return g_rand_new_with_seed(seed);
}

static void random_bytes(GRand *r, uint8_t *buf, size_t len)
{
    size_t i;

    for (i = 0; i < len; i++) {
        buf[i] = g_rand_int(r);
    }
}

/*
 * Map a queue of the given type and ring size on the next doorbell, with
 * its ring and pointers at the given VAs (0: allocate them).
 */
static TQ *tq_map_at(Eng *e, uint32_t type, uint32_t size, uint64_t ring,
                     uint64_t rptr_va, uint64_t wptr_va)
{
    struct vkfd_sched_cmd cmd = {
        .opcode = VKFD_CMD_MAP_QUEUE, .ctx_id = CTX,
    };
    struct vkfd_mqd mqd = { 0 };
    TQ *q = g_new0(TQ, 1);
    uint64_t ptrs;
    uint32_t i;

    q->type = type;
    q->doorbell = e->next_doorbell++;
    q->size = size;
    q->ring = ring ? ring : va_alloc(e, size);
    if (ring || rptr_va || wptr_va) {
        q->rptr_va = rptr_va;
        q->wptr_va = wptr_va;
    } else if (type == VKFD_QUEUE_AQL) {
        /* amd_queue_t: write_dispatch_id at 56, read_dispatch_id at 128 */
        ptrs = va_alloc(e, 256);
        q->wptr_va = ptrs + 56;
        q->rptr_va = ptrs + 128;
        for (i = 0; i < size / VKFD_AQL_PACKET_SIZE; i++) {
            qtest_writew(e->qts, pa(e, q->ring + i * VKFD_AQL_PACKET_SIZE),
                         VKFD_AQL_TYPE_INVALID);
        }
    } else {
        ptrs = va_alloc(e, 16);
        q->rptr_va = ptrs;
        q->wptr_va = ptrs + 8;
    }
    q->mqd = guest_alloc(&e->v->alloc, sizeof(mqd));
    mqd.type = cpu_to_le32(type);
    mqd.doorbell = cpu_to_le32(q->doorbell);
    mqd.ring_base = cpu_to_le64(q->ring);
    mqd.ring_size = cpu_to_le32(size);
    mqd.rptr_addr = cpu_to_le64(q->rptr_va);
    mqd.wptr_addr = cpu_to_le64(q->wptr_va);
    qtest_memwrite(e->qts, q->mqd, &mqd, sizeof(mqd));
    cmd.u.map_queue.mqd_addr = q->mqd;
    cmd.u.map_queue.queue_id = ++e->queue_id;
    g_assert_cmpuint(submit_cmd(e->v, &cmd), ==, VKFD_ST_OK);
    return q;
}

static TQ *tq_map(Eng *e, uint32_t type, uint32_t size)
{
    return tq_map_at(e, type, size, 0, 0, 0);
}

/* Unmap q and return the state the device wrote back in its MQD. */
/*
 * Unmap *qp, return the state the device wrote back in *out, and free
 * the queue: *qp is NULL afterwards, so that no test reads a freed one.
 */
static void tq_unmap(Eng *e, TQ **qp, struct vkfd_mqd *out)
{
    struct vkfd_sched_cmd cmd = {
        .opcode = VKFD_CMD_UNMAP_QUEUE, .ctx_id = CTX,
    };
    TQ *q = *qp;
    struct vkfd_mqd mqd;

    cmd.u.unmap_queue.mqd_addr = q->mqd;
    cmd.u.unmap_queue.doorbell = q->doorbell;
    g_assert_cmpuint(submit_cmd(e->v, &cmd), ==, VKFD_ST_OK);
    qtest_memread(e->qts, q->mqd, &mqd, sizeof(mqd));
    if (out) {
        out->rptr = le64_to_cpu(mqd.rptr);
        out->error = le32_to_cpu(mqd.error);
        out->error_info = le32_to_cpu(mqd.error_info);
        out->error_va = le64_to_cpu(mqd.error_va);
    }
    g_free(q);
    *qp = NULL;
}

/* Write len bytes at ring position pos (bytes), across the ring's end. */
static void ring_bytes(Eng *e, TQ *q, uint64_t pos, const void *buf,
                       size_t len)
{
    uint32_t off = pos % q->size;
    size_t first = MIN(len, q->size - off);

    qtest_memwrite(e->qts, pa(e, q->ring + off), buf, first);
    if (first < len) {
        qtest_memwrite(e->qts, pa(e, q->ring),
                       (const uint8_t *)buf + first, len - first);
    }
}

static void doorbell(Eng *e, TQ *q, uint64_t value)
{
    qpci_io_writeq(e->v->dev, e->v->doorbells,
                   CTX * VKFD_DOORBELL_PAGE_SIZE +
                   q->doorbell * VKFD_DOORBELL_SIZE, value);
}

/* Publish the write pointer and ring the doorbell. */
static void kick(Eng *e, TQ *q)
{
    w64(e, q->wptr_va, q->wptr);
    doorbell(e, q, q->type == VKFD_QUEUE_AQL ? q->wptr - 1 : q->wptr);
}

/*
 * The read pointer as the queue reports it: SDMA and AQL write their
 * 64-bit count, PM4 (as the GFX9 CP) a 32-bit dword offset in the ring.
 */
static uint64_t tq_reported(Eng *e, TQ *q)
{
    return q->type == VKFD_QUEUE_PM4 ? r32(e, q->rptr_va)
                                     : r64(e, q->rptr_va);
}

/* What a queue reports once its rptr reaches pos (in its units). */
static uint64_t tq_report_of(TQ *q, uint64_t pos)
{
    return q->type == VKFD_QUEUE_PM4 ? pos % (q->size / 4) : pos;
}

/* Wait (up to 30 s) until the queue's reported rptr is that of want. */
static void tq_wait(Eng *e, TQ *q, uint64_t want)
{
    int i;

    want = tq_report_of(q, want);
    for (i = 0; i < 300000 && tq_reported(e, q) != want; i++) {
        if (i % 64 == 63) {
            qtest_clock_step(e->qts, POLL_STEP);
        }
        g_usleep(100);
    }
    g_assert_cmphex(tq_reported(e, q), ==, want);
}

/* SDMA packets, appended at the queue's wptr */
static void sdma_put(Eng *e, TQ *q, const uint32_t *dw, unsigned n)
{
    g_autofree uint32_t *le = g_new(uint32_t, n);
    unsigned i;

    for (i = 0; i < n; i++) {
        le[i] = cpu_to_le32(dw[i]);
    }
    ring_bytes(e, q, q->wptr, le, n * 4);
    q->wptr += n * 4;
}

static void sdma_fence(Eng *e, TQ *q, uint64_t va, uint32_t value)
{
    uint32_t dw[SDMA_PKT_MAX_DW];

    sdma_put(e, q, dw, sdma_pkt_fence(dw, va, value));
}

static void sdma_copy(Eng *e, TQ *q, uint64_t dst, uint64_t src,
                      uint32_t bytes)
{
    uint32_t dw[SDMA_PKT_MAX_DW];

    sdma_put(e, q, dw, sdma_pkt_copy(dw, dst, src, bytes));
}

static void sdma_fill(Eng *e, TQ *q, uint64_t dst, uint32_t value,
                      uint32_t bytes)
{
    uint32_t dw[SDMA_PKT_MAX_DW];

    sdma_put(e, q, dw, sdma_pkt_fill(dw, dst, value, bytes));
}

static void sdma_write(Eng *e, TQ *q, uint64_t dst, const uint32_t *data,
                       unsigned n)
{
    g_autofree uint32_t *dw = g_new(uint32_t, n + 4);

    dw[0] = VKFD_SDMA_HEADER(VKFD_SDMA_OP_WRITE, 0);
    dw[1] = dst;
    dw[2] = dst >> 32;
    dw[3] = n - 1;
    memcpy(dw + 4, data, n * 4);
    sdma_put(e, q, dw, n + 4);
}

static void sdma_poll(Eng *e, TQ *q, uint64_t addr, uint32_t func,
                      uint32_t ref, uint32_t mask)
{
    uint32_t dw[SDMA_PKT_MAX_DW];

    sdma_put(e, q, dw, sdma_pkt_poll(dw, addr, func, ref, mask));
}

/*
 * Order: every queue kicked before this has had a turn once it returns.
 * The bottom half runs the kicked queues in order, so the sync queue's
 * fence lands after them.
 */
static void sync_queues(Eng *e)
{
    sdma_fence(e, e->sync, e->sync_fence, ++e->sync_seq);
    kick(e, e->sync);
    tq_wait(e, e->sync, e->sync->wptr);
    g_assert_cmpuint(r32(e, e->sync_fence), ==, e->sync_seq);
}

/* Let waiting queues poll again, then order. */
static void settle(Eng *e)
{
    qtest_clock_step(e->qts, POLL_STEP);
    sync_queues(e);
}

/*
 * A device with context 1: VRAM mapped writable at VA_VRAM with 2 MiB
 * leaves, a read-only VRAM page at VA_RO, guest pages at VA_SYS, nothing
 * at VA_HOLE; and the sync queue.
 */
/* props: more device properties after vram-size */
static Eng *eng_start_props(const char *props)
{
    Eng *e = g_new0(Eng, 1);
    g_autofree char *all = g_strconcat(",vram-size=32M", props, NULL);
    uint64_t off;
    int i;

    e->v = vkfd_start_props(all);
    e->qts = e->v->qts;
    ring_enable(e->v);
    e->root = pt_alloc(e->v);
    g_assert_cmpuint(map_ctx(e->v, CTX, e->root), ==, VKFD_ST_OK);
    for (off = 0; off < VRAM_SIZE; off += 2 * MIB) {
        pt_map(e->v, e->root, VA_VRAM + off, off, PTE_W, 1);
    }
    pt_map(e->v, e->root, VA_RO, VRAM_SIZE - PAGE, 0, 0);
    e->sys = guest_alloc(&e->v->alloc, SYS_PAGES * PAGE);
    for (i = 0; i < SYS_PAGES; i++) {
        pt_map(e->v, e->root, VA_SYS + i * PAGE, e->sys + i * PAGE,
               PTE_SYS | PTE_W, 0);
    }
    qtest_memset(e->qts, e->sys, 0, SYS_PAGES * PAGE);
    e->next = VA_VRAM;
    e->sync = tq_map(e, VKFD_QUEUE_SDMA, PAGE);
    e->sync_fence = va_alloc(e, 8);
    return e;
}

static Eng *eng_start(void)
{
    return eng_start_props("");
}

static void eng_stop(Eng *e)
{
    g_assert_cmphex(rd(e->v, VKFD_REG_ID), ==, VKFD_ID_MAGIC);
    tq_unmap(e, &e->sync, NULL);
    vkfd_stop(e->v);
    g_free(e);
}

/*
 * The VM fault registers hold one fault at va; clear them.  A write to
 * the read-only page at VA_RO is a protection fault, any other fault is
 * on a page that is not there.
 */
static void expect_vm_fault(Eng *e, uint64_t va, bool write)
{
    bool prot = write && (va & ~(PAGE - 1)) == VA_RO;

    g_assert_cmphex(rd(e->v, VKFD_REG_VM_FAULT_STATUS) &
                    ~VKFD_VM_FAULT_MULTIPLE, ==,
                    VKFD_VM_FAULT_VALID | (write ? VKFD_VM_FAULT_WRITE : 0) |
                    (prot ? VKFD_VM_FAULT_PROTECTION : 0));
    g_assert_cmphex(fault_addr(e->v), ==, va);
    wr(e->v, VKFD_REG_VM_FAULT_STATUS, 0xf);
}

/*
 * SDMA
 */

static void test_sdma_packets(void)
{
    Eng *e = eng_start();
    TQ *q = tq_map(e, VKFD_QUEUE_SDMA, PAGE);
    uint64_t buf = va_alloc(e, 3 * PAGE), fence = va_alloc(e, 16);
    uint64_t src = buf, dst = buf + PAGE, fill = buf + 2 * PAGE;
    uint32_t data[5] = { 1, 2, 3, 0xdeadbeef, 0xffffffff }, dw[4] = { 0 };
    uint8_t bytes[1000], got[1010];
    GRand *r = rand_new(1);
    struct vkfd_mqd st;
    uint64_t wptr;
    unsigned i;

    random_bytes(r, bytes, sizeof(bytes));
    qtest_memwrite(e->qts, pa(e, src + 3), bytes, sizeof(bytes));

    dw[0] = VKFD_SDMA_HEADER(VKFD_SDMA_OP_NOP, 0) | VKFD_SDMA_NOP_COUNT(3);
    sdma_put(e, q, dw, 4);                      /* a NOP of 4 dwords */
    dw[0] = VKFD_SDMA_HEADER(VKFD_SDMA_OP_NOP, 0);
    sdma_put(e, q, dw, 1);
    sdma_write(e, q, fill + 0x800, data, ARRAY_SIZE(data));
    sdma_copy(e, q, dst + 5, src + 3, sizeof(bytes));
    sdma_fill(e, q, fill, 0xa5a55a5a, 64);
    dw[0] = VKFD_SDMA_HEADER(VKFD_SDMA_OP_CONST_FILL, 0);   /* fill size 0 */
    sdma_put(e, q, dw, 1);
    dw[0] = fill + 64;
    dw[1] = (fill + 64) >> 32;
    dw[2] = 0x01020304;
    dw[3] = 8 - 1;
    sdma_put(e, q, dw, 4);
    dw[0] = VKFD_SDMA_HEADER(VKFD_SDMA_OP_TRAP, 0);
    dw[1] = 0x1234;
    sdma_put(e, q, dw, 2);
    w32(e, fence + 8, 0x77);
    sdma_poll(e, q, fence + 8, VKFD_SDMA_FUNC_EQ, 7, 0xf);
    dw[0] = VKFD_SDMA_HEADER(VKFD_SDMA_OP_POLL_REGMEM, 0) |
            VKFD_SDMA_POLL_HDP_FLUSH | VKFD_SDMA_POLL_FUNC(3);
    sdma_put(e, q, dw, 1);
    memset(dw, 0, sizeof(dw));
    sdma_put(e, q, dw, 4);
    sdma_put(e, q, dw, 1);
    /* ROCr 5.2's HDP flush: a register poll, function ALWAYS, opcode only */
    dw[0] = VKFD_SDMA_HEADER(VKFD_SDMA_OP_POLL_REGMEM, 0);
    sdma_put(e, q, dw, 1);
    memset(dw, 0, sizeof(dw));
    sdma_put(e, q, dw, 4);
    sdma_put(e, q, dw, 1);
    /* to and from guest memory */
    sdma_copy(e, q, VA_SYS + 0x10, src + 3, 100);
    sdma_copy(e, q, VA_SYS + PAGE - 50, VA_SYS + 0x10, 100);
    sdma_fence(e, q, fence, 0x12345678);
    kick(e, q);
    tq_wait(e, q, q->wptr);

    g_assert_cmphex(r32(e, fence), ==, 0x12345678);
    for (i = 0; i < ARRAY_SIZE(data); i++) {
        g_assert_cmphex(r32(e, fill + 0x800 + 4 * i), ==, data[i]);
    }
    g_assert_cmphex(r32(e, fill + 0x800 + 4 * i), ==, 0);
    qtest_memread(e->qts, pa(e, dst), got, sizeof(got));
    for (i = 0; i < sizeof(got); i++) {
        uint8_t want = i >= 5 && i < 5 + sizeof(bytes) ? bytes[i - 5] : 0;

        g_assert_cmphex(got[i], ==, want);
    }
    for (i = 0; i < 16; i++) {
        g_assert_cmphex(r32(e, fill + 4 * i), ==, 0xa5a55a5a);
    }
    g_assert_cmphex(r32(e, fill + 64), ==, 0x01020304);
    g_assert_cmphex(r32(e, fill + 68), ==, 0x01020304);
    g_assert_cmphex(r32(e, fill + 72), ==, 0);
    qtest_memread(e->qts, e->sys + PAGE - 50, got, 100);
    g_assert_cmpmem(got, 100, bytes, 100);
    g_assert_cmpuint(rd(e->v, VKFD_REG_VM_FAULT_COUNT), ==, 0);

    /* a doorbell with nothing new is harmless */
    kick(e, q);
    sync_queues(e);
    wptr = q->wptr;
    tq_unmap(e, &q, &st);
    g_assert_cmpuint(st.error, ==, VKFD_QERR_NONE);
    g_assert_cmphex(st.rptr, ==, wptr);
    g_rand_free(r);
    eng_stop(e);
}

/* Packets that run over the end of a 256-byte ring, many times round. */
static void test_sdma_wrap(void)
{
    Eng *e = eng_start();
    TQ *q = tq_map(e, VKFD_QUEUE_SDMA, 256);
    uint64_t out = va_alloc(e, PAGE), fence = va_alloc(e, 8);
    uint32_t data[40];
    unsigned round, n, i;

    for (round = 0; round < 60; round++) {
        n = 1 + (round * 7) % 40;
        for (i = 0; i < n; i++) {
            data[i] = round << 16 | i;
        }
        /* 16 + 4n + 28 + 16 bytes: at most 220, less than the ring */
        sdma_write(e, q, out, data, n);
        sdma_copy(e, q, out + 0x400, out, n * 4);
        sdma_fence(e, q, fence, round);
        kick(e, q);
        tq_wait(e, q, q->wptr);
        g_assert_cmpuint(r32(e, fence), ==, round);
        for (i = 0; i < n; i++) {
            g_assert_cmphex(r32(e, out + 4 * i), ==, data[i]);
            g_assert_cmphex(r32(e, out + 0x400 + 4 * i), ==, data[i]);
        }
    }
    g_assert_cmphex(q->wptr, >, 20 * 256);
    tq_unmap(e, &q, NULL);
    eng_stop(e);
}

/*
 * 8 MiB copied by two COPY_LINEAR of 4 MiB (the largest), and a 4 MiB
 * fill: far more than one run's budget, so they resume run after run.
 */
static void test_sdma_big(void)
{
    const uint32_t size = 8 * MIB;
    Eng *e = eng_start();
    TQ *q = tq_map(e, VKFD_QUEUE_SDMA, PAGE);
    uint64_t src = va_alloc(e, size), dst = va_alloc(e, size);
    uint64_t fill = va_alloc(e, VKFD_SDMA_FILL_MAX), fence = va_alloc(e, 8);
    g_autofree uint8_t *data = g_malloc(size);
    g_autofree uint8_t *got = g_malloc(size);
    GRand *r = rand_new(2);
    uint32_t i;

    random_bytes(r, data, size);
    qtest_bufwrite(e->qts, pa(e, src), data, size);
    sdma_copy(e, q, dst, src, VKFD_SDMA_COPY_MAX);
    sdma_copy(e, q, dst + VKFD_SDMA_COPY_MAX, src + VKFD_SDMA_COPY_MAX,
              VKFD_SDMA_COPY_MAX);
    sdma_fill(e, q, fill, 0x600df111, VKFD_SDMA_FILL_MAX);
    sdma_fence(e, q, fence, 1);
    kick(e, q);
    /* the device answers while the transfer goes on */
    g_assert_cmphex(rd(e->v, VKFD_REG_ID), ==, VKFD_ID_MAGIC);
    tq_wait(e, q, q->wptr);
    g_assert_cmpuint(r32(e, fence), ==, 1);
    qtest_bufread(e->qts, pa(e, dst), got, size);
    g_assert(memcmp(got, data, size) == 0);
    qtest_bufread(e->qts, pa(e, fill), got, VKFD_SDMA_FILL_MAX);
    for (i = 0; i < VKFD_SDMA_FILL_MAX; i += 4) {
        g_assert_cmphex(ldl_le_p(got + i), ==, 0x600df111);
    }
    tq_unmap(e, &q, NULL);
    g_rand_free(r);
    eng_stop(e);
}

/* POLL_REGMEM waits, without consuming the packet, until memory says so. */
static void test_sdma_poll(void)
{
    static const struct {
        uint32_t func, ref, no, yes;
    } cases[] = {
        { VKFD_SDMA_FUNC_LT, 5, 5, 4 },
        { VKFD_SDMA_FUNC_LE, 5, 6, 5 },
        { VKFD_SDMA_FUNC_EQ, 5, 4, 5 },
        { VKFD_SDMA_FUNC_NE, 5, 5, 6 },
        { VKFD_SDMA_FUNC_GE, 5, 4, 5 },
        { VKFD_SDMA_FUNC_GT, 5, 5, 6 },
    };
    Eng *e = eng_start();
    TQ *q = tq_map(e, VKFD_QUEUE_SDMA, PAGE);
    uint64_t word = va_alloc(e, 8), fence = va_alloc(e, 8), at;
    struct vkfd_mqd st;
    unsigned i;

    for (i = 0; i < ARRAY_SIZE(cases); i++) {
        /* the mask keeps the low byte: the rest must not matter */
        w32(e, word, 0xab00 | cases[i].no);
        at = q->wptr;
        sdma_poll(e, q, word, cases[i].func, cases[i].ref, 0xff);
        sdma_fence(e, q, fence, i + 1);
        kick(e, q);
        settle(e);
        settle(e);
        g_assert_cmphex(r64(e, q->rptr_va), ==, at);
        g_assert_cmpuint(r32(e, fence), ==, i);
        /* a doorbell makes it look again, still not met */
        kick(e, q);
        settle(e);
        g_assert_cmphex(r64(e, q->rptr_va), ==, at);
        w32(e, word, 0xcd00 | cases[i].yes);
        tq_wait(e, q, q->wptr);
        g_assert_cmpuint(r32(e, fence), ==, i + 1);
    }
    /* ALWAYS never waits */
    sdma_poll(e, q, word, VKFD_SDMA_FUNC_ALWAYS, 0, 0);
    kick(e, q);
    tq_wait(e, q, q->wptr);

    /* a queue left waiting unmaps cleanly, rptr on the poll */
    w32(e, word, 0);
    at = q->wptr;
    sdma_poll(e, q, word, VKFD_SDMA_FUNC_EQ, 1, ~0u);
    kick(e, q);
    settle(e);
    tq_unmap(e, &q, &st);
    g_assert_cmpuint(st.error, ==, VKFD_QERR_NONE);
    g_assert_cmphex(st.rptr, ==, at);
    eng_stop(e);
}

typedef struct BadCase {
    const char *name;
    uint32_t dw[13];     /* the longest: COPY_LINEAR_SUB_WINDOW */
    unsigned n;
    uint32_t error;
    int va_from;            /* error_va: -1 the packet, else dw[va_from] */
    bool write;             /* the faulting access was a write */
} BadCase;

#define LO(va)  ((uint32_t)(va))
#define HI(va)  ((uint32_t)((va) >> 32))
#define HDR(op, sub)    VKFD_SDMA_HEADER(VKFD_SDMA_OP_##op, sub)

static const BadCase sdma_bad_cases[] = {
    { "opcode 4 (INDIRECT)", { HDR(NOP, 0) | 4 }, 1,
      VKFD_QERR_BAD_PACKET, -1 },
    { "opcode 0x7f", { 0x7f }, 1, VKFD_QERR_BAD_PACKET, -1 },
    { "tiled copy", { HDR(COPY, 1), 3, 0, LO(VA_VRAM), HI(VA_VRAM),
      LO(VA_VRAM), HI(VA_VRAM) }, 7, VKFD_QERR_BAD_PACKET, -1 },
    { "broadcast copy", { HDR(COPY, 0) | 1u << 27, 3, 0, LO(VA_VRAM),
      HI(VA_VRAM), LO(VA_VRAM), HI(VA_VRAM) }, 7,
      VKFD_QERR_BAD_PACKET, -1 },
    { "tiled write", { HDR(WRITE, 1), LO(VA_VRAM), HI(VA_VRAM), 0, 0 }, 5,
      VKFD_QERR_BAD_PACKET, -1 },
    { "unaligned write", { HDR(WRITE, 0), LO(VA_VRAM) + 2, HI(VA_VRAM),
      0, 0 }, 5, VKFD_QERR_BAD_PACKET, -1 },
    { "unaligned fence", { HDR(FENCE, 0), LO(VA_VRAM) + 1, HI(VA_VRAM),
      0 }, 4, VKFD_QERR_BAD_PACKET, -1 },
    { "fence sub-op", { HDR(FENCE, 1), LO(VA_VRAM), HI(VA_VRAM), 0 }, 4,
      VKFD_QERR_BAD_PACKET, -1 },
    { "register poll", { HDR(POLL_REGMEM, 0) | VKFD_SDMA_POLL_FUNC(3),
      0x1234, 0, 0, ~0u, 0 }, 6, VKFD_QERR_BAD_PACKET, -1 },
    { "register poll, function 1", { HDR(POLL_REGMEM, 0) |
      VKFD_SDMA_POLL_FUNC(1), 0x1234, 0, 0, ~0u, 0 }, 6,
      VKFD_QERR_BAD_PACKET, -1 },
    { "poll function 7", { HDR(POLL_REGMEM, 0) | VKFD_SDMA_POLL_MEM |
      VKFD_SDMA_POLL_FUNC(7), LO(VA_VRAM), HI(VA_VRAM), 0, ~0u, 0 }, 6,
      VKFD_QERR_BAD_PACKET, -1 },
    { "unaligned poll", { HDR(POLL_REGMEM, 0) | VKFD_SDMA_POLL_MEM |
      VKFD_SDMA_POLL_FUNC(3), LO(VA_VRAM) + 2, HI(VA_VRAM), 0, ~0u, 0 }, 6,
      VKFD_QERR_BAD_PACKET, -1 },
    { "poll-reg-write-mem", { HDR(POLL_REGMEM, 1), 0, 0, 0, 0, 0 }, 6,
      VKFD_QERR_BAD_PACKET, -1 },
    { "fill size 1", { HDR(CONST_FILL, 0) | 1u << 30, LO(VA_VRAM),
      HI(VA_VRAM), 0, 3 }, 5, VKFD_QERR_BAD_PACKET, -1 },
    { "fill size 3", { HDR(CONST_FILL, 0) | 3u << 30, LO(VA_VRAM),
      HI(VA_VRAM), 0, 7 }, 5, VKFD_QERR_BAD_PACKET, -1 },
    { "fill of 6 bytes", { HDR(CONST_FILL, 0) | VKFD_SDMA_FILL_DWORD,
      LO(VA_VRAM), HI(VA_VRAM), 0, 5 }, 5, VKFD_QERR_BAD_PACKET, -1 },
    { "unaligned fill", { HDR(CONST_FILL, 0) | VKFD_SDMA_FILL_DWORD,
      LO(VA_VRAM) + 2, HI(VA_VRAM), 0, 7 }, 5, VKFD_QERR_BAD_PACKET, -1 },
    { "NOP longer than the ring", { HDR(NOP, 0) | VKFD_SDMA_NOP_COUNT(2000) },
      1, VKFD_QERR_BAD_PACKET, -1 },
    { "write longer than the ring", { HDR(WRITE, 0), LO(VA_VRAM),
      HI(VA_VRAM), 0xfffff }, 4, VKFD_QERR_BAD_PACKET, -1 },
    /* ranges that run past 2^64 (issue 9, point 6) */
    { "copy to the top of 2^64", { HDR(COPY, 0), 99, 0, LO(VA_VRAM),
      HI(VA_VRAM), 0xffffffc0, 0xffffffff }, 7, VKFD_QERR_BAD_PACKET, -1 },
    { "copy from the top of 2^64", { HDR(COPY, 0), 99, 0, 0xffffffc0,
      0xffffffff, LO(VA_VRAM), HI(VA_VRAM) }, 7, VKFD_QERR_BAD_PACKET, -1 },
    { "fill to the top of 2^64", { HDR(CONST_FILL, 0) | VKFD_SDMA_FILL_DWORD,
      0xfffffff0, 0xffffffff, 0, 31 }, 5, VKFD_QERR_BAD_PACKET, -1 },
    { "write to the top of 2^64", { HDR(WRITE, 0), 0xfffffffc, 0xffffffff,
      1, 5, 6 }, 6, VKFD_QERR_BAD_PACKET, -1 },
    { "copy from a hole", { HDR(COPY, 0), 99, 0, LO(VA_HOLE), HI(VA_HOLE),
      LO(VA_VRAM), HI(VA_VRAM) }, 7, VKFD_QERR_VM_FAULT, 3, false },
    { "copy to a read-only page", { HDR(COPY, 0), 99, 0, LO(VA_VRAM),
      HI(VA_VRAM), LO(VA_RO), HI(VA_RO) }, 7, VKFD_QERR_VM_FAULT, 5, true },
    { "fence into a hole", { HDR(FENCE, 0), LO(VA_HOLE), HI(VA_HOLE), 1 },
      4, VKFD_QERR_VM_FAULT, 1, true },
    { "write to a read-only page", { HDR(WRITE, 0), LO(VA_RO), HI(VA_RO),
      0, 5 }, 5, VKFD_QERR_VM_FAULT, 1, true },
    { "fill into a hole", { HDR(CONST_FILL, 0) | VKFD_SDMA_FILL_DWORD,
      LO(VA_HOLE), HI(VA_HOLE), 0, 4095 }, 5, VKFD_QERR_VM_FAULT, 1, true },
    { "poll on a hole", { HDR(POLL_REGMEM, 0) | VKFD_SDMA_POLL_MEM |
      VKFD_SDMA_POLL_FUNC(3), LO(VA_HOLE), HI(VA_HOLE), 0, ~0u, 0 }, 6,
      VKFD_QERR_VM_FAULT, 1, false },
    { "copy beyond 48 bits", { HDR(COPY, 0), 3, 0, 0, 0x10000,
      LO(VA_VRAM), HI(VA_VRAM) }, 7, VKFD_QERR_VM_FAULT, 3, false },
    /* COPY_LINEAR_SUB_WINDOW, TIMESTAMP and ATOMIC (issue 12, point 5) */
    { "sub-window of 32-byte elements", { HDR(COPY, 4) | 5u << 29,
      LO(VA_VRAM), HI(VA_VRAM), 0, 0, 0, LO(VA_VRAM), HI(VA_VRAM) }, 13,
      VKFD_QERR_BAD_PACKET, -1 },
    { "sub-window wider than the pitch", { HDR(COPY, 4), LO(VA_VRAM),
      HI(VA_VRAM), 9, 15u << 13, 0, LO(VA_VRAM), HI(VA_VRAM), 0, 63u << 13,
      0, 8 - 1, 0 }, 13, VKFD_QERR_BAD_PACKET, -1 },
    { "timestamp SET", { HDR(TIMESTAMP, 0), 1, 0 }, 3,
      VKFD_QERR_BAD_PACKET, -1 },
    { "timestamp sub-op 3", { HDR(TIMESTAMP, 3), LO(VA_VRAM), HI(VA_VRAM) },
      3, VKFD_QERR_BAD_PACKET, -1 },
    { "unaligned timestamp", { HDR(TIMESTAMP, VKFD_SDMA_TS_GET_GLOBAL),
      LO(VA_VRAM) + 4, HI(VA_VRAM) }, 3, VKFD_QERR_BAD_PACKET, -1 },
    { "timestamp into a hole", { HDR(TIMESTAMP, VKFD_SDMA_TS_GET),
      LO(VA_HOLE), HI(VA_HOLE) }, 3, VKFD_QERR_VM_FAULT, 1, true },
    { "atomic cmpswap", { HDR(ATOMIC, 0) | 40u << 25, LO(VA_VRAM),
      HI(VA_VRAM), 1, 0, 0, 0, 0 }, 8, VKFD_QERR_BAD_PACKET, -1 },
    { "atomic add64 loop", { HDR(ATOMIC, 0) | VKFD_SDMA_ATOMIC_LOOP |
      VKFD_SDMA_ATOMIC_ADD64 << 25, LO(VA_VRAM), HI(VA_VRAM), 1, 0, 0, 0,
      0 }, 8, VKFD_QERR_BAD_PACKET, -1 },
    { "unaligned atomic", { HDR(ATOMIC, 0) | VKFD_SDMA_ATOMIC_ADD64 << 25,
      LO(VA_VRAM) + 4, HI(VA_VRAM), 1, 0, 0, 0, 0 }, 8,
      VKFD_QERR_BAD_PACKET, -1 },
    { "atomic on a read-only page", { HDR(ATOMIC, 0) |
      VKFD_SDMA_ATOMIC_ADD64 << 25, LO(VA_RO), HI(VA_RO), 1, 0, 0, 0, 0 },
      8, VKFD_QERR_VM_FAULT, 1, true },
};

/* Each malformed packet stops its queue, after a good fence. */
static void test_sdma_bad(void)
{
    Eng *e = eng_start();
    uint64_t fence = va_alloc(e, 8), at, want_va;
    struct vkfd_mqd st;
    unsigned i;
    TQ *q;

    for (i = 0; i < ARRAY_SIZE(sdma_bad_cases); i++) {
        const BadCase *c = &sdma_bad_cases[i];
        uint32_t dw[13] = { 0 };

        g_test_message("%s", c->name);
        q = tq_map(e, VKFD_QUEUE_SDMA, PAGE);
        w32(e, fence, 0);
        sdma_fence(e, q, fence, i + 1);
        at = q->wptr;
        memcpy(dw, c->dw, sizeof(dw));
        sdma_put(e, q, dw, c->n);
        sdma_fence(e, q, fence, 0xbad);     /* never reached */
        kick(e, q);
        sync_queues(e);
        g_assert_cmpuint(r32(e, fence), ==, i + 1);
        g_assert_cmphex(r64(e, q->rptr_va), ==, at);
        /* a doorbell on a stopped queue does nothing */
        kick(e, q);
        sync_queues(e);
        g_assert_cmpuint(r32(e, fence), ==, i + 1);
        want_va = c->va_from < 0 ? q->ring + at % PAGE
                                 : c->dw[c->va_from] |
                                   (uint64_t)c->dw[c->va_from + 1] << 32;
        tq_unmap(e, &q, &st);
        g_assert_cmpuint(st.error, ==, c->error);
        g_assert_cmphex(st.error_info, ==, c->dw[0]);
        g_assert_cmphex(st.rptr, ==, at);
        g_assert_cmphex(st.error_va, ==, want_va);
        if (c->error == VKFD_QERR_VM_FAULT) {
            expect_vm_fault(e, want_va, c->write);
        }
    }
    g_assert_cmphex(rd(e->v, VKFD_REG_VM_FAULT_STATUS), ==, 0);
    eng_stop(e);
}

/* Bad pointers and rings: the queue stops before any packet. */
/* One sub-window box: offsets, pitches (elements) and box size. */
typedef struct Box {
    uint64_t base;
    uint32_t x, y, z, pitch, slice;
} Box;

static uint64_t box_at(const Box *b, unsigned es, uint32_t x, uint32_t y,
                       uint32_t z)
{
    return b->base + (((uint64_t)(b->z + z) * b->slice +
                       (uint64_t)(b->y + y) * b->pitch + b->x + x) << es);
}

static void sdma_copy_rect(Eng *e, TQ *q, unsigned es, const Box *src,
                           const Box *dst, uint32_t w, uint32_t h, uint32_t d)
{
    uint32_t dw[13] = {
        HDR(COPY, VKFD_SDMA_COPY_SUB_WINDOW) | es << 29,
        LO(src->base), HI(src->base), src->x | src->y << 16,
        src->z | (src->pitch - 1) << 13, src->slice - 1,
        LO(dst->base), HI(dst->base), dst->x | dst->y << 16,
        dst->z | (dst->pitch - 1) << 13, dst->slice - 1,
        (w - 1) | (h - 1) << 16, d - 1,
    };

    sdma_put(e, q, dw, 13);
}

/*
 * COPY_LINEAR_SUB_WINDOW: boxes of 4- and 16-byte elements between
 * surfaces of different pitches land element for element, nothing
 * around them is touched; a box bigger than a turn's budget resumes.
 */
static void test_sdma_copy_rect(void)
{
    Eng *e = eng_start();
    TQ *q = tq_map(e, VKFD_QUEUE_SDMA, PAGE);
    uint64_t sbuf = va_alloc(e, 64 * 1024), dbuf = va_alloc(e, 64 * 1024);
    uint64_t big_s = va_alloc(e, 8 * MIB), big_d = va_alloc(e, 9 * MIB);
    Box src = { sbuf, 3, 2, 1, 40, 40 * 10 };
    Box dst = { dbuf, 1, 1, 0, 16, 16 * 8 };
    Box bs = { big_s, 0, 0, 0, 65536 / 16, 65536 / 16 * 64 };
    Box bd = { big_d, 16, 0, 0, 65536 / 16 + 64, (65536 / 16 + 64) * 64 };
    g_autofree uint8_t *bytes = g_malloc(8 * MIB);
    GRand *r = rand_new(7);
    uint32_t x, y, z, got, want;
    struct vkfd_mqd st;

    random_bytes(r, bytes, 64 * 1024);
    qtest_memwrite(e->qts, pa(e, sbuf), bytes, 64 * 1024);
    sdma_copy_rect(e, q, 2, &src, &dst, 5, 4, 2);
    kick(e, q);
    tq_wait(e, q, q->wptr);
    for (z = 0; z < 3; z++) {
        for (y = 0; y < 6; y++) {
            for (x = 0; x < 8; x++) {
                bool in = z < 2 && y >= 1 && y < 5 && x >= 1 && x < 6;
                Box d0 = dst;

                d0.x = d0.y = d0.z = 0;
                got = r32(e, box_at(&d0, 2, x, y, z));
                want = in ? r32(e, box_at(&src, 2, x - 1, y - 1, z)) : 0;
                g_assert_cmphex(got, ==, want);
            }
        }
    }

    /* 4096 x 64 x 2 elements of 16 bytes: 8 MiB, many turns */
    random_bytes(r, bytes, 8 * MIB);
    qtest_memwrite(e->qts, pa(e, big_s), bytes, 8 * MIB);
    sdma_copy_rect(e, q, 4, &bs, &bd, 4096 - 16, 64, 2);
    kick(e, q);
    tq_wait(e, q, q->wptr);
    for (z = 0; z < 2; z++) {
        for (y = 0; y < 64; y += 9) {
            uint8_t row[16 * 4080], back[16 * 4080];

            qtest_memread(e->qts, pa(e, box_at(&bs, 4, 0, y, z)), row,
                          sizeof(row));
            qtest_memread(e->qts, pa(e, box_at(&bd, 4, 0, y, z)), back,
                          sizeof(back));
            g_assert(memcmp(row, back, sizeof(row)) == 0);
            g_assert_cmphex(r32(e, box_at(&bd, 4, 0, y, z) - 4), ==, 0);
        }
    }
    tq_unmap(e, &q, &st);
    g_assert_cmpuint(st.error, ==, 0);
    g_rand_free(r);
    eng_stop(e);
}

static uint64_t gpu_clock(Eng *e)
{
    uint64_t lo = rd(e->v, VKFD_REG_CLOCK_LO);

    return lo | (uint64_t)rd(e->v, VKFD_REG_CLOCK_HI) << 32;
}

/*
 * TIMESTAMP GET_GLOBAL and GET write the GPU clock (CLOCK_LO/HI) as it
 * was when they ran; ATOMIC adds 64 bits, with or without return.
 */
static void test_sdma_timestamp_atomic(void)
{
    Eng *e = eng_start();
    TQ *q = tq_map(e, VKFD_QUEUE_SDMA, PAGE);
    uint64_t buf = va_alloc(e, 64), t0, t1;
    uint32_t ts[] = { HDR(TIMESTAMP, VKFD_SDMA_TS_GET_GLOBAL), LO(buf),
                      HI(buf) };
    uint32_t at[] = { HDR(ATOMIC, 0) | VKFD_SDMA_ATOMIC_ADD64 << 25,
                      LO(buf + 16), HI(buf + 16), 0xffffffff, 0xffffffff,
                      0, 0, 0 };
    struct vkfd_mqd st;

    qtest_clock_step(e->qts, 1000);
    t0 = gpu_clock(e);
    sdma_put(e, q, ts, 3);
    ts[0] = HDR(TIMESTAMP, VKFD_SDMA_TS_GET);
    ts[1] = LO(buf + 8);
    sdma_put(e, q, ts, 3);
    w64(e, buf + 16, 0x100000005ull);
    sdma_put(e, q, at, 8);
    at[0] = HDR(ATOMIC, 0) | VKFD_SDMA_ATOMIC_ADD64_NRTN << 25;
    at[3] = 0x10;
    at[4] = 0;
    sdma_put(e, q, at, 8);
    kick(e, q);
    tq_wait(e, q, q->wptr);
    qtest_clock_step(e->qts, 1000);
    t1 = gpu_clock(e);
    g_assert_cmpuint(t0, >, 0);
    g_assert_cmpuint(r64(e, buf), >=, t0);
    g_assert_cmpuint(r64(e, buf), <=, t1);
    g_assert_cmpuint(r64(e, buf + 8), >=, r64(e, buf));
    g_assert_cmpuint(r64(e, buf + 8), <=, t1);
    g_assert_cmphex(r64(e, buf + 16), ==, 0x100000014ull);
    tq_unmap(e, &q, &st);
    g_assert_cmpuint(st.error, ==, 0);
    eng_stop(e);
}

/*
 * A system PTE on the device's own doorbell page (a DOORBELL BO) or HDP
 * flush page (an MMIO_REMAP BO): an engine's write rings the doorbell or
 * counts a flush, its read sees zeroes, and a queue may ring its own
 * doorbell from its ring.  Nothing is DMAed to the BARs.
 */
static void test_gpu_doorbell(void)
{
    Eng *e = eng_start();
    const uint64_t va_db = 9ull << 32, va_remap = 10ull << 32;
    TQ *a = tq_map(e, VKFD_QUEUE_SDMA, PAGE);
    TQ *b = tq_map(e, VKFD_QUEUE_PM4, PAGE);
    uint64_t buf = va_alloc(e, 64), db_b;
    uint32_t flushes = rd(e->v, VKFD_REG_HDP_FLUSHES);
    uint32_t wd[] = { VKFD_PM4_HDR(VKFD_PM4_OP_WRITE_DATA, 4),
                      VKFD_PM4_WD_MEM, LO(buf), HI(buf), 0x1234 };
    uint32_t f[4];
    struct vkfd_mqd st;

    pt_map(e->v, e->root, va_db,
           e->v->doorbells.addr + CTX * VKFD_DOORBELL_PAGE_SIZE,
           PTE_SYS | PTE_W, 0);
    pt_map(e->v, e->root, va_remap, e->v->regs.addr + VKFD_MMIO_REMAP_OFFSET,
           PTE_SYS | PTE_W, 0);
    db_b = va_db + b->doorbell * VKFD_DOORBELL_SIZE;

    /* b gets a WRITE_DATA and its wptr, but no doorbell from the CPU */
    ring_bytes(e, b, b->wptr * 4, wd, sizeof(wd));
    b->wptr += ARRAY_SIZE(wd);
    w64(e, b->wptr_va, b->wptr);
    sdma_fence(e, a, db_b, b->wptr);          /* a rings b */
    w32(e, buf + 8, 0xffffffff);
    sdma_copy(e, a, buf + 8, va_db, 4);       /* doorbells read as 0 */
    sdma_fence(e, a, va_remap, 1);            /* an HDP flush */
    kick(e, a);
    tq_wait(e, a, a->wptr);
    tq_wait(e, b, b->wptr);
    g_assert_cmphex(r32(e, buf), ==, 0x1234);
    g_assert_cmphex(r32(e, buf + 8), ==, 0);
    g_assert_cmpuint(rd(e->v, VKFD_REG_HDP_FLUSHES), ==, flushes + 1);

    /* a rings its own doorbell from its ring, then carries on */
    f[0] = HDR(FENCE, 0);
    f[1] = LO(va_db + a->doorbell * VKFD_DOORBELL_SIZE);
    f[2] = HI(va_db);
    f[3] = a->wptr + 2 * sizeof(f);
    sdma_put(e, a, f, 4);
    sdma_fence(e, a, buf + 16, 0x77);
    kick(e, a);
    tq_wait(e, a, a->wptr);
    g_assert_cmphex(r32(e, buf + 16), ==, 0x77);
    sdma_fence(e, a, buf + 16, 0x78);
    kick(e, a);
    tq_wait(e, a, a->wptr);
    g_assert_cmphex(r32(e, buf + 16), ==, 0x78);

    g_assert_cmphex(rd(e->v, VKFD_REG_VM_FAULT_STATUS), ==, 0);
    tq_unmap(e, &a, &st);
    g_assert_cmpuint(st.error, ==, 0);
    tq_unmap(e, &b, &st);
    g_assert_cmpuint(st.error, ==, 0);
    eng_stop(e);
}

static void test_sdma_bad_queue(void)
{
    Eng *e = eng_start();
    uint64_t fence = va_alloc(e, 8), ptrs;
    struct vkfd_mqd st;
    TQ *q;

    /* wptr not a multiple of 4, then more than a ring ahead */
    q = tq_map(e, VKFD_QUEUE_SDMA, 256);
    q->wptr = 2;
    kick(e, q);
    sync_queues(e);
    tq_unmap(e, &q, &st);
    g_assert_cmpuint(st.error, ==, VKFD_QERR_BAD_POINTER);
    g_assert_cmphex(st.error_va, ==, 2);
    g_assert_cmphex(st.rptr, ==, 0);

    q = tq_map(e, VKFD_QUEUE_SDMA, 256);
    sdma_fence(e, q, fence, 1);
    kick(e, q);
    tq_wait(e, q, q->wptr);
    q->wptr += 256 + 4;
    kick(e, q);
    sync_queues(e);
    tq_unmap(e, &q, &st);
    g_assert_cmpuint(st.error, ==, VKFD_QERR_BAD_POINTER);
    g_assert_cmphex(st.rptr, ==, 16);

    /* a packet not all written yet is left for later */
    q = tq_map(e, VKFD_QUEUE_SDMA, 256);
    sdma_fence(e, q, fence, 2);
    q->wptr -= 4;
    kick(e, q);
    sync_queues(e);
    g_assert_cmphex(r64(e, q->rptr_va), ==, 0);
    q->wptr += 4;
    kick(e, q);
    tq_wait(e, q, 16);
    g_assert_cmpuint(r32(e, fence), ==, 2);
    tq_unmap(e, &q, &st);
    g_assert_cmpuint(st.error, ==, VKFD_QERR_NONE);

    /* the write pointer in a hole */
    ptrs = va_alloc(e, 16);
    q = tq_map_at(e, VKFD_QUEUE_SDMA, 256, va_alloc(e, 256), ptrs,
                  VA_HOLE + 8);
    doorbell(e, q, 16);
    sync_queues(e);
    tq_unmap(e, &q, &st);
    g_assert_cmpuint(st.error, ==, VKFD_QERR_VM_FAULT);
    g_assert_cmphex(st.error_va, ==, VA_HOLE + 8);
    expect_vm_fault(e, VA_HOLE + 8, false);

    /* the ring in a hole */
    q = tq_map_at(e, VKFD_QUEUE_SDMA, 256, VA_HOLE + 0x1000, ptrs, ptrs + 8);
    w64(e, ptrs, 0);
    w64(e, ptrs + 8, 16);
    doorbell(e, q, 16);
    sync_queues(e);
    tq_unmap(e, &q, &st);
    g_assert_cmpuint(st.error, ==, VKFD_QERR_VM_FAULT);
    g_assert_cmphex(st.error_va, ==, VA_HOLE + 0x1000);
    g_assert_cmphex(st.rptr, ==, 0);
    expect_vm_fault(e, VA_HOLE + 0x1000, false);

    /* the read pointer read-only: the packet runs, reporting it faults */
    q = tq_map_at(e, VKFD_QUEUE_SDMA, 256, va_alloc(e, 256), VA_RO,
                  ptrs + 8);
    sdma_fence(e, q, fence, 3);
    kick(e, q);
    sync_queues(e);
    g_assert_cmpuint(r32(e, fence), ==, 3);
    tq_unmap(e, &q, &st);
    g_assert_cmpuint(st.error, ==, VKFD_QERR_VM_FAULT);
    g_assert_cmphex(st.error_va, ==, VA_RO);
    g_assert_cmphex(st.rptr, ==, 16);
    expect_vm_fault(e, VA_RO, true);
    eng_stop(e);
}

/*
 * Random garbage, mostly with plausible opcodes and addresses in a
 * scratch window, in rings of random size: QEMU must survive it all and
 * the device keep answering.
 */
static void test_sdma_random(void)
{
    static const uint8_t ops[] = { 0, 1, 2, 5, 6, 8, 11, 4, 3, 0x55 };
    Eng *e = eng_start();
    uint64_t scratch = va_alloc(e, 4 * MIB), ptr;
    GRand *r = rand_new(3);
    uint32_t dw[256], i, round, k, n, size;
    unsigned errors = 0;
    struct vkfd_mqd st;
    TQ *q;

    for (round = 0; round < 300; round++) {
        size = 256 << g_rand_int_range(r, 0, 3);
        q = tq_map(e, VKFD_QUEUE_SDMA, size);
        n = size / 4;
        for (i = 0; i < n; i++) {
            dw[i] = g_rand_int(r);
        }
        /* plant plausible headers and addresses */
        for (i = 0; i < n; i += g_rand_int_range(r, 1, 8)) {
            k = g_rand_int_range(r, 0, 4);
            if (k == 0) {
                continue;
            }
            dw[i] = (dw[i] & 0xffff0000u & (k == 1 ? ~0u : 0xc0ff0000u)) |
                    ops[g_rand_int_range(r, 0, ARRAY_SIZE(ops))];
            for (k = 1; k < 7 && i + k + 1 < n; k += 2) {
                ptr = scratch + (g_rand_int(r) % (4 * MIB));
                if (g_rand_int_range(r, 0, 4)) {
                    ptr &= ~3ull;
                }
                dw[i + k] = ptr;
                dw[i + k + 1] = ptr >> 32;
            }
            if (i + 4 < n && g_rand_boolean(r)) {
                dw[i + 4] &= 0xffff;    /* counts small enough to finish */
            }
        }
        sdma_put(e, q, dw, n);
        q->wptr = g_rand_int_range(r, 0, n + 1) * 4;
        if (g_rand_int_range(r, 0, 20) == 0) {
            q->wptr = (uint64_t)g_rand_int(r) << 32 | g_rand_int(r);
        }
        kick(e, q);
        settle(e);
        tq_unmap(e, &q, &st);
        errors += st.error != 0;
        wr(e->v, VKFD_REG_VM_FAULT_STATUS, 7);
        g_assert_cmphex(rd(e->v, VKFD_REG_ID), ==, VKFD_ID_MAGIC);
    }
    g_test_message("%u of 300 random rings stopped on an error", errors);
    g_assert_cmpuint(errors, >, 0);

    /* a fresh queue still works */
    q = tq_map(e, VKFD_QUEUE_SDMA, 256);
    sdma_fence(e, q, scratch, 0x5a5a);
    kick(e, q);
    tq_wait(e, q, q->wptr);
    g_assert_cmphex(r32(e, scratch), ==, 0x5a5a);
    tq_unmap(e, &q, NULL);
    g_rand_free(r);
    eng_stop(e);
}

/*
 * AQL
 */

#define AQL_DIM1        1

typedef struct Aql {
    uint8_t b[VKFD_AQL_PACKET_SIZE];
} Aql;

/* Write the body, then the header, as a producer publishes a packet. */
static uint64_t aql_put(Eng *e, TQ *q, const Aql *p)
{
    uint64_t index = q->wptr++;
    uint64_t va = q->ring + (index * VKFD_AQL_PACKET_SIZE) % q->size;

    qtest_memwrite(e->qts, pa(e, va) + 2, p->b + 2, sizeof(p->b) - 2);
    qtest_writew(e->qts, pa(e, va), lduw_le_p(p->b));
    return va;
}

static uint64_t signal_new(Eng *e, int64_t value, uint64_t mailbox,
                           uint32_t event_id)
{
    uint64_t sig = va_alloc(e, 64);

    w64(e, sig, 1);                                 /* kind: user */
    w64(e, sig + VKFD_SIGNAL_VALUE, value);
    w64(e, sig + VKFD_SIGNAL_MAILBOX, mailbox);
    w32(e, sig + VKFD_SIGNAL_EVENT_ID, event_id);
    return sig;
}

static int64_t signal_value(Eng *e, uint64_t sig)
{
    return r64(e, sig + VKFD_SIGNAL_VALUE);
}

static uint64_t kernel_new(Eng *e, uint32_t id)
{
    uint64_t k = va_alloc(e, 64);

    w64(e, k, VKFD_KERNEL_MAGIC);
    w32(e, k + 8, id);
    return k;
}

static void aql_dispatch(Aql *p, uint64_t kobj, uint64_t kernarg,
                         uint32_t gx, uint32_t gy, uint32_t gz,
                         uint64_t signal)
{
    memset(p, 0, sizeof(*p));
    stw_le_p(p->b, VKFD_AQL_TYPE_KERNEL | VKFD_AQL_HEADER_BARRIER |
                   2u << 9 | 2u << 11);
    stw_le_p(p->b + 2, gz > 1 ? 3 : gy > 1 ? 2 : AQL_DIM1);
    stw_le_p(p->b + 4, 64);
    stw_le_p(p->b + 6, 1);
    stw_le_p(p->b + 8, 1);
    stl_le_p(p->b + 12, gx);
    stl_le_p(p->b + 16, gy);
    stl_le_p(p->b + 20, gz);
    stq_le_p(p->b + 32, kobj);
    stq_le_p(p->b + 40, kernarg);
    stq_le_p(p->b + 56, signal);
}

static void aql_barrier(Aql *p, uint32_t type, const uint64_t *deps,
                        unsigned n, uint64_t signal)
{
    unsigned i;

    memset(p, 0, sizeof(*p));
    stw_le_p(p->b, type | VKFD_AQL_HEADER_BARRIER);
    for (i = 0; i < n; i++) {
        stq_le_p(p->b + 8 + 8 * i, deps[i]);
    }
    stq_le_p(p->b + 56, signal);
}

static uint64_t kernarg_fill(Eng *e, uint64_t dst, uint32_t value,
                             uint32_t count)
{
    uint64_t ka = va_alloc(e, sizeof(struct vkfd_kernarg_fill));

    w64(e, ka, dst);
    w32(e, ka + 8, value);
    w32(e, ka + 12, count);
    return ka;
}

static uint64_t kernarg_copy(Eng *e, uint64_t dst, uint64_t src,
                             uint64_t bytes)
{
    uint64_t ka = va_alloc(e, sizeof(struct vkfd_kernarg_copy));

    w64(e, ka, dst);
    w64(e, ka + 8, src);
    w64(e, ka + 16, bytes);
    return ka;
}

static uint64_t kernarg_add(Eng *e, uint64_t dst, uint64_t a, uint64_t b,
                            uint32_t n)
{
    uint64_t ka = va_alloc(e, sizeof(struct vkfd_kernarg_add));

    w64(e, ka, dst);
    w64(e, ka + 8, a);
    w64(e, ka + 16, b);
    w32(e, ka + 24, n);
    return ka;
}

/*
 * The engines' atomics on each kind of target.  SDMA ATOMIC and AQL
 * completion signals in VRAM and in guest RAM (the host's atomics on
 * the word) give the same results; an SDMA ATOMIC on the device's own
 * pages (a DOORBELL BO, the HDP flush page) is not on RAM and stays a
 * read then a write: the read sees 0, so the write of 0 + src rings the
 * doorbell with src, or counts one flush.  A misaligned completion
 * signal is refused as before.
 */
static void test_atomic_targets(void)
{
    Eng *e = eng_start();
    const uint64_t va_db = 9ull << 32, va_remap = 10ull << 32;
    TQ *a = tq_map(e, VKFD_QUEUE_SDMA, PAGE);
    TQ *b = tq_map(e, VKFD_QUEUE_PM4, PAGE);
    TQ *q = tq_map(e, VKFD_QUEUE_AQL, 16 * VKFD_AQL_PACKET_SIZE);
    uint64_t words[] = { va_alloc(e, 64), VA_SYS + 2 * PAGE + 0x18 };
    uint64_t buf = va_alloc(e, 64), sig[2];
    uint32_t flushes = rd(e->v, VKFD_REG_HDP_FLUSHES);
    uint32_t wd[] = { VKFD_PM4_HDR(VKFD_PM4_OP_WRITE_DATA, 4),
                      VKFD_PM4_WD_MEM, LO(buf), HI(buf), 0xabcd };
    uint32_t at[8];
    struct vkfd_mqd st;
    unsigned i, k;
    Aql p;

    for (i = 0; i < ARRAY_SIZE(words); i++) {
        w64(e, words[i], 0xfffffffffffffffeull);
        for (k = 0; k < 3; k++) {
            uint32_t pkt[] = { HDR(ATOMIC, 0) |
                               (k ? VKFD_SDMA_ATOMIC_ADD64_NRTN
                                  : VKFD_SDMA_ATOMIC_ADD64) << 25,
                               LO(words[i]), HI(words[i]), 1 + k, 0,
                               0, 0, 0 };

            sdma_put(e, a, pkt, 8);
        }
    }
    kick(e, a);
    tq_wait(e, a, a->wptr);
    for (i = 0; i < ARRAY_SIZE(words); i++) {
        g_assert_cmphex(r64(e, words[i]), ==, 4);      /* -2 + 1 + 2 + 3 */
    }

    /* completion signals: 20 barriers each, VRAM and guest RAM */
    sig[0] = signal_new(e, 25, 0, 0);
    sig[1] = VA_SYS + 3 * PAGE;
    w64(e, sig[1], 1);
    w64(e, sig[1] + VKFD_SIGNAL_VALUE, 25);
    w64(e, sig[1] + VKFD_SIGNAL_MAILBOX, 0);
    for (k = 0; k < 20; k++) {
        aql_barrier(&p, VKFD_AQL_TYPE_BARRIER_AND, NULL, 0, sig[k & 1]);
        aql_put(e, q, &p);
        if (k % 8 == 7) {
            kick(e, q);
            tq_wait(e, q, q->wptr);
        }
    }
    kick(e, q);
    tq_wait(e, q, q->wptr);
    g_assert_cmpint(signal_value(e, sig[0]), ==, 15);
    g_assert_cmpint(signal_value(e, sig[1]), ==, 15);

    /* the device's own pages */
    pt_map(e->v, e->root, va_db,
           e->v->doorbells.addr + CTX * VKFD_DOORBELL_PAGE_SIZE,
           PTE_SYS | PTE_W, 0);
    pt_map(e->v, e->root, va_remap, e->v->regs.addr + VKFD_MMIO_REMAP_OFFSET,
           PTE_SYS | PTE_W, 0);
    ring_bytes(e, b, b->wptr * 4, wd, sizeof(wd));
    b->wptr += ARRAY_SIZE(wd);
    w64(e, b->wptr_va, b->wptr);
    at[0] = HDR(ATOMIC, 0) | VKFD_SDMA_ATOMIC_ADD64_NRTN << 25;
    at[1] = LO(va_db + b->doorbell * VKFD_DOORBELL_SIZE);
    at[2] = HI(va_db);
    at[3] = b->wptr;
    at[4] = at[5] = at[6] = at[7] = 0;
    sdma_put(e, a, at, 8);
    at[1] = LO(va_remap);
    at[2] = HI(va_remap);
    at[3] = 0x55;
    sdma_put(e, a, at, 8);
    kick(e, a);
    tq_wait(e, a, a->wptr);
    tq_wait(e, b, b->wptr);
    g_assert_cmphex(r32(e, buf), ==, 0xabcd);
    g_assert_cmpuint(rd(e->v, VKFD_REG_HDP_FLUSHES), ==, flushes + 1);
    g_assert_cmphex(rd(e->v, VKFD_REG_VM_FAULT_STATUS), ==, 0);

    /* a completion signal off its 8-byte alignment stops the queue */
    aql_barrier(&p, VKFD_AQL_TYPE_BARRIER_AND, NULL, 0, sig[1] + 4);
    aql_put(e, q, &p);
    kick(e, q);
    sync_queues(e);
    g_assert_cmphex(r64(e, q->rptr_va), ==, 20);
    tq_unmap(e, &q, &st);
    g_assert_cmpuint(st.error, ==, VKFD_QERR_BAD_PACKET);
    g_assert_cmpint(signal_value(e, sig[1]), ==, 15);
    tq_unmap(e, &a, &st);
    g_assert_cmpuint(st.error, ==, 0);
    tq_unmap(e, &b, &st);
    g_assert_cmpuint(st.error, ==, 0);
    eng_stop(e);
}

/* Every built-in kernel, with the grid larger or smaller than the data. */
static void test_aql_kernels(void)
{
    Eng *e = eng_start();
    TQ *q = tq_map(e, VKFD_QUEUE_AQL, 64 * VKFD_AQL_PACKET_SIZE);
    uint64_t kfill = kernel_new(e, VKFD_KERNEL_FILL);
    uint64_t kcopy = kernel_new(e, VKFD_KERNEL_COPY);
    uint64_t kadd = kernel_new(e, VKFD_KERNEL_ADD);
    uint64_t buf = va_alloc(e, 20 * PAGE), sig = signal_new(e, 4, 0, 0);
    uint64_t fill = buf, src = buf + 2 * PAGE, dst = buf + 5 * PAGE;
    uint64_t a = buf + 8 * PAGE, b = buf + 11 * PAGE, sum = buf + 14 * PAGE;
    uint8_t bytes[10000], got[10001];
    uint32_t va[3000], vb[3000], i;
    GRand *r = rand_new(4);
    uint64_t slot[4];
    Aql p;

    random_bytes(r, bytes, sizeof(bytes));
    qtest_memwrite(e->qts, pa(e, src), bytes, sizeof(bytes));
    for (i = 0; i < 3000; i++) {
        va[i] = cpu_to_le32(i * 0x10001);
        vb[i] = cpu_to_le32(0xffff0000u + 3 * i);
    }
    qtest_memwrite(e->qts, pa(e, a), va, sizeof(va));
    qtest_memwrite(e->qts, pa(e, b), vb, sizeof(vb));

    /* 1024 work-items, 1000 dwords: the rest do nothing */
    aql_dispatch(&p, kfill, kernarg_fill(e, fill, 0xdeadbeef, 1000),
                 1024, 1, 1, sig);
    slot[0] = aql_put(e, q, &p);
    /* 9999 work-items over 10000 bytes: the last byte stays */
    aql_dispatch(&p, kcopy, kernarg_copy(e, dst, src, sizeof(bytes)),
                 9999, 1, 1, sig);
    slot[1] = aql_put(e, q, &p);
    /* a 2D grid of 100 x 30 over 3000 dwords */
    aql_dispatch(&p, kadd, kernarg_add(e, sum, a, b, 3000), 100, 30, 1, sig);
    slot[2] = aql_put(e, q, &p);
    /* a 3D grid, one item */
    aql_dispatch(&p, kfill, kernarg_fill(e, fill + 0x1000, 7, 1), 1, 1, 1,
                 sig);
    stw_le_p(p.b + 2, 3);
    slot[3] = aql_put(e, q, &p);
    kick(e, q);
    tq_wait(e, q, 4);

    g_assert_cmpint(signal_value(e, sig), ==, 0);
    for (i = 0; i < 4; i++) {
        g_assert_cmphex(qtest_readw(e->qts, pa(e, slot[i])), ==,
                        VKFD_AQL_TYPE_INVALID);
    }
    for (i = 0; i < 1000; i++) {
        g_assert_cmphex(r32(e, fill + 4 * i), ==, 0xdeadbeef);
    }
    g_assert_cmphex(r32(e, fill + 4000), ==, 0);
    g_assert_cmphex(r32(e, fill + 0x1000), ==, 7);
    qtest_memread(e->qts, pa(e, dst), got, sizeof(got));
    g_assert_cmpmem(got, 9999, bytes, 9999);
    g_assert_cmphex(got[9999], ==, 0);
    g_assert_cmphex(got[10000], ==, 0);
    for (i = 0; i < 3000; i++) {
        g_assert_cmphex(r32(e, sum + 4 * i), ==,
                        (uint32_t)(i * 0x10001 + 0xffff0000u + 3 * i));
    }
    g_assert_cmphex(r32(e, sum + 12000), ==, 0);
    g_assert_cmpuint(rd(e->v, VKFD_REG_VM_FAULT_COUNT), ==, 0);
    tq_unmap(e, &q, NULL);
    g_rand_free(r);
    eng_stop(e);
}

/* Kernels far larger than a run's budget resume where they stopped. */
static void test_aql_big(void)
{
    const uint32_t size = 8 * MIB;
    Eng *e = eng_start();
    TQ *q = tq_map(e, VKFD_QUEUE_AQL, 16 * VKFD_AQL_PACKET_SIZE);
    uint64_t src = va_alloc(e, size), dst = va_alloc(e, size);
    uint64_t sig = signal_new(e, 2, 0, 0);
    g_autofree uint8_t *data = g_malloc(size);
    g_autofree uint8_t *got = g_malloc(size);
    GRand *r = rand_new(5);
    uint32_t i;
    Aql p;

    random_bytes(r, data, size);
    qtest_bufwrite(e->qts, pa(e, src), data, size);
    aql_dispatch(&p, kernel_new(e, VKFD_KERNEL_COPY),
                 kernarg_copy(e, dst, src, size), size, 1, 1, sig);
    aql_put(e, q, &p);
    /* a fill over the source, after the copy read it */
    aql_dispatch(&p, kernel_new(e, VKFD_KERNEL_FILL),
                 kernarg_fill(e, src, 0x0badcafe, size / 4), 1024,
                 size / 4 / 1024, 1, sig);
    aql_put(e, q, &p);
    kick(e, q);
    g_assert_cmphex(rd(e->v, VKFD_REG_ID), ==, VKFD_ID_MAGIC);
    tq_wait(e, q, 2);
    g_assert_cmpint(signal_value(e, sig), ==, 0);
    qtest_bufread(e->qts, pa(e, dst), got, size);
    g_assert(memcmp(got, data, size) == 0);
    qtest_bufread(e->qts, pa(e, src), got, size);
    for (i = 0; i < size; i += 4) {
        g_assert_cmphex(ldl_le_p(got + i), ==, 0x0badcafe);
    }
    tq_unmap(e, &q, NULL);
    g_rand_free(r);
    eng_stop(e);
}

/* Barriers wait, without spinning, until their signals say so. */
static void test_aql_barriers(void)
{
    Eng *e = eng_start();
    TQ *q = tq_map(e, VKFD_QUEUE_AQL, 16 * VKFD_AQL_PACKET_SIZE);
    uint64_t s[4], done = signal_new(e, 100, 0, 0);
    uint64_t kfill = kernel_new(e, VKFD_KERNEL_FILL);
    uint64_t mark = va_alloc(e, 64), at;
    struct vkfd_mqd st;
    unsigned i;
    Aql p;

    for (i = 0; i < ARRAY_SIZE(s); i++) {
        s[i] = signal_new(e, 1, 0, 0);
    }

    /* AND: both signals must reach 0 */
    aql_barrier(&p, VKFD_AQL_TYPE_BARRIER_AND, s, 2, done);
    aql_put(e, q, &p);
    aql_dispatch(&p, kfill, kernarg_fill(e, mark, 1, 1), 1, 1, 1, done);
    aql_put(e, q, &p);
    kick(e, q);
    settle(e);
    settle(e);
    g_assert_cmphex(r64(e, q->rptr_va), ==, 0);
    w64(e, s[0] + VKFD_SIGNAL_VALUE, 0);
    settle(e);
    g_assert_cmphex(r64(e, q->rptr_va), ==, 0);
    g_assert_cmphex(r32(e, mark), ==, 0);
    w64(e, s[1] + VKFD_SIGNAL_VALUE, 0);
    tq_wait(e, q, 2);
    g_assert_cmphex(r32(e, mark), ==, 1);
    g_assert_cmpint(signal_value(e, done), ==, 98);

    /* OR: one is enough; null handles are ignored */
    at = q->wptr;
    {
        uint64_t deps[5] = { 0, s[2], 0, s[3], 0 };

        aql_barrier(&p, VKFD_AQL_TYPE_BARRIER_OR, deps, 5, done);
    }
    aql_put(e, q, &p);
    aql_dispatch(&p, kfill, kernarg_fill(e, mark + 4, 2, 1), 1, 1, 1, 0);
    aql_put(e, q, &p);
    kick(e, q);
    settle(e);
    g_assert_cmphex(r64(e, q->rptr_va), ==, at);
    w64(e, s[3] + VKFD_SIGNAL_VALUE, 0);
    tq_wait(e, q, at + 2);
    g_assert_cmphex(r32(e, mark + 4), ==, 2);
    g_assert_cmpint(signal_value(e, done), ==, 97);

    /* no dependencies at all: both complete at once */
    aql_barrier(&p, VKFD_AQL_TYPE_BARRIER_AND, NULL, 0, done);
    aql_put(e, q, &p);
    aql_barrier(&p, VKFD_AQL_TYPE_BARRIER_OR, NULL, 0, done);
    aql_put(e, q, &p);
    kick(e, q);
    tq_wait(e, q, at + 4);
    g_assert_cmpint(signal_value(e, done), ==, 95);

    /* AMD barrier-value: (value & mask) cond value, signed */
    {
        static const struct {
            uint32_t cond;
            int64_t want, no, yes;
        } bv[] = {
            { 0, 7, 6, 0x1007 },        /* EQ, mask 0xff */
            { 1, 7, 7, 8 },             /* NE */
            { 2, 0, 0, -1 },            /* LT */
            { 3, 5, -5, 5 },            /* GTE */
        };

        for (i = 0; i < ARRAY_SIZE(bv); i++) {
            at = q->wptr;
            w64(e, s[0] + VKFD_SIGNAL_VALUE, bv[i].no);
            memset(&p, 0, sizeof(p));
            stw_le_p(p.b, VKFD_AQL_TYPE_VENDOR);
            p.b[2] = VKFD_AQL_AMD_BARRIER_VALUE;
            stq_le_p(p.b + 8, s[0]);
            stq_le_p(p.b + 16, bv[i].want);
            stq_le_p(p.b + 24, i ? -1 : 0xff);
            stl_le_p(p.b + 32, bv[i].cond);
            stq_le_p(p.b + 56, done);
            aql_put(e, q, &p);
            kick(e, q);
            settle(e);
            g_assert_cmphex(r64(e, q->rptr_va), ==, at);
            w64(e, s[0] + VKFD_SIGNAL_VALUE, bv[i].yes);
            tq_wait(e, q, at + 1);
        }
        g_assert_cmpint(signal_value(e, done), ==, 91);
    }

    /* a queue left waiting unmaps cleanly */
    at = q->wptr;
    aql_barrier(&p, VKFD_AQL_TYPE_BARRIER_AND, &s[2], 1, 0);
    aql_put(e, q, &p);
    kick(e, q);
    settle(e);
    tq_unmap(e, &q, &st);
    g_assert_cmpuint(st.error, ==, VKFD_QERR_NONE);
    g_assert_cmphex(st.rptr, ==, at);
    eng_stop(e);
}

/*
 * ROCr's PM4-IB vendor packet runs its IB on the PM4 engine, waiting in
 * it if the IB says so; the completion signal's mailbox gets the event id.
 */
static void test_aql_vendor_signals(void)
{
    Eng *e = eng_start();
    TQ *q = tq_map(e, VKFD_QUEUE_AQL, 16 * VKFD_AQL_PACKET_SIZE);
    uint64_t mailbox = va_alloc(e, 8), ib = va_alloc(e, 128);
    uint64_t mark = va_alloc(e, 8), word = va_alloc(e, 8);
    uint64_t sig = signal_new(e, 1, mailbox, 42), sig2 = signal_new(e, 5,
                                                                    0, 0);
    uint32_t code[] = {
        VKFD_PM4_HDR(VKFD_PM4_OP_WRITE_DATA, 4), VKFD_PM4_WD_MEM,
        mark, mark >> 32, 0x1b,
        VKFD_PM4_HDR(VKFD_PM4_OP_WAIT_REG_MEM, 6),
        VKFD_PM4_WRM_MEM_SPACE | VKFD_SDMA_FUNC_EQ, word, word >> 32, 1, ~0u, 4,
        VKFD_PM4_HDR(VKFD_PM4_OP_WRITE_DATA, 4), VKFD_PM4_WD_MEM,
        mark + 4, (mark + 4) >> 32, 0x2b,
    };
    unsigned i;
    Aql p;

    for (i = 0; i < ARRAY_SIZE(code); i++) {
        w32(e, ib + 4 * i, code[i]);
    }
    w64(e, mailbox, ~0ull);             /* KFD's "not signaled" */
    memset(&p, 0, sizeof(p));
    stw_le_p(p.b, VKFD_AQL_TYPE_VENDOR | VKFD_AQL_HEADER_BARRIER);
    p.b[2] = VKFD_AQL_AMD_PM4_IB;
    stl_le_p(p.b + 4, VKFD_PM4_HDR(VKFD_PM4_OP_INDIRECT_BUFFER, 3));
    stl_le_p(p.b + 8, (uint32_t)ib);
    stl_le_p(p.b + 12, ib >> 32);
    stl_le_p(p.b + 16, VKFD_PM4_IB_VALID | ARRAY_SIZE(code));
    stl_le_p(p.b + 20, 0xa);
    stq_le_p(p.b + 56, sig);
    aql_put(e, q, &p);
    aql_barrier(&p, VKFD_AQL_TYPE_BARRIER_AND, NULL, 0, sig2);
    aql_put(e, q, &p);
    kick(e, q);
    settle(e);
    settle(e);
    g_assert_cmphex(r64(e, q->rptr_va), ==, 0);
    g_assert_cmphex(r32(e, mark), ==, 0x1b);
    g_assert_cmphex(r32(e, mark + 4), ==, 0);
    g_assert_cmpint(signal_value(e, sig), ==, 1);
    w32(e, word, 1);
    tq_wait(e, q, 2);
    g_assert_cmphex(r32(e, mark + 4), ==, 0x2b);
    g_assert_cmpint(signal_value(e, sig), ==, 0);
    g_assert_cmphex(r64(e, mailbox), ==, 42);
    g_assert_cmpint(signal_value(e, sig2), ==, 4);
    tq_unmap(e, &q, NULL);
    eng_stop(e);
}

typedef enum AqlBadKind {
    BAD_NO_MAGIC, BAD_KERNEL_ID, BAD_AGENT, BAD_TYPE, BAD_VENDOR,
    BAD_DIMS, BAD_GRID, BAD_IB, BAD_KOBJ_HOLE, BAD_KERNARG_HOLE,
    BAD_DST_RO, BAD_SIGNAL_HOLE, BAD_DEP_HOLE, BAD_BV_NULL,
    BAD_FILL_WRAP, BAD_COPY_WRAP,
} AqlBadKind;

static const struct {
    const char *name;
    AqlBadKind kind;
    uint32_t error;
} aql_bad_cases[] = {
    { "kernel without the magic", BAD_NO_MAGIC, VKFD_QERR_BAD_KERNEL },
    { "unknown built-in kernel", BAD_KERNEL_ID, VKFD_QERR_BAD_KERNEL },
    { "agent dispatch", BAD_AGENT, VKFD_QERR_BAD_PACKET },
    { "packet type 9", BAD_TYPE, VKFD_QERR_BAD_PACKET },
    { "vendor format 3", BAD_VENDOR, VKFD_QERR_BAD_PACKET },
    { "0 dimensions", BAD_DIMS, VKFD_QERR_BAD_PACKET },
    { "empty grid", BAD_GRID, VKFD_QERR_BAD_PACKET },
    { "PM4-IB of another command", BAD_IB, VKFD_QERR_BAD_PACKET },
    { "kernel object in a hole", BAD_KOBJ_HOLE, VKFD_QERR_VM_FAULT },
    { "kernarg in a hole", BAD_KERNARG_HOLE, VKFD_QERR_VM_FAULT },
    { "fill of a read-only page", BAD_DST_RO, VKFD_QERR_VM_FAULT },
    { "completion signal in a hole", BAD_SIGNAL_HOLE, VKFD_QERR_VM_FAULT },
    { "dependency in a hole", BAD_DEP_HOLE, VKFD_QERR_VM_FAULT },
    { "barrier-value on a null signal", BAD_BV_NULL, VKFD_QERR_BAD_PACKET },
    /* ranges that run past 2^64 (issue 9, point 6) */
    { "fill to the top of 2^64", BAD_FILL_WRAP, VKFD_QERR_BAD_PACKET },
    { "copy from the top of 2^64", BAD_COPY_WRAP, VKFD_QERR_BAD_PACKET },
};

/*
 * Each bad packet stops its queue on it, its slot and signal untouched;
 * the good packet before it completes.
 */
static void test_aql_bad(void)
{
    Eng *e = eng_start();
    uint64_t kfill = kernel_new(e, VKFD_KERNEL_FILL), bogus = va_alloc(e, 64);
    uint64_t mark = va_alloc(e, 8), sig = signal_new(e, 10, 0, 0);
    uint64_t ka = kernarg_fill(e, mark, 1, 1), slot, want_va;
    struct vkfd_mqd st;
    uint32_t dw0;
    unsigned i;
    TQ *q;
    Aql p;

    w64(e, bogus, 0x12345678);
    for (i = 0; i < ARRAY_SIZE(aql_bad_cases); i++) {
        g_test_message("%s", aql_bad_cases[i].name);
        q = tq_map(e, VKFD_QUEUE_AQL, 4 * VKFD_AQL_PACKET_SIZE);
        w64(e, sig + VKFD_SIGNAL_VALUE, 10);
        w32(e, mark, 0);
        aql_dispatch(&p, kfill, ka, 1, 1, 1, sig);
        aql_put(e, q, &p);

        aql_dispatch(&p, kfill, ka, 1, 1, 1, sig);
        want_va = 0;
        switch (aql_bad_cases[i].kind) {
        case BAD_NO_MAGIC:
            stq_le_p(p.b + 32, bogus);
            break;
        case BAD_KERNEL_ID:
            stq_le_p(p.b + 32, kernel_new(e, 99));
            break;
        case BAD_AGENT:
            stw_le_p(p.b, VKFD_AQL_TYPE_AGENT);
            break;
        case BAD_TYPE:
            stw_le_p(p.b, 9);
            break;
        case BAD_VENDOR:
            stw_le_p(p.b, VKFD_AQL_TYPE_VENDOR);
            p.b[2] = 3;
            break;
        case BAD_DIMS:
            stw_le_p(p.b + 2, 0);
            break;
        case BAD_GRID:
            stl_le_p(p.b + 16, 0);
            break;
        case BAD_IB:
            stw_le_p(p.b, VKFD_AQL_TYPE_VENDOR);
            p.b[2] = VKFD_AQL_AMD_PM4_IB;
            stl_le_p(p.b + 4, VKFD_PM4_HDR(VKFD_PM4_OP_NOP, 3));
            break;
        case BAD_KOBJ_HOLE:
            stq_le_p(p.b + 32, VA_HOLE + 0x40);
            want_va = VA_HOLE + 0x40;
            break;
        case BAD_KERNARG_HOLE:
            stq_le_p(p.b + 40, VA_HOLE);
            want_va = VA_HOLE;
            break;
        case BAD_DST_RO:
            stq_le_p(p.b + 40, kernarg_fill(e, VA_RO + 8, 1, 1));
            want_va = VA_RO + 8;
            break;
        case BAD_SIGNAL_HOLE:
            stq_le_p(p.b + 56, VA_HOLE + 0x80);
            want_va = VA_HOLE + 0x80;
            break;
        case BAD_DEP_HOLE:
            aql_barrier(&p, VKFD_AQL_TYPE_BARRIER_OR, &sig, 1, 0);
            stq_le_p(p.b + 16, VA_HOLE + 0x100);
            want_va = VA_HOLE + 0x108;
            break;
        case BAD_BV_NULL:
            memset(&p, 0, sizeof(p));
            stw_le_p(p.b, VKFD_AQL_TYPE_VENDOR);
            p.b[2] = VKFD_AQL_AMD_BARRIER_VALUE;
            break;
        case BAD_FILL_WRAP:
            stq_le_p(p.b + 40, kernarg_fill(e, UINT64_MAX - 3, 1, 1));
            break;
        case BAD_COPY_WRAP:
            stq_le_p(p.b + 32, kernel_new(e, VKFD_KERNEL_COPY));
            stq_le_p(p.b + 40, kernarg_copy(e, mark, UINT64_MAX, 1));
            break;
        }
        slot = aql_put(e, q, &p);
        dw0 = ldl_le_p(p.b);
        aql_dispatch(&p, kfill, ka, 1, 1, 1, sig);      /* never reached */
        aql_put(e, q, &p);
        kick(e, q);
        sync_queues(e);
        g_assert_cmphex(r64(e, q->rptr_va), ==, 1);
        g_assert_cmphex(r32(e, mark), ==, 1);
        tq_unmap(e, &q, &st);
        g_assert_cmpuint(st.error, ==, aql_bad_cases[i].error);
        g_assert_cmphex(st.rptr, ==, 1);
        g_assert_cmphex(st.error_info, ==, dw0);
        if (aql_bad_cases[i].error == VKFD_QERR_VM_FAULT) {
            g_assert_cmphex(st.error_va, ==, want_va);
            expect_vm_fault(e, want_va, aql_bad_cases[i].kind == BAD_DST_RO);
            /* the signal of the failed packet was not touched */
            g_assert_cmpint(signal_value(e, sig), ==, 9);
        } else {
            /* a descriptor the shader core refuses: the kernel object */
            g_assert_cmphex(st.error_va, ==,
                            aql_bad_cases[i].kind == BAD_NO_MAGIC ? bogus
                                                                  : slot);
            g_assert_cmpint(signal_value(e, sig), ==, 9);
        }
        /* the failed slot keeps its header */
        g_assert_cmphex(qtest_readw(e->qts, pa(e, slot)) & 0xff, !=,
                        VKFD_AQL_TYPE_INVALID);
    }
    g_assert_cmphex(rd(e->v, VKFD_REG_VM_FAULT_STATUS), ==, 0);
    eng_stop(e);
}

/*
 * The doorbell value is only a hint; the write index decides, and a slot
 * reserved but not yet published stops the processor until it is.
 */
static void test_aql_indices(void)
{
    Eng *e = eng_start();
    TQ *q = tq_map(e, VKFD_QUEUE_AQL, 4 * VKFD_AQL_PACKET_SIZE);
    uint64_t sig = signal_new(e, 100, 0, 0), va;
    struct vkfd_mqd st;
    unsigned i;
    Aql p, hold;

    aql_barrier(&p, VKFD_AQL_TYPE_BARRIER_AND, NULL, 0, sig);
    aql_put(e, q, &p);
    w64(e, q->wptr_va, q->wptr);
    doorbell(e, q, 0xdeadbeef);
    tq_wait(e, q, 1);

    /* index 1 reserved (write index 3), only index 2 written so far */
    va = q->ring + VKFD_AQL_PACKET_SIZE;
    memcpy(&hold, &p, sizeof(p));
    q->wptr++;
    aql_put(e, q, &p);
    kick(e, q);
    sync_queues(e);
    g_assert_cmphex(r64(e, q->rptr_va), ==, 1);
    qtest_memwrite(e->qts, pa(e, va) + 2, hold.b + 2, 62);
    qtest_writew(e->qts, pa(e, va), lduw_le_p(hold.b));
    kick(e, q);
    tq_wait(e, q, 3);
    g_assert_cmpint(signal_value(e, sig), ==, 97);

    /* round the ring a few times */
    for (i = 0; i < 10; i++) {
        aql_put(e, q, &p);
        aql_put(e, q, &p);
        kick(e, q);
        tq_wait(e, q, q->wptr);
    }
    g_assert_cmpint(signal_value(e, sig), ==, 77);

    /* a write index behind the read index */
    w64(e, q->wptr_va, 1);
    doorbell(e, q, 1);
    sync_queues(e);
    tq_unmap(e, &q, &st);
    g_assert_cmpuint(st.error, ==, VKFD_QERR_BAD_POINTER);
    g_assert_cmphex(st.error_va, ==, 1);
    eng_stop(e);
}

/* Random packets: QEMU survives and the device keeps answering. */
static void test_aql_random(void)
{
    static const uint8_t types[] = { 0, 1, 2, 3, 4, 5, 2, 2, 3, 5, 0x77 };
    Eng *e = eng_start();
    uint64_t scratch = va_alloc(e, 4 * MIB), sig;
    uint64_t kernels[4];
    GRand *r = rand_new(6);
    unsigned errors = 0, round, i, j, k;
    struct vkfd_mqd st;
    TQ *q;
    Aql p;

    for (i = 0; i < 4; i++) {
        kernels[i] = kernel_new(e, i);
    }
    for (round = 0; round < 200; round++) {
        q = tq_map(e, VKFD_QUEUE_AQL, 16 * VKFD_AQL_PACKET_SIZE);
        for (i = 0; i < 16; i++) {
            for (j = 0; j < sizeof(p.b); j++) {
                p.b[j] = g_rand_int(r);
            }
            k = g_rand_int_range(r, 0, 4);
            if (k) {
                p.b[0] = types[g_rand_int_range(r, 0, ARRAY_SIZE(types))];
                p.b[2] = k == 1 ? g_rand_int_range(r, 0, 4) : p.b[2] & 3;
                for (j = 8; j < 64; j += 8) {
                    if (g_rand_int_range(r, 0, 3)) {
                        stq_le_p(p.b + j, scratch +
                                 (g_rand_int(r) % (4 * MIB) & ~7u));
                    }
                }
                if (k == 3) {
                    stq_le_p(p.b + 32, kernels[g_rand_int_range(r, 0, 4)]);
                    stl_le_p(p.b + 12, g_rand_int_range(r, 1, 5000));
                    stl_le_p(p.b + 16, 1);
                    stl_le_p(p.b + 20, 1);
                }
            }
            aql_put(e, q, &p);
        }
        q->wptr = g_rand_int_range(r, 0, 17);
        kick(e, q);
        settle(e);
        tq_unmap(e, &q, &st);
        errors += st.error != 0;
        wr(e->v, VKFD_REG_VM_FAULT_STATUS, 7);
        g_assert_cmphex(rd(e->v, VKFD_REG_ID), ==, VKFD_ID_MAGIC);
    }
    g_test_message("%u of 200 random rings stopped on an error", errors);
    g_assert_cmpuint(errors, >, 0);

    q = tq_map(e, VKFD_QUEUE_AQL, 4 * VKFD_AQL_PACKET_SIZE);
    sig = signal_new(e, 1, 0, 0);
    aql_barrier(&p, VKFD_AQL_TYPE_BARRIER_OR, NULL, 0, sig);
    aql_put(e, q, &p);
    kick(e, q);
    tq_wait(e, q, 1);
    g_assert_cmpint(signal_value(e, sig), ==, 0);
    tq_unmap(e, &q, NULL);
    g_rand_free(r);
    eng_stop(e);
}

/*
 * A snapshot with an SDMA transfer, an AQL kernel and a POLL_REGMEM in
 * flight resumes on the other side with nothing lost or done twice.
 */
static void test_migration(void)
{
    const uint32_t size = 8 * MIB;
    Eng *e = eng_start();
    TQ *sq = tq_map(e, VKFD_QUEUE_SDMA, PAGE);
    TQ *aq = tq_map(e, VKFD_QUEUE_AQL, 16 * VKFD_AQL_PACKET_SIZE);
    TQ *pq = tq_map(e, VKFD_QUEUE_SDMA, 256);
    uint64_t src = va_alloc(e, size), dst = va_alloc(e, size);
    uint64_t dst2 = va_alloc(e, size), fence = va_alloc(e, 16);
    uint64_t word = va_alloc(e, 8), sig = signal_new(e, 1, 0, 0);
    g_autofree uint8_t *data = g_malloc(size);
    g_autofree uint8_t *got = g_malloc(size);
    GRand *r = rand_new(7);
    unsigned i;
    Aql p;

    random_bytes(r, data, size);
    qtest_bufwrite(e->qts, pa(e, src), data, size);
    /*
     * 256 MiB of copies (the same two halves over and over): enough that
     * the stop below lands in the middle even on a slow, busy host
     */
    for (i = 0; i < 64; i++) {
        sdma_copy(e, sq, dst + (i % 2) * VKFD_SDMA_COPY_MAX,
                  src + (i % 2) * VKFD_SDMA_COPY_MAX, VKFD_SDMA_COPY_MAX);
    }
    sdma_fence(e, sq, fence, 1);
    aql_dispatch(&p, kernel_new(e, VKFD_KERNEL_COPY),
                 kernarg_copy(e, dst2, src, size), size, 1, 1, sig);
    aql_put(e, aq, &p);
    sdma_poll(e, pq, word, VKFD_SDMA_FUNC_EQ, 1, ~0u);
    sdma_fence(e, pq, fence + 8, 3);

    kick(e, pq);
    kick(e, sq);
    kick(e, aq);
    /* stop once the first copy has started: it is cut in the middle */
    for (i = 0; i < 100000; i++) {
        qtest_bufread(e->qts, pa(e, dst), got, UNIT_BYTES);
        if (!memcmp(got, data, UNIT_BYTES)) {
            break;
        }
    }
    qtest_qmp_assert_success(e->qts, "{ 'execute': 'stop' }");
    g_test_message("stopped at SDMA rptr 0x%" PRIx64 " of 0x%" PRIx64
                   ", AQL signal %" PRId64, r64(e, sq->rptr_va), sq->wptr,
                   signal_value(e, sig));
    g_assert_cmphex(r64(e, sq->rptr_va), <, sq->wptr);
    g_assert_cmphex(r64(e, pq->rptr_va), ==, 0);

    vkfd_migrate(e->v, ",vram-size=32M");
    e->qts = e->v->qts;
    w32(e, word, 1);
    tq_wait(e, sq, sq->wptr);
    tq_wait(e, aq, 1);
    tq_wait(e, pq, pq->wptr);
    g_assert_cmpuint(r32(e, fence), ==, 1);
    g_assert_cmpuint(r32(e, fence + 8), ==, 3);
    g_assert_cmpint(signal_value(e, sig), ==, 0);
    qtest_bufread(e->qts, pa(e, dst), got, size);
    g_assert(memcmp(got, data, size) == 0);
    qtest_bufread(e->qts, pa(e, dst2), got, size);
    g_assert(memcmp(got, data, size) == 0);
    tq_unmap(e, &sq, NULL);
    tq_unmap(e, &aq, NULL);
    tq_unmap(e, &pq, NULL);
    g_rand_free(r);
    eng_stop(e);
}

/*
 * The IH ring
 */

#define IH_MSI_DATA     0x4ae10000u
#define IH_ENTRY        ((uint32_t)sizeof(struct vkfd_ih_entry))
#define IH_SENTINEL     0xa5

/* A ring of size bytes in guest RAM, filled with IH_SENTINEL, enabled. */
static uint64_t ih_enable(Eng *e, uint32_t size)
{
    uint64_t base = guest_alloc(&e->v->alloc, size);

    g_assert_cmphex(base % PAGE, ==, 0);
    qtest_memset(e->qts, base, IH_SENTINEL, size);
    wr(e->v, VKFD_REG_IH_BASE_LO, (uint32_t)base);
    wr(e->v, VKFD_REG_IH_BASE_HI, base >> 32);
    wr(e->v, VKFD_REG_IH_SIZE, size);
    wr(e->v, VKFD_REG_IH_CNTL, VKFD_IH_CNTL_ENABLE);
    g_assert_cmphex(rd(e->v, VKFD_REG_IH_CNTL), ==, VKFD_IH_CNTL_ENABLE);
    g_assert_cmphex(rd(e->v, VKFD_REG_IH_WPTR), ==, 0);
    return base;
}

/* Wait (up to 30 s) until IH_WPTR is wptr. */
static void ih_wait(Eng *e, uint32_t wptr)
{
    int i;

    for (i = 0; i < 300000 && rd(e->v, VKFD_REG_IH_WPTR) != wptr; i++) {
        g_usleep(100);
    }
    g_assert_cmphex(rd(e->v, VKFD_REG_IH_WPTR), ==, wptr);
}

static void ih_expect(Eng *e, uint64_t base, uint32_t off, uint32_t source,
                      uint32_t data, uint32_t doorbell, uint64_t addr,
                      uint32_t flags, uint32_t seq)
{
    struct vkfd_ih_entry en;

    qtest_memread(e->qts, base + off, &en, sizeof(en));
    g_assert_cmpuint(le32_to_cpu(en.source), ==, source);
    g_assert_cmpuint(le32_to_cpu(en.ctx_id), ==, CTX);
    g_assert_cmphex(le32_to_cpu(en.data), ==, data);
    g_assert_cmpuint(le32_to_cpu(en.doorbell), ==, doorbell);
    g_assert_cmphex(le64_to_cpu(en.addr), ==, addr);
    g_assert_cmphex(le32_to_cpu(en.flags), ==, flags);
    g_assert_cmpuint(le32_to_cpu(en.seq), ==, seq);
}

/* 32 bytes at base + off still hold the sentinel: nothing written there */
static void ih_expect_untouched(Eng *e, uint64_t base, uint32_t off)
{
    uint8_t buf[IH_ENTRY];
    unsigned i;

    qtest_memread(e->qts, base + off, buf, sizeof(buf));
    for (i = 0; i < sizeof(buf); i++) {
        g_assert_cmphex(buf[i], ==, IH_SENTINEL);
    }
}

/* PM4 packets, appended at the queue's wptr (in dwords) */
static void pm4_put(Eng *e, TQ *q, const uint32_t *dw, unsigned n)
{
    g_autofree uint32_t *le = g_new(uint32_t, n);
    unsigned i;

    for (i = 0; i < n; i++) {
        le[i] = cpu_to_le32(dw[i]);
    }
    ring_bytes(e, q, q->wptr * 4, le, n * 4);
    q->wptr += n;
}

static void sdma_trap(Eng *e, TQ *q, uint32_t int_context)
{
    uint32_t dw[SDMA_PKT_MAX_DW];

    sdma_put(e, q, dw, sdma_pkt_trap(dw, int_context));
}

/* Point MSI-X vector VKFD_VECTOR_IH at msg, unmasked (as /vkfd/msix). */
static uint32_t ih_msix_setup(Eng *e, uint64_t msg)
{
    uint32_t off = msix_aim(e->v->dev, VKFD_VECTOR_IH, msg, IH_MSI_DATA);

    qtest_writel(e->qts, msg, 0);
    return off;
}

/* Each IH register's rules, bad ring configurations, and reset. */
static void test_ih_regs(void)
{
    static const struct {
        uint64_t base_off;      /* added to a 4 KiB aligned base */
        uint64_t base;          /* or this base, if not 0 */
        uint32_t size;
    } bad[] = {
        { 0, 0, 0 },
        { 0, 0, 0x800 },
        { 0, 0, 0x3000 },
        { 0, 0, 2 * VKFD_IH_RING_MAX },
        { 0x100, 0, 0x1000 },
        { 0x20, 0, 0x1000 },
        { 0, 0xfffffffffffff000ull, 0x2000 },
    };
    Eng *e = eng_start();
    Vkfd *v = e->v;
    uint64_t base = guest_alloc(&v->alloc, 0x2000), b;
    uint32_t errs = rd(v, VKFD_REG_ACCESS_ERRORS), r;
    unsigned i;

    g_assert_cmphex(base % PAGE, ==, 0);
    for (r = VKFD_REG_IH_BASE_LO; r <= VKFD_REG_IH_OVERFLOWS; r += 4) {
        g_assert_cmphex(rd(v, r), ==, 0);
    }
    g_assert_cmphex(rd(v, VKFD_REG_ACCESS_ERRORS), ==, errs);

    /* bad configurations: the ring stays disabled, the rejection counts */
    for (i = 0; i < ARRAY_SIZE(bad); i++) {
        b = bad[i].base ? bad[i].base : base + bad[i].base_off;
        wr(v, VKFD_REG_IH_BASE_LO, (uint32_t)b);
        wr(v, VKFD_REG_IH_BASE_HI, b >> 32);
        wr(v, VKFD_REG_IH_SIZE, bad[i].size);
        wr(v, VKFD_REG_IH_CNTL, VKFD_IH_CNTL_ENABLE);
        g_assert_cmphex(rd(v, VKFD_REG_IH_CNTL), ==, 0);
        g_assert_cmphex(rd(v, VKFD_REG_ACCESS_ERRORS), ==, ++errs);
        g_assert_cmphex(rd(v, VKFD_REG_IH_BASE_LO), ==, (uint32_t)b);
        g_assert_cmphex(rd(v, VKFD_REG_IH_BASE_HI), ==, b >> 32);
        g_assert_cmphex(rd(v, VKFD_REG_IH_SIZE), ==, bad[i].size);
    }

    /* a good one: 8 KiB, the largest and smallest sizes too */
    wr(v, VKFD_REG_IH_BASE_LO, (uint32_t)base);
    wr(v, VKFD_REG_IH_BASE_HI, base >> 32);
    wr(v, VKFD_REG_IH_SIZE, VKFD_IH_RING_MAX);
    wr(v, VKFD_REG_IH_CNTL, VKFD_IH_CNTL_ENABLE);
    g_assert_cmphex(rd(v, VKFD_REG_IH_CNTL), ==, VKFD_IH_CNTL_ENABLE);
    wr(v, VKFD_REG_IH_CNTL, 0);
    wr(v, VKFD_REG_IH_SIZE, VKFD_IH_RING_MIN);
    wr(v, VKFD_REG_IH_CNTL, VKFD_IH_CNTL_ENABLE);
    g_assert_cmphex(rd(v, VKFD_REG_IH_CNTL), ==, VKFD_IH_CNTL_ENABLE);
    wr(v, VKFD_REG_IH_CNTL, 0);
    wr(v, VKFD_REG_IH_SIZE, 0x2000);
    /*
     * other CNTL bits are ignored; RPTR_REARM and WPTR_WRITEBACK (to
     * address 0 here, which is RAM) count only with ENABLE, latched
     */
    wr(v, VKFD_REG_IH_CNTL, 0xfffffffe);
    g_assert_cmphex(rd(v, VKFD_REG_IH_CNTL), ==, 0);
    wr(v, VKFD_REG_IH_CNTL, ~0u);
    g_assert_cmphex(rd(v, VKFD_REG_IH_CNTL), ==,
                    VKFD_IH_CNTL_ENABLE | VKFD_IH_CNTL_RPTR_REARM |
                    VKFD_IH_CNTL_WPTR_WRITEBACK);
    wr(v, VKFD_REG_IH_CNTL, VKFD_IH_CNTL_ENABLE);
    g_assert_cmphex(rd(v, VKFD_REG_IH_CNTL), ==,
                    VKFD_IH_CNTL_ENABLE | VKFD_IH_CNTL_RPTR_REARM |
                    VKFD_IH_CNTL_WPTR_WRITEBACK);
    g_assert_cmphex(rd(v, VKFD_REG_ACCESS_ERRORS), ==, errs);

    /* geometry is latched while enabled */
    wr(v, VKFD_REG_IH_BASE_LO, (uint32_t)base + 0x1000);
    wr(v, VKFD_REG_IH_BASE_HI, 0x1);
    wr(v, VKFD_REG_IH_SIZE, 0x1000);
    errs += 3;
    g_assert_cmphex(rd(v, VKFD_REG_ACCESS_ERRORS), ==, errs);
    g_assert_cmphex(rd(v, VKFD_REG_IH_BASE_LO), ==, (uint32_t)base);
    g_assert_cmphex(rd(v, VKFD_REG_IH_BASE_HI), ==, base >> 32);
    g_assert_cmphex(rd(v, VKFD_REG_IH_SIZE), ==, 0x2000);

    /* WPTR and OVERFLOWS are read-only */
    wr(v, VKFD_REG_IH_WPTR, 0x40);
    wr(v, VKFD_REG_IH_OVERFLOWS, 5);
    errs += 2;
    g_assert_cmphex(rd(v, VKFD_REG_ACCESS_ERRORS), ==, errs);
    g_assert_cmphex(rd(v, VKFD_REG_IH_WPTR), ==, 0);
    g_assert_cmphex(rd(v, VKFD_REG_IH_OVERFLOWS), ==, 0);

    /* RPTR: below SIZE and 32-byte aligned */
    wr(v, VKFD_REG_IH_RPTR, 0x40);
    g_assert_cmphex(rd(v, VKFD_REG_IH_RPTR), ==, 0x40);
    wr(v, VKFD_REG_IH_RPTR, 0x2000 - IH_ENTRY);
    g_assert_cmphex(rd(v, VKFD_REG_IH_RPTR), ==, 0x2000 - IH_ENTRY);
    g_assert_cmphex(rd(v, VKFD_REG_ACCESS_ERRORS), ==, errs);
    wr(v, VKFD_REG_IH_RPTR, 0x44);
    wr(v, VKFD_REG_IH_RPTR, 0x10);
    wr(v, VKFD_REG_IH_RPTR, 0x2000);
    wr(v, VKFD_REG_IH_RPTR, 0xffffffe0);
    errs += 4;
    g_assert_cmphex(rd(v, VKFD_REG_ACCESS_ERRORS), ==, errs);
    g_assert_cmphex(rd(v, VKFD_REG_IH_RPTR), ==, 0x2000 - IH_ENTRY);

    /* STATUS is write-1-to-clear: nothing to set from the guest */
    wr(v, VKFD_REG_IH_STATUS, ~0u);
    g_assert_cmphex(rd(v, VKFD_REG_IH_STATUS), ==, 0);
    g_assert_cmphex(rd(v, VKFD_REG_ACCESS_ERRORS), ==, errs);

    /* enabling again starts an empty ring */
    wr(v, VKFD_REG_IH_CNTL, 0);
    g_assert_cmphex(rd(v, VKFD_REG_IH_RPTR), ==, 0x2000 - IH_ENTRY);
    wr(v, VKFD_REG_IH_CNTL, VKFD_IH_CNTL_ENABLE);
    g_assert_cmphex(rd(v, VKFD_REG_IH_RPTR), ==, 0);
    g_assert_cmphex(rd(v, VKFD_REG_IH_WPTR), ==, 0);

    /* CONTROL.RESET clears every IH register */
    wr(v, VKFD_REG_IH_RPTR, 0x60);
    wr(v, VKFD_REG_CONTROL, VKFD_CONTROL_RESET);
    for (r = VKFD_REG_IH_BASE_LO; r <= VKFD_REG_IH_OVERFLOWS; r += 4) {
        g_assert_cmphex(rd(v, r), ==, 0);
    }
    vkfd_stop(v);
    g_free(e->sync);
    g_free(e);
}

/*
 * test_ih_sources: the IH ring at base and the MSI-X message at msg; seq
 * counts the entries so far, so the next one is at seq * IH_ENTRY.
 */
typedef struct IhSrc {
    Eng *e;
    uint64_t base, msg;
    uint32_t seq;
} IhSrc;

/* Wait until n more entries are in the ring. */
static void ih_src_wait(IhSrc *s, uint32_t n)
{
    ih_wait(s->e, (s->seq + n) * IH_ENTRY);
}

/* The next entry holds these fields. */
static void ih_src_next(IhSrc *s, uint32_t source, uint32_t data,
                        uint32_t doorbell, uint64_t addr, uint32_t flags)
{
    ih_expect(s->e, s->base, s->seq * IH_ENTRY, source, data, doorbell,
              addr, flags, s->seq + 1);
    s->seq++;
}

/* The message came; clear it for the next. */
static void ih_src_msi(IhSrc *s)
{
    wait_msi(s->e->qts, s->msg, IH_MSI_DATA);
    qtest_writel(s->e->qts, s->msg, 0);
}

/* SDMA TRAP: data is int_context, bits 27:0 */
static void ih_src_sdma_trap(IhSrc *s, TQ *sq)
{
    sdma_trap(s->e, sq, 0xf1234567);
    kick(s->e, sq);
    tq_wait(s->e, sq, sq->wptr);
    ih_src_wait(s, 1);
    ih_src_next(s, VKFD_IH_SRC_SDMA_TRAP, 0x01234567, sq->doorbell, 0, 0);
    ih_src_msi(s);
}

/* PM4 RELEASE_MEM: an entry with int_sel only, after the write */
static void ih_src_release_mem(IhSrc *s, TQ *pq, uint64_t word)
{
    uint32_t rm[8], i;

    for (i = 0; i < 2; i++) {
        rm[0] = VKFD_PM4_HDR(VKFD_PM4_OP_RELEASE_MEM, 7);
        rm[1] = VKFD_PM4_EVENT_EOP | VKFD_PM4_EVENT_INDEX_EOP;
        rm[2] = VKFD_PM4_RM_DATA(VKFD_PM4_DATA_32) |
                (i ? VKFD_PM4_RM_INT_WRITE : 0);
        rm[3] = (uint32_t)word;
        rm[4] = word >> 32;
        rm[5] = 0x1000 + i;
        rm[6] = 0;
        rm[7] = 0xabcd0 + i;
        pm4_put(s->e, pq, rm, ARRAY_SIZE(rm));
    }
    kick(s->e, pq);
    tq_wait(s->e, pq, pq->wptr);
    ih_src_wait(s, 1);
    g_assert_cmphex(r32(s->e, word), ==, 0x1001);
    ih_src_next(s, VKFD_IH_SRC_EOP, 0xabcd1, pq->doorbell, word, 0);
    ih_src_msi(s);
}

/* AQL: a completion signal with a mailbox; one without posts nothing */
static void ih_src_signal(IhSrc *s, TQ *aq)
{
    uint64_t mbox = va_alloc(s->e, 8);
    uint64_t sig = signal_new(s->e, 2, mbox, 0x77);
    uint64_t sig2 = signal_new(s->e, 1, 0, 9);
    Aql p;

    aql_barrier(&p, VKFD_AQL_TYPE_BARRIER_AND, NULL, 0, sig2);
    aql_put(s->e, aq, &p);
    aql_barrier(&p, VKFD_AQL_TYPE_BARRIER_AND, NULL, 0, sig);
    aql_put(s->e, aq, &p);
    kick(s->e, aq);
    tq_wait(s->e, aq, 2);
    ih_src_wait(s, 1);
    g_assert_cmpuint(r64(s->e, mbox), ==, 0x77);
    ih_src_next(s, VKFD_IH_SRC_SIGNAL, 0x77, aq->doorbell, sig, 0);
    ih_src_msi(s);
}

/* A queue's fault: VM_FAULT, then its QUEUE_ERROR; a read has no WRITE */
static void ih_src_queue_faults(IhSrc *s, uint64_t word)
{
    TQ *bq = tq_map(s->e, VKFD_QUEUE_SDMA, PAGE);
    struct vkfd_mqd st;

    sdma_fence(s->e, bq, VA_HOLE + 0x40, 1);
    kick(s->e, bq);
    ih_src_wait(s, 2);
    expect_vm_fault(s->e, VA_HOLE + 0x40, true);
    ih_src_next(s, VKFD_IH_SRC_VM_FAULT, 0, bq->doorbell, VA_HOLE + 0x40,
                VKFD_VM_FAULT_WRITE);
    ih_src_next(s, VKFD_IH_SRC_QUEUE_ERROR, VKFD_QERR_VM_FAULT,
                bq->doorbell, VA_HOLE + 0x40,
                VKFD_SDMA_HEADER(VKFD_SDMA_OP_FENCE, 0));
    tq_unmap(s->e, &bq, &st);
    g_assert_cmpuint(st.error, ==, VKFD_QERR_VM_FAULT);

    bq = tq_map(s->e, VKFD_QUEUE_SDMA, PAGE);
    sdma_copy(s->e, bq, word, VA_HOLE + 0x80, 4);
    kick(s->e, bq);
    ih_src_wait(s, 2);
    expect_vm_fault(s->e, VA_HOLE + 0x80, false);
    ih_src_next(s, VKFD_IH_SRC_VM_FAULT, 0, bq->doorbell, VA_HOLE + 0x80, 0);
    ih_src_next(s, VKFD_IH_SRC_QUEUE_ERROR, VKFD_QERR_VM_FAULT,
                bq->doorbell, VA_HOLE + 0x80,
                VKFD_SDMA_HEADER(VKFD_SDMA_OP_COPY, 0));
    tq_unmap(s->e, &bq, NULL);
}

/* A bad packet: QUEUE_ERROR only */
static void ih_src_bad_packet(IhSrc *s)
{
    TQ *bq = tq_map(s->e, VKFD_QUEUE_AQL, 16 * VKFD_AQL_PACKET_SIZE);
    Aql p;

    memset(&p, 0, sizeof(p));
    stw_le_p(p.b, VKFD_AQL_TYPE_AGENT);
    aql_put(s->e, bq, &p);
    kick(s->e, bq);
    ih_src_wait(s, 1);
    ih_src_next(s, VKFD_IH_SRC_QUEUE_ERROR, VKFD_QERR_BAD_PACKET,
                bq->doorbell, bq->ring, VKFD_AQL_TYPE_AGENT);
    tq_unmap(s->e, &bq, NULL);
}

/* A VM_FILL that faults: no queue, so no doorbell */
static void ih_src_vm_fill(IhSrc *s)
{
    struct vkfd_sched_cmd cmd = {
        .opcode = VKFD_CMD_VM_FILL, .ctx_id = CTX,
    };

    cmd.u.vm_fill.va = VA_HOLE;
    cmd.u.vm_fill.size = 8;
    g_assert_cmpuint(submit_cmd(s->e->v, &cmd), ==, VKFD_ST_VM_FAULT);
    ih_src_wait(s, 1);
    expect_vm_fault(s->e, VA_HOLE, true);
    ih_src_next(s, VKFD_IH_SRC_VM_FAULT, 0, 0xffffffffu, VA_HOLE,
                VKFD_VM_FAULT_WRITE);
    wait_msi(s->e->qts, s->msg, IH_MSI_DATA);
}

/* Every source's entry, and the MSI-X message each one raises. */
static void test_ih_sources(void)
{
    IhSrc s = { .e = eng_start() };
    Eng *e = s.e;
    TQ *sq = tq_map(e, VKFD_QUEUE_SDMA, PAGE);
    TQ *pq = tq_map(e, VKFD_QUEUE_PM4, PAGE);
    TQ *aq = tq_map(e, VKFD_QUEUE_AQL, 16 * VKFD_AQL_PACKET_SIZE);
    uint64_t word = va_alloc(e, 8);

    s.msg = guest_alloc(&e->v->alloc, 4);
    ih_msix_setup(e, s.msg);
    /* the ring disabled: a trap is dropped without a message */
    sdma_trap(e, sq, 1);
    kick(e, sq);
    tq_wait(e, sq, sq->wptr);
    g_assert_cmphex(rd(e->v, VKFD_REG_IH_WPTR), ==, 0);
    wait_msi(e->qts, s.msg, 0);
    g_assert_cmphex(rd(e->v, VKFD_REG_IH_OVERFLOWS), ==, 0);

    s.base = ih_enable(e, PAGE);
    ih_src_sdma_trap(&s, sq);
    ih_src_release_mem(&s, pq, word);
    ih_src_signal(&s, aq);
    ih_src_queue_faults(&s, word);
    ih_src_bad_packet(&s);
    ih_src_vm_fill(&s);
    ih_expect_untouched(e, s.base, 9 * IH_ENTRY);
    g_assert_cmpuint(s.seq, ==, 9);
    g_assert_cmphex(rd(e->v, VKFD_REG_IH_OVERFLOWS), ==, 0);
    g_assert_cmphex(rd(e->v, VKFD_REG_IH_STATUS), ==, 0);

    tq_unmap(e, &sq, NULL);
    tq_unmap(e, &pq, NULL);
    tq_unmap(e, &aq, NULL);
    eng_stop(e);
}

/* A masked vector leaves the IH message pending; vector 0 stays quiet. */
static void test_ih_msix(void)
{
    Eng *e = eng_start();
    TQ *sq = tq_map(e, VKFD_QUEUE_SDMA, PAGE);
    uint64_t msg = guest_alloc(&e->v->alloc, 4);
    QPCIDevice *dev = e->v->dev;
    uint32_t off = ih_msix_setup(e, msg);
    uint64_t base = ih_enable(e, PAGE);

    g_assert_false(qpci_msix_pending(dev, VKFD_VECTOR_IH));
    qpci_io_writel(dev, dev->msix_table_bar,
                   off + PCI_MSIX_ENTRY_VECTOR_CTRL,
                   PCI_MSIX_ENTRY_CTRL_MASKBIT);
    sdma_trap(e, sq, 5);
    kick(e, sq);
    tq_wait(e, sq, sq->wptr);
    ih_wait(e, IH_ENTRY);
    ih_expect(e, base, 0, VKFD_IH_SRC_SDMA_TRAP, 5, sq->doorbell, 0, 0, 1);
    wait_msix_pending(dev, VKFD_VECTOR_IH);
    wait_msi(e->qts, msg, 0);
    g_assert_false(qpci_msix_pending(dev, VKFD_VECTOR_SCHED));
    /* unmasking delivers the pending message */
    qpci_io_writel(dev, dev->msix_table_bar,
                   off + PCI_MSIX_ENTRY_VECTOR_CTRL, 0);
    wait_msi(e->qts, msg, IH_MSI_DATA);
    g_assert_false(qpci_msix_pending(dev, VKFD_VECTOR_IH));
    tq_unmap(e, &sq, NULL);
    eng_stop(e);
}

/*
 * A full 4 KiB ring (128 slots, one kept empty) takes 127 entries and
 * drops the rest without overwriting any; consuming makes room again.
 */
static void test_ih_overflow(void)
{
    const uint32_t slots = PAGE / IH_ENTRY;
    Eng *e = eng_start();
    TQ *sq = tq_map(e, VKFD_QUEUE_SDMA, PAGE);
    uint64_t base = ih_enable(e, PAGE);
    uint32_t i;

    for (i = 0; i < slots + 2; i++) {
        sdma_trap(e, sq, i);
    }
    kick(e, sq);
    tq_wait(e, sq, sq->wptr);
    ih_wait(e, (slots - 1) * IH_ENTRY);
    g_assert_cmpuint(rd(e->v, VKFD_REG_IH_OVERFLOWS), ==, 3);
    g_assert_cmphex(rd(e->v, VKFD_REG_IH_STATUS), ==,
                    VKFD_IH_STATUS_OVERFLOW);
    for (i = 0; i < slots - 1; i++) {
        ih_expect(e, base, i * IH_ENTRY, VKFD_IH_SRC_SDMA_TRAP, i,
                  sq->doorbell, 0, 0, i + 1);
    }
    ih_expect_untouched(e, base, (slots - 1) * IH_ENTRY);

    /* STATUS.OVERFLOW is write-1-to-clear */
    wr(e->v, VKFD_REG_IH_STATUS, 0);
    g_assert_cmphex(rd(e->v, VKFD_REG_IH_STATUS), ==,
                    VKFD_IH_STATUS_OVERFLOW);
    wr(e->v, VKFD_REG_IH_STATUS, VKFD_IH_STATUS_OVERFLOW);
    g_assert_cmphex(rd(e->v, VKFD_REG_IH_STATUS), ==, 0);

    /* two entries consumed: two more land (wrapping), the third drops */
    wr(e->v, VKFD_REG_IH_RPTR, 2 * IH_ENTRY);
    for (i = 0; i < 3; i++) {
        sdma_trap(e, sq, 0x100 + i);
    }
    kick(e, sq);
    tq_wait(e, sq, sq->wptr);
    ih_wait(e, IH_ENTRY);
    ih_expect(e, base, (slots - 1) * IH_ENTRY, VKFD_IH_SRC_SDMA_TRAP, 0x100,
              sq->doorbell, 0, 0, slots);
    ih_expect(e, base, 0, VKFD_IH_SRC_SDMA_TRAP, 0x101, sq->doorbell, 0, 0,
              slots + 1);
    ih_expect(e, base, IH_ENTRY, VKFD_IH_SRC_SDMA_TRAP, 1, sq->doorbell, 0,
              0, 2);
    g_assert_cmpuint(rd(e->v, VKFD_REG_IH_OVERFLOWS), ==, 4);
    g_assert_cmphex(rd(e->v, VKFD_REG_IH_STATUS), ==,
                    VKFD_IH_STATUS_OVERFLOW);

    /* all consumed: the ring takes entries again */
    wr(e->v, VKFD_REG_IH_RPTR, IH_ENTRY);
    sdma_trap(e, sq, 0x200);
    kick(e, sq);
    tq_wait(e, sq, sq->wptr);
    ih_wait(e, 2 * IH_ENTRY);
    ih_expect(e, base, IH_ENTRY, VKFD_IH_SRC_SDMA_TRAP, 0x200, sq->doorbell,
              0, 0, slots + 2);
    g_assert_cmpuint(rd(e->v, VKFD_REG_IH_OVERFLOWS), ==, 4);

    /* a reset forgets it all */
    tq_unmap(e, &sq, NULL);
    wr(e->v, VKFD_REG_CONTROL, VKFD_CONTROL_RESET);
    g_assert_cmphex(rd(e->v, VKFD_REG_IH_CNTL), ==, 0);
    g_assert_cmphex(rd(e->v, VKFD_REG_IH_WPTR), ==, 0);
    g_assert_cmphex(rd(e->v, VKFD_REG_IH_OVERFLOWS), ==, 0);
    g_assert_cmphex(rd(e->v, VKFD_REG_IH_STATUS), ==, 0);
    vkfd_stop(e->v);
    g_free(e->sync);
    g_free(e);
}

/*
 * A dropped entry raises the IH vector too, so that a driver learns of
 * the overflow (and recovers the events) even if no entry follows.
 */
static void test_ih_overflow_msix(void)
{
    const uint32_t slots = PAGE / IH_ENTRY;
    Eng *e = eng_start();
    TQ *sq = tq_map(e, VKFD_QUEUE_SDMA, PAGE);
    uint64_t msg = guest_alloc(&e->v->alloc, 4);
    uint32_t i;

    ih_msix_setup(e, msg);
    ih_enable(e, PAGE);
    for (i = 0; i < slots - 1; i++) {
        sdma_trap(e, sq, i);
    }
    kick(e, sq);
    tq_wait(e, sq, sq->wptr);
    ih_wait(e, (slots - 1) * IH_ENTRY);
    wait_msi(e->qts, msg, IH_MSI_DATA);
    qtest_writel(e->qts, msg, 0);
    g_assert_cmpuint(rd(e->v, VKFD_REG_IH_OVERFLOWS), ==, 0);
    sdma_trap(e, sq, 0x999);                  /* the ring is full */
    kick(e, sq);
    tq_wait(e, sq, sq->wptr);
    wait_msi(e->qts, msg, IH_MSI_DATA);
    g_assert_cmpuint(rd(e->v, VKFD_REG_IH_OVERFLOWS), ==, 1);
    g_assert_cmphex(rd(e->v, VKFD_REG_IH_STATUS), ==,
                    VKFD_IH_STATUS_OVERFLOW);
    tq_unmap(e, &sq, NULL);
    eng_stop(e);
}

/* The IH registers and the entry count survive a migration. */
static void test_ih_migration(void)
{
    Eng *e = eng_start();
    TQ *sq = tq_map(e, VKFD_QUEUE_SDMA, PAGE);
    uint64_t base = ih_enable(e, 2 * PAGE);
    uint32_t r, before[8];
    uint32_t i;

    for (i = 0; i < 5; i++) {
        sdma_trap(e, sq, i);
    }
    kick(e, sq);
    tq_wait(e, sq, sq->wptr);
    ih_wait(e, 5 * IH_ENTRY);
    wr(e->v, VKFD_REG_IH_RPTR, 3 * IH_ENTRY);
    for (r = VKFD_REG_IH_BASE_LO; r <= VKFD_REG_IH_OVERFLOWS; r += 4) {
        before[(r - VKFD_REG_IH_BASE_LO) / 4] = rd(e->v, r);
    }

    vkfd_migrate(e->v, ",vram-size=32M");
    e->qts = e->v->qts;
    for (r = VKFD_REG_IH_BASE_LO; r <= VKFD_REG_IH_OVERFLOWS; r += 4) {
        g_assert_cmphex(rd(e->v, r), ==, before[(r - VKFD_REG_IH_BASE_LO) / 4]);
    }
    g_assert_cmphex(rd(e->v, VKFD_REG_IH_CNTL), ==, VKFD_IH_CNTL_ENABLE);
    sdma_trap(e, sq, 0x55);
    kick(e, sq);
    tq_wait(e, sq, sq->wptr);
    ih_wait(e, 6 * IH_ENTRY);
    ih_expect(e, base, 5 * IH_ENTRY, VKFD_IH_SRC_SDMA_TRAP, 0x55,
              sq->doorbell, 0, 0, 6);
    ih_expect(e, base, 0, VKFD_IH_SRC_SDMA_TRAP, 0, sq->doorbell, 0, 0, 1);
    tq_unmap(e, &sq, NULL);
    eng_stop(e);
}

/*
 * MSI-X coalescing: the device with an id, so that its "ih" monitor
 * property (docs/monitor.md) gives the messages it sent.
 */
#define IH_DEV_PROPS    ",id=vkfd0"
#define IH_DEV_PATH     "/machine/peripheral/vkfd0"

static QDict *ih_info(Eng *e)
{
    QDict *rsp = qtest_qmp(e->qts, "{'execute': 'qom-get', 'arguments': "
                           "{'path': %s, 'property': 'ih'}}", IH_DEV_PATH);
    QDict *d;

    g_assert(qdict_haskey(rsp, "return"));
    d = qdict_get_qdict(rsp, "return");
    qobject_ref(d);
    qobject_unref(rsp);
    return d;
}

static uint64_t ih_messages(Eng *e)
{
    QDict *d = ih_info(e);
    uint64_t n = qdict_get_int(d, "messages");

    qobject_unref(d);
    return n;
}

static bool ih_disarmed(Eng *e)
{
    QDict *d = ih_info(e);
    bool b = qdict_get_bool(d, "disarmed");

    qobject_unref(d);
    return b;
}

/* n SDMA traps with data first.., one doorbell, until all were posted */
static void ih_burst(Eng *e, TQ *sq, uint32_t first, uint32_t n,
                     uint32_t wptr_after)
{
    uint32_t i;

    for (i = 0; i < n; i++) {
        sdma_trap(e, sq, first + i);
    }
    kick(e, sq);
    tq_wait(e, sq, sq->wptr);
    ih_wait(e, wptr_after);
}

/* The ring holds n entries from slot at, numbered seq.., data first.. */
static void ih_expect_run(Eng *e, uint64_t base, uint32_t size, uint32_t at,
                          uint32_t n, uint32_t seq, uint32_t first,
                          uint32_t doorbell)
{
    uint32_t i;

    for (i = 0; i < n; i++) {
        ih_expect(e, base, (at + i) * IH_ENTRY % size, VKFD_IH_SRC_SDMA_TRAP,
                  first + i, doorbell, 0, 0, seq + i);
    }
}

static void ih_vector_mask(Eng *e, uint32_t off, bool masked)
{
    QPCIDevice *dev = e->v->dev;

    qpci_io_writel(dev, dev->msix_table_bar, off + PCI_MSIX_ENTRY_VECTOR_CTRL,
                   masked ? PCI_MSIX_ENTRY_CTRL_MASKBIT : 0);
}

/*
 * Without RPTR_REARM every run that posts raises the vector once: a trap
 * rung alone has its message out by the time the doorbell write returns
 * (the packet ran in it), a burst shares messages, and a masked vector
 * keeps one pending through bursts and an MSI-X table rewrite.  No entry
 * and no message is lost.
 */
static void test_ih_burst(void)
{
    const uint32_t size = 2 * PAGE, burst = 100;
    Eng *e = eng_start_props(IH_DEV_PROPS);
    TQ *sq = tq_map(e, VKFD_QUEUE_SDMA, PAGE);
    QPCIDevice *dev = e->v->dev;
    uint64_t msg = guest_alloc(&e->v->alloc, 4);
    uint64_t msg2 = guest_alloc(&e->v->alloc, 4);
    uint32_t off = ih_msix_setup(e, msg), i, n = 0;
    uint64_t base = ih_enable(e, size), sent;

    for (i = 0; i < 8; i++) {
        sdma_trap(e, sq, i);
        kick(e, sq);
        n++;
        g_assert_cmphex(rd(e->v, VKFD_REG_IH_WPTR), ==, n * IH_ENTRY);
        g_assert_cmphex(qtest_readl(e->qts, msg), ==, IH_MSI_DATA);
        qtest_writel(e->qts, msg, 0);
        g_assert_cmpuint(ih_messages(e), ==, n);
    }
    ih_expect_run(e, base, size, 0, n, 1, 0, sq->doorbell);

    /* a burst on one doorbell: at least one message, far fewer than entries */
    wr(e->v, VKFD_REG_IH_RPTR, n * IH_ENTRY);
    sent = ih_messages(e);
    ih_burst(e, sq, 0x100, burst, (n + burst) * IH_ENTRY);
    wait_msi(e->qts, msg, IH_MSI_DATA);
    qtest_writel(e->qts, msg, 0);
    sent = ih_messages(e) - sent;
    g_assert_cmpuint(sent, >=, 1);
    g_assert_cmpuint(sent, <=, burst / 8);
    ih_expect_run(e, base, size, n, burst, n + 1, 0x100, sq->doorbell);
    n += burst;

    /* masked: one pending bit for the whole burst, nothing delivered */
    wr(e->v, VKFD_REG_IH_RPTR, n * IH_ENTRY);
    ih_vector_mask(e, off, true);
    ih_burst(e, sq, 0x200, 50, (n + 50) * IH_ENTRY);
    wait_msix_pending(dev, VKFD_VECTOR_IH);
    wait_msi(e->qts, msg, 0);
    /* the guest moves the message while it is pending: it goes there */
    qpci_io_writel(dev, dev->msix_table_bar, off + PCI_MSIX_ENTRY_LOWER_ADDR,
                   (uint32_t)msg2);
    qpci_io_writel(dev, dev->msix_table_bar, off + PCI_MSIX_ENTRY_UPPER_ADDR,
                   msg2 >> 32);
    qtest_writel(e->qts, msg2, 0);
    ih_burst(e, sq, 0x300, 20, (n + 70) * IH_ENTRY);
    g_assert_true(qpci_msix_pending(dev, VKFD_VECTOR_IH));
    ih_vector_mask(e, off, false);
    wait_msi(e->qts, msg2, IH_MSI_DATA);
    g_assert_false(qpci_msix_pending(dev, VKFD_VECTOR_IH));
    g_assert_cmphex(qtest_readl(e->qts, msg), ==, 0);
    ih_expect_run(e, base, size, n, 50, n + 1, 0x200, sq->doorbell);
    ih_expect_run(e, base, size, n + 50, 20, n + 51, 0x300, sq->doorbell);
    n += 70;
    g_assert_cmpuint(rd(e->v, VKFD_REG_IH_OVERFLOWS), ==, 0);
    tq_unmap(e, &sq, NULL);
    eng_stop(e);
}

/*
 * RPTR_REARM: one message until the driver writes IH_RPTR, which raises
 * the vector again at once if entries are still unread; masked, the
 * re-raise waits in the pending bit; MSI-X off, nothing is owed; the
 * disarmed state migrates.  No entry and no message is lost.
 */
static void test_ih_rearm(void)
{
    const uint32_t size = 2 * PAGE;
    Eng *e = eng_start_props(IH_DEV_PROPS);
    TQ *sq = tq_map(e, VKFD_QUEUE_SDMA, PAGE);
    QPCIDevice *dev = e->v->dev;
    uint64_t msg = guest_alloc(&e->v->alloc, 4);
    uint32_t off = ih_msix_setup(e, msg), n = 0;
    uint64_t base = ih_enable(e, size);
    uint8_t msix = qpci_find_capability(dev, PCI_CAP_ID_MSIX, 0);
    uint16_t flags = qpci_config_readw(dev, msix + PCI_MSIX_FLAGS);

    wr(e->v, VKFD_REG_IH_CNTL, 0);
    wr(e->v, VKFD_REG_IH_CNTL, VKFD_IH_CNTL_ENABLE |
                               VKFD_IH_CNTL_RPTR_REARM);
    g_assert_false(ih_disarmed(e));

    /* a burst, then more entries: one message for all of them */
    ih_burst(e, sq, 0, 60, 60 * IH_ENTRY);
    wait_msi(e->qts, msg, IH_MSI_DATA);
    qtest_writel(e->qts, msg, 0);
    g_assert_true(ih_disarmed(e));
    ih_burst(e, sq, 60, 10, 70 * IH_ENTRY);
    wait_msi(e->qts, msg, 0);
    g_assert_cmpuint(ih_messages(e), ==, 1);
    n = 70;

    /* the driver read 50: the write re-arms and 20 unread raise it again */
    wr(e->v, VKFD_REG_IH_RPTR, 50 * IH_ENTRY);
    g_assert_cmphex(qtest_readl(e->qts, msg), ==, IH_MSI_DATA);
    qtest_writel(e->qts, msg, 0);
    g_assert_cmpuint(ih_messages(e), ==, 2);
    g_assert_true(ih_disarmed(e));
    /* all read: armed, nothing sent; the next entry raises it */
    wr(e->v, VKFD_REG_IH_RPTR, n * IH_ENTRY);
    g_assert_false(ih_disarmed(e));
    wait_msi(e->qts, msg, 0);
    ih_burst(e, sq, n, 1, (n + 1) * IH_ENTRY);
    n++;
    g_assert_cmphex(qtest_readl(e->qts, msg), ==, IH_MSI_DATA);
    qtest_writel(e->qts, msg, 0);
    g_assert_cmpuint(ih_messages(e), ==, 3);

    /* masked: the re-raise and the bursts wait in one pending bit */
    ih_vector_mask(e, off, true);
    wr(e->v, VKFD_REG_IH_RPTR, (n - 1) * IH_ENTRY);
    g_assert_true(qpci_msix_pending(dev, VKFD_VECTOR_IH));
    ih_burst(e, sq, n, 20, (n + 20) * IH_ENTRY);
    g_assert_cmpuint(ih_messages(e), ==, 4);
    wait_msi(e->qts, msg, 0);
    ih_vector_mask(e, off, false);
    g_assert_cmphex(qtest_readl(e->qts, msg), ==, IH_MSI_DATA);
    qtest_writel(e->qts, msg, 0);
    g_assert_false(qpci_msix_pending(dev, VKFD_VECTOR_IH));
    n += 20;
    ih_expect_run(e, base, size, 0, n, 1, 0, sq->doorbell);

    /* MSI-X off: the message is dropped and the vector stays armed */
    wr(e->v, VKFD_REG_IH_RPTR, n * IH_ENTRY);
    qpci_config_writew(dev, msix + PCI_MSIX_FLAGS,
                       flags & ~PCI_MSIX_FLAGS_ENABLE);
    ih_burst(e, sq, n, 1, (n + 1) * IH_ENTRY);
    n++;
    g_assert_false(ih_disarmed(e));
    qpci_config_writew(dev, msix + PCI_MSIX_FLAGS, flags);
    ih_burst(e, sq, n, 1, (n + 1) * IH_ENTRY);
    n++;
    g_assert_cmphex(qtest_readl(e->qts, msg), ==, IH_MSI_DATA);
    qtest_writel(e->qts, msg, 0);
    g_assert_true(ih_disarmed(e));

    /* disarmed across a migration: still one message until the write */
    vkfd_migrate(e->v, ",vram-size=32M" IH_DEV_PROPS);
    e->qts = e->v->qts;
    g_assert_true(ih_disarmed(e));
    g_assert_cmphex(rd(e->v, VKFD_REG_IH_CNTL), ==,
                    VKFD_IH_CNTL_ENABLE | VKFD_IH_CNTL_RPTR_REARM);
    ih_burst(e, sq, n, 3, (n + 3) * IH_ENTRY);
    wait_msi(e->qts, msg, 0);
    wr(e->v, VKFD_REG_IH_RPTR, (n - 1) * IH_ENTRY);
    wait_msi(e->qts, msg, IH_MSI_DATA);
    n += 3;
    ih_expect_run(e, base, size, n - 5, 5, n - 4, n - 5, sq->doorbell);
    g_assert_cmpuint(rd(e->v, VKFD_REG_IH_OVERFLOWS), ==, 0);
    tq_unmap(e, &sq, NULL);
    eng_stop(e);
}

/*
 * WPTR_WRITEBACK: IH_WPTR (and the overflow flag) lands in the driver's
 * word at enable, after each entry, an overflow and a STATUS write; a
 * bad address refuses ENABLE; the address is latched, migrated, reset.
 */
static void test_ih_writeback(void)
{
    const uint32_t slots = PAGE / IH_ENTRY;
    Eng *e = eng_start();
    TQ *sq = tq_map(e, VKFD_QUEUE_SDMA, PAGE);
    uint64_t base = guest_alloc(&e->v->alloc, PAGE);
    uint64_t wb = guest_alloc(&e->v->alloc, 8);
    const uint32_t on = VKFD_IH_CNTL_ENABLE | VKFD_IH_CNTL_WPTR_WRITEBACK;
    uint32_t errs, i;

    g_assert_cmphex(rd(e->v, VKFD_REG_IH_WPTR_ADDR_LO), ==, 0);
    g_assert_cmphex(rd(e->v, VKFD_REG_IH_WPTR_ADDR_HI), ==, 0);
    wr(e->v, VKFD_REG_IH_BASE_LO, (uint32_t)base);
    wr(e->v, VKFD_REG_IH_BASE_HI, base >> 32);
    wr(e->v, VKFD_REG_IH_SIZE, PAGE);

    /* unaligned, or not RAM (the MMIO hole below 4 GiB): not enabled */
    errs = rd(e->v, VKFD_REG_ACCESS_ERRORS);
    wr(e->v, VKFD_REG_IH_WPTR_ADDR_LO, (uint32_t)wb + 2);
    wr(e->v, VKFD_REG_IH_WPTR_ADDR_HI, wb >> 32);
    wr(e->v, VKFD_REG_IH_CNTL, on);
    g_assert_cmphex(rd(e->v, VKFD_REG_IH_CNTL), ==, 0);
    wr(e->v, VKFD_REG_IH_WPTR_ADDR_LO, 0xfed00000u);
    wr(e->v, VKFD_REG_IH_WPTR_ADDR_HI, 0);
    wr(e->v, VKFD_REG_IH_CNTL, on);
    g_assert_cmphex(rd(e->v, VKFD_REG_IH_CNTL), ==, 0);
    g_assert_cmpuint(rd(e->v, VKFD_REG_ACCESS_ERRORS), ==, errs + 2);

    /* enabled: the word holds WPTR at once, the address is latched */
    qtest_writel(e->qts, wb, 0xdeadbeef);
    qtest_writel(e->qts, wb + 4, 0x5a5a5a5a);
    wr(e->v, VKFD_REG_IH_WPTR_ADDR_LO, (uint32_t)wb);
    wr(e->v, VKFD_REG_IH_WPTR_ADDR_HI, wb >> 32);
    wr(e->v, VKFD_REG_IH_CNTL, on);
    g_assert_cmphex(rd(e->v, VKFD_REG_IH_CNTL), ==, on);
    g_assert_cmphex(qtest_readl(e->qts, wb), ==, 0);
    wr(e->v, VKFD_REG_IH_WPTR_ADDR_LO, (uint32_t)wb + 0x100);
    g_assert_cmpuint(rd(e->v, VKFD_REG_ACCESS_ERRORS), ==, errs + 3);
    g_assert_cmphex(rd(e->v, VKFD_REG_IH_WPTR_ADDR_LO), ==, (uint32_t)wb);

    for (i = 0; i < 3; i++) {
        sdma_trap(e, sq, i);
    }
    kick(e, sq);
    tq_wait(e, sq, sq->wptr);
    ih_wait(e, 3 * IH_ENTRY);
    g_assert_cmphex(qtest_readl(e->qts, wb), ==, 3 * IH_ENTRY);

    /* full: the flag rides along until STATUS is cleared */
    for (i = 3; i < slots + 1; i++) {
        sdma_trap(e, sq, i);
    }
    kick(e, sq);
    tq_wait(e, sq, sq->wptr);
    ih_wait(e, (slots - 1) * IH_ENTRY);
    g_assert_cmpuint(rd(e->v, VKFD_REG_IH_OVERFLOWS), ==, 2);
    g_assert_cmphex(qtest_readl(e->qts, wb), ==,
                    (slots - 1) * IH_ENTRY | VKFD_IH_WB_OVERFLOW);
    wr(e->v, VKFD_REG_IH_RPTR, (slots - 1) * IH_ENTRY);
    wr(e->v, VKFD_REG_IH_STATUS, VKFD_IH_STATUS_OVERFLOW);
    g_assert_cmphex(qtest_readl(e->qts, wb), ==, (slots - 1) * IH_ENTRY);
    g_assert_cmphex(qtest_readl(e->qts, wb + 4), ==, 0x5a5a5a5a);

    /* across a migration */
    vkfd_migrate(e->v, ",vram-size=32M");
    e->qts = e->v->qts;
    g_assert_cmphex(rd(e->v, VKFD_REG_IH_WPTR_ADDR_LO), ==, (uint32_t)wb);
    g_assert_cmphex(rd(e->v, VKFD_REG_IH_CNTL), ==, on);
    sdma_trap(e, sq, 0x77);
    kick(e, sq);
    tq_wait(e, sq, sq->wptr);
    ih_wait(e, 0);
    g_assert_cmphex(qtest_readl(e->qts, wb), ==, 0);
    ih_expect(e, base, (slots - 1) * IH_ENTRY, VKFD_IH_SRC_SDMA_TRAP, 0x77,
              sq->doorbell, 0, 0, slots);

    /* a reset forgets the address */
    tq_unmap(e, &sq, NULL);
    wr(e->v, VKFD_REG_CONTROL, VKFD_CONTROL_RESET);
    g_assert_cmphex(rd(e->v, VKFD_REG_IH_WPTR_ADDR_LO), ==, 0);
    g_assert_cmphex(rd(e->v, VKFD_REG_IH_WPTR_ADDR_HI), ==, 0);
    vkfd_stop(e->v);
    g_free(e->sync);
    g_free(e);
}

/* With vectors=1 there is no IH vector: entries still land, no message. */
static void test_ih_one_vector(void)
{
    Vkfd *v = vkfd_start_props(",vram-size=32M,vectors=1");
    uint64_t base = guest_alloc(&v->alloc, PAGE);
    struct vkfd_sched_cmd cmd = {
        .opcode = VKFD_CMD_VM_FILL, .ctx_id = CTX,
    };
    struct vkfd_ih_entry en;

    qpci_msix_enable(v->dev);
    ring_enable(v);
    g_assert_cmpuint(map_ctx(v, CTX, pt_alloc(v)), ==, VKFD_ST_OK);
    wr(v, VKFD_REG_IH_BASE_LO, (uint32_t)base);
    wr(v, VKFD_REG_IH_BASE_HI, base >> 32);
    wr(v, VKFD_REG_IH_SIZE, PAGE);
    wr(v, VKFD_REG_IH_CNTL, VKFD_IH_CNTL_ENABLE);
    cmd.u.vm_fill.va = VA_HOLE;
    cmd.u.vm_fill.size = 4;
    g_assert_cmpuint(submit_cmd(v, &cmd), ==, VKFD_ST_VM_FAULT);
    g_assert_cmphex(rd(v, VKFD_REG_IH_WPTR), ==, IH_ENTRY);
    qtest_memread(v->qts, base, &en, sizeof(en));
    g_assert_cmpuint(le32_to_cpu(en.source), ==, VKFD_IH_SRC_VM_FAULT);
    g_assert_cmpuint(le32_to_cpu(en.seq), ==, 1);
    g_assert_cmphex(rd(v, VKFD_REG_ID), ==, VKFD_ID_MAGIC);
    vkfd_stop(v);
}

/*
 * A queue keeps the translations of its pointers, its ring page and the
 * page its last fence went to between kicks (VkfdVmCache): they must
 * hold exactly as long as the TLB's
 * would.  Remapped without INVALIDATE_TLB, the old pages are still
 * used; after it, the new ones, and the old ones are never written
 * again; an unmapped pointer page faults; and (guest RAM) a memory-map
 * change -- bus mastering switched off -- is seen at the next kick.
 */
#define VA_XC           (9ull << 32)    /* ring, pointer, data pages */

typedef struct XcPages {
    uint64_t ring, ptrs, data;  /* guest address (system) or VRAM offset */
} XcPages;

static uint64_t xc_phys(Eng *e, bool sys, uint64_t addr)
{
    return sys ? addr : e->v->vram.addr + addr;
}

static void xc_map(Eng *e, bool sys, const XcPages *p)
{
    uint64_t bits = PTE_W | (sys ? PTE_SYS : 0);

    pt_map(e->v, e->root, VA_XC, p->ring, bits, 0);
    pt_map(e->v, e->root, VA_XC + PAGE, p->ptrs, bits, 0);
    pt_map(e->v, e->root, VA_XC + 2 * PAGE, p->data, bits, 0);
}

static void xc_invalidate(Eng *e)
{
    struct vkfd_sched_cmd cmd = {
        .opcode = VKFD_CMD_INVALIDATE_TLB, .ctx_id = CTX,
    };

    g_assert_cmpuint(submit_cmd(e->v, &cmd), ==, VKFD_ST_OK);
}

/*
 * An SDMA FENCE of value to the data page (or target) at byte pos of a
 * ring page, and wptr.
 */
static void xc_fence(Eng *e, bool sys, const XcPages *p, uint64_t pos,
                     uint64_t target, uint32_t value)
{
    uint32_t dw[] = {
        cpu_to_le32(VKFD_SDMA_HEADER(VKFD_SDMA_OP_FENCE, 0)),
        cpu_to_le32((uint32_t)target), cpu_to_le32(target >> 32),
        cpu_to_le32(value),
    };

    qtest_memwrite(e->qts, xc_phys(e, sys, p->ring) + pos % PAGE, dw,
                   sizeof(dw));
    qtest_writeq(e->qts, xc_phys(e, sys, p->ptrs) + 8, pos + sizeof(dw));
}

static uint64_t xc_rptr(Eng *e, bool sys, const XcPages *p)
{
    return qtest_readq(e->qts, xc_phys(e, sys, p->ptrs));
}

static uint32_t xc_data(Eng *e, bool sys, const XcPages *p)
{
    return qtest_readl(e->qts, xc_phys(e, sys, p->data));
}

static void xc_wait(Eng *e, bool sys, const XcPages *p, uint64_t want)
{
    int i;

    for (i = 0; i < 100000 && xc_rptr(e, sys, p) != want; i++) {
        g_usleep(100);
    }
    g_assert_cmphex(xc_rptr(e, sys, p), ==, want);
}

static void test_xlat_remap_in(bool sys)
{
    Eng *e = eng_start();
    uint64_t target = va_alloc(e, 8), pos = 0;
    XcPages a, b;
    struct vkfd_mqd out;
    uint16_t cmdreg;
    TQ *q;

    if (sys) {
        a.ring = guest_alloc(&e->v->alloc, PAGE);
        a.ptrs = guest_alloc(&e->v->alloc, PAGE);
        a.data = guest_alloc(&e->v->alloc, PAGE);
        b.ring = guest_alloc(&e->v->alloc, PAGE);
        b.ptrs = guest_alloc(&e->v->alloc, PAGE);
        b.data = guest_alloc(&e->v->alloc, PAGE);
    } else {
        a.ring = VRAM_SIZE - 8 * PAGE;
        a.ptrs = VRAM_SIZE - 7 * PAGE;
        a.data = VRAM_SIZE - 6 * PAGE;
        b.ring = VRAM_SIZE - 5 * PAGE;
        b.ptrs = VRAM_SIZE - 4 * PAGE;
        b.data = VRAM_SIZE - 3 * PAGE;
    }
    qtest_memset(e->qts, xc_phys(e, sys, a.ring), 0, PAGE);
    qtest_memset(e->qts, xc_phys(e, sys, a.ptrs), 0, PAGE);
    qtest_memset(e->qts, xc_phys(e, sys, b.ring), 0, PAGE);
    qtest_memset(e->qts, xc_phys(e, sys, b.ptrs), 0, PAGE);
    qtest_memset(e->qts, xc_phys(e, sys, a.data), 0, PAGE);
    qtest_memset(e->qts, xc_phys(e, sys, b.data), 0, PAGE);
    xc_map(e, sys, &a);
    xc_invalidate(e);
    q = tq_map_at(e, VKFD_QUEUE_SDMA, PAGE, VA_XC, VA_XC + PAGE,
                  VA_XC + PAGE + 8);

    /* first kicks: the queue's translations are made */
    xc_fence(e, sys, &a, pos, target, 1);
    doorbell(e, q, pos += 16);
    xc_wait(e, sys, &a, pos);
    g_assert_cmphex(r32(e, target), ==, 1);
    xc_fence(e, sys, &a, pos, VA_XC + 2 * PAGE, 11);
    doorbell(e, q, pos += 16);
    xc_wait(e, sys, &a, pos);
    g_assert_cmphex(xc_data(e, sys, &a), ==, 11);

    /* remapped, not invalidated: the old pages, as the TLB would */
    xc_map(e, sys, &b);
    xc_fence(e, sys, &a, pos, VA_XC + 2 * PAGE, 12);
    xc_fence(e, sys, &b, pos, VA_XC + 2 * PAGE, 112);
    doorbell(e, q, pos += 16);
    xc_wait(e, sys, &a, pos);
    g_assert_cmphex(xc_data(e, sys, &a), ==, 12);
    g_assert_cmphex(xc_data(e, sys, &b), ==, 0);
    g_assert_cmphex(xc_rptr(e, sys, &b), ==, 0);

    /* INVALIDATE_TLB: the new pages at once, the old ones left alone */
    xc_invalidate(e);
    xc_fence(e, sys, &a, pos, VA_XC + 2 * PAGE, 113);
    xc_fence(e, sys, &b, pos, VA_XC + 2 * PAGE, 13);
    doorbell(e, q, pos += 16);
    xc_wait(e, sys, &b, pos);
    g_assert_cmphex(xc_data(e, sys, &b), ==, 13);
    g_assert_cmphex(xc_data(e, sys, &a), ==, 12);
    g_assert_cmphex(xc_rptr(e, sys, &a), ==, pos - 16);
    xc_fence(e, sys, &b, pos, target, 3);
    doorbell(e, q, pos += 16);
    xc_wait(e, sys, &b, pos);
    g_assert_cmphex(r32(e, target), ==, 3);

    if (sys) {
        /*
         * Bus mastering off: no TLB flush, but the memory map changed, so
         * the cached pointer page is given up and the queue faults on
         * its write pointer without touching guest RAM.
         */
        cmdreg = qpci_config_readw(e->v->dev, PCI_COMMAND);
        qpci_config_writew(e->v->dev, PCI_COMMAND,
                           cmdreg & ~PCI_COMMAND_MASTER);
        xc_fence(e, sys, &b, pos, target, 4);
        doorbell(e, q, pos + 16);
        qpci_config_writew(e->v->dev, PCI_COMMAND, cmdreg);
        expect_vm_fault(e, VA_XC + PAGE + 8, false);
        g_assert_cmphex(r32(e, target), ==, 3);
        g_assert_cmphex(xc_rptr(e, sys, &b), ==, pos);
    } else {
        /* the pointer page unmapped and invalidated: a fault, no write */
        pt_set(e->v, e->root, VA_XC + PAGE, 0, 0);
        xc_invalidate(e);
        xc_fence(e, sys, &b, pos, target, 4);
        doorbell(e, q, pos + 16);
        expect_vm_fault(e, VA_XC + PAGE + 8, false);
        g_assert_cmphex(r32(e, target), ==, 3);
    }
    tq_unmap(e, &q, &out);
    g_assert_cmpuint(out.error, ==, VKFD_QERR_VM_FAULT);
    g_assert_cmphex(out.error_va, ==, VA_XC + PAGE + 8);
    g_assert_cmphex(out.rptr, ==, pos);
    eng_stop(e);
}

static void test_xlat_remap_sys(void)
{
    test_xlat_remap_in(true);
}

static void test_xlat_remap_vram(void)
{
    test_xlat_remap_in(false);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    qtest_add_func("/vkfd/sdma/packets", test_sdma_packets);
    qtest_add_func("/vkfd/sdma/wrap", test_sdma_wrap);
    qtest_add_func("/vkfd/sdma/big", test_sdma_big);
    qtest_add_func("/vkfd/sdma/poll", test_sdma_poll);
    qtest_add_func("/vkfd/sdma/bad", test_sdma_bad);
    qtest_add_func("/vkfd/sdma/bad-queue", test_sdma_bad_queue);
    qtest_add_func("/vkfd/sdma/timestamp-atomic", test_sdma_timestamp_atomic);
    qtest_add_func("/vkfd/engines/atomic-targets", test_atomic_targets);
    qtest_add_func("/vkfd/sdma/copy-rect", test_sdma_copy_rect);
    qtest_add_func("/vkfd/sdma/gpu-doorbell", test_gpu_doorbell);
    qtest_add_func("/vkfd/sdma/random", test_sdma_random);
    qtest_add_func("/vkfd/aql/kernels", test_aql_kernels);
    qtest_add_func("/vkfd/aql/big", test_aql_big);
    qtest_add_func("/vkfd/aql/barriers", test_aql_barriers);
    qtest_add_func("/vkfd/aql/vendor-signals", test_aql_vendor_signals);
    qtest_add_func("/vkfd/aql/bad", test_aql_bad);
    qtest_add_func("/vkfd/aql/indices", test_aql_indices);
    qtest_add_func("/vkfd/aql/random", test_aql_random);
    qtest_add_func("/vkfd/engines/migration", test_migration);
    qtest_add_func("/vkfd/engines/xlat-remap-sys", test_xlat_remap_sys);
    qtest_add_func("/vkfd/engines/xlat-remap-vram", test_xlat_remap_vram);
    qtest_add_func("/vkfd/ih/regs", test_ih_regs);
    qtest_add_func("/vkfd/ih/sources", test_ih_sources);
    qtest_add_func("/vkfd/ih/msix", test_ih_msix);
    qtest_add_func("/vkfd/ih/overflow", test_ih_overflow);
    qtest_add_func("/vkfd/ih/overflow-msix", test_ih_overflow_msix);
    qtest_add_func("/vkfd/ih/migration", test_ih_migration);
    qtest_add_func("/vkfd/ih/one-vector", test_ih_one_vector);
    qtest_add_func("/vkfd/ih/burst", test_ih_burst);
    qtest_add_func("/vkfd/ih/rearm", test_ih_rearm);
    qtest_add_func("/vkfd/ih/wptr-writeback", test_ih_writeback);
    return g_test_run();
}
