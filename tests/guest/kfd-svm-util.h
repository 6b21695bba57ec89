/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Helpers for guest programs that call AMDKFD_IOC_SVM by hand, and read
 * a process's per-GPU sysfs numbers (amdkfd's stats_<gpu_id>/ and
 * counters_<gpu_id>/).
 */
#ifndef VKFD_KFD_SVM_UTIL_H
#define VKFD_KFD_SVM_UTIL_H

#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "kfd-util.h"

/* The ioctl's argument with room for attributes of every GPU. */
struct svm_buf {
	struct kfd_ioctl_svm_args a;
	struct kfd_ioctl_svm_attribute attrs[4 + VKFD_MAX_GPUS];
};

/*
 * SET_ATTR or GET_ATTR over [start, start + size) with b's first nattr
 * attributes; as libhsakmt, the ioctl's size covers the attributes.
 */
static inline int svm_call(int kfd, uint32_t op, const void *start,
			   uint64_t size, struct svm_buf *b, uint32_t nattr)
{
	b->a.start_addr = (uintptr_t)start;
	b->a.size = size;
	b->a.op = op;
	b->a.nattr = nattr;
	return ioctl(kfd, (AMDKFD_IOC_SVM &
			   ~(_IOC_SIZEMASK << _IOC_SIZESHIFT)) |
			  (sizeof(b->a) + nattr * sizeof(b->attrs[0]))
			  << _IOC_SIZESHIFT, b);
}

static inline int svm_set1(int kfd, const void *start, uint64_t size,
			   uint32_t type, uint32_t value)
{
	struct svm_buf b = { .attrs[0] = { type, value } };

	return svm_call(kfd, KFD_IOCTL_SVM_OP_SET_ATTR, start, size, &b, 1);
}

static inline int svm_set2(int kfd, const void *start, uint64_t size,
			   uint32_t t0, uint32_t v0, uint32_t t1, uint32_t v1)
{
	struct svm_buf b = { .attrs = { { t0, v0 }, { t1, v1 } } };

	return svm_call(kfd, KFD_IOCTL_SVM_OP_SET_ATTR, start, size, &b, 2);
}

/*
 * The number in sysfs proc/<tgid>/<dir>_<gpu_id>/<name> of this process
 * (stats_/evicted_ms, counters_/page_in, ...); -1 if it is not there.
 */
static inline long long proc_gpu_number(unsigned int gpu_id,
					const char *dir, const char *name)
{
	long long n = -1;
	char path[160];
	FILE *f;

	snprintf(path, sizeof(path), KFD_PROC_SYSFS "/%d/%s_%u/%s",
		 (int)getpid(), dir, gpu_id, name);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (fscanf(f, "%lld", &n) != 1)
		n = -1;
	fclose(f);
	return n;
}

/*
 * An SMI event reader of gpu_id (AMDKFD_IOC_SMI_EVENTS) that takes the
 * events of mask (KFD_SMI_EVENT_MASK_FROM_INDEX bits); -1 on failure.
 */
static inline int smi_open_mask(int kfd, uint32_t gpu_id, uint64_t mask)
{
	struct kfd_ioctl_smi_events_args a = { .gpuid = gpu_id };
	int fd;

	if (ioctl(kfd, AMDKFD_IOC_SMI_EVENTS, &a))
		return -1;
	fd = (int)a.anon_fd;
	if (write(fd, &mask, sizeof(mask)) != sizeof(mask)) {
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * The first line of SMI text buf for event (its "<event in hex> "
 * prefix at a line start), or NULL.
 */
static inline const char *smi_line(const char *buf, unsigned int event)
{
	char prefix[8];
	size_t n = (size_t)snprintf(prefix, sizeof(prefix), "%x ", event);
	const char *l;

	for (l = buf; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL)
		if (!strncmp(l, prefix, n))
			return l;
	return NULL;
}

/*
 * Read the reader's lines into buf (NUL-terminated, kept from earlier
 * calls: len is what buf holds) until a line of event is there or ms
 * have passed; that line, or NULL.
 */
static inline const char *smi_wait(int fd, char *buf, size_t size,
				   size_t *len, unsigned int event, int ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	const char *l;
	ssize_t n;

	buf[*len] = 0;
	while (!(l = smi_line(buf, event)) && ms > 0 && *len + 1 < size) {
		if (poll(&pfd, 1, 20) != 1) {
			ms -= 20;
			continue;
		}
		n = read(fd, buf + *len, size - 1 - *len);
		if (n > 0)
			*len += (size_t)n;
		buf[*len] = 0;
	}
	return l;
}

/* Throw away what the reader has so far. */
static inline void smi_drain(int fd)
{
	char junk[1024];

	while (read(fd, junk, sizeof(junk)) > 0)
		;
}

#endif
