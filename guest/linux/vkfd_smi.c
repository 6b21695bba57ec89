// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vkfd: SMI events (AMDKFD_IOC_SMI_EVENTS)
 *
 * The system-management event stream of amdkfd, for tools such as
 * rocm-smi: the ioctl hands out an anonymous file ("kfd_smi_ev") bound to
 * one GPU of the caller.  Writing a u64 mask of
 * KFD_SMI_EVENT_MASK_FROM_INDEX() bits chooses the events; reading returns
 * what arrived since, as text lines "<event in hex> <data>\n"; poll says
 * when there is something.  A reader sees its own process's events, or
 * every process's if it has CAP_SYS_ADMIN and sets the ALL_PROCESS bit.
 *
 * What vkfd can report truthfully, and does: VM faults (event 1, from the
 * IH ring: "<pid>:<comm>"), process start and end on a GPU (12, 13:
 * "<pid> <comm>" at ACQUIRE_VM and when the binding goes), and the SVM
 * work: queue eviction and restore (9, 10), migration to and from VRAM
 * by prefetch or, back, by a CPU fault (5, 6) and GPU unmapping after an
 * munmap (11), whose lines start with the boot-time clock in ns and
 * "-<pid>" as amdkfd's.  The other events come from things this GPU
 * does not have (thermal throttling, GPU resets, retry page faults), so
 * they never occur.  docs/driver.md, "SMI events".
 *
 * Locking: one spinlock for every device's client list and every
 * client's FIFO; events are posted from process context only (ioctls,
 * teardown, the IH thread, the SVM restore worker, the MMU notifier
 * callback and migrate_to_ram of a CPU fault).  Posting neither sleeps
 * nor allocates (a line on the stack, the spinlock), so the notifier may
 * post even from reclaim.
 */
#include <linux/anon_inodes.h>
#include <linux/capability.h>
#include <linux/kfifo.h>
#include <linux/poll.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>
#include <linux/uaccess.h>

#include "vkfd_priv.h"

/* amdkfd's sizes: a 1 KiB FIFO per reader, lines of at most 96 bytes */
#define VKFD_SMI_FIFO_BYTES	1024

struct vkfd_smi_client {
	struct list_head node;		/* in dev->smi_clients, or empty */
	struct vkfd_dev *dev;		/* NULL once the device is gone */
	DECLARE_KFIFO_PTR(fifo, char);
	wait_queue_head_t wq;
	u64 events;			/* the mask last written */
	pid_t tgid;			/* the opener's process */
	bool suser;			/* the opener had CAP_SYS_ADMIN */
};

static DEFINE_SPINLOCK(vkfd_smi_lock);

void vkfd_smi_dev_init(struct vkfd_dev *dev)
{
	INIT_LIST_HEAD(&dev->smi_clients);
}

/* The device goes: its readers stay open but hear nothing more. */
void vkfd_smi_dev_fini(struct vkfd_dev *dev)
{
	struct vkfd_smi_client *c, *tmp;

	spin_lock(&vkfd_smi_lock);
	list_for_each_entry_safe(c, tmp, &dev->smi_clients, node) {
		list_del_init(&c->node);
		c->dev = NULL;
		wake_up_all(&c->wq);
	}
	spin_unlock(&vkfd_smi_lock);
}

static bool vkfd_smi_wanted(const struct vkfd_smi_client *c, pid_t tgid,
			    unsigned int event)
{
	u64 all = KFD_SMI_EVENT_MASK_FROM_INDEX(KFD_SMI_EVENT_ALL_PROCESS);

	if (tgid && c->tgid != tgid && !(c->suser && (c->events & all)))
		return false;
	return c->events & KFD_SMI_EVENT_MASK_FROM_INDEX(event);
}

/*
 * Post event (of process tgid, 0 for none) to dev's readers that want
 * it: "<event> " and the formatted data.  A reader whose FIFO cannot
 * take the whole line misses it, as in amdkfd.
 */
static __printf(4, 5)
void vkfd_smi_post(struct vkfd_dev *dev, pid_t tgid, unsigned int event,
		   const char *fmt, ...)
{
	char line[KFD_SMI_EVENT_MSG_SIZE];
	struct vkfd_smi_client *c;
	va_list args;
	int len;

	len = scnprintf(line, sizeof(line), "%x ", event);
	va_start(args, fmt);
	len += vscnprintf(line + len, sizeof(line) - len, fmt, args);
	va_end(args);

	spin_lock(&vkfd_smi_lock);
	list_for_each_entry(c, &dev->smi_clients, node) {
		if (!vkfd_smi_wanted(c, tgid, event) ||
		    kfifo_avail(&c->fifo) < len)
			continue;
		kfifo_in(&c->fifo, line, len);
		wake_up_all(&c->wq);
	}
	spin_unlock(&vkfd_smi_lock);
}

/* pdd was bound (start) or is being unbound: its process on this GPU. */
void vkfd_smi_process(struct vkfd_process_device *pdd, bool start)
{
	vkfd_smi_post(pdd->dev, pdd->p->tgid,
		      start ? KFD_SMI_EVENT_PROCESS_START :
			      KFD_SMI_EVENT_PROCESS_END,
		      "%x %s\n", pdd->smi_pid, pdd->smi_comm);
}

/* A VM fault of the process whose ACQUIRE_VM thread was pid, comm. */
void vkfd_smi_vm_fault(struct vkfd_dev *dev, pid_t tgid, pid_t pid,
		       const char *comm)
{
	vkfd_smi_post(dev, tgid, KFD_SMI_EVENT_VMFAULT, "%x:%s\n", pid, comm);
}

/*
 * The SVM restore worker: p's queues went off its GPUs at ns (boot
 * time), for trigger (KFD_QUEUE_EVICTION_TRIGGER_*), or came back now.
 * One line per GPU of p, as amdkfd's kfd_process_evict_queues; posted
 * from the worker, which may take p->lock, not from the notifier.
 */
void vkfd_smi_queue_eviction(struct vkfd_process *p, bool restore, u64 ns,
			     u32 trigger)
{
	struct vkfd_process_device *pdd;

	mutex_lock(&p->lock);
	list_for_each_entry(pdd, &p->pdds, node) {
		if (pdd->dying)
			continue;
		if (restore)
			vkfd_smi_post(pdd->dev, p->tgid,
				      KFD_SMI_EVENT_QUEUE_RESTORE,
				      "%lld -%d %x\n", ktime_get_boottime_ns(),
				      p->tgid, pdd->dev->gpu_id);
		else
			vkfd_smi_post(pdd->dev, p->tgid,
				      KFD_SMI_EVENT_QUEUE_EVICTION,
				      "%lld -%d %x %d\n", ns, p->tgid,
				      pdd->dev->gpu_id, trigger);
	}
	mutex_unlock(&p->lock);
}

/* Pages [start, last] of p left dev's VM (KFD_SVM_UNMAP_TRIGGER_*). */
void vkfd_smi_unmap_from_gpu(struct vkfd_dev *dev, pid_t tgid,
			     unsigned long start, unsigned long last,
			     u32 trigger)
{
	vkfd_smi_post(dev, tgid, KFD_SMI_EVENT_UNMAP_FROM_GPU,
		      "%lld -%d @%lx(%lx) %x %d\n", ktime_get_boottime_ns(),
		      tgid, start, last - start + 1, dev->gpu_id, trigger);
}

/*
 * A migration of pages [start, end) of tgid, done by dev, from GPU from
 * to GPU to (0: system memory): its start at ns, or (end) its end now.
 */
void vkfd_smi_migrate(struct vkfd_dev *dev, pid_t tgid, bool end, u64 ns,
		      const struct vkfd_smi_migration *m)
{
	if (end)
		vkfd_smi_post(dev, tgid, KFD_SMI_EVENT_MIGRATE_END,
			      "%lld -%d @%lx(%lx) %x->%x %d\n",
			      ktime_get_boottime_ns(), tgid, m->start,
			      m->end - m->start, m->from, m->to, m->trigger);
	else
		vkfd_smi_post(dev, tgid, KFD_SMI_EVENT_MIGRATE_START,
			      "%lld -%d @%lx(%lx) %x->%x %x:%x %d\n", ns,
			      tgid, m->start, m->end - m->start, m->from,
			      m->to, m->prefetch_loc, m->preferred_loc,
			      m->trigger);
}

static __poll_t vkfd_smi_poll(struct file *filep, poll_table *wait)
{
	struct vkfd_smi_client *c = filep->private_data;
	__poll_t mask = 0;

	poll_wait(filep, &c->wq, wait);
	spin_lock(&vkfd_smi_lock);
	if (!kfifo_is_empty(&c->fifo))
		mask = EPOLLIN | EPOLLRDNORM;
	spin_unlock(&vkfd_smi_lock);
	return mask;
}

/* What is there, up to size bytes; EAGAIN if nothing (it never blocks). */
static ssize_t vkfd_smi_read(struct file *filep, char __user *ubuf,
			     size_t size, loff_t *pos)
{
	struct vkfd_smi_client *c = filep->private_data;
	unsigned int n;
	char *buf;

	buf = kmalloc(VKFD_SMI_FIFO_BYTES, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	spin_lock(&vkfd_smi_lock);
	n = kfifo_out(&c->fifo, buf, min_t(size_t, size, VKFD_SMI_FIFO_BYTES));
	spin_unlock(&vkfd_smi_lock);
	if (!n) {
		kfree(buf);
		return -EAGAIN;
	}
	if (copy_to_user(ubuf, buf, n))
		n = 0;
	kfree(buf);
	return n ? n : -EFAULT;
}

/* The event mask: 8 bytes (more are ignored), fewer are EFAULT. */
static ssize_t vkfd_smi_write(struct file *filep, const char __user *ubuf,
			      size_t size, loff_t *pos)
{
	struct vkfd_smi_client *c = filep->private_data;
	u64 events;

	if (size < sizeof(events) || copy_from_user(&events, ubuf,
						    sizeof(events)))
		return -EFAULT;
	spin_lock(&vkfd_smi_lock);
	c->events = events;
	spin_unlock(&vkfd_smi_lock);
	return sizeof(events);
}

static void vkfd_smi_free(struct vkfd_smi_client *c)
{
	spin_lock(&vkfd_smi_lock);
	list_del_init(&c->node);
	spin_unlock(&vkfd_smi_lock);
	kfifo_free(&c->fifo);
	kfree(c);
}

static int vkfd_smi_release(struct inode *inode, struct file *filep)
{
	vkfd_smi_free(filep->private_data);
	return 0;
}

static const struct file_operations vkfd_smi_fops = {
	.owner = THIS_MODULE,
	.poll = vkfd_smi_poll,
	.read = vkfd_smi_read,
	.write = vkfd_smi_write,
	.release = vkfd_smi_release,
	.llseek = noop_llseek,
};

/*
 * SMI_EVENTS, as amdkfd: EINVAL for a GPU the process does not know
 * (bound or not does not matter); otherwise a new reader with no events
 * chosen, and its file descriptor (opened read-write, as amdkfd does).
 */
int vkfd_ioctl_smi_events(struct file *filep, struct vkfd_process *p,
			  void *data)
{
	struct kfd_ioctl_smi_events_args *args = data;
	struct vkfd_process_device *pdd;
	struct vkfd_smi_client *c;
	int fd;

	c = kzalloc(sizeof(*c), GFP_KERNEL);
	if (!c)
		return -ENOMEM;
	if (kfifo_alloc(&c->fifo, VKFD_SMI_FIFO_BYTES, GFP_KERNEL)) {
		kfree(c);
		return -ENOMEM;
	}
	INIT_LIST_HEAD(&c->node);
	init_waitqueue_head(&c->wq);
	c->tgid = current->tgid;
	c->suser = capable(CAP_SYS_ADMIN);

	/* a pdd not dying under p->lock: its device is still there */
	mutex_lock(&p->lock);
	pdd = vkfd_process_device(p, args->gpuid);
	if (pdd && !pdd->dying) {
		spin_lock(&vkfd_smi_lock);
		c->dev = pdd->dev;
		list_add_tail(&c->node, &pdd->dev->smi_clients);
		spin_unlock(&vkfd_smi_lock);
	}
	mutex_unlock(&p->lock);
	if (!c->dev) {
		vkfd_smi_free(c);
		return -EINVAL;
	}

	fd = anon_inode_getfd("kfd_smi_ev", &vkfd_smi_fops, c, O_RDWR);
	if (fd < 0) {
		vkfd_smi_free(c);
		return fd;
	}
	args->anon_fd = fd;
	return 0;
}
