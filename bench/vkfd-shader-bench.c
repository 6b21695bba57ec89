/*
 * vkfd shader-core benchmark: what one executed wave-instruction costs.
 *
 * A qtest client, built with QEMU's qtests (scripts/build-qemu.sh) but
 * never run as a test.  It dispatches one wave of 64 lanes running a
 * loop: a body of SH_BENCH_OPS instructions of one kind, then the loop's
 * own scalar instructions, for the number of iterations given on the
 * command line (a kernarg, so that the code is the same for every
 * count).  bench/vkfd-shader-bench runs it with N and 10 N iterations,
 * under callgrind and on the wall clock, and divides the difference by
 * the 9 N iterations: what the dispatch, the decode and the queue cost
 * once cancels.  See bench/README.md.
 *
 * It prints one line: scenario=NAME iterations=N ops=B overhead=K
 * seconds=S, with K the scalar instructions of the loop an iteration.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/cutils.h"
#include "vkfd-sh-harness.h"

#define SH_BENCH_OPS    32      /* measured instructions an iteration */
#define LDS_BYTES       (16 * 256)

typedef struct Scenario {
    const char *name;
    const char *what;
    const char *init;       /* before the loop */
    const char *ops[4];     /* the body repeats these in turn */
    const char *tail;       /* after the body, counted as loop overhead */
    unsigned tail_insns;
    bool lds;
} Scenario;

/*
 * The loop: s12 counts down from the iteration count at kernarg 16;
 * s_sub, s_cmp, s_cbranch are its overhead (3 SALU a turn).
 */
static const Scenario scenarios[] = {
    { "salu", "SALU: s_add_u32, s_xor_b32, s_lshl_b32, s_and_b32",
      "s_mov_b32 s10, 1\ns_mov_b32 s11, 0x1234567\n",
      { "s_add_u32 s10, s10, s11", "s_xor_b32 s11, s11, s10",
        "s_lshl_b32 s13, s10, 3", "s_and_b32 s14, s13, s11" } },
    { "valu-f32", "VALU f32, 64 lanes: v_fma_f32, v_add_f32, v_mul_f32, "
      "v_max_f32",
      "v_cvt_f32_u32 v3, v0\nv_add_f32 v3, 1.0, v3\n"
      "v_mov_b32 v4, 0x3f7ff972\nv_mov_b32 v2, 0\nv_mov_b32 v5, 0\n"
      "v_mov_b32 v6, 1.0\nv_mov_b32 v7, 0\n",
      { "v_fma_f32 v2, v3, v4, v2", "v_add_f32 v5, v5, v3",
        "v_mul_f32 v6, v6, v4", "v_max_f32 v7, v7, v5" } },
    { "valu-add-f32", "VALU f32, 64 lanes: v_add_f32 alone",
      "v_cvt_f32_u32 v3, v0\nv_mov_b32 v2, 0\nv_mov_b32 v4, 0\n"
      "v_mov_b32 v5, 0\nv_mov_b32 v6, 0\n",
      { "v_add_f32 v2, v2, v3", "v_add_f32 v4, v4, v3",
        "v_add_f32 v5, v5, v3", "v_add_f32 v6, v6, v3" } },
    { "valu-fma-f32", "VALU f32, 64 lanes: v_fma_f32 alone",
      "v_cvt_f32_u32 v3, v0\nv_mov_b32 v4, 0x3f7ff972\n"
      "v_mov_b32 v2, 0\nv_mov_b32 v5, 0\nv_mov_b32 v6, 0\n"
      "v_mov_b32 v7, 0\n",
      { "v_fma_f32 v2, v3, v4, v2", "v_fma_f32 v5, v3, v4, v5",
        "v_fma_f32 v6, v3, v4, v6", "v_fma_f32 v7, v3, v4, v7" } },
    { "valu-i32", "VALU i32, 64 lanes: v_add_u32, v_xor_b32, "
      "v_lshlrev_b32, v_and_b32",
      "v_mov_b32 v2, v0\nv_mov_b32 v3, 0x1234567\n",
      { "v_add_u32 v2, v2, v3", "v_xor_b32 v3, v3, v2",
        "v_lshlrev_b32 v4, 3, v2", "v_and_b32 v5, v4, v3" } },
    { "global-load", "global_load_dword, 64 lanes, VRAM",
      "",
      { "global_load_dword v2, v1, s[22:23]",
        "global_load_dword v3, v1, s[22:23] offset:256",
        "global_load_dword v4, v1, s[22:23] offset:512",
        "global_load_dword v5, v1, s[22:23] offset:768" },
      "s_waitcnt vmcnt(0)\n", 1 },
    { "lds", "ds_write_b32 and ds_read_b32, 64 lanes",
      "v_mov_b32 v2, v0\n",
      { "ds_write_b32 v1, v2", "ds_read_b32 v3, v1 offset:256",
        "ds_write_b32 v1, v3 offset:512", "ds_read_b32 v4, v1 offset:768" },
      "s_waitcnt lgkmcnt(0)\n", 1, true },
};

static char *bench_asm(const Scenario *sc)
{
    GString *s = g_string_new(SH_PROLOGUE);
    unsigned i;

    g_string_append(s, "s_load_dword s12, s[0:1], 0x10\n");
    g_string_append(s, "s_waitcnt lgkmcnt(0)\n");
    g_string_append(s, sc->init);
    g_string_append(s, "loop:\n");
    for (i = 0; i < SH_BENCH_OPS; i++) {
        g_string_append_printf(s, "%s\n", sc->ops[i % 4]);
    }
    g_string_append(s, sc->tail ? sc->tail : "");
    g_string_append(s, "s_sub_u32 s12, s12, 1\n");
    g_string_append(s, "s_cmp_lg_u32 s12, 0\n");
    g_string_append(s, "s_cbranch_scc1 loop\n");
    g_string_append(s, "s_endpgm\n");
    return g_string_free(s, false);
}

static void usage(void)
{
    unsigned i;

    fprintf(stderr, "usage: vkfd-shader-bench SCENARIO ITERATIONS\n");
    for (i = 0; i < ARRAY_SIZE(scenarios); i++) {
        fprintf(stderr, "  %-12s %s\n", scenarios[i].name,
                scenarios[i].what);
    }
    exit(2);
}

int main(int argc, char **argv)
{
    const Scenario *sc = NULL;
    g_autofree ShRun *r = g_new0(ShRun, 1);
    g_autofree char *text = NULL;
    unsigned long iters;
    unsigned i;
    bool ok;

    g_test_init(&argc, &argv, NULL);
    if (argc != 3 || qemu_strtoul(argv[2], NULL, 0, &iters) || !iters ||
        iters > UINT32_MAX) {
        usage();
    }
    for (i = 0; i < ARRAY_SIZE(scenarios); i++) {
        if (!strcmp(argv[1], scenarios[i].name)) {
            sc = &scenarios[i];
        }
    }
    if (!sc) {
        usage();
    }
    text = bench_asm(sc);
    sh_run_init(r, sh_get());
    r->timeout_ms = 3600 * 1000;
    r->poll_us = 500;
    sh_arg32(r, 16, iters);
    if (sc->lds) {
        r->kd.group_segment_size = LDS_BYTES;
        r->group_segment_size = LDS_BYTES;
    }
    ok = sh_run(r, text) && r->res.completed && !r->res.error;
    if (!ok) {
        fprintf(stderr, "%s: the dispatch did not complete: queue error %u "
                "(%s) info 0x%08x va 0x%" PRIx64 "\n", sc->name,
                r->res.error, sh_qerr_name(r->res.error), r->res.error_info,
                r->res.error_va);
    } else {
        printf("scenario=%s iterations=%lu ops=%u overhead=%u "
               "seconds=%.6f\n", sc->name, iters, SH_BENCH_OPS,
               3 + sc->tail_insns, r->res.seconds);
    }
    sh_put();
    return ok ? 0 : 1;
}
