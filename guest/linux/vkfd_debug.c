// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vkfd: RUNTIME_ENABLE, DBG_TRAP and CRIU_OP
 *
 * RUNTIME_ENABLE is the runtime's (ROCr 6 and later) announcement that it
 * is about to create queues, kept per kfd_process as amdkfd keeps it.
 * vkfd has no debugger: its topology leaves the debug capability bits
 * clear, and DBG_TRAP answers every op as amdkfd answers for a target
 * that has never been debug-enabled, on a GPU it cannot debug.  It has
 * no checkpoint/restore either: CRIU_OP checks what amdkfd checks first
 * and refuses only the two ops that would have to do something.
 * docs/driver.md ("Runtime, debugger and CRIU") lists the errno of each
 * path.
 */
#include <linux/capability.h>
#include <linux/pid.h>
#include <linux/ptrace.h>
#include <linux/sched/mm.h>
#include <linux/sched/task.h>

#include "vkfd_priv.h"

/*
 * The primary of mm with a new reference, as amdkfd's lookup by pid finds
 * it: secondaries are never found, nor a primary whose address space has
 * gone (it left the mm hash at teardown).
 */
static struct vkfd_process *vkfd_primary_of_mm(struct mm_struct *mm)
{
	struct vkfd_process *p, *found = NULL;

	mutex_lock(&vkfd_lock);
	list_for_each_entry(p, &vkfd_processes, all) {
		if (!vkfd_process_is_primary(p) || p->mm != mm ||
		    hlist_unhashed(&p->mm_node))
			continue;
		if (kref_get_unless_zero(&p->ref))
			found = p;
		break;
	}
	mutex_unlock(&vkfd_lock);
	return found;
}

/* The primary of the thread group pid names (its mm), or NULL. */
static struct vkfd_process *vkfd_primary_of_pid(struct pid *pid)
{
	struct vkfd_process *p = NULL;
	struct task_struct *task;
	struct mm_struct *mm;

	task = get_pid_task(pid, PIDTYPE_PID);
	if (!task)
		return NULL;
	mm = get_task_mm(task);
	if (mm) {
		p = vkfd_primary_of_mm(mm);
		mmput(mm);
	}
	put_task_struct(task);
	return p;
}

/*
 * RUNTIME_ENABLE, under p->lock as queue creation, so that "no queue yet"
 * holds until the state is set.  Enabling needs the runtime disabled
 * (EBUSY) and no queue in this kfd_process (EEXIST); the mode's trap
 * temporary setup (TTMP_SAVE) asks the GPU to fill TTMPs at every wave
 * launch, which vkfd's shader core does not do, so that mode is refused
 * with ENODEV, amdkfd's answer for a GPU that cannot take part in
 * debugging.  Disabling always succeeds and forgets r_debug.  Other
 * mode bits are ignored and capabilities_mask is neither read nor
 * written, as in amdkfd.  A secondary has its own state.
 */
int vkfd_ioctl_runtime_enable(struct file *filep, struct vkfd_process *p,
			      void *data)
{
	struct kfd_ioctl_runtime_enable_args *args = data;
	int ret = 0;

	mutex_lock(&p->lock);
	if (!(args->mode_mask & KFD_RUNTIME_ENABLE_MODE_ENABLE_MASK)) {
		p->runtime_state = DEBUG_RUNTIME_STATE_DISABLED;
		p->runtime_r_debug = 0;
	} else if (p->runtime_state != DEBUG_RUNTIME_STATE_DISABLED) {
		ret = -EBUSY;
	} else if (!xa_empty(&p->queues)) {
		ret = -EEXIST;
	} else if (args->mode_mask & KFD_RUNTIME_ENABLE_MODE_TTMP_SAVE_MASK) {
		pr_info_ratelimited("vkfd: RUNTIME_ENABLE (pid %d): trap temporary setup is not supported\n",
				    task_pid_nr(current));
		ret = -ENODEV;
	} else {
		p->runtime_state = DEBUG_RUNTIME_STATE_ENABLED;
		p->runtime_r_debug = args->r_debug;
	}
	mutex_unlock(&p->lock);
	return ret;
}

/*
 * DBG_TRAP, in amdkfd's order of checks: the caller must be a primary
 * (EOPNOTSUPP); the pid must name a live thread with an address space
 * (ESRCH) whose thread group has a primary (ESRCH); another process must
 * be our tracee (EPERM) unless the op is DISABLE.  Then every op but
 * ENABLE needs a debug-enabled target, which no vkfd process ever is
 * (EINVAL, unknown ops included), and ENABLE finds a GPU it cannot debug
 * (ENODEV).  amdkfd would first create a kfd_process for a tracee that
 * has none and then refuse it the same way (or with EPERM when only a
 * thread of it, not its leader, is traced); vkfd creates none.
 */
int vkfd_ioctl_dbg_trap(struct file *filep, struct vkfd_process *p,
			void *data)
{
	struct kfd_ioctl_dbg_trap_args *args = data;
	struct vkfd_process *target = NULL;
	struct task_struct *thread = NULL;
	struct mm_struct *mm = NULL;
	struct pid *pid;
	bool tracee, leader_traced;
	int ret;

	if (!vkfd_process_is_primary(p))
		return -EOPNOTSUPP;

	pid = find_get_pid(args->pid);
	if (!pid)
		return -ESRCH;
	ret = -ESRCH;
	thread = get_pid_task(pid, PIDTYPE_PID);
	if (!thread)
		goto out;
	mm = get_task_mm(thread);
	if (!mm)
		goto out;
	target = vkfd_primary_of_mm(mm);
	if (!target) {
		rcu_read_lock();
		tracee = thread != current && ptrace_parent(thread) == current;
		leader_traced = ptrace_parent(thread->group_leader) == current;
		rcu_read_unlock();
		if (args->op == KFD_IOC_DBG_TRAP_ENABLE && tracee)
			ret = leader_traced ? -ENODEV : -EPERM;
		goto out;
	}

	ret = 0;
	rcu_read_lock();
	if (target != p && args->op != KFD_IOC_DBG_TRAP_DISABLE &&
	    ptrace_parent(target->lead_thread) != current)
		ret = -EPERM;
	rcu_read_unlock();
	if (ret)
		goto out;
	ret = args->op == KFD_IOC_DBG_TRAP_ENABLE ? -ENODEV : -EINVAL;
out:
	if (target)
		vkfd_process_put(target);
	if (mm)
		mmput(mm);
	if (thread)
		put_task_struct(thread);
	put_pid(pid);
	return ret;
}

/*
 * CRIU_OP (the dispatcher has checked CAP_CHECKPOINT_RESTORE or
 * CAP_SYS_ADMIN).  CHECKPOINT and UNPAUSE need queues that PROCESS_INFO
 * paused, and RESUME a process that RESTORE is restoring: vkfd never
 * does either, so they fail with amdkfd's EINVAL.  PROCESS_INFO and a
 * well-formed RESTORE would have to act: EOPNOTSUPP, logged.
 */
int vkfd_ioctl_criu(struct file *filep, struct vkfd_process *p, void *data)
{
	struct kfd_ioctl_criu_args *args = data;
	struct vkfd_process *target;
	struct pid *pid;
	bool no_gpu;

	switch (args->op) {
	case KFD_CRIU_OP_PROCESS_INFO:
		mutex_lock(&vkfd_lock);
		no_gpu = list_empty(&p->pdds);
		mutex_unlock(&vkfd_lock);
		if (no_gpu)
			return -ENODEV;
		break;
	case KFD_CRIU_OP_CHECKPOINT:
	case KFD_CRIU_OP_UNPAUSE:
		return -EINVAL;
	case KFD_CRIU_OP_RESTORE:
		if ((args->num_bos && !args->bos) || !args->devices ||
		    !args->priv_data || !args->priv_data_size ||
		    !args->num_devices)
			return -EINVAL;
		break;
	case KFD_CRIU_OP_RESUME:
		pid = find_get_pid(args->pid);
		if (!pid)
			return -ESRCH;
		target = vkfd_primary_of_pid(pid);
		put_pid(pid);
		if (!target)
			return -ESRCH;
		vkfd_process_put(target);
		return -EINVAL;
	default:
		return -EINVAL;
	}
	pr_info_ratelimited("vkfd: CRIU_OP %u (pid %d): checkpoint/restore is not supported\n",
			    args->op, task_pid_nr(current));
	return -EOPNOTSUPP;
}

/* CRIU_OP's privilege, checked before its argument is copied in. */
bool vkfd_criu_capable(void)
{
	return capable(CAP_CHECKPOINT_RESTORE) || capable(CAP_SYS_ADMIN);
}
