"""The tables of the trials-per-hour bench (run.sh): per-trial accuracy of every mode side by side
(the same configurations, matched by params), then the summary table, printed last: mode, trials,
wall seconds, trials per hour, ratio against the Python loop, mean accuracy.

Usage: report.py --out FILE [--nasq LABEL WALL_SECONDS TRIALS.json]... [--python RESULT.json]
                 [--note TEXT]...
TRIALS.json is `nasq trials <study> -f json`; RESULT.json is python_loop.py's output. The tables
are printed and written to FILE. Exits 1 when a mode has a trial that did not complete or the
modes did not train the same set of configurations.
"""
import argparse
import json
import statistics
import sys


def key(params):
    return json.dumps({k: str(v) for k, v in params.items()}, sort_keys=True)


def short(params):
    """"layer0.attention.self.query.type=linear" -> "L0.query=linear", ".width=4" -> ":w4"."""
    def name(n):
        for long, abbrev in (("layer", "L"), ("attention.self.", ""), ("attention.output.", "attn."),
                             (".dense", ""), (".type", ""), (".width", ":w")):
            n = n.replace(long, abbrev)
        return n
    return " ".join(f"{name(n)}={v}" for n, v in sorted(params.items()))


def load_nasq(label, wall, path):
    with open(path) as f:
        records = json.load(f)
    bad = [r for r in records if r.get("state") != "COMPLETE"]
    if bad:
        sys.exit(f"report: {label}: trial(s) {[r['number'] for r in bad]} did not complete "
                 f"({sorted({r.get('state') for r in bad})})")
    return {"mode": label, "wall": float(wall),
            "trials": {key(r["params"]): (r["params"], r["value"]) for r in records}}


def load_python(path):
    with open(path) as f:
        result = json.load(f)
    return {"mode": f"Python loop (torch {result['torch']} + Optuna)",
            "wall": result["wall_seconds"],
            "trials": {key(t["params"]): (t["params"], t["accuracy"]) for t in result["trials"]}}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", required=True)
    parser.add_argument("--nasq", nargs=3, action="append", default=[],
                        metavar=("LABEL", "WALL", "TRIALS_JSON"))
    parser.add_argument("--python")
    parser.add_argument("--note", action="append", default=[])
    args = parser.parse_args()
    modes = [load_nasq(*entry) for entry in args.nasq]
    python = load_python(args.python) if args.python else None
    if python:
        modes.append(python)
    if not modes:
        sys.exit("report: no results")
    configs = modes[0]["trials"]
    for mode in modes[1:]:
        if mode["trials"].keys() != configs.keys():
            sys.exit(f"report: {mode['mode']} trained other configurations than {modes[0]['mode']}")

    lines = ["Per-trial test accuracy (the same configurations in every mode):"]
    header = ["configuration"] + [m["mode"].split(" (")[0] for m in modes]
    rows = [[short(params)] + [f"{m['trials'][k][1]:.4f}" for m in modes]
            for k, (params, _) in sorted(configs.items())]
    widths = [max(len(r[i]) for r in rows + [header]) for i in range(len(header))]
    for row in [header] + rows:
        lines.append("  ".join(c.ljust(w) for c, w in zip(row, widths)))
    if len(modes) > 1:
        base = modes[0]
        for mode in modes[1:]:
            diffs = [abs(mode["trials"][k][1] - base["trials"][k][1]) for k in configs]
            lines.append(f"{mode['mode']} vs {base['mode']}: mean |accuracy difference| "
                         f"{statistics.mean(diffs):.4f}, max {max(diffs):.4f}")
    lines.append("")
    lines += args.note
    header = ["mode", "trials", "wall s", "trials/hour", "x Python loop", "mean accuracy"]
    rows = []
    for mode in modes:
        n = len(mode["trials"])
        per_hour = n * 3600.0 / mode["wall"]
        ratio = f"{python['wall'] / mode['wall']:.2f}" if python else "-"
        mean = statistics.mean(a for _, a in mode["trials"].values())
        rows.append([mode["mode"], str(n), f"{mode['wall']:.1f}", f"{per_hour:.1f}", ratio,
                     f"{mean:.4f}"])
    widths = [max(len(r[i]) for r in rows + [header]) for i in range(len(header))]
    for row in [header] + rows:
        lines.append(" | ".join(c.ljust(w) for c, w in zip(row, widths)))
    text = "\n".join(lines) + "\n"
    print(text, end="")
    with open(args.out, "w") as f:
        f.write(text)


if __name__ == "__main__":
    main()
