// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Guest test: dma-buf export and import through /dev/kfd -- EXPORT_DMABUF
 * of VRAM and GTT BOs, the fds passed to a forked process over a unix
 * socket, IMPORT_DMABUF there at a VA of its own, GPU copies (SDMA) and
 * CPU mappings on both sides seeing each other's writes, on a second GPU
 * too, GET_DMABUF_INFO, every refused argument with amdkfd's errno and
 * nothing changed, the exporter freeing or exiting while the importer
 * still uses the memory, vgem as another driver on both sides, and at
 * the end no VRAM or system memory left, and a GPU unbound under open
 * dma-bufs.  Prints TAP; works with one or more GPUs; the vgem checks
 * need vgem loaded (scripts/vkfd-vm --kmod vgem?) and are skipped when
 * the kernel has none.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <signal.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "tap.h"
#include "kfd-queue-util.h"

/*
 * The few DRM ioctls used with vgem, from the kernel's uapi drm.h and
 * drm_mode.h (the host has no DRM headers).
 */
struct drm_version {
	int version_major, version_minor, version_patchlevel;
	size_t name_len;
	char *name;
	size_t date_len;
	char *date;
	size_t desc_len;
	char *desc;
};

struct drm_gem_close {
	uint32_t handle, pad;
};

struct drm_prime_handle {
	uint32_t handle, flags;
	int32_t fd;
};

struct drm_mode_create_dumb {
	uint32_t height, width, bpp, flags, handle, pitch;
	uint64_t size;
};

#define DRM_IOCTL_VERSION		_IOWR('d', 0x00, struct drm_version)
#define DRM_IOCTL_GEM_CLOSE		_IOW('d', 0x09, struct drm_gem_close)
#define DRM_IOCTL_PRIME_HANDLE_TO_FD	_IOWR('d', 0x2d, struct drm_prime_handle)
#define DRM_IOCTL_PRIME_FD_TO_HANDLE	_IOWR('d', 0x2e, struct drm_prime_handle)
#define DRM_IOCTL_MODE_CREATE_DUMB	_IOWR('d', 0xb2, struct drm_mode_create_dumb)
#define DRM_CLOEXEC			O_CLOEXEC
#define DRM_RDWR			O_RDWR

#define BO_SIZE		(64 * 1024)
#define BO_VA		(VA0 + 0x10000000ULL)	/* the BOs shared here */
#define IMP_VA		(VA0 + 0x20000000ULL)	/* where imports go */
#define Q_VA		VA0
#define Q1_VA		(VA0 + 0x1000000ULL)	/* a queue on the second GPU */

static struct vkfd_gpu gpus[VKFD_MAX_GPUS];
static int ngpu;

/* Bind every GPU; drm[i] keeps the render file for CPU mappings. */
static int bind_keep(int kfd, int *drm)
{
	int i;

	for (i = 0; i < ngpu; i++) {
		drm[i] = open_render_node(&gpus[i]);
		if (drm[i] < 0 || acquire_vm(kfd, drm[i], gpus[i].gpu_id))
			return -1;
	}
	return 0;
}

static int export_bo(int kfd, uint64_t handle, uint32_t flags)
{
	struct kfd_ioctl_export_dmabuf_args a = {
		.handle = handle, .flags = flags,
	};

	if (ioctl(kfd, AMDKFD_IOC_EXPORT_DMABUF, &a))
		return -1;
	return a.dmabuf_fd;
}

static int import_bo(int kfd, int fd, unsigned int gpu, uint64_t va,
		     uint64_t *handle)
{
	struct kfd_ioctl_import_dmabuf_args a = {
		.va_addr = va, .gpu_id = gpu, .dmabuf_fd = fd,
	};
	int ret = ioctl(kfd, AMDKFD_IOC_IMPORT_DMABUF, &a);

	if (!ret && handle)
		*handle = a.handle;
	return ret;
}

static int dmabuf_info(int kfd, int fd, struct kfd_ioctl_get_dmabuf_info_args *a)
{
	memset(a, 0, sizeof(*a));
	a->dmabuf_fd = fd;
	a->metadata_size = 64;
	a->metadata_ptr = (uintptr_t)malloc(64);
	return ioctl(kfd, AMDKFD_IOC_GET_DMABUF_INFO, a);
}

static bool same_file(int a, int b)
{
	struct stat sa, sb;

	return !fstat(a, &sa) && !fstat(b, &sb) && sa.st_ino == sb.st_ino &&
	       sa.st_dev == sb.st_dev;
}

/* fds over a unix socket, with a one-word message */
static int send_fds(int sock, uint32_t msg, const int *fds, int n)
{
	char ctl[CMSG_SPACE(4 * sizeof(int))] = { 0 };
	struct iovec iov = { .iov_base = &msg, .iov_len = sizeof(msg) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *c;

	if (n) {
		mh.msg_control = ctl;
		mh.msg_controllen = CMSG_SPACE(n * sizeof(int));
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(n * sizeof(int));
		memcpy(CMSG_DATA(c), fds, n * sizeof(int));
	}
	return sendmsg(sock, &mh, 0) == sizeof(msg) ? 0 : -1;
}

static uint32_t recv_fds(int sock, int *fds, int n)
{
	char ctl[CMSG_SPACE(4 * sizeof(int))];
	uint32_t msg = ~0u;
	struct iovec iov = { .iov_base = &msg, .iov_len = sizeof(msg) };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = ctl, .msg_controllen = sizeof(ctl),
	};
	struct cmsghdr *c;

	if (recvmsg(sock, &mh, 0) != sizeof(msg))
		return ~0u;
	c = CMSG_FIRSTHDR(&mh);
	if (n && c && c->cmsg_type == SCM_RIGHTS)
		memcpy(fds, CMSG_DATA(c), n * sizeof(int));
	return msg;
}

static void fill(volatile uint32_t *p, uint32_t seed, size_t bytes)
{
	size_t i;

	for (i = 0; i < bytes / 4; i++)
		p[i] = seed ^ (uint32_t)(i * 2654435761u);
}

static bool check(volatile const uint32_t *p, uint32_t seed, size_t bytes)
{
	size_t i;

	for (i = 0; i < bytes / 4; i++)
		if (p[i] != (seed ^ (uint32_t)(i * 2654435761u))) {
			tap_diag("  word %zu: 0x%08x", i, p[i]);
			return false;
		}
	return true;
}

/* The BO at va read back through the queue's data area (SDMA copy). */
static bool gpu_read_check(struct q *q, uint64_t va, uint32_t seed,
			   uint32_t *seq)
{
	memset((void *)(q->data + 0x1000), 0, BO_SIZE);
	if (!sdma_copy_fenced(q, va, data_va(q, 0x1000), BO_SIZE, ++*seq))
		return false;
	return check((volatile uint32_t *)(q->data + 0x1000), seed, BO_SIZE);
}

/* The queue's data area, filled with seed, copied to the BO at va. */
static bool gpu_write(struct q *q, uint64_t va, uint32_t seed, uint32_t *seq)
{
	fill((volatile uint32_t *)(q->data + 0x1000), seed, BO_SIZE);
	return sdma_copy_fenced(q, data_va(q, 0x1000), va, BO_SIZE, ++*seq);
}

/* Releases after close and exit are asynchronous: wait for a count. */
static bool devices_sum_is(const char *key, long long want)
{
	double end = now_s() + 20;

	do {
		if (vkfd_devices_sum(key) == want)
			return true;
		usleep(2000);
	} while (now_s() < end);
	tap_diag("  %s is %lld, wanted %lld", key, vkfd_devices_sum(key), want);
	return false;
}

static bool sysmem_is(unsigned long want)
{
	double end = now_s() + 20;
	unsigned long used = ~0UL;

	do {
		if (sysmem_used(&used) && used == want)
			return true;
		usleep(2000);
	} while (now_s() < end);
	tap_diag("  sysmem used_pages %lu, wanted %lu", used, want);
	return false;
}

/* The vgem device's card node, or -1. */
static int open_vgem(void)
{
	char path[64], name[16];
	struct drm_version v;
	int i, fd;

	for (i = 0; i < 16; i++) {
		snprintf(path, sizeof(path), "/dev/dri/card%d", i);
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			continue;
		memset(&v, 0, sizeof(v));
		memset(name, 0, sizeof(name));
		v.name = name;
		v.name_len = sizeof(name) - 1;
		if (!ioctl(fd, DRM_IOCTL_VERSION, &v) && !strcmp(name, "vgem"))
			return fd;
		close(fd);
	}
	return -1;
}

/*
 * The importer: gets a VRAM and a GTT dma-buf of GPU 0, imports both,
 * reads the exporter's pattern by GPU and CPU, writes its own into the
 * GTT one, keeps reading the VRAM one after the exporter freed it.
 */
static int importer(int sock)
{
	int kfd = kfd_open(), drm[VKFD_MAX_GPUS], fds[2] = { -1, -1 };
	unsigned int g0 = gpus[0].gpu_id, ids[2] = { g0, 0 }, n = 0;
	uint64_t hv = 0, hg = 0, h;
	struct q q, q1;
	uint32_t seq = 0, msg;
	void *cpu;
	int fd;

	msg = recv_fds(sock, fds, 2);
	tap_ok(msg == 1 && fds[0] >= 0 && fds[1] >= 0,
	       "importer: two dma-buf fds over SCM_RIGHTS");
	tap_errno(import_bo(kfd, fds[0], g0, IMP_VA, NULL), ENODEV,
		  "importer: IMPORT before ACQUIRE_VM: ENODEV");
	if (kfd < 0 || bind_keep(kfd, drm) ||
	    queue_open(&gpus[0], &q, kfd, drm[0], Q_VA,
		       KFD_IOC_QUEUE_TYPE_SDMA)) {
		tap_ok(0, "importer: open, bind, SDMA queue");
		return 1;
	}
	tap_zero(import_bo(kfd, fds[0], g0, IMP_VA, &hv),
		 "importer: IMPORT_DMABUF of the VRAM BO");
	tap_zero(import_bo(kfd, fds[1], g0, IMP_VA + BO_SIZE, &hg),
		 "importer: IMPORT_DMABUF of the GTT BO");
	tap_ok(hv >> 32 == g0 && hg >> 32 == g0 && hv != hg,
	       "importer: handles name GPU 0 (0x%llx, 0x%llx)",
	       (unsigned long long)hv, (unsigned long long)hg);
	/* the import's VA is taken now */
	tap_errno(import_bo(kfd, fds[0], g0, IMP_VA + 4096, NULL), EINVAL,
		  "importer: an import over another import: EINVAL");
	tap_errno(alloc_bo(kfd, g0, IMP_VA, 4096, F_GTT | F_RW, &h, NULL),
		  EINVAL, "importer: ALLOC over an import: EINVAL");
	n = 0;
	tap_zero(map_bo(kfd, hv, ids, 1, true, &n), "importer: MAP the VRAM import");
	n = 0;
	tap_zero(map_bo(kfd, hg, ids, 1, true, &n), "importer: MAP the GTT import");
	tap_ok(gpu_read_check(&q, IMP_VA, 0x11110000, &seq),
	       "importer: GPU reads the exporter's VRAM pattern");
	tap_ok(gpu_read_check(&q, IMP_VA + BO_SIZE, 0x22220000, &seq),
	       "importer: GPU reads the exporter's GTT pattern");
	cpu = mmap(NULL, BO_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fds[0], 0);
	tap_ok(cpu != MAP_FAILED && check(cpu, 0x11110000, BO_SIZE),
	       "importer: CPU mmap of the VRAM dma-buf reads it too");
	if (cpu != MAP_FAILED)
		munmap(cpu, BO_SIZE);
	tap_ok(gpu_write(&q, IMP_VA + BO_SIZE, 0x33330000, &seq),
	       "importer: GPU writes its pattern into the GTT import");

	if (ngpu > 1) {
		ids[1] = gpus[1].gpu_id;
		n = 1;
		tap_zero(map_bo(kfd, hv, ids, 2, true, &n),
			 "importer: MAP the VRAM import on GPU 1 as well");
		if (queue_open(&gpus[1], &q1, kfd, drm[1], Q1_VA,
			       KFD_IOC_QUEUE_TYPE_SDMA)) {
			tap_ok(0, "importer: SDMA queue on GPU 1");
			return 1;
		}
		tap_ok(gpu_read_check(&q1, IMP_VA, 0x11110000, &seq),
		       "importer: GPU 1 reads GPU 0's exported VRAM (peer)");
		tap_errno(import_bo(kfd, fds[0], gpus[1].gpu_id, IMP_VA + 4 * BO_SIZE,
				    NULL), EINVAL,
			  "importer: importing GPU 0's buffer on GPU 1: EINVAL");
		queue_close(&q1);
	}
	send_fds(sock, 2, NULL, 0);
	/* the exporter frees its handle and exits meanwhile */
	msg = recv_fds(sock, NULL, 0);
	tap_ok(msg == 3, "importer: the exporter has freed its BOs");
	tap_ok(gpu_read_check(&q, IMP_VA, 0x11110000, &seq),
	       "importer: the VRAM import still reads after the exporter's FREE");
	tap_ok(gpu_write(&q, IMP_VA, 0x44440000, &seq) &&
	       gpu_read_check(&q, IMP_VA, 0x44440000, &seq),
	       "importer: and takes a GPU write");
	cpu = mmap(NULL, BO_SIZE, PROT_READ, MAP_SHARED, fds[0], 0);
	tap_ok(cpu != MAP_FAILED && check(cpu, 0x44440000, BO_SIZE),
	       "importer: the dma-buf's CPU mapping sees that write");
	if (cpu != MAP_FAILED)
		munmap(cpu, BO_SIZE);
	/* re-export of an import: the same buffer */
	fd = export_bo(kfd, hv, O_CLOEXEC);
	tap_ok(fd >= 0 && same_file(fd, fds[0]),
	       "importer: EXPORT_DMABUF of an import gives the same dma-buf");
	close(fd);
	n = 0;
	tap_zero(map_bo(kfd, hv, ids, 1, false, &n),
		 "importer: UNMAP the VRAM import");
	tap_zero(free_bo(kfd, hg), "importer: FREE the GTT import");
	tap_errno(free_bo(kfd, hg), EINVAL, "importer: FREE it again: EINVAL");
	queue_close(&q);
	/* the VRAM import, its fd, the process: all left to exit */
	return 0;
}

/* Argument errors; each leaves the counts as they were. */
static void bad_arguments(int kfd, uint64_t hv, uint64_t hg, int vfd,
			  int gfd, int vgem)
{
	unsigned int g0 = gpus[0].gpu_id;
	long long vram = vkfd_devices_sum("vram_used");
	struct kfd_ioctl_get_dmabuf_info_args info;
	struct drm_mode_create_dumb dumb = {
		.width = 64, .height = 64, .bpp = 32,
	};
	struct drm_prime_handle prime = { 0 };
	uint64_t h, off = 0;
	int fd, null = open("/dev/null", O_RDWR);
	void *p;

	tap_errno(export_bo(kfd, hv + 0x1000, 0), EINVAL,
		  "EXPORT of an unknown handle: EINVAL");
	tap_errno(export_bo(kfd, (uint64_t)0x7777 << 32 | (uint32_t)hv, 0),
		  EINVAL, "EXPORT with an unknown GPU in the handle: EINVAL");
	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	off = (uintptr_t)p;
	if (!tap_ok(!alloc_bo(kfd, g0, BO_VA + 0x100000, 4096,
			      F_USERPTR | F_RW, &h, &off), "a USERPTR BO"))
		h = 0;
	tap_errno(export_bo(kfd, h, 0), EPERM,
		  "EXPORT of a USERPTR BO: EPERM (amdgpu's)");
	free_bo(kfd, h);
	munmap(p, 4096);
	tap_zero(alloc_bo(kfd, g0, BO_VA + 0x200000, 8192, F_DOORBELL | F_RW,
			  &h, NULL), "a DOORBELL BO");
	tap_errno(export_bo(kfd, h, 0), EINVAL,
		  "EXPORT of a DOORBELL BO: EINVAL");
	free_bo(kfd, h);

	tap_errno(dmabuf_info(kfd, 1000, &info), EBADF,
		  "GET_DMABUF_INFO of a closed fd: EBADF");
	tap_errno(dmabuf_info(kfd, null, &info), EINVAL,
		  "GET_DMABUF_INFO of /dev/null: EINVAL");
	tap_errno(import_bo(kfd, 1000, g0, IMP_VA, NULL), EBADF,
		  "IMPORT of a closed fd: EBADF");
	tap_errno(import_bo(kfd, null, g0, IMP_VA, NULL), EINVAL,
		  "IMPORT of /dev/null: EINVAL");
	tap_errno(import_bo(kfd, vfd, 0x7777, IMP_VA, NULL), EINVAL,
		  "IMPORT on an unknown GPU: EINVAL");
	tap_errno(import_bo(kfd, vfd, g0, IMP_VA + 8, NULL), EINVAL,
		  "IMPORT at an unaligned VA: EINVAL");
	tap_errno(import_bo(kfd, vfd, g0, 0x1000, NULL), EINVAL,
		  "IMPORT below the GPUVM aperture: EINVAL");
	tap_errno(import_bo(kfd, vfd, g0, 0x800000000000ULL - 4096, NULL),
		  EINVAL, "IMPORT across the aperture's end: EINVAL");
	tap_errno(import_bo(kfd, vfd, g0, BO_VA + 4096, NULL), EINVAL,
		  "IMPORT over the exporter's own BO: EINVAL");
	p = mmap(NULL, BO_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE, vfd, 0);
	tap_ok(p == MAP_FAILED && errno == EINVAL,
	       "a private mmap of the dma-buf: EINVAL");

	/*
	 * another driver's dma-buf, and ours in another driver: vgem, which
	 * the debug kernel does not have (vkfd-vm --kmod vgem?)
	 */
	if (vgem < 0 && !path_exists("/sys/module/vgem")) {
		tap_ok(1, "vgem # SKIP this kernel has no vgem");
		goto out;
	}
	if (!tap_ok(vgem >= 0, "vgem's card node"))
		goto out;
	tap_zero(ioctl(vgem, DRM_IOCTL_MODE_CREATE_DUMB, &dumb),
		 "a vgem dumb buffer");
	prime.handle = dumb.handle;
	prime.flags = DRM_CLOEXEC | DRM_RDWR;
	tap_zero(ioctl(vgem, DRM_IOCTL_PRIME_HANDLE_TO_FD, &prime),
		 "exported by vgem");
	fd = prime.fd;
	tap_errno(dmabuf_info(kfd, fd, &info), EINVAL,
		  "GET_DMABUF_INFO of vgem's dma-buf: EINVAL");
	tap_errno(import_bo(kfd, fd, g0, IMP_VA, NULL), EINVAL,
		  "IMPORT of vgem's dma-buf: EINVAL");
	close(fd);

	memset(&prime, 0, sizeof(prime));
	prime.fd = vfd;
	tap_errno(ioctl(vgem, DRM_IOCTL_PRIME_FD_TO_HANDLE, &prime), EOPNOTSUPP,
		  "vgem cannot take the VRAM dma-buf (no P2P DMA): EOPNOTSUPP");
	fd = export_bo(kfd, hg, O_CLOEXEC);
	memset(&prime, 0, sizeof(prime));
	prime.fd = fd;
	if (tap_ok(!ioctl(vgem, DRM_IOCTL_PRIME_FD_TO_HANDLE, &prime),
		   "vgem imports the GTT dma-buf (its pages, DMA-mapped)")) {
		struct drm_gem_close gc = { .handle = prime.handle };

		/* vgem alone holds it now; its export is the same buffer */
		close(fd);
		prime.flags = DRM_CLOEXEC;
		prime.fd = -1;
		tap_zero(ioctl(vgem, DRM_IOCTL_PRIME_HANDLE_TO_FD, &prime),
			 "vgem exports its import");
		fd = prime.fd;
		tap_ok(same_file(fd, gfd), "as the same dma-buf");
		p = mmap(NULL, BO_SIZE, PROT_READ, MAP_SHARED, fd, 0);
		tap_ok(p != MAP_FAILED && check(p, 0x22220000, BO_SIZE),
		       "whose CPU mapping reads the pattern");
		if (p != MAP_FAILED)
			munmap(p, BO_SIZE);
		ioctl(vgem, DRM_IOCTL_GEM_CLOSE, &gc);
	}
	close(fd);
out:
	tap_ok(vkfd_devices_sum("vram_used") == vram,
	       "the refused calls took no VRAM");
	close(null);
}

#define PCI_DRIVER	"/sys/bus/pci/drivers/vkfd"

/*
 * GPU 0 leaves (unbind) while dma-bufs of its VRAM and GTT are open and
 * CPU-mapped, their BOs freed: the mappings fault, the fds describe and
 * import nothing, closing them is fine; the GPU binds again.
 */
static void unbind_revokes(int kfd, int drm0)
{
	unsigned int g0 = gpus[0].gpu_id;
	struct kfd_ioctl_get_dmabuf_info_args info;
	uint64_t hv, hg, off_v = 0, off_g = 0;
	int vfd = -1, gfd = -1;
	void *v = MAP_FAILED, *g = MAP_FAILED, *p;
	uint32_t val = 0;
	char bdf[64];
	bool ok;

	ok = !alloc_bo(kfd, g0, BO_VA, BO_SIZE, F_VRAM | F_RW, &hv, &off_v) &&
	     !alloc_bo(kfd, g0, BO_VA + BO_SIZE, BO_SIZE, F_GTT | F_RW, &hg,
		       &off_g);
	if (ok) {
		vfd = export_bo(kfd, hv, O_CLOEXEC);
		gfd = export_bo(kfd, hg, O_CLOEXEC);
		v = mmap(NULL, BO_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, vfd, 0);
		g = mmap(NULL, BO_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, gfd, 0);
	}
	ok = ok && v != MAP_FAILED && g != MAP_FAILED;
	if (ok) {
		fill(v, 0x66660000, BO_SIZE);
		fill(g, 0x77770000, BO_SIZE);
		ok = !free_bo(kfd, hv) && !free_bo(kfd, hg) &&
		     check(v, 0x66660000, BO_SIZE) && check(g, 0x77770000, BO_SIZE);
	}
	tap_ok(ok, "unbind: freed BOs' dma-bufs mapped and filled");
	ok = ok && bdf_of_gpu(g0, bdf, sizeof(bdf)) &&
	     write_file(PCI_DRIVER "/unbind", bdf);
	tap_ok(ok, "unbind: GPU 0 (%s) unbound", ok ? bdf : "?");
	tap_ok(ok && peek(v, &val) == SIGBUS && peek(g, &val) == SIGBUS,
	       "unbind: both dma-bufs' CPU mappings fault (SIGBUS)");
	p = mmap(NULL, BO_SIZE, PROT_READ, MAP_SHARED, vfd, 0);
	tap_ok(p == MAP_FAILED && errno == ENODEV,
	       "unbind: a new mmap of the dma-buf: ENODEV");
	tap_errno(dmabuf_info(kfd, vfd, &info), EINVAL,
		  "unbind: GET_DMABUF_INFO of its dma-buf: EINVAL");
	if (ngpu > 1)
		tap_errno(import_bo(kfd, vfd, gpus[1].gpu_id, IMP_VA, NULL),
			  EINVAL, "unbind: IMPORT of it on GPU 1: EINVAL");
	if (v != MAP_FAILED)
		munmap(v, BO_SIZE);
	if (g != MAP_FAILED)
		munmap(g, BO_SIZE);
	close(vfd);
	close(gfd);
	tap_ok(ok && write_file(PCI_DRIVER "/bind", bdf),
	       "unbind: GPU 0 bound again");
	tap_ok(ok && vkfd_gpus(gpus, VKFD_MAX_GPUS) == ngpu,
	       "unbind: %d GPUs again", ngpu);
	(void)drm0;
}

/*
 * A process imports its own export, and a secondary kfd_process of it
 * (CREATE_PROCESS) imports it too.
 */
static void self_and_secondary(int kfd, struct q *q, uint32_t *seq)
{
	unsigned int g0 = gpus[0].gpu_id, ids[1] = { g0 };
	int sec = kfd_open(), sdrm[VKFD_MAX_GPUS], xfd, fd, i;
	uint64_t hx = 0, hi = 0, hs = 0;
	struct kfd_ioctl_get_dmabuf_info_args info;

	for (i = 0; i < ngpu; i++)
		sdrm[i] = -1;
	tap_ok(!alloc_bo(kfd, g0, BO_VA, BO_SIZE, F_VRAM | F_RW, &hx, NULL) &&
	       !map_bo(kfd, hx, ids, 1, true, NULL) &&
	       gpu_write(q, BO_VA, 0x88880000, seq),
	       "self: a VRAM BO written by SDMA");
	xfd = export_bo(kfd, hx, O_CLOEXEC);
	tap_zero(import_bo(kfd, xfd, g0, IMP_VA + BO_SIZE, &hi),
		 "self: the exporter imports its own dma-buf");
	tap_ok(hi != hx && !map_bo(kfd, hi, ids, 1, true, NULL) &&
	       gpu_read_check(q, IMP_VA + BO_SIZE, 0x88880000, seq),
	       "self: a second handle, mapped at another VA, reads the BO");
	tap_ok(sec >= 0 && !ioctl(sec, AMDKFD_IOC_CREATE_PROCESS) &&
	       !bind_keep(sec, sdrm), "a secondary kfd_process, bound");
	tap_zero(import_bo(sec, xfd, g0, IMP_VA, &hs),
		 "secondary: IMPORT_DMABUF of the primary's export");
	tap_zero(map_bo(sec, hs, ids, 1, true, NULL), "secondary: MAP it");
	fd = export_bo(sec, hs, O_CLOEXEC);
	tap_ok(fd >= 0 && same_file(fd, xfd) && !dmabuf_info(sec, fd, &info) &&
	       info.gpu_id == g0 && info.size == BO_SIZE,
	       "secondary: its export is the same dma-buf, GET_DMABUF_INFO too");
	close(fd);
	tap_zero(free_bo(kfd, hx), "self: FREE the exported BO");
	tap_ok(gpu_read_check(q, IMP_VA + BO_SIZE, 0x88880000, seq),
	       "self: the import still reads it");
	tap_zero(free_bo(kfd, hi), "self: FREE the import");
	close(xfd);
	close(sec);	/* the secondary goes with its import */
	for (i = 0; i < ngpu; i++)
		if (sdrm[i] >= 0)
			close(sdrm[i]);
}

static long long vram0;
static unsigned long sys0;

/* Everything, in a process of its own: its exit ends the last kfd_process. */
static int run(void *unused)
{
	int kfd, drm[VKFD_MAX_GPUS], sv[2], fds[2], vgem, status, i;
	unsigned int g0, ids[1];
	unsigned long sys_bound = 0;
	uint64_t hv, hg, hro, off_v = 0, off_g = 0, off_ro = 0;
	struct kfd_ioctl_get_dmabuf_info_args info;
	void *cv, *cg, *cro;
	long long vram;
	pid_t pid;
	int vfd, gfd, vfd2, rofd;

	kfd = kfd_open();
	if (ngpu < 1 || kfd < 0 || bind_keep(kfd, drm)) {
		tap_ok(0, "setup: %d GPUs, /dev/kfd, ACQUIRE_VM", ngpu);
		return 1;
	}
	g0 = gpus[0].gpu_id;
	ids[0] = g0;
	vgem = open_vgem();
	sysmem_used(&sys_bound);

	/* the exporter's BOs, filled by the CPU */
	tap_zero(alloc_bo(kfd, g0, BO_VA, BO_SIZE,
			  F_VRAM | F_RW | KFD_IOC_ALLOC_MEM_FLAGS_PUBLIC,
			  &hv, &off_v), "VRAM BO");
	tap_zero(alloc_bo(kfd, g0, BO_VA + BO_SIZE, BO_SIZE, F_GTT | F_RW, &hg,
			  &off_g), "GTT BO");
	tap_zero(alloc_bo(kfd, g0, BO_VA + 2 * BO_SIZE, BO_SIZE, F_GTT, &hro,
			  &off_ro), "read-only GTT BO");
	cv = mmap(NULL, BO_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, drm[0],
		  off_v);
	cg = mmap(NULL, BO_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, drm[0],
		  off_g);
	if (!tap_ok(cv != MAP_FAILED && cg != MAP_FAILED, "CPU mappings"))
		return 1;
	fill(cv, 0x11110000, BO_SIZE);
	fill(cg, 0x22220000, BO_SIZE);
	tap_zero(map_bo(kfd, hv, ids, 1, true, NULL), "MAP the VRAM BO");

	vfd = export_bo(kfd, hv, O_CLOEXEC);
	gfd = export_bo(kfd, hg, O_CLOEXEC);
	vfd2 = export_bo(kfd, hv, 0);
	rofd = export_bo(kfd, hro, O_CLOEXEC);
	tap_ok(vfd >= 0 && gfd >= 0 && vfd2 >= 0 && rofd >= 0,
	       "EXPORT_DMABUF of VRAM, GTT and read-only BOs");
	tap_ok(same_file(vfd, vfd2) && !same_file(vfd, gfd),
	       "a second export of a BO is the same dma-buf");
	tap_ok((fcntl(vfd, F_GETFD) & FD_CLOEXEC) &&
	       !(fcntl(vfd2, F_GETFD) & FD_CLOEXEC),
	       "O_CLOEXEC in flags sets close-on-exec, 0 does not");
	close(vfd2);
	tap_zero(dmabuf_info(kfd, vfd, &info), "GET_DMABUF_INFO (VRAM)");
	tap_ok(info.size == BO_SIZE && info.gpu_id == g0 &&
	       info.flags == (KFD_IOC_ALLOC_MEM_FLAGS_VRAM |
			      KFD_IOC_ALLOC_MEM_FLAGS_PUBLIC) &&
	       info.metadata_size == 0,
	       "size 0x%llx gpu_id %u flags 0x%x metadata_size %u",
	       (unsigned long long)info.size, info.gpu_id, info.flags,
	       info.metadata_size);
	tap_zero(dmabuf_info(kfd, gfd, &info), "GET_DMABUF_INFO (GTT)");
	tap_ok(info.size == BO_SIZE && info.gpu_id == g0 &&
	       info.flags == KFD_IOC_ALLOC_MEM_FLAGS_GTT,
	       "GTT: size 0x%llx gpu_id %u flags 0x%x",
	       (unsigned long long)info.size, info.gpu_id, info.flags);
	cro = mmap(NULL, BO_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, rofd, 0);
	tap_ok(cro == MAP_FAILED && errno == EACCES,
	       "a read-only BO's dma-buf cannot be mapped for writing: EACCES");
	close(rofd);
	bad_arguments(kfd, hv, hg, vfd, gfd, vgem);

	/* the importer, another process */
	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv))
		return 1;
	fflush(stdout);
	pid = fork();
	if (!pid) {
		close(sv[0]);
		_exit(importer(sv[1]));
	}
	close(sv[1]);
	fds[0] = vfd;
	fds[1] = gfd;
	send_fds(sv[0], 1, fds, 2);
	tap_ok(recv_fds(sv[0], NULL, 0) == 2, "the importer has read and written");
	tap_ok(check(cg, 0x33330000, BO_SIZE),
	       "the exporter's CPU mapping sees the importer's GPU write");
	munmap(cv, BO_SIZE);
	munmap(cg, BO_SIZE);
	vram = vkfd_devices_sum("vram_used");
	tap_zero(free_bo(kfd, hv), "the exporter frees the VRAM BO");
	tap_zero(free_bo(kfd, hg), "and the GTT BO");
	free_bo(kfd, hro);
	tap_errno(export_bo(kfd, hv, 0), EINVAL, "EXPORT of a freed BO: EINVAL");
	tap_ok(vkfd_devices_sum("vram_used") == vram,
	       "the VRAM stays while the dma-buf lives");
	close(vfd);
	close(gfd);
	send_fds(sv[0], 3, NULL, 0);
	waitpid(pid, &status, 0);
	tap_ok(WIFEXITED(status) && !WEXITSTATUS(status),
	       "the importer exits with its import mapped");
	tap_ok(devices_sum_is("vram_used", vram0),
	       "importer gone, fds closed: the VRAM is free");
	tap_ok(sysmem_is(sys_bound), "and the GTT pages");

	/* the other way round: the exporter exits before the import */
	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv))
		return 1;
	fflush(stdout);
	pid = fork();
	if (!pid) {
		int k = kfd_open(), d[VKFD_MAX_GPUS], fd;
		uint64_t h, off = 0;
		void *c;

		close(sv[0]);
		if (k < 0 || bind_keep(k, d) ||
		    alloc_bo(k, g0, BO_VA, BO_SIZE, F_VRAM | F_RW, &h, &off))
			_exit(1);
		c = mmap(NULL, BO_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
			 d[0], off);
		if (c == MAP_FAILED)
			_exit(1);
		fill(c, 0x55550000, BO_SIZE);
		fd = export_bo(k, h, O_CLOEXEC);
		_exit(fd < 0 || send_fds(sv[1], 4, &fd, 1));
	}
	close(sv[1]);
	fds[0] = -1;
	tap_ok(recv_fds(sv[0], fds, 1) == 4 && fds[0] >= 0,
	       "a dma-buf from an exporter that exits");
	waitpid(pid, &status, 0);
	tap_ok(WIFEXITED(status) && !WEXITSTATUS(status), "the exporter exited");
	{
		struct q q;
		uint32_t seq = 0;

		tap_zero(import_bo(kfd, fds[0], g0, IMP_VA, &hv),
			 "IMPORT after the exporter's exit");
		tap_zero(map_bo(kfd, hv, ids, 1, true, NULL), "MAP it");
		if (!queue_open(&gpus[0], &q, kfd, drm[0], Q_VA,
				KFD_IOC_QUEUE_TYPE_SDMA)) {
			tap_ok(gpu_read_check(&q, IMP_VA, 0x55550000, &seq),
			       "the GPU reads what the gone exporter wrote");
			self_and_secondary(kfd, &q, &seq);
			queue_close(&q);
		} else {
			tap_ok(0, "SDMA queue");
		}
		tap_zero(free_bo(kfd, hv), "FREE the mapped import");
	}
	vram = vkfd_devices_sum("vram_used");
	tap_ok(vram >= vram0 + BO_SIZE, "the fd still holds the VRAM");
	close(fds[0]);
	tap_ok(devices_sum_is("vram_used", vram - BO_SIZE),
	       "fd closed: the VRAM is free");

	unbind_revokes(kfd, drm[0]);
	close(kfd);
	for (i = 0; i < ngpu; i++)
		close(drm[i]);
	if (vgem >= 0)
		close(vgem);
	return 0;
}

int main(void)
{
	tap_share();
	ngpu = vkfd_gpus(gpus, VKFD_MAX_GPUS);
	vram0 = vkfd_devices_sum("vram_used");
	sysmem_used(&sys0);
	tap_ok(run_child(run, NULL) == 0, "the test process ends well");
	tap_ok(wait_contexts(0, 20), "no device context left");
	tap_ok(devices_sum_is("vram_used", vram0), "no VRAM left");
	tap_ok(sysmem_is(sys0), "no system memory left");
	tap_plan(tap_count);
	return tap_done();
}
