// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vkfd: GPUVM page tables of a process on one GPU
 *
 * Each bound process-device pair owns a 4-level tree of 512-entry tables
 * in coherent DMA memory (docs/hardware.md, "GPUVM").  The driver fills
 * leaves from buffer-object mappings; directories are made on demand and
 * freed when their last entry goes.  After changing or removing valid
 * entries the caller sends INVALIDATE_TLB.
 */
#include <linux/dma-mapping.h>
#include <linux/mm.h>
#include <linux/slab.h>

#include "vkfd_priv.h"

#define VKFD_PT_BYTES	(VKFD_GPUVM_ENTRIES * sizeof(u64))

struct vkfd_pt {
	__le64 *entries;
	dma_addr_t dma;
	struct vkfd_pt **children;	/* directories only */
	unsigned int used;		/* valid entries */
};

static unsigned int vkfd_pt_index(u64 va, int level)
{
	return (va >> (VKFD_GPU_PAGE_SHIFT + 9 * level)) &
	       (VKFD_GPUVM_ENTRIES - 1);
}

/*
 * Tables of one VM: at most 1/16 of RAM, and every table counts towards
 * the driver's system-memory limit.  A process that spreads small BOs
 * far apart gets ENOMEM, not the guest's memory.
 */
static bool vkfd_vm_charge(struct vkfd_vm *vm)
{
	if (vm->pages >= totalram_pages() / 16 || vkfd_sys_charge(1))
		return false;
	vm->pages++;
	return true;
}

static void vkfd_vm_uncharge(struct vkfd_vm *vm)
{
	vm->pages--;
	vkfd_sys_uncharge(1);
}

static struct vkfd_pt *vkfd_pt_alloc(struct vkfd_vm *vm, int level)
{
	struct vkfd_dev *dev = vm->dev;
	struct vkfd_pt *pt;

	if (!vkfd_vm_charge(vm))
		return NULL;
	pt = kzalloc(sizeof(*pt), GFP_KERNEL_ACCOUNT);
	if (!pt) {
		vkfd_vm_uncharge(vm);
		return NULL;
	}
	pt->entries = dma_alloc_coherent(&dev->pdev->dev, VKFD_PT_BYTES,
					 &pt->dma, GFP_KERNEL);
	if (level)
		pt->children = kcalloc(VKFD_GPUVM_ENTRIES,
				       sizeof(*pt->children),
				       GFP_KERNEL_ACCOUNT);
	if (!pt->entries || (level && !pt->children)) {
		if (pt->entries)
			dma_free_coherent(&dev->pdev->dev, VKFD_PT_BYTES,
					  pt->entries, pt->dma);
		kfree(pt->children);
		kfree(pt);
		vkfd_vm_uncharge(vm);
		return NULL;
	}
	atomic_inc(&dev->pt_pages);
	return pt;
}

static void vkfd_pt_free(struct vkfd_vm *vm, struct vkfd_pt *pt, int level)
{
	struct vkfd_dev *dev = vm->dev;
	unsigned int i;

	if (!pt)
		return;
	for (i = 0; level && i < VKFD_GPUVM_ENTRIES; i++)
		vkfd_pt_free(vm, pt->children[i], level - 1);
	dma_free_coherent(&dev->pdev->dev, VKFD_PT_BYTES, pt->entries,
			  pt->dma);
	kfree(pt->children);
	kfree(pt);
	atomic_dec(&dev->pt_pages);
	vkfd_vm_uncharge(vm);
}

int vkfd_vm_init(struct vkfd_vm *vm, struct vkfd_dev *dev)
{
	vm->dev = dev;
	vm->pages = 0;
	vm->root = vkfd_pt_alloc(vm, VKFD_GPUVM_LEVELS - 1);
	return vm->root ? 0 : -ENOMEM;
}

void vkfd_vm_fini(struct vkfd_vm *vm)
{
	vkfd_pt_free(vm, vm->root, VKFD_GPUVM_LEVELS - 1);
	vm->root = NULL;
}

u64 vkfd_vm_root(struct vkfd_vm *vm)
{
	return vm->root->dma;
}

/* The level-0 table covering va, made (with its parents) if asked. */
static struct vkfd_pt *vkfd_vm_leaf_table(struct vkfd_vm *vm, u64 va,
					  bool create)
{
	struct vkfd_pt *pt = vm->root;
	int level;

	for (level = VKFD_GPUVM_LEVELS - 1; level > 0; level--) {
		unsigned int i = vkfd_pt_index(va, level);
		struct vkfd_pt *next = pt->children[i];

		if (!next) {
			if (!create)
				return NULL;
			next = vkfd_pt_alloc(vm, level - 1);
			if (!next)
				return NULL;
			pt->children[i] = next;
			pt->used++;
			/* the table is filled before the entry makes it live */
			dma_wmb();
			WRITE_ONCE(pt->entries[i],
				   cpu_to_le64(next->dma | VKFD_PTE_VALID));
		}
		pt = next;
	}
	return pt;
}

/* Drop directories that no longer map anything below va. */
static void vkfd_vm_prune(struct vkfd_vm *vm, u64 va)
{
	struct vkfd_pt *path[VKFD_GPUVM_LEVELS];
	int level;

	path[VKFD_GPUVM_LEVELS - 1] = vm->root;
	for (level = VKFD_GPUVM_LEVELS - 1; level > 0; level--) {
		path[level - 1] = path[level]->children[vkfd_pt_index(va, level)];
		if (!path[level - 1])
			return;
	}
	for (level = 0; level < VKFD_GPUVM_LEVELS - 1; level++) {
		struct vkfd_pt *parent = path[level + 1];
		unsigned int i = vkfd_pt_index(va, level + 1);

		if (path[level]->used)
			return;
		WRITE_ONCE(parent->entries[i], 0);
		parent->children[i] = NULL;
		parent->used--;
		vkfd_pt_free(vm, path[level], level);
	}
}

/*
 * Map npages GPU pages from va; the address of page i comes from
 * addr(arg, i) and is ORed with flags (VKFD_PTE_SYSTEM, VKFD_PTE_WRITE).
 * All or nothing: on failure what was mapped is removed again.
 */
int vkfd_vm_map(struct vkfd_vm *vm, u64 va, u64 npages,
		u64 (*addr)(void *arg, u64 i), void *arg, u64 flags)
{
	u64 i;

	for (i = 0; i < npages; i++) {
		u64 page_va = va + (i << VKFD_GPU_PAGE_SHIFT);
		struct vkfd_pt *pt = vkfd_vm_leaf_table(vm, page_va, true);
		unsigned int idx = vkfd_pt_index(page_va, 0);

		if (!pt || pt->entries[idx]) {
			/* taken: an SVM range's pages (or holes) are there */
			vkfd_vm_unmap(vm, va, i);
			return pt ? -EADDRINUSE : -ENOMEM;
		}
		WRITE_ONCE(pt->entries[idx],
			   cpu_to_le64((addr(arg, i) & VKFD_PTE_ADDR_MASK) |
				       flags | VKFD_PTE_VALID));
		pt->used++;
	}
	return 0;
}

void vkfd_vm_unmap(struct vkfd_vm *vm, u64 va, u64 npages)
{
	u64 i;

	for (i = 0; i < npages; i++) {
		u64 page_va = va + (i << VKFD_GPU_PAGE_SHIFT);
		struct vkfd_pt *pt = vkfd_vm_leaf_table(vm, page_va, false);
		unsigned int idx = vkfd_pt_index(page_va, 0);

		if (!pt || !pt->entries[idx])
			continue;
		WRITE_ONCE(pt->entries[idx], 0);
		pt->used--;
		if (!pt->used)
			vkfd_vm_prune(vm, page_va);
	}
}

/*
 * SVM ranges hold their slots while a GPU may access them: a held slot
 * counts as used (so its tables stay) and is either a valid leaf or the
 * invalid marker VKFD_PTE_SVM_HOLE, which faults like an empty entry.
 * Reserving makes tables and runs under the lock that orders the tree
 * (p->lock); filling and emptying held slots makes and frees nothing, so
 * the MMU notifier may do it under the SVM lock alone.
 */
int vkfd_vm_reserve(struct vkfd_vm *vm, u64 va, u64 npages)
{
	u64 i;

	for (i = 0; i < npages; i++) {
		u64 page_va = va + (i << VKFD_GPU_PAGE_SHIFT);
		struct vkfd_pt *pt = vkfd_vm_leaf_table(vm, page_va, true);
		unsigned int idx = vkfd_pt_index(page_va, 0);

		if (!pt || pt->entries[idx]) {
			vkfd_vm_unmap(vm, va, i);
			return pt ? -EADDRINUSE : -ENOMEM;
		}
		WRITE_ONCE(pt->entries[idx], cpu_to_le64(VKFD_PTE_SVM_HOLE));
		pt->used++;
	}
	return 0;
}

/*
 * Point held slots at pte[i] (an address ORed with PTE flags, VALID
 * added here), or at the hole where pte is NULL or pte[i] is 0.
 */
void vkfd_vm_fill_reserved(struct vkfd_vm *vm, u64 va, u64 npages,
			   const u64 *pte)
{
	u64 i;

	for (i = 0; i < npages; i++) {
		u64 page_va = va + (i << VKFD_GPU_PAGE_SHIFT);
		struct vkfd_pt *pt = vkfd_vm_leaf_table(vm, page_va, false);
		unsigned int idx = vkfd_pt_index(page_va, 0);
		u64 val = VKFD_PTE_SVM_HOLE;

		if (WARN_ON_ONCE(!pt || !pt->entries[idx]))
			continue;
		if (pte && pte[i])
			val = pte[i] | VKFD_PTE_VALID;
		WRITE_ONCE(pt->entries[idx], cpu_to_le64(val));
	}
}
