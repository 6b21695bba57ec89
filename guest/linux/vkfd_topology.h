/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vkfd: the KFD topology -- what a GPU node publishes (docs/topology.md)
 */
#ifndef VKFD_TOPOLOGY_H
#define VKFD_TOPOLOGY_H

#include <linux/atomic.h>
#include <linux/list.h>
#include <linux/types.h>

#define VKFD_TOPOLOGY_NAME_SIZE	32

/*
 * One GPU as the topology describes it.  Filled once from the device's
 * identity registers when the device is added; only vram_used changes
 * afterwards.  Owned by the vkfd_dev (dev->topo), freed after the node's
 * sysfs files are gone.
 */
struct vkfd_topology_node {
	struct list_head list;		/* GPU nodes in probe order */
	struct vkfd_dev *dev;

	/* what user space names the GPU by */
	u32 gpu_id;
	char name[VKFD_TOPOLOGY_NAME_SIZE];	/* amdgpu's ASIC name */
	u64 unique_id;
	u32 location_id;		/* PCI bus << 8 | devfn */
	u32 domain;
	u32 drm_render_minor;

	/* identity registers */
	u32 gfx_target_version;
	u32 device_id;
	u32 num_cu;
	u32 simd_per_cu;
	u32 num_se;
	u32 sh_per_se;
	u32 max_waves_per_simd;
	u32 wave_size;
	u32 lds_size_kb;
	u32 num_sdma_engines;
	u32 sdma_queues_per_engine;
	u32 num_cp_queues;
	u32 max_engine_clk_mhz;
	u32 fw_version;
	u64 vram_size;

	/*
	 * PCIe AtomicOps, as amdkfd sets its io_link flags: the GPU's own
	 * atomics reach system memory as AtomicOps (probe's
	 * pci_enable_atomic_ops_to_root(), the GPU -> CPU link), and the
	 * GPU completes the CPU's on its BARs (its DevCap2, CPU -> GPU).
	 */
	bool atomics_to_host;
	bool atomics_completer;

	atomic64_t vram_used;		/* bytes of VRAM allocated */
};

void vkfd_topology_vram_used(struct vkfd_dev *dev, u64 bytes);

#endif /* VKFD_TOPOLOGY_H */
