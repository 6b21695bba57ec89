/*
 * vkfd: a virtual AMD KFD device -- shader core: DS (the LDS)
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "vkfd.h"
#include "vkfd-sh.h"

bool vkfd_sh_decode_ds(VkfdShDecoder *dc, VkfdShInsn *in)
{
    dc->why = "ds: not implemented yet";
    return false;
}
