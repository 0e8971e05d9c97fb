"""Reference for bench/train_step: one BERT-for-sequence-classification training step in Python
PyTorch, written op for op like nasq's C++ model (worker/model/bert_model.cc) and trainer (AdamW,
gradient clipping at 1.0, cross-entropy). Prints "torch_version <version>" and, last, the median
milliseconds per step: "ms_per_step <wall> <process cpu>".

Usage: python3 train_step_reference.py --threads N [--steps S] [--warmup W]
       [--batch B] [--seq T] [--device cpu|cuda]
"""
import argparse
import math
import statistics
import time

import torch
import torch.nn.functional as F
from torch import nn


class Layer(nn.Module):
    def __init__(self, hidden, heads, inter, p):
        super().__init__()
        self.heads, self.head_dim, self.p = heads, hidden // heads, p
        self.query, self.key, self.value = (nn.Linear(hidden, hidden) for _ in range(3))
        self.attention_dense = nn.Linear(hidden, hidden)
        self.attention_norm = nn.LayerNorm(hidden, eps=1e-12)
        self.intermediate = nn.Linear(hidden, inter)
        self.output = nn.Linear(inter, hidden)
        self.output_norm = nn.LayerNorm(hidden, eps=1e-12)

    def forward(self, x, mask_add):
        b, t, _ = x.shape
        split = lambda y: y.view(b, t, self.heads, self.head_dim).permute(0, 2, 1, 3)
        q, k, v = split(self.query(x)), split(self.key(x)), split(self.value(x))
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(self.head_dim) + mask_add
        probs = F.dropout(torch.softmax(scores, -1), self.p, self.training)
        context = torch.matmul(probs, v).permute(0, 2, 1, 3).contiguous().view(b, t, -1)
        attended = self.attention_norm(
            F.dropout(self.attention_dense(context), self.p, self.training) + x)
        inner = F.gelu(self.intermediate(attended))
        return self.output_norm(F.dropout(self.output(inner), self.p, self.training) + attended)


class Bert(nn.Module):
    def __init__(self, vocab=30522, hidden=128, layers=2, heads=2, inter=512, positions=512,
                 labels=2, p=0.1):
        super().__init__()
        self.p = p
        self.word = nn.Embedding(vocab, hidden, padding_idx=0)
        self.position = nn.Embedding(positions, hidden)
        self.token_type = nn.Embedding(2, hidden)
        self.norm = nn.LayerNorm(hidden, eps=1e-12)
        self.layers = nn.ModuleList(Layer(hidden, heads, inter, p) for _ in range(layers))
        self.pooler = nn.Linear(hidden, hidden)
        self.classifier = nn.Linear(hidden, labels)

    def forward(self, ids, mask):
        positions = torch.arange(ids.shape[1], device=ids.device).unsqueeze(0)
        h = self.word(ids) + self.token_type(torch.zeros_like(ids)) + self.position(positions)
        h = F.dropout(self.norm(h), self.p, self.training)
        mask_add = (1.0 - mask.to(h.dtype)[:, None, None, :]) * torch.finfo(torch.float32).min
        for layer in self.layers:
            h = layer(h, mask_add)
        pooled = torch.tanh(self.pooler(h[:, 0]))
        return self.classifier(F.dropout(pooled, self.p, self.training))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, required=True)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--seq", type=int, default=128)
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    device = torch.device(args.device)
    model = Bert().to(device).train()
    decay = [p for n, p in model.named_parameters() if "bias" not in n and "norm" not in n]
    no_decay = [p for n, p in model.named_parameters() if "bias" in n or "norm" in n]
    optimizer = torch.optim.AdamW([{"params": decay, "weight_decay": 0.0},
                                   {"params": no_decay, "weight_decay": 0.0}],
                                  lr=5e-5, betas=(0.9, 0.999), eps=1e-8)
    ids = torch.randint(1, 30522, (args.batch, args.seq), device=device)
    mask = torch.ones_like(ids)
    labels = torch.randint(0, 2, (args.batch,), device=device)
    times, cpu_times = [], []
    for step in range(args.warmup + args.steps):
        start, cpu_start = time.perf_counter(), time.process_time()
        loss = F.cross_entropy(model(ids, mask).float(), labels)
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        loss.item()
        if step >= args.warmup:
            times.append((time.perf_counter() - start) * 1000.0)
            cpu_times.append((time.process_time() - cpu_start) * 1000.0)
    print(f"torch_version {torch.__version__}")
    print(f"ms_per_step {statistics.median(times):.3f} {statistics.median(cpu_times):.3f}")


if __name__ == "__main__":
    main()
