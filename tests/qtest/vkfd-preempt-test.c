/*
 * QTest testcases for vkfd's queue preemption: UNMAP_QUEUE with
 * VKFD_CMD_F_PRESERVE keeps the work a queue has in flight, and a
 * MAP_QUEUE of the same MQD resumes it where it stopped.
 *
 *   /vkfd-preempt/aql/spin      a dispatch whose waves spin on a flag,
 *                               preempted while they spin
 *   /vkfd-preempt/aql/budget    a dispatch of 512 workgroups cut by the
 *                               queue budget, preempted in the middle
 *   /vkfd-preempt/pm4/ib        a PM4 indirect buffer preempted on its
 *                               WAIT_REG_MEM, then in its dispatch
 *   /vkfd-preempt/sdma/copy-fill  an SDMA copy or fill preempted part-way
 *   /vkfd-preempt/discard/...   what drops the kept work: a plain
 *                               UNMAP_QUEUE, a changed ring, another MQD,
 *                               UNMAP_CONTEXT, a reset
 *   /vkfd-preempt/limits        max-queues, bad flags, dead doorbells,
 *                               the monitor's and the registers' counts
 *   /vkfd-preempt/migration     a preempted and a waiting queue migrate
 *   /vkfd-preempt/migration-stream  a stream whose preempted queue has
 *                               a bad MQD address is refused
 *
 * "Exactly once" is what is checked: every work-item adds 1 to its own
 * dword before and after the part it may be preempted in, so a
 * workgroup run twice shows 2, one skipped 0; a PM4 WRITE_DATA or an SDMA
 * transfer run again rewrites memory the test changed meanwhile.
 *
 * The shader machinery (llvm-mc, kernel descriptors, AQL packets, the
 * machine with context SH_CTX) is vkfd-sh-harness.h's.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/cutils.h"
#include "vkfd-sh-harness.h"

#define PRE_WAIT_MS         30000
#define PRE_CTX2            2       /* a second context on SH_CTX's tables */

/*
 * Kernargs: 0 cnt1, 8 flag (or loop count), 16 cnt2, 24 total, 32 the
 * workgroup size.  Work-item i adds 1 to cnt1[i] and to total, then
 * spins until the flag is not 0 (or loops), then adds 1 to cnt2[i].
 */
#define ASM_COUNT_HEAD \
    "s_load_dwordx2 s[20:21], s[0:1], 0x0\n" \
    "s_load_dwordx2 s[22:23], s[0:1], 0x8\n" \
    "s_load_dwordx2 s[24:25], s[0:1], 0x10\n" \
    "s_load_dwordx2 s[26:27], s[0:1], 0x18\n" \
    "s_load_dword s4, s[0:1], 0x20\n" \
    "s_waitcnt lgkmcnt(0)\n" \
    "s_mul_i32 s3, s2, s4\n" \
    "v_add_u32 v1, s3, v0\n" \
    "v_lshlrev_b32 v1, 2, v1\n" \
    "v_mov_b32 v2, 1\n" \
    "v_mov_b32 v3, 0\n" \
    "global_atomic_add v1, v2, s[20:21]\n" \
    "global_atomic_add v3, v2, s[26:27]\n" \
    "s_waitcnt vmcnt(0)\n"

#define ASM_COUNT_TAIL \
    "global_atomic_add v1, v2, s[24:25]\n" \
    "s_waitcnt vmcnt(0)\n" \
    "s_endpgm\n"

static const char asm_spin[] =
    ASM_COUNT_HEAD
    "spin:\n"
    "s_load_dword s13, s[22:23], 0x0 glc\n"
    "s_waitcnt lgkmcnt(0)\n"
    "s_cmp_eq_u32 s13, 0\n"
    "s_cbranch_scc1 spin\n"
    ASM_COUNT_TAIL;

static const char asm_loop[] =
    ASM_COUNT_HEAD
    "s_load_dword s10, s[22:23], 0x0\n"
    "s_waitcnt lgkmcnt(0)\n"
    "loop:\n"
    "s_sub_u32 s10, s10, 1\n"
    "s_cmp_eq_u32 s10, 0\n"
    "s_cbranch_scc0 loop\n"
    ASM_COUNT_TAIL;

/* A queue of the test: where its pieces are and what it has published. */
typedef struct PreQ {
    uint32_t ctx, doorbell, type;
    uint64_t ring;
    uint32_t ring_size;
    uint64_t rptr_va, wptr_va;
    uint64_t mqd;           /* guest address */
    uint64_t wptr;
} PreQ;

/* The counting kernel's buffers and its dispatch. */
typedef struct PreK {
    uint32_t groups, wg;
    uint64_t cnt1, cnt2, flag, total;
    uint64_t kobj, code;
} PreK;

/*
 * Helpers
 */

static void pre_doorbell(ShRun *r, uint32_t ctx, uint32_t doorbell,
                         uint64_t val)
{
    qpci_io_writeq(r->h->v->dev, r->h->v->doorbells,
                   ctx * VKFD_DOORBELL_PAGE_SIZE +
                   doorbell * VKFD_DOORBELL_SIZE, val);
}

/* A queue's memory in the run's VRAM, and a fresh MQD for it. */
static void pre_queue_new(ShRun *r, PreQ *q, uint32_t ctx, uint32_t doorbell,
                          uint32_t type, uint32_t ring_size)
{
    uint64_t ptrs = sh_alloc(r, 256);
    struct vkfd_mqd m = { 0 };
    unsigned i;

    memset(q, 0, sizeof(*q));
    q->ctx = ctx;
    q->doorbell = doorbell;
    q->type = type;
    q->ring_size = ring_size;
    q->ring = sh_alloc(r, ring_size);
    /* AQL: amd_queue_t's write_dispatch_id at 56, read_dispatch_id at 128 */
    q->rptr_va = type == VKFD_QUEUE_AQL ? ptrs + 128 : ptrs;
    q->wptr_va = type == VKFD_QUEUE_AQL ? ptrs + 56 : ptrs + 8;
    for (i = 0; type == VKFD_QUEUE_AQL && i < ring_size / VKFD_AQL_PACKET_SIZE;
         i++) {
        qtest_writew(r->qts, sh_pa(r->h, q->ring + i * VKFD_AQL_PACKET_SIZE),
                     VKFD_AQL_TYPE_INVALID);
    }
    q->mqd = guest_alloc(&r->h->v->alloc, sizeof(m));
    m.type = cpu_to_le32(type);
    m.doorbell = cpu_to_le32(doorbell);
    m.ring_base = cpu_to_le64(q->ring);
    m.ring_size = cpu_to_le32(ring_size);
    m.rptr_addr = cpu_to_le64(q->rptr_va);
    m.wptr_addr = cpu_to_le64(q->wptr_va);
    qtest_memwrite(r->qts, q->mqd, &m, sizeof(m));
}

static uint32_t pre_map_at(ShRun *r, const PreQ *q, uint64_t mqd)
{
    struct vkfd_sched_cmd cmd = {
        .opcode = VKFD_CMD_MAP_QUEUE, .ctx_id = q->ctx,
    };

    cmd.u.map_queue.mqd_addr = mqd;
    cmd.u.map_queue.queue_id = ++r->h->queue_id;
    return submit_cmd(r->h->v, &cmd);
}

static uint32_t pre_map(ShRun *r, const PreQ *q)
{
    return pre_map_at(r, q, q->mqd);
}

static uint32_t pre_unmap(ShRun *r, const PreQ *q, uint8_t flags)
{
    struct vkfd_sched_cmd cmd = {
        .opcode = VKFD_CMD_UNMAP_QUEUE, .ctx_id = q->ctx, .flags = flags,
    };

    cmd.u.unmap_queue.mqd_addr = q->mqd;
    cmd.u.unmap_queue.doorbell = q->doorbell;
    return submit_cmd(r->h->v, &cmd);
}

static uint32_t pre_ctx_unmap(Vkfd *v, uint32_t ctx)
{
    struct vkfd_sched_cmd cmd = {
        .opcode = VKFD_CMD_UNMAP_CONTEXT, .ctx_id = ctx,
    };

    return submit_cmd(v, &cmd);
}

static void pre_preempt(ShRun *r, const PreQ *q)
{
    g_assert_cmpuint(pre_unmap(r, q, VKFD_CMD_F_PRESERVE), ==, VKFD_ST_OK);
}

static void pre_destroy(ShRun *r, const PreQ *q)
{
    g_assert_cmpuint(pre_unmap(r, q, 0), ==, VKFD_ST_OK);
    guest_free(&r->h->v->alloc, q->mqd);
}

/* The MQD as the device left it. */
static void pre_mqd(ShRun *r, const PreQ *q, struct vkfd_mqd *m)
{
    qtest_memread(r->qts, q->mqd, m, sizeof(*m));
}

/* Publish the write pointer and ring. */
static void pre_kick(ShRun *r, PreQ *q)
{
    sh_w64(r, q->wptr_va, q->wptr);
    pre_doorbell(r, q->ctx, q->doorbell, q->wptr);
}

static bool pre_wait32(ShRun *r, uint64_t va, uint32_t want, unsigned ms)
{
    gint64 deadline = g_get_monotonic_time() + ms * (gint64)1000;

    while (sh_r32(r, va) != want) {
        if (g_get_monotonic_time() > deadline) {
            return false;
        }
        qtest_clock_step(r->qts, 1000 * 1000);
        g_usleep(200);
    }
    return true;
}

/* Nothing moves at va over ms of wall and virtual time. */
static void pre_expect_still(ShRun *r, uint64_t va, unsigned ms)
{
    uint32_t before = sh_r32(r, va);

    sh_pause(r, ms);
    g_assert_cmphex(sh_r32(r, va), ==, before);
}

/*
 * The counting kernel (text) for groups workgroups of wg work-items:
 * code, descriptor and buffers in the run's VRAM, flag 0 (or the loop
 * count).
 */
static void pre_kernel(ShRun *r, PreK *k, const char *text, uint32_t groups,
                       uint32_t wg, uint32_t flag)
{
    g_autoptr(GByteArray) code = g_byte_array_new();
    g_autoptr(GString) err = g_string_new(NULL);

    if (!sh_assemble(text, code, err)) {
        g_test_message("assembly failed: %s", err->str);
        g_assert_not_reached();
    }
    k->groups = groups;
    k->wg = wg;
    k->cnt1 = sh_alloc(r, groups * wg * 4);
    k->cnt2 = sh_alloc(r, groups * wg * 4);
    k->flag = sh_alloc(r, 256);
    k->total = k->flag + 128;
    sh_w32(r, k->flag, flag);
    sh_grid(r, groups * wg, 1, 1, wg, 1, 1);
    sh_arg64(r, 0, k->cnt1);
    sh_arg64(r, 8, k->flag);
    sh_arg64(r, 16, k->cnt2);
    sh_arg64(r, 24, k->total);
    sh_arg32(r, 32, wg);
    k->kobj = sh_alloc(r, 256 + ROUND_UP(code->len, 256));
    k->code = k->kobj + 256;
    sh_kd_write(r, k->kobj);
    sh_write(r, k->code, code->data, code->len);
}

/* Every work-item added 1 to cnt1 and to cnt2, once. */
static void pre_expect_once(ShRun *r, const PreK *k)
{
    uint32_t n = k->groups * k->wg, i, bad = 0;
    g_autofree uint32_t *c1 = g_new(uint32_t, n);
    g_autofree uint32_t *c2 = g_new(uint32_t, n);

    qtest_bufread(r->qts, sh_pa(r->h, k->cnt1), c1, n * 4);
    qtest_bufread(r->qts, sh_pa(r->h, k->cnt2), c2, n * 4);
    for (i = 0; i < n; i++) {
        if ((le32_to_cpu(c1[i]) != 1 || le32_to_cpu(c2[i]) != 1) &&
            bad++ < 8) {
            g_test_message("work-item %u (group %u): counted %u and %u "
                           "times", i, i / k->wg, le32_to_cpu(c1[i]),
                           le32_to_cpu(c2[i]));
        }
    }
    g_assert_cmpuint(bad, ==, 0);
    g_assert_cmpuint(sh_r32(r, k->total), ==, n);
}

/*
 * An AQL queue at doorbell 0 of SH_CTX, mapped, with the counting
 * kernel's dispatch at slot 0, published.
 */
static void pre_aql_start(ShRun *r, PreQ *q, const PreK *k)
{
    pre_queue_new(r, q, SH_CTX, 0, VKFD_QUEUE_AQL,
                  SH_QUEUE_SLOTS * VKFD_AQL_PACKET_SIZE);
    g_assert_cmpuint(pre_map(r, q), ==, VKFD_ST_OK);
    r->signal = sh_signal_new(r, 1);
    sh_packet_write(r, q->ring, k->kobj);
    q->wptr = 1;
    pre_kick(r, q);
}

/*
 * AQL
 */

/*
 * Four groups of 256 (four waves each), run one at a time: the first
 * one's waves counted cnt1 and spin.  Preempted, the queue does nothing
 * (not even with the flag set and its doorbell rung) and its waves are
 * no longer resident (WAVES, the per-context count); resumed, every
 * work-item counts once.  Restarting the dispatch would count group 0's
 * cnt1 twice.
 */
static void test_aql_spin(void)
{
    g_autofree ShRun *r = g_new0(ShRun, 1);
    struct vkfd_mqd m;
    uint32_t errors;
    PreQ q;
    PreK k;

    sh_run_init(r, sh_get());
    pre_kernel(r, &k, asm_spin, 4, 256, 0);
    pre_aql_start(r, &q, &k);
    g_assert_true(pre_wait32(r, k.total, 256, PRE_WAIT_MS));
    /* the group's four waves are resident; preempted, they are saved */
    wr(r->h->v, VKFD_REG_WAVES_SEL, SH_CTX);
    g_assert_cmpuint(rd(r->h->v, VKFD_REG_WAVES), ==, 4);

    pre_preempt(r, &q);
    g_assert_cmpuint(rd(r->h->v, VKFD_REG_WAVES), ==, 0);
    pre_mqd(r, &q, &m);
    g_assert_cmpuint(le64_to_cpu(m.rptr), ==, 0);
    g_assert_cmpuint(le32_to_cpu(m.error), ==, 0);
    /* off the device: the flag and the doorbell change nothing */
    sh_w32(r, k.flag, 1);
    errors = rd(r->h->v, VKFD_REG_ACCESS_ERRORS);
    pre_doorbell(r, q.ctx, q.doorbell, 1);
    g_assert_cmpuint(rd(r->h->v, VKFD_REG_ACCESS_ERRORS), ==, errors + 1);
    pre_expect_still(r, k.cnt2, 50);
    g_assert_cmpuint(sh_r32(r, k.total), ==, 256);
    g_assert_cmpuint(sh_r64(r, q.rptr_va), ==, 0);

    g_assert_cmpuint(pre_map(r, &q), ==, VKFD_ST_OK);
    g_assert_true(sh_wait64(r, q.rptr_va, 1, PRE_WAIT_MS));
    g_assert_cmpint((int64_t)sh_r64(r, r->signal + VKFD_SIGNAL_VALUE), ==, 0);
    g_assert_cmpuint(rd(r->h->v, VKFD_REG_WAVES), ==, 0);
    pre_expect_once(r, &k);
    pre_destroy(r, &q);
}

/*
 * 512 groups of 128 that each loop 300 times: about 40 bottom-half runs
 * of the queue, each cut by the budget, mostly inside a workgroup.  The
 * preemption lands once the first work-items counted; nothing runs
 * while the queue is off; resumed, every work-item counts once.
 */
static void test_aql_budget(void)
{
    g_autofree ShRun *r = g_new0(ShRun, 1);
    uint32_t at;
    PreQ q;
    PreK k;

    sh_run_init(r, sh_get());
    pre_kernel(r, &k, asm_loop, 512, 128, 300);
    pre_aql_start(r, &q, &k);
    while (!sh_r32(r, k.total)) {
        g_usleep(20);
    }
    pre_preempt(r, &q);
    at = sh_r32(r, k.total);
    g_test_message("preempted after %u of %u work-items", at, 512 * 128);
    g_assert_cmpuint(at, >, 0);
    g_assert_cmpuint(at, <, 512 * 128);
    pre_expect_still(r, k.total, 50);
    g_assert_cmpuint(sh_r64(r, q.rptr_va), ==, 0);

    g_assert_cmpuint(pre_map(r, &q), ==, VKFD_ST_OK);
    g_assert_true(sh_wait64(r, q.rptr_va, 1, PRE_WAIT_MS));
    pre_expect_once(r, &k);
    pre_destroy(r, &q);
}

/*
 * PM4
 */

/* The PM4 packets of the tests */
static void pm4_write_data(GArray *a, uint64_t va, uint32_t val)
{
    uint32_t p[5] = { VKFD_PM4_HDR(VKFD_PM4_OP_WRITE_DATA, 4),
                      VKFD_PM4_WD_MEM, va, va >> 32, val };

    g_array_append_vals(a, p, ARRAY_SIZE(p));
}

static void pm4_wait_eq(GArray *a, uint64_t va, uint32_t ref)
{
    uint32_t p[7] = { VKFD_PM4_HDR(VKFD_PM4_OP_WAIT_REG_MEM, 6),
                      VKFD_PM4_WRM_MEM_SPACE | VKFD_SDMA_FUNC_EQ, va,
                      va >> 32, ref, ~0u, 4 };

    g_array_append_vals(a, p, ARRAY_SIZE(p));
}

/*
 * A PM4 queue whose ring calls one IB: WRITE_DATA a = 1, WAIT_REG_MEM
 * until *flag == 1, (k: the counting kernel's dispatch,) WRITE_DATA
 * b = 1.  Mapped and kicked.
 */
typedef struct PrePm4 {
    PreQ q;
    uint64_t a, b, flag, ib;
} PrePm4;

static void pre_pm4_start(ShRun *r, PrePm4 *p, uint32_t ctx,
                          uint32_t doorbell, const PreK *k)
{
    g_autoptr(GArray) ib = g_array_new(false, false, sizeof(uint32_t));
    uint64_t vars = sh_alloc(r, 256);
    uint32_t call[4];

    p->a = vars;
    p->b = vars + 4;
    p->flag = vars + 8;
    pm4_write_data(ib, p->a, 1);
    pm4_wait_eq(ib, p->flag, 1);
    if (k) {
        g_assert_true(sh_pm4_stream(r, k->code, ib));
    }
    pm4_write_data(ib, p->b, 1);
    p->ib = sh_alloc(r, ib->len * 4);
    sh_write32(r, p->ib, (uint32_t *)ib->data, ib->len);
    pre_queue_new(r, &p->q, ctx, doorbell, VKFD_QUEUE_PM4, SH_PM4_RING_DW * 4);
    call[0] = VKFD_PM4_HDR(VKFD_PM4_OP_INDIRECT_BUFFER, 3);
    call[1] = p->ib;
    call[2] = p->ib >> 32;
    call[3] = ib->len;
    sh_write32(r, p->q.ring, call, 4);
    g_assert_cmpuint(pre_map(r, &p->q), ==, VKFD_ST_OK);
    p->q.wptr = 4;
    pre_kick(r, &p->q);
}

/* The IB waits on its WAIT_REG_MEM, a written once. */
static void pre_pm4_waiting(ShRun *r, PrePm4 *p)
{
    g_assert_true(pre_wait32(r, p->a, 1, PRE_WAIT_MS));
    sh_pause(r, 5);
    g_assert_cmpuint(sh_r32(r, p->b), ==, 0);
    g_assert_cmpuint(sh_r32(r, p->q.rptr_va), ==, 0);
}

/* Let the IB go on and finish; true if b was written. */
static bool pre_pm4_finish(ShRun *r, PrePm4 *p)
{
    sh_w32(r, p->flag, 1);
    return pre_wait32(r, p->b, 1, PRE_WAIT_MS) &&
           pre_wait32(r, p->q.rptr_va, 4, PRE_WAIT_MS);
}

/*
 * Preempted on the WAIT_REG_MEM inside the IB, a cleared: resumed, the
 * IB goes on from the wait and a stays 0.  Then, in the same IB, the
 * counting kernel's PM4 dispatch is preempted while group 0 spins.
 */
static void test_pm4_ib(void)
{
    g_autofree ShRun *r = g_new0(ShRun, 1);
    PrePm4 p;
    PreK k;

    sh_run_init(r, sh_get());
    pre_kernel(r, &k, asm_spin, 3, 128, 0);
    pre_pm4_start(r, &p, SH_CTX, 1, &k);
    pre_pm4_waiting(r, &p);
    pre_preempt(r, &p.q);
    sh_w32(r, p.a, 0);
    g_assert_cmpuint(pre_map(r, &p.q), ==, VKFD_ST_OK);
    sh_w32(r, p.flag, 1);
    /* the dispatch: group 0's two waves counted and spin */
    g_assert_true(pre_wait32(r, k.total, 128, PRE_WAIT_MS));
    pre_preempt(r, &p.q);
    sh_w32(r, k.flag, 1);
    pre_expect_still(r, k.cnt2, 50);
    g_assert_cmpuint(pre_map(r, &p.q), ==, VKFD_ST_OK);
    g_assert_true(pre_wait32(r, p.b, 1, PRE_WAIT_MS));
    g_assert_true(pre_wait32(r, p.q.rptr_va, 4, PRE_WAIT_MS));
    g_assert_cmpuint(sh_r32(r, p.a), ==, 0);
    pre_expect_once(r, &k);
    pre_destroy(r, &p.q);
}

/*
 * SDMA
 */

#define PRE_SDMA_SIZE       (4 * MIB)
#define PRE_SDMA_TRIES      10

/* The first dword from which buf differs from want (n if none). */
static uint32_t pre_first_diff(const uint32_t *buf, const uint32_t *want,
                               uint32_t n)
{
    uint32_t i = 0;

    while (i < n && buf[i] == want[i]) {
        i++;
    }
    return i;
}

/*
 * One try: a 4 MiB copy and a 4 MiB fill on a fresh queue, the copy
 * first on even tries, preempted once the first one started.  If the
 * preemption cut one of them part-way (at byte b), the test rewrites
 * what a restart would redo (the copy's source, the first b bytes of the
 * destination): resumed, the first b bytes keep what the test wrote and
 * the rest is the new copy or the fill.  Returns 0 if the preemption fell
 * between packets, else which packet it cut: 1 the copy, 2 the fill.
 */
static unsigned pre_sdma_try(ShRun *r, unsigned try)
{
    const uint32_t n = PRE_SDMA_SIZE / 4, fill = 0x5a5a0000 + try;
    g_autofree uint32_t *src = g_new(uint32_t, n);
    g_autofree uint32_t *got = g_new(uint32_t, n);
    g_autofree uint32_t *want = g_new(uint32_t, n);
    bool copy_first = !(try % 2), copy_cut;
    uint32_t dw[SDMA_PKT_MAX_DW * 2], len, i, b, second;
    uint64_t s, d, f, dst, rptr;
    struct vkfd_mqd m;
    PreQ q;

    sh_run_init(r, sh_get());
    s = sh_alloc(r, PRE_SDMA_SIZE);
    d = sh_alloc(r, PRE_SDMA_SIZE);
    f = sh_alloc(r, PRE_SDMA_SIZE);
    for (i = 0; i < n; i++) {
        src[i] = cpu_to_le32((i * 2654435761u) | 1);
    }
    qtest_bufwrite(r->qts, sh_pa(r->h, s), src, PRE_SDMA_SIZE);
    pre_queue_new(r, &q, SH_CTX, 2, VKFD_QUEUE_SDMA, 256);
    len = copy_first ? sdma_pkt_copy(dw, d, s, PRE_SDMA_SIZE)
                     : sdma_pkt_fill(dw, f, fill, PRE_SDMA_SIZE);
    second = len * 4;
    len += copy_first ? sdma_pkt_fill(dw + len, f, fill, PRE_SDMA_SIZE)
                      : sdma_pkt_copy(dw + len, d, s, PRE_SDMA_SIZE);
    sh_write32(r, q.ring, dw, len);
    q.wptr = len * 4;
    g_assert_cmpuint(pre_map(r, &q), ==, VKFD_ST_OK);
    pre_kick(r, &q);
    while (!sh_r32(r, copy_first ? d : f)) {
        g_usleep(20);
    }
    pre_preempt(r, &q);
    pre_mqd(r, &q, &m);
    rptr = le64_to_cpu(m.rptr);
    if (rptr >= q.wptr) {
        pre_destroy(r, &q);
        return 0;
    }
    g_assert_true(rptr == 0 || rptr == second);
    copy_cut = (rptr == 0) == copy_first;
    dst = copy_cut ? d : f;
    qtest_bufread(r->qts, sh_pa(r->h, dst), got, PRE_SDMA_SIZE);
    for (i = 0; i < n; i++) {
        want[i] = copy_cut ? src[i] : cpu_to_le32(fill);
    }
    b = pre_first_diff(got, want, n);
    g_test_message("try %u: preempted %s at byte %u of %u", try,
                   copy_cut ? "the copy" : "the fill", b * 4,
                   (unsigned)PRE_SDMA_SIZE);
    if (!b) {
        pre_destroy(r, &q);
        return 0;
    }
    g_assert_cmpuint(b, <, n);
    /* a clean cut: the rest is untouched */
    for (i = b; i < n; i++) {
        g_assert_cmphex(got[i], ==, 0);
    }
    /* what a restart would redo, changed */
    for (i = 0; i < n; i++) {
        src[i] = cpu_to_le32(~le32_to_cpu(src[i]));
        got[i] = cpu_to_le32(0xc0de0000 | (i & 0xffff));
    }
    qtest_bufwrite(r->qts, sh_pa(r->h, s), src, PRE_SDMA_SIZE);
    qtest_bufwrite(r->qts, sh_pa(r->h, dst), got, b * 4);
    pre_expect_still(r, dst + b * 4, 20);

    g_assert_cmpuint(pre_map(r, &q), ==, VKFD_ST_OK);
    g_assert_true(sh_wait64(r, q.rptr_va, q.wptr, PRE_WAIT_MS));
    qtest_bufread(r->qts, sh_pa(r->h, dst), want, PRE_SDMA_SIZE);
    for (i = 0; i < n; i++) {
        uint32_t w = i < b ? got[i] : copy_cut ? src[i] : cpu_to_le32(fill);

        if (want[i] != w) {
            g_test_message("dword %u: 0x%08x, want 0x%08x", i,
                           le32_to_cpu(want[i]), le32_to_cpu(w));
            g_assert_not_reached();
        }
    }
    pre_destroy(r, &q);
    return copy_cut ? 1 : 2;
}

/* Tries until both a copy and a fill were cut part-way. */
static void test_sdma(void)
{
    g_autofree ShRun *r = g_new0(ShRun, 1);
    unsigned try, cut = 0;

    for (try = 0; try < PRE_SDMA_TRIES && cut != 3; try++) {
        cut |= pre_sdma_try(r, try);
    }
    g_assert_cmpuint(cut, ==, 3);
}

/*
 * What drops the kept work: the next MAP_QUEUE starts the IB over (a is
 * written again), and nothing of the old queue is left.
 */
typedef enum PreDrop {
    DROP_UNMAP,         /* a plain UNMAP_QUEUE of the preempted doorbell */
    DROP_RING,          /* the MQD comes back with another ring size */
    DROP_MQD,           /* the same MQD, mapped from another address */
    DROP_CONTEXT,       /* UNMAP_CONTEXT, then the context again */
    DROP_RESET,         /* a device reset, then ring and context again */
} PreDrop;

static void test_discard(const void *arg)
{
    PreDrop how = (PreDrop)(uintptr_t)arg;
    g_autofree ShRun *r = g_new0(ShRun, 1);
    uint32_t ctx = how == DROP_CONTEXT ? PRE_CTX2 : SH_CTX;
    struct vkfd_mqd m;
    uint64_t other;
    PrePm4 p, busy;

    sh_run_init(r, sh_get());
    if (ctx != SH_CTX) {
        g_assert_cmpuint(map_ctx(r->h->v, ctx, r->h->root), ==, VKFD_ST_OK);
    }
    pre_pm4_start(r, &p, ctx, 3, NULL);
    pre_pm4_waiting(r, &p);
    pre_preempt(r, &p.q);
    sh_w32(r, p.a, 0);
    switch (how) {
    case DROP_UNMAP:
        /* the state is written back again; the MQD is as before */
        g_assert_cmpuint(pre_unmap(r, &p.q, 0), ==, VKFD_ST_OK);
        g_assert_cmpuint(pre_unmap(r, &p.q, 0), ==, VKFD_ST_NO_QUEUE);
        g_assert_cmpuint(pre_map(r, &p.q), ==, VKFD_ST_OK);
        break;
    case DROP_RING:
        pre_mqd(r, &p.q, &m);
        m.ring_size = cpu_to_le32(SH_PM4_RING_DW * 2);
        qtest_memwrite(r->qts, p.q.mqd, &m, sizeof(m));
        g_assert_cmpuint(pre_map(r, &p.q), ==, VKFD_ST_OK);
        break;
    case DROP_MQD:
        pre_mqd(r, &p.q, &m);
        other = guest_alloc(&r->h->v->alloc, sizeof(m));
        qtest_memwrite(r->qts, other, &m, sizeof(m));
        g_assert_cmpuint(pre_map_at(r, &p.q, other), ==, VKFD_ST_OK);
        /* the queue on the doorbell is the new one: it unmaps into other */
        guest_free(&r->h->v->alloc, p.q.mqd);
        p.q.mqd = other;
        break;
    case DROP_CONTEXT:
        /* a mapped queue keeps the context busy, a preempted one does not */
        pre_pm4_start(r, &busy, ctx, 4, NULL);
        g_assert_cmpuint(pre_ctx_unmap(r->h->v, ctx), ==,
                         VKFD_ST_CONTEXT_BUSY);
        pre_destroy(r, &busy.q);
        g_assert_cmpuint(pre_ctx_unmap(r->h->v, ctx), ==,
                         VKFD_ST_OK);
        g_assert_cmpuint(pre_unmap(r, &p.q, 0), ==,
                         VKFD_ST_CONTEXT_NOT_MAPPED);
        g_assert_cmpuint(map_ctx(r->h->v, ctx, r->h->root), ==, VKFD_ST_OK);
        g_assert_cmpuint(pre_unmap(r, &p.q, 0), ==, VKFD_ST_NO_QUEUE);
        g_assert_cmpuint(pre_map(r, &p.q), ==, VKFD_ST_OK);
        break;
    case DROP_RESET:
        wr(r->h->v, VKFD_REG_CONTROL, VKFD_CONTROL_RESET);
        g_assert_cmpuint(rd(r->h->v, VKFD_REG_NUM_CONTEXTS), ==, 0);
        ring_enable(r->h->v);
        g_assert_cmpuint(map_ctx(r->h->v, ctx, r->h->root), ==, VKFD_ST_OK);
        g_assert_cmpuint(pre_unmap(r, &p.q, 0), ==, VKFD_ST_NO_QUEUE);
        g_assert_cmpuint(pre_map(r, &p.q), ==, VKFD_ST_OK);
        break;
    }
    /* a fresh queue at the MQD's rptr (0): it runs when its doorbell rings */
    g_assert_cmpuint(sh_r32(r, p.a), ==, 0);
    pre_kick(r, &p.q);
    g_assert_true(pre_wait32(r, p.a, 1, PRE_WAIT_MS));
    g_assert_true(pre_pm4_finish(r, &p));
    pre_destroy(r, &p.q);
    if (ctx != SH_CTX) {
        g_assert_cmpuint(pre_ctx_unmap(r->h->v, ctx), ==,
                         VKFD_ST_OK);
    }
    if (how == DROP_RESET) {
        sh_put();       /* the IH ring went with the reset: a new machine */
    }
}

/*
 * Limits and bad commands, on a device of two queues with an id for the
 * monitor.
 */

#define LIM_PATH        "/machine/peripheral/pre0"

static uint64_t lim_sched(QTestState *qts, const char *what)
{
    QDict *rsp = qtest_qmp(qts, "{'execute': 'qom-get', 'arguments': "
                           "{'path': %s, 'property': 'scheduler'}}",
                           LIM_PATH);
    uint64_t val;

    g_assert(qdict_haskey(rsp, "return"));
    val = qdict_get_int(qdict_get_qdict(rsp, "return"), what);
    qobject_unref(rsp);
    return val;
}

/* The queues on the device, in the monitor and in the registers. */
static void lim_counts(Vkfd *v, uint32_t all, uint32_t preempted)
{
    g_assert_cmpuint(lim_sched(v->qts, "live-queues"), ==, all);
    g_assert_cmpuint(lim_sched(v->qts, "preempted-queues"), ==, preempted);
    g_assert_cmpuint(rd(v, VKFD_REG_NUM_QUEUES), ==, all);
    g_assert_cmpuint(rd(v, VKFD_REG_NUM_PREEMPTED), ==, preempted);
}

static uint64_t lim_mqd(Vkfd *v, uint32_t type, uint32_t doorbell)
{
    uint64_t mqd = guest_alloc(&v->alloc, sizeof(struct vkfd_mqd));
    struct vkfd_mqd m = { 0 };

    m.type = cpu_to_le32(type);
    m.doorbell = cpu_to_le32(doorbell);
    m.ring_base = cpu_to_le64(0x100000 + doorbell * 0x1000ull);
    m.ring_size = cpu_to_le32(1024);
    m.rptr_addr = cpu_to_le64(0x200000 + doorbell * 16ull);
    m.wptr_addr = cpu_to_le64(0x200008 + doorbell * 16ull);
    qtest_memwrite(v->qts, mqd, &m, sizeof(m));
    return mqd;
}

static uint32_t lim_cmd(Vkfd *v, uint8_t op, uint8_t flags, uint64_t mqd,
                        uint32_t doorbell, uint32_t reserved)
{
    struct vkfd_sched_cmd cmd = { .opcode = op, .ctx_id = 1, .flags = flags };

    if (op == VKFD_CMD_MAP_QUEUE) {
        cmd.u.map_queue.mqd_addr = mqd;
        cmd.u.map_queue.queue_id = doorbell;
        cmd.u.map_queue.reserved = reserved;
    } else if (op == VKFD_CMD_UNMAP_QUEUE) {
        cmd.u.unmap_queue.mqd_addr = mqd;
        cmd.u.unmap_queue.doorbell = doorbell;
        cmd.u.unmap_queue.reserved = reserved;
    }
    return submit_cmd(v, &cmd);
}

static void test_limits(void)
{
    Vkfd *v = vkfd_start_props(",id=pre0,max-queues=2");
    uint64_t mqd[3], scratch;
    uint32_t i;

    ring_enable(v);
    g_assert_cmpuint(map_ctx(v, 1, pt_alloc(v)), ==, VKFD_ST_OK);
    for (i = 0; i < 3; i++) {
        mqd[i] = lim_mqd(v, VKFD_QUEUE_PM4, i);
    }
    g_assert_cmpuint(lim_cmd(v, VKFD_CMD_MAP_QUEUE, 0, mqd[0], 0, 0), ==,
                     VKFD_ST_OK);
    g_assert_cmpuint(lim_cmd(v, VKFD_CMD_MAP_QUEUE, 0, mqd[1], 1, 0), ==,
                     VKFD_ST_OK);

    /* the flag on other commands, other flags, reserved bits */
    g_assert_cmpuint(lim_cmd(v, VKFD_CMD_MAP_QUEUE, VKFD_CMD_F_PRESERVE,
                             mqd[2], 2, 0), ==, VKFD_ST_BAD_ARGUMENT);
    g_assert_cmpuint(lim_cmd(v, VKFD_CMD_NOP, VKFD_CMD_F_PRESERVE, 0, 0, 0),
                     ==, VKFD_ST_BAD_ARGUMENT);
    g_assert_cmpuint(lim_cmd(v, VKFD_CMD_UNMAP_CONTEXT, VKFD_CMD_F_PRESERVE,
                             0, 0, 0), ==, VKFD_ST_BAD_ARGUMENT);
    g_assert_cmpuint(lim_cmd(v, VKFD_CMD_UNMAP_QUEUE, 1u << 2, mqd[0], 0, 0),
                     ==, VKFD_ST_BAD_ARGUMENT);
    g_assert_cmpuint(lim_cmd(v, VKFD_CMD_UNMAP_QUEUE, 0x80, mqd[0], 0, 0),
                     ==, VKFD_ST_BAD_ARGUMENT);
    g_assert_cmpuint(lim_cmd(v, VKFD_CMD_UNMAP_QUEUE, VKFD_CMD_F_PRESERVE,
                             mqd[0], 0, 1), ==, VKFD_ST_BAD_ARGUMENT);
    /* an MQD that cannot take the state: nothing changes */
    scratch = v->doorbells.addr;
    g_assert_cmpuint(lim_cmd(v, VKFD_CMD_UNMAP_QUEUE, VKFD_CMD_F_PRESERVE,
                             scratch, 0, 0), ==, VKFD_ST_BAD_MQD);
    g_assert_cmpuint(lim_cmd(v, VKFD_CMD_UNMAP_QUEUE, VKFD_CMD_F_PRESERVE,
                             mqd[2], 2, 0), ==, VKFD_ST_NO_QUEUE);
    lim_counts(v, 2, 0);

    /* preempted: still counted, not twice, its doorbell dead */
    g_assert_cmpuint(lim_cmd(v, VKFD_CMD_UNMAP_QUEUE,
                             VKFD_CMD_F_PRESERVE | VKFD_CMD_F_IRQ, mqd[0], 0,
                             0), ==, VKFD_ST_OK);
    g_assert_cmpuint(lim_cmd(v, VKFD_CMD_UNMAP_QUEUE, VKFD_CMD_F_PRESERVE,
                             mqd[0], 0, 0), ==, VKFD_ST_NO_QUEUE);
    lim_counts(v, 2, 1);
    g_assert_cmpuint(lim_cmd(v, VKFD_CMD_MAP_QUEUE, 0, mqd[2], 2, 0), ==,
                     VKFD_ST_NO_RESOURCES);
    i = rd(v, VKFD_REG_ACCESS_ERRORS);
    qpci_io_writel(v->dev, v->doorbells, VKFD_DOORBELL_PAGE_SIZE, 1);
    g_assert_cmpuint(rd(v, VKFD_REG_ACCESS_ERRORS), ==, i + 1);
    /* resumed without a new slot, preempted again, then discarded */
    g_assert_cmpuint(lim_cmd(v, VKFD_CMD_MAP_QUEUE, 0, mqd[0], 0, 0), ==,
                     VKFD_ST_OK);
    g_assert_cmpuint(lim_cmd(v, VKFD_CMD_MAP_QUEUE, 0, mqd[0], 0, 0), ==,
                     VKFD_ST_QUEUE_EXISTS);
    lim_counts(v, 2, 0);
    g_assert_cmpuint(lim_cmd(v, VKFD_CMD_UNMAP_QUEUE, VKFD_CMD_F_PRESERVE,
                             mqd[0], 0, 0), ==, VKFD_ST_OK);
    g_assert_cmpuint(lim_cmd(v, VKFD_CMD_UNMAP_QUEUE, 0, mqd[0], 0, 0), ==,
                     VKFD_ST_OK);
    lim_counts(v, 1, 0);
    g_assert_cmpuint(lim_cmd(v, VKFD_CMD_MAP_QUEUE, 0, mqd[2], 2, 0), ==,
                     VKFD_ST_OK);

    /* a MAP_QUEUE of another type on a preempted doorbell: a new queue */
    g_assert_cmpuint(lim_cmd(v, VKFD_CMD_UNMAP_QUEUE, VKFD_CMD_F_PRESERVE,
                             mqd[1], 1, 0), ==, VKFD_ST_OK);
    guest_free(&v->alloc, mqd[1]);
    mqd[1] = lim_mqd(v, VKFD_QUEUE_SDMA, 1);
    g_assert_cmpuint(lim_cmd(v, VKFD_CMD_MAP_QUEUE, 0, mqd[1], 1, 0), ==,
                     VKFD_ST_OK);
    lim_counts(v, 2, 0);

    /* only preempted queues left: UNMAP_CONTEXT takes them along */
    g_assert_cmpuint(lim_cmd(v, VKFD_CMD_UNMAP_QUEUE, VKFD_CMD_F_PRESERVE,
                             mqd[1], 1, 0), ==, VKFD_ST_OK);
    g_assert_cmpuint(pre_ctx_unmap(v, 1), ==,
                     VKFD_ST_CONTEXT_BUSY);
    g_assert_cmpuint(lim_cmd(v, VKFD_CMD_UNMAP_QUEUE, VKFD_CMD_F_PRESERVE,
                             mqd[2], 2, 0), ==, VKFD_ST_OK);
    g_assert_cmpuint(pre_ctx_unmap(v, 1), ==, VKFD_ST_OK);
    lim_counts(v, 0, 0);
    g_assert_cmphex(rd(v, VKFD_REG_ID), ==, VKFD_ID_MAGIC);
    vkfd_stop(v);
}

/*
 * A hostile migration stream: a device with one preempted queue is saved,
 * the queue's vkfd-queue/preempt subsection (its MQD address, big
 * endian, then the preempted flag) is changed, and a new QEMU loads it.
 * What MAP_QUEUE would not have accepted must be refused (the load
 * fails, the destination exits with status 1); the unchanged stream
 * loads, and there the queue is still preempted and resumes.
 */
typedef struct PreMut {
    const char *name;
    bool change;
    uint64_t mqd;
} PreMut;

static void test_migration_stream(void)
{
    static const PreMut muts[] = {
        { "unchanged", false, 0 },
        { "mqd-zero", true, 0 },
        { "mqd-unaligned", true, 0x10004 },
        { "mqd-wraps", true, UINT64_MAX - 7 },
    };
    static const char sub[] = "vkfd-queue/preempt";
    g_autofree char *file = g_strdup_printf("%s/vkfd-pre-mig-%d",
                                            g_get_tmp_dir(), getpid());
    g_autofree char *uri = g_strdup_printf("exec:cat > %s", file);
    g_autofree char *in = g_strdup_printf("exec:cat %s", file);
    g_autofree char *orig = NULL;
    Vkfd *v = vkfd_start_props(",id=pre0,max-queues=2");
    uint64_t mqd;
    unsigned i;
    gsize len;
    char *at;

    ring_enable(v);
    g_assert_cmpuint(map_ctx(v, 1, pt_alloc(v)), ==, VKFD_ST_OK);
    mqd = lim_mqd(v, VKFD_QUEUE_PM4, 3);
    g_assert_cmpuint(lim_cmd(v, VKFD_CMD_MAP_QUEUE, 0, mqd, 3, 0), ==,
                     VKFD_ST_OK);
    g_assert_cmpuint(lim_cmd(v, VKFD_CMD_UNMAP_QUEUE, VKFD_CMD_F_PRESERVE,
                             mqd, 3, 0), ==, VKFD_ST_OK);
    lim_counts(v, 1, 1);
    qtest_qmp_assert_success(v->qts, "{ 'execute': 'migrate', 'arguments': "
                             "{ 'uri': %s } }", uri);
    g_assert_true(migration_wait(v->qts));

    g_assert_true(g_file_get_contents(file, &orig, &len, NULL));
    at = memmem(orig, len, sub, strlen(sub));
    g_assert_nonnull(at);
    at += strlen(sub) + 4;      /* the name, then the version */
    g_assert_cmphex(ldq_be_p(at), ==, mqd);
    g_assert_cmpuint(at[8], ==, 1);
    for (i = 0; i < ARRAY_SIZE(muts); i++) {
        g_autofree char *buf = g_memdup2(orig, len);

        g_test_message("stream %s", muts[i].name);
        if (muts[i].change) {
            stq_be_p(buf + (at - orig), muts[i].mqd);
        }
        g_assert_true(g_file_set_contents(file, buf, len, NULL));
        if (!muts[i].change) {
            /* the source's memory comes along: the MQD is still there */
            QTestState *dst;

            dst = qtest_initf("-M pc -nodefaults -device vkfd,addr=04.0,"
                              "id=pre0,max-queues=2 -incoming defer");
            qtest_qmp_assert_success(dst, "{ 'execute': 'migrate-incoming', "
                                     "'arguments': { 'uri': %s } }", in);
            vkfd_move_to(v, dst);
            lim_counts(v, 1, 1);
            g_assert_cmpuint(lim_cmd(v, VKFD_CMD_MAP_QUEUE, 0, mqd, 3, 0),
                             ==, VKFD_ST_OK);
            lim_counts(v, 1, 0);
            continue;
        }
        vkfd_incoming(",id=pre0,max-queues=2", in, false);
    }
    unlink(file);
    vkfd_stop(v);
}

/*
 * Migration: a preempted AQL dispatch (its waves spinning) and a PM4 IB
 * waiting on its WAIT_REG_MEM, still mapped, move to a new QEMU.  There
 * the preempted queue's doorbell is still dead; it resumes from its MQD
 * and every work-item counts once; the mapped one is preempted and
 * resumed there, and its IB goes on without running twice.
 */
static void test_migration(void)
{
    g_autofree ShRun *r = g_new0(ShRun, 1);
    uint32_t errors;
    PrePm4 p;
    PreQ q;
    PreK k;

    sh_run_init(r, sh_get());
    pre_kernel(r, &k, asm_spin, 3, 192, 0);
    pre_aql_start(r, &q, &k);
    g_assert_true(pre_wait32(r, k.total, 192, PRE_WAIT_MS));
    pre_preempt(r, &q);
    pre_pm4_start(r, &p, SH_CTX, 5, NULL);
    pre_pm4_waiting(r, &p);

    sh_migrate(r);
    sh_w32(r, k.flag, 1);
    errors = rd(r->h->v, VKFD_REG_ACCESS_ERRORS);
    pre_doorbell(r, q.ctx, q.doorbell, 1);
    g_assert_cmpuint(rd(r->h->v, VKFD_REG_ACCESS_ERRORS), ==, errors + 1);
    pre_expect_still(r, k.cnt2, 30);
    g_assert_cmpuint(pre_map(r, &q), ==, VKFD_ST_OK);
    g_assert_true(sh_wait64(r, q.rptr_va, 1, PRE_WAIT_MS));
    pre_expect_once(r, &k);
    pre_destroy(r, &q);

    pre_preempt(r, &p.q);
    sh_w32(r, p.a, 0);
    g_assert_cmpuint(pre_map(r, &p.q), ==, VKFD_ST_OK);
    g_assert_true(pre_pm4_finish(r, &p));
    g_assert_cmpuint(sh_r32(r, p.a), ==, 0);
    pre_destroy(r, &p.q);
}

int main(int argc, char **argv)
{
    static const struct {
        const char *name;
        PreDrop how;
    } drops[] = {
        { "unmap", DROP_UNMAP }, { "ring", DROP_RING }, { "mqd", DROP_MQD },
        { "context", DROP_CONTEXT }, { "reset", DROP_RESET },
    };
    g_autofree char *mc = sh_llvm_mc();
    unsigned i;
    int ret;

    g_test_init(&argc, &argv, NULL);
    qtest_add_func("/vkfd-preempt/limits", test_limits);
    qtest_add_func("/vkfd-preempt/migration-stream", test_migration_stream);
    for (i = 0; i < ARRAY_SIZE(drops); i++) {
        g_autofree char *path = g_strdup_printf("/vkfd-preempt/discard/%s",
                                                drops[i].name);

        qtest_add_data_func(path, (void *)(uintptr_t)drops[i].how,
                            test_discard);
    }
    qtest_add_func("/vkfd-preempt/sdma/copy-fill", test_sdma);
    if (mc) {
        qtest_add_func("/vkfd-preempt/aql/spin", test_aql_spin);
        qtest_add_func("/vkfd-preempt/aql/budget", test_aql_budget);
        qtest_add_func("/vkfd-preempt/pm4/ib", test_pm4_ib);
        qtest_add_func("/vkfd-preempt/migration", test_migration);
    } else {
        g_test_message("no llvm-mc: the shader dispatch cases are skipped");
    }
    ret = g_test_run();
    sh_put();
    return ret;
}
