/*
 * vkfd: a virtual AMD KFD device -- shader core: SMEM (scalar memory)
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "vkfd.h"
#include "vkfd-sh.h"

bool vkfd_sh_decode_smem(VkfdShDecoder *dc, VkfdShInsn *in)
{
    dc->why = "smem: not implemented yet";
    return false;
}
