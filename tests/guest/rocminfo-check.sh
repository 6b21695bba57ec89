#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Debian's unmodified rocminfo 5.2.3 in a vkfd guest (scripts/vkfd-vm
# --rocm): it exits 0 and lists the CPU agent and one GPU agent per KFD GPU
# node, each GPU with its gfx target, compute units, wavefront size 64 and
# a global memory pool of the node's VRAM size.  TAP on stdout; rocminfo's
# own output (stdout and stderr) is kept as TAP comments.
#
# usage: rocminfo-check.sh [ROCMINFO]   (default /usr/bin/rocminfo)
#
# rocminfo first runs `lsmod | grep amdgpu`: the guest needs the marker
# module (docs/rocm.md, "lsmod") or the real amdgpu.

ROCMINFO=${1:-/usr/bin/rocminfo}
TOPO=/sys/devices/virtual/kfd/kfd/topology/nodes
out=/tmp/rocminfo.$$
n=0
failed=0

ok() {
    n=$((n + 1))
    if [ "$1" = 0 ]; then
        echo "ok $n - $2"
    else
        echo "not ok $n - $2"
        failed=$((failed + 1))
    fi
}

# GPU nodes and their VRAM in KiB, as the driver publishes them.
gpus=0
vram_kib=
for node in "$TOPO"/*; do
    id=$(cat "$node/gpu_id" 2>/dev/null || echo 0)
    [ "$id" != 0 ] || continue
    gpus=$((gpus + 1))
    bytes=$(awk '$1 == "size_in_bytes" { print $2 }' "$node/mem_banks/0/properties")
    vram_kib="$vram_kib $((bytes / 1024))"
done
echo "# KFD topology: $gpus GPU node(s), VRAM KiB:$vram_kib"

"$ROCMINFO" >"$out" 2>&1
st=$?
# Colour escapes off, every line a comment.
sed -e 's/\x1b\[[0-9;]*m//g' -e 's/^/# /' "$out"
sed -i -e 's/\x1b\[[0-9;]*m//g' "$out"
ok $st "rocminfo exits 0 (status $st)"
grep -q '^\*\*\* Done \*\*\*' "$out"
ok $? "rocminfo reaches its end"

# One record per agent: name|type|CUs|wave|pool sizes (KiB, global pools).
awk '
function flush() {
    if (name != "") print name "|" type "|" cu "|" wave "|" pools
    name = ""; type = ""; cu = ""; wave = ""; pools = ""
}
/^Agent [0-9]+/ { flush(); in_agent = 1; next }
in_agent && /^  Name:/ { name = $2 }
in_agent && /^  Device Type:/ { type = $3 }
in_agent && /^  Compute Unit:/ { cu = $3 }
in_agent && /^  Wavefront Size:/ { wave = $3; sub(/\(.*/, "", wave) }
in_agent && /^      Segment:/ { seg = $2 }
in_agent && /^      Size:/ {
    if (seg == "GLOBAL;") { s = $2; sub(/\(.*/, "", s); pools = pools " " s }
}
END { flush() }
' "$out" >"$out.agents"

cpus=$(grep -c '|CPU|' "$out.agents")
[ "$cpus" = 1 ]
ok $? "one CPU agent ($cpus)"
found=$(grep -c '|GPU|' "$out.agents")
[ "$found" = "$gpus" ] && [ "$gpus" -gt 0 ]
ok $? "one GPU agent per KFD GPU node ($found agents, $gpus nodes)"

i=0
grep '|GPU|' "$out.agents" | while IFS='|' read -r name type cu wave pools; do
    i=$((i + 1))
    want=$(echo $vram_kib | cut -d' ' -f$i)
    case $name in gfx9*) r=0 ;; *) r=1 ;; esac
    ok $r "GPU agent $i: gfx target $name"
    [ -n "$cu" ] && [ "$cu" -gt 0 ]
    ok $? "GPU agent $i: $cu compute units"
    [ "$wave" = 64 ]
    ok $? "GPU agent $i: wavefront size $wave"
    case " $pools " in *" $want "*) r=0 ;; *) r=1 ;; esac
    ok $r "GPU agent $i: a global pool of the node's VRAM ($want KiB; pools:$pools)"
    echo "$n $failed" >"$out.count"
done
[ -s "$out.count" ] && read -r n failed <"$out.count"
echo "1..$n"
rm -f "$out" "$out.agents" "$out.count"
[ "$failed" = 0 ]
