/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vkfd hardware interface
 *
 * The one definition of the contract between the vkfd PCI device (QEMU
 * hw/kfd), its qtests and the guest driver.  Plain C with fixed-width types
 * so all three include this same file.  docs/hardware.md explains it.
 *
 * All multi-byte values are little-endian.  Registers are 32 bits wide and
 * must be accessed with aligned 32-bit loads and stores; 64-bit quantities
 * are split into _LO/_HI register pairs.
 *
 * Include <stdint.h> (QEMU, user space) or <linux/types.h> (the kernel)
 * before this file: it only uses uint8_t..uint64_t.
 */
#ifndef VKFD_HW_H
#define VKFD_HW_H

/* PCI identity: QEMU's vendor id, a device id of our own. */
#define VKFD_PCI_VENDOR_ID          0x1234
#define VKFD_PCI_DEVICE_ID          0x7fd0
#define VKFD_PCI_REVISION           0x01

/* BAR numbers */
#define VKFD_BAR_REGS               0   /* registers, MMIO remap page */
#define VKFD_BAR_MSIX               1   /* MSI-X table and PBA */
#define VKFD_BAR_DOORBELL           2   /* 64-bit: one page per context */
#define VKFD_BAR_VRAM               4   /* 64-bit, prefetchable, RAM */

#define VKFD_REGS_SIZE              0x2000  /* registers + MMIO remap page */

/* Register map of BAR0 */
#define VKFD_REG_ID                 0x000   /* RO: VKFD_ID_MAGIC */
#define VKFD_REG_VERSION            0x004   /* RO: major << 16 | minor */
#define VKFD_REG_CAPS               0x008   /* RO: VKFD_CAP_* */
#define VKFD_REG_STATUS             0x00c   /* RO: VKFD_STATUS_* */
#define VKFD_REG_CONTROL            0x010   /* RW: VKFD_CONTROL_* */
#define VKFD_REG_MAX_CONTEXTS       0x014   /* RO: context slots, incl. ctx 0 */
#define VKFD_REG_DOORBELL_PAGE_SIZE 0x018   /* RO: doorbell bytes a context */
#define VKFD_REG_NUM_CONTEXTS       0x01c   /* RO: contexts mapped right now */
#define VKFD_REG_VRAM_SIZE_LO       0x020   /* RO: size of the VRAM BAR */
#define VKFD_REG_VRAM_SIZE_HI       0x024
#define VKFD_REG_SERIAL_LO          0x028   /* RO: QOM property "serial" */
#define VKFD_REG_SERIAL_HI          0x02c
#define VKFD_REG_MSIX_VECTORS       0x030   /* RO: MSI-X vectors provided */
#define VKFD_REG_ACCESS_ERRORS      0x034   /* RO: rejected accesses */

/*
 * The scheduler ring.  BASE and SIZE may only be written while
 * CONTROL.ENABLE is clear; they are checked when ENABLE is set.
 */
#define VKFD_REG_SCHED_BASE_LO      0x040   /* RW: 4 KiB aligned address */
#define VKFD_REG_SCHED_BASE_HI      0x044
#define VKFD_REG_SCHED_SIZE         0x048   /* RW: bytes, power of two */
#define VKFD_REG_SCHED_WPTR         0x04c   /* RW: byte offset; a write kicks */
#define VKFD_REG_SCHED_RPTR         0x050   /* RO: next command to run */
#define VKFD_REG_SCHED_ERROR        0x054   /* RO: last failure VKFD_ST_* */
#define VKFD_REG_SCHED_ERROR_RPTR   0x058   /* RO: where it failed */
#define VKFD_REG_SCHED_COMPLETED    0x05c   /* RO: commands consumed (wraps) */

/*
 * GPU identity: what the driver reports in the KFD topology.  Set by QOM
 * properties (docs/hardware.md), read-only to the guest.
 */
#define VKFD_REG_GFX_TARGET_VERSION 0x080   /* RO: maj*10000+min*100+step */
#define VKFD_REG_ASIC_DEVICE_ID     0x084   /* RO: AMD device id modelled */
#define VKFD_REG_NUM_CU             0x088   /* RO: compute units */
#define VKFD_REG_SIMD_PER_CU        0x08c   /* RO */
#define VKFD_REG_NUM_SE             0x090   /* RO: shader engines */
#define VKFD_REG_SH_PER_SE          0x094   /* RO: shader arrays per engine */
#define VKFD_REG_MAX_WAVES_PER_SIMD 0x098   /* RO */
#define VKFD_REG_WAVE_SIZE          0x09c   /* RO: lanes per wave */
#define VKFD_REG_LDS_SIZE_KB        0x0a0   /* RO */
#define VKFD_REG_NUM_SDMA_ENGINES   0x0a4   /* RO */
#define VKFD_REG_SDMA_QUEUES_PER_ENGINE 0x0a8 /* RO */
#define VKFD_REG_NUM_CP_QUEUES      0x0ac   /* RO: compute queues */
#define VKFD_REG_MAX_ENGINE_CLK_MHZ 0x0b0   /* RO */
#define VKFD_REG_FW_VERSION         0x0b4   /* RO */
/* GPU clock in ns; reading CLOCK_LO latches CLOCK_HI */
#define VKFD_REG_CLOCK_LO           0x0b8   /* RO */
#define VKFD_REG_CLOCK_HI           0x0bc   /* RO */

/*
 * GPUVM faults.  The first fault is latched until the driver clears it;
 * later ones only count and set FAULT_MULTIPLE.
 */
#define VKFD_REG_VM_FAULT_STATUS    0x0c0   /* RW1C: VKFD_VM_FAULT_* */
#define VKFD_REG_VM_FAULT_CTX       0x0c4   /* RO: context of the fault */
#define VKFD_REG_VM_FAULT_ADDR_LO   0x0c8   /* RO: faulting GPU VA */
#define VKFD_REG_VM_FAULT_ADDR_HI   0x0cc
#define VKFD_REG_VM_FAULT_COUNT     0x0d0   /* RO: faults since reset */
#define VKFD_REG_HDP_FLUSHES        0x0d4   /* RO: writes to the remap page */

/*
 * The interrupt-handler (IH) ring: the device appends 32-byte entries
 * (struct vkfd_ih_entry) at IH_WPTR and raises VKFD_VECTOR_IH; the driver
 * consumes them and writes IH_RPTR.  BASE and SIZE may only be written
 * while IH_CNTL.ENABLE is clear.  A full ring never loses an unread
 * entry: new ones are dropped, counted in IH_OVERFLOWS and flagged in
 * IH_STATUS.OVERFLOW (write 1 to clear).  The ring must be guest RAM:
 * IH_CNTL.ENABLE is refused otherwise, and an entry that finds no RAM
 * (the memory map changed) is dropped, counted in IH_OVERFLOWS and
 * flagged in IH_STATUS.DMA_ERROR (write 1 to clear).
 *
 * IH_CNTL.RPTR_REARM (taken when ENABLE is set, as the GFX9 IH's
 * IH_RB_CNTL.RPTR_REARM with MSI): once the vector is raised, new entries
 * raise it again only after the driver writes IH_RPTR; that write re-arms
 * it and raises it at once if IH_RPTR is still behind IH_WPTR.  Without
 * it, every run of device work that posts entries raises the vector.
 *
 * IH_CNTL.WPTR_WRITEBACK (taken when ENABLE is set, as amdgpu's IH
 * write-pointer write-back): the device also writes IH_WPTR, with
 * VKFD_IH_WB_OVERFLOW while IH_STATUS.OVERFLOW is set, as a 32-bit
 * little-endian word at IH_WPTR_ADDR (guest RAM, 4-byte aligned; latched
 * like BASE) after every entry, overflow and STATUS write, so that a
 * driver reads it without a register access.  ENABLE is refused if the
 * address is not RAM.
 */
#define VKFD_REG_IH_WPTR_ADDR_LO    0x0d8   /* RW: 4-byte aligned */
#define VKFD_REG_IH_WPTR_ADDR_HI    0x0dc
#define VKFD_REG_IH_BASE_LO         0x0e0   /* RW: 4 KiB aligned */
#define VKFD_REG_IH_BASE_HI         0x0e4
#define VKFD_REG_IH_SIZE            0x0e8   /* RW: bytes, power of two */
#define VKFD_REG_IH_CNTL            0x0ec   /* RW: VKFD_IH_CNTL_* */
#define VKFD_REG_IH_WPTR            0x0f0   /* RO: byte offset, next entry */
#define VKFD_REG_IH_RPTR            0x0f4   /* RW: byte offset, next unread */
#define VKFD_REG_IH_STATUS          0x0f8   /* RW1C: VKFD_IH_STATUS_* */
#define VKFD_REG_IH_OVERFLOWS       0x0fc   /* RO: entries dropped */

#define VKFD_IH_CNTL_ENABLE         (1u << 0)
#define VKFD_IH_CNTL_RPTR_REARM     (1u << 1)
#define VKFD_IH_CNTL_WPTR_WRITEBACK (1u << 2)
#define VKFD_IH_WB_OVERFLOW         (1u << 31)
#define VKFD_IH_STATUS_OVERFLOW     (1u << 0)
#define VKFD_IH_STATUS_DMA_ERROR    (1u << 1)  /* an entry found no RAM */
#define VKFD_IH_RING_MIN            0x1000u
#define VKFD_IH_RING_MAX            0x100000u

#define VKFD_VM_FAULT_VALID         (1u << 0)
#define VKFD_VM_FAULT_WRITE         (1u << 1)  /* the access was a write */
#define VKFD_VM_FAULT_MULTIPLE      (1u << 2)  /* more faults since latched */
/* the page is mapped, the access lacked the permission (else: not present) */
#define VKFD_VM_FAULT_PROTECTION    (1u << 3)

/*
 * Waves resident in the shader core, per context (what amdgpu reads from
 * the SPI's per-queue wave counters for amdkfd's cu_occupancy): write a
 * context id to WAVES_SEL, then WAVES reads how many waves of that
 * context's queues have started and not ended, at the time of the read.
 * A selector of max_contexts or more is refused (ACCESS_ERRORS) and
 * WAVES then reads 0, as it does for a context with no dispatch running.
 * WAVES_SEL is 0 after reset and travels with a migration.
 */
#define VKFD_REG_WAVES_SEL          0x100   /* RW: context id */
#define VKFD_REG_WAVES              0x104   /* RO: its resident waves */

/*
 * Queues on the device right now: NUM_QUEUES mapped or preempted (what
 * counts against max-queues), NUM_PREEMPTED of those preempted
 * (UNMAP_QUEUE with VKFD_CMD_F_PRESERVE); for the driver's debugfs.
 */
#define VKFD_REG_NUM_QUEUES         0x108   /* RO */
#define VKFD_REG_NUM_PREEMPTED      0x10c   /* RO */

/*
 * The MMIO remap page (amdkfd's HDP flush page), the second page of BAR0:
 * the one page of registers user space may map.  Writes flush the host
 * data path; on this device memory is always coherent, so a flush only
 * counts in HDP_FLUSHES.
 */
#define VKFD_MMIO_REMAP_OFFSET      0x1000
#define VKFD_MMIO_REMAP_SIZE        0x1000
#define VKFD_HDP_MEM_FLUSH_CNTL     0x000   /* within the remap page */
#define VKFD_HDP_REG_FLUSH_CNTL     0x004

#define VKFD_ID_MAGIC               0x44464b56u /* "VKFD" */
#define VKFD_VERSION_MAJOR          1
#define VKFD_VERSION_MINOR          1
#define VKFD_VERSION \
    ((VKFD_VERSION_MAJOR << 16) | VKFD_VERSION_MINOR)

#define VKFD_CAP_SCHED_RING         (1u << 0)
#define VKFD_CAP_DOORBELLS          (1u << 1)
#define VKFD_CAP_VRAM               (1u << 2)
#define VKFD_CAP_GPUVM              (1u << 3)
#define VKFD_CAP_QUEUES             (1u << 4)  /* PM4, SDMA, AQL queues */
#define VKFD_CAP_IH                 (1u << 5)  /* the IH ring */

#define VKFD_STATUS_ENABLED         (1u << 0)  /* scheduler ring accepted */
#define VKFD_STATUS_SCHED_HALTED    (1u << 1)  /* ring stopped on an error */

#define VKFD_CONTROL_ENABLE         (1u << 0)
#define VKFD_CONTROL_RESET          (1u << 31) /* write 1: device reset */

#define VKFD_SCHED_RING_MIN         0x1000u
#define VKFD_SCHED_RING_MAX         0x100000u

/* Doorbells: 1024 doorbells of 8 bytes per context, as on GFX9+. */
#define VKFD_DOORBELL_SIZE          8
#define VKFD_DOORBELLS_PER_CONTEXT  1024
#define VKFD_DOORBELL_PAGE_SIZE \
    (VKFD_DOORBELL_SIZE * VKFD_DOORBELLS_PER_CONTEXT)

/*
 * GPUVM page tables, one tree per context, in guest memory: 4 levels of
 * 512 eight-byte entries over a 48-bit GPU VA with 4 KiB pages, as on
 * GFX9.  Level 3 (the root, MAP_CONTEXT's pt_base) is indexed by VA
 * bits 47:39, level 2 by 38:30, level 1 by 29:21, level 0 by 20:12.
 *
 * A directory entry (levels 3..1) is VALID plus the guest address of the
 * next table; with PDE_HUGE at level 2 or 1 it is instead a leaf mapping
 * 1 GiB or 2 MiB (address aligned to that size).  A leaf (level 0, or a
 * huge directory entry) maps either guest memory (PTE_SYSTEM set: the
 * address is a bus address) or VRAM (clear: the address is an offset in
 * the VRAM BAR).  Reads need VALID, writes also PTE_WRITE.  Other bits
 * must be zero; an entry with stray bits faults.
 *
 * The device caches translations per context; the driver must send
 * INVALIDATE_TLB after changing or removing a valid entry.
 */
#define VKFD_GPUVM_LEVELS           4
#define VKFD_GPUVM_VA_BITS          48
#define VKFD_GPUVM_ENTRIES          512
#define VKFD_GPU_PAGE_SHIFT         12
#define VKFD_GPU_PAGE_SIZE          (1ull << VKFD_GPU_PAGE_SHIFT)
#define VKFD_PTE_VALID              (1ull << 0)
#define VKFD_PTE_SYSTEM             (1ull << 1)
#define VKFD_PTE_WRITE              (1ull << 2)
#define VKFD_PDE_HUGE               (1ull << 7)
#define VKFD_PTE_ADDR_MASK          0x000ffffffffff000ull

/*
 * The apertures of a GFX9 dGPU as amdkfd reports them (the driver's
 * aperture queries) and the shader core uses them (src_shared_base,
 * src_private_base, FLAT addresses): LDS and scratch are 4 GiB windows at
 * fixed non-canonical bases.
 */
#define VKFD_LDS_BASE               0x0001000000000000ull
#define VKFD_SCRATCH_BASE           0x0002000000000000ull
#define VKFD_APERTURE_LIMIT(b)      ((b) | 0xffffffffull)

/* Context 0 belongs to the kernel driver; user contexts are 1..max-1. */
#define VKFD_KERNEL_CONTEXT         0
#define VKFD_MAX_CONTEXTS_LIMIT     4096

/* MSI-X vectors */
#define VKFD_VECTOR_SCHED           0   /* scheduler command completions */
#define VKFD_VECTOR_IH              1   /* new IH ring entries */

/* IH entry sources */
enum vkfd_ih_source {
    VKFD_IH_SRC_EOP         = 1,    /* PM4 RELEASE_MEM int_sel; data = ctxid */
    VKFD_IH_SRC_SDMA_TRAP   = 2,    /* SDMA TRAP; data = int_context */
    VKFD_IH_SRC_SIGNAL      = 3,    /* AQL signal mailbox; data = event_id */
    VKFD_IH_SRC_QUEUE_ERROR = 4,    /* a queue stopped; data = QERR code */
    VKFD_IH_SRC_VM_FAULT    = 5,    /* addr = VA, flags = VKFD_VM_FAULT_* */
};

#define VKFD_IH_NO_DOORBELL         0xffffffffu /* not from a queue */

struct vkfd_ih_entry {
    uint32_t source;        /* enum vkfd_ih_source */
    uint32_t ctx_id;
    uint32_t data;
    uint32_t doorbell;      /* the queue's, or VKFD_IH_NO_DOORBELL */
    uint64_t addr;
    uint32_t flags;
    uint32_t seq;           /* counts entries written, from 1 */
};

/*
 * Scheduler commands: 64-byte entries written by the driver at WPTR.
 * The device consumes them in order, in a bottom half, and reports each
 * one's outcome through its fence (if fence_addr is non-zero) and, for
 * failures, in SCHED_ERROR.  A failed command changes nothing.
 */
enum vkfd_sched_opcode {
    VKFD_CMD_NOP            = 0x00, /* only completes its fence */
    VKFD_CMD_MAP_CONTEXT    = 0x01, /* ctx_id becomes live */
    VKFD_CMD_UNMAP_CONTEXT  = 0x02, /* ctx_id is torn down */
    VKFD_CMD_MAP_QUEUE      = 0x03, /* a user queue of ctx_id goes live */
    VKFD_CMD_UNMAP_QUEUE    = 0x04, /* it stops (or is preempted) */
    VKFD_CMD_INVALIDATE_TLB = 0x05, /* drop ctx_id's cached translations */
    VKFD_CMD_VM_FILL        = 0x06, /* fill GPU VA range of ctx_id */
    VKFD_CMD_VM_COPY        = 0x07, /* copy within ctx_id's GPU VA */
    VKFD_CMD_SET_TRAP       = 0x08, /* ctx_id's trap handler (TBA, TMA) */
};

/* Largest range one VM_FILL or VM_COPY may cover. */
#define VKFD_VM_OP_MAX              (64ull << 20)

#define VKFD_CMD_F_IRQ              (1u << 0)  /* raise VKFD_VECTOR_SCHED */
#define VKFD_CMD_F_MASK             VKFD_CMD_F_IRQ
/*
 * UNMAP_QUEUE only (BAD_ARGUMENT on any other command): preempt the
 * queue instead of destroying it (see struct vkfd_cmd_unmap_queue).
 */
#define VKFD_CMD_F_PRESERVE         (1u << 1)

struct vkfd_cmd_map_context {
    uint64_t pt_base;       /* GPUVM root, 0 until the VM exists */
    uint32_t flags;         /* must be 0 */
    uint32_t reserved;
};

/*
 * VM_FILL stores the 32-bit value over [va, va + size); VM_COPY copies
 * size bytes from src to dst.  Addresses and sizes are multiples of 4,
 * sizes at most VKFD_VM_OP_MAX, and a copy's two ranges may not overlap
 * (else BAD_ARGUMENT); every page is translated before a byte moves, so a
 * command that would fault changes nothing (status VM_FAULT, fault latched).
 */
struct vkfd_cmd_vm_fill {
    uint64_t va;
    uint64_t size;
    uint32_t value;
    uint32_t flags;         /* must be 0 */
};

struct vkfd_cmd_vm_copy {
    uint64_t src;
    uint64_t dst;
    uint64_t size;
};

/*
 * SET_TRAP: the GPU VAs of the context's trap handler code (TBA) and of
 * its memory (TMA), as user space gave them to SET_TRAP_HANDLER; 0 and 0
 * remove the handler.  The device keeps them for the shader core, which
 * reads them when a wave traps: any value is accepted, an address that
 * does not translate faults then.  Forgotten at UNMAP_CONTEXT and reset.
 */
struct vkfd_cmd_set_trap {
    uint64_t tba;
    uint64_t tma;
    uint32_t flags;         /* must be 0 */
    uint32_t reserved;      /* must be 0 */
};

/*
 * User queues.  The driver describes a queue in a memory queue descriptor
 * (MQD) in guest memory and maps it on the scheduler ring; from then on
 * the queue's doorbell in its context's page kicks it.  Ring, read and
 * write pointers are GPU virtual addresses of the context, as user space
 * wrote them; pointer units are those of the real hardware: dwords for
 * PM4, bytes for SDMA, 64-byte packets for AQL, as 64-bit counts that
 * only grow.  The one exception is the read pointer a PM4 queue writes
 * back at rptr_addr: as the GFX9 CP, a 32-bit dword offset into the ring
 * (the count modulo the ring's dwords).  The MQD's rptr is the count.
 */
enum vkfd_queue_type {
    VKFD_QUEUE_PM4          = 0,    /* compute, PM4 type-3 packets */
    VKFD_QUEUE_SDMA         = 1,    /* SDMA packets */
    VKFD_QUEUE_AQL          = 2,    /* HSA AQL packets */
};

/* Queue states in the MQD after UNMAP_QUEUE or as QUERY reports them */
enum vkfd_queue_error {
    VKFD_QERR_NONE          = 0,
    VKFD_QERR_BAD_PACKET    = 1,    /* unknown opcode or malformed packet */
    VKFD_QERR_VM_FAULT      = 2,    /* an access faulted (error_va) */
    VKFD_QERR_BAD_POINTER   = 3,    /* wptr out of range for the ring */
    VKFD_QERR_BAD_KERNEL    = 4,    /* AQL dispatch of a kernel we cannot run */
    VKFD_QERR_IB_DEPTH      = 5,    /* indirect buffers nested too deep */
    /*
     * The shader core stopped the queue: error_va is the faulting VA
     * (SHADER_MEMORY) or the instruction's PC (the others); error_info
     * is the instruction's first dword.
     */
    VKFD_QERR_SHADER_ILLEGAL = 6,   /* unknown/unimplemented instruction */
    VKFD_QERR_SHADER_OPERAND = 7,   /* a register outside the allocation */
    VKFD_QERR_SHADER_MEMORY = 8,    /* a memory access faulted */
    VKFD_QERR_SHADER_LDS    = 9,    /* an LDS access out of the allocation */
    VKFD_QERR_SHADER_TRAP   = 10,   /* s_trap */
    VKFD_QERR_SHADER_ALIGN  = 11,   /* a misaligned access */
};

struct vkfd_mqd {
    uint32_t type;          /* enum vkfd_queue_type */
    uint32_t doorbell;      /* index in the context's page, 0..1023 */
    uint64_t ring_base;     /* GPU VA, 256-byte aligned */
    uint32_t ring_size;     /* bytes, power of two, 256 .. 1 GiB */
    uint32_t flags;         /* VKFD_MQD_F_*, others 0 */
    uint64_t rptr_addr;     /* GPU VA the device writes the rptr to */
    uint64_t wptr_addr;     /* GPU VA the device reads the wptr from */
    /* written by the device at UNMAP_QUEUE */
    uint64_t rptr;          /* where it stopped, in the queue's units */
    uint32_t error;         /* enum vkfd_queue_error */
    uint32_t error_info;    /* opcode or packet type that failed */
    uint64_t error_va;      /* faulting address or packet address */
    uint64_t reserved[3];   /* must be 0 */
};

/*
 * MQD flags.  CHECK_WPTR: once mapped, look at the write pointer as if
 * the doorbell had been rung.  A queue made active again by UPDATE_QUEUE
 * needs it: the doorbells rung while it was unmapped went nowhere, as
 * they do on the hardware, where the CP reads the wptr when it loads the
 * queue.
 */
#define VKFD_MQD_F_CHECK_WPTR   (1u << 0)

struct vkfd_cmd_map_queue {
    uint64_t mqd_addr;      /* guest address of the MQD, 8-byte aligned */
    uint32_t queue_id;      /* the driver's id, carried in traces */
    uint32_t reserved;
};

/*
 * UNMAP_QUEUE names the queue by doorbell; the MQD receives its state
 * (rptr, error).  Without VKFD_CMD_F_PRESERVE the queue is destroyed:
 * the work in flight at rptr (a copy or fill cut by the budget, the PM4
 * indirect buffers being run, a shader dispatch and its waves) is lost,
 * and mapping the MQD again starts the packet at rptr over.
 *
 * With VKFD_CMD_F_PRESERVE the queue is preempted, as a GFX9 CP with
 * CWSR does: its doorbell does nothing, but the device keeps that work
 * in flight, and a MAP_QUEUE in the same context of the same MQD address
 * whose type, doorbell, ring base and size, rptr and error state are
 * still those written back resumes it exactly where it stopped.  A
 * MAP_QUEUE of that doorbell with anything else drops the kept work and
 * maps a fresh queue.  A preempted queue counts against the device's
 * queue limit until it is resumed or dropped: by a plain UNMAP_QUEUE of
 * its doorbell (which writes its state back once more), by UNMAP_CONTEXT
 * (which a context holding only preempted queues may do) or by a reset.
 * UNMAP_QUEUE with the flag of a queue already preempted is NO_QUEUE.
 */
struct vkfd_cmd_unmap_queue {
    uint64_t mqd_addr;
    uint32_t doorbell;
    uint32_t reserved;
};

struct vkfd_sched_cmd {
    uint8_t  opcode;        /* enum vkfd_sched_opcode */
    uint8_t  flags;         /* VKFD_CMD_F_* */
    uint16_t reserved0;     /* must be 0 */
    uint32_t ctx_id;
    uint32_t seq;           /* copied into the fence */
    uint32_t reserved1;     /* must be 0 */
    uint64_t fence_addr;    /* 0, or an 8-byte aligned guest address */
    union {
        struct vkfd_cmd_map_context map_context;
        struct vkfd_cmd_map_queue map_queue;
        struct vkfd_cmd_unmap_queue unmap_queue;
        struct vkfd_cmd_vm_fill vm_fill;
        struct vkfd_cmd_vm_copy vm_copy;
        struct vkfd_cmd_set_trap set_trap;
        uint64_t raw[5];
    } u;
};

/* Written by the device at fence_addr when a command is done. */
struct vkfd_sched_fence {
    uint32_t seq;
    uint32_t status;        /* VKFD_ST_* */
};

/* Command and ring status codes */
enum vkfd_status_code {
    VKFD_ST_OK                  = 0,
    VKFD_ST_BAD_OPCODE          = 1,
    VKFD_ST_BAD_CONTEXT         = 2,    /* id out of range or reserved */
    VKFD_ST_CONTEXT_MAPPED      = 3,    /* MAP of a live context */
    VKFD_ST_CONTEXT_NOT_MAPPED  = 4,    /* UNMAP/use of a dead one */
    VKFD_ST_BAD_ARGUMENT        = 5,    /* reserved bits, alignment */
    VKFD_ST_DMA_ERROR           = 6,    /* fence or payload not in RAM */
    VKFD_ST_UNSUPPORTED         = 7,    /* valid opcode, not implemented */
    VKFD_ST_VM_FAULT            = 8,    /* a VM access faulted: nothing done */
    VKFD_ST_QUEUE_EXISTS        = 9,    /* MAP_QUEUE on a doorbell in use */
    VKFD_ST_NO_QUEUE            = 10,   /* UNMAP_QUEUE of an unused doorbell */
    VKFD_ST_BAD_MQD             = 11,   /* MQD unreadable or invalid */
    VKFD_ST_NO_RESOURCES        = 12,   /* the device's queue limit */
    VKFD_ST_CONTEXT_BUSY        = 13,   /* UNMAP_CONTEXT with queues mapped */
    /* ring errors: the ring halts (STATUS.SCHED_HALTED) */
    VKFD_ST_RING_CONFIG         = 0x100, /* bad BASE or SIZE at enable */
    VKFD_ST_RING_WPTR           = 0x101, /* WPTR unaligned or past SIZE */
    VKFD_ST_RING_DMA            = 0x102, /* ring not readable */
};

/*
 * SDMA queue packets (docs/hardware.md, "SDMA"): the SDMA v4 (GFX9)
 * formats.  A packet is a header dword, op in bits 7:0 and sub_op in
 * bits 15:8, followed by its own dwords.
 */
#define VKFD_SDMA_OP_NOP            0   /* header bits 29:16: extra dwords */
#define VKFD_SDMA_OP_COPY           1   /* sub_op 0: COPY_LINEAR, 7 dwords */
#define VKFD_SDMA_OP_WRITE          2   /* sub_op 0: WRITE linear, 4 + n */
#define VKFD_SDMA_OP_FENCE          5   /* addr lo/hi, data: 4 dwords */
#define VKFD_SDMA_OP_TRAP           6   /* int_context: 2 dwords */
#define VKFD_SDMA_OP_POLL_REGMEM    8   /* 6 dwords */
#define VKFD_SDMA_OP_CONST_FILL     11  /* dst lo/hi, data, count: 5 dwords */
#define VKFD_SDMA_OP_ATOMIC         10  /* addr, src, cmp, loop: 8 dwords */
#define VKFD_SDMA_COPY_SUB_WINDOW   4   /* COPY sub_op: a box, 13 dwords */
#define VKFD_SDMA_OP_TIMESTAMP      13  /* 3 dwords, sub_op below */
#define VKFD_SDMA_TS_GET            1   /* the engine's clock to addr */
#define VKFD_SDMA_TS_GET_GLOBAL     2   /* the GPU's clock to addr */
/* ATOMIC: header bits 31:25 are the TC operation; bit 16 loops (cmpswap) */
#define VKFD_SDMA_ATOMIC_OP(h)      (((h) >> 25) & 0x7f)
#define VKFD_SDMA_ATOMIC_LOOP       (1u << 16)
#define VKFD_SDMA_ATOMIC_ADD64      47  /* TC_OP_ATOMIC_ADD_RTN_64 */
#define VKFD_SDMA_ATOMIC_ADD64_NRTN 111 /* the same, no return */
#define VKFD_SDMA_HEADER(op, sub_op)    ((op) | ((sub_op) << 8))
#define VKFD_SDMA_NOP_COUNT(n)      ((uint32_t)(n) << 16)
#define VKFD_SDMA_COPY_MAX          (1u << 22)  /* bytes in one COPY_LINEAR */
#define VKFD_SDMA_FILL_MAX          (1u << 22)  /* bytes in one CONST_FILL */
#define VKFD_SDMA_FILL_DWORD        (2u << 30)  /* CONST_FILL fill size */
#define VKFD_SDMA_POLL_MEM          (1u << 31)  /* POLL_REGMEM: memory */
#define VKFD_SDMA_POLL_HDP_FLUSH    (1u << 26)  /* POLL_REGMEM: HDP flush */
#define VKFD_SDMA_POLL_FUNC(f)      ((uint32_t)(f) << 28)

/* Compare functions of POLL_REGMEM: (value at addr & mask) FUNC reference */
enum vkfd_sdma_func {
    VKFD_SDMA_FUNC_ALWAYS   = 0,
    VKFD_SDMA_FUNC_LT       = 1,
    VKFD_SDMA_FUNC_LE       = 2,
    VKFD_SDMA_FUNC_EQ       = 3,
    VKFD_SDMA_FUNC_NE       = 4,
    VKFD_SDMA_FUNC_GE       = 5,
    VKFD_SDMA_FUNC_GT       = 6,
};

/*
 * PM4 queue packets (docs/hardware.md, "PM4"): the GFX9 CP's type-3
 * packets.  The header holds the type (bits 31:30, 3), the payload's
 * dwords minus one (29:16) and the opcode (15:8); a type-2 header
 * (0x80000000) is a one-dword filler.  VKFD_PM4_HDR takes the payload's
 * dwords.
 */
#define VKFD_PM4_TYPE3              3u
#define VKFD_PM4_TYPE2              0x80000000u
#define VKFD_PM4_TYPE(h)            ((h) >> 30)
#define VKFD_PM4_COUNT(h)           (((h) >> 16) & 0x3fff)
#define VKFD_PM4_OPCODE(h)          (((h) >> 8) & 0xff)
#define VKFD_PM4_HDR(op, n) \
    ((VKFD_PM4_TYPE3 << 30) | (((uint32_t)(n) - 1) << 16) | ((op) << 8))
#define VKFD_PM4_OP_NOP             0x10    /* count 0x3fff: header only */
#define VKFD_PM4_OP_DISPATCH_DIRECT 0x15    /* dim x, y, z, initiator */
#define VKFD_PM4_OP_DISPATCH_INDIRECT 0x16  /* address lo, hi, initiator */
#define VKFD_PM4_OP_WRITE_DATA      0x37    /* control, addr lo/hi, data */
#define VKFD_PM4_OP_WAIT_REG_MEM    0x3c    /* control, addr, ref, mask, poll */
#define VKFD_PM4_OP_INDIRECT_BUFFER 0x3f    /* addr lo/hi, size in dwords */
#define VKFD_PM4_OP_RELEASE_MEM     0x49    /* event, data_cntl, addr, data */
#define VKFD_PM4_OP_ACQUIRE_MEM     0x58    /* cache actions: 6 dwords */
#define VKFD_PM4_OP_SET_SH_REG      0x76    /* register offset, values */
#define VKFD_PM4_NOP_ONE_DWORD      0x3fff  /* NOP count: the header alone */

/* Payload dwords of the fixed-size packets (the header's count + 1) */
#define VKFD_PM4_WAIT_REG_MEM_DW    6
#define VKFD_PM4_IB_DW              3
#define VKFD_PM4_RELEASE_MEM_DW     7
#define VKFD_PM4_ACQUIRE_MEM_DW     6
#define VKFD_PM4_DISPATCH_DIRECT_DW 4
#define VKFD_PM4_DISPATCH_INDIRECT_DW 3

/*
 * SET_SH_REG: dword 1's low 16 bits are the first register's offset from
 * the SH space's base, which holds 1024 dwords (the COMPUTE_* registers
 * among them); the values follow.
 */
#define VKFD_PM4_SH_REG_BASE        0x2c00
#define VKFD_PM4_SH_REGS            0x400
#define VKFD_PM4_SH_OFFSET_MASK     0xffffu

/* DISPATCH_*: the last dword, COMPUTE_DISPATCH_INITIATOR */
#define VKFD_PM4_CS_INIT_EN         (1u << 0)   /* COMPUTE_SHADER_EN */
#define VKFD_PM4_CS_INIT_PARTIAL_TG (1u << 1)   /* PARTIAL_TG_EN */
#define VKFD_PM4_CS_INIT_THREAD_DIMS (1u << 5)  /* USE_THREAD_DIMENSIONS */
#define VKFD_PM4_CS_INIT_W32        (1u << 15)  /* CS_W32_EN */

/* WRITE_DATA control dword: destination (bits 11:8) and flags */
#define VKFD_PM4_WD_DST_SHIFT       8
#define VKFD_PM4_WD_DST_MASK        0xfu
#define VKFD_PM4_WD_DST_MEM_SYNC    1
#define VKFD_PM4_WD_DST_TC_L2       2
#define VKFD_PM4_WD_DST_MEM_ASYNC   5
#define VKFD_PM4_WD_MEM             (5u << 8)   /* as ROCr and kfdtest write */
#define VKFD_PM4_WD_ONE_ADDR        (1u << 16)  /* every dword to addr */
#define VKFD_PM4_WD_WR_CONFIRM      (1u << 20)

/*
 * RELEASE_MEM: dword 1 is the event (CACHE_FLUSH_AND_INV_TS, the end of
 * pipe), dword 2 data_cntl: destination (17:16), interrupt (26:24, not 0:
 * an IH entry carrying dword 6) and data (31:29).
 */
#define VKFD_PM4_EVENT_EOP          0x14
#define VKFD_PM4_EVENT_MASK         0x3fu       /* event type, bits 5:0 */
#define VKFD_PM4_EVENT_INDEX_EOP    (5u << 8)   /* event index (11:8) */
#define VKFD_PM4_RM_DST_SHIFT       16
#define VKFD_PM4_RM_DST_MASK        3u
#define VKFD_PM4_RM_INT_SHIFT       24
#define VKFD_PM4_RM_INT_MASK        7u
#define VKFD_PM4_RM_DATA_SHIFT      29
#define VKFD_PM4_RM_INT_WRITE       (2u << VKFD_PM4_RM_INT_SHIFT) /* after the data */
#define VKFD_PM4_RM_DATA(sel)       ((uint32_t)(sel) << VKFD_PM4_RM_DATA_SHIFT)
enum {
    VKFD_PM4_DATA_NONE      = 0,
    VKFD_PM4_DATA_32        = 1,
    VKFD_PM4_DATA_64        = 2,
    VKFD_PM4_DATA_CLOCK     = 3,
    VKFD_PM4_DATA_PERFCOUNTER = 4,
};

/*
 * WAIT_REG_MEM control dword: function (2:0, VKFD_SDMA_FUNC_*'s numbers;
 * 7 is reserved), memory space (4) and operation (7:6)
 */
#define VKFD_PM4_WRM_FUNC_MASK      7u
#define VKFD_PM4_WRM_FUNC_RESERVED  7
#define VKFD_PM4_WRM_MEM_SPACE      (1u << 4)
#define VKFD_PM4_WRM_OP_SHIFT       6
#define VKFD_PM4_WRM_OP_MASK        3u
#define VKFD_PM4_WRM_OP_WAIT        0
#define VKFD_PM4_WRM_OP_WAIT_PREEMPT 2

/*
 * INDIRECT_BUFFER: address lo, hi, then the size in dwords (bits 19:0)
 * with the CP's VALID bit (23), which vkfd ignores like the other bits.
 */
#define VKFD_PM4_IB_SIZE_MASK       0xfffffu
#define VKFD_PM4_IB_VALID           (1u << 23)

/*
 * AQL queue packets (docs/hardware.md, "AQL"): HSA's 64-byte packets.
 * The low byte of the 16-bit header is the packet type.
 */
#define VKFD_AQL_PACKET_SIZE        64
#define VKFD_AQL_TYPE_VENDOR        0   /* byte 2 is the AMD format */
#define VKFD_AQL_TYPE_INVALID       1
#define VKFD_AQL_TYPE_KERNEL        2   /* KERNEL_DISPATCH */
#define VKFD_AQL_TYPE_BARRIER_AND   3
#define VKFD_AQL_TYPE_AGENT         4   /* AGENT_DISPATCH: not supported */
#define VKFD_AQL_TYPE_BARRIER_OR    5
#define VKFD_AQL_HEADER_BARRIER     (1u << 8)
#define VKFD_AQL_AMD_PM4_IB         1   /* vendor: a PM4 INDIRECT_BUFFER */
#define VKFD_AQL_AMD_BARRIER_VALUE  2   /* vendor: wait for a signal value */

/* amd_signal_t, the memory behind an HSA signal handle (64 bytes) */
#define VKFD_SIGNAL_VALUE           8   /* s64 */
#define VKFD_SIGNAL_MAILBOX         16  /* u64: 0, or where to store the id */
#define VKFD_SIGNAL_EVENT_ID        24  /* u32 */

/*
 * Built-in kernels, kept for tests that want a dispatch without GPU code:
 * a KERNEL_DISPATCH whose kernel_object points at a kernel descriptor
 * starting with VKFD_KERNEL_MAGIC runs the built-in kernel it names over
 * the grid, one element per work-item.  Any other kernel object is a
 * code-object kernel descriptor that the shader core runs (GFX9 code,
 * docs/shader-core.md), or refuses with VKFD_QERR_BAD_KERNEL.  The
 * kernarg_address of the dispatch points at the kernel's arguments.
 */
#define VKFD_KERNEL_MAGIC           0x4e52454b44464b56ull /* "VKFDKERN" */

enum vkfd_kernel_id {
    VKFD_KERNEL_FILL        = 1,    /* u32 dst[i] = value, i < count */
    VKFD_KERNEL_COPY        = 2,    /* u8 dst[i] = src[i], i < bytes */
    VKFD_KERNEL_ADD         = 3,    /* u32 dst[i] = a[i] + b[i], i < n */
};

struct vkfd_kernel_desc {
    uint64_t magic;         /* VKFD_KERNEL_MAGIC */
    uint32_t id;            /* enum vkfd_kernel_id */
    uint32_t reserved[13];  /* ignored */
};

struct vkfd_kernarg_fill {
    uint64_t dst;
    uint32_t value;
    uint32_t count;         /* dwords */
};

struct vkfd_kernarg_copy {
    uint64_t dst;
    uint64_t src;
    uint64_t bytes;
};

struct vkfd_kernarg_add {
    uint64_t dst;
    uint64_t a;
    uint64_t b;
    uint32_t n;             /* dwords */
    uint32_t reserved;
};

#endif /* VKFD_HW_H */
