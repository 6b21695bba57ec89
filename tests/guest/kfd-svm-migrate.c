// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Guest test: SVM ranges migrated to VRAM and back (issue 12, point 1),
 * as amdkfd does with device-private pages.  Needs a guest kernel with
 * CONFIG_DEVICE_PRIVATE (the debug kernel): elsewhere the driver has no
 * debugfs vkfd/svm_vram and the whole program is skipped.
 *
 * Per GPU, in a process of its own, with an SDMA queue on that GPU:
 *  - PREFETCH_LOC = the GPU (with ACCESS): GET_ATTR reports it; VRAM in
 *    use grows by the range in debugfs and in AVAILABLE_MEMORY.
 *  - An SDMA copy out of the range reads the CPU's bytes while every page
 *    is still in VRAM (no CPU fault, VRAM unchanged): the GPU read VRAM;
 *    an SDMA copy into the range lands in VRAM.
 *  - PREFETCH_LOC = system memory: VRAM back to what it was, the CPU
 *    reads the bytes and the GPU's write without a fault.
 *  - To the GPU again, granularity 0: a CPU read of one page faults that
 *    page (and only it) back; reading the rest brings all back.
 *  - munmap of a migrated range frees its VRAM; a range larger than the
 *    free VRAM is ENOMEM and moves nothing.
 *  - A range left in VRAM by an exiting process is freed with it.
 *  - 4 MiB to VRAM and back, by prefetch and by CPU faults: timed.
 *  - A GPU unbound with a range in its VRAM: the pages come back to
 *    system memory first, the CPU reads them, the GPU binds again.
 *  - An SMI reader of the GPU gets MIGRATE_START and MIGRATE_END lines
 *    (amdkfd's format, trigger PREFETCH) for the prefetches both ways.
 * With two GPUs: a range moves from one GPU's VRAM to the other's; a
 * prefetch to one GPU while another has access keeps it in system
 * memory (amdkfd without XNACK and without an XGMI hive).  TAP.
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
#define SYSMEM		KFD_IOCTL_SVM_LOCATION_SYSMEM
#define SVM_VRAM	VKFD_DEBUGFS "/svm_vram"

static struct vkfd_gpu gpus[VKFD_MAX_GPUS];
static int ngpu;

static uint32_t get_prefetch(int kfd, const void *start, uint64_t size)
{
	struct svm_buf b = {
		.attrs[0] = { KFD_IOCTL_SVM_ATTR_PREFETCH_LOC, 0 },
	};

	if (svm_call(kfd, KFD_IOCTL_SVM_OP_GET_ATTR, start, size, &b, 1))
		return 0xdead;
	return b.attrs[0].value;
}

/* One GPU's line of debugfs svm_vram, counts in pages. */
struct vram {
	long long in_use, to_vram, to_ram, faults, fault_pages;
};

static bool vram_of(unsigned int gpu_id, struct vram *v)
{
	FILE *f = fopen(SVM_VRAM, "r");
	char line[512], want[32];
	bool found = false;

	snprintf(want, sizeof(want), " gpu_id %u ", gpu_id);
	while (f && !found && fgets(line, sizeof(line), f)) {
		char *s = strstr(line, want);

		if (!s)
			continue;
		found = sscanf(strstr(s, " in_use "),
			       " in_use %lld to_vram %lld to_ram %lld cpu_faults %lld cpu_fault_pages %lld",
			       &v->in_use, &v->to_vram, &v->to_ram, &v->faults,
			       &v->fault_pages) == 5;
	}
	if (f)
		fclose(f);
	return found;
}

/* This process's amdkfd SVM counter name on a GPU (pages); -1 if none */
static long long counter(unsigned int gpu_id, const char *name)
{
	return proc_gpu_number(gpu_id, "counters", name);
}

/* VRAM pages in use for SVM reach want (chunks go back from a worker). */
static bool wait_in_use(unsigned int gpu_id, long long want, struct vram *v)
{
	double end = now_s() + 5;

	do {
		if (vram_of(gpu_id, v) && v->in_use == want)
			return true;
		usleep(2000);
	} while (now_s() < end);
	tap_diag("  gpu %u: in_use %lld, wanted %lld", gpu_id, v->in_use,
		 want);
	return false;
}

static bool wait_available(int kfd, unsigned int gpu_id, uint64_t want)
{
	double end = now_s() + 5;
	uint64_t got;

	do {
		got = available(kfd, gpu_id);
		if (got == want)
			return true;
		usleep(2000);
	} while (now_s() < end);
	tap_diag("  gpu %u: available %llu, wanted %llu", gpu_id,
		 (unsigned long long)got, (unsigned long long)want);
	return false;
}

static uint8_t *new_range(const uint8_t *ref)
{
	uint8_t *buf = mmap(NULL, NPAGES * PAGE, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (buf == MAP_FAILED)
		return NULL;
	memcpy(buf, ref, NPAGES * PAGE);
	return buf;
}

/*
 * 4 MiB to VRAM and back by prefetch, then to VRAM and back by CPU
 * faults (granularity 9: 2 MiB a fault): the bytes survive; the times
 * are reported.
 */
static void measure(int kfd, unsigned int id)
{
	const uint64_t size = 4 * MiB;
	uint8_t *buf = mmap(NULL, size, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	double t0, t1, t2, t3;
	struct vram v0, v;
	bool ok;
	uint64_t k, sum = 0, want = 0;

	if (!tap_ok(buf != MAP_FAILED && vram_of(id, &v0),
		    "GPU %u: 4 MiB of memory", id))
		return;
	for (k = 0; k < size; k += 8) {
		*(uint64_t *)(buf + k) = k * 0x9e3779b97f4a7c15ULL;
		want += k * 0x9e3779b97f4a7c15ULL;
	}
	t0 = now_s();
	tap_zero(svm_set1(kfd, buf, size, KFD_IOCTL_SVM_ATTR_PREFETCH_LOC, id),
		 "GPU %u: 4 MiB to VRAM", id);
	t1 = now_s();
	tap_zero(svm_set1(kfd, buf, size, KFD_IOCTL_SVM_ATTR_PREFETCH_LOC, SYSMEM),
		 "GPU %u: 4 MiB back", id);
	t2 = now_s();
	tap_zero(svm_set1(kfd, buf, size, KFD_IOCTL_SVM_ATTR_PREFETCH_LOC, id),
		 "GPU %u: 4 MiB to VRAM again", id);
	t3 = now_s();
	for (k = 0; k < size; k += 8)
		sum += *(uint64_t *)(buf + k);
	ok = vram_of(id, &v);
	tap_ok(sum == want && ok && v.in_use == v0.in_use,
	       "GPU %u: CPU faults brought all 4 MiB back, bytes intact (%lld faults)",
	       id, v.faults - v0.faults);
	tap_diag("GPU %u: 4 MiB to VRAM %.1f ms, back by prefetch %.1f ms, "
		 "back by CPU faults %.1f ms", id, (t1 - t0) * 1e3,
		 (t2 - t1) * 1e3, (now_s() - t3) * 1e3);
	munmap(buf, size);
}

/* Lines of event in SMI text buf. */
static int smi_count(const char *buf, unsigned int event)
{
	const char *l = buf;
	int n = 0;

	while ((l = smi_line(l, event))) {
		n++;
		l = strchr(l, '\n');
		if (!l)
			break;
		l++;
	}
	return n;
}

/* Prefetch to GPU i and back, the GPU's view, CPU faults, munmap. */
/*
 * SMI's MIGRATE_START and MIGRATE_END lines of a migration of pages
 * [first, first + pages) from GPU from to GPU to (0: system memory) for
 * trigger (a prefetch, a CPU fault), as amdkfd: "5 <ns> -<pid>
 * @<page>(<pages>) <from>-><to> <prefetch>:<preferred> <trigger>",
 * "6 <ns> -<pid> @<page>(<pages>) <from>-><to> <trigger>".
 */
static void smi_migration(int smi, char *sb, size_t size, size_t *slen,
			  unsigned long first, unsigned long pages,
			  unsigned int from, unsigned int to,
			  unsigned int prefetch, int trigger)
{
	const char *why = trigger == KFD_MIGRATE_TRIGGER_PREFETCH ?
			  "PREFETCH" : "PAGEFAULT_CPU";
	unsigned long page = 0, n = 0, page2 = 0, n2 = 0;
	unsigned int f = ~0u, t = ~0u, pf = ~0u, pref = 0, f2 = ~0u, t2 = ~0u;
	long long ns = -1, ns2 = -1;
	int pid = -1, trig = -1, pid2 = -1, trig2 = -1;
	const char *l;

	smi_wait(smi, sb, size, slen, KFD_SMI_EVENT_MIGRATE_END, 2000);
	l = smi_line(sb, KFD_SMI_EVENT_MIGRATE_START);
	tap_ok(l && sscanf(l, "5 %lld -%d @%lx(%lx) %x->%x %x:%x %d", &ns,
			   &pid, &page, &n, &f, &t, &pf, &pref, &trig) == 9 &&
	       pid == getpid() && page == first && n == pages && f == from &&
	       t == to && pf == prefetch &&
	       pref == KFD_IOCTL_SVM_LOCATION_UNDEFINED && trig == trigger,
	       "SMI MIGRATE_START %x->%x, trigger %s: %.70s", from, to, why,
	       l ? l : "(none)");
	l = smi_line(sb, KFD_SMI_EVENT_MIGRATE_END);
	tap_ok(l && sscanf(l, "6 %lld -%d @%lx(%lx) %x->%x %d", &ns2, &pid2,
			   &page2, &n2, &f2, &t2, &trig2) == 7 &&
	       pid2 == pid && page2 == page && n2 == n && f2 == from &&
	       t2 == to && trig2 == trigger && ns2 >= ns,
	       "SMI MIGRATE_END %x->%x, trigger %s, after the start", from, to,
	       why);
}

static void check_gpu(int i, const uint8_t *ref)
{
	const uint64_t size = NPAGES * PAGE;
	struct vkfd_gpu *gpu = &gpus[i];
	unsigned int id = gpu->gpu_id;
	int kfd = kfd_open(), drm = open_render_node(gpu);
	uint64_t avail0;
	uint32_t seq = 1;
	struct vram v0, v;
	bool ok;
	uint8_t *buf;
	struct q q;
	int smi;
	char sb[1024];
	size_t slen = 0;

	if (!tap_ok(kfd >= 0 && drm >= 0 && !acquire_vm(kfd, drm, id),
		    "GPU %u: bound", id))
		return;
	smi = smi_open_mask(kfd, id,
			    KFD_SMI_EVENT_MASK_FROM_INDEX(KFD_SMI_EVENT_MIGRATE_START) |
			    KFD_SMI_EVENT_MASK_FROM_INDEX(KFD_SMI_EVENT_MIGRATE_END));
	tap_ok(smi >= 0, "GPU %u: an SMI reader of migrations", id);
	if (!tap_ok(queue_open(gpu, &q, kfd, drm, 0x400000000ULL,
			       KFD_IOC_QUEUE_TYPE_SDMA) == 0,
		    "GPU %u: an SDMA queue", id))
		return;
	buf = new_range(ref);
	if (!tap_ok(buf && vram_of(id, &v0), "GPU %u: memory, debugfs", id))
		return;
	avail0 = available(kfd, id);

	/* 1. to the GPU's VRAM */
	tap_zero(svm_set2(kfd, buf, size, KFD_IOCTL_SVM_ATTR_ACCESS, id,
			  KFD_IOCTL_SVM_ATTR_PREFETCH_LOC, id),
		 "GPU %u: SET_ATTR ACCESS + PREFETCH_LOC = the GPU", id);
	tap_ok(get_prefetch(kfd, buf, size) == id,
	       "GPU %u: GET_ATTR reports PREFETCH_LOC = the GPU", id);
	ok = vram_of(id, &v);
	tap_ok(ok && v.in_use == v0.in_use + NPAGES &&
	       v.to_vram == v0.to_vram + NPAGES,
	       "GPU %u: %d pages moved to VRAM (in use %lld)", id, NPAGES,
	       v.in_use);
	tap_ok(available(kfd, id) == avail0 - size,
	       "GPU %u: AVAILABLE_MEMORY less by the range", id);
	tap_ok(counter(id, "page_in") == NPAGES &&
	       counter(id, "page_out") == 0 && counter(id, "faults") == 0,
	       "GPU %u: sysfs counters: page_in %lld, page_out 0, faults 0", id,
	       counter(id, "page_in"));
	smi_migration(smi, sb, sizeof(sb), &slen, (uintptr_t)buf / PAGE, NPAGES,
		      0, id, id, KFD_MIGRATE_TRIGGER_PREFETCH);

	/* 2. the GPU reads and writes VRAM; the CPU is not involved */
	memset((void *)(q.data + 0x1000), 0, size);
	tap_ok(sdma_copy_fenced(&q, (uintptr_t)buf, data_va(&q, 0x1000), size, seq++),
	       "GPU %u: SDMA copy out of the range done", id);
	tap_ok(!memcmp((const void *)(q.data + 0x1000), ref, size),
	       "GPU %u: SDMA read the CPU's bytes", id);
	tap_ok(vram_of(id, &v) && v.in_use == v0.in_use + NPAGES &&
	       v.faults == v0.faults,
	       "GPU %u: ... from VRAM: no page moved, no CPU fault", id);
	memset((void *)(q.data + 0x1000), 0x3c, PAGE);
	tap_ok(sdma_copy_fenced(&q, data_va(&q, 0x1000), (uintptr_t)buf + PAGE, PAGE,
				seq++), "GPU %u: SDMA copy into page 1 done", id);
	tap_ok(vram_of(id, &v) && v.in_use == v0.in_use + NPAGES &&
	       v.faults == v0.faults,
	       "GPU %u: the range is still all in VRAM", id);

	/* 3. back to system memory by prefetch: no CPU fault */
	tap_zero(svm_set1(kfd, buf, size, KFD_IOCTL_SVM_ATTR_PREFETCH_LOC, SYSMEM),
		 "GPU %u: PREFETCH_LOC = system memory", id);
	tap_ok(get_prefetch(kfd, buf, size) == SYSMEM,
	       "GPU %u: GET_ATTR reports system memory", id);
	tap_ok(wait_in_use(id, v0.in_use, &v) &&
	       v.to_ram == v0.to_ram + NPAGES,
	       "GPU %u: %d pages back in system memory", id, NPAGES);
	slen = 0;
	smi_migration(smi, sb, sizeof(sb), &slen, (uintptr_t)buf / PAGE, NPAGES,
		      id, 0, SYSMEM, KFD_MIGRATE_TRIGGER_PREFETCH);
	tap_ok(wait_available(kfd, id, avail0),
	       "GPU %u: AVAILABLE_MEMORY as before", id);
	tap_ok(counter(id, "page_out") == NPAGES &&
	       counter(id, "page_in") == NPAGES,
	       "GPU %u: sysfs counters: page_out %lld, page_in as before", id,
	       counter(id, "page_out"));
	tap_ok(buf[PAGE] == 0x3c && buf[2 * PAGE - 1] == 0x3c &&
	       !memcmp(buf, ref, PAGE) &&
	       !memcmp(buf + 2 * PAGE, ref + 2 * PAGE, size - 2 * PAGE),
	       "GPU %u: the CPU reads its bytes and the GPU's write", id);
	tap_ok(vram_of(id, &v) && v.faults == v0.faults,
	       "GPU %u: ... without a CPU fault", id);
	memcpy(buf + PAGE, ref + PAGE, PAGE);

	/* 4. to VRAM again, granularity 0: CPU faults one page at a time */
	tap_zero(svm_set2(kfd, buf, size, KFD_IOCTL_SVM_ATTR_GRANULARITY, 0,
			  KFD_IOCTL_SVM_ATTR_PREFETCH_LOC, id),
		 "GPU %u: granularity 0, to the GPU again", id);
	tap_ok(vram_of(id, &v) && v.in_use == v0.in_use + NPAGES,
	       "GPU %u: in VRAM again", id);
	tap_ok(counter(id, "page_in") == 2 * NPAGES &&
	       counter(id, "page_out") == NPAGES,
	       "GPU %u: sysfs page_in %lld", id, counter(id, "page_in"));
	v0.faults = v.faults;
	v0.fault_pages = v.fault_pages;
	/* the prefetch's events are not the fault's */
	if (smi >= 0)
		smi_drain(smi);
	slen = 0;
	tap_ok(!memcmp(buf + 3 * PAGE, ref + 3 * PAGE, PAGE),
	       "GPU %u: the CPU reads page 3", id);
	ok = vram_of(id, &v);
	tap_ok(ok && v.faults == v0.faults + 1 &&
	       v.fault_pages == v0.fault_pages + 1 &&
	       v.in_use == v0.in_use + NPAGES - 1,
	       "GPU %u: one CPU fault brought that page back (%lld faults)",
	       id, v.faults - v0.faults);
	tap_ok(counter(id, "page_out") == NPAGES + 1,
	       "GPU %u: sysfs page_out counts the CPU fault's page (%lld)", id,
	       counter(id, "page_out"));
	/* amdkfd's svm_migrate_to_ram: the fault's page, VRAM to RAM */
	smi_migration(smi, sb, sizeof(sb), &slen, (uintptr_t)buf / PAGE + 3, 1,
		      id, 0, id, KFD_MIGRATE_TRIGGER_PAGEFAULT_CPU);
	tap_ok(smi_count(sb, KFD_SMI_EVENT_MIGRATE_START) == 1 &&
	       smi_count(sb, KFD_SMI_EVENT_MIGRATE_END) == 1,
	       "GPU %u: one fault, one MIGRATE_START and one MIGRATE_END", id);
	if (smi >= 0)
		close(smi);
	memset((void *)(q.data + 0x1000), 0, size);
	tap_ok(sdma_copy_fenced(&q, (uintptr_t)buf, data_va(&q, 0x1000), size,
				seq++) &&
	       !memcmp((const void *)(q.data + 0x1000), ref, size),
	       "GPU %u: SDMA reads the range, one page in RAM, the rest in VRAM",
	       id);
	tap_ok(!memcmp(buf, ref, size), "GPU %u: the CPU reads it all", id);
	tap_ok(counter(id, "page_out") == 2 * NPAGES &&
	       counter(id, "faults") == 0,
	       "GPU %u: sysfs page_out %lld: every page came back, faults 0",
	       id, counter(id, "page_out"));
	tap_ok(wait_in_use(id, v0.in_use, &v) &&
	       v.faults == v0.faults + NPAGES,
	       "GPU %u: %d CPU faults, VRAM given back", id, NPAGES);
	tap_ok(wait_available(kfd, id, avail0),
	       "GPU %u: AVAILABLE_MEMORY as before", id);

	/* 5. munmap of a range in VRAM */
	tap_zero(svm_set1(kfd, buf, size, KFD_IOCTL_SVM_ATTR_PREFETCH_LOC, SYSMEM),
		 "GPU %u: PREFETCH_LOC system memory", id);
	tap_zero(svm_set1(kfd, buf, size, KFD_IOCTL_SVM_ATTR_PREFETCH_LOC, id),
		 "GPU %u: and the GPU again", id);
	tap_ok(vram_of(id, &v) && v.in_use == v0.in_use + NPAGES,
	       "GPU %u: in VRAM", id);
	tap_zero(munmap(buf, size), "GPU %u: munmap of the range", id);
	tap_ok(wait_in_use(id, v0.in_use, &v) &&
	       wait_available(kfd, id, avail0),
	       "GPU %u: munmap gave its VRAM back", id);

	/* 6. more than the free VRAM: ENOMEM, nothing moved */
	{
		uint64_t h = 0, off = 0, left = 8 * PAGE;
		uint64_t big = avail0 - left;

		buf = new_range(ref);
		tap_zero(alloc_bo(kfd, id, VA0, big, F_VRAM | F_RW, &h, &off),
			 "GPU %u: a VRAM BO leaving %llu KiB free", id,
			 (unsigned long long)left / 1024);
		tap_errno(svm_set1(kfd, buf, size, KFD_IOCTL_SVM_ATTR_PREFETCH_LOC,
				   id), ENOMEM,
			  "GPU %u: prefetch of %llu KiB: ENOMEM", id,
			  (unsigned long long)size / 1024);
		tap_ok(vram_of(id, &v) && v.in_use == v0.in_use &&
		       available(kfd, id) == left && buf &&
		       !memcmp(buf, ref, size),
		       "GPU %u: nothing moved, the bytes are there", id);
		tap_zero(free_bo(kfd, h), "GPU %u: BO freed", id);
		munmap(buf, size);
	}

	measure(kfd, id);

	/* 7. left in VRAM at exit: the parent checks it is freed */
	buf = new_range(ref);
	tap_zero(svm_set1(kfd, buf, size, KFD_IOCTL_SVM_ATTR_PREFETCH_LOC, id),
		 "GPU %u: a range left in VRAM at exit", id);
	tap_ok(vram_of(id, &v) && v.in_use == v0.in_use + NPAGES,
	       "GPU %u: in VRAM", id);
	queue_close(&q);
	close(drm);
	close(kfd);
}

/* Two GPUs: VRAM to VRAM, and a prefetch with another GPU accessing. */
static void check_two(const uint8_t *ref)
{
	const uint64_t size = NPAGES * PAGE;
	unsigned int a = gpus[0].gpu_id, b = gpus[1].gpu_id;
	int kfd = kfd_open();
	struct vram a0, b0, va, vb;
	uint8_t *buf = new_range(ref);

	if (!tap_ok(kfd >= 0 && !bind_all_gpus(kfd) && buf &&
		    vram_of(a, &a0) && vram_of(b, &b0), "two GPUs: bound"))
		return;
	tap_zero(svm_set1(kfd, buf, size, KFD_IOCTL_SVM_ATTR_PREFETCH_LOC, a),
		 "two GPUs: to GPU %u", a);
	tap_ok(vram_of(a, &va) && va.in_use == a0.in_use + NPAGES,
	       "two GPUs: in GPU %u's VRAM", a);
	tap_zero(svm_set1(kfd, buf, size, KFD_IOCTL_SVM_ATTR_PREFETCH_LOC, b),
		 "two GPUs: to GPU %u", b);
	tap_ok(wait_in_use(a, a0.in_use, &va) && vram_of(b, &vb) &&
	       vb.in_use == b0.in_use + NPAGES,
	       "two GPUs: moved from GPU %u's VRAM to GPU %u's", a, b);
	tap_ok(get_prefetch(kfd, buf, size) == b,
	       "two GPUs: GET_ATTR reports GPU %u", b);
	tap_ok(!memcmp(buf, ref, size) && wait_in_use(b, b0.in_use, &vb) &&
	       vb.faults > b0.faults,
	       "two GPUs: the CPU reads the bytes, faulted back from GPU %u",
	       b);

	/* another GPU has access: amdkfd keeps the range in system memory */
	tap_zero(svm_set2(kfd, buf, size, KFD_IOCTL_SVM_ATTR_ACCESS, b,
			  KFD_IOCTL_SVM_ATTR_PREFETCH_LOC, a),
		 "two GPUs: ACCESS for GPU %u, prefetch to GPU %u", b, a);
	tap_ok(vram_of(a, &va) && va.in_use == a0.in_use &&
	       vram_of(b, &vb) && vb.in_use == b0.in_use,
	       "two GPUs: the range stays in system memory");
	tap_ok(get_prefetch(kfd, buf, size) == a,
	       "two GPUs: GET_ATTR still reports GPU %u", a);
	munmap(buf, size);
	close(kfd);
}

#define PCI_DRIVER	"/sys/bus/pci/drivers/vkfd"

/*
 * The GPU leaves (driver unbind) while a range is in its VRAM: the
 * pages come back to system memory first, the CPU reads them, SVM calls
 * on the range still work, and the GPU binds again.
 */
static int unbind_child(void *arg)
{
	const uint8_t *ref = arg;
	const uint64_t size = NPAGES * PAGE;
	unsigned int id = gpus[0].gpu_id;
	int failed = tap_failed, kfd = kfd_open();
	uint8_t *buf = new_range(ref);
	struct vram v0, v;
	char bdf[64];
	bool ok;

	if (!tap_ok(kfd >= 0 && buf && !bind_all_gpus(kfd) &&
		    vram_of(id, &v0), "unbind: bound"))
		return 1;
	tap_zero(svm_set1(kfd, buf, size, KFD_IOCTL_SVM_ATTR_PREFETCH_LOC, id),
		 "unbind: a range in GPU %u's VRAM", id);
	ok = vram_of(id, &v);
	tap_ok(ok && v.in_use == v0.in_use + NPAGES, "unbind: in VRAM");
	if (!tap_ok(bdf_of_gpu(id, bdf, sizeof(bdf)) &&
		    write_file(PCI_DRIVER "/unbind", bdf),
		    "unbind: %s unbound under it", bdf))
		return 1;
	tap_ok(!memcmp(buf, ref, size),
	       "unbind: the CPU reads the range's bytes (moved back at unbind)");
	tap_ok(get_prefetch(kfd, buf, size) == id,
	       "unbind: GET_ATTR of the range still works");
	tap_zero(svm_set1(kfd, buf, size, KFD_IOCTL_SVM_ATTR_PREFETCH_LOC, SYSMEM),
		 "unbind: SET_ATTR of the range still works");
	tap_ok(write_file(PCI_DRIVER "/bind", bdf), "unbind: %s bound again",
	       bdf);
	munmap(buf, size);
	close(kfd);
	return tap_failed != failed;
}

static int gpu_child(void *arg)
{
	int failed = tap_failed, i = *(int *)arg;
	static uint8_t ref[NPAGES * PAGE];
	uint32_t *w = (uint32_t *)ref;
	unsigned int k;

	for (k = 0; k < NPAGES * PAGE / 4; k++)
		w[k] = k * 2654435761u + i;
	check_gpu(i, ref);
	return tap_failed != failed;
}

static int two_child(void *arg)
{
	int failed = tap_failed;
	static uint8_t ref[NPAGES * PAGE];
	unsigned int k;

	for (k = 0; k < sizeof(ref); k++)
		ref[k] = k * 7 + 1;
	check_two(ref);
	return tap_failed != failed;
}

int main(void)
{
	struct vram v0[VKFD_MAX_GPUS], v;
	int i;

	ngpu = vkfd_gpus(gpus, VKFD_MAX_GPUS);
	if (ngpu > 0 && !path_exists(SVM_VRAM)) {
		printf("1..0 # SKIP no device-private memory in this kernel "
		       "(CONFIG_DEVICE_PRIVATE): SVM ranges stay in system "
		       "memory\n");
		return 0;
	}
	tap_share();
	if (ngpu <= 0) {
		tap_ok(0, "vkfd GPUs found");
		return tap_done();
	}
	tap_diag("%d GPU(s)", ngpu);
	for (i = 0; i < ngpu; i++)
		tap_ok(vram_of(gpus[i].gpu_id, &v0[i]),
		       "GPU %u: VRAM registered as device memory",
		       gpus[i].gpu_id);
	for (i = 0; i < ngpu; i++) {
		tap_ok(run_child(gpu_child, &i) == 0, "GPU %d checks ran", i);
		tap_ok(wait_in_use(gpus[i].gpu_id, v0[i].in_use, &v),
		       "GPU %u: the exited process's range left VRAM",
		       gpus[i].gpu_id);
	}
	if (ngpu > 1)
		tap_ok(run_child(two_child, NULL) == 0, "two-GPU checks ran");
	{
		static uint8_t ref[NPAGES * PAGE];

		memset(ref, 0xa5, sizeof(ref));
		tap_ok(run_child(unbind_child, ref) == 0, "unbind checks ran");
	}
	tap_ok(vkfd_devices_sum("vram_used") == 0,
	       "no VRAM in use on any GPU");
	tap_ok(wait_contexts(0, 10), "no device context left");
	return tap_done();
}
