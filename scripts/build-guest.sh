#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Fetch the guest kernel: Debian's linux-image package for the release the
# installed headers are for, downloaded and unpacked (never installed:
# installing would regenerate the host's initramfs for minutes).
#
# Result, under $VKFD_CACHE/guest:
#   <kver>/root/boot/vmlinuz-<kver>     the compressed kernel (bzImage)
#   <kver>/root/lib/modules/<kver>/     the modules tree, with modules.dep
#   <kver>/vmlinux                      uncompressed ELF kernel, if it has a
#                                       PVH entry note (fast direct boot)
#   <kver>/kernel                       symlink to what the runner boots
#   current                             symlink to <kver>
#
# Idempotent: a stamp per kernel release makes a second run do nothing.
#
# --debug builds the debug kernel instead (KASAN, lockdep, kmemleak...):
# see scripts/build-debug-kernel.sh.
set -euo pipefail

. "$(dirname "$0")/lib.sh"

[ "${1:-}" = --debug ] && exec "$VKFD_ROOT/scripts/build-debug-kernel.sh"

build_lock guest
GUEST=$VKFD_CACHE/guest

# Print the offset of every occurrence of the byte pattern $1 (a grep -P
# expression, e.g. '\xfd7zXZ\x00') in file $2, one a line.
find_magic() {
    LC_ALL=C grep -obUaP "$1" "$2" 2>/dev/null | cut -d: -f1 || true
}

# Write the ELF kernel embedded in bzImage $1 to $2.  Like the kernel's
# scripts/extract-vmlinux: find each compressed payload by its magic, try to
# decompress from there, keep the first output that is an ELF file.
extract_vmlinux() {
    local img=$1 out=$2 magic cmd off
    # magic (grep -P)              decompressor reading stdin
    local -a methods=(
        '\xfd7zXZ\x00'             'xz -dc --single-stream'
        '\x1f\x8b\x08'             'gzip -dc'
        '\x28\xb5\x2f\xfd'         'zstd -dc'
        '\x02\x21\x4c\x18'         'lz4 -dc'
        'BZh'                      'bzip2 -dc'
        '\x5d\x00\x00\x00'         'xz -dc --format=lzma'
    )
    local i
    for ((i = 0; i < ${#methods[@]}; i += 2)); do
        magic=${methods[i]}
        cmd=${methods[i + 1]}
        command -v "${cmd%% *}" >/dev/null || continue
        for off in $(find_magic "$magic" "$img"); do
            # Decompressors complain about trailing data after the payload;
            # what counts is whether an ELF file came out.
            tail -c "+$((off + 1))" "$img" | $cmd >"$out.tmp" 2>/dev/null || true
            if [ "$(head -c4 "$out.tmp" | od -An -tx1 | tr -d ' \n')" = 7f454c46 ]; then
                mv "$out.tmp" "$out"
                return 0
            fi
        done
    done
    rm -f "$out.tmp"
    return 1
}

# Does ELF file $1 carry the Xen PVH entry note (XEN_ELFNOTE_PHYS32_ENTRY,
# note type 0x12)?  That is what QEMU's -kernel needs for PVH direct boot.
has_pvh_note() {
    readelf -n "$1" 2>/dev/null |
        grep -Eq '^[[:space:]]*Xen[[:space:]].*(type: \(0x0*12\)|PHYS32_ENTRY)'
}

kver=$(guest_kver)
dir=$GUEST/$kver

if stamp_has "guest-$kver" && [ -e "$dir/kernel" ] && [ -d "$dir/root/lib/modules/$kver" ]; then
    ln -sfn "$kver" "$GUEST/current"
    exit 0
fi

log "fetching guest kernel linux-image-$kver"
rm -rf "$dir"
mkdir -p "$dir/dl"

# Prefer the exact version of the installed headers, so the driver built
# against them loads; fall back to the repository's candidate.
pkg=linux-image-$kver
hver=$(dpkg-query -W -f='${Version}' "linux-headers-$kver" 2>/dev/null || true)
(
    cd "$dir/dl"
    { [ -n "$hver" ] && apt-get download -qq "$pkg=$hver" 2>/dev/null; } ||
        apt-get download -qq "$pkg"
) >/dev/null || die "apt-get download $pkg failed (run scripts/setup-host.sh / apt-get update)"
deb=$(ls "$dir"/dl/"${pkg}"_*.deb | head -n1)

log "unpacking $(basename "$deb")"
dpkg -x "$deb" "$dir/root"
# Only the kernel and its modules are needed.
rm -rf "$dir/root/usr" "$dir/root/etc"
rm -f "$dir/dl/"*.deb
rmdir "$dir/dl"

vmlinuz=$dir/root/boot/vmlinuz-$kver
[ -f "$vmlinuz" ] || die "$pkg has no boot/vmlinuz-$kver"
[ -d "$dir/root/lib/modules/$kver" ] || die "$pkg has no lib/modules/$kver"

# The package leaves modules.dep to its postinst: generate it here.
depmod -b "$dir/root" "$kver" || die "depmod failed"
[ -s "$dir/root/lib/modules/$kver/modules.dep" ] || die "depmod made no modules.dep"

# An uncompressed vmlinux boots through PVH straight into the kernel,
# skipping the real-mode setup and the decompression that cost seconds
# under TCG.  Headers packages may carry the kernel's own extractor.
if x=$(ls /usr/src/linux-headers-"$kver"*/scripts/extract-vmlinux 2>/dev/null | head -n1) &&
   [ -n "$x" ]; then
    if sh "$x" "$vmlinuz" >"$dir/vmlinux.tmp" 2>/dev/null; then
        mv "$dir/vmlinux.tmp" "$dir/vmlinux"
    else
        rm -f "$dir/vmlinux.tmp"
    fi
fi
[ -e "$dir/vmlinux" ] || extract_vmlinux "$vmlinuz" "$dir/vmlinux" ||
    log "warning: could not extract vmlinux from $vmlinuz"

if [ -e "$dir/vmlinux" ] && has_pvh_note "$dir/vmlinux"; then
    ln -sfn vmlinux "$dir/kernel"
    log "guest kernel: $dir/vmlinux (PVH direct boot)"
else
    rm -f "$dir/vmlinux"
    ln -sfn "root/boot/vmlinuz-$kver" "$dir/kernel"
    log "warning: no PVH-capable vmlinux; booting the (slower) bzImage $vmlinuz"
fi

ln -sfn "$kver" "$GUEST/current"
stamp_set "guest-$kver"
