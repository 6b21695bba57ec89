// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vkfd: /dev/kfd and its ioctl dispatcher
 *
 * The dispatcher follows amdkfd's rules, which user space depends on:
 * commands are selected by number alone; the argument buffer is as large
 * as the larger of the caller's and the kernel's struct, zero-filled, and
 * copied in and out with the caller's size, so older and newer struct
 * sizes both work; only the thread group that opened the file may use it.
 */
#include <linux/compat.h>
#include <linux/fs.h>
#include <linux/module.h>
#include <linux/mount.h>
#include <linux/overflow.h>
#include <linux/pseudo_fs.h>
#include <linux/ptrace.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "vkfd_priv.h"

#define CREATE_TRACE_POINTS
#include "vkfd_trace.h"

typedef int vkfd_ioctl_fn(struct file *filep, struct vkfd_process *p,
			  void *data);

/*
 * validate, if set, looks at the argument as copied in (with the caller's
 * size) before the handler runs; when it fails, nothing is copied back.
 */
struct vkfd_ioctl_desc {
	unsigned int cmd;
	vkfd_ioctl_fn *func;
	int (*validate)(const void *kdata, unsigned int usize);
	const char *name;
	unsigned int flags;
};

/*
 * amdkfd's KFD_IOC_FLAG_CHECKPOINT_RESTORE: the file's owner or its
 * tracer may call it, with CAP_CHECKPOINT_RESTORE or CAP_SYS_ADMIN.
 */
#define VKFD_IOC_F_CHECKPOINT_RESTORE	BIT(0)

static int vkfd_major = -1;
static struct class *vkfd_class;
static struct device *vkfd_device;

struct device *vkfd_chardev_device(void)
{
	return vkfd_device;
}

/*
 * Every open /dev/kfd file maps through one anonymous inode of our own,
 * whatever device node it was opened by, so that the driver can zap a
 * context's doorbell and MMIO mappings in every process that has them
 * (vkfd_kfd_map_kill()).  DRM does the same for its nodes.
 */
#define VKFD_FS_MAGIC	0x766b6664	/* "vkfd" */

static struct vfsmount *vkfd_mnt;
static struct inode *vkfd_kfd_inode;

static int vkfd_fs_init_fs_context(struct fs_context *fc)
{
	return init_pseudo(fc, VKFD_FS_MAGIC) ? 0 : -ENOMEM;
}

static struct file_system_type vkfd_fs_type = {
	.name = "vkfd",
	.init_fs_context = vkfd_fs_init_fs_context,
	.kill_sb = kill_anon_super,
};

struct address_space *vkfd_kfd_mapping(void)
{
	return vkfd_kfd_inode->i_mapping;
}

static int vkfd_inode_init(void)
{
	vkfd_mnt = kern_mount(&vkfd_fs_type);
	if (IS_ERR(vkfd_mnt))
		return PTR_ERR(vkfd_mnt);
	vkfd_kfd_inode = alloc_anon_inode(vkfd_mnt->mnt_sb);
	if (IS_ERR(vkfd_kfd_inode)) {
		kern_unmount(vkfd_mnt);
		return PTR_ERR(vkfd_kfd_inode);
	}
	return 0;
}

static void vkfd_inode_exit(void)
{
	iput(vkfd_kfd_inode);
	kern_unmount(vkfd_mnt);
}

static int vkfd_ioctl_get_version(struct file *filep, struct vkfd_process *p,
				  void *data)
{
	struct kfd_ioctl_get_version_args *args = data;

	args->major_version = KFD_IOCTL_MAJOR_VERSION;
	args->minor_version = KFD_IOCTL_MINOR_VERSION;
	return 0;
}

/* Turn this file's primary into a new secondary kfd_process (1.19). */
static int vkfd_ioctl_create_process(struct file *filep,
				     struct vkfd_process *p, void *data)
{
	struct vkfd_process *secondary;

	/* Each file owns one kfd_process: only a primary can be replaced. */
	if (!p || !vkfd_process_is_primary(p))
		return -EINVAL;

	mutex_lock(&vkfd_lock);
	if (READ_ONCE(filep->private_data) != p) {
		/* Another thread of ours won the race on this file. */
		mutex_unlock(&vkfd_lock);
		return -EINVAL;
	}
	secondary = vkfd_process_create_secondary(p);
	if (IS_ERR(secondary)) {
		mutex_unlock(&vkfd_lock);
		return PTR_ERR(secondary);
	}
	WRITE_ONCE(filep->private_data, secondary);
	mutex_unlock(&vkfd_lock);

	/* The file's reference on the primary goes; the secondary has one. */
	vkfd_process_put(p);
	return 0;
}

/* amdkfd refuses the pre-1.0 debugger ioctls the same way. */
static int vkfd_ioctl_deprecated(struct file *filep, struct vkfd_process *p,
				 void *data)
{
	return -EPERM;
}

#define VKFD_IOCTL(ioctl, _func) \
	[_IOC_NR(AMDKFD_IOC_##ioctl)] = { \
		.cmd = AMDKFD_IOC_##ioctl, .func = _func, .name = #ioctl }
#define VKFD_IOCTL_V(ioctl, _func, _validate) \
	[_IOC_NR(AMDKFD_IOC_##ioctl)] = { \
		.cmd = AMDKFD_IOC_##ioctl, .func = _func, \
		.validate = _validate, .name = #ioctl }
#define VKFD_IOCTL_F(ioctl, _func, _flags) \
	[_IOC_NR(AMDKFD_IOC_##ioctl)] = { \
		.cmd = AMDKFD_IOC_##ioctl, .func = _func, \
		.flags = _flags, .name = #ioctl }

static const struct vkfd_ioctl_desc vkfd_ioctls[] = {
	VKFD_IOCTL(GET_VERSION, vkfd_ioctl_get_version),
	VKFD_IOCTL(CREATE_QUEUE, vkfd_ioctl_create_queue),
	VKFD_IOCTL(DESTROY_QUEUE, vkfd_ioctl_destroy_queue),
	VKFD_IOCTL(SET_MEMORY_POLICY, vkfd_ioctl_set_memory_policy),
	VKFD_IOCTL(GET_CLOCK_COUNTERS, vkfd_ioctl_get_clock_counters),
	VKFD_IOCTL(GET_PROCESS_APERTURES, vkfd_ioctl_get_process_apertures),
	VKFD_IOCTL(UPDATE_QUEUE, vkfd_ioctl_update_queue),
	VKFD_IOCTL(CREATE_EVENT, vkfd_ioctl_create_event),
	VKFD_IOCTL(DESTROY_EVENT, vkfd_ioctl_destroy_event),
	VKFD_IOCTL(SET_EVENT, vkfd_ioctl_set_event),
	VKFD_IOCTL(RESET_EVENT, vkfd_ioctl_reset_event),
	VKFD_IOCTL(WAIT_EVENTS, vkfd_ioctl_wait_events),
	VKFD_IOCTL(DBG_REGISTER_DEPRECATED, vkfd_ioctl_deprecated),
	VKFD_IOCTL(DBG_UNREGISTER_DEPRECATED, vkfd_ioctl_deprecated),
	VKFD_IOCTL(DBG_ADDRESS_WATCH_DEPRECATED, vkfd_ioctl_deprecated),
	VKFD_IOCTL(DBG_WAVE_CONTROL_DEPRECATED, vkfd_ioctl_deprecated),
	VKFD_IOCTL(SET_SCRATCH_BACKING_VA, vkfd_ioctl_set_scratch_backing_va),
	VKFD_IOCTL(GET_TILE_CONFIG, vkfd_ioctl_get_tile_config),
	VKFD_IOCTL(SET_TRAP_HANDLER, vkfd_ioctl_set_trap_handler),
	VKFD_IOCTL(GET_PROCESS_APERTURES_NEW, vkfd_ioctl_get_process_apertures_new),
	VKFD_IOCTL(ACQUIRE_VM, vkfd_ioctl_acquire_vm),
	VKFD_IOCTL(ALLOC_MEMORY_OF_GPU, vkfd_ioctl_alloc_memory),
	VKFD_IOCTL(FREE_MEMORY_OF_GPU, vkfd_ioctl_free_memory),
	VKFD_IOCTL(MAP_MEMORY_TO_GPU, vkfd_ioctl_map_memory),
	VKFD_IOCTL(UNMAP_MEMORY_FROM_GPU, vkfd_ioctl_unmap_memory),
	VKFD_IOCTL(SET_CU_MASK, vkfd_ioctl_set_cu_mask),
	VKFD_IOCTL(GET_QUEUE_WAVE_STATE, vkfd_ioctl_get_queue_wave_state),
	VKFD_IOCTL(GET_DMABUF_INFO, vkfd_ioctl_get_dmabuf_info),
	VKFD_IOCTL(IMPORT_DMABUF, vkfd_ioctl_import_dmabuf),
	VKFD_IOCTL(ALLOC_QUEUE_GWS, vkfd_ioctl_alloc_queue_gws),
	VKFD_IOCTL(SMI_EVENTS, vkfd_ioctl_smi_events),
	VKFD_IOCTL_V(SVM, vkfd_ioctl_svm, vkfd_ioctl_svm_validate),
	VKFD_IOCTL(SET_XNACK_MODE, vkfd_ioctl_set_xnack_mode),
	VKFD_IOCTL_F(CRIU_OP, vkfd_ioctl_criu, VKFD_IOC_F_CHECKPOINT_RESTORE),
	VKFD_IOCTL(AVAILABLE_MEMORY, vkfd_ioctl_available_memory),
	VKFD_IOCTL(EXPORT_DMABUF, vkfd_ioctl_export_dmabuf),
	VKFD_IOCTL(RUNTIME_ENABLE, vkfd_ioctl_runtime_enable),
	VKFD_IOCTL(DBG_TRAP, vkfd_ioctl_dbg_trap),
	VKFD_IOCTL(CREATE_PROCESS, vkfd_ioctl_create_process),
};

static bool vkfd_traced_by_current(struct vkfd_process *p)
{
	bool traced;

	rcu_read_lock();
	traced = ptrace_parent(p->lead_thread) == current;
	rcu_read_unlock();
	return traced;
}

/* Small argument structs live on the stack, as in amdkfd. */
#define VKFD_IOCTL_STACK_BYTES	128

static long vkfd_ioctl(struct file *filep, unsigned int cmd, unsigned long arg)
{
	struct vkfd_process *p = READ_ONCE(filep->private_data);
	char stack_kdata[VKFD_IOCTL_STACK_BYTES];
	const struct vkfd_ioctl_desc *desc;
	unsigned int nr = _IOC_NR(cmd);
	unsigned int usize, asize, kcmd;
	void __user *uarg = (void __user *)arg;
	char *kdata = NULL;
	int ret;

	if (nr < AMDKFD_COMMAND_START || nr >= AMDKFD_COMMAND_END ||
	    nr >= ARRAY_SIZE(vkfd_ioctls) || !vkfd_ioctls[nr].func)
		return -EINVAL;
	desc = &vkfd_ioctls[nr];
	kcmd = desc->cmd;
	usize = _IOC_SIZE(cmd);
	asize = max(usize, _IOC_SIZE(kcmd));
	trace_vkfd_ioctl_entry(task_tgid_nr(current), nr, desc->name, usize);

	/* A forked child must open /dev/kfd itself; CRIU's tracer need not. */
	if (p->lead_thread != current->group_leader &&
	    !((desc->flags & VKFD_IOC_F_CHECKPOINT_RESTORE) &&
	      vkfd_traced_by_current(p))) {
		ret = -EBADF;
		goto out;
	}
	if ((desc->flags & VKFD_IOC_F_CHECKPOINT_RESTORE) &&
	    !vkfd_criu_capable()) {
		ret = -EACCES;
		goto out;
	}
	/*
	 * After exit or exec of its address space a primary does nothing
	 * more (amdkfd's ESRCH); handlers that create something check again
	 * under their lock.
	 */
	if (READ_ONCE(p->torn_down) && desc->func != vkfd_ioctl_get_version) {
		ret = -ESRCH;
		goto out;
	}

	if (_IOC_DIR(kcmd) & (_IOC_READ | _IOC_WRITE)) {
		if (asize <= sizeof(stack_kdata)) {
			kdata = stack_kdata;
		} else {
			kdata = kmalloc(asize, GFP_KERNEL);
			if (!kdata) {
				ret = -ENOMEM;
				goto out;
			}
		}
		if (_IOC_DIR(kcmd) & _IOC_WRITE) {
			if (copy_from_user(kdata, uarg, usize)) {
				ret = -EFAULT;
				goto out;
			}
		} else {
			memset(kdata, 0, usize);
		}
		if (asize > usize)
			memset(kdata + usize, 0, asize - usize);
	}

	if (desc->validate) {
		ret = desc->validate(kdata, usize);
		if (ret)
			goto out;
	}
	ret = desc->func(filep, p, kdata);

	/* Results go back even on failure, as amdkfd does. */
	if ((_IOC_DIR(kcmd) & _IOC_READ) && copy_to_user(uarg, kdata, usize))
		ret = -EFAULT;
out:
	if (kdata != stack_kdata)
		kfree(kdata);
	trace_vkfd_ioctl_result(task_tgid_nr(current), nr, desc->name, ret);
	return ret;
}

static int vkfd_open(struct inode *inode, struct file *filep)
{
	struct vkfd_process *p;

	if (iminor(inode) != 0)
		return -ENODEV;
	/* amdkfd serves 64-bit processes only. */
	if (in_compat_syscall())
		return -EPERM;
	p = vkfd_process_open();
	if (IS_ERR(p))
		return PTR_ERR(p);
	filep->private_data = p;
	filep->f_mapping = vkfd_kfd_mapping();
	return 0;
}

/* Doorbell and MMIO remap pages, for the thread group that opened us. */
static int vkfd_mmap(struct file *filep, struct vm_area_struct *vma)
{
	struct vkfd_process *p = READ_ONCE(filep->private_data);

	if (p->lead_thread != current->group_leader)
		return -EBADF;
	return vkfd_mem_kfd_mmap(p, vma);
}

static int vkfd_release(struct inode *inode, struct file *filep)
{
	vkfd_process_file_release(filep->private_data);
	return 0;
}

static const struct file_operations vkfd_fops = {
	.owner = THIS_MODULE,
	.open = vkfd_open,
	.release = vkfd_release,
	.unlocked_ioctl = vkfd_ioctl,
	.mmap = vkfd_mmap,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = noop_llseek,
};

static char *vkfd_devnode(struct device *dev, umode_t *mode)
{
	if (mode)
		*mode = 0666;
	return NULL;
}

/* /dev/kfd: class "kfd", device "kfd", as user space looks for them. */
int vkfd_chardev_init(void)
{
	int ret;

	ret = vkfd_inode_init();
	if (ret)
		return ret;
	vkfd_major = register_chrdev(0, "kfd", &vkfd_fops);
	if (vkfd_major < 0) {
		vkfd_inode_exit();
		return vkfd_major;
	}

	vkfd_class = class_create(THIS_MODULE, "kfd");
	if (IS_ERR(vkfd_class)) {
		ret = PTR_ERR(vkfd_class);
		goto err_chrdev;
	}
	vkfd_class->devnode = vkfd_devnode;

	vkfd_device = device_create(vkfd_class, NULL, MKDEV(vkfd_major, 0),
				    NULL, "kfd");
	if (IS_ERR(vkfd_device)) {
		ret = PTR_ERR(vkfd_device);
		goto err_class;
	}
	ret = vkfd_topology_init(&vkfd_device->kobj);
	if (ret)
		goto err_device;
	ret = vkfd_proc_sysfs_init(&vkfd_device->kobj);
	if (ret)
		goto err_topology;
	return 0;

err_topology:
	vkfd_topology_exit();
err_device:
	device_destroy(vkfd_class, MKDEV(vkfd_major, 0));
err_class:
	class_destroy(vkfd_class);
err_chrdev:
	unregister_chrdev(vkfd_major, "kfd");
	vkfd_inode_exit();
	return ret;
}

void vkfd_chardev_exit(void)
{
	vkfd_proc_sysfs_exit();
	vkfd_topology_exit();
	device_destroy(vkfd_class, MKDEV(vkfd_major, 0));
	class_destroy(vkfd_class);
	unregister_chrdev(vkfd_major, "kfd");
	vkfd_inode_exit();
}
