/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vkfd: buffer objects, shared by the memory ioctls (vkfd_mem.c) and
 * dma-buf export and import (vkfd_dmabuf.c)
 */
#ifndef VKFD_BO_H
#define VKFD_BO_H

#include "vkfd_priv.h"

enum vkfd_bo_kind {
	VKFD_BO_VRAM,
	VKFD_BO_GTT,
	VKFD_BO_USERPTR,
	VKFD_BO_DOORBELL,
	VKFD_BO_MMIO_REMAP,
};

struct vkfd_bo;
struct dma_buf;

/* A BO's presence in one VM: its VA range and, once mapped, its PTEs. */
struct vkfd_bo_attach {
	struct rb_node va_node;		/* in pdd->va_tree */
	struct list_head node;		/* in bo->attachments */
	struct vkfd_process_device *pdd;
	struct vkfd_bo *bo;
	bool mapped;
	dma_addr_t *dma;		/* system pages, mapped for pdd->dev */
};

struct vkfd_bo {
	/* the owner's, CPU mappings', events', its dma-buf's */
	struct kref ref;
	struct vkfd_process_device *pdd;	/* owner; under p->lock only */
	struct vkfd_dev *dev;		/* where the memory is */
	struct file *filp;		/* owner's render file: identity only */
	struct mutex fault_lock;	/* dead, revoked vs. CPU page faults */
	bool dead;			/* FREE ran; no CPU access any more */
	unsigned long vram_pfn;		/* VRAM: first page, CPU view */
	u8 __iomem *vram_cpu;		/* VRAM: the BO in the BAR mapping */
	struct mm_struct *pin_mm;	/* USERPTR: pinned_vm charged here */
	bool sys_charged;		/* npages in vkfd_{sys,gtt}_charge() */
	u32 id;				/* in pdd->bos */
	u32 mmap_id;			/* in dev->bo_mmaps, VRAM and GTT */
	u32 flags;
	enum vkfd_bo_kind kind;
	u64 va;
	u64 size;
	u64 npages;
	struct drm_mm_node vram;	/* VRAM */
	struct page **pages;		/* GTT, USERPTR */
	struct list_head attachments;

	/*
	 * dma-buf (vkfd_dmabuf.c).  An exported BO holds its dma-buf until
	 * FREE, as amdkfd does, and the dma-buf holds the BO and its memory
	 * (VRAM included) until it is released.  An imported BO has no
	 * memory of its own: it holds the dma-buf, whose BO (src) has it.
	 */
	struct dma_buf *dmabuf;		/* counted while pdd owns the BO */
	struct vkfd_bo *src;		/* import: the exported BO */
	struct list_head export_node;	/* live exports, vkfd_dmabuf.c */
	bool revoked;			/* its GPU went: no CPU access */
};

/* The BO whose memory a BO uses: itself, or what it imported. */
static inline struct vkfd_bo *vkfd_bo_mem(struct vkfd_bo *bo)
{
	return bo->src ? bo->src : bo;
}

/* vkfd_mem.c */
void vkfd_bo_put(struct vkfd_bo *bo);
struct vkfd_bo *vkfd_bo_lookup(struct vkfd_process *p, u64 handle);
u64 vkfd_bo_handle(struct vkfd_bo *bo);
int vkfd_bo_add_import(struct vkfd_process_device *pdd, struct vkfd_bo *bo);

/* vkfd_dmabuf.c */
void vkfd_dmabuf_release_bo(struct vkfd_bo *bo);

#endif /* VKFD_BO_H */
