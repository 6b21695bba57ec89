/*
 * vkfd: a virtual AMD KFD device -- shader core: SOPP (branches, waits,
 * s_endpgm, s_barrier, traps)
 *
 * SOPP has one operand, simm16 (in->imm, sign-extended).  A branch goes
 * to the next instruction plus simm16 dwords; the run loop has already
 * moved w->pc to the next instruction, so a taken branch adds
 * simm16 * 4 to it.
 *
 * Memory is synchronous in vkfd (a load's data is in its registers when
 * the load retires), so s_waitcnt has nothing to wait for, and the
 * performance hints (s_setprio, s_incperflevel...) have nothing to act
 * on; s_icache_inv empties the dispatch's decode cache, so code the
 * kernel rewrote is fetched again.  s_endpgm, s_barrier and s_sleep
 * change the wave's status and the core's scheduler does the rest:
 * s_barrier holds the wave until its workgroup arrives, s_sleep gives
 * the turn to other waves.
 *
 * s_sendmsg MSG_INTERRUPT posts an IH signal entry with M0's event id.
 *
 * s_trap follows the HSA trap handler ABI (LLVM's AMDGPUUsage): 2
 * (llvm.trap) and every other id stop the queue with
 * VKFD_SH_FAULT_TRAP; 3 (llvm.debugtrap) continues, as it does on a GPU
 * with no debugger attached.  The trap handler that SET_TRAP_HANDLER
 * records is not run.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/bitops.h"
#include "vkfd.h"
#include "vkfd-sh.h"

/* s_trap ids of the HSA trap handler ABI */
#define SOPP_TRAP_LLVM_DEBUGTRAP    3

/* s_sendmsg's message ids (simm16[3:0]) */
#define SOPP_MSG_INTERRUPT          1

static bool s_nop(VkfdWave *w, const VkfdShInsn *in)
{
    return true;
}

static bool s_endpgm(VkfdWave *w, const VkfdShInsn *in)
{
    w->status = VKFD_SH_WAVE_DONE;
    return true;
}

static bool s_barrier(VkfdWave *w, const VkfdShInsn *in)
{
    w->status = VKFD_SH_WAVE_BARRIER;
    return true;
}

static bool s_sleep(VkfdWave *w, const VkfdShInsn *in)
{
    w->status = VKFD_SH_WAVE_SLEEP;
    return true;
}

static bool s_icache_inv(VkfdWave *w, const VkfdShInsn *in)
{
    vkfd_sh_icache_invalidate(w);
    return true;
}

static inline void branch(VkfdWave *w, const VkfdShInsn *in)
{
    w->pc += (int64_t)in->imm * 4;
}

static bool s_branch(VkfdWave *w, const VkfdShInsn *in)
{
    branch(w, in);
    return true;
}

static bool s_cbranch_scc0(VkfdWave *w, const VkfdShInsn *in)
{
    if (!w->scc) {
        branch(w, in);
    }
    return true;
}

static bool s_cbranch_scc1(VkfdWave *w, const VkfdShInsn *in)
{
    if (w->scc) {
        branch(w, in);
    }
    return true;
}

static bool s_cbranch_vccz(VkfdWave *w, const VkfdShInsn *in)
{
    if (!vkfd_sh_vcc(w)) {
        branch(w, in);
    }
    return true;
}

static bool s_cbranch_vccnz(VkfdWave *w, const VkfdShInsn *in)
{
    if (vkfd_sh_vcc(w)) {
        branch(w, in);
    }
    return true;
}

static bool s_cbranch_execz(VkfdWave *w, const VkfdShInsn *in)
{
    if (!vkfd_sh_exec_mask(w)) {
        branch(w, in);
    }
    return true;
}

static bool s_cbranch_execnz(VkfdWave *w, const VkfdShInsn *in)
{
    if (vkfd_sh_exec_mask(w)) {
        branch(w, in);
    }
    return true;
}

/*
 * MSG_INTERRUPT: the event id a kernel put in M0 (ockl's signal stores:
 * M0 = event_id & 0xffffff) goes to the host as the SQ's message
 * interrupt would, an IH signal entry of the wave's context.
 */
static bool s_sendmsg(VkfdWave *w, const VkfdShInsn *in)
{
    vkfd_sh_interrupt(w, w->s[VKFD_SH_M0] & 0xffffff);
    return true;
}

static bool s_trap(VkfdWave *w, const VkfdShInsn *in)
{
    return vkfd_sh_fault(w, VKFD_SH_FAULT_TRAP, in->pc,
                         (in->imm & 0xff) == 2 ? "s_trap 2 (llvm.trap)" :
                         "s_trap");
}

/*
 * How an entry decodes (flags): SOPP_BRANCH its simm16 is a branch
 * offset; SOPP_ZERO only simm16 == 0 (s_sethalt 0, s_setkill 0) runs:
 * halting or killing itself is refused, no host resumes a wave here.
 */
#define SOPP_BRANCH     (1u << 0)
#define SOPP_ZERO       (1u << 1)
#define SOPP_TRAP       (1u << 2)
#define SOPP_SENDMSG    (1u << 3)

#define P(n, f)         { #n, n, { VKFD_SH_NONE, VKFD_SH_NONE, VKFD_SH_NONE }, \
                          VKFD_SH_NONE, f }
#define NOP(n, f)       { #n, s_nop, \
                          { VKFD_SH_NONE, VKFD_SH_NONE, VKFD_SH_NONE }, \
                          VKFD_SH_NONE, f }

static const VkfdShOp sopp_ops[] = {
    [0x00] = P(s_nop, 0),
    [0x01] = P(s_endpgm, 0),
    [0x02] = P(s_branch, SOPP_BRANCH),
    [0x03] = NOP(s_wakeup, 0),
    [0x04] = P(s_cbranch_scc0, SOPP_BRANCH),
    [0x05] = P(s_cbranch_scc1, SOPP_BRANCH),
    [0x06] = P(s_cbranch_vccz, SOPP_BRANCH),
    [0x07] = P(s_cbranch_vccnz, SOPP_BRANCH),
    [0x08] = P(s_cbranch_execz, SOPP_BRANCH),
    [0x09] = P(s_cbranch_execnz, SOPP_BRANCH),
    [0x0a] = P(s_barrier, 0),
    [0x0b] = NOP(s_setkill, SOPP_ZERO),
    [0x0c] = NOP(s_waitcnt, 0),
    [0x0d] = NOP(s_sethalt, SOPP_ZERO),
    [0x0e] = P(s_sleep, 0),
    [0x0f] = NOP(s_setprio, 0),
    [0x10] = P(s_sendmsg, SOPP_SENDMSG),
    [0x12] = P(s_trap, SOPP_TRAP),
    [0x13] = P(s_icache_inv, 0),
    [0x14] = NOP(s_incperflevel, 0),
    [0x15] = NOP(s_decperflevel, 0),
    [0x16] = NOP(s_ttracedata, 0),
    /* conditional debug is never enabled: these never branch */
    [0x17] = NOP(s_cbranch_cdbgsys, SOPP_BRANCH),
    [0x18] = NOP(s_cbranch_cdbguser, SOPP_BRANCH),
    [0x19] = NOP(s_cbranch_cdbgsys_or_user, SOPP_BRANCH),
    [0x1a] = NOP(s_cbranch_cdbgsys_and_user, SOPP_BRANCH),
};

/* SOPP: op [22:16], simm16 [15:0] */
bool vkfd_sh_decode_sopp(VkfdShDecoder *dc, VkfdShInsn *in)
{
    uint32_t dw = dc->dw[0];
    unsigned opc = extract32(dw, 16, 7);
    const VkfdShOp *op = opc < ARRAY_SIZE(sopp_ops) ? &sopp_ops[opc] : NULL;

    if (!op || !op->name) {
        switch (opc) {
        case 0x11:
            dc->why = "s_sendmsghalt: a halted wave is never resumed here";
            break;
        case 0x1b:
            dc->why = "s_endpgm_saved: only a trap handler ends a wave so";
            break;
        case 0x1c:
        case 0x1d:
            dc->why = "s_set_gpr_idx_off/mode: VGPR index mode is not "
                      "implemented";
            break;
        default:
            dc->why = "sopp: unknown opcode";
        }
        return false;
    }
    in->op = op;
    in->exec = op->exec;
    in->family = VKFD_SH_SOPP;
    in->opcode = opc;
    in->len = 4;
    in->imm = sextract32(dw, 0, 16);
    if ((op->flags & SOPP_ZERO) && in->imm) {
        dc->why = "s_sethalt/s_setkill: a wave may not halt or kill itself "
                  "here";
        return false;
    }
    /* the trap id is simm16[7:0] */
    if ((op->flags & SOPP_TRAP) &&
        (in->imm & 0xff) == SOPP_TRAP_LLVM_DEBUGTRAP) {
        in->exec = s_nop;   /* no debugger: the trap handler returns */
    }
    /*
     * A compute kernel sends MSG_INTERRUPT (ockl's mailbox signals:
     * hostcall, printf); the other messages are for graphics stages or
     * the trap handler.
     */
    if ((op->flags & SOPP_SENDMSG) &&
        extract32(dw, 0, 4) != SOPP_MSG_INTERRUPT) {
        dc->why = "s_sendmsg: only MSG_INTERRUPT is accepted from a "
                  "compute kernel";
        return false;
    }
    return true;
}
