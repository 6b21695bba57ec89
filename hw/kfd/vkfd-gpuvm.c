/*
 * vkfd: a virtual AMD KFD device -- GPUVM address translation
 *
 * Every context has its own GPU virtual address space: a 4-level page
 * table in guest memory rooted at the pt_base given by MAP_CONTEXT
 * (include/hw/kfd/vkfd_hw.h describes the entries).  The engines of the
 * device reach memory only through the functions here: they translate a
 * GPU VA page by page, through a small per-context TLB, to guest memory
 * (bus addresses, by DMA) or VRAM, and latch a VM fault when a VA does not
 * translate.
 *
 * Nothing the guest writes in a page table can make the device touch
 * memory other than guest RAM and VRAM: table entries and leaves in guest
 * memory must be plain RAM (no MMIO: no device registers, including ours),
 * and VRAM leaves are checked against the size of VRAM.  The one exception
 * is a leaf on the device's own doorbell page or HDP-flush page (what
 * DOORBELL and MMIO_REMAP BOs map): an engine's write there is handed to
 * the doorbell logic, as on the hardware, without DMA to the BAR.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/log.h"
#include "qemu/bswap.h"
#include "qemu/rcu.h"
#include "exec/memory.h"
#include "sysemu/dma.h"
#include "vkfd.h"
#include "trace.h"

#define VKFD_PTE_LEAF_BITS \
    (VKFD_PTE_VALID | VKFD_PTE_SYSTEM | VKFD_PTE_WRITE | VKFD_PTE_ADDR_MASK)
#define VKFD_PDE_BITS       (VKFD_PTE_VALID | VKFD_PTE_ADDR_MASK)

/* Shift of the VA bits that index a table of the given level. */
static inline unsigned vkfd_level_shift(int level)
{
    return VKFD_GPU_PAGE_SHIFT + 9 * level;
}

/*
 * Read a page table entry; false if the table is not in guest RAM.  The
 * entry is read through the RAM the device's DMA address space (bus
 * master enable, IOMMU) translates it to, like pci_dma_read() would, but
 * with the one translation that also checks it is RAM: half the cost of
 * a check and a pci_dma_read() (bench/vkfd-gpuvm-bench).
 */
static bool vkfd_vm_read_entry(VkfdState *s, uint64_t addr, uint64_t *entry)
{
    AddressSpace *as = pci_get_address_space(&s->parent_obj);
    hwaddr xlat, l = sizeof(*entry);
    MemoryRegion *mr;

    RCU_READ_LOCK_GUARD();
    mr = address_space_translate(as, addr, &xlat, &l, false,
                                 MEMTXATTRS_UNSPECIFIED);
    if (l < sizeof(*entry) || !memory_access_is_direct(mr, false)) {
        return false;
    }
    *entry = ldq_le_p((uint8_t *)memory_region_get_ram_ptr(mr) + xlat);
    return true;
}

/*
 * Walk the tables of root for va.  On success *pte is the leaf entry and
 * *shift the log2 of the size it maps (12, 21 or 30); otherwise *why says
 * what was wrong.  Never inlined, so that a profiler sees every walk
 * (bench/vkfd-gpuvm-bench counts its instructions).
 */
__attribute__((noinline))
bool vkfd_vm_walk(VkfdState *s, uint32_t ctx_id, uint64_t root, uint64_t va,
                  uint64_t *pte, unsigned *shift, const char **why)
{
    uint64_t table = root, e, allowed;
    unsigned sh;
    int level;

    for (level = VKFD_GPUVM_LEVELS - 1; level >= 0; level--) {
        sh = vkfd_level_shift(level);
        if (!vkfd_vm_read_entry(s, table + ((va >> sh) & 511) * 8, &e)) {
            *why = "page table not in guest RAM";
            return false;
        }
        if (!(e & VKFD_PTE_VALID)) {
            *why = "entry not valid";
            return false;
        }
        if (level > 0 && !(e & VKFD_PDE_HUGE)) {
            if (e & ~VKFD_PDE_BITS) {
                *why = "stray bits in a directory entry";
                return false;
            }
            table = e & VKFD_PTE_ADDR_MASK;
            continue;
        }
        /* a leaf: a PTE, or a huge entry at level 2 or 1 */
        if (level == VKFD_GPUVM_LEVELS - 1) {
            *why = "huge entry in the root";
            return false;
        }
        allowed = VKFD_PTE_LEAF_BITS | (level ? VKFD_PDE_HUGE : 0);
        if (e & ~allowed) {
            *why = "stray bits in a leaf";
            return false;
        }
        if (e & VKFD_PTE_ADDR_MASK & ((1ull << sh) - 1)) {
            *why = "huge leaf not aligned to its size";
            return false;
        }
        trace_vkfd_vm_walk(ctx_id, va, e, sh);
        *pte = e;
        *shift = sh;
        return true;
    }
    g_assert_not_reached();
}

/*
 * Latch a fault: the first one since the driver last cleared VALID fills
 * the fault registers, later ones set MULTIPLE.  All of them count.
 * flags: VKFD_VM_FAULT_WRITE and _PROTECTION, as the IH entry has them.
 */
static void vkfd_vm_fault_flags(VkfdState *s, uint32_t ctx_id, uint64_t va,
                                uint32_t flags, const char *why)
{
    bool is_write = flags & VKFD_VM_FAULT_WRITE;

    s->vm_fault_count++;
    s->vm_last_fault_va = va;   /* the engines report it in queue errors */
    VKFD_GUEST_ERR(vkfd_err_vm_fault, "ctx %u va 0x%" PRIx64 " write %d: %s",
                   ctx_id, va, is_write, why);
    /* every fault, latched or not, from a queue or a VM_FILL/VM_COPY */
    vkfd_ih_post(s, VKFD_IH_SRC_VM_FAULT, ctx_id, 0,
                 s->cur_queue ? s->cur_queue->doorbell : VKFD_IH_NO_DOORBELL,
                 va, flags);
    if (s->vm_fault_status & VKFD_VM_FAULT_VALID) {
        s->vm_fault_status |= VKFD_VM_FAULT_MULTIPLE;
        return;
    }
    s->vm_fault_status &= VKFD_VM_FAULT_MULTIPLE;
    s->vm_fault_status |= VKFD_VM_FAULT_VALID | flags;
    s->vm_fault_ctx = ctx_id;
    s->vm_fault_addr = va;
}

/* A fault on a page that is not there (or not memory) */
static void vkfd_vm_fault(VkfdState *s, uint32_t ctx_id, uint64_t va,
                          bool is_write, const char *why)
{
    vkfd_vm_fault_flags(s, ctx_id, va, is_write ? VKFD_VM_FAULT_WRITE : 0,
                        why);
}

void vkfd_vm_fault_clear(VkfdState *s, uint32_t bits)
{
    s->vm_fault_status &= ~(bits & VKFD_VM_FAULT_MASK);
}

/*
 * The TLB: one leaf translation a slot, the slot given by the VA's page
 * number folded six bits at a time (VA bits 47:12).  Indexing by the low
 * bits alone put pages a power of two apart in one slot: the same
 * buffer in each of 64 queues' 4 MiB of VA took turns evicting each
 * other at every kick.
 */
QEMU_BUILD_BUG_ON(VKFD_TLB_ENTRIES != 64 ||
                  VKFD_GPUVM_VA_BITS - VKFD_GPU_PAGE_SHIFT > 36);

static unsigned vkfd_tlb_index(uint64_t va)
{
    uint64_t vpn = va >> VKFD_GPU_PAGE_SHIFT;

    return (vpn ^ (vpn >> 6) ^ (vpn >> 12) ^ (vpn >> 18) ^ (vpn >> 24) ^
            (vpn >> 30)) % VKFD_TLB_ENTRIES;
}

static VkfdTlbEntry *vkfd_tlb_slot(VkfdState *s, uint32_t ctx_id, uint64_t va)
{
    if (!s->tlbs[ctx_id]) {
        s->tlbs[ctx_id] = g_new0(VkfdTlb, 1);
    }
    return &s->tlbs[ctx_id]->e[vkfd_tlb_index(va)];
}

/*
 * Every cached translation (VkfdVmCache) made before this is stale.  One
 * generation for the whole device: flushes are rare, and a queue's next
 * access then translates again through the TLB.
 */
static void vkfd_vm_gen_next(VkfdState *s)
{
    s->vm_gen++;
}

void vkfd_vm_ctx_flush(VkfdState *s, uint32_t ctx_id)
{
    trace_vkfd_vm_tlb_flush(ctx_id);
    g_free(s->tlbs[ctx_id]);
    s->tlbs[ctx_id] = NULL;
    vkfd_vm_gen_next(s);
}

void vkfd_vm_flush_all(VkfdState *s)
{
    uint32_t i;

    for (i = 0; i < s->max_contexts; i++) {
        g_free(s->tlbs[i]);
        s->tlbs[i] = NULL;
    }
    vkfd_vm_gen_next(s);
}

/*
 * The memory map changed somewhere (a memory transaction committed: RAM
 * plugged or unplugged, a BAR moved, bus mastering switched): what a
 * cached translation found as RAM may not be any more.  Only the
 * generation moves here; each cache lets go of its references when it
 * is next used or dropped, not inside the transaction.
 */
static void vkfd_vm_map_changed(MemoryListener *listener)
{
    VkfdState *s = container_of(listener, VkfdState, vm_listener);

    vkfd_vm_gen_next(s);
}

void vkfd_vm_reset(VkfdState *s)
{
    vkfd_vm_flush_all(s);
    s->vm_fault_status = 0;
    s->vm_fault_ctx = 0;
    s->vm_fault_addr = 0;
    s->vm_fault_count = 0;
}

void vkfd_vm_realize(VkfdState *s)
{
    s->tlbs = g_new0(VkfdTlb *, s->max_contexts);
    s->vram_ptr = memory_region_get_ram_ptr(&s->vram);
    s->vm_gen = 1;
    s->vm_listener = (MemoryListener) {
        .name = "vkfd-gpuvm",
        .commit = vkfd_vm_map_changed,
    };
    memory_listener_register(&s->vm_listener,
                             pci_get_address_space(&s->parent_obj));
}

void vkfd_vm_exit(VkfdState *s)
{
    memory_listener_unregister(&s->vm_listener);
    vkfd_vm_flush_all(s);
    g_free(s->tlbs);
    s->tlbs = NULL;
}

/*
 * Is bus address addr in one of the device's own pages a system PTE may
 * map: the doorbell BAR (a DOORBELL BO) or the MMIO remap page in BAR0
 * (an MMIO_REMAP BO)?  If so, fill x->io, x->io_off (the offset there),
 * x->addr (addr itself) and x->len (to the end of that page).  These
 * are peer-to-peer addresses on the device's own bus, so they are
 * compared untranslated.
 */
static bool vkfd_vm_own_page(VkfdState *s, uint64_t addr, VkfdVmXlat *x)
{
    PCIDevice *pd = &s->parent_obj;
    pcibus_t bar = pci_get_bar_addr(pd, VKFD_BAR_DOORBELL);
    uint64_t size = memory_region_size(&s->doorbells);

    if (bar != PCI_BAR_UNMAPPED && addr >= bar && addr - bar < size) {
        x->io = VKFD_VM_IO_DOORBELL;
        x->io_off = addr - bar;
        x->addr = addr;
        x->len = VKFD_GPU_PAGE_SIZE - (x->io_off & (VKFD_GPU_PAGE_SIZE - 1));
        return true;
    }
    bar = pci_get_bar_addr(pd, VKFD_BAR_REGS);
    if (bar != PCI_BAR_UNMAPPED && addr >= bar + VKFD_MMIO_REMAP_OFFSET &&
        addr - bar - VKFD_MMIO_REMAP_OFFSET < VKFD_MMIO_REMAP_SIZE) {
        x->io = VKFD_VM_IO_HDP;
        x->io_off = addr - bar - VKFD_MMIO_REMAP_OFFSET;
        x->addr = addr;
        x->len = VKFD_MMIO_REMAP_SIZE - x->io_off;
        return true;
    }
    return false;
}

/*
 * An engine's access to a doorbell or the remap page.  Reads see zeroes,
 * as the CPU's do.  A write is cut into the doorbell-sized (8-byte, or
 * 4-byte when the run is not 8-byte aligned) writes the CPU could have
 * made, each rung through vkfd_doorbell_ring(), which only kicks a queue;
 * a write to the remap page is an HDP flush.  Anything else faults.
 */
static bool vkfd_vm_io(VkfdState *s, const VkfdVmXlat *x, uint64_t off,
                       void *buf, uint64_t n, bool is_write)
{
    uint64_t addr = x->io_off + off, i;
    unsigned w = !((addr | n) & 7) ? 8 : 4;

    if (!is_write) {
        memset(buf, 0, n);
        return true;
    }
    if ((addr | n) & 3) {
        return false;
    }
    for (i = 0; i < n; i += w) {
        if (x->io == VKFD_VM_IO_HDP) {
            s->hdp_flushes++;
            trace_vkfd_hdp_flush(addr + i, s->hdp_flushes);
            continue;
        }
        vkfd_doorbell_ring(s, addr + i,
                           w == 8 ? ldq_le_p((uint8_t *)buf + i)
                                  : ldl_le_p((uint8_t *)buf + i), w);
    }
    return true;
}

/*
 * Translate the VA range [va, va + len) of a context as far as one leaf
 * and one kind of memory go: on success x describes the first x->len
 * bytes (1 <= x->len <= len).  On a fault, latch it and return false.
 * ctx_id must be a valid id; an unmapped context faults.
 */
bool vkfd_vm_translate(VkfdState *s, uint32_t ctx_id, uint64_t va,
                       uint64_t len, bool is_write, VkfdVmXlat *x)
{
    VkfdContext *ctx;
    VkfdTlbEntry *slot;
    const char *why;
    uint64_t pte, off, target, n;
    unsigned sh;

    assert(ctx_id < s->max_contexts);   /* callers check the id */
    if (!s->contexts[ctx_id].mapped) {
        why = "context not mapped";
        goto fault;
    }
    ctx = &s->contexts[ctx_id];
    if (va >= VKFD_VA_END) {
        why = "VA beyond 48 bits";
        goto fault;
    }
    slot = vkfd_tlb_slot(s, ctx_id, va);
    sh = slot->tag & (VKFD_GPU_PAGE_SIZE - 1);
    if (sh && !((va ^ slot->tag) >> sh)) {
        pte = slot->pte;
        ctx->tlb_hits++;
    } else {
        ctx->tlb_misses++;
        if (!ctx->pt_base) {
            why = "no page table";
            goto fault;
        }
        if (!vkfd_vm_walk(s, ctx_id, ctx->pt_base, va, &pte, &sh, &why)) {
            goto fault;
        }
        slot->tag = (va & ~((1ull << sh) - 1)) | sh;
        slot->pte = pte;
    }
    if (is_write && !(pte & VKFD_PTE_WRITE)) {
        /* mapped, but not for writing: a protection fault */
        vkfd_vm_fault_flags(s, ctx_id, va, VKFD_VM_FAULT_WRITE |
                            VKFD_VM_FAULT_PROTECTION,
                            "write to a read-only page");
        return false;
    }

    off = va & ((1ull << sh) - 1);
    target = (pte & VKFD_PTE_ADDR_MASK) + off;
    n = MIN(len, (1ull << sh) - off);
    x->io = VKFD_VM_IO_NONE;
    if (pte & VKFD_PTE_SYSTEM) {
        n = vkfd_ram_extent(s, target, n, is_write);
        if (!n && vkfd_vm_own_page(s, target, x)) {
            x->len = MIN(len, x->len);
            x->vram = false;
            return true;
        }
        if (!n) {
            why = is_write ? "system page not writable guest RAM"
                           : "system page not guest RAM";
            goto fault;
        }
    } else {
        if (target >= s->vram_size) {
            why = "VRAM page beyond the end of VRAM";
            goto fault;
        }
        n = MIN(n, s->vram_size - target);
    }
    x->addr = target;
    x->len = n;
    x->vram = !(pte & VKFD_PTE_SYSTEM);
    return true;

fault:
    vkfd_vm_fault(s, ctx_id, va, is_write, why);
    return false;
}

/* Move n bytes between buf and offset off of a translated range. */
static bool vkfd_vm_xfer(VkfdState *s, const VkfdVmXlat *x, uint64_t off,
                         void *buf, uint64_t n, bool is_write)
{
    uint8_t *p;

    assert(off + n <= x->len);
    if (x->io != VKFD_VM_IO_NONE) {
        return vkfd_vm_io(s, x, off, buf, n, is_write);
    }
    if (!x->vram) {
        return pci_dma_rw(&s->parent_obj, x->addr + off, buf, n,
                          is_write ? DMA_DIRECTION_FROM_DEVICE
                                   : DMA_DIRECTION_TO_DEVICE,
                          MEMTXATTRS_UNSPECIFIED) == MEMTX_OK;
    }
    p = s->vram_ptr + x->addr + off;
    if (is_write) {
        memcpy(p, buf, n);
        memory_region_set_dirty(&s->vram, x->addr + off, n);
    } else {
        memcpy(buf, p, n);
    }
    return true;
}

static bool vkfd_vm_rw(VkfdState *s, uint32_t ctx_id, uint64_t va,
                       void *buf, uint64_t len, bool is_write)
{
    VkfdVmXlat x;

    while (len) {
        if (!vkfd_vm_translate(s, ctx_id, va, len, is_write, &x)) {
            return false;
        }
        if (!vkfd_vm_xfer(s, &x, 0, buf, x.len, is_write)) {
            vkfd_vm_fault(s, ctx_id, va, is_write, "DMA failed");
            return false;
        }
        va += x.len;
        buf = (uint8_t *)buf + x.len;
        len -= x.len;
    }
    return true;
}

void vkfd_vm_cache_drop(VkfdVmCache *c)
{
    if (c->mrc_live) {
        address_space_cache_destroy(&c->mrc);
    }
    c->mrc_live = false;
    c->gen = 0;
}

/*
 * Make c a translation of va up to the end of its GPU page, for writing
 * if is_write.  False if that faulted (latched, as vkfd_vm_rw would) or
 * if it cannot be cached (*cacheable false: the device's own page, not
 * RAM all the way, or an IOMMU in the way); c is empty then.
 */
static bool vkfd_vm_cache_fill(VkfdState *s, uint32_t ctx_id, VkfdVmCache *c,
                               uint64_t va, bool is_write, bool *cacheable)
{
    uint64_t end = (va | (VKFD_GPU_PAGE_SIZE - 1)) + 1;
    VkfdVmXlat x;
    int64_t l;

    vkfd_vm_cache_drop(c);
    *cacheable = false;
    if (!vkfd_vm_translate(s, ctx_id, va, end - va, is_write, &x)) {
        return false;
    }
    if (x.io != VKFD_VM_IO_NONE) {
        return true;
    }
    if (x.vram) {
        c->host = s->vram_ptr + x.addr;
        c->vram_off = x.addr;
    } else {
        /*
         * RAM through the bus-master address space, as vkfd_ram_extent
         * found it: anything else (MMIO, an IOMMU region) has no host
         * pointer here and is not cached.
         */
        l = address_space_cache_init(&c->mrc,
                                     pci_get_address_space(&s->parent_obj),
                                     x.addr, x.len, is_write);
        c->mrc_live = true;
        if (!c->mrc.ptr || l <= 0) {
            vkfd_vm_cache_drop(c);
            return true;
        }
        x.len = MIN(x.len, (uint64_t)l);
        c->host = c->mrc.ptr;
    }
    c->vram = x.vram;
    c->va = va;
    c->len = x.len;
    c->is_write = is_write;
    c->gen = s->vm_gen;
    *cacheable = true;
    return true;
}

/* Translate c anew for an access that its GPU page holds. */
static uint8_t *vkfd_vm_cache_miss(VkfdState *s, uint32_t ctx_id,
                                   VkfdVmCache *c, uint64_t va, uint64_t len,
                                   bool is_write, bool *faulted)
{
    bool cacheable;

    *faulted = false;
    if (!len || ((va ^ (va + len - 1)) & ~(VKFD_GPU_PAGE_SIZE - 1)) ||
        va + len - 1 < va) {
        return NULL;
    }
    if (!vkfd_vm_cache_fill(s, ctx_id, c, va, is_write, &cacheable)) {
        *faulted = true;
        return NULL;
    }
    return cacheable ? vkfd_vm_cache_hit(s, c, va, len, is_write) : NULL;
}

/* vkfd_vm_cache_read (vkfd.h) did not hit: translate, then read. */
bool vkfd_vm_cache_read_miss(VkfdState *s, uint32_t ctx_id, VkfdVmCache *c,
                             uint64_t va, void *buf, uint64_t len)
{
    bool faulted;
    uint8_t *p = vkfd_vm_cache_miss(s, ctx_id, c, va, len, false, &faulted);

    if (faulted) {
        return false;
    }
    if (!p) {
        return vkfd_vm_rw(s, ctx_id, va, buf, len, false);
    }
    memcpy(buf, p, len);
    return true;
}

bool vkfd_vm_cache_write_miss(VkfdState *s, uint32_t ctx_id, VkfdVmCache *c,
                              uint64_t va, const void *buf, uint64_t len)
{
    bool faulted;
    uint8_t *p = vkfd_vm_cache_miss(s, ctx_id, c, va, len, true, &faulted);

    if (faulted) {
        return false;
    }
    if (!p) {
        return vkfd_vm_rw(s, ctx_id, va, (void *)buf, len, true);
    }
    memcpy(p, buf, len);
    vkfd_vm_cache_dirty(s, c, p - c->host, len);
    return true;
}

/* A write through c at off from c->va: dirty for migration and TCG. */
void vkfd_vm_cache_dirty(VkfdState *s, VkfdVmCache *c, uint64_t off,
                         uint64_t len)
{
    if (c->vram) {
        memory_region_set_dirty(&s->vram, c->vram_off + off, len);
    } else {
        /* any translated code on it is dropped too */
        address_space_cache_invalidate(&c->mrc, off, len);
    }
}

/*
 * The read-then-write of an atomic the host cannot do on the word itself
 * (vkfd.h says when); both accesses check and fault as vkfd_vm_write.
 */
static bool vkfd_vm_atomic_plain(VkfdState *s, uint32_t ctx_id, uint64_t va,
                                 unsigned size, VkfdVmAtomicFn *fn,
                                 const void *opaque, uint64_t *old)
{
    uint8_t buf[8];
    uint64_t val;

    trace_vkfd_vm_atomic_plain(ctx_id, va, size);
    if (!vkfd_vm_check(s, ctx_id, va, size, true) ||
        !vkfd_vm_rw(s, ctx_id, va, buf, size, false)) {
        return false;
    }
    val = size == 4 ? ldl_le_p(buf) : ldq_le_p(buf);
    *old = val;
    val = fn(val, opaque);
    if (size == 4) {
        stl_le_p(buf, val);
    } else {
        stq_le_p(buf, val);
    }
    return vkfd_vm_rw(s, ctx_id, va, buf, size, true);
}

/*
 * vkfd_vm_atomic (vkfd.h) did not hit c: translate va anew into c, then
 * the host's atomic; or the plain read-modify-write.
 */
bool vkfd_vm_atomic_miss(VkfdState *s, uint32_t ctx_id, VkfdVmCache *c,
                         uint64_t va, unsigned size, VkfdVmAtomicFn *fn,
                         const void *opaque, uint64_t *old)
{
    uint8_t *p = NULL;
    bool faulted;

    assert(size == 4 || size == 8);
    /*
     * Natural alignment, which the ISA asks of an atomic and LLVM never
     * fails to give; what a GPU does with a misaligned one is not
     * documented, and the device keeps the plain read-modify-write.
     */
    if (!(va & (size - 1)) && VKFD_VM_HOST_ATOMIC(size)) {
        p = vkfd_vm_cache_hit(s, c, va, size, true);
        if (!p) {
            p = vkfd_vm_cache_miss(s, ctx_id, c, va, size, true, &faulted);
            if (faulted) {
                return false;
            }
        }
    }
    if (!p || ((uintptr_t)p & (size - 1))) {
        return vkfd_vm_atomic_plain(s, ctx_id, va, size, fn, opaque, old);
    }
    *old = vkfd_vm_host_atomic(p, size, fn, opaque);
    vkfd_vm_cache_dirty(s, c, p - c->host, size);
    return true;
}

bool vkfd_vm_check(VkfdState *s, uint32_t ctx_id, uint64_t va, uint64_t len,
                   bool is_write)
{
    VkfdVmXlat x;

    while (len) {
        if (!vkfd_vm_translate(s, ctx_id, va, len, is_write, &x)) {
            return false;
        }
        va += x.len;
        len -= x.len;
    }
    return true;
}

bool vkfd_vm_read(VkfdState *s, uint32_t ctx_id, uint64_t va, void *buf,
                  uint64_t len)
{
    return vkfd_vm_rw(s, ctx_id, va, buf, len, false);
}

bool vkfd_vm_write(VkfdState *s, uint32_t ctx_id, uint64_t va,
                   const void *buf, uint64_t len)
{
    return vkfd_vm_rw(s, ctx_id, va, (void *)buf, len, true);
}

/*
 * Store value over [va, va + len) through the translations, a leaf at a
 * time, VKFD_VM_CHUNK bytes at a time from a buffer of the pattern.  The
 * caller checked the range: a translation fails here only if the tables
 * changed under the command (the guest CPU, or this very fill writing
 * over its own page tables).
 */
static bool vkfd_vm_store(VkfdState *s, uint32_t ctx_id, uint64_t va,
                          uint64_t len, uint32_t value)
{
    uint8_t *pattern = s->vm_bounce;
    uint64_t done = 0, off, n, bytes = MIN(len, VKFD_VM_CHUNK);
    VkfdVmXlat x;

    /* as much of the pattern as the fill needs, doubling it up */
    stl_le_p(pattern, value);
    for (n = 4; n < bytes; n *= 2) {
        memcpy(pattern + n, pattern, MIN(n, bytes - n));
    }
    while (done < len) {
        if (!vkfd_vm_translate(s, ctx_id, va + done, len - done, true, &x)) {
            return false;
        }
        for (off = 0; off < x.len; off += n) {
            n = MIN(x.len - off, VKFD_VM_CHUNK);
            if (!vkfd_vm_xfer(s, &x, off, pattern, n, true)) {
                vkfd_vm_fault(s, ctx_id, va + done + off, true, "DMA failed");
                return false;
            }
        }
        done += x.len;
        vkfd_stat_bytes(s, x.len);
    }
    return true;
}

/*
 * Copy [src, src + len) to dst chunk by chunk through the bounce buffer,
 * keeping the current source and destination translations until each
 * runs out.  The caller checked both ranges.
 */
static bool vkfd_vm_move(VkfdState *s, uint32_t ctx_id, uint64_t dst,
                         uint64_t src, uint64_t len)
{
    VkfdVmXlat xs = { .len = 0 }, xd = { .len = 0 };
    uint64_t done = 0, n;

    while (done < len) {
        if (!xs.len &&
            !vkfd_vm_translate(s, ctx_id, src + done, len - done, false,
                               &xs)) {
            return false;
        }
        if (!xd.len &&
            !vkfd_vm_translate(s, ctx_id, dst + done, len - done, true,
                               &xd)) {
            return false;
        }
        n = MIN(MIN(xs.len, xd.len), VKFD_VM_CHUNK);
        if (!vkfd_vm_xfer(s, &xs, 0, s->vm_bounce, n, false)) {
            vkfd_vm_fault(s, ctx_id, src + done, false, "DMA failed");
            return false;
        }
        if (!vkfd_vm_xfer(s, &xd, 0, s->vm_bounce, n, true)) {
            vkfd_vm_fault(s, ctx_id, dst + done, true, "DMA failed");
            return false;
        }
        xs.addr += n;
        xs.io_off += n;
        xs.len -= n;
        xd.addr += n;
        xd.io_off += n;
        xd.len -= n;
        done += n;
        vkfd_stat_bytes(s, n);
    }
    return true;
}

/* VM_FILL and the engines' fills: check everything, then store. */
bool vkfd_vm_fill(VkfdState *s, uint32_t ctx_id, uint64_t va, uint64_t len,
                  uint32_t value)
{
    return vkfd_vm_check(s, ctx_id, va, len, true) &&
           vkfd_vm_store(s, ctx_id, va, len, value);
}

/* VM_COPY and the engines' copies: check source and destination first. */
bool vkfd_vm_copy(VkfdState *s, uint32_t ctx_id, uint64_t dst, uint64_t src,
                  uint64_t len)
{
    return vkfd_vm_check(s, ctx_id, src, len, false) &&
           vkfd_vm_check(s, ctx_id, dst, len, true) &&
           vkfd_vm_move(s, ctx_id, dst, src, len);
}

/*
 * Check a slice of [va, va + len) from *done on.  A translation costs a
 * page of budget whatever it covers (the walk is the cost; a huge leaf
 * checks a lot at once).
 */
static VkfdStep vkfd_vm_check_step(VkfdState *s, uint32_t ctx_id,
                                   uint64_t va, uint64_t len, bool is_write,
                                   uint64_t *done, uint64_t *budget)
{
    VkfdVmXlat x;

    while (*done < len) {
        if (!*budget) {
            return VKFD_STEP_MORE;
        }
        if (!vkfd_vm_translate(s, ctx_id, va + *done, len - *done, is_write,
                               &x)) {
            return VKFD_STEP_FAIL;
        }
        *done += x.len;
        *budget -= MIN(*budget, VKFD_GPU_PAGE_SIZE);
    }
    return VKFD_STEP_DONE;
}

VkfdStep vkfd_vm_fill_step(VkfdState *s, uint32_t ctx_id, uint64_t va,
                           uint64_t len, uint32_t value, uint64_t *progress,
                           uint64_t *budget)
{
    uint64_t done, n;
    VkfdStep st;

    if (*progress < len) {
        done = *progress;
        st = vkfd_vm_check_step(s, ctx_id, va, len, true, &done, budget);
        *progress = done;
        if (st != VKFD_STEP_DONE) {
            return st;
        }
    }
    while (*progress < 2 * len) {
        if (!*budget) {
            return VKFD_STEP_MORE;
        }
        done = *progress - len;
        n = MIN(len - done, *budget);
        if (!vkfd_vm_store(s, ctx_id, va + done, n, value)) {
            return VKFD_STEP_FAIL;
        }
        *progress += n;
        *budget -= n;
    }
    return VKFD_STEP_DONE;
}

VkfdStep vkfd_vm_copy_step(VkfdState *s, uint32_t ctx_id, uint64_t dst,
                           uint64_t src, uint64_t len, uint64_t *progress,
                           uint64_t *budget)
{
    uint64_t done, n;
    VkfdStep st;

    if (*progress < len) {
        done = *progress;
        st = vkfd_vm_check_step(s, ctx_id, src, len, false, &done, budget);
        *progress = done;
        if (st != VKFD_STEP_DONE) {
            return st;
        }
    }
    if (*progress < 2 * len) {
        done = *progress - len;
        st = vkfd_vm_check_step(s, ctx_id, dst, len, true, &done, budget);
        *progress = len + done;
        if (st != VKFD_STEP_DONE) {
            return st;
        }
    }
    while (*progress < 3 * len) {
        if (!*budget) {
            return VKFD_STEP_MORE;
        }
        done = *progress - 2 * len;
        n = MIN(len - done, *budget);
        if (!vkfd_vm_move(s, ctx_id, dst + done, src + done, n)) {
            return VKFD_STEP_FAIL;
        }
        *progress += n;
        *budget -= n;
    }
    return VKFD_STEP_DONE;
}
