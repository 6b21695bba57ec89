// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vkfd: the interrupt-handler (IH) ring
 *
 * The device appends an entry for every GPU-side event (end of pipe,
 * SDMA trap, AQL signal mailbox, queue error, VM fault) to a ring in
 * coherent memory and raises MSI-X vector 1.  Each entry reaches the
 * kfd_process of the entry's device context -- a secondary's entries
 * reach the secondary, never its primary.
 *
 * As amdgpu's IH handler, the hard-IRQ handler drains the ring itself:
 * the entries that only signal events (end of pipe, SDMA trap, signal
 * mailbox) set them and wake their waiters right there, a bounded number
 * per interrupt.  The first entry that needs to sleep (a VM fault's SMI
 * report, a queue error), a longer burst or a lost-entry overflow hands
 * the rest of the ring to the threaded handler, which goes on from the
 * same read pointer.
 *
 * IRQF_ONESHOT does not keep the two apart: MSI-X chips are one-shot
 * safe, so the core drops the flag and the vector stays unmasked while
 * the thread runs.  ih_owner does: the hard-IRQ handler drains only if
 * nobody does; it finds the thread draining, it only makes the thread
 * look again (an IRQ_WAKE_THREAD while the thread runs gives it another
 * pass), and it hands the ring over by setting the owner to the thread.
 * A thread pass that finds the hard-IRQ handler draining leaves it the
 * ring: that handler hands it back with a wake-up if it needs to.
 *
 * Both read the write pointer the device writes back to memory
 * (IH_CNTL.WPTR_WRITEBACK, as amdgpu's IH), overflow flag included: an
 * interrupt then costs one register access, the IH_RPTR write.
 *
 * The device coalesces (IH_CNTL.RPTR_REARM, as amdgpu sets it with MSI):
 * after one message it raises the vector again only once IH_RPTR is
 * written, at once if the write leaves entries unread.  Each drain writes
 * IH_RPTR after each batch and reads IH_WPTR again, so an entry posted
 * meanwhile is read in that loop or raises the vector; a hand-over does
 * not write it (the thread does), so it costs no message.
 */
#include <linux/dma-mapping.h>
#include <linux/interrupt.h>
#include <linux/io.h>
#include <linux/moduleparam.h>

#include "vkfd_priv.h"
#include "vkfd_trace.h"

/*
 * amdgpu gives a GFX9 GPU's IH ring (vega10_ih, vega20_ih) 256 KiB:
 * 8191 entries of 32 bytes.  The parameter exists so that a test can
 * make the ring small and overflow it on purpose.
 */
static unsigned int vkfd_ih_ring_size = 256 * 1024;
module_param_named(ih_ring_size, vkfd_ih_ring_size, uint, 0444);
MODULE_PARM_DESC(ih_ring_size,
		 "IH ring bytes, a power of two in 4 KiB..1 MiB (default 256 KiB, as amdgpu)");

/* entries the hard-IRQ handler handles before it leaves a burst to the thread */
#define VKFD_IH_HARD_BUDGET	64

/* ih_owner: who drains the ring */
enum { VKFD_IH_IDLE, VKFD_IH_HARD, VKFD_IH_THREAD };

static void vkfd_ih_dispatch(struct vkfd_dev *dev,
			     const struct vkfd_ih_entry *e)
{
	u32 source = le32_to_cpu(e->source), data = le32_to_cpu(e->data);
	struct vkfd_process_device *pdd;
	struct vkfd_process *p = NULL;
	char comm[TASK_COMM_LEN];
	pid_t pid = 0;

	xa_lock_irq(&dev->ctx_pdds);
	pdd = xa_load(&dev->ctx_pdds, le32_to_cpu(e->ctx_id));
	if (pdd && kref_get_unless_zero(&pdd->p->ref)) {
		p = pdd->p;
		/* for an SMI event: pdd may go once the lock is dropped */
		pid = pdd->smi_pid;
		memcpy(comm, pdd->smi_comm, sizeof(comm));
	}
	xa_unlock_irq(&dev->ctx_pdds);
	trace_vkfd_ih_dispatch(dev->gpu_id, source, le32_to_cpu(e->ctx_id),
			       data, le32_to_cpu(e->doorbell),
			       le32_to_cpu(e->seq), p);
	if (!p) {
		dev_dbg(&dev->pdev->dev, "IH entry for unknown context %u\n",
			le32_to_cpu(e->ctx_id));
		return;
	}

	switch (source) {
	case VKFD_IH_SRC_EOP:
	case VKFD_IH_SRC_SIGNAL:
		vkfd_events_signal(p, data, true);
		break;
	case VKFD_IH_SRC_SDMA_TRAP:
		/* the trap carries 28 bits of the id */
		vkfd_events_signal(p, data & 0x0fffffff, true);
		break;
	case VKFD_IH_SRC_QUEUE_ERROR:
		vkfd_events_exception(p, dev->gpu_id, false, 0, 0);
		break;
	case VKFD_IH_SRC_VM_FAULT:
		vkfd_events_exception(p, dev->gpu_id, true,
				      le64_to_cpu(e->addr),
				      le32_to_cpu(e->flags));
		vkfd_smi_vm_fault(dev, p->tgid, pid, comm);
		break;
	default:
		dev_warn_ratelimited(&dev->pdev->dev,
				     "unknown IH source %u\n", source);
	}
	vkfd_process_put(p);
}

/*
 * Entries were lost: their event ids are gone, but the GPU wrote the
 * events' slots before it posted them.  Do what amdkfd does for an
 * interrupt without a usable id -- look at every slot -- for every
 * process bound to this device, since any of them may have lost one.
 */
static void vkfd_ih_recover(struct vkfd_dev *dev)
{
	struct vkfd_process_device *pdd;
	struct vkfd_process *p;
	unsigned long index = 0;

	for (;;) {
		p = NULL;
		xa_lock_irq(&dev->ctx_pdds);
		pdd = xa_find(&dev->ctx_pdds, &index, ULONG_MAX, XA_PRESENT);
		if (pdd && kref_get_unless_zero(&pdd->p->ref))
			p = pdd->p;
		xa_unlock_irq(&dev->ctx_pdds);
		if (!pdd)
			break;
		if (p) {
			vkfd_events_signal(p, 0, false);
			vkfd_process_put(p);
		}
		index++;
	}
	atomic_inc(&dev->ih_recoveries);
}

/*
 * IRQs off: handle e if it only signals an event, and say so.
 * pdd and its process stay alive while ctx_pdds' lock is held (unbind
 * erases the context under it before either goes), so no reference is
 * taken, and none is dropped here.
 */
static bool vkfd_ih_fast(struct vkfd_dev *dev, const struct vkfd_ih_entry *e)
{
	u32 source = le32_to_cpu(e->source), data = le32_to_cpu(e->data);
	struct vkfd_process_device *pdd;

	if (source == VKFD_IH_SRC_SDMA_TRAP)
		data &= 0x0fffffff;	/* the trap carries 28 bits of the id */
	else if (source != VKFD_IH_SRC_EOP && source != VKFD_IH_SRC_SIGNAL)
		return false;
	xa_lock(&dev->ctx_pdds);
	pdd = xa_load(&dev->ctx_pdds, le32_to_cpu(e->ctx_id));
	trace_vkfd_ih_dispatch(dev->gpu_id, source, le32_to_cpu(e->ctx_id),
			       le32_to_cpu(e->data), le32_to_cpu(e->doorbell),
			       le32_to_cpu(e->seq), pdd ? pdd->p : NULL);
	if (pdd)
		vkfd_events_signal(pdd->p, data, true);
	xa_unlock(&dev->ctx_pdds);
	return true;
}

/* The device's IH_WPTR, and whether entries were lost (if it says). */
static u32 vkfd_ih_wptr(struct vkfd_dev *dev, bool *overflow)
{
	u32 w;

	if (!dev->ih_wptr_wb) {
		*overflow = false;	/* IH_STATUS tells */
		return readl(dev->regs + VKFD_REG_IH_WPTR);
	}
	w = le32_to_cpu(READ_ONCE(*dev->ih_wptr_wb));
	*overflow = w & VKFD_IH_WB_OVERFLOW;
	return w & ~VKFD_IH_WB_OVERFLOW;
}

/*
 * Thread context: drain the ring from dev->ih_rptr to the device's WPTR,
 * and again, but no more than one ring's worth of entries, so that a
 * device that keeps posting cannot keep the thread from looking at an
 * overflow; true if entries may be left.  It lets others run every
 * VKFD_IH_HARD_BUDGET entries.
 */
static bool vkfd_ih_drain(struct vkfd_dev *dev)
{
	unsigned int n = 0, max = dev->ih_bytes / sizeof(struct vkfd_ih_entry);
	u32 wptr, rptr = dev->ih_rptr;
	bool overflow, more = false;

	for (;;) {
		wptr = vkfd_ih_wptr(dev, &overflow);
		if (wptr == rptr)
			break;
		if (n >= max) {
			more = true;
			break;
		}
		while (rptr != wptr) {
			const struct vkfd_ih_entry *e = &dev->ih_ring[rptr /
					sizeof(struct vkfd_ih_entry)];
			bool done;

			dma_rmb();
			/* a signal entry as the hard-IRQ handler does it */
			local_irq_disable();
			done = vkfd_ih_fast(dev, e);
			local_irq_enable();
			if (!done)
				vkfd_ih_dispatch(dev, e);
			rptr = (rptr + sizeof(struct vkfd_ih_entry)) &
			       (dev->ih_bytes - 1);
			if (++n % VKFD_IH_HARD_BUDGET == 0)
				cond_resched();
		}
		writel(rptr, dev->regs + VKFD_REG_IH_RPTR);
	}
	dev->ih_rptr = rptr;
	return more;
}

static irqreturn_t vkfd_ih_irq(int irq, void *data)
{
	struct vkfd_dev *dev = data;
	unsigned int budget = VKFD_IH_HARD_BUDGET;
	irqreturn_t ret = IRQ_HANDLED;
	bool overflow;
	u32 wptr, rptr;

	atomic_inc(&dev->ih_hard_irqs);
	if (atomic_cmpxchg(&dev->ih_owner, VKFD_IH_IDLE, VKFD_IH_HARD) !=
	    VKFD_IH_IDLE) {
		/* the thread drains (hard-IRQ handlers never nest): once more */
		atomic_inc(&dev->ih_thread_wakes);
		return IRQ_WAKE_THREAD;
	}
	rptr = dev->ih_rptr;
	for (;;) {
		wptr = vkfd_ih_wptr(dev, &overflow);
		if (wptr == rptr)
			break;
		while (rptr != wptr) {
			dma_rmb();
			if (!budget || !vkfd_ih_fast(dev, &dev->ih_ring[rptr /
					sizeof(struct vkfd_ih_entry)])) {
				ret = IRQ_WAKE_THREAD;
				break;
			}
			budget--;
			rptr = (rptr + sizeof(struct vkfd_ih_entry)) &
			       (dev->ih_bytes - 1);
		}
		if (ret == IRQ_WAKE_THREAD)
			break;	/* the thread writes IH_RPTR */
		writel(rptr, dev->regs + VKFD_REG_IH_RPTR);
	}
	dev->ih_rptr = rptr;
	if (ret == IRQ_HANDLED &&
	    (dev->ih_wptr_wb ? overflow :
	     readl(dev->regs + VKFD_REG_IH_STATUS) & VKFD_IH_STATUS_OVERFLOW))
		ret = IRQ_WAKE_THREAD;
	if (ret == IRQ_WAKE_THREAD)
		atomic_inc(&dev->ih_thread_wakes);
	/* release: the thread sees ih_rptr as it was left */
	atomic_set_release(&dev->ih_owner, ret == IRQ_WAKE_THREAD ?
			   VKFD_IH_THREAD : VKFD_IH_IDLE);
	return ret;
}

static irqreturn_t vkfd_ih_thread(int irq, void *data)
{
	struct vkfd_dev *dev = data;
	bool more;

	/* handed over (THREAD), or take it if idle; never while HARD drains */
	switch (atomic_read_acquire(&dev->ih_owner)) {
	case VKFD_IH_HARD:
		return IRQ_HANDLED;
	case VKFD_IH_IDLE:
		if (atomic_cmpxchg(&dev->ih_owner, VKFD_IH_IDLE,
				   VKFD_IH_THREAD) != VKFD_IH_IDLE)
			return IRQ_HANDLED;	/* the hard-IRQ handler took it */
		break;
	}
	do {
		more = vkfd_ih_drain(dev);
		if (!(readl(dev->regs + VKFD_REG_IH_STATUS) &
		      VKFD_IH_STATUS_OVERFLOW))
			continue;
		/*
		 * Clear first: an entry dropped after this sets it again and
		 * raises the vector, so the next run recovers that one.
		 */
		writel(VKFD_IH_STATUS_OVERFLOW,
		       dev->regs + VKFD_REG_IH_STATUS);
		dev_warn_ratelimited(&dev->pdev->dev,
				     "IH ring overflowed: %u entries lost so far, scanning event slots\n",
				     readl(dev->regs + VKFD_REG_IH_OVERFLOWS));
		more = vkfd_ih_drain(dev);
		vkfd_ih_recover(dev);
	} while (more);
	atomic_set_release(&dev->ih_owner, VKFD_IH_IDLE);
	return IRQ_HANDLED;
}

int vkfd_ih_init(struct vkfd_dev *dev)
{
	struct device *d = &dev->pdev->dev;
	u32 cntl;
	int ret;

	xa_init(&dev->ctx_pdds);
	if (!(readl(dev->regs + VKFD_REG_CAPS) & VKFD_CAP_IH))
		return -ENODEV;
	if (!is_power_of_2(vkfd_ih_ring_size) ||
	    vkfd_ih_ring_size < VKFD_IH_RING_MIN ||
	    vkfd_ih_ring_size > VKFD_IH_RING_MAX) {
		dev_err(d, "ih_ring_size %u: not a power of two in 4 KiB..1 MiB\n",
			vkfd_ih_ring_size);
		return -EINVAL;
	}
	dev->ih_bytes = vkfd_ih_ring_size;
	atomic_set(&dev->ih_recoveries, 0);
	atomic_set(&dev->ih_hard_irqs, 0);
	atomic_set(&dev->ih_thread_wakes, 0);
	atomic_set(&dev->ih_owner, VKFD_IH_IDLE);
	dev->ih_ring = dmam_alloc_coherent(d, dev->ih_bytes, &dev->ih_dma,
					   GFP_KERNEL);
	if (!dev->ih_ring)
		return -ENOMEM;
	dev->ih_wptr_wb = dmam_alloc_coherent(d, sizeof(*dev->ih_wptr_wb),
					      &dev->ih_wptr_wb_dma,
					      GFP_KERNEL);
	if (!dev->ih_wptr_wb)
		return -ENOMEM;
	ret = devm_request_threaded_irq(d, pci_irq_vector(dev->pdev,
							  VKFD_VECTOR_IH),
					vkfd_ih_irq, vkfd_ih_thread,
					IRQF_ONESHOT,
					"vkfd-ih", dev);
	if (ret)
		return ret;
	dev->ih_rptr = 0;
	writel(lower_32_bits(dev->ih_dma), dev->regs + VKFD_REG_IH_BASE_LO);
	writel(upper_32_bits(dev->ih_dma), dev->regs + VKFD_REG_IH_BASE_HI);
	writel(dev->ih_bytes, dev->regs + VKFD_REG_IH_SIZE);
	writel(lower_32_bits(dev->ih_wptr_wb_dma),
	       dev->regs + VKFD_REG_IH_WPTR_ADDR_LO);
	writel(upper_32_bits(dev->ih_wptr_wb_dma),
	       dev->regs + VKFD_REG_IH_WPTR_ADDR_HI);
	writel(0, dev->regs + VKFD_REG_IH_RPTR);
	/*
	 * RPTR_REARM: one message a pass over the ring; WPTR_WRITEBACK: no
	 * register read an interrupt.  An older device ignores both.
	 */
	writel(VKFD_IH_CNTL_ENABLE | VKFD_IH_CNTL_RPTR_REARM |
	       VKFD_IH_CNTL_WPTR_WRITEBACK, dev->regs + VKFD_REG_IH_CNTL);
	cntl = readl(dev->regs + VKFD_REG_IH_CNTL);
	if (!(cntl & VKFD_IH_CNTL_ENABLE))
		return -EIO;
	if (!(cntl & VKFD_IH_CNTL_WPTR_WRITEBACK))
		dev->ih_wptr_wb = NULL;
	return 0;
}

/* Before contexts go away: no entry is looked at after this. */
void vkfd_ih_fini(struct vkfd_dev *dev)
{
	writel(0, dev->regs + VKFD_REG_IH_CNTL);
	synchronize_irq(pci_irq_vector(dev->pdev, VKFD_VECTOR_IH));
}
