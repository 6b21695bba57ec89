// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vkfd-demo: walk the kfd_process lifecycle through /dev/kfd and show
 * what the driver and the device do at each step.
 *
 * A child process does the walk so that the parent can show the state
 * after the child's address space (and with it its primary) is gone.
 * Run it under scripts/vkfd-vm with --trace 'vkfd_ctx_*' to see the
 * device's own trace of every context it maps and unmaps.  With --trace
 * it also records the driver's tracepoints (events/vkfd) during the walk
 * and prints them at the end, for scripts/vkfd-trace-diagram (as
 * scripts/demo.sh does).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "kfd-queue-util.h"
#include "kfd-tracefs.h"

static void show_file(const char *title, const char *path)
{
	char line[512];
	FILE *f = fopen(path, "r");

	printf("      %s:\n", title);
	if (!f) {
		printf("        (cannot read %s: %s)\n", path, strerror(errno));
		return;
	}
	while (fgets(line, sizeof(line), f))
		printf("        %s", line);
	fclose(f);
}

static void show_state(void)
{
	fflush(stdout);
	usleep(20000);	/* let the release work run, for a tidy picture */
	show_file("driver's kfd_processes", VKFD_DEBUGFS "/processes");
	show_file("device contexts (driver count / device register)",
		  VKFD_DEBUGFS "/devices");
	fflush(stdout);
}

static void show_sysfs(pid_t pid)
{
	char cmd[160];

	snprintf(cmd, sizeof(cmd),
		 "cd " KFD_PROC_SYSFS " && find %d | sort | sed 's/^/        proc\\//'",
		 pid);
	printf("      sysfs under %s:\n", KFD_PROC_SYSFS);
	fflush(stdout);
	if (system(cmd))
		printf("        (none)\n");
}

/* The GPU nodes of the KFD topology, as libhsakmt reads them. */
static void show_topology(void)
{
	static const char *const keys[] = {
		"gfx_target_version", "simd_count", "device_id",
		"drm_render_minor", "num_cp_queues", "num_sdma_engines",
	};
	char path[160], line[160], name[64];
	unsigned int node, i;

	printf("KFD topology (%s/topology):\n", KFD_SYSFS);
	for (node = 0;; node++) {
		unsigned long long gpu_id = 0;
		FILE *f;

		snprintf(path, sizeof(path),
			 KFD_SYSFS "/topology/nodes/%u/gpu_id", node);
		f = fopen(path, "r");
		if (!f)
			break;
		if (fscanf(f, "%llu", &gpu_id) != 1)
			gpu_id = 0;
		fclose(f);
		snprintf(path, sizeof(path),
			 KFD_SYSFS "/topology/nodes/%u/name", node);
		name[0] = 0;
		f = fopen(path, "r");
		if (f) {
			if (!fgets(name, sizeof(name), f))
				name[0] = 0;
			name[strcspn(name, "\n")] = 0;
			fclose(f);
		}
		printf("  node %u: %s gpu_id %llu", node,
		       gpu_id ? name : "CPU", gpu_id);
		snprintf(path, sizeof(path),
			 KFD_SYSFS "/topology/nodes/%u/properties", node);
		f = fopen(path, "r");
		while (gpu_id && f && fgets(line, sizeof(line), f)) {
			char key[64];
			unsigned long long v;

			if (sscanf(line, "%63s %llu", key, &v) != 2)
				continue;
			for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
				if (!strcmp(key, keys[i]))
					printf(" %s %llu", key, v);
		}
		if (f)
			fclose(f);
		printf("\n");
	}
}

static int step;

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	va_list ap;

	printf("\n[%d] ", ++step);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

/*
 * Queues on the kfd_process behind kfd, bound with the render file drm
 * (buffer objects are CPU-mapped through that file); results are read
 * back from memory.
 */
static int submit_packets(const struct vkfd_gpu *gpu, int kfd, int drm)
{
	struct q pm4, sdma;
	uint64_t src, dst;

	if (queue_open(gpu, &pm4, kfd, drm, 0x300000000ULL,
		       KFD_IOC_QUEUE_TYPE_COMPUTE) ||
	    queue_open(gpu, &sdma, kfd, drm, 0x400000000ULL,
		       KFD_IOC_QUEUE_TYPE_SDMA)) {
		perror("queues");
		return -1;
	}
	{
		uint64_t t = data_va(&pm4, 0), page_va = 0x700000000ULL, slot;
		uint32_t wd[] = {
			VKFD_PM4_HDR(VKFD_PM4_OP_WRITE_DATA, 4), VKFD_PM4_WD_MEM,
			(uint32_t)t, t >> 32, 0xc0ffee,
		};
		struct kfd_ioctl_create_event_args ev = {
			.event_type = KFD_IOC_EVENT_SIGNAL, .auto_reset = 1,
		};
		struct kfd_event_data wait = { 0 };
		struct kfd_ioctl_wait_events_args w = {
			.events_ptr = (uintptr_t)&wait, .num_events = 1,
			.timeout = 5000,
		};
		unsigned int ids[1] = { gpu->gpu_id }, n = 0;
		uint64_t page_handle;

		/* the events page: GPU memory the GPU writes signal slots into */
		if (alloc_bo(kfd, gpu->gpu_id, page_va, 32768, F_GTT | F_RW,
			     &page_handle, NULL) ||
		    map_bo(kfd, page_handle, ids, 1, true, &n))
			return -1;
		ev.event_page_offset = page_handle;
		if (ioctl(kfd, AMDKFD_IOC_CREATE_EVENT, &ev))
			return -1;
		wait.event_id = ev.event_id;
		slot = page_va + 8 * ev.event_slot_index;
		{
			uint32_t rm[] = {
				VKFD_PM4_HDR(VKFD_PM4_OP_RELEASE_MEM, 7),
				VKFD_PM4_EVENT_EOP,
				VKFD_PM4_RM_DATA(VKFD_PM4_DATA_32) |
					VKFD_PM4_RM_INT_WRITE,
				(uint32_t)slot, slot >> 32, ev.event_id, 0,
				ev.event_id,
			};

			emit(&pm4, wd, 5);
			emit(&pm4, rm, 8);
		}
		tracefs_mark("doorbell PM4 queue %u wptr %llu", pm4.id,
			     (unsigned long long)pm4.wptr);
		kick(&pm4, pm4.wptr);
		/* sleep in WAIT_EVENTS until the RELEASE_MEM interrupt */
		ioctl(kfd, AMDKFD_IOC_WAIT_EVENTS, &w);
		printf("      PM4 WRITE_DATA 0xc0ffee + RELEASE_MEM with an "
		       "interrupt, then WAIT_EVENTS on event %u: %s (memory "
		       "reads 0x%x, rptr %llu dwords)\n", ev.event_id,
		       w.wait_result == KFD_IOC_WAIT_RESULT_COMPLETE ?
		       "woken by the GPU's interrupt" : "NOT WOKEN",
		       *(volatile uint32_t *)pm4.data,
		       (unsigned long long)pm4.ptrs[0]);
	}
	src = data_va(&sdma, 0x1000);
	dst = data_va(&sdma, 0x2000);
	memcpy((void *)(sdma.data + 0x1000), "hello from the SDMA engine", 27);
	{
		uint32_t copy[] = {
			VKFD_SDMA_HEADER(VKFD_SDMA_OP_COPY, 0), 32 - 1, 0,
			(uint32_t)src, src >> 32, (uint32_t)dst, dst >> 32,
		};
		uint64_t f = data_va(&sdma, 0x40);
		uint32_t fence[] = { VKFD_SDMA_HEADER(VKFD_SDMA_OP_FENCE, 0),
				     (uint32_t)f, f >> 32, 1 };

		emit(&sdma, copy, 7);
		emit(&sdma, fence, 4);
		tracefs_mark("doorbell SDMA queue %u wptr %llu", sdma.id,
			     (unsigned long long)sdma.wptr);
		kick(&sdma, sdma.wptr);
		printf("      SDMA COPY_LINEAR + FENCE: %s; destination reads "
		       "\"%s\"\n",
		       wait_u32(sdma.data + 0x40, 1) ? "done" : "TIMED OUT",
		       (const char *)(sdma.data + 0x2000));
	}
	queue_close(&pm4);
	queue_close(&sdma);
	return 0;
}

static int walk(void)
{
	struct kfd_ioctl_get_version_args v = { 0 };
	struct vkfd_gpu gpu;
	pid_t me = getpid();
	int fd1, fd2, drm2, ret;

	say("pid %d opens /dev/kfd: the driver creates the primary "
	    "kfd_process of this address space (not yet bound to a GPU)", me);
	tracefs_mark("open /dev/kfd");
	fd1 = kfd_open();
	if (fd1 < 0) {
		perror("open /dev/kfd");
		return 1;
	}
	show_state();

	say("AMDKFD_IOC_ACQUIRE_VM with each GPU's render node: the process "
	    "adopts that GPU virtual address space and the driver maps a "
	    "device context for it through the scheduler ring");
	if (bind_all_gpus(fd1)) {
		perror("ACQUIRE_VM");
		return 1;
	}
	show_state();

	say("AMDKFD_IOC_GET_VERSION");
	if (ioctl(fd1, AMDKFD_IOC_GET_VERSION, &v)) {
		perror("GET_VERSION");
		return 1;
	}
	printf("      KFD ioctl interface %u.%u\n", v.major_version,
	       v.minor_version);

	say("a second open in the same process finds the same primary "
	    "(one more reference, no new context)");
	tracefs_mark("open /dev/kfd");
	fd2 = kfd_open();
	show_state();

	say("AMDKFD_IOC_CREATE_PROCESS on the second file, then ACQUIRE_VM: "
	    "it now holds a new secondary kfd_process with device contexts "
	    "of its own");
	ret = ioctl(fd2, AMDKFD_IOC_CREATE_PROCESS);
	printf("      -> %s\n", ret ? strerror(errno) : "ok");
	if (vkfd_gpus(&gpu, 1) != 1)
		return 1;
	drm2 = open_render_node(&gpu);
	if (!ret && acquire_vm(fd2, drm2, gpu.gpu_id))
		perror("ACQUIRE_VM");
	show_state();

	say("the secondary runs real packets: a PM4 compute queue and an SDMA "
	    "queue in its own GPU memory, doorbells in its own page of the "
	    "device's doorbell aperture");
	if (submit_packets(&gpu, fd2, drm2))
		return 1;
	show_sysfs(me);

	say("AMDKFD_IOC_CREATE_PROCESS again on the same file is refused: "
	    "a file owns one kfd_process");
	ret = ioctl(fd2, AMDKFD_IOC_CREATE_PROCESS);
	printf("      -> %s (errno %d)\n", ret ? strerror(errno) : "ok?!",
	       ret ? errno : 0);

	say("closing the secondary's file (and its mappings: they hold it "
	    "open) destroys the secondary: its queues are unmapped first, "
	    "then its memory and device contexts go");
	tracefs_mark("close the secondary's file");
	close(fd2);
	close(drm2);
	show_state();

	say("closing the primary's last file only drops a reference: the "
	    "primary lives until the address space goes");
	tracefs_mark("close the primary's file");
	close(fd1);
	show_state();

	say("pid %d exits", me);
	tracefs_mark("exit");
	return 0;
}

static void print_trace_line(const char *line, void *arg)
{
	printf("  %s\n", line);
}

int main(int argc, char **argv)
{
	bool trace = argc > 1 && !strcmp(argv[1], "--trace");
	pid_t pid;
	int status;

	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("vkfd demo: the kfd_process lifecycle through /dev/kfd\n\n");
	show_topology();
	show_state();
	if (trace && !tracefs_start())
		printf("(no events/vkfd in tracefs: no driver trace)\n");

	pid = fork();
	if (pid == 0)
		_exit(walk());
	waitpid(pid, &status, 0);
	if (trace && tracefs) {
		tracefs_stop();
		printf("\n[trace] the driver's tracepoints during the walk "
		       "(events/vkfd; scripts/vkfd-trace-diagram draws them):\n");
		tracefs_lines(print_trace_line, NULL);
	}

	printf("\n[end] pid %d has exited: its mm teardown ended the primary "
	       "and the device contexts went with it\n", pid);
	show_state();
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		printf("\ndemo FAILED\n");
		return 1;
	}
	printf("\ndemo done\n");
	return 0;
}
