// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Guest test: user queues through /dev/kfd -- CREATE_QUEUE's checks and
 * errno, doorbell offsets and their mapping, sysfs queues/<id>,
 * UPDATE/DESTROY_QUEUE, SET_CU_MASK, GET_QUEUE_WAVE_STATE, the queue
 * limit, and queues torn down with their process.  Prints TAP.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "tap.h"
#include "kfd-util.h"

#define RING_VA		0x200000000ULL
#define PTRS_VA		0x210000000ULL
#define EOP_VA		0x220000000ULL

static struct vkfd_gpu gpus[VKFD_MAX_GPUS];
static int ngpu;

/* A ring of size bytes at RING_VA + slot * 16 MiB, pointers, an EOP. */
struct qbufs {
	uint64_t ring_va, rptr_va, wptr_va, eop_va;
	uint64_t handles[3];
};

static int make_bo(int kfd, uint64_t va, uint64_t size, unsigned int flags,
		   uint64_t *handle)
{
	unsigned int ids[1] = { gpus[0].gpu_id }, n = 0;

	if (alloc_bo(kfd, gpus[0].gpu_id, va, size, flags | F_RW, handle, NULL))
		return -1;
	return map_bo(kfd, *handle, ids, 1, true, &n);
}

static int make_bufs(int kfd, unsigned int slot, uint64_t ring_size,
		     struct qbufs *b)
{
	b->ring_va = RING_VA + slot * 16 * MiB;
	b->rptr_va = PTRS_VA + slot * 4096;
	b->wptr_va = b->rptr_va + 8;
	b->eop_va = EOP_VA + slot * 4096;
	if (make_bo(kfd, b->ring_va, ring_size < 4096 ? 4096 : ring_size,
		    F_GTT, &b->handles[0]) ||
	    make_bo(kfd, b->rptr_va, 4096, F_GTT, &b->handles[1]) ||
	    make_bo(kfd, b->eop_va, 4096, F_VRAM, &b->handles[2]))
		return -1;
	return 0;
}

static int create_queue(int kfd, unsigned int type, const struct qbufs *b,
			uint32_t ring_size, struct kfd_ioctl_create_queue_args *out)
{
	struct kfd_ioctl_create_queue_args a = {
		.ring_base_address = b->ring_va,
		.write_pointer_address = b->wptr_va,
		.read_pointer_address = b->rptr_va,
		.ring_size = ring_size,
		.gpu_id = gpus[0].gpu_id,
		.queue_type = type,
		.queue_percentage = 100,
		.queue_priority = 7,
		.eop_buffer_address = type == KFD_IOC_QUEUE_TYPE_SDMA ? 0
								   : b->eop_va,
		.eop_buffer_size = type == KFD_IOC_QUEUE_TYPE_SDMA ? 0 : 4096,
	};
	int ret = ioctl(kfd, AMDKFD_IOC_CREATE_QUEUE, &a);

	if (out)
		*out = a;
	return ret;
}

static int destroy_queue(int kfd, unsigned int id)
{
	struct kfd_ioctl_destroy_queue_args a = { .queue_id = id };

	return ioctl(kfd, AMDKFD_IOC_DESTROY_QUEUE, &a);
}

static int read_sysfs_queue(unsigned int id, const char *file, char *buf,
			    size_t len)
{
	char path[192];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), KFD_PROC_SYSFS "/%d/queues/%u/%s",
		 getpid(), id, file);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = 0;
	return 0;
}

static void test_create_checks(int kfd, const struct qbufs *b)
{
	struct kfd_ioctl_create_queue_args a;
	struct qbufs bad = *b;
	int other = kfd_open();

	/* a secondary has a VM of its own, without our buffers */
	if (ioctl(other, AMDKFD_IOC_CREATE_PROCESS) || bind_all_gpus(other))
		tap_diag("  could not make a secondary");

	/* amdkfd says ENOTSUPP (524), which no user-space errno names */
	tap_errno(create_queue(kfd, 7, b, 4096, NULL), EINVAL,
		  "unknown queue type: EINVAL");
	tap_errno(create_queue(kfd, 0, b, 3000, NULL), EINVAL,
		  "ring size not a power of two: EINVAL");
	a = (struct kfd_ioctl_create_queue_args){ 0 };
	bad.ring_va += 4096 * 16;
	tap_errno(create_queue(kfd, 0, &bad, 4096, NULL), EINVAL,
		  "a ring that is not mapped: EINVAL");
	bad = *b;
	tap_errno(create_queue(kfd, 0, &bad, 8192, NULL), EINVAL,
		  "a ring larger than its BO: EINVAL");
	bad.rptr_va = 0x300000000ULL;
	tap_errno(create_queue(kfd, 0, &bad, 4096, NULL), EINVAL,
		  "an unmapped read pointer: EINVAL");
	bad = *b;
	bad.wptr_va = 0x300000000ULL;
	tap_errno(create_queue(kfd, 0, &bad, 4096, NULL), EINVAL,
		  "an unmapped write pointer: EINVAL");
	bad = *b;
	bad.eop_va = 0x300000000ULL;
	tap_errno(create_queue(kfd, 0, &bad, 4096, NULL), EINVAL,
		  "an unmapped EOP buffer: EINVAL");

	memset(&a, 0, sizeof(a));
	a.ring_base_address = b->ring_va;
	a.read_pointer_address = b->rptr_va;
	a.write_pointer_address = b->wptr_va;
	a.ring_size = 4096;
	a.gpu_id = gpus[0].gpu_id;
	a.queue_percentage = 101;
	tap_errno(ioctl(kfd, AMDKFD_IOC_CREATE_QUEUE, &a), EINVAL,
		  "percentage 101: EINVAL");
	a.queue_percentage = 100;
	a.queue_priority = 16;
	tap_errno(ioctl(kfd, AMDKFD_IOC_CREATE_QUEUE, &a), EINVAL,
		  "priority 16: EINVAL");
	a.queue_priority = 0;
	a.gpu_id = 12345;
	tap_errno(ioctl(kfd, AMDKFD_IOC_CREATE_QUEUE, &a), EINVAL,
		  "unknown gpu_id: EINVAL");
	a.gpu_id = gpus[0].gpu_id;
	a.queue_type = KFD_IOC_QUEUE_TYPE_SDMA_BY_ENG_ID;
	a.sdma_engine_id = 99;
	tap_errno(ioctl(kfd, AMDKFD_IOC_CREATE_QUEUE, &a), EINVAL,
		  "SDMA engine 99: EINVAL");
	a.queue_type = 0;
	a.ring_base_address = 0xffff800000000000ULL;
	tap_errno(ioctl(kfd, AMDKFD_IOC_CREATE_QUEUE, &a), EFAULT,
		  "a kernel address for the ring: EFAULT");
	a.ring_base_address = b->ring_va;
	tap_errno(ioctl(other, AMDKFD_IOC_CREATE_QUEUE, &a), EINVAL,
		  "a secondary's queue on buffers it does not have mapped");
	close(other);
	tap_ok(vkfd_devices_sum("driver_contexts") >= 1,
	       "failed calls left the device alone");
}

static void test_queue_kinds(int kfd, const struct qbufs *bufs)
{
	static const unsigned int types[] = {
		KFD_IOC_QUEUE_TYPE_COMPUTE, KFD_IOC_QUEUE_TYPE_SDMA,
		KFD_IOC_QUEUE_TYPE_COMPUTE_AQL,
	};
	static const char *const sysfs_type[] = { "0", "1", "0" };
	struct kfd_ioctl_create_queue_args q[3];
	char buf[32];
	int i;

	for (i = 0; i < 3; i++) {
		tap_zero(create_queue(kfd, types[i], &bufs[i + 1], 4096, &q[i]),
			 "CREATE_QUEUE type %u", types[i]);
		tap_ok(q[i].doorbell_offset >> 62 == 3 &&
		       ((q[i].doorbell_offset >> 46) & 0xffff) == gpus[0].gpu_id,
		       "doorbell offset 0x%llx: type DOORBELL, our gpu_id",
		       (unsigned long long)q[i].doorbell_offset);
		tap_ok(!read_sysfs_queue(q[i].queue_id, "type", buf,
					 sizeof(buf)) &&
		       !strcmp(buf, sysfs_type[i]), "sysfs queues/%u/type %s",
		       q[i].queue_id, buf);
		tap_ok(!read_sysfs_queue(q[i].queue_id, "size", buf,
					 sizeof(buf)) && !strcmp(buf, "4096"),
		       "sysfs queues/%u/size 4096", q[i].queue_id);
	}
	tap_ok(q[0].queue_id != q[1].queue_id &&
	       q[0].doorbell_offset != q[1].doorbell_offset &&
	       q[1].doorbell_offset != q[2].doorbell_offset,
	       "distinct ids and doorbells");
	{
		void *db = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED,
				kfd, q[0].doorbell_offset & ~8191ULL);

		tap_ok(db != MAP_FAILED, "the doorbell page maps");
		if (db != MAP_FAILED)
			munmap(db, 8192);
	}
	{
		struct kfd_ioctl_get_queue_wave_state_args w = {
			.queue_id = q[0].queue_id,
		};
		uint32_t mask[2] = { ~0u, ~0u };
		struct kfd_ioctl_set_cu_mask_args cm = {
			.queue_id = q[0].queue_id, .num_cu_mask = 64,
			.cu_mask_ptr = (uintptr_t)mask,
		};

		tap_zero(ioctl(kfd, AMDKFD_IOC_GET_QUEUE_WAVE_STATE, &w),
			 "GET_QUEUE_WAVE_STATE of a compute queue");
		tap_ok(w.ctl_stack_used_size == 0 && w.save_area_used_size == 0,
		       "no waves, nothing saved");
		w.queue_id = q[1].queue_id;
		tap_errno(ioctl(kfd, AMDKFD_IOC_GET_QUEUE_WAVE_STATE, &w),
			  EINVAL, "GET_QUEUE_WAVE_STATE of an SDMA queue");
		tap_zero(ioctl(kfd, AMDKFD_IOC_SET_CU_MASK, &cm), "SET_CU_MASK");
		cm.num_cu_mask = 33;
		tap_errno(ioctl(kfd, AMDKFD_IOC_SET_CU_MASK, &cm), EINVAL,
			  "SET_CU_MASK of 33 bits");
		cm.num_cu_mask = 0;
		tap_errno(ioctl(kfd, AMDKFD_IOC_SET_CU_MASK, &cm), EINVAL,
			  "SET_CU_MASK of 0 bits");
		cm.num_cu_mask = 64;
		cm.cu_mask_ptr = 8;
		tap_errno(ioctl(kfd, AMDKFD_IOC_SET_CU_MASK, &cm), EFAULT,
			  "SET_CU_MASK from a bad pointer");
	}
	{
		struct kfd_ioctl_update_queue_args u = {
			.ring_base_address = bufs[1].ring_va,
			.queue_id = q[0].queue_id, .ring_size = 4096,
			.queue_percentage = 50, .queue_priority = 3,
		};

		tap_zero(ioctl(kfd, AMDKFD_IOC_UPDATE_QUEUE, &u),
			 "UPDATE_QUEUE");
		u.queue_priority = 99;
		tap_errno(ioctl(kfd, AMDKFD_IOC_UPDATE_QUEUE, &u), EINVAL,
			  "UPDATE_QUEUE with priority 99");
		u.queue_priority = 3;
		u.ring_base_address = 0x300000000ULL;
		tap_errno(ioctl(kfd, AMDKFD_IOC_UPDATE_QUEUE, &u), EINVAL,
			  "UPDATE_QUEUE to an unmapped ring");
		u.queue_id = 999;
		tap_errno(ioctl(kfd, AMDKFD_IOC_UPDATE_QUEUE, &u), EFAULT,
			  "UPDATE_QUEUE of an unknown queue");
	}
	for (i = 0; i < 3; i++)
		tap_zero(destroy_queue(kfd, q[i].queue_id), "DESTROY_QUEUE %u",
			 q[i].queue_id);
	tap_errno(destroy_queue(kfd, q[0].queue_id), EINVAL,
		  "DESTROY_QUEUE twice: EINVAL");
	tap_ok(!path_exists(KFD_PROC_SYSFS "/%d/queues/%u", getpid(),
			    q[0].queue_id), "its sysfs directory went");
}

/* amdkfd's limit: 1024 queues a process; ring BO shared by all */
static void test_many_queues(int kfd, const struct qbufs *b)
{
	static struct kfd_ioctl_create_queue_args q[1025];
	int n, i, bad = 0;

	for (n = 0; n < 1025; n++)
		if (create_queue(kfd, KFD_IOC_QUEUE_TYPE_SDMA, b, 4096, &q[n]))
			break;
	tap_ok(n == 1024 && errno == ENOMEM,
	       "1024 queues, the 1025th refused (%d made, %s)", n,
	       strerror(errno));
	for (i = 0; i < n; i++)
		bad += destroy_queue(kfd, q[i].queue_id) != 0;
	tap_ok(bad == 0, "all destroyed");
}

static int child_dies_with_queues(void *arg)
{
	int kfd = kfd_open(), i;
	struct qbufs b;

	if (bind_all_gpus(kfd) || make_bufs(kfd, 0, 4096, &b))
		return 1;
	for (i = 0; i < 16; i++)
		if (create_queue(kfd, i % 2 ? KFD_IOC_QUEUE_TYPE_SDMA
					    : KFD_IOC_QUEUE_TYPE_COMPUTE,
				 &b, 4096, NULL))
			return 2;
	if (*(int *)arg)
		raise(SIGKILL);
	return 0;
}


int main(void)
{
	struct qbufs bufs[4];
	int kfd, i, kill = 0;

	ngpu = vkfd_gpus(gpus, VKFD_MAX_GPUS);
	tap_ok(ngpu >= 1, "%d vkfd device(s)", ngpu);
	kfd = kfd_open();
	{
		struct kfd_ioctl_create_queue_args a = {
			.gpu_id = gpus[0].gpu_id, .ring_size = 4096,
		};

		tap_errno(ioctl(kfd, AMDKFD_IOC_CREATE_QUEUE, &a), ESRCH,
			  "CREATE_QUEUE before ACQUIRE_VM: ESRCH");
	}
	tap_zero(bind_all_gpus(kfd), "bound");
	for (i = 0; i < 4; i++)
		tap_zero(make_bufs(kfd, i, 4096, &bufs[i]),
			 "ring, pointer and EOP buffers %d", i);
	test_create_checks(kfd, &bufs[0]);
	test_queue_kinds(kfd, bufs);
	test_many_queues(kfd, &bufs[0]);
	tap_ok(run_child(child_dies_with_queues, &kill) == 0,
	       "a child exits with 16 queues");
	kill = 1;
	tap_ok(run_child(child_dies_with_queues, &kill) == 128 + SIGKILL,
	       "a child is killed with 16 queues");
	tap_ok(wait_contexts(ngpu, 20), "their contexts and queues are gone");
	close(kfd);
	printf("1..%d\n", tap_count);
	return tap_done();
}
