/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Helpers shared by the guest test programs: /dev/kfd, sysfs and the
 * driver's debugfs view of the device contexts.
 */
#ifndef VKFD_KFD_UTIL_H
#define VKFD_KFD_UTIL_H

#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "uapi/linux/kfd_ioctl.h"

#define KFD_SYSFS		"/sys/devices/virtual/kfd/kfd"
#define KFD_PROC_SYSFS		KFD_SYSFS "/proc"
#define VKFD_DEBUGFS		"/sys/kernel/debug/vkfd"

static inline int kfd_open(void)
{
	return open("/dev/kfd", O_RDWR | O_CLOEXEC);
}

static inline bool path_exists(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

static inline bool path_exists(const char *fmt, ...)
{
	char path[256];
	struct stat st;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(path, sizeof(path), fmt, ap);
	va_end(ap);
	return stat(path, &st) == 0;
}

static inline double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * Sum of the device contexts over all vkfd devices, as the driver counts
 * them and as the devices report them.  Returns the number of devices.
 */
static inline int vkfd_contexts(int *driver, int *device)
{
	FILE *f = fopen(VKFD_DEBUGFS "/devices", "r");
	char line[512];
	int n = 0;

	*driver = *device = 0;
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		char *a = strstr(line, "driver_contexts ");
		char *b = strstr(line, "device_contexts ");

		if (!a || !b)
			continue;
		*driver += atoi(a + strlen("driver_contexts "));
		*device += atoi(b + strlen("device_contexts "));
		n++;
	}
	fclose(f);
	return n;
}

/* Number of kfd_processes the driver knows (lines of debugfs processes). */
static inline int vkfd_process_count(void)
{
	FILE *f = fopen(VKFD_DEBUGFS "/processes", "r");
	char line[512];
	int n = 0;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		n++;
	fclose(f);
	return n;
}

/*
 * Releases run in a workqueue after the last reference goes; wait up to
 * timeout_s for the device context count to reach want.
 */
static inline bool wait_contexts(int want, double timeout_s)
{
	double end = now_s() + timeout_s;
	int drv, dev;

	do {
		vkfd_contexts(&drv, &dev);
		if (drv == want && dev == want)
			return true;
		usleep(2000);
	} while (now_s() < end);
	return false;
}

static inline bool wait_path_gone(const char *path, double timeout_s)
{
	double end = now_s() + timeout_s;
	struct stat st;

	do {
		if (stat(path, &st))
			return true;
		usleep(2000);
	} while (now_s() < end);
	return false;
}

#endif /* VKFD_KFD_UTIL_H */
