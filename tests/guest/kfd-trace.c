// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Guest test: the driver's tracepoints (guest/linux/vkfd_trace.h).  It
 * turns on events/vkfd in tracefs, walks one request end to end -- open,
 * ACQUIRE_VM, ALLOC, CREATE_QUEUE, CREATE_EVENT, a PM4 RELEASE_MEM rung
 * through the doorbell, WAIT_EVENTS -- plus one ioctl that fails, then
 * reads the trace back and checks each event's fields against what it
 * did.  The captured lines are printed as TAP comments, with the doorbell
 * marked through trace_marker, so that scripts/vkfd-trace-diagram can draw
 * the run from this test's output.  Prints TAP.
 */
#define _GNU_SOURCE
#include <errno.h>

#include "tap.h"
#include "kfd-queue-util.h"
#include "kfd-tracefs.h"

#define MAX_LINES	4096

static struct vkfd_gpu gpu;
static char *lines[MAX_LINES];
static int nlines;

static void keep_line(const char *line, void *arg)
{
	if (nlines < MAX_LINES)
		lines[nlines++] = strdup(line);
}

/* The value of "key=" in a line, or -1 if it has none. */
static long long field(const char *line, const char *key)
{
	char pat[64];
	const char *p;

	snprintf(pat, sizeof(pat), " %s=", key);
	p = strstr(line, pat);
	return p ? strtoll(p + strlen(pat), NULL, 0) : -1;
}

static bool has_name(const char *line, const char *name)
{
	char pat[64];

	snprintf(pat, sizeof(pat), " name=%s ", name);
	return strstr(line, pat);
}

/*
 * The first line at or after *from with event ev whose fields match;
 * key NULL matches any.  Returns its index, or -1.
 */
static int find(int from, const char *ev, const char *ioctl_name,
		const char *key, long long val)
{
	char pat[64];
	int i;

	snprintf(pat, sizeof(pat), " %s: ", ev);
	for (i = from; i < nlines; i++) {
		if (!strstr(lines[i], pat))
			continue;
		if (ioctl_name && !has_name(lines[i], ioctl_name))
			continue;
		if (key && field(lines[i], key) != val)
			continue;
		return i;
	}
	return -1;
}

/* The next line of event ev after i, whatever its fields. */
static int after(int i, const char *ev)
{
	return i < 0 ? -1 : find(i + 1, ev, NULL, NULL, 0);
}

static void check_request(int tgid, uint32_t event_id)
{
	int i, j, k, entries = 0, results = 0;
	long long seq;

	/* every ioctl of ours entered and returned, in pairs */
	for (i = 0; i < nlines; i++) {
		if (field(lines[i], "tgid") != tgid)
			continue;
		entries += !!strstr(lines[i], " vkfd_ioctl_entry: ");
		results += !!strstr(lines[i], " vkfd_ioctl_result: ");
	}
	tap_ok(entries >= 8 && entries == results,
	       "%d ioctl entries, %d results", entries, results);

	i = find(0, "vkfd_ioctl_entry", "GET_VERSION", "tgid", tgid);
	j = find(i < 0 ? 0 : i, "vkfd_ioctl_result", "GET_VERSION", "tgid",
		 tgid);
	tap_ok(i >= 0 && j > i && field(lines[i], "nr") ==
	       _IOC_NR(AMDKFD_IOC_GET_VERSION) && field(lines[i], "size") ==
	       sizeof(struct kfd_ioctl_get_version_args) &&
	       field(lines[j], "ret") == 0,
	       "GET_VERSION: entry with its number and size, result 0");

	i = find(0, "vkfd_ioctl_result", "SET_EVENT", "tgid", tgid);
	tap_ok(i >= 0 && field(lines[i], "ret") == -EINVAL,
	       "SET_EVENT of an unknown id: result -EINVAL");

	/* CREATE_QUEUE maps the queue through the scheduler ring */
	i = find(0, "vkfd_ioctl_entry", "CREATE_QUEUE", "tgid", tgid);
	j = after(i, "vkfd_sched_submit");
	seq = j < 0 ? -1 : field(lines[j], "seq");
	k = find(j < 0 ? 0 : j, "vkfd_sched_complete", NULL, "seq", seq);
	tap_ok(j > i && i >= 0 &&
	       field(lines[j], "opcode") == VKFD_CMD_MAP_QUEUE &&
	       field(lines[j], "gpu_id") == gpu.gpu_id,
	       "CREATE_QUEUE submits MAP_QUEUE to gpu 0x%x", gpu.gpu_id);
	tap_ok(k > j && field(lines[k], "status") == VKFD_ST_OK &&
	       field(lines[k], "ret") == 0 &&
	       field(lines[k], "opcode") == VKFD_CMD_MAP_QUEUE,
	       "its fence completes with seq %lld, status OK", seq);
	i = after(k, "vkfd_ioctl_result");
	tap_ok(i > k && has_name(lines[i], "CREATE_QUEUE") &&
	       field(lines[i], "ret") == 0,
	       "then CREATE_QUEUE returns 0");

	/* the doorbell, the IH entry, the event, the waiter */
	i = -1;
	for (j = 0; j < nlines; j++)
		if (strstr(lines[j], "vkfd-user: doorbell"))
			i = j;
	j = find(i < 0 ? 0 : i, "vkfd_ih_dispatch", NULL, "data", event_id);
	tap_ok(i >= 0 && j > i &&
	       field(lines[j], "source") == VKFD_IH_SRC_EOP &&
	       field(lines[j], "known") == 1 && field(lines[j], "seq") > 0 &&
	       field(lines[j], "gpu_id") == gpu.gpu_id,
	       "after the doorbell: an EOP IH entry with event %u dispatched",
	       event_id);
	k = find(j < 0 ? 0 : j, "vkfd_event_signal", NULL, "event_id",
		 event_id);
	tap_ok(k > j && field(lines[k], "tgid") == tgid &&
	       field(lines[k], "type") == KFD_IOC_EVENT_SIGNAL,
	       "then event %u (a signal event) of tgid %d is signalled",
	       event_id, tgid);
	i = find(0, "vkfd_ioctl_result", "WAIT_EVENTS", "tgid", tgid);
	tap_ok(i > k && field(lines[i], "ret") == 0,
	       "and WAIT_EVENTS returns 0 after it");
}

int main(void)
{
	struct kfd_ioctl_get_version_args v = { 0 };
	struct kfd_ioctl_create_event_args e = { 0 };
	struct kfd_ioctl_set_event_args bad = { .event_id = 4000 };
	struct kfd_ioctl_wait_events_args w = { 0 };
	struct kfd_event_data ed = { 0 };
	unsigned int ids[1], n = 0;
	uint64_t page_va = 0x700000000ULL, handle, off = 0, slot;
	uint64_t *page;
	struct q pm4;
	int kfd, drm, i;

	if (!tap_ok(vkfd_gpus(&gpu, 1) == 1, "a vkfd device"))
		return tap_done();
	if (!tap_ok(tracefs_find(), "tracefs has events/vkfd"))
		return tap_done();
	tap_ok(tracefs_start(), "the vkfd events are on (%s)", tracefs);

	kfd = kfd_open();
	drm = open_render_node(&gpu);
	ioctl(kfd, AMDKFD_IOC_GET_VERSION, &v);
	tap_errno(ioctl(kfd, AMDKFD_IOC_SET_EVENT, &bad), EINVAL,
		  "SET_EVENT of an unknown id fails");
	tap_zero(acquire_vm(kfd, drm, gpu.gpu_id), "ACQUIRE_VM");
	tap_zero(queue_open(&gpu, &pm4, kfd, drm, 0x300000000ULL,
			    KFD_IOC_QUEUE_TYPE_COMPUTE), "a PM4 queue");
	ids[0] = gpu.gpu_id;
	page = NULL;
	if (!alloc_bo(kfd, gpu.gpu_id, page_va, 32768, F_GTT | F_RW, &handle,
		      &off) && !map_bo(kfd, handle, ids, 1, true, &n))
		page = mmap(NULL, 32768, PROT_READ | PROT_WRITE, MAP_SHARED,
			    drm, off);
	if (!tap_ok(page && page != MAP_FAILED, "a GTT BO for the events page"))
		return tap_done();
	e.event_page_offset = handle;
	e.event_type = KFD_IOC_EVENT_SIGNAL;
	e.auto_reset = 1;
	tap_zero(ioctl(kfd, AMDKFD_IOC_CREATE_EVENT, &e), "CREATE_EVENT");

	/* RELEASE_MEM: write the event's slot, interrupt with its id */
	slot = page_va + 8 * e.event_id;
	{
		uint32_t rm[] = {
			VKFD_PM4_HDR(VKFD_PM4_OP_RELEASE_MEM, 7),
			VKFD_PM4_EVENT_EOP,
			VKFD_PM4_RM_DATA(VKFD_PM4_DATA_32) |
				VKFD_PM4_RM_INT_WRITE,
			(uint32_t)slot, slot >> 32, e.event_id, 0, e.event_id,
		};

		emit(&pm4, rm, 8);
	}
	tracefs_mark("doorbell queue %u wptr %llu", pm4.id,
		     (unsigned long long)pm4.wptr);
	kick(&pm4, pm4.wptr);
	ed.event_id = e.event_id;
	w.events_ptr = (uintptr_t)&ed;
	w.num_events = 1;
	w.timeout = 5000;
	tap_ok(ioctl(kfd, AMDKFD_IOC_WAIT_EVENTS, &w) == 0 &&
	       w.wait_result == KFD_IOC_WAIT_RESULT_COMPLETE,
	       "WAIT_EVENTS wakes on the GPU's interrupt");
	tracefs_stop();

	i = tracefs_lines(keep_line, NULL);
	tap_ok(i > 0 && i == nlines, "%d vkfd lines in the trace", i);
	for (i = 0; i < nlines; i++)
		printf("# %s\n", lines[i]);
	check_request(getpid(), e.event_id);
	queue_close(&pm4);
	close(drm);
	close(kfd);
	printf("1..%d\n", tap_count);
	return tap_done();
}
