// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vkfd: user queues -- CREATE/DESTROY/UPDATE_QUEUE and friends
 *
 * A queue is a ring, a read pointer and a write pointer in the process's
 * own GPU memory (user space writes packets and rings a doorbell; the
 * kernel never sees them).  The driver checks that those buffers are
 * mapped in the process's GPUVM, picks a doorbell in the process's page,
 * writes a memory queue descriptor (MQD) and maps it on the device's
 * scheduler ring.  The queue runs on the device only while mapped.
 *
 * Evictions and UPDATE_QUEUE take a queue off the device as amdkfd's
 * HWS does on GFX9 with CWSR: preempted (UNMAP_QUEUE with
 * VKFD_CMD_F_PRESERVE), so that the device keeps what the queue had in
 * flight -- a copy cut part-way, the PM4 indirect buffers being run, a
 * shader dispatch and its waves -- and mapping the same MQD again resumes
 * it where it stopped instead of running the packet at rptr again.
 * Destroying a queue unmaps it without the flag, which also discards the
 * kept work of a preempted one, so nothing of it stays on the device.
 */
#include <linux/dma-mapping.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "vkfd_priv.h"
#include "vkfd_topology.h"

/* amdkfd's per-process limit, and its queue types in sysfs "type" */
#define VKFD_MAX_QUEUES		1024
#define VKFD_SYSFS_TYPE_COMPUTE	0
#define VKFD_SYSFS_TYPE_SDMA	1
#define VKFD_SYSFS_TYPE_SDMA_XGMI 4
#define VKFD_SYSFS_TYPE_SDMA_BY_ENG_ID 5
#define VKFD_EOP_BUFFER_SIZE	4096

struct vkfd_queue {
	struct vkfd_process_device *pdd;
	u32 id;
	u32 kfd_type;			/* KFD_IOC_QUEUE_TYPE_* */
	u32 doorbell;
	u32 ring_size;
	struct vkfd_mqd *mqd;
	dma_addr_t mqd_dma;
	u32 percentage;
	u32 priority;
	u32 cu_mask_bits;
	u32 *cu_mask;
	struct kobject kobj;		/* proc/<pid>/queues/<id> */
	bool kobj_added;
	/* both under vkfd_queues_lock */
	bool active;			/* user space wants it running */
	bool mapped;			/* on the device: active, not evicted */
	bool kept;			/* preempted: the device keeps its work */
};

/*
 * What is on the device: every queue's mapped and active state, the MQDs
 * of active queues, the process's eviction count, and removal from a
 * process's queue table.  amdkfd's dqm lock.  SVM evicts queues from an
 * MMU notifier callback, i.e. maybe from reclaim: nothing under this
 * lock allocates (a noreclaim scope, so that nothing can) and it is
 * taken inside p->lock, the mmap lock and the SVM's gpu_lock; under it
 * only the devices' sched_lock.
 */
static DEFINE_MUTEX(vkfd_queues_lock);

static unsigned int vkfd_queues_lock_noreclaim(void)
{
	mutex_lock(&vkfd_queues_lock);
	return memalloc_noreclaim_save();
}

static void vkfd_queues_unlock(unsigned int flags)
{
	memalloc_noreclaim_restore(flags);
	mutex_unlock(&vkfd_queues_lock);
}

/* Out of the table, so that an eviction never finds it again. */
static void vkfd_queue_forget(struct vkfd_process *p, struct vkfd_queue *q)
{
	unsigned int flags = vkfd_queues_lock_noreclaim();

	xa_erase(&p->queues, q->id);
	vkfd_queues_unlock(flags);
}

static u32 vkfd_hw_queue_type(u32 kfd_type)
{
	switch (kfd_type) {
	case KFD_IOC_QUEUE_TYPE_COMPUTE:
		return VKFD_QUEUE_PM4;
	case KFD_IOC_QUEUE_TYPE_COMPUTE_AQL:
		return VKFD_QUEUE_AQL;
	default:
		return VKFD_QUEUE_SDMA;
	}
}

static bool vkfd_queue_is_compute(u32 kfd_type)
{
	return kfd_type == KFD_IOC_QUEUE_TYPE_COMPUTE ||
	       kfd_type == KFD_IOC_QUEUE_TYPE_COMPUTE_AQL;
}

/* ---- sysfs: queues/<id>/{size,type,gpuid}, without a trailing newline */

static ssize_t vkfd_queue_attr_show(struct kobject *kobj,
				    struct attribute *attr, char *buf)
{
	struct vkfd_queue *q = container_of(kobj, struct vkfd_queue, kobj);
	ssize_t len;
	u32 val;

	if (!strcmp(attr->name, "size"))
		val = q->ring_size;
	else if (!strcmp(attr->name, "gpuid"))
		val = q->pdd->dev->gpu_id;
	else if (q->kfd_type == KFD_IOC_QUEUE_TYPE_SDMA)
		val = VKFD_SYSFS_TYPE_SDMA;
	else if (q->kfd_type == KFD_IOC_QUEUE_TYPE_SDMA_XGMI)
		val = VKFD_SYSFS_TYPE_SDMA_XGMI;
	else if (q->kfd_type == KFD_IOC_QUEUE_TYPE_SDMA_BY_ENG_ID)
		val = VKFD_SYSFS_TYPE_SDMA_BY_ENG_ID;
	else
		val = VKFD_SYSFS_TYPE_COMPUTE;
	/* amdkfd prints these without a newline; user space relies on it */
	len = sysfs_emit(buf, "%u", val);
	return len;
}

static struct attribute vkfd_queue_attr_size = { .name = "size", .mode = 0444 };
static struct attribute vkfd_queue_attr_type = { .name = "type", .mode = 0444 };
static struct attribute vkfd_queue_attr_gpuid = { .name = "gpuid", .mode = 0444 };

static struct attribute *vkfd_queue_attrs[] = {
	&vkfd_queue_attr_size,
	&vkfd_queue_attr_type,
	&vkfd_queue_attr_gpuid,
	NULL,
};
ATTRIBUTE_GROUPS(vkfd_queue);

static const struct sysfs_ops vkfd_queue_sysfs_ops = {
	.show = vkfd_queue_attr_show,
};

static void vkfd_queue_kobj_release(struct kobject *kobj)
{
	struct vkfd_queue *q = container_of(kobj, struct vkfd_queue, kobj);

	kfree(q->cu_mask);
	kfree(q);
}

static const struct kobj_type vkfd_queue_ktype = {
	.release = vkfd_queue_kobj_release,
	.sysfs_ops = &vkfd_queue_sysfs_ops,
	.default_groups = vkfd_queue_groups,
};

static void vkfd_queue_sysfs_add(struct vkfd_process *p, struct vkfd_queue *q)
{
	if (!p->kobj_added)
		return;
	if (!p->queues_kobj) {
		p->queues_kobj = kobject_create_and_add("queues", &p->kobj);
		if (!p->queues_kobj)
			return;
	}
	if (kobject_add(&q->kobj, p->queues_kobj, "%u", q->id))
		pr_warn("vkfd: sysfs for queue %u of process %d failed\n",
			q->id, p->tgid);
	else
		q->kobj_added = true;
}

/* ---- buffers the queue uses must be in the process's GPU mappings */

static int vkfd_queue_check_buffers(struct vkfd_process_device *pdd,
				    struct kfd_ioctl_create_queue_args *args)
{
	bool compute = vkfd_queue_is_compute(args->queue_type);

	/* the ring is a BO of its own, of exactly the ring's size */
	if (!vkfd_mem_va_mapped(pdd, args->ring_base_address,
				PAGE_ALIGN(args->ring_size), true))
		return -EINVAL;
	/* read and write pointers: 8 bytes inside a mapped BO */
	if (!vkfd_mem_va_mapped(pdd, args->read_pointer_address, 8, false) ||
	    !vkfd_mem_va_mapped(pdd, args->write_pointer_address, 8, false))
		return -EINVAL;
	if (!compute)
		return 0;
	/* compute queues: the EOP buffer, when given, is the node's size */
	if (args->eop_buffer_address &&
	    (args->eop_buffer_size != VKFD_EOP_BUFFER_SIZE ||
	     !vkfd_mem_va_mapped(pdd, args->eop_buffer_address,
				 args->eop_buffer_size, false)))
		return -EINVAL;
	/* and the CWSR area, when given, is mapped (vkfd saves no waves) */
	if (args->ctx_save_restore_address &&
	    !vkfd_mem_va_mapped(pdd, args->ctx_save_restore_address,
				args->ctx_save_restore_size, false))
		return -EINVAL;
	return 0;
}

static void vkfd_queue_fill_mqd(struct vkfd_queue *q, u64 ring_base,
				u32 ring_size, u64 rptr, u64 wptr)
{
	struct vkfd_mqd *m = q->mqd;

	memset(m, 0, sizeof(*m));
	m->type = cpu_to_le32(vkfd_hw_queue_type(q->kfd_type));
	m->doorbell = cpu_to_le32(q->doorbell);
	m->ring_base = cpu_to_le64(ring_base);
	m->ring_size = cpu_to_le32(ring_size);
	q->ring_size = ring_size;
	m->rptr_addr = cpu_to_le64(rptr);
	m->wptr_addr = cpu_to_le64(wptr);
}

/*
 * Map q from its MQD; a preempted q resumes if the MQD still describes
 * the same ring and state, else the device drops the kept work.  Under
 * vkfd_queues_lock.
 */
static int vkfd_queue_map(struct vkfd_queue *q)
{
	struct vkfd_cmd_map_queue mq = {
		.mqd_addr = cpu_to_le64(q->mqd_dma),
		.queue_id = cpu_to_le32(q->id),
	};
	int ret;

	ret = vkfd_sched_submit(q->pdd->dev, VKFD_CMD_MAP_QUEUE,
				q->pdd->ctx_id, &mq, sizeof(mq));
	if (!ret)
		q->kept = false;
	return ret;
}

/*
 * Take q off the device, its state written back into the MQD: preempted
 * (preserve), or destroyed with whatever it had in flight, which also
 * discards a preempted q's kept work.  Under vkfd_queues_lock.
 */
static int vkfd_queue_unmap(struct vkfd_queue *q, bool preserve)
{
	struct vkfd_cmd_unmap_queue uq = {
		.mqd_addr = cpu_to_le64(q->mqd_dma),
		.doorbell = cpu_to_le32(q->doorbell),
	};
	int ret;

	ret = vkfd_sched_submit_flags(q->pdd->dev, VKFD_CMD_UNMAP_QUEUE,
				      preserve ? VKFD_CMD_F_PRESERVE : 0,
				      q->pdd->ctx_id, &uq, sizeof(uq));
	if (!ret)
		q->kept = preserve;
	return ret;
}

static int vkfd_queue_check_params(u32 ring_size, u32 percentage,
				   u32 priority)
{
	if (ring_size && !is_power_of_2(ring_size))
		return -EINVAL;
	if ((percentage & 0xff) > KFD_MAX_QUEUE_PERCENTAGE)
		return -EINVAL;
	if (priority > KFD_MAX_QUEUE_PRIORITY)
		return -EINVAL;
	return 0;
}

/* amdkfd's QUEUE_IS_ACTIVE: a ring, a size and a share of the GPU */
static bool vkfd_queue_args_active(u64 ring_base, u32 ring_size,
				   u32 percentage)
{
	return ring_base && ring_size && (percentage & 0xff);
}

int vkfd_ioctl_create_queue(struct file *filep, struct vkfd_process *p,
			    void *data)
{
	struct kfd_ioctl_create_queue_args *args = data;
	struct vkfd_process_device *pdd;
	struct vkfd_queue *q;
	u32 id;
	int ret;

	switch (args->queue_type) {
	case KFD_IOC_QUEUE_TYPE_COMPUTE:
	case KFD_IOC_QUEUE_TYPE_COMPUTE_AQL:
	case KFD_IOC_QUEUE_TYPE_SDMA:
	case KFD_IOC_QUEUE_TYPE_SDMA_XGMI:
	case KFD_IOC_QUEUE_TYPE_SDMA_BY_ENG_ID:
		break;
	default:
		return -EINVAL;	/* never the kernel-internal ENOTSUPP */
	}
	ret = vkfd_queue_check_params(args->ring_size, args->queue_percentage,
				      args->queue_priority);
	if (ret)
		return ret;
	if (args->ring_size < KFD_MIN_QUEUE_RING_SIZE)
		args->ring_size = KFD_MIN_QUEUE_RING_SIZE;
	if (!access_ok((void __user *)args->ring_base_address, args->ring_size) ||
	    !access_ok((void __user *)args->read_pointer_address, sizeof(u64)) ||
	    !access_ok((void __user *)args->write_pointer_address, sizeof(u64)) ||
	    (args->eop_buffer_address &&
	     !access_ok((void __user *)args->eop_buffer_address,
			args->eop_buffer_size)) ||
	    (args->ctx_save_restore_address &&
	     !access_ok((void __user *)args->ctx_save_restore_address,
			args->ctx_save_restore_size)))
		return -EFAULT;

	q = kzalloc(sizeof(*q), GFP_KERNEL_ACCOUNT);
	if (!q)
		return -ENOMEM;
	kobject_init(&q->kobj, &vkfd_queue_ktype);
	q->kfd_type = args->queue_type;
	q->percentage = args->queue_percentage;
	q->priority = args->queue_priority;

	/*
	 * Not bound: ESRCH, as amdkfd.  Teardown sets torn_down, then
	 * destroys the queues under p->lock: none is made after it.
	 */
	mutex_lock(&p->lock);
	pdd = vkfd_process_bound_pdd(p, args->gpu_id, -ESRCH);
	if (IS_ERR(pdd)) {
		ret = PTR_ERR(pdd);
		goto err_unlock;
	}
	if (args->queue_type == KFD_IOC_QUEUE_TYPE_SDMA_BY_ENG_ID &&
	    args->sdma_engine_id >= pdd->dev->topo->num_sdma_engines) {
		ret = -EINVAL;
		goto err_unlock;
	}
	ret = vkfd_queue_check_buffers(pdd, args);
	if (ret)
		goto err_unlock;

	ret = xa_alloc(&p->queues, &id, q, XA_LIMIT(0, VKFD_MAX_QUEUES - 1),
		       GFP_KERNEL);
	if (ret) {
		ret = ret == -EBUSY ? -ENOMEM : ret;
		goto err_unlock;
	}
	q->id = id;
	q->pdd = pdd;
	q->doorbell = find_first_zero_bit(pdd->doorbells,
					  VKFD_DOORBELLS_PER_CONTEXT);
	if (q->doorbell >= VKFD_DOORBELLS_PER_CONTEXT) {
		ret = -ENOMEM;
		goto err_id;
	}
	q->mqd = dma_alloc_coherent(&pdd->dev->pdev->dev, sizeof(*q->mqd),
				    &q->mqd_dma, GFP_KERNEL);
	if (!q->mqd) {
		ret = -ENOMEM;
		goto err_id;
	}
	vkfd_queue_fill_mqd(q, args->ring_base_address, args->ring_size,
			    args->read_pointer_address,
			    args->write_pointer_address);
	/*
	 * As in amdkfd, a queue made with a percentage of 0 is not mapped,
	 * and one made while the process's queues are evicted is mapped
	 * when they are restored.
	 */
	if (vkfd_queue_args_active(args->ring_base_address, args->ring_size,
				   args->queue_percentage)) {
		unsigned int flags = vkfd_queues_lock_noreclaim();

		ret = p->queues_evicted ? 0 : vkfd_queue_map(q);
		q->mapped = !ret && !p->queues_evicted;
		q->active = !ret;
		vkfd_queues_unlock(flags);
		if (ret)
			goto err_mqd;
	}
	set_bit(q->doorbell, pdd->doorbells);
	vkfd_queue_sysfs_add(p, q);

	args->queue_id = q->id;
	args->doorbell_offset = VKFD_MMAP_TYPE_DOORBELL |
		(u64)pdd->dev->gpu_id << VKFD_MMAP_GPU_ID_SHIFT |
		(u64)q->doorbell * VKFD_DOORBELL_SIZE;
	mutex_unlock(&p->lock);
	return 0;

err_mqd:
	dma_free_coherent(&pdd->dev->pdev->dev, sizeof(*q->mqd), q->mqd,
			  q->mqd_dma);
err_id:
	vkfd_queue_forget(p, q);
err_unlock:
	mutex_unlock(&p->lock);
	kobject_put(&q->kobj);
	return ret;
}

/* Unmap from the device first, then free; under p->lock. */
static void vkfd_queue_destroy(struct vkfd_process *p, struct vkfd_queue *q)
{
	struct vkfd_process_device *pdd = q->pdd;
	unsigned int flags;
	int ret;

	lockdep_assert_held(&p->lock);
	flags = vkfd_queues_lock_noreclaim();
	/*
	 * an inactive or evicted queue is already off the device, but a
	 * preempted one has its work kept there: discard it
	 */
	ret = q->mapped || q->kept ? vkfd_queue_unmap(q, false) : 0;
	q->mapped = false;
	xa_erase(&p->queues, q->id);
	vkfd_queues_unlock(flags);
	if (ret)
		/* the device keeps the doorbell; never reuse it */
		dev_err(&pdd->dev->pdev->dev,
			"unmap of queue %u failed: %d\n", q->id, ret);
	else
		clear_bit(q->doorbell, pdd->doorbells);
	if (q->kobj_added)
		kobject_del(&q->kobj);
	dma_free_coherent(&pdd->dev->pdev->dev, sizeof(*q->mqd), q->mqd,
			  q->mqd_dma);
	q->mqd = NULL;
	kobject_put(&q->kobj);
}

int vkfd_ioctl_destroy_queue(struct file *filep, struct vkfd_process *p,
			     void *data)
{
	struct kfd_ioctl_destroy_queue_args *args = data;
	struct vkfd_queue *q;
	int ret = 0;

	mutex_lock(&p->lock);
	q = xa_load(&p->queues, args->queue_id);
	if (q)
		vkfd_queue_destroy(p, q);
	else
		ret = -EINVAL;
	mutex_unlock(&p->lock);
	return ret;
}

/*
 * Gone from the device without UNMAP_QUEUE: let user space see that.
 * Still kept: the device refused to discard it and keeps the doorbell,
 * never to be reused.
 */
static void vkfd_queue_drop(struct vkfd_process *p, struct vkfd_queue *q)
{
	dev_err(&q->pdd->dev->pdev->dev, "remap of queue %u failed\n", q->id);
	if (!q->kept)
		clear_bit(q->doorbell, q->pdd->doorbells);
	vkfd_queue_forget(p, q);
	if (q->kobj_added)
		kobject_del(&q->kobj);
	dma_free_coherent(&q->pdd->dev->pdev->dev, sizeof(*q->mqd), q->mqd,
			  q->mqd_dma);
	q->mqd = NULL;
	kobject_put(&q->kobj);
}

/*
 * New ring and scheduling parameters.  As in amdkfd, a ring address of 0,
 * a ring size of 0 or a percentage of 0 makes the queue inactive: it is
 * preempted, the device writing where it stopped into the MQD and
 * keeping what it had in flight, and it keeps its id, doorbell and that
 * state.  An update with a valid ring maps it again with the new ring;
 * it resumes where it stopped (the packet in flight goes on if the ring
 * is the same, else it starts over) and looks at its write pointer at
 * once, so packets written meanwhile run.
 */
int vkfd_ioctl_update_queue(struct file *filep, struct vkfd_process *p,
			    void *data)
{
	struct kfd_ioctl_update_queue_args *args = data;
	u32 ring_size = args->ring_size;
	struct vkfd_queue *q;
	unsigned int flags;
	bool active;
	__le64 resume;
	u64 rptr, wptr;
	int ret = 0;

	/* amdkfd's checks, in its order */
	if ((args->queue_percentage & 0xff) > KFD_MAX_QUEUE_PERCENTAGE ||
	    args->queue_priority > KFD_MAX_QUEUE_PRIORITY)
		return -EINVAL;
	if (args->ring_base_address &&
	    !access_ok((void __user *)args->ring_base_address, sizeof(u64)))
		return -EFAULT;
	if (ring_size && !is_power_of_2(ring_size))
		return -EINVAL;
	active = vkfd_queue_args_active(args->ring_base_address, ring_size,
					args->queue_percentage);
	if (active && ring_size < KFD_MIN_QUEUE_RING_SIZE)
		ring_size = KFD_MIN_QUEUE_RING_SIZE;

	mutex_lock(&p->lock);
	q = xa_load(&p->queues, args->queue_id);
	if (!q) {
		ret = -EFAULT;	/* amdkfd: no such queue to update */
		goto out;
	}
	if (active &&
	    !vkfd_mem_va_mapped(q->pdd, args->ring_base_address,
				PAGE_ALIGN(ring_size), true)) {
		ret = -EINVAL;
		goto out;
	}
	flags = vkfd_queues_lock_noreclaim();
	if (q->mapped) {
		/* amdkfd preempts (CWSR) to update: the same ring resumes */
		ret = vkfd_queue_unmap(q, true);
		if (ret) {
			vkfd_queues_unlock(flags);
			goto out;
		}
		q->mapped = false;
	}
	q->active = false;
	q->percentage = args->queue_percentage;
	q->priority = args->queue_priority;
	if (!active) {
		vkfd_queues_unlock(flags);
		goto out;	/* the MQD keeps where it stopped */
	}

	rptr = le64_to_cpu(q->mqd->rptr_addr);
	wptr = le64_to_cpu(q->mqd->wptr_addr);
	/* the device wrote back where it stopped; it resumes there */
	resume = q->mqd->rptr;
	vkfd_queue_fill_mqd(q, args->ring_base_address, ring_size, rptr, wptr);
	q->mqd->rptr = resume;
	q->mqd->flags = cpu_to_le32(VKFD_MQD_F_CHECK_WPTR);
	/* evicted: mapped when the process's queues are restored */
	ret = p->queues_evicted ? 0 : vkfd_queue_map(q);
	q->active = !ret;
	q->mapped = !ret && !p->queues_evicted;
	/* not mapped again: its kept work may not stay on the device */
	if (ret && q->kept)
		vkfd_queue_unmap(q, false);
	vkfd_queues_unlock(flags);
	if (ret)
		vkfd_queue_drop(p, q);
out:
	mutex_unlock(&p->lock);
	return ret;
}

/*
 * The CU mask is recorded as amdkfd records it; vkfd runs no waves, so it
 * does not change what the queue does.
 */
int vkfd_ioctl_set_cu_mask(struct file *filep, struct vkfd_process *p,
			   void *data)
{
	struct kfd_ioctl_set_cu_mask_args *args = data;
	u32 bits = args->num_cu_mask, *mask;
	struct vkfd_queue *q;
	int ret = 0;

	if (!bits || bits % 32)
		return -EINVAL;
	bits = min_t(u32, bits, 1024);	/* more than any GPU has */
	mask = memdup_user(u64_to_user_ptr(args->cu_mask_ptr), bits / 8);
	if (IS_ERR(mask))
		return PTR_ERR(mask);

	mutex_lock(&p->lock);
	q = xa_load(&p->queues, args->queue_id);
	if (q) {
		swap(q->cu_mask, mask);
		q->cu_mask_bits = bits;
	} else {
		ret = -EINVAL;
	}
	mutex_unlock(&p->lock);
	kfree(mask);
	return ret;
}

/*
 * ALLOC_QUEUE_GWS as amdkfd answers on a GPU without global wave sync
 * (the topology's num_gws is 0): EINVAL for a queue the process does not
 * have, ENODEV otherwise.  Nothing changes.
 */
int vkfd_ioctl_alloc_queue_gws(struct file *filep, struct vkfd_process *p,
			       void *data)
{
	struct kfd_ioctl_alloc_queue_gws_args *args = data;
	int ret;

	mutex_lock(&p->lock);
	ret = xa_load(&p->queues, args->queue_id) ? -ENODEV : -EINVAL;
	mutex_unlock(&p->lock);
	return ret;
}

/*
 * A preempted queue's waves stay in the device, never in the queue's
 * CWSR area, so the saved state user space could read is empty.
 */
int vkfd_ioctl_get_queue_wave_state(struct file *filep,
				    struct vkfd_process *p, void *data)
{
	struct kfd_ioctl_get_queue_wave_state_args *args = data;
	struct vkfd_queue *q;
	int ret = 0;

	mutex_lock(&p->lock);
	q = xa_load(&p->queues, args->queue_id);
	if (!q || !vkfd_queue_is_compute(q->kfd_type))
		ret = -EINVAL;
	mutex_unlock(&p->lock);
	if (ret)
		return ret;
	args->ctl_stack_used_size = 0;
	args->save_area_used_size = 0;
	return 0;
}

/*
 * amdkfd's evict_process_queues: the first eviction preempts every mapped
 * queue of p, as amdkfd's HWS does with CWSR: the device writes where
 * each stopped into its MQD and keeps what it had in flight; the queues
 * keep their ids, doorbells and that state.  Evictions
 * nest: the queues run again when the last is restored.  Allocates
 * nothing, so the SVM's MMU notifier callback may call it.
 */
void vkfd_queue_evict(struct vkfd_process *p)
{
	struct vkfd_queue *q;
	unsigned int flags;
	unsigned long id;
	int ret;

	flags = vkfd_queues_lock_noreclaim();
	if (p->queues_evicted++)
		goto out;
	p->evict_start = get_jiffies_64();
	xa_for_each(&p->queues, id, q) {
		if (!q->mapped)
			continue;
		ret = vkfd_queue_unmap(q, true);
		if (ret)
			dev_err(&q->pdd->dev->pdev->dev,
				"eviction of queue %u failed: %d\n", q->id, ret);
		else
			q->mapped = false;
	}
out:
	vkfd_queues_unlock(flags);
}

/*
 * amdkfd's restore_process_queues: the last restore maps every active
 * queue again; each resumes where it stopped, inside the packet it was
 * running, and looks at its write pointer at once, so packets written
 * while it was off the device run.
 */
void vkfd_queue_restore(struct vkfd_process *p)
{
	struct vkfd_queue *q;
	unsigned int flags;
	unsigned long id;
	int ret;

	flags = vkfd_queues_lock_noreclaim();
	if (WARN_ON_ONCE(!p->queues_evicted) || --p->queues_evicted)
		goto out;
	/* amdkfd's evicted_ms counts whole evictions, at their restore */
	atomic64_add(get_jiffies_64() - p->evict_start, &p->evicted_jiffies);
	xa_for_each(&p->queues, id, q) {
		if (!q->active || q->mapped)
			continue;
		q->mqd->flags = cpu_to_le32(VKFD_MQD_F_CHECK_WPTR);
		ret = vkfd_queue_map(q);
		if (ret) {
			/* left inactive: UPDATE_QUEUE may map it again */
			dev_err(&q->pdd->dev->pdev->dev,
				"restore of queue %u failed: %d\n", q->id, ret);
			q->active = false;
		} else {
			q->mapped = true;
		}
	}
out:
	vkfd_queues_unlock(flags);
}

/* Teardown: every queue of p leaves the device before anything is freed. */
void vkfd_queue_destroy_all(struct vkfd_process *p)
{
	struct vkfd_queue *q;
	unsigned long id;

	mutex_lock(&p->lock);
	xa_for_each(&p->queues, id, q)
		vkfd_queue_destroy(p, q);
	if (p->queues_kobj) {
		kobject_del(p->queues_kobj);
		kobject_put(p->queues_kobj);
		p->queues_kobj = NULL;
	}
	mutex_unlock(&p->lock);
}

/* Device removal: the queues of one GPU. */
void vkfd_queue_destroy_on(struct vkfd_process_device *pdd)
{
	struct vkfd_process *p = pdd->p;
	struct vkfd_queue *q;
	unsigned long id;

	mutex_lock(&p->lock);
	xa_for_each(&p->queues, id, q)
		if (q->pdd == pdd)
			vkfd_queue_destroy(p, q);
	mutex_unlock(&p->lock);
}
