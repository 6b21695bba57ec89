// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vkfd: shared virtual memory (AMDKFD_IOC_SVM), attribute bookkeeping
 *
 * A process sets and queries attributes of ranges of its own address
 * space.  Ranges live in an interval tree (in pages) per primary process;
 * SET_ATTR splits the ranges it partly covers, fills the gaps with new
 * ranges of default attributes and then applies the attributes in order,
 * so that GET_ATTR over any span answers as amdkfd's svm_range_get_attr
 * does.
 *
 * Ranges a GPU may access (ACCESS, ACCESS_IN_PLACE) are mirrored into
 * that GPU's GPUVM from the CPU's page tables, as amdkfd does without
 * XNACK: faulted in with hmm_range_fault under the range's interval
 * notifier, never pinned, and taken away again by the notifier callback
 * (holes in the page tables, TLB flushed) before the CPU's change goes
 * on.  An invalidation that is not an unmap (mprotect, page-out, a
 * fork's copy-on-write) also evicts the process's queues before the
 * callback returns, and a delayed worker faults the pages in again,
 * maps them and restores the queues, as amdkfd's svm_range_evict and
 * svm_range_restore_work without XNACK: a queue never reaches a hole.
 * SET_ATTR's prefetch location moves a range's pages into a GPU's VRAM
 * or back (vkfd_svm_migrate.c) where the kernel has device-private
 * pages (CONFIG_DEVICE_PRIVATE: the debug guest kernel); Debian's release
 * kernel lacks them, so there a gpu_id as a location is recorded and the
 * pages stay in system memory, as amdkfd does for a GPU without device
 * memory of its own (an APU).
 * Locking: docs/memory.md, "SVM".
 */
#include <linux/dma-mapping.h>
#include <linux/hmm.h>
#include <linux/interval_tree.h>
#include <linux/mm.h>
#include <linux/mmu_notifier.h>
#include <linux/sched/mm.h>
#include <linux/overflow.h>
#include <linux/seq_file.h>
#include <linux/slab.h>

#include "vkfd_priv.h"

/* amdkfd's defaults for a new range, and its granularity ceiling */
#define VKFD_SVM_DEFAULT_GRANULARITY	9
#define VKFD_SVM_MAX_GRANULARITY	0x3f
#define VKFD_SVM_DEFAULT_FLAGS \
	(KFD_IOCTL_SVM_FLAG_HOST_ACCESS | KFD_IOCTL_SVM_FLAG_COHERENT)
/* amdkfd restores 1 ms after an eviction; retries back off to 1 s */
#define VKFD_SVM_RESTORE_DELAY_MS	1
#define VKFD_SVM_RESTORE_MAX_DELAY_MS	1000

struct vkfd_svm {
	struct mutex lock;		/* the ranges; inside mmap_lock */
	struct rb_root_cached ranges;	/* vkfd_svm_range, in pages */
	unsigned long nr_ranges;	/* for a debugger's eyes */
	struct mm_struct *mm;		/* the process's; notifiers grab it */
	/* pages the CPU unmapped, dropped at the next SVM call */
	spinlock_t cuts_lock;
	struct list_head cuts;		/* vkfd_svm_cut */
	struct vkfd_process *p;
	/*
	 * GPU mappings of the ranges (vkfd_svm_held): their PTEs and the
	 * GPUVM slots they fill.  gpu_lock is taken by the MMU notifier, so
	 * nothing under it allocates with reclaim (noreclaim scope) and no
	 * notifier is inserted or removed under it.  Order: mmap_lock, lock,
	 * gpu_lock; p->lock never under lock or gpu_lock.
	 */
	struct mutex gpu_lock;
	struct list_head released;	/* held slots to give back */
	/* the GPUs named in access attributes, by slot, under lock */
	u32 gpu_ids[32];
	/*
	 * Invalidations of GPU-mapped pages since the restore worker last
	 * started; the first evicted the process's queues (amdkfd's
	 * evicted_ranges).  The worker restores them once it has mapped
	 * everything with no new invalidation meanwhile.
	 */
	atomic_t evicted;
	struct delayed_work restore_work;
	unsigned int restore_delay_ms;	/* the worker's, after a failure */
	/* for a debugger's eyes and the tests' (debugfs svm) */
	atomic_t evictions, restores;
	/* when the queues went off (boot ns), for the worker's SMI event */
	atomic64_t smi_evict_ns;
};

#define VKFD_SVM_GPUS	ARRAY_SIZE(((struct vkfd_svm *)0)->gpu_ids)

/*
 * One range's pages in one GPU's VM: the slots are held in the tree
 * (vkfd_vm_reserve); pte[i] is the page's bus address and PTE flags, or
 * 0 while the CPU has taken the page away.
 */
struct vkfd_svm_held {
	struct list_head node;		/* in vkfd_svm.released */
	struct vkfd_process_device *pdd;
	u64 va, npages;
	u64 pte[];
};

struct vkfd_svm_cut {
	struct list_head node;
	unsigned long start, last;	/* pages */
};

/*
 * A range and its MMU interval notifier over the same pages.  The range
 * is only resized while its notifier is removed, so the notifier
 * callback can read it->start/last without the lock.
 */
struct vkfd_svm_range {
	struct interval_tree_node it;	/* [start, last] in pages */
	struct mmu_interval_notifier notifier;
	struct vkfd_svm *svm;
	bool notified;			/* the notifier is inserted */
	u32 preferred_loc;
	u32 prefetch_loc;
	u32 flags;
	u8 granularity;
	bool migrate;			/* changed by this SET_ATTR */
	u32 access, in_place;		/* GPU slots (VKFD_SVM_GPUS) */
	struct vkfd_svm_held *held[VKFD_SVM_GPUS];	/* under gpu_lock */
};

static struct vkfd_svm_range *vkfd_svm_range_of(struct interval_tree_node *n)
{
	return n ? container_of(n, struct vkfd_svm_range, it) : NULL;
}

/*
 * The slot of a GPU in the ranges' access masks; with add, a free slot
 * is given to a GPU not seen yet.  Under svm->lock.
 */
static int vkfd_svm_gpu_slot(struct vkfd_svm *svm, u32 gpu_id, bool add)
{
	unsigned int slot;

	for (slot = 0; slot < VKFD_SVM_GPUS; slot++) {
		if (svm->gpu_ids[slot] == gpu_id)
			return slot;
		if (!svm->gpu_ids[slot]) {
			if (!add)
				return -ENOENT;
			svm->gpu_ids[slot] = gpu_id;
			return slot;
		}
	}
	return -ENOSPC;
}

static void vkfd_svm_restore_work(struct work_struct *work);

static struct vkfd_svm *vkfd_svm_get(struct vkfd_process *p)
{
	struct vkfd_svm *svm = READ_ONCE(p->svm), *old;

	if (svm)
		return svm;
	svm = kzalloc(sizeof(*svm), GFP_KERNEL_ACCOUNT);
	if (!svm)
		return NULL;
	mutex_init(&svm->lock);
	svm->ranges = RB_ROOT_CACHED;
	svm->mm = p->mm;
	svm->restore_delay_ms = VKFD_SVM_RESTORE_DELAY_MS;
	spin_lock_init(&svm->cuts_lock);
	INIT_LIST_HEAD(&svm->cuts);
	svm->p = p;
	mutex_init(&svm->gpu_lock);
	INIT_LIST_HEAD(&svm->released);
	INIT_DELAYED_WORK(&svm->restore_work, vkfd_svm_restore_work);
	old = cmpxchg(&p->svm, NULL, svm);
	if (old) {
		mutex_destroy(&svm->lock);
		mutex_destroy(&svm->gpu_lock);
		kfree(svm);
		return old;
	}
	return svm;
}

static unsigned int vkfd_svm_gpu_lock(struct vkfd_svm *svm)
{
	mutex_lock(&svm->gpu_lock);
	return memalloc_noreclaim_save();
}

static void vkfd_svm_gpu_unlock(struct vkfd_svm *svm, unsigned int flags)
{
	memalloc_noreclaim_restore(flags);
	mutex_unlock(&svm->gpu_lock);
}

static void vkfd_svm_flush(struct vkfd_process_device *pdd)
{
	if (vkfd_tlb_flush(pdd))
		dev_err(&pdd->dev->pdev->dev,
			"SVM: TLB flush of context %u failed\n", pdd->ctx_id);
}

/* Give back the bus addresses of pte[0..n). */
static void vkfd_svm_dma_unmap(struct vkfd_process_device *pdd, u64 *pte,
			       u64 n)
{
	u64 i;

	for (i = 0; i < n; i++) {
		if (!pte[i])
			continue;
		/* a page in the GPU's own VRAM has no bus mapping */
		if (pte[i] & VKFD_PTE_SYSTEM)
			dma_unmap_page(&pdd->dev->pdev->dev,
				       pte[i] & VKFD_PTE_ADDR_MASK, PAGE_SIZE,
				       DMA_BIDIRECTIONAL);
		pte[i] = 0;
	}
}

/*
 * Take pages [first, first + n) of a held mapping away from the GPU:
 * holes in the VM, TLB flushed, then the bus addresses unmapped, all
 * before the caller returns.  Under gpu_lock.
 */
static void vkfd_svm_held_punch(struct vkfd_svm_held *h, u64 first, u64 n)
{
	u64 i;

	for (i = first; i < first + n && !h->pte[i]; i++)
		;
	if (i == first + n)
		return;
	vkfd_vm_fill_reserved(&h->pdd->vm, h->va + (first << PAGE_SHIFT), n,
			      NULL);
	vkfd_svm_flush(h->pdd);
	vkfd_svm_dma_unmap(h->pdd, h->pte + first, n);
}

/* Has a GPU a page of r in [s, l] (pages) mapped?  Under gpu_lock. */
static bool vkfd_svm_gpu_mapped(struct vkfd_svm_range *r, unsigned long s,
				unsigned long l)
{
	unsigned int slot;
	unsigned long i;

	for (slot = 0; slot < VKFD_SVM_GPUS; slot++) {
		struct vkfd_svm_held *h = r->held[slot];

		for (i = s; h && i <= l; i++)
			if (h->pte[i - r->it.start])
				return true;
	}
	return false;
}

/*
 * amdkfd's svm_range_evict without XNACK: the first invalidation since
 * the last restore takes the process's queues off the devices, and the
 * restore worker is due.  Allocates nothing.
 */
static void vkfd_svm_evict(struct vkfd_svm *svm)
{
	/* a process being torn down has no queues left to stop */
	if (READ_ONCE(svm->p->torn_down) ||
	    atomic_inc_return(&svm->evicted) != 1)
		return;
	atomic_inc(&svm->evictions);
	atomic64_set(&svm->smi_evict_ns, ktime_get_boottime_ns());
	vkfd_queue_evict(svm->p);
	schedule_delayed_work(&svm->restore_work,
			      msecs_to_jiffies(VKFD_SVM_RESTORE_DELAY_MS));
}

/*
 * A range is about to change shape or attributes, or to go: its GPU
 * mappings end now and their slots are queued for vkfd_svm_release.
 * Under svm->lock (the caller's mmap lock keeps the range still).
 */
static void vkfd_svm_gpu_drop(struct vkfd_svm *svm, struct vkfd_svm_range *r)
{
	unsigned int slot, flags;

	flags = vkfd_svm_gpu_lock(svm);
	/* a queue may be using pages that stay: off the GPUs meanwhile */
	if (vkfd_svm_gpu_mapped(r, r->it.start, r->it.last))
		vkfd_svm_evict(svm);
	for (slot = 0; slot < VKFD_SVM_GPUS; slot++) {
		struct vkfd_svm_held *h = r->held[slot];

		if (!h)
			continue;
		vkfd_svm_held_punch(h, 0, h->npages);
		list_add_tail(&h->node, &svm->released);
		r->held[slot] = NULL;
	}
	vkfd_svm_gpu_unlock(svm, flags);
}

/*
 * The slots of dropped mappings go back to the VMs.  No SVM lock held.
 * A GPU that is going (dying, under p->lock) takes its whole VM with it.
 */
static void vkfd_svm_release(struct vkfd_svm *svm)
{
	struct vkfd_process *p = svm->p;
	struct vkfd_svm_held *h, *tmp;
	LIST_HEAD(list);

	mutex_lock(&svm->lock);
	list_splice_init(&svm->released, &list);
	mutex_unlock(&svm->lock);
	list_for_each_entry_safe(h, tmp, &list, node) {
		mutex_lock(&p->lock);
		if (!h->pdd->dying) {
			vkfd_vm_unmap(&h->pdd->vm, h->va, h->npages);
			/* no walk of a freed table from a cached directory */
			vkfd_svm_flush(h->pdd);
		}
		mutex_unlock(&p->lock);
		kvfree(h);
	}
}

/*
 * The CPU takes pages of a range away.  Whatever the event, the GPUs
 * lose them before the callback returns.  Other than an unmap (mprotect,
 * page-out, migration, a fork's copy-on-write) the pages come back, so
 * the queues are evicted first and the restore worker maps the new
 * pages.  Unmapped pages (munmap, mremap, exit) are dropped from the
 * ranges, as amdkfd does, so a new mapping there starts from the
 * defaults; the range cannot change here (its notifier is being
 * called), so the cut is queued and made under the mmap lock by the
 * next SVM call or the restore worker.
 */
static bool vkfd_svm_invalidate(struct mmu_interval_notifier *mni,
				const struct mmu_notifier_range *range,
				unsigned long cur_seq)
{
	struct vkfd_svm_range *r =
		container_of(mni, struct vkfd_svm_range, notifier);
	struct vkfd_svm *svm = r->svm;
	unsigned long s, l;
	struct vkfd_svm_cut *cut;
	unsigned int slot, flags;

	/* the GPU side waits for the device: only where blocking is fine */
	if (!mmu_notifier_range_blockable(range))
		return false;
	s = max(range->start >> PAGE_SHIFT, r->it.start);
	l = min((range->end - 1) >> PAGE_SHIFT, r->it.last);
	flags = vkfd_svm_gpu_lock(svm);
	mmu_interval_set_seq(mni, cur_seq);
	/* queues off the devices before any of their pages goes */
	if (range->event != MMU_NOTIFY_UNMAP && vkfd_svm_gpu_mapped(r, s, l))
		vkfd_svm_evict(svm);
	for (slot = 0; slot < VKFD_SVM_GPUS; slot++) {
		struct vkfd_svm_held *h = r->held[slot];

		if (!h)
			continue;
		vkfd_svm_held_punch(h, s - r->it.start, l - s + 1);
		/* amdkfd's svm_range_unmap_from_cpu; posting never sleeps */
		if (range->event == MMU_NOTIFY_UNMAP)
			vkfd_smi_unmap_from_gpu(h->pdd->dev, svm->p->tgid, s, l,
						KFD_SVM_UNMAP_TRIGGER_UNMAP_FROM_CPU);
	}
	vkfd_svm_gpu_unlock(svm, flags);
	if (range->event != MMU_NOTIFY_UNMAP)
		return true;
	cut = kmalloc(sizeof(*cut), GFP_ATOMIC | __GFP_NOWARN);
	if (!cut) {
		pr_warn_ratelimited("vkfd: SVM: no memory to record an munmap\n");
		return true;
	}
	cut->start = s;
	cut->last = l;
	spin_lock(&svm->cuts_lock);
	list_add_tail(&cut->node, &svm->cuts);
	spin_unlock(&svm->cuts_lock);
	return true;
}

static const struct mmu_interval_notifier_ops vkfd_svm_mn_ops = {
	.invalidate = vkfd_svm_invalidate,
};

/* Into the tree, with a notifier over its pages.  Mmap lock held for write. */
static void vkfd_svm_insert(struct vkfd_svm *svm, struct vkfd_svm_range *r)
{
	unsigned long start = r->it.start << PAGE_SHIFT;
	unsigned long len = (r->it.last - r->it.start + 1) << PAGE_SHIFT;

	r->svm = svm;
	interval_tree_insert(&r->it, &svm->ranges);
	r->notified = !mmu_interval_notifier_insert_locked(&r->notifier,
							    svm->mm, start,
							    len,
							    &vkfd_svm_mn_ops);
	if (!r->notified)
		pr_warn_ratelimited("vkfd: SVM: range not watched for munmap\n");
}

static void vkfd_svm_remove(struct vkfd_svm *svm, struct vkfd_svm_range *r)
{
	vkfd_svm_gpu_drop(svm, r);
	interval_tree_remove(&r->it, &svm->ranges);
	if (r->notified)
		mmu_interval_notifier_remove(&r->notifier);
	r->notified = false;
}

/* Drop pages [start, last] from every range. */
static void vkfd_svm_punch(struct vkfd_svm *svm, unsigned long start,
			   unsigned long last)
{
	struct interval_tree_node *n;

	while ((n = interval_tree_iter_first(&svm->ranges, start, last))) {
		struct vkfd_svm_range *r =
			container_of(n, struct vkfd_svm_range, it);
		struct vkfd_svm_range *tail = NULL;

		vkfd_svm_remove(svm, r);
		if (r->it.start < start && r->it.last > last) {
			tail = kmalloc(sizeof(*tail), GFP_KERNEL_ACCOUNT);
			if (tail) {
				*tail = *r;
				tail->it.start = last + 1;
				vkfd_svm_insert(svm, tail);
				svm->nr_ranges++;
			}
			/* without memory the far side goes back to defaults */
		}
		if (r->it.start < start) {
			r->it.last = start - 1;
			vkfd_svm_insert(svm, r);
		} else if (r->it.last > last) {
			r->it.start = last + 1;
			vkfd_svm_insert(svm, r);
		} else {
			svm->nr_ranges--;
			kfree(r);
		}
	}
}

/* Make the cuts the notifiers queued.  Mmap lock for write, svm->lock. */
static void vkfd_svm_apply_cuts(struct vkfd_svm *svm)
{
	struct vkfd_svm_cut *cut, *tmp;
	LIST_HEAD(cuts);

	spin_lock(&svm->cuts_lock);
	list_splice_init(&svm->cuts, &cuts);
	spin_unlock(&svm->cuts_lock);
	list_for_each_entry_safe(cut, tmp, &cuts, node) {
		vkfd_svm_punch(svm, cut->start, cut->last);
		kfree(cut);
	}
}

/*
 * A GPU leaves a live process (driver unbind): its mappings of the
 * ranges end before its VM is freed; the VM goes whole, so the slots are
 * not given back one by one.  pdd->dying is already set.
 */
void vkfd_svm_pdd_gone(struct vkfd_process_device *pdd)
{
	struct vkfd_svm *svm = READ_ONCE(pdd->p->svm);
	struct vkfd_svm_held *h, *tmp;
	struct interval_tree_node *n;
	unsigned int flags;
	int slot;

	if (!svm)
		return;
	mutex_lock(&svm->lock);
	list_for_each_entry_safe(h, tmp, &svm->released, node) {
		if (h->pdd == pdd) {
			list_del(&h->node);
			kvfree(h);
		}
	}
	slot = vkfd_svm_gpu_slot(svm, pdd->dev->gpu_id, false);
	for (n = interval_tree_iter_first(&svm->ranges, 0, ULONG_MAX);
	     slot >= 0 && n; n = interval_tree_iter_next(n, 0, ULONG_MAX)) {
		struct vkfd_svm_range *r = vkfd_svm_range_of(n);

		flags = vkfd_svm_gpu_lock(svm);
		h = r->held[slot];
		if (h) {
			vkfd_svm_held_punch(h, 0, h->npages);
			r->held[slot] = NULL;
			kvfree(h);
		}
		vkfd_svm_gpu_unlock(svm, flags);
	}
	mutex_unlock(&svm->lock);
}

void vkfd_svm_fini(struct vkfd_process *p)
{
	struct vkfd_svm *svm = p->svm;
	struct interval_tree_node *node;
	struct vkfd_svm_cut *cut, *tmp;

	if (!svm)
		return;
	/* the queues are gone (teardown): nothing to restore */
	cancel_delayed_work_sync(&svm->restore_work);
	while ((node = interval_tree_iter_first(&svm->ranges, 0, ULONG_MAX))) {
		struct vkfd_svm_range *r =
			container_of(node, struct vkfd_svm_range, it);

		vkfd_svm_remove(svm, r);
		kfree(r);
	}
	/* and one a callback scheduled before its notifier went */
	cancel_delayed_work_sync(&svm->restore_work);
	list_for_each_entry_safe(cut, tmp, &svm->cuts, node)
		kfree(cut);
	vkfd_svm_release(svm);
	mutex_destroy(&svm->gpu_lock);
	mutex_destroy(&svm->lock);
	kfree(svm);
	p->svm = NULL;
}

/*
 * amdkfd's kfd_process_gpuidx_from_gpuid: is gpu_id one of p's GPUs?
 * Every vkfd GPU is attached to every process at open.
 */
static bool vkfd_svm_known_gpu(struct vkfd_process *p, u32 gpu_id)
{
	bool known;

	mutex_lock(&p->lock);
	known = vkfd_process_device(p, gpu_id);
	mutex_unlock(&p->lock);
	return known;
}

/* The pdd of a slot's GPU (p->pdds changes only under vkfd_lock). */
static struct vkfd_process_device *vkfd_svm_slot_pdd(struct vkfd_svm *svm,
						     unsigned int slot)
{
	struct vkfd_process_device *pdd, *found = NULL;

	mutex_lock(&svm->p->lock);
	list_for_each_entry(pdd, &svm->p->pdds, node) {
		if (pdd->dev->gpu_id == svm->gpu_ids[slot]) {
			found = pdd;
			break;
		}
	}
	mutex_unlock(&svm->p->lock);
	return found;
}

/*
 * Is gpu_id one of p's GPUs in amdkfd's sense of SVM-supported: one
 * whose VM can mirror system pages, which needs the kernel's HMM
 * (Debian's has it)?
 */
static bool vkfd_svm_gpu_ok(struct vkfd_process *p, u32 gpu_id)
{
	return IS_ENABLED(CONFIG_HMM_MIRROR) && vkfd_svm_known_gpu(p, gpu_id);
}

/*
 * amdkfd's svm_range_check_attr: a location may be system memory (or,
 * for the preferred one, undefined) or one of p's SVM GPUs; an access
 * attribute needs such a GPU; anything else, or an unknown type, is
 * EINVAL.  Flags and granularity take any value.  A GPU as a location
 * whose VRAM is not device-private memory (no CONFIG_DEVICE_PRIVATE, as
 * in Debian's release kernel) is recorded and the pages stay in system
 * memory: amdkfd's answer for a GPU without VRAM of its own (an APU,
 * where svm_range_best_prefetch_location falls back to system memory).
 */
static int vkfd_svm_check_attrs(struct vkfd_process *p, u32 nattr,
				const struct kfd_ioctl_svm_attribute *attrs)
{
	u32 i;

	for (i = 0; i < nattr; i++) {
		u32 val = attrs[i].value;

		switch (attrs[i].type) {
		case KFD_IOCTL_SVM_ATTR_PREFERRED_LOC:
			if (val != KFD_IOCTL_SVM_LOCATION_SYSMEM &&
			    val != KFD_IOCTL_SVM_LOCATION_UNDEFINED &&
			    !vkfd_svm_gpu_ok(p, val))
				return -EINVAL;
			break;
		case KFD_IOCTL_SVM_ATTR_PREFETCH_LOC:
			if (val != KFD_IOCTL_SVM_LOCATION_SYSMEM &&
			    !vkfd_svm_gpu_ok(p, val))
				return -EINVAL;
			break;
		case KFD_IOCTL_SVM_ATTR_SET_FLAGS:
		case KFD_IOCTL_SVM_ATTR_CLR_FLAGS:
		case KFD_IOCTL_SVM_ATTR_GRANULARITY:
			break;
		case KFD_IOCTL_SVM_ATTR_ACCESS:
		case KFD_IOCTL_SVM_ATTR_ACCESS_IN_PLACE:
		case KFD_IOCTL_SVM_ATTR_NO_ACCESS:
			if (!vkfd_svm_gpu_ok(p, val))
				return -EINVAL;
			break;
		default:
			return -EINVAL;
		}
	}
	return 0;
}

/* Does a mapped BO of one of p's VMs overlap [va, va + size)? */
static bool vkfd_svm_bo_overlap(struct vkfd_process *p, u64 va, u64 size)
{
	struct vkfd_process_device *pdd;
	bool busy = false;

	mutex_lock(&p->lock);
	list_for_each_entry(pdd, &p->pdds, node) {
		if (vkfd_mem_va_overlaps(pdd, va, size)) {
			busy = true;
			break;
		}
	}
	mutex_unlock(&p->lock);
	return busy;
}

/*
 * amdkfd's svm_range_is_valid: every page in a VMA that is not I/O or PFN
 * memory (EFAULT), and no BO mapped to a GPU there (EADDRINUSE).  Under
 * the mmap lock.
 */
static int vkfd_svm_range_valid(struct vkfd_process *p, struct mm_struct *mm,
				u64 start, u64 size)
{
	const unsigned long device_vma = VM_IO | VM_PFNMAP | VM_MIXEDMAP;
	u64 addr = start, end = start + size;

	if (end < start)
		return -EFAULT;
	while (addr < end) {
		struct vm_area_struct *vma = vma_lookup(mm, addr);

		if (!vma || (vma->vm_flags & device_vma))
			return -EFAULT;
		addr = min_t(u64, end, vma->vm_end);
	}
	return vkfd_svm_bo_overlap(p, start, size) ? -EADDRINUSE : 0;
}

/* Cut r at page 'at' (r->start < at <= r->last): spare becomes [at, last]. */
static void vkfd_svm_split(struct vkfd_svm *svm, struct vkfd_svm_range *r,
			   unsigned long at, struct vkfd_svm_range *spare)
{
	vkfd_svm_remove(svm, r);
	*spare = *r;
	spare->it.start = at;
	spare->it.last = r->it.last;
	r->it.last = at - 1;
	vkfd_svm_insert(svm, r);
	vkfd_svm_insert(svm, spare);
	svm->nr_ranges++;
}

static void vkfd_svm_apply(struct vkfd_svm *svm, struct vkfd_svm_range *r,
			   u32 nattr, const struct kfd_ioctl_svm_attribute *attrs)
{
	u32 i, old_access = r->access | r->in_place;
	u32 old_ro = r->flags & KFD_IOCTL_SVM_FLAG_GPU_RO;
	u32 old_locs[2] = { r->preferred_loc, r->prefetch_loc };
	u32 old_acc[2] = { r->access, r->in_place }, old_flags = r->flags;
	u8 old_gran = r->granularity;
	u32 bit;
	int slot;

	for (i = 0; i < nattr; i++) {
		u32 val = attrs[i].value;

		switch (attrs[i].type) {
		case KFD_IOCTL_SVM_ATTR_ACCESS:
		case KFD_IOCTL_SVM_ATTR_ACCESS_IN_PLACE:
		case KFD_IOCTL_SVM_ATTR_NO_ACCESS:
			/* a slot was made for it before anything changed */
			slot = vkfd_svm_gpu_slot(svm, val, false);
			if (WARN_ON_ONCE(slot < 0))
				break;
			bit = BIT(slot);
			r->access &= ~bit;
			r->in_place &= ~bit;
			if (attrs[i].type == KFD_IOCTL_SVM_ATTR_ACCESS)
				r->access |= bit;
			else if (attrs[i].type ==
				 KFD_IOCTL_SVM_ATTR_ACCESS_IN_PLACE)
				r->in_place |= bit;
			break;
		case KFD_IOCTL_SVM_ATTR_PREFERRED_LOC:
			r->preferred_loc = val;
			break;
		case KFD_IOCTL_SVM_ATTR_PREFETCH_LOC:
			/* system memory: where the pages already are */
			r->prefetch_loc = val;
			break;
		case KFD_IOCTL_SVM_ATTR_SET_FLAGS:
			r->flags |= val;
			break;
		case KFD_IOCTL_SVM_ATTR_CLR_FLAGS:
			r->flags &= ~val;
			break;
		case KFD_IOCTL_SVM_ATTR_GRANULARITY:
			r->granularity = min_t(u32, val,
					       VKFD_SVM_MAX_GRANULARITY);
			break;
		}
	}
	/* amdkfd migrates the ranges whose attributes a SET changes */
	if (r->access != old_acc[0] || r->in_place != old_acc[1] ||
	    r->preferred_loc != old_locs[0] ||
	    r->prefetch_loc != old_locs[1] || r->flags != old_flags ||
	    r->granularity != old_gran)
		r->migrate = true;
	/* mapped again, as the new attributes say, after the call */
	if ((r->access | r->in_place) != old_access ||
	    (r->flags & KFD_IOCTL_SVM_FLAG_GPU_RO) != old_ro)
		vkfd_svm_gpu_drop(svm, r);
}

/*
 * Make [start, last] (pages) exactly a run of ranges and apply attrs to
 * each.  Every range it may need is allocated first, so that ENOMEM
 * leaves the tree as it was.
 */
static int vkfd_svm_set(struct vkfd_svm *svm, unsigned long start,
			unsigned long last, u32 nattr,
			const struct kfd_ioctl_svm_attribute *attrs)
{
	struct vkfd_svm_range **spare, *r;
	struct interval_tree_node *n;
	unsigned long nr = 0, nspare, used = 0, next;
	int ret = 0;

	for (nr = 0; nr < nattr; nr++) {
		if (attrs[nr].type != KFD_IOCTL_SVM_ATTR_ACCESS &&
		    attrs[nr].type != KFD_IOCTL_SVM_ATTR_ACCESS_IN_PLACE &&
		    attrs[nr].type != KFD_IOCTL_SVM_ATTR_NO_ACCESS)
			continue;
		/* more GPUs than slots: refused before any change */
		if (vkfd_svm_gpu_slot(svm, attrs[nr].value, true) < 0)
			return -EINVAL;
	}
	nr = 0;
	for (n = interval_tree_iter_first(&svm->ranges, start, last); n;
	     n = interval_tree_iter_next(n, start, last))
		nr++;
	/* a gap before each range and after the last, two split tails */
	nspare = nr + 3;
	spare = kvcalloc(nspare, sizeof(*spare), GFP_KERNEL);
	if (!spare)
		return -ENOMEM;
	for (used = 0; used < nspare; used++) {
		spare[used] = kzalloc(sizeof(**spare), GFP_KERNEL_ACCOUNT);
		if (!spare[used]) {
			used = 0;
			ret = -ENOMEM;
			goto out;
		}
	}
	used = 0;

	/* split the ranges that stick out at either end */
	r = vkfd_svm_range_of(interval_tree_iter_first(&svm->ranges, start,
						       start));
	if (r && r->it.start < start)
		vkfd_svm_split(svm, r, start, spare[used++]);
	r = vkfd_svm_range_of(interval_tree_iter_first(&svm->ranges, last,
						       last));
	if (r && r->it.last > last) {
		vkfd_svm_split(svm, r, last + 1, spare[used++]);
		/* r keeps [.., last]: the spare is the part outside */
	}

	/* fill the gaps with default ranges, then apply to all in order */
	next = start;
	for (;;) {
		n = interval_tree_iter_first(&svm->ranges, next, last);
		r = vkfd_svm_range_of(n);
		if (!r || r->it.start > next) {
			struct vkfd_svm_range *gap = spare[used++];

			gap->it.start = next;
			gap->it.last = r ? r->it.start - 1 : last;
			gap->preferred_loc = KFD_IOCTL_SVM_LOCATION_UNDEFINED;
			gap->prefetch_loc = KFD_IOCTL_SVM_LOCATION_UNDEFINED;
			gap->flags = VKFD_SVM_DEFAULT_FLAGS;
			gap->granularity = VKFD_SVM_DEFAULT_GRANULARITY;
			gap->migrate = true;
			vkfd_svm_insert(svm, gap);
			svm->nr_ranges++;
			r = gap;
		}
		vkfd_svm_apply(svm, r, nattr, attrs);
		if (r->it.last >= last)
			break;
		next = r->it.last + 1;
	}
out:
	while (used < nspare)
		kfree(spare[used++]);
	kvfree(spare);
	return ret;
}

/*
 * Fault r's pages in (hmm_range_fault, one call per VMA so that each
 * asks for write access where the VMA allows it) and map them for bus
 * access.  Mmap lock held.
 */
static int vkfd_svm_fault(struct vkfd_svm_range *r, struct vkfd_dev *dev,
			  unsigned long *pfns, u64 *pte, unsigned long seq,
			  bool gpu_ro)
{
	struct device *d = &dev->pdev->dev;
	unsigned long addr = r->it.start << PAGE_SHIFT;
	unsigned long end = (r->it.last + 1) << PAGE_SHIFT;
	u64 i, n = r->it.last - r->it.start + 1;
	int ret;

	if (!IS_ENABLED(CONFIG_HMM_MIRROR))
		return -EOPNOTSUPP;	/* refused at the attribute check */
	while (addr < end) {
		struct vm_area_struct *vma = vma_lookup(r->svm->mm, addr);
		struct hmm_range hr = {
			.notifier = &r->notifier,
			.notifier_seq = seq,
			.start = addr,
			.hmm_pfns = pfns + ((addr >> PAGE_SHIFT) - r->it.start),
			.default_flags = HMM_PFN_REQ_FAULT,
			/* pages in this GPU's VRAM stay there */
			.dev_private_owner = vkfd_svm_migrate_owner(dev),
		};

		if (!vma)
			return -EFAULT;
		hr.end = min_t(unsigned long, end, vma->vm_end);
		if ((vma->vm_flags & VM_WRITE) && !gpu_ro)
			hr.default_flags |= HMM_PFN_REQ_WRITE;
		ret = hmm_range_fault(&hr);
		if (ret)
			return ret;
		addr = hr.end;
	}
	for (i = 0; i < n; i++) {
		struct page *page = hmm_pfn_to_page(pfns[i]);
		bool write = !gpu_ro && (pfns[i] & HMM_PFN_WRITE);
		dma_addr_t dma;

		/* in VRAM: mapped by its offset there */
		if (vkfd_svm_migrate_pte(dev, page, write, &pte[i]))
			continue;
		dma = dma_map_page(d, page, 0, PAGE_SIZE, DMA_BIDIRECTIONAL);
		if (dma_mapping_error(d, dma))
			return -ENOMEM;	/* the caller unmaps pte[0..i) */
		pte[i] = dma | VKFD_PTE_SYSTEM;
		if (write)
			pte[i] |= VKFD_PTE_WRITE;
	}
	return 0;
}

/*
 * Map r into the VM of the GPU in slot, as amdkfd's validate-and-map
 * without XNACK: hold the slots, fault the pages in under the
 * notifier's sequence, and publish the PTEs under gpu_lock only if no
 * invalidation came in between (else fault again).  Mmap lock held.
 */
static int vkfd_svm_gpu_map(struct vkfd_svm *svm, struct vkfd_svm_range *r,
			    unsigned int slot)
{
	struct vkfd_process_device *pdd = vkfd_svm_slot_pdd(svm, slot);
	u64 n = r->it.last - r->it.start + 1;
	u64 va = r->it.start << PAGE_SHIFT;
	bool ro = r->flags & KFD_IOCTL_SVM_FLAG_GPU_RO;
	struct vkfd_svm_held *h;
	unsigned long *pfns;
	unsigned long seq;
	unsigned int flags;
	int ret, tries = 0;

	if (!pdd)
		return 0;	/* the GPU is gone */
	/* no notifier (its insertion failed): the mirror could not follow */
	if (!r->notified)
		return -ENOMEM;
	h = kvzalloc(struct_size(h, pte, n), GFP_KERNEL_ACCOUNT);
	pfns = kvmalloc_array(n, sizeof(*pfns), GFP_KERNEL);
	if (!h || !pfns) {
		ret = -ENOMEM;
		goto out_free;
	}
	h->pdd = pdd;
	h->va = va;
	h->npages = n;

	mutex_lock(&svm->p->lock);
	/* not bound (no ACQUIRE_VM yet) or going: no VM to map into */
	ret = !pdd->drm_file || pdd->dying ? -ENODEV :
	      vkfd_vm_reserve(&pdd->vm, va, n);
	mutex_unlock(&svm->p->lock);
	if (ret == -ENODEV)
		ret = 0;
	if (ret)
		goto out_free;

	for (;;) {
		seq = mmu_interval_read_begin(&r->notifier);
		ret = vkfd_svm_fault(r, pdd->dev, pfns, h->pte, seq, ro);
		if (!ret) {
			flags = vkfd_svm_gpu_lock(svm);
			/* a GPU going away drops what it finds under gpu_lock */
			if (READ_ONCE(pdd->dying)) {
				vkfd_svm_gpu_unlock(svm, flags);
				vkfd_svm_dma_unmap(pdd, h->pte, n);
				ret = 0;
				goto out_free;
			}
			if (!mmu_interval_read_retry(&r->notifier, seq)) {
				vkfd_vm_fill_reserved(&pdd->vm, va, n, h->pte);
				r->held[slot] = h;
				vkfd_svm_gpu_unlock(svm, flags);
				kvfree(pfns);
				return 0;
			}
			vkfd_svm_gpu_unlock(svm, flags);
			ret = -EBUSY;
		}
		vkfd_svm_dma_unmap(pdd, h->pte, n);
		if (ret != -EBUSY || ++tries > 64)
			break;
	}
	mutex_lock(&svm->p->lock);
	if (!pdd->dying)
		vkfd_vm_unmap(&pdd->vm, va, n);
	mutex_unlock(&svm->p->lock);
out_free:
	kvfree(pfns);
	kvfree(h);
	return ret == -EBUSY ? -EAGAIN : ret;
}

/*
 * Map every range a GPU may access and that is not mapped there yet; a
 * mapping with pages the CPU took away (mprotect, page-out) is dropped
 * and made again.  Mmap lock held.
 */
static int vkfd_svm_map_all(struct vkfd_svm *svm)
{
	struct interval_tree_node *n;
	unsigned int flags, slot;
	int ret;
	u64 i;

	mutex_lock(&svm->lock);
	for (n = interval_tree_iter_first(&svm->ranges, 0, ULONG_MAX); n;
	     n = interval_tree_iter_next(n, 0, ULONG_MAX)) {
		struct vkfd_svm_range *r = vkfd_svm_range_of(n);

		flags = vkfd_svm_gpu_lock(svm);
		for (slot = 0; slot < VKFD_SVM_GPUS; slot++) {
			struct vkfd_svm_held *h = r->held[slot];

			for (i = 0; h && i < h->npages && h->pte[i]; i++)
				;
			if (!h || i == h->npages)
				continue;
			/* the pages still there stay in use meanwhile */
			if (vkfd_svm_gpu_mapped(r, r->it.start, r->it.last))
				vkfd_svm_evict(svm);
			vkfd_svm_held_punch(h, 0, h->npages);
			list_add_tail(&h->node, &svm->released);
			r->held[slot] = NULL;
		}
		vkfd_svm_gpu_unlock(svm, flags);
	}
	mutex_unlock(&svm->lock);
	vkfd_svm_release(svm);

	for (n = interval_tree_iter_first(&svm->ranges, 0, ULONG_MAX); n;
	     n = interval_tree_iter_next(n, 0, ULONG_MAX)) {
		struct vkfd_svm_range *r = vkfd_svm_range_of(n);
		unsigned long want = r->access | r->in_place;
		unsigned int slot;

		for_each_set_bit(slot, &want, VKFD_SVM_GPUS) {
			if (r->held[slot])
				continue;
			ret = vkfd_svm_gpu_map(svm, r, slot);
			if (ret)
				return ret;
		}
	}
	return 0;
}

/*
 * Make the cuts the notifiers queued and give the slots of dropped
 * mappings back.  Mmap lock held for write.
 */
static void vkfd_svm_sync(struct vkfd_svm *svm)
{
	mutex_lock(&svm->lock);
	vkfd_svm_apply_cuts(svm);
	mutex_unlock(&svm->lock);
	vkfd_svm_release(svm);
}

/*
 * amdkfd's svm_range_restore_work: under the mmap lock (for write, as
 * the SVM ioctl, since cuts remove notifiers) map every range again,
 * and restore the queues only if no invalidation came in meanwhile.
 * Else, or if a range cannot be mapped now (PROT_NONE, say: the queues
 * stay off the devices, as in amdkfd), try again later.
 */
static void vkfd_svm_restore_work(struct work_struct *work)
{
	struct vkfd_svm *svm = container_of(to_delayed_work(work),
					    struct vkfd_svm, restore_work);
	struct mm_struct *mm = svm->mm;
	int evicted, ret;
	u64 ns;

	/* the process is exiting: its queues go with it */
	if (!mmget_not_zero(mm))
		return;
	evicted = atomic_read(&svm->evicted);
	if (!evicted)
		goto out;
	/* the notifier cannot take p->lock for the GPU list: SMI here */
	ns = atomic64_xchg(&svm->smi_evict_ns, 0);
	if (ns)
		vkfd_smi_queue_eviction(svm->p, false, ns,
					KFD_QUEUE_EVICTION_TRIGGER_SVM);
	mmap_write_lock(mm);
	vkfd_svm_sync(svm);
	ret = vkfd_svm_map_all(svm);
	mmap_write_unlock(mm);
	if (!ret && atomic_cmpxchg(&svm->evicted, evicted, 0) == evicted) {
		svm->restore_delay_ms = VKFD_SVM_RESTORE_DELAY_MS;
		atomic_inc(&svm->restores);
		vkfd_queue_restore(svm->p);
		vkfd_smi_queue_eviction(svm->p, true, 0, 0);
		goto out;
	}
	if (ret)
		svm->restore_delay_ms = min(svm->restore_delay_ms * 2,
					    VKFD_SVM_RESTORE_MAX_DELAY_MS);
	schedule_delayed_work(&svm->restore_work,
			      msecs_to_jiffies(ret ? svm->restore_delay_ms :
					       VKFD_SVM_RESTORE_DELAY_MS));
out:
	mmput(mm);
}

/*
 * amdkfd's check at ALLOC_MEMORY_OF_GPU: no BO over a registered SVM
 * range, mapped to a GPU or not (EADDRINUSE).  The cuts of pages the
 * CPU unmapped are made first, as amdkfd flushes its deferred work, so
 * a BO may go where SVM memory was munmapped.  No lock held.
 */
int vkfd_svm_va_free(struct vkfd_process *p, u64 va, u64 size)
{
	struct vkfd_svm *svm = READ_ONCE(p->svm);
	struct mm_struct *mm = current->mm;
	bool busy;

	if (!svm || va + size < va)
		return 0;	/* no ranges; a wrap is the BO checks' EINVAL */
	if (mm == svm->mm) {
		mmap_write_lock(mm);
		vkfd_svm_sync(svm);
		mmap_write_unlock(mm);
	}
	mutex_lock(&svm->lock);
	busy = interval_tree_iter_first(&svm->ranges, va >> PAGE_SHIFT,
					(va + size - 1) >> PAGE_SHIFT);
	mutex_unlock(&svm->lock);
	return busy ? -EADDRINUSE : 0;
}

/* debugfs "processes": the SVM side of a primary.  Under vkfd_lock. */
void vkfd_svm_show(struct seq_file *m, struct vkfd_process *p)
{
	struct vkfd_svm *svm = READ_ONCE(p->svm);

	if (svm)
		seq_printf(m, " svm ranges %lu evictions %d restores %d evicted %d",
			   READ_ONCE(svm->nr_ranges),
			   atomic_read(&svm->evictions),
			   atomic_read(&svm->restores),
			   atomic_read(&svm->evicted));
}

/* What GET_ATTR reports of the ranges over [start, last]. */
struct vkfd_svm_summary {
	u32 preferred, prefetch;	/* UNDEFINED unless all ranges agree */
	bool want_preferred, want_prefetch;
	u32 flags_and, flags_or;	/* SET_FLAGS, ~CLR_FLAGS */
	u32 access, in_place;		/* GPU slots every range has */
	u8 granularity;			/* the smallest */
};

/* A location is reported only where every range has the same one. */
static void vkfd_svm_agree(u32 *loc, bool *want, u32 range_loc)
{
	if (!*want)
		return;
	if (range_loc == KFD_IOCTL_SVM_LOCATION_UNDEFINED ||
	    (*loc != KFD_IOCTL_SVM_LOCATION_UNDEFINED && *loc != range_loc)) {
		*loc = KFD_IOCTL_SVM_LOCATION_UNDEFINED;
		*want = false;
	} else {
		*loc = range_loc;
	}
}

static void vkfd_svm_summarize(struct vkfd_svm *svm, unsigned long start,
			       unsigned long last, struct vkfd_svm_summary *sum)
{
	struct interval_tree_node *n;

	lockdep_assert_held(&svm->lock);
	sum->preferred = KFD_IOCTL_SVM_LOCATION_UNDEFINED;
	sum->prefetch = KFD_IOCTL_SVM_LOCATION_UNDEFINED;
	n = interval_tree_iter_first(&svm->ranges, start, last);
	if (!n) {
		/* nothing registered: what a new range would get */
		sum->granularity = VKFD_SVM_DEFAULT_GRANULARITY;
		sum->flags_and = VKFD_SVM_DEFAULT_FLAGS;
		sum->flags_or = VKFD_SVM_DEFAULT_FLAGS;
		sum->access = 0;
		sum->in_place = 0;
		return;
	}
	sum->granularity = 0xff;
	sum->flags_and = ~0u;
	sum->flags_or = 0;
	sum->access = ~0u;
	sum->in_place = ~0u;
	for (; n; n = interval_tree_iter_next(n, start, last)) {
		struct vkfd_svm_range *r = vkfd_svm_range_of(n);

		vkfd_svm_agree(&sum->preferred, &sum->want_preferred,
			       r->preferred_loc);
		vkfd_svm_agree(&sum->prefetch, &sum->want_prefetch,
			       r->prefetch_loc);
		sum->flags_and &= r->flags;
		sum->flags_or |= r->flags;
		sum->granularity = min(sum->granularity, r->granularity);
		sum->access &= r->access;
		sum->in_place &= r->in_place;
	}
}

/* The ACCESS answer for one GPU: the attribute's type says it. */
static int vkfd_svm_access_of(struct vkfd_process *p, struct vkfd_svm *svm,
			      const struct vkfd_svm_summary *sum,
			      struct kfd_ioctl_svm_attribute *attr)
{
	int slot;

	if (!vkfd_svm_known_gpu(p, attr->value))
		return -EINVAL;
	mutex_lock(&svm->lock);
	slot = vkfd_svm_gpu_slot(svm, attr->value, false);
	mutex_unlock(&svm->lock);
	if (slot < 0)
		attr->type = KFD_IOCTL_SVM_ATTR_NO_ACCESS;
	else if (sum->access & BIT(slot))
		attr->type = KFD_IOCTL_SVM_ATTR_ACCESS;
	else if (sum->in_place & BIT(slot))
		attr->type = KFD_IOCTL_SVM_ATTR_ACCESS_IN_PLACE;
	else
		attr->type = KFD_IOCTL_SVM_ATTR_NO_ACCESS;
	return 0;
}

static int vkfd_svm_get_attrs(struct vkfd_process *p, struct vkfd_svm *svm,
			      unsigned long start, unsigned long last,
			      u32 nattr, struct kfd_ioctl_svm_attribute *attrs)
{
	struct vkfd_svm_summary sum = { };
	int ret;
	u32 i;

	for (i = 0; i < nattr; i++) {
		switch (attrs[i].type) {
		case KFD_IOCTL_SVM_ATTR_PREFERRED_LOC:
			sum.want_preferred = true;
			break;
		case KFD_IOCTL_SVM_ATTR_PREFETCH_LOC:
			sum.want_prefetch = true;
			break;
		case KFD_IOCTL_SVM_ATTR_ACCESS:
		case KFD_IOCTL_SVM_ATTR_SET_FLAGS:
		case KFD_IOCTL_SVM_ATTR_CLR_FLAGS:
		case KFD_IOCTL_SVM_ATTR_GRANULARITY:
			break;
		default:	/* ACCESS_IN_PLACE and NO_ACCESS are answers */
			return -EINVAL;
		}
	}

	mutex_lock(&svm->lock);
	vkfd_svm_summarize(svm, start, last, &sum);
	mutex_unlock(&svm->lock);

	for (i = 0; i < nattr; i++) {
		switch (attrs[i].type) {
		case KFD_IOCTL_SVM_ATTR_PREFERRED_LOC:
			attrs[i].value = sum.preferred;
			break;
		case KFD_IOCTL_SVM_ATTR_PREFETCH_LOC:
			attrs[i].value = sum.prefetch;
			break;
		case KFD_IOCTL_SVM_ATTR_ACCESS:
			ret = vkfd_svm_access_of(p, svm, &sum, &attrs[i]);
			if (ret)
				return ret;
			break;
		case KFD_IOCTL_SVM_ATTR_SET_FLAGS:
			attrs[i].value = sum.flags_and;
			break;
		case KFD_IOCTL_SVM_ATTR_CLR_FLAGS:
			attrs[i].value = ~sum.flags_or;
			break;
		case KFD_IOCTL_SVM_ATTR_GRANULARITY:
			attrs[i].value = sum.granularity;
			break;
		}
	}
	return 0;
}

/* A migration a SET_ATTR asks for, made after the SVM lock is dropped. */
struct vkfd_svm_move {
	unsigned long start, last;	/* pages */
	u32 best;
	u8 granularity;
	u32 prefetch_loc, preferred_loc;	/* for SMI events */
};

/*
 * amdkfd's svm_range_best_prefetch_location without XNACK: the prefetch
 * location, unless a GPU other than it may access the range (vkfd GPUs
 * form no XGMI hive): then system memory.  Under svm->lock.
 */
static u32 vkfd_svm_best_prefetch(struct vkfd_svm *svm,
				  struct vkfd_svm_range *r)
{
	unsigned long gpus = r->access | r->in_place;
	unsigned int slot;

	if (r->prefetch_loc == KFD_IOCTL_SVM_LOCATION_SYSMEM ||
	    r->prefetch_loc == KFD_IOCTL_SVM_LOCATION_UNDEFINED)
		return r->prefetch_loc;
	for_each_set_bit(slot, &gpus, VKFD_SVM_GPUS)
		if (svm->gpu_ids[slot] != r->prefetch_loc)
			return KFD_IOCTL_SVM_LOCATION_SYSMEM;
	return r->prefetch_loc;
}

/*
 * The migrations of the ranges in [start, last] this SET_ATTR changed
 * (amdkfd's svm_range_trigger_migration over its update list), as a
 * list: they run under the mmap lock alone, since migration takes
 * p->lock and calls the ranges' notifiers.  Under svm->lock.
 */
static int vkfd_svm_migrations(struct vkfd_svm *svm, unsigned long start,
			       unsigned long last,
			       struct vkfd_svm_move **moves,
			       unsigned long *nmoves)
{
	struct interval_tree_node *n;
	unsigned long nr = 0;

	for (n = interval_tree_iter_first(&svm->ranges, start, last); n;
	     n = interval_tree_iter_next(n, start, last))
		nr += vkfd_svm_range_of(n)->migrate;
	*nmoves = 0;
	*moves = nr ? kvmalloc_array(nr, sizeof(**moves), GFP_KERNEL) : NULL;
	for (n = interval_tree_iter_first(&svm->ranges, start, last); n;
	     n = interval_tree_iter_next(n, start, last)) {
		struct vkfd_svm_range *r = vkfd_svm_range_of(n);
		u32 best;

		if (!r->migrate)
			continue;
		r->migrate = false;
		best = vkfd_svm_best_prefetch(svm, r);
		if (!*moves || best == KFD_IOCTL_SVM_LOCATION_UNDEFINED)
			continue;
		(*moves)[*nmoves] = (struct vkfd_svm_move){
			.start = r->it.start, .last = r->it.last,
			.best = best, .granularity = r->granularity,
			.prefetch_loc = r->prefetch_loc,
			.preferred_loc = r->preferred_loc,
		};
		(*nmoves)++;
	}
	return nr && !*moves ? -ENOMEM : 0;
}

/* The size check of the ioctl table: the attributes must be covered. */
int vkfd_ioctl_svm_validate(const void *kdata, unsigned int usize)
{
	const struct kfd_ioctl_svm_args *args = kdata;

	return usize < struct_size(args, attrs, args->nattr) ? -EINVAL : 0;
}

int vkfd_ioctl_svm(struct file *filep, struct vkfd_process *p, void *data)
{
	struct kfd_ioctl_svm_args *args = data;
	struct mm_struct *mm = current->mm;
	unsigned long start, last, nmoves = 0, i;
	struct vkfd_svm_move *moves = NULL;
	struct vkfd_svm *svm;
	int ret, mret = 0;

	/* amdkfd: SVM belongs to the primary, whose life is the program's */
	if (!vkfd_process_is_primary(p))
		return -EOPNOTSUPP;
	if (!PAGE_ALIGNED(args->start_addr) || !PAGE_ALIGNED(args->size) ||
	    !args->start_addr || !args->size)
		return -EINVAL;
	/*
	 * amdkfd answers an unknown op with a positive EINVAL (so ioctl()
	 * returns 22 and leaves errno); vkfd returns the error proper.
	 */
	if (args->op != KFD_IOCTL_SVM_OP_SET_ATTR &&
	    args->op != KFD_IOCTL_SVM_OP_GET_ATTR)
		return -EINVAL;
	if (!mm || mm != p->mm)
		return -ESRCH;

	start = args->start_addr >> PAGE_SHIFT;
	last = start + (args->size >> PAGE_SHIFT) - 1;

	if (args->op == KFD_IOCTL_SVM_OP_SET_ATTR) {
		ret = vkfd_svm_check_attrs(p, args->nattr, args->attrs);
		if (ret)
			return ret;
	}
	svm = vkfd_svm_get(p);
	if (!svm)
		return -ENOMEM;

	/* for write: notifiers are inserted and removed under it */
	mmap_write_lock(mm);
	vkfd_svm_sync(svm);
	ret = vkfd_svm_range_valid(p, mm, args->start_addr, args->size);
	if (ret || args->op == KFD_IOCTL_SVM_OP_GET_ATTR) {
		/* what the cuts left of mapped ranges is mapped again */
		if (!ret)
			ret = vkfd_svm_map_all(svm);
		mmap_write_unlock(mm);
		if (ret)
			return ret;
		return vkfd_svm_get_attrs(p, svm, start, last, args->nattr,
					  args->attrs);
	}
	mutex_lock(&svm->lock);
	ret = vkfd_svm_set(svm, start, last, args->nattr, args->attrs);
	if (!ret)
		mret = vkfd_svm_migrations(svm, start, last, &moves, &nmoves);
	mutex_unlock(&svm->lock);
	vkfd_svm_release(svm);
	/* attributes stay applied if a migration fails, as amdkfd's */
	for (i = 0; !ret && !mret && i < nmoves; i++)
		mret = vkfd_svm_migrate(p, mm, moves[i].start, moves[i].last,
					moves[i].best, moves[i].granularity,
					moves[i].prefetch_loc,
					moves[i].preferred_loc);
	kvfree(moves);
	if (!ret)
		ret = vkfd_svm_map_all(svm);
	mmap_write_unlock(mm);
	return ret ? ret : mret;
}
