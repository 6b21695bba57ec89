/*
 * vkfd: a virtual AMD KFD device -- shader core: the floating-point VALU
 * ops (f32, f64, f16) of VOP1, VOP2, VOPC, VOP3 and VOP3P
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "vkfd.h"
#include "vkfd-sh.h"
#include "vkfd-sh-valu.h"

const VkfdShOp vkfd_sh_vop1_fp[VKFD_SH_VOP1_OPS];
const VkfdShOp vkfd_sh_vop2_fp[VKFD_SH_VOP2_OPS];
const VkfdShOp vkfd_sh_vopc_fp[VKFD_SH_VOPC_OPS];
const VkfdShOp vkfd_sh_vop3_fp[VKFD_SH_VOP3_OPS];
const VkfdShOp vkfd_sh_vop3p_fp[VKFD_SH_VOP3P_OPS];
