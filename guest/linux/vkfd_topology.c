// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vkfd: the KFD topology
 *
 * User space learns what it may use from sysfs, under
 * /sys/devices/virtual/kfd/kfd/topology/: a generation counter, system
 * properties and one node per processor, the CPU first (node 0), then one
 * GPU node per vkfd device in probe order.  Each node has "name value"
 * properties in amdkfd's key order, one memory bank, the GPU's caches, I/O
 * links between the CPU and each GPU, and an empty p2p_links folder.
 * docs/topology.md lists every file and where its values come from.
 *
 * A GPU's values come from the device's identity registers, read once
 * when the device is added.  Node numbers must stay consecutive, so every
 * change (a device added or removed) takes the node folders down and
 * builds them again, as amdkfd does; all of it under vkfd_lock.  The
 * files' text is made when they are built, so reading them needs no
 * lock: kernfs waits for readers before a folder goes.
 *
 * User space names a GPU by its gpu_id: a non-zero 16-bit value that
 * stays the same for the same device across boots.  We derive it from the
 * device's serial number and PCI location and step past collisions.
 */
#include <linux/cpufreq.h>
#include <linux/cpumask.h>
#include <linux/jhash.h>
#include <linux/kobject.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/sysfs.h>
#ifdef CONFIG_X86
#include <asm/tsc.h>
#endif

#include "vkfd_priv.h"
#include "vkfd_topology.h"

/* Values of amdkfd's topology ABI (include/uapi/linux/kfd_sysfs.h) */
#define VKFD_AMD_VENDOR_ID		0x1002
#define VKFD_HEAP_SYSTEM		0
#define VKFD_HEAP_FB_PUBLIC		1
#define VKFD_IOLINK_TYPE_PCIE		2
#define VKFD_IOLINK_ENABLED		0x1
#define VKFD_IOLINK_NO_ATOMICS_32	0x4
#define VKFD_IOLINK_NO_ATOMICS_64	0x8
#define VKFD_CAP_DOORBELL_TYPE_SHIFT	12
#define VKFD_CAP_DOORBELL_TYPE_2_0	2	/* GFX9+: 64-bit doorbells */
/* amdkfd's HSA_CAP_SVMAPI_SUPPORTED: AMDKFD_IOC_SVM works on this GPU */
#define VKFD_CAP_SVMAPI_SUPPORTED	0x08000000

/* What amdkfd reports for a PCIe GPU, and our choices where it varies */
#define VKFD_IOLINK_WEIGHT_PCIE		20
#define VKFD_GPU_SIMD_ID_BASE		0x80001000u
#define VKFD_SCRATCH_SLOTS_PER_CU	32
/*
 * The SDMA engines' firmware version.  vkfd's engines run no firmware; a
 * GPU with SDMA always reports one (libhsakmt keeps its low 10 bits as
 * uCodeSDMA), so a fixed non-zero value stands for it.
 */
#define VKFD_SDMA_FW_VERSION		8
#define VKFD_VRAM_WIDTH			4096	/* bits, as HBM2 */
#define VKFD_VRAM_CLK_MHZ		1600

/* system_properties: our own ids, as a CRAT table header would carry */
#define VKFD_PLATFORM_OEM		0x44464b56ULL		/* "VKFD" */
#define VKFD_PLATFORM_ID		0x4f504f5444464b56ULL	/* "VKFDTOPO" */
#define VKFD_PLATFORM_REV		1

/* Node names: amdgpu's ASIC name for each GFX target, in lower case */
static const struct {
	u32 gfx_target_version;
	const char *name;
} vkfd_asic_names[] = {
	{ 90000, "vega10" },
	{ 90002, "raven" },
	{ 90004, "vega12" },
	{ 90006, "vega20" },
	{ 90008, "arcturus" },
	{ 90010, "aldebaran" },
	{ 90012, "renoir" },
};

/* A sysfs folder with files: a node, a memory bank or an I/O link. */
struct vkfd_topo_dir {
	struct kobject kobj;
	struct vkfd_topology_node *gpu;	/* NULL: part of the CPU node */
	char *props;			/* text of its properties file */
};

/* The folders of one published node, torn down in reverse. */
struct vkfd_topo_sysfs {
	struct vkfd_topo_dir *node;
	struct kobject *mem_banks;
	struct kobject *caches;
	struct kobject *io_links;
	struct kobject *p2p_links;
	struct vkfd_topo_dir *bank;
	struct vkfd_topo_dir **links;
	unsigned int num_links;
	struct vkfd_topo_dir **caches_dirs;
	unsigned int num_caches;
};

/*
 * A GPU's caches, as amdkfd describes each GFX9 ASIC: size in KiB, level,
 * whether it holds instructions, and how many CUs of a shader array share
 * one.  amdkfd publishes one folder per instance: per shader array, per
 * group of sharing CUs.  ROCr refuses a GPU without a data cache.
 */
struct vkfd_cache_kind {
	u16 size_kb;
	u8 level;
	u8 inst;
	u8 cu_shared;
};

/*
 * What differs between the GFX9 ASICs: CUs per SQC, and the L2 (its
 * line is 128 bytes on Aldebaran, 64 on the others)
 */
struct vkfd_cache_table {
	u32 gfx_target_version;
	u8 sqc_cus;
	u8 l2_cus;
	u16 l2_kb;
	u16 l2_line;
};

static const struct vkfd_cache_table vkfd_cache_tables[] = {
	{ 90000, 3, 16, 4096, 64 },	/* Vega 10 */
	{ 90002, 3, 11, 1024, 64 },	/* Raven */
	{ 90004, 3, 5, 2048, 64 },	/* Vega 12 */
	{ 90006, 3, 16, 8192, 64 },	/* Vega 20 */
	{ 90008, 3, 16, 8192, 64 },	/* Arcturus: Vega 20's */
	{ 90010, 2, 14, 8192, 128 },	/* Aldebaran */
	{ 90012, 3, 8, 1024, 64 },	/* Renoir */
};

#define VKFD_CACHE_KINDS	4

/* Kind k: TCP L1 per CU, SQC instruction, SQC scalar data, L2. */
static struct vkfd_cache_kind vkfd_cache_kind(const struct vkfd_cache_table *t,
					      unsigned int k)
{
	switch (k) {
	case 0:
		return (struct vkfd_cache_kind){ 16, 1, 0, 1 };
	case 1:
		return (struct vkfd_cache_kind){ 32, 1, 1, t->sqc_cus };
	case 2:
		return (struct vkfd_cache_kind){ 16, 1, 0, t->sqc_cus };
	default:
		return (struct vkfd_cache_kind){ t->l2_kb, 2, 0, t->l2_cus };
	}
}

/* HSA cache type bits in the properties file (amdkfd's HSA_CACHE_TYPE_*) */
#define VKFD_CACHE_TYPE_DATA		0x1
#define VKFD_CACHE_TYPE_INSTRUCTION	0x2
#define VKFD_CACHE_TYPE_HSACU		0x8

/* What the CPU node says, measured at every rebuild. */
struct vkfd_cpu_info {
	u32 cores;
	u32 mhz;
	u64 ram;
};

/* Under vkfd_lock, except generation (read by its show function). */
static struct {
	struct kobject *topology;
	struct kobject *nodes;
	struct list_head gpus;		/* vkfd_topology_node, probe order */
	unsigned int num_gpus;
	u32 generation;
	struct vkfd_topo_sysfs *sysfs;	/* one per published node */
	unsigned int num_published;
} vkfd_topo = {
	.gpus = LIST_HEAD_INIT(vkfd_topo.gpus),
};

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

/* ------------------------------------------------------------------ */
/* sysfs files */

static struct vkfd_topo_dir *to_topo_dir(struct kobject *kobj)
{
	return container_of(kobj, struct vkfd_topo_dir, kobj);
}

static ssize_t properties_show(struct kobject *kobj,
			       struct kobj_attribute *attr, char *buf)
{
	/* the text is made at build time, lines and newlines included */
	return strscpy(buf, to_topo_dir(kobj)->props, PAGE_SIZE);
}

static ssize_t gpu_id_show(struct kobject *kobj, struct kobj_attribute *attr,
			   char *buf)
{
	struct vkfd_topology_node *gpu = to_topo_dir(kobj)->gpu;

	return sysfs_emit(buf, "%u\n", gpu ? gpu->gpu_id : 0);
}

static ssize_t name_show(struct kobject *kobj, struct kobj_attribute *attr,
			 char *buf)
{
	struct vkfd_topology_node *gpu = to_topo_dir(kobj)->gpu;

	return sysfs_emit(buf, "%s\n", gpu ? gpu->name : "");
}

static ssize_t used_memory_show(struct kobject *kobj,
				struct kobj_attribute *attr, char *buf)
{
	struct vkfd_topology_node *gpu = to_topo_dir(kobj)->gpu;

	return sysfs_emit(buf, "%llu\n", (u64)atomic64_read(&gpu->vram_used));
}

static ssize_t generation_id_show(struct kobject *kobj,
				  struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%u\n", READ_ONCE(vkfd_topo.generation));
}

static ssize_t system_properties_show(struct kobject *kobj,
				      struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "platform_oem %llu\nplatform_id %llu\nplatform_rev %u\n",
			  VKFD_PLATFORM_OEM, VKFD_PLATFORM_ID,
			  VKFD_PLATFORM_REV);
}

static struct kobj_attribute properties_attr = __ATTR_RO(properties);
static struct kobj_attribute gpu_id_attr = __ATTR_RO(gpu_id);
static struct kobj_attribute name_attr = __ATTR_RO(name);
static struct kobj_attribute used_memory_attr = __ATTR_RO(used_memory);
static struct kobj_attribute generation_id_attr = __ATTR_RO(generation_id);
static struct kobj_attribute system_properties_attr =
	__ATTR_RO(system_properties);

static struct attribute *vkfd_topology_attrs[] = {
	&generation_id_attr.attr,
	&system_properties_attr.attr,
	NULL
};

static const struct attribute_group vkfd_topology_group = {
	.attrs = vkfd_topology_attrs,
};

static struct attribute *vkfd_node_attrs[] = {
	&gpu_id_attr.attr,
	&name_attr.attr,
	&properties_attr.attr,
	NULL
};
ATTRIBUTE_GROUPS(vkfd_node);

static struct attribute *vkfd_mem_attrs[] = {
	&properties_attr.attr,
	&used_memory_attr.attr,
	NULL
};

/* used_memory belongs to GPU banks only. */
static umode_t vkfd_mem_attr_visible(struct kobject *kobj,
				     struct attribute *attr, int n)
{
	if (attr == &used_memory_attr.attr && !to_topo_dir(kobj)->gpu)
		return 0;
	return attr->mode;
}

static const struct attribute_group vkfd_mem_group = {
	.attrs = vkfd_mem_attrs,
	.is_visible = vkfd_mem_attr_visible,
};

static const struct attribute_group *vkfd_mem_groups[] = {
	&vkfd_mem_group,
	NULL
};

static struct attribute *vkfd_link_attrs[] = {
	&properties_attr.attr,
	NULL
};
ATTRIBUTE_GROUPS(vkfd_link);

static void vkfd_topo_dir_release(struct kobject *kobj)
{
	struct vkfd_topo_dir *dir = to_topo_dir(kobj);

	kfree(dir->props);
	kfree(dir);
}

static const struct kobj_type vkfd_node_ktype = {
	.release = vkfd_topo_dir_release,
	.sysfs_ops = &kobj_sysfs_ops,
	.default_groups = vkfd_node_groups,
};

static const struct kobj_type vkfd_mem_ktype = {
	.release = vkfd_topo_dir_release,
	.sysfs_ops = &kobj_sysfs_ops,
	.default_groups = vkfd_mem_groups,
};

static const struct kobj_type vkfd_link_ktype = {
	.release = vkfd_topo_dir_release,
	.sysfs_ops = &kobj_sysfs_ops,
	.default_groups = vkfd_link_groups,
};

/* ------------------------------------------------------------------ */
/* properties text */

struct vkfd_props {
	char *buf;		/* PAGE_SIZE, NULL if it could not be had */
	size_t len;
};

static void vkfd_props_start(struct vkfd_props *p)
{
	p->buf = kmalloc(PAGE_SIZE, GFP_KERNEL);
	p->len = 0;
	if (p->buf)
		p->buf[0] = '\0';
}

/* One "name value" line, as amdkfd prints them and libhsakmt reads them */
static void vkfd_prop(struct vkfd_props *p, const char *key, u64 val)
{
	if (p->buf)
		p->len += scnprintf(p->buf + p->len, PAGE_SIZE - p->len,
				    "%s %llu\n", key, val);
}

static const struct vkfd_cache_table *
vkfd_cache_table(const struct vkfd_topology_node *gpu)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(vkfd_cache_tables); i++)
		if (vkfd_cache_tables[i].gfx_target_version ==
		    gpu->gfx_target_version)
			return &vkfd_cache_tables[i];
	return NULL;
}

/* CUs of one shader array; the groups of sharing CUs are made in each. */
static u32 vkfd_cu_per_array(const struct vkfd_topology_node *gpu)
{
	u32 arrays = gpu->num_se * gpu->sh_per_se;

	return arrays ? DIV_ROUND_UP(gpu->num_cu, arrays) : gpu->num_cu;
}

static u32 vkfd_gpu_cache_count(const struct vkfd_topology_node *gpu)
{
	const struct vkfd_cache_table *t = vkfd_cache_table(gpu);
	u32 per_array = vkfd_cu_per_array(gpu), n = 0;
	unsigned int k;

	if (!t)
		return 0;
	for (k = 0; k < VKFD_CACHE_KINDS; k++)
		n += gpu->num_se * gpu->sh_per_se *
		     DIV_ROUND_UP(per_array, vkfd_cache_kind(t, k).cu_shared);
	return n;
}

/*
 * Instance <index> of the GPU's caches: kind by kind, then shader array by
 * shader array, then group by group, as amdkfd numbers them.
 * processor_id_low is the first SIMD of the group's first CU.
 */
static char *vkfd_cache_props(const struct vkfd_topology_node *gpu,
			      u32 simd_id_base, u32 index)
{
	const struct vkfd_cache_table *t = vkfd_cache_table(gpu);
	u32 per_array = vkfd_cu_per_array(gpu);
	u32 arrays = gpu->num_se * gpu->sh_per_se;
	struct vkfd_cache_kind kind;
	const struct vkfd_cache_kind *c = &kind;
	u32 groups, first_cu, cu, type;
	struct vkfd_props p;
	unsigned int k;

	for (k = 0; k < VKFD_CACHE_KINDS; k++) {
		kind = vkfd_cache_kind(t, k);
		groups = DIV_ROUND_UP(per_array, kind.cu_shared);
		if (index < arrays * groups)
			break;
		index -= arrays * groups;
	}
	first_cu = index / groups * per_array +
		   index % groups * c->cu_shared;
	type = VKFD_CACHE_TYPE_HSACU | (c->inst ? VKFD_CACHE_TYPE_INSTRUCTION :
						  VKFD_CACHE_TYPE_DATA);

	vkfd_props_start(&p);
	vkfd_prop(&p, "processor_id_low",
		  simd_id_base + first_cu * gpu->simd_per_cu);
	vkfd_prop(&p, "level", c->level);
	vkfd_prop(&p, "size", c->size_kb);
	vkfd_prop(&p, "cache_line_size", c->level == 2 ? t->l2_line : 64);
	/* amdkfd's GPU tables leave these three at 0 */
	vkfd_prop(&p, "cache_lines_per_tag", 0);
	vkfd_prop(&p, "association", 0);
	vkfd_prop(&p, "latency", 0);
	vkfd_prop(&p, "type", type);
	if (p.buf) {
		/* which CUs of the GPU share this instance, one digit each */
		p.len += scnprintf(p.buf + p.len, PAGE_SIZE - p.len,
				   "sibling_map ");
		for (cu = 0; cu < gpu->num_cu; cu++)
			p.len += scnprintf(p.buf + p.len, PAGE_SIZE - p.len,
					   "%d%s", cu >= first_cu &&
					   cu < first_cu + c->cu_shared &&
					   cu / per_array == first_cu / per_array,
					   cu + 1 < gpu->num_cu ? "," : "\n");
	}
	return p.buf;
}

static char *vkfd_node_props(const struct vkfd_topology_node *gpu,
			     const struct vkfd_cpu_info *cpu,
			     u32 num_links, u32 simd_id_base)
{
	static const struct vkfd_topology_node no_gpu;
	const struct vkfd_topology_node *g = gpu ? gpu : &no_gpu;
	u32 arrays = g->num_se * g->sh_per_se;
	struct vkfd_props p;

	vkfd_props_start(&p);
	vkfd_prop(&p, "cpu_cores_count", gpu ? 0 : cpu->cores);
	vkfd_prop(&p, "simd_count", g->num_cu * g->simd_per_cu);
	vkfd_prop(&p, "mem_banks_count", 1);
	vkfd_prop(&p, "caches_count", gpu ? vkfd_gpu_cache_count(gpu) : 0);
	vkfd_prop(&p, "io_links_count", num_links);
	vkfd_prop(&p, "p2p_links_count", 0);
	vkfd_prop(&p, "cpu_core_id_base", 0);
	vkfd_prop(&p, "simd_id_base", gpu ? simd_id_base : 0);
	vkfd_prop(&p, "max_waves_per_simd", g->max_waves_per_simd);
	vkfd_prop(&p, "lds_size_in_kb", g->lds_size_kb);
	vkfd_prop(&p, "gds_size_in_kb", 0);
	vkfd_prop(&p, "num_gws", 0);
	vkfd_prop(&p, "wave_front_size", g->wave_size);
	vkfd_prop(&p, "array_count", arrays);
	vkfd_prop(&p, "simd_arrays_per_engine", g->sh_per_se);
	vkfd_prop(&p, "cu_per_simd_array", arrays ? g->num_cu / arrays : 0);
	vkfd_prop(&p, "simd_per_cu", g->simd_per_cu);
	vkfd_prop(&p, "max_slots_scratch_cu",
		  gpu ? VKFD_SCRATCH_SLOTS_PER_CU : 0);
	vkfd_prop(&p, "gfx_target_version", g->gfx_target_version);
	vkfd_prop(&p, "vendor_id", gpu ? VKFD_AMD_VENDOR_ID : 0);
	vkfd_prop(&p, "device_id", g->device_id);
	vkfd_prop(&p, "location_id", g->location_id);
	vkfd_prop(&p, "domain", g->domain);
	vkfd_prop(&p, "drm_render_minor", g->drm_render_minor);
	vkfd_prop(&p, "hive_id", 0);
	vkfd_prop(&p, "num_sdma_engines", g->num_sdma_engines);
	vkfd_prop(&p, "num_sdma_xgmi_engines", 0);
	vkfd_prop(&p, "num_sdma_queues_per_engine", g->sdma_queues_per_engine);
	vkfd_prop(&p, "num_cp_queues", g->num_cp_queues);
	if (gpu) {
		vkfd_prop(&p, "max_engine_clk_fcompute", gpu->max_engine_clk_mhz);
		vkfd_prop(&p, "local_mem_size", 0);
		vkfd_prop(&p, "fw_version", gpu->fw_version);
		/*
		 * SVM as amdkfd's KFD_IS_SVM_API_SUPPORTED: ranges are
		 * mirrored into the GPU's VM, which needs the kernel's HMM
		 */
		vkfd_prop(&p, "capability",
			  VKFD_CAP_DOORBELL_TYPE_2_0 <<
			  VKFD_CAP_DOORBELL_TYPE_SHIFT |
			  (IS_ENABLED(CONFIG_HMM_MIRROR) ?
			   VKFD_CAP_SVMAPI_SUPPORTED : 0));
		vkfd_prop(&p, "capability2", 0);
		vkfd_prop(&p, "debug_prop", 0);
		vkfd_prop(&p, "sdma_fw_version", VKFD_SDMA_FW_VERSION);
		vkfd_prop(&p, "unique_id", gpu->unique_id);
		vkfd_prop(&p, "num_xcc", 1);
	}
	vkfd_prop(&p, "max_engine_clk_ccompute", cpu->mhz);
	return p.buf;
}

static char *vkfd_mem_props(const struct vkfd_topology_node *gpu,
			    const struct vkfd_cpu_info *cpu)
{
	struct vkfd_props p;

	vkfd_props_start(&p);
	vkfd_prop(&p, "heap_type", gpu ? VKFD_HEAP_FB_PUBLIC : VKFD_HEAP_SYSTEM);
	vkfd_prop(&p, "size_in_bytes", gpu ? gpu->vram_size : cpu->ram);
	vkfd_prop(&p, "flags", 0);
	vkfd_prop(&p, "width", gpu ? VKFD_VRAM_WIDTH : 0);
	vkfd_prop(&p, "mem_clk_max", gpu ? VKFD_VRAM_CLK_MHZ : 0);
	return p.buf;
}

/*
 * A PCIe link between the CPU node and a GPU node, either way round.
 * Its atomics are the requester's: the GPU's own on the way to the CPU,
 * what the GPU completes for the CPU on the way to it.
 */
static char *vkfd_link_props(u32 from, u32 to, bool atomics)
{
	u32 flags = VKFD_IOLINK_ENABLED;

	struct vkfd_props p;

	vkfd_props_start(&p);
	vkfd_prop(&p, "type", VKFD_IOLINK_TYPE_PCIE);
	vkfd_prop(&p, "version_major", 0);
	vkfd_prop(&p, "version_minor", 0);
	vkfd_prop(&p, "node_from", from);
	vkfd_prop(&p, "node_to", to);
	vkfd_prop(&p, "weight", VKFD_IOLINK_WEIGHT_PCIE);
	vkfd_prop(&p, "min_latency", 0);
	vkfd_prop(&p, "max_latency", 0);
	vkfd_prop(&p, "min_bandwidth", 0);
	vkfd_prop(&p, "max_bandwidth", 0);
	vkfd_prop(&p, "recommended_transfer_size", 0);
	vkfd_prop(&p, "recommended_sdma_engine_id_mask", 0);
	if (!atomics)
		flags |= VKFD_IOLINK_NO_ATOMICS_32 | VKFD_IOLINK_NO_ATOMICS_64;
	vkfd_prop(&p, "flags", flags);
	return p.buf;
}

/* ------------------------------------------------------------------ */
/* building and tearing down the node folders */

static void vkfd_cpu_info(struct vkfd_cpu_info *cpu)
{
	unsigned int khz = cpufreq_quick_get_max(0);

#ifdef CONFIG_X86
	if (!khz)
		khz = cpu_khz;
#endif
	cpu->cores = num_online_cpus();
	cpu->mhz = khz / 1000;
	cpu->ram = (u64)totalram_pages() << PAGE_SHIFT;
}

/* Add folder <index> under parent; it owns props from here on. */
static struct vkfd_topo_dir *vkfd_topo_dir_add(const struct kobj_type *type,
					       struct kobject *parent,
					       struct vkfd_topology_node *gpu,
					       char *props, unsigned int index)
{
	struct vkfd_topo_dir *dir;

	if (!props)
		return NULL;
	dir = kzalloc(sizeof(*dir), GFP_KERNEL);
	if (!dir) {
		kfree(props);
		return NULL;
	}
	dir->gpu = gpu;
	dir->props = props;
	if (kobject_init_and_add(&dir->kobj, type, parent, "%u", index)) {
		kobject_put(&dir->kobj);
		return NULL;
	}
	return dir;
}

static void vkfd_kobj_remove(struct kobject *kobj)
{
	if (!kobj)
		return;
	kobject_del(kobj);
	kobject_put(kobj);
}

static void vkfd_topo_dir_remove(struct vkfd_topo_dir *dir)
{
	if (dir)
		vkfd_kobj_remove(&dir->kobj);
}

static void vkfd_topo_unpublish_node(struct vkfd_topo_sysfs *ns)
{
	while (ns->num_links)
		vkfd_topo_dir_remove(ns->links[--ns->num_links]);
	kfree(ns->links);
	while (ns->num_caches)
		vkfd_topo_dir_remove(ns->caches_dirs[--ns->num_caches]);
	kfree(ns->caches_dirs);
	vkfd_topo_dir_remove(ns->bank);
	vkfd_kobj_remove(ns->p2p_links);
	vkfd_kobj_remove(ns->io_links);
	vkfd_kobj_remove(ns->caches);
	vkfd_kobj_remove(ns->mem_banks);
	vkfd_topo_dir_remove(ns->node);
	memset(ns, 0, sizeof(*ns));
}

/* The next io_link folder of node ns, with its properties text. */
static int vkfd_topo_publish_link(struct vkfd_topo_sysfs *ns,
				  struct vkfd_topology_node *gpu, char *props)
{
	unsigned int i = ns->num_links;

	ns->links[i] = vkfd_topo_dir_add(&vkfd_link_ktype, ns->io_links, gpu,
					 props, i);
	if (!ns->links[i])
		return -ENOMEM;
	ns->num_links++;
	return 0;
}

/*
 * Node <index>: the CPU (gpu NULL) with a link to every GPU, or a GPU with
 * its link to the CPU.  On failure the caller tears down what was made.
 */
static int vkfd_topo_publish_node(struct vkfd_topo_sysfs *ns,
				  unsigned int index,
				  struct vkfd_topology_node *gpu,
				  const struct vkfd_cpu_info *cpu,
				  u32 simd_id_base)
{
	unsigned int i, ncaches, links = gpu ? 1 : vkfd_topo.num_gpus;
	struct vkfd_topology_node *peer;
	struct kobject *k;
	int ret;

	ns->node = vkfd_topo_dir_add(&vkfd_node_ktype, vkfd_topo.nodes, gpu,
				     vkfd_node_props(gpu, cpu, links,
						     simd_id_base),
				     index);
	if (!ns->node)
		return -ENOMEM;
	k = &ns->node->kobj;
	ns->mem_banks = kobject_create_and_add("mem_banks", k);
	ns->caches = kobject_create_and_add("caches", k);
	ns->io_links = kobject_create_and_add("io_links", k);
	ns->p2p_links = kobject_create_and_add("p2p_links", k);
	if (!ns->mem_banks || !ns->caches || !ns->io_links || !ns->p2p_links)
		return -ENOMEM;

	ns->bank = vkfd_topo_dir_add(&vkfd_mem_ktype, ns->mem_banks, gpu,
				     vkfd_mem_props(gpu, cpu), 0);
	if (!ns->bank)
		return -ENOMEM;

	ncaches = gpu ? vkfd_gpu_cache_count(gpu) : 0;
	if (ncaches) {
		ns->caches_dirs = kcalloc(ncaches, sizeof(*ns->caches_dirs),
					  GFP_KERNEL);
		if (!ns->caches_dirs)
			return -ENOMEM;
	}
	for (i = 0; i < ncaches; i++) {
		ns->caches_dirs[i] =
			vkfd_topo_dir_add(&vkfd_mem_ktype, ns->caches, gpu,
					  vkfd_cache_props(gpu, simd_id_base, i),
					  i);
		if (!ns->caches_dirs[i])
			return -ENOMEM;
		ns->num_caches++;
	}

	if (!links)
		return 0;
	ns->links = kcalloc(links, sizeof(*ns->links), GFP_KERNEL);
	if (!ns->links)
		return -ENOMEM;
	if (gpu)
		return vkfd_topo_publish_link(ns, gpu,
					      vkfd_link_props(index, 0,
							      gpu->atomics_to_host));
	i = 0;
	list_for_each_entry(peer, &vkfd_topo.gpus, list) {
		if (i == links)
			break;
		ret = vkfd_topo_publish_link(ns, NULL,
					     vkfd_link_props(0, i + 1,
							     peer->atomics_completer));
		if (ret)
			return ret;
		i++;
	}
	return 0;
}

static void vkfd_topo_unpublish(void)
{
	lockdep_assert_held(&vkfd_lock);
	while (vkfd_topo.num_published)
		vkfd_topo_unpublish_node(&vkfd_topo.sysfs[--vkfd_topo.num_published]);
	kfree(vkfd_topo.sysfs);
	vkfd_topo.sysfs = NULL;
}

/* Build nodes/0..N: the CPU, then the GPUs in probe order. */
static int vkfd_topo_publish(void)
{
	unsigned int index = 0, count = 1 + vkfd_topo.num_gpus;
	u32 simd_id_base = VKFD_GPU_SIMD_ID_BASE;
	struct vkfd_topology_node *gpu;
	struct vkfd_cpu_info cpu;
	int ret;

	lockdep_assert_held(&vkfd_lock);
	vkfd_cpu_info(&cpu);
	vkfd_topo.sysfs = kcalloc(count, sizeof(*vkfd_topo.sysfs), GFP_KERNEL);
	if (!vkfd_topo.sysfs)
		return -ENOMEM;
	vkfd_topo.num_published = count;

	ret = vkfd_topo_publish_node(&vkfd_topo.sysfs[0], 0, NULL, &cpu, 0);
	list_for_each_entry(gpu, &vkfd_topo.gpus, list) {
		if (ret)
			break;
		index++;
		ret = vkfd_topo_publish_node(&vkfd_topo.sysfs[index], index, gpu,
					     &cpu, simd_id_base);
		simd_id_base += gpu->num_cu;
	}
	if (ret)
		vkfd_topo_unpublish();
	return ret;
}

/* ------------------------------------------------------------------ */
/* GPU nodes */

static const char *vkfd_asic_name(u32 gfx_target_version)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(vkfd_asic_names); i++)
		if (vkfd_asic_names[i].gfx_target_version == gfx_target_version)
			return vkfd_asic_names[i].name;
	return NULL;
}

/*
 * Read the device's identity registers.  The device is input like any
 * other: a shape no GPU has (zero CUs, arrays of unequal size, a GFX
 * version libhsakmt cannot name) is refused, not published.
 */
static int vkfd_topology_read_identity(struct vkfd_dev *dev,
				       struct vkfd_topology_node *gpu)
{
	void __iomem *regs = dev->regs;
	struct pci_dev *pdev = dev->pdev;
	u32 major, minor, step, arrays, devcap2;
	const char *name;
	u32 key[2];

	gpu->gfx_target_version = readl(regs + VKFD_REG_GFX_TARGET_VERSION);
	gpu->device_id = readl(regs + VKFD_REG_ASIC_DEVICE_ID);
	gpu->num_cu = readl(regs + VKFD_REG_NUM_CU);
	gpu->simd_per_cu = readl(regs + VKFD_REG_SIMD_PER_CU);
	gpu->num_se = readl(regs + VKFD_REG_NUM_SE);
	gpu->sh_per_se = readl(regs + VKFD_REG_SH_PER_SE);
	gpu->max_waves_per_simd = readl(regs + VKFD_REG_MAX_WAVES_PER_SIMD);
	gpu->wave_size = readl(regs + VKFD_REG_WAVE_SIZE);
	gpu->lds_size_kb = readl(regs + VKFD_REG_LDS_SIZE_KB);
	gpu->num_sdma_engines = readl(regs + VKFD_REG_NUM_SDMA_ENGINES);
	gpu->sdma_queues_per_engine =
		readl(regs + VKFD_REG_SDMA_QUEUES_PER_ENGINE);
	gpu->num_cp_queues = readl(regs + VKFD_REG_NUM_CP_QUEUES);
	gpu->max_engine_clk_mhz = readl(regs + VKFD_REG_MAX_ENGINE_CLK_MHZ);
	gpu->fw_version = readl(regs + VKFD_REG_FW_VERSION);
	gpu->vram_size = readl(regs + VKFD_REG_VRAM_SIZE_LO) |
			 (u64)readl(regs + VKFD_REG_VRAM_SIZE_HI) << 32;

	major = gpu->gfx_target_version / 10000;
	minor = gpu->gfx_target_version / 100 % 100;
	step = gpu->gfx_target_version % 100;
	arrays = gpu->num_se * gpu->sh_per_se;
	if (!major || major > 99 || minor > 15 || step > 15 ||
	    !gpu->num_cu || gpu->num_cu > 1024 ||
	    !gpu->simd_per_cu || gpu->simd_per_cu > 16 ||
	    !gpu->num_se || gpu->num_se > 64 ||
	    !gpu->sh_per_se || gpu->sh_per_se > 16 ||
	    gpu->num_cu % arrays || !gpu->max_waves_per_simd ||
	    (gpu->wave_size != 32 && gpu->wave_size != 64) ||
	    !gpu->lds_size_kb || !gpu->num_cp_queues) {
		dev_err(&pdev->dev, "implausible GPU identity: gfx %u, %u CUs x %u SIMDs in %u SE x %u SH, wave %u, LDS %u KiB, %u CP queues\n",
			gpu->gfx_target_version, gpu->num_cu, gpu->simd_per_cu,
			gpu->num_se, gpu->sh_per_se, gpu->wave_size,
			gpu->lds_size_kb, gpu->num_cp_queues);
		return -ENODEV;
	}

	name = vkfd_asic_name(gpu->gfx_target_version);
	if (name)
		strscpy(gpu->name, name, sizeof(gpu->name));
	else
		snprintf(gpu->name, sizeof(gpu->name), "gfx%u%x%x",
			 major, minor, step);

	gpu->dev = dev;
	gpu->gpu_id = dev->gpu_id;
	gpu->domain = pci_domain_nr(pdev->bus);
	gpu->location_id = pci_dev_id(pdev);
	gpu->drm_render_minor = dev->drm_render_minor;
	/* the CPU -> GPU link: what the GPU completes, as amdkfd reads it */
	pcie_capability_read_dword(pdev, PCI_EXP_DEVCAP2, &devcap2);
	gpu->atomics_completer = devcap2 & (PCI_EXP_DEVCAP2_ATOMIC_COMP32 |
					    PCI_EXP_DEVCAP2_ATOMIC_COMP64);
	gpu->atomics_to_host = dev->pcie_atomics;
	/* the serial when the device has one, else one from where it sits */
	key[0] = gpu->domain;
	key[1] = gpu->location_id;
	gpu->unique_id = dev->serial ? dev->serial :
			 (u64)jhash2(key, 2, 0x756e6971) << 32 |
			 jhash2(key, 2, 0x6b666431);
	atomic64_set(&gpu->vram_used, 0);
	return 0;
}

/* Called under vkfd_lock from probe, after gpu_id and the DRM minor. */
int vkfd_topology_add_device(struct vkfd_dev *dev)
{
	struct vkfd_topology_node *gpu;
	int ret;

	lockdep_assert_held(&vkfd_lock);
	gpu = kzalloc(sizeof(*gpu), GFP_KERNEL);
	if (!gpu)
		return -ENOMEM;
	ret = vkfd_topology_read_identity(dev, gpu);
	if (ret) {
		kfree(gpu);
		return ret;
	}

	vkfd_topo_unpublish();
	list_add_tail(&gpu->list, &vkfd_topo.gpus);
	vkfd_topo.num_gpus++;
	WRITE_ONCE(vkfd_topo.generation, vkfd_topo.generation + 1);
	ret = vkfd_topo_publish();
	if (ret) {
		list_del(&gpu->list);
		vkfd_topo.num_gpus--;
		if (vkfd_topo_publish())
			pr_err("vkfd: the KFD topology could not be rebuilt\n");
		kfree(gpu);
		return ret;
	}
	dev->topo = gpu;
	dev_info(&dev->pdev->dev, "GPU node %u: %s (gfx_target_version %u, device 0x%04x), %u CUs, %llu MiB VRAM, render minor %u\n",
		 vkfd_topo.num_gpus, gpu->name, gpu->gfx_target_version,
		 gpu->device_id, gpu->num_cu, gpu->vram_size >> 20,
		 gpu->drm_render_minor);
	return 0;
}

/* Called under vkfd_lock when the device goes; later nodes move down. */
void vkfd_topology_remove_device(struct vkfd_dev *dev)
{
	struct vkfd_topology_node *gpu = dev->topo;

	lockdep_assert_held(&vkfd_lock);
	if (!gpu)
		return;
	vkfd_topo_unpublish();
	list_del(&gpu->list);
	vkfd_topo.num_gpus--;
	WRITE_ONCE(vkfd_topo.generation, vkfd_topo.generation + 1);
	if (vkfd_topo_publish())
		pr_err("vkfd: the KFD topology could not be rebuilt\n");
	dev->topo = NULL;
	kfree(gpu);
}

/* For the memory code: bytes of VRAM in use, shown in used_memory. */
void vkfd_topology_vram_used(struct vkfd_dev *dev, u64 bytes)
{
	if (dev->topo)
		atomic64_set(&dev->topo->vram_used, bytes);
}

/* ------------------------------------------------------------------ */
/* the topology folder */

/* kfd_kobj: /sys/devices/virtual/kfd/kfd */
int vkfd_topology_init(struct kobject *kfd_kobj)
{
	int ret;

	vkfd_topo.topology = kobject_create_and_add("topology", kfd_kobj);
	if (!vkfd_topo.topology)
		return -ENOMEM;
	ret = sysfs_create_group(vkfd_topo.topology, &vkfd_topology_group);
	if (ret)
		goto err_topology;
	vkfd_topo.nodes = kobject_create_and_add("nodes", vkfd_topo.topology);
	if (!vkfd_topo.nodes) {
		ret = -ENOMEM;
		goto err_topology;
	}

	mutex_lock(&vkfd_lock);
	ret = vkfd_topo_publish();
	mutex_unlock(&vkfd_lock);
	if (ret)
		goto err_nodes;
	return 0;

err_nodes:
	vkfd_kobj_remove(vkfd_topo.nodes);
	vkfd_topo.nodes = NULL;
err_topology:
	vkfd_kobj_remove(vkfd_topo.topology);
	vkfd_topo.topology = NULL;
	return ret;
}

/* After every device is gone. */
void vkfd_topology_exit(void)
{
	mutex_lock(&vkfd_lock);
	WARN_ON(!list_empty(&vkfd_topo.gpus));
	vkfd_topo_unpublish();
	mutex_unlock(&vkfd_lock);
	vkfd_kobj_remove(vkfd_topo.nodes);
	vkfd_topo.nodes = NULL;
	vkfd_kobj_remove(vkfd_topo.topology);
	vkfd_topo.topology = NULL;
}
