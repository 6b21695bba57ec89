/*
 * vkfd: a virtual AMD KFD device -- shader core: what vector memory
 * (vkfd-sh-vmem.c) and the LDS (vkfd-sh-lds.c) share
 *
 * The read-modify-write of every atomic (FLAT, GLOBAL, MUBUF and DS have
 * the same operations under different opcode numbers), and the LDS range
 * rule that DS and FLAT addresses in the shared aperture both follow.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HW_KFD_VKFD_SH_MEM_H
#define HW_KFD_VKFD_SH_MEM_H

#include <math.h>

/* Atomic operations (the opcode tables map their opcodes to these) */
typedef enum VkfdShAtom {
    VKFD_SH_ATOM_NONE = 0,
    VKFD_SH_ATOM_SWAP,
    VKFD_SH_ATOM_CMPSWAP,       /* mem == cmp ? src : mem */
    VKFD_SH_ATOM_ADD,
    VKFD_SH_ATOM_SUB,
    VKFD_SH_ATOM_RSUB,          /* DS: src - mem */
    VKFD_SH_ATOM_SMIN,
    VKFD_SH_ATOM_UMIN,
    VKFD_SH_ATOM_SMAX,
    VKFD_SH_ATOM_UMAX,
    VKFD_SH_ATOM_AND,
    VKFD_SH_ATOM_OR,
    VKFD_SH_ATOM_XOR,
    VKFD_SH_ATOM_INC,           /* mem >= src ? 0 : mem + 1 */
    VKFD_SH_ATOM_DEC,           /* mem == 0 || mem > src ? src : mem - 1 */
    VKFD_SH_ATOM_MSKOR,         /* DS: (mem & ~cmp) | src */
    VKFD_SH_ATOM_CMPSWAP_F,     /* DS cmpst_f32/f64: a float compare */
    VKFD_SH_ATOM_ADD_F,         /* f32 or f64 */
    VKFD_SH_ATOM_MIN_F,
    VKFD_SH_ATOM_MAX_F,
    VKFD_SH_ATOM_PK_ADD_F16,    /* two f16 halves */
} VkfdShAtom;

/* IEEE half <-> single, round to nearest even (for pk_add_f16). */
static inline float vkfd_sh_f16_to_f32(uint16_t h)
{
    uint32_t sign = (uint32_t)(h & 0x8000) << 16;
    uint32_t exp = h >> 10 & 0x1f, man = h & 0x3ff, bits;
    float f;

    if (exp == 0x1f) {
        bits = sign | 0x7f800000 | man << 13;   /* inf, NaN keeps payload */
    } else if (exp) {
        bits = sign | (exp + 112) << 23 | man << 13;
    } else if (man) {
        f = man / 16777216.0f;                  /* man * 2^-24, exact */
        memcpy(&bits, &f, 4);
        bits |= sign;
    } else {
        bits = sign;
    }
    memcpy(&f, &bits, 4);
    return f;
}

static inline uint16_t vkfd_sh_f32_to_f16(float f)
{
    uint32_t bits, sign, man, rest;
    int exp;

    memcpy(&bits, &f, 4);
    sign = bits >> 16 & 0x8000;
    exp = (int)(bits >> 23 & 0xff) - 127 + 15;
    man = bits & 0x7fffff;
    if ((bits & 0x7f800000) == 0x7f800000) {    /* inf or NaN (quieted) */
        return sign | 0x7c00 | (man ? 0x200 | man >> 13 : 0);
    }
    if (exp >= 0x1f) {
        return sign | 0x7c00;
    }
    if (exp <= 0) {                             /* a half denormal or 0 */
        if (exp < -10) {
            return sign;
        }
        man |= 0x800000;
        rest = man & ((1u << (14 - exp)) - 1);
        man >>= 14 - exp;
        if (rest > 1u << (13 - exp) ||
            (rest == 1u << (13 - exp) && (man & 1))) {
            man++;
        }
        return sign | man;
    }
    rest = man & 0x1fff;
    man = (uint32_t)exp << 10 | man >> 13;
    if (rest > 0x1000 || (rest == 0x1000 && (man & 1))) {
        man++;                                  /* may carry into inf */
    }
    return sign | man;
}

/*
 * The new memory value of a 32-bit atomic op on old, with the operand
 * src and, for the compares, cmp.
 */
static inline uint32_t vkfd_sh_atom32(VkfdShAtom op, uint32_t old,
                                      uint32_t src, uint32_t cmp)
{
    float fo, fs, fc;

    switch (op) {
    case VKFD_SH_ATOM_SWAP:
        return src;
    case VKFD_SH_ATOM_CMPSWAP:
        return old == cmp ? src : old;
    case VKFD_SH_ATOM_ADD:
        return old + src;
    case VKFD_SH_ATOM_SUB:
        return old - src;
    case VKFD_SH_ATOM_RSUB:
        return src - old;
    case VKFD_SH_ATOM_SMIN:
        return (int32_t)src < (int32_t)old ? src : old;
    case VKFD_SH_ATOM_UMIN:
        return src < old ? src : old;
    case VKFD_SH_ATOM_SMAX:
        return (int32_t)src > (int32_t)old ? src : old;
    case VKFD_SH_ATOM_UMAX:
        return src > old ? src : old;
    case VKFD_SH_ATOM_AND:
        return old & src;
    case VKFD_SH_ATOM_OR:
        return old | src;
    case VKFD_SH_ATOM_XOR:
        return old ^ src;
    case VKFD_SH_ATOM_INC:
        return old >= src ? 0 : old + 1;
    case VKFD_SH_ATOM_DEC:
        return old == 0 || old > src ? src : old - 1;
    case VKFD_SH_ATOM_MSKOR:
        return (old & ~cmp) | src;
    case VKFD_SH_ATOM_PK_ADD_F16:
        return vkfd_sh_f32_to_f16(vkfd_sh_f16_to_f32(old) +
                                  vkfd_sh_f16_to_f32(src)) |
               (uint32_t)vkfd_sh_f32_to_f16(
                   vkfd_sh_f16_to_f32(old >> 16) +
                   vkfd_sh_f16_to_f32(src >> 16)) << 16;
    default:
        break;
    }
    memcpy(&fo, &old, 4);
    memcpy(&fs, &src, 4);
    memcpy(&fc, &cmp, 4);
    switch (op) {
    case VKFD_SH_ATOM_CMPSWAP_F:
        return fo == fc ? src : old;
    case VKFD_SH_ATOM_ADD_F:
        fo += fs;
        break;
    case VKFD_SH_ATOM_MIN_F:
        fo = fminf(fo, fs);
        break;
    case VKFD_SH_ATOM_MAX_F:
        fo = fmaxf(fo, fs);
        break;
    default:
        return old;         /* the tables name no other op */
    }
    memcpy(&old, &fo, 4);
    return old;
}

static inline uint64_t vkfd_sh_atom64(VkfdShAtom op, uint64_t old,
                                      uint64_t src, uint64_t cmp)
{
    double fo, fs, fc;

    switch (op) {
    case VKFD_SH_ATOM_SWAP:
        return src;
    case VKFD_SH_ATOM_CMPSWAP:
        return old == cmp ? src : old;
    case VKFD_SH_ATOM_ADD:
        return old + src;
    case VKFD_SH_ATOM_SUB:
        return old - src;
    case VKFD_SH_ATOM_RSUB:
        return src - old;
    case VKFD_SH_ATOM_SMIN:
        return (int64_t)src < (int64_t)old ? src : old;
    case VKFD_SH_ATOM_UMIN:
        return src < old ? src : old;
    case VKFD_SH_ATOM_SMAX:
        return (int64_t)src > (int64_t)old ? src : old;
    case VKFD_SH_ATOM_UMAX:
        return src > old ? src : old;
    case VKFD_SH_ATOM_AND:
        return old & src;
    case VKFD_SH_ATOM_OR:
        return old | src;
    case VKFD_SH_ATOM_XOR:
        return old ^ src;
    case VKFD_SH_ATOM_INC:
        return old >= src ? 0 : old + 1;
    case VKFD_SH_ATOM_DEC:
        return old == 0 || old > src ? src : old - 1;
    case VKFD_SH_ATOM_MSKOR:
        return (old & ~cmp) | src;
    default:
        break;
    }
    memcpy(&fo, &old, 8);
    memcpy(&fs, &src, 8);
    memcpy(&fc, &cmp, 8);
    switch (op) {
    case VKFD_SH_ATOM_CMPSWAP_F:
        return fo == fc ? src : old;
    case VKFD_SH_ATOM_ADD_F:
        fo += fs;
        break;
    case VKFD_SH_ATOM_MIN_F:
        fo = fmin(fo, fs);
        break;
    case VKFD_SH_ATOM_MAX_F:
        fo = fmax(fo, fs);
        break;
    default:
        return old;
    }
    memcpy(&old, &fo, 8);
    return old;
}

/*
 * The LDS range rule (GFX9): an access is in range when all its bytes lie
 * below the workgroup's allocation; out of range, a read returns 0 and a
 * write (or an atomic) changes nothing, as on the hardware.  Both units
 * log the first such access of an instruction as a guest error.
 */
static inline bool vkfd_sh_lds_in_range(const VkfdWave *w, uint64_t addr,
                                        unsigned len)
{
    return addr + len <= w->lds_size;
}

/* vkfd-sh-lds.c: a guest error for an LDS access out of range. */
void vkfd_sh_lds_range_error(VkfdWave *w, const VkfdShInsn *in,
                             uint64_t addr, unsigned len);

#endif /* HW_KFD_VKFD_SH_MEM_H */
