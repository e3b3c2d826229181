"""A PyTorch reference of a tiny pre-norm GPT (torch.py.duet): the same
model written directly in torch (token embedding; per block
h <- (1 - 1/L) h + 1/L f(rmsnorm(h)) with f causal multi-head attention with
interleaved RoPE, then the scaled-GELU MLP; rmsnorm and the head), started
from duet's initial weights (a --steps 0 checkpoint) and fed the batches
duet trained on (--dump-batches), trained with torch.optim.AdamW. The first
five training losses must agree with duet's in float32 and in float64 to
1e-4 relative, and in float64 the weights after them to 1e-8.

usage: test_torch_reference.py DUET WORKDIR"""
import math
import os
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "driver"))
from drvtest import Test, read_jsonl, read_safetensors  # noqa: E402

SRC = os.path.join(HERE, "torch.duet")
STEPS, TOL = 5, 1e-4
VOCAB, WIDTH, HEADS, DEPTH = 256, 16, 2, 2
LR, WD = 0.01, 0.01
ROOT = "model.GPTPreNorm"


def rmsnorm(x):
    return x / torch.sqrt(torch.mean(x * x, dim=-1, keepdim=True) + 1e-6)


def sgelu(x):
    g = 0.5 * x * (1 + torch.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))
    return g / 0.6520687931753055


def rope(x):
    """Rotates pairs (2i, 2i+1) of [B, H, T, D] by t * 10000^(-2i/D)."""
    t, d = x.shape[-2], x.shape[-1]
    freq = 10000.0 ** (-torch.arange(0, d, 2, dtype=x.dtype) / d)
    ang = torch.arange(t, dtype=x.dtype)[:, None] * freq[None, :]
    c, s = torch.cos(ang), torch.sin(ang)
    a, b = x[..., 0::2], x[..., 1::2]
    out = torch.empty_like(x)
    out[..., 0::2] = a * c - b * s
    out[..., 1::2] = a * s + b * c
    return out


def attention(x, q, k, v, o):
    b, t, d = x.shape
    dh = d // HEADS

    def heads(w):
        return (x @ w.T).reshape(b, t, HEADS, dh).transpose(1, 2)
    qh, kh, vh = rope(heads(q)), rope(heads(k)), heads(v)
    scores = qh @ kh.transpose(-1, -2) / math.sqrt(dh)
    mask = torch.triu(torch.ones(t, t, dtype=torch.bool), 1)
    p = torch.softmax(scores.masked_fill(mask, float("-inf")), dim=-1)
    return (p @ vh).transpose(1, 2).reshape(b, t, d) @ o.T


def names():
    out = [f"{ROOT}[1].Embed.E"]
    for layer in range(DEPTH):
        att = f"{ROOT}[2][{2 * layer}].residual[1][1].Attention."
        mlp = f"{ROOT}[2][{2 * layer + 1}].residual[1][1].MLPBlock"
        out += [att + w for w in "QKVO"] + [mlp + "[0].Linear.W", mlp + "[2].Linear.W"]
    return out + [f"{ROOT}[4].Head.W"]


def loss_of(w, x, y):
    L = 2 * DEPTH
    h = w[0][x]
    for layer in range(DEPTH):
        q, k, v, o, w1, w2 = w[1 + 6 * layer:7 + 6 * layer]
        h = (1 - 1 / L) * h + attention(rmsnorm(h), q, k, v, o) / L
        h = (1 - 1 / L) * h + (sgelu(rmsnorm(h) @ w1.T) @ w2.T) / L
    logits = rmsnorm(h) @ w[-1].T
    return torch.nn.functional.cross_entropy(logits.reshape(-1, VOCAB), y.reshape(-1))


t = Test("test_torch_reference")
with open(t.path("kjv.txt"), "w") as f:
    f.write("".join("And God said, Let there be light: %d.\n" % (i * 53 % 97) for i in range(300)))
os.environ["DUET_DATA"] = t.work
for dtype in ("f32", "f64"):
    t.duet_run("run", SRC, "--steps", "0", "--dtype", dtype, "--out", f"init-{dtype}", "--quiet")
    init, _ = read_safetensors(t.path(f"init-{dtype}", "model.safetensors"))
    t.duet_run("run", SRC, "--steps", str(STEPS), "--dtype", dtype, "--log-every", "1", "--out",
               f"run-{dtype}", "--quiet", "--dump-batches", f"batches-{dtype}")
    w = [torch.tensor(init[n].astype(np.float64), requires_grad=True) for n in names()]
    held = sorted(n for n in init if n.startswith("model.") and ":" not in n)
    t.check(held == sorted(names()), f"{dtype}: the checkpoint holds the weights of the reference",
            sorted(names()), held)
    opt = torch.optim.AdamW(w, lr=LR, betas=(0.9, 0.999), eps=1e-8, weight_decay=WD)
    want = []
    for step in range(1, STEPS + 1):
        batch, _ = read_safetensors(t.path(f"batches-{dtype}", f"step-{step:06d}.safetensors"))
        x = torch.tensor(batch["x"].astype(np.int64))
        y = torch.tensor(batch["y"].astype(np.int64))
        opt.zero_grad()
        loss = loss_of(w, x, y)
        loss.backward()
        opt.step()
        want.append(loss.item())
    got = [d["loss"] for d in read_jsonl(t.path(f"run-{dtype}", "metrics.jsonl")) if "loss" in d]
    errs = [abs(a - b) / b for a, b in zip(got, want)]
    t.check(len(got) == STEPS and max(errs) <= TOL,
            f"{dtype}: the first {STEPS} losses agree to {TOL} relative", want, got)
    if dtype == "f64":
        final, _ = read_safetensors(t.path(f"run-{dtype}", "model.safetensors"))
        worst = max(np.linalg.norm(final[n] - w[i].detach().numpy()) / np.linalg.norm(final[n])
                    for i, n in enumerate(names()))
        t.check(worst <= 1e-8, f"{dtype}: the weights after {STEPS} steps agree to 1e-8",
                1e-8, worst)
        print(f"{dtype}: weights after {STEPS} steps: worst relative difference {worst:.1e}")
    print(f"{dtype}: losses {' '.join('%.6f' % v for v in got)}; worst relative difference "
          f"from torch {max(errs):.1e}")
t.done()
