/*
 * QTest testcases for vkfd against a hostile guest (issue 9): a failed
 * command changes nothing, nothing runs while the VM is stopped, big
 * VM_FILL/VM_COPY commands are cut into slices and still check first,
 * MQD addresses that wrap around 2^64, and migration streams mutated
 * into states the device could not reach.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/bswap.h"
#include "hw/pci/pci_regs.h"
#include "vkfd-qtest-util.h"

#define PROPS           ",vram-size=16M"
#define CTX             1
#define MQD_STATE       offsetof(struct vkfd_mqd, rptr)

static Vkfd *start(void)
{
    Vkfd *v = vkfd_start_props(PROPS);

    ring_enable(v);
    return v;
}

static void cmd_init(struct vkfd_sched_cmd *cmd, uint8_t opcode,
                     uint32_t ctx_id)
{
    memset(cmd, 0, sizeof(*cmd));
    cmd->opcode = opcode;
    cmd->ctx_id = ctx_id;
}

/*
 * Submit cmd with its fence at fence_addr; wait; return SCHED_ERROR (the
 * last failure's status).
 */
static uint32_t submit_fenced(Vkfd *v, struct vkfd_sched_cmd *cmd,
                              uint64_t fence_addr)
{
    cmd->fence_addr = fence_addr;
    ring_put(v, cmd);
    wr(v, VKFD_REG_SCHED_WPTR, v->wptr);
    ring_wait_idle(v);
    return rd(v, VKFD_REG_SCHED_ERROR);
}

/*
 * A fence in MMIO (the device's own registers, another BAR, a hole) is
 * refused before the command runs: MAP_CONTEXT leaves no context.
 */
static void test_fence_not_ram(void)
{
    Vkfd *v = start();
    struct vkfd_sched_cmd cmd;
    const uint64_t bad[] = {
        v->regs.addr + VKFD_REG_CONTROL,    /* our registers */
        v->doorbells.addr + 0x2000,         /* our doorbells */
        0xfec00000,                         /* the IOAPIC */
        0xd0000000,                         /* nothing at all */
        UINT64_MAX - 7,                     /* the top of the address space */
    };
    unsigned i;

    for (i = 0; i < ARRAY_SIZE(bad); i++) {
        cmd_init(&cmd, VKFD_CMD_MAP_CONTEXT, CTX);
        g_assert_cmphex(submit_fenced(v, &cmd, bad[i]), ==,
                        VKFD_ST_DMA_ERROR);
        g_assert_cmpuint(rd(v, VKFD_REG_NUM_CONTEXTS), ==, 0);
        g_assert_cmphex(rd(v, VKFD_REG_STATUS), ==, VKFD_STATUS_ENABLED);
    }
    /* VRAM's BAR is RAM: a fence there has no side effects, and works */
    cmd_init(&cmd, VKFD_CMD_MAP_CONTEXT, CTX);
    submit_fenced(v, &cmd, v->vram.addr);
    g_assert_cmpuint(qtest_readl(v->qts, v->vram.addr), ==, cmd.seq);
    g_assert_cmpuint(qtest_readl(v->qts, v->vram.addr + 4), ==, VKFD_ST_OK);
    g_assert_cmpuint(rd(v, VKFD_REG_NUM_CONTEXTS), ==, 1);
    vkfd_stop(v);
}

/*
 * A stopped VM gets no work done: commands wait in the ring (no fence,
 * no state change) until the VM runs again.
 */
static void test_stopped(void)
{
    Vkfd *v = start();
    struct vkfd_sched_cmd cmd;
    uint64_t fence;

    qtest_qmp_assert_success(v->qts, "{ 'execute': 'stop' }");
    cmd_init(&cmd, VKFD_CMD_MAP_CONTEXT, CTX);
    fence = ring_put(v, &cmd);
    qtest_writel(v->qts, fence, 0xdead);
    wr(v, VKFD_REG_SCHED_WPTR, v->wptr);
    g_usleep(100 * 1000);
    g_assert_cmphex(rd(v, VKFD_REG_SCHED_RPTR), ==, 0);
    g_assert_cmpuint(rd(v, VKFD_REG_NUM_CONTEXTS), ==, 0);
    g_assert_cmphex(qtest_readl(v->qts, fence), ==, 0xdead);

    qtest_qmp_assert_success(v->qts, "{ 'execute': 'cont' }");
    ring_wait_idle(v);
    g_assert_cmpuint(qtest_readl(v->qts, fence), ==, cmd.seq);
    g_assert_cmpuint(qtest_readl(v->qts, fence + 4), ==, VKFD_ST_OK);
    g_assert_cmpuint(rd(v, VKFD_REG_NUM_CONTEXTS), ==, 1);
    vkfd_stop(v);
}

/*
 * A big VM_FILL/VM_COPY over 4 KiB pages (every VA page onto one of a
 * few guest pages) runs across many bottom-half runs and still does the
 * whole job; one that faults on its last page changes nothing.
 */
#define BIG_PAGES       2048            /* 8 MiB of VA */
#define BIG_PHYS        8
#define BIG_VA          (1ull << 32)

static void big_map(Vkfd *v, uint64_t root, uint64_t va, uint64_t phys,
                    unsigned pages)
{
    unsigned i;

    for (i = 0; i < pages; i++) {
        pt_map(v, root, va + (uint64_t)i * PAGE,
               phys + (i % BIG_PHYS) * PAGE, PTE_SYS | PTE_W, 0);
    }
}

static void test_big_slices(void)
{
    Vkfd *v = start();
    uint64_t root = pt_alloc(v), phys = guest_alloc(&v->alloc,
                                                    2 * BIG_PHYS * PAGE);
    uint64_t size = (uint64_t)BIG_PAGES * PAGE;
    struct vkfd_sched_cmd cmd;
    unsigned i;

    g_assert_cmpuint(map_ctx(v, CTX, root), ==, VKFD_ST_OK);
    big_map(v, root, BIG_VA, phys, BIG_PAGES);
    qtest_memset(v->qts, phys, 0, 2 * BIG_PHYS * PAGE);

    /* one page short of mapped: the fill faults and writes nothing */
    cmd_init(&cmd, VKFD_CMD_VM_FILL, CTX);
    cmd.u.vm_fill.va = BIG_VA;
    cmd.u.vm_fill.size = size + PAGE;
    cmd.u.vm_fill.value = 0x11223344;
    g_assert_cmphex(submit_cmd(v, &cmd), ==, VKFD_ST_VM_FAULT);
    g_assert_cmphex(fault_addr(v), ==, BIG_VA + size);
    for (i = 0; i < BIG_PHYS; i++) {
        g_assert_cmphex(qtest_readl(v->qts, phys + i * PAGE), ==, 0);
    }
    wr(v, VKFD_REG_VM_FAULT_STATUS, 7);

    /* the whole range: every page filled */
    cmd_init(&cmd, VKFD_CMD_VM_FILL, CTX);
    cmd.u.vm_fill.va = BIG_VA;
    cmd.u.vm_fill.size = size;
    cmd.u.vm_fill.value = 0x11223344;
    g_assert_cmphex(submit_cmd(v, &cmd), ==, VKFD_ST_OK);
    for (i = 0; i < BIG_PHYS; i++) {
        g_assert_cmphex(qtest_readl(v->qts, phys + i * PAGE), ==,
                        0x11223344);
        g_assert_cmphex(qtest_readl(v->qts, phys + i * PAGE + PAGE - 4), ==,
                        0x11223344);
    }

    /* a copy whose destination faults at the end changes nothing */
    big_map(v, root, 2 * BIG_VA, phys + BIG_PHYS * PAGE, BIG_PAGES);
    cmd_init(&cmd, VKFD_CMD_VM_COPY, CTX);
    cmd.u.vm_copy.src = BIG_VA;
    cmd.u.vm_copy.dst = 2 * BIG_VA + PAGE;
    cmd.u.vm_copy.size = size;
    g_assert_cmphex(submit_cmd(v, &cmd), ==, VKFD_ST_VM_FAULT);
    g_assert_cmphex(fault_addr(v), ==, 2 * BIG_VA + size);
    wr(v, VKFD_REG_VM_FAULT_STATUS, 7);
    for (i = 0; i < BIG_PHYS; i++) {
        g_assert_cmphex(qtest_readl(v->qts, phys + (BIG_PHYS + i) * PAGE),
                        ==, 0);
    }
    cmd.u.vm_copy.dst = 2 * BIG_VA;
    cmd.fence_addr = 0;
    g_assert_cmphex(submit_cmd(v, &cmd), ==, VKFD_ST_OK);
    for (i = 0; i < BIG_PHYS; i++) {
        g_assert_cmphex(qtest_readl(v->qts, phys + (BIG_PHYS + i) * PAGE),
                        ==, 0x11223344);
    }
    /* and commands after it ran in order */
    g_assert_cmpuint(rd(v, VKFD_REG_NUM_CONTEXTS), ==, 1);
    g_assert_cmpuint(map_ctx(v, 2, 0), ==, VKFD_ST_OK);
    vkfd_stop(v);
}

/* [va, va + 64 MiB) over 4 KiB pages onto BIG_PHYS pages, tables whole. */
static void map_64m(Vkfd *v, uint64_t root, uint64_t va, uint64_t phys)
{
    uint64_t leaf[512], chunk, t;
    unsigned i;

    for (chunk = 0; chunk < VKFD_VM_OP_MAX; chunk += 2 * MIB) {
        for (i = 0; i < 512; i++) {
            leaf[i] = cpu_to_le64((phys + (i % BIG_PHYS) * PAGE) | PTE_SYS |
                                  PTE_W | VKFD_PTE_VALID);
        }
        t = pt_alloc(v);
        qtest_memwrite(v->qts, t, leaf, sizeof(leaf));
        pt_set(v, root, va + chunk, 1, t | VKFD_PTE_VALID);
    }
}

/*
 * Migration in the middle of a VM_FILL: the VM stops while the ring
 * works through 64 MiB fills, the stream carries the command under way
 * (subsection vkfd/sched-cmd), and the destination finishes it and the
 * rest of the ring -- once it runs: paused after the load (-S), it does
 * nothing.  The stop has to land between two slices: retried a few times
 * if the ring was done (or not yet started) when it came.
 */
static void test_migrate_mid_command(void)
{
    g_autofree char *file = g_strdup_printf("%s/vkfd-hard-mid-%d",
                                            g_get_tmp_dir(), getpid());
    g_autofree char *uri = g_strdup_printf("exec:cat > %s", file);
    g_autofree char *in = g_strdup_printf("exec:cat %s", file);
    g_autofree char *text = NULL;
    uint64_t fences[8], root, phys;
    struct vkfd_sched_cmd cmd;
    bool held = false;
    uint32_t rptr;
    QTestState *src;
    gsize len;
    Vkfd *v;
    int attempt;
    unsigned i;

    for (attempt = 0; attempt < 5 && !held; attempt++) {
        v = start();
        root = pt_alloc(v);
        phys = guest_alloc(&v->alloc, BIG_PHYS * PAGE);
        g_assert_cmpuint(map_ctx(v, CTX, root), ==, VKFD_ST_OK);
        map_64m(v, root, BIG_VA, phys);
        for (i = 0; i < ARRAY_SIZE(fences); i++) {
            cmd_init(&cmd, VKFD_CMD_VM_FILL, CTX);
            cmd.u.vm_fill.va = BIG_VA;
            cmd.u.vm_fill.size = VKFD_VM_OP_MAX;
            cmd.u.vm_fill.value = 0x1000 + i;
            fences[i] = ring_put(v, &cmd);
        }
        wr(v, VKFD_REG_SCHED_WPTR, v->wptr);
        qtest_qmp_assert_success(v->qts, "{ 'execute': 'stop' }");
        qtest_qmp_assert_success(v->qts, "{ 'execute': 'migrate', "
                                 "'arguments': { 'uri': %s } }", uri);
        g_assert_true(migration_wait(v->qts));
        g_assert_true(g_file_get_contents(file, &text, &len, NULL));
        held = memmem(text, len, "vkfd/sched-cmd", 14) != NULL;
        g_free(text);
        text = NULL;
        if (!held) {
            g_test_message("attempt %d: no command under way", attempt);
            vkfd_stop(v);
        }
    }
    g_assert_true(held);
    rptr = rd(v, VKFD_REG_SCHED_RPTR);
    g_assert_cmphex(rptr, !=, v->wptr);

    /* -S: the destination stays paused after the load, and does nothing */
    src = v->qts;
    v->qts = qtest_initf("-M pc -nodefaults -device vkfd,addr=04.0" PROPS
                         " -S -incoming defer");
    qtest_qmp_assert_success(v->qts, "{ 'execute': 'migrate-incoming', "
                             "'arguments': { 'uri': %s } }", in);
    g_assert_true(migration_wait(v->qts));
    qtest_quit(src);
    unlink(file);
    g_free(v->dev);
    qpci_free_pc(v->bus);
    v->bus = qpci_new_pc(v->qts, NULL);
    v->dev = qpci_device_find(v->bus, VKFD_DEVFN);
    g_usleep(100 * 1000);
    g_assert_cmphex(rd(v, VKFD_REG_SCHED_RPTR), ==, rptr);
    g_assert_cmphex(qtest_readl(v->qts, fences[ARRAY_SIZE(fences) - 1]), ==,
                    0);
    qtest_qmp_assert_success(v->qts, "{ 'execute': 'cont' }");
    ring_wait_idle(v);
    g_assert_cmphex(rd(v, VKFD_REG_SCHED_ERROR), ==, VKFD_ST_OK);
    for (i = 0; i < ARRAY_SIZE(fences); i++) {
        g_assert_cmpuint(qtest_readl(v->qts, fences[i] + 4), ==, VKFD_ST_OK);
    }
    for (i = 0; i < BIG_PHYS; i++) {
        g_assert_cmphex(qtest_readl(v->qts, phys + i * PAGE + 4 * i), ==,
                        0x1000 + ARRAY_SIZE(fences) - 1);
    }
    vkfd_stop(v);
}

/*
 * A disable while a big command is under way drops it; the next enable
 * starts from a clean ring.
 */
static void test_big_disable(void)
{
    Vkfd *v = start();
    uint64_t root = pt_alloc(v), phys = guest_alloc(&v->alloc,
                                                    BIG_PHYS * PAGE);
    struct vkfd_sched_cmd cmd;

    g_assert_cmpuint(map_ctx(v, CTX, root), ==, VKFD_ST_OK);
    big_map(v, root, BIG_VA, phys, BIG_PAGES);
    cmd_init(&cmd, VKFD_CMD_VM_FILL, CTX);
    cmd.u.vm_fill.va = BIG_VA;
    cmd.u.vm_fill.size = (uint64_t)BIG_PAGES * PAGE;
    ring_put(v, &cmd);
    wr(v, VKFD_REG_SCHED_WPTR, v->wptr);
    wr(v, VKFD_REG_CONTROL, 0);
    g_assert_cmphex(rd(v, VKFD_REG_STATUS), ==, 0);
    ring_enable(v);
    g_assert_cmphex(rd(v, VKFD_REG_SCHED_RPTR), ==, 0);
    g_assert_cmpuint(map_ctx(v, 2, 0), ==, VKFD_ST_OK);
    g_assert_cmpuint(rd(v, VKFD_REG_NUM_CONTEXTS), ==, 2);
    vkfd_stop(v);
}

/*
 * MQD addresses near 2^64: MAP_QUEUE refuses them, and an UNMAP_QUEUE
 * whose write-back (at MQD + 0x28) would wrap into low memory fails with
 * BAD_MQD and leaves low memory and the queue alone.
 */
static void test_mqd_wrap(void)
{
    Vkfd *v = start();
    uint64_t mqd = guest_alloc(&v->alloc, PAGE);
    struct vkfd_sched_cmd cmd;
    struct vkfd_mqd m = {
        .type = VKFD_QUEUE_PM4, .doorbell = 2,
        .ring_base = 0x10000, .ring_size = 0x1000,
        .rptr_addr = 0x20000, .wptr_addr = 0x20008, .rptr = 0x1234,
    };
    /* the MQD, or its write-back at +0x28, runs past 2^64 */
    const uint64_t wraps[] = {
        -(uint64_t)8, -(uint64_t)0x20, -(uint64_t)MQD_STATE,
        -(uint64_t)sizeof(struct vkfd_mqd),
    };
    unsigned i;

    g_assert_cmpuint(map_ctx(v, CTX, 0), ==, VKFD_ST_OK);
    for (i = 0; i < ARRAY_SIZE(wraps); i++) {
        cmd_init(&cmd, VKFD_CMD_MAP_QUEUE, CTX);
        cmd.u.map_queue.mqd_addr = wraps[i];
        g_assert_cmphex(submit_cmd(v, &cmd), ==, VKFD_ST_BAD_MQD);
    }
    qtest_memwrite(v->qts, mqd, &m, sizeof(m));
    cmd_init(&cmd, VKFD_CMD_MAP_QUEUE, CTX);
    cmd.u.map_queue.mqd_addr = mqd;
    g_assert_cmphex(submit_cmd(v, &cmd), ==, VKFD_ST_OK);

    qtest_memset(v->qts, 0, 0x5a, 0x100);
    for (i = 0; i < ARRAY_SIZE(wraps); i++) {
        cmd_init(&cmd, VKFD_CMD_UNMAP_QUEUE, CTX);
        cmd.u.unmap_queue.mqd_addr = wraps[i];
        cmd.u.unmap_queue.doorbell = 2;
        g_assert_cmphex(submit_cmd(v, &cmd), ==, VKFD_ST_BAD_MQD);
    }
    for (i = 0; i < 0x100; i += 8) {
        g_assert_cmphex(qtest_readq(v->qts, i), ==, 0x5a5a5a5a5a5a5a5aull);
    }
    cmd.u.unmap_queue.mqd_addr = mqd;
    cmd.fence_addr = 0;                     /* the next slot's */
    g_assert_cmphex(submit_cmd(v, &cmd), ==, VKFD_ST_OK);
    g_assert_cmphex(qtest_readq(v->qts, mqd + MQD_STATE), ==, 0x1234);
    vkfd_stop(v);
}

/*
 * Migration streams.  The source has its ring enabled at a known base,
 * a context and a queue; the stream is saved to a file, one field of
 * the device's section is changed, and a new QEMU loads it.  A state the
 * device could not reach must be refused -- the load fails and the
 * destination exits with status 1, never a crash -- and the unchanged
 * stream must load.
 */
typedef struct Mutation {
    const char *name;
    int off;            /* from SCHED_BASE's first byte in the stream */
    int len;            /* 1 or 4 (big endian) */
    uint32_t val;
} Mutation;

/* VMState order: control, status, access_errors, sched_base, size, ... */
#define AT_CONTROL      (-12)
#define AT_STATUS       (-8)
#define AT_SIZE         8
#define AT_WPTR         12
#define AT_RPTR         16
#define AT_ERROR        20
#define AT_CTX0_MAPPED  32

static const Mutation mutations[] = {
    { "unchanged", 0, 0, 0 },
    { "control-off-status-on", AT_CONTROL, 4, 0 },
    { "status-off-control-on", AT_STATUS, 4, 0 },
    { "status-unknown-bit", AT_STATUS, 4, VKFD_STATUS_ENABLED | 4 },
    { "halted-not-enabled", AT_STATUS, 4, VKFD_STATUS_SCHED_HALTED },
    { "control-unknown-bit", AT_CONTROL, 4, VKFD_CONTROL_ENABLE | 2 },
    { "size-not-pow2", AT_SIZE, 4, 0x3000 },
    { "size-too-big", AT_SIZE, 4, 0x200000 },
    { "rptr-past-end", AT_RPTR, 4, 0x1000 },
    { "wptr-unaligned", AT_WPTR, 4, 0x20 },
    { "error-unknown", AT_ERROR, 4, 0x55 },
    { "kernel-context-mapped", AT_CTX0_MAPPED, 1, 1 },
};

static char *mig_file(void)
{
    return g_strdup_printf("%s/vkfd-hard-mig-%d", g_get_tmp_dir(), getpid());
}

/* Save a source with ring, context and queue; return SCHED_BASE. */
static uint64_t save_source(const char *file)
{
    Vkfd *v = start();
    g_autofree char *uri = g_strdup_printf("exec:cat > %s", file);
    uint64_t mqd = guest_alloc(&v->alloc, PAGE), base = v->ring;
    struct vkfd_sched_cmd cmd;
    struct vkfd_mqd m = {
        .type = VKFD_QUEUE_SDMA, .doorbell = 4,
        .ring_base = 0x10000, .ring_size = 0x1000,
        .rptr_addr = 0x20000, .wptr_addr = 0x20008,
    };

    g_assert_cmpuint(map_ctx(v, CTX, 0), ==, VKFD_ST_OK);
    qtest_memwrite(v->qts, mqd, &m, sizeof(m));
    cmd_init(&cmd, VKFD_CMD_MAP_QUEUE, CTX);
    cmd.u.map_queue.mqd_addr = mqd;
    g_assert_cmphex(submit_cmd(v, &cmd), ==, VKFD_ST_OK);
    qtest_qmp_assert_success(v->qts, "{ 'execute': 'migrate', 'arguments': "
                             "{ 'uri': %s } }", uri);
    g_assert_true(migration_wait(v->qts));
    vkfd_stop(v);
    return base;
}

static void test_migration_mutations(void)
{
    g_autofree char *file = mig_file();
    g_autofree char *orig = NULL;
    uint64_t base = save_source(file);
    uint8_t anchor[12];
    gsize len;
    char *at;
    unsigned i;

    g_assert_true(g_file_get_contents(file, &orig, &len, NULL));
    stq_be_p(anchor, base);
    stl_be_p(anchor + 8, RING_SIZE);
    at = memmem(orig, len, anchor, sizeof(anchor));
    g_assert_nonnull(at);
    g_assert_null(memmem(at + 1, len - (at + 1 - orig), anchor,
                         sizeof(anchor)));
    g_assert_cmphex(ldl_be_p(at + AT_CONTROL), ==, VKFD_CONTROL_ENABLE);
    g_assert_cmphex(ldl_be_p(at + AT_STATUS), ==, VKFD_STATUS_ENABLED);

    for (i = 0; i < ARRAY_SIZE(mutations); i++) {
        const Mutation *mu = &mutations[i];
        g_autofree char *buf = g_memdup2(orig, len);
        g_autofree char *uri = g_strdup_printf("exec:cat %s", file);
        char *p = buf + (at - orig) + mu->off;

        g_test_message("mutation %s", mu->name);
        if (mu->len == 4) {
            stl_be_p(p, mu->val);
        } else if (mu->len == 1) {
            *p = mu->val;
        }
        g_assert_true(g_file_set_contents(file, buf, len, NULL));
        vkfd_incoming(PROPS, uri, !mu->len);
    }
    unlink(file);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    qtest_add_func("/vkfd/hardening/fence-not-ram", test_fence_not_ram);
    qtest_add_func("/vkfd/hardening/stopped", test_stopped);
    qtest_add_func("/vkfd/hardening/big-slices", test_big_slices);
    qtest_add_func("/vkfd/hardening/big-disable", test_big_disable);
    qtest_add_func("/vkfd/hardening/mqd-wrap", test_mqd_wrap);
    qtest_add_func("/vkfd/hardening/migration-mutations",
                   test_migration_mutations);
    qtest_add_func("/vkfd/hardening/migrate-mid-command",
                   test_migrate_mid_command);
    return g_test_run();
}
