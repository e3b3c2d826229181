"""Weight tying (tie.duet: tie(window >> Embed >> Head, "*.Head.W",
"*.Embed.E")), against an independent reference:
  - `duet gradcheck` passes: the one gradient of E, through the lookup and
    through the head, agrees with finite differences of the loss (which
    move both uses);
  - the checkpoint holds E and no Head weight; explain states the tie;
  - one step in float64 equals the rule docs/language.md states, computed
    here with torch autograd and numpy from duet's initial weights and
    first batch: g the gradient of the loss in E (summed over both uses by
    autograd), D = normalize_rows(g) (Embed's dualize), the step
    min(s_E, s_H / (sqrt(8 / 256) * spectral(D))) * D with the shares s of
    the two atoms (read from explain's modular norm, ||w|| = max(k_i ...),
    s_i = 1 / k_i), applied once: E1 = E0 - lr * step, to 1e-12.

usage: test_tie.py DUET WORKDIR"""
import os
import re
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "driver"))
from drvtest import Test, read_checkpoint, read_safetensors  # noqa: E402

SRC = os.path.join(HERE, "tie.duet")
LR, WIDTH, VOCAB = 0.1, 8, 256
E = "model[1].Embed.E"

t = Test("test_tie")
with open(t.path("kjv.txt"), "w") as f:
    f.write("".join("And God said, Let there be light: %d.\n" % (i * 53 % 97) for i in range(300)))
os.environ["DUET_DATA"] = t.work

p = t.duet_run("gradcheck", SRC)
t.check("1 weight: 1 ok, 0 too small to resolve, 0 wrong" in p.stdout, "gradcheck of the tied E",
        None, p.stdout[-1500:])

p = t.duet_run("explain", SRC)
t.check("tied: model[2].Head.W is model[1].Embed.E" in p.stdout, "explain states the tie", None,
        p.stdout)
coef = re.search(r"\|\|w\|\| = max\((\S+) \* \|\|model\[1\]\.Embed\|\|, (\S+) \* "
                 r"\|\|model\[2\]\.Head\|\|\)", p.stdout)
t.check(coef, "explain's modular norm", None, p.stdout)
s_embed, s_head = 1 / float(coef.group(1)), 1 / float(coef.group(2))

t.duet_run("run", SRC, "--steps", "0", "--dtype", "f64", "--out", "init", "--quiet")
t.duet_run("run", SRC, "--steps", "1", "--dtype", "f64", "--out", "run", "--quiet",
           "--dump-batches", "batches")
init, after = read_checkpoint(t.path("init")), read_checkpoint(t.path("run"))
weights = sorted(n for n in after if n.startswith("model") and ":" not in n)
t.equal("the checkpoint holds E only", [E], weights)

batch, _ = read_safetensors(t.path("batches", "step-000001.safetensors"))
x = torch.tensor(batch["x"].astype(np.int64))
y = torch.tensor(batch["y"].astype(np.int64))
e0 = torch.tensor(init[E].astype(np.float64), requires_grad=True)
logits = e0[x] @ e0.T
loss = torch.nn.functional.cross_entropy(logits.reshape(-1, VOCAB), y.reshape(-1))
loss.backward()
g = e0.grad.numpy()
rms = np.sqrt(np.mean(g * g, axis=1, keepdims=True))
d = np.where(rms > 0, g / np.where(rms > 0, rms, 1), 0)
head_norm = np.sqrt(WIDTH / VOCAB) * np.linalg.svd(d, compute_uv=False)[0]
step = min(s_embed, s_head / head_norm)
t.check(s_head / head_norm < s_embed, "the head's norm bounds the step here", s_embed,
        s_head / head_norm)
want = init[E] - LR * step * d
err = np.max(np.abs(after[E] - want)) / np.max(np.abs(want - init[E]))
t.check(err <= 1e-12, "one step of the tied weight against the reference", 1e-12, err)
t.done()
