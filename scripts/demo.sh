#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The main job: build everything, boot a guest with a vkfd device and walk
# the kfd_process lifecycle through /dev/kfd (tools/vkfd-demo.c), then boot
# one with the ROCm stack and run a hipcc-built kernel through HIP.  Lines
# starting with "vkfd_" come from the device itself (QEMU trace events).
set -euo pipefail

. "$(dirname "$0")/lib.sh"

"$VKFD_ROOT/scripts/build-all.sh"
build=${VKFD_BUILD:-$VKFD_ROOT/build}

# The walk's device trace and driver trace (vkfd-demo --trace) are kept
# and drawn as a sequence diagram of the run (docs/walkthrough.md).
# (stdout to fd 3 and on to one tee, stderr through the other.)
log=$build/vkfd-demo
{ "$VKFD_ROOT/scripts/vkfd-vm" --devices "${VKFD_DEMO_DEVICES:-1}" \
    --trace 'vkfd_ctx_*' --trace 'vkfd_queue_map*' --trace 'vkfd_queue_unmap*' \
    --trace 'vkfd_ih_post' --trace 'vkfd_sched_cmd' --trace 'vkfd_sched_done' \
    --trace 'vkfd_doorbell' --trace 'vkfd_pm4_packet' \
    --trace 'vkfd_sdma_packet' --trace 'vkfd_irq_send' \
    --copy "$build/vkfd-demo" -- "$build/vkfd-demo" --trace \
    2>&1 >&3 3>&- | tee "$log.device" >&2 3>&-; } 3>&1 | tee "$log.guest"
# One device: with more, the devices' scheduler seqs would mix.
"$VKFD_ROOT/scripts/vkfd-trace-diagram" --markdown -o "$log-diagram.md" \
    --svg "$log-diagram.svg" "$log.guest" "$log.device"
echo "[vkfd] this run as a sequence diagram: $log-diagram.md (Mermaid), $log-diagram.svg"

# Then a real GPU kernel: the 1M-element vector add of hip-kernels, built by
# hipcc for gfx90a, run by Debian's HIP runtime on the shader core
# (docs/shader-core.md); the runtime's own blit kernels run first.
exec "$VKFD_ROOT/scripts/vkfd-vm" --rocm --devices 1 \
    --trace 'vkfd_sh_dispatch' --trace 'vkfd_sh_done' \
    --copy "$build/hip-kernels" -- "$build/hip-kernels" --only vadd
