// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Guest test: the kfd_process lifecycle through /dev/kfd.
 *
 * Primary per address space, shared by every open; CREATE_PROCESS turning
 * a file's primary into a secondary; teardown at close, exit, exec and
 * SIGKILL; fork and threads; context ids recycled; the device's context
 * count back where it started.  Run inside the guest as root; prints TAP.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>

#include "tap.h"
#include "kfd-util.h"

#define WAIT_S		20.0

static int ndev;		/* vkfd devices: contexts per kfd_process */
static char own_dir[128];	/* sysfs proc/<our tgid> */

static int create_process(int fd)
{
	return ioctl(fd, AMDKFD_IOC_CREATE_PROCESS);
}

/* A secondary bound to every GPU, as a client would use it. */
static int make_secondary(int fd)
{
	return create_process(fd) || bind_all_gpus(fd) ? -1 : 0;
}

static int get_version(int fd, struct kfd_ioctl_get_version_args *v)
{
	return ioctl(fd, AMDKFD_IOC_GET_VERSION, v);
}

/* A sysfs file's first line, "" if it cannot be read. */
static void read_line(char *buf, size_t len, const char *fmt, ...)
{
	char path[256];
	va_list ap;
	FILE *f;

	va_start(ap, fmt);
	vsnprintf(path, sizeof(path), fmt, ap);
	va_end(ap);
	buf[0] = 0;
	f = fopen(path, "r");
	if (!f)
		return;
	if (!fgets(buf, len, f))
		buf[0] = 0;
	fclose(f);
}

/*
 * amdkfd's per-GPU stats_<gpu_id>/{evicted_ms,cu_occupancy} and
 * counters_<gpu_id>/{faults,page_in,page_out} of the kfd_process in dir,
 * all 0 before any work (docs/lifecycle.md); false at the first miss.
 */
static bool gpu_dirs_ok(const char *dir)
{
	static const char *const counters[] = { "faults", "page_in",
						"page_out" };
	struct vkfd_gpu gpus[VKFD_MAX_GPUS];
	int i, k, n = vkfd_gpus(gpus, VKFD_MAX_GPUS);
	char buf[64] = "";

	if (n != ndev || count_entries(dir, "stats_") != ndev ||
	    count_entries(dir, "counters_") != ndev) {
		tap_diag("  %s: %d stats_, %d counters_, %d GPUs", dir,
			 count_entries(dir, "stats_"),
			 count_entries(dir, "counters_"), ndev);
		return false;
	}
	for (i = 0; i < ndev; i++) {
		unsigned int id = gpus[i].gpu_id;

		read_line(buf, sizeof(buf), "%s/stats_%u/evicted_ms", dir, id);
		if (strcmp(buf, "0\n"))
			goto bad;
		read_line(buf, sizeof(buf), "%s/stats_%u/cu_occupancy", dir,
			  id);
		if (strcmp(buf, "0\n"))
			goto bad;
		for (k = 0; k < 3; k++) {
			read_line(buf, sizeof(buf), "%s/counters_%u/%s", dir,
				  id, counters[k]);
			if (strcmp(buf, "0\n"))
				goto bad;
		}
	}
	return true;
bad:
	tap_diag("  %s: GPU %u read \"%s\"", dir, gpus[i].gpu_id, buf);
	return false;
}

/* Secondaries leave sysfs in the release work: wait for the count. */
static bool entries_are(const char *dir, const char *prefix, int want)
{
	double end = now_s() + WAIT_S;

	while (count_entries(dir, prefix) != want && now_s() < end)
		usleep(2000);
	return count_entries(dir, prefix) == want;
}

static bool contexts_are(int want)
{
	bool ok = wait_contexts(want, WAIT_S);

	if (!ok) {
		int drv, dev;

		vkfd_contexts(&drv, &dev);
		tap_diag("  contexts: driver %d device %d, wanted %d",
			 drv, dev, want);
	}
	return ok;
}

static void test_chardev(void)
{
	struct stat st;

	tap_ok(stat("/dev/kfd", &st) == 0 && S_ISCHR(st.st_mode) &&
	       minor(st.st_rdev) == 0, "/dev/kfd is a char device, minor 0");
	tap_ok(path_exists(KFD_SYSFS "/dev") &&
	       path_exists("/sys/class/kfd/kfd"),
	       "class kfd, device kfd in sysfs");
	tap_ok(path_exists(KFD_PROC_SYSFS), "sysfs proc/ exists");
	tap_ok(ndev >= 1, "driver sees %d vkfd device(s)", ndev);
	tap_ok(contexts_are(0), "no device contexts before the first open");
	tap_ok(vkfd_process_count() == 0, "no kfd_process before the first open");
}

static void test_version_and_dispatch(int fd)
{
	struct kfd_ioctl_get_version_args v = { 0 };
	unsigned char buf[16];
	int nr;

	tap_zero(get_version(fd, &v), "GET_VERSION");
	tap_ok(v.major_version == 1 && v.minor_version == 19,
	       "it reports 1.19 (got %u.%u)", v.major_version, v.minor_version);

	/* An older, shorter struct: only its bytes are written. */
	memset(buf, 0xa5, sizeof(buf));
	tap_ok(ioctl(fd, _IOC(_IOC_READ, 'K', 0x01, 4), buf) == 0 &&
	       *(unsigned int *)buf == 1 && buf[4] == 0xa5,
	       "GET_VERSION with a 4-byte struct copies 4 bytes");
	/* A newer, longer one: the tail comes back zeroed. */
	memset(buf, 0xa5, sizeof(buf));
	tap_ok(ioctl(fd, _IOC(_IOC_READ, 'K', 0x01, 16), buf) == 0 &&
	       *(unsigned int *)(buf + 4) == 19 && buf[8] == 0 && buf[15] == 0,
	       "GET_VERSION with a 16-byte struct zero-fills the tail");
	/* Selected by number only: type and direction bits are ignored. */
	memset(&v, 0, sizeof(v));
	tap_ok(ioctl(fd, _IOC(_IOC_WRITE, 'X', 0x01, 8), &v) == 0 &&
	       v.minor_version == 19, "dispatch ignores type and direction bits");

	tap_errno(ioctl(fd, _IOC(_IOC_READ, 'K', 0x00, 8), buf), EINVAL,
		  "nr 0x00 is refused with EINVAL");
	tap_errno(ioctl(fd, _IOC(_IOC_READ, 'K', AMDKFD_COMMAND_END, 8), buf),
		  EINVAL, "nr 0x28 (COMMAND_END) is refused with EINVAL");
	tap_errno(ioctl(fd, _IOC(_IOC_READ, 'K', 0xff, 8), buf), EINVAL,
		  "nr 0xff is refused with EINVAL");
	for (nr = 0x0d; nr <= 0x10; nr++)
		tap_errno(ioctl(fd, _IOC(_IOC_WRITE, 'K', nr, 16), buf), EPERM,
			  "deprecated debugger ioctl 0x%02x gives EPERM", nr);
	tap_errno(ioctl(fd, AMDKFD_IOC_GET_VERSION, (void *)8), EFAULT,
		  "a bad argument pointer gives EFAULT");
}

static void test_primary_shared(int fd1)
{
	int fd2 = kfd_open();
	char buf[16] = { 0 };
	int pfd;

	tap_ok(fd2 >= 0, "second open of /dev/kfd");
	tap_ok(path_exists("%s", own_dir), "sysfs proc/<tgid> exists");
	tap_ok(vkfd_process_count() == 1,
	       "both opens share one primary kfd_process");
	tap_ok(contexts_are(ndev), "the primary holds one context per device");
	pfd = open(own_dir, O_RDONLY | O_DIRECTORY);
	if (pfd >= 0) {
		int f = openat(pfd, "pasid", O_RDONLY);

		if (f >= 0) {
			if (read(f, buf, sizeof(buf) - 1) < 0)
				buf[0] = 0;
			close(f);
		}
		close(pfd);
	}
	tap_ok(!strcmp(buf, "0\n"), "proc/<tgid>/pasid reads 0");
	tap_ok(count_entries(own_dir, "vram_") == ndev &&
	       count_entries(own_dir, "sdma_") == ndev,
	       "one vram_<gpu_id> and sdma_<gpu_id> per device");
	tap_ok(gpu_dirs_ok(own_dir),
	       "one stats_<gpu_id>/ and counters_<gpu_id>/ per device, all 0");
	close(fd2);
	tap_ok(contexts_are(ndev) && path_exists("%s", own_dir),
	       "closing one file keeps the primary");
	(void)fd1;
}

static void test_create_process(void)
{
	struct kfd_ioctl_get_version_args v;
	char dir0[192], dir1[192];
	int fd1 = kfd_open(), fd2 = kfd_open();

	snprintf(dir0, sizeof(dir0), "%s/context_0", own_dir);
	snprintf(dir1, sizeof(dir1), "%s/context_1", own_dir);

	tap_zero(create_process(fd1), "CREATE_PROCESS on a primary file");
	tap_ok(path_exists("%s", dir0), "secondary appears as context_0");
	tap_ok(gpu_dirs_ok(dir0) && path_exists("%s/queues", dir0),
	       "it has queues/ and its stats_ and counters_ per device at once");
	tap_ok(contexts_are(ndev), "no device context before ACQUIRE_VM");
	tap_zero(bind_all_gpus(fd1), "ACQUIRE_VM binds the secondary");
	tap_ok(contexts_are(2 * ndev), "the secondary has its own contexts");
	tap_errno(create_process(fd1), EINVAL,
		  "second CREATE_PROCESS on the same file gives EINVAL");
	tap_ok(contexts_are(2 * ndev), "the refused call changed nothing");
	tap_zero(get_version(fd1, &v), "a secondary's file still serves ioctls");
	tap_zero(make_secondary(fd2), "CREATE_PROCESS and bind on another file");
	tap_ok(path_exists("%s", dir1), "second secondary is context_1");
	tap_ok(vkfd_process_count() == 3, "one primary and two secondaries");
	tap_ok(gpu_dirs_ok(dir1), "a bound secondary's stats_ and counters_");

	close(fd1);
	tap_ok(wait_path_gone(dir0, WAIT_S) && contexts_are(2 * ndev),
	       "closing a secondary's file destroys it");
	tap_ok(path_exists("%s", dir1), "the other secondary lives on");
	close(fd2);
	tap_ok(wait_path_gone(dir1, WAIT_S) && contexts_are(ndev),
	       "closing the last secondary leaves only the primary");
	tap_ok(path_exists("%s", own_dir),
	       "the primary outlives all of its files");

	fd1 = kfd_open();
	tap_ok(contexts_are(ndev) && vkfd_process_count() == 1,
	       "reopening finds the same primary");
	tap_zero(make_secondary(fd1), "CREATE_PROCESS again");
	tap_ok(path_exists("%s", dir0), "context id 0 was recycled");
	close(fd1);
	tap_ok(contexts_are(ndev), "and released again");
}

static void test_many_secondaries(int n)
{
	int *fds = calloc(n, sizeof(int));
	int i, ok = 0;

	for (i = 0; i < n; i++) {
		fds[i] = kfd_open();
		ok += fds[i] >= 0 && make_secondary(fds[i]) == 0;
	}
	tap_ok(ok == n, "%d secondaries at once (%d succeeded)", n, ok);
	tap_ok(count_entries(own_dir, "context_") == n,
	       "%d context_<id> directories", n);
	tap_ok(contexts_are(ndev * (1 + n)), "%d device contexts", ndev * (1 + n));
	for (i = 0; i < n; i++)
		close(fds[i]);
	tap_ok(contexts_are(ndev) && entries_are(own_dir, "context_", 0),
	       "all %d released on close", n);
	free(fds);
}

/* Fill the device's context table: the call that finds it full fails. */
static void test_exhaustion(void)
{
	int fds[4200], n = 0, i, err = 0, drv, dev;

	for (n = 0; n < (int)(sizeof(fds) / sizeof(fds[0])); n++) {
		fds[n] = kfd_open();
		if (fds[n] < 0 || make_secondary(fds[n])) {
			err = errno;
			break;
		}
	}
	tap_ok(n < 4200 && err == ENOSPC,
	       "device contexts run out after %d bound secondaries: ENOSPC (%s)",
	       n, strerror(err));
	vkfd_contexts(&drv, &dev);
	tap_ok(drv == dev, "driver and device agree at the limit (%d)", drv);
	if (n < 4200 && fds[n] >= 0) {
		struct kfd_ioctl_get_version_args v;

		tap_zero(get_version(fds[n], &v),
			 "the file whose ACQUIRE_VM failed still works");
		tap_errno(bind_all_gpus(fds[n]), ENOSPC, "and fails again alike");
		close(fds[n]);
	}
	for (i = 0; i < n; i++)
		close(fds[i]);
	tap_ok(contexts_are(ndev), "everything released");
}

static void test_cycles(int cycles, bool bind)
{
	const char *what = bind ? "open+CREATE_PROCESS+ACQUIRE_VM+close"
				: "open+CREATE_PROCESS+close";
	double t0 = now_s(), dt;
	int i, bad = 0;
	char dir0[192];

	for (i = 0; i < cycles; i++) {
		int fd = kfd_open();

		if (fd < 0 || (bind ? make_secondary(fd) : create_process(fd)))
			bad++;
		if (fd >= 0)
			close(fd);
	}
	dt = now_s() - t0;
	tap_ok(bad == 0, "%d %s cycles (%d failed)", cycles, what, bad);
	tap_diag("  %.0f cycles/s", cycles / dt);
	tap_ok(contexts_are(ndev) && entries_are(own_dir, "context_", 0),
	       "nothing leaked over %d cycles", cycles);
	i = kfd_open();
	snprintf(dir0, sizeof(dir0), "%s/context_0", own_dir);
	tap_ok(i >= 0 && make_secondary(i) == 0 && path_exists("%s", dir0) &&
	       contexts_are(2 * ndev),
	       "context ids are still recycled from 0, and device contexts too");
	close(i);
	contexts_are(ndev);
}

struct race {
	int fd;
	pthread_barrier_t *barrier;
	int result;
	int err;
	int version_failures;
};

static void *race_thread(void *arg)
{
	struct race *r = arg;
	struct kfd_ioctl_get_version_args v;
	int i;

	for (i = 0; i < 200; i++)
		r->version_failures += get_version(r->fd, &v) != 0;
	pthread_barrier_wait(r->barrier);
	r->result = create_process(r->fd);
	r->err = errno;
	return NULL;
}

static void test_threads(void)
{
	enum { N = 8 };
	pthread_barrier_t barrier;
	struct race r[N];
	pthread_t t[N];
	int fd = kfd_open(), i, wins = 0, einval = 0, vfail = 0;

	pthread_barrier_init(&barrier, NULL, N);
	for (i = 0; i < N; i++) {
		r[i] = (struct race){ .fd = fd, .barrier = &barrier };
		pthread_create(&t[i], NULL, race_thread, &r[i]);
	}
	for (i = 0; i < N; i++) {
		pthread_join(t[i], NULL);
		wins += r[i].result == 0;
		einval += r[i].result == -1 && r[i].err == EINVAL;
		vfail += r[i].version_failures;
	}
	tap_ok(vfail == 0, "%d threads share one file for ioctls", N);
	tap_ok(wins == 1 && einval == N - 1,
	       "racing CREATE_PROCESS: one wins, the rest get EINVAL (%d/%d)",
	       wins, einval);
	tap_zero(bind_all_gpus(fd), "the winner's secondary binds");
	tap_ok(contexts_are(2 * ndev), "exactly one secondary was made");
	close(fd);
	tap_ok(contexts_are(ndev), "and it goes with its file");
	pthread_barrier_destroy(&barrier);
}


static int child_uses_parent_fd(void *arg)
{
	struct kfd_ioctl_get_version_args v;
	int fd = *(int *)arg, own, bad = 0;

	bad |= !(get_version(fd, &v) == -1 && errno == EBADF) << 0;
	bad |= !(create_process(fd) == -1 && errno == EBADF) << 1;
	bad |= !(acquire_vm(fd, -1, 0) == -1 && errno == EBADF) << 2;
	own = kfd_open();
	bad |= !(own >= 0 && get_version(own, &v) == 0) << 3;
	bad |= !(path_exists(KFD_PROC_SYSFS "/%d", getpid())) << 4;
	bad |= !(own >= 0 && bind_all_gpus(own) == 0) << 5;
	bad |= !(own >= 0 && make_secondary(kfd_open()) == 0) << 6;
	return bad;
}

static void test_fork(int fd)
{
	int drv, dev, rc;

	rc = run_child(child_uses_parent_fd, &fd);
	tap_ok(rc == 0, "forked child: EBADF on the parent's file, own "
	       "open works (failures mask 0x%x)", rc);
	tap_ok(contexts_are(ndev), "the child's processes went with it");
	vkfd_contexts(&drv, &dev);
	tap_ok(vkfd_process_count() == 1, "only our primary is left");
}

static int child_exits_with_secondaries(void *arg)
{
	int i, n = *(int *)arg;

	for (i = 0; i < n; i++) {
		int fd = kfd_open();

		if (fd < 0 || make_secondary(fd))
			return 1;
	}
	if (bind_all_gpus(kfd_open()))
		return 2;
	if (*(int *)arg > 100)
		raise(SIGKILL);
	return 0;	/* exit with every file still open */
}

static void test_exit(void)
{
	int n = 5;

	tap_ok(run_child(child_exits_with_secondaries, &n) == 0,
	       "child exits holding a primary and %d secondaries", n);
	tap_ok(contexts_are(ndev) && vkfd_process_count() == 1,
	       "exit tore all of them down");
	n = 120;
	tap_ok(run_child(child_exits_with_secondaries, &n) == 128 + SIGKILL,
	       "child killed with SIGKILL holding %d secondaries", n);
	tap_ok(contexts_are(ndev) && vkfd_process_count() == 1,
	       "SIGKILL tore all of them down");
}

static char self_exe[256];

static int child_execs(void *arg)
{
	int fd = open("/dev/kfd", O_RDWR);	/* no O_CLOEXEC on purpose */

	(void)arg;
	if (fd < 0 || bind_all_gpus(fd) || make_secondary(kfd_open()))
		return 1;
	execl(self_exe, self_exe, "--after-exec", (char *)NULL);
	return 2;
}

/* After exec: the old primary is gone, a new one can be made. */
static int after_exec(void)
{
	char dir[128];
	int fd = kfd_open();

	snprintf(dir, sizeof(dir), KFD_PROC_SYSFS "/%d", getpid());
	if (fd < 0)
		return 3;
	if (!path_exists("%s", dir))
		return 4;
	return bind_all_gpus(fd) || make_secondary(kfd_open()) ? 5 : 0;
}

static void test_exec(void)
{
	int rc = run_child(child_execs, NULL);

	tap_ok(rc == 0, "exec replaces the primary; the new image opens "
	       "/dev/kfd afresh (status %d)", rc);
	tap_ok(contexts_are(ndev) && vkfd_process_count() == 1,
	       "nothing of the exec'd process is left");
}

static void test_unload(void)
{
	int rc;

	rc = system("rmmod vkfd");
	tap_ok(rc == 0, "rmmod vkfd");
	tap_ok(!path_exists("/dev/kfd") && !path_exists(KFD_SYSFS),
	       "/dev/kfd and its sysfs are gone");
	if (!path_exists("/vkfd/vkfd.ko"))
		return;
	rc = system("insmod /vkfd/vkfd.ko");
	tap_ok(rc == 0 && path_exists("/dev/kfd"), "insmod again");
	tap_ok(contexts_are(0), "the reloaded driver starts from zero contexts");
}

/* Everything that needs a kfd_process runs in a child, so that the parent
 * can check afterwards that no context is left on any device. */
static int run_process_tests(int cycles)
{
	int fd;

	fd = kfd_open();
	tap_ok(fd >= 0, "open /dev/kfd");
	tap_ok(contexts_are(0), "no device context before ACQUIRE_VM");
	tap_zero(bind_all_gpus(fd), "ACQUIRE_VM binds the primary to every GPU");
	test_version_and_dispatch(fd);
	test_primary_shared(fd);
	test_create_process();
	test_many_secondaries(256);
	test_exhaustion();
	test_threads();
	test_fork(fd);
	test_exit();
	test_exec();
	close(fd);
	test_cycles(cycles, false);
	test_cycles(cycles / 20, true);
	tap_ok(vkfd_process_count() == 1,
	       "our primary lives on with no file open");
	return 0;
}

int main(int argc, char **argv)
{
	struct rlimit rl = { 8192, 8192 };
	int drv, dev, cycles = 70000, status;
	pid_t pid;

	if (argc > 1 && !strcmp(argv[1], "--after-exec"))
		return after_exec();
	if (argc > 2 && !strcmp(argv[1], "--cycles"))
		cycles = atoi(argv[2]);
	if (readlink("/proc/self/exe", self_exe, sizeof(self_exe) - 1) < 0)
		return 1;
	setrlimit(RLIMIT_NOFILE, &rl);
	ndev = vkfd_contexts(&drv, &dev);

	tap_share();
	test_chardev();
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		snprintf(own_dir, sizeof(own_dir), KFD_PROC_SYSFS "/%d",
			 getpid());
		run_process_tests(cycles);
		fflush(stdout);
		_exit(0);
	}
	tap_ok(waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	       !WEXITSTATUS(status), "the test process finished");
	tap_ok(contexts_are(0) && vkfd_process_count() == 0,
	       "no kfd_process and no device context left after its exit");
	test_unload();
	printf("1..%d\n", tap_count);
	return tap_done();
}
