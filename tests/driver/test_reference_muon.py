"""test_reference_muon.py - Muon on a weight with more than two axes against
an independent PyTorch reference: the network of ref_cnn.duet (a Conv2D
[4, 1, 3, 3] with padding 1, relu, flatten, a Linear [10, 3136], cross-
entropy) built with torch.nn.functional in float64, its gradients from
torch's autograd, and Muon's step as its reference implementation takes
it: momentum (lerp by 1 - beta), the Nesterov interpolation, a 4-D update
viewed as [out, in * k * k], Newton-Schulz (quintic 3.4445, -4.7750,
2.0315, five iterations from u / (||u||_F + 1e-7), on the transpose of a
tall matrix), the scale sqrt(max(1, rows / cols)) of the gradient's last
two axes (1 for a square kernel), the update reshaped back. duet runs
three steps from its own initial weights (a --steps 0 checkpoint) on the
batches it dumps, in float64: weights and momenta must agree to 1e-10
relative. A per-tap orthogonalization (each of the 9 [4, 1] slices) is
also computed and must differ from duet's by more than 0.1: the test tells
the two rules apart."""
import os

import numpy as np
import torch
import torch.nn.functional as F

from drvtest import HERE, Test, read_safetensors, read_state, read_weights

SRC = os.path.join(HERE, "ref_cnn.duet")
STEPS = 3
LR, BETA = 0.02, 0.95
TOL = 1e-10
NS_COEF = (3.4445, -4.7750, 2.0315)


def newton_schulz(g):
    a, b, c = NS_COEF
    tall = g.size(-2) > g.size(-1)
    x = g.mT if tall else g
    x = x / (x.norm(dim=(-2, -1), keepdim=True) + 1e-7)
    for _ in range(5):
        s = x @ x.mT
        x = a * x + (b * s + c * s @ s) @ x
    return x.mT if tall else x


def muon_step(w, g, m, flat=True):
    m.lerp_(g, 1 - BETA)
    u = g.lerp(m, BETA)
    if flat and u.ndim == 4:
        o = newton_schulz(u.reshape(len(u), -1)).reshape(w.shape)
    elif u.ndim == 4:
        o = newton_schulz(u.permute(2, 3, 0, 1)).permute(2, 3, 0, 1)
    else:
        o = newton_schulz(u)
    scale = max(1, g.size(-2) / g.size(-1)) ** 0.5
    return w - LR * scale * o


def loss_of(w, x, y):
    h = F.relu(F.conv2d(x, w["conv"], padding=1))
    return F.cross_entropy(h.flatten(1) @ w["linear"].T, y)


def rel(a, b):
    return float(np.linalg.norm(np.asarray(a, np.float64) - b) / np.linalg.norm(b))


t = Test("test_reference_muon")
t.duet_run("run", SRC, "--steps", "0", "--dtype", "f64", "--out", "init", "--quiet")
init = read_weights(t.path("init"))
paths = {"conv": "model[0].Conv2D.W", "linear": "model[3].Linear.W"}
t.check(init[paths["conv"]].shape == (4, 1, 3, 3), "the Conv2D weight", (4, 1, 3, 3),
        init[paths["conv"]].shape)
t.duet_run("run", SRC, "--steps", str(STEPS), "--dtype", "f64", "--out", "run", "--quiet",
           "--dump-batches", "batches")

runs = {}
for flat in (True, False):
    w = {k: torch.tensor(init[p], dtype=torch.float64) for k, p in paths.items()}
    m = {k: torch.zeros_like(v) for k, v in w.items()}
    for step in range(1, STEPS + 1):
        batch, _ = read_safetensors(t.path("batches", f"step-{step:06d}.safetensors"))
        x = torch.tensor(batch["x"], dtype=torch.float64).reshape(-1, 1, 28, 28)
        y = torch.tensor(batch["y"], dtype=torch.long)
        wg = {k: v.clone().requires_grad_(True) for k, v in w.items()}
        loss_of(wg, x, y).backward()
        w = {k: muon_step(w[k], wg[k].grad, m[k], flat) for k in w}
    runs[flat] = (w, m)

got = {**read_weights(t.path("run")), **read_state(t.path("run"))[0]}
w, m = runs[True]
for k, p in paths.items():
    e = rel(got[p], w[k].numpy())
    t.check(e <= TOL, f"{p} after {STEPS} steps (flattened)", f"relative error <= {TOL}", e)
    e = rel(got[p + ":m"], m[k].numpy())
    t.check(e <= TOL, f"{p}:m after {STEPS} steps", f"relative error <= {TOL}", e)
    print(f"{p}: relative error {rel(got[p], w[k].numpy()):.2e}")
per_tap = runs[False][0]["conv"].numpy()
e = rel(got[paths["conv"]] - init[paths["conv"]], per_tap - init[paths["conv"]])
t.check(e > 0.1, "the per-tap rule gives another update", "relative difference > 0.1", e)
print(f"per-tap rule: the update differs by {e:.2f} relative")
t.done()
