"""The Python loop of the trials-per-hour bench (run.sh): the study's trials trained one after the
other in Python PyTorch, driven by Optuna (a GridSampler over the study's params, objective =
train + evaluate), with nasq's model and training semantics:

* the model is bench/train_step's Bert (op for op nasq's worker/model/bert_model.cc), initialised
  as nasq does (normal(0, initializer_range 0.02) weights, zero biases, LayerNorm 1/0, zero [PAD]
  row), dropout 0.1;
* every Linear is fake-quantised as the study's quantise stage and the trial's params resolve it
  (docs/quantisation.md 1.1 and 2: integer width w, frac f on data_in, weight and bias,
  round-half-to-even, clamp, straight-through gradient; "linear" = fp32);
* training: AdamW (betas 0.9/0.999, eps 1e-8, weight decay 0), linear decay to 0 without warm-up,
  gradient clipping at 1.0, batch size, epochs and lr from the train stage, a fresh shuffle every
  epoch, dynamic padding per batch; evaluation: accuracy on the test split in order, batch 8;
* the data are nasq's own token ids (trials_per_hour_export_tokens), so both train on identical
  tensors. Shuffling, dropout and initialisation draw from torch's RNG rather than nasq's, so a
  trial's accuracy differs from nasq's by the run-to-run spread of the same configuration.

Usage: python_loop.py --spec STUDY.yaml --tokens DIR --out RESULT.json [--device cpu|cuda:0]
       [--threads N]
Writes {"wall_seconds": S, "trials": [{"params": {...}, "accuracy": A, "seconds": S}, ...]}
(wall_seconds from the start of this process, imports included) and prints one line per trial.
"""
import argparse
import itertools
import json
import math
import os
import sys
import time

PROCESS_START = time.perf_counter()

import optuna  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
import yaml  # noqa: E402
from torch import nn  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "train_step"))
from train_step_reference import Bert  # noqa: E402

INITIALIZER_RANGE = 0.02  # worker/model/bert_config.h
EVAL_BATCH = 8  # worker/train/trainer.h EvalOptions


def quantise_integer(x, width, frac):
    """docs/quantisation.md 1.1 with the straight-through gradient of 1.13."""
    scale = 2.0 ** frac
    q = torch.clamp(torch.round(x * scale), -(2 ** (width - 1)), 2 ** (width - 1) - 1) / scale
    return x + (q - x).detach()


class QuantLinear(nn.Linear):
    """docs/quantisation.md 2, LinearInteger: y = Q(x) Q(W)^T + Q(b), fp32 master weights."""

    def __init__(self, linear, width, frac):
        super().__init__(linear.in_features, linear.out_features)
        self.width, self.frac = width, frac
        with torch.no_grad():
            self.weight.copy_(linear.weight)
            self.bias.copy_(linear.bias)

    def forward(self, x):
        q = lambda t: quantise_integer(t, self.width, self.frac)
        return F.linear(q(x), q(self.weight), q(self.bias))


def linear_slots(model):
    """HF module path -> (parent module, attribute) of every Linear of train_step's Bert."""
    names = {"attention.self.query": "query", "attention.self.key": "key",
             "attention.self.value": "value", "attention.output.dense": "attention_dense",
             "intermediate.dense": "intermediate", "output.dense": "output"}
    slots = {}
    for i, layer in enumerate(model.layers):
        for hf, attr in names.items():
            slots[f"layer{i}.{hf}"] = (layer, attr)
    slots["pooler.dense"] = (model, "pooler")
    slots["classifier"] = (model, "classifier")
    return slots


def layer_precision(default, params, layer):
    """(width, frac) of `layer` or None for fp32: the quantise stage's default, overridden by the
    trial's `<layer>.type` / `<layer>.width` / `<layer>.frac_width` params (task/layer_precision.h
    resolves the same way for the fields this bench's studies use)."""
    kind = params.get(f"{layer}.type", default["type"])
    if kind in ("linear", "none"):
        return None
    if kind != "integer":
        raise SystemExit(f"python_loop: {layer}.type: only integer and linear are modelled, got {kind}")
    return (int(params.get(f"{layer}.width", default["width"])),
            int(params.get(f"{layer}.frac_width", default["frac_width"])))


def build_model(task, vocab_size, num_labels, default_precision, params, seed):
    model_spec = task["model"]
    torch.manual_seed(seed)
    model = Bert(vocab=vocab_size, hidden=model_spec["hidden_size"],
                 layers=model_spec["num_layers"], heads=model_spec["num_heads"],
                 inter=model_spec["intermediate_size"], labels=num_labels)
    with torch.no_grad():
        for name, param in model.named_parameters():
            if "norm" in name:
                param.fill_(1.0 if name.endswith(".weight") else 0.0)
            elif name.endswith(".bias"):
                param.zero_()
            else:
                param.normal_(0.0, INITIALIZER_RANGE)
        model.word.weight[0].zero_()
    for layer, (parent, attr) in linear_slots(model).items():
        precision = layer_precision(default_precision, params, layer)
        if precision is not None:
            setattr(parent, attr, QuantLinear(getattr(parent, attr), *precision))
    return model


def read_split(path):
    examples = []
    with open(path) as f:
        for line in f:
            values = [int(v) for v in line.split()]
            examples.append((values[1:], values[0]))
    return examples


def make_batch(examples, indices, pad_id, device):
    longest = max(len(examples[i][0]) for i in indices)
    ids = torch.full((len(indices), longest), pad_id, dtype=torch.long)
    mask = torch.zeros((len(indices), longest), dtype=torch.long)
    for row, i in enumerate(indices):
        tokens = examples[i][0]
        ids[row, :len(tokens)] = torch.tensor(tokens)
        mask[row, :len(tokens)] = 1
    labels = torch.tensor([examples[i][1] for i in indices])
    return ids.to(device), mask.to(device), labels.to(device)


def train(model, examples, pad_id, stage, device, seed):
    batch, epochs, lr = stage["batch_size"], stage.get("epochs", 1), stage["learning_rate"]
    steps_per_epoch = math.ceil(len(examples) / batch)
    total = steps_per_epoch * epochs
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, betas=(0.9, 0.999), eps=1e-8,
                                  weight_decay=0.0)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: 1.0 - step / total)
    generator = torch.Generator().manual_seed(seed)
    model.train()
    for _ in range(epochs):
        order = torch.randperm(len(examples), generator=generator).tolist()
        for start in range(0, len(order), batch):
            ids, mask, labels = make_batch(examples, order[start:start + batch], pad_id, device)
            loss = F.cross_entropy(model(ids, mask), labels)
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), stage.get("max_grad_norm", 1.0))
            optimizer.step()
            schedule.step()


def evaluate(model, examples, pad_id, device):
    model.eval()
    correct = 0
    with torch.no_grad():
        for start in range(0, len(examples), EVAL_BATCH):
            indices = list(range(start, min(start + EVAL_BATCH, len(examples))))
            ids, mask, labels = make_batch(examples, indices, pad_id, device)
            correct += (model(ids, mask).argmax(-1) == labels).sum().item()
    return correct / len(examples)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--spec", required=True)
    parser.add_argument("--tokens", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=0, help="torch threads; 0 = all cores")
    args = parser.parse_args()
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)

    with open(args.spec) as f:
        spec = yaml.safe_load(f)
    task = spec["task"]
    stages = {stage["stage"]: stage for stage in task["stages"]}
    if set(stages) != {"quantise", "train"}:
        raise SystemExit(f"python_loop: expected a quantise and a train stage, got {sorted(stages)}")
    default_precision = {"type": "integer", **stages["quantise"]}
    with open(os.path.join(args.tokens, "meta.txt")) as f:
        meta = dict(line.split() for line in f)
    vocab_size, pad_id, num_labels = (int(meta[k]) for k in ("vocab_size", "pad_id", "num_labels"))
    train_set = read_split(os.path.join(args.tokens, "train.txt"))
    test_set = read_split(os.path.join(args.tokens, "test.txt"))

    space = {name: list(choices) for name, choices in spec["space"]["params"].items()}
    n_trials = len(list(itertools.product(*space.values())))
    seed = stages["train"].get("seed", 42)  # task/train_settings.h
    results = []

    def objective(trial):
        params = {name: trial.suggest_categorical(name, choices) for name, choices in space.items()}
        start = time.perf_counter()
        model = build_model(task, vocab_size, num_labels, default_precision, params,
                            seed + trial.number).to(device)
        train(model, train_set, pad_id, stages["train"], device, seed + trial.number)
        accuracy = evaluate(model, test_set, pad_id, device)
        seconds = time.perf_counter() - start
        results.append({"params": params, "accuracy": accuracy, "seconds": seconds})
        print(f"python trial {trial.number}: accuracy {accuracy:.4f} in {seconds:.1f} s {params}",
              flush=True)
        return accuracy

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(direction="maximize",
                                sampler=optuna.samplers.GridSampler(space, seed=0))
    study.optimize(objective, n_trials=n_trials)
    wall = time.perf_counter() - PROCESS_START
    with open(args.out, "w") as f:
        json.dump({"wall_seconds": wall, "train_examples": len(train_set),
                   "test_examples": len(test_set), "torch": torch.__version__,
                   "threads": torch.get_num_threads(), "trials": results}, f, indent=1)


if __name__ == "__main__":
    main()
