/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A minimal TAP producer for the programs that run inside the guest.
 */
#ifndef VKFD_TAP_H
#define VKFD_TAP_H

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

struct tap_state {
	int count;
	int failed;
};

static struct tap_state tap_local, *tap_state = &tap_local;
#define tap_count (tap_state->count)
#define tap_failed (tap_state->failed)

/*
 * Keep the counters in shared memory so that children made by fork()
 * number and count their results in the same sequence.
 */
static inline void tap_share(void)
{
	void *p = mmap(NULL, sizeof(struct tap_state), PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED) {
		perror("tap_share");
		exit(1);
	}
	memcpy(p, tap_state, sizeof(struct tap_state));
	tap_state = p;
}

static inline void tap_plan(int n)
{
	printf("1..%d\n", n);
	fflush(stdout);
}

static inline int tap_ok(int cond, const char *fmt, ...)
{
	va_list ap;

	printf("%sok %d - ", cond ? "" : "not ", ++tap_count);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	if (!cond)
		tap_failed++;
	return cond;
}

static inline void tap_diag(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

/* Check that an expression returned -1 with errno e. */
#define tap_errno(expr, e, ...) \
	({ errno = 0; long __r = (long)(expr); int __e = errno; \
	   if (!tap_ok(__r == -1 && __e == (e), __VA_ARGS__)) \
		tap_diag("  got %ld errno %d (%s), wanted errno %d (%s)", \
			 __r, __e, strerror(__e), (e), strerror(e)); })

/* Check that an expression returned 0. */
#define tap_zero(expr, ...) \
	({ errno = 0; long __r = (long)(expr); int __e = errno; \
	   if (!tap_ok(__r == 0, __VA_ARGS__)) \
		tap_diag("  got %ld errno %d (%s)", __r, __e, strerror(__e)); })

static inline int tap_done(void)
{
	printf("# %d passed, %d failed\n", tap_count - tap_failed, tap_failed);
	return tap_failed ? 1 : 0;
}

#endif /* VKFD_TAP_H */
