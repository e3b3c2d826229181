"""A PyTorch reference of a tiny pre-norm GPT (torch.duet): the same model
written directly in torch (gpt_reference.py), started from duet's initial
weights (a --steps 0 checkpoint) and fed the batches duet trained on
(--dump-batches), trained with torch.optim.AdamW. The first five training
losses must agree with duet's in float32 and in float64 to 1e-4 relative,
and in float64 the weights after them to 1e-8.

usage: test_torch_reference.py DUET WORKDIR"""
import os
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "driver"))
from drvtest import Test, read_checkpoint, read_jsonl, read_safetensors  # noqa: E402
import gpt_reference  # noqa: E402

SRC = os.path.join(HERE, "torch.duet")
STEPS, TOL = 5, 1e-4
HEADS, DEPTH = 2, 2
LR, WD = 0.01, 0.01


def names():
    return gpt_reference.weight_names(DEPTH)


def loss_of(w, x, y):
    return gpt_reference.loss(w, x, y, HEADS, DEPTH)


t = Test("test_torch_reference")
with open(t.path("kjv.txt"), "w") as f:
    f.write("".join("And God said, Let there be light: %d.\n" % (i * 53 % 97) for i in range(300)))
os.environ["DUET_DATA"] = t.work
for dtype in ("f32", "f64"):
    t.duet_run("run", SRC, "--steps", "0", "--dtype", dtype, "--out", f"init-{dtype}", "--quiet")
    init = read_checkpoint(t.path(f"init-{dtype}"))
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
        final = read_checkpoint(t.path(f"run-{dtype}"))
        worst = max(np.linalg.norm(final[n] - w[i].detach().numpy()) / np.linalg.norm(final[n])
                    for i, n in enumerate(names()))
        t.check(worst <= 1e-8, f"{dtype}: the weights after {STEPS} steps agree to 1e-8",
                1e-8, worst)
        print(f"{dtype}: weights after {STEPS} steps: worst relative difference {worst:.1e}")
    print(f"{dtype}: losses {' '.join('%.6f' % v for v in got)}; worst relative difference "
          f"from torch {max(errs):.1e}")
t.done()
