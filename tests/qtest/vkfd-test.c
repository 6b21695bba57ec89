/*
 * QTest testcases for the vkfd device: registers, the scheduler ring and
 * every kind of bad input the guest can give them.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "hw/pci/pci_regs.h"
#include "vkfd-qtest-util.h"

#define MSI_DATA        0x5a5a0000u

/* libqos maps BARs below 4 GiB: keep VRAM small. */
#define VKFD_PROPS      ",vram-size=16M"

static Vkfd *vkfd_start(const char *extra)
{
    g_autofree char *props = g_strdup_printf(VKFD_PROPS "%s",
                                             extra ? extra : "");

    return vkfd_start_props(props);
}

/* Clear cmd and make it an opcode command for ctx_id. */
static void sched_cmd(struct vkfd_sched_cmd *cmd, uint8_t opcode,
                      uint32_t ctx_id)
{
    memset(cmd, 0, sizeof(*cmd));
    cmd->opcode = opcode;
    cmd->ctx_id = ctx_id;
}

/* Submit one command, wait for it, return its fence status. */
static uint32_t submit(Vkfd *v, uint8_t opcode, uint32_t ctx_id)
{
    struct vkfd_sched_cmd cmd = { .opcode = opcode, .ctx_id = ctx_id };

    return submit_cmd(v, &cmd);
}

static void test_identity(void)
{
    Vkfd *v = vkfd_start(",serial=0x123456789abc,max-contexts=64");

    g_assert_cmphex(qpci_config_readw(v->dev, PCI_VENDOR_ID), ==,
                    VKFD_PCI_VENDOR_ID);
    g_assert_cmphex(qpci_config_readw(v->dev, PCI_DEVICE_ID), ==,
                    VKFD_PCI_DEVICE_ID);
    g_assert_cmphex(rd(v, VKFD_REG_ID), ==, VKFD_ID_MAGIC);
    g_assert_cmphex(rd(v, VKFD_REG_VERSION), ==, VKFD_VERSION);
    g_assert_cmphex(rd(v, VKFD_REG_CAPS), ==,
                    VKFD_CAP_SCHED_RING | VKFD_CAP_DOORBELLS | VKFD_CAP_VRAM |
                    VKFD_CAP_GPUVM | VKFD_CAP_QUEUES | VKFD_CAP_IH);
    g_assert_cmpuint(rd(v, VKFD_REG_MAX_CONTEXTS), ==, 64);
    g_assert_cmpuint(rd(v, VKFD_REG_DOORBELL_PAGE_SIZE), ==, 8192);
    g_assert_cmpuint(rd(v, VKFD_REG_NUM_CONTEXTS), ==, 0);
    g_assert_cmphex(rd(v, VKFD_REG_VRAM_SIZE_LO), ==, 16 * 1024 * 1024);
    g_assert_cmphex(rd(v, VKFD_REG_VRAM_SIZE_HI), ==, 0);
    g_assert_cmphex(rd(v, VKFD_REG_SERIAL_LO), ==, 0x56789abc);
    g_assert_cmphex(rd(v, VKFD_REG_SERIAL_HI), ==, 0x1234);
    g_assert_cmpuint(rd(v, VKFD_REG_MSIX_VECTORS), ==, 4);
    g_assert_cmphex(rd(v, VKFD_REG_STATUS), ==, 0);

    g_assert_cmphex(v->regs_size, ==, VKFD_REGS_SIZE);
    g_assert_cmphex(v->doorbells_size, ==, 64 * VKFD_DOORBELL_PAGE_SIZE);
    g_assert_cmphex(v->vram_size, ==, 16 * 1024 * 1024);

    /* VRAM is plain memory behind the BAR. */
    qpci_io_writeq(v->dev, v->vram, 0xfff000, 0x0123456789abcdefULL);
    g_assert_cmphex(qpci_io_readq(v->dev, v->vram, 0xfff000), ==,
                    0x0123456789abcdefULL);
    vkfd_stop(v);
}

static void test_bad_register_access(void)
{
    Vkfd *v = vkfd_start(NULL);

    /* Narrow, wide and unaligned accesses are refused and counted. */
    g_assert_cmphex(qpci_io_readb(v->dev, v->regs, VKFD_REG_ID), ==, 0xff);
    g_assert_cmphex(qpci_io_readw(v->dev, v->regs, VKFD_REG_ID), ==, 0xffff);
    g_assert_cmphex(qpci_io_readq(v->dev, v->regs, VKFD_REG_ID), ==, ~0ULL);
    qpci_io_writeb(v->dev, v->regs, VKFD_REG_CONTROL, VKFD_CONTROL_ENABLE);
    qpci_io_writew(v->dev, v->regs, VKFD_REG_SCHED_SIZE + 2, 0x1000);
    g_assert_cmpuint(rd(v, VKFD_REG_ACCESS_ERRORS), ==, 5);
    g_assert_cmphex(rd(v, VKFD_REG_CONTROL), ==, 0);

    /* Unknown and read-only registers */
    g_assert_cmphex(rd(v, 0xffc), ==, 0);
    wr(v, 0xffc, 1);
    wr(v, VKFD_REG_MAX_CONTEXTS, 7);
    wr(v, VKFD_REG_SCHED_RPTR, 0x40);
    g_assert_cmpuint(rd(v, VKFD_REG_ACCESS_ERRORS), ==, 9);
    g_assert_cmpuint(rd(v, VKFD_REG_MAX_CONTEXTS), ==, 1024);
    g_assert_cmpuint(rd(v, VKFD_REG_SCHED_RPTR), ==, 0);

    /* The last register slot of the BAR is unassigned too. */
    qpci_io_writel(v->dev, v->regs, VKFD_REGS_SIZE - 4, 0xdeadbeef);
    g_assert_cmpuint(rd(v, VKFD_REG_ACCESS_ERRORS), ==, 10);
    g_assert_cmphex(rd(v, VKFD_REG_ID), ==, VKFD_ID_MAGIC);
    vkfd_stop(v);
}

static void test_map_unmap(void)
{
    Vkfd *v = vkfd_start(NULL);

    ring_enable(v);
    g_assert_cmpuint(submit(v, VKFD_CMD_NOP, 0), ==, VKFD_ST_OK);
    g_assert_cmpuint(submit(v, VKFD_CMD_MAP_CONTEXT, 1), ==, VKFD_ST_OK);
    g_assert_cmpuint(submit(v, VKFD_CMD_MAP_CONTEXT, 1023), ==, VKFD_ST_OK);
    g_assert_cmpuint(rd(v, VKFD_REG_NUM_CONTEXTS), ==, 2);
    g_assert_cmpuint(submit(v, VKFD_CMD_UNMAP_CONTEXT, 1), ==, VKFD_ST_OK);
    g_assert_cmpuint(rd(v, VKFD_REG_NUM_CONTEXTS), ==, 1);
    /* A context id is reusable once unmapped. */
    g_assert_cmpuint(submit(v, VKFD_CMD_MAP_CONTEXT, 1), ==, VKFD_ST_OK);
    g_assert_cmpuint(submit(v, VKFD_CMD_UNMAP_CONTEXT, 1), ==, VKFD_ST_OK);
    g_assert_cmpuint(submit(v, VKFD_CMD_UNMAP_CONTEXT, 1023), ==, VKFD_ST_OK);
    g_assert_cmpuint(rd(v, VKFD_REG_NUM_CONTEXTS), ==, 0);
    g_assert_cmpuint(rd(v, VKFD_REG_SCHED_COMPLETED), ==, 7);
    g_assert_cmpuint(rd(v, VKFD_REG_SCHED_ERROR), ==, VKFD_ST_OK);
    vkfd_stop(v);
}

static void test_bad_commands(void)
{
    Vkfd *v = vkfd_start(NULL);
    struct vkfd_sched_cmd cmd;

    ring_enable(v);
    g_assert_cmpuint(submit(v, VKFD_CMD_MAP_CONTEXT, 5), ==, VKFD_ST_OK);

    g_assert_cmpuint(submit(v, VKFD_CMD_MAP_CONTEXT, 5), ==,
                     VKFD_ST_CONTEXT_MAPPED);
    g_assert_cmpuint(submit(v, VKFD_CMD_UNMAP_CONTEXT, 6), ==,
                     VKFD_ST_CONTEXT_NOT_MAPPED);
    g_assert_cmpuint(submit(v, VKFD_CMD_MAP_CONTEXT, VKFD_KERNEL_CONTEXT), ==,
                     VKFD_ST_BAD_CONTEXT);
    g_assert_cmpuint(submit(v, VKFD_CMD_MAP_CONTEXT, 1024), ==,
                     VKFD_ST_BAD_CONTEXT);
    g_assert_cmpuint(submit(v, VKFD_CMD_UNMAP_CONTEXT, 0xffffffff), ==,
                     VKFD_ST_BAD_CONTEXT);
    g_assert_cmpuint(submit(v, 0xee, 1), ==, VKFD_ST_BAD_OPCODE);
    g_assert_cmpuint(rd(v, VKFD_REG_SCHED_ERROR), ==, VKFD_ST_BAD_OPCODE);
    g_assert_cmpuint(rd(v, VKFD_REG_SCHED_ERROR_RPTR), ==, 6 * CMD_SIZE);
    /* queue commands without an MQD or a queue (more in /vkfd/queue/) */
    g_assert_cmpuint(submit(v, VKFD_CMD_MAP_QUEUE, 5), ==, VKFD_ST_BAD_MQD);
    g_assert_cmpuint(submit(v, VKFD_CMD_UNMAP_QUEUE, 5), ==,
                     VKFD_ST_NO_QUEUE);
    g_assert_cmpuint(submit(v, VKFD_CMD_MAP_QUEUE, 6), ==,
                     VKFD_ST_CONTEXT_NOT_MAPPED);

    /* Reserved fields must be zero; the command then does nothing. */
    sched_cmd(&cmd, VKFD_CMD_MAP_CONTEXT, 7);
    cmd.reserved1 = 1;
    g_assert_cmpuint(submit_cmd(v, &cmd), ==, VKFD_ST_BAD_ARGUMENT);
    sched_cmd(&cmd, VKFD_CMD_MAP_CONTEXT, 7);
    cmd.flags = 0x80;
    g_assert_cmpuint(submit_cmd(v, &cmd), ==, VKFD_ST_BAD_ARGUMENT);
    sched_cmd(&cmd, VKFD_CMD_MAP_CONTEXT, 7);
    cmd.u.raw[4] = 1;
    g_assert_cmpuint(submit_cmd(v, &cmd), ==, VKFD_ST_BAD_ARGUMENT);
    sched_cmd(&cmd, VKFD_CMD_MAP_CONTEXT, 7);
    cmd.u.map_context.pt_base = 0x1234;     /* not page aligned */
    g_assert_cmpuint(submit_cmd(v, &cmd), ==, VKFD_ST_BAD_ARGUMENT);
    sched_cmd(&cmd, VKFD_CMD_UNMAP_CONTEXT, 5);
    cmd.u.raw[0] = 1;
    g_assert_cmpuint(submit_cmd(v, &cmd), ==, VKFD_ST_BAD_ARGUMENT);
    g_assert_cmpuint(rd(v, VKFD_REG_NUM_CONTEXTS), ==, 1);

    /* A fence the device cannot write: unaligned, or not memory at all. */
    sched_cmd(&cmd, VKFD_CMD_MAP_CONTEXT, 8);
    cmd.fence_addr = v->fences + 4;
    ring_put(v, &cmd);
    sched_cmd(&cmd, VKFD_CMD_MAP_CONTEXT, 9);
    cmd.fence_addr = 0xfffffffffff00000ULL;
    ring_put(v, &cmd);
    wr(v, VKFD_REG_SCHED_WPTR, v->wptr);
    ring_wait_idle(v);
    g_assert_cmpuint(rd(v, VKFD_REG_SCHED_ERROR), ==, VKFD_ST_DMA_ERROR);
    g_assert_cmpuint(rd(v, VKFD_REG_NUM_CONTEXTS), ==, 1);

    /* The ring keeps going after command errors. */
    g_assert_cmpuint(submit(v, VKFD_CMD_UNMAP_CONTEXT, 5), ==, VKFD_ST_OK);
    g_assert_cmpuint(rd(v, VKFD_REG_NUM_CONTEXTS), ==, 0);
    g_assert_cmphex(rd(v, VKFD_REG_STATUS), ==, VKFD_STATUS_ENABLED);
    vkfd_stop(v);
}

static void test_ring_errors(void)
{
    Vkfd *v = vkfd_start(NULL);
    static const uint32_t bad_sizes[] = { 0, 0x800, 0x1800, 0x200000 };
    struct vkfd_sched_cmd cmd = { .opcode = VKFD_CMD_NOP };
    unsigned i;

    /* WPTR before the ring is enabled */
    wr(v, VKFD_REG_SCHED_WPTR, 0x40);
    g_assert_cmpuint(rd(v, VKFD_REG_ACCESS_ERRORS), ==, 1);
    g_assert_cmpuint(rd(v, VKFD_REG_SCHED_WPTR), ==, 0);

    for (i = 0; i < ARRAY_SIZE(bad_sizes); i++) {
        ring_setup(v, v->ring, bad_sizes[i]);
        g_assert_cmphex(rd(v, VKFD_REG_STATUS), ==,
                        VKFD_STATUS_ENABLED | VKFD_STATUS_SCHED_HALTED);
        g_assert_cmphex(rd(v, VKFD_REG_SCHED_ERROR), ==, VKFD_ST_RING_CONFIG);
        wr(v, VKFD_REG_CONTROL, 0);
    }
    ring_setup(v, v->ring + 0x40, RING_SIZE);          /* unaligned base */
    g_assert_cmphex(rd(v, VKFD_REG_SCHED_ERROR), ==, VKFD_ST_RING_CONFIG);
    wr(v, VKFD_REG_CONTROL, 0);
    ring_setup(v, 0xfffffffffffff000ULL, RING_SIZE);   /* wraps */
    g_assert_cmphex(rd(v, VKFD_REG_SCHED_ERROR), ==, VKFD_ST_RING_CONFIG);
    wr(v, VKFD_REG_CONTROL, 0);

    /* Geometry cannot move while the ring runs. */
    ring_enable(v);
    wr(v, VKFD_REG_SCHED_SIZE, 0x2000);
    wr(v, VKFD_REG_SCHED_BASE_LO, 0);
    g_assert_cmphex(rd(v, VKFD_REG_SCHED_SIZE), ==, RING_SIZE);
    g_assert_cmphex(rd(v, VKFD_REG_SCHED_BASE_LO), ==, (uint32_t)v->ring);

    /* Unaligned and out-of-range WPTR halt the ring. */
    wr(v, VKFD_REG_SCHED_WPTR, 0x20);
    g_assert_cmphex(rd(v, VKFD_REG_STATUS), ==,
                    VKFD_STATUS_ENABLED | VKFD_STATUS_SCHED_HALTED);
    g_assert_cmphex(rd(v, VKFD_REG_SCHED_ERROR), ==, VKFD_ST_RING_WPTR);
    wr(v, VKFD_REG_CONTROL, 0);
    ring_enable(v);
    wr(v, VKFD_REG_SCHED_WPTR, RING_SIZE);
    g_assert_cmphex(rd(v, VKFD_REG_SCHED_ERROR), ==, VKFD_ST_RING_WPTR);
    wr(v, VKFD_REG_CONTROL, 0);

    /* A ring outside guest RAM halts on the first read. */
    ring_setup(v, 0xfffff00000000000ULL, RING_SIZE);
    g_assert_cmphex(rd(v, VKFD_REG_STATUS), ==, VKFD_STATUS_ENABLED);
    wr(v, VKFD_REG_SCHED_WPTR, CMD_SIZE);
    for (i = 0; i < 1000 && !(rd(v, VKFD_REG_STATUS) &
                              VKFD_STATUS_SCHED_HALTED); i++) {
        g_usleep(100);
    }
    g_assert_cmphex(rd(v, VKFD_REG_SCHED_ERROR), ==, VKFD_ST_RING_DMA);
    g_assert_cmphex(rd(v, VKFD_REG_SCHED_RPTR), ==, 0);
    wr(v, VKFD_REG_CONTROL, 0);

    /* Re-enabling a good ring recovers. */
    ring_enable(v);
    g_assert_cmpuint(submit_cmd(v, &cmd), ==, VKFD_ST_OK);
    g_assert_cmphex(rd(v, VKFD_REG_SCHED_ERROR), ==, VKFD_ST_OK);

    /* A device reset forgets everything. */
    g_assert_cmpuint(submit(v, VKFD_CMD_MAP_CONTEXT, 3), ==, VKFD_ST_OK);
    wr(v, VKFD_REG_CONTROL, VKFD_CONTROL_RESET);
    g_assert_cmphex(rd(v, VKFD_REG_STATUS), ==, 0);
    g_assert_cmphex(rd(v, VKFD_REG_SCHED_SIZE), ==, 0);
    g_assert_cmpuint(rd(v, VKFD_REG_NUM_CONTEXTS), ==, 0);
    g_assert_cmpuint(rd(v, VKFD_REG_ACCESS_ERRORS), ==, 0);
    vkfd_stop(v);
}

/* Fill the whole ring in one kick, many times over, so rptr wraps. */
static void test_ring_wrap(void)
{
    Vkfd *v = vkfd_start(NULL);
    uint32_t per_kick = RING_SIZE / CMD_SIZE - 1;
    uint32_t round, i, ctx;

    ring_enable(v);
    for (round = 0; round < 6; round++) {
        for (i = 0; i < per_kick; i++) {
            struct vkfd_sched_cmd cmd = {
                .opcode = round % 2 ? VKFD_CMD_UNMAP_CONTEXT
                                    : VKFD_CMD_MAP_CONTEXT,
                .ctx_id = 1 + i,
            };
            ring_put(v, &cmd);
        }
        wr(v, VKFD_REG_SCHED_WPTR, v->wptr);
        ring_wait_idle(v);
        g_assert_cmpuint(rd(v, VKFD_REG_NUM_CONTEXTS), ==,
                         round % 2 ? 0 : per_kick);
    }
    g_assert_cmpuint(rd(v, VKFD_REG_SCHED_COMPLETED), ==, 6 * per_kick);
    g_assert_cmpuint(rd(v, VKFD_REG_SCHED_ERROR), ==, VKFD_ST_OK);
    /* every fence of the last round says OK */
    for (ctx = 0; ctx < per_kick; ctx++) {
        uint32_t slot = (v->wptr / CMD_SIZE + RING_SIZE / CMD_SIZE - 1 - ctx) %
                        (RING_SIZE / CMD_SIZE);
        g_assert_cmpuint(qtest_readl(v->qts, v->fences + slot * 8 + 4), ==,
                         VKFD_ST_OK);
    }
    vkfd_stop(v);
}

/*
 * Random commands, some well formed, most not, against a model of which
 * contexts must be live.  The device must agree with the model after every
 * batch, answer every fence, and keep serving registers.
 */
static void test_random_commands(void)
{
    Vkfd *v = vkfd_start(",max-contexts=32");
    bool live[40] = { false };
    uint32_t expect_live = 0, round, i, reg;
    GRand *rand = g_rand_new_with_seed(0x6b6664);

    ring_enable(v);
    for (round = 0; round < 40; round++) {
        for (i = 0; i < RING_SIZE / CMD_SIZE - 1; i++) {
            struct vkfd_sched_cmd cmd;
            uint32_t ctx = g_rand_int_range(rand, 0, 40);
            bool garbage = g_rand_int_range(rand, 0, 4) == 0;
            unsigned j;

            sched_cmd(&cmd, g_rand_int_range(rand, 0, 4) ?
                            g_rand_int_range(rand, 1, 3) :
                            g_rand_int_range(rand, 0, 256), ctx);
            if (garbage) {
                for (j = 0; j < ARRAY_SIZE(cmd.u.raw); j++) {
                    cmd.u.raw[j] = ((uint64_t)g_rand_int(rand) << 32) |
                                   g_rand_int(rand);
                }
                cmd.reserved0 = g_rand_int(rand);
                cmd.flags = g_rand_int(rand) & 0xfe;
            }
            ring_put(v, &cmd);

            /* the model: only clean MAP/UNMAP of a valid id do anything */
            if (garbage || ctx == 0 || ctx >= 32) {
                continue;
            }
            if (cmd.opcode == VKFD_CMD_MAP_CONTEXT && !live[ctx]) {
                live[ctx] = true;
                expect_live++;
            } else if (cmd.opcode == VKFD_CMD_UNMAP_CONTEXT && live[ctx]) {
                live[ctx] = false;
                expect_live--;
            }
        }
        /* and noise on the registers that must ignore it */
        reg = g_rand_int_range(rand, 0, VKFD_REGS_SIZE / 4) * 4;
        if (reg != VKFD_REG_CONTROL && (reg < VKFD_REG_SCHED_BASE_LO ||
                                        reg > VKFD_REG_SCHED_COMPLETED)) {
            wr(v, reg, g_rand_int(rand));
        }
        g_assert_cmphex(rd(v, VKFD_REG_STATUS), ==, VKFD_STATUS_ENABLED);
        wr(v, VKFD_REG_SCHED_WPTR, v->wptr);
        ring_wait_idle(v);
        g_assert_cmpuint(rd(v, VKFD_REG_NUM_CONTEXTS), ==, expect_live);
    }
    g_assert_cmphex(rd(v, VKFD_REG_ID), ==, VKFD_ID_MAGIC);
    g_rand_free(rand);
    vkfd_stop(v);
}

/*
 * SET_TRAP.  The device has no register that shows a context's trap
 * handler: the tests read it where it leaves the device, in the
 * migration stream (subsection "vkfd/trap": a big-endian TBA and TMA per
 * context id, present only while a context has a handler), and go on
 * with the machine that loaded it.
 */
#define TRAP_SUBSECTION "\x09" "vkfd/trap"

static uint32_t set_trap(Vkfd *v, uint32_t ctx, uint64_t tba, uint64_t tma)
{
    struct vkfd_sched_cmd cmd;

    sched_cmd(&cmd, VKFD_CMD_SET_TRAP, ctx);
    cmd.u.set_trap.tba = tba;
    cmd.u.set_trap.tma = tma;
    return submit_cmd(v, &cmd);
}

/*
 * Migrate v through a file (as vkfd_migrate) and return what the stream
 * says about ctx's trap handler: false if the subsection is absent.
 */
static bool trap_hop(Vkfd *v, uint32_t ctx, uint64_t *tba, uint64_t *tma)
{
    g_autofree char *file = g_strdup_printf("%s/vkfd-trap-%d",
                                            g_get_tmp_dir(), getpid());
    g_autofree char *uri = g_strdup_printf("exec:cat > %s", file);
    g_autofree char *buf = NULL;
    QTestState *src = v->qts;
    const char *sub, *at;
    gsize len;

    qtest_qmp_assert_success(src, "{ 'execute': 'migrate', 'arguments': "
                             "{ 'uri': %s } }", uri);
    g_assert_true(migration_wait(src));
    g_assert_true(g_file_get_contents(file, &buf, &len, NULL));
    v->qts = qtest_initf("-M pc -nodefaults -device vkfd,addr=04.0"
                         VKFD_PROPS " -incoming 'exec:cat %s'", file);
    g_assert_true(migration_wait(v->qts));
    qtest_qmp_assert_success(v->qts, "{ 'execute': 'cont' }");
    unlink(file);
    g_free(v->dev);
    qpci_free_pc(v->bus);
    v->bus = qpci_new_pc(v->qts, NULL);
    v->dev = qpci_device_find(v->bus, VKFD_DEVFN);
    g_assert_nonnull(v->dev);
    qtest_quit(src);

    sub = memmem(buf, len, TRAP_SUBSECTION, strlen(TRAP_SUBSECTION));
    if (!sub) {
        return false;
    }
    /* after the name: the version, then 16 bytes per context */
    at = sub + strlen(TRAP_SUBSECTION) + 4 + 16 * ctx;
    g_assert_cmpuint(at + 16 - buf, <=, len);
    g_assert_cmphex(ldl_be_p(at - 16 * ctx - 4), ==, 1);
    *tba = ldq_be_p(at);
    *tma = ldq_be_p(at + 8);
    return true;
}

static void check_trap(Vkfd *v, uint32_t ctx, uint64_t tba, uint64_t tma)
{
    uint64_t got_tba = 0, got_tma = 0;

    g_assert_true(trap_hop(v, ctx, &got_tba, &got_tma));
    g_assert_cmphex(got_tba, ==, tba);
    g_assert_cmphex(got_tma, ==, tma);
}

static void test_set_trap(void)
{
    const uint64_t tba = 0x7fff12345600ull, tma = 0x7fff9abcde00ull;
    Vkfd *v = vkfd_start(NULL);
    struct vkfd_sched_cmd cmd;
    uint64_t x, y;
    unsigned i;

    ring_enable(v);
    g_assert_cmpuint(submit(v, VKFD_CMD_MAP_CONTEXT, 1), ==, VKFD_ST_OK);
    g_assert_cmpuint(submit(v, VKFD_CMD_MAP_CONTEXT, 1023), ==, VKFD_ST_OK);
    /* no handler anywhere: no subsection */
    g_assert_false(trap_hop(v, 1, &x, &y));

    g_assert_cmpuint(set_trap(v, 1, tba, tma), ==, VKFD_ST_OK);
    g_assert_cmpuint(set_trap(v, 1023, ~0ull, 1), ==, VKFD_ST_OK);

    /* bad contexts: the kernel's, out of range, not mapped */
    g_assert_cmpuint(set_trap(v, VKFD_KERNEL_CONTEXT, 1, 1), ==,
                     VKFD_ST_BAD_CONTEXT);
    g_assert_cmpuint(set_trap(v, 1024, 1, 1), ==, VKFD_ST_BAD_CONTEXT);
    g_assert_cmpuint(set_trap(v, 0xffffffff, 1, 1), ==, VKFD_ST_BAD_CONTEXT);
    g_assert_cmpuint(set_trap(v, 2, 1, 1), ==, VKFD_ST_CONTEXT_NOT_MAPPED);
    g_assert_cmpuint(rd(v, VKFD_REG_SCHED_ERROR), ==,
                     VKFD_ST_CONTEXT_NOT_MAPPED);
    /* flags, reserved fields and the unused payload must be zero */
    for (i = 0; i < 6; i++) {
        sched_cmd(&cmd, VKFD_CMD_SET_TRAP, 1);
        cmd.u.set_trap.tba = 0xbad;
        cmd.u.set_trap.tma = 0xbad;
        switch (i) {
        case 0:
            cmd.u.set_trap.flags = 1;
            break;
        case 1:
            cmd.u.set_trap.reserved = 0x80000000u;
            break;
        case 2:
            cmd.u.raw[3] = 1;
            break;
        case 3:
            cmd.u.raw[4] = 1ull << 63;
            break;
        case 4:
            cmd.reserved0 = 1;
            break;
        case 5:
            cmd.flags = 0x40;
            break;
        }
        g_assert_cmpuint(submit_cmd(v, &cmd), ==, VKFD_ST_BAD_ARGUMENT);
    }
    g_assert_cmpuint(rd(v, VKFD_REG_SCHED_ERROR), ==, VKFD_ST_BAD_ARGUMENT);
    g_assert_cmphex(rd(v, VKFD_REG_STATUS), ==, VKFD_STATUS_ENABLED);

    /* none of the failures changed anything; the values migrate */
    check_trap(v, 1, tba, tma);
    check_trap(v, 1023, ~0ull, 1);
    check_trap(v, 2, 0, 0);
    g_assert_cmpuint(rd(v, VKFD_REG_NUM_CONTEXTS), ==, 2);

    /* on the other side the ring goes on: replace one, clear the other */
    g_assert_cmpuint(set_trap(v, 1, tma, tba), ==, VKFD_ST_OK);
    g_assert_cmpuint(set_trap(v, 1023, 0, 0), ==, VKFD_ST_OK);
    check_trap(v, 1, tma, tba);
    check_trap(v, 1023, 0, 0);

    /* UNMAP_CONTEXT forgets it: a new context of that id has none */
    g_assert_cmpuint(submit(v, VKFD_CMD_UNMAP_CONTEXT, 1), ==, VKFD_ST_OK);
    g_assert_cmpuint(submit(v, VKFD_CMD_MAP_CONTEXT, 1), ==, VKFD_ST_OK);
    g_assert_false(trap_hop(v, 1, &x, &y));

    /* and so does a reset */
    g_assert_cmpuint(set_trap(v, 1, tba, tma), ==, VKFD_ST_OK);
    wr(v, VKFD_REG_CONTROL, VKFD_CONTROL_RESET);
    g_assert_cmpuint(rd(v, VKFD_REG_NUM_CONTEXTS), ==, 0);
    ring_enable(v);
    g_assert_cmpuint(submit(v, VKFD_CMD_MAP_CONTEXT, 1), ==, VKFD_ST_OK);
    g_assert_false(trap_hop(v, 1, &x, &y));
    vkfd_stop(v);
}

/*
 * A stream in which an unmapped context has a trap handler is a state
 * the device cannot reach: the destination refuses it (and exits), while
 * the same stream unchanged loads.
 */
static void test_set_trap_refused(void)
{
    g_autofree char *file = g_strdup_printf("%s/vkfd-trap-bad-%d",
                                            g_get_tmp_dir(), getpid());
    g_autofree char *uri = g_strdup_printf("exec:cat > %s", file);
    g_autofree char *in = g_strdup_printf("exec:cat %s", file);
    g_autofree char *orig = NULL;
    Vkfd *v = vkfd_start(NULL);
    QTestState *qts;
    char *sub;
    gsize len;
    int round, n;

    ring_enable(v);
    g_assert_cmpuint(submit(v, VKFD_CMD_MAP_CONTEXT, 1), ==, VKFD_ST_OK);
    g_assert_cmpuint(set_trap(v, 1, 0x1000, 0x2000), ==, VKFD_ST_OK);
    qtest_qmp_assert_success(v->qts, "{ 'execute': 'migrate', 'arguments': "
                             "{ 'uri': %s } }", uri);
    g_assert_true(migration_wait(v->qts));
    vkfd_stop(v);
    g_assert_true(g_file_get_contents(file, &orig, &len, NULL));
    sub = memmem(orig, len, TRAP_SUBSECTION, strlen(TRAP_SUBSECTION));
    g_assert_nonnull(sub);
    sub += strlen(TRAP_SUBSECTION) + 4;
    g_assert_cmphex(ldq_be_p(sub + 16), ==, 0x1000);
    g_assert_cmphex(ldq_be_p(sub + 32), ==, 0);

    for (round = 0; round < 3; round++) {
        g_autofree char *buf = g_memdup2(orig, len);

        if (round) {
            /* context 2 (unmapped) gets a TBA, or a TMA */
            stq_be_p(buf + (sub - orig) + 32 + 8 * (round - 1), 0x3000);
        }
        g_assert_true(g_file_set_contents(file, buf, len, NULL));
        qts = qtest_initf("-M pc -nodefaults -device vkfd,addr=04.0"
                          VKFD_PROPS " -incoming defer");
        qtest_qmp_assert_success(qts, "{ 'execute': 'migrate-incoming', "
                                 "'arguments': { 'uri': %s } }", in);
        if (!round) {
            g_assert_true(migration_wait(qts));
            qtest_quit(qts);
            continue;
        }
        for (n = 0; n < 30000 && qtest_probe_child(qts); n++) {
            g_usleep(1000);
        }
        g_assert_false(qtest_probe_child(qts));
        qtest_set_expected_status(qts, EXIT_FAILURE);
        qtest_quit(qts);
    }
    unlink(file);
}

static void test_msix(void)
{
    Vkfd *v = vkfd_start(NULL);
    uint64_t msg = guest_alloc(&v->alloc, 4);
    uint32_t off;
    struct vkfd_sched_cmd cmd = { .opcode = VKFD_CMD_NOP };

    qpci_msix_enable(v->dev);
    off = v->dev->msix_table_off + VKFD_VECTOR_SCHED * PCI_MSIX_ENTRY_SIZE;
    qpci_io_writel(v->dev, v->dev->msix_table_bar,
                   off + PCI_MSIX_ENTRY_LOWER_ADDR, (uint32_t)msg);
    qpci_io_writel(v->dev, v->dev->msix_table_bar,
                   off + PCI_MSIX_ENTRY_UPPER_ADDR, msg >> 32);
    qpci_io_writel(v->dev, v->dev->msix_table_bar,
                   off + PCI_MSIX_ENTRY_DATA, MSI_DATA);
    qpci_io_writel(v->dev, v->dev->msix_table_bar,
                   off + PCI_MSIX_ENTRY_VECTOR_CTRL, 0);
    qtest_writel(v->qts, msg, 0);

    ring_enable(v);
    /* without the IRQ flag: no message */
    g_assert_cmpuint(submit_cmd(v, &cmd), ==, VKFD_ST_OK);
    wait_msi(v->qts, msg, 0);
    /* with it: the message lands in guest RAM */
    sched_cmd(&cmd, VKFD_CMD_NOP, 0);
    cmd.flags = VKFD_CMD_F_IRQ;
    g_assert_cmpuint(submit_cmd(v, &cmd), ==, VKFD_ST_OK);
    wait_msi(v->qts, msg, MSI_DATA);

    /* a masked vector is left pending instead */
    qtest_writel(v->qts, msg, 0);
    qpci_io_writel(v->dev, v->dev->msix_table_bar,
                   off + PCI_MSIX_ENTRY_VECTOR_CTRL,
                   PCI_MSIX_ENTRY_CTRL_MASKBIT);
    sched_cmd(&cmd, VKFD_CMD_NOP, 0);
    cmd.flags = VKFD_CMD_F_IRQ;
    g_assert_cmpuint(submit_cmd(v, &cmd), ==, VKFD_ST_OK);
    wait_msix_pending(v->dev, VKFD_VECTOR_SCHED);
    wait_msi(v->qts, msg, 0);
    vkfd_stop(v);
}

static void test_doorbells(void)
{
    Vkfd *v = vkfd_start(NULL);

    ring_enable(v);
    /* nobody owns page 2 yet, and page 0 is the kernel's */
    qpci_io_writeq(v->dev, v->doorbells, 2 * VKFD_DOORBELL_PAGE_SIZE, 1);
    qpci_io_writeq(v->dev, v->doorbells, 0, 1);
    g_assert_cmpuint(rd(v, VKFD_REG_ACCESS_ERRORS), ==, 2);
    g_assert_cmpuint(submit(v, VKFD_CMD_MAP_CONTEXT, 2), ==, VKFD_ST_OK);
    /* owned, but no queue on that doorbell */
    qpci_io_writeq(v->dev, v->doorbells, 2 * VKFD_DOORBELL_PAGE_SIZE + 8, 1);
    /* odd sizes and alignments */
    qpci_io_writeb(v->dev, v->doorbells, 2 * VKFD_DOORBELL_PAGE_SIZE, 1);
    qpci_io_writel(v->dev, v->doorbells, 2 * VKFD_DOORBELL_PAGE_SIZE + 4, 1);
    g_assert_cmpuint(rd(v, VKFD_REG_ACCESS_ERRORS), ==, 5);
    /* reads are harmless */
    g_assert_cmphex(qpci_io_readq(v->dev, v->doorbells, 16), ==, 0);
    /* the last byte of the BAR */
    qpci_io_writeb(v->dev, v->doorbells, v->doorbells_size - 1, 1);
    g_assert_cmpuint(rd(v, VKFD_REG_ACCESS_ERRORS), ==, 6);
    vkfd_stop(v);
}

/* The identity registers in one go, to compare against a model. */
typedef struct GpuShape {
    uint32_t gfx_target_version, asic_id, cus, simd_per_cu, se, sh_per_se;
    uint32_t waves, sdma, sdma_queues, cp_queues, clk_mhz, fw;
} GpuShape;

static void check_shape(Vkfd *v, const GpuShape *want)
{
    g_assert_cmpuint(rd(v, VKFD_REG_GFX_TARGET_VERSION), ==,
                     want->gfx_target_version);
    g_assert_cmphex(rd(v, VKFD_REG_ASIC_DEVICE_ID), ==, want->asic_id);
    g_assert_cmpuint(rd(v, VKFD_REG_NUM_CU), ==, want->cus);
    g_assert_cmpuint(rd(v, VKFD_REG_SIMD_PER_CU), ==, want->simd_per_cu);
    g_assert_cmpuint(rd(v, VKFD_REG_NUM_SE), ==, want->se);
    g_assert_cmpuint(rd(v, VKFD_REG_SH_PER_SE), ==, want->sh_per_se);
    g_assert_cmpuint(rd(v, VKFD_REG_MAX_WAVES_PER_SIMD), ==, want->waves);
    g_assert_cmpuint(rd(v, VKFD_REG_WAVE_SIZE), ==, 64);
    g_assert_cmpuint(rd(v, VKFD_REG_LDS_SIZE_KB), ==, 64);
    g_assert_cmpuint(rd(v, VKFD_REG_NUM_SDMA_ENGINES), ==, want->sdma);
    g_assert_cmpuint(rd(v, VKFD_REG_SDMA_QUEUES_PER_ENGINE), ==,
                     want->sdma_queues);
    g_assert_cmpuint(rd(v, VKFD_REG_NUM_CP_QUEUES), ==, want->cp_queues);
    g_assert_cmpuint(rd(v, VKFD_REG_MAX_ENGINE_CLK_MHZ), ==, want->clk_mhz);
    g_assert_cmpuint(rd(v, VKFD_REG_FW_VERSION), ==, want->fw);
}

static void test_gpu_defaults(void)
{
    static const GpuShape want = {
        .gfx_target_version = 90010, .asic_id = 0x740f, .cus = 8,
        .simd_per_cu = 4, .se = 2, .sh_per_se = 1, .waves = 10, .sdma = 2,
        .sdma_queues = 8, .cp_queues = 24, .clk_mhz = 1700, .fw = 500,
    };
    Vkfd *v = vkfd_start(NULL);
    uint32_t reg;

    check_shape(v, &want);

    /* Identity is read-only: writes are refused, counted, change nothing. */
    for (reg = VKFD_REG_GFX_TARGET_VERSION; reg <= VKFD_REG_CLOCK_HI;
         reg += 4) {
        wr(v, reg, 0x5a5a5a5a);
    }
    g_assert_cmpuint(rd(v, VKFD_REG_ACCESS_ERRORS), ==,
                     (VKFD_REG_CLOCK_HI - VKFD_REG_GFX_TARGET_VERSION) / 4 + 1);
    check_shape(v, &want);
    /* and a device reset leaves it alone */
    wr(v, VKFD_REG_CONTROL, VKFD_CONTROL_RESET);
    check_shape(v, &want);
    vkfd_stop(v);
}

typedef struct TargetCase {
    const char *props;
    GpuShape want;
} TargetCase;

static void test_gpu_target(const void *opaque)
{
    const TargetCase *c = opaque;
    Vkfd *v = vkfd_start(c->props);

    check_shape(v, &c->want);
    vkfd_stop(v);
}

static const TargetCase target_cases[] = {
    { ",gfx-target=gfx900", { 90000, 0x6860, 8, 4, 2, 1, 10, 2, 2, 24,
                              1700, 500 } },
    { ",gfx-target=gfx902", { 90002, 0x15dd, 8, 4, 2, 1, 10, 2, 2, 24,
                              1700, 500 } },
    { ",gfx-target=gfx904", { 90004, 0x69a0, 8, 4, 2, 1, 10, 2, 2, 24,
                              1700, 500 } },
    { ",gfx-target=gfx906", { 90006, 0x66a1, 8, 4, 2, 1, 10, 2, 8, 24,
                              1700, 500 } },
    { ",gfx-target=gfx908", { 90008, 0x738c, 8, 4, 2, 1, 10, 2, 8, 24,
                              1700, 500 } },
    { ",gfx-target=gfx90c", { 90012, 0x1636, 8, 4, 2, 1, 10, 2, 2, 24,
                              1700, 500 } },
    /* every property set away from its default */
    { ",gfx-target=gfx90a,asic-id=0x7408,cu-count=104,simd-per-cu=2,"
      "shader-engines=8,sh-per-se=1,max-waves-per-simd=8,sdma-engines=5,"
      "sdma-queues-per-engine=4,cp-queues=32,max-engine-clock=1600,"
      "fw-version=78",
      { 90010, 0x7408, 104, 2, 8, 1, 8, 5, 4, 32, 1600, 78 } },
    { ",gfx-target=gfx906,cu-count=60,shader-engines=4,sh-per-se=1",
      { 90006, 0x66a1, 60, 4, 4, 1, 10, 2, 8, 24, 1700, 500 } },
    { ",gfx-target=gfx900,cu-count=64,shader-engines=2,sh-per-se=2",
      { 90000, 0x6860, 64, 4, 2, 2, 10, 2, 2, 24, 1700, 500 } },
};

/*
 * Start QEMU with one vkfd device configured by props and return its exit
 * status; a device QEMU accepts would run on, so `timeout` bounds it (and
 * its 124 is not what the callers look for).
 */
static int qemu_start_status(const char *props, char **err)
{
    g_autofree char *dev = g_strdup_printf("vkfd%s", props);
    const char *argv[] = {
        "timeout", "20", g_getenv("QTEST_QEMU_BINARY"),
        "-M", "pc", "-nodefaults", "-display", "none", "-device", dev,
        NULL,
    };
    g_autoptr(GError) gerr = NULL;
    int status;

    g_assert_nonnull(argv[2]);
    g_assert_true(g_spawn_sync(NULL, (char **)argv, NULL,
                               G_SPAWN_SEARCH_PATH |
                               G_SPAWN_STDOUT_TO_DEV_NULL,
                               NULL, NULL, NULL, err, &status, &gerr));
    g_assert_true(WIFEXITED(status));
    return WEXITSTATUS(status);
}

static void test_gpu_bad_properties(void)
{
    static const struct {
        const char *props, *why;
    } bad[] = {
        { ",gfx-target=gfx1100", "'gfx1100' is not supported" },
        { ",gfx-target=gfx909", "'gfx909' is not supported" },
        { ",gfx-target=gfx803", "'gfx803' is not supported" },
        { ",gfx-target=gfx90", "not a GFX target name" },
        { ",gfx-target=gfx090a", "not a GFX target name" },
        { ",gfx-target=gfx9g0", "not a GFX target name" },
        { ",gfx-target=vega10", "not a GFX target name" },
        { ",gfx-target=", "not a GFX target name" },
        { ",asic-id=0x10000", "asic-id must be" },
        { ",cu-count=0", "cu-count must be" },
        { ",cu-count=7", "does not divide" },
        { ",cu-count=40,shader-engines=2,sh-per-se=1", "CUs per shader array" },
        { ",cu-count=256", "cu-count must be" },
        { ",simd-per-cu=0", "simd-per-cu must be" },
        { ",simd-per-cu=5", "simd-per-cu must be" },
        { ",shader-engines=0", "shader-engines must be" },
        { ",shader-engines=16,cu-count=16", "shader-engines must be" },
        { ",sh-per-se=3,cu-count=12", "sh-per-se must be" },
        { ",max-waves-per-simd=0", "max-waves-per-simd must be" },
        { ",sdma-engines=0", "sdma-engines must be" },
        { ",sdma-queues-per-engine=9", "sdma-queues-per-engine must be" },
        { ",cp-queues=0", "cp-queues must be" },
        { ",cp-queues=33", "cp-queues must be" },
        { ",max-engine-clock=0", "max-engine-clock must be" },
        { ",fw-version=0", "fw-version must be" },
        { ",fw-version=1024", "fw-version must be" },
    };
    unsigned i;

    for (i = 0; i < ARRAY_SIZE(bad); i++) {
        g_autofree char *err = NULL;
        int status = qemu_start_status(bad[i].props, &err);

        if (status != 1 || !strstr(err, bad[i].why)) {
            g_test_message("-device vkfd%s: exit %d, stderr: %s",
                           bad[i].props, status, err);
        }
        g_assert_cmpint(status, ==, 1);
        g_assert_nonnull(strstr(err, bad[i].why));
    }
}

static uint64_t read_clock(Vkfd *v)
{
    uint32_t lo = rd(v, VKFD_REG_CLOCK_LO);

    return (uint64_t)rd(v, VKFD_REG_CLOCK_HI) << 32 | lo;
}

static void test_gpu_clock(void)
{
    Vkfd *v = vkfd_start(NULL);
    uint64_t t0, t1, t2;
    uint32_t hi;
    int i;

    /* Under qtest the virtual clock moves only when the test steps it. */
    t0 = read_clock(v);
    g_assert_cmpuint(read_clock(v), ==, t0);
    qtest_clock_step(v->qts, 1000);
    t1 = read_clock(v);
    g_assert_cmpuint(t1, ==, t0 + 1000);
    for (i = 0; i < 10; i++) {
        qtest_clock_step(v->qts, 12345);
        t2 = read_clock(v);
        g_assert_cmpuint(t2, ==, t1 + 12345);
        t1 = t2;
    }

    /* CLOCK_HI keeps the half latched by the last CLOCK_LO read. */
    rd(v, VKFD_REG_CLOCK_LO);
    hi = rd(v, VKFD_REG_CLOCK_HI);
    qtest_clock_step(v->qts, 1ULL << 32);
    g_assert_cmphex(rd(v, VKFD_REG_CLOCK_HI), ==, hi);
    g_assert_cmphex(rd(v, VKFD_REG_CLOCK_HI), ==, hi);
    t2 = read_clock(v);
    g_assert_cmphex(t2 >> 32, ==, hi + 1);
    g_assert_cmpuint(t2, ==, t1 + (1ULL << 32));

    /* A refused write neither moves nor latches anything. */
    qtest_clock_step(v->qts, 1ULL << 32);
    wr(v, VKFD_REG_CLOCK_LO, 0);
    wr(v, VKFD_REG_CLOCK_HI, 0);
    g_assert_cmphex(rd(v, VKFD_REG_CLOCK_HI), ==, hi + 1);
    g_assert_cmpuint(read_clock(v), ==, t2 + (1ULL << 32));

    /* Reset clears the latch; the clock itself runs on. */
    wr(v, VKFD_REG_CONTROL, VKFD_CONTROL_RESET);
    g_assert_cmphex(rd(v, VKFD_REG_CLOCK_HI), ==, 0);
    g_assert_cmpuint(read_clock(v), ==, t2 + (1ULL << 32));
    vkfd_stop(v);
}

/*
 * GPUVM.  The tests build page tables in guest memory with the helpers
 * below, map contexts onto them and drive translation with VM_FILL and
 * VM_COPY, checking the results in guest memory and through the VRAM BAR.
 */
#define VRAM_SIZE       (16 * MIB)
#define RAM_SIZE        (128 * MIB)     /* -M pc's default */
#define FAULT_ALL       (VKFD_VM_FAULT_VALID | VKFD_VM_FAULT_WRITE | \
                         VKFD_VM_FAULT_MULTIPLE | VKFD_VM_FAULT_PROTECTION)

/* Map the 2 MiB at va (aligned) with one level-0 table of 512 entries. */
static void pt_map_table(Vkfd *v, uint64_t root, uint64_t va,
                         const uint64_t *entries)
{
    uint64_t table = pt_alloc(v);

    qtest_bufwrite(v->qts, table, entries, PAGE);
    pt_set(v, root, va, 1, table | VKFD_PTE_VALID);
}

static void fill_cmd(struct vkfd_sched_cmd *cmd, uint32_t ctx, uint64_t va,
                     uint64_t size, uint32_t value)
{
    sched_cmd(cmd, VKFD_CMD_VM_FILL, ctx);
    cmd->u.vm_fill.va = va;
    cmd->u.vm_fill.size = size;
    cmd->u.vm_fill.value = value;
}

static void copy_cmd(struct vkfd_sched_cmd *cmd, uint32_t ctx, uint64_t dst,
                     uint64_t src, uint64_t size)
{
    sched_cmd(cmd, VKFD_CMD_VM_COPY, ctx);
    cmd->u.vm_copy.dst = dst;
    cmd->u.vm_copy.src = src;
    cmd->u.vm_copy.size = size;
}

static uint32_t vm_fill(Vkfd *v, uint32_t ctx, uint64_t va, uint64_t size,
                        uint32_t value)
{
    struct vkfd_sched_cmd cmd;

    fill_cmd(&cmd, ctx, va, size, value);
    return submit_cmd(v, &cmd);
}

static uint32_t vm_copy(Vkfd *v, uint32_t ctx, uint64_t dst, uint64_t src,
                        uint64_t size)
{
    struct vkfd_sched_cmd cmd;

    copy_cmd(&cmd, ctx, dst, src, size);
    return submit_cmd(v, &cmd);
}

/*
 * A command faulted at va: check what was latched (flags besides VALID:
 * VKFD_VM_FAULT_WRITE, _PROTECTION; the bits of ignore are not looked
 * at), then clear it.
 */
static void expect_fault_flags(Vkfd *v, uint32_t status, uint32_t ctx,
                               uint64_t va, uint32_t flags, uint32_t ignore)
{
    g_assert_cmpuint(status, ==, VKFD_ST_VM_FAULT);
    g_assert_cmphex(rd(v, VKFD_REG_VM_FAULT_STATUS) & ~ignore, ==,
                    VKFD_VM_FAULT_VALID | flags);
    g_assert_cmpuint(rd(v, VKFD_REG_VM_FAULT_CTX), ==, ctx);
    g_assert_cmphex(fault_addr(v), ==, va);
    wr(v, VKFD_REG_VM_FAULT_STATUS, FAULT_ALL);
    g_assert_cmphex(rd(v, VKFD_REG_VM_FAULT_STATUS), ==, 0);
}

/* ... whatever its cause (not present or protection) */
static void expect_fault(Vkfd *v, uint32_t status, uint32_t ctx, uint64_t va,
                         bool write)
{
    expect_fault_flags(v, status, ctx, va, write ? VKFD_VM_FAULT_WRITE : 0,
                       VKFD_VM_FAULT_PROTECTION);
}

/* ... a write to a page mapped read-only: a protection fault */
static void expect_fault_ro(Vkfd *v, uint32_t status, uint32_t ctx,
                            uint64_t va)
{
    expect_fault_flags(v, status, ctx, va,
                       VKFD_VM_FAULT_WRITE | VKFD_VM_FAULT_PROTECTION, 0);
}

/* ... an access to a page that is not mapped */
static void expect_fault_np(Vkfd *v, uint32_t status, uint32_t ctx,
                            uint64_t va, bool write)
{
    expect_fault_flags(v, status, ctx, va, write ? VKFD_VM_FAULT_WRITE : 0,
                       0);
}

/* Every dword of guest memory [addr, addr + len) is value. */
static void check_words(Vkfd *v, uint64_t addr, size_t len, uint32_t value)
{
    g_autofree uint32_t *buf = g_malloc(len);
    size_t i;

    qtest_bufread(v->qts, addr, buf, len);
    for (i = 0; i < len / 4; i++) {
        if (le32_to_cpu(buf[i]) != value) {
            g_test_message("at 0x%" PRIx64, addr + i * 4);
            g_assert_cmphex(le32_to_cpu(buf[i]), ==, value);
        }
    }
}

/* The same through the VRAM BAR, at an offset in VRAM. */
static void check_vram(Vkfd *v, uint64_t off, size_t len, uint32_t value)
{
    check_words(v, v->vram.addr + off, len, value);
}

/* A device with a ring, and context 1 mapped onto a fresh root table. */
static Vkfd *gpuvm_start(const char *extra, uint64_t *root)
{
    Vkfd *v = vkfd_start(extra);

    ring_enable(v);
    *root = pt_alloc(v);
    g_assert_cmpuint(map_ctx(v, 1, *root), ==, VKFD_ST_OK);
    return v;
}

static void test_gpuvm_registers(void)
{
    Vkfd *v = vkfd_start(NULL);
    uint32_t reg;

    for (reg = VKFD_REG_VM_FAULT_STATUS; reg <= VKFD_REG_HDP_FLUSHES;
         reg += 4) {
        g_assert_cmphex(rd(v, reg), ==, 0);
    }
    /* STATUS is write-1-to-clear: nothing to clear, nothing set */
    wr(v, VKFD_REG_VM_FAULT_STATUS, 0xffffffff);
    g_assert_cmphex(rd(v, VKFD_REG_VM_FAULT_STATUS), ==, 0);
    g_assert_cmpuint(rd(v, VKFD_REG_ACCESS_ERRORS), ==, 0);
    /* the others are read-only */
    for (reg = VKFD_REG_VM_FAULT_CTX; reg <= VKFD_REG_HDP_FLUSHES; reg += 4) {
        wr(v, reg, 0x12345678);
        g_assert_cmphex(rd(v, reg), ==, 0);
    }
    g_assert_cmpuint(rd(v, VKFD_REG_ACCESS_ERRORS), ==,
                     (VKFD_REG_HDP_FLUSHES - VKFD_REG_VM_FAULT_CTX) / 4 + 1);
    vkfd_stop(v);
}

/* VAs whose indices differ at every level, up to the top of 48 bits. */
static const uint64_t level_vas[] = {
    0x1000,                                                 /* 0/0/0/1 */
    (5ull << 39) | (7ull << 30) | (9ull << 21) | (11ull << 12),
    (6ull << 39) | (7ull << 30) | (9ull << 21) | (11ull << 12),
    (5ull << 39) | (8ull << 30) | (9ull << 21) | (11ull << 12),
    (5ull << 39) | (7ull << 30) | (10ull << 21) | (11ull << 12),
    (5ull << 39) | (7ull << 30) | (9ull << 21) | (12ull << 12),
    0x7ffffffff000ull,                                  /* 255/511/511/511 */
    0x800000000000ull,                                  /* 256/0/0/0 */
    0xfffffffff000ull,                                  /* the last page */
};

static void test_gpuvm_levels(void)
{
    const unsigned n = ARRAY_SIZE(level_vas);
    uint64_t root, target[ARRAY_SIZE(level_vas)];
    Vkfd *v = gpuvm_start(NULL, &root);
    unsigned i;

    /* even pages in VRAM, odd ones in guest memory */
    for (i = 0; i < n; i++) {
        if (i % 2) {
            target[i] = guest_alloc(&v->alloc, PAGE);
            pt_map(v, root, level_vas[i], target[i], PTE_SYS | PTE_W, 0);
        } else {
            pt_map(v, root, level_vas[i], (i + 1) * 0x10000, PTE_W, 0);
            target[i] = v->vram.addr + (i + 1) * 0x10000;
        }
    }
    for (i = 0; i < n; i++) {
        g_assert_cmpuint(vm_fill(v, 1, level_vas[i], PAGE, 0x1000 + i), ==,
                         VKFD_ST_OK);
    }
    for (i = 0; i < n; i++) {
        check_words(v, target[i], PAGE, 0x1000 + i);
    }

    /* a window inside each page */
    for (i = 0; i < n; i++) {
        g_assert_cmpuint(vm_fill(v, 1, level_vas[i] + 0x104, 8, 0xa5a5a5a5),
                         ==, VKFD_ST_OK);
        check_words(v, target[i] + 0x100, 4, 0x1000 + i);
        check_words(v, target[i] + 0x104, 8, 0xa5a5a5a5);
        check_words(v, target[i] + 0x10c, 4, 0x1000 + i);
    }

    /* whole pages from each VA to the next, VRAM <-> guest memory */
    for (i = n - 1; i > 0; i--) {
        g_assert_cmpuint(vm_copy(v, 1, level_vas[i], level_vas[i - 1], PAGE),
                         ==, VKFD_ST_OK);
    }
    for (i = 1; i < n; i++) {
        check_words(v, target[i], 0x104, 0x1000 + i - 1);
        check_words(v, target[i] + 0x104, 8, 0xa5a5a5a5);
        check_words(v, target[i] + 0x10c, PAGE - 0x10c, 0x1000 + i - 1);
    }
    g_assert_cmpuint(rd(v, VKFD_REG_VM_FAULT_COUNT), ==, 0);
    vkfd_stop(v);
}

static void test_gpuvm_huge(void)
{
    const uint64_t v2m_vram = 0x40000000, v2m_sys = 0x40200000;
    const uint64_t v1g_vram = 1ull << 39, v1g_sys = 3 * GIB;
    uint64_t root, sys2m, buf, last[PAGE / 8], now[PAGE / 8];
    Vkfd *v = gpuvm_start(NULL, &root);

    /* 2 MiB leaves: VRAM at 2 MiB, guest memory 2 MiB aligned */
    sys2m = QEMU_ALIGN_UP(guest_alloc(&v->alloc, 4 * MIB), 2 * MIB);
    pt_map(v, root, v2m_vram, 2 * MIB, PTE_W, 1);
    pt_map(v, root, v2m_sys, sys2m, PTE_SYS | PTE_W, 1);
    g_assert_cmpuint(vm_fill(v, 1, v2m_vram, 2 * MIB, 0x22222222), ==,
                     VKFD_ST_OK);
    g_assert_cmpuint(vm_fill(v, 1, v2m_sys, 2 * MIB, 0x33333333), ==,
                     VKFD_ST_OK);
    check_vram(v, 2 * MIB, 2 * MIB, 0x22222222);
    check_vram(v, 4 * MIB, PAGE, 0);
    check_words(v, sys2m, 2 * MIB, 0x33333333);
    /* a copy from one to the other, not page aligned */
    g_assert_cmpuint(vm_copy(v, 1, v2m_sys + 0x10, v2m_vram + 0xffc,
                             MIB + 8), ==, VKFD_ST_OK);
    check_words(v, sys2m, 0x10, 0x33333333);
    check_words(v, sys2m + 0x10, MIB + 8, 0x22222222);
    check_words(v, sys2m + MIB + 0x18, MIB - 0x18, 0x33333333);
    /* and the two 2 MiB VAs are adjacent: one range across both */
    g_assert_cmpuint(vm_fill(v, 1, v2m_vram + 2 * MIB - 8, 16, 0x44), ==,
                     VKFD_ST_OK);
    check_vram(v, 4 * MIB - 8, 8, 0x44);
    check_words(v, sys2m, 8, 0x44);

    /* 1 GiB of VRAM leaf at offset 0: only the first 16 MiB exist */
    pt_map(v, root, v1g_vram, 0, PTE_W, 2);
    g_assert_cmpuint(vm_fill(v, 1, v1g_vram + 0x1000, 0x10000, 0x55555555),
                     ==, VKFD_ST_OK);
    check_vram(v, 0x1000, 0x10000, 0x55555555);
    qtest_bufread(v->qts, v->vram.addr + VRAM_SIZE - PAGE, last, PAGE);
    expect_fault(v, vm_fill(v, 1, v1g_vram + VRAM_SIZE - PAGE, 2 * PAGE, 1),
                 1, v1g_vram + VRAM_SIZE, true);
    qtest_bufread(v->qts, v->vram.addr + VRAM_SIZE - PAGE, now, PAGE);
    g_assert_cmpint(memcmp(last, now, PAGE), ==, 0);

    /* 1 GiB of guest memory at bus address 0: the RAM in it works */
    pt_map(v, root, v1g_sys, 0, PTE_SYS | PTE_W, 2);
    buf = guest_alloc(&v->alloc, 0x10000);
    g_assert_cmpuint(vm_fill(v, 1, v1g_sys + buf, 0x10000, 0x66666666), ==,
                     VKFD_ST_OK);
    check_words(v, buf, 0x10000, 0x66666666);
    qtest_bufread(v->qts, RAM_SIZE - PAGE, last, PAGE);
    expect_fault(v, vm_fill(v, 1, v1g_sys + RAM_SIZE - PAGE, 2 * PAGE, 1),
                 1, v1g_sys + RAM_SIZE, true);
    qtest_bufread(v->qts, RAM_SIZE - PAGE, now, PAGE);
    g_assert_cmpint(memcmp(last, now, PAGE), ==, 0);
    /* 1 GiB VRAM leaf to 1 GiB system leaf */
    g_assert_cmpuint(vm_copy(v, 1, v1g_sys + buf + 0x100, v1g_vram + 0x1000,
                             0x200), ==, VKFD_ST_OK);
    check_words(v, buf + 0xfc, 4, 0x66666666);
    check_words(v, buf + 0x100, 0x200, 0x55555555);
    check_words(v, buf + 0x300, 4, 0x66666666);

    /* huge leaves must be aligned to their size */
    pt_map(v, root, 0x40400000, 0x1000, PTE_W, 1);
    expect_fault_np(v, vm_fill(v, 1, 0x40400000, 4, 1), 1, 0x40400000, true);
    pt_map(v, root, 4 * GIB, 2 * MIB, PTE_W, 2);
    expect_fault(v, vm_fill(v, 1, 4 * GIB, 4, 1), 1, 4 * GIB, true);
    pt_map(v, root, 5 * GIB, sys2m, PTE_SYS | PTE_W, 2);
    expect_fault(v, vm_fill(v, 1, 5 * GIB, 4, 1), 1, 5 * GIB, true);
    /* and there are no 512 GiB leaves */
    pt_set(v, root, 2ull << 39, 3,
           VKFD_PTE_VALID | PTE_W | VKFD_PDE_HUGE);
    expect_fault(v, vm_copy(v, 1, v2m_vram, 2ull << 39, 4), 1, 2ull << 39,
                 false);
    check_vram(v, 2 * MIB, 4, 0x22222222);
    g_assert_cmpuint(rd(v, VKFD_REG_VM_FAULT_COUNT), ==, 6);
    vkfd_stop(v);
}

static void test_gpuvm_permissions(void)
{
    const uint64_t ro = 0x10000, rw = 0x20000, sys_ro = 0x30000;
    uint64_t root, sys;
    Vkfd *v = gpuvm_start(NULL, &root);

    sys = guest_alloc(&v->alloc, PAGE);
    pt_map(v, root, ro, 0x5000, 0, 0);
    pt_map(v, root, rw, 0x6000, PTE_W, 0);
    pt_map(v, root, sys_ro, sys, PTE_SYS, 0);
    qtest_memset(v->qts, v->vram.addr + 0x5000, 0x11, PAGE);
    qtest_memset(v->qts, sys, 0x22, PAGE);

    /* reads of read-only pages work */
    g_assert_cmpuint(vm_copy(v, 1, rw, ro, 0x800), ==, VKFD_ST_OK);
    g_assert_cmpuint(vm_copy(v, 1, rw + 0x800, sys_ro + 0x800, 0x800), ==,
                     VKFD_ST_OK);
    check_vram(v, 0x6000, 0x800, 0x11111111);
    check_vram(v, 0x6800, 0x800, 0x22222222);
    /* writes fault, and say so */
    expect_fault_ro(v, vm_fill(v, 1, ro + 0x10, 4, 0), 1, ro + 0x10);
    expect_fault(v, vm_copy(v, 1, sys_ro, rw, 0x100), 1, sys_ro, true);
    check_vram(v, 0x5000, PAGE, 0x11111111);
    check_words(v, sys, PAGE, 0x22222222);
    g_assert_cmpuint(rd(v, VKFD_REG_VM_FAULT_COUNT), ==, 2);
    vkfd_stop(v);
}

/* Entries the device must refuse, each at its own VA. */
enum { BAD_LITERAL, BAD_TABLE, BAD_IN_BAR0 };

static void test_gpuvm_bad_entries(void)
{
    const uint64_t V = VKFD_PTE_VALID;
    uint64_t root, va, sys, e;
    Vkfd *v = gpuvm_start(NULL, &root);
    const struct {
        int level;
        int what;           /* BAD_*: what the entry points at */
        uint64_t entry;     /* or, with the table and the others, bits */
    } bad[] = {
        /* directory entries: VALID and an address, nothing else */
        { 2, BAD_TABLE, V | PTE_W },
        { 1, BAD_TABLE, V | PTE_SYS },
        { 2, BAD_TABLE, V | 1ull << 8 },
        { 1, BAD_TABLE, V | 1ull << 63 },
        { 2, BAD_TABLE, V | 1ull << 52 },
        { 1, BAD_TABLE, V | 1ull << 11 },
        /* leaves: VALID, SYSTEM, WRITE and an address */
        { 0, BAD_LITERAL, V | 0x1000 | PTE_W | 1ull << 3 },
        { 0, BAD_LITERAL, V | 0x1000 | PTE_W | VKFD_PDE_HUGE },
        { 0, BAD_LITERAL, V | 0x1000 | PTE_W | 1ull << 63 },
        { 0, BAD_LITERAL, V | 0x1000 | PTE_W | 1ull << 52 },
        { 1, BAD_LITERAL, V | 2 * MIB | PTE_W | VKFD_PDE_HUGE | 1ull << 4 },
        /* not valid, however good the rest looks */
        { 0, BAD_LITERAL, 0x1000 | PTE_W },
        { 2, BAD_TABLE, 0 },
        /* tables and pages where there is no memory */
        { 2, BAD_LITERAL, V | 0x1000000000ull },
        { 0, BAD_LITERAL, V | 0x1000000000ull | PTE_SYS | PTE_W },
        { 0, BAD_LITERAL, V | VRAM_SIZE | PTE_W },
        { 0, BAD_LITERAL, V | (VRAM_SIZE * 4) | PTE_W },
        /*
         * our own registers: a walk or a leaf must never reach them (a
         * leaf on the remap page, an MMIO_REMAP BO, is an HDP flush:
         * vkfd-engine-test /vkfd/sdma/gpu-doorbell)
         */
        { 1, BAD_IN_BAR0, V },
        { 0, BAD_IN_BAR0, V | PTE_SYS | PTE_W },
        /* nor ROM for writes, nor another device's (the I/O APIC) */
        { 0, BAD_LITERAL, V | 0xfffff000 | PTE_SYS | PTE_W },
        { 0, BAD_LITERAL, V | 0xfec00000 | PTE_SYS | PTE_W },
        { 2, BAD_LITERAL, V | 0xfec00000 },
    };
    unsigned i;

    /* odd entries are written (VM_FILL), even ones read (VM_COPY) */
    sys = guest_alloc(&v->alloc, PAGE);
    for (i = 0; i < ARRAY_SIZE(bad); i++) {
        /* page 23: an 8-byte read of its entry in BAR0 is CLOCK_LO */
        va = ((uint64_t)(i + 1) << 30) + (23 << 12) + 0x40;
        e = bad[i].entry;
        switch (bad[i].what) {
        case BAD_TABLE:
            e |= pt_alloc(v);
            break;
        case BAD_IN_BAR0:
            e |= v->regs.addr;
            break;
        }
        pt_set(v, root, va, bad[i].level, e);
        if (i % 2) {
            expect_fault(v, vm_fill(v, 1, va, 4, 0), 1, va, true);
        } else {
            expect_fault(v, vm_copy(v, 1, va + 0x1000, va, 4), 1, va, false);
        }
    }
    /* walks and leaves never touched BAR0: no access errors, no flushes */
    g_assert_cmpuint(rd(v, VKFD_REG_ACCESS_ERRORS), ==, 0);
    g_assert_cmpuint(rd(v, VKFD_REG_HDP_FLUSHES), ==, 0);
    g_assert_cmpuint(rd(v, VKFD_REG_VM_FAULT_COUNT), ==, ARRAY_SIZE(bad));

    /* ROM reads are fine */
    pt_map(v, root, 0x8000, 0xfffff000, PTE_SYS, 0);
    pt_map(v, root, 0x9000, sys, PTE_SYS | PTE_W, 0);
    g_assert_cmpuint(vm_copy(v, 1, 0x9000, 0x8000, PAGE), ==, VKFD_ST_OK);
    check_words(v, sys + PAGE - 16, 4, qtest_readl(v->qts, 0xfffffff0));

    /* a system leaf may point at VRAM through its BAR: that is RAM */
    pt_map(v, root, 0x3000, v->vram.addr + 0x3000, PTE_SYS | PTE_W, 0);
    g_assert_cmpuint(vm_fill(v, 1, 0x3000, 0x100, 0x77777777), ==,
                     VKFD_ST_OK);
    check_vram(v, 0x3000, 0x100, 0x77777777);

    /* VAs past 48 bits, and a range that runs past them */
    expect_fault(v, vm_fill(v, 1, 1ull << 48, 4, 0), 1, 1ull << 48, true);
    expect_fault(v, vm_fill(v, 1, 0xffff800000000000ull, 4, 0), 1,
                 0xffff800000000000ull, true);
    expect_fault(v, vm_copy(v, 1, 0x3000, 0xfffffffffffff000ull, 4), 1,
                 0xfffffffffffff000ull, false);
    pt_map(v, root, 0xfffffffff000ull, sys, PTE_SYS | PTE_W, 0);
    qtest_memset(v->qts, sys, 0, PAGE);
    expect_fault(v, vm_fill(v, 1, 0xfffffffff000ull, 2 * PAGE, 9), 1,
                 1ull << 48, true);
    check_words(v, sys, PAGE, 0);
    g_assert_cmpuint(vm_fill(v, 1, 0xfffffffff000ull, PAGE, 9), ==,
                     VKFD_ST_OK);
    check_words(v, sys, PAGE, 9);

    /* a context without page tables faults everywhere */
    g_assert_cmpuint(map_ctx(v, 2, 0), ==, VKFD_ST_OK);
    expect_fault(v, vm_fill(v, 2, 0x3000, 4, 0), 2, 0x3000, true);
    expect_fault(v, vm_fill(v, 2, 0, 4, 0), 2, 0, true);
    /* and a root outside RAM too */
    g_assert_cmpuint(map_ctx(v, 3, 0xfffff000000ull), ==, VKFD_ST_OK);
    expect_fault(v, vm_copy(v, 3, 0x4000, 0x3000, 4), 3, 0x3000, false);
    g_assert_cmpuint(rd(v, VKFD_REG_ACCESS_ERRORS), ==, 0);
    g_assert_cmphex(rd(v, VKFD_REG_STATUS), ==, VKFD_STATUS_ENABLED);
    vkfd_stop(v);
}

static void test_gpuvm_fault_latch(void)
{
    uint64_t root;
    Vkfd *v = gpuvm_start(NULL, &root);

    g_assert_cmpuint(map_ctx(v, 2, 0), ==, VKFD_ST_OK);
    pt_map(v, root, 0x1000, 0x1000, PTE_W, 0);

    /* the first fault latches: a read in context 1 */
    g_assert_cmpuint(vm_copy(v, 1, 0x1000, 0xabc000, 4), ==,
                     VKFD_ST_VM_FAULT);
    g_assert_cmphex(rd(v, VKFD_REG_VM_FAULT_STATUS), ==, VKFD_VM_FAULT_VALID);
    g_assert_cmpuint(rd(v, VKFD_REG_VM_FAULT_CTX), ==, 1);
    g_assert_cmphex(fault_addr(v), ==, 0xabc000);
    g_assert_cmpuint(rd(v, VKFD_REG_VM_FAULT_COUNT), ==, 1);
    g_assert_cmpuint(rd(v, VKFD_REG_SCHED_ERROR), ==, VKFD_ST_VM_FAULT);

    /* the next only counts and sets MULTIPLE */
    g_assert_cmpuint(vm_fill(v, 2, 0x123456789ab0ull, 4, 0), ==,
                     VKFD_ST_VM_FAULT);
    g_assert_cmphex(rd(v, VKFD_REG_VM_FAULT_STATUS), ==,
                    VKFD_VM_FAULT_VALID | VKFD_VM_FAULT_MULTIPLE);
    g_assert_cmpuint(rd(v, VKFD_REG_VM_FAULT_CTX), ==, 1);
    g_assert_cmphex(fault_addr(v), ==, 0xabc000);
    g_assert_cmpuint(rd(v, VKFD_REG_VM_FAULT_COUNT), ==, 2);

    /* writing 0 clears nothing; clearing VALID re-arms the latch */
    wr(v, VKFD_REG_VM_FAULT_STATUS, 0);
    g_assert_cmphex(rd(v, VKFD_REG_VM_FAULT_STATUS), ==,
                    VKFD_VM_FAULT_VALID | VKFD_VM_FAULT_MULTIPLE);
    wr(v, VKFD_REG_VM_FAULT_STATUS, VKFD_VM_FAULT_VALID);
    g_assert_cmphex(rd(v, VKFD_REG_VM_FAULT_STATUS), ==,
                    VKFD_VM_FAULT_MULTIPLE);
    g_assert_cmphex(fault_addr(v), ==, 0xabc000);
    g_assert_cmpuint(vm_fill(v, 2, 0x123456789ab0ull, 4, 0), ==,
                     VKFD_ST_VM_FAULT);
    g_assert_cmphex(rd(v, VKFD_REG_VM_FAULT_STATUS), ==,
                    VKFD_VM_FAULT_VALID | VKFD_VM_FAULT_WRITE |
                    VKFD_VM_FAULT_MULTIPLE);
    g_assert_cmpuint(rd(v, VKFD_REG_VM_FAULT_CTX), ==, 2);
    g_assert_cmphex(fault_addr(v), ==, 0x123456789ab0ull);
    g_assert_cmpuint(rd(v, VKFD_REG_VM_FAULT_COUNT), ==, 3);
    wr(v, VKFD_REG_VM_FAULT_STATUS, VKFD_VM_FAULT_MULTIPLE);
    g_assert_cmphex(rd(v, VKFD_REG_VM_FAULT_STATUS), ==,
                    VKFD_VM_FAULT_VALID | VKFD_VM_FAULT_WRITE);
    wr(v, VKFD_REG_VM_FAULT_STATUS, 0xffffffff);
    g_assert_cmphex(rd(v, VKFD_REG_VM_FAULT_STATUS), ==, 0);

    /* a good command leaves the latch alone */
    g_assert_cmpuint(vm_fill(v, 1, 0x1000, 4, 0), ==, VKFD_ST_OK);
    g_assert_cmphex(rd(v, VKFD_REG_VM_FAULT_STATUS), ==, 0);
    g_assert_cmpuint(rd(v, VKFD_REG_VM_FAULT_COUNT), ==, 3);
    g_assert_cmpuint(rd(v, VKFD_REG_ACCESS_ERRORS), ==, 0);

    /* reset clears it all */
    g_assert_cmpuint(vm_fill(v, 2, 0x4000, 4, 0), ==, VKFD_ST_VM_FAULT);
    wr(v, VKFD_REG_CONTROL, VKFD_CONTROL_RESET);
    g_assert_cmphex(rd(v, VKFD_REG_VM_FAULT_STATUS), ==, 0);
    g_assert_cmphex(rd(v, VKFD_REG_VM_FAULT_CTX), ==, 0);
    g_assert_cmphex(fault_addr(v), ==, 0);
    g_assert_cmpuint(rd(v, VKFD_REG_VM_FAULT_COUNT), ==, 0);
    vkfd_stop(v);
}

/*
 * The TLB caches leaf translations until INVALIDATE_TLB: a changed PTE
 * is not seen before it, and is after.  Context map/unmap also start the
 * TLB afresh, and a translation in the same slot evicts: the slot is the
 * page number folded six bits at a time, so page 7 ^ 0x41 shares page
 * 7's (bit 6 folds onto bit 0).
 */
static void test_gpuvm_tlb(void)
{
    const uint64_t va = 0x7000, alias = ((va / PAGE) ^ 0x41) * PAGE;
    uint64_t root;
    Vkfd *v = gpuvm_start(NULL, &root);
    struct vkfd_sched_cmd cmd;

    pt_map(v, root, va, 0x10000, PTE_W, 0);
    pt_map(v, root, alias, 0x30000, PTE_W, 0);
    g_assert_cmpuint(vm_fill(v, 1, va, PAGE, 1), ==, VKFD_ST_OK);
    check_vram(v, 0x10000, PAGE, 1);

    /* remap without invalidating: the old translation is still used */
    pt_map(v, root, va, 0x20000, PTE_W, 0);
    g_assert_cmpuint(vm_fill(v, 1, va, PAGE, 2), ==, VKFD_ST_OK);
    check_vram(v, 0x10000, PAGE, 2);
    check_vram(v, 0x20000, PAGE, 0);
    g_assert_cmpuint(submit(v, VKFD_CMD_INVALIDATE_TLB, 1), ==, VKFD_ST_OK);
    g_assert_cmpuint(vm_fill(v, 1, va, PAGE, 3), ==, VKFD_ST_OK);
    check_vram(v, 0x10000, PAGE, 2);
    check_vram(v, 0x20000, PAGE, 3);

    /* unmapping a page: usable until the invalidation, then faults */
    pt_set(v, root, va, 0, 0);
    g_assert_cmpuint(vm_fill(v, 1, va, 4, 4), ==, VKFD_ST_OK);
    check_vram(v, 0x20000, 4, 4);
    g_assert_cmpuint(submit(v, VKFD_CMD_INVALIDATE_TLB, 1), ==, VKFD_ST_OK);
    expect_fault(v, vm_fill(v, 1, va, 4, 5), 1, va, true);

    /* making a page read-only: the cached permission holds until then */
    pt_map(v, root, va, 0x20000, PTE_W, 0);
    g_assert_cmpuint(submit(v, VKFD_CMD_INVALIDATE_TLB, 1), ==, VKFD_ST_OK);
    g_assert_cmpuint(vm_fill(v, 1, va, 4, 6), ==, VKFD_ST_OK);
    pt_map(v, root, va, 0x20000, 0, 0);
    g_assert_cmpuint(vm_fill(v, 1, va, 4, 7), ==, VKFD_ST_OK);
    g_assert_cmpuint(submit(v, VKFD_CMD_INVALIDATE_TLB, 1), ==, VKFD_ST_OK);
    expect_fault_ro(v, vm_fill(v, 1, va, 4, 8), 1, va);
    check_vram(v, 0x20000, 4, 7);

    /* a translation that lands in the same slot evicts the old one */
    pt_map(v, root, va, 0x10000, PTE_W, 0);
    g_assert_cmpuint(submit(v, VKFD_CMD_INVALIDATE_TLB, 1), ==, VKFD_ST_OK);
    g_assert_cmpuint(vm_fill(v, 1, va, 4, 9), ==, VKFD_ST_OK);
    pt_map(v, root, va, 0x20000, PTE_W, 0);
    g_assert_cmpuint(vm_fill(v, 1, alias, 4, 10), ==, VKFD_ST_OK);
    g_assert_cmpuint(vm_fill(v, 1, va, 4, 11), ==, VKFD_ST_OK);
    check_vram(v, 0x10000, 4, 9);
    check_vram(v, 0x20000, 4, 11);
    check_vram(v, 0x30000, 4, 10);

    /* unmap and map again: a fresh TLB */
    pt_map(v, root, va, 0x10000, PTE_W, 0);
    g_assert_cmpuint(submit(v, VKFD_CMD_UNMAP_CONTEXT, 1), ==, VKFD_ST_OK);
    g_assert_cmpuint(map_ctx(v, 1, root), ==, VKFD_ST_OK);
    g_assert_cmpuint(vm_fill(v, 1, va, 4, 12), ==, VKFD_ST_OK);
    check_vram(v, 0x10000, 4, 12);
    check_vram(v, 0x20000, 4, 11);

    /* INVALIDATE_TLB wants a live context and no payload */
    g_assert_cmpuint(submit(v, VKFD_CMD_INVALIDATE_TLB, 2), ==,
                     VKFD_ST_CONTEXT_NOT_MAPPED);
    g_assert_cmpuint(submit(v, VKFD_CMD_INVALIDATE_TLB, 0), ==,
                     VKFD_ST_BAD_CONTEXT);
    g_assert_cmpuint(submit(v, VKFD_CMD_INVALIDATE_TLB, 1024), ==,
                     VKFD_ST_BAD_CONTEXT);
    sched_cmd(&cmd, VKFD_CMD_INVALIDATE_TLB, 1);
    cmd.u.raw[2] = 1;
    g_assert_cmpuint(submit_cmd(v, &cmd), ==, VKFD_ST_BAD_ARGUMENT);
    vkfd_stop(v);
}

/* Two contexts, two roots: neither sees the other's pages. */
static void test_gpuvm_contexts(void)
{
    const uint64_t va = 0x200000, only1 = 0x400000;
    uint64_t root1, root2, sys;
    Vkfd *v = gpuvm_start(NULL, &root1);

    root2 = pt_alloc(v);
    g_assert_cmpuint(map_ctx(v, 2, root2), ==, VKFD_ST_OK);
    sys = guest_alloc(&v->alloc, PAGE);
    pt_map(v, root1, va, 0x10000, PTE_W, 0);
    pt_map(v, root2, va, 0x20000, PTE_W, 0);
    pt_map(v, root1, only1, sys, PTE_SYS | PTE_W, 0);
    qtest_memset(v->qts, sys, 0x5a, PAGE);

    g_assert_cmpuint(vm_fill(v, 1, va, PAGE, 0x1111), ==, VKFD_ST_OK);
    g_assert_cmpuint(vm_fill(v, 2, va, PAGE, 0x2222), ==, VKFD_ST_OK);
    check_vram(v, 0x10000, PAGE, 0x1111);
    check_vram(v, 0x20000, PAGE, 0x2222);
    /* context 1's page is not in context 2's VA space */
    expect_fault(v, vm_copy(v, 2, va, only1, 4), 2, only1, false);
    expect_fault(v, vm_fill(v, 2, only1, 4, 0), 2, only1, true);
    check_words(v, sys, PAGE, 0x5a5a5a5a);
    g_assert_cmpuint(vm_copy(v, 1, va, only1, 8), ==, VKFD_ST_OK);
    check_vram(v, 0x10000, 8, 0x5a5a5a5a);
    check_vram(v, 0x20000, PAGE, 0x2222);

    /* invalidating one context leaves the other's TLB alone */
    pt_map(v, root1, va, 0x30000, PTE_W, 0);
    pt_map(v, root2, va, 0x30000, PTE_W, 0);
    g_assert_cmpuint(submit(v, VKFD_CMD_INVALIDATE_TLB, 1), ==, VKFD_ST_OK);
    g_assert_cmpuint(vm_fill(v, 1, va, 4, 0x3333), ==, VKFD_ST_OK);
    g_assert_cmpuint(vm_fill(v, 2, va, 4, 0x4444), ==, VKFD_ST_OK);
    check_vram(v, 0x30000, 4, 0x3333);
    check_vram(v, 0x20000, 4, 0x4444);
    vkfd_stop(v);
}

/* Every page is checked before a byte moves. */
static void test_gpuvm_atomic(void)
{
    const uint64_t base = 0x1000000;
    uint64_t root, sys, before[2 * PAGE / 8], after[2 * PAGE / 8];
    Vkfd *v = gpuvm_start(NULL, &root);
    unsigned i;

    /* five pages; the fifth missing, then read-only */
    sys = guest_alloc(&v->alloc, 4 * PAGE);
    for (i = 0; i < 4; i++) {
        pt_map(v, root, base + i * PAGE, 0x100000 + i * PAGE, PTE_W, 0);
        pt_map(v, root, base + 0x100000 + i * PAGE, sys + i * PAGE,
               PTE_SYS | PTE_W, 0);
    }
    g_assert_cmpuint(vm_fill(v, 1, base, 4 * PAGE, 0xc0c0c0c0), ==,
                     VKFD_ST_OK);
    expect_fault(v, vm_fill(v, 1, base + 0x10, 5 * PAGE, 1), 1,
                 base + 4 * PAGE, true);
    check_vram(v, 0x100000, 4 * PAGE, 0xc0c0c0c0);
    pt_map(v, root, base + 4 * PAGE, 0x100000 + 4 * PAGE, 0, 0);
    expect_fault_ro(v, vm_fill(v, 1, base + 0x10, 5 * PAGE - 0x10, 1), 1,
                    base + 4 * PAGE);
    check_vram(v, 0x100000, 4 * PAGE, 0xc0c0c0c0);
    /* a fault on the first page gives the first address */
    expect_fault_ro(v, vm_fill(v, 1, base + 4 * PAGE + 0x20, 4, 1), 1,
                    base + 4 * PAGE + 0x20);

    /* copies: the destination faults on its last page, or the source */
    qtest_memset(v->qts, sys, 0x3c, 4 * PAGE);
    qtest_bufread(v->qts, v->vram.addr + 0x100000 + 3 * PAGE, before,
                  2 * PAGE);
    expect_fault(v, vm_copy(v, 1, base + 0x8, base + 0x100000, 4 * PAGE), 1,
                 base + 4 * PAGE, true);
    check_vram(v, 0x100000, 4 * PAGE, 0xc0c0c0c0);
    expect_fault(v, vm_copy(v, 1, base + 0x100000, base + 0x2000,
                            3 * PAGE + 4), 1, base + 0x5000, false);
    check_words(v, sys, 4 * PAGE, 0x3c3c3c3c);
    qtest_bufread(v->qts, v->vram.addr + 0x100000 + 3 * PAGE, after,
                  2 * PAGE);
    g_assert_cmpint(memcmp(before, after, sizeof(before)), ==, 0);
    /* the part that is mapped copies */
    g_assert_cmpuint(vm_copy(v, 1, base + 0x8, base + 0x100000,
                             4 * PAGE - 8), ==, VKFD_ST_OK);
    check_vram(v, 0x100000, 8, 0xc0c0c0c0);
    check_vram(v, 0x100008, 4 * PAGE - 8, 0x3c3c3c3c);
    g_assert_cmpuint(rd(v, VKFD_REG_VM_FAULT_COUNT), ==, 5);
    vkfd_stop(v);
}

static void test_gpuvm_bad_args(void)
{
    uint64_t root;
    Vkfd *v = gpuvm_start(NULL, &root);
    struct vkfd_sched_cmd cmd;
    unsigned i;
    static const struct {
        uint64_t va, size;
    } bad_fills[] = {
        { 0x1000, 2 }, { 0x1000, 6 }, { 0x1002, 4 }, { 0x1001, 8 },
        { 0x1000, VKFD_VM_OP_MAX + 4 }, { 0, 1ull << 63 },
        { 0xfffffffffffffffcull, 8 }, { 0xfffffffffffff000ull, 0x2000 },
    };
    static const struct {
        uint64_t dst, src, size;
    } bad_copies[] = {
        { 0x2000, 0x1000, 2 }, { 0x2002, 0x1000, 4 }, { 0x2000, 0x1001, 4 },
        { 0x2000, 0x1000, VKFD_VM_OP_MAX + 4 },
        { 0x1004, 0x1000, 8 }, { 0x1000, 0x1004, 8 }, { 0x1000, 0x1000, 4 },
        { 0x1000, 0x800, 0x1000 },
        { 0x1000, 0xfffffffffffffff0ull, 0x20 },
        { 0xfffffffffffffff0ull, 0x1000, 0x20 },
    };

    pt_map(v, root, 0x1000, 0x1000, PTE_W, 0);
    pt_map(v, root, 0x2000, 0x2000, PTE_W, 0);
    for (i = 0; i < ARRAY_SIZE(bad_fills); i++) {
        g_assert_cmpuint(vm_fill(v, 1, bad_fills[i].va, bad_fills[i].size, 0),
                         ==, VKFD_ST_BAD_ARGUMENT);
    }
    for (i = 0; i < ARRAY_SIZE(bad_copies); i++) {
        g_assert_cmpuint(vm_copy(v, 1, bad_copies[i].dst, bad_copies[i].src,
                                 bad_copies[i].size), ==,
                         VKFD_ST_BAD_ARGUMENT);
    }
    /* flags and unused payload */
    fill_cmd(&cmd, 1, 0x1000, 4, 0);
    cmd.u.vm_fill.flags = 1;
    g_assert_cmpuint(submit_cmd(v, &cmd), ==, VKFD_ST_BAD_ARGUMENT);
    fill_cmd(&cmd, 1, 0x1000, 4, 0);
    cmd.u.raw[3] = 1;
    g_assert_cmpuint(submit_cmd(v, &cmd), ==, VKFD_ST_BAD_ARGUMENT);
    copy_cmd(&cmd, 1, 0x2000, 0x1000, 4);
    cmd.u.raw[3] = 1;
    g_assert_cmpuint(submit_cmd(v, &cmd), ==, VKFD_ST_BAD_ARGUMENT);
    copy_cmd(&cmd, 1, 0x2000, 0x1000, 4);
    cmd.u.raw[4] = 1ull << 63;
    g_assert_cmpuint(submit_cmd(v, &cmd), ==, VKFD_ST_BAD_ARGUMENT);
    copy_cmd(&cmd, 1, 0x2000, 0x1000, 4);
    cmd.reserved1 = 1;
    g_assert_cmpuint(submit_cmd(v, &cmd), ==, VKFD_ST_BAD_ARGUMENT);
    /* contexts */
    g_assert_cmpuint(vm_fill(v, 0, 0x1000, 4, 0), ==, VKFD_ST_BAD_CONTEXT);
    g_assert_cmpuint(vm_copy(v, 1024, 0x2000, 0x1000, 4), ==,
                     VKFD_ST_BAD_CONTEXT);
    g_assert_cmpuint(vm_fill(v, 7, 0x1000, 4, 0), ==,
                     VKFD_ST_CONTEXT_NOT_MAPPED);
    g_assert_cmpuint(vm_copy(v, 7, 0x2000, 0x1000, 4), ==,
                     VKFD_ST_CONTEXT_NOT_MAPPED);
    /* none of that translated anything */
    g_assert_cmpuint(rd(v, VKFD_REG_VM_FAULT_COUNT), ==, 0);
    check_vram(v, 0x1000, 2 * PAGE, 0);

    /* size 0 does nothing, wherever it points */
    g_assert_cmpuint(vm_fill(v, 1, 0xdead0000, 0, 1), ==, VKFD_ST_OK);
    g_assert_cmpuint(vm_copy(v, 1, 0xdead0000, 0xbeef0000, 0), ==,
                     VKFD_ST_OK);
    g_assert_cmpuint(vm_fill(v, 1, 1ull << 60, 0, 1), ==, VKFD_ST_OK);
    /* adjacent ranges are fine */
    g_assert_cmpuint(vm_fill(v, 1, 0x1000, PAGE, 0x12), ==, VKFD_ST_OK);
    g_assert_cmpuint(vm_copy(v, 1, 0x1800, 0x1000, 0x800), ==, VKFD_ST_OK);
    g_assert_cmpuint(vm_copy(v, 1, 0x2000, 0x1000, PAGE), ==, VKFD_ST_OK);
    check_vram(v, 0x1000, 2 * PAGE, 0x12);
    g_assert_cmpuint(rd(v, VKFD_REG_VM_FAULT_COUNT), ==, 0);
    g_assert_cmphex(rd(v, VKFD_REG_STATUS), ==, VKFD_STATUS_ENABLED);
    vkfd_stop(v);
}

/* Where the copy test maps its source and destination pages. */
#define BIG_SRC         (1ull << 41)
#define BIG_DST         ((1ull << 41) + GIB)
#define BIG_SRC_PAGES   1030

static uint64_t big_src_target(uint64_t block, uint64_t va)
{
    uint64_t page = (va - BIG_SRC) / PAGE;

    return block + (BIG_SRC_PAGES - 1 - page) * PAGE + va % PAGE;
}

/* As a VRAM offset: 4 KiB pages, then a 2 MiB leaf, then 4 KiB pages. */
static uint64_t big_dst_target(uint64_t va)
{
    uint64_t off = va - BIG_DST, page = off / PAGE;

    if (off < 2 * MIB) {
        return 12 * MIB + ((page * 7) % 512) * PAGE + va % PAGE;
    }
    if (off < 4 * MIB) {
        return 4 * MIB + off - 2 * MIB;
    }
    return 14 * MIB + (page - 1024) * PAGE + va % PAGE;
}

static void test_gpuvm_big(void)
{
    const uint64_t fill_va = 1ull << 40;
    const uint64_t src = BIG_SRC + 0x7f4, dst = BIG_DST + 0x3fc;
    const uint64_t size = 4 * MIB + 2 * PAGE + 12;
    uint64_t root, entries[512], block, fence[6], t, i, va, n;
    g_autofree uint8_t *data = g_malloc(BIG_SRC_PAGES * PAGE);
    g_autofree uint8_t *got = g_malloc(PAGE);
    Vkfd *v = gpuvm_start(NULL, &root);
    struct vkfd_sched_cmd cmd;
    gint64 start;
    GRand *rand = g_rand_new_with_seed(0x766d);

    /* the largest fill: 64 MiB of 4 KiB pages over VRAM, four times over */
    for (t = 0; t < VKFD_VM_OP_MAX / (2 * MIB); t++) {
        for (i = 0; i < 512; i++) {
            entries[i] = cpu_to_le64(((t * 512 + i) % (VRAM_SIZE / PAGE)) *
                                     PAGE | VKFD_PTE_VALID | PTE_W);
        }
        pt_map_table(v, root, fill_va + t * 2 * MIB, entries);
    }
    start = g_get_monotonic_time();
    g_assert_cmpuint(vm_fill(v, 1, fill_va, VKFD_VM_OP_MAX, 0x77777777), ==,
                     VKFD_ST_OK);
    g_test_message("64 MiB fill of 4 KiB pages: %" PRId64 " us",
                   g_get_monotonic_time() - start);
    check_vram(v, 0, VRAM_SIZE, 0x77777777);

    /* big commands in one kick: the device spreads them over runs */
    for (i = 0; i < ARRAY_SIZE(fence); i++) {
        fill_cmd(&cmd, 1, fill_va + i * 8 * MIB, 16 * MIB, 0x100 + i);
        fence[i] = ring_put(v, &cmd);
    }
    wr(v, VKFD_REG_SCHED_WPTR, v->wptr);
    ring_wait_idle(v);
    for (i = 0; i < ARRAY_SIZE(fence); i++) {
        g_assert_cmpuint(qtest_readl(v->qts, fence[i] + 4), ==, VKFD_ST_OK);
    }
    check_vram(v, 0, VRAM_SIZE, 0x100 + ARRAY_SIZE(fence) - 1);

    /*
     * A copy of 4 MiB + 2 pages + 12 bytes between unaligned VAs: from
     * guest pages mapped in reverse order to VRAM pages in shuffled
     * order, a 2 MiB leaf and more pages.
     */
    block = guest_alloc(&v->alloc, BIG_SRC_PAGES * PAGE);
    for (i = 0; i < BIG_SRC_PAGES * PAGE; i++) {
        data[i] = g_rand_int(rand);
    }
    qtest_bufwrite(v->qts, block, data, BIG_SRC_PAGES * PAGE);
    for (i = 0; i < BIG_SRC_PAGES; i++) {
        va = BIG_SRC + i * PAGE;
        pt_map(v, root, va, big_src_target(block, va), PTE_SYS, 0);
    }
    for (i = 0; i < 512; i++) {
        va = BIG_DST + i * PAGE;
        pt_map(v, root, va, big_dst_target(va), PTE_W, 0);
    }
    pt_map(v, root, BIG_DST + 2 * MIB, big_dst_target(BIG_DST + 2 * MIB),
           PTE_W, 1);
    for (i = 0; i < 4; i++) {
        va = BIG_DST + 4 * MIB + i * PAGE;
        pt_map(v, root, va, big_dst_target(va), PTE_W, 0);
    }
    qtest_memset(v->qts, v->vram.addr + 4 * MIB, 0xee, 2 * MIB);
    qtest_memset(v->qts, v->vram.addr + 12 * MIB, 0xee, 4 * MIB);

    g_assert_cmpuint(vm_copy(v, 1, dst, src, size), ==, VKFD_ST_OK);
    for (va = dst & ~(PAGE - 1); va < dst + size; va += PAGE) {
        qtest_bufread(v->qts, v->vram.addr + big_dst_target(va), got, PAGE);
        for (i = 0; i < PAGE; i++) {
            uint8_t want = 0xee;

            if (va + i >= dst && va + i < dst + size) {
                n = big_src_target(block, src + (va + i - dst)) - block;
                want = data[n];
            }
            if (got[i] != want) {
                g_test_message("VA 0x%" PRIx64, va + i);
                g_assert_cmphex(got[i], ==, want);
            }
        }
    }
    g_assert_cmpuint(rd(v, VKFD_REG_VM_FAULT_COUNT), ==, 0);
    g_rand_free(rand);
    vkfd_stop(v);
}

static void test_gpuvm_hdp(void)
{
    Vkfd *v = vkfd_start(NULL);
    const uint32_t remap = VKFD_MMIO_REMAP_OFFSET;

    /* 32-bit writes to the two flush registers count */
    qpci_io_writel(v->dev, v->regs, remap + VKFD_HDP_MEM_FLUSH_CNTL, 0);
    qpci_io_writel(v->dev, v->regs, remap + VKFD_HDP_REG_FLUSH_CNTL, 1);
    qpci_io_writel(v->dev, v->regs, remap + VKFD_HDP_MEM_FLUSH_CNTL, ~0u);
    g_assert_cmpuint(rd(v, VKFD_REG_HDP_FLUSHES), ==, 3);
    g_assert_cmphex(qpci_io_readl(v->dev, v->regs,
                                  remap + VKFD_HDP_MEM_FLUSH_CNTL), ==, 0);
    g_assert_cmphex(qpci_io_readl(v->dev, v->regs,
                                  remap + VKFD_HDP_REG_FLUSH_CNTL), ==, 0);
    g_assert_cmpuint(rd(v, VKFD_REG_ACCESS_ERRORS), ==, 0);

    /* anything else is an access error and does not flush */
    qpci_io_writel(v->dev, v->regs, remap + 8, 0);
    qpci_io_writew(v->dev, v->regs, remap, 0);
    qpci_io_writeb(v->dev, v->regs, remap + 4, 0);
    qpci_io_writeq(v->dev, v->regs, remap, 0);
    qpci_io_writew(v->dev, v->regs, remap + 6, 0);
    qpci_io_writel(v->dev, v->regs, VKFD_REGS_SIZE - 4, 0);
    g_assert_cmphex(qpci_io_readl(v->dev, v->regs, remap + 0x10), ==, 0);
    g_assert_cmphex(qpci_io_readb(v->dev, v->regs, remap), ==, 0);
    g_assert_cmphex(qpci_io_readq(v->dev, v->regs, remap), ==, 0);
    g_assert_cmpuint(rd(v, VKFD_REG_ACCESS_ERRORS), ==, 9);
    g_assert_cmpuint(rd(v, VKFD_REG_HDP_FLUSHES), ==, 3);
    g_assert_cmphex(rd(v, VKFD_REG_ID), ==, VKFD_ID_MAGIC);

    wr(v, VKFD_REG_CONTROL, VKFD_CONTROL_RESET);
    g_assert_cmpuint(rd(v, VKFD_REG_HDP_FLUSHES), ==, 0);
    vkfd_stop(v);
}

/*
 * Random page tables.  A pool of tables holds a few random entries each:
 * directory entries into the pool, leaves of every size to VRAM, to a
 * scratch area of guest RAM or to no memory at all, stray bits, bad
 * alignment, plain noise.  Random fills and copies go through them.
 *
 * First a reference walker in the test predicts each command (OK, or the
 * fault and its address), with leaves kept off the tables themselves and
 * the TLB invalidated before each command.  Then leaves may point at the
 * tables (fills scribble over their own page tables) and nothing is
 * invalidated: the device must only keep going.
 */
#define RND_TABLES      48
#define RND_SLOTS       8
#define RND_SCRATCH     (32 * MIB)
#define RND_POOL        (4 * MIB)

typedef struct Rnd {
    Vkfd *v;
    GRand *r;
    uint64_t scratch, pool;
    uint64_t tables[RND_TABLES];
    uint16_t slots[RND_TABLES][RND_SLOTS];
    bool chaos;
} Rnd;

enum { REF_OK, REF_FAULT, REF_UNKNOWN };

static int rnd_int(Rnd *t, int n)
{
    return g_rand_int_range(t->r, 0, n);
}

static uint64_t rnd_u64(Rnd *t)
{
    return (uint64_t)g_rand_int(t->r) << 32 | g_rand_int(t->r);
}

static uint64_t rnd_stray(Rnd *t)
{
    static const int bits[] = { 3, 4, 5, 6, 8, 9, 10, 11, 52, 56, 62, 63 };

    return rnd_int(t, 20) ? 0 : 1ull << bits[rnd_int(t, ARRAY_SIZE(bits))];
}

/* A block of 1 << shift bytes, aligned, inside [base, base + size). */
static uint64_t rnd_block(Rnd *t, uint64_t base, uint64_t size,
                          unsigned shift)
{
    uint64_t lo = QEMU_ALIGN_UP(base, 1ull << shift);
    uint64_t hi = QEMU_ALIGN_DOWN(base + size, 1ull << shift);

    g_assert_cmphex(hi, >, lo);
    return lo + rnd_int(t, (hi - lo) >> shift) * (1ull << shift);
}

static uint64_t rnd_target(Rnd *t, bool sys, unsigned shift)
{
    if (!sys) {
        /* VRAM from 1 MiB (as a table address that is still scratch) */
        if (shift == 30) {
            return rnd_int(t, 3) * GIB;
        }
        if (rnd_int(t, 5)) {
            return rnd_block(t, MIB, VRAM_SIZE - MIB, shift);
        }
        return rnd_block(t, VRAM_SIZE, VRAM_SIZE, shift);
    }
    switch (rnd_int(t, t->chaos ? 5 : 4)) {
    case 0:
    case 1:
    case 2:
        if (shift < 30) {
            return rnd_block(t, t->scratch, RND_SCRATCH, shift);
        }
        /* fall through: no 1 GiB of guest RAM to give */
    case 3:
        return (uint64_t)g_rand_int_range(t->r, 4, 1 << 20) << 32;
    default:
        if (shift < 30) {
            return rnd_block(t, t->pool, RND_POOL, shift);
        }
        return 8 * GIB;
    }
}

/* Tables 0 and 1 are roots; the others are meant for levels 2, 1, 0. */
static int rnd_level(unsigned table)
{
    return table < 2 ? 3 : 2 - (table - 2) % 3;
}

static uint64_t rnd_table(Rnd *t, int level)
{
    unsigned i;

    do {
        i = rnd_int(t, RND_TABLES);
    } while (level >= 0 && rnd_level(i) != level);
    return t->tables[i];
}

/* An entry for a table meant for the given level, most often fitting. */
static uint64_t rnd_entry(Rnd *t, int level)
{
    static const int dir_pct[] = { 0, 45, 60, 85 };
    int kind = rnd_int(t, 100);
    unsigned shift;
    uint64_t e;
    bool sys;

    if (kind >= 95) {                           /* noise */
        return rnd_int(t, 2) ? rnd_u64(t)
                             : rnd_table(t, -1) | VKFD_PTE_VALID;
    }
    if (kind < dir_pct[level]) {
        e = rnd_table(t, level - 1) | VKFD_PTE_VALID;
    } else {
        shift = VKFD_GPU_PAGE_SHIFT + 9 * MIN(level, 2);
        if (!rnd_int(t, 10)) {
            shift = VKFD_GPU_PAGE_SHIFT + 9 * rnd_int(t, 3);
        }
        sys = rnd_int(t, 2);
        e = rnd_target(t, sys, shift) | VKFD_PTE_VALID |
            (sys ? PTE_SYS : 0) | (rnd_int(t, 5) ? PTE_W : 0);
        if (shift > 12 && rnd_int(t, 10)) {
            e |= VKFD_PDE_HUGE;
        }
        if (shift > 12 && !rnd_int(t, 8)) {
            e ^= 1ull << g_rand_int_range(t->r, 12, shift);
        }
    }
    if (!rnd_int(t, 30)) {
        e &= ~VKFD_PTE_VALID;
    }
    return e | rnd_stray(t);
}

/* A few entries a table; level-0 tables get runs of neighbours. */
static void rnd_tables(Rnd *t)
{
    unsigned i, j, first = 0;

    for (i = 0; i < RND_TABLES; i++) {
        qtest_memset(t->v->qts, t->tables[i], 0, PAGE);
        for (j = 0; j < RND_SLOTS; j++) {
            if (rnd_level(i) == 0 && j % 4) {
                t->slots[i][j] = (first + j % 4) % 512;
            } else {
                first = rnd_int(t, 512);
                t->slots[i][j] = first;
            }
            qtest_writeq(t->v->qts, t->tables[i] + t->slots[i][j] * 8,
                         rnd_entry(t, rnd_level(i)));
        }
    }
}

/* A VA that mostly follows the populated entries of the tables. */
static uint64_t rnd_va(Rnd *t, uint64_t root)
{
    uint64_t va = 0, table = root, e;
    int level, k, idx;

    for (level = VKFD_GPUVM_LEVELS - 1; level >= 0; level--) {
        k = -1;
        if (table >= t->pool && table < t->pool + RND_TABLES * PAGE) {
            k = (table - t->pool) / PAGE;
        }
        idx = k >= 0 && rnd_int(t, 16) ? t->slots[k][rnd_int(t, RND_SLOTS)]
                                      : rnd_int(t, 512);
        va |= (uint64_t)idx << (VKFD_GPU_PAGE_SHIFT + 9 * level);
        if (k < 0) {
            break;
        }
        e = qtest_readq(t->v->qts, table + idx * 8);
        if (!(e & VKFD_PTE_VALID) || (e & VKFD_PDE_HUGE)) {
            break;
        }
        table = e & VKFD_PTE_ADDR_MASK;
    }
    /* anything below where the walk stopped */
    if (level > 0) {
        va |= rnd_u64(t) & ((1ull << (VKFD_GPU_PAGE_SHIFT + 9 * level)) - 1);
    }
    va |= rnd_int(t, PAGE / 4) * 4;
    va &= ~3ull;
    if (!rnd_int(t, 40)) {
        va |= 1ull << g_rand_int_range(t->r, 48, 63);
    }
    return va;
}

static uint64_t rnd_size(Rnd *t)
{
    switch (rnd_int(t, 10)) {
    case 0:
        return (rnd_int(t, 64) + 1) * PAGE - rnd_int(t, 4) * 4;
    case 1:
    case 2:
        return (rnd_int(t, 4) + 1) * PAGE + rnd_int(t, 4) * 4;
    default:
        return (rnd_int(t, 256) + 1) * 4;
    }
}

/* Guest physical memory of the qtest pc: 1 RAM, 0 nothing, -1 unsure. */
static int ref_ram(uint64_t pa)
{
    if (pa < 0xa0000 || (pa >= MIB && pa < RAM_SIZE)) {
        return 1;
    }
    if (pa < MIB || (pa >= 0xe0000000ull && pa < 4 * GIB)) {
        return -1;          /* ROMs, BARs */
    }
    return 0;
}

/* What the device must make of the page of va; *target on REF_OK. */
static int ref_walk(Vkfd *v, uint64_t root, uint64_t va, bool is_write,
                    uint64_t *target)
{
    uint64_t table = root, e = 0, ea, allowed, t;
    unsigned sh = 0;
    int level, ram;

    if (va >> VKFD_GPUVM_VA_BITS || !root) {
        return REF_FAULT;
    }
    for (level = VKFD_GPUVM_LEVELS - 1; level >= 0; level--) {
        sh = VKFD_GPU_PAGE_SHIFT + 9 * level;
        ea = table + pt_index(va, level) * 8;
        ram = ref_ram(ea);
        if (ram <= 0) {
            return ram ? REF_UNKNOWN : REF_FAULT;
        }
        e = qtest_readq(v->qts, ea);
        if (!(e & VKFD_PTE_VALID)) {
            return REF_FAULT;
        }
        if (level && !(e & VKFD_PDE_HUGE)) {
            if (e & ~(VKFD_PTE_VALID | VKFD_PTE_ADDR_MASK)) {
                return REF_FAULT;
            }
            table = e & VKFD_PTE_ADDR_MASK;
            continue;
        }
        allowed = VKFD_PTE_VALID | PTE_SYS | PTE_W | VKFD_PTE_ADDR_MASK |
                  (level ? VKFD_PDE_HUGE : 0);
        if (level == VKFD_GPUVM_LEVELS - 1 || (e & ~allowed) ||
            (e & VKFD_PTE_ADDR_MASK & ((1ull << sh) - 1))) {
            return REF_FAULT;
        }
        break;
    }
    if (is_write && !(e & PTE_W)) {
        return REF_FAULT;
    }
    t = (e & VKFD_PTE_ADDR_MASK) + (va & ((1ull << sh) - 1));
    if (e & PTE_SYS) {
        ram = ref_ram(t);
        *target = t;
        return ram < 0 ? REF_UNKNOWN : ram ? REF_OK : REF_FAULT;
    }
    *target = v->vram.addr + t;
    return t < VRAM_SIZE ? REF_OK : REF_FAULT;
}

/* The first page of [va, va + len) that does not translate. */
static int ref_range(Vkfd *v, uint64_t root, uint64_t va, uint64_t len,
                     bool is_write, uint64_t *fault_va)
{
    uint64_t p, target;
    int r;

    for (p = va; p < va + len; p = (p | (PAGE - 1)) + 1) {
        r = ref_walk(v, root, p, is_write, &target);
        if (r != REF_OK) {
            *fault_va = p;
            return r;
        }
    }
    return REF_OK;
}

static void test_gpuvm_random(void)
{
    Vkfd *v = vkfd_start(NULL);
    Rnd t = { .v = v, .r = g_rand_new_with_seed(0x47505556) };
    uint64_t roots[2], fault_va = 0, tgt, want, size, va, src, fence;
    uint32_t status, ctx, value, counts[3] = { 0 };
    struct vkfd_sched_cmd cmd;
    unsigned i, k;
    int ref;
    bool copy, fault_write;

    /*
     * The scratch area first, so that VRAM offsets taken for guest
     * addresses land in it; then the tables; the ring after them all.
     */
    t.scratch = guest_alloc(&v->alloc, RND_SCRATCH);
    t.pool = guest_alloc(&v->alloc, RND_POOL);
    for (i = 0; i < RND_TABLES; i++) {
        t.tables[i] = t.pool + i * PAGE;
    }
    v->ring = guest_alloc(&v->alloc, RING_SIZE);
    v->fences = guest_alloc(&v->alloc, RING_SIZE / CMD_SIZE * 8);
    g_assert_cmphex(v->ring, >=, t.pool + RND_POOL);
    ring_enable(v);
    rnd_tables(&t);
    roots[0] = t.tables[0];
    roots[1] = t.tables[1];
    g_assert_cmpuint(map_ctx(v, 1, roots[0]), ==, VKFD_ST_OK);
    g_assert_cmpuint(map_ctx(v, 2, roots[1]), ==, VKFD_ST_OK);

    for (i = 0; i < 400; i++) {
        ctx = 1 + rnd_int(&t, 2);
        copy = rnd_int(&t, 4) == 0;
        va = rnd_va(&t, roots[ctx - 1]);
        size = rnd_size(&t);
        value = g_rand_int(t.r);
        src = rnd_int(&t, 2) ? rnd_va(&t, roots[ctx - 1]) : va + 8 * MIB;
        if (copy && src < va + size && va < src + size) {
            src = va + size;
        }
        want = 0;

        wr(v, VKFD_REG_VM_FAULT_STATUS, FAULT_ALL);
        sched_cmd(&cmd, VKFD_CMD_INVALIDATE_TLB, ctx);
        ring_put(v, &cmd);
        if (copy) {
            copy_cmd(&cmd, ctx, va, src, size);
        } else {
            fill_cmd(&cmd, ctx, va, size, value);
        }
        fence = ring_put(v, &cmd);

        /* predict, on the memory the device is about to see */
        fault_write = true;
        if (copy) {
            ref = ref_range(v, roots[ctx - 1], src, size, false, &fault_va);
            fault_write = ref == REF_OK;
            if (ref == REF_OK) {
                ref = ref_range(v, roots[ctx - 1], va, size, true, &fault_va);
            }
            if (ref == REF_OK) {
                ref_walk(v, roots[ctx - 1], src, false, &tgt);
                want = qtest_readl(v->qts, tgt);
            }
        } else {
            ref = ref_range(v, roots[ctx - 1], va, size, true, &fault_va);
            want = value;
        }

        wr(v, VKFD_REG_SCHED_WPTR, v->wptr);
        ring_wait_idle(v);
        status = qtest_readl(v->qts, fence + 4);
        counts[ref]++;
        if (ref == REF_UNKNOWN) {
            g_assert_true(status == VKFD_ST_OK || status == VKFD_ST_VM_FAULT);
            continue;
        }
        if (ref == REF_FAULT) {
            expect_fault(v, status, ctx, fault_va, fault_write);
            continue;
        }
        g_assert_cmpuint(status, ==, VKFD_ST_OK);
        g_assert_cmphex(rd(v, VKFD_REG_VM_FAULT_STATUS), ==, 0);
        g_assert_cmpint(ref_walk(v, roots[ctx - 1], va, true, &tgt), ==,
                        REF_OK);
        g_assert_cmphex(qtest_readl(v->qts, tgt), ==, want);
    }
    g_test_message("predicted: %u OK, %u faults, %u unsure",
                   counts[REF_OK], counts[REF_FAULT], counts[REF_UNKNOWN]);
    g_assert_cmpuint(counts[REF_OK], >=, 30);
    g_assert_cmpuint(counts[REF_FAULT], >=, 40);

    /* chaos: tables as targets, no invalidation, odd arguments */
    t.chaos = true;
    rnd_tables(&t);
    for (i = 0; i < 40; i++) {
        for (k = 0; k < 10; k++) {
            ctx = 1 + rnd_int(&t, 2);
            va = rnd_va(&t, roots[ctx - 1]);
            size = rnd_int(&t, 8) ? rnd_size(&t) : rnd_u64(&t) % (128 * MIB);
            if (rnd_int(&t, 3)) {
                fill_cmd(&cmd, ctx, va, size, rnd_u64(&t));
            } else {
                copy_cmd(&cmd, ctx, va, rnd_va(&t, roots[ctx - 1]), size);
            }
            ring_put(v, &cmd);
        }
        wr(v, VKFD_REG_SCHED_WPTR, v->wptr);
        ring_wait_idle(v);
        g_assert_cmphex(rd(v, VKFD_REG_STATUS), ==, VKFD_STATUS_ENABLED);
        status = rd(v, VKFD_REG_SCHED_ERROR);
        g_assert_true(status == VKFD_ST_OK || status == VKFD_ST_VM_FAULT ||
                      status == VKFD_ST_BAD_ARGUMENT);
        if (i % 8 == 7) {
            rnd_tables(&t);
        }
    }
    g_assert_cmpuint(rd(v, VKFD_REG_ACCESS_ERRORS), ==, 0);

    /* and a clean context still works */
    roots[0] = pt_alloc(v);
    pt_map(v, roots[0], 0x5000, 0x5000, PTE_W, 0);
    g_assert_cmpuint(map_ctx(v, 3, roots[0]), ==, VKFD_ST_OK);
    g_assert_cmpuint(vm_fill(v, 3, 0x5000, PAGE, 0x600d600d), ==,
                     VKFD_ST_OK);
    check_vram(v, 0x5000, PAGE, 0x600d600d);
    g_rand_free(t.r);
    vkfd_stop(v);
}

/*
 * Migration keeps the fault latch, HDP_FLUSHES and the contexts; the TLB
 * is a cache and starts empty on the other side.
 */
static void test_gpuvm_migration(void)
{
    const uint64_t va = 0x5000;
    uint64_t root;
    Vkfd *v = gpuvm_start(NULL, &root);

    pt_map(v, root, va, 0x10000, PTE_W, 0);
    g_assert_cmpuint(vm_fill(v, 1, va, 4, 1), ==, VKFD_ST_OK);
    pt_map(v, root, va, 0x20000, PTE_W, 0);     /* stale in the TLB */
    g_assert_cmpuint(vm_fill(v, 1, va, 4, 2), ==, VKFD_ST_OK);
    check_vram(v, 0x10000, 4, 2);
    g_assert_cmpuint(vm_copy(v, 1, va, 0xbad000, 4), ==, VKFD_ST_VM_FAULT);
    g_assert_cmpuint(vm_fill(v, 1, 0xbad000, 4, 0), ==, VKFD_ST_VM_FAULT);
    qpci_io_writel(v->dev, v->regs, VKFD_MMIO_REMAP_OFFSET, 0);

    /* the same machine on the other side, fed from a file */
    vkfd_migrate(v, VKFD_PROPS);

    g_assert_cmphex(rd(v, VKFD_REG_VM_FAULT_STATUS), ==,
                    VKFD_VM_FAULT_VALID | VKFD_VM_FAULT_MULTIPLE);
    g_assert_cmpuint(rd(v, VKFD_REG_VM_FAULT_CTX), ==, 1);
    g_assert_cmphex(fault_addr(v), ==, 0xbad000);
    g_assert_cmpuint(rd(v, VKFD_REG_VM_FAULT_COUNT), ==, 2);
    g_assert_cmpuint(rd(v, VKFD_REG_HDP_FLUSHES), ==, 1);
    g_assert_cmpuint(rd(v, VKFD_REG_NUM_CONTEXTS), ==, 1);
    g_assert_cmphex(rd(v, VKFD_REG_STATUS), ==, VKFD_STATUS_ENABLED);
    check_vram(v, 0x10000, 4, 2);
    /* the ring goes on, and the new translation is used */
    g_assert_cmpuint(vm_fill(v, 1, va, 4, 3), ==, VKFD_ST_OK);
    check_vram(v, 0x10000, 4, 2);
    check_vram(v, 0x20000, 4, 3);
    vkfd_stop(v);
}

/*
 * User queues and the PM4 engine.  Each test context has its own page
 * tables; qmem() maps runs of guest RAM into it, each followed by an
 * unmapped page.  A TQueue is a PM4 queue: its ring, a page holding its
 * rptr (+0) and wptr (+8), and its MQD.  Packets are built in a Pkt and
 * copied into the ring at wptr; the doorbell is written with the wptr.
 * The device writes the rptr back as the GFX9 CP does: a 32-bit dword
 * offset into the ring (tq_pos of the free-running count).  Before each
 * doorbell the test stores MARK there (no ring offset: rings are at most
 * 2^28 dwords) and MARK_HI in the dword after it, so that the write-back
 * shows when a run is over, and that it writes 4 bytes, no more.
 */
#define QVA_BASE        0x100000000ull
#define MARK            0xa5a5a5a5u
#define MARK_HI         0x5a5a5a5au
#define PKT3(op, n)     (0xc0000000u | (((n) - 1u) << 16) | ((op) << 8))
#define OP_NOP          0x10
#define OP_WRITE_DATA   0x37
#define OP_WAIT_REG_MEM 0x3c
#define OP_IB           0x3f
#define OP_RELEASE_MEM  0x49
#define OP_ACQUIRE_MEM  0x58
#define WD_MEM          (5u << 8)       /* WRITE_DATA dst_sel: memory */
#define WD_ONE_ADDR     (1u << 16)
#define WRM_MEM         (1u << 4)       /* WAIT_REG_MEM: memory space */
#define IB_VALID        (1u << 23)
#define MQD_STATE       offsetof(struct vkfd_mqd, rptr)

enum { F_ALWAYS, F_LT, F_LE, F_EQ, F_NE, F_GE, F_GT };

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

static void qctx_init(Vkfd *v, QCtx *c, uint32_t id)
{
    c->id = id;
    c->root = pt_alloc(v);
    c->next_va = QVA_BASE;
    g_assert_cmpuint(map_ctx(v, id, c->root), ==, VKFD_ST_OK);
}

static QMem qmem(Vkfd *v, QCtx *c, uint64_t size, uint64_t bits)
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

static uint64_t pa_of(const QMem *m, uint64_t va)
{
    g_assert_cmphex(va - m->va, <, m->size);
    return m->pa + (va - m->va);
}

static Vkfd *queue_start(const char *extra, QCtx *c)
{
    Vkfd *v = vkfd_start(extra);

    ring_enable(v);
    qctx_init(v, c, 1);
    return v;
}

static void tq_init(Vkfd *v, TQueue *q, QCtx *c, uint32_t doorbell,
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
static void tq_mqd(const TQueue *q, struct vkfd_mqd *m)
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

static uint32_t queue_cmd(Vkfd *v, uint8_t opcode, uint32_t ctx,
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

static uint32_t map_mqd(TQueue *q, const struct vkfd_mqd *m)
{
    qtest_memwrite(q->v->qts, q->mqd, m, sizeof(*m));
    return queue_cmd(q->v, VKFD_CMD_MAP_QUEUE, q->c->id, q->mqd,
                     100 + q->doorbell);
}

static uint32_t tq_map(TQueue *q)
{
    struct vkfd_mqd m;

    tq_mqd(q, &m);
    qtest_writeq(q->v->qts, q->ptrs.pa, q->wptr);
    qtest_writeq(q->v->qts, q->ptrs.pa + 8, q->wptr);
    return map_mqd(q, &m);
}

/* UNMAP_QUEUE; *m is the MQD afterwards (its state poisoned before). */
static uint32_t tq_unmap(TQueue *q, struct vkfd_mqd *m)
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
static void tq_expect(TQueue *q, uint64_t rptr, uint32_t error,
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
static uint64_t tq_va(const TQueue *q, uint64_t ptr)
{
    return q->ring.va + (ptr % (q->ring_bytes / 4)) * 4;
}

static void tq_put_dw(TQueue *q, const uint32_t *dw, unsigned n)
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

static void tq_put(TQueue *q, Pkt *p)
{
    tq_put_dw(q, p->dw, p->n);
    p->n = 0;
}

static void ring_doorbell(Vkfd *v, uint32_t ctx, uint32_t doorbell,
                          uint64_t val)
{
    qpci_io_writeq(v->dev, v->doorbells,
                   (uint64_t)ctx * VKFD_DOORBELL_PAGE_SIZE +
                   doorbell * VKFD_DOORBELL_SIZE, val);
}

/* Where the free-running dword count ptr is in the ring: the report. */
static uint32_t tq_pos(const TQueue *q, uint64_t ptr)
{
    return ptr % (q->ring_bytes / 4);
}

static void tq_mark(TQueue *q)
{
    qtest_writel(q->v->qts, q->ptrs.pa, MARK);
    qtest_writel(q->v->qts, q->ptrs.pa + 4, MARK_HI);
}

static void tq_kick(TQueue *q)
{
    tq_mark(q);
    qtest_writeq(q->v->qts, q->ptrs.pa + 8, q->wptr);
    ring_doorbell(q->v, q->c->id, q->doorbell, q->wptr);
}

/* The reported rptr; the dword after it must be as the test left it. */
static uint32_t tq_rptr(TQueue *q)
{
    g_assert_cmphex(qtest_readl(q->v->qts, q->ptrs.pa + 4), ==, MARK_HI);
    return qtest_readl(q->v->qts, q->ptrs.pa);
}

/* Wait for a run to write the rptr back; returns it (a ring offset). */
static uint32_t tq_wait_run(TQueue *q)
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
static void tq_wait_rptr(TQueue *q, uint64_t want)
{
    int i;

    for (i = 0; i < 200000 && tq_rptr(q) != tq_pos(q, want); i++) {
        g_usleep(100);
    }
    g_assert_cmphex(tq_rptr(q), ==, tq_pos(q, want));
}

/* Put the packets, ring, and wait until the queue consumed them all. */
static void tq_submit(TQueue *q, Pkt *p)
{
    tq_put(q, p);
    tq_kick(q);
    tq_wait_rptr(q, q->wptr);
}

/* Put the packets, ring, and wait for the run to end; returns the report. */
static uint32_t tq_run(TQueue *q, Pkt *p)
{
    tq_put(q, p);
    tq_kick(q);
    return tq_wait_run(q);
}

static void wait_fault_count(Vkfd *v, uint32_t n)
{
    int i;

    for (i = 0; i < 200000 && rd(v, VKFD_REG_VM_FAULT_COUNT) < n; i++) {
        g_usleep(100);
    }
    g_assert_cmpuint(rd(v, VKFD_REG_VM_FAULT_COUNT), ==, n);
}

static void pk(Pkt *p, uint32_t dw)
{
    g_assert_cmpuint(p->n, <, ARRAY_SIZE(p->dw));
    p->dw[p->n++] = dw;
}

static void pk_nop(Pkt *p, unsigned payload)
{
    unsigned i;

    pk(p, PKT3(OP_NOP, payload));
    for (i = 0; i < payload; i++) {
        pk(p, 0xdead0000 + i);
    }
}

static void pk_write(Pkt *p, uint32_t ctl, uint64_t va, const uint32_t *data,
                     unsigned n)
{
    unsigned i;

    pk(p, PKT3(OP_WRITE_DATA, 3 + n));
    pk(p, ctl);
    pk(p, (uint32_t)va);
    pk(p, va >> 32);
    for (i = 0; i < n; i++) {
        pk(p, data[i]);
    }
}

static void pk_write1(Pkt *p, uint64_t va, uint32_t value)
{
    pk_write(p, WD_MEM, va, &value, 1);
}

static void pk_release(Pkt *p, uint32_t data_sel, uint32_t int_sel,
                       uint64_t va, uint64_t data)
{
    pk(p, PKT3(OP_RELEASE_MEM, 7));
    pk(p, 0x14 | (5 << 8));     /* an end-of-pipe event, as ROCr sends */
    pk(p, data_sel << 29 | int_sel << 24);
    pk(p, (uint32_t)va);
    pk(p, va >> 32);
    pk(p, (uint32_t)data);
    pk(p, data >> 32);
    pk(p, 0x1234);
}

static void pk_wait(Pkt *p, uint32_t func, uint64_t va, uint32_t ref,
                    uint32_t mask)
{
    pk(p, PKT3(OP_WAIT_REG_MEM, 6));
    pk(p, WRM_MEM | func);
    pk(p, (uint32_t)va);
    pk(p, va >> 32);
    pk(p, ref);
    pk(p, mask);
    pk(p, 4);                   /* poll interval */
}

static void pk_ib(Pkt *p, uint64_t va, uint32_t size)
{
    pk(p, PKT3(OP_IB, 3));
    pk(p, (uint32_t)va);
    pk(p, va >> 32);
    pk(p, size | IB_VALID);
}

static void pk_acquire(Pkt *p)
{
    pk(p, PKT3(OP_ACQUIRE_MEM, 6));
    pk(p, 0x28c00000);
    pk(p, 0xffffffff);
    pk(p, 0xff);
    pk(p, 0);
    pk(p, 0);
    pk(p, 0xa);
}

/* Copy the packets of p to guest memory at va of m (an IB). */
static void pk_store(Vkfd *v, const QMem *m, uint64_t va, Pkt *p)
{
    qtest_memwrite(v->qts, pa_of(m, va), p->dw, p->n * 4);
    p->n = 0;
}

static void test_queue_map_errors(void)
{
    QCtx c, c2;
    Vkfd *v = queue_start(",max-queues=3", &c);
    struct vkfd_sched_cmd cmd;
    struct vkfd_mqd good, m;
    TQueue q, q2, q3, q4;
    uint32_t errors;
    unsigned i;

    tq_init(v, &q, &c, 7, PAGE);
    tq_mqd(&q, &good);
    qtest_memwrite(v->qts, q.mqd, &good, sizeof(good));

    /* the context must be a live user context */
    g_assert_cmpuint(queue_cmd(v, VKFD_CMD_MAP_QUEUE, 0, q.mqd, 0), ==,
                     VKFD_ST_BAD_CONTEXT);
    g_assert_cmpuint(queue_cmd(v, VKFD_CMD_MAP_QUEUE, 5000, q.mqd, 0), ==,
                     VKFD_ST_BAD_CONTEXT);
    g_assert_cmpuint(queue_cmd(v, VKFD_CMD_MAP_QUEUE, 9, q.mqd, 0), ==,
                     VKFD_ST_CONTEXT_NOT_MAPPED);

    /* the command's own reserved fields */
    sched_cmd(&cmd, VKFD_CMD_MAP_QUEUE, 1);
    cmd.u.map_queue.mqd_addr = q.mqd;
    cmd.u.map_queue.reserved = 1;
    g_assert_cmpuint(submit_cmd(v, &cmd), ==, VKFD_ST_BAD_ARGUMENT);
    cmd.u.map_queue.reserved = 0;
    cmd.u.raw[3] = 1;
    cmd.fence_addr = 0;         /* a fresh fence slot */
    g_assert_cmpuint(submit_cmd(v, &cmd), ==, VKFD_ST_BAD_ARGUMENT);

    /* the MQD's address */
    g_assert_cmpuint(queue_cmd(v, VKFD_CMD_MAP_QUEUE, 1, 0, 0), ==,
                     VKFD_ST_BAD_MQD);
    g_assert_cmpuint(queue_cmd(v, VKFD_CMD_MAP_QUEUE, 1, q.mqd + 4, 0), ==,
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

    /* every field of the MQD, one at a time */
    for (i = 0; ; i++) {
        m = good;
        switch (i) {
        case 0:
            m.type = 3;
            break;
        case 1:
            m.doorbell = VKFD_DOORBELLS_PER_CONTEXT;
            break;
        case 2:
            m.ring_base += 0x80;
            break;
        case 3:
            m.ring_size = 128;
            break;
        case 4:
            m.ring_size = 3000;
            break;
        case 5:
            m.ring_size = 0x80000000u;
            break;
        case 6:
            m.ring_size = 0;
            break;
        case 7:
            m.ring_base = (1ull << 48) - 0x1000;
            m.ring_size = 0x2000;
            break;
        case 8:
            m.ring_base = 1ull << 48;
            break;
        case 9:
            m.flags = 0x80000000;     /* no such flag */
            break;
        case 10:
            m.reserved[2] = 1;
            break;
        case 11:
            m.rptr_addr += 4;
            break;
        case 12:
            m.wptr_addr += 4;
            break;
        case 13:
            m.wptr_addr = 1ull << 48;
            break;
        case 14:
            m.error = 0x7fffffff;     /* no such error */
            break;
        }
        if (i == 15) {
            break;
        }
        g_test_message("bad MQD %u", i);
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
    g_assert_cmpuint(queue_cmd(v, VKFD_CMD_UNMAP_QUEUE, 1, q.mqd, 9), ==,
                     VKFD_ST_NO_QUEUE);
    g_assert_cmpuint(queue_cmd(v, VKFD_CMD_UNMAP_QUEUE, 1, q.mqd, 5000), ==,
                     VKFD_ST_NO_QUEUE);
    g_assert_cmpuint(queue_cmd(v, VKFD_CMD_UNMAP_QUEUE, 3, q.mqd, 7), ==,
                     VKFD_ST_CONTEXT_NOT_MAPPED);
    g_assert_cmpuint(queue_cmd(v, VKFD_CMD_UNMAP_QUEUE, 1, 0, 7), ==,
                     VKFD_ST_BAD_MQD);
    g_assert_cmpuint(queue_cmd(v, VKFD_CMD_UNMAP_QUEUE, 1, q.mqd + 4, 7), ==,
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
    cmd.u.unmap_queue.mqd_addr = q.mqd;
    cmd.u.unmap_queue.doorbell = 7;
    cmd.u.unmap_queue.reserved = 1;
    g_assert_cmpuint(submit_cmd(v, &cmd), ==, VKFD_ST_BAD_ARGUMENT);

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
    pk(p, PKT3(0x99, 1));
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
    tq_expect(&q, q.wptr - 7, VKFD_QERR_BAD_PACKET, PKT3(0x99, 1),
              tq_va(&q, q.wptr - 7));
    /* and once unmapped, the doorbell is nobody's again */
    ring_doorbell(v, 1, 1023, 0);
    g_assert_cmpuint(rd(v, VKFD_REG_ACCESS_ERRORS), ==, 4);
    g_free(p);
    vkfd_stop(v);
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
    pk_write(p, WD_MEM, d.va, data, 4);
    pk_write(p, WD_MEM | WD_ONE_ADDR, d.va + 0x40, data, 4);
    pk_write(p, 1 << 8, d.va + 0x50, data, 1);
    pk_write(p, 2 << 8, d.va + 0x54, data + 1, 1);
    pk_write(p, WD_MEM, d.va + 0x5c, data + 2, 1);
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

/* Put a malformed packet number i into p; false when there are no more. */
static bool bad_packet(Pkt *p, unsigned i, uint64_t va)
{
    switch (i) {
    case 0:             /* unknown opcode */
        pk(p, PKT3(0x99, 2));
        pk(p, 0);
        pk(p, 0);
        return true;
    case 1:             /* type 0: register writes */
        pk(p, 0x00001234);
        return true;
    case 2:             /* type 1 */
        pk(p, 0x40000000);
        return true;
    case 3:             /* WRITE_DATA without data */
        pk(p, PKT3(OP_WRITE_DATA, 3));
        pk(p, WD_MEM);
        pk(p, (uint32_t)va);
        pk(p, va >> 32);
        return true;
    case 4:             /* WRITE_DATA to a register */
        pk_write(p, 0 << 8, va, (uint32_t[]){ 1 }, 1);
        return true;
    case 5:             /* WRITE_DATA to GDS */
        pk_write(p, 3 << 8, va, (uint32_t[]){ 1 }, 1);
        return true;
    case 6:             /* WRITE_DATA unaligned */
        pk_write(p, WD_MEM, va + 2, (uint32_t[]){ 1 }, 1);
        return true;
    case 7:             /* RELEASE_MEM of 7 dwords */
        pk_release(p, 1, 0, va, 0);
        p->dw[p->n - 8] = PKT3(OP_RELEASE_MEM, 6);
        p->n--;
        return true;
    case 8:             /* RELEASE_MEM data_sel 5 (GDS) */
        pk_release(p, 5, 0, va, 0);
        return true;
    case 9:             /* RELEASE_MEM 64 bits unaligned */
        pk_release(p, 2, 0, va + 4, 0);
        return true;
    case 10:            /* RELEASE_MEM 32 bits unaligned */
        pk_release(p, 1, 0, va + 2, 0);
        return true;
    case 11:            /* RELEASE_MEM dst_sel 2 */
        pk_release(p, 1, 0, va, 0);
        p->dw[p->n - 6] |= 2 << 16;
        return true;
    case 12:            /* WAIT_REG_MEM on a register */
        pk_wait(p, F_EQ, va, 0, 0);
        p->dw[p->n - 6] &= ~WRM_MEM;
        return true;
    case 13:            /* WAIT_REG_MEM function 7 */
        pk_wait(p, 7, va, 0, 0);
        return true;
    case 14:            /* WAIT_REG_MEM write-wait-write (registers) */
        pk_wait(p, F_EQ, va, 0, 0);
        p->dw[p->n - 6] |= 1 << 6;
        return true;
    case 15:            /* WAIT_REG_MEM unaligned */
        pk_wait(p, F_EQ, va + 1, 0, 0);
        return true;
    case 16:            /* WAIT_REG_MEM of 6 dwords */
        pk_wait(p, F_EQ, va, 0, 0);
        p->dw[p->n - 7] = PKT3(OP_WAIT_REG_MEM, 5);
        p->n--;
        return true;
    case 17:            /* INDIRECT_BUFFER of 5 dwords */
        pk_ib(p, va, 4);
        p->dw[p->n - 4] = PKT3(OP_IB, 4);
        pk(p, 0);
        return true;
    case 18:            /* INDIRECT_BUFFER unaligned */
        pk_ib(p, va + 2, 4);
        return true;
    case 19:            /* INDIRECT_BUFFER beyond 48 bits */
        pk_ib(p, (1ull << 48) - 8, 4);
        return true;
    case 20:            /* ACQUIRE_MEM of GFX10's 8 dwords */
        pk_acquire(p);
        p->dw[p->n - 7] = PKT3(OP_ACQUIRE_MEM, 7);
        pk(p, 0);
        return true;
    case 21:            /* a packet larger than the whole ring */
        pk(p, PKT3(OP_NOP, 2000));
        return true;
    case 22:            /* RELEASE_MEM data_sel 7 */
        pk_release(p, 7, 0, va, 0);
        return true;
    }
    return false;
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
        if (!bad_packet(p, i, d.va + 0x800)) {
            break;
        }
        header = p->dw[0];
        tq_put(&q, p);
        pk_write1(p, d.va + 0x400 + 4 * i, 1);  /* must not run */
        tq_put(&q, p);
        tq_kick(&q);
        g_test_message("bad packet %u: header 0x%08x", i, header);
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

/* A ring of 64 dwords, written over and over with packets of all sizes. */
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
        pk_write(p, WD_MEM, d.va + (i % 64) * 32, data, k);
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
            pk_write(p, WD_MEM, d.va + (i % 100) * 32, data, k);
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
    pk_write(p, WD_MEM, d.va + 0xe00, data, 8);
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
    n2 = p->n;
    pk_store(v, &ib, ib2, p);
    pk_write1(p, d.va, 1);
    pk_ib(p, ib2, n2);
    pk_ib(p, ib3, 0);
    pk_write1(p, d.va + 4, 4);
    pk_write1(p, d.va + 0x100, 3);
    n1 = p->n;
    pk_store(v, &ib, ib1, p);
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
    n1 = p->n;
    pk_store(v, &big, big.va, p);
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
    n2 = p->n;
    pk_store(v, &ib, ib2, p);
    pk_write1(p, d.va + 0x208, 1);
    pk_ib(p, ib2, n2);
    pk_write1(p, d.va + 0x20c, 3);
    n1 = p->n;
    pk_store(v, &ib, ib1, p);
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
    n2 = p->n;
    pk_store(v, &ib, ib2, p);
    pk_ib(p, ib2, n2);
    n1 = p->n;
    pk_store(v, &ib, ib1, p);
    at = q.wptr;
    pk_ib(p, ib1, n1);
    g_assert_cmphex(tq_run(&q, p), ==, tq_pos(&q, at));
    g_assert_cmpuint(qtest_readl(v->qts, d.pa + 0x304), ==, 2);
    g_assert_cmpuint(qtest_readl(v->qts, d.pa + 0x300), ==, 0);
    tq_expect(&q, at, VKFD_QERR_IB_DEPTH, header, bad_at);

    /* a bad packet in an IB is reported at its IB address */
    g_assert_cmpuint(tq_map(&q), ==, VKFD_ST_OK);
    pk_write1(p, d.va + 0x308, 1);
    pk(p, PKT3(0x77, 1));
    pk(p, 0);
    n1 = p->n;
    pk_store(v, &ib, ib1, p);
    at = q.wptr;
    pk_ib(p, ib1, n1);
    g_assert_cmphex(tq_run(&q, p), ==, tq_pos(&q, at));
    tq_expect(&q, at, VKFD_QERR_BAD_PACKET, PKT3(0x77, 1), ib1 + 5 * 4);

    /* a packet that runs past the end of its IB */
    g_assert_cmpuint(tq_map(&q), ==, VKFD_ST_OK);
    pk_write1(p, d.va + 0x30c, 1);
    header = p->dw[0];
    pk_store(v, &ib, ib1, p);
    at = q.wptr;
    pk_ib(p, ib1, 4);
    g_assert_cmphex(tq_run(&q, p), ==, tq_pos(&q, at));
    g_assert_cmpuint(qtest_readl(v->qts, d.pa + 0x30c), ==, 0);
    tq_expect(&q, at, VKFD_QERR_BAD_PACKET, header, ib1);

    /* an IB where nothing is mapped */
    g_assert_cmpuint(tq_map(&q), ==, VKFD_ST_OK);
    at = q.wptr;
    pk_ib(p, ib.va + ib.size, 16);
    g_assert_cmphex(tq_run(&q, p), ==, tq_pos(&q, at));
    tq_expect(&q, at, VKFD_QERR_VM_FAULT, 0, ib.va + ib.size);
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
    tq_expect(&q, at, VKFD_QERR_VM_FAULT, PKT3(OP_WRITE_DATA, 4), hole);
    expect_fault(v, VKFD_ST_VM_FAULT, 1, hole, true);

    /* WRITE_DATA that runs off its page into nothing */
    g_assert_cmpuint(tq_map(&q), ==, VKFD_ST_OK);
    at = q.wptr;
    pk_write(p, WD_MEM, hole - 8, data, 4);
    g_assert_cmphex(tq_run(&q, p), ==, tq_pos(&q, at));
    tq_expect(&q, at, VKFD_QERR_VM_FAULT, PKT3(OP_WRITE_DATA, 7), hole);
    expect_fault(v, VKFD_ST_VM_FAULT, 1, hole, true);
    g_assert_cmpuint(qtest_readl(v->qts, d.pa + PAGE - 4), ==, 2);

    /* RELEASE_MEM to a read-only page */
    g_assert_cmpuint(tq_map(&q), ==, VKFD_ST_OK);
    at = q.wptr;
    pk_release(p, 2, 0, ro.va + 8, 5);
    g_assert_cmphex(tq_run(&q, p), ==, tq_pos(&q, at));
    tq_expect(&q, at, VKFD_QERR_VM_FAULT, PKT3(OP_RELEASE_MEM, 7),
              ro.va + 8);
    expect_fault_ro(v, VKFD_ST_VM_FAULT, 1, ro.va + 8);

    /* WAIT_REG_MEM on nothing (a read) */
    g_assert_cmpuint(tq_map(&q), ==, VKFD_ST_OK);
    at = q.wptr;
    pk_wait(p, F_EQ, hole + 4, 0, ~0u);
    g_assert_cmphex(tq_run(&q, p), ==, tq_pos(&q, at));
    tq_expect(&q, at, VKFD_QERR_VM_FAULT, PKT3(OP_WAIT_REG_MEM, 6),
              hole + 4);
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
    tq_expect(&qa, at, VKFD_QERR_VM_FAULT, PKT3(OP_WRITE_DATA, 4),
              only_b.va);
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
        OP_NOP, OP_WRITE_DATA, OP_WAIT_REG_MEM, OP_IB, OP_RELEASE_MEM,
        OP_ACQUIRE_MEM,
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
        pk(p, PKT3(op, n));
        for (i = 0; i < n; i++) {
            pk(p, g_rand_boolean(r) ? g_rand_int(r) : (uint32_t)va);
        }
    } else if (pick < 40) {
        pk(p, PKT3(OP_WRITE_DATA, 3 + n));
        pk(p, clean || g_rand_int_range(r, 0, 8) ? WD_MEM : g_rand_int(r));
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
    pk(p, PKT3(0x55, 1));
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
    tq_expect(&qe, err_at, VKFD_QERR_BAD_PACKET, PKT3(0x55, 1),
              tq_va(&qe, err_at));
    tq_expect(&qi, qi.wptr, VKFD_QERR_NONE, 0, 0);
    g_assert_cmpuint(submit(v, VKFD_CMD_UNMAP_CONTEXT, 1), ==, VKFD_ST_OK);
    g_free(p);
    vkfd_stop(v);
}

int main(int argc, char **argv)
{
    unsigned i;

    g_test_init(&argc, &argv, NULL);
    qtest_add_func("/vkfd/identity", test_identity);
    qtest_add_func("/vkfd/bad-register-access", test_bad_register_access);
    qtest_add_func("/vkfd/sched/map-unmap", test_map_unmap);
    qtest_add_func("/vkfd/sched/bad-commands", test_bad_commands);
    qtest_add_func("/vkfd/sched/ring-errors", test_ring_errors);
    qtest_add_func("/vkfd/sched/wrap", test_ring_wrap);
    qtest_add_func("/vkfd/sched/random", test_random_commands);
    qtest_add_func("/vkfd/sched/set-trap", test_set_trap);
    qtest_add_func("/vkfd/sched/set-trap-refused", test_set_trap_refused);
    qtest_add_func("/vkfd/msix", test_msix);
    qtest_add_func("/vkfd/doorbells", test_doorbells);
    qtest_add_func("/vkfd/gpu/defaults", test_gpu_defaults);
    for (i = 0; i < ARRAY_SIZE(target_cases); i++) {
        g_autofree char *name = g_strdup_printf("/vkfd/gpu/target/%u", i);

        qtest_add_data_func(name, &target_cases[i], test_gpu_target);
    }
    qtest_add_func("/vkfd/gpu/bad-properties", test_gpu_bad_properties);
    qtest_add_func("/vkfd/gpu/clock", test_gpu_clock);
    qtest_add_func("/vkfd/gpuvm/registers", test_gpuvm_registers);
    qtest_add_func("/vkfd/gpuvm/levels", test_gpuvm_levels);
    qtest_add_func("/vkfd/gpuvm/huge", test_gpuvm_huge);
    qtest_add_func("/vkfd/gpuvm/permissions", test_gpuvm_permissions);
    qtest_add_func("/vkfd/gpuvm/bad-entries", test_gpuvm_bad_entries);
    qtest_add_func("/vkfd/gpuvm/fault-latch", test_gpuvm_fault_latch);
    qtest_add_func("/vkfd/gpuvm/tlb", test_gpuvm_tlb);
    qtest_add_func("/vkfd/gpuvm/contexts", test_gpuvm_contexts);
    qtest_add_func("/vkfd/gpuvm/atomic", test_gpuvm_atomic);
    qtest_add_func("/vkfd/gpuvm/bad-args", test_gpuvm_bad_args);
    qtest_add_func("/vkfd/gpuvm/big", test_gpuvm_big);
    qtest_add_func("/vkfd/gpuvm/hdp", test_gpuvm_hdp);
    qtest_add_func("/vkfd/gpuvm/random", test_gpuvm_random);
    qtest_add_func("/vkfd/gpuvm/migration", test_gpuvm_migration);
    qtest_add_func("/vkfd/queue/map-errors", test_queue_map_errors);
    qtest_add_func("/vkfd/queue/bad-properties", test_queue_bad_properties);
    qtest_add_func("/vkfd/queue/doorbells", test_queue_doorbells);
    qtest_add_func("/vkfd/queue/reset", test_queue_reset);
    qtest_add_func("/vkfd/queue/migration", test_queue_migration);
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
    return g_test_run();
}
