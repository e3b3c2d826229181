#!/usr/bin/python3
"""compare_step.py - times duet's training step (bench_step --serve) and the
PyTorch peer's (torch_mlp.py, torch_gpt.py, torch_cnn.py) in lockstep: each
iteration runs one PyTorch step and one duet step back to back (alternating
which goes first), so that load changes on a shared machine hit both
alike. duet's process also times the GEMM floor and (MLP, Dual)
Newton-Schulz alone in the same iteration, right after its step.

A step that follows the other process's step runs slower than one that
follows its own (2026-12-07, the MLP's AdamW step at batch 256: 8.15 ms
after PyTorch's step, 7.45 ms after its own; PyTorch's 17.0 against 14.5
ms), and the floor, run right after duet's step, never pays that. So the
two processes' steps are compared over all iterations (each follows the
other in half of them), and duet's step is compared with its floor over
the iterations in which it followed its own (duet_over_floor), both warm;
duet_over_floor_cold is the other half.

  compare_step.py --bench BUILD/bench/bench_step [--model mlp|gpt|cnn]
                  --opt adamw|dual --batch B --steps N [--ns bf16|f32]
                  [--duet-env KEY=VALUE]...
The GPT's Dual peer is torch_gpt.DualGPT, the CNN's torch_cnn.DualCNN.
--ns: the peer's Newton-Schulz precision (default bf16, as Muon's
reference). --duet-env sets a variable for duet's
process alone (run.sh restores OPENBLAS_CORETYPE there when it unsets it
for PyTorch).
Prints `key value` lines: medians and quartiles in ms, and ratios (median of
the per-iteration ratios). Run with OPENBLAS_NUM_THREADS=1.
"""
import argparse
import os
import subprocess
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch_cnn  # noqa: E402
import torch_gpt  # noqa: E402
import torch_mlp  # noqa: E402


class Duet:
    """bench_step --serve as a child process."""

    def __init__(self, path, model, opt, batch, env):
        self.proc = subprocess.Popen(
            [path, "--serve", "--model", model, "--opt", opt, "--batch", str(batch)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1,
            env={**os.environ, **env})
        self.info = {}
        for line in self.proc.stdout:
            if line.strip() == "ready":
                return
            key, value = line.split()
            self.info[key] = float(value)
        raise RuntimeError("bench_step exited before it was ready")

    def iterate(self):
        """One duet step, floor and Newton-Schulz: their seconds."""
        self.proc.stdin.write("1\n")
        return [float(v) for v in self.proc.stdout.readline().split()]

    def close(self):
        self.proc.stdin.close()
        self.conv_picks = []
        for line in self.proc.stdout:
            if line.startswith("conv_pick "):
                self.conv_picks.append(line.split(None, 1)[1].strip())
                continue
            key, value = line.split()
            self.info[key] = float(value)
        if self.proc.wait() != 0:
            raise RuntimeError("bench_step failed")


class TorchMLP:
    """The PyTorch peer of the MLP on a fixed random batch."""

    def __init__(self, opt, batch):
        self.model = torch_mlp.make_model(0)
        self.opt = torch_mlp.make_optimizer(opt, self.model.parameters())
        g = torch.Generator().manual_seed(1)
        self.x = torch.rand(batch, torch_mlp.WIDTHS[0], generator=g)
        self.y = torch.randint(0, torch_mlp.WIDTHS[-1], (batch,), generator=g)
        self.u = [torch.randn(w.shape, generator=g) for w in self.model.parameters()]
        self.dual = opt == "dual"

    def iterate(self):
        """One step, then (Dual) Newton-Schulz alone: their seconds."""
        t0 = time.perf_counter()
        torch_mlp.train_step(self.model, self.opt, self.x, self.y)
        t1 = time.perf_counter()
        if self.dual:
            for u in self.u:
                torch_mlp.newton_schulz(u)
        return [t1 - t0, time.perf_counter() - t1]


class TorchPeer:
    """The PyTorch peer of the GPT or the CNN (torch_gpt.Peer, torch_cnn.Peer)
    on a fixed random batch."""

    def __init__(self, module, opt, batch):
        self.peer = module.Peer(batch, opt)

    def iterate(self):
        """One step: its seconds."""
        t0 = time.perf_counter()
        self.peer.step()
        return [time.perf_counter() - t0]


def stats(key, v):
    v = np.sort(np.asarray(v))
    n = len(v)
    print("%s %.4f\n%s_p25 %.4f\n%s_p75 %.4f" % (key, np.median(v), key, v[n // 4], key,
                                                v[(3 * n) // 4]))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bench", required=True, help="path of bench_step")
    ap.add_argument("--model", choices=["mlp", "gpt", "cnn"], default="mlp")
    ap.add_argument("--opt", choices=["adamw", "dual"], default="adamw")
    ap.add_argument("--batch", type=int, default=None,
                    help="default: 128 (MLP), 12 (GPT)")
    ap.add_argument("--steps", type=int, default=100)
    ap.add_argument("--warmup", type=int, default=10)
    ap.add_argument("--ns", choices=sorted(torch_mlp.NS_DTYPE), default="bf16")
    ap.add_argument("--duet-env", action="append", default=[])
    args = ap.parse_args()
    torch_mlp.ns_dtype = torch_mlp.NS_DTYPE[args.ns]
    if args.batch is None:
        args.batch = 12 if args.model == "gpt" else 128
    torch.set_num_threads(1)

    duet = Duet(args.bench, args.model, args.opt, args.batch,
                dict(kv.split("=", 1) for kv in args.duet_env))
    peers = {"gpt": torch_gpt, "cnn": torch_cnn}
    peer = (TorchPeer(peers[args.model], args.opt, args.batch) if args.model in peers
            else TorchMLP(args.opt, args.batch))
    for _ in range(args.warmup):
        peer.iterate()
    d, t = [], []
    for i in range(args.steps):
        if i % 2:
            d.append(duet.iterate())
            t.append(peer.iterate())
        else:
            t.append(peer.iterate())
            d.append(duet.iterate())
    duet.close()
    d = np.asarray(d) * 1e3
    t = np.asarray(t) * 1e3

    for key in ("compile_s_logged", "compile_s", "arena_bytes", "step_arena_bytes",
                "logged_step_ms"):
        print("duet_%s %g" % (key, duet.info[key]))
    for pick in duet.conv_picks:
        print("duet_conv_pick", pick)
    stats("duet_step_ms", d[:, 0])
    stats("floor_ms", d[:, 1])
    stats("torch_step_ms", t[:, 0])
    stats("duet_over_torch", d[:, 0] / t[:, 0])
    warm = np.arange(args.steps) % 2 == 1   # duet ran first: after its own iteration
    stats("duet_over_floor", d[warm, 0] / d[warm, 1])
    stats("duet_over_floor_cold", d[~warm, 0] / d[~warm, 1])
    stats("torch_over_floor", t[:, 0] / d[:, 1])
    if args.model == "gpt":
        tokens = args.batch * torch_gpt.CONTEXT
        print("duet_tokens_per_s %.0f" % (tokens / np.median(d[:, 0]) * 1e3))
        print("torch_tokens_per_s %.0f" % (tokens / np.median(t[:, 0]) * 1e3))
    if args.model == "mlp" and args.opt == "dual":
        stats("duet_ns_ms", d[:, 2])
        stats("duet_ns_f32_ms", d[:, 3])
        stats("ns_bf16_speedup", d[:, 3] / d[:, 2])
        stats("torch_ns_ms", t[:, 1])
        stats("ns_duet_over_torch", d[:, 2] / t[:, 1])
        print("duet_ns_share %.4f" % (np.median(d[:, 2]) / np.median(d[:, 0])))
        print("torch_ns_share %.4f" % (np.median(t[:, 1]) / np.median(t[:, 0])))
    print("duet_peak_rss_kb %d" % duet.info["peak_rss_kb"])
    print("torch_peak_rss_kb %d" % torch_mlp.peak_rss_kb())


if __name__ == "__main__":
    main()
