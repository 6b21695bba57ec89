// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vkfd: dma-buf export and import of buffer objects
 *
 * EXPORT_DMABUF turns a VRAM or GTT BO into a dma-buf.  As in amdkfd a BO
 * has at most one: the BO keeps it until FREE and every export hands out
 * another fd of it.  The dma-buf holds the BO's memory, VRAM included,
 * until the last fd, mapping and importer let go of it, so the exporter
 * may free its handle or exit while an importer still uses the memory.
 *
 * IMPORT_DMABUF makes a BO of the caller from a vkfd dma-buf of the same
 * GPU (amdkfd, too, imports only its own device's buffers): no memory of
 * its own, the exported BO's pages or VRAM at the VA asked, mapped,
 * unmapped and freed like any BO.  GET_DMABUF_INFO describes a vkfd
 * dma-buf.  Dma-bufs of other drivers are refused with amdkfd's EINVAL.
 *
 * For other drivers a GTT dma-buf is a table of system pages, DMA-mapped
 * for the importing device.  VRAM would need peer-to-peer DMA to the BAR
 * (CONFIG_PCI_P2PDMA, which the guest kernel lacks) and cannot move to
 * system memory, so those importers are refused with EOPNOTSUPP.  CPU
 * mmap of the dma-buf maps the pages or the BAR (write-combined); vmap
 * is for GTT only.
 *
 * When a GPU goes, its dma-bufs lose their VRAM: CPU mappings are zapped
 * and fault with SIGBUS, mmap and vmap fail.  The ioctls' fds and every
 * import on that GPU are gone by then (the pdds go first).
 */
#include <linux/dma-buf.h>
#include <linux/dma-mapping.h>
#include <linux/file.h>
#include <linux/iosys-map.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include "vkfd_priv.h"
#include "vkfd_bo.h"

MODULE_IMPORT_NS(DMA_BUF);

/* Exported BOs whose dma-buf is alive, for revocation; bo->dev under it. */
static DEFINE_MUTEX(vkfd_dmabuf_lock);
static LIST_HEAD(vkfd_dmabuf_exports);

static const struct dma_buf_ops vkfd_dmabuf_ops;

static int vkfd_dmabuf_attach(struct dma_buf *dmabuf,
			      struct dma_buf_attachment *attach)
{
	struct vkfd_bo *bo = dmabuf->priv;

	/* VRAM is BAR space: without P2P DMA no other device reaches it */
	if (bo->kind == VKFD_BO_VRAM)
		return -EOPNOTSUPP;
	return 0;
}

static struct sg_table *vkfd_dmabuf_map(struct dma_buf_attachment *attach,
					enum dma_data_direction dir)
{
	struct vkfd_bo *bo = attach->dmabuf->priv;
	struct sg_table *sgt;
	int ret;

	sgt = kzalloc(sizeof(*sgt), GFP_KERNEL);
	if (!sgt)
		return ERR_PTR(-ENOMEM);
	ret = sg_alloc_table_from_pages(sgt, bo->pages, bo->npages, 0,
					bo->size, GFP_KERNEL);
	if (ret)
		goto err_free;
	ret = dma_map_sgtable(attach->dev, sgt, dir, 0);
	if (ret)
		goto err_table;
	return sgt;

err_table:
	sg_free_table(sgt);
err_free:
	kfree(sgt);
	return ERR_PTR(ret);
}

static void vkfd_dmabuf_unmap(struct dma_buf_attachment *attach,
			      struct sg_table *sgt,
			      enum dma_data_direction dir)
{
	dma_unmap_sgtable(attach->dev, sgt, dir, 0);
	sg_free_table(sgt);
	kfree(sgt);
}

/*
 * The last reference: the owner freed its handle long ago (it held one
 * until then), so the VRAM goes now unless its GPU took it back.
 */
static void vkfd_dmabuf_release(struct dma_buf *dmabuf)
{
	struct vkfd_bo *bo = dmabuf->priv;

	mutex_lock(&vkfd_dmabuf_lock);
	if (!list_empty(&bo->export_node)) {
		list_del_init(&bo->export_node);
		if (bo->kind == VKFD_BO_VRAM)
			vkfd_vram_free(bo->dev, &bo->vram);
	}
	mutex_unlock(&vkfd_dmabuf_lock);
	vkfd_bo_put(bo);
}

static vm_fault_t vkfd_dmabuf_fault(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	struct vkfd_bo *bo = vma->vm_private_data;
	vm_fault_t ret = VM_FAULT_SIGBUS;
	unsigned long pfn;

	mutex_lock(&bo->fault_lock);
	if (!bo->revoked && vmf->pgoff < bo->npages) {
		if (bo->kind == VKFD_BO_VRAM)
			pfn = bo->vram_pfn + vmf->pgoff;
		else
			pfn = page_to_pfn(bo->pages[vmf->pgoff]);
		ret = vmf_insert_pfn(vma, vmf->address, pfn);
	}
	mutex_unlock(&bo->fault_lock);
	return ret;
}

/* The VMA's file is the dma-buf's: it holds the dma-buf, hence the BO. */
static const struct vm_operations_struct vkfd_dmabuf_vm_ops = {
	.fault = vkfd_dmabuf_fault,
};

static int vkfd_dmabuf_mmap(struct dma_buf *dmabuf, struct vm_area_struct *vma)
{
	struct vkfd_bo *bo = dmabuf->priv;
	int ret = 0;

	/* private mappings would copy device pages on write */
	if (!(vma->vm_flags & VM_SHARED))
		return -EINVAL;
	mutex_lock(&bo->fault_lock);
	if (bo->revoked)
		ret = -ENODEV;
	mutex_unlock(&bo->fault_lock);
	if (ret)
		return ret;
	vma->vm_flags |= VM_IO | VM_PFNMAP | VM_DONTEXPAND | VM_DONTDUMP |
			 VM_DONTCOPY;
	vma->vm_page_prot = vm_get_page_prot(vma->vm_flags);
	if (bo->kind == VKFD_BO_VRAM)
		vma->vm_page_prot = pgprot_writecombine(vma->vm_page_prot);
	vma->vm_private_data = bo;
	vma->vm_ops = &vkfd_dmabuf_vm_ops;
	return 0;
}

/*
 * A kernel mapping of a GTT dma-buf's pages, which it holds.  VRAM has
 * none: the BAR mapping goes with the GPU, and nothing would tell the
 * user of a kernel pointer.
 */
static int vkfd_dmabuf_vmap(struct dma_buf *dmabuf, struct iosys_map *map)
{
	struct vkfd_bo *bo = dmabuf->priv;
	void *va;

	if (bo->kind == VKFD_BO_VRAM)
		return -EOPNOTSUPP;
	va = vmap(bo->pages, bo->npages, VM_MAP, PAGE_KERNEL);
	if (!va)
		return -ENOMEM;
	iosys_map_set_vaddr(map, va);
	return 0;
}

static void vkfd_dmabuf_vunmap(struct dma_buf *dmabuf, struct iosys_map *map)
{
	vunmap(map->vaddr);
}

static const struct dma_buf_ops vkfd_dmabuf_ops = {
	.attach = vkfd_dmabuf_attach,
	.map_dma_buf = vkfd_dmabuf_map,
	.unmap_dma_buf = vkfd_dmabuf_unmap,
	.release = vkfd_dmabuf_release,
	.mmap = vkfd_dmabuf_mmap,
	.vmap = vkfd_dmabuf_vmap,
	.vunmap = vkfd_dmabuf_vunmap,
};

/*
 * The device is going: its pdds, and so every import of its memory, are
 * gone; dma-bufs still open lose the VRAM, and their mappings go.
 */
void vkfd_dmabuf_revoke(struct vkfd_dev *dev)
{
	struct vkfd_bo *bo, *tmp;
	struct file *file;

	mutex_lock(&vkfd_dmabuf_lock);
	list_for_each_entry_safe(bo, tmp, &vkfd_dmabuf_exports, export_node) {
		if (bo->dev != dev)
			continue;
		list_del_init(&bo->export_node);
		mutex_lock(&bo->fault_lock);
		bo->revoked = true;
		mutex_unlock(&bo->fault_lock);
		/*
		 * The dma-buf is not freed before its release, which waits for
		 * this lock; but its file may be on the way there, inode and
		 * all, and then no mapping is left to zap.
		 */
		file = bo->dmabuf->file;
		if (get_file_rcu(file)) {
			unmap_mapping_range(file->f_mapping, 0, bo->size, 1);
			fput(file);
		}
		if (bo->kind == VKFD_BO_VRAM)
			vkfd_vram_free(dev, &bo->vram);
	}
	mutex_unlock(&vkfd_dmabuf_lock);
}

/* Under p->lock: the BO's dma-buf, made at the first export. */
static struct dma_buf *vkfd_bo_dmabuf(struct vkfd_bo *bo)
{
	DEFINE_DMA_BUF_EXPORT_INFO(info);
	struct dma_buf *dmabuf;

	if (bo->dmabuf) {
		/* a BO exported before, or an import: the same buffer again */
		get_dma_buf(bo->dmabuf);
		return bo->dmabuf;
	}
	/* amdgpu refuses user pages (EPERM); doorbells and MMIO are no memory */
	if (bo->kind == VKFD_BO_USERPTR)
		return ERR_PTR(-EPERM);
	if (bo->kind != VKFD_BO_VRAM && bo->kind != VKFD_BO_GTT)
		return ERR_PTR(-EINVAL);

	info.ops = &vkfd_dmabuf_ops;
	info.size = bo->size;
	info.flags = bo->flags & KFD_IOC_ALLOC_MEM_FLAGS_WRITABLE ?
		     O_RDWR : O_RDONLY;
	info.priv = bo;
	kref_get(&bo->ref);
	dmabuf = dma_buf_export(&info);
	if (IS_ERR(dmabuf)) {
		vkfd_bo_put(bo);
		return dmabuf;
	}
	mutex_lock(&vkfd_dmabuf_lock);
	list_add_tail(&bo->export_node, &vkfd_dmabuf_exports);
	mutex_unlock(&vkfd_dmabuf_lock);
	/* the BO's reference, until FREE; the caller gets one more */
	bo->dmabuf = dmabuf;
	get_dma_buf(dmabuf);
	return dmabuf;
}

int vkfd_ioctl_export_dmabuf(struct file *filep, struct vkfd_process *p,
			     void *data)
{
	struct kfd_ioctl_export_dmabuf_args *args = data;
	struct dma_buf *dmabuf;
	struct vkfd_bo *bo;
	int fd;

	mutex_lock(&p->lock);
	bo = vkfd_bo_lookup(p, args->handle);
	dmabuf = bo ? vkfd_bo_dmabuf(bo) : ERR_PTR(-EINVAL);
	mutex_unlock(&p->lock);
	if (IS_ERR(dmabuf))
		return PTR_ERR(dmabuf);
	/* as amdkfd: open flags for the new fd, of which O_CLOEXEC counts */
	fd = dma_buf_fd(dmabuf, args->flags);
	if (fd < 0) {
		dma_buf_put(dmabuf);
		return fd;
	}
	args->dmabuf_fd = fd;
	return 0;
}

/*
 * A vkfd dma-buf's BO and the GPU it is on, or NULL: another driver's,
 * or one whose GPU is gone.
 */
static struct vkfd_bo *vkfd_dmabuf_bo(struct dma_buf *dmabuf,
				      struct vkfd_dev **dev)
{
	struct vkfd_bo *bo;

	if (dmabuf->ops != &vkfd_dmabuf_ops)
		return NULL;
	bo = dmabuf->priv;
	mutex_lock(&vkfd_dmabuf_lock);
	*dev = list_empty(&bo->export_node) ? NULL : bo->dev;
	mutex_unlock(&vkfd_dmabuf_lock);
	return *dev ? bo : NULL;
}

int vkfd_ioctl_get_dmabuf_info(struct file *filep, struct vkfd_process *p,
			       void *data)
{
	struct kfd_ioctl_get_dmabuf_info_args *args = data;
	struct dma_buf *dmabuf;
	struct vkfd_dev *dev;
	struct vkfd_bo *bo;
	int ret = 0;

	/*
	 * amdkfd asks one of its GPUs, so with none there is no answer; a
	 * look without vkfd_lock, which process setup holds for long
	 */
	if (list_empty(&vkfd_devices))
		return -EINVAL;
	dmabuf = dma_buf_get(args->dmabuf_fd);
	if (IS_ERR(dmabuf))
		return PTR_ERR(dmabuf);
	bo = vkfd_dmabuf_bo(dmabuf, &dev);
	if (!bo) {
		ret = -EINVAL;
		goto out;
	}
	args->size = bo->size;
	args->gpu_id = dev->gpu_id;
	if (bo->kind == VKFD_BO_VRAM)
		args->flags = KFD_IOC_ALLOC_MEM_FLAGS_VRAM |
			      (bo->flags & KFD_IOC_ALLOC_MEM_FLAGS_PUBLIC);
	else
		args->flags = KFD_IOC_ALLOC_MEM_FLAGS_GTT;
	/* vkfd BOs carry no metadata: none to copy to metadata_ptr */
	args->metadata_size = 0;
out:
	dma_buf_put(dmabuf);
	return ret;
}

/* A BO of the caller on pdd's GPU for the memory of src, at va. */
static struct vkfd_bo *vkfd_import_new(struct vkfd_bo *src,
				       struct dma_buf *dmabuf, u64 va)
{
	struct vkfd_bo *bo = kzalloc(sizeof(*bo), GFP_KERNEL_ACCOUNT);

	if (!bo)
		return ERR_PTR(-ENOMEM);
	kref_init(&bo->ref);
	mutex_init(&bo->fault_lock);
	INIT_LIST_HEAD(&bo->attachments);
	INIT_LIST_HEAD(&bo->export_node);
	bo->kind = src->kind;
	/*
	 * amdkfd makes every import writable and executable; here a
	 * read-only export stays read-only for the GPUs of the importer.
	 */
	bo->flags = (src->kind == VKFD_BO_VRAM ? KFD_IOC_ALLOC_MEM_FLAGS_VRAM :
		     KFD_IOC_ALLOC_MEM_FLAGS_GTT) |
		    KFD_IOC_ALLOC_MEM_FLAGS_EXECUTABLE |
		    (src->flags & KFD_IOC_ALLOC_MEM_FLAGS_WRITABLE);
	bo->va = va;
	bo->size = src->size;
	bo->npages = src->npages;
	bo->src = src;
	bo->dmabuf = dmabuf;
	return bo;
}

int vkfd_ioctl_import_dmabuf(struct file *filep, struct vkfd_process *p,
			     void *data)
{
	struct kfd_ioctl_import_dmabuf_args *args = data;
	struct vkfd_process_device *pdd;
	struct vkfd_bo *src, *bo;
	struct dma_buf *dmabuf;
	struct vkfd_dev *dev;
	u64 va = args->va_addr;
	int ret;

	/* amdkfd's order: the fd, the GPU, then whose buffer it is */
	dmabuf = dma_buf_get(args->dmabuf_fd);
	if (IS_ERR(dmabuf))
		return PTR_ERR(dmabuf);
	src = vkfd_dmabuf_bo(dmabuf, &dev);
	/* no BO over an SVM range (takes mmap_lock: before p->lock) */
	ret = src ? vkfd_svm_va_free(p, va, src->size) : 0;
	if (ret)
		goto err_put;

	mutex_lock(&p->lock);
	pdd = vkfd_process_bound_pdd(p, args->gpu_id, -ENODEV);
	ret = PTR_ERR_OR_ZERO(pdd);
	if (ret)
		goto err_unlock;
	/* another driver's buffer, or another GPU's: amdkfd's EINVAL */
	ret = -EINVAL;
	if (!src || dev != pdd->dev)
		goto err_unlock;
	if (!PAGE_ALIGNED(va) || va < VKFD_GPUVM_BASE ||
	    va + src->size < va || va + src->size > VKFD_GPUVM_LIMIT + 1)
		goto err_unlock;
	bo = vkfd_import_new(src, dmabuf, va);
	ret = PTR_ERR_OR_ZERO(bo);
	if (ret)
		goto err_unlock;
	/* the new BO keeps the dma-buf reference from here on */
	ret = vkfd_bo_add_import(pdd, bo);
	if (ret) {
		bo->dmabuf = NULL;
		vkfd_bo_put(bo);
		goto err_unlock;
	}
	args->handle = vkfd_bo_handle(bo);
	mutex_unlock(&p->lock);
	return 0;

err_unlock:
	mutex_unlock(&p->lock);
err_put:
	pr_debug("vkfd: IMPORT_DMABUF fd %u gpu %u va 0x%llx: %d\n",
		 args->dmabuf_fd, args->gpu_id, va, ret);
	dma_buf_put(dmabuf);
	return ret;
}
