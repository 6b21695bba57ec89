// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vkfd: buffer objects and the memory ioctls
 *
 * User space chooses GPU virtual addresses itself (libhsakmt manages the
 * apertures); ALLOC_MEMORY_OF_GPU makes a buffer object (BO) at a VA on
 * one GPU, MAP_MEMORY_TO_GPU writes its pages into the page tables of the
 * listed GPUs, UNMAP removes them, FREE releases everything.
 *
 *   VRAM        pages of the device's VRAM BAR; CPU-mapped through the
 *               render node (write-combined)
 *   GTT         system pages the driver allocates; CPU-mapped through the
 *               render node
 *   USERPTR     the caller's own pages, pinned (primaries only)
 *   DOORBELL    the process's doorbell page of the GPU; CPU-mapped
 *               through /dev/kfd
 *   MMIO_REMAP  the device's HDP flush page; CPU-mapped through /dev/kfd
 *
 * A BO is owned by the process-device pair that allocated it; its handle
 * is gpu_id << 32 | id.  A BO mapped on a peer GPU reserves its VA range
 * there too, so that no two mappings of one VM overlap.
 *
 * CPU mappings never hold memory: they fault pages in under the BO's
 * fault_lock and hold only the struct.  FREE marks the BO dead under that
 * lock and zaps every mapping before the memory goes, so a mapping made
 * in a race with FREE finds the BO dead and faults (SIGBUS) instead of
 * reaching memory that belongs to someone else by then.  The same holds
 * for /dev/kfd's doorbell and MMIO pages (struct vkfd_kfd_map).
 *
 * VRAM and GTT BOs may be exported as dma-bufs, which keep their memory
 * past FREE, and imported as BOs without memory of their own
 * (vkfd_dmabuf.c).
 */
#include <linux/dma-buf.h>
#include <linux/dma-mapping.h>
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>

#include <drm/drm_drv.h>
#include <drm/drm_file.h>

#include "vkfd_priv.h"
#include "vkfd_bo.h"
#include "vkfd_topology.h"

/* Render-node mmap offsets of BOs: one 1 TiB window per BO. */
#define VKFD_BO_MMAP_SHIFT	40

#define VKFD_ALLOC_TYPES	(KFD_IOC_ALLOC_MEM_FLAGS_VRAM | \
				 KFD_IOC_ALLOC_MEM_FLAGS_GTT | \
				 KFD_IOC_ALLOC_MEM_FLAGS_USERPTR | \
				 KFD_IOC_ALLOC_MEM_FLAGS_DOORBELL | \
				 KFD_IOC_ALLOC_MEM_FLAGS_MMIO_REMAP)

u64 vkfd_bo_handle(struct vkfd_bo *bo)
{
	return (u64)bo->pdd->dev->gpu_id << 32 | bo->id;
}

static u64 vkfd_bo_mmap_offset(struct vkfd_bo *bo)
{
	return (u64)bo->mmap_id << VKFD_BO_MMAP_SHIFT;
}

int vkfd_mem_dev_init(struct vkfd_dev *dev)
{
	struct pci_dev *pdev = dev->pdev;

	dev->vram_bus = pci_resource_start(pdev, VKFD_BAR_VRAM);
	dev->vram_size = pci_resource_len(pdev, VKFD_BAR_VRAM);
	dev->vram_cpu = devm_ioremap_wc(&pdev->dev, dev->vram_bus,
					dev->vram_size);
	if (!dev->vram_cpu)
		return -ENOMEM;
	mutex_init(&dev->vram_lock);
	drm_mm_init(&dev->vram_mm, 0, dev->vram_size);
	xa_init_flags(&dev->bo_mmaps, XA_FLAGS_ALLOC1);
	vkfd_svm_migrate_dev_init(dev);
	return 0;
}

void vkfd_mem_dev_fini(struct vkfd_dev *dev)
{
	/* SVM pages in VRAM go back to system memory first */
	vkfd_svm_migrate_dev_fini(dev);
	/* dma-bufs that outlive their GPU lose its VRAM now */
	vkfd_dmabuf_revoke(dev);
	WARN_ON(!xa_empty(&dev->bo_mmaps));
	xa_destroy(&dev->bo_mmaps);
	drm_mm_takedown(&dev->vram_mm);
}

void vkfd_mem_pdd_init(struct vkfd_process_device *pdd)
{
	xa_init_flags(&pdd->bos, XA_FLAGS_ALLOC1);
	pdd->va_tree = RB_ROOT;
}

/* Reserve [va, va + size) in pdd's VM; -EINVAL if it overlaps. */
static int vkfd_va_reserve(struct vkfd_bo_attach *at)
{
	struct rb_node **link = &at->pdd->va_tree.rb_node, *parent = NULL;
	u64 start = at->bo->va, end = at->bo->va + at->bo->size;

	while (*link) {
		struct vkfd_bo_attach *cur =
			rb_entry(*link, struct vkfd_bo_attach, va_node);

		parent = *link;
		if (end <= cur->bo->va)
			link = &(*link)->rb_left;
		else if (start >= cur->bo->va + cur->bo->size)
			link = &(*link)->rb_right;
		else
			return -EINVAL;
	}
	rb_link_node(&at->va_node, parent, link);
	rb_insert_color(&at->va_node, &at->pdd->va_tree);
	return 0;
}

static struct vkfd_bo_attach *vkfd_bo_attach(struct vkfd_bo *bo,
					     struct vkfd_process_device *pdd)
{
	struct vkfd_bo_attach *at;

	list_for_each_entry(at, &bo->attachments, node)
		if (at->pdd == pdd)
			return at;
	return NULL;
}

static struct vkfd_bo_attach *vkfd_bo_attach_new(struct vkfd_bo *bo,
						 struct vkfd_process_device *pdd)
{
	struct vkfd_bo_attach *at = kzalloc(sizeof(*at), GFP_KERNEL);

	if (!at)
		return ERR_PTR(-ENOMEM);
	at->bo = bo;
	at->pdd = pdd;
	if (vkfd_va_reserve(at)) {
		kfree(at);
		return ERR_PTR(-EINVAL);
	}
	list_add_tail(&at->node, &bo->attachments);
	return at;
}

/* The address a PTE of page i of the BO holds, as seen from at->pdd. */
static u64 vkfd_bo_page_addr(void *arg, u64 i)
{
	struct vkfd_bo_attach *at = arg;
	struct vkfd_bo *bo = at->bo;
	struct vkfd_dev *owner = bo->pdd->dev;
	u64 off = i << PAGE_SHIFT;

	switch (bo->kind) {
	case VKFD_BO_VRAM:
		/*
		 * its own VRAM by offset; a peer's through that BAR (an import
		 * is always on the GPU of the memory it imported)
		 */
		if (at->pdd->dev == owner)
			return vkfd_bo_mem(bo)->vram.start + off;
		return pci_bus_address(owner->pdev, VKFD_BAR_VRAM) +
		       vkfd_bo_mem(bo)->vram.start + off;
	case VKFD_BO_DOORBELL:
		return pci_bus_address(owner->pdev, VKFD_BAR_DOORBELL) +
		       (u64)bo->pdd->ctx_id * VKFD_DOORBELL_PAGE_SIZE + off;
	case VKFD_BO_MMIO_REMAP:
		return pci_bus_address(owner->pdev, VKFD_BAR_REGS) +
		       VKFD_MMIO_REMAP_OFFSET;
	default:
		return at->dma[i];
	}
}

static u64 vkfd_bo_pte_flags(struct vkfd_bo_attach *at)
{
	struct vkfd_bo *bo = at->bo;
	u64 flags = 0;

	if (bo->flags & KFD_IOC_ALLOC_MEM_FLAGS_WRITABLE)
		flags |= VKFD_PTE_WRITE;
	if (bo->kind != VKFD_BO_VRAM || at->pdd->dev != bo->pdd->dev)
		flags |= VKFD_PTE_SYSTEM;
	return flags;
}

static void vkfd_bo_dma_unmap(struct vkfd_bo_attach *at, u64 n)
{
	struct device *d = &at->pdd->dev->pdev->dev;
	u64 i;

	for (i = 0; i < n; i++)
		dma_unmap_page(d, at->dma[i], PAGE_SIZE, DMA_BIDIRECTIONAL);
	kvfree(at->dma);
	at->dma = NULL;
}

static int vkfd_bo_dma_map(struct vkfd_bo_attach *at)
{
	struct device *d = &at->pdd->dev->pdev->dev;
	struct vkfd_bo *bo = vkfd_bo_mem(at->bo);
	u64 i;

	at->dma = kvmalloc_array(bo->npages, sizeof(*at->dma), GFP_KERNEL);
	if (!at->dma)
		return -ENOMEM;
	for (i = 0; i < bo->npages; i++) {
		at->dma[i] = dma_map_page(d, bo->pages[i], 0, PAGE_SIZE,
					  DMA_BIDIRECTIONAL);
		if (dma_mapping_error(d, at->dma[i])) {
			vkfd_bo_dma_unmap(at, i);
			return -ENOMEM;
		}
	}
	return 0;
}

int vkfd_tlb_flush(struct vkfd_process_device *pdd)
{
	return vkfd_sched_submit(pdd->dev, VKFD_CMD_INVALIDATE_TLB,
				 pdd->ctx_id, NULL, 0);
}

/* Write the BO's PTEs into at->pdd's page tables. */
static int vkfd_bo_map_one(struct vkfd_bo_attach *at)
{
	struct vkfd_bo *bo = at->bo;
	bool system = bo->kind == VKFD_BO_GTT || bo->kind == VKFD_BO_USERPTR;
	int ret;

	if (at->mapped)
		return 0;
	if (system) {
		ret = vkfd_bo_dma_map(at);
		if (ret)
			return ret;
	}
	ret = vkfd_vm_map(&at->pdd->vm, bo->va, bo->npages, vkfd_bo_page_addr,
			  at, vkfd_bo_pte_flags(at));
	if (ret) {
		if (system)
			vkfd_bo_dma_unmap(at, bo->npages);
		return ret;
	}
	at->mapped = true;
	return 0;
}

static void vkfd_bo_unmap_one(struct vkfd_bo_attach *at)
{
	struct vkfd_bo *bo = at->bo;

	if (!at->mapped)
		return;
	vkfd_vm_unmap(&at->pdd->vm, bo->va, bo->npages);
	/* no GPU access may use the old pages once they are released */
	if (vkfd_tlb_flush(at->pdd))
		dev_err(&at->pdd->dev->pdev->dev,
			"TLB flush of context %u failed\n", at->pdd->ctx_id);
	if (at->dma)
		vkfd_bo_dma_unmap(at, bo->npages);
	at->mapped = false;
}

static void vkfd_bo_detach(struct vkfd_bo_attach *at)
{
	vkfd_bo_unmap_one(at);
	rb_erase(&at->va_node, &at->pdd->va_tree);
	list_del(&at->node);
	kfree(at);
}

/*
 * The last reference: system pages go here, not at FREE, because the
 * events page may still be mapped into the kernel.  VRAM went at FREE.
 */
static void vkfd_bo_release(struct kref *ref)
{
	struct vkfd_bo *bo = container_of(ref, struct vkfd_bo, ref);
	u64 i;

	if (bo->pages) {
		for (i = 0; i < bo->npages; i++) {
			if (!bo->pages[i])
				continue;
			if (bo->kind == VKFD_BO_USERPTR)
				unpin_user_page(bo->pages[i]);
			else
				__free_page(bo->pages[i]);
		}
		kvfree(bo->pages);
	}
	if (bo->pin_mm) {
		atomic64_sub(bo->npages, &bo->pin_mm->pinned_vm);
		mmdrop(bo->pin_mm);
	}
	if (bo->sys_charged && bo->kind == VKFD_BO_GTT)
		vkfd_gtt_uncharge(bo->npages);
	else if (bo->sys_charged)
		vkfd_sys_uncharge(bo->npages);
	mutex_destroy(&bo->fault_lock);
	kfree(bo);
}

void vkfd_bo_put(struct vkfd_bo *bo)
{
	kref_put(&bo->ref, vkfd_bo_release);
}

/*
 * VRAM below end for a BO or for SVM pages (vkfd_svm_migrate.c): one
 * allocator and one count, which AVAILABLE_MEMORY reports.
 */
int vkfd_vram_alloc(struct vkfd_dev *dev, struct drm_mm_node *node, u64 size,
		    u64 end)
{
	int ret;

	mutex_lock(&dev->vram_lock);
	ret = drm_mm_insert_node_in_range(&dev->vram_mm, node, size, PAGE_SIZE,
					  0, 0, end, DRM_MM_INSERT_BEST);
	if (!ret) {
		dev->vram_used += size;
		/* published under the lock, so that updates land in order */
		vkfd_topology_vram_used(dev, dev->vram_used);
	}
	mutex_unlock(&dev->vram_lock);
	return ret ? -ENOMEM : 0;
}

/* Give VRAM back; under nothing but vram_lock. */
void vkfd_vram_free(struct vkfd_dev *dev, struct drm_mm_node *node)
{
	mutex_lock(&dev->vram_lock);
	dev->vram_used -= node->size;
	drm_mm_remove_node(node);
	vkfd_topology_vram_used(dev, dev->vram_used);
	mutex_unlock(&dev->vram_lock);
}

/*
 * Free a BO: unmapped everywhere, dead to CPU faults, its mappings zapped,
 * VRAM back unless a dma-buf still has it (vkfd_dmabuf.c gives it back
 * when the dma-buf goes).  Under p->lock, so pdd and its render file are
 * alive.
 */
static void vkfd_bo_destroy(struct vkfd_bo *bo)
{
	struct vkfd_process_device *pdd = bo->pdd;
	struct vkfd_dev *dev = pdd->dev;
	struct vkfd_bo_attach *at, *tmp;

	lockdep_assert_held(&pdd->p->lock);
	list_for_each_entry_safe(at, tmp, &bo->attachments, node)
		vkfd_bo_detach(at);
	xa_erase(&pdd->bos, bo->id);
	pdd->nr_bos--;
	if (bo->mmap_id) {
		xa_erase(&dev->bo_mmaps, bo->mmap_id);
		mutex_lock(&bo->fault_lock);
		bo->dead = true;
		mutex_unlock(&bo->fault_lock);
		/*
		 * No fault maps a page from here on; remove what is mapped.
		 * Render nodes share one address space per device, where the
		 * BO's offset is unique.
		 */
		unmap_mapping_range(pdd->drm_file->f_mapping,
				    vkfd_bo_mmap_offset(bo), bo->size, 1);
	}
	if (bo->kind == VKFD_BO_VRAM && !bo->src) {
		if (!bo->dmabuf)
			vkfd_vram_free(dev, &bo->vram);
		WRITE_ONCE(pdd->vram_used, pdd->vram_used - bo->size);
	}
	/* the release, if this was the last reference, runs at fput time */
	if (bo->dmabuf)
		dma_buf_put(bo->dmabuf);
	vkfd_bo_put(bo);
}

/*
 * Is [va, va + size) inside one BO mapped in pdd's VM?  With exact, the
 * BO must start at va and be exactly size bytes.  Under p->lock.
 */
bool vkfd_mem_va_mapped(struct vkfd_process_device *pdd, u64 va, u64 size,
			bool exact)
{
	struct rb_node *n = pdd->va_tree.rb_node;

	lockdep_assert_held(&pdd->p->lock);
	if (va + size < va)
		return false;
	while (n) {
		struct vkfd_bo_attach *at =
			rb_entry(n, struct vkfd_bo_attach, va_node);
		struct vkfd_bo *bo = at->bo;

		if (va < bo->va) {
			n = n->rb_left;
		} else if (va >= bo->va + bo->size) {
			n = n->rb_right;
		} else {
			if (!at->mapped)
				return false;
			if (exact)
				return bo->va == va && bo->size == size;
			return va + size <= bo->va + bo->size;
		}
	}
	return false;
}

/* Does a BO mapped in pdd's VM overlap [va, va + size)?  Under p->lock. */
bool vkfd_mem_va_overlaps(struct vkfd_process_device *pdd, u64 va, u64 size)
{
	struct rb_node *n;

	lockdep_assert_held(&pdd->p->lock);
	for (n = rb_first(&pdd->va_tree); n; n = rb_next(n)) {
		struct vkfd_bo_attach *at =
			rb_entry(n, struct vkfd_bo_attach, va_node);

		if (at->bo->va >= va + size)
			break;
		if (at->mapped && at->bo->va + at->bo->size > va)
			return true;
	}
	return false;
}

/* Process teardown: every BO allocated on this GPU, and peers' mappings. */
void vkfd_mem_pdd_free_all(struct vkfd_process_device *pdd)
{
	struct rb_node *n;
	struct vkfd_bo *bo;
	unsigned long id;

	lockdep_assert_held(&pdd->p->lock);
	xa_for_each(&pdd->bos, id, bo)
		vkfd_bo_destroy(bo);
	/* what is left in this VM belongs to BOs of the process's other GPUs */
	while ((n = rb_first(&pdd->va_tree)))
		vkfd_bo_detach(rb_entry(n, struct vkfd_bo_attach, va_node));
	xa_destroy(&pdd->bos);
}

static int vkfd_bo_alloc_vram(struct vkfd_bo *bo)
{
	struct vkfd_dev *dev = bo->pdd->dev;
	int ret;

	ret = vkfd_vram_alloc(dev, &bo->vram, bo->size, U64_MAX);
	if (ret)
		return ret;
	bo->vram_pfn = (dev->vram_bus + bo->vram.start) >> PAGE_SHIFT;
	bo->vram_cpu = dev->vram_cpu + bo->vram.start;
	/* a new BO never shows what an earlier owner left in VRAM */
	memset_io(dev->vram_cpu + bo->vram.start, 0, bo->size);
	return 0;
}

static int vkfd_bo_alloc_pages(struct vkfd_bo *bo)
{
	u64 i;

	bo->pages = kvcalloc(bo->npages, sizeof(*bo->pages),
			     GFP_KERNEL_ACCOUNT);
	if (!bo->pages)
		return -ENOMEM;
	for (i = 0; i < bo->npages; i++) {
		bo->pages[i] = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO |
					  __GFP_NOWARN);
		if (!bo->pages[i])
			return -ENOMEM;	/* the caller frees what was made */
	}
	return 0;
}

/*
 * Charge a USERPTR's pages to the caller's pinned_vm, within
 * RLIMIT_MEMLOCK unless it may lock memory, as RDMA and VFIO do.
 */
static int vkfd_bo_charge_pins(struct vkfd_bo *bo)
{
	unsigned long limit = rlimit(RLIMIT_MEMLOCK) >> PAGE_SHIFT;
	struct mm_struct *mm = current->mm;
	s64 pinned;

	pinned = atomic64_add_return(bo->npages, &mm->pinned_vm);
	if (pinned > limit && !capable(CAP_IPC_LOCK)) {
		atomic64_sub(bo->npages, &mm->pinned_vm);
		return -ENOMEM;
	}
	mmgrab(mm);
	bo->pin_mm = mm;
	return 0;
}

/* Pin the caller's pages; runs without p->lock (it takes mmap_lock). */
static int vkfd_bo_pin_userptr(struct vkfd_bo *bo, u64 uaddr)
{
	u64 done = 0;
	long got;
	int ret;

	ret = vkfd_bo_charge_pins(bo);
	if (ret)
		return ret;
	bo->pages = kvcalloc(bo->npages, sizeof(*bo->pages),
			     GFP_KERNEL_ACCOUNT);
	if (!bo->pages)
		return -ENOMEM;
	while (done < bo->npages) {
		got = pin_user_pages_fast(uaddr + (done << PAGE_SHIFT),
					  min_t(u64, bo->npages - done, 512),
					  FOLL_WRITE | FOLL_LONGTERM,
					  bo->pages + done);
		if (got <= 0)
			return got ? got : -EFAULT;
		done += got;
	}
	return 0;
}

static enum vkfd_bo_kind vkfd_bo_kind_of(u32 flags)
{
	if (flags & KFD_IOC_ALLOC_MEM_FLAGS_VRAM)
		return VKFD_BO_VRAM;
	if (flags & KFD_IOC_ALLOC_MEM_FLAGS_GTT)
		return VKFD_BO_GTT;
	if (flags & KFD_IOC_ALLOC_MEM_FLAGS_USERPTR)
		return VKFD_BO_USERPTR;
	if (flags & KFD_IOC_ALLOC_MEM_FLAGS_DOORBELL)
		return VKFD_BO_DOORBELL;
	return VKFD_BO_MMIO_REMAP;
}

/* The memory ioctls, as amdkfd's, say ENODEV for a GPU not bound yet. */
static struct vkfd_process_device *vkfd_bound_pdd(struct vkfd_process *p,
						  u32 gpu_id)
{
	return vkfd_process_bound_pdd(p, gpu_id, -ENODEV);
}

/* Checks only: a new BO from the arguments, or an ERR_PTR. */
static struct vkfd_bo *
vkfd_bo_init_from_args(struct vkfd_process *p,
		       struct kfd_ioctl_alloc_memory_of_gpu_args *args)
{
	u64 size = args->size, va = args->va_addr;
	u32 flags = args->flags;
	enum vkfd_bo_kind kind;
	struct vkfd_bo *bo;

	if (!size || !(flags & VKFD_ALLOC_TYPES))
		return ERR_PTR(-EINVAL);
	if (!PAGE_ALIGNED(size) || !PAGE_ALIGNED(va) || va + size < va ||
	    va < VKFD_GPUVM_BASE || va + size > VKFD_GPUVM_LIMIT + 1)
		return ERR_PTR(-EINVAL);
	kind = vkfd_bo_kind_of(flags);
	switch (kind) {
	case VKFD_BO_USERPTR:
		/* as upstream: secondaries have no mm of their own */
		if (!vkfd_process_is_primary(p))
			return ERR_PTR(-EOPNOTSUPP);
		if (!PAGE_ALIGNED(args->mmap_offset))
			return ERR_PTR(-EINVAL);
		fallthrough;
	case VKFD_BO_GTT:
		/* never more than the system-memory limit in one BO */
		if (size >> PAGE_SHIFT > vkfd_sys_limit())
			return ERR_PTR(-ENOMEM);
		break;
	case VKFD_BO_DOORBELL:
		if (size != VKFD_DOORBELL_PAGE_SIZE)
			return ERR_PTR(-EINVAL);
		break;
	case VKFD_BO_MMIO_REMAP:
		if (size != PAGE_SIZE)
			return ERR_PTR(-EINVAL);
		break;
	default:
		break;
	}

	bo = kzalloc(sizeof(*bo), GFP_KERNEL_ACCOUNT);
	if (!bo)
		return ERR_PTR(-ENOMEM);
	kref_init(&bo->ref);
	mutex_init(&bo->fault_lock);
	INIT_LIST_HEAD(&bo->attachments);
	INIT_LIST_HEAD(&bo->export_node);
	bo->flags = flags;
	bo->kind = kind;
	bo->va = va;
	bo->size = size;
	bo->npages = size >> PAGE_SHIFT;
	return bo;
}

/*
 * System memory first, without p->lock: GTT is charged, USERPTR charged
 * and pinned (pinning takes mmap_lock).
 */
static int vkfd_bo_charge(struct vkfd_bo *bo, u64 uaddr)
{
	int ret;

	if (bo->kind != VKFD_BO_GTT && bo->kind != VKFD_BO_USERPTR)
		return 0;
	if (bo->kind == VKFD_BO_GTT)
		ret = vkfd_gtt_charge(bo->npages);
	else
		ret = vkfd_sys_charge(bo->npages);
	if (ret)
		return ret;
	bo->sys_charged = true;
	if (bo->kind == VKFD_BO_USERPTR)
		return vkfd_bo_pin_userptr(bo, uaddr);
	return 0;
}

/*
 * Under p->lock: the BO joins pdd, with an id and its VA range (the
 * attachment returned); on failure nothing changed.  Allocations and
 * imports both start here.
 */
static struct vkfd_bo_attach *vkfd_bo_join(struct vkfd_process_device *pdd,
					   struct vkfd_bo *bo)
{
	struct vkfd_bo_attach *at;
	int ret;

	lockdep_assert_held(&pdd->p->lock);
	if (pdd->nr_bos >= VKFD_MAX_BOS_PER_GPU)
		return ERR_PTR(-ENOMEM);
	bo->pdd = pdd;
	bo->dev = pdd->dev;
	bo->filp = pdd->drm_file;
	ret = xa_alloc(&pdd->bos, &bo->id, bo, xa_limit_31b,
		       GFP_KERNEL_ACCOUNT);
	if (ret)
		return ERR_PTR(ret);
	at = vkfd_bo_attach_new(bo, pdd);
	if (IS_ERR(at))
		xa_erase(&pdd->bos, bo->id);
	return at;
}

/* Under p->lock: give the BO its id, VA range and memory on pdd. */
static int vkfd_bo_back(struct vkfd_process_device *pdd, struct vkfd_bo *bo)
{
	struct vkfd_bo_attach *at;
	int ret = 0;

	at = vkfd_bo_join(pdd, bo);
	if (IS_ERR(at))
		return PTR_ERR(at);
	if (bo->kind == VKFD_BO_VRAM)
		ret = vkfd_bo_alloc_vram(bo);
	else if (bo->kind == VKFD_BO_GTT)
		ret = vkfd_bo_alloc_pages(bo);
	if (ret)
		goto err_attach;
	if (bo->kind == VKFD_BO_VRAM || bo->kind == VKFD_BO_GTT) {
		ret = xa_alloc(&pdd->dev->bo_mmaps, &bo->mmap_id, bo,
			       XA_LIMIT(1, (1U << 23) - 1), GFP_KERNEL);
		if (ret)
			goto err_vram;
	}
	if (bo->kind == VKFD_BO_VRAM)
		WRITE_ONCE(pdd->vram_used, pdd->vram_used + bo->size);
	pdd->nr_bos++;
	return 0;

err_vram:
	if (bo->kind == VKFD_BO_VRAM)
		vkfd_vram_free(pdd->dev, &bo->vram);
err_attach:
	vkfd_bo_detach(at);
	xa_erase(&pdd->bos, bo->id);
	return ret;
}

int vkfd_ioctl_alloc_memory(struct file *filep, struct vkfd_process *p,
			    void *data)
{
	struct kfd_ioctl_alloc_memory_of_gpu_args *args = data;
	struct vkfd_process_device *pdd;
	struct vkfd_bo *bo;
	int ret;

	/* amdkfd: a size of 0 first, then no BO over an SVM range */
	ret = args->size ? vkfd_svm_va_free(p, args->va_addr, args->size) : 0;
	if (ret)
		return ret;
	bo = vkfd_bo_init_from_args(p, args);
	if (IS_ERR(bo)) {
		ret = PTR_ERR(bo);
		bo = NULL;
		goto out;
	}
	/* the device first, so that a bad gpu_id pins and charges nothing */
	mutex_lock(&p->lock);
	pdd = vkfd_bound_pdd(p, args->gpu_id);
	mutex_unlock(&p->lock);
	ret = PTR_ERR_OR_ZERO(pdd);
	if (ret)
		goto out;
	ret = vkfd_bo_charge(bo, args->mmap_offset);
	if (ret)
		goto out;

	mutex_lock(&p->lock);
	pdd = vkfd_bound_pdd(p, args->gpu_id);	/* it may have gone */
	ret = PTR_ERR_OR_ZERO(pdd);
	if (!ret)
		ret = vkfd_bo_back(pdd, bo);
	if (!ret) {
		args->handle = vkfd_bo_handle(bo);
		if (bo->mmap_id)
			args->mmap_offset = vkfd_bo_mmap_offset(bo);
		else if (bo->kind == VKFD_BO_DOORBELL)
			args->mmap_offset = VKFD_MMAP_TYPE_DOORBELL |
				(u64)args->gpu_id << VKFD_MMAP_GPU_ID_SHIFT;
		else if (bo->kind == VKFD_BO_MMIO_REMAP)
			args->mmap_offset = VKFD_MMAP_TYPE_MMIO |
				(u64)args->gpu_id << VKFD_MMAP_GPU_ID_SHIFT;
	}
	mutex_unlock(&p->lock);
out:
	if (ret) {
		pr_debug("vkfd: ALLOC gpu %u va 0x%llx size 0x%llx flags 0x%x: %d\n",
			 args->gpu_id, args->va_addr, args->size, args->flags,
			 ret);
		if (bo)
			vkfd_bo_put(bo);
	}
	return ret;
}

/*
 * An imported BO (vkfd_dmabuf.c) joins pdd: an id and its VA range, no
 * memory of its own.  Under p->lock; on failure nothing changed.
 */
int vkfd_bo_add_import(struct vkfd_process_device *pdd, struct vkfd_bo *bo)
{
	struct vkfd_bo_attach *at = vkfd_bo_join(pdd, bo);

	if (IS_ERR(at))
		return PTR_ERR(at);
	pdd->nr_bos++;
	return 0;
}

/* The BO behind a handle, under p->lock. */
struct vkfd_bo *vkfd_bo_lookup(struct vkfd_process *p, u64 handle)
{
	struct vkfd_process_device *pdd;

	pdd = vkfd_process_device(p, handle >> 32);
	if (!pdd)
		return NULL;
	return xa_load(&pdd->bos, lower_32_bits(handle));
}

/*
 * The events page in a user's GTT BO (libhsakmt's dGPU path): the kernel
 * maps its pages and keeps the BO until the process goes.  Under p->lock.
 */
int vkfd_mem_map_events_page(struct vkfd_process *p, u64 handle,
			     u64 **page, u32 *slots)
{
	struct vkfd_bo *bo = vkfd_bo_lookup(p, handle);
	void *va;

	if (!bo || bo->kind != VKFD_BO_GTT || bo->src)
		return -EINVAL;
	va = vmap(bo->pages, bo->npages, VM_MAP, PAGE_KERNEL);
	if (!va)
		return -ENOMEM;
	/* the reference keeps the pages, even if the GPU goes first */
	kref_get(&bo->ref);
	p->events_bo = bo;
	*page = va;
	*slots = min_t(u64, bo->size / 8, KFD_SIGNAL_EVENT_LIMIT);
	return 0;
}

void vkfd_mem_unmap_events_page(struct vkfd_process *p, u64 *page)
{
	vunmap(page);
	vkfd_bo_put(p->events_bo);
	p->events_bo = NULL;
}

int vkfd_ioctl_free_memory(struct file *filep, struct vkfd_process *p,
			   void *data)
{
	struct kfd_ioctl_free_memory_of_gpu_args *args = data;
	struct vkfd_bo *bo;
	int ret = 0;

	mutex_lock(&p->lock);
	bo = vkfd_bo_lookup(p, args->handle);
	if (!bo)
		ret = -EINVAL;
	else if (bo == p->events_bo)
		ret = -EPERM;		/* the events page stays, as in amdkfd */
	else
		vkfd_bo_destroy(bo);
	mutex_unlock(&p->lock);
	return ret;
}

/* MAP and UNMAP share their argument handling and progress counting. */
static int vkfd_map_unmap(struct vkfd_process *p,
			  struct kfd_ioctl_map_memory_to_gpu_args *args,
			  bool map)
{
	struct vkfd_process_device *peer;
	struct vkfd_bo_attach *at;
	struct vkfd_bo *bo;
	u32 *ids, i;
	int ret = 0;

	if (!args->n_devices || args->n_success > args->n_devices ||
	    args->n_devices > 64)
		return -EINVAL;
	ids = memdup_user(u64_to_user_ptr(args->device_ids_array_ptr),
			  array_size(args->n_devices, sizeof(*ids)));
	if (IS_ERR(ids))
		return PTR_ERR(ids);

	mutex_lock(&p->lock);
	bo = vkfd_bo_lookup(p, args->handle);
	if (!bo) {
		ret = -EINVAL;
		goto out;
	}
	for (i = args->n_success; i < args->n_devices; i++) {
		peer = vkfd_bound_pdd(p, ids[i]);
		if (IS_ERR(peer)) {
			ret = PTR_ERR(peer);
			break;
		}
		at = vkfd_bo_attach(bo, peer);
		if (map) {
			/* doorbells and the remap page serve their own GPU */
			ret = -EINVAL;
			if (peer != bo->pdd && (bo->kind == VKFD_BO_DOORBELL ||
						bo->kind == VKFD_BO_MMIO_REMAP))
				break;
			if (!at) {
				at = vkfd_bo_attach_new(bo, peer);
				if (IS_ERR(at)) {
					ret = PTR_ERR(at);
					break;
				}
			}
			ret = vkfd_bo_map_one(at);
			if (ret) {
				if (peer != bo->pdd)
					vkfd_bo_detach(at);
				break;
			}
		} else {
			ret = -EINVAL;
			if (!at || !at->mapped)
				break;
			if (peer != bo->pdd)
				vkfd_bo_detach(at);
			else
				vkfd_bo_unmap_one(at);
			ret = 0;
		}
		args->n_success = i + 1;
	}
out:
	mutex_unlock(&p->lock);
	kfree(ids);
	return ret;
}

int vkfd_ioctl_map_memory(struct file *filep, struct vkfd_process *p,
			  void *data)
{
	return vkfd_map_unmap(p, data, true);
}

int vkfd_ioctl_unmap_memory(struct file *filep, struct vkfd_process *p,
			    void *data)
{
	return vkfd_map_unmap(p, data, false);
}

int vkfd_ioctl_available_memory(struct file *filep, struct vkfd_process *p,
				void *data)
{
	struct kfd_ioctl_get_available_memory_args *args = data;
	struct vkfd_process_device *pdd;
	int ret = 0;

	mutex_lock(&p->lock);
	pdd = vkfd_process_device(p, args->gpu_id);
	if (pdd) {
		/* the device's count changes under vram_lock only */
		mutex_lock(&pdd->dev->vram_lock);
		args->available = pdd->dev->vram_size - pdd->dev->vram_used;
		mutex_unlock(&pdd->dev->vram_lock);
	} else {
		ret = -EINVAL;
	}
	mutex_unlock(&p->lock);
	return ret;
}

/*
 * GFX9 has no tile-mode tables; what user space needs is the address
 * configuration (the value libhsakmt's own model reports).
 */
#define VKFD_GB_ADDR_CONFIG	0x10000444

int vkfd_ioctl_get_tile_config(struct file *filep, struct vkfd_process *p,
			       void *data)
{
	struct kfd_ioctl_get_tile_config_args *args = data;
	int ret = 0;

	mutex_lock(&p->lock);
	if (!vkfd_process_device(p, args->gpu_id))
		ret = -EINVAL;
	mutex_unlock(&p->lock);
	if (ret)
		return ret;
	args->gb_addr_config = VKFD_GB_ADDR_CONFIG;
	args->num_banks = 0;
	args->num_ranks = 0;
	args->num_tile_configs = 0;
	args->num_macro_tile_configs = 0;
	return 0;
}

int vkfd_ioctl_set_scratch_backing_va(struct file *filep,
				      struct vkfd_process *p, void *data)
{
	struct kfd_ioctl_set_scratch_backing_va_args *args = data;
	struct vkfd_process_device *pdd;
	int ret;

	mutex_lock(&p->lock);
	pdd = vkfd_bound_pdd(p, args->gpu_id);
	ret = PTR_ERR_OR_ZERO(pdd);
	if (!ret)
		pdd->scratch_backing_va = args->va_addr;
	mutex_unlock(&p->lock);
	return ret;
}

/* Pages a CPU fault maps at once, around the one that faulted. */
#define VKFD_FAULT_AROUND	16

/*
 * A CPU fault on a render-node mapping of a VRAM or GTT BO: map the page
 * unless the BO was freed, in which case the access fails with SIGBUS.
 */
static vm_fault_t vkfd_bo_vma_fault(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	struct vkfd_bo *bo = vma->vm_private_data;
	unsigned long addr = vmf->address, pfn;
	vm_fault_t ret = VM_FAULT_SIGBUS, r;
	u64 pg;
	int i;

	mutex_lock(&bo->fault_lock);
	if (bo->dead)
		goto out;
	pg = vmf->pgoff - (vkfd_bo_mmap_offset(bo) >> PAGE_SHIFT);
	for (i = 0; i < VKFD_FAULT_AROUND && pg < bo->npages &&
	     addr < vma->vm_end; i++, pg++, addr += PAGE_SIZE) {
		if (bo->kind == VKFD_BO_VRAM)
			pfn = bo->vram_pfn + pg;
		else
			pfn = page_to_pfn(bo->pages[pg]);
		r = vmf_insert_pfn(vma, addr, pfn);
		if (!i)
			ret = r;
		if (r & VM_FAULT_ERROR)
			break;
	}
out:
	mutex_unlock(&bo->fault_lock);
	return ret;
}

/* Copy between buf and the GTT BO's pages from byte off on. */
static void vkfd_bo_copy_pages(struct vkfd_bo *bo, u64 off, void *buf,
			       int len, bool write)
{
	unsigned int n, in_page;
	u8 *va;

	while (len > 0) {
		in_page = offset_in_page(off);
		n = min_t(unsigned int, len, PAGE_SIZE - in_page);
		va = kmap_local_page(bo->pages[off >> PAGE_SHIFT]);
		if (write)
			memcpy(va + in_page, buf, n);
		else
			memcpy(buf, va + in_page, n);
		kunmap_local(va);
		off += n;
		buf += n;
		len -= n;
	}
}

/*
 * Another process's view of a render-node mapping (ptrace, process_vm
 * calls that fall back to it, /proc/<pid>/mem): these VMAs are PFN maps
 * that get_user_pages cannot follow, so the access goes to the memory
 * here, VRAM through the BAR, as amdgpu's VMA access handler does.  A
 * freed BO gives EIO.  Returns the bytes copied.
 */
static int vkfd_bo_vma_access(struct vm_area_struct *vma, unsigned long addr,
			      void *buf, int len, int write)
{
	struct vkfd_bo *bo = vma->vm_private_data;
	u64 off = addr - vma->vm_start +
		  ((u64)vma->vm_pgoff << PAGE_SHIFT) -
		  vkfd_bo_mmap_offset(bo);

	if (len <= 0 || off >= bo->size)
		return -EIO;
	len = min_t(u64, len, bo->size - off);
	mutex_lock(&bo->fault_lock);
	if (bo->dead) {
		mutex_unlock(&bo->fault_lock);
		return -EIO;
	}
	if (bo->kind == VKFD_BO_VRAM && write)
		memcpy_toio(bo->vram_cpu + off, buf, len);
	else if (bo->kind == VKFD_BO_VRAM)
		memcpy_fromio(buf, bo->vram_cpu + off, len);
	else
		vkfd_bo_copy_pages(bo, off, buf, len, write);
	mutex_unlock(&bo->fault_lock);
	return len;
}

/* Each VMA, after fork, split or mremap too, holds the BO's struct. */
static void vkfd_bo_vma_open(struct vm_area_struct *vma)
{
	kref_get(&((struct vkfd_bo *)vma->vm_private_data)->ref);
}

static void vkfd_bo_vma_close(struct vm_area_struct *vma)
{
	vkfd_bo_put(vma->vm_private_data);
}

static const struct vm_operations_struct vkfd_bo_vm_ops = {
	.open = vkfd_bo_vma_open,
	.close = vkfd_bo_vma_close,
	.fault = vkfd_bo_vma_fault,
	.access = vkfd_bo_vma_access,
};

/* A PROT_NONE reservation holds nothing and can never gain a page. */
static const struct vm_operations_struct vkfd_reserve_vm_ops = { };

/*
 * mmap of the render node: a VRAM or GTT BO, only through the render
 * file whose VM the owning process adopted.  Nothing is mapped here;
 * pages come by fault (vkfd_bo_vma_fault).
 */
int vkfd_mem_drm_mmap(struct vkfd_dev *dev, struct file *filp,
		      struct vm_area_struct *vma)
{
	u64 off = (u64)vma->vm_pgoff << PAGE_SHIFT;
	unsigned long size = vma->vm_end - vma->vm_start;
	struct vkfd_bo *bo;
	int ret;

	if (off & ((1ULL << VKFD_BO_MMAP_SHIFT) - 1))
		return -EINVAL;
	xa_lock(&dev->bo_mmaps);
	bo = xa_load(&dev->bo_mmaps, off >> VKFD_BO_MMAP_SHIFT);
	if (bo && !kref_get_unless_zero(&bo->ref))
		bo = NULL;
	xa_unlock(&dev->bo_mmaps);
	if (!bo)
		return -EINVAL;

	/* only compared: the owner's pdd may be going right now */
	ret = -EACCES;
	if (bo->filp != filp)
		goto err;
	ret = -EINVAL;
	if (size > bo->size)
		goto err;
	/*
	 * libhsakmt reserves the CPU range of GPU-only BOs with a private
	 * PROT_NONE mapping: allow exactly that, with no pages, no way to
	 * gain access later and no copy in a child.  Any other mapping
	 * must be shared, so that the fake offset stays what unmapping
	 * looks for.
	 */
	if (!(vma->vm_flags & VM_SHARED)) {
		if (vma->vm_flags & (VM_READ | VM_WRITE | VM_EXEC))
			goto err;
		vma->vm_flags &= ~(VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC);
		vma->vm_flags |= VM_DONTEXPAND | VM_DONTDUMP | VM_DONTCOPY;
		vma->vm_ops = &vkfd_reserve_vm_ops;
		vkfd_bo_put(bo);
		return 0;
	}

	/* VM_IO: no MADV_DOFORK, no get_user_pages of these pages */
	vma->vm_flags |= VM_IO | VM_PFNMAP | VM_DONTEXPAND | VM_DONTDUMP |
			 VM_DONTCOPY;
	vma->vm_page_prot = vm_get_page_prot(vma->vm_flags);
	if (bo->kind == VKFD_BO_VRAM)
		vma->vm_page_prot = pgprot_writecombine(vma->vm_page_prot);
	vma->vm_private_data = bo;
	vma->vm_ops = &vkfd_bo_vm_ops;
	return 0;
err:
	pr_debug("vkfd: render-node mmap of BO %u (size 0x%llx) len 0x%lx flags 0x%lx: %d\n",
		 bo->id, bo->size, size, vma->vm_flags, ret);
	vkfd_bo_put(bo);
	return ret;
}

/*
 * /dev/kfd mappings live in one address space (vkfd_kfd_mapping()); each
 * pdd's pages get a window of VKFD_KFD_MAP_PAGES pages there, found by
 * key: the doorbell page first, the MMIO remap page at
 * VKFD_KFD_MAP_MMIO.  Closing the window zaps exactly that pdd's mappings.
 */
#define VKFD_KFD_MAP_PAGES	16
#define VKFD_KFD_MAP_MMIO	8
#define VKFD_KFD_MAP_KEYS	BIT(24)

static DEFINE_IDA(vkfd_kfd_map_ida);

static void vkfd_kfd_map_release(struct kref *ref)
{
	struct vkfd_kfd_map *map = container_of(ref, struct vkfd_kfd_map, ref);

	mutex_destroy(&map->lock);
	kfree(map);
}

int vkfd_kfd_map_create(struct vkfd_process_device *pdd)
{
	struct vkfd_kfd_map *map;
	int key;

	BUILD_BUG_ON(VKFD_KFD_MAP_MMIO * PAGE_SIZE < VKFD_DOORBELL_PAGE_SIZE);
	map = kzalloc(sizeof(*map), GFP_KERNEL_ACCOUNT);
	if (!map)
		return -ENOMEM;
	key = ida_alloc_range(&vkfd_kfd_map_ida, 1, VKFD_KFD_MAP_KEYS - 1,
			      GFP_KERNEL);
	if (key < 0) {
		kfree(map);
		return key;
	}
	kref_init(&map->ref);
	mutex_init(&map->lock);
	map->key = key;
	map->mmio = pci_resource_start(pdd->dev->pdev, VKFD_BAR_REGS) +
		    VKFD_MMIO_REMAP_OFFSET;
	pdd->kfd_map = map;
	return 0;
}

/* The pdd got its context: its doorbell page can be mapped. */
void vkfd_kfd_map_set_doorbell(struct vkfd_process_device *pdd)
{
	struct vkfd_kfd_map *map = pdd->kfd_map;

	mutex_lock(&map->lock);
	map->doorbell = pci_resource_start(pdd->dev->pdev, VKFD_BAR_DOORBELL) +
			(u64)pdd->ctx_id * VKFD_DOORBELL_PAGE_SIZE;
	mutex_unlock(&map->lock);
}

/*
 * Before the context or the device goes: no fault maps these pages any
 * more, and what is mapped is zapped in every process that has it.
 */
void vkfd_kfd_map_kill(struct vkfd_process_device *pdd)
{
	struct vkfd_kfd_map *map = pdd->kfd_map;

	if (!map)
		return;
	mutex_lock(&map->lock);
	map->dead = true;
	mutex_unlock(&map->lock);
	unmap_mapping_range(vkfd_kfd_mapping(),
			    (loff_t)map->key * VKFD_KFD_MAP_PAGES << PAGE_SHIFT,
			    VKFD_KFD_MAP_PAGES << PAGE_SHIFT, 1);
	ida_free(&vkfd_kfd_map_ida, map->key);
	pdd->kfd_map = NULL;
	kref_put(&map->ref, vkfd_kfd_map_release);
}

static vm_fault_t vkfd_kfd_vma_fault(struct vm_fault *vmf)
{
	struct vkfd_kfd_map *map = vmf->vma->vm_private_data;
	unsigned long pg = vmf->pgoff % VKFD_KFD_MAP_PAGES;
	vm_fault_t ret = VM_FAULT_SIGBUS;
	phys_addr_t phys = 0;

	mutex_lock(&map->lock);
	if (!map->dead) {
		if (pg == VKFD_KFD_MAP_MMIO)
			phys = map->mmio;
		else if (map->doorbell &&
			 pg < VKFD_DOORBELL_PAGE_SIZE / PAGE_SIZE)
			phys = map->doorbell + pg * PAGE_SIZE;
	}
	if (phys)
		ret = vmf_insert_pfn(vmf->vma, vmf->address, phys >> PAGE_SHIFT);
	mutex_unlock(&map->lock);
	return ret;
}

static void vkfd_kfd_vma_open(struct vm_area_struct *vma)
{
	struct vkfd_kfd_map *map = vma->vm_private_data;

	kref_get(&map->ref);
}

static void vkfd_kfd_vma_close(struct vm_area_struct *vma)
{
	struct vkfd_kfd_map *map = vma->vm_private_data;

	kref_put(&map->ref, vkfd_kfd_map_release);
}

/* Doorbell and MMIO mappings stay whole and where they were made. */
static int vkfd_kfd_vma_may_split(struct vm_area_struct *vma,
				  unsigned long addr)
{
	return -EINVAL;
}

static int vkfd_kfd_vma_mremap(struct vm_area_struct *vma)
{
	return -EINVAL;
}

static const struct vm_operations_struct vkfd_kfd_vm_ops = {
	.open = vkfd_kfd_vma_open,
	.close = vkfd_kfd_vma_close,
	.fault = vkfd_kfd_vma_fault,
	.may_split = vkfd_kfd_vma_may_split,
	.mremap = vkfd_kfd_vma_mremap,
};

/* mmap of /dev/kfd: the doorbell page or the MMIO remap page of a GPU. */
int vkfd_mem_kfd_mmap(struct vkfd_process *p, struct vm_area_struct *vma)
{
	u64 off = (u64)vma->vm_pgoff << PAGE_SHIFT;
	unsigned long size = vma->vm_end - vma->vm_start;
	struct vkfd_process_device *pdd;
	struct vkfd_kfd_map *map;
	unsigned long page;
	int ret = -EINVAL;

	/* the events page belongs to the process, not to a GPU */
	if ((off & VKFD_MMAP_TYPE_MASK) == VKFD_MMAP_TYPE_EVENTS)
		return vkfd_events_mmap(p, vma);

	mutex_lock(&p->lock);
	if (p->torn_down) {
		ret = -ESRCH;
		goto out;
	}
	pdd = vkfd_process_device(p, VKFD_MMAP_GPU_ID(off));
	if (!pdd || !pdd->kfd_map) {
		ret = -ENODEV;
		goto out;
	}
	map = pdd->kfd_map;
	switch (off & VKFD_MMAP_TYPE_MASK) {
	case VKFD_MMAP_TYPE_DOORBELL:
		/* exactly the process's page, once it has a context */
		if (size != VKFD_DOORBELL_PAGE_SIZE || !pdd->ctx_id)
			goto out;
		page = 0;
		break;
	case VKFD_MMAP_TYPE_MMIO:
		if (size != PAGE_SIZE || PAGE_SIZE != VKFD_MMIO_REMAP_SIZE)
			goto out;
		page = VKFD_KFD_MAP_MMIO;
		break;
	default:
		goto out;
	}
	/* device pages are never copied on write */
	if (!(vma->vm_flags & VM_SHARED))
		goto out;
	vma->vm_flags |= VM_IO | VM_PFNMAP | VM_DONTCOPY | VM_DONTEXPAND |
			 VM_NORESERVE | VM_DONTDUMP;
	vma->vm_page_prot = pgprot_noncached(vma->vm_page_prot);
	/* the pdd's own window, so that its end zaps this mapping */
	vma->vm_pgoff = (unsigned long)map->key * VKFD_KFD_MAP_PAGES + page;
	kref_get(&map->ref);
	vma->vm_private_data = map;
	vma->vm_ops = &vkfd_kfd_vm_ops;
	ret = 0;
out:
	mutex_unlock(&p->lock);
	return ret;
}
