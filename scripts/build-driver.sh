#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Build vkfd.ko against the headers of the guest kernel (Debian's, see
# lib.sh guest_kver).  Kbuild writes its objects beside the sources, so
# the sources are synced into $VKFD_CACHE/driver/src first.
#
# --debug: build against the debug guest kernel instead
# (scripts/build-debug-kernel.sh, run first if needed) into
# $VKFD_CACHE/driver-debug/vkfd.ko.
set -euo pipefail

. "$(dirname "$0")/lib.sh"

debug=0
case ${1:-} in
--debug) debug=1 ;;
'') ;;
*) die "usage: $0 [--debug]" ;;
esac

if [ $debug = 1 ]; then
    [ -e "$VKFD_CACHE/guest-debug/current/obj/Module.symvers" ] ||
        "$VKFD_ROOT/scripts/build-debug-kernel.sh" || die "debug kernel build failed"
    build_lock driver-debug
    kdir=$(readlink -f "$VKFD_CACHE/guest-debug/current/obj")
    kver=$(cat "$kdir/include/config/kernel.release")
    out=$VKFD_CACHE/driver-debug
else
    build_lock driver
    kver=$(guest_kver)
    kdir=/usr/src/linux-headers-$kver
    [ -d "$kdir" ] || die "missing $kdir (run scripts/setup-host.sh)"
    out=$VKFD_CACHE/driver
fi
mkdir -p "$out/src"
for f in "$VKFD_ROOT"/guest/linux/*; do
    cmp -s "$f" "$out/src/${f##*/}" || cp "$f" "$out/src/"
done
# Sources removed from the repo must not be built.
for f in "$out"/src/*.[ch]; do
    [ -e "$f" ] || continue
    [ -e "$VKFD_ROOT/guest/linux/${f##*/}" ] || rm -f "$f"
done

log "building vkfd.ko for $kver"
make -s -C "$kdir" M="$out/src" VKFD_INCLUDE="$VKFD_ROOT/include" \
    W="${VKFD_KBUILD_W:-1}" modules >"$out/build.log" 2>&1 ||
    { cat "$out/build.log"; die "driver build failed"; }
if grep -q 'warning:' "$out/build.log"; then
    cat "$out/build.log"
    die "driver build has warnings"
fi
cp "$out/src/vkfd.ko" "$out/vkfd.ko"
log "driver ready: $out/vkfd.ko"
