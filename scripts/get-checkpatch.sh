#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Fetch the Linux kernel's scripts/checkpatch.pl, and the files it reads,
# from Debian's linux-source-<major.minor> package for the guest kernel's
# series (see lib.sh guest_kver).  The package is downloaded, never
# installed, and only the needed members are streamed out of the source
# tarball inside it; the .deb is deleted afterwards.
#
# Result, under $VKFD_CACHE/checkpatch:
#   linux/checkpatch.pl                       the script
#   linux/spelling.txt                        its typo list
#   linux/const_structs.checkpatch            its CONST_STRUCT list
#   Documentation/dev-tools/checkpatch.rst    read by --verbose ($D/../)
#   VERSION                                   "<package> <version>"
#
# Prints the path of checkpatch.pl on stdout.  Idempotent: a stamp makes a
# second run do nothing (stamp_rm checkpatch, or delete the directory, to
# refetch).
#
# Usage: perl "$(scripts/get-checkpatch.sh)" --no-tree --strict -f FILE...
set -euo pipefail

. "$(dirname "$0")/lib.sh"

OUT=$VKFD_CACHE/checkpatch
CP=$OUT/linux/checkpatch.pl
FILES=(linux/checkpatch.pl linux/spelling.txt linux/const_structs.checkpatch
       Documentation/dev-tools/checkpatch.rst)

have_all() {
    local f
    for f in "${FILES[@]}"; do
        [ -s "$1/$f" ] || return 1
    done
}

if stamp_has checkpatch && have_all "$OUT"; then
    echo "$CP"
    exit 0
fi

kver=$(guest_kver)
series=$(echo "$kver" | cut -d. -f1,2)
pkg=linux-source-$series

stage=$(mktemp -d "$VKFD_CACHE/checkpatch.XXXXXX")
trap 'rm -rf "$stage"' EXIT
chmod 755 "$stage"
mkdir "$stage/dl"
# Let apt download as its unprivileged _apt user (no sandbox warning).
chown _apt "$stage/dl" 2>/dev/null || true

log "downloading $pkg (~140 MB) for checkpatch.pl"
(cd "$stage/dl" && apt-get download -qq "$pkg") >/dev/null ||
    die "apt-get download $pkg failed (run scripts/setup-host.sh / apt-get update)"
deb=$(find "$stage/dl" -name "${pkg}_*.deb" | head -n1)
[ -n "$deb" ] || die "apt-get download $pkg left no .deb"
ver=$(dpkg-deb -f "$deb" Version)

# The .deb holds usr/src/linux-source-X.Y.tar.xz, whose top directory is
# linux-source-X.Y.  Stream it: no 140 MB copy and no 1.3 GB tree on disk.
# The tarball is multi-block xz, so -T0 decompresses on all cores; tar's
# --occurrence stops reading once every member was found (the writers
# upstream then die of SIGPIPE, hence no pipefail and a check of the
# result instead).
top=$pkg
members=()
for f in "${FILES[@]}"; do
    members+=("$top/${f/#linux\//scripts/}")
done
log "extracting checkpatch.pl from $pkg $ver"
(
    set +o pipefail
    dpkg-deb --fsys-tarfile "$deb" 2>/dev/null |
        tar -xOf - "./usr/src/$top.tar.xz" 2>/dev/null |
        xz -dc -T0 2>/dev/null |
        tar -xf - -C "$stage" --no-same-owner --occurrence=1 \
            --transform='s,^[^/]*/,,;s,^scripts/,linux/,' "${members[@]}"
) || die "cannot extract ${members[*]} from $deb"
rm -rf "$stage/dl"
have_all "$stage" || die "$pkg $ver lacks some of: ${FILES[*]}"
echo "$pkg $ver" >"$stage/VERSION"

# It must run here and read its typo list: a known typo must be flagged.
printf '%s\n' '// SPDX-License-Identifier: GPL-2.0' '/* recieve */' 'int vkfd_x;' \
    >"$stage/selftest.c"
out=$(cd "$stage" && perl linux/checkpatch.pl --no-tree --strict -q -f selftest.c 2>&1) || true
rm -f "$stage/selftest.c"
grep -q "'recieve' may be misspelled" <<<"$out" ||
    die "checkpatch.pl does not work as expected: $out"

rm -rf "$OUT"
mv "$stage" "$OUT"
trap - EXIT
stamp_set checkpatch
log "checkpatch.pl from $pkg $ver: $CP"
echo "$CP"
