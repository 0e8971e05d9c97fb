"""Writes the --quick variant of the trials-per-hour study (run.sh): the study file with only its
first two params (4 grid cells, so 4 trials) and dataset.max_examples set, for a smoke run.

Usage: quick_spec.py STUDY.yaml OUT.yaml [--max-examples N (default 600)]
"""
import argparse

import yaml


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("spec")
    parser.add_argument("out")
    parser.add_argument("--max-examples", type=int, default=600)
    args = parser.parse_args()
    with open(args.spec) as f:
        spec = yaml.safe_load(f)
    params = spec["space"]["params"]
    spec["space"]["params"] = dict(list(params.items())[:2])
    spec["name"] += "-quick"
    spec["task"]["dataset"]["max_examples"] = args.max_examples
    with open(args.out, "w") as f:
        yaml.safe_dump(spec, f, sort_keys=False)


if __name__ == "__main__":
    main()
