#!/usr/bin/env bash
# plexus bench against llama.cpp's llama-bench on the same files, alternating (this VM's speed
# drifts by +-20% within minutes, so each pair is run back to back): docs/PERFORMANCE.md, "End to end".
# Prints each pair's plexus / llama.cpp ratios, then per model every pair's ratios and their
# geometric mean.
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

# t/s of test $1 in llama-bench's table (the column before the last) or plexus bench's (the fourth).
llama_ts() { awk -F'|' -v t="$1" '$(NF-2) ~ t {split($(NF-1), a, " "); print a[1]}'; }
plexus_ts() { awk -F'|' -v t="$1" '$2 ~ t {split($4, a, " "); print a[1]}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a > 0 && b > 0) printf "%.2f", b / a; else print "-" }'; }

summary=$(mktemp)
trap 'rm -f "$summary"' EXIT
echo "# $(date -u +%FT%TZ)  $(nproc) cores  $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
for round in $(seq 1 "$ROUNDS"); do
  for model in "$@"; do
    echo "== round $round  $(basename "$model")  $(date -u +%T)  load $(cut -d' ' -f1 /proc/loadavg)"
    llama=$("$LLAMA_BENCH" -m "$model" -t "$THREADS" -p "$P" -n "$N" -r "$R" 2>/dev/null | grep -E "pp$P|tg$N" || true)
    plexus=$("$PLEXUS" bench "$model" -t "$THREADS" -p "$P" -n "$N" -r "$R" 2>/dev/null | grep -E "^\| (pp|tg)|bandwidth:|weights:" || true)
    [ -n "$llama" ] && sed 's/^/llama.cpp /' <<<"$llama"
    [ -n "$plexus" ] && sed 's/^/plexus    /' <<<"$plexus"
    pp=$(ratio "$(llama_ts "pp$P" <<<"$llama")" "$(plexus_ts "pp$P" <<<"$plexus")")
    tg=$(ratio "$(llama_ts "tg$N" <<<"$llama")" "$(plexus_ts "tg$N" <<<"$plexus")")
    echo "ratio     plexus / llama.cpp: pp$P ${pp}x  tg$N ${tg}x"
    echo "$(basename "$model") $pp $tg" >>"$summary"
  done
done
# Per model: every pair's ratios and their geometric mean (pairs without a figure are left out).
echo "== summary (plexus / llama.cpp, each pair, then the geometric mean)"
awk '{ pp[$1] = pp[$1] " " $2; tg[$1] = tg[$1] " " $3; if (!($1 in seen)) { seen[$1] = 1; order[++n] = $1 } }
     function gmean(list,   v, k, i, s, c) { k = split(list, v, " "); s = 0; c = 0
       for (i = 1; i <= k; ++i) if (v[i] != "-") { s += log(v[i]); ++c }
       return c ? sprintf("%.2f", exp(s / c)) : "-" }
     END { for (i = 1; i <= n; ++i) { m = order[i]
       printf "%-24s pp:%s  (%sx)   tg:%s  (%sx)\n", m, pp[m], gmean(pp[m]), tg[m], gmean(tg[m]) } }' "$summary"
