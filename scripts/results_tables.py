#!/usr/bin/env python3
"""Renders the trials CSVs that scripts/results.sh exports as the markdown tables of
docs/results.md (one section per example found in the folder; stdlib only).

usage: scripts/results_tables.py OUT_DIR    (default out/results)
       scripts/results_tables.py --study NAME CSV
           one study's table from the CSV that `nasq export NAME --format csv` (or
           scripts/demo.sh, as OUT_DIR/trials.csv) wrote: NAME is demo,
           10-mixed-precision-pareto or 11-nas-asha (and its twin without a pruner)
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


def read_trials(path, states=("COMPLETE",)):
    with open(path, newline="") as f:
        return [r for r in csv.DictReader(f) if r["state"] in states]


def rows_of(out_dir, example):
    path = os.path.join(out_dir, example + ".csv")
    return read_trials(path) if os.path.exists(path) else None


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


def on_front(rows):
    """Numbers of the trials no other trial beats on both accuracy (up) and avg_bitwidth (down)
    and equals on neither: the two-objective Pareto front, as `nasq pareto` prints it."""
    points = [(metric(r, "accuracy"), metric(r, "avg_bitwidth"), r["number"]) for r in rows]
    return {n for a, b, n in points
            if not any(a2 >= a and b2 <= b and (a2, b2) != (a, b) for a2, b2, _ in points)}


def count_params(r, value, suffix=".type"):
    return sum(1 for k, v in r.items() if k.startswith("params_") and k.endswith(suffix)
               and v == value)


def two_objective(rows, cells, header):
    front = on_front(rows)
    rows = sorted(rows, key=lambda r: int(r["number"]))
    return table(["trial"] + header + ["avg bits", "accuracy", "on the front"],
                 [[r["number"]] + cells(r) + [f"{metric(r, 'avg_bitwidth'):.2f}",
                                              acc(metric(r, "accuracy")),
                                              "yes" if r["number"] in front else ""]
                  for r in rows])


def demo(rows):
    return two_objective(
        rows, lambda r: [param(r, "num_layers"), param(r, "hidden_size"),
                         str(count_params(r, "integer"))],
        ["layers", "hidden", "int8 Linears (of 5 searched)"])


def mixed_precision_pareto(rows):
    def formats(r):
        int8 = count_params(r, "8", ".width")
        int4 = count_params(r, "4", ".width")
        return [str(14 - int8 - int4), str(int8), str(int4),
                f"{metric(r, 'bitops') / 1e8:.2f}"]

    return two_objective(rows, formats, ["fp32", "int8", "int4", "BitOPs (1e8)"])


def last_step(r):
    """The last optimizer step at which the trial was evaluated (user attr intermediate/<step>):
    where a PRUNED trial stopped, within evaluate_every_steps of the end for a COMPLETE one."""
    steps = [int(k.split("/")[1].split("_")[0]) for k, v in r.items()
             if k.startswith("user_attrs_intermediate/") and k.endswith("_accuracy") and v]
    return max(steps, default=0)


def nas_pruned(rows):
    rows = sorted(rows, key=lambda r: int(r["number"]))
    body = table(
        ["trial", "layers", "hidden", "intermediate", "lr", "state", "steps", "value"],
        [[r["number"], param(r, "num_layers"), param(r, "hidden_size"),
          param(r, "intermediate_size"), f"{float(param(r, 'train.learning_rate')):.2e}",
          r["state"], str(last_step(r)), acc(float(r["value"]))] for r in rows])
    complete = [float(r["value"]) for r in rows if r["state"] == "COMPLETE"]
    pruned = sum(1 for r in rows if r["state"] == "PRUNED")
    train_seconds = sum(metric(r, "train_seconds") for r in rows)
    return (f"{body}\n\n{len(complete)} COMPLETE, {pruned} PRUNED; steps "
            f"{sum(last_step(r) for r in rows)}; train seconds {train_seconds:.1f}; "
            f"best COMPLETE accuracy {acc(max(complete, default=math.nan))}")


STUDIES = {
    "demo": (demo, ("COMPLETE",)),
    "10-mixed-precision-pareto": (mixed_precision_pareto, ("COMPLETE",)),
    "11-nas-asha": (nas_pruned, ("COMPLETE", "PRUNED")),
    "11-nas-asha-none": (nas_pruned, ("COMPLETE", "PRUNED")),
}

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
    if len(sys.argv) == 4 and sys.argv[1] == "--study" and sys.argv[2] in STUDIES:
        render, states = STUDIES[sys.argv[2]]
        print(render(read_trials(sys.argv[3], states)))
        return
    if len(sys.argv) > 1 and sys.argv[1].startswith("--"):
        sys.exit(__doc__)
    out_dir = sys.argv[1] if len(sys.argv) > 1 else "out/results"
    for example, render in SECTIONS:
        rows = rows_of(out_dir, example)
        if rows:
            print(f"### {example} ({len(rows)} trials)\n\n{render(rows)}\n")


if __name__ == "__main__":
    main()
