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
 */
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
	printf("1..%d\n", tap_count);
	return tap_done();
}
