#!/usr/bin/env bash
# plexus bench against llama.cpp's llama-bench on the same files, alternating (this VM's speed
# drifts by +-20% within minutes, so each pair is run back to back): docs/PERFORMANCE.md, "End to end".
#   LLAMA_BENCH=/path/to/llama-bench bench/compare_llama_bench.sh MODEL.gguf [MODEL.gguf ...]
# Environment: LLAMA_BENCH (required), PLEXUS (build/release/src/cli/plexus), THREADS (2),
# ROUNDS (2), P (512), N (128), R (3).
set -euo pipefail
PLEXUS=${PLEXUS:-build/release/src/cli/plexus}
THREADS=${THREADS:-2}
ROUNDS=${ROUNDS:-2}
P=${P:-512}
N=${N:-128}
R=${R:-3}
: "${LLAMA_BENCH:?set LLAMA_BENCH to a llama-bench binary (see docs/PERFORMANCE.md)}"
[ $# -ge 1 ] || { echo "usage: LLAMA_BENCH=... $0 MODEL.gguf [MODEL.gguf ...]" >&2; exit 2; }
for bin in "$LLAMA_BENCH" "$PLEXUS"; do
  [ -x "$bin" ] || { echo "error: $bin is not an executable" >&2; exit 1; }
done

echo "# $(date -u +%FT%TZ)  $(nproc) cores  $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
for round in $(seq 1 "$ROUNDS"); do
  for model in "$@"; do
    echo "== round $round  $(basename "$model")  $(date -u +%T)  load $(cut -d' ' -f1 /proc/loadavg)"
    "$LLAMA_BENCH" -m "$model" -t "$THREADS" -p "$P" -n "$N" -r "$R" 2>/dev/null | grep -E "pp$P|tg$N" | sed 's/^/llama.cpp /'
    "$PLEXUS" bench "$model" -t "$THREADS" -p "$P" -n "$N" -r "$R" 2>/dev/null | grep -E "^\| (pp|tg)|bandwidth:|weights:" | sed 's/^/plexus    /'
  done
done
