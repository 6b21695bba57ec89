/*
 * vkfd: a virtual AMD KFD device -- shader core: FLAT, GLOBAL, SCRATCH and MUBUF
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "vkfd.h"
#include "vkfd-sh.h"

bool vkfd_sh_decode_flat(VkfdShDecoder *dc, VkfdShInsn *in)
{
    dc->why = "flat: not implemented yet";
    return false;
}

bool vkfd_sh_decode_mubuf(VkfdShDecoder *dc, VkfdShInsn *in)
{
    dc->why = "mubuf: not implemented yet";
    return false;
}
