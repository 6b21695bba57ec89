// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Guest test: amdkfd conformance of memory and topology through Debian's
 * unmodified libhsakmt (issue 12, points 3 and 8).
 *
 *  - Every GPU node: the firmware versions libhsakmt reads (EngineId's
 *    uCode, uCodeEngineVersions.uCodeSDMA) are the topology's, non-zero;
 *    NumCaches and each cache hsaKmtGetNodeCacheProperties returns are
 *    what sysfs has.
 *  - hsaKmtAllocMemory of system memory, 16 MiB at a time, until the
 *    driver's limit refuses: HSAKMT_STATUS_NO_MEMORY near the limit, the
 *    guest still runs, hsaKmtFreeMemory gives every page back.
 *
 * TAP.
 */
#define _GNU_SOURCE
#include <hsakmt.h>
#include <sys/wait.h>

#include "tap.h"
#include "kfd-util.h"
#include "tap-stderr.h"

#define CHUNK		(16 * MiB)
#define MAX_ALLOCS	256

static unsigned long long prop_of(const char *file, const char *key)
{
	FILE *f = fopen(file, "r");
	char line[256], k[64];
	unsigned long long v, found = ~0ULL;

	if (!f)
		return ~0ULL;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%63s %llu", k, &v) == 2 && !strcmp(k, key))
			found = v;
	fclose(f);
	return found;
}

static void check_node(HSAuint32 node, const HsaNodeProperties *np)
{
	char dir[128], props[160], path[256];
	unsigned long long fw, sdma, ncaches;
	HsaCacheProperties *c;
	HSAuint32 i;
	bool same = true;

	snprintf(dir, sizeof(dir), KFD_SYSFS "/topology/nodes/%u", node);
	snprintf(props, sizeof(props), "%s/properties", dir);
	fw = prop_of(props, "fw_version");
	sdma = prop_of(props, "sdma_fw_version");
	ncaches = prop_of(props, "caches_count");
	tap_ok(np->EngineId.ui32.uCode == (fw & 0x3ff) && fw > 0,
	       "node %u: EngineId.uCode %u is fw_version %llu", node,
	       np->EngineId.ui32.uCode, fw);
	tap_ok(np->uCodeEngineVersions.uCodeSDMA == (sdma & 0x3ff) &&
	       np->uCodeEngineVersions.uCodeSDMA > 0,
	       "node %u: uCodeSDMA %u is sdma_fw_version %llu", node,
	       np->uCodeEngineVersions.uCodeSDMA, sdma);
	tap_ok(np->NumCaches == ncaches && ncaches > 0,
	       "node %u: NumCaches %u is caches_count %llu", node,
	       np->NumCaches, ncaches);
	c = calloc(np->NumCaches + 1, sizeof(*c));
	if (!c || hsaKmtGetNodeCacheProperties(node, 0, np->NumCaches, c) !=
	    HSAKMT_STATUS_SUCCESS) {
		tap_ok(0, "node %u: hsaKmtGetNodeCacheProperties", node);
		free(c);
		return;
	}
	for (i = 0; i < np->NumCaches; i++) {
		unsigned long long type;

		snprintf(path, sizeof(path), "%s/caches/%u/properties", dir, i);
		type = prop_of(path, "type");
		if (c[i].CacheSize != prop_of(path, "size") ||
		    c[i].CacheLevel != prop_of(path, "level") ||
		    c[i].CacheLineSize != prop_of(path, "cache_line_size") ||
		    c[i].ProcessorIdLow != prop_of(path, "processor_id_low") ||
		    c[i].CacheType.ui32.Data != !!(type & 1) ||
		    c[i].CacheType.ui32.Instruction != !!(type & 2)) {
			tap_diag("cache %u: size %u level %u line %u type 0x%x",
				 i, c[i].CacheSize, c[i].CacheLevel,
				 c[i].CacheLineSize, c[i].CacheType.Value);
			same = false;
		}
	}
	tap_ok(same, "node %u: the %u caches libhsakmt reads are sysfs's",
	       node, np->NumCaches);
	free(c);
}

static int touch_child(void *arg)
{
	size_t n = 16 * MiB;
	char *p = malloc(n);

	if (!p)
		return 1;
	memset(p, 0x5a, n);
	return p[n - 1] == 0x5a ? 0 : 1;
}

static void check_limit(void)
{
	HsaMemFlags f = { .Value = 0 };
	unsigned long limit, used0, used;
	void *p[MAX_ALLOCS];
	HSAKMT_STATUS st = HSAKMT_STATUS_SUCCESS;
	int n = 0;

	f.ui32.HostAccess = 1;
	f.ui32.NonPaged = 1;
	if (!tap_ok(sysmem_pages(&limit, &used0), "limit: debugfs sysmem"))
		return;
	while (n < MAX_ALLOCS) {
		st = hsaKmtAllocMemory(0, CHUNK, f, &p[n]);
		if (st != HSAKMT_STATUS_SUCCESS)
			break;
		n++;
	}
	sysmem_pages(&limit, &used);
	/* libhsakmt 5.2.3 turns the ioctl's ENOMEM into STATUS_ERROR */
	tap_ok(st == HSAKMT_STATUS_ERROR || st == HSAKMT_STATUS_NO_MEMORY,
	       "limit: hsaKmtAllocMemory stops after %d x 16 MiB (status %d)",
	       n, st);
	tap_ok(used <= limit && used + 2 * CHUNK / 4096 > limit,
	       "limit: at %lu of %lu pages", used, limit);
	tap_ok(run_child(touch_child, NULL) == 0,
	       "limit: a process still touches 16 MiB");
	while (n)
		hsaKmtFreeMemory(p[--n], CHUNK);
	sysmem_pages(&limit, &used);
	tap_ok(used == used0, "limit: hsaKmtFreeMemory gave it all back (%lu)",
	       used);
	tap_ok(hsaKmtAllocMemory(0, CHUNK, f, &p[0]) == HSAKMT_STATUS_SUCCESS &&
	       hsaKmtFreeMemory(p[0], CHUNK) == HSAKMT_STATUS_SUCCESS,
	       "limit: and 16 MiB can be had again");
}

/* The process's kfd_process goes at exit: the checks run in a child. */
static int body(void *arg)
{
	HsaSystemProperties sys;
	HsaNodeProperties np;
	HSAuint32 node;
	int gpus = 0;

	if (!tap_ok(hsaKmtOpenKFD() == HSAKMT_STATUS_SUCCESS, "hsaKmtOpenKFD") ||
	    !tap_ok(hsaKmtAcquireSystemProperties(&sys) ==
		    HSAKMT_STATUS_SUCCESS, "hsaKmtAcquireSystemProperties"))
		return 1;
	for (node = 0; node < sys.NumNodes; node++) {
		if (hsaKmtGetNodeProperties(node, &np) != HSAKMT_STATUS_SUCCESS ||
		    !np.NumFComputeCores)
			continue;
		check_node(node, &np);
		gpus++;
	}
	tap_ok(gpus > 0, "%d GPU node(s)", gpus);
	check_limit();
	hsaKmtReleaseSystemProperties();
	tap_ok(hsaKmtCloseKFD() == HSAKMT_STATUS_SUCCESS, "hsaKmtCloseKFD");
	return 0;
}

int main(int argc, char **argv)
{
	unsigned long limit, used0 = 0, used = 1;

	tap_stderr_as_comments();
	tap_share();
	sysmem_pages(&limit, &used0);
	tap_ok(run_child(body, NULL) == 0, "the process exits cleanly");
	tap_ok(wait_contexts(0, 20), "no device context is left");
	sysmem_pages(&limit, &used);
	tap_ok(used == used0 && vkfd_devices_sum("pt_pages") == 0 &&
	       vkfd_devices_sum("vram_used") == 0,
	       "no page table, VRAM or system page is left (%lu)", used);
	printf("1..%d\n", tap_count);
	return tap_done();
}
