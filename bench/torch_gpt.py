#!/usr/bin/python3
"""torch_gpt.py - the PyTorch peer of `bench_step --model gpt`: duet's
GPTPreNorm as written in tests/gpt/gpt_reference.py (the model the parity
test checks against duet), at the nanoGPT character-level CPU size (vocab
256, context 64, width 128, 4 heads, depth 4), trained by torch.optim.AdamW
at the settings of examples/kjv_gpt.duet's AdamW arm (lr 2e-3, betas
0.9/0.999, eps 1e-8, weight decay 0.01) on one thread.

  torch_gpt.py step --batch B --steps N
      times N training steps on one fixed random batch (after warm-up) and
      prints `key value` lines.
Run with OPENBLAS_NUM_THREADS=1 (bench/run.sh does).
"""
import argparse
import math
import os
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "tests", "gpt"))
import gpt_reference  # noqa: E402

VOCAB, CONTEXT, WIDTH, HEADS, DEPTH = 256, 64, 128, 4, 4
LR, BETAS, EPS, WD = 2e-3, (0.9, 0.999), 1e-8, 0.01


class Peer:
    """The model, its optimizer and one fixed random batch."""

    def __init__(self, batch, seed=0):
        g = torch.Generator().manual_seed(seed)
        self.w = []
        for rows, cols in gpt_reference.weight_shapes(VOCAB, WIDTH, DEPTH):
            scale = 1.0 if not self.w else 1 / math.sqrt(cols)   # the embedding: N(0, 1)
            self.w.append((scale * torch.randn(rows, cols, generator=g)).requires_grad_())
        self.opt = torch.optim.AdamW(self.w, lr=LR, betas=BETAS, eps=EPS, weight_decay=WD)
        self.x = torch.randint(0, VOCAB, (batch, CONTEXT), generator=g)
        self.y = torch.randint(0, VOCAB, (batch, CONTEXT), generator=g)

    def step(self):
        self.opt.zero_grad(set_to_none=True)
        loss = gpt_reference.loss(self.w, self.x, self.y, HEADS, DEPTH)
        loss.backward()
        self.opt.step()
        return loss.item()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("mode", choices=["step"])
    ap.add_argument("--batch", type=int, default=12)
    ap.add_argument("--steps", type=int, default=100)
    ap.add_argument("--warmup", type=int, default=10)
    args = ap.parse_args()
    torch.set_num_threads(1)
    peer = Peer(args.batch)
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
    print("tokens_per_s %.0f" % (args.batch * CONTEXT / np.median(s) * 1e3))


if __name__ == "__main__":
    main()
