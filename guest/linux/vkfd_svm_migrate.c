// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vkfd: SVM ranges in VRAM (device-private pages)
 *
 * As amdkfd does with a dGPU's VRAM, each GPU's VRAM is registered with
 * the kernel as MEMORY_DEVICE_PRIVATE memory: a struct page per 4 KiB of
 * VRAM, page i of the pagemap being VRAM offset i << PAGE_SHIFT.  A
 * prefetch of an SVM range to a GPU moves its pages there with
 * migrate_vma_*; the CPU page tables then hold device-private entries,
 * so a CPU touch faults and migrate_to_ram brings the pages back, and
 * hmm_range_fault with this GPU as the owner returns the device pages,
 * which the GPU maps as VRAM (vkfd_svm_migrate_pte).
 *
 * VRAM comes from the device's allocator in one contiguous chunk per
 * migrated stretch, charged like a BO's (AVAILABLE_MEMORY shows it); a
 * chunk goes back when the last of its pages is freed (munmap, exit, a
 * migration back), from a work item since page_free may run in atomic
 * context.
 *
 * Pages are copied by the CPU through the driver's write-combined
 * mapping of the VRAM BAR: the driver has no queue of its own on the
 * device (every device context belongs to a process), and vkfd's BAR
 * exposes all of VRAM, so the copy is exact.  amdkfd copies with SDMA
 * through its kernel queue and GART window instead.
 *
 * Without CONFIG_DEVICE_PRIVATE (Debian's release kernel) none of this
 * exists: no GPU offers device memory and ranges stay in system memory.
 * docs/memory.md, "SVM", "Migration to VRAM".
 */
#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/highmem.h>
#include <linux/io.h>
#include <linux/ioport.h>
#include <linux/memremap.h>
#include <linux/migrate.h>
#include <linux/rwsem.h>
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>

#include "vkfd_priv.h"

/* a migrate_vma call covers at most this many pages (2 MiB) */
#define VKFD_SVM_MIGRATE_BATCH	512UL

#if IS_ENABLED(CONFIG_DEVICE_PRIVATE)

/* One GPU's VRAM as device-private pages. */
struct vkfd_svm_mem {
	struct vkfd_dev *dev;
	struct dev_pagemap pgmap;	/* owner: this structure */
	struct resource *res;
	unsigned long pfn_first;
	unsigned long npages;
	/* chunks whose last page went; freed by free_work */
	spinlock_t free_lock;
	struct list_head free_list;
	struct work_struct free_work;
	/* for debugfs and the tests, in pages */
	atomic64_t in_use;
	atomic64_t to_vram;
	atomic64_t to_ram;		/* prefetch to system memory */
	atomic64_t fault_pages;		/* brought back by CPU faults */
	atomic64_t faults;
	atomic64_t evicted;		/* at unbind */
};

/*
 * Held for read by a migration an SVM call makes, for write by an unbind
 * taking a GPU's pagemap away: a migration never sees it freed.  CPU
 * faults need nothing: the faulting page holds the pagemap.
 */
static DECLARE_RWSEM(vkfd_svm_mem_rwsem);

/* VRAM of one migrated stretch; its device pages point here. */
struct vkfd_svm_chunk {
	struct vkfd_svm_mem *mem;
	struct drm_mm_node node;
	atomic_t pages;			/* device pages still alive */
	u8 granularity;			/* the range's, for CPU faults */
	struct list_head free_node;
	/* the process's counters_<gpu_id>/, for its CPU faults' page_out */
	struct vkfd_pdd_sysfs_dir *counters;
	/*
	 * For the SMI events of its CPU faults: the process, and the
	 * range's prefetch and preferred locations when the pages came
	 */
	pid_t tgid;
	u32 prefetch_loc, preferred_loc;
};

static struct vkfd_svm_mem *vkfd_svm_page_mem(struct page *page)
{
	return container_of(page->pgmap, struct vkfd_svm_mem, pgmap);
}

static u64 vkfd_svm_page_offset(struct vkfd_svm_mem *mem, struct page *page)
{
	return (u64)(page_to_pfn(page) - mem->pfn_first) << PAGE_SHIFT;
}

static void vkfd_svm_free_work(struct work_struct *work)
{
	struct vkfd_svm_mem *mem =
		container_of(work, struct vkfd_svm_mem, free_work);
	struct vkfd_svm_chunk *c, *tmp;
	unsigned long flags;
	LIST_HEAD(list);

	spin_lock_irqsave(&mem->free_lock, flags);
	list_splice_init(&mem->free_list, &list);
	spin_unlock_irqrestore(&mem->free_lock, flags);
	list_for_each_entry_safe(c, tmp, &list, free_node) {
		vkfd_vram_free(mem->dev, &c->node);
		vkfd_proc_counters_put(c->counters);
		kfree(c);
	}
}

static void vkfd_svm_chunk_put(struct vkfd_svm_chunk *c, int pages)
{
	struct vkfd_svm_mem *mem = c->mem;
	unsigned long flags;

	if (!atomic_sub_and_test(pages, &c->pages))
		return;
	spin_lock_irqsave(&mem->free_lock, flags);
	list_add_tail(&c->free_node, &mem->free_list);
	spin_unlock_irqrestore(&mem->free_lock, flags);
	schedule_work(&mem->free_work);
}

/* The last reference to a device page went (any context). */
static void vkfd_svm_page_free(struct page *page)
{
	struct vkfd_svm_chunk *c = page->zone_device_data;

	page->zone_device_data = NULL;
	if (WARN_ON_ONCE(!c))
		return;
	atomic64_dec(&c->mem->in_use);
	vkfd_svm_chunk_put(c, 1);
}

/*
 * Copy the collected device pages of m into new system pages (allocated
 * for vma at their addresses, or anywhere when vma is NULL).  A page
 * that gets no memory stays where it is.
 */
static int vkfd_svm_copy_to_ram(struct vkfd_svm_mem *mem,
				struct vm_area_struct *vma, unsigned long addr,
				unsigned long *src, unsigned long *dst,
				unsigned long npages)
{
	unsigned long i;
	int ret = 0;

	for (i = 0; i < npages; i++, addr += PAGE_SIZE) {
		struct page *spage = migrate_pfn_to_page(src[i]);
		struct page *dpage;
		void *to;

		dst[i] = 0;
		if (!spage || !(src[i] & MIGRATE_PFN_MIGRATE) ||
		    spage->pgmap != &mem->pgmap)
			continue;
		if (vma)
			dpage = alloc_page_vma(GFP_HIGHUSER_MOVABLE, vma, addr);
		else
			dpage = alloc_page(GFP_HIGHUSER | __GFP_NOFAIL);
		if (!dpage) {
			ret = -ENOMEM;
			continue;
		}
		lock_page(dpage);
		to = kmap_local_page(dpage);
		memcpy_fromio(to, mem->dev->vram_cpu +
			      vkfd_svm_page_offset(mem, spage), PAGE_SIZE);
		kunmap_local(to);
		dst[i] = migrate_pfn(page_to_pfn(dpage));
		if (src[i] & MIGRATE_PFN_WRITE)
			dst[i] |= MIGRATE_PFN_WRITE;
	}
	return ret;
}

static unsigned long vkfd_svm_migrated(const unsigned long *src,
				       unsigned long npages)
{
	unsigned long i, n = 0;

	for (i = 0; i < npages; i++)
		if (src[i] & MIGRATE_PFN_MIGRATE)
			n++;
	return n;
}

/*
 * [start, end) of vma, at most a batch, out of mem's VRAM into system
 * memory.  Returns the pages moved or an error.  Mmap lock held.
 */
static long vkfd_svm_vma_to_ram(struct vkfd_svm_mem *mem,
				struct vm_area_struct *vma,
				unsigned long start, unsigned long end,
				struct page *fault_page)
{
	unsigned long npages = (end - start) >> PAGE_SHIFT;
	struct migrate_vma m = {
		.vma = vma,
		.start = start,
		.end = end,
		.pgmap_owner = mem,
		.flags = MIGRATE_VMA_SELECT_DEVICE_PRIVATE,
		.fault_page = fault_page,
	};
	long moved = 0;
	int ret;

	m.src = kvcalloc(2 * npages, sizeof(*m.src), GFP_KERNEL);
	if (!m.src)
		return -ENOMEM;
	m.dst = m.src + npages;
	ret = migrate_vma_setup(&m);
	if (ret || !m.cpages)
		goto out;
	ret = vkfd_svm_copy_to_ram(mem, vma, start, m.src, m.dst, npages);
	migrate_vma_pages(&m);
	moved = vkfd_svm_migrated(m.src, npages);
	migrate_vma_finalize(&m);
out:
	kvfree(m.src);
	return ret ? ret : moved;
}

/*
 * [start, end) of vma, at most a batch, from system memory into mem's
 * VRAM: one chunk for the pages migrate_vma collected.  Pages already
 * in device memory are not collected.  Returns the pages moved or an
 * error (ENOMEM when VRAM is full, as amdkfd).  Mmap lock held.
 */
static long vkfd_svm_vma_to_vram(struct vkfd_svm_mem *mem,
				 struct vm_area_struct *vma,
				 unsigned long start, unsigned long end,
				 u8 granularity,
				 struct vkfd_pdd_sysfs_dir *counters, pid_t tgid,
				 const struct vkfd_smi_migration *sm)
{
	unsigned long npages = (end - start) >> PAGE_SHIFT, i, n;
	struct migrate_vma m = {
		.vma = vma,
		.start = start,
		.end = end,
		.pgmap_owner = mem,
		.flags = MIGRATE_VMA_SELECT_SYSTEM,
	};
	struct vkfd_svm_chunk *c;
	u64 off;
	long moved;
	int ret;

	m.src = kvcalloc(2 * npages, sizeof(*m.src), GFP_KERNEL);
	if (!m.src)
		return -ENOMEM;
	m.dst = m.src + npages;
	ret = migrate_vma_setup(&m);
	if (ret) {
		kvfree(m.src);
		return ret;
	}
	n = 0;
	for (i = 0; i < npages; i++) {
		m.dst[i] = 0;
		if (m.src[i] & MIGRATE_PFN_MIGRATE)
			n++;
	}
	if (!n)
		goto finish;
	c = kzalloc(sizeof(*c), GFP_KERNEL);
	if (!c) {
		ret = -ENOMEM;
		goto finish;
	}
	ret = vkfd_vram_alloc(mem->dev, &c->node, (u64)n << PAGE_SHIFT,
			      (u64)mem->npages << PAGE_SHIFT);
	if (ret) {
		kfree(c);
		goto finish;
	}
	c->mem = mem;
	c->granularity = granularity;
	c->counters = vkfd_proc_counters_get(counters);
	c->tgid = tgid;
	c->prefetch_loc = sm->prefetch_loc;
	c->preferred_loc = sm->preferred_loc;
	atomic_set(&c->pages, n);
	atomic64_add(n, &mem->in_use);
	off = c->node.start;
	for (i = 0; i < npages; i++) {
		struct page *spage = migrate_pfn_to_page(m.src[i]);
		struct page *dpage;
		void *from;

		if (!(m.src[i] & MIGRATE_PFN_MIGRATE))
			continue;
		dpage = pfn_to_page(mem->pfn_first + (off >> PAGE_SHIFT));
		zone_device_page_init(dpage);
		dpage->zone_device_data = c;
		if (spage) {
			from = kmap_local_page(spage);
			memcpy_toio(mem->dev->vram_cpu + off, from, PAGE_SIZE);
			kunmap_local(from);
		} else {
			/* nothing there yet: a new page reads zeroes */
			memset_io(mem->dev->vram_cpu + off, 0, PAGE_SIZE);
		}
		m.dst[i] = migrate_pfn(page_to_pfn(dpage));
		if ((m.src[i] & MIGRATE_PFN_WRITE) ||
		    (!spage && (vma->vm_flags & VM_WRITE)))
			m.dst[i] |= MIGRATE_PFN_WRITE;
		off += PAGE_SIZE;
	}
	/* the write-combined copies land before the GPU can map the pages */
	wmb();
finish:
	migrate_vma_pages(&m);
	moved = vkfd_svm_migrated(m.src, npages);
	/* device pages that could not be used are freed (page_free) here */
	migrate_vma_finalize(&m);
	kvfree(m.src);
	if (ret)
		return ret;
	atomic64_add(moved, &mem->to_vram);
	return moved;
}

/*
 * A CPU touched a page in VRAM: its granularity block comes back, between
 * SMI's MIGRATE_START and MIGRATE_END (trigger PAGEFAULT_CPU), posted as
 * amdkfd's svm_migrate_vma_to_ram does: whatever came of the migration,
 * in pages, from this GPU to system memory (0), with the range's prefetch
 * and preferred locations (as they were when the pages went to VRAM: the
 * fault does not look the range up).  Process context; posting only
 * takes vkfd_smi.c's spinlock.
 */
static vm_fault_t vkfd_svm_migrate_to_ram(struct vm_fault *vmf)
{
	struct vkfd_svm_chunk *c = vmf->page->zone_device_data;
	struct vkfd_svm_mem *mem = vkfd_svm_page_mem(vmf->page);
	struct vm_area_struct *vma = vmf->vma;
	struct vkfd_smi_migration sm = {
		.from = mem->dev->gpu_id,
		.to = 0,
		.trigger = KFD_MIGRATE_TRIGGER_PAGEFAULT_CPU,
	};
	struct vkfd_pdd_sysfs_dir *counters;
	unsigned long size, start, end;
	pid_t tgid = 0;
	long ret;

	/* amdkfd moves the range's granularity block; at most a batch here */
	size = PAGE_SIZE << min_t(unsigned int, c ? c->granularity : 0,
				  ilog2(VKFD_SVM_MIGRATE_BATCH));
	start = max(ALIGN_DOWN(vmf->address, size), vma->vm_start);
	end = min(ALIGN_DOWN(vmf->address, size) + size, vma->vm_end);
	sm.start = start >> PAGE_SHIFT;
	sm.end = end >> PAGE_SHIFT;
	/* c may go with the pages: what the events need is read first */
	if (c) {
		tgid = c->tgid;
		sm.prefetch_loc = c->prefetch_loc;
		sm.preferred_loc = c->preferred_loc;
	}
	/* ... and their process's counters stay */
	counters = vkfd_proc_counters_get(c ? c->counters : NULL);
	vkfd_smi_migrate(mem->dev, tgid, false, ktime_get_boottime_ns(), &sm);
	ret = vkfd_svm_vma_to_ram(mem, vma, start, end, vmf->page);
	vkfd_smi_migrate(mem->dev, tgid, true, 0, &sm);
	if (ret > 0)
		vkfd_proc_counters_add(counters, 0, ret);
	vkfd_proc_counters_put(counters);
	if (ret < 0)
		return VM_FAULT_SIGBUS;
	atomic64_inc(&mem->faults);
	atomic64_add(ret, &mem->fault_pages);
	return 0;
}

static const struct dev_pagemap_ops vkfd_svm_pgmap_ops = {
	.page_free = vkfd_svm_page_free,
	.migrate_to_ram = vkfd_svm_migrate_to_ram,
};

void *vkfd_svm_migrate_owner(struct vkfd_dev *dev)
{
	return READ_ONCE(dev->svm_mem);
}

/*
 * The PTE of a page hmm_range_fault returned for dev, if it is a device
 * page: its VRAM offset in dev, no bus mapping.
 */
bool vkfd_svm_migrate_pte(struct vkfd_dev *dev, struct page *page,
			  bool write, u64 *pte)
{
	struct vkfd_svm_mem *mem = READ_ONCE(dev->svm_mem);

	if (!is_device_private_page(page))
		return false;
	/* not dev's (its pagemap going at unbind): a hole, never a bus map */
	if (!mem || page->pgmap != &mem->pgmap) {
		*pte = 0;
		return true;
	}
	*pte = vkfd_svm_page_offset(mem, page) | VKFD_PTE_VALID;
	if (write)
		*pte |= VKFD_PTE_WRITE;
	return true;
}

/*
 * Move pages [start, last] of mm to the VRAM of GPU best, or to system
 * memory when best is 0 (amdkfd's svm_range_trigger_migration, given
 * its best prefetch location).  Pages in another GPU's VRAM go through
 * system memory first, as amdkfd's VRAM-to-VRAM migration.  Mmap lock
 * held (the SVM lock too: nothing here takes it).
 */
int vkfd_svm_migrate(struct vkfd_process *p, struct mm_struct *mm,
		     unsigned long start, unsigned long last, u32 best,
		     u8 granularity, u32 prefetch_loc, u32 preferred_loc)
{
	struct vkfd_svm_mem *from[8], *to = NULL;
	/* counters_<gpu_id>/ of the GPUs, referenced */
	struct vkfd_pdd_sysfs_dir *from_counters[ARRAY_SIZE(from)];
	struct vkfd_pdd_sysfs_dir *to_counters = NULL;
	struct vkfd_process_device *pdd;
	unsigned long addr, end, next;
	unsigned int nfrom = 0, i;
	/* SMI's MIGRATE_START/END, as amdkfd's prefetch posts them */
	struct vkfd_smi_migration sm = {
		.prefetch_loc = prefetch_loc,
		.preferred_loc = preferred_loc,
		.trigger = KFD_MIGRATE_TRIGGER_PREFETCH,
	};
	long ret = 0;
	u64 ns;

	if (best == KFD_IOCTL_SVM_LOCATION_UNDEFINED)
		return 0;
	down_read(&vkfd_svm_mem_rwsem);
	mutex_lock(&p->lock);
	list_for_each_entry(pdd, &p->pdds, node) {
		struct vkfd_svm_mem *mem = pdd->dev->svm_mem;

		if (!mem || pdd->dying)
			continue;
		if (best && pdd->dev->gpu_id == best) {
			to = mem;
			to_counters = vkfd_proc_counters_get(pdd->counters_dir);
		} else if (nfrom < ARRAY_SIZE(from)) {
			from_counters[nfrom] =
				vkfd_proc_counters_get(pdd->counters_dir);
			from[nfrom++] = mem;
		}
	}
	mutex_unlock(&p->lock);
	/* the GPU left meanwhile: system memory, as amdkfd's fallback */
	if (!to)
		best = 0;

	end = (last + 1) << PAGE_SHIFT;
	for (addr = start << PAGE_SHIFT; addr < end; addr = next) {
		struct vm_area_struct *vma = vma_lookup(mm, addr);

		if (!vma) {
			ret = -EFAULT;
			break;
		}
		next = min3(end, vma->vm_end,
			    addr + (VKFD_SVM_MIGRATE_BATCH << PAGE_SHIFT));
		sm.start = addr >> PAGE_SHIFT;
		sm.end = next >> PAGE_SHIFT;
		for (i = 0; i < nfrom && ret >= 0; i++) {
			ns = ktime_get_boottime_ns();
			ret = vkfd_svm_vma_to_ram(from[i], vma, addr, next,
						  NULL);
			if (ret >= 0 && !to)
				atomic64_add(ret, &from[i]->to_ram);
			/* amdkfd's page_out of the GPU the pages left */
			if (ret > 0)
				vkfd_proc_counters_add(from_counters[i], 0,
						       ret);
			/* only a GPU that had pages here migrated them */
			if (ret > 0) {
				sm.from = from[i]->dev->gpu_id;
				sm.to = 0;
				vkfd_smi_migrate(from[i]->dev, p->tgid, false,
						 ns, &sm);
				vkfd_smi_migrate(from[i]->dev, p->tgid, true,
						 0, &sm);
			}
		}
		if (to && ret >= 0) {
			sm.from = 0;
			sm.to = best;
			vkfd_smi_migrate(to->dev, p->tgid, false,
					 ktime_get_boottime_ns(), &sm);
			ret = vkfd_svm_vma_to_vram(to, vma, addr, next,
						   granularity, to_counters,
						   p->tgid, &sm);
			if (ret > 0)
				vkfd_proc_counters_add(to_counters, ret, 0);
			if (ret >= 0)
				vkfd_smi_migrate(to->dev, p->tgid, true, 0,
						 &sm);
		}
		if (ret < 0)
			break;
	}
	for (i = 0; i < nfrom; i++)
		vkfd_proc_counters_put(from_counters[i]);
	vkfd_proc_counters_put(to_counters);
	up_read(&vkfd_svm_mem_rwsem);
	return ret < 0 ? ret : 0;
}

/* Unbind: every device page back into system memory, wherever it is. */
static void vkfd_svm_evict_all(struct vkfd_svm_mem *mem)
{
	unsigned long *src, *dst, pfn, n;
	int tries;

	src = kvcalloc(2 * VKFD_SVM_MIGRATE_BATCH, sizeof(*src),
		       GFP_KERNEL | __GFP_NOFAIL);
	dst = src + VKFD_SVM_MIGRATE_BATCH;
	for (tries = 0; atomic64_read(&mem->in_use) && tries < 100; tries++) {
		for (pfn = 0; pfn < mem->npages; pfn += n) {
			n = min(VKFD_SVM_MIGRATE_BATCH, mem->npages - pfn);
			migrate_device_range(src, mem->pfn_first + pfn, n);
			vkfd_svm_copy_to_ram(mem, NULL, 0, src, dst, n);
			migrate_device_pages(src, dst, n);
			atomic64_add(vkfd_svm_migrated(src, n), &mem->evicted);
			migrate_device_finalize(src, dst, n);
		}
		/* a page locked by a migration under way: again */
		if (atomic64_read(&mem->in_use))
			msleep(20);
	}
	kvfree(src);
	WARN_ON(atomic64_read(&mem->in_use));
}

/*
 * Register dev's VRAM as device-private memory.  Failing leaves the GPU
 * without it (ranges stay in system memory), not without the GPU.
 */
void vkfd_svm_migrate_dev_init(struct vkfd_dev *dev)
{
	struct vkfd_svm_mem *mem;
	void *addr;

	/* the pagemap is whole 2 MiB sections of the kernel's memory map */
	if (!IS_ALIGNED(dev->vram_size, SZ_2M) || !dev->vram_size)
		return;
	mem = kzalloc(sizeof(*mem), GFP_KERNEL);
	if (!mem)
		return;
	mem->dev = dev;
	spin_lock_init(&mem->free_lock);
	INIT_LIST_HEAD(&mem->free_list);
	INIT_WORK(&mem->free_work, vkfd_svm_free_work);
	mem->res = request_free_mem_region(&iomem_resource, dev->vram_size,
					   "vkfd SVM VRAM");
	if (IS_ERR(mem->res))
		goto err_free;
	mem->pgmap.type = MEMORY_DEVICE_PRIVATE;
	mem->pgmap.range.start = mem->res->start;
	mem->pgmap.range.end = mem->res->start + dev->vram_size - 1;
	mem->pgmap.nr_range = 1;
	mem->pgmap.ops = &vkfd_svm_pgmap_ops;
	mem->pgmap.owner = mem;
	addr = memremap_pages(&mem->pgmap, dev_to_node(&dev->pdev->dev));
	if (IS_ERR(addr))
		goto err_region;
	mem->pfn_first = mem->res->start >> PAGE_SHIFT;
	mem->npages = dev->vram_size >> PAGE_SHIFT;
	dev->svm_mem = mem;
	return;

err_region:
	release_mem_region(mem->res->start, resource_size(mem->res));
err_free:
	dev_warn(&dev->pdev->dev,
		 "SVM: VRAM not registered as device memory; ranges stay in system memory\n");
	kfree(mem);
}

void vkfd_svm_migrate_dev_fini(struct vkfd_dev *dev)
{
	struct vkfd_svm_mem *mem = dev->svm_mem;

	if (!mem)
		return;
	/* no new migration finds it; those under way finish first */
	down_write(&vkfd_svm_mem_rwsem);
	dev->svm_mem = NULL;
	up_write(&vkfd_svm_mem_rwsem);
	vkfd_svm_evict_all(mem);
	flush_work(&mem->free_work);
	memunmap_pages(&mem->pgmap);
	release_mem_region(mem->res->start, resource_size(mem->res));
	kfree(mem);
}

/*
 * debugfs vkfd/svm_vram: one line per GPU whose VRAM is device memory,
 * counts in pages.
 */
static int vkfd_svm_vram_show(struct seq_file *m, void *unused)
{
	struct vkfd_dev *dev;

	mutex_lock(&vkfd_lock);
	list_for_each_entry(dev, &vkfd_devices, node) {
		struct vkfd_svm_mem *mem = dev->svm_mem;

		if (!mem)
			continue;
		seq_printf(m, "%s gpu_id %u pages %lu in_use %lld to_vram %lld to_ram %lld cpu_faults %lld cpu_fault_pages %lld evicted %lld\n",
			   pci_name(dev->pdev), dev->gpu_id, mem->npages,
			   (s64)atomic64_read(&mem->in_use),
			   (s64)atomic64_read(&mem->to_vram),
			   (s64)atomic64_read(&mem->to_ram),
			   (s64)atomic64_read(&mem->faults),
			   (s64)atomic64_read(&mem->fault_pages),
			   (s64)atomic64_read(&mem->evicted));
	}
	mutex_unlock(&vkfd_lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(vkfd_svm_vram);

void vkfd_svm_migrate_debugfs(struct dentry *root)
{
	debugfs_create_file("svm_vram", 0444, root, NULL, &vkfd_svm_vram_fops);
}

#else /* !CONFIG_DEVICE_PRIVATE */

void *vkfd_svm_migrate_owner(struct vkfd_dev *dev)
{
	return NULL;
}

bool vkfd_svm_migrate_pte(struct vkfd_dev *dev, struct page *page,
			  bool write, u64 *pte)
{
	return false;
}

int vkfd_svm_migrate(struct vkfd_process *p, struct mm_struct *mm,
		     unsigned long start, unsigned long last, u32 best,
		     u8 granularity, u32 prefetch_loc, u32 preferred_loc)
{
	/* only system memory: where the pages already are */
	return 0;
}

void vkfd_svm_migrate_dev_init(struct vkfd_dev *dev)
{
}

void vkfd_svm_migrate_dev_fini(struct vkfd_dev *dev)
{
}

/* no svm_vram file: its absence tells a test there is no device memory */
void vkfd_svm_migrate_debugfs(struct dentry *root)
{
}

#endif /* CONFIG_DEVICE_PRIVATE */
