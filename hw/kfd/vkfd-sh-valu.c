/*
 * vkfd: a virtual AMD KFD device -- shader core: VOP1, VOP2, VOPC, VOP3, VOP3P
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "vkfd.h"
#include "vkfd-sh.h"

bool vkfd_sh_decode_vop1(VkfdShDecoder *dc, VkfdShInsn *in)
{
    dc->why = "vop1: not implemented yet";
    return false;
}

bool vkfd_sh_decode_vop2(VkfdShDecoder *dc, VkfdShInsn *in)
{
    dc->why = "vop2: not implemented yet";
    return false;
}

bool vkfd_sh_decode_vopc(VkfdShDecoder *dc, VkfdShInsn *in)
{
    dc->why = "vopc: not implemented yet";
    return false;
}

bool vkfd_sh_decode_vop3(VkfdShDecoder *dc, VkfdShInsn *in)
{
    dc->why = "vop3: not implemented yet";
    return false;
}

bool vkfd_sh_decode_vop3p(VkfdShDecoder *dc, VkfdShInsn *in)
{
    dc->why = "vop3p: not implemented yet";
    return false;
}
