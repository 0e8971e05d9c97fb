"""A nasq Python worker's function: trains a small PyTorch MLP on two interleaved spirals.

`train(trial)` reads the architecture and learning rate from trial.params and the data and
schedule from trial.task (study.yaml's task section), reports the validation accuracy after
every epoch (trial.report; the study's pruner may answer prune) and returns the metrics, of
which the study's objective `accuracy` is one. Uses only torch (no numpy), one CPU thread, and
a seed per trial, so a trial's result is reproducible.

    python -m nasq.worker --fn examples/python-worker/train.py:train
"""
import math
import time

import torch

import nasq

ACTIVATIONS = {"relu": torch.nn.ReLU, "tanh": torch.nn.Tanh}


def spirals(points_per_class: int, turns: float, noise: float, seed: int):
    """Two spirals, one per class, in the plane: (points, 2) features and (points,) labels."""
    generator = torch.Generator().manual_seed(seed)
    t = torch.rand(points_per_class, generator=generator) * turns * 2 * math.pi + 0.5
    features, labels = [], []
    for label, phase in ((0, 0.0), (1, math.pi)):
        arm = torch.stack([t * torch.cos(t + phase), t * torch.sin(t + phase)], dim=1) / t.max()
        features.append(arm + noise * torch.randn(arm.shape, generator=generator))
        labels.append(torch.full((points_per_class,), label))
    order = torch.randperm(2 * points_per_class, generator=generator)
    return torch.cat(features)[order], torch.cat(labels)[order]


def mlp(hidden: int, layers: int, activation: str) -> torch.nn.Module:
    modules, width = [], 2
    for _ in range(layers):
        modules += [torch.nn.Linear(width, hidden), ACTIVATIONS[activation]()]
        width = hidden
    return torch.nn.Sequential(*modules, torch.nn.Linear(width, 2))


def accuracy(model: torch.nn.Module, features: torch.Tensor, labels: torch.Tensor) -> float:
    with torch.no_grad():
        return (model(features).argmax(dim=1) == labels).float().mean().item()


def train(trial) -> dict:
    torch.set_num_threads(1)
    data, task, params = trial.task["data"], trial.task, trial.params
    features, labels = spirals(data["points_per_class"], data["turns"], data["noise"], data["seed"])
    n_validation = int(len(labels) * data["validation_fraction"])
    valid_x, valid_y = features[:n_validation], labels[:n_validation]
    train_x, train_y = features[n_validation:], labels[n_validation:]

    torch.manual_seed(trial.number)
    model = mlp(params["hidden"], params["layers"], params["activation"])
    optimizer = torch.optim.Adam(model.parameters(), lr=params["learning_rate"])
    started = time.perf_counter()
    for epoch in range(task["epochs"]):
        for batch in torch.randperm(len(train_y)).split(task["batch_size"]):
            optimizer.zero_grad()
            torch.nn.functional.cross_entropy(model(train_x[batch]), train_y[batch]).backward()
            optimizer.step()
        valid_accuracy = accuracy(model, valid_x, valid_y)
        if trial.report(valid_accuracy, step=epoch):
            raise nasq.TrialPruned()  # the study's median pruner: behind the other trials
        if trial.should_stop():  # the study was stopped: the result is not wanted
            break
    return {"accuracy": valid_accuracy,
            "train_accuracy": accuracy(model, train_x, train_y),
            "parameters": sum(p.numel() for p in model.parameters()),
            "train_seconds": time.perf_counter() - started}
