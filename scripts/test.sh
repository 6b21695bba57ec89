#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Run every vkfd test suite, on a fresh Debian 12 machine too: installs
# what is missing, builds QEMU with hw/kfd, fetches the guest kernel,
# builds the driver and the guest programs, then runs the host, qtest and
# guest suites through meson.  Ends with "N passed, N failed".
#
# --debug-kernel (first argument) or VKFD_DEBUG_KERNEL=1: run the guest
# suites under the debug kernel (KASAN, lockdep, kmemleak; built once by
# scripts/build-debug-kernel.sh, about 40 minutes) with the driver built
# for it; any KASAN/lockdep/kmemleak report fails the test it happens in.
# Other arguments go to `meson test`.
set -euo pipefail

. "$(dirname "$0")/lib.sh"

debug_kernel=${VKFD_DEBUG_KERNEL:-0}
if [ "${1:-}" = --debug-kernel ]; then
    debug_kernel=1
    shift
fi

"$VKFD_ROOT/scripts/build-all.sh"
# The qtest-san and fuzz suites run against QEMU built with ASan + UBSan.
"$VKFD_ROOT/scripts/build-qemu.sh" --sanitize
build=${VKFD_BUILD:-$VKFD_ROOT/build}

if [ "$debug_kernel" = 1 ]; then
    "$VKFD_ROOT/scripts/build-debug-kernel.sh"
    "$VKFD_ROOT/scripts/build-driver.sh" --debug
    # scripts/vkfd-vm picks the debug kernel and driver and scales its
    # own timeouts; meson's must follow.
    export VKFD_DEBUG_KERNEL=1
    set -- --suite guest --timeout-multiplier 4 "$@"
fi

rc=0
meson test -C "$build" --print-errorlogs "$@" || rc=$?

# Count TAP results of every suite (a suite without TAP counts once).
(python3 - "$build/meson-logs/testlog.json" <<'PY'
import json, re, sys
passed = failed = 0
# A line of a TAP stream that TAP does not know (a library writing to
# stdout, say) is a failure of that test: every output must be valid TAP.
tap_line = re.compile(r'(not ok|ok)\b|#|1\.\.\d+|Bail out!|TAP version|\s|$')
for line in open(sys.argv[1]):
    t = json.loads(line)
    out = t.get('stdout') or ''
    oks = re.findall(r'^(not ok|ok)\b', out, re.M)
    if oks:
        passed += oks.count('ok')
        failed += oks.count('not ok')
        if t['result'] not in ('OK', 'EXPECTEDFAIL') and 'not ok' not in oks:
            failed += 1     # crashed or bad exit after good TAP lines
        bad = [l for l in out.splitlines() if not tap_line.match(l)]
        if bad:
            print(f"{t['name']}: {len(bad)} line(s) that are not TAP, "
                  f"first: {bad[0][:120]}", file=sys.stderr)
            failed += 1
    elif t['result'] in ('OK', 'EXPECTEDFAIL', 'SKIP'):
        passed += 1
    else:
        failed += 1
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
PY
) || rc=1
exit "$rc"
