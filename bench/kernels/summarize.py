#!/usr/bin/env python3
"""Markdown tables from bench_kernels JSON output (docs/PERFORMANCE.md, "Kernels").

Usage: bench_kernels --benchmark_repetitions=5 --benchmark_report_aggregates_only=true \
           --benchmark_format=json [--benchmark_filter=...] > out.json
       summarize.py out.json [--cpu]

--cpu rates the 1-thread runs by CPU time instead of wall-clock time: the per-core throughput
with the time the process spent descheduled (on a shared, loaded machine) taken out. It means
nothing for multi-threaded runs (CPU time counts only the calling thread), which it skips.

Takes the median of the repetitions. One table per (shape, tokens, threads): a row per weight
type, a column per variant with GB/s (n = 1) or GFLOP/s (n > 1) and the ratio to the reference
variant when it ran. Also prints the mem_read yardstick.
"""
import json
import re
import sys
from collections import defaultdict

NAME = re.compile(r"matmul/(\w+)/(\w+)/(\d+x\d+)/n:(\d+)/threads:(\d+)")
TYPES = ["F32", "F16", "BF16", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_0", "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K"]
VARIANTS = ["ref", "avx2", "avx512"]


def main(path, cpu=False):
    with open(path) as f:
        data = json.load(f)
    cells = defaultdict(dict)  # (shape, n, threads) -> {(type, variant): value}
    for b in data["benchmarks"]:
        if b.get("aggregate_name", "median") != "median":
            continue
        name = b.get("run_name", b["name"])
        if name.startswith("mem_read"):
            print(f"{name}: {b['GB/s']:.1f} GB/s (median)")
            continue
        m = NAME.match(name)
        if not m:
            continue
        variant, type_, shape, n, threads = m.groups()
        unit = "GB/s" if n == "1" else "GFLOP/s"
        value = b[unit]
        if cpu:
            if threads != "1":
                continue
            value *= b["real_time"] / b["cpu_time"]
        cells[(shape, int(n), int(threads))][(type_, variant)] = value
    for (shape, n, threads), values in sorted(cells.items()):
        unit = "GB/s (weights)" if n == 1 else "GFLOP/s"
        variants = [v for v in VARIANTS if any(k[1] == v for k in values)]
        clock = "per-core, by CPU time" if cpu else "wall clock"
        print(f"\n{shape}, n = {n}, {threads} thread(s): {unit}, {clock}\n")
        print("| type | " + " | ".join(variants) + " |")
        print("|---|" + "---:|" * len(variants))
        for t in TYPES:
            row = []
            ref = values.get((t, "ref"))
            for v in variants:
                val = values.get((t, v))
                if val is None:
                    row.append("")
                elif v != "ref" and ref:
                    row.append(f"{val:.1f} ({val / ref:.0f}x)")
                else:
                    row.append(f"{val:.2f}" if val < 10 else f"{val:.1f}")
            if any(row):
                print(f"| {t} | " + " | ".join(row) + " |")


if __name__ == "__main__":
    main(sys.argv[1], "--cpu" in sys.argv[2:])
