// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Guest test: binding kfd_processes to GPUs and the ioctls libhsakmt
 * issues when it opens /dev/kfd: ACQUIRE_VM, GET_PROCESS_APERTURES(_NEW),
 * SET_MEMORY_POLICY and GET_CLOCK_COUNTERS, with their bad inputs.
 * Prints TAP.  Works with one or more vkfd devices.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "tap.h"
#include "kfd-util.h"

static struct vkfd_gpu gpus[VKFD_MAX_GPUS];
static int ngpu;

static bool gpu_known(unsigned int gpu_id)
{
	int i;

	for (i = 0; i < ngpu; i++)
		if (gpus[i].gpu_id == gpu_id)
			return true;
	return false;
}

static unsigned int unknown_gpu_id(void)
{
	unsigned int id = 1;

	while (gpu_known(id))
		id++;
	return id;
}

static void test_acquire_vm(void)
{
	int kfd = kfd_open(), other = kfd_open(), drm, drm2, null, i;
	unsigned int gpu = gpus[0].gpu_id;

	drm = open_render_node(&gpus[0]);
	drm2 = open_render_node(&gpus[0]);
	null = open("/dev/null", O_RDWR);
	tap_ok(kfd >= 0 && drm >= 0 && drm2 >= 0,
	       "/dev/dri/renderD%u opens", gpus[0].render_minor);

	tap_errno(acquire_vm(kfd, -1, gpu), EINVAL, "ACQUIRE_VM: bad fd");
	tap_errno(acquire_vm(kfd, 1000, gpu), EINVAL, "ACQUIRE_VM: closed fd");
	tap_errno(acquire_vm(kfd, null, gpu), EINVAL,
		  "ACQUIRE_VM: a file that is no render node");
	tap_errno(acquire_vm(kfd, kfd, gpu), EINVAL,
		  "ACQUIRE_VM: /dev/kfd itself");
	tap_errno(acquire_vm(kfd, drm, unknown_gpu_id()), EINVAL,
		  "ACQUIRE_VM: unknown gpu_id");
	if (ngpu > 1)
		tap_errno(acquire_vm(kfd, drm, gpus[1].gpu_id), EINVAL,
			  "ACQUIRE_VM: another GPU's render node");
	tap_ok(wait_contexts(0, 10), "failed calls mapped no context");

	tap_zero(acquire_vm(kfd, drm, gpu), "ACQUIRE_VM binds the primary");
	tap_ok(wait_contexts(1, 10), "one device context");
	tap_zero(acquire_vm(kfd, drm, gpu), "ACQUIRE_VM again, same file: 0");
	tap_errno(acquire_vm(kfd, drm2, gpu), EBUSY,
		  "ACQUIRE_VM again, another file: EBUSY");

	/* a secondary needs a VM of its own */
	tap_zero(ioctl(other, AMDKFD_IOC_CREATE_PROCESS), "CREATE_PROCESS");
	tap_errno(acquire_vm(other, drm, gpu), EINVAL,
		  "a VM another kfd_process adopted is refused");
	tap_zero(acquire_vm(other, drm2, gpu), "the secondary adopts its own");
	tap_ok(wait_contexts(2, 10), "primary and secondary: two contexts");

	/* the adopted file outlives our descriptor */
	close(drm);
	close(drm2);
	tap_ok(wait_contexts(2, 10), "closing the render fds keeps the VMs");
	close(other);
	tap_ok(wait_contexts(1, 10), "the secondary's context goes at close");
	for (i = 1; i < ngpu; i++) {
		drm = open_render_node(&gpus[i]);
		tap_zero(acquire_vm(kfd, drm, gpus[i].gpu_id),
			 "ACQUIRE_VM on GPU %d", i);
		close(drm);
	}
	tap_ok(wait_contexts(ngpu, 10), "one context per GPU");
	close(kfd);
	close(null);
}

static void check_aperture(const struct kfd_process_device_apertures *a,
			   const char *how)
{
	tap_ok(gpu_known(a->gpu_id) &&
	       a->lds_base == 0x0001000000000000ULL &&
	       a->lds_limit == 0x00010000ffffffffULL &&
	       a->scratch_base == 0x0002000000000000ULL &&
	       a->scratch_limit == 0x00020000ffffffffULL &&
	       a->gpuvm_base == 0x10000 && a->gpuvm_limit == 0x7fffffffffffULL,
	       "%s: GFX9 apertures of gpu %u", how, a->gpu_id);
}

static void test_apertures(void)
{
	struct kfd_process_device_apertures ap[VKFD_MAX_GPUS + 1];
	struct kfd_ioctl_get_process_apertures_new_args an = { 0 };
	struct kfd_ioctl_get_process_apertures_args old;
	int kfd = kfd_open(), i;
	void *ro;

	tap_zero(ioctl(kfd, AMDKFD_IOC_GET_PROCESS_APERTURES_NEW, &an),
		 "APERTURES_NEW with 0 nodes");
	tap_ok(an.num_of_nodes == (unsigned int)ngpu,
	       "returns the GPU count (%u)", an.num_of_nodes);

	memset(ap, 0xa5, sizeof(ap));
	an.kfd_process_device_apertures_ptr = (uintptr_t)ap;
	an.num_of_nodes = ngpu + 1;
	tap_zero(ioctl(kfd, AMDKFD_IOC_GET_PROCESS_APERTURES_NEW, &an),
		 "APERTURES_NEW with room for more");
	tap_ok(an.num_of_nodes == (unsigned int)ngpu, "fills %u entries",
	       an.num_of_nodes);
	for (i = 0; i < ngpu; i++)
		check_aperture(&ap[i], "NEW");
	tap_ok(ap[ngpu].gpu_id == 0xa5a5a5a5, "and not one more");

	memset(ap, 0, sizeof(ap));
	an.num_of_nodes = 1;
	ioctl(kfd, AMDKFD_IOC_GET_PROCESS_APERTURES_NEW, &an);
	tap_ok(an.num_of_nodes == 1 && ap[1].gpu_id == 0,
	       "a short array gets just what fits");

	ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	an.kfd_process_device_apertures_ptr = (uintptr_t)ro;
	an.num_of_nodes = ngpu;
	tap_errno(ioctl(kfd, AMDKFD_IOC_GET_PROCESS_APERTURES_NEW, &an), EFAULT,
		  "an unwritable array gives EFAULT");
	munmap(ro, 4096);

	memset(&old, 0, sizeof(old));
	tap_zero(ioctl(kfd, AMDKFD_IOC_GET_PROCESS_APERTURES, &old),
		 "the old GET_PROCESS_APERTURES");
	tap_ok(old.num_of_nodes == (unsigned int)ngpu, "%u nodes",
	       old.num_of_nodes);
	check_aperture(&old.process_apertures[0], "old");
	close(kfd);
}

static int set_policy(int kfd, unsigned int gpu, unsigned int def,
		      unsigned int alt)
{
	struct kfd_ioctl_set_memory_policy_args a = {
		.alternate_aperture_base = 0x100000000ULL,
		.alternate_aperture_size = 0x100000000ULL,
		.gpu_id = gpu,
		.default_policy = def,
		.alternate_policy = alt,
	};

	return ioctl(kfd, AMDKFD_IOC_SET_MEMORY_POLICY, &a);
}

static void test_memory_policy(void)
{
	int kfd = kfd_open(), drm = open_render_node(&gpus[0]);
	unsigned int gpu = gpus[0].gpu_id;

	tap_errno(set_policy(kfd, gpu, 0, 0), ESRCH,
		  "SET_MEMORY_POLICY before ACQUIRE_VM: ESRCH");
	acquire_vm(kfd, drm, gpu);
	close(drm);
	tap_zero(set_policy(kfd, gpu, KFD_IOC_CACHE_POLICY_COHERENT,
			    KFD_IOC_CACHE_POLICY_NONCOHERENT),
		 "SET_MEMORY_POLICY coherent/noncoherent");
	tap_errno(set_policy(kfd, gpu, 2, 0), EINVAL, "bad default policy");
	tap_errno(set_policy(kfd, gpu, 0, 7), EINVAL, "bad alternate policy");
	tap_errno(set_policy(kfd, unknown_gpu_id(), 0, 0), EINVAL,
		  "unknown gpu_id");
	close(kfd);
}

static void test_clock_counters(void)
{
	struct kfd_ioctl_get_clock_counters_args a = { .gpu_id = gpus[0].gpu_id };
	struct kfd_ioctl_get_clock_counters_args b = a;
	int kfd = kfd_open();

	tap_zero(ioctl(kfd, AMDKFD_IOC_GET_CLOCK_COUNTERS, &a),
		 "GET_CLOCK_COUNTERS");
	usleep(10000);
	ioctl(kfd, AMDKFD_IOC_GET_CLOCK_COUNTERS, &b);
	tap_ok(a.gpu_clock_counter && b.gpu_clock_counter > a.gpu_clock_counter,
	       "the GPU clock runs (%llu -> %llu)",
	       (unsigned long long)a.gpu_clock_counter,
	       (unsigned long long)b.gpu_clock_counter);
	tap_ok(b.cpu_clock_counter > a.cpu_clock_counter &&
	       b.system_clock_counter > a.system_clock_counter &&
	       b.system_clock_counter - a.system_clock_counter >= 10000000,
	       "CPU and system clocks in ns");
	tap_ok(a.system_clock_freq == 1000000000, "frequency 1 GHz");
	a.gpu_id = unknown_gpu_id();
	tap_zero(ioctl(kfd, AMDKFD_IOC_GET_CLOCK_COUNTERS, &a),
		 "an unknown gpu_id still succeeds");
	tap_ok(a.gpu_clock_counter == 0, "with a zero GPU counter");
	close(kfd);
}

int main(void)
{
	int pid, status;
	unsigned int i;

	ngpu = vkfd_gpus(gpus, VKFD_MAX_GPUS);
	if (ngpu < 1) {
		tap_ok(0, "vkfd devices found");
		return tap_done();
	}
	tap_share();
	/* each part in a process of its own, so each starts unbound */
	void (*parts[])(void) = {
		test_acquire_vm, test_apertures, test_memory_policy,
		test_clock_counters,
	};
	for (i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		fflush(stdout);
		pid = fork();
		if (pid == 0) {
			parts[i]();
			fflush(stdout);
			_exit(0);
		}
		waitpid(pid, &status, 0);
		tap_ok(WIFEXITED(status) && wait_contexts(0, 10),
		       "part %u ended cleanly, no context left", i + 1);
	}
	printf("1..%d\n", tap_count);
	return tap_done();
}
