/*
 * vkfd: a virtual AMD KFD device -- shader core: SOP1, SOP2, SOPK and SOPC
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "vkfd.h"
#include "vkfd-sh.h"

bool vkfd_sh_decode_sop1(VkfdShDecoder *dc, VkfdShInsn *in)
{
    dc->why = "sop1: not implemented yet";
    return false;
}

bool vkfd_sh_decode_sop2(VkfdShDecoder *dc, VkfdShInsn *in)
{
    dc->why = "sop2: not implemented yet";
    return false;
}

bool vkfd_sh_decode_sopk(VkfdShDecoder *dc, VkfdShInsn *in)
{
    dc->why = "sopk: not implemented yet";
    return false;
}

bool vkfd_sh_decode_sopc(VkfdShDecoder *dc, VkfdShInsn *in)
{
    dc->why = "sopc: not implemented yet";
    return false;
}
