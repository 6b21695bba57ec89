// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Guest test: GPU memory through /dev/kfd -- ALLOC/FREE/MAP/UNMAP of
 * VRAM, GTT, USERPTR, DOORBELL and MMIO_REMAP buffer objects, their CPU
 * mappings, AVAILABLE_MEMORY, GET_TILE_CONFIG, SET_SCRATCH_BACKING_VA,
 * the VRAM accounting in sysfs, bad input, and teardown at exit and
 * close.  Prints TAP; works with one or more vkfd devices.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "tap.h"
#include "kfd-util.h"


static struct vkfd_gpu gpus[VKFD_MAX_GPUS];
static int ngpu;
static int drm_fd[VKFD_MAX_GPUS];	/* the render files our VMs use */

/* Releases are asynchronous after exit: wait for the free VRAM. */
static bool available_is(int kfd, unsigned int gpu, uint64_t want)
{
	double end = now_s() + 20;

	do {
		if (available(kfd, gpu) == want)
			return true;
		usleep(2000);
	} while (now_s() < end);
	return false;
}

static unsigned long long read_ull(const char *fmt, ...)
{
	char path[256];
	unsigned long long v = ~0ULL;
	va_list ap;
	FILE *f;

	va_start(ap, fmt);
	vsnprintf(path, sizeof(path), fmt, ap);
	va_end(ap);
	f = fopen(path, "r");
	if (f) {
		if (fscanf(f, "%llu", &v) != 1)
			v = ~0ULL;
		fclose(f);
	}
	return v;
}

static unsigned long long sysfs_vram(unsigned int gpu)
{
	return read_ull(KFD_PROC_SYSFS "/%d/vram_%u", getpid(), gpu);
}

/* Open /dev/kfd and bind to every GPU, keeping our render fds. */
static int open_bound(void)
{
	int kfd = kfd_open(), i;

	for (i = 0; i < ngpu; i++) {
		drm_fd[i] = open_render_node(&gpus[i]);
		if (acquire_vm(kfd, drm_fd[i], gpus[i].gpu_id))
			return -1;
	}
	return kfd;
}

static void test_unbound(void)
{
	int kfd = kfd_open();
	uint64_t h;

	tap_errno(alloc_bo(kfd, gpus[0].gpu_id, VA0, MiB, F_VRAM | F_RW, &h,
			   NULL), ENODEV, "ALLOC before ACQUIRE_VM: ENODEV");
	tap_errno(alloc_bo(kfd, 12345, VA0, MiB, F_VRAM, &h, NULL), EINVAL,
		  "ALLOC on an unknown gpu_id: EINVAL");
	close(kfd);
}

static void test_vram(int kfd)
{
	unsigned int gpu = gpus[0].gpu_id, ids[1] = { gpu }, n = 0;
	uint64_t before = available(kfd, gpu), h, off = 0, i;
	uint32_t *cpu;
	bool same = true;

	tap_ok(before > 0, "AVAILABLE_MEMORY: %llu bytes of VRAM free",
	       (unsigned long long)before);
	tap_zero(alloc_bo(kfd, gpu, VA0, 4 * MiB, F_VRAM | F_RW, &h, &off),
		 "ALLOC 4 MiB of VRAM");
	tap_ok(h >> 32 == gpu, "the handle carries the gpu_id");
	tap_ok(available(kfd, gpu) == before - 4 * MiB,
	       "AVAILABLE_MEMORY went down by 4 MiB");
	tap_ok(sysfs_vram(gpu) == 4 * MiB, "proc/<pid>/vram_%u = 4 MiB", gpu);
	tap_ok(read_ull(KFD_SYSFS "/topology/nodes/1/mem_banks/0/used_memory")
	       >= 4 * MiB, "topology used_memory counts it");

	cpu = mmap(NULL, 4 * MiB, PROT_READ | PROT_WRITE, MAP_SHARED,
		   drm_fd[0], off);
	tap_ok(cpu != MAP_FAILED, "mmap through the render node");
	if (cpu != MAP_FAILED) {
		for (i = 0; i < MiB; i++)
			same &= cpu[i] == 0;
		tap_ok(same, "new VRAM reads as zeros");
		for (i = 0; i < MiB; i++)
			cpu[i] = (uint32_t)(i * 2654435761u);
		same = true;
		for (i = 0; i < MiB; i++)
			same &= cpu[i] == (uint32_t)(i * 2654435761u);
		tap_ok(same, "CPU writes read back through the mapping");
	}
	tap_errno(mmap(NULL, 4 * MiB, PROT_READ, MAP_PRIVATE, drm_fd[0], off),
		  EINVAL, "a private readable mapping is refused");
	{
		void *r = mmap(NULL, 4 * MiB, PROT_NONE, MAP_PRIVATE, drm_fd[0],
			       off);

		tap_ok(r != MAP_FAILED, "a PROT_NONE reservation is allowed");
		tap_errno(mprotect(r, 4096, PROT_READ), EACCES,
			  "and can never be made accessible");
		munmap(r, 4 * MiB);
	}
	tap_errno(mmap(NULL, 8 * MiB, PROT_READ, MAP_SHARED, drm_fd[0], off),
		  EINVAL, "a mapping larger than the BO is refused");

	tap_zero(map_bo(kfd, h, ids, 1, true, &n), "MAP_MEMORY_TO_GPU");
	tap_ok(n == 1, "n_success 1");
	tap_zero(map_bo(kfd, h, ids, 1, false, NULL), "UNMAP_MEMORY_FROM_GPU");
	tap_errno(map_bo(kfd, h, ids, 1, false, NULL), EINVAL,
		  "UNMAP of an unmapped BO: EINVAL");
	n = 0;
	tap_zero(map_bo(kfd, h, ids, 1, true, &n), "MAP again");
	tap_zero(free_bo(kfd, h), "FREE while mapped");
	tap_ok(available(kfd, gpu) == before && sysfs_vram(gpu) == 0,
	       "the VRAM is back, vram_%u 0", gpu);
	tap_errno(free_bo(kfd, h), EINVAL, "double FREE: EINVAL");
	if (cpu != MAP_FAILED) {
		/* the CPU mapping died with the BO: touching it faults */
		tap_ok(peek(cpu, NULL) == SIGBUS,
		       "the freed BO's CPU mapping faults (SIGBUS)");
		munmap(cpu, 4 * MiB);
	}
}

static void test_system_memory(int kfd)
{
	unsigned int gpu = gpus[0].gpu_id, ids[1] = { gpu }, n = 0;
	uint64_t h, off = 0, i;
	uint8_t *buf, *cpu;
	bool same = true;

	tap_zero(alloc_bo(kfd, gpu, VA0, 2 * MiB, F_GTT | F_RW, &h, &off),
		 "ALLOC 2 MiB of GTT");
	cpu = mmap(NULL, 2 * MiB, PROT_READ | PROT_WRITE, MAP_SHARED,
		   drm_fd[0], off);
	tap_ok(cpu != MAP_FAILED, "mmap GTT through the render node");
	if (cpu != MAP_FAILED) {
		memset(cpu, 0x5a, 2 * MiB);
		for (i = 0; i < 2 * MiB; i += 4096)
			same &= cpu[i] == 0x5a;
		tap_ok(same, "CPU writes read back");
		munmap(cpu, 2 * MiB);
	}
	tap_zero(map_bo(kfd, h, ids, 1, true, &n), "MAP GTT");
	tap_zero(free_bo(kfd, h), "FREE GTT");

	buf = aligned_alloc(4096, MiB);
	memset(buf, 1, MiB);
	off = (uintptr_t)buf;
	tap_zero(alloc_bo(kfd, gpu, VA0, MiB, F_USERPTR | F_RW, &h, &off),
		 "ALLOC USERPTR of our own memory");
	n = 0;
	tap_zero(map_bo(kfd, h, ids, 1, true, &n), "MAP USERPTR");
	tap_zero(free_bo(kfd, h), "FREE USERPTR");
	off = (uintptr_t)buf + 8;
	tap_errno(alloc_bo(kfd, gpu, VA0, MiB, F_USERPTR, &h, &off), EINVAL,
		  "USERPTR of an unaligned address: EINVAL");
	cpu = mmap(NULL, MiB, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	munmap(cpu, MiB);
	off = (uintptr_t)cpu;
	tap_errno(alloc_bo(kfd, gpu, VA0, MiB, F_USERPTR, &h, &off), EFAULT,
		  "USERPTR of unmapped memory: EFAULT");
	free(buf);
}

static void test_doorbell_and_mmio(int kfd)
{
	unsigned int gpu = gpus[0].gpu_id, ids[1] = { gpu }, n = 0;
	uint64_t h, h2, off;
	void *db, *mmio;

	tap_errno(alloc_bo(kfd, gpu, VA0, 4096, F_DOORBELL, &h, NULL), EINVAL,
		  "DOORBELL of the wrong size: EINVAL");
	tap_zero(alloc_bo(kfd, gpu, VA0, 8192, F_DOORBELL | F_RW, &h, &off),
		 "ALLOC the DOORBELL page");
	tap_ok(off >> 62 == 3 && ((off >> 46) & 0xffff) == gpu,
	       "its mmap offset is amdkfd's doorbell offset for gpu %u", gpu);
	db = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, kfd, off);
	tap_ok(db != MAP_FAILED, "mmap the doorbell page from /dev/kfd");
	tap_errno(mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, kfd, off),
		  EINVAL, "a doorbell mapping of the wrong size is refused");
	tap_zero(map_bo(kfd, h, ids, 1, true, &n), "MAP the doorbell BO");

	tap_errno(alloc_bo(kfd, gpu, VA0 + MiB, 8192, F_MMIO, &h2, NULL),
		  EINVAL, "MMIO_REMAP of the wrong size: EINVAL");
	tap_zero(alloc_bo(kfd, gpu, VA0 + MiB, 4096, F_MMIO | F_RW, &h2, &off),
		 "ALLOC the MMIO remap page");
	mmio = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, kfd, off);
	tap_ok(mmio != MAP_FAILED, "mmap the HDP flush page");
	if (mmio != MAP_FAILED) {
		*(volatile uint32_t *)mmio = 1;	/* an HDP flush */
		munmap(mmio, 4096);
	}
	tap_errno(mmap(NULL, 4096, PROT_READ, MAP_SHARED, kfd,
		       (2ULL << 62) | ((uint64_t)gpu << 46)), EINVAL,
		  "the events page is not there yet: EINVAL");
	tap_errno(mmap(NULL, 8192, PROT_READ, MAP_SHARED, kfd,
		       (3ULL << 62) | (12345ULL << 46)), ENODEV,
		  "a doorbell offset of an unknown GPU: ENODEV");
	if (db != MAP_FAILED)
		munmap(db, 8192);
	tap_zero(free_bo(kfd, h), "FREE the doorbell BO");
	tap_zero(free_bo(kfd, h2), "FREE the MMIO BO");
}

static void test_bad_input(int kfd)
{
	unsigned int gpu = gpus[0].gpu_id, ids[2] = { gpu, 12345 }, n;
	uint64_t h, h2, big = available(kfd, gpu) + MiB;

	tap_errno(alloc_bo(kfd, gpu, VA0, 0, F_VRAM, &h, NULL), EINVAL,
		  "size 0: EINVAL");
	tap_errno(alloc_bo(kfd, gpu, VA0, 1000, F_VRAM, &h, NULL), EINVAL,
		  "a size that is not page aligned: EINVAL");
	tap_errno(alloc_bo(kfd, gpu, VA0 + 8, MiB, F_VRAM, &h, NULL), EINVAL,
		  "an unaligned VA: EINVAL");
	tap_errno(alloc_bo(kfd, gpu, VA0, MiB, F_RW, &h, NULL), EINVAL,
		  "no memory type: EINVAL");
	tap_errno(alloc_bo(kfd, gpu, 0x1000, MiB, F_VRAM, &h, NULL), EINVAL,
		  "a VA below the GPUVM aperture: EINVAL");
	tap_errno(alloc_bo(kfd, gpu, 0x7ffffff00000ULL, 2 * MiB, F_VRAM, &h,
			   NULL), EINVAL, "a VA range past the aperture: EINVAL");
	tap_errno(alloc_bo(kfd, gpu, VA0, big & ~0xfffULL, F_VRAM, &h, NULL),
		  ENOMEM, "more VRAM than there is: ENOMEM");
	tap_errno(alloc_bo(kfd, gpu, VA0, 1ULL << 45, F_GTT, &h, NULL), ENOMEM,
		  "a huge GTT BO: ENOMEM");

	tap_zero(alloc_bo(kfd, gpu, VA0, 2 * MiB, F_VRAM, &h, NULL),
		 "a BO at VA0");
	tap_errno(alloc_bo(kfd, gpu, VA0 + MiB, 2 * MiB, F_VRAM, &h2, NULL),
		  EINVAL, "an overlapping VA: EINVAL");
	tap_errno(alloc_bo(kfd, gpu, VA0 - MiB, 2 * MiB, F_GTT, &h2, NULL),
		  EINVAL, "an overlap from below: EINVAL");
	tap_zero(alloc_bo(kfd, gpu, VA0 + 2 * MiB, MiB, F_VRAM, &h2, NULL),
		 "an adjacent BO is fine");
	tap_errno(free_bo(kfd, h + 1000), EINVAL, "FREE of an unknown handle");
	tap_errno(free_bo(kfd, ((uint64_t)12345 << 32) | (uint32_t)h), EINVAL,
		  "FREE with an unknown gpu_id in the handle");
	tap_errno(map_bo(kfd, h, ids, 0, true, NULL), EINVAL,
		  "MAP to 0 devices: EINVAL");
	n = 3;
	tap_errno(map_bo(kfd, h, ids, 2, true, &n), EINVAL,
		  "MAP with n_success > n_devices: EINVAL");
	n = 0;
	tap_errno(map_bo(kfd, h, ids, 2, true, &n), EINVAL,
		  "MAP to an unknown GPU: EINVAL");
	tap_ok(n == 1, "after mapping on the good GPU first (n_success %u)", n);
	tap_errno(map_bo(kfd, h, (unsigned int *)8, 1, true, NULL), EFAULT,
		  "MAP with a bad device array: EFAULT");
	tap_errno(map_bo(kfd, h + 1000, ids, 1, true, NULL), EINVAL,
		  "MAP of an unknown handle: EINVAL");
	tap_zero(free_bo(kfd, h), "FREE");
	tap_zero(free_bo(kfd, h2), "FREE");
}

static void test_misc_ioctls(int kfd)
{
	struct kfd_ioctl_get_tile_config_args t = { .gpu_id = gpus[0].gpu_id };
	struct kfd_ioctl_set_scratch_backing_va_args sc = {
		.va_addr = VA0, .gpu_id = gpus[0].gpu_id,
	};
	struct kfd_ioctl_get_available_memory_args av = { .gpu_id = 12345 };

	tap_zero(ioctl(kfd, AMDKFD_IOC_GET_TILE_CONFIG, &t), "GET_TILE_CONFIG");
	tap_ok(t.gb_addr_config != 0 && t.num_tile_configs == 0,
	       "GFX9: gb_addr_config 0x%x, no tile tables", t.gb_addr_config);
	t.gpu_id = 12345;
	tap_errno(ioctl(kfd, AMDKFD_IOC_GET_TILE_CONFIG, &t), EINVAL,
		  "GET_TILE_CONFIG of an unknown GPU");
	tap_zero(ioctl(kfd, AMDKFD_IOC_SET_SCRATCH_BACKING_VA, &sc),
		 "SET_SCRATCH_BACKING_VA");
	tap_errno(ioctl(kfd, AMDKFD_IOC_AVAILABLE_MEMORY, &av), EINVAL,
		  "AVAILABLE_MEMORY of an unknown GPU");
}

/* In a child of its own: a process bound to GPU 0 only. */
static int test_unbound_peer(void *arg)
{
	unsigned int ids[1] = { gpus[1].gpu_id }, n = 0;
	int kfd = kfd_open(), drm = open_render_node(&gpus[0]);
	uint64_t h;

	acquire_vm(kfd, drm, gpus[0].gpu_id);
	close(drm);
	alloc_bo(kfd, gpus[0].gpu_id, VA0, MiB, F_VRAM, &h, NULL);
	tap_errno(map_bo(kfd, h, ids, 1, true, &n), ENODEV,
		  "MAP to a GPU this process never bound: ENODEV");
	close(kfd);
	return 0;
}

static void test_peer_mapping(int kfd)
{
	unsigned int ids[2] = { gpus[0].gpu_id, gpus[1].gpu_id }, n = 0;
	uint64_t h;

	tap_zero(alloc_bo(kfd, gpus[0].gpu_id, VA0, MiB, F_VRAM | F_RW, &h,
			  NULL), "a VRAM BO on GPU 0");
	tap_zero(map_bo(kfd, h, ids, 2, true, &n), "mapped on both GPUs");
	tap_ok(n == 2, "n_success 2");
	tap_zero(map_bo(kfd, h, ids + 1, 1, false, NULL), "unmapped from GPU 1");
	tap_zero(free_bo(kfd, h), "freed");
}

/* Children allocate and leave without freeing: teardown must. */
static int leaker(void *arg)
{
	int kfd = open_bound(), i, sec = *(int *)arg;
	unsigned int ids[1];
	uint64_t h;

	if (kfd < 0)
		return 1;
	if (sec) {
		int s = kfd_open();

		if (ioctl(s, AMDKFD_IOC_CREATE_PROCESS) || bind_all_gpus(s))
			return 2;
		kfd = s;
	}
	ids[0] = gpus[0].gpu_id;
	for (i = 0; i < 200; i++) {
		unsigned int n = 0;

		if (alloc_bo(kfd, gpus[i % ngpu].gpu_id, VA0 + i * 2 * MiB,
			     i % 3 ? 256 * 1024 : 64 * 1024,
			     (i % 2 ? F_VRAM : F_GTT) | F_RW, &h, NULL))
			return 3;
		if (gpus[i % ngpu].gpu_id == ids[0] &&
		    map_bo(kfd, h, ids, 1, true, &n))
			return 4;
		if (i % 4 == 0 && free_bo(kfd, h))
			return 5;
	}
	if (sec)
		close(kfd);	/* a secondary frees at close */
	return 0;
}


static void test_teardown_and_stress(int kfd)
{
	uint64_t before = available(kfd, gpus[0].gpu_id);
	int sec = 0, rounds, bad = 0;
	pid_t pids[6];

	tap_ok(run_child(leaker, &sec) == 0,
	       "a child makes 200 BOs and exits without freeing most");
	tap_ok(available_is(kfd, gpus[0].gpu_id, before),
	       "its VRAM came back at exit");
	sec = 1;
	tap_ok(run_child(leaker, &sec) == 0,
	       "a secondary makes 200 BOs and closes its file");
	tap_ok(available_is(kfd, gpus[0].gpu_id, before),
	       "its VRAM came back at close");
	/* three processes and three secondaries at once */
	for (rounds = 0; rounds < 6; rounds++) {
		fflush(stdout);
		pids[rounds] = fork();
		if (pids[rounds] == 0) {
			sec = rounds % 2;
			_exit(leaker(&sec));
		}
	}
	for (rounds = 0; rounds < 6; rounds++) {
		int status;

		waitpid(pids[rounds], &status, 0);
		bad += !WIFEXITED(status) || WEXITSTATUS(status);
	}
	tap_ok(bad == 0, "6 concurrent processes and secondaries, 200 BOs each");
	tap_ok(available_is(kfd, gpus[0].gpu_id, before) &&
	       sysfs_vram(gpus[0].gpu_id) == 0, "all their VRAM came back");
}

int main(void)
{
	int kfd, pid, status;

	ngpu = vkfd_gpus(gpus, VKFD_MAX_GPUS);
	tap_ok(ngpu >= 1, "%d vkfd device(s)", ngpu);
	tap_share();
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		test_unbound();
		kfd = open_bound();
		if (!tap_ok(kfd >= 0, "bound to every GPU"))
			_exit(1);
		test_vram(kfd);
		test_system_memory(kfd);
		test_doorbell_and_mmio(kfd);
		test_bad_input(kfd);
		test_misc_ioctls(kfd);
		if (ngpu > 1) {
			test_peer_mapping(kfd);
			run_child(test_unbound_peer, NULL);
		}
		test_teardown_and_stress(kfd);
		fflush(stdout);
		_exit(0);
	}
	waitpid(pid, &status, 0);
	tap_ok(WIFEXITED(status) && wait_contexts(0, 10),
	       "the test process is gone with all its contexts");
	tap_ok(vkfd_devices_sum("pt_pages") == 0 &&
	       vkfd_devices_sum("vram_used") == 0,
	       "no page table and no VRAM left on any device");
	printf("1..%d\n", tap_count);
	return tap_done();
}
