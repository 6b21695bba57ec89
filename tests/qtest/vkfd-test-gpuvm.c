/*
 * vkfd-test: GPUVM (hw/kfd/vkfd-gpuvm.c), through the scheduler's
 * VM_FILL and VM_COPY.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "vkfd-test.h"

/*
 * GPUVM.  The tests build page tables in guest memory with the helpers
 * below, map contexts onto them and drive translation with VM_FILL and
 * VM_COPY, checking the results in guest memory and through the VRAM BAR.
 */
#define VRAM_SIZE       (16 * MIB)
#define RAM_SIZE        (128 * MIB)     /* -M pc's default */


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

void vkfd_test_add_gpuvm(void)
{
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
}
