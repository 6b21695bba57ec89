/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Helpers for guest programs that call AMDKFD_IOC_SVM by hand, and read
 * a process's per-GPU sysfs numbers (amdkfd's stats_<gpu_id>/ and
 * counters_<gpu_id>/).
 */
#ifndef VKFD_KFD_SVM_UTIL_H
#define VKFD_KFD_SVM_UTIL_H

#include <stdint.h>
#include <stdio.h>
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

#endif
