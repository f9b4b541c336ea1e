#!/bin/bash
# usage: bench/replay/tools/fn-cache.sh ROOT OUTDIR [FUNCTION_SUBSTRING] [CAPTURE_DIR] [CAPACITY]
# Per WebAssembly function a packet, one pass of the replay loop (tally path, bench/replay/instr.ts's
# child) under callgrind with its cache simulation: instructions (Ir), data reads and writes (Dr, Dw),
# first-level misses (D1mr, D1mw) and last-level misses (DLmr, DLmw). Exact: the same module gives
# the same counts every run, whatever the machine's load. The simulated caches: D1 48 KiB 12-way and,
# as the last level, 2 MiB 16-way (a core's L2 on the session's machine; its VM reports an L3 of
# 480 MiB, which callgrind would otherwise take and in which a 128 MB table fits). Misses a packet
# against the 1K-flow capture show what the table's leaving the caches costs.
# ROOT: a checkout with dist/ and build/ built; a named copy of its release module is built into
# OUTDIR (asc --debug: the same -O3 code, with names). With FUNCTION_SUBSTRING, OUTDIR/fn.txt also
# lists that function's machine code with each instruction's counts a packet (after line 24).
# CAPTURE_DIR: topology.json + trace.pcap (default: the 1M-packet bench capture); CAPACITY: the
# conntrack capacity (default "-": the engine's; a flows capture wants bench/replay/flows.ts's
# flowsCapacity, 2 x flows).
set -e
ROOT=$(cd "$1" && pwd); OUT=$2; FN=$3
D=${4:-$ROOT/.cache/gen/358bf60bdd1cffd6c2dc}
CAP=${5:--}
HERE=$(cd "$(dirname "$0")" && pwd)
rm -rf "$OUT"; mkdir -p "$OUT/build"
cp -r "$ROOT/dist" "$ROOT/package.json" "$OUT/"; cp "$ROOT"/build/* "$OUT/build/"; ln -s "$ROOT/node_modules" "$OUT/node_modules"
(cd "$ROOT" && ./node_modules/.bin/asc assembly/index.ts --target release --debug -o "$OUT/build/sgfilter.wasm")
valgrind --tool=callgrind --cache-sim=yes --D1=49152,12,64 --LL=2097152,16,64 --dump-instr=yes --compress-pos=no --compress-strings=no --callgrind-out-file="$OUT/cg.out" \
  node --no-liftoff --print-wasm-code "$ROOT/dist/bench/replay/instr.js" --child "$OUT" "$D/topology.json" "$D/trace.pcap" 1 0 $CAP > "$OUT/code.txt" 2> "$OUT/cg.err"
P=$(grep -o "packets [0-9]*" "$OUT/code.txt" | awk '{print $2}')
echo "packets $P"
NPK=$P python3 "$HERE/fn-cache.py" "$OUT/cg.out" "$OUT/code.txt" $FN > "$OUT/fn.txt"
head -24 "$OUT/fn.txt"
exit 0
