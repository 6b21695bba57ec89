// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vkfd_amdgpu_marker: a module whose only content is its name.
 *
 * rocminfo 5.2 runs `lsmod | grep amdgpu` before it opens /dev/kfd and
 * stops when nothing matches.  Loading this module (scripts/vkfd-vm --rocm
 * does) satisfies that check and says so: it holds no amdgpu code, drives
 * no device and exports nothing; /dev/kfd is vkfd's.  It shares no name,
 * symbol or sysfs path with the real amdgpu, so a guest may load both
 * (docs/rocm.md, "The lsmod check").
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>

static int __init vkfd_amdgpu_marker_init(void)
{
	pr_info("loaded for tools that look for amdgpu in lsmod; /dev/kfd is vkfd's, no amdgpu code is present\n");
	return 0;
}

static void __exit vkfd_amdgpu_marker_exit(void)
{
}

module_init(vkfd_amdgpu_marker_init);
module_exit(vkfd_amdgpu_marker_exit);
MODULE_DESCRIPTION("vkfd: a name for `lsmod | grep amdgpu` checks, no amdgpu code");
MODULE_LICENSE("GPL");
