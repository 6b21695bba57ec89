#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""TAP test of scripts/vkfd-info against a real QEMU.

QEMU (VKFD_QEMU, or the cache's build) starts stopped (-S) with two vkfd
devices, one with an id and one without, and a QMP socket; vkfd-info must
find both, print their tables and JSON, follow --device, --watch and
--count, and keep its exit statuses (0 done or QEMU gone during --watch,
1 QMP failure or no device, 2 bad usage).
"""

import json
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(
    __file__))))
INFO = os.path.join(ROOT, "scripts", "vkfd-info")
QEMU = os.environ.get("VKFD_QEMU") or os.path.join(
    os.environ.get("VKFD_CACHE", "/var/cache/vkfd"), "qemu", "build",
    "qemu-system-x86_64")

results = []


def check(name, ok, detail=""):
    results.append((name, bool(ok), detail))


def info(*args, timeout=30):
    return subprocess.run([INFO, *args], capture_output=True, text=True,
                          timeout=timeout)


def start_qemu(sock):
    q = subprocess.Popen(
        [QEMU, "-M", "pc", "-nodefaults", "-display", "none", "-S",
         "-device", "vkfd,id=gpu0", "-device", "vkfd",
         "-qmp", f"unix:{sock},server=on,wait=off"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(100):
        if os.path.exists(sock):
            break
        time.sleep(0.1)
    return q


def main():
    if not os.access(QEMU, os.X_OK):
        print("1..0 # SKIP no QEMU at " + QEMU)
        return 0
    tmp = tempfile.mkdtemp(prefix="vkfd-info-test.")
    sock = os.path.join(tmp, "qmp")
    q = start_qemu(sock)
    try:
        r = info(sock)
        check("tables: exit 0", r.returncode == 0, r.stderr)
        check("tables: both devices",
              "vkfd /machine/peripheral/gpu0" in r.stdout and
              "vkfd /machine/peripheral-anon/device[" in r.stdout, r.stdout)
        check("tables: engines, IH, fault latch, scheduler",
              all(s in r.stdout for s in ("engines:", "IH ring: disabled",
                                          "VM fault latch: empty",
                                          "scheduler ring: disabled")),
              r.stdout)

        r = info("--json", sock)
        try:
            st = json.loads(r.stdout)
        except ValueError:
            st = {}
        check("json: two devices", len(st) == 2, r.stdout[:500])
        gpu0 = st.get("/machine/peripheral/gpu0", {})
        check("json: every part",
              sorted(gpu0) == ["contexts", "engines", "ih", "queues",
                               "scheduler", "shader", "vm-fault"],
              sorted(gpu0))
        check("json: counters start at zero",
              all(v == 0 for e in gpu0.get("engines", {"x": {"y": 1}}).values()
                  for v in e.values()), gpu0.get("engines"))

        r = info("--json", "--device", "/machine/peripheral/gpu0", sock)
        check("--device: only that one",
              r.returncode == 0 and
              list(json.loads(r.stdout or "{}")) == ["/machine/peripheral/gpu0"],
              r.stdout[:200])
        r = info("--device", "/machine/peripheral/nothing", sock)
        check("--device of nothing: exit 1", r.returncode == 1, r.stderr)

        r = info("--watch", "0.1", "--count", "3", sock)
        check("--watch --count 3: three prints",
              r.returncode == 0 and r.stdout.count("(every 0.1 s)") == 3 and
              "(+0)" in r.stdout, r.stdout[:300])

        w = subprocess.Popen([INFO, "--watch", "0.1", sock],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True)
        time.sleep(0.5)
        q.terminate()
        q.wait(10)
        out, err = w.communicate(timeout=30)
        check("--watch ends with exit 0 when QEMU exits",
              w.returncode == 0 and "engines:" in out, err)
    finally:
        if q.poll() is None:
            q.kill()
            q.wait()

    r = info("--wait", "0.3", sock)
    check("no QEMU: exit 1", r.returncode == 1, r.stderr)
    r = info()
    check("no socket: exit 2", r.returncode == 2, r.stderr)
    r = info("--bogus", sock)
    check("unknown option: exit 2", r.returncode == 2, r.stderr)
    r = info("--help")
    check("--help: exit 0 and the exit statuses",
          r.returncode == 0 and "exit status" in r.stdout, r.stdout)
    try:
        os.unlink(sock)
    except OSError:
        pass
    os.rmdir(tmp)

    print(f"1..{len(results)}")
    for i, (name, ok, detail) in enumerate(results, 1):
        print(f"{'ok' if ok else 'not ok'} {i} - {name}")
        if not ok and detail:
            for line in str(detail).splitlines()[:20]:
                print(f"# {line}")
    return 0 if all(ok for _, ok, _ in results) else 1


if __name__ == "__main__":
    sys.exit(main())
