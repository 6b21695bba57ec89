/*
 * QTest testcases for vkfd behind a PCIe root port and behind a PCI
 * bridge on q35: a hostile guest aims the device's own writes -- an
 * UNMAP_QUEUE MQD write-back, an IH ring entry, a scheduler fence, an
 * MSI-X message -- at the parent bridge's config space through the
 * MMCONFIG window, where Bridge Control's Secondary Bus Reset or Slot
 * Control's power-off would reset the device inside its own work.  The
 * DMA paths must be refused with an error state; the MSI-X message goes
 * out and resets the device from a bottom half that holds nothing, and
 * QEMU goes on.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "hw/pci/pci_regs.h"
#include "vkfd-qtest-util.h"

#define MMCFG_BASE      0xb0000000ull   /* q35's default PCIEXBAR */
#define Q35_PCIEXBAR    0x60
#define Q35_PAM0        0x90            /* PAM5 (0x95) holds 0xe0000 */
#define BRIDGE_DEVFN    QPCI_DEVFN(5, 0)
#define SEC_BUS         1
#define WIN_BASE        0xe0000000u     /* libqos maps BARs from here */
#define WIN_LIMIT       0xefffffffu
#define MSI_DATA        0x5a5a0000u
#define CTX             1

typedef struct Topo {
    const char *name;
    const char *args;       /* the bridge and the device behind it */
    bool root_port;         /* has a PCIe Slot Control */
} Topo;

static const Topo topos[] = {
    {
        "root-port",
        "-device pcie-root-port,id=rp,bus=pcie.0,addr=05.0,chassis=1,slot=1 "
        "-device vkfd,bus=rp,addr=00.0,vram-size=16M",
        true,
    }, {
        "pci-bridge",
        "-device pci-bridge,id=br,bus=pcie.0,addr=05.0,chassis_nr=1,shpc=off "
        "-device vkfd,bus=br,addr=00.0,vram-size=16M",
        false,
    },
};

typedef struct Rig {
    Vkfd *v;
    const Topo *t;
    QPCIDevice *bridge;
    uint64_t bridge_cfg;    /* the bridge's config space in MMCONFIG */
} Rig;

static uint64_t mmcfg(int bus, int devfn, int off)
{
    return MMCFG_BASE + ((uint64_t)bus << 20) + ((uint64_t)devfn << 12) + off;
}

/* (Re)enable vkfd behind the bridge and map its BARs. */
static void rig_map_device(Rig *r)
{
    Vkfd *v = r->v;

    g_free(v->dev);
    v->dev = qpci_device_find(v->bus, SEC_BUS << 8 | QPCI_DEVFN(0, 0));
    g_assert_nonnull(v->dev);
    g_assert_cmphex(qpci_config_readw(v->dev, PCI_VENDOR_ID), ==,
                    VKFD_PCI_VENDOR_ID);
    qpci_device_enable(v->dev);
    v->regs = qpci_iomap(v->dev, VKFD_BAR_REGS, &v->regs_size);
    v->doorbells = qpci_iomap(v->dev, VKFD_BAR_DOORBELL, &v->doorbells_size);
    v->vram = qpci_iomap(v->dev, VKFD_BAR_VRAM, &v->vram_size);
    g_assert_cmphex(rd(v, VKFD_REG_ID), ==, VKFD_ID_MAGIC);
}

/*
 * q35 with the topology, as a firmware would leave it: MMCONFIG on,
 * the bridge's secondary bus numbered and a memory window over the BARs
 * libqos assigns; vkfd enabled with its scheduler ring running.
 */
static Rig *rig_start(const Topo *t)
{
    Rig *r = g_new0(Rig, 1);
    Vkfd *v = g_new0(Vkfd, 1);
    QPCIDevice *host;

    r->t = t;
    r->v = v;
    v->qts = qtest_initf("-M q35 -nodefaults %s", t->args);
    pc_alloc_init(&v->alloc, v->qts, ALLOC_NO_FLAGS);
    v->bus = qpci_new_pc(v->qts, &v->alloc);

    host = qpci_device_find(v->bus, 0);
    qpci_config_writel(host, Q35_PCIEXBAR + 4, 0);
    qpci_config_writel(host, Q35_PCIEXBAR, MMCFG_BASE | 1);
    g_free(host);

    r->bridge = qpci_device_find(v->bus, BRIDGE_DEVFN);
    g_assert_nonnull(r->bridge);
    r->bridge_cfg = mmcfg(0, BRIDGE_DEVFN, 0);
    /* MMCONFIG reaches the bridge: its vendor id reads the same */
    g_assert_cmphex(qtest_readw(v->qts, r->bridge_cfg + PCI_VENDOR_ID), ==,
                    qpci_config_readw(r->bridge, PCI_VENDOR_ID));
    qpci_config_writeb(r->bridge, PCI_PRIMARY_BUS, 0);
    qpci_config_writeb(r->bridge, PCI_SECONDARY_BUS, SEC_BUS);
    qpci_config_writeb(r->bridge, PCI_SUBORDINATE_BUS, SEC_BUS);
    qpci_config_writew(r->bridge, PCI_MEMORY_BASE, WIN_BASE >> 16);
    qpci_config_writew(r->bridge, PCI_MEMORY_LIMIT, WIN_LIMIT >> 16);
    qpci_config_writew(r->bridge, PCI_PREF_MEMORY_BASE, 0xfff0);
    qpci_config_writew(r->bridge, PCI_PREF_MEMORY_LIMIT, 0);
    qpci_config_writew(r->bridge, PCI_COMMAND,
                       PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);

    rig_map_device(r);
    v->ring = guest_alloc(&v->alloc, RING_SIZE);
    v->fences = guest_alloc(&v->alloc, RING_SIZE / CMD_SIZE * 8);
    ring_enable(v);
    return r;
}

static void rig_stop(Rig *r)
{
    g_free(r->bridge);
    vkfd_stop(r->v);
    g_free(r);
}

static uint16_t bridge_ctl(Rig *r)
{
    return qpci_config_readw(r->bridge, PCI_BRIDGE_CONTROL);
}

/* Offset of the root port's Slot Control register. */
static uint8_t slot_ctl_off(Rig *r)
{
    uint8_t cap = qpci_find_capability(r->bridge, PCI_CAP_ID_EXP, 0);

    g_assert_cmpuint(cap, !=, 0);
    return cap + PCI_EXP_SLTCTL;
}

/* QEMU still answers, and the device still works. */
static void expect_alive(Rig *r)
{
    Vkfd *v = r->v;

    qtest_qmp_assert_success(v->qts, "{ 'execute': 'query-status' }");
    g_assert_cmphex(rd(v, VKFD_REG_ID), ==, VKFD_ID_MAGIC);
    g_assert_cmpuint(map_ctx(v, 7, 0), ==, VKFD_ST_OK);
}

/*
 * The UNMAP_QUEUE write-back puts the queue's rptr (from the guest's
 * MQD) at MQD + 0x28: aimed at the bridge's 0x38, bits 63:48 of rptr
 * land in Bridge Control -- Secondary Bus Reset.  Refused: BAD_MQD, the
 * queue still mapped, the bridge untouched.
 */
static void test_mqd_writeback(const void *opaque)
{
    Rig *r = rig_start(opaque);
    Vkfd *v = r->v;
    uint64_t root = pt_alloc(v), mqd = guest_alloc(&v->alloc, PAGE);
    struct vkfd_sched_cmd cmd = {
        .opcode = VKFD_CMD_MAP_QUEUE, .ctx_id = CTX,
    };
    struct vkfd_mqd m = {
        .type = VKFD_QUEUE_PM4, .doorbell = 3,
        .ring_base = 0x10000, .ring_size = 0x1000,
        .rptr_addr = 0x20000, .wptr_addr = 0x20008,
        .rptr = (uint64_t)PCI_BRIDGE_CTL_BUS_RESET << 48,
    };

    g_assert_cmpuint(map_ctx(v, CTX, root), ==, VKFD_ST_OK);
    qtest_memwrite(v->qts, mqd, &m, sizeof(m));
    cmd.u.map_queue.mqd_addr = mqd;
    g_assert_cmpuint(submit_cmd(v, &cmd), ==, VKFD_ST_OK);

    memset(&cmd, 0, sizeof(cmd));
    cmd.opcode = VKFD_CMD_UNMAP_QUEUE;
    cmd.ctx_id = CTX;
    cmd.u.unmap_queue.mqd_addr = r->bridge_cfg + 0x38 -
                                 offsetof(struct vkfd_mqd, rptr);
    cmd.u.unmap_queue.doorbell = 3;
    g_assert_cmpuint(submit_cmd(v, &cmd), ==, VKFD_ST_BAD_MQD);
    g_assert_cmphex(rd(v, VKFD_REG_SCHED_ERROR), ==, VKFD_ST_BAD_MQD);
    g_assert_cmphex(bridge_ctl(r) & PCI_BRIDGE_CTL_BUS_RESET, ==, 0);

    /* the queue is still there: unmapping it into RAM works */
    cmd.u.unmap_queue.mqd_addr = mqd;
    cmd.fence_addr = 0;                     /* the next slot's */
    g_assert_cmpuint(submit_cmd(v, &cmd), ==, VKFD_ST_OK);
    g_assert_cmphex(qtest_readq(v->qts, mqd + offsetof(struct vkfd_mqd, rptr)),
                    ==, m.rptr);
    expect_alive(r);
    rig_stop(r);
}

/*
 * A scheduler fence aimed at the bridge: its seq lands on Slot Control
 * (the root port: Power Controller Control, power off) or on 0x38 (the
 * bridge).  The command must not run (NUM_CONTEXTS stays 0), the fence
 * is refused with DMA_ERROR and the bridge is untouched.
 */
static void test_fence(const void *opaque)
{
    Rig *r = rig_start(opaque);
    Vkfd *v = r->v;
    uint64_t root = pt_alloc(v);
    uint8_t off = r->t->root_port ? slot_ctl_off(r) : 0x38;
    uint16_t sltctl = r->t->root_port ?
                      qpci_config_readw(r->bridge, off) : 0;
    struct vkfd_sched_cmd cmd = {
        .opcode = VKFD_CMD_MAP_CONTEXT, .ctx_id = CTX,
    };

    cmd.u.map_context.pt_base = root;
    /* seq is the fence's first dword, status the second */
    cmd.fence_addr = r->bridge_cfg + (off & ~7);
    v->seq = (sltctl | PCI_EXP_SLTCTL_PWR_OFF) - 1; /* ring_put adds 1 */
    ring_put(v, &cmd);
    wr(v, VKFD_REG_SCHED_WPTR, v->wptr);
    ring_wait_idle(v);
    g_assert_cmphex(rd(v, VKFD_REG_SCHED_ERROR), ==, VKFD_ST_DMA_ERROR);
    g_assert_cmpuint(rd(v, VKFD_REG_NUM_CONTEXTS), ==, 0);
    g_assert_cmphex(bridge_ctl(r) & PCI_BRIDGE_CTL_BUS_RESET, ==, 0);
    if (r->t->root_port) {
        g_assert_cmphex(qpci_config_readw(r->bridge, off), ==, sltctl);
    } else {
        g_assert_cmphex(qpci_config_readl(r->bridge, off), ==, 0);
    }
    /* the same command with its fence in RAM runs */
    g_assert_cmpuint(map_ctx(v, CTX, root), ==, VKFD_ST_OK);
    g_assert_cmpuint(rd(v, VKFD_REG_NUM_CONTEXTS), ==, 1);
    expect_alive(r);
    rig_stop(r);
}

/* A VM_FILL in a context with no page table: one VM fault, one IH entry. */
static void post_vm_fault(Vkfd *v)
{
    struct vkfd_sched_cmd cmd = { .opcode = VKFD_CMD_VM_FILL, .ctx_id = 2 };

    cmd.u.vm_fill.va = 0x1000;
    cmd.u.vm_fill.size = 4;
    if (!rd(v, VKFD_REG_NUM_CONTEXTS)) {
        g_assert_cmpuint(map_ctx(v, 2, 0), ==, VKFD_ST_OK);
    }
    g_assert_cmpuint(submit_cmd(v, &cmd), ==, VKFD_ST_VM_FAULT);
}

/*
 * An IH ring in the bridge's config space is refused at IH_CNTL.ENABLE;
 * and a ring that was RAM when enabled but is not any more (PAM gives
 * 0xe0000 back to the BIOS ROM) drops its entries with IH_STATUS.DMA_ERROR.
 */
static void test_ih(const void *opaque)
{
    Rig *r = rig_start(opaque);
    Vkfd *v = r->v;
    QPCIDevice *host = qpci_device_find(v->bus, 0);
    uint32_t errors = rd(v, VKFD_REG_ACCESS_ERRORS);
    uint64_t ram = 0xe0000;

    wr(v, VKFD_REG_IH_BASE_LO, (uint32_t)r->bridge_cfg);
    wr(v, VKFD_REG_IH_BASE_HI, r->bridge_cfg >> 32);
    wr(v, VKFD_REG_IH_SIZE, VKFD_IH_RING_MIN);
    wr(v, VKFD_REG_IH_CNTL, VKFD_IH_CNTL_ENABLE);
    g_assert_cmphex(rd(v, VKFD_REG_IH_CNTL), ==, 0);
    g_assert_cmpuint(rd(v, VKFD_REG_ACCESS_ERRORS), ==, errors + 1);
    post_vm_fault(v);
    g_assert_cmphex(bridge_ctl(r) & PCI_BRIDGE_CTL_BUS_RESET, ==, 0);
    g_assert_cmphex(qtest_readw(v->qts, r->bridge_cfg + PCI_VENDOR_ID), ==,
                    qpci_config_readw(r->bridge, PCI_VENDOR_ID));

    /* 0xe0000-0xe7fff read/write RAM, a ring there, then ROM again */
    qpci_config_writeb(host, Q35_PAM0 + 5, 0x33);
    qtest_memset(v->qts, ram, 0, VKFD_IH_RING_MIN);
    wr(v, VKFD_REG_IH_BASE_LO, ram);
    wr(v, VKFD_REG_IH_BASE_HI, 0);
    wr(v, VKFD_REG_IH_CNTL, VKFD_IH_CNTL_ENABLE);
    g_assert_cmphex(rd(v, VKFD_REG_IH_CNTL), ==, VKFD_IH_CNTL_ENABLE);
    post_vm_fault(v);
    g_assert_cmphex(rd(v, VKFD_REG_IH_WPTR), ==, 32);
    g_assert_cmphex(qtest_readl(v->qts, ram), ==, VKFD_IH_SRC_VM_FAULT);
    qpci_config_writeb(host, Q35_PAM0 + 5, 0);     /* PCI: the BIOS ROM */
    post_vm_fault(v);
    g_assert_cmphex(rd(v, VKFD_REG_IH_WPTR), ==, 32);
    g_assert_cmpuint(rd(v, VKFD_REG_IH_OVERFLOWS), ==, 1);
    g_assert_cmphex(rd(v, VKFD_REG_IH_STATUS), ==, VKFD_IH_STATUS_DMA_ERROR);
    wr(v, VKFD_REG_IH_STATUS, VKFD_IH_STATUS_DMA_ERROR);
    g_assert_cmphex(rd(v, VKFD_REG_IH_STATUS), ==, 0);
    g_free(host);
    expect_alive(r);
    rig_stop(r);
}

/* Point MSI-X vector 0 (scheduler completions) at addr with data. */
/*
 * Queues, contexts and a running ring, then a command whose completion
 * message (MSI-X: address and data are the guest's) lands on the
 * bridge's config space and resets vkfd.  The reset happens after the
 * device's work, in the IRQ bottom half: QEMU goes on and the device
 * comes back from reset with nothing left.
 */
static void msix_reset(Rig *r, uint64_t addr, uint32_t data,
                       void (*undo)(Rig *r))
{
    Vkfd *v = r->v;
    uint64_t root = pt_alloc(v), mqd = guest_alloc(&v->alloc, PAGE);
    struct vkfd_sched_cmd cmd = { .opcode = VKFD_CMD_MAP_QUEUE, .ctx_id = CTX };
    struct vkfd_mqd m = {
        .type = VKFD_QUEUE_SDMA, .doorbell = 1,
        .ring_base = 0x10000, .ring_size = 0x1000,
        .rptr_addr = 0x20000, .wptr_addr = 0x20008,
    };
    uint16_t cmdreg;
    uint8_t msix;
    int i;

    g_assert_cmpuint(map_ctx(v, CTX, root), ==, VKFD_ST_OK);
    qtest_memwrite(v->qts, mqd, &m, sizeof(m));
    cmd.u.map_queue.mqd_addr = mqd;
    g_assert_cmpuint(submit_cmd(v, &cmd), ==, VKFD_ST_OK);
    /* the queue runs and faults (no page table): IH and VM fault work */
    qpci_io_writel(v->dev, v->doorbells,
                   CTX * VKFD_DOORBELL_PAGE_SIZE + 1 * VKFD_DOORBELL_SIZE, 1);
    msix_aim(v->dev, VKFD_VECTOR_SCHED, addr, data);

    memset(&cmd, 0, sizeof(cmd));
    cmd.opcode = VKFD_CMD_NOP;
    cmd.flags = VKFD_CMD_F_IRQ;
    ring_put(v, &cmd);
    wr(v, VKFD_REG_SCHED_WPTR, v->wptr);

    /*
     * The message resets vkfd: its config space goes back to power-on
     * (or reads as all ones while the slot has no power).
     */
    for (i = 0; i < 50000; i++) {
        cmdreg = qpci_config_readw(v->dev, PCI_COMMAND);
        if (cmdreg == 0xffff || !(cmdreg & PCI_COMMAND_MEMORY)) {
            break;
        }
        g_usleep(100);
    }
    undo(r);
    g_assert_cmphex(qpci_config_readw(v->dev, PCI_COMMAND) &
                    PCI_COMMAND_MEMORY, ==, 0);
    rig_map_device(r);
    g_assert_cmphex(rd(v, VKFD_REG_STATUS), ==, 0);
    g_assert_cmphex(rd(v, VKFD_REG_CONTROL), ==, 0);
    g_assert_cmpuint(rd(v, VKFD_REG_NUM_CONTEXTS), ==, 0);
    g_assert_cmphex(rd(v, VKFD_REG_SCHED_RPTR), ==, 0);
    msix = qpci_find_capability(v->dev, PCI_CAP_ID_MSIX, 0);
    g_assert_cmphex(qpci_config_readw(v->dev, msix + PCI_MSIX_FLAGS) &
                    PCI_MSIX_FLAGS_ENABLE, ==, 0);
    /* and it works again from scratch */
    ring_enable(v);
    expect_alive(r);
    rig_stop(r);
}

static void undo_bus_reset(Rig *r)
{
    g_assert_cmphex(bridge_ctl(r) & PCI_BRIDGE_CTL_BUS_RESET, ==,
                    PCI_BRIDGE_CTL_BUS_RESET);
    qpci_config_writew(r->bridge, PCI_BRIDGE_CONTROL, 0);
}

static void undo_power_off(Rig *r)
{
    uint8_t off = slot_ctl_off(r);
    uint16_t ctl = qpci_config_readw(r->bridge, off);

    g_assert_cmphex(ctl & PCI_EXP_SLTCTL_PCC, ==, PCI_EXP_SLTCTL_PWR_OFF);
    qpci_config_writew(r->bridge, off, ctl & ~PCI_EXP_SLTCTL_PCC);
}

/* The message's data dword at 0x3c puts 0x40 into Bridge Control. */
static void test_msix_bus_reset(const void *opaque)
{
    Rig *r = rig_start(opaque);

    msix_reset(r, r->bridge_cfg + PCI_INTERRUPT_LINE,
               (uint32_t)PCI_BRIDGE_CTL_BUS_RESET << 16, undo_bus_reset);
}

/* The message's data dword on Slot Control turns the slot's power off. */
static void test_msix_power_off(const void *opaque)
{
    Rig *r = rig_start(opaque);
    uint8_t off = slot_ctl_off(r);

    msix_reset(r, r->bridge_cfg + off,
               qpci_config_readw(r->bridge, off) | PCI_EXP_SLTCTL_PWR_OFF,
               undo_power_off);
}

int main(int argc, char **argv)
{
    unsigned i;

    g_test_init(&argc, &argv, NULL);
    for (i = 0; i < ARRAY_SIZE(topos); i++) {
        const Topo *t = &topos[i];
        g_autofree char *mqd = g_strdup_printf("/vkfd/%s/mqd-writeback",
                                               t->name);
        g_autofree char *fence = g_strdup_printf("/vkfd/%s/fence", t->name);
        g_autofree char *ih = g_strdup_printf("/vkfd/%s/ih", t->name);
        g_autofree char *sbr = g_strdup_printf("/vkfd/%s/msix-bus-reset",
                                               t->name);
        g_autofree char *pwr = g_strdup_printf("/vkfd/%s/msix-power-off",
                                               t->name);

        qtest_add_data_func(mqd, t, test_mqd_writeback);
        qtest_add_data_func(fence, t, test_fence);
        qtest_add_data_func(ih, t, test_ih);
        qtest_add_data_func(sbr, t, test_msix_bus_reset);
        if (t->root_port) {
            qtest_add_data_func(pwr, t, test_msix_power_off);
        }
    }
    return g_test_run();
}
