"""Bidirectional attention and cross-attention (cross.duet) against the
same model written directly in PyTorch: Attention(causal = false) (RoPE on
queries and keys, every position attends to every position), a memory of
half as many positions (the mean of every two embedded tokens), and
CrossAttention (queries of one stream over the keys and values of the
other, no mask); torch starts from duet's initial weights (a --steps 0
checkpoint), is fed the batches duet trained on (--dump-batches) and
trained with torch.optim.AdamW. In float64 the four training losses agree
to 1e-8 relative (metrics.jsonl keeps 9 digits) and the weights after them
to 1e-12; `duet gradcheck` passes on the model.

usage: test_cross.py DUET WORKDIR"""
import math
import os
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "driver"))
from drvtest import Test, read_checkpoint, read_jsonl, read_safetensors  # noqa: E402
import parity  # noqa: E402
import gpt_reference  # noqa: E402

SRC = os.path.join(HERE, "cross.duet")
STEPS, HEADS = 4, 2
NAMES = ["model[1].Embed.E"] + [f"model[2][0].Attention.{w}" for w in "QKVO"] + \
        [f"model[3].CrossAttention.{w}" for w in "QKVO"] + ["model[4].Head.W"]


def heads(x, w):
    b, t, d = x.shape
    return (x @ w.T).reshape(b, t, HEADS, d // HEADS).transpose(1, 2)


def attend(q, k, v, o):
    """Unmasked attention of heads q [b, h, tq, dh] over k, v [b, h, tk, dh]."""
    b, h, t, dh = q.shape
    p = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(dh), dim=-1)
    return (p @ v).transpose(1, 2).reshape(b, t, h * dh) @ o.T


def loss_of(w, x, y):
    e, q, k, v, o, cq, ck, cv, co, head = w
    h = torch.nn.functional.embedding(x, e)
    b, t, d = h.shape
    rope = gpt_reference.rope
    queries = attend(rope(heads(h, q)), rope(heads(h, k)), heads(h, v), o)
    memory = h.reshape(b, t // 2, 2, d).mean(dim=2)
    out = attend(heads(queries, cq), heads(memory, ck), heads(memory, cv), co)
    logits = out @ head.T
    return torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))


t = Test("test_cross")
w = parity.f64_run(t, SRC, NAMES)
opt = torch.optim.AdamW(w, lr=0.01, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01)
want = []
for step in range(1, STEPS + 1):
    batch, _ = read_safetensors(t.path("batches", f"step-{step:06d}.safetensors"))
    opt.zero_grad()
    loss = loss_of(w, torch.tensor(batch["x"].astype(np.int64)),
                   torch.tensor(batch["y"].astype(np.int64)))
    loss.backward()
    opt.step()
    want.append(loss.item())
got = [d["loss"] for d in read_jsonl(t.path("run", "metrics.jsonl")) if "loss" in d]
errs = [abs(a - b) / b for a, b in zip(got, want)]
t.check(len(got) == STEPS and max(errs) <= 1e-8, f"the {STEPS} losses agree to 1e-8", want, got)
final = read_checkpoint(t.path("run"))
worst = max(np.linalg.norm(final[n] - w[i].detach().numpy()) / np.linalg.norm(final[n])
            for i, n in enumerate(NAMES))
t.check(worst <= 1e-12, f"the weights after {STEPS} steps agree to 1e-12", 1e-12, worst)
print(f"losses {' '.join('%.6f' % v for v in got)}; worst relative difference {max(errs):.1e}; "
      f"weights {worst:.1e}")
t.done()
