// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vkfd: the DRM render node of each GPU
 *
 * User space (libhsakmt) opens /dev/dri/renderD<drm_render_minor> for
 * every GPU node of the topology and hands that file to
 * AMDKFD_IOC_ACQUIRE_VM: the file stands for one GPU virtual address
 * space, which one kfd_process then adopts.  Later, buffer objects are
 * CPU-mapped through the same file.
 */
#include <linux/file.h>
#include <linux/slab.h>

#include <drm/drm_drv.h>
#include <drm/drm_file.h>
#include <drm/drm_ioctl.h>

#include "vkfd_priv.h"

static int vkfd_drm_open(struct drm_device *drm, struct drm_file *file)
{
	struct vkfd_drm_file *vf = kzalloc(sizeof(*vf), GFP_KERNEL);

	if (!vf)
		return -ENOMEM;
	file->driver_priv = vf;
	return 0;
}

static void vkfd_drm_postclose(struct drm_device *drm, struct drm_file *file)
{
	/* An acquired VM holds the file, so no owner can be left here. */
	struct vkfd_drm_file *vf = file->driver_priv;

	WARN_ON(vf->owner);
	kfree(vf);
}

/* After unplug the file outlives its vkfd_dev: drm_dev_enter() says. */
static int vkfd_drm_mmap(struct file *filp, struct vm_area_struct *vma)
{
	struct drm_file *df = filp->private_data;
	struct drm_device *drm = df->minor->dev;
	int idx, ret;

	if (!drm_dev_enter(drm, &idx))
		return -ENODEV;
	ret = vkfd_mem_drm_mmap(drm->dev_private, filp, vma);
	drm_dev_exit(idx);
	return ret;
}

static const struct file_operations vkfd_drm_fops = {
	.owner = THIS_MODULE,
	.open = drm_open,
	.release = drm_release,
	.unlocked_ioctl = drm_ioctl,
	.compat_ioctl = drm_compat_ioctl,
	.poll = drm_poll,
	.read = drm_read,
	.llseek = noop_llseek,
	.mmap = vkfd_drm_mmap,
};

static const struct drm_driver vkfd_drm_driver = {
	.driver_features = DRIVER_RENDER,
	.open = vkfd_drm_open,
	.postclose = vkfd_drm_postclose,
	.fops = &vkfd_drm_fops,
	.name = "vkfd",
	.desc = "vkfd virtual KFD device",
	.date = "20261125",
	.major = 1,
	.minor = 0,
};

int vkfd_drm_init(struct vkfd_dev *dev)
{
	struct drm_device *drm;
	int ret;

	drm = drm_dev_alloc(&vkfd_drm_driver, &dev->pdev->dev);
	if (IS_ERR(drm))
		return PTR_ERR(drm);
	drm->dev_private = dev;
	ret = drm_dev_register(drm, 0);
	if (ret) {
		drm_dev_put(drm);
		return ret;
	}
	dev->drm = drm;
	dev->drm_render_minor = drm->render->index;
	return 0;
}

/*
 * Device removal: the nodes go and every drm_dev_enter() section ends;
 * open files stay, but no longer lead to dev.
 */
void vkfd_drm_unplug(struct vkfd_dev *dev)
{
	drm_dev_unplug(dev->drm);
	dev->drm->dev_private = NULL;
}

void vkfd_drm_fini(struct vkfd_dev *dev)
{
	drm_dev_put(dev->drm);
	dev->drm = NULL;
}

/*
 * The vkfd DRM file behind an open file, or NULL if it is something else
 * (another driver's node, a regular file...).
 */
struct drm_file *vkfd_drm_file(struct file *file)
{
	if (file->f_op != &vkfd_drm_fops)
		return NULL;
	return file->private_data;
}

/* NULL once the device was removed. */
struct vkfd_dev *vkfd_drm_file_device(struct drm_file *df)
{
	return df->minor->dev->dev_private;
}
