/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The driver's tracepoints (events/vkfd, guest/linux/vkfd_trace.h) from
 * a guest program: find tracefs, switch the events on, mark user-space
 * steps (trace_marker), and read the vkfd lines back.  Used by the guest
 * test kfd-trace and by the demo; scripts/vkfd-trace-diagram draws what
 * they print.
 */
#ifndef VKFD_KFD_TRACEFS_H
#define VKFD_KFD_TRACEFS_H

#include <sys/mount.h>

#include "kfd-util.h"

static const char *tracefs;

static inline bool tracefs_write(const char *file, const char *text)
{
	char path[256];

	if (!tracefs)
		return false;
	snprintf(path, sizeof(path), "%s/%s", tracefs, file);
	return write_file(path, text);
}

/* Where tracefs shows events/vkfd; mounts it if nobody has. */
static inline bool tracefs_find(void)
{
	static const char *const dirs[] = {
		"/sys/kernel/tracing", "/sys/kernel/debug/tracing",
	};
	unsigned int i;

	for (i = 0; i < 2; i++) {
		if (path_exists("%s/events/vkfd", dirs[i])) {
			tracefs = dirs[i];
			return true;
		}
	}
	/* The runner mounts debugfs only; tracefs has its own place. */
	mount("tracefs", dirs[0], "tracefs", 0, NULL);
	if (path_exists("%s/events/vkfd", dirs[0])) {
		tracefs = dirs[0];
		return true;
	}
	return false;
}

/* An empty trace with only the vkfd events on. */
static inline bool tracefs_start(void)
{
	return tracefs_find() && tracefs_write("tracing_on", "0") &&
	       tracefs_write("trace", "") &&
	       tracefs_write("events/vkfd/enable", "1") &&
	       tracefs_write("tracing_on", "1");
}

static inline void tracefs_stop(void)
{
	tracefs_write("tracing_on", "0");
	tracefs_write("events/vkfd/enable", "0");
}

/* A user-space step in the trace: "vkfd-user: <text>". */
static inline void tracefs_mark(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));
static inline void tracefs_mark(const char *fmt, ...)
{
	char msg[200];
	int n = snprintf(msg, sizeof(msg), "vkfd-user: ");
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg + n, sizeof(msg) - n, fmt, ap);
	va_end(ap);
	tracefs_write("trace_marker", msg);
}

/*
 * Call fn for each vkfd line of the trace (its events and our marks),
 * without the newline; returns how many, or -1.
 */
static inline int tracefs_lines(void (*fn)(const char *line, void *arg),
				void *arg)
{
	char path[256], buf[512];
	int n = 0;
	FILE *f;

	if (!tracefs)
		return -1;
	snprintf(path, sizeof(path), "%s/trace", tracefs);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(buf, sizeof(buf), f)) {
		if (buf[0] == '#' || (!strstr(buf, " vkfd_") &&
				      !strstr(buf, "vkfd-user:")))
			continue;
		buf[strcspn(buf, "\n")] = 0;
		fn(buf, arg);
		n++;
	}
	fclose(f);
	return n;
}

#endif
