/*
 * vkfd GPUVM benchmark: what a page-table walk costs the device.
 *
 * A qtest client, built with QEMU's qtests (scripts/build-qemu.sh) but
 * never run as a test.  It builds page tables in guest memory, maps a
 * context on them and drives rounds of VM_FILL through them, with the
 * TLB cold (INVALIDATE_TLB before each round) or warm.  Run by
 * bench/vkfd-gpuvm-bench, which puts QEMU under callgrind and counts the
 * instructions spent in vkfd_vm_walk() and vkfd_vm_fill(); run alone it
 * prints wall-clock time per round.  See bench/README.md.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/bswap.h"
#include "libqtest.h"
#include "libqos/pci-pc.h"
#include "libqos/malloc-pc.h"
#include "hw/kfd/vkfd_hw.h"

#define VKFD_DEVFN      QPCI_DEVFN(4, 0)
#define CMD_SIZE        ((uint32_t)sizeof(struct vkfd_sched_cmd))
#define RING_SIZE       0x10000u
#define PAGE            VKFD_GPU_PAGE_SIZE
#define MIB             (1ull << 20)
#define VRAM_SIZE       (64 * MIB)
#define CTX             1

typedef struct Scenario {
    const char *name;
    const char *what;
    int level;              /* of the leaves: 0 is 4 KiB, 1 is 2 MiB */
    bool system;            /* leaves in guest memory, else in VRAM */
    unsigned leaves;        /* leaves a round goes through */
    bool per_leaf;          /* one 4-byte fill a leaf, else one fill */
    bool cold;              /* INVALIDATE_TLB before each round */
    unsigned rounds;
} Scenario;

static const Scenario scenarios[] = {
    { "cold-4k", "64 VRAM pages, one 256 KiB fill, TLB invalidated",
      0, false, 64, false, true, 100 },
    { "warm-4k", "64 VRAM pages, one 256 KiB fill, TLB warm",
      0, false, 64, false, false, 100 },
    { "cold-4k-sys", "64 guest pages, one 256 KiB fill, TLB invalidated",
      0, true, 64, false, true, 100 },
    { "warm-4k-sys", "64 guest pages, one 256 KiB fill, TLB warm",
      0, true, 64, false, false, 100 },
    { "cold-4k-dword", "64 VRAM pages, a 4-byte fill in each, invalidated",
      0, false, 64, true, true, 50 },
    { "cold-2m-dword", "16 VRAM 2 MiB leaves, a 4-byte fill in each, "
      "invalidated", 1, false, 16, true, true, 200 },
    { "big-4k", "4096 VRAM pages, one 16 MiB fill: more than the TLB holds",
      0, false, 4096, false, false, 4 },
};

typedef struct Bench {
    QTestState *qts;
    QGuestAllocator alloc;
    QPCIBus *bus;
    QPCIDevice *dev;
    QPCIBar regs;
    uint64_t ring, fences, root;
    uint32_t wptr, seq;
    unsigned pending;       /* commands put since the last run() */
} Bench;

static uint32_t rd(Bench *b, uint32_t reg)
{
    return qpci_io_readl(b->dev, b->regs, reg);
}

static void wr(Bench *b, uint32_t reg, uint32_t val)
{
    qpci_io_writel(b->dev, b->regs, reg, val);
}

static void put(Bench *b, struct vkfd_sched_cmd *cmd)
{
    cmd->seq = ++b->seq;
    cmd->fence_addr = b->fences + b->wptr / CMD_SIZE * 8;
    qtest_memwrite(b->qts, b->ring + b->wptr, cmd, sizeof(*cmd));
    b->wptr = (b->wptr + CMD_SIZE) % RING_SIZE;
    b->pending++;
}

/* Kick, wait, and insist that every command went well. */
static void run(Bench *b)
{
    wr(b, VKFD_REG_SCHED_WPTR, b->wptr);
    while (rd(b, VKFD_REG_SCHED_RPTR) != b->wptr) {
        g_usleep(20);
    }
    g_assert(rd(b, VKFD_REG_SCHED_ERROR) == VKFD_ST_OK);
    b->pending = 0;
}

static uint64_t pt_alloc(Bench *b)
{
    uint64_t t = guest_alloc(&b->alloc, PAGE);

    qtest_memset(b->qts, t, 0, PAGE);
    return t;
}

/* Map va with a leaf at level, making the directories above it. */
static void pt_map(Bench *b, uint64_t va, uint64_t leaf, int level)
{
    uint64_t table = b->root, ea, e;
    int l;

    for (l = VKFD_GPUVM_LEVELS - 1; l >= level; l--) {
        ea = table + ((va >> (VKFD_GPU_PAGE_SHIFT + 9 * l)) & 511) * 8;
        if (l == level) {
            qtest_writeq(b->qts, ea, leaf);
            return;
        }
        e = qtest_readq(b->qts, ea);
        if (!(e & VKFD_PTE_VALID)) {
            e = pt_alloc(b) | VKFD_PTE_VALID;
            qtest_writeq(b->qts, ea, e);
        }
        table = e & VKFD_PTE_ADDR_MASK;
    }
}

static void bench_start(Bench *b)
{
    struct vkfd_sched_cmd cmd = { .opcode = VKFD_CMD_MAP_CONTEXT };

    b->qts = qtest_initf("-M pc -m 512M -nodefaults "
                         "-device vkfd,addr=04.0,vram-size=64M");
    pc_alloc_init(&b->alloc, b->qts, ALLOC_NO_FLAGS);
    b->bus = qpci_new_pc(b->qts, &b->alloc);
    b->dev = qpci_device_find(b->bus, VKFD_DEVFN);
    g_assert(b->dev);
    qpci_device_enable(b->dev);
    b->regs = qpci_iomap(b->dev, VKFD_BAR_REGS, NULL);
    g_assert(rd(b, VKFD_REG_CAPS) & VKFD_CAP_GPUVM);
    b->ring = guest_alloc(&b->alloc, 2 * RING_SIZE);
    b->ring = QEMU_ALIGN_UP(b->ring, RING_SIZE);
    b->fences = guest_alloc(&b->alloc, RING_SIZE / CMD_SIZE * 8);
    wr(b, VKFD_REG_SCHED_BASE_LO, (uint32_t)b->ring);
    wr(b, VKFD_REG_SCHED_BASE_HI, b->ring >> 32);
    wr(b, VKFD_REG_SCHED_SIZE, RING_SIZE);
    wr(b, VKFD_REG_CONTROL, VKFD_CONTROL_ENABLE);
    g_assert(rd(b, VKFD_REG_STATUS) == VKFD_STATUS_ENABLED);

    b->root = pt_alloc(b);
    cmd.ctx_id = CTX;
    cmd.u.map_context.pt_base = b->root;
    put(b, &cmd);
    run(b);
}

/* Leaves at a high VA, so that every level has a non-zero index. */
#define BENCH_VA        0x512345600000ull

static void map_scenario(Bench *b, const Scenario *sc)
{
    uint64_t size = 1ull << (VKFD_GPU_PAGE_SHIFT + 9 * sc->level);
    uint64_t sys = 0, target;
    unsigned i;

    if (sc->system) {
        sys = guest_alloc(&b->alloc, (uint64_t)sc->leaves * size);
    }
    for (i = 0; i < sc->leaves; i++) {
        target = sc->system ? sys + i * size
                            : (i * size) % VRAM_SIZE;
        pt_map(b, BENCH_VA + i * size, target | VKFD_PTE_VALID |
               VKFD_PTE_WRITE | (sc->system ? VKFD_PTE_SYSTEM : 0) |
               (sc->level ? VKFD_PDE_HUGE : 0), sc->level);
    }
}

static void round_put(Bench *b, const Scenario *sc, uint32_t value)
{
    uint64_t size = 1ull << (VKFD_GPU_PAGE_SHIFT + 9 * sc->level);
    struct vkfd_sched_cmd cmd;
    unsigned i;

    if (sc->cold) {
        memset(&cmd, 0, sizeof(cmd));
        cmd.opcode = VKFD_CMD_INVALIDATE_TLB;
        cmd.ctx_id = CTX;
        put(b, &cmd);
    }
    for (i = 0; i < (sc->per_leaf ? sc->leaves : 1); i++) {
        memset(&cmd, 0, sizeof(cmd));
        cmd.opcode = VKFD_CMD_VM_FILL;
        cmd.ctx_id = CTX;
        cmd.u.vm_fill.value = value;
        if (sc->per_leaf) {
            cmd.u.vm_fill.va = BENCH_VA + i * size + 0x40;
            cmd.u.vm_fill.size = 4;
        } else {
            cmd.u.vm_fill.va = BENCH_VA;
            cmd.u.vm_fill.size = sc->leaves * size;
        }
        put(b, &cmd);
    }
}

static void usage(void)
{
    unsigned i;

    fprintf(stderr, "usage: vkfd-gpuvm-bench SCENARIO [ROUNDS]\n"
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
    unsigned i, rounds, per_round;
    uint64_t bytes;
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
    rounds = argc > 2 ? atoi(argv[2]) : sc->rounds;
    if (rounds < 1) {
        usage();
    }

    bench_start(&b);
    map_scenario(&b, sc);
    /* one round to warm up: the TLB of a warm scenario fills here */
    round_put(&b, sc, 0);
    run(&b);

    per_round = sc->per_leaf ? sc->leaves : 1;
    bytes = sc->per_leaf ? 4 * sc->leaves
                         : (uint64_t)sc->leaves <<
                           (VKFD_GPU_PAGE_SHIFT + 9 * sc->level);
    start = g_get_monotonic_time();
    for (i = 0; i < rounds; i++) {
        round_put(&b, sc, i + 1);
        /* kick when the next round might not fit in half the ring */
        if ((b.pending + per_round + 1) * CMD_SIZE >= RING_SIZE / 2 ||
            i + 1 == rounds) {
            run(&b);
        }
    }
    ns = (g_get_monotonic_time() - start) * 1000;
    g_assert(rd(&b, VKFD_REG_VM_FAULT_COUNT) == 0);

    /* the counts include the warm-up round */
    printf("scenario=%s rounds=%u fills=%u leaves=%u level=%d bytes=%"
           PRIu64 " ns_per_round=%" PRId64 "\n",
           sc->name, rounds + 1, (rounds + 1) * per_round,
           (rounds + 1) * sc->leaves, sc->level, (rounds + 1) * bytes,
           ns / rounds);

    qpci_free_pc(b.bus);
    g_free(b.dev);
    alloc_destroy(&b.alloc);
    qtest_quit(b.qts);
    return 0;
}
