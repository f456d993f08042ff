#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, -DPLEXUS_FUZZ=ON) and runs each for SECONDS (default 60)
# on a temporary copy of its seed corpus tests/fuzz/corpus/<name>/ (with tests/fuzz/<name>.dict as
# its dictionary when present). Exits non-zero on any crash,
# leak, timeout or out-of-memory finding; reproducers are kept under <build>/fuzz-artifacts/<target>/.
#   tests/fuzz/run_fuzz.sh [SECONDS]
# Environment: PLEXUS_FUZZ_BUILD (build dir, default build/fuzz), PLEXUS_FUZZ_MODULES (modules to
# build, default "core;gguf;chat;sampling"), PLEXUS_FUZZ_JOBS (ninja -j, default nproc).
set -euo pipefail

seconds="${1:-60}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
build="${PLEXUS_FUZZ_BUILD:-$root/build/fuzz}"
modules="${PLEXUS_FUZZ_MODULES:-core;gguf;chat;sampling}"
jobs="${PLEXUS_FUZZ_JOBS:-$(nproc)}"

cmake -S "$root" -B "$build" -G Ninja -DPLEXUS_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ -DPLEXUS_MODULES="$modules" >/dev/null
ninja -C "$build" -j "$jobs" fuzzers

list="$build/fuzz_targets.txt"
[ -s "$list" ] || { echo "run_fuzz: no fuzz targets in $list" >&2; exit 1; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
failed=0
while read -r name exe; do
  [ -n "$name" ] || continue
  corpus_src="$root/tests/fuzz/corpus/${name#fuzz_}"
  corpus="$work/$name/corpus"
  artifacts="$build/fuzz-artifacts/$name"
  mkdir -p "$corpus" "$artifacts"
  if [ -d "$corpus_src" ]; then cp -R "$corpus_src/." "$corpus/"; fi
  dict=()
  if [ -f "$root/tests/fuzz/${name#fuzz_}.dict" ]; then dict=(-dict="$root/tests/fuzz/${name#fuzz_}.dict"); fi
  echo "run_fuzz: $name for ${seconds}s ($(ls "$corpus" | wc -l) seeds)"
  # -malloc_limit_mb: any single allocation this large is a finding (inputs are small).
  if ! "$exe" "$corpus" "${dict[@]}" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=256 \
       -artifact_prefix="$artifacts/" -print_final_stats=1 >"$work/$name.log" 2>&1; then
    echo "run_fuzz: $name FAILED; last lines of its log:" >&2
    tail -n 40 "$work/$name.log" >&2
    echo "run_fuzz: reproducers in $artifacts" >&2
    failed=1
  else
    grep -E "^(stat::number_of_executed_runs|stat::peak_rss_mb)|cov: " "$work/$name.log" | tail -n 3 || true
  fi
done <"$list"
exit "$failed"
