// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Guest test: real packets on real queues, end to end.  User space writes
 * PM4, SDMA and AQL packets into its rings, advances the write pointer,
 * rings the doorbell in the device's MMIO aperture, and checks what the
 * device did in memory.  Also: a primary and its secondary submitting at
 * once, and a process killed while its queue is busy.  Prints TAP.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "tap.h"
#include "kfd-queue-util.h"

static struct vkfd_gpu gpu;

static void test_pm4(int kfd, int drm)
{
	struct q q;
	uint32_t wd[] = {
		VKFD_PM4_HDR(VKFD_PM4_OP_WRITE_DATA, 5),
		VKFD_PM4_WD_MEM | VKFD_PM4_WD_WR_CONFIRM,
		0, 0, 0xcafebabe, 0x600df00d,
	};
	uint32_t rm[] = {
		VKFD_PM4_HDR(VKFD_PM4_OP_RELEASE_MEM, 7), VKFD_PM4_EVENT_EOP,
		VKFD_PM4_RM_DATA(VKFD_PM4_DATA_32),
		0, 0, 0x1234, 0, 0,
	};
	uint32_t nop[] = { VKFD_PM4_HDR(VKFD_PM4_OP_NOP, 3), 0, 0, 0 };
	uint64_t t;

	if (!tap_ok(queue_open(&gpu, &q, kfd, drm, 0x300000000ULL,
			       KFD_IOC_QUEUE_TYPE_COMPUTE) == 0,
		    "a PM4 compute queue"))
		return;
	t = data_va(&q, 0);
	wd[2] = (uint32_t)t;
	wd[3] = t >> 32;
	t = data_va(&q, 64);
	rm[3] = (uint32_t)t;
	rm[4] = t >> 32;
	emit(&q, nop, 4);
	emit(&q, wd, 6);
	emit(&q, rm, 8);
	kick(&q, q.wptr);
	tap_ok(wait_u32(q.data, 0xcafebabe) &&
	       *(volatile uint32_t *)(q.data + 4) == 0x600df00d,
	       "PM4 WRITE_DATA landed in memory");
	tap_ok(wait_u32(q.data + 64, 0x1234), "PM4 RELEASE_MEM wrote its data");
	tap_ok(queue_wait_consumed(&q),
	       "the read pointer caught up (%llu dwords)",
	       (unsigned long long)q.wptr);

	/* around the end of the ring, 100 packets later */
	for (t = 0; t < 100; t++) {
		wd[4] = (uint32_t)t;
		emit(&q, wd, 6);
		kick(&q, q.wptr);
	}
	tap_ok(wait_u32(q.data, 99), "100 more packets, around the ring");

	/* WAIT_REG_MEM holds the queue until memory says go */
	{
		uint64_t flag = data_va(&q, 128);
		uint32_t wait[] = {
			VKFD_PM4_HDR(VKFD_PM4_OP_WAIT_REG_MEM, 6),
			VKFD_PM4_WRM_MEM_SPACE | VKFD_SDMA_FUNC_EQ,
			(uint32_t)flag, flag >> 32, 1, 0xffffffff, 4,
		};

		wd[4] = 0xdead;
		emit(&q, wait, 7);
		emit(&q, wd, 6);
		kick(&q, q.wptr);
		usleep(50000);
		tap_ok(*(volatile uint32_t *)q.data == 99,
		       "WAIT_REG_MEM holds the next packet");
		*(volatile uint32_t *)(q.data + 128) = 1;
		tap_ok(wait_u32(q.data, 0xdead), "and lets it go once satisfied");
	}

	/* UPDATE_QUEUE remaps it; it resumes where it stopped */
	{
		struct kfd_ioctl_update_queue_args u = {
			.ring_base_address = q.base_va, .queue_id = q.id,
			.ring_size = q.ring_size, .queue_percentage = 50,
			.queue_priority = 9,
		};

		tap_zero(ioctl(kfd, AMDKFD_IOC_UPDATE_QUEUE, &u),
			 "UPDATE_QUEUE of a queue that has run");
		wd[4] = 0xbeef;
		emit(&q, wd, 6);
		kick(&q, q.wptr);
		tap_ok(wait_u32(q.data, 0xbeef) && queue_wait_consumed(&q),
		       "and carries on from where it was (rptr %u of %llu "
		       "dwords)", *(volatile uint32_t *)q.ptrs,
		       (unsigned long long)q.wptr);
	}
}

/*
 * The ring wrapped five times, each submission waited for as kfdtest's
 * PM4Queue waits: until the read pointer the CP writes back (a 32-bit
 * dword offset into the ring) equals wptr % ring dwords.  Batches of 1 to
 * 40 WRITE_DATA packets (5 dwords each), so that packets and batches
 * straddle the ring's end; the dword after the read pointer is ours.
 */
static void test_pm4_rptr_wrap(int kfd, int drm)
{
	volatile uint32_t *out;
	uint32_t ring_dw, wraps = 0, prev = 0, seq = 0, rp, k, i;
	bool ok = true, landed = true;
	unsigned int kicks = 0;
	struct q q;

	if (!tap_ok(queue_open(&gpu, &q, kfd, drm, 0x700000000ULL,
			       KFD_IOC_QUEUE_TYPE_COMPUTE) == 0,
		    "a second PM4 queue, for wrapping"))
		return;
	ring_dw = q.ring_size / 4;
	out = (volatile uint32_t *)q.data;
	((volatile uint32_t *)q.ptrs)[1] = 0x5a5a5a5a;
	while (q.wptr < 5 * ring_dw + ring_dw / 2) {
		k = 1 + (kicks * 7) % 40;
		for (i = 0; i < k; i++) {
			uint64_t t = data_va(&q, (seq % 256) * 4);
			uint32_t wd[] = {
				VKFD_PM4_HDR(VKFD_PM4_OP_WRITE_DATA, 4),
				VKFD_PM4_WD_MEM, (uint32_t)t, t >> 32, ++seq
			};

			emit(&q, wd, 5);
		}
		kick(&q, q.wptr);
		kicks++;
		if (!queue_wait_consumed(&q)) {
			ok = false;
			break;
		}
		landed &= out[(seq - 1) % 256] == seq;
		rp = *(volatile uint32_t *)q.ptrs;
		wraps += rp < prev;
		prev = rp;
	}
	tap_ok(ok, "%u submissions, each wait ended with *rptr == wptr %% %u "
	       "(last rptr %u, wptr %llu)", kicks, ring_dw,
	       *(volatile uint32_t *)q.ptrs, (unsigned long long)q.wptr);
	tap_ok(wraps == 5, "the read pointer wrapped 5 times (%u)", wraps);
	tap_ok(landed, "every submission's last WRITE_DATA landed (%u packets)",
	       seq);
	tap_ok(((volatile uint32_t *)q.ptrs)[1] == 0x5a5a5a5a,
	       "the write-back is 32 bits: the next dword is untouched");
	queue_close(&q);
}

static void test_sdma(int kfd, int drm)
{
	struct q q;
	uint64_t src, dst, w, f;
	uint32_t fill[5], copy[7], write[6], fence[4];

	if (!tap_ok(queue_open(&gpu, &q, kfd, drm, 0x400000000ULL,
			       KFD_IOC_QUEUE_TYPE_SDMA) == 0, "an SDMA queue"))
		return;
	src = data_va(&q, 0x1000);
	dst = data_va(&q, 0x8000);
	w = data_va(&q, 0x20);
	f = data_va(&q, 0x40);
	fill[0] = VKFD_SDMA_HEADER(VKFD_SDMA_OP_CONST_FILL, 0) |
		  VKFD_SDMA_FILL_DWORD;
	fill[1] = (uint32_t)src;
	fill[2] = src >> 32;
	fill[3] = 0x5a5a5a5a;
	fill[4] = 0x4000 - 1;
	copy[0] = VKFD_SDMA_HEADER(VKFD_SDMA_OP_COPY, 0);
	copy[1] = 0x4000 - 1;
	copy[2] = 0;
	copy[3] = (uint32_t)src;
	copy[4] = src >> 32;
	copy[5] = (uint32_t)dst;
	copy[6] = dst >> 32;
	write[0] = VKFD_SDMA_HEADER(VKFD_SDMA_OP_WRITE, 0);
	write[1] = (uint32_t)w;
	write[2] = w >> 32;
	write[3] = 2 - 1;
	write[4] = 0x11111111;
	write[5] = 0x22222222;
	fence[0] = VKFD_SDMA_HEADER(VKFD_SDMA_OP_FENCE, 0);
	fence[1] = (uint32_t)f;
	fence[2] = f >> 32;
	fence[3] = 7;
	emit(&q, fill, 5);
	emit(&q, copy, 7);
	emit(&q, write, 6);
	emit(&q, fence, 4);
	kick(&q, q.wptr);
	tap_ok(wait_u32(q.data + 0x40, 7), "SDMA FENCE signalled");
	tap_ok(*(volatile uint32_t *)(q.data + 0x1000 + 0x3ffc) == 0x5a5a5a5a,
	       "SDMA CONSTANT_FILL filled 16 KiB");
	tap_ok(*(volatile uint32_t *)(q.data + 0x8000) == 0x5a5a5a5a &&
	       *(volatile uint32_t *)(q.data + 0x8000 + 0x3ffc) == 0x5a5a5a5a,
	       "SDMA COPY_LINEAR copied it");
	tap_ok(*(volatile uint32_t *)(q.data + 0x20) == 0x11111111 &&
	       *(volatile uint32_t *)(q.data + 0x24) == 0x22222222,
	       "SDMA WRITE wrote two dwords");
}

/* One 64-byte AQL packet into slot i of the ring, header last. */
static void aql_put(struct q *q, const uint8_t *pkt)
{
	uint8_t *slot = (uint8_t *)q->ring + (q->wptr % 64) * 64;

	memcpy(slot + 2, pkt + 2, 62);
	__atomic_store_n((uint16_t *)slot, *(const uint16_t *)pkt,
			 __ATOMIC_RELEASE);
	q->wptr++;
}

static void test_aql(int kfd, int drm)
{
	struct vkfd_kernel_desc *kd;
	struct vkfd_kernarg_fill *ka;
	uint8_t pkt[64];
	struct q q;
	uint64_t sig, i;
	bool ok = true;

	if (!tap_ok(queue_open(&gpu, &q, kfd, drm, 0x500000000ULL,
			       KFD_IOC_QUEUE_TYPE_COMPUTE_AQL) == 0,
		    "an AQL queue"))
		return;
	kd = (struct vkfd_kernel_desc *)(q.data + 0x100);
	kd->magic = VKFD_KERNEL_MAGIC;
	kd->id = VKFD_KERNEL_FILL;
	ka = (struct vkfd_kernarg_fill *)(q.data + 0x200);
	ka->dst = data_va(&q, 0x10000);
	ka->value = 0x77;
	ka->count = 1024;
	sig = data_va(&q, 0x300);
	*(volatile int64_t *)(q.data + 0x300 + VKFD_SIGNAL_VALUE) = 2;

	memset(pkt, 0, sizeof(pkt));
	*(uint16_t *)pkt = VKFD_AQL_TYPE_KERNEL | VKFD_AQL_HEADER_BARRIER;
	*(uint16_t *)(pkt + 2) = 1;			/* one dimension */
	*(uint16_t *)(pkt + 4) = 64;			/* workgroup x */
	*(uint16_t *)(pkt + 6) = 1;
	*(uint16_t *)(pkt + 8) = 1;
	*(uint32_t *)(pkt + 12) = 1024;			/* grid x */
	*(uint32_t *)(pkt + 16) = 1;
	*(uint32_t *)(pkt + 20) = 1;
	*(uint64_t *)(pkt + 32) = data_va(&q, 0x100);	/* kernel object */
	*(uint64_t *)(pkt + 40) = data_va(&q, 0x200);	/* kernarg */
	*(uint64_t *)(pkt + 56) = sig;
	aql_put(&q, pkt);

	memset(pkt, 0, sizeof(pkt));
	*(uint16_t *)pkt = VKFD_AQL_TYPE_BARRIER_AND;
	*(uint64_t *)(pkt + 56) = sig;
	aql_put(&q, pkt);
	kick(&q, q.wptr - 1);

	tap_ok(wait_u32(q.data + 0x300 + VKFD_SIGNAL_VALUE, 0),
	       "AQL: the completion signal went 2 -> 0");
	for (i = 0; i < 1024; i++)
		ok &= *(volatile uint32_t *)(q.data + 0x10000 + 4 * i) == 0x77;
	tap_ok(ok, "the built-in fill kernel ran over a 1024-item grid");
	tap_ok(wait_u32((volatile uint8_t *)&q.ptrs[0], 2),
	       "read_dispatch_id advanced to 2");
	tap_ok(*(volatile uint16_t *)q.ring == VKFD_AQL_TYPE_INVALID,
	       "and the consumed slot was released (INVALID)");
}

struct writer {
	struct q q;
	int n;
	bool ok;
};

static void *writer_thread(void *arg)
{
	struct writer *w = arg;
	uint32_t wd[] = {
		VKFD_PM4_HDR(VKFD_PM4_OP_WRITE_DATA, 3), VKFD_PM4_WD_MEM, 0, 0,
	};
	uint64_t t = data_va(&w->q, 0);
	int i;

	wd[2] = (uint32_t)t;
	wd[3] = t >> 32;
	for (i = 1; i <= w->n; i++) {
		uint32_t pkt[5] = {
			VKFD_PM4_HDR(VKFD_PM4_OP_WRITE_DATA, 4), wd[1], wd[2],
			wd[3], (uint32_t)i
		};

		emit(&w->q, pkt, 5);
		kick(&w->q, w->q.wptr);
		if (!wait_u32(w->q.data, i)) {
			w->ok = false;
			return NULL;
		}
	}
	w->ok = true;
	return NULL;
}

/*
 * In a child: its mappings of the secondary's doorbell page keep the
 * secondary's file (and so the secondary) alive until they go at exit.
 */
static int primary_and_secondary(void *arg)
{
	int kfd = kfd_open(), drm = open_render_node(&gpu);
	int sec = kfd_open(), sdrm = open_render_node(&gpu);
	struct writer a, b;
	pthread_t ta, tb;

	if (acquire_vm(kfd, drm, gpu.gpu_id) ||
	    ioctl(sec, AMDKFD_IOC_CREATE_PROCESS) ||
	    acquire_vm(sec, sdrm, gpu.gpu_id)) {
		tap_ok(0, "a primary and a secondary bound to the GPU");
		return 1;
	}
	/* the same VAs in both: two address spaces */
	if (!tap_ok(queue_open(&gpu, &a.q, kfd, drm, 0x600000000ULL,
			       KFD_IOC_QUEUE_TYPE_COMPUTE) == 0 &&
		    queue_open(&gpu, &b.q, sec, sdrm, 0x600000000ULL,
			       KFD_IOC_QUEUE_TYPE_COMPUTE) == 0,
		    "a primary and its secondary each have a queue at one VA"))
		return 1;
	a.n = b.n = 300;
	pthread_create(&ta, NULL, writer_thread, &a);
	pthread_create(&tb, NULL, writer_thread, &b);
	pthread_join(ta, NULL);
	pthread_join(tb, NULL);
	tap_ok(a.ok && b.ok, "both submitted 300 packets at once, each into "
	       "its own memory");
	return 0;
}

static int busy_then_killed(void *arg)
{
	int kfd = kfd_open(), drm = open_render_node(&gpu);
	struct q q;
	uint64_t flag;
	uint32_t wait[7];

	if (acquire_vm(kfd, drm, gpu.gpu_id) ||
	    queue_open(&gpu, &q, kfd, drm, 0x300000000ULL,
		       KFD_IOC_QUEUE_TYPE_COMPUTE))
		return 1;
	flag = data_va(&q, 0);
	wait[0] = VKFD_PM4_HDR(VKFD_PM4_OP_WAIT_REG_MEM, 6);
	wait[1] = VKFD_PM4_WRM_MEM_SPACE | VKFD_SDMA_FUNC_EQ;
	wait[2] = (uint32_t)flag;
	wait[3] = flag >> 32;
	wait[4] = 1;		/* never written */
	wait[5] = 0xffffffff;
	wait[6] = 4;
	emit(&q, wait, 7);
	kick(&q, q.wptr);
	usleep(20000);
	raise(SIGKILL);
	return 0;
}

int main(void)
{
	int kfd, drm, status;
	pid_t pid;

	tap_share();
	if (!tap_ok(vkfd_gpus(&gpu, 1) == 1, "a vkfd device"))
		return tap_done();
	kfd = kfd_open();
	drm = open_render_node(&gpu);
	tap_zero(acquire_vm(kfd, drm, gpu.gpu_id), "bound");
	test_pm4(kfd, drm);
	test_pm4_rptr_wrap(kfd, drm);
	test_sdma(kfd, drm);
	test_aql(kfd, drm);
	fflush(stdout);
	pid = fork();
	if (pid == 0)
		_exit(primary_and_secondary(NULL));
	waitpid(pid, &status, 0);
	tap_ok(WIFEXITED(status) && !WEXITSTATUS(status),
	       "that process exits cleanly");

	fflush(stdout);
	pid = fork();
	if (pid == 0)
		_exit(busy_then_killed(NULL));
	waitpid(pid, &status, 0);
	tap_ok(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
	       "a process killed while its queue waits");
	tap_ok(wait_contexts(1, 20), "its queue and context went with it");
	close(kfd);
	printf("1..%d\n", tap_count);
	return tap_done();
}
