/* SPDX-License-Identifier: GPL-2.0-or-later WITH Linux-syscall-note */
/*
 * vkfd: user-space interface of /dev/kfd, ioctl interface version 1.19.
 *
 * This is the vkfd project's own description of the amdkfd user ABI.  It is
 * meant to be binary-compatible with what Linux amdkfd exposes at interface
 * version 1.19 (same ioctl numbers, argument layouts, flag and constant
 * values), so unmodified libhsakmt/ROCr can talk to the vkfd guest driver.
 * Sizes and offsets are those of x86_64 (little-endian, natural alignment,
 * 8-byte aligned __u64).  Members are fixed-width __u32/__u64/__s32 only;
 * 32-bit callers are not supported (the driver refuses them at open()).
 *
 * The header includes nothing but <linux/types.h> and <linux/ioctl.h>, so it
 * builds in the guest kernel module as well as in user space.
 * tests/abi/kfd-ioctl-layout.c pins every size, offset and command value.
 *
 * Direction words in the comments are seen from the driver: "in" means the
 * caller fills the field, "out" means the driver writes it back.
 *
 * Interface history (minor versions), as far as this header is concerned:
 *   1.12 EXPORT_DMABUF          1.13 debugger (RUNTIME_ENABLE, DBG_TRAP)
 *   1.14 signal event age       1.15 GEM_VA use in compute VMs
 *   1.16 CONTIGUOUS alloc flag  1.17 SDMA queue by engine id
 *   1.18 misc_process_flag      1.19 CREATE_PROCESS (secondary contexts)
 */
#ifndef VKFD_UAPI_LINUX_KFD_IOCTL_H
#define VKFD_UAPI_LINUX_KFD_IOCTL_H

#include <linux/types.h>
#include <linux/ioctl.h>

#define KFD_IOCTL_MAJOR_VERSION 1
#define KFD_IOCTL_MINOR_VERSION 19

/* AMDKFD_IOC_GET_VERSION */
struct kfd_ioctl_get_version_args {
	__u32 major_version;	/* out */
	__u32 minor_version;	/* out */
};

/*
 * Queues
 */

/* Values of kfd_ioctl_create_queue_args.queue_type */
#define KFD_IOC_QUEUE_TYPE_COMPUTE		0x0	/* PM4 ring */
#define KFD_IOC_QUEUE_TYPE_SDMA			0x1
#define KFD_IOC_QUEUE_TYPE_COMPUTE_AQL		0x2	/* HSA AQL ring */
#define KFD_IOC_QUEUE_TYPE_SDMA_XGMI		0x3
#define KFD_IOC_QUEUE_TYPE_SDMA_BY_ENG_ID	0x4	/* uses sdma_engine_id */

#define KFD_MAX_QUEUE_PERCENTAGE	100
#define KFD_MAX_QUEUE_PRIORITY		15

/* Smaller (power-of-two) ring sizes are silently raised to this. */
#define KFD_MIN_QUEUE_RING_SIZE		1024

/*
 * AMDKFD_IOC_CREATE_QUEUE
 *
 * All addresses are GPU virtual addresses in the calling process.  The ring
 * size is in bytes and must be a power of two.  queue_percentage carries the
 * share of the hardware in bits 0-7 and, for PM4 queues on multi-XCC parts,
 * a target XCC in bits 8-15.  The returned doorbell_offset is an mmap offset
 * for /dev/kfd (doorbell type and gpu_id in the high bits, plus the byte
 * offset of this queue's doorbell within the per-process doorbell slice).
 * Callers built against interface 1.11-1.16 pass an 88-byte struct (no
 * sdma_engine_id/pad); the driver copies only what the caller passed.
 */
struct kfd_ioctl_create_queue_args {
	__u64 ring_base_address;	/* in */
	__u64 write_pointer_address;	/* in: where the producer index lives */
	__u64 read_pointer_address;	/* in: where the driver/CP reports the
					 * consumer index */
	__u64 doorbell_offset;		/* out: mmap offset of the doorbell */

	__u32 ring_size;		/* in: bytes */
	__u32 gpu_id;			/* in */
	__u32 queue_type;		/* in: KFD_IOC_QUEUE_TYPE_* */
	__u32 queue_percentage;		/* in: 0..100 (+ XCC in bits 8-15) */
	__u32 queue_priority;		/* in: 0..KFD_MAX_QUEUE_PRIORITY */
	__u32 queue_id;			/* out */

	__u64 eop_buffer_address;	/* in: compute queues only */
	__u64 eop_buffer_size;		/* in */
	__u64 ctx_save_restore_address;	/* in: CWSR area */
	__u32 ctx_save_restore_size;	/* in: per XCC, as in topology */
	__u32 ctl_stack_size;		/* in: as in topology */
	__u32 sdma_engine_id;		/* in: for SDMA_BY_ENG_ID (1.17) */
	__u32 pad;			/* unused (1.22: metadata_ring_size) */
};

/* AMDKFD_IOC_DESTROY_QUEUE */
struct kfd_ioctl_destroy_queue_args {
	__u32 queue_id;			/* in */
	__u32 pad;
};

/* AMDKFD_IOC_UPDATE_QUEUE: replace ring and scheduling parameters */
struct kfd_ioctl_update_queue_args {
	__u64 ring_base_address;	/* in */

	__u32 queue_id;			/* in */
	__u32 ring_size;		/* in: bytes, power of two */
	__u32 queue_percentage;		/* in */
	__u32 queue_priority;		/* in */
};

/*
 * AMDKFD_IOC_SET_CU_MASK: restrict a queue to a set of compute units.
 * num_cu_mask counts bits (a non-zero multiple of 32); cu_mask_ptr points
 * at num_cu_mask / 32 __u32 words.
 */
struct kfd_ioctl_set_cu_mask_args {
	__u32 queue_id;			/* in */
	__u32 num_cu_mask;		/* in: number of mask bits */
	__u64 cu_mask_ptr;		/* in: user pointer to __u32[] */
};

/* AMDKFD_IOC_GET_QUEUE_WAVE_STATE: CWSR usage of a (preempted) queue */
struct kfd_ioctl_get_queue_wave_state_args {
	__u64 ctl_stack_address;	/* in: buffer for the control stack */
	__u32 ctl_stack_used_size;	/* out: bytes */
	__u32 save_area_used_size;	/* out: bytes */
	__u32 queue_id;			/* in */
	__u32 pad;
};

/* AMDKFD_IOC_AVAILABLE_MEMORY: VRAM still available to this process */
struct kfd_ioctl_get_available_memory_args {
	__u64 available;		/* out: bytes */
	__u32 gpu_id;			/* in */
	__u32 pad;
};

/*
 * Per-device record returned by the DBG_TRAP GET_DEVICE_SNAPSHOT operation
 * (array stride chosen by the caller, see entry_size there).  120 bytes.
 */
struct kfd_dbg_device_info_entry {
	__u64 exception_status;
	__u64 lds_base;
	__u64 lds_limit;
	__u64 scratch_base;
	__u64 scratch_limit;
	__u64 gpuvm_base;
	__u64 gpuvm_limit;
	__u32 gpu_id;
	__u32 location_id;
	__u32 vendor_id;
	__u32 device_id;
	__u32 revision_id;
	__u32 subsystem_vendor_id;
	__u32 subsystem_device_id;
	__u32 fw_version;
	__u32 gfx_target_version;
	__u32 simd_count;
	__u32 max_waves_per_simd;
	__u32 array_count;
	__u32 simd_arrays_per_engine;
	__u32 num_xcc;
	__u32 capability;
	__u32 debug_prop;
};

/*
 * Memory policy
 */

/* Values of default_policy / alternate_policy */
#define KFD_IOC_CACHE_POLICY_COHERENT		0
#define KFD_IOC_CACHE_POLICY_NONCOHERENT	1

/* Bits of kfd_ioctl_set_memory_policy_args.misc_process_flag (1.18) */
#define KFD_PROC_FLAG_MFMA_HIGH_PRECISION	(1 << 0)

/*
 * AMDKFD_IOC_SET_MEMORY_POLICY: cache policy of the default aperture and of
 * an optional alternate aperture [base, base + size) on one GPU.  Also makes
 * sure the process is bound to that GPU.
 */
struct kfd_ioctl_set_memory_policy_args {
	__u64 alternate_aperture_base;	/* in */
	__u64 alternate_aperture_size;	/* in */

	__u32 gpu_id;			/* in */
	__u32 default_policy;		/* in: KFD_IOC_CACHE_POLICY_* */
	__u32 alternate_policy;		/* in: KFD_IOC_CACHE_POLICY_* */
	__u32 misc_process_flag;	/* in: KFD_PROC_FLAG_* (was pad) */
};

/*
 * AMDKFD_IOC_GET_CLOCK_COUNTERS: a snapshot of the GPU counter together
 * with CPU-side clocks, for correlating GPU timestamps with host time.
 * The counters only ever go forward, also across a GPU reset.
 */
struct kfd_ioctl_get_clock_counters_args {
	__u64 gpu_clock_counter;	/* out: 0 if gpu_id is unknown */
	__u64 cpu_clock_counter;	/* out: CLOCK_MONOTONIC_RAW, ns */
	__u64 system_clock_counter;	/* out: CLOCK_BOOTTIME, ns */
	__u64 system_clock_freq;	/* out: Hz of the two clocks above */

	__u32 gpu_id;			/* in */
	__u32 pad;
};

/*
 * Apertures
 */

/* GPU address ranges of one device as seen by this process (56 bytes). */
struct kfd_process_device_apertures {
	__u64 lds_base;			/* out */
	__u64 lds_limit;		/* out */
	__u64 scratch_base;		/* out */
	__u64 scratch_limit;		/* out */
	__u64 gpuvm_base;		/* out */
	__u64 gpuvm_limit;		/* out */
	__u32 gpu_id;			/* out */
	__u32 pad;
};

/*
 * AMDKFD_IOC_GET_PROCESS_APERTURES: old, fixed-size form, limited to
 * NUM_OF_SUPPORTED_GPUS devices.  New code uses the _NEW variant below.
 */
#define NUM_OF_SUPPORTED_GPUS 7
struct kfd_ioctl_get_process_apertures_args {
	struct kfd_process_device_apertures
			process_apertures[NUM_OF_SUPPORTED_GPUS];	/* out */
	__u32 num_of_nodes;		/* out: 1..NUM_OF_SUPPORTED_GPUS */
	__u32 pad;
};

/*
 * AMDKFD_IOC_GET_PROCESS_APERTURES_NEW: with num_of_nodes == 0 the driver
 * only reports how many entries there are; otherwise it fills up to
 * num_of_nodes entries of the caller's array and reports how many it wrote.
 */
struct kfd_ioctl_get_process_apertures_new_args {
	__u64 kfd_process_device_apertures_ptr;	/* in: user array of
						 * struct kfd_process_device_apertures */
	__u32 num_of_nodes;		/* in: array capacity; out: entries */
	__u32 pad;
};

/*
 * Old debugger interface.  The ioctls still have their numbers, but the
 * driver refuses them (-EPERM); only the argument structs remain.
 */
#define MAX_ALLOWED_NUM_POINTS		100
#define MAX_ALLOWED_AW_BUFF_SIZE	4096
#define MAX_ALLOWED_WAC_BUFF_SIZE	128

struct kfd_ioctl_dbg_register_args {
	__u32 gpu_id;			/* in */
	__u32 pad;
};

struct kfd_ioctl_dbg_unregister_args {
	__u32 gpu_id;			/* in */
	__u32 pad;
};

struct kfd_ioctl_dbg_address_watch_args {
	__u64 content_ptr;		/* in: user buffer */
	__u32 gpu_id;			/* in */
	__u32 buf_size_in_bytes;	/* in: counts gpu_id and this field too */
};

struct kfd_ioctl_dbg_wave_control_args {
	__u64 content_ptr;		/* in: user buffer */
	__u32 gpu_id;			/* in */
	__u32 buf_size_in_bytes;	/* in: counts gpu_id and this field too */
};

/* "No file descriptor" marker for the fd-valued fields of this ABI. */
#define KFD_INVALID_FD		0xffffffff

/*
 * Events
 */

/* Values of kfd_ioctl_create_event_args.event_type (same as HSA_EVENTTYPE) */
#define KFD_IOC_EVENT_SIGNAL			0
#define KFD_IOC_EVENT_NODECHANGE		1
#define KFD_IOC_EVENT_DEVICESTATECHANGE		2
#define KFD_IOC_EVENT_HW_EXCEPTION		3
#define KFD_IOC_EVENT_SYSTEM_EVENT		4
#define KFD_IOC_EVENT_DEBUG_EVENT		5
#define KFD_IOC_EVENT_PROFILE_EVENT		6
#define KFD_IOC_EVENT_QUEUE_EVENT		7
#define KFD_IOC_EVENT_MEMORY			8

/* Values of kfd_ioctl_wait_events_args.wait_result */
#define KFD_IOC_WAIT_RESULT_COMPLETE		0
#define KFD_IOC_WAIT_RESULT_TIMEOUT		1
#define KFD_IOC_WAIT_RESULT_FAIL		2

/* Number of 8-byte slots in the signal event page (32 KiB). */
#define KFD_SIGNAL_EVENT_LIMIT			4096

/* hw_exception_data.reset_type */
#define KFD_HW_EXCEPTION_WHOLE_GPU_RESET	0
#define KFD_HW_EXCEPTION_PER_ENGINE_RESET	1

/* hw_exception_data.reset_cause */
#define KFD_HW_EXCEPTION_GPU_HANG		0
#define KFD_HW_EXCEPTION_ECC			1

/* kfd_hsa_memory_exception_data.ErrorType */
#define KFD_MEM_ERR_NO_RAS			0
#define KFD_MEM_ERR_SRAM_ECC			1
#define KFD_MEM_ERR_POISON_CONSUMED		2
#define KFD_MEM_ERR_GPU_HANG			3

/*
 * AMDKFD_IOC_CREATE_EVENT
 *
 * On the first signal event of a dGPU process, event_page_offset may carry
 * the handle of a caller-allocated 32 KiB buffer to use as the event page.
 * On return it holds the /dev/kfd mmap offset of the event page for signal
 * events (or 0).  For signal events event_id, event_trigger_data and
 * event_slot_index all name the event's slot in that page.
 */
struct kfd_ioctl_create_event_args {
	__u64 event_page_offset;	/* in: page BO handle or 0;
					 * out: mmap offset or 0 */
	__u32 event_trigger_data;	/* out: signal events only */
	__u32 event_type;		/* in: KFD_IOC_EVENT_* */
	__u32 auto_reset;		/* in: non-zero = reset on wake-up */
	__u32 node_id;			/* in: only for some event types */
	__u32 event_id;			/* out */
	__u32 event_slot_index;		/* out: slot in the event page */
};

/* AMDKFD_IOC_DESTROY_EVENT */
struct kfd_ioctl_destroy_event_args {
	__u32 event_id;			/* in */
	__u32 pad;
};

/* AMDKFD_IOC_SET_EVENT (signal events only) */
struct kfd_ioctl_set_event_args {
	__u32 event_id;			/* in */
	__u32 pad;
};

/* AMDKFD_IOC_RESET_EVENT (signal events only) */
struct kfd_ioctl_reset_event_args {
	__u32 event_id;			/* in */
	__u32 pad;
};

/* Why a GPU memory access faulted; each field is a 0/1 flag. */
struct kfd_memory_exception_failure {
	__u32 NotPresent;	/* no valid translation, or privilege fault */
	__u32 ReadOnly;		/* write to a read-only page */
	__u32 NoExecute;	/* instruction fetch from a no-execute page */
	__u32 imprecise;	/* the faulting address is not exact */
};

/* Payload of a KFD_IOC_EVENT_MEMORY event (32 bytes). */
struct kfd_hsa_memory_exception_data {
	struct kfd_memory_exception_failure failure;
	__u64 va;		/* faulting GPU virtual address */
	__u32 gpu_id;
	__u32 ErrorType;	/* KFD_MEM_ERR_*; other values reserved */
};

/* Payload of a KFD_IOC_EVENT_HW_EXCEPTION event (16 bytes). */
struct kfd_hsa_hw_exception_data {
	__u32 reset_type;	/* KFD_HW_EXCEPTION_*_RESET */
	__u32 reset_cause;	/* KFD_HW_EXCEPTION_GPU_HANG / _ECC */
	__u32 memory_lost;	/* non-zero if VRAM contents were lost */
	__u32 gpu_id;
};

/*
 * Payload of a signal event (1.14).  A waiter passes the age it last saw;
 * if it is non-zero and differs from the event's current age, the wait
 * completes at once.  The current age is written back on completion.
 */
struct kfd_hsa_signal_event_data {
	__u64 last_event_age;	/* in/out */
};

/* One element of the WAIT_EVENTS array (48 bytes). */
struct kfd_event_data {
	union {
		struct kfd_hsa_memory_exception_data memory_exception_data;
		struct kfd_hsa_hw_exception_data hw_exception_data;
		struct kfd_hsa_signal_event_data signal_event_data;
	};				/* out; signal_event_data in/out */
	__u64 kfd_event_data_ext;	/* reserved for extension data */
	__u32 event_id;			/* in */
	__u32 pad;
};

/*
 * AMDKFD_IOC_WAIT_EVENTS: wait for any (wait_for_all == 0) or all of the
 * events in the array.  timeout is in milliseconds: 0 only checks,
 * 0xffffffff waits forever.  If a signal interrupts the wait, the time left
 * is written back to timeout.
 */
struct kfd_ioctl_wait_events_args {
	__u64 events_ptr;		/* in: user array of struct kfd_event_data */
	__u32 num_events;		/* in */
	__u32 wait_for_all;		/* in */
	__u32 timeout;			/* in/out: ms */
	__u32 wait_result;		/* out: KFD_IOC_WAIT_RESULT_* */
};

/*
 * Miscellaneous per-device settings
 */

/* AMDKFD_IOC_SET_SCRATCH_BACKING_VA */
struct kfd_ioctl_set_scratch_backing_va_args {
	__u64 va_addr;			/* in */
	__u32 gpu_id;			/* in */
	__u32 pad;
};

/*
 * AMDKFD_IOC_GET_TILE_CONFIG: copy the tiling tables of a GPU.  The two
 * counts say how many __u32 entries the caller's arrays hold; the driver
 * replaces them by the number of entries it wrote.  The struct may grow at
 * its end in later versions.
 */
struct kfd_ioctl_get_tile_config_args {
	__u64 tile_config_ptr;		/* in: user __u32 array */
	__u64 macro_tile_config_ptr;	/* in: user __u32 array */
	__u32 num_tile_configs;		/* in: capacity; out: entries */
	__u32 num_macro_tile_configs;	/* in: capacity; out: entries */

	__u32 gpu_id;			/* in */
	__u32 gb_addr_config;		/* out */
	__u32 num_banks;		/* out */
	__u32 num_ranks;		/* out */
};

/*
 * AMDKFD_IOC_SET_TRAP_HANDLER: second-level trap handler code (TBA) and
 * its memory (TMA), called from the driver's own trap handler.
 */
struct kfd_ioctl_set_trap_handler_args {
	__u64 tba_addr;			/* in: GPU VA */
	__u64 tma_addr;			/* in: GPU VA */
	__u32 gpu_id;			/* in */
	__u32 pad;
};

/*
 * AMDKFD_IOC_ACQUIRE_VM: make the GPU virtual address space of an open
 * render node file (drm_fd) the process's compute VM on gpu_id.  Required
 * once per GPU before allocating memory or creating queues on it.
 */
struct kfd_ioctl_acquire_vm_args {
	__u32 drm_fd;			/* in: fd of /dev/dri/renderD<n> */
	__u32 gpu_id;			/* in */
};

/*
 * Memory allocation
 */

/* Flags of kfd_ioctl_alloc_memory_of_gpu_args.flags: where the memory is */
#define KFD_IOC_ALLOC_MEM_FLAGS_VRAM		(1 << 0)
#define KFD_IOC_ALLOC_MEM_FLAGS_GTT		(1 << 1)
#define KFD_IOC_ALLOC_MEM_FLAGS_USERPTR		(1 << 2)
#define KFD_IOC_ALLOC_MEM_FLAGS_DOORBELL	(1 << 3)
#define KFD_IOC_ALLOC_MEM_FLAGS_MMIO_REMAP	(1 << 4)
/*
 * ... and how it may be accessed.  All flags are plain int constants, as
 * user space has always seen them; bit 31 is therefore negative when
 * widened to 64 bits.
 */
#define KFD_IOC_ALLOC_MEM_FLAGS_WRITABLE	((int)(1U << 31))
#define KFD_IOC_ALLOC_MEM_FLAGS_EXECUTABLE	(1 << 30)
#define KFD_IOC_ALLOC_MEM_FLAGS_PUBLIC		(1 << 29)	/* CPU-visible VRAM */
#define KFD_IOC_ALLOC_MEM_FLAGS_NO_SUBSTITUTE	(1 << 28)
#define KFD_IOC_ALLOC_MEM_FLAGS_AQL_QUEUE_MEM	(1 << 27)
#define KFD_IOC_ALLOC_MEM_FLAGS_COHERENT	(1 << 26)
#define KFD_IOC_ALLOC_MEM_FLAGS_UNCACHED	(1 << 25)
#define KFD_IOC_ALLOC_MEM_FLAGS_EXT_COHERENT	(1 << 24)
#define KFD_IOC_ALLOC_MEM_FLAGS_CONTIGUOUS	(1 << 23)	/* 1.16 */

/*
 * AMDKFD_IOC_ALLOC_MEMORY_OF_GPU
 *
 * Creates a buffer that will live at va_addr in the GPU address space of
 * every device it is later mapped to (MAP_MEMORY_TO_GPU); allocation itself
 * does not map it.  The returned handle names the buffer in later calls.
 * mmap_offset is an input only for USERPTR (the page-aligned CPU address
 * of the user memory); otherwise it returns the offset at which the caller
 * can mmap the buffer (through the render node for VRAM/GTT, through
 * /dev/kfd for MMIO_REMAP).
 */
struct kfd_ioctl_alloc_memory_of_gpu_args {
	__u64 va_addr;			/* in */
	__u64 size;			/* in: bytes */
	__u64 handle;			/* out */
	__u64 mmap_offset;		/* in (USERPTR) / out */
	__u32 gpu_id;			/* in */
	__u32 flags;			/* in: KFD_IOC_ALLOC_MEM_FLAGS_* */
};

/* AMDKFD_IOC_FREE_MEMORY_OF_GPU */
struct kfd_ioctl_free_memory_of_gpu_args {
	__u64 handle;			/* in */
};

/*
 * AMDKFD_IOC_MAP_MEMORY_TO_GPU
 *
 * Maps a buffer on each GPU of a __u32 gpu_id array.  n_success counts the
 * leading array entries already done: start with 0; after a failure the
 * same args can be passed again to resume where it stopped.  On success
 * n_success == n_devices.
 */
struct kfd_ioctl_map_memory_to_gpu_args {
	__u64 handle;			/* in */
	__u64 device_ids_array_ptr;	/* in: user __u32 array of gpu_ids */
	__u32 n_devices;		/* in */
	__u32 n_success;		/* in/out */
};

/* AMDKFD_IOC_UNMAP_MEMORY_FROM_GPU: the reverse, same conventions */
struct kfd_ioctl_unmap_memory_from_gpu_args {
	__u64 handle;			/* in */
	__u64 device_ids_array_ptr;	/* in: user __u32 array of gpu_ids */
	__u32 n_devices;		/* in */
	__u32 n_success;		/* in/out */
};

/*
 * AMDKFD_IOC_ALLOC_QUEUE_GWS: give a queue num_gws global wave sync
 * entries (a contiguous range starting at first_gws).
 */
struct kfd_ioctl_alloc_queue_gws_args {
	__u32 queue_id;			/* in */
	__u32 num_gws;			/* in */
	__u32 first_gws;		/* out */
	__u32 pad;
};

/* AMDKFD_IOC_GET_DMABUF_INFO: describe a dma-buf exported by amdgpu */
struct kfd_ioctl_get_dmabuf_info_args {
	__u64 size;			/* out: bytes */
	__u64 metadata_ptr;		/* in: user buffer for metadata */
	__u32 metadata_size;		/* in: buffer size; out: metadata size */
	__u32 gpu_id;			/* out */
	__u32 flags;			/* out: KFD_IOC_ALLOC_MEM_FLAGS_* */
	__u32 dmabuf_fd;		/* in */
};

/* AMDKFD_IOC_IMPORT_DMABUF: import a dma-buf at va_addr */
struct kfd_ioctl_import_dmabuf_args {
	__u64 va_addr;			/* in */
	__u64 handle;			/* out */
	__u32 gpu_id;			/* in */
	__u32 dmabuf_fd;		/* in */
};

/* AMDKFD_IOC_EXPORT_DMABUF (1.12): buffer handle -> dma-buf fd */
struct kfd_ioctl_export_dmabuf_args {
	__u64 handle;			/* in */
	__u32 flags;			/* in: open flags of the new fd */
	__u32 dmabuf_fd;		/* out */
};

/*
 * SMI (system management interface) events
 *
 * AMDKFD_IOC_SMI_EVENTS returns an anonymous fd.  Writing a __u64 mask of
 * KFD_SMI_EVENT_MASK_FROM_INDEX(event) bits to it selects events; each
 * read returns text lines, each starting with the event number.  Without
 * the ALL_PROCESS bit (privileged) only the caller's own events are seen.
 */
enum kfd_smi_event {
	KFD_SMI_EVENT_NONE = 0,		/* never reported */
	KFD_SMI_EVENT_VMFAULT = 1,
	KFD_SMI_EVENT_THERMAL_THROTTLE = 2,
	KFD_SMI_EVENT_GPU_PRE_RESET = 3,
	KFD_SMI_EVENT_GPU_POST_RESET = 4,
	KFD_SMI_EVENT_MIGRATE_START = 5,
	KFD_SMI_EVENT_MIGRATE_END = 6,
	KFD_SMI_EVENT_PAGE_FAULT_START = 7,
	KFD_SMI_EVENT_PAGE_FAULT_END = 8,
	KFD_SMI_EVENT_QUEUE_EVICTION = 9,
	KFD_SMI_EVENT_QUEUE_RESTORE = 10,
	KFD_SMI_EVENT_UNMAP_FROM_GPU = 11,
	KFD_SMI_EVENT_PROCESS_START = 12,
	KFD_SMI_EVENT_PROCESS_END = 13,

	/* Highest bit: receive events of all processes (needs privilege). */
	KFD_SMI_EVENT_ALL_PROCESS = 64
};

/* Reason codes printed in migrate events */
enum KFD_MIGRATE_TRIGGERS {
	KFD_MIGRATE_TRIGGER_PREFETCH,
	KFD_MIGRATE_TRIGGER_PAGEFAULT_GPU,
	KFD_MIGRATE_TRIGGER_PAGEFAULT_CPU,
	KFD_MIGRATE_TRIGGER_TTM_EVICTION
};

/* Reason codes printed in queue eviction events */
enum KFD_QUEUE_EVICTION_TRIGGERS {
	KFD_QUEUE_EVICTION_TRIGGER_SVM,
	KFD_QUEUE_EVICTION_TRIGGER_USERPTR,
	KFD_QUEUE_EVICTION_TRIGGER_TTM,
	KFD_QUEUE_EVICTION_TRIGGER_SUSPEND,
	KFD_QUEUE_EVICTION_CRIU_CHECKPOINT,
	KFD_QUEUE_EVICTION_CRIU_RESTORE
};

/* Reason codes printed in unmap-from-GPU events */
enum KFD_SVM_UNMAP_TRIGGERS {
	KFD_SVM_UNMAP_TRIGGER_MMU_NOTIFY,
	KFD_SVM_UNMAP_TRIGGER_MMU_NOTIFY_MIGRATE,
	KFD_SVM_UNMAP_TRIGGER_UNMAP_FROM_CPU
};

/* Event numbers start at 1; event n is bit n - 1 of the mask. */
#define KFD_SMI_EVENT_MASK_FROM_INDEX(i)	(1ULL << ((i) - 1))
#define KFD_SMI_EVENT_MSG_SIZE			96

/* AMDKFD_IOC_SMI_EVENTS */
struct kfd_ioctl_smi_events_args {
	__u32 gpuid;			/* in */
	__u32 anon_fd;			/* out */
};

/*
 * Checkpoint/restore (CRIU), privileged
 *
 * Checkpoint: PROCESS_INFO (also evicts the queues) to learn the counts,
 * CHECKPOINT to dump devices, buffers and private data, then UNPAUSE.
 * Restore: RESTORE, then RESUME.
 */
enum kfd_criu_op {
	KFD_CRIU_OP_PROCESS_INFO,
	KFD_CRIU_OP_CHECKPOINT,
	KFD_CRIU_OP_UNPAUSE,
	KFD_CRIU_OP_RESTORE,
	KFD_CRIU_OP_RESUME,
};

/*
 * AMDKFD_IOC_CRIU_OP.  52 bytes of members, padded to 56 by the 8-byte
 * alignment of the __u64s on x86_64 (there is no named tail pad).
 */
struct kfd_ioctl_criu_args {
	__u64 devices;		/* user array of struct kfd_criu_device_bucket */
	__u64 bos;		/* user array of struct kfd_criu_bo_bucket */
	__u64 priv_data;	/* user buffer of opaque driver data */
	__u64 priv_data_size;	/* bytes in priv_data */
	__u32 num_devices;	/* entries in devices */
	__u32 num_bos;		/* entries in bos */
	__u32 num_objects;	/* opaque object count */
	__u32 pid;		/* process being checkpointed */
	__u32 op;		/* in: enum kfd_criu_op */
};

struct kfd_criu_device_bucket {
	__u32 user_gpu_id;
	__u32 actual_gpu_id;
	__u32 drm_fd;
	__u32 pad;
};

struct kfd_criu_bo_bucket {
	__u64 addr;
	__u64 size;
	__u64 offset;
	__u64 restored_offset;	/* restore: the buffer's new offset */
	__u32 gpu_id;		/* user-visible gpu_id */
	__u32 alloc_flags;
	__u32 dmabuf_fd;
	__u32 pad;
};

/* Byte offsets of the HDP flush registers in the MMIO remap page */
enum kfd_mmio_remap {
	KFD_MMIO_REMAP_HDP_MEM_FLUSH_CNTL = 0,
	KFD_MMIO_REMAP_HDP_REG_FLUSH_CNTL = 4,
};

/*
 * Shared virtual memory (SVM)
 */

/*
 * Flag bits for the SET_FLAGS / CLR_FLAGS attributes:
 *   HOST_ACCESS        the CPU must always be able to access the range
 *   COHERENT           fine-grained coherence between all accessors
 *   HIVE_LOCAL         any GPU of the XGMI hive counts as preferred
 *   GPU_RO             GPUs only read (copies may be replicated)
 *   GPU_EXEC           GPUs may execute code from the range
 *   GPU_READ_MOSTLY    GPUs mostly read; writes may fault
 *   GPU_ALWAYS_MAPPED  keep GPU mappings valid as without XNACK
 *   EXT_COHERENT       coherence including device-scope atomics
 */
#define KFD_IOCTL_SVM_FLAG_HOST_ACCESS		0x00000001
#define KFD_IOCTL_SVM_FLAG_COHERENT		0x00000002
#define KFD_IOCTL_SVM_FLAG_HIVE_LOCAL		0x00000004
#define KFD_IOCTL_SVM_FLAG_GPU_RO		0x00000008
#define KFD_IOCTL_SVM_FLAG_GPU_EXEC		0x00000010
#define KFD_IOCTL_SVM_FLAG_GPU_READ_MOSTLY	0x00000020
#define KFD_IOCTL_SVM_FLAG_GPU_ALWAYS_MAPPED	0x00000040
#define KFD_IOCTL_SVM_FLAG_EXT_COHERENT		0x00000080

/* kfd_ioctl_svm_args.op */
enum kfd_ioctl_svm_op {
	KFD_IOCTL_SVM_OP_SET_ATTR,
	KFD_IOCTL_SVM_OP_GET_ATTR
};

/* Location values besides gpu_ids for PREFERRED_LOC / PREFETCH_LOC */
enum kfd_ioctl_svm_location {
	KFD_IOCTL_SVM_LOCATION_SYSMEM = 0,
	KFD_IOCTL_SVM_LOCATION_UNDEFINED = 0xffffffff
};

/*
 * kfd_ioctl_svm_attribute.type.  PREFERRED_LOC and PREFETCH_LOC take a
 * gpu_id or a kfd_ioctl_svm_location value (setting PREFETCH_LOC migrates
 * at once); ACCESS, ACCESS_IN_PLACE and NO_ACCESS take the gpu_id they
 * apply to; SET_FLAGS / CLR_FLAGS take KFD_IOCTL_SVM_FLAG_* masks;
 * GRANULARITY is log2 of the migration unit in pages.
 */
enum kfd_ioctl_svm_attr_type {
	KFD_IOCTL_SVM_ATTR_PREFERRED_LOC,
	KFD_IOCTL_SVM_ATTR_PREFETCH_LOC,
	KFD_IOCTL_SVM_ATTR_ACCESS,
	KFD_IOCTL_SVM_ATTR_ACCESS_IN_PLACE,
	KFD_IOCTL_SVM_ATTR_NO_ACCESS,
	KFD_IOCTL_SVM_ATTR_SET_FLAGS,
	KFD_IOCTL_SVM_ATTR_CLR_FLAGS,
	KFD_IOCTL_SVM_ATTR_GRANULARITY
};

struct kfd_ioctl_svm_attribute {
	__u32 type;			/* enum kfd_ioctl_svm_attr_type */
	__u32 value;
};

/*
 * AMDKFD_IOC_SVM: set or query attributes of [start_addr, start_addr +
 * size).  nattr attributes follow the fixed 24-byte part; the ioctl size
 * encodes only the fixed part.  SET_ATTR splits existing ranges as needed.
 * GET_ATTR reports what holds for the whole range: a location of
 * 0xffffffff if pages disagree, SET_FLAGS as the AND and CLR_FLAGS as the
 * NOR of the pages' flags, the smallest granularity; for an ACCESS query
 * (value = gpu_id) the driver rewrites type to the access of that GPU.
 */
struct kfd_ioctl_svm_args {
	__u64 start_addr;		/* in */
	__u64 size;			/* in: bytes */
	__u32 op;			/* in: enum kfd_ioctl_svm_op */
	__u32 nattr;			/* in: entries in attrs[] */
	struct kfd_ioctl_svm_attribute attrs[];	/* in/out */
};

/*
 * AMDKFD_IOC_SET_XNACK_MODE: recoverable GPU page faults for this process.
 * In: < 0 only queries, 0 disables, > 0 enables (allowed only while the
 * process has no queues).  Out: the mode now in effect (0 or 1).
 */
struct kfd_ioctl_set_xnack_mode_args {
	__s32 xnack_enabled;		/* in/out */
};

/*
 * Debugger interface (1.13)
 */

/* How SET_WAVE_LAUNCH_OVERRIDE combines with the current trap mask */
enum kfd_dbg_trap_override_mode {
	KFD_DBG_TRAP_OVERRIDE_OR = 0,
	KFD_DBG_TRAP_OVERRIDE_REPLACE = 1
};

/* Trap enable bits for SET_WAVE_LAUNCH_OVERRIDE */
enum kfd_dbg_trap_mask {
	KFD_DBG_TRAP_MASK_FP_INVALID = 1,
	KFD_DBG_TRAP_MASK_FP_INPUT_DENORMAL = 2,
	KFD_DBG_TRAP_MASK_FP_DIVIDE_BY_ZERO = 4,
	KFD_DBG_TRAP_MASK_FP_OVERFLOW = 8,
	KFD_DBG_TRAP_MASK_FP_UNDERFLOW = 16,
	KFD_DBG_TRAP_MASK_FP_INEXACT = 32,
	KFD_DBG_TRAP_MASK_INT_DIVIDE_BY_ZERO = 64,
	KFD_DBG_TRAP_MASK_DBG_ADDRESS_WATCH = 128,
	KFD_DBG_TRAP_MASK_DBG_MEMORY_VIOLATION = 256,
	KFD_DBG_TRAP_MASK_TRAP_ON_WAVE_START = (1 << 30),
	KFD_DBG_TRAP_MASK_TRAP_ON_WAVE_END = (int)(1U << 31)	/* bit 31 */
};

/* SET_WAVE_LAUNCH_MODE values */
enum kfd_dbg_trap_wave_launch_mode {
	KFD_DBG_TRAP_WAVE_LAUNCH_MODE_NORMAL = 0,
	KFD_DBG_TRAP_WAVE_LAUNCH_MODE_HALT = 1,
	KFD_DBG_TRAP_WAVE_LAUNCH_MODE_DEBUG = 3
};

/* Access kinds an address watch fires on */
enum kfd_dbg_trap_address_watch_mode {
	KFD_DBG_TRAP_ADDRESS_WATCH_MODE_READ = 0,
	KFD_DBG_TRAP_ADDRESS_WATCH_MODE_NONREAD = 1,
	KFD_DBG_TRAP_ADDRESS_WATCH_MODE_ATOMIC = 2,
	KFD_DBG_TRAP_ADDRESS_WATCH_MODE_ALL = 3
};

/* SET_FLAGS bits */
enum kfd_dbg_trap_flags {
	KFD_DBG_TRAP_FLAG_SINGLE_MEM_OP = 1,
	KFD_DBG_TRAP_FLAG_SINGLE_ALU_OP = 2,
};

/*
 * Exception codes.  1..31 belong to a queue, 32..47 to a device, 48.. to
 * the process.  Exception masks use bit (code - 1), see KFD_EC_MASK().
 */
enum kfd_dbg_trap_exception_code {
	EC_NONE = 0,
	/* queue */
	EC_QUEUE_WAVE_ABORT = 1,
	EC_QUEUE_WAVE_TRAP = 2,
	EC_QUEUE_WAVE_MATH_ERROR = 3,
	EC_QUEUE_WAVE_ILLEGAL_INSTRUCTION = 4,
	EC_QUEUE_WAVE_MEMORY_VIOLATION = 5,
	EC_QUEUE_WAVE_APERTURE_VIOLATION = 6,
	EC_QUEUE_PACKET_DISPATCH_DIM_INVALID = 16,
	EC_QUEUE_PACKET_DISPATCH_GROUP_SEGMENT_SIZE_INVALID = 17,
	EC_QUEUE_PACKET_DISPATCH_CODE_INVALID = 18,
	EC_QUEUE_PACKET_RESERVED = 19,
	EC_QUEUE_PACKET_UNSUPPORTED = 20,
	EC_QUEUE_PACKET_DISPATCH_WORK_GROUP_SIZE_INVALID = 21,
	EC_QUEUE_PACKET_DISPATCH_REGISTER_INVALID = 22,
	EC_QUEUE_PACKET_VENDOR_UNSUPPORTED = 23,
	EC_QUEUE_PREEMPTION_ERROR = 30,
	EC_QUEUE_NEW = 31,
	/* device */
	EC_DEVICE_QUEUE_DELETE = 32,
	EC_DEVICE_MEMORY_VIOLATION = 33,
	EC_DEVICE_RAS_ERROR = 34,
	EC_DEVICE_FATAL_HALT = 35,
	EC_DEVICE_NEW = 36,
	/* process */
	EC_PROCESS_RUNTIME = 48,
	EC_PROCESS_DEVICE_REMOVE = 49,
	EC_MAX
};

/* Mask bit of one exception code */
#define KFD_EC_MASK(ecode)	(1ULL << ((ecode) - 1))

/* All queue exceptions */
#define KFD_EC_MASK_QUEUE						\
	(KFD_EC_MASK(EC_QUEUE_WAVE_ABORT) |				\
	 KFD_EC_MASK(EC_QUEUE_WAVE_TRAP) |				\
	 KFD_EC_MASK(EC_QUEUE_WAVE_MATH_ERROR) |			\
	 KFD_EC_MASK(EC_QUEUE_WAVE_ILLEGAL_INSTRUCTION) |		\
	 KFD_EC_MASK(EC_QUEUE_WAVE_MEMORY_VIOLATION) |			\
	 KFD_EC_MASK(EC_QUEUE_WAVE_APERTURE_VIOLATION) |		\
	 KFD_EC_MASK_PACKET |						\
	 KFD_EC_MASK(EC_QUEUE_PREEMPTION_ERROR) |			\
	 KFD_EC_MASK(EC_QUEUE_NEW))

/* All device exceptions */
#define KFD_EC_MASK_DEVICE						\
	(KFD_EC_MASK(EC_DEVICE_QUEUE_DELETE) |				\
	 KFD_EC_MASK(EC_DEVICE_MEMORY_VIOLATION) |			\
	 KFD_EC_MASK(EC_DEVICE_RAS_ERROR) |				\
	 KFD_EC_MASK(EC_DEVICE_FATAL_HALT) |				\
	 KFD_EC_MASK(EC_DEVICE_NEW))

/* All process exceptions */
#define KFD_EC_MASK_PROCESS						\
	(KFD_EC_MASK(EC_PROCESS_RUNTIME) |				\
	 KFD_EC_MASK(EC_PROCESS_DEVICE_REMOVE))

/* The queue exceptions that are about a bad AQL packet */
#define KFD_EC_MASK_PACKET						\
	(KFD_EC_MASK(EC_QUEUE_PACKET_DISPATCH_DIM_INVALID) |		\
	 KFD_EC_MASK(EC_QUEUE_PACKET_DISPATCH_GROUP_SEGMENT_SIZE_INVALID) | \
	 KFD_EC_MASK(EC_QUEUE_PACKET_DISPATCH_CODE_INVALID) |		\
	 KFD_EC_MASK(EC_QUEUE_PACKET_RESERVED) |			\
	 KFD_EC_MASK(EC_QUEUE_PACKET_UNSUPPORTED) |			\
	 KFD_EC_MASK(EC_QUEUE_PACKET_DISPATCH_WORK_GROUP_SIZE_INVALID) | \
	 KFD_EC_MASK(EC_QUEUE_PACKET_DISPATCH_REGISTER_INVALID) |	\
	 KFD_EC_MASK(EC_QUEUE_PACKET_VENDOR_UNSUPPORTED))

/* Classify an exception code */
#define KFD_DBG_EC_IS_VALID(ecode)	((ecode) > EC_NONE && (ecode) < EC_MAX)
#define KFD_DBG_EC_TYPE_IS_QUEUE(ecode)					\
	(KFD_DBG_EC_IS_VALID(ecode) && !!(KFD_EC_MASK(ecode) & KFD_EC_MASK_QUEUE))
#define KFD_DBG_EC_TYPE_IS_DEVICE(ecode)				\
	(KFD_DBG_EC_IS_VALID(ecode) && !!(KFD_EC_MASK(ecode) & KFD_EC_MASK_DEVICE))
#define KFD_DBG_EC_TYPE_IS_PROCESS(ecode)				\
	(KFD_DBG_EC_IS_VALID(ecode) && !!(KFD_EC_MASK(ecode) & KFD_EC_MASK_PROCESS))
#define KFD_DBG_EC_TYPE_IS_PACKET(ecode)				\
	(KFD_DBG_EC_IS_VALID(ecode) && !!(KFD_EC_MASK(ecode) & KFD_EC_MASK_PACKET))

/* kfd_runtime_info.runtime_state */
enum kfd_dbg_runtime_state {
	DEBUG_RUNTIME_STATE_DISABLED = 0,
	DEBUG_RUNTIME_STATE_ENABLED = 1,
	DEBUG_RUNTIME_STATE_ENABLED_BUSY = 2,
	DEBUG_RUNTIME_STATE_ENABLED_ERROR = 3
};

/* What the runtime told the driver, as reported to a debugger (16 bytes) */
struct kfd_runtime_info {
	__u64 r_debug;
	__u32 runtime_state;		/* enum kfd_dbg_runtime_state */
	__u32 ttmp_setup;
};

/* Bits of kfd_ioctl_runtime_enable_args.mode_mask */
#define KFD_RUNTIME_ENABLE_MODE_ENABLE_MASK	1	/* else: disable */
#define KFD_RUNTIME_ENABLE_MODE_TTMP_SAVE_MASK	2	/* set up trap temporaries */

/*
 * AMDKFD_IOC_RUNTIME_ENABLE: the runtime (ROCr) announces itself at start
 * and exit.  Fails with -EBUSY if already enabled and -EEXIST if the
 * process already has queues.  Under a debugger the call blocks until the
 * debugger raises EC_PROCESS_RUNTIME.
 */
struct kfd_ioctl_runtime_enable_args {
	__u64 r_debug;			/* in: runtime/debugger shared data */
	__u32 mode_mask;		/* in: KFD_RUNTIME_ENABLE_MODE_* */
	__u32 capabilities_mask;	/* out: what the driver supports */
};

/* One queue as reported by GET_QUEUE_SNAPSHOT (64 bytes) */
struct kfd_queue_snapshot_entry {
	__u64 exception_status;
	__u64 ring_base_address;
	__u64 write_pointer_address;
	__u64 read_pointer_address;
	__u64 ctx_save_restore_address;
	__u32 queue_id;
	__u32 gpu_id;
	__u32 ring_size;
	__u32 queue_type;
	__u32 ctx_save_restore_area_size;
	__u32 reserved;
};

/* Per-queue status bits returned in the queue id array by SUSPEND/RESUME */
#define KFD_DBG_QUEUE_ERROR_BIT		30
#define KFD_DBG_QUEUE_INVALID_BIT	31
#define KFD_DBG_QUEUE_ERROR_MASK	(1 << KFD_DBG_QUEUE_ERROR_BIT)
#define KFD_DBG_QUEUE_INVALID_MASK	((int)(1U << KFD_DBG_QUEUE_INVALID_BIT))

/* Header at the start of each XCC's part of the CWSR area (40 bytes) */
struct kfd_context_save_area_header {
	struct {
		__u32 control_stack_offset;
		__u32 control_stack_size;
		__u32 wave_state_offset;
		__u32 wave_state_size;
	} wave_state;
	__u32 debug_offset;
	__u32 debug_size;
	__u64 err_payload_addr;		/* where queue exceptions are reported */
	__u32 err_event_id;		/* event signalled on such a report */
	__u32 reserved1;
};

/*
 * kfd_ioctl_dbg_trap_args.op.  Operations marked HW need RUNTIME_ENABLE to
 * have succeeded in the target.  All but ENABLE need a debug session, all
 * but DISABLE need the target to be ptrace-attached by the caller.
 */
enum kfd_dbg_trap_operations {
	KFD_IOC_DBG_TRAP_ENABLE = 0,
	KFD_IOC_DBG_TRAP_DISABLE = 1,
	KFD_IOC_DBG_TRAP_SEND_RUNTIME_EVENT = 2,
	KFD_IOC_DBG_TRAP_SET_EXCEPTIONS_ENABLED = 3,
	KFD_IOC_DBG_TRAP_SET_WAVE_LAUNCH_OVERRIDE = 4,	/* HW */
	KFD_IOC_DBG_TRAP_SET_WAVE_LAUNCH_MODE = 5,	/* HW */
	KFD_IOC_DBG_TRAP_SUSPEND_QUEUES = 6,		/* HW */
	KFD_IOC_DBG_TRAP_RESUME_QUEUES = 7,		/* HW */
	KFD_IOC_DBG_TRAP_SET_NODE_ADDRESS_WATCH = 8,	/* HW */
	KFD_IOC_DBG_TRAP_CLEAR_NODE_ADDRESS_WATCH = 9,	/* HW */
	KFD_IOC_DBG_TRAP_SET_FLAGS = 10,
	KFD_IOC_DBG_TRAP_QUERY_DEBUG_EVENT = 11,
	KFD_IOC_DBG_TRAP_QUERY_EXCEPTION_INFO = 12,
	KFD_IOC_DBG_TRAP_GET_QUEUE_SNAPSHOT = 13,
	KFD_IOC_DBG_TRAP_GET_DEVICE_SNAPSHOT = 14
};

/* ENABLE: start a debug session on the target */
struct kfd_ioctl_dbg_trap_enable_args {
	__u64 exception_mask;		/* in: exceptions to report */
	__u64 rinfo_ptr;		/* in: buffer for struct kfd_runtime_info */
	__u32 rinfo_size;		/* in: buffer size; out: bytes written */
	__u32 dbg_fd;			/* in: fd notified of new exceptions */
};

/* SEND_RUNTIME_EVENT: raise exceptions towards the runtime */
struct kfd_ioctl_dbg_trap_send_runtime_event_args {
	__u64 exception_mask;		/* in */
	__u32 gpu_id;			/* in */
	__u32 queue_id;			/* in */
};

/* SET_EXCEPTIONS_ENABLED: replace the set of reported exceptions */
struct kfd_ioctl_dbg_trap_set_exceptions_enabled_args {
	__u64 exception_mask;		/* in */
};

/* SET_WAVE_LAUNCH_OVERRIDE */
struct kfd_ioctl_dbg_trap_set_wave_launch_override_args {
	__u32 override_mode;		/* in: enum kfd_dbg_trap_override_mode */
	__u32 enable_mask;		/* in: wanted; out: previous */
	__u32 support_request_mask;	/* in: to check; out: supported */
	__u32 pad;
};

/* SET_WAVE_LAUNCH_MODE */
struct kfd_ioctl_dbg_trap_set_wave_launch_mode_args {
	__u32 launch_mode;		/* in: enum kfd_dbg_trap_wave_launch_mode */
	__u32 pad;
};

/*
 * SUSPEND_QUEUES: returns the number of queues suspended; failed entries
 * of the id array get KFD_DBG_QUEUE_ERROR_MASK / _INVALID_MASK set.
 */
struct kfd_ioctl_dbg_trap_suspend_queues_args {
	__u64 exception_mask;		/* in: exceptions to clear */
	__u64 queue_array_ptr;		/* in/out: user __u32 array of queue ids */
	__u32 num_queues;		/* in */
	__u32 grace_period;		/* in: units of 1K GPU clocks */
};

/* RESUME_QUEUES: same array conventions as SUSPEND_QUEUES */
struct kfd_ioctl_dbg_trap_resume_queues_args {
	__u64 queue_array_ptr;		/* in/out */
	__u32 num_queues;		/* in */
	__u32 pad;
};

/* SET_NODE_ADDRESS_WATCH */
struct kfd_ioctl_dbg_trap_set_node_address_watch_args {
	__u64 address;			/* in */
	__u32 mode;			/* in: enum kfd_dbg_trap_address_watch_mode */
	__u32 mask;			/* in */
	__u32 gpu_id;			/* in */
	__u32 id;			/* out: watch point id */
};

/* CLEAR_NODE_ADDRESS_WATCH */
struct kfd_ioctl_dbg_trap_clear_node_address_watch_args {
	__u32 gpu_id;			/* in */
	__u32 id;			/* in */
};

/* SET_FLAGS */
struct kfd_ioctl_dbg_trap_set_flags_args {
	__u32 flags;			/* in: enum kfd_dbg_trap_flags bits;
					 * out: previous flags */
	__u32 pad;
};

/*
 * QUERY_DEBUG_EVENT: report one source with pending exceptions, -EAGAIN
 * when there is none left.
 */
struct kfd_ioctl_dbg_trap_query_debug_event_args {
	__u64 exception_mask;		/* in: to clear; out: pending */
	__u32 gpu_id;			/* out */
	__u32 queue_id;			/* out */
};

/* QUERY_EXCEPTION_INFO: details of one raised exception */
struct kfd_ioctl_dbg_trap_query_exception_info_args {
	__u64 info_ptr;			/* in: user buffer */
	__u32 info_size;		/* in: buffer size; out: size needed */
	__u32 source_id;		/* in: gpu_id or queue_id */
	__u32 exception_code;		/* in: enum kfd_dbg_trap_exception_code */
	__u32 clear_exception;		/* in: 1 = clear it as well */
};

/*
 * GET_QUEUE_SNAPSHOT: entries of struct kfd_queue_snapshot_entry, strided
 * by the caller's entry_size.  num_queues returns how many queues exist.
 */
struct kfd_ioctl_dbg_trap_queue_snapshot_args {
	__u64 exception_mask;		/* in: exceptions to clear */
	__u64 snapshot_buf_ptr;		/* in: user buffer */
	__u32 num_queues;		/* in: capacity; out: existing */
	__u32 entry_size;		/* in: stride; out: bytes filled */
};

/* GET_DEVICE_SNAPSHOT: likewise with struct kfd_dbg_device_info_entry */
struct kfd_ioctl_dbg_trap_device_snapshot_args {
	__u64 exception_mask;		/* in: exceptions to clear */
	__u64 snapshot_buf_ptr;		/* in: user buffer */
	__u32 num_devices;		/* in: capacity; out: existing */
	__u32 entry_size;		/* in: stride; out: bytes filled */
};

/* AMDKFD_IOC_DBG_TRAP: op selects the member of the 24-byte union. */
struct kfd_ioctl_dbg_trap_args {
	__u32 pid;			/* in: target process */
	__u32 op;			/* in: enum kfd_dbg_trap_operations */

	union {
		struct kfd_ioctl_dbg_trap_enable_args enable;
		struct kfd_ioctl_dbg_trap_send_runtime_event_args send_runtime_event;
		struct kfd_ioctl_dbg_trap_set_exceptions_enabled_args
						set_exceptions_enabled;
		struct kfd_ioctl_dbg_trap_set_wave_launch_override_args launch_override;
		struct kfd_ioctl_dbg_trap_set_wave_launch_mode_args launch_mode;
		struct kfd_ioctl_dbg_trap_suspend_queues_args suspend_queues;
		struct kfd_ioctl_dbg_trap_resume_queues_args resume_queues;
		struct kfd_ioctl_dbg_trap_set_node_address_watch_args
						set_node_address_watch;
		struct kfd_ioctl_dbg_trap_clear_node_address_watch_args
						clear_node_address_watch;
		struct kfd_ioctl_dbg_trap_set_flags_args set_flags;
		struct kfd_ioctl_dbg_trap_query_debug_event_args query_debug_event;
		struct kfd_ioctl_dbg_trap_query_exception_info_args query_exception_info;
		struct kfd_ioctl_dbg_trap_queue_snapshot_args queue_snapshot;
		struct kfd_ioctl_dbg_trap_device_snapshot_args device_snapshot;
	};
};

/*
 * ioctl commands
 *
 * The driver dispatches on the command number alone and copies as many
 * bytes as the caller's command encodes, so older (shorter) argument
 * structs keep working.
 */
#define AMDKFD_IOCTL_BASE		'K'
#define AMDKFD_IO(nr)			_IO(AMDKFD_IOCTL_BASE, nr)
#define AMDKFD_IOR(nr, type)		_IOR(AMDKFD_IOCTL_BASE, nr, type)
#define AMDKFD_IOW(nr, type)		_IOW(AMDKFD_IOCTL_BASE, nr, type)
#define AMDKFD_IOWR(nr, type)		_IOWR(AMDKFD_IOCTL_BASE, nr, type)

#define AMDKFD_IOC_GET_VERSION			\
		AMDKFD_IOR(0x01, struct kfd_ioctl_get_version_args)

#define AMDKFD_IOC_CREATE_QUEUE			\
		AMDKFD_IOWR(0x02, struct kfd_ioctl_create_queue_args)

#define AMDKFD_IOC_DESTROY_QUEUE		\
		AMDKFD_IOWR(0x03, struct kfd_ioctl_destroy_queue_args)

#define AMDKFD_IOC_SET_MEMORY_POLICY		\
		AMDKFD_IOW(0x04, struct kfd_ioctl_set_memory_policy_args)

#define AMDKFD_IOC_GET_CLOCK_COUNTERS		\
		AMDKFD_IOWR(0x05, struct kfd_ioctl_get_clock_counters_args)

#define AMDKFD_IOC_GET_PROCESS_APERTURES	\
		AMDKFD_IOR(0x06, struct kfd_ioctl_get_process_apertures_args)

#define AMDKFD_IOC_UPDATE_QUEUE			\
		AMDKFD_IOW(0x07, struct kfd_ioctl_update_queue_args)

#define AMDKFD_IOC_CREATE_EVENT			\
		AMDKFD_IOWR(0x08, struct kfd_ioctl_create_event_args)

#define AMDKFD_IOC_DESTROY_EVENT		\
		AMDKFD_IOW(0x09, struct kfd_ioctl_destroy_event_args)

#define AMDKFD_IOC_SET_EVENT			\
		AMDKFD_IOW(0x0A, struct kfd_ioctl_set_event_args)

#define AMDKFD_IOC_RESET_EVENT			\
		AMDKFD_IOW(0x0B, struct kfd_ioctl_reset_event_args)

#define AMDKFD_IOC_WAIT_EVENTS			\
		AMDKFD_IOWR(0x0C, struct kfd_ioctl_wait_events_args)

#define AMDKFD_IOC_DBG_REGISTER_DEPRECATED	\
		AMDKFD_IOW(0x0D, struct kfd_ioctl_dbg_register_args)

#define AMDKFD_IOC_DBG_UNREGISTER_DEPRECATED	\
		AMDKFD_IOW(0x0E, struct kfd_ioctl_dbg_unregister_args)

#define AMDKFD_IOC_DBG_ADDRESS_WATCH_DEPRECATED	\
		AMDKFD_IOW(0x0F, struct kfd_ioctl_dbg_address_watch_args)

#define AMDKFD_IOC_DBG_WAVE_CONTROL_DEPRECATED	\
		AMDKFD_IOW(0x10, struct kfd_ioctl_dbg_wave_control_args)

#define AMDKFD_IOC_SET_SCRATCH_BACKING_VA	\
		AMDKFD_IOWR(0x11, struct kfd_ioctl_set_scratch_backing_va_args)

#define AMDKFD_IOC_GET_TILE_CONFIG		\
		AMDKFD_IOWR(0x12, struct kfd_ioctl_get_tile_config_args)

#define AMDKFD_IOC_SET_TRAP_HANDLER		\
		AMDKFD_IOW(0x13, struct kfd_ioctl_set_trap_handler_args)

#define AMDKFD_IOC_GET_PROCESS_APERTURES_NEW	\
		AMDKFD_IOWR(0x14, struct kfd_ioctl_get_process_apertures_new_args)

#define AMDKFD_IOC_ACQUIRE_VM			\
		AMDKFD_IOW(0x15, struct kfd_ioctl_acquire_vm_args)

#define AMDKFD_IOC_ALLOC_MEMORY_OF_GPU		\
		AMDKFD_IOWR(0x16, struct kfd_ioctl_alloc_memory_of_gpu_args)

#define AMDKFD_IOC_FREE_MEMORY_OF_GPU		\
		AMDKFD_IOW(0x17, struct kfd_ioctl_free_memory_of_gpu_args)

#define AMDKFD_IOC_MAP_MEMORY_TO_GPU		\
		AMDKFD_IOWR(0x18, struct kfd_ioctl_map_memory_to_gpu_args)

#define AMDKFD_IOC_UNMAP_MEMORY_FROM_GPU	\
		AMDKFD_IOWR(0x19, struct kfd_ioctl_unmap_memory_from_gpu_args)

#define AMDKFD_IOC_SET_CU_MASK			\
		AMDKFD_IOW(0x1A, struct kfd_ioctl_set_cu_mask_args)

#define AMDKFD_IOC_GET_QUEUE_WAVE_STATE		\
		AMDKFD_IOWR(0x1B, struct kfd_ioctl_get_queue_wave_state_args)

#define AMDKFD_IOC_GET_DMABUF_INFO		\
		AMDKFD_IOWR(0x1C, struct kfd_ioctl_get_dmabuf_info_args)

#define AMDKFD_IOC_IMPORT_DMABUF		\
		AMDKFD_IOWR(0x1D, struct kfd_ioctl_import_dmabuf_args)

#define AMDKFD_IOC_ALLOC_QUEUE_GWS		\
		AMDKFD_IOWR(0x1E, struct kfd_ioctl_alloc_queue_gws_args)

#define AMDKFD_IOC_SMI_EVENTS			\
		AMDKFD_IOWR(0x1F, struct kfd_ioctl_smi_events_args)

#define AMDKFD_IOC_SVM				\
		AMDKFD_IOWR(0x20, struct kfd_ioctl_svm_args)

#define AMDKFD_IOC_SET_XNACK_MODE		\
		AMDKFD_IOWR(0x21, struct kfd_ioctl_set_xnack_mode_args)

#define AMDKFD_IOC_CRIU_OP			\
		AMDKFD_IOWR(0x22, struct kfd_ioctl_criu_args)

#define AMDKFD_IOC_AVAILABLE_MEMORY		\
		AMDKFD_IOWR(0x23, struct kfd_ioctl_get_available_memory_args)

#define AMDKFD_IOC_EXPORT_DMABUF		\
		AMDKFD_IOWR(0x24, struct kfd_ioctl_export_dmabuf_args)

#define AMDKFD_IOC_RUNTIME_ENABLE		\
		AMDKFD_IOWR(0x25, struct kfd_ioctl_runtime_enable_args)

#define AMDKFD_IOC_DBG_TRAP			\
		AMDKFD_IOWR(0x26, struct kfd_ioctl_dbg_trap_args)

/* 1.19: turn this fd into a new, separate (secondary) process context */
#define AMDKFD_IOC_CREATE_PROCESS		\
		AMDKFD_IO(0x27)

/* Valid command numbers are START <= nr < END. */
#define AMDKFD_COMMAND_START		0x01
#define AMDKFD_COMMAND_END		0x28

#endif /* VKFD_UAPI_LINUX_KFD_IOCTL_H */
