#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Run a test program against the ASan + UBSan build of QEMU
# (scripts/build-qemu.sh --sanitize), with every sanitizer report fatal.
#
# Usage: run-sanitized.sh SANITIZED_QEMU PROGRAM [ARGS...]
# QTEST_QEMU_BINARY is set to SANITIZED_QEMU; PROGRAM's exit status is
# returned. Exit status 1 (with a message) when SANITIZED_QEMU or PROGRAM
# is missing: the sanitized suites never pass without having run.
set -euo pipefail

[ $# -ge 2 ] || { echo "usage: $0 SANITIZED_QEMU PROGRAM [ARGS...]" >&2; exit 1; }
qemu=$1
shift
for f in "$qemu" "$1"; do
    [ -x "$f" ] || {
        echo "run-sanitized: $f is missing; run scripts/build-qemu.sh --sanitize" >&2
        exit 1
    }
done

# halt_on_error: the first report ends QEMU (the test then fails).
# intercept_strchr=0: libqtest scans its receive buffer with strchr,
# which ASan's interceptor makes quadratic.
# detect_leaks=0: QEMU does not free everything at exit.
export ASAN_OPTIONS=halt_on_error=1:abort_on_error=0:detect_leaks=0:intercept_strchr=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}
export QTEST_QEMU_BINARY=$qemu
exec "$@"
