/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Helpers shared by the guest test programs: /dev/kfd, sysfs and the
 * driver's debugfs view of the device contexts.
 */
#ifndef VKFD_KFD_UTIL_H
#define VKFD_KFD_UTIL_H

#include <dirent.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "uapi/linux/kfd_ioctl.h"

/* Sizes, and the BO flags the tests use most, in short. */
#define MiB		(1ULL << 20)
#define GiB		(1ULL << 30)
#define VA0		0x100000000ULL	/* where the tests put their BOs */
#define F_VRAM		KFD_IOC_ALLOC_MEM_FLAGS_VRAM
#define F_GTT		KFD_IOC_ALLOC_MEM_FLAGS_GTT
#define F_USERPTR	KFD_IOC_ALLOC_MEM_FLAGS_USERPTR
#define F_DOORBELL	KFD_IOC_ALLOC_MEM_FLAGS_DOORBELL
#define F_MMIO		KFD_IOC_ALLOC_MEM_FLAGS_MMIO_REMAP
#define F_RW		((unsigned int)KFD_IOC_ALLOC_MEM_FLAGS_WRITABLE)

#define KFD_SYSFS		"/sys/devices/virtual/kfd/kfd"
#define KFD_PROC_SYSFS		KFD_SYSFS "/proc"
#define VKFD_DEBUGFS		"/sys/kernel/debug/vkfd"

static inline int kfd_open(void)
{
	return open("/dev/kfd", O_RDWR | O_CLOEXEC);
}

static inline bool path_exists(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

static inline bool path_exists(const char *fmt, ...)
{
	char path[256];
	struct stat st;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(path, sizeof(path), fmt, ap);
	va_end(ap);
	return stat(path, &st) == 0;
}

static inline double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * Sum of the device contexts over all vkfd devices, as the driver counts
 * them and as the devices report them.  Returns the number of devices.
 */
static inline int vkfd_contexts(int *driver, int *device)
{
	FILE *f = fopen(VKFD_DEBUGFS "/devices", "r");
	char line[512];
	int n = 0;

	*driver = *device = 0;
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		char *a = strstr(line, "driver_contexts ");
		char *b = strstr(line, "device_contexts ");

		if (!a || !b)
			continue;
		*driver += atoi(a + strlen("driver_contexts "));
		*device += atoi(b + strlen("device_contexts "));
		n++;
	}
	fclose(f);
	return n;
}

#define VKFD_MAX_GPUS 8

struct vkfd_gpu {
	unsigned int gpu_id;
	unsigned int render_minor;
	unsigned int location_id;	/* PCI bus << 8 | devfn */
};

/* The vkfd devices as the driver lists them; returns how many. */
static inline int vkfd_gpus(struct vkfd_gpu *gpus, int max)
{
	FILE *f = fopen(VKFD_DEBUGFS "/devices", "r");
	char line[512];
	int n = 0;

	if (!f)
		return -1;
	while (n < max && fgets(line, sizeof(line), f)) {
		char *a = strstr(line, "gpu_id ");
		char *b = strstr(line, "render_minor ");

		if (!a || !b)
			continue;
		unsigned int dom, bus, slot, fn;

		if (sscanf(line, "%x:%x:%x.%x", &dom, &bus, &slot, &fn) == 4)
			gpus[n].location_id = bus << 8 | slot << 3 | fn;
		gpus[n].gpu_id = atoi(a + strlen("gpu_id "));
		gpus[n].render_minor = atoi(b + strlen("render_minor "));
		n++;
	}
	fclose(f);
	return n;
}

static inline int open_render_node(const struct vkfd_gpu *gpu)
{
	char path[64];

	snprintf(path, sizeof(path), "/dev/dri/renderD%u", gpu->render_minor);
	return open(path, O_RDWR | O_CLOEXEC);
}

static inline int acquire_vm(int kfd, int drm_fd, unsigned int gpu_id)
{
	struct kfd_ioctl_acquire_vm_args args = {
		.drm_fd = drm_fd,
		.gpu_id = gpu_id,
	};

	return ioctl(kfd, AMDKFD_IOC_ACQUIRE_VM, &args);
}

/*
 * Bind the kfd_process behind kfd to every GPU, as libhsakmt does at
 * open: one render-node file each, adopted by ACQUIRE_VM (which keeps
 * its own reference, so ours is closed).  Returns 0 or -1.
 */
static inline int bind_all_gpus(int kfd)
{
	struct vkfd_gpu gpus[VKFD_MAX_GPUS];
	int i, n = vkfd_gpus(gpus, VKFD_MAX_GPUS);

	for (i = 0; i < n; i++) {
		int drm = open_render_node(&gpus[i]);
		int ret = drm < 0 ? -1 : acquire_vm(kfd, drm, gpus[i].gpu_id);

		if (drm >= 0)
			close(drm);
		if (ret)
			return -1;
	}
	return n > 0 ? 0 : -1;
}

/* Sum of a "key value" field of debugfs devices over all devices. */
static inline long long vkfd_devices_sum(const char *key)
{
	FILE *f = fopen(VKFD_DEBUGFS "/devices", "r");
	char line[512], pat[64];
	long long sum = 0;

	if (!f)
		return -1;
	snprintf(pat, sizeof(pat), " %s ", key);
	while (fgets(line, sizeof(line), f)) {
		char *a = strstr(line, pat);

		if (a)
			sum += atoll(a + strlen(pat));
	}
	fclose(f);
	return sum;
}

/* Buffer objects: thin wrappers of the memory ioctls. */
static inline int alloc_bo(int kfd, unsigned int gpu, uint64_t va, uint64_t size,
		    unsigned int flags, uint64_t *handle, uint64_t *offset)
{
	struct kfd_ioctl_alloc_memory_of_gpu_args a = {
		.va_addr = va, .size = size, .gpu_id = gpu, .flags = flags,
		.mmap_offset = offset ? *offset : 0,
	};
	int ret = ioctl(kfd, AMDKFD_IOC_ALLOC_MEMORY_OF_GPU, &a);

	if (!ret) {
		*handle = a.handle;
		if (offset)
			*offset = a.mmap_offset;
	}
	return ret;
}

static inline int free_bo(int kfd, uint64_t handle)
{
	struct kfd_ioctl_free_memory_of_gpu_args a = { .handle = handle };

	return ioctl(kfd, AMDKFD_IOC_FREE_MEMORY_OF_GPU, &a);
}

static inline int map_bo(int kfd, uint64_t handle, unsigned int *ids, unsigned int n,
		  bool map, unsigned int *n_success)
{
	struct kfd_ioctl_map_memory_to_gpu_args a = {
		.handle = handle, .device_ids_array_ptr = (uintptr_t)ids,
		.n_devices = n, .n_success = n_success ? *n_success : 0,
	};
	int ret = ioctl(kfd, map ? AMDKFD_IOC_MAP_MEMORY_TO_GPU
				 : AMDKFD_IOC_UNMAP_MEMORY_FROM_GPU, &a);

	if (n_success)
		*n_success = a.n_success;
	return ret;
}

static sigjmp_buf kfd_fault_jmp;

static inline void kfd_on_fault(int sig)
{
	siglongjmp(kfd_fault_jmp, sig);
}

/*
 * Read 4 bytes at p (into *val unless it is NULL); returns 0, or the
 * signal (SIGBUS, SIGSEGV) the read raised.
 */
static inline int peek(const void *p, uint32_t *val)
{
	struct sigaction sa = { .sa_handler = kfd_on_fault }, old_bus, old_segv;
	int sig;

	sigaction(SIGBUS, &sa, &old_bus);
	sigaction(SIGSEGV, &sa, &old_segv);
	sig = sigsetjmp(kfd_fault_jmp, 1);
	if (!sig && val)
		*val = *(volatile const uint32_t *)p;
	else if (!sig)
		(void)*(volatile const uint32_t *)p;
	sigaction(SIGBUS, &old_bus, NULL);
	sigaction(SIGSEGV, &old_segv, NULL);
	return sig;
}

/* AVAILABLE_MEMORY of one GPU, 0 if the call fails. */
static inline uint64_t available(int kfd, unsigned int gpu)
{
	struct kfd_ioctl_get_available_memory_args a = { .gpu_id = gpu };

	return ioctl(kfd, AMDKFD_IOC_AVAILABLE_MEMORY, &a) ? 0 : a.available;
}

/* Write text to a sysfs or debugfs file. */
static inline bool write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	bool ok;

	if (!f)
		return false;
	ok = fputs(text, f) >= 0;
	return fclose(f) == 0 && ok;
}

/* The PCI address of the device with this gpu_id (from debugfs). */
static inline bool bdf_of_gpu(unsigned int gpu_id, char *bdf, size_t size)
{
	FILE *f = fopen(VKFD_DEBUGFS "/devices", "r");
	char line[512], addr[64];
	unsigned int id;
	bool found = false;

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		if (sscanf(line, "%63s gpu_id %u", addr, &id) == 2 &&
		    id == gpu_id) {
			snprintf(bdf, size, "%s", addr);
			found = true;
		}
	fclose(f);
	return found;
}

/*
 * Run fn(arg) in a forked child (stdout flushed first, so TAP lines stay
 * in order); returns its exit status, or 128 + the signal that ended it.
 */
static inline int run_child(int (*fn)(void *), void *arg)
{
	int status;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid == 0)
		_exit(fn(arg));
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status)
				 : 128 + WTERMSIG(status);
}

/* Number of kfd_processes the driver knows (lines of debugfs processes). */
static inline int vkfd_process_count(void)
{
	FILE *f = fopen(VKFD_DEBUGFS "/processes", "r");
	char line[512];
	int n = 0;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		n++;
	fclose(f);
	return n;
}

/*
 * Releases run in a workqueue after the last reference goes; wait up to
 * timeout_s for the device context count to reach want.
 */
static inline bool wait_contexts(int want, double timeout_s)
{
	double end = now_s() + timeout_s;
	int drv, dev;

	do {
		vkfd_contexts(&drv, &dev);
		if (drv == want && dev == want)
			return true;
		usleep(2000);
	} while (now_s() < end);
	return false;
}

static inline bool wait_path_gone(const char *path, double timeout_s)
{
	double end = now_s() + timeout_s;
	struct stat st;

	do {
		if (stat(path, &st))
			return true;
		usleep(2000);
	} while (now_s() < end);
	return false;
}

/* How many entries of dir start with prefix; -1 if dir cannot be read. */
static inline int count_entries(const char *dir, const char *prefix)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		n += !strncmp(e->d_name, prefix, strlen(prefix));
	closedir(d);
	return n;
}

/*
 * debugfs vkfd/sysmem: amdkfd's system-memory limit and the pages counted
 * against it.
 */
static inline bool sysmem_pages(unsigned long *limit, unsigned long *used)
{
	FILE *f = fopen(VKFD_DEBUGFS "/sysmem", "r");
	bool ok;

	if (!f)
		return false;
	ok = fscanf(f, "limit_pages %lu used_pages %lu", limit, used) == 2;
	fclose(f);
	return ok;
}

static inline bool sysmem_used(unsigned long *used)
{
	unsigned long limit;

	return sysmem_pages(&limit, used);
}

#endif /* VKFD_KFD_UTIL_H */
