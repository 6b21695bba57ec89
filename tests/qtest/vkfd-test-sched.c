/*
 * vkfd-test: the scheduler ring (hw/kfd/vkfd-sched.c).  Context
 * commands, every kind of bad command and ring set-up, a ring that
 * wraps, random commands against a model, and SET_TRAP.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "vkfd-test.h"

static void test_map_unmap(void)
{
    Vkfd *v = vkfd_start(NULL);

    ring_enable(v);
    g_assert_cmpuint(submit(v, VKFD_CMD_NOP, 0), ==, VKFD_ST_OK);
    g_assert_cmpuint(submit(v, VKFD_CMD_MAP_CONTEXT, 1), ==, VKFD_ST_OK);
    g_assert_cmpuint(submit(v, VKFD_CMD_MAP_CONTEXT, 1023), ==, VKFD_ST_OK);
    g_assert_cmpuint(rd(v, VKFD_REG_NUM_CONTEXTS), ==, 2);
    g_assert_cmpuint(submit(v, VKFD_CMD_UNMAP_CONTEXT, 1), ==, VKFD_ST_OK);
    g_assert_cmpuint(rd(v, VKFD_REG_NUM_CONTEXTS), ==, 1);
    /* A context id is reusable once unmapped. */
    g_assert_cmpuint(submit(v, VKFD_CMD_MAP_CONTEXT, 1), ==, VKFD_ST_OK);
    g_assert_cmpuint(submit(v, VKFD_CMD_UNMAP_CONTEXT, 1), ==, VKFD_ST_OK);
    g_assert_cmpuint(submit(v, VKFD_CMD_UNMAP_CONTEXT, 1023), ==, VKFD_ST_OK);
    g_assert_cmpuint(rd(v, VKFD_REG_NUM_CONTEXTS), ==, 0);
    g_assert_cmpuint(rd(v, VKFD_REG_SCHED_COMPLETED), ==, 7);
    g_assert_cmpuint(rd(v, VKFD_REG_SCHED_ERROR), ==, VKFD_ST_OK);
    vkfd_stop(v);
}

static void test_bad_commands(void)
{
    Vkfd *v = vkfd_start(NULL);
    struct vkfd_sched_cmd cmd;

    ring_enable(v);
    g_assert_cmpuint(submit(v, VKFD_CMD_MAP_CONTEXT, 5), ==, VKFD_ST_OK);

    g_assert_cmpuint(submit(v, VKFD_CMD_MAP_CONTEXT, 5), ==,
                     VKFD_ST_CONTEXT_MAPPED);
    g_assert_cmpuint(submit(v, VKFD_CMD_UNMAP_CONTEXT, 6), ==,
                     VKFD_ST_CONTEXT_NOT_MAPPED);
    g_assert_cmpuint(submit(v, VKFD_CMD_MAP_CONTEXT, VKFD_KERNEL_CONTEXT), ==,
                     VKFD_ST_BAD_CONTEXT);
    g_assert_cmpuint(submit(v, VKFD_CMD_MAP_CONTEXT, 1024), ==,
                     VKFD_ST_BAD_CONTEXT);
    g_assert_cmpuint(submit(v, VKFD_CMD_UNMAP_CONTEXT, 0xffffffff), ==,
                     VKFD_ST_BAD_CONTEXT);
    g_assert_cmpuint(submit(v, 0xee, 1), ==, VKFD_ST_BAD_OPCODE);
    g_assert_cmpuint(rd(v, VKFD_REG_SCHED_ERROR), ==, VKFD_ST_BAD_OPCODE);
    g_assert_cmpuint(rd(v, VKFD_REG_SCHED_ERROR_RPTR), ==, 6 * CMD_SIZE);
    /* queue commands without an MQD or a queue (more in /vkfd/queue/) */
    g_assert_cmpuint(submit(v, VKFD_CMD_MAP_QUEUE, 5), ==, VKFD_ST_BAD_MQD);
    g_assert_cmpuint(submit(v, VKFD_CMD_UNMAP_QUEUE, 5), ==,
                     VKFD_ST_NO_QUEUE);
    g_assert_cmpuint(submit(v, VKFD_CMD_MAP_QUEUE, 6), ==,
                     VKFD_ST_CONTEXT_NOT_MAPPED);

    /* Reserved fields must be zero; the command then does nothing. */
    sched_cmd(&cmd, VKFD_CMD_MAP_CONTEXT, 7);
    cmd.reserved1 = 1;
    g_assert_cmpuint(submit_cmd(v, &cmd), ==, VKFD_ST_BAD_ARGUMENT);
    sched_cmd(&cmd, VKFD_CMD_MAP_CONTEXT, 7);
    cmd.flags = 0x80;
    g_assert_cmpuint(submit_cmd(v, &cmd), ==, VKFD_ST_BAD_ARGUMENT);
    sched_cmd(&cmd, VKFD_CMD_MAP_CONTEXT, 7);
    cmd.u.raw[4] = 1;
    g_assert_cmpuint(submit_cmd(v, &cmd), ==, VKFD_ST_BAD_ARGUMENT);
    sched_cmd(&cmd, VKFD_CMD_MAP_CONTEXT, 7);
    cmd.u.map_context.pt_base = 0x1234;     /* not page aligned */
    g_assert_cmpuint(submit_cmd(v, &cmd), ==, VKFD_ST_BAD_ARGUMENT);
    sched_cmd(&cmd, VKFD_CMD_UNMAP_CONTEXT, 5);
    cmd.u.raw[0] = 1;
    g_assert_cmpuint(submit_cmd(v, &cmd), ==, VKFD_ST_BAD_ARGUMENT);
    g_assert_cmpuint(rd(v, VKFD_REG_NUM_CONTEXTS), ==, 1);

    /* A fence the device cannot write: unaligned, or not memory at all. */
    sched_cmd(&cmd, VKFD_CMD_MAP_CONTEXT, 8);
    cmd.fence_addr = v->fences + 4;
    ring_put(v, &cmd);
    sched_cmd(&cmd, VKFD_CMD_MAP_CONTEXT, 9);
    cmd.fence_addr = 0xfffffffffff00000ULL;
    ring_put(v, &cmd);
    wr(v, VKFD_REG_SCHED_WPTR, v->wptr);
    ring_wait_idle(v);
    g_assert_cmpuint(rd(v, VKFD_REG_SCHED_ERROR), ==, VKFD_ST_DMA_ERROR);
    g_assert_cmpuint(rd(v, VKFD_REG_NUM_CONTEXTS), ==, 1);

    /* The ring keeps going after command errors. */
    g_assert_cmpuint(submit(v, VKFD_CMD_UNMAP_CONTEXT, 5), ==, VKFD_ST_OK);
    g_assert_cmpuint(rd(v, VKFD_REG_NUM_CONTEXTS), ==, 0);
    g_assert_cmphex(rd(v, VKFD_REG_STATUS), ==, VKFD_STATUS_ENABLED);
    vkfd_stop(v);
}

static void test_ring_errors(void)
{
    Vkfd *v = vkfd_start(NULL);
    static const uint32_t bad_sizes[] = { 0, 0x800, 0x1800, 0x200000 };
    struct vkfd_sched_cmd cmd = { .opcode = VKFD_CMD_NOP };
    unsigned i;

    /* WPTR before the ring is enabled */
    wr(v, VKFD_REG_SCHED_WPTR, 0x40);
    g_assert_cmpuint(rd(v, VKFD_REG_ACCESS_ERRORS), ==, 1);
    g_assert_cmpuint(rd(v, VKFD_REG_SCHED_WPTR), ==, 0);

    for (i = 0; i < ARRAY_SIZE(bad_sizes); i++) {
        ring_setup(v, v->ring, bad_sizes[i]);
        g_assert_cmphex(rd(v, VKFD_REG_STATUS), ==,
                        VKFD_STATUS_ENABLED | VKFD_STATUS_SCHED_HALTED);
        g_assert_cmphex(rd(v, VKFD_REG_SCHED_ERROR), ==, VKFD_ST_RING_CONFIG);
        wr(v, VKFD_REG_CONTROL, 0);
    }
    ring_setup(v, v->ring + 0x40, RING_SIZE);          /* unaligned base */
    g_assert_cmphex(rd(v, VKFD_REG_SCHED_ERROR), ==, VKFD_ST_RING_CONFIG);
    wr(v, VKFD_REG_CONTROL, 0);
    ring_setup(v, 0xfffffffffffff000ULL, RING_SIZE);   /* wraps */
    g_assert_cmphex(rd(v, VKFD_REG_SCHED_ERROR), ==, VKFD_ST_RING_CONFIG);
    wr(v, VKFD_REG_CONTROL, 0);

    /* Geometry cannot move while the ring runs. */
    ring_enable(v);
    wr(v, VKFD_REG_SCHED_SIZE, 0x2000);
    wr(v, VKFD_REG_SCHED_BASE_LO, 0);
    g_assert_cmphex(rd(v, VKFD_REG_SCHED_SIZE), ==, RING_SIZE);
    g_assert_cmphex(rd(v, VKFD_REG_SCHED_BASE_LO), ==, (uint32_t)v->ring);

    /* Unaligned and out-of-range WPTR halt the ring. */
    wr(v, VKFD_REG_SCHED_WPTR, 0x20);
    g_assert_cmphex(rd(v, VKFD_REG_STATUS), ==,
                    VKFD_STATUS_ENABLED | VKFD_STATUS_SCHED_HALTED);
    g_assert_cmphex(rd(v, VKFD_REG_SCHED_ERROR), ==, VKFD_ST_RING_WPTR);
    wr(v, VKFD_REG_CONTROL, 0);
    ring_enable(v);
    wr(v, VKFD_REG_SCHED_WPTR, RING_SIZE);
    g_assert_cmphex(rd(v, VKFD_REG_SCHED_ERROR), ==, VKFD_ST_RING_WPTR);
    wr(v, VKFD_REG_CONTROL, 0);

    /* A ring outside guest RAM halts on the first read. */
    ring_setup(v, 0xfffff00000000000ULL, RING_SIZE);
    g_assert_cmphex(rd(v, VKFD_REG_STATUS), ==, VKFD_STATUS_ENABLED);
    wr(v, VKFD_REG_SCHED_WPTR, CMD_SIZE);
    for (i = 0; i < 1000 && !(rd(v, VKFD_REG_STATUS) &
                              VKFD_STATUS_SCHED_HALTED); i++) {
        g_usleep(100);
    }
    g_assert_cmphex(rd(v, VKFD_REG_SCHED_ERROR), ==, VKFD_ST_RING_DMA);
    g_assert_cmphex(rd(v, VKFD_REG_SCHED_RPTR), ==, 0);
    wr(v, VKFD_REG_CONTROL, 0);

    /* Re-enabling a good ring recovers. */
    ring_enable(v);
    g_assert_cmpuint(submit_cmd(v, &cmd), ==, VKFD_ST_OK);
    g_assert_cmphex(rd(v, VKFD_REG_SCHED_ERROR), ==, VKFD_ST_OK);

    /* A device reset forgets everything. */
    g_assert_cmpuint(submit(v, VKFD_CMD_MAP_CONTEXT, 3), ==, VKFD_ST_OK);
    wr(v, VKFD_REG_CONTROL, VKFD_CONTROL_RESET);
    g_assert_cmphex(rd(v, VKFD_REG_STATUS), ==, 0);
    g_assert_cmphex(rd(v, VKFD_REG_SCHED_SIZE), ==, 0);
    g_assert_cmpuint(rd(v, VKFD_REG_NUM_CONTEXTS), ==, 0);
    g_assert_cmpuint(rd(v, VKFD_REG_ACCESS_ERRORS), ==, 0);
    vkfd_stop(v);
}

/* Fill the whole ring in one kick, many times over, so rptr wraps. */
static void test_ring_wrap(void)
{
    Vkfd *v = vkfd_start(NULL);
    uint32_t per_kick = RING_SIZE / CMD_SIZE - 1;
    uint32_t round, i, ctx;

    ring_enable(v);
    for (round = 0; round < 6; round++) {
        for (i = 0; i < per_kick; i++) {
            struct vkfd_sched_cmd cmd = {
                .opcode = round % 2 ? VKFD_CMD_UNMAP_CONTEXT
                                    : VKFD_CMD_MAP_CONTEXT,
                .ctx_id = 1 + i,
            };
            ring_put(v, &cmd);
        }
        wr(v, VKFD_REG_SCHED_WPTR, v->wptr);
        ring_wait_idle(v);
        g_assert_cmpuint(rd(v, VKFD_REG_NUM_CONTEXTS), ==,
                         round % 2 ? 0 : per_kick);
    }
    g_assert_cmpuint(rd(v, VKFD_REG_SCHED_COMPLETED), ==, 6 * per_kick);
    g_assert_cmpuint(rd(v, VKFD_REG_SCHED_ERROR), ==, VKFD_ST_OK);
    /* every fence of the last round says OK */
    for (ctx = 0; ctx < per_kick; ctx++) {
        uint32_t slot = (v->wptr / CMD_SIZE + RING_SIZE / CMD_SIZE - 1 - ctx) %
                        (RING_SIZE / CMD_SIZE);
        g_assert_cmpuint(qtest_readl(v->qts, v->fences + slot * 8 + 4), ==,
                         VKFD_ST_OK);
    }
    vkfd_stop(v);
}

/*
 * Random commands, some well formed, most not, against a model of which
 * contexts must be live.  The device must agree with the model after every
 * batch, answer every fence, and keep serving registers.
 */
static void test_random_commands(void)
{
    Vkfd *v = vkfd_start(",max-contexts=32");
    bool live[40] = { false };
    uint32_t expect_live = 0, round, i, reg;
    GRand *rand = g_rand_new_with_seed(0x6b6664);

    ring_enable(v);
    for (round = 0; round < 40; round++) {
        for (i = 0; i < RING_SIZE / CMD_SIZE - 1; i++) {
            struct vkfd_sched_cmd cmd;
            uint32_t ctx = g_rand_int_range(rand, 0, 40);
            bool garbage = g_rand_int_range(rand, 0, 4) == 0;
            unsigned j;

            sched_cmd(&cmd, g_rand_int_range(rand, 0, 4) ?
                            g_rand_int_range(rand, 1, 3) :
                            g_rand_int_range(rand, 0, 256), ctx);
            if (garbage) {
                for (j = 0; j < ARRAY_SIZE(cmd.u.raw); j++) {
                    cmd.u.raw[j] = ((uint64_t)g_rand_int(rand) << 32) |
                                   g_rand_int(rand);
                }
                cmd.reserved0 = g_rand_int(rand);
                cmd.flags = g_rand_int(rand) & 0xfe;
            }
            ring_put(v, &cmd);

            /* the model: only clean MAP/UNMAP of a valid id do anything */
            if (garbage || ctx == 0 || ctx >= 32) {
                continue;
            }
            if (cmd.opcode == VKFD_CMD_MAP_CONTEXT && !live[ctx]) {
                live[ctx] = true;
                expect_live++;
            } else if (cmd.opcode == VKFD_CMD_UNMAP_CONTEXT && live[ctx]) {
                live[ctx] = false;
                expect_live--;
            }
        }
        /* and noise on the registers that must ignore it */
        reg = g_rand_int_range(rand, 0, VKFD_REGS_SIZE / 4) * 4;
        if (reg != VKFD_REG_CONTROL && (reg < VKFD_REG_SCHED_BASE_LO ||
                                        reg > VKFD_REG_SCHED_COMPLETED)) {
            wr(v, reg, g_rand_int(rand));
        }
        g_assert_cmphex(rd(v, VKFD_REG_STATUS), ==, VKFD_STATUS_ENABLED);
        wr(v, VKFD_REG_SCHED_WPTR, v->wptr);
        ring_wait_idle(v);
        g_assert_cmpuint(rd(v, VKFD_REG_NUM_CONTEXTS), ==, expect_live);
    }
    g_assert_cmphex(rd(v, VKFD_REG_ID), ==, VKFD_ID_MAGIC);
    g_rand_free(rand);
    vkfd_stop(v);
}

/*
 * SET_TRAP.  The device has no register that shows a context's trap
 * handler: the tests read it where it leaves the device, in the
 * migration stream (subsection "vkfd/trap": a big-endian TBA and TMA per
 * context id, present only while a context has a handler), and go on
 * with the machine that loaded it.
 */
#define TRAP_SUBSECTION "\x09" "vkfd/trap"

static uint32_t set_trap(Vkfd *v, uint32_t ctx, uint64_t tba, uint64_t tma)
{
    struct vkfd_sched_cmd cmd;

    sched_cmd(&cmd, VKFD_CMD_SET_TRAP, ctx);
    cmd.u.set_trap.tba = tba;
    cmd.u.set_trap.tma = tma;
    return submit_cmd(v, &cmd);
}

/*
 * Migrate v (vkfd_migrate_keep) and return what the migration stream
 * says about ctx's trap handler: false if the subsection is absent.
 */
static bool trap_hop(Vkfd *v, uint32_t ctx, uint64_t *tba, uint64_t *tma)
{
    g_autofree char *buf = NULL;
    const char *sub, *at;
    gsize len;

    vkfd_migrate_keep(v, VKFD_PROPS, &buf, &len);
    sub = memmem(buf, len, TRAP_SUBSECTION, strlen(TRAP_SUBSECTION));
    if (!sub) {
        return false;
    }
    /* after the name: the version, then 16 bytes per context */
    at = sub + strlen(TRAP_SUBSECTION) + 4 + 16 * ctx;
    g_assert_cmpuint(at + 16 - buf, <=, len);
    g_assert_cmphex(ldl_be_p(at - 16 * ctx - 4), ==, 1);
    *tba = ldq_be_p(at);
    *tma = ldq_be_p(at + 8);
    return true;
}

static void check_trap(Vkfd *v, uint32_t ctx, uint64_t tba, uint64_t tma)
{
    uint64_t got_tba = 0, got_tma = 0;

    g_assert_true(trap_hop(v, ctx, &got_tba, &got_tma));
    g_assert_cmphex(got_tba, ==, tba);
    g_assert_cmphex(got_tma, ==, tma);
}

static void test_set_trap(void)
{
    const uint64_t tba = 0x7fff12345600ull, tma = 0x7fff9abcde00ull;
    Vkfd *v = vkfd_start(NULL);
    struct vkfd_sched_cmd cmd;
    uint64_t x, y;
    unsigned i;

    ring_enable(v);
    g_assert_cmpuint(submit(v, VKFD_CMD_MAP_CONTEXT, 1), ==, VKFD_ST_OK);
    g_assert_cmpuint(submit(v, VKFD_CMD_MAP_CONTEXT, 1023), ==, VKFD_ST_OK);
    /* no handler anywhere: no subsection */
    g_assert_false(trap_hop(v, 1, &x, &y));

    g_assert_cmpuint(set_trap(v, 1, tba, tma), ==, VKFD_ST_OK);
    g_assert_cmpuint(set_trap(v, 1023, ~0ull, 1), ==, VKFD_ST_OK);

    /* bad contexts: the kernel's, out of range, not mapped */
    g_assert_cmpuint(set_trap(v, VKFD_KERNEL_CONTEXT, 1, 1), ==,
                     VKFD_ST_BAD_CONTEXT);
    g_assert_cmpuint(set_trap(v, 1024, 1, 1), ==, VKFD_ST_BAD_CONTEXT);
    g_assert_cmpuint(set_trap(v, 0xffffffff, 1, 1), ==, VKFD_ST_BAD_CONTEXT);
    g_assert_cmpuint(set_trap(v, 2, 1, 1), ==, VKFD_ST_CONTEXT_NOT_MAPPED);
    g_assert_cmpuint(rd(v, VKFD_REG_SCHED_ERROR), ==,
                     VKFD_ST_CONTEXT_NOT_MAPPED);
    /* flags, reserved fields and the unused payload must be zero */
    for (i = 0; i < 6; i++) {
        sched_cmd(&cmd, VKFD_CMD_SET_TRAP, 1);
        cmd.u.set_trap.tba = 0xbad;
        cmd.u.set_trap.tma = 0xbad;
        switch (i) {
        case 0:
            cmd.u.set_trap.flags = 1;
            break;
        case 1:
            cmd.u.set_trap.reserved = 0x80000000u;
            break;
        case 2:
            cmd.u.raw[3] = 1;
            break;
        case 3:
            cmd.u.raw[4] = 1ull << 63;
            break;
        case 4:
            cmd.reserved0 = 1;
            break;
        case 5:
            cmd.flags = 0x40;
            break;
        }
        g_assert_cmpuint(submit_cmd(v, &cmd), ==, VKFD_ST_BAD_ARGUMENT);
    }
    g_assert_cmpuint(rd(v, VKFD_REG_SCHED_ERROR), ==, VKFD_ST_BAD_ARGUMENT);
    g_assert_cmphex(rd(v, VKFD_REG_STATUS), ==, VKFD_STATUS_ENABLED);

    /* none of the failures changed anything; the values migrate */
    check_trap(v, 1, tba, tma);
    check_trap(v, 1023, ~0ull, 1);
    check_trap(v, 2, 0, 0);
    g_assert_cmpuint(rd(v, VKFD_REG_NUM_CONTEXTS), ==, 2);

    /* on the other side the ring goes on: replace one, clear the other */
    g_assert_cmpuint(set_trap(v, 1, tma, tba), ==, VKFD_ST_OK);
    g_assert_cmpuint(set_trap(v, 1023, 0, 0), ==, VKFD_ST_OK);
    check_trap(v, 1, tma, tba);
    check_trap(v, 1023, 0, 0);

    /* UNMAP_CONTEXT forgets it: a new context of that id has none */
    g_assert_cmpuint(submit(v, VKFD_CMD_UNMAP_CONTEXT, 1), ==, VKFD_ST_OK);
    g_assert_cmpuint(submit(v, VKFD_CMD_MAP_CONTEXT, 1), ==, VKFD_ST_OK);
    g_assert_false(trap_hop(v, 1, &x, &y));

    /* and so does a reset */
    g_assert_cmpuint(set_trap(v, 1, tba, tma), ==, VKFD_ST_OK);
    wr(v, VKFD_REG_CONTROL, VKFD_CONTROL_RESET);
    g_assert_cmpuint(rd(v, VKFD_REG_NUM_CONTEXTS), ==, 0);
    ring_enable(v);
    g_assert_cmpuint(submit(v, VKFD_CMD_MAP_CONTEXT, 1), ==, VKFD_ST_OK);
    g_assert_false(trap_hop(v, 1, &x, &y));
    vkfd_stop(v);
}

/*
 * A stream in which an unmapped context has a trap handler is a state
 * the device cannot reach: the destination refuses it (and exits), while
 * the same stream unchanged loads.
 */
static void test_set_trap_refused(void)
{
    g_autofree char *file = g_strdup_printf("%s/vkfd-trap-bad-%d",
                                            g_get_tmp_dir(), getpid());
    g_autofree char *uri = g_strdup_printf("exec:cat > %s", file);
    g_autofree char *in = g_strdup_printf("exec:cat %s", file);
    g_autofree char *orig = NULL;
    Vkfd *v = vkfd_start(NULL);
    char *sub;
    gsize len;
    int round;

    ring_enable(v);
    g_assert_cmpuint(submit(v, VKFD_CMD_MAP_CONTEXT, 1), ==, VKFD_ST_OK);
    g_assert_cmpuint(set_trap(v, 1, 0x1000, 0x2000), ==, VKFD_ST_OK);
    qtest_qmp_assert_success(v->qts, "{ 'execute': 'migrate', 'arguments': "
                             "{ 'uri': %s } }", uri);
    g_assert_true(migration_wait(v->qts));
    vkfd_stop(v);
    g_assert_true(g_file_get_contents(file, &orig, &len, NULL));
    sub = memmem(orig, len, TRAP_SUBSECTION, strlen(TRAP_SUBSECTION));
    g_assert_nonnull(sub);
    sub += strlen(TRAP_SUBSECTION) + 4;
    g_assert_cmphex(ldq_be_p(sub + 16), ==, 0x1000);
    g_assert_cmphex(ldq_be_p(sub + 32), ==, 0);

    for (round = 0; round < 3; round++) {
        g_autofree char *buf = g_memdup2(orig, len);

        if (round) {
            /* context 2 (unmapped) gets a TBA, or a TMA */
            stq_be_p(buf + (sub - orig) + 32 + 8 * (round - 1), 0x3000);
        }
        g_assert_true(g_file_set_contents(file, buf, len, NULL));
        vkfd_incoming(VKFD_PROPS, in, !round);
    }
    unlink(file);
}

void vkfd_test_add_sched(void)
{
    qtest_add_func("/vkfd/sched/map-unmap", test_map_unmap);
    qtest_add_func("/vkfd/sched/bad-commands", test_bad_commands);
    qtest_add_func("/vkfd/sched/ring-errors", test_ring_errors);
    qtest_add_func("/vkfd/sched/wrap", test_ring_wrap);
    qtest_add_func("/vkfd/sched/random", test_random_commands);
    qtest_add_func("/vkfd/sched/set-trap", test_set_trap);
    qtest_add_func("/vkfd/sched/set-trap-refused", test_set_trap_refused);
}
