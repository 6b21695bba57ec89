// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Guest benchmark: how many kfd_process lifecycle operations per second.
 *
 *   open+close                    the primary exists: a lookup and a ref
 *   open+CREATE_PROCESS+close     a secondary is made and destroyed (with
 *                                 its sysfs context_<id> directory; no
 *                                 device context until ACQUIRE_VM)
 *   open+GET_VERSION+close        the same with the cheapest ioctl: what
 *                                 any ioctl adds, for scale
 *
 * All run in the same boot, in alternating blocks (ROUNDS of each), so
 * that a host that gets busier or quieter during the run weighs on all
 * alike; the ratio is of the summed times, and the spread of the rounds'
 * ratios is printed with it.  Absolute rates depend on TCG and the host.
 * On a loaded host, boot the guest with QEMU's -icount shift=0,sleep=off:
 * its clock then counts guest instructions (1 ns each), and the figures
 * no longer depend on the host (bench/README.md).
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>

#include "kfd-util.h"

#define ROUNDS 40

/* Seconds for n cycles: open+close, with CREATE_PROCESS or GET_VERSION. */
static double cycles(int n, unsigned long cmd, int *failures)
{
	struct kfd_ioctl_get_version_args v;
	double t0 = now_s();
	int i;

	for (i = 0; i < n; i++) {
		int fd = kfd_open();

		if (fd < 0 || (cmd && ioctl(fd, cmd, &v)))
			(*failures)++;
		if (fd >= 0)
			close(fd);
	}
	return now_s() - t0;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 20000;
	int keep = kfd_open(), failures = 0, drv, dev, ndev, r, per;
	double t_open = 0, t_create = 0, t_ioctl = 0, lo = 1e9, hi = 0;

	if (keep < 0) {
		perror("open /dev/kfd");
		return 1;
	}
	ndev = vkfd_contexts(&drv, &dev);
	per = n / ROUNDS > 0 ? n / ROUNDS : 1;
	/* warm up, then measure */
	cycles(n / 10, AMDKFD_IOC_CREATE_PROCESS, &failures);
	for (r = 0; r < ROUNDS; r++) {
		double a = cycles(per, 0, &failures);
		double b = cycles(per, AMDKFD_IOC_CREATE_PROCESS, &failures);

		t_ioctl += cycles(per, AMDKFD_IOC_GET_VERSION, &failures);
		t_open += a;
		t_create += b;
		lo = b / a < lo ? b / a : lo;
		hi = b / a > hi ? b / a : hi;
	}
	wait_contexts(ndev, 30);

	printf("devices:                          %d\n", ndev);
	printf("open+close:                       %.0f ops/s\n",
	       per * ROUNDS / t_open);
	printf("open+CREATE_PROCESS+close:        %.0f ops/s\n",
	       per * ROUNDS / t_create);
	printf("ratio (secondary cycle / open):   %.2fx slower\n",
	       t_create / t_open);
	printf("ratio of single rounds:           %.2fx to %.2fx (%d rounds)\n",
	       lo, hi, ROUNDS);
	/* what any ioctl adds to the cycle, for scale */
	printf("open+GET_VERSION+close:           %.0f ops/s (%.2fx slower)\n",
	       per * ROUNDS / t_ioctl, t_ioctl / t_open);
	printf("failures:                         %d\n", failures);
	close(keep);
	return failures ? 1 : 0;
}
