// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vkfd: the scheduler ring
 *
 * The driver tells the device about contexts (and later queues) only
 * through commands in a ring it owns, as amdkfd does through the HIQ or
 * MES of a real GPU.  One command is in flight at a time: each is written
 * at WPTR with a fence slot of its own, the WPTR register is rung, and the
 * caller sleeps until the device has written the fence and raised the
 * scheduler MSI-X vector.
 */
#include <linux/delay.h>
#include <linux/dma-mapping.h>
#include <linux/interrupt.h>
#include <linux/io.h>

#include "vkfd_priv.h"
#include "vkfd_trace.h"

#define VKFD_RING_BYTES		4096
#define VKFD_SCHED_TIMEOUT	(5 * HZ)

static int vkfd_status_to_errno(u32 status)
{
	switch (status) {
	case VKFD_ST_OK:
		return 0;
	case VKFD_ST_CONTEXT_MAPPED:
		return -EEXIST;
	case VKFD_ST_CONTEXT_NOT_MAPPED:
		return -ENOENT;
	case VKFD_ST_BAD_CONTEXT:
	case VKFD_ST_BAD_ARGUMENT:
		return -EINVAL;
	case VKFD_ST_UNSUPPORTED:
		return -EOPNOTSUPP;
	default:
		return -EIO;
	}
}

irqreturn_t vkfd_sched_irq(int irq, void *data)
{
	struct vkfd_dev *dev = data;

	wake_up_all(&dev->sched_wq);
	return IRQ_HANDLED;
}

int vkfd_sched_init(struct vkfd_dev *dev)
{
	struct device *d = &dev->pdev->dev;
	u32 slots = VKFD_RING_BYTES / sizeof(struct vkfd_sched_cmd);

	mutex_init(&dev->sched_lock);
	init_waitqueue_head(&dev->sched_wq);
	dev->ring_size = VKFD_RING_BYTES;
	dev->ring = dmam_alloc_coherent(d, VKFD_RING_BYTES, &dev->ring_dma,
					GFP_KERNEL);
	dev->fences = dmam_alloc_coherent(d, slots * sizeof(*dev->fences),
					  &dev->fences_dma, GFP_KERNEL);
	if (!dev->ring || !dev->fences)
		return -ENOMEM;

	writel(lower_32_bits(dev->ring_dma), dev->regs + VKFD_REG_SCHED_BASE_LO);
	writel(upper_32_bits(dev->ring_dma), dev->regs + VKFD_REG_SCHED_BASE_HI);
	writel(VKFD_RING_BYTES, dev->regs + VKFD_REG_SCHED_SIZE);
	writel(VKFD_CONTROL_ENABLE, dev->regs + VKFD_REG_CONTROL);
	if (readl(dev->regs + VKFD_REG_STATUS) != VKFD_STATUS_ENABLED) {
		dev_err(d, "scheduler ring refused (error 0x%x)\n",
			readl(dev->regs + VKFD_REG_SCHED_ERROR));
		return -EIO;
	}
	dev->wptr = 0;

	/* One round trip proves DMA and the interrupt both work. */
	return vkfd_sched_submit(dev, VKFD_CMD_NOP, 0, NULL, 0);
}

void vkfd_sched_fini(struct vkfd_dev *dev)
{
	writel(0, dev->regs + VKFD_REG_CONTROL);
}

/*
 * Run one scheduler command and wait for its fence.  Returns 0 or the
 * errno matching the device's status; a command that failed on the device
 * changed nothing there.
 */
int vkfd_sched_submit(struct vkfd_dev *dev, u8 opcode, u32 ctx_id,
		      const void *payload, size_t len)
{
	return vkfd_sched_submit_flags(dev, opcode, 0, ctx_id, payload, len);
}

/* ... with VKFD_CMD_F_* flags of the command's own (PRESERVE) */
int vkfd_sched_submit_flags(struct vkfd_dev *dev, u8 opcode, u8 flags,
			    u32 ctx_id, const void *payload, size_t len)
{
	struct vkfd_sched_cmd *cmd;
	struct vkfd_sched_fence *fence;
	u32 slot, seq, status;
	long left;
	int ret;

	if (WARN_ON(len > sizeof(cmd->u)))
		return -EINVAL;

	mutex_lock(&dev->sched_lock);
	if (dev->sched_broken) {
		ret = -EIO;
		goto out;
	}
	slot = dev->wptr / sizeof(*cmd);
	cmd = &dev->ring[slot];
	fence = &dev->fences[slot];
	seq = ++dev->seq;

	memset(cmd, 0, sizeof(*cmd));
	cmd->opcode = opcode;
	cmd->flags = VKFD_CMD_F_IRQ | flags;
	cmd->ctx_id = cpu_to_le32(ctx_id);
	cmd->seq = cpu_to_le32(seq);
	cmd->fence_addr = cpu_to_le64(dev->fences_dma + slot * sizeof(*fence));
	if (len)
		memcpy(&cmd->u, payload, len);
	WRITE_ONCE(fence->seq, cpu_to_le32(seq - 1));

	dev->wptr = (dev->wptr + sizeof(*cmd)) & (dev->ring_size - 1);
	trace_vkfd_sched_submit(dev->gpu_id, opcode, ctx_id, seq);
	/* writel orders the command's stores before the doorbell. */
	writel(dev->wptr, dev->regs + VKFD_REG_SCHED_WPTR);

	left = wait_event_timeout(dev->sched_wq,
				  le32_to_cpu(READ_ONCE(fence->seq)) == seq,
				  VKFD_SCHED_TIMEOUT);
	if (!left) {
		dev_err(&dev->pdev->dev,
			"scheduler command %u (seq %u) timed out; status 0x%x error 0x%x\n",
			opcode, seq, readl(dev->regs + VKFD_REG_STATUS),
			readl(dev->regs + VKFD_REG_SCHED_ERROR));
		dev->sched_broken = true;
		ret = -ETIMEDOUT;
		goto out;
	}
	dma_rmb();
	status = le32_to_cpu(READ_ONCE(fence->status));
	ret = vkfd_status_to_errno(status);
	trace_vkfd_sched_complete(dev->gpu_id, opcode, ctx_id, seq, status, ret);
	if (ret)
		dev_dbg(&dev->pdev->dev, "command %u ctx %u: status 0x%x\n",
			opcode, ctx_id, status);
out:
	mutex_unlock(&dev->sched_lock);
	return ret;
}
