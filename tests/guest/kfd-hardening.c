// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Guest test: the driver's defences against an unprivileged user (issue
 * 10).  One case per point of the issue: CPU mappings across fork, split
 * and mremap; mmap racing FREE (2 vCPUs make it a real race); a BO's
 * mapping after its process context goes; limits on events, BOs, page
 * tables and system memory; USERPTR bounds and pinned-memory accounting;
 * no user copy under the global lock; the device unbound under live
 * mappings; doorbell and MMIO mappings that cannot be split or moved; a
 * primary after exec; the events page re-mapped smaller; no ENOTSUPP;
 * device contexts per user; secondaries' sysfs names; and (issue 11)
 * every bad argument of the ioctls ROCr added to libhsakmt's start-up;
 * RUNTIME_ENABLE, DBG_TRAP and CRIU_OP with amdkfd's errno for each path.
 *
 * Runs as root, opens what only root may open (render nodes, debugfs),
 * and does the rest in children running as uid 65534 (and 65533).
 * Prints TAP.  `--only vma,race,ctx,limits,userptr,io,errno,events,exec,
 * users,lock,sysfs,clock,unbind,rocm,rtdbg` runs some groups alone.
 */
#define _GNU_SOURCE
#include <grp.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "tap.h"
#include "kfd-queue-util.h"

#define DOORBELL_BYTES	8192
#define NOBODY		65534
#define NOBODY2		65533

static struct vkfd_gpu gpus[VKFD_MAX_GPUS];
static int ngpu;
static const char *only;	/* --only a,b,...: run these groups alone */

static bool want(const char *group)
{
	const char *p = only;
	size_t n = strlen(group);

	if (!only)
		return true;
	while ((p = strstr(p, group))) {
		if ((p == only || p[-1] == ',') && (!p[n] || p[n] == ','))
			return true;
		p += n;
	}
	return false;
}

/* ------------------------------------------------------------ helpers */

static int create_process(int kfd)
{
	return ioctl(kfd, AMDKFD_IOC_CREATE_PROCESS);
}

/* Become an unprivileged user for good. */
static bool drop_to(uid_t uid)
{
	return setgroups(0, NULL) == 0 && setgid(uid) == 0 &&
	       setuid(uid) == 0 && getuid() == uid && geteuid() == uid;
}

/* A kfd file of a new secondary bound to gpu 0 through render file drm. */
static int secondary_on(int drm)
{
	int kfd = kfd_open();

	if (kfd < 0)
		return -1;
	if (create_process(kfd) || acquire_vm(kfd, drm, gpus[0].gpu_id)) {
		close(kfd);
		return -1;
	}
	return kfd;
}

static int create_event(int kfd, unsigned int type, unsigned int *id)
{
	struct kfd_ioctl_create_event_args a = { .event_type = type };
	int ret = ioctl(kfd, AMDKFD_IOC_CREATE_EVENT, &a);

	if (!ret && id)
		*id = a.event_id;
	return ret;
}

static int destroy_event(int kfd, unsigned int id)
{
	struct kfd_ioctl_destroy_event_args a = { .event_id = id };

	return ioctl(kfd, AMDKFD_IOC_DESTROY_EVENT, &a);
}

/* Releases run in a workqueue: wait for the number of kfd_processes. */
static bool wait_process_count(int want, double timeout_s)
{
	double end = now_s() + timeout_s;

	while (vkfd_process_count() != want && now_s() < end)
		usleep(2000);
	return vkfd_process_count() == want;
}

static long meminfo_kb(const char *key)
{
	FILE *f = fopen("/proc/meminfo", "r");
	char line[256];
	long v = -1;

	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, key, strlen(key)))
			v = atol(line + strlen(key) + 1);
	if (f)
		fclose(f);
	return v;
}

static long vm_pin_kb(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long v = -1;

	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "VmPin:", 6))
			v = atol(line + 6);
	if (f)
		fclose(f);
	return v;
}

/* ------------------------------------------- (1) fork, split, mremap */

/* In a child: is p unmapped there?  mprotect says ENOMEM if so. */
static int fork_unmapped(void *p)
{
	return mprotect(p, 4096, PROT_NONE) == -1 && errno == ENOMEM ? 0 : 1;
}

/* A free range of the address space to mremap into. */
static void *spare_range(size_t size)
{
	return mmap(NULL, size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
}

static void test_vma_ops(int kfd, int drm)
{
	unsigned int gpu = gpus[0].gpu_id;
	uint64_t before = available(kfd, gpu), h, off = 0, hv, offv = 0;
	uint8_t *cpu, *moved, *res;
	uint32_t v = 0;
	bool same = true;
	size_t i;

	/* libhsakmt's PROT_NONE reservation of a VRAM BO, then fork */
	tap_zero(alloc_bo(kfd, gpu, VA0, MiB, F_VRAM | F_RW, &hv, &offv),
		 "vma: ALLOC 1 MiB VRAM");
	res = mmap(NULL, MiB, PROT_NONE, MAP_PRIVATE, drm, offv);
	tap_ok(res != MAP_FAILED, "vma: PROT_NONE reservation of it");
	tap_ok(res != MAP_FAILED && run_child(fork_unmapped, res) == 0,
	       "vma: a child does not inherit the reservation");
	tap_zero(free_bo(kfd, hv), "vma: FREE the reserved BO");
	munmap(res, MiB);

	/* a GTT mapping split by munmap and mprotect, and moved */
	tap_zero(alloc_bo(kfd, gpu, VA0, 2 * MiB, F_GTT | F_RW, &h, &off),
		 "vma: ALLOC 2 MiB GTT");
	cpu = mmap(NULL, 2 * MiB, PROT_READ | PROT_WRITE, MAP_SHARED, drm, off);
	if (!tap_ok(cpu != MAP_FAILED, "vma: mmap it shared"))
		return;
	for (i = 0; i < 2 * MiB; i += 4096)
		cpu[i] = (uint8_t)(i >> 12);
	tap_zero(munmap(cpu + 4096, 4096), "vma: munmap one page inside it");
	tap_zero(mprotect(cpu, 4096, PROT_READ), "vma: mprotect its first page");
	tap_errno(madvise(cpu + MiB, MiB, MADV_DOFORK), EINVAL,
		  "vma: MADV_DOFORK is refused");
	tap_ok(run_child(fork_unmapped, cpu + MiB) == 0,
	       "vma: a child does not inherit the mapping");
	moved = mremap(cpu + MiB, MiB, MiB, MREMAP_MAYMOVE | MREMAP_FIXED,
		       spare_range(MiB));
	tap_ok(moved != MAP_FAILED, "vma: mremap moves the second half");
	if (moved != MAP_FAILED)
		for (i = 0; i < MiB; i += 4096)
			same &= moved[i] == (uint8_t)((i + MiB) >> 12);
	tap_ok(same, "vma: the moved half reads what was written");
	tap_ok(!peek(cpu + 2 * 4096, &v) && (v & 0xff) == 2,
	       "vma: the split pieces still read the BO");
	tap_zero(free_bo(kfd, h), "vma: FREE the split and moved BO");
	tap_ok(peek(cpu, NULL) == SIGBUS && peek(cpu + 2 * 4096, NULL) ==
	       SIGBUS && (moved == MAP_FAILED || peek(moved, NULL) == SIGBUS),
	       "vma: every piece faults after FREE");
	munmap(cpu, 4096);
	munmap(cpu + 2 * 4096, MiB - 2 * 4096);
	if (moved != MAP_FAILED)
		munmap(moved, MiB);

	/* a VRAM mapping moved, then its BO freed */
	tap_zero(alloc_bo(kfd, gpu, VA0, MiB, F_VRAM | F_RW, &hv, &offv),
		 "vma: ALLOC 1 MiB VRAM again");
	cpu = mmap(NULL, MiB, PROT_READ | PROT_WRITE, MAP_SHARED, drm, offv);
	if (cpu != MAP_FAILED) {
		memset(cpu, 0x3c, MiB);
		moved = mremap(cpu, MiB, MiB, MREMAP_MAYMOVE | MREMAP_FIXED,
			       spare_range(MiB));
		tap_ok(moved != MAP_FAILED && moved[MiB - 1] == 0x3c,
		       "vma: a moved VRAM mapping reads the BO");
		tap_zero(free_bo(kfd, hv), "vma: FREE it");
		tap_ok(moved != MAP_FAILED && peek(moved, NULL) == SIGBUS,
		       "vma: the moved mapping faults after FREE");
		munmap(moved != MAP_FAILED ? moved : cpu, MiB);
	} else {
		tap_ok(0, "vma: mmap VRAM");
	}
	tap_ok(available(kfd, gpu) == before, "vma: all VRAM is back");
}

/* --------------------------------------------- (2) mmap racing FREE */

#define RACE_SIZE	(64 * 1024)

struct race {
	int drm;
	uint64_t off;
	pthread_barrier_t go;
	void *map;
};

static void *race_mmap(void *arg)
{
	struct race *r = arg;

	pthread_barrier_wait(&r->go);
	r->map = mmap(NULL, RACE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
		      r->drm, r->off);
	return NULL;
}

/*
 * Thread A maps a VRAM BO while thread B frees it; the VRAM then goes to
 * a new BO holding a secret.  A mapping that won the race must fault,
 * never show the secret.
 */
static void test_mmap_free_race(int kfd, int drm)
{
	unsigned int gpu = gpus[0].gpu_id;
	int tries = 0, won = 0, leaks = 0, errors = 0;
	double end = now_s() + 20;
	struct race r = { .drm = drm };
	uint64_t h, hs, offs;
	pthread_t t;

	while (now_s() < end && tries < 3000) {
		uint32_t *sec, v = 0;

		r.off = 0;
		if (alloc_bo(kfd, gpu, VA0, RACE_SIZE, F_VRAM | F_RW, &h,
			     &r.off)) {
			errors++;
			break;
		}
		pthread_barrier_init(&r.go, NULL, 2);
		pthread_create(&t, NULL, race_mmap, &r);
		pthread_barrier_wait(&r.go);
		free_bo(kfd, h);
		pthread_join(t, NULL);
		pthread_barrier_destroy(&r.go);
		tries++;

		offs = 0;
		if (alloc_bo(kfd, gpu, VA0 + GiB, RACE_SIZE, F_VRAM | F_RW, &hs,
			     &offs)) {
			errors++;
			break;
		}
		sec = mmap(NULL, RACE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
			   drm, offs);
		if (sec != MAP_FAILED) {
			sec[0] = 0x5ec7e7;
			sec[RACE_SIZE / 4 - 1] = 0x5ec7e7;
		} else {
			errors++;
		}
		if (r.map != MAP_FAILED) {
			won++;
			if (!peek(r.map, &v) && v == 0x5ec7e7)
				leaks++;
			if (!peek((char *)r.map + RACE_SIZE - 4, &v) &&
			    v == 0x5ec7e7)
				leaks++;
			munmap(r.map, RACE_SIZE);
		}
		if (sec != MAP_FAILED)
			munmap(sec, RACE_SIZE);
		free_bo(kfd, hs);
	}
	tap_diag("race: %d tries, %d mmaps won against FREE", tries, won);
	tap_ok(tries > 0 && !errors, "race: %d mmap/FREE races ran", tries);
	tap_ok(!leaks, "race: no mapping of a freed BO showed another BO (%d)",
	       leaks);
}

/* -------------------------- (3) a BO's mapping after its context goes */

static void test_context_gone(int drm)
{
	int kfd = secondary_on(drm);
	uint64_t h, off = 0;
	uint8_t *cpu = MAP_FAILED;
	double end;

	if (!tap_ok(kfd >= 0, "ctx: a secondary bound through a render file"))
		return;
	if (!alloc_bo(kfd, gpus[0].gpu_id, VA0, MiB, F_GTT | F_RW, &h, &off))
		cpu = mmap(NULL, MiB, PROT_READ | PROT_WRITE, MAP_SHARED, drm,
			   off);
	tap_ok(cpu != MAP_FAILED && !peek(cpu, NULL),
	       "ctx: its GTT BO is mapped");
	close(kfd);		/* the secondary, its pdd and its BOs go */
	end = now_s() + 10;	/* the release runs in a workqueue */
	while (cpu != MAP_FAILED && peek(cpu, NULL) != SIGBUS && now_s() < end)
		usleep(2000);
	tap_ok(cpu != MAP_FAILED && peek(cpu, NULL) == SIGBUS,
	       "ctx: after close of the secondary the mapping faults");
	tap_errno(mmap(NULL, MiB, PROT_READ, MAP_SHARED, drm, off), EINVAL,
		  "ctx: the BO cannot be mapped again");
	if (cpu != MAP_FAILED)
		munmap(cpu, MiB);
	kfd = secondary_on(drm);
	tap_ok(kfd >= 0, "ctx: the render file serves a new secondary");
	if (kfd >= 0)
		close(kfd);
}

/* ------------------------------------------------------- (4) limits */

static void test_limits(int kfd)
{
	unsigned int gpu = gpus[0].gpu_id, ids[1] = { gpu }, id, n;
	static uint64_t handles[20000];
	static unsigned int events[5000];
	long total_kb = meminfo_kb("MemTotal"), got_kb = 0;
	int i, count, err;

	/* events without a slot */
	for (count = 0, err = 0; count < 5000; count++)
		if (create_event(kfd, KFD_IOC_EVENT_MEMORY, &events[count])) {
			err = errno;
			break;
		}
	tap_ok(count > 0 && count <= 4096 && err == ENOSPC,
	       "limits: memory events stop at %d with ENOSPC (errno %d)",
	       count, err);
	for (i = 0; i < count; i++)
		destroy_event(kfd, events[i]);
	tap_zero(create_event(kfd, KFD_IOC_EVENT_MEMORY, &id),
		 "limits: events can be made again after DESTROY");
	destroy_event(kfd, id);

	/* DOORBELL BOs cost no memory; spread 1 GiB apart they cost tables */
	for (count = 0, err = 0; count < 20000; count++) {
		n = 0;
		if (alloc_bo(kfd, gpu, VA0 + count * GiB, DOORBELL_BYTES,
			     F_DOORBELL | F_RW, &handles[count], NULL)) {
			err = errno;
			break;
		}
		if (map_bo(kfd, handles[count], ids, 1, true, &n)) {
			err = errno;
			free_bo(kfd, handles[count]);
			break;
		}
	}
	tap_ok(count > 100 && count < 20000 && err == ENOMEM,
	       "limits: page tables of one VM stop at %d BOs 1 GiB apart with ENOMEM (errno %d)",
	       count, err);
	for (i = 0; i < count; i++)
		free_bo(kfd, handles[i]);

	/* the number of BOs */
	for (count = 0, err = 0; count < 20000; count++)
		if (alloc_bo(kfd, gpu, VA0 + (uint64_t)count * DOORBELL_BYTES,
			     DOORBELL_BYTES, F_DOORBELL | F_RW,
			     &handles[count], NULL)) {
			err = errno;
			break;
		}
	tap_ok(count > 1000 && count < 20000 && err == ENOMEM,
	       "limits: BOs per GPU stop at %d with ENOMEM (errno %d)", count,
	       err);
	for (i = 0; i < count; i++)
		free_bo(kfd, handles[i]);

	/* system memory: 16 MiB GTT BOs until the driver says no */
	for (count = 0, err = 0; got_kb < total_kb && count < 20000; count++) {
		if (alloc_bo(kfd, gpu, VA0 + count * GiB, 16 * MiB,
			     F_GTT | F_RW, &handles[count], NULL)) {
			err = errno;
			break;
		}
		got_kb += 16 * 1024;
	}
	tap_ok(err == ENOMEM && got_kb <= total_kb / 2,
	       "limits: GTT stops at %ld of %ld KiB with ENOMEM (errno %d)",
	       got_kb, total_kb, err);
	tap_ok(meminfo_kb("MemAvailable") > 0, "limits: the guest lives on");
	for (i = 0; i < count; i++)
		free_bo(kfd, handles[i]);
	tap_zero(alloc_bo(kfd, gpu, VA0, 16 * MiB, F_GTT | F_RW,
			  &handles[0], NULL),
		 "limits: GTT can be had again after FREE");
	free_bo(kfd, handles[0]);
}

/* ---------------------------------------------------------- (5) USERPTR */

static void test_userptr(int kfd)
{
	unsigned int gpu = gpus[0].gpu_id;
	struct rlimit rl = { .rlim_cur = MiB, .rlim_max = MiB };
	uint64_t h1, h2, h3, off;
	uint8_t *buf;

	off = 0x10000;		/* nothing is mapped there */
	tap_errno(alloc_bo(kfd, 0xdead, VA0, 4096, F_USERPTR | F_RW, &h1,
			   &off), EINVAL,
		  "userptr: an unknown gpu_id fails before pinning");
	off = 0x10000;
	tap_errno(alloc_bo(kfd, gpu, VA0, 1ULL << 40, F_USERPTR | F_RW, &h1,
			   &off), ENOMEM,
		  "userptr: 1 TiB fails at once with ENOMEM");

	buf = mmap(NULL, 2 * MiB, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (!tap_ok(buf != MAP_FAILED, "userptr: 2 MiB of our own"))
		return;
	tap_zero(setrlimit(RLIMIT_MEMLOCK, &rl), "userptr: RLIMIT_MEMLOCK 1 MiB");
	off = (uintptr_t)buf;
	tap_errno(alloc_bo(kfd, gpu, VA0, 2 * MiB, F_USERPTR | F_RW, &h1,
			   &off), ENOMEM,
		  "userptr: 2 MiB is over the limit: ENOMEM");
	off = (uintptr_t)buf;
	tap_zero(alloc_bo(kfd, gpu, VA0, MiB / 2, F_USERPTR | F_RW, &h1, &off),
		 "userptr: 512 KiB pinned");
	off = (uintptr_t)buf;
	tap_zero(alloc_bo(kfd, gpu, VA0 + MiB, MiB / 2, F_USERPTR | F_RW, &h2,
			  &off),
		 "userptr: the same 512 KiB pinned again");
	tap_ok(vm_pin_kb() == 1024, "userptr: VmPin counts both (%ld kB)",
	       vm_pin_kb());
	off = (uintptr_t)buf;
	tap_errno(alloc_bo(kfd, gpu, VA0 + 2 * MiB, MiB / 2, F_USERPTR | F_RW,
			   &h3, &off), ENOMEM,
		  "userptr: a third time is over the limit");
	free_bo(kfd, h1);
	free_bo(kfd, h2);
	tap_ok(vm_pin_kb() == 0, "userptr: VmPin 0 after FREE (%ld kB)",
	       vm_pin_kb());
	munmap(buf, 2 * MiB);
}

/* ------------------------------------- (8) doorbell and MMIO mappings */

static void test_io_mappings(int kfd)
{
	unsigned int gpu = gpus[0].gpu_id;
	uint64_t h, off = 0;
	uint8_t *db, *mmio;
	void *to;

	if (!tap_ok(!alloc_bo(kfd, gpu, VA0, DOORBELL_BYTES,
			     F_DOORBELL | F_RW, &h, &off),
		    "io: ALLOC the doorbell BO"))
		return;
	free_bo(kfd, h);
	db = mmap(NULL, DOORBELL_BYTES, PROT_READ | PROT_WRITE, MAP_SHARED,
		  kfd, off);
	tap_ok(db != MAP_FAILED && !peek(db, NULL),
	       "io: the doorbell page is mapped");
	tap_errno(munmap(db + 4096, 4096), EINVAL,
		  "io: a partial munmap of it is refused");
	tap_errno(mprotect(db, 4096, PROT_READ), EINVAL,
		  "io: a partial mprotect of it is refused");
	to = mremap(db, DOORBELL_BYTES, DOORBELL_BYTES,
		    MREMAP_MAYMOVE | MREMAP_FIXED, spare_range(DOORBELL_BYTES));
	tap_ok(to == MAP_FAILED && errno == EINVAL,
	       "io: mremap of it is refused");
	tap_errno(mmap(NULL, DOORBELL_BYTES, PROT_READ, MAP_PRIVATE, kfd, off),
		  EINVAL, "io: a private doorbell mapping is refused");
	if (db != MAP_FAILED)
		tap_zero(munmap(db, DOORBELL_BYTES), "io: munmap of all of it");

	off = 0;
	if (!tap_ok(!alloc_bo(kfd, gpu, VA0, 4096, F_MMIO | F_RW, &h, &off),
		    "io: ALLOC the MMIO remap BO"))
		return;
	free_bo(kfd, h);
	mmio = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, kfd, off);
	tap_ok(mmio != MAP_FAILED, "io: the MMIO page is mapped");
	to = mremap(mmio, 4096, 4096, MREMAP_MAYMOVE | MREMAP_FIXED,
		    spare_range(4096));
	tap_ok(to == MAP_FAILED && errno == EINVAL,
	       "io: mremap of the MMIO page is refused");
	if (mmio != MAP_FAILED)
		munmap(mmio, 4096);
}

/* ---------------------------------- (11) events page mapped smaller */

static void test_events_page(void)
{
	int kfd = kfd_open();
	unsigned int id = 0, first = 0, i;
	void *big, *small;
	bool ok = true;

	for (i = 0; i < 600 && ok; i++)
		ok = !create_event(kfd, KFD_IOC_EVENT_SIGNAL, &id);
	tap_ok(!ok, "events: 255 signal events before the page is mapped");
	big = mmap(NULL, KFD_SIGNAL_EVENT_LIMIT * 8, PROT_READ | PROT_WRITE,
		   MAP_SHARED, kfd, 2ULL << 62);
	tap_ok(big != MAP_FAILED, "events: the whole events page mapped");
	for (i = 0, ok = true; i < 600 && ok; i++)
		ok = !create_event(kfd, KFD_IOC_EVENT_SIGNAL, &id);
	tap_ok(ok && id >= 600, "events: 600 more, up to id %u", id);
	small = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, kfd,
		     2ULL << 62);
	tap_ok(small != MAP_FAILED, "events: mapped again, one page");
	first = id;
	tap_zero(create_event(kfd, KFD_IOC_EVENT_SIGNAL, &id),
		 "events: a new event still gets a slot");
	tap_ok(id > first, "events: id %u, above the small mapping's 512", id);
	if (big != MAP_FAILED)
		munmap(big, KFD_SIGNAL_EVENT_LIMIT * 8);
	if (small != MAP_FAILED)
		munmap(small, 4096);
	close(kfd);
}

/* -------------------------------------------------- (12) no ENOTSUPP */

static void test_errno(int kfd)
{
	struct kfd_ioctl_create_queue_args q = {
		.gpu_id = gpus[0].gpu_id, .queue_type = 99,
		.ring_size = 4096,
	};

	tap_errno(ioctl(kfd, AMDKFD_IOC_CREATE_QUEUE, &q), EINVAL,
		  "errno: CREATE_QUEUE of an unknown type: EINVAL, not 524");
}

/* ------------------------------- (9) a primary after exec, ESRCH */

#define EXEC_ARG	"--after-exec"

/* In the new image: the old primary's file must do nothing. */
static int after_exec(int kfd, int drm, unsigned int gpu)
{
	struct kfd_ioctl_create_queue_args q = {
		.gpu_id = gpu, .ring_size = 4096,
	};
	static uint8_t buf[4096] __attribute__((aligned(4096)));
	uint64_t h, off = (uintptr_t)buf;
	int bad = 0;

	errno = 0;
	if (acquire_vm(kfd, drm, gpu) != -1 || errno != ESRCH)
		bad |= 1;
	errno = 0;
	if (alloc_bo(kfd, gpu, VA0, 4096, F_USERPTR | F_RW, &h,
		     &off) != -1 || errno != ESRCH)
		bad |= 2;
	errno = 0;
	if (ioctl(kfd, AMDKFD_IOC_CREATE_QUEUE, &q) != -1 || errno != ESRCH)
		bad |= 4;
	errno = 0;
	if (create_event(kfd, KFD_IOC_EVENT_SIGNAL, NULL) != -1 ||
	    errno != ESRCH)
		bad |= 8;
	return bad;
}

static const char *self_exe;
static int exec_drm;

/* A primary of our own, its file kept across exec, not yet bound. */
static int exec_child(void *arg)
{
	int kfd = open("/dev/kfd", O_RDWR);
	char a[16], b[16], c[16];

	snprintf(a, sizeof(a), "%d", kfd);
	snprintf(b, sizeof(b), "%d", exec_drm);
	snprintf(c, sizeof(c), "%u", gpus[0].gpu_id);
	execl(self_exe, self_exe, EXEC_ARG, a, b, c, (char *)NULL);
	return 99;
}

static void test_exec(int drm)
{
	int st;

	exec_drm = dup(drm);	/* without O_CLOEXEC */
	st = run_child(exec_child, NULL);
	tap_ok(st != 99 && !(st & 1), "exec: ACQUIRE_VM on the old primary: ESRCH");
	tap_ok(st != 99 && !(st & 2), "exec: ALLOC USERPTR on it: ESRCH");
	tap_ok(st != 99 && !(st & 4), "exec: CREATE_QUEUE on it: ESRCH");
	tap_ok(st != 99 && !(st & 8), "exec: CREATE_EVENT on it: ESRCH");
	close(exec_drm);
}

/* ------------------------------- the unprivileged part, as uid 65534 */

#define POOL	4

static int drm_pool[POOL];

static int unprivileged(void *arg)
{
	int kfd;

	if (!tap_ok(drop_to(NOBODY), "running as uid %d", NOBODY))
		return 1;
	if (open_render_node(&gpus[0]) < 0)
		tap_diag("uid %d cannot open a render node itself (%s)", NOBODY,
			 strerror(errno));
	kfd = kfd_open();
	if (!tap_ok(kfd >= 0 && !acquire_vm(kfd, drm_pool[0], gpus[0].gpu_id),
		    "uid %d: /dev/kfd bound through a render file", NOBODY))
		return 1;
	if (want("vma"))
		test_vma_ops(kfd, drm_pool[0]);
	if (want("race"))
		test_mmap_free_race(kfd, drm_pool[0]);
	if (want("ctx"))
		test_context_gone(drm_pool[1]);
	if (want("limits"))
		test_limits(kfd);
	if (want("userptr"))
		test_userptr(kfd);
	if (want("io"))
		test_io_mappings(kfd);
	if (want("errno"))
		test_errno(kfd);
	if (want("events"))
		test_events_page();
	if (want("exec"))
		test_exec(drm_pool[2]);
	close(kfd);
	return 0;
}

/* ----------------------------------- (13) device contexts per user */

static int max_contexts(void)
{
	FILE *f = fopen(VKFD_DEBUGFS "/devices", "r");
	char line[512], *a;
	int n = -1;

	if (f && fgets(line, sizeof(line), f) &&
	    (a = strstr(line, "max_contexts ")))
		n = atoi(a + strlen("max_contexts "));
	if (f)
		fclose(f);
	return n;
}

static int ctx_max;
static int ctx_drm[2][2100];

/* Take contexts as uid NOBODY2 until refused; exit code says how. */
static int hog_contexts(void *arg)
{
	int *pipefd = arg, n, err = 0, kfd;
	char c = 0;

	if (!drop_to(NOBODY2))
		return 200;
	for (n = 0; n < ctx_max; n++) {
		kfd = kfd_open();
		if (kfd < 0 || create_process(kfd) ||
		    acquire_vm(kfd, ctx_drm[0][n], gpus[0].gpu_id)) {
			err = errno;
			break;
		}
	}
	/* tell the parent how many, then hold them until it has checked */
	if (write(pipefd[1], &n, sizeof(n)) != sizeof(n) ||
	    write(pipefd[1], &err, sizeof(err)) != sizeof(err))
		return 201;
	if (read(pipefd[0], &c, 1) != 1)
		return 202;
	return 0;
}

static int other_user(void *arg)
{
	int kfd;

	if (!drop_to(NOBODY))
		return 200;
	kfd = secondary_on(ctx_drm[1][0]);
	return kfd >= 0 ? 0 : 1;
}

static void test_user_contexts(void)
{
	struct rlimit rl = { .rlim_cur = 8192, .rlim_max = 8192 };
	int up[2], down[2], n = -1, err = -1, i, status, pid;

	ctx_max = max_contexts();
	if (!tap_ok(ctx_max > 2 && ctx_max <= 2048 && !setrlimit(RLIMIT_NOFILE,
								  &rl),
		    "users: %d device contexts, 8192 files", ctx_max))
		return;
	for (i = 0; i < ctx_max; i++)
		ctx_drm[0][i] = open_render_node(&gpus[0]);
	ctx_drm[1][0] = open_render_node(&gpus[0]);
	if (pipe(up) || pipe(down))
		return;
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		int fds[2] = { down[0], up[1] };

		_exit(hog_contexts(fds));
	}
	if (read(up[0], &n, sizeof(n)) != sizeof(n) ||
	    read(up[0], &err, sizeof(err)) != sizeof(err))
		n = -1;
	tap_ok(n == ctx_max / 2 && err == ENOSPC,
	       "users: uid %d gets %d of %d contexts, then ENOSPC (errno %d)",
	       NOBODY2, n, ctx_max, err);
	tap_ok(run_child(other_user, NULL) == 0,
	       "users: meanwhile uid %d still gets one", NOBODY);
	if (write(down[1], "x", 1) != 1)
		tap_diag("users: could not release the hog");
	waitpid(pid, &status, 0);
	tap_ok(WIFEXITED(status) && !WEXITSTATUS(status) &&
	       wait_contexts(0, 30), "users: all contexts are back");
	for (i = 0; i < ctx_max; i++)
		close(ctx_drm[0][i]);
	close(ctx_drm[1][0]);
}

/* ------------------------ (6) no user copy under the global lock */

struct stall {
	int kfd;
	uint8_t *page;
	int ret;
};

static void *apertures_into(void *arg)
{
	struct stall *s = arg;
	struct kfd_ioctl_get_process_apertures_new_args a = {
		.kfd_process_device_apertures_ptr = (uintptr_t)s->page,
		.num_of_nodes = 1,
	};

	s->ret = ioctl(s->kfd, AMDKFD_IOC_GET_PROCESS_APERTURES_NEW, &a);
	return NULL;
}

static int open_close(void *arg)
{
	int fd = kfd_open();

	return fd >= 0 ? close(fd) : 1;
}

/*
 * The apertures go to memory whose page fault a userfaultfd holds; another
 * process must still be able to open /dev/kfd.  Root: kernel-mode faults
 * on a userfaultfd need it.
 */
static void test_copy_under_lock(void)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = { .mode = UFFDIO_REGISTER_MODE_MISSING };
	struct uffdio_zeropage zero = { 0 };
	struct stall s = { .kfd = kfd_open() };
	int uffd, pid, status = -1, done = 0;
	double t0, end;
	pthread_t t;

	uffd = syscall(SYS_userfaultfd, O_CLOEXEC);
	s.page = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	reg.range.start = (uintptr_t)s.page;
	reg.range.len = 4096;
	if (!tap_ok(uffd >= 0 && s.kfd >= 0 && !ioctl(uffd, UFFDIO_API, &api) &&
		    !ioctl(uffd, UFFDIO_REGISTER, &reg),
		    "lock: a page whose fault a userfaultfd holds"))
		return;
	pthread_create(&t, NULL, apertures_into, &s);
	usleep(300000);		/* it is stuck in the fault by now */
	fflush(stdout);
	t0 = now_s();
	pid = fork();
	if (pid == 0)
		_exit(open_close(NULL));
	for (end = t0 + 5; now_s() < end && !done; usleep(10000))
		done = waitpid(pid, &status, WNOHANG) == pid;
	tap_ok(done && WIFEXITED(status) && !WEXITSTATUS(status),
	       "lock: another process opens /dev/kfd meanwhile (%.2f s)",
	       now_s() - t0);
	zero.range = reg.range;
	ioctl(uffd, UFFDIO_ZEROPAGE, &zero);
	pthread_join(t, NULL);
	if (!done)
		waitpid(pid, &status, 0);
	tap_ok(s.ret == 0 && ((struct kfd_process_device_apertures *)s.page)
	       ->gpu_id == gpus[0].gpu_id,
	       "lock: the stalled caller gets its apertures in the end");
	close(uffd);
	close(s.kfd);
}

/* ------------- clock reads while another process's teardown runs */

#define CLOCK_BOS	3000

static int clock_drm;

/* A secondary with many BOs mapped: its teardown flushes TLBs for long. */
static int heavy_teardown(void *arg)
{
	unsigned int ids[1] = { gpus[0].gpu_id }, n;
	int kfd = secondary_on(clock_drm), i;
	uint64_t h;

	if (kfd < 0)
		return 1;
	for (i = 0; i < CLOCK_BOS; i++) {
		n = 0;
		if (alloc_bo(kfd, gpus[0].gpu_id,
			     VA0 + (uint64_t)i * DOORBELL_BYTES, DOORBELL_BYTES,
			     F_DOORBELL | F_RW, &h, NULL) ||
		    map_bo(kfd, h, ids, 1, true, &n))
			return 2;
	}
	return 0;	/* exit: the release work tears it all down */
}

/*
 * GET_CLOCK_COUNTERS, which libhsakmt calls often, must not wait for
 * other processes' device work (drvtools' finding F1).
 */
static void test_clock_latency(void)
{
	struct kfd_ioctl_get_clock_counters_args c = {
		.gpu_id = gpus[0].gpu_id,
	};
	int kfd = kfd_open(), drv, dev, calls = 0, bad = 0;
	double worst = 0, t0, t1, end, torn;

	clock_drm = open_render_node(&gpus[0]);
	vkfd_contexts(&drv, &dev);
	tap_ok(run_child(heavy_teardown, NULL) == 0,
	       "clock: a process with %d mapped BOs exited", CLOCK_BOS);
	t0 = now_s();
	for (end = t0 + 0.5; now_s() < end; calls++) {
		t1 = now_s();
		bad += ioctl(kfd, AMDKFD_IOC_GET_CLOCK_COUNTERS, &c) != 0;
		t1 = now_s() - t1;
		worst = t1 > worst ? t1 : worst;
		usleep(200);	/* each read is an MMIO exit: leave room */
	}
	tap_ok(wait_contexts(drv, 60), "clock: its teardown ended");
	torn = now_s() - t0;
	tap_diag("clock: teardown %.0f ms; %d clock reads meanwhile, the slowest %.1f ms",
		 torn * 1e3, calls, worst * 1e3);
	tap_ok(!bad && c.gpu_clock_counter, "clock: the reads succeeded");
	/* a read that waits for the teardown takes most of it */
	tap_ok(torn < 0.3 || worst < torn / 2,
	       "clock: no read waited for the teardown (%.1f ms of %.0f)",
	       worst * 1e3, torn * 1e3);
	close(clock_drm);
	close(kfd);
}

/* --------------- (10) secondaries of a primary without proc/<tgid> */

#define SYSFS_ARG	"--sysfs-child"

static int keep_mm(void *arg)
{
	pause();
	return 0;
}

/*
 * After exec: our old primary lives on (a CLONE_VM sibling keeps its mm)
 * and holds proc/<tgid>, so the new primary has no directory.  Make a
 * secondary of it, say so on fd 1 of the pipe, wait on fd 0.
 */
static int sysfs_child(int rfd, int wfd)
{
	int kfd = kfd_open();
	char c = kfd >= 0 && !create_process(kfd) ? 'y' : 'n';

	if (write(wfd, &c, 1) != 1 || read(rfd, &c, 1) != 1)
		return 1;
	return 0;
}

static int pipe_down[2], pipe_up[2];

/* Open /dev/kfd, start a sibling on our mm, exec the child part. */
static int sysfs_exec(void *arg)
{
	static char stack[16384] __attribute__((aligned(16)));
	char a[16], b[16];
	int kfd = kfd_open();
	pid_t sib;

	sib = clone(keep_mm, stack + sizeof(stack), CLONE_VM | SIGCHLD, NULL);
	if (kfd < 0 || sib < 0 ||
	    write(pipe_up[1], &sib, sizeof(sib)) != sizeof(sib))
		return 97;
	snprintf(a, sizeof(a), "%d", pipe_down[0]);
	snprintf(b, sizeof(b), "%d", pipe_up[1]);
	execl(self_exe, self_exe, SYSFS_ARG, a, b, (char *)NULL);
	return 98;
}

static void test_sysfs_names(void)
{
	int i, ready = 0, status, base = vkfd_process_count();
	pid_t kids[2], sibs[2];
	char c;

	if (pipe(pipe_down) || pipe(pipe_up))
		return;
	for (i = 0; i < 2; i++) {
		fflush(stdout);
		kids[i] = fork();
		if (kids[i] == 0)
			_exit(sysfs_exec(NULL));
		if (read(pipe_up[0], &sibs[i], sizeof(sibs[i])) !=
		    sizeof(sibs[i]))
			sibs[i] = -1;
		if (read(pipe_up[0], &c, 1) == 1 && c == 'y')
			ready++;
	}
	tap_ok(ready == 2,
	       "sysfs: two exec'd processes whose old primary holds proc/<tgid> made secondaries");
	tap_ok(!path_exists(KFD_PROC_SYSFS "/context_0") &&
	       !path_exists(KFD_PROC_SYSFS "/context_1"),
	       "sysfs: their secondaries are not put at proc/context_<id>");
	for (i = 0; i < 2; i++)
		if (write(pipe_down[1], "x", 1) != 1)
			tap_diag("sysfs: could not release child %d", i);
	for (i = 0; i < 2; i++) {
		waitpid(kids[i], &status, 0);
		if (sibs[i] > 0)
			kill(sibs[i], SIGKILL);
	}
	close(pipe_down[0]);
	close(pipe_down[1]);
	close(pipe_up[0]);
	close(pipe_up[1]);
	tap_ok(wait_contexts(0, 30) && wait_process_count(base, 30),
	       "sysfs: all of them are gone");
}

/* -------------------------- (7) unbind under live mappings, rebind */

#define PCI_DRIVER	"/sys/bus/pci/drivers/vkfd"

static void test_unbind(void)
{
	unsigned int gpu = gpus[0].gpu_id;
	int drm = open_render_node(&gpus[0]), kfd = kfd_open(), kfd2, drm2;
	uint64_t h, off = 0, dboff = 0, mmoff = 0;
	uint8_t *gtt = MAP_FAILED, *db = MAP_FAILED, *mmio = MAP_FAILED;
	struct vkfd_gpu now[VKFD_MAX_GPUS];
	char bdf[64];

	if (!tap_ok(kfd >= 0 && drm >= 0 && !create_process(kfd) &&
		    !acquire_vm(kfd, drm, gpu),
		    "unbind: a secondary bound to gpu %u", gpu))
		return;
	if (!alloc_bo(kfd, gpu, VA0, MiB, F_GTT | F_RW, &h, &off))
		gtt = mmap(NULL, MiB, PROT_READ | PROT_WRITE, MAP_SHARED, drm,
			   off);
	if (!alloc_bo(kfd, gpu, VA0 + GiB, DOORBELL_BYTES, F_DOORBELL | F_RW,
		      &h, &dboff))
		db = mmap(NULL, DOORBELL_BYTES, PROT_READ | PROT_WRITE,
			  MAP_SHARED, kfd, dboff);
	if (!alloc_bo(kfd, gpu, VA0 + 2 * GiB, 4096, F_MMIO | F_RW, &h,
		      &mmoff))
		mmio = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED,
			    kfd, mmoff);
	tap_ok(gtt != MAP_FAILED && db != MAP_FAILED && mmio != MAP_FAILED &&
	       !peek(gtt, NULL) && !peek(db, NULL) && !peek(mmio, NULL),
	       "unbind: GTT, doorbell and MMIO pages mapped");
	if (!tap_ok(bdf_of_gpu(gpu, bdf, sizeof(bdf)) &&
		    write_file(PCI_DRIVER "/unbind", bdf),
		    "unbind: %s unbound under them", bdf))
		return;
	tap_ok(peek(gtt, NULL) == SIGBUS, "unbind: the GTT mapping faults");
	tap_ok(peek(db, NULL) == SIGBUS, "unbind: the doorbell mapping faults");
	tap_ok(peek(mmio, NULL) == SIGBUS, "unbind: the MMIO mapping faults");
	tap_errno(mmap(NULL, MiB, PROT_READ, MAP_SHARED, drm, off), ENODEV,
		  "unbind: the old render file maps nothing");
	tap_errno(alloc_bo(kfd, gpu, VA0 + 3 * GiB, MiB, F_GTT | F_RW, &h,
			   NULL), EINVAL, "unbind: the GPU is gone for ALLOC");

	tap_ok(write_file(PCI_DRIVER "/bind", bdf), "unbind: %s bound again",
	       bdf);
	vkfd_gpus(now, VKFD_MAX_GPUS);
	drm2 = open_render_node(&now[ngpu - 1]);
	kfd2 = kfd_open();
	tap_ok(kfd2 >= 0 && drm2 >= 0 && !create_process(kfd2) &&
	       !acquire_vm(kfd2, drm2, now[ngpu - 1].gpu_id),
	       "unbind: a new process binds to it");
	dboff = 0;
	if (!alloc_bo(kfd2, now[ngpu - 1].gpu_id, VA0 + GiB, DOORBELL_BYTES,
		      F_DOORBELL | F_RW, &h, &dboff)) {
		void *db2 = mmap(NULL, DOORBELL_BYTES, PROT_READ | PROT_WRITE,
				 MAP_SHARED, kfd2, dboff);

		tap_ok(db2 != MAP_FAILED && !peek(db2, NULL) &&
		       peek(db, NULL) == SIGBUS,
		       "unbind: its doorbells map; the stale mapping still faults");
		if (db2 != MAP_FAILED)
			munmap(db2, DOORBELL_BYTES);
	} else {
		tap_ok(0, "unbind: doorbell BO on the rebound GPU");
	}
	munmap(gtt, MiB);
	munmap(db, DOORBELL_BYTES);
	munmap(mmio, 4096);
	close(kfd);
	close(drm);
	close(kfd2);
	close(drm2);
	tap_ok(wait_contexts(0, 30), "unbind: no context left");
}

/* ------------------------- (15) the ioctls of ROCr's start-up (issue 11) */

/*
 * SET_TRAP_HANDLER, SET_XNACK_MODE, GET_PROCESS_APERTURES_NEW and
 * AVAILABLE_MEMORY (SVM, ALLOC_QUEUE_GWS and SMI_EVENTS are in
 * hsa-rocr-ioctls): short and long argument sizes, gpu_ids nobody has,
 * argument pointers that are NULL, kernel, unmapped, half-mapped or
 * read-only, for a primary and its secondary (none of these is
 * primary-only in amdkfd), with amdkfd's errno; after every failure the
 * state is checked again: the trap handler as debugfs shows it, the XNACK
 * mode, the VRAM available, the user memory around the arguments.
 */

#define KERNEL_PTR	((void *)0xffff888000000000ULL)

static unsigned long resized(unsigned long cmd, unsigned int size)
{
	return (cmd & ~((unsigned long)_IOC_SIZEMASK << _IOC_SIZESHIFT)) |
	       (unsigned long)size << _IOC_SIZESHIFT;
}

/* Three pages: read-only, read-write, none (the guard after rw). */
struct rocm_pages {
	uint8_t *ro, *rw, *none;
};

static bool rocm_pages(struct rocm_pages *pg)
{
	uint8_t *p = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return false;
	pg->ro = p;
	pg->rw = p + 4096;
	pg->none = p + 8192;
	memset(p, 0, 8192);
	return !mprotect(pg->ro, 4096, PROT_READ) &&
	       !mprotect(pg->none, 4096, PROT_NONE);
}

/*
 * The trap handler debugfs shows for the kfd_process of ours that is the
 * primary (ctx < 0) or context ctx, on gpu: "" when none.
 */
static bool trap_shown(int ctx, unsigned int gpu, char *out, size_t size)
{
	FILE *f = fopen(VKFD_DEBUGFS "/processes", "r");
	char line[1024], head[64], key[32], *at, *end;
	bool found = false;

	if (ctx < 0)
		snprintf(head, sizeof(head), "tgid %d primary ", getpid());
	else
		snprintf(head, sizeof(head), "tgid %d context_%d ", getpid(),
			 ctx);
	snprintf(key, sizeof(key), " gpu %u:", gpu);
	out[0] = 0;
	while (f && !found && fgets(line, sizeof(line), f)) {
		if (strncmp(line, head, strlen(head)))
			continue;
		found = true;
		at = strstr(line, key);
		if (!at)
			return fclose(f), false;
		at += strlen(key);
		end = strstr(at, " gpu ");
		if (end)
			*end = 0;	/* this GPU's part of the line only */
		at = strstr(at, ":trap ");
		if (at)
			snprintf(out, size, "%.*s", (int)strcspn(at + 6, " \n"),
				 at + 6);
	}
	if (f)
		fclose(f);
	return found;
}

static bool trap_is(int ctx, unsigned int gpu, const char *want_str)
{
	char got[128];

	return trap_shown(ctx, gpu, got, sizeof(got)) && !strcmp(got, want_str);
}

static int set_trap(int kfd, unsigned int gpu, uint64_t tba, uint64_t tma)
{
	struct kfd_ioctl_set_trap_handler_args a = {
		.tba_addr = tba, .tma_addr = tma, .gpu_id = gpu,
	};

	return ioctl(kfd, AMDKFD_IOC_SET_TRAP_HANDLER, &a);
}

static void rocm_trap(int kfd, int ctx, const char *who, struct rocm_pages *pg)
{
	unsigned int g0 = gpus[0].gpu_id;
	struct kfd_ioctl_set_trap_handler_args *a;
	const char *t1 = "0x7f0000001000/0x7f0000002000";
	uint8_t big[64];
	int i;

	tap_zero(set_trap(kfd, g0, 0x7f0000001000ULL, 0x7f0000002000ULL),
		 "rocm: %s: SET_TRAP_HANDLER", who);
	tap_ok(trap_is(ctx, g0, t1), "rocm: %s: debugfs shows %s", who, t1);

	/* short sizes: the missing bytes are zero, so gpu_id is 0 */
	for (i = 0; i <= 16; i += 8) {
		struct kfd_ioctl_set_trap_handler_args b = {
			.tba_addr = 1, .tma_addr = 2, .gpu_id = g0,
		};

		tap_errno(ioctl(kfd, resized(AMDKFD_IOC_SET_TRAP_HANDLER, i), &b),
			  EINVAL, "rocm: %s: SET_TRAP_HANDLER of %d bytes: EINVAL "
			  "(gpu_id cut off)", who, i);
	}
	/* bad gpu_ids */
	tap_errno(set_trap(kfd, 0, 1, 2), EINVAL,
		  "rocm: %s: SET_TRAP_HANDLER gpu_id 0: EINVAL", who);
	tap_errno(set_trap(kfd, 0xffffffffu, 1, 2), EINVAL,
		  "rocm: %s: SET_TRAP_HANDLER gpu_id 2^32-1: EINVAL", who);
	tap_errno(set_trap(kfd, g0 ^ 0x8000, 1, 2), EINVAL,
		  "rocm: %s: SET_TRAP_HANDLER gpu_id nobody has: EINVAL", who);
	if (ngpu > 1)
		tap_errno(set_trap(kfd, gpus[1].gpu_id, 1, 2), ESRCH,
			  "rocm: %s: SET_TRAP_HANDLER GPU 1, not bound: ESRCH",
			  who);
	/* bad argument pointers (an _IOW: it is only read) */
	tap_errno(ioctl(kfd, AMDKFD_IOC_SET_TRAP_HANDLER, NULL), EFAULT,
		  "rocm: %s: SET_TRAP_HANDLER NULL: EFAULT", who);
	tap_errno(ioctl(kfd, AMDKFD_IOC_SET_TRAP_HANDLER, KERNEL_PTR), EFAULT,
		  "rocm: %s: SET_TRAP_HANDLER kernel pointer: EFAULT", who);
	tap_errno(ioctl(kfd, AMDKFD_IOC_SET_TRAP_HANDLER, pg->none), EFAULT,
		  "rocm: %s: SET_TRAP_HANDLER unmapped: EFAULT", who);
	a = (void *)(pg->none - 8);
	tap_errno(ioctl(kfd, AMDKFD_IOC_SET_TRAP_HANDLER, a), EFAULT,
		  "rocm: %s: SET_TRAP_HANDLER half in the guard page: EFAULT",
		  who);
	tap_ok(trap_is(ctx, g0, t1),
	       "rocm: %s: after every failure the handler is still %s", who, t1);

	/* read-only arguments are fine; so is a longer size */
	a = (void *)pg->rw;
	a->tba_addr = 0x4000;
	a->tma_addr = 0x5000;
	a->gpu_id = g0;
	tap_ok(mprotect(pg->rw, 4096, PROT_READ) == 0 &&
	       ioctl(kfd, AMDKFD_IOC_SET_TRAP_HANDLER, a) == 0 &&
	       mprotect(pg->rw, 4096, PROT_READ | PROT_WRITE) == 0 &&
	       trap_is(ctx, g0, "0x4000/0x5000"),
	       "rocm: %s: arguments in read-only memory: 0, 0x4000/0x5000", who);
	memset(big, 0xa5, sizeof(big));
	memcpy(big, &(struct kfd_ioctl_set_trap_handler_args){
		.tba_addr = 0x7f0000001000ULL, .tma_addr = 0x7f0000002000ULL,
		.gpu_id = g0 }, sizeof(struct kfd_ioctl_set_trap_handler_args));
	tap_ok(ioctl(kfd, resized(AMDKFD_IOC_SET_TRAP_HANDLER, 64), big) == 0 &&
	       big[24] == 0xa5 && big[63] == 0xa5 && trap_is(ctx, g0, t1),
	       "rocm: %s: a 64-byte argument: 0, the tail untouched", who);
	/* any address is the process's business, as on the GPU */
	tap_zero(set_trap(kfd, g0, ~0ULL, 1), "rocm: %s: TBA 2^64-1, TMA 1", who);
	tap_ok(trap_is(ctx, g0, "0xffffffffffffffff/0x1"),
	       "rocm: %s: recorded as given", who);
	tap_zero(set_trap(kfd, g0, 0, 0), "rocm: %s: 0/0 removes it", who);
	tap_ok(trap_is(ctx, g0, ""), "rocm: %s: debugfs shows none", who);
	tap_zero(set_trap(kfd, g0, 0x7f0000001000ULL, 0x7f0000002000ULL),
		 "rocm: %s: set again", who);
}

static int xnack_mode(int kfd, int v, int *out)
{
	struct kfd_ioctl_set_xnack_mode_args a = { .xnack_enabled = v };
	int r = ioctl(kfd, AMDKFD_IOC_SET_XNACK_MODE, &a);

	if (out)
		*out = a.xnack_enabled;
	return r;
}

static bool xnack_off(int kfd)
{
	int v = -5;

	return xnack_mode(kfd, -1, &v) == 0 && v == 0;
}

static void rocm_xnack(int kfd, const char *who, struct rocm_pages *pg)
{
	struct kfd_ioctl_set_xnack_mode_args *a;

	tap_ok(ioctl(kfd, resized(AMDKFD_IOC_SET_XNACK_MODE, 0), pg->rw) == 0 &&
	       xnack_off(kfd),
	       "rocm: %s: SET_XNACK_MODE of 0 bytes sets 0 (off): 0", who);
	tap_errno(ioctl(kfd, AMDKFD_IOC_SET_XNACK_MODE, NULL), EFAULT,
		  "rocm: %s: SET_XNACK_MODE NULL: EFAULT", who);
	tap_errno(ioctl(kfd, AMDKFD_IOC_SET_XNACK_MODE, KERNEL_PTR), EFAULT,
		  "rocm: %s: SET_XNACK_MODE kernel pointer: EFAULT", who);
	tap_errno(ioctl(kfd, AMDKFD_IOC_SET_XNACK_MODE, pg->none), EFAULT,
		  "rocm: %s: SET_XNACK_MODE unmapped: EFAULT", who);
	/* an _IOWR: the answer cannot be written back */
	tap_errno(ioctl(kfd, AMDKFD_IOC_SET_XNACK_MODE, pg->ro), EFAULT,
		  "rocm: %s: SET_XNACK_MODE read-only: EFAULT", who);
	tap_errno(xnack_mode(kfd, 1, NULL), EPERM,
		  "rocm: %s: SET_XNACK_MODE on: EPERM", who);
	tap_errno(xnack_mode(kfd, INT32_MAX, NULL), EPERM,
		  "rocm: %s: SET_XNACK_MODE 2^31-1: EPERM", who);
	a = (void *)pg->rw;
	a->xnack_enabled = -1;
	memset(pg->rw + 4, 0x5a, 60);
	tap_ok(ioctl(kfd, resized(AMDKFD_IOC_SET_XNACK_MODE, 64), a) == 0 &&
	       a->xnack_enabled == 0 && pg->rw[4] == 0x5a && pg->rw[63] == 0x5a,
	       "rocm: %s: a 64-byte query: 0, the tail untouched", who);
	tap_ok(xnack_off(kfd), "rocm: %s: after every failure XNACK is off",
	       who);
}

static int apertures(int kfd, void *ptr, uint32_t num, uint32_t *out)
{
	struct kfd_ioctl_get_process_apertures_new_args a = {
		.kfd_process_device_apertures_ptr = (uintptr_t)ptr,
		.num_of_nodes = num,
	};
	int r = ioctl(kfd, AMDKFD_IOC_GET_PROCESS_APERTURES_NEW, &a);

	*out = a.num_of_nodes;
	return r;
}

static void rocm_apertures(int kfd, const char *who, struct rocm_pages *pg)
{
	struct kfd_process_device_apertures *ap, ref[VKFD_MAX_GPUS];
	size_t one = sizeof(*ap);
	uint32_t n = 0;
	bool ok = true;
	int i;

	tap_ok(apertures(kfd, NULL, 0, &n) == 0 && n == (uint32_t)ngpu,
	       "rocm: %s: APERTURES_NEW count: %u", who, n);
	memset(ref, 0x5a, sizeof(ref));
	tap_ok(apertures(kfd, ref, ngpu, &n) == 0 && n == (uint32_t)ngpu,
	       "rocm: %s: APERTURES_NEW of %d", who, ngpu);
	for (i = 0; i < ngpu; i++)
		ok &= ref[i].gpu_id == gpus[i].gpu_id &&
		      ref[i].gpuvm_base < ref[i].gpuvm_limit && !ref[i].pad;
	tap_ok(ok, "rocm: %s: one entry per GPU, in order", who);
	/* fewer than the GPUs: only that many written */
	ap = (void *)(pg->none - 2 * one);
	memset(ap, 0x5a, 2 * one);
	tap_ok(apertures(kfd, ap, 1, &n) == 0 && n == 1 &&
	       !memcmp(&ap[0], &ref[0], one) &&
	       ((uint8_t *)&ap[1])[0] == 0x5a,
	       "rocm: %s: APERTURES_NEW of 1: 1 written, no more", who);
	/* an array that does not fit ends in EFAULT; the count comes back */
	ap = (void *)(pg->none - one);
	n = 77;
	if (ngpu > 1)
		tap_errno(apertures(kfd, ap, 2, &n), EFAULT,
			  "rocm: %s: APERTURES_NEW of 2 with room for 1: EFAULT",
			  who);
	else
		tap_zero(apertures(kfd, ap, 2, &n),
			 "rocm: %s: APERTURES_NEW of 2 with room for 1: one "
			 "GPU, fits", who);
	tap_ok(n == (uint32_t)ngpu, "rocm: %s: num_of_nodes %u back", who, n);
	tap_errno(apertures(kfd, NULL, 1, &n), EFAULT,
		  "rocm: %s: APERTURES_NEW array NULL: EFAULT", who);
	tap_errno(apertures(kfd, KERNEL_PTR, 1, &n), EFAULT,
		  "rocm: %s: APERTURES_NEW array in the kernel: EFAULT", who);
	tap_errno(apertures(kfd, pg->ro, 1, &n), EFAULT,
		  "rocm: %s: APERTURES_NEW array read-only: EFAULT", who);
	tap_ok(apertures(kfd, ref, 0xffffffffu, &n) == 0 &&
	       n == (uint32_t)ngpu,
	       "rocm: %s: APERTURES_NEW of 2^32-1: %u (no huge allocation)",
	       who, n);
	tap_errno(ioctl(kfd, AMDKFD_IOC_GET_PROCESS_APERTURES_NEW, NULL),
		  EFAULT, "rocm: %s: APERTURES_NEW NULL: EFAULT", who);
	tap_errno(ioctl(kfd, AMDKFD_IOC_GET_PROCESS_APERTURES_NEW, pg->ro),
		  EFAULT, "rocm: %s: APERTURES_NEW args read-only: EFAULT",
		  who);
	tap_ok(ioctl(kfd, resized(AMDKFD_IOC_GET_PROCESS_APERTURES_NEW, 8),
		     pg->rw) == 0,
	       "rocm: %s: APERTURES_NEW of 8 bytes: a count query, 0", who);
}

static int avail(int kfd, unsigned int gpu, uint64_t *out)
{
	struct kfd_ioctl_get_available_memory_args a = {
		.available = 0x5a5a5a5a5a5a5a5aULL, .gpu_id = gpu,
	};
	int r = ioctl(kfd, AMDKFD_IOC_AVAILABLE_MEMORY, &a);

	*out = a.available;
	return r;
}

static void rocm_available(int kfd, const char *who, struct rocm_pages *pg)
{
	unsigned int g0 = gpus[0].gpu_id;
	uint64_t v0 = 0, v, h = 0, off = 0;

	tap_ok(avail(kfd, g0, &v0) == 0 && v0 && v0 != 0x5a5a5a5a5a5a5a5aULL,
	       "rocm: %s: AVAILABLE_MEMORY: %llu MiB", who,
	       (unsigned long long)(v0 >> 20));
	tap_ok(avail(kfd, 0, &v) == -1 && errno == EINVAL &&
	       v == 0x5a5a5a5a5a5a5a5aULL,
	       "rocm: %s: AVAILABLE_MEMORY gpu_id 0: EINVAL, nothing written",
	       who);
	tap_ok(avail(kfd, g0 ^ 0x8000, &v) == -1 && errno == EINVAL &&
	       v == 0x5a5a5a5a5a5a5a5aULL,
	       "rocm: %s: AVAILABLE_MEMORY gpu_id nobody has: EINVAL", who);
	tap_errno(ioctl(kfd, resized(AMDKFD_IOC_AVAILABLE_MEMORY, 8), pg->rw),
		  EINVAL, "rocm: %s: AVAILABLE_MEMORY of 8 bytes: EINVAL "
		  "(gpu_id cut off)", who);
	tap_errno(ioctl(kfd, AMDKFD_IOC_AVAILABLE_MEMORY, NULL), EFAULT,
		  "rocm: %s: AVAILABLE_MEMORY NULL: EFAULT", who);
	tap_errno(ioctl(kfd, AMDKFD_IOC_AVAILABLE_MEMORY, KERNEL_PTR), EFAULT,
		  "rocm: %s: AVAILABLE_MEMORY kernel pointer: EFAULT", who);
	tap_errno(ioctl(kfd, AMDKFD_IOC_AVAILABLE_MEMORY, pg->none - 8),
		  EFAULT, "rocm: %s: AVAILABLE_MEMORY half unmapped: EFAULT",
		  who);
	tap_ok(avail(kfd, g0, &v) == 0 && v == v0,
	       "rocm: %s: after every failure still %llu MiB", who,
	       (unsigned long long)(v >> 20));
	/* it follows VRAM use; a refused allocation changes nothing */
	if (alloc_bo(kfd, g0, 0x7f00000000ULL, 2 * MiB, F_VRAM | F_RW, &h,
		     &off) == 0) {
		tap_ok(avail(kfd, g0, &v) == 0 && v == v0 - 2 * MiB,
		       "rocm: %s: 2 MiB of VRAM later: 2 MiB less", who);
		free_bo(kfd, h);
	} else {
		tap_ok(0, "rocm: %s: 2 MiB of VRAM", who);
	}
	tap_ok(alloc_bo(kfd, g0, 0x7f00000000ULL, 1ULL << 40, F_VRAM | F_RW,
			&h, &off) && avail(kfd, g0, &v) == 0 && v == v0,
	       "rocm: %s: a refused 1 TiB allocation: unchanged", who);
}

/* In a child, as root (debugfs): a fresh primary and its secondary. */
static int rocm_ioctls(void *arg)
{
	int kfd = kfd_open(), sec = kfd_open(), drm = open_render_node(&gpus[0]);
	int sdrm = open_render_node(&gpus[0]), v = -5;
	struct rocm_pages pg;
	struct q pm4;
	char got[128];

	if (!tap_ok(kfd >= 0 && sec >= 0 && drm >= 0 && sdrm >= 0 &&
		    rocm_pages(&pg), "rocm: files and pages"))
		return 1;
	/* before ACQUIRE_VM: no trap handler (ESRCH), the rest answer */
	tap_errno(set_trap(kfd, gpus[0].gpu_id, 1, 2), ESRCH,
		  "rocm: primary, unbound: SET_TRAP_HANDLER ESRCH");
	tap_ok(trap_shown(-1, gpus[0].gpu_id, got, sizeof(got)) && !got[0],
	       "rocm: primary, unbound: debugfs shows no trap handler");
	rocm_xnack(kfd, "primary, unbound", &pg);
	rocm_apertures(kfd, "primary, unbound", &pg);
	tap_zero(acquire_vm(kfd, drm, gpus[0].gpu_id), "rocm: primary bound");
	rocm_trap(kfd, -1, "primary", &pg);
	rocm_xnack(kfd, "primary", &pg);
	rocm_apertures(kfd, "primary", &pg);
	rocm_available(kfd, "primary", &pg);

	/* a secondary: its own state, whatever the primary's */
	tap_zero(create_process(sec), "rocm: a secondary");
	tap_errno(set_trap(sec, gpus[0].gpu_id, 1, 2), ESRCH,
		  "rocm: secondary, unbound: SET_TRAP_HANDLER ESRCH");
	tap_zero(acquire_vm(sec, sdrm, gpus[0].gpu_id), "rocm: secondary bound");
	rocm_trap(sec, 0, "secondary", &pg);
	tap_zero(set_trap(sec, gpus[0].gpu_id, 0x6000, 0x7000),
		 "rocm: secondary: another handler");
	tap_ok(trap_is(0, gpus[0].gpu_id, "0x6000/0x7000") &&
	       trap_is(-1, gpus[0].gpu_id, "0x7f0000001000/0x7f0000002000"),
	       "rocm: the secondary's handler is its own; the primary keeps its");
	rocm_xnack(sec, "secondary", &pg);
	rocm_apertures(sec, "secondary", &pg);
	rocm_available(sec, "secondary", &pg);

	/* XNACK: queues count per kfd_process */
	if (!tap_ok(queue_open(&gpus[0], &pm4, kfd, drm, 0x300000000ULL,
			       KFD_IOC_QUEUE_TYPE_COMPUTE) == 0,
		    "rocm: a queue in the primary"))
		return 1;
	tap_errno(xnack_mode(kfd, 0, NULL), EBUSY,
		  "rocm: primary with a queue: SET_XNACK_MODE 0 EBUSY");
	tap_zero(xnack_mode(sec, 0, NULL),
		 "rocm: its secondary, no queue: SET_XNACK_MODE 0 is 0");
	tap_errno(xnack_mode(sec, 1, NULL), EPERM,
		  "rocm: its secondary: SET_XNACK_MODE 1 EPERM");
	tap_ok(xnack_mode(kfd, -1, &v) == 0 && v == 0,
	       "rocm: primary with a queue: query still 0");
	queue_close(&pm4);
	tap_zero(xnack_mode(kfd, 0, NULL),
		 "rocm: primary, queue gone: SET_XNACK_MODE 0 is 0");
	close(sec);
	close(kfd);
	return 0;
}

/* ------------------ RUNTIME_ENABLE, DBG_TRAP and CRIU_OP (group rtdbg) */

/*
 * RUNTIME_ENABLE keeps a state per kfd_process: enable, EBUSY while
 * enabled, EEXIST with a queue, disable always 0, TTMP_SAVE refused with
 * ENODEV (vkfd's shader core sets up no trap temporaries).  DBG_TRAP
 * answers as amdkfd does for a GPU it cannot debug and a process never
 * debug-enabled; CRIU_OP checks its privilege before reading its
 * argument, then each op's own checks, and refuses the two it would have
 * to carry out (docs/driver.md, "Runtime, debugger and CRIU").
 */

#define RT_ON		KFD_RUNTIME_ENABLE_MODE_ENABLE_MASK
#define RT_TTMP		KFD_RUNTIME_ENABLE_MODE_TTMP_SAVE_MASK

static int rt_call(int kfd, uint32_t mode, uint64_t r_debug, uint32_t *caps)
{
	struct kfd_ioctl_runtime_enable_args a = {
		.r_debug = r_debug, .mode_mask = mode,
		.capabilities_mask = caps ? *caps : 0,
	};
	int r = ioctl(kfd, AMDKFD_IOC_RUNTIME_ENABLE, &a);

	if (caps)
		*caps = a.capabilities_mask;
	return r;
}

/*
 * Whether the runtime is enabled, without changing it: an enable is
 * EBUSY then; otherwise it succeeds (or is EEXIST) and is undone.
 */
static bool rt_enabled(int kfd)
{
	int r, e;

	errno = 0;
	r = rt_call(kfd, RT_ON, 0, NULL);
	e = errno;
	if (r == 0)
		rt_call(kfd, 0, 0, NULL);
	return r == -1 && e == EBUSY;
}

static void rt_cases(int kfd, int drm, const char *who, struct rocm_pages *pg,
		     uint64_t qva)
{
	struct kfd_ioctl_runtime_enable_args *a;
	uint32_t caps = 0xdeadbeef;
	uint8_t big[64];
	struct q q;
	int i;

	tap_ok(!rt_enabled(kfd), "rtdbg: %s: the runtime starts disabled", who);
	tap_ok(rt_call(kfd, RT_ON, 0x7f0000123000ULL, &caps) == 0 &&
	       caps == 0xdeadbeef,
	       "rtdbg: %s: enable: 0, capabilities_mask left as given", who);
	tap_errno(rt_call(kfd, RT_ON, 0, NULL), EBUSY,
		  "rtdbg: %s: enable again: EBUSY", who);
	tap_errno(rt_call(kfd, RT_ON | RT_TTMP, 0, NULL), EBUSY,
		  "rtdbg: %s: enable again with TTMP_SAVE: EBUSY", who);
	tap_zero(rt_call(kfd, 0, 0, NULL), "rtdbg: %s: disable: 0", who);
	tap_zero(rt_call(kfd, 0, 0, NULL), "rtdbg: %s: disable again: 0", who);
	tap_zero(rt_call(kfd, RT_ON, 1, NULL), "rtdbg: %s: re-enable: 0", who);
	tap_zero(rt_call(kfd, RT_TTMP, 0, NULL),
		 "rtdbg: %s: TTMP_SAVE without ENABLE is a disable: 0", who);
	tap_ok(!rt_enabled(kfd), "rtdbg: %s: disabled by it", who);
	tap_errno(rt_call(kfd, RT_ON | RT_TTMP, 0, NULL), ENODEV,
		  "rtdbg: %s: enable with TTMP_SAVE: ENODEV (no trap "
		  "temporaries at wave launch)", who);
	tap_ok(!rt_enabled(kfd), "rtdbg: %s: still disabled after it", who);
	tap_zero(rt_call(kfd, ~(uint32_t)RT_TTMP, 0, NULL),
		 "rtdbg: %s: mode 0xfffffffd: 0, unknown bits ignored", who);
	tap_ok(rt_enabled(kfd), "rtdbg: %s: enabled by it", who);

	/* short sizes: mode_mask cut off is 0, a disable */
	for (i = 0; i <= 8; i += 8) {
		struct kfd_ioctl_runtime_enable_args b = {
			.r_debug = 5, .mode_mask = RT_ON,
		};

		tap_zero(ioctl(kfd, resized(AMDKFD_IOC_RUNTIME_ENABLE, i), &b),
			 "rtdbg: %s: %d bytes: mode cut off, a disable: 0",
			 who, i);
		tap_ok(!rt_enabled(kfd), "rtdbg: %s: %d bytes: disabled", who,
		       i);
		rt_call(kfd, RT_ON, 0, NULL);
	}

	/* bad argument pointers: nothing changes */
	tap_errno(ioctl(kfd, AMDKFD_IOC_RUNTIME_ENABLE, NULL), EFAULT,
		  "rtdbg: %s: RUNTIME_ENABLE NULL: EFAULT", who);
	tap_errno(ioctl(kfd, AMDKFD_IOC_RUNTIME_ENABLE, KERNEL_PTR), EFAULT,
		  "rtdbg: %s: RUNTIME_ENABLE kernel pointer: EFAULT", who);
	tap_errno(ioctl(kfd, AMDKFD_IOC_RUNTIME_ENABLE, pg->none), EFAULT,
		  "rtdbg: %s: RUNTIME_ENABLE unmapped: EFAULT", who);
	memset(pg->rw, 0, 4096);
	tap_errno(ioctl(kfd, AMDKFD_IOC_RUNTIME_ENABLE, pg->none - 8), EFAULT,
		  "rtdbg: %s: RUNTIME_ENABLE half in the guard page: EFAULT",
		  who);
	tap_ok(rt_enabled(kfd), "rtdbg: %s: after every failure still enabled",
	       who);
	/* read-only (zeroes: a disable): done, then the copy back fails */
	tap_errno(ioctl(kfd, AMDKFD_IOC_RUNTIME_ENABLE, pg->ro), EFAULT,
		  "rtdbg: %s: read-only arguments: EFAULT (copied back)", who);
	tap_ok(!rt_enabled(kfd),
	       "rtdbg: %s: ... after the disable took effect, as in amdkfd",
	       who);
	memset(big, 0xa5, sizeof(big));
	a = (void *)big;
	a->r_debug = 0;
	a->mode_mask = RT_ON;
	a->capabilities_mask = 7;
	tap_ok(ioctl(kfd, resized(AMDKFD_IOC_RUNTIME_ENABLE, 64), big) == 0 &&
	       a->capabilities_mask == 7 && big[16] == 0xa5 &&
	       big[63] == 0xa5 && rt_enabled(kfd),
	       "rtdbg: %s: a 64-byte argument: enabled, the tail untouched",
	       who);

	/* queues: EEXIST only for an enable of a disabled runtime */
	tap_zero(rt_call(kfd, 0, 0, NULL), "rtdbg: %s: disabled", who);
	if (!tap_ok(queue_open(&gpus[0], &q, kfd, drm, qva,
			       KFD_IOC_QUEUE_TYPE_COMPUTE) == 0,
		    "rtdbg: %s: a queue", who))
		return;
	tap_errno(rt_call(kfd, RT_ON, 0, NULL), EEXIST,
		  "rtdbg: %s: enable with a queue: EEXIST", who);
	tap_errno(rt_call(kfd, RT_ON | RT_TTMP, 0, NULL), EEXIST,
		  "rtdbg: %s: with a queue, TTMP_SAVE: EEXIST (checked first)",
		  who);
	tap_zero(rt_call(kfd, 0, 0, NULL),
		 "rtdbg: %s: with a queue: disable 0", who);
	queue_close(&q);
	tap_zero(rt_call(kfd, RT_ON, 0, NULL),
		 "rtdbg: %s: queue destroyed: enable 0", who);
	tap_ok(queue_open(&gpus[0], &q, kfd, drm, qva + 0x400000,
			  KFD_IOC_QUEUE_TYPE_SDMA) == 0,
	       "rtdbg: %s: enabled: CREATE_QUEUE works", who);
	tap_errno(rt_call(kfd, RT_ON, 0, NULL), EBUSY,
		  "rtdbg: %s: enabled, with a queue: EBUSY (checked first)",
		  who);
	queue_close(&q);
	tap_zero(rt_call(kfd, 0, 0, NULL), "rtdbg: %s: disabled at the end",
		 who);
}

static int dbg_trap(int kfd, uint32_t pid, uint32_t op)
{
	struct kfd_ioctl_dbg_trap_args a = { .pid = pid, .op = op };

	return ioctl(kfd, AMDKFD_IOC_DBG_TRAP, &a);
}

/* A child that waits to be killed; with its own /dev/kfd if kfd. */
static pid_t dbg_child(bool kfd)
{
	int p[2];
	pid_t pid;
	char c = 0;

	if (pipe(p))
		return -1;
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		if (kfd && kfd_open() < 0)
			_exit(1);
		if (write(p[1], &c, 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	close(p[1]);
	if (pid > 0 && read(p[0], &c, 1) != 1)
		pid = -1;
	close(p[0]);
	return pid;
}

static int idle_pipe = -1;

/* Tells its id through idle_pipe, then waits to be killed. */
static void *idle_thread(void *arg)
{
	pid_t tid = syscall(SYS_gettid);

	if (write(idle_pipe, &tid, sizeof(tid)) != sizeof(tid))
		return arg;
	for (;;)
		pause();
	return arg;
}

/* A child without kfd whose second thread's id comes back in *tid. */
static pid_t dbg_child_threads(pid_t *tid)
{
	pthread_t th;
	int p[2];
	pid_t pid;

	if (pipe(p))
		return -1;
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		idle_pipe = p[1];
		if (pthread_create(&th, NULL, idle_thread, NULL))
			_exit(1);
		for (;;)
			pause();
	}
	close(p[1]);
	if (pid > 0 && read(p[0], tid, sizeof(*tid)) != sizeof(*tid))
		pid = -1;
	close(p[0]);
	return pid;
}

static void dbg_child_end(pid_t pid)
{
	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
}

/* A second thread: says it runs (ready), then waits to be told (go). */
static int blocker_ready[2], blocker_go[2];
static pid_t blocker_tid;

static void *blocker(void *arg)
{
	char c;

	blocker_tid = syscall(SYS_gettid);
	if (write(blocker_ready[1], "r", 1) != 1 ||
	    read(blocker_go[0], &c, 1) != 1)
		return NULL;
	return arg;
}

static void dbg_cases(int kfd, int sec, struct rocm_pages *pg)
{
	struct kfd_ioctl_dbg_trap_args e = {
		.pid = getpid(), .op = KFD_IOC_DBG_TRAP_ENABLE,
		.enable = { .rinfo_ptr = (uintptr_t)pg->rw, .rinfo_size = 16,
			    .dbg_fd = kfd },
	};
	pid_t plain, with_kfd, zombie, threads, tid = 0;
	siginfo_t si;
	pthread_t th;
	uint32_t op;
	char c;

	tap_errno(dbg_trap(sec, getpid(), KFD_IOC_DBG_TRAP_ENABLE), EOPNOTSUPP,
		  "rtdbg: DBG_TRAP from a secondary: EOPNOTSUPP");
	tap_errno(dbg_trap(sec, 0, 77), EOPNOTSUPP,
		  "rtdbg: DBG_TRAP from a secondary, pid 0, op 77: EOPNOTSUPP "
		  "(checked first)");
	tap_errno(dbg_trap(kfd, 0, KFD_IOC_DBG_TRAP_ENABLE), ESRCH,
		  "rtdbg: DBG_TRAP pid 0: ESRCH");
	tap_errno(dbg_trap(kfd, 0x7fffffff, KFD_IOC_DBG_TRAP_DISABLE), ESRCH,
		  "rtdbg: DBG_TRAP pid 2^31-1: ESRCH");
	tap_errno(dbg_trap(kfd, 0xffffffffu, KFD_IOC_DBG_TRAP_ENABLE), ESRCH,
		  "rtdbg: DBG_TRAP pid -1: ESRCH");
	tap_errno(dbg_trap(kfd, 2, KFD_IOC_DBG_TRAP_ENABLE), ESRCH,
		  "rtdbg: DBG_TRAP pid 2 (kthreadd, no mm): ESRCH");
	tap_errno(dbg_trap(kfd, 1, KFD_IOC_DBG_TRAP_ENABLE), ESRCH,
		  "rtdbg: DBG_TRAP pid 1 (no kfd_process): ESRCH");

	/* ourselves: never debug-enabled, on a GPU that cannot be debugged */
	memset(pg->rw, 0x5a, 16);
	errno = 0;
	tap_ok(ioctl(kfd, AMDKFD_IOC_DBG_TRAP, &e) == -1 && errno == ENODEV &&
	       e.enable.rinfo_size == 16 && pg->rw[0] == 0x5a &&
	       pg->rw[15] == 0x5a,
	       "rtdbg: DBG_TRAP ENABLE of ourselves: ENODEV, runtime info "
	       "not written");
	for (op = KFD_IOC_DBG_TRAP_DISABLE;
	     op <= KFD_IOC_DBG_TRAP_GET_DEVICE_SNAPSHOT; op++)
		tap_errno(dbg_trap(kfd, getpid(), op), EINVAL,
			  "rtdbg: DBG_TRAP op %u on ourselves: EINVAL (not "
			  "debug-enabled)", op);
	tap_errno(dbg_trap(kfd, getpid(), 15), EINVAL,
		  "rtdbg: DBG_TRAP op 15: EINVAL");
	tap_errno(dbg_trap(kfd, getpid(), 0xffffffffu), EINVAL,
		  "rtdbg: DBG_TRAP op 2^32-1: EINVAL");
	if (!pipe(blocker_ready) && !pipe(blocker_go) &&
	    !pthread_create(&th, NULL, blocker, NULL) &&
	    read(blocker_ready[0], &c, 1) == 1) {
		tap_errno(dbg_trap(kfd, blocker_tid, KFD_IOC_DBG_TRAP_ENABLE),
			  ENODEV, "rtdbg: DBG_TRAP ENABLE by another thread's "
			  "id: ours, ENODEV");
		tap_errno(dbg_trap(kfd, blocker_tid, KFD_IOC_DBG_TRAP_DISABLE),
			  EINVAL, "rtdbg: DBG_TRAP DISABLE by another thread's "
			  "id: EINVAL");
		if (write(blocker_go[1], "x", 1) == 1)
			pthread_join(th, NULL);
	} else {
		tap_ok(0, "rtdbg: a second thread");
	}

	/* bad argument pointers */
	tap_errno(ioctl(kfd, AMDKFD_IOC_DBG_TRAP, NULL), EFAULT,
		  "rtdbg: DBG_TRAP NULL: EFAULT");
	tap_errno(ioctl(kfd, AMDKFD_IOC_DBG_TRAP, KERNEL_PTR), EFAULT,
		  "rtdbg: DBG_TRAP kernel pointer: EFAULT");
	tap_errno(ioctl(kfd, AMDKFD_IOC_DBG_TRAP, pg->none - 16), EFAULT,
		  "rtdbg: DBG_TRAP half in the guard page: EFAULT");

	/* other processes: without /dev/kfd, with it, traced or not */
	plain = dbg_child(false);
	with_kfd = dbg_child(true);
	if (!tap_ok(plain > 0 && with_kfd > 0, "rtdbg: two child processes"))
		goto out;
	tap_errno(dbg_trap(kfd, plain, KFD_IOC_DBG_TRAP_ENABLE), ESRCH,
		  "rtdbg: DBG_TRAP ENABLE of a child without kfd: ESRCH");
	tap_errno(dbg_trap(kfd, with_kfd, KFD_IOC_DBG_TRAP_ENABLE), EPERM,
		  "rtdbg: DBG_TRAP ENABLE of a child not traced: EPERM");
	tap_errno(dbg_trap(kfd, with_kfd, KFD_IOC_DBG_TRAP_SUSPEND_QUEUES),
		  EPERM, "rtdbg: DBG_TRAP SUSPEND_QUEUES, not traced: EPERM");
	tap_errno(dbg_trap(kfd, with_kfd, KFD_IOC_DBG_TRAP_DISABLE), EINVAL,
		  "rtdbg: DBG_TRAP DISABLE, not traced: EINVAL (no ptrace "
		  "check for DISABLE)");
	if (!tap_ok(ptrace(PTRACE_SEIZE, plain, 0, 0) == 0 &&
		    ptrace(PTRACE_SEIZE, with_kfd, 0, 0) == 0,
		    "rtdbg: both children traced"))
		goto out;
	tap_errno(dbg_trap(kfd, plain, KFD_IOC_DBG_TRAP_ENABLE), ENODEV,
		  "rtdbg: DBG_TRAP ENABLE of a tracee without kfd: ENODEV");
	tap_errno(dbg_trap(kfd, plain, KFD_IOC_DBG_TRAP_DISABLE), ESRCH,
		  "rtdbg: DBG_TRAP DISABLE of a tracee without kfd: ESRCH");
	tap_errno(dbg_trap(kfd, with_kfd, KFD_IOC_DBG_TRAP_ENABLE), ENODEV,
		  "rtdbg: DBG_TRAP ENABLE of a tracee: ENODEV");
	tap_errno(dbg_trap(kfd, with_kfd, KFD_IOC_DBG_TRAP_SUSPEND_QUEUES),
		  EINVAL, "rtdbg: DBG_TRAP SUSPEND_QUEUES of a tracee: EINVAL");
	tap_errno(dbg_trap(sec, with_kfd, KFD_IOC_DBG_TRAP_ENABLE), EOPNOTSUPP,
		  "rtdbg: DBG_TRAP of a tracee from a secondary: EOPNOTSUPP");
out:
	dbg_child_end(plain);
	dbg_child_end(with_kfd);

	/* amdkfd checks the leader: a traced thread alone is not enough */
	threads = dbg_child_threads(&tid);
	if (tap_ok(threads > 0 && tid > 0 && tid != threads &&
		   ptrace(PTRACE_SEIZE, tid, 0, 0) == 0,
		   "rtdbg: a child's second thread traced, not its leader")) {
		tap_errno(dbg_trap(kfd, tid, KFD_IOC_DBG_TRAP_ENABLE), EPERM,
			  "rtdbg: DBG_TRAP ENABLE of that thread: EPERM");
		tap_errno(dbg_trap(kfd, threads, KFD_IOC_DBG_TRAP_ENABLE), ESRCH,
			  "rtdbg: DBG_TRAP ENABLE of its leader: ESRCH");
	}
	/* the traced thread is ours to reap before its leader can be */
	if (threads > 0) {
		kill(threads, SIGKILL);
		if (tid > 0)
			waitpid(tid, NULL, __WALL);
		waitpid(threads, NULL, 0);
	}

	/* a zombie has no address space */
	fflush(stdout);
	zombie = fork();
	if (zombie == 0)
		_exit(0);
	waitid(P_PID, zombie, &si, WEXITED | WNOWAIT);
	tap_errno(dbg_trap(kfd, zombie, KFD_IOC_DBG_TRAP_ENABLE), ESRCH,
		  "rtdbg: DBG_TRAP of a zombie: ESRCH");
	waitpid(zombie, NULL, 0);
}

static int criu_op(int kfd, uint32_t op, const struct kfd_ioctl_criu_args *in)
{
	struct kfd_ioctl_criu_args a = { 0 };

	if (in)
		a = *in;
	a.op = op;
	return ioctl(kfd, AMDKFD_IOC_CRIU_OP, &a);
}

/* An unprivileged child: EACCES before anything else. */
static int criu_nobody(void *arg)
{
	int kfd;

	if (!tap_ok(drop_to(NOBODY2), "rtdbg: running as uid %d", NOBODY2))
		return 1;
	kfd = kfd_open();
	tap_errno(criu_op(kfd, KFD_CRIU_OP_PROCESS_INFO, NULL), EACCES,
		  "rtdbg: unprivileged CRIU_OP PROCESS_INFO: EACCES");
	tap_errno(criu_op(kfd, 99, NULL), EACCES,
		  "rtdbg: unprivileged CRIU_OP op 99: EACCES");
	tap_errno(ioctl(kfd, AMDKFD_IOC_CRIU_OP, NULL), EACCES,
		  "rtdbg: unprivileged CRIU_OP NULL: EACCES (before the copy)");
	tap_zero(rt_call(kfd, RT_ON, 0, NULL),
		 "rtdbg: unprivileged RUNTIME_ENABLE: 0");
	tap_errno(dbg_trap(kfd, getpid(), KFD_IOC_DBG_TRAP_ENABLE), ENODEV,
		  "rtdbg: unprivileged DBG_TRAP ENABLE of itself: ENODEV");
	close(kfd);
	return 0;
}

/* Another process holding our file: EBADF, unless it traces us. */
static int criu_tracer(void *arg)
{
	int kfd = *(int *)arg;

	tap_errno(criu_op(kfd, KFD_CRIU_OP_PROCESS_INFO, NULL), EBADF,
		  "rtdbg: CRIU_OP on the parent's file: EBADF");
	if (!tap_ok(ptrace(PTRACE_SEIZE, getppid(), 0, 0) == 0,
		    "rtdbg: the child traces its parent"))
		return 1;
	tap_errno(criu_op(kfd, KFD_CRIU_OP_PROCESS_INFO, NULL), EOPNOTSUPP,
		  "rtdbg: its tracer: CRIU_OP PROCESS_INFO EOPNOTSUPP");
	tap_errno(criu_op(kfd, KFD_CRIU_OP_UNPAUSE, NULL), EINVAL,
		  "rtdbg: its tracer: CRIU_OP UNPAUSE EINVAL");
	tap_errno(rt_call(kfd, RT_ON, 0, NULL), EBADF,
		  "rtdbg: its tracer: RUNTIME_ENABLE EBADF");
	tap_errno(dbg_trap(kfd, getppid(), KFD_IOC_DBG_TRAP_ENABLE), EBADF,
		  "rtdbg: its tracer: DBG_TRAP EBADF");
	return 0;		/* exiting detaches */
}

static void criu_cases(int kfd, int sec, struct rocm_pages *pg)
{
	struct kfd_ioctl_criu_args full = {
		.devices = (uintptr_t)pg->rw, .bos = (uintptr_t)pg->rw,
		.priv_data = (uintptr_t)pg->rw, .priv_data_size = 64,
		.num_devices = 1, .num_bos = 1, .num_objects = 1,
		.pid = getpid(),
	};
	struct kfd_ioctl_criu_args b;

	tap_errno(criu_op(kfd, KFD_CRIU_OP_PROCESS_INFO, NULL), EOPNOTSUPP,
		  "rtdbg: CRIU_OP PROCESS_INFO: EOPNOTSUPP");
	tap_errno(criu_op(sec, KFD_CRIU_OP_PROCESS_INFO, NULL), EOPNOTSUPP,
		  "rtdbg: CRIU_OP PROCESS_INFO on a secondary: EOPNOTSUPP");
	tap_errno(criu_op(kfd, KFD_CRIU_OP_CHECKPOINT, &full), EINVAL,
		  "rtdbg: CRIU_OP CHECKPOINT, queues not paused: EINVAL");
	tap_errno(criu_op(kfd, KFD_CRIU_OP_CHECKPOINT, NULL), EINVAL,
		  "rtdbg: CRIU_OP CHECKPOINT without buffers: EINVAL");
	tap_errno(criu_op(kfd, KFD_CRIU_OP_UNPAUSE, NULL), EINVAL,
		  "rtdbg: CRIU_OP UNPAUSE, nothing paused: EINVAL");
	tap_errno(criu_op(kfd, KFD_CRIU_OP_RESTORE, NULL), EINVAL,
		  "rtdbg: CRIU_OP RESTORE of nothing: EINVAL");
	b = full;
	b.bos = 0;
	tap_errno(criu_op(kfd, KFD_CRIU_OP_RESTORE, &b), EINVAL,
		  "rtdbg: CRIU_OP RESTORE, 1 BO and no array: EINVAL");
	b.num_bos = 0;
	tap_errno(criu_op(kfd, KFD_CRIU_OP_RESTORE, &b), EOPNOTSUPP,
		  "rtdbg: CRIU_OP RESTORE, no BO: EOPNOTSUPP");
	b = full;
	b.priv_data_size = 0;
	tap_errno(criu_op(kfd, KFD_CRIU_OP_RESTORE, &b), EINVAL,
		  "rtdbg: CRIU_OP RESTORE, no private data: EINVAL");
	tap_errno(criu_op(kfd, KFD_CRIU_OP_RESTORE, &full), EOPNOTSUPP,
		  "rtdbg: CRIU_OP RESTORE well-formed: EOPNOTSUPP");
	b = full;
	b.pid = 0;
	tap_errno(criu_op(kfd, KFD_CRIU_OP_RESUME, &b), ESRCH,
		  "rtdbg: CRIU_OP RESUME pid 0: ESRCH");
	b.pid = 1;
	tap_errno(criu_op(kfd, KFD_CRIU_OP_RESUME, &b), ESRCH,
		  "rtdbg: CRIU_OP RESUME pid 1 (no kfd_process): ESRCH");
	tap_errno(criu_op(kfd, KFD_CRIU_OP_RESUME, &full), EINVAL,
		  "rtdbg: CRIU_OP RESUME of ourselves, not restored: EINVAL");
	tap_errno(criu_op(kfd, 5, &full), EINVAL, "rtdbg: CRIU_OP op 5: EINVAL");
	tap_errno(criu_op(kfd, 0xffffffffu, NULL), EINVAL,
		  "rtdbg: CRIU_OP op 2^32-1: EINVAL");
	tap_errno(ioctl(kfd, AMDKFD_IOC_CRIU_OP, NULL), EFAULT,
		  "rtdbg: CRIU_OP NULL: EFAULT");
	tap_errno(ioctl(kfd, AMDKFD_IOC_CRIU_OP, pg->none - 32), EFAULT,
		  "rtdbg: CRIU_OP half in the guard page: EFAULT");
	tap_ok(run_child(criu_nobody, NULL) == 0, "rtdbg: unprivileged checks");
	tap_ok(run_child(criu_tracer, &kfd) == 0, "rtdbg: tracer checks");
	tap_ok(!rt_enabled(kfd) && !rt_enabled(sec),
	       "rtdbg: after every DBG_TRAP and CRIU_OP, both runtimes are "
	       "still disabled");
}

/* In a child, as root: a bound primary and a bound secondary. */
static int rtdbg(void *arg)
{
	int kfd = kfd_open(), sec = kfd_open(), drm = open_render_node(&gpus[0]);
	int sdrm = open_render_node(&gpus[0]);
	struct rocm_pages pg;
	struct q q;

	if (!tap_ok(kfd >= 0 && sec >= 0 && drm >= 0 && sdrm >= 0 &&
		    rocm_pages(&pg), "rtdbg: files and pages"))
		return 1;
	/* nothing needs a GPU bound: amdkfd's state is the process's */
	tap_zero(rt_call(kfd, RT_ON, 0, NULL), "rtdbg: unbound: enable 0");
	tap_errno(rt_call(kfd, RT_ON, 0, NULL), EBUSY,
		  "rtdbg: unbound: enable again EBUSY");
	tap_zero(rt_call(kfd, 0, 0, NULL), "rtdbg: unbound: disable 0");
	tap_zero(create_process(sec), "rtdbg: a secondary");
	tap_zero(acquire_vm(kfd, drm, gpus[0].gpu_id), "rtdbg: primary bound");
	tap_zero(acquire_vm(sec, sdrm, gpus[0].gpu_id),
		 "rtdbg: secondary bound");
	rt_cases(kfd, drm, "primary", &pg, 0x300000000ULL);
	rt_cases(sec, sdrm, "secondary", &pg, 0x300000000ULL);

	/* each kfd_process has its own state, and its own queues */
	tap_zero(rt_call(kfd, RT_ON, 0, NULL), "rtdbg: primary enabled");
	tap_ok(!rt_enabled(sec), "rtdbg: its secondary is not");
	tap_zero(rt_call(sec, RT_ON, 0, NULL), "rtdbg: secondary enabled too");
	tap_zero(rt_call(kfd, 0, 0, NULL), "rtdbg: primary disabled");
	tap_ok(rt_enabled(sec), "rtdbg: the secondary stays enabled");
	tap_zero(rt_call(sec, 0, 0, NULL), "rtdbg: secondary disabled");
	if (tap_ok(queue_open(&gpus[0], &q, kfd, drm, 0x310000000ULL,
			      KFD_IOC_QUEUE_TYPE_COMPUTE) == 0,
		   "rtdbg: a queue in the primary")) {
		tap_zero(rt_call(sec, RT_ON, 0, NULL),
			 "rtdbg: the secondary, no queue of its own: enable 0");
		tap_errno(rt_call(kfd, RT_ON, 0, NULL), EEXIST,
			  "rtdbg: the primary: EEXIST");
		tap_zero(rt_call(sec, 0, 0, NULL), "rtdbg: secondary disabled");
		queue_close(&q);
	}
	dbg_cases(kfd, sec, &pg);
	criu_cases(kfd, sec, &pg);
	close(sec);
	close(kfd);
	return 0;
}

int main(int argc, char **argv)
{
	int i;

	ngpu = vkfd_gpus(gpus, VKFD_MAX_GPUS);
	if (argc == 4 && !strcmp(argv[1], SYSFS_ARG))
		return sysfs_child(atoi(argv[2]), atoi(argv[3]));
	if (argc == 5 && !strcmp(argv[1], EXEC_ARG))
		return after_exec(atoi(argv[2]), atoi(argv[3]),
				  strtoul(argv[4], NULL, 0));
	self_exe = argv[0];
	if (argc == 3 && !strcmp(argv[1], "--only"))
		only = argv[2];
	if (!tap_ok(ngpu >= 1, "%d vkfd device(s)", ngpu))
		return tap_done();
	tap_share();
	for (i = 0; i < POOL; i++)
		drm_pool[i] = open_render_node(&gpus[0]);

	run_child(unprivileged, NULL);
	for (i = 0; i < POOL; i++)
		close(drm_pool[i]);
	tap_ok(wait_contexts(0, 30) && vkfd_devices_sum("vram_used") == 0 &&
	       vkfd_devices_sum("pt_pages") == 0,
	       "no context, VRAM or page table left");
	if (want("users"))
		test_user_contexts();
	if (want("lock"))
		test_copy_under_lock();
	if (want("sysfs"))
		test_sysfs_names();
	if (want("clock"))
		test_clock_latency();
	if (want("rocm"))
		tap_ok(run_child(rocm_ioctls, NULL) == 0, "rocm: checks ran");
	if (want("rtdbg"))
		tap_ok(run_child(rtdbg, NULL) == 0, "rtdbg: checks ran");
	if (want("unbind"))
		test_unbind();
	tap_plan(tap_count);
	return tap_done();
}
