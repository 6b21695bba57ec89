/*
 * vkfd: a virtual AMD KFD device -- helpers the queue engines share
 *
 * The PM4, SDMA and AQL engines (vkfd-pm4.c, vkfd-sdma.c, vkfd-aql.c)
 * compare memory the same way (WAIT_REG_MEM and POLL_REGMEM use one
 * encoding of the function) and cut big transfers into budget units the
 * same way.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "vkfd.h"

bool vkfd_engine_compare(uint32_t func, uint32_t value, uint32_t ref)
{
    switch (func) {
    case VKFD_SDMA_FUNC_ALWAYS:
        return true;
    case VKFD_SDMA_FUNC_LT:
        return value < ref;
    case VKFD_SDMA_FUNC_LE:
        return value <= ref;
    case VKFD_SDMA_FUNC_EQ:
        return value == ref;
    case VKFD_SDMA_FUNC_NE:
        return value != ref;
    case VKFD_SDMA_FUNC_GE:
        return value >= ref;
    case VKFD_SDMA_FUNC_GT:
        return value > ref;
    }
    g_assert_not_reached();     /* the engines check func first */
}

uint64_t vkfd_engine_take(VkfdQueue *q, unsigned *budget, uint64_t total,
                          uint64_t per_unit)
{
    uint64_t left = total > q->progress ? total - q->progress : 0;
    uint64_t n = MIN(left, (uint64_t)*budget * per_unit);

    *budget -= MIN(*budget, MAX(1, DIV_ROUND_UP(n, per_unit)));
    return n;
}
