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

static int tap_count, tap_failed;

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
