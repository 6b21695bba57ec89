/*
 * What the parts of the vkfd-test qtest binary share: one vkfd with
 * 16 MiB of VRAM, and the function of each part that adds its cases.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef VKFD_TEST_H
#define VKFD_TEST_H

#include "vkfd-qtest-util.h"

/* libqos maps BARs below 4 GiB: keep VRAM small. */
#define VKFD_PROPS      ",vram-size=16M"

static inline Vkfd *vkfd_start(const char *extra)
{
    g_autofree char *props = g_strdup_printf(VKFD_PROPS "%s",
                                             extra ? extra : "");

    return vkfd_start_props(props);
}

void vkfd_test_add_regs(void);
void vkfd_test_add_sched(void);
void vkfd_test_add_gpuvm(void);
void vkfd_test_add_queue(void);
void vkfd_test_add_pm4(void);

#endif /* VKFD_TEST_H */
