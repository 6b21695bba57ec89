/*
 * Helpers shared by the vkfd qtests: starting a device, the scheduler
 * ring, and GPUVM page tables built in guest memory.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef VKFD_QTEST_UTIL_H
#define VKFD_QTEST_UTIL_H

#include "qemu/bswap.h"
#include "hw/pci/pci_regs.h"
#include "libqtest.h"
#include "libqos/pci-pc.h"
#include "libqos/malloc-pc.h"
#include "qapi/qmp/qdict.h"
#include "hw/kfd/vkfd_hw.h"

#define VKFD_DEVFN      QPCI_DEVFN(4, 0)
#define CMD_SIZE        ((uint32_t)sizeof(struct vkfd_sched_cmd))
#define RING_SIZE       0x1000u
#define PAGE            VKFD_GPU_PAGE_SIZE
#define MIB             (1ull << 20)
#define GIB             (1ull << 30)
#define PTE_W           VKFD_PTE_WRITE
#define PTE_SYS         VKFD_PTE_SYSTEM

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

/*
 * Start QEMU with one vkfd at 04.0; props are the device's properties
 * after "vkfd,addr=04.0" (libqos maps BARs below 4 GiB: keep VRAM small).
 */
static inline Vkfd *vkfd_start_props(const char *props)
{
    Vkfd *v = g_new0(Vkfd, 1);

    v->qts = qtest_initf("-M pc -nodefaults -device vkfd,addr=04.0%s",
                         props);
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

static inline void vkfd_stop(Vkfd *v)
{
    g_free(v->dev);
    qpci_free_pc(v->bus);
    alloc_destroy(&v->alloc);
    qtest_quit(v->qts);
    g_free(v);
}

static inline uint32_t rd(Vkfd *v, uint32_t reg)
{
    return qpci_io_readl(v->dev, v->regs, reg);
}

static inline void wr(Vkfd *v, uint32_t reg, uint32_t val)
{
    qpci_io_writel(v->dev, v->regs, reg, val);
}

static inline void ring_setup(Vkfd *v, uint64_t base, uint32_t size)
{
    wr(v, VKFD_REG_SCHED_BASE_LO, (uint32_t)base);
    wr(v, VKFD_REG_SCHED_BASE_HI, base >> 32);
    wr(v, VKFD_REG_SCHED_SIZE, size);
    wr(v, VKFD_REG_CONTROL, VKFD_CONTROL_ENABLE);
    v->wptr = 0;
}

static inline void ring_enable(Vkfd *v)
{
    ring_setup(v, v->ring, RING_SIZE);
    g_assert_cmphex(rd(v, VKFD_REG_STATUS), ==, VKFD_STATUS_ENABLED);
}

/* Write one command at wptr without kicking; returns its fence address. */
static inline uint64_t ring_put(Vkfd *v, struct vkfd_sched_cmd *cmd)
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

/* Wait (up to 20 s) until the device has consumed everything to wptr. */
static inline void ring_wait_idle(Vkfd *v)
{
    int i;

    for (i = 0; i < 200000 && rd(v, VKFD_REG_SCHED_RPTR) != v->wptr; i++) {
        g_usleep(100);
    }
    g_assert_cmphex(rd(v, VKFD_REG_SCHED_RPTR), ==, v->wptr);
}

/* Submit one command, wait for it, return its fence status. */
static inline uint32_t submit_cmd(Vkfd *v, struct vkfd_sched_cmd *cmd)
{
    uint64_t fence = ring_put(v, cmd);

    wr(v, VKFD_REG_SCHED_WPTR, v->wptr);
    ring_wait_idle(v);
    g_assert_cmpuint(qtest_readl(v->qts, fence), ==, cmd->seq);
    return qtest_readl(v->qts, fence + 4);
}

/*
 * MSI-X messages leave from the device's IRQ bottom half, a moment after
 * the work that raised them: wait (up to 5 s) for the message's data at
 * addr.  For want == 0, give the bottom half 20 ms to prove it silent.
 */
static inline void wait_msi(QTestState *qts, uint64_t addr, uint32_t want)
{
    int i;

    if (!want) {
        g_usleep(20 * 1000);
    }
    for (i = 0; i < 50000 && qtest_readl(qts, addr) != want; i++) {
        g_usleep(100);
    }
    g_assert_cmphex(qtest_readl(qts, addr), ==, want);
}

/* ... and for the pending bit of a masked vector. */
static inline void wait_msix_pending(QPCIDevice *dev, uint16_t vector)
{
    int i;

    for (i = 0; i < 50000 && !qpci_msix_pending(dev, vector); i++) {
        g_usleep(100);
    }
    g_assert_true(qpci_msix_pending(dev, vector));
}

/*
 * Enable MSI-X and aim vector at addr with data, unmasked; returns the
 * vector's entry in the table BAR, for the test to move or mask it.
 */
static inline uint32_t msix_aim(QPCIDevice *dev, uint16_t vector,
                                uint64_t addr, uint32_t data)
{
    uint32_t off = dev->msix_table_off + vector * PCI_MSIX_ENTRY_SIZE;

    qpci_msix_enable(dev);
    qpci_io_writel(dev, dev->msix_table_bar,
                   off + PCI_MSIX_ENTRY_LOWER_ADDR, (uint32_t)addr);
    qpci_io_writel(dev, dev->msix_table_bar,
                   off + PCI_MSIX_ENTRY_UPPER_ADDR, addr >> 32);
    qpci_io_writel(dev, dev->msix_table_bar,
                   off + PCI_MSIX_ENTRY_DATA, data);
    qpci_io_writel(dev, dev->msix_table_bar,
                   off + PCI_MSIX_ENTRY_VECTOR_CTRL, 0);
    return off;
}

static inline uint64_t pt_alloc(Vkfd *v)
{
    uint64_t t = guest_alloc(&v->alloc, PAGE);

    g_assert_cmphex(t % PAGE, ==, 0);
    qtest_memset(v->qts, t, 0, PAGE);
    return t;
}

static inline unsigned pt_index(uint64_t va, int level)
{
    return (va >> (VKFD_GPU_PAGE_SHIFT + 9 * level)) & 511;
}

/*
 * The address of va's entry in its table of the given level (3 is the
 * root), creating the directories above it on the way.
 */
static inline uint64_t pt_entry(Vkfd *v, uint64_t root, uint64_t va,
                                int level)
{
    uint64_t table = root, ea, e;
    int l;

    for (l = VKFD_GPUVM_LEVELS - 1; l > level; l--) {
        ea = table + pt_index(va, l) * 8;
        e = qtest_readq(v->qts, ea);
        if (!(e & VKFD_PTE_VALID)) {
            e = pt_alloc(v) | VKFD_PTE_VALID;
            qtest_writeq(v->qts, ea, e);
        }
        table = e & VKFD_PTE_ADDR_MASK;
    }
    return table + pt_index(va, level) * 8;
}

static inline void pt_set(Vkfd *v, uint64_t root, uint64_t va, int level,
                          uint64_t entry)
{
    qtest_writeq(v->qts, pt_entry(v, root, va, level), entry);
}

/* Map va onto addr with a leaf at level (0: 4 KiB, 1: 2 MiB, 2: 1 GiB). */
static inline void pt_map(Vkfd *v, uint64_t root, uint64_t va,
                          uint64_t addr, uint64_t bits, int level)
{
    pt_set(v, root, va, level, addr | bits | VKFD_PTE_VALID |
                               (level ? VKFD_PDE_HUGE : 0));
}

static inline uint32_t map_ctx(Vkfd *v, uint32_t ctx, uint64_t root)
{
    struct vkfd_sched_cmd cmd = {
        .opcode = VKFD_CMD_MAP_CONTEXT, .ctx_id = ctx,
    };

    cmd.u.map_context.pt_base = root;
    return submit_cmd(v, &cmd);
}

static inline uint64_t fault_addr(Vkfd *v)
{
    return (uint64_t)rd(v, VKFD_REG_VM_FAULT_ADDR_HI) << 32 |
           rd(v, VKFD_REG_VM_FAULT_ADDR_LO);
}

/* Wait for a migration to end on either side; true if it completed. */
static inline bool migration_wait(QTestState *qts)
{
    const char *st;
    QDict *rsp;
    bool done = false, ok = false;

    while (!done) {
        rsp = qtest_qmp(qts, "{ 'execute': 'query-migrate' }");
        st = qdict_get_try_str(qdict_get_qdict(rsp, "return"), "status");
        done = st && (!strcmp(st, "completed") || !strcmp(st, "failed"));
        ok = st && !strcmp(st, "completed");
        qobject_unref(rsp);
        g_usleep(1000);
    }
    return ok;
}

/*
 * v goes on with dst, a new QEMU taking v's migration stream: once it is
 * loaded, dst runs, the test's view of the PCI bus moves to it and v's
 * old QEMU quits.
 */
static inline void vkfd_move_to(Vkfd *v, QTestState *dst)
{
    QTestState *src = v->qts;

    v->qts = dst;
    g_assert_true(migration_wait(dst));
    qtest_qmp_assert_success(dst, "{ 'execute': 'cont' }");
    g_free(v->dev);
    qpci_free_pc(v->bus);
    v->bus = qpci_new_pc(dst, NULL);
    v->dev = qpci_device_find(v->bus, VKFD_DEVFN);
    g_assert_nonnull(v->dev);
    qtest_quit(src);
}

/*
 * Migrate v's machine through a file to a new QEMU started with the same
 * device properties, and go on with the new one: the test's view of the
 * machine (allocator, ring, BARs) stays valid.  With stream, *stream and
 * *len are what went through the file (the caller frees *stream).
 */
static inline void vkfd_migrate_keep(Vkfd *v, const char *props,
                                     char **stream, gsize *len)
{
    g_autofree char *file = g_strdup_printf("%s/vkfd-mig-%d",
                                            g_get_tmp_dir(), getpid());
    g_autofree char *uri = g_strdup_printf("exec:cat > %s", file);
    QTestState *src = v->qts, *dst;

    qtest_qmp_assert_success(src, "{ 'execute': 'migrate', 'arguments': "
                             "{ 'uri': %s } }", uri);
    g_assert_true(migration_wait(src));
    if (stream) {
        g_assert_true(g_file_get_contents(file, stream, len, NULL));
    }
    dst = qtest_initf("-M pc -nodefaults -device vkfd,addr=04.0%s "
                      "-incoming 'exec:cat %s'", props, file);
    vkfd_move_to(v, dst);
    unlink(file);
}

static inline void vkfd_migrate(Vkfd *v, const char *props)
{
    vkfd_migrate_keep(v, props, NULL, NULL);
}

/*
 * Offer the migration stream at uri to a new QEMU whose vkfd has props.
 * With ok it must load; else the destination must refuse it: QEMU 7.2
 * then exits with a failure.
 */
static inline void vkfd_incoming(const char *props, const char *uri,
                                 bool ok)
{
    QTestState *qts;
    int n;

    qts = qtest_initf("-M pc -nodefaults -device vkfd,addr=04.0%s "
                      "-incoming defer", props);
    qtest_qmp_assert_success(qts, "{ 'execute': 'migrate-incoming', "
                             "'arguments': { 'uri': %s } }", uri);
    if (ok) {
        g_assert_true(migration_wait(qts));
        qtest_quit(qts);
        return;
    }
    for (n = 0; n < 30000 && qtest_probe_child(qts); n++) {
        g_usleep(1000);
    }
    g_assert_false(qtest_probe_child(qts));
    qtest_set_expected_status(qts, EXIT_FAILURE);
    qtest_quit(qts);
}

/*
 * SDMA packets (vkfd_hw.h's layouts), written into dw[]; each returns its
 * length in dwords.  The tests append them to a ring their own way.
 */
#define SDMA_PKT_MAX_DW     8

static inline unsigned sdma_pkt_fence(uint32_t *dw, uint64_t va,
                                      uint32_t value)
{
    dw[0] = VKFD_SDMA_HEADER(VKFD_SDMA_OP_FENCE, 0);
    dw[1] = va;
    dw[2] = va >> 32;
    dw[3] = value;
    return 4;
}

static inline unsigned sdma_pkt_copy(uint32_t *dw, uint64_t dst,
                                     uint64_t src, uint32_t bytes)
{
    dw[0] = VKFD_SDMA_HEADER(VKFD_SDMA_OP_COPY, 0);
    dw[1] = bytes - 1;
    dw[2] = 0;
    dw[3] = src;
    dw[4] = src >> 32;
    dw[5] = dst;
    dw[6] = dst >> 32;
    return 7;
}

static inline unsigned sdma_pkt_fill(uint32_t *dw, uint64_t dst,
                                     uint32_t value, uint32_t bytes)
{
    dw[0] = VKFD_SDMA_HEADER(VKFD_SDMA_OP_CONST_FILL, 0) |
            VKFD_SDMA_FILL_DWORD;
    dw[1] = dst;
    dw[2] = dst >> 32;
    dw[3] = value;
    dw[4] = bytes - 1;
    return 5;
}

static inline unsigned sdma_pkt_trap(uint32_t *dw, uint32_t int_context)
{
    dw[0] = VKFD_SDMA_HEADER(VKFD_SDMA_OP_TRAP, 0);
    dw[1] = int_context;
    return 2;
}

/* POLL_REGMEM on memory: retry forever, at the interval the tests use */
static inline unsigned sdma_pkt_poll(uint32_t *dw, uint64_t addr,
                                     uint32_t func, uint32_t ref,
                                     uint32_t mask)
{
    dw[0] = VKFD_SDMA_HEADER(VKFD_SDMA_OP_POLL_REGMEM, 0) |
            VKFD_SDMA_POLL_MEM | VKFD_SDMA_POLL_FUNC(func);
    dw[1] = addr;
    dw[2] = addr >> 32;
    dw[3] = ref;
    dw[4] = mask;
    dw[5] = 0x0fff000a;
    return 6;
}

/* Clear cmd and make it an opcode command for ctx_id. */
static inline void sched_cmd(struct vkfd_sched_cmd *cmd, uint8_t opcode,
                             uint32_t ctx_id)
{
    memset(cmd, 0, sizeof(*cmd));
    cmd->opcode = opcode;
    cmd->ctx_id = ctx_id;
}

/* Submit one command, wait for it, return its fence status. */
static inline uint32_t submit(Vkfd *v, uint8_t opcode, uint32_t ctx_id)
{
    struct vkfd_sched_cmd cmd = { .opcode = opcode, .ctx_id = ctx_id };

    return submit_cmd(v, &cmd);
}

/*
 * Start QEMU with one vkfd device configured by props and return its exit
 * status; a device QEMU accepts would run on, so `timeout` bounds it (and
 * its 124 is not what the callers look for).
 */
static inline int qemu_start_status(const char *props, char **err)
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

static inline uint64_t read_clock(Vkfd *v)
{
    uint32_t lo = rd(v, VKFD_REG_CLOCK_LO);

    return (uint64_t)rd(v, VKFD_REG_CLOCK_HI) << 32 | lo;
}

/* GPUVM's fault latch */
#define FAULT_ALL       (VKFD_VM_FAULT_VALID | VKFD_VM_FAULT_WRITE | \
                         VKFD_VM_FAULT_MULTIPLE | VKFD_VM_FAULT_PROTECTION)

/*
 * A command faulted at va: check what was latched (flags besides VALID:
 * VKFD_VM_FAULT_WRITE, _PROTECTION; the bits of ignore are not looked
 * at), then clear it.
 */
static inline void expect_fault_flags(Vkfd *v, uint32_t status,
                                      uint32_t ctx, uint64_t va,
                                      uint32_t flags, uint32_t ignore)
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
static inline void expect_fault(Vkfd *v, uint32_t status, uint32_t ctx,
                                uint64_t va, bool write)
{
    expect_fault_flags(v, status, ctx, va, write ? VKFD_VM_FAULT_WRITE : 0,
                       VKFD_VM_FAULT_PROTECTION);
}

/* ... a write to a page mapped read-only: a protection fault */
static inline void expect_fault_ro(Vkfd *v, uint32_t status, uint32_t ctx,
                                   uint64_t va)
{
    expect_fault_flags(v, status, ctx, va,
                       VKFD_VM_FAULT_WRITE | VKFD_VM_FAULT_PROTECTION, 0);
}

/* ... an access to a page that is not mapped */
static inline void expect_fault_np(Vkfd *v, uint32_t status, uint32_t ctx,
                                   uint64_t va, bool write)
{
    expect_fault_flags(v, status, ctx, va, write ? VKFD_VM_FAULT_WRITE : 0,
                       0);
}

#endif /* VKFD_QTEST_UTIL_H */
