#!/usr/bin/env bash
# The reference side of the server benchmark: starts llama.cpp's `llama-server` (-np 8, 2 threads)
# on the same synthetic model and runs the same bench_server load against it, so that `plexus
# serve` can be compared with llama.cpp on the machine at hand (docs/PERFORMANCE.md, "Server
# throughput"). Feed its 1- and 8-client aggregates to run_server_bench.sh --reference ONE,EIGHT.
#   LLAMA_SERVER=/path/to/llama-server bench/server/run_llama_server_bench.sh [extra bench_server run flags]
# Environment: LLAMA_SERVER (required), BUILD (build/bench), MODEL, TYPE (Q4_K_M), THREADS (2),
# PARALLEL (8), CTX (8192: llama.cpp splits it between the slots), CLIENTS (1,8), REPEATS (3), OUT.
set -euo pipefail
BUILD=${BUILD:-build/bench}
TYPE=${TYPE:-Q4_K_M}
PLEXUS=$BUILD/src/cli/plexus
BENCH=$BUILD/bench/server/bench_server
MODEL=${MODEL:-$BUILD/bench/server/synth-1.1b-$TYPE.gguf}
THREADS=${THREADS:-2}
PARALLEL=${PARALLEL:-8}
CTX=${CTX:-8192}
CLIENTS=${CLIENTS:-1,8}
REPEATS=${REPEATS:-3}
OUT=${OUT:-$BUILD/bench/server/llama_server_bench.json}
: "${LLAMA_SERVER:?set LLAMA_SERVER to a llama-server binary (see docs/PERFORMANCE.md)}"

for bin in "$LLAMA_SERVER" "$BENCH"; do
  [ -x "$bin" ] || { echo "error: $bin is not an executable" >&2; exit 1; }
done
if [ ! -f "$MODEL" ]; then
  [ -x "$PLEXUS" ] || { echo "error: $PLEXUS not built, and $MODEL does not exist" >&2; exit 1; }
  echo "writing $MODEL (shape 1.1b, $TYPE, seed 1)" >&2
  "$PLEXUS" synth --shape 1.1b --type "$TYPE" --seed 1 "$MODEL"
fi

# A free loopback port: bind port 0 and read back what the kernel chose.
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
logs=$(mktemp -d)
"$LLAMA_SERVER" -m "$MODEL" -t "$THREADS" -np "$PARALLEL" -c "$CTX" --host 127.0.0.1 --port "$port" >"$logs/log" 2>&1 &
pid=$!
stop() {
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  rm -rf "$logs"
}
trap stop EXIT

echo "# $(date -u +%FT%TZ)  load $(cut -d' ' -f1-3 /proc/loadavg)  $(nproc) cores  $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "# $LLAMA_SERVER -m $MODEL -t $THREADS -np $PARALLEL -c $CTX --port $port"
# bench_server waits for /health to answer 200 (llama-server: once the model is loaded).
"$BENCH" run --port "$port" --model "$(basename "$MODEL" .gguf)" --clients "$CLIENTS" --repeats "$REPEATS" \
  --json "$OUT" "$@" || { echo "error: the load failed; llama-server's log:" >&2; tail -20 "$logs/log" >&2; exit 1; }
