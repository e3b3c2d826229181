#!/usr/bin/python3
"""torch_cnn.py - the PyTorch peer of `bench_step --model cnn`: the network
of examples/fashion_cnn.duet written with torch.nn.functional (3x3
convolutions 1 -> 32 and 32 -> 64 with padding 1, each followed by relu and
2x2 max pooling, then Linear 3136 -> 128, relu, Linear 128 -> 10; no
biases, as duet's Conv2D and Linear), trained on one thread by
torch.optim.AdamW (lr 1e-3, betas 0.9/0.999, eps 1e-8, weight decay 0.01,
as the MLP's peer) or by Dual, the derived optimizer of the example (lr
0.05, Nesterov momentum 0.95): a convolution's update is Muon's reference
Newton-Schulz (torch_mlp.newton_schulz, bf16 operands) on every kernel tap
[out, in] on its own (duet's per-tap Conv2D rule, batched over the 9 taps)
scaled by sqrt(out / in) / 9, a Linear's NS scaled by sqrt(out / in), each
times its step share.

  torch_cnn.py step [--opt adamw|dual] --batch B --steps N
      times N training steps on one fixed random batch (after warm-up) and
      prints `key value` lines.
Run with OPENBLAS_NUM_THREADS=1 (bench/run.sh does).
"""
import math
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch_mlp  # noqa: E402

# [out, in, k, k] of the convolutions, [out, in] of the Linear layers
SHAPES = [(32, 1, 3, 3), (64, 32, 3, 3), (128, 3136), (10, 128)]
CLASSES = 10
DUAL_LR, DUAL_BETA = 0.05, 0.95
# each weight's step share, as `duet explain examples/fashion_cnn.duet`
# prints it
SHARES = [1 / math.sqrt(2), 1 / 2, 1 / math.sqrt(8), 1 / 4]


def forward(w, x):
    """Logits [batch, 10] of images x [batch, 1, 28, 28]."""
    h = F.max_pool2d(F.relu(F.conv2d(x, w[0], padding=1)), 2)
    h = F.max_pool2d(F.relu(F.conv2d(h, w[1], padding=1)), 2)
    h = F.relu(h.flatten(1) @ w[2].T)
    return h @ w[3].T


class DualCNN(torch.optim.Optimizer):
    """duet's Dual on the example's network (see the top of the file)."""

    def __init__(self, params):
        super().__init__(params, dict(lr=DUAL_LR, beta=DUAL_BETA))

    @staticmethod
    def direction(u):
        ns = torch_mlp.newton_schulz
        scale = math.sqrt(u.size(0) / u.size(1))
        if u.dim() == 4:
            k2 = u.size(2) * u.size(3)
            return scale / k2 * ns(u.permute(2, 3, 0, 1)).permute(2, 3, 0, 1)
        return scale * ns(u)

    @torch.no_grad()
    def step(self):
        for group in self.param_groups:
            beta = group["beta"]
            for i, w in enumerate(group["params"]):
                u = torch_mlp.nesterov(self.state[w], w, beta)
                w.add_(self.direction(u), alpha=-group["lr"] * SHARES[i])


class Peer:
    """The network, its optimizer and one fixed random batch."""

    def __init__(self, batch, opt="adamw", seed=0):
        g = torch.Generator().manual_seed(seed)
        self.w = []
        for shape in SHAPES:
            fan_in = math.prod(shape[1:])
            self.w.append((torch.randn(shape, generator=g) / math.sqrt(fan_in)).requires_grad_())
        self.opt = (DualCNN(self.w) if opt == "dual" else
                    torch.optim.AdamW(self.w, lr=1e-3, betas=(0.9, 0.999), eps=1e-8,
                                      weight_decay=0.01))
        self.x = torch.rand(batch, 1, 28, 28, generator=g)
        self.y = torch.randint(0, CLASSES, (batch,), generator=g)

    def step(self):
        self.opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(forward(self.w, self.x), self.y)
        loss.backward()
        self.opt.step()
        return loss.item()


def main():
    torch_mlp.time_peer(__doc__, Peer, batch=128)


if __name__ == "__main__":
    main()
