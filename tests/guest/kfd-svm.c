// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Guest test: AMDKFD_IOC_SVM as amdkfd answers it (issue 12, point 1),
 * with every vkfd GPU of the guest bound.
 *
 *  - Argument checks: unaligned or zero start and size, an unknown op
 *    (EINVAL); a range with an unmapped page or on an I/O mapping of
 *    /dev/kfd (EFAULT); a range over a BO mapped to a GPU (EADDRINUSE);
 *    ALLOC_MEMORY of a GTT, VRAM or USERPTR BO over a registered range
 *    (EADDRINUSE, after a size of 0's EINVAL; the range unchanged; a BO
 *    next to it and, once munmap returned, at its VA is allocated);
 *    unknown attribute types, ACCESS_IN_PLACE and NO_ACCESS in a query,
 *    an undefined prefetch location (EINVAL); a secondary kfd_process
 *    (EOPNOTSUPP).
 *  - Locations: a GPU of the process as preferred or prefetch location
 *    is accepted and reported by GET_ATTR, the pages stay in system
 *    memory (no device-private memory; EINVAL in a kernel without HMM);
 *    an unknown gpu_id as a location or in an access attribute is
 *    EINVAL; a query of a fresh range reports NO_ACCESS for each GPU.
 *  - GPU mappings, per GPU (its own process): after ACCESS, SDMA copies
 *    out of the range read the CPU's bytes and SDMA writes into it are
 *    what the CPU reads; after munmap and a new page at the same address
 *    the GPU reads the new page; a BO allocated over the range is
 *    EADDRINUSE; after mprotect the next SVM call maps the pages again;
 *    GET_ATTR reports ACCESS, then NO_ACCESS; once munmap has returned an
 *    SDMA copy from the page faults and copies nothing.
 *  - Queue eviction and restore (amdkfd without XNACK), per GPU: an SDMA
 *    queue waits on a word of a mapped range while the CPU swaps the
 *    page (madvise DONTNEED), makes the range read-only and writable
 *    again, forks (copy-on-write; the child's write never reaches the
 *    GPU), makes it PROT_NONE for a while (the queues stay evicted until
 *    it is back; a queue made meanwhile, and made inactive and active
 *    again by UPDATE_QUEUE, runs only from the restore on), and unmaps a
 *    page and maps a new one; each time the
 *    queue goes on with the CPU's bytes and never faults, and debugfs
 *    shows as many restores as evictions once the worker has run.  An
 *    SMI reader of the GPU sees QUEUE_EVICTION (trigger SVM) and then
 *    QUEUE_RESTORE for the mprotect, UNMAP_FROM_GPU for the munmap.
 *  - Preemption, per GPU: mprotect(PROT_NONE) evicts an SDMA queue in
 *    the middle of one of its 4 MiB fills; what that fill had done is
 *    overwritten while the queue is off, and after the restore it is
 *    still there and every other byte holds its fill's value (the fill
 *    went on from where it stopped, it did not run again); a second
 *    queue destroyed while evicted runs nothing more.  The device's
 *    queue counts (debugfs "devices") show both preempted, then the
 *    destroyed one discarded, then none.  The same with a shader
 *    dispatch of 512 workgroups on a compute queue, evicted part-way:
 *    every work-item counts once.
 *  - A GPU unbound under a mapped range: munmap, mprotect and SVM calls on
 *    the range still work; the GPU binds again.  In a kernel
 *    without HMM (the debug kernel) ACCESS is EINVAL instead.
 *  - Bookkeeping: an unregistered range reads amdkfd's defaults; SET_ATTR
 *    over part of a range splits it, over a gap fills it, and GET_ATTR over
 *    a span gives a location only where all ranges agree, the flags set
 *    everywhere (SET_FLAGS) and clear everywhere (CLR_FLAGS), the smallest
 *    granularity (clamped to 0x3f).  A failing call changes nothing.
 *  - Pages the CPU unmaps leave their ranges (a new mapping there reads
 *    the defaults); mprotect keeps the attributes.
 *
 * After the process exits, no device context and no queue (mapped or
 * preempted, as the device counts them) is left.  TAP.
 */
#define _GNU_SOURCE
#include <sys/mman.h>
#include <sys/wait.h>

#include "tap.h"
#include "kfd-util.h"
#include "kfd-queue-util.h"
#include "kfd-svm-util.h"

#define PAGE		4096ULL
#define NPAGES		16
#define DEFAULT_FLAGS	(KFD_IOCTL_SVM_FLAG_HOST_ACCESS | \
			 KFD_IOCTL_SVM_FLAG_COHERENT)
#define UNDEF		KFD_IOCTL_SVM_LOCATION_UNDEFINED
#define SYSMEM		KFD_IOCTL_SVM_LOCATION_SYSMEM

static bool kernel_has_hmm(void);

static struct vkfd_gpu gpus[VKFD_MAX_GPUS];
static int ngpu;
static uint8_t *mem;		/* NPAGES pages of anonymous memory */

struct attrs {
	uint32_t preferred, prefetch, set_flags, clr_flags, granularity;
};

/* All attributes of [start, start + size), and access per GPU. */
static int get_all(int kfd, const void *start, uint64_t size,
		   struct attrs *out, uint32_t *access)
{
	struct svm_buf b;
	int i, ret;

	memset(&b, 0, sizeof(b));
	b.attrs[0].type = KFD_IOCTL_SVM_ATTR_PREFERRED_LOC;
	b.attrs[1].type = KFD_IOCTL_SVM_ATTR_PREFETCH_LOC;
	b.attrs[2].type = KFD_IOCTL_SVM_ATTR_SET_FLAGS;
	b.attrs[3].type = KFD_IOCTL_SVM_ATTR_CLR_FLAGS;
	b.attrs[4].type = KFD_IOCTL_SVM_ATTR_GRANULARITY;
	for (i = 0; i < ngpu; i++) {
		b.attrs[5 + i].type = KFD_IOCTL_SVM_ATTR_ACCESS;
		b.attrs[5 + i].value = gpus[i].gpu_id;
	}
	ret = svm_call(kfd, KFD_IOCTL_SVM_OP_GET_ATTR, start, size, &b,
		       5 + ngpu);
	if (ret)
		return ret;
	out->preferred = b.attrs[0].value;
	out->prefetch = b.attrs[1].value;
	out->set_flags = b.attrs[2].value;
	out->clr_flags = b.attrs[3].value;
	out->granularity = b.attrs[4].value;
	for (i = 0; i < ngpu && access; i++)
		access[i] = b.attrs[5 + i].type;
	return 0;
}

static bool attrs_are(const struct attrs *a, uint32_t preferred,
		      uint32_t prefetch, uint32_t set, uint32_t clr,
		      uint32_t gran)
{
	bool ok = a->preferred == preferred && a->prefetch == prefetch &&
		  a->set_flags == set && a->clr_flags == clr &&
		  a->granularity == gran;

	if (!ok)
		tap_diag("  got preferred %#x prefetch %#x set %#x clr %#x gran %u",
			 a->preferred, a->prefetch, a->set_flags, a->clr_flags,
			 a->granularity);
	return ok;
}

static void check_defaults(int kfd)
{
	uint32_t access[VKFD_MAX_GPUS];
	struct attrs a;
	int i;
	bool none = true;

	tap_zero(get_all(kfd, mem, NPAGES * PAGE, &a, access),
		 "GET_ATTR of an unregistered range");
	tap_ok(attrs_are(&a, UNDEF, UNDEF, DEFAULT_FLAGS, ~DEFAULT_FLAGS, 9),
	       "defaults: locations undefined, HOST_ACCESS|COHERENT, granularity 9");
	for (i = 0; i < ngpu; i++)
		none &= access[i] == KFD_IOCTL_SVM_ATTR_NO_ACCESS;
	tap_ok(none, "no GPU has access (XNACK off)");
}

static void check_errors(int kfd)
{
	unsigned int bad_gpu = 0xfffe;
	struct svm_buf b;
	struct attrs a;

	memset(&b, 0, sizeof(b));
	tap_errno(svm_call(kfd, KFD_IOCTL_SVM_OP_GET_ATTR, mem + 1, PAGE, &b, 0),
		  EINVAL, "unaligned start: EINVAL");
	tap_errno(svm_call(kfd, KFD_IOCTL_SVM_OP_GET_ATTR, mem, PAGE + 8, &b, 0),
		  EINVAL, "unaligned size: EINVAL");
	tap_errno(svm_call(kfd, KFD_IOCTL_SVM_OP_GET_ATTR, mem, 0, &b, 0),
		  EINVAL, "size 0: EINVAL");
	tap_errno(svm_call(kfd, KFD_IOCTL_SVM_OP_GET_ATTR, NULL, PAGE, &b, 0),
		  EINVAL, "start 0: EINVAL");
	tap_errno(svm_call(kfd, 2, mem, PAGE, &b, 0), EINVAL,
		  "unknown op: EINVAL");

	/* the page after mem is unmapped (see main) */
	tap_errno(svm_set1(kfd, mem, (NPAGES + 1) * PAGE,
			   KFD_IOCTL_SVM_ATTR_SET_FLAGS, 0), EFAULT,
		  "SET_ATTR over an unmapped page: EFAULT");
	b.attrs[0].type = KFD_IOCTL_SVM_ATTR_GRANULARITY;
	tap_errno(svm_call(kfd, KFD_IOCTL_SVM_OP_GET_ATTR, mem + NPAGES * PAGE,
			   PAGE, &b, 1), EFAULT,
		  "GET_ATTR of an unmapped page: EFAULT");

	tap_errno(svm_set1(kfd, mem, PAGE, KFD_IOCTL_SVM_ATTR_PREFERRED_LOC,
			   bad_gpu), EINVAL, "unknown gpu_id as location: EINVAL");
	tap_errno(svm_set1(kfd, mem, PAGE, KFD_IOCTL_SVM_ATTR_ACCESS, bad_gpu),
		  EINVAL, "ACCESS for an unknown gpu_id: EINVAL");
	tap_errno(svm_set1(kfd, mem, PAGE, KFD_IOCTL_SVM_ATTR_PREFETCH_LOC, UNDEF),
		  EINVAL, "prefetch location undefined: EINVAL");
	tap_errno(svm_set1(kfd, mem, PAGE, 8, 0), EINVAL,
		  "unknown attribute type: EINVAL");

	/* a bad attribute after good ones: nothing applied */
	memset(&b, 0, sizeof(b));
	b.attrs[0].type = KFD_IOCTL_SVM_ATTR_SET_FLAGS;
	b.attrs[0].value = KFD_IOCTL_SVM_FLAG_GPU_RO;
	b.attrs[1].type = KFD_IOCTL_SVM_ATTR_ACCESS;
	b.attrs[1].value = bad_gpu;
	tap_errno(svm_call(kfd, KFD_IOCTL_SVM_OP_SET_ATTR, mem, PAGE, &b, 2),
		  EINVAL, "SET_FLAGS then ACCESS of an unknown GPU: EINVAL");

	memset(&b, 0, sizeof(b));
	b.attrs[0].type = KFD_IOCTL_SVM_ATTR_ACCESS_IN_PLACE;
	b.attrs[0].value = gpus[0].gpu_id;
	tap_errno(svm_call(kfd, KFD_IOCTL_SVM_OP_GET_ATTR, mem, PAGE, &b, 1),
		  EINVAL, "GET_ATTR asking ACCESS_IN_PLACE: EINVAL");
	b.attrs[0].type = KFD_IOCTL_SVM_ATTR_NO_ACCESS;
	tap_errno(svm_call(kfd, KFD_IOCTL_SVM_OP_GET_ATTR, mem, PAGE, &b, 1),
		  EINVAL, "GET_ATTR asking NO_ACCESS: EINVAL");
	b.attrs[0].type = KFD_IOCTL_SVM_ATTR_ACCESS;
	b.attrs[0].value = bad_gpu;
	tap_errno(svm_call(kfd, KFD_IOCTL_SVM_OP_GET_ATTR, mem, PAGE, &b, 1),
		  EINVAL, "GET_ATTR access of an unknown gpu_id: EINVAL");

	tap_zero(get_all(kfd, mem, NPAGES * PAGE, &a, NULL),
		 "GET_ATTR after the failures");
	tap_ok(attrs_are(&a, UNDEF, UNDEF, DEFAULT_FLAGS, ~DEFAULT_FLAGS, 9),
	       "the failed calls registered nothing");
}

static void check_ranges(int kfd)
{
	const uint32_t ro = KFD_IOCTL_SVM_FLAG_GPU_RO;
	const uint32_t rm = KFD_IOCTL_SVM_FLAG_GPU_READ_MOSTLY;
	struct svm_buf b;
	struct attrs a;

	/* pages 4..11: system memory preferred, GPU_RO, granularity 0x3f */
	memset(&b, 0, sizeof(b));
	b.attrs[0] = (struct kfd_ioctl_svm_attribute){
		KFD_IOCTL_SVM_ATTR_PREFERRED_LOC, SYSMEM };
	b.attrs[1] = (struct kfd_ioctl_svm_attribute){
		KFD_IOCTL_SVM_ATTR_SET_FLAGS, ro };
	b.attrs[2] = (struct kfd_ioctl_svm_attribute){
		KFD_IOCTL_SVM_ATTR_GRANULARITY, 200 };
	b.attrs[3] = (struct kfd_ioctl_svm_attribute){
		KFD_IOCTL_SVM_ATTR_PREFETCH_LOC, SYSMEM };
	tap_zero(svm_call(kfd, KFD_IOCTL_SVM_OP_SET_ATTR, mem + 4 * PAGE,
			  8 * PAGE, &b, 4), "SET_ATTR pages 4..11");
	tap_ok(b.attrs[2].value == 200 && b.a.nattr == 4,
	       "SET_ATTR hands its arguments back unchanged");
	tap_zero(get_all(kfd, mem + 4 * PAGE, 8 * PAGE, &a, NULL),
		 "GET_ATTR pages 4..11");
	tap_ok(attrs_are(&a, SYSMEM, SYSMEM, DEFAULT_FLAGS | ro,
			 ~(DEFAULT_FLAGS | ro), 0x3f),
	       "pages 4..11: system memory, GPU_RO, granularity clamped to 0x3f");
	/* only registered ranges count, as in amdkfd */
	tap_zero(get_all(kfd, mem, NPAGES * PAGE, &a, NULL),
		 "GET_ATTR of all pages");
	tap_ok(attrs_are(&a, SYSMEM, SYSMEM, DEFAULT_FLAGS | ro,
			 ~(DEFAULT_FLAGS | ro), 0x3f),
	       "all pages: the one registered range answers");

	/* pages 0..5: gap 0..3 filled, range 4..11 split at 6 */
	memset(&b, 0, sizeof(b));
	b.attrs[0] = (struct kfd_ioctl_svm_attribute){
		KFD_IOCTL_SVM_ATTR_CLR_FLAGS, ro | KFD_IOCTL_SVM_FLAG_COHERENT };
	b.attrs[1] = (struct kfd_ioctl_svm_attribute){
		KFD_IOCTL_SVM_ATTR_SET_FLAGS, rm };
	b.attrs[2] = (struct kfd_ioctl_svm_attribute){
		KFD_IOCTL_SVM_ATTR_GRANULARITY, 4 };
	tap_zero(svm_call(kfd, KFD_IOCTL_SVM_OP_SET_ATTR, mem, 6 * PAGE, &b, 3),
		 "SET_ATTR pages 0..5");
	tap_zero(get_all(kfd, mem, 4 * PAGE, &a, NULL), "GET_ATTR pages 0..3");
	tap_ok(attrs_are(&a, UNDEF, UNDEF,
			 KFD_IOCTL_SVM_FLAG_HOST_ACCESS | rm,
			 ~(KFD_IOCTL_SVM_FLAG_HOST_ACCESS | rm), 4),
	       "pages 0..3 (new): defaults with the flags changed, granularity 4");
	tap_zero(get_all(kfd, mem + 4 * PAGE, 2 * PAGE, &a, NULL),
		 "GET_ATTR pages 4..5");
	tap_ok(attrs_are(&a, SYSMEM, SYSMEM,
			 KFD_IOCTL_SVM_FLAG_HOST_ACCESS | rm,
			 ~(KFD_IOCTL_SVM_FLAG_HOST_ACCESS | rm), 4),
	       "pages 4..5 (split off): locations kept, flags changed");
	tap_zero(get_all(kfd, mem + 6 * PAGE, 6 * PAGE, &a, NULL),
		 "GET_ATTR pages 6..11");
	tap_ok(attrs_are(&a, SYSMEM, SYSMEM, DEFAULT_FLAGS | ro,
			 ~(DEFAULT_FLAGS | ro), 0x3f),
	       "pages 6..11 (the rest): unchanged");
	tap_zero(get_all(kfd, mem, NPAGES * PAGE, &a, NULL),
		 "GET_ATTR of all pages");
	tap_ok(attrs_are(&a, UNDEF, UNDEF, KFD_IOCTL_SVM_FLAG_HOST_ACCESS,
			 ~(DEFAULT_FLAGS | ro | rm), 4),
	       "all pages: locations disagree (undefined), flags common to "
	       "all (SET) and clear in all (CLR), smallest granularity");

	/* one page in the middle of 6..11: split on both sides */
	tap_zero(svm_set1(kfd, mem + 8 * PAGE, PAGE,
			  KFD_IOCTL_SVM_ATTR_PREFERRED_LOC, UNDEF),
		 "SET_ATTR page 8: preferred location undefined");
	tap_zero(get_all(kfd, mem + 8 * PAGE, PAGE, &a, NULL),
		 "GET_ATTR page 8");
	tap_ok(a.preferred == UNDEF && a.prefetch == SYSMEM &&
	       a.granularity == 0x3f, "page 8: preferred undefined, rest kept");
	tap_zero(get_all(kfd, mem + 6 * PAGE, 2 * PAGE, &a, NULL),
		 "GET_ATTR pages 6..7");
	tap_ok(a.preferred == SYSMEM, "pages 6..7 keep system memory");
	tap_zero(get_all(kfd, mem + 9 * PAGE, 3 * PAGE, &a, NULL),
		 "GET_ATTR pages 9..11");
	tap_ok(a.preferred == SYSMEM, "pages 9..11 keep system memory");

	/* the same attributes again over everything: one answer */
	tap_zero(svm_set1(kfd, mem, NPAGES * PAGE,
			  KFD_IOCTL_SVM_ATTR_PREFERRED_LOC, SYSMEM),
		 "SET_ATTR all pages: system memory preferred");
	tap_zero(get_all(kfd, mem, NPAGES * PAGE, &a, NULL),
		 "GET_ATTR of all pages");
	tap_ok(a.preferred == SYSMEM, "all pages agree on system memory");
}

/*
 * The CPU unmaps part of a range and maps new memory there: as amdkfd,
 * the unmapped pages left the range, the new mapping reads the defaults;
 * mprotect keeps the attributes.
 */
static void check_munmap(int kfd)
{
	const uint32_t ro = KFD_IOCTL_SVM_FLAG_GPU_RO;
	uint8_t *x = mmap(NULL, 8 * PAGE, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct attrs a;

	tap_zero(svm_set2(kfd, x, 8 * PAGE, KFD_IOCTL_SVM_ATTR_PREFERRED_LOC,
			  SYSMEM, KFD_IOCTL_SVM_ATTR_SET_FLAGS, ro),
		 "munmap case: SET_ATTR pages 0..7");
	tap_ok(!munmap(x + 2 * PAGE, 2 * PAGE) &&
	       mmap(x + 2 * PAGE, 2 * PAGE, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) ==
	       x + 2 * PAGE, "pages 2..3 unmapped and mapped anew");
	tap_zero(get_all(kfd, x + 2 * PAGE, 2 * PAGE, &a, NULL),
		 "GET_ATTR pages 2..3");
	tap_ok(attrs_are(&a, UNDEF, UNDEF, DEFAULT_FLAGS, ~DEFAULT_FLAGS, 9),
	       "pages 2..3: defaults (the unmapped pages left the range)");
	tap_zero(get_all(kfd, x, 2 * PAGE, &a, NULL), "GET_ATTR pages 0..1");
	tap_ok(attrs_are(&a, SYSMEM, UNDEF, DEFAULT_FLAGS | ro,
			 ~(DEFAULT_FLAGS | ro), 9), "pages 0..1 kept");
	tap_ok(!mprotect(x + 4 * PAGE, 2 * PAGE, PROT_READ), "mprotect pages 4..5");
	tap_zero(get_all(kfd, x + 4 * PAGE, 4 * PAGE, &a, NULL),
		 "GET_ATTR pages 4..7");
	tap_ok(attrs_are(&a, SYSMEM, UNDEF, DEFAULT_FLAGS | ro,
			 ~(DEFAULT_FLAGS | ro), 9),
	       "pages 4..7 kept (mprotect does not drop attributes)");
	tap_ok(!munmap(x, 8 * PAGE) &&
	       mmap(x, 8 * PAGE, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == x,
	       "all 8 pages unmapped and mapped anew");
	tap_zero(get_all(kfd, x, 8 * PAGE, &a, NULL), "GET_ATTR pages 0..7");
	tap_ok(attrs_are(&a, UNDEF, UNDEF, DEFAULT_FLAGS, ~DEFAULT_FLAGS, 9),
	       "pages 0..7: defaults again");
	munmap(x, 8 * PAGE);
}

/* A BO mapped to the GPU at the VA of host memory: EADDRINUSE. */
static void check_bo_overlap(int kfd)
{
	/* 4 pages and, after them, a page that is never an SVM range */
	uint8_t *buf = mmap(NULL, 5 * PAGE, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	unsigned int id = gpus[0].gpu_id, done = 0;
	uint64_t handle, uaddr = (uintptr_t)buf;
	struct attrs a;

	munmap(buf + 4 * PAGE, PAGE);
	memset(buf, 1, 4 * PAGE);
	errno = 0;
	if (!tap_ok(!alloc_bo(kfd, id, uaddr, 4 * PAGE, F_USERPTR | F_RW,
			      &handle, &uaddr), "USERPTR BO at its own VA")) {
		tap_diag("  errno %d (%s)", errno, strerror(errno));
		return;
	}
	tap_zero(get_all(kfd, buf, 4 * PAGE, &a, NULL),
		 "GET_ATTR over the BO before it is mapped");
	tap_zero(map_bo(kfd, handle, &id, 1, true, &done), "BO mapped");
	tap_errno(svm_set1(kfd, buf + PAGE, PAGE, KFD_IOCTL_SVM_ATTR_SET_FLAGS, 0),
		  EADDRINUSE, "SET_ATTR over a GPU-mapped BO: EADDRINUSE");
	tap_errno(get_all(kfd, buf, 4 * PAGE, &a, NULL), EADDRINUSE,
		  "GET_ATTR over a GPU-mapped BO: EADDRINUSE");
	done = 0;
	tap_zero(map_bo(kfd, handle, &id, 1, false, &done), "BO unmapped");
	tap_zero(svm_set1(kfd, buf, 4 * PAGE, KFD_IOCTL_SVM_ATTR_SET_FLAGS, 0),
		 "SET_ATTR there once the BO is unmapped");
	tap_zero(free_bo(kfd, handle), "BO freed");

	/* amdkfd refuses a BO over a registered range at ALLOC already */
	handle = 0;
	errno = 0;
	tap_ok(alloc_bo(kfd, id, uaddr + PAGE, PAGE, F_GTT | F_RW, &handle,
			NULL) && errno == EADDRINUSE && !handle,
	       "ALLOC of a GTT BO inside the range: EADDRINUSE");
	errno = 0;
	tap_ok(alloc_bo(kfd, id, uaddr - PAGE, 2 * PAGE, F_VRAM | F_RW,
			&handle, NULL) && errno == EADDRINUSE && !handle,
	       "ALLOC of a VRAM BO over the range's first page: EADDRINUSE");
	errno = 0;
	uaddr = (uintptr_t)buf;
	tap_ok(alloc_bo(kfd, id, uaddr, 4 * PAGE, F_USERPTR | F_RW, &handle,
			&uaddr) && errno == EADDRINUSE && !handle,
	       "ALLOC of a USERPTR BO at the range: EADDRINUSE");
	errno = 0;
	tap_ok(alloc_bo(kfd, id, (uintptr_t)buf, 0, F_GTT | F_RW, &handle,
			NULL) && errno == EINVAL,
	       "ALLOC of size 0 there: EINVAL first, as amdkfd");
	tap_zero(get_all(kfd, buf, 4 * PAGE, &a, NULL),
		 "the range is still there (GET_ATTR)");
	tap_ok(attrs_are(&a, UNDEF, UNDEF, DEFAULT_FLAGS, ~DEFAULT_FLAGS, 9),
	       "and unchanged");
	tap_ok(!alloc_bo(kfd, id, (uintptr_t)buf + 4 * PAGE, PAGE,
			 F_GTT | F_RW, &handle, NULL) && !free_bo(kfd, handle),
	       "a BO right after the range: allocated and freed");
	/* once munmap has returned, the range is gone for ALLOC too */
	munmap(buf, 4 * PAGE);
	tap_ok(!alloc_bo(kfd, id, (uintptr_t)buf, 4 * PAGE, F_GTT | F_RW,
			 &handle, NULL) && !free_bo(kfd, handle),
	       "after munmap a BO at the range's VA is allocated");
}

/* The doorbell page mapped from /dev/kfd (VM_IO): EFAULT. */
static void check_io_vma(int kfd)
{
	uint64_t handle, off = 0;
	unsigned int id = gpus[0].gpu_id;
	void *p;

	if (!tap_ok(!alloc_bo(kfd, id, VA0, 8192, F_DOORBELL | F_RW, &handle,
			      &off), "DOORBELL BO"))
		return;
	p = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, kfd, off);
	if (tap_ok(p != MAP_FAILED, "doorbell page mapped from /dev/kfd")) {
		tap_errno(svm_set1(kfd, p, PAGE, KFD_IOCTL_SVM_ATTR_SET_FLAGS, 0),
			  EFAULT, "SET_ATTR on an I/O mapping: EFAULT");
		munmap(p, 8192);
	}
	tap_zero(free_bo(kfd, handle), "DOORBELL BO freed");
}

static int secondary_child(void *arg)
{
	int kfd = kfd_open(), sec = kfd_open();
	int failed = tap_failed;
	struct svm_buf b;

	memset(&b, 0, sizeof(b));
	tap_zero(ioctl(sec, AMDKFD_IOC_CREATE_PROCESS), "a secondary");
	tap_errno(svm_call(sec, KFD_IOCTL_SVM_OP_GET_ATTR, mem, PAGE, &b, 0),
		  EOPNOTSUPP, "GET_ATTR on a secondary: EOPNOTSUPP");
	tap_errno(svm_set1(sec, mem, PAGE, KFD_IOCTL_SVM_ATTR_SET_FLAGS, 0),
		  EOPNOTSUPP, "SET_ATTR on a secondary: EOPNOTSUPP");
	tap_zero(svm_call(kfd, KFD_IOCTL_SVM_OP_GET_ATTR, mem, PAGE, &b, 0),
		 "the primary of the same program still answers");
	close(sec);
	close(kfd);
	return tap_failed != failed;
}

/*
 * GPU mappings of an SVM range on GPU i: SDMA reads the CPU's bytes and
 * the CPU reads what SDMA wrote; after munmap and a new mapping at the
 * same address, the GPU sees the new page, not the old one.
 */
static void check_gpu_access(int i)
{
	const unsigned int n = 4;
	struct vkfd_gpu *gpu = &gpus[i];
	int kfd = kfd_open(), drm = open_render_node(gpu);
	uint32_t access[VKFD_MAX_GPUS], *words, seq = 1;
	unsigned int id = gpu->gpu_id, k;
	struct attrs a;
	uint8_t *buf;
	struct q q;
	bool same;

	if (!tap_ok(kfd >= 0 && drm >= 0 && !acquire_vm(kfd, drm, id),
		    "GPU %u: bound", id))
		return;
	if (!tap_ok(queue_open(gpu, &q, kfd, drm, 0x400000000ULL,
			       KFD_IOC_QUEUE_TYPE_SDMA) == 0,
		    "GPU %u: an SDMA queue", id))
		return;
	buf = mmap(NULL, n * PAGE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (!tap_ok(buf != MAP_FAILED, "SVM memory"))
		return;
	words = (uint32_t *)buf;
	for (k = 0; k < n * PAGE / 4; k++)
		words[k] = k * 2654435761u;

	tap_zero(svm_set1(kfd, buf, n * PAGE, KFD_IOCTL_SVM_ATTR_ACCESS, id),
		 "GPU %u: SET_ATTR ACCESS over %u pages", id, n);
	tap_zero(get_all(kfd, buf, n * PAGE, &a, access),
		 "GPU %u: GET_ATTR", id);
	tap_ok(access[i] == KFD_IOCTL_SVM_ATTR_ACCESS,
	       "GPU %u: GET_ATTR reports ACCESS (%u)", id, access[i]);

	tap_ok(sdma_copy_fenced(&q, (uintptr_t)buf, data_va(&q, 0x1000), n * PAGE,
				seq++), "GPU %u: SDMA copy from the range done", id);
	same = !memcmp((const void *)(q.data + 0x1000), buf, n * PAGE);
	tap_ok(same, "GPU %u: SDMA read the CPU's bytes", id);

	memset((void *)(q.data + 0x1000), 0x3c, PAGE);
	tap_ok(sdma_copy_fenced(&q, data_va(&q, 0x1000), (uintptr_t)buf + PAGE, PAGE,
				seq++), "GPU %u: SDMA copy into the range done", id);
	tap_ok(buf[PAGE] == 0x3c && buf[2 * PAGE - 1] == 0x3c &&
	       buf[PAGE - 1] != 0x3c && buf[2 * PAGE] != 0x3c,
	       "GPU %u: the CPU reads what SDMA wrote, only there", id);

	/* a new page at the same address: the GPU follows */
	tap_zero(munmap(buf + 2 * PAGE, PAGE), "GPU %u: munmap a page", id);
	tap_ok(mmap(buf + 2 * PAGE, PAGE, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) ==
	       buf + 2 * PAGE, "GPU %u: a new page there", id);
	memset(buf + 2 * PAGE, 0x77, PAGE);
	tap_zero(svm_set1(kfd, buf + 2 * PAGE, PAGE, KFD_IOCTL_SVM_ATTR_ACCESS,
			  id), "GPU %u: ACCESS for the new page", id);
	tap_ok(sdma_copy_fenced(&q, (uintptr_t)buf, data_va(&q, 0x1000), n * PAGE,
				seq++), "GPU %u: SDMA copy again", id);
	tap_ok(q.data[0x1000 + 2 * PAGE] == 0x77 &&
	       q.data[0x1000 + 3 * PAGE - 1] == 0x77 &&
	       !memcmp((const void *)(q.data + 0x1000 + 3 * PAGE),
		       buf + 3 * PAGE, PAGE),
	       "GPU %u: it read the new page and the rest as before", id);

	/* a BO over the range's pages: refused at ALLOC, the range intact */
	{
		uint64_t h = 0, off = 0;

		errno = 0;
		tap_ok(alloc_bo(kfd, id, (uintptr_t)buf + PAGE, PAGE,
				F_GTT | F_RW, &h, &off) && errno == EADDRINUSE,
		       "GPU %u: a GTT BO at the range's address: EADDRINUSE",
		       id);
		memset((void *)(q.data + 0x1000), 0, n * PAGE);
		tap_ok(sdma_copy_fenced(&q, (uintptr_t)buf, data_va(&q, 0x1000),
					n * PAGE, seq++) &&
		       !memcmp((const void *)(q.data + 0x1000), buf, n * PAGE),
		       "GPU %u: the range still maps the CPU's pages", id);
	}

	/* mprotect takes the pages from the GPU; the next call maps them */
	tap_zero(mprotect(buf, n * PAGE, PROT_READ), "GPU %u: mprotect", id);
	tap_zero(get_all(kfd, buf, n * PAGE, &a, access),
		 "GPU %u: an SVM call after it (GET_ATTR)", id);
	memset((void *)(q.data + 0x1000), 0, n * PAGE);
	tap_ok(sdma_copy_fenced(&q, (uintptr_t)buf, data_va(&q, 0x1000), n * PAGE,
				seq++), "GPU %u: SDMA copy after mprotect", id);
	tap_ok(!memcmp((const void *)(q.data + 0x1000), buf, n * PAGE),
	       "GPU %u: it read the CPU's bytes (read-only now)", id);

	tap_zero(svm_set1(kfd, buf, n * PAGE, KFD_IOCTL_SVM_ATTR_NO_ACCESS, id),
		 "GPU %u: NO_ACCESS", id);
	tap_zero(get_all(kfd, buf, n * PAGE, &a, access),
		 "GPU %u: GET_ATTR after NO_ACCESS", id);
	tap_ok(access[i] == KFD_IOCTL_SVM_ATTR_NO_ACCESS,
	       "GPU %u: GET_ATTR reports NO_ACCESS", id);
	/*
	 * ACCESS again, then munmap: the GPU lost the page when munmap
	 * returned, so an SDMA copy from it faults (the fence never comes)
	 * and nothing of the old page lands.
	 */
	tap_zero(svm_set1(kfd, buf, n * PAGE, KFD_IOCTL_SVM_ATTR_ACCESS, id),
		 "GPU %u: ACCESS again", id);
	memset((void *)(q.data + 0x1000), 0, PAGE);
	tap_zero(munmap(buf, PAGE), "GPU %u: munmap the first page", id);
	{
		uint64_t f = data_va(&q, 0x40);
		uint32_t copy[7] = {
			VKFD_SDMA_HEADER(VKFD_SDMA_OP_COPY, 0), PAGE - 1, 0,
			(uint32_t)(uintptr_t)buf, (uint64_t)(uintptr_t)buf >> 32,
			(uint32_t)data_va(&q, 0x1000), data_va(&q, 0x1000) >> 32,
		};
		uint32_t fence[4] = {
			VKFD_SDMA_HEADER(VKFD_SDMA_OP_FENCE, 0), (uint32_t)f,
			f >> 32, seq,
		};
		double end = now_s() + 2;
		bool fenced = false;

		emit(&q, copy, 7);
		emit(&q, fence, 4);
		kick(&q, q.wptr);
		while (!fenced && now_s() < end) {
			fenced = *(volatile uint32_t *)(q.data + 0x40) == seq;
			usleep(1000);
		}
		tap_ok(!fenced && q.data[0x1000] == 0 &&
		       q.data[0x1000 + PAGE - 1] == 0,
		       "GPU %u: SDMA from the unmapped page faulted, copied nothing",
		       id);
	}
	queue_close(&q);
	munmap(buf, n * PAGE);
	close(drm);
	close(kfd);
}

/* This process's SVM counts in debugfs "processes"; false if not there. */
static bool svm_counts(int *evictions, int *restores, int *evicted)
{
	FILE *f = fopen(VKFD_DEBUGFS "/processes", "r");
	char line[512], want[32];
	bool found = false;
	const char *c;

	snprintf(want, sizeof(want), "tgid %d primary", getpid());
	while (f && !found && fgets(line, sizeof(line), f)) {
		c = strstr(line, " evictions ");
		found = !strncmp(line, want, strlen(want)) && c &&
			sscanf(c, " evictions %d restores %d evicted %d",
			       evictions, restores, evicted) == 3;
	}
	if (f)
		fclose(f);
	return found;
}

/*
 * Queue the packets that wait (SDMA POLL_REGMEM, as a queue that keeps
 * reading the range) until the range's first word is 'flag', then copy
 * the range out to data 0x1000 and write fence 'seq'.
 */
static void queue_poll_copy(struct q *q, const uint8_t *buf, uint32_t len,
			    uint32_t flag, uint32_t seq)
{
	uint64_t va = (uintptr_t)buf, f = data_va(q, 0x40);
	uint32_t poll[6] = {
		VKFD_SDMA_HEADER(VKFD_SDMA_OP_POLL_REGMEM, 0) |
		VKFD_SDMA_POLL_MEM | VKFD_SDMA_POLL_FUNC(VKFD_SDMA_FUNC_EQ),
		(uint32_t)va, va >> 32, flag, 0xffffffff, 0x0fff000a,
	};
	uint32_t copy[7] = {
		VKFD_SDMA_HEADER(VKFD_SDMA_OP_COPY, 0), len - 1, 0,
		(uint32_t)va, va >> 32,
		(uint32_t)data_va(q, 0x1000), data_va(q, 0x1000) >> 32,
	};
	uint32_t fence[4] = {
		VKFD_SDMA_HEADER(VKFD_SDMA_OP_FENCE, 0), (uint32_t)f, f >> 32,
		seq,
	};

	memset((void *)(q->data + 0x1000), 0, len);
	emit(q, poll, 6);
	emit(q, copy, 7);
	emit(q, fence, 4);
	kick(q, q->wptr);
}

static bool fence_is(struct q *q, uint32_t seq)
{
	return __atomic_load_n((volatile uint32_t *)(q->data + 0x40),
			       __ATOMIC_ACQUIRE) == seq;
}

/* Wait up to ms for the restore worker to have caught up. */
static bool svm_settled(int ms, int *evictions, int *restores)
{
	int evicted = -1;
	double end = now_s() + ms / 1000.0;

	do {
		if (svm_counts(evictions, restores, &evicted) && !evicted)
			return true;
		usleep(2000);
	} while (now_s() < end);
	tap_diag("  evictions %d restores %d evicted %d", *evictions,
		 *restores, evicted);
	return false;
}

/*
 * sysfs stats_<gpu_id>/evicted_ms: the milliseconds this process's queues
 * spent evicted, in evictions that ended; -1 if not there.
 */
static long long evicted_ms(unsigned int gpu_id)
{
	return proc_gpu_number(gpu_id, "stats", "evicted_ms");
}

/*
 * Queue eviction and restore (amdkfd without XNACK): while a queue waits
 * on a word of a GPU-mapped range, the CPU changes the range under it
 * in ways that are not an unmap -- madvise(DONTNEED) swaps the page for
 * a new one, mprotect changes permissions, fork makes the pages
 * copy-on-write, PROT_NONE takes them away for a while.  Each evicts
 * the process's queues before the CPU's change goes on and a worker
 * maps the new pages and restores them: the queue goes on with the
 * CPU's bytes, never faults and never stays evicted.
 */
static void check_eviction(int i)
{
	const unsigned int n = 4;
	struct vkfd_gpu *gpu = &gpus[i];
	int kfd = kfd_open(), drm = open_render_node(gpu);
	int ev0, re0, ev, re, evicted;
	long long ms0, ms1;
	bool got;
	unsigned int id = gpu->gpu_id, k;
	uint32_t *words, seq = 100;
	uint8_t *buf;
	struct q q, q2;
	bool q2_ok;
	pid_t pid;
	/* SMI: the queue eviction and restore lines, the GPU unmap's */
	int smi;
	char sb[1024], *sl;
	size_t slen = 0;
	const char *l;
	long long ns_ev = -1, ns_re = -1;
	int spid = -1, strig = -1, sgpu = -1;
	unsigned long upage = 0, usize = 0;

	if (!tap_ok(kfd >= 0 && drm >= 0 && !acquire_vm(kfd, drm, id),
		    "evict %u: bound", id))
		return;
	smi = smi_open_mask(kfd, id,
			    KFD_SMI_EVENT_MASK_FROM_INDEX(KFD_SMI_EVENT_QUEUE_EVICTION) |
			    KFD_SMI_EVENT_MASK_FROM_INDEX(KFD_SMI_EVENT_QUEUE_RESTORE) |
			    KFD_SMI_EVENT_MASK_FROM_INDEX(KFD_SMI_EVENT_UNMAP_FROM_GPU));
	tap_ok(smi >= 0, "evict %u: an SMI reader of eviction, restore, unmap",
	       id);
	if (!tap_ok(queue_open(gpu, &q, kfd, drm, 0x400000000ULL,
			       KFD_IOC_QUEUE_TYPE_SDMA) == 0,
		    "evict %u: an SDMA queue", id))
		return;
	buf = mmap(NULL, n * PAGE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (!tap_ok(buf != MAP_FAILED, "evict %u: SVM memory", id))
		return;
	words = (uint32_t *)buf;
	for (k = 0; k < n * PAGE / 4; k++)
		words[k] = k * 40503u + 7;
	words[0] = 0;
	tap_zero(svm_set1(kfd, buf, n * PAGE, KFD_IOCTL_SVM_ATTR_ACCESS, id),
		 "evict %u: ACCESS over %u pages", id, n);
	got = svm_counts(&ev0, &re0, &evicted);
	tap_ok(got && ev0 == 0 && re0 == 0 &&
	       evicted == 0, "evict %u: debugfs: no eviction yet", id);
	tap_ok(evicted_ms(id) == 0, "evict %u: sysfs evicted_ms reads 0", id);

	/* 1. madvise(DONTNEED): the CPU gets a new zero page */
	queue_poll_copy(&q, buf, n * PAGE, 0x1111, ++seq);
	usleep(20000);
	tap_ok(!fence_is(&q, seq), "evict %u: the queue waits on the range",
	       id);
	tap_zero(madvise(buf, PAGE, MADV_DONTNEED),
		 "evict %u: madvise(DONTNEED) of the polled page", id);
	got = svm_counts(&ev, &re, &evicted);
	tap_ok(got && ev == ev0 + 1,
	       "evict %u: the queues were evicted (%d)", id, ev);
	tap_ok(buf[8] == 0 && buf[PAGE - 1] == 0,
	       "evict %u: the CPU reads a zero page", id);
	buf[8] = 0x5e;
	__atomic_store_n(&words[0], 0x1111, __ATOMIC_RELEASE);
	tap_ok(wait_u32(q.data + 0x40, seq),
	       "evict %u: the queue saw the new page's flag, copied, fenced",
	       id);
	tap_ok(!memcmp((const void *)(q.data + 0x1000), buf, n * PAGE),
	       "evict %u: it copied the CPU's bytes (new page, the rest)",
	       id);
	got = svm_settled(2000, &ev, &re);
	tap_ok(got && re == ev,
	       "evict %u: restored (%d evictions, %d restores)", id, ev, re);

	/* 2. mprotect read-only and back, with work queued */
	words[0] = 0;
	queue_poll_copy(&q, buf, n * PAGE, 0x2222, ++seq);
	ev0 = ev;
	/* the restore worker posts its line just after debugfs counts it */
	smi_wait(smi, sb, sizeof(sb), &slen, KFD_SMI_EVENT_QUEUE_RESTORE,
		 2000);
	smi_drain(smi);
	slen = 0;
	tap_zero(mprotect(buf, n * PAGE, PROT_READ),
		 "evict %u: mprotect(PROT_READ) under the queue", id);
	got = svm_settled(2000, &ev, &re);
	tap_ok(got && ev > ev0 && re == ev,
	       "evict %u: evicted and restored (%d/%d)", id, ev, re);
	/* amdkfd's lines: "9 <ns> -<pid> <gpu> <trigger>", "a <ns> -<pid> <gpu>" */
	l = smi_wait(smi, sb, sizeof(sb), &slen, KFD_SMI_EVENT_QUEUE_RESTORE,
		     2000);
	sl = l ? strchr(sb, '\n') : NULL;
	if (sl)
		*sl = 0;
	l = smi_line(sb, KFD_SMI_EVENT_QUEUE_EVICTION);
	tap_ok(l && sscanf(l, "9 %lld -%d %x %d", &ns_ev, &spid, &sgpu,
			   &strig) == 4 && spid == getpid() &&
	       (unsigned int)sgpu == id &&
	       strig == KFD_QUEUE_EVICTION_TRIGGER_SVM && ns_ev > 0,
	       "evict %u: SMI QUEUE_EVICTION first, trigger SVM: %s", id,
	       l ? l : "(none)");
	if (sl)
		*sl = '\n';
	l = sl ? smi_line(sl + 1, KFD_SMI_EVENT_QUEUE_RESTORE) : NULL;
	spid = sgpu = -1;
	tap_ok(l && sscanf(l, "a %lld -%d %x\n", &ns_re, &spid, &sgpu) == 3 &&
	       spid == getpid() && (unsigned int)sgpu == id && ns_re >= ns_ev,
	       "evict %u: then SMI QUEUE_RESTORE, no earlier", id);
	tap_ok(!fence_is(&q, seq), "evict %u: still waiting on the flag", id);
	tap_zero(mprotect(buf, n * PAGE, PROT_READ | PROT_WRITE),
		 "evict %u: mprotect(PROT_READ | PROT_WRITE)", id);
	memset(buf + PAGE, 0x6d, PAGE);
	__atomic_store_n(&words[0], 0x2222, __ATOMIC_RELEASE);
	tap_ok(wait_u32(q.data + 0x40, seq) &&
	       !memcmp((const void *)(q.data + 0x1000), buf, n * PAGE),
	       "evict %u: after mprotect the queue copied the CPU's bytes",
	       id);
	memset((void *)(q.data + 0x1000), 0xa7, PAGE);
	tap_ok(sdma_copy_fenced(&q, data_va(&q, 0x1000), (uintptr_t)buf + 2 * PAGE,
				PAGE, ++seq) && buf[2 * PAGE] == (uint8_t)0xa7 &&
	       buf[3 * PAGE - 1] == (uint8_t)0xa7,
	       "evict %u: and writes into the range again", id);

	/* 3. fork: the pages become copy-on-write under the queue */
	words[0] = 0;
	queue_poll_copy(&q, buf, n * PAGE, 0x3333, ++seq);
	ev0 = ev;
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		/* the child's copy: the GPU must not see it */
		__atomic_store_n(&words[0], 0x3333, __ATOMIC_RELEASE);
		memset(buf + 3 * PAGE, 0x99, PAGE);
		_exit(0);
	}
	tap_ok(pid > 0 && waitpid(pid, NULL, 0) == pid,
	       "evict %u: a child forked and wrote its copy", id);
	usleep(50000);
	tap_ok(!fence_is(&q, seq) && buf[3 * PAGE] != 0x99,
	       "evict %u: the queue did not see the child's write", id);
	got = svm_settled(2000, &ev, &re);
	tap_ok(got && ev > ev0 && re == ev,
	       "evict %u: fork evicted and restored (%d/%d)", id, ev, re);
	memset(buf + PAGE, 0x42, PAGE);
	__atomic_store_n(&words[0], 0x3333, __ATOMIC_RELEASE);
	tap_ok(wait_u32(q.data + 0x40, seq) &&
	       !memcmp((const void *)(q.data + 0x1000), buf, n * PAGE),
	       "evict %u: the parent's write reached the queue, its bytes copied",
	       id);

	/* 4. PROT_NONE: no pages to map, the queues stay off until back */
	words[0] = 0;
	queue_poll_copy(&q, buf, n * PAGE, 0x4444, ++seq);
	ev0 = ev;
	ms0 = evicted_ms(id);
	tap_ok(ms0 >= 0, "evict %u: evicted_ms after three evictions: %lld",
	       id, ms0);
	tap_zero(mprotect(buf, n * PAGE, PROT_NONE),
		 "evict %u: mprotect(PROT_NONE) under the queue", id);
	usleep(300000);
	got = svm_counts(&ev, &re, &evicted);
	tap_ok(got && ev == ev0 + 1 &&
	       re == ev0 && evicted > 0,
	       "evict %u: queues stay evicted while nothing can be mapped (%d/%d/%d)",
	       id, ev, re, evicted);
	tap_ok(evicted_ms(id) == ms0,
	       "evict %u: evicted_ms counts an eviction at its restore", id);
	/*
	 * A queue made while the process is evicted, and taken inactive and
	 * active again by UPDATE_QUEUE meanwhile, runs from the restore on.
	 */
	q2_ok = tap_ok(queue_open(gpu, &q2, kfd, drm, 0x500000000ULL,
				  KFD_IOC_QUEUE_TYPE_SDMA) == 0,
		       "evict %u: a second queue made while evicted", id);
	if (q2_ok) {
		uint64_t f = data_va(&q2, 0x40);
		uint32_t fence[4] = {
			VKFD_SDMA_HEADER(VKFD_SDMA_OP_FENCE, 0), (uint32_t)f,
			f >> 32, 0x600d,
		};
		struct kfd_ioctl_update_queue_args u = {
			.ring_base_address = q2.base_va,
			.queue_id = q2.id,
			.ring_size = q2.ring_size,
		};

		emit(&q2, fence, 4);
		kick(&q2, q2.wptr);
		tap_zero(ioctl(kfd, AMDKFD_IOC_UPDATE_QUEUE, &u),
			 "evict %u: UPDATE_QUEUE makes it inactive", id);
		u.queue_percentage = 100;
		tap_zero(ioctl(kfd, AMDKFD_IOC_UPDATE_QUEUE, &u),
			 "evict %u: and active again, still evicted", id);
		usleep(100000);
		tap_ok(!fence_is(&q2, 0x600d),
		       "evict %u: it has not run while evicted", id);
	}
	tap_zero(mprotect(buf, n * PAGE, PROT_READ | PROT_WRITE),
		 "evict %u: readable and writable again", id);
	words[0] = 0x4444;
	tap_ok(wait_u32(q.data + 0x40, seq) &&
	       !memcmp((const void *)(q.data + 0x1000), buf, n * PAGE),
	       "evict %u: restored, the queue went on with the CPU's bytes",
	       id);
	tap_ok(q2_ok && wait_u32(q2.data + 0x40, 0x600d),
	       "evict %u: the second queue ran its fence at the restore", id);
	if (q2_ok)
		queue_close(&q2);
	got = svm_settled(2000, &ev, &re);
	tap_ok(got && re == ev,
	       "evict %u: no eviction left (%d/%d)", id, ev, re);
	/* off from mprotect(PROT_NONE) to PROT_READ | PROT_WRITE: >= 0.4 s */
	ms1 = evicted_ms(id);
	tap_ok(ms1 >= ms0 + 400,
	       "evict %u: evicted_ms grew by the 0.4 s the queues were off (%lld -> %lld)",
	       id, ms0, ms1);

	/* 5. munmap + a new page + ACCESS while the queue waits */
	words[0] = 0;
	queue_poll_copy(&q, buf, n * PAGE, 0x5555, ++seq);
	ev0 = ev;
	usleep(50000);
	smi_drain(smi);
	slen = 0;
	tap_ok(!munmap(buf + PAGE, PAGE) &&
	       mmap(buf + PAGE, PAGE, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) ==
	       buf + PAGE, "evict %u: munmap and a new page under the queue",
	       id);
	got = svm_counts(&ev, &re, &evicted);
	tap_ok(got && ev == ev0,
	       "evict %u: munmap evicted nothing (%d)", id, ev);
	/* "b <ns> -<pid> @<page>(<pages>) <gpu> <trigger>", all hex but pid */
	l = smi_wait(smi, sb, sizeof(sb), &slen, KFD_SMI_EVENT_UNMAP_FROM_GPU,
		     2000);
	spid = sgpu = strig = -1;
	tap_ok(l && sscanf(l, "b %lld -%d @%lx(%lx) %x %d", &ns_ev, &spid,
			   &upage, &usize, &sgpu, &strig) == 6 &&
	       spid == getpid() && upage == (uintptr_t)(buf + PAGE) / PAGE &&
	       usize == 1 && (unsigned int)sgpu == id &&
	       strig == KFD_SVM_UNMAP_TRIGGER_UNMAP_FROM_CPU,
	       "evict %u: SMI UNMAP_FROM_GPU of the page, trigger UNMAP_FROM_CPU: %.60s",
	       id, l ? l : "(none)");
	tap_ok(!smi_line(sb, KFD_SMI_EVENT_QUEUE_EVICTION),
	       "evict %u: and no SMI QUEUE_EVICTION for the munmap", id);
	memset(buf + PAGE, 0x3d, PAGE);
	/* the cut and remap of the range's other pages evict meanwhile */
	tap_zero(svm_set1(kfd, buf + PAGE, PAGE, KFD_IOCTL_SVM_ATTR_ACCESS, id),
		 "evict %u: ACCESS for it", id);
	usleep(20000);
	tap_ok(!fence_is(&q, seq), "evict %u: the queue still waits", id);
	words[0] = 0x5555;
	tap_ok(wait_u32(q.data + 0x40, seq) &&
	       !memcmp((const void *)(q.data + 0x1000), buf, n * PAGE),
	       "evict %u: the queue copied the new page and the rest", id);
	got = svm_settled(2000, &ev, &re);
	tap_ok(got && re == ev,
	       "evict %u: no eviction left (%d/%d)", id, ev, re);

	queue_close(&q);
	munmap(buf, n * PAGE);
	if (smi >= 0)
		close(smi);
	close(drm);
	close(kfd);
}

/*
 * An eviction in the middle of a long SDMA job: PRE_PKTS fills of
 * PRE_FILL bytes, each with its own value into its own part of a VRAM
 * BO, then a fence; mprotect(PROT_NONE) of a GPU-mapped SVM page evicts
 * the queue (the device preempts it and keeps the fill in flight) and
 * keeps it off.  Meanwhile the test overwrites what the cut fill had
 * done with a marker: once restored, the fill goes on where it stopped,
 * so the marker stays and every other byte holds its fill's value; a
 * fill run again from its start would overwrite the marker.  A second
 * queue with as much work, destroyed while evicted, is discarded on the
 * device: nothing more of it runs.  Returns 1 if the eviction cut a fill
 * part-way, 0 if it fell between packets (the checks still ran), -1 on
 * a failure that makes another try pointless.
 */
#define PRE_PKTS	8
#define PRE_FILL	(4u << 20)
#define PRE_MARK	0x6d61726bu

/* Queue fills of values base + k over PRE_FILL bytes at va + k * step. */
static void pre_fills(struct q *q, uint64_t va, uint64_t step, uint32_t base,
		      uint32_t seq)
{
	uint64_t f = data_va(q, 0x40);
	uint32_t fence[4] = {
		VKFD_SDMA_HEADER(VKFD_SDMA_OP_FENCE, 0), (uint32_t)f, f >> 32,
		seq,
	};
	uint32_t fill[5], k;

	for (k = 0; k < PRE_PKTS; k++) {
		uint64_t d = va + k * step;

		fill[0] = VKFD_SDMA_HEADER(VKFD_SDMA_OP_CONST_FILL, 0) |
			  VKFD_SDMA_FILL_DWORD;
		fill[1] = (uint32_t)d;
		fill[2] = d >> 32;
		fill[3] = base + k;
		fill[4] = PRE_FILL - 1;
		emit(q, fill, 5);
	}
	emit(q, fence, 4);
	kick(q, q->wptr);
}

/* The first dword of n from which p is not v. */
static uint32_t pre_upto(const volatile uint32_t *p, uint32_t v, uint32_t n)
{
	uint32_t i = 0;

	while (i < n && p[i] == v)
		i++;
	return i;
}

static bool pre_fence(struct q *q, uint32_t seq)
{
	return __atomic_load_n((volatile uint32_t *)(q->data + 0x40),
			       __ATOMIC_ACQUIRE) == seq;
}

/*
 * The device's queues of GPU gpu_id (debugfs "devices", read from its
 * NUM_QUEUES and NUM_PREEMPTED registers): all of them, and in
 * *preempted those preempted; -1 if not found.
 */
static int device_queues(unsigned int gpu_id, int *preempted)
{
	FILE *f = fopen(VKFD_DEBUGFS "/devices", "r");
	char line[512], want[32];
	int all = -1;
	const char *c;

	snprintf(want, sizeof(want), " gpu_id %u ", gpu_id);
	while (f && all < 0 && fgets(line, sizeof(line), f)) {
		c = strstr(line, " device_queues ");
		if (strstr(line, want) && c &&
		    sscanf(c, " device_queues %d preempted %d", &all,
			   preempted) != 2)
			all = -1;
	}
	if (f)
		fclose(f);
	return all;
}

static bool device_queues_are(unsigned int gpu_id, int all, int preempted)
{
	int p = -1, a = device_queues(gpu_id, &p);

	if (a == all && p == preempted)
		return true;
	tap_diag("  device queues %d, preempted %d", a, p);
	return false;
}

/* The queue's mappings (the BOs go with the process). */
static void pre_unmap_queue(struct q *q)
{
	munmap(q->ring, 4096);
	munmap((void *)q->ptrs, 4096);
	munmap((void *)q->data, q->data_size);
	munmap(q->eop_cpu, 4096);
	munmap(q->db_page, 8192);
}

static int check_preempt_try(const struct vkfd_gpu *gpu, int kfd, int drm,
			     unsigned int t)
{
	const uint32_t n = PRE_FILL / 4, base = 0x1000 * (t + 1);
	const size_t size = (size_t)PRE_PKTS * PRE_FILL;
	uint64_t va = 0x700000000ULL + t * 0x10000000ULL, va2 = va + size;
	struct kfd_ioctl_destroy_queue_args dq = { 0 };
	unsigned int id = gpu->gpu_id, k, cut;
	volatile uint32_t *d, *d2, *r;
	uint32_t b = 0, i, bad = 0;
	uint32_t *snap;
	bool q2_done;
	uint64_t rp, rp2;
	struct q q, q2;
	uint8_t *buf;
	int ret;

	if (!tap_ok(queue_open(gpu, &q, kfd, drm,
			       0x600000000ULL + t * 0x1000000ULL,
			       KFD_IOC_QUEUE_TYPE_SDMA) == 0 &&
		    queue_open(gpu, &q2, kfd, drm,
			       0x680000000ULL + t * 0x1000000ULL,
			       KFD_IOC_QUEUE_TYPE_SDMA) == 0,
		    "preempt %u.%u: two SDMA queues", id, t))
		return -1;
	d = bo_cpu(gpu, &q, va, size, F_VRAM);
	d2 = bo_cpu(gpu, &q, va2, PRE_FILL, F_VRAM);
	snap = malloc(PRE_FILL);
	buf = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (!tap_ok(d && d2 && snap && buf != MAP_FAILED &&
		    !svm_set1(kfd, buf, PAGE, KFD_IOCTL_SVM_ATTR_ACCESS, id),
		    "preempt %u.%u: %zu MiB of VRAM, an SVM page on the GPU",
		    id, t, (size + PRE_FILL) >> 20))
		return -1;
	memset((void *)d, 0, size);
	memset((void *)d2, 0, PRE_FILL);
	buf[0] = 1;

	/* the device gives the two queues turns: each has 32 MiB to fill */
	pre_fills(&q2, va2, 0, 0xd000, 1);
	pre_fills(&q, va, PRE_FILL, base, 2);
	tap_zero(mprotect(buf, PAGE, PROT_NONE),
		 "preempt %u.%u: mprotect(PROT_NONE) while the fills run",
		 id, t);
	tap_ok(device_queues_are(id, 2, 2),
	       "preempt %u.%u: both queues preempted on the device", id, t);
	/* SDMA writes its rptr back after each packet; a fill is 20 bytes */
	rp = __atomic_load_n(q.ptrs, __ATOMIC_ACQUIRE);
	rp2 = __atomic_load_n(q2.ptrs, __ATOMIC_ACQUIRE);
	cut = rp / 20;
	if (cut < PRE_PKTS)
		b = pre_upto(d + (uint64_t)cut * n, base + cut, n);
	q2_done = pre_fence(&q2, 1);
	memcpy(snap, (const void *)d2, PRE_FILL);
	tap_diag("  try %u: evicted in fill %u at byte %u, the other queue at ring byte %llu",
		 t, cut, b * 4, (unsigned long long)rp2);
	usleep(50000);
	tap_ok(__atomic_load_n(q.ptrs, __ATOMIC_ACQUIRE) == rp &&
	       (cut >= PRE_PKTS ||
		pre_upto(d + (uint64_t)cut * n, base + cut, n) == b),
	       "preempt %u.%u: nothing runs while evicted", id, t);
	if (cut < PRE_PKTS) {
		r = d + (uint64_t)cut * n;
		for (i = 0; i < b; i++)
			r[i] = PRE_MARK;
	}
	dq.queue_id = q2.id;
	tap_zero(ioctl(kfd, AMDKFD_IOC_DESTROY_QUEUE, &dq),
		 "preempt %u.%u: the other queue destroyed while evicted",
		 id, t);
	tap_ok(device_queues_are(id, 1, 1),
	       "preempt %u.%u: and discarded on the device", id, t);
	tap_zero(mprotect(buf, PAGE, PROT_READ | PROT_WRITE),
		 "preempt %u.%u: mapped again, the queue restored", id, t);
	tap_ok(wait_u32(q.data + 0x40, 2), "preempt %u.%u: the fills ended",
	       id, t);
	tap_ok(device_queues_are(id, 1, 0),
	       "preempt %u.%u: the queue is mapped again", id, t);
	for (k = 0; k < PRE_PKTS; k++) {
		r = d + (uint64_t)k * n;
		for (i = 0; i < n; i++) {
			uint32_t want = k == cut && i < b ? PRE_MARK : base + k;

			if (r[i] != want && bad++ < 4)
				tap_diag("  fill %u dword %u: 0x%x, want 0x%x",
					 k, i, r[i], want);
		}
	}
	tap_ok(!bad, "preempt %u.%u: every fill ran once, the cut one on from where it stopped (%u dwords differ)",
	       id, t, bad);
	usleep(50000);
	tap_ok(q2_done ||
	       (!pre_fence(&q2, 1) &&
		__atomic_load_n(q2.ptrs, __ATOMIC_ACQUIRE) == rp2 &&
		!memcmp(snap, (const void *)d2, PRE_FILL)),
	       "preempt %u.%u: nothing more of the destroyed queue ran%s",
	       id, t, q2_done ? " (it had ended before the eviction)" : "");
	ret = cut < PRE_PKTS && b > 0 && b < n;
	queue_close(&q);
	tap_ok(device_queues_are(id, 0, 0),
	       "preempt %u.%u: no queue left on the device", id, t);
	pre_unmap_queue(&q2);
	munmap((void *)d, size);
	munmap((void *)d2, PRE_FILL);
	munmap(buf, PAGE);
	free(snap);
	return ret;
}

/*
 * Up to three tries of an eviction that must land part-way through the
 * work try() starts; try() returns 1 when one did, 0 when the work ended
 * first, -1 on failure.
 */
static void evict_part_way(int i, const char *name, const char *work,
			   int (*try)(const struct vkfd_gpu *, int, int,
				      unsigned int))
{
	struct vkfd_gpu *gpu = &gpus[i];
	int kfd = kfd_open(), drm = open_render_node(gpu);
	int cut = 0, r = 0;
	unsigned int t;

	if (!tap_ok(kfd >= 0 && drm >= 0 &&
		    !acquire_vm(kfd, drm, gpu->gpu_id),
		    "%s %u: bound", name, gpu->gpu_id))
		return;
	for (t = 0; t < 3 && !cut && r >= 0; t++) {
		r = try(gpu, kfd, drm, t);
		cut += r > 0;
	}
	tap_ok(cut, "%s %u: an eviction cut %s part-way (%u tries)",
	       name, gpu->gpu_id, work, t);
	close(drm);
	close(kfd);
}

static void check_preempt(int i)
{
	evict_part_way(i, "preempt", "a fill", check_preempt_try);
}

/*
 * The same with a shader dispatch: DSP_GROUPS workgroups of 256
 * work-items (four waves) on a compute queue, each work-item adding 1
 * to its dword of cnt1 and to total, looping 1024 times, then adding 1
 * to its dword of cnt2.  The eviction lands while the dispatch runs
 * (0 < total < all); nothing counts while the queue is off; after the
 * restore every work-item counted exactly once in both: a dispatch run
 * again from its first workgroup would count twice.  The kernel
 * (gfx90a; s[0:1] cnt1, s[2:3] cnt2, s[4:5] total from COMPUTE_USER_DATA,
 * s6 the workgroup id, v0 the work-item id):
 *
 *         s_lshl_b32 s7, s6, 8
 *         v_add_u32 v1, s7, v0
 *         v_lshlrev_b32 v1, 2, v1
 *         v_mov_b32 v2, 1
 *         v_mov_b32 v3, 0
 *         global_atomic_add v1, v2, s[0:1]
 *         global_atomic_add v3, v2, s[4:5]
 *         s_waitcnt vmcnt(0)
 *         s_movk_i32 s8, 0x400
 *   loop: s_sub_u32 s8, s8, 1
 *         s_cmp_eq_u32 s8, 0
 *         s_cbranch_scc0 loop
 *         global_atomic_add v1, v2, s[2:3]
 *         s_waitcnt vmcnt(0)
 *         s_endpgm
 *
 * (encodings from llvm-mc -triple=amdgcn-amd-amdhsa -mcpu=gfx90a)
 */
static const uint32_t count_code[] = {
	0x8e078806, 0x68020007, 0x24020282, 0x7e040281, 0x7e060280,
	0xdd088000, 0x00000201, 0xdd088000, 0x00040203, 0xbf8c0f70,
	0xb0080400, 0x80888108, 0xbf068008, 0xbf84fffd, 0xdd088000,
	0x00020201, 0xbf8c0f70, 0xbf810000,
};

#define DSP_GROUPS	512
#define DSP_WG		256
#define DSP_ITEMS	(DSP_GROUPS * DSP_WG)
/* in the queue's data area (below its EOP buffer): total, code, cnt1, cnt2 */
#define DSP_TOTAL	0
#define DSP_CODE	0x1000
#define DSP_CNT1	0x10000
#define DSP_CNT2	(DSP_CNT1 + DSP_ITEMS * 4)
#define DSP_DATA	(DSP_CNT2 + DSP_ITEMS * 4)

static void pm4_sh_reg(struct q *q, uint32_t reg, const uint32_t *val,
		       unsigned int n)
{
	uint32_t h[2] = { VKFD_PM4_HDR(VKFD_PM4_OP_SET_SH_REG, n + 1), reg };

	emit(q, h, 2);
	emit(q, val, n);
}

/* The counting kernel's DISPATCH_DIRECT on q (register offsets from 0x2c00) */
static void dispatch_count(struct q *q)
{
	uint64_t code = data_va(q, DSP_CODE), c1 = data_va(q, DSP_CNT1);
	uint64_t c2 = data_va(q, DSP_CNT2), tot = data_va(q, DSP_TOTAL);
	uint32_t dims[6] = { 0, 0, 0, DSP_WG, 1, 1 };
	uint32_t pgm[2] = { (uint32_t)(code >> 8), (uint32_t)(code >> 40) };
	/* RSRC2: six user SGPRs, the workgroup id x after them */
	uint32_t rsrc[2] = { 0, 6u << 1 | 1u << 7 };
	uint32_t user[6] = {
		(uint32_t)c1, c1 >> 32, (uint32_t)c2, c2 >> 32,
		(uint32_t)tot, tot >> 32,
	};
	/* COMPUTE_SHADER_EN, PARTIAL_TG_EN, USE_THREAD_DIMENSIONS */
	uint32_t go[5] = {
		VKFD_PM4_HDR(VKFD_PM4_OP_DISPATCH_DIRECT, 4),
		DSP_ITEMS, 1, 1, 0x23,
	};

	pm4_sh_reg(q, 0x204, dims, 6);
	pm4_sh_reg(q, 0x20c, pgm, 2);
	pm4_sh_reg(q, 0x212, rsrc, 2);
	pm4_sh_reg(q, 0x240, user, 6);
	emit(q, go, 5);
	kick(q, q->wptr);
}

/* 1 if the eviction cut the dispatch part-way, 0 if not, -1: give up */
static int check_dispatch_try(const struct vkfd_gpu *gpu, int kfd, int drm,
			      unsigned int t)
{
	unsigned int id = gpu->gpu_id;
	volatile uint32_t *total, *c1, *c2;
	uint32_t t1, i, bad = 0;
	struct q q;
	uint8_t *buf;
	bool cut;

	if (!tap_ok(queue_open_sized(gpu, &q, kfd, drm,
				     0x380000000ULL + t * 0x1000000ULL,
				     KFD_IOC_QUEUE_TYPE_COMPUTE,
				     DSP_DATA) == 0,
		    "dispatch %u.%u: a compute queue", id, t))
		return -1;
	buf = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (!tap_ok(buf != MAP_FAILED &&
		    !svm_set1(kfd, buf, PAGE, KFD_IOCTL_SVM_ATTR_ACCESS, id),
		    "dispatch %u.%u: an SVM page on the GPU", id, t))
		return -1;
	buf[0] = 1;
	total = (volatile uint32_t *)(q.data + DSP_TOTAL);
	c1 = (volatile uint32_t *)(q.data + DSP_CNT1);
	c2 = (volatile uint32_t *)(q.data + DSP_CNT2);
	memset((void *)q.data, 0, DSP_DATA);
	memcpy((void *)(q.data + DSP_CODE), count_code, sizeof(count_code));
	__atomic_thread_fence(__ATOMIC_SEQ_CST);

	dispatch_count(&q);
	tap_zero(mprotect(buf, PAGE, PROT_NONE),
		 "dispatch %u.%u: mprotect(PROT_NONE) while it runs", id, t);
	t1 = __atomic_load_n(total, __ATOMIC_ACQUIRE);
	cut = t1 > 0 && t1 < DSP_ITEMS;
	tap_diag("  try %u: evicted after %u of %u work-items", t, t1,
		 DSP_ITEMS);
	tap_ok(device_queues_are(id, 1, 1),
	       "dispatch %u.%u: the queue is preempted on the device", id, t);
	usleep(50000);
	tap_ok(__atomic_load_n(total, __ATOMIC_ACQUIRE) == t1,
	       "dispatch %u.%u: nothing counts while evicted", id, t);
	tap_zero(mprotect(buf, PAGE, PROT_READ | PROT_WRITE),
		 "dispatch %u.%u: mapped again, the queue restored", id, t);
	tap_ok(queue_wait_consumed(&q), "dispatch %u.%u: the dispatch ended",
	       id, t);
	for (i = 0; i < DSP_ITEMS; i++) {
		if ((c1[i] != 1 || c2[i] != 1) && bad++ < 4)
			tap_diag("  work-item %u (group %u): counted %u and %u times",
				 i, i / DSP_WG, c1[i], c2[i]);
	}
	tap_ok(!bad && *total == DSP_ITEMS,
	       "dispatch %u.%u: every work-item counted once (%u differ, total %u)",
	       id, t, bad, *total);
	tap_ok(device_queues_are(id, 1, 0),
	       "dispatch %u.%u: the queue is mapped again", id, t);
	queue_close(&q);
	tap_ok(device_queues_are(id, 0, 0),
	       "dispatch %u.%u: no queue left on the device", id, t);
	munmap(buf, PAGE);
	return cut;
}

static void check_dispatch(int i)
{
	evict_part_way(i, "dispatch", "the dispatch", check_dispatch_try);
}

/*
 * The mirror needs the kernel's HMM (hmm_range_fault): Debian's kernel
 * has it, the debug kernel (scripts/build-debug-kernel.sh) does not.
 */
static bool kernel_has_hmm(void)
{
	FILE *f = fopen("/proc/kallsyms", "r");
	char line[256];
	bool found = false;

	while (f && !found && fgets(line, sizeof(line), f))
		found = strstr(line, " hmm_range_fault\n") != NULL;
	if (f)
		fclose(f);
	return found;
}

static int gpu_child(void *arg)
{
	int failed = tap_failed, i = *(int *)arg;
	int kfd;

	if (kernel_has_hmm()) {
		check_gpu_access(i);
		return tap_failed != failed;
	}
	kfd = kfd_open();
	tap_zero(bind_all_gpus(kfd), "bound to every GPU");
	tap_errno(svm_set1(kfd, mem, PAGE, KFD_IOCTL_SVM_ATTR_ACCESS,
			   gpus[i].gpu_id), EINVAL,
		  "GPU %u: no HMM in this kernel: ACCESS is EINVAL",
		  gpus[i].gpu_id);
	close(kfd);
	return tap_failed != failed;
}

static int evict_child(void *arg)
{
	int failed = tap_failed;

	check_eviction(*(int *)arg);
	return tap_failed != failed;
}

static int preempt_child(void *arg)
{
	int failed = tap_failed;

	check_preempt(*(int *)arg);
	return tap_failed != failed;
}

static int dispatch_child(void *arg)
{
	int failed = tap_failed;

	check_dispatch(*(int *)arg);
	return tap_failed != failed;
}

#define PCI_DRIVER	"/sys/bus/pci/drivers/vkfd"

/*
 * The GPU leaves (driver unbind) while a range is mapped to it: the range
 * outlives it, CPU changes to the range and later SVM calls still work,
 * and the GPU comes back for others.
 */
static int unbind_child(void *arg)
{
	int failed = tap_failed, kfd = kfd_open();
	unsigned int id = gpus[0].gpu_id;
	struct svm_buf b;
	char bdf[64];
	uint8_t *buf;

	buf = mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (!tap_ok(kfd >= 0 && buf != MAP_FAILED && !bind_all_gpus(kfd),
		    "unbind: bound"))
		return 1;
	memset(buf, 0x11, 4 * PAGE);
	tap_zero(svm_set1(kfd, buf, 4 * PAGE, KFD_IOCTL_SVM_ATTR_ACCESS, id),
		 "unbind: a range mapped to GPU %u", id);
	if (!tap_ok(bdf_of_gpu(id, bdf, sizeof(bdf)) &&
		    write_file(PCI_DRIVER "/unbind", bdf),
		    "unbind: %s unbound under it", bdf))
		return 1;
	tap_zero(munmap(buf + PAGE, PAGE), "unbind: munmap of a page of it");
	tap_zero(mprotect(buf, PAGE, PROT_READ), "unbind: mprotect of another");
	memset(&b, 0, sizeof(b));
	b.attrs[0].type = KFD_IOCTL_SVM_ATTR_GRANULARITY;
	tap_zero(svm_call(kfd, KFD_IOCTL_SVM_OP_GET_ATTR, buf + 2 * PAGE,
			  2 * PAGE, &b, 1), "unbind: GET_ATTR of the rest");
	tap_zero(svm_set1(kfd, buf + 2 * PAGE, PAGE, KFD_IOCTL_SVM_ATTR_SET_FLAGS,
			  KFD_IOCTL_SVM_FLAG_GPU_RO), "unbind: SET_ATTR of the rest");
	tap_ok(write_file(PCI_DRIVER "/bind", bdf), "unbind: %s bound again",
	       bdf);
	close(kfd);
	return tap_failed != failed;
}

/*
 * A GPU as a location.  With the kernel's HMM every GPU of the process
 * is an SVM GPU, so amdkfd accepts it: GET_ATTR reports it, and where
 * the GPU's VRAM is not device-private memory (Debian's release kernel
 * has no CONFIG_DEVICE_PRIVATE) the pages stay in system memory, as
 * amdkfd does for a GPU without VRAM of its own.  Without HMM it is
 * EINVAL, as for a GPU outside amdkfd's SVM set.
 */
static void check_locations(int kfd, bool hmm)
{
	uint8_t *x = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct attrs a;
	int i;

	if (!tap_ok(x != MAP_FAILED, "locations: memory"))
		return;
	memset(x, 0x2b, 2 * PAGE);
	for (i = 0; i < ngpu; i++) {
		unsigned int id = gpus[i].gpu_id;

		if (!hmm) {
			tap_errno(svm_set1(kfd, x, PAGE,
					   KFD_IOCTL_SVM_ATTR_PREFERRED_LOC, id),
				  EINVAL, "GPU %u: no HMM: PREFERRED_LOC EINVAL",
				  id);
			tap_errno(svm_set1(kfd, x, PAGE,
					   KFD_IOCTL_SVM_ATTR_PREFETCH_LOC, id),
				  EINVAL, "GPU %u: no HMM: PREFETCH_LOC EINVAL",
				  id);
			continue;
		}
		tap_zero(svm_set1(kfd, x, 2 * PAGE,
				  KFD_IOCTL_SVM_ATTR_PREFERRED_LOC, id),
			 "GPU %u: PREFERRED_LOC = the GPU", id);
		tap_zero(svm_set1(kfd, x + PAGE, PAGE,
				  KFD_IOCTL_SVM_ATTR_PREFETCH_LOC, id),
			 "GPU %u: PREFETCH_LOC = the GPU (second page)", id);
		tap_zero(get_all(kfd, x, PAGE, &a, NULL),
			 "GPU %u: GET_ATTR of the first page", id);
		/* the GPU before set system memory as prefetch location */
		tap_ok(attrs_are(&a, id, i ? SYSMEM : UNDEF, DEFAULT_FLAGS,
				 ~DEFAULT_FLAGS, 9),
		       "GPU %u: it reports the preferred GPU", id);
		tap_zero(get_all(kfd, x, 2 * PAGE, &a, NULL),
			 "GPU %u: GET_ATTR of both", id);
		tap_ok(attrs_are(&a, id, UNDEF, DEFAULT_FLAGS, ~DEFAULT_FLAGS,
				 9), "GPU %u: prefetch only where all agree", id);
		tap_zero(get_all(kfd, x + PAGE, PAGE, &a, NULL),
			 "GPU %u: GET_ATTR of the second page", id);
		tap_ok(attrs_are(&a, id, id, DEFAULT_FLAGS, ~DEFAULT_FLAGS, 9),
		       "GPU %u: it reports both locations", id);
		tap_ok(x[0] == 0x2b && x[2 * PAGE - 1] == 0x2b,
		       "GPU %u: the CPU reads the same bytes", id);
		tap_zero(svm_set1(kfd, x, 2 * PAGE,
				  KFD_IOCTL_SVM_ATTR_PREFETCH_LOC, SYSMEM),
			 "GPU %u: PREFETCH_LOC back to system memory", id);
	}
	munmap(x, 2 * PAGE);
}

/* The checks, in a process of their own whose exit ends its kfd_process. */
static int checks_child(void *arg)
{
	int failed = tap_failed;
	int kfd = kfd_open();

	tap_ok(kfd >= 0, "/dev/kfd opened");
	tap_zero(bind_all_gpus(kfd), "bound to every GPU");
	check_defaults(kfd);
	check_errors(kfd);
	check_locations(kfd, kernel_has_hmm());
	check_ranges(kfd);
	check_munmap(kfd);
	check_bo_overlap(kfd);
	check_io_vma(kfd);
	tap_ok(run_child(secondary_child, NULL) == 0, "secondary checks ran");
	close(kfd);
	return tap_failed != failed;
}

int main(void)
{
	int drv, dev;

	tap_share();
	ngpu = vkfd_gpus(gpus, VKFD_MAX_GPUS);
	if (ngpu <= 0) {
		tap_ok(0, "vkfd GPUs found");
		return tap_done();
	}
	tap_diag("%d GPU(s)", ngpu);
	/* NPAGES pages, then one page unmapped behind them */
	mem = mmap(NULL, (NPAGES + 1) * PAGE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED || munmap(mem + NPAGES * PAGE, PAGE)) {
		tap_ok(0, "test memory");
		return tap_done();
	}
	memset(mem, 0x5a, NPAGES * PAGE);

	tap_ok(run_child(checks_child, NULL) == 0, "SVM checks ran");
	for (int i = 0; i < ngpu; i++)
		tap_ok(run_child(gpu_child, &i) == 0, "GPU %d checks ran", i);
	for (int i = 0; kernel_has_hmm() && i < ngpu; i++)
		tap_ok(run_child(evict_child, &i) == 0,
		       "GPU %d eviction checks ran", i);
	for (int i = 0; kernel_has_hmm() && i < ngpu; i++)
		tap_ok(run_child(preempt_child, &i) == 0,
		       "GPU %d preemption checks ran", i);
	for (int i = 0; kernel_has_hmm() && i < ngpu; i++)
		tap_ok(run_child(dispatch_child, &i) == 0,
		       "GPU %d dispatch preemption checks ran", i);

	if (kernel_has_hmm())
		tap_ok(run_child(unbind_child, NULL) == 0,
		       "unbind checks ran");
	tap_ok(wait_contexts(0, 10), "no device context left");
	vkfd_contexts(&drv, &dev);
	tap_ok(drv == 0 && dev == 0, "contexts: driver %d, device %d", drv, dev);
	for (int i = 0; i < ngpu; i++)
		tap_ok(device_queues_are(gpus[i].gpu_id, 0, 0),
		       "GPU %d: no queue left on the device", i);
	printf("1..%d\n", tap_count);
	return tap_done();
}
