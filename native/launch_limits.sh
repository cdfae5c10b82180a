#!/bin/bash
# Prints the launch limits of every kernel in the given PTX files, one line per kernel:
#   name registers static_shared_bytes max_threads_per_block barriers
# registers and shared memory from ptxas -v (the larger of sm_75 and sm_90), max threads from the
# PTX's .maxntid (set by __launch_bounds__; 0 when absent), barriers the number of bar.sync /
# barrier.sync instructions in the entry's body (0: the emulator may run it without fibers).
# Used by `make limits` / `check-ptx`.
set -euo pipefail
PTXAS=${PTXAS:-ptxas}
echo "# kernel registers static_shared_bytes max_threads_per_block(0: none) barriers; make -C native limits"
for f in "$@"; do
    for arch in sm_75 sm_90; do "$PTXAS" -v --gpu-name "$arch" "$f" -o /dev/null 2>&1; done |
        awk '/Compiling entry function/ { k = $7; gsub(/\047/, "", k) }
             /: Used [0-9]+ registers/ {
                 r = $5; s = 0
                 for (i = 1; i <= NF; i++) if ($i ~ /^smem,?$/) s = $(i - 2)
                 if (r + 0 > reg[k] + 0) reg[k] = r
                 if (s + 0 > sm[k] + 0) sm[k] = s
                 seen[k] = 1
             }
             END { for (k in seen) print k, reg[k], sm[k] + 0 }' |
        while read -r k r s; do
            t=$(awk -v k="$k" 'index($0, ".entry " k "(") { e = 1 } e && /\.maxntid/ { sub(",", "", $2); print $2; exit } e && /^\{/ { exit }' "$f")
            b=$(awk -v k="$k" 'index($0, ".entry " k "(") { e = 1 } e && /^[ \t]*(bar|barrier)(\.cta)?\.sync/ { n++ } e && /^\}/ { exit } END { print n + 0 }' "$f")
            echo "$k $r $s ${t:-0} $b"
        done
done | sort
