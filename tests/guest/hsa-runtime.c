// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Debian's unmodified ROCr (libhsa-runtime64 5.2.3) on vkfd, through its
 * public API: init, agents and their pools, allocation from every pool
 * that allows it, an AQL queue and a signal, host -> VRAM -> host copies
 * with hsa_amd_memory_async_copy (SDMA) checked byte for byte, shut down.
 *
 * Run as root in a guest with the ROCm user stack (scripts/vkfd-vm --rocm,
 * docs/rocm.md).  TAP on stdout; the runtime's own stderr (libdrm's
 * "DRM version" line, ROCr's warnings) comes out as TAP comments, through
 * the parent process, so that a crash inside the runtime is reported too.
 */
#include <hsa/hsa.h>
#include <hsa/hsa_ext_amd.h>
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tap.h"
#include "tap-stderr.h"

#define MAX_GPUS	8
#define MAX_POOLS	8
#define COPY_BYTES	(4u << 20)	/* spans several SDMA packets */
#define WAIT_NS		(30ull * 1000 * 1000 * 1000)

struct agent_info {
	hsa_agent_t agent;
	char name[64];
	char label[96];			/* "CPU", "GPU 0 gfx90a" */
	uint32_t cus;
	uint32_t wave;
	hsa_amd_memory_pool_t pools[MAX_POOLS];
	int npools;
};

static struct agent_info cpu;
static struct agent_info gpus[MAX_GPUS];
static int ngpus, ncpus;

/* GPU nodes in the KFD topology: what the runtime must find. */
static int topology_gpus(void)
{
	const char *dir = "/sys/devices/virtual/kfd/kfd/topology/nodes";
	struct dirent *e;
	int count = 0;
	DIR *d = opendir(dir);

	if (!d)
		return -1;
	while ((e = readdir(d))) {
		char path[512];
		unsigned long id = 0;
		FILE *f;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s/gpu_id", dir, e->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fscanf(f, "%lu", &id) == 1 && id)
			count++;
		fclose(f);
	}
	closedir(d);
	return count;
}

static hsa_status_t pool_cb(hsa_amd_memory_pool_t pool, void *data)
{
	struct agent_info *a = data;

	if (a->npools < MAX_POOLS)
		a->pools[a->npools++] = pool;
	return HSA_STATUS_SUCCESS;
}

static hsa_status_t agent_cb(hsa_agent_t agent, void *data)
{
	hsa_device_type_t type;
	struct agent_info *a;
	char name[64] = "";

	if (hsa_agent_get_info(agent, HSA_AGENT_INFO_DEVICE, &type))
		return HSA_STATUS_ERROR;
	if (type == HSA_DEVICE_TYPE_CPU) {
		ncpus++;
		if (ncpus > 1)
			return HSA_STATUS_SUCCESS;
		a = &cpu;
	} else if (type == HSA_DEVICE_TYPE_GPU && ngpus < MAX_GPUS) {
		a = &gpus[ngpus++];
	} else {
		return HSA_STATUS_SUCCESS;
	}
	a->agent = agent;
	hsa_agent_get_info(agent, HSA_AGENT_INFO_NAME, name);
	memcpy(a->name, name, sizeof(a->name));
	if (a == &cpu)
		snprintf(a->label, sizeof(a->label), "CPU");
	else
		snprintf(a->label, sizeof(a->label), "GPU %d %s",
			 (int)(a - gpus), name);
	hsa_agent_get_info(agent, HSA_AGENT_INFO_WAVEFRONT_SIZE, &a->wave);
	hsa_agent_get_info(agent, (hsa_agent_info_t)
			   HSA_AMD_AGENT_INFO_COMPUTE_UNIT_COUNT, &a->cus);
	return hsa_amd_agent_iterate_memory_pools(agent, pool_cb, a);
}

static bool pool_get(hsa_amd_memory_pool_t p, int what, void *out)
{
	return hsa_amd_memory_pool_get_info(p, what, out) == HSA_STATUS_SUCCESS;
}

/* The first pool of an agent in the global segment with these flags. */
static bool find_pool(struct agent_info *a, uint32_t flag,
		      hsa_amd_memory_pool_t *out)
{
	int i;

	for (i = 0; i < a->npools; i++) {
		hsa_amd_segment_t seg;
		uint32_t flags = 0;
		bool alloc = false;

		if (!pool_get(a->pools[i], HSA_AMD_MEMORY_POOL_INFO_SEGMENT,
			      &seg) || seg != HSA_AMD_SEGMENT_GLOBAL)
			continue;
		pool_get(a->pools[i], HSA_AMD_MEMORY_POOL_INFO_GLOBAL_FLAGS,
			 &flags);
		pool_get(a->pools[i],
			 HSA_AMD_MEMORY_POOL_INFO_RUNTIME_ALLOC_ALLOWED,
			 &alloc);
		if (alloc && (flags & flag)) {
			*out = a->pools[i];
			return true;
		}
	}
	return false;
}

/* Allocate and free 64 KiB from every pool of a that allows allocation. */
static void check_pools(struct agent_info *a)
{
	int i;

	for (i = 0; i < a->npools; i++) {
		hsa_amd_segment_t seg = 0;
		bool alloc = false;
		size_t size = 0;
		void *p = NULL;
		hsa_status_t st;

		pool_get(a->pools[i], HSA_AMD_MEMORY_POOL_INFO_SEGMENT, &seg);
		pool_get(a->pools[i], HSA_AMD_MEMORY_POOL_INFO_SIZE, &size);
		pool_get(a->pools[i],
			 HSA_AMD_MEMORY_POOL_INFO_RUNTIME_ALLOC_ALLOWED,
			 &alloc);
		tap_diag("%s pool %d: segment %d, %zu KiB, %s", a->label, i,
			 seg, size >> 10, alloc ? "allocatable" : "fixed");
		if (!alloc)
			continue;
		st = hsa_amd_memory_pool_allocate(a->pools[i], 64 << 10, 0, &p);
		tap_ok(st == HSA_STATUS_SUCCESS && p && size >= (64 << 10),
		       "%s pool %d: allocate 64 KiB (status 0x%x)", a->label,
		       i, st);
		if (st == HSA_STATUS_SUCCESS)
			tap_ok(hsa_amd_memory_pool_free(p) == HSA_STATUS_SUCCESS,
			       "%s pool %d: free", a->label, i);
	}
}

static bool wait_signal(hsa_signal_t s, hsa_signal_value_t until)
{
	return hsa_signal_wait_scacquire(s, HSA_SIGNAL_CONDITION_LT, until,
					 WAIT_NS, HSA_WAIT_STATE_BLOCKED) <
	       until;
}

/* host -> VRAM -> host through the runtime's copy engine path. */
static void check_copy(struct agent_info *g, hsa_amd_memory_pool_t host_pool)
{
	hsa_amd_memory_pool_t vram_pool;
	uint8_t *src = NULL, *dst = NULL;
	hsa_agent_t both[2] = { cpu.agent, g->agent };
	hsa_signal_t done;
	void *vram = NULL;
	size_t i, bad = 0;

	if (!tap_ok(find_pool(g, HSA_AMD_MEMORY_POOL_GLOBAL_FLAG_COARSE_GRAINED,
			      &vram_pool), "%s: a coarse-grained VRAM pool",
		    g->label))
		return;
	if (!tap_ok(hsa_amd_memory_pool_allocate(host_pool, COPY_BYTES, 0,
						 (void **)&src) == 0 &&
		    hsa_amd_memory_pool_allocate(host_pool, COPY_BYTES, 0,
						 (void **)&dst) == 0 &&
		    hsa_amd_memory_pool_allocate(vram_pool, COPY_BYTES, 0,
						 &vram) == 0,
		    "%s: %u MiB of host memory twice and of VRAM", g->label,
		    COPY_BYTES >> 20))
		return;
	tap_ok(hsa_amd_agents_allow_access(2, both, NULL, src) == 0 &&
	       hsa_amd_agents_allow_access(2, both, NULL, dst) == 0,
	       "%s: host buffers made accessible to the GPU", g->label);
	for (i = 0; i < COPY_BYTES; i++)
		src[i] = (uint8_t)(i * 131 + (i >> 12) + 7);
	memset(dst, 0, COPY_BYTES);

	tap_ok(hsa_signal_create(1, 0, NULL, &done) == 0,
	       "%s: completion signal", g->label);
	tap_ok(hsa_amd_memory_async_copy(vram, g->agent, src, cpu.agent,
					 COPY_BYTES, 0, NULL, done) == 0 &&
	       wait_signal(done, 1),
	       "%s: async copy host -> VRAM completes", g->label);
	hsa_signal_store_screlease(done, 1);
	tap_ok(hsa_amd_memory_async_copy(dst, cpu.agent, vram, g->agent,
					 COPY_BYTES, 0, NULL, done) == 0 &&
	       wait_signal(done, 1),
	       "%s: async copy VRAM -> host completes", g->label);
	for (i = 0; i < COPY_BYTES; i++)
		bad += dst[i] != src[i];
	tap_ok(bad == 0, "%s: every byte of %u MiB came back (%zu differ)",
	       g->label, COPY_BYTES >> 20, bad);
	hsa_signal_destroy(done);
	tap_ok(hsa_amd_memory_pool_free(vram) == 0 &&
	       hsa_amd_memory_pool_free(src) == 0 &&
	       hsa_amd_memory_pool_free(dst) == 0, "%s: buffers freed",
	       g->label);
}

static void check_queue(struct agent_info *g)
{
	hsa_queue_t *q = NULL;
	uint32_t max = 0;
	hsa_status_t st;

	hsa_agent_get_info(g->agent, HSA_AGENT_INFO_QUEUE_MAX_SIZE, &max);
	st = hsa_queue_create(g->agent, 1024, HSA_QUEUE_TYPE_MULTI, NULL, NULL,
			      UINT32_MAX, UINT32_MAX, &q);
	if (!tap_ok(st == HSA_STATUS_SUCCESS && q, "%s: AQL queue of 1024 "
		    "packets (status 0x%x, max %u)", g->label, st, max))
		return;
	tap_ok(q->size == 1024 && q->base_address &&
	       hsa_queue_load_write_index_relaxed(q) == 0 &&
	       hsa_queue_load_read_index_relaxed(q) == 0,
	       "%s: queue is empty, %u packets", g->label, q->size);
	tap_ok(hsa_queue_destroy(q) == HSA_STATUS_SUCCESS,
	       "%s: queue destroyed", g->label);
}

int main(void)
{
	hsa_amd_memory_pool_t host_pool;
	hsa_signal_t sig;
	hsa_status_t st;
	int i, want;

	tap_stderr_as_comments();
	want = topology_gpus();
	tap_diag("KFD topology: %d GPU node(s)", want);

	st = hsa_init();
	if (!tap_ok(st == HSA_STATUS_SUCCESS, "hsa_init (status 0x%x)", st)) {
		printf("1..%d\n", tap_count);
		return 1;
	}
	tap_ok(hsa_iterate_agents(agent_cb, NULL) == HSA_STATUS_SUCCESS,
	       "hsa_iterate_agents");
	tap_ok(ncpus == 1, "one CPU agent (%d)", ncpus);
	tap_ok(ngpus == want && want > 0, "one GPU agent per KFD GPU node "
	       "(%d agents, %d nodes)", ngpus, want);
	for (i = 0; i < ngpus; i++)
		tap_ok(!strncmp(gpus[i].name, "gfx9", 4) && gpus[i].cus > 0 &&
		       gpus[i].wave == 64, "GPU %d: %s, %u CUs, wave %u", i,
		       gpus[i].name, gpus[i].cus, gpus[i].wave);

	check_pools(&cpu);
	for (i = 0; i < ngpus; i++)
		check_pools(&gpus[i]);

	tap_ok(hsa_signal_create(5, 0, NULL, &sig) == 0, "signal created");
	hsa_signal_subtract_screlease(sig, 2);
	tap_ok(hsa_signal_load_scacquire(sig) == 3, "signal arithmetic");
	tap_ok(hsa_signal_destroy(sig) == 0, "signal destroyed");

	for (i = 0; i < ngpus; i++)
		check_queue(&gpus[i]);

	if (tap_ok(find_pool(&cpu, HSA_AMD_MEMORY_POOL_GLOBAL_FLAG_FINE_GRAINED,
			     &host_pool), "CPU: a fine-grained system pool"))
		for (i = 0; i < ngpus; i++)
			check_copy(&gpus[i], host_pool);

	tap_ok(hsa_shut_down() == HSA_STATUS_SUCCESS, "hsa_shut_down");
	printf("1..%d\n", tap_count);
	return tap_failed ? 1 : 0;
}
