/*
 * vkfd: a virtual AMD KFD device -- shader core: fetch, families, cache
 *
 * An instruction is fetched through the dispatch's GPUVM a dword at a
 * time, its family is told from the top bits of its first dword (the
 * patterns below, checked against LLVM's encodings for gfx90a), and the
 * family's decoder fills a VkfdShInsn.  The result is kept in the
 * dispatch's decode cache (vkfd-sh-core.h) until the dispatch ends, so
 * each PC is fetched and decoded once per dispatch.
 *
 * The second dword of a 32-bit encoding is fetched only when the
 * instruction turns out to have one (a literal, DPP, SDWA): a kernel
 * whose last instruction is the last dword of a mapped page must not
 * fault on the next page.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/bswap.h"
#include "vkfd.h"
#include "vkfd-sh-core.h"
#include "trace.h"

/*
 * insn_cost(): wave-instructions of budget beyond one.  Only f64 VALU
 * instructions, which go through softfloat lane by lane (about 130 times
 * a SALU instruction's CPU time in a loop), cost more: the other VALU and
 * memory instructions cost 4 to 14 times a SALU one (vkfd-shader-bench),
 * and charging that made a bottom-half run of a HIP kernel so short that
 * the yields between runs slowed it down three times (bench/README.md).
 */
#define VKFD_SH_COST_VALU_F64   128

typedef struct VkfdShFamilyPat {
    uint32_t mask, match;
    uint8_t family;
    uint8_t len;                /* bytes without a literal */
    VkfdShDecodeFn *decode;     /* NULL: an encoding the core refuses */
    const char *name;
} VkfdShFamilyPat;

#define PAT(bits, width, fam, n, fn, nm) \
    { .mask = ((1u << (width)) - 1) << (32 - (width)), \
      .match = (uint32_t)(bits) << (32 - (width)), \
      .family = (fam), .len = (n), .decode = (fn), .name = (nm) }

/* First match wins: the longer patterns come before the shorter ones. */
static const VkfdShFamilyPat families[] = {
    PAT(0x17d, 9, VKFD_SH_SOP1, 4, vkfd_sh_decode_sop1, "SOP1"),
    PAT(0x17e, 9, VKFD_SH_SOPC, 4, vkfd_sh_decode_sopc, "SOPC"),
    PAT(0x17f, 9, VKFD_SH_SOPP, 4, vkfd_sh_decode_sopp, "SOPP"),
    PAT(0xb, 4, VKFD_SH_SOPK, 4, vkfd_sh_decode_sopk, "SOPK"),
    PAT(0x2, 2, VKFD_SH_SOP2, 4, vkfd_sh_decode_sop2, "SOP2"),
    PAT(0x3f, 7, VKFD_SH_VOP1, 4, vkfd_sh_decode_vop1, "VOP1"),
    PAT(0x3e, 7, VKFD_SH_VOPC, 4, vkfd_sh_decode_vopc, "VOPC"),
    PAT(0x0, 1, VKFD_SH_VOP2, 4, vkfd_sh_decode_vop2, "VOP2"),
    PAT(0x1a7, 9, VKFD_SH_VOP3P, 8, vkfd_sh_decode_vop3p, "VOP3P"),
    PAT(0x34, 6, VKFD_SH_VOP3, 8, vkfd_sh_decode_vop3, "VOP3"),
    PAT(0x30, 6, VKFD_SH_SMEM, 8, vkfd_sh_decode_smem, "SMEM"),
    PAT(0x31, 6, VKFD_SH_EXP, 8, NULL, "EXP"),
    PAT(0x35, 6, VKFD_SH_VINTRP, 4, NULL, "VINTRP"),
    PAT(0x36, 6, VKFD_SH_DS, 8, vkfd_sh_decode_ds, "DS"),
    PAT(0x37, 6, VKFD_SH_FLAT, 8, vkfd_sh_decode_flat, "FLAT"),
    PAT(0x38, 6, VKFD_SH_MUBUF, 8, vkfd_sh_decode_mubuf, "MUBUF"),
    PAT(0x3a, 6, VKFD_SH_MTBUF, 8, NULL, "MTBUF"),
    PAT(0x3c, 6, VKFD_SH_MIMG, 8, NULL, "MIMG"),
};

static const VkfdShFamilyPat *family_of(uint32_t dw0)
{
    unsigned i;

    for (i = 0; i < ARRAY_SIZE(families); i++) {
        if ((dw0 & families[i].mask) == families[i].match) {
            return &families[i];
        }
    }
    return NULL;
}

static void code_page_free(gpointer p)
{
    VkfdShCodePage *page = p;
    unsigned i;

    for (i = 0; i < VKFD_SH_CODE_SLOTS; i++) {
        g_free(page->slot[i]);
    }
    g_free(page);
}

void vkfd_sh_code_init(VkfdShCode *c)
{
    memset(c, 0, sizeof(*c));
    c->pages = g_hash_table_new_full(g_int64_hash, g_int64_equal, NULL,
                                     code_page_free);
}

void vkfd_sh_code_free(VkfdShCode *c)
{
    if (c->pages) {
        g_hash_table_destroy(c->pages);
    }
    memset(c, 0, sizeof(*c));
}

/* Forget every decoded instruction (none may be running). */
void vkfd_sh_code_flush(VkfdShCode *c)
{
    g_hash_table_remove_all(c->pages);
    c->npages = 0;
    c->last = NULL;
}

static VkfdShCodePage *code_page(VkfdShCode *c, uint64_t pc)
{
    uint64_t va = pc & ~(uint64_t)(VKFD_SH_CODE_PAGE_SIZE - 1);
    VkfdShCodePage *page = g_hash_table_lookup(c->pages, &va);

    if (!page) {
        if (c->npages >= VKFD_SH_CODE_PAGES) {
            /* a kernel spread over more code than that: start again */
            vkfd_sh_code_flush(c);
        }
        page = g_new0(VkfdShCodePage, 1);
        page->va = va;
        c->pages_made++;
        g_hash_table_insert(c->pages, &page->va, page);
        c->npages++;
    }
    return page;
}

/* A dword of code; false after faulting the wave at va. */
static bool fetch_dword(VkfdWave *w, uint64_t va, uint32_t *dw)
{
    VkfdShDispatch *d = w->disp;
    uint32_t x;

    if (!vkfd_vm_read(d->s, d->ctx_id, va, &x, 4)) {
        vkfd_sh_fault_decode(w, VKFD_SH_FAULT_MEMORY, va, NULL,
                             "instruction fetch faulted");
        return false;
    }
    *dw = le32_to_cpu(x);
    return true;
}

/*
 * What an instruction costs the queue's budget beyond one wave-instruction
 * (the run loop adds it to the dispatch's debt): an f64 VALU instruction
 * works on 64 lanes through softfloat (an endless loop of v_fmac_f64 took
 * 16 ms of CPU a bottom-half run uncharged).
 */
static uint8_t insn_cost(const VkfdShInsn *in)
{
    const VkfdShOp *o = in->op;
    bool f64 = false;
    int i;

    switch (in->family) {
    case VKFD_SH_VOP1:
    case VKFD_SH_VOP2:
    case VKFD_SH_VOPC:
    case VKFD_SH_VOP3:
    case VKFD_SH_VOP3P:
        for (i = 0; o && i < 3; i++) {
            f64 |= o->src[i] == VKFD_SH_F64;
        }
        f64 |= o && o->dst == VKFD_SH_F64;
        return f64 ? VKFD_SH_COST_VALU_F64 : 0;
    default:
        return 0;
    }
}

/* Decode the instruction at pc into *in; false after faulting the wave. */
static bool decode(VkfdWave *w, uint64_t pc, VkfdShInsn *in)
{
    VkfdShDecoder dc = { .w = w };
    const VkfdShFamilyPat *f;
    bool same_page;

    if (!fetch_dword(w, pc, &dc.dw[0])) {
        return false;
    }
    dc.avail = 1;
    f = family_of(dc.dw[0]);
    if (!f || !f->decode) {
        return vkfd_sh_fault_decode(w, VKFD_SH_FAULT_ILLEGAL, pc, dc.dw,
                                    f ? "encoding not supported (EXP, "
                                    "VINTRP, MTBUF, MIMG)" :
                                    "unknown encoding");
    }
    /* the second dword is on the same page: it cannot fault if dw0 did not */
    same_page = (pc & (VKFD_SH_CODE_PAGE_SIZE - 1)) <=
                VKFD_SH_CODE_PAGE_SIZE - 8;
    if (f->len == 8 || same_page) {
        if (!fetch_dword(w, pc + 4, &dc.dw[1])) {
            return false;
        }
        dc.avail = 2;
    }
    for (;;) {
        memset(in, 0, sizeof(*in));
        in->pc = pc;
        in->len = f->len;
        in->family = f->family;
        if (!f->decode(&dc, in)) {
            return vkfd_sh_fault_decode(w, dc.operand ?
                                        VKFD_SH_FAULT_OPERAND :
                                        VKFD_SH_FAULT_ILLEGAL, pc, dc.dw,
                                        dc.why ? dc.why : "not decodable");
        }
        if (in->len <= 4 * dc.avail) {
            break;
        }
        /* a 32-bit encoding with a second dword on the next page */
        if (in->len != 8 || dc.avail != 1 ||
            !fetch_dword(w, pc + 4, &dc.dw[1])) {
            return w->status == VKFD_SH_WAVE_FAULT ? false :
                   vkfd_sh_fault_decode(w, VKFD_SH_FAULT_ILLEGAL, pc, dc.dw,
                                        "instruction length not 4 or 8");
        }
        dc.avail = 2;
    }
    if (!in->exec || (in->len != 4 && in->len != 8)) {
        return vkfd_sh_fault_decode(w, VKFD_SH_FAULT_ILLEGAL, pc, dc.dw,
                                    "decoder returned no handler");
    }
    in->dw[0] = dc.dw[0];
    in->dw[1] = in->len == 8 ? dc.dw[1] : 0;
    in->cost = insn_cost(in);
    trace_vkfd_sh_decode(pc, in->dw[0], in->dw[1], in->len,
                         in->op && in->op->name ? in->op->name : f->name);
    return true;
}

const VkfdShInsn *vkfd_sh_decode_miss(VkfdWave *w)
{
    VkfdShCode *c = &w->disp->code;
    VkfdShCodePage *page;
    VkfdShInsn in, **slot;

    if (w->pc & 3) {
        vkfd_sh_fault_decode(w, VKFD_SH_FAULT_ILLEGAL, w->pc, NULL,
                             "PC not dword-aligned");
        return NULL;
    }
    page = code_page(c, w->pc);
    c->last = page;
    slot = &page->slot[(w->pc & (VKFD_SH_CODE_PAGE_SIZE - 1)) >> 2];
    if (*slot) {
        return *slot;
    }
    if (!decode(w, w->pc, &in)) {
        return NULL;
    }
    c->decoded++;
    *slot = g_memdup2(&in, sizeof(in));
    return *slot;
}
