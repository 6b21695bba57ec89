// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Guest test: Debian's unmodified libhsakmt opens vkfd.
 *
 * hsaKmtOpenKFD reads the topology, opens every GPU's render node, binds
 * with ACQUIRE_VM and sets the memory policy; then the topology queries
 * must describe the vkfd devices the driver has.  Prints TAP.
 */
#define _GNU_SOURCE
#include <hsakmt.h>
#include <sys/wait.h>

#include "tap.h"
#include "kfd-util.h"
#include "tap-stderr.h"

static struct vkfd_gpu gpus[VKFD_MAX_GPUS];
static int ngpu;

/* libhsakmt 5.2.3 does not expose gpu_id: match by PCI location. */
static const struct vkfd_gpu *gpu_by_location(unsigned int location)
{
	int i;

	for (i = 0; i < ngpu; i++)
		if (gpus[i].location_id == location)
			return &gpus[i];
	return NULL;
}

static void check_gpu_node(HSAuint32 node, const HsaNodeProperties *np)
{
	const struct vkfd_gpu *g = gpu_by_location(np->LocationId);
	HsaMemoryProperties mem[8];
	HsaCacheProperties *caches;
	HsaIoLinkProperties links[8];
	HSAuint32 i;
	bool vram = false;

	tap_ok(g != NULL, "node %u: location 0x%x is a vkfd device", node,
	       np->LocationId);
	tap_ok(g && np->DrmRenderMinor == (HSAint32)g->render_minor,
	       "node %u: render minor %d", node, np->DrmRenderMinor);
	tap_ok(np->NumFComputeCores > 0 && np->NumCPUCores == 0,
	       "node %u: %u SIMDs, no CPU cores", node, np->NumFComputeCores);
	tap_ok(np->VendorId == 0x1002 && np->DeviceId != 0,
	       "node %u: AMD device 0x%04x", node, np->DeviceId);
	tap_ok(np->EngineId.ui32.Major == 9,
	       "node %u: gfx%u%u%x", node, np->EngineId.ui32.Major,
	       np->EngineId.ui32.Minor, np->EngineId.ui32.Stepping);
	tap_ok(np->NumMemoryBanks >= 1 && np->NumMemoryBanks <= 8,
	       "node %u: %u memory bank(s)", node, np->NumMemoryBanks);
	if (np->NumMemoryBanks <= 8 &&
	    hsaKmtGetNodeMemoryProperties(node, np->NumMemoryBanks, mem) ==
	    HSAKMT_STATUS_SUCCESS)
		for (i = 0; i < np->NumMemoryBanks; i++)
			vram |= (mem[i].HeapType == HSA_HEAPTYPE_FRAME_BUFFER_PUBLIC ||
				 mem[i].HeapType == HSA_HEAPTYPE_FRAME_BUFFER_PRIVATE) &&
				mem[i].SizeInBytes > 0;
	tap_ok(vram, "node %u: a VRAM bank", node);
	/* One entry per CU group and level: large GPUs list over a hundred. */
	caches = calloc(np->NumCaches + 1, sizeof(*caches));
	tap_ok(caches && np->NumCaches > 0 &&
	       hsaKmtGetNodeCacheProperties(node, 0, np->NumCaches, caches) ==
	       HSAKMT_STATUS_SUCCESS, "node %u: %u cache(s)", node,
	       np->NumCaches);
	free(caches);
	tap_ok(np->NumIOLinks >= 1 && np->NumIOLinks <= 8 &&
	       hsaKmtGetNodeIoLinkProperties(node, np->NumIOLinks, links) ==
	       HSAKMT_STATUS_SUCCESS && links[0].NodeFrom == node,
	       "node %u: %u IO link(s), first from this node", node,
	       np->NumIOLinks);
}

static void test_open_and_topology(void)
{
	HsaVersionInfo ver;
	HsaSystemProperties sys;
	HsaNodeProperties np;
	HSAuint32 node, gpu_nodes = 0;
	int drv, dev;

	if (!tap_ok(hsaKmtOpenKFD() == HSAKMT_STATUS_SUCCESS, "hsaKmtOpenKFD"))
		return;
	memset(&ver, 0, sizeof(ver));
	tap_ok(hsaKmtGetVersion(&ver) == HSAKMT_STATUS_SUCCESS,
	       "hsaKmtGetVersion");
	tap_ok(ver.KernelInterfaceMajorVersion == 1 &&
	       ver.KernelInterfaceMinorVersion == 19,
	       "the kernel interface is 1.19 (%u.%u)",
	       ver.KernelInterfaceMajorVersion,
	       ver.KernelInterfaceMinorVersion);
	tap_ok(wait_contexts(ngpu, 10),
	       "libhsakmt bound this process to every GPU (ACQUIRE_VM)");
	vkfd_contexts(&drv, &dev);

	if (!tap_ok(hsaKmtAcquireSystemProperties(&sys) ==
		    HSAKMT_STATUS_SUCCESS, "hsaKmtAcquireSystemProperties"))
		return;
	tap_ok(sys.NumNodes == (HSAuint32)ngpu + 1,
	       "%u nodes: one CPU node and %d GPU node(s)", sys.NumNodes, ngpu);
	for (node = 0; node < sys.NumNodes; node++) {
		if (!tap_ok(hsaKmtGetNodeProperties(node, &np) ==
			    HSAKMT_STATUS_SUCCESS, "hsaKmtGetNodeProperties(%u)",
			    node))
			continue;
		if (np.NumFComputeCores == 0) {
			tap_ok(node == 0 && np.NumCPUCores > 0 &&
			       np.NumFComputeCores == 0,
			       "node %u is the CPU node (%u cores)", node,
			       np.NumCPUCores);
			continue;
		}
		gpu_nodes++;
		check_gpu_node(node, &np);
	}
	tap_ok(gpu_nodes == (HSAuint32)ngpu, "%u GPU nodes", gpu_nodes);
	tap_ok(hsaKmtReleaseSystemProperties() == HSAKMT_STATUS_SUCCESS,
	       "hsaKmtReleaseSystemProperties");
}

/* libhsakmt's fork rule: the child re-opens and gets its own primary. */
static void test_fork(void)
{
	int status;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		int ok = hsaKmtOpenKFD() == HSAKMT_STATUS_SUCCESS &&
			 path_exists(KFD_PROC_SYSFS "/%d", getpid());

		hsaKmtCloseKFD();
		_exit(ok ? 0 : 1);
	}
	tap_ok(waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	       WEXITSTATUS(status) == 0,
	       "a forked child's hsaKmtOpenKFD gives it its own kfd_process");
	tap_ok(wait_contexts(ngpu, 10), "and its contexts went with it");
}

int main(void)
{
	/* libhsakmt's libdrm_amdgpu line must not break the TAP stream */
	tap_stderr_as_comments();

	ngpu = vkfd_gpus(gpus, VKFD_MAX_GPUS);
	tap_ok(ngpu >= 1, "%d vkfd device(s)", ngpu);
	test_open_and_topology();
	test_fork();
	tap_ok(hsaKmtCloseKFD() == HSAKMT_STATUS_SUCCESS, "hsaKmtCloseKFD");
	tap_ok(hsaKmtOpenKFD() == HSAKMT_STATUS_SUCCESS &&
	       hsaKmtCloseKFD() == HSAKMT_STATUS_SUCCESS,
	       "open and close again");
	printf("1..%d\n", tap_count);
	return tap_done();
}
