/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Keep a guest test's TAP stream clean when a library it calls writes to
 * stderr (libdrm_amdgpu's "DRM version" line, ROCr's and HIP's logs):
 * those lines become "# stderr: ..." comments on stdout.  C and C++.
 */
#ifndef VKFD_TAP_STDERR_H
#define VKFD_TAP_STDERR_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

static inline void tap_stderr_line(const char *text)
{
	char line[4096 + 16];
	int n = snprintf(line, sizeof(line), "# stderr: %s\n", text);

	if (n > (int)sizeof(line) - 1)
		n = sizeof(line) - 1;
	if (write(1, line, n) < 0)
		exit(1);
}

/*
 * Fork: the child returns and runs the test with stderr on a pipe; the
 * parent turns each line it reads into a comment and exits with the
 * child's status (a child killed by a signal is a "Bail out!").  If the
 * pipe or the fork fails, the test runs as it is.
 */
static inline void tap_stderr_as_comments(void)
{
	char buf[4096];
	size_t used = 0;
	int fds[2], status;
	ssize_t n;
	pid_t pid;

	if (pipe(fds))
		return;
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return;
	if (pid == 0) {
		dup2(fds[1], 2);
		close(fds[0]);
		close(fds[1]);
		return;
	}
	close(fds[1]);
	while ((n = read(fds[0], buf + used, sizeof(buf) - 1 - used)) > 0) {
		char *start = buf, *nl;

		used += n;
		buf[used] = '\0';
		while ((nl = strchr(start, '\n'))) {
			*nl = '\0';
			tap_stderr_line(start);
			start = nl + 1;
		}
		used -= start - buf;
		memmove(buf, start, used);
		if (used == sizeof(buf) - 1) {
			buf[used] = '\0';	/* a line too long: cut it */
			tap_stderr_line(buf);
			used = 0;
		}
	}
	if (used) {
		buf[used] = '\0';
		tap_stderr_line(buf);
	}
	if (waitpid(pid, &status, 0) != pid)
		exit(1);
	if (WIFSIGNALED(status)) {
		printf("Bail out! the test died of signal %d\n",
		       WTERMSIG(status));
		exit(1);
	}
	exit(WEXITSTATUS(status));
}

#endif /* VKFD_TAP_STDERR_H */
