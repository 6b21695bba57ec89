// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Guest test: SVM through Debian's unmodified libhsakmt 5.2.3
 * (hsaKmtSVMSetAttr / hsaKmtSVMGetAttr, which speak in topology node ids
 * and translate them to gpu_ids), with every GPU of the guest.
 *
 *  - The topology: every GPU node reports SVMAPISupported (vkfd sets
 *    amdkfd's HSA_CAP_SVMAPI_SUPPORTED where the kernel has HMM), and
 *    XNACK is off (hsaKmtGetXNACKMode 0, as a GFX9 dGPU without it).
 *  - Ranges: SET of location, access, flags and granularity over eight
 *    pages, read back by GET in node ids; a SET over the middle splits
 *    the range, and GET over all of it reports a location only where all
 *    agree; CLR_FLAGS; NO_ACCESS.
 *  - Bad arguments, each leaving the attributes as they were: NULL or
 *    unaligned start, zero or unaligned size (libhsakmt's
 *    INVALID_PARAMETER), an unknown node, the CPU node in an access
 *    attribute (INVALID_NODE_UNIT), a range over an unmapped page (the
 *    driver's EFAULT: ERROR).
 *  - The GPU reads the range: an SDMA queue made by hsaKmtCreateQueue
 *    copies the range out and the bytes are the CPU's; after the CPU
 *    writes new bytes, the next copy sees them.
 *  - With two GPUs: ACCESS for both, GET reports both, PREFETCH_LOC the
 *    second GPU while both may access (the pages stay in system memory).
 *
 * After hsaKmtCloseKFD no device context is left.  TAP.
 */
#define _GNU_SOURCE
#include <hsakmt.h>
#include <stdint.h>
#include <sys/mman.h>

#include "hw/kfd/vkfd_hw.h"
#include "tap.h"
#include "kfd-util.h"
#include "tap-stderr.h"
#include "hsakmt-util.h"

#define PAGE		4096ULL
#define NPAGES		8
#define MAX_NODES	8
#define DEF_FLAGS	((HSAuint32)(HSA_SVM_FLAG_HOST_ACCESS | \
				     HSA_SVM_FLAG_COHERENT))

static HSAuint32 gpu_nodes[MAX_NODES];
static int ngpu;

static HSAKMT_STATUS set1(void *p, HSAuint64 size, HSAuint32 type,
			  HSAuint32 value)
{
	HSA_SVM_ATTRIBUTE a = { type, value };

	return hsaKmtSVMSetAttr(p, size, 1, &a);
}

/* One attribute of [p, p + size) as GET reports it: value, or type */
static HSAuint32 get1(void *p, HSAuint64 size, HSAuint32 type,
		      HSAuint32 value, bool want_type, HSAKMT_STATUS *st)
{
	HSA_SVM_ATTRIBUTE a = { type, value };

	*st = hsaKmtSVMGetAttr(p, size, 1, &a);
	return want_type ? a.type : a.value;
}

struct all {
	HSAuint32 preferred, prefetch, set, clr, gran;
};

static bool get_all(void *p, HSAuint64 size, struct all *o)
{
	HSA_SVM_ATTRIBUTE a[5] = {
		{ HSA_SVM_ATTR_PREFERRED_LOC, 0 },
		{ HSA_SVM_ATTR_PREFETCH_LOC, 0 },
		{ HSA_SVM_ATTR_SET_FLAGS, 0 },
		{ HSA_SVM_ATTR_CLR_FLAGS, 0 },
		{ HSA_SVM_ATTR_GRANULARITY, 0 },
	};

	if (hsaKmtSVMGetAttr(p, size, 5, a) != HSAKMT_STATUS_SUCCESS)
		return false;
	*o = (struct all){ a[0].value, a[1].value, a[2].value, a[3].value,
			   a[4].value };
	return true;
}

static bool all_is(const struct all *o, HSAuint32 preferred,
		   HSAuint32 prefetch, HSAuint32 set, HSAuint32 gran)
{
	bool ok = o->preferred == preferred && o->prefetch == prefetch &&
		  o->set == set && o->clr == ~set && o->gran == gran;

	if (!ok)
		tap_diag("  got preferred %#x prefetch %#x set %#x clr %#x gran %u",
			 o->preferred, o->prefetch, o->set, o->clr, o->gran);
	return ok;
}

static void check_topology(void)
{
	HsaNodeProperties np;
	HSAint32 xnack = -2;
	int i;

	HSAKMT_STATUS st;

	for (i = 0; i < ngpu; i++) {
		memset(&np, 0, sizeof(np));
		st = hsaKmtGetNodeProperties(gpu_nodes[i], &np);
		tap_ok(st == HSAKMT_STATUS_SUCCESS &&
		       np.Capability.ui32.SVMAPISupported,
		       "node %u: SVMAPISupported (capability %#x)",
		       gpu_nodes[i], np.Capability.Value);
	}
	st = hsaKmtGetXNACKMode(&xnack);
	tap_ok(st == HSAKMT_STATUS_SUCCESS && xnack == 0,
	       "hsaKmtGetXNACKMode: off (%d)", xnack);
}

/* Attributes of a range, in node ids, and how SET splits it. */
static void check_ranges(uint8_t *buf)
{
	HSAuint32 n = gpu_nodes[0];
	HSA_SVM_ATTRIBUTE set[4] = {
		{ HSA_SVM_ATTR_PREFERRED_LOC, n },
		{ HSA_SVM_ATTR_ACCESS, n },
		{ HSA_SVM_ATTR_SET_FLAGS, HSA_SVM_FLAG_GPU_RO },
		{ HSA_SVM_ATTR_GRANULARITY, 4 },
	};
	HSAKMT_STATUS st;
	struct all o;
	HSAuint32 v;

	tap_ok(get_all(buf, NPAGES * PAGE, &o) &&
	       all_is(&o, INVALID_NODEID, INVALID_NODEID, DEF_FLAGS, 9),
	       "GET of a fresh range: amdkfd's defaults, no location");
	tap_ok(hsaKmtSVMSetAttr(buf, NPAGES * PAGE, 4, set) ==
	       HSAKMT_STATUS_SUCCESS,
	       "SET preferred node %u, ACCESS, GPU_RO, granularity 4", n);
	tap_ok(get_all(buf, NPAGES * PAGE, &o) &&
	       all_is(&o, n, INVALID_NODEID, DEF_FLAGS | HSA_SVM_FLAG_GPU_RO,
		      4), "GET: node %u preferred, flags, granularity", n);
	v = get1(buf, NPAGES * PAGE, HSA_SVM_ATTR_ACCESS, n, true, &st);
	tap_ok(st == HSAKMT_STATUS_SUCCESS && v == HSA_SVM_ATTR_ACCESS,
	       "GET ACCESS of node %u: ACCESS (%u)", n, v);

	/* the middle two pages: prefetch to system memory (the CPU node) */
	tap_ok(set1(buf + 3 * PAGE, 2 * PAGE, HSA_SVM_ATTR_PREFETCH_LOC, 0) ==
	       HSAKMT_STATUS_SUCCESS, "SET prefetch node 0 on pages 3..4");
	tap_ok(get_all(buf + 3 * PAGE, 2 * PAGE, &o) &&
	       all_is(&o, n, 0, DEF_FLAGS | HSA_SVM_FLAG_GPU_RO, 4),
	       "pages 3..4: prefetch node 0, the rest kept");
	tap_ok(get_all(buf, NPAGES * PAGE, &o) &&
	       all_is(&o, n, INVALID_NODEID, DEF_FLAGS | HSA_SVM_FLAG_GPU_RO,
		      4), "all pages: prefetch only where all agree: none");
	tap_ok(set1(buf, PAGE, HSA_SVM_ATTR_CLR_FLAGS, HSA_SVM_FLAG_GPU_RO) ==
	       HSAKMT_STATUS_SUCCESS && get_all(buf, PAGE, &o) &&
	       all_is(&o, n, INVALID_NODEID, DEF_FLAGS, 4),
	       "CLR_FLAGS GPU_RO on page 0");
	tap_ok(get_all(buf, 2 * PAGE, &o) && o.set == DEF_FLAGS &&
	       o.clr == ~(DEF_FLAGS | (HSAuint32)HSA_SVM_FLAG_GPU_RO),
	       "pages 0..1: GPU_RO neither set nor clear in all");
	/* back as the GPU test wants it: writable, system memory */
	tap_ok(set1(buf, NPAGES * PAGE, HSA_SVM_ATTR_CLR_FLAGS,
		    HSA_SVM_FLAG_GPU_RO) == HSAKMT_STATUS_SUCCESS,
	       "CLR_FLAGS GPU_RO everywhere");
}

/* Bad arguments: libhsakmt's and the driver's answers, nothing changed. */
static void check_errors(uint8_t *buf, uint8_t *hole)
{
	HSAuint32 n = gpu_nodes[0];
	HSA_SVM_ATTRIBUTE bad[2] = {
		{ HSA_SVM_ATTR_SET_FLAGS, HSA_SVM_FLAG_GPU_EXEC },
		{ HSA_SVM_ATTR_ACCESS, 0 },
	};
	HSAKMT_STATUS st;
	struct all before, after;

	tap_ok(get_all(buf, NPAGES * PAGE, &before), "GET before the errors");
	tap_ok(set1(NULL, PAGE, HSA_SVM_ATTR_GRANULARITY, 1) ==
	       HSAKMT_STATUS_INVALID_PARAMETER, "NULL start: INVALID_PARAMETER");
	tap_ok(set1(buf + 8, PAGE, HSA_SVM_ATTR_GRANULARITY, 1) ==
	       HSAKMT_STATUS_INVALID_PARAMETER,
	       "unaligned start: INVALID_PARAMETER");
	tap_ok(set1(buf, 0, HSA_SVM_ATTR_GRANULARITY, 1) ==
	       HSAKMT_STATUS_INVALID_PARAMETER, "size 0: INVALID_PARAMETER");
	tap_ok(set1(buf, PAGE + 1, HSA_SVM_ATTR_GRANULARITY, 1) ==
	       HSAKMT_STATUS_INVALID_PARAMETER,
	       "unaligned size: INVALID_PARAMETER");
	st = set1(buf, PAGE, HSA_SVM_ATTR_PREFERRED_LOC, 77);
	tap_ok(st != HSAKMT_STATUS_SUCCESS, "unknown node 77: refused (%d)",
	       st);
	tap_ok(hsaKmtSVMSetAttr(buf, PAGE, 2, bad) ==
	       HSAKMT_STATUS_INVALID_NODE_UNIT,
	       "GPU_EXEC then ACCESS for the CPU node: INVALID_NODE_UNIT");
	get1(buf, PAGE, HSA_SVM_ATTR_ACCESS, 0, true, &st);
	tap_ok(st == HSAKMT_STATUS_INVALID_NODE_UNIT,
	       "GET ACCESS of the CPU node: INVALID_NODE_UNIT");
	tap_ok(set1(hole - PAGE, 2 * PAGE, HSA_SVM_ATTR_ACCESS, n) ==
	       HSAKMT_STATUS_ERROR,
	       "a range over an unmapped page: ERROR (EFAULT)");
	tap_ok(get_all(buf, NPAGES * PAGE, &after) &&
	       !memcmp(&before, &after, sizeof(before)),
	       "the attributes are as they were");
}

/* An SDMA COPY_LINEAR of len bytes from src to dst, then a fence. */
static bool sdma_copy(struct hq *q, uint64_t *pos, uint64_t src,
		      uint64_t dst, uint32_t len, volatile uint32_t *fence,
		      uint32_t seq)
{
	uint64_t f = (uintptr_t)fence;
	uint32_t pk[11] = {
		VKFD_SDMA_HEADER(VKFD_SDMA_OP_COPY, 0), len - 1, 0,
		(uint32_t)src, src >> 32, (uint32_t)dst, dst >> 32,
		VKFD_SDMA_HEADER(VKFD_SDMA_OP_FENCE, 0), (uint32_t)f, f >> 32,
		seq,
	};
	double end = now_s() + 10;
	unsigned int i;

	for (i = 0; i < 11; i++)
		q->ring[(*pos / 4 + i) % 1024] = pk[i];
	*pos += sizeof(pk);
	hq_ring(q, *pos, *pos);
	while (__atomic_load_n(fence, __ATOMIC_ACQUIRE) != seq &&
	       now_s() < end)
		usleep(100);
	return *fence == seq;
}

/* The GPU reads the range libhsakmt gave it access to. */
static void check_gpu(uint8_t *buf, int i)
{
	HSAuint32 n = gpu_nodes[i];
	uint8_t *out = gpu_memory(NPAGES * PAGE + PAGE);
	volatile uint32_t *fence;
	uint64_t pos = 0;
	struct hq q;

	if (!tap_ok(out != NULL, "node %u: GPU-mapped result memory", n))
		return;
	fence = (volatile uint32_t *)(out + NPAGES * PAGE);
	tap_ok(set1(buf, NPAGES * PAGE, HSA_SVM_ATTR_ACCESS, n) ==
	       HSAKMT_STATUS_SUCCESS, "node %u: ACCESS", n);
	if (!tap_ok(hq_create(&q, n, HSA_QUEUE_SDMA),
		    "node %u: an SDMA queue (hsaKmtCreateQueue)", n))
		return;
	memset(buf, 0x30 + i, NPAGES * PAGE);
	tap_ok(sdma_copy(&q, &pos, (uintptr_t)buf, (uintptr_t)out,
			 NPAGES * PAGE, fence, 1) &&
	       !memcmp(out, buf, NPAGES * PAGE),
	       "node %u: SDMA copied the range: the CPU's bytes", n);
	memset(buf + 2 * PAGE, 0x5a, PAGE);
	tap_ok(sdma_copy(&q, &pos, (uintptr_t)buf, (uintptr_t)out,
			 NPAGES * PAGE, fence, 2) &&
	       !memcmp(out, buf, NPAGES * PAGE),
	       "node %u: after a CPU write, the new bytes", n);
	tap_ok(hsaKmtDestroyQueue(q.res.QueueId) == HSAKMT_STATUS_SUCCESS,
	       "node %u: queue destroyed", n);
	tap_ok(set1(buf, NPAGES * PAGE, HSA_SVM_ATTR_NO_ACCESS, n) ==
	       HSAKMT_STATUS_SUCCESS, "node %u: NO_ACCESS", n);
}

static void check_two_gpus(uint8_t *buf)
{
	HSAuint32 a = gpu_nodes[0], b = gpu_nodes[1];
	HSA_SVM_ATTRIBUTE set[3] = {
		{ HSA_SVM_ATTR_ACCESS, a },
		{ HSA_SVM_ATTR_ACCESS_IN_PLACE, b },
		{ HSA_SVM_ATTR_PREFETCH_LOC, b },
	};
	HSAKMT_STATUS st;
	struct all o;
	HSAuint32 t;

	memset(buf, 0x71, NPAGES * PAGE);
	tap_ok(hsaKmtSVMSetAttr(buf, NPAGES * PAGE, 3, set) ==
	       HSAKMT_STATUS_SUCCESS,
	       "two GPUs: ACCESS %u, ACCESS_IN_PLACE %u, prefetch to %u", a, b,
	       b);
	t = get1(buf, NPAGES * PAGE, HSA_SVM_ATTR_ACCESS, a, true, &st);
	tap_ok(st == HSAKMT_STATUS_SUCCESS && t == HSA_SVM_ATTR_ACCESS,
	       "GET: node %u ACCESS", a);
	t = get1(buf, NPAGES * PAGE, HSA_SVM_ATTR_ACCESS, b, true, &st);
	tap_ok(st == HSAKMT_STATUS_SUCCESS && t == HSA_SVM_ATTR_ACCESS_IN_PLACE,
	       "GET: node %u ACCESS_IN_PLACE", b);
	tap_ok(get_all(buf, NPAGES * PAGE, &o) && o.prefetch == b,
	       "GET: prefetch location node %u", b);
	tap_ok(buf[0] == 0x71 && buf[NPAGES * PAGE - 1] == 0x71,
	       "the CPU reads its bytes (system memory)");
}

/* Everything through libhsakmt, in a process whose exit ends it. */
static int body(void *arg)
{
	HsaSystemProperties sys;
	HsaNodeProperties np;
	uint8_t *buf, *hole;
	HSAuint32 node;

	if (!tap_ok(hsaKmtOpenKFD() == HSAKMT_STATUS_SUCCESS,
		    "hsaKmtOpenKFD") ||
	    !tap_ok(hsaKmtAcquireSystemProperties(&sys) ==
		    HSAKMT_STATUS_SUCCESS, "hsaKmtAcquireSystemProperties"))
		return 1;
	for (node = 0; node < sys.NumNodes && ngpu < MAX_NODES; node++)
		if (hsaKmtGetNodeProperties(node, &np) ==
		    HSAKMT_STATUS_SUCCESS && np.NumFComputeCores)
			gpu_nodes[ngpu++] = node;
	if (!tap_ok(ngpu > 0, "%d GPU node(s)", ngpu))
		return 1;

	/* NPAGES pages, then one that is not mapped */
	buf = mmap(NULL, (NPAGES + 1) * PAGE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (!tap_ok(buf != MAP_FAILED &&
		    !munmap(buf + NPAGES * PAGE, PAGE), "test memory"))
		return 1;
	hole = buf + NPAGES * PAGE;
	memset(buf, 0x11, NPAGES * PAGE);

	check_topology();
	check_ranges(buf);
	check_errors(buf, hole);
	for (int i = 0; i < ngpu; i++)
		check_gpu(buf, i);
	if (ngpu > 1)
		check_two_gpus(buf);

	munmap(buf, NPAGES * PAGE);
	hsaKmtReleaseSystemProperties();
	tap_ok(hsaKmtCloseKFD() == HSAKMT_STATUS_SUCCESS, "hsaKmtCloseKFD");
	return 0;
}

int main(void)
{
	unsigned long used0 = 0, used = 1;

	tap_stderr_as_comments();
	tap_share();
	sysmem_used(&used0);
	tap_ok(run_child(body, NULL) == 0, "the process exits cleanly");
	tap_ok(wait_contexts(0, 20), "no device context is left");
	sysmem_used(&used);
	tap_ok(used == used0 &&
	       vkfd_devices_sum("pt_pages") == 0 &&
	       vkfd_devices_sum("vram_used") == 0,
	       "no page table, VRAM or system page is left (%lu)", used);
	printf("1..%d\n", tap_count);
	return tap_done();
}
