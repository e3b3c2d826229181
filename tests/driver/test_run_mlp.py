"""test_run_mlp.py - a short `duet run` of examples/fashion_mlp.duet: it
learns (test accuracy threshold below), and the run directory holds a
complete summary.json, a readable model.safetensors with the weights under
their public names (each with its path in the metadata) and the input
normalization, train_state.safetensors with the optimizer state, recent
losses and step counter, metrics.jsonl lines consistent with both, and a
well-formed loss.svg.

Threshold: 50 steps at batch 128 (0.11 epochs) with the example's derived
optimizer at lr 0.3 and its linear decay reach 0.829-0.834 test accuracy for
seeds 0, 1 and 2 (measured); 0.80 leaves room for BLAS rounding while a
model that fails to learn stays near 0.10."""
import json
import math
import os
import xml.etree.ElementTree as ET

import numpy as np

from drvtest import EXAMPLES, Test, read_jsonl, read_safetensors, read_state

THRESHOLD = 0.80
STEPS = 50

t = Test("test_run_mlp")
p = t.duet_run("run", os.path.join(EXAMPLES, "fashion_mlp.duet"), "--steps", str(STEPS), "--set",
               "batch=128", "--set", "optimizer.lr=0.3", "--out", "run", "--threads", "1",
               "--quiet")
t.check("run directory: run" in p.stdout, "the run directory is printed", "run directory: run",
        p.stdout)

with open(t.path("run", "summary.json")) as f:
    s = json.load(f)
for key in ("experiment", "source", "source_copy", "status", "seed", "batch", "params", "steps",
            "total_steps", "epochs", "train_loss", "train_loss_steps", "test_loss", "test_accuracy",
            "best_test_accuracy", "settings", "overrides", "run", "data", "duet_version", "build",
            "ms_per_step", "wall_s", "compile_s"):
    t.check(key in s, f"summary.json has '{key}'", key, sorted(s))
t.check(s.get("experiment") == "fashion_mlp", "experiment", "fashion_mlp", s.get("experiment"))
t.check(s.get("steps") == STEPS and s.get("batch") == 128, "steps and batch", (STEPS, 128),
        (s.get("steps"), s.get("batch")))
t.check(s.get("params") == 784 * 512 + 512 * 512 + 512 * 10, "params", 668672, s.get("params"))
t.check(abs(s.get("epochs", 0) - STEPS / (60000 // 128)) < 1e-9, "epochs", STEPS / 468,
        s.get("epochs"))
acc = s.get("test_accuracy", 0)
print(f"test accuracy after {STEPS} steps: {acc:.4f} (threshold {THRESHOLD})")
t.check(acc >= THRESHOLD, "test accuracy", f">= {THRESHOLD}", acc)

# checkpoint: the weights by public name, the optimizer state, counters
tensors, meta = read_safetensors(t.path("run", "model.safetensors"))
shapes = {"1.0.W": ("model[1].MLP[0].Linear.W", (512, 784)),
          "1.2.W": ("model[1].MLP[2].Linear.W", (512, 512)),
          "1.4.W": ("model[1].MLP[4].Linear.W", (10, 512))}
t.check(sorted(tensors) == sorted(shapes), "model.safetensors holds the weights alone",
        sorted(shapes), sorted(tensors))
state, smeta = read_state(t.path("run"))
for name, (path, shape) in shapes.items():
    t.check(meta.get("duet.path." + name) == path, f"the path of {name}", path,
            meta.get("duet.path." + name))
    for n, w in ((name, tensors.get(name)), (path + ":m", state.get(path + ":m"))):
        t.check(w is not None and w.shape == shape and w.dtype == np.float32, f"tensor {n}",
                shape, None if w is None else (w.shape, w.dtype))
        t.check(w is not None and np.isfinite(w).all(), f"{n} is finite")
t.check(meta.get("duet.step") == str(STEPS) and smeta.get("duet.step") == str(STEPS) and
        smeta.get("duet.total_steps") == str(STEPS), "step counters in the metadata", STEPS,
        (meta, smeta))
t.check(meta.get("duet.experiment") == "fashion_mlp" and meta.get("duet.nsets") == "2" and
        meta.get("duet.set.0") == "batch=128", "experiment and settings in the metadata", None,
        meta)
t.check(meta.get("duet.input.source") == "fashion_mnist" and
        meta.get("duet.input.shape") == "[1, 28, 28]" and
        abs(float(meta.get("duet.input.pixel_mean", 0)) - 0.2860) < 1e-6 and
        abs(float(meta.get("duet.input.pixel_std", 0)) - 0.3530) < 1e-6,
        "the input normalization in the metadata", "(pixel / 255 - 0.2860) / 0.3530", meta)
recent = state.get("duet.recent_losses")
t.check(recent is not None and recent.shape == (STEPS,), "recent losses saved", STEPS,
        None if recent is None else recent.shape)
t.check(s.get("settings", {}).get("optimizers", [{}])[0].get("args", {}).get("lr") == 0.3 and
        s.get("overrides") == ["batch=128", "optimizer.lr=0.3"],
        "summary.json: the optimizer as resolved and the --set values",
        ["batch=128", "optimizer.lr=0.3"], (s.get("settings"), s.get("overrides")))

# metrics.jsonl against the checkpoint's step losses and the schedule
lines = read_jsonl(t.path("run", "metrics.jsonl"))
train = [d for d in lines if "loss" in d]
evals = [d for d in lines if "test_accuracy" in d]
t.check([d["step"] for d in train] == list(range(10, STEPS + 1, 10)), "log steps",
        list(range(10, STEPS + 1, 10)), [d["step"] for d in train])
for d in train:
    for key in ("epoch", "lr", "schedule", "norm_weights", "norm_update"):
        t.check(key in d and math.isfinite(d[key]), f"step {d['step']} logs {key}", key, d)
    sched = 1 - (d["step"] - 1) / STEPS  # linear_decay over the run
    t.check(abs(d["schedule"] - sched) < 1e-12 and abs(d["lr"] - 0.3 * sched) < 1e-12,
            f"schedule at step {d['step']}", sched, d["schedule"])
    if recent is not None:
        t.check(abs(d["loss"] - recent[d["step"] - 1]) <= 1e-7 * abs(d["loss"]),
                f"logged loss of step {d['step']}", recent[d["step"] - 1], d["loss"])
if recent is not None:
    mean = float(np.mean(recent))
    t.check(abs(s["train_loss"] - mean) <= 1e-9 * mean, "train_loss is the mean of the last steps",
            mean, s["train_loss"])
t.check(len(evals) == 1 and evals[0]["step"] == STEPS and evals[0]["test_accuracy"] == acc and
        evals[0]["test_loss"] == s.get("test_loss"), "final evaluation line", s, evals)

# loss.svg: well-formed, with the train and test curves named
root = ET.parse(t.path("run", "loss.svg")).getroot()
ns = "{http://www.w3.org/2000/svg}"
t.check(root.tag == ns + "svg", "loss.svg is an SVG document", ns + "svg", root.tag)
texts = [x.text for x in root.iter(ns + "text")]
t.check("train loss" in texts and "test loss" in texts, "legend names train and test loss", None,
        texts)
t.check(len(list(root.iter(ns + "polyline"))) >= 1, "the training loss is drawn as a line")
t.done()
