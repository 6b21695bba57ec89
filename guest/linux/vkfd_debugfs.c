// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vkfd: debugfs, for tests and for people learning the KFD model
 *
 *   /sys/kernel/debug/vkfd/devices    one line per device: the contexts
 *                                     the driver mapped and the count the
 *                                     device itself reports
 *   /sys/kernel/debug/vkfd/processes  every kfd_process and its contexts
 *   /sys/kernel/debug/vkfd/sysmem     system memory held for user space
 *                                     and its limit, in pages
 */
#include <linux/debugfs.h>
#include <linux/io.h>
#include <linux/seq_file.h>

#include "vkfd_priv.h"

static struct dentry *vkfd_debugfs_root;

static int vkfd_devices_show(struct seq_file *m, void *unused)
{
	struct vkfd_dev *dev;

	u64 vram_used;

	mutex_lock(&vkfd_lock);
	list_for_each_entry(dev, &vkfd_devices, node) {
		mutex_lock(&dev->vram_lock);
		vram_used = dev->vram_used;
		mutex_unlock(&dev->vram_lock);
		/* the device's queue counts: mapped + preempted, preempted */
		seq_printf(m, "%s gpu_id %u render_minor %u max_contexts %u driver_contexts %d device_contexts %u pt_pages %d vram_used %llu device_queues %u preempted %u\n",
			   pci_name(dev->pdev), dev->gpu_id,
			   dev->drm_render_minor, dev->max_contexts,
			   atomic_read(&dev->live_contexts),
			   readl(dev->regs + VKFD_REG_NUM_CONTEXTS),
			   atomic_read(&dev->pt_pages), vram_used,
			   readl(dev->regs + VKFD_REG_NUM_QUEUES),
			   readl(dev->regs + VKFD_REG_NUM_PREEMPTED));
	}
	mutex_unlock(&vkfd_lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(vkfd_devices);

/*
 * The IH ring of each device (its size, entries lost, slot scans done),
 * the HDP flushes it counted (CPU or GPU writes to the remap page), the
 * interrupts its hard-IRQ handler took and how many of them it left to
 * the thread.
 */
static int vkfd_ih_show(struct seq_file *m, void *unused)
{
	struct vkfd_dev *dev;

	mutex_lock(&vkfd_lock);
	list_for_each_entry(dev, &vkfd_devices, node)
		seq_printf(m, "%s ring_bytes %u lost %u recoveries %d hdp_flushes %u hard_irqs %d thread_wakes %d\n",
			   pci_name(dev->pdev), dev->ih_bytes,
			   readl(dev->regs + VKFD_REG_IH_OVERFLOWS),
			   atomic_read(&dev->ih_recoveries),
			   readl(dev->regs + VKFD_REG_HDP_FLUSHES),
			   atomic_read(&dev->ih_hard_irqs),
			   atomic_read(&dev->ih_thread_wakes));
	mutex_unlock(&vkfd_lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(vkfd_ih);

static int vkfd_processes_show(struct seq_file *m, void *unused)
{
	struct vkfd_process_device *pdd;
	struct vkfd_process *p;

	mutex_lock(&vkfd_lock);
	list_for_each_entry(p, &vkfd_processes, all) {
		if (vkfd_process_is_primary(p))
			seq_printf(m, "tgid %d primary", p->tgid);
		else
			seq_printf(m, "tgid %d context_%u", p->tgid,
				   p->context_id);
		seq_printf(m, " refs %u%s", kref_read(&p->ref),
			   p->torn_down ? " torn-down" : "");
		list_for_each_entry(pdd, &p->pdds, node) {
			if (pdd->drm_file)
				seq_printf(m, " gpu %u:ctx %u", pdd->dev->gpu_id,
					   pdd->ctx_id);
			else
				seq_printf(m, " gpu %u:unbound",
					   pdd->dev->gpu_id);
			/* SET_TRAP_HANDLER's addresses, as the device has them */
			if (pdd->tba_addr || pdd->tma_addr)
				seq_printf(m, ":trap 0x%llx/0x%llx",
					   pdd->tba_addr, pdd->tma_addr);
		}
		vkfd_svm_show(m, p);
		seq_putc(m, '\n');
	}
	mutex_unlock(&vkfd_lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(vkfd_processes);

static int vkfd_sysmem_show(struct seq_file *m, void *unused)
{
	seq_printf(m, "limit_pages %lu used_pages %lu\n", vkfd_sys_limit(),
		   vkfd_sys_used());
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(vkfd_sysmem);

void vkfd_debugfs_init(void)
{
	vkfd_debugfs_root = debugfs_create_dir("vkfd", NULL);
	debugfs_create_file("devices", 0444, vkfd_debugfs_root, NULL,
			    &vkfd_devices_fops);
	debugfs_create_file("ih", 0444, vkfd_debugfs_root, NULL, &vkfd_ih_fops);
	debugfs_create_file("processes", 0444, vkfd_debugfs_root, NULL,
			    &vkfd_processes_fops);
	debugfs_create_file("sysmem", 0444, vkfd_debugfs_root, NULL,
			    &vkfd_sysmem_fops);
	vkfd_svm_migrate_debugfs(vkfd_debugfs_root);
}

void vkfd_debugfs_exit(void)
{
	debugfs_remove_recursive(vkfd_debugfs_root);
}
