// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Guest test: amdkfd conformance of memory and topology (issue 12,
 * points 3, 7 and 8), on every vkfd GPU of the guest.
 *
 *  - System memory limit: the limit is amdkfd's (RAM less 1/64, less
 *    1.5 GiB, or half of that below 3 GiB), shared by GTT and USERPTR on
 *    all GPUs; registering one buffer again and again as USERPTR, or
 *    allocating GTT, stops exactly at it with ENOMEM and charges nothing
 *    more; with two GPUs, filling through one leaves nothing for the
 *    other; AVAILABLE_MEMORY (VRAM, as on amdkfd's dGPUs) does not move;
 *    the guest still runs a process that touches memory; everything
 *    comes back at FREE.
 *  - VMA access: a process reads and writes another's VRAM and GTT
 *    mappings with ptrace (PEEKDATA/POKEDATA) and /proc/<pid>/mem,
 *    across pages; the owner sees what was written; after FREE the
 *    access fails with EIO.
 *  - Topology: non-zero fw_version and sdma_fw_version (in the 10 bits
 *    libhsakmt keeps); for gfx90a the caches of amdkfd's table, counted
 *    per kind.
 *
 * After all of it, no device context, page table or system page is left.
 * TAP.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/wait.h>

#include "tap.h"
#include "kfd-util.h"

#define CHUNK		(16 * MiB)
#define MAX_BOS		256
#define PAGE		4096ULL

static struct vkfd_gpu gpus[VKFD_MAX_GPUS];
static int ngpu;

static long meminfo_kb(const char *key)
{
	FILE *f = fopen("/proc/meminfo", "r");
	char line[256];
	long kb = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, strlen(key)) &&
		    line[strlen(key)] == ':')
			kb = atol(line + strlen(key) + 1);
	fclose(f);
	return kb;
}

static unsigned long sys_used(void)
{
	unsigned long limit, used;

	return sysmem_pages(&limit, &used) ? used : ~0UL;
}

/* amdkfd's limit for this much RAM, in pages. */
static unsigned long amdkfd_limit(unsigned long ram)
{
	unsigned long reserve = (3UL << 29) / PAGE;
	unsigned long limit = ram - (ram >> 6);

	return limit < 2 * reserve ? limit >> 1 : limit - reserve;
}

/* A child that allocates and touches 16 MiB: the guest is not in OOM. */
static int touch_child(void *arg)
{
	size_t n = 16 * MiB;
	char *p = malloc(n);

	if (!p)
		return 1;
	memset(p, 0x5a, n);
	return p[n - 1] == 0x5a ? 0 : 1;
}

struct bos {
	uint64_t h[MAX_BOS];
	int n;
};

static void free_all(int kfd, struct bos *b)
{
	while (b->n)
		free_bo(kfd, b->h[--b->n]);
}

/*
 * Allocate BOs of size bytes on gpu (USERPTR of buf, or GTT) until the
 * driver refuses; returns the errno of the refusal.
 */
static int fill(int kfd, unsigned int gpu, struct bos *b, uint64_t *va,
		uint64_t size, unsigned int flags, void *buf)
{
	uint64_t off;

	while (b->n < MAX_BOS) {
		off = (uintptr_t)buf;
		if (alloc_bo(kfd, gpu, *va, size, flags | F_RW, &b->h[b->n],
			     &off))
			return errno;
		b->n++;
		*va += size;
	}
	return 0;
}

static int test_limits(void *unused)
{
	unsigned long limit, used0, used, ram = meminfo_kb("MemTotal") / 4;
	uint64_t va = VA0, avail0, off, h = 0;
	struct bos b = { .n = 0 };
	unsigned int last = gpus[ngpu - 1].gpu_id;
	int kfd = kfd_open(), err, i;
	char *buf;

	if (!tap_ok(kfd >= 0 && !bind_all_gpus(kfd), "limits: bound to %d GPU(s)",
		    ngpu))
		return 1;
	if (!tap_ok(sysmem_pages(&limit, &used0), "limits: debugfs sysmem"))
		return 1;
	tap_diag("limits: %lu of %lu pages used", used0, limit);
	tap_ok(limit == amdkfd_limit(ram),
	       "limits: %lu pages is amdkfd's limit for %lu pages of RAM (%lu)",
	       limit, ram, amdkfd_limit(ram));
	avail0 = available(kfd, gpus[0].gpu_id);

	buf = mmap(NULL, CHUNK, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (!tap_ok(buf != MAP_FAILED, "limits: a 16 MiB buffer"))
		return 1;

	/* one buffer registered again and again: each pin counts */
	err = fill(kfd, gpus[0].gpu_id, &b, &va, CHUNK, F_USERPTR, buf);
	used = sys_used();
	tap_ok(err == ENOMEM, "limits: USERPTR stops with ENOMEM after %d x 16 MiB (errno %d)",
	       b.n, err);
	tap_ok(used <= limit && used + CHUNK / PAGE > limit,
	       "limits: at %lu of %lu pages, less than 16 MiB short", used,
	       limit);
	tap_ok(used - used0 == b.n * (CHUNK / PAGE),
	       "limits: %d BOs charged exactly their pages", b.n);
	/* the rest, exactly, through the last GPU; then not one page more */
	off = (uintptr_t)buf;
	if (limit > used) {
		tap_zero(alloc_bo(kfd, last, va, (limit - used) * PAGE,
				  F_USERPTR | F_RW, &b.h[b.n], &off),
			 "limits: the last %lu pages fit on GPU %u",
			 limit - used, last);
		if (sys_used() == limit)
			b.n++;
		va += (limit - used) * PAGE;
	} else {
		tap_ok(1, "limits: the limit is reached exactly");
	}
	tap_ok(sys_used() == limit, "limits: the limit reached (%lu)",
	       sys_used());
	for (i = 0; i < ngpu; i++) {
		off = (uintptr_t)buf;
		tap_errno(alloc_bo(kfd, gpus[i].gpu_id, va, PAGE,
				   F_USERPTR | F_RW, &h, &off), ENOMEM,
			  "limits: GPU %u: one USERPTR page more: ENOMEM",
			  gpus[i].gpu_id);
		tap_errno(alloc_bo(kfd, gpus[i].gpu_id, va, PAGE, F_GTT | F_RW,
				   &h, NULL), ENOMEM,
			  "limits: GPU %u: one GTT page more: ENOMEM",
			  gpus[i].gpu_id);
	}
	tap_ok(sys_used() == limit, "limits: the refusals charged nothing");
	tap_ok(available(kfd, gpus[0].gpu_id) == avail0,
	       "limits: AVAILABLE_MEMORY is VRAM, as on a dGPU: unchanged (%llu)",
	       (unsigned long long)avail0);
	tap_ok(run_child(touch_child, NULL) == 0,
	       "limits: at the limit a process still touches 16 MiB");
	/* one BO back: one GTT page fits again, on the other GPU */
	free_bo(kfd, b.h[--b.n]);
	tap_zero(alloc_bo(kfd, last, va, PAGE, F_GTT | F_RW, &h, NULL),
		 "limits: after a FREE one GTT page fits on GPU %u", last);
	tap_zero(free_bo(kfd, h), "limits: and is freed");
	free_all(kfd, &b);
	tap_ok(sys_used() == used0, "limits: all back after FREE (%lu pages)",
	       sys_used());

	/* GTT: allocated pages, the same limit; the buffer's pages go first */
	madvise(buf, CHUNK, MADV_DONTNEED);
	err = fill(kfd, gpus[ngpu - 1].gpu_id, &b, &va, CHUNK, F_GTT, NULL);
	used = sys_used();
	tap_ok(err == ENOMEM && used <= limit && used + CHUNK / PAGE > limit,
	       "limits: GTT stops with ENOMEM at %lu of %lu pages (%d BOs, errno %d)",
	       used, limit, b.n, err);
	off = (uintptr_t)buf;
	tap_errno(alloc_bo(kfd, gpus[0].gpu_id, va, CHUNK, F_USERPTR | F_RW, &h,
			   &off), ENOMEM,
		  "limits: and then USERPTR shares it: ENOMEM");
	tap_ok(run_child(touch_child, NULL) == 0,
	       "limits: at the GTT limit a process still touches 16 MiB");
	free_all(kfd, &b);
	tap_ok(sys_used() == used0, "limits: all back after FREE");

	/* one BO over the limit is refused before pinning anything */
	off = (uintptr_t)buf;
	tap_errno(alloc_bo(kfd, gpus[0].gpu_id, va, (limit + 1) * PAGE,
			   F_USERPTR | F_RW, &h, &off), ENOMEM,
		  "limits: one USERPTR BO over the limit: ENOMEM");
	tap_errno(alloc_bo(kfd, gpus[0].gpu_id, va, (limit + 1) * PAGE,
			   F_GTT | F_RW, &h, NULL), ENOMEM,
		  "limits: one GTT BO over the limit: ENOMEM");
	tap_ok(sys_used() == used0, "limits: and nothing charged");
	munmap(buf, CHUNK);
	close(kfd);
	return 0;
}

/* VMA access ------------------------------------------------------------ */

struct target {
	int to_parent[2], to_child[2];
};

struct shared {
	uint64_t addr[2];		/* VRAM and GTT mappings */
	uint64_t size;
};

static int target_child(void *arg)
{
	struct target *t = arg;
	unsigned int gpu = gpus[ngpu - 1].gpu_id;
	uint64_t h[2], off[2] = { 0, 0 }, size = 3 * PAGE;
	struct shared s = { .size = size };
	int kfd = kfd_open(), drm = open_render_node(&gpus[ngpu - 1]);
	uint32_t *p[2];
	unsigned int k;
	uint64_t i;
	char cmd;

	if (kfd < 0 || drm < 0 || acquire_vm(kfd, drm, gpu))
		return 1;
	if (alloc_bo(kfd, gpu, VA0, size, F_VRAM | F_RW, &h[0], &off[0]) ||
	    alloc_bo(kfd, gpu, VA0 + size, size, F_GTT | F_RW, &h[1], &off[1]))
		return 2;
	for (k = 0; k < 2; k++) {
		p[k] = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, drm,
			    off[k]);
		if (p[k] == MAP_FAILED)
			return 3;
		for (i = 0; i < size / 4; i++)
			p[k][i] = 0xc0de0000 + k * 0x1000000 + i;
		s.addr[k] = (uintptr_t)p[k];
	}
	if (write(t->to_parent[1], &s, sizeof(s)) != sizeof(s))
		return 4;
	/* 'c': check what the parent wrote, 'f': free the BOs, 'q': quit */
	while (read(t->to_child[0], &cmd, 1) == 1) {
		char ok = 1;

		if (cmd == 'c') {
			for (k = 0; k < 2; k++) {
				ok &= p[k][1] == 0x11111111 + k;
				ok &= p[k][1024 - 1] == 0x22222222 + k &&
				      p[k][1024] == 0x33333333 + k;
			}
		} else if (cmd == 'f') {
			ok = !free_bo(kfd, h[0]) && !free_bo(kfd, h[1]);
		} else {
			break;
		}
		if (write(t->to_parent[1], &ok, 1) != 1)
			return 5;
	}
	return 0;
}

static bool ask(struct target *t, char cmd)
{
	char ok = 0;

	return write(t->to_child[1], &cmd, 1) == 1 &&
	       read(t->to_parent[0], &ok, 1) == 1 && ok == 1;
}

static void test_access(void)
{
	struct target t;
	struct shared s;
	char path[64];
	uint32_t w[2];
	unsigned int k;
	pid_t pid;
	int status, fd;
	long v;

	if (pipe(t.to_parent) || pipe(t.to_child))
		return;
	fflush(stdout);
	pid = fork();
	if (pid == 0)
		_exit(target_child(&t));
	if (!tap_ok(read(t.to_parent[0], &s, sizeof(s)) == sizeof(s),
		    "access: the target mapped a VRAM and a GTT BO"))
		goto out;

	snprintf(path, sizeof(path), "/proc/%d/mem", pid);
	fd = open(path, O_RDWR);
	tap_ok(fd >= 0, "access: %s opened", path);
	for (k = 0; k < 2; k++) {
		const char *what = k ? "GTT" : "VRAM";
		uint32_t buf[2048];
		bool same = true;
		int i;

		/* 8 KiB from byte 8 on: three pages of the BO */
		tap_ok(pread(fd, buf, sizeof(buf), s.addr[k] + 8) == sizeof(buf),
		       "access: %s: /proc/pid/mem reads 8 KiB across pages", what);
		for (i = 0; i < 2048; i++)
			same &= buf[i] == 0xc0de0000 + k * 0x1000000 + i + 2;
		tap_ok(same, "access: %s: the bytes the target wrote", what);
		w[0] = 0x22222222 + k;
		w[1] = 0x33333333 + k;
		tap_ok(pwrite(fd, w, 8, s.addr[k] + 4096 - 4) == 8,
		       "access: %s: /proc/pid/mem writes across a page boundary",
		       what);
	}

	tap_zero(ptrace(PTRACE_ATTACH, pid, 0, 0), "access: ptrace attach");
	tap_ok(waitpid(pid, &status, 0) == pid && WIFSTOPPED(status),
	       "access: the target stopped");
	for (k = 0; k < 2; k++) {
		const char *what = k ? "GTT" : "VRAM";

		errno = 0;
		v = ptrace(PTRACE_PEEKDATA, pid, (void *)(uintptr_t)(s.addr[k] + 16), 0);
		tap_ok(errno == 0 &&
		       (uint32_t)v == 0xc0de0000 + k * 0x1000000 + 4,
		       "access: %s: PEEKDATA reads 0x%x", what, (uint32_t)v);
		v = (long)((uint64_t)(0xc0de0000 + k * 0x1000000 + 2) << 32 |
			   (0x11111111 + k));
		tap_zero(ptrace(PTRACE_POKEDATA, pid,
				(void *)(uintptr_t)(s.addr[k] + 4), (void *)v),
			 "access: %s: POKEDATA writes", what);
	}
	tap_zero(ptrace(PTRACE_DETACH, pid, 0, 0), "access: ptrace detach");
	tap_ok(ask(&t, 'c'), "access: the target sees every write in its mappings");

	tap_ok(ask(&t, 'f'), "access: the target freed both BOs");
	for (k = 0; k < 2; k++)
		tap_errno(pread(fd, w, 4, s.addr[k]), EIO,
			  "access: %s: after FREE /proc/pid/mem says EIO",
			  k ? "GTT" : "VRAM");
	close(fd);
out:
	if (write(t.to_child[1], "q", 1) != 1)
		kill(pid, SIGKILL);
	tap_ok(waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	       WEXITSTATUS(status) == 0, "access: the target exits cleanly (%d)",
	       status);
	close(t.to_parent[0]);
	close(t.to_parent[1]);
	close(t.to_child[0]);
	close(t.to_child[1]);
}

/* Topology -------------------------------------------------------------- */

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

static void test_topology(const char *node)
{
	unsigned long long fw, sdma, gfx, ncaches, cu, arrays, i;
	unsigned long long l1 = 0, inst = 0, scalar = 0, l2 = 0, other = 0;
	unsigned long long unset = 0;
	char props[320], path[512];

	snprintf(props, sizeof(props), "%s/properties", node);
	fw = prop_of(props, "fw_version");
	sdma = prop_of(props, "sdma_fw_version");
	gfx = prop_of(props, "gfx_target_version");
	ncaches = prop_of(props, "caches_count");
	cu = prop_of(props, "simd_count") / prop_of(props, "simd_per_cu");
	arrays = prop_of(props, "array_count");
	tap_ok(fw > 0 && fw <= 0x3ff, "topology: %s: fw_version %llu", node, fw);
	tap_ok(sdma > 0 && sdma <= 0x3ff, "topology: %s: sdma_fw_version %llu",
	       node, sdma);
	for (i = 0; i < ncaches; i++) {
		unsigned long long size, level, type;

		snprintf(path, sizeof(path), "%s/caches/%llu/properties", node,
			 i);
		size = prop_of(path, "size");
		level = prop_of(path, "level");
		type = prop_of(path, "type");
		unset += !prop_of(path, "cache_lines_per_tag") &&
			 !prop_of(path, "association") &&
			 !prop_of(path, "latency");
		if (level == 1 && size == 16 && (type & 1) &&
		    prop_of(path, "cache_line_size") == 64 && i < cu)
			l1++;
		else if (level == 1 && size == 32 && (type & 2))
			inst++;
		else if (level == 1 && size == 16 && (type & 1))
			scalar++;
		else if (level == 2 && size == 8192 && (type & 1) &&
			 prop_of(path, "cache_line_size") == 128)
			l2++;
		else
			other++;
	}
	tap_ok(ncaches > 0 && unset == ncaches,
	       "topology: %s: lines per tag, association, latency 0 in all %llu caches (amdkfd's tables)",
	       node, ncaches);
	if (gfx != 90010) {
		tap_ok(ncaches > 0, "topology: %s: gfx %llu: %llu caches", node,
		       gfx, ncaches);
		return;
	}
	/* amdkfd's gfx90a: L1 per CU, SQC (32 KiB I, 16 KiB K) per 2 CUs,
	 * 8 MiB L2 per 14 CUs of an array
	 */
	tap_ok(l1 == cu && other == 0,
	       "topology: %s: %llu L1 16 KiB data caches, one a CU", node, l1);
	tap_ok(inst == arrays * ((cu / arrays + 1) / 2) && scalar == inst,
	       "topology: %s: %llu instruction and %llu scalar caches, one per 2 CUs",
	       node, inst, scalar);
	tap_ok(l2 == arrays * ((cu / arrays + 13) / 14),
	       "topology: %s: %llu L2 caches of 8 MiB, 128-byte lines",
	       node, l2);
}

static void topology_nodes(void)
{
	const char *base = KFD_SYSFS "/topology/nodes";
	DIR *d = opendir(base);
	struct dirent *e;
	char node[300], props[320];
	int gpu_nodes = 0;

	if (!tap_ok(d != NULL, "topology: %s", base))
		return;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(node, sizeof(node), "%s/%s", base, e->d_name);
		snprintf(props, sizeof(props), "%s/properties", node);
		if (prop_of(props, "simd_count") == 0 ||
		    prop_of(props, "simd_count") == ~0ULL)
			continue;
		test_topology(node);
		gpu_nodes++;
	}
	closedir(d);
	tap_ok(gpu_nodes == ngpu, "topology: %d GPU nodes", gpu_nodes);
}

int main(int argc, char **argv)
{
	unsigned long used0 = sys_used();

	tap_share();
	ngpu = vkfd_gpus(gpus, VKFD_MAX_GPUS);
	if (!tap_ok(ngpu >= 1, "%d vkfd GPU(s)", ngpu))
		return tap_done();
	topology_nodes();
	tap_ok(run_child(test_limits, NULL) == 0,
	       "limits: the process exits cleanly");
	tap_ok(wait_contexts(0, 20), "limits: no device context is left");
	test_access();
	tap_ok(wait_contexts(0, 20), "access: no device context is left");
	tap_ok(vkfd_devices_sum("pt_pages") == 0 &&
	       vkfd_devices_sum("vram_used") == 0 && sys_used() == used0,
	       "nothing left: page tables, VRAM, system pages (%lu)",
	       sys_used());
	printf("1..%d\n", tap_count);
	return tap_done();
}
