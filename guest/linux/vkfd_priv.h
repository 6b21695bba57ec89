/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vkfd: guest driver for the vkfd virtual KFD device -- internal interfaces
 */
#ifndef VKFD_PRIV_H
#define VKFD_PRIV_H

#include <linux/device.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mmu_notifier.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <linux/rbtree.h>
#include <linux/uidgid.h>
#include <linux/xarray.h>

#include <drm/drm_mm.h>

#include "hw/kfd/vkfd_hw.h"
#include "uapi/linux/kfd_ioctl.h"

#define VKFD_DRIVER_NAME	"vkfd"

struct drm_device;
struct vkfd_topology_node;
struct vkfd_pt;

/* A process's page tables on one GPU (vkfd_gpuvm.c). */
struct vkfd_vm {
	struct vkfd_dev *dev;
	struct vkfd_pt *root;
	unsigned long pages;		/* tables, bounded per VM */
};

/*
 * The doorbell and MMIO remap pages of one process-device pair as
 * /dev/kfd maps them.  CPU mappings fault their pages in and hold a
 * reference; when the context goes the object is killed and every
 * mapping zapped, so no stale mapping reaches a page a later context
 * or device gets (vkfd_mem.c).
 */
struct vkfd_kfd_map {
	struct kref ref;
	struct mutex lock;		/* dead and the addresses */
	bool dead;
	u32 key;			/* its range in the /dev/kfd mapping */
	phys_addr_t doorbell;		/* 0 until the context exists */
	phys_addr_t mmio;
};

/* KFD mmap offsets of /dev/kfd: type in bits 63:62, gpu_id in 61:46. */
#define VKFD_MMAP_TYPE_SHIFT	62
#define VKFD_MMAP_TYPE_MASK	(3ULL << VKFD_MMAP_TYPE_SHIFT)
#define VKFD_MMAP_TYPE_DOORBELL	(3ULL << VKFD_MMAP_TYPE_SHIFT)
#define VKFD_MMAP_TYPE_EVENTS	(2ULL << VKFD_MMAP_TYPE_SHIFT)
#define VKFD_MMAP_TYPE_MMIO	(0ULL << VKFD_MMAP_TYPE_SHIFT)
#define VKFD_MMAP_GPU_ID_SHIFT	46
#define VKFD_MMAP_GPU_ID(off)	(((off) >> VKFD_MMAP_GPU_ID_SHIFT) & 0xffff)

/* The GPUVM window of every process (GFX9, 48-bit, lower canonical half) */
#define VKFD_GPUVM_BASE		0x10000ULL
#define VKFD_GPUVM_LIMIT	0x7fffffffffffULL

/* amdkfd's context_id of a primary process; secondaries use 0..0xFFFE */
#define VKFD_PRIMARY_CONTEXT_ID	0xFFFF
#define VKFD_MAX_SECONDARY_ID	0xFFFE

/*
 * Per-process limits (docs/security.md, "Driver"): buffer objects on one
 * GPU and events other than signal events.  Page tables and system
 * memory are bounded by vkfd_sys_charge().
 */
#define VKFD_MAX_BOS_PER_GPU	16384
#define VKFD_MAX_OTHER_EVENTS	4096

/* One vkfd PCI device: a GPU node of the topology. */
struct vkfd_dev {
	struct pci_dev *pdev;
	void __iomem *regs;
	struct list_head node;		/* in vkfd_devices */
	u32 gpu_id;			/* topology gpu_id, 16 bits, non-zero */
	u32 max_contexts;
	u64 serial;
	bool pcie_atomics;		/* AtomicOps reach the root complex */

	/* scheduler ring; one command in flight, under sched_lock */
	struct mutex sched_lock;
	struct vkfd_sched_cmd *ring;
	dma_addr_t ring_dma;
	struct vkfd_sched_fence *fences;	/* one per ring slot */
	dma_addr_t fences_dma;
	u32 ring_size;
	u32 wptr;
	u32 seq;
	wait_queue_head_t sched_wq;
	bool sched_broken;		/* device stopped answering */
	spinlock_t clock_lock;		/* the clock's LO/HI read pair */

	/* VRAM: BAR4, allocated in offsets, under vram_lock */
	resource_size_t vram_bus;	/* as the CPU and peers address it */
	u64 vram_size;
	void __iomem *vram_cpu;		/* write-combined, to clear new BOs */
	struct mutex vram_lock;
	struct drm_mm vram_mm;
	u64 vram_used;
	/* VRAM as device-private pages for SVM (vkfd_svm_migrate.c) */
	struct vkfd_svm_mem *svm_mem;
	/* buffer objects by render-node mmap offset (vkfd_mem.c) */
	struct xarray bo_mmaps;

	atomic_t pt_pages;		/* GPUVM tables of all processes */

	/* the IH ring (vkfd_ih.c) and context -> pdd for its entries */
	struct vkfd_ih_entry *ih_ring;
	dma_addr_t ih_dma;
	u32 ih_rptr;
	u32 ih_bytes;			/* ring size (module ih_ring_size) */
	atomic_t ih_recoveries;		/* overflows recovered by a slot scan */
	atomic_t ih_hard_irqs;		/* IH interrupts taken */
	atomic_t ih_thread_wakes;	/* of them, left to the thread */
	atomic_t ih_owner;		/* VKFD_IH_IDLE, _HARD or _THREAD */
	__le32 *ih_wptr_wb;		/* IH_WPTR written back, or NULL */
	dma_addr_t ih_wptr_wb_dma;
	struct xarray ctx_pdds;

	struct ida ctx_ida;		/* device context ids */
	atomic_t live_contexts;		/* contexts this driver mapped */
	struct xarray user_contexts;	/* uid -> contexts, under vkfd_lock */

	/* the DRM render node user space hands to ACQUIRE_VM (vkfd_drm.c) */
	struct drm_device *drm;
	u32 drm_render_minor;

	/* topology: identity read from the device at probe (vkfd_topology.c) */
	struct vkfd_topology_node *topo;

	/* SMI event readers of this GPU (vkfd_smi.c, under its lock) */
	struct list_head smi_clients;
};

/*
 * A process's binding to one device: amdkfd's "pdd".  It owns a device
 * context (ctx_id, PASID-like) for as long as it exists.
 */
struct vkfd_process_device {
	struct list_head node;		/* in vkfd_process.pdds */
	struct vkfd_dev *dev;
	struct vkfd_process *p;

	/*
	 * ACQUIRE_VM binds the process to the device: it adopts the VM of a
	 * render-node file (held here) and gets a device context, 0 until then.
	 */
	struct file *drm_file;
	u32 ctx_id;
	/* the device is leaving: no new BO, mapping or queue (under p->lock) */
	bool dying;
	kuid_t ctx_uid;			/* charged for the context */
	struct vkfd_vm vm;		/* valid while bound */
	struct vkfd_kfd_map *kfd_map;	/* /dev/kfd mappings of this pdd */

	/* buffer objects allocated on this GPU, by handle, under p->lock */
	struct xarray bos;
	u32 nr_bos;
	/* VA ranges reserved in this VM (own BOs and peers' mapped here) */
	struct rb_root va_tree;
	u64 scratch_backing_va;
	/* the thread that bound it (ACQUIRE_VM), as SMI events name it */
	pid_t smi_pid;
	char smi_comm[TASK_COMM_LEN];
	/* SET_TRAP_HANDLER: the trap handler's base and memory (GPU VAs) */
	u64 tba_addr;
	u64 tma_addr;
	/* doorbells of this process's queues in its page, under p->lock */
	DECLARE_BITMAP(doorbells, VKFD_DOORBELLS_PER_CONTEXT);

	/* SET_MEMORY_POLICY */
	u32 default_policy;
	u32 alternate_policy;
	u64 alternate_aperture_base;
	u64 alternate_aperture_size;
	u32 misc_process_flag;

	u64 vram_used;
	struct kobj_attribute attr_vram;
	struct kobj_attribute attr_sdma;
	char name_vram[24];
	char name_sdma[24];
	bool sysfs_added;
	/*
	 * stats_<gpu_id>/ and counters_<gpu_id>/ (vkfd_process_sysfs.c);
	 * counters_dir is set and cleared under p->lock
	 */
	struct vkfd_pdd_sysfs_dir *stats_dir;
	struct vkfd_pdd_sysfs_dir *counters_dir;
};

/*
 * A kfd_process.  The primary is one per address space, found by mm and
 * torn down when that mm goes away.  A secondary (CREATE_PROCESS) belongs
 * to one file and dies when the file is closed.
 */
struct vkfd_process {
	struct kref ref;
	struct mm_struct *mm;		/* not counted: identity only */
	struct task_struct *lead_thread;	/* counted */
	pid_t tgid;
	u32 context_id;			/* VKFD_PRIMARY_CONTEXT_ID or 0..0xFFFE */
	struct list_head all;		/* in vkfd_processes, under vkfd_lock */
	struct list_head pdds;		/* under vkfd_lock */
	/*
	 * Buffer objects and the bind state of each pdd.  Taken inside
	 * vkfd_lock and inside mmap_lock (mmap), so nothing that may take
	 * mmap_lock (user copies, pinning) runs under it.
	 */
	struct mutex lock;
	struct xarray queues;		/* queue id -> queue, under lock */
	/* SVM evictions in force (vkfd_queue.c's vkfd_queues_lock) */
	unsigned int queues_evicted;
	/* when the queues went off (jiffies), and the time they were off */
	u64 evict_start;
	atomic64_t evicted_jiffies;

	/* events (vkfd_events.c): events_lock orders the ioctls */
	struct mutex events_lock;
	spinlock_t events_irq_lock;	/* inside it: what the IH handler reads */
	struct xarray events;		/* id -> event */
	wait_queue_head_t event_wq;
	unsigned long event_gen;	/* bumped whenever an event changes */
	u64 *events_page;		/* 8-byte slots, KFD_SIGNAL_EVENT_LIMIT */
	u32 events_slots;		/* usable slots; never shrinks */
	u32 nr_other_events;		/* events without a slot */
	bool events_page_kernel;	/* vmalloc'd here, else a user GTT BO */
	u64 events_page_handle;		/* that BO's handle */
	void *events_bo;
	struct kobject *queues_kobj;	/* sysfs queues/ */
	struct vkfd_svm *svm;		/* SVM ranges (vkfd_svm.c), primary */

	/* primary only */
	struct hlist_node mm_node;	/* in the mm hash, while alive */
	struct mmu_notifier notifier;
	struct xarray secondaries;	/* context_id -> secondary */

	/* secondary only: the primary it was made from (counted) */
	struct vkfd_process *primary;

	/* RUNTIME_ENABLE (vkfd_debug.c), under lock */
	u32 runtime_state;		/* DEBUG_RUNTIME_STATE_* */
	u64 runtime_r_debug;		/* the runtime's r_debug while enabled */

	bool torn_down;			/* teardown ran: ESRCH from now on */
	bool published;			/* primary: in the mm hash and lists */
	int publish_err;		/* primary: publishing it failed */
	struct kobject kobj;
	bool kobj_added;
	struct work_struct release_work;
};

static inline bool vkfd_process_is_primary(const struct vkfd_process *p)
{
	return p->context_id == VKFD_PRIMARY_CONTEXT_ID;
}

/* vkfd_drv.c: the global lock and lists */
extern struct mutex vkfd_lock;		/* devices, processes, sysfs */
extern struct list_head vkfd_devices;
extern struct list_head vkfd_processes;
extern unsigned int vkfd_max_user_contexts;

/* System memory the driver holds for user space (GTT, USERPTR, tables). */
int vkfd_sys_charge(unsigned long pages);
void vkfd_sys_uncharge(unsigned long pages);
int vkfd_gtt_charge(unsigned long pages);
void vkfd_gtt_uncharge(unsigned long pages);
unsigned long vkfd_sys_limit(void);
unsigned long vkfd_sys_used(void);

/* vkfd_sched.c */
int vkfd_sched_init(struct vkfd_dev *dev);
void vkfd_sched_fini(struct vkfd_dev *dev);
int vkfd_sched_submit(struct vkfd_dev *dev, u8 opcode, u32 ctx_id,
		      const void *payload, size_t len);
int vkfd_sched_submit_flags(struct vkfd_dev *dev, u8 opcode, u8 flags,
			    u32 ctx_id, const void *payload, size_t len);
irqreturn_t vkfd_sched_irq(int irq, void *data);

/* vkfd_topology.c */
u32 vkfd_topology_make_gpu_id(struct vkfd_dev *dev);
struct vkfd_dev *vkfd_device_by_gpu_id(u32 gpu_id);
int vkfd_topology_init(struct kobject *kfd_kobj);
void vkfd_topology_exit(void);
int vkfd_topology_add_device(struct vkfd_dev *dev);
void vkfd_topology_remove_device(struct vkfd_dev *dev);

/* vkfd_drm.c */
struct drm_file;

/* Per open render-node file: which process's device binding adopted it. */
struct vkfd_drm_file {
	struct vkfd_process_device *owner;	/* under vkfd_lock */
};

int vkfd_drm_init(struct vkfd_dev *dev);
void vkfd_drm_unplug(struct vkfd_dev *dev);
void vkfd_drm_fini(struct vkfd_dev *dev);
struct drm_file *vkfd_drm_file(struct file *file);
struct vkfd_dev *vkfd_drm_file_device(struct drm_file *df);

/* vkfd_chardev.c */
int vkfd_chardev_init(void);
void vkfd_chardev_exit(void);
struct device *vkfd_chardev_device(void);
struct address_space *vkfd_kfd_mapping(void);

/* vkfd_process.c */
int vkfd_process_module_init(void);
void vkfd_process_module_exit(void);
struct vkfd_process *vkfd_process_open(void);
struct vkfd_process *vkfd_process_create_secondary(struct vkfd_process *primary);
void vkfd_process_file_release(struct vkfd_process *p);
void vkfd_process_put(struct vkfd_process *p);
int vkfd_process_attach_device(struct vkfd_process *p, struct vkfd_dev *dev);
void vkfd_process_detach_device(struct vkfd_dev *dev);
struct vkfd_process_device *vkfd_process_device(struct vkfd_process *p,
						u32 gpu_id);
int vkfd_process_device_bind(struct vkfd_process_device *pdd,
			     struct file *drm_file);
struct vkfd_process_device *vkfd_process_bound_pdd(struct vkfd_process *p,
						   u32 gpu_id, int unbound_err);

/* vkfd_debug.c */
int vkfd_ioctl_runtime_enable(struct file *filep, struct vkfd_process *p,
			      void *data);
int vkfd_ioctl_dbg_trap(struct file *filep, struct vkfd_process *p,
			void *data);
int vkfd_ioctl_criu(struct file *filep, struct vkfd_process *p, void *data);
bool vkfd_criu_capable(void);

/* vkfd_svm.c */
int vkfd_ioctl_svm_validate(const void *kdata, unsigned int usize);
int vkfd_ioctl_svm(struct file *filep, struct vkfd_process *p, void *data);
void vkfd_svm_fini(struct vkfd_process *p);
void vkfd_svm_pdd_gone(struct vkfd_process_device *pdd);
struct seq_file;
void vkfd_svm_show(struct seq_file *m, struct vkfd_process *p);
int vkfd_svm_va_free(struct vkfd_process *p, u64 va, u64 size);

/* vkfd_svm_migrate.c: SVM pages in VRAM (CONFIG_DEVICE_PRIVATE) */
struct dentry;
void *vkfd_svm_migrate_owner(struct vkfd_dev *dev);
bool vkfd_svm_migrate_pte(struct vkfd_dev *dev, struct page *page,
			  bool write, u64 *pte);
int vkfd_svm_migrate(struct vkfd_process *p, struct mm_struct *mm,
		     unsigned long start, unsigned long last, u32 best,
		     u8 granularity, u32 prefetch_loc, u32 preferred_loc);
void vkfd_svm_migrate_dev_init(struct vkfd_dev *dev);
void vkfd_svm_migrate_dev_fini(struct vkfd_dev *dev);
void vkfd_svm_migrate_debugfs(struct dentry *root);

/* vkfd_gpuvm.c */
int vkfd_vm_init(struct vkfd_vm *vm, struct vkfd_dev *dev);
void vkfd_vm_fini(struct vkfd_vm *vm);
u64 vkfd_vm_root(struct vkfd_vm *vm);
int vkfd_vm_map(struct vkfd_vm *vm, u64 va, u64 npages,
		u64 (*addr)(void *arg, u64 i), void *arg, u64 flags);
void vkfd_vm_unmap(struct vkfd_vm *vm, u64 va, u64 npages);
/* a slot held by an SVM range: not VALID, so the device faults on it */
#define VKFD_PTE_SVM_HOLE	BIT_ULL(62)
int vkfd_vm_reserve(struct vkfd_vm *vm, u64 va, u64 npages);
void vkfd_vm_fill_reserved(struct vkfd_vm *vm, u64 va, u64 npages,
			   const u64 *pte);
int vkfd_tlb_flush(struct vkfd_process_device *pdd);

/* vkfd_mem.c: buffer objects and the memory ioctls */
int vkfd_mem_dev_init(struct vkfd_dev *dev);
void vkfd_mem_dev_fini(struct vkfd_dev *dev);
int vkfd_vram_alloc(struct vkfd_dev *dev, struct drm_mm_node *node, u64 size,
		    u64 end);
void vkfd_vram_free(struct vkfd_dev *dev, struct drm_mm_node *node);
void vkfd_mem_pdd_init(struct vkfd_process_device *pdd);
void vkfd_mem_pdd_free_all(struct vkfd_process_device *pdd);
int vkfd_mem_drm_mmap(struct vkfd_dev *dev, struct file *filp,
		      struct vm_area_struct *vma);
int vkfd_mem_kfd_mmap(struct vkfd_process *p, struct vm_area_struct *vma);
int vkfd_kfd_map_create(struct vkfd_process_device *pdd);
void vkfd_kfd_map_set_doorbell(struct vkfd_process_device *pdd);
void vkfd_kfd_map_kill(struct vkfd_process_device *pdd);
int vkfd_ioctl_alloc_memory(struct file *filep, struct vkfd_process *p,
			    void *data);
int vkfd_ioctl_free_memory(struct file *filep, struct vkfd_process *p,
			   void *data);
int vkfd_ioctl_map_memory(struct file *filep, struct vkfd_process *p,
			  void *data);
int vkfd_ioctl_unmap_memory(struct file *filep, struct vkfd_process *p,
			    void *data);
int vkfd_ioctl_available_memory(struct file *filep, struct vkfd_process *p,
				void *data);
int vkfd_ioctl_get_tile_config(struct file *filep, struct vkfd_process *p,
			       void *data);
int vkfd_ioctl_set_scratch_backing_va(struct file *filep,
				      struct vkfd_process *p, void *data);

bool vkfd_mem_va_overlaps(struct vkfd_process_device *pdd, u64 va, u64 size);
bool vkfd_mem_va_mapped(struct vkfd_process_device *pdd, u64 va, u64 size,
			bool exact);

int vkfd_mem_map_events_page(struct vkfd_process *p, u64 handle,
			     u64 **page, u32 *slots);
void vkfd_mem_unmap_events_page(struct vkfd_process *p, u64 *page);

/* vkfd_dmabuf.c: dma-buf export and import of BOs */
int vkfd_ioctl_get_dmabuf_info(struct file *filep, struct vkfd_process *p,
			       void *data);
int vkfd_ioctl_import_dmabuf(struct file *filep, struct vkfd_process *p,
			     void *data);
int vkfd_ioctl_export_dmabuf(struct file *filep, struct vkfd_process *p,
			     void *data);
void vkfd_dmabuf_revoke(struct vkfd_dev *dev);

/* vkfd_ih.c */
int vkfd_ih_init(struct vkfd_dev *dev);
void vkfd_ih_fini(struct vkfd_dev *dev);

/* vkfd_events.c */
int vkfd_ioctl_create_event(struct file *filep, struct vkfd_process *p,
			    void *data);
int vkfd_ioctl_destroy_event(struct file *filep, struct vkfd_process *p,
			     void *data);
int vkfd_ioctl_set_event(struct file *filep, struct vkfd_process *p,
			 void *data);
int vkfd_ioctl_reset_event(struct file *filep, struct vkfd_process *p,
			   void *data);
int vkfd_ioctl_wait_events(struct file *filep, struct vkfd_process *p,
			   void *data);
void vkfd_events_signal(struct vkfd_process *p, u32 id, bool id_valid);
void vkfd_events_exception(struct vkfd_process *p, u32 gpu_id, bool vm_fault,
			   u64 va, u32 fault_flags);
int vkfd_events_mmap(struct vkfd_process *p, struct vm_area_struct *vma);
void vkfd_events_init(struct vkfd_process *p);
void vkfd_events_fini(struct vkfd_process *p);

/* vkfd_queue.c */
int vkfd_ioctl_create_queue(struct file *filep, struct vkfd_process *p,
			    void *data);
int vkfd_ioctl_destroy_queue(struct file *filep, struct vkfd_process *p,
			     void *data);
int vkfd_ioctl_update_queue(struct file *filep, struct vkfd_process *p,
			    void *data);
int vkfd_ioctl_set_cu_mask(struct file *filep, struct vkfd_process *p,
			   void *data);
int vkfd_ioctl_alloc_queue_gws(struct file *filep, struct vkfd_process *p,
			       void *data);
int vkfd_ioctl_get_queue_wave_state(struct file *filep,
				    struct vkfd_process *p, void *data);
void vkfd_queue_destroy_all(struct vkfd_process *p);
void vkfd_queue_evict(struct vkfd_process *p);
void vkfd_queue_restore(struct vkfd_process *p);
void vkfd_queue_destroy_on(struct vkfd_process_device *pdd);

/* vkfd_vm.c: ioctls about a process's GPU address spaces */
int vkfd_ioctl_acquire_vm(struct file *filep, struct vkfd_process *p,
			  void *data);
int vkfd_ioctl_get_process_apertures(struct file *filep,
				     struct vkfd_process *p, void *data);
int vkfd_ioctl_get_process_apertures_new(struct file *filep,
					 struct vkfd_process *p, void *data);
int vkfd_ioctl_set_memory_policy(struct file *filep, struct vkfd_process *p,
				 void *data);
int vkfd_ioctl_get_clock_counters(struct file *filep, struct vkfd_process *p,
				  void *data);
int vkfd_pdd_send_trap(struct vkfd_process_device *pdd, u64 tba, u64 tma);
int vkfd_ioctl_set_trap_handler(struct file *filep, struct vkfd_process *p,
				void *data);
int vkfd_ioctl_set_xnack_mode(struct file *filep, struct vkfd_process *p,
			      void *data);

/* vkfd_smi.c */
void vkfd_smi_dev_init(struct vkfd_dev *dev);
void vkfd_smi_dev_fini(struct vkfd_dev *dev);
void vkfd_smi_process(struct vkfd_process_device *pdd, bool start);
void vkfd_smi_vm_fault(struct vkfd_dev *dev, pid_t tgid, pid_t pid,
		       const char *comm);
int vkfd_ioctl_smi_events(struct file *filep, struct vkfd_process *p,
			  void *data);
void vkfd_smi_queue_eviction(struct vkfd_process *p, bool restore, u64 ns,
			     u32 trigger);
void vkfd_smi_unmap_from_gpu(struct vkfd_dev *dev, pid_t tgid,
			     unsigned long start, unsigned long last,
			     u32 trigger);
/* a migration as SMI events tell it: pages [start, end), GPU ids */
struct vkfd_smi_migration {
	unsigned long start, end;
	u32 from, to;
	u32 prefetch_loc, preferred_loc;
	u32 trigger;			/* KFD_MIGRATE_TRIGGER_* */
};

void vkfd_smi_migrate(struct vkfd_dev *dev, pid_t tgid, bool end, u64 ns,
		      const struct vkfd_smi_migration *m);

/* vkfd_process_sysfs.c */
int vkfd_proc_sysfs_init(struct kobject *kfd_kobj);
void vkfd_proc_sysfs_exit(void);
void vkfd_proc_sysfs_init_process(struct vkfd_process *p);
void vkfd_proc_sysfs_add_process(struct vkfd_process *p);
void vkfd_proc_sysfs_add_pdd(struct vkfd_process_device *pdd);
void vkfd_proc_sysfs_remove_pdd(struct vkfd_process_device *pdd);
void vkfd_proc_sysfs_remove_process(struct vkfd_process *p);
struct vkfd_pdd_sysfs_dir *vkfd_proc_counters_get(struct vkfd_pdd_sysfs_dir *d);
void vkfd_proc_counters_put(struct vkfd_pdd_sysfs_dir *d);
void vkfd_proc_counters_add(struct vkfd_pdd_sysfs_dir *d, long page_in,
			    long page_out);

/* vkfd_debugfs.c */
void vkfd_debugfs_init(void);
void vkfd_debugfs_exit(void);

#endif /* VKFD_PRIV_H */
