/*
 * vkfd: a virtual AMD KFD device -- the shader core's shared definitions
 *
 * The shader core runs GFX9 (gfx90a, wave64) machine code for kernel
 * dispatches.  Its files, one job each:
 *
 *   vkfd-sh.c          dispatches, workgroups, waves, the run loop under
 *                      the queue budget, barriers, faults, reset, VMState
 *   vkfd-sh-decode.c   fetch through GPUVM, the per-dispatch decode cache,
 *                      the family of an instruction from its top bits
 *   vkfd-sh-operand.c  operand decoding: register ranges, inline
 *                      constants, literals (the only place that checks
 *                      register indices; see "Operands" below)
 *   vkfd-sh-salu.c     SOP1, SOP2, SOPK, SOPC
 *   vkfd-sh-branch.c   SOPP: branches, waits, s_endpgm, s_barrier, traps
 *   vkfd-sh-smem.c     SMEM
 *   vkfd-sh-valu*.c    VOP1, VOP2, VOPC, VOP3, VOP3B, VOP3P, DPP, SDWA
 *   vkfd-sh-vmem.c     FLAT, GLOBAL, SCRATCH, MUBUF
 *   vkfd-sh-lds.c      DS
 *
 * An instruction is decoded once per dispatch into a VkfdShInsn: its
 * family's decoder (one per family, in the unit's file) picks the opcode's
 * VkfdShOp from the family's table, resolves and checks every operand
 * (vkfd-sh-operand.c), and stores the handler.  Executing it is then a
 * call of in->exec(wave, in): handlers trust the decoded register indices
 * and never index s[] or v[] with anything else.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HW_KFD_VKFD_SH_H
#define HW_KFD_VKFD_SH_H

#define VKFD_SH_WAVE_SIZE       64

/*
 * The scalar operand space, indexed by the operand's encoding: s0..s101,
 * then the special registers.  VCC, M0 and EXEC live in s[] at their
 * encodings, so an operand naming them needs no special case.
 */
#define VKFD_SH_SREGS           128
#define VKFD_SH_MAX_SGPRS       102
#define VKFD_SH_FLAT_SCR_LO     102
#define VKFD_SH_FLAT_SCR_HI     103
#define VKFD_SH_XNACK_MASK_LO   104
#define VKFD_SH_XNACK_MASK_HI   105
#define VKFD_SH_VCC_LO          106
#define VKFD_SH_VCC_HI          107
#define VKFD_SH_TTMP0           108     /* .. TTMP15 = 123 */
#define VKFD_SH_M0              124
#define VKFD_SH_EXEC_LO         126
#define VKFD_SH_EXEC_HI         127

/* Source operand encodings above the registers (9-bit VOP, 8-bit SALU) */
#define VKFD_SH_SRC_ZERO        128
#define VKFD_SH_SRC_INT_MAX     192     /* 129..192: 1..64 */
#define VKFD_SH_SRC_NEG_MAX     208     /* 193..208: -1..-16 */
#define VKFD_SH_SRC_SHARED_BASE 235
#define VKFD_SH_SRC_SHARED_LIMIT 236
#define VKFD_SH_SRC_PRIVATE_BASE 237
#define VKFD_SH_SRC_PRIVATE_LIMIT 238
#define VKFD_SH_SRC_POPS_EXITING 239
#define VKFD_SH_SRC_F_HALF      240     /* 240..248: 0.5 -0.5 1 -1 2 -2 4 -4 */
#define VKFD_SH_SRC_INV_2PI     248     /* 1 / (2 * pi) */
#define VKFD_SH_SRC_SDWA        249     /* VOP1/2/C src0: an SDWA dword */
#define VKFD_SH_SRC_DPP         250     /* VOP1/2/C src0: a DPP dword */
#define VKFD_SH_SRC_VCCZ        251
#define VKFD_SH_SRC_EXECZ       252
#define VKFD_SH_SRC_SCC         253
#define VKFD_SH_SRC_LDS_DIRECT  254
#define VKFD_SH_SRC_LITERAL     255
#define VKFD_SH_SRC_VGPR0       256     /* 256..511: v0..v255 */

/*
 * The vector register file of gfx90a: 512 registers of 64 lanes per wave
 * at most, ArchVGPRs first, AccVGPRs (AGPRs) from the descriptor's
 * accum_offset on.  Decoding maps a0.. to its row in the same file.
 */
#define VKFD_SH_MAX_VGPRS       512
#define VKFD_SH_MAX_ARCH_VGPRS  256
#define VKFD_SH_MAX_AGPRS       256

/* Operand types: the size of the register range and the inline constants */
typedef enum VkfdShType {
    VKFD_SH_B32 = 0,    /* the default of a zeroed table entry */
    VKFD_SH_B64,
    VKFD_SH_F16,        /* also the 16-bit integers: inline ints as u16 */
    VKFD_SH_F32,
    VKFD_SH_F64,
    VKFD_SH_B128,       /* s_load_dwordx4, buffer resources */
    VKFD_SH_B256,
    VKFD_SH_B512,
    VKFD_SH_B96,
    VKFD_SH_NONE,       /* no such operand: not decoded */
} VkfdShType;

/* How many dwords of registers an operand of type t occupies. */
static inline unsigned vkfd_sh_type_dwords(VkfdShType t)
{
    static const uint8_t dwords[] = {
        [VKFD_SH_B32] = 1, [VKFD_SH_B64] = 2, [VKFD_SH_F16] = 1,
        [VKFD_SH_F32] = 1, [VKFD_SH_F64] = 2, [VKFD_SH_B128] = 4,
        [VKFD_SH_B256] = 8, [VKFD_SH_B512] = 16, [VKFD_SH_B96] = 3,
        [VKFD_SH_NONE] = 0,
    };
    return dwords[t];
}

/*
 * Operands.  A decoded operand is one of:
 *   SREG   s[idx] .. s[idx + dwords - 1], checked against the dispatch's
 *          SGPR count (or a special register) when decoded
 *   VGPR   rows v[idx] .. v[idx + dwords - 1], checked likewise (AGPRs
 *          are mapped to their rows)
 *   CONST  an inline constant or the literal, already in the operand's
 *          type (val; a 64-bit float literal is its high dword)
 *   SCC, VCCZ, EXECZ   read when executed
 */
typedef enum VkfdShOpdKind {
    VKFD_SH_OPD_NONE = 0,
    VKFD_SH_OPD_SREG,
    VKFD_SH_OPD_VGPR,
    VKFD_SH_OPD_CONST,
    VKFD_SH_OPD_SCC,
    VKFD_SH_OPD_VCCZ,
    VKFD_SH_OPD_EXECZ,
} VkfdShOpdKind;

typedef struct VkfdShOpd {
    uint8_t kind;       /* VkfdShOpdKind */
    uint8_t type;       /* VkfdShType it was decoded as */
    uint16_t idx;       /* SREG: s[] index; VGPR: row */
    uint64_t val;       /* CONST */
} VkfdShOpd;

/* Wave states */
typedef enum VkfdShWaveStatus {
    VKFD_SH_WAVE_RUN = 0,
    VKFD_SH_WAVE_BARRIER,   /* at s_barrier, until its workgroup arrives */
    VKFD_SH_WAVE_SLEEP,     /* s_sleep: yields its turn */
    VKFD_SH_WAVE_DONE,      /* s_endpgm */
    VKFD_SH_WAVE_FAULT,     /* stopped by vkfd_sh_fault() */
} VkfdShWaveStatus;

/* Why a wave stopped its queue (vkfd_sh_fault) */
typedef enum VkfdShFault {
    VKFD_SH_FAULT_ILLEGAL = 1,  /* unknown or unimplemented encoding/opcode */
    VKFD_SH_FAULT_OPERAND,      /* an operand out of the wave's registers */
    VKFD_SH_FAULT_MEMORY,       /* a memory access faulted (va) */
    VKFD_SH_FAULT_LDS,          /* an LDS access out of the allocation */
    VKFD_SH_FAULT_TRAP,         /* s_trap */
    VKFD_SH_FAULT_ALIGN,        /* a misaligned access the unit refuses */
} VkfdShFault;

typedef struct VkfdShDispatch VkfdShDispatch;
typedef struct VkfdShGroup VkfdShGroup;

/*
 * One wave of 64 lanes.  s[] is indexed by operand encoding (so EXEC is
 * s[126..127], VCC s[106..107], M0 s[124]); v points at num_vgprs rows of
 * VKFD_SH_WAVE_SIZE lanes (heap: up to 128 KiB), row-major so that a
 * VALU handler loops over one row at a time.
 */
typedef struct VkfdWave {
    uint32_t s[VKFD_SH_SREGS];
    uint32_t (*v)[VKFD_SH_WAVE_SIZE];
    uint64_t pc;
    bool scc;
    uint8_t status;             /* VkfdShWaveStatus */
    uint16_t num_sgprs;         /* s0..s(num_sgprs - 1) are allocated */
    uint16_t num_vgprs;         /* rows of v, ArchVGPRs and AGPRs */
    uint16_t accum_offset;      /* row of a0 */
    uint32_t mode;              /* the MODE hardware register */
    uint32_t trapsts;           /* TRAPSTS: exceptions seen */
    uint32_t wave_id;           /* in its workgroup, from 0 */
    /* LDS of its workgroup: vkfd-sh-lds.c checks every byte against it */
    uint8_t *lds;
    uint32_t lds_size;
    /* the apertures a FLAT address may fall in (vkfd-sh-vmem.c) */
    uint64_t shared_base;
    uint64_t private_base;
    /* the fault, once status is VKFD_SH_WAVE_FAULT */
    uint8_t fault;              /* VkfdShFault */
    uint64_t fault_va;
    uint64_t fault_pc;
    uint32_t fault_dw[2];
    const char *fault_why;
    VkfdShDispatch *disp;
    VkfdShGroup *group;
} VkfdWave;

typedef struct VkfdShInsn VkfdShInsn;

/*
 * Execute one decoded instruction.  The run loop has already moved w->pc
 * past it (branches set it again).  Returns false when the wave faulted
 * (the handler called vkfd_sh_fault()); s_endpgm, s_barrier and s_sleep
 * return true and change w->status.
 */
typedef bool VkfdShExec(VkfdWave *w, const VkfdShInsn *in);

/*
 * An opcode of a family, in that family's table (indexed by opcode, with
 * designated initializers; a hole is an illegal instruction).  src[] and
 * dst give the operands' types; flags mean what the family says.
 */
typedef struct VkfdShOp {
    const char *name;
    VkfdShExec *exec;
    uint8_t src[3];             /* VkfdShType of src0, src1, src2 */
    uint8_t dst;                /* VkfdShType of the destination */
    uint16_t flags;
} VkfdShOp;

/* Families, from the top bits of the first dword (vkfd-sh-decode.c) */
typedef enum VkfdShFamily {
    VKFD_SH_SOP2 = 1,
    VKFD_SH_SOPK,
    VKFD_SH_SOP1,
    VKFD_SH_SOPC,
    VKFD_SH_SOPP,
    VKFD_SH_SMEM,
    VKFD_SH_VOP1,
    VKFD_SH_VOP2,
    VKFD_SH_VOPC,
    VKFD_SH_VOP3,       /* VOP3A and VOP3B */
    VKFD_SH_VOP3P,
    VKFD_SH_DS,
    VKFD_SH_FLAT,       /* FLAT, GLOBAL and SCRATCH (the seg field) */
    VKFD_SH_MUBUF,
    VKFD_SH_MTBUF,
    VKFD_SH_MIMG,
    VKFD_SH_VINTRP,
    VKFD_SH_EXP,
    VKFD_SH_NUM_FAMILIES,
} VkfdShFamily;

/* Modifiers of a VALU instruction (in->mods) */
typedef enum VkfdShMods {
    VKFD_SH_MODS_NONE = 0,
    VKFD_SH_MODS_VOP3,      /* abs/neg per source, clamp, omod, op_sel */
    VKFD_SH_MODS_VOP3P,
    VKFD_SH_MODS_DPP,
    VKFD_SH_MODS_SDWA,
} VkfdShMods;

/*
 * A decoded instruction.  src[], dst and sdst hold the operands as the
 * family's decoder defines them (documented at each decoder); the union
 * holds what only some families have.  A unit may add members to its own
 * union member.
 */
struct VkfdShInsn {
    VkfdShExec *exec;
    const VkfdShOp *op;
    uint64_t pc;
    uint32_t dw[2];             /* as fetched (the literal is dw[1]) */
    uint8_t len;                /* bytes: 4 or 8 (GFX9 has no longer ones) */
    uint8_t family;             /* VkfdShFamily */
    uint8_t mods;               /* VkfdShMods */
    uint8_t cost;               /* wave-instructions of budget beyond 1 */
    uint16_t opcode;
    VkfdShOpd src[3];
    VkfdShOpd dst;              /* sdst, vdst; data of a store */
    VkfdShOpd sdst;             /* VOP3B/VOPC-in-VOP3 scalar result */
    int32_t imm;                /* simm16, memory offsets */
    union {
        struct {
            uint8_t abs, neg;           /* bit i: source i */
            uint8_t neg_hi;             /* VOP3P */
            uint8_t opsel, opsel_hi;    /* bit i: source i; bit 3: dst */
            uint8_t omod;
            bool clamp;
        } vop3;
        struct {
            uint64_t lanes;             /* row/bank masks, bound_ctrl */
            uint16_t ctrl;
            uint8_t row_mask, bank_mask;
            bool bound_ctrl;
            uint8_t abs, neg;
        } dpp;
        struct {
            uint8_t dst_sel, dst_unused, src0_sel, src1_sel;
            uint8_t abs, neg, sext;
            uint8_t omod;
            bool clamp;
        } sdwa;
        struct {
            int32_t offset1;            /* DS: offset1; SMEM: soffset */
            uint8_t seg;                /* FLAT: 0 flat, 1 scratch, 2 global */
            bool glc, slc, lds, offen, idxen, gds;
        } mem;
    } u;
};

/*
 * Decoding.  vkfd-sh-decode.c fetches the dwords at pc and calls the
 * family's decoder, which fills *in (op, exec, len, operands) or returns
 * false with dc->why set: the wave then faults with
 * VKFD_SH_FAULT_ILLEGAL (or _OPERAND if dc->operand) at that PC.
 */
typedef struct VkfdShDecoder {
    const VkfdWave *w;          /* register counts, apertures */
    uint32_t dw[2];
    unsigned avail;             /* dwords of dw[] that could be fetched */
    const char *why;
    bool operand;               /* the failure is an operand's */
} VkfdShDecoder;

typedef bool VkfdShDecodeFn(VkfdShDecoder *dc, VkfdShInsn *in);

VkfdShDecodeFn vkfd_sh_decode_sop1, vkfd_sh_decode_sop2, vkfd_sh_decode_sopk,
               vkfd_sh_decode_sopc;                     /* vkfd-sh-salu.c */
VkfdShDecodeFn vkfd_sh_decode_sopp;                     /* vkfd-sh-branch.c */
VkfdShDecodeFn vkfd_sh_decode_smem;                     /* vkfd-sh-smem.c */
VkfdShDecodeFn vkfd_sh_decode_vop1, vkfd_sh_decode_vop2, vkfd_sh_decode_vopc,
               vkfd_sh_decode_vop3, vkfd_sh_decode_vop3p; /* vkfd-sh-valu*.c */
VkfdShDecodeFn vkfd_sh_decode_flat, vkfd_sh_decode_mubuf; /* vkfd-sh-vmem.c */
VkfdShDecodeFn vkfd_sh_decode_ds;                       /* vkfd-sh-lds.c */

/* Decode flags for vkfd_sh_decode_src */
#define VKFD_SH_DEC_NO_LITERAL  (1u << 0)   /* 64-bit encodings */
#define VKFD_SH_DEC_NO_VGPR     (1u << 1)   /* SALU: 8-bit fields */
#define VKFD_SH_DEC_NO_CONST    (1u << 2)
#define VKFD_SH_DEC_SEXT64      (1u << 3)   /* i64: literal sign-extended */

/*
 * vkfd-sh-operand.c, for decoders.  Each checks the whole register range
 * of the type against the wave's allocation and returns false with
 * dc->why / dc->operand set if it does not fit.
 *   decode_src:  a source by its 9-bit encoding (SALU passes the 8-bit
 *                one); a literal takes dc->dw[1] and makes in->len 8
 *   decode_sdst: a scalar destination by its 7-bit encoding
 *   decode_vgpr: a VGPR field (0..255) of a memory or VOP3 encoding;
 *                acc: it names an AGPR (gfx90a's acc bit)
 */
bool vkfd_sh_decode_src(VkfdShDecoder *dc, VkfdShInsn *in, unsigned enc,
                        VkfdShType type, unsigned flags, VkfdShOpd *o);
bool vkfd_sh_decode_sdst(VkfdShDecoder *dc, VkfdShInsn *in, unsigned enc,
                         VkfdShType type, VkfdShOpd *o);
bool vkfd_sh_decode_vgpr(VkfdShDecoder *dc, VkfdShInsn *in, unsigned idx,
                         bool acc, VkfdShType type, VkfdShOpd *o);
/* For run-time indexing (s_movrels, M0-relative): is the range allocated? */
bool vkfd_sh_sreg_ok(const VkfdWave *w, unsigned idx, unsigned dwords);
bool vkfd_sh_vreg_ok(const VkfdWave *w, unsigned row, unsigned dwords);

/* Executing: reading and writing decoded operands (inline: the hot path) */
static inline uint64_t vkfd_sh_exec_mask(const VkfdWave *w)
{
    return w->s[VKFD_SH_EXEC_LO] | (uint64_t)w->s[VKFD_SH_EXEC_HI] << 32;
}

static inline void vkfd_sh_set_exec_mask(VkfdWave *w, uint64_t m)
{
    w->s[VKFD_SH_EXEC_LO] = m;
    w->s[VKFD_SH_EXEC_HI] = m >> 32;
}

static inline uint64_t vkfd_sh_vcc(const VkfdWave *w)
{
    return w->s[VKFD_SH_VCC_LO] | (uint64_t)w->s[VKFD_SH_VCC_HI] << 32;
}

static inline void vkfd_sh_set_vcc(VkfdWave *w, uint64_t m)
{
    w->s[VKFD_SH_VCC_LO] = m;
    w->s[VKFD_SH_VCC_HI] = m >> 32;
}

/* A scalar value of a source (SREG, CONST, SCC, VCCZ, EXECZ). */
static inline uint32_t vkfd_sh_s32(const VkfdWave *w, const VkfdShOpd *o)
{
    switch (o->kind) {
    case VKFD_SH_OPD_SREG:
        return w->s[o->idx];
    case VKFD_SH_OPD_CONST:
        return o->val;
    case VKFD_SH_OPD_SCC:
        return w->scc;
    case VKFD_SH_OPD_VCCZ:
        return vkfd_sh_vcc(w) == 0;
    case VKFD_SH_OPD_EXECZ:
        return vkfd_sh_exec_mask(w) == 0;
    default:
        return 0;   /* decoding never lets another kind through */
    }
}

static inline uint64_t vkfd_sh_s64(const VkfdWave *w, const VkfdShOpd *o)
{
    if (o->kind == VKFD_SH_OPD_SREG) {
        return w->s[o->idx] | (uint64_t)w->s[o->idx + 1] << 32;
    }
    if (o->kind == VKFD_SH_OPD_CONST) {
        return o->val;
    }
    return vkfd_sh_s32(w, o);
}

/* Scalar destinations are SREG (decode_sdst accepts nothing else). */
static inline void vkfd_sh_set_s32(VkfdWave *w, const VkfdShOpd *o,
                                   uint32_t v)
{
    w->s[o->idx] = v;
}

static inline void vkfd_sh_set_s64(VkfdWave *w, const VkfdShOpd *o,
                                   uint64_t v)
{
    w->s[o->idx] = v;
    w->s[o->idx + 1] = v >> 32;
}

/*
 * A 32-bit source of a VALU instruction, all 64 lanes: the VGPR row
 * itself, or tmp filled with the scalar value.  Row i + k of a VGPR
 * operand is v[o->idx + k].
 */
static inline const uint32_t *vkfd_sh_v32(const VkfdWave *w,
                                          const VkfdShOpd *o, uint32_t *tmp)
{
    uint32_t x;
    int i;

    if (o->kind == VKFD_SH_OPD_VGPR) {
        return w->v[o->idx];
    }
    x = vkfd_sh_s32(w, o);
    for (i = 0; i < VKFD_SH_WAVE_SIZE; i++) {
        tmp[i] = x;
    }
    return tmp;
}

/* A 64-bit source, all lanes, into out[] (VGPR pairs are two rows). */
static inline void vkfd_sh_v64(const VkfdWave *w, const VkfdShOpd *o,
                               uint64_t *out)
{
    uint64_t x;
    int i;

    if (o->kind == VKFD_SH_OPD_VGPR) {
        const uint32_t *lo = w->v[o->idx], *hi = w->v[o->idx + 1];

        for (i = 0; i < VKFD_SH_WAVE_SIZE; i++) {
            out[i] = lo[i] | (uint64_t)hi[i] << 32;
        }
        return;
    }
    x = vkfd_sh_s64(w, o);
    for (i = 0; i < VKFD_SH_WAVE_SIZE; i++) {
        out[i] = x;
    }
}

/* Write val[] to the lanes of a VGPR destination that EXEC enables. */
static inline void vkfd_sh_set_v32(VkfdWave *w, const VkfdShOpd *o,
                                   const uint32_t *val)
{
    uint64_t exec = vkfd_sh_exec_mask(w);
    uint32_t *d = w->v[o->idx];
    int i;

    if (exec == UINT64_MAX) {
        memcpy(d, val, VKFD_SH_WAVE_SIZE * sizeof(*d));
        return;
    }
    for (i = 0; i < VKFD_SH_WAVE_SIZE; i++) {
        if (exec >> i & 1) {
            d[i] = val[i];
        }
    }
}

static inline void vkfd_sh_set_v64(VkfdWave *w, const VkfdShOpd *o,
                                   const uint64_t *val)
{
    uint64_t exec = vkfd_sh_exec_mask(w);
    uint32_t *lo = w->v[o->idx], *hi = w->v[o->idx + 1];
    int i;

    for (i = 0; i < VKFD_SH_WAVE_SIZE; i++) {
        if (exec >> i & 1) {
            lo[i] = val[i];
            hi[i] = val[i] >> 32;
        }
    }
}

/*
 * vkfd-sh.c, for the units.
 *   vkfd_sh_fault: stop the wave (and its queue) with why; returns false
 *                  so a handler can `return vkfd_sh_fault(...)`
 *   vkfd_sh_read/write: len bytes at GPU VA va of the dispatch's context;
 *                  false after faulting the wave (VKFD_SH_FAULT_MEMORY, va)
 *   vkfd_sh_atomic: vkfd_vm_atomic (vkfd.h) at va, the same faults
 *   vkfd_sh_clock: the GPU clock (s_memtime, s_memrealtime)
 *   vkfd_sh_hwreg_read/write: hardware registers by s_getreg/s_setreg id
 */
bool vkfd_sh_fault(VkfdWave *w, VkfdShFault fault, uint64_t va,
                   const char *why);
bool vkfd_sh_read(VkfdWave *w, uint64_t va, void *buf, unsigned len);
bool vkfd_sh_write(VkfdWave *w, uint64_t va, const void *buf, unsigned len);
bool vkfd_sh_atomic(VkfdWave *w, uint64_t va, unsigned size,
                    VkfdVmAtomicFn *fn, const void *opaque, uint64_t *old);
uint64_t vkfd_sh_clock(const VkfdWave *w);
/* s_sendmsg MSG_INTERRUPT: an IH signal entry of the wave's context */
void vkfd_sh_interrupt(VkfdWave *w, uint32_t data);
/*
 * s_icache_inv: instructions are fetched and decoded again from the
 * wave's next turn on (the wave yields its turn, as s_sleep does)
 */
void vkfd_sh_icache_invalidate(VkfdWave *w);
bool vkfd_sh_hwreg_read(VkfdWave *w, unsigned id, uint32_t *val);
bool vkfd_sh_hwreg_write(VkfdWave *w, unsigned id, uint32_t val,
                         uint32_t mask);

#endif /* HW_KFD_VKFD_SH_H */
