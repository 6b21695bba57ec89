/*
 * The shader core's qtest harness: run GFX9 (gfx90a) assembly on vkfd.
 *
 * One QEMU for the whole test binary (sh_get() starts it on first use,
 * sh_put() stops it), with context 1 mapped on page tables that give
 *
 *   SH_VA_VRAM   the device's VRAM (SH_VRAM_SIZE), writable, 2 MiB leaves
 *   SH_VA_RO     one read-only VRAM page (the last one)
 *   SH_VA_SYS    SH_SYS_SIZE of guest RAM, writable, 4 KiB leaves
 *   SH_VA_HOLE   nothing: any access there faults
 *
 * and an IH ring that the harness drains after each run.
 *
 * A run (ShRun) is one kernel dispatch on a queue of its own:
 * sh_run_init() sets the defaults, the case changes what it needs (grid,
 * kernel descriptor, buffers, kernargs), sh_run() assembles the text at
 * test time with LLVM's llvm-mc, writes the code and its 64-byte kernel
 * descriptor to VRAM, dispatches it with an AQL KERNEL_DISPATCH packet on
 * a fresh AQL queue, waits until the packet retires, the queue stops or
 * the time runs out, unmaps the queue and leaves the outcome in r->res.
 * The sh_expect_*() checks then compare, naming the lanes that differ.
 *
 * Variations a case can ask for in its setup: r->pm4 (the same code from
 * a PM4 queue: SET_SH_REG of the COMPUTE_* registers, DISPATCH_DIRECT),
 * r->packets (several AQL dispatches back to back on one signal),
 * r->code_sys (descriptor and code in guest RAM), r->during (a function
 * called once while the queue runs: sh_migrate() to move the machine to
 * a new QEMU, or a second run on the next doorbell, sh_run_init_nested()).
 *
 * Defaults of a run: one workgroup of 64 work-items (one wave); the
 * descriptor enables the kernarg segment pointer only, so s[0:1] holds
 * it, s2 the workgroup id x and v0 the work-item id x; every SGPR and
 * 256 VGPRs + 256 AGPRs are allocated; float modes as clang sets them.
 * The kernargs hold the address of r->out at 0 and of r->in at 8; r->out
 * (SH_OUT_SIZE bytes of VRAM) is filled with SH_POISON so that a lane
 * that did not write shows, r->in is zeroed.
 *
 * Test cases are tables of ShCase (see vkfd-sh-test.c).  A case's
 * assembly usually starts with SH_PROLOGUE and stores with SH_STORE():
 *
 *   static uint32_t want_add(unsigned lane) { return lane + 5; }
 *   { "v_add_u32",
 *     SH_PROLOGUE
 *     "v_add_u32 v2, 5, v0\n"
 *     SH_STORE("v2")
 *     "s_endpgm\n",
 *     .want = want_add },
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef VKFD_SH_HARNESS_H
#define VKFD_SH_HARNESS_H

#include <math.h>
#include "vkfd-qtest-util.h"

#define SH_CTX              1
#define SH_VRAM_SIZE        (32 * MIB)
#define SH_VA_VRAM          (1ull << 32)
#define SH_VA_RO            (3ull << 32)
#define SH_VA_SYS           (5ull << 32)
#define SH_VA_HOLE          (7ull << 32)
#define SH_SYS_SIZE         (1 * MIB)
#define SH_IH_SIZE          0x10000u
#define SH_DOORBELL         0
#define SH_QUEUE_SLOTS      16
#define SH_OUT_SIZE         (256 * 1024)
#define SH_IN_SIZE          (256 * 1024)
#define SH_KERNARG_SIZE     4096
#define SH_CODE_MAX         (256 * 1024)
#define SH_POISON           0xdeadbeefu
#define SH_MAX_IH           16
#define SH_TIMEOUT_MS       20000

/*
 * Kernel descriptor fields (LLVM's AMDGPUUsage, "Kernel Descriptor" and
 * "compute_pgm_rsrc1/2/3" for GFX6-GFX11).
 */
#define SH_RSRC1_VGPRS(g)           ((uint32_t)(g) << 0)   /* granules - 1 */
#define SH_RSRC1_SGPRS(g)           ((uint32_t)(g) << 6)
#define SH_RSRC1_ROUND_32(m)        ((uint32_t)(m) << 12)
#define SH_RSRC1_ROUND_16_64(m)     ((uint32_t)(m) << 14)
#define SH_RSRC1_DENORM_32(m)       ((uint32_t)(m) << 16)
#define SH_RSRC1_DENORM_16_64(m)    ((uint32_t)(m) << 18)
#define SH_RSRC1_DX10_CLAMP         (1u << 21)
#define SH_RSRC1_IEEE_MODE          (1u << 23)
#define SH_RSRC1_FP16_OVFL          (1u << 26)
#define SH_RSRC2_SCRATCH_EN         (1u << 0)
#define SH_RSRC2_USER_SGPRS(n)      ((uint32_t)(n) << 1)
#define SH_RSRC2_USER_SGPRS_MASK    (0x1fu << 1)
#define SH_RSRC2_TRAP_HANDLER       (1u << 6)
#define SH_RSRC2_TGID_X             (1u << 7)
#define SH_RSRC2_TGID_Y             (1u << 8)
#define SH_RSRC2_TGID_Z             (1u << 9)
#define SH_RSRC2_TG_SIZE            (1u << 10)  /* workgroup info */
#define SH_RSRC2_TIDIG(n)           ((uint32_t)(n) << 11) /* 0 x, 1 xy, 2 xyz */
#define SH_RSRC2_TIDIG_MASK         (3u << 11)
#define SH_RSRC2_LDS_SIZE(g)        ((uint32_t)(g) << 15)
#define SH_RSRC3_ACCUM_OFFSET(o)    ((uint32_t)((o) / 4 - 1) << 0)
#define SH_RSRC3_TG_SPLIT           (1u << 16)
#define SH_PROP_PRIVATE_SEGMENT_BUFFER  (1u << 0)   /* 4 user SGPRs */
#define SH_PROP_DISPATCH_PTR            (1u << 1)   /* 2 */
#define SH_PROP_QUEUE_PTR               (1u << 2)   /* 2 */
#define SH_PROP_KERNARG_SEGMENT_PTR     (1u << 3)   /* 2 */
#define SH_PROP_DISPATCH_ID             (1u << 4)   /* 2 */
#define SH_PROP_FLAT_SCRATCH_INIT       (1u << 5)   /* 2 */
#define SH_PROP_PRIVATE_SEGMENT_SIZE    (1u << 6)   /* 1 */

/* The 64-byte code-object-v3 kernel descriptor, as a case sets it. */
typedef struct ShKd {
    uint32_t group_segment_size;    /* group_segment_fixed_size */
    uint32_t private_segment_size;  /* private_segment_fixed_size */
    uint32_t kernarg_size;
    int64_t entry;                  /* entry byte offset; code at 256 */
    uint32_t rsrc1, rsrc2, rsrc3;
    uint16_t props;                 /* kernel_code_properties */
    /*
     * true (the default): sh_run() sets RSRC2's USER_SGPR_COUNT from
     * props; false: rsrc2 goes out as the case wrote it.
     */
    bool auto_user_sgprs;
} ShKd;

/* What a run came to. */
typedef struct ShResult {
    bool ran;               /* assembled and dispatched */
    bool completed;         /* the packet retired (read index past it) */
    bool timed_out;         /* neither retired nor stopped in time */
    uint32_t error;         /* VKFD_QERR_* from the MQD at unmap */
    uint32_t error_info;
    uint64_t error_va;
    uint64_t rptr;          /* the queue's read pointer at unmap */
    int64_t signal;         /* the AQL completion signal (packets before) */
    uint32_t vm_faults;     /* VM_FAULT_COUNT went up by this much */
    unsigned n_ih;          /* IH entries posted during the run */
    struct vkfd_ih_entry ih[SH_MAX_IH];     /* host byte order */
    double seconds;         /* wall clock from the doorbell to the end */
} ShResult;

typedef struct Sh {
    Vkfd *v;
    QTestState *qts;
    uint64_t root;          /* GPUVM root of SH_CTX */
    uint64_t sys;           /* guest address behind SH_VA_SYS */
    uint64_t ih;            /* IH ring, guest RAM */
    uint32_t ih_rptr;
    uint32_t queue_id;
    uint64_t vram_next, sys_next;   /* bump allocators, reset each run */
} Sh;

typedef struct ShCase ShCase;

typedef struct ShRun {
    Sh *h;
    QTestState *qts;
    const ShCase *c;        /* the case being run, or NULL */
    /* set by sh_run_init(), changed by the case before sh_run() */
    ShKd kd;
    uint32_t grid[3];
    uint16_t wg[3];
    unsigned dims;          /* AQL setup dimensions; 0: from the sizes */
    uint32_t group_segment_size;    /* of the packet */
    uint32_t private_segment_size;  /* of the packet */
    uint64_t kernarg;       /* SH_KERNARG_SIZE bytes: out at 0, in at 8 */
    uint64_t out, in;       /* VRAM buffers */
    uint32_t event_id;      /* non-zero: the signal has a mailbox */
    unsigned timeout_ms;
    unsigned poll_us;       /* pause between two looks at the queue */
    uint64_t kobj;          /* non-zero: dispatch this kernel object */
    bool code_sys;          /* descriptor and code in guest RAM */
    unsigned packets;       /* dispatches of it, back to back (1) */
    /*
     * Dispatch through a PM4 queue instead (SET_SH_REG, DISPATCH_DIRECT):
     * the same code, RSRC registers, grid and kernarg pointer (the only
     * user SGPRs PM4 can give here); no packet, no signal.
     */
    bool pm4;
    bool pm4_indirect;      /* DISPATCH_INDIRECT: the grid from memory */
    /*
     * PM4: publish the stream only up to the dispatch packet; a hook
     * publishes the rest with sh_pm4_release().
     */
    bool pm4_hold;
    unsigned doorbell;      /* of the run's queue: SH_DOORBELL */
    /*
     * Called after the queue is mapped and its packets written, before
     * the write index and the doorbell.  An AQL hook may write
     * extra_packets more packets after r->packets (sh_aql_*()).
     */
    void (*before)(struct ShRun *r);
    unsigned extra_packets;
    /* called once, during_ms after the doorbell, while the queue runs */
    void (*during)(struct ShRun *r);
    unsigned during_ms;
    /*
     * Set by a hook that reset the device: the queue is gone, the run
     * ends at once without unmapping it, and the case's machine is
     * replaced by a fresh one after its check.
     */
    bool gone;
    /* filled by sh_run() */
    uint64_t desc;          /* where the descriptor went (the kernel object) */
    uint64_t code;          /* where the code went */
    uint32_t code_len;
    unsigned listing_gen;   /* sh_listing is this run's if equal */
    uint64_t amd_queue;     /* AQL: the queue's amd_queue_t (256 bytes) */
    uint64_t kobj_used;     /* the kernel object dispatched */
    uint64_t packet;        /* VA of the (first) dispatch packet */
    uint64_t signal;        /* VA of the completion signal (all packets) */
    uint64_t mailbox;
    uint32_t pm4_dispatch_at;   /* dword offset of DISPATCH_DIRECT */
    uint64_t wptr_va;           /* where the queue's write pointer is */
    uint64_t wptr;              /* its final value */
    ShResult res;
} ShRun;

/*
 * A test case.  setup (may be NULL) changes the run before the dispatch;
 * check (may be NULL) judges it afterwards.  Without check, the run must
 * complete, and with want, out[lane] must be want(lane) for 64 lanes.
 * arg is the case's own.  A table ends with SH_CASES_END.
 */
struct ShCase {
    const char *name;       /* part of the test path: no spaces */
    const char *asm_text;
    void (*setup)(ShRun *r);
    void (*check)(ShRun *r);
    uint32_t (*want)(unsigned lane);
    const void *arg;
};

#define SH_CASES_END    { .name = NULL }

/*
 * Assembly pieces.  SH_PROLOGUE loads out into s[20:21] and in into
 * s[22:23] and puts lane * 4 in v1 (a 1D workgroup of up to 64 items);
 * SH_STORE(v) stores vN at out[lane], SH_STORE_AT(v, k) at
 * out[k * 64 + lane] (k < 16), SH_LOAD_AT(v, k) loads in[k * 64 + lane].
 */
#define SH_PROLOGUE \
    "s_load_dwordx2 s[20:21], s[0:1], 0x0\n" \
    "s_load_dwordx2 s[22:23], s[0:1], 0x8\n" \
    "v_lshlrev_b32 v1, 2, v0\n" \
    "s_waitcnt lgkmcnt(0)\n"
#define SH_STORE(v)         "global_store_dword v1, " v ", s[20:21]\n"
#define SH_STORE_AT(v, k)   "global_store_dword v1, " v ", s[20:21] " \
                            "offset:" #k "*256\n"
#define SH_LOAD_AT(v, k)    "global_load_dword " v ", v1, s[22:23] " \
                            "offset:" #k "*256\n" \
                            "s_waitcnt vmcnt(0)\n"

/* Bits of floats, for expected values. */
static inline uint32_t sh_f32(float f)
{
    uint32_t u;

    memcpy(&u, &f, 4);
    return u;
}

static inline uint64_t sh_f64(double d)
{
    uint64_t u;

    memcpy(&u, &d, 8);
    return u;
}

/*
 * Assembling
 */

/* llvm-mc: $VKFD_LLVM_MC, else llvm-mc-15 or llvm-mc in PATH. */
static inline char *sh_llvm_mc(void)
{
    const char *env = g_getenv("VKFD_LLVM_MC");
    char *p;

    if (env && *env) {
        return g_strdup(env);
    }
    p = g_find_program_in_path("llvm-mc-15");
    return p ? p : g_find_program_in_path("llvm-mc");
}

typedef struct ShFixup {
    uint32_t at;            /* byte offset of the instruction */
    char *label;
} ShFixup;

/* One "; encoding: [0x00,A,...]" list; placeholders (fixups) give 0. */
static inline bool sh_parse_encoding(const char *list, GByteArray *code)
{
    g_auto(GStrv) bytes = g_strsplit(list, ",", -1);
    unsigned long b;
    uint8_t u;
    int i;

    for (i = 0; bytes[i]; i++) {
        g_strstrip(bytes[i]);
        if (g_ascii_isalpha(bytes[i][0]) && !bytes[i][1]) {
            u = 0;
        } else if (!qemu_strtoul(bytes[i], NULL, 16, &b) && b <= 0xff) {
            u = b;
        } else {
            return false;
        }
        g_byte_array_append(code, &u, 1);
    }
    return i > 0;
}

/*
 * The instructions of the last listing parsed, by byte offset, so that a
 * failed case can name the instruction its queue stopped on.
 */
typedef struct ShListed {
    uint32_t off;
    char text[80];
} ShListed;

static GArray *sh_listing;
static unsigned sh_listing_gen;

static inline void sh_listed(uint32_t off, const char *t)
{
    ShListed e = { .off = off };

    g_strlcpy(e.text, t, MIN(sizeof(e.text), strcspn(t, ";") + 1));
    g_strchomp(e.text);
    g_array_append_val(sh_listing, e);
}

/*
 * With VKFD_SH_MNEMONICS=FILE, every instruction assembled is appended
 * to FILE by its mnemonic (the _e32/_e64/_dpp/_sdwa form suffix dropped):
 * what the cases cover, for an audit against the core's opcode tables.
 */
static inline void sh_note_mnemonic(const char *insn)
{
    const char *path = g_getenv("VKFD_SH_MNEMONICS");
    static const char *const forms[] = { "_e32", "_e64", "_dpp", "_sdwa" };
    g_autofree char *m = NULL;
    size_t n = strcspn(insn, " \t");
    FILE *f;
    unsigned i;

    if (!path || !*path) {
        return;
    }
    m = g_strndup(insn, n);
    for (i = 0; i < ARRAY_SIZE(forms); i++) {
        if (g_str_has_suffix(m, forms[i])) {
            m[strlen(m) - strlen(forms[i])] = 0;
        }
    }
    f = fopen(path, "a");
    if (f) {
        fprintf(f, "%s\n", m);
        fclose(f);
    }
}

/*
 * Turn llvm-mc's -show-encoding listing into bytes: instructions by
 * their encodings, ".long" dwords as they are; labels are recorded and
 * branch fixups (fixup_si_sopp_br) resolved against them.  Anything else
 * that would put bytes in the code (other fixups, alignment, data
 * directives) is refused: its bytes would not be in the listing.
 */
static inline bool sh_parse_listing(const char *listing, GByteArray *code,
                                    GString *err)
{
    g_auto(GStrv) lines = g_strsplit(listing, "\n", -1);
    g_autoptr(GHashTable) labels = g_hash_table_new_full(g_str_hash,
                                                         g_str_equal,
                                                         g_free, NULL);
    g_autoptr(GArray) fixups = g_array_new(false, true, sizeof(ShFixup));
    uint32_t last = 0;
    bool ok = true;
    unsigned i;

    if (!sh_listing) {
        sh_listing = g_array_new(false, true, sizeof(ShListed));
    }
    g_array_set_size(sh_listing, 0);
    sh_listing_gen++;
    for (i = 0; lines[i] && ok; i++) {
        char *l = lines[i], *end, *t = g_strstrip(g_strdup(l));
        char *enc = strstr(l, "; encoding: [");

        if (!*t || (*t == ';' && !strstr(t, "fixup"))) {
            /* a comment */
        } else if (*t == ';') {
            /* ";   fixup A - offset: 0, value: loop, kind: KIND" */
            g_auto(GStrv) f = g_strsplit(strstr(t, "offset:"), ",", 3);
            ShFixup fx = { .at = last };
            unsigned long off;

            if (!f[0] || !f[1] || !f[2] ||
                qemu_strtoul(f[0] + strlen("offset:"), NULL, 10, &off) ||
                !strstr(f[2], "fixup_si_sopp_br") || off != 0) {
                g_string_append_printf(err, "unsupported fixup: %s\n", t);
                ok = false;
            } else {
                fx.label = g_strdup(g_strstrip(f[1] + strlen(" value:")));
                g_array_append_val(fixups, fx);
            }
        } else if (enc) {
            enc += strlen("; encoding: [");
            end = strchr(enc, ']');
            last = code->len;
            if (end) {
                *end = 0;
            }
            if (!end || !sh_parse_encoding(enc, code)) {
                g_string_append_printf(err, "bad encoding: %s\n", t);
                ok = false;
            }
            sh_note_mnemonic(t);
            sh_listed(last, t);
        } else if (g_str_has_prefix(t, ".long")) {
            int64_t val;

            if (qemu_strtoi64(g_strstrip(t + 5), NULL, 0, &val) ||
                val < INT32_MIN || val > UINT32_MAX) {
                g_string_append_printf(err, "unsupported .long: %s\n", t);
                ok = false;
            } else {
                uint32_t le = cpu_to_le32((uint32_t)val);
                g_autofree char *raw = g_strdup_printf(".long 0x%08x",
                                                       (uint32_t)val);

                sh_listed(code->len, raw);
                g_byte_array_append(code, (uint8_t *)&le, 4);
            }
        } else if (!g_ascii_isspace(l[0]) && g_str_has_suffix(t, ":")) {
            t[strlen(t) - 1] = 0;
            g_hash_table_insert(labels, g_strdup(t),
                                GUINT_TO_POINTER(code->len));
        } else if (!g_str_has_prefix(t, ".text") &&
                   !g_str_has_prefix(t, ".amdgcn_target")) {
            g_string_append_printf(err, "unsupported line: %s\n", t);
            ok = false;
        }
        g_free(t);
    }
    for (i = 0; i < fixups->len; i++) {
        ShFixup *fx = &g_array_index(fixups, ShFixup, i);
        gpointer to;
        int64_t rel;

        if (ok && !g_hash_table_lookup_extended(labels, fx->label, NULL,
                                                &to)) {
            g_string_append_printf(err, "branch to unknown label %s\n",
                                   fx->label);
            ok = false;
        }
        if (ok) {
            rel = ((int64_t)GPOINTER_TO_UINT(to) - fx->at - 4) / 4;
            if (rel < INT16_MIN || rel > INT16_MAX) {
                g_string_append_printf(err, "branch to %s too far\n",
                                       fx->label);
                ok = false;
            } else {
                code->data[fx->at] = rel;
                code->data[fx->at + 1] = rel >> 8;
            }
        }
        g_free(fx->label);
    }
    return ok;
}

/*
 * Assemble GFX9 text for gfx90a into code; false with llvm-mc's message
 * (or the parser's) in err.
 */
static inline bool sh_assemble(const char *text, GByteArray *code,
                               GString *err)
{
    g_autofree char *mc = sh_llvm_mc();
    g_autofree char *path = NULL, *out = NULL, *errout = NULL;
    g_autoptr(GError) gerr = NULL;
    int fd, status;
    bool ok;

    if (!mc) {
        g_string_append(err, "llvm-mc not found (apt-get install llvm-15, "
                        "or set VKFD_LLVM_MC)");
        return false;
    }
    fd = g_file_open_tmp("vkfd-sh-XXXXXX.s", &path, &gerr);
    if (fd < 0) {
        g_string_append_printf(err, "temporary file: %s", gerr->message);
        return false;
    }
    ok = write(fd, text, strlen(text)) == (ssize_t)strlen(text) &&
         write(fd, "\n", 1) == 1;
    close(fd);
    if (ok) {
        const char *argv[] = {
            mc, "-triple=amdgcn-amd-amdhsa", "-mcpu=gfx90a",
            "-show-encoding", path, NULL,
        };

        ok = g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_DEFAULT, NULL,
                          NULL, &out, &errout, &status, &gerr);
        if (!ok) {
            g_string_append_printf(err, "%s: %s", mc, gerr->message);
        } else if (!WIFEXITED(status) || WEXITSTATUS(status)) {
            g_string_append_printf(err, "%s failed:\n%s", mc, errout);
            ok = false;
        } else {
            ok = sh_parse_listing(out, code, err);
        }
    } else {
        g_string_append(err, "cannot write the temporary file");
    }
    unlink(path);
    return ok;
}

/*
 * Memory
 */

/* The guest address behind a VA of VRAM or of the system pages. */
static inline uint64_t sh_pa(Sh *h, uint64_t va)
{
    if (va >= SH_VA_SYS && va < SH_VA_SYS + SH_SYS_SIZE) {
        return h->sys + va - SH_VA_SYS;
    }
    g_assert(va >= SH_VA_VRAM && va < SH_VA_VRAM + SH_VRAM_SIZE);
    return h->v->vram.addr + va - SH_VA_VRAM;
}

static inline void sh_write(ShRun *r, uint64_t va, const void *buf,
                            size_t len)
{
    qtest_memwrite(r->qts, sh_pa(r->h, va), buf, len);
}

static inline void sh_read(ShRun *r, uint64_t va, void *buf, size_t len)
{
    qtest_memread(r->qts, sh_pa(r->h, va), buf, len);
}

static inline uint32_t sh_r32(ShRun *r, uint64_t va)
{
    return qtest_readl(r->qts, sh_pa(r->h, va));
}

static inline uint64_t sh_r64(ShRun *r, uint64_t va)
{
    return qtest_readq(r->qts, sh_pa(r->h, va));
}

static inline void sh_w32(ShRun *r, uint64_t va, uint32_t val)
{
    qtest_writel(r->qts, sh_pa(r->h, va), val);
}

static inline void sh_w64(ShRun *r, uint64_t va, uint64_t val)
{
    qtest_writeq(r->qts, sh_pa(r->h, va), val);
}

/* Store n dwords (host order) at va, little-endian. */
static inline void sh_write32(ShRun *r, uint64_t va, const uint32_t *val,
                              unsigned n)
{
    g_autofree uint32_t *le = g_new(uint32_t, n);
    unsigned i;

    for (i = 0; i < n; i++) {
        le[i] = cpu_to_le32(val[i]);
    }
    sh_write(r, va, le, n * 4);
}

static inline void sh_read32(ShRun *r, uint64_t va, uint32_t *val,
                             unsigned n)
{
    unsigned i;

    sh_read(r, va, val, n * 4);
    for (i = 0; i < n; i++) {
        val[i] = le32_to_cpu(val[i]);
    }
}

static inline void sh_fill32(ShRun *r, uint64_t va, uint32_t val,
                             uint64_t bytes)
{
    g_autofree uint32_t *buf = g_new(uint32_t, bytes / 4);
    uint64_t i;

    for (i = 0; i < bytes / 4; i++) {
        buf[i] = cpu_to_le32(val);
    }
    sh_write(r, va, buf, bytes / 4 * 4);
}

/* size bytes of zeroed VRAM for this run, 256-byte aligned (4 KiB up). */
static inline uint64_t sh_alloc(ShRun *r, uint64_t size)
{
    uint64_t align = size >= PAGE ? PAGE : 256, va;

    va = ROUND_UP(r->h->vram_next, align);
    g_assert_cmphex(va + size, <=, SH_VA_VRAM + SH_VRAM_SIZE - PAGE);
    r->h->vram_next = va + size;
    qtest_memset(r->qts, sh_pa(r->h, va), 0, size);
    return va;
}

/* ... and of guest RAM, behind SH_VA_SYS. */
static inline uint64_t sh_alloc_sys(ShRun *r, uint64_t size)
{
    uint64_t va = ROUND_UP(r->h->sys_next, size >= PAGE ? PAGE : 256);

    g_assert_cmphex(va + size, <=, SH_VA_SYS + SH_SYS_SIZE);
    r->h->sys_next = va + size;
    qtest_memset(r->qts, sh_pa(r->h, va), 0, size);
    return va;
}

/* Kernargs beyond the two buffer addresses. */
static inline void sh_arg32(ShRun *r, unsigned off, uint32_t val)
{
    g_assert_cmpuint(off + 4, <=, SH_KERNARG_SIZE);
    sh_w32(r, r->kernarg + off, val);
}

static inline void sh_arg64(ShRun *r, unsigned off, uint64_t val)
{
    g_assert_cmpuint(off + 8, <=, SH_KERNARG_SIZE);
    sh_w64(r, r->kernarg + off, val);
}

/*
 * The device
 */

/* Start the machine: context SH_CTX on its page tables, the IH ring. */
static inline Sh *sh_start(void)
{
    Sh *h = g_new0(Sh, 1);
    uint64_t off;

    h->v = vkfd_start_props(",vram-size=32M");
    h->qts = h->v->qts;
    ring_enable(h->v);
    h->root = pt_alloc(h->v);
    g_assert_cmpuint(map_ctx(h->v, SH_CTX, h->root), ==, VKFD_ST_OK);
    for (off = 0; off < SH_VRAM_SIZE; off += 2 * MIB) {
        pt_map(h->v, h->root, SH_VA_VRAM + off, off, PTE_W, 1);
    }
    pt_map(h->v, h->root, SH_VA_RO, SH_VRAM_SIZE - PAGE, 0, 0);
    h->sys = guest_alloc(&h->v->alloc, SH_SYS_SIZE + PAGE);
    h->sys = ROUND_UP(h->sys, PAGE);
    for (off = 0; off < SH_SYS_SIZE; off += PAGE) {
        pt_map(h->v, h->root, SH_VA_SYS + off, h->sys + off,
               PTE_SYS | PTE_W, 0);
    }
    h->ih = guest_alloc(&h->v->alloc, 2 * SH_IH_SIZE);
    h->ih = ROUND_UP(h->ih, SH_IH_SIZE);
    wr(h->v, VKFD_REG_IH_BASE_LO, (uint32_t)h->ih);
    wr(h->v, VKFD_REG_IH_BASE_HI, h->ih >> 32);
    wr(h->v, VKFD_REG_IH_SIZE, SH_IH_SIZE);
    wr(h->v, VKFD_REG_IH_CNTL, VKFD_IH_CNTL_ENABLE);
    g_assert_cmphex(rd(h->v, VKFD_REG_IH_CNTL), ==, VKFD_IH_CNTL_ENABLE);
    return h;
}

static inline void sh_stop(Sh *h)
{
    g_assert_cmphex(rd(h->v, VKFD_REG_ID), ==, VKFD_ID_MAGIC);
    vkfd_stop(h->v);
    g_free(h);
}

/* The binary's one machine, started on first use. */
static Sh *sh_the_machine;

static inline Sh *sh_get(void)
{
    if (!sh_the_machine) {
        sh_the_machine = sh_start();
    }
    return sh_the_machine;
}

static inline void sh_put(void)
{
    if (sh_the_machine) {
        sh_stop(sh_the_machine);
        sh_the_machine = NULL;
    }
}

/*
 * Migrate the machine (through a file) to a new QEMU and go on there:
 * allocator, BARs, queues and whatever the device had in flight move.
 */
static inline void sh_migrate(ShRun *r)
{
    vkfd_migrate(r->h->v, ",vram-size=32M");
    r->h->qts = r->h->v->qts;
    r->qts = r->h->qts;
}

/* The IH entries posted since the last look, into r->res.ih. */
static inline void sh_ih_drain(ShRun *r)
{
    Sh *h = r->h;
    uint32_t wptr = rd(h->v, VKFD_REG_IH_WPTR);
    struct vkfd_ih_entry e;

    while (h->ih_rptr != wptr) {
        qtest_memread(r->qts, h->ih + h->ih_rptr, &e, sizeof(e));
        if (r->res.n_ih < SH_MAX_IH) {
            struct vkfd_ih_entry *d = &r->res.ih[r->res.n_ih];

            d->source = le32_to_cpu(e.source);
            d->ctx_id = le32_to_cpu(e.ctx_id);
            d->data = le32_to_cpu(e.data);
            d->doorbell = le32_to_cpu(e.doorbell);
            d->addr = le64_to_cpu(e.addr);
            d->flags = le32_to_cpu(e.flags);
            d->seq = le32_to_cpu(e.seq);
        }
        r->res.n_ih++;
        h->ih_rptr = (h->ih_rptr + sizeof(e)) % SH_IH_SIZE;
    }
    wr(h->v, VKFD_REG_IH_RPTR, h->ih_rptr);
}

/* The first IH entry of the run from source, or NULL. */
static inline const struct vkfd_ih_entry *sh_ih_find(ShRun *r,
                                                     uint32_t source)
{
    unsigned i;

    for (i = 0; i < MIN(r->res.n_ih, SH_MAX_IH); i++) {
        if (r->res.ih[i].source == source) {
            return &r->res.ih[i];
        }
    }
    return NULL;
}

/*
 * Runs
 */

static inline void sh_kd_default(ShKd *kd)
{
    memset(kd, 0, sizeof(*kd));
    kd->kernarg_size = SH_KERNARG_SIZE;
    kd->entry = 256;
    /* 512 VGPRs (256 + 256 AGPRs), 112 SGPRs: both in granules of 8 */
    kd->rsrc1 = SH_RSRC1_VGPRS(63) | SH_RSRC1_SGPRS(13) |
                SH_RSRC1_DENORM_32(3) | SH_RSRC1_DENORM_16_64(3) |
                SH_RSRC1_DX10_CLAMP | SH_RSRC1_IEEE_MODE;
    kd->rsrc2 = SH_RSRC2_TGID_X | SH_RSRC2_TIDIG(0);
    kd->rsrc3 = SH_RSRC3_ACCUM_OFFSET(256);
    kd->props = SH_PROP_KERNARG_SEGMENT_PTR;
    kd->auto_user_sgprs = true;
}

/* User SGPRs the properties enable. */
static inline unsigned sh_user_sgprs(uint16_t props)
{
    static const uint8_t n[] = { 4, 2, 2, 2, 2, 2, 1 };
    unsigned i, sum = 0;

    for (i = 0; i < ARRAY_SIZE(n); i++) {
        sum += props & (1u << i) ? n[i] : 0;
    }
    return sum;
}

/* A run with the defaults (see the top of this file). */
static inline void sh_run_defaults(ShRun *r, Sh *h)
{
    memset(r, 0, sizeof(*r));
    r->h = h;
    r->qts = h->qts;
    sh_kd_default(&r->kd);
    r->grid[0] = 64;
    r->grid[1] = r->grid[2] = 1;
    r->wg[0] = 64;
    r->wg[1] = r->wg[2] = 1;
    r->timeout_ms = SH_TIMEOUT_MS;
    r->poll_us = 100;
    r->packets = 1;
    r->kernarg = sh_alloc(r, SH_KERNARG_SIZE);
    r->out = sh_alloc(r, SH_OUT_SIZE);
    r->in = sh_alloc(r, SH_IN_SIZE);
    sh_fill32(r, r->out, SH_POISON, SH_OUT_SIZE);
    sh_arg64(r, 0, r->out);
    sh_arg64(r, 8, r->in);
}

static inline void sh_run_init(ShRun *r, Sh *h)
{
    h->vram_next = SH_VA_VRAM;
    h->sys_next = SH_VA_SYS;
    sh_run_defaults(r, h);
    r->doorbell = SH_DOORBELL;
}

/*
 * A second run while outer's queue runs (from outer's during hook): its
 * own buffers after outer's and the next doorbell.  It takes the IH
 * entries it sees.
 */
static inline void sh_run_init_nested(ShRun *r, ShRun *outer)
{
    sh_run_defaults(r, outer->h);
    r->doorbell = outer->doorbell + 1;
}

/*
 * Grid and workgroup sizes; also enables the workgroup-id SGPRs and the
 * work-item-id VGPR components for as many dimensions as are not 1.
 */
static inline void sh_grid(ShRun *r, uint32_t gx, uint32_t gy, uint32_t gz,
                           uint16_t wx, uint16_t wy, uint16_t wz)
{
    unsigned dims = gz > 1 || wz > 1 ? 3 : gy > 1 || wy > 1 ? 2 : 1;

    r->grid[0] = gx;
    r->grid[1] = gy;
    r->grid[2] = gz;
    r->wg[0] = wx;
    r->wg[1] = wy;
    r->wg[2] = wz;
    r->kd.rsrc2 &= ~(SH_RSRC2_TGID_X | SH_RSRC2_TGID_Y | SH_RSRC2_TGID_Z |
                     SH_RSRC2_TIDIG_MASK);
    r->kd.rsrc2 |= SH_RSRC2_TGID_X | SH_RSRC2_TIDIG(dims - 1) |
                   (dims > 1 ? SH_RSRC2_TGID_Y : 0) |
                   (dims > 2 ? SH_RSRC2_TGID_Z : 0);
}

/* The descriptor's 64 bytes. */
static inline void sh_kd_bytes(const ShKd *kd, uint8_t *b)
{
    uint32_t rsrc2 = kd->rsrc2;

    if (kd->auto_user_sgprs) {
        rsrc2 = (rsrc2 & ~SH_RSRC2_USER_SGPRS_MASK) |
                SH_RSRC2_USER_SGPRS(sh_user_sgprs(kd->props));
    }
    memset(b, 0, 64);
    stl_le_p(b + 0, kd->group_segment_size);
    stl_le_p(b + 4, kd->private_segment_size);
    stl_le_p(b + 8, kd->kernarg_size);
    stq_le_p(b + 16, kd->entry);
    stl_le_p(b + 44, kd->rsrc3);
    stl_le_p(b + 48, kd->rsrc1);
    stl_le_p(b + 52, rsrc2);
    stw_le_p(b + 56, kd->props);
}

static inline void sh_kd_write(ShRun *r, uint64_t va)
{
    uint8_t b[64];

    sh_kd_bytes(&r->kd, b);
    sh_write(r, va, b, sizeof(b));
}

/* Map the run's queue (AQL or PM4) on r->doorbell. */
static inline void sh_queue_map(ShRun *r, uint32_t type, uint64_t ring,
                                uint32_t size, uint64_t rptr_va,
                                uint64_t wptr_va, uint64_t mqd)
{
    struct vkfd_sched_cmd cmd = {
        .opcode = VKFD_CMD_MAP_QUEUE, .ctx_id = SH_CTX,
    };
    struct vkfd_mqd m = { 0 };
    unsigned i;

    for (i = 0; type == VKFD_QUEUE_AQL && i < size / VKFD_AQL_PACKET_SIZE;
         i++) {
        qtest_writew(r->qts, sh_pa(r->h, ring + i * VKFD_AQL_PACKET_SIZE),
                     VKFD_AQL_TYPE_INVALID);
    }
    m.type = cpu_to_le32(type);
    m.doorbell = cpu_to_le32(r->doorbell);
    m.ring_base = cpu_to_le64(ring);
    m.ring_size = cpu_to_le32(size);
    m.wptr_addr = cpu_to_le64(wptr_va);
    m.rptr_addr = cpu_to_le64(rptr_va);
    qtest_memwrite(r->qts, mqd, &m, sizeof(m));
    cmd.u.map_queue.mqd_addr = mqd;
    cmd.u.map_queue.queue_id = ++r->h->queue_id;
    g_assert_cmpuint(submit_cmd(r->h->v, &cmd), ==, VKFD_ST_OK);
}

static inline void sh_queue_unmap(ShRun *r, uint64_t mqd)
{
    struct vkfd_sched_cmd cmd = {
        .opcode = VKFD_CMD_UNMAP_QUEUE, .ctx_id = SH_CTX,
    };
    struct vkfd_mqd m;

    cmd.u.unmap_queue.mqd_addr = mqd;
    cmd.u.unmap_queue.doorbell = r->doorbell;
    g_assert_cmpuint(submit_cmd(r->h->v, &cmd), ==, VKFD_ST_OK);
    qtest_memread(r->qts, mqd, &m, sizeof(m));
    r->res.rptr = le64_to_cpu(m.rptr);
    r->res.error = le32_to_cpu(m.error);
    r->res.error_info = le32_to_cpu(m.error_info);
    r->res.error_va = le64_to_cpu(m.error_va);
}

/* The AQL KERNEL_DISPATCH packet of the run at va, header last. */
static inline void sh_packet_write(ShRun *r, uint64_t va, uint64_t kobj)
{
    unsigned dims = r->dims;
    uint8_t b[VKFD_AQL_PACKET_SIZE] = { 0 };

    if (!dims) {
        dims = r->grid[2] > 1 || r->wg[2] > 1 ? 3 :
               r->grid[1] > 1 || r->wg[1] > 1 ? 2 : 1;
    }
    stw_le_p(b + 2, dims);
    stw_le_p(b + 4, r->wg[0]);
    stw_le_p(b + 6, r->wg[1]);
    stw_le_p(b + 8, r->wg[2]);
    stl_le_p(b + 12, r->grid[0]);
    stl_le_p(b + 16, r->grid[1]);
    stl_le_p(b + 20, r->grid[2]);
    stl_le_p(b + 24, r->private_segment_size);
    stl_le_p(b + 28, r->group_segment_size);
    stq_le_p(b + 32, kobj);
    stq_le_p(b + 40, r->kernarg);
    stq_le_p(b + 56, r->signal);
    sh_write(r, va + 2, b + 2, sizeof(b) - 2);
    /* system-scope acquire and release fences, barrier bit */
    qtest_writew(r->qts, sh_pa(r->h, va),
                 VKFD_AQL_TYPE_KERNEL | VKFD_AQL_HEADER_BARRIER |
                 2u << 9 | 2u << 11);
}

/*
 * PM4: what a GFX9 CP is told for a dispatch.  The COMPUTE_* registers by
 * SET_SH_REG (offsets from VKFD_PM4_SH_REG_BASE, 0x2c00): START_X..Z and
 * NUM_THREAD_X..Z at 0x2e04, PGM_LO/HI at 0x2e0c, PGM_RSRC1/2 at 0x2e12,
 * PGM_RSRC3 at 0x2e2d, USER_DATA_0.. at 0x2e40; then DISPATCH_DIRECT with
 * the grid in work-items (USE_THREAD_DIMENSIONS).
 */
#define SH_PM4_RING_DW          1024

/* Append one SET_SH_REG of n values at register reg. */
static inline void sh_pm4_regs(GArray *pm4, uint32_t reg,
                               const uint32_t *val, unsigned n)
{
    uint32_t h[2] = { VKFD_PM4_HDR(VKFD_PM4_OP_SET_SH_REG, n + 1),
                      reg - VKFD_PM4_SH_REG_BASE };

    g_array_append_vals(pm4, h, 2);
    g_array_append_vals(pm4, val, n);
}

/* The PM4 stream of the run's dispatch; false if PM4 cannot express it. */
static inline bool sh_pm4_stream(ShRun *r, uint64_t code, GArray *pm4)
{
    uint32_t rsrc2 = r->kd.rsrc2, v[6], i;
    uint32_t lds = DIV_ROUND_UP(r->kd.group_segment_size +
                                r->group_segment_size, 512);

    if (r->kd.props & ~SH_PROP_KERNARG_SEGMENT_PTR || (code & 0xff)) {
        g_test_message("PM4 dispatch: only the kernarg pointer as user "
                       "SGPRs, code 256-byte aligned");
        g_test_fail();
        return false;
    }
    if (r->kd.auto_user_sgprs) {
        rsrc2 = (rsrc2 & ~SH_RSRC2_USER_SGPRS_MASK) |
                SH_RSRC2_USER_SGPRS(sh_user_sgprs(r->kd.props));
    }
    rsrc2 = (rsrc2 & ~SH_RSRC2_LDS_SIZE(0x1ff)) | SH_RSRC2_LDS_SIZE(lds);
    for (i = 0; i < 3; i++) {
        v[i] = 0;
        v[3 + i] = r->wg[i];
    }
    sh_pm4_regs(pm4, 0x2e04, v, 6);
    v[0] = code >> 8;
    v[1] = code >> 40;
    sh_pm4_regs(pm4, 0x2e0c, v, 2);
    v[0] = r->kd.rsrc1;
    v[1] = rsrc2;
    sh_pm4_regs(pm4, 0x2e12, v, 2);
    sh_pm4_regs(pm4, 0x2e2d, &r->kd.rsrc3, 1);
    v[0] = r->kernarg;
    v[1] = r->kernarg >> 32;
    sh_pm4_regs(pm4, 0x2e40, v, r->kd.props ? 2 : 0);
    r->pm4_dispatch_at = pm4->len;
    v[5] = VKFD_PM4_CS_INIT_EN | VKFD_PM4_CS_INIT_PARTIAL_TG |
           VKFD_PM4_CS_INIT_THREAD_DIMS;
    if (r->pm4_indirect) {
        uint64_t dims = sh_alloc(r, 16);

        sh_write32(r, dims, r->grid, 3);
        v[0] = VKFD_PM4_HDR(VKFD_PM4_OP_DISPATCH_INDIRECT, 3);
        v[1] = dims;
        v[2] = dims >> 32;
        v[3] = v[5];
        g_array_append_vals(pm4, v, 4);
    } else {
        v[0] = VKFD_PM4_HDR(VKFD_PM4_OP_DISPATCH_DIRECT, 4);
        v[1] = r->grid[0];
        v[2] = r->grid[1];
        v[3] = r->grid[2];
        v[4] = v[5];
        g_array_append_vals(pm4, v, 5);
    }
    return true;
}

/* AQL slot k of the run's queue (0: the first dispatch packet). */
static inline uint64_t sh_aql_slot(ShRun *r, unsigned k)
{
    g_assert_cmpuint(k, <, SH_QUEUE_SLOTS);
    return r->packet + k * VKFD_AQL_PACKET_SIZE;
}

/* A BARRIER_AND packet at slot k waiting for dep (0: none) to reach 0. */
static inline void sh_aql_barrier_and(ShRun *r, unsigned k, uint64_t dep,
                                      uint64_t completion)
{
    uint8_t b[VKFD_AQL_PACKET_SIZE] = { 0 };
    uint64_t va = sh_aql_slot(r, k);

    stq_le_p(b + 8, dep);
    stq_le_p(b + 56, completion);
    sh_write(r, va + 2, b + 2, sizeof(b) - 2);
    qtest_writew(r->qts, sh_pa(r->h, va),
                 VKFD_AQL_TYPE_BARRIER_AND | VKFD_AQL_HEADER_BARRIER);
}

/* An amd_signal_t of the run's VRAM with value. */
static inline uint64_t sh_signal_new(ShRun *r, int64_t value)
{
    uint64_t sig = sh_alloc(r, 64);

    sh_w64(r, sig, 1);                              /* kind: user */
    sh_w64(r, sig + VKFD_SIGNAL_VALUE, value);
    return sig;
}

/*
 * Dispatch on a fresh queue, wait, unmap; the outcome in r->res.  AQL
 * (the default): r->packets KERNEL_DISPATCH packets of kobj.  PM4
 * (r->pm4): the code at code by DISPATCH_DIRECT.  The queue's ring,
 * pointers and signal come from the run's VRAM.
 */
static inline void sh_dispatch_on(ShRun *r, uint64_t kobj, uint64_t code)
{
    uint32_t faults = rd(r->h->v, VKFD_REG_VM_FAULT_COUNT);
    uint64_t ring, ptrs = sh_alloc(r, 256), mqd, rptr_va, wptr;
    g_autoptr(GArray) pm4 = g_array_new(false, false, sizeof(uint32_t));
    gint64 start, deadline;
    unsigned polls = 0, i;
    bool stopped = false, called = false;

    if (r->pm4 && !sh_pm4_stream(r, code, pm4)) {
        return;
    }
    mqd = guest_alloc(&r->h->v->alloc, sizeof(struct vkfd_mqd));
    sh_ih_drain(r);
    r->res.n_ih = 0;
    if (r->pm4) {
        ring = sh_alloc(r, SH_PM4_RING_DW * 4);
        g_assert_cmpuint(pm4->len, <, SH_PM4_RING_DW);
        sh_write32(r, ring, (uint32_t *)pm4->data, pm4->len);
        rptr_va = ptrs;
        sh_queue_map(r, VKFD_QUEUE_PM4, ring, SH_PM4_RING_DW * 4, ptrs,
                     ptrs + 8, mqd);
        wptr = pm4->len;
    } else {
        g_assert_cmpuint(r->packets, >=, 1);
        g_assert_cmpuint(r->packets, <, SH_QUEUE_SLOTS);
        r->signal = sh_alloc(r, 64);
        sh_w64(r, r->signal, 1);                        /* kind: user */
        sh_w64(r, r->signal + VKFD_SIGNAL_VALUE, r->packets);
        if (r->event_id) {
            r->mailbox = sh_alloc(r, 8);
            sh_w64(r, r->signal + VKFD_SIGNAL_MAILBOX, r->mailbox);
            sh_w32(r, r->signal + VKFD_SIGNAL_EVENT_ID, r->event_id);
        }
        ring = sh_alloc(r, SH_QUEUE_SLOTS * VKFD_AQL_PACKET_SIZE);
        /* amd_queue_t: write_dispatch_id at 56, read_dispatch_id at 128 */
        rptr_va = ptrs + 128;
        sh_queue_map(r, VKFD_QUEUE_AQL, ring,
                     SH_QUEUE_SLOTS * VKFD_AQL_PACKET_SIZE, ptrs + 128,
                     ptrs + 56, mqd);
        r->packet = ring;
        for (i = 0; i < r->packets; i++) {
            sh_packet_write(r, ring + i * VKFD_AQL_PACKET_SIZE, kobj);
        }
        wptr = r->packets;
        r->amd_queue = ptrs;
    }
    r->kobj_used = kobj;
    if (r->before) {
        r->before(r);
    }
    wptr += r->pm4 ? 0 : r->extra_packets;
    r->wptr_va = r->pm4 ? ptrs + 8 : ptrs + 56;
    r->wptr = wptr;
    sh_w64(r, r->wptr_va, r->pm4_hold ? r->pm4_dispatch_at : wptr);
    start = g_get_monotonic_time();
    deadline = start + r->timeout_ms * (gint64)1000;
    qpci_io_writeq(r->h->v->dev, r->h->v->doorbells,
                   SH_CTX * VKFD_DOORBELL_PAGE_SIZE +
                   r->doorbell * VKFD_DOORBELL_SIZE,
                   r->pm4 ? sh_r64(r, r->wptr_va) : 0);
    r->res.ran = true;
    for (;;) {
        /* PM4 reports a 32-bit dword offset, AQL a 64-bit index */
        if ((r->pm4 ? sh_r32(r, rptr_va) : sh_r64(r, rptr_va)) >= wptr) {
            r->res.completed = true;
            break;
        }
        sh_ih_drain(r);
        for (i = 0; i < MIN(r->res.n_ih, SH_MAX_IH); i++) {
            stopped |= r->res.ih[i].source == VKFD_IH_SRC_QUEUE_ERROR &&
                       r->res.ih[i].doorbell == r->doorbell;
        }
        if (stopped || r->gone) {
            break;
        }
        if (g_get_monotonic_time() > deadline) {
            r->res.timed_out = true;
            break;
        }
        if (r->during && !called &&
            g_get_monotonic_time() - start >= r->during_ms * 1000) {
            called = true;
            r->during(r);
            continue;
        }
        /* timers of the device run on the virtual clock: move it */
        if (++polls % 8 == 0) {
            qtest_clock_step(r->qts, 1000 * 1000);
        }
        g_usleep(r->poll_us);
    }
    r->res.seconds = (g_get_monotonic_time() - start) / 1e6;
    if (r->gone) {
        return;
    }
    sh_queue_unmap(r, mqd);
    sh_ih_drain(r);
    guest_free(&r->h->v->alloc, mqd);
    if (!r->pm4) {
        r->res.signal = sh_r64(r, r->signal + VKFD_SIGNAL_VALUE);
    }
    r->res.vm_faults = rd(r->h->v, VKFD_REG_VM_FAULT_COUNT) - faults;
    /* a fault stays latched in the registers: clear it for the next run */
    wr(r->h->v, VKFD_REG_VM_FAULT_STATUS, 7);
}

/* PM4 with pm4_hold: publish the rest of the stream and ring. */
static inline void sh_pm4_release(ShRun *r)
{
    sh_w64(r, r->wptr_va, r->wptr);
    qpci_io_writeq(r->h->v->dev, r->h->v->doorbells,
                   SH_CTX * VKFD_DOORBELL_PAGE_SIZE +
                   r->doorbell * VKFD_DOORBELL_SIZE, r->wptr);
}

/* Dispatch the kernel object kobj through AQL. */
static inline void sh_dispatch(ShRun *r, uint64_t kobj)
{
    g_assert_false(r->pm4);
    sh_dispatch_on(r, kobj, 0);
}

/*
 * Assemble text, write the code and its descriptor, dispatch, wait.
 * An assembly error fails the test with llvm-mc's message (r->res.ran
 * stays false).
 */
static inline bool sh_run(ShRun *r, const char *text)
{
    g_autoptr(GByteArray) code = g_byte_array_new();
    g_autoptr(GString) err = g_string_new(NULL);

    if (!sh_assemble(text, code, err)) {
        g_test_message("assembly failed: %s", err->str);
        g_test_message("the source: %s", text);
        g_test_fail();
        return false;
    }
    g_assert_cmpuint(code->len, <=, SH_CODE_MAX);
    r->code_len = code->len;
    r->listing_gen = sh_listing_gen;
    r->desc = (r->code_sys ? sh_alloc_sys : sh_alloc)
              (r, 256 + ROUND_UP(code->len, 256) + 256);
    r->code = r->desc + 256;
    sh_kd_write(r, r->desc);
    sh_write(r, r->code, code->data, code->len);
    sh_dispatch_on(r, r->kobj ? r->kobj : r->desc, r->code);
    return true;
}

/*
 * Let ms of wall clock pass with the virtual clock moving too (under
 * qtest it moves only when told, and the device's timers run on it).
 * For hooks: never a bare g_usleep() while waiting for the device.
 */
static inline void sh_pause(ShRun *r, unsigned ms)
{
    gint64 deadline = g_get_monotonic_time() + ms * (gint64)1000;

    while (g_get_monotonic_time() < deadline) {
        qtest_clock_step(r->qts, 1000 * 1000);
        g_usleep(500);
    }
}

/*
 * Wait (up to ms of wall clock, stepping the virtual clock) until the
 * 64-bit value at va is want; true if it got there.  For hooks.
 */
static inline bool sh_wait64(ShRun *r, uint64_t va, uint64_t want,
                             unsigned ms)
{
    gint64 deadline = g_get_monotonic_time() + ms * (gint64)1000;

    while (sh_r64(r, va) != want) {
        if (g_get_monotonic_time() > deadline) {
            return false;
        }
        qtest_clock_step(r->qts, 1000 * 1000);
        g_usleep(500);
    }
    return true;
}

/*
 * Checks.  They mark the test failed and say why (g_test_message) but
 * return, so one run reports every difference; they return false when
 * something differed.
 */

static inline const char *sh_qerr_name(uint32_t e)
{
    static const char *const names[] = {
        [VKFD_QERR_NONE] = "none", [VKFD_QERR_BAD_PACKET] = "BAD_PACKET",
        [VKFD_QERR_VM_FAULT] = "VM_FAULT",
        [VKFD_QERR_BAD_POINTER] = "BAD_POINTER",
        [VKFD_QERR_BAD_KERNEL] = "BAD_KERNEL",
        [VKFD_QERR_IB_DEPTH] = "IB_DEPTH",
        [VKFD_QERR_SHADER_ILLEGAL] = "SHADER_ILLEGAL",
        [VKFD_QERR_SHADER_OPERAND] = "SHADER_OPERAND",
        [VKFD_QERR_SHADER_MEMORY] = "SHADER_MEMORY",
        [VKFD_QERR_SHADER_LDS] = "SHADER_LDS",
        [VKFD_QERR_SHADER_TRAP] = "SHADER_TRAP",
        [VKFD_QERR_SHADER_ALIGN] = "SHADER_ALIGN",
    };

    return e < ARRAY_SIZE(names) && names[e] ? names[e] : "?";
}

static inline void sh_describe(ShRun *r)
{
    unsigned i;

    g_test_message("run: %s%s%s, queue error %u (%s) info 0x%08x "
                   "va 0x%" PRIx64 ", rptr %" PRIu64 ", signal %" PRId64
                   ", %u IH entries, %u VM faults, code at 0x%" PRIx64
                   " (%u bytes)",
                   r->res.ran ? "ran" : "did not run",
                   r->res.completed ? ", completed" : "",
                   r->res.timed_out ? ", timed out" : "", r->res.error,
                   sh_qerr_name(r->res.error), r->res.error_info,
                   r->res.error_va, r->res.rptr, r->res.signal,
                   r->res.n_ih, r->res.vm_faults, r->code, r->code_len);
    if (r->res.error && r->listing_gen == sh_listing_gen &&
        r->res.error_va >= r->code && r->res.error_va < r->code + r->code_len) {
        for (i = 0; i < sh_listing->len; i++) {
            const ShListed *e = &g_array_index(sh_listing, ShListed, i);

            if (r->code + e->off == r->res.error_va) {
                g_test_message("stopped at code+0x%x: %s", e->off, e->text);
            }
        }
    }
}

/*
 * The dispatch completed cleanly: no error, the read pointer past it,
 * (AQL) the signal decremented.
 */
static inline bool sh_expect_done(ShRun *r)
{
    bool ok = r->res.ran && r->res.completed && !r->res.error &&
              !r->res.vm_faults &&
              (r->pm4 || (r->res.rptr == r->packets + r->extra_packets &&
                          r->res.signal == 0));

    if (!ok) {
        g_test_message("expected the dispatch to complete");
        sh_describe(r);
        g_test_fail();
    }
    return ok;
}

/*
 * The queue stopped on the (first) dispatch with error qerr, its signal
 * intact.
 */
static inline bool sh_expect_error(ShRun *r, uint32_t qerr)
{
    bool ok = r->res.ran && !r->res.completed && r->res.error == qerr &&
              sh_ih_find(r, VKFD_IH_SRC_QUEUE_ERROR) &&
              (r->pm4 ? r->res.rptr == r->pm4_dispatch_at :
                        r->res.rptr == 0 && r->res.signal == r->packets);

    if (!ok) {
        g_test_message("expected queue error %u (%s)", qerr,
                       sh_qerr_name(qerr));
        sh_describe(r);
        g_test_fail();
    }
    return ok;
}

/* n dwords at va are want[] (host order). */
static inline bool sh_expect_u32(ShRun *r, uint64_t va, const uint32_t *want,
                                 unsigned n)
{
    g_autofree uint32_t *got = g_new(uint32_t, n);
    unsigned i, bad = 0;

    if (!r->res.ran) {
        return false;
    }
    sh_read32(r, va, got, n);
    for (i = 0; i < n; i++) {
        if (got[i] != want[i] && bad++ < 8) {
            g_test_message("dword %u at 0x%" PRIx64 ": got 0x%08x, "
                           "want 0x%08x", i, va + 4 * i, got[i], want[i]);
        }
    }
    if (bad) {
        g_test_message("%u of %u dwords differ", bad, n);
        sh_describe(r);
        g_test_fail();
    }
    return !bad;
}

/* out[k * 64 + lane] for the 64 lanes is want[lane]. */
static inline bool sh_expect_out(ShRun *r, unsigned k, const uint32_t *want)
{
    return sh_expect_u32(r, r->out + k * 256, want, 64);
}

/* n dwords at va are f(i, arg). */
static inline bool sh_expect_fn(ShRun *r, uint64_t va, unsigned n,
                                uint32_t (*f)(unsigned i, const void *arg),
                                const void *arg)
{
    g_autofree uint32_t *want = g_new(uint32_t, n);
    unsigned i;

    for (i = 0; i < n; i++) {
        want[i] = f(i, arg);
    }
    return sh_expect_u32(r, va, want, n);
}

/* Run one case on the binary's machine. */
static inline void sh_case_run(const void *data)
{
    const ShCase *c = data;
    g_autofree ShRun *r = g_new0(ShRun, 1);
    uint32_t want[64];
    unsigned i;

    sh_run_init(r, sh_get());
    r->c = c;
    if (c->setup) {
        c->setup(r);
    }
    if (!sh_run(r, c->asm_text)) {
        return;
    }
    if (c->check) {
        c->check(r);
    } else if (sh_expect_done(r) && c->want) {
        for (i = 0; i < 64; i++) {
            want[i] = c->want(i);
        }
        sh_expect_out(r, 0, want);
    }
    /* whatever the case did, the device still answers */
    g_assert_cmphex(rd(r->h->v, VKFD_REG_ID), ==, VKFD_ID_MAGIC);
    if (r->gone) {
        sh_put();
    }
}

/* Register a table's cases as /vkfd-sh/UNIT/NAME. */
static inline void sh_add_cases(const char *unit, const ShCase *cases)
{
    for (; cases->name; cases++) {
        g_autofree char *path = g_strdup_printf("vkfd-sh/%s/%s", unit,
                                                cases->name);

        qtest_add_data_func(path, cases, sh_case_run);
    }
}

#endif /* VKFD_SH_HARNESS_H */
