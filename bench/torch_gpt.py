#!/usr/bin/python3
"""torch_gpt.py - the PyTorch peer of `bench_step --model gpt`: duet's
GPTPreNorm as written in tests/gpt/gpt_reference.py (the model the parity
test checks against duet), at the nanoGPT character-level CPU size (vocab
256, context 64, width 128, 4 heads, depth 4), trained on one thread by
torch.optim.AdamW at the settings of examples/kjv_gpt.duet's AdamW arm (lr
2e-3, betas 0.9/0.999, eps 1e-8, weight decay 0.01), or by Dual: the
derived optimizer of that example (lr 0.05, Nesterov momentum 0.95, the
"compositional" attention rule) with Muon's reference Newton-Schulz
(torch_mlp.newton_schulz, bf16 operands) on every matrix duet's Dual
orthogonalizes (see DualGPT).

  torch_gpt.py step [--opt adamw|dual] --batch B --steps N
      times N training steps on one fixed random batch (after warm-up) and
      prints `key value` lines.
Run with OPENBLAS_NUM_THREADS=1 (bench/run.sh does).
"""
import math
import os
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "tests", "gpt"))
import gpt_reference  # noqa: E402
import torch_mlp  # noqa: E402

VOCAB, CONTEXT, WIDTH, HEADS, DEPTH = 256, 64, 128, 4, 4
LR, BETAS, EPS, WD = 2e-3, (0.9, 0.999), 1e-8, 0.01
DUAL_LR, DUAL_BETA, LAMBDA = 0.05, 0.95, 0.01   # Dual(lr = 0.05); Attention's lambda
# each weight's step share, as `duet explain examples/kjv_gpt.duet` prints
# it: the embedding and the head 1/7, every block weight 10/21
SHARES = [1 / 7] + [10 / 21] * (6 * DEPTH) + [1 / 7]


def spd_pow(a, p):
    """a^p of symmetric positive definite matrices [.., n, n] (eigh)."""
    e, v = torch.linalg.eigh(a)
    return (v * e.unsqueeze(-2) ** p) @ v.mT


def heads_of(w):
    """The rows of each head of a [width, width] weight, [heads, dh, width]."""
    return w.reshape(HEADS, WIDTH // HEADS, WIDTH)


def partner(rows):
    """(W_h W_h^T + lambda I)^(-1/2) of every head's rows [heads, dh, width]."""
    return spd_pow(rows @ rows.mT + LAMBDA * torch.eye(rows.size(-2)), -0.5)


class DualGPT(torch.optim.Optimizer):
    """duet's Dual on GPTPreNorm (stdlib/gpt.duet, stdlib/attention.duet):
    u = Nesterov momentum 0.95 of the gradient, then per weight
      Embed E      normalize_rows(u) (every row divided by its RMS; no
                   orthogonalization, as duet's Embed atom);
      Q, K, V      per head h, 1/2 F_h NS(F_h U_h), F_h the partner factor
                   (W_h W_h^T + lambda I)^(-1/2) of K's, Q's, O's head rows
                   (the "compositional" rule);
      O            1/2 NS(U D) D, D = blockdiag_h of V's partner factors;
      MLP W1, W2   sqrt(out / in) NS(u), as duet's Linear (Muon's
                   sqrt(max(1, rows / cols)) differs only by this constant);
      Head W       sqrt(vocab / width) center_rows(NS(u));
    times the weight's step share (SHARES) and lr. NS is Muon's reference
    (torch_mlp.newton_schulz: 5 quintic steps on bf16 operands, batched
    over the heads)."""

    def __init__(self, params):
        super().__init__(params, dict(lr=DUAL_LR, beta=DUAL_BETA))

    @staticmethod
    def direction(i, w, u, weights):
        ns = torch_mlp.newton_schulz
        if i == 0:
            return u / u.pow(2).mean(-1, keepdim=True).sqrt().clamp_min(1e-30)
        if i == len(weights) - 1:
            o = ns(u)
            return math.sqrt(VOCAB / WIDTH) * (o - o.mean(0, keepdim=True))
        block = weights[1 + 6 * ((i - 1) // 6):7 + 6 * ((i - 1) // 6)]
        q, k, v, o = block[:4]
        kind = (i - 1) % 6
        if kind >= 4:
            return math.sqrt(w.size(0) / w.size(1)) * ns(u)
        if kind == 3:
            d = torch.block_diag(*partner(heads_of(v)))
            return 0.5 * ns(u @ d) @ d
        rows = (heads_of(k), heads_of(q), o.reshape(WIDTH, HEADS, -1).permute(1, 2, 0))[kind]
        f = partner(rows)
        return 0.5 * (f @ ns(f @ heads_of(u))).reshape(WIDTH, WIDTH)

    @torch.no_grad()
    def step(self):
        for group in self.param_groups:
            beta, ws = group["beta"], group["params"]
            steps = []   # every direction from the weights before the step
            for i, w in enumerate(ws):
                u = torch_mlp.nesterov(self.state[w], w, beta)
                steps.append(self.direction(i, w, u, ws))
            for i, w in enumerate(ws):
                w.add_(steps[i], alpha=-group["lr"] * SHARES[i])


class Peer:
    """The model, its optimizer and one fixed random batch."""

    def __init__(self, batch, opt="adamw", seed=0):
        g = torch.Generator().manual_seed(seed)
        self.w = []
        for rows, cols in gpt_reference.weight_shapes(VOCAB, WIDTH, DEPTH):
            scale = 1.0 if not self.w else 1 / math.sqrt(cols)   # the embedding: N(0, 1)
            self.w.append((scale * torch.randn(rows, cols, generator=g)).requires_grad_())
        self.opt = (DualGPT(self.w) if opt == "dual" else
                    torch.optim.AdamW(self.w, lr=LR, betas=BETAS, eps=EPS, weight_decay=WD))
        self.x = torch.randint(0, VOCAB, (batch, CONTEXT), generator=g)
        self.y = torch.randint(0, VOCAB, (batch, CONTEXT), generator=g)

    def step(self):
        self.opt.zero_grad(set_to_none=True)
        loss = gpt_reference.loss(self.w, self.x, self.y, HEADS, DEPTH)
        loss.backward()
        self.opt.step()
        return loss.item()


def main():
    batch, ms = torch_mlp.time_peer(__doc__, Peer, batch=12)
    print("tokens_per_s %.0f" % (batch * CONTEXT / ms * 1e3))


if __name__ == "__main__":
    main()
