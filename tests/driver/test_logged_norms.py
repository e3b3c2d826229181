"""test_logged_norms.py - the modular norms `duet run` logs (norm_weights,
norm_update: estimated by warm-started Lanczos) against numpy's SVD of the
weights themselves, on examples/fashion_mlp.duet trained with AdamW at batch
128, logged every 10 steps.

For a log at step T: a run stopped after step T - 1 (--stop-after, the same
schedule) leaves the weights before step T in its checkpoint, the full run of
T steps the weights after it; the last metrics line of the full run holds the
norms of the first and of their difference. The model is Linear(784, 512) >>
Linear(512, 512) >> Linear(512, 10) (between GELUs), whose modular norm is
max_i 3 g^(2 - i) sqrt(in_i / out_i) sigma_max(W_i), g the RMS gain of gelu,
its sensitivity (`duet explain`). Checked at the log
after 2 earlier logs (T = 25) and after 9 (T = 95); the runs that stop early
log the same norms as the full runs at the steps both reach.

Tolerance: the estimates were within 5e-7 of numpy at both points (float
rounding); 1e-5 leaves a margin and is still 100 times tighter than what
the logged norms promise (1e-3, docs/language.md)."""
import os

import numpy as np

from drvtest import EXAMPLES, Test, gelu, read_jsonl, read_weights, rms_gain

TOL = 1e-5
LAYERS = [("model[1].MLP[0].Linear.W", 784, 512), ("model[1].MLP[2].Linear.W", 512, 512),
          ("model[1].MLP[4].Linear.W", 512, 10)]

t = Test("test_logged_norms")


def run(out, steps, stop=None):
    extra = ["--stop-after", str(stop)] if stop else []
    t.duet_run("run", os.path.join(EXAMPLES, "fashion_mlp.duet"), "--steps", str(steps), *extra,
               "--set", "batch=128", "--set", "optimizer=AdamW(lr = 0.001)", "--out", out,
               "--threads", "1", "--quiet")
    weights = read_weights(t.path(out))
    logs = [d for d in read_jsonl(t.path(out, "metrics.jsonl")) if "norm_weights" in d]
    return [weights[name].astype(np.float64) for name, _, _ in LAYERS], logs


def modular_norm(ws):
    g = rms_gain(gelu)
    return max(3 * g ** (2 - i) * np.sqrt(fan_in / fan_out) * np.linalg.svd(w, compute_uv=False)[0]
               for i, (w, (_, fan_in, fan_out)) in enumerate(zip(ws, LAYERS)))


for steps in (25, 95):
    before, part = run(f"stop{steps}", steps, stop=steps - 1)
    after, full = run(f"full{steps}", steps)
    last = full[-1]
    t.check(last["step"] == steps, f"the run of {steps} steps logs its last step", steps,
            last["step"])
    same = {d["step"]: (d["norm_weights"], d["norm_update"]) for d in part}
    t.check(all(same[d["step"]] == (d["norm_weights"], d["norm_update"]) for d in full
                if d["step"] in same) and len(same) >= 2,
            f"runs to {steps - 1} and {steps} log the same norms at their common steps", part,
            full)
    want = {"norm_weights": modular_norm(before),
            "norm_update": modular_norm([a - b for a, b in zip(after, before)])}
    for key, exact in want.items():
        err = abs(last[key] - exact) / exact
        print(f"step {steps}: {key} {last[key]:.9g}, numpy SVD {exact:.9g}, "
              f"relative error {err:.2e}")
        t.check(err <= TOL, f"step {steps}: {key} within {TOL} of numpy", exact, last[key])
t.done()
