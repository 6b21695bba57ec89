#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Build the debug guest kernel: Debian's linux source for the release the
# guest normally runs (lib.sh guest_kver), configured small (x86_64
# defconfig + kvm_guest + what vkfd needs) with the memory and locking
# checkers on: KASAN, lockdep (PROVE_LOCKING), kmemleak, DEBUG_LIST,
# DEBUG_VM, DEBUG_ATOMIC_SLEEP.  Slow: about 40 minutes on 2 busy cores,
# niced.  Not part of the default CI path; see scripts/test.sh
# --debug-kernel.
#
# Result, under $VKFD_CACHE/guest-debug (the same layout as the release
# kernel of scripts/build-guest.sh, so VKFD_GUEST_DIR can point at it):
#   <ver>/src/                          the unpacked source
#   <ver>/obj/                          the build (also the driver's KDIR)
#   <ver>/root/boot/vmlinuz-<rel>       the compressed kernel (bzImage)
#   <ver>/root/lib/modules/<rel>/       its modules (drm, ...), modules.dep
#   <ver>/kernel                        symlink to the bzImage; a KASAN
#                                       kernel crashed early under PVH
#                                       direct boot, so no vmlinux here
#   current                             symlink to <ver>
#
# Idempotent: a stamp per source version and configuration makes a second
# run do nothing; a changed configuration rebuilds incrementally.
set -euo pipefail

. "$(dirname "$0")/lib.sh"

build_lock guest-debug
BASE=$VKFD_CACHE/guest-debug
LOCALVER=-vkfd-debug

# What the guest needs on top of x86_64_defconfig + kvm_guest.config, then
# the checkers.  Every =y/=m line here must survive olddefconfig.
fragment() {
    cat <<'EOF'
CONFIG_LOCALVERSION="-vkfd-debug"
# CONFIG_LOCALVERSION_AUTO is not set
CONFIG_MODULES=y
CONFIG_MODULE_UNLOAD=y
CONFIG_MODULE_FORCE_UNLOAD=y
# CONFIG_MODULE_SIG is not set
CONFIG_MODULE_COMPRESS_NONE=y
CONFIG_BLK_DEV_INITRD=y
CONFIG_RD_GZIP=y
CONFIG_DEVTMPFS=y
CONFIG_DEVTMPFS_MOUNT=y
CONFIG_TMPFS=y
CONFIG_UNIX98_PTYS=y
CONFIG_DEVPORT=y
CONFIG_SYSFS=y
CONFIG_PROC_FS=y
CONFIG_DEBUG_FS=y
CONFIG_FTRACE=y
CONFIG_TRACING=y
CONFIG_PCI=y
CONFIG_PCI_MSI=y
CONFIG_PCIEPORTBUS=y
CONFIG_SERIAL_8250=y
CONFIG_SERIAL_8250_CONSOLE=y
CONFIG_VIRTIO_PCI=y
CONFIG_VIRTIO_CONSOLE=y
CONFIG_DRM=m
CONFIG_USERFAULTFD=y
CONFIG_FUSE_FS=y
# Only a handful of drivers select MMU_NOTIFIER (vkfd uses it); SGX is
# the smallest of them on x86.
CONFIG_CRYPTO=y
CONFIG_CRYPTO_SHA256=y
CONFIG_X86_X2APIC=y
CONFIG_X86_SGX=y
CONFIG_MMU_NOTIFIER=y
# SVM (issue 12): device-private pages for migration to VRAM and the HMM
# mirror.  HMM_MIRROR cannot be chosen by itself; TEST_HMM, a small
# module, is the lightest thing that selects it.
CONFIG_MEMORY_HOTPLUG=y
CONFIG_MEMORY_HOTREMOVE=y
CONFIG_TRANSPARENT_HUGEPAGE=y
CONFIG_ZONE_DEVICE=y
CONFIG_DEVICE_PRIVATE=y
CONFIG_TEST_HMM=m
# Smaller and faster to build: no debug info, none of the desktop drivers.
CONFIG_DEBUG_INFO_NONE=y
# CONFIG_DRM_I915 is not set
# CONFIG_DRM_VIRTIO_GPU is not set
# CONFIG_NET_9P is not set
# CONFIG_VIRTIO_NET is not set
# CONFIG_SCSI_VIRTIO is not set
# CONFIG_SOUND is not set
# CONFIG_USB_SUPPORT is not set
# CONFIG_WLAN is not set
# CONFIG_WIRELESS is not set
# CONFIG_ETHERNET is not set
# CONFIG_NETFILTER is not set
# CONFIG_IPV6 is not set
# CONFIG_NETWORK_FILESYSTEMS is not set
# CONFIG_SECURITY_SELINUX is not set
# CONFIG_AUDIT is not set
# CONFIG_HIBERNATION is not set
# CONFIG_MD is not set
# CONFIG_ATA is not set
# CONFIG_HID is not set
# CONFIG_INPUT_JOYSTICK is not set
# CONFIG_INPUT_TABLET is not set
# CONFIG_INPUT_TOUCHSCREEN is not set
# CONFIG_AGP is not set
# CONFIG_FB is not set
# CONFIG_EFI is not set
# The checkers.
CONFIG_KASAN=y
CONFIG_KASAN_GENERIC=y
CONFIG_KASAN_INLINE=y
CONFIG_KASAN_VMALLOC=y
CONFIG_PROVE_LOCKING=y
CONFIG_DEBUG_KMEMLEAK=y
CONFIG_DEBUG_KMEMLEAK_MEM_POOL_SIZE=40000
# CONFIG_DEBUG_KMEMLEAK_AUTO_SCAN is not set
CONFIG_DEBUG_LIST=y
CONFIG_DEBUG_VM=y
CONFIG_DEBUG_ATOMIC_SLEEP=y
CONFIG_STACKTRACE=y
CONFIG_KALLSYMS=y
CONFIG_KALLSYMS_ALL=y
EOF
}

kver=$(guest_kver)
# The Debian version of the guest's kernel (the one its headers are for).
srcver=$(dpkg-query -W -f='${Version}' "linux-headers-$kver" 2>/dev/null || true)
[ -n "$srcver" ] ||
    srcver=$(apt-cache policy "linux-image-$kver" | sed -n 's/^ *Candidate: //p')
[ -n "$srcver" ] && [ "$srcver" != "(none)" ] || die "no Debian version for linux $kver"
upstream=${srcver%%-*}          # 6.1.192
series=${upstream%.*}           # 6.1

dir=$BASE/$srcver
src=$dir/src
obj=$dir/obj
mkdir -p "$dir"

key=$( { echo "$srcver"; fragment; } | sha256sum | cut -c1-12)
if stamp_has "guest-debug-$key" && [ -e "$dir/kernel" ] && [ -d "$dir/root/lib/modules" ]; then
    ln -sfn "$srcver" "$BASE/current"
    exit 0
fi

# ---------------------------------------------------------------- source
#
# The source package (deb-src) when the mirror serves it, else the
# linux-source-<series> binary package, which carries the same patched
# tree as a tarball.
if [ ! -e "$src/Makefile" ]; then
    log "fetching Debian's linux source $srcver"
    rm -rf "$src" "$dir/dl"
    mkdir -p "$dir/dl"
    if (cd "$dir/dl" && apt-get source -qq "linux=$srcver") >"$dir/dl.log" 2>&1; then
        mv "$dir/dl/linux-$upstream" "$src"
    else
        log "no source package on the mirror; using linux-source-$series"
        (cd "$dir/dl" && apt-get download -qq "linux-source-$series=$srcver") \
            >>"$dir/dl.log" 2>&1 || { cat "$dir/dl.log" >&2; die "cannot fetch linux source $srcver"; }
        deb=$(ls "$dir"/dl/linux-source-"$series"_*.deb | head -n1)
        dpkg-deb --fsys-tarfile "$deb" |
            tar -xO "./usr/src/linux-source-$series.tar.xz" >"$dir/dl/src.tar.xz"
        mkdir -p "$dir/dl/x"
        tar -xJf "$dir/dl/src.tar.xz" -C "$dir/dl/x"
        mv "$dir/dl/x/linux-source-$series" "$src"
    fi
    rm -rf "$dir/dl"
fi
[ -e "$src/Makefile" ] || die "no kernel source in $src"

# Build dependencies beyond scripts/setup-host.sh's (objtool wants libelf).
need=()
for p in bc libelf-dev libssl-dev flex bison; do
    dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q 'ok installed' || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
    log "installing: ${need[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        "${need[@]}" >/dev/null || die "apt-get install ${need[*]} failed"
fi

# ---------------------------------------------------------------- config

mkdir -p "$obj"
kmake() { nice -n 10 make -s -C "$src" O="$obj" "$@"; }
kmake x86_64_defconfig >/dev/null
{ cat "$src/kernel/configs/kvm_guest.config"; fragment; } >>"$obj/.config"
kmake olddefconfig >/dev/null
missing=$(fragment | sed -n 's/^\(CONFIG_[A-Z0-9_]*=[ym]\)$/\1/p' | while read -r l; do
    grep -qx "$l" "$obj/.config" || echo "$l"
done)
[ -z "$missing" ] || die "the debug config lost:" $missing

log "building the debug kernel (niced; this takes a while) in $obj"
if ! kmake -j"$(nproc)" bzImage modules >"$dir/build.log" 2>&1; then
    tail -n 40 "$dir/build.log" >&2
    die "debug kernel build failed (log: $dir/build.log)"
fi

rel=$(cat "$obj/include/config/kernel.release")
rm -rf "$dir/root"
mkdir -p "$dir/root/boot"
kmake INSTALL_MOD_PATH="$dir/root" INSTALL_MOD_STRIP=1 modules_install >/dev/null
rm -f "$dir/root/lib/modules/$rel/build" "$dir/root/lib/modules/$rel/source"
depmod -b "$dir/root" "$rel" || die "depmod failed"
cp "$obj/arch/x86/boot/bzImage" "$dir/root/boot/vmlinuz-$rel"
ln -sfn "root/boot/vmlinuz-$rel" "$dir/kernel"
ln -sfn "$srcver" "$BASE/current"
stamp_set "guest-debug-$key"
log "debug kernel ready: $dir/kernel ($rel); driver: scripts/build-driver.sh --debug"
