# SPDX-License-Identifier: GPL-2.0-or-later
# Shared helpers for vkfd's scripts; sourced, not run.

VKFD_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# Caches live outside the checkout so a fresh clone on the same machine
# reuses the QEMU tree, its objects and the guest kernel.
VKFD_CACHE=${VKFD_CACHE:-/var/cache/vkfd}
mkdir -p "$VKFD_CACHE"

log() { printf '[vkfd] %s\n' "$*" >&2; }
die() { printf '[vkfd] error: %s\n' "$*" >&2; exit 1; }

# Hold an exclusive lock on $VKFD_CACHE/NAME.lock until the script exits,
# so that two checkouts (or two callers) never build in one folder at once.
build_lock() {
    exec {VKFD_LOCK_FD}>"$VKFD_CACHE/$1.lock"
    flock "$VKFD_LOCK_FD"
}

stamp_has() { [ -e "$VKFD_CACHE/stamp.$1" ]; }
stamp_set() { touch "$VKFD_CACHE/stamp.$1"; }
stamp_rm() { rm -f "$VKFD_CACHE/stamp.$1"; }

# The kernel release (e.g. 6.1.0-35-amd64) that Debian's linux-image-amd64
# metapackage currently depends on.
guest_kver() {
    apt-cache depends linux-image-amd64 2>/dev/null |
        sed -n 's/.*Depends: linux-image-\([0-9].*-amd64\)$/\1/p' | head -n1 |
        grep . || die "cannot resolve linux-image-amd64 (apt-get update?)"
}
