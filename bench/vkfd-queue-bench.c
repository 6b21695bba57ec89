/*
 * vkfd queue benchmark: what one packet costs the queue engines.
 *
 * A qtest client, built with QEMU's qtests (scripts/build-qemu.sh) but
 * never run as a test.  It maps one PM4, one SDMA and one AQL queue of
 * context 1 with their rings in VRAM, then drives one of them: kicks of
 * a batch of the same packet each, waiting for the queue's rptr after
 * each kick.  Run by bench/vkfd-queue-bench, which puts QEMU under
 * callgrind and counts the instructions spent in the doorbell write and
 * the queue bottom half; run alone it prints wall-clock time per kick.
 * See bench/README.md.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "vkfd-qtest-util.h"

#define CTX             1
#define VRAM_SIZE       (32 * MIB)
#define VA_VRAM         (1ull << 32)    /* VRAM offset 0, writable */
#define QRING_SIZE      0x10000u        /* bytes, every queue */
#define MAX_DW          (QRING_SIZE / 4)

/* PM4 type-3 packets (as tests/qtest/vkfd-test-queue.h builds them) */

enum { PKT_PM4_NOP, PKT_PM4_WRITE, PKT_PM4_RELEASE, PKT_SDMA_FENCE,
       PKT_SDMA_COPY, PKT_SDMA_ATOMIC, PKT_AQL_BARRIER, PKT_AQL_FILL,
       PKT_AQL_SIGNAL };

typedef struct Scenario {
    const char *name;
    const char *what;
    int packet;
    unsigned per_kick;      /* packets a kick */
    unsigned kicks;         /* measured kicks, after one warm-up kick */
} Scenario;

static const Scenario scenarios[] = {
    { "kick-nop", "one PM4 NOP a kick: the fixed cost of a kick",
      PKT_PM4_NOP, 1, 200 },
    { "pm4-nop", "PM4 NOP (2 dwords)", PKT_PM4_NOP, 200, 20 },
    { "pm4-write", "PM4 WRITE_DATA of 1 dword to VRAM",
      PKT_PM4_WRITE, 200, 20 },
    { "pm4-release", "PM4 RELEASE_MEM, 64-bit data and interrupt",
      PKT_PM4_RELEASE, 200, 20 },
    { "sdma-fence", "SDMA FENCE to VRAM", PKT_SDMA_FENCE, 200, 20 },
    { "sdma-copy-4k", "SDMA COPY_LINEAR of 4 KiB, VRAM to VRAM",
      PKT_SDMA_COPY, 200, 20 },
    { "sdma-atomic", "SDMA ATOMIC, 64-bit add to VRAM",
      PKT_SDMA_ATOMIC, 200, 20 },
    { "aql-barrier", "AQL BARRIER_AND, no dependency, no signal",
      PKT_AQL_BARRIER, 200, 20 },
    { "aql-signal", "AQL BARRIER_AND whose completion signal (VRAM, no "
      "mailbox) it decrements", PKT_AQL_SIGNAL, 200, 20 },
    { "aql-fill-1k", "AQL dispatch of the built-in fill kernel, 1024 "
      "items, no signal", PKT_AQL_FILL, 200, 20 },
};

typedef struct BQ {
    uint32_t type;
    uint32_t doorbell;
    uint64_t ring, rptr_va, wptr_va;
    uint64_t wptr;          /* in the queue's units */
} BQ;

typedef struct Bench {
    Vkfd *v;
    QTestState *qts;
    uint64_t next;          /* bump allocator of VRAM VA */
    BQ q[3];                /* indexed by enum vkfd_queue_type */
    uint64_t dst;           /* where packets write: 8 KiB of VRAM */
    uint64_t signal;        /* an amd_signal_t in the second page of dst */
    uint64_t src;           /* 4 KiB a COPY reads */
    uint64_t kernel, kernarg;
} Bench;

/* Guest address of a VA of VRAM. */
static uint64_t pa(Bench *b, uint64_t va)
{
    g_assert(va >= VA_VRAM && va < VA_VRAM + VRAM_SIZE);
    return b->v->vram.addr + va - VA_VRAM;
}

static uint64_t va_alloc(Bench *b, uint64_t size)
{
    uint64_t va = ROUND_UP(b->next, PAGE);

    b->next = va + size;
    g_assert(b->next <= VA_VRAM + VRAM_SIZE);
    qtest_memset(b->qts, pa(b, va), 0, size);
    return va;
}

static void queue_map(Bench *b, uint32_t type)
{
    struct vkfd_sched_cmd cmd = {
        .opcode = VKFD_CMD_MAP_QUEUE, .ctx_id = CTX,
    };
    struct vkfd_mqd mqd = { 0 };
    BQ *q = &b->q[type];
    uint64_t ptrs, mqd_pa;
    uint32_t i;

    q->type = type;
    q->doorbell = type;
    q->ring = va_alloc(b, QRING_SIZE);
    ptrs = va_alloc(b, 256);
    if (type == VKFD_QUEUE_AQL) {
        /* amd_queue_t: write_dispatch_id at 56, read_dispatch_id at 128 */
        q->wptr_va = ptrs + 56;
        q->rptr_va = ptrs + 128;
        for (i = 0; i < QRING_SIZE / VKFD_AQL_PACKET_SIZE; i++) {
            qtest_writew(b->qts, pa(b, q->ring + i * VKFD_AQL_PACKET_SIZE),
                         VKFD_AQL_TYPE_INVALID);
        }
    } else {
        q->rptr_va = ptrs;
        q->wptr_va = ptrs + 8;
    }
    mqd_pa = guest_alloc(&b->v->alloc, sizeof(mqd));
    mqd.type = cpu_to_le32(type);
    mqd.doorbell = cpu_to_le32(q->doorbell);
    mqd.ring_base = cpu_to_le64(q->ring);
    mqd.ring_size = cpu_to_le32(QRING_SIZE);
    mqd.rptr_addr = cpu_to_le64(q->rptr_va);
    mqd.wptr_addr = cpu_to_le64(q->wptr_va);
    qtest_memwrite(b->qts, mqd_pa, &mqd, sizeof(mqd));
    cmd.u.map_queue.mqd_addr = mqd_pa;
    cmd.u.map_queue.queue_id = type + 1;
    g_assert(submit_cmd(b->v, &cmd) == VKFD_ST_OK);
}

static void bench_start(Bench *b)
{
    uint64_t root, off;

    b->v = vkfd_start_props(",vram-size=32M");
    b->qts = b->v->qts;
    ring_enable(b->v);
    root = pt_alloc(b->v);
    g_assert(map_ctx(b->v, CTX, root) == VKFD_ST_OK);
    for (off = 0; off < VRAM_SIZE; off += 2 * MIB) {
        pt_map(b->v, root, VA_VRAM + off, off, PTE_W, 1);
    }
    b->next = VA_VRAM;
    queue_map(b, VKFD_QUEUE_PM4);
    queue_map(b, VKFD_QUEUE_SDMA);
    queue_map(b, VKFD_QUEUE_AQL);
    b->dst = va_alloc(b, 2 * PAGE);
    b->signal = b->dst + PAGE;
    qtest_writeq(b->qts, pa(b, b->signal + VKFD_SIGNAL_VALUE), 1ull << 40);
    b->src = va_alloc(b, PAGE);
    qtest_memset(b->qts, pa(b, b->src), 0x5a, PAGE);
    b->kernel = va_alloc(b, 64);
    qtest_writeq(b->qts, pa(b, b->kernel), VKFD_KERNEL_MAGIC);
    qtest_writel(b->qts, pa(b, b->kernel + 8), VKFD_KERNEL_FILL);
    b->kernarg = va_alloc(b, sizeof(struct vkfd_kernarg_fill));
    qtest_writeq(b->qts, pa(b, b->kernarg), b->dst);
    qtest_writel(b->qts, pa(b, b->kernarg + 8), 0xdeadbeef);
    qtest_writel(b->qts, pa(b, b->kernarg + 12), 1024);
}

/* One packet, little-endian, into dw; returns its dwords. */
static unsigned packet(Bench *b, int kind, uint32_t *dw)
{
    uint64_t a = b->dst;
    unsigned n = 0, i;

    switch (kind) {
    case PKT_PM4_NOP:
        dw[n++] = VKFD_PM4_HDR(VKFD_PM4_OP_NOP, 1);
        dw[n++] = 0;
        break;
    case PKT_PM4_WRITE:
        dw[n++] = VKFD_PM4_HDR(VKFD_PM4_OP_WRITE_DATA, 4);
        dw[n++] = VKFD_PM4_WD_MEM;
        dw[n++] = a;
        dw[n++] = a >> 32;
        dw[n++] = 0x600d;
        break;
    case PKT_PM4_RELEASE:
        dw[n++] = VKFD_PM4_HDR(VKFD_PM4_OP_RELEASE_MEM, 7);
        dw[n++] = VKFD_PM4_EVENT_EOP | VKFD_PM4_EVENT_INDEX_EOP; /* ROCr's */
        dw[n++] = VKFD_PM4_RM_DATA(VKFD_PM4_DATA_64) | VKFD_PM4_RM_INT_WRITE;
        dw[n++] = a;
        dw[n++] = a >> 32;
        dw[n++] = 1;
        dw[n++] = 0;
        dw[n++] = 0x1234;
        break;
    case PKT_SDMA_FENCE:
        dw[n++] = VKFD_SDMA_HEADER(VKFD_SDMA_OP_FENCE, 0);
        dw[n++] = a;
        dw[n++] = a >> 32;
        dw[n++] = 1;
        break;
    case PKT_SDMA_COPY:
        dw[n++] = VKFD_SDMA_HEADER(VKFD_SDMA_OP_COPY, 0);
        dw[n++] = PAGE - 1;
        dw[n++] = 0;
        dw[n++] = b->src;
        dw[n++] = b->src >> 32;
        dw[n++] = a;
        dw[n++] = a >> 32;
        break;
    case PKT_SDMA_ATOMIC:
        memset(dw, 0, 8 * 4);
        dw[0] = VKFD_SDMA_HEADER(VKFD_SDMA_OP_ATOMIC, 0) |
                VKFD_SDMA_ATOMIC_ADD64 << 25;
        dw[1] = a + 8;
        dw[2] = (a + 8) >> 32;
        dw[3] = 3;
        n = 8;
        break;
    case PKT_AQL_BARRIER:
    case PKT_AQL_SIGNAL:
        memset(dw, 0, VKFD_AQL_PACKET_SIZE);
        dw[0] = VKFD_AQL_TYPE_BARRIER_AND | VKFD_AQL_HEADER_BARRIER;
        if (kind == PKT_AQL_SIGNAL) {
            dw[14] = b->signal;
            dw[15] = b->signal >> 32;
        }
        n = VKFD_AQL_PACKET_SIZE / 4;
        break;
    case PKT_AQL_FILL:
        memset(dw, 0, VKFD_AQL_PACKET_SIZE);
        /* header, setup: 1 dimension; workgroup 64 x 1 x 1 */
        dw[0] = (VKFD_AQL_TYPE_KERNEL | VKFD_AQL_HEADER_BARRIER |
                 2u << 9 | 2u << 11) | 1u << 16;
        dw[1] = 64 | 1u << 16;
        dw[2] = 1;
        dw[3] = 1024;                       /* grid 1024 x 1 x 1 */
        dw[4] = 1;
        dw[5] = 1;
        dw[8] = b->kernel;
        dw[9] = b->kernel >> 32;
        dw[10] = b->kernarg;
        dw[11] = b->kernarg >> 32;
        n = VKFD_AQL_PACKET_SIZE / 4;
        break;
    default:
        g_assert_not_reached();
    }
    for (i = 0; i < n; i++) {
        dw[i] = cpu_to_le32(dw[i]);
    }
    return n;
}

static uint32_t engine(int kind)
{
    return kind <= PKT_PM4_RELEASE ? VKFD_QUEUE_PM4 :
           kind <= PKT_SDMA_ATOMIC ? VKFD_QUEUE_SDMA : VKFD_QUEUE_AQL;
}

/* Write len bytes at ring offset off, across the ring's end. */
static void ring_write(Bench *b, BQ *q, uint32_t off, const void *buf,
                       uint32_t len)
{
    uint32_t first = MIN(len, QRING_SIZE - off);

    qtest_memwrite(b->qts, pa(b, q->ring + off), buf, first);
    if (first < len) {
        qtest_memwrite(b->qts, pa(b, q->ring),
                       (const uint8_t *)buf + first, len - first);
    }
}

/*
 * The queue reports that it consumed everything: SDMA and AQL write a
 * 64-bit count back, PM4 (as the GFX9 CP) a 32-bit dword offset.
 */
static bool consumed(Bench *b, BQ *q)
{
    if (q->type == VKFD_QUEUE_PM4) {
        return qtest_readl(b->qts, pa(b, q->rptr_va)) ==
               q->wptr % (QRING_SIZE / 4);
    }
    return qtest_readq(b->qts, pa(b, q->rptr_va)) == q->wptr;
}

/*
 * One kick of n packets of the given kind: write them, publish the
 * write pointer, ring the doorbell and wait until the queue consumed
 * them all.
 */
static void kick(Bench *b, int kind, unsigned n)
{
    BQ *q = &b->q[engine(kind)];
    g_autofree uint32_t *buf = g_new(uint32_t, MAX_DW);
    uint32_t one[VKFD_AQL_PACKET_SIZE / 4], len = 0, pkt, off;
    unsigned i;

    pkt = packet(b, kind, one) * 4;
    g_assert(n * pkt <= QRING_SIZE / 2);
    for (i = 0; i < n; i++) {
        memcpy((uint8_t *)buf + len, one, pkt);
        len += pkt;
    }
    if (q->type == VKFD_QUEUE_AQL) {
        /* the bodies first, then the headers, as a producer publishes */
        for (i = 0; i < n; i++) {
            off = ((q->wptr + i) * VKFD_AQL_PACKET_SIZE) % QRING_SIZE;
            qtest_memwrite(b->qts, pa(b, q->ring + off) + 4,
                           (uint8_t *)buf + i * pkt + 4, pkt - 4);
        }
        for (i = 0; i < n; i++) {
            off = ((q->wptr + i) * VKFD_AQL_PACKET_SIZE) % QRING_SIZE;
            qtest_writel(b->qts, pa(b, q->ring + off), le32_to_cpu(one[0]));
        }
        q->wptr += n;
    } else if (q->type == VKFD_QUEUE_PM4) {
        ring_write(b, q, (q->wptr * 4) % QRING_SIZE, buf, len);
        q->wptr += len / 4;
    } else {
        ring_write(b, q, q->wptr % QRING_SIZE, buf, len);
        q->wptr += len;
    }
    qtest_writeq(b->qts, pa(b, q->wptr_va), q->wptr);
    qpci_io_writeq(b->v->dev, b->v->doorbells,
                   CTX * VKFD_DOORBELL_PAGE_SIZE +
                   q->doorbell * VKFD_DOORBELL_SIZE,
                   q->type == VKFD_QUEUE_AQL ? q->wptr - 1 : q->wptr);
    for (i = 0; i < 3000000 && !consumed(b, q); i++) {
        g_usleep(10);
    }
    g_assert(consumed(b, q));
}

static void usage(void)
{
    unsigned i;

    fprintf(stderr, "usage: vkfd-queue-bench SCENARIO [KICKS]\n"
            "(QTEST_QEMU_BINARY names QEMU) scenarios:\n");
    for (i = 0; i < ARRAY_SIZE(scenarios); i++) {
        fprintf(stderr, "  %-14s %s\n", scenarios[i].name,
                scenarios[i].what);
    }
    exit(2);
}

int main(int argc, char **argv)
{
    const Scenario *sc = NULL;
    unsigned i, kicks;
    gint64 start, ns;
    Bench b = { 0 };

    if (argc < 2) {
        usage();
    }
    for (i = 0; i < ARRAY_SIZE(scenarios); i++) {
        if (!strcmp(argv[1], scenarios[i].name)) {
            sc = &scenarios[i];
        }
    }
    if (!sc) {
        usage();
    }
    kicks = argc > 2 ? atoi(argv[2]) : sc->kicks;
    if (kicks < 1) {
        usage();
    }

    bench_start(&b);
    kick(&b, sc->packet, sc->per_kick);     /* warm-up: TLB, caches */
    start = g_get_monotonic_time();
    for (i = 0; i < kicks; i++) {
        kick(&b, sc->packet, sc->per_kick);
    }
    ns = (g_get_monotonic_time() - start) * 1000;
    g_assert(rd(b.v, VKFD_REG_VM_FAULT_COUNT) == 0);
    if (sc->packet == PKT_AQL_FILL) {
        g_assert(qtest_readl(b.qts, pa(&b, b.dst + 4092)) == 0xdeadbeef);
    }
    if (sc->packet == PKT_SDMA_ATOMIC) {
        g_assert(qtest_readq(b.qts, pa(&b, b.dst + 8)) ==
                 3ull * (kicks + 1) * sc->per_kick);
    }
    if (sc->packet == PKT_AQL_SIGNAL) {
        g_assert(qtest_readq(b.qts, pa(&b, b.signal + VKFD_SIGNAL_VALUE)) ==
                 (1ull << 40) - (uint64_t)(kicks + 1) * sc->per_kick);
    }

    /* the counts include the warm-up kick */
    printf("scenario=%s engine=%u kicks=%u packets=%u ns_per_kick=%"
           PRId64 "\n", sc->name, engine(sc->packet), kicks + 1,
           (kicks + 1) * sc->per_kick, ns / kicks);
    vkfd_stop(b.v);
    return 0;
}
