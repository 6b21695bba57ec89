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

int main(int argc, char **argv)
{
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
    return g_test_run();
}
