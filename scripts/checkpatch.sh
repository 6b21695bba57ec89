#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Style test: QEMU's checkpatch.pl over the device and its qtests, the
# kernel's checkpatch.pl over the guest driver.  Prints TAP.
set -euo pipefail

. "$(dirname "$0")/lib.sh"
cd "$VKFD_ROOT"

qemu_cp=$VKFD_CACHE/qemu/scripts/checkpatch.pl
kernel_cp=$("$VKFD_ROOT/scripts/get-checkpatch.sh")

mapfile -t qemu_files < <(git ls-files 'hw/kfd/*.[ch]' 'include/hw/kfd/*.h' \
                          'tests/qtest/vkfd-*.c')
mapfile -t kernel_files < <(git ls-files 'guest/linux/*.[ch]')

n=0
fail=0
echo "1..$(( ${#qemu_files[@]} + ${#kernel_files[@]} ))"
check() {
    local name=$1 out
    shift
    n=$((n + 1))
    if out=$("$@" 2>&1); then
        echo "ok $n - $name"
    else
        echo "not ok $n - $name"
        printf '%s\n' "$out" | sed 's/^/# /'
        fail=$((fail + 1))
    fi
}
for f in "${qemu_files[@]}"; do
    check "QEMU style: $f" perl "$qemu_cp" --no-tree --strict -q -f "$f"
done
for f in "${kernel_files[@]}"; do
    check "kernel style: $f" perl "$kernel_cp" --no-tree --strict -q -f "$f"
done
[ "$fail" = 0 ]
