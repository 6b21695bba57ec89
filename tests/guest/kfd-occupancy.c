// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Guest test: proc/<pid>/stats_<gpu_id>/cu_occupancy, amdkfd's count of
 * the compute units a process's resident waves fill on a GPU.
 *
 * A GFX9 kernel that spins until a dword in GTT memory turns non-zero is
 * dispatched (PM4 DISPATCH_DIRECT, one workgroup of 1024 work-items: 16
 * waves) on one, then three compute queues of the process; the file must
 * read what amdkfd's formula gives, ceil(waves / (simd_per_cu *
 * max_waves_per_simd)) with the GPU's topology properties, while the
 * kernels spin, and 0 before and after.  A secondary (CREATE_PROCESS)
 * with a queue of its own on the GPU reads 0 all along: waves count per
 * kfd_process.  When the GPU is unbound under spinning kernels and a
 * thread reading the file, every read gives a possible count or ENODEV,
 * the file goes with the process's other entries of that GPU, and one
 * held open reads ENODEV.  Prints TAP; run inside the guest as root.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "tap.h"
#include "kfd-queue-util.h"

#define NQUEUES		3
#define WG_ITEMS	1024		/* 16 waves of 64 lanes */
#define WG_WAVES	(WG_ITEMS / 64)
#define WAIT_S		60.0
#define QUEUE_VA(i)	(0x300000000ULL + (uint64_t)(i) * 0x1000000ULL)
#define CODE_OFF	0x1000		/* in queue 0's data area, 256-aligned */
#define FLAG_OFF	0		/* the dword the kernels spin on */
#define PCI_DRIVER	"/sys/bus/pci/drivers/vkfd"

/*
 * The kernel (gfx90a), s[0:1] the flag's address (COMPUTE_USER_DATA_0/1):
 *   loop: s_load_dword s2, s[0:1], 0x0 glc
 *         s_waitcnt lgkmcnt(0)
 *         s_cmp_eq_u32 s2, 0
 *         s_cbranch_scc1 loop
 *         s_endpgm
 * (encodings from llvm-mc -triple=amdgcn-amd-amdhsa -mcpu=gfx90a)
 */
static const uint32_t spin_code[] = {
	0xc0030080, 0x00000000, 0xbf8cc07f, 0xbf068002, 0xbf85fffb,
	0xbf810000,
};

/* COMPUTE_* registers (SET_SH_REG offsets from 0x2c00) and the initiator */
#define REG_START_X	0x204		/* START_X/Y/Z, NUM_THREAD_X/Y/Z */
#define REG_PGM_LO	0x20c
#define REG_PGM_RSRC1	0x212		/* RSRC1, RSRC2 */
#define REG_USER_DATA_0	0x240
#define RSRC2_USER_SGPRS(n)	((n) << 1)
/* DISPATCH_INITIATOR: COMPUTE_SHADER_EN, PARTIAL_TG_EN, USE_THREAD_DIMENSIONS */
#define INITIATOR	0x23


static struct vkfd_gpu gpu;
static char own_dir[128];	/* proc/<tgid> */

static void set_sh_reg(struct q *q, uint32_t reg, const uint32_t *val,
		       unsigned int n)
{
	uint32_t h[2] = { VKFD_PM4_HDR(VKFD_PM4_OP_SET_SH_REG, n + 1), reg };

	emit(q, h, 2);
	emit(q, val, n);
}

/* One workgroup of the spinning kernel on q; code and flag are GPU VAs. */
static void dispatch_spin(struct q *q, uint64_t code, uint64_t flag)
{
	uint32_t dims[6] = { 0, 0, 0, WG_ITEMS, 1, 1 };
	uint32_t pgm[2] = { (uint32_t)(code >> 8), (uint32_t)(code >> 40) };
	uint32_t rsrc[2] = { 0, RSRC2_USER_SGPRS(2) };
	uint32_t user[2] = { (uint32_t)flag, (uint32_t)(flag >> 32) };
	uint32_t go[5] = {
		VKFD_PM4_HDR(VKFD_PM4_OP_DISPATCH_DIRECT, 4),
		WG_ITEMS, 1, 1, INITIATOR,
	};

	set_sh_reg(q, REG_START_X, dims, 6);
	set_sh_reg(q, REG_PGM_LO, pgm, 2);
	set_sh_reg(q, REG_PGM_RSRC1, rsrc, 2);
	set_sh_reg(q, REG_USER_DATA_0, user, 2);
	emit(q, go, 5);
	kick(q, q->wptr);
}

/* "key value" from the topology node of gpu_id; -1 if not found. */
static long long topo_prop(unsigned int gpu_id, const char *key)
{
	char path[128], line[128];
	long long val = -1;
	unsigned int id;
	int node;

	for (node = 0; node < 64; node++) {
		FILE *f;

		snprintf(path, sizeof(path), KFD_SYSFS "/topology/nodes/%d/gpu_id",
			 node);
		f = fopen(path, "r");
		if (!f)
			break;
		id = 0;
		if (fscanf(f, "%u", &id) != 1)
			id = 0;
		fclose(f);
		if (id != gpu_id)
			continue;
		snprintf(path, sizeof(path),
			 KFD_SYSFS "/topology/nodes/%d/properties", node);
		f = fopen(path, "r");
		if (!f)
			return -1;
		while (fgets(line, sizeof(line), f)) {
			size_t n = strlen(key);

			if (!strncmp(line, key, n) && line[n] == ' ')
				val = atoll(line + n + 1);
		}
		fclose(f);
		return val;
	}
	return -1;
}

/* The file's whole text in buf ("" if unreadable); true if read. */
static bool read_text(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	size_t n;

	buf[0] = 0;
	if (!f)
		return false;
	n = fread(buf, 1, len - 1, f);
	buf[n] = 0;
	fclose(f);
	return n > 0;
}

/* What a file read, up to its newline, for the TAP lines */
static const char *shown(const char *buf)
{
	static char line[64];

	snprintf(line, sizeof(line), "%.*s", (int)strcspn(buf, "\n"), buf);
	return line;
}

/* Wait until the file reads want ("N\n"); the last text in buf. */
static bool reads(const char *path, const char *want, char *buf, size_t len)
{
	double end = now_s() + WAIT_S;

	while (!(read_text(path, buf, len) && !strcmp(buf, want)) &&
	       now_s() < end)
		usleep(5000);
	return !strcmp(buf, want);
}

/*
 * A thread reading the file until told to stop, through fresh opens:
 * a read must give "N\n" with N in 0..max, or fail with ENODEV (the
 * file went under it), or the open ENOENT (gone).
 */
struct reader {
	const char *path;
	long long max;
	bool stop;
	int reads, bad;
};

static void *reader_main(void *arg)
{
	struct reader *r = arg;
	char buf[32];
	long long v;
	ssize_t n;
	char nl;
	int fd;

	while (!__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE)) {
		fd = open(r->path, O_RDONLY);
		if (fd < 0) {
			r->bad += errno != ENOENT;
			continue;
		}
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n < 0) {
			r->bad += errno != ENODEV;
			continue;
		}
		buf[n] = 0;
		if (sscanf(buf, "%lld%c", &v, &nl) != 2 || nl != '\n' ||
		    v < 0 || v > r->max)
			r->bad++;
		__atomic_add_fetch(&r->reads, 1, __ATOMIC_RELEASE);
	}
	return NULL;
}

/* The secondary's proc/<tgid>/context_<id>/ (the only one); false if none. */
static bool secondary_dir(char *dir, size_t len)
{
	DIR *d = opendir(own_dir);
	struct dirent *e;
	bool found = false;

	if (!d)
		return false;
	while ((e = readdir(d)))
		if (!strncmp(e->d_name, "context_", 8)) {
			snprintf(dir, len, "%s/%s", own_dir, e->d_name);
			found = true;
		}
	closedir(d);
	return found;
}

int main(void)
{
	char path[256], sec_path[512], sec_dir[400], buf[64] = "", want[32];
	struct q q[NQUEUES], sq;
	long long simd, waves_per_simd, per_cu, cus;
	int kfd, drm, sec, sec_drm, i;
	volatile uint32_t *flag;
	uint64_t code, flag_va;
	struct reader reader = { 0 };
	pthread_t thread;
	struct stat st;
	char bdf[64] = "";
	ssize_t n;
	bool ok;
	int fd;

	tap_plan(21);
	if (vkfd_gpus(&gpu, 1) != 1) {
		tap_ok(0, "a vkfd GPU");
		return tap_done();
	}
	snprintf(own_dir, sizeof(own_dir), KFD_PROC_SYSFS "/%d", getpid());
	snprintf(path, sizeof(path), "%s/stats_%u/cu_occupancy", own_dir,
		 gpu.gpu_id);
	simd = topo_prop(gpu.gpu_id, "simd_per_cu");
	waves_per_simd = topo_prop(gpu.gpu_id, "max_waves_per_simd");
	per_cu = simd * waves_per_simd;
	tap_ok(simd > 0 && waves_per_simd > 0,
	       "topology: simd_per_cu %lld, max_waves_per_simd %lld", simd,
	       waves_per_simd);
	if (per_cu <= 0)
		return tap_done();

	kfd = kfd_open();
	drm = open_render_node(&gpu);
	tap_zero(kfd < 0 || drm < 0 || acquire_vm(kfd, drm, gpu.gpu_id),
		 "the process is bound to GPU %u", gpu.gpu_id);
	tap_ok(stat(path, &st) == 0 && (st.st_mode & 0777) == 0444,
	       "stats_%u/cu_occupancy is there, mode 0444", gpu.gpu_id);
	ok = reads(path, "0\n", buf, sizeof(buf));
	tap_ok(ok,
	       "it reads 0 before any queue (\"%s\")", shown(buf));

	for (i = 0; i < NQUEUES; i++)
		if (queue_open(&gpu, &q[i], kfd, drm, QUEUE_VA(i),
			       KFD_IOC_QUEUE_TYPE_COMPUTE))
			break;
	if (!tap_ok(i == NQUEUES, "%d compute queues", NQUEUES))
		return tap_done();
	ok = reads(path, "0\n", buf, sizeof(buf));
	tap_ok(ok,
	       "with queues and no dispatch: 0 (\"%s\")", shown(buf));

	/* a secondary with a queue of its own on the GPU, and no waves */
	sec = kfd_open();
	tap_ok(sec >= 0 && ioctl(sec, AMDKFD_IOC_CREATE_PROCESS) == 0,
	       "a secondary (CREATE_PROCESS)");
	sec_drm = open_render_node(&gpu);
	tap_zero(sec_drm < 0 || acquire_vm(sec, sec_drm, gpu.gpu_id) ||
		 queue_open(&gpu, &sq, sec, sec_drm, QUEUE_VA(NQUEUES),
			    KFD_IOC_QUEUE_TYPE_COMPUTE),
		 "the secondary is bound and has a compute queue");
	tap_ok(secondary_dir(sec_dir, sizeof(sec_dir)),
	       "proc/<pid>/context_<id>/ is there (%s)", sec_dir);
	snprintf(sec_path, sizeof(sec_path), "%s/stats_%u/cu_occupancy",
		 sec_dir, gpu.gpu_id);
	ok = stat(sec_path, &st) == 0 && (st.st_mode & 0777) == 0444 &&
	     reads(sec_path, "0\n", buf, sizeof(buf));
	tap_ok(ok,
	       "the secondary's cu_occupancy is there and reads 0 (\"%s\")",
	       shown(buf));

	code = data_va(&q[0], CODE_OFF);
	flag_va = data_va(&q[0], FLAG_OFF);
	flag = (volatile uint32_t *)(q[0].data + FLAG_OFF);
	*flag = 0;
	memcpy((void *)(q[0].data + CODE_OFF), spin_code, sizeof(spin_code));
	__atomic_thread_fence(__ATOMIC_SEQ_CST);

	dispatch_spin(&q[0], code, flag_va);
	cus = (WG_WAVES + per_cu - 1) / per_cu;
	snprintf(want, sizeof(want), "%lld\n", cus);
	tap_ok(reads(path, want, buf, sizeof(buf)),
	       "one queue spinning, %d waves: %lld (\"%s\")", WG_WAVES, cus,
	       shown(buf));
	for (i = 1; i < NQUEUES; i++)
		dispatch_spin(&q[i], code, flag_va);
	cus = (NQUEUES * WG_WAVES + per_cu - 1) / per_cu;
	snprintf(want, sizeof(want), "%lld\n", cus);
	tap_ok(reads(path, want, buf, sizeof(buf)),
	       "%d queues spinning, %d waves: %lld (\"%s\")", NQUEUES,
	       NQUEUES * WG_WAVES, cus, shown(buf));
	ok = reads(sec_path, "0\n", buf, sizeof(buf));
	tap_ok(ok,
	       "meanwhile the secondary reads 0 (\"%s\")", shown(buf));

	*flag = 1;
	for (i = 0; i < NQUEUES; i++)
		if (!queue_wait_consumed(&q[i]))
			break;
	tap_ok(i == NQUEUES, "the kernels ended when the flag was set");
	ok = reads(path, "0\n", buf, sizeof(buf));
	tap_ok(ok,
	       "after they ended: 0 (\"%s\")", shown(buf));

	queue_close(&sq);
	close(sec_drm);
	close(sec);

	/*
	 * The GPU leaves (unbind) while the kernels spin again and a thread
	 * reads the file: every read gives a count the waves can make or
	 * ENODEV, the file goes with the GPU's other entries, one held open
	 * reads ENODEV.
	 */
	*flag = 0;
	for (i = 0; i < NQUEUES; i++)
		dispatch_spin(&q[i], code, flag_va);
	ok = reads(path, want, buf, sizeof(buf));
	tap_ok(ok, "spinning again on %d queues: %lld (\"%s\")", NQUEUES,
	       cus, shown(buf));
	fd = open(path, O_RDONLY);
	reader.path = path;
	reader.max = cus;
	ok = fd >= 0 && bdf_of_gpu(gpu.gpu_id, bdf, sizeof(bdf)) &&
	     !pthread_create(&thread, NULL, reader_main, &reader);
	if (ok) {
		while (!__atomic_load_n(&reader.reads, __ATOMIC_ACQUIRE))
			usleep(1000);
		ok = write_file(PCI_DRIVER "/unbind", bdf);
		usleep(20000);
		__atomic_store_n(&reader.stop, true, __ATOMIC_RELEASE);
		pthread_join(thread, NULL);
	}
	tap_ok(ok, "GPU %s unbound under the spinning kernels and a reader",
	       bdf);
	tap_ok(reader.reads > 0 && !reader.bad,
	       "the reader's %d reads: counts of 0..%lld or ENODEV, %d other",
	       reader.reads, cus, reader.bad);
	errno = 0;
	n = ok ? pread(fd, buf, sizeof(buf) - 1, 0) : 0;
	tap_ok(n == -1 && errno == ENODEV,
	       "the file held open reads ENODEV (%zd, %s)", n,
	       strerror(errno));
	tap_ok(!path_exists("%s", path), "stats_%u/cu_occupancy is gone",
	       gpu.gpu_id);
	tap_ok(ok && write_file(PCI_DRIVER "/bind", bdf),
	       "GPU %s bound again", bdf);
	if (fd >= 0)
		close(fd);
	/* the queues went with the GPU: only the CPU mappings are left */
	for (i = 0; i < NQUEUES; i++)
		queue_close(&q[i]);
	close(drm);
	close(kfd);
	return tap_done();
}
