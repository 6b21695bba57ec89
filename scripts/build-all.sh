#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Everything the demo and the tests need, from a fresh Debian 12 machine
# on: host packages, QEMU with hw/kfd, the guest kernel, the driver, and
# the meson build of the guest programs (in $VKFD_BUILD, default build/).
set -euo pipefail

. "$(dirname "$0")/lib.sh"

"$VKFD_ROOT/scripts/setup-host.sh"
"$VKFD_ROOT/scripts/build-qemu.sh"
"$VKFD_ROOT/scripts/build-guest.sh"
"$VKFD_ROOT/scripts/build-driver.sh"

build=${VKFD_BUILD:-$VKFD_ROOT/build}
if [ -e "$build/build.ninja" ]; then
    meson setup --reconfigure -Dcache="$VKFD_CACHE" "$build" "$VKFD_ROOT" >/dev/null ||
        die "meson setup failed"
else
    meson setup -Dcache="$VKFD_CACHE" "$build" "$VKFD_ROOT" >/dev/null ||
        die "meson setup failed"
fi
meson compile -C "$build" >"$build/compile.log" 2>&1 ||
    { cat "$build/compile.log"; die "building the guest programs failed"; }
