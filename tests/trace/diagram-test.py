#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Test of scripts/vkfd-trace-diagram over a recorded run
# (tests/data/trace/: the device's QEMU trace and the guest driver's
# tracefs lines of the guest test kfd-trace, and the diagram expected
# from them).  Prints TAP.

import os
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

root = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
script = os.path.join(root, 'scripts', 'vkfd-trace-diagram')
data = os.path.join(root, 'tests', 'data', 'trace')
device = os.path.join(data, 'kfd-trace.device')
guest = os.path.join(data, 'kfd-trace.guest')
n = failed = 0


def ok(cond, what):
    global n, failed
    n += 1
    print('%sok %d - %s' % ('' if cond else 'not ', n, what))
    if not cond:
        failed += 1
    return cond


def run(*args):
    return subprocess.run([sys.executable, script] + list(args),
                          capture_output=True, text=True)


def before(lines, *wanted):
    """Each wanted text is in a line after the previous one's."""
    pos = -1
    for w in wanted:
        nxt = next((i for i in range(pos + 1, len(lines)) if w in lines[i]),
                   None)
        if nxt is None:
            print('# missing after line %d: %s' % (pos + 1, w))
            return False
        pos = nxt
    return True


r = run(device, guest)
ok(r.returncode == 0, 'the diagram script runs over the recording')
with open(os.path.join(data, 'kfd-trace.mmd')) as fh:
    ok(r.stdout == fh.read(), 'its Mermaid is the one committed')
lines = r.stdout.splitlines()
ok(lines[0] == 'sequenceDiagram' and
   sum(1 for x in lines if x.strip().startswith('participant')) == 5,
   'a sequence diagram with five participants')
ok(before(lines, 'U->>D: ioctl ACQUIRE_VM',
          'D->>S: scheduler ring: MAP_CONTEXT ctx 1 seq 2',
          'Note over S: context 1 mapped',
          'S-->>D: fence seq 2 status 0',
          'D-->>U: ACQUIRE_VM = 0'),
   'ACQUIRE_VM: the MAP_CONTEXT command and its fence inside the ioctl')
ok(before(lines, 'U->>D: ioctl CREATE_QUEUE', 'MAP_QUEUE ctx 1 seq 3',
          'PM4 queue on doorbell 0 mapped', 'fence seq 3',
          'D-->>U: CREATE_QUEUE = 0'),
   'CREATE_QUEUE: MAP_QUEUE and its fence inside the ioctl')
ok(before(lines, 'U->>S: doorbell', 'S->>E: doorbell 0 ctx 1',
          'Note over E: PM4 packet RELEASE_MEM',
          'E->>I: IH entry seq 1: EOP', 'I->>D: MSI-X 1',
          'Note over D: IH entry seq 1 dispatched',
          'Note over D: event 1 signalled', 'D-->>U: WAIT_EVENTS = 0'),
   'doorbell, packet, IH entry, dispatch, event, WAIT_EVENTS in order')
ok('    D-->>U: SET_EVENT = -EINVAL' in lines, 'a failed ioctl shows its errno')
ok(not any('seq 1 status' in x or 'UNMAP_QUEUE' in x for x in lines),
   'the driver load NOP and the teardown after tracing are left out')

r2 = run(guest, device)
ok(r2.returncode == 0 and r2.stdout == r.stdout,
   'the order of the input files does not matter')
r3 = run('--all', device, guest)
ok(r3.returncode == 0 and 'doorbell 0 unmapped' in r3.stdout and
   'context 1 unmapped' in r3.stdout and len(r3.stdout) > len(r.stdout),
   '--all keeps the device events outside the guest trace')
r4 = run(guest)
ok(r4.returncode == 0 and 'ioctl CREATE_QUEUE' in r4.stdout and
   'S->>E' not in r4.stdout, 'the guest trace alone: the driver side only')
r5 = run(device)
ok(r5.returncode != 0 and 'no guest driver trace' in r5.stderr,
   'the device trace alone is refused with a reason')

with tempfile.TemporaryDirectory() as tmp:
    marks = os.path.join(tmp, 'marks')
    with open(marks, 'w') as fh:
        fh.write('# t-9 [000] ..... 1.0: tracing_mark_write: vkfd-user: '
                 'about to sleep\n'
                 '# t-9 [000] ..... 1.1: vkfd_ioctl_entry: tgid=9 nr=0x0c '
                 'name=WAIT_EVENTS size=24\n'
                 '# t-9 [000] ..... 1.2: tracing_mark_write: vkfd-user: '
                 'close /dev/kfd\n')
    r7 = run(marks)
    ok(r7.returncode == 0 and r7.stdout.splitlines()[6:] ==
       ['    Note over U: about to sleep', '    U->>D: ioctl WAIT_EVENTS',
        '    U->>D: close /dev/kfd'],
       'user marks: a note, or a call into the driver (open, close, exit)')
    path = os.path.join(tmp, 'd.svg')
    md = os.path.join(tmp, 'd.md')
    r6 = run('--markdown', '-o', md, '--svg', path, device, guest)
    ok(r6.returncode == 0 and open(md).read() ==
       '```mermaid\n' + r.stdout + '```\n', '--markdown -o: a fenced block')
    try:
        svg = ET.parse(path).getroot()
        ns = '{http://www.w3.org/2000/svg}'
        arrows = [e for e in svg.iter(ns + 'line')
                  if e.get('marker-end')]
        msgs = [x for x in lines if '->>' in x]
        ok(len(arrows) == len(msgs),
           'the SVG parses and has one arrow per message (%d)' % len(msgs))
    except ET.ParseError as e:
        ok(False, 'the SVG parses: %s' % e)

print('1..%d' % n)
sys.exit(1 if failed else 0)
