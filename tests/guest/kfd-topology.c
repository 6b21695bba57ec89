// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Guest test: the KFD topology in sysfs, read the way libhsakmt reads it.
 *
 * Every file's format ("name value" lines, decimal), the key order of
 * amdkfd, counts against subfolders, the CPU node first, one GPU node per
 * vkfd device with the gpu_id, render minor and PCI location the driver
 * reports in debugfs, and the nodes renumbered when a device is unbound
 * and bound again.  The io_links' atomics flags are checked against the
 * PCI functions' config space as amdkfd derives them, and against what
 * the guest's layout gives (--gpu-atomics yes|no: whether the GPU's
 * AtomicOps reach the root complex).  Run inside the guest as root;
 * prints TAP.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <inttypes.h>

#include "tap.h"
#include "kfd-util.h"

#define TOPOLOGY	KFD_SYSFS "/topology"
#define NODES		TOPOLOGY "/nodes"
#define PCI_DRIVER	"/sys/bus/pci/drivers/vkfd"
#define MAX_KEYS	64
#define MAX_NODES	(VKFD_MAX_GPUS + 1)

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#endif
#define KEYS(x)		(x), (int)ARRAY_SIZE(x)

/* amdkfd's key order: every node, then GPU nodes only, then the last. */
static const char *const common_keys[] = {
	"cpu_cores_count", "simd_count", "mem_banks_count", "caches_count",
	"io_links_count", "p2p_links_count", "cpu_core_id_base",
	"simd_id_base", "max_waves_per_simd", "lds_size_in_kb",
	"gds_size_in_kb", "num_gws", "wave_front_size", "array_count",
	"simd_arrays_per_engine", "cu_per_simd_array", "simd_per_cu",
	"max_slots_scratch_cu", "gfx_target_version", "vendor_id",
	"device_id", "location_id", "domain", "drm_render_minor", "hive_id",
	"num_sdma_engines", "num_sdma_xgmi_engines",
	"num_sdma_queues_per_engine", "num_cp_queues",
};

static const char *const gpu_keys[] = {
	"max_engine_clk_fcompute", "local_mem_size", "fw_version",
	"capability", "capability2", "debug_prop", "sdma_fw_version",
	"unique_id", "num_xcc",
};

static const char *const last_keys[] = { "max_engine_clk_ccompute" };

static const char *const mem_keys[] = {
	"heap_type", "size_in_bytes", "flags", "width", "mem_clk_max",
};

static const char *const link_keys[] = {
	"type", "version_major", "version_minor", "node_from", "node_to",
	"weight", "min_latency", "max_latency", "min_bandwidth",
	"max_bandwidth", "recommended_transfer_size",
	"recommended_sdma_engine_id_mask", "flags",
};

static const char *const system_keys[] = {
	"platform_oem", "platform_id", "platform_rev",
};

/* io_link flags (amdkfd's CRAT_IOLINK_FLAGS_*) */
#define IOLINK_NO_ATOMICS	0xcULL	/* NO_ATOMICS_32_BIT | _64_BIT */

/* the PCI Express capability's fields the atomics flags come from */
#define PCI_CAP_ID_EXP		0x10
#define PCI_EXP_DEVCAP2		0x24
#define PCI_EXP_DEVCTL2		0x28
#define DEVCAP2_COMP32		0x080
#define DEVCAP2_COMP64		0x100
#define DEVCAP2_COMP128		0x200
#define DEVCTL2_ATOMIC_REQ	0x40

/* -1: not said, 0/1: the layout lets the GPU's AtomicOps through */
static int want_gpu_atomics = -1;

#define HSA_CAP_DOORBELL_TYPE(cap)	(((cap) >> 12) & 3)
#define HSA_CAP_SVMAPI_SUPPORTED	0x08000000ULL

/* What the driver names each GFX9 target (amdgpu's ASIC names). */
static const struct {
	unsigned long long version;
	const char *name;
} asic_names[] = {
	{ 90000, "vega10" }, { 90002, "raven" }, { 90004, "vega12" },
	{ 90006, "vega20" }, { 90008, "arcturus" }, { 90010, "aldebaran" },
	{ 90012, "renoir" },
};

/* A parsed properties file. */
struct props {
	int n;
	char key[MAX_KEYS][64];
	unsigned long long val[MAX_KEYS];
};

static char *path_of(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static char *path_of(const char *fmt, ...)
{
	static char bufs[4][512];
	static int next;
	char *p = bufs[next++ % 4];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(p, sizeof(bufs[0]), fmt, ap);
	va_end(ap);
	return p;
}

/* Read a whole sysfs file (at most a page, as libhsakmt does). */
static int read_file(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f)
		return -1;
	n = fread(buf, 1, size - 1, f);
	fclose(f);
	buf[n] = '\0';
	return (int)n;
}

/* A file holding one unsigned decimal and a newline, nothing else. */
static bool read_uint_file(const char *path, unsigned long long *val)
{
	char buf[64], *end;

	if (read_file(path, buf, sizeof(buf)) <= 1 || !isdigit(buf[0]))
		return false;
	errno = 0;
	*val = strtoull(buf, &end, 10);
	return !errno && !strcmp(end, "\n");
}

/*
 * Parse a properties file strictly: only lines "key value\n" with a
 * lower-case key and a decimal value, no key twice.  Also checks that
 * libhsakmt's "%s %llu\n" reading finds the same pairs.
 */
static bool read_props(const char *path, struct props *p, char *why,
		       size_t why_size)
{
	char buf[4096], *line, *save = NULL, *cursor;
	int n = read_file(path, buf, sizeof(buf)), i;
	char key[64];
	unsigned long long val;
	int used;

	p->n = 0;
	if (n <= 0) {
		snprintf(why, why_size, "cannot read %s", path);
		return false;
	}
	if (buf[n - 1] != '\n') {
		snprintf(why, why_size, "no newline at the end");
		return false;
	}
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *sp = strchr(line, ' ');
		char *c;

		if (!sp || sp == line || !sp[1] || p->n == MAX_KEYS) {
			snprintf(why, why_size, "bad line '%s'", line);
			return false;
		}
		for (c = line; c < sp; c++)
			if (!islower(*c) && !isdigit(*c) && *c != '_')
				break;
		if (c != sp || (size_t)(sp - line) >= sizeof(p->key[0])) {
			snprintf(why, why_size, "bad key in '%s'", line);
			return false;
		}
		for (c = sp + 1; *c; c++)
			if (!isdigit(*c))
				break;
		if (*c) {
			snprintf(why, why_size, "value not decimal in '%s'", line);
			return false;
		}
		memcpy(p->key[p->n], line, sp - line);
		p->key[p->n][sp - line] = '\0';
		for (i = 0; i < p->n; i++)
			if (!strcmp(p->key[i], p->key[p->n])) {
				snprintf(why, why_size, "key %s twice", p->key[i]);
				return false;
			}
		errno = 0;
		p->val[p->n] = strtoull(sp + 1, NULL, 10);
		if (errno) {
			snprintf(why, why_size, "value out of range in '%s'", line);
			return false;
		}
		p->n++;
	}

	/* libhsakmt's loop over the same text */
	read_file(path, buf, sizeof(buf));
	cursor = buf;
	for (i = 0; sscanf(cursor, "%63s %llu\n%n", key, &val, &used) == 2; i++) {
		if (i >= p->n || strcmp(key, p->key[i]) || val != p->val[i]) {
			snprintf(why, why_size, "\"%%s %%llu\" reads %s %llu", key, val);
			return false;
		}
		cursor += used;
	}
	if (i != p->n) {
		snprintf(why, why_size, "\"%%s %%llu\" reads %d of %d lines", i, p->n);
		return false;
	}
	return true;
}

static bool has_prop(const struct props *p, const char *key,
		     unsigned long long *val)
{
	int i;

	for (i = 0; i < p->n; i++)
		if (!strcmp(p->key[i], key)) {
			if (val)
				*val = p->val[i];
			return true;
		}
	return false;
}

/* A key libhsakmt needs: a missing one fails the test. */
static unsigned long long prop(const struct props *p, const char *key)
{
	unsigned long long val = 0;

	if (!has_prop(p, key, &val))
		tap_diag("  missing key %s", key);
	return val;
}

/* Are the keys exactly these lists, concatenated, in order? */
static bool keys_are(const struct props *p, const char *const *a, int na,
		     const char *const *b, int nb, const char *const *c, int nc)
{
	const char *const *lists[] = { a, b, c };
	int counts[] = { na, nb, nc };
	int l, i, k = 0;

	for (l = 0; l < 3; l++)
		for (i = 0; i < counts[l]; i++, k++)
			if (k >= p->n || strcmp(p->key[k], lists[l][i])) {
				tap_diag("  key %d is %s, wanted %s", k,
					 k < p->n ? p->key[k] : "(none)",
					 lists[l][i]);
				return false;
			}
	if (k != p->n)
		tap_diag("  %d keys, wanted %d", p->n, k);
	return k == p->n;
}

/* Subfolders of dir (none if it is missing, as libhsakmt counts them). */
static int subdirs(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (!d)
		return 0;
	while ((e = readdir(d)))
		n += e->d_type == DT_DIR && e->d_name[0] != '.';
	closedir(d);
	return n;
}

/* Are the subfolders of dir exactly 0..n-1? */
static bool numbered_0_to(const char *dir, int n)
{
	int i;

	if (subdirs(dir) != n)
		return false;
	for (i = 0; i < n; i++)
		if (!path_exists("%s/%d", dir, i))
			return false;
	return true;
}

/* Is the file read-only for everyone, as amdkfd's are? */
static bool mode_0444(const char *path)
{
	struct stat st;

	return !stat(path, &st) && S_ISREG(st.st_mode) &&
	       (st.st_mode & 07777) == 0444;
}

static void props_ok(const char *path, struct props *p, const char *what)
{
	char why[256] = "";

	if (!tap_ok(read_props(path, p, why, sizeof(why)) && mode_0444(path),
		    "%s: format", what))
		tap_diag("  %s: %s", path, why[0] ? why : "mode is not 0444");
}

/* --------------------------------------------------------------------- */

struct pci_fn {
	char bdf[32];
	unsigned long long domain, location, bar4_size;
};

/* The PCI functions bound to vkfd, keyed by their address. */
static bool pci_fn_of(const char *bdf, struct pci_fn *fn)
{
	unsigned int dom, bus, dev, func;
	unsigned long long start, end, flags;
	char buf[1024], *line;
	int i;

	if (sscanf(bdf, "%x:%x:%x.%x", &dom, &bus, &dev, &func) != 4)
		return false;
	snprintf(fn->bdf, sizeof(fn->bdf), "%s", bdf);
	fn->domain = dom;
	fn->location = bus << 8 | dev << 3 | func;
	if (read_file(path_of("/sys/bus/pci/devices/%s/resource", bdf), buf,
		      sizeof(buf)) <= 0)
		return false;
	line = buf;
	for (i = 0; i < 4 && line; i++) {
		line = strchr(line, '\n');
		if (line)
			line++;
	}
	if (!line || sscanf(line, "%llx %llx %llx", &start, &end, &flags) != 3)
		return false;
	fn->bar4_size = end - start + 1;
	return true;
}

static int vkfd_pci_fns(struct pci_fn *fns, int max)
{
	DIR *d = opendir(PCI_DRIVER);
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)) && n < max)
		if (isxdigit(e->d_name[0]) && strchr(e->d_name, ':') &&
		    pci_fn_of(e->d_name, &fns[n]))
			n++;
	closedir(d);
	return n;
}

static const char *asic_name(unsigned long long version)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(asic_names); i++)
		if (asic_names[i].version == version)
			return asic_names[i].name;
	return NULL;
}

/* --------------------------------------------------------------------- */

static void check_system(void)
{
	unsigned long long gen = 0;
	struct props p;
	bool ok;

	ok = read_uint_file(TOPOLOGY "/generation_id", &gen);

	tap_ok(ok && mode_0444(TOPOLOGY "/generation_id"),
	       "generation_id is one decimal line (%llu)", gen);
	props_ok(TOPOLOGY "/system_properties", &p, "system_properties");
	tap_ok(keys_are(&p, KEYS(system_keys), NULL, 0, NULL, 0),
	       "system_properties: platform_oem, platform_id, platform_rev");
}

static long meminfo_total_kb(void)
{
	char buf[4096], *m;

	if (read_file("/proc/meminfo", buf, sizeof(buf)) <= 0)
		return -1;
	m = strstr(buf, "MemTotal:");
	return m ? atol(m + strlen("MemTotal:")) : -1;
}

/* The parts every node has: counts against folders, the memory bank. */
static void check_node_common(int node, const struct props *p, bool gpu)
{
	char dir[128];
	unsigned long long banks = prop(p, "mem_banks_count");
	unsigned long long caches = prop(p, "caches_count");
	unsigned long long links = prop(p, "io_links_count");
	unsigned long long p2p = prop(p, "p2p_links_count");

	snprintf(dir, sizeof(dir), NODES "/%d", node);
	tap_ok(numbered_0_to(path_of("%s/mem_banks", dir), banks) &&
	       numbered_0_to(path_of("%s/caches", dir), caches) &&
	       numbered_0_to(path_of("%s/io_links", dir), links) &&
	       numbered_0_to(path_of("%s/p2p_links", dir), p2p),
	       "node %d: counts match folders (%llu banks, %llu caches, %llu io links, %llu p2p links)",
	       node, banks, caches, links, p2p);
	tap_ok(banks == 1, "node %d: one memory bank", node);
	tap_ok(path_exists("%s/mem_banks/0/used_memory", dir) == gpu,
	       "node %d: used_memory %s", node, gpu ? "present" : "absent");
}

static void check_links(int node, unsigned long long count)
{
	struct props lp;
	unsigned long long i;
	char what[64];

	for (i = 0; i < count; i++) {
		snprintf(what, sizeof(what), "node %d io_link %llu", node, i);
		props_ok(path_of(NODES "/%d/io_links/%llu/properties", node, i),
			 &lp, what);
		tap_ok(keys_are(&lp, KEYS(link_keys), NULL, 0, NULL, 0) &&
		       prop(&lp, "type") == 2 &&
		       prop(&lp, "node_from") == (unsigned long long)node &&
		       prop(&lp, "node_to") == (node ? 0 : i + 1) &&
		       prop(&lp, "weight") > 0 && (prop(&lp, "flags") & 1),
		       "%s: PCIe, %llu -> %llu, enabled", what,
		       prop(&lp, "node_from"), prop(&lp, "node_to"));
	}
}

static void check_cpu_node(int ngpu)
{
	long mem_kb = meminfo_total_kb();
	unsigned long long gpu_id, cores;
	char name[256];
	struct props p, mp;

	tap_ok(read_uint_file(NODES "/0/gpu_id", &gpu_id) && gpu_id == 0,
	       "node 0: gpu_id 0 (the CPU)");
	tap_ok(read_file(NODES "/0/name", name, sizeof(name)) > 0 &&
	       strchr(name, '\n') == name + strlen(name) - 1 &&
	       mode_0444(NODES "/0/name"), "node 0: name is one line");
	props_ok(NODES "/0/properties", &p, "node 0 properties");
	tap_ok(keys_are(&p, KEYS(common_keys), NULL, 0, KEYS(last_keys)),
	       "node 0: keys in amdkfd's order, no GPU keys");
	cores = prop(&p, "cpu_cores_count");
	tap_ok(cores > 0 && cores == (unsigned long long)sysconf(_SC_NPROCESSORS_ONLN),
	       "node 0: cpu_cores_count %llu is the online CPUs", cores);
	tap_ok(prop(&p, "simd_count") == 0, "node 0: simd_count 0");
	tap_ok(prop(&p, "io_links_count") == (unsigned long long)ngpu,
	       "node 0: one io link per GPU (%d)", ngpu);
	check_node_common(0, &p, false);

	props_ok(NODES "/0/mem_banks/0/properties", &mp, "node 0 bank 0");
	tap_ok(keys_are(&mp, KEYS(mem_keys), NULL, 0, NULL, 0) &&
	       prop(&mp, "heap_type") == 0,
	       "node 0 bank 0: SYSTEM heap");
	tap_ok(mem_kb > 0 && prop(&mp, "size_in_bytes") ==
	       (unsigned long long)mem_kb * 1024,
	       "node 0 bank 0: size %llu is MemTotal (%ld kB)",
	       prop(&mp, "size_in_bytes"), mem_kb);
	check_links(0, prop(&p, "io_links_count"));
}

/* Is the kernel's HMM there (hmm_range_fault: Debian's kernel has it)? */
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

static void check_gpu_node(int node, const struct vkfd_gpu *want,
			   const struct pci_fn *fns, int nfn)
{
	unsigned long long gpu_id = 0, used = 0, v, arrays, cap;
	const struct pci_fn *fn = NULL;
	const char *expect_name;
	char dir[128], name[64] = "", gfx[64];
	struct props p, mp;
	int i, len;
	bool ok;

	snprintf(dir, sizeof(dir), NODES "/%d", node);
	ok = read_uint_file(path_of("%s/gpu_id", dir), &gpu_id);
	tap_ok(ok && mode_0444(path_of("%s/gpu_id", dir)) &&
	       gpu_id == want->gpu_id,
	       "node %d: gpu_id %llu is debugfs' %u", node, gpu_id,
	       want->gpu_id);
	props_ok(path_of("%s/properties", dir), &p,
		 path_of("node %d properties", node));
	tap_ok(keys_are(&p, KEYS(common_keys), KEYS(gpu_keys), KEYS(last_keys)),
	       "node %d: keys in amdkfd's order", node);

	/* what makes libhsakmt take it for a usable dGPU */
	v = prop(&p, "gfx_target_version");
	tap_ok(v / 10000 >= 9 && v / 100 % 100 < 16 && v % 100 < 16,
	       "node %d: gfx_target_version %llu is a GFX9+ target", node, v);
	tap_ok(prop(&p, "cpu_cores_count") == 0 && prop(&p, "simd_count") > 0,
	       "node %d: a GPU (no CPU cores, %llu SIMDs)", node,
	       prop(&p, "simd_count"));
	tap_ok(prop(&p, "vendor_id") == 0x1002 && prop(&p, "device_id") > 0 &&
	       prop(&p, "device_id") <= 0xffff,
	       "node %d: AMD vendor id, device id 0x%llx", node,
	       prop(&p, "device_id"));
	v = prop(&p, "drm_render_minor");
	tap_ok(v == want->render_minor && v >= 128 && v <= 255 &&
	       path_exists("/dev/dri/renderD%llu", v),
	       "node %d: drm_render_minor %llu is debugfs' and /dev/dri/renderD%llu",
	       node, v, v);

	/* shape: the counts libhsakmt multiplies must agree */
	arrays = prop(&p, "array_count");
	tap_ok(arrays > 0 && prop(&p, "simd_arrays_per_engine") > 0 &&
	       arrays % prop(&p, "simd_arrays_per_engine") == 0 &&
	       prop(&p, "simd_per_cu") > 0 &&
	       prop(&p, "simd_count") == arrays * prop(&p, "cu_per_simd_array") *
					 prop(&p, "simd_per_cu"),
	       "node %d: simd_count %llu = %llu arrays x %llu CUs x %llu SIMDs",
	       node, prop(&p, "simd_count"), arrays,
	       prop(&p, "cu_per_simd_array"), prop(&p, "simd_per_cu"));
	tap_ok(prop(&p, "wave_front_size") == 64 &&
	       prop(&p, "lds_size_in_kb") == 64 &&
	       prop(&p, "max_waves_per_simd") > 0 && prop(&p, "num_xcc") == 1,
	       "node %d: wave 64, LDS 64 KiB, %llu waves per SIMD, one XCC",
	       node, prop(&p, "max_waves_per_simd"));
	tap_ok(prop(&p, "num_sdma_engines") > 0 &&
	       prop(&p, "num_sdma_queues_per_engine") > 0 &&
	       prop(&p, "num_cp_queues") > 0 &&
	       prop(&p, "num_sdma_xgmi_engines") == 0,
	       "node %d: %llu SDMA engines x %llu queues, %llu CP queues", node,
	       prop(&p, "num_sdma_engines"),
	       prop(&p, "num_sdma_queues_per_engine"),
	       prop(&p, "num_cp_queues"));
	tap_ok(prop(&p, "max_engine_clk_fcompute") > 0 &&
	       prop(&p, "local_mem_size") == 0 && prop(&p, "fw_version") > 0 &&
	       prop(&p, "hive_id") == 0,
	       "node %d: clock %llu MHz, local_mem_size 0, fw %llu, no hive",
	       node, prop(&p, "max_engine_clk_fcompute"),
	       prop(&p, "fw_version"));
	/* the SVM API where the driver can mirror ranges: the kernel's HMM */
	cap = prop(&p, "capability");
	tap_ok(HSA_CAP_DOORBELL_TYPE(cap) == 2 &&
	       !(cap & HSA_CAP_SVMAPI_SUPPORTED) == !kernel_has_hmm(),
	       "node %d: capability 0x%llx: doorbell type 2, SVM API %s", node,
	       cap, kernel_has_hmm() ? "set (HMM)" : "clear (no HMM)");

	/* the name: amdgpu's ASIC name, or the target's */
	v = prop(&p, "gfx_target_version");
	snprintf(gfx, sizeof(gfx), "gfx%llu%llx%llx", v / 10000,
		 v / 100 % 100, v % 100);
	expect_name = asic_name(v) ? asic_name(v) : gfx;
	len = read_file(path_of("%s/name", dir), name, sizeof(name));
	tap_ok(len > 1 && name[len - 1] == '\n' &&
	       !strncmp(name, expect_name, len - 1) &&
	       strlen(expect_name) == (size_t)len - 1 &&
	       mode_0444(path_of("%s/name", dir)),
	       "node %d: name '%.*s' for %s", node, len > 0 ? len - 1 : 0,
	       name, gfx);

	/* the PCI function behind it */
	for (i = 0; i < nfn; i++)
		if (fns[i].location == prop(&p, "location_id") &&
		    fns[i].domain == prop(&p, "domain"))
			fn = &fns[i];
	tap_ok(fn != NULL, "node %d: location_id %llu, domain %llu: %s", node,
	       prop(&p, "location_id"), prop(&p, "domain"),
	       fn ? fn->bdf : "no vkfd PCI function there");

	check_node_common(node, &p, true);
	props_ok(path_of("%s/mem_banks/0/properties", dir), &mp,
		 path_of("node %d bank 0", node));
	tap_ok(keys_are(&mp, KEYS(mem_keys), NULL, 0, NULL, 0) &&
	       prop(&mp, "heap_type") == 1 && prop(&mp, "size_in_bytes") > 0 &&
	       fn && prop(&mp, "size_in_bytes") == fn->bar4_size,
	       "node %d bank 0: FB_PUBLIC, %llu bytes = the VRAM BAR", node,
	       prop(&mp, "size_in_bytes"));
	ok = read_uint_file(path_of("%s/mem_banks/0/used_memory", dir), &used);
	tap_ok(ok && mode_0444(path_of("%s/mem_banks/0/used_memory", dir)),
	       "node %d bank 0: used_memory %llu", node, used);
	tap_ok(prop(&p, "io_links_count") == 1, "node %d: one io link", node);
	check_links(node, prop(&p, "io_links_count"));
}

/*
 * DevCap2 and DevCtl2 of a PCI function, from its config space; false
 * with both 0 when it has no PCI Express capability (a conventional PCI
 * function: no AtomicOps either way).
 */
static bool pcie_devcap2(const char *bdf, uint32_t *devcap2, uint16_t *devctl2)
{
	unsigned char cfg[256];
	FILE *f = fopen(path_of("/sys/bus/pci/devices/%s/config", bdf), "r");
	size_t n = f ? fread(cfg, 1, sizeof(cfg), f) : 0;
	unsigned int pos, hops;

	if (f)
		fclose(f);
	*devcap2 = 0;
	*devctl2 = 0;
	if (n < sizeof(cfg) || !(cfg[6] & 0x10))	/* status: caps list */
		return false;
	for (pos = cfg[0x34] & 0xfc, hops = 0; pos >= 0x40 && hops < 48;
	     pos = cfg[pos + 1] & 0xfc, hops++) {
		if (cfg[pos] != PCI_CAP_ID_EXP)
			continue;
		if (pos + PCI_EXP_DEVCTL2 + 2 > sizeof(cfg))
			return false;
		memcpy(devcap2, &cfg[pos + PCI_EXP_DEVCAP2], sizeof(*devcap2));
		memcpy(devctl2, &cfg[pos + PCI_EXP_DEVCTL2], sizeof(*devctl2));
		return true;
	}
	return false;
}

static unsigned long long link_flags(int node, int link)
{
	struct props lp;
	char why[256] = "";

	if (!read_props(path_of(NODES "/%d/io_links/%d/properties", node, link),
			&lp, why, sizeof(why)))
		return ~0ULL;
	return prop(&lp, "flags");
}

/*
 * PCIe atomics, as amdkfd sets the link flags: the GPU -> CPU link has
 * them when the driver's pci_enable_atomic_ops_to_root() succeeded (it
 * then sets AtomicOp Requester Enable), the CPU -> GPU link when the
 * GPU completes 32- or 64-bit AtomicOps (its DevCap2).  NO_ATOMICS_32
 * and _64 always go together.
 */
static void check_link_atomics(int ngpu, const struct pci_fn *fns, int nfn)
{
	unsigned long long up, down, loc, dom;
	const struct pci_fn *fn;
	uint32_t cap;
	uint16_t ctl;
	bool pcie, completer, requester;
	struct props p;
	char why[256];
	int node, i;

	for (node = 1; node <= ngpu; node++) {
		if (!read_props(path_of(NODES "/%d/properties", node), &p, why,
				sizeof(why)))
			continue;
		loc = prop(&p, "location_id");
		dom = prop(&p, "domain");
		fn = NULL;
		for (i = 0; i < nfn; i++)
			if (fns[i].location == loc && fns[i].domain == dom)
				fn = &fns[i];
		if (!tap_ok(fn != NULL, "node %d: its PCI function for atomics",
			    node))
			continue;
		pcie = pcie_devcap2(fn->bdf, &cap, &ctl);
		completer = cap & (DEVCAP2_COMP32 | DEVCAP2_COMP64);
		requester = ctl & DEVCTL2_ATOMIC_REQ;
		if (pcie)
			tap_ok((cap & (DEVCAP2_COMP32 | DEVCAP2_COMP64)) ==
			       (DEVCAP2_COMP32 | DEVCAP2_COMP64) &&
			       !(cap & DEVCAP2_COMP128),
			       "%s: DevCap2 0x%08x: completes 32/64-bit AtomicOps, no 128-bit CAS",
			       fn->bdf, cap);
		else
			tap_diag("%s: conventional PCI, no PCIe capability",
				 fn->bdf);
		up = link_flags(node, 0);
		down = link_flags(0, node - 1);
		tap_ok(up != ~0ULL &&
		       (up & IOLINK_NO_ATOMICS) == (requester ? 0 : IOLINK_NO_ATOMICS),
		       "node %d -> 0: flags %llu, atomics %s as AtomicOp Requester Enable is %s",
		       node, up, requester ? "on" : "off",
		       requester ? "set" : "clear");
		if (want_gpu_atomics >= 0)
			tap_ok(up != ~0ULL && requester == want_gpu_atomics &&
			       (up & IOLINK_NO_ATOMICS) ==
			       (want_gpu_atomics ? 0 : IOLINK_NO_ATOMICS),
			       "node %d -> 0: atomics %s, as this layout gives",
			       node, want_gpu_atomics ? "on" : "off");
		tap_ok(down != ~0ULL &&
		       (down & IOLINK_NO_ATOMICS) ==
		       (completer ? 0 : IOLINK_NO_ATOMICS),
		       "node 0 -> %d: flags %llu, atomics %s as the GPU's DevCap2",
		       node, down, completer ? "on" : "off");
	}
}

/* Every node, against the devices debugfs lists (in probe order). */
static int check_topology(const char *when)
{
	struct vkfd_gpu gpus[VKFD_MAX_GPUS];
	struct pci_fn fns[VKFD_MAX_GPUS];
	int ngpu = vkfd_gpus(gpus, VKFD_MAX_GPUS);
	int nfn = vkfd_pci_fns(fns, VKFD_MAX_GPUS);
	int i, j, nodes = subdirs(NODES);
	bool distinct = true;

	tap_diag("%s: %d GPUs in debugfs, %d nodes", when, ngpu, nodes);
	tap_ok(ngpu >= 1 && nfn == ngpu, "%s: %d vkfd devices (%d PCI functions)",
	       when, ngpu, nfn);
	tap_ok(numbered_0_to(NODES, ngpu + 1),
	       "%s: nodes 0..%d, CPU first then one per GPU", when, ngpu);
	for (i = 0; i < ngpu; i++)
		for (j = 0; j < i; j++)
			distinct &= gpus[i].gpu_id != gpus[j].gpu_id;
	tap_ok(distinct, "%s: gpu_ids distinct", when);

	check_system();
	check_cpu_node(ngpu);
	for (i = 0; i < ngpu && i + 1 < MAX_NODES; i++)
		check_gpu_node(i + 1, &gpus[i], fns, nfn);
	check_link_atomics(ngpu < MAX_NODES ? ngpu : MAX_NODES - 1, fns, nfn);
	return ngpu;
}

/*
 * Unbind the first GPU: the others move down one node, the generation
 * moves on.  Bind it again: it comes back last, with the same gpu_id.
 */
static void check_unbind_bind(int ngpu)
{
	struct vkfd_gpu before[VKFD_MAX_GPUS], after[VKFD_MAX_GPUS];
	unsigned long long gen0 = 0, gen1 = 0, gen2 = 0, id;
	char bdf[64];
	int i, n;

	vkfd_gpus(before, VKFD_MAX_GPUS);
	read_uint_file(TOPOLOGY "/generation_id", &gen0);
	if (!tap_ok(bdf_of_gpu(before[0].gpu_id, bdf, sizeof(bdf)) &&
		    write_file(PCI_DRIVER "/unbind", bdf),
		    "unbind %s (gpu_id %u)", bdf, before[0].gpu_id))
		return;

	n = vkfd_gpus(after, VKFD_MAX_GPUS);
	read_uint_file(TOPOLOGY "/generation_id", &gen1);
	tap_ok(n == ngpu - 1 && numbered_0_to(NODES, ngpu),
	       "unbound: %d GPU nodes left, numbered from 1", n);
	tap_ok(gen1 == gen0 + 1, "unbound: generation_id %llu -> %llu", gen0,
	       gen1);
	for (i = 1; i < ngpu; i++)
		tap_ok(read_uint_file(path_of(NODES "/%d/gpu_id", i), &id) &&
		       id == before[i].gpu_id,
		       "unbound: node %d is gpu_id %u, once node %d", i,
		       before[i].gpu_id, i + 1);
	if (ngpu > 1)
		check_topology("after unbind");
	else
		tap_ok(subdirs(NODES) == 1 && path_exists(NODES "/0/properties"),
		       "unbound: the CPU node stays");

	tap_ok(write_file(PCI_DRIVER "/bind", bdf), "bind %s again", bdf);
	n = vkfd_gpus(after, VKFD_MAX_GPUS);
	read_uint_file(TOPOLOGY "/generation_id", &gen2);
	tap_ok(n == ngpu && after[ngpu - 1].gpu_id == before[0].gpu_id,
	       "bound: gpu_id %u is back, now the last GPU", before[0].gpu_id);
	tap_ok(gen2 == gen1 + 1, "bound: generation_id %llu -> %llu", gen1,
	       gen2);
	check_topology("after bind");
}

int main(int argc, char **argv)
{
	int ngpu;

	if (argc == 3 && !strcmp(argv[1], "--gpu-atomics") &&
	    (!strcmp(argv[2], "yes") || !strcmp(argv[2], "no"))) {
		want_gpu_atomics = !strcmp(argv[2], "yes");
	} else if (argc != 1) {
		fprintf(stderr, "usage: %s [--gpu-atomics yes|no]\n", argv[0]);
		return 2;
	}

	if (!tap_ok(path_exists(TOPOLOGY) && path_exists(NODES),
		    "%s exists", TOPOLOGY))
		return tap_done();
	ngpu = check_topology("at start");
	if (ngpu >= 1)
		check_unbind_bind(ngpu);
	tap_plan(tap_count);
	return tap_done();
}
