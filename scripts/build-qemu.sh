#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Build qemu-system-x86_64 with the vkfd device and its qtests.
#
# Debian's QEMU 7.2 source package is unpacked once into $VKFD_CACHE/qemu;
# our hw/kfd, include/hw/kfd and qtests are copied over it (only files whose
# content changed, so a fresh clone does not invalidate the object cache),
# and a few lines hook them into QEMU's meson and Kconfig files.
#
# Usage: build-qemu.sh [--vanilla | --sanitize | --fuzz]
#   --vanilla   QEMU without our files (for comparisons)
#   --sanitize  the same tree built with ASan + UBSan in $VKFD_CACHE/qemu/build-san
#               (its own objects in ccache, the normal build is untouched)
#   --fuzz      QEMU's generic-fuzz target with its vkfd config, built by
#               clang with libFuzzer + ASan in $VKFD_CACHE/qemu/build-fuzz
#               (docs/security.md, "Fuzzing"; not part of the tests)
# Exit status: 0 built, 1 failed (lib.sh:die).
set -euo pipefail

. "$(dirname "$0")/lib.sh"

build_lock qemu
TREE=$VKFD_CACHE/qemu
MODE=${1:-}
case $MODE in
'') BUILD=$TREE/build; CONFLOG=$VKFD_CACHE/qemu-configure.log ;;
--vanilla) BUILD=$TREE/build; CONFLOG=$VKFD_CACHE/qemu-configure.log ;;
--sanitize) BUILD=$TREE/build-san; CONFLOG=$VKFD_CACHE/qemu-san-configure.log ;;
--fuzz) BUILD=$TREE/build-fuzz; CONFLOG=$VKFD_CACHE/qemu-fuzz-configure.log ;;
*) die "unknown option '$MODE' (--vanilla, --sanitize or --fuzz)" ;;
esac
BUILDLOG=${CONFLOG/configure/build}
export CCACHE_DIR=$VKFD_CACHE/ccache

fetch_source() {
    stamp_has qemu-source && [ -d "$TREE" ] && return 0
    log "fetching Debian's qemu source package"
    rm -rf "$TREE" "$VKFD_CACHE/qemu-dl"
    mkdir -p "$VKFD_CACHE/qemu-dl"
    (cd "$VKFD_CACHE/qemu-dl" && apt-get source --download-only qemu >/dev/null 2>&1) ||
        die "apt-get source qemu failed (is deb-src configured? run scripts/setup-host.sh)"
    dsc=$(ls "$VKFD_CACHE"/qemu-dl/qemu_*.dsc | head -n1)
    dpkg-source -x "$dsc" "$TREE" >/dev/null
    stamp_set qemu-source
}

# Append LINE to FILE once.
hook_line() {
    grep -qxF "$2" "$1" || printf '%s\n' "$2" >>"$1"
}

# Insert LINE before the first line equal to ANCHOR in FILE, once.
hook_before() {
    grep -qxF "$3" "$1" && return 0
    grep -qxF "$2" "$1" || die "hook anchor '$2' not found in $1"
    python3 - "$1" "$2" "$3" <<'PY'
import sys
path, anchor, line = sys.argv[1:]
text = open(path).read().split("\n")
i = text.index(anchor)
text.insert(i, line)
open(path, "w").write("\n".join(text))
PY
}

# Copy SRC to DST only if the content differs, keeping mtimes stable.
sync_file() {
    mkdir -p "$(dirname "$2")"
    cmp -s "$1" "$2" || cp "$1" "$2"
}

overlay() {
    local f rel
    for f in $(cd "$VKFD_ROOT" && git ls-files --cached --others --exclude-standard hw/kfd include/hw/kfd tests/qtest 2>/dev/null ||
               find hw/kfd include/hw/kfd tests/qtest -type f); do
        sync_file "$VKFD_ROOT/$f" "$TREE/$f"
    done
    # Files we once overlaid but that left the repo must not linger.
    for rel in hw/kfd include/hw/kfd; do
        [ -d "$TREE/$rel" ] || continue
        (cd "$TREE" && find "$rel" -type f) | while read -r f; do
            [ -e "$VKFD_ROOT/$f" ] || rm -f "$TREE/$f"
        done
    done
    hook_line "$TREE/hw/meson.build" "subdir('kfd')"
    hook_line "$TREE/hw/Kconfig" "source kfd/Kconfig"
    hook_before "$TREE/meson.build" "    'hw/misc'," "    'hw/kfd',"
    hook_before "$TREE/tests/qtest/meson.build" "qtest_executables = {}" \
        "qtests_x86_64 += config_all_devices.has_key('CONFIG_VKFD') ? ['vkfd-test'] : []"
    # vkfd-test is one binary built from a file per hw/kfd unit; a list
    # from an older checkout goes first.
    local vt_line="qtests += {'vkfd-test': files('vkfd-test-regs.c', 'vkfd-test-sched.c', 'vkfd-test-gpuvm.c', 'vkfd-test-queue.c', 'vkfd-test-pm4.c')}"
    grep -qxF "$vt_line" "$TREE/tests/qtest/meson.build" ||
        sed -i "/^qtests += {'vkfd-test':/d" "$TREE/tests/qtest/meson.build"
    hook_before "$TREE/tests/qtest/meson.build" "qtest_executables = {}" "$vt_line"
    hook_before "$TREE/tests/qtest/meson.build" "qtest_executables = {}" \
        "qtests_x86_64 += config_all_devices.has_key('CONFIG_VKFD') ? ['vkfd-engine-test'] : []"
    hook_before "$TREE/tests/qtest/meson.build" "qtest_executables = {}" \
        "qtests_x86_64 += config_all_devices.has_key('CONFIG_VKFD') ? ['vkfd-bridge-test'] : []"
    hook_before "$TREE/tests/qtest/meson.build" "qtest_executables = {}" \
        "qtests_x86_64 += config_all_devices.has_key('CONFIG_VKFD') ? ['vkfd-hardening-test'] : []"
    hook_before "$TREE/tests/qtest/meson.build" "qtest_executables = {}" \
        "qtests_x86_64 += config_all_devices.has_key('CONFIG_VKFD') ? ['vkfd-sh-test'] : []"
    hook_before "$TREE/tests/qtest/meson.build" "qtest_executables = {}" \
        "qtests_x86_64 += config_all_devices.has_key('CONFIG_VKFD') ? ['vkfd-info-test'] : []"
    hook_before "$TREE/tests/qtest/meson.build" "qtest_executables = {}" \
        "qtests_x86_64 += config_all_devices.has_key('CONFIG_VKFD') ? ['vkfd-preempt-test'] : []"
    # QEMU's generic-fuzz gets a vkfd config (compiled in --fuzz builds
    # only). On the root bus: its PCI set-up does not look behind bridges.
    local gf=$TREE/tests/qtest/fuzz/generic_fuzz_configs.h
    local gf_line='    { .name = "vkfd", .args = "-M q35 -nodefaults -device vkfd,max-contexts=16,vram-size=1M", .objects = "vkfd* msix*" },'
    grep -qxF "$gf_line" "$gf" || sed -i '/\.name = "vkfd"/d' "$gf"
    hook_before "$gf" "    {" "$gf_line"
    # The benchmarks are qtest clients too, built but never run as tests.
    sync_file "$VKFD_ROOT/bench/vkfd-gpuvm-bench.c" "$TREE/tests/qtest/vkfd-gpuvm-bench.c"
    hook_line "$TREE/tests/qtest/meson.build" \
        "executable('vkfd-gpuvm-bench', 'vkfd-gpuvm-bench.c', dependencies: [qemuutil, qos], build_by_default: false)"
    sync_file "$VKFD_ROOT/bench/vkfd-queue-bench.c" "$TREE/tests/qtest/vkfd-queue-bench.c"
    hook_line "$TREE/tests/qtest/meson.build" \
        "executable('vkfd-queue-bench', 'vkfd-queue-bench.c', dependencies: [qemuutil, qos], build_by_default: false)"
    sync_file "$VKFD_ROOT/bench/vkfd-stall-bench.c" "$TREE/tests/qtest/vkfd-stall-bench.c"
    hook_line "$TREE/tests/qtest/meson.build" \
        "executable('vkfd-stall-bench', 'vkfd-stall-bench.c', dependencies: [qemuutil, qos], build_by_default: false)"
    sync_file "$VKFD_ROOT/bench/vkfd-shader-bench.c" "$TREE/tests/qtest/vkfd-shader-bench.c"
    hook_line "$TREE/tests/qtest/meson.build" \
        "executable('vkfd-shader-bench', 'vkfd-shader-bench.c', dependencies: [qemuutil, qos], build_by_default: false)"
}

# Compiler and sanitizer flags of each build.  gcc 12 fails QEMU 7.2's
# UBSan probe (-Werror trips maybe-uninitialized in the probe program), so
# --enable-sanitizers alone gives ASan only: the UBSan flags are passed by
# hand and checked after the build.
san_flags() {
    case $MODE in
    --sanitize)
        printf '%s\n' --enable-sanitizers --cc="ccache gcc" --cxx="ccache g++" \
            "--extra-cflags=-fsanitize=undefined -fno-omit-frame-pointer" \
            "--extra-ldflags=-fsanitize=undefined" ;;
    --fuzz)
        printf '%s\n' --enable-fuzzing --enable-sanitizers \
            --cc="ccache clang" --cxx="ccache clang++" ;;
    *)
        printf '%s\n' --cc="ccache gcc" --cxx="ccache g++" ;;
    esac
}

configure() {
    [ -e "$BUILD/build.ninja" ] && return 0
    log "configuring QEMU (x86_64 system emulator only${MODE:+, $MODE})"
    mkdir -p "$BUILD"
    local extra=()
    mapfile -t extra < <(san_flags)
    (cd "$BUILD" && ../configure "${extra[@]}" \
        --target-list=x86_64-softmmu \
        --meson=meson \
        --without-default-features \
        --enable-tcg --disable-kvm \
        --disable-docs --disable-werror \
        --disable-install-blobs \
        >"$CONFLOG" 2>&1) ||
        { tail -n 30 "$CONFLOG"; die "QEMU configure failed"; }
}

# The dfsg source has no firmware; QEMU run from its build folder looks in
# qemu-bundle/, so
# link Debian's SeaBIOS and option ROMs there.
link_firmware() {
    local f dst=$BUILD/qemu-bundle/usr/local/share/qemu
    mkdir -p "$dst"
    for f in /usr/share/seabios/*.bin /usr/share/qemu/*.bin; do
        [ -e "$f" ] || continue
        [ -e "$dst/${f##*/}" ] || ln -sf "$f" "$dst/${f##*/}"
    done
}

fetch_source
[ "$MODE" = --vanilla ] || overlay
if [ "$MODE" = --fuzz ]; then
    # A long build nobody waits for: once the tree is overlaid, let the
    # other builds have it.
    exec {VKFD_LOCK_FD}>&-
    build_lock qemu-fuzz
fi
configure
targets=(qemu-system-x86_64)
[ "$MODE" = --fuzz ] && targets=(qemu-fuzz-x86_64)
[ "$MODE" = --vanilla ] || [ "$MODE" = --fuzz ] ||
    targets+=(tests/qtest/vkfd-test tests/qtest/vkfd-engine-test tests/qtest/vkfd-gpuvm-bench
              tests/qtest/vkfd-queue-bench tests/qtest/vkfd-bridge-test
              tests/qtest/vkfd-hardening-test tests/qtest/vkfd-stall-bench
              tests/qtest/vkfd-sh-test tests/qtest/vkfd-shader-bench
              tests/qtest/vkfd-info-test tests/qtest/vkfd-preempt-test)
log "building ${targets[*]}"
ninja -C "$BUILD" "${targets[@]}" >"$BUILDLOG" 2>&1 ||
    { grep -E 'error|Error' "$BUILDLOG" | head -n 40; die "QEMU build failed (log: $BUILDLOG)"; }
if [ "$MODE" = --sanitize ]; then
    # Both runtimes must really be in: a silent ASan-only build is the trap.
    syms=$(nm -u "$BUILD/qemu-system-x86_64")
    for rt in __asan_report_load8 __ubsan_handle_type_mismatch_v1; do
        grep -qw "$rt" <<<"$syms" ||
            die "sanitized QEMU lacks $rt: check $CONFLOG"
    done
fi
link_firmware
log "QEMU ready: $BUILD/${targets[0]}"
