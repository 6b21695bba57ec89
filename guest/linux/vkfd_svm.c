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
 * No vkfd GPU is SVM-capable yet: amdkfd only lets a GPU into SVM when
 * its VRAM is device-private memory (or it is an APU), and the guest
 * kernel has no CONFIG_DEVICE_PRIVATE; vkfd also does not yet mirror
 * ranges into GPUVM.  amdkfd answers such a GPU's gpu_id in any SVM
 * attribute (location, prefetch, access) with EINVAL, and so does vkfd;
 * what is left (system-memory locations, flags, granularity) is real
 * bookkeeping.  The topology's SVM capability bit stays clear.
 */
#include <linux/interval_tree.h>
#include <linux/mm.h>
#include <linux/mmu_notifier.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>

#include "vkfd_priv.h"

/* amdkfd's defaults for a new range, and its granularity ceiling */
#define VKFD_SVM_DEFAULT_GRANULARITY	9
#define VKFD_SVM_MAX_GRANULARITY	0x3f
#define VKFD_SVM_DEFAULT_FLAGS \
	(KFD_IOCTL_SVM_FLAG_HOST_ACCESS | KFD_IOCTL_SVM_FLAG_COHERENT)

struct vkfd_svm {
	struct mutex lock;		/* the ranges; inside mmap_lock */
	struct rb_root_cached ranges;	/* vkfd_svm_range, in pages */
	unsigned long nr_ranges;	/* for a debugger's eyes */
	struct mm_struct *mm;		/* the process's; notifiers grab it */
	/* pages the CPU unmapped, dropped at the next SVM call */
	spinlock_t cuts_lock;
	struct list_head cuts;		/* vkfd_svm_cut */
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
};

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
	spin_lock_init(&svm->cuts_lock);
	INIT_LIST_HEAD(&svm->cuts);
	old = cmpxchg(&p->svm, NULL, svm);
	if (old) {
		mutex_destroy(&svm->lock);
		kfree(svm);
		return old;
	}
	return svm;
}

/*
 * The CPU unmapped pages of a range (munmap, mremap, exit): amdkfd drops
 * them from its ranges, so a new mapping there starts from the defaults.
 * The range cannot change here (its notifier is being called); the cut is
 * queued and made under the mmap lock by the next SVM call.
 */
static bool vkfd_svm_invalidate(struct mmu_interval_notifier *mni,
				const struct mmu_notifier_range *range,
				unsigned long cur_seq)
{
	struct vkfd_svm_range *r =
		container_of(mni, struct vkfd_svm_range, notifier);
	struct vkfd_svm *svm = r->svm;
	struct vkfd_svm_cut *cut;

	mmu_interval_set_seq(mni, cur_seq);
	if (range->event != MMU_NOTIFY_UNMAP)
		return true;
	cut = kmalloc(sizeof(*cut), GFP_ATOMIC | __GFP_NOWARN);
	if (!cut) {
		pr_warn_ratelimited("vkfd: SVM: no memory to record an munmap\n");
		return true;
	}
	cut->start = max(range->start >> PAGE_SHIFT, r->it.start);
	cut->last = min((range->end - 1) >> PAGE_SHIFT, r->it.last);
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

void vkfd_svm_fini(struct vkfd_process *p)
{
	struct vkfd_svm *svm = p->svm;
	struct interval_tree_node *node;
	struct vkfd_svm_cut *cut, *tmp;

	if (!svm)
		return;
	while ((node = interval_tree_iter_first(&svm->ranges, 0, ULONG_MAX))) {
		struct vkfd_svm_range *r =
			container_of(node, struct vkfd_svm_range, it);

		vkfd_svm_remove(svm, r);
		kfree(r);
	}
	list_for_each_entry_safe(cut, tmp, &svm->cuts, node)
		kfree(cut);
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

/*
 * amdkfd's svm_range_check_attr, for GPUs none of which is in the
 * process's SVM-supported set: a location may be system memory (or, for
 * the preferred one, undefined); a gpu_id, known or not, is EINVAL, as is
 * any access attribute and any unknown type.  Flags and granularity take
 * any value.
 */
static int vkfd_svm_check_attrs(u32 nattr,
				const struct kfd_ioctl_svm_attribute *attrs)
{
	u32 i;

	for (i = 0; i < nattr; i++) {
		u32 val = attrs[i].value;

		switch (attrs[i].type) {
		case KFD_IOCTL_SVM_ATTR_PREFERRED_LOC:
			if (val != KFD_IOCTL_SVM_LOCATION_SYSMEM &&
			    val != KFD_IOCTL_SVM_LOCATION_UNDEFINED)
				return -EINVAL;
			break;
		case KFD_IOCTL_SVM_ATTR_PREFETCH_LOC:
			if (val != KFD_IOCTL_SVM_LOCATION_SYSMEM)
				return -EINVAL;
			break;
		case KFD_IOCTL_SVM_ATTR_SET_FLAGS:
		case KFD_IOCTL_SVM_ATTR_CLR_FLAGS:
		case KFD_IOCTL_SVM_ATTR_GRANULARITY:
			break;
		default:	/* the access types name a GPU */
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

static struct vkfd_svm_range *vkfd_svm_range_of(struct interval_tree_node *n)
{
	return n ? container_of(n, struct vkfd_svm_range, it) : NULL;
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

static void vkfd_svm_apply(struct vkfd_svm_range *r, u32 nattr,
			   const struct kfd_ioctl_svm_attribute *attrs)
{
	u32 i;

	for (i = 0; i < nattr; i++) {
		u32 val = attrs[i].value;

		switch (attrs[i].type) {
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
			vkfd_svm_insert(svm, gap);
			svm->nr_ranges++;
			r = gap;
		}
		vkfd_svm_apply(r, nattr, attrs);
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

static int vkfd_svm_get_attrs(struct vkfd_process *p, struct vkfd_svm *svm,
			      unsigned long start, unsigned long last,
			      u32 nattr, struct kfd_ioctl_svm_attribute *attrs)
{
	u32 preferred = KFD_IOCTL_SVM_LOCATION_UNDEFINED;
	u32 prefetch = KFD_IOCTL_SVM_LOCATION_UNDEFINED;
	bool get_preferred = false, get_prefetch = false;
	u32 flags_and = 0xffffffff, flags_or = 0;
	struct interval_tree_node *n;
	u8 granularity = 0xff;
	u32 i;

	for (i = 0; i < nattr; i++) {
		switch (attrs[i].type) {
		case KFD_IOCTL_SVM_ATTR_PREFERRED_LOC:
			get_preferred = true;
			break;
		case KFD_IOCTL_SVM_ATTR_PREFETCH_LOC:
			get_prefetch = true;
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
	n = interval_tree_iter_first(&svm->ranges, start, last);
	if (!n) {
		/* nothing registered: what a new range would get */
		granularity = VKFD_SVM_DEFAULT_GRANULARITY;
		flags_and = VKFD_SVM_DEFAULT_FLAGS;
		flags_or = VKFD_SVM_DEFAULT_FLAGS;
	}
	for (; n; n = interval_tree_iter_next(n, start, last)) {
		struct vkfd_svm_range *r = vkfd_svm_range_of(n);

		/* a location is reported only where all ranges agree */
		if (get_preferred) {
			if (r->preferred_loc == KFD_IOCTL_SVM_LOCATION_UNDEFINED ||
			    (preferred != KFD_IOCTL_SVM_LOCATION_UNDEFINED &&
			     preferred != r->preferred_loc)) {
				preferred = KFD_IOCTL_SVM_LOCATION_UNDEFINED;
				get_preferred = false;
			} else {
				preferred = r->preferred_loc;
			}
		}
		if (get_prefetch) {
			if (r->prefetch_loc == KFD_IOCTL_SVM_LOCATION_UNDEFINED ||
			    (prefetch != KFD_IOCTL_SVM_LOCATION_UNDEFINED &&
			     prefetch != r->prefetch_loc)) {
				prefetch = KFD_IOCTL_SVM_LOCATION_UNDEFINED;
				get_prefetch = false;
			} else {
				prefetch = r->prefetch_loc;
			}
		}
		flags_and &= r->flags;
		flags_or |= r->flags;
		granularity = min(granularity, r->granularity);
	}
	mutex_unlock(&svm->lock);

	for (i = 0; i < nattr; i++) {
		switch (attrs[i].type) {
		case KFD_IOCTL_SVM_ATTR_PREFERRED_LOC:
			attrs[i].value = preferred;
			break;
		case KFD_IOCTL_SVM_ATTR_PREFETCH_LOC:
			attrs[i].value = prefetch;
			break;
		case KFD_IOCTL_SVM_ATTR_ACCESS:
			if (!vkfd_svm_known_gpu(p, attrs[i].value))
				return -EINVAL;
			/* no GPU of ours maps SVM ranges (yet) */
			attrs[i].type = KFD_IOCTL_SVM_ATTR_NO_ACCESS;
			break;
		case KFD_IOCTL_SVM_ATTR_SET_FLAGS:
			attrs[i].value = flags_and;
			break;
		case KFD_IOCTL_SVM_ATTR_CLR_FLAGS:
			attrs[i].value = ~flags_or;
			break;
		case KFD_IOCTL_SVM_ATTR_GRANULARITY:
			attrs[i].value = granularity;
			break;
		}
	}
	return 0;
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
	unsigned long start, last;
	struct vkfd_svm *svm;
	int ret;

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
		ret = vkfd_svm_check_attrs(args->nattr, args->attrs);
		if (ret)
			return ret;
	}
	svm = vkfd_svm_get(p);
	if (!svm)
		return -ENOMEM;

	/* for write: notifiers are inserted and removed under it */
	mmap_write_lock(mm);
	mutex_lock(&svm->lock);
	vkfd_svm_apply_cuts(svm);
	mutex_unlock(&svm->lock);
	ret = vkfd_svm_range_valid(p, mm, args->start_addr, args->size);
	if (ret || args->op == KFD_IOCTL_SVM_OP_GET_ATTR) {
		mmap_write_unlock(mm);
		if (ret)
			return ret;
		return vkfd_svm_get_attrs(p, svm, start, last, args->nattr,
					  args->attrs);
	}
	mutex_lock(&svm->lock);
	ret = vkfd_svm_set(svm, start, last, args->nattr, args->attrs);
	mutex_unlock(&svm->lock);
	mmap_write_unlock(mm);
	return ret;
}
