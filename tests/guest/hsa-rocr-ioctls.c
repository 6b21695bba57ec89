// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The /dev/kfd ioctls that ROCr 5.2 adds to libhsakmt's start-up
 * (docs/rocm.md): SET_TRAP_HANDLER and SET_XNACK_MODE, with amdkfd's
 * answers and errno for every bad argument, on every GPU, for a primary
 * and a secondary.
 *
 *   SET_TRAP_HANDLER: EINVAL for a gpu_id the process does not know,
 *   ESRCH for a GPU it is not bound to (no ACQUIRE_VM), EFAULT for a bad
 *   argument pointer, 0 otherwise (the handler is recorded per process and
 *   GPU).
 *   SET_XNACK_MODE (a GFX9 without XNACK): a negative value queries (0);
 *   setting needs a process without queues (EBUSY), and turning XNACK on
 *   is EPERM; a failed call leaves the mode off.
 *
 * And the probes amdkfd answers for features this GPU (or Debian's kernel
 * configuration) lacks, or that only tools use:
 *
 *   SVM (kfd-svm tests the ranges and GPU mappings): EINVAL when the
 *   ioctl size does not cover nattr attributes; a secondary gets
 *   EOPNOTSUPP; on the primary, a range that is not mapped is EFAULT, also
 *   with access for a GPU (EINVAL instead in a kernel without HMM, where
 *   no GPU can mirror ranges); nothing changes.
 *   ALLOC_QUEUE_GWS (no GWS): EINVAL for an unknown queue, else ENODEV.
 *   SMI_EVENTS: a reader of the GPU's events (EINVAL for an unknown GPU):
 *   mask writes, non-blocking reads, poll, process start/end and VM
 *   faults, own process only unless ALL_PROCESS (we run as root).
 */
#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>

#include "kfd-queue-util.h"
#include "tap.h"

static int trap(int kfd, unsigned int gpu_id, uint64_t tba, uint64_t tma)
{
	struct kfd_ioctl_set_trap_handler_args a = {
		.tba_addr = tba, .tma_addr = tma, .gpu_id = gpu_id,
	};

	return ioctl(kfd, AMDKFD_IOC_SET_TRAP_HANDLER, &a);
}

/* SET_XNACK_MODE with value v; *out gets what the driver wrote back. */
static int xnack(int kfd, int v, int *out)
{
	struct kfd_ioctl_set_xnack_mode_args a = { .xnack_enabled = v };
	int r = ioctl(kfd, AMDKFD_IOC_SET_XNACK_MODE, &a);

	if (out)
		*out = a.xnack_enabled;
	return r;
}

static void check_trap(const struct vkfd_gpu *gpus, int n, bool secondary)
{
	const char *who = secondary ? "secondary" : "primary";
	int kfd = kfd_open(), i;

	if (secondary)
		tap_zero(ioctl(kfd, AMDKFD_IOC_CREATE_PROCESS),
			 "%s: CREATE_PROCESS", who);
	tap_errno(trap(kfd, 0, 0x1000, 0x2000), EINVAL,
		  "%s: SET_TRAP_HANDLER gpu_id 0: EINVAL", who);
	tap_errno(trap(kfd, 0xffffffffu, 0x1000, 0x2000), EINVAL,
		  "%s: SET_TRAP_HANDLER unknown gpu_id: EINVAL", who);
	for (i = 0; i < n; i++)
		tap_errno(trap(kfd, gpus[i].gpu_id, 0x1000, 0x2000), ESRCH,
			  "%s: SET_TRAP_HANDLER GPU %d before ACQUIRE_VM: ESRCH",
			  who, i);
	tap_errno(ioctl(kfd, AMDKFD_IOC_SET_TRAP_HANDLER, (void *)8), EFAULT,
		  "%s: SET_TRAP_HANDLER bad argument pointer: EFAULT", who);
	if (!tap_ok(bind_all_gpus(kfd) == 0, "%s: bound to every GPU", who))
		return;
	for (i = 0; i < n; i++) {
		tap_zero(trap(kfd, gpus[i].gpu_id, 0x7f0000001000ULL,
			      0x7f0000002000ULL),
			 "%s: SET_TRAP_HANDLER GPU %d", who, i);
		tap_zero(trap(kfd, gpus[i].gpu_id, 0, 0),
			 "%s: SET_TRAP_HANDLER GPU %d again (replaces)", who,
			 i);
	}
	tap_errno(trap(kfd, 0, 0x1000, 0x2000), EINVAL,
		  "%s: SET_TRAP_HANDLER gpu_id 0 once bound: still EINVAL", who);
	close(kfd);
}

/* In a child of its own: a fresh address space is a fresh primary. */
static int check_xnack(void *arg)
{
	const struct vkfd_gpu *gpu = arg;
	int kfd = kfd_open(), drm = open_render_node(gpu), v = -7, r;
	struct q pm4;

	r = xnack(kfd, -1, &v);
	tap_ok(r == 0 && v == 0,
	       "SET_XNACK_MODE query before ACQUIRE_VM: 0 (got %d)", v);
	tap_errno(ioctl(kfd, AMDKFD_IOC_SET_XNACK_MODE, (void *)8), EFAULT,
		  "SET_XNACK_MODE bad argument pointer: EFAULT");
	tap_zero(xnack(kfd, 0, NULL), "SET_XNACK_MODE off, no queues: 0");
	tap_errno(xnack(kfd, 1, NULL), EPERM,
		  "SET_XNACK_MODE on, no queues: EPERM (no XNACK on this GPU)");
	tap_errno(xnack(kfd, 5, NULL), EPERM,
		  "SET_XNACK_MODE any non-zero value: EPERM");
	v = -7;
	r = xnack(kfd, INT32_MIN, &v);
	tap_ok(r == 0 && v == 0,
	       "SET_XNACK_MODE query with INT32_MIN: still off (got %d)", v);

	tap_zero(acquire_vm(kfd, drm, gpu->gpu_id), "ACQUIRE_VM");
	if (!tap_ok(queue_open(gpu, &pm4, kfd, drm, 0x300000000ULL,
			       KFD_IOC_QUEUE_TYPE_COMPUTE) == 0, "a PM4 queue"))
		return 1;
	tap_errno(xnack(kfd, 0, NULL), EBUSY,
		  "SET_XNACK_MODE off with a queue: EBUSY");
	tap_errno(xnack(kfd, 1, NULL), EBUSY,
		  "SET_XNACK_MODE on with a queue: EBUSY, before EPERM");
	v = -7;
	r = xnack(kfd, -1, &v);
	tap_ok(r == 0 && v == 0,
	       "SET_XNACK_MODE query with a queue: 0 (got %d)", v);
	queue_close(&pm4);
	tap_zero(xnack(kfd, 0, NULL),
		 "SET_XNACK_MODE off once the queue is gone: 0");
	close(drm);
	close(kfd);
	return 0;
}

/* SVM with nattr attributes, the ioctl's size covering `covered` of them. */
struct svm_buf {
	struct kfd_ioctl_svm_args a;
	struct kfd_ioctl_svm_attribute attrs[4];
};

static int svm(int kfd, struct svm_buf *b, uint32_t nattr, unsigned int covered)
{
	unsigned long cmd = AMDKFD_IOC_SVM & ~(_IOC_SIZEMASK << _IOC_SIZESHIFT);
	size_t size = sizeof(b->a) + covered * sizeof(b->attrs[0]);

	b->a.nattr = nattr;
	return ioctl(kfd, cmd | size << _IOC_SIZESHIFT, b);
}

static void svm_fill(struct svm_buf *b, unsigned int gpu_id)
{
	memset(b, 0, sizeof(*b));
	b->a.start_addr = 0x7e0000000000ULL;
	b->a.size = 0x200000;
	b->a.op = KFD_IOCTL_SVM_OP_SET_ATTR;
	b->attrs[0].type = KFD_IOCTL_SVM_ATTR_ACCESS;
	b->attrs[0].value = gpu_id;
	b->attrs[1].type = KFD_IOCTL_SVM_ATTR_SET_FLAGS;
	b->attrs[1].value = KFD_IOCTL_SVM_FLAG_COHERENT;
}

/* hmm_range_fault in the kernel: vkfd can mirror SVM ranges to GPUs */
static bool kernel_has_hmm(void)
{
	FILE *f = fopen("/proc/kallsyms", "r");
	char line[256];
	bool found = false;

	while (f && !found && fgets(line, sizeof(line), f))
		found = strstr(line, " hmm_range_fault\n") != NULL;
	if (f)
		fclose(f);
	return found;
}

static void check_svm_as(int kfd, const char *who, unsigned int gpu_id,
			 bool secondary)
{
	int unmapped = secondary ? EOPNOTSUPP : EFAULT;
	int no_svm_gpu = secondary ? EOPNOTSUPP :
			 kernel_has_hmm() ? EFAULT : EINVAL;
	struct svm_buf b, orig;

	svm_fill(&b, gpu_id);
	orig = b;
	tap_errno(svm(kfd, &b, 0, 0), unmapped,
		  "%s: SVM without attributes, range not mapped: %s", who,
		  strerror(unmapped));
	tap_errno(svm(kfd, &b, 2, 0), EINVAL,
		  "%s: SVM, 2 attributes, ioctl size of none: EINVAL", who);
	tap_errno(svm(kfd, &b, 2, 1), EINVAL,
		  "%s: SVM, 2 attributes, ioctl size of one: EINVAL", who);
	tap_errno(svm(kfd, &b, 2, 2), no_svm_gpu,
		  "%s: SVM SET_ATTR, access for a GPU, range not mapped: %s", who,
		  strerror(no_svm_gpu));
	b.a.op = KFD_IOCTL_SVM_OP_GET_ATTR;
	orig.a.op = KFD_IOCTL_SVM_OP_GET_ATTR;
	tap_errno(svm(kfd, &b, 2, 2), unmapped,
		  "%s: SVM GET_ATTR, range not mapped: %s", who,
		  strerror(unmapped));
	tap_errno(svm(kfd, &b, 0xffffffffu, 4), EINVAL,
		  "%s: SVM, nattr 2^32-1: EINVAL", who);
	b.a.nattr = 2;		/* the one field the test changed */
	orig.a.nattr = 2;
	tap_ok(!memcmp(&b, &orig, sizeof(b)),
	       "%s: SVM changed nothing in the arguments", who);
	tap_errno(ioctl(kfd, AMDKFD_IOC_SVM, (void *)8), EFAULT,
		  "%s: SVM bad argument pointer: EFAULT", who);
}

static int check_svm(void *arg)
{
	const struct vkfd_gpu *gpu = arg;
	int kfd = kfd_open(), sec = kfd_open(), drm = open_render_node(gpu);

	check_svm_as(kfd, "primary", gpu->gpu_id, false);
	tap_zero(acquire_vm(kfd, drm, gpu->gpu_id), "ACQUIRE_VM");
	check_svm_as(kfd, "primary, bound", gpu->gpu_id, false);
	tap_zero(ioctl(sec, AMDKFD_IOC_CREATE_PROCESS), "a secondary");
	check_svm_as(sec, "secondary", gpu->gpu_id, true);
	return 0;
}

static int gws(int kfd, uint32_t queue_id, uint32_t *first)
{
	struct kfd_ioctl_alloc_queue_gws_args a = {
		.queue_id = queue_id, .num_gws = 1, .first_gws = 0xabcd,
	};
	int r = ioctl(kfd, AMDKFD_IOC_ALLOC_QUEUE_GWS, &a);

	*first = a.first_gws;
	return r;
}

static int check_gws(void *arg)
{
	const struct vkfd_gpu *gpu = arg;
	int kfd = kfd_open(), drm = open_render_node(gpu);
	uint32_t first;
	struct q pm4;

	tap_errno(gws(kfd, 0, &first), EINVAL,
		  "ALLOC_QUEUE_GWS without queues: EINVAL");
	tap_zero(acquire_vm(kfd, drm, gpu->gpu_id), "ACQUIRE_VM");
	if (!tap_ok(queue_open(gpu, &pm4, kfd, drm, 0x300000000ULL,
			       KFD_IOC_QUEUE_TYPE_COMPUTE) == 0, "a PM4 queue"))
		return 1;
	tap_errno(gws(kfd, pm4.id + 1, &first), EINVAL,
		  "ALLOC_QUEUE_GWS of a queue id not ours: EINVAL");
	tap_errno(gws(kfd, pm4.id, &first), ENODEV,
		  "ALLOC_QUEUE_GWS of our queue: ENODEV (the GPU has no GWS)");
	tap_ok(first == 0xabcd, "and first_gws untouched (0x%x)", first);
	tap_errno(ioctl(kfd, AMDKFD_IOC_ALLOC_QUEUE_GWS, (void *)8), EFAULT,
		  "ALLOC_QUEUE_GWS bad argument pointer: EFAULT");
	queue_close(&pm4);
	return 0;
}

static int smi_open(int kfd, unsigned int gpu_id, int *fd)
{
	struct kfd_ioctl_smi_events_args a = { .gpuid = gpu_id };
	int r = ioctl(kfd, AMDKFD_IOC_SMI_EVENTS, &a);

	*fd = r ? -1 : (int)a.anon_fd;
	return r;
}

static bool smi_mask(int fd, uint64_t mask)
{
	return write(fd, &mask, sizeof(mask)) == sizeof(mask);
}

/* Wait up to 5 s for a line; it goes in buf (NUL-terminated); 0 if none. */
static ssize_t smi_read(int fd, char *buf, size_t size, int timeout_ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	ssize_t n;

	if (poll(&pfd, 1, timeout_ms) != 1)
		return 0;
	n = read(fd, buf, size - 1);
	buf[n > 0 ? n : 0] = 0;
	return n > 0 ? n : 0;
}

#define SMI_MASK(e)	KFD_SMI_EVENT_MASK_FROM_INDEX(e)

/* In a child: bind to the GPU and leave (a process start and end). */
static int smi_other(void *arg)
{
	const struct vkfd_gpu *gpu = arg;
	int kfd = kfd_open(), drm = open_render_node(gpu);

	return acquire_vm(kfd, drm, gpu->gpu_id) ? 1 : 0;
}

static int check_smi(void *arg)
{
	const struct vkfd_gpu *gpu = arg;
	int kfd = kfd_open(), drm = open_render_node(gpu), fd, fd2, st;
	char buf[512], want[128], comm[32] = "";
	uint64_t bad = 0x7000000000ULL;
	pid_t child;
	struct q pm4;
	FILE *f;

	f = fopen("/proc/self/comm", "r");
	if (f) {
		if (fgets(comm, sizeof(comm), f))
			comm[strcspn(comm, "\n")] = 0;
		fclose(f);
	}
	tap_errno(smi_open(kfd, 0, &fd), EINVAL, "SMI_EVENTS gpuid 0: EINVAL");
	tap_errno(smi_open(kfd, 0xfffffffu, &fd), EINVAL,
		  "SMI_EVENTS unknown gpuid: EINVAL");
	tap_errno(ioctl(kfd, AMDKFD_IOC_SMI_EVENTS, (void *)8), EFAULT,
		  "SMI_EVENTS bad argument pointer: EFAULT");
	st = smi_open(kfd, gpu->gpu_id, &fd);
	if (!tap_ok(st == 0 && fd >= 0,
		    "SMI_EVENTS of our GPU, before ACQUIRE_VM: fd %d", fd))
		return 1;
	tap_ok((fcntl(fd, F_GETFL) & O_ACCMODE) == O_RDWR,
	       "the reader is open read-write");
	tap_errno(read(fd, buf, sizeof(buf)), EAGAIN,
		  "nothing to read: EAGAIN, it does not block");
	tap_errno(write(fd, buf, 4), EFAULT, "a 4-byte mask: EFAULT");
	tap_ok(smi_mask(fd, SMI_MASK(KFD_SMI_EVENT_PROCESS_START) |
			    SMI_MASK(KFD_SMI_EVENT_PROCESS_END) |
			    SMI_MASK(KFD_SMI_EVENT_VMFAULT)),
	       "an 8-byte mask: start, end, VM fault");
	tap_ok(!smi_read(fd, buf, sizeof(buf), 0), "poll: nothing yet");

	tap_zero(acquire_vm(kfd, drm, gpu->gpu_id), "ACQUIRE_VM");
	snprintf(want, sizeof(want), "%x %x %s\n", KFD_SMI_EVENT_PROCESS_START,
		 getpid(), comm);
	smi_read(fd, buf, sizeof(buf), 5000);
	tap_ok(!strcmp(buf, want), "process start: \"%.*s\"",
	       (int)strcspn(buf, "\n"), buf);

	/* a VM fault of ours: WRITE_DATA to an address nothing maps */
	if (!tap_ok(queue_open(gpu, &pm4, kfd, drm, 0x300000000ULL,
			       KFD_IOC_QUEUE_TYPE_COMPUTE) == 0, "a PM4 queue"))
		return 1;
	{
		uint32_t wd[] = { VKFD_PM4_HDR(VKFD_PM4_OP_WRITE_DATA, 4),
				  VKFD_PM4_WD_MEM, (uint32_t)bad, bad >> 32,
				  1 };

		emit(&pm4, wd, 5);
		kick(&pm4, pm4.wptr);
	}
	snprintf(want, sizeof(want), "%x %x:%s\n", KFD_SMI_EVENT_VMFAULT,
		 getpid(), comm);
	smi_read(fd, buf, sizeof(buf), 5000);
	tap_ok(!strcmp(buf, want), "VM fault: \"%.*s\"",
	       (int)strcspn(buf, "\n"), buf);

	/* another process: not ours to see, until ALL_PROCESS */
	child = run_child(smi_other, (void *)gpu);
	tap_ok(child == 0, "another process bound and left");
	tap_ok(!smi_read(fd, buf, sizeof(buf), 200),
	       "its start and end are not ours to see");
	tap_ok(smi_mask(fd, SMI_MASK(KFD_SMI_EVENT_PROCESS_START) |
			    SMI_MASK(KFD_SMI_EVENT_PROCESS_END) |
			    SMI_MASK(KFD_SMI_EVENT_ALL_PROCESS)),
	       "mask with ALL_PROCESS (we are root)");
	fflush(stdout);
	child = fork();
	if (child == 0)
		_exit(smi_other((void *)gpu));
	waitpid(child, &st, 0);
	tap_ok(WIFEXITED(st) && !WEXITSTATUS(st), "a third process came and went");
	snprintf(want, sizeof(want), "%x %x %s\n%x %x %s\n",
		 KFD_SMI_EVENT_PROCESS_START, child, comm,
		 KFD_SMI_EVENT_PROCESS_END, child, comm);
	buf[0] = 0;
	{
		double end = now_s() + 5;
		size_t len = 0;

		while (len < strlen(want) && now_s() < end)
			len += smi_read(fd, buf + len, sizeof(buf) - len, 100);
	}
	tap_ok(!strcmp(buf, want), "its start and end, with ALL_PROCESS: "
	       "\"%.*s\"", (int)strcspn(buf, "\n"), buf);

	/* two readers each get every line; an empty mask gets nothing */
	tap_zero(smi_open(kfd, gpu->gpu_id, &fd2), "a second reader");
	tap_ok(smi_mask(fd2, 0), "with an empty mask");
	child = run_child(smi_other, (void *)gpu);
	smi_read(fd, buf, sizeof(buf), 5000);
	tap_ok(child == 0 && !strncmp(buf, "c ", 2) &&
	       !smi_read(fd2, buf, sizeof(buf), 200),
	       "the first reader heard the next process, the second nothing");
	close(fd2);
	close(fd);
	queue_close(&pm4);
	return 0;
}

struct trap_case {
	const struct vkfd_gpu *gpus;
	int n;
	bool secondary;
};

static int trap_child(void *arg)
{
	const struct trap_case *c = arg;

	check_trap(c->gpus, c->n, c->secondary);
	return 0;
}

int main(void)
{
	struct vkfd_gpu gpus[VKFD_MAX_GPUS];
	int n = vkfd_gpus(gpus, VKFD_MAX_GPUS);

	tap_share();
	if (n < 1) {
		printf("Bail out! no vkfd GPU in debugfs\n");
		return 1;
	}
	tap_diag("%d GPU(s)", n);
	struct trap_case primary = { gpus, n, false };
	struct trap_case secondary = { gpus, n, true };

	tap_ok(run_child(trap_child, &primary) == 0, "primary checks ran");
	tap_ok(run_child(trap_child, &secondary) == 0, "secondary checks ran");
	tap_ok(run_child(check_xnack, &gpus[0]) == 0, "XNACK checks ran");
	tap_ok(run_child(check_svm, &gpus[0]) == 0, "SVM checks ran");
	tap_ok(run_child(check_gws, &gpus[n - 1]) == 0, "GWS checks ran");
	tap_ok(run_child(check_smi, &gpus[n - 1]) == 0, "SMI checks ran");
	printf("1..%d\n", tap_count);
	return tap_done();
}
