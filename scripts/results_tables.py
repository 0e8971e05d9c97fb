#!/usr/bin/env python3
"""Renders the trials CSVs that scripts/results.sh exports as the markdown tables of
docs/results.md (one section per example found in the folder; stdlib only).

usage: scripts/results_tables.py OUT_DIR    (default out/results)
"""
import csv
import math
import os
import sys


def metric(row, name):
    return float(row["user_attrs_metrics_" + name])


def param(row, name):
    return row.get("params_" + name, "")


def acc(value):
    return f"{value:.4f}"


def rows_of(out_dir, example):
    path = os.path.join(out_dir, example + ".csv")
    if not os.path.exists(path):
        return None
    with open(path, newline="") as f:
        return [r for r in csv.DictReader(f) if r["state"] == "COMPLETE"]


def table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def seconds(row):
    return f"{metric(row, 'train_seconds') + metric(row, 'eval_seconds'):.0f}"


def with_best_so_far(rows, cells):
    """Rows in trial order, each with its cells and the best accuracy so far."""
    rows = sorted(rows, key=lambda r: int(r["number"]))
    best = -math.inf
    out = []
    for r in rows:
        best = max(best, float(r["value"]))
        out.append([r["number"]] + cells(r) + [acc(float(r["value"])), acc(best)])
    return out


def architecture(r):
    return [param(r, "num_layers"), param(r, "num_heads"), param(r, "hidden_size"),
            param(r, "intermediate_size")]


def identity_count(r):
    return str(sum(1 for k, v in r.items() if k.startswith("params_") and v == "identity"))


def width_sweep(rows):
    rows = sorted(rows, key=lambda r: int(param(r, "quant.width")))
    return table(
        ["width", "accuracy before", "PTQ accuracy", "QAT accuracy",
         "avg bits", "BitOPs (G)", "seconds"],
        [[param(r, "quant.width"), acc(metric(r, "accuracy_before_compression")),
          acc(metric(r, "accuracy_after_compression")),
          acc(metric(r, "accuracy")) if metric(r, "train_seconds") > 0 else "-",
          f"{metric(r, 'avg_bitwidth'):g}", f"{metric(r, 'bitops') / 1e9:.2f}", seconds(r)]
         for r in rows])


def pruning_sweep(rows):
    by = {(param(r, "prune.method"), round(float(param(r, "prune.sparsity")), 2)): r
          for r in rows}
    sparsities = sorted({s for _, s in by})
    cells = []
    for s in sparsities:
        line = [f"{s:g}"]
        for method in ("random", "l1"):
            r = by.get((method, s))
            line += ([acc(metric(r, "accuracy_after_compression")), acc(metric(r, "accuracy"))]
                     if r else ["-", "-"])
        cells.append(line)
    return table(["sparsity", "random: pruned", "random: fine-tuned", "L1: pruned",
                  "L1: fine-tuned"], cells)


def nas(rows):
    return table(
        ["trial", "layers", "heads", "hidden", "intermediate", "Identity layers", "train s",
         "accuracy", "best so far"],
        with_best_so_far(rows, lambda r: architecture(r) + [identity_count(r),
                                                             f"{metric(r, 'train_seconds'):.0f}"]))


def compression_aware(rows):
    finetuned = any(metric(r, "accuracy") != metric(r, "accuracy_after_compression")
                    for r in rows)
    header = ["trial", "layers", "heads", "hidden", "intermediate", "uncompressed",
              "int8 + 50% L1"]
    header += ["after fine-tune"] if finetuned else []
    header += ["objective", "best so far"]

    def cells(r):
        c = architecture(r) + [acc(metric(r, "accuracy_before_compression")),
                               acc(metric(r, "accuracy_after_compression"))]
        return c + ([acc(metric(r, "accuracy"))] if finetuned else [])

    return table(header, with_best_so_far(rows, cells))


def mixed_precision(rows):
    def integer_layers(r):
        return str(sum(1 for k, v in r.items() if k.startswith("params_") and v == "integer"))

    return table(
        ["trial", "integer layers (of 14)", "avg bits", "PTQ accuracy", "QAT accuracy",
         "best so far"],
        [[n, i, b, p, a, best] for n, i, b, p, a, best in with_best_so_far(
            rows, lambda r: [integer_layers(r), f"{metric(r, 'avg_bitwidth'):.2f}",
                             acc(metric(r, "accuracy_after_compression"))])])


SECTIONS = [
    ("01-ptq-width-sweep", width_sweep),
    ("02-qat-width-sweep", width_sweep),
    ("04-pruning-sweep", pruning_sweep),
    ("05-nas-tpe", nas),
    ("06-compression-aware-nas", compression_aware),
    ("06-compression-aware-nas-finetune", compression_aware),
    ("07-mixed-precision-layers", mixed_precision),
]


def main():
    out_dir = sys.argv[1] if len(sys.argv) > 1 else "out/results"
    for example, render in SECTIONS:
        rows = rows_of(out_dir, example)
        if rows:
            print(f"### {example} ({len(rows)} trials)\n\n{render(rows)}\n")


if __name__ == "__main__":
    main()
