// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Guest stress test: many queues in many contexts, driven from several
 * threads of several processes at once (issue 14).
 *
 * By default 2 processes, each with 32 contexts (its primary and 31
 * secondaries made by AMDKFD_IOC_CREATE_PROCESS) and 4 threads: 64
 * contexts of 16 queues, 1024 queues, PM4, SDMA and AQL in turn.  Each
 * thread makes its contexts and queues concurrently with the others,
 * then submits rounds of packets to all of them without waiting for the
 * other threads.  Every packet writes a value of its own (context, queue,
 * packet) to a slot of its own: PM4 WRITE_DATA, SDMA FENCE, and an AQL
 * dispatch of the built-in fill kernel over one dword.  Every slot is
 * checked after every round, and the slots of packets never submitted
 * must stay 0.
 *
 * Half-way, while the other threads keep submitting, each thread
 * destroys the last queue of each of its contexts and one thread closes
 * a whole secondary with its queues still live; the other queues must
 * go on as before.  At the end the processes exit with everything still
 * mapped, and the device must be left with no context, no page table,
 * no VRAM and no system pages.
 *
 * usage: kfd-stress [--procs N] [--threads N] [--contexts N]
 *                   [--queues N] [--rounds N] [--packets N]
 * (contexts and queues per process and per context; packets per queue
 * and round)
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <pthread.h>

#include "tap.h"
#include "kfd-queue-util.h"

#define MAX_CTX		256
#define MAX_Q		64

/* GPU VAs in each context's VM (every context has a VM of its own). */
#define CTL_VA		VA0			/* pointers, results, AQL */
#define CTL_SIZE	(256 * 1024)
#define PTRS_OFF	0x0			/* 64 bytes a queue */
#define KDESC_OFF	0x1000			/* the fill kernel's descriptor */
#define RESULTS_OFF	0x2000			/* a dword a packet */
#define RING_VA(q)	(VA0 + 0x1000000ULL + (uint64_t)(q) * 0x10000)
#define RING_SIZE	4096
#define EOP_VA		(VA0 + 0x2000000ULL)	/* VRAM, 4 KiB a queue */
#define EOP_SIZE	4096

static int nprocs = 2, nthreads = 4, nctx = 32, nq = 16, rounds = 8,
	   npkt = 4;
static struct vkfd_gpu gpus[VKFD_MAX_GPUS];
static int ngpu;

struct squeue {
	uint32_t type, id;
	uint32_t *ring;
	uint64_t wptr;			/* in the queue's units */
	volatile uint64_t *doorbell;
	int sent;			/* packets submitted */
	bool live;
};

struct sctx {
	int index;			/* over all processes */
	int kfd, drm;
	bool secondary, open;
	const struct vkfd_gpu *gpu;
	volatile uint8_t *ctl;
	void *eop, *db_page;
	struct squeue q[MAX_Q];
};

struct sthread {
	pthread_t tid;
	int t;
	struct sctx *ctx[MAX_CTX];
	int n;
	/* what went wrong, for the report */
	int setup_failed, wrong, stray, timeouts, destroy_failed;
	long checked;
};

static struct sctx ctxs[MAX_CTX];
static pthread_barrier_t setup_done, counted;

static uint32_t slot_value(const struct sctx *c, int q, int i)
{
	return (uint32_t)c->index << 22 | (uint32_t)q << 14 | (uint32_t)(i + 1);
}

static volatile uint32_t *slot(const struct sctx *c, int q, int i)
{
	return (volatile uint32_t *)(c->ctl + RESULTS_OFF) +
	       q * rounds * npkt + i;
}

static uint64_t slot_va(int q, int i)
{
	return CTL_VA + RESULTS_OFF + 4ULL * (q * rounds * npkt + i);
}

static volatile uint64_t *ptrs(const struct sctx *c, int q)
{
	return (volatile uint64_t *)(c->ctl + PTRS_OFF + 64 * q);
}

static void *bo(struct sctx *c, uint64_t va, uint64_t size, unsigned int where)
{
	unsigned int id = c->gpu->gpu_id, n = 0;
	uint64_t h, off = 0;
	void *p;

	if (alloc_bo(c->kfd, id, va, size, where | F_RW, &h, &off) ||
	    map_bo(c->kfd, h, &id, 1, true, &n))
		return NULL;
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, c->drm, off);
	return p == MAP_FAILED ? NULL : p;
}

static uint32_t queue_type(int q)
{
	static const uint32_t types[] = {
		KFD_IOC_QUEUE_TYPE_COMPUTE, KFD_IOC_QUEUE_TYPE_SDMA,
		KFD_IOC_QUEUE_TYPE_COMPUTE_AQL,
	};

	return types[q % 3];
}

static int queue_make(struct sctx *c, int qi)
{
	struct kfd_ioctl_create_queue_args a = { 0 };
	struct squeue *q = &c->q[qi];

	q->type = queue_type(qi);
	q->ring = bo(c, RING_VA(qi), RING_SIZE, F_GTT);
	if (!q->ring)
		return -1;
	a.ring_base_address = RING_VA(qi);
	a.ring_size = RING_SIZE;
	a.read_pointer_address = CTL_VA + PTRS_OFF + 64 * qi;
	a.write_pointer_address = a.read_pointer_address + 8;
	a.gpu_id = c->gpu->gpu_id;
	a.queue_type = q->type;
	a.queue_percentage = 100;
	if (q->type != KFD_IOC_QUEUE_TYPE_SDMA) {
		a.eop_buffer_address = EOP_VA + (uint64_t)qi * EOP_SIZE;
		a.eop_buffer_size = EOP_SIZE;
	}
	if (ioctl(c->kfd, AMDKFD_IOC_CREATE_QUEUE, &a))
		return -1;
	q->id = a.queue_id;
	if (!c->db_page) {
		c->db_page = mmap(NULL, VKFD_DOORBELL_PAGE_SIZE,
				  PROT_READ | PROT_WRITE, MAP_SHARED, c->kfd,
				  a.doorbell_offset &
				  ~(uint64_t)(VKFD_DOORBELL_PAGE_SIZE - 1));
		if (c->db_page == MAP_FAILED) {
			c->db_page = NULL;
			return -1;
		}
	}
	q->doorbell = (volatile uint64_t *)((char *)c->db_page +
		(a.doorbell_offset & (VKFD_DOORBELL_PAGE_SIZE - 1)));
	q->live = true;
	return 0;
}

/* A context: its file, a secondary unless it is the process's first. */
static int ctx_make(struct sctx *c, int primary_fd)
{
	struct vkfd_kernel_desc *kd;
	int qi;

	c->kfd = primary_fd >= 0 ? primary_fd : kfd_open();
	if (c->kfd < 0)
		return -1;
	c->open = true;
	if (primary_fd < 0) {
		if (ioctl(c->kfd, AMDKFD_IOC_CREATE_PROCESS))
			return -1;
		c->secondary = true;
	}
	c->drm = open_render_node(c->gpu);
	if (c->drm < 0 || acquire_vm(c->kfd, c->drm, c->gpu->gpu_id))
		return -1;
	c->ctl = bo(c, CTL_VA, CTL_SIZE, F_GTT);
	c->eop = bo(c, EOP_VA, (uint64_t)nq * EOP_SIZE, F_VRAM);
	if (!c->ctl || !c->eop)
		return -1;
	kd = (struct vkfd_kernel_desc *)(c->ctl + KDESC_OFF);
	kd->magic = VKFD_KERNEL_MAGIC;
	kd->id = VKFD_KERNEL_FILL;
	for (qi = 0; qi < nq; qi++)
		if (queue_make(c, qi))
			return -1;
	return 0;
}

/* Drop the context's CPU mappings and files: a secondary ends here. */
static void ctx_close(struct sctx *c)
{
	int qi;

	for (qi = 0; qi < nq; qi++)
		if (c->q[qi].ring)
			munmap(c->q[qi].ring, RING_SIZE);
	if (c->ctl)
		munmap((void *)c->ctl, CTL_SIZE);
	if (c->eop)
		munmap(c->eop, (uint64_t)nq * EOP_SIZE);
	if (c->db_page)
		munmap(c->db_page, VKFD_DOORBELL_PAGE_SIZE);
	close(c->drm);
	close(c->kfd);
	c->open = false;
}

static void aql_emit(struct sctx *c, struct squeue *q, int qi, int i)
{
	uint8_t *pkt = (uint8_t *)q->ring + (q->wptr % (RING_SIZE / 64)) * 64;
	/* kernargs: 16 bytes a packet, after the results */
	uint64_t ka_off = RESULTS_OFF + 4ULL * ((nq * rounds * npkt + 3) & ~3) +
			  16ULL * (qi * rounds * npkt + i);
	struct vkfd_kernarg_fill *ka =
		(struct vkfd_kernarg_fill *)(c->ctl + ka_off);

	ka->dst = slot_va(qi, i);
	ka->value = slot_value(c, qi, i);
	ka->count = 1;
	memset(pkt + 2, 0, 62);
	*(uint16_t *)(pkt + 2) = 1;			/* one dimension */
	*(uint16_t *)(pkt + 4) = 1;			/* workgroup 1x1x1 */
	*(uint16_t *)(pkt + 6) = 1;
	*(uint16_t *)(pkt + 8) = 1;
	*(uint32_t *)(pkt + 12) = 1;			/* grid 1x1x1 */
	*(uint32_t *)(pkt + 16) = 1;
	*(uint32_t *)(pkt + 20) = 1;
	*(uint64_t *)(pkt + 32) = CTL_VA + KDESC_OFF;	/* kernel object */
	*(uint64_t *)(pkt + 40) = CTL_VA + ka_off;	/* kernarg */
	__atomic_store_n((uint16_t *)pkt, VKFD_AQL_TYPE_KERNEL,
			 __ATOMIC_RELEASE);
	q->wptr++;
}

static void ring_emit(struct squeue *q, const uint32_t *dw, unsigned int n)
{
	unsigned int k, ring_dw = RING_SIZE / 4;
	uint64_t pos = q->type == KFD_IOC_QUEUE_TYPE_SDMA ? q->wptr / 4
							   : q->wptr;

	for (k = 0; k < n; k++)
		q->ring[(pos + k) % ring_dw] = dw[k];
	q->wptr += q->type == KFD_IOC_QUEUE_TYPE_SDMA ? n * 4 : n;
}

/* npkt packets on queue qi, then its doorbell. */
static void submit(struct sctx *c, int qi)
{
	struct squeue *q = &c->q[qi];
	int k;

	for (k = 0; k < npkt; k++) {
		int i = q->sent++;
		uint64_t va = slot_va(qi, i);
		uint32_t v = slot_value(c, qi, i);

		if (q->type == KFD_IOC_QUEUE_TYPE_COMPUTE) {
			uint32_t wd[] = {
				VKFD_PM4_HDR(VKFD_PM4_OP_WRITE_DATA, 4), VKFD_PM4_WD_MEM,
				(uint32_t)va, va >> 32, v,
			};

			ring_emit(q, wd, 5);
		} else if (q->type == KFD_IOC_QUEUE_TYPE_SDMA) {
			uint32_t f[] = {
				VKFD_SDMA_HEADER(VKFD_SDMA_OP_FENCE, 0),
				(uint32_t)va, va >> 32, v };

			ring_emit(q, f, 4);
		} else {
			aql_emit(c, q, qi, i);
		}
	}
	__atomic_store_n(&ptrs(c, qi)[1], q->wptr, __ATOMIC_RELEASE);
	*q->doorbell = q->type == KFD_IOC_QUEUE_TYPE_COMPUTE_AQL ?
		       q->wptr - 1 : q->wptr;
}

static bool consumed(struct sctx *c, int qi)
{
	struct squeue *q = &c->q[qi];

	if (q->type == KFD_IOC_QUEUE_TYPE_COMPUTE)
		return __atomic_load_n((volatile uint32_t *)ptrs(c, qi),
				       __ATOMIC_ACQUIRE) ==
		       q->wptr % (RING_SIZE / 4);
	return __atomic_load_n(ptrs(c, qi), __ATOMIC_ACQUIRE) == q->wptr;
}

/* Wait for the round's packets of every live queue of the thread. */
static void wait_round(struct sthread *th)
{
	double end = now_s() + 60;
	bool done;
	int ci, qi, i;

	do {
		done = true;
		for (ci = 0; ci < th->n && done; ci++) {
			struct sctx *c = th->ctx[ci];

			for (qi = 0; qi < nq && done; qi++)
				if (c->open && c->q[qi].live &&
				    (!consumed(c, qi) ||
				     *slot(c, qi, c->q[qi].sent - 1) !=
				     slot_value(c, qi, c->q[qi].sent - 1)))
					done = false;
		}
		if (!done)
			usleep(200);
	} while (!done && now_s() < end);
	if (!done)
		th->timeouts++;
	/* every slot so far, and none beyond */
	for (ci = 0; ci < th->n; ci++) {
		struct sctx *c = th->ctx[ci];

		if (!c->open)
			continue;
		for (qi = 0; qi < nq; qi++)
			for (i = 0; i < rounds * npkt; i++) {
				uint32_t v = *slot(c, qi, i);

				if (i < c->q[qi].sent) {
					th->checked++;
					th->wrong += v != slot_value(c, qi, i);
				} else {
					th->stray += v != 0;
				}
			}
	}
}

static void *thread_main(void *arg)
{
	struct sthread *th = arg;
	int ci, qi, r;

	for (ci = 0; ci < th->n; ci++) {
		struct sctx *c = th->ctx[ci];

		/* the process's first context stays its primary */
		if (c->kfd >= 0 ? ctx_make(c, c->kfd) : ctx_make(c, -1))
			th->setup_failed++;
	}
	pthread_barrier_wait(&setup_done);
	/* the process looks at sysfs before anything is destroyed */
	pthread_barrier_wait(&counted);
	if (th->setup_failed)
		return NULL;
	for (r = 0; r < rounds; r++) {
		if (r == rounds / 2) {
			/* others run on: a queue of each context goes */
			for (ci = 0; ci < th->n; ci++) {
				struct sctx *c = th->ctx[ci];
				struct kfd_ioctl_destroy_queue_args d = {
					.queue_id = c->q[nq - 1].id,
				};

				if (ioctl(c->kfd, AMDKFD_IOC_DESTROY_QUEUE, &d))
					th->destroy_failed++;
				c->q[nq - 1].live = false;
			}
			/* and thread 0 closes a secondary with live queues */
			if (th->t == 0 && th->n > 1 && th->ctx[1]->secondary)
				ctx_close(th->ctx[1]);
		}
		for (ci = 0; ci < th->n; ci++)
			for (qi = 0; qi < nq; qi++)
				if (th->ctx[ci]->open && th->ctx[ci]->q[qi].live)
					submit(th->ctx[ci], qi);
		wait_round(th);
	}
	return NULL;
}

/* What a process found, for the parent to report. */
struct presult {
	int setup, dirs, qdirs, wrong, stray, timeouts, destroy, live_q,
	    live_want;
	long checked, sent;
	long long pt_pages, vram;	/* device-wide, once all is made */
	bool done;
};

static struct presult *results;

/* One process: nctx contexts served by nthreads threads. */
static int process_main(int p)
{
	struct sthread *th = calloc(nthreads, sizeof(*th));
	struct presult *res = &results[p];
	char dir[128];
	int t, ci, qi;

	pthread_barrier_init(&setup_done, NULL, nthreads + 1);
	pthread_barrier_init(&counted, NULL, nthreads + 1);
	for (ci = 0; ci < nctx; ci++) {
		struct sctx *c = &ctxs[ci];
		struct sthread *owner = &th[ci % nthreads];

		c->index = p * nctx + ci;
		c->gpu = &gpus[c->index % ngpu];
		c->kfd = ci == 0 ? kfd_open() : -1;	/* the primary */
		owner->ctx[owner->n++] = c;
	}
	for (t = 0; t < nthreads; t++) {
		th[t].t = t;
		pthread_create(&th[t].tid, NULL, thread_main, &th[t]);
	}
	pthread_barrier_wait(&setup_done);
	for (t = 0; t < nthreads; t++)
		res->setup += th[t].setup_failed;
	res->pt_pages = vkfd_devices_sum("pt_pages");
	res->vram = vkfd_devices_sum("vram_used");
	/* while every context and queue is there */
	snprintf(dir, sizeof(dir), KFD_PROC_SYSFS "/%d", getpid());
	res->dirs = count_entries(dir, "context_");
	for (ci = 0; ci < nctx - 1; ci++) {
		char qd[192];

		snprintf(qd, sizeof(qd), "%s/context_%d/queues", dir, ci);
		res->qdirs += count_entries(qd, "") - 2;	/* . and .. */
	}
	pthread_barrier_wait(&counted);
	for (t = 0; t < nthreads; t++)
		pthread_join(th[t].tid, NULL);
	for (t = 0; t < nthreads; t++) {
		res->wrong += th[t].wrong;
		res->stray += th[t].stray;
		res->timeouts += th[t].timeouts;
		res->destroy += th[t].destroy_failed;
		res->checked += th[t].checked;
	}
	for (ci = 0; ci < nctx; ci++)
		for (qi = 0; qi < nq; qi++) {
			res->sent += ctxs[ci].q[qi].sent;
			res->live_q += ctxs[ci].open && ctxs[ci].q[qi].live;
		}
	/* each context lost a queue; thread 0 closed a secondary */
	res->live_want = nctx * (nq - 1) - (th[0].n > 1 ? nq - 1 : 0);
	res->done = true;
	free(th);
	/* exit with every context, queue and mapping left to the kernel */
	return 0;
}

static void report(int p)
{
	struct presult *r = &results[p];

	tap_ok(r->done && r->setup == 0 && r->pt_pages > 0 &&
	       r->vram >= (long long)nctx * nq * EOP_SIZE,
	       "process %d: %d contexts (its primary, %d secondaries) of %d queues, made by %d threads at once (device: %lld page-table pages, %lld bytes of VRAM)",
	       p, nctx, nctx - 1, nq, nthreads, r->pt_pages, r->vram);
	tap_ok(r->dirs == nctx - 1 && r->qdirs == (nctx - 1) * nq,
	       "process %d: sysfs: %d context_<id> directories, %d queues in them",
	       p, r->dirs, r->qdirs);
	tap_ok(r->sent > 0 && r->timeouts == 0 && r->wrong == 0,
	       "process %d: %ld packets, each one's value in its slot (%ld slot checks, %d wrong, %d waits timed out)",
	       p, r->sent, r->checked, r->wrong, r->timeouts);
	tap_ok(r->stray == 0 && r->destroy == 0,
	       "process %d: no slot written past what was sent, destroyed queues' included (%d stray; %d destroys failed)",
	       p, r->stray, r->destroy);
	tap_ok(r->live_q == r->live_want,
	       "process %d: exits with %d queues live and everything mapped",
	       p, r->live_q);
}

/*
 * Every entry amdkfd makes for a kfd_process is there as soon as the
 * process is, before any queue: proc/<pid>/ at open, context_<id>/ at
 * CREATE_PROCESS.  In a child, so that the parent never has a primary.
 */
static bool has_entries(const char *dir)
{
	int i;

	if (!path_exists("%s/pasid", dir) || !path_exists("%s/queues", dir) ||
	    count_entries(dir, "vram_") != ngpu ||
	    count_entries(dir, "sdma_") != ngpu)
		return false;
	for (i = 0; i < ngpu; i++)
		if (!path_exists("%s/vram_%u", dir, gpus[i].gpu_id) ||
		    !path_exists("%s/sdma_%u", dir, gpus[i].gpu_id))
			return false;
	return true;
}

static int entries_child(void *arg)
{
	char dir[128], sec[160];
	int fd = kfd_open(), fd2 = kfd_open();

	snprintf(dir, sizeof(dir), KFD_PROC_SYSFS "/%d", getpid());
	snprintf(sec, sizeof(sec), "%s/context_0", dir);
	if (fd < 0 || fd2 < 0 || !has_entries(dir))
		return 1;
	if (ioctl(fd2, AMDKFD_IOC_CREATE_PROCESS) || !has_entries(sec))
		return 2;
	close(fd2);
	return wait_path_gone(sec, 20) ? 0 : 3;
}

static bool wait_processes_gone(double timeout_s)
{
	double end = now_s() + timeout_s;

	do {
		if (vkfd_process_count() == 0)
			return true;
		usleep(2000);
	} while (now_s() < end);
	return false;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "procs", required_argument, NULL, 'p' },
		{ "threads", required_argument, NULL, 't' },
		{ "contexts", required_argument, NULL, 'c' },
		{ "queues", required_argument, NULL, 'q' },
		{ "rounds", required_argument, NULL, 'r' },
		{ "packets", required_argument, NULL, 'k' },
		{ 0 }
	};
	int o, p, status, failed = 0;
	unsigned long used0 = 0, used = ~0UL;
	pid_t pids[64];
	double t0 = now_s();

	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		int v = atoi(optarg);

		if (o == 'p')
			nprocs = v;
		else if (o == 't')
			nthreads = v;
		else if (o == 'c')
			nctx = v;
		else if (o == 'q')
			nq = v;
		else if (o == 'r')
			rounds = v;
		else if (o == 'k')
			npkt = v;
		else
			return 2;
	}
	if (nprocs < 1 || nprocs > 64 || nthreads < 1 || nctx < nthreads ||
	    nctx < 2 || nctx > MAX_CTX || nq < 2 || nq > MAX_Q ||
	    rounds < 2 || npkt < 1 || npkt > 60 ||
	    RESULTS_OFF + 20ULL * (nq * rounds * npkt + 3) > CTL_SIZE) {
		fprintf(stderr, "kfd-stress: bad sizes\n");
		return 2;
	}
	results = mmap(NULL, nprocs * sizeof(*results), PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (results == MAP_FAILED)
		return 2;
	memset(results, 0, nprocs * sizeof(*results));
	ngpu = vkfd_gpus(gpus, VKFD_MAX_GPUS);
	if (!tap_ok(ngpu >= 1, "%d vkfd GPU(s)", ngpu))
		return tap_done();
	tap_ok(sysmem_used(&used0) && vkfd_process_count() == 0,
	       "before: no kfd_process, %lu system pages in use", used0);
	tap_ok(run_child(entries_child, NULL) == 0,
	       "a primary's and a secondary's sysfs entries are there before any queue: pasid, queues/, vram_<gpu>, sdma_<gpu>");
	tap_ok(wait_processes_gone(20), "and are gone with the processes");
	tap_diag("%d processes x %d contexts x %d queues = %d queues on %d GPU(s), %d threads a process, %d rounds of %d packets a queue",
		 nprocs, nctx, nq, nprocs * nctx * nq, ngpu, nthreads, rounds,
		 npkt);
	fflush(stdout);
	for (p = 0; p < nprocs; p++) {
		pids[p] = fork();
		if (pids[p] == 0)
			_exit(process_main(p));
	}
	for (p = 0; p < nprocs; p++)
		if (waitpid(pids[p], &status, 0) != pids[p] ||
		    !WIFEXITED(status) || WEXITSTATUS(status))
			failed++;
	for (p = 0; p < nprocs; p++)
		report(p);
	tap_ok(failed == 0, "%d processes exited cleanly", nprocs);
	tap_ok(wait_contexts(0, 60) && wait_processes_gone(60),
	       "no device context and no kfd_process is left");
	sysmem_used(&used);
	tap_ok(vkfd_devices_sum("pt_pages") == 0 &&
	       vkfd_devices_sum("vram_used") == 0 && used == used0,
	       "nothing left: page tables %lld, VRAM %lld, system pages %lu (%lu before)",
	       vkfd_devices_sum("pt_pages"), vkfd_devices_sum("vram_used"),
	       used, used0);
	tap_diag("%.1f s", now_s() - t0);
	tap_plan(tap_count);
	return tap_done();
}
