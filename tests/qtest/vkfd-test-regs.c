/*
 * vkfd-test: what the device shows before any command runs.  PCI
 * identity, the rules of the register block, MSI-X, the doorbell BAR,
 * and the GPU identity registers and clock with their properties
 * (hw/kfd/vkfd-pci.c, vkfd-regs.c, vkfd-identity.c, vkfd-doorbell.c).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "hw/pci/pci_regs.h"
#include "vkfd-test.h"

#define MSI_DATA        0x5a5a0000u

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


static void test_msix(void)
{
    Vkfd *v = vkfd_start(NULL);
    uint64_t msg = guest_alloc(&v->alloc, 4);
    uint32_t off = msix_aim(v->dev, VKFD_VECTOR_SCHED, msg, MSI_DATA);
    struct vkfd_sched_cmd cmd = { .opcode = VKFD_CMD_NOP };

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

void vkfd_test_add_regs(void)
{
    unsigned i;

    qtest_add_func("/vkfd/identity", test_identity);
    qtest_add_func("/vkfd/bad-register-access", test_bad_register_access);
    qtest_add_func("/vkfd/msix", test_msix);
    qtest_add_func("/vkfd/doorbells", test_doorbells);
    qtest_add_func("/vkfd/gpu/defaults", test_gpu_defaults);
    for (i = 0; i < ARRAY_SIZE(target_cases); i++) {
        g_autofree char *name = g_strdup_printf("/vkfd/gpu/target/%u", i);

        qtest_add_data_func(name, &target_cases[i], test_gpu_target);
    }
    qtest_add_func("/vkfd/gpu/bad-properties", test_gpu_bad_properties);
    qtest_add_func("/vkfd/gpu/clock", test_gpu_clock);
}
