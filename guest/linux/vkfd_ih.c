// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vkfd: the interrupt-handler (IH) ring
 *
 * The device appends an entry for every GPU-side event (end of pipe,
 * SDMA trap, AQL signal mailbox, queue error, VM fault) to a ring in
 * coherent memory and raises MSI-X vector 1.  A threaded handler drains
 * the ring outside hard-IRQ context, finds the kfd_process by the entry's
 * device context -- a secondary's entries reach the secondary, never its
 * primary -- and signals its events.
 */
#include <linux/dma-mapping.h>
#include <linux/interrupt.h>
#include <linux/io.h>

#include "vkfd_priv.h"

#define VKFD_IH_BYTES	(64 * 1024)

static void vkfd_ih_dispatch(struct vkfd_dev *dev,
			     const struct vkfd_ih_entry *e)
{
	u32 source = le32_to_cpu(e->source), data = le32_to_cpu(e->data);
	struct vkfd_process_device *pdd;
	struct vkfd_process *p = NULL;
	char comm[TASK_COMM_LEN];
	pid_t pid = 0;

	xa_lock(&dev->ctx_pdds);
	pdd = xa_load(&dev->ctx_pdds, le32_to_cpu(e->ctx_id));
	if (pdd && kref_get_unless_zero(&pdd->p->ref)) {
		p = pdd->p;
		/* for an SMI event: pdd may go once the lock is dropped */
		pid = pdd->smi_pid;
		memcpy(comm, pdd->smi_comm, sizeof(comm));
	}
	xa_unlock(&dev->ctx_pdds);
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
		vkfd_events_exception(p, dev->gpu_id, false, 0, false);
		break;
	case VKFD_IH_SRC_VM_FAULT:
		vkfd_events_exception(p, dev->gpu_id, true,
				      le64_to_cpu(e->addr),
				      le32_to_cpu(e->flags) &
				      VKFD_VM_FAULT_WRITE);
		vkfd_smi_vm_fault(dev, p->tgid, pid, comm);
		break;
	default:
		dev_warn_ratelimited(&dev->pdev->dev,
				     "unknown IH source %u\n", source);
	}
	vkfd_process_put(p);
}

static irqreturn_t vkfd_ih_thread(int irq, void *data)
{
	struct vkfd_dev *dev = data;
	u32 wptr, rptr = dev->ih_rptr;

	for (;;) {
		wptr = readl(dev->regs + VKFD_REG_IH_WPTR);
		if (wptr == rptr)
			break;
		while (rptr != wptr) {
			dma_rmb();
			vkfd_ih_dispatch(dev, &dev->ih_ring[rptr /
					 sizeof(struct vkfd_ih_entry)]);
			rptr = (rptr + sizeof(struct vkfd_ih_entry)) &
			       (VKFD_IH_BYTES - 1);
		}
		writel(rptr, dev->regs + VKFD_REG_IH_RPTR);
	}
	dev->ih_rptr = rptr;
	if (readl(dev->regs + VKFD_REG_IH_STATUS) & VKFD_IH_STATUS_OVERFLOW) {
		dev_warn_ratelimited(&dev->pdev->dev,
				     "IH ring overflowed: %u entries lost\n",
				     readl(dev->regs + VKFD_REG_IH_OVERFLOWS));
		writel(VKFD_IH_STATUS_OVERFLOW,
		       dev->regs + VKFD_REG_IH_STATUS);
	}
	return IRQ_HANDLED;
}

int vkfd_ih_init(struct vkfd_dev *dev)
{
	struct device *d = &dev->pdev->dev;
	int ret;

	xa_init(&dev->ctx_pdds);
	if (!(readl(dev->regs + VKFD_REG_CAPS) & VKFD_CAP_IH))
		return -ENODEV;
	dev->ih_ring = dmam_alloc_coherent(d, VKFD_IH_BYTES, &dev->ih_dma,
					   GFP_KERNEL);
	if (!dev->ih_ring)
		return -ENOMEM;
	ret = devm_request_threaded_irq(d, pci_irq_vector(dev->pdev,
							  VKFD_VECTOR_IH),
					NULL, vkfd_ih_thread, IRQF_ONESHOT,
					"vkfd-ih", dev);
	if (ret)
		return ret;
	dev->ih_rptr = 0;
	writel(lower_32_bits(dev->ih_dma), dev->regs + VKFD_REG_IH_BASE_LO);
	writel(upper_32_bits(dev->ih_dma), dev->regs + VKFD_REG_IH_BASE_HI);
	writel(VKFD_IH_BYTES, dev->regs + VKFD_REG_IH_SIZE);
	writel(0, dev->regs + VKFD_REG_IH_RPTR);
	writel(VKFD_IH_CNTL_ENABLE, dev->regs + VKFD_REG_IH_CNTL);
	if (!(readl(dev->regs + VKFD_REG_IH_CNTL) & VKFD_IH_CNTL_ENABLE))
		return -EIO;
	return 0;
}

/* Before contexts go away: no entry is looked at after this. */
void vkfd_ih_fini(struct vkfd_dev *dev)
{
	writel(0, dev->regs + VKFD_REG_IH_CNTL);
	synchronize_irq(pci_irq_vector(dev->pdev, VKFD_VECTOR_IH));
}
