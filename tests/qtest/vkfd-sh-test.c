/*
 * QTest testcases for the vkfd shader core: hand-written GFX9 (gfx90a)
 * instruction streams, assembled at test time by LLVM's llvm-mc, run
 * through AQL kernel dispatches and checked lane by lane.
 *
 * The harness (vkfd-sh-harness.h) and its own tests are here; the cases
 * are tables, one file per unit of the shader core:
 *
 *   vkfd-sh-cases-core.c.inc   dispatch: descriptor, initial registers,
 *                              grids, workgroups, faults, preemption
 *   vkfd-sh-cases-salu.c.inc   SOP1, SOP2, SOPK, SOPC, SOPP, SMEM
 *   vkfd-sh-cases-valu.c.inc   VOP1, VOP2, VOPC, VOP3, VOP3P, DPP, SDWA
 *   vkfd-sh-cases-valufp.c.inc the floating-point VALU instructions
 *   vkfd-sh-cases-mem.c.inc    FLAT, GLOBAL, SCRATCH, MUBUF, DS
 *
 * and here, /vkfd-sh/waves/: the resident wave count of a context
 * (WAVES_SEL, WAVES) while a kernel spins, migrated and reset.
 *
 * Each case is one test, /vkfd-sh/UNIT/NAME, so `-p` runs one of them;
 * all run on the binary's one QEMU, each on a queue of its own.  Checks
 * do not abort: a failed case says what differed and the next one runs.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/cutils.h"
#include "vkfd-sh-harness.h"

#include "vkfd-sh-cases-core.c.inc"
#include "vkfd-sh-cases-salu.c.inc"
#include "vkfd-sh-cases-valu.c.inc"
#include "vkfd-sh-cases-valufp.c.inc"
#include "vkfd-sh-cases-mem.c.inc"

/*
 * WAVES_SEL/WAVES: the waves of a context resident in the shader core
 * (what the driver turns into amdkfd's cu_occupancy).  The kernel spins
 * until the dword at `in` is non-zero; two workgroups of 320 work-items,
 * run one at a time: 5 waves resident while it spins.
 */
#define ASM_WAVES_SPIN \
    SH_PROLOGUE \
    "loop:\n" \
    "s_load_dword s13, s[22:23], 0x0 glc\n" \
    "s_waitcnt lgkmcnt(0)\n" \
    "s_cmp_eq_u32 s13, 0\n" \
    "s_cbranch_scc1 loop\n" \
    "s_endpgm\n"

#define WAVES_SPIN_WAVES    5
#define WAVES_OTHER_CTX     2   /* not the harness's SH_CTX */

static uint32_t waves_of(ShRun *r, uint32_t ctx)
{
    wr(r->h->v, VKFD_REG_WAVES_SEL, ctx);
    return rd(r->h->v, VKFD_REG_WAVES);
}

/* Wait (30 s at most) until SH_CTX has its waves resident. */
static void waves_wait_started(ShRun *r)
{
    gint64 deadline = g_get_monotonic_time() + 30 * G_USEC_PER_SEC;

    while (waves_of(r, SH_CTX) != WAVES_SPIN_WAVES &&
           g_get_monotonic_time() < deadline) {
        sh_pause(r, 1);
    }
    g_assert_cmpuint(waves_of(r, SH_CTX), ==, WAVES_SPIN_WAVES);
}

/* Release the spinning waves and wait for the signal. */
static void waves_release(ShRun *r)
{
    sh_w32(r, r->in, 1);
    g_assert_true(sh_wait64(r, r->signal + VKFD_SIGNAL_VALUE, 0, 30000));
}

static void waves_setup(ShRun *r)
{
    sh_grid(r, 640, 1, 1, 320, 1, 1);
    sh_w32(r, r->in, 0);
    r->during_ms = 20;
}

/*
 * While it spins: SH_CTX counts its waves, other contexts (the kernel's,
 * a live one without queues, one not mapped) 0, and a selector out of
 * range is refused and reads 0.  Once the kernel ended, with its queue
 * still mapped, SH_CTX reads 0 too.
 */
static void waves_resident(ShRun *r)
{
    Vkfd *v = r->h->v;
    struct vkfd_sched_cmd unmap = {
        .opcode = VKFD_CMD_UNMAP_CONTEXT, .ctx_id = WAVES_OTHER_CTX,
    };
    uint32_t errors, max = rd(v, VKFD_REG_MAX_CONTEXTS);

    waves_wait_started(r);
    g_assert_cmpuint(waves_of(r, VKFD_KERNEL_CONTEXT), ==, 0);
    g_assert_cmpuint(waves_of(r, WAVES_OTHER_CTX), ==, 0);
    g_assert_cmpuint(map_ctx(v, WAVES_OTHER_CTX, r->h->root), ==,
                     VKFD_ST_OK);
    g_assert_cmpuint(waves_of(r, WAVES_OTHER_CTX), ==, 0);
    g_assert_cmpuint(submit_cmd(v, &unmap), ==, VKFD_ST_OK);

    errors = rd(v, VKFD_REG_ACCESS_ERRORS);
    g_assert_cmpuint(waves_of(r, max), ==, 0);
    g_assert_cmpuint(rd(v, VKFD_REG_ACCESS_ERRORS), ==, errors + 1);
    g_assert_cmpuint(waves_of(r, UINT32_MAX), ==, 0);
    g_assert_cmpuint(rd(v, VKFD_REG_ACCESS_ERRORS), ==, errors + 2);
    g_assert_cmphex(rd(v, VKFD_REG_WAVES_SEL), ==, UINT32_MAX);
    /* WAVES is read-only: a write is refused and changes nothing */
    wr(v, VKFD_REG_WAVES, 7);
    g_assert_cmpuint(rd(v, VKFD_REG_ACCESS_ERRORS), ==, errors + 3);
    g_assert_cmpuint(waves_of(r, max - 1), ==, 0);
    g_assert_cmpuint(rd(v, VKFD_REG_ACCESS_ERRORS), ==, errors + 3);

    g_assert_cmpuint(waves_of(r, SH_CTX), ==, WAVES_SPIN_WAVES);
    waves_release(r);
    g_assert_cmpuint(waves_of(r, SH_CTX), ==, 0);
}

static void setup_waves_resident(ShRun *r)
{
    waves_setup(r);
    r->during = waves_resident;
}

static void check_waves_done(ShRun *r)
{
    sh_expect_done(r);
    g_assert_cmpuint(waves_of(r, SH_CTX), ==, 0);
}

/* The count and the selector come through a migration mid-kernel. */
static void waves_migrate(ShRun *r)
{
    waves_wait_started(r);
    sh_migrate(r);
    g_assert_cmpuint(rd(r->h->v, VKFD_REG_WAVES_SEL), ==, SH_CTX);
    g_assert_cmpuint(rd(r->h->v, VKFD_REG_WAVES), ==, WAVES_SPIN_WAVES);
    waves_release(r);
}

static void setup_waves_migrate(ShRun *r)
{
    waves_setup(r);
    r->during = waves_migrate;
}

/* A reset drops the waves: nothing resident, the selector back to 0. */
static void waves_reset(ShRun *r)
{
    waves_wait_started(r);
    wr(r->h->v, VKFD_REG_CONTROL, VKFD_CONTROL_RESET);
    r->gone = true;
    g_assert_cmpuint(rd(r->h->v, VKFD_REG_WAVES_SEL), ==, 0);
    g_assert_cmpuint(waves_of(r, SH_CTX), ==, 0);
}

static void setup_waves_reset(ShRun *r)
{
    waves_setup(r);
    r->during = waves_reset;
}

static void check_waves_reset(ShRun *r)
{
    g_assert_true(r->gone);
    g_assert_false(r->res.completed);
}

/* PM4 dispatches count the same way. */
static void waves_pm4(ShRun *r)
{
    waves_wait_started(r);
    sh_w32(r, r->in, 1);
}

static void setup_waves_pm4(ShRun *r)
{
    waves_setup(r);
    r->pm4 = true;
    r->during = waves_pm4;
}

static const ShCase sh_cases_waves[] = {
    { "resident-then-none", ASM_WAVES_SPIN, setup_waves_resident,
      check_waves_done },
    { "migrate-in-flight", ASM_WAVES_SPIN, setup_waves_migrate,
      check_waves_done },
    { "reset-drops", ASM_WAVES_SPIN, setup_waves_reset, check_waves_reset },
    { "pm4", ASM_WAVES_SPIN, setup_waves_pm4, check_waves_done },
    SH_CASES_END
};

/*
 * The harness itself
 */

static const struct {
    const char *text;
    uint32_t dw[4];
    unsigned n;
} asm_cases[] = {
    { "s_endpgm", { 0xbf810000 }, 1 },
    { "s_mov_b32 s0, 0x12345678", { 0xbe8000ff, 0x12345678 }, 2 },
    { "v_add_f32 v1, 1.0, v2", { 0x020204f2 }, 1 },
    { ".long 0xffffffff\n.long 7", { 0xffffffff, 7 }, 2 },
    /* a branch back to itself: simm16 -1 */
    { "l:\ns_branch l", { 0xbf82ffff }, 1 },
    /* backwards over one instruction, forwards over one */
    { "top:\ns_nop 0\ns_cbranch_scc1 top\ns_branch end\ns_nop 1\nend:",
      { 0xbf800000, 0xbf85fffe, 0xbf820001, 0xbf800001 }, 4 },
};

/* Known encodings come out of sh_assemble, branches resolved. */
static void test_assemble(void)
{
    unsigned i, j;

    for (i = 0; i < ARRAY_SIZE(asm_cases); i++) {
        g_autoptr(GByteArray) code = g_byte_array_new();
        g_autoptr(GString) err = g_string_new(NULL);

        g_test_message("%s", asm_cases[i].text);
        if (!sh_assemble(asm_cases[i].text, code, err)) {
            g_test_message("%s", err->str);
            g_test_fail();
            continue;
        }
        g_assert_cmpuint(code->len, ==, asm_cases[i].n * 4);
        for (j = 0; j < asm_cases[i].n && code->len == asm_cases[i].n * 4;
             j++) {
            g_assert_cmphex((uint32_t)ldl_le_p(code->data + 4 * j), ==,
                            asm_cases[i].dw[j]);
        }
    }
}

static const struct {
    const char *text;
    const char *message;    /* part of the error */
} asm_bad_cases[] = {
    { "bogus v1", "invalid instruction" },
    { "s_branch nowhere", "unknown label nowhere" },
    { "s_nop 0\n.p2align 8\ns_endpgm", "unsupported line" },
    { "s_getpc_b64 s[0:1]\ns_add_u32 s0, s0, x-4\nx:", "unsupported fixup" },
};

/* What cannot be assembled fails with llvm-mc's or the parser's words. */
static void test_assemble_errors(void)
{
    const char *saved = g_getenv("VKFD_LLVM_MC");
    g_autofree char *keep = g_strdup(saved);
    unsigned i;

    for (i = 0; i < ARRAY_SIZE(asm_bad_cases); i++) {
        g_autoptr(GByteArray) code = g_byte_array_new();
        g_autoptr(GString) err = g_string_new(NULL);

        g_test_message("%s", asm_bad_cases[i].text);
        g_assert_false(sh_assemble(asm_bad_cases[i].text, code, err));
        g_assert_nonnull(strstr(err->str, asm_bad_cases[i].message));
    }
    /* an llvm-mc that is not there is said so */
    g_setenv("VKFD_LLVM_MC", "/nonexistent/llvm-mc", true);
    {
        g_autoptr(GByteArray) code = g_byte_array_new();
        g_autoptr(GString) err = g_string_new(NULL);

        g_assert_false(sh_assemble("s_endpgm", code, err));
        g_assert_nonnull(strstr(err->str, "/nonexistent/llvm-mc"));
    }
    if (keep) {
        g_setenv("VKFD_LLVM_MC", keep, true);
    } else {
        g_unsetenv("VKFD_LLVM_MC");
    }
}

/*
 * The descriptor sh_kd_write() makes from the defaults is the one LLVM
 * makes from the same settings (.amdhsa_kernel), but for the entry
 * offset, which LLVM leaves to a relocation.
 */
static void test_descriptor(void)
{
    static const char text[] =
        ".text\n.p2align 8\nk:\ns_endpgm\n.rodata\n.p2align 6\n"
        ".amdhsa_kernel k\n"
        ".amdhsa_next_free_vgpr 512\n.amdhsa_next_free_sgpr 102\n"
        ".amdhsa_accum_offset 256\n"
        ".amdhsa_user_sgpr_kernarg_segment_ptr 1\n"
        ".amdhsa_kernarg_size 4096\n"
        ".amdhsa_reserve_vcc 0\n.amdhsa_reserve_flat_scratch 0\n"
        ".amdhsa_float_denorm_mode_32 3\n"
        ".end_amdhsa_kernel\n";
    g_autofree char *mc = sh_llvm_mc();
    g_autofree char *dir = g_dir_make_tmp("vkfd-sh-XXXXXX", NULL);
    g_autofree char *src = g_build_filename(dir, "kd.s", NULL);
    g_autofree char *obj = g_build_filename(dir, "kd.o", NULL);
    g_autofree char *bin = g_build_filename(dir, "kd.bin", NULL);
    g_autofree char *objcopy = NULL, *llvm = NULL, *base = NULL;
    g_autofree char *cmd = NULL;
    g_autofree uint8_t *want = NULL;
    uint8_t got[64];
    const char *tail;
    ShKd kd;
    gsize len = 0;
    int status;

    g_assert_nonnull(mc);
    g_assert_nonnull(dir);
    /* llvm-mc-15 comes with llvm-objcopy-15 */
    base = g_path_get_basename(mc);
    tail = base + strlen("llvm-mc");
    g_assert_true(g_str_has_prefix(base, "llvm-mc"));
    llvm = g_path_get_dirname(mc);
    objcopy = g_strdup_printf("%s/llvm-objcopy%s", llvm, tail);
    g_assert_true(g_file_set_contents(src, text, -1, NULL));
    cmd = g_strdup_printf("%s -triple=amdgcn-amd-amdhsa -mcpu=gfx90a "
                          "-filetype=obj %s -o %s", mc, src, obj);
    g_assert_true(g_spawn_command_line_sync(cmd, NULL, NULL, &status, NULL));
    g_assert_true(WIFEXITED(status) && !WEXITSTATUS(status));
    g_free(cmd);
    cmd = g_strdup_printf("%s -O binary --only-section=.rodata %s %s",
                          objcopy, obj, bin);
    g_assert_true(g_spawn_command_line_sync(cmd, NULL, NULL, &status, NULL));
    g_assert_true(WIFEXITED(status) && !WEXITSTATUS(status));
    g_assert_true(g_file_get_contents(bin, (char **)&want, &len, NULL));
    g_assert_cmpuint(len, ==, 64);

    sh_kd_default(&kd);
    kd.entry = 0;
    sh_kd_bytes(&kd, got);
    g_assert_cmpmem(got, 64, want, 64);
    unlink(src);
    unlink(obj);
    unlink(bin);
    rmdir(dir);
}

/*
 * The dispatch path without the shader core: the built-in fill kernel
 * through sh_dispatch(), twice, its signal's mailbox and IH entry.
 */
static void test_dispatch_builtin(void)
{
    g_autofree ShRun *r = g_new0(ShRun, 1);
    const struct vkfd_ih_entry *ih;
    uint32_t want[128];
    unsigned i;

    sh_run_init(r, sh_get());
    r->kobj = sh_alloc(r, 64);
    sh_w64(r, r->kobj, VKFD_KERNEL_MAGIC);
    sh_w32(r, r->kobj + 8, VKFD_KERNEL_FILL);
    sh_arg64(r, 0, r->out);
    sh_arg32(r, 8, 0x5eed);
    sh_arg32(r, 12, 100);
    r->grid[0] = 128;
    r->event_id = 42;
    r->packets = 2;
    sh_dispatch(r, r->kobj);
    sh_expect_done(r);
    for (i = 0; i < 128; i++) {
        want[i] = i < 100 ? 0x5eed : SH_POISON;
    }
    sh_expect_u32(r, r->out, want, 128);
    g_assert_cmpuint(sh_r64(r, r->mailbox), ==, 42);
    ih = sh_ih_find(r, VKFD_IH_SRC_SIGNAL);
    g_assert_nonnull(ih);
    if (ih) {
        g_assert_cmpuint(ih->data, ==, 42);
        g_assert_cmpuint(ih->ctx_id, ==, SH_CTX);
        g_assert_cmpuint(ih->doorbell, ==, SH_DOORBELL);
    }
    g_assert_null(sh_ih_find(r, VKFD_IH_SRC_QUEUE_ERROR));
}

/* A kernel object in a hole stops the queue on a VM fault, named. */
static void test_dispatch_fault(void)
{
    g_autofree ShRun *r = g_new0(ShRun, 1);
    const struct vkfd_ih_entry *ih;

    sh_run_init(r, sh_get());
    sh_dispatch(r, SH_VA_HOLE + 0x40);
    sh_expect_error(r, VKFD_QERR_VM_FAULT);
    g_assert_cmphex(r->res.error_va, ==, SH_VA_HOLE + 0x40);
    g_assert_cmpuint(r->res.vm_faults, ==, 1);
    ih = sh_ih_find(r, VKFD_IH_SRC_QUEUE_ERROR);
    if (ih) {
        g_assert_cmpuint(ih->data, ==, VKFD_QERR_VM_FAULT);
        g_assert_cmphex(ih->addr, ==, SH_VA_HOLE + 0x40);
    }
    g_assert_nonnull(sh_ih_find(r, VKFD_IH_SRC_VM_FAULT));
}

int main(int argc, char **argv)
{
    unsigned i;
    int ret;

    g_test_init(&argc, &argv, NULL);
    g_test_set_nonfatal_assertions();
    qtest_add_func("vkfd-sh/harness/assemble", test_assemble);
    qtest_add_func("vkfd-sh/harness/assemble-errors", test_assemble_errors);
    qtest_add_func("vkfd-sh/harness/descriptor", test_descriptor);
    qtest_add_func("vkfd-sh/harness/dispatch-builtin", test_dispatch_builtin);
    qtest_add_func("vkfd-sh/harness/dispatch-fault", test_dispatch_fault);
    sh_add_cases("core", sh_cases_core);
    for (i = 0; i < ARRAY_SIZE(sh_tests_core); i++) {
        g_autofree char *path = g_strdup_printf("vkfd-sh/core/%s",
                                                sh_tests_core[i].name);

        qtest_add_data_func(path, NULL, sh_tests_core[i].fn);
    }
    sh_add_cases("salu", sh_cases_salu);
    sh_add_cases("valu", sh_cases_valu);
    sh_add_cases("valufp", sh_cases_valufp);
    sh_add_cases("mem", sh_cases_mem);
    sh_add_cases("waves", sh_cases_waves);
    ret = g_test_run();
    sh_put();
    return ret;
}
