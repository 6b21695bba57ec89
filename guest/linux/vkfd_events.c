// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vkfd: events -- CREATE/DESTROY/SET/RESET/WAIT_EVENTS and the events page
 *
 * A signal event owns one 8-byte slot of the process's events page; its
 * id is the slot index.  The GPU signals it by writing the slot (anything
 * but all-ones) and raising an interrupt tagged with the id; the driver
 * acknowledges the slot (all-ones again) and sets the event.  User space
 * sets and resets signal events itself too, and sleeps in WAIT_EVENTS.
 * Memory and hardware-exception events are set by VM faults and queue
 * errors.  amdkfd's rules throughout (docs/events.md).
 *
 * Two locks: events_lock (a mutex) orders the ioctls that may sleep --
 * creating, destroying, mapping the page, teardown; events_irq_lock (a
 * spinlock, interrupts off) guards what the interrupt path touches: the
 * page pointer and its slot count, which slot events exist, and every
 * event's state.  The IH ring's hard-IRQ handler signals events under
 * the spinlock alone, so a wake-up needs no thread hop.
 */
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>

#include "vkfd_priv.h"
#include "vkfd_trace.h"

#define VKFD_EVENTS_PAGE_BYTES	(KFD_SIGNAL_EVENT_LIMIT * 8)
#define VKFD_SLOT_UNSIGNALED	(~0ULL)
/* until the page is mapped, amdkfd offers the first 256 slots only */
#define VKFD_SLOTS_UNMAPPED	256
#define VKFD_OTHER_EVENT_BASE	0x40000000U

struct vkfd_event {
	u32 id;
	u32 type;
	bool auto_reset;
	bool signaled;
	u64 age;			/* starts at 1, +1 per set, skips 0 and 1 */
	struct kfd_hsa_memory_exception_data memory;
	struct kfd_hsa_hw_exception_data hw;
};

static bool vkfd_event_type_valid(u32 type)
{
	return type <= KFD_IOC_EVENT_MEMORY;
}

static bool vkfd_event_has_slot(u32 type)
{
	return type == KFD_IOC_EVENT_SIGNAL || type == KFD_IOC_EVENT_DEBUG_EVENT;
}

/* Set ev; the caller wakes the waiters (vkfd_events_wake_locked). */
static void vkfd_event_mark_locked(struct vkfd_process *p,
				   struct vkfd_event *ev)
{
	lockdep_assert_held(&p->events_irq_lock);
	trace_vkfd_event_signal(p->tgid, ev->id, ev->type);
	ev->signaled = true;
	ev->age = ev->age == U64_MAX ? 2 : ev->age + 1;
}

static void vkfd_events_wake_locked(struct vkfd_process *p)
{
	p->event_gen++;
	wake_up_all(&p->event_wq);
}

static void vkfd_event_set_locked(struct vkfd_process *p, struct vkfd_event *ev)
{
	vkfd_event_mark_locked(p, ev);
	vkfd_events_wake_locked(p);
}

/* The events page: kernel memory, or the pages of a user's GTT BO. */
static void vkfd_events_page_publish(struct vkfd_process *p, u64 *page,
				     u32 slots)
{
	spin_lock_irq(&p->events_irq_lock);
	p->events_page = page;
	p->events_slots = slots;
	spin_unlock_irq(&p->events_irq_lock);
}

static int vkfd_events_page_kernel(struct vkfd_process *p)
{
	u64 *page = vmalloc_user(VKFD_EVENTS_PAGE_BYTES);

	if (!page)
		return -ENOMEM;
	memset(page, 0xff, VKFD_EVENTS_PAGE_BYTES);
	p->events_page_kernel = true;
	vkfd_events_page_publish(p, page, VKFD_SLOTS_UNMAPPED);
	return 0;
}

int vkfd_ioctl_create_event(struct file *filep, struct vkfd_process *p,
			    void *data)
{
	struct kfd_ioctl_create_event_args *args = data;
	struct vkfd_event *ev;
	u64 *page;
	u32 id, slots;
	int ret;

	if (!vkfd_event_type_valid(args->event_type))
		return -EINVAL;

	mutex_lock(&p->events_lock);
	if (args->event_page_offset) {
		/* dGPU path: user space brings the page as a GTT BO */
		ret = -EINVAL;
		if (p->events_page)
			goto out;
		mutex_lock(&p->lock);
		ret = vkfd_mem_map_events_page(p, args->event_page_offset,
					       &page, &slots);
		mutex_unlock(&p->lock);
		if (ret)
			goto out;
		vkfd_events_page_publish(p, page, slots);
		p->events_page_handle = args->event_page_offset;
	}

	ev = kzalloc(sizeof(*ev), GFP_KERNEL_ACCOUNT);
	ret = -ENOMEM;
	if (!ev)
		goto out;
	ev->type = args->event_type;
	ev->auto_reset = !!args->auto_reset;
	ev->age = 1;

	if (vkfd_event_has_slot(ev->type)) {
		if (!p->events_page) {
			ret = vkfd_events_page_kernel(p);
			if (ret)
				goto err_free;
		}
		ret = xa_alloc_irq(&p->events, &id, ev,
				   XA_LIMIT(1, p->events_slots - 1),
				   GFP_KERNEL);
		if (ret) {
			ret = ret == -EBUSY ? -ENOSPC : ret;
			goto err_free;
		}
		WRITE_ONCE(p->events_page[id], VKFD_SLOT_UNSIGNALED);
		/* as amdkfd: also when the page is the user's own BO */
		args->event_page_offset = VKFD_MMAP_TYPE_EVENTS;
		args->event_trigger_data = id;
		args->event_slot_index = id;
	} else {
		/* ids are plenty, kernel memory is not: a per-process cap */
		ret = -ENOSPC;
		if (p->nr_other_events >= VKFD_MAX_OTHER_EVENTS)
			goto err_free;
		ret = xa_alloc_irq(&p->events, &id, ev,
				   XA_LIMIT(VKFD_OTHER_EVENT_BASE, INT_MAX),
				   GFP_KERNEL_ACCOUNT);
		if (ret)
			goto err_free;
		p->nr_other_events++;
		args->event_page_offset = 0;
		args->event_trigger_data = id;
		args->event_slot_index = 0;
	}
	ev->id = id;
	args->event_id = id;
	mutex_unlock(&p->events_lock);
	return 0;

err_free:
	kfree(ev);
out:
	mutex_unlock(&p->events_lock);
	return ret;
}

int vkfd_ioctl_destroy_event(struct file *filep, struct vkfd_process *p,
			     void *data)
{
	struct kfd_ioctl_destroy_event_args *args = data;
	struct vkfd_event *ev;

	mutex_lock(&p->events_lock);
	/* after this the interrupt path can no longer hold ev */
	spin_lock_irq(&p->events_irq_lock);
	/* the xarray's own lock nests here: IRQ-safe (XA_FLAGS_LOCK_IRQ) */
	xa_lock(&p->events);
	ev = __xa_erase(&p->events, args->event_id);
	xa_unlock(&p->events);
	if (ev && vkfd_event_has_slot(ev->type))
		WRITE_ONCE(p->events_page[ev->id], VKFD_SLOT_UNSIGNALED);
	else if (ev)
		p->nr_other_events--;
	p->event_gen++;
	spin_unlock_irq(&p->events_irq_lock);
	mutex_unlock(&p->events_lock);
	if (!ev)
		return -EINVAL;
	/* waiters find it gone and fail */
	wake_up_all(&p->event_wq);
	kfree(ev);
	return 0;
}

static int vkfd_event_set_reset(struct vkfd_process *p, u32 id, bool set)
{
	struct vkfd_event *ev;
	int ret = 0;

	spin_lock_irq(&p->events_irq_lock);
	ev = xa_load(&p->events, id);
	if (!ev || ev->type != KFD_IOC_EVENT_SIGNAL)
		ret = -EINVAL;
	else if (set)
		vkfd_event_set_locked(p, ev);
	else
		ev->signaled = false;
	spin_unlock_irq(&p->events_irq_lock);
	return ret;
}

int vkfd_ioctl_set_event(struct file *filep, struct vkfd_process *p,
			 void *data)
{
	return vkfd_event_set_reset(p, ((struct kfd_ioctl_set_event_args *)
					data)->event_id, true);
}

int vkfd_ioctl_reset_event(struct file *filep, struct vkfd_process *p,
			   void *data)
{
	return vkfd_event_set_reset(p, ((struct kfd_ioctl_reset_event_args *)
					data)->event_id, false);
}

/*
 * One pass over the waited-for events, under events_irq_lock: which are
 * activated (consuming auto-reset ones), and the data to hand back.
 * Returns the count activated, or -EINVAL if one no longer exists.
 */
static int vkfd_wait_check(struct vkfd_process *p, struct kfd_event_data *ed,
			   u32 n, bool *active)
{
	int count = 0;
	u32 i;

	for (i = 0; i < n; i++) {
		struct vkfd_event *ev = xa_load(&p->events, ed[i].event_id);
		u64 seen;

		if (!ev)
			return -EINVAL;
		if (active[i]) {
			count++;
			continue;
		}
		seen = ed[i].signal_event_data.last_event_age;
		if (ev->signaled) {
			active[i] = true;
			if (ev->auto_reset)
				ev->signaled = false;
		} else if (ev->type == KFD_IOC_EVENT_SIGNAL && seen &&
			   seen != ev->age) {
			active[i] = true;
		}
		if (!active[i])
			continue;
		count++;
		if (ev->type == KFD_IOC_EVENT_MEMORY)
			ed[i].memory_exception_data = ev->memory;
		else if (ev->type == KFD_IOC_EVENT_HW_EXCEPTION)
			ed[i].hw_exception_data = ev->hw;
		else if (ev->type == KFD_IOC_EVENT_SIGNAL && seen)
			ed[i].signal_event_data.last_event_age = ev->age;
	}
	return count;
}

/*
 * Most waits are on one event or a few (libhsakmt's hsaKmtWaitOnEvent is
 * one): those need no allocation.
 */
#define VKFD_WAIT_ON_STACK	4

int vkfd_ioctl_wait_events(struct file *filep, struct vkfd_process *p,
			   void *data)
{
	struct kfd_ioctl_wait_events_args *args = data;
	void __user *uptr = u64_to_user_ptr(args->events_ptr);
	u32 n = args->num_events, need;
	struct kfd_event_data ed_few[VKFD_WAIT_ON_STACK], *ed = ed_few;
	bool active_few[VKFD_WAIT_ON_STACK] = { }, *active = active_few;
	unsigned long deadline = 0;
	bool infinite = args->timeout == 0xffffffff;
	bool first = true;
	int ret = 0, count;

	args->wait_result = KFD_IOC_WAIT_RESULT_FAIL;
	if (n > KFD_SIGNAL_EVENT_LIMIT * 2)
		return -EINVAL;
	if (n > VKFD_WAIT_ON_STACK) {
		ed = kvmalloc_array(n, sizeof(*ed), GFP_KERNEL);
		active = kvcalloc(n, sizeof(*active), GFP_KERNEL);
		if (!ed || !active) {
			ret = -ENOMEM;
			goto out;
		}
	}
	if (copy_from_user(ed, uptr, array_size(n, sizeof(*ed)))) {
		ret = -EFAULT;
		goto out;
	}
	need = args->wait_for_all ? n : min(n, 1U);
	if (!infinite)
		deadline = jiffies +
			   msecs_to_jiffies(min(args->timeout, 0x7fffffffU));

	for (;;) {
		unsigned long gen;
		long left;

		spin_lock_irq(&p->events_irq_lock);
		gen = p->event_gen;
		count = vkfd_wait_check(p, ed, n, active);
		spin_unlock_irq(&p->events_irq_lock);
		if (count < 0) {
			/* unknown at the start, or destroyed while we waited */
			ret = first ? -EINVAL : -EIO;
			break;
		}
		first = false;
		if (count >= need) {
			args->wait_result = KFD_IOC_WAIT_RESULT_COMPLETE;
			break;
		}
		if (!infinite && time_after_eq(jiffies, deadline)) {
			args->wait_result = KFD_IOC_WAIT_RESULT_TIMEOUT;
			break;
		}
		left = infinite ? MAX_SCHEDULE_TIMEOUT
				: (long)(deadline - jiffies);
		left = wait_event_interruptible_timeout(p->event_wq,
							READ_ONCE(p->event_gen) != gen,
							left);
		if (left < 0 || signal_pending(current)) {
			unsigned long rest = 0;

			if (time_after(deadline, jiffies))
				rest = deadline - jiffies;
			if (!infinite)
				args->timeout = jiffies_to_msecs(rest);
			ret = fatal_signal_pending(current) ? -EINTR
							    : -ERESTARTSYS;
			break;
		}
	}
	if (!ret && copy_to_user(uptr, ed, array_size(n, sizeof(*ed))))
		ret = -EFAULT;
out:
	if (ret)
		args->wait_result = KFD_IOC_WAIT_RESULT_FAIL;
	if (ed != ed_few) {
		kvfree(active);
		kvfree(ed);
	}
	return ret;
}

/*
 * A GPU signalled event id (or, if id is not usable, some event): ack
 * every signalled slot that matches and set its event.  Interrupt path:
 * also from the IH ring's hard-IRQ handler, so it never sleeps.
 */
void vkfd_events_signal(struct vkfd_process *p, u32 id, bool id_valid)
{
	struct vkfd_event *ev;
	unsigned long i, flags;

	spin_lock_irqsave(&p->events_irq_lock, flags);
	if (!p->events_page)
		goto out;
	if (id_valid && id < p->events_slots) {
		ev = xa_load(&p->events, id);
		if (ev && vkfd_event_has_slot(ev->type) &&
		    READ_ONCE(p->events_page[id]) != VKFD_SLOT_UNSIGNALED) {
			WRITE_ONCE(p->events_page[id], VKFD_SLOT_UNSIGNALED);
			vkfd_event_mark_locked(p, ev);
			goto out;
		}
	}
	/* the id did not say: look at every slot */
	xa_for_each_range(&p->events, i, ev, 1, p->events_slots - 1) {
		if (!vkfd_event_has_slot(ev->type) ||
		    READ_ONCE(p->events_page[i]) == VKFD_SLOT_UNSIGNALED)
			continue;
		WRITE_ONCE(p->events_page[i], VKFD_SLOT_UNSIGNALED);
		vkfd_event_mark_locked(p, ev);
	}
out:
	/* one wake-up for whatever was set (or to make waiters look again) */
	vkfd_events_wake_locked(p);
	spin_unlock_irqrestore(&p->events_irq_lock, flags);
}

/*
 * A VM fault or queue error: every memory / HW-exception event is set.
 * fault_flags: the IH entry's VKFD_VM_FAULT_* bits.  As amdkfd reports a
 * GPUVM protection fault: NotPresent when the page was not mapped,
 * ReadOnly for a write to a page mapped without write permission.
 */
void vkfd_events_exception(struct vkfd_process *p, u32 gpu_id, bool vm_fault,
			   u64 va, u32 fault_flags)
{
	bool prot = fault_flags & VKFD_VM_FAULT_PROTECTION;
	struct vkfd_event *ev;
	unsigned long i;

	spin_lock_irq(&p->events_irq_lock);
	xa_for_each(&p->events, i, ev) {
		if (vm_fault && ev->type == KFD_IOC_EVENT_MEMORY) {
			memset(&ev->memory, 0, sizeof(ev->memory));
			ev->memory.va = va;
			ev->memory.gpu_id = gpu_id;
			ev->memory.failure.NotPresent = !prot;
			ev->memory.failure.ReadOnly = prot &&
				(fault_flags & VKFD_VM_FAULT_WRITE);
			vkfd_event_set_locked(p, ev);
		} else if (!vm_fault && ev->type == KFD_IOC_EVENT_HW_EXCEPTION) {
			memset(&ev->hw, 0, sizeof(ev->hw));
			ev->hw.gpu_id = gpu_id;
			vkfd_event_set_locked(p, ev);
		}
	}
	p->event_gen++;
	wake_up_all(&p->event_wq);
	spin_unlock_irq(&p->events_irq_lock);
}

/* mmap of the kernel-allocated events page (APU-style clients). */
int vkfd_events_mmap(struct vkfd_process *p, struct vm_area_struct *vma)
{
	unsigned long size = vma->vm_end - vma->vm_start;
	int ret = -EINVAL;

	mutex_lock(&p->events_lock);
	if (p->events_page && p->events_page_kernel &&
	    size <= VKFD_EVENTS_PAGE_BYTES) {
		vma->vm_flags |= VM_DONTCOPY | VM_DONTEXPAND | VM_DONTDUMP;
		ret = remap_vmalloc_range(vma, p->events_page, 0);
		/*
		 * A larger mapping offers more slots; a smaller one never
		 * takes slots away from events that have them.
		 */
		if (!ret) {
			spin_lock_irq(&p->events_irq_lock);
			p->events_slots = max_t(u32, p->events_slots,
						size / 8);
			spin_unlock_irq(&p->events_irq_lock);
		}
	}
	mutex_unlock(&p->events_lock);
	return ret;
}

void vkfd_events_init(struct vkfd_process *p)
{
	mutex_init(&p->events_lock);
	spin_lock_init(&p->events_irq_lock);
	xa_init_flags(&p->events, XA_FLAGS_ALLOC | XA_FLAGS_LOCK_IRQ);
	init_waitqueue_head(&p->event_wq);
}

/* Teardown: waiters wake and fail; the page goes (a BO page is unmapped). */
void vkfd_events_fini(struct vkfd_process *p)
{
	struct vkfd_event *ev;
	unsigned long i;
	u64 *page;

	mutex_lock(&p->events_lock);
	/* the interrupt path finds no page, then no events */
	spin_lock_irq(&p->events_irq_lock);
	page = p->events_page;
	p->events_page = NULL;
	p->event_gen++;
	spin_unlock_irq(&p->events_irq_lock);
	xa_for_each(&p->events, i, ev) {
		spin_lock_irq(&p->events_irq_lock);
		xa_lock(&p->events);
		__xa_erase(&p->events, i);
		xa_unlock(&p->events);
		spin_unlock_irq(&p->events_irq_lock);
		kfree(ev);
	}
	wake_up_all(&p->event_wq);
	if (p->events_page_kernel)
		vfree(page);
	else if (page)
		vkfd_mem_unmap_events_page(p, page);
	mutex_unlock(&p->events_lock);
	xa_destroy(&p->events);
}
