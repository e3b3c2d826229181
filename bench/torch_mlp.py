#!/usr/bin/python3
"""torch_mlp.py - the PyTorch peer of bench_step: the Fashion-MNIST MLP
(784-512-512-10, GELU with the tanh approximation, no biases) trained by the
same optimizer (AdamW, or Dual: Nesterov momentum 0.95 then the
Newton-Schulz quintic on every weight, scaled by sqrt(out/in) and its step
share as `duet explain` prints it), on one thread. The Newton-Schulz iteration runs in bfloat16 as
Muon's reference (zeropower_via_newtonschulz5) runs it, or (--ns f32) in
float32.

  torch_mlp.py step  --opt adamw|dual --batch B --steps N
      times N training steps on one fixed random batch (after warm-up) and
      the Newton-Schulz part alone; prints `key value` lines.
  torch_mlp.py train --opt adamw|dual --batch B --epochs E
      trains on Fashion-MNIST (shuffled batches, linear decay, test
      accuracy at the end) and prints the peak resident memory.
Run with OPENBLAS_NUM_THREADS=1 (bench/run.sh does).
"""
import argparse
import gzip
import math
import os
import time

import numpy as np
import torch
import torch.nn.functional as F

WIDTHS = (784, 512, 512, 10)
DATA_DIR = "/usr/share/datasets/fashion-mnist"
MEAN, STD = 0.2860, 0.3530  # pixel / 255 is normalized as duet's runtime does
NS_ABC = (3.4445, -4.7750, 2.0315)
# each weight's step share: 1 / (3 g^k), k the gelus after it, g = 0.65207
# gelu's sensitivity (stdlib/nn.duet), as `duet explain` prints them
GELU_GAIN = 0.6520687931753055
SHARES = [1 / (3 * GELU_GAIN ** (len(WIDTHS) - 2 - i)) for i in range(len(WIDTHS) - 1)]


NS_DTYPE = {"bf16": torch.bfloat16, "f32": torch.float32}
ns_dtype = torch.bfloat16


def newton_schulz(g, steps=5, eps=1e-7):
    """Muon's reference iteration on g [.., rows, cols] (each matrix of the
    leading axes on its own): in ns_dtype (bfloat16 in the reference), the
    result back in g's dtype."""
    a, b, c = NS_ABC
    x = g.to(ns_dtype)
    x = x / (x.norm(dim=(-2, -1), keepdim=True) + eps)
    transposed = x.size(-2) > x.size(-1)
    if transposed:
        x = x.mT
    for _ in range(steps):
        A = x @ x.mT
        B = b * A + c * A @ A
        x = a * x + B @ x
    return (x.mT if transposed else x).to(g.dtype)


def nesterov(state, w, beta):
    """Nesterov momentum as duet's Dual and Muon's reference take it: the
    buffer m <- beta m + (1 - beta) g, the direction beta m + (1 - beta) g."""
    if "m" not in state:
        state["m"] = torch.zeros_like(w)
    m = state["m"]
    m.mul_(beta).add_(w.grad, alpha=1 - beta)
    return m.mul(beta).add_(w.grad, alpha=1 - beta)


class Dual(torch.optim.Optimizer):
    """duet's derived optimizer for this MLP: every Linear weight gets
    share * sqrt(out/in) * NS(nesterov momentum)."""

    def __init__(self, params, lr=0.02, beta=0.95):
        super().__init__(params, dict(lr=lr, beta=beta))

    @torch.no_grad()
    def step(self, schedule=1.0):
        for group in self.param_groups:
            beta = group["beta"]
            for i, w in enumerate(group["params"]):
                u = nesterov(self.state[w], w, beta)
                scale = group["lr"] * schedule * SHARES[i] * math.sqrt(w.size(0) / w.size(1))
                w.add_(newton_schulz(u), alpha=-scale)


def make_model(seed):
    torch.manual_seed(seed)
    layers = []
    for i in range(len(WIDTHS) - 1):
        layers.append(torch.nn.Linear(WIDTHS[i], WIDTHS[i + 1], bias=False))
        if i + 2 < len(WIDTHS):
            layers.append(torch.nn.GELU(approximate="tanh"))
    model = torch.nn.Sequential(*layers)
    for layer in model:
        if isinstance(layer, torch.nn.Linear):
            out, inp = layer.weight.shape
            torch.nn.init.orthogonal_(layer.weight, gain=math.sqrt(out / inp))
    return model


def make_optimizer(name, params):
    if name == "adamw":
        return torch.optim.AdamW(params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8,
                                 weight_decay=0.01)
    return Dual(params, lr=0.02)


def train_step(model, opt, x, y, schedule=1.0):
    opt.zero_grad(set_to_none=True)
    loss = F.cross_entropy(model(x), y)
    loss.backward()
    if isinstance(opt, Dual):
        opt.step(schedule)
    else:
        for group in opt.param_groups:
            group["lr"] = 1e-3 * schedule
        opt.step()
    return loss


def peak_rss_kb():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return -1


def median(v):
    return float(np.median(np.asarray(v)))


def cmd_step(args):
    model = make_model(0)
    opt = make_optimizer(args.opt, model.parameters())
    g = torch.Generator().manual_seed(1)
    x = torch.rand(args.batch, WIDTHS[0], generator=g)
    y = torch.randint(0, WIDTHS[-1], (args.batch,), generator=g)
    for _ in range(args.warmup):
        train_step(model, opt, x, y)
    weights = [p for p in model.parameters()]
    grads = [torch.randn(w.shape, generator=g) for w in weights]
    steps, ns = [], []
    for _ in range(args.steps):
        t0 = time.perf_counter()
        train_step(model, opt, x, y)
        steps.append(time.perf_counter() - t0)
        if args.opt == "dual":
            t0 = time.perf_counter()
            for u in grads:
                newton_schulz(u)
            ns.append(time.perf_counter() - t0)
    s = np.sort(np.asarray(steps)) * 1e3
    print("step_ms %.4f" % median(s))
    print("step_ms_p25 %.4f" % s[len(s) // 4])
    print("step_ms_p75 %.4f" % s[(3 * len(s)) // 4])
    if ns:
        print("ns_ms %.4f" % (median(ns) * 1e3))
    print("peak_rss_kb %d" % peak_rss_kb())


def time_peer(doc, peer_class, batch):
    """The `step` command of the GPT's and the CNN's peers: times --steps
    steps of peer_class(batch, opt) after --warmup, prints the median and
    quartiles in ms; returns (batch, median ms)."""
    ap = argparse.ArgumentParser(description=doc.split("\n")[0])
    ap.add_argument("mode", choices=["step"])
    ap.add_argument("--opt", choices=["adamw", "dual"], default="adamw")
    ap.add_argument("--batch", type=int, default=batch)
    ap.add_argument("--steps", type=int, default=100)
    ap.add_argument("--warmup", type=int, default=10)
    args = ap.parse_args()
    torch.set_num_threads(1)
    peer = peer_class(args.batch, args.opt)
    for _ in range(args.warmup):
        peer.step()
    times = []
    for _ in range(args.steps):
        t0 = time.perf_counter()
        peer.step()
        times.append(time.perf_counter() - t0)
    s = np.sort(np.asarray(times)) * 1e3
    print("step_ms %.4f" % np.median(s))
    print("step_ms_p25 %.4f" % s[len(s) // 4])
    print("step_ms_p75 %.4f" % s[(3 * len(s)) // 4])
    return args.batch, float(np.median(s))


def read_idx(name):
    with gzip.open(os.path.join(DATA_DIR, name), "rb") as f:
        data = f.read()
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def load_split(split):
    prefix = "train" if split == "train" else "t10k"
    x = read_idx(prefix + "-images-idx3-ubyte.gz").reshape(-1, WIDTHS[0])
    y = read_idx(prefix + "-labels-idx1-ubyte.gz")
    table = ((np.arange(256, dtype=np.float32) / 255 - MEAN) / STD).astype(np.float32)
    return torch.from_numpy(table[x]), torch.from_numpy(y.astype(np.int64))


def cmd_train(args):
    xtr, ytr = load_split("train")
    xte, yte = load_split("test")
    model = make_model(0)
    opt = make_optimizer(args.opt, model.parameters())
    per_epoch = xtr.shape[0] // args.batch
    total = per_epoch * args.epochs
    g = torch.Generator().manual_seed(0)
    t0 = time.perf_counter()
    step = 0
    for _ in range(args.epochs):
        order = torch.randperm(xtr.shape[0], generator=g)
        for i in range(per_epoch):
            idx = order[i * args.batch:(i + 1) * args.batch]
            train_step(model, opt, xtr[idx], ytr[idx], 1.0 - step / total)
            step += 1
    seconds = time.perf_counter() - t0
    with torch.no_grad():
        acc = (model(xte).argmax(1) == yte).float().mean().item()
    print("train_steps %d" % total)
    print("train_ms_per_step %.3f" % (seconds * 1e3 / total))
    print("test_accuracy %.4f" % acc)
    print("peak_rss_kb %d" % peak_rss_kb())


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("mode", choices=["step", "train"])
    ap.add_argument("--opt", choices=["adamw", "dual"], default="adamw")
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--steps", type=int, default=100)
    ap.add_argument("--warmup", type=int, default=10)
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--ns", choices=sorted(NS_DTYPE), default="bf16",
                    help="the Newton-Schulz precision (default bf16, as Muon's reference)")
    args = ap.parse_args()
    global ns_dtype
    ns_dtype = NS_DTYPE[args.ns]
    torch.set_num_threads(1)
    (cmd_step if args.mode == "step" else cmd_train)(args)


if __name__ == "__main__":
    main()
