/*
 * QTest testcases for the vkfd device: registers, the scheduler ring and
 * every kind of bad input the guest can give them.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "libqtest.h"
#include "libqos/pci-pc.h"
#include "libqos/malloc-pc.h"
#include "hw/pci/pci_regs.h"
#include "hw/kfd/vkfd_hw.h"

#define VKFD_DEVFN      QPCI_DEVFN(4, 0)
#define CMD_SIZE        ((uint32_t)sizeof(struct vkfd_sched_cmd))
#define RING_SIZE       0x1000u
#define MSI_DATA        0x5a5a0000u

typedef struct Vkfd {
    QTestState *qts;
    QGuestAllocator alloc;
    QPCIBus *bus;
    QPCIDevice *dev;
    QPCIBar regs, doorbells, vram;
    uint64_t regs_size, doorbells_size, vram_size;
    uint64_t ring;          /* guest address of the scheduler ring */
    uint64_t fences;        /* one fence slot per ring entry */
    uint32_t wptr;
    uint32_t seq;
} Vkfd;

static Vkfd *vkfd_start(const char *extra)
{
    Vkfd *v = g_new0(Vkfd, 1);

    /* libqos maps BARs below 4 GiB: keep VRAM small. */
    v->qts = qtest_initf("-M pc -nodefaults "
                         "-device vkfd,addr=04.0,vram-size=16M%s",
                         extra ? extra : "");
    pc_alloc_init(&v->alloc, v->qts, ALLOC_NO_FLAGS);
    v->bus = qpci_new_pc(v->qts, &v->alloc);
    v->dev = qpci_device_find(v->bus, VKFD_DEVFN);
    g_assert_nonnull(v->dev);
    qpci_device_enable(v->dev);
    v->regs = qpci_iomap(v->dev, VKFD_BAR_REGS, &v->regs_size);
    v->doorbells = qpci_iomap(v->dev, VKFD_BAR_DOORBELL, &v->doorbells_size);
    v->vram = qpci_iomap(v->dev, VKFD_BAR_VRAM, &v->vram_size);
    v->ring = guest_alloc(&v->alloc, RING_SIZE);
    v->fences = guest_alloc(&v->alloc, RING_SIZE / CMD_SIZE * 8);
    g_assert_cmphex(v->ring & (RING_SIZE - 1), ==, 0);
    return v;
}

static void vkfd_stop(Vkfd *v)
{
    g_free(v->dev);
    qpci_free_pc(v->bus);
    alloc_destroy(&v->alloc);
    qtest_quit(v->qts);
    g_free(v);
}

static uint32_t rd(Vkfd *v, uint32_t reg)
{
    return qpci_io_readl(v->dev, v->regs, reg);
}

static void wr(Vkfd *v, uint32_t reg, uint32_t val)
{
    qpci_io_writel(v->dev, v->regs, reg, val);
}

static void ring_setup(Vkfd *v, uint64_t base, uint32_t size)
{
    wr(v, VKFD_REG_SCHED_BASE_LO, (uint32_t)base);
    wr(v, VKFD_REG_SCHED_BASE_HI, base >> 32);
    wr(v, VKFD_REG_SCHED_SIZE, size);
    wr(v, VKFD_REG_CONTROL, VKFD_CONTROL_ENABLE);
    v->wptr = 0;
}

static void ring_enable(Vkfd *v)
{
    ring_setup(v, v->ring, RING_SIZE);
    g_assert_cmphex(rd(v, VKFD_REG_STATUS), ==, VKFD_STATUS_ENABLED);
}

/* Write one command at wptr without kicking; returns its fence address. */
static uint64_t ring_put(Vkfd *v, struct vkfd_sched_cmd *cmd)
{
    uint32_t slot = v->wptr / CMD_SIZE;
    uint64_t fence = v->fences + slot * 8;

    cmd->seq = ++v->seq;
    if (!cmd->fence_addr) {
        cmd->fence_addr = fence;
    }
    qtest_memset(v->qts, fence, 0, 8);
    qtest_memwrite(v->qts, v->ring + v->wptr, cmd, sizeof(*cmd));
    v->wptr = (v->wptr + CMD_SIZE) % RING_SIZE;
    return fence;
}

/* Wait until the device has consumed everything up to wptr. */
static void ring_wait_idle(Vkfd *v)
{
    int i;

    for (i = 0; i < 10000 && rd(v, VKFD_REG_SCHED_RPTR) != v->wptr; i++) {
        g_usleep(100);
    }
    g_assert_cmphex(rd(v, VKFD_REG_SCHED_RPTR), ==, v->wptr);
}

/* Submit one command, wait for it, return its fence status. */
static uint32_t submit(Vkfd *v, uint8_t opcode, uint32_t ctx_id)
{
    struct vkfd_sched_cmd cmd = { .opcode = opcode, .ctx_id = ctx_id };
    uint64_t fence = ring_put(v, &cmd);

    wr(v, VKFD_REG_SCHED_WPTR, v->wptr);
    ring_wait_idle(v);
    g_assert_cmpuint(qtest_readl(v->qts, fence), ==, cmd.seq);
    return qtest_readl(v->qts, fence + 4);
}

static uint32_t submit_cmd(Vkfd *v, struct vkfd_sched_cmd *cmd)
{
    uint64_t fence = ring_put(v, cmd);

    wr(v, VKFD_REG_SCHED_WPTR, v->wptr);
    ring_wait_idle(v);
    g_assert_cmpuint(qtest_readl(v->qts, fence), ==, cmd->seq);
    return qtest_readl(v->qts, fence + 4);
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
    g_assert_cmphex(rd(v, VKFD_REG_CAPS) & VKFD_CAP_SCHED_RING, !=, 0);
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
    g_assert_cmpuint(submit(v, VKFD_CMD_MAP_QUEUE, 5), ==,
                     VKFD_ST_UNSUPPORTED);
    g_assert_cmpuint(submit(v, VKFD_CMD_INVALIDATE_TLB, 5), ==,
                     VKFD_ST_UNSUPPORTED);

    /* Reserved fields must be zero; the command then does nothing. */
    memset(&cmd, 0, sizeof(cmd));
    cmd.opcode = VKFD_CMD_MAP_CONTEXT;
    cmd.ctx_id = 7;
    cmd.reserved1 = 1;
    g_assert_cmpuint(submit_cmd(v, &cmd), ==, VKFD_ST_BAD_ARGUMENT);
    memset(&cmd, 0, sizeof(cmd));
    cmd.opcode = VKFD_CMD_MAP_CONTEXT;
    cmd.ctx_id = 7;
    cmd.flags = 0x80;
    g_assert_cmpuint(submit_cmd(v, &cmd), ==, VKFD_ST_BAD_ARGUMENT);
    memset(&cmd, 0, sizeof(cmd));
    cmd.opcode = VKFD_CMD_MAP_CONTEXT;
    cmd.ctx_id = 7;
    cmd.u.raw[4] = 1;
    g_assert_cmpuint(submit_cmd(v, &cmd), ==, VKFD_ST_BAD_ARGUMENT);
    memset(&cmd, 0, sizeof(cmd));
    cmd.opcode = VKFD_CMD_MAP_CONTEXT;
    cmd.ctx_id = 7;
    cmd.u.map_context.pt_base = 0x1234;     /* not page aligned */
    g_assert_cmpuint(submit_cmd(v, &cmd), ==, VKFD_ST_BAD_ARGUMENT);
    memset(&cmd, 0, sizeof(cmd));
    cmd.opcode = VKFD_CMD_UNMAP_CONTEXT;
    cmd.ctx_id = 5;
    cmd.u.raw[0] = 1;
    g_assert_cmpuint(submit_cmd(v, &cmd), ==, VKFD_ST_BAD_ARGUMENT);
    g_assert_cmpuint(rd(v, VKFD_REG_NUM_CONTEXTS), ==, 1);

    /* A fence the device cannot write: unaligned, or not memory at all. */
    memset(&cmd, 0, sizeof(cmd));
    cmd.opcode = VKFD_CMD_MAP_CONTEXT;
    cmd.ctx_id = 8;
    cmd.fence_addr = v->fences + 4;
    ring_put(v, &cmd);
    memset(&cmd, 0, sizeof(cmd));
    cmd.opcode = VKFD_CMD_MAP_CONTEXT;
    cmd.ctx_id = 9;
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

            memset(&cmd, 0, sizeof(cmd));
            cmd.opcode = g_rand_int_range(rand, 0, 4) ?
                         g_rand_int_range(rand, 1, 3) :
                         g_rand_int_range(rand, 0, 256);
            cmd.ctx_id = ctx;
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
    g_assert_cmphex(qtest_readl(v->qts, msg), ==, 0);
    /* with it: the message lands in guest RAM */
    memset(&cmd, 0, sizeof(cmd));
    cmd.opcode = VKFD_CMD_NOP;
    cmd.flags = VKFD_CMD_F_IRQ;
    g_assert_cmpuint(submit_cmd(v, &cmd), ==, VKFD_ST_OK);
    g_assert_cmphex(qtest_readl(v->qts, msg), ==, MSI_DATA);

    /* a masked vector is left pending instead */
    qtest_writel(v->qts, msg, 0);
    qpci_io_writel(v->dev, v->dev->msix_table_bar,
                   off + PCI_MSIX_ENTRY_VECTOR_CTRL,
                   PCI_MSIX_ENTRY_CTRL_MASKBIT);
    memset(&cmd, 0, sizeof(cmd));
    cmd.opcode = VKFD_CMD_NOP;
    cmd.flags = VKFD_CMD_F_IRQ;
    g_assert_cmpuint(submit_cmd(v, &cmd), ==, VKFD_ST_OK);
    g_assert_cmphex(qtest_readl(v->qts, msg), ==, 0);
    g_assert_true(qpci_msix_pending(v->dev, VKFD_VECTOR_SCHED));
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
    /* owned, but no queue can be bound in interface 1.0 */
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
    qtest_add_func("/vkfd/msix", test_msix);
    qtest_add_func("/vkfd/doorbells", test_doorbells);
    qtest_add_func("/vkfd/gpu/defaults", test_gpu_defaults);
    for (i = 0; i < ARRAY_SIZE(target_cases); i++) {
        g_autofree char *name = g_strdup_printf("/vkfd/gpu/target/%u", i);

        qtest_add_data_func(name, &target_cases[i], test_gpu_target);
    }
    qtest_add_func("/vkfd/gpu/bad-properties", test_gpu_bad_properties);
    qtest_add_func("/vkfd/gpu/clock", test_gpu_clock);
    return g_test_run();
}
