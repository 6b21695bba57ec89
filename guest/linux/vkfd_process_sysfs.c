// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vkfd: /sys/class/kfd/kfd/proc, amdkfd's per-process sysfs
 *
 *   proc/<tgid>/                 a primary kfd_process
 *   proc/<tgid>/context_<id>/    one of its secondaries
 * each with "pasid" (0, PASIDs are per device), "queues/" (vkfd_queue.c
 * fills it) and per GPU "vram_<gpu_id>", "sdma_<gpu_id>",
 * "stats_<gpu_id>/{evicted_ms,cu_occupancy}" and, for a GPU that can do
 * SVM, "counters_<gpu_id>/{faults,page_in,page_out}", all made when the
 * kfd_process is, as amdkfd makes them (docs/lifecycle.md).
 *
 * Each entry is a kernfs node, and making and removing one costs more
 * than everything else CREATE_PROCESS and close do (bench/README.md): the
 * directory holds no attribute group of its type, so that it goes with
 * everything in it in one recursive removal.
 */
#include <linux/bitmap.h>
#include <linux/io.h>
#include <linux/jiffies.h>
#include <linux/kobject.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/sysfs.h>

#include "vkfd_priv.h"
#include "vkfd_topology.h"

static struct kobject *vkfd_proc_root;

static ssize_t pasid_show(struct kobject *kobj, struct kobj_attribute *attr,
			  char *buf)
{
	return sysfs_emit(buf, "0\n");
}

static struct kobj_attribute vkfd_attr_pasid = __ATTR_RO(pasid);

static void vkfd_proc_kobj_release(struct kobject *kobj)
{
	kfree(container_of(kobj, struct vkfd_process, kobj));
}

static const struct kobj_type vkfd_proc_ktype = {
	.release = vkfd_proc_kobj_release,
	.sysfs_ops = &kobj_sysfs_ops,
};

static ssize_t vkfd_vram_show(struct kobject *kobj,
			      struct kobj_attribute *attr, char *buf)
{
	struct vkfd_process_device *pdd =
		container_of(attr, struct vkfd_process_device, attr_vram);

	return sysfs_emit(buf, "%llu\n", READ_ONCE(pdd->vram_used));
}

/*
 * amdkfd reports the time a process's SDMA queues were busy; the vkfd
 * device does not measure engine time, so this reads 0 (docs/lifecycle.md).
 */
static ssize_t vkfd_sdma_show(struct kobject *kobj,
			      struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "0\n");
}

/*
 * stats_<gpu_id>/ or counters_<gpu_id>/: a directory of its own, for
 * amdkfd's file names.  Its files are gone (kernfs drains their readers)
 * before the pdd is freed.  counters_ holds amdkfd's SVM page counts:
 * the VRAM pages of a migration hold a reference (vkfd_svm_migrate.c),
 * so that a CPU fault counts the pages it brings back whatever became
 * of the pdd.
 */
struct vkfd_pdd_sysfs_dir {
	struct kobject kobj;
	struct vkfd_process_device *pdd;
	atomic64_t page_in;		/* into this GPU's VRAM */
	atomic64_t page_out;		/* out of it */
};

static struct vkfd_pdd_sysfs_dir *vkfd_dir(struct kobject *kobj)
{
	return container_of(kobj, struct vkfd_pdd_sysfs_dir, kobj);
}

static void vkfd_pdd_dir_release(struct kobject *kobj)
{
	kfree(vkfd_dir(kobj));
}

static const struct kobj_type vkfd_pdd_dir_ktype = {
	.release = vkfd_pdd_dir_release,
	.sysfs_ops = &kobj_sysfs_ops,
};

/*
 * The time the process's queues spent off the device for evictions that
 * ended (amdkfd adds an eviction at its restore).  vkfd evicts a
 * process's queues on all its GPUs at once: each GPU reads the same.
 */
static ssize_t evicted_ms_show(struct kobject *kobj,
			       struct kobj_attribute *attr, char *buf)
{
	struct vkfd_process *p = vkfd_dir(kobj)->pdd->p;

	return sysfs_emit(buf, "%llu\n",
			  jiffies64_to_msecs(atomic64_read(&p->evicted_jiffies)));
}

/*
 * Keeps a WAVES_SEL write and the WAVES read that follows it together:
 * two readers (of any process, on any GPU) never interleave their pairs.
 * Only these two MMIO accesses run under it; it nests in nothing.
 */
static DEFINE_SPINLOCK(vkfd_waves_lock);

/*
 * amdkfd's cu_occupancy: the waves the process has resident on this GPU
 * (all its queues), as the compute units they would fill, rounded up:
 * waves / (simd_per_cu * max_waves_per_simd).  Without a queue (or a VM)
 * on the GPU it is 0 without asking the device, as amdkfd does.
 *
 * No lock of the process: the file goes (kernfs waiting for readers)
 * before the pdd is unbound and freed (vkfd_pdd_destroy), so while this
 * runs pdd, its device and topology node, and a non-zero ctx_id, stay.
 * A doorbell bitmap read as a queue is made or destroyed answers for a
 * moment before or after, as the device's count would.
 */
static ssize_t cu_occupancy_show(struct kobject *kobj,
				 struct kobj_attribute *attr, char *buf)
{
	struct vkfd_process_device *pdd = vkfd_dir(kobj)->pdd;
	struct vkfd_dev *dev = pdd->dev;
	u32 ctx_id = READ_ONCE(pdd->ctx_id), waves, per_cu;

	if (!ctx_id || READ_ONCE(pdd->dying) ||
	    bitmap_empty(pdd->doorbells, VKFD_DOORBELLS_PER_CONTEXT))
		return sysfs_emit(buf, "%d\n", 0);
	spin_lock(&vkfd_waves_lock);
	writel(ctx_id, dev->regs + VKFD_REG_WAVES_SEL);
	waves = readl(dev->regs + VKFD_REG_WAVES);
	spin_unlock(&vkfd_waves_lock);
	/* a device that stopped answering reads all ones: nothing resident */
	if (waves == U32_MAX)
		waves = 0;
	/* both are checked non-zero at probe (vkfd_topology.c) */
	per_cu = dev->topo->simd_per_cu * dev->topo->max_waves_per_simd;
	return sysfs_emit(buf, "%d\n", (int)DIV_ROUND_UP(waves, per_cu));
}

/* GPU page faults handled: only with XNACK, which vkfd has not */
static ssize_t faults_show(struct kobject *kobj, struct kobj_attribute *attr,
			   char *buf)
{
	return sysfs_emit(buf, "0\n");
}

static ssize_t page_in_show(struct kobject *kobj, struct kobj_attribute *attr,
			    char *buf)
{
	return sysfs_emit(buf, "%lld\n", atomic64_read(&vkfd_dir(kobj)->page_in));
}

static ssize_t page_out_show(struct kobject *kobj,
			     struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%lld\n",
			  atomic64_read(&vkfd_dir(kobj)->page_out));
}

/* A reference on a counters_<gpu_id>/ (NULL: none), for SVM migration. */
struct vkfd_pdd_sysfs_dir *vkfd_proc_counters_get(struct vkfd_pdd_sysfs_dir *d)
{
	if (d)
		kobject_get(&d->kobj);
	return d;
}

void vkfd_proc_counters_put(struct vkfd_pdd_sysfs_dir *d)
{
	if (d)
		kobject_put(&d->kobj);
}

void vkfd_proc_counters_add(struct vkfd_pdd_sysfs_dir *d, long page_in,
			    long page_out)
{
	if (!d)
		return;
	atomic64_add(page_in, &d->page_in);
	atomic64_add(page_out, &d->page_out);
}

static struct kobj_attribute vkfd_attr_evicted_ms = __ATTR_RO(evicted_ms);
static struct kobj_attribute vkfd_attr_cu_occupancy = __ATTR_RO(cu_occupancy);
static struct kobj_attribute vkfd_attr_faults = __ATTR_RO(faults);
static struct kobj_attribute vkfd_attr_page_in = __ATTR_RO(page_in);
static struct kobj_attribute vkfd_attr_page_out = __ATTR_RO(page_out);

static const struct attribute *const vkfd_stats_attrs[] = {
	&vkfd_attr_evicted_ms.attr,
	&vkfd_attr_cu_occupancy.attr,
	NULL
};

static const struct attribute *const vkfd_counters_attrs[] = {
	&vkfd_attr_faults.attr,
	&vkfd_attr_page_in.attr,
	&vkfd_attr_page_out.attr,
	NULL
};

/*
 * No attribute group in the type: removing the process's directory
 * takes these files with it, and the put that frees the kobject later
 * has nothing left to look up.
 */
static struct vkfd_pdd_sysfs_dir *
vkfd_pdd_dir_add(struct vkfd_process_device *pdd, const char *what,
		 const struct attribute *const *attrs)
{
	struct vkfd_pdd_sysfs_dir *dir;
	int ret;

	dir = kzalloc(sizeof(*dir), GFP_KERNEL);
	if (!dir)
		return NULL;
	dir->pdd = pdd;
	ret = kobject_init_and_add(&dir->kobj, &vkfd_pdd_dir_ktype,
				   &pdd->p->kobj, "%s_%u", what,
				   pdd->dev->gpu_id);
	if (!ret)
		ret = sysfs_create_files(&dir->kobj, attrs);
	if (ret) {
		pr_warn("vkfd: sysfs %s_%u of process %d: %d\n", what,
			pdd->dev->gpu_id, pdd->p->tgid, ret);
		kobject_put(&dir->kobj);
		return NULL;
	}
	return dir;
}

/* The directory is gone already when the process's went first. */
static void vkfd_pdd_dir_put(struct vkfd_pdd_sysfs_dir **dirp)
{
	if (*dirp)
		kobject_put(&(*dirp)->kobj);
	*dirp = NULL;
}

/* The kobject is the process's lifetime anchor: set it up at once. */
void vkfd_proc_sysfs_init_process(struct vkfd_process *p)
{
	kobject_init(&p->kobj, &vkfd_proc_ktype);
}

void vkfd_proc_sysfs_add_pdd(struct vkfd_process_device *pdd)
{
	struct vkfd_process *p = pdd->p;
	int ret;

	if (!p->kobj_added || pdd->sysfs_added)
		return;
	snprintf(pdd->name_vram, sizeof(pdd->name_vram), "vram_%u",
		 pdd->dev->gpu_id);
	snprintf(pdd->name_sdma, sizeof(pdd->name_sdma), "sdma_%u",
		 pdd->dev->gpu_id);
	sysfs_attr_init(&pdd->attr_vram.attr);
	pdd->attr_vram.attr.name = pdd->name_vram;
	pdd->attr_vram.attr.mode = 0444;
	pdd->attr_vram.show = vkfd_vram_show;
	sysfs_attr_init(&pdd->attr_sdma.attr);
	pdd->attr_sdma.attr.name = pdd->name_sdma;
	pdd->attr_sdma.attr.mode = 0444;
	pdd->attr_sdma.show = vkfd_sdma_show;

	ret = sysfs_create_file(&p->kobj, &pdd->attr_vram.attr);
	if (ret)
		goto warn;
	ret = sysfs_create_file(&p->kobj, &pdd->attr_sdma.attr);
	if (ret) {
		sysfs_remove_file(&p->kobj, &pdd->attr_vram.attr);
		goto warn;
	}
	pdd->sysfs_added = true;
	/* as amdkfd, a directory that fails leaves the rest in place */
	pdd->stats_dir = vkfd_pdd_dir_add(pdd, "stats", vkfd_stats_attrs);
	/* amdkfd's GPUs that support SVM (vkfd_svm.c's vkfd_svm_gpu_ok) */
	if (IS_ENABLED(CONFIG_HMM_MIRROR)) {
		struct vkfd_pdd_sysfs_dir *d;

		d = vkfd_pdd_dir_add(pdd, "counters", vkfd_counters_attrs);
		mutex_lock(&p->lock);
		pdd->counters_dir = d;
		mutex_unlock(&p->lock);
	}
	return;
warn:
	pr_warn("vkfd: sysfs for gpu %u of process %d: %d\n",
		pdd->dev->gpu_id, p->tgid, ret);
}

void vkfd_proc_sysfs_remove_pdd(struct vkfd_process_device *pdd)
{
	struct vkfd_pdd_sysfs_dir *counters;

	if (!pdd->sysfs_added)
		return;
	mutex_lock(&pdd->p->lock);
	counters = pdd->counters_dir;
	pdd->counters_dir = NULL;
	mutex_unlock(&pdd->p->lock);
	if (pdd->stats_dir)
		kobject_del(&pdd->stats_dir->kobj);
	if (counters)
		kobject_del(&counters->kobj);
	vkfd_pdd_dir_put(&pdd->stats_dir);
	vkfd_pdd_dir_put(&counters);
	sysfs_remove_file(&pdd->p->kobj, &pdd->attr_sdma.attr);
	sysfs_remove_file(&pdd->p->kobj, &pdd->attr_vram.attr);
	pdd->sysfs_added = false;
}

/*
 * After exec the thread group's old mm (and primary) can outlive the
 * first open of the new image for a moment; the name is not free then.
 */
static bool vkfd_proc_sysfs_tgid_taken(struct vkfd_process *p)
{
	struct vkfd_process *other;

	list_for_each_entry(other, &vkfd_processes, all)
		if (other != p && other->tgid == p->tgid &&
		    vkfd_process_is_primary(other) && other->kobj_added)
			return true;
	return false;
}

/*
 * Publish p.  As in amdkfd a failure here is only reported: the process
 * works without its sysfs entries.
 */
void vkfd_proc_sysfs_add_process(struct vkfd_process *p)
{
	struct vkfd_process_device *pdd;
	struct kobject *parent = vkfd_proc_root;
	int ret;

	lockdep_assert_held(&vkfd_lock);
	if (vkfd_process_is_primary(p)) {
		if (vkfd_proc_sysfs_tgid_taken(p)) {
			pr_warn("vkfd: process %d: an older primary still holds proc/%d\n",
				p->tgid, p->tgid);
			return;
		}
		ret = kobject_add(&p->kobj, parent, "%d", p->tgid);
	} else {
		/*
		 * context_<id> is unique only under its primary: without the
		 * primary's directory there is no place for it.
		 */
		if (!p->primary->kobj_added) {
			pr_debug("vkfd: process %d context %u: no proc/%d, no sysfs\n",
				 p->tgid, p->context_id, p->tgid);
			return;
		}
		parent = &p->primary->kobj;
		ret = kobject_add(&p->kobj, parent, "context_%u", p->context_id);
	}
	if (ret) {
		pr_warn("vkfd: sysfs for process %d context %u: %d\n",
			p->tgid, p->context_id, ret);
		return;
	}
	p->kobj_added = true;
	ret = sysfs_create_file(&p->kobj, &vkfd_attr_pasid.attr);
	if (ret)
		pr_warn("vkfd: sysfs pasid of process %d context %u: %d\n",
			p->tgid, p->context_id, ret);
	/* amdkfd's queues/ is there before the first queue is */
	mutex_lock(&p->lock);
	if (!p->queues_kobj)
		p->queues_kobj = kobject_create_and_add("queues", &p->kobj);
	mutex_unlock(&p->lock);
	if (!p->queues_kobj)
		pr_warn("vkfd: sysfs queues/ of process %d context %u\n",
			p->tgid, p->context_id);
	list_for_each_entry(pdd, &p->pdds, node)
		vkfd_proc_sysfs_add_pdd(pdd);
}

void vkfd_proc_sysfs_remove_process(struct vkfd_process *p)
{
	struct vkfd_process_device *pdd;

	lockdep_assert_held(&vkfd_lock);
	if (!p->kobj_added)
		return;
	/*
	 * The directory goes with everything in it in one removal: looking
	 * up and removing each file first would cost as much again.  The
	 * queues were destroyed at teardown, with queues/ (vkfd_queue.c).
	 */
	kobject_del(&p->kobj);
	p->kobj_added = false;
	/*
	 * Each put drops the process's reference on a removed directory; a
	 * counters_ one lives on while VRAM pages of a migration hold it.
	 */
	list_for_each_entry(pdd, &p->pdds, node) {
		struct vkfd_pdd_sysfs_dir *counters;

		mutex_lock(&p->lock);
		counters = pdd->counters_dir;
		pdd->counters_dir = NULL;
		mutex_unlock(&p->lock);
		vkfd_pdd_dir_put(&pdd->stats_dir);
		/* its reference on p->kobj goes now, whoever holds it */
		if (counters)
			kobject_del(&counters->kobj);
		vkfd_pdd_dir_put(&counters);
		pdd->sysfs_added = false;
	}
}

int vkfd_proc_sysfs_init(struct kobject *kfd_kobj)
{
	vkfd_proc_root = kobject_create_and_add("proc", kfd_kobj);
	return vkfd_proc_root ? 0 : -ENOMEM;
}

void vkfd_proc_sysfs_exit(void)
{
	kobject_put(vkfd_proc_root);
}
