// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Guest benchmark: buffer-object operations per second through /dev/kfd.
 *
 * One cycle is ALLOC + MAP_MEMORY_TO_GPU + UNMAP + FREE of one BO; it is
 * run for VRAM and GTT BOs of 4 KiB, 64 KiB and 1 MiB.  The map and unmap
 * write and clear page-table entries and send an INVALIDATE_TLB to the
 * device, so the larger sizes show the cost per page.  All sizes run in
 * one boot: compare the ratios, not the absolute rates.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "kfd-util.h"

static int kfd;
static unsigned int gpu_id;

static int cycle(uint64_t size, unsigned int flags)
{
	struct kfd_ioctl_alloc_memory_of_gpu_args a = {
		.va_addr = 0x100000000ULL, .size = size, .gpu_id = gpu_id,
		.flags = flags | KFD_IOC_ALLOC_MEM_FLAGS_WRITABLE,
	};
	struct kfd_ioctl_map_memory_to_gpu_args m = { 0 };
	struct kfd_ioctl_free_memory_of_gpu_args f = { 0 };
	unsigned int ids[1] = { gpu_id };

	if (ioctl(kfd, AMDKFD_IOC_ALLOC_MEMORY_OF_GPU, &a))
		return -1;
	m.handle = a.handle;
	m.device_ids_array_ptr = (uintptr_t)ids;
	m.n_devices = 1;
	if (ioctl(kfd, AMDKFD_IOC_MAP_MEMORY_TO_GPU, &m))
		return -1;
	m.n_success = 0;
	if (ioctl(kfd, AMDKFD_IOC_UNMAP_MEMORY_FROM_GPU, &m))
		return -1;
	f.handle = a.handle;
	return ioctl(kfd, AMDKFD_IOC_FREE_MEMORY_OF_GPU, &f);
}

int main(int argc, char **argv)
{
	static const uint64_t sizes[] = { 4096, 65536, 1 << 20 };
	static const struct { const char *name; unsigned int flag; } kinds[] = {
		{ "VRAM", KFD_IOC_ALLOC_MEM_FLAGS_VRAM },
		{ "GTT", KFD_IOC_ALLOC_MEM_FLAGS_GTT },
	};
	int n = argc > 1 ? atoi(argv[1]) : 2000, failures = 0, i, k, s;
	struct vkfd_gpu gpus[VKFD_MAX_GPUS];
	double base = 0;

	kfd = kfd_open();
	if (vkfd_gpus(gpus, VKFD_MAX_GPUS) < 1 || kfd < 0) {
		fprintf(stderr, "no vkfd device\n");
		return 1;
	}
	gpu_id = gpus[0].gpu_id;
	if (bind_all_gpus(kfd)) {
		perror("ACQUIRE_VM");
		return 1;
	}
	printf("%-5s %8s %12s %10s %14s\n", "kind", "size", "cycles/s",
	       "vs 4K VRAM", "us per page");
	for (k = 0; k < 2; k++) {
		for (s = 0; s < 3; s++) {
			int cycles = sizes[s] >= (1 << 20) ? n / 10 : n;
			double t0 = now_s(), rate;

			for (i = 0; i < cycles; i++)
				failures += cycle(sizes[s], kinds[k].flag) != 0;
			rate = cycles / (now_s() - t0);
			if (!base)
				base = rate;
			printf("%-5s %8llu %12.0f %9.2fx %14.2f\n",
			       kinds[k].name, (unsigned long long)sizes[s], rate,
			       base / rate, 1e6 / rate / (sizes[s] / 4096));
		}
	}
	printf("failures: %d\n", failures);
	return failures ? 1 : 0;
}
