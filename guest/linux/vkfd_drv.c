// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vkfd: guest driver for the vkfd virtual KFD device
 *
 * This file holds the module and the PCI driver.  Every probed device
 * becomes a GPU node; /dev/kfd itself is one character device for all of
 * them (vkfd_chardev.c), as with amdkfd.
 */
#include <linux/highmem.h>
#include <linux/interrupt.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/pci.h>

#include "vkfd_priv.h"

/* Protects vkfd_devices, vkfd_processes and the mm hash of primaries. */
DEFINE_MUTEX(vkfd_lock);
LIST_HEAD(vkfd_devices);
LIST_HEAD(vkfd_processes);

unsigned int vkfd_max_user_contexts;
module_param_named(max_user_contexts, vkfd_max_user_contexts, uint, 0644);
MODULE_PARM_DESC(max_user_contexts,
		 "device contexts one user may hold per GPU (0: half of the GPU's)");

/*
 * System memory held for user space, with amdkfd's limits (its
 * amdgpu_amdkfd_gpuvm_init_mem_limits()):
 *
 *  - system: GTT and USERPTR pages of all processes on all GPUs (and
 *    vkfd's GPUVM page tables, which live in guest RAM), at most RAM less
 *    1/64, less 1.5 GiB more kept back, or half of that below 3 GiB;
 *  - GTT alone: at most half of RAM (TTM's default page limit).
 *
 * Past either, ALLOC says ENOMEM and the guest stays out of OOM.
 */
#define VKFD_SYS_RESERVE_PAGES	((3UL << 29) >> PAGE_SHIFT)

static atomic_long_t vkfd_sys_pages = ATOMIC_LONG_INIT(0);
static atomic_long_t vkfd_gtt_pages = ATOMIC_LONG_INIT(0);

unsigned long vkfd_sys_limit(void)
{
	unsigned long ram = totalram_pages() - totalhigh_pages();
	unsigned long limit = ram - (ram >> 6);

	if (limit < 2 * VKFD_SYS_RESERVE_PAGES)
		return limit >> 1;
	return limit - VKFD_SYS_RESERVE_PAGES;
}

unsigned long vkfd_sys_used(void)
{
	return atomic_long_read(&vkfd_sys_pages);
}

int vkfd_sys_charge(unsigned long pages)
{
	if (atomic_long_add_return(pages, &vkfd_sys_pages) > vkfd_sys_limit()) {
		atomic_long_sub(pages, &vkfd_sys_pages);
		return -ENOMEM;
	}
	return 0;
}

/* A GTT BO counts against both limits. */
int vkfd_gtt_charge(unsigned long pages)
{
	unsigned long limit = (totalram_pages() - totalhigh_pages()) >> 1;
	int ret;

	if (atomic_long_add_return(pages, &vkfd_gtt_pages) > limit) {
		atomic_long_sub(pages, &vkfd_gtt_pages);
		return -ENOMEM;
	}
	ret = vkfd_sys_charge(pages);
	if (ret)
		atomic_long_sub(pages, &vkfd_gtt_pages);
	return ret;
}

void vkfd_gtt_uncharge(unsigned long pages)
{
	WARN_ON(atomic_long_sub_return(pages, &vkfd_gtt_pages) < 0);
	vkfd_sys_uncharge(pages);
}

void vkfd_sys_uncharge(unsigned long pages)
{
	WARN_ON(atomic_long_sub_return(pages, &vkfd_sys_pages) < 0);
}

static int vkfd_check_hw(struct vkfd_dev *dev)
{
	struct device *d = &dev->pdev->dev;
	u32 id = readl(dev->regs + VKFD_REG_ID);
	u32 version = readl(dev->regs + VKFD_REG_VERSION);

	if (id != VKFD_ID_MAGIC) {
		dev_err(d, "not a vkfd device (id 0x%08x)\n", id);
		return -ENODEV;
	}
	if (version >> 16 != VKFD_VERSION_MAJOR) {
		dev_err(d, "unsupported interface version %u.%u\n",
			version >> 16, version & 0xffff);
		return -ENODEV;
	}
	dev->max_contexts = readl(dev->regs + VKFD_REG_MAX_CONTEXTS);
	if (dev->max_contexts < 2 ||
	    dev->max_contexts > VKFD_MAX_CONTEXTS_LIMIT) {
		dev_err(d, "bad context count %u\n", dev->max_contexts);
		return -ENODEV;
	}
	dev->serial = readl(dev->regs + VKFD_REG_SERIAL_LO) |
		      (u64)readl(dev->regs + VKFD_REG_SERIAL_HI) << 32;
	return 0;
}

/*
 * PCIe AtomicOps to the root complex, asked for as amdgpu does for a dGPU:
 * 32- and 64-bit ones both, or none.  Without them the GPU's atomics on
 * system memory are not atomic against the CPUs, and the topology's GPU
 * -> CPU link says so (NO_ATOMICS_32/64_BIT); GFX9 works either way.
 */
static void vkfd_probe_atomics(struct vkfd_dev *dev)
{
	dev->pcie_atomics =
		!pci_enable_atomic_ops_to_root(dev->pdev,
					       PCI_EXP_DEVCAP2_ATOMIC_COMP32 |
					       PCI_EXP_DEVCAP2_ATOMIC_COMP64);
	if (!dev->pcie_atomics)
		dev_info(&dev->pdev->dev, "PCIe atomic ops are not supported\n");
}

static int vkfd_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct vkfd_dev *dev;
	int ret;

	dev = devm_kzalloc(&pdev->dev, sizeof(*dev), GFP_KERNEL);
	if (!dev)
		return -ENOMEM;
	dev->pdev = pdev;
	ida_init(&dev->ctx_ida);
	xa_init(&dev->user_contexts);
	spin_lock_init(&dev->clock_lock);
	atomic_set(&dev->live_contexts, 0);
	vkfd_smi_dev_init(dev);
	pci_set_drvdata(pdev, dev);

	ret = pcim_enable_device(pdev);
	if (ret)
		return ret;
	ret = pcim_iomap_regions(pdev, BIT(VKFD_BAR_REGS), VKFD_DRIVER_NAME);
	if (ret)
		return ret;
	dev->regs = pcim_iomap_table(pdev)[VKFD_BAR_REGS];

	ret = vkfd_check_hw(dev);
	if (ret)
		return ret;

	/* Start from a clean device whatever the last driver left behind. */
	writel(VKFD_CONTROL_RESET, dev->regs + VKFD_REG_CONTROL);

	ret = dma_set_mask_and_coherent(&pdev->dev, DMA_BIT_MASK(64));
	if (ret)
		return ret;
	pci_set_master(pdev);
	vkfd_probe_atomics(dev);

	/* Vectors and IRQ are released by devres, after remove(). */
	ret = pci_alloc_irq_vectors(pdev, 2, 2, PCI_IRQ_MSIX);
	if (ret < 0)
		return ret;
	ret = devm_request_irq(&pdev->dev,
			       pci_irq_vector(pdev, VKFD_VECTOR_SCHED),
			       vkfd_sched_irq, 0, VKFD_DRIVER_NAME, dev);
	if (ret)
		return ret;

	ret = vkfd_sched_init(dev);
	if (ret)
		goto err_sched;
	ret = vkfd_ih_init(dev);
	if (ret)
		goto err_sched;
	ret = vkfd_mem_dev_init(dev);
	if (ret)
		goto err_ih;
	ret = vkfd_drm_init(dev);
	if (ret)
		goto err_mem;

	mutex_lock(&vkfd_lock);
	dev->gpu_id = vkfd_topology_make_gpu_id(dev);
	ret = vkfd_topology_add_device(dev);
	if (!ret)
		list_add_tail(&dev->node, &vkfd_devices);
	mutex_unlock(&vkfd_lock);
	if (ret)
		goto err_drm;

	dev_info(&pdev->dev, "vkfd gpu_id %u, %u contexts\n", dev->gpu_id,
		 dev->max_contexts);
	return 0;

err_drm:
	vkfd_drm_unplug(dev);
	vkfd_drm_fini(dev);
err_mem:
	vkfd_mem_dev_fini(dev);
err_ih:
	vkfd_ih_fini(dev);
err_sched:
	vkfd_sched_fini(dev);
	return ret;
}

static void vkfd_remove(struct pci_dev *pdev)
{
	struct vkfd_dev *dev = pci_get_drvdata(pdev);

	/*
	 * Processes keep running; they just lose this GPU.  The render
	 * nodes go first, so that no mmap or ACQUIRE_VM reaches dev once
	 * it is freed (devm) after this.
	 */
	vkfd_drm_unplug(dev);
	vkfd_ih_fini(dev);
	vkfd_process_detach_device(dev);
	vkfd_smi_dev_fini(dev);
	vkfd_drm_fini(dev);
	vkfd_mem_dev_fini(dev);
	vkfd_sched_fini(dev);
	WARN_ON(atomic_read(&dev->live_contexts));
	WARN_ON(atomic_read(&dev->pt_pages));
	WARN_ON(!xa_empty(&dev->user_contexts));
	xa_destroy(&dev->user_contexts);
	ida_destroy(&dev->ctx_ida);
}

static const struct pci_device_id vkfd_pci_ids[] = {
	{ PCI_DEVICE(VKFD_PCI_VENDOR_ID, VKFD_PCI_DEVICE_ID) },
	{ }
};
MODULE_DEVICE_TABLE(pci, vkfd_pci_ids);

static struct pci_driver vkfd_pci_driver = {
	.name = VKFD_DRIVER_NAME,
	.id_table = vkfd_pci_ids,
	.probe = vkfd_probe,
	.remove = vkfd_remove,
};

static int __init vkfd_init(void)
{
	int ret;

	ret = vkfd_process_module_init();
	if (ret)
		return ret;
	ret = vkfd_chardev_init();
	if (ret)
		goto err_process;
	vkfd_debugfs_init();
	ret = pci_register_driver(&vkfd_pci_driver);
	if (ret)
		goto err_chardev;
	return 0;

err_chardev:
	vkfd_debugfs_exit();
	vkfd_chardev_exit();
err_process:
	vkfd_process_module_exit();
	return ret;
}

static void __exit vkfd_exit(void)
{
	/* Primaries can outlive their files; end them before the devices. */
	vkfd_process_module_exit();
	pci_unregister_driver(&vkfd_pci_driver);
	vkfd_debugfs_exit();
	vkfd_chardev_exit();
}

module_init(vkfd_init);
module_exit(vkfd_exit);

MODULE_DESCRIPTION("Driver for the vkfd virtual AMD KFD device");
MODULE_LICENSE("GPL");
