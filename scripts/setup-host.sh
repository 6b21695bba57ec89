#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Install everything vkfd needs on a fresh Debian 12 host: build tools for
# QEMU and the guest driver, the firmware QEMU boots with, and the sources
# of source packages (deb-src).  Idempotent: a second run only checks.
set -euo pipefail

. "$(dirname "$0")/lib.sh"
build_lock host

PKGS=(
    build-essential ninja-build meson pkg-config python3 python3-venv
    libglib2.0-dev libpixman-1-dev zlib1g-dev libfdt-dev flex bison
    ccache dpkg-dev cpio busybox-static kmod
    seabios qemu-system-data
    libhsakmt-dev libhsakmt1
    # The ROCm user stack for the guest (vkfd-vm --rocm) and hipcc.
    rocminfo libhsa-runtime64-1 libhsa-runtime-dev libamdhip64-5 hipcc
    # llvm-mc-15 assembles the shader core's qtest programs (gfx90a).
    llvm-15
)

need=()
for p in "${PKGS[@]}"; do
    dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q 'ok installed' ||
        need+=("$p")
done

# deb-src entries mirror the binary ones, in a file of our own.
src=/etc/apt/sources.list.d/vkfd-deb-src.sources
if [ ! -e "$src" ]; then
    if [ -e /etc/apt/sources.list.d/debian.sources ]; then
        sed 's/^Types:.*/Types: deb-src/' /etc/apt/sources.list.d/debian.sources >"$src"
    else
        grep -h '^deb ' /etc/apt/sources.list | sed 's/^deb /deb-src /' \
            >/etc/apt/sources.list.d/vkfd-deb-src.list
        : >"$src"
    fi
    stamp_rm apt-updated
fi

if [ ${#need[@]} -gt 0 ] || ! stamp_has apt-updated; then
    log "apt-get update"
    apt-get update -qq
    stamp_set apt-updated
fi

# Guest kernel headers: the version linux-image-amd64 points at.
kver=$(guest_kver)
need+=()
dpkg-query -W -f='${Status}\n' "linux-headers-$kver" 2>/dev/null |
    grep -q 'ok installed' || need+=("linux-headers-$kver")

if [ ${#need[@]} -gt 0 ]; then
    log "installing: ${need[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        "${need[@]}" >/dev/null
fi
log "host ready (guest kernel $kver)"
