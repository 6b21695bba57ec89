/*
 * vkfd: a virtual AMD KFD device -- shader core: SOPP (branches, waits, s_endpgm, s_barrier, traps)
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "vkfd.h"
#include "vkfd-sh.h"

bool vkfd_sh_decode_sopp(VkfdShDecoder *dc, VkfdShInsn *in)
{
    dc->why = "sopp: not implemented yet";
    return false;
}
