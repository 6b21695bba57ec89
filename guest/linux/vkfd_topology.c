// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vkfd: GPU identity in the KFD topology
 *
 * User space names a GPU by its gpu_id: a non-zero 16-bit value that
 * stays the same for the same device across boots.  We derive it from the
 * device's serial number and PCI location and step past collisions.
 */
#include <linux/jhash.h>

#include "vkfd_priv.h"

static bool vkfd_gpu_id_taken(u32 gpu_id)
{
	return vkfd_device_by_gpu_id(gpu_id);
}

/* Called under vkfd_lock, before dev joins vkfd_devices. */
u32 vkfd_topology_make_gpu_id(struct vkfd_dev *dev)
{
	u32 key[4] = {
		lower_32_bits(dev->serial),
		upper_32_bits(dev->serial),
		pci_domain_nr(dev->pdev->bus),
		(dev->pdev->bus->number << 8) | dev->pdev->devfn,
	};
	u32 id = jhash2(key, ARRAY_SIZE(key), 0x6b6664) & 0xffff;

	lockdep_assert_held(&vkfd_lock);
	while (!id || vkfd_gpu_id_taken(id))
		id = (id + 1) & 0xffff;
	return id;
}

/* Look a device up by gpu_id; the caller holds vkfd_lock. */
struct vkfd_dev *vkfd_device_by_gpu_id(u32 gpu_id)
{
	struct vkfd_dev *dev;

	lockdep_assert_held(&vkfd_lock);
	list_for_each_entry(dev, &vkfd_devices, node)
		if (dev->gpu_id == gpu_id)
			return dev;
	return NULL;
}

/* Placeholders until the topology sysfs lands (being written now). */
int vkfd_topology_init(struct kobject *kfd_kobj)
{
	return 0;
}

void vkfd_topology_exit(void)
{
}

int vkfd_topology_add_device(struct vkfd_dev *dev)
{
	return 0;
}

void vkfd_topology_remove_device(struct vkfd_dev *dev)
{
}
