// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vkfd: the kfd_process lifecycle
 *
 * A primary kfd_process exists once per address space.  open() finds it
 * by mm or creates it; every open file of that process shares it.  The
 * primary lives until its mm is torn down (exit or exec), which an MMU
 * notifier tells us -- closing files only drops references.
 *
 * AMDKFD_IOC_CREATE_PROCESS replaces a file's primary with a new secondary
 * kfd_process that belongs to that file alone and dies when it is closed.
 * Secondaries are numbered 0..0xFFFE per primary; a secondary keeps its
 * primary (and so its id table and sysfs directory) alive.
 *
 * Every kfd_process has per-device data (a "pdd") for every vkfd device.
 * AMDKFD_IOC_ACQUIRE_VM binds it: the pdd adopts the VM of a render-node
 * file and gets a device context, mapped through the device's scheduler
 * ring; the context is unmapped when the process is freed.
 *
 * References: the primary's MMU notifier holds one, each file holds one,
 * each secondary holds one on its primary.  The last put queues the
 * release work, because puts come from SRCU callbacks too.
 */
#include <linux/file.h>
#include <linux/hashtable.h>
#include <linux/sched/mm.h>
#include <linux/sched/task.h>
#include <linux/slab.h>

#include <drm/drm_file.h>

#include "vkfd_priv.h"

/* Live primaries by mm, under vkfd_lock. */
static DEFINE_HASHTABLE(vkfd_mm_table, 8);
static struct workqueue_struct *vkfd_release_wq;

static const struct mmu_notifier_ops vkfd_mn_ops;

static struct vkfd_process *vkfd_find_primary(struct mm_struct *mm)
{
	struct vkfd_process *p;

	lockdep_assert_held(&vkfd_lock);
	hash_for_each_possible(vkfd_mm_table, p, mm_node, (unsigned long)mm)
		if (p->mm == mm)
			return p;
	return NULL;
}

/* Give p its per-device data on dev; the device hears of it at bind. */
int vkfd_process_attach_device(struct vkfd_process *p, struct vkfd_dev *dev)
{
	struct vkfd_process_device *pdd;

	int ret;

	lockdep_assert_held(&vkfd_lock);
	pdd = kzalloc(sizeof(*pdd), GFP_KERNEL_ACCOUNT);
	if (!pdd)
		return -ENOMEM;
	pdd->dev = dev;
	pdd->p = p;
	ret = vkfd_kfd_map_create(pdd);
	if (ret) {
		kfree(pdd);
		return ret;
	}
	vkfd_mem_pdd_init(pdd);
	mutex_lock(&p->lock);
	list_add_tail(&pdd->node, &p->pdds);
	mutex_unlock(&p->lock);
	return 0;
}

struct vkfd_process_device *vkfd_process_device(struct vkfd_process *p,
						u32 gpu_id)
{
	struct vkfd_process_device *pdd;

	lockdep_assert(lockdep_is_held(&vkfd_lock) || lockdep_is_held(&p->lock));
	list_for_each_entry(pdd, &p->pdds, node)
		if (pdd->dev->gpu_id == gpu_id)
			return pdd;
	return NULL;
}

/*
 * p's per-device data for gpu_id once bound (ACQUIRE_VM), under p->lock.
 * -ESRCH after teardown, -EINVAL for an unknown GPU, unbound_err before
 * ACQUIRE_VM: each caller keeps amdkfd's errno for that case.
 */
struct vkfd_process_device *vkfd_process_bound_pdd(struct vkfd_process *p,
						   u32 gpu_id, int unbound_err)
{
	struct vkfd_process_device *pdd;

	lockdep_assert_held(&p->lock);
	if (READ_ONCE(p->torn_down))
		return ERR_PTR(-ESRCH);
	pdd = vkfd_process_device(p, gpu_id);
	/* a GPU being removed is one the process no longer knows */
	if (!pdd || pdd->dying)
		return ERR_PTR(-EINVAL);
	if (!pdd->drm_file)
		return ERR_PTR(unbound_err);
	return pdd;
}

/*
 * Device contexts per user and device, so that one user cannot take them
 * all: vkfd_max_user_contexts, or half of the device's when 0.  Users
 * with CAP_SYS_RESOURCE are not limited.  Under vkfd_lock.
 */
static int vkfd_user_contexts_get(struct vkfd_dev *dev, kuid_t uid)
{
	unsigned long key = from_kuid(&init_user_ns, uid);
	unsigned int max = vkfd_max_user_contexts ?: dev->max_contexts / 2;
	void *entry = xa_load(&dev->user_contexts, key);
	unsigned long n = entry ? xa_to_value(entry) : 0;

	lockdep_assert_held(&vkfd_lock);
	if (n >= max && !capable(CAP_SYS_RESOURCE))
		return -ENOSPC;
	return xa_err(xa_store(&dev->user_contexts, key, xa_mk_value(n + 1),
			       GFP_KERNEL));
}

static void vkfd_user_contexts_put(struct vkfd_dev *dev, kuid_t uid)
{
	unsigned long key = from_kuid(&init_user_ns, uid);
	unsigned long n = xa_to_value(xa_load(&dev->user_contexts, key));

	lockdep_assert_held(&vkfd_lock);
	if (n > 1)
		xa_store(&dev->user_contexts, key, xa_mk_value(n - 1),
			 GFP_KERNEL);
	else
		xa_erase(&dev->user_contexts, key);
}

/*
 * ACQUIRE_VM: adopt the VM of drm_file (a render node of pdd's device
 * that no process has adopted) and map a device context for it.  On
 * success pdd keeps the caller's reference to drm_file.
 */
int vkfd_process_device_bind(struct vkfd_process_device *pdd,
			     struct file *drm_file)
{
	struct vkfd_cmd_map_context mc = { };
	struct vkfd_dev *dev = pdd->dev;
	struct vkfd_drm_file *vf;
	struct drm_file *df;
	int id, ret;

	lockdep_assert_held(&vkfd_lock);
	if (pdd->p->torn_down)
		return -ESRCH;
	df = vkfd_drm_file(drm_file);
	if (!df || vkfd_drm_file_device(df) != dev)
		return -EINVAL;
	vf = df->driver_priv;
	if (vf->owner)
		return -EINVAL;		/* that VM belongs to another process */

	ret = vkfd_user_contexts_get(dev, current_uid());
	if (ret)
		return ret;
	id = ida_alloc_range(&dev->ctx_ida, 1, dev->max_contexts - 1,
			     GFP_KERNEL);
	if (id < 0) {
		ret = id;
		goto err_user;
	}
	ret = vkfd_vm_init(&pdd->vm, dev);
	if (ret)
		goto err_id;
	mc.pt_base = vkfd_vm_root(&pdd->vm);
	ret = vkfd_sched_submit(dev, VKFD_CMD_MAP_CONTEXT, id, &mc, sizeof(mc));
	if (ret)
		goto err_vm;
	atomic_inc(&dev->live_contexts);
	xa_store_irq(&dev->ctx_pdds, id, pdd, GFP_KERNEL);
	mutex_lock(&pdd->p->lock);
	pdd->ctx_id = id;
	pdd->ctx_uid = current_uid();
	pdd->drm_file = drm_file;
	pdd->smi_pid = task_pid_nr(current);
	get_task_comm(pdd->smi_comm, current);
	vkfd_kfd_map_set_doorbell(pdd);
	mutex_unlock(&pdd->p->lock);
	vf->owner = pdd;
	vkfd_smi_process(pdd, true);
	return 0;

err_vm:
	vkfd_vm_fini(&pdd->vm);
err_id:
	ida_free(&dev->ctx_ida, id);
err_user:
	vkfd_user_contexts_put(dev, current_uid());
	return ret;
}

/* Unmap pdd's device context and give its VM back. */
static void vkfd_process_device_unbind(struct vkfd_process_device *pdd)
{
	struct vkfd_dev *dev = pdd->dev;
	struct vkfd_drm_file *vf;
	int ret;

	mutex_lock(&pdd->p->lock);
	vkfd_mem_pdd_free_all(pdd);
	mutex_unlock(&pdd->p->lock);
	if (!pdd->drm_file)
		return;
	vkfd_smi_process(pdd, false);
	/*
	 * Interrupts for this context find nobody from here on; the IH
	 * hard-IRQ handler uses pdd and its process only under this lock.
	 */
	xa_erase_irq(&dev->ctx_pdds, pdd->ctx_id);
	ret = vkfd_sched_submit(dev, VKFD_CMD_UNMAP_CONTEXT, pdd->ctx_id,
				NULL, 0);
	if (ret)
		/* Never hand out an id the device may still consider live. */
		dev_err(&dev->pdev->dev, "unmap of context %u failed: %d\n",
			pdd->ctx_id, ret);
	else
		ida_free(&dev->ctx_ida, pdd->ctx_id);
	/* the device no longer walks the tables: they can go */
	vkfd_vm_fini(&pdd->vm);
	atomic_dec(&dev->live_contexts);
	vkfd_user_contexts_put(dev, pdd->ctx_uid);
	vf = vkfd_drm_file(pdd->drm_file)->driver_priv;
	vf->owner = NULL;
	/*
	 * From the release work, a plain fput() would leave the last close
	 * of the render file (and its hold on this module) to a later
	 * work item: "nothing left" would not yet be true for rmmod.
	 */
	if (current->flags & PF_KTHREAD)
		__fput_sync(pdd->drm_file);
	else
		fput(pdd->drm_file);
	mutex_lock(&pdd->p->lock);
	pdd->ctx_id = 0;
	pdd->drm_file = NULL;
	mutex_unlock(&pdd->p->lock);
}

static void vkfd_pdd_destroy(struct vkfd_process_device *pdd)
{
	lockdep_assert_held(&vkfd_lock);
	/*
	 * First: no CPU mapping may reach the doorbells any more, and no
	 * ioctl may add a BO, mapping or queue while they are torn down
	 * below with p->lock dropped in between.
	 */
	mutex_lock(&pdd->p->lock);
	pdd->dying = true;
	vkfd_kfd_map_kill(pdd);
	mutex_unlock(&pdd->p->lock);
	/* SVM ranges stop using its VM while its context still runs */
	vkfd_svm_pdd_gone(pdd);
	vkfd_queue_destroy_on(pdd);
	vkfd_proc_sysfs_remove_pdd(pdd);
	vkfd_process_device_unbind(pdd);
	mutex_lock(&pdd->p->lock);
	list_del(&pdd->node);
	mutex_unlock(&pdd->p->lock);
	kfree(pdd);
}

static int vkfd_process_attach_all(struct vkfd_process *p)
{
	struct vkfd_dev *dev;
	int ret;

	list_for_each_entry(dev, &vkfd_devices, node) {
		ret = vkfd_process_attach_device(p, dev);
		if (ret)
			return ret;
	}
	return 0;
}

/* Remove dev from every process (driver unbind). */
void vkfd_process_detach_device(struct vkfd_dev *dev)
{
	struct vkfd_process_device *pdd, *tmp;
	struct vkfd_process *p;

	mutex_lock(&vkfd_lock);
	list_del(&dev->node);
	list_for_each_entry(p, &vkfd_processes, all)
		list_for_each_entry_safe(pdd, tmp, &p->pdds, node)
			if (pdd->dev == dev)
				vkfd_pdd_destroy(pdd);
	/* after the pdds: ioctls read dev->topo while they hold a pdd */
	vkfd_topology_remove_device(dev);
	mutex_unlock(&vkfd_lock);
}

static void vkfd_process_release_work(struct work_struct *work);

static struct vkfd_process *vkfd_process_alloc(u32 context_id)
{
	struct vkfd_process *p;

	p = kzalloc(sizeof(*p), GFP_KERNEL_ACCOUNT);
	if (!p)
		return NULL;
	kref_init(&p->ref);
	p->mm = current->mm;
	p->lead_thread = get_task_struct(current->group_leader);
	p->tgid = current->tgid;
	p->context_id = context_id;
	INIT_LIST_HEAD(&p->all);
	INIT_LIST_HEAD(&p->pdds);
	mutex_init(&p->lock);
	xa_init_flags(&p->queues, XA_FLAGS_ALLOC);
	vkfd_events_init(p);
	INIT_HLIST_NODE(&p->mm_node);
	xa_init_flags(&p->secondaries, XA_FLAGS_ALLOC);
	INIT_WORK(&p->release_work, vkfd_process_release_work);
	vkfd_proc_sysfs_init_process(p);
	return p;
}

/*
 * Stop everything the process runs on the devices.  For a primary this is
 * mm teardown; for a secondary, the close of its file.  Idempotent.
 */
static bool vkfd_process_teardown(struct vkfd_process *p)
{
	struct vkfd_process *sec;
	unsigned long id;

	lockdep_assert_held(&vkfd_lock);
	if (p->torn_down)
		return false;
	WRITE_ONCE(p->torn_down, true);
	/* nothing may keep running on memory that is about to go */
	vkfd_queue_destroy_all(p);
	if (vkfd_process_is_primary(p)) {
		hash_del(&p->mm_node);
		/*
		 * The thread group may live on after exec with a new primary
		 * that needs the proc/<tgid> name: this one gives it up now,
		 * with the directories of any secondaries that outlive it.
		 */
		xa_for_each(&p->secondaries, id, sec)
			vkfd_proc_sysfs_remove_process(sec);
		vkfd_proc_sysfs_remove_process(p);
	}
	return true;
}

/* Free p and everything it holds; p is unreachable from user space. */
static void vkfd_process_destroy(struct vkfd_process *p)
{
	struct vkfd_process_device *pdd, *tmp;
	struct vkfd_process *primary = p->primary;

	lockdep_assert_held(&vkfd_lock);
	vkfd_process_teardown(p);
	vkfd_svm_fini(p);
	/* the events page may live in a BO: it goes before the BOs do */
	vkfd_events_fini(p);
	/* first the directory, with the devices' files in it */
	vkfd_proc_sysfs_remove_process(p);
	list_for_each_entry_safe(pdd, tmp, &p->pdds, node)
		vkfd_pdd_destroy(pdd);
	list_del_init(&p->all);
	if (primary) {
		xa_erase(&primary->secondaries, p->context_id);
		vkfd_process_put(primary);
	}
	WARN_ON(!xa_empty(&p->secondaries));
	xa_destroy(&p->secondaries);
	WARN_ON(!xa_empty(&p->queues));
	xa_destroy(&p->queues);
	put_task_struct(p->lead_thread);
	kobject_put(&p->kobj);		/* frees p */
}

static void vkfd_process_release_work(struct work_struct *work)
{
	struct vkfd_process *p = container_of(work, struct vkfd_process,
					      release_work);

	mutex_lock(&vkfd_lock);
	vkfd_process_destroy(p);
	mutex_unlock(&vkfd_lock);
}

static void vkfd_process_kref_release(struct kref *ref)
{
	struct vkfd_process *p = container_of(ref, struct vkfd_process, ref);

	queue_work(vkfd_release_wq, &p->release_work);
}

void vkfd_process_put(struct vkfd_process *p)
{
	kref_put(&p->ref, vkfd_process_kref_release);
}

/*
 * mmu_notifier_get() found no notifier of ours on the caller's mm: a new
 * primary, not yet published; its first reference is the notifier's.
 * Under the caller's mmap_lock, so no vkfd lock is taken here.
 */
static struct mmu_notifier *vkfd_mn_alloc(struct mm_struct *mm)
{
	struct vkfd_process *p = vkfd_process_alloc(VKFD_PRIMARY_CONTEXT_ID);

	return p ? &p->notifier : ERR_PTR(-ENOMEM);
}

static void vkfd_mn_free(struct mmu_notifier *mn)
{
	vkfd_process_put(container_of(mn, struct vkfd_process, notifier));
}

/* The address space is going away: the primary ends here. */
static void vkfd_mn_release(struct mmu_notifier *mn, struct mm_struct *mm)
{
	struct vkfd_process *p = container_of(mn, struct vkfd_process, notifier);
	bool first;

	mutex_lock(&vkfd_lock);
	first = vkfd_process_teardown(p);
	mutex_unlock(&vkfd_lock);
	if (first)
		mmu_notifier_put(&p->notifier);
}

static const struct mmu_notifier_ops vkfd_mn_ops = {
	.release = vkfd_mn_release,
	.alloc_notifier = vkfd_mn_alloc,
	.free_notifier = vkfd_mn_free,
};

/*
 * Make a new primary findable and give it its devices.  On failure the
 * caller tears it down; the notifier's reference then frees it.
 */
static int vkfd_process_publish(struct vkfd_process *p)
{
	int ret;

	lockdep_assert_held(&vkfd_lock);
	p->published = true;
	hash_add(vkfd_mm_table, &p->mm_node, (unsigned long)p->mm);
	list_add_tail(&p->all, &vkfd_processes);
	ret = vkfd_process_attach_all(p);
	if (ret) {
		p->publish_err = ret;
		return ret;
	}
	vkfd_proc_sysfs_add_process(p);
	return 0;
}

/*
 * open(): the caller's primary, created if needed, with a new reference.
 * Registering the MMU notifier takes the caller's mmap_lock for writing,
 * which the caller's own threads can keep busy: that happens outside
 * vkfd_lock, so that no process can hold up everyone else's open.
 * Concurrent first opens of one mm get the same notifier; whoever takes
 * vkfd_lock first publishes the primary and keeps the notifier's count.
 */
struct vkfd_process *vkfd_process_open(void)
{
	struct vkfd_process *p = NULL;
	struct mmu_notifier *mn;
	bool keep = false;
	int ret = 0;

	if (!current->mm || current->group_leader->mm != current->mm)
		return ERR_PTR(-EINVAL);

	mutex_lock(&vkfd_lock);
	if (list_empty(&vkfd_devices)) {
		ret = -EINVAL;
	} else {
		p = vkfd_find_primary(current->mm);
		if (p)
			kref_get(&p->ref);
	}
	mutex_unlock(&vkfd_lock);
	if (ret)
		return ERR_PTR(ret);
	if (p)
		return p;

	mn = mmu_notifier_get(&vkfd_mn_ops, current->mm);
	if (IS_ERR(mn))
		return ERR_CAST(mn);
	p = container_of(mn, struct vkfd_process, notifier);

	mutex_lock(&vkfd_lock);
	if (p->publish_err) {
		ret = p->publish_err;
	} else if (!p->published) {
		ret = vkfd_process_publish(p);
		if (ret)
			vkfd_process_teardown(p);
		else
			keep = true;
	} else if (p->torn_down) {
		ret = -ESRCH;
	}
	if (!ret)
		kref_get(&p->ref);
	mutex_unlock(&vkfd_lock);
	if (!keep)
		mmu_notifier_put(mn);
	return ret ? ERR_PTR(ret) : p;
}

/* CREATE_PROCESS: a new secondary of primary; the caller holds vkfd_lock. */
struct vkfd_process *vkfd_process_create_secondary(struct vkfd_process *primary)
{
	struct vkfd_process *p;
	u32 id;
	int ret;

	lockdep_assert_held(&vkfd_lock);
	if (primary->torn_down || primary->mm != current->mm)
		return ERR_PTR(-ESRCH);
	p = vkfd_process_alloc(0);
	if (!p)
		return ERR_PTR(-ENOMEM);
	ret = xa_alloc(&primary->secondaries, &id, p,
		       XA_LIMIT(0, VKFD_MAX_SECONDARY_ID), GFP_KERNEL);
	if (ret) {
		put_task_struct(p->lead_thread);
		kobject_put(&p->kobj);
		return ERR_PTR(ret == -EBUSY ? -ENOSPC : ret);
	}
	p->context_id = id;
	kref_get(&primary->ref);
	p->primary = primary;
	list_add_tail(&p->all, &vkfd_processes);

	ret = vkfd_process_attach_all(p);
	if (ret) {
		vkfd_process_destroy(p);
		return ERR_PTR(ret);
	}
	vkfd_proc_sysfs_add_process(p);
	return p;
}

static void vkfd_process_kref_release_locked(struct kref *ref)
{
	vkfd_process_destroy(container_of(ref, struct vkfd_process, ref));
}

/*
 * The last close of a /dev/kfd file.  A secondary's file usually holds
 * its last reference: it is freed right here, in the closing task, with
 * no hop to the release work (references dropped elsewhere, from the IH
 * thread or a notifier's free, still go through the work).
 */
void vkfd_process_file_release(struct vkfd_process *p)
{
	if (!vkfd_process_is_primary(p)) {
		mutex_lock(&vkfd_lock);
		vkfd_process_teardown(p);
		kref_put(&p->ref, vkfd_process_kref_release_locked);
		mutex_unlock(&vkfd_lock);
		return;
	}
	vkfd_process_put(p);
}

int vkfd_process_module_init(void)
{
	vkfd_release_wq = alloc_workqueue("vkfd_release", WQ_UNBOUND, 0);
	return vkfd_release_wq ? 0 : -ENOMEM;
}

/*
 * Module unload: no file is open, but primaries of live processes may
 * remain.  End them as their mm's teardown would, then wait for every
 * notifier free and release work to finish.
 */
void vkfd_process_module_exit(void)
{
	struct vkfd_process *p;

	mutex_lock(&vkfd_lock);
	list_for_each_entry(p, &vkfd_processes, all)
		if (vkfd_process_is_primary(p) && vkfd_process_teardown(p))
			mmu_notifier_put(&p->notifier);
	mutex_unlock(&vkfd_lock);

	mmu_notifier_synchronize();
	flush_workqueue(vkfd_release_wq);
	WARN_ON(!list_empty(&vkfd_processes));
	destroy_workqueue(vkfd_release_wq);
}
