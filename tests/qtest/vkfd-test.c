/*
 * QTest testcases for the vkfd device, one file per unit of hw/kfd:
 * vkfd-test-regs.c      registers, identity, MSI-X, doorbells (/vkfd/...,
 *                       /vkfd/gpu/...)
 * vkfd-test-sched.c     the scheduler ring (/vkfd/sched/...)
 * vkfd-test-gpuvm.c     GPUVM page tables and faults (/vkfd/gpuvm/...)
 * vkfd-test-queue.c     user queues (/vkfd/queue/...)
 * vkfd-test-pm4.c       the PM4 engine (/vkfd/pm4/...)
 * linked into this one binary (scripts/build-qemu.sh lists them), with
 * what they share in vkfd-test.h, vkfd-test-queue.h and
 * vkfd-qtest-util.h.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "vkfd-test.h"

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    vkfd_test_add_regs();
    vkfd_test_add_sched();
    vkfd_test_add_gpuvm();
    vkfd_test_add_queue();
    vkfd_test_add_pm4();
    return g_test_run();
}
