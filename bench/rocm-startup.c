// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Start-up times of Debian's ROCm 5.2.3 user stack in a vkfd guest
 * (docs/rocm.md, bench/README.md): libhsakmt's open alone, ROCr's
 * hsa_init + hsa_shut_down, and a whole rocminfo run, each several times.
 * The first of each includes cold page-cache effects of the initramfs.
 *
 *   scripts/vkfd-vm --rocm --copy BUILD/rocm-startup-bench -- \
 *       BUILD/rocm-startup-bench [--runs N] [--rocminfo PATH]
 */
#include <hsa/hsa.h>
#include <hsakmt.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Run argv with stdout and stderr on /dev/null; -1 on failure. */
static double time_exec(char *const argv[])
{
	double t0 = now();
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0) {
		int fd = open("/dev/null", O_WRONLY);

		dup2(fd, 1);
		dup2(fd, 2);
		execv(argv[0], argv);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status))
		return -1;
	return now() - t0;
}

int main(int argc, char **argv)
{
	char *rocminfo[] = { "/usr/bin/rocminfo", NULL };
	int runs = 3, i;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--runs") && i + 1 < argc)
			runs = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--rocminfo") && i + 1 < argc)
			rocminfo[0] = argv[++i];
		else {
			fprintf(stderr, "usage: %s [--runs N] [--rocminfo PATH]\n",
				argv[0]);
			return 2;
		}
	}

	for (i = 0; i < runs; i++) {
		double t0 = now(), t1, t2;

		if (hsaKmtOpenKFD() != HSAKMT_STATUS_SUCCESS)
			return 1;
		t1 = now();
		hsaKmtCloseKFD();
		t2 = now();
		printf("hsaKmtOpenKFD %.3f s, hsaKmtCloseKFD %.3f s\n",
		       t1 - t0, t2 - t1);
	}
	for (i = 0; i < runs; i++) {
		double t0 = now(), t1, t2;
		hsa_status_t st = hsa_init();

		t1 = now();
		if (st != HSA_STATUS_SUCCESS) {
			printf("hsa_init failed: 0x%x\n", st);
			return 1;
		}
		hsa_shut_down();
		t2 = now();
		printf("hsa_init %.3f s, hsa_shut_down %.3f s\n", t1 - t0,
		       t2 - t1);
	}
	for (i = 0; i < runs; i++) {
		double t = time_exec(rocminfo);

		if (t < 0) {
			printf("%s failed\n", rocminfo[0]);
			return 1;
		}
		printf("rocminfo %.3f s\n", t);
	}
	return 0;
}
