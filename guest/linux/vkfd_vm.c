// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vkfd: ioctls about a process's GPU address spaces
 *
 * ACQUIRE_VM binds a kfd_process (primary or secondary) to a GPU; the
 * aperture queries tell user space where the GPU's address-space windows
 * are; SET_MEMORY_POLICY records the cache policy; GET_CLOCK_COUNTERS
 * pairs the GPU clock with the CPU clocks.
 */
#include <linux/file.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>
#include <linux/uaccess.h>

#include "vkfd_priv.h"

/*
 * The apertures of a GFX9 dGPU as amdkfd reports them: LDS and scratch
 * are 4 GiB windows at fixed non-canonical bases (VKFD_LDS_BASE and
 * VKFD_SCRATCH_BASE in vkfd_hw.h, which the device's shader core uses
 * too); the GPUVM window is the lower canonical half of a 48-bit space,
 * less the first 64 KiB.
 */
/* more GPUs than a guest can have: bounds the kernel's buffer */
#define VKFD_MAX_APERTURES	128

int vkfd_ioctl_acquire_vm(struct file *filep, struct vkfd_process *p,
			  void *data)
{
	struct kfd_ioctl_acquire_vm_args *args = data;
	struct vkfd_process_device *pdd;
	struct file *drm_file;
	int ret;

	drm_file = fget(args->drm_fd);
	if (!drm_file)
		return -EINVAL;

	mutex_lock(&vkfd_lock);
	pdd = vkfd_process_device(p, args->gpu_id);
	if (!pdd) {
		ret = -EINVAL;
	} else if (pdd->drm_file) {
		/* Once per GPU; again with the same file is harmless. */
		ret = pdd->drm_file == drm_file ? 0 : -EBUSY;
	} else {
		ret = vkfd_process_device_bind(pdd, drm_file);
		if (!ret)
			drm_file = NULL;	/* pdd holds the reference now */
	}
	mutex_unlock(&vkfd_lock);
	if (drm_file)
		fput(drm_file);
	return ret;
}

static void vkfd_fill_apertures(struct vkfd_process_device *pdd,
				struct kfd_process_device_apertures *pa)
{
	memset(pa, 0, sizeof(*pa));
	pa->gpu_id = pdd->dev->gpu_id;
	pa->lds_base = VKFD_LDS_BASE;
	pa->lds_limit = VKFD_APERTURE_LIMIT(VKFD_LDS_BASE);
	pa->scratch_base = VKFD_SCRATCH_BASE;
	pa->scratch_limit = VKFD_APERTURE_LIMIT(VKFD_SCRATCH_BASE);
	pa->gpuvm_base = VKFD_GPUVM_BASE;
	pa->gpuvm_limit = VKFD_GPUVM_LIMIT;
}

/* The old form: at most NUM_OF_SUPPORTED_GPUS entries inside the args. */
int vkfd_ioctl_get_process_apertures(struct file *filep,
				     struct vkfd_process *p, void *data)
{
	struct kfd_ioctl_get_process_apertures_args *args = data;
	struct vkfd_process_device *pdd;
	u32 n = 0;

	mutex_lock(&p->lock);
	list_for_each_entry(pdd, &p->pdds, node) {
		if (n == NUM_OF_SUPPORTED_GPUS)
			break;
		vkfd_fill_apertures(pdd, &args->process_apertures[n++]);
	}
	mutex_unlock(&p->lock);
	args->num_of_nodes = n;
	return 0;
}

/*
 * With num_of_nodes 0, the count; else up to that many entries.  They
 * are gathered under p->lock and copied out after it: a caller whose
 * page fault stalls must hold up nobody but itself.
 */
int vkfd_ioctl_get_process_apertures_new(struct file *filep,
					 struct vkfd_process *p, void *data)
{
	struct kfd_ioctl_get_process_apertures_new_args *args = data;
	struct kfd_process_device_apertures *pa;
	struct vkfd_process_device *pdd;
	u32 n = 0, want = args->num_of_nodes;
	int ret = 0;

	if (want)
		want = min_t(u32, want, VKFD_MAX_APERTURES);
	pa = kcalloc(max(want, 1U), sizeof(*pa), GFP_KERNEL);
	if (!pa)
		return -ENOMEM;
	mutex_lock(&p->lock);
	list_for_each_entry(pdd, &p->pdds, node) {
		if (want && n < want)
			vkfd_fill_apertures(pdd, &pa[n]);
		n++;
	}
	mutex_unlock(&p->lock);
	/* the count goes back even when the array cannot be written, as amdkfd */
	if (want)
		n = min(n, want);
	args->num_of_nodes = n;
	if (want && n &&
	    copy_to_user(u64_to_user_ptr(args->kfd_process_device_apertures_ptr),
			 pa, n * sizeof(*pa)))
		ret = -EFAULT;
	kfree(pa);
	return ret;
}

static bool vkfd_cache_policy_valid(u32 policy)
{
	return policy == KFD_IOC_CACHE_POLICY_COHERENT ||
	       policy == KFD_IOC_CACHE_POLICY_NONCOHERENT;
}

int vkfd_ioctl_set_memory_policy(struct file *filep, struct vkfd_process *p,
				 void *data)
{
	struct kfd_ioctl_set_memory_policy_args *args = data;
	struct vkfd_process_device *pdd;
	int ret = 0;

	if (!vkfd_cache_policy_valid(args->default_policy) ||
	    !vkfd_cache_policy_valid(args->alternate_policy))
		return -EINVAL;

	/* not bound: ESRCH, as amdkfd */
	mutex_lock(&p->lock);
	pdd = vkfd_process_bound_pdd(p, args->gpu_id, -ESRCH);
	ret = PTR_ERR_OR_ZERO(pdd);
	if (!ret) {
		pdd->default_policy = args->default_policy;
		pdd->alternate_policy = args->alternate_policy;
		pdd->alternate_aperture_base = args->alternate_aperture_base;
		pdd->alternate_aperture_size = args->alternate_aperture_size;
		pdd->misc_process_flag = args->misc_process_flag;
	}
	mutex_unlock(&p->lock);
	return ret;
}

/*
 * The device's clock latches its high half when the low half is read: a
 * lock of its own, not sched_lock, which device commands hold while they
 * wait for the device.
 */
static u64 vkfd_read_gpu_clock(struct vkfd_dev *dev)
{
	u32 lo, hi;

	spin_lock(&dev->clock_lock);
	lo = readl(dev->regs + VKFD_REG_CLOCK_LO);
	hi = readl(dev->regs + VKFD_REG_CLOCK_HI);
	spin_unlock(&dev->clock_lock);
	return (u64)hi << 32 | lo;
}

/*
 * libhsakmt reads the clocks often: the GPU is found through the
 * caller's own per-device data, under its own lock, so that no other
 * process's device commands (run under vkfd_lock) hold the read up.
 */
int vkfd_ioctl_get_clock_counters(struct file *filep, struct vkfd_process *p,
				  void *data)
{
	struct kfd_ioctl_get_clock_counters_args *args = data;
	struct vkfd_process_device *pdd;

	mutex_lock(&p->lock);
	pdd = vkfd_process_device(p, args->gpu_id);
	args->gpu_clock_counter = pdd ? vkfd_read_gpu_clock(pdd->dev) : 0;
	mutex_unlock(&p->lock);

	args->cpu_clock_counter = ktime_get_raw_ns();
	args->system_clock_counter = ktime_get_boottime_ns();
	args->system_clock_freq = NSEC_PER_SEC;
	return 0;
}

/* Hand pdd's trap handler to its device context (SET_TRAP). */
int vkfd_pdd_send_trap(struct vkfd_process_device *pdd, u64 tba, u64 tma)
{
	struct vkfd_cmd_set_trap st = {
		.tba = cpu_to_le64(tba),
		.tma = cpu_to_le64(tma),
	};

	return vkfd_sched_submit(pdd->dev, VKFD_CMD_SET_TRAP, pdd->ctx_id,
				 &st, sizeof(st));
}

/*
 * SET_TRAP_HANDLER, as amdkfd: EINVAL for a GPU the process does not know,
 * ESRCH when it cannot use the GPU (not bound through ACQUIRE_VM, or torn
 * down).  The addresses go to the device context (SET_TRAP), where the
 * shader core finds them when a wave traps; nothing checks them before,
 * as on the real GPU.  The command is sent under p->lock, as MAP_QUEUE
 * is: pdd stays bound meanwhile (teardown marks it dying under p->lock
 * before it unmaps the context), and what the pdd records is what the
 * device has.  p->lock is only ever held briefly (never across user
 * memory), so no other process waits on it.  If the device refuses,
 * nothing changes.
 */
int vkfd_ioctl_set_trap_handler(struct file *filep, struct vkfd_process *p,
				void *data)
{
	struct kfd_ioctl_set_trap_handler_args *args = data;
	struct vkfd_process_device *pdd;
	int ret;

	mutex_lock(&p->lock);
	pdd = vkfd_process_bound_pdd(p, args->gpu_id, -ESRCH);
	ret = PTR_ERR_OR_ZERO(pdd);
	if (!ret)
		ret = vkfd_pdd_send_trap(pdd, args->tba_addr, args->tma_addr);
	if (!ret) {
		pdd->tba_addr = args->tba_addr;
		pdd->tma_addr = args->tma_addr;
	}
	mutex_unlock(&p->lock);
	return ret;
}

/*
 * SET_XNACK_MODE as amdkfd answers for GFX9 GPUs without XNACK (retry on
 * page faults): the mode is always off.  A negative argument queries it;
 * changing the mode needs a process without queues (EBUSY), and turning
 * it on is refused (EPERM), in that order.
 */
int vkfd_ioctl_set_xnack_mode(struct file *filep, struct vkfd_process *p,
			      void *data)
{
	struct kfd_ioctl_set_xnack_mode_args *args = data;
	int ret = 0;

	if (args->xnack_enabled < 0) {
		args->xnack_enabled = 0;
		return 0;
	}
	mutex_lock(&p->lock);
	if (!xa_empty(&p->queues))
		ret = -EBUSY;
	else if (args->xnack_enabled)
		ret = -EPERM;
	mutex_unlock(&p->lock);
	return ret;
}
