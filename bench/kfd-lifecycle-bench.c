// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Guest benchmark: how many kfd_process lifecycle operations per second.
 *
 *   open+close                    the primary exists: a lookup and a ref
 *   open+CREATE_PROCESS+close     a secondary is made and destroyed: two
 *                                 scheduler-ring round trips per device
 *
 * Both run in the same boot, so their ratio is stable even when the host
 * is noisy; absolute rates depend on TCG and the host.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>

#include "kfd-util.h"

static double rate(int n, bool secondary, int *failures)
{
	double t0 = now_s();
	int i;

	for (i = 0; i < n; i++) {
		int fd = kfd_open();

		if (fd < 0 || (secondary && ioctl(fd, AMDKFD_IOC_CREATE_PROCESS)))
			(*failures)++;
		if (fd >= 0)
			close(fd);
	}
	return n / (now_s() - t0);
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 20000;
	int keep = kfd_open(), failures = 0, drv, dev, ndev;
	double open_rate, create_rate;

	if (keep < 0) {
		perror("open /dev/kfd");
		return 1;
	}
	ndev = vkfd_contexts(&drv, &dev);
	/* warm up, then measure */
	rate(n / 10, true, &failures);
	open_rate = rate(n, false, &failures);
	create_rate = rate(n, true, &failures);
	wait_contexts(ndev, 30);

	printf("devices:                          %d\n", ndev);
	printf("open+close:                       %.0f ops/s\n", open_rate);
	printf("open+CREATE_PROCESS+close:        %.0f ops/s\n", create_rate);
	printf("ratio (secondary cycle / open):   %.2fx slower\n",
	       open_rate / create_rate);
	printf("failures:                         %d\n", failures);
	close(keep);
	return failures ? 1 : 0;
}
