#!/usr/bin/env python3
"""Renders the concurrency sweep's CSV files as the Markdown tables of docs/performance.md.

Usage: benchmarks/sim/doc_tables.py benchmarks/results/sim-<date>   (prints Markdown to stdout)

One table per workload: the bound and what binds it, a few fixed settings, the best fixed setting, the default,
the default's share of the best, and the default's duration over the bound.
"""
import csv
import os
import sys

WORKLOADS = [("delete-prefix", "delete by prefix"), ("delete-keys", "delete from a keys file"), ("export", "export"),
             ("purge-urls", "purge URLs"), ("purge-tags", "purge tags")]
SHOWN_FIXED = [1, 4, 16, 32]


def rate(v):
    v = float(v)
    return f"{v / 1000:,.0f}k" if v >= 100_000 else f"{v:,.0f}"


def table(rows):
    profiles = list(dict.fromkeys(r["profile"] for r in rows))
    out = ["| profile | bound (binds) | " + " | ".join(f"fixed {n}" for n in SHOWN_FIXED) +
           " | best fixed | default | default ÷ best | × bound | 429s / lockouts (all settings) |",
           "|---|---|" + "---:|" * (len(SHOWN_FIXED) + 5)]
    for p in profiles:
        cell = [r for r in rows if r["profile"] == p]
        fixed = {int(r["fixed"]): r for r in cell if r["adaptive"] == "false"}
        best = max(fixed.values(), key=lambda r: (float(r["items_per_s"]), -int(r["fixed"])))
        default = next(r for r in cell if r["default"] == "true")
        share = float(default["items_per_s"]) / float(best["items_per_s"])
        http_429 = sum(int(r["http_429"]) for r in cell)
        lockouts = sum(int(r["lockouts"]) for r in cell)
        out.append(f"| {p} | {float(default['bound_s']):.1f} s ({default['bound_binding']}) | " +
                   " | ".join(rate(fixed[n]["items_per_s"]) if n in fixed else "" for n in SHOWN_FIXED) +
                   f" | {rate(best['items_per_s'])} ({best['fixed']}) | {rate(default['items_per_s'])} | "
                   f"{'100' if share >= 0.9995 else f'{share * 100:.1f}'}% | {float(default['x_bound']):.2f} | "
                   f"{http_429} / {lockouts} |")
    return "\n".join(out)


def main():
    folder = sys.argv[1]
    name = os.path.basename(os.path.normpath(folder))
    for workload, title in WORKLOADS:
        path = os.path.join(folder, f"{workload}.csv")
        if not os.path.exists(path):
            continue
        with open(path) as f:
            rows = list(csv.DictReader(f))
        print(f"#### {title} — [chart](../benchmarks/results/{name}/{workload}.svg), "
              f"[CSV](../benchmarks/results/{name}/{workload}.csv)\n")
        print(table(rows) + "\n")


if __name__ == "__main__":
    main()
