// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Guest test: GPU memory through Debian's unmodified libhsakmt.
 *
 * hsaKmtAllocMemory of VRAM (host-visible) and of system memory, mapped
 * with hsaKmtMapMemoryToGPU / hsaKmtMapMemoryToGPUNodes, written and read
 * by the CPU, unmapped and freed; the driver's VRAM accounting follows.
 * Prints TAP.
 */
#define _GNU_SOURCE
#include <hsakmt.h>
#include <stdint.h>

#include "tap.h"
#include "kfd-util.h"
#include "tap-stderr.h"
#include "hsakmt-util.h"

#define MiB (1ULL << 20)

static unsigned long long vram_used(void)
{
	unsigned long long v = 0;
	FILE *f = fopen(KFD_SYSFS "/topology/nodes/1/mem_banks/0/used_memory",
			"r");

	if (f) {
		if (fscanf(f, "%llu", &v) != 1)
			v = 0;
		fclose(f);
	}
	return v;
}

static bool pattern_ok(uint32_t *p, size_t words, uint32_t seed)
{
	size_t i;

	for (i = 0; i < words; i++)
		p[i] = (uint32_t)(i * 2654435761u) ^ seed;
	for (i = 0; i < words; i++)
		if (p[i] != ((uint32_t)(i * 2654435761u) ^ seed))
			return false;
	return true;
}

static void test_vram(HSAuint32 node)
{
	HsaMemFlags flags = { .Value = 0 };
	unsigned long long before = vram_used();
	void *mem = NULL;
	HSAuint64 gpuva = 0;

	flags.ui32.HostAccess = 1;
	flags.ui32.NonPaged = 1;
	tap_ok(hsaKmtAllocMemory(node, 4 * MiB, flags, &mem) ==
	       HSAKMT_STATUS_SUCCESS && mem, "hsaKmtAllocMemory: 4 MiB VRAM");
	if (!mem)
		return;
	tap_ok(vram_used() >= before + 4 * MiB, "VRAM in use grew by 4 MiB");
	tap_ok(hsaKmtMapMemoryToGPU(mem, 4 * MiB, &gpuva) ==
	       HSAKMT_STATUS_SUCCESS, "hsaKmtMapMemoryToGPU");
	tap_ok(pattern_ok(mem, MiB, 0x1234), "the CPU reads what it wrote");
	tap_ok(hsaKmtUnmapMemoryToGPU(mem) == HSAKMT_STATUS_SUCCESS,
	       "hsaKmtUnmapMemoryToGPU");
	tap_ok(hsaKmtFreeMemory(mem, 4 * MiB) == HSAKMT_STATUS_SUCCESS,
	       "hsaKmtFreeMemory");
	tap_ok(vram_used() == before, "VRAM in use is back");
}

static void test_system(HSAuint32 gpu_node)
{
	HsaMemFlags flags = { .Value = 0 };
	HsaMemMapFlags mflags = { .Value = 0 };
	HSAuint32 nodes[1] = { gpu_node };
	void *mem = NULL;
	HSAuint64 gpuva = 0;

	flags.ui32.HostAccess = 1;
	flags.ui32.NonPaged = 1;
	tap_ok(hsaKmtAllocMemory(0, 2 * MiB, flags, &mem) ==
	       HSAKMT_STATUS_SUCCESS && mem,
	       "hsaKmtAllocMemory: 2 MiB of system memory");
	if (!mem)
		return;
	tap_ok(hsaKmtMapMemoryToGPUNodes(mem, 2 * MiB, &gpuva, mflags, 1,
					 nodes) == HSAKMT_STATUS_SUCCESS,
	       "hsaKmtMapMemoryToGPUNodes on the GPU node");
	tap_ok(pattern_ok(mem, MiB / 2, 0x777), "the CPU reads what it wrote");
	tap_ok(hsaKmtUnmapMemoryToGPU(mem) == HSAKMT_STATUS_SUCCESS,
	       "hsaKmtUnmapMemoryToGPU");
	tap_ok(hsaKmtFreeMemory(mem, 2 * MiB) == HSAKMT_STATUS_SUCCESS,
	       "hsaKmtFreeMemory");
}

int main(void)
{
	HsaSystemProperties sys;
	HSAuint32 gpu;

	/* libhsakmt's libdrm_amdgpu line must not break the TAP stream */
	tap_stderr_as_comments();
	if (!tap_ok(hsaKmtOpenKFD() == HSAKMT_STATUS_SUCCESS, "hsaKmtOpenKFD") ||
	    !tap_ok(hsaKmtAcquireSystemProperties(&sys) ==
		    HSAKMT_STATUS_SUCCESS, "hsaKmtAcquireSystemProperties"))
		return tap_done();
	gpu = hsakmt_gpu_node(&sys);
	if (tap_ok(gpu != 0, "a GPU node (%u)", gpu)) {
		test_vram(gpu);
		test_system(gpu);
	}
	hsaKmtReleaseSystemProperties();
	tap_ok(hsaKmtCloseKFD() == HSAKMT_STATUS_SUCCESS, "hsaKmtCloseKFD");
	printf("1..%d\n", tap_count);
	return tap_done();
}
