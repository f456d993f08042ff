#!/usr/bin/env bash
# Server throughput benchmark (docs/PERFORMANCE.md, "Server throughput"): writes a synthetic
# 1.1B-shape model once, starts `plexus serve` on a free loopback port with 2 compute threads and
# 16 sequences, runs bench_server against it and stops the server.
#   bench/server/run_server_bench.sh [extra bench_server run flags, e.g. --repeats 5 --chat]
# Environment: BUILD (build/bench), MODEL (the synthetic model path), TYPE (Q4_K_M), THREADS (2),
# PARALLEL (16), CLIENTS (1,4,8,16), REPEATS (3), OUT (JSON path), SERVE_ARGS (extra serve flags).
set -euo pipefail
BUILD=${BUILD:-build/bench}
TYPE=${TYPE:-Q4_K_M}
PLEXUS=$BUILD/src/cli/plexus
BENCH=$BUILD/bench/server/bench_server
MODEL=${MODEL:-$BUILD/bench/server/synth-1.1b-$TYPE.gguf}
THREADS=${THREADS:-2}
PARALLEL=${PARALLEL:-16}
CLIENTS=${CLIENTS:-1,4,8,16}
REPEATS=${REPEATS:-3}
OUT=${OUT:-$BUILD/bench/server/server_bench.json}
SERVE_ARGS=${SERVE_ARGS:-}

for bin in "$PLEXUS" "$BENCH"; do
  [ -x "$bin" ] || { echo "error: $bin not built (ninja -C $BUILD plexus bench_server)" >&2; exit 1; }
done
if [ ! -f "$MODEL" ]; then
  echo "writing $MODEL (shape 1.1b, $TYPE, seed 1)" >&2
  "$PLEXUS" synth --shape 1.1b --type "$TYPE" --seed 1 "$MODEL"
fi

logs=$(mktemp -d)
# shellcheck disable=SC2086  # SERVE_ARGS is a list of flags
"$PLEXUS" serve "$MODEL" -t "$THREADS" --parallel "$PARALLEL" --port 0 $SERVE_ARGS >"$logs/out" 2>"$logs/err" &
pid=$!
stop() {
  kill -INT "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  rm -rf "$logs"
}
trap stop EXIT

port=
for _ in $(seq 1 600); do
  port=$(sed -n 's#^listening on http://.*:\([0-9][0-9]*\)$#\1#p' "$logs/out")
  [ -n "$port" ] && break
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "error: plexus serve exited:" >&2
    cat "$logs/err" >&2
    exit 1
  fi
  sleep 0.1
done
[ -n "$port" ] || { echo "error: plexus serve printed no port" >&2; exit 1; }

echo "# $(date -u +%FT%TZ)  load $(cut -d' ' -f1-3 /proc/loadavg)  $(nproc) cores  $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "# plexus serve $MODEL -t $THREADS --parallel $PARALLEL --port $port $SERVE_ARGS"
"$BENCH" run --port "$port" --model "$(basename "$MODEL" .gguf)" --clients "$CLIENTS" --repeats "$REPEATS" \
  --json "$OUT" "$@"
