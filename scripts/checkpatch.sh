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

mapfile -t qemu_files < <(git ls-files 'hw/kfd/*.[ch]' 'include/hw/kfd/*.h' 'bench/vkfd-*.c' \
                          'tests/qtest/vkfd-*.[ch]')
mapfile -t kernel_files < <(git ls-files 'guest/linux/*.[ch]')

# checkpatch may leave caches in the current folder: run it elsewhere.
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
cd "$scratch"

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
    # relative paths: QEMU's rules depend on where a file lives
    check "QEMU style: $f" env -C "$VKFD_ROOT" perl "$qemu_cp" --no-tree -q -f "$f"
done
for f in "${kernel_files[@]}"; do
    # CamelCase names there are amdkfd's uapi field names, not ours to change
    check "kernel style: $f" perl "$kernel_cp" --no-tree --strict -q \
        --ignore CAMELCASE -f "$VKFD_ROOT/$f"
done
[ "$fail" = 0 ]
